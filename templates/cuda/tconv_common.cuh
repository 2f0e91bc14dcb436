/* templates/cuda/tconv_common.cuh — shape constants and helpers shared by the
 * transposed-convolution kernels (tconv_fwd.cu, tconv_dact.cu, tconv_dx.cu,
 * tconv_dw.cu).  Valid CUDA and, through shim.h, valid C11.
 *
 * Every shape constant is a #define prepended by whoever instantiates the template
 * (the compiler's CUDA printer, the tests), so each compiled kernel is specialised
 * and every loop bound and divisor is a literal.  Tensors are contiguous, PyTorch
 * layout, with a 1-D or 2-D problem written as 3-D with trailing axes of size 1:
 *   x  [N, CIN, I0, I1, I2]     w [CIN, COUT/GROUPS, K0, K1, K2]     b [COUT]
 *   y  [N, COUT, O0, O1, O2]    (dy, dz have y's shape, dx has x's, dw w's)
 *
 * Each inclusion is one instance: the shape part below is read again every time
 * (the instantiator #undefs it between instances, templates/cuda/reset.cuh); the
 * helpers are guarded.  NETC_ACCUM 1 makes fwd and dx add to their output.
 *
 * Required:  NETC_N NETC_CIN NETC_COUT NETC_I0 NETC_O0 NETC_K0
 * Optional (default):
 *   NETC_GROUPS (1)
 *   NETC_I1 NETC_I2 NETC_O1 NETC_O2 NETC_K1 NETC_K2 (1)   unused axes stay 1
 *   NETC_S0..2 stride (1)  NETC_D0..2 dilation (1)  NETC_PB0..2 begin padding (0)
 *   NETC_TS0..2  tap step s/gcd(s,d): derived here when the stride is <= 16
 *   NETC_BIAS (1)  NETC_ACT (NETC_ACT_IDENTITY)  NETC_ALPHA (0.01f, leaky_relu/elu)
 *   NETC_BLOCK threads per block (256)  NETC_IDX linear index type (int; the
 *   instantiator passes `long long` when a tensor has 2^31 elements or more)
 * End padding and output_padding only matter through O: the instantiator computes
 *   O = (I - 1)*S - PB - PE + D*(K - 1) + A + 1.
 *
 * The forward gathers: y[n, g*FG+f, o] = act(b + sum over c < CG and the taps t with
 * (o + PB - t*D) divisible by S and quotient i in [0, I) of x[n, g*CG+c, i] * w[...]).
 */
#include "shim.h"
#include "act.cuh"

#ifndef NETC_TCONV_HELPERS_CUH
#define NETC_TCONV_HELPERS_CUH
/* Floor and ceiling division by a positive divisor, for numerators of any sign. */
NETC_DEVICE_MAYBE_UNUSED int netc_floordiv(int a, int b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
NETC_DEVICE_MAYBE_UNUSED int netc_ceildiv(int a, int b)  { return a >= 0 ? (a + b - 1) / b : -((-a) / b); }
NETC_DEVICE_MAYBE_UNUSED int netc_imax(int a, int b) { return a > b ? a : b; }
NETC_DEVICE_MAYBE_UNUSED int netc_imin(int a, int b) { return a < b ? a : b; }

/* Forward taps on one axis for output coordinate o: the taps t in [0, K) with
 * q = o + PB - t*D >= 0, q divisible by S and i = q / S < I.  They are *t0, *t0+TS,
 * ... (count returned), touching inputs *i0, *i0 - TS*D/S, ...  Only the (at most
 * TS) candidates before the first hit are examined; no tap is visited in vain. */
NETC_DEVICE_MAYBE_UNUSED int netc_fwd_taps(int o, int I, int K, int S, int D, int PB, int TS,
                              int *t0, int *i0)
{
    int q = o + PB;
    int tlo = netc_imax(0, netc_ceildiv(q - (I - 1) * S, D));
    int thi = netc_imin(K - 1, q / D);
    int j, t = thi + 1;
    for (j = 0; j < TS; j++) {
        if ((q - (tlo + j) * D) % S == 0) { t = tlo + j; break; }
    }
    *t0 = t;
    *i0 = (q - t * D) / S;
    return t <= thi ? (thi - t) / TS + 1 : 0;
}

/* Input-gradient taps for input coordinate i: t in [0, K) with o = i*S - PB + t*D
 * in [0, O).  Returns the count, first tap in *t0 and its output coordinate in *o0
 * (next taps: +1, output +D). */
NETC_DEVICE_MAYBE_UNUSED int netc_dx_taps(int i, int O, int K, int S, int D, int PB, int *t0, int *o0)
{
    int base = i * S - PB;
    int tlo = netc_imax(0, netc_ceildiv(-base, D));
    int thi = netc_imin(K - 1, netc_floordiv(O - 1 - base, D));
    *t0 = tlo;
    *o0 = base + tlo * D;
    return thi >= tlo ? thi - tlo + 1 : 0;
}

/* Weight-gradient positions for tap t: i in [0, I) with o = i*S - PB + t*D in
 * [0, O).  Returns the count, first input in *i0 and its output in *o0 (next: +1, +S). */
NETC_DEVICE_MAYBE_UNUSED int netc_dw_positions(int t, int I, int O, int S, int D, int PB, int *i0, int *o0)
{
    int base = t * D - PB;
    int ilo = netc_imax(0, netc_ceildiv(-base, S));
    int ihi = netc_imin(I - 1, netc_floordiv(O - 1 - base, S));
    *i0 = ilo;
    *o0 = ilo * S + base;
    return ihi >= ilo ? ihi - ilo + 1 : 0;
}

#endif /* NETC_TCONV_HELPERS_CUH */

#if !defined(NETC_N) || !defined(NETC_CIN) || !defined(NETC_COUT) || \
    !defined(NETC_I0) || !defined(NETC_O0) || !defined(NETC_K0)
#error "tconv template: NETC_N NETC_CIN NETC_COUT NETC_I0 NETC_O0 NETC_K0 are required"
#endif
#ifndef NETC_GROUPS
#define NETC_GROUPS 1
#endif
#ifndef NETC_I1
#define NETC_I1 1
#endif
#ifndef NETC_I2
#define NETC_I2 1
#endif
#ifndef NETC_O1
#define NETC_O1 1
#endif
#ifndef NETC_O2
#define NETC_O2 1
#endif
#ifndef NETC_K1
#define NETC_K1 1
#endif
#ifndef NETC_K2
#define NETC_K2 1
#endif
#ifndef NETC_S0
#define NETC_S0 1
#endif
#ifndef NETC_S1
#define NETC_S1 1
#endif
#ifndef NETC_S2
#define NETC_S2 1
#endif
#ifndef NETC_D0
#define NETC_D0 1
#endif
#ifndef NETC_D1
#define NETC_D1 1
#endif
#ifndef NETC_D2
#define NETC_D2 1
#endif
#ifndef NETC_PB0
#define NETC_PB0 0
#endif
#ifndef NETC_PB1
#define NETC_PB1 0
#endif
#ifndef NETC_PB2
#define NETC_PB2 0
#endif
#ifndef NETC_BIAS
#define NETC_BIAS 1
#endif
#ifndef NETC_BLOCK
#define NETC_BLOCK 256
#endif
#ifndef NETC_IDX
#define NETC_IDX int
#endif
#ifndef NETC_ACCUM
#define NETC_ACCUM 0
#endif

#if NETC_CIN % NETC_GROUPS != 0 || NETC_COUT % NETC_GROUPS != 0
#error "tconv template: NETC_GROUPS must divide NETC_CIN and NETC_COUT"
#endif

/* Smallest j >= 1 with j*d divisible by s, i.e. s / gcd(s, d), as a constant
 * expression (taps that reach one output coordinate are this far apart). */
#define NETC_TSTEP_(s, d) \
    ((1*(d))%(s)==0 ? 1 : (2*(d))%(s)==0 ? 2 : (3*(d))%(s)==0 ? 3 : \
     (4*(d))%(s)==0 ? 4 : (5*(d))%(s)==0 ? 5 : (6*(d))%(s)==0 ? 6 : \
     (7*(d))%(s)==0 ? 7 : (8*(d))%(s)==0 ? 8 : (9*(d))%(s)==0 ? 9 : \
     (10*(d))%(s)==0 ? 10 : (11*(d))%(s)==0 ? 11 : (12*(d))%(s)==0 ? 12 : \
     (13*(d))%(s)==0 ? 13 : (14*(d))%(s)==0 ? 14 : (15*(d))%(s)==0 ? 15 : (s))
#if !defined(NETC_TS0) && NETC_S0 > 16
#error "tconv template: stride > 16 on axis 0, pass NETC_TS0 = s / gcd(s, d)"
#endif
#if !defined(NETC_TS1) && NETC_S1 > 16
#error "tconv template: stride > 16 on axis 1, pass NETC_TS1 = s / gcd(s, d)"
#endif
#if !defined(NETC_TS2) && NETC_S2 > 16
#error "tconv template: stride > 16 on axis 2, pass NETC_TS2 = s / gcd(s, d)"
#endif
#ifndef NETC_TS0
#define NETC_TS0 NETC_TSTEP_(NETC_S0, NETC_D0)
#endif
#ifndef NETC_TS1
#define NETC_TS1 NETC_TSTEP_(NETC_S1, NETC_D1)
#endif
#ifndef NETC_TS2
#define NETC_TS2 NETC_TSTEP_(NETC_S2, NETC_D2)
#endif

#define NETC_CG  (NETC_CIN / NETC_GROUPS)            /* input channels per group  */
#define NETC_FG  (NETC_COUT / NETC_GROUPS)           /* output channels per group */
#define NETC_ISZ (NETC_I0 * NETC_I1 * NETC_I2)       /* input positions           */
#define NETC_OSZ (NETC_O0 * NETC_O1 * NETC_O2)       /* output positions          */
#define NETC_KT  (NETC_K0 * NETC_K1 * NETC_K2)       /* taps                      */
