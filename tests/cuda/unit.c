/* tests/cuda/unit.c — unit checks of the CUDA building blocks that need no GPU:
 * image choice, the ptxas log parser, the loader's error paths (no driver, a driver
 * with no device, a driver missing a symbol; through stand-in libraries built from
 * tests/cuda/stub_driver.c), and the emulator's strictness.
 * Also: a probe kernel (tests/cuda/probe_kernel.cu) built by netc_host_compile and
 * launched on a 3-D grid of 3-D blocks through the emulator, and NVRTC on the same
 * source when NVRTC is installed.
 *   unit STUBDIR ROOT   (STUBDIR holds libcuda_stub.so and libcuda_nolaunch.so;
 *                        ROOT is the checkout, for templates/cuda and tests/cuda)
 * Ends with "N passed, N failed".
 */
#include "cuda_driver.h"
#include "nvrtc.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int passed, failed;

static void check(int ok, const char *what, const char *detail)
{
    ok ? passed++ : failed++;
    printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", what, detail && *detail ? ": " : "",
           detail ? detail : "");
}

static void test_pick(void)
{
    static const char dummy[] = "x";
    netc_cuda_image im[] = {
        { NETC_CUDA_IMAGE_CUBIN, 75, dummy, 1 }, { NETC_CUDA_IMAGE_CUBIN, 80, dummy, 1 },
        { NETC_CUDA_IMAGE_CUBIN, 86, dummy, 1 }, { NETC_CUDA_IMAGE_CUBIN, 90, dummy, 1 },
        { NETC_CUDA_IMAGE_CUBIN, 120, dummy, 1 }, { NETC_CUDA_IMAGE_PTX, 75, dummy, 2 },
        { NETC_CUDA_IMAGE_HOST, 0, dummy, 1 },
    };
    struct { int major, minor, emulated, n, want; const char *what; } t[] = {
        { 8, 6, 0, 7, 2, "cc 8.6 takes the sm_86 cubin" },
        { 8, 7, 0, 7, 2, "cc 8.7 takes sm_86 (same major, lower minor)" },
        { 8, 9, 0, 7, 2, "cc 8.9 takes sm_86" },
        { 8, 0, 0, 7, 1, "cc 8.0 takes sm_80" },
        { 9, 0, 0, 7, 3, "cc 9.0 takes sm_90" },
        { 10, 0, 0, 7, 5, "cc 10.0 falls back to the PTX" },
        { 12, 1, 0, 7, 4, "cc 12.1 takes sm_120" },
        { 7, 5, 0, 7, 0, "cc 7.5 takes sm_75" },
        { 7, 0, 0, 7, -1, "cc 7.0 has no usable image" },
        { 8, 6, 1, 7, 6, "the emulator takes the host image" },
        { 8, 6, 1, 6, -1, "the emulator cannot run a cubin" },
        { 8, 6, 0, 0, -1, "no images" },
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
        int got = netc_cuda_pick_image(im, t[i].n, t[i].major, t[i].minor, t[i].emulated);
        char d[64];
        snprintf(d, sizeof d, "got %d, want %d", got, t[i].want);
        check(got == t[i].want, t[i].what, got == t[i].want ? "" : d);
    }
}

static void test_ptxas(void)
{
    const char *log =
        "ptxas info    : 0 bytes gmem\n"
        "ptxas info    : Compiling entry function 'netc_tconv_fwd' for 'sm_86'\n"
        "ptxas info    : Function properties for netc_tconv_fwd\n"
        "ptxas         .     24 bytes stack frame, 8 bytes spill stores, 12 bytes spill loads\n"
        "ptxas info    : Used 40 registers, used 0 barriers, 1024 bytes smem, 384 bytes cmem[0]\n"
        "ptxas info    : Compiling entry function 'netc_tconv_dx' for 'sm_86'\n"
        "ptxas info    : Function properties for netc_tconv_dx\n"
        "ptxas         .     0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads\n"
        "ptxas info    : Used 255 registers, used 1 barriers, 376 bytes cmem[0]\n";
    netc_kernel_stats s[4];
    int n = netc_ptxas_parse(log, 86, s, 4);
    check(n == 2, "ptxas log: two kernels", NULL);
    check(n == 2 && !strcmp(s[0].name, "netc_tconv_fwd") && s[0].regs == 40 && s[0].smem == 1024 &&
          s[0].cmem == 384 && s[0].stack == 24 && s[0].spill_stores == 8 && s[0].spill_loads == 12 &&
          s[0].arch == 86, "ptxas log: figures of the first kernel", NULL);
    check(n == 2 && !strcmp(s[1].name, "netc_tconv_dx") && s[1].regs == 255 && s[1].smem == 0 &&
          s[1].spill_stores == 0, "ptxas log: figures of the second kernel", NULL);
    check(netc_log_has_warning("k.cu(3): warning #177-D: variable \"x\" was declared but never referenced"),
          "a front-end warning is seen", NULL);
    check(netc_log_has_warning("ptxas warning : Registers are spilled"), "a ptxas warning is seen", NULL);
    check(!netc_log_has_warning(log), "ptxas info lines are not warnings", NULL);
    const char *defs[] = { "NETC_N=2", "NETC_FLAG" };
    netc_kernel_src src = { "k.cu", "int x;", defs, 2, NULL, 0 };
    char *t = netc_kernel_text(&src);
    check(t && strstr(t, "#define NETC_N 2\n#define NETC_FLAG\nint x;"), "defines are prepended", t);
    free(t);
}

static int has_define(const netc_tconv_inst *t, const char *d)
{
    for (int i = 0; i < t->ndefines; i++)
        if (!strcmp(t->defines[i], d)) return 1;
    return 0;
}

static void test_instantiate(void)
{
    char err[512] = "";
    netc_tconv_inst t;
    /* LANGUAGE.md's autoencoder decoder layer: 16 -> 1, kernel 3, stride 2, padding 1,
     * output_padding 1 on 14x14: 28x28. */
    netc_tconv_spec s = { 2, 32, 16, 1, 1, { 14, 14 }, { 3, 3 }, { 2, 2 }, { 1, 1 }, { 1, 1 },
                          { 1, 1 }, { 1, 1 }, 1, 2, 0.0, 0, 0 };
    int rc = netc_tconv_instantiate(&s, &t, err, sizeof err);
    check(rc == 0 && t.out[0] == 28 && t.out[1] == 28 && t.out[2] == 1 && t.block == 256 &&
          t.threads_fwd == 32ull * 28 * 28 && t.threads_dx == 32ull * 16 * 14 * 14 &&
          t.threads_dw == 16ull * 9 + 1 && has_define(&t, "NETC_O0=28") &&
          has_define(&t, "NETC_ACT=2") && has_define(&t, "NETC_I2=1") &&
          !has_define(&t, "NETC_IDX=long long"), "instantiate: the autoencoder layer", err);
    s.stride[0] = 18; s.dilation[0] = 4;
    rc = netc_tconv_instantiate(&s, &t, err, sizeof err);
    check(rc == 0 && has_define(&t, "NETC_TS0=9") && !has_define(&t, "NETC_TS1=1"),
          "instantiate: NETC_TS for a stride above 16", err);
    s.stride[0] = 2; s.dilation[0] = 1;
    s.n = 4096; s.cout = 256; s.in[0] = s.in[1] = 64;       /* 4096*256*128*128 > 2^31 */
    rc = netc_tconv_instantiate(&s, &t, err, sizeof err);
    check(rc == 0 && has_define(&t, "NETC_IDX=long long"), "instantiate: wide index when needed", err);
    s.n = 32; s.cout = 1; s.in[0] = s.in[1] = 14;
    s.groups = 3;
    check(netc_tconv_instantiate(&s, &t, err, sizeof err) == -1 && strstr(err, "groups 3"),
          "instantiate: groups must divide", err);
    s.groups = 1; s.in[0] = 1; s.kernel[0] = 1; s.pad_begin[0] = 1; s.out_pad[0] = 0;
    check(netc_tconv_instantiate(&s, &t, err, sizeof err) == -1 && strstr(err, "output size -1"),
          "instantiate: an empty output is refused", err);
}

static void expect_open_fail(const char *driver, const char *init, const char *want, const char *what)
{
    char err[2048] = "";
    netc_cuda *cu = NULL;
    if (driver) setenv("NETC_CUDA_DRIVER", driver, 1); else unsetenv("NETC_CUDA_DRIVER");
    if (init) setenv("NETC_STUB_INIT", init, 1); else unsetenv("NETC_STUB_INIT");
    int rc = netc_cuda_open(&cu, 0, 0, err, sizeof err);
    check(rc == -1 && !cu && strstr(err, want) == err, what, err);
    netc_cuda_close(cu);
}

static void test_loader(const char *stubdir)
{
    char stub[4096], nolaunch[4096];
    snprintf(stub, sizeof stub, "%s/libcuda_stub.so", stubdir);
    snprintf(nolaunch, sizeof nolaunch, "%s/libcuda_nolaunch.so", stubdir);
    expect_open_fail("/nonexistent/libcuda.so.1", NULL,
                     "netc: no CUDA driver (/nonexistent/libcuda.so.1 not found): ",
                     "no driver: clear message");
    void *real = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (real) {
        dlclose(real);
        printf("skip the default driver name: this machine has libcuda.so.1\n");
    } else {
        expect_open_fail(NULL, NULL, "netc: no CUDA driver (libcuda.so.1 not found): ",
                         "no libcuda.so.1: clear message");
    }
    expect_open_fail(stub, NULL, "netc: no CUDA device: cuInit: CUDA_ERROR_NO_DEVICE",
                     "driver without a device: clear message");
    expect_open_fail(nolaunch, "0", "netc: the CUDA driver ", "driver lacking a symbol: named");
    {
        char err[2048] = "";
        netc_cuda *cu = NULL;
        setenv("NETC_CUDA_DRIVER", nolaunch, 1);
        netc_cuda_open(&cu, 0, 0, err, sizeof err);
        check(strstr(err, "cuLaunchKernel") != NULL, "the missing symbol is named", err);
        netc_cuda_close(cu);
    }
    /* A driver that opens: the real dlopen path resolves every symbol and reads the
     * device; loading then finds no image for cc 8.6 among PTX-only-for-9.0 images. */
    char err[2048] = "";
    netc_cuda *cu = NULL;
    setenv("NETC_CUDA_DRIVER", stub, 1);
    setenv("NETC_STUB_INIT", "0", 1);
    int rc = netc_cuda_open(&cu, 0, 0, err, sizeof err);
    check(rc == 0 && cu && cu->major == 8 && cu->minor == 6 && !cu->api.emulated &&
          !strcmp(cu->name, "netc stub device"), "a stub driver opens through dlopen", err);
    if (cu) {
        netc_cuda_image im = { NETC_CUDA_IMAGE_PTX, 90, "", 1 };
        netc_cuda_module *m = NULL;
        rc = netc_cuda_load(cu, &im, 1, &m);
        check(rc == -1 && strstr(netc_cuda_error(cu), "no kernel image for netc stub device"),
              "no image for the device: clear message", netc_cuda_error(cu));
        im.arch = 80;
        rc = netc_cuda_load(cu, &im, 1, &m);
        check(rc == -1 && strstr(netc_cuda_error(cu), "CUDA_ERROR"),
              "a driver error on load is reported", netc_cuda_error(cu));
        netc_cuda_close(cu);
    }
    unsetenv("NETC_CUDA_DRIVER");
    unsetenv("NETC_STUB_INIT");
}

static void test_fake(void)
{
    char err[2048] = "";
    netc_cuda *cu = NULL;
    int rc = netc_cuda_open(&cu, 1, 0, err, sizeof err);
    check(rc == 0 && cu && cu->api.emulated, "the emulator opens", err);
    if (!cu) return;
    char e1[2048];
    rc = netc_cuda_open(&(netc_cuda *){ NULL }, 1, 1, e1, sizeof e1);
    check(rc == -1 && strstr(e1, "netc: CUDA device 1 not present (1 device)"),
          "the emulator has one device", e1);
    netc_cu_deviceptr p = 0;
    float h[8] = { 0 };
    rc = netc_cuda_alloc(cu, &p, sizeof h);
    check(rc == 0 && p, "emulator: allocate", netc_cuda_error(cu));
    check(netc_cuda_upload(cu, p, h, sizeof h) == 0, "emulator: copy in bounds", netc_cuda_error(cu));
    check(netc_cuda_upload(cu, p + 4, h, sizeof h) == -1 &&
          strstr(netc_cuda_error(cu), "CUDA_ERROR_INVALID_VALUE"),
          "emulator: a copy past the allocation fails", netc_cuda_error(cu));
    check(netc_cuda_download(cu, h, p + 1000, 4) == -1, "emulator: a stray pointer fails", NULL);
    check(netc_cuda_free(cu, p) == 0 && netc_cuda_free(cu, p) == -1,
          "emulator: double free fails", netc_cuda_error(cu));
    static const unsigned char cubin[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1, 0x33, [16] = 2, [18] = 190 };
    netc_cuda_image im = { NETC_CUDA_IMAGE_HOST, 0, cubin, sizeof cubin };
    netc_cuda_module *m = NULL;
    rc = netc_cuda_load(cu, &im, 1, &m);
    check(rc == -1 && strstr(netc_cuda_error(cu), "CUDA_ERROR_INVALID_IMAGE") &&
          strstr(netc_cuda_error(cu), "ELF machine 190"),
          "emulator: a CUBIN is not a host image", netc_cuda_error(cu));
    netc_cuda_close(cu);
}

static void test_probe(const char *root)
{
    char tdir[4096], sdir[4096], so[4096], err[8192] = "";
    snprintf(tdir, sizeof tdir, "%s/templates/cuda", root);
    snprintf(sdir, sizeof sdir, "%s/tests/cuda", root);
    const char *tmp = getenv("TMPDIR");
    snprintf(so, sizeof so, "%s/netc-probe-%d.so", tmp && *tmp ? tmp : "/tmp", (int)getpid());
    const char *inc[] = { tdir, sdir };
    netc_kernel_src src = { "probe.cu", "#include \"probe_kernel.cu\"\n", NULL, 0, inc, 2 };
    int rc = netc_host_compile(&src, NULL, NULL, so, err, sizeof err);
    check(rc == 0, "host compile of the probe kernel", err);
    netc_image img = { 0 };
    if (!rc) rc = netc_image_read(&img, NETC_IMAGE_HOST, 0, so);
    char cpath[4200];
    snprintf(cpath, sizeof cpath, "%s.c", so);
    unlink(so);
    unlink(cpath);
    netc_cuda *cu = NULL;
    if (rc || netc_cuda_open(&cu, 1, 0, err, sizeof err)) {
        check(0, "probe: emulator", err);
        free(img.data);
        return;
    }
    enum { GX = 3, GY = 2, GZ = 2, BX = 4, BY = 3, BZ = 2, T = GX * GY * GZ * BX * BY * BZ };
    netc_cuda_image ci = { img.kind, img.arch, img.data, img.size };
    netc_cuda_module *m = NULL;
    netc_cu_function f;
    netc_cu_deviceptr d = 0;
    static unsigned h[T * 12];
    memset(h, 0xff, sizeof h);
    int ok = !netc_cuda_load(cu, &ci, 1, &m) && !netc_cuda_function(m, "netc_probe", &f) &&
             !netc_cuda_alloc(cu, &d, sizeof h) && !netc_cuda_upload(cu, d, h, sizeof h);
    void *args[] = { &d };
    ok = ok && !cu->api.cuLaunchKernel(f, GX, GY, GZ, BX, BY, BZ, 0, NULL, args, NULL) &&
         !netc_cuda_sync(cu) && !netc_cuda_download(cu, h, d, sizeof h);
    check(ok, "probe: load, launch 3x2x2 blocks of 4x3x2 threads", netc_cuda_error(cu));
    int bad = 0;
    for (unsigned bz = 0; ok && bz < GZ; bz++) for (unsigned by = 0; by < GY; by++)
    for (unsigned bx = 0; bx < GX; bx++) for (unsigned tz = 0; tz < BZ; tz++)
    for (unsigned ty = 0; ty < BY; ty++) for (unsigned tx = 0; tx < BX; tx++) {
        unsigned blk = (bz * GY + by) * GX + bx, th = (tz * BY + ty) * BX + tx;
        const unsigned *r = h + 12 * (blk * BX * BY * BZ + th);
        const unsigned want[12] = { bx, by, bz, tx, ty, tz, GX, GY, GZ, BX, BY, BZ };
        bad += memcmp(r, want, sizeof want) != 0;
    }
    check(ok && !bad, "probe: every thread ran once with its own coordinates", NULL);
    check(cu->api.cuLaunchKernel(f, 1, 1, 1, 1025, 1, 1, 0, NULL, args, NULL) ==
          NETC_CUDA_ERROR_INVALID_VALUE, "probe: a block of 1025 threads is refused", NULL);
    netc_cu_function g;
    check(netc_cuda_function(m, "netc_absent", &g) == -1 &&
          strstr(netc_cuda_error(cu), "cuModuleGetFunction(netc_absent) failed: CUDA_ERROR_NOT_FOUND"),
          "probe: a missing kernel is named", netc_cuda_error(cu));
    netc_cuda_free(cu, d);
    netc_cuda_unload(m);
    netc_cuda_close(cu);
    free(img.data);

    netc_kernel_src bad_src = { "bad.cu", "int f(void) { return undefined_thing; }\n", NULL, 0, inc, 2 };
    rc = netc_host_compile(&bad_src, NULL, NULL, so, err, sizeof err);
    check(rc == -1 && strstr(err, "undefined_thing"), "host compile errors carry the diagnostics", NULL);
    unlink(cpath);

    if (netc_nvrtc_load(NULL, 0) == 0) {
        netc_nvrtc_result r;
        int arch = 80;
        netc_nvrtc_opts o = { &arch, 1, 0, 0, NULL, 0 };
        rc = netc_nvrtc_compile(&src, &o, &r, err, sizeof err);
        check(rc == 0 && r.nimages == 2 && r.nstats == 1 && !strcmp(r.stats[0].name, "netc_probe") &&
              r.images[0].kind == NETC_IMAGE_CUBIN && r.images[1].kind == NETC_IMAGE_PTX &&
              r.images[0].size > 4 && !memcmp(r.images[0].data, "\177ELF", 4) &&
              strstr((char *)r.images[1].data, ".target sm_80"),
              "NVRTC: the probe gives an sm_80 CUBIN (ELF) and compute_80 PTX", err);
        netc_nvrtc_result_free(&r);
        netc_kernel_src warn = { "warn.cu", "extern \"C\" __global__ void k(int *p) { int unused; *p = 1; }\n",
                                 NULL, 0, NULL, 0 };
        rc = netc_nvrtc_compile(&warn, &o, &r, err, sizeof err);
        check(rc == -1 && strstr(err, "warnings are errors"), "NVRTC: a warning fails the build", err);
        netc_nvrtc_result_free(&r);
        netc_kernel_src broken = { "broken.cu", "extern \"C\" __global__ void k(int *p) { *p = q; }\n",
                                   NULL, 0, NULL, 0 };
        rc = netc_nvrtc_compile(&broken, &o, &r, err, sizeof err);
        check(rc == -1 && strstr(err, "NVRTC failed for sm_80") && strstr(err, "\"q\""),
              "NVRTC: an error is reported with the log", err);
        netc_nvrtc_result_free(&r);
    } else {
        printf("skip NVRTC checks of the probe: NVRTC not installed\n");
    }
}

int main(int argc, char **argv)
{
    const char *stubdir = argc > 1 ? argv[1] : ".";
    const char *root = argc > 2 ? argv[2] : ".";
    test_pick();
    test_ptxas();
    test_instantiate();
    test_loader(stubdir);
    test_fake();
    test_probe(root);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}
