/* templates/cuda/loss_ce.cu — cross entropy over NETC_C classes: logits z [N, C, PER],
 * targets t [N, PER] holding class indices (out of range counts as none), the mean
 * over the N*PER positions (NETC_NF, a float literal), as the C printer computes it:
 *   netc_ce_part(z, t, part)  part[n] = sum over q of lse - z[class]; N threads
 *   netc_ce_grad(z, t, g)     g += (softmax - onehot) / NETC_NF; N*PER threads */
#include "elem.cuh"

NETC_DEVICE float NETC_FN(netc_ce_lse)(const float *z)
{
    float m = z[0];
    for (int ch = 1; ch < NETC_C; ch++) if (z[ch * NETC_PER] > m) m = z[ch * NETC_PER];
    float se = 0.0f;
    for (int ch = 0; ch < NETC_C; ch++) se += expf(z[ch * NETC_PER] - m);
    return m + logf(se);
}

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_ce_part)(const float *NETC_RESTRICT p,
                                               const float *NETC_RESTRICT t,
                                               float *NETC_RESTRICT part)
{
    NETC_IDX n = NETC_GID;
    if (n >= NETC_N) return;
    float s = 0.0f;
    for (int q = 0; q < NETC_PER; q++) {
        const float *z = p + n * (NETC_C * NETC_PER) + q;
        const float lse = NETC_FN(netc_ce_lse)(z);
        const int k = (int)t[n * NETC_PER + q];
        if (k >= 0 && k < NETC_C) s += lse - z[k * NETC_PER];
    }
    part[n] = s;
}
NETC_HOST_ENTRY3(NETC_FN(netc_ce_part), const float *, const float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_ce_grad)(const float *NETC_RESTRICT p,
                                               const float *NETC_RESTRICT t,
                                               float *NETC_RESTRICT g)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= (NETC_IDX)NETC_N * NETC_PER) return;
    NETC_IDX n = gid / NETC_PER, q = gid % NETC_PER;
    const float *z = p + n * (NETC_C * NETC_PER) + q;
    const float lse = NETC_FN(netc_ce_lse)(z);
    const int k = (int)t[n * NETC_PER + q];
    for (int ch = 0; ch < NETC_C; ch++)
        g[n * (NETC_C * NETC_PER) + q + ch * NETC_PER] += (expf(z[ch * NETC_PER] - lse) - (ch == k ? 1.0f : 0.0f)) / NETC_NF;
}
NETC_HOST_ENTRY3(NETC_FN(netc_ce_grad), const float *, const float *, float *)
