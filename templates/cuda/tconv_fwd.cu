/* templates/cuda/tconv_fwd.cu — transposed convolution forward, gather form.
 *
 * Kernel netc_tconv_fwd(x, w, b, y): one thread per output element y[n, co, o0, o1, o2]
 * (N*COUT*O0*O1*O2 threads in blocks of NETC_BLOCK, 1-D grid).  Each thread visits
 * only the taps that reach its output position (netc_fwd_taps), sums over the
 * group's input channels, adds the bias and applies the activation.  No atomics,
 * one writer per element: the result is deterministic.  b may be null when
 * NETC_BIAS is 0; with NETC_ACCUM 1 the plain sum is added to y (no bias, no
 * activation: the input gradient of a convolution).  Shape #defines: see
 * tconv_common.cuh.
 */
#include "tconv_common.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_tconv_fwd)(const float *NETC_RESTRICT x,
                                        const float *NETC_RESTRICT w,
                                        const float *NETC_RESTRICT b,
                                        float *NETC_RESTRICT y)
{
    NETC_IDX gid = (NETC_IDX)blockIdx.x * NETC_BLOCK + (NETC_IDX)threadIdx.x;
    if (gid >= (NETC_IDX)NETC_N * NETC_COUT * NETC_OSZ) return;
    NETC_IDX r = gid;
    int o2 = (int)(r % NETC_O2); r /= NETC_O2;
    int o1 = (int)(r % NETC_O1); r /= NETC_O1;
    int o0 = (int)(r % NETC_O0); r /= NETC_O0;
    int co = (int)(r % NETC_COUT);
    int n = (int)(r / NETC_COUT);
    int g = co / NETC_FG, f = co % NETC_FG;

    int ta0, ia0, ta1, ia1, ta2, ia2;
    int n0 = netc_fwd_taps(o0, NETC_I0, NETC_K0, NETC_S0, NETC_D0, NETC_PB0, NETC_TS0, &ta0, &ia0);
    int n1 = netc_fwd_taps(o1, NETC_I1, NETC_K1, NETC_S1, NETC_D1, NETC_PB1, NETC_TS1, &ta1, &ia1);
    int n2 = netc_fwd_taps(o2, NETC_I2, NETC_K2, NETC_S2, NETC_D2, NETC_PB2, NETC_TS2, &ta2, &ia2);

    const float *xg = x + ((NETC_IDX)n * NETC_CIN + (NETC_IDX)g * NETC_CG) * NETC_ISZ;
    const float *wg = w + ((NETC_IDX)g * NETC_CG * NETC_FG + f) * NETC_KT;
    float acc = 0.0f;
    for (int j0 = 0; j0 < n0; j0++) {
        int t0 = ta0 + j0 * NETC_TS0, i0 = ia0 - j0 * (NETC_TS0 * NETC_D0 / NETC_S0);
        for (int j1 = 0; j1 < n1; j1++) {
            int t1 = ta1 + j1 * NETC_TS1, i1 = ia1 - j1 * (NETC_TS1 * NETC_D1 / NETC_S1);
            for (int j2 = 0; j2 < n2; j2++) {
                int t2 = ta2 + j2 * NETC_TS2, i2 = ia2 - j2 * (NETC_TS2 * NETC_D2 / NETC_S2);
                int xo = (i0 * NETC_I1 + i1) * NETC_I2 + i2;
                int wo = (t0 * NETC_K1 + t1) * NETC_K2 + t2;
                for (int c = 0; c < NETC_CG; c++)
                    acc += xg[(NETC_IDX)c * NETC_ISZ + xo] * wg[(NETC_IDX)c * NETC_FG * NETC_KT + wo];
            }
        }
    }
#if NETC_ACCUM
    (void)b;
    y[gid] += acc;                 /* the input gradient of a convolution */
#else
    if (NETC_BIAS) acc += b[co];
    y[gid] = NETC_FN(netc_act)(acc);
#endif
}
NETC_HOST_ENTRY4(NETC_FN(netc_tconv_fwd), const float *, const float *, const float *, float *)
