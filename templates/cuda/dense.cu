/* templates/cuda/dense.cu — a dense layer, PyTorch's Linear: x [N, IN], w [UNITS, IN],
 * b [UNITS], y [N, UNITS].  Three kernels, one writer per element, no atomics:
 *   netc_dense_fwd(x, w, b, y)    y[n,u] = act(b[u] + sum_i w[u,i] x[n,i])   N*UNITS threads
 *   netc_dense_dw(gy, x, dw, db)  dw[u,i] = sum_n gy[n,u] x[n,i]; then, when
 *                                 NETC_BIAS, db[u] = sum_n gy[n,u]   UNITS*IN + UNITS*BIAS
 *   netc_dense_dx(gy, w, gx)      gx[n,i] += sum_u gy[n,u] w[u,i]    N*IN threads
 * gy is the gradient at the pre-activation (act_bwd.cu first).  Defines: NETC_N,
 * NETC_IN, NETC_UNITS, NETC_BIAS (1), act.cuh's NETC_ACT / NETC_ALPHA. */
#include "elem.cuh"
#ifndef NETC_BIAS
#define NETC_BIAS 1
#endif

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_dense_fwd)(const float *NETC_RESTRICT x,
                                                 const float *NETC_RESTRICT w,
                                                 const float *NETC_RESTRICT b,
                                                 float *NETC_RESTRICT y)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= (NETC_IDX)NETC_N * NETC_UNITS) return;
    NETC_IDX n = gid / NETC_UNITS, u = gid % NETC_UNITS;
    const float *xr = x + n * NETC_IN, *wr = w + u * NETC_IN;
    float acc = 0.0f;
    for (int i = 0; i < NETC_IN; i++) acc += wr[i] * xr[i];
    if (NETC_BIAS) acc += b[u];
    y[gid] = NETC_FN(netc_act)(acc);
}
NETC_HOST_ENTRY4(NETC_FN(netc_dense_fwd), const float *, const float *, const float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_dense_dw)(const float *NETC_RESTRICT gy,
                                                const float *NETC_RESTRICT x,
                                                float *NETC_RESTRICT dw,
                                                float *NETC_RESTRICT db)
{
    const NETC_IDX nw = (NETC_IDX)NETC_UNITS * NETC_IN;
    NETC_IDX gid = NETC_GID;
    if (gid >= nw + (NETC_BIAS ? NETC_UNITS : 0)) return;
    float acc = 0.0f;
    if (gid >= nw) {
        NETC_IDX u = gid - nw;
        for (int n = 0; n < NETC_N; n++) acc += gy[(NETC_IDX)n * NETC_UNITS + u];
        db[u] = acc;
        return;
    }
    NETC_IDX u = gid / NETC_IN, i = gid % NETC_IN;
    for (int n = 0; n < NETC_N; n++)
        acc += gy[(NETC_IDX)n * NETC_UNITS + u] * x[(NETC_IDX)n * NETC_IN + i];
    dw[gid] = acc;
}
NETC_HOST_ENTRY4(NETC_FN(netc_dense_dw), const float *, const float *, float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_dense_dx)(const float *NETC_RESTRICT gy,
                                                const float *NETC_RESTRICT w,
                                                float *NETC_RESTRICT gx)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= (NETC_IDX)NETC_N * NETC_IN) return;
    NETC_IDX n = gid / NETC_IN, i = gid % NETC_IN;
    float acc = 0.0f;
    for (int u = 0; u < NETC_UNITS; u++) acc += gy[n * NETC_UNITS + u] * w[(NETC_IDX)u * NETC_IN + i];
    gx[gid] += acc;
}
NETC_HOST_ENTRY3(NETC_FN(netc_dense_dx), const float *, const float *, float *)
