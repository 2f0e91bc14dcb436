/* templates/cuda/clip.cu — gradient clipping by global norm (the train block's
 * clip_norm), as the C printer computes it:
 *   netc_clip_norm(g, sc)   one thread: sq = the sum of g[i]^2 over the trained
 *                           parameters' ranges, in order (NETC_RANGES, a list of
 *                           X(begin, end)); sc[0] = NETC_CLIP / (sqrt(sq) + 1e-6)
 *   netc_clip_scale(g, sc)  g[i] *= sc[0] when it is below 1; NETC_COUNT threads
 * Defines: NETC_RANGES, NETC_CLIP (float literal), NETC_COUNT. */
#include "elem.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_clip_norm)(const float *NETC_RESTRICT g, float *NETC_RESTRICT sc)
{
    if (NETC_GID != 0) return;
    float sq = 0.0f;
#define X(b, e) for (NETC_IDX i = (b); i < (e); i++) sq += g[i] * g[i];
    NETC_RANGES
#undef X
    sc[0] = NETC_CLIP / (sqrtf(sq) + 1e-6f);
}
NETC_HOST_ENTRY2(NETC_FN(netc_clip_norm), const float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_clip_scale)(float *NETC_RESTRICT g, const float *NETC_RESTRICT sc)
{
    NETC_IDX i = NETC_GID;
    if (i >= (NETC_IDX)NETC_COUNT) return;
    const float coef = sc[0];
    if (coef < 1.0f) g[i] *= coef;
}
NETC_HOST_ENTRY2(NETC_FN(netc_clip_scale), float *, const float *)
