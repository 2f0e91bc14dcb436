/* templates/cuda/batchnorm.cu — batch normalisation over x [N, C, P] (P positions per
 * channel), PyTorch's BatchNorm with the C printer's arithmetic, no atomics:
 *   netc_bn_infer(x, w, b, rmean, rvar, y)      running statistics; N*C*P threads
 *   netc_bn_stats(x, rmean, rvar, mean, invstd)  training: one thread per channel takes
 *        the batch mean and biased variance, saves mean and 1/sqrt(var + eps) for
 *        backward and moves the running estimates (unbiased variance)
 *   netc_bn_apply(x, w, b, mean, invstd, y)      training normalisation; N*C*P threads
 *   netc_bn_bwd_reduce(gy, x, mean, invstd, dw, db)   per channel: db = sum gy,
 *        dw = sum gy * xhat (the parameter gradients, or scratch when not wanted)
 *   netc_bn_bwd_dx(gy, x, mean, invstd, w, dw, db, gx)  gx += w*invstd/M *
 *        (M*gy - db - xhat*dw); N*C*P threads
 * Defines: NETC_N, NETC_C, NETC_P, NETC_M (float literal N*P), NETC_EPS, NETC_MOMENTUM,
 * NETC_UNBIAS (M/(M-1)), all float literals except the first three. */
#include "elem.cuh"
#define NETC_BN_TOTAL ((NETC_IDX)NETC_N * NETC_C * NETC_P)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_bn_infer)(const float *NETC_RESTRICT x,
                                                const float *NETC_RESTRICT w,
                                                const float *NETC_RESTRICT b,
                                                const float *NETC_RESTRICT rmean,
                                                const float *NETC_RESTRICT rvar,
                                                float *NETC_RESTRICT y)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= NETC_BN_TOTAL) return;
    int ch = (int)(gid / NETC_P % NETC_C);
    const float scale = w[ch] / sqrtf(rvar[ch] + NETC_EPS);
    const float shift = b[ch] - rmean[ch] * scale;
    y[gid] = x[gid] * scale + shift;
}
NETC_HOST_ENTRY6(NETC_FN(netc_bn_infer), const float *, const float *, const float *,
                 const float *, const float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_bn_stats)(const float *NETC_RESTRICT x,
                                                float *NETC_RESTRICT rmean,
                                                float *NETC_RESTRICT rvar,
                                                float *NETC_RESTRICT mean_out,
                                                float *NETC_RESTRICT invstd_out)
{
    NETC_IDX ch = NETC_GID;
    if (ch >= NETC_C) return;
    float sum = 0.0f, sq = 0.0f;
    for (int n = 0; n < NETC_N; n++)
        for (int p = 0; p < NETC_P; p++) sum += x[((NETC_IDX)n * NETC_C + ch) * NETC_P + p];
    const float mean = sum / NETC_M;
    for (int n = 0; n < NETC_N; n++)
        for (int p = 0; p < NETC_P; p++) {
            const float d = x[((NETC_IDX)n * NETC_C + ch) * NETC_P + p] - mean;
            sq += d * d;
        }
    const float var = sq / NETC_M;
    mean_out[ch] = mean;
    invstd_out[ch] = 1.0f / sqrtf(var + NETC_EPS);
    rmean[ch] = (1.0f - NETC_MOMENTUM) * rmean[ch] + NETC_MOMENTUM * mean;
    rvar[ch] = (1.0f - NETC_MOMENTUM) * rvar[ch] + NETC_MOMENTUM * var * NETC_UNBIAS;
}
NETC_HOST_ENTRY5(NETC_FN(netc_bn_stats), const float *, float *, float *, float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_bn_apply)(const float *NETC_RESTRICT x,
                                                const float *NETC_RESTRICT w,
                                                const float *NETC_RESTRICT b,
                                                const float *NETC_RESTRICT mean,
                                                const float *NETC_RESTRICT invstd,
                                                float *NETC_RESTRICT y)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= NETC_BN_TOTAL) return;
    int ch = (int)(gid / NETC_P % NETC_C);
    const float scale = w[ch] * invstd[ch];
    const float shift = b[ch] - mean[ch] * scale;
    y[gid] = x[gid] * scale + shift;
}
NETC_HOST_ENTRY6(NETC_FN(netc_bn_apply), const float *, const float *, const float *,
                 const float *, const float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_bn_bwd_reduce)(const float *NETC_RESTRICT gy,
                                                     const float *NETC_RESTRICT x,
                                                     const float *NETC_RESTRICT mean,
                                                     const float *NETC_RESTRICT invstd,
                                                     float *NETC_RESTRICT dw,
                                                     float *NETC_RESTRICT db)
{
    NETC_IDX ch = NETC_GID;
    if (ch >= NETC_C) return;
    const float m = mean[ch], is = invstd[ch];
    float sb = 0.0f, sw = 0.0f;
    for (int n = 0; n < NETC_N; n++)
        for (int p = 0; p < NETC_P; p++) {
            const NETC_IDX i = ((NETC_IDX)n * NETC_C + ch) * NETC_P + p;
            const float g = gy[i];
            sb += g;
            sw += g * (x[i] - m) * is;
        }
    dw[ch] = sw;
    db[ch] = sb;
}
NETC_HOST_ENTRY6(NETC_FN(netc_bn_bwd_reduce), const float *, const float *, const float *,
                 const float *, float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_bn_bwd_dx)(const float *NETC_RESTRICT gy,
                                                 const float *NETC_RESTRICT x,
                                                 const float *NETC_RESTRICT mean,
                                                 const float *NETC_RESTRICT invstd,
                                                 const float *NETC_RESTRICT w,
                                                 const float *NETC_RESTRICT dw,
                                                 const float *NETC_RESTRICT db,
                                                 float *NETC_RESTRICT gx)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= NETC_BN_TOTAL) return;
    int ch = (int)(gid / NETC_P % NETC_C);
    const float f = w[ch] * invstd[ch] / NETC_M;
    const float xh = (x[gid] - mean[ch]) * invstd[ch];
    gx[gid] += f * (NETC_M * gy[gid] - db[ch] - xh * dw[ch]);
}
NETC_HOST_ENTRY8(NETC_FN(netc_bn_bwd_dx), const float *, const float *, const float *,
                 const float *, const float *, const float *, const float *, float *)
