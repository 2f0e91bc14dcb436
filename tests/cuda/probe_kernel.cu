/* tests/cuda/probe_kernel.cu — a kernel that records where it ran, to check the
 * emulator's grid walk and shim.h's builtin variables (tests/cuda/unit.c).  Each
 * thread writes its block and thread coordinates and the grid and block sizes into
 * its own 12-slot record, at its global linear index. */
#include "shim.h"

NETC_KERNEL(1024) netc_probe(unsigned *NETC_RESTRICT out)
{
    unsigned block = (blockIdx.z * gridDim.y + blockIdx.y) * gridDim.x + blockIdx.x;
    unsigned thread = (threadIdx.z * blockDim.y + threadIdx.y) * blockDim.x + threadIdx.x;
    unsigned *r = out + 12u * (block * blockDim.x * blockDim.y * blockDim.z + thread);
    r[0] = blockIdx.x;  r[1] = blockIdx.y;  r[2] = blockIdx.z;
    r[3] = threadIdx.x; r[4] = threadIdx.y; r[5] = threadIdx.z;
    r[6] = gridDim.x;   r[7] = gridDim.y;   r[8] = gridDim.z;
    r[9] = blockDim.x;  r[10] = blockDim.y; r[11] = blockDim.z;
}
NETC_HOST_ENTRY1(netc_probe, unsigned *)
