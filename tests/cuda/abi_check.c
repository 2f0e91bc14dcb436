/* tests/cuda/abi_check.c — compiled (never run) by tests/cuda/suite.sh with the CUDA
 * toolkit's headers: every entry of netc's driver table and NVRTC table must accept
 * the toolkit's own function, and netc's enum values must equal cuda.h's.  With
 * -Werror any difference in arity, pointer levels or integer widths is an error.
 */
#include <cuda.h>
#include <nvrtc.h>
#define NETC_CUDA_TOOLKIT_TYPES
#include "cuda_driver.h"
#define NETC_NVRTC_TOOLKIT_TYPES
#include "../../compiler/nvrtc.c"

_Static_assert(sizeof(CUdeviceptr) == sizeof(unsigned long long), "CUdeviceptr is 64-bit");
_Static_assert(sizeof(CUresult) == sizeof(int) && sizeof(CUdevice) == sizeof(int), "int-sized");
_Static_assert(sizeof(CUdevice_attribute) == sizeof(int) && sizeof(CUjit_option) == sizeof(int) &&
               sizeof(CUfunction_attribute) == sizeof(int) && sizeof(nvrtcResult) == sizeof(int),
               "enums are int-sized");
#define SAME(a, b) _Static_assert((int)(a) == (int)(b), #a " == " #b);
SAME(NETC_CUDA_SUCCESS, CUDA_SUCCESS)
SAME(NETC_CUDA_ERROR_INVALID_VALUE, CUDA_ERROR_INVALID_VALUE)
SAME(NETC_CUDA_ERROR_OUT_OF_MEMORY, CUDA_ERROR_OUT_OF_MEMORY)
SAME(NETC_CUDA_ERROR_NOT_INITIALIZED, CUDA_ERROR_NOT_INITIALIZED)
SAME(NETC_CUDA_ERROR_NO_DEVICE, CUDA_ERROR_NO_DEVICE)
SAME(NETC_CUDA_ERROR_INVALID_DEVICE, CUDA_ERROR_INVALID_DEVICE)
SAME(NETC_CUDA_ERROR_INVALID_IMAGE, CUDA_ERROR_INVALID_IMAGE)
SAME(NETC_CUDA_ERROR_INVALID_CONTEXT, CUDA_ERROR_INVALID_CONTEXT)
SAME(NETC_CUDA_ERROR_NO_BINARY_FOR_GPU, CUDA_ERROR_NO_BINARY_FOR_GPU)
SAME(NETC_CUDA_ERROR_INVALID_HANDLE, CUDA_ERROR_INVALID_HANDLE)
SAME(NETC_CUDA_ERROR_NOT_FOUND, CUDA_ERROR_NOT_FOUND)
SAME(NETC_CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES)
SAME(NETC_CUDA_ERROR_NOT_SUPPORTED, CUDA_ERROR_NOT_SUPPORTED)
SAME(NETC_CUDA_ERROR_UNKNOWN, CUDA_ERROR_UNKNOWN)
SAME(NETC_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT)
SAME(NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
SAME(NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
SAME(NETC_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK)
SAME(NETC_CU_FUNC_ATTRIBUTE_NUM_REGS, CU_FUNC_ATTRIBUTE_NUM_REGS)
SAME(NETC_CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER)
SAME(NETC_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES)

void netc_abi_check(netc_cu_api *a, netc_nvrtc_api *n);
void netc_abi_check(netc_cu_api *a, netc_nvrtc_api *n)
{
#define CU(ret, name, params) a->name = name;
    NETC_CUDA_FUNCS(CU)
#define NV(ret, name, params) n->name = nvrtc##name;
    NETC_NVRTC_FUNCS(NV)
}
