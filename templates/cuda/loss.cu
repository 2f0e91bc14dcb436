/* templates/cuda/loss.cu — mse, l1 and bce-on-logits, the mean over every element
 * (PyTorch's reduction = 'mean'), with the C printer's arithmetic:
 *   netc_loss_part(p, t, part)  part[n] = the sum over sample n's NETC_PER elements, in
 *                               blocks of 256;
 *                               NETC_N threads (the host adds the parts in order and
 *                               divides by NETC_NF)
 *   netc_loss_grad(p, t, g)     g[i] += dL/dp[i]; NETC_N*NETC_PER threads
 * NETC_LOSS: 0 mse, 1 l1, 2 bce (BCEWithLogitsLoss's stable form).  NETC_NF is the
 * element count as a float literal. */
#include "elem.cuh"

NETC_DEVICE float NETC_FN(netc_loss_term)(float p, float t)
{
#if NETC_LOSS == 0
    const float d = p - t;
    return d * d;
#elif NETC_LOSS == 1
    const float d = p - t;
    return d < 0.0f ? -d : d;
#elif NETC_LOSS == 2
    const float az = p < 0.0f ? -p : p;
    return (p > 0.0f ? p : 0.0f) - p * t + log1pf(expf(-az));
#else
#error "loss template: unknown NETC_LOSS"
#endif
}

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_loss_part)(const float *NETC_RESTRICT p,
                                                 const float *NETC_RESTRICT t,
                                                 float *NETC_RESTRICT part)
{
    NETC_IDX n = NETC_GID;
    if (n >= NETC_N) return;
    /* in blocks of 256, each block's sum added to the sample's, as the C printer does */
    float s = 0.0f;
    for (NETC_IDX b = 0; b < NETC_PER; b += 256) {
        const NETC_IDX e = b + 256 < NETC_PER ? b + 256 : NETC_PER;
        float blk = 0.0f;
        for (NETC_IDX i = n * NETC_PER + b; i < n * NETC_PER + e; i++) blk += NETC_FN(netc_loss_term)(p[i], t[i]);
        s += blk;
    }
    part[n] = s;
}
NETC_HOST_ENTRY3(NETC_FN(netc_loss_part), const float *, const float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_loss_grad)(const float *NETC_RESTRICT p,
                                                 const float *NETC_RESTRICT t,
                                                 float *NETC_RESTRICT g)
{
    NETC_IDX i = NETC_GID;
    if (i >= (NETC_IDX)NETC_N * NETC_PER) return;
#if NETC_LOSS == 0
    const float d = p[i] - t[i];
    g[i] += 2.0f * d / NETC_NF;
#elif NETC_LOSS == 1
    const float d = p[i] - t[i];
    g[i] += (d > 0.0f ? 1.0f : d < 0.0f ? -1.0f : 0.0f) / NETC_NF;
#else
    const float z = p[i];
    g[i] += (1.0f / (1.0f + expf(-z)) - t[i]) / NETC_NF;
#endif
}
NETC_HOST_ENTRY3(NETC_FN(netc_loss_grad), const float *, const float *, float *)
