/*
 * layer_upsample.c — `upsample`: nearest-neighbour enlargement of every spatial
 * axis by an integer factor (PyTorch's nn.Upsample(scale_factor, mode="nearest")).
 */
#include "netc.h"

static bool infer_upsample(Net *net, Layer *L, Diags *d) {
    (void)net;
    const Layer *X = L->in[0];
    bool td = L->a[A_TIME_DISTRIBUTED].i;
    int off = td ? 1 : 0;
    int nsp = X->shape.rank - 1 - off;
    if (X->td && !td) {   /* T would silently become the channel axis */
        error_hint(d, L->in_loc[0], arena_printf(d->arena, "add time_distributed = true to '%s' to apply it to each step", L->name),
                   "'%s' reads '%s', a time-distributed value of shape %s (T first), but is not time-distributed itself",
                   L->name, X->name, shape_str(d->arena, &X->shape));
        return false;
    }
    if (nsp < 1 || nsp > MAX_SPATIAL) {
        error_at(d, L->in_loc[0], "'upsample' needs an input with 1 to 3 spatial axes; '%s' has shape %s",
                 X->name, shape_str(d->arena, &X->shape));
        return false;
    }
    const AttrVal *f = &L->a[A_FACTOR];
    if (f->sp.n && f->sp.n != nsp) {
        error_at(d, f->loc, "'factor' has %d entries, but the input has %d spatial axes", f->sp.n, nsp);
        return false;
    }
    L->shape = X->shape;
    L->g.nsp = nsp;
    for (int i = 0; i < nsp; i++) {
        int64_t fi = f->sp.n ? f->sp.v[i] : f->sp.v[0];
        L->g.s[i] = fi;
        L->g.in[i] = X->shape.d[off + 1 + i];
        L->shape.d[off + 1 + i] *= fi;
        L->g.out[i] = L->shape.d[off + 1 + i];
        if (L->shape.d[off + 1 + i] > 2147483647LL) { error_at(d, f->loc, "'upsample' output overflows the index type"); return false; }
    }
    L->g.cin = L->g.cout = X->shape.d[off];
    L->td = td;
    return true;
}

static const AttrUse upsample_attrs[] = {
    {A_FACTOR, true, {0}},
    {A_MODE, false, {.i = 0}},
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};

const LayerKind kind_upsample = {.name = "upsample", .aliases = {"upsampling"}, .op = OP_UPSAMPLE,
                                 .min_inputs = 1, .max_inputs = 1, .attrs = upsample_attrs, .infer = infer_upsample};
