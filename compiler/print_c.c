/*
 * print_c.c — the CPU printer: turns a Schedule into C99 (NAME.h, NAME.c) with
 * every loop bound a literal, kernel taps unrolled into straight-line copies and
 * transposed convolutions split into their stride phases.  Convolutions become
 * im2col (per phase) + a register-blocked GEMM specialised to its sizes; bias and
 * activation are fused into the store.  No malloc, no stdio, no recursion, no
 * VLA: all memory is the caller's NAME_state.
 */
#include "print_c.h"
#include "emit.h"

#include <math.h>
#include <string.h>

#define LL(x) ((long long)(x))

/* A float literal that is always one: "0.5f", "3.0f", "1e-05f". */
static const char *flit(char *buf, size_t n, double v) {
    char t[40];
    snprintf(t, sizeof t, "%.9g", v);
    bool real = strpbrk(t, ".eEn") != NULL;   /* n: nan/inf never occur here */
    snprintf(buf, n, "%s%sf", t, real ? "" : ".0");
    return buf;
}

typedef struct Ctx {
    Emitter *w;        /* kernels */
    Emitter *g;        /* GEMM functions, printed before the kernels */
    const Schedule *s;
    const char *name;
    Arena *a;
    int64_t gemms[256][3];
    int ngemms;
} Ctx;

static int64_t buf_off(const Schedule *s, int b) { return s->bufs[b].offset; }

/* ---- activations ---- */

static void act_expr(char *out, size_t n, Activation act, const char *v) {
    switch (act.kind) {
    case ACT_IDENTITY: snprintf(out, n, "%s", v); break;
    case ACT_RELU: snprintf(out, n, "(%s > 0.0f ? %s : 0.0f)", v, v); break;
    case ACT_SIGMOID: snprintf(out, n, "1.0f / (1.0f + NETC_EXPF(-%s))", v); break;
    case ACT_TANH: snprintf(out, n, "NETC_TANHF(%s)", v); break;
    case ACT_SOFTPLUS: snprintf(out, n, "(%s > 20.0f ? %s : NETC_LOG1PF(NETC_EXPF(%s)))", v, v, v); break;
    case ACT_LEAKY_RELU: { char a[48]; snprintf(out, n, "(%s > 0.0f ? %s : %s * %s)", v, v, flit(a, sizeof a, act.alpha), v); break; }
    case ACT_ELU: { char a[48]; snprintf(out, n, "(%s > 0.0f ? %s : %s * NETC_EXPM1F(%s))", v, v, flit(a, sizeof a, act.alpha), v); break; }
    }
}

/* ---- GEMM: C[M][N] = A[M][K] . B[K][N], register-blocked 4 x 16 ---- */

static void gemm_block(Emitter *w, int64_t mr, int64_t nr, int64_t K, int64_t N, const char *m, const char *n) {
    emit(w, "{");
    emit(w, "float c[%lld][%lld];", LL(mr), LL(nr));
    emit(w, "for (int i = 0; i < %lld; i++) for (int j = 0; j < %lld; j++) c[i][j] = 0.0f;", LL(mr), LL(nr));
    emit(w, "for (int k = 0; k < %lld; k++) {", LL(K));
    emit(w, "const float *restrict b = B + k * %lld + %s;", LL(N), n);
    emit(w, "for (int i = 0; i < %lld; i++) {", LL(mr));
    emit(w, "const float a = A[(%s + i) * %lld + k];", m, LL(K));
    emit(w, "for (int j = 0; j < %lld; j++) c[i][j] += a * b[j];", LL(nr));
    emit(w, "}");
    emit(w, "}");
    emit(w, "for (int i = 0; i < %lld; i++) for (int j = 0; j < %lld; j++) C[(%s + i) * %lld + %s + j] = c[i][j];",
         LL(mr), LL(nr), m, LL(N), n);
    emit(w, "}");
}

static const char *gemm_name(Ctx *c, int64_t M, int64_t K, int64_t N) {
    static char name[96];
    snprintf(name, sizeof name, "gemm_%lld_%lld_%lld", LL(M), LL(K), LL(N));
    for (int i = 0; i < c->ngemms; i++)
        if (c->gemms[i][0] == M && c->gemms[i][1] == K && c->gemms[i][2] == N) return name;
    if (c->ngemms < 256) { c->gemms[c->ngemms][0] = M; c->gemms[c->ngemms][1] = K; c->gemms[c->ngemms][2] = N; c->ngemms++; }
    Emitter *w = c->g;
    const int64_t MR = 4, NR = 16;
    int64_t Mb = M / MR * MR, Nb = N / NR * NR;
    emit(w, "/* C[%lld][%lld] = A[%lld][%lld] . B[%lld][%lld] */", LL(M), LL(N), LL(M), LL(K), LL(K), LL(N));
    emit(w, "static void %s(const float *restrict A, const float *restrict B, float *restrict C)", name);
    emit(w, "{");
    char mlit[32], nlit[32];
    snprintf(mlit, sizeof mlit, "%lld", LL(Mb));
    snprintf(nlit, sizeof nlit, "%lld", LL(Nb));
    if (Mb) {
        emit(w, "for (int m = 0; m < %lld; m += %lld) {", LL(Mb), LL(MR));
        if (Nb) {
            emit(w, "for (int n = 0; n < %lld; n += %lld)", LL(Nb), LL(NR));
            gemm_block(w, MR, NR, K, N, "m", "n");
        }
        if (N - Nb) gemm_block(w, MR, N - Nb, K, N, "m", nlit);
        emit(w, "}");
    }
    if (M - Mb) {
        if (Nb) {
            emit(w, "for (int n = 0; n < %lld; n += %lld)", LL(Nb), LL(NR));
            gemm_block(w, M - Mb, NR, K, N, mlit, "n");
        }
        if (N - Nb) gemm_block(w, M - Mb, N - Nb, K, N, mlit, nlit);
    }
    emit(w, "}");
    emit_raw(w, "\n");
    return name;
}

/* ---- convolutions: im2col per phase, GEMM, fused bias + activation ---- */

/* Nested loops over the spatial axes of one phase: q<i> from lo[i] to hi[i]. */
static void open_q_loops(Emitter *w, int nsp, const int64_t *lo, const int64_t *hi) {
    for (int i = 0; i < nsp; i++) emit(w, "for (int q%d = %lld; q%d < %lld; q%d++) {", i, LL(lo[i]), i, LL(hi[i]), i);
}
static void close_loops(Emitter *w, int n) { for (int i = 0; i < n; i++) emit(w, "}"); }

/* "((q0 * m0 + a0) * n1 + (q1 * m1 + a1)) * n2 + ..." for a flattened index. */
static void index_expr(char *out, size_t size, int nsp, const int64_t *mul, const int64_t *add, const int64_t *ext) {
    char buf[512] = "";
    for (int i = 0; i < nsp; i++) {
        char term[96];
        if (mul[i] == 1) snprintf(term, sizeof term, "q%d", i);
        else snprintf(term, sizeof term, "q%d * %lld", i, LL(mul[i]));
        if (add[i]) snprintf(term + strlen(term), sizeof term - strlen(term), " %c %lld", add[i] < 0 ? '-' : '+', LL(add[i] < 0 ? -add[i] : add[i]));
        char nb[600];
        if (i == 0) snprintf(nb, sizeof nb, "%s", term);
        else snprintf(nb, sizeof nb, "(%s) * %lld + %s", buf, LL(ext[i]), term);
        snprintf(buf, sizeof buf, "%s", nb);
    }
    snprintf(out, size, "%s", buf);
}

static void print_convlike(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const Layer *L = k->L;
    const ConvGeom *g = &L->g;
    bool tr = L->kind->op == OP_TCONV;
    int nsp = g->nsp;
    int64_t Cg = g->cin / g->groups, Fg = g->cout / g->groups, NB = k->nb;
    int64_t invol = 1, outvol = 1, kvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; kvol *= g->k[i]; }
    const Param *wp = &s->params[k->param[P_WEIGHT]];
    const Param *bp = k->param[P_BIAS] >= 0 ? &s->params[k->param[P_BIAS]] : NULL;
    emit(w, "const float *restrict x = s->arena + %lld;", LL(buf_off(s, k->in[0])));
    emit(w, "float *restrict y = s->arena + %lld;", LL(buf_off(s, k->out)));
    emit(w, "float *restrict col = s->arena + %lld;", LL(buf_off(s, k->col)));
    emit(w, "float *restrict tmp = s->arena + %lld;", LL(buf_off(s, k->tmp)));
    emit(w, "const float *restrict w = s->params + %lld;", LL(wp->offset));
    if (tr) emit(w, "float *restrict pack = tmp + %lld;", LL(s->bufs[k->tmp].floats - k->pack_floats));
    Activation act = L->a[A_ACTIVATION].act;
    for (int64_t grp = 0; grp < g->groups; grp++) {
        for (int p = 0; p < k->nphases; p++) {
            const Phase *ph = &k->phases[p];
            int64_t NCOL = NB * ph->qtot;
            char phs[128] = "";
            for (int i = 0; i < nsp; i++) snprintf(phs + strlen(phs), sizeof phs - strlen(phs), "%s%lld", i ? "," : "", LL(ph->ph[i]));
            emit(w, "/* group %lld%s%s: %d tap%s, %lld outputs per sample */", LL(grp), tr ? ", phase " : "", tr ? phs : "",
                 ph->ntaps, ph->ntaps == 1 ? "" : "s", LL(ph->qtot));
            emit(w, "{");
            int64_t zero_lo[MAX_SPATIAL] = {0};
            char yidx[512], tidx[512];
            int64_t omul[MAX_SPATIAL], oadd[MAX_SPATIAL], one[MAX_SPATIAL], zero[MAX_SPATIAL] = {0};
            for (int i = 0; i < nsp; i++) {
                one[i] = 1;
                omul[i] = tr ? g->s[i] : 1;
                oadd[i] = tr ? ph->q0[i] * g->s[i] + ph->ph[i] - g->pb[i] : 0;
            }
            index_expr(yidx, sizeof yidx, nsp, omul, oadd, g->out);
            index_expr(tidx, sizeof tidx, nsp, one, zero, ph->nq);
            if (ph->ntaps == 0) {
                /* no tap reaches these outputs: bias (and activation) only */
                emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
                if (bp) emit(w, "const float bv = s->params[%lld + co];", LL(bp->offset + grp * Fg));
                else emit(w, "const float bv = 0.0f;");
                emit(w, "for (int n = 0; n < %lld; n++) {", LL(NB));
                emit(w, "float *restrict yo = y + (n * %lld + %lld + co) * %lld;", LL(g->cout), LL(grp * Fg), LL(outvol));
                open_q_loops(w, nsp, zero_lo, ph->nq);
                char e[256];
                act_expr(e, sizeof e, act, "bv");
                emit(w, "yo[%s] = %s;", yidx, e);
                close_loops(w, nsp);
                emit(w, "}");
                emit(w, "}");
                emit(w, "}");
                continue;
            }
            /* im2col: row (ci, tap), column (n, q) */
            bool partial = false;
            int64_t lo[64][MAX_SPATIAL], hi[64][MAX_SPATIAL], mul[64][MAX_SPATIAL], add[64][MAX_SPATIAL];
            bool unroll = ph->ntaps <= 64;
            for (int j = 0; j < ph->ntaps && unroll; j++) {
                const PhaseTap *t = &ph->taps[j];
                for (int i = 0; i < nsp; i++) {
                    if (tr) {
                        mul[j][i] = 1;
                        add[j][i] = -t->delta[i];
                        lo[j][i] = t->delta[i] > 0 ? t->delta[i] : 0;
                        hi[j][i] = g->in[i] + t->delta[i] < ph->nq[i] ? g->in[i] + t->delta[i] : ph->nq[i];
                    } else {
                        int64_t a = t->t[i] * g->dil[i] - g->pb[i], st = g->s[i];
                        mul[j][i] = st;
                        add[j][i] = a;
                        int64_t l = a >= 0 ? 0 : (-a + st - 1) / st;
                        int64_t h = (g->in[i] - 1 - a) < 0 ? 0 : (g->in[i] - 1 - a) / st + 1;
                        lo[j][i] = l;
                        hi[j][i] = h < ph->nq[i] ? h : ph->nq[i];
                    }
                    if (lo[j][i] != 0 || hi[j][i] != ph->nq[i]) partial = true;
                }
            }
            if (!unroll) {
                /* very large kernels: a tap loop with bounds checks instead of unrolled copies */
                emit(w, "netc_memset(col, 0, sizeof(float) * %lld);", LL(ph->K * NCOL));
                emit(w, "/* taps not unrolled: %d taps */", ph->ntaps);
                partial = false;
            } else if (partial) {
                emit(w, "netc_memset(col, 0, sizeof(float) * %lld);", LL(ph->K * NCOL));
            }
            emit(w, "for (int n = 0; n < %lld; n++) {", LL(NB));
            emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
            emit(w, "const float *restrict xs = x + (n * %lld + %lld + ci) * %lld;", LL(g->cin), LL(grp * Cg), LL(invol));
            emit(w, "float *restrict cs = col + ci * %lld + n * %lld;", LL(ph->ntaps * NCOL), LL(ph->qtot));
            if (unroll) {
                for (int j = 0; j < ph->ntaps; j++) {
                    bool empty = false;
                    for (int i = 0; i < nsp; i++) if (lo[j][i] >= hi[j][i]) empty = true;
                    char tname[64] = "";
                    for (int i = 0; i < nsp; i++) snprintf(tname + strlen(tname), sizeof tname - strlen(tname), "%s%lld", i ? "," : "", LL(ph->taps[j].t[i]));
                    if (empty) { emit(w, "/* tap (%s) reads no input here */", tname); continue; }
                    char xi[512];
                    index_expr(xi, sizeof xi, nsp, mul[j], add[j], g->in);
                    emit(w, "/* tap (%s) */", tname);
                    open_q_loops(w, nsp, lo[j], hi[j]);
                    emit(w, "cs[%lld + %s] = xs[%s];", LL(j * NCOL), tidx, xi);
                    close_loops(w, nsp);
                }
            } else {
                emit(w, "for (int j = 0; j < %d; j++) {", ph->ntaps);
                emit(w, "static const int tap[%d][%d] = {", ph->ntaps, 2 * nsp);
                for (int j = 0; j < ph->ntaps; j++) {
                    char row[256] = "{";
                    for (int i = 0; i < nsp; i++) {
                        int64_t m = tr ? 1 : g->s[i], a = tr ? -ph->taps[j].delta[i] : ph->taps[j].t[i] * g->dil[i] - g->pb[i];
                        (void)m;
                        snprintf(row + strlen(row), sizeof row - strlen(row), "%s%lld", i ? ", " : "", LL(a));
                    }
                    for (int i = 0; i < nsp; i++) snprintf(row + strlen(row), sizeof row - strlen(row), ", 0");
                    emit(w, "%s},", row);
                }
                emit(w, "};");
                open_q_loops(w, nsp, zero_lo, ph->nq);
                char cond[512] = "1", xi[512] = "", tmpb[600];
                for (int i = 0; i < nsp; i++) {
                    int64_t m = tr ? 1 : g->s[i];
                    snprintf(tmpb, sizeof tmpb, "%s && q%d * %lld + tap[j][%d] >= 0 && q%d * %lld + tap[j][%d] < %lld", cond, i, LL(m), i, i, LL(m), i, LL(g->in[i]));
                    snprintf(cond, sizeof cond, "%s", tmpb);
                    if (i == 0) snprintf(tmpb, sizeof tmpb, "(q0 * %lld + tap[j][0])", LL(m));
                    else snprintf(tmpb, sizeof tmpb, "(%s) * %lld + (q%d * %lld + tap[j][%d])", xi, LL(g->in[i]), i, LL(m), i);
                    snprintf(xi, sizeof xi, "%s", tmpb);
                }
                emit(w, "if (%s) cs[j * %lld + %s] = xs[%s];", cond, LL(NCOL), tidx, xi);
                close_loops(w, nsp);
                emit(w, "}");
            }
            emit(w, "}");
            emit(w, "}");
            /* the weights as A[co][ci * taps + j] */
            const char *A = "pack";
            if (tr) {
                emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
                emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
                emit(w, "const float *restrict ws = w + ((%lld + ci) * %lld + co) * %lld;", LL(grp * Cg), LL(Fg), LL(kvol));
                emit(w, "float *restrict ap = pack + co * %lld + ci * %d;", LL(ph->K), ph->ntaps);
                if (ph->ntaps <= 64)
                    for (int j = 0; j < ph->ntaps; j++) emit(w, "ap[%d] = ws[%lld];", j, LL(ph->taps[j].index));
                else {
                    emit(w, "static const int idx[%d] = {", ph->ntaps);
                    for (int j = 0; j < ph->ntaps; j++) emit(w, "%lld,", LL(ph->taps[j].index));
                    emit(w, "};");
                    emit(w, "for (int j = 0; j < %d; j++) ap[j] = ws[idx[j]];", ph->ntaps);
                }
                emit(w, "}");
                emit(w, "}");
            } else {
                A = arena_printf(c->a, "%lld", LL(grp * Fg * ph->K));
            }
            const char *gname = gemm_name(c, Fg, ph->K, NCOL);
            if (tr) emit(w, "%s(pack, col, tmp);", gname);
            else emit(w, "%s(w + %s, col, tmp);", gname, A);
            /* bias, activation, store */
            emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
            if (bp) emit(w, "const float bv = s->params[%lld + co];", LL(bp->offset + grp * Fg));
            else emit(w, "const float bv = 0.0f;");
            emit(w, "for (int n = 0; n < %lld; n++) {", LL(NB));
            emit(w, "const float *restrict ts = tmp + co * %lld + n * %lld;", LL(NCOL), LL(ph->qtot));
            emit(w, "float *restrict yo = y + (n * %lld + %lld + co) * %lld;", LL(g->cout), LL(grp * Fg), LL(outvol));
            open_q_loops(w, nsp, zero_lo, ph->nq);
            emit(w, "const float v = ts[%s] + bv;", tidx);
            char e[256];
            act_expr(e, sizeof e, act, "v");
            emit(w, "yo[%s] = %s;", yidx, e);
            close_loops(w, nsp);
            emit(w, "}");
            emit(w, "}");
            emit(w, "}");
        }
    }
}

/* ---- the other kernels ---- */

static void print_dense(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const Layer *L = k->L;
    int64_t NB = k->nb, U = L->a[A_UNITS].i, IN = shape_count(&L->in[0]->shape) / (L->td ? L->shape.d[0] : 1);
    const Param *bp = k->param[P_BIAS] >= 0 ? &s->params[k->param[P_BIAS]] : NULL;
    emit(w, "const float *restrict x = s->arena + %lld;", LL(buf_off(s, k->in[0])));
    emit(w, "float *restrict y = s->arena + %lld;", LL(buf_off(s, k->out)));
    emit(w, "float *restrict col = s->arena + %lld;", LL(buf_off(s, k->col)));
    emit(w, "float *restrict tmp = s->arena + %lld;", LL(buf_off(s, k->tmp)));
    emit(w, "for (int n = 0; n < %lld; n++) for (int i = 0; i < %lld; i++) col[i * %lld + n] = x[n * %lld + i];",
         LL(NB), LL(IN), LL(NB), LL(IN));
    emit(w, "%s(s->params + %lld, col, tmp);", gemm_name(c, U, IN, NB), LL(s->params[k->param[P_WEIGHT]].offset));
    emit(w, "for (int u = 0; u < %lld; u++) {", LL(U));
    if (bp) emit(w, "const float bv = s->params[%lld + u];", LL(bp->offset));
    else emit(w, "const float bv = 0.0f;");
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(NB));
    emit(w, "const float v = tmp[u * %lld + n] + bv;", LL(NB));
    char e[256];
    act_expr(e, sizeof e, L->a[A_ACTIVATION].act, "v");
    emit(w, "y[n * %lld + u] = %s;", LL(U), e);
    emit(w, "}");
    emit(w, "}");
}

static void print_pool(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const Layer *L = k->L;
    const ConvGeom *g = &L->g;
    int nsp = g->nsp;
    bool mx = L->kind->op == OP_MAXPOOL;
    int64_t invol = 1, outvol = 1, kvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; kvol *= g->k[i]; }
    emit(w, "const float *restrict x = s->arena + %lld;", LL(buf_off(s, k->in[0])));
    emit(w, "float *restrict y = s->arena + %lld;", LL(buf_off(s, k->out)));
    emit(w, "for (int nc = 0; nc < %lld; nc++) {", LL(k->nb * g->cin));
    emit(w, "const float *restrict xs = x + nc * %lld;", LL(invol));
    emit(w, "float *restrict yo = y + nc * %lld;", LL(outvol));
    int64_t lo[MAX_SPATIAL] = {0}, one[MAX_SPATIAL], zero[MAX_SPATIAL] = {0};
    for (int i = 0; i < nsp; i++) one[i] = 1;
    open_q_loops(w, nsp, lo, g->out);
    emit(w, "float acc = %s;", mx ? "-NETC_HUGE" : "0.0f");
    for (int64_t t = 0; t < kvol; t++) {
        int64_t tt[MAX_SPATIAL], r = t;
        for (int i = nsp - 1; i >= 0; i--) { tt[i] = r % g->k[i]; r /= g->k[i]; }
        char cond[512] = "", xi[512] = "", b[700];
        for (int i = 0; i < nsp; i++) {
            int64_t a = tt[i] - g->pb[i];
            snprintf(b, sizeof b, "%s%sq%d * %lld + %lld >= 0 && q%d * %lld + %lld < %lld", cond, i ? " && " : "", i,
                     LL(g->s[i]), LL(a), i, LL(g->s[i]), LL(a), LL(g->in[i]));
            snprintf(cond, sizeof cond, "%s", b);
            if (i == 0) snprintf(b, sizeof b, "(q0 * %lld + %lld)", LL(g->s[i]), LL(a));
            else snprintf(b, sizeof b, "(%s) * %lld + (q%d * %lld + %lld)", xi, LL(g->in[i]), i, LL(g->s[i]), LL(a));
            snprintf(xi, sizeof xi, "%s", b);
        }
        if (mx) emit(w, "if (%s) { const float v = xs[%s]; if (v > acc) acc = v; }", cond, xi);
        else emit(w, "if (%s) acc += xs[%s];", cond, xi);
    }
    char yi[512];
    index_expr(yi, sizeof yi, nsp, one, zero, g->out);
    if (mx) emit(w, "yo[%s] = acc;", yi);
    else { char f[48]; emit(w, "yo[%s] = acc * %s;", yi, flit(f, sizeof f, 1.0 / (double)kvol)); }   /* count_include_pad, as PyTorch */
    close_loops(w, nsp);
    emit(w, "}");
}

static void print_upsample(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const ConvGeom *g = &k->L->g;
    int nsp = g->nsp;
    int64_t invol = 1, outvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; }
    emit(w, "const float *restrict x = s->arena + %lld;", LL(buf_off(s, k->in[0])));
    emit(w, "float *restrict y = s->arena + %lld;", LL(buf_off(s, k->out)));
    emit(w, "for (int nc = 0; nc < %lld; nc++) {", LL(k->nb * g->cin));
    emit(w, "const float *restrict xs = x + nc * %lld;", LL(invol));
    emit(w, "float *restrict yo = y + nc * %lld;", LL(outvol));
    /* loops over input position i and replica r on each axis: output i * f + r */
    for (int i = 0; i < nsp; i++) {
        emit(w, "for (int i%d = 0; i%d < %lld; i%d++) {", i, i, LL(g->in[i]), i);
        emit(w, "for (int r%d = 0; r%d < %lld; r%d++) {", i, i, LL(g->s[i]), i);
    }
    char xi[512] = "", yi[512] = "", b[700];
    for (int i = 0; i < nsp; i++) {
        if (i == 0) { snprintf(xi, sizeof xi, "i0"); snprintf(yi, sizeof yi, "(i0 * %lld + r0)", LL(g->s[0])); continue; }
        snprintf(b, sizeof b, "(%s) * %lld + i%d", xi, LL(g->in[i]), i); snprintf(xi, sizeof xi, "%s", b);
        snprintf(b, sizeof b, "(%s) * %lld + i%d * %lld + r%d", yi, LL(g->out[i]), i, LL(g->s[i]), i); snprintf(yi, sizeof yi, "%s", b);
    }
    emit(w, "yo[%s] = xs[%s];", yi, xi);
    close_loops(w, 2 * nsp);
    emit(w, "}");
}

static void print_batchnorm(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const Layer *L = k->L;
    int64_t C = L->shape.d[L->td ? 1 : 0];
    int64_t per = shape_count(&L->shape) / (L->td ? L->shape.d[0] : 1) / C;
    emit(w, "const float *restrict x = s->arena + %lld;", LL(buf_off(s, k->in[0])));
    emit(w, "float *restrict y = s->arena + %lld;", LL(buf_off(s, k->out)));
    emit(w, "for (int ch = 0; ch < %lld; ch++) {", LL(C));
    char eps[48];
    emit(w, "const float scale = s->params[%lld + ch] / NETC_SQRTF(s->params[%lld + ch] + %s);",
         LL(s->params[k->param[P_WEIGHT]].offset), LL(s->params[k->param[P_RUNNING_VAR]].offset), flit(eps, sizeof eps, L->a[A_EPS].r));
    emit(w, "const float shift = s->params[%lld + ch] - s->params[%lld + ch] * scale;",
         LL(s->params[k->param[P_BIAS]].offset), LL(s->params[k->param[P_RUNNING_MEAN]].offset));
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(k->nb));
    emit(w, "const float *restrict xs = x + (n * %lld + ch) * %lld;", LL(C), LL(per));
    emit(w, "float *restrict yo = y + (n * %lld + ch) * %lld;", LL(C), LL(per));
    emit(w, "for (int p = 0; p < %lld; p++) yo[p] = xs[p] * scale + shift;", LL(per));
    emit(w, "}");
    emit(w, "}");
}

static void print_elementwise(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const Layer *L = k->L;
    int64_t n = s->net->batch * shape_count(&L->shape);
    emit(w, "float *restrict y = s->arena + %lld;", LL(buf_off(s, k->out)));
    for (int j = 0; j < L->nin; j++) emit(w, "const float *restrict x%d = s->arena + %lld;", j, LL(buf_off(s, k->in[j])));
    if (L->kind->op == OP_ADD) {
        char sum[1024] = "x0[i]";
        for (int j = 1; j < L->nin && strlen(sum) < 900; j++) snprintf(sum + strlen(sum), sizeof sum - strlen(sum), " + x%d[i]", j);
        emit(w, "for (int i = 0; i < %lld; i++) y[i] = %s;", LL(n), sum);
    } else {
        Activation act = {L->kind->act, L->kind->act == ACT_LEAKY_RELU || L->kind->act == ACT_ELU ? L->a[A_ALPHA].r : 0};
        char e[256];
        act_expr(e, sizeof e, act, "v");
        emit(w, "for (int i = 0; i < %lld; i++) { const float v = x0[i]; y[i] = %s; }", LL(n), e);
    }
}

static void print_concat(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const Layer *L = k->L;
    int64_t T = L->td ? L->shape.d[0] : 1;
    int64_t outper = shape_count(&L->shape) / T, off = 0;
    emit(w, "float *restrict y = s->arena + %lld;", LL(buf_off(s, k->out)));
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(k->nb));
    for (int j = 0; j < L->nin; j++) {
        int64_t per = shape_count(&L->in[j]->shape) / T;
        emit(w, "netc_memcpy(y + n * %lld + %lld, s->arena + %lld + n * %lld, sizeof(float) * %lld);", LL(outper), LL(off),
             LL(buf_off(s, k->in[j])), LL(per), LL(per));
        off += per;
    }
    emit(w, "}");
}

static void print_kernel(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Layer *L = k->L;
    Arena *a = c->a;
    emit(w, "/* %s = %s(...) -> %s", L->name, L->kind->name, shape_str(a, &L->shape));
    const ConvGeom *g = &L->g;
    if (g->nsp && (L->kind->op == OP_TCONV || L->kind->op == OP_CONV || L->kind->op == OP_MAXPOOL || L->kind->op == OP_AVGPOOL)) {
        char geo[512] = "";
        for (int i = 0; i < g->nsp; i++)
            snprintf(geo + strlen(geo), sizeof geo - strlen(geo), "%s in %lld out %lld k %lld s %lld d %lld pad %lld/%lld op %lld",
                     i ? ";" : "", LL(g->in[i]), LL(g->out[i]), LL(g->k[i]), LL(g->s[i]), LL(g->dil[i]), LL(g->pb[i]), LL(g->pe[i]), LL(g->op[i]));
        emit(w, " * channels %lld -> %lld, groups %lld, activation %s, samples %lld", LL(g->cin), LL(g->cout), LL(g->groups),
             act_name(L->a[A_ACTIVATION].act.kind), LL(k->nb));
        emit(w, " *%s", geo);
    }
    emit(w, " */");
    emit(w, "static void layer_%s(%s_state *restrict s)", L->name, c->name);
    emit(w, "{");
    switch (L->kind->op) {
    case OP_TCONV: case OP_CONV: print_convlike(c, k); break;
    case OP_DENSE: print_dense(c, k); break;
    case OP_MAXPOOL: case OP_AVGPOOL: print_pool(c, k); break;
    case OP_UPSAMPLE: print_upsample(c, k); break;
    case OP_BATCHNORM: print_batchnorm(c, k); break;
    case OP_ADD: case OP_ACT: print_elementwise(c, k); break;
    case OP_CONCAT: print_concat(c, k); break;
    case OP_RESHAPE: emit(w, "(void)s; /* shares its input's memory */"); break;
    }
    emit(w, "}");
    emit_raw(w, "\n");
}

/* ---- interface: layouts, header, init, forward, descriptor ---- */

/* Shape of an interface tensor, batch first, in the network's layout. */
static int iface_shape(const Net *net, const Layer *L, int64_t *out) {
    int r = 0;
    out[r++] = net->batch;
    int cax = L->td ? 1 : 0;
    int rank = L->shape.rank;
    bool move = net->layout == LAYOUT_NHWC && rank - cax >= 2;
    for (int i = 0; i < rank; i++) {
        if (move && i == cax) continue;
        out[r++] = L->shape.d[i];
    }
    if (move) out[r++] = L->shape.d[cax];
    return r;
}

/* Copy between caller memory (network layout) and the arena (channels first). */
static void print_copy(Ctx *c, const Layer *L, int64_t off, const char *ext, bool in) {
    Emitter *w = c->w;
    const Net *net = c->s->net;
    int cax = L->td ? 1 : 0;
    int64_t count = net->batch * shape_count(&L->shape);
    if (net->layout == LAYOUT_NCHW || L->shape.rank - cax < 2) {
        if (in) emit(w, "netc_memcpy(s->arena + %lld, %s, sizeof(float) * %lld);", LL(off), ext, LL(count));
        else emit(w, "netc_memcpy(%s, s->arena + %lld, sizeof(float) * %lld);", ext, LL(off), LL(count));
        return;
    }
    int64_t C = L->shape.d[cax], P = shape_count(&L->shape) / C / (L->td ? L->shape.d[0] : 1);
    int64_t NT = count / (C * P);
    emit(w, "for (int n = 0; n < %lld; n++) for (int ch = 0; ch < %lld; ch++) for (int p = 0; p < %lld; p++)", LL(NT), LL(C), LL(P));
    if (in) emit(w, "    s->arena[%lld + (n * %lld + ch) * %lld + p] = %s[(n * %lld + p) * %lld + ch];", LL(off), LL(C), LL(P), ext, LL(P), LL(C));
    else emit(w, "    %s[(n * %lld + p) * %lld + ch] = s->arena[%lld + (n * %lld + ch) * %lld + p];", ext, LL(P), LL(C), LL(off), LL(C), LL(P));
}

static void fan(const Param *p, double *fan_in, double *fan_out) {
    double rf = 1;
    for (int i = 2; i < p->rank; i++) rf *= (double)p->shape[i];
    /* PyTorch's _calculate_fan_in_and_fan_out on the weight tensor's shape */
    *fan_in = p->rank >= 2 ? (double)p->shape[1] * rf : (double)p->shape[0];
    *fan_out = (double)p->shape[0] * rf;
}

static void print_init(Ctx *c) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    emit(w, "/* Initialisers (LANGUAGE.md).  Random numbers: splitmix64 seeded with the seed");
    emit(w, " * xor the FNV-1a hash of the parameter's name, so every parameter has its own");
    emit(w, " * stream; uniform draws take the top 24 bits; normal draws use Box-Muller. */");
    emit(w, "static unsigned long long netc_next(unsigned long long *st)");
    emit(w, "{");
    emit(w, "unsigned long long z = (*st += 0x9E3779B97F4A7C15ULL);");
    emit(w, "z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;");
    emit(w, "z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;");
    emit(w, "return z ^ (z >> 31);");
    emit(w, "}");
    emit(w, "static float netc_uniform01(unsigned long long *st) /* in (0, 1) */");
    emit(w, "{");
    emit(w, "return ((float)(netc_next(st) >> 40) + 0.5f) * (1.0f / 16777216.0f);");
    emit(w, "}");
    emit(w, "static void netc_fill(float *restrict p, int n, unsigned long long seed, unsigned long long name_hash, int kind, float a, float b)");
    emit(w, "{");
    emit(w, "unsigned long long st = seed ^ name_hash;");
    emit(w, "for (int i = 0; i < n; i++) {");
    emit(w, "if (kind == 0) p[i] = a;");
    emit(w, "else if (kind == 1) p[i] = a + (b - a) * netc_uniform01(&st);");
    emit(w, "else {");
    emit(w, "const float u1 = netc_uniform01(&st), u2 = netc_uniform01(&st);");
    emit(w, "p[i] = a * NETC_SQRTF(-2.0f * NETC_LOGF(u1)) * NETC_COSF(6.28318531f * u2);");
    emit(w, "}");
    emit(w, "}");
    emit(w, "}");
    emit_raw(w, "\n");
    emit(w, "void %s_init(%s_state *s, unsigned long long seed)", c->name, c->name);
    emit(w, "{");
    for (int i = 0; i < s->nparams; i++) {
        const Param *p = &s->params[i];
        const Layer *L = p->L;
        int kind = 0;
        double a = 0, b = 0;
        if (p->role == P_RUNNING_MEAN) a = 0;
        else if (p->role == P_RUNNING_VAR) a = 1;
        else {
            Init init = L->a[p->role == P_WEIGHT ? A_WEIGHT_INIT : A_BIAS_INIT].init;
            const Param *wp = p->role == P_WEIGHT ? p : &s->params[i - 1];
            double fi, fo;
            fan(wp, &fi, &fo);
            double n = init.norm == VN_IN ? fi : init.norm == VN_OUT ? fo : (fi + fo) / 2;
            switch (init.kind) {
            case INIT_XAVIER: kind = 1; a = -sqrt(3.0 / n); b = -a; break;
            case INIT_MSRA: kind = 2; a = sqrt(2.0 / n); break;
            case INIT_CONST: kind = 0; a = init.a; break;
            case INIT_NORMAL: kind = 2; a = init.a; break;
            case INIT_UNIFORM: kind = 1; a = init.a; b = init.b; break;
            }
        }
        unsigned long long h = 1469598103934665603ULL;
        for (const char *q = p->name; *q; q++) { h ^= (unsigned char)*q; h *= 1099511628211ULL; }
        char fa[48], fb[48];
        emit(w, "netc_fill(s->params + %lld, %lld, seed, 0x%016llXULL, %d, %s, %s); /* %s */", LL(p->offset), LL(p->count),
             h, kind, flit(fa, sizeof fa, a), flit(fb, sizeof fb, b), p->name);
    }
    if (!s->nparams) emit(w, "(void)s; (void)seed;");
    emit(w, "}");
    emit_raw(w, "\n");
}

static void print_header(Ctx *c, Emitter *h) {
    const Schedule *s = c->s;
    const Net *net = s->net;
    const char *nm = c->name;
    char up[256];
    size_t i;
    for (i = 0; nm[i] && i < sizeof up - 1; i++) up[i] = (char)(nm[i] >= 'a' && nm[i] <= 'z' ? nm[i] - 32 : nm[i]);
    up[i] = 0;
    emit(h, "/* %s.h — generated by netc %s from %s.  Do not edit. */", nm, NETC_VERSION, net->loc.src ? net->loc.src->path : "?");
    emit(h, "#ifndef %s_H", up);
    emit(h, "#define %s_H", up);
    emit_raw(h, "\n");
    emit(h, "#ifndef NETC_MODEL_DEFINED");
    emit(h, "#define NETC_MODEL_DEFINED");
    emit(h, "typedef struct netc_tensor {");
    emit(h, "const char *name;");
    emit(h, "int rank;");
    emit(h, "long shape[8];");
    emit(h, "long count;");
    emit(h, "} netc_tensor;");
    emit(h, "typedef struct netc_model {");
    emit(h, "const char *name;");
    emit(h, "int batch;");
    emit(h, "int layout;                      /* 0 = nchw, 1 = nhwc */");
    emit(h, "unsigned long state_bytes;");
    emit(h, "int ninputs, noutputs, nparams;");
    emit(h, "const netc_tensor *inputs, *outputs, *params;");
    emit(h, "void (*init)(void *state, unsigned long long seed);");
    emit(h, "void (*run)(void *state, const float *const *inputs, float *const *outputs);");
    emit(h, "float *(*param)(void *state, int i);");
    emit(h, "} netc_model;");
    emit(h, "#endif");
    emit_raw(h, "\n");
    int64_t P = (s->param_floats + 15) / 16 * 16, A = (s->arena_floats + 15) / 16 * 16;
    if (P == 0) P = 16;
    if (A == 0) A = 16;
    emit(h, "#define %s_BATCH %lld", up, LL(net->batch));
    emit(h, "#define %s_PARAM_FLOATS %lld   /* parameters and running statistics */", up, LL(s->param_floats));
    emit(h, "#define %s_ARENA_FLOATS %lld   /* activations and scratch, shared by liveness */", up, LL(s->arena_floats));
    emit(h, "#define %s_STATE_BYTES %lldu", up, LL(4 * (P + A)));
    emit_raw(h, "\n");
    emit(h, "#ifndef NETC_ALIGN");
    emit(h, "#if defined(__GNUC__)");
    emit(h, "#define NETC_ALIGN __attribute__((aligned(64)))");
    emit(h, "#else");
    emit(h, "#define NETC_ALIGN");
    emit(h, "#endif");
    emit(h, "#endif");
    emit_raw(h, "\n");
    emit(h, "/* All memory the network uses: no heap.  Place it statically or anywhere. */");
    emit(h, "typedef struct %s_state {", nm);
    emit(h, "float params[%lld] NETC_ALIGN;", LL(P));
    emit(h, "float arena[%lld] NETC_ALIGN;", LL(A));
    emit(h, "} %s_state;", nm);
    emit_raw(h, "\n");
    emit(h, "/* Parameters from the initialisers of the .net file, seeded. */");
    emit(h, "void %s_init(%s_state *s, unsigned long long seed);", nm, nm);
    char args[2048] = "";
    for (int j = 0; j < s->inputs.n; j++) {
        const Layer *L = s->inputs.v[j];
        snprintf(args + strlen(args), sizeof args - strlen(args), ", const float *in_%s", L->name);
    }
    for (int j = 0; j < net->outputs.n; j++) {
        const Layer *L = net->outputs.v[j];
        snprintf(args + strlen(args), sizeof args - strlen(args), ", float *out_%s", L->name);
    }
    emit(h, "/* One forward pass over %lld samples; arrays in %s layout, float32:", LL(net->batch), net->layout == LAYOUT_NHWC ? "nhwc" : "nchw");
    for (int j = 0; j < s->inputs.n; j++) {
        const Layer *L = s->inputs.v[j];
        int64_t sh[8];
        int r = iface_shape(net, L, sh);
        char b[128] = "";
        for (int q = 0; q < r; q++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", q ? ", " : "", LL(sh[q]));
        emit(h, " *   in_%s  [%s]", L->name, b);
    }
    for (int j = 0; j < net->outputs.n; j++) {
        const Layer *L = net->outputs.v[j];
        int64_t sh[8];
        int r = iface_shape(net, L, sh);
        char b[128] = "";
        for (int q = 0; q < r; q++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", q ? ", " : "", LL(sh[q]));
        emit(h, " *   out_%s [%s]", L->name, b);
    }
    emit(h, " */");
    emit(h, "void %s_forward(%s_state *s%s);", nm, nm, args);
    emit(h, "/* Parameter i of %s_model.params, in PyTorch's layout. */", nm);
    emit(h, "float *%s_param(%s_state *s, int i);", nm, nm);
    emit(h, "extern const netc_model %s_model;", nm);
    emit_raw(h, "\n");
    emit(h, "#endif");
}

static void print_tensor_table(Emitter *w, const char *var, const Net *net, PtrVec *layers) {
    emit(w, "static const netc_tensor %s[] = {", var);
    for (int j = 0; j < layers->n; j++) {
        const Layer *L = layers->v[j];
        int64_t sh[8];
        int r = iface_shape(net, L, sh);
        char b[160] = "";
        int64_t cnt = 1;
        for (int q = 0; q < r; q++) { snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", q ? ", " : "", LL(sh[q])); cnt *= sh[q]; }
        emit(w, "{\"%s\", %d, {%s}, %lld},", L->name, r, b, LL(cnt));
    }
    if (!layers->n) emit(w, "{0, 0, {0}, 0},");
    emit(w, "};");
}

void print_c(const Schedule *s, Arena *a, Emitter *h, Emitter *src) {
    Emitter kern = {0}, gem = {0};
    Ctx c = {.w = &kern, .g = &gem, .s = s, .name = s->net->name, .a = a};
    const Net *net = s->net;
    for (int i = 0; i < s->nk; i++) print_kernel(&c, &s->k[i]);
    print_header(&c, h);

    Emitter *w = src;
    emit(w, "/* %s.c — generated by netc %s from %s.  Do not edit.", c.name, NETC_VERSION, net->loc.src ? net->loc.src->path : "?");
    emit(w, " * Network '%s': batch %lld, layout %s, %lld parameter floats, %lld arena floats. */", c.name, LL(net->batch),
         net->layout == LAYOUT_NHWC ? "nhwc" : "nchw", LL(s->param_floats), LL(s->arena_floats));
    emit(w, "#include <math.h>");
    emit(w, "#include <string.h>");
    emit(w, "#include \"%s.h\"", c.name);
    emit_raw(w, "\n");
    emit(w, "/* Math and memory functions, overridable for targets with their own. */");
    static const char *const fns[][2] = {{"NETC_EXPF", "expf"}, {"NETC_EXPM1F", "expm1f"}, {"NETC_LOGF", "logf"},
                                         {"NETC_LOG1PF", "log1pf"}, {"NETC_TANHF", "tanhf"}, {"NETC_SQRTF", "sqrtf"},
                                         {"NETC_COSF", "cosf"}, {"netc_memcpy", "memcpy"}, {"netc_memset", "memset"},
                                         {"NETC_HUGE", "HUGE_VALF"}};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        emit(w, "#ifndef %s", fns[i][0]);
        emit(w, "#define %s %s", fns[i][0], fns[i][1]);
        emit(w, "#endif");
    }
    emit_raw(w, "\n");
    emit_raw(w, gem.buf ? gem.buf : "");
    emit_raw(w, kern.buf ? kern.buf : "");
    c.w = w;
    print_init(&c);
    /* forward */
    char args[2048] = "";
    for (int j = 0; j < s->inputs.n; j++) snprintf(args + strlen(args), sizeof args - strlen(args), ", const float *in_%s", ((Layer *)s->inputs.v[j])->name);
    for (int j = 0; j < net->outputs.n; j++) snprintf(args + strlen(args), sizeof args - strlen(args), ", float *out_%s", ((Layer *)net->outputs.v[j])->name);
    emit(w, "void %s_forward(%s_state *s%s)", c.name, c.name, args);
    emit(w, "{");
    for (int j = 0; j < s->inputs.n; j++) {
        const Layer *L = s->inputs.v[j];
        print_copy(&c, L, buf_off(s, s->value_buf[L->id]), arena_printf(a, "in_%s", L->name), true);
    }
    for (int i = 0; i < s->nk; i++) emit(w, "layer_%s(s);", s->k[i].L->name);
    for (int j = 0; j < net->outputs.n; j++) {
        const Layer *L = net->outputs.v[j];
        print_copy(&c, L, buf_off(s, s->value_buf[L->id]), arena_printf(a, "out_%s", L->name), false);
    }
    emit(w, "}");
    emit_raw(w, "\n");
    emit(w, "float *%s_param(%s_state *s, int i)", c.name, c.name);
    emit(w, "{");
    emit(w, "static const long offset[] = {");
    for (int i = 0; i < s->nparams; i++) emit(w, "%lld, /* %s */", LL(s->params[i].offset), s->params[i].name);
    if (!s->nparams) emit(w, "0");
    emit(w, "};");
    emit(w, "return i >= 0 && i < %d ? s->params + offset[i] : 0;", s->nparams);
    emit(w, "}");
    emit_raw(w, "\n");
    /* descriptor */
    print_tensor_table(w, "inputs_", net, (PtrVec *)&s->inputs);
    print_tensor_table(w, "outputs_", net, (PtrVec *)&net->outputs);
    emit(w, "static const netc_tensor params_[] = {");
    for (int i = 0; i < s->nparams; i++) {
        const Param *p = &s->params[i];
        char b[160] = "";
        for (int q = 0; q < p->rank; q++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", q ? ", " : "", LL(p->shape[q]));
        emit(w, "{\"%s\", %d, {%s}, %lld},", p->name, p->rank, b, LL(p->count));
    }
    if (!s->nparams) emit(w, "{0, 0, {0}, 0},");
    emit(w, "};");
    emit(w, "static void init_(void *s, unsigned long long seed) { %s_init((%s_state *)s, seed); }", c.name, c.name);
    char call[2048] = "";
    int k = 0;
    for (int j = 0; j < s->inputs.n; j++, k++) snprintf(call + strlen(call), sizeof call - strlen(call), ", in[%d]", j);
    for (int j = 0; j < net->outputs.n; j++) snprintf(call + strlen(call), sizeof call - strlen(call), ", out[%d]", j);
    emit(w, "static void run_(void *s, const float *const *in, float *const *out)");
    emit(w, "{");
    if (!s->inputs.n) emit(w, "(void)in;");
    emit(w, "%s_forward((%s_state *)s%s);", c.name, c.name, call);
    emit(w, "}");
    emit(w, "static float *param_(void *s, int i) { return %s_param((%s_state *)s, i); }", c.name, c.name);
    emit(w, "const netc_model %s_model = {", c.name);
    emit(w, "\"%s\", %lld, %d, sizeof(%s_state),", c.name, LL(net->batch), net->layout == LAYOUT_NHWC ? 1 : 0, c.name);
    emit(w, "%d, %d, %d,", s->inputs.n, net->outputs.n, s->nparams);
    emit(w, "inputs_, outputs_, params_,");
    emit(w, "init_, run_, param_,");
    emit(w, "};");
    emit_free(&kern);
    emit_free(&gem);
}
