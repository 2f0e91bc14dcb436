/* templates/cuda/act_fwd.cu — an activation layer: y[i] = act(x[i]), NETC_COUNT
 * threads.  (act.cuh: NETC_ACT, NETC_ALPHA.) */
#include "elem.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_act_fwd)(const float *NETC_RESTRICT x, float *NETC_RESTRICT y)
{
    NETC_IDX i = NETC_GID;
    if (i >= (NETC_IDX)NETC_COUNT) return;
    y[i] = NETC_FN(netc_act)(x[i]);
}
NETC_HOST_ENTRY2(NETC_FN(netc_act_fwd), const float *, float *)
