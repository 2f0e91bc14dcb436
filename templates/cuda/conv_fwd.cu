/* templates/cuda/conv_fwd.cu — convolution forward, gather form.
 *
 * Kernel netc_conv_fwd(x, w, b, y): y = act(conv(x, w) + b).  A convolution is the
 * input gradient of the transposed convolution with the same weights, so this is
 * tconv_dx.cu plus bias and activation, instantiated with the tconv macros of that
 * transposed problem: NETC_CIN = the convolution's output channels, NETC_COUT = its
 * input channels, NETC_I* = its output size, NETC_O* = its input size; K, S, D, PB
 * and GROUPS as written.  w [COUT_conv, CIN_conv/G, K...] is then tconv_common's
 * w [CIN, COUT/G, K...].  One thread per output element (N*CIN*I0*I1*I2), no atomics.
 */
#include "tconv_common.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_conv_fwd)(const float *NETC_RESTRICT x,
                                                const float *NETC_RESTRICT w,
                                                const float *NETC_RESTRICT b,
                                                float *NETC_RESTRICT y)
{
    NETC_IDX gid = (NETC_IDX)blockIdx.x * NETC_BLOCK + (NETC_IDX)threadIdx.x;
    if (gid >= (NETC_IDX)NETC_N * NETC_CIN * NETC_ISZ) return;
    NETC_IDX r = gid;
    int i2 = (int)(r % NETC_I2); r /= NETC_I2;
    int i1 = (int)(r % NETC_I1); r /= NETC_I1;
    int i0 = (int)(r % NETC_I0); r /= NETC_I0;
    int co = (int)(r % NETC_CIN);
    int n = (int)(r / NETC_CIN);
    int g = co / NETC_CG;

    int ta0, oa0, ta1, oa1, ta2, oa2;
    int n0 = netc_dx_taps(i0, NETC_O0, NETC_K0, NETC_S0, NETC_D0, NETC_PB0, &ta0, &oa0);
    int n1 = netc_dx_taps(i1, NETC_O1, NETC_K1, NETC_S1, NETC_D1, NETC_PB1, &ta1, &oa1);
    int n2 = netc_dx_taps(i2, NETC_O2, NETC_K2, NETC_S2, NETC_D2, NETC_PB2, &ta2, &oa2);

    const float *xg = x + ((NETC_IDX)n * NETC_COUT + (NETC_IDX)g * NETC_FG) * NETC_OSZ;
    const float *wc = w + (NETC_IDX)co * NETC_FG * NETC_KT;
    float acc = 0.0f;
    for (int j0 = 0; j0 < n0; j0++) {
        int t0 = ta0 + j0, o0 = oa0 + j0 * NETC_D0;
        for (int j1 = 0; j1 < n1; j1++) {
            int t1 = ta1 + j1, o1 = oa1 + j1 * NETC_D1;
            for (int j2 = 0; j2 < n2; j2++) {
                int t2 = ta2 + j2, o2 = oa2 + j2 * NETC_D2;
                int xo = (o0 * NETC_O1 + o1) * NETC_O2 + o2;
                int wo = (t0 * NETC_K1 + t1) * NETC_K2 + t2;
                for (int c = 0; c < NETC_FG; c++)
                    acc += wc[(NETC_IDX)c * NETC_KT + wo] * xg[(NETC_IDX)c * NETC_OSZ + xo];
            }
        }
    }
    if (NETC_BIAS) acc += b[co];
    y[gid] = NETC_FN(netc_act)(acc);
}
NETC_HOST_ENTRY4(NETC_FN(netc_conv_fwd), const float *, const float *, const float *, float *)
