/*
 * validate.c — pass 4: padding and graph.  Padding must be at least 0 and smaller
 * than the dilated kernel d * (k - 1) + 1 (HALCON's restriction, which keeps a conv
 * and a tconv with the same kernel, stride and padding shape inverses); a tconv's
 * output_padding must be smaller than max(stride, dilation) (PyTorch's rule); a
 * pool's padding at most half its kernel (PyTorch's rule).  Warnings: a conv or
 * pool whose stride leaves input rows unread, and a layer whose result nobody uses.
 */
#include "netc.h"

#include <string.h>

static const char *axis_name(int nsp, int axis) {
    static const char *const names[3][3] = {{"width"}, {"height", "width"}, {"depth", "height", "width"}};
    return names[nsp - 1][axis];
}

/* The axes from `i` on whose geometry equals axis i's (one number given for every
 * axis makes them equal), named for a message: "axis width", "axes height and
 * width"; they are marked in *done so each mistake is reported once. */
static const char *axes_like(Arena *a, const ConvGeom *g, int i, unsigned *done) {
    int same[MAX_SPATIAL], n = 0;
    for (int j = i; j < g->nsp; j++)
        if (!(*done & (1u << j)) && g->in[j] == g->in[i] && g->k[j] == g->k[i] && g->s[j] == g->s[i] &&
            g->dil[j] == g->dil[i] && g->pb[j] == g->pb[i] && g->pe[j] == g->pe[i] && g->op[j] == g->op[i]) {
            same[n++] = j;
            *done |= 1u << j;
        }
    if (n == 1) return arena_printf(a, "axis %s", axis_name(g->nsp, i));
    if (n == 2) return arena_printf(a, "axes %s and %s", axis_name(g->nsp, same[0]), axis_name(g->nsp, same[1]));
    return arena_printf(a, "axes %s, %s and %s", axis_name(g->nsp, same[0]), axis_name(g->nsp, same[1]),
                        axis_name(g->nsp, same[2]));
}

static void check_conv_padding(Layer *L, Diags *d) {
    const ConvGeom *g = &L->g;
    LayerOp op = L->kind->op;
    Loc ploc = L->a[A_PADDING].given ? L->a[A_PADDING].loc : L->kind_loc;
    unsigned warned = 0;
    for (int i = 0; i < g->nsp; i++) {
        int64_t dk = g->dil[i] * (g->k[i] - 1) + 1;
        for (int side = 0; side < 2; side++) {
            int64_t p = side ? g->pe[i] : g->pb[i];
            if (op == OP_MAXPOOL || op == OP_AVGPOOL) {
                if (p > g->k[i] / 2) {
                    error_hint(d, ploc, arena_printf(d->arena, "use at most %lld", (long long)(g->k[i] / 2)),
                               "'%s' padding %lld on axis %s exceeds half the kernel (%lld)", L->name,
                               (long long)p, axis_name(g->nsp, i), (long long)g->k[i]);
                    return;
                }
            } else if (p >= dk) {
                error_hint(d, ploc,
                           arena_printf(d->arena, "padding must be smaller than the dilated kernel; use at most %lld", (long long)(dk - 1)),
                           "'%s' padding %lld on axis %s is not smaller than the dilated kernel d * (k - 1) + 1 = %lld * (%lld - 1) + 1 = %lld",
                           L->name, (long long)p, axis_name(g->nsp, i), (long long)g->dil[i], (long long)g->k[i], (long long)dk);
                return;
            }
        }
        if (op == OP_TCONV) {
            int64_t span = g->s[i] > g->dil[i] ? g->s[i] : g->dil[i];
            if (g->op[i] >= span) {
                const AttrVal *v = &L->a[A_OUTPUT_PADDING];
                error_hint(d, v->given ? v->loc : L->kind_loc,
                           span == 1 ? "with stride 1 and dilation 1 output_padding must be 0"
                                     : arena_printf(d->arena, "use 0 to %lld, or output_shape for an exact size", (long long)(span - 1)),
                           "'%s' output_padding %lld on axis %s is not smaller than max(stride, dilation) = %lld",
                           L->name, (long long)g->op[i], axis_name(g->nsp, i), (long long)span);
                return;
            }
        }
        if (op == OP_CONV || op == OP_MAXPOOL || op == OP_AVGPOOL) {
            /* rows the windows never visit: gaps between windows, or a ragged end */
            int64_t unread_end = (g->in[i] + g->pb[i] + g->pe[i] - dk) % g->s[i];
            if (warned & (1u << i)) continue;
            if (g->s[i] > dk)
                warning_at(d, L->a[A_STRIDE].given ? L->a[A_STRIDE].loc : L->kind_loc,
                           "'%s' stride %lld is larger than its kernel extent %lld on %s: some input rows are never read",
                           L->name, (long long)g->s[i], (long long)dk, axes_like(d->arena, g, i, &warned));
            else if (unread_end > g->pe[i])
                warning_at(d, L->a[A_STRIDE].given ? L->a[A_STRIDE].loc : L->kind_loc,
                           "'%s' stride %lld leaves the last %lld input row%s on %s unread",
                           L->name, (long long)g->s[i], (long long)(unread_end - g->pe[i]),
                           unread_end - g->pe[i] == 1 ? "" : "s", axes_like(d->arena, g, i, &warned));
        }
    }
}

/* Names the train block's loss reads: they count as uses. */
static bool used_by_loss(const Net *net, const char *name) {
    if (!net->train) return false;
    for (Attr *a = net->train->attrs; a; a = a->next) {
        if (strcmp(a->name, "loss") != 0 || a->value->kind != V_CALL) continue;
        for (int i = 0; i < a->value->n; i++)
            if (a->value->items[i]->kind == V_IDENT && strcmp(a->value->items[i]->s, name) == 0) return true;
    }
    return false;
}

bool pass_validate(Net *net, Diags *d) {
    int before = d->errors;
    for (int i = 0; i < net->layers.n; i++) {
        Layer *L = net->layers.v[i];
        if (L->kind && L->shaped) {
            LayerOp op = L->kind->op;
            if (op == OP_CONV || op == OP_TCONV || op == OP_MAXPOOL || op == OP_AVGPOOL) check_conv_padding(L, d);
        }
        if (L->kind && L->a[A_INFERENCE_OUTPUT].i && !L->is_output) {
            L->is_output = true;
            vec_push(d->arena, &net->outputs, L);
        }
        if (L->uses == 0 && !L->is_output && !used_by_loss(net, L->name))
            warning_at(d, L->loc, "%s '%s' is never used", L->is_input ? "input" : "layer", L->name);
        if (L->is_input && L->uses == 0 && used_by_loss(net, L->name)) L->target_only = true;
    }
    return d->errors == before;
}
