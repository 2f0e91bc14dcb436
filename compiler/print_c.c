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
    const TrainPlan *tp;   /* set while printing the training functions: their own offsets */
    const TrainPlan *tplan;   /* the training plan, when the network trains */
    int64_t gemms[1024][7];
    int ngemms;
    int ndw;           /* weight-gradient functions printed (gemm_fn_ranged, dw_bcast_fn) */
    const PrintOptions *o;   /* netc build --profile */
    bool cw;                 /* firmware, no training, --weights: parameters read in place from NAME_weights */
} Ctx;

static int64_t buf_off(const Schedule *s, int b) { return s->bufs[b].offset; }

/* Arena offsets of a kernel's operands: the inference plan's, or the training plan's. */
static int64_t off_out(const Ctx *c, const Kernel *k) { return c->tp ? c->tp->v[k->L->id] : buf_off(c->s, k->out); }
static int64_t off_in(const Ctx *c, const Kernel *k, int j) { return c->tp ? c->tp->v[k->L->in[j]->id] : buf_off(c->s, k->in[j]); }
static int64_t off_col(const Ctx *c, const Kernel *k) { return c->tp ? c->tp->scratch : buf_off(c->s, k->col); }
static int64_t off_tmp(const Ctx *c, const Kernel *k) { return c->tp ? c->tp->scratch + c->tp->fwd_tmp[k - c->s->k] : buf_off(c->s, k->tmp); }

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

/* Loops with at least this much work (multiply-adds or copies) split across the
 * threads of an OpenMP build (NETC_PARALLEL_FOR); smaller ones would pay more for
 * the fork than they gain. */
static bool threaded(int64_t work) { return work >= (1 << 20); }

/* A static table of n ints, `per` a line (a row table, a tap table). */
static void emit_int_table(Emitter *w, const char *name, const int64_t *v, int64_t n, int64_t per) {
    emit(w, "static const int %s[%lld] = {", name, LL(n));
    for (int64_t i = 0; i < n; i += per) {
        char line[1024] = "";
        for (int64_t j = i; j < n && j < i + per; j++) snprintf(line + strlen(line), sizeof line - strlen(line), "%s%lld,", j > i ? " " : "", LL(v[j]));
        emit(w, "%s", line);
    }
    emit(w, "};");
}

/* ---- GEMM: C[M][N] = A[M][K] . B[K][N] ----
 * A register block of MR rows by NR columns walks a KC-deep slice of K; panels of
 * B (KC rows of a block's columns) stay in L1 while every row block of A passes
 * them.  All bounds are literals; `first` says whether the block starts C or adds
 * to it.  Portable blocks are MR x 16 over KC = 256. */
enum { GEMM_MR = 8, GEMM_NR = 16, GEMM_KC = 256 };

/* The rows of a register block, and of a panel of packed A (see gemm_name): 6 in a
 * GEMM of 24 rows or more, whose vector blocks are then 6 rows by 4 vectors (24
 * accumulators, 10 loads per 24 multiply-adds, where 8 x 2 needs 10 per 16: the
 * DCGAN and U-Net forwards 7-11% faster); 8 below, where 6-row blocks would leave
 * a short tail (the firmware-sized layers have 8 or 16 output channels).  A GEMM of
 * 24 rows or more that is a multiple of 8 rows but not of 6, and whose last 6-row
 * block would be short by at least 1/32 of M (32, 40, 56, 64, 80, 104 or 128
 * rows: gemm_rows8), takes blocks of 8 rows by 3 vectors instead: the same 24
 * accumulators, 11 loads per 24 multiply-adds, no short block.  bench/ab, one
 * thread: U-Net k3 forward (32 rows) 0.98 (2 threads 0.96), DCGAN 16x16 forward
 * (64 rows) 0.97, DCGAN 8x8 (128) 0.996; but DCGAN 4x4 (256 rows, short by 2)
 * 1.055: the 8 x 3 block is the slower of the two. */
enum { GEMM_WIDE_ROWS = 24, GEMM_WIDE_KC = 128 };

/* A GEMM adding to a C of GEMM_DEEP_C floats or more (a weight gradient's dW, past
 * L2) visits each block of C once per KC slice, and those visits, not the panel of
 * B leaving L1, are what cost: its slices are K deep, up to GEMM_DEEP_KC.  Paired
 * phase timings of the weight gradients: DCGAN 8x8 (2 MB of dW) 0.945, 16x16
 * (512 KB) 0.97, 4x4 (8 MB, chunks 512 deep: conv_dw) 0.86. */
enum { GEMM_DEEP_C = 1 << 17, GEMM_DEEP_KC = 512 };
static bool gemm_rows8(int64_t M) { return M % 8 == 0 && M % 6 != 0 && (6 - M % 6) * 32 >= M; }
static int gemm_mr(int64_t M) { return M >= GEMM_WIDE_ROWS && !gemm_rows8(M) ? 6 : GEMM_MR; }

/* How a GEMM reads its operands (see gemm_name), and its blocking: panels of `mr`
 * rows (packed A's, and the portable blocks'), vector blocks of `mb` rows by `nv`
 * vectors, `kc` deep slices.  rtap > 0: a ranged GEMM (gemm_fn_ranged), whose
 * columns come in blocks of rtap, block t summing k over only its row ranges.
 * ntap > 0: a GEMM over taps (gemm_fn_taps), summing ntap products of K deep, A's
 * rows shifted by ao[t] and B at bo[t], in the registers of one block.  pair: the
 * pair path's GEMMs (gemm_fn_pairs), A's element a pair of floats for the even and
 * the odd lanes; a convolution's C column the sum of two lanes; with dup (a
 * transposed convolution's), B's element j in lanes 2 j and 2 j + 1, C's row i at
 * C + yo[i], plus bias[i / bdiv] when bdiv > 0. */
typedef struct GemmOpt { bool packed; int64_t ldb; bool acc; bool par; int64_t ldc, lda; int mr, mb, nv; int64_t kc; bool boff; int64_t ars; bool stream; int tail; int64_t rtap, ntap; bool pair, dup; int64_t bdiv; } GemmOpt;

/* The column-panel loop of a slice: in a threaded GEMM (`par`, one parallel region
 * round all its slices) the panels are shared out without a barrier, each thread
 * keeping the same panels in every slice (a static schedule over the same count),
 * and the last thread takes the columns after the panels (emit_tail). */
static void emit_panels(Emitter *w, const GemmOpt *o) { if (o->par) emit(w, "NETC_FOR_NOWAIT"); }
static void emit_tail(Emitter *w, const GemmOpt *o, bool open) {
    if (o->par) emit(w, open ? "if (NETC_LAST_THREAD) {" : "}");
}

/* A ranged block's k loops (two levels, one more brace to close): the row ranges
 * kr[t][2 kj] .. kr[t][2 kj + 1] of the tap t of columns n (see gemm_fn_ranged). */
static void range_loop(Emitter *w, const GemmOpt *o, const char *n) {
    emit(w, "for (int kj = 0; kj < kn[(%s) / %lld]; kj++) {", n, LL(o->rtap));
    emit(w, "for (int k = kr[(%s) / %lld][2 * kj]; k < kr[(%s) / %lld][2 * kj + 1]; k++) {", n, LL(o->rtap), n, LL(o->rtap));
}

/* A block's loops over k (over taps and k, or k's ranges) and its row of B, b;
 * returns how many braces they opened. */
static int gemm_k_loops(Emitter *w, const GemmOpt *o, const char *k0, int64_t kc, const char *n) {
    if (o->ntap) emit(w, "for (int t = 0; t < %lld; t++) {", LL(o->ntap));
    if (o->rtap) range_loop(w, o, n);
    else emit(w, "for (int k = 0; k < %lld; k++) {", LL(kc));
    if (o->boff) emit(w, "const float *restrict b = B + bo[%s + k] + %s;", k0, n);
    else if (o->ntap) emit(w, "const float *restrict b = B + bo[t] + k * %lld + %s;", LL(o->ldb), n);
    else if (o->dup) emit(w, "const float *restrict b = B + (%s + k) * %lld + (%s) / 2;", k0, LL(o->ldb), n);
    else emit(w, "const float *restrict b = B + (%s + k) * %lld + %s;", k0, LL(o->ldb), n);
    return 1 + (o->ntap > 0) + (o->rtap > 0);
}
/* Row i's element k of A, as `a`. */
static void gemm_a(Emitter *w, const GemmOpt *o, int64_t mr, int64_t K, const char *k0, const char *m) {
    if (o->ntap) emit(w, "const float a = A[ra[%s + i] + ao[t] + k];", m);
    else if (o->ars) emit(w, "const float a = A[ao[%s + k] + (%s + i) * %lld];", k0, m, LL(o->ars));
    else if (o->packed) emit(w, "const float a = A[%s * %lld + (%s + k) * %lld + i];", m, LL(K), k0, LL(mr));
    else emit(w, "const float a = A[(%s + i) * %lld + %s + k];", m, LL(o->lda), k0);
}
static void gemm_block(Emitter *w, const GemmOpt *o, int64_t mr, int64_t nr, const char *k0, int64_t kc, int64_t K,
                       const char *m, const char *n, const char *first) {
    emit(w, "{");
    emit(w, "float c[%lld][%lld];", LL(mr), LL(nr));
    if (!strcmp(first, "1") || o->pair)
        emit(w, "for (int i = 0; i < %lld; i++) for (int j = 0; j < %lld; j++) c[i][j] = 0.0f;", LL(mr), LL(nr));
    else
        emit(w, "for (int i = 0; i < %lld; i++) for (int j = 0; j < %lld; j++) c[i][j] = %s ? 0.0f : C[(%s + i) * %lld + %s + j];",
             LL(mr), LL(nr), first, m, LL(o->ldc), n);
    gemm_k_loops(w, o, k0, kc, n);
    emit(w, "for (int i = 0; i < %lld; i++) {", LL(mr));
    if (o->pair) {
        emit(w, "const float a0 = A[(%s * %lld + (%s + k) * %lld + i) * 2], a1 = A[(%s * %lld + (%s + k) * %lld + i) * 2 + 1];", m, LL(K), k0, LL(mr),
             m, LL(K), k0, LL(mr));
        if (o->dup) emit(w, "for (int j = 0; j < %lld; j += 2) c[i][j] += a0 * b[j / 2], c[i][j + 1] += a1 * b[j / 2];", LL(nr));
        else emit(w, "for (int j = 0; j < %lld; j += 2) c[i][j] += a0 * b[j], c[i][j + 1] += a1 * b[j + 1];", LL(nr));
        emit(w, "}");
        emit(w, "}");
        char bias[64] = "";
        if (o->bdiv) snprintf(bias, sizeof bias, " + bias[(%s + i) / %lld]", m, LL(o->bdiv));
        if (o->dup)
            emit(w, "for (int i = 0; i < %lld; i++) for (int j = 0; j < %lld; j++) C[yo[%s + i] + %s + j] %s= c[i][j]%s;", LL(mr), LL(nr), m, n,
                 o->acc ? "+" : "", bias);
        else
            emit(w, "for (int i = 0; i < %lld; i++) for (int j = 0; j < %lld; j++) C[(%s + i) * %lld + (%s) / 2 + j] %s= c[i][2 * j] + c[i][2 * j + 1];",
                 LL(mr), LL(nr / 2), m, LL(o->ldc), n, o->acc ? "+" : "");
        emit(w, "}");
        return;
    }
    gemm_a(w, o, mr, K, k0, m);
    emit(w, "for (int j = 0; j < %lld; j++) c[i][j] += a * b[j];", LL(nr));
    emit(w, "}");
    emit(w, "}");
    if (o->rtap || o->ntap) emit(w, "}");
    emit(w, "for (int i = 0; i < %lld; i++) for (int j = 0; j < %lld; j++) C[(%s + i) * %lld + %s + j] = c[i][j];",
         LL(mr), LL(nr), m, LL(o->ldc), n);
    emit(w, "}");
}

/* AVX2 hosts (NETC_VEC8): a block of up to 16 columns (nr; one or two vectors of 8,
 * the last masked when short: NETC_LOADM8, NETC_STOREM8) in groups of at most 6 rows,
 * each group's sums in registers over all of k, B's vectors loaded once a step for
 * the group's rows; the same sums in the same order as gemm_block's.  With dup (the
 * pair path's transposed GEMM, 16 columns) B's 8 elements fill the two vectors, each
 * in two lanes, and A's pair is broadcast as one 64-bit lane. */
static void gemm_block8(Emitter *w, const GemmOpt *o, int64_t mr, int64_t nr, const char *k0, int64_t kc, int64_t K,
                        const char *m, const char *n, const char *first) {
    int nv = (int)((nr + 7) / 8), tail = (int)(nr % 8);
    int64_t ng = (mr + 5) / 6, gs = (mr + ng - 1) / ng;
    char ld[2][96], cp[160];
    for (int v = 0; v < nv; v++)   /* a load of vector v at pointer p: "%s" the pointer */
        snprintf(ld[v], sizeof ld[v], v == nv - 1 && tail ? "NETC_LOADM8(%%s + %d, %d)" : "*(const netc_v8 *)(%%s + %d)", 8 * v, tail);
    emit(w, "{");   /* (one statement: the body of gemm_rows's loop) */
    for (int64_t i0 = 0; i0 < mr; i0 += gs) {
        int64_t i1 = i0 + gs < mr ? i0 + gs : mr;
        emit(w, "{");
        for (int64_t i = i0; i < i1; i++) {
            for (int v = 0; v < nv; v++) emit(w, "netc_v8 c%lld_%d = {0};", LL(i), v);
            if (strcmp(first, "1") && !o->dup) {
                snprintf(cp, sizeof cp, "(C + (%s + %lld) * %lld + %s)", m, LL(i), LL(o->ldc), n);
                emit(w, "if (!(%s)) {", first);
                for (int v = 0; v < nv; v++) {
                    char e[256];
                    snprintf(e, sizeof e, ld[v], cp);
                    emit(w, "c%lld_%d = %s;", LL(i), v, e);
                }
                emit(w, "}");
            }
        }
        int close = gemm_k_loops(w, o, k0, kc, n);
        if (o->dup) {   /* B's 8 elements, each in two lanes */
            emit(w, "const netc_v8 l = *(const netc_v8 *)b;");
            emit(w, "netc_v8 b0 = NETC_DUP8LO(l), b1 = NETC_DUP8HI(l);");
        } else {
            for (int v = 0; v < nv; v++) {
                char e[256];
                snprintf(e, sizeof e, ld[v], "b");
                emit(w, "netc_v8 b%d = %s;", v, e);
            }
        }
        for (int v = 0; v < nv; v++) emit(w, "NETC_KEEP(b%d);", v);
        for (int64_t i = i0; i < i1; i++) {
            emit(w, "{");
            emit(w, "const int i = %lld;", LL(i));
            if (o->dup) emit(w, "const netc_v8 a = netc_pair8(A + (%s * %lld + (%s + k) * %lld + i) * 2);", m, LL(K), k0, LL(mr));
            else gemm_a(w, o, mr, K, k0, m);
            for (int v = 0; v < nv; v++) emit(w, "c%lld_%d += a * b%d;", LL(i), v, v);
            emit(w, "}");
        }
        for (int j = 0; j < close; j++) emit(w, "}");
        for (int64_t i = i0; i < i1; i++) {
            char bias[64] = "";
            if (o->dup) {   /* row i at C + yo[i] */
                if (o->bdiv) snprintf(bias, sizeof bias, " + bias[(%s + %lld) / %lld]", m, LL(i), LL(o->bdiv));
                snprintf(cp, sizeof cp, "C + yo[%s + %lld] + %s", m, LL(i), n);
            } else {
                snprintf(cp, sizeof cp, "C + (%s + %lld) * %lld + %s", m, LL(i), LL(o->ldc), n);
            }
            for (int v = 0; v < nv; v++) {
                if (v == nv - 1 && tail) emit(w, "NETC_STOREM8(%s + %d, c%lld_%d, %d);", cp, 8 * v, LL(i), v, tail);
                else emit(w, "*(netc_v8 *)(%s + %d) %s= c%lld_%d%s;", cp, 8 * v, o->dup && o->acc ? "+" : "", LL(i), v, bias);
            }
        }
        emit(w, "}");
    }
    emit(w, "}");
}

/* A panel's row blocks (gemm_rows) in both forms: NETC_VEC8's (blocks of 6 rows, or
 * all of 12 rows or fewer, unless A is packed in panels of mr) and the portable
 * blocks; a convolution's pair GEMM, the dup GEMM's short columns and fewer than 8
 * last columns portable only. */
typedef void (*BlockFn)(Emitter *, const GemmOpt *, int64_t, int64_t, const char *, int64_t, int64_t, const char *, const char *, const char *);
static void gemm_rows(Emitter *w, const GemmOpt *o, BlockFn block, int64_t mb, int64_t M, int64_t K, int64_t nc, const char *n,
                      const char *k0, int64_t kc, const char *first);
static void gemm_rows_any(Emitter *w, const GemmOpt *o, int64_t M, int64_t K, int64_t nc, const char *n, const char *k0, int64_t kc,
                          const char *first) {
    if ((o->pair && !(o->dup && nc == 16)) || nc < 8) {   /* (a masked vector alone: fw2dk3's weight gradient 1.035 of the scalar time) */
        gemm_rows(w, o, gemm_block, o->mr, M, K, nc, n, k0, kc, first);
        return;
    }
    GemmOpt o8 = *o;
    if (!o->packed) o8.mr = M <= 12 ? (int)M : 6;   /* (gemm_block8 splits 7-12 rows into two even groups) */
    emit_raw(w, "#if NETC_VEC8\n");
    gemm_rows(w, &o8, gemm_block8, o8.mr, M, K, nc, n, k0, kc, first);
    emit_raw(w, "#else\n");
    gemm_rows(w, o, gemm_block, o->mr, M, K, nc, n, k0, kc, first);
    emit_raw(w, "#endif\n");
}

/* The row blocks of one panel of columns (n, nc wide): blocks of `mb` rows (a
 * multiple of mr), the whole mr-row panels left as one block, then the M % mr last
 * rows, each printed by `block` (gemm_block, or vgemm_block with nc in vectors). */
static void gemm_rows(Emitter *w, const GemmOpt *o, BlockFn block, int64_t mb, int64_t M, int64_t K, int64_t nc, const char *n,
                      const char *k0, int64_t kc, const char *first) {
    int64_t Mb = M / mb * mb, Mp = M / o->mr * o->mr;
    char mlit[32];
    if (Mb) {
        emit(w, "for (int m = 0; m < %lld; m += %lld)", LL(Mb), LL(mb));
        block(w, o, mb, nc, k0, kc, K, "m", n, first);
    }
    snprintf(mlit, sizeof mlit, "%lld", LL(Mb));
    if (Mp > Mb) block(w, o, Mp - Mb, nc, k0, kc, K, mlit, n, first);
    snprintf(mlit, sizeof mlit, "%lld", LL(Mp));
    if (M > Mp) block(w, o, M - Mp, nc, k0, kc, K, mlit, n, first);
}

/* One KC slice: panels of B (n) outside, row blocks of A (m) inside. */
static void gemm_slice(Emitter *w, const GemmOpt *o, int64_t M, int64_t K, int64_t N, const char *k0, int64_t kc, const char *first) {
    int64_t Nb = N / GEMM_NR * GEMM_NR;
    char nlit[32];
    snprintf(nlit, sizeof nlit, "%lld", LL(Nb));
    if (Nb) {
        emit_panels(w, o);
        emit(w, "for (int n = 0; n < %lld; n += %d) {", LL(Nb), GEMM_NR);
        gemm_rows_any(w, o, M, K, GEMM_NR, "n", k0, kc, first);
        emit(w, "}");
    }
    if (N - Nb) {
        emit_tail(w, o, true);
        gemm_rows_any(w, o, M, K, N - Nb, nlit, k0, kc, first);
        emit_tail(w, o, false);
    }
}

/* ---- the host vector path (NETC_VEC: AVX-512 hosts, see the prelude) ----
 * Blocks of `mr` rows by `nv` 16-wide vectors of columns (6 x 4 or 8 x 2, see
 * gemm_mr): a load of B per vector and a broadcast of A per row each step of k. */

static void vgemm_block(Emitter *w, const GemmOpt *o, int64_t mr, int64_t nv, const char *k0, int64_t kc, int64_t K,
                        const char *m, const char *n, const char *first) {
    emit(w, "{");
    /* packed: a block of whole panels reads each panel's stream (P rows), the last
     * rows their own */
    const int64_t P = mr % o->mr ? mr : o->mr;
    if (o->pair) emit(w, "const float *restrict a = A + (%s * %lld + %s * %lld) * 2;", m, LL(K), k0, LL(P));
    else if (o->packed && !o->ars) emit(w, "const float *restrict a = A + %s * %lld + %s * %lld;", m, LL(K), k0, LL(P));
    for (int64_t i = 0; i < mr; i++) {
        if (!o->packed && !o->ars && !o->ntap) emit(w, "const float *restrict a%lld = A + (%s + %lld) * %lld + %s;", LL(i), m, LL(i), LL(o->lda), k0);
        for (int64_t v = 0; v < nv; v++) {
            if (!strcmp(first, "1") || o->pair) emit(w, "netc_vf c%lld_%lld = {0};", LL(i), LL(v));
            else if (o->tail) emit(w, "netc_vf c%lld_%lld = %s ? (netc_vf){0} : NETC_LOADM(C + (%s + %lld) * %lld + %s + %lld, 0x%x);", LL(i), LL(v),
                                   first, m, LL(i), LL(o->ldc), n, LL(v * VEC_W), (1u << o->tail) - 1);
            else emit(w, "netc_vf c%lld_%lld = %s ? (netc_vf){0} : *(const netc_vf *)(C + (%s + %lld) * %lld + %s + %lld);", LL(i), LL(v),
                      first, m, LL(i), LL(o->ldc), n, LL(v * VEC_W));
        }
    }
    if (o->ntap) {
        emit(w, "for (int t = 0; t < %lld; t++) {", LL(o->ntap));
        for (int64_t i = 0; i < mr; i++) emit(w, "const float *restrict a%lld = A + ra[%s + %lld] + ao[t];", LL(i), m, LL(i));
        emit(w, "const float *restrict b = B + bo[t] + %s;", n);
        emit(w, "for (int k = 0; k < %lld; k++, b += %lld) {", LL(kc), LL(o->ldb));
    } else if (o->rtap) {
        range_loop(w, o, n);
        emit(w, "const float *restrict b = B + k * %lld + %s;", LL(o->ldb), n);
    } else if (o->boff) {
        emit(w, "for (int k = 0; k < %lld; k++) {", LL(kc));
        emit(w, "const float *restrict b = B + bo[%s + k] + %s;", k0, n);
    } else {
        emit(w, o->dup ? "const float *restrict b = B + %s * %lld + (%s) / 2;" : "const float *restrict b = B + %s * %lld + %s;", k0, LL(o->ldb), n);
        emit(w, "for (int k = 0; k < %lld; k++, b += %lld) {", LL(kc), LL(o->ldb));
    }
    if (o->ars) emit(w, "const float *restrict a = A + ao[%s + k] + %s * %lld;", k0, m, LL(o->ars));
    for (int64_t v = 0; o->dup && v < nv; v += 2) {   /* 16 of B's elements, each in two lanes */
        emit(w, "const netc_vf l%lld = *(const netc_vf *)(b + %lld);", LL(v), LL(v * VEC_W / 2));
        emit(w, "const netc_vf b%lld = NETC_DUPLO(l%lld), b%lld = NETC_DUPHI(l%lld);", LL(v), LL(v), LL(v + 1), LL(v));
    }
    for (int64_t v = 0; !o->dup && v < nv; v++) {
        if (o->tail) emit(w, "const netc_vf b%lld = NETC_LOADM(b + %lld, 0x%x);", LL(v), LL(v * VEC_W), (1u << o->tail) - 1);
        else emit(w, "const netc_vf b%lld = *(const netc_vf *)(b + %lld);", LL(v), LL(v * VEC_W));
    }
    for (int64_t i = 0; i < mr; i++) {
        emit(w, "{");
        if (o->pair) emit(w, "const netc_vf ai = netc_pair(a + (k * %lld + %lld) * 2);", LL(P), LL(i / P * P * K + i % P));
        else if (o->ars) emit(w, "const float ai = a[%lld];", LL(i * o->ars));
        else if (o->packed) emit(w, "const float ai = a[k * %lld + %lld];", LL(P), LL(i / P * P * K + i % P));
        else emit(w, "const float ai = a%lld[k];", LL(i));
        for (int64_t v = 0; v < nv; v++) emit(w, "c%lld_%lld += ai * b%lld;", LL(i), LL(v), LL(v));
        emit(w, "}");
    }
    emit(w, "}");
    if (o->rtap || o->ntap) emit(w, "}");
    for (int64_t i = 0; o->dup && i < mr; i++)   /* row i at C + yo[i] */
        for (int64_t v = 0; v < nv; v++) {
            char bias[64] = "";
            if (o->bdiv) snprintf(bias, sizeof bias, " + bias[(%s + %lld) / %lld]", m, LL(i), LL(o->bdiv));
            if (o->acc) emit(w, "*(netc_vf *)(C + yo[%s + %lld] + %s + %lld) += c%lld_%lld%s;", m, LL(i), n, LL(v * VEC_W), LL(i), LL(v), bias);
            else emit(w, o->stream ? "NETC_STREAM(C + yo[%s + %lld] + %s + %lld, c%lld_%lld%s);" : "*(netc_vf *)(C + yo[%s + %lld] + %s + %lld) = c%lld_%lld%s;",
                      m, LL(i), n, LL(v * VEC_W), LL(i), LL(v), bias);
        }
    for (int64_t i = 0; o->pair && !o->dup && i < mr; i++)   /* each output the sum of its two lanes */
        for (int64_t v = 0; v < nv; v += 2)
            emit(w, "*(netc_vf *)(C + (%s + %lld) * %lld + (%s) / 2 + %lld) %s= NETC_PADD(c%lld_%lld, c%lld_%lld);", m, LL(i), LL(o->ldc), n,
                 LL(v * VEC_W / 2), o->acc ? "+" : "", LL(i), LL(v), LL(i), LL(v + 1));
    for (int64_t i = 0; !o->pair && i < mr; i++)
        for (int64_t v = 0; v < nv; v++) {
            if (o->tail)
                emit(w, "NETC_STOREM(C + (%s + %lld) * %lld + %s + %lld, c%lld_%lld, 0x%x);", m, LL(i), LL(o->ldc), n, LL(v * VEC_W), LL(i), LL(v),
                     (1u << o->tail) - 1);
            else
                emit(w, o->stream ? "NETC_STREAM(C + (%s + %lld) * %lld + %s + %lld, c%lld_%lld);" : "*(netc_vf *)(C + (%s + %lld) * %lld + %s + %lld) = c%lld_%lld;",
                     m, LL(i), LL(o->ldc), n, LL(v * VEC_W), LL(i), LL(v));
        }
    emit(w, "}");
}

/* One KC slice on the vector path: panels of `nv` vectors, then one block of the
 * whole vectors left, then the last N % 16 columns as one masked vector (their
 * loads and stores touch no other column: fw1dk5's weight gradient, 40 columns,
 * ran a fifth of its multiply-adds in the portable blocks' scalar loop). */
static void vgemm_slice(Emitter *w, const GemmOpt *o, int64_t M, int64_t K, int64_t N, const char *k0, int64_t kc, const char *first) {
    int64_t pw = o->nv * VEC_W, Np = N / pw * pw, Nv = N / VEC_W * VEC_W;
    char nlit[32];
    if (Np) {
        emit_panels(w, o);
        emit(w, "for (int n = 0; n < %lld; n += %lld) {", LL(Np), LL(pw));
        gemm_rows(w, o, vgemm_block, o->mb, M, K, o->nv, "n", k0, kc, first);
        emit(w, "}");
    }
    if (N - Np) emit_tail(w, o, true);
    if (Nv > Np) {
        snprintf(nlit, sizeof nlit, "%lld", LL(Np));
        gemm_rows(w, o, vgemm_block, o->mb, M, K, (Nv - Np) / VEC_W, nlit, k0, kc, first);
    }
    if (N - Nv) {
        GemmOpt t = *o;
        t.tail = (int)(N - Nv);
        snprintf(nlit, sizeof nlit, "%lld", LL(Nv));
        gemm_rows(w, &t, vgemm_block, o->mb, M, K, 1, nlit, k0, kc, first);
    }
    if (N - Np) emit_tail(w, o, false);
}

/* The KC slices of K, each printed by `slice`; a GEMM with enough work per slice
 * runs them all in one parallel region (one fork and join per call). */
static bool gemm_par(int64_t M, int64_t K, int64_t N, int64_t panel, int64_t kc) {
    return N / panel >= 2 && threaded(M * (K < kc ? K : kc) * (N / panel * panel));
}
static void gemm_slices(Emitter *w, const GemmOpt *opt, int64_t M, int64_t K, int64_t N, int64_t panel,
                        void (*slice)(Emitter *, const GemmOpt *, int64_t, int64_t, int64_t, const char *, int64_t, const char *)) {
    int64_t kc = opt->kc, full = K / kc, rem = K % kc;
    GemmOpt po = *opt;
    const GemmOpt *o = &po;
    po.par = !opt->pair && gemm_par(M, K, N, panel, kc);   /* (a pair GEMM runs inside its call's loop over rows) */
    if (po.par) {
        emit(w, "NETC_PARALLEL");
        emit(w, "{");
    }
    if (o->rtap) {
        slice(w, o, M, K, N, "0", K, "first");   /* the ranges cover K: one slice, `first` the call's */
    } else if (full == 1 && rem == 0) {   /* (a GEMM over taps: kc = K, every tap's K in one block) */
        slice(w, o, M, K, N, "0", kc, o->acc ? "0" : "1");
    } else if (full >= 1) {
        emit(w, "for (int kb = 0; kb < %lld; kb += %lld) {", LL(full * kc), LL(kc));
        if (o->acc) {
            slice(w, o, M, K, N, "kb", kc, "0");
        } else {
            emit(w, "const int first = kb == 0;");
            slice(w, o, M, K, N, "kb", kc, "first");
        }
        emit(w, "}");
    }
    if (rem) {
        char k0[32];
        snprintf(k0, sizeof k0, "%lld", LL(full * kc));
        slice(w, o, M, K, N, k0, rem, full || o->acc ? "0" : "1");
    }
    if (o->stream) emit(w, "NETC_SFENCE();");
    if (po.par) emit(w, "}");
}

/* A GEMM function's body: the vector path's blocking (see gemm_fn) under
 * NETC_VEC, the portable blocks otherwise.  A ranged GEMM keeps 6 x 4 or 8 x 2
 * blocks (a panel of 64 or 32 columns lies in one tap) over its whole K. */
static void gemm_body(Emitter *w, const GemmOpt *o, int64_t M, int64_t K, int64_t N, bool stream) {
    if (N >= VEC_W) {
        GemmOpt v = *o;
        v.nv = 2;
        v.mb = o->mr == 6 ? 12 : GEMM_MR;
        int wnv = gemm_rows8(M) && !o->rtap ? 3 : 4;
        if (M >= GEMM_WIDE_ROWS && N >= wnv * VEC_W && !(gemm_par(M, K, N, 2 * VEC_W, GEMM_KC) && !gemm_par(M, K, N, wnv * VEC_W, GEMM_WIDE_KC))) {
            v.nv = wnv;
            v.mb = v.mr = wnv == 3 ? 8 : 6;
            v.kc = GEMM_WIDE_KC;
            if (o->acc && M * o->ldc >= GEMM_DEEP_C) v.kc = K < GEMM_DEEP_KC ? K : GEMM_DEEP_KC;
        }
        v.stream = stream;
        emit_raw(w, "#if NETC_VEC\n");
        gemm_slices(w, &v, M, K, N, v.nv * VEC_W, vgemm_slice);
        emit_raw(w, "#else\n");
    }
    gemm_slices(w, o, M, K, N, GEMM_NR, gemm_slice);
    if (N >= VEC_W) emit_raw(w, "#endif\n");
}

/* The function computing C[M][N] = A[M][K] . B[K][N], printed on first use.  `packed`:
 * A is stored as panels of MR = gemm_mr(M) rows, [M / MR][K][MR], then the M % MR
 * last rows as [K][M % MR], so that a register block reads A in one sequential
 * stream (the convolutions pack their weights so; see emit_pack_a).  B's rows are
 * `ldb` floats apart (0: N), or with `boff` row k starts at B + bo[k], bo a table of
 * K offsets passed as a fourth argument (the implicit GEMM's taps, ConvImplicit).  The vector path's blocks: in a GEMM of 24 rows or
 * more, 6 rows by 4 vectors over KC = 128 (a 32 KiB panel of B), unless it is
 * threaded and only panels of 2 vectors would share it out; otherwise 2 vectors by
 * 12 rows (two 6-row panels of packed A) or 8, over KC = 256. */
/* Whether a GEMM function of this key (sizes, kind, row lengths) was printed already;
 * if not, it is recorded as printed. */
static bool gemm_printed(Ctx *c, const int64_t key[7]) {
    for (int i = 0; i < c->ngemms; i++)
        if (!memcmp(c->gemms[i], key, sizeof(int64_t) * 7)) return true;
    if (c->ngemms < 1024) memcpy(c->gemms[c->ngemms++], key, sizeof(int64_t) * 7);
    return false;
}

static const char *gemm_fn(Ctx *c, int64_t M, int64_t K, int64_t N, bool packed, int64_t lda, int64_t ldb, bool acc, int64_t ldc,
                           bool boff, int64_t ars, bool stream) {
    static char name[160];
    if (ars) packed = false, lda = ars;
    GemmOpt o = {packed, ldb && !boff ? ldb : N, acc, false, ldc ? ldc : N, lda ? lda : K, packed ? gemm_mr(M) : GEMM_MR, 0, 1, GEMM_KC,
                 boff, ars, false, 0, 0, 0, false, false, 0};
    stream = stream && !acc && N >= VEC_W && K <= GEMM_WIDE_KC;   /* one slice of any block: every store is final */
    char pre[8];
    snprintf(pre, sizeof pre, "%s%s%s%s%s", stream ? "s" : "", packed ? "p" : "", ars ? "w" : "", acc ? "a" : "", boff ? "o" : "");
    snprintf(name, sizeof name, "%sgemm_%lld_%lld_%lld", pre, LL(M), LL(K), LL(N));
    if (o.ldb != N) snprintf(name + strlen(name), sizeof name - strlen(name), "_ldb%lld", LL(o.ldb));
    if (o.ldc != N) snprintf(name + strlen(name), sizeof name - strlen(name), "_ldc%lld", LL(o.ldc));
    if (o.lda != K) snprintf(name + strlen(name), sizeof name - strlen(name), ars ? "_ars%lld" : "_lda%lld", LL(o.lda));
    if (gemm_printed(c, (int64_t[7]){M, K, N, packed + 2 * acc + 4 * boff + 8 * (ars != 0) + 16 * stream, o.ldb, o.ldc, o.lda})) return name;
    Emitter *w = c->g;
    emit(w, "/* C[%lld][%lld] %s= A[%lld][%lld] . B[%lld][%lld]%s%s%s%s%s */", LL(M), LL(N), acc ? "+" : "", LL(M), LL(K), LL(K), LL(N),
         packed ? ", A in panels of rows" : "", o.ldb != N ? ", B's rows further apart" : "",
         boff ? ", B's row k at B + bo[k]" : "", o.ldc != N ? ", C's rows further apart" : "",
         ars ? ", A[i][k] at A + ao[k] + i * ars" : o.lda != K ? ", A's rows further apart" : "");
    emit(w, "static void %s(const float *restrict A, const float *restrict B, float *restrict C%s%s)", name,
         ars ? ", const int *restrict ao" : "", boff ? ", const int *restrict bo" : "");
    emit(w, "{");
    gemm_body(w, &o, M, K, N, stream);
    emit(w, "}");
    emit_raw(w, "\n");
    return name;
}

/* The GEMM over taps (the region path's): C[M][N] (acc: +)= the sum over t < T of
 * A_t[M][K] . B_t[K][N], where A_t's row i starts at A + ra[i] + ao[t] and B_t at
 * B + bo[t] (rows ldb apart), every tap's products summed in the registers of one
 * block before C is stored once.  Vector blocks of 6 rows by CONV_REGION_PANEL / 16
 * vectors (6 x 4), the whole K of every tap in one slice; the caller keeps B in L2
 * (see ConvRegion).  Against 12 x 2 blocks: DCGAN 4x4's forward 0.97, its input
 * gradient 0.89. */
static const char *gemm_fn_taps(Ctx *c, int64_t M, int64_t K, int64_t N, int T, int64_t ldb, int64_t ldc, bool acc) {
    static char name[160];
    snprintf(name, sizeof name, "t%sgemm_%lld_%lld_%lld_t%d_ldb%lld_ldc%lld", acc ? "a" : "", LL(M), LL(K), LL(N), T, LL(ldb), LL(ldc));
    if (gemm_printed(c, (int64_t[7]){M, K, N, 64 + acc, ldb, ldc, T})) return name;   /* (kinds 64, 65: over taps) */
    Emitter *w = c->g;
    emit(w, "/* C[%lld][%lld] %s= the sum over %d taps t of A_t[%lld][%lld] . B_t[%lld][%lld]: A_t's row i at A + ra[i] + ao[t], B_t at B + bo[t] */",
         LL(M), LL(N), acc ? "+" : "", T, LL(M), LL(K), LL(K), LL(N));
    emit(w, "static void %s(const float *restrict A, const float *restrict B, float *restrict C, const int *restrict ra, const int *restrict ao, const int *restrict bo)", name);
    emit(w, "{");
    GemmOpt o = {.ldb = ldb, .acc = acc, .ldc = ldc, .lda = K, .mr = 6, .mb = 6, .nv = CONV_REGION_PANEL / VEC_W, .kc = K, .ntap = T};
    if (N >= VEC_W) {
        emit_raw(w, "#if NETC_VEC\n");
        gemm_slices(w, &o, M, K, N, o.nv * VEC_W, vgemm_slice);
        emit_raw(w, "#else\n");
    }
    GemmOpt p = o;
    p.mr = GEMM_MR, p.nv = 1;
    gemm_slices(w, &p, M, K, N, GEMM_NR, gemm_slice);
    if (N >= VEC_W) emit_raw(w, "#endif\n");
    emit(w, "}");
    emit_raw(w, "\n");
    return name;
}

/* The pair path's GEMM (see conv_pairs): C[M][N / 2] (acc: +)= the sums of lanes 2 j
 * and 2 j + 1 of A[M][K] . B[K][N], where B's row k starts at B + bo[k] and A is
 * packed in panels of 6 rows, each element a pair of floats, the first multiplying
 * the even lanes, the second the odd ones: [M / 6][K][6][2], then [K][M % 6][2].  On
 * the vector path, blocks of 6 rows by 4 vectors (64 lanes, 32 outputs), A's pair
 * broadcast as one 64-bit lane; the whole K in one slice (a block's sums leave the
 * registers halved). */
static const char *gemm_fn_pairs(Ctx *c, int64_t M, int64_t K, int64_t N, int64_t ldc, bool acc) {
    static char name[160];
    snprintf(name, sizeof name, "q%sgemm_%lld_%lld_%lld_ldc%lld", acc ? "a" : "", LL(M), LL(K), LL(N), LL(ldc));
    if (gemm_printed(c, (int64_t[7]){M, K, N, 66 + acc, 0, ldc, 0})) return name;   /* (kinds 66, 67: pairs) */
    Emitter *w = c->g;
    emit(w, "/* C[%lld][%lld] %s= the pair sums of A[%lld][%lld] . B[%lld][%lld]: B's row k at B + bo[k], A in panels of pairs */", LL(M), LL(N / 2),
         acc ? "+" : "", LL(M), LL(K), LL(K), LL(N));
    emit(w, "static void %s(const float *restrict A, const float *restrict B, float *restrict C, const int *restrict bo)", name);
    emit(w, "{");
    GemmOpt o = {.packed = true, .ldb = N, .acc = acc, .ldc = ldc, .lda = K, .mr = 6, .mb = 6, .nv = 4, .kc = K, .boff = true, .pair = true};
    emit_raw(w, "#if NETC_VEC\n");
    gemm_slices(w, &o, M, K, N, o.nv * VEC_W, vgemm_slice);
    emit_raw(w, "#else\n");
    GemmOpt p = o;
    p.nv = 1;
    gemm_slices(w, &p, M, K, N, GEMM_NR, gemm_slice);
    emit_raw(w, "#endif\n");
    emit(w, "}");
    emit_raw(w, "\n");
    return name;
}

/* The pair path's GEMM for a transposed convolution (see conv_pairs): C's row i at
 * C + yo[i] (acc: +)= (A[M][K] . B'[K][N])[i] (+ bias[i / bdiv], bdiv > 0), where
 * B' has each element of B (rows ldb apart, N / 2 long) in two neighbouring lanes,
 * A packed in panels of pairs as in gemm_fn_pairs: the even lanes meet the first
 * of a pair, the odd ones the second.  On the vector path each load of 16 of B's
 * elements gives two vectors (NETC_DUPLO, NETC_DUPHI); `stream`: stores past the
 * caches.  Against the call's four GEMMs and zipped store (U-Net's k2 s2 forward):
 * 0.91 of the time. */
static const char *gemm_fn_dup(Ctx *c, int64_t M, int64_t K, int64_t N, int64_t ldb, bool acc, int64_t bdiv, bool stream) {
    static char name[160];
    snprintf(name, sizeof name, "%sd%sgemm_%lld_%lld_%lld_ldb%lld%s", stream ? "s" : "", acc ? "a" : "", LL(M), LL(K), LL(N), LL(ldb),
             bdiv ? "_b" : "");
    if (gemm_printed(c, (int64_t[7]){M, K, N, 68 + acc + 2 * stream, ldb, bdiv, 0})) return name;   /* (kinds 68-71: dup pairs) */
    Emitter *w = c->g;
    emit(w, "/* C[yo[i]][%lld] %s= A[%lld][%lld] . B[%lld][%lld], each of B's elements in two lanes, A in panels of pairs%s */", LL(N),
         acc ? "+" : "", LL(M), LL(K), LL(K), LL(N / 2), bdiv ? ", plus a bias per row" : "");
    emit(w, "static void %s(const float *restrict A, const float *restrict B, float *restrict C, const int *restrict yo%s)", name,
         bdiv ? ", const float *restrict bias" : "");
    emit(w, "{");
    GemmOpt o = {.packed = true, .ldb = ldb, .acc = acc, .lda = K, .mr = 6, .mb = 6, .nv = 4, .kc = K, .pair = true, .dup = true,
                 .bdiv = bdiv, .stream = stream};
    emit_raw(w, "#if NETC_VEC\n");
    gemm_slices(w, &o, M, K, N, o.nv * VEC_W, vgemm_slice);
    emit_raw(w, "#else\n");
    GemmOpt p = o;
    p.nv = 1;
    p.stream = false;
    gemm_slices(w, &p, M, K, N, GEMM_NR, gemm_slice);
    emit_raw(w, "#endif\n");
    emit(w, "}");
    emit_raw(w, "\n");
    return name;
}

static const char *gemm_name(Ctx *c, int64_t M, int64_t K, int64_t N, bool packed, int64_t lda, int64_t ldb, bool acc, int64_t ldc) {
    return gemm_fn(c, M, K, N, packed, lda, ldb, acc, ldc, false, 0, false);
}

/* ---- convolutions: im2col per phase, GEMM, fused bias + activation ---- */

/* The columns a convolution's GEMM computes: its n columns rounded up to a whole
 * vector, but not past the results' row length ld (whose extra odd 16 only spreads
 * the rows over the L1 sets; nothing reads the results there). */
static int64_t gemm_cols(int64_t n, int64_t ld) {
    n = (n + VEC_W - 1) / VEC_W * VEC_W;
    return n < ld ? n : ld;
}

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

/* One convolution-shaped computation, forward or as part of a backward pass:
 * y (+)= act(conv(x, w) + b) in gather form.  `tr` gathers by stride phase (a
 * transposed convolution: w in [cin][cout/groups][k...]); otherwise plain im2col
 * (w in [cout][cin/groups][k...]). */
typedef struct ConvCall {
    bool tr;
    ConvGeom g;            /* as this call sees it: cin -> cout, in -> out */
    const Phase *phases;
    int nphases;
    int64_t nb;            /* samples */
    int64_t x, y, col, tmp, pack;   /* arena offsets */
    const char *xp, *yp;   /* or x and y as the caller's pointers (the layer function's xin, yout) */
    int64_t w, b;          /* parameter offsets; b < 0: no bias */
    Activation act;
    bool accumulate;       /* y += conv (no bias, no activation) */
    bool par;              /* printing inside a call's parallel loop: no inner threads */
    int64_t r0;            /* a row block's first row (conv_rows; x and y point at it) */
    bool block;            /* printing one row block (conv_rows) */
    const ConvImplicit *ip;   /* the GEMM phases read a padded copy of x (conv_implicit), or NULL */
} ConvCall;

/* The per-tap valid ranges of q (see schedule.h): x index = q * mul + add. */
static bool tap_ranges(const ConvCall *cc, const Phase *ph, int j, int64_t *lo, int64_t *hi, int64_t *mul, int64_t *add) {
    const ConvGeom *g = &cc->g;
    const PhaseTap *t = &ph->taps[j];
    bool partial = false;
    for (int i = 0; i < g->nsp; i++) {
        mul[i] = cc->tr ? 1 : g->s[i];
        add[i] = tap_offset(g, cc->tr, t, i);
        tap_range(g, cc->tr, ph, j, i, cc->r0, &lo[i], &hi[i]);
        if (lo[i] != 0 || hi[i] != ph->nq[i]) partial = true;
    }
    return partial;
}

/* The part of a [0, nq) box outside a [lo, hi) box, as disjoint slabs (sl[k],
 * sh[k]; at most 2 * nsp): for each axis i, q_i below lo_i or from hi_i on, with the axes
 * before i inside [lo, hi) and those after it whole (an empty [lo, hi) on an axis
 * ends the slabs there, with one slab of the whole axis); returns their count. */
static int box_rest(int nsp, const int64_t *lo, const int64_t *hi, const int64_t *nq, int64_t (*sl)[MAX_SPATIAL], int64_t (*sh)[MAX_SPATIAL]) {
    int n = 0;
    for (int i = 0; i < nsp; i++) {
        bool none = lo[i] >= hi[i];   /* no valid q on this axis: one slab, the whole axis */
        for (int side = 0; side < (none ? 1 : 2); side++) {
            int64_t a = side ? hi[i] : 0, b = side ? nq[i] : none ? nq[i] : lo[i];
            if (a >= b) continue;
            for (int d = 0; d < nsp; d++) {
                sl[n][d] = d < i ? lo[d] : d == i ? a : 0;
                sh[n][d] = d < i ? hi[d] : d == i ? b : nq[d];
            }
            n++;
        }
        if (none) break;
    }
    return n;
}

/* Zeros for the part of a tap's [0, nq) box outside its valid [lo, hi) box (see
 * box_rest).  `row` is the tap's first column expression in cs[]. */
static void emit_zero_rest(Emitter *w, int nsp, const int64_t *lo, const int64_t *hi, const int64_t *nq, const char *row,
                           const char *tidx) {
    int64_t sl[2 * MAX_SPATIAL][MAX_SPATIAL], sh[2 * MAX_SPATIAL][MAX_SPATIAL];
    for (int k = 0, n = box_rest(nsp, lo, hi, nq, sl, sh); k < n; k++) {
        open_q_loops(w, nsp, sl[k], sh[k]);
        emit(w, "cs[%s + %s] = 0.0f;", row, tidx);
        close_loops(w, nsp);
    }
}

/* dst = src for var in [lo, hi), dst and src lvalues in var, src two floats apart
 * per step of var, dst one: on the vector path 16 at a time from two masked loads'
 * even lanes (NETC_EVEN2; GCC leaves such a copy scalar, a load and a store per
 * float: a fifth of DCGAN 16x16's input gradient). */
enum { EVEN2_MIN = 4 };   /* runs at least this long */
static bool even2_run(int64_t mul, int64_t n) { return mul == 2 && n >= EVEN2_MIN; }
static void emit_even2_run(Emitter *w, const char *var, int64_t lo, int64_t hi, const char *dst, const char *src) {
    int64_t n = hi - lo, full = n / VEC_W, r = n % VEC_W;
    emit_raw(w, "#if NETC_VEC\n");
    if (full) {
        emit(w, "for (int %s = %lld; %s < %lld; %s += %d)", var, LL(lo), var, LL(lo + full * VEC_W), var, VEC_W);
        emit(w, "NETC_EVEN2(&%s, &%s, 0xffffu, 0x7fffu, 0xffffu);", dst, src);
    }
    if (r) {
        /* the last r outputs read 2 r - 1 floats */
        int64_t e = 2 * r - 1;
        unsigned m0 = e >= VEC_W ? 0xffffu : (1u << e) - 1, m1 = e > VEC_W ? (1u << (e - VEC_W)) - 1 : 0;
        emit(w, "{");
        emit(w, "const int %s = %lld;", var, LL(lo + full * VEC_W));
        emit(w, "NETC_EVEN2(&%s, &%s, 0x%xu, 0x%xu, 0x%xu);", dst, src, m0, m1, (1u << r) - 1);
        emit(w, "}");
    }
    emit_raw(w, "#else\n");
    emit(w, "for (int %s = %lld; %s < %lld; %s++) %s = %s;", var, LL(lo), var, LL(hi), var, dst, src);
    emit_raw(w, "#endif\n");
}

/* cs[row + q] = xs[x index of q] over the box [lo, hi); reads two apart along the
 * last axis (a stride-2 convolution: every input gradient of a stride-2 transposed
 * convolution) through emit_even2_run. */
static void emit_copy_box(Emitter *w, int nsp, const int64_t *lo, const int64_t *hi, int64_t mulL, const char *row, const char *tidx,
                          const char *xi) {
    int L = nsp - 1;
    if (!even2_run(mulL, hi[L] - lo[L])) {
        open_q_loops(w, nsp, lo, hi);
        emit(w, "cs[%s + %s] = xs[%s];", row, tidx, xi);
        close_loops(w, nsp);
        return;
    }
    char var[8], dst[600], src[600];
    snprintf(var, sizeof var, "q%d", L);
    snprintf(dst, sizeof dst, "cs[%s + %s]", row, tidx);
    snprintf(src, sizeof src, "xs[%s]", xi);
    open_q_loops(w, L, lo, hi);
    emit_even2_run(w, var, lo[L], hi[L], dst, src);
    close_loops(w, L);
}

/* A tap's copy in the chunked im2col, cs[row + q] = xs[x index of q] over the box
 * [lo, hi).  A box narrower than its row on the innermost axis (a tap clipped at
 * the left or right edge) copies whole rows where it can: over the rows (outermost
 * axis) whose widened reads stay inside the channel's plane, q on the innermost
 * axis runs over [0, nq), so every row is one run of nq floats (one vector copy, or
 * with the rows, one contiguous block), and the columns outside [lo, hi) that this
 * fills with neighbouring elements are zeroed after it (emit_zero_rest; the caller
 * prints that next).  The other rows keep the clipped copy.  Not in row blocks,
 * whose xs is not a plane's start, nor for strided reads. */
static void emit_tap_copy(Emitter *w, const ConvCall *cc, const Phase *ph, const int64_t *lo, const int64_t *hi,
                          const int64_t *mul, const int64_t *add, const char *row, const char *tidx, const char *xi,
                          bool widen) {
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp, L = nsp - 1;
    int64_t invol = 1;
    for (int i = 0; i < nsp; i++) invol *= g->in[i];
    int64_t v0 = lo[0], v1 = lo[0];
    if (widen && nsp >= 2 && !cc->block && mul[L] == 1 && (lo[L] > 0 || hi[L] < ph->nq[L])) {
        /* the widened rows: q0 in [v0, v1), where the smallest and largest reads of
         * the row (inner axes at their box corners) stay in [0, invol) */
        for (int64_t q0 = lo[0]; q0 < hi[0]; q0++) {
            int64_t mn = 0, mx = 0;
            for (int i = 0; i < nsp; i++) {
                int64_t qa = i == 0 ? q0 : i == L ? 0 : lo[i], qb = i == 0 ? q0 : i == L ? ph->nq[L] - 1 : hi[i] - 1;
                mn = mn * g->in[i] + qa * mul[i] + add[i];
                mx = mx * g->in[i] + qb * mul[i] + add[i];
            }
            bool ok = mn >= 0 && mx < invol;
            if (ok && v1 == v0) v0 = q0, v1 = q0 + 1;
            else if (ok && v1 == q0) v1 = q0 + 1;
        }
    }
    int64_t a[MAX_SPATIAL], b[MAX_SPATIAL];
    for (int part = 0; part < 3; part++) {
        /* part 0: the clipped rows before the widened ones; 1: the widened rows; 2: after */
        for (int i = 0; i < nsp; i++) a[i] = lo[i], b[i] = hi[i];
        if (part == 0) b[0] = v1 > v0 ? v0 : hi[0];
        else if (part == 1) { if (v1 == v0) continue; a[0] = v0, b[0] = v1, a[L] = 0, b[L] = ph->nq[L]; }
        else { if (v1 == v0) continue; a[0] = v1; }
        if (a[0] >= b[0]) continue;
        emit_copy_box(w, nsp, a, b, mul[L], row, tidx, xi);
    }
}

/* Rows of the transposed im2col written a channel at a time (emit_im2col_row). */
enum { IM2COL_TILE = 16 };

/* One row (n, q) of the transposed im2col: every input channel's taps; `checked`:
 * each tap tests its valid range (outside the interior box).  tile > 1: the rows
 * q .. q + tile - 1 along the last axis (starting at qb) a channel at a time, so
 * that a channel's reads run along its plane's rows instead of leaping a plane per
 * store (U-Net k2's weight gradient: 0.85 of the time). */
static void emit_im2col_row(Emitter *w, const ConvCall *cc, const Phase *ph, int64_t grp, const char *col, const char *x, int64_t KP,
                            const char *tidx, bool checked, int64_t tile) {
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp, L = nsp - 1;
    int64_t Cg = g->cin / g->groups, invol = 1;
    for (int i = 0; i < nsp; i++) invol *= g->in[i];
    int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL];
    emit(w, "{");
    if (tile <= 1) emit(w, "float *restrict row = %s + (n * %lld + %s) * %lld;", col, LL(ph->qtot), tidx, LL(KP));
    emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
    emit(w, "const float *restrict xs = %s + (n * %lld + %lld + ci) * %lld;", x, LL(g->cin), LL(grp * Cg), LL(invol));
    if (tile > 1) {
        emit(w, "for (int q%d = qb; q%d < qb + %lld; q%d++) {", L, L, LL(tile), L);
        emit(w, "float *restrict row = %s + (n * %lld + %s) * %lld;", col, LL(ph->qtot), tidx, LL(KP));
    }
    for (int j = 0; j < ph->ntaps; j++) {
        tap_ranges(cc, ph, j, lo, hi, mul, add);
        char xi[512], cond[512] = "";
        index_expr(xi, sizeof xi, nsp, mul, add, g->in);
        bool empty = false;
        for (int i = 0; i < nsp; i++) {
            if (lo[i] >= hi[i]) empty = true;
            if (lo[i] > 0) snprintf(cond + strlen(cond), sizeof cond - strlen(cond), "%sq%d >= %lld", *cond ? " && " : "", i, LL(lo[i]));
            if (hi[i] < ph->nq[i]) snprintf(cond + strlen(cond), sizeof cond - strlen(cond), "%sq%d < %lld", *cond ? " && " : "", i, LL(hi[i]));
        }
        if (empty) emit(w, "row[ci * %d + %d] = 0.0f;", ph->ntaps, j);
        else if (checked && *cond) emit(w, "row[ci * %d + %d] = %s ? xs[%s] : 0.0f;", ph->ntaps, j, cond, xi);
        else emit(w, "row[ci * %d + %d] = xs[%s];", ph->ntaps, j, xi);
    }
    if (tile > 1) emit(w, "}");
    emit(w, "}");
    emit(w, "}");
}

/* The transposed im2col (row (n, q), column (ci, tap), rows KP apart) of one phase and
 * group with unrolled taps, written row by row so that every store lands next to the
 * last (a row is KP floats; written column by column, each store would touch a new
 * cache line of a matrix that can be tens of megabytes).  Inside the box where every
 * tap reads input (the intersection of their valid ranges) a row is plain copies;
 * the slabs around it (emit_zero_rest's decomposition) test each tap's range. */
static void emit_im2col_rows(Emitter *w, const ConvCall *cc, const Phase *ph, int64_t grp, const char *col, const char *x, int64_t KP) {
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp;
    int64_t Cg = g->cin / g->groups, invol = 1;
    for (int i = 0; i < nsp; i++) invol *= g->in[i];
    int64_t one[MAX_SPATIAL] = {0}, zero[MAX_SPATIAL] = {0}, in_lo[MAX_SPATIAL] = {0}, in_hi[MAX_SPATIAL] = {0};
    int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL];
    for (int i = 0; i < nsp; i++) { one[i] = 1; in_lo[i] = 0; in_hi[i] = ph->nq[i]; }
    char tidx[512];
    index_expr(tidx, sizeof tidx, nsp, one, zero, ph->nq);
    for (int j = 0; j < ph->ntaps; j++) {
        tap_ranges(cc, ph, j, lo, hi, mul, add);
        for (int i = 0; i < nsp; i++) {
            if (lo[i] > in_lo[i]) in_lo[i] = lo[i];
            if (hi[i] < in_hi[i]) in_hi[i] = hi[i];
        }
    }
    bool interior = true;
    for (int i = 0; i < nsp; i++) if (in_lo[i] >= in_hi[i]) interior = false;
    if (interior) {
        /* taps that do not overlap along the last axis (a kernel no wider than its
         * stride: U-Net's k2 s2): tiles of IM2COL_TILE rows along it, then the rows
         * after them.  (Overlapping taps measured slower tiled: U-Net k3's weight
         * gradient 1.04-1.16 for tiles of 4-32, DCGAN 64->3's 1.07.) */
        int L = nsp - 1;
        bool disjoint = !cc->tr && (g->k[L] - 1) * g->dil[L] + 1 <= g->s[L];
        int64_t tiles = disjoint ? (in_hi[L] - in_lo[L]) / IM2COL_TILE : 0, t_end = in_lo[L] + tiles * IM2COL_TILE;
        if (tiles) {
            if (threaded(cc->nb * Cg * ph->ntaps * ph->qtot)) emit(w, "NETC_PARALLEL_FOR2");
            emit(w, "for (int n = 0; n < %lld; n++)", LL(cc->nb));
            open_q_loops(w, L, in_lo, in_hi);
            emit(w, "for (int qb = %lld; qb < %lld; qb += %d) {", LL(in_lo[L]), LL(t_end), IM2COL_TILE);
            emit_im2col_row(w, cc, ph, grp, col, x, KP, tidx, false, IM2COL_TILE);
            close_loops(w, L + 1);
        }
        if (t_end < in_hi[L]) {
            int64_t rlo[MAX_SPATIAL];
            memcpy(rlo, in_lo, sizeof rlo);
            rlo[L] = t_end;
            if (threaded(cc->nb * Cg * ph->ntaps * ph->qtot)) emit(w, "NETC_PARALLEL_FOR2");
            emit(w, "for (int n = 0; n < %lld; n++)", LL(cc->nb));
            open_q_loops(w, nsp, rlo, in_hi);
            emit_im2col_row(w, cc, ph, grp, col, x, KP, tidx, false, 1);
            close_loops(w, nsp);
        }
    }
    /* the slabs around the interior box (all of it when there is none) */
    int64_t sl[2 * MAX_SPATIAL][MAX_SPATIAL], sh[2 * MAX_SPATIAL][MAX_SPATIAL];
    int nsl = box_rest(nsp, in_lo, in_hi, ph->nq, sl, sh);
    if (nsl) {
        emit(w, "for (int n = 0; n < %lld; n++) {", LL(cc->nb));
        for (int k = 0; k < nsl; k++) {
            open_q_loops(w, nsp, sl[k], sh[k]);
            emit_im2col_row(w, cc, ph, grp, col, x, KP, tidx, true, 1);
            close_loops(w, nsp);
        }
        emit(w, "}");
    }
}

/* im2col of one phase and group.  With a chunk `ch`: the samples n0 + [0, nbk),
 * row (ci, tap), column (n, q), rows ncpad apart (the pad columns feed only
 * the GEMM's pad columns, which nothing reads).  Without (transposed): every sample,
 * row (n, q), column (ci, tap), row-major.  `col` and `x` are C expressions of
 * pointers, `n0` of the chunk's first sample. */
static void emit_im2col(Emitter *w, const ConvCall *cc, const Phase *ph, int64_t grp, const char *col, const char *x,
                        const ConvChunk *ch, const char *n0) {
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp;
    bool transposed = !ch;
    int64_t Cg = g->cin / g->groups, NCOL = ch ? ch->ncol : cc->nb * ph->qtot, invol = 1;
    for (int i = 0; i < nsp; i++) invol *= g->in[i];
    int64_t zero_lo[MAX_SPATIAL] = {0}, one[MAX_SPATIAL], zero[MAX_SPATIAL] = {0};
    for (int i = 0; i < nsp; i++) one[i] = 1;
    char tidx[512];
    index_expr(tidx, sizeof tidx, nsp, one, zero, ph->nq);
    bool unroll = ph->ntaps <= 64, partial = !unroll;
    int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL];
    for (int j = 0; j < ph->ntaps && unroll; j++) partial |= tap_ranges(cc, ph, j, lo, hi, mul, add);
    int64_t KP = pad_rows(ph->K);   /* transposed: row length */
    /* the chunked form zeroes each tap's uncovered outputs beside its copy (every
     * column a GEMM result is read from is written; the pad columns feed only pad
     * results); the transposed form and the tap loop clear the whole matrix */
    bool zero_taps = partial && ch && unroll;
    if (transposed && unroll) {
        emit_im2col_rows(w, cc, ph, grp, col, x, KP);
        return;
    }
    if (partial && !zero_taps) emit(w, "netc_memset(%s, 0, sizeof(float) * %lld);", col, LL(ch ? ph->K * ch->ncpad : KP * NCOL));
    if (!cc->par && threaded((ch ? ch->nbk : cc->nb) * Cg * ph->ntaps * ph->qtot)) emit(w, "NETC_PARALLEL_FOR2");
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(ch ? ch->nbk : cc->nb));
    emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
    if (ch) emit(w, "const float *restrict xs = %s + ((%s + n) * %lld + %lld + ci) * %lld;", x, n0, LL(g->cin), LL(grp * Cg), LL(invol));
    else emit(w, "const float *restrict xs = %s + (n * %lld + %lld + ci) * %lld;", x, LL(g->cin), LL(grp * Cg), LL(invol));
    if (transposed)
        emit(w, "float *restrict cs = %s + n * %lld + ci * %d;", col, LL(ph->qtot * KP), ph->ntaps);
    else
        emit(w, "float *restrict cs = %s + ci * %lld + n * %lld;", col, LL(ph->ntaps * ch->ncpad), LL(ph->qtot));
    if (unroll) {
        for (int j = 0; j < ph->ntaps; j++) {
            tap_ranges(cc, ph, j, lo, hi, mul, add);
            bool empty = false;
            for (int i = 0; i < nsp; i++) if (lo[i] >= hi[i]) empty = true;
            char tname[64] = "";
            for (int i = 0; i < nsp; i++) snprintf(tname + strlen(tname), sizeof tname - strlen(tname), "%s%lld", i ? "," : "", LL(ph->taps[j].t[i]));
            char row[64];
            snprintf(row, sizeof row, "%lld", LL(j * ch->ncpad));
            if (empty) {
                emit(w, "/* tap (%s) reads no input here */", tname);
                if (zero_taps) emit_zero_rest(w, nsp, lo, hi, ph->nq, row, tidx);
                continue;
            }
            char xi[512];
            index_expr(xi, sizeof xi, nsp, mul, add, g->in);
            emit(w, "/* tap (%s) */", tname);
            emit_tap_copy(w, cc, ph, lo, hi, mul, add, row, tidx, xi, zero_taps);
            if (zero_taps) emit_zero_rest(w, nsp, lo, hi, ph->nq, row, tidx);
        }
    } else {
        /* very large kernels: a tap loop with bounds checks instead of unrolled copies */
        emit(w, "static const int tap[%d][%d] = {", ph->ntaps, nsp);
        for (int j = 0; j < ph->ntaps; j++) {
            char row[256] = "{";
            for (int i = 0; i < nsp; i++) {
                int64_t a = cc->tr ? -ph->taps[j].delta[i] : ph->taps[j].t[i] * g->dil[i] - g->pb[i];
                snprintf(row + strlen(row), sizeof row - strlen(row), "%s%lld", i ? ", " : "", LL(a));
            }
            emit(w, "%s},", row);
        }
        emit(w, "};");
        emit(w, "for (int j = 0; j < %d; j++) {", ph->ntaps);
        open_q_loops(w, nsp, zero_lo, ph->nq);
        char cond[512] = "1", xi[512] = "", tmpb[700];
        for (int i = 0; i < nsp; i++) {
            int64_t m = cc->tr ? 1 : g->s[i];
            snprintf(tmpb, sizeof tmpb, "%s && q%d * %lld + tap[j][%d] >= 0 && q%d * %lld + tap[j][%d] < %lld", cond, i, LL(m), i, i, LL(m), i, LL(g->in[i]));
            snprintf(cond, sizeof cond, "%s", tmpb);
            if (i == 0) snprintf(tmpb, sizeof tmpb, "(q0 * %lld + tap[j][0])", LL(m));
            else snprintf(tmpb, sizeof tmpb, "(%s) * %lld + (q%d * %lld + tap[j][%d])", xi, LL(g->in[i]), i, LL(m), i);
            snprintf(xi, sizeof xi, "%s", tmpb);
        }
        if (transposed) emit(w, "if (%s) cs[(%s) * %lld + j] = xs[%s];", cond, tidx, LL(KP), xi);
        else emit(w, "if (%s) cs[j * %lld + %s] = xs[%s];", cond, LL(ch->ncpad), tidx, xi);
        close_loops(w, nsp);
        emit(w, "}");
    }
    emit(w, "}");
    emit(w, "}");
}


/* Results into the output yo[]: accumulated, or with the bias bv and the
 * activation.  One loop over the phases' common box; each of the `nst` phases
 * reads ts[toff[p] + tidx] and writes yo[yidx[p]] (several: interleaved, see
 * conv_interleaved). */
static void emit_store(Emitter *w, const ConvCall *cc, const int64_t *nq, int nst, const char *const *yidx, const int64_t *toff,
                       const char *tidx) {
    int64_t zero_lo[MAX_SPATIAL] = {0};
    open_q_loops(w, cc->g.nsp, zero_lo, nq);
    for (int p = 0; p < nst; p++) {
        char t[600];
        if (toff[p]) snprintf(t, sizeof t, "ts[%lld + %s]", LL(toff[p]), tidx);
        else snprintf(t, sizeof t, "ts[%s]", tidx);
        if (cc->accumulate) emit(w, "yo[%s] += %s;", yidx[p], t);
        else {
            emit(w, "const float v%d = %s + bv;", p, t);
            char e[256], v[16];
            snprintf(v, sizeof v, "v%d", p);
            act_expr(e, sizeof e, cc->act, v);
            emit(w, "yo[%s] = %s;", yidx[p], e);
        }
    }
    close_loops(w, cc->g.nsp);
}

/* Index in w of the weight tap j of phase ph gives output channel co of group grp
 * from the group's first input channel; the next input channel's is
 * direct_wstride further. */
static int64_t direct_widx(const ConvCall *cc, const Phase *ph, int64_t grp, int64_t co, int j, int64_t kvol) {
    const ConvGeom *g = &cc->g;
    int64_t Cg = g->cin / g->groups, Fg = g->cout / g->groups;
    return (cc->tr ? ((grp * Cg) * Fg + co) * kvol : ((grp * Fg + co) * Cg) * kvol) + ph->taps[j].index;
}
static int64_t direct_wstride(const ConvCall *cc, int64_t kvol) { return cc->tr ? cc->g.cout / cc->g.groups * kvol : kvol; }

/* The end of a direct phase of sample n: tmp[co][q], with the bias and activation,
 * into (or onto) y. */
static void emit_direct_store(Emitter *w, const ConvCall *cc, const Phase *ph, int nst, int64_t grp, const char *const *yidx,
                              const int64_t *toff, const char *tidx) {
    const ConvGeom *g = &cc->g;
    int64_t Fg = g->cout / g->groups, outvol = 1;
    for (int i = 0; i < g->nsp; i++) outvol *= g->out[i];
    emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
    if (!cc->accumulate) {
        if (cc->b >= 0) emit(w, "const float bv = s->params[%lld + co];", LL(cc->b + grp * Fg));
        else emit(w, "const float bv = 0.0f;");
    }
    emit(w, "const float *restrict ts = tmp + co * %lld;", LL(ph->qtot));
    emit(w, "float *restrict yo = y + (n * %lld + %lld + co) * %lld;", LL(g->cout), LL(grp * Fg), LL(outvol));
    emit_store(w, cc, ph->nq, nst, yidx, toff, tidx);
    emit(w, "}");
}

/* One phase and group without im2col: per sample, tmp[co][q] accumulates
 * w * x over input channels and taps (each tap a contiguous, vectorisable loop
 * over its valid outputs), then bias, activation and the store. */
static void emit_direct(Ctx *c, const ConvCall *cc, const Phase *ph, int64_t grp, const char *yidx, const char *tidx,
                        const ConvScratch *cs) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp;
    int64_t Cg = g->cin / g->groups, Fg = g->cout / g->groups, invol = 1, kvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; kvol *= g->k[i]; }
    int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL];
    if (cs->slots > 1) emit(w, "NETC_PARALLEL_SLOTS(%d)", cs->slots);
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(cc->nb));
    if (cs->slots > 1) emit(w, "float *restrict tmp = tmpS + NETC_THREAD_NUM * %lld;", LL(cs->tmp_slot));
    emit(w, "netc_memset(tmp, 0, sizeof(float) * %lld);", LL(Fg * ph->qtot));
    emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
    emit(w, "const float *restrict xs = x + (n * %lld + %lld + ci) * %lld;", LL(g->cin), LL(grp * Cg), LL(invol));
    for (int j = 0; j < ph->ntaps; j++) {
        tap_ranges(cc, ph, j, lo, hi, mul, add);
        bool empty = false;
        for (int i = 0; i < nsp; i++) if (lo[i] >= hi[i]) empty = true;
        if (empty) continue;
        char xi[512];
        index_expr(xi, sizeof xi, nsp, mul, add, g->in);
        /* every output channel from one read of the input */
        emit(w, "{");
        for (int64_t co = 0; co < Fg; co++)
            emit(w, "const float w%lld = w[%lld + ci * %lld];", LL(co), LL(direct_widx(cc, ph, grp, co, j, kvol)), LL(direct_wstride(cc, kvol)));
        open_q_loops(w, nsp, lo, hi);
        emit(w, "const float xv = xs[%s];", xi);
        for (int64_t co = 0; co < Fg; co++) emit(w, "tmp[%lld + %s] += w%lld * xv;", LL(co * ph->qtot), tidx, LL(co));
        close_loops(w, nsp);
        emit(w, "}");
    }
    emit(w, "}");
    const int64_t zero = 0;
    emit_direct_store(w, cc, ph, 1, grp, &yidx, &zero, tidx);
    emit(w, "}");
}

/* Output index expressions of one phase: yidx into a sample's output channel,
 * tidx into the phase's own [nq...] block. */
static void phase_exprs(const ConvCall *cc, const Phase *ph, char yidx[512], char tidx[512]) {
    const ConvGeom *g = &cc->g;
    int64_t omul[MAX_SPATIAL], oadd[MAX_SPATIAL], one[MAX_SPATIAL], zero[MAX_SPATIAL] = {0};
    for (int i = 0; i < g->nsp; i++) {
        one[i] = 1;
        omul[i] = cc->tr ? g->s[i] : 1;
        oadd[i] = cc->tr ? ph->q0[i] * g->s[i] + ph->ph[i] - g->pb[i] : 0;
    }
    index_expr(yidx, 512, g->nsp, omul, oadd, g->out);
    index_expr(tidx, 512, g->nsp, one, zero, ph->nq);
}

static void phase_comment(Emitter *w, const ConvCall *cc, const Phase *ph, int64_t grp) {
    char phs[128] = "";
    for (int i = 0; i < cc->g.nsp; i++) snprintf(phs + strlen(phs), sizeof phs - strlen(phs), "%s%lld", i ? "," : "", LL(ph->ph[i]));
    emit(w, "/* group %lld%s%s: %d tap%s, %lld outputs per sample */", LL(grp), cc->tr ? ", phase " : "", cc->tr ? phs : "",
         ph->ntaps, ph->ntaps == 1 ? "" : "s", LL(ph->qtot));
}

/* " + v", " - v" or "" for an offset v added to an index. */
static const char *signed_term(char *buf, size_t n, int64_t v) {
    if (v) snprintf(buf, n, " %c %lld", v < 0 ? '-' : '+', LL(v < 0 ? -v : v));
    else buf[0] = 0;
    return buf;
}

/* "(p + a) * m + r" (or "p + a" when m is 1) for the x index of copy index p. */
static void pad_src(char *out, size_t n, const char *p, int64_t a, int64_t m, int64_t r) {
    char t[32], t2[32];
    if (m == 1) snprintf(out, n, "%s%s", p, signed_term(t, sizeof t, a + r));
    else if (a) snprintf(out, n, "(%s%s) * %lld%s", p, signed_term(t, sizeof t, a), LL(m), signed_term(t2, sizeof t2, r));
    else snprintf(out, n, "%s * %lld%s", p, LL(m), signed_term(t2, sizeof t2, r));
}

/* A zero-padded copy of one input channel: xq[p] (axis i of p in [0, ext[i])) =
 * xs[(p + amin) * mul + res] where that lies in x, else 0 (mul, res: NULL for 1 and
 * 0, a plain shifted copy); r0: the first row (in units of mul[0]) of the row block
 * xs points into (0 for a whole sample), for which rows are checked against x. */
static void emit_pad_rows(Emitter *w, const ConvGeom *g, const int64_t *amin, const int64_t *ext, int64_t r0, const int64_t *mul,
                          const int64_t *res) {
    int nsp = g->nsp, L = nsp - 1;
    int64_t vlo[MAX_SPATIAL], vhi[MAX_SPATIAL], m[MAX_SPATIAL], rs[MAX_SPATIAL];   /* the copy's indices that hold x */
    for (int i = 0; i < nsp; i++) {
        m[i] = mul ? mul[i] : 1;
        rs[i] = res ? res[i] : 0;
        /* x index (p + a) * m + r in [0, in): p >= -a and p <= (in - 1 - r) / m - a */
        int64_t a = amin[i] + (i == 0 ? r0 : 0), top = g->in[i] - 1 - rs[i];
        vlo[i] = a < 0 ? -a : 0;
        vhi[i] = top < 0 ? 0 : top / m[i] - a + 1;
        if (vhi[i] > ext[i]) vhi[i] = ext[i];
        if (vhi[i] < vlo[i]) vhi[i] = vlo[i];
    }
    if (nsp > 1) {
        char cond[512] = "", ridx[512] = "", sidx[512] = "";
        for (int i = 0; i < L; i++) {
            emit(w, "for (int p%d = 0; p%d < %lld; p%d++) {", i, i, LL(ext[i]), i);
            snprintf(cond + strlen(cond), sizeof cond - strlen(cond), "%sp%d < %lld || p%d >= %lld", i ? " || " : "", i, LL(vlo[i]), i, LL(vhi[i]));
            char r2[512], s2[600], pv[8], src[96];
            snprintf(pv, sizeof pv, "p%d", i);
            pad_src(src, sizeof src, pv, amin[i], m[i], rs[i]);
            if (i == 0) {
                snprintf(r2, sizeof r2, "p0");
                snprintf(s2, sizeof s2, "%s", src);
            } else {
                snprintf(r2, sizeof r2, "(%s) * %lld + p%d", ridx, LL(ext[i]), i);
                snprintf(s2, sizeof s2, "(%s) * %lld + %s", sidx, LL(g->in[i]), src);
            }
            snprintf(ridx, sizeof ridx, "%s", r2);
            snprintf(sidx, sizeof sidx, "%s", s2);
        }
        emit(w, "float *restrict r = xq + (%s) * %lld;", ridx, LL(ext[L]));
        emit(w, "if (%s) { for (int l = 0; l < %lld; l++) r[l] = 0.0f; continue; }", cond, LL(ext[L]));
        emit(w, "const float *restrict src = xs + (%s) * %lld;", sidx, LL(g->in[L]));
    } else {
        emit(w, "float *restrict r = xq;");
        emit(w, "const float *restrict src = xs;");
    }
    if (vlo[L] > 0) emit(w, "for (int l = 0; l < %lld; l++) r[l] = 0.0f;", LL(vlo[L]));
    char src[96];
    pad_src(src, sizeof src, "l", amin[L], m[L], rs[L]);
    if (even2_run(m[L], vhi[L] - vlo[L])) {
        char from[128];
        snprintf(from, sizeof from, "src[%s]", src);
        emit_even2_run(w, "l", vlo[L], vhi[L], "r[l]", from);
    } else if (vhi[L] > vlo[L]) emit(w, "for (int l = %lld; l < %lld; l++) r[l] = src[%s];", LL(vlo[L]), LL(vhi[L]), src);
    if (ext[L] > vhi[L]) emit(w, "for (int l = %lld; l < %lld; l++) r[l] = 0.0f;", LL(vhi[L]), LL(ext[L]));
    close_loops(w, L);
}

/* Tap j's index into a channel's zero-padded copy (DirectPad), in the q's. */
static void direct_pad_xidx(char *out, size_t size, const ConvCall *cc, const Phase *ph, const DirectPad *dp, int j) {
    int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL], one[MAX_SPATIAL], padd[MAX_SPATIAL];
    tap_ranges(cc, ph, j, lo, hi, mul, add);
    for (int i = 0; i < cc->g.nsp; i++) { one[i] = 1; padd[i] = add[i] - dp->amin[i]; }
    index_expr(out, size, cc->g.nsp, one, padd, dp->ext);
}

/* The vector path of a direct phase (NETC_VEC; see emit_direct_padded): blocks of
 * P vectors of the last axis hold the sums of all Fg output channels in registers
 * over every input channel and tap, each x vector loaded once for all Fg channels
 * and each weight broadcast once for the P vectors, then stored to tmp once; the
 * last axis's columns after its whole vectors, one at a time the same way.  The
 * portable loop instead carries tmp through memory between blocks of channels, and
 * GCC loads each x vector again for every output channel (the to-RGB layer of
 * DCGAN: 27 vector loads per 24 multiply-adds), as it would here without
 * NETC_KEEP.  bench/ab, DCGAN 64 -> 3 forward: 0.91 of the portable loop's time
 * without NETC_KEEP, 0.72 with it.  Same sums in the same order: channel, then
 * tap.  P: 0 (the portable loop) when the axis is shorter than a vector. */
static int64_t direct_vec_width(int64_t n, int64_t Fg) {
    for (int64_t P = 4; P >= 1; P--)
        if (n / VEC_W && (n / VEC_W) % P == 0 && P * Fg <= 16) return P;
    return 0;
}
/* The next sample's input, fetched towards the caches while this one computes:
 * in the first vector phase, each block of P vectors (position t of the phase's
 * qtot) fetches its share of every input channel it visits, the lines from
 * t * invol / qtot on, so the sample's copy into col reads the caches, not memory.
 * The direct phases do few multiply-adds per input float (Fg x taps), and the copy
 * had waited on memory: bench/ab, DCGAN 64 -> 3 forward (16 MB of x), 0.91 of the
 * time (the copy with its reads from memory taken out: 0.79). */
static void emit_direct_prefetch(Emitter *w, const ConvCall *cc, const Phase *ph, int64_t grp, int64_t P) {
    const ConvGeom *g = &cc->g;
    int64_t Cg = g->cin / g->groups, invol = 1;
    for (int i = 0; i < g->nsp; i++) invol *= g->in[i];
    int64_t lines = (P * VEC_W * invol + ph->qtot * VEC_W - 1) / (ph->qtot * VEC_W) + (invol % ph->qtot != 0);
    if (lines > 8) lines = 8;
    emit(w, "if (n + 1 < %lld) {", LL(cc->nb));
    emit(w, "const long long o = (long long)t * %lld / %lld;", LL(invol), LL(ph->qtot));
    emit(w, "const float *restrict pf = x + ((n + 1) * %lld + %lld + ci) * %lld;", LL(g->cin), LL(grp * Cg), LL(invol));
    for (int64_t k = 0; k < lines; k++) emit(w, "if (o + %lld < %lld) NETC_PREFETCH(pf + o + %lld);", LL(k * VEC_W), LL(invol), LL(k * VEC_W));
    emit(w, "}");
}
/* One block: P vectors from column q<L> (P = 0: one column, scalars). */
static void emit_direct_vec_block(Emitter *w, const ConvCall *cc, const Phase *ph, int64_t grp, const DirectPad *dp, const int *taps,
                                  int nt, int64_t P, const char *tidx, bool prefetch, int64_t toff) {
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp;
    int64_t Cg = g->cin / g->groups, Fg = g->cout / g->groups, kvol = 1, nv = P ? P : 1;
    const char *ty = P ? "netc_vf" : "float";
    for (int i = 0; i < nsp; i++) kvol *= g->k[i];
    emit(w, "const int t = %s;", tidx);
    for (int64_t co = 0; co < Fg; co++)
        for (int64_t p = 0; p < nv; p++) emit(w, "%s a%lld_%lld = {0};", ty, LL(co), LL(p));
    emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
    emit(w, "const float *restrict xq = col + ci * %lld;", LL(dp->vol));
    emit(w, "const float *restrict wc = w + ci * %lld;", LL(direct_wstride(cc, kvol)));
    if (prefetch && P) emit_direct_prefetch(w, cc, ph, grp, P);
    for (int jj = 0; jj < nt; jj++) {
        char xi[512];
        direct_pad_xidx(xi, sizeof xi, cc, ph, dp, taps[jj]);
        emit(w, "{");
        for (int64_t p = 0; p < nv; p++) {
            if (P) emit(w, "netc_vf x%lld = *(const netc_vf *)(xq + %s + %lld); NETC_KEEP(x%lld);", LL(p), xi, LL(p * VEC_W), LL(p));
            else emit(w, "const float x%lld = xq[%s];", LL(p), xi);
        }
        for (int64_t co = 0; co < Fg; co++) {
            emit(w, "{");
            emit(w, "const float wv = wc[%lld];", LL(direct_widx(cc, ph, grp, co, taps[jj], kvol)));
            for (int64_t p = 0; p < nv; p++) emit(w, "a%lld_%lld += wv * x%lld;", LL(co), LL(p), LL(p));
            emit(w, "}");
        }
        emit(w, "}");
    }
    emit(w, "}");
    for (int64_t co = 0; co < Fg; co++)
        for (int64_t p = 0; p < nv; p++) {
            if (P) emit(w, "*(netc_vf *)(tmp + %lld + t + %lld) = a%lld_%lld;", LL(toff + co * ph->qtot), LL(p * VEC_W), LL(co), LL(p));
            else emit(w, "tmp[%lld + t] = a%lld_%lld;", LL(toff + co * ph->qtot), LL(co), LL(p));
        }
}
static void emit_direct_vec(Emitter *w, const ConvCall *cc, const Phase *ph, int64_t grp, const DirectPad *dp, const int *taps, int nt,
                            int64_t P, const char *tidx, bool prefetch, int64_t toff) {
    int L = cc->g.nsp - 1;
    int64_t n = ph->nq[L], nvec = n / VEC_W * VEC_W, zero_lo[MAX_SPATIAL] = {0};
    open_q_loops(w, L, zero_lo, ph->nq);
    emit(w, "for (int q%d = 0; q%d < %lld; q%d += %lld) {", L, L, LL(nvec), L, LL(P * VEC_W));
    emit_direct_vec_block(w, cc, ph, grp, dp, taps, nt, P, tidx, prefetch, toff);
    emit(w, "}");
    if (n > nvec) {
        emit(w, "for (int q%d = %lld; q%d < %lld; q%d++) {", L, LL(nvec), L, LL(n), L);
        emit_direct_vec_block(w, cc, ph, grp, dp, taps, nt, 0, tidx, false, toff);
        emit(w, "}");
    }
    close_loops(w, L);
}

/* The direct phases of one group from a zero-padded copy of each sample's input
 * channels in col (see DirectPad): per sample, the copy, then per phase tmp[co][q]
 * accumulates over blocks of CB input channels, each one loop over the phase's whole
 * box holding all its taps and output channels (sums in the order of emit_direct:
 * channel, then tap), then bias, activation and the store. */
static void emit_direct_padded(Ctx *c, const ConvCall *cc, int64_t grp, const DirectPad *dp, const ConvScratch *cs) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp, L = nsp - 1;
    int64_t Cg = g->cin / g->groups, Fg = g->cout / g->groups, invol = 1, kvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; kvol *= g->k[i]; }
    emit(w, "/* group %lld: the direct phases, from a zero-padded copy of each sample's input channels */", LL(grp));
    emit(w, "{");
    if (cs->slots > 1) emit(w, "NETC_PARALLEL_SLOTS(%d)", cs->slots);
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(cc->nb));
    if (cs->slots > 1) {
        emit(w, "float *restrict tmp = tmpS + NETC_THREAD_NUM * %lld;", LL(cs->tmp_slot));
        emit(w, "float *restrict col = colS + NETC_THREAD_NUM * %lld;", LL(cs->col_slot));
    }
    emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
    emit(w, "const float *restrict xs = x + (n * %lld + %lld + ci) * %lld;", LL(g->cin), LL(grp * Cg), LL(invol));
    emit(w, "float *restrict xq = col + ci * %lld;", LL(dp->vol));
    emit_pad_rows(w, g, dp->amin, dp->ext, 0, NULL, NULL);
    emit(w, "}");
    bool fetched = false;   /* (the next sample's input: see emit_direct_prefetch) */
    int pair[CONV_INTERLEAVE_MAX];
    int64_t toff[CONV_INTERLEAVE_MAX] = {0};
    bool paired = conv_direct_pairs(g, cc->tr, cc->phases, cc->nphases, false, pair);
    if (paired)
        for (int p = 0; p < cc->nphases; p++)
            if (pair[p] >= 0) toff[pair[p]] = Fg * cc->phases[p].qtot;
    for (int p = 0; p < cc->nphases; p++) {
        const Phase *ph = &cc->phases[p];
        if (ph->ntaps == 0 || !conv_chunk(ph, cc->nb, Fg, 0).direct) continue;
        int mate = -1;   /* (paired: the other phase of p's pair, its results at tmp + to) */
        for (int r = 0; paired && r < cc->nphases; r++)
            if (pair[p] == r || pair[r] == p) mate = r;
        const int64_t to = paired ? toff[p] : 0;
        int taps[64], nt = 0;
        int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL];
        for (int j = 0; j < ph->ntaps; j++) {
            tap_ranges(cc, ph, j, lo, hi, mul, add);
            bool empty = false;
            for (int i = 0; i < nsp; i++) if (lo[i] >= hi[i]) empty = true;
            if (!empty) taps[nt++] = j;
        }
        int64_t CB = 1;
        for (int64_t d = 8; d > 1; d--)   /* the weights of a block stay in registers */
            if (Cg % d == 0 && d * nt <= 16 && d * nt * Fg <= 24) { CB = d; break; }
        char yidx[512], tidx[512];
        phase_exprs(cc, ph, yidx, tidx);
        phase_comment(w, cc, ph, grp);
        emit(w, "{");
        int64_t P = direct_vec_width(ph->nq[L], Fg);
        if (nt && P) {
            emit_raw(w, "#if NETC_VEC\n");
            emit_direct_vec(w, cc, ph, grp, dp, taps, nt, P, tidx, !fetched && cc->nb > 1, to);
            fetched = true;
            emit_raw(w, "#else\n");
        }
        emit(w, "netc_memset(tmp + %lld, 0, sizeof(float) * %lld);", LL(to), LL(Fg * ph->qtot));
        if (nt) {   /* (none: no tap reaches x, the bias alone) */
            emit(w, "for (int ci = 0; ci < %lld; ci += %lld) {", LL(Cg), LL(CB));
            emit(w, "const float *restrict xq = col + ci * %lld;", LL(dp->vol));
            for (int64_t b = 0; b < CB; b++)
                for (int jj = 0; jj < nt; jj++)
                    for (int64_t co = 0; co < Fg; co++)
                        emit(w, "const float w%lld_%d_%lld = w[%lld + (ci + %lld) * %lld];", LL(b), jj, LL(co),
                             LL(direct_widx(cc, ph, grp, co, taps[jj], kvol)), LL(b), LL(direct_wstride(cc, kvol)));
            int64_t zero_lo[MAX_SPATIAL] = {0};
            open_q_loops(w, L, zero_lo, ph->nq);
            emit(w, "NETC_IVDEP");
            emit(w, "for (int q%d = 0; q%d < %lld; q%d++) {", L, L, LL(ph->nq[L]), L);
            emit(w, "const int t = %s;", tidx);
            for (int64_t co = 0; co < Fg; co++) emit(w, "float a%lld = tmp[%lld + t];", LL(co), LL(to + co * ph->qtot));
            for (int64_t b = 0; b < CB; b++)
                for (int jj = 0; jj < nt; jj++) {
                    char xi[512];
                    direct_pad_xidx(xi, sizeof xi, cc, ph, dp, taps[jj]);
                    if (b) emit(w, "const float x%lld_%d = xq[%lld + %s];", LL(b), jj, LL(b * dp->vol), xi);
                    else emit(w, "const float x%lld_%d = xq[%s];", LL(b), jj, xi);
                    for (int64_t co = 0; co < Fg; co++) emit(w, "a%lld += w%lld_%d_%lld * x%lld_%d;", LL(co), LL(b), jj, LL(co), LL(b), jj);
                }
            for (int64_t co = 0; co < Fg; co++) emit(w, "tmp[%lld + t] = a%lld;", LL(to + co * ph->qtot), LL(co));
            close_loops(w, nsp);
            emit(w, "}");
        }
        if (nt && P) emit_raw(w, "#endif\n");
        if (!paired) emit_direct_store(w, cc, ph, 1, grp, (const char *const[]){yidx}, &to, tidx);
        else if (mate < p) {   /* the pair's second: both phases, interleaved */
            int f = pair[p] >= 0 ? p : mate;
            char yidx2[512], tidx2[512];
            phase_exprs(cc, &cc->phases[f == p ? mate : f], yidx2, tidx2);
            const char *yp[2] = {f == p ? yidx : yidx2, f == p ? yidx2 : yidx};
            int64_t to2[2] = {0, Fg * ph->qtot};
            emit(w, "/* the pair's two phases, side by side into y */");
            emit_direct_store(w, cc, ph, 2, grp, yp, to2, tidx);
        }
        emit(w, "}");
    }
    emit(w, "}");
    emit(w, "}");
}

/* The weights of one group and phase as the GEMM's A[co][ci * taps + j], packed
 * in panels of gemm_mr rows (see gemm_name), at `pack` + off. */
static void emit_pack_a(Emitter *w, const ConvCall *cc, const Phase *ph, int64_t grp, int64_t off) {
    const ConvGeom *g = &cc->g;
    int64_t Cg = g->cin / g->groups, Fg = g->cout / g->groups, kvol = 1;
    for (int i = 0; i < g->nsp; i++) kvol *= g->k[i];
    const int mr = gemm_mr(Fg);
    int64_t Mb = Fg / mr * mr;
    char aidx[256], astep[96];
    if (Mb == Fg) snprintf(aidx, sizeof aidx, "(co / %d) * %lld + (co %% %d)", mr, LL(mr * ph->K), mr);
    else snprintf(aidx, sizeof aidx, "(co < %lld ? (co / %d) * %lld + (co %% %d) : %lld + (co - %lld))", LL(Mb), mr,
                  LL(mr * ph->K), mr, LL(Mb * ph->K), LL(Mb));
    if (Mb == Fg) snprintf(astep, sizeof astep, "%d", mr);
    else snprintf(astep, sizeof astep, "(co < %lld ? %d : %lld)", LL(Mb), mr, LL(Fg - Mb));
    if (cc->tr) {
        /* w is [cin][cout / groups][taps]: read it in order */
        emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
        emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
        emit(w, "float *restrict ap = pack + %lld + %s;", LL(off), aidx);
        emit(w, "const int as = %s;", astep);
        emit(w, "(void)as;");
        emit(w, "const float *restrict ws = w + ((%lld + ci) * %lld + co) * %lld;", LL(grp * Cg), LL(Fg), LL(kvol));
        if (ph->ntaps <= 64)
            for (int j = 0; j < ph->ntaps; j++) emit(w, "ap[(ci * %d + %d) * as] = ws[%lld];", ph->ntaps, j, LL(ph->taps[j].index));
        else {
            emit(w, "static const int idx[%d] = {", ph->ntaps);
            for (int j = 0; j < ph->ntaps; j++) emit(w, "%lld,", LL(ph->taps[j].index));
            emit(w, "};");
            emit(w, "for (int j = 0; j < %d; j++) ap[(ci * %d + j) * as] = ws[idx[j]];", ph->ntaps, ph->ntaps);
        }
        emit(w, "}");
    } else {
        emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
        emit(w, "float *restrict ap = pack + %lld + %s;", LL(off), aidx);
        emit(w, "const int as = %s;", astep);
        emit(w, "(void)as;");
        emit(w, "const float *restrict ws = w + (%lld + co) * %lld;", LL(grp * Fg), LL(ph->K));
        emit(w, "for (int kk = 0; kk < %lld; kk++) ap[kk * as] = ws[kk];", LL(ph->K));
    }
    emit(w, "}");
}

/* The packed weights of a group's GEMM phases (gp[i] at pack + goff[i]).  A
 * transposed convolution reads w once for all of its phases: for each panel of
 * rows (gemm_mr, then the Fg % mr last rows) and input channel, its rows' taps in
 * one run (each phase uses some of every channel's taps), each phase's share
 * written in one run; a convolution, or a phase of more than 64 taps, is packed
 * phase by phase (emit_pack_a). */
static void emit_pack_panels(Emitter *w, const ConvCall *cc, const Phase *const *gp, const int64_t *goff, int ng, int64_t grp,
                             int64_t row0, int64_t npanel, int64_t width) {
    const ConvGeom *g = &cc->g;
    int64_t Cg = g->cin / g->groups, Fg = g->cout / g->groups, kvol = 1;
    for (int i = 0; i < g->nsp; i++) kvol *= g->k[i];
    emit(w, "for (int cb = 0; cb < %lld; cb++) {", LL(npanel));
    emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
    if (row0) emit(w, "const float *restrict ws = w + ((%lld + ci) * %lld + %lld) * %lld;", LL(grp * Cg), LL(Fg), LL(row0), LL(kvol));
    else emit(w, "const float *restrict ws = w + ((%lld + ci) * %lld + cb * %lld) * %lld;", LL(grp * Cg), LL(Fg), LL(width), LL(kvol));
    for (int i = 0; i < ng; i++)
        emit(w, "float *restrict ap%d = pack + %lld + cb * %lld + ci * %lld;", i, LL(goff[i] + row0 * gp[i]->K), LL(width * gp[i]->K),
             LL(width * gp[i]->ntaps));
    emit(w, "for (int l = 0; l < %lld; l++) {", LL(width));
    for (int i = 0; i < ng; i++)
        for (int j = 0; j < gp[i]->ntaps; j++)
            emit(w, "ap%d[%lld + l] = ws[l * %lld + %lld];", i, LL(j * width), LL(kvol), LL(gp[i]->taps[j].index));
    emit(w, "}");
    emit(w, "}");
    emit(w, "}");
}
static void emit_pack_phases(Emitter *w, const ConvCall *cc, const Phase *const *gp, const int64_t *goff, int ng, int64_t grp) {
    const ConvGeom *g = &cc->g;
    int64_t Fg = g->cout / g->groups, K = 0;
    const int mr = gemm_mr(Fg);
    bool merged = cc->tr;
    for (int i = 0; i < ng; i++) {
        merged &= gp[i]->ntaps <= 64;
        K += gp[i]->K;
    }
    if (!merged) {
        for (int i = 0; i < ng; i++) emit_pack_a(w, cc, gp[i], grp, goff[i]);
        return;
    }
    if (Fg / mr) {
        if (!cc->par && threaded(Fg * K)) emit(w, "NETC_PARALLEL_FOR");
        emit_pack_panels(w, cc, gp, goff, ng, grp, 0, Fg / mr, mr);
    }
    if (Fg % mr) emit_pack_panels(w, cc, gp, goff, ng, grp, Fg / mr * mr, 1, Fg % mr);
}

/* The row length of a chunk's GEMM results in tmp. */
static int64_t results_ld(const ConvCall *cc, const ConvChunk *ch) { return cc->ip ? cc->ip->ldc : ch->ncpad; }

/* The interleaved store past the caches (the vector path): a call whose y is large
 * (conv_streams) and whose phases pair up along a last axis of stride 2 (phase
 * pair[p] writes the position after phase p's, pair[p] = -1 for the second of a
 * pair), every phase's rows whole vectors, no accumulation or activation.  Each
 * pair's two vectors of 16 results zip into 32 consecutive floats of y (NETC_ZIPLO,
 * NETC_ZIPHI) stored with NETC_STREAM: U-Net's k2 s2 forward, whose 4 MB y each
 * store otherwise first reads from memory, in 0.90 of the time (plain stores of the
 * same vectors: no gain); U-Net's k3 s2 forward (the implicit GEMM's results, rows
 * of 129, phases 64-256 deep, y 8 MB) in 0.95 (two threads 0.93), its training step
 * 0.98.  Only phases at most STREAM_PAIRS_MAX_K deep: DCGAN 16x16's (K = 512, y
 * 16 MB) gained nothing (0.996), and the loss reading y after it took 1.09 of its
 * time. */
enum { STREAM_PAIRS_MAX_K = 256 };
static bool conv_streams(const ConvCall *cc);
static bool stream_pairs(const ConvCall *cc, const Phase *ph, int nst, int *pair) {
    const ConvGeom *g = &cc->g;
    int L = g->nsp - 1;
    if (nst < 2 || cc->accumulate || cc->act.kind != ACT_IDENTITY || !cc->tr || g->s[L] != 2 || ph[0].nq[L] % VEC_W
        || !conv_streams(cc))
        return false;
    for (int p = 0; p < nst; p++)
        if (ph[p].K > STREAM_PAIRS_MAX_K) return false;   /* deeper GEMMs hide the stores */
    return conv_phase_pairs(g, ph, nst, pair);
}

static void emit_zip_store(Emitter *w, const ConvCall *cc, const int64_t *nq, int nst, const int *pair, const char *const *yidx,
                           const int64_t *toff, const char *tidx) {
    int L = cc->g.nsp - 1;
    int64_t zero_lo[MAX_SPATIAL] = {0};
    open_q_loops(w, L, zero_lo, nq);
    emit(w, "for (int q%d = 0; q%d < %lld; q%d += %d) {", L, L, LL(nq[L]), L, VEC_W);
    for (int p = 0; p < nst; p++) {
        if (pair[p] < 0) continue;
        emit(w, "{");
        emit(w, "const netc_vf a = *(const netc_vf *)&ts[%lld + %s] + bv, b = *(const netc_vf *)&ts[%lld + %s] + bv;", LL(toff[p]), tidx,
             LL(toff[pair[p]]), tidx);
        emit(w, "NETC_STREAM(&yo[%s], NETC_ZIPLO(a, b));", yidx[p]);
        emit(w, "NETC_STREAM(&yo[%s] + 16, NETC_ZIPHI(a, b));", yidx[p]);
        emit(w, "}");
    }
    emit(w, "}");
    close_loops(w, L);
}

/* Bias, activation and the store (or accumulation) into y of one chunk's GEMM
 * results: of the phase ph[0], or of all `nst` phases, interleaved. */
static void emit_chunk_store(Ctx *c, const ConvCall *cc, const Phase *ph, int nst, int64_t grp, const ConvChunk *ch, const char *n0) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int64_t Fg = g->cout / g->groups, outvol = 1, toff[CONV_INTERLEAVE_MAX];
    for (int i = 0; i < g->nsp; i++) outvol *= g->out[i];
    char yidx[CONV_INTERLEAVE_MAX][512], tidx[512];
    const char *yp[CONV_INTERLEAVE_MAX];
    const ConvImplicit *ip = cc->ip;
    int64_t ldc = results_ld(cc, ch);
    for (int p = 0; p < nst; p++) {
        phase_exprs(cc, &ph[p], yidx[p], tidx);
        yp[p] = yidx[p];
        toff[p] = p * Fg * ldc;
    }
    if (ip) {   /* the results lie at the padded copy's positions */
        int64_t one[MAX_SPATIAL], zero[MAX_SPATIAL] = {0};
        for (int i = 0; i < g->nsp; i++) one[i] = 1;
        index_expr(tidx, sizeof tidx, g->nsp, one, zero, ip->ext);
    }
    int pair[CONV_INTERLEAVE_MAX];
    bool zip = stream_pairs(cc, ph, nst, pair);
    if (zip) emit_raw(w, "#if NETC_VEC\n");
    for (int vec = zip; vec >= 0; vec--) {
        if (!cc->par && threaded(Fg * ch->ncol * 4 * nst)) emit(w, "NETC_PARALLEL_FOR");
        emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
        if (!cc->accumulate) {
            if (cc->b >= 0) emit(w, "const float bv = s->params[%lld + co];", LL(cc->b + grp * Fg));
            else emit(w, "const float bv = 0.0f;");
        }
        emit(w, "for (int n = 0; n < %lld; n++) {", LL(ch->nbk));
        emit(w, "const float *restrict ts = tmp + co * %lld + n * %lld;", LL(ldc), LL(ip ? ip->vol : ph->qtot));
        emit(w, "float *restrict yo = y + ((%s + n) * %lld + %lld + co) * %lld;", n0, LL(g->cout), LL(grp * Fg), LL(outvol));
        if (vec) emit_zip_store(w, cc, ph->nq, nst, pair, yp, toff, tidx);
        else emit_store(w, cc, ph->nq, nst, yp, toff, tidx);
        emit(w, "}");
        if (vec) emit(w, "NETC_SFENCE();");
        emit(w, "}");
        if (vec) emit_raw(w, "#else\n");
    }
    if (zip) emit_raw(w, "#endif\n");
}

/* A phase whose im2col would be x itself: one tap that reads every position at its
 * own index (x index = q on every axis, the phase's rows as long as x's), in a chunk
 * of one sample (or a row block); its GEMM reads x in place, rows of B a channel
 * apart, over exactly the chunk's columns (none past the channel's end).
 * Transposed convolutions with kernel = stride and no padding (the U-Net
 * up-convolution) have only such phases, as do 1x1 convolutions. */
static bool conv_reads_x(const ConvCall *cc, const Phase *ph, const ConvChunk *ch) {
    const ConvGeom *g = &cc->g;
    if (ph->ntaps != 1 || ch->nbk != 1) return false;
    int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL];
    tap_ranges(cc, ph, 0, lo, hi, mul, add);
    for (int i = 0; i < g->nsp; i++) {
        if (lo[i] != 0 || hi[i] != ph->nq[i] || mul[i] != 1 || add[i] != 0) return false;
        if (ph->nq[i] != g->in[i] && (i > 0 || !cc->block)) return false;
    }
    return true;
}

/* Whether a phase's GEMM writes (or adds) its results straight into y, with no
 * pass through tmp: nothing to add on the way (no bias, no activation), and the
 * phase's outputs lying in y as they lie in its results (its index into y is its
 * index into its own box: a convolution, or a row block of one), each sample's
 * wide enough (CONV_INTO_Y_MIN) that a GEMM per sample costs no more than one
 * over the chunk. */
enum { CONV_INTO_Y_MIN = 64 };
static bool conv_gemm_into_y(const ConvCall *cc, const Phase *ph) {
    if (cc->b >= 0 || cc->act.kind != ACT_IDENTITY || ph->qtot < CONV_INTO_Y_MIN) return false;
    char yidx[512], tidx[512];
    phase_exprs(cc, ph, yidx, tidx);
    return strcmp(yidx, tidx) == 0;
}

/* Whether a call's GEMMs writing into y store past the caches (NETC_STREAM, which
 * gemm_fn keeps to shallow GEMMs, K within one slice, whose stores are as many as a
 * tenth of their multiply-adds): y is at least twice a core's L2, so each store
 * would otherwise read the line it overwrites from memory.  bench/ab, one thread: the input
 * gradient of DCGAN's 64 -> 3 layer (K = 48, 16 MiB) 5.9 -> 4.6 ms; a conv 8 -> 64
 * k3 read by a second conv, 0.91-0.94 at 4 and 8 MiB of y, but 1.01, 1.025 and
 * 1.13 at 2, 1 and 1/4 MiB (the next layer would have found y in L2); U-Net's
 * deeper GEMMs (K = 256 and 288, streaming their last slice) gained nothing. */
enum { CONV_STREAM_MIN_BYTES = 4 << 20 };
static bool conv_streams(const ConvCall *cc) {
    int64_t outvol = 1;
    for (int i = 0; i < cc->g.nsp; i++) outvol *= cc->g.out[i];
    return cc->nb * cc->g.cout * outvol * (int64_t)sizeof(float) >= CONV_STREAM_MIN_BYTES;
}

/* The implicit GEMM's copy (see ConvImplicit): the chunk's input channels of group
 * grp, zero-padded, into col as [ci][plane][n][vol]; then zeros up to the last
 * float the GEMMs' columns past the last position read, so that those columns
 * (which nothing stores) never meet a stray NaN or denormal. */
static void emit_implicit_copy(Emitter *w, const ConvCall *cc, int64_t grp, int64_t nbk, const char *n0) {
    const ConvImplicit *ip = cc->ip;
    const ConvGeom *g = &cc->g;
    int64_t Cg = g->cin / g->groups, invol = 1, chan = ip->nplanes * nbk * ip->vol;
    for (int i = 0; i < g->nsp; i++) invol *= g->in[i];
    emit(w, "/* group %lld: the chunk's input channels, zero-padded%s; each tap's GEMM rows read them in place */", LL(grp),
         ip->nplanes > 1 ? ", one plane per stride residue" : "");
    if (!cc->par && threaded(Cg * chan)) emit(w, "NETC_PARALLEL_FOR2");
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(nbk));
    emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
    emit(w, "const float *restrict xs = x + ((%s + n) * %lld + %lld + ci) * %lld;", n0, LL(g->cin), LL(grp * Cg), LL(invol));
    for (int pl = 0; pl < ip->nplanes; pl++) {
        emit(w, "{");
        emit(w, "float *restrict xq = col + ci * %lld + %lld + n * %lld;", LL(chan), LL(pl * nbk * ip->vol), LL(ip->vol));
        emit_pad_rows(w, g, ip->umin, ip->ext, cc->r0, ip->mul, ip->res[pl]);
        emit(w, "}");
    }
    emit(w, "}");
    emit(w, "}");
    if (ip->col > Cg * chan) emit(w, "netc_memset(col + %lld, 0, sizeof(float) * %lld);", LL(Cg * chan), LL(ip->col - Cg * chan));
}


/* One chunk of samples (n0 + [0, nbk)) of one group and phase on the GEMM path:
 * im2col and the GEMM against the packed weights at pack + off into tmp + toff;
 * then, unless the call is interleaved, the phase's store. */
static void emit_gemm_chunk(Ctx *c, const ConvCall *cc, const Phase *ph, int64_t grp, const ConvChunk *ch, const char *n0, int64_t off,
                            int64_t toff, bool store) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int64_t Fg = g->cout / g->groups, Cg = g->cin / g->groups, invol = 1, outvol = 1;
    for (int i = 0; i < g->nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; }
    phase_comment(w, cc, ph, grp);
    emit(w, "{");
    bool into_y = store && !cc->ip && conv_gemm_into_y(cc, ph);
    if (cc->ip) {
        /* B's row (ci, tap): the padded copy of channel ci (emit_implicit_copy) from
         * the tap's offset */
        const ConvImplicit *ip = cc->ip;
        int64_t kvol = 1, *ao = arena_alloc(c->a, sizeof(int64_t) * (size_t)ph->K), *bo = arena_alloc(c->a, sizeof(int64_t) * (size_t)ph->K);
        for (int i = 0; i < g->nsp; i++) kvol *= g->k[i];
        for (int64_t ci = 0; ci < Cg; ci++)
            for (int j = 0; j < ph->ntaps; j++) {
                /* A: the weights where they lie, row co at w + ao[k] + co * ars (no packing) */
                ao[ci * ph->ntaps + j] = direct_widx(cc, ph, grp, 0, j, kvol) + ci * direct_wstride(cc, kvol);
                bo[ci * ph->ntaps + j] = ci * ip->nplanes * ch->nbk * ip->vol + conv_implicit_off(ip, g, cc->tr, &ph->taps[j], ch->nbk);
            }
        emit_int_table(w, "ao", ao, Cg * ph->ntaps, ph->ntaps);   /* one input channel's taps a line */
        emit_int_table(w, "bo", bo, Cg * ph->ntaps, ph->ntaps);
        emit(w, "%s(w, col, tmp + %lld, ao, bo);",
             gemm_fn(c, Fg, ph->K, gemm_cols(conv_implicit_cols(ip, g->nsp, ph, ch->nbk), ip->ldc), false, 0, 0, false, ip->ldc, true,
                     direct_widx(cc, ph, grp, 1, 0, kvol) - direct_widx(cc, ph, grp, 0, 0, kvol), false), LL(toff));
    } else if (conv_reads_x(cc, ph, ch)) {
        emit(w, "/* one tap reading x as it lies: the GEMM's B is the sample's channels */");
        if (into_y)
            emit(w, "%s(pack + %lld, x + (%s * %lld + %lld) * %lld, y + (%s * %lld + %lld) * %lld);",
                 gemm_fn(c, Fg, ph->K, ch->ncol, true, 0, invol, cc->accumulate, outvol, false, 0, conv_streams(cc)), LL(off), n0, LL(g->cin), LL(grp * Cg), LL(invol),
                 n0, LL(g->cout), LL(grp * Fg), LL(outvol));
        else
            emit(w, "%s(pack + %lld, x + (%s * %lld + %lld) * %lld, tmp + %lld);",
                 gemm_name(c, Fg, ph->K, ch->ncol, true, 0, invol, false, ch->ncpad), LL(off), n0, LL(g->cin), LL(grp * Cg), LL(invol), LL(toff));
    } else {
        emit_im2col(w, cc, ph, grp, "col", "x", ch, n0);
        if (into_y) {
            /* a sample's results are its output channels' rows as they lie in y */
            emit(w, "for (int n = 0; n < %lld; n++)", LL(ch->nbk));
            emit(w, "    %s(pack + %lld, col + n * %lld, y + ((%s + n) * %lld + %lld) * %lld);",
                 gemm_fn(c, Fg, ph->K, ph->qtot, true, 0, ch->ncpad, cc->accumulate, outvol, false, 0, conv_streams(cc)), LL(off), LL(ph->qtot), n0, LL(g->cout),
                 LL(grp * Fg), LL(outvol));
        } else
            emit(w, "%s(pack + %lld, col, tmp + %lld);", gemm_name(c, Fg, ph->K, gemm_cols(ch->ncol, ch->ncpad), true, 0, ch->ncpad, false, ch->ncpad), LL(off), LL(toff));
    }
    if (store && !into_y) emit_chunk_store(c, cc, ph, 1, grp, ch, n0);
    emit(w, "}");
}

/* Every group and GEMM phase of one chunk: im2col, GEMM and store (or, when the
 * call is interleaved, one store of all phases per group).  R > 0: the chunk is the
 * block of R rows from r0 (x and y already point at it); otherwise nbk samples from
 * n0 (when the call is one chunk, "n0" is 0). */
static void emit_chunk_phases(Ctx *c, const ConvCall *cc, int64_t nbk, int64_t R, int64_t r0, bool inter) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int64_t Fg = g->cout / g->groups, NB = cc->nb, off = 0;
    bool chunked = nbk < NB || R;
    ConvCall rc = *cc;
    rc.r0 = r0;
    rc.block = R > 0;
    Phase *views = arena_alloc(c->a, sizeof(Phase) * (size_t)cc->nphases);
    for (int p = 0; p < cc->nphases; p++) views[p] = conv_row_view(&cc->phases[p], cc->phases[p].ntaps > 0 ? R : 0);
    for (int64_t grp = 0; grp < g->groups; grp++)
        for (int p = 0, copied = 0; p < cc->nphases; p++) {
            const Phase *ph = &views[p];
            ConvChunk ch = conv_chunk(ph, NB, Fg, R ? 1 : nbk);
            if (ph->ntaps == 0 || ch.direct) continue;
            if (cc->ip && !copied++) emit_implicit_copy(w, &rc, grp, ch.nbk, chunked ? "n0" : "0");
            if (!chunked && !cc->ip) {   /* (the implicit GEMM reads the weights in place) */
                const int64_t at = 0;
                emit_pack_phases(w, &rc, &ph, &at, 1, grp);
            }
            emit_gemm_chunk(c, &rc, ph, grp, &ch, chunked ? "n0" : "0", chunked ? off : 0, inter ? p * Fg * results_ld(cc, &ch) : 0, !inter);
            off += Fg * ph->K;
            if (inter && p == cc->nphases - 1) {
                emit(w, "/* group %lld: every phase's results into y, interleaved */", LL(grp));
                emit(w, "{");
                emit_chunk_store(c, &rc, views, cc->nphases, grp, &ch, chunked ? "n0" : "0");
                emit(w, "}");
            }
        }
}

/* On the vector path: r[j] = the 16 floats at `row` (an address in terms of j) for j
 * < 16, transposed in registers (netc_t16), so that r[i] holds lane i of each. */
static void emit_load_t16(Emitter *w, const char *row) {
    emit(w, "netc_vf r[16];");
    emit(w, "for (int j = 0; j < 16; j++) r[j] = *(const netc_vf *)(%s);", row);
    emit(w, "netc_t16(r);");
}
/* The same for AVX2 hosts: 8 rows of 8 (row j at `row`) into t[8], transposed. */
static void emit_load_t8(Emitter *w, const char *row) {
    emit(w, "netc_v8 t[8];");
    emit(w, "for (int j = 0; j < 8; j++) t[j] = *(const netc_v8 *)(%s);", row);
    emit(w, "netc_t8(t);");
}

/* ---- the region path (see ConvRegion) ---- */

/* The weights tap-major for the region and unrolled paths: weight (co, ci) of tap j of
 * phase p, g = j plus the taps of the phases before p, at pack + g ts + ci cs + co / 16
 * ps + co % 16 (the region path's Wt: ts = Cg ldb, cs = ldb, ps = 16, so that row (g,
 * ci) holds the output channels side by side; the unrolled path's: each panel of 16
 * output channels whole, its every tap of an input channel together).  The vector
 * path moves 16 output channels' weights 16 at a time in the order they lie (a
 * convolution's w[co][ci][taps], a transposed one's w[ci][co][taps]: each (ci, co)
 * row of taps), transposed in registers into one store per tap, the last block of a
 * row masked. */
static void emit_tap_pack(Ctx *c, const ConvCall *cc, int64_t ts, int64_t cs, int64_t ps) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int64_t Fg = g->cout, Cg = g->cin, kvol = 1, gt = 0;
    for (int i = 0; i < g->nsp; i++) kvol *= g->k[i];
    int64_t *to = arena_alloc(c->a, sizeof(int64_t) * (size_t)kvol);   /* each kernel tap's place, -1: no phase's */
    for (int64_t t = 0; t < kvol; t++) to[t] = -1;
    for (int p = 0; p < cc->nphases; p++)
        for (int j = 0; j < cc->phases[p].ntaps; j++) to[cc->phases[p].taps[j].index] = gt++ * ts;
    const char *some = gt < kvol ? "if (to[t] >= 0) " : "";   /* (the taps of a phase no output falls in) */
    const char *cop = ps == 16 ? "co" : arena_printf(c->a, "co / 16 * %lld + co %% 16", LL(ps));
    emit(w, "/* the weights tap-major, 16 output channels side by side */");
    emit(w, "{");
    emit_int_table(w, "to", to, kvol, 16);
    bool vec = Fg % 16 == 0;
    if (vec) {
        /* rows of E floats: a convolution's w[co] (ci, tap), a transposed one's w[ci][co] (taps) */
        int64_t E = cc->tr ? kvol : Cg * kvol, full = E / 16 * 16;
        emit_raw(w, "#if NETC_VEC\n");
        if (!cc->par && threaded(Fg * Cg * kvol)) emit(w, "NETC_PARALLEL_FOR");
        if (cc->tr) emit(w, "for (int u = 0; u < %lld; u++) {", LL(Cg * Fg / 16));
        else emit(w, "for (int u = 0; u < %lld; u++) {", LL(Fg / 16));
        if (cc->tr) emit(w, "const int ci = u / %lld, co = u %% %lld * 16;", LL(Fg / 16), LL(Fg / 16));
        else emit(w, "const int co = u * 16;");
        const char *row = cc->tr ? arena_printf(c->a, "w + (ci * %lld + co + j) * %lld + e0", LL(Fg), LL(E))
                                 : arena_printf(c->a, "w + (co + j) * %lld + e0", LL(E));
        const char *dst = cc->tr ? arena_printf(c->a, "to[e0 + t] + ci * %lld + co / 16 * %lld", LL(cs), LL(ps))
                                 : arena_printf(c->a, "to[(e0 + t) %% %lld] + (e0 + t) / %lld * %lld + co / 16 * %lld", LL(kvol), LL(kvol), LL(cs), LL(ps));
        for (int tail = 0; tail < 2; tail++) {
            int64_t rem = tail ? E - full : 16;
            if (rem == 0 || (!tail && full == 0)) continue;
            if (tail) emit(w, "{");
            else emit(w, "for (int e0 = 0; e0 < %lld; e0 += 16) {", LL(full));
            if (tail) emit(w, "const int e0 = %lld;", LL(full));
            emit(w, "netc_vf r[16];");
            if (tail) emit(w, "for (int j = 0; j < 16; j++) r[j] = NETC_LOADM(%s, 0x%xu);", row, (1u << rem) - 1);
            else emit(w, "for (int j = 0; j < 16; j++) r[j] = *(const netc_vf *)(%s);", row);
            emit(w, "netc_t16(r);");
            emit(w, "for (int t = 0; t < %lld; t++)", LL(rem));
            if (*some) emit(w, "if (to[%s] >= 0)", cc->tr ? "e0 + t" : arena_printf(c->a, "(e0 + t) %% %lld", LL(kvol)));
            emit(w, "*(netc_vf *)(pack + %s) = r[t];", dst);
            emit(w, "}");
        }
        emit(w, "}");
        emit_raw(w, "#else\n");
    }
    if (!cc->par && threaded(Fg * Cg * kvol)) emit(w, "NETC_PARALLEL_FOR");
    if (cc->tr) {   /* w[ci][co][taps] */
        emit(w, "for (int ci = 0; ci < %lld; ci++)", LL(Cg));
        emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
        emit(w, "const float *restrict ws = w + (ci * %lld + co) * %lld;", LL(Fg), LL(kvol));
    } else {        /* w[co][ci][taps] */
        emit(w, "for (int co = 0; co < %lld; co++)", LL(Fg));
        emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
        emit(w, "const float *restrict ws = w + (co * %lld + ci) * %lld;", LL(Cg), LL(kvol));
    }
    emit(w, "for (int t = 0; t < %lld; t++) %spack[to[t] + ci * %lld + %s] = ws[t];", LL(kvol), some, LL(cs), cop);
    emit(w, "}");
    if (vec) emit_raw(w, "#endif\n");
    emit(w, "}");
}

/* The strides of xt's padded box (positions; see ConvRegionPlan). */
static void region_strides(const ConvRegionPlan *rp, int nsp, int64_t *pst) {
    for (int i = nsp - 1, st = 1; i >= 0; st *= (int)rp->ext[i], i--) pst[i] = st;
}

/* Box b of region R: its positions (returned) and, for position f of them (row-major),
 * its q on each axis (unless q is NULL). */
static int64_t box_pos(const ConvRegion *R, int b, int nsp, int64_t f, int64_t *q) {
    int64_t vol = 1;
    for (int i = nsp - 1; i >= 0; i--) {
        int64_t e = R->hi[b][i] - R->lo[b][i];
        if (q) q[i] = R->lo[b][i] + f % e;
        f /= e, vol *= e;
    }
    return vol;
}

/* A region's rows in order (n, box, position in the box): the offset in xt of the
 * first x element of each (tap offset 0), plus `shift`. */
static void emit_region_rows(Ctx *c, const ConvCall *cc, const ConvRegionPlan *rp, const ConvRegion *R, int64_t shift, const char *name) {
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp;
    int64_t M = rp->nbk * R->rows, *v = arena_alloc(c->a, sizeof(int64_t) * (size_t)M), k = 0, pst[MAX_SPATIAL];
    region_strides(rp, nsp, pst);
    for (int64_t n = 0; n < rp->nbk; n++)
        for (int b = 0; b < R->nbox; b++) {
            int64_t q[MAX_SPATIAL], vol = box_pos(R, b, nsp, 0, NULL);
            for (int64_t f = 0; f < vol; f++) {
                int64_t off = n * rp->vol;
                box_pos(R, b, nsp, f, q);
                for (int i = 0; i < nsp; i++) off += (q[i] * (cc->tr ? 1 : g->s[i]) - rp->amin[i]) * pst[i];
                v[k++] = off * (g->cin) + shift;
            }
        }
    emit_int_table(c->w, name, v, M, 16);
}

/* A phase's regions in a chunk, and the row of tmp where each region's results
 * start (rows in order region, n, box position). */
typedef struct RegionRows {
    ConvRegion *reg;
    int nr;
    int64_t roff[CONV_REGION_MAX];
} RegionRows;
static RegionRows region_rows(Ctx *c, const ConvCall *cc, const ConvRegionPlan *rp, const Phase *ph) {
    RegionRows rr = {arena_alloc(c->a, sizeof(ConvRegion) * CONV_REGION_MAX), 0, {0}};
    rr.nr = conv_regions(&cc->g, cc->tr, ph, rp->nbk, rr.reg);
    int64_t ro = 0;
    for (int r = 0; r < rr.nr; r++) {
        rr.roff[r] = ro;
        ro += rp->nbk * rr.reg[r].rows;
    }
    return rr;
}

/* One phase's GEMMs in a chunk, one per group of a region's taps (the first setting
 * C, the others adding), their A rows read from xt through the region's row table,
 * the results tb rows into tmp. */
static void emit_region_gemms(Ctx *c, const ConvCall *cc, const ConvRegionPlan *rp, const Phase *ph, const RegionRows *rr, int64_t poff,
                              int64_t tb) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp, nr = rr->nr;
    const ConvRegion *reg = rr->reg;
    const int64_t *roff = rr->roff;
    int64_t Fg = g->cout, Cg = g->cin, nbk = rp->nbk, pst[MAX_SPATIAL];
    region_strides(rp, nsp, pst);
    emit(w, "{");   /* (the tables' scope) */
    /* the GEMMs over taps: panels of pw output channels outside, then groups of
     * tg taps (their weights in a panel, tg * Cg * pw floats, stay in L2), then
     * every region with taps in the group (the first group of a region sets its
     * results, the later ones add).  A region's tap t reads xt at its offset
     * toff[t] from a row's; the rows carry the least (tables and pointers then
     * stay inside xt). */
    int64_t pw = CONV_REGION_PANEL, full = Fg / pw * pw, tg = CONV_REGION_TAP_FLOATS / (Cg * pw);
    if (tg < 1) tg = 1;
    int ng = (int)((ph->ntaps + tg - 1) / tg);
    for (int r = 0; r < nr; r++) {
        const ConvRegion *R = &reg[r];
        char taps[256] = "";
        for (int t = 0; t < R->ntaps && strlen(taps) < 200; t++) snprintf(taps + strlen(taps), sizeof taps - strlen(taps), "%s%d", t ? "," : "", R->tap[t]);
        emit(w, "/* region %d: %lld positions per sample in %d box%s, taps %s */", r, LL(R->rows), R->nbox, R->nbox == 1 ? "" : "es",
             R->ntaps ? taps : "none");
        if (!R->ntaps) {
            emit(w, "netc_memset(tmp + %lld, 0, sizeof(float) * %lld);", LL((tb + roff[r]) * rp->ldc), LL(nbk * R->rows * rp->ldc));
            continue;
        }
        int64_t toff[64], least = 0;
        for (int t = 0; t < R->ntaps; t++) {
            toff[t] = 0;
            for (int i = 0; i < nsp; i++) toff[t] += tap_offset(g, cc->tr, &ph->taps[R->tap[t]], i) * pst[i];
            toff[t] *= Cg;
            if (t == 0 || toff[t] < least) least = toff[t];
        }
        int64_t bo[64];
        char name[32];
        for (int t = 0; t < R->ntaps; t++) toff[t] -= least, bo[t] = R->tap[t] * Cg * rp->ldb;
        snprintf(name, sizeof name, "ra%d", r);
        emit_region_rows(c, cc, rp, R, least, name);
        snprintf(name, sizeof name, "ao%d", r);
        emit_int_table(w, name, toff, R->ntaps, R->ntaps);
        snprintf(name, sizeof name, "bo%d", r);
        emit_int_table(w, name, bo, R->ntaps, R->ntaps);
    }
    for (int part = 0; part < 2; part++) {
        int64_t lo = part ? full : 0, hi = part ? Fg : full, nw = part ? Fg - full : pw;
        if (hi <= lo) continue;
        if (!part && !cc->par && threaded(nbk * ph->qtot * ph->K * Fg)) emit(w, "NETC_PARALLEL_FOR");
        emit(w, "for (int nb = %lld; nb < %lld; nb += %lld) {", LL(lo), LL(hi), LL(nw));
        for (int gi = 0; gi < ng; gi++)
            for (int r = 0; r < nr; r++) {
                const ConvRegion *R = &reg[r];
                int t0 = 0, t1;   /* the region's taps in group gi: R->tap[t0 .. t1) (ascending) */
                while (t0 < R->ntaps && R->tap[t0] < gi * tg) t0++;
                for (t1 = t0; t1 < R->ntaps && R->tap[t1] < (gi + 1) * tg; t1++) {}
                if (t1 == t0) continue;
                emit(w, "%s(xt, pack + %lld + nb, tmp + %lld + nb, ra%d, ao%d + %d, bo%d + %d);   /* region %d, its taps %d-%d */",
                     gemm_fn_taps(c, nbk * R->rows, Cg, nw, t1 - t0, rp->ldb, rp->ldc, t0 > 0), LL(poff), LL((tb + roff[r]) * rp->ldc), r, r, t0, r, t0, r,
                     t0, t1 - 1);
            }
        emit(w, "}");
    }
    emit(w, "}");
}

/* The store of one phase's results (tb rows into tmp): row (region, n, box position)
 * of tmp into y, 16 output channels at a time (one vector of a row of tmp, whose
 * rows are ldc floats apart), each channel's a scalar store. */
static void emit_region_store(Ctx *c, const ConvCall *cc, const ConvRegionPlan *rp, const Phase *ph, const RegionRows *rr, int64_t tb) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp;
    int64_t Fg = g->cout, nbk = rp->nbk, outvol = 1;
    for (int i = 0; i < nsp; i++) outvol *= g->out[i];
    char yidx[512], tidx[512];
    phase_exprs(cc, ph, yidx, tidx);
    emit(w, "for (int cb = 0; cb < %lld; cb += 16) {", LL(Fg));
    if (!cc->accumulate && cc->b >= 0) emit(w, "const float *restrict bv = s->params + %lld + cb;", LL(cc->b));
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(nbk));
    emit(w, "float *restrict yo = y + ((n0 + n) * %lld + cb) * %lld;", LL(g->cout), LL(outvol));
    for (int r = 0; r < rr->nr; r++) {
        const ConvRegion *R = &rr->reg[r];
        int64_t boff = 0;
        for (int b = 0; b < R->nbox; b++) {
            int64_t one[MAX_SPATIAL], neg[MAX_SPATIAL], ext[MAX_SPATIAL], vol = 1;
            for (int i = 0; i < nsp; i++) {
                one[i] = 1, neg[i] = -R->lo[b][i], ext[i] = R->hi[b][i] - R->lo[b][i];
                vol *= ext[i];
            }
            char bidx[512];
            index_expr(bidx, sizeof bidx, nsp, one, neg, ext);
            open_q_loops(w, nsp, R->lo[b], R->hi[b]);
            emit(w, "const float *restrict t = tmp + (%lld + n * %lld + %lld + %s) * %lld + cb;", LL(tb + rr->roff[r]), LL(R->rows), LL(boff), bidx,
                 LL(rp->ldc));
            emit(w, "float *restrict yc = yo + %s;", yidx);
            emit(w, "for (int c = 0; c < 16; c++) {");
            if (cc->accumulate) emit(w, "yc[c * %lld] += t[c];", LL(outvol));
            else {
                char e[256];
                emit(w, cc->b >= 0 ? "const float v = t[c] + bv[c];" : "const float v = t[c];");
                act_expr(e, sizeof e, cc->act, "v");
                emit(w, "yc[c * %lld] = %s;", LL(outvol), e);
            }
            emit(w, "}");
            close_loops(w, nsp);
            boff += vol;
        }
    }
    emit(w, "}");
    emit(w, "}");
}

/* A pair's store (see ConvRegionPlan): phase a's results at tmp, b's hb rows on
 * (rr[0], rr[1]: their regions).
 * On the vector path, 16 outputs in y's order (a's and b's alternating along the
 * last axis) by 16 output channels at a time: each output's row of tmp is at tq + n
 * * tn (its region's rows per sample tn / ldc), the 16 rows transposed in registers,
 * then each channel's 16 outputs (bias and activation lane by lane, or added to y)
 * stored at yq, in one vector, or in 16 / seg segments of seg outputs (a row of the
 * pair shorter than 16; yq less the segment's first lane, its mask keeping its
 * lanes).  The portable path stores each phase alone (emit_region_store). */
static void emit_region_zip(Ctx *c, const ConvCall *cc, const ConvRegionPlan *rp, const Phase *pa, const Phase *pb, const RegionRows *rr,
                            int64_t hb) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp, L = nsp - 1;
    int64_t row = 2 * pa->nq[L], seg = row < 16 ? row : 16, nout = 2 * pa->qtot, outvol = 1;
    for (int i = 0; i < nsp; i++) outvol *= g->out[i];
    int64_t *base[2], *step[2], *tq = arena_alloc(c->a, sizeof(int64_t) * (size_t)nout * 2), *tn = tq + nout,
            *yq = arena_alloc(c->a, sizeof(int64_t) * (size_t)(nout / seg));
    for (int h = 0; h < 2; h++) {   /* phase h's position (flat over nq) -> its row of tmp */
        base[h] = arena_alloc(c->a, sizeof(int64_t) * (size_t)pa->qtot * 2), step[h] = base[h] + pa->qtot;
        for (int r = 0; r < rr[h].nr; r++) {
            const ConvRegion *R = &rr[h].reg[r];
            int64_t boff = 0;
            for (int b = 0; b < R->nbox; b++) {
                int64_t vol = box_pos(R, b, nsp, 0, NULL), qb[MAX_SPATIAL];
                for (int64_t f = 0; f < vol; f++) {
                    int64_t q = 0;
                    box_pos(R, b, nsp, f, qb);
                    for (int i = 0; i < nsp; i++) q = q * pa->nq[i] + qb[i];
                    base[h][q] = (h * hb + rr[h].roff[r] + boff + f) * rp->ldc;
                    step[h][q] = R->rows * rp->ldc;
                }
                boff += vol;
            }
        }
    }
    for (int64_t k = 0; k < nout; k++) {   /* output k of the pair (y's order): its phase's row */
        int h = (int)(k % row % 2);
        int64_t q = k / row * pa->nq[L] + k % row / 2;
        tq[k] = base[h][q], tn[k] = step[h][q];
    }
    for (int64_t sg = 0; sg < nout / seg; sg++) {   /* segment sg: its first output's index in y */
        int64_t k = sg * seg, rem = k / row, o = 0, om = 1;
        for (int i = nsp - 1; i >= 0; i--) {
            int64_t oi = i == L ? pa->q0[L] * 2 + pa->ph[L] - g->pb[L] + k % row : (pa->q0[i] + rem % pa->nq[i]) * g->s[i] + pa->ph[i] - g->pb[i];
            if (i < L) rem /= pa->nq[i];
            o += oi * om, om *= g->out[i];
        }
        yq[sg] = o - sg % (16 / seg) * seg;
    }
    emit_raw(w, "#if NETC_VEC\n");
    emit(w, "{");
    emit(w, "/* the pair's store: 16 outputs by 16 output channels at a time, transposed */");
    emit_int_table(w, "tq", tq, nout, 16);
    emit_int_table(w, "tn", tn, nout, 16);
    emit_int_table(w, "yq", yq, nout / seg, 16);
    emit(w, "for (int n = 0; n < %lld; n++)", LL(rp->nbk));
    emit(w, "for (int v = 0; v < %lld; v++) {", LL(nout / 16));
    emit(w, "const float *tr[16];");
    emit(w, "for (int j = 0; j < 16; j++) tr[j] = tmp + tq[v * 16 + j] + n * tn[v * 16 + j];");
    emit(w, "for (int cb = 0; cb < %lld; cb += 16) {", LL(g->cout));
    if (!cc->accumulate && cc->b >= 0) emit(w, "const float *restrict bv = s->params + %lld + cb;", LL(cc->b));
    emit(w, "float *restrict yo = y + ((n0 + n) * %lld + cb) * %lld;", LL(g->cout), LL(outvol));
    emit_load_t16(w, "tr[j] + cb");
    emit(w, "for (int c = 0; c < 16; c++) {");
    if (cc->accumulate) emit(w, "const netc_vf o = r[c];");
    else {
        emit(w, cc->b >= 0 ? "netc_vf o = r[c] + bv[c];" : "netc_vf o = r[c];");
        if (cc->act.kind != ACT_IDENTITY) {
            char e[256];
            act_expr(e, sizeof e, cc->act, "v");
            emit(w, "for (int l = 0; l < 16; l++) {");
            emit(w, "const float v = o[l];");
            emit(w, "o[l] = %s;", e);
            emit(w, "}");
        }
    }
    const char *acc = cc->accumulate ? "+" : "";
    if (seg == 16) emit(w, "*(netc_vf *)(yo + c * %lld + yq[v]) %s= o;", LL(outvol), acc);
    else
        for (int k = 0; k < 16 / seg; k++) {
            unsigned m = ((1u << seg) - 1) << (k * seg);
            char p[128];
            snprintf(p, sizeof p, "yo + c * %lld + yq[v * %lld + %d]", LL(outvol), LL(16 / seg), k);
            if (cc->accumulate) emit(w, "NETC_STOREM(%s, NETC_LOADM(%s, 0x%x) + o, 0x%x);", p, p, m, m);
            else emit(w, "NETC_STOREM(%s, o, 0x%x);", p, m);
        }
    emit(w, "}");
    emit(w, "}");
    emit(w, "}");
    emit(w, "}");
    emit_raw(w, "#else\n");
    emit_region_store(c, cc, rp, pa, &rr[0], 0);
    emit_region_store(c, cc, rp, pb, &rr[1], hb);
    emit_raw(w, "#endif\n");
}

/* The GEMM phases of a call on the region path: Wt once, then the chunks of nbk
 * samples (on the threads when there are slots), each making its input channels-
 * last (xt) and running every phase. */
static void emit_region_call(Ctx *c, const ConvCall *cc, const ConvScratch *cs, const ConvRegionPlan *rp) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int64_t Cg = g->cin, NB = cc->nb, nbk = rp->nbk, nch = NB / nbk, invol = 1;
    for (int i = 0; i < g->nsp; i++) invol *= g->in[i];
    emit_tap_pack(c, cc, g->cin * rp->ldb, rp->ldb, 16);
    ConvCall pc = *cc;
    pc.par = cs->slots > 1;
    if (pc.par) {
        emit(w, "NETC_PARALLEL_SLOTS(%d)", cs->slots);
        emit(w, "for (int c0 = 0; c0 < %lld; c0++) {", LL(nch));
        emit(w, "float *restrict col = colS + NETC_THREAD_NUM * %lld;", LL(cs->col_slot));
        emit(w, "float *restrict tmp = tmpS + NETC_THREAD_NUM * %lld;", LL(cs->tmp_slot));
    } else {
        emit(w, "{");
        if (cs->slots > 1) emit(w, "float *restrict col = colS, *restrict tmp = tmpS;");
        emit(w, "for (int c0 = 0; c0 < %lld; c0++) {", LL(nch));
    }
    emit(w, "const int n0 = c0 * %lld;", LL(nbk));
    emit(w, "float *restrict xt = col;");
    emit(w, "/* the chunk's input, channels last, zero-padded */");
    emit(w, "netc_memset(xt, 0, sizeof(float) * %lld);", LL(rp->xt));
    /* in tiles of 16 channels: their 16 rows of x stay in L1 (whole rows, a channel
     * apart, would share a few L1 sets) while every position takes its 16 floats */
    int64_t zero[MAX_SPATIAL] = {0}, one[MAX_SPATIAL], neg[MAX_SPATIAL];
    for (int i = 0; i < g->nsp; i++) one[i] = 1, neg[i] = -rp->amin[i];
    char xi[512], pi[512];
    index_expr(xi, sizeof xi, g->nsp, one, zero, g->in);
    index_expr(pi, sizeof pi, g->nsp, one, neg, rp->ext);
    /* on the vector path, when the positions come in whole vectors: 16 channels by 16
     * positions at a time, transposed in registers, each position's 16 channels one
     * store at its place in the padded box (xo) */
    bool tvec = Cg >= 16 && invol % 16 == 0;
    if (tvec) {
        int64_t *xo = arena_alloc(c->a, sizeof(int64_t) * (size_t)invol), pst[MAX_SPATIAL];
        region_strides(rp, g->nsp, pst);
        for (int64_t p = 0; p < invol; p++) {
            int64_t r = p;
            xo[p] = 0;
            for (int i = g->nsp - 1; i >= 0; i--) {
                xo[p] += (r % g->in[i] - rp->amin[i]) * pst[i];
                r /= g->in[i];
            }
            xo[p] *= Cg;
        }
        emit_raw(w, "#if NETC_VEC\n");
        emit(w, "{");
        emit_int_table(w, "xo", xo, invol, 16);
        emit(w, "for (int n = 0; n < %lld; n++)", LL(nbk));
        emit(w, "for (int cb = 0; cb < %lld; cb += 16) {", LL(Cg / 16 * 16));
        emit(w, "const float *restrict xs = x + ((n0 + n) * %lld + cb) * %lld;", LL(g->cin), LL(invol));
        emit(w, "float *restrict xd = xt + n * %lld + cb;", LL(rp->vol * Cg));
        emit(w, "for (int p = 0; p < %lld; p += 16) {", LL(invol));
        emit_load_t16(w, arena_printf(c->a, "xs + j * %lld + p", LL(invol)));
        emit(w, "for (int j = 0; j < 16; j++) *(netc_vf *)(xd + xo[p + j]) = r[j];");
        emit(w, "}");
        emit(w, "}");
        emit(w, "}");
        emit_raw(w, "#else\n");
    }
    for (int64_t c0 = 0, full = Cg / 16 * 16; c0 < Cg; c0 = full) {
        int64_t cw = c0 < full ? 16 : Cg - full;
        emit(w, "for (int n = 0; n < %lld; n++)", LL(nbk));
        if (c0 < full) emit(w, "for (int cb = 0; cb < %lld; cb += 16) {", LL(full));
        else emit(w, "for (int cb = %lld; cb < %lld; cb++) {", LL(full), LL(full + 1));   /* the last Cg % 16 */
        emit(w, "const float *restrict xs = x + ((n0 + n) * %lld + cb) * %lld;", LL(g->cin), LL(invol));
        emit(w, "float *restrict xd = xt + n * %lld + cb;", LL(rp->vol * Cg));
        open_q_loops(w, g->nsp, zero, g->in);
        emit(w, "for (int c = 0; c < %lld; c++) xd[(%s) * %lld + c] = xs[c * %lld + %s];", LL(cw), pi, LL(Cg), LL(invol), xi);
        close_loops(w, g->nsp);
        emit(w, "}");
        if (tvec && c0 < full) emit_raw(w, "#endif\n");   /* (the scalar tiles) */
        if (c0 == full) break;
    }
    int64_t *poff = arena_alloc(c->a, sizeof(int64_t) * (size_t)cc->nphases), half = rp->tmp / rp->ldc / 2;
    for (int p = 0, o = 0; p < cc->nphases; o += cc->phases[p].K * rp->ldb, p++) poff[p] = o;
    for (int p = 0; p < cc->nphases; p++) {
        const Phase *ph = &cc->phases[p];
        if (!ph->ntaps || (rp->paired && rp->pair[p] < 0)) continue;   /* (the second of a pair: with its first) */
        RegionRows rr[2] = {region_rows(c, &pc, rp, ph)};
        phase_comment(w, cc, ph, 0);
        emit(w, "{");
        emit_region_gemms(c, &pc, rp, ph, &rr[0], poff[p], 0);
        if (!rp->paired) emit_region_store(c, &pc, rp, ph, &rr[0], 0);
        else {
            const Phase *pb = &cc->phases[rp->pair[p]];
            rr[1] = region_rows(c, &pc, rp, pb);
            phase_comment(w, cc, pb, 0);
            emit_region_gemms(c, &pc, rp, pb, &rr[1], poff[rp->pair[p]], half);
            emit_region_zip(c, &pc, rp, ph, pb, rr, half);
        }
        emit(w, "}");
    }
    emit(w, "}");
    if (!pc.par) emit(w, "}");
}

/* The pair path's tap a of the L leading axes (row-major over kernel extents k):
 * the sum of its index on each axis times st[i]. */
static int64_t lead_taps_offset(int64_t a, int L, const int64_t *k, const int64_t *st) {
    int64_t off = 0;
    for (int i = L - 1; i >= 0; i--) {
        off += a % k[i] * st[i];
        a /= k[i];
    }
    return off;
}

/* The pair path's row bases: for row q, flattened over the L leading axes of
 * extents ext, the sum over those axes of q_i * s[i] * st[i] (axes of extent 1 add
 * nothing). */
static void row_base_expr(char *out, size_t size, int L, const int64_t *ext, const int64_t *s, const int64_t *st) {
    int64_t inner = 1;
    for (int i = 0; i < L; i++) inner *= ext[i];
    *out = 0;
    for (int i = 0; i < L; i++) {
        char qi[64];
        inner /= ext[i];
        if (ext[i] == 1) continue;
        if (inner == 1) snprintf(qi, sizeof qi, i ? "q %% %lld" : "q", LL(ext[i]));
        else snprintf(qi, sizeof qi, i ? "q / %lld %% %lld" : "q / %lld", LL(inner), LL(ext[i]));
        snprintf(out + strlen(out), size - strlen(out), "%s(%s) * %lld", *out ? " + " : "", qi, LL(s[i] * st[i]));
    }
    if (!*out) snprintf(out, size, "0");
}

/* The pair path's weight pack: A[r / 6][k][r % 6][2] (the last M % 6 rows
 * [K][M % 6][2]) = the pair at w + r * rs + k * ks (its two floats adjacent). */
static void emit_pair_pack(Emitter *w, int64_t M, int64_t K, int64_t rs, int64_t ks) {
    int64_t full = M / 6 * 6;
    emit(w, "for (int r = 0; r < %lld; r++) {", LL(M));
    if (full == M) emit(w, "const int P = 6;");
    else emit(w, "const int P = r < %lld ? 6 : %lld;", LL(full), LL(M - full));
    emit(w, "float *restrict ap = pack + (r / 6) * %lld + r %% 6 * 2;", LL(6 * K * 2));
    emit(w, "const float *restrict ws = w + r * %lld;", LL(rs));
    emit(w, "for (int k = 0; k < %lld; k++) ap[k * P * 2] = ws[k * %lld], ap[k * P * 2 + 1] = ws[k * %lld + 1];", LL(K), LL(ks), LL(ks));
    emit(w, "}");
}

/* The pair path's loop over rows r (sample n, row q of `rows`), on the threads when
 * the call's `work` (multiply-adds) is large and it is not inside a parallel loop
 * already; closed by the caller. */
static void emit_pair_rows(Emitter *w, const ConvCall *cc, int64_t rows, int64_t work) {
    if (!cc->par && threaded(work)) emit(w, "NETC_PARALLEL_FOR");
    emit(w, "for (int r = 0; r < %lld; r++) {", LL(cc->nb * rows));
    emit(w, "const int n = r / %lld, q = r %% %lld;", LL(rows), LL(rows));
    emit(w, "(void)q;");
}

/* The pair path of a transposed convolution (conv_pairs: kernel = stride, 2 on the
 * last axis): its weights packed in pairs (row (co, tap of the other axes), the two
 * taps along the last axis), then per sample and row of x one GEMM (gemm_fn_dup)
 * reading the row in place, each input in two lanes, its rows stored at their
 * places in y (yo: output channel and tap), the bias added there; an activation
 * passes over them after it.  The rows share out over the threads. */
static void emit_pairs_tr(Ctx *c, const ConvCall *cc, int64_t K) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp, L = nsp - 1;
    int64_t invol = 1, outvol = 1, kvol = 1, rows = 1, yst[MAX_SPATIAL], W = g->in[L];
    for (int i = nsp - 1; i >= 0; i--) {
        yst[i] = outvol;
        invol *= g->in[i], outvol *= g->out[i], kvol *= g->k[i];
    }
    for (int i = 0; i < L; i++) rows *= g->in[i];
    int64_t KA = kvol / 2, M = g->cout * KA;
    bool act = cc->act.kind != ACT_IDENTITY, stream = !cc->accumulate && !act && conv_streams(cc);
    emit(w, "/* the pair path: each GEMM reads a row of x in place, each input in the two lanes of its outputs along the last axis */");
    emit_pair_pack(w, M, K, 2, g->cout * kvol);   /* row (co, a): w[ci][co][2 a .. 2 a + 1] */
    /* row r = (co, a): output channel co, tap a of the other axes */
    int64_t *yo = arena_alloc(c->a, sizeof(int64_t) * (size_t)M);
    for (int64_t r = 0; r < M; r++) yo[r] = r / KA * outvol + lead_taps_offset(r % KA, L, g->k, yst);
    emit(w, "{");
    emit_int_table(w, "yo", yo, M, 16);
    char yb[512];   /* row q of x: its outputs' first row in y, s_i q_i on each leading axis */
    row_base_expr(yb, sizeof yb, L, g->in, g->s, yst);
    const char *fn = gemm_fn_dup(c, M, K, 2 * W, invol, cc->accumulate, cc->b >= 0 ? KA : 0, stream);
    emit_pair_rows(w, cc, rows, M * K * 2 * W * rows * cc->nb);
    emit(w, "float *restrict ys = y + n * %lld + %s;", LL(g->cout * outvol), yb);
    if (cc->b >= 0) emit(w, "%s(pack, x + n * %lld + q * %lld, ys, yo, s->params + %lld);", fn, LL(g->cin * invol), LL(W), LL(cc->b));
    else emit(w, "%s(pack, x + n * %lld + q * %lld, ys, yo);", fn, LL(g->cin * invol), LL(W));
    if (act) {
        char e[256];
        act_expr(e, sizeof e, cc->act, "yr[j]");
        emit(w, "for (int i = 0; i < %lld; i++) {", LL(M));
        emit(w, "float *restrict yr = ys + yo[i];");
        emit(w, "for (int j = 0; j < %lld; j++) yr[j] = %s;", LL(2 * W), e);
        emit(w, "}");
    }
    emit(w, "}");
    emit(w, "}");
}

/* The pair path (conv_pairs): the weights packed in pairs of taps along the last
 * axis, then per sample and row of outputs (every output axis but the last) one
 * pair GEMM reading x where it lies, B's row k at the row's first input + bo[k];
 * a bias and an activation then pass over the row's outputs (still in L1).  The
 * rows share out over the threads, each output one writer. */
static void emit_pairs_call(Ctx *c, const ConvCall *cc, int64_t K) {
    Emitter *w = c->w;
    if (cc->tr) {
        emit_pairs_tr(c, cc, K);
        return;
    }
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp, L = nsp - 1;
    int64_t M = g->cout, invol = 1, outvol = 1, kvol = 1, rows = 1, xst[MAX_SPATIAL], N = 2 * g->out[L];
    for (int i = nsp - 1; i >= 0; i--) {
        xst[i] = invol;
        invol *= g->in[i], outvol *= g->out[i], kvol *= g->k[i];
    }
    for (int i = 0; i < L; i++) rows *= g->out[i];
    emit(w, "/* the pair path: each GEMM reads a row of x in place, two lanes an output along the last axis */");
    emit_pair_pack(w, M, K, 2 * K, 2);   /* row f: w[f][2 k .. 2 k + 1] */
    /* row k = (ci, the taps of the other axes, t): pair t of the last axis's taps */
    int64_t *bo = arena_alloc(c->a, sizeof(int64_t) * (size_t)K), half = g->k[L] / 2, xdst[MAX_SPATIAL];
    for (int i = 0; i < L; i++) xdst[i] = g->dil[i] * xst[i];
    for (int64_t k = 0; k < K; k++) {
        int64_t rem = k % (kvol / 2);
        bo[k] = k / (kvol / 2) * invol + lead_taps_offset(rem / half, L, g->k, xdst) + 2 * (rem % half);
    }
    emit(w, "{");
    emit_int_table(w, "po", bo, K, 16);
    char xb[512];   /* row q's first input: s_i q_i on each leading axis, q_i its output index there */
    row_base_expr(xb, sizeof xb, L, g->out, g->s, xst);
    const char *fn = gemm_fn_pairs(c, M, K, N, outvol, cc->accumulate);
    emit_pair_rows(w, cc, rows, M * K * N * rows * cc->nb);
    emit(w, "float *restrict ys = y + n * %lld + q * %lld;", LL(M * outvol), LL(g->out[L]));
    emit(w, "%s(pack, x + n * %lld + %s, ys, po);", fn, LL(g->cin * invol), xb);
    if (cc->b >= 0 || cc->act.kind != ACT_IDENTITY) {
        char e[256];
        act_expr(e, sizeof e, cc->act, "(yr[j] + bv)");
        emit(w, "for (int co = 0; co < %lld; co++) {", LL(M));
        if (cc->b >= 0) emit(w, "const float bv = s->params[%lld + co];", LL(cc->b));
        else emit(w, "const float bv = 0.0f;");
        emit(w, "float *restrict yr = ys + co * %lld;", LL(outvol));
        emit(w, "for (int j = 0; j < %lld; j++) yr[j] = %s;", LL(g->out[L]), e);
        emit(w, "}");
    }
    emit(w, "}");
    emit(w, "}");
}

/* The unrolled path's bodies (see unroll_fn) print a block of r positions whose first
 * output is at yb (channel rows Q apart) and first input at xb: its sums over the
 * input channels (xp and wp stepping over x's channels, invol floats, and over the
 * weights) and the taps, rel[p * T + t] the offset of the input that position p
 * reads through tap t (INT64_MIN: none).  A bias (bp) joins the store. */

/* The vector path: a tap's weights (the pack's row) once, then its multiply-add for
 * each position it reads inside x; then the sums transposed into 16 outputs of each
 * channel, one store each (masked for a short block). */
static void unroll_vec_body(Ctx *c, const ConvCall *cc, int T, int64_t r, const int64_t *rel, int64_t invol, int64_t Q) {
    Emitter *w = c->g;
    const char *bv = cc->b >= 0 ? " + bp[f]" : "";
    for (int64_t p = 0; p < r; p++) emit(w, "netc_vf c%lld = {0};", LL(p));
    emit(w, "for (int ci = 0; ci < %lld; ci++, xp += %lld, wp += %d) {", LL(cc->g.cin), LL(invol), 16 * T);
    for (int t = 0; t < T; t++) {
        bool any = false;
        for (int64_t p = 0; p < r; p++) any |= rel[p * T + t] != INT64_MIN;
        if (!any) continue;
        emit(w, "const netc_vf a%d = *(const netc_vf *)(wp + %d);", t, 16 * t);
        for (int64_t p = 0; p < r; p++)
            if (rel[p * T + t] != INT64_MIN) emit(w, "NETC_UFMA(c%lld, xp[%lld], a%d);", LL(p), LL(rel[p * T + t]), t);
    }
    emit(w, "}");
    char init[16 * 8] = "";
    for (int64_t p = 0; p < r; p++) snprintf(init + strlen(init), sizeof init - strlen(init), "%sc%lld", p ? ", " : "", LL(p));
    emit(w, "netc_vf r[16] = {%s};   /* (the positions past the last: zero) */", init);
    emit(w, "netc_t16(r);");
    emit(w, "for (int f = 0; f < 16; f++) {");
    emit(w, "float *restrict yr = yb + f * %lld;", LL(Q));
    if (r == VEC_W) {
        if (cc->accumulate) emit(w, "*(netc_vf *)yr += r[f];");
        else emit(w, "*(netc_vf *)yr = r[f]%s;", bv);
    } else {
        unsigned m = (1u << r) - 1;
        if (cc->accumulate) emit(w, "NETC_STOREM(yr, NETC_LOADM(yr, 0x%xu) + r[f], 0x%xu);", m, m);
        else emit(w, "NETC_STOREM(yr, r[f]%s, 0x%xu);", bv, m);
    }
    emit(w, "}");
}

/* AVX2 hosts (NETC_VEC8: 16 vector registers of 8): the block's positions in runs of
 * up to 6, each run's 16 output channels' sums in two vectors a position (12
 * registers) over every input channel and tap, the tap's weights in two more, each
 * input broadcast from where it lies; the runs' sums then leave through cs, one
 * channel's positions at a time, as the table body's do.  The same sums in the same
 * order (channel, then tap) as the other bodies. */
enum { VEC8_RUN = 6 };
static void unroll_vec8_body(Ctx *c, const ConvCall *cc, int T, int64_t r, const int64_t *rel, int64_t invol, int64_t Q) {
    Emitter *w = c->g;
    emit(w, "float cs[%lld][16];", LL(r));
    /* the positions in runs of those that read through the same taps (a stride's
     * phases: each tap's weights loaded once for the whole run), stably */
    int64_t *ord = arena_alloc(c->a, sizeof(int64_t) * (size_t)r), no = 0;
    bool *done = arena_alloc(c->a, sizeof(bool) * (size_t)r);
    for (int64_t p = 0; p < r; p++) {
        if (done[p]) continue;
        for (int64_t q = p; q < r; q++) {   /* p and the rest of its kind */
            bool same = !done[q];
            for (int t = 0; t < T && same; t++) same = (rel[p * T + t] != INT64_MIN) == (rel[q * T + t] != INT64_MIN);
            if (same) ord[no++] = q, done[q] = true;
        }
    }
    for (int64_t p0 = 0; p0 < r; p0 += VEC8_RUN) {
        int64_t p1 = p0 + VEC8_RUN < r ? p0 + VEC8_RUN : r;
        emit(w, "{");
        for (int64_t j = p0; j < p1; j++) emit(w, "netc_v8 c%lld_0 = {0}, c%lld_1 = {0};", LL(ord[j]), LL(ord[j]));
        emit(w, "xp = xb, wp = wb;");
        emit(w, "for (int ci = 0; ci < %lld; ci++, xp += %lld, wp += %d) {", LL(cc->g.cin), LL(invol), 16 * T);
        for (int t = 0; t < T; t++) {
            bool any = false;
            for (int64_t j = p0; j < p1; j++) any |= rel[ord[j] * T + t] != INT64_MIN;
            if (!any) continue;
            emit(w, "{");
            emit(w, "netc_v8 a0 = *(const netc_v8 *)(wp + %d), a1 = *(const netc_v8 *)(wp + %d);", 16 * t, 16 * t + 8);
            emit(w, "NETC_KEEP(a0);"), emit(w, "NETC_KEEP(a1);");
            for (int64_t j = p0; j < p1; j++) {
                int64_t p = ord[j];
                if (rel[p * T + t] != INT64_MIN) emit(w, "NETC_UFMA8(c%lld_0, c%lld_1, xp[%lld], a0, a1);", LL(p), LL(p), LL(rel[p * T + t]));
            }
            emit(w, "}");
        }
        emit(w, "}");
        for (int64_t j = p0; j < p1; j++)
            emit(w, "*(netc_v8 *)cs[%lld] = c%lld_0, *(netc_v8 *)(cs[%lld] + 8) = c%lld_1;", LL(ord[j]), LL(ord[j]), LL(ord[j]), LL(ord[j]));
        emit(w, "NETC_STORED(cs);");
        emit(w, "}");
    }
    /* each 8 positions by 8 channels of cs transposed in registers (netc_t8), one
     * vector store a channel; the positions past the last 8 one by one */
    const char *op = cc->accumulate ? "+=" : "=";
    int64_t r8 = r / 8 * 8;
    if (r8) {
        emit(w, "for (int f0 = 0; f0 < 16; f0 += 8)");
        emit(w, "for (int p0 = 0; p0 < %lld; p0 += 8) {", LL(r8));
        emit_load_t8(w, "cs[p0 + j] + f0");
        emit(w, "for (int j = 0; j < 8; j++) *(netc_v8 *)(yb + (f0 + j) * %lld + p0) %s t[j]%s;", LL(Q), op, cc->b >= 0 ? " + bp[f0 + j]" : "");
        emit(w, "}");
    }
    if (r > r8) {
        emit(w, "for (int f = 0; f < 16; f++) {");
        emit(w, "float *restrict yr = yb + f * %lld;", LL(Q));
        emit(w, "for (int p = %lld; p < %lld; p++) yr[p] %s cs[p][f]%s;", LL(r8), LL(r), op, cc->b >= 0 ? " + bp[f]" : "");
        emit(w, "}");
    }
}

/* Portable host builds: the same sums from tables (each tap's positions rp and input
 * offsets ro, rn[t] of them), 16 floats a position that GCC vectorises, stored one by
 * one (printed, their loops of 16 cost GCC seconds a body). */
static void unroll_table_body(Ctx *c, const ConvCall *cc, int T, int64_t r, const int64_t *rel, int64_t invol, int64_t Q) {
    Emitter *w = c->g;
    int64_t *rn = arena_alloc(c->a, sizeof(int64_t) * (size_t)T), *rp = arena_alloc(c->a, sizeof(int64_t) * 16 * (size_t)T),
            *ro = arena_alloc(c->a, sizeof(int64_t) * 16 * (size_t)T);
    for (int t = 0; t < T; t++)
        for (int64_t p = 0; p < r; p++)
            if (rel[p * T + t] != INT64_MIN) rp[t * 16 + rn[t]] = p, ro[t * 16 + rn[t]++] = rel[p * T + t];
    emit_int_table(w, "rn", rn, T, 16);
    emit_int_table(w, "rp", rp, 16 * (int64_t)T, 16);
    emit_int_table(w, "ro", ro, 16 * (int64_t)T, 16);
    emit(w, "float cs[%lld][16] = {{0}};", LL(r));
    emit(w, "for (int ci = 0; ci < %lld; ci++, xp += %lld, wp += %d)", LL(cc->g.cin), LL(invol), 16 * T);
    emit(w, "for (int t = 0; t < %d; t++) {", T);
    emit(w, "const float *restrict a = wp + t * 16;");
    emit(w, "for (int j = 0; j < rn[t]; j++) {");
    emit(w, "const float v = xp[ro[t * 16 + j]];");
    emit(w, "float *restrict cp = cs[rp[t * 16 + j]];");
    emit(w, "for (int l = 0; l < 16; l++) cp[l] += v * a[l];");
    emit(w, "}");
    emit(w, "}");
    emit(w, "for (int f = 0; f < 16; f++) {");
    emit(w, "float *restrict yr = yb + f * %lld;", LL(Q));
    emit(w, "for (int p = 0; p < %lld; p++) yr[p] %s cs[p][f]%s;", LL(r), cc->accumulate ? "+=" : "=", cc->b >= 0 ? " + bp[f]" : "");
    emit(w, "}");
}

/* A compact schedule (the firmware profile): the weights read where they lie (wb: the
 * panel's first; no pack, no RAM), tap t of output channel f at wp + pk[] + f ls (pk:
 * the tap's kernel index; wp stepping one input channel's weights); position by
 * position, its 16 sums in registers (named scalars) over its taps, pn[p] of them at
 * input offsets po[].  The table body's loads and stores of its sums cost the M4F
 * more than the im2col GEMM saved. */
static void unroll_compact_body(Ctx *c, const ConvCall *cc, int T, int64_t r, const int64_t *rel, int64_t invol, int64_t Q) {
    Emitter *w = c->g;
    const ConvGeom *g = &cc->g;
    int64_t kvol = 1, gt = 0;
    for (int i = 0; i < g->nsp; i++) kvol *= g->k[i];
    int64_t ls = cc->tr ? kvol : g->cin * kvol, *ki = arena_alloc(c->a, sizeof(int64_t) * (size_t)T);
    for (int p = 0; p < cc->nphases; p++)
        for (int j = 0; j < cc->phases[p].ntaps; j++) ki[gt++] = cc->phases[p].taps[j].index;
    int64_t *pn = arena_alloc(c->a, sizeof(int64_t) * (size_t)r), *pk = arena_alloc(c->a, sizeof(int64_t) * (size_t)(r * T)),
            *po = arena_alloc(c->a, sizeof(int64_t) * (size_t)(r * T));
    for (int64_t p = 0; p < r; p++)
        for (int t = 0; t < T; t++)
            if (rel[p * T + t] != INT64_MIN) pk[p * T + pn[p]] = ki[t], po[p * T + pn[p]++] = rel[p * T + t];
    emit_int_table(w, "pn", pn, r, 16);
    emit_int_table(w, "pk", pk, r * T, 16);
    emit_int_table(w, "po", po, r * T, 16);
    emit(w, "for (int p = 0; p < %lld; p++) {", LL(r));
    char sums[256] = "";
    for (int f = 0; f < 16; f++) snprintf(sums + strlen(sums), sizeof sums - strlen(sums), "%ss%d = 0", f ? ", " : "", f);
    emit(w, "float %s;", sums);
    emit(w, "xp = xb, wp = wb;");
    emit(w, "for (int ci = 0; ci < %lld; ci++, xp += %lld, wp += %lld)", LL(g->cin), LL(invol), LL(cc->tr ? g->cout * kvol : kvol));
    emit(w, "for (int j = 0; j < pn[p]; j++) {");
    emit(w, "const float v = xp[po[p * %d + j]], *restrict a = wp + pk[p * %d + j];", T, T);
    for (int f = 0; f < 16; f++) emit(w, "s%d += v * a[%lld];", f, LL(f * ls));
    emit(w, "}");
    for (int f = 0; f < 16; f++) emit(w, "yb[%lld + p] %s s%d%s;", LL(f * Q), cc->accumulate ? "+=" : "=", f, cc->b >= 0 ? arena_printf(c->a, " + bp[%d]", f) : "");
    emit(w, "}");
}

/* One kind of block of the unrolled path (see conv_unroll_blocks) as a function: the
 * vector and table bodies (host builds) or the compact one, then an activation passes
 * over the block.  Returns its name. */
static const char *unroll_fn(Ctx *c, const ConvCall *cc, int T, int64_t r, const int64_t *rel) {
    Emitter *w = c->g;
    const ConvGeom *g = &cc->g;
    int64_t Q = 1, invol = 1;
    for (int i = 0; i < g->nsp; i++) invol *= g->in[i], Q *= g->out[i];
    const char *name = arena_printf(c->a, "ublock_%d", c->ndw++);
    emit(w, "/* 16 output channels of %lld positions, from %lld input channels by %d taps */", LL(r), LL(g->cin), T);
    emit(w, "static void %s(const float *restrict xb, const float *restrict wb, float *restrict yb, const float *restrict bp)", name);
    emit(w, "{");
    emit(w, "(void)bp;");
    emit(w, "const float *restrict xp = xb, *restrict wp = wb;");
    if (c->s->compact) unroll_compact_body(c, cc, T, r, rel, invol, Q);
    else {
        emit_raw(w, "#if NETC_VEC\n");
        unroll_vec_body(c, cc, T, r, rel, invol, Q);
        emit_raw(w, "#elif NETC_VEC8\n");
        unroll_vec8_body(c, cc, T, r, rel, invol, Q);
        emit_raw(w, "#else\n");
        unroll_table_body(c, cc, T, r, rel, invol, Q);
        emit_raw(w, "#endif\n");
    }
    if (cc->act.kind != ACT_IDENTITY) {
        char e[256];
        act_expr(e, sizeof e, cc->act, "yr[l]");
        emit(w, "for (int f = 0; f < 16; f++) {");
        emit(w, "float *restrict yr = yb + f * %lld;", LL(Q));
        emit(w, "for (int l = 0; l < %lld; l++) yr[l] = %s;", LL(r), e);
        emit(w, "}");
    }
    emit(w, "}");
    emit_raw(w, "\n");
    return name;
}

/* The unrolled path (conv_unrolled): the weights packed a panel whole (emit_tap_pack),
 * then per sample, panel of 16 output channels (or panel, then sample: see
 * schedule.h) and block of 16 output positions, its kind's body (unroll_fn) from a
 * table of the blocks' kinds and first inputs. */
static void emit_unrolled_call(Ctx *c, const ConvCall *cc) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int T = 0;   /* every phase's taps */
    int64_t Fg = g->cout, Cg = g->cin, Q = 1, np = Fg / VEC_W, invol = 1, macs = 0;   /* macs: a sample's, an output channel's */
    for (int i = 0; i < g->nsp; i++) invol *= g->in[i], Q *= g->out[i];
    for (int p = 0; p < cc->nphases; p++) T += cc->phases[p].ntaps, macs += cc->phases[p].K * cc->phases[p].qtot;
    int64_t nblk = (Q + VEC_W - 1) / VEC_W;
    int *kind = arena_alloc(c->a, sizeof(int) * (size_t)nblk);
    int64_t S = 1 + VEC_W * T, *xoff = arena_alloc(c->a, sizeof(int64_t) * (size_t)nblk), *kk = arena_alloc(c->a, sizeof(int64_t) * (size_t)nblk),
            *sig = arena_alloc(c->a, sizeof(int64_t) * (size_t)(S * (CONV_UNROLL_KINDS + 1)));
    conv_unroll_blocks(g, cc->tr, cc->phases, cc->nphases, kind, xoff, sig);
    int nk = 0;
    for (int64_t b = 0; b < nblk; b++)
        if ((kk[b] = kind[b]) >= nk) nk = kind[b] + 1;
    const char *fn[CONV_UNROLL_KINDS];   /* each kind's body */
    for (int k = 0; k < nk; k++) fn[k] = unroll_fn(c, cc, T, sig[k * S], sig + k * S + 1);
    emit(w, "/* the unrolled path: 16 output channels by 16 positions in registers, each tap's multiply-adds printed for the positions it reaches */");
    if (!c->s->compact) emit_tap_pack(c, cc, 16, T * 16, Cg * T * 16);
    emit(w, "{");
    emit_int_table(w, "ux", xoff, nblk, 16);
    if (nk > 1) emit_int_table(w, "uk", kk, nblk, 32);
    if (!cc->par && threaded(cc->nb * Fg * macs)) emit(w, "NETC_PARALLEL_FOR");
    emit(w, "for (int u = 0; u < %lld; u++) {", LL(cc->nb * np * nblk));
    if (16 * T > 2 * invol)   /* a panel's weights over twice a sample's x: panels outermost */
        emit(w, "const int cp = u / %lld * 16, n = u / %lld %% %lld, b = u %% %lld;", LL(cc->nb * nblk), LL(nblk), LL(cc->nb), LL(nblk));
    else emit(w, "const int n = u / %lld, cp = u / %lld %% %lld * 16, b = u %% %lld;", LL(np * nblk), LL(nblk), LL(np), LL(nblk));
    if (c->s->compact) {   /* (the weights where they lie: see unroll_fn) */
        int64_t kvol = 1;
        for (int i = 0; i < g->nsp; i++) kvol *= g->k[i];
        emit(w, "const float *restrict xb = x + n * %lld + ux[b], *restrict wb = w + cp * %lld;", LL(Cg * invol), LL(cc->tr ? kvol : Cg * kvol));
    } else emit(w, "const float *restrict xb = x + n * %lld + ux[b], *restrict wb = pack + cp * %lld;", LL(Cg * invol), LL(Cg * T));
    emit(w, "float *restrict yb = y + (n * %lld + cp) * %lld + b * 16;", LL(Fg), LL(Q));
    const char *bp = cc->b >= 0 ? arena_printf(c->a, "s->params + %lld + cp", LL(cc->b)) : "0";
    if (nk == 1) emit(w, "%s(xb, wb, yb, %s);", fn[0], bp);
    else {   /* (a switch, not a table of functions: the call graph stays whole for netc lint) */
        emit(w, "switch (uk[b]) {");
        for (int k = 0; k < nk; k++) emit(w, "%s: %s(xb, wb, yb, %s); break;", k < nk - 1 ? arena_printf(c->a, "case %d", k) : "default", fn[k], bp);
        emit(w, "}");
    }
    emit(w, "}");
    emit(w, "}");
}

/* The call's convolution: outputs no tap reaches get the bias alone; phases with
 * few output channels go direct; the others take weight packing, im2col and GEMM,
 * all of their groups and phases inside one loop over sample chunks, so that a
 * chunk's outputs stay in cache while every phase writes its share of them. */
static void emit_conv_call(Ctx *c, const ConvCall *cc) {
    Emitter *w = c->w;
    const ConvGeom *g = &cc->g;
    int nsp = g->nsp;
    int64_t Fg = g->cout / g->groups, NB = cc->nb, outvol = 1;
    for (int i = 0; i < nsp; i++) outvol *= g->out[i];
    emit(w, "{");
    if (cc->xp) emit(w, "const float *restrict x = %s;", cc->xp);
    else emit(w, "const float *restrict x = s->arena + %lld;", LL(cc->x));
    if (cc->yp) emit(w, "float *restrict y = %s;", cc->yp);
    else emit(w, "float *restrict y = s->arena + %lld;", LL(cc->y));
    ConvScratch cs = conv_scratch(g, cc->tr, cc->phases, cc->nphases, NB, c->s->compact);
    if (cs.rows) emit(w, "const float *restrict xR = x; float *restrict yR = y;   /* row blocks point into these */");
    const char *sl = cs.slots > 1 ? "S" : "";   /* several slots: colS and tmpS, each thread's col and tmp inside */
    emit(w, "float *restrict col%s = s->arena + %lld;", sl, LL(cc->col));
    emit(w, "float *restrict tmp%s = s->arena + %lld;", sl, LL(cc->tmp));
    emit(w, "const float *restrict w = s->params + %lld;", LL(cc->w));
    emit(w, "(void)col%s; (void)tmp%s; (void)w;", sl, sl);
    emit(w, "float *restrict pack = s->arena + %lld;", LL(cc->pack));
    emit(w, "(void)pack;");
    if (conv_unrolled(g, cc->tr, cc->phases, cc->nphases, c->s->compact)) {
        emit_unrolled_call(c, cc);
        emit(w, "}");
        return;
    }
    int64_t kp = conv_pairs(g, cc->tr, c->s->compact);
    if (kp) {
        emit_pairs_call(c, cc, kp);
        emit(w, "}");
        return;
    }
    int64_t zero_lo[MAX_SPATIAL] = {0};
    int64_t nbk = cs.nbk;
    bool any_gemm = false, inter = conv_interleaved(g, cc->phases, cc->nphases, c->s->compact);
    DirectPad dp = conv_direct_pad(g, cc->tr, cc->phases, cc->nphases, c->s->compact);
    for (int64_t grp = 0; grp < g->groups; grp++) {
        if (dp.vol) emit_direct_padded(c, cc, grp, &dp, &cs);
        for (int p = 0; p < cc->nphases; p++) {
            const Phase *ph = &cc->phases[p];
            char yidx[512], tidx[512];
            phase_exprs(cc, ph, yidx, tidx);
            if (ph->ntaps == 0) {
                phase_comment(w, cc, ph, grp);
                if (cc->accumulate) { emit(w, "/* no tap reaches these outputs */"); continue; }
                /* no tap reaches these outputs: bias (and activation) only */
                emit(w, "for (int co = 0; co < %lld; co++) {", LL(Fg));
                if (cc->b >= 0) emit(w, "const float bv = s->params[%lld + co];", LL(cc->b + grp * Fg));
                else emit(w, "const float bv = 0.0f;");
                emit(w, "for (int n = 0; n < %lld; n++) {", LL(NB));
                emit(w, "float *restrict yo = y + (n * %lld + %lld + co) * %lld;", LL(g->cout), LL(grp * Fg), LL(outvol));
                open_q_loops(w, nsp, zero_lo, ph->nq);
                char e[256];
                act_expr(e, sizeof e, cc->act, "bv");
                emit(w, "yo[%s] = %s;", yidx, e);
                close_loops(w, nsp);
                emit(w, "}");
                emit(w, "}");
                continue;
            }
            ConvChunk ch = conv_chunk(ph, NB, Fg, nbk);
            if (ch.direct && dp.vol) continue;   /* emit_direct_padded above */
            if (ch.direct) {
                /* few output channels: a GEMM with so few rows cannot pay for its
                 * im2col, so accumulate each tap straight from the input */
                phase_comment(w, cc, ph, grp);
                emit(w, "{");
                emit_direct(c, cc, ph, grp, yidx, tidx, &cs);
                emit(w, "}");
                continue;
            }
            any_gemm = true;
        }
    }
    ConvRegionPlan rp = conv_region_plan(g, cc->tr, cc->phases, cc->nphases, NB, c->s->compact);
    if (any_gemm && rp.nbk) {
        emit_region_call(c, cc, &cs, &rp);
        any_gemm = false;
    }
    if (any_gemm) {
        /* one chunk: each phase packs its weights just before its GEMM, in one
         * phase's room; several (of samples or of rows): every group and phase is
         * packed once, first */
        int64_t R = cs.rows, N0 = 0, nrb = 1;
        for (int p = 0; p < cc->nphases && R; p++)
            if (cc->phases[p].ntaps > 0) { N0 = cc->phases[p].nq[0]; nrb = N0 / R; break; }
        bool chunked = nbk < NB || R;
        int64_t off = 0;
        ConvImplicit ip = conv_implicit(g, cc->tr, cc->phases, cc->nphases, NB, c->s->compact);
        for (int64_t grp = 0; grp < g->groups && chunked && !ip.vol; grp++) {
            const Phase **gp = arena_alloc(c->a, sizeof *gp * (size_t)cc->nphases);
            int64_t *goff = arena_alloc(c->a, sizeof *goff * (size_t)cc->nphases);
            int ng = 0;
            for (int p = 0; p < cc->nphases; p++) {
                const Phase *ph = &cc->phases[p];
                ConvChunk ch = conv_chunk(ph, NB, Fg, nbk);
                if (ph->ntaps == 0 || ch.direct) continue;
                gp[ng] = ph, goff[ng++] = off;
                off += Fg * ph->K;
            }
            emit_pack_phases(w, cc, gp, goff, ng, grp);
        }
        /* several slots: the chunks on the threads, each in its own slot; one slot
         * for a call whose only chunk leaves the slots to its direct phases */
        ConvCall pc = *cc;
        pc.par = cs.slots > 1 && chunked;
        pc.ip = ip.vol ? &ip : NULL;
        cc = &pc;
        int64_t nch = R ? NB * nrb : NB / nbk;
        if (pc.par) {
            emit(w, "NETC_PARALLEL_SLOTS(%d)", cs.slots);
            emit(w, "for (int c0 = 0; c0 < %lld; c0++) {", LL(nch));
            emit(w, "float *restrict col = colS + NETC_THREAD_NUM * %lld;", LL(cs.col_slot));
            emit(w, "float *restrict tmp = tmpS + NETC_THREAD_NUM * %lld;", LL(cs.tmp_slot));
            emit(w, "(void)tmp;   /* unused when every GEMM writes into y */");
        } else {
            if (cs.slots > 1) {
                emit(w, "{");
                emit(w, "float *restrict col = colS, *restrict tmp = tmpS;");
                emit(w, "(void)tmp;");
            }
            if (chunked) emit(w, "for (int c0 = 0; c0 < %lld; c0++) {", LL(nch));
        }
        if (R) {
            /* a block of R rows of sample n0: x and y point at its first row, whose
             * first and last blocks have their own bodies */
            int64_t xrow = cc->tr ? 1 : g->s[0], yrow = cc->tr ? g->s[0] : 1;
            for (int i = 1; i < nsp; i++) { xrow *= g->in[i]; yrow *= g->out[i]; }
            emit(w, "const int n0 = c0 / %lld, rb = c0 %% %lld;", LL(nrb), LL(nrb));
            emit(w, "const float *restrict x = xR + rb * %lld;", LL(R * xrow));
            emit(w, "float *restrict y = yR + rb * %lld;", LL(R * yrow));
            emit(w, "if (rb == 0) {");
            emit_chunk_phases(c, cc, nbk, R, 0, inter);
            emit(w, "} else if (rb == %lld) {", LL(nrb - 1));
            emit_chunk_phases(c, cc, nbk, R, N0 - R, inter);
            if (nrb > 2) {
                emit(w, "} else {");
                emit_chunk_phases(c, cc, nbk, R, R, inter);
            }
            emit(w, "}");
        } else {
            if (chunked) emit(w, "const int n0 = c0 * %lld;", LL(nbk));
            emit_chunk_phases(c, cc, nbk, 0, 0, inter);
        }
        if (chunked) emit(w, "}");
        if (!pc.par && cs.slots > 1) emit(w, "}");
    }
    emit(w, "}");
}

/* Whether an interface array of L is laid out as the state holds it (nchw, or no
 * channel axis to move): its copy is a plain memcpy. */
static bool copy_is_plain(const Net *net, const Layer *L) { return net->layout == LAYOUT_NCHW || L->shape.rank - (L->td ? 1 : 0) < 2; }

/* Interface buffers a forward call uses in place: a network input whose every
 * reader is a convolution (it reads its x through the pointer it is given) is read
 * from the caller's array, not copied into the arena first; an output that a
 * convolution computes and no kernel reads is written straight into the caller's.
 * Only where the copy would be a plain memcpy (nchw, or no spatial axes).  Returns
 * the index in s->inputs (net->outputs), or -1. */
static int in_place_input(const Schedule *s, int b) {
    for (int j = 0; j < s->inputs.n; j++) {
        const Layer *I = s->inputs.v[j];
        if (s->value_buf[I->id] != b || !copy_is_plain(s->net, I)) continue;
        for (int i = 0; i < s->nk; i++) {
            const Kernel *k = &s->k[i];
            bool conv = k->L->kind->op == OP_CONV || k->L->kind->op == OP_TCONV;
            for (int r = 0; r < k->L->nin; r++)
                if (k->in[r] == b && (!conv || r > 0)) return -1;
        }
        return j;
    }
    return -1;
}
static int in_place_output(const Schedule *s, int b) {
    const Net *net = s->net;
    int found = -1;
    for (int j = 0; j < net->outputs.n; j++) {
        const Layer *O = net->outputs.v[j];
        if (s->value_buf[O->id] != b) continue;
        if (found >= 0 || O->is_input || !copy_is_plain(net, O) || (O->kind->op != OP_CONV && O->kind->op != OP_TCONV)) return -1;
        found = j;
    }
    if (found < 0) return -1;
    for (int i = 0; i < s->nk; i++)
        for (int r = 0; r < s->k[i].L->nin; r++)
            if (s->k[i].in[r] == b) return -1;
    return found;
}
/* A forward kernel's in-place operands: xi, the input it reads through its xin
 * argument (index in s->inputs), and yo, the output it writes through yout (index
 * in net->outputs); -1 for none (every kernel but a convolution). */
static void kernel_io(const Schedule *s, const Kernel *k, int *xi, int *yo) {
    bool conv = k->L->kind->op == OP_CONV || k->L->kind->op == OP_TCONV;
    *xi = conv ? in_place_input(s, k->in[0]) : -1;
    *yo = conv ? in_place_output(s, k->out) : -1;
}

static void print_convlike(Ctx *c, const Kernel *k) {
    const Schedule *s = c->s;
    const Layer *L = k->L;
    ConvCall cc = {
        .tr = L->kind->op == OP_TCONV, .g = L->g, .phases = k->phases, .nphases = k->nphases, .nb = k->nb,
        .x = off_in(c, k, 0), .y = off_out(c, k), .col = off_col(c, k), .tmp = off_tmp(c, k),
        .w = s->params[k->param[P_WEIGHT]].offset, .b = k->param[P_BIAS] >= 0 ? s->params[k->param[P_BIAS]].offset : -1,
        .act = L->a[A_ACTIVATION].act,
    };
    cc.pack = c->tp ? c->tp->scratch + c->tp->fwd_pack[k - s->k] : cc.tmp + s->bufs[k->tmp].floats - k->pack_floats;
    int xi, yo;
    kernel_io(s, k, &xi, &yo);
    if (!c->tp && xi >= 0) cc.xp = "xin";
    if (!c->tp && yo >= 0) cc.yp = "yout";
    emit_conv_call(c, &cc);
}

/* ---- the other kernels ---- */

/* Loops over input position i and replica r on each axis of an upsample (output
 * i * f + r), and the flat input and output indices they give. */
static void open_upsample_loops(Emitter *w, const ConvGeom *g, char xi[512], char yi[512]) {
    char b[700];
    for (int i = 0; i < g->nsp; i++) {
        emit(w, "for (int i%d = 0; i%d < %lld; i%d++) {", i, i, LL(g->in[i]), i);
        emit(w, "for (int r%d = 0; r%d < %lld; r%d++) {", i, i, LL(g->s[i]), i);
    }
    snprintf(xi, 512, "i0");
    snprintf(yi, 512, "(i0 * %lld + r0)", LL(g->s[0]));
    for (int i = 1; i < g->nsp; i++) {
        snprintf(b, sizeof b, "(%s) * %lld + i%d", xi, LL(g->in[i]), i); snprintf(xi, 512, "%s", b);
        snprintf(b, sizeof b, "(%s) * %lld + i%d * %lld + r%d", yi, LL(g->out[i]), i, LL(g->s[i]), i); snprintf(yi, 512, "%s", b);
    }
}

/* A pool window's tap tt[]: the condition that it reads a real input element (not
 * padding) and that element's flat index, for the output at q0, q1, ... */
static void pool_tap(const ConvGeom *g, const int64_t *tt, char cond[512], char xi[512]) {
    char b[700];
    cond[0] = xi[0] = 0;
    for (int i = 0; i < g->nsp; i++) {
        int64_t a = tt[i] - g->pb[i];
        snprintf(b, sizeof b, "%s%sq%d * %lld + %lld >= 0 && q%d * %lld + %lld < %lld", cond, i ? " && " : "", i,
                 LL(g->s[i]), LL(a), i, LL(g->s[i]), LL(a), LL(g->in[i]));
        snprintf(cond, 512, "%s", b);
        if (i == 0) snprintf(b, sizeof b, "(q0 * %lld + %lld)", LL(g->s[i]), LL(a));
        else snprintf(b, sizeof b, "(%s) * %lld + (q%d * %lld + %lld)", xi, LL(g->in[i]), i, LL(g->s[i]), LL(a));
        snprintf(xi, 512, "%s", b);
    }
}



static void print_dense(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const Layer *L = k->L;
    int64_t NB = k->nb, U = L->a[A_UNITS].i, IN = shape_count(&L->in[0]->shape) / (L->td ? L->shape.d[0] : 1);
    const Param *bp = k->param[P_BIAS] >= 0 ? &s->params[k->param[P_BIAS]] : NULL;
    emit(w, "const float *restrict x = s->arena + %lld;", LL(off_in(c, k, 0)));
    emit(w, "float *restrict y = s->arena + %lld;", LL(off_out(c, k)));
    emit(w, "float *restrict col = s->arena + %lld;", LL(off_col(c, k)));
    emit(w, "float *restrict tmp = s->arena + %lld;", LL(off_tmp(c, k)));
    emit(w, "for (int n = 0; n < %lld; n++) for (int i = 0; i < %lld; i++) col[i * %lld + n] = x[n * %lld + i];",
         LL(NB), LL(IN), LL(NB), LL(IN));
    emit(w, "%s(s->params + %lld, col, tmp);", gemm_name(c, U, IN, NB, false, 0, 0, false, 0), LL(s->params[k->param[P_WEIGHT]].offset));
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
    const Layer *L = k->L;
    const ConvGeom *g = &L->g;
    int nsp = g->nsp;
    bool mx = L->kind->op == OP_MAXPOOL;
    int64_t invol = 1, outvol = 1, kvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; kvol *= g->k[i]; }
    emit(w, "const float *restrict x = s->arena + %lld;", LL(off_in(c, k, 0)));
    emit(w, "float *restrict y = s->arena + %lld;", LL(off_out(c, k)));
    emit(w, "for (int nc = 0; nc < %lld; nc++) {", LL(k->nb * g->cin));
    emit(w, "const float *restrict xs = x + nc * %lld;", LL(invol));
    emit(w, "float *restrict yo = y + nc * %lld;", LL(outvol));
    int64_t lo[MAX_SPATIAL] = {0}, one[MAX_SPATIAL] = {1, 1, 1}, zero[MAX_SPATIAL] = {0};
    for (int i = 0; i < nsp; i++) one[i] = 1;
    open_q_loops(w, nsp, lo, g->out);
    emit(w, "float acc = %s;", mx ? "-NETC_HUGE" : "0.0f");
    for (int64_t t = 0; t < kvol; t++) {
        int64_t tt[MAX_SPATIAL], r = t;
        for (int i = nsp - 1; i >= 0; i--) { tt[i] = r % g->k[i]; r /= g->k[i]; }
        char cond[512], xi[512];
        pool_tap(g, tt, cond, xi);
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
    const ConvGeom *g = &k->L->g;
    int nsp = g->nsp;
    int64_t invol = 1, outvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; }
    emit(w, "const float *restrict x = s->arena + %lld;", LL(off_in(c, k, 0)));
    emit(w, "float *restrict y = s->arena + %lld;", LL(off_out(c, k)));
    emit(w, "for (int nc = 0; nc < %lld; nc++) {", LL(k->nb * g->cin));
    emit(w, "const float *restrict xs = x + nc * %lld;", LL(invol));
    emit(w, "float *restrict yo = y + nc * %lld;", LL(outvol));
    char xi[512], yi[512];
    open_upsample_loops(w, g, xi, yi);
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
    emit(w, "const float *restrict x = s->arena + %lld;", LL(off_in(c, k, 0)));
    emit(w, "float *restrict y = s->arena + %lld;", LL(off_out(c, k)));
    char eps[48];
    if (c->tp) {
        /* training: batch statistics (biased variance to normalise, unbiased for the
         * running estimate), saved for the backward pass, as PyTorch's BatchNorm */
        const TrainStep *st = &c->tp->st[k - s->k];
        int64_t M = k->nb * per;
        char mom[48], unb[48];
        flit(mom, sizeof mom, L->a[A_MOMENTUM].r);
        flit(unb, sizeof unb, M > 1 ? (double)M / (double)(M - 1) : 1.0);
        emit(w, "if (training) {");
        emit(w, "for (int ch = 0; ch < %lld; ch++) {", LL(C));
        emit(w, "float sum = 0.0f, sq = 0.0f;");
        emit(w, "for (int n = 0; n < %lld; n++) for (int p = 0; p < %lld; p++) sum += x[(n * %lld + ch) * %lld + p];", LL(k->nb), LL(per), LL(C), LL(per));
        emit(w, "const float mean = sum / %s;", flit(eps, sizeof eps, (double)M));
        emit(w, "for (int n = 0; n < %lld; n++) for (int p = 0; p < %lld; p++) { const float d = x[(n * %lld + ch) * %lld + p] - mean; sq += d * d; }",
             LL(k->nb), LL(per), LL(C), LL(per));
        emit(w, "const float var = sq / %s;", flit(eps, sizeof eps, (double)M));
        emit(w, "const float invstd = 1.0f / NETC_SQRTF(var + %s);", flit(eps, sizeof eps, L->a[A_EPS].r));
        emit(w, "s->arena[%lld + ch] = mean;", LL(st->bn_mean));
        emit(w, "s->arena[%lld + ch] = invstd;", LL(st->bn_invstd));
        emit(w, "s->params[%lld + ch] = (1.0f - %s) * s->params[%lld + ch] + %s * mean;", LL(s->params[k->param[P_RUNNING_MEAN]].offset), mom,
             LL(s->params[k->param[P_RUNNING_MEAN]].offset), mom);
        emit(w, "s->params[%lld + ch] = (1.0f - %s) * s->params[%lld + ch] + %s * var * %s;", LL(s->params[k->param[P_RUNNING_VAR]].offset), mom,
             LL(s->params[k->param[P_RUNNING_VAR]].offset), mom, unb);
        emit(w, "const float scale = s->params[%lld + ch] * invstd;", LL(s->params[k->param[P_WEIGHT]].offset));
        emit(w, "const float shift = s->params[%lld + ch] - mean * scale;", LL(s->params[k->param[P_BIAS]].offset));
        emit(w, "for (int n = 0; n < %lld; n++) for (int p = 0; p < %lld; p++) y[(n * %lld + ch) * %lld + p] = x[(n * %lld + ch) * %lld + p] * scale + shift;",
             LL(k->nb), LL(per), LL(C), LL(per), LL(C), LL(per));
        emit(w, "}");
        emit(w, "return;");
        emit(w, "}");
    }
    emit(w, "for (int ch = 0; ch < %lld; ch++) {", LL(C));
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
    emit(w, "float *restrict y = s->arena + %lld;", LL(off_out(c, k)));
    if (L->kind->op == OP_ADD && L->nin > 8) {
        /* many inputs: a copy, then one accumulating loop per input */
        emit(w, "netc_memcpy(y, s->arena + %lld, sizeof(float) * %lld);", LL(off_in(c, k, 0)), LL(n));
        for (int j = 1; j < L->nin; j++)
            emit(w, "for (int i = 0; i < %lld; i++) y[i] += s->arena[%lld + i];", LL(n), LL(off_in(c, k, j)));
        return;
    }
    for (int j = 0; j < L->nin; j++) emit(w, "const float *restrict x%d = s->arena + %lld;", j, LL(off_in(c, k, j)));
    if (L->kind->op == OP_ADD) {
        char sum[1024] = "x0[i]";
        for (int j = 1; j < L->nin; j++) snprintf(sum + strlen(sum), sizeof sum - strlen(sum), " + x%d[i]", j);
        if (threaded(n)) emit(w, "NETC_PARALLEL_FOR");
        emit(w, "for (int i = 0; i < %lld; i++) y[i] = %s;", LL(n), sum);
    } else {
        Activation act = {L->kind->act, L->kind->act == ACT_LEAKY_RELU || L->kind->act == ACT_ELU ? L->a[A_ALPHA].r : 0};
        char e[256];
        act_expr(e, sizeof e, act, "v");
        if (threaded(n)) emit(w, "NETC_PARALLEL_FOR");
        emit(w, "for (int i = 0; i < %lld; i++) { const float v = x0[i]; y[i] = %s; }", LL(n), e);
    }
}

static void print_concat(Ctx *c, const Kernel *k) {
    Emitter *w = c->w;
    const Layer *L = k->L;
    int64_t T = L->td ? L->shape.d[0] : 1;
    int64_t outper = shape_count(&L->shape) / T, off = 0;
    emit(w, "float *restrict y = s->arena + %lld;", LL(off_out(c, k)));
    emit(w, "for (int n = 0; n < %lld; n++) {", LL(k->nb));
    for (int j = 0; j < L->nin; j++) {
        int64_t per = shape_count(&L->in[j]->shape) / T;
        emit(w, "netc_memcpy(y + n * %lld + %lld, s->arena + %lld + n * %lld, sizeof(float) * %lld);", LL(outper), LL(off),
             LL(off_in(c, k, j)), LL(per), LL(per));
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
    if (c->tp) {
        emit(w, "static void tf_%s(%s_state *restrict s, int training)", L->name, c->name);
        emit(w, "{");
        emit(w, "(void)training;");
    } else {
        int xi, yo;
        kernel_io(c->s, k, &xi, &yo);
        emit(w, "static void layer_%s(%s_state *restrict s%s%s)", L->name, c->name, xi >= 0 ? ", const float *restrict xin" : "",
             yo >= 0 ? ", float *restrict yout" : "");
        emit(w, "{");
    }
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

/* ---- training: backward kernels, loss, optimiser ---- */

/* A gradient through an activation whose slope tends to 0 (sigmoid, tanh, softplus,
 * elu) is flushed to zero below FLT_MIN: a saturated output's slope times a small
 * loss gradient lands among the subnormals, and every later multiply-add that meets
 * one takes a microcode assist on x86 (the autoencoder example, fed inputs that
 * saturate its sigmoid output layer: that layer's backward pass 7.7x and the whole
 * training step 1.7x faster with the flush).  Values under 1.2e-38 change by at most
 * that much. */
static bool dact_flushes(Activation act) {
    return act.kind == ACT_SIGMOID || act.kind == ACT_TANH || act.kind == ACT_SOFTPLUS || act.kind == ACT_ELU;
}

/* d act / d z from the activation's output y (every supported one allows it). */
static void dact_expr(char *out, size_t n, Activation act, const char *y) {
    char a[48];
    switch (act.kind) {
    case ACT_IDENTITY: snprintf(out, n, "1.0f"); break;
    case ACT_RELU: snprintf(out, n, "(%s > 0.0f ? 1.0f : 0.0f)", y); break;
    case ACT_SIGMOID: snprintf(out, n, "(%s * (1.0f - %s))", y, y); break;
    case ACT_TANH: snprintf(out, n, "(1.0f - %s * %s)", y, y); break;
    case ACT_SOFTPLUS: snprintf(out, n, "(1.0f - NETC_EXPF(-%s))", y); break;   /* sigmoid(z) = 1 - exp(-softplus(z)) */
    case ACT_LEAKY_RELU: snprintf(out, n, "(%s > 0.0f ? 1.0f : %s)", y, flit(a, sizeof a, act.alpha)); break;
    case ACT_ELU: snprintf(out, n, "(%s > 0.0f ? 1.0f : %s + %s)", y, y, flit(a, sizeof a, act.alpha)); break;
    }
}

/* dst (op) src * dact(y[i]) over i < n: op "=" or "+="; src NULL scales dst in place
 * (dst *= ...).  Flushed where dact_flushes. */
static void emit_dact_loop(Emitter *w, int64_t n, const char *dst, const char *op, const char *src, Activation act) {
    char e[256];
    dact_expr(e, sizeof e, act, "y[i]");
    if (dact_flushes(act))
        emit(w, "for (int i = 0; i < %lld; i++) { const float v = %s * %s; %s %s v < 1.17549435e-38f && v > -1.17549435e-38f ? 0.0f : v; }",
             LL(n), src ? src : dst, e, dst, src ? op : "=");
    else if (src) emit(w, "for (int i = 0; i < %lld; i++) %s %s %s * %s;", LL(n), dst, op, src, e);
    else emit(w, "for (int i = 0; i < %lld; i++) %s *= %s;", LL(n), dst, e);
}

/* ---- the broadcast weight gradient (ConvDw.bcast) ---- */

/* A tile of the broadcast weight gradient, for the taps whose positions are [lo,
 * hi) of a unit's box of extents nq: C[8][RW] (rows R floats apart; first: =, else
 * +=) the sum over the unit's nbw samples n and those positions q of S[off + n * sn +
 * r * sv + (q's source index)] (row r of the 8, broadcast) times AT's row (n, q) at
 * B (RW floats: 32, or 16 when R is an odd multiple of 16).  Returns its name. */
/* Whether AVX2 hosts (NETC_VEC8) take the broadcast weight gradient of R rows: its
 * tiles are 16 columns wide (R an odd multiple of 16; see dw_bcast_fn). */
static bool dw_bcast_vec8(int64_t R) { return R % 32 != 0; }

/* The sums of rows r0 .. r1 of a broadcast weight gradient's tile (dw_bcast_fn), in
 * nvec vectors of vw floats (type vt) a row; keep: B's vectors through NETC_KEEP. */
typedef struct DwBcastRows {
    const ConvGeom *g;
    int64_t R, nbw;
    const int64_t *lo, *hi, *mul;
    const char *lead, *qlead;
    int64_t sv, qv;
    const char *vt;
    int vw, nvec;
    bool keep;
} DwBcastRows;
static void dw_bcast_rows(Emitter *w, const DwBcastRows *d, int r0, int r1) {
    int L = d->g->nsp - 1;
    for (int r = r0; r < r1; r++)
        for (int v = 0; v < d->nvec; v++)
            emit(w, "%s c%d_%d = first ? (%s){0} : *(const %s *)(C + %lld);", d->vt, r, v, d->vt, d->vt, LL(r * d->R + d->vw * v));
    emit(w, "for (int n = 0; n < %lld; n++)", LL(d->nbw));
    for (int i = 0; i < L; i++) emit(w, "for (int q%d = %lld; q%d < %lld; q%d++)", i, LL(d->lo[i]), i, LL(d->hi[i]), i);
    emit(w, "{");
    emit(w, "const int ai = off + n * %lld%s;", LL(d->g->cin * d->sv), d->lead);
    emit(w, "const float *restrict bp = B + (n * %lld%s) * %lld;", LL(d->qv), d->qlead, LL(d->R));
    emit(w, "for (int q%d = %lld; q%d < %lld; q%d++) {", L, LL(d->lo[L]), L, LL(d->hi[L]), L);
    for (int v = 0; v < d->nvec; v++) {
        emit(w, "%s%s b%d = *(const %s *)(bp + q%d * %lld + %d);", d->keep ? "" : "const ", d->vt, v, d->vt, L, LL(d->R), d->vw * v);
        if (d->keep) emit(w, "NETC_KEEP(b%d);", v);
    }
    for (int r = r0; r < r1; r++) {
        char fmas[256] = "";
        for (int v = 0; v < d->nvec; v++) snprintf(fmas + strlen(fmas), sizeof fmas - strlen(fmas), "c%d_%d += a * b%d; ", r, v, v);
        emit(w, "{ const float a = S[ai + %lld + q%d * %lld]; %s}", LL(r * d->sv), L, LL(d->mul[L]), fmas);
    }
    emit(w, "}");
    emit(w, "}");
    for (int r = r0; r < r1; r++)
        for (int v = 0; v < d->nvec; v++) emit(w, "*(%s *)(C + %lld) = c%d_%d;", d->vt, LL(r * d->R + d->vw * v), r, v);
}

static const char *dw_bcast_fn(Ctx *c, const ConvGeom *g, const int64_t *nq, int64_t nbw, int64_t R, const int64_t *lo, const int64_t *hi,
                               const int64_t *mul) {
    Emitter *w = c->g;
    int nsp = g->nsp, L = nsp - 1;
    int64_t sst[MAX_SPATIAL], qst[MAX_SPATIAL], sv = 1, qv = 1;
    for (int i = L; i >= 0; i--) {
        sst[i] = sv, qst[i] = qv;
        sv *= g->in[i], qv *= nq[i];
    }
    const char *name = arena_printf(c->a, "dwbcast_%d", c->ndw++);
    char lead[512] = "", qlead[512] = "";
    for (int i = 0; i < L; i++) {
        snprintf(lead + strlen(lead), sizeof lead - strlen(lead), " + q%d * %lld", i, LL(mul[i] * sst[i]));
        snprintf(qlead + strlen(qlead), sizeof qlead - strlen(qlead), " + q%d * %lld", i, LL(qst[i]));
    }
    int nv = R % 32 ? 1 : 2;
    emit(w, "/* C[8][%d] (first: =, else +=) the sum over %lld sample%s and the positions [%lld, %lld) of the last axis of S's rows (broadcast) . B's */",
         16 * nv, LL(nbw), nbw == 1 ? "" : "s", LL(lo[L]), LL(hi[L]));
    emit_raw(w, "#if NETC_VEC\n");
    emit(w, "static void %s(const float *restrict S, const float *restrict B, float *restrict C, const int off, const int first)", name);
    emit(w, "{");
    DwBcastRows vr = {g, R, nbw, lo, hi, mul, lead, qlead, sv, qv, "netc_vf", 16, nv, false};
    dw_bcast_rows(w, &vr, 0, 8);
    emit(w, "}");
    /* AVX2 hosts, tiles of 16 columns (see tb_conv): the same sums in two groups of 4
     * rows, each row's in two vectors of 8, B's two vectors loaded once a step for the
     * group.  (Tiles of 32 in four groups of 2: DCGAN 8x8's weight gradient 1.11 of the
     * ranged GEMM's time, U-Net k3's 1.02; tiles of 16: the firmware 8x8 k4 one 0.81.) */
    if (dw_bcast_vec8(R)) {
        emit_raw(w, "#elif NETC_VEC8\n");
        emit(w, "static void %s(const float *restrict S, const float *restrict B, float *restrict C, const int off, const int first)", name);
        emit(w, "{");
        DwBcastRows v8 = {g, R, nbw, lo, hi, mul, lead, qlead, sv, qv, "netc_v8", 8, 2, true};
        for (int r0 = 0; r0 < 8; r0 += 4) {
            emit(w, "{");
            dw_bcast_rows(w, &v8, r0, r0 + 4);
            emit(w, "}");
        }
        emit(w, "}");
    }
    emit_raw(w, "#endif\n\n");
    return name;
}

/* The broadcast weight gradient of one call (ConvDw.bcast; the vector path, groups
 * 1): per unit (bnb samples, or a block of brows rows of one sample), AT (A
 * transposed), then every (tap, 8 source channels, 32 of R) tile into Ct (on the
 * threads), then dW[r][ci][tap] = Ct[tap][ci][r].  Row blocks: the first, the last
 * and the middle ones have tiles of their own (the taps' ranges clipped to them). */
static void emit_dw_bcast(Ctx *c, const ConvCall *wc, const Phase *ph, const ConvDw *dw, int64_t R, int64_t src, int64_t Rsrc, int64_t Rch,
                          int64_t Rvol, int64_t dwo, int64_t scratch, int64_t nb) {
    Emitter *w = c->w;
    const ConvGeom *g = &wc->g;
    int nsp = g->nsp, T = ph->ntaps;
    int64_t Cg = g->cin, K = ph->K, nbw = dw->bnb, sv = 1, lo[64][MAX_SPATIAL], hi[64][MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL], off[64];
    int64_t N0 = ph->nq[0], brow = dw->brows ? dw->brows : N0, nrb = N0 / brow, bq = ph->qtot / N0 * brow, bnq[MAX_SPATIAL], row0 = 1;
    for (int i = 0; i < nsp; i++) sv *= g->in[i], bnq[i] = i ? ph->nq[i] : brow;
    for (int i = 1; i < nsp; i++) row0 *= g->in[i];
    int nk = nrb == 1 ? 1 : nrb == 2 ? 2 : 3;   /* the first block's tiles, the last's, the middle ones' */
    const char *fn[3][64];
    int64_t klo[3][64][MAX_SPATIAL], khi[3][64][MAX_SPATIAL];
    for (int j = 0; j < T; j++) {   /* the taps' offsets */
        tap_ranges(wc, ph, j, lo[j], hi[j], mul, add);
        off[j] = 0;
        for (int i = 0; i < nsp; i++) off[j] = off[j] * g->in[i] + add[i];
    }
    for (int k = 0; k < nk; k++)   /* each block kind's ranges, and one function per set of them */
        for (int j = 0; j < T; j++) {
            int64_t b0 = k == 0 ? 0 : k == 1 ? N0 - brow : brow;
            memcpy(klo[k][j], lo[j], sizeof lo[j]), memcpy(khi[k][j], hi[j], sizeof hi[j]);
            klo[k][j][0] = lo[j][0] - b0 > 0 ? lo[j][0] - b0 : 0;
            khi[k][j][0] = hi[j][0] - b0 < brow ? hi[j][0] - b0 : brow;
            fn[k][j] = NULL;
            for (int kk = 0; kk <= k && !fn[k][j]; kk++)
                for (int jj = 0; jj < (kk < k ? T : j) && !fn[k][j]; jj++)
                    if (!memcmp(klo[kk][jj], klo[k][j], sizeof(int64_t) * (size_t)nsp) && !memcmp(khi[kk][jj], khi[k][j], sizeof(int64_t) * (size_t)nsp))
                        fn[k][j] = fn[kk][jj];
            if (!fn[k][j]) fn[k][j] = dw_bcast_fn(c, g, bnq, nbw, R, klo[k][j], khi[k][j], mul);
        }
    emit(w, "{");
    emit(w, "float *restrict AT = s->arena + %lld, *restrict Ct = s->arena + %lld;", LL(scratch), LL(scratch + dw->bat));
    emit(w, "static void (*const fn[%d][%d])(const float *restrict, const float *restrict, float *restrict, const int, const int) = {", nk, T);
    for (int k = 0; k < nk; k++) {
        char line[4096] = "{";
        for (int j = 0; j < T; j++) snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s", j ? ", " : "", fn[k][j]);
        emit(w, "%s},", line);
    }
    emit(w, "};");
    emit_int_table(w, "toff", off, T, 16);
    emit(w, "for (int c0 = 0; c0 < %lld; c0++) {", LL(nb / nbw * nrb));
    if (nrb > 1) emit(w, "const int n0 = c0 / %lld, rb = c0 %% %lld, kind = rb == 0 ? 0 : rb == %lld ? 1 : 2;", LL(nrb), LL(nrb), LL(nrb - 1));
    else emit(w, "const int n0 = c0 * %lld, rb = 0, kind = 0;", LL(nbw));
    emit(w, "/* AT: the unit's A, each position's %lld floats side by side */", LL(R));
    bool thr = threaded(R * K * bq * nbw);
    if (thr) emit(w, "NETC_PARALLEL_FOR2");
    emit(w, "for (int n = 0; n < %lld; n++)", LL(nbw));
    if (bq % 16 == 0) {   /* 16 positions by 16 rows at a time, transposed in registers */
        bool v8 = dw_bcast_vec8(R);   /* (the AVX2 build's too: 8 by 8) */
        if (v8) emit_raw(w, "#if NETC_VEC\n");
        emit(w, "for (int rb16 = 0; rb16 < %lld; rb16 += 16)", LL(R));
        emit(w, "for (int p = 0; p < %lld; p += 16) {", LL(bq));
        emit_load_t16(w, arena_printf(c->a, "s->arena + %lld + ((n0 + n) * %lld + rb16 + j) * %lld + rb * %lld + p", LL(Rsrc), LL(Rch), LL(Rvol), LL(bq)));
        emit(w, "for (int j = 0; j < 16; j++) *(netc_vf *)(AT + (n * %lld + p + j) * %lld + rb16) = r[j];", LL(bq), LL(R));
        emit(w, "}");
        if (v8) {
            emit_raw(w, "#else\n");
            emit(w, "for (int rb8 = 0; rb8 < %lld; rb8 += 8)", LL(R));
            emit(w, "for (int p = 0; p < %lld; p += 8) {", LL(bq));
            emit_load_t8(w, arena_printf(c->a, "s->arena + %lld + ((n0 + n) * %lld + rb8 + j) * %lld + rb * %lld + p", LL(Rsrc), LL(Rch), LL(Rvol), LL(bq)));
            emit(w, "for (int j = 0; j < 8; j++) *(netc_v8 *)(AT + (n * %lld + p + j) * %lld + rb8) = t[j];", LL(bq), LL(R));
            emit(w, "}");
            emit_raw(w, "#endif\n");
        }
    } else {
        emit(w, "for (int q = 0; q < %lld; q++)", LL(bq));
        emit(w, "for (int r = 0; r < %lld; r++) AT[(n * %lld + q) * %lld + r] = s->arena[%lld + ((n0 + n) * %lld + r) * %lld + rb * %lld + q];", LL(R), LL(bq),
             LL(R), LL(Rsrc), LL(Rch), LL(Rvol), LL(bq));
    }
    int rw = R % 32 ? 16 : 32;   /* a tile's columns of AT (dw_bcast_fn) */
    emit(w, "/* the tiles: tap j, source channels cb .. cb + 7, AT's columns rb .. rb + %d */", rw - 1);
    if (thr) emit(w, "NETC_PARALLEL_FOR");
    emit(w, "for (int jb = 0; jb < %lld; jb++) {", LL(T * (Cg / 8)));
    emit(w, "const int j = jb / %lld, cb = jb %% %lld * 8;", LL(Cg / 8), LL(Cg / 8));
    emit(w, "for (int rc = 0; rc < %lld; rc += %d)", LL(R), rw);
    emit(w, "fn[kind][j](s->arena + %lld + (n0 * %lld + cb) * %lld + rb * %lld, AT + rc, Ct + (j * %lld + cb) * %lld + rc, toff[j], c0 == 0);", LL(src),
         LL(Cg), LL(sv), LL(brow * mul[0] * row0), LL(Cg), LL(R));
    emit(w, "}");
    emit(w, "}");
    if (threaded(R * K)) emit(w, "NETC_PARALLEL_FOR");
    emit(w, "for (int r = 0; r < %lld; r++) for (int ci = 0; ci < %lld; ci++) for (int j = 0; j < %d; j++)", LL(R), LL(Cg), T);
    emit(w, "    s->grads[%lld + r * %lld + ci * %d + j] = Ct[(j * %lld + ci) * %lld + r];", LL(dwo), LL(K), T, LL(Cg), LL(R));
    emit(w, "}");
}

/* ---- the ranged weight gradient (ConvDw.ranged) ---- */

/* The ranged GEMM: C[R][K] (=, or += unless `first`) A[R][NQ] . B[NQ][K] (rows KP
 * apart), where column block t (Cg columns, one tap) sums k over only the rows of
 * the classes holding tap t: rows [kr[t][2j], kr[t][2j + 1]), kn[t] runs (tables
 * in the function; the blocks are gemm_body's, see GemmOpt.rtap). */
static const char *gemm_fn_ranged(Ctx *c, int64_t R, int64_t NQ, int64_t K, int64_t KP, int64_t Cg, int T, const int64_t *cb,
                                  const uint64_t *cmask, int nc, int64_t nbw) {
    static char name[96];
    snprintf(name, sizeof name, "dwgemm_%d", c->ndw++);
    Emitter *w = c->g;
    int maxr = 1;
    int64_t kr[64][2 * DW_MAX_CLASSES];
    int kn[64];
    for (int t = 0; t < T; t++) {
        kn[t] = 0;
        for (int k = 0; k < nc; k++) {
            if (!(cmask[k] >> t & 1)) continue;
            int64_t a = nbw * cb[k], b = nbw * cb[k + 1];
            if (kn[t] && kr[t][2 * kn[t] - 1] == a) kr[t][2 * kn[t] - 1] = b;
            else { kr[t][2 * kn[t]] = a; kr[t][2 * kn[t] + 1] = b; kn[t]++; }
        }
        if (kn[t] > maxr) maxr = kn[t];
    }
    emit(w, "/* C[%lld][%lld] (first: =, else +=) A[%lld][%lld] . B[%lld][%lld], each tap's %lld columns over only the rows where it reads input */",
         LL(R), LL(K), LL(R), LL(NQ), LL(NQ), LL(K), LL(Cg));
    emit(w, "static void %s(const float *restrict A, const float *restrict B, float *restrict C, const int first)", name);
    emit(w, "{");
    emit(w, "static const int kn[%d] = {", T);
    { char buf[1024] = ""; for (int t = 0; t < T; t++) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%d, ", kn[t]); emit(w, "%s", buf); }
    emit(w, "};");
    emit(w, "static const int kr[%d][%d] = {", T, 2 * maxr);
    for (int t = 0; t < T; t++) {
        char buf[2048] = "{";
        for (int j = 0; j < 2 * maxr; j++) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%lld, ", LL(j < 2 * kn[t] ? kr[t][j] : 0));
        emit(w, "%s},", buf);
    }
    emit(w, "};");
    GemmOpt o = {.ldb = KP, .ldc = K, .lda = NQ, .mr = GEMM_MR, .nv = 1, .kc = NQ, .rtap = Cg};
    gemm_body(w, &o, R, NQ, K, false);
    emit(w, "}");
    emit_raw(w, "\n");
    return name;
}

/* The ranged weight gradient of one call (ConvDw.ranged; groups 1): per unit of
 * nbw samples, colT and A gathered in class order, the ranged GEMM into Ct, then
 * dW[r][ci][tap] = Ct[r][tap][ci]. */
static void emit_dw_ranged(Ctx *c, const ConvCall *wc, const Phase *ph, const ConvDw *dw, int64_t R, int64_t src, int64_t Rsrc, int64_t Rch,
                           int64_t Rvol, int64_t dwo, int64_t scratch) {
    Emitter *w = c->w;
    const ConvGeom *g = &wc->g;
    int nsp = g->nsp, T = ph->ntaps;
    int64_t Cg = g->cin, K = ph->K, KP = pad_rows(K), NQ = dw->NQ, nbw = dw->nbw, svol = 1;
    for (int i = 0; i < nsp; i++) svol *= g->in[i];
    int64_t *pos = arena_alloc(c->a, sizeof *pos * (size_t)ph->qtot), cb[DW_MAX_CLASSES + 1];
    uint64_t cmask[DW_MAX_CLASSES];
    int nc = conv_dw_classes(g, ph, pos, cb, cmask);
    const char *gemm = gemm_fn_ranged(c, R, NQ, K, KP, Cg, T, cb, cmask, nc, nbw);
    /* source offsets: a position's base in the im2col source plane, and each tap's
     * offset from it (valid where the tap reads input) */
    int64_t off[64], lo[MAX_SPATIAL], hi[MAX_SPATIAL], mul[MAX_SPATIAL], add[MAX_SPATIAL];
    for (int j = 0; j < T; j++) {
        tap_ranges(wc, ph, j, lo, hi, mul, add);
        off[j] = 0;
        for (int i = 0; i < nsp; i++) off[j] = off[j] * g->in[i] + add[i];
    }
    emit(w, "{");
    emit(w, "float *restrict colT = s->arena + %lld;", LL(scratch));
    emit(w, "float *restrict A = s->arena + %lld;", LL(scratch + dw->colT));
    emit(w, "float *restrict Ct = s->arena + %lld;", LL(scratch + dw->colT + dw->A));
    emit(w, "static const int qx[%lld] = {", LL(ph->qtot));
    for (int64_t p0 = 0; p0 < ph->qtot; p0 += 16) {
        char buf[512] = "";
        for (int64_t p = p0; p < p0 + 16 && p < ph->qtot; p++) {
            int64_t q[MAX_SPATIAL], r = pos[p], b = 0;
            for (int i = nsp - 1; i >= 0; i--) { q[i] = r % ph->nq[i]; r /= ph->nq[i]; }
            for (int i = 0; i < nsp; i++) b = b * g->in[i] + q[i] * mul[i];
            snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%lld, ", LL(b));
        }
        emit(w, "%s", buf);
    }
    emit(w, "};");
    emit(w, "static const int qa[%lld] = {", LL(ph->qtot));
    for (int64_t p0 = 0; p0 < ph->qtot; p0 += 16) {
        char buf[512] = "";
        for (int64_t p = p0; p < p0 + 16 && p < ph->qtot; p++) snprintf(buf + strlen(buf), sizeof buf - strlen(buf), "%lld, ", LL(pos[p]));
        emit(w, "%s", buf);
    }
    emit(w, "};");
    bool thr = threaded(nbw * ph->qtot * K);
    emit(w, "for (int c0 = 0; c0 < %lld; c0++) {", LL(dw->units));
    emit(w, "const int n0 = c0 * %lld;", LL(nbw));
    for (int k = 0; k < nc; k++) {
        int64_t B0 = cb[k], cnt = cb[k + 1] - cb[k];
        emit(w, "/* class %d: %lld positions, taps 0x%llx */", k, LL(cnt), (unsigned long long)cmask[k]);
        if (thr) emit(w, "NETC_PARALLEL_FOR2");
        emit(w, "for (int n = 0; n < %lld; n++)", LL(nbw));
        emit(w, "for (int i = 0; i < %lld; i++) {", LL(cnt));
        emit(w, "const float *restrict xs = s->arena + %lld + (n0 + n) * %lld + qx[%lld + i];", LL(src), LL(Cg * svol), LL(B0));
        emit(w, "float *restrict row = colT + (%lld + n * %lld + i) * %lld;", LL(nbw * B0), LL(cnt), LL(KP));
        emit(w, "for (int ci = 0; ci < %lld; ci++) {", LL(Cg));
        for (int j = 0; j < T; j++)
            if (cmask[k] >> j & 1) emit(w, "row[%lld + ci] = xs[ci * %lld + %lld];", LL(j * Cg), LL(svol), LL(off[j]));
        emit(w, "}");
        emit(w, "}");
        if (threaded(R * nbw * cnt)) emit(w, "NETC_PARALLEL_FOR");
        emit(w, "for (int r = 0; r < %lld; r++) for (int n = 0; n < %lld; n++) for (int i = 0; i < %lld; i++)", LL(R), LL(nbw), LL(cnt));
        emit(w, "    A[r * %lld + %lld + n * %lld + i] = s->arena[%lld + ((n0 + n) * %lld + r) * %lld + qa[%lld + i]];", LL(NQ), LL(nbw * B0), LL(cnt),
             LL(Rsrc), LL(Rch), LL(Rvol), LL(B0));
    }
    emit(w, "%s(A, colT, Ct, c0 == 0);", gemm);
    emit(w, "}");
    if (threaded(R * K)) emit(w, "NETC_PARALLEL_FOR");
    emit(w, "for (int r = 0; r < %lld; r++) for (int ci = 0; ci < %lld; ci++) for (int j = 0; j < %d; j++)", LL(R), LL(Cg), T);
    emit(w, "    s->grads[%lld + r * %lld + ci * %d + j] = Ct[r * %lld + j * %lld + ci];", LL(dwo), LL(K), T, LL(K), LL(Cg));
    emit(w, "}");
}

/* The R sums of emit_dw_direct, each across its vector's lanes, into dW[col + r * K]:
 * neighbouring lanes of two vectors added (the even lanes plus the odd ones), level
 * by level, the R vectors (padded with zeros to a power of two) halving to one, then
 * that one with itself, until lane r holds the sum of acc<r>. */
static void emit_dw_sums(Emitter *w, int64_t R, int64_t col, int64_t K) {
    int64_t P = 1, lv = 0;
    while (P < R) P *= 2;
    char prev[16][16];
    for (int64_t i = 0; i < P; i++) snprintf(prev[i], sizeof prev[i], i < R ? "acc%lld" : "z", LL(i));
    if (P > R) emit(w, "const netc_vf z = {0};");
    for (int64_t n = P; lv < 4; lv++) {
        int64_t m = n > 1 ? n / 2 : 1;
        for (int64_t i = 0; i < m; i++) {
            const char *a = prev[n > 1 ? 2 * i : 0], *b = prev[n > 1 ? 2 * i + 1 : 0];
            emit(w, "const netc_vf h%lld_%lld = NETC_EVENS(%s, %s) + NETC_ODDS(%s, %s);", LL(lv), LL(i), a, b, a, b);
        }
        for (int64_t i = 0; i < m; i++) snprintf(prev[i], sizeof prev[i], "h%lld_%lld", LL(lv), LL(i));
        n = m;
    }
    emit(w, "float hs[16];");
    emit(w, "memcpy(hs, &%s, sizeof hs);", prev[0]);
    for (int64_t r = 0; r < R; r++) emit(w, "s->grads[%lld] = hs[%lld];", LL(col + r * K), LL(r));
}

/* One vector of emit_dw_direct: acc<r> += A's lanes (at ar + r * rstride + off,
 * lanes am) times sv, the source's lanes. */
static void emit_dw_fma(Emitter *w, int64_t R, int64_t rstride, const char *off, unsigned am) {
    for (int64_t r = 0; r < R; r++) {
        if (am == 0xffffu) emit(w, "acc%lld += *(const netc_vf *)(ar + %lld + %s) * sv;", LL(r), LL(r * rstride), off);
        else emit(w, "acc%lld += NETC_LOADM(ar + %lld + %s, 0x%xu) * sv;", LL(r), LL(r * rstride), off, am);
    }
}

/* The source's lanes of mask sm from sr + off at stride ml (1, or 2: the even lanes of
 * the 32 floats there, only those loaded); `hi`: the lanes 8-15 of mask sm >> 8 come
 * from sr + hi instead (a pair of rows of 8 positions), NULL: from the same run. */
static void emit_dw_src(Emitter *w, int64_t ml, unsigned sm, const char *off, const char *hi) {
    unsigned m0 = 0, m1 = 0;
    for (int e = 0; e < 8; e++) {
        if (sm >> e & 1) m0 |= 1u << (2 * e);
        if (sm >> (e + 8) & 1) m1 |= 1u << (2 * e);
    }
    if (ml == 1 && !hi) emit(w, "const netc_vf sv = NETC_LOADM(sr + %s, 0x%xu);", off, sm);
    else if (ml == 1) emit(w, "const netc_vf sv = NETC_LOADM(sr + %s, 0x%xu) + NETC_LOADM(sr + %s - 8, 0x%xu);", off, sm & 0xffu, hi, sm & 0xff00u);
    else if (!hi) emit(w, "const netc_vf sv = NETC_EVENS(NETC_LOADM(sr + %s, 0x%xu), NETC_LOADM(sr + %s + 16, 0x%xu));", off, m0, off, m1);
    else emit(w, "const netc_vf sv = NETC_EVENS(NETC_LOADM(sr + %s, 0x%xu), NETC_LOADM(sr + %s, 0x%xu));", off, m0, hi, m1);
}

/* The row's pointers in emit_dw_direct: ar into A (row offset ao, rows of nqL), sr
 * into the source at the tap's offset (so, rows of inL, then addL along them). */
static void emit_dw_row_ptrs(Emitter *w, const char *ao, int64_t nqL, const char *so, int64_t inL, int64_t addL) {
    emit(w, "const float *restrict ar = a + (%s) * %lld;", ao, LL(nqL));
    emit(w, "const float *restrict sr = sp + (%s) * %lld %c %lld;", so, LL(inL), addL < 0 ? '-' : '+', LL(addL < 0 ? -addL : addL));
}

/* The direct weight gradient (ConvDw.direct; a host build's vector path): for each
 * group, source channel c and tap j, the rows r of A (dY for a convolution, x for a
 * transposed one) meet the source's channel c (x, or dY) read at the tap's offset
 * along the last axis, 16 positions a vector (unit stride, or the even lanes of two
 * loads at stride 2), each position masked outside the tap's range; R vector sums,
 * each added across its lanes into dW[r][c * ntaps + j] at the end (emit_dw_sums).
 * Rows of 8 positions go two to a vector (the next row's source ms floats on).  No
 * transposed im2col, no GEMM. */
static void emit_dw_direct(Ctx *c, const TrainStep *st, int64_t R, int64_t Rsrc, int64_t Rch, int64_t src, int64_t dwo0) {
    Emitter *w = c->w;
    const ConvGeom *g = &st->wg;
    const Phase *ph = st->wph;
    int nsp = g->nsp, L = nsp - 1;
    int64_t NB = st->k->nb, Cg = g->cin / g->groups, svol = 1, nqL = ph->nq[L], nv = (nqL + 15) / 16, ml = g->s[L];
    bool two = dw_direct_paired(g, ph);
    for (int i = 0; i < nsp; i++) svol *= g->in[i];
    for (int64_t grp = 0; grp < g->groups; grp++)
        for (int64_t ci = 0; ci < Cg; ci++)
            for (int j = 0; j < ph->ntaps; j++) {
                int64_t lo[MAX_SPATIAL], hi[MAX_SPATIAL], add[MAX_SPATIAL];
                bool empty = false;
                for (int i = 0; i < nsp; i++) {
                    tap_range(g, false, ph, j, i, 0, &lo[i], &hi[i]);
                    add[i] = tap_offset(g, false, &ph->taps[j], i);
                    if (lo[i] >= hi[i]) empty = true;
                }
                int64_t col = dwo0 + grp * R * ph->K + ci * ph->ntaps + j;
                if (empty) {
                    for (int64_t r = 0; r < R; r++) emit(w, "s->grads[%lld] = 0.0f;", LL(col + r * ph->K));
                    continue;
                }
                emit(w, "{");
                for (int64_t r = 0; r < R; r++) emit(w, "netc_vf acc%lld = {0};", LL(r));
                emit(w, "for (int n = 0; n < %lld; n++) {", LL(NB));
                emit(w, "const float *restrict a = s->arena + %lld + (n * %lld + %lld) * %lld;", LL(Rsrc), LL(Rch), LL(grp * R), LL(ph->qtot));
                emit(w, "const float *restrict sp = s->arena + %lld + (n * %lld + %lld) * %lld;", LL(src), LL(g->cin), LL(grp * Cg + ci), LL(svol));
                /* the row's offsets in A and in the source (outer axes) */
                int64_t one[MAX_SPATIAL], zero[MAX_SPATIAL] = {0}, mul[MAX_SPATIAL];
                for (int i = 0; i < nsp; i++) { one[i] = 1; mul[i] = g->s[i]; }
                char ao[512] = "0", so[512] = "0";
                if (L > 0) {
                    index_expr(ao, sizeof ao, L, one, zero, ph->nq);
                    index_expr(so, sizeof so, L, mul, add, g->in);
                }
                unsigned sm8 = 0;
                for (int e = 0; e < 8; e++) if (e >= lo[L] && e < hi[L]) sm8 |= 1u << e;
                if (two) {
                    /* pairs of rows along axis L - 1, then the odd row left */
                    int64_t pairs = (hi[L - 1] - lo[L - 1]) / 2, ms = g->s[L - 1] * g->in[L];
                    char ms_s[32];
                    snprintf(ms_s, sizeof ms_s, "%lld", LL(ms));
                    open_q_loops(w, L - 1, lo, hi);
                    for (int part = 0; part < 2; part++) {
                        if (part == 0 && pairs == 0) continue;
                        if (part == 1 && (hi[L - 1] - lo[L - 1]) % 2 == 0) continue;
                        if (part == 0) emit(w, "for (int q%d = %lld; q%d < %lld; q%d += 2) {", L - 1, LL(lo[L - 1]), L - 1, LL(lo[L - 1] + 2 * pairs), L - 1);
                        else {
                            emit(w, "{");
                            emit(w, "const int q%d = %lld;", L - 1, LL(hi[L - 1] - 1));
                        }
                        emit_dw_row_ptrs(w, ao, nqL, so, g->in[L], add[L]);
                        if (part == 0) emit_dw_src(w, ml, sm8 | sm8 << 8, "0", ms_s);
                        else emit_dw_src(w, ml, sm8, "0", NULL);
                        emit_dw_fma(w, R, ph->qtot, "0", part == 0 ? 0xffffu : 0xffu);
                        emit(w, "}");
                    }
                    close_loops(w, L - 1);
                } else {
                    open_q_loops(w, L, lo, hi);
                    emit_dw_row_ptrs(w, ao, nqL, so, g->in[L], add[L]);
                    /* vectors of 16 positions along the last axis: full ones (every lane in
                     * the tap's range) in a loop, the others with their masks */
                    for (int64_t v = 0; v < nv;) {
                        unsigned am = 0, sm = 0;
                        for (int e = 0; e < 16; e++) {
                            int64_t q = v * 16 + e;
                            if (q < nqL) am |= 1u << e;
                            if (q >= lo[L] && q < hi[L]) sm |= 1u << e;
                        }
                        int64_t v1 = v + 1;
                        if (sm == 0xffffu)
                            while (v1 < nv && v1 * 16 + 16 <= hi[L] && v1 * 16 >= lo[L]) v1++;
                        if (sm == 0xffffu && v1 > v + 1) emit(w, "for (int v = %lld; v < %lld; v++) {", LL(v), LL(v1));
                        else {
                            emit(w, "{");
                            emit(w, "const int v = %lld;", LL(v));
                        }
                        emit_dw_src(w, ml, sm, ml == 1 ? "v * 16" : "v * 32", NULL);
                        emit_dw_fma(w, R, ph->qtot, "v * 16", am);
                        emit(w, "}");
                        v = v1;
                    }
                    close_loops(w, L);
                }
                emit(w, "}");
                emit_dw_sums(w, R, col, ph->K);
                emit(w, "}");
            }
}

/* A weight gradient's column chunks (ConvDw.kc < K): opens the loop over chunks jc
 * and makes *wk, *vk the im2col of chunk jc's source channels, seen as a group of
 * their own, read from src (svol floats a channel) shifted by jc chunks; returns
 * the source to read.  Without chunks: src, the call and phase as they are. */
static const char *dw_chunk_open(Ctx *c, const ConvDw *dw, const Phase *ph, int64_t svol, ConvCall *wk, Phase *vk, const char *src) {
    if (dw->kc == ph->K) return src;
    int64_t cc = dw->kc / ph->ntaps;
    wk->g.groups = wk->g.cin / cc;
    vk->K = dw->kc;
    emit(c->w, "for (int jc = 0; jc < %lld; jc++) {", LL(ph->K / dw->kc));
    return arena_printf(c->a, "(%s + jc * %lld)", src, LL(cc * svol));
}

/* dW (+)= A . colT for one unit (R rows of A at `a`, lda apart; NQ positions), or
 * for chunk jc of its columns (dW's rows K apart), closing the loop over chunks. */
static void emit_dw_gemm(Ctx *c, const ConvDw *dw, const Phase *ph, int64_t R, int64_t NQ, int64_t lda, const char *a) {
    if (dw->kc == ph->K) {
        emit(c->w, "%s(%s, colT, dw);", gemm_name(c, R, NQ, ph->K, false, lda, pad_rows(ph->K), true, 0), a);
        return;
    }
    emit(c->w, "%s(%s, colT, dw + jc * %lld);", gemm_name(c, R, NQ, dw->kc, false, lda, pad_rows(dw->kc), true, ph->K), a, LL(dw->kc));
    emit(c->w, "}");
}

static void tb_conv(Ctx *c, const TrainStep *st) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const TrainPlan *tp = c->tp;
    const Kernel *k = st->k;
    const Layer *L = k->L;
    const ConvGeom *g = &L->g;
    bool tr = L->kind->op == OP_TCONV;
    int nsp = g->nsp;
    int64_t NB = k->nb, outvol = 1, invol = 1;
    for (int i = 0; i < nsp; i++) { outvol *= g->out[i]; invol *= g->in[i]; }
    int64_t gy = tp->gr[L->id], y = tp->v[L->id], x = tp->v[L->in[0]->id];
    Activation act = L->a[A_ACTIVATION].act;
    if (act.kind != ACT_IDENTITY) {
        emit(w, "{");
        emit(w, "float *restrict gy = s->arena + %lld;", LL(gy));
        emit(w, "const float *restrict y = s->arena + %lld;", LL(y));
        if (threaded(NB * g->cout * outvol)) emit(w, "NETC_PARALLEL_FOR");
        emit_dact_loop(w, NB * g->cout * outvol, "gy[i]", "=", NULL, act);
        emit(w, "}");
    }
    if (st->want_dw) {
        const Param *wp = &s->params[k->param[P_WEIGHT]];
        if (k->param[P_BIAS] >= 0) {
            if (threaded(NB * g->cout * outvol)) emit(w, "NETC_PARALLEL_FOR");
            emit(w, "for (int co = 0; co < %lld; co++) {", LL(g->cout));
            emit(w, "float sum = 0.0f;");
            emit(w, "for (int n = 0; n < %lld; n++) for (int o = 0; o < %lld; o++) sum += s->arena[%lld + (n * %lld + co) * %lld + o];",
                 LL(NB), LL(outvol), LL(gy), LL(g->cout), LL(outvol));
            emit(w, "s->grads[%lld + co] = sum;", LL(s->params[k->param[P_BIAS]].offset));
            emit(w, "}");
        }
        /* dW[group] (R x K) = sum over units (chunks of samples, or row blocks) of
         * A (R x NQ) . colT (NQ x K): A the unit's rows of dY (conv) or of x
         * (tconv), read in place or gathered, colT its transposed im2col of x
         * (conv) or of dY (tconv); see conv_dw */
        const Phase *ph = st->wph;
        int64_t R = tr ? g->cin / g->groups : g->cout / g->groups;
        ConvDw dw = conv_dw(&st->wg, ph, NB, R, s->compact);
        int64_t Rch = tr ? g->cin : g->cout, Rvol = tr ? invol : outvol, Rsrc = tr ? x : gy, src = tr ? gy : x;
        int64_t wvol = st->wg.cin;      /* floats per sample of the im2col's source */
        for (int i = 0; i < st->wg.nsp; i++) wvol *= st->wg.in[i];
        int64_t KP = pad_rows(ph->K), N0 = ph->nq[0], nrb = dw.rows ? N0 / dw.rows : 1, NQ = dw.NQ, U = dw.units, P = dw.parts;
        Phase v = conv_row_view(ph, dw.rows);
        ConvCall wc = {.tr = false, .g = st->wg, .phases = st->wph, .nphases = 1, .nb = dw.nbw};
        const char *n0 = U > 1 ? "n0" : "0";
        if (dw.direct || dw.bcast) {
            emit_raw(w, dw.bcast && dw_bcast_vec8(R) ? "#if NETC_VEC || NETC_VEC8\n" : "#if NETC_VEC\n");
            if (dw.direct) emit_dw_direct(c, st, R, Rsrc, Rch, src, wp->offset);
            else emit_dw_bcast(c, &wc, ph, &dw, R, src, Rsrc, Rch, Rvol, wp->offset, tp->scratch, NB);
            emit_raw(w, "#else\n");
        }
        if (dw.ranged) emit_dw_ranged(c, &wc, ph, &dw, R, src, Rsrc, Rch, Rvol, wp->offset, tp->scratch);
        else for (int64_t grp = 0; grp < g->groups; grp++) {
            int64_t dwo = wp->offset + grp * R * ph->K;
            emit(w, "{");
            emit(w, "float *restrict colTS = s->arena + %lld;", LL(tp->scratch));
            if (!dw.in_place) emit(w, "float *restrict A = s->arena + %lld;", LL(tp->scratch + P * dw.colT));
            if (P > 1) {
                /* fixed parts of the units, each its own partial sum, on the threads */
                emit(w, "float *restrict partS = s->arena + %lld;", LL(tp->scratch + P * dw.colT + dw.A));
                emit(w, "NETC_PARALLEL_SLOTS(%lld)", LL(P));
                emit(w, "for (int p = 0; p < %lld; p++) {", LL(P));
                emit(w, "float *restrict colT = colTS + NETC_THREAD_NUM * %lld;", LL(dw.colT));
                emit(w, "float *restrict dw = p == 0 ? s->grads + %lld : partS + (p - 1) * %lld;", LL(dwo), LL(dw.part));
                emit(w, "netc_memset(dw, 0, sizeof(float) * %lld);", LL(dw.part));
                emit(w, "for (int c0 = p * %lld / %lld; c0 < (p + 1) * %lld / %lld; c0++) {", LL(U), LL(P), LL(U), LL(P));
            } else {
                emit(w, "float *restrict colT = colTS, *restrict dw = s->grads + %lld;", LL(dwo));
                if (U > 1 || dw.in_place) emit(w, "netc_memset(dw, 0, sizeof(float) * %lld);", LL(dw.part));
                if (U > 1) emit(w, "for (int c0 = 0; c0 < %lld; c0++) {", LL(U));
            }
            if (dw.rows) {
                /* one sample's colT is too large: blocks of dw.rows rows (conv_dw_rows),
                 * the first and last with clipped taps, the middle ones sharing one body */
                int64_t xrow = st->wg.s[0] * (wvol / st->wg.cin / st->wg.in[0]);
                emit(w, "const int n0 = c0 / %lld, rb = c0 %% %lld;", LL(nrb), LL(nrb));
                emit(w, "const float *restrict xw = s->arena + %lld + n0 * %lld + rb * %lld;", LL(src), LL(wvol), LL(dw.rows * xrow));
                /* (in column chunks, see ConvDw: chunk jc's source channels as a group) */
                ConvCall wk = wc;
                Phase vk = v;
                const char *xs = dw_chunk_open(c, &dw, ph, wvol / st->wg.cin, &wk, &vk, "xw");
                for (int b = 0; b < (nrb > 2 ? 3 : 2); b++) {
                    if (b == 0) emit(w, "if (rb == 0) {");
                    else if (b == 1) emit(w, "} else if (rb == %lld) {", LL(nrb - 1));
                    else emit(w, "} else {");
                    wk.r0 = b == 0 ? 0 : b == 1 ? N0 - dw.rows : dw.rows;
                    emit_im2col(w, &wk, &vk, dw.kc < ph->K ? 0 : grp, "colT", xs, NULL, NULL);
                }
                emit(w, "}");
                /* A: the block's rows of each channel, read where they lie */
                emit_dw_gemm(c, &dw, ph, R, NQ, Rvol,
                             arena_printf(c->a, "s->arena + %lld + (n0 * %lld + %lld) * %lld + rb * %lld", LL(Rsrc), LL(Rch), LL(grp * R), LL(Rvol), LL(NQ)));
            } else {
                if (U > 1) emit(w, "const int n0 = c0 * %lld;", LL(dw.nbw));
                /* (in column chunks, see ConvDw, when in place) */
                ConvCall wk = wc;
                Phase vk = *ph;
                const char *xs = U > 1 ? arena_printf(c->a, "(s->arena + %lld + n0 * %lld)", LL(src), LL(wvol)) : arena_printf(c->a, "(s->arena + %lld)", LL(src));
                xs = dw_chunk_open(c, &dw, ph, wvol / st->wg.cin, &wk, &vk, xs);
                emit_im2col(w, &wk, &vk, dw.kc < ph->K ? 0 : grp, "colT", xs, NULL, NULL);
                if (dw.in_place) {
                    /* a sample's positions are deep enough for a GEMM of their own:
                     * A is the sample's channels, read where they lie */
                    emit_dw_gemm(c, &dw, ph, R, ph->qtot, Rvol,
                                 arena_printf(c->a, "s->arena + %lld + (%s * %lld + %lld) * %lld", LL(Rsrc), n0, LL(Rch), LL(grp * R), LL(Rvol)));
                } else {
                    if (threaded(R * NQ)) emit(w, "NETC_PARALLEL_FOR");
                    emit(w, "for (int r = 0; r < %lld; r++) for (int n = 0; n < %lld; n++) for (int q = 0; q < %lld; q++)", LL(R),
                         LL(dw.nbw), LL(ph->qtot));
                    emit(w, "    A[(r * %lld + n) * %lld + q] = s->arena[%lld + ((%s + n) * %lld + %lld + r) * %lld + q];", LL(dw.nbw),
                         LL(ph->qtot), LL(Rsrc), n0, LL(Rch), LL(grp * R), LL(Rvol));
                    emit(w, "%s(A, colT, dw);", gemm_name(c, R, NQ, ph->K, false, 0, KP, U > 1, 0));
                }
            }
            if (U > 1) emit(w, "}");
            if (P > 1) {
                emit(w, "}");
                /* the parts' sums, in part order */
                char sum[1024] = "";
                for (int64_t p = 1; p < P; p++) snprintf(sum + strlen(sum), sizeof sum - strlen(sum), " + partS[%lld + i]", LL((p - 1) * dw.part));
                if (threaded(P * dw.part)) emit(w, "NETC_PARALLEL_FOR");
                emit(w, "for (int i = 0; i < %lld; i++) s->grads[%lld + i] = s->grads[%lld + i]%s;", LL(dw.part), LL(dwo), LL(dwo), sum);
            }
            emit(w, "}");
        }
        if (dw.direct || dw.bcast) emit_raw(w, "#endif\n");
    }
    if (st->want_dx[0]) {
        ConvCall cc = {.tr = !tr, .g = st->bg, .phases = st->bph, .nphases = st->nbph, .nb = NB, .x = gy,
                       .y = tp->gr[L->in[0]->id], .col = tp->scratch, .w = s->params[k->param[P_WEIGHT]].offset, .b = -1,
                       .act = {ACT_IDENTITY, 0}, .accumulate = !st->set_dx[0]};
        ConvScratch cs = conv_scratch(&st->bg, !tr, st->bph, st->nbph, NB, s->compact);
        cc.tmp = tp->scratch + cs.col;
        cc.pack = tp->scratch + cs.col + cs.tmp;
        emit_conv_call(c, &cc);
    }
}

static void tb_dense(Ctx *c, const TrainStep *st) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const TrainPlan *tp = c->tp;
    const Kernel *k = st->k;
    const Layer *L = k->L;
    int64_t NB = k->nb, U = L->a[A_UNITS].i, IN = shape_count(&L->in[0]->shape) / (L->td ? L->shape.d[0] : 1);
    int64_t gy = tp->gr[L->id], y = tp->v[L->id], x = tp->v[L->in[0]->id];
    Activation act = L->a[A_ACTIVATION].act;
    if (act.kind != ACT_IDENTITY) {
        emit(w, "{");
        emit(w, "const float *restrict y = s->arena + %lld;", LL(y));
        emit_dact_loop(w, NB * U, arena_printf(c->a, "s->arena[%lld + i]", LL(gy)), "=", NULL, act);
        emit(w, "}");
    }
    const Param *wp = &s->params[k->param[P_WEIGHT]];
    if (st->want_dw) {
        emit(w, "{");
        emit(w, "float *restrict gT = s->arena + %lld;", LL(tp->scratch));
        emit(w, "for (int n = 0; n < %lld; n++) for (int u = 0; u < %lld; u++) gT[u * %lld + n] = s->arena[%lld + n * %lld + u];",
             LL(NB), LL(U), LL(NB), LL(gy), LL(U));
        emit(w, "%s(gT, s->arena + %lld, s->grads + %lld);", gemm_name(c, U, NB, IN, false, 0, 0, false, 0), LL(x), LL(wp->offset));
        if (k->param[P_BIAS] >= 0)
            emit(w, "for (int u = 0; u < %lld; u++) { float sum = 0.0f; for (int n = 0; n < %lld; n++) sum += gT[u * %lld + n]; s->grads[%lld + u] = sum; }",
                 LL(U), LL(NB), LL(NB), LL(s->params[k->param[P_BIAS]].offset));
        emit(w, "}");
    }
    if (st->want_dx[0]) {
        emit(w, "{");
        emit(w, "float *restrict t = s->arena + %lld;", LL(tp->scratch + U * NB));
        emit(w, "%s(s->arena + %lld, s->params + %lld, t);", gemm_name(c, NB, U, IN, false, 0, 0, false, 0), LL(gy), LL(wp->offset));
        emit(w, "for (int i = 0; i < %lld; i++) s->arena[%lld + i] %s t[i];", LL(NB * IN), LL(tp->gr[L->in[0]->id]), st->set_dx[0] ? "=" : "+=");
        emit(w, "}");
    }
}

static void tb_batchnorm(Ctx *c, const TrainStep *st) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const TrainPlan *tp = c->tp;
    const Kernel *k = st->k;
    const Layer *L = k->L;
    int64_t C = L->shape.d[L->td ? 1 : 0];
    int64_t per = shape_count(&L->shape) / (L->td ? L->shape.d[0] : 1) / C, M = k->nb * per;
    int64_t gy = tp->gr[L->id], x = tp->v[L->in[0]->id];
    char mf[48];
    flit(mf, sizeof mf, (double)M);
    emit(w, "for (int ch = 0; ch < %lld; ch++) {", LL(C));
    emit(w, "const float mean = s->arena[%lld + ch], invstd = s->arena[%lld + ch], wv = s->params[%lld + ch];", LL(st->bn_mean),
         LL(st->bn_invstd), LL(s->params[k->param[P_WEIGHT]].offset));
    emit(w, "float db = 0.0f, dw = 0.0f;");
    emit(w, "for (int n = 0; n < %lld; n++) for (int p = 0; p < %lld; p++) {", LL(k->nb), LL(per));
    emit(w, "const int i = (n * %lld + ch) * %lld + p;", LL(C), LL(per));
    emit(w, "const float g = s->arena[%lld + i];", LL(gy));
    emit(w, "db += g;");
    emit(w, "dw += g * (s->arena[%lld + i] - mean) * invstd;", LL(x));
    emit(w, "}");
    if (st->want_dw) {
        emit(w, "s->grads[%lld + ch] = dw;", LL(s->params[k->param[P_WEIGHT]].offset));
        emit(w, "s->grads[%lld + ch] = db;", LL(s->params[k->param[P_BIAS]].offset));
    }
    if (st->want_dx[0]) {
        emit(w, "const float f = wv * invstd / %s;", mf);
        emit(w, "for (int n = 0; n < %lld; n++) for (int p = 0; p < %lld; p++) {", LL(k->nb), LL(per));
        emit(w, "const int i = (n * %lld + ch) * %lld + p;", LL(C), LL(per));
        emit(w, "const float xh = (s->arena[%lld + i] - mean) * invstd;", LL(x));
        emit(w, "s->arena[%lld + i] %s f * (%s * s->arena[%lld + i] - db - xh * dw);", LL(tp->gr[L->in[0]->id]), st->set_dx[0] ? "=" : "+=", mf, LL(gy));
        emit(w, "}");
    }
    emit(w, "}");
}

static void tb_pool(Ctx *c, const TrainStep *st) {
    Emitter *w = c->w;
    const TrainPlan *tp = c->tp;
    const Kernel *k = st->k;
    const Layer *L = k->L;
    const ConvGeom *g = &L->g;
    int nsp = g->nsp;
    bool mx = L->kind->op == OP_MAXPOOL;
    int64_t invol = 1, outvol = 1, kvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; kvol *= g->k[i]; }
    emit(w, "for (int nc = 0; nc < %lld; nc++) {", LL(k->nb * g->cin));
    if (mx) emit(w, "const float *restrict xs = s->arena + %lld + nc * %lld;", LL(tp->v[L->in[0]->id]), LL(invol));
    emit(w, "float *restrict gx = s->arena + %lld + nc * %lld;", LL(tp->gr[L->in[0]->id]), LL(invol));
    emit(w, "const float *restrict gyo = s->arena + %lld + nc * %lld;", LL(tp->gr[L->id]), LL(outvol));
    int64_t lo[MAX_SPATIAL] = {0}, one[MAX_SPATIAL] = {1, 1, 1}, zero[MAX_SPATIAL] = {0};
    for (int i = 0; i < nsp; i++) one[i] = 1;
    char yi[512];
    index_expr(yi, sizeof yi, nsp, one, zero, g->out);
    open_q_loops(w, nsp, lo, g->out);
    emit(w, "const float gv = gyo[%s];", yi);
    if (mx) emit(w, "float best = -NETC_HUGE; int at = -1;");
    char kf[48];
    flit(kf, sizeof kf, 1.0 / (double)kvol);
    for (int64_t t = 0; t < kvol; t++) {
        int64_t tt[MAX_SPATIAL], r = t;
        for (int i = nsp - 1; i >= 0; i--) { tt[i] = r % g->k[i]; r /= g->k[i]; }
        char cond[512], xi[512];
        pool_tap(g, tt, cond, xi);
        if (mx) emit(w, "if (%s) { const int i = %s; if (xs[i] > best) { best = xs[i]; at = i; } }", cond, xi);
        else emit(w, "if (%s) gx[%s] += gv * %s;", cond, xi, kf);
    }
    if (mx) emit(w, "if (at >= 0) gx[at] += gv;");
    close_loops(w, nsp);
    emit(w, "}");
}

static void tb_upsample(Ctx *c, const TrainStep *st) {
    Emitter *w = c->w;
    const TrainPlan *tp = c->tp;
    const Kernel *k = st->k;
    const ConvGeom *g = &k->L->g;
    int nsp = g->nsp;
    int64_t invol = 1, outvol = 1;
    for (int i = 0; i < nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; }
    emit(w, "for (int nc = 0; nc < %lld; nc++) {", LL(k->nb * g->cin));
    emit(w, "float *restrict gx = s->arena + %lld + nc * %lld;", LL(tp->gr[k->L->in[0]->id]), LL(invol));
    emit(w, "const float *restrict gyo = s->arena + %lld + nc * %lld;", LL(tp->gr[k->L->id]), LL(outvol));
    char xi[512], yi[512];
    open_upsample_loops(w, g, xi, yi);
    emit(w, "gx[%s] += gyo[%s];", xi, yi);
    close_loops(w, 2 * nsp);
    emit(w, "}");
}

static void tb_simple(Ctx *c, const TrainStep *st) {
    Emitter *w = c->w;
    const TrainPlan *tp = c->tp;
    const Kernel *k = st->k;
    const Layer *L = k->L;
    int64_t n = c->s->net->batch * shape_count(&L->shape);
    int64_t gy = tp->gr[L->id];
    if (L->kind->op == OP_ADD) {
        for (int j = 0; j < L->nin; j++)
            if (st->want_dx[j]) {
                if (threaded(n)) emit(w, "NETC_PARALLEL_FOR");
                emit(w, "for (int i = 0; i < %lld; i++) s->arena[%lld + i] %s s->arena[%lld + i];", LL(n), LL(tp->gr[L->in[j]->id]),
                     st->set_dx[j] ? "=" : "+=", LL(gy));
            }
    } else if (L->kind->op == OP_ACT) {
        if (!st->want_dx[0]) return;
        Activation act = {L->kind->act, L->kind->act == ACT_LEAKY_RELU || L->kind->act == ACT_ELU ? L->a[A_ALPHA].r : 0};
        emit(w, "{");
        emit(w, "const float *restrict y = s->arena + %lld;", LL(tp->v[L->id]));
        if (act.kind == ACT_IDENTITY) emit(w, "(void)y;");
        if (threaded(n)) emit(w, "NETC_PARALLEL_FOR");
        emit_dact_loop(w, n, arena_printf(c->a, "s->arena[%lld + i]", LL(tp->gr[L->in[0]->id])), st->set_dx[0] ? "=" : "+=",
                       arena_printf(c->a, "s->arena[%lld + i]", LL(gy)), act);
        emit(w, "}");
    } else if (L->kind->op == OP_CONCAT) {
        int64_t T = L->td ? L->shape.d[0] : 1, outper = shape_count(&L->shape) / T, off = 0;
        for (int j = 0; j < L->nin; j++) {
            int64_t per = shape_count(&L->in[j]->shape) / T;
            if (st->want_dx[j])
                emit(w, "for (int n = 0; n < %lld; n++) for (int i = 0; i < %lld; i++) s->arena[%lld + n * %lld + i] %s s->arena[%lld + n * %lld + %lld + i];",
                     LL(k->nb), LL(per), LL(tp->gr[L->in[j]->id]), LL(per), st->set_dx[j] ? "=" : "+=", LL(gy), LL(outper), LL(off));
            off += per;
        }
    }
}

static void print_backward(Ctx *c, const TrainStep *st) {
    Emitter *w = c->w;
    const Layer *L = st->k->L;
    bool any_dx = false;
    for (int j = 0; j < L->nin; j++) any_dx |= st->want_dx[j];
    emit(w, "/* backward of %s (%s)%s */", L->name, L->kind->name, st->want_dw ? "" : ": no weight gradient");
    emit(w, "static void tb_%s(%s_state *restrict s)", L->name, c->name);
    emit(w, "{");
    emit(w, "(void)s;");
    switch (L->kind->op) {
    case OP_CONV: case OP_TCONV: tb_conv(c, st); break;
    case OP_DENSE: tb_dense(c, st); break;
    case OP_BATCHNORM: if (any_dx || st->want_dw) tb_batchnorm(c, st); break;
    case OP_MAXPOOL: case OP_AVGPOOL: if (any_dx) tb_pool(c, st); break;
    case OP_UPSAMPLE: if (any_dx) tb_upsample(c, st); break;
    case OP_ADD: case OP_ACT: case OP_CONCAT: tb_simple(c, st); break;
    case OP_RESHAPE: emit(w, "/* shares its input's gradient */"); break;
    }
    emit(w, "}");
    emit_raw(w, "\n");
}

/* The gradients start at zero, but for those whose first writer sets them
 * (plan_grad_writes): one memset per run of adjacent places (gradient places are
 * laid out in layer order, each rounded up to 16 floats). */
static void print_grad_clear(Ctx *c) {
    const TrainPlan *tp = c->tplan;
    const Net *net = c->s->net;
    int64_t b = -1, e = -1;
    for (int i = 0; i <= net->layers.n; i++) {
        const Layer *L = i < net->layers.n ? net->layers.v[i] : NULL;
        if (L && (tp->gr[i] < 0 || L->is_input || L->kind->op == OP_RESHAPE || tp->gr_set[i])) continue;
        if (L && b >= 0 && tp->gr[i] <= (e + 15) / 16 * 16) {
            e = tp->gr[i] + net->batch * shape_count(&L->shape);
            continue;
        }
        if (b >= 0) emit(c->w, "netc_memset(s->arena + %lld, 0, sizeof(float) * %lld);", LL(b), LL(e - b));
        if (L) b = tp->gr[i], e = b + net->batch * shape_count(&L->shape);
    }
}

/* Whether the training step's loss reads its target where the caller passed it:
 * a target no layer reads, whose copy into the arena would be a plain memcpy (nchw,
 * or no channel axis to move).  The arena keeps its place (the CUDA step copies
 * the target to the device there). */
static bool target_in_place(const Net *net, const Layer *T) { return T->is_input && T->target_only && copy_is_plain(net, T); }

static void print_loss(Ctx *c) {
    Emitter *w = c->w;
    const TrainPlan *tp = c->tp;
    const Net *net = c->s->net;
    const Train *t = net->train;
    const Layer *P = t->pred, *T = t->target;
    int64_t n = net->batch * shape_count(&P->shape);
    char nf[48];
    emit(w, "/* %s(%s, %s), the mean over every element (PyTorch's reduction = 'mean');", t->loss == LOSS_MSE ? "mse" : t->loss == LOSS_L1 ? "l1" : t->loss == LOSS_BCE ? "bce" : "cross_entropy", P->name, T->name);
    emit(w, " * with grad, adds dL/dprediction to the prediction's gradient. */");
    if (target_in_place(net, T)) {
        emit(w, "static float loss_fn(%s_state *restrict s, int grad, const float *restrict t)", c->name);
        emit(w, "{");
    } else {
        emit(w, "static float loss_fn(%s_state *restrict s, int grad)", c->name);
        emit(w, "{");
        emit(w, "const float *restrict t = s->arena + %lld;", LL(tp->v[T->id]));
    }
    emit(w, "const float *restrict p = s->arena + %lld;", LL(tp->v[P->id]));
    emit(w, "float *restrict g = s->arena + %lld;", LL(tp->gr[P->id] >= 0 ? tp->gr[P->id] : 0));
    emit(w, "float total = 0.0f;");
    if (t->loss == LOSS_CROSS_ENTROPY) {
        int cax = P->td ? 1 : 0;
        int64_t C = P->shape.d[cax], per = shape_count(&P->shape) / C / (P->td ? P->shape.d[0] : 1);
        int64_t NB = net->batch * (P->td ? P->shape.d[0] : 1);
        flit(nf, sizeof nf, (double)(NB * per));
        emit(w, "for (int n = 0; n < %lld; n++) {", LL(NB));
        emit(w, "float part = 0.0f;");
        emit(w, "for (int q = 0; q < %lld; q++) {", LL(per));
        emit(w, "const float *restrict z = p + n * %lld + q;", LL(C * per));
        emit(w, "float m = z[0];");
        emit(w, "for (int ch = 1; ch < %lld; ch++) if (z[ch * %lld] > m) m = z[ch * %lld];", LL(C), LL(per), LL(per));
        emit(w, "float se = 0.0f;");
        emit(w, "for (int ch = 0; ch < %lld; ch++) se += NETC_EXPF(z[ch * %lld] - m);", LL(C), LL(per));
        emit(w, "const float lse = m + NETC_LOGF(se);");
        emit(w, "const int k = (int)t[n * %lld + q];   /* class index; out of range counts as none */", LL(per));
        emit(w, "if (k >= 0 && k < %lld) part += lse - z[k * %lld];", LL(C), LL(per));
        emit(w, "if (grad) for (int ch = 0; ch < %lld; ch++) g[n * %lld + q + ch * %lld] += (NETC_EXPF(z[ch * %lld] - lse) - (ch == k ? 1.0f : 0.0f)) / %s;",
             LL(C), LL(C * per), LL(per), LL(per), nf);
        emit(w, "}");
        emit(w, "total += part;");
        emit(w, "}");
    } else {
        flit(nf, sizeof nf, (double)n);
        const char *op = tp->loss_sets ? "=" : "+=";   /* mse, l1 and bce set it (plan_grad_writes) */
        int64_t per = shape_count(&P->shape), LB = 256, nfull = per / LB;
        /* each sample's sum in blocks of LB: float rounding grows with LB plus the
         * number of blocks instead of with the sample's length; a whole block sums
         * in LANES interleaved partial sums (element j into lane j % LANES), added in
         * lane order at its end: independent chains a vector unit runs side by side,
         * the same order on every target */
        enum { LANES = 16 };
        /* a host build's large sample (LOSS_PAR_MIN floats or more) runs its whole
         * blocks on the threads, each block's sum kept in bs[] and added in block order
         * after them: the same sums in the same order as one thread (U-Net k2's loss, 1M
         * floats a sample, 0.46 ms of a 7 ms two-thread step, was one thread's) */
        enum { LOSS_PAR_MIN = 1 << 18, LOSS_PAR_MAX_BLOCKS = 4096 };
        bool par = !c->s->compact && per >= LOSS_PAR_MIN && nfull >= 2 && nfull <= LOSS_PAR_MAX_BLOCKS;
        emit(w, "for (int n = 0; n < %lld; n++) {", LL(net->batch));
        emit(w, "float part = 0.0f;");
        for (int pass = 0; pass < 2; pass++) {
            if (pass == 0 && nfull == 0) continue;
            if (pass == 1 && per % LB == 0) continue;
            if (pass == 0) {
                if (par) {
                    emit(w, "float bs[%lld];", LL(nfull));
                    emit(w, "NETC_PARALLEL_FOR");
                }
                emit(w, "for (int b = 0; b < %lld; b++) {", LL(nfull));
                emit(w, "float lane[%d] = {0.0f};", LANES);
                emit(w, "for (int j = 0; j < %lld; j += %d) {", LL(LB), LANES);
                emit(w, "for (int l = 0; l < %d; l++) {", LANES);
                emit(w, "const int i = n * %lld + b * %lld + j + l;", LL(per), LL(LB));
            } else {
                emit(w, "{");
                emit(w, "float blk = 0.0f;");
                emit(w, "for (int i = n * %lld + %lld; i < (n + 1) * %lld; i++) {", LL(per), LL(nfull * LB), LL(per));
            }
            const char *acc = pass == 0 ? "lane[l]" : "blk";
            switch (t->loss) {
            case LOSS_MSE:
                emit(w, "const float d = p[i] - t[i];");
                emit(w, "%s += d * d;", acc);
                emit(w, "if (grad) g[i] %s 2.0f * d / %s;", op, nf);
                break;
            case LOSS_L1:
                emit(w, "const float d = p[i] - t[i];");
                emit(w, "%s += d < 0.0f ? -d : d;", acc);
                emit(w, "if (grad) g[i] %s (d > 0.0f ? 1.0f : d < 0.0f ? -1.0f : 0.0f) / %s;", op, nf);
                break;
            default:   /* bce on logits, the stable form of BCEWithLogitsLoss */
                emit(w, "const float z = p[i], az = z < 0.0f ? -z : z;");
                emit(w, "%s += (z > 0.0f ? z : 0.0f) - z * t[i] + NETC_LOG1PF(NETC_EXPF(-az));", acc);
                emit(w, "if (grad) g[i] %s (1.0f / (1.0f + NETC_EXPF(-z)) - t[i]) / %s;", op, nf);
                break;
            }
            emit(w, "}");
            if (pass == 0) {
                emit(w, "}");
                emit(w, "float blk = 0.0f;");
                emit(w, "for (int l = 0; l < %d; l++) blk += lane[l];", LANES);
            }
            emit(w, pass == 0 && par ? "bs[b] = blk;" : "part += blk;");
            emit(w, "}");
            if (pass == 0 && par) emit(w, "for (int b = 0; b < %lld; b++) part += bs[b];", LL(nfull));
        }
        emit(w, "total += part;");
        emit(w, "}");
    }
    emit(w, "return total / %s;", nf);
    emit(w, "}");
    emit_raw(w, "\n");
}

static void print_optimizer(Ctx *c) {
    Emitter *w = c->w;
    const Schedule *s = c->s;
    const TrainPlan *tp = c->tp;
    const Train *t = s->net->train;
    char b1[48], b2[48], eps[48], wd[48], mom[48], clip[48];
    flit(b1, sizeof b1, t->beta1);
    flit(b2, sizeof b2, t->beta2);
    flit(eps, sizeof eps, t->eps);
    flit(wd, sizeof wd, t->weight_decay);
    flit(mom, sizeof mom, t->momentum);
    emit(w, "/* One optimiser step, PyTorch's update rule: %s. */", t->opt == OPT_SGD ? "SGD" : t->opt == OPT_ADAM ? "Adam" : "AdamW");
    emit(w, "static void update(%s_state *restrict s)", c->name);
    emit(w, "{");
    emit(w, "s->step += 1;");
    {   /* clip_norm: the train block's, unless the state's run-time value replaces it */
        flit(clip, sizeof clip, t->clip_norm > 0 ? t->clip_norm : 0.0);
        emit(w, "const float clip = s->clip_norm != 0.0f ? s->clip_norm : %s;", clip);
        emit(w, "if (clip > 0.0f) {");
        emit(w, "float sq = 0.0f;");
        for (int i = 0; i < s->nparams; i++) {
            const Param *p = &s->params[i];
            const TrainStep *st = NULL;
            for (int kk = 0; kk < s->nk; kk++) if (s->k[kk].L == p->L) st = &tp->st[kk];
            if (!p->trainable || !st || !st->want_dw) continue;
            emit(w, "for (int i = %lld; i < %lld; i++) sq += s->grads[i] * s->grads[i];", LL(p->offset), LL(p->offset + p->count));
        }
        emit(w, "const float coef = clip / (NETC_SQRTF(sq) + 1e-6f);");
        emit(w, "if (coef < 1.0f) for (int i = 0; i < %lld; i++) s->grads[i] *= coef;", LL(s->param_floats));
        emit(w, "}");
    }
    if (t->opt != OPT_SGD) {
        emit(w, "const float bc1 = 1.0f - NETC_POWF(%s, (float)s->step);", b1);
        emit(w, "const float bc2s = NETC_SQRTF(1.0f - NETC_POWF(%s, (float)s->step));", b2);
    }
    for (int i = 0; i < s->nparams; i++) {
        const Param *p = &s->params[i];
        const TrainStep *st = NULL;
        for (int kk = 0; kk < s->nk; kk++) if (s->k[kk].L == p->L) st = &tp->st[kk];
        if (!p->trainable || !st || !st->want_dw) continue;
        char lr[48];
        flit(lr, sizeof lr, t->lr * p->L->a[A_LR_MULT].r);
        emit(w, "/* %s */", p->name);
        emit(w, "for (int i = %lld; i < %lld; i++) {", LL(p->offset), LL(p->offset + p->count));
        if (t->opt == OPT_SGD) {
            emit(w, "float g = s->grads[i]%s;", t->weight_decay > 0 ? arena_printf(c->a, " + %s * s->params[i]", wd) : "");
            if (t->momentum > 0) {
                emit(w, "s->opt[0][i] = %s * s->opt[0][i] + g;", mom);
                if (t->nesterov) emit(w, "g = g + %s * s->opt[0][i];", mom);
                else emit(w, "g = s->opt[0][i];");
            }
            emit(w, "s->params[i] -= %s * g;", lr);
        } else {
            if (t->opt == OPT_ADAMW && t->weight_decay > 0) emit(w, "s->params[i] *= 1.0f - %s * %s;", lr, wd);
            emit(w, "const float g = s->grads[i]%s;", t->opt == OPT_ADAM && t->weight_decay > 0 ? arena_printf(c->a, " + %s * s->params[i]", wd) : "");
            emit(w, "s->opt[0][i] += (1.0f - %s) * (g - s->opt[0][i]);", b1);
            emit(w, "s->opt[1][i] = %s * s->opt[1][i] + (1.0f - %s) * g * g;", b2, b2);
            emit(w, "s->params[i] -= (%s / bc1) * s->opt[0][i] / (NETC_SQRTF(s->opt[1][i]) / bc2s + %s);", lr, eps);
        }
        emit(w, "}");
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
    if (copy_is_plain(net, L)) {
        char dst[256], src[256];
        snprintf(in ? dst : src, sizeof dst, "s->arena + %lld", LL(off));
        snprintf(in ? src : dst, sizeof src, "%s", ext);
        if (threaded(count)) {
            /* a large copy in pieces of 2^16 floats, on the threads */
            int64_t piece = 1 << 16, nfull = count / piece, rest = count % piece;
            emit(w, "NETC_PARALLEL_FOR");
            emit(w, "for (int i = 0; i < %lld; i++) netc_memcpy(%s + (long)i * %lld, %s + (long)i * %lld, sizeof(float) * %lld);",
                 LL(nfull), dst, LL(piece), src, LL(piece), LL(piece));
            if (rest) emit(w, "netc_memcpy(%s + %lld, %s + %lld, sizeof(float) * %lld);", dst, LL(nfull * piece), src, LL(nfull * piece), LL(rest));
            return;
        }
        emit(w, "netc_memcpy(%s, %s, sizeof(float) * %lld);", dst, src, LL(count));
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
    if (c->cw) {
        emit(w, "/* The parameters are the const %s_weights, read in place: nothing to fill. */", c->name);
        emit(w, "void %s_init(%s_state *s, unsigned long long seed)", c->name, c->name);
        emit(w, "{");
        emit(w, "(void)s;");
        emit(w, "(void)seed;");
        emit(w, "}");
        emit_raw(w, "\n");
        return;
    }
    if (s->weights && s->nparams) {
        emit(w, "/* The parameters embedded with --weights (%s_weights.c); the seed is unused. */", c->name);
        emit(w, "void %s_init(%s_state *s, unsigned long long seed)", c->name, c->name);
        emit(w, "{");
        emit(w, "(void)seed;");
        emit(w, "netc_memcpy(s->params, %s_weights, sizeof(float) * %lld);", c->name, LL(s->param_floats));
        emit(w, "}");
        emit_raw(w, "\n");
        return;
    }
    if (!s->nparams) {
        emit(w, "void %s_init(%s_state *s, unsigned long long seed)", c->name, c->name);
        emit(w, "{");
        emit(w, "(void)s;");
        emit(w, "(void)seed;");
        emit(w, "}");
        emit_raw(w, "\n");
        return;
    }
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
    emit(h, "/* The floating type of every array and computation: single precision unless the");
    emit(h, " * includer says otherwise (-DNETC_FLOAT=double gives a double build for");
    emit(h, " * gradient checks; math functions are the NETC_EXPF etc. macros of %s.c). */", nm);
    emit(h, "#ifndef NETC_FLOAT");
    emit(h, "#define NETC_FLOAT FLOAT_TYPE_PLACEHOLDER");
    emit(h, "#endif");
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
    emit(h, "int ntrain_inputs;");
    emit(h, "const netc_tensor *train_inputs;");
    emit(h, "float (*train_step)(void *state, const float *const *inputs);");
    emit(h, "float (*eval_loss)(void *state, const float *const *inputs);");
    emit(h, "int nopt;");
    emit(h, "const netc_tensor *opt;");
    emit(h, "float *(*opt_data)(void *state, int i);");
    emit(h, "unsigned long long *(*step_count)(void *state);");
    emit(h, "long epochs, steps;");
    emit(h, "const char *loss_name;");
    emit(h, "float *(*clip_norm)(void *state);");
    emit(h, "} netc_model;");
    emit(h, "#endif");
    emit_raw(h, "\n");
    NetMemory mem = net_memory(s, c->tplan);
    int64_t P = mem.params ? (mem.params + 15) / 16 * 16 : 16, A = mem.arena ? (mem.arena + 15) / 16 * 16 : 16;
    emit(h, "#define %s_BATCH %lld", up, LL(net->batch));
    emit(h, "#define %s_PARAM_FLOATS %lld   /* parameters and running statistics */", up, LL(mem.params));
    emit(h, "#define %s_ARENA_FLOATS %lld   /* activations and scratch, shared by liveness */", up, LL(mem.arena));
    /* byte counts for the default float build (4-byte floats), written so that
     * they stay exact when NETC_FLOAT is changed */
    emit(h, "#define %s_WEIGHT_BYTES (%lldu * sizeof(NETC_FLOAT))  /* parameters, running statistics: %lld bytes */",
         up, LL(mem.params), LL(4 * mem.params));
    emit(h, "#define %s_ARENA_BYTES (%lldu * sizeof(NETC_FLOAT))   /* activations and scratch: %lld bytes */", up, LL(mem.arena),
         LL(4 * mem.arena));
    if (c->cw) {   /* the state is the arena alone: the parameters are in flash */
        mem.state_bytes -= 4 * P;
        emit(h, "#define %s_STATE_BYTES (%lldu * sizeof(NETC_FLOAT) + 0u)   /* sizeof(%s_state), the RAM: %lld bytes (parameters: const, %s_weights) */",
             up, LL(mem.state_bytes / 4), nm, LL(mem.state_bytes), nm);
    } else
    emit(h, "#define %s_STATE_BYTES (%lldu * sizeof(NETC_FLOAT) + %lldu)   /* sizeof(%s_state), all the memory: %lld bytes */",
         up, LL((mem.state_bytes - (c->tplan ? 64 : 0)) / 4), LL(c->tplan ? 64 : 0), nm, LL(mem.state_bytes));
    emit_raw(h, "\n");
    emit(h, "#ifndef NETC_ALIGN");
    emit(h, "#if defined(__GNUC__)");
    emit(h, "#define NETC_ALIGN __attribute__((aligned(64)))");
    emit(h, "#else");
    emit(h, "#define NETC_ALIGN");
    emit(h, "#endif");
    emit(h, "#endif");
    emit_raw(h, "\n");
    if (c->o->firmware) {
        emit(h, "/* Profile firmware: %s.  Every pointer a kernel", c->tplan ? "inference and the training step" : "inference only");
        emit(h, " * works through is NETC_RESTRICT (C99 restrict unless overridden).  Overridable");
        emit(h, " * with -D: NETC_FLOAT, NETC_ALIGN, NETC_RESTRICT here; NETC_EXPF NETC_EXPM1F");
        emit(h, " * NETC_LOGF NETC_LOG1PF NETC_TANHF NETC_SQRTF NETC_COSF NETC_POWF NETC_HUGE");
        emit(h, " * netc_memcpy netc_memset in %s.c.  Needs <string.h> and <math.h> only. */", nm);
        emit(h, "#ifndef NETC_RESTRICT");
        emit(h, "#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 199901L");
        emit(h, "#define NETC_RESTRICT restrict");
        emit(h, "#else");
        emit(h, "#define NETC_RESTRICT");
        emit(h, "#endif");
        emit(h, "#endif");
        emit_raw(h, "\n");
    }
    emit(h, "/* All memory the network uses: no heap.  Place it statically or anywhere. */");
    emit(h, "typedef struct %s_state {", nm);
    if (!c->cw) emit(h, "float params[%lld] NETC_ALIGN;", LL(P));
    emit(h, "float arena[%lld] NETC_ALIGN;", LL(A));
    if (c->tplan) {
        emit(h, "float grads[%lld] NETC_ALIGN;         /* gradients of the parameters */", LL(P));
        if (c->tplan->nslots) emit(h, "float opt[%d][%lld] NETC_ALIGN;      /* optimiser state */", c->tplan->nslots, LL(P));
        emit(h, "unsigned long long step;            /* optimiser steps taken */");
        emit(h, "float clip_norm;                    /* non-zero: replaces the train block's clip_norm; < 0: no clipping */");
    }
    emit(h, "} %s_state;", nm);
    emit(h, "#if defined(__GNUC__)");
    emit(h, "typedef char %s_state_size_check[sizeof(%s_state) == %s_STATE_BYTES ? 1 : -1];", nm, nm, up);
    emit(h, "#endif");
    emit_raw(h, "\n");
    if (c->cw) {
        emit(h, "/* The trained parameters, embedded by netc build --weights (%s_weights.c):", nm);
        emit(h, " * const, in flash, and read there by the kernels: not copied into the state. */");
        emit(h, "extern const float %s_weights[%lld];", nm, LL(s->param_floats));
        emit(h, "/* Nothing to do (the parameters are %s_weights); kept for the common API. */", nm);
    } else if (s->weights) {
        emit(h, "/* The trained parameters, embedded by netc build --weights (%s_weights.c):", nm);
        emit(h, " * const, so a microcontroller keeps them in flash. */");
        emit(h, "extern const float %s_weights[%lld];", nm, LL(s->param_floats));
        emit(h, "/* Parameters from %s_weights. */", nm);
    } else
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
    if (c->tplan) {
        char targs[2048] = "";
        for (int j = 0; j < c->tplan->inputs.n; j++)
            snprintf(targs + strlen(targs), sizeof targs - strlen(targs), ", const float *in_%s", ((Layer *)c->tplan->inputs.v[j])->name);
        emit(h, "/* One training step on one batch (forward in training mode, loss, backward,");
        emit(h, " * optimiser update); returns the loss before the update. */");
        emit(h, "float %s_train_step(%s_state *s%s);", nm, nm, targs);
        emit(h, "/* The loss of one batch in inference mode, without updating anything. */");
        emit(h, "float %s_eval_loss(%s_state *s%s);", nm, nm, targs);
    }
    emit(h, "/* Parameter i of %s_model.params, in PyTorch's layout. */", nm);
    if (c->cw) {
        emit(h, "const float *%s_param(const %s_state *s, int i);   /* in %s_weights: read-only */", nm, nm, nm);
        emit(h, "/* %s_model.param is 0: the parameters are const (use %s_param). */", nm, nm);
    } else
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

void print_weights(const Schedule *s, Emitter *w, const char *from) {
    emit(w, "/* %s_weights.c — generated by netc %s from %s.  Do not edit. */", s->net->name, NETC_VERSION, from);
    emit(w, "#include \"%s.h\"", s->net->name);
    emit_raw(w, "\n");
    emit(w, "const float %s_weights[%lld] = {", s->net->name, LL(s->param_floats));
    for (int i = 0; i < s->nparams; i++) {
        const Param *p = &s->params[i];
        emit(w, "/* %s */", p->name);
        char line[1024] = "";
        for (int64_t j = 0; j < p->count; j++) {
            char f[48];
            flit(f, sizeof f, s->weights[p->offset + j]);
            if (strlen(line) + strlen(f) + 3 > 100) { emit(w, "%s", line); line[0] = 0; }
            snprintf(line + strlen(line), sizeof line - strlen(line), "%s%s,", line[0] ? " " : "", f);
        }
        if (line[0]) emit(w, "%s", line);
    }
    emit(w, "};");
    emit_replace_word(w, "float", "NETC_FLOAT");
}

void print_c(const Schedule *s, Arena *a, Emitter *h, Emitter *src) {
    print_c_opts(s, a, h, src, &(PrintOptions){0});
}

/* Replace every `from` not preceded by an identifier character with `to`. */
static void replace_text(Emitter *w, const char *from, const char *to) {
    if (!w->buf) return;
    Emitter out = {0};
    size_t n = strlen(from);
    char *p = w->buf, *q;
    while ((q = strstr(p, from))) {
        char before = q == w->buf ? ' ' : q[-1];
        bool word = !(before == '_' || (before >= 'a' && before <= 'z') || (before >= 'A' && before <= 'Z') || (before >= '0' && before <= '9'));
        char *end = q + (word ? 0 : n), save = *end;
        *end = 0;
        emit_raw(&out, p);
        *end = save;
        if (word) emit_raw(&out, to);
        p = q + n;
    }
    emit_raw(&out, p);
    emit_free(w);
    *w = out;
}

void print_c_opts(const Schedule *s, Arena *a, Emitter *h, Emitter *src, const PrintOptions *o) {
    Emitter kern = {0}, gem = {0};
    Ctx c = {.w = &kern, .g = &gem, .s = s, .name = s->net->name, .a = a, .o = o};
    const Net *net = s->net;
    bool trains = net->train && net->train->checked && (!o->firmware || o->train);
    c.cw = o->firmware && !trains && s->weights && s->nparams;
    for (int i = 0; i < s->nk; i++) print_kernel(&c, &s->k[i]);
    /* const weights: the inference kernels read the parameters where they are */
    if (c.cw) replace_text(&kern, "s->params", arena_printf(a, "%s_weights", c.name));
    TrainPlan *tp = trains ? lower_train(a, s) : NULL;
    c.tplan = tp;
    if (tp) {
        emit(&kern, "/* ---- training: the same kernels with the training plan's offsets, then backward ---- */");
        emit_raw(&kern, "\n");
        c.tp = tp;
        for (int i = 0; i < s->nk; i++) print_kernel(&c, &s->k[i]);
        for (int i = s->nk - 1; i >= 0; i--) print_backward(&c, &tp->st[i]);
        print_loss(&c);
        print_optimizer(&c);
        c.tp = NULL;
    }
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
                                         {"NETC_COSF", "cosf"}, {"NETC_POWF", "powf"}, {"netc_memcpy", "memcpy"}, {"netc_memset", "memset"},
                                         {"NETC_HUGE", "HUGE_VALF"}};
    for (size_t i = 0; i < sizeof fns / sizeof *fns; i++) {
        emit(w, "#ifndef %s", fns[i][0]);
        emit(w, "#define %s %s", fns[i][0], fns[i][1]);
        emit(w, "#endif");
    }
    emit_raw(w, "\n");
    emit(w, "/* The host vector path: on AVX-512 hosts the GEMMs use GCC's vector extensions;");
    emit(w, " * everything else (firmware, other compilers, -DNETC_PORTABLE) runs portable loops. */");
    emit(w, "#if !defined(NETC_PORTABLE) && defined(__GNUC__) && defined(__AVX512F__)");
    emit(w, "#define NETC_VEC 1");
    emit(w, "typedef float netc_vf __attribute__((vector_size(16 * sizeof(float)), aligned(sizeof(float)), may_alias));");
    emit(w, "/* NETC_STREAM: a GEMM writing a large output once stores its whole vectors past the");
    emit(w, " * caches (no read of the line it overwrites) where they are aligned; NETC_SFENCE");
    emit(w, " * orders those stores before the thread's later ones.  (Clang merges the two");
    emit(w, " * branches' stores into one and drops the hint: a plain store there.) */");
    emit(w, "#if defined(__clang__)");
    emit(w, "#define NETC_STREAM(p, v) (*(netc_vf *)(p) = (v))");
    emit(w, "#else");
    emit(w, "#define NETC_STREAM(p, v) do { float *netc_p_ = (p); if (((__UINTPTR_TYPE__)netc_p_ & 63) == 0) __builtin_ia32_movntps512(netc_p_, (v)); else *(netc_vf *)netc_p_ = (v); } while (0)");
    emit(w, "#endif");
    emit(w, "#define NETC_SFENCE() __builtin_ia32_sfence()");
    emit(w, "/* NETC_LOADM, NETC_STOREM: the lanes of mask m of a vector (a GEMM's last columns). */");
    emit(w, "#define NETC_LOADM(p, m) ((netc_vf)__builtin_ia32_loadups512_mask((p), (netc_vf){0}, (m)))");
    emit(w, "#define NETC_STOREM(p, v, m) __builtin_ia32_storeups512_mask((p), (v), (m))");
    emit(w, "/* NETC_EVEN2: d[i] = s[2 i] for the lanes i of mask md, from the loads of s (lanes m0)");
    emit(w, " * and s + 16 (lanes m1): a stride-2 convolution's im2col.  NETC_ZIPLO, NETC_ZIPHI:");
    emit(w, " * the first and last 8 lanes of a and b, alternating (an interleaved store). */");
    emit(w, "#if defined(__clang__) || __GNUC__ >= 12");
    emit(w, "#define NETC_EVENS(a, b) __builtin_shufflevector((a), (b), 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30)");
    emit(w, "#define NETC_ODDS(a, b) __builtin_shufflevector((a), (b), 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31)");
    emit(w, "#define NETC_DUPLO(a) __builtin_shufflevector((a), (a), 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7)");
    emit(w, "#define NETC_DUPHI(a) __builtin_shufflevector((a), (a), 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15)");
    emit(w, "#define NETC_ZIPLO(a, b) __builtin_shufflevector((a), (b), 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23)");
    emit(w, "#define NETC_ZIPHI(a, b) __builtin_shufflevector((a), (b), 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31)");
    emit(w, "#else");
    emit(w, "typedef int netc_vi __attribute__((vector_size(16 * sizeof(int))));");
    emit(w, "#define NETC_EVENS(a, b) __builtin_shuffle((a), (b), (netc_vi){0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30})");
    emit(w, "#define NETC_ODDS(a, b) __builtin_shuffle((a), (b), (netc_vi){1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31})");
    emit(w, "#define NETC_DUPLO(a) __builtin_shuffle((a), (netc_vi){0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7})");
    emit(w, "#define NETC_DUPHI(a) __builtin_shuffle((a), (netc_vi){8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 14, 15, 15})");
    emit(w, "#define NETC_ZIPLO(a, b) __builtin_shuffle((a), (b), (netc_vi){0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23})");
    emit(w, "#define NETC_ZIPHI(a, b) __builtin_shuffle((a), (b), (netc_vi){8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31})");
    emit(w, "#endif");
    emit(w, "#define NETC_EVEN2(d, s, m0, m1, md) NETC_STOREM((d), NETC_EVENS(NETC_LOADM((s), (m0)), NETC_LOADM((s) + 16, (m1))), (md))");
    emit(w, "/* NETC_PADD: the sums of neighbouring lanes (2 i, 2 i + 1) of a, then of b; netc_pair:");
    emit(w, " * the floats p[0], p[1] over the even and the odd lanes; NETC_DUPLO, NETC_DUPHI: each of");
    emit(w, " * the first or last 8 lanes of a twice (the pair path). */");
    emit(w, "#define NETC_PADD(a, b) (NETC_EVENS(a, b) + NETC_ODDS(a, b))");
    emit(w, "typedef double netc_vd __attribute__((vector_size(16 * sizeof(float))));");
    emit(w, "static inline netc_vf netc_pair(const float *p)");
    emit(w, "{");
    emit(w, "double d;");
    emit(w, "memcpy(&d, p, sizeof d);");
    emit(w, "return (netc_vf)(netc_vd){d, d, d, d, d, d, d, d};");
    emit(w, "}");
    emit(w, "/* netc_t16: r[i][j] becomes r[j][i] (four rounds of zips: the region path's");
    emit(w, " * channels-last copy, 16 channels by 16 positions at a time). */");
    emit(w, "static inline void netc_t16(netc_vf *r)");
    emit(w, "{");
    emit(w, "for (int round = 0; round < 4; round++) {");
    emit(w, "netc_vf t[16];");
    emit(w, "for (int j = 0; j < 8; j++) t[2 * j] = NETC_ZIPLO(r[j], r[j + 8]), t[2 * j + 1] = NETC_ZIPHI(r[j], r[j + 8]);");
    emit(w, "for (int j = 0; j < 16; j++) r[j] = t[j];");
    emit(w, "}");
    emit(w, "}");
    emit(w, "/* NETC_KEEP: a loaded vector stays in its register (GCC would otherwise fold the");
    emit(w, " * load again into every multiply-add that uses it). */");
    emit(w, "#define NETC_KEEP(v) __asm__(\"\" : \"+v\"(v))");
    emit(w, "/* NETC_PREFETCH: fetch the line at p towards the caches for a later read. */");
    emit(w, "#define NETC_PREFETCH(p) __builtin_prefetch((p), 0, 1)");
    emit(w, "/* NETC_UFMA: c += x (a float in memory, broadcast) * a, one FMA reading x where it lies");
    emit(w, " * (the unrolled path: GCC would otherwise keep in registers the inputs that");
    emit(w, " * neighbouring taps share, and spill). */");
    emit(w, "#define NETC_UFMA(c, x, a) __asm__(\"vfmadd231ps {%%1%%{1to16%%}, %%2, %%0|%%0, %%2, %%1%%{1to16%%}}\" : \"+v\"(c) : \"m\"(x), \"v\"(a))");
    emit(w, "#else");
    emit(w, "#define NETC_VEC 0");
    emit(w, "#endif");
    emit(w, "/* NETC_VEC8: hosts with AVX2 and FMA but not AVX-512 (most laptops) run the unrolled");
    emit(w, " * path's blocks and the GEMMs' blocks of 8-16 columns, the pair path's transposed GEMM");
    emit(w, " * among them, on vectors of 8 (unroll_vec8_body, gemm_block8); the rest portable loops. */");
    emit(w, "#if !NETC_VEC && !defined(NETC_PORTABLE) && defined(__GNUC__) && defined(__AVX2__) && defined(__FMA__)");
    emit(w, "#define NETC_VEC8 1");
    emit(w, "typedef float netc_v8 __attribute__((vector_size(8 * sizeof(float)), aligned(sizeof(float)), may_alias));");
    emit(w, "/* (GCC tuned for AMD's cores, -march=native on Zen 2 to 4, folds a loaded vector's");
    emit(w, " * load into each of its multiply-adds: three loads a step for two FMAs.) */");
    emit(w, "#define NETC_KEEP(v) __asm__(\"\" : \"+x\"(v))");
    emit(w, "/* NETC_LOADM8, NETC_STOREM8: the first n lanes of a vector at p (a GEMM's last");
    emit(w, " * columns; the other lanes touch no memory). */");
    emit(w, "typedef float netc_v8a __attribute__((vector_size(8 * sizeof(float))));");
    emit(w, "typedef int netc_m8 __attribute__((vector_size(8 * sizeof(int))));");
    emit(w, "static inline netc_m8 netc_mask8(int n) { return (netc_m8){0, 1, 2, 3, 4, 5, 6, 7} < n; }");
    emit(w, "#define NETC_LOADM8(p, n) ((netc_v8)__builtin_ia32_maskloadps256((const netc_v8a *)(const void *)(p), netc_mask8(n)))");
    emit(w, "#define NETC_STOREM8(p, v, n) __builtin_ia32_maskstoreps256((netc_v8a *)(void *)(p), netc_mask8(n), (v))");
    emit(w, "/* The pair path's GEMMs: NETC_DUP8LO, NETC_DUP8HI each of the first or last 4 lanes of");
    emit(w, " * a twice; netc_pair8 the floats p[0], p[1] over the even and the odd lanes. */");
    emit(w, "#if defined(__clang__) || __GNUC__ >= 12");
    emit(w, "#define NETC_DUP8LO(a) __builtin_shufflevector((a), (a), 0, 0, 1, 1, 2, 2, 3, 3)");
    emit(w, "#define NETC_DUP8HI(a) __builtin_shufflevector((a), (a), 4, 4, 5, 5, 6, 6, 7, 7)");
    emit(w, "#define NETC_SHUF8(a, b, ...) __builtin_shufflevector((a), (b), __VA_ARGS__)");
    emit(w, "#else");
    emit(w, "typedef int netc_vi8 __attribute__((vector_size(8 * sizeof(int))));");
    emit(w, "#define NETC_DUP8LO(a) __builtin_shuffle((a), (netc_vi8){0, 0, 1, 1, 2, 2, 3, 3})");
    emit(w, "#define NETC_DUP8HI(a) __builtin_shuffle((a), (netc_vi8){4, 4, 5, 5, 6, 6, 7, 7})");
    emit(w, "#define NETC_SHUF8(a, b, ...) __builtin_shuffle((a), (b), (netc_vi8){__VA_ARGS__})");
    emit(w, "#endif");
    emit(w, "typedef double netc_vd8 __attribute__((vector_size(8 * sizeof(float))));");
    emit(w, "static inline netc_v8 netc_pair8(const float *p)");
    emit(w, "{");
    emit(w, "double d;");
    emit(w, "memcpy(&d, p, sizeof d);");
    emit(w, "return (netc_v8)(netc_vd8){d, d, d, d};");
    emit(w, "}");
    emit(w, "/* netc_t8: r[i][j] becomes r[j][i] (the unrolled blocks' store): pairs of rows");
    emit(w, " * interleaved, then pairs of pairs, then the 4-lane halves swapped, each shuffle");
    emit(w, " * within a half but the last (24 shuffles). */");
    emit(w, "static inline void netc_t8(netc_v8 *r)");
    emit(w, "{");
    emit(w, "netc_v8 t[8], u[8];");
    emit(w, "for (int j = 0; j < 8; j += 2) t[j] = NETC_SHUF8(r[j], r[j + 1], 0, 8, 1, 9, 4, 12, 5, 13), t[j + 1] = NETC_SHUF8(r[j], r[j + 1], 2, 10, 3, 11, 6, 14, 7, 15);");
    emit(w, "for (int j = 0; j < 8; j += 4)");
    emit(w, "for (int h = 0; h < 2; h++) u[j + 2 * h] = NETC_SHUF8(t[j + h], t[j + h + 2], 0, 1, 8, 9, 4, 5, 12, 13), u[j + 2 * h + 1] = NETC_SHUF8(t[j + h], t[j + h + 2], 2, 3, 10, 11, 6, 7, 14, 15);");
    emit(w, "for (int j = 0; j < 4; j++) r[j] = NETC_SHUF8(u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11), r[j + 4] = NETC_SHUF8(u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15);");
    emit(w, "}");
    emit(w, "/* NETC_STORED: the stores to p are done, and its later loads read memory (GCC would");
    emit(w, " * otherwise carry a run's sums in registers through the next runs' loops to the");
    emit(w, " * transposed store, and spill them there: DCGAN 8x8's forward 0.88 of the time). */");
    emit(w, "#define NETC_STORED(p) __asm__(\"\" : : \"r\"(p) : \"memory\")");
    emit(w, "/* NETC_UFMA8: c0 += x (a float in memory, broadcast) * a0, c1 += x * a1, the broadcast");
    emit(w, " * its own (GCC would otherwise keep in registers the inputs that neighbouring taps");
    emit(w, " * share, and spill the sums: 0.74 of the time of DCGAN 64 -> 3's input gradient). */");
    emit(w, "#define NETC_UFMA8(c0, c1, x, a0, a1) do { netc_v8 netc_x_; __asm__(\"vbroadcastss {%%3, %%2|%%2, %%3}\\n\\tvfmadd231ps {%%2, %%4, %%0|%%0, %%4, %%2}\\n\\tvfmadd231ps {%%2, %%5, %%1|%%1, %%5, %%2}\" : \"+x\"(c0), \"+x\"(c1), \"=&x\"(netc_x_) : \"m\"(x), \"x\"(a0), \"x\"(a1)); } while (0)");
    emit(w, "#else");
    emit(w, "#define NETC_VEC8 0");
    emit(w, "#endif");
    emit(w, "/* NETC_IVDEP: the next loop's iterations are independent where GCC cannot see it");
    emit(w, " * (two scratch areas of one arena), so that it vectorises the loop. */");
    emit(w, "#if defined(__GNUC__) && !defined(__clang__)");
    emit(w, "#define NETC_IVDEP _Pragma(\"GCC ivdep\")");
    emit(w, "#else");
    emit(w, "#define NETC_IVDEP");
    emit(w, "#endif");
    emit(w, "/* Threads, in host builds compiled with OpenMP (-fopenmp): a convolution of several");
    emit(w, " * chunks runs them on up to NETC_PARALLEL_SLOTS(n) threads, each in its own slot of");
    emit(w, " * the scratch; otherwise large GEMMs share out their column panels (one region");
    emit(w, " * per call), large im2cols and stores their loops.  Every element keeps one writer");
    emit(w, " * and one order of summation, so results do not depend on the thread count.");
    emit(w, " * -DNETC_NO_THREADS keeps an OpenMP build single-threaded here. */");
    emit(w, "#if defined(_OPENMP) && !defined(NETC_NO_THREADS)");
    emit(w, "int omp_get_thread_num(void), omp_get_num_threads(void), omp_get_max_threads(void);   /* OpenMP's runtime (no other headers) */");
    emit(w, "#define NETC_PRAGMA(x) _Pragma(#x)");
    emit(w, "#define NETC_PARALLEL_FOR _Pragma(\"omp parallel for schedule(static)\")");
    emit(w, "#define NETC_PARALLEL_FOR2 _Pragma(\"omp parallel for collapse(2) schedule(static)\")");
    emit(w, "#define NETC_PARALLEL_SLOTS(n) NETC_PRAGMA(omp parallel for schedule(static) num_threads(omp_get_max_threads() < (n) ? omp_get_max_threads() : (n)))");
    emit(w, "#define NETC_THREAD_NUM omp_get_thread_num()");
    emit(w, "#define NETC_PARALLEL _Pragma(\"omp parallel\")");
    emit(w, "#define NETC_FOR_NOWAIT _Pragma(\"omp for schedule(static) nowait\")");
    emit(w, "#define NETC_LAST_THREAD (omp_get_thread_num() == omp_get_num_threads() - 1)");
    emit(w, "#else");
    emit(w, "#define NETC_PARALLEL_FOR");
    emit(w, "#define NETC_PARALLEL_FOR2");
    emit(w, "#define NETC_PARALLEL_SLOTS(n)");
    emit(w, "#define NETC_THREAD_NUM 0");
    emit(w, "#define NETC_PARALLEL");
    emit(w, "#define NETC_FOR_NOWAIT");
    emit(w, "#define NETC_LAST_THREAD 1");
    emit(w, "#endif");
    emit_raw(w, "\n");
    emit(w, "/* Layer timers: compiled with -DNETC_TIMERS, each entry point reports the end of");
    emit(w, " * every step it takes to netc_timer(what): 0 when a call starts, then \"inputs\",");
    emit(w, " * \"forward L\", \"loss\", \"backward L\", \"update\", \"outputs\" (L a layer's name).");
    emit(w, " * The program netc builds with --exe defines it (NAME bench --layers); embedders");
    emit(w, " * may define their own.  Without NETC_TIMERS the marks compile to nothing. */");
    emit(w, "#ifndef NETC_TIMER");
    emit(w, "#ifdef NETC_TIMERS");
    emit(w, "void netc_timer(const char *what);");
    emit(w, "#define NETC_TIMER(what) netc_timer(what)");
    emit(w, "#else");
    emit(w, "#define NETC_TIMER(what) ((void)0)");
    emit(w, "#endif");
    emit(w, "#endif");
    emit_raw(w, "\n");
    emit(w, "/* GCC contracts a * b + c into one FMA only when told (ISO C modes say off). */");
    emit(w, "#if (NETC_VEC || NETC_VEC8) && !defined(__clang__)");
    emit(w, "#pragma GCC push_options");
    emit(w, "#pragma GCC optimize (\"fp-contract=fast\")");
    emit(w, "#endif");
    emit_raw(w, "\n");
    emit_raw(w, gem.buf ? gem.buf : "");
    emit(w, "#if (NETC_VEC || NETC_VEC8) && !defined(__clang__)");
    emit(w, "#pragma GCC pop_options");
    emit(w, "#endif");
    emit_raw(w, "\n");
    emit(w, "/* GCC's -O2 vectorises only loops that need no epilogue; the kernels' copies and");
    emit(w, " * stores run over literal counts that seldom divide by the vector width.  (Not on");
    emit(w, " * AVX2 hosts: there GCC 12 fails, an internal compiler error, on a loss's loops.) */");
    emit(w, "#if NETC_VEC && !defined(__clang__)");
    emit(w, "#pragma GCC push_options");
    emit(w, "#pragma GCC optimize (\"tree-vectorize\", \"vect-cost-model=dynamic\", \"fp-contract=fast\")");
    emit(w, "#elif NETC_VEC8 && !defined(__clang__)");
    emit(w, "#pragma GCC push_options");
    emit(w, "#pragma GCC optimize (\"fp-contract=fast\")");
    emit(w, "#endif");
    emit_raw(w, kern.buf ? kern.buf : "");
    emit(w, "#if (NETC_VEC || NETC_VEC8) && !defined(__clang__)");
    emit(w, "#pragma GCC pop_options");
    emit(w, "#endif");
    c.w = w;
    print_init(&c);
    /* forward */
    bool ov_in = false, ov_out = false;
    for (int j = 0; j < s->inputs.n; j++) ov_in |= in_place_input(s, s->value_buf[((Layer *)s->inputs.v[j])->id]) >= 0;
    for (int j = 0; j < net->outputs.n; j++) ov_out |= in_place_output(s, s->value_buf[((Layer *)net->outputs.v[j])->id]) >= 0;
    if (ov_in && ov_out) {
        emit(w, "/* Whether two of the caller's arrays share memory: forward reads an input in");
        emit(w, " * place only when no output it writes in place overlaps it. */");
        emit(w, "static int netc_overlap(const float *a, long na, const float *b, long nb)");
        emit(w, "{");
        emit(w, "return (size_t)a < (size_t)(b + nb) && (size_t)b < (size_t)(a + na);");
        emit(w, "}");
        emit_raw(w, "\n");
    }
    char args[2048] = "";
    for (int j = 0; j < s->inputs.n; j++) snprintf(args + strlen(args), sizeof args - strlen(args), ", const float *in_%s", ((Layer *)s->inputs.v[j])->name);
    for (int j = 0; j < net->outputs.n; j++) snprintf(args + strlen(args), sizeof args - strlen(args), ", float *out_%s", ((Layer *)net->outputs.v[j])->name);
    emit(w, "void %s_forward(%s_state *s%s)", c.name, c.name, args);
    emit(w, "{");
    emit(w, "NETC_TIMER(0);");
    for (int j = 0; j < s->inputs.n; j++) {
        const Layer *L = s->inputs.v[j];
        int b = s->value_buf[L->id];
        if (in_place_input(s, b) < 0) {
            print_copy(&c, L, buf_off(s, b), arena_printf(a, "in_%s", L->name), true);
            continue;
        }
        /* read in place, unless the caller's array overlaps an output written in place */
        char cond[4096] = "";
        for (int o = 0; o < net->outputs.n; o++) {
            const Layer *O = net->outputs.v[o];
            if (in_place_output(s, s->value_buf[O->id]) < 0) continue;
            snprintf(cond + strlen(cond), sizeof cond - strlen(cond), "%snetc_overlap(in_%s, %lld, out_%s, %lld)", cond[0] ? " || " : "",
                     L->name, LL(net->batch * shape_count(&L->shape)), O->name, LL(net->batch * shape_count(&O->shape)));
        }
        emit(w, "const float *x_%s = in_%s;", L->name, L->name);
        if (cond[0]) {
            emit(w, "if (%s) {", cond);
            print_copy(&c, L, buf_off(s, b), arena_printf(a, "in_%s", L->name), true);
            emit(w, "x_%s = s->arena + %lld;", L->name, LL(buf_off(s, b)));
            emit(w, "}");
        }
    }
    emit(w, "NETC_TIMER(\"inputs\");");
    for (int i = 0; i < s->nk; i++) {
        const Kernel *k = &s->k[i];
        const Layer *L = k->L;
        char extra[512] = "";
        int xi, yo;
        kernel_io(s, k, &xi, &yo);
        if (xi >= 0) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", x_%s", ((Layer *)s->inputs.v[xi])->name);
        if (yo >= 0) snprintf(extra + strlen(extra), sizeof extra - strlen(extra), ", out_%s", ((Layer *)net->outputs.v[yo])->name);
        emit(w, "layer_%s(s%s);", L->name, extra);
        emit(w, "NETC_TIMER(\"forward %s\");", L->name);
    }
    for (int j = 0; j < net->outputs.n; j++) {
        const Layer *L = net->outputs.v[j];
        if (in_place_output(s, s->value_buf[L->id]) >= 0) continue;   /* written in place */
        print_copy(&c, L, buf_off(s, s->value_buf[L->id]), arena_printf(a, "out_%s", L->name), false);
    }
    emit(w, "NETC_TIMER(\"outputs\");");
    emit(w, "}");
    emit_raw(w, "\n");
    if (tp) {
        char targs[2048] = "";
        for (int j = 0; j < tp->inputs.n; j++)
            snprintf(targs + strlen(targs), sizeof targs - strlen(targs), ", const float *in_%s", ((Layer *)tp->inputs.v[j])->name);
        for (int pass = 0; pass < 2; pass++) {
            emit(w, pass ? "float %s_eval_loss(%s_state *s%s)" : "float %s_train_step(%s_state *s%s)", c.name, c.name, targs);
            emit(w, "{");
            emit(w, "NETC_TIMER(0);");
            c.tp = tp;
            const Layer *T = net->train->target;
            char lcall[160];
            if (target_in_place(net, T)) snprintf(lcall, sizeof lcall, "loss_fn(s, %d, in_%s)", !pass, T->name);
            else snprintf(lcall, sizeof lcall, "loss_fn(s, %d)", !pass);
            for (int j = 0; j < tp->inputs.n; j++) {
                const Layer *L = tp->inputs.v[j];
                if (L == T && target_in_place(net, T)) continue;   /* the loss reads it in place */
                print_copy(&c, L, tp->v[L->id], arena_printf(a, "in_%s", L->name), true);
            }
            c.tp = NULL;
            emit(w, "NETC_TIMER(\"inputs\");");
            for (int i = 0; i < s->nk; i++) {
                emit(w, "tf_%s(s, %d);", s->k[i].L->name, !pass);
                emit(w, "NETC_TIMER(\"forward %s\");", s->k[i].L->name);
            }
            if (pass) {
                emit(w, "const float loss = %s;", lcall);
                emit(w, "NETC_TIMER(\"loss\");");
                emit(w, "return loss;");
                emit(w, "}");
                emit_raw(w, "\n");
                break;
            }
            print_grad_clear(&c);
            emit(w, "const float loss = %s;", lcall);
            emit(w, "NETC_TIMER(\"loss\");");
            for (int i = s->nk - 1; i >= 0; i--) {
                emit(w, "tb_%s(s);", s->k[i].L->name);
                emit(w, "NETC_TIMER(\"backward %s\");", s->k[i].L->name);
            }
            emit(w, "update(s);");
            emit(w, "NETC_TIMER(\"update\");");
            emit(w, "return loss;");
            emit(w, "}");
            emit_raw(w, "\n");
        }
    }
    if (c.cw) emit(w, "const float *%s_param(const %s_state *s, int i)", c.name, c.name);
    else
    emit(w, "float *%s_param(%s_state *s, int i)", c.name, c.name);
    emit(w, "{");
    emit(w, "static const long offset[] = {");
    for (int i = 0; i < s->nparams; i++) emit(w, "%lld, /* %s */", LL(s->params[i].offset), s->params[i].name);
    if (!s->nparams) emit(w, "0");
    emit(w, "};");
    if (c.cw) { emit(w, "(void)s;"); emit(w, "return i >= 0 && i < %d ? %s_weights + offset[i] : 0;", s->nparams, c.name); }
    else if (s->nparams) emit(w, "return i >= 0 && i < %d ? s->params + offset[i] : 0;", s->nparams);
    else { emit(w, "(void)s;"); emit(w, "(void)i;"); emit(w, "(void)offset;"); emit(w, "return 0;"); }
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
    if (!c.cw) emit(w, "static float *param_(void *s, int i) { return %s_param((%s_state *)s, i); }", c.name, c.name);
    int nopt = 0;
    if (tp) {
        print_tensor_table(w, "train_inputs_", net, (PtrVec *)&tp->inputs);
        char tcall[2048] = "";
        for (int j = 0; j < tp->inputs.n; j++) snprintf(tcall + strlen(tcall), sizeof tcall - strlen(tcall), ", in[%d]", j);
        emit(w, "static float train_step_(void *s, const float *const *in) { return %s_train_step((%s_state *)s%s); }", c.name, c.name, tcall);
        emit(w, "static float eval_loss_(void *s, const float *const *in) { return %s_eval_loss((%s_state *)s%s); }", c.name, c.name, tcall);
        static const char *const slot_names[2][2] = {{"momentum_buffer", ""}, {"exp_avg", "exp_avg_sq"}};
        int kind = net->train->opt == OPT_SGD ? 0 : 1;
        emit(w, "static const netc_tensor opt_[] = {");
        char offs[8192] = "";
        for (int slot = 0; slot < tp->nslots; slot++)
            for (int i = 0; i < s->nparams; i++) {
                const Param *p = &s->params[i];
                const TrainStep *st = NULL;
                for (int kk = 0; kk < s->nk; kk++) if (s->k[kk].L == p->L) st = &tp->st[kk];
                if (!p->trainable || !st || !st->want_dw) continue;
                char b[160] = "";
                for (int q = 0; q < p->rank; q++) snprintf(b + strlen(b), sizeof b - strlen(b), "%s%lld", q ? ", " : "", LL(p->shape[q]));
                emit(w, "{\"%s.%s\", %d, {%s}, %lld},", p->name, slot_names[kind][slot], p->rank, b, LL(p->count));
                if (strlen(offs) < sizeof offs - 64)
                    snprintf(offs + strlen(offs), sizeof offs - strlen(offs), "%s{%d, %lld}", nopt ? ", " : "", slot, LL(p->offset));
                nopt++;
            }
        if (!nopt) emit(w, "{0, 0, {0}, 0},");
        emit(w, "};");
        emit(w, "static float *opt_data_(void *st, int i)");
        emit(w, "{");
        if (nopt) {
            emit(w, "static const long at[][2] = {%s};", offs);
            emit(w, "%s_state *s = (%s_state *)st;", c.name, c.name);
            emit(w, "return i >= 0 && i < %d ? s->opt[at[i][0]] + at[i][1] : 0;", nopt);
        } else {
            emit(w, "(void)st;");
            emit(w, "(void)i;");
            emit(w, "return 0;");
        }
        emit(w, "}");
        emit(w, "static unsigned long long *step_count_(void *s) { return &((%s_state *)s)->step; }", c.name);
        emit(w, "static float *clip_norm_(void *s) { return &((%s_state *)s)->clip_norm; }", c.name);
    }
    emit(w, "const netc_model %s_model = {", c.name);
    emit(w, "\"%s\", %lld, %d, sizeof(%s_state),", c.name, LL(net->batch), net->layout == LAYOUT_NHWC ? 1 : 0, c.name);
    emit(w, "%d, %d, %d,", s->inputs.n, net->outputs.n, s->nparams);
    emit(w, "inputs_, outputs_, params_,");
    emit(w, c.cw ? "init_, run_, 0," : "init_, run_, param_,");
    if (tp) {
        static const char *const loss_names[] = {"mse", "l1", "bce", "cross_entropy"};
        emit(w, "%d, train_inputs_, train_step_, eval_loss_,", tp->inputs.n);
        emit(w, "%d, opt_, opt_data_, step_count_,", nopt);
        emit(w, "%lld, %lld, \"%s\", clip_norm_,", LL(net->train->epochs), LL(net->train->steps), loss_names[net->train->loss]);
    } else {
        emit(w, "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,");
    }
    emit(w, "};");
    emit_free(&kern);
    emit_free(&gem);
    /* every float of the printed code is NETC_FLOAT, defined in the header */
    emit_replace_word(h, "float", "NETC_FLOAT");
    emit_replace_word(src, "float", "NETC_FLOAT");
    if (o->firmware) emit_replace_word(src, "restrict", "NETC_RESTRICT");
    emit_replace_word(h, "FLOAT_TYPE_PLACEHOLDER", "float");
}
