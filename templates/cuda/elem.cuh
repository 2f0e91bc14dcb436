/* templates/cuda/elem.cuh — defaults shared by the kernels that are not convolutions
 * (act, copy, dense, batchnorm, loss, optimiser).  One thread per element or per
 * reduction, 1-D grid of NETC_BLOCK-thread blocks; NETC_IDX is the linear index type
 * (int, or long long when a count reaches 2^31); NETC_ACCUM 1 adds to the output
 * instead of storing.  Per instance, like tconv_common.cuh (reset.cuh undoes it). */
#include "shim.h"
#include "act.cuh"
#ifndef NETC_BLOCK
#define NETC_BLOCK 256
#endif
#ifndef NETC_IDX
#define NETC_IDX int
#endif
#ifndef NETC_ACCUM
#define NETC_ACCUM 0
#endif
#define NETC_GID ((NETC_IDX)blockIdx.x * NETC_BLOCK + (NETC_IDX)threadIdx.x)
