/*
 * layer_dense.c — `dense`: a fully connected layer over the flattened input,
 * weight [units, in_features] as PyTorch's nn.Linear.
 */
#include "netc.h"

static bool infer_dense(Net *net, Layer *L, Diags *d) {
    (void)net; (void)d;
    const Layer *X = L->in[0];
    bool td = L->a[A_TIME_DISTRIBUTED].i;
    if (td && X->shape.rank < 2) {
        error_hint(d, L->in_loc[0], "a time-distributed layer reads [T, ...]",
                   "time-distributed 'dense' needs an input with a leading T axis; '%s' has shape %s",
                   X->name, shape_str(d->arena, &X->shape));
        return false;
    }
    int64_t T = td ? X->shape.d[0] : 1;
    int64_t in = shape_count(&X->shape) / T;
    int64_t units = L->a[A_UNITS].i;
    if (units * in > 2147483647LL) {   /* units <= 2^24 and in <= 2^31: no overflow here */
        error_hint(d, L->kind_loc, "generated code indexes tensors with 32-bit integers; use fewer units or a smaller input",
                   "'%s' weight [%lld, %lld] holds more than 2147483647 elements", L->name, (long long)units, (long long)in);
        return false;
    }
    L->td = td;
    L->shape.rank = 0;
    if (td) L->shape.d[L->shape.rank++] = T;
    L->shape.d[L->shape.rank++] = units;
    L->params = units * in + (L->a[A_BIAS].i ? units : 0);
    L->macs = T * units * in;
    return true;
}

static const AttrUse dense_attrs[] = {
    {A_UNITS, true, {0}},
    {A_BIAS, false, {.i = 1}},
    {A_ACTIVATION, false, {.act = {ACT_IDENTITY, 0}}},
    {A_WEIGHT_INIT, false, {.init = {INIT_XAVIER, VN_AVERAGE, 0, 0}}},
    {A_BIAS_INIT, false, {.init = {INIT_CONST, VN_AVERAGE, 0, 0}}},
    {A_LR_MULT, false, {.r = 1.0}},
    {A_TRAINABLE, false, {.i = 1}},
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};

const LayerKind kind_dense = {.name = "dense", .aliases = {"linear", "fully_connected"}, .op = OP_DENSE,
                              .min_inputs = 1, .max_inputs = 1, .attrs = dense_attrs, .infer = infer_dense};
