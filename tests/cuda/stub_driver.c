/* tests/cuda/stub_driver.c — a stand-in libcuda.so.1 for the loader's error paths
 * (tests/cuda/unit.c points $NETC_CUDA_DRIVER at it).  Exports the driver symbols
 * netc resolves, with real names; cuInit answers $NETC_STUB_INIT (default 100,
 * CUDA_ERROR_NO_DEVICE), and with 0 a single "netc stub device" of compute
 * capability 8.6 opens.  Built with -DSTUB_OMIT_LAUNCH it lacks cuLaunchKernel.
 * Nothing here runs kernels.
 */
#include "cuda_driver.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))
#define NS NETC_CUDA_ERROR_NOT_SUPPORTED

static struct CUctx_st *const the_ctx = (struct CUctx_st *)&the_ctx;

EXPORT netc_cu_result cuGetErrorString(netc_cu_result e, const char **s)
{
    *s = e == 100 ? "no CUDA-capable device is detected" : "stub error";
    return 0;
}
EXPORT netc_cu_result cuGetErrorName(netc_cu_result e, const char **s)
{
    *s = e == 100 ? "CUDA_ERROR_NO_DEVICE" : e == 209 ? "CUDA_ERROR_NO_BINARY_FOR_GPU"
                                                      : "CUDA_ERROR_STUB";
    return 0;
}
EXPORT netc_cu_result cuInit(unsigned flags)
{
    const char *v = getenv("NETC_STUB_INIT");
    (void)flags;
    return v ? atoi(v) : 100;
}
EXPORT netc_cu_result cuDriverGetVersion(int *v) { *v = 13000; return 0; }
EXPORT netc_cu_result cuDeviceGetCount(int *n) { *n = 1; return 0; }
EXPORT netc_cu_result cuDeviceGet(netc_cu_device *d, int o) { *d = o; return o ? 101 : 0; }
EXPORT netc_cu_result cuDeviceGetName(char *s, int n, netc_cu_device d)
{
    (void)d;
    snprintf(s, (size_t)n, "netc stub device");
    return 0;
}
EXPORT netc_cu_result cuDeviceGetAttribute(int *v, netc_cu_device_attribute a, netc_cu_device d)
{
    (void)d;
    *v = a == NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR ? 8 :
         a == NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR ? 6 : 1;
    return 0;
}
EXPORT netc_cu_result cuDevicePrimaryCtxRetain(netc_cu_context *c, netc_cu_device d)
{
    (void)d;
    *c = the_ctx;
    return 0;
}
EXPORT netc_cu_result cuDevicePrimaryCtxRelease_v2(netc_cu_device d) { (void)d; return 0; }
EXPORT netc_cu_result cuCtxSetCurrent(netc_cu_context c) { (void)c; return 0; }
EXPORT netc_cu_result cuCtxSynchronize(void) { return 0; }
/* Runs nothing, but says what it was handed in the JIT error log: a CUDA ELF
 * (machine 190, a CUBIN) or PTX text; the tests check the right image arrived. */
EXPORT netc_cu_result cuModuleLoadDataEx(netc_cu_module *m, const void *i, unsigned n,
                                         netc_cu_jit_option *o, void **v)
{
    const unsigned char *p = i;
    char *log = NULL;
    size_t logn = 0;
    (void)m;
    for (unsigned k = 0; k < n; k++) {
        if ((int)o[k] == NETC_CU_JIT_ERROR_LOG_BUFFER) log = v[k];
        if ((int)o[k] == NETC_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) logn = (size_t)v[k];
    }
    if (log && logn) {
        if (p && p[0] == 0x7f && p[1] == 'E' && p[2] == 'L' && p[3] == 'F')
            snprintf(log, logn, "stub: ELF image, machine %d", p[18] | p[19] << 8);
        else if (p && strstr((const char *)p, ".version") && strstr((const char *)p, ".target"))
            snprintf(log, logn, "stub: PTX text");
        else
            snprintf(log, logn, "stub: unknown image");
    }
    return NETC_CUDA_ERROR_NO_BINARY_FOR_GPU;
}
EXPORT netc_cu_result cuModuleGetFunction(netc_cu_function *f, netc_cu_module m, const char *s)
{
    (void)f; (void)m; (void)s;
    return NS;
}
EXPORT netc_cu_result cuModuleUnload(netc_cu_module m) { (void)m; return NS; }
EXPORT netc_cu_result cuFuncGetAttribute(int *v, netc_cu_function_attribute a, netc_cu_function f)
{
    (void)v; (void)a; (void)f;
    return NS;
}
EXPORT netc_cu_result cuMemAlloc_v2(netc_cu_deviceptr *p, size_t n) { (void)p; (void)n; return 2; }
EXPORT netc_cu_result cuMemFree_v2(netc_cu_deviceptr p) { (void)p; return NS; }
EXPORT netc_cu_result cuMemcpyHtoD_v2(netc_cu_deviceptr d, const void *s, size_t n)
{
    (void)d; (void)s; (void)n;
    return NS;
}
EXPORT netc_cu_result cuMemcpyDtoH_v2(void *d, netc_cu_deviceptr s, size_t n)
{
    (void)d; (void)s; (void)n;
    return NS;
}
#ifndef STUB_OMIT_LAUNCH
EXPORT netc_cu_result cuLaunchKernel(netc_cu_function f, unsigned gx, unsigned gy, unsigned gz,
                                     unsigned bx, unsigned by, unsigned bz, unsigned sh,
                                     netc_cu_stream st, void **p, void **e)
{
    (void)f; (void)gx; (void)gy; (void)gz; (void)bx; (void)by; (void)bz; (void)sh;
    (void)st; (void)p; (void)e;
    return NS;
}
#endif
