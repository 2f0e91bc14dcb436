/*
 * layer_merge.c — `add` (elementwise sum of equal shapes) and `concat` (along
 * channels; spatial sizes must match).  When a mismatch is one a transposed
 * convolution's output_padding or output_shape would fix, the error says so —
 * the classic U-Net skip-connection mistake.
 */
#include "netc.h"

#include <string.h>

/* If `L` is a tconv whose spatial output could be grown to `want` by output
 * padding, return a hint saying how. */
static const char *tconv_fix(Arena *a, const Layer *L, const Shape *want, int off) {
    if (!L->kind || L->kind->op != OP_TCONV || want->rank != L->shape.rank) return NULL;
    const ConvGeom *g = &L->g;
    char buf[128] = "[";
    for (int i = 0; i < g->nsp; i++) {
        int64_t w = want->d[off + 1 + i];
        int64_t base = g->out[i] - g->op[i];
        int64_t span = g->s[i] > g->dil[i] ? g->s[i] : g->dil[i];
        if (w - base < 0 || w - base >= span) return NULL;
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%s%lld", i ? ", " : "", (long long)w);
    }
    strncat(buf, "]", sizeof buf - strlen(buf) - 1);
    return arena_printf(a, "give '%s' output_shape = %s (or the matching output_padding) so the sizes agree", L->name, buf);
}

static bool infer_add(Net *net, Layer *L, Diags *d) {
    (void)net;
    const Layer *A = L->in[0];
    bool ok = true;
    for (int j = 1; j < L->nin; j++) {
        const Layer *B = L->in[j];
        bool same = A->shape.rank == B->shape.rank;
        for (int i = 0; same && i < A->shape.rank; i++) same = A->shape.d[i] == B->shape.d[i];
        if (same) continue;
        int off = A->td ? 1 : 0;
        const char *hint = tconv_fix(d->arena, B, &A->shape, off);
        if (!hint) hint = tconv_fix(d->arena, A, &B->shape, off);
        error_hint(d, L->in_loc[j], hint, "'add' inputs differ in shape: '%s' is %s, '%s' is %s", A->name,
                   shape_str(d->arena, &A->shape), B->name, shape_str(d->arena, &B->shape));
        ok = false;
    }
    if (!ok) return false;
    L->shape = A->shape;
    L->td = A->td;
    L->macs = shape_count(&A->shape) * (L->nin - 1);
    return true;
}

static bool infer_concat(Net *net, Layer *L, Diags *d) {
    (void)net;
    const Layer *A = L->in[0];
    bool td = L->a[A_TIME_DISTRIBUTED].i;   /* channels follow T when any input is time-distributed */
    for (int j = 0; j < L->nin; j++) td = td || L->in[j]->td;
    int off = td ? 1 : 0;
    if (A->shape.rank < 1 + off) { error_at(d, L->in_loc[0], "'concat' needs inputs with a channel axis"); return false; }
    Shape out = A->shape;
    bool ok = true;
    for (int j = 1; j < L->nin; j++) {
        const Layer *B = L->in[j];
        bool same = A->shape.rank == B->shape.rank;
        for (int i = 0; same && i < A->shape.rank; i++) same = i == off || A->shape.d[i] == B->shape.d[i];
        if (!same) {
            Shape want = B->shape;
            if (want.rank == A->shape.rank) want.d[off] = A->shape.d[off];
            const char *hint = tconv_fix(d->arena, A, &want, off);
            Shape want2 = A->shape;
            if (want2.rank == B->shape.rank) want2.d[off] = B->shape.d[off];
            if (!hint) hint = tconv_fix(d->arena, B, &want2, off);
            if (!hint) hint = "concat joins along channels; every other axis must match";
            error_hint(d, L->in_loc[j], hint, "'concat' inputs differ in shape: '%s' is %s, '%s' is %s",
                       A->name, shape_str(d->arena, &A->shape), B->name, shape_str(d->arena, &B->shape));
            ok = false;
            continue;
        }
        out.d[off] += B->shape.d[off];
    }
    if (!ok) return false;
    L->shape = out;
    L->td = td;
    return true;
}

static const AttrUse merge_attrs[] = {
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A__COUNT, false, {0}},
};
static const AttrUse concat_attrs[] = {
    {A_INFERENCE_OUTPUT, false, {.i = 0}},
    {A_TIME_DISTRIBUTED, false, {.i = 0}},
    {A__COUNT, false, {0}},
};

const LayerKind kind_add = {.name = "add", .aliases = {"sum"}, .op = OP_ADD, .min_inputs = 2, .max_inputs = -1,
                            .attrs = merge_attrs, .infer = infer_add};
const LayerKind kind_concat = {.name = "concat", .aliases = {"concatenate"}, .op = OP_CONCAT, .min_inputs = 2,
                               .max_inputs = -1, .attrs = concat_attrs, .infer = infer_concat};
