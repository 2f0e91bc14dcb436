/* templates/cuda/tconv_dw.cu — transposed convolution weight and bias gradients.
 *
 * Kernel netc_tconv_dw(x, dz, dw, db): one thread per parameter element, each
 * reducing over the batch and the positions it touches, no atomics:
 *   threads [0, CIN*FG*KT):   dw[ci, f, t] = sum over n, input positions i with
 *                             o = i*S - PB + t*D in [0, O) of x[n, ci, i] * dz[n, g*FG+f, o]
 *   threads [CIN*FG*KT, +COUT) when NETC_BIAS:  db[co] = sum over n, o of dz[n, co, o]
 * dz is the gradient at the pre-activation output (tconv_dact.cu).  The gradients
 * are written, not accumulated; db may be null when NETC_BIAS is 0.
 */
#include "tconv_common.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_tconv_dw)(const float *NETC_RESTRICT x,
                                       const float *NETC_RESTRICT dz,
                                       float *NETC_RESTRICT dw,
                                       float *NETC_RESTRICT db)
{
    const NETC_IDX nw = (NETC_IDX)NETC_CIN * NETC_FG * NETC_KT;
    NETC_IDX gid = (NETC_IDX)blockIdx.x * NETC_BLOCK + (NETC_IDX)threadIdx.x;
    if (gid >= nw + (NETC_BIAS ? NETC_COUT : 0)) return;
    if (gid >= nw) {
        int co = (int)(gid - nw);
        float acc = 0.0f;
        for (int n = 0; n < NETC_N; n++) {
            const float *p = dz + ((NETC_IDX)n * NETC_COUT + co) * NETC_OSZ;
            for (int o = 0; o < NETC_OSZ; o++) acc += p[o];
        }
        db[co] = acc;
        return;
    }
    NETC_IDX r = gid;
    int t2 = (int)(r % NETC_K2); r /= NETC_K2;
    int t1 = (int)(r % NETC_K1); r /= NETC_K1;
    int t0 = (int)(r % NETC_K0); r /= NETC_K0;
    int f = (int)(r % NETC_FG);
    int ci = (int)(r / NETC_FG);
    int co = (ci / NETC_CG) * NETC_FG + f;

    int ia0, oa0, ia1, oa1, ia2, oa2;
    int n0 = netc_dw_positions(t0, NETC_I0, NETC_O0, NETC_S0, NETC_D0, NETC_PB0, &ia0, &oa0);
    int n1 = netc_dw_positions(t1, NETC_I1, NETC_O1, NETC_S1, NETC_D1, NETC_PB1, &ia1, &oa1);
    int n2 = netc_dw_positions(t2, NETC_I2, NETC_O2, NETC_S2, NETC_D2, NETC_PB2, &ia2, &oa2);

    float acc = 0.0f;
    for (int n = 0; n < NETC_N; n++) {
        const float *xn = x + ((NETC_IDX)n * NETC_CIN + ci) * NETC_ISZ;
        const float *dzn = dz + ((NETC_IDX)n * NETC_COUT + co) * NETC_OSZ;
        for (int j0 = 0; j0 < n0; j0++) {
            int i0 = ia0 + j0, o0 = oa0 + j0 * NETC_S0;
            for (int j1 = 0; j1 < n1; j1++) {
                int i1 = ia1 + j1, o1 = oa1 + j1 * NETC_S1;
                const float *xr = xn + (i0 * NETC_I1 + i1) * NETC_I2 + ia2;
                const float *dr = dzn + (o0 * NETC_O1 + o1) * NETC_O2 + oa2;
                for (int j2 = 0; j2 < n2; j2++)
                    acc += xr[j2] * dr[j2 * NETC_S2];
            }
        }
    }
    dw[gid] = acc;
}
NETC_HOST_ENTRY4(NETC_FN(netc_tconv_dw), const float *, const float *, float *, float *)
