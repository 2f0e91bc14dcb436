/*
 * lower.c — from a checked Net to a Schedule: one kernel per layer in source
 * order, stride phases and taps for the convolutions, GEMM sizes, the parameter
 * table in PyTorch's names and layouts, and a static memory plan in which
 * activation buffers share memory by liveness (first fit, largest first).
 */
#include "schedule.h"

#include <stdlib.h>
#include <string.h>

static int new_buf(Arena *a, Schedule *s, int64_t floats, int first) {
    if (s->nbufs % 64 == 0) {
        Buf *b = arena_alloc(a, sizeof(Buf) * (size_t)(s->nbufs + 64));
        if (s->nbufs) memcpy(b, s->bufs, sizeof(Buf) * (size_t)s->nbufs);
        s->bufs = b;
    }
    Buf *b = &s->bufs[s->nbufs];
    b->floats = floats;
    b->first = b->last = first;
    b->alias = -1;
    return s->nbufs++;
}

static int root(Schedule *s, int b) { while (s->bufs[b].alias >= 0) b = s->bufs[b].alias; return b; }

static void use_buf(Schedule *s, int b, int step) {
    b = root(s, b);
    if (s->bufs[b].last < step) s->bufs[b].last = step;
}

static int add_param(Arena *a, Schedule *s, Layer *L, ParamRole role, const char *suffix, int rank, const int64_t *shape) {
    if (s->nparams % 32 == 0) {
        Param *p = arena_alloc(a, sizeof(Param) * (size_t)(s->nparams + 32));
        if (s->nparams) memcpy(p, s->params, sizeof(Param) * (size_t)s->nparams);
        s->params = p;
    }
    Param *p = &s->params[s->nparams];
    p->name = arena_printf(a, "%s.%s", L->name, suffix);
    p->L = L;
    p->role = role;
    p->rank = rank;
    p->count = 1;
    for (int i = 0; i < rank; i++) { p->shape[i] = shape[i]; p->count *= shape[i]; }
    p->offset = s->param_floats;
    p->trainable = role == P_WEIGHT || role == P_BIAS;
    s->param_floats += p->count;
    return s->nparams++;
}

/* Stride phases of a transposed convolution (see schedule.h); a convolution is
 * one phase holding every tap. */
int geom_phases(Arena *a, const ConvGeom *g, bool transposed, Phase **out) {
    int nsp = g->nsp;
    int64_t kvol = 1;
    for (int i = 0; i < nsp; i++) kvol *= g->k[i];
    if (!transposed) {
        Phase *ph = arena_alloc(a, sizeof(Phase));
        ph->qtot = 1;
        for (int i = 0; i < nsp; i++) { ph->nq[i] = g->out[i]; ph->qtot *= g->out[i]; }
        ph->taps = arena_alloc(a, sizeof(PhaseTap) * (size_t)kvol);
        for (int64_t t = 0; t < kvol; t++) {
            PhaseTap tp = {.index = t};
            int64_t rr = t;
            for (int i = nsp - 1; i >= 0; i--) { tp.t[i] = rr % g->k[i]; rr /= g->k[i]; }
            ph->taps[ph->ntaps++] = tp;
        }
        ph->K = kvol * (g->cin / g->groups);
        *out = ph;
        return 1;
    }
    int64_t nph = 1;
    for (int i = 0; i < nsp; i++) nph *= g->s[i];
    Phase *phases = arena_alloc(a, sizeof(Phase) * (size_t)nph);
    int n = 0;
    for (int64_t p = 0; p < nph; p++) {
        Phase ph = {0};
        int64_t r = p;
        for (int i = nsp - 1; i >= 0; i--) { ph.ph[i] = r % g->s[i]; r /= g->s[i]; }
        ph.qtot = 1;
        for (int i = 0; i < nsp; i++) {
            /* outputs o in [0, out) with (o + pb) % s == ph: o = q*s + ph - pb */
            int64_t s = g->s[i], lo = g->pb[i] - ph.ph[i], hi = g->out[i] - 1 + g->pb[i] - ph.ph[i];
            int64_t q0 = lo <= 0 ? 0 : (lo + s - 1) / s;
            int64_t q1 = hi < 0 ? -1 : hi / s;
            ph.q0[i] = q0;
            ph.nq[i] = q1 >= q0 ? q1 - q0 + 1 : 0;
            ph.qtot *= ph.nq[i];
        }
        if (ph.qtot == 0) continue;
        ph.taps = arena_alloc(a, sizeof(PhaseTap) * (size_t)kvol);
        for (int64_t t = 0; t < kvol; t++) {
            PhaseTap tp = {.index = t};
            int64_t rr = t;
            bool ok = true;
            for (int i = nsp - 1; i >= 0; i--) {
                tp.t[i] = rr % g->k[i];
                rr /= g->k[i];
                int64_t td = tp.t[i] * g->dil[i];
                if (td % g->s[i] != ph.ph[i]) ok = false;
                /* o + pb = (q0 + q) * s + ph; input i = (o + pb - t*d) / s = q0 + q - (t*d - ph) / s */
                tp.delta[i] = (td - ph.ph[i]) / g->s[i] - ph.q0[i];
            }
            if (ok) ph.taps[ph.ntaps++] = tp;
        }
        ph.K = ph.ntaps * (g->cin / g->groups);
        phases[n++] = ph;
    }
    *out = phases;
    return n;
}

static void plan_memory(Schedule *s) {
    int n = s->nbufs;
    int *order = malloc(sizeof(int) * (size_t)(n + 1));
    int m = 0;
    for (int i = 0; i < n; i++) if (s->bufs[i].alias < 0) order[m++] = i;
    /* largest first, then by start */
    for (int i = 1; i < m; i++) {
        int b = order[i], j = i;
        while (j > 0 && (s->bufs[order[j - 1]].floats < s->bufs[b].floats)) { order[j] = order[j - 1]; j--; }
        order[j] = b;
    }
    int64_t top = 0;
    for (int i = 0; i < m; i++) {
        Buf *b = &s->bufs[order[i]];
        /* first fit among the placed buffers whose lifetime overlaps */
        int64_t off = 0;
        bool moved = true;
        while (moved) {
            moved = false;
            for (int j = 0; j < i; j++) {
                Buf *o = &s->bufs[order[j]];
                if (o->last < b->first || b->last < o->first) continue;
                if (off < o->offset + o->floats && o->offset < off + b->floats) {
                    off = o->offset + o->floats;
                    off = (off + 15) / 16 * 16;      /* 64-byte alignment */
                    moved = true;
                }
            }
        }
        b->offset = off;
        if (off + b->floats > top) top = off + b->floats;
    }
    for (int i = 0; i < n; i++) if (s->bufs[i].alias >= 0) s->bufs[i].offset = s->bufs[root(s, i)].offset;
    s->arena_floats = top;
    free(order);
}

/* The largest divisor of nb whose im2col chunk fits CONV_CHUNK_FLOATS, or on the
 * host twice that when the weights (fg x K) are CONV_WIDE_PACK floats or more: they
 * stream from beyond L2 once per chunk, so wider chunks halve that traffic (DCGAN
 * 4x4's input gradient, 8 MB of weights over 32 columns a chunk: 0.96 of the time
 * at 64; at 128, 1.28). */
static int64_t chunk_of(const Phase *ph, int64_t nb, int64_t fg, bool compact) {
    int64_t limit = !compact && fg * ph->K >= CONV_WIDE_PACK ? 2 * CONV_CHUNK_FLOATS : CONV_CHUNK_FLOATS;
    for (int64_t d = nb; d > 1; d--)
        if (nb % d == 0 && ph->K * d * ph->qtot <= limit) return d;
    return 1;
}

/* The samples per chunk of a gathered weight gradient: the largest divisor of nb
 * whose transposed im2col (rows of pad_rows(K) floats) fits CONV_DW_CHUNK_FLOATS,
 * but at least enough samples for `depth` of GEMM depth (each chunk reads and
 * writes all of dW, which for a large layer is megabytes). */
static int64_t conv_dw_chunk(const Phase *ph, int64_t nb, int64_t depth) {
    int64_t fit = 1, deep = nb;
    for (int64_t d = nb; d > 1; d--)
        if (nb % d == 0 && pad_rows(ph->K) * d * ph->qtot <= CONV_DW_CHUNK_FLOATS) { fit = d; break; }
    for (int64_t d = 1; d <= nb; d++)
        if (nb % d == 0 && d * ph->qtot >= depth) { deep = d; break; }
    return fit > deep ? fit : deep;
}

static bool is_direct(const Phase *ph, int64_t fg) { return fg <= CONV_DIRECT_MAX_FG && ph->ntaps <= 64; }

int64_t tap_offset(const ConvGeom *g, bool tr, const PhaseTap *t, int i) {
    return tr ? -t->delta[i] : t->t[i] * g->dil[i] - g->pb[i];
}

void tap_range(const ConvGeom *g, bool tr, const Phase *ph, int j, int i, int64_t r0, int64_t *lo, int64_t *hi) {
    const PhaseTap *t = &ph->taps[j];
    int64_t sh = i == 0 ? r0 : 0, h;
    if (tr) {
        /* x row q + sh - delta in [0, in) */
        *lo = t->delta[i] - sh > 0 ? t->delta[i] - sh : 0;
        h = g->in[i] + t->delta[i] - sh;
    } else {
        /* x row (q + sh) * s + a in [0, in) */
        int64_t a = t->t[i] * g->dil[i] - g->pb[i] + sh * g->s[i], st = g->s[i];
        *lo = a >= 0 ? 0 : (-a + st - 1) / st;
        h = (g->in[i] - 1 - a) < 0 ? 0 : (g->in[i] - 1 - a) / st + 1;
    }
    *hi = h < ph->nq[i] ? h : ph->nq[i];
    if (*hi < 0) *hi = 0;
}

Phase conv_row_view(const Phase *ph, int64_t R) {
    Phase v = *ph;
    if (R > 0) {
        v.qtot = ph->qtot / ph->nq[0] * R;
        v.nq[0] = R;
    }
    return v;
}

/* Whether every tap of ph covers all rows of every middle block of R rows (blocks
 * 1 .. N0 / R - 2, which share one body). */
static bool middle_rows_full(const ConvGeom *g, bool tr, const Phase *ph, int64_t R) {
    int64_t N0 = ph->nq[0];
    Phase v = conv_row_view(ph, R);
    for (int j = 0; j < v.ntaps; j++)
        for (int64_t r0 = R; r0 <= N0 - 2 * R; r0 += N0 - 3 * R > 0 ? N0 - 3 * R : 1) {
            int64_t lo, hi;
            tap_range(g, tr, &v, j, 0, r0, &lo, &hi);
            if (lo != 0 || hi != R) return false;
        }
    return true;
}

/* The largest proper divisor R of N0 whose R rows of row_floats fit `limit`
 * floats; 0 if none. */
static int64_t block_rows(int64_t N0, int64_t row_floats, int64_t limit) {
    for (int64_t R = N0 / 2; R >= 1; R--)
        if (N0 % R == 0 && R * row_floats <= limit) return R;
    return 0;
}

/* Row blocks of a weight gradient (see conv_rows): when one sample's transposed
 * im2col is over CONV_DW_CHUNK_FLOATS, R the largest proper divisor of the first
 * axis whose transposed im2col fits, and at least CONV_DW_MIN_DEPTH deep; 0
 * otherwise.  g and ph: the im2col's convolution (TrainStep.wg, wph). */
static int64_t conv_dw_rows(const ConvGeom *g, const Phase *ph, int64_t nb) {
    int64_t N0 = ph->nq[0], rest = ph->qtot / (N0 > 0 ? N0 : 1);
    /* (taps unrolled: a tap loop tests absolute positions, which a block's shifted
     * pointers would break) */
    if (conv_dw_chunk(ph, nb, CONV_DW_MIN_DEPTH) != 1 || pad_rows(ph->K) * ph->qtot <= CONV_DW_CHUNK_FLOATS || N0 < 2 || ph->ntaps > 64) return 0;
    int64_t R = block_rows(N0, pad_rows(ph->K) * rest, CONV_DW_CHUNK_FLOATS);
    return R && R * rest >= CONV_DW_MIN_DEPTH && middle_rows_full(g, false, ph, R) ? R : 0;
}

/* The taps of a weight gradient's im2col that read input at flattened position p. */
static uint64_t dw_position_taps(const ConvGeom *wg, const Phase *wph, int64_t p) {
    int64_t q[MAX_SPATIAL];
    for (int i = wg->nsp - 1; i >= 0; i--) { q[i] = p % wph->nq[i]; p /= wph->nq[i]; }
    uint64_t m = 0;
    for (int j = 0; j < wph->ntaps; j++) {
        bool ok = true;
        for (int i = 0; i < wg->nsp && ok; i++) {
            int64_t lo, hi;
            tap_range(wg, false, wph, j, i, 0, &lo, &hi);
            ok = q[i] >= lo && q[i] < hi;
        }
        if (ok) m |= 1ull << j;
    }
    return m;
}

int conv_dw_classes(const ConvGeom *wg, const Phase *wph, int64_t *pos, int64_t *cb, uint64_t *cmask) {
    int64_t cnt[DW_MAX_CLASSES] = {0};
    int nc = 0;
    for (int64_t p = 0; p < wph->qtot; p++) {
        uint64_t m = dw_position_taps(wg, wph, p);
        int k = 0;
        while (k < nc && cmask[k] != m) k++;
        if (k == nc) {
            if (nc == DW_MAX_CLASSES) return -1;
            cmask[nc++] = m;
        }
        cnt[k]++;
    }
    int64_t b = 0;
    for (int k = 0; k < nc; k++) { cb[k] = b; b += cnt[k]; }
    cb[nc] = b;
    if (pos) {
        int64_t at[DW_MAX_CLASSES];
        memcpy(at, cb, sizeof at);
        for (int64_t p = 0; p < wph->qtot; p++) {
            uint64_t m = dw_position_taps(wg, wph, p);
            int k = 0;
            while (cmask[k] != m) k++;
            pos[at[k]++] = p;
        }
    }
    return nc;
}

/* A weight gradient that can sum each tap over only the positions where it reads
 * input (see ConvDw.ranged): one group of a multiple of 64 source channels (a
 * 64-column block of the GEMM lies in one tap), at most 64 taps and
 * DW_MAX_CLASSES classes, and taps on the padding at least CONV_DW_RANGED_MIN_PCT
 * of the multiply-adds. */
bool conv_dw_ranged(const ConvGeom *wg, const Phase *wph) {
    if (wg->groups != 1 || wg->cin % 64 != 0 || wph->ntaps > 64 || wph->ntaps < 2) return false;
    int64_t cb[DW_MAX_CLASSES + 1], valid = 0;
    uint64_t cmask[DW_MAX_CLASSES];
    int nc = conv_dw_classes(wg, wph, NULL, cb, cmask);
    if (nc < 0) return false;
    for (int k = 0; k < nc; k++) valid += __builtin_popcountll(cmask[k]) * (cb[k + 1] - cb[k]);
    return (wph->ntaps * wph->qtot - valid) * 100 >= CONV_DW_RANGED_MIN_PCT * wph->ntaps * wph->qtot;
}

/* The direct weight gradient's cost in vector operations (see ConvDw): a multiply-add
 * per row of A, tap and vector of positions (16 along the last axis, the last one
 * partly masked; two rows of 8 a vector), and DW_HSUM_OPS to add each sum's lanes.
 * conv_dw weighs it against the GEMM path's: its vector multiply-adds and the
 * transposed im2col's floats. */
enum { DW_HSUM_OPS = 6 };
static int64_t dw_direct_cost(const ConvGeom *wg, const Phase *wph, int64_t nb, int64_t R) {
    int64_t nqL = wph->nq[wg->nsp - 1], rows = wph->qtot / nqL;
    int64_t vecs = dw_direct_paired(wg, wph) ? (rows + 1) / 2 : rows * ((nqL + VEC_W - 1) / VEC_W);
    return wph->K * nb * vecs * R + DW_HSUM_OPS * R * wph->K;
}

ConvDw conv_dw(const ConvGeom *wg, const Phase *wph, int64_t nb, int64_t R, bool compact) {
    ConvDw d = {0};
    int64_t K = wph->K, KP = pad_rows(K);
    d.rows = conv_dw_rows(wg, wph, nb);
    d.ranged = !compact && !d.rows && conv_dw_ranged(wg, wph);
    d.in_place = !d.ranged && (d.rows || wph->qtot >= CONV_DW_MIN_DEPTH);
    /* a host plan's dW of CONV_DW_DEEP_FLOATS or more: chunks twice as deep, each
     * visit of dW's blocks amortised over twice the multiply-adds (DCGAN 4x4's
     * weight gradient, 8 MB: 0.86 of the time with its GEMM's KC as deep) */
    int64_t depth = !compact && R * K >= CONV_DW_DEEP_FLOATS ? 2 * CONV_DW_MIN_DEPTH : CONV_DW_MIN_DEPTH;
    d.nbw = d.in_place ? 1 : conv_dw_chunk(wph, nb, depth);
    d.in_place |= !d.ranged && d.nbw == 1;   /* a chunk of one sample: gathering A would copy it as it lies */
    d.units = d.rows ? nb * (wph->nq[0] / d.rows) : nb / d.nbw;
    d.NQ = d.rows ? conv_row_view(wph, d.rows).qtot : d.nbw * wph->qtot;
    /* column chunks of an in-place plan whose colT is over CONV_DW_COLS_FLOATS:
     * the most source channels (a proper divisor of them, with whole vectors of
     * columns, at least CONV_DW_COLS_MIN) whose columns fit it */
    d.kc = K;
    if (!compact && d.in_place && wg->groups == 1 && KP * d.NQ > CONV_DW_COLS_FLOATS)
        for (int64_t c = wg->cin / 2; c >= 1; c--)
            if (wg->cin % c == 0 && c * wph->ntaps % VEC_W == 0 && c * wph->ntaps >= CONV_DW_COLS_MIN &&
                c * wph->ntaps * d.NQ <= CONV_DW_COLS_FLOATS) {
                d.kc = c * wph->ntaps;
                break;
            }
    d.colT = pad_rows(d.kc) * d.NQ;
    d.A = d.in_place ? 0 : R * d.NQ;
    d.part = R * K;
    d.parts = 1;
    if (!compact && d.in_place && R * K * wph->qtot * nb >= CONV_PARALLEL_MACS)
        while (d.parts * 2 <= CONV_SLOTS && d.parts * 2 <= d.units && (2 * d.parts - 1) * d.part <= CONV_DW_PART_FLOATS) d.parts *= 2;
    d.direct = !compact && R <= CONV_DW_DIRECT_MAX_R && R * K * wph->qtot * nb < CONV_PARALLEL_MACS && wph->ntaps <= 64 &&
               wg->s[wg->nsp - 1] <= 2 && dw_direct_cost(wg, wph, nb, R) <= R * K * wph->qtot * nb / 16 + K * wph->qtot * nb;
    d.ct = d.ranged ? R * K : 0;
    d.scratch = d.parts * d.colT + d.A + (d.parts - 1) * d.part + d.ct;
    int64_t svol = 1;   /* the source's positions; colT holds each of them ntaps * qtot / svol times */
    for (int i = 0; i < wg->nsp; i++) svol *= wg->in[i];
    d.bcast = !compact && !d.direct && wg->groups == 1 && R % 16 == 0 && wg->cin % 8 == 0 && wph->ntaps <= 64 &&
              wph->nq[wg->nsp - 1] >= CONV_DW_BCAST_MIN_ROW && wph->ntaps * wph->qtot >= 2 * svol;
    if (d.bcast) {   /* the most samples whose AT fits CONV_DW_BCAST_FLOATS (at least one) */
        d.bnb = 1;
        for (int64_t b = nb; b > 1; b--)
            if (nb % b == 0 && b * wph->qtot * R <= CONV_DW_BCAST_FLOATS) {
                d.bnb = b;
                break;
            }
        /* one sample over it: blocks of the most rows (of axis 0, a proper divisor)
         * that fit, every tap missing only rows of the first or the last block */
        int64_t n0 = wph->nq[0], rest = wph->qtot / n0;
        for (int64_t b = n0 / 2; wg->nsp > 1 && wph->qtot * R > CONV_DW_BCAST_FLOATS && b >= 1 && !d.brows; b--) {
            bool ok = n0 % b == 0 && b * rest * R <= CONV_DW_BCAST_FLOATS;
            for (int j = 0; j < wph->ntaps && ok; j++) {
                int64_t lo, hi;
                tap_range(wg, false, wph, j, 0, 0, &lo, &hi);
                ok = lo <= b && hi >= n0 - b;
            }
            if (ok) d.brows = b;
        }
        d.bat = d.bnb * (d.brows ? d.brows * rest : wph->qtot) * R;
        if (d.bat + R * K > d.scratch) d.scratch = d.bat + R * K;   /* AT, then Ct (R x K, as ct) */
    }
    return d;
}

static ConvImplicit implicit_at(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nbk, int64_t R, bool compact);

/* Row blocks of a call (see schedule.h): the implicit GEMM's when it takes blocks
 * of CONV_IMPLICIT_ROW_FLOATS, else im2col's; nbk: the call's sample chunk. */
static int64_t conv_rows(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nbk, bool compact) {
    int64_t fg = g->cout / g->groups, N0 = -1, row_floats = 0;
    bool big = false;
    if (nbk != 1) return 0;
    for (int p = 0; p < n; p++) {
        if (ph[p].ntaps == 0 || is_direct(&ph[p], fg)) continue;
        if (ph[p].ntaps > 64) return 0;     /* the tap loop (see conv_dw_rows) */
        if (N0 < 0) N0 = ph[p].nq[0];
        else if (ph[p].nq[0] != N0) return 0;
        if (ph[p].K * ph[p].qtot > CONV_CHUNK_FLOATS) big = true;
        if (ph[p].K * (ph[p].qtot / N0) > row_floats) row_floats = ph[p].K * (ph[p].qtot / N0);
    }
    if (N0 < 2 || !big) return 0;
    int64_t R = 0;
    for (int pass = 0; pass < 2 && !R; pass++) {   /* the implicit GEMM's blocks, then im2col's */
        R = block_rows(N0, row_floats, pass ? CONV_CHUNK_FLOATS : CONV_IMPLICIT_ROW_FLOATS);
        for (int p = 0; p < n && R; p++)
            if (ph[p].ntaps > 0 && !is_direct(&ph[p], fg) && !middle_rows_full(g, tr, &ph[p], R)) R = 0;
        if (!pass && R && !implicit_at(g, tr, ph, n, nbk, R, compact).vol) R = 0;
    }
    return R;
}

/* The packed weights: one group and phase at a time when the call is one chunk,
 * every group and phase when it has several (of samples or rows). */
static int64_t conv_pack_floats(const ConvGeom *g, const Phase *ph, int n, bool chunked) {
    int64_t fg = g->cout / g->groups, f = 0, sum = 0;
    for (int p = 0; p < n; p++)
        if (ph[p].ntaps > 0 && !is_direct(&ph[p], fg)) {
            if (fg * ph[p].K > f) f = fg * ph[p].K;
            sum += g->groups * fg * ph[p].K;
        }
    return chunked ? sum : f;
}

int64_t conv_nbk(const Phase *ph, int n, int64_t nb, int64_t fg, bool compact) {
    int64_t nbk = nb;
    for (int p = 0; p < n; p++) {
        if (ph[p].ntaps == 0 || is_direct(&ph[p], fg)) continue;
        int64_t d = chunk_of(&ph[p], nb, fg, compact);
        if (d < nbk) nbk = d;
    }
    return nbk;
}

bool conv_interleaved(const ConvGeom *g, const Phase *ph, int n, bool compact) {
    int64_t fg = g->cout / g->groups;
    if (compact || n < 2 || n > CONV_INTERLEAVE_MAX || g->s[g->nsp - 1] < 2) return false;
    for (int p = 0; p < n; p++) {
        if (ph[p].ntaps == 0 || is_direct(&ph[p], fg)) return false;
        for (int i = 0; i < g->nsp; i++) if (ph[p].nq[i] != ph[0].nq[i]) return false;
    }
    return true;
}

bool conv_phase_pairs(const ConvGeom *g, const Phase *ph, int n, int *pair) {
    int L = g->nsp - 1;
    if (n < 2 || n > CONV_INTERLEAVE_MAX || g->s[L] != 2) return false;
    bool second[CONV_INTERLEAVE_MAX] = {false};
    for (int p = 0; p < n; p++) {
        pair[p] = -1;   /* the phase whose outputs follow p's along the last axis */
        for (int r = 0; r < n; r++) {
            bool next = r != p;
            for (int i = 0; i <= L && next; i++) {
                int64_t op = ph[p].q0[i] * g->s[i] + ph[p].ph[i], orr = ph[r].q0[i] * g->s[i] + ph[r].ph[i];
                next = ph[p].nq[i] == ph[r].nq[i] && (i < L ? op == orr : orr == op + 1);
            }
            if (next) pair[p] = r;
        }
        if (pair[p] >= 0) second[pair[p]] = true;
    }
    for (int p = 0; p < n; p++) {
        if ((pair[p] >= 0) == second[p]) return false;   /* each phase the first or the second of one pair */
        if (second[p]) pair[p] = -1;
    }
    return true;
}

bool conv_direct_pairs(const ConvGeom *g, bool tr, const Phase *ph, int n, bool compact, int *pair) {
    int64_t fg = g->cout / g->groups;
    if (!conv_direct_pad(g, tr, ph, n, compact).vol) return false;
    for (int p = 0; p < n; p++)
        if (ph[p].ntaps == 0 || !is_direct(&ph[p], fg)) return false;
    if (!conv_phase_pairs(g, ph, n, pair)) return false;
    for (int p = 0; p < n; p++)
        if (pair[p] >= 0 && pair[p] != p + 1 && pair[p] != p - 1) return false;   /* (tmp holds one pair at a time) */
    return true;
}

/* Threads of a call (see ConvScratch). */
static int conv_slots(const ConvGeom *g, const Phase *ph, int n, int64_t nb, int64_t nbk, int64_t R, bool compact) {
    int64_t fg = g->cout / g->groups, macs = 0, units = 1;
    if (compact) return 1;
    for (int p = 0; p < n; p++) {
        if (ph[p].ntaps == 0) continue;
        ConvChunk ch = conv_chunk(&ph[p], nb, fg, nbk);
        int64_t u = ch.direct ? nb : R ? nb * (ph[p].nq[0] / R) : nb / ch.nbk;     /* samples, or chunks of them */
        if (u > units) units = u;
        macs += g->groups * fg * ph[p].K * ph[p].qtot * nb;
    }
    if (units < 2 || macs < CONV_PARALLEL_MACS) return 1;
    return units < CONV_SLOTS ? (int)units : CONV_SLOTS;
}

DirectPad conv_direct_pad(const ConvGeom *g, bool tr, const Phase *ph, int n, bool compact) {
    DirectPad d = {{0}, {0}, 0};
    int64_t fg = g->cout / g->groups, amax[MAX_SPATIAL], nqmax[MAX_SPATIAL] = {0}, nqall = 0;
    bool any = false;
    if (compact) return d;
    for (int i = 0; i < g->nsp; i++)
        if (!tr && g->s[i] != 1) return d;
    for (int p = 0; p < n; p++) {
        if (ph[p].ntaps == 0 || !is_direct(&ph[p], fg)) continue;
        if (ph[p].qtot > nqall) nqall = ph[p].qtot;
        for (int j = 0; j < ph[p].ntaps; j++) {
            int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL];
            bool empty = false;
            for (int i = 0; i < g->nsp; i++) {
                tap_range(g, tr, &ph[p], j, i, 0, &lo[i], &hi[i]);
                if (lo[i] >= hi[i]) empty = true;
            }
            if (empty) continue;
            for (int i = 0; i < g->nsp; i++) {
                int64_t add = tap_offset(g, tr, &ph[p].taps[j], i);
                if (!any || add < d.amin[i]) d.amin[i] = add;
                if (!any || add > amax[i]) amax[i] = add;
                if (ph[p].nq[i] > nqmax[i]) nqmax[i] = ph[p].nq[i];
            }
            any = true;
        }
    }
    if (!any) return d;
    int64_t vol = 1;
    for (int i = 0; i < g->nsp; i++) {
        d.ext[i] = nqmax[i] + amax[i] - d.amin[i];
        vol *= d.ext[i];
    }
    int64_t cg = g->cin / g->groups;
    if (cg * vol <= CONV_PAD_FLOATS && cg * nqall >= CONV_PAD_MIN) d.vol = vol;
    return d;
}

static int64_t round_vec(int64_t n) { return (n + 15) / 16 * 16; }

int64_t conv_implicit_cols(const ConvImplicit *ip, int nsp, const Phase *v, int64_t nbk) {
    int64_t cols = 0, stride = 1;
    for (int i = nsp - 1; i >= 0; i--) {
        cols += (v->nq[i] - 1) * stride;
        stride *= ip->ext[i];
    }
    return (nbk - 1) * ip->vol + cols + 1;
}

static int64_t floordiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

/* Tap t's plane coordinates (see ConvImplicit): u and r with a = mul * u + r. */
static void implicit_tap(const ConvImplicit *ip, const ConvGeom *g, bool tr, const PhaseTap *t, int64_t *u, int64_t *r) {
    for (int i = 0; i < g->nsp; i++) {
        int64_t a = tap_offset(g, tr, t, i);
        u[i] = floordiv(a, ip->mul[i]);
        r[i] = a - u[i] * ip->mul[i];
    }
}

static int implicit_plane(const ConvImplicit *ip, int nsp, const int64_t *r) {
    for (int p = 0; p < ip->nplanes; p++)
        if (!memcmp(ip->res[p], r, sizeof(int64_t) * (size_t)nsp)) return p;
    return -1;
}

int64_t conv_implicit_off(const ConvImplicit *ip, const ConvGeom *g, bool tr, const PhaseTap *t, int64_t nbk) {
    int64_t u[MAX_SPATIAL], r[MAX_SPATIAL], off = 0;
    implicit_tap(ip, g, tr, t, u, r);
    for (int i = 0; i < g->nsp; i++) off = off * ip->ext[i] + u[i] - ip->umin[i];
    return implicit_plane(ip, g->nsp, r) * nbk * ip->vol + off;
}

ConvImplicit conv_implicit(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nb, bool compact) {
    int64_t nbk = conv_nbk(ph, n, nb, g->cout / g->groups, compact);
    return implicit_at(g, tr, ph, n, nbk, conv_rows(g, tr, ph, n, nbk, compact), compact);
}

/* The implicit GEMM of a call in chunks of nbk samples or blocks of R rows. */
static ConvImplicit implicit_at(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nbk, int64_t R, bool compact) {
    ConvImplicit d, none;
    memset(&d, 0, sizeof d);
    none = d;
    int64_t fg = g->cout / g->groups, cg = g->cin / g->groups;
    int64_t umax[MAX_SPATIAL] = {0}, nqmax[MAX_SPATIAL] = {0};
    bool any = false, multi = false;
    if (compact) return none;
    for (int i = 0; i < g->nsp; i++) d.mul[i] = tr ? 1 : g->s[i];
    for (int p = 0; p < n; p++) {
        if (ph[p].ntaps == 0) continue;
        if (is_direct(&ph[p], fg) || ph[p].ntaps > 64) return none;
        multi |= ph[p].ntaps > 1;
        Phase v = conv_row_view(&ph[p], R);
        for (int j = 0; j < v.ntaps; j++) {
            int64_t u[MAX_SPATIAL], r[MAX_SPATIAL];
            implicit_tap(&d, g, tr, &v.taps[j], u, r);
            if (implicit_plane(&d, g->nsp, r) < 0) {
                if (d.nplanes == CONV_IMPLICIT_PLANES) return none;
                memcpy(d.res[d.nplanes++], r, sizeof(int64_t) * (size_t)g->nsp);
            }
            for (int i = 0; i < g->nsp; i++) {
                if (!any || u[i] < d.umin[i]) d.umin[i] = u[i];
                if (!any || u[i] > umax[i]) umax[i] = u[i];
                if (v.nq[i] > nqmax[i]) nqmax[i] = v.nq[i];
            }
            any = true;
        }
    }
    if (!any || !multi) return none;
    d.vol = 1;
    for (int i = 0; i < g->nsp; i++) {
        d.ext[i] = nqmax[i] + umax[i] - d.umin[i];
        d.vol *= d.ext[i];
    }
    /* im2col's copies against the padded copy's and the extra multiply-adds */
    int64_t im2col = 0, extra = 0, cols = 0, maxoff = 0, chan = d.nplanes * nbk * d.vol;
    for (int p = 0; p < n; p++) {
        if (ph[p].ntaps == 0) continue;
        Phase v = conv_row_view(&ph[p], R);
        int64_t c = conv_implicit_cols(&d, g->nsp, &v, nbk);
        im2col += v.K * v.qtot * nbk;
        extra += g->groups * fg * v.K * (c - v.qtot * nbk);
        if (fg > CONV_IMPLICIT_MAX_FG && (v.K < CONV_IMPLICIT_WIDE_K || (c - v.qtot * nbk) * CONV_IMPLICIT_WIDE_EXTRA > v.qtot * nbk)) return none;
        if (c > cols) cols = c;
        for (int j = 0; j < v.ntaps; j++) {
            int64_t o = conv_implicit_off(&d, g, tr, &v.taps[j], nbk);
            if (o > maxoff) maxoff = o;
        }
    }
    if (2 * cg * chan > im2col || cg * chan + extra / CONV_IMPLICIT_MACS >= im2col) return none;
    d.ldc = pad_rows(cols);
    d.col = (cg - 1) * chan + maxoff + round_vec(cols);
    if (d.col < cg * chan) d.col = cg * chan;
    return d;
}

static int popcount64(uint64_t v) { int n = 0; for (; v; v &= v - 1) n++; return n; }

int conv_regions(const ConvGeom *g, bool tr, const Phase *ph, int64_t nbk, ConvRegion *out) {
    int nsp = g->nsp, ncut[MAX_SPATIAL], nr = 0;
    int64_t cut[MAX_SPATIAL][2 * 64 + 2], tlo[64][MAX_SPATIAL], thi[64][MAX_SPATIAL], nbox = 1;
    uint64_t mask[CONV_REGION_MAX];
    if (ph->ntaps == 0 || ph->ntaps > 64) return -1;
    /* per axis, the cuts where some tap's valid range starts or ends */
    for (int i = 0; i < nsp; i++) {
        ncut[i] = 0;
        cut[i][ncut[i]++] = 0;
        cut[i][ncut[i]++] = ph->nq[i];
        for (int j = 0; j < ph->ntaps; j++) {
            tap_range(g, tr, ph, j, i, 0, &tlo[j][i], &thi[j][i]);
            int64_t e[2] = {tlo[j][i], thi[j][i]};
            for (int k = 0; k < 2; k++) {
                bool seen = false;
                for (int m = 0; m < ncut[i]; m++) seen |= cut[i][m] == e[k];
                if (!seen && e[k] > 0 && e[k] < ph->nq[i]) cut[i][ncut[i]++] = e[k];
            }
        }
        for (int a = 1; a < ncut[i]; a++)   /* sort */
            for (int b = a; b > 0 && cut[i][b - 1] > cut[i][b]; b--) { int64_t t = cut[i][b]; cut[i][b] = cut[i][b - 1]; cut[i][b - 1] = t; }
        nbox *= ncut[i] - 1;
    }
    if (nbox > CONV_REGION_BOXES) return -1;
    for (int64_t bi = 0; bi < nbox; bi++) {
        int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], r = bi, vol = 1;
        for (int i = nsp - 1; i >= 0; i--) {
            int sgm = (int)(r % (ncut[i] - 1));
            r /= ncut[i] - 1;
            lo[i] = cut[i][sgm], hi[i] = cut[i][sgm + 1];
            vol *= hi[i] - lo[i];
        }
        uint64_t m = 0;
        for (int j = 0; j < ph->ntaps; j++) {
            bool ok = true;
            for (int i = 0; i < nsp; i++) ok &= tlo[j][i] <= lo[i] && hi[i] <= thi[j][i];
            if (ok) m |= 1ULL << j;
        }
        int k = 0;   /* (m = 0: outputs no tap reaches, a region of no taps) */
        while (k < nr && mask[k] != m) k++;
        if (k == nr) {
            if (nr == CONV_REGION_MAX) return -1;
            mask[k] = m;
            out[k].nbox = 0, out[k].rows = 0;
            nr++;
        }
        ConvRegion *R = &out[k];
        for (int i = 0; i < nsp; i++) R->lo[R->nbox][i] = lo[i], R->hi[R->nbox][i] = hi[i];
        R->nbox++;
        R->rows += vol;
    }
    /* small regions join the one whose taps they share at the least cost */
    while (nr > 1) {
        int a = -1;
        for (int k = 0; k < nr; k++)
            if (mask[k] && nbk * out[k].rows < CONV_REGION_MIN_ROWS && (a < 0 || out[k].rows < out[a].rows)) a = k;
        if (a < 0) break;
        int b = -1;
        int64_t best = 0;
        for (int k = 0; k < nr; k++) {
            if (k == a || !mask[k] || out[a].nbox + out[k].nbox > CONV_REGION_BOXES) continue;
            int64_t extra = out[a].rows * popcount64(mask[k] & ~mask[a]) + out[k].rows * popcount64(mask[a] & ~mask[k]);
            if (b < 0 || extra < best) b = k, best = extra;
        }
        if (b < 0) break;
        for (int x = 0; x < out[a].nbox; x++) {
            for (int i = 0; i < nsp; i++) out[b].lo[out[b].nbox][i] = out[a].lo[x][i], out[b].hi[out[b].nbox][i] = out[a].hi[x][i];
            out[b].nbox++;
        }
        out[b].rows += out[a].rows;
        mask[b] |= mask[a];
        nr--;
        if (a != nr) {
            out[a] = out[nr];
            mask[a] = mask[nr];
        }
    }
    for (int k = 0; k < nr; k++) {
        ConvRegion *R = &out[k];
        R->ntaps = 0;
        for (int j = 0; j < ph->ntaps; j++)
            if (mask[k] >> j & 1) R->tap[R->ntaps++] = j;
    }
    return nr;
}

ConvRegionPlan conv_region_plan(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nb, bool compact) {
    ConvRegionPlan none = {0}, rp = {0};
    int64_t fg = g->cout / g->groups, cg = g->cin / g->groups, qmax = 0, pack = 0, amax[MAX_SPATIAL], depth = -1;
    if (compact || g->groups != 1 || fg < CONV_REGION_MIN_FG || fg % 16) return none;
    for (int i = 0; i < g->nsp; i++) rp.amin[i] = 0, amax[i] = g->in[i] - 1;
    for (int p = 0; p < n; p++) {
        if (ph[p].ntaps > 64) return none;
        if (ph[p].qtot > qmax) qmax = ph[p].qtot;
        if (ph[p].ntaps && (depth < 0 || ph[p].K < depth)) depth = ph[p].K;
        pack += ph[p].K;
        for (int j = 0; j < ph[p].ntaps; j++)     /* the x indices the taps read over the whole box */
            for (int i = 0; i < g->nsp; i++) {
                int64_t add = tap_offset(g, tr, &ph[p].taps[j], i), last = (ph[p].nq[i] - 1) * (tr ? 1 : g->s[i]) + add;
                if (add < rp.amin[i]) rp.amin[i] = add;
                if (last > amax[i]) amax[i] = last;
            }
    }
    rp.vol = 1;
    for (int i = 0; i < g->nsp; i++) {
        rp.ext[i] = amax[i] - rp.amin[i] + 1;
        rp.vol *= rp.ext[i];
    }
    rp.ldb = rp.ldc = pad_rows(fg);
    if (tr && conv_phase_pairs(g, ph, n, rp.pair)) {
        rp.paired = true;
        for (int p = 0; p < n; p++) {
            int64_t row = 2 * ph[p].nq[g->nsp - 1];   /* a pair's outputs along the last axis */
            rp.paired &= ph[p].ntaps > 0 && (row % 16 == 0 || 16 % row == 0) && 2 * ph[p].qtot % 16 == 0;
        }
    }
    int64_t tmprows = rp.paired ? 2 * qmax : qmax;
    ConvRegion reg[CONV_REGION_MAX];
    /* the most samples whose xt and results fit, and the multiply-adds the regions save */
    for (int64_t d = nb; d >= 1; d--) {
        if (nb % d || d * (rp.vol * cg + tmprows * rp.ldc) > CONV_REGION_CHUNK_FLOATS) continue;   /* (one large sample: row blocks) */
        int64_t nominal = 0, kept = 0;
        for (int p = 0; p < n; p++) {
            if (ph[p].ntaps == 0) continue;
            int nr = conv_regions(g, tr, &ph[p], d, reg);
            if (nr < 0) return none;
            for (int r = 0; r < nr; r++) kept += reg[r].rows * reg[r].ntaps;
            nominal += ph[p].qtot * ph[p].ntaps;
        }
        int64_t need = depth >= CONV_REGION_DEEP ? CONV_REGION_MIN_SAVE_DEEP : tr ? CONV_REGION_MIN_SAVE : CONV_REGION_MIN_SAVE_CONV;
        if ((nominal - kept) * 100 < need * nominal) return none;
        rp.nbk = d;
        break;
    }
    if (!rp.nbk) return none;
    rp.xt = rp.nbk * rp.vol * cg;
    rp.tmp = rp.nbk * tmprows * rp.ldc;
    rp.pack = pack * rp.ldb;
    return rp;
}

int64_t conv_pairs(const ConvGeom *g, bool tr, bool compact) {
    int L = g->nsp - 1;
    int64_t kvol = 1;
    if (compact || g->groups != 1) return 0;
    if (tr) {   /* kernel = stride on every axis, no padding: each output reads one tap */
        if (g->s[L] != 2 || g->in[L] % 16 || g->cin > CONV_PAIRS_MAX_K) return 0;
        for (int i = 0; i < g->nsp; i++) {
            if (g->k[i] != g->s[i] || g->pb[i] || g->pe[i] || g->op[i] || g->dil[i] != 1) return 0;
            kvol *= g->k[i];
        }
        return g->cout * kvol / 2 >= CONV_PAIRS_MIN_FG ? g->cin : 0;
    }
    if (g->cout < CONV_PAIRS_MIN_FG) return 0;   /* (a convolution: one phase of every tap) */
    if (g->s[L] != 2 || g->k[L] % 2 || g->dil[L] != 1 || g->out[L] % 16) return 0;
    for (int i = 0; i < g->nsp; i++) {
        if (g->pb[i] || (g->out[i] - 1) * g->s[i] + (g->k[i] - 1) * g->dil[i] >= g->in[i]) return 0;
        kvol *= g->k[i];
    }
    if (g->cin * kvol / 2 > CONV_PAIRS_MAX_K) return 0;
    return g->cin * kvol / 2;
}

int64_t conv_unroll_blocks(const ConvGeom *g, bool tr, const Phase *ph, int n, int *kind, int64_t *xoff, int64_t *sigs) {
    int nsp = g->nsp, T = 0, *t0 = malloc(sizeof(int) * (size_t)n);   /* t0[p]: phase p's first tap in the pack */
    int64_t Q = 1, xst[MAX_SPATIAL], vol = 1, lines = 0;
    for (int i = nsp - 1; i >= 0; i--) xst[i] = vol, vol *= g->in[i], Q *= g->out[i];
    for (int p = 0; p < n && t0; p++) t0[p] = T, T += ph[p].ntaps;
    int64_t S = VEC_W * T + 1, *sig = sigs ? sigs : malloc(sizeof(int64_t) * (size_t)(S * (CONV_UNROLL_KINDS + 1)));
    if (!sig || !t0) {
        if (!sigs) free(sig);
        free(t0);
        return -1;
    }
    int nk = 0;
    for (int64_t b0 = 0; b0 < Q; b0 += VEC_W) {
        int64_t *cur = sig + nk * S, base = 0, f = b0;   /* base: a convolution's first position times the strides */
        for (int i = nsp - 1; i >= 0; i--) {
            base += f % g->out[i] * g->s[i] * xst[i];
            f /= g->out[i];
        }
        cur[0] = Q - b0 < VEC_W ? Q - b0 : VEC_W;
        for (int64_t e = 1; e < S; e++) cur[e] = INT64_MIN;
        int64_t lo = INT64_MAX;
        for (int64_t p = 0; p < cur[0]; p++) {
            int64_t o[MAX_SPATIAL], q[MAX_SPATIAL], r = b0 + p;
            for (int i = nsp - 1; i >= 0; i--) o[i] = r % g->out[i], r /= g->out[i];
            int a = 0;   /* the phase holding output o, and o's q in it */
            for (; a < n; a++) {
                bool in = true;
                for (int i = 0; i < nsp && in; i++) {
                    int64_t v = tr ? o[i] + g->pb[i] - ph[a].ph[i] : o[i] * g->s[i];
                    q[i] = tr ? v / g->s[i] - ph[a].q0[i] : v;
                    in = !tr || (v >= 0 && v % g->s[i] == 0 && q[i] >= 0 && q[i] < ph[a].nq[i]);
                }
                if (in) break;
            }
            for (int j = 0; a < n && j < ph[a].ntaps; j++) {
                int64_t x = 0;
                bool in = true;
                for (int i = 0; i < nsp && in; i++) {
                    int64_t xi = q[i] + tap_offset(g, tr, &ph[a].taps[j], i);
                    in = xi >= 0 && xi < g->in[i];
                    x += xi * xst[i];
                }
                if (in) cur[1 + p * T + t0[a] + j] = x, lo = x < lo ? x : lo;
            }
        }
        if (tr) base = lo == INT64_MAX ? 0 : lo;   /* (a transposed convolution's: the first input read) */
        for (int64_t e = 1; e < S; e++)
            if (cur[e] != INT64_MIN) cur[e] -= base;
        int k = 0;
        while (k < nk && memcmp(sig + k * S, cur, sizeof(int64_t) * (size_t)S)) k++;
        if (k == nk) {   /* a new kind: its multiply-adds */
            for (int64_t e = 1; e < S; e++) lines += cur[e] != INT64_MIN;
            if (++nk > CONV_UNROLL_KINDS) {
                lines = -1;
                break;
            }
        }
        if (kind) kind[b0 / VEC_W] = k, xoff[b0 / VEC_W] = base;
    }
    if (!sigs) free(sig);
    free(t0);
    return lines;
}

bool conv_unrolled(const ConvGeom *g, bool tr, const Phase *ph, int n, bool compact) {
    if (g->groups != 1 || g->cout % VEC_W || (tr && conv_pairs(g, tr, compact))) return false;
    int64_t K = 0, depth = INT64_MAX;   /* every phase's taps; the shallowest phase with any */
    for (int p = 0; p < n; p++) {
        K += ph[p].K;
        if (ph[p].ntaps && ph[p].K < depth) depth = ph[p].K;
    }
    if (depth == INT64_MAX || depth < CONV_UNROLL_MIN_K || K * VEC_W > CONV_UNROLL_PANEL) return false;
    int64_t lines = conv_unroll_blocks(g, tr, ph, n, NULL, NULL, NULL);
    return lines >= 0 && lines <= CONV_UNROLL_MAX;
}

ConvScratch conv_scratch(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nb, bool compact) {
    if (conv_pairs(g, tr, compact) || conv_unrolled(g, tr, ph, n, compact)) {
        /* the pair path and the unrolled path: their packed weights, every weight once
         * (a compact schedule's unrolled path reads them where they lie: no scratch) */
        int64_t kvol = 1;
        for (int i = 0; i < g->nsp; i++) kvol *= g->k[i];
        return (ConvScratch){0, 0, compact ? 0 : g->cin * g->cout * kvol, 1, 0, 0, nb, 0};
    }
    int64_t fg = g->cout / g->groups, nbk = conv_nbk(ph, n, nb, fg, compact), R = conv_rows(g, tr, ph, n, nbk, compact);
    ConvScratch s = {0, 0, conv_pack_floats(g, ph, n, nbk < nb || R), 1, 0, 0, nbk, R};
    ConvRegionPlan rp = conv_region_plan(g, tr, ph, n, nb, compact);
    if (rp.nbk) {   /* the region path: its chunks on the threads, each with its own xt and results */
        int64_t macs = 0;
        for (int p = 0; p < n; p++) macs += fg * ph[p].K * ph[p].qtot * nb;
        s = (ConvScratch){rp.xt, rp.tmp, rp.pack, 1, 0, 0, rp.nbk, 0};
        if (nb / rp.nbk >= 2 && macs >= CONV_PARALLEL_MACS) s.slots = nb / rp.nbk < CONV_SLOTS ? (int)(nb / rp.nbk) : CONV_SLOTS;
    } else {
        for (int p = 0; p < n; p++) {
            Phase v = conv_row_view(&ph[p], ph[p].ntaps > 0 && !is_direct(&ph[p], fg) ? R : 0);
            ConvChunk ch = conv_chunk(&v, nb, fg, nbk);
            if (ch.col > s.col) s.col = ch.col;
            if (ch.tmp > s.tmp) s.tmp = ch.tmp;
        }
        ConvImplicit ip = conv_implicit(g, tr, ph, n, nb, compact);
        if (ip.vol) {
            if (ip.col > s.col) s.col = ip.col;
            if (fg * ip.ldc > s.tmp) s.tmp = fg * ip.ldc;
        }
        if (conv_interleaved(g, ph, n, compact)) s.tmp *= n;
        DirectPad dp = conv_direct_pad(g, tr, ph, n, compact);
        if (dp.vol * (g->cin / g->groups) > s.col) s.col = dp.vol * (g->cin / g->groups);
        int pair[CONV_INTERLEAVE_MAX];
        if (conv_direct_pairs(g, tr, ph, n, compact, pair)) s.tmp *= 2;
        s.slots = conv_slots(g, ph, n, nb, nbk, R, compact);
    }
    s.col_slot = (s.col + 15) / 16 * 16;
    s.tmp_slot = (s.tmp + 15) / 16 * 16;
    if (s.slots > 1) {
        s.col = s.col_slot * s.slots;
        s.tmp = s.tmp_slot * s.slots;
    }
    return s;
}

ConvChunk conv_chunk(const Phase *ph, int64_t nb, int64_t fg, int64_t nbk) {
    ConvChunk c = {0};
    if (ph->ntaps == 0) return c;
    if (is_direct(ph, fg)) {
        c.direct = true;
        c.tmp = fg * ph->qtot;
        return c;
    }
    c.nbk = nbk > 0 ? nbk : chunk_of(ph, nb, fg, false);
    c.ncol = c.nbk * ph->qtot;
    c.ncpad = (c.ncol + 15) / 16 * 16;
    if (c.ncpad / 16 % 2 == 0) c.ncpad += 16;   /* rows 16 * odd floats apart spread over the L1 sets */
    c.col = ph->K * c.ncpad;
    c.tmp = fg * c.ncpad;
    return c;
}

Schedule *lower_net(Arena *a, Net *net, bool compact) {
    Schedule *s = arena_alloc(a, sizeof *s);
    s->net = net;
    s->compact = compact;
    s->value_buf = arena_alloc(a, sizeof(int) * (size_t)net->layers.n);
    s->k = arena_alloc(a, sizeof(Kernel) * (size_t)(net->layers.n + 1));
    int step = 0;
    /* inputs are copied in at step 0 */
    for (int i = 0; i < net->layers.n; i++) {
        Layer *L = net->layers.v[i];
        if (!L->is_input) continue;
        s->value_buf[i] = new_buf(a, s, net->batch * shape_count(&L->shape), 0);
        if (!L->target_only) vec_push(a, &s->inputs, L);
    }
    for (int i = 0; i < net->layers.n; i++) {
        Layer *L = net->layers.v[i];
        if (L->is_input) continue;
        step++;
        Kernel *k = &s->k[s->nk++];
        k->L = L;
        k->col = k->tmp = -1;
        k->in = arena_alloc(a, sizeof(int) * (size_t)(L->nin + 1));
        for (int r = 0; r < 4; r++) k->param[r] = -1;
        for (int j = 0; j < L->nin; j++) {
            k->in[j] = s->value_buf[L->in[j]->id];
            use_buf(s, k->in[j], step);
        }
        int64_t T = L->td ? L->shape.d[0] : 1;
        k->nb = net->batch * T;
        int64_t outn = net->batch * shape_count(&L->shape);
        if (L->kind->op == OP_RESHAPE) {
            /* a relabelling: share the input's memory */
            k->out = new_buf(a, s, outn, step);
            s->bufs[k->out].alias = root(s, k->in[0]);
            s->value_buf[i] = k->out;
            continue;
        }
        k->out = new_buf(a, s, outn, step);
        s->value_buf[i] = k->out;
        const ConvGeom *g = &L->g;
        int64_t kv = 1;
        for (int j = 0; j < g->nsp; j++) kv *= g->k[j];
        switch (L->kind->op) {
        case OP_TCONV: case OP_CONV: {
            int64_t wshape[MAX_RANK + 2];
            bool tr = L->kind->op == OP_TCONV;
            wshape[0] = tr ? g->cin : g->cout;
            wshape[1] = tr ? g->cout / g->groups : g->cin / g->groups;
            for (int j = 0; j < g->nsp; j++) wshape[2 + j] = g->k[j];
            k->param[P_WEIGHT] = add_param(a, s, L, P_WEIGHT, "weight", 2 + g->nsp, wshape);
            if (L->a[A_BIAS].i) k->param[P_BIAS] = add_param(a, s, L, P_BIAS, "bias", 1, &g->cout);
            k->nphases = geom_phases(a, g, tr, &k->phases);
            ConvScratch cs = conv_scratch(g, tr, k->phases, k->nphases, k->nb, compact);
            k->pack_floats = cs.pack;
            k->col = new_buf(a, s, cs.col > 0 ? cs.col : 1, step);
            k->tmp = new_buf(a, s, cs.tmp + cs.pack > 0 ? cs.tmp + cs.pack : 1, step);
            break;
        }
        case OP_DENSE: {
            int64_t in = shape_count(&L->in[0]->shape) / T, units = L->a[A_UNITS].i;
            int64_t wshape[2] = {units, in};
            k->param[P_WEIGHT] = add_param(a, s, L, P_WEIGHT, "weight", 2, wshape);
            if (L->a[A_BIAS].i) k->param[P_BIAS] = add_param(a, s, L, P_BIAS, "bias", 1, &units);
            k->col = new_buf(a, s, in * k->nb, step);
            k->tmp = new_buf(a, s, units * k->nb, step);
            break;
        }
        case OP_BATCHNORM: {
            int64_t C = L->shape.d[L->td ? 1 : 0];
            k->param[P_WEIGHT] = add_param(a, s, L, P_WEIGHT, "weight", 1, &C);
            k->param[P_BIAS] = add_param(a, s, L, P_BIAS, "bias", 1, &C);
            k->param[P_RUNNING_MEAN] = add_param(a, s, L, P_RUNNING_MEAN, "running_mean", 1, &C);
            k->param[P_RUNNING_VAR] = add_param(a, s, L, P_RUNNING_VAR, "running_var", 1, &C);
            break;
        }
        default: break;
        }
        (void)kv;
    }
    /* outputs stay live to the end, where they are copied out */
    for (int i = 0; i < net->outputs.n; i++) use_buf(s, s->value_buf[((Layer *)net->outputs.v[i])->id], step + 1);
    for (int i = 0; i < s->nbufs; i++) {
        int r = root(s, i);
        if (r != i && s->bufs[i].last > s->bufs[r].last) s->bufs[r].last = s->bufs[i].last;
    }
    plan_memory(s);
    return s;
}
