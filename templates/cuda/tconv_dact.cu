/* templates/cuda/tconv_dact.cu — gradient through the fused activation.
 *
 * Kernel netc_tconv_dact(dy, y, dz): dz = dy * act'(z), with act' written in terms of
 * the forward output y (netc_act_grad_from_y), one thread per element of y
 * (N*COUT*O0*O1*O2).  dz may alias dy (each thread reads then writes its own
 * element), so this one is declared without restrict.  Not needed for identity.
 */
#include "tconv_common.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_tconv_dact)(const float *dy, const float *y, float *dz)
{
    NETC_IDX gid = (NETC_IDX)blockIdx.x * NETC_BLOCK + (NETC_IDX)threadIdx.x;
    if (gid >= (NETC_IDX)NETC_N * NETC_COUT * NETC_OSZ) return;
    dz[gid] = dy[gid] * NETC_FN(netc_act_grad_from_y)(y[gid]);
}
NETC_HOST_ENTRY3(NETC_FN(netc_tconv_dact), const float *, const float *, float *)
