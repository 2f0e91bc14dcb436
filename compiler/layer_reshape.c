/*
 * layer_reshape.c — `reshape` (to a per-sample shape of the same element count)
 * and `flatten` (to a vector).  Both only relabel memory; no data moves in nchw.
 */
#include "netc.h"

static bool infer_reshape(Net *net, Layer *L, Diags *d) {
    (void)net;
    const Layer *X = L->in[0];
    const AttrVal *s = &L->a[A_SHAPE];
    bool td = L->a[A_TIME_DISTRIBUTED].i;
    int64_t T = td ? X->shape.d[0] : 1;
    int64_t want, have = shape_count(&X->shape) / T;
    if (!shape_elems_ok(&s->shape, &want)) {
        error_hint(d, s->loc, "generated code indexes tensors with 32-bit integers",
                   "'shape' %s holds more than 2147483647 elements", shape_str(d->arena, &s->shape));
        return false;
    }
    if (want != have) {
        error_hint(d, s->loc, arena_printf(d->arena, "'%s' has shape %s", X->name, shape_str(d->arena, &X->shape)),
                   "'reshape' to %s holds %lld elements, but its input holds %lld",
                   shape_str(d->arena, &s->shape), (long long)want, (long long)have);
        return false;
    }
    if (s->shape.rank + (td ? 1 : 0) > MAX_RANK) { error_at(d, s->loc, "'shape' has too many axes"); return false; }
    L->shape.rank = 0;
    if (td) L->shape.d[L->shape.rank++] = T;
    for (int i = 0; i < s->shape.rank; i++) L->shape.d[L->shape.rank++] = s->shape.d[i];
    L->td = td;
    return true;
}

static bool infer_flatten(Net *net, Layer *L, Diags *d) {
    (void)net; (void)d;
    const Layer *X = L->in[0];
    bool td = L->a[A_TIME_DISTRIBUTED].i;
    int64_t T = td ? X->shape.d[0] : 1;
    L->shape.rank = 0;
    if (td) L->shape.d[L->shape.rank++] = T;
    L->shape.d[L->shape.rank++] = shape_count(&X->shape) / T;
    L->td = td;
    return true;
}

static const AttrUse reshape_attrs[] = {
    {A_SHAPE, true, {0}},
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};
static const AttrUse flatten_attrs[] = {
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};

const LayerKind kind_reshape = {.name = "reshape", .op = OP_RESHAPE, .min_inputs = 1, .max_inputs = 1,
                                .attrs = reshape_attrs, .infer = infer_reshape};
const LayerKind kind_flatten = {.name = "flatten", .op = OP_RESHAPE, .min_inputs = 1, .max_inputs = 1,
                                .attrs = flatten_attrs, .infer = infer_flatten};
