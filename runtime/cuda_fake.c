/* runtime/cuda_fake.c — the CUDA driver table implemented on the host, so the real
 * host path of cuda_driver.c (image choice, module load, function lookup, memory,
 * launches) can be exercised and tested without a GPU.
 *
 * - Device: one, "netc emulator (host CPU)"; compute capability 0.0, and the table
 *   is marked emulated so netc_cuda_pick_image() chooses the HOST image.
 * - Memory: malloc; every allocation is tracked, and copies or frees that do not
 *   fall inside a live allocation fail with CUDA_ERROR_INVALID_VALUE.
 * - Modules: a HOST image is a shared object built from the kernel template with
 *   templates/cuda/shim.h (netc_host_compile); it is written to a temporary file
 *   and dlopen'ed.  Anything else (a CUBIN, PTX) is CUDA_ERROR_INVALID_IMAGE.
 * - Functions: `<name>__netc_host`, the entry the shim emits per kernel.
 * - Launches run synchronously: every block of the grid, and in it every thread in
 *   x-fastest order, with the module's netc_shim_ctx set before each call.  No
 *   dynamic shared memory, no __syncthreads (the shim does not offer them).
 */
#define NETC_SHIM_TYPES_ONLY
#include "../templates/cuda/shim.h"
#include "cuda_driver.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef void (*fake_entry)(void **args);

struct CUfunc_st { struct CUmod_st *mod; fake_entry entry; struct CUfunc_st *next; };
struct CUmod_st { void *dl; netc_shim_ctx_t *ctx; struct CUfunc_st *funcs; };
struct CUctx_st { int dummy; };

typedef struct fake_alloc { unsigned char *p; size_t n; struct fake_alloc *next; } fake_alloc;

static int initialised;
static fake_alloc *allocs;
static struct CUctx_st the_ctx;
static netc_cu_context current;

static const struct { int code; const char *name, *str; } errors[] = {
    { NETC_CUDA_SUCCESS, "CUDA_SUCCESS", "no error" },
    { NETC_CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument" },
    { NETC_CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory" },
    { NETC_CUDA_ERROR_NOT_INITIALIZED, "CUDA_ERROR_NOT_INITIALIZED", "initialization error" },
    { NETC_CUDA_ERROR_NO_DEVICE, "CUDA_ERROR_NO_DEVICE", "no CUDA-capable device is detected" },
    { NETC_CUDA_ERROR_INVALID_DEVICE, "CUDA_ERROR_INVALID_DEVICE", "invalid device ordinal" },
    { NETC_CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid" },
    { NETC_CUDA_ERROR_INVALID_CONTEXT, "CUDA_ERROR_INVALID_CONTEXT", "invalid device context" },
    { NETC_CUDA_ERROR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU", "no kernel image is available for execution on the device" },
    { NETC_CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle" },
    { NETC_CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found" },
    { NETC_CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES", "too many resources requested for launch" },
    { NETC_CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported" },
    { NETC_CUDA_ERROR_UNKNOWN, "CUDA_ERROR_UNKNOWN", "unknown error" },
};

static netc_cu_result fake_cuGetErrorString(netc_cu_result e, const char **s)
{
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        if (errors[i].code == (int)e) { *s = errors[i].str; return 0; }
    *s = NULL;
    return NETC_CUDA_ERROR_INVALID_VALUE;
}

static netc_cu_result fake_cuGetErrorName(netc_cu_result e, const char **s)
{
    for (size_t i = 0; i < sizeof errors / sizeof *errors; i++)
        if (errors[i].code == (int)e) { *s = errors[i].name; return 0; }
    *s = NULL;
    return NETC_CUDA_ERROR_INVALID_VALUE;
}

#define NEED_INIT() do { if (!initialised) return NETC_CUDA_ERROR_NOT_INITIALIZED; } while (0)
#define NEED_CTX() do { NEED_INIT(); if (!current) return NETC_CUDA_ERROR_INVALID_CONTEXT; } while (0)

static netc_cu_result fake_cuInit(unsigned flags)
{
    if (flags) return NETC_CUDA_ERROR_INVALID_VALUE;
    initialised = 1;
    return 0;
}
static netc_cu_result fake_cuDriverGetVersion(int *v) { *v = 13000; return 0; }
static netc_cu_result fake_cuDeviceGetCount(int *n) { NEED_INIT(); *n = 1; return 0; }

static netc_cu_result fake_cuDeviceGet(netc_cu_device *d, int ordinal)
{
    NEED_INIT();
    if (ordinal != 0) return NETC_CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return 0;
}

static netc_cu_result fake_cuDeviceGetName(char *name, int len, netc_cu_device d)
{
    NEED_INIT();
    if (d != 0 || len <= 0) return d ? NETC_CUDA_ERROR_INVALID_DEVICE : NETC_CUDA_ERROR_INVALID_VALUE;
    snprintf(name, (size_t)len, "netc emulator (host CPU)");
    return 0;
}

static netc_cu_result fake_cuDeviceGetAttribute(int *v, netc_cu_device_attribute a, netc_cu_device d)
{
    NEED_INIT();
    if (d != 0) return NETC_CUDA_ERROR_INVALID_DEVICE;
    switch ((int)a) {
    case NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *v = 0; return 0;
    case NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *v = 0; return 0;
    case NETC_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *v = 1; return 0;
    default: return NETC_CUDA_ERROR_INVALID_VALUE;
    }
}

static netc_cu_result fake_cuDevicePrimaryCtxRetain(netc_cu_context *c, netc_cu_device d)
{
    NEED_INIT();
    if (d != 0) return NETC_CUDA_ERROR_INVALID_DEVICE;
    *c = &the_ctx;
    return 0;
}
static netc_cu_result fake_cuDevicePrimaryCtxRelease_v2(netc_cu_device d)
{
    NEED_INIT();
    return d ? NETC_CUDA_ERROR_INVALID_DEVICE : 0;
}
static netc_cu_result fake_cuCtxSetCurrent(netc_cu_context c)
{
    NEED_INIT();
    if (c && c != &the_ctx) return NETC_CUDA_ERROR_INVALID_CONTEXT;
    current = c;
    return 0;
}
static netc_cu_result fake_cuCtxSynchronize(void) { NEED_CTX(); return 0; }

static netc_cu_result fake_cuModuleLoadDataEx(netc_cu_module *out, const void *image,
                                              unsigned nopts, netc_cu_jit_option *opts,
                                              void **vals)
{
    NEED_CTX();
    char *log = NULL;
    size_t logn = 0;
    for (unsigned i = 0; i < nopts; i++) {
        if ((int)opts[i] == NETC_CU_JIT_ERROR_LOG_BUFFER) log = vals[i];
        if ((int)opts[i] == NETC_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES) logn = (size_t)vals[i];
    }
    const unsigned char *p = image;
    /* ELF, 64-bit, little endian, ET_DYN, EM_X86_64 / EM_AARCH64 (whatever we run on) */
    unsigned short machine = p ? (unsigned short)(p[18] | p[19] << 8) : 0;
    if (!p || memcmp(p, "\177ELF", 4) || p[4] != 2 || p[16] != 3 ||
        (machine != 62 && machine != 183)) {
        if (log && logn) snprintf(log, logn, "netc emulator: image is not a host shared "
                                  "object (ELF machine %u)", machine);
        return NETC_CUDA_ERROR_INVALID_IMAGE;
    }
    /* Size of an ELF64 file: the end of its section header table (sections last). */
    uint64_t shoff;
    uint16_t shentsize, shnum;
    memcpy(&shoff, p + 40, 8);
    memcpy(&shentsize, p + 58, 2);
    memcpy(&shnum, p + 60, 2);
    size_t size = (size_t)(shoff + (uint64_t)shentsize * shnum);

    const char *tmp = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/netc-fake-XXXXXX.so", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemps(path, 3);
    if (fd < 0) return NETC_CUDA_ERROR_UNKNOWN;
    ssize_t w = write(fd, p, size);
    close(fd);
    if (w < 0 || (size_t)w != size) { unlink(path); return NETC_CUDA_ERROR_UNKNOWN; }
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    unlink(path);
    if (!dl) {
        if (log && logn) snprintf(log, logn, "netc emulator: %s", dlerror());
        return NETC_CUDA_ERROR_INVALID_IMAGE;
    }
    netc_shim_ctx_t *ctx = dlsym(dl, NETC_SHIM_CTX_SYMBOL);
    struct CUmod_st *m = calloc(1, sizeof *m);
    if (!ctx || !m) {
        if (log && logn) snprintf(log, logn, "netc emulator: no %s in the image",
                                  NETC_SHIM_CTX_SYMBOL);
        free(m);
        dlclose(dl);
        return ctx ? NETC_CUDA_ERROR_OUT_OF_MEMORY : NETC_CUDA_ERROR_INVALID_IMAGE;
    }
    m->dl = dl;
    m->ctx = ctx;
    *out = m;
    return 0;
}

static netc_cu_result fake_cuModuleGetFunction(netc_cu_function *f, netc_cu_module m,
                                               const char *name)
{
    NEED_CTX();
    if (!m) return NETC_CUDA_ERROR_INVALID_HANDLE;
    char sym[512];
    snprintf(sym, sizeof sym, "%s%s", name, NETC_SHIM_ENTRY_SUFFIX);
    void *e = dlsym(m->dl, sym);
    if (!e) return NETC_CUDA_ERROR_NOT_FOUND;
    struct CUfunc_st *fn = calloc(1, sizeof *fn);
    if (!fn) return NETC_CUDA_ERROR_OUT_OF_MEMORY;
    fn->mod = m;
    *(void **)&fn->entry = e;
    fn->next = m->funcs;
    m->funcs = fn;
    *f = fn;
    return 0;
}

static netc_cu_result fake_cuModuleUnload(netc_cu_module m)
{
    NEED_CTX();
    if (!m) return NETC_CUDA_ERROR_INVALID_HANDLE;
    while (m->funcs) {
        struct CUfunc_st *n = m->funcs->next;
        free(m->funcs);
        m->funcs = n;
    }
    dlclose(m->dl);
    free(m);
    return 0;
}

static netc_cu_result fake_cuFuncGetAttribute(int *v, netc_cu_function_attribute a,
                                              netc_cu_function f)
{
    NEED_CTX();
    if (!f) return NETC_CUDA_ERROR_INVALID_HANDLE;
    switch ((int)a) {
    case NETC_CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *v = 1024; return 0;
    case NETC_CU_FUNC_ATTRIBUTE_NUM_REGS: *v = 0; return 0;
    default: return NETC_CUDA_ERROR_INVALID_VALUE;
    }
}

static netc_cu_result fake_cuMemAlloc_v2(netc_cu_deviceptr *d, size_t n)
{
    NEED_CTX();
    if (!n) return NETC_CUDA_ERROR_INVALID_VALUE;
    fake_alloc *a = malloc(sizeof *a);
    unsigned char *p = malloc(n);
    if (!a || !p) { free(a); free(p); return NETC_CUDA_ERROR_OUT_OF_MEMORY; }
    memset(p, 0xA5, n);                     /* device memory is not zeroed */
    *a = (fake_alloc){ p, n, allocs };
    allocs = a;
    *d = (netc_cu_deviceptr)(uintptr_t)p;
    return 0;
}

/* The allocation holding [d, d + n), or NULL. */
static fake_alloc *find(netc_cu_deviceptr d, size_t n)
{
    uintptr_t q = (uintptr_t)d;
    for (fake_alloc *a = allocs; a; a = a->next) {
        uintptr_t b = (uintptr_t)a->p;
        if (q >= b && q - b <= a->n && n <= a->n - (q - b)) return a;
    }
    return NULL;
}

static netc_cu_result fake_cuMemFree_v2(netc_cu_deviceptr d)
{
    NEED_CTX();
    for (fake_alloc **pp = &allocs; *pp; pp = &(*pp)->next)
        if ((uintptr_t)(*pp)->p == (uintptr_t)d) {
            fake_alloc *a = *pp;
            *pp = a->next;
            free(a->p);
            free(a);
            return 0;
        }
    return NETC_CUDA_ERROR_INVALID_VALUE;
}

static netc_cu_result fake_cuMemcpyHtoD_v2(netc_cu_deviceptr dst, const void *src, size_t n)
{
    NEED_CTX();
    if (!find(dst, n)) return NETC_CUDA_ERROR_INVALID_VALUE;
    memcpy((void *)(uintptr_t)dst, src, n);
    return 0;
}

static netc_cu_result fake_cuMemcpyDtoH_v2(void *dst, netc_cu_deviceptr src, size_t n)
{
    NEED_CTX();
    if (!find(src, n)) return NETC_CUDA_ERROR_INVALID_VALUE;
    memcpy(dst, (const void *)(uintptr_t)src, n);
    return 0;
}

static netc_cu_result fake_cuLaunchKernel(netc_cu_function f, unsigned gx, unsigned gy,
                                          unsigned gz, unsigned bx, unsigned by, unsigned bz,
                                          unsigned shared, netc_cu_stream stream,
                                          void **params, void **extra)
{
    NEED_CTX();
    (void)stream;
    if (!f) return NETC_CUDA_ERROR_INVALID_HANDLE;
    if (!gx || !gy || !gz || !bx || !by || !bz || (unsigned long long)bx * by * bz > 1024 ||
        gy > 65535 || gz > 65535 || bz > 64)
        return NETC_CUDA_ERROR_INVALID_VALUE;
    if (shared || extra || !params) return NETC_CUDA_ERROR_NOT_SUPPORTED;
    netc_shim_ctx_t *c = f->mod->ctx;
    c->gridDim = (netc_dim3){ gx, gy, gz };
    c->blockDim = (netc_dim3){ bx, by, bz };
    for (unsigned z = 0; z < gz; z++)
        for (unsigned y = 0; y < gy; y++)
            for (unsigned x = 0; x < gx; x++) {
                c->blockIdx = (netc_dim3){ x, y, z };
                for (unsigned tz = 0; tz < bz; tz++)
                    for (unsigned ty = 0; ty < by; ty++)
                        for (unsigned tx = 0; tx < bx; tx++) {
                            c->threadIdx = (netc_dim3){ tx, ty, tz };
                            f->entry(params);
                        }
            }
    return 0;
}

const netc_cu_api *netc_cuda_fake_api(void)
{
    static const netc_cu_api api = {
        .emulated = 1,
        .origin = "emulator",
#define NETC_CUDA_FAKE(ret, name, params) .name = fake_##name,
        NETC_CUDA_FUNCS(NETC_CUDA_FAKE)
#undef NETC_CUDA_FAKE
    };
    return &api;
}
