/* templates/cuda/act_bwd.cu — gradient through an activation, from its output y:
 * gx[i] = gy[i] * act'(y[i]), or += with NETC_ACCUM 1; NETC_COUNT threads.  gx may
 * be gy (in place: each thread reads, then writes its own element), so no restrict. */
#include "elem.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_act_bwd)(const float *gy, const float *y, float *gx)
{
    NETC_IDX i = NETC_GID;
    if (i >= (NETC_IDX)NETC_COUNT) return;
    float g = gy[i] * NETC_FN(netc_act_grad_from_y)(y[i]);
    if (NETC_ACCUM) gx[i] += g;
    else gx[i] = g;
}
NETC_HOST_ENTRY3(NETC_FN(netc_act_bwd), const float *, const float *, float *)
