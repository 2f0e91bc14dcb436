/* templates/cuda/tconv_dx.cu — transposed convolution input gradient.
 *
 * Kernel netc_tconv_dx(dz, w, dx): dz is the gradient at the pre-activation output
 * (see tconv_dact.cu).  The input gradient of a transposed convolution is an
 * ordinary strided convolution of dz with w:
 *   dx[n, g*CG+c, i] = sum over f < FG, taps t with o = i*S - PB + t*D in [0, O)
 *                      of w[g*CG+c, f, t] * dz[n, g*FG+f, o]
 * One thread per input element (N*CIN*I0*I1*I2), gather, no atomics.  With
 * NETC_ACCUM 1 the sum is added to dx (a gradient other readers also feed).
 */
#include "tconv_common.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_tconv_dx)(const float *NETC_RESTRICT dz,
                                       const float *NETC_RESTRICT w,
                                       float *NETC_RESTRICT dx)
{
    NETC_IDX gid = (NETC_IDX)blockIdx.x * NETC_BLOCK + (NETC_IDX)threadIdx.x;
    if (gid >= (NETC_IDX)NETC_N * NETC_CIN * NETC_ISZ) return;
    NETC_IDX r = gid;
    int i2 = (int)(r % NETC_I2); r /= NETC_I2;
    int i1 = (int)(r % NETC_I1); r /= NETC_I1;
    int i0 = (int)(r % NETC_I0); r /= NETC_I0;
    int ci = (int)(r % NETC_CIN);
    int n = (int)(r / NETC_CIN);
    int g = ci / NETC_CG;

    int ta0, oa0, ta1, oa1, ta2, oa2;
    int n0 = netc_dx_taps(i0, NETC_O0, NETC_K0, NETC_S0, NETC_D0, NETC_PB0, &ta0, &oa0);
    int n1 = netc_dx_taps(i1, NETC_O1, NETC_K1, NETC_S1, NETC_D1, NETC_PB1, &ta1, &oa1);
    int n2 = netc_dx_taps(i2, NETC_O2, NETC_K2, NETC_S2, NETC_D2, NETC_PB2, &ta2, &oa2);

    const float *dzg = dz + ((NETC_IDX)n * NETC_COUT + (NETC_IDX)g * NETC_FG) * NETC_OSZ;
    const float *wc = w + (NETC_IDX)ci * NETC_FG * NETC_KT;
    float acc = 0.0f;
    for (int j0 = 0; j0 < n0; j0++) {
        int t0 = ta0 + j0, o0 = oa0 + j0 * NETC_D0;
        for (int j1 = 0; j1 < n1; j1++) {
            int t1 = ta1 + j1, o1 = oa1 + j1 * NETC_D1;
            for (int j2 = 0; j2 < n2; j2++) {
                int t2 = ta2 + j2, o2 = oa2 + j2 * NETC_D2;
                int oo = (o0 * NETC_O1 + o1) * NETC_O2 + o2;
                int wo = (t0 * NETC_K1 + t1) * NETC_K2 + t2;
                for (int f = 0; f < NETC_FG; f++)
                    acc += wc[(NETC_IDX)f * NETC_KT + wo] * dzg[(NETC_IDX)f * NETC_OSZ + oo];
            }
        }
    }
    if (NETC_ACCUM) dx[gid] += acc;
    else dx[gid] = acc;
}
NETC_HOST_ENTRY3(NETC_FN(netc_tconv_dx), const float *, const float *, float *)
