/*
 * schedule.h — the contract between the middle of the compiler and its printers.
 * lower.c turns a checked Net into a Schedule: an ordered list of kernels, each
 * fully resolved (shapes, stride phases, taps, GEMM sizes, buffer offsets), and
 * the parameter table.  Printers only print what is recorded here.
 */
#ifndef SCHEDULE_H
#define SCHEDULE_H
#include "netc.h"

/* A tensor in the activation arena: `floats` long, placed at `offset` for the
 * steps [first, last] (liveness); `alias` >= 0 when it shares another's memory. */
typedef struct Buf { int64_t floats, offset; int first, last, alias; } Buf;

/* One tap of a stride phase: kernel position t[] and input offset delta[], so
 * that output q (within the phase) reads input q - delta. */
typedef struct PhaseTap { int64_t t[MAX_SPATIAL], delta[MAX_SPATIAL], index; } PhaseTap;

/* A transposed convolution splits by output position modulo the stride: phase
 * ph[] holds the outputs o = (q0 + q) * s + ph - pb, q in [0, nq); only the taps
 * with t * d ≡ ph (mod s) reach them, so no inserted zero is ever multiplied.
 * A convolution is one phase holding every tap (q = o, delta unused). */
typedef struct Phase {
    int64_t ph[MAX_SPATIAL], q0[MAX_SPATIAL], nq[MAX_SPATIAL];
    int64_t qtot;        /* product of nq */
    int ntaps;
    PhaseTap *taps;
    int64_t K;           /* GEMM depth: ntaps * Cin/groups */
} Phase;

typedef enum { P_WEIGHT, P_BIAS, P_RUNNING_MEAN, P_RUNNING_VAR } ParamRole;

typedef struct Param {
    const char *name;     /* "<layer>.weight", ... as PyTorch's state_dict */
    Layer *L;
    ParamRole role;
    int rank;
    int64_t shape[MAX_RANK + 2];
    int64_t count, offset;
    bool trainable;       /* false for running statistics */
} Param;

typedef struct Kernel {
    Layer *L;
    int out;              /* buffer of the result */
    int *in;              /* buffers of the inputs (nin = L->nin) */
    int col, tmp;         /* scratch buffers, -1 when unused */
    int64_t nb;           /* samples this kernel loops over: batch, times T when time-distributed */
    int nphases;
    Phase *phases;
    int64_t pack_floats;  /* tconv: per-phase packed weights live in `tmp`'s tail */
    int param[4];         /* indices into the parameter table by role, -1 if none */
} Kernel;

typedef struct Schedule {
    Net *net;
    Kernel *k;
    int nk;
    Buf *bufs;
    int nbufs;
    int *value_buf;       /* per layer id: the buffer holding its value */
    Param *params;
    int nparams;
    int64_t param_floats;
    int64_t arena_floats;
    PtrVec inputs;        /* Layer*: inputs the forward pass reads (not target-only) */
    const float *weights; /* netc build --weights: the parameters to embed (param_floats), or NULL */
    bool compact;         /* least RAM (the firmware profile): no interleaved stores */
} Schedule;

/* `compact`: plan for the least RAM (netc build --profile firmware) rather than for
 * the host's speed. */
Schedule *lower_net(Arena *a, Net *net, bool compact);

/* How a convolution call computes one phase; the memory plans and the printers
 * share it.  `direct`: few output channels per group (at most CONV_DIRECT_MAX_FG),
 * accumulated tap by tap without im2col, `tmp` holding one sample.  Otherwise
 * im2col + GEMM over chunks of `nbk` samples (a divisor of the call's samples,
 * chosen so that the im2col chunk, at most CONV_CHUNK_FLOATS (512 KB), leaves room
 * in a 2 MB L2 cache for the packed weights, the GEMM results and the input beside
 * it; 1 MB chunks measured 5-10% slower on the DCGAN layers), twice that on the host
 * for weights of CONV_WIDE_PACK floats or more (see chunk_of): `ncol` columns in rows
 * `ncpad` apart (16 times an odd number, so the rows of a GEMM panel fall in
 * different L1 sets); `col` and `tmp` are the scratch floats one chunk needs.
 * `nbk` > 0 imposes the chunk. */
enum { CONV_DIRECT_MAX_FG = 4, CONV_CHUNK_FLOATS = 1 << 17, CONV_WIDE_PACK = 1 << 20 };
typedef struct ConvChunk { bool direct; int64_t nbk, ncol, ncpad, col, tmp; } ConvChunk;
ConvChunk conv_chunk(const Phase *ph, int64_t nb, int64_t fg, int64_t nbk);
/* The direct path's padded input.  A host schedule (not compact) runs the direct
 * phases of a call whose taps all read x at unit stride (a transposed convolution,
 * or a stride-1 one) from a zero-padded copy of each sample's input channels, made
 * once per sample for all of them: every tap then covers its phase's whole box, and
 * one loop over the outputs holds all taps of a few input channels (accumulating
 * in registers) instead of one clipped loop per tap, each a pass over tmp.  Axis i
 * of a channel's copy holds the x indices [amin[i], amin[i] + ext[i]), those
 * outside x zero; a channel's copy is `vol` floats (0: the call does not qualify,
 * its copy would exceed CONV_PAD_FLOATS, or it is too small to pay for the copy and
 * the longer code: input channels times the largest phase's outputs under
 * CONV_PAD_MIN). */
enum { CONV_PAD_FLOATS = 1 << 18, CONV_PAD_MIN = 1024 };
typedef struct DirectPad { int64_t amin[MAX_SPATIAL], ext[MAX_SPATIAL], vol; } DirectPad;
DirectPad conv_direct_pad(const ConvGeom *g, bool tr, const Phase *ph, int n, bool compact);
/* The implicit GEMM (host schedules).  A call's GEMM phases may skip im2col: each
 * chunk (nbk samples, or a row block) copies its input channels once, zero-padded,
 * into col, and every phase's GEMM reads row (ci, tap) of its B straight from the
 * copy, at that tap's offset (a table of K offsets), over the padded positions.
 * Output q of a phase reads x at q * mul + a on each axis (mul: the stride of a
 * convolution, 1 for a transposed one); with a = mul * u + r (0 <= r < mul), that
 * is position q + u of the plane of x indices = r mod mul.  The copy holds each
 * residue tuple r that some tap reads as a plane (res[0 .. nplanes)): [ci][plane][n]
 * [vol], axis i of a plane holding the x indices (umin[i] + m) * mul[i] + r[i], m in
 * [0, ext[i]) from the chunk's start (those outside x zero), so that every tap reads
 * its plane at unit stride: column n * vol + sum_i q_i * pstride_i (pstride: the
 * plane's strides) of the GEMM; each row of outputs carries ext[L] - nq[L] columns
 * the store skips.  Only with few output channels per group (at most
 * CONV_IMPLICIT_MAX_FG), where each im2col float feeds so few multiply-adds that
 * copying it costs as much as the GEMM (16 -> 8 at 8 x 8, k4 s2: the forward 29%
 * faster; 16 -> 8 at 128, k5 s2: 21%; 64 -> 32 at 128 x 128, k3 s2, the U-Net
 * anchor: 0.92 of im2col's time on one thread, 0.97 on two, on the Zen 4 machine,
 * where im2col's stores of 33 MB a call run slower than on the Xeon that measured
 * it 4% slower); with more, the extra columns and the GEMM's ragged last panel
 * cost more than im2col's vectorised copies (64 output channels at 16 x 16: 20%
 * slower on the Xeon, 3% on Zen 4).  And only when the copy
 * is at most half of im2col's floats (K per output position; the input gradient of
 * 8 -> 4 at 16 x 16, k3 s2, whose four planes are half, ran 2% slower), and the
 * copies saved outweigh the extra multiply-adds at CONV_IMPLICIT_MACS of them per
 * copy (that of 16 -> 8 at 8 x 8, k4 s2, 7% faster with this weight, refused with
 * 4), for unrolled taps, and when some phase has more than one (a phase of one
 * whole tap already reads x in place).  ldc: the GEMM results' row length (tmp,
 * pad_rows of the widest phase's columns); col: the floats the copy and the GEMMs'
 * reads past its last channel need (vol 0: the call does not qualify). */
enum { CONV_IMPLICIT_MAX_FG = 32, CONV_IMPLICIT_MACS = 16, CONV_IMPLICIT_PLANES = 16 };
/* More output channels than CONV_IMPLICIT_MAX_FG take the implicit GEMM only when
 * every phase's GEMM is at least CONV_IMPLICIT_WIDE_K deep (shallower ones writing a
 * large y keep im2col, whose GEMM streams its stores into y) and the extra columns
 * are at most 1 / CONV_IMPLICIT_WIDE_EXTRA of each phase's (rows of
 * a large image: 129 columns for 128 outputs), where DCGAN 64->3's input gradient
 * (64 output channels, 33 columns for 32) took 1.22 of im2col's time.  A call in row
 * blocks (see conv_rows) that takes the implicit GEMM has blocks of up to
 * CONV_IMPLICIT_ROW_FLOATS im2col floats, larger than im2col's (the copy is a
 * quarter of those floats or less, and a block's halo rows are a smaller share of
 * it).  Paired phase timings, one thread (two): U-Net k3's input gradient (64
 * output channels, blocks of 16 rows, against im2col's blocks of 2) 0.93 (0.95), its
 * forward (blocks of 32 rows, not 4) 0.98 (0.99; blocks of 16 or 64 the same),
 * training step 0.98 (0.99).  (That input gradient has since taken the unrolled path,
 * which admits GEMMs up to 512 deep first.) */
enum { CONV_IMPLICIT_WIDE_K = 256, CONV_IMPLICIT_WIDE_EXTRA = 64, CONV_IMPLICIT_ROW_FLOATS = 1 << 20 };
typedef struct ConvImplicit {
    int64_t mul[MAX_SPATIAL], umin[MAX_SPATIAL], ext[MAX_SPATIAL], vol, ldc, col;
    int nplanes;
    int64_t res[CONV_IMPLICIT_PLANES][MAX_SPATIAL];
} ConvImplicit;
ConvImplicit conv_implicit(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nb, bool compact);
/* The GEMM columns of phase view v (its results' last column + 1) in a chunk of nbk
 * samples; and tap t's offset in a channel's copy. */
int64_t conv_implicit_cols(const ConvImplicit *ip, int nsp, const Phase *v, int64_t nbk);
int64_t conv_implicit_off(const ConvImplicit *ip, const ConvGeom *g, bool tr, const PhaseTap *t, int64_t nbk);
/* The host vector path's width: floats in a vector (AVX-512). */
enum { VEC_W = 16 };
/* Row length for a matrix of k-float rows that a GEMM streams down: 16 times an odd
 * number (rows land in different L1 sets), or k itself when below 16. */
static inline int64_t pad_rows(int64_t k) {
    if (k < 16) return k;
    int64_t p = (k + 15) / 16;
    return 16 * (p % 2 ? p : p + 1);
}
/* The chunk all GEMM phases of a call share (they run inside one loop over chunks;
 * one group and phase is packed at a time when the call is one chunk, every group
 * and phase once, before the chunks, when there are several). */
int64_t conv_nbk(const Phase *ph, int n, int64_t nb, int64_t fg, bool compact);
/* A phase seen through a block of R rows (R = 0: the phase itself). */
Phase conv_row_view(const Phase *ph, int64_t R);
/* Tap j's valid [lo, hi) of q on axis i, in a block whose first row is r0 (axis 0
 * only; 0 for the whole phase): those q whose input index lies inside the input. */
void tap_range(const ConvGeom *g, bool tr, const Phase *ph, int j, int i, int64_t r0, int64_t *lo, int64_t *hi);
/* The offset tap t adds on axis i: output q (of its phase) reads x at q * mul +
 * tap_offset, mul being 1 for a transposed convolution and the stride otherwise. */
int64_t tap_offset(const ConvGeom *g, bool tr, const PhaseTap *t, int i);
/* Whether a call's phases store together: a transposed convolution strided along
 * its last axis whose phases all take the GEMM path over equal boxes keeps every
 * phase's results of a chunk (side by side in `tmp`, phase p at p * Fg * ncpad)
 * and writes the output once, each position's phases side by side, so that the
 * stores are contiguous rather than `stride` apart.  Never in a compact schedule
 * (the extra results cost RAM that firmware would rather keep). */
enum { CONV_INTERLEAVE_MAX = 16 };   /* at most this many phases (one store each per position) */
bool conv_interleaved(const ConvGeom *g, const Phase *ph, int n, bool compact);
/* Whether a transposed convolution's n phases pair up along a last axis of stride
 * 2: phase pair[p] holds the outputs right after phase p's there (the same boxes,
 * the same outputs on the other axes), pair[p] = -1 for the second of a pair; false
 * unless every phase is the first or the second of one pair. */
bool conv_phase_pairs(const ConvGeom *g, const Phase *ph, int n, int *pair);
/* Whether the direct phases from a zero-padded copy (conv_direct_pad: every phase
 * direct) store in pairs: the phases pair up (conv_phase_pairs), each next to its
 * pair, and `tmp` holds both of a pair's results (twice a phase's), written to y
 * at once, each position's two phases side by side, a loop GCC vectorises, where
 * each phase alone stores every second float (the to-RGB layer of DCGAN, k4 s2 p1:
 * 0.95 of the time).  Never in a compact schedule (twice the scratch). */
bool conv_direct_pairs(const ConvGeom *g, bool tr, const Phase *ph, int n, bool compact, int *pair);
/* How one call runs and the scratch floats it needs (the memory plans and the
 * printer share it):
 * - col, tmp, pack: the largest im2col chunk, the GEMM results (all phases' when
 *   interleaved) and the packed weights;
 * - nbk: the samples per chunk (conv_nbk);
 * - rows: row blocks (0: none).  A call whose GEMM phases share their first axis's
 *   extent N0 and whose one sample's im2col exceeds CONV_CHUNK_FLOATS (a batch of
 *   one large image) works on chunks of R rows of one sample, R the largest proper
 *   divisor of N0 whose im2col fits (CONV_IMPLICIT_ROW_FLOATS instead when the
 *   implicit GEMM takes blocks of that size).  The first and last blocks have bodies of their
 *   own (their taps' ranges are clipped); every middle block shares one, so R is
 *   refused when some tap misses a middle row;
 * - slots: threads.  A host schedule's call of at least CONV_PARALLEL_MACS
 *   multiply-adds over several chunks (or, on the direct path, samples) runs its
 *   chunks on up to CONV_SLOTS threads in one parallel loop, each thread with its
 *   own im2col and results: col and tmp then hold `slots` copies, col_slot and
 *   tmp_slot floats apart.  A compact schedule, or a call of one chunk, has one
 *   slot and leaves threads to its GEMMs.
 * `tr`: the call gathers by stride phase. */
enum { CONV_SLOTS = 8, CONV_PARALLEL_MACS = 1 << 20 };
typedef struct ConvScratch { int64_t col, tmp, pack; int slots; int64_t col_slot, tmp_slot, nbk, rows; } ConvScratch;
ConvScratch conv_scratch(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nb, bool compact);

/* The region path (host schedules): the taps on the padding never multiplied.  A
 * phase's outputs split into boxes over which each tap reads x everywhere or
 * nowhere (the interior, the edges, the corners); boxes with the same valid taps
 * form a region, whose GEMMs have only those taps (the DCGAN 4x4 layer's border
 * taps are 23% of its nominal multiply-adds, 12% at 8x8).  The vectors run over
 * output channels, and a region's rows are its positions, in any order:
 * C[position][co] = sum over taps t and input channels ci of xt[position + t][ci] .
 * Wt[t, ci][co], with xt the chunk's input channels-last and zero-padded (so every
 * tap reads inside it) and the GEMM's A rows found through a table of their offsets
 * in xt; Wt the weights tap-major, co contiguous, rows ldb apart.  One GEMM sums a
 * region's taps in the registers of each block (gemm_fn_taps): panels of
 * CONV_REGION_PANEL output channels outside, then groups of taps whose weights in
 * the panel fit CONV_REGION_TAP_FLOATS (L2), then every region, so that a group's
 * weights serve all the chunk's rows before the next group's come in.  A region with
 * fewer than CONV_REGION_MIN_ROWS rows in a chunk joins the region it costs least to
 * share taps with (its extra taps read xt's zeros).
 * Taken by calls with one group, at least CONV_REGION_MIN_FG output channels (a
 * multiple of 16), no phase over 64 taps, and at least CONV_REGION_MIN_SAVE
 * percent of the multiply-adds saved (a convolution, and so the input gradient of a
 * transposed one, CONV_REGION_MIN_SAVE_CONV), or only CONV_REGION_MIN_SAVE_DEEP when
 * every phase's GEMM is at least CONV_REGION_DEEP deep (taps times input channels):
 * deep GEMMs run as fast over xt's rows as over im2col's, so that the copy im2col
 * makes is saved too, while shallow ones lose more than the skipped taps give.
 * Paired phase timings against im2col, one thread: DCGAN 4x4 forward 0.89, its
 * input gradient (23% saved) 0.87; DCGAN 8x8's input gradient (12% saved, 2048
 * deep) 0.91, 16x16's forward (6%, 512 deep; with the paired store) 0.93 and input
 * gradient (6%, 1024 deep) 0.93; against them, at 6% saved, 64 output channels:
 * a 16 -> 64 k4 s2 transposed one (64 deep) 1.15, 32 -> 64 (128 deep) 1.03, a k4 s2
 * convolution 8 -> 64 (128 deep) 1.08, 16 -> 64 (256 deep) 0.99, 32 -> 64 (512
 * deep) 0.96; DCGAN 64->3's input gradient (48 deep) 3.6.  (Calls up to 8192 deep
 * over their taps, every DCGAN layer's forward and input gradient among them, now
 * take the unrolled path first: the region path serves phases too shallow for it,
 * under 16 deep, and deeper GEMMs.)
 * Chunks: the most samples whose xt and results fit
 * CONV_REGION_CHUNK_FLOATS (DCGAN 4x4: 32 samples forward, 16 for the input
 * gradient; chunks of 2-8 samples measured 1.3-1.6 of im2col's time there, too few
 * rows for each panel's weights).
 * A region: tap, its taps (indices into the phase's, ascending; none for outputs
 * no tap reaches); lo, hi: its boxes; rows: positions per sample. */
enum { CONV_REGION_MAX = 27, CONV_REGION_BOXES = 27, CONV_REGION_MIN_FG = 32, CONV_REGION_MIN_SAVE = 10, CONV_REGION_MIN_SAVE_CONV = 20,
       CONV_REGION_MIN_SAVE_DEEP = 3, CONV_REGION_DEEP = 512,
       CONV_REGION_MIN_ROWS = 12, CONV_REGION_CHUNK_FLOATS = 1 << 20, CONV_REGION_PANEL = 64, CONV_REGION_TAP_FLOATS = 1 << 16 };
typedef struct ConvRegion {
    int nbox, ntaps;
    int64_t lo[CONV_REGION_BOXES][MAX_SPATIAL], hi[CONV_REGION_BOXES][MAX_SPATIAL];
    int tap[64];
    int64_t rows;
} ConvRegion;
/* A phase's regions (at most CONV_REGION_MAX) for chunks of nbk samples; -1 when
 * the phase does not split (some output reads no input, too many boxes). */
int conv_regions(const ConvGeom *g, bool tr, const Phase *ph, int64_t nbk, ConvRegion *out);
/* A call's region plan: nbk 0 when the call does not take the path.  nbk: samples
 * per chunk (their xt and results within CONV_REGION_CHUNK_FLOATS); xt's box: axis
 * i holds the x indices [amin[i], amin[i] + ext[i]), vol positions a sample, xt
 * floats a chunk; ldb, ldc: row lengths of Wt and of the results; tmp: one phase's
 * results (two phases' when paired); pack: Wt of every phase.
 * paired: a transposed convolution whose phases pair up along a last axis of stride
 * 2 (conv_phase_pairs; the pair's outputs in rows of 2, 4, 8 or a multiple of 16, a
 * multiple of 16 outputs a sample): a pair's GEMMs run one after the other into the
 * two halves of tmp, and the vector path stores them together, 16 positions by 16
 * output channels at a time transposed in registers, each channel's 16 outputs
 * (two phases side by side) one store into y instead of 16 scalar stores a stride
 * apart.  Paired timings against one phase at a time, one thread: DCGAN 8x8
 * forward 0.95 (its scalar stores were 8% of it), training step 0.98; 4x4 forward
 * 0.97-0.99 (rows of 8, two masked stores a vector; the doubled results cost its
 * GEMMs 2%), step 1.00. */
typedef struct ConvRegionPlan {
    int64_t nbk, ldb, ldc, amin[MAX_SPATIAL], ext[MAX_SPATIAL], vol, xt, tmp, pack;
    bool paired;
    int pair[CONV_INTERLEAVE_MAX];
} ConvRegionPlan;
ConvRegionPlan conv_region_plan(const ConvGeom *g, bool tr, const Phase *ph, int n, int64_t nb, bool compact);

/* The pair path (host schedules): a convolution strided by 2 along its last axis,
 * with an even kernel there, reads x in place.  Its GEMM's columns are x's positions
 * themselves, two per output along the last axis (2 Wo lanes a row of outputs), and
 * its rows of B the pairs of taps (2t, 2t + 1) on that axis: row k = (ci, the taps
 * of the other axes, t) starts at x + bo[k], with no im2col.  A broadcasts each
 * output channel's pair of weights (w[2k], w[2k + 1], alternating over the lanes),
 * and each output is the sum of its two lanes, added when the GEMM stores its
 * block: a stride-2 gather becomes unit-stride loads.  The input gradient of the
 * U-Net up-convolution (k2 s2, a k2 s2 convolution of dY) had taken an im2col of
 * 4 MB per call, 18% of its time; paired phase timings against it: 0.90 (0.87 on
 * two threads).
 * Taken by calls with one group, no padding, every tap inside x, unit dilation on
 * the last axis, an output row of whole vectors (Wo % 16 == 0), at least
 * CONV_PAIRS_MIN_FG output channels and pair rows K (Cin times the kernel volume
 * / 2) at most CONV_PAIRS_MAX_K (a panel of B, K rows of 64 lanes, stays within L2),
 * that the unrolled path (first) does not take: output channels not a multiple of
 * 16, or too many kinds of block; a bias and an activation apply to each row of
 * outputs after its GEMM.
 * A transposed convolution whose kernel equals its stride on every axis (no
 * padding, output padding or dilation), 2 on the last, with rows of x of whole
 * vectors (W % 16 == 0) takes the path the other way round (the U-Net
 * up-convolution, and so the input gradient of a k2 s2 convolution): per row of
 * x, one GEMM whose rows are (output channel, tap of the other axes), M = Cout
 * times the kernel volume / 2 (at least CONV_PAIRS_MIN_FG), K = Cin (at most
 * CONV_PAIRS_MAX_K), and whose lanes are the row's outputs along the last axis:
 * each x read once into two lanes, each output channel's pair of weights (the two
 * taps along the last axis) broadcast as in a convolution, each row of results
 * stored where it lies in y (a table), the bias added there; no phases, no
 * results in tmp, no interleaving pass.  U-Net's k2 s2 forward: 0.91 of the time
 * of its four phase GEMMs and zipped store.
 * Returns K, 0 when the call does not take the path. */
enum { CONV_PAIRS_MIN_FG = 16, CONV_PAIRS_MAX_K = 1024 };
int64_t conv_pairs(const ConvGeom *g, bool tr, bool compact);

/* The unrolled path: a convolution or transposed convolution whose taps, and output
 * positions in blocks of 16, are unrolled in the code.  (A compact schedule, the
 * firmware profile's, takes it with no pack: its portable bodies read the weights
 * where they lie, position by position, 16 output channels' sums in registers, and
 * the call needs no scratch; on the emulated Cortex-M4F the examples' forwards take
 * 0.38-0.77 of the instructions of the im2col GEMMs they replace.)  On a host its
 * vectors run over 16 output channels (a panel of the weights, packed whole: an input
 * channel's every tap together, 16 output channels a tap; emit_tap_pack), and a
 * block of 16 consecutive output positions holds one vector of sums each, in
 * registers, over the input channels (a loop) and the taps (unrolled): each
 * multiply-add broadcasts one input from where it lies in x, at an offset from the
 * block's first input known when the code is printed (an FMA with a memory operand:
 * left to itself GCC keeps the inputs neighbouring taps share in registers, spills,
 * and ran 16 -> 64 at 14 x 14, k3 s2, at 1.5 of im2col's time), and a tap that reads
 * a position's padding is never printed for it: no im2col, no padded copy, no extra
 * columns, no border regions.  A transposed convolution's position takes only the
 * taps of its stride phase (no inserted zero multiplied), so a block of 16 positions
 * mixes the phases and stores them where they lie, with no interleaving.  A block's
 * sums are transposed in registers (netc_t16) into 16 outputs of each channel, one
 * store each (masked for a last block of fewer positions).  Blocks of the same kind
 * (the same positions' taps at the same offsets: the interior of an image, its
 * edges) share one printed body; a table gives each block its kind and first input
 * (conv_unroll_blocks).  The samples, panels and blocks share out over the threads,
 * the panels outermost when a panel's weights are more than twice a sample's input
 * (16 taps > 2 input positions), so that they serve every sample from L2 (the DCGAN
 * 4x4 forward, 512 KB a panel over 32 KB of input, took 2.1 times as long sample by
 * sample), the samples outermost otherwise, so that a sample's input stays in the
 * caches over the panels (DCGAN 16x16's forward 0.99 of the time panel by panel, its
 * input gradient 0.97, 8x8's 0.99; on the portable AVX2 build 0.95 and 0.79).
 * Taken by a call (so also an input gradient) with one group, a multiple of 16 output
 * channels and, for a transposed convolution, no pair path (U-Net k2's forward: 1.01
 * of the pair path's time; a convolution takes the unrolled path first: U-Net k2's
 * input gradient 0.92, 16 -> 32 k2 s2 at 128 x 128 0.96, 64 -> 16 k [3, 2] s [1, 2]
 * 0.96, 32 -> 64 k4 s2 p0 1.00); each stride phase with taps a GEMM at least
 * CONV_UNROLL_MIN_K deep (input channels times its taps: a block's transposes and
 * stores cost as much as 16 multiply-adds a position: the upsampler1d example's
 * first layer, 1 -> 16 k5 in 1-D, took its forward to 1.09) and a panel's weights
 * at most CONV_UNROLL_PANEL floats (8192 input channels times taps: the DCGAN 4x4
 * forward, 512 channels by 16 taps, runs at 0.95 of the region path's time, a
 * convolution 512 -> 256 k4 s2 at 8 x 8 at 0.87); at most
 * CONV_UNROLL_KINDS kinds of block and CONV_UNROLL_MAX multiply-adds printed over their
 * bodies (a panel, per input channel).  It comes before the region and implicit
 * paths.  Paired timings against the path each took before, one thread (two):
 * - the DCGAN forwards, from the region path: 4x4 0.95 (0.94), 8x8 0.97, 16x16 0.92
 *   (0.91); U-Net k3's forward (implicit GEMM) 0.91 (0.88);
 * - the firmware 8 x 8 k4 anchor's input gradient (implicit GEMM, 80 columns for 64
 *   outputs) 0.69 (0.69), its training step 0.90;
 * - U-Net k3's input gradient (implicit GEMM in row blocks, its copy of dY 18%)
 *   0.90 (0.91), training step 0.98 (0.97); DCGAN 64->3's (48 deep, a streaming GEMM
 *   at 94% of the peak) 0.93 (0.91), step 0.98 (0.94);
 * - the DCGAN input gradients, from the region path: 4x4 (4096 deep) 0.89 (0.88),
 *   8x8 (2048) 0.92 (0.92), 16x16 (1024) 0.92 (0.92); training steps 0.97, 0.98, 0.96;
 * - k4 s2 p1 convolutions at 6% padding taps, batch 16, from the region path: 32 ->
 *   32 at 32 x 32 0.89, 32 -> 64 at 16 x 16 0.93, 24 -> 48 at 8 x 8 0.88 (two
 *   threads about 0.5: the region path's one chunk ran on one);
 * - into 16 channels at 8 x 8, k3 or k4 s2 p1, 2 to 16 input channels (implicit)
 *   0.69-0.82; 16 -> 48 at 8 x 8 (im2col) 0.71; 16 -> 64 at 14 x 14 k3 s2 (im2col)
 *   0.66; the autoencoder example's forward 0.96, training step 0.97; the firmware
 *   1-D k5 anchor's input gradient (implicit, rows of 128: no extra columns) 0.98;
 * - against it, short 1-D signals on the implicit GEMM: 8 or 16 -> 16 over 32 outputs,
 *   k5 s2, 1.07 and 1.09 (over 128 outputs 0.98 and 0.96). */
enum { CONV_UNROLL_MIN_K = 16, CONV_UNROLL_PANEL = 1 << 17, CONV_UNROLL_KINDS = 32, CONV_UNROLL_MAX = 4096 };
bool conv_unrolled(const ConvGeom *g, bool tr, const Phase *ph, int n, bool compact);
/* The unrolled path's blocks of a call's n phases: kind[b] and xoff[b] (unless NULL),
 * block b's kind (numbered as they first appear) and its first input's offset in a
 * sample's channel (a convolution's: the position of the block's first output times
 * the strides; a transposed one's: the least input its block reads); sigs (unless
 * NULL: room for CONV_UNROLL_KINDS + 1 of them) each kind's signature, 1 + 16 T values
 * (T: the phases' taps, in order, as the pack holds them): its positions r, then for
 * position p and tap t the offset of the input read from the block's first
 * (INT64_MIN: none, another phase's tap, the padding or past r).  Returns the
 * multiply-adds printed over the kinds' bodies (a panel, per input channel), -1 past
 * CONV_UNROLL_KINDS kinds. */
int64_t conv_unroll_blocks(const ConvGeom *g, bool tr, const Phase *ph, int n, int *kind, int64_t *xoff, int64_t *sigs);

/* Weight-gradient chunks (see conv_dw): a chunk's transposed im2col fits
 * CONV_DW_CHUNK_FLOATS, and a GEMM over it is at least CONV_DW_MIN_DEPTH deep
 * (twice that for a dW of CONV_DW_DEEP_FLOATS or more on the host). */
enum { CONV_DW_MIN_DEPTH = 256, CONV_DW_CHUNK_FLOATS = 1 << 18, CONV_DW_DEEP_FLOATS = 1 << 20 };

/* How a weight gradient runs: the plan lower_train sizes its scratch by and the
 * printer follows.  dW[group] (R x K) accumulates over units of work, each a chunk
 * of nbw samples or (rows > 0, when one sample's transposed im2col is over
 * CONV_DW_CHUNK_FLOATS) a block of `rows` rows of one sample: the unit's
 * transposed im2col colT (NQ x K, rows pad_rows(K) apart) meets A (R x NQ), rows of
 * dY (conv) or of x (tconv).
 * - in_place: A is read where it lies, one GEMM per sample (its positions are at
 *   least CONV_DW_MIN_DEPTH deep, or chunks are of one sample: a unit is then one
 *   sample) or per row block;
 *   otherwise A gathers the chunk's samples side by side first;
 * - parts: a host schedule (not compact) of at least CONV_PARALLEL_MACS splits the
 *   units of an in-place plan into `parts` fixed runs (a power of two, at most
 *   CONV_SLOTS and the units), each summing its own partial dW (part 0 in dW
 *   itself, the others in scratch, at most CONV_DW_PART_FLOATS in all), then adds
 *   them in part order: the parts run on the threads, and the sums do not depend on
 *   how many there are.  One part leaves threads to the GEMM;
 * - colT, A, part: floats of one unit's colT (one per part), of A and of one partial;
 *   scratch: all of it. */
enum { CONV_DW_PART_FLOATS = 1 << 18 };
/* - ranged (conv_dw_ranged): the host plan of a weight gradient whose taps on the
 *   padding are CONV_DW_RANGED_MIN_PCT of its multiply-adds or more: A and colT
 *   gathered with the unit's positions ordered by the set of taps that read input
 *   there (colT's columns tap-major), a GEMM into Ct (R x K, tap-major) in which
 *   each tap's columns sum over only its positions' rows, then dW = Ct transposed
 *   (ct floats). */
enum { CONV_DW_RANGED_MIN_PCT = 10, DW_MAX_CLASSES = 64 };
/* - kc: the columns (of K) each GEMM of a unit covers.  An in-place host plan with
 *   one group whose colT is over CONV_DW_COLS_FLOATS gathers and multiplies it in
 *   chunks of columns (whole source channels, a multiple of VEC_W and at least
 *   CONV_DW_COLS_MIN) of at most that many floats, each chunk's colT still in L2
 *   when its GEMM reads it, into dW's columns (rows K apart); kc = K: one GEMM a
 *   unit.  DCGAN 16x16's weight gradient (colT 1 MB a sample), paired phase
 *   timings against one GEMM a sample: chunks of 128 columns 0.95 on one thread
 *   and on two, of 64 the same, of 256 0.97, of 32 1.03; DCGAN 64->3's chunks of
 *   16 columns (of 48) 1.05, hence the minimum.  A row-block plan chunks each
 *   block the same way: U-Net k2's weight gradient (blocks of 512 positions, 4
 *   chunks of 64 columns) 0.95-0.98 on one thread, 0.95 on two; U-Net k3's (9
 *   taps: the smallest whole chunk is 144 columns, 74K floats, over the limit)
 *   measured 1.00 in 2 chunks. */
enum { CONV_DW_COLS_FLOATS = 1 << 15, CONV_DW_COLS_MIN = 64 };
/* - direct: a host plan of a small weight gradient (at most CONV_DW_DIRECT_MAX_R rows
 *   of A a group, under CONV_PARALLEL_MACS multiply-adds, stride 1 or 2 along the
 *   last axis, unrolled taps) runs without colT or GEMM on the vector path: per
 *   (source channel, tap), A's rows times the source read at the tap's offset, 16
 *   positions a vector, summed across the lanes at the end (emit_dw_direct), when
 *   that costs no more vector operations than the GEMM and the im2col's floats
 *   (dw_direct_cost).  The rest of the plan is the portable build's.  Paired phase
 *   timings against the GEMM path, one thread: the firmware anchors' weight
 *   gradients 8->4 @16x16 k3 s2 0.53, 1-D 16->8 @128 k5 0.72, 3-D 8->4 @8^3 k3
 *   0.55 (rows of 8 positions two a vector; 0.97 one a vector); 16->8 @8x8 k4
 *   (2048 sums to add across lanes) 1.18, refused by the cost. */
enum { CONV_DW_DIRECT_MAX_R = 16 };
/* - bcast: a host plan of one group whose R is a multiple of 16 and whose source has
 *   a multiple of 8 channels, rows of CONV_DW_BCAST_MIN_ROW positions or more along
 *   the last axis, and a colT that
 *   would hold each source position twice or more (ntaps * qtot >= 2 * the source's
 *   positions), runs without colT on the vector path: per unit of bnb samples (the
 *   most whose AT fits CONV_DW_BCAST_FLOATS), or of brows rows (axis 0) of one
 *   sample when one is over it (the most rows, a proper divisor, that fit, every tap
 *   missing only rows of the first or the last block; those two blocks and the
 *   middle ones have tiles of their own), A transposed (AT, each
 *   position's R floats side by side, bat floats), then per tap, 32 of R (16 when R
 *   is an odd multiple of 16) by 8 source
 *   channels at a time, the source read where it lies at the tap's offset and
 *   broadcast, times AT's rows, over only the positions where the tap reads input
 *   (one function per set of ranges, emit_dw_bcast), into Ct (tap, source channel,
 *   R; R x K floats, as the ranged plan's ct), and dW = Ct transposed at the end.  It transposes A (R x
 *   positions) where the GEMM path gathers colT (taps x source channels x
 *   positions).  The rest of the plan is the portable build's.  Paired phase
 *   timings against the GEMM path: DCGAN 8x8's weight gradient (ranged) 0.93 on one
 *   thread, 0.79 on two; 16x16's (column chunks) 0.90, 0.93; U-Net k3's (row blocks
 *   of 8 rows, 16 of them) 0.84, 0.85 (a whole sample a unit, AT 4 MB: 1.00, 0.90);
 *   training steps 0.96 (with the region path's paired store), 0.97, 0.93; and,
 *   below the CONV_PARALLEL_MACS it once required, the firmware 8x8 k4 anchor's (R
 *   16, 131K multiply-adds, a scalar colT gather and GEMM before) 0.75, the
 *   upsampler1d example's tconv backward passes 0.81 and 0.93, its step 0.92.  Refused:
 *   DCGAN 4x4 (rows of 4: 1.17), U-Net k2 (kernel = stride, colT no larger than dY:
 *   its weight gradient in row blocks 0.95 on one thread, 1.04 on two), units over
 *   64K floats (DCGAN 8x8 in units of 16 samples: 1.14). */
enum { CONV_DW_BCAST_FLOATS = 1 << 16, CONV_DW_BCAST_MIN_ROW = 8 };
/* Whether the direct weight gradient puts two rows in a vector (rows of 8 positions
 * along the last axis, and an axis before it to pair them along). */
static inline bool dw_direct_paired(const ConvGeom *wg, const Phase *wph) { return wg->nsp > 1 && wph->nq[wg->nsp - 1] == 8; }
typedef struct ConvDw {
    int64_t nbw, rows, units, NQ, kc;
    bool in_place, ranged, direct, bcast;
    int parts;
    int64_t colT, A, part, ct, scratch, bnb, brows, bat;
} ConvDw;
bool conv_dw_ranged(const ConvGeom *wg, const Phase *wph);
/* The classes of a weight gradient's im2col positions (the set of taps reading
 * input there, in order of first appearance): cmask[c] class c's taps, cb[c] its
 * first position in class order (cb[nc] = all of them), pos[] (unless NULL) the
 * flattened positions in that order; returns nc, or -1 past DW_MAX_CLASSES. */
int conv_dw_classes(const ConvGeom *wg, const Phase *wph, int64_t *pos, int64_t *cb, uint64_t *cmask);
ConvDw conv_dw(const ConvGeom *wg, const Phase *wph, int64_t nb, int64_t R, bool compact);

/* Phases of a convolution-shaped computation with geometry g (see Phase). */
int geom_phases(Arena *a, const ConvGeom *g, bool transposed, Phase **out);

/* ---- training (lower_train.c) ----
 * The training step keeps every value alive until its backward kernel runs: each
 * layer's value v[] and gradient gr[] has its own place; scratch is shared. */
typedef struct TrainStep {
    const Kernel *k;        /* the forward kernel: layer, params, forward phases */
    ConvGeom bg;            /* conv/tconv: the input-gradient call (geometry swapped) */
    Phase *bph;
    int nbph;
    ConvGeom wg;            /* conv/tconv: the im2col whose transpose meets the weight gradient */
    Phase *wph;
    bool *want_dx;          /* per input: whether it needs a gradient */
    bool *set_dx;           /* per input: this backward writes the input's gradient
                             * first (backward order), with = rather than += */
    bool want_dw;           /* trainable and lr_mult > 0 */
    int64_t bn_mean, bn_invstd;   /* batchnorm: saved batch statistics */
} TrainStep;

typedef struct TrainPlan {
    const Schedule *s;
    TrainStep *st;          /* one per kernel, same order */
    int64_t *v, *gr;        /* per layer id: arena offsets of value and gradient (-1: none) */
    int64_t *fwd_tmp, *fwd_pack;   /* per kernel: offsets within scratch */
    int64_t scratch, scratch_floats;
    int64_t arena_floats;
    PtrVec inputs;          /* Layer*: every input the step reads, declaration order */
    int nslots;             /* optimiser state arrays of param_floats: 0, 1 (sgd momentum) or 2 (adam) */
    bool loss_sets;         /* the loss writes the prediction's gradient with = (mse, l1, bce) */
    bool *gr_set;           /* per layer id: its gradient's first writer sets it, so
                             * the step does not clear it (see plan_grad_writes) */
} TrainPlan;

TrainPlan *lower_train(Arena *a, const Schedule *s);

/* What a network's state holds, in floats, and its size in bytes: what the
 * generated header's macros say and what `netc check` prints. */
typedef struct NetMemory {
    int64_t params;        /* parameters and running statistics */
    int64_t arena;         /* activations and scratch: the larger of the two plans */
    int64_t infer_arena;   /* the inference plan alone */
    int64_t train_extra;   /* gradients and optimiser state */
    int64_t state_bytes;   /* sizeof(NAME_state) with 64-byte aligned arrays */
} NetMemory;
NetMemory net_memory(const Schedule *s, const TrainPlan *tp);
#endif
