/* templates/cuda/shim.h — lets one kernel source be both CUDA and plain C.
 *
 * Under NVRTC/nvcc (__CUDACC__ or __CUDACC_RTC__) it only adds the macros the
 * templates use (NETC_KERNEL, NETC_DEVICE, NETC_HOST_ENTRY*).  Compiled as C11 it
 * turns the CUDA vocabulary into ordinary C so runtime/cuda_fake.c can run the very
 * same kernel on the host: blockIdx/blockDim/threadIdx/gridDim become fields of
 * `netc_shim_ctx`, a struct the fake driver's executor fills before calling the
 * kernel once per (block, thread) of the grid, in order.  The C mode therefore has
 * no __syncthreads or __shared__: a template that needs them fails to compile as C,
 * which is the point (the emulator could not honour them).
 *
 * For the emulator every kernel also gets a host entry `<name>__netc_host(void **args)`
 * (NETC_HOST_ENTRYn) taking cuLaunchKernel's kernelParams, so the fake driver can
 * call a kernel whose signature it does not know.  Kernel arguments are device
 * pointers (CUdeviceptr, 64-bit) and are read back with memcpy, never type-punned.
 */
#ifndef NETC_CUDA_SHIM_H
#define NETC_CUDA_SHIM_H

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)

#define NETC_ON_DEVICE 1
/* No __launch_bounds__ unless asked: with (threads) alone ptxas 13 was seen to
 * squeeze 3-D kernels to 40 registers and spill; with (threads, 1) to use 100+.
 * Its default gave 30-60 registers and no spills over tests/cuda's set. */
#ifdef NETC_LAUNCH_MIN_BLOCKS
#define NETC_KERNEL(threads) \
    extern "C" __global__ void __launch_bounds__(threads, NETC_LAUNCH_MIN_BLOCKS)
#else
#define NETC_KERNEL(threads) extern "C" __global__ void
#endif
#define NETC_DEVICE static __device__ __forceinline__
/* helpers an instance may leave unused (act.cuh's pair) */
#define NETC_DEVICE_MAYBE_UNUSED static __attribute__((unused)) __device__ __forceinline__
#define NETC_RESTRICT __restrict__
#define NETC_HOST_ENTRY1(name, t0)
#define NETC_HOST_ENTRY2(name, t0, t1)
#define NETC_HOST_ENTRY3(name, t0, t1, t2)
#define NETC_HOST_ENTRY4(name, t0, t1, t2, t3)
#define NETC_HOST_ENTRY5(name, t0, t1, t2, t3, t4)
#define NETC_HOST_ENTRY6(name, t0, t1, t2, t3, t4, t5)
#define NETC_HOST_ENTRY7(name, t0, t1, t2, t3, t4, t5, t6)
#define NETC_HOST_ENTRY8(name, t0, t1, t2, t3, t4, t5, t6, t7)

#else /* plain C */

/* The executor's view (runtime/cuda_fake.c includes this part only, defining
 * NETC_SHIM_TYPES_ONLY). */
typedef struct netc_dim3 { unsigned x, y, z; } netc_dim3;
typedef struct netc_shim_ctx_t {
    netc_dim3 blockIdx, blockDim, threadIdx, gridDim;
} netc_shim_ctx_t;
#define NETC_SHIM_CTX_SYMBOL "netc_shim_ctx"
#define NETC_SHIM_ENTRY_SUFFIX "__netc_host"

#ifndef NETC_SHIM_TYPES_ONLY
#include <math.h>
#include <string.h>

#define NETC_ON_DEVICE 0

/* One definition per kernel image; weak so several template files may share a TU. */
__attribute__((weak, visibility("default"))) netc_shim_ctx_t netc_shim_ctx;

#define blockIdx  (netc_shim_ctx.blockIdx)
#define blockDim  (netc_shim_ctx.blockDim)
#define threadIdx (netc_shim_ctx.threadIdx)
#define gridDim   (netc_shim_ctx.gridDim)

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __restrict__ restrict
#define __launch_bounds__(...)

#define NETC_KERNEL(threads) static void
#define NETC_DEVICE static inline
#define NETC_DEVICE_MAYBE_UNUSED static inline __attribute__((unused))
#define NETC_RESTRICT restrict

/* Argument i of cuLaunchKernel's kernelParams: a pointer to a CUdeviceptr. */
static inline void *netc_shim_arg(void **args, int i)
{
    unsigned long long v;
    memcpy(&v, args[i], sizeof v);
    return (void *)(unsigned long)v;
}
/* The entries take the kernel's name through one more macro level, so a name that
 * is itself a macro (NETC_FN below) is expanded before it is pasted. */
#define NETC_HOST_ENTRY_HEAD(name) NETC_HOST_ENTRY_HEAD_(name)
#define NETC_HOST_ENTRY_HEAD_(name) \
    __attribute__((visibility("default"))) void name##__netc_host(void **a); \
    __attribute__((visibility("default"))) void name##__netc_host(void **a)
#define NETC_A_(t, i) (t)netc_shim_arg(a, i)
#define NETC_HOST_ENTRY1(name, t0) NETC_HOST_ENTRY_HEAD(name) \
    { name(NETC_A_(t0, 0)); }
#define NETC_HOST_ENTRY2(name, t0, t1) NETC_HOST_ENTRY_HEAD(name) \
    { name(NETC_A_(t0, 0), NETC_A_(t1, 1)); }
#define NETC_HOST_ENTRY3(name, t0, t1, t2) NETC_HOST_ENTRY_HEAD(name) \
    { name(NETC_A_(t0, 0), NETC_A_(t1, 1), NETC_A_(t2, 2)); }
#define NETC_HOST_ENTRY4(name, t0, t1, t2, t3) NETC_HOST_ENTRY_HEAD(name) \
    { name(NETC_A_(t0, 0), NETC_A_(t1, 1), NETC_A_(t2, 2), NETC_A_(t3, 3)); }
#define NETC_HOST_ENTRY5(name, t0, t1, t2, t3, t4) NETC_HOST_ENTRY_HEAD(name) \
    { name(NETC_A_(t0, 0), NETC_A_(t1, 1), NETC_A_(t2, 2), NETC_A_(t3, 3), NETC_A_(t4, 4)); }
#define NETC_HOST_ENTRY6(name, t0, t1, t2, t3, t4, t5) NETC_HOST_ENTRY_HEAD(name) \
    { name(NETC_A_(t0, 0), NETC_A_(t1, 1), NETC_A_(t2, 2), NETC_A_(t3, 3), NETC_A_(t4, 4), \
           NETC_A_(t5, 5)); }
#define NETC_HOST_ENTRY7(name, t0, t1, t2, t3, t4, t5, t6) NETC_HOST_ENTRY_HEAD(name) \
    { name(NETC_A_(t0, 0), NETC_A_(t1, 1), NETC_A_(t2, 2), NETC_A_(t3, 3), NETC_A_(t4, 4), \
           NETC_A_(t5, 5), NETC_A_(t6, 6)); }
#define NETC_HOST_ENTRY8(name, t0, t1, t2, t3, t4, t5, t6, t7) NETC_HOST_ENTRY_HEAD(name) \
    { name(NETC_A_(t0, 0), NETC_A_(t1, 1), NETC_A_(t2, 2), NETC_A_(t3, 3), NETC_A_(t4, 4), \
           NETC_A_(t5, 5), NETC_A_(t6, 6), NETC_A_(t7, 7)); }

#endif /* !NETC_SHIM_TYPES_ONLY */
#endif

/* Kernel and helper names of one instance: NETC_FN(netc_tconv_fwd) is
 * netc_tconv_fwd_<NETC_ID> when the instantiator defines NETC_ID (several instances
 * of one template in one source, as the CUDA printer writes them), else the plain
 * name. */
#define NETC_CAT_(a, b) a##_##b
#define NETC_CAT(a, b) NETC_CAT_(a, b)
#ifdef NETC_ID
#define NETC_FN(name) NETC_CAT(name, NETC_ID)
#else
#define NETC_FN(name) name
#endif
#endif /* NETC_CUDA_SHIM_H */
