/*
 * layer_act.c — standalone activation layers (`relu sigmoid tanh softplus identity
 * leaky_relu elu`): elementwise, shape-preserving.  The same functions are fused
 * into conv/tconv/dense through their `activation` attribute.
 */
#include "netc.h"

static bool infer_act(Net *net, Layer *L, Diags *d) {
    (void)net; (void)d;
    L->shape = L->in[0]->shape;
    L->td = L->in[0]->td;
    return true;
}

static const AttrUse plain_attrs[] = {
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};
static const AttrUse leaky_attrs[] = {
    {A_ALPHA, false, {.r = 0.01}},
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};
static const AttrUse elu_attrs[] = {
    {A_ALPHA, false, {.r = 1.0}},
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};

#define ACT_KIND(var, nm, a, attrs_)                                                     \
    const LayerKind var = {.name = nm, .op = OP_ACT, .act = a, .min_inputs = 1,          \
                           .max_inputs = 1, .attrs = attrs_, .infer = infer_act}
ACT_KIND(kind_relu, "relu", ACT_RELU, plain_attrs);
ACT_KIND(kind_sigmoid, "sigmoid", ACT_SIGMOID, plain_attrs);
ACT_KIND(kind_tanh, "tanh", ACT_TANH, plain_attrs);
ACT_KIND(kind_softplus, "softplus", ACT_SOFTPLUS, plain_attrs);
ACT_KIND(kind_identity, "identity", ACT_IDENTITY, plain_attrs);
ACT_KIND(kind_leaky_relu, "leaky_relu", ACT_LEAKY_RELU, leaky_attrs);
ACT_KIND(kind_elu, "elu", ACT_ELU, elu_attrs);
