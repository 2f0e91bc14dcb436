/* templates/cuda/copy.cu — strided row copy: for n < NETC_ROWS and i < NETC_LEN,
 * y[n*NETC_YS + i] = x[n*NETC_XS + i] (+= with NETC_ACCUM 1).  add and concat
 * forward and backward are made of these.  NETC_ROWS*NETC_LEN threads. */
#include "elem.cuh"

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_copy)(const float *x, float *y)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= (NETC_IDX)NETC_ROWS * NETC_LEN) return;
    NETC_IDX n = gid / NETC_LEN, i = gid % NETC_LEN;
    if (NETC_ACCUM) y[n * NETC_YS + i] += x[n * NETC_XS + i];
    else y[n * NETC_YS + i] = x[n * NETC_XS + i];
}
NETC_HOST_ENTRY2(NETC_FN(netc_copy), const float *, float *)
