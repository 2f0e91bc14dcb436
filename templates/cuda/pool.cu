/* templates/cuda/pool.cu — max and average pooling over x [NC, I0, I1, I2] (NC = samples
 * times channels), windows K, stride S, begin padding PB; the C printer's arithmetic:
 *   netc_pool_fwd(x, y)       one thread per output: the max over the window's real
 *                             inputs (-inf when none), or their sum times NETC_KINV
 *                             (1 / window size: PyTorch's count_include_pad)
 *   netc_pool_bwd(x, gy, gx)  one thread per input element, gathering from every
 *                             output whose window holds it, in output order: max
 *                             routes gy to the window's first largest input, average
 *                             adds gy * NETC_KINV; added to gx.  No atomics.
 * Defines: NETC_NC, NETC_I0..2, NETC_O0..2, NETC_K0..2, NETC_S0..2, NETC_PB0..2 (unused
 * axes 1 / 0), NETC_MAX (1 max, 0 average), NETC_KINV (float literal). */
#include "elem.cuh"
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
#ifndef NETC_S1
#define NETC_S1 1
#endif
#ifndef NETC_S2
#define NETC_S2 1
#endif
#ifndef NETC_PB1
#define NETC_PB1 0
#endif
#ifndef NETC_PB2
#define NETC_PB2 0
#endif
#if NETC_ON_DEVICE
#define NETC_NEG_INF (-__int_as_float(0x7f800000))
#else
#define NETC_NEG_INF (-HUGE_VALF)
#endif
#define NETC_ISZ (NETC_I0 * NETC_I1 * NETC_I2)
#define NETC_OSZ (NETC_O0 * NETC_O1 * NETC_O2)

/* The window of output (q0, q1, q2): the max (or sum) and, for max, the flat index of
 * the first largest real input (-1 when the window holds none). */
NETC_DEVICE float NETC_FN(netc_pool_window)(const float *xs, int q0, int q1, int q2, int *at)
{
    float acc = NETC_MAX ? NETC_NEG_INF : 0.0f;
    *at = -1;
    for (int t0 = 0; t0 < NETC_K0; t0++) {
        int i0 = q0 * NETC_S0 + t0 - NETC_PB0;
        if (i0 < 0 || i0 >= NETC_I0) continue;
        for (int t1 = 0; t1 < NETC_K1; t1++) {
            int i1 = q1 * NETC_S1 + t1 - NETC_PB1;
            if (i1 < 0 || i1 >= NETC_I1) continue;
            for (int t2 = 0; t2 < NETC_K2; t2++) {
                int i2 = q2 * NETC_S2 + t2 - NETC_PB2;
                if (i2 < 0 || i2 >= NETC_I2) continue;
                int i = (i0 * NETC_I1 + i1) * NETC_I2 + i2;
                if (NETC_MAX) {
                    if (xs[i] > acc) { acc = xs[i]; *at = i; }
                } else {
                    acc += xs[i];
                }
            }
        }
    }
    return acc;
}

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_pool_fwd)(const float *NETC_RESTRICT x, float *NETC_RESTRICT y)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= (NETC_IDX)NETC_NC * NETC_OSZ) return;
    NETC_IDX r = gid;
    int q2 = (int)(r % NETC_O2); r /= NETC_O2;
    int q1 = (int)(r % NETC_O1); r /= NETC_O1;
    int q0 = (int)(r % NETC_O0);
    NETC_IDX nc = r / NETC_O0;
    int at;
    float acc = NETC_FN(netc_pool_window)(x + nc * NETC_ISZ, q0, q1, q2, &at);
    y[gid] = NETC_MAX ? acc : acc * NETC_KINV;
}
NETC_HOST_ENTRY2(NETC_FN(netc_pool_fwd), const float *, float *)

/* Outputs whose window holds input i on one axis: q in [lo, hi]. */
NETC_DEVICE_MAYBE_UNUSED void NETC_FN(netc_pool_range)(int i, int K, int S, int PB, int O, int *lo, int *hi)
{
    int a = i + PB - K + 1;          /* q*S >= a */
    int l = a <= 0 ? 0 : (a + S - 1) / S;
    int h = (i + PB) / S;
    *lo = l;
    *hi = h < O - 1 ? h : O - 1;
}

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_pool_bwd)(const float *NETC_RESTRICT x, const float *NETC_RESTRICT gy,
                                                float *NETC_RESTRICT gx)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= (NETC_IDX)NETC_NC * NETC_ISZ) return;
    NETC_IDX r = gid;
    int i2 = (int)(r % NETC_I2); r /= NETC_I2;
    int i1 = (int)(r % NETC_I1); r /= NETC_I1;
    int i0 = (int)(r % NETC_I0);
    NETC_IDX nc = r / NETC_I0;
    int me = (i0 * NETC_I1 + i1) * NETC_I2 + i2;
    int l0, h0, l1, h1, l2, h2;
    NETC_FN(netc_pool_range)(i0, NETC_K0, NETC_S0, NETC_PB0, NETC_O0, &l0, &h0);
    NETC_FN(netc_pool_range)(i1, NETC_K1, NETC_S1, NETC_PB1, NETC_O1, &l1, &h1);
    NETC_FN(netc_pool_range)(i2, NETC_K2, NETC_S2, NETC_PB2, NETC_O2, &l2, &h2);
    const float *xs = x + nc * NETC_ISZ, *g = gy + nc * NETC_OSZ;
    float acc = gx[gid];
    for (int q0 = l0; q0 <= h0; q0++)
        for (int q1 = l1; q1 <= h1; q1++)
            for (int q2 = l2; q2 <= h2; q2++) {
                const float gv = g[(q0 * NETC_O1 + q1) * NETC_O2 + q2];
                if (NETC_MAX) {
                    int at;
                    NETC_FN(netc_pool_window)(xs, q0, q1, q2, &at);
                    if (at == me) acc += gv;
                } else {
                    acc += gv * NETC_KINV;
                }
            }
    gx[gid] = acc;
}
NETC_HOST_ENTRY3(NETC_FN(netc_pool_bwd), const float *, const float *, float *)
