/* templates/cuda/bias_grad.cu — db[c] = sum over n < NETC_N, p < NETC_P of
 * dy[(n*NETC_C + c)*NETC_P + p], one thread per channel (NETC_C threads), summed in
 * the C printer's order. */
#include "elem.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_bias_grad)(const float *NETC_RESTRICT dy, float *NETC_RESTRICT db)
{
    NETC_IDX c = NETC_GID;
    if (c >= NETC_C) return;
    float sum = 0.0f;
    for (int n = 0; n < NETC_N; n++) {
        const float *p = dy + ((NETC_IDX)n * NETC_C + c) * NETC_P;
        for (int o = 0; o < NETC_P; o++) sum += p[o];
    }
    db[c] = sum;
}
NETC_HOST_ENTRY2(NETC_FN(netc_bias_grad), const float *, float *)
