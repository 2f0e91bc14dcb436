/*
 * infer_shapes.c — pass 3: shapes.  Walks the layers in source order (a DAG by
 * construction) and asks each kind's `infer` for its output shape, parameter and
 * MAC counts.  A layer whose input failed is skipped silently: its cause has been
 * reported.  Finally every tensor, batch included, must fit the index type.
 */
#include "netc.h"

bool pass_infer_shapes(Net *net, Diags *d) {
    int before = d->errors;
    for (int i = 0; i < net->layers.n; i++) {
        Layer *L = net->layers.v[i];
        if (!L->is_input) {
            if (!L->kind) continue;
            bool ready = true;
            for (int j = 0; j < L->nin; j++) ready = ready && L->in[j] && L->in[j]->shaped;
            if (!ready) continue;
            int errs = d->errors;
            L->shaped = L->kind->infer(net, L, d) && d->errors == errs;
            if (!L->shaped) continue;
        }
        if (!L->shaped) continue;
        int64_t n, total;
        if (!shape_elems_ok(&L->shape, &n) || __builtin_mul_overflow(n, net->batch, &total) ||
            total > 2147483647LL) {
            error_hint(d, L->loc, "generated code indexes tensors with 32-bit integers; use a smaller batch or shape",
                       "'%s' of shape %s with batch %lld holds more than 2147483647 elements", L->name,
                       shape_str(d->arena, &L->shape), (long long)net->batch);
            L->shaped = false;
        }
    }
    return d->errors == before;
}
