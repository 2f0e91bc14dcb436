/* tests/cuda/tconv_check.c — runs the tconv kernel templates through the real host
 * path of runtime/cuda_driver.c and compares them with PyTorch (tests/cuda/gen.py).
 *
 *   tconv_check run    (--emulate | --device N) CASES DATADIR [options]
 *   tconv_check nvrtc  CASES [options]      compile every case for every default arch
 *   tconv_check probe  [--emulate]          open the device, print it or the error
 * options: --templates DIR   templates/cuda (default $NETC_ROOT/templates/cuda)
 *          --work DIR        where host images go (default $TMPDIR or /tmp)
 *          --hostcc-flags S  extra host compiler flags (the ASan build passes its own)
 *          --shard K/M       run only the cases with index % M == K
 *          --dump DIR        (nvrtc) write each case's PTX to DIR/case_<id>.ptx
 *          --perturb         scale the weights by 1.001 before the run: every case
 *                            must then FAIL (shows the comparison can fail)
 *
 * `run` is the same code for the emulator and a GPU: only the images differ (a host
 * shared object from netc_host_compile, or CUBIN+PTX from NVRTC for the device's
 * architecture) and netc_cuda_pick_image chooses among them.  Prints one row per
 * case (worst error / tolerance per tensor) and ends with "N passed, N failed".
 */
#include "../../compiler/nvrtc.h"
#include "../../runtime/cuda_driver.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

_Static_assert((int)NETC_IMAGE_CUBIN == (int)NETC_CUDA_IMAGE_CUBIN &&
               (int)NETC_IMAGE_PTX == (int)NETC_CUDA_IMAGE_PTX &&
               (int)NETC_IMAGE_HOST == (int)NETC_CUDA_IMAGE_HOST, "image kinds differ");

static const char *ACTS[] = { "identity", "relu", "sigmoid", "tanh", "softplus",
                              "leaky_relu", "elu" };
#define RTOL 1e-4
#define KAPPA 1e-5

typedef struct tcase {
    int id, dims, n, cin, cout, groups, i[3], o[3], k[3], s[3], d[3], pb[3], pe[3], a[3];
    int bias, act;
    double alpha;
} tcase;

static int parse_cases(const char *path, tcase **out)
{
    FILE *f = fopen(path, "r");
    if (!f) { perror(path); return -1; }
    char line[1024];
    int n = 0, cap = 0;
    tcase *v = NULL;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        tcase c;
        int got = sscanf(line,
            "%d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d %d "
            "%d %d %d %d %d %lf",
            &c.id, &c.dims, &c.n, &c.cin, &c.cout, &c.groups, &c.i[0], &c.i[1], &c.i[2],
            &c.o[0], &c.o[1], &c.o[2], &c.k[0], &c.k[1], &c.k[2], &c.s[0], &c.s[1], &c.s[2],
            &c.d[0], &c.d[1], &c.d[2], &c.pb[0], &c.pb[1], &c.pb[2], &c.pe[0], &c.pe[1],
            &c.pe[2], &c.a[0], &c.a[1], &c.a[2], &c.bias, &c.act, &c.alpha);
        if (got != 33) { fprintf(stderr, "%s: bad line: %s", path, line); fclose(f); free(v); return -1; }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            tcase *nv = realloc(v, sizeof *v * (size_t)cap);
            if (!nv) abort();
            v = nv;
        }
        v[n++] = c;
    }
    fclose(f);
    *out = v;
    return n;
}

static void describe(const tcase *c, char *buf, size_t n)
{
    int l = snprintf(buf, n, "%dD n%d c%d->%d g%d", c->dims, c->n, c->cin, c->cout, c->groups);
    const char *names[] = { "i", "k", "s", "d", "p", "a" };
    const int *vals[] = { c->i, c->k, c->s, c->d, NULL, c->a };
    for (int q = 0; q < 6 && l < (int)n; q++) {
        l += snprintf(buf + l, n - (size_t)l, " %s", names[q]);
        for (int j = 0; j < c->dims && l < (int)n; j++) {
            if (q == 4) l += snprintf(buf + l, n - (size_t)l, "%s%d/%d", j ? "," : "", c->pb[j], c->pe[j]);
            else l += snprintf(buf + l, n - (size_t)l, "%s%d", j ? "," : "", vals[q][j]);
        }
    }
    if (l < (int)n) snprintf(buf + l, n - (size_t)l, " %s%s", ACTS[c->act], c->bias ? "" : " nobias");
}

/* The instantiation the compiler will do (netc_tconv_instantiate); the output sizes
 * it derives must be gen.py's. */
static int case_inst(const tcase *c, netc_tconv_inst *t, char *err, size_t errlen)
{
    netc_tconv_spec s = { c->dims, c->n, c->cin, c->cout, c->groups,
                          { c->i[0], c->i[1], c->i[2] }, { c->k[0], c->k[1], c->k[2] },
                          { c->s[0], c->s[1], c->s[2] }, { c->d[0], c->d[1], c->d[2] },
                          { c->pb[0], c->pb[1], c->pb[2] }, { c->pe[0], c->pe[1], c->pe[2] },
                          { c->a[0], c->a[1], c->a[2] }, c->bias, c->act, c->alpha, 128,
                          c->id % 4 == 3 /* the wide-index variant */ };
    if (netc_tconv_instantiate(&s, t, err, errlen)) return -1;
    for (int j = 0; j < 3; j++)
        if (t->out[j] != c->o[j]) {
            snprintf(err, errlen, "output size %d on axis %d, gen.py says %d", t->out[j], j, c->o[j]);
            return -1;
        }
    return 0;
}

static const char *KERNEL_SOURCE =
    "#include \"tconv_fwd.cu\"\n#include \"tconv_dact.cu\"\n"
    "#include \"tconv_dx.cu\"\n#include \"tconv_dw.cu\"\n";

typedef struct opts {
    const char *templates, *work, *hostcc_flags, *dump;
    int emulate, device, shard_k, shard_m, perturb;
} opts;

typedef struct sizes { long x, w, b, y; } sizes;

static sizes case_sizes(const tcase *c)
{
    long isz = (long)c->i[0] * c->i[1] * c->i[2], osz = (long)c->o[0] * c->o[1] * c->o[2];
    long kt = (long)c->k[0] * c->k[1] * c->k[2];
    return (sizes){ c->n * c->cin * isz, c->cin * (c->cout / c->groups) * kt,
                    c->bias ? c->cout : 0, c->n * c->cout * osz };
}

/* Worst |got - ref| / (RTOL |ref| + KAPPA abs) over a tensor; NaN counts as failure. */
static double worst(const float *got, const double *ref, const double *abs_, long n)
{
    double w = 0;
    for (long i = 0; i < n; i++) {
        double tol = RTOL * fabs(ref[i]) + KAPPA * abs_[i] + 1e-30;
        double e = fabs((double)got[i] - ref[i]) / tol;
        if (!(e == e)) return INFINITY;
        if (e > w) w = e;
    }
    return w;
}

/* Build the images a device can choose from. */
static int build_images(const opts *o, netc_cuda *cu, const tcase *c, const netc_tconv_inst *t,
                        netc_image *imgs, int *nimg, netc_nvrtc_result *nv, char *err,
                        size_t errlen)
{
    *nimg = 0;
    memset(nv, 0, sizeof *nv);
    const char *inc[] = { o->templates };
    char name[64];
    snprintf(name, sizeof name, "tconv_case%d.cu", c->id);
    netc_kernel_src src = { name, KERNEL_SOURCE, t->defines, t->ndefines, inc, 1 };
    if (cu->api.emulated) {
        char so[4096];
        snprintf(so, sizeof so, "%s/tconv_case%d_%d.so", o->work, c->id, (int)getpid());
        int rc = netc_host_compile(&src, NULL, o->hostcc_flags, so, err, errlen);
        if (!rc) rc = netc_image_read(&imgs[0], NETC_IMAGE_HOST, 0, so);
        char cpath[4200];
        snprintf(cpath, sizeof cpath, "%s.c", so);
        unlink(so);
        unlink(cpath);
        if (rc) return -1;
        *nimg = 1;
        return 0;
    }
    /* A GPU: a CUBIN for its own architecture when NVRTC knows it, and the PTX. */
    int sup[64], ns = netc_nvrtc_supported_archs(sup, 64), arch = cu->major * 10 + cu->minor;
    int have = 0;
    for (int j = 0; j < ns; j++) have |= sup[j] == arch;
    netc_nvrtc_opts no = { &arch, have, 0, 0, NULL, 0 };
    if (!have) no.ptx_arch = ns > 0 ? sup[0] : 75;
    if (netc_nvrtc_compile(&src, &no, nv, err, errlen)) return -1;
    for (int j = 0; j < nv->nimages; j++) imgs[(*nimg)++] = nv->images[j];
    return 0;
}

static int run_case(const opts *o, netc_cuda *cu, const tcase *c, const char *datadir)
{
    char desc[256], err[16384], path[4096];
    describe(c, desc, sizeof desc);
    sizes z = case_sizes(c);
    long nd = 2 * (z.x + z.w + z.b + z.y) + (z.y + z.x + z.w + z.b);
    double *d = malloc(sizeof *d * (size_t)nd);
    snprintf(path, sizeof path, "%s/case_%d.bin", datadir, c->id);
    FILE *f = fopen(path, "rb");
    if (!d || !f || fread(d, sizeof *d, (size_t)nd, f) != (size_t)nd) {
        printf("FAIL case %3d  %s: cannot read %s\n", c->id, desc, path);
        if (f) fclose(f);
        free(d);
        return 0;
    }
    fclose(f);
    const double *x = d, *w = x + z.x, *b = w + z.w, *dy = b + z.b;
    const double *ry = dy + z.y, *rdx = ry + z.y, *rdw = rdx + z.x, *rdb = rdw + z.w;
    const double *ay = rdb + z.b, *adx = ay + z.y, *adw = adx + z.x, *adb = adw + z.w;

    long nh = z.x + z.w + z.b + z.y;          /* host float copies: in, then out */
    float *h = malloc(sizeof *h * (size_t)(2 * nh + 1));
    float *hx = h, *hw = hx + z.x, *hb = hw + z.w, *hdy = hb + z.b;
    float *oy = hdy + z.y, *odx = oy + z.y, *odw = odx + z.x, *odb = odw + z.w;
    for (long i = 0; i < nh; i++) h[i] = (float)d[i];
    if (o->perturb)
        for (long i = 0; i < z.w; i++) hw[i] *= 1.001f;

    netc_image imgs[8];
    int nimg = 0, ok = 0;
    netc_nvrtc_result nv;
    netc_cuda_module *m = NULL;
    netc_cu_deviceptr bx = 0, bw = 0, bb = 0, by = 0, bdy = 0, bdz = 0, bdx = 0, bdw = 0, bdb = 0;
    netc_cu_function kf, ka, kx, kw;
    netc_tconv_inst t;
    memset(&nv, 0, sizeof nv);
    if (case_inst(c, &t, err, sizeof err) ||
        build_images(o, cu, c, &t, imgs, &nimg, &nv, err, sizeof err)) {
        printf("FAIL case %3d  %s: build: %s\n", c->id, desc, err);
        goto out;
    }
    netc_cuda_image ci[8];
    for (int j = 0; j < nimg; j++) ci[j] = (netc_cuda_image){ imgs[j].kind, imgs[j].arch, imgs[j].data, imgs[j].size };
    size_t F = sizeof(float);
    if (netc_cuda_load(cu, ci, nimg, &m) ||
        netc_cuda_function(m, "netc_tconv_fwd", &kf) || netc_cuda_function(m, "netc_tconv_dact", &ka) ||
        netc_cuda_function(m, "netc_tconv_dx", &kx) || netc_cuda_function(m, "netc_tconv_dw", &kw) ||
        netc_cuda_alloc(cu, &bx, F * (size_t)z.x) || netc_cuda_alloc(cu, &bw, F * (size_t)z.w) ||
        (z.b && netc_cuda_alloc(cu, &bb, F * (size_t)z.b)) || netc_cuda_alloc(cu, &by, F * (size_t)z.y) ||
        netc_cuda_alloc(cu, &bdy, F * (size_t)z.y) || netc_cuda_alloc(cu, &bdz, F * (size_t)z.y) ||
        netc_cuda_alloc(cu, &bdx, F * (size_t)z.x) || netc_cuda_alloc(cu, &bdw, F * (size_t)z.w) ||
        (z.b && netc_cuda_alloc(cu, &bdb, F * (size_t)z.b))) {
        printf("FAIL case %3d  %s: %s\n", c->id, desc, netc_cuda_error(cu));
        goto out;
    }
    /* Outputs start as NaN so an element no thread writes cannot pass. */
    for (long i = 0; i < nh; i++) oy[i] = NAN;
    if (netc_cuda_upload(cu, bx, hx, F * (size_t)z.x) || netc_cuda_upload(cu, bw, hw, F * (size_t)z.w) ||
        (z.b && netc_cuda_upload(cu, bb, hb, F * (size_t)z.b)) ||
        netc_cuda_upload(cu, bdy, hdy, F * (size_t)z.y) || netc_cuda_upload(cu, by, oy, F * (size_t)z.y) ||
        netc_cuda_upload(cu, bdx, odx, F * (size_t)z.x) || netc_cuda_upload(cu, bdw, odw, F * (size_t)z.w) ||
        (z.b && netc_cuda_upload(cu, bdb, odb, F * (size_t)z.b))) {
        printf("FAIL case %3d  %s: %s\n", c->id, desc, netc_cuda_error(cu));
        goto out;
    }
    void *af[] = { &bx, &bw, &bb, &by };
    void *aa[] = { &bdy, &by, &bdz };
    void *ax[] = { &bdz, &bw, &bdx };
    void *aw[] = { &bx, &bdz, &bdw, &bdb };
    if (netc_cuda_launch(cu, kf, t.threads_fwd, (unsigned)t.block, af) ||
        netc_cuda_launch(cu, ka, t.threads_fwd, (unsigned)t.block, aa) ||
        netc_cuda_launch(cu, kx, t.threads_dx, (unsigned)t.block, ax) ||
        netc_cuda_launch(cu, kw, t.threads_dw, (unsigned)t.block, aw) ||
        netc_cuda_sync(cu) ||
        netc_cuda_download(cu, oy, by, F * (size_t)z.y) || netc_cuda_download(cu, odx, bdx, F * (size_t)z.x) ||
        netc_cuda_download(cu, odw, bdw, F * (size_t)z.w) ||
        (z.b && netc_cuda_download(cu, odb, bdb, F * (size_t)z.b))) {
        printf("FAIL case %3d  %s: %s\n", c->id, desc, netc_cuda_error(cu));
        goto out;
    }
    double ey = worst(oy, ry, ay, z.y), ex = worst(odx, rdx, adx, z.x);
    double ew = worst(odw, rdw, adw, z.w), eb = worst(odb, rdb, adb, z.b);
    ok = ey <= 1 && ex <= 1 && ew <= 1 && eb <= 1;
    char img[32];
    const netc_cuda_image *u = &ci[m->image];
    snprintf(img, sizeof img, u->kind == NETC_CUDA_IMAGE_CUBIN ? "sm_%d" :
             u->kind == NETC_CUDA_IMAGE_PTX ? "ptx_%d" : "host", u->arch);
    printf("%s case %3d  %-7s y %.3f dx %.3f dw %.3f db %.3f  %s\n", ok ? "ok  " : "FAIL",
           c->id, img, ey, ex, ew, eb, desc);
out:
    netc_cuda_free(cu, bx); netc_cuda_free(cu, bw); netc_cuda_free(cu, bb);
    netc_cuda_free(cu, by); netc_cuda_free(cu, bdy); netc_cuda_free(cu, bdz);
    netc_cuda_free(cu, bdx); netc_cuda_free(cu, bdw); netc_cuda_free(cu, bdb);
    netc_cuda_unload(m);
    if (cu->api.emulated && nimg) free(imgs[0].data);
    netc_nvrtc_result_free(&nv);
    free(h);
    free(d);
    fflush(stdout);
    return ok;
}

static int cmd_nvrtc(const opts *o, tcase *cs, int n)
{
    int pass = 0, fail = 0, archs[32];
    int na = netc_nvrtc_default_archs(archs, 32);
    int M = 0, m = 0;
    char err[16384];
    if (na <= 0 || netc_nvrtc_version(&M, &m)) {
        char e[512] = "";
        netc_nvrtc_load(e, sizeof e);
        printf("FAIL nvrtc: %s\n", e[0] ? e : "no default architecture supported");
        printf("0 passed, 1 failed\n");
        return 1;
    }
    printf("NVRTC %d.%d, architectures:", M, m);
    for (int j = 0; j < na; j++) printf(" sm_%d", archs[j]);
    printf(" + compute_%d PTX\n", archs[0]);
    printf("%-4s %-6s %-16s %5s %6s %6s %6s %s\n", "case", "arch", "kernel", "regs", "smem",
           "stack", "spill", "configuration");
    for (int i = 0; i < n; i++) {
        if (o->shard_m > 1 && i % o->shard_m != o->shard_k) continue;
        char desc[256], name[64];
        netc_tconv_inst t;
        const char *inc[] = { o->templates };
        snprintf(name, sizeof name, "tconv_case%d.cu", cs[i].id);
        netc_nvrtc_result r;
        memset(&r, 0, sizeof r);
        describe(&cs[i], desc, sizeof desc);
        int rc = case_inst(&cs[i], &t, err, sizeof err);
        netc_kernel_src src = { name, KERNEL_SOURCE, t.defines, t.ndefines, inc, 1 };
        if (!rc) rc = netc_nvrtc_compile(&src, NULL, &r, err, sizeof err);
        for (int j = 0; j < r.nstats; j++) {
            netc_kernel_stats *s = &r.stats[j];
            printf("%-4d sm_%-3d %-16s %5d %6ld %6ld %6ld %s\n", cs[i].id, s->arch, s->name,
                   s->regs, s->smem, s->stack, s->spill_stores + s->spill_loads, desc);
        }
        /* One check per architecture: a CUBIN with the four kernels, and the PTX. */
        for (int a = 0; a < na; a++) {
            int kernels = 0, cubin = 0;
            for (int j = 0; j < r.nstats; j++) kernels += r.stats[j].arch == archs[a];
            for (int j = 0; j < r.nimages; j++)
                cubin |= r.images[j].kind == NETC_IMAGE_CUBIN && r.images[j].arch == archs[a];
            int good = !rc && kernels == 4 && cubin;
            good ? pass++ : fail++;
            if (!good) printf("FAIL case %d sm_%d: %d kernels%s\n", cs[i].id, archs[a], kernels,
                              cubin ? "" : ", no cubin");
        }
        int ptx = 0;
        for (int j = 0; j < r.nimages; j++) {
            if (r.images[j].kind != NETC_IMAGE_PTX) continue;
            ptx = 1;
            if (o->dump) {
                char path[4096];
                snprintf(path, sizeof path, "%s/case_%d.ptx", o->dump, cs[i].id);
                FILE *f = fopen(path, "w");
                if (f) { fputs((const char *)r.images[j].data, f); fclose(f); }
            }
        }
        (!rc && ptx) ? pass++ : fail++;
        if (rc) printf("FAIL case %d: %s\n", cs[i].id, err);
        netc_nvrtc_result_free(&r);
    }
    printf("%d passed, %d failed\n", pass, fail);
    return fail != 0;
}

int main(int argc, char **argv)
{
    static char defdir[4096];
    const char *root = getenv("NETC_ROOT");
    snprintf(defdir, sizeof defdir, "%s/templates/cuda", root ? root : ".");
    const char *tmp = getenv("TMPDIR");
    opts o = { defdir, tmp && *tmp ? tmp : "/tmp", NULL, NULL, 0, -1, 0, 1, 0 };
    const char *pos[4];
    int np = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--emulate")) o.emulate = 1;
        else if (!strcmp(argv[i], "--device") && i + 1 < argc) o.device = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--templates") && i + 1 < argc) o.templates = argv[++i];
        else if (!strcmp(argv[i], "--work") && i + 1 < argc) o.work = argv[++i];
        else if (!strcmp(argv[i], "--hostcc-flags") && i + 1 < argc) o.hostcc_flags = argv[++i];
        else if (!strcmp(argv[i], "--perturb")) o.perturb = 1;
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc) o.dump = argv[++i];
        else if (!strcmp(argv[i], "--shard") && i + 1 < argc) sscanf(argv[++i], "%d/%d", &o.shard_k, &o.shard_m);
        else if (np < 4) pos[np++] = argv[i];
        else { fprintf(stderr, "tconv_check: unexpected %s\n", argv[i]); return 2; }
    }
    if (np < 1) {
        fprintf(stderr, "usage: tconv_check run|nvrtc|probe ... (see tests/cuda/tconv_check.c)\n");
        return 2;
    }
    char err[2048];
    netc_cuda *cu = NULL;
    if (!strcmp(pos[0], "probe")) {
        if (netc_cuda_open(&cu, o.emulate, o.device < 0 ? 0 : o.device, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        printf("device %d: %s, compute capability %d.%d, %d SMs (%s)\n", cu->ordinal, cu->name,
               cu->major, cu->minor, cu->sms, cu->api.origin);
        netc_cuda_close(cu);
        return 0;
    }
    tcase *cs = NULL;
    int n = np >= 2 ? parse_cases(pos[1], &cs) : -1;
    if (n < 0) { fprintf(stderr, "tconv_check: no cases\n"); return 2; }
    int rc;
    if (!strcmp(pos[0], "nvrtc")) {
        rc = cmd_nvrtc(&o, cs, n);
    } else if (!strcmp(pos[0], "run") && np == 3 && (o.emulate || o.device >= 0)) {
        if (netc_cuda_open(&cu, o.emulate, o.emulate ? 0 : o.device, err, sizeof err)) {
            printf("%s\n0 passed, 1 failed\n", err);
            free(cs);
            return 1;
        }
        printf("device: %s, compute capability %d.%d (%s)\n", cu->name, cu->major, cu->minor,
               cu->api.origin);
        int pass = 0, fail = 0;
        for (int i = 0; i < n; i++) {
            if (o.shard_m > 1 && i % o.shard_m != o.shard_k) continue;
            run_case(&o, cu, &cs[i], pos[2]) ? pass++ : fail++;
        }
        netc_cuda_close(cu);
        printf("%d passed, %d failed\n", pass, fail);
        rc = fail != 0;
    } else {
        fprintf(stderr, "usage: tconv_check run (--emulate | --device N) CASES DATADIR\n");
        rc = 2;
    }
    free(cs);
    return rc;
}
