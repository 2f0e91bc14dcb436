/* runtime/cuda_driver.c — loads the CUDA driver (or the emulator's table) and runs
 * netc's kernels through it: image choice, module load, launches, memory.
 * See cuda_driver.h.
 */
#include "cuda_driver.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fmt(char *err, size_t n, const char *f, ...)
{
    va_list ap;
    if (!err || !n) return;
    va_start(ap, f);
    vsnprintf(err, n, f, ap);
    va_end(ap);
}

/* "CUDA_ERROR_X (description)" for a driver result. */
static void describe(const netc_cu_api *a, netc_cu_result r, char *out, size_t n)
{
    const char *name = NULL, *str = NULL;
    if (!a->cuGetErrorName || a->cuGetErrorName(r, &name) || !name) name = NULL;
    if (!a->cuGetErrorString || a->cuGetErrorString(r, &str) || !str) str = NULL;
    if (name) snprintf(out, n, "%s (%s)", name, str ? str : "no description");
    else snprintf(out, n, "error %d", (int)r);
}

static int fail(netc_cuda *cu, const char *call, netc_cu_result r)
{
    char d[256];
    describe(&cu->api, r, d, sizeof d);
    fmt(cu->err, sizeof cu->err, "netc: %s failed: %s", call, d);
    return -1;
}

const char *netc_cuda_error(const netc_cuda *cu) { return cu ? cu->err : "netc: no device"; }

int netc_cuda_pick_image(const netc_cuda_image *imgs, int n, int major, int minor,
                         int emulated)
{
    int cc = major * 10 + minor, best = -1;
    if (emulated) {
        for (int i = 0; i < n; i++)
            if (imgs[i].kind == NETC_CUDA_IMAGE_HOST) return i;
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (imgs[i].kind == NETC_CUDA_IMAGE_CUBIN && imgs[i].arch == cc) return i;
    for (int i = 0; i < n; i++)
        if (imgs[i].kind == NETC_CUDA_IMAGE_CUBIN && imgs[i].arch / 10 == major &&
            imgs[i].arch <= cc && (best < 0 || imgs[i].arch > imgs[best].arch))
            best = i;
    if (best >= 0) return best;
    for (int i = 0; i < n; i++)
        if (imgs[i].kind == NETC_CUDA_IMAGE_PTX && imgs[i].arch <= cc &&
            (best < 0 || imgs[i].arch > imgs[best].arch))
            best = i;
    return best;
}

static int load_driver(netc_cuda *cu, char *err, size_t errlen)
{
    const char *path = getenv("NETC_CUDA_DRIVER");
    if (!path || !*path) path = "libcuda.so.1";
    cu->lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!cu->lib) {
        const char *why = dlerror();
        fmt(err, errlen, "netc: no CUDA driver (%s not found): %s", path,
            why ? why : "dlopen failed");
        return -1;
    }
    memset(&cu->api, 0, sizeof cu->api);
    cu->api.origin = path;
#define NETC_CUDA_RESOLVE(ret, name, params) \
    *(void **)&cu->api.name = dlsym(cu->lib, #name); \
    if (!cu->api.name) { \
        fmt(err, errlen, "netc: the CUDA driver %s lacks %s (driver too old?)", path, #name); \
        return -1; \
    }
    NETC_CUDA_FUNCS(NETC_CUDA_RESOLVE)
#undef NETC_CUDA_RESOLVE
    return 0;
}

int netc_cuda_open(netc_cuda **out, int emulate, int ordinal, char *err, size_t errlen)
{
    *out = NULL;
    netc_cuda *cu = calloc(1, sizeof *cu);
    if (!cu) { fmt(err, errlen, "netc: out of memory"); return -1; }
    cu->ordinal = ordinal;
    if (emulate) {
        cu->api = *netc_cuda_fake_api();
    } else if (load_driver(cu, err, errlen)) {
        netc_cuda_close(cu);
        return -1;
    }
    char d[256];
    netc_cu_result r = cu->api.cuInit(0);
    if (r) {
        describe(&cu->api, r, d, sizeof d);
        fmt(err, errlen, r == NETC_CUDA_ERROR_NO_DEVICE ? "netc: no CUDA device: cuInit: %s"
                                                        : "netc: CUDA driver failed: cuInit: %s", d);
        netc_cuda_close(cu);
        return -1;
    }
    int count = 0;
    if ((r = cu->api.cuDeviceGetCount(&count)) || count <= 0) {
        if (r) describe(&cu->api, r, d, sizeof d);
        fmt(err, errlen, "netc: no CUDA device: %s", r ? d : "the driver reports none");
        netc_cuda_close(cu);
        return -1;
    }
    if (ordinal < 0 || ordinal >= count) {
        fmt(err, errlen, "netc: CUDA device %d not present (%d device%s)", ordinal, count,
            count == 1 ? "" : "s");
        netc_cuda_close(cu);
        return -1;
    }
    const char *step = "cuDeviceGet";
    if (!(r = cu->api.cuDeviceGet(&cu->dev, ordinal)) &&
        !(r = cu->api.cuDeviceGetName(cu->name, (int)sizeof cu->name, cu->dev)) &&
        !(r = cu->api.cuDeviceGetAttribute(&cu->major,
                   NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, cu->dev)) &&
        !(r = cu->api.cuDeviceGetAttribute(&cu->minor,
                   NETC_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, cu->dev)) &&
        !(r = cu->api.cuDeviceGetAttribute(&cu->sms,
                   NETC_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, cu->dev)) &&
        !(step = "cuDevicePrimaryCtxRetain",
          r = cu->api.cuDevicePrimaryCtxRetain(&cu->ctx, cu->dev))) {
        step = "cuCtxSetCurrent";
        r = cu->api.cuCtxSetCurrent(cu->ctx);
    }
    if (r) {
        describe(&cu->api, r, d, sizeof d);
        fmt(err, errlen, "netc: CUDA device %d: %s: %s", ordinal, step, d);
        netc_cuda_close(cu);
        return -1;
    }
    *out = cu;
    return 0;
}

void netc_cuda_close(netc_cuda *cu)
{
    if (!cu) return;
    if (cu->ctx) {
        cu->api.cuCtxSynchronize();
        cu->api.cuCtxSetCurrent(NULL);
        cu->api.cuDevicePrimaryCtxRelease_v2(cu->dev);
    }
    if (cu->lib) dlclose(cu->lib);
    free(cu);
}

int netc_cuda_load(netc_cuda *cu, const netc_cuda_image *imgs, int n, netc_cuda_module **out)
{
    *out = NULL;
    int i = netc_cuda_pick_image(imgs, n, cu->major, cu->minor, cu->api.emulated);
    if (i < 0) {
        fmt(cu->err, sizeof cu->err, "netc: no kernel image for %s (compute capability "
            "%d.%d) among %d image%s", cu->name, cu->major, cu->minor, n, n == 1 ? "" : "s");
        return -1;
    }
    char log[4096] = "";
    netc_cu_jit_option opts[2] = { (netc_cu_jit_option)NETC_CU_JIT_ERROR_LOG_BUFFER,
                                   (netc_cu_jit_option)NETC_CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES };
    void *vals[2] = { log, (void *)(size_t)sizeof log };
    netc_cu_module mod;
    netc_cu_result r = cu->api.cuModuleLoadDataEx(&mod, imgs[i].data, 2, opts, vals);
    if (r) {
        char d[256];
        describe(&cu->api, r, d, sizeof d);
        fmt(cu->err, sizeof cu->err, "netc: cuModuleLoadDataEx (%s %d) failed: %s%s%s",
            imgs[i].kind == NETC_CUDA_IMAGE_CUBIN ? "cubin sm" :
            imgs[i].kind == NETC_CUDA_IMAGE_PTX ? "ptx compute" : "host", imgs[i].arch, d,
            log[0] ? "\n" : "", log);
        return -1;
    }
    netc_cuda_module *m = calloc(1, sizeof *m);
    if (!m) {
        cu->api.cuModuleUnload(mod);
        fmt(cu->err, sizeof cu->err, "netc: out of memory");
        return -1;
    }
    *m = (netc_cuda_module){ cu, mod, i };
    *out = m;
    return 0;
}

void netc_cuda_unload(netc_cuda_module *m)
{
    if (!m) return;
    m->cu->api.cuModuleUnload(m->mod);
    free(m);
}

int netc_cuda_function(netc_cuda_module *m, const char *name, netc_cu_function *f)
{
    netc_cu_result r = m->cu->api.cuModuleGetFunction(f, m->mod, name);
    if (r) {
        char what[256];
        snprintf(what, sizeof what, "cuModuleGetFunction(%s)", name);
        return fail(m->cu, what, r);
    }
    return 0;
}

int netc_cuda_alloc(netc_cuda *cu, netc_cu_deviceptr *p, size_t bytes)
{
    netc_cu_result r = cu->api.cuMemAlloc_v2(p, bytes ? bytes : 1);
    return r ? fail(cu, "cuMemAlloc", r) : 0;
}

int netc_cuda_free(netc_cuda *cu, netc_cu_deviceptr p)
{
    if (!p) return 0;
    netc_cu_result r = cu->api.cuMemFree_v2(p);
    return r ? fail(cu, "cuMemFree", r) : 0;
}

int netc_cuda_upload(netc_cuda *cu, netc_cu_deviceptr dst, const void *src, size_t bytes)
{
    netc_cu_result r = bytes ? cu->api.cuMemcpyHtoD_v2(dst, src, bytes) : 0;
    return r ? fail(cu, "cuMemcpyHtoD", r) : 0;
}

int netc_cuda_download(netc_cuda *cu, void *dst, netc_cu_deviceptr src, size_t bytes)
{
    netc_cu_result r = bytes ? cu->api.cuMemcpyDtoH_v2(dst, src, bytes) : 0;
    return r ? fail(cu, "cuMemcpyDtoH", r) : 0;
}

int netc_cuda_launch(netc_cuda *cu, netc_cu_function f, unsigned long long threads,
                     unsigned block, void **args)
{
    if (!threads) return 0;
    unsigned long long blocks = (threads + block - 1) / block;
    if (!block || block > 1024 || blocks > 0x7fffffffULL) {
        fmt(cu->err, sizeof cu->err, "netc: launch of %llu threads in blocks of %u is out of "
            "range", threads, block);
        return -1;
    }
    netc_cu_result r = cu->api.cuLaunchKernel(f, (unsigned)blocks, 1, 1, block, 1, 1, 0,
                                              NULL, args, NULL);
    return r ? fail(cu, "cuLaunchKernel", r) : 0;
}

int netc_cuda_sync(netc_cuda *cu)
{
    netc_cu_result r = cu->api.cuCtxSynchronize();
    return r ? fail(cu, "cuCtxSynchronize", r) : 0;
}
