/*
 * layer_batchnorm.c — `batchnorm`: per-channel normalisation.  Batch statistics
 * while training (biased variance to normalise, unbiased for the running update),
 * running statistics in inference; parameters `weight`, `bias` and buffers
 * `running_mean`, `running_var`, as PyTorch's BatchNorm1d/2d/3d.
 */
#include "netc.h"

static bool infer_batchnorm(Net *net, Layer *L, Diags *d) {
    (void)net;
    const Layer *X = L->in[0];
    bool td = L->a[A_TIME_DISTRIBUTED].i || X->td;   /* channels follow T in [T, C, ...] */
    int off = td ? 1 : 0;
    if (X->shape.rank < 1 + off) {
        error_at(d, L->in_loc[0], "'batchnorm' needs a channel axis; '%s' has shape %s", X->name,
                 shape_str(d->arena, &X->shape));
        return false;
    }
    int64_t C = X->shape.d[off];
    L->shape = X->shape;
    L->td = td;
    L->params = 2 * C;
    L->buffers = 2 * C;
    L->macs = shape_count(&X->shape) * 2;
    return true;
}

static const AttrUse bn_attrs[] = {
    {A_MOMENTUM, false, {.r = 0.1}},
    {A_EPS, false, {.r = 1e-5}},
    {A_WEIGHT_INIT, false, {.init = {INIT_CONST, VN_AVERAGE, 1, 0}}},
    {A_BIAS_INIT, false, {.init = {INIT_CONST, VN_AVERAGE, 0, 0}}},
    {A_LR_MULT, false, {.r = 1.0}},
    {A_TRAINABLE, false, {.i = 1}},
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};

const LayerKind kind_batchnorm = {.name = "batchnorm", .aliases = {"batch_norm"}, .op = OP_BATCHNORM,
                                  .min_inputs = 1, .max_inputs = 1, .attrs = bn_attrs, .infer = infer_batchnorm};
