/*
 * lower_train.c — the training step's plan: compile-time autodiff over the
 * inference schedule.  Every layer keeps its value until its backward kernel has
 * run and gets a gradient buffer of the same size; reshapes share both with their
 * input.  For a conv or tconv the input gradient is the other one of the pair with
 * the geometry swapped (a tconv's is a strided conv of dY with the same weights, a
 * conv's a tconv: Dumoulin & Visin, 2016), printed by the same code as the forward
 * pass, and the weight gradient is a GEMM against a transposed im2col.
 */
#include "schedule.h"

#include <string.h>

static ConvGeom swap_geom(const ConvGeom *g) {
    ConvGeom b = *g;
    b.cin = g->cout;
    b.cout = g->cin;
    for (int i = 0; i < g->nsp; i++) { b.in[i] = g->out[i]; b.out[i] = g->in[i]; }
    return b;
}

/* The layer whose gradient place a layer's gradient is (reshapes share their
 * input's). */
static const Layer *grad_root(const Layer *L) {
    while (!L->is_input && L->kind->op == OP_RESHAPE) L = L->in[0];
    return L;
}

/* Backward kernels that write each element of an input's gradient exactly once. */
static bool sets_whole_dx(const Layer *L) {
    switch (L->kind->op) {
    case OP_CONV: case OP_TCONV: case OP_DENSE: case OP_BATCHNORM: case OP_ADD: case OP_ACT: case OP_CONCAT: return true;
    default: return false;   /* pooling and upsampling add several contributions, or none, per element */
    }
}

/* Who writes each gradient first.  A step runs the loss, then the backward kernels
 * last to first, each adding its share to its inputs' gradients; a gradient's first
 * writer can set it instead (=), and then the step need not clear it beforehand:
 * one pass over the buffer saved, and one read.  The loss is the prediction's first
 * writer (it sets it for mse, l1 and bce); otherwise the last kernel reading a value
 * writes its gradient first, and sets it when it writes every element once (a
 * kernel writes its inputs' gradients in input order, so add(x, x) sets x's with
 * its first input and adds to it with its second). */
static void plan_grad_writes(Arena *a, const Schedule *s, TrainPlan *tp) {
    const Net *net = s->net;
    int n = net->layers.n;
    bool *written = arena_alloc(a, sizeof(bool) * (size_t)(n + 1)), *set = arena_alloc(a, sizeof(bool) * (size_t)(n + 1));
    tp->gr_set = arena_alloc(a, sizeof(bool) * (size_t)(n + 1));
    memset(written, 0, sizeof(bool) * (size_t)(n + 1));
    memset(set, 0, sizeof(bool) * (size_t)(n + 1));
    const Layer *P = net->train->pred;
    tp->loss_sets = net->train->loss != LOSS_CROSS_ENTROPY && !P->is_input && tp->gr[P->id] >= 0;
    if (tp->gr[P->id] >= 0) {
        written[grad_root(P)->id] = true;
        set[grad_root(P)->id] = tp->loss_sets;
    }
    for (int ki = s->nk - 1; ki >= 0; ki--) {
        TrainStep *st = &tp->st[ki];
        const Layer *L = st->k->L;
        st->set_dx = arena_alloc(a, sizeof(bool) * (size_t)(L->nin + 1));
        for (int j = 0; j < L->nin; j++) st->set_dx[j] = false;
        for (int j = 0; j < L->nin; j++) {
            if (!st->want_dx[j]) continue;
            int r = grad_root(L->in[j])->id;
            if (written[r]) continue;
            written[r] = true;
            if (sets_whole_dx(L)) st->set_dx[j] = set[r] = true;
        }
    }
    for (int i = 0; i < n; i++) tp->gr_set[i] = tp->gr[i] >= 0 && set[grad_root(net->layers.v[i])->id];
}

TrainPlan *lower_train(Arena *a, const Schedule *s) {
    const Net *net = s->net;
    TrainPlan *tp = arena_alloc(a, sizeof *tp);
    tp->s = s;
    int n = net->layers.n;
    tp->v = arena_alloc(a, sizeof(int64_t) * (size_t)n);
    tp->gr = arena_alloc(a, sizeof(int64_t) * (size_t)n);
    tp->st = arena_alloc(a, sizeof(TrainStep) * (size_t)(s->nk + 1));
    tp->fwd_tmp = arena_alloc(a, sizeof(int64_t) * (size_t)(s->nk + 1));
    tp->fwd_pack = arena_alloc(a, sizeof(int64_t) * (size_t)(s->nk + 1));
    int64_t top = 0;
    /* values */
    for (int i = 0; i < n; i++) {
        Layer *L = net->layers.v[i];
        tp->gr[i] = -1;
        if (L->is_input) {
            if (L->uses > 0 || L->target_only) vec_push(a, &tp->inputs, L);
        } else if (L->kind->op == OP_RESHAPE) {
            tp->v[i] = tp->v[L->in[0]->id];
            continue;
        }
        tp->v[i] = top;
        top += (net->batch * shape_count(&L->shape) + 15) / 16 * 16;
    }
    /* gradients */
    for (int i = 0; i < n; i++) {
        Layer *L = net->layers.v[i];
        if (L->is_input) continue;
        if (L->kind->op == OP_RESHAPE) { tp->gr[i] = tp->gr[L->in[0]->id]; continue; }
        tp->gr[i] = top;
        top += (net->batch * shape_count(&L->shape) + 15) / 16 * 16;
    }
    int64_t scratch = 0;
    for (int ki = 0; ki < s->nk; ki++) {
        const Kernel *k = &s->k[ki];
        const Layer *L = k->L;
        TrainStep *st = &tp->st[ki];
        st->k = k;
        st->want_dx = arena_alloc(a, sizeof(bool) * (size_t)(L->nin + 1));
        for (int j = 0; j < L->nin; j++) st->want_dx[j] = tp->gr[L->in[j]->id] >= 0;
        st->want_dw = L->a[A_TRAINABLE].i && L->a[A_LR_MULT].r > 0 &&
                      (L->kind->op == OP_CONV || L->kind->op == OP_TCONV || L->kind->op == OP_DENSE || L->kind->op == OP_BATCHNORM);
        int64_t need = 0;
        switch (L->kind->op) {
        case OP_CONV: case OP_TCONV: {
            bool tr = L->kind->op == OP_TCONV;
            const ConvGeom *g = &L->g;
            ConvScratch cs = conv_scratch(g, tr, k->phases, k->nphases, k->nb, s->compact);
            tp->fwd_tmp[ki] = cs.col;
            tp->fwd_pack[ki] = cs.col + cs.tmp;
            if (cs.col + cs.tmp + cs.pack > need) need = cs.col + cs.tmp + cs.pack;
            st->bg = swap_geom(g);
            st->nbph = geom_phases(a, &st->bg, !tr, &st->bph);
            ConvScratch bs = conv_scratch(&st->bg, !tr, st->bph, st->nbph, k->nb, s->compact);
            if (bs.col + bs.tmp + bs.pack > need) need = bs.col + bs.tmp + bs.pack;
            st->wg = tr ? st->bg : *g;
            geom_phases(a, &st->wg, false, &st->wph);
            ConvDw dw = conv_dw(&st->wg, st->wph, k->nb, tr ? g->cin / g->groups : g->cout / g->groups, s->compact);
            if (st->want_dw && dw.scratch > need) need = dw.scratch;   /* (a frozen layer computes no dW) */
            break;
        }
        case OP_DENSE: {
            int64_t T = L->td ? L->shape.d[0] : 1;
            int64_t in = shape_count(&L->in[0]->shape) / T, units = L->a[A_UNITS].i;
            tp->fwd_tmp[ki] = in * k->nb;
            int64_t f = in * k->nb + units * k->nb;
            int64_t b = units * k->nb + k->nb * in;
            need = f > b ? f : b;
            break;
        }
        case OP_BATCHNORM: {
            int64_t C = L->shape.d[L->td ? 1 : 0];
            st->bn_mean = top;
            st->bn_invstd = top + C;
            top += (2 * C + 15) / 16 * 16;
            break;
        }
        default: break;
        }
        if (need > scratch) scratch = need;
    }
    tp->scratch = top;
    tp->scratch_floats = scratch;
    tp->arena_floats = top + (scratch + 15) / 16 * 16;
    const Train *t = net->train;
    tp->nslots = t->opt == OPT_SGD ? (t->momentum > 0 ? 1 : 0) : 2;
    plan_grad_writes(a, s, tp);
    return tp;
}

static int64_t round16(int64_t n) { return n ? (n + 15) / 16 * 16 : 16; }

NetMemory net_memory(const Schedule *s, const TrainPlan *tp) {
    NetMemory m = {0};
    m.params = s->param_floats;
    m.infer_arena = s->arena_floats;
    m.arena = tp && tp->arena_floats > s->arena_floats ? tp->arena_floats : s->arena_floats;
    int64_t P = round16(m.params), A = round16(m.arena);
    m.train_extra = tp ? P * (1 + tp->nslots) : 0;
    /* params, arena, grads, opt: 64-byte aligned float arrays; then the step
     * counter, padded to the struct's 64-byte alignment */
    m.state_bytes = 4 * (P + A + m.train_extra) + (tp ? 64 : 0);
    return m;
}
