/* runtime/cuda_driver.h — the CUDA driver API as netc uses it, loaded at run time.
 *
 * netc_cuda_open() either dlopen()s the real driver (libcuda.so.1, or the file named
 * by $NETC_CUDA_DRIVER) and resolves the function table below, or, with emulate
 * set, takes the same table from runtime/cuda_fake.c, which runs kernels on the
 * host.  Everything after that (image choice, module load, function lookup, memory,
 * launches) is one code path whichever table is behind it.
 *
 * No CUDA header is needed to build this: the few driver types are declared here,
 * ABI-identical to cuda.h (tests/cuda compiles the table against the toolkit's
 * cuda.h when there is one).  Functions are resolved by their versioned symbol
 * names (cuMemAlloc_v2, ...), which is what cuda.h's macros select.  The context is
 * the device's primary context (cuDevicePrimaryCtxRetain + cuCtxSetCurrent), which
 * does not depend on the cuCtxCreate signature (changed to _v4 in CUDA 13).
 */
#ifndef NETC_CUDA_DRIVER_H
#define NETC_CUDA_DRIVER_H
#include <stddef.h>

#ifdef NETC_CUDA_TOOLKIT_TYPES          /* only for the ABI check in tests/cuda */
typedef CUresult netc_cu_result;
typedef CUdevice netc_cu_device;
typedef CUdeviceptr netc_cu_deviceptr;
typedef CUcontext netc_cu_context;
typedef CUmodule netc_cu_module;
typedef CUfunction netc_cu_function;
typedef CUstream netc_cu_stream;
typedef CUdevice_attribute netc_cu_device_attribute;
typedef CUfunction_attribute netc_cu_function_attribute;
typedef CUjit_option netc_cu_jit_option;
#else
typedef int netc_cu_result;                         /* CUresult (enum)            */
typedef int netc_cu_device;                         /* CUdevice                   */
typedef unsigned long long netc_cu_deviceptr;       /* CUdeviceptr (64-bit host)  */
typedef struct CUctx_st *netc_cu_context;           /* CUcontext                  */
typedef struct CUmod_st *netc_cu_module;            /* CUmodule                   */
typedef struct CUfunc_st *netc_cu_function;         /* CUfunction                 */
typedef struct CUstream_st *netc_cu_stream;         /* CUstream                   */
typedef int netc_cu_device_attribute;               /* CUdevice_attribute         */
typedef int netc_cu_function_attribute;             /* CUfunction_attribute       */
typedef int netc_cu_jit_option;                     /* CUjit_option               */
#endif

/* The few enum values netc uses (cuda.h's numbering). */
enum {
    NETC_CUDA_SUCCESS = 0, NETC_CUDA_ERROR_INVALID_VALUE = 1,
    NETC_CUDA_ERROR_OUT_OF_MEMORY = 2, NETC_CUDA_ERROR_NOT_INITIALIZED = 3,
    NETC_CUDA_ERROR_NO_DEVICE = 100, NETC_CUDA_ERROR_INVALID_DEVICE = 101,
    NETC_CUDA_ERROR_INVALID_IMAGE = 200, NETC_CUDA_ERROR_INVALID_CONTEXT = 201,
    NETC_CUDA_ERROR_NO_BINARY_FOR_GPU = 209, NETC_CUDA_ERROR_INVALID_HANDLE = 400,
    NETC_CUDA_ERROR_NOT_FOUND = 500, NETC_CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    NETC_CUDA_ERROR_NOT_SUPPORTED = 801, NETC_CUDA_ERROR_UNKNOWN = 999
};
enum {
    NETC_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    NETC_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    NETC_CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
    NETC_CU_JIT_ERROR_LOG_BUFFER = 5,
    NETC_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES = 6
};

/* X(return, symbol, parameters): every driver entry point netc resolves. */
#define NETC_CUDA_FUNCS(X) \
    X(netc_cu_result, cuGetErrorString, (netc_cu_result error, const char **str)) \
    X(netc_cu_result, cuGetErrorName, (netc_cu_result error, const char **str)) \
    X(netc_cu_result, cuInit, (unsigned int flags)) \
    X(netc_cu_result, cuDriverGetVersion, (int *version)) \
    X(netc_cu_result, cuDeviceGetCount, (int *count)) \
    X(netc_cu_result, cuDeviceGet, (netc_cu_device *device, int ordinal)) \
    X(netc_cu_result, cuDeviceGetName, (char *name, int len, netc_cu_device dev)) \
    X(netc_cu_result, cuDeviceGetAttribute, (int *value, netc_cu_device_attribute attrib, \
                                            netc_cu_device dev)) \
    X(netc_cu_result, cuDevicePrimaryCtxRetain, (netc_cu_context *ctx, netc_cu_device dev)) \
    X(netc_cu_result, cuDevicePrimaryCtxRelease_v2, (netc_cu_device dev)) \
    X(netc_cu_result, cuCtxSetCurrent, (netc_cu_context ctx)) \
    X(netc_cu_result, cuCtxSynchronize, (void)) \
    X(netc_cu_result, cuModuleLoadDataEx, (netc_cu_module *module, const void *image, \
                                          unsigned int nopts, netc_cu_jit_option *opts, \
                                          void **values)) \
    X(netc_cu_result, cuModuleGetFunction, (netc_cu_function *f, netc_cu_module module, \
                                           const char *name)) \
    X(netc_cu_result, cuModuleUnload, (netc_cu_module module)) \
    X(netc_cu_result, cuFuncGetAttribute, (int *value, netc_cu_function_attribute attrib, \
                                          netc_cu_function f)) \
    X(netc_cu_result, cuMemAlloc_v2, (netc_cu_deviceptr *dptr, size_t bytes)) \
    X(netc_cu_result, cuMemFree_v2, (netc_cu_deviceptr dptr)) \
    X(netc_cu_result, cuMemcpyHtoD_v2, (netc_cu_deviceptr dst, const void *src, size_t bytes)) \
    X(netc_cu_result, cuMemcpyDtoH_v2, (void *dst, netc_cu_deviceptr src, size_t bytes)) \
    X(netc_cu_result, cuLaunchKernel, (netc_cu_function f, unsigned int gx, unsigned int gy, \
                                      unsigned int gz, unsigned int bx, unsigned int by, \
                                      unsigned int bz, unsigned int shared_bytes, \
                                      netc_cu_stream stream, void **params, void **extra))

typedef struct netc_cu_api {
    int emulated;               /* 1: runtime/cuda_fake.c, kernels run on the host */
    const char *origin;         /* the library loaded, or "emulator"               */
#define NETC_CUDA_FIELD(ret, name, params) ret (*name) params;
    NETC_CUDA_FUNCS(NETC_CUDA_FIELD)
#undef NETC_CUDA_FIELD
} netc_cu_api;

/* The host implementation of the table (runtime/cuda_fake.c). */
const netc_cu_api *netc_cuda_fake_api(void);

/* ---- images ------------------------------------------------------------------ */
/* Values shared with compiler/nvrtc.h's NETC_IMAGE_*. */
enum { NETC_CUDA_IMAGE_CUBIN = 1, NETC_CUDA_IMAGE_PTX = 2, NETC_CUDA_IMAGE_HOST = 3 };

typedef struct netc_cuda_image {
    int kind;                   /* NETC_CUDA_IMAGE_*                               */
    int arch;                   /* sm_XX / compute_XX number (86); 0 for HOST      */
    const void *data;           /* PTX: NUL-terminated text                        */
    size_t size;
} netc_cuda_image;

/* The image a device runs: on the emulator the HOST image; on a GPU of compute
 * capability major.minor the CUBIN built for exactly it, else the CUBIN of the
 * same major with the highest minor not above it (binary compatible), else the
 * highest PTX not above it (JIT-compiled by the driver).  Index or -1. */
int netc_cuda_pick_image(const netc_cuda_image *imgs, int n, int major, int minor,
                         int emulated);

/* ---- a device -------------------------------------------------------------------- */
typedef struct netc_cuda {
    netc_cu_api api;
    void *lib;                  /* dlopen handle (NULL on the emulator)            */
    netc_cu_device dev;
    netc_cu_context ctx;
    int ordinal, major, minor, sms;
    char name[128];
    char err[2048];             /* the last error, "netc: ..."                     */
} netc_cuda;

typedef struct netc_cuda_module {
    netc_cuda *cu;
    netc_cu_module mod;
    int image;                  /* index of the image that was loaded              */
} netc_cuda_module;

/* Open device `ordinal`: 0 on success; otherwise -1 with a message in err, e.g.
 * "netc: no CUDA driver (libcuda.so.1 not found): ...", "netc: no CUDA device: ...". */
int netc_cuda_open(netc_cuda **out, int emulate, int ordinal, char *err, size_t errlen);
void netc_cuda_close(netc_cuda *cu);

/* All below return 0, or -1 with the message in cu->err (netc_cuda_error). */
int netc_cuda_load(netc_cuda *cu, const netc_cuda_image *imgs, int n, netc_cuda_module **out);
void netc_cuda_unload(netc_cuda_module *m);
int netc_cuda_function(netc_cuda_module *m, const char *name, netc_cu_function *f);
int netc_cuda_alloc(netc_cuda *cu, netc_cu_deviceptr *p, size_t bytes);
int netc_cuda_free(netc_cuda *cu, netc_cu_deviceptr p);
int netc_cuda_upload(netc_cuda *cu, netc_cu_deviceptr dst, const void *src, size_t bytes);
int netc_cuda_download(netc_cuda *cu, void *dst, netc_cu_deviceptr src, size_t bytes);
/* A 1-D launch of ceil(threads / block) blocks of `block` threads; args as for
 * cuLaunchKernel (pointers to the argument values). */
int netc_cuda_launch(netc_cuda *cu, netc_cu_function f, unsigned long long threads,
                     unsigned block, void **args);
int netc_cuda_sync(netc_cuda *cu);
const char *netc_cuda_error(const netc_cuda *cu);

#endif /* NETC_CUDA_DRIVER_H */
