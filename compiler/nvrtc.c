/* compiler/nvrtc.c — NVRTC (dlopen'ed) and host-compiler builds of kernel templates.
 * See nvrtc.h for the contract.  The NVRTC entry points are declared here with
 * netc-local types; tests/cuda checks them against the toolkit's nvrtc.h.
 */
#include "nvrtc.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- NVRTC ABI (from the NVRTC API documentation) ------------------------------ */
#ifdef NETC_NVRTC_TOOLKIT_TYPES               /* only for the ABI check in tests/cuda */
typedef nvrtcResult nvrtc_result;
typedef nvrtcProgram nvrtc_program;
#else
typedef int nvrtc_result;                     /* nvrtcResult; 0 = NVRTC_SUCCESS */
typedef struct _nvrtcProgram *nvrtc_program;  /* nvrtcProgram                   */
#endif

/* X(return, name without the nvrtc prefix, parameters) */
#define NETC_NVRTC_FUNCS(X) \
    X(const char *, GetErrorString, (nvrtc_result)) \
    X(nvrtc_result, Version, (int *, int *)) \
    X(nvrtc_result, GetNumSupportedArchs, (int *)) \
    X(nvrtc_result, GetSupportedArchs, (int *)) \
    X(nvrtc_result, CreateProgram, (nvrtc_program *, const char *, const char *, int, \
                                    const char *const *, const char *const *)) \
    X(nvrtc_result, DestroyProgram, (nvrtc_program *)) \
    X(nvrtc_result, CompileProgram, (nvrtc_program, int, const char *const *)) \
    X(nvrtc_result, GetProgramLogSize, (nvrtc_program, size_t *)) \
    X(nvrtc_result, GetProgramLog, (nvrtc_program, char *)) \
    X(nvrtc_result, GetCUBINSize, (nvrtc_program, size_t *)) \
    X(nvrtc_result, GetCUBIN, (nvrtc_program, char *)) \
    X(nvrtc_result, GetPTXSize, (nvrtc_program, size_t *)) \
    X(nvrtc_result, GetPTX, (nvrtc_program, char *))

typedef struct netc_nvrtc_api {
#define NETC_NVRTC_FIELD(ret, name, params) ret (*name) params;
    NETC_NVRTC_FUNCS(NETC_NVRTC_FIELD)
#undef NETC_NVRTC_FIELD
} netc_nvrtc_api;

static netc_nvrtc_api api;
static void *lib;

static void fmt(char *err, size_t n, const char *f, ...)
{
    va_list ap;
    if (!err || !n) return;
    va_start(ap, f);
    vsnprintf(err, n, f, ap);
    va_end(ap);
}

int netc_nvrtc_load(char *err, size_t errlen)
{
    if (lib) return 0;
    char tried[1024] = "";
    const char *env = getenv("NETC_NVRTC");
    const char *home = getenv("CUDA_HOME");
    char homelib[512] = "";
    if (home) snprintf(homelib, sizeof homelib, "%s/lib64/libnvrtc.so", home);
    const char *names[] = { env, "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so",
                            home ? homelib : NULL, "/usr/local/cuda/lib64/libnvrtc.so" };
    const char *why = "";
    for (size_t i = 0; i < sizeof names / sizeof *names && !lib; i++) {
        if (!names[i] || !*names[i]) continue;
        lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            why = dlerror();
            size_t l = strlen(tried);
            snprintf(tried + l, sizeof tried - l, "%s%s", l ? ", " : "", names[i]);
        }
        if (env && i == 0 && !lib) break;    /* an explicit choice is not second-guessed */
    }
    if (!lib) {
        fmt(err, errlen, "netc: NVRTC not found (tried %s): %s; install the CUDA toolkit "
            "or set NETC_NVRTC to libnvrtc.so", tried, why ? why : "");
        return -1;
    }
#define NETC_NVRTC_RESOLVE(ret, f, params) \
    *(void **)&api.f = dlsym(lib, "nvrtc" #f); \
    if (!api.f) { fmt(err, errlen, "netc: NVRTC lacks nvrtc" #f); \
                  dlclose(lib); lib = NULL; return -1; }
    NETC_NVRTC_FUNCS(NETC_NVRTC_RESOLVE)
#undef NETC_NVRTC_RESOLVE
    return 0;
}

int netc_nvrtc_version(int *major, int *minor)
{
    if (netc_nvrtc_load(NULL, 0)) return -1;
    return api.Version(major, minor) ? -1 : 0;
}

int netc_nvrtc_supported_archs(int *archs, int max)
{
    int n = 0;
    if (netc_nvrtc_load(NULL, 0) || api.GetNumSupportedArchs(&n) || n <= 0) return -1;
    int *all = malloc(sizeof *all * (size_t)n);
    if (!all || api.GetSupportedArchs(all)) { free(all); return -1; }
    int k = 0;
    for (int i = 0; i < n && k < max; i++) archs[k++] = all[i];
    free(all);
    return k;
}

int netc_nvrtc_default_archs(int *archs, int max)
{
    static const int want[] = { 75, 80, 86, 89, 90, 100, 120 };
    int sup[128];
    int ns = netc_nvrtc_supported_archs(sup, 128);
    if (ns < 0) return -1;
    int k = 0;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        for (int j = 0; j < ns; j++)
            if (sup[j] == want[i] && k < max) archs[k++] = want[i];
    return k;
}

/* ---- text helpers ---------------------------------------------------------------- */
typedef struct sbuf { char *p; size_t n, cap; } sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) abort();
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}
static void sb_str(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }

char *netc_kernel_text(const netc_kernel_src *src)
{
    sbuf b = { 0 };
    sb_str(&b, "/* netc kernel: ");
    sb_str(&b, src->name ? src->name : "kernel");
    sb_str(&b, " */\n");
    for (int i = 0; i < src->ndefines; i++) {
        const char *d = src->defines[i], *eq = strchr(d, '=');
        sb_str(&b, "#define ");
        if (eq) {
            sb_add(&b, d, (size_t)(eq - d));
            sb_str(&b, " ");
            sb_str(&b, eq + 1);
        } else {
            sb_str(&b, d);
        }
        sb_str(&b, "\n");
    }
    sb_str(&b, src->source);
    sb_str(&b, "\n");
    return b.p;
}

int netc_log_has_warning(const char *log)
{
    return log && (strstr(log, "warning") || strstr(log, "Warning"));
}

static long num_before(const char *line, const char *what)
{
    const char *p = strstr(line, what);
    if (!p) return -1;
    while (p > line && p[-1] == ' ') p--;
    while (p > line && (p[-1] >= '0' && p[-1] <= '9')) p--;
    return strtol(p, NULL, 10);
}

int netc_ptxas_parse(const char *log, int arch, netc_kernel_stats *out, int max)
{
    int n = 0, cur = -1;
    for (const char *line = log; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        char l[512];
        if (len >= sizeof l) len = sizeof l - 1;
        memcpy(l, line, len);
        l[len] = 0;
        const char *q;
        if ((q = strstr(l, "Compiling entry function '")) ||
            (q = strstr(l, "Function properties for "))) {
            const char *nm = strchr(q, '\'') ? strchr(q, '\'') + 1 : q + strlen("Function properties for ");
            char name[96];
            size_t k = 0;
            while (nm[k] && nm[k] != '\'' && nm[k] != ' ' && k + 1 < sizeof name) { name[k] = nm[k]; k++; }
            name[k] = 0;
            cur = -1;
            for (int i = 0; i < n; i++) if (!strcmp(out[i].name, name)) cur = i;
            if (cur < 0 && n < max) {
                cur = n++;
                memset(&out[cur], 0, sizeof out[cur]);
                memcpy(out[cur].name, name, k + 1);
                out[cur].arch = arch;
            }
        } else if (cur >= 0) {
            long v;
            if ((v = num_before(l, "bytes stack frame")) >= 0) out[cur].stack = v;
            if ((v = num_before(l, "bytes spill stores")) >= 0) out[cur].spill_stores = v;
            if ((v = num_before(l, "bytes spill loads")) >= 0) out[cur].spill_loads = v;
            if ((v = num_before(l, "registers")) >= 0) out[cur].regs = (int)v;
            if ((v = num_before(l, "bytes smem")) >= 0) out[cur].smem = v;
            if ((v = num_before(l, "bytes cmem[0]")) >= 0) out[cur].cmem = v;
        }
        line = end ? end + 1 : NULL;
    }
    return n;
}

/* ---- NVRTC compile --------------------------------------------------------------- */
static int compile_one(const char *text, const netc_kernel_src *src, const netc_nvrtc_opts *o,
                       int arch, int ptx, netc_nvrtc_result *res, char *err, size_t errlen)
{
    const char *opts[64];
    char archopt[32], incs[16][600];
    int no = 0;
    snprintf(archopt, sizeof archopt, "-arch=%s_%d", ptx ? "compute" : "sm", arch);
    opts[no++] = archopt;
    opts[no++] = "-std=c++17";
    if (!ptx) opts[no++] = "--ptxas-options=-v";
    for (int i = 0; i < src->ninclude_dirs && i < 16; i++) {
        snprintf(incs[i], sizeof incs[i], "-I%s", src->include_dirs[i]);
        opts[no++] = incs[i];
    }
    for (int i = 0; i < o->nextra && no < 64; i++) opts[no++] = o->extra[i];

    nvrtc_program prog;
    nvrtc_result r = api.CreateProgram(&prog, text, src->name ? src->name : "kernel.cu",
                                       0, NULL, NULL);
    if (r) {
        fmt(err, errlen, "netc: nvrtcCreateProgram: %s", api.GetErrorString(r));
        return -1;
    }
    nvrtc_result cr = api.CompileProgram(prog, no, opts);
    size_t ls = 0;
    char *log = NULL;
    if (!api.GetProgramLogSize(prog, &ls) && ls > 0 && (log = calloc(1, ls + 1)))
        api.GetProgramLog(prog, log);
    char head[160];
    snprintf(head, sizeof head, "== %s %s_%d\n", src->name ? src->name : "kernel",
             ptx ? "compute" : "sm", arch);
    sbuf lb = { res->log, res->log ? strlen(res->log) : 0, res->log ? strlen(res->log) + 1 : 0 };
    sb_str(&lb, head);
    if (log) sb_str(&lb, log);
    res->log = lb.p;
    int rc = 0;
    if (cr) {
        fmt(err, errlen, "netc: NVRTC failed for %s_%d (%s):\n%s", ptx ? "compute" : "sm",
            arch, api.GetErrorString(cr), log ? log : "");
        rc = -1;
    } else if (netc_log_has_warning(log)) {
        fmt(err, errlen, "netc: warnings are errors (%s_%d):\n%s", ptx ? "compute" : "sm",
            arch, log);
        rc = -1;
    }
    if (!rc) {
        size_t sz = 0;
        unsigned char *data = NULL;
        r = ptx ? api.GetPTXSize(prog, &sz) : api.GetCUBINSize(prog, &sz);
        if (!r && (data = malloc(sz ? sz : 1)))
            r = ptx ? api.GetPTX(prog, (char *)data) : api.GetCUBIN(prog, (char *)data);
        if (r || !data) {
            fmt(err, errlen, "netc: cannot fetch the %s: %s", ptx ? "PTX" : "CUBIN",
                r ? api.GetErrorString(r) : "out of memory");
            free(data);
            rc = -1;
        } else {
            netc_image *im = realloc(res->images, sizeof *im * (size_t)(res->nimages + 1));
            if (!im) abort();
            res->images = im;
            im[res->nimages++] = (netc_image){ ptx ? NETC_IMAGE_PTX : NETC_IMAGE_CUBIN, arch, data, sz };
        }
    }
    if (!rc && !ptx) {
        enum { MAXK = 4096 };   /* a network's source holds one entry per kernel */
        netc_kernel_stats *st = malloc(sizeof *st * MAXK);
        if (!st) abort();
        int ns = netc_ptxas_parse(log, arch, st, MAXK);
        if (ns == 0) {
            fmt(err, errlen, "netc: no ptxas figures in the log for sm_%d", arch);
            rc = -1;
        }
        netc_kernel_stats *s = realloc(res->stats, sizeof *s * (size_t)(res->nstats + ns));
        if (!s && ns) abort();
        res->stats = s;
        for (int i = 0; i < ns; i++) {
            res->stats[res->nstats++] = st[i];
            if (!o->allow_spills && (st[i].spill_stores || st[i].spill_loads) && !rc) {
                fmt(err, errlen, "netc: kernel %s spills on sm_%d (%ld bytes stored, %ld loaded)",
                    st[i].name, arch, st[i].spill_stores, st[i].spill_loads);
                rc = -1;
            }
        }
        free(st);
    }
    free(log);
    api.DestroyProgram(&prog);
    return rc;
}

int netc_nvrtc_compile(const netc_kernel_src *src, const netc_nvrtc_opts *opts,
                       netc_nvrtc_result *res, char *err, size_t errlen)
{
    static const netc_nvrtc_opts defaults = { NULL, 0, 0, 0, NULL, 0 };
    const netc_nvrtc_opts *o = opts ? opts : &defaults;
    memset(res, 0, sizeof *res);
    if (netc_nvrtc_load(err, errlen)) return -1;
    int archs[64], na = o->narchs;
    if (o->archs) {
        if (na > 64) na = 64;
        memcpy(archs, o->archs, sizeof *archs * (size_t)na);
    } else if ((na = netc_nvrtc_default_archs(archs, 64)) <= 0) {
        fmt(err, errlen, "netc: NVRTC supports none of netc's default architectures");
        return -1;
    }
    char *text = netc_kernel_text(src);
    int rc = 0;
    for (int i = 0; i < na && !rc; i++)
        rc = compile_one(text, src, o, archs[i], 0, res, err, errlen);
    if (!rc && o->ptx_arch >= 0) {
        int p = o->ptx_arch;
        if (!p) {
            p = archs[0];
            for (int i = 1; i < na; i++) if (archs[i] < p) p = archs[i];
        }
        rc = compile_one(text, src, o, p, 1, res, err, errlen);
    }
    free(text);
    return rc;
}

void netc_nvrtc_result_free(netc_nvrtc_result *res)
{
    for (int i = 0; i < res->nimages; i++) free(res->images[i].data);
    free(res->images);
    free(res->stats);
    free(res->log);
    memset(res, 0, sizeof *res);
}

/* ---- tconv instantiation ----------------------------------------------------------- */
int netc_tconv_instantiate(const netc_tconv_spec *s, netc_tconv_inst *t, char *err,
                           size_t errlen)
{
    memset(t, 0, sizeof *t);
    if (s->dims < 1 || s->dims > 3 || s->n < 1 || s->cin < 1 || s->cout < 1 || s->groups < 1 ||
        s->cin % s->groups || s->cout % s->groups) {
        fmt(err, errlen, "netc: tconv: bad sizes (dims %d, n %d, channels %d->%d, groups %d)",
            s->dims, s->n, s->cin, s->cout, s->groups);
        return -1;
    }
    if (s->act < 0 || s->act > 6) {
        fmt(err, errlen, "netc: tconv: unknown activation %d", s->act);
        return -1;
    }
    int in[3], k[3], st[3], d[3], pb[3];
    unsigned long long isz = 1, osz = 1, kt = 1;
    for (int j = 0; j < 3; j++) {
        int used = j < s->dims;
        in[j] = used ? s->in[j] : 1;
        k[j] = used ? s->kernel[j] : 1;
        st[j] = used ? s->stride[j] : 1;
        d[j] = used ? s->dilation[j] : 1;
        pb[j] = used ? s->pad_begin[j] : 0;
        int pe = used ? s->pad_end[j] : 0, a = used ? s->out_pad[j] : 0;
        if (in[j] < 1 || k[j] < 1 || st[j] < 1 || d[j] < 1 || pb[j] < 0 || pe < 0 || a < 0) {
            fmt(err, errlen, "netc: tconv: bad axis %d (input %d, kernel %d, stride %d, "
                "dilation %d, padding %d/%d, output_padding %d)", j, in[j], k[j], st[j], d[j],
                pb[j], pe, a);
            return -1;
        }
        t->out[j] = (in[j] - 1) * st[j] - pb[j] - pe + d[j] * (k[j] - 1) + a + 1;
        if (t->out[j] < 1) {
            fmt(err, errlen, "netc: tconv: axis %d has output size %d", j, t->out[j]);
            return -1;
        }
        isz *= (unsigned long long)in[j];
        osz *= (unsigned long long)t->out[j];
        kt *= (unsigned long long)k[j];
    }
    t->block = s->block > 0 ? s->block : 256;
    t->threads_fwd = (unsigned long long)s->n * (unsigned long long)s->cout * osz;
    t->threads_dx = (unsigned long long)s->n * (unsigned long long)s->cin * isz;
    t->threads_dw = (unsigned long long)s->cin * (unsigned long long)(s->cout / s->groups) * kt +
                    (s->bias ? (unsigned long long)s->cout : 0);
    unsigned long long most = t->threads_fwd;
    if (t->threads_dx > most) most = t->threads_dx;
    if (t->threads_dw > most) most = t->threads_dw;
    int wide = s->wide_index || most + (unsigned long long)t->block >= 0x7fffffffULL;

    int n = 0;
#define DEF(...) (snprintf(t->text[n], sizeof t->text[n], __VA_ARGS__), \
                  t->defines[n] = t->text[n], n++)
    DEF("NETC_N=%d", s->n);
    DEF("NETC_CIN=%d", s->cin);
    DEF("NETC_COUT=%d", s->cout);
    DEF("NETC_GROUPS=%d", s->groups);
    for (int j = 0; j < 3; j++) {
        DEF("NETC_I%d=%d", j, in[j]);
        DEF("NETC_O%d=%d", j, t->out[j]);
        DEF("NETC_K%d=%d", j, k[j]);
        DEF("NETC_S%d=%d", j, st[j]);
        DEF("NETC_D%d=%d", j, d[j]);
        DEF("NETC_PB%d=%d", j, pb[j]);
        if (st[j] > 16) {                   /* the template derives it up to 16 only */
            int g = st[j], h = d[j];
            while (h) { int r = g % h; g = h; h = r; }
            DEF("NETC_TS%d=%d", j, st[j] / g);
        }
    }
    DEF("NETC_BIAS=%d", s->bias ? 1 : 0);
    DEF("NETC_ACT=%d", s->act);
    DEF("NETC_ALPHA=%.9ef", s->alpha);
    DEF("NETC_BLOCK=%d", t->block);
    if (wide) DEF("NETC_IDX=long long");
#undef DEF
    t->ndefines = n;
    return 0;
}

/* ---- host twin -------------------------------------------------------------------- */
static char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    sbuf b = { 0 };
    char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sb_add(&b, buf, k);
    fclose(f);
    if (!b.p) sb_add(&b, "", 0);
    if (size) *size = b.n;
    return b.p;
}

int netc_image_read(netc_image *img, int kind, int arch, const char *path)
{
    size_t n;
    char *p = slurp(path, &n);
    if (!p) return -1;
    *img = (netc_image){ kind, arch, (unsigned char *)p, kind == NETC_IMAGE_PTX ? n + 1 : n };
    return 0;
}

int netc_host_compile(const netc_kernel_src *src, const char *cc, const char *flags,
                      const char *out_so, char *err, size_t errlen)
{
    char cpath[4096], lpath[4096];
    snprintf(cpath, sizeof cpath, "%s.c", out_so);
    snprintf(lpath, sizeof lpath, "%s.log", out_so);
    char *text = netc_kernel_text(src);
    FILE *f = fopen(cpath, "w");
    if (!f) {
        fmt(err, errlen, "netc: cannot write %s: %s", cpath, strerror(errno));
        free(text);
        return -1;
    }
    fputs(text, f);
    free(text);
    fclose(f);

    if (!cc) cc = getenv("CC");
    if (!cc || !*cc) cc = "cc";
    char fl[2048] = "";
    if (flags) snprintf(fl, sizeof fl, "%s", flags);
    char incs[16][600];
    const char *argv[128];
    int ac = 0;
    argv[ac++] = cc;
    const char *fixed[] = { "-std=c11", "-D_DEFAULT_SOURCE", "-O2", "-fPIC", "-shared",
                            "-Wall", "-Wextra", "-Werror" };
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) argv[ac++] = fixed[i];
    for (char *save = NULL, *w = strtok_r(fl, " ", &save); w && ac < 100;
         w = strtok_r(NULL, " ", &save))
        argv[ac++] = w;
    for (int i = 0; i < src->ninclude_dirs && i < 16; i++) {
        snprintf(incs[i], sizeof incs[i], "-I%s", src->include_dirs[i]);
        argv[ac++] = incs[i];
    }
    argv[ac++] = cpath;
    argv[ac++] = "-o";
    argv[ac++] = out_so;
    argv[ac++] = "-lm";
    argv[ac] = NULL;

    pid_t pid = fork();
    if (pid < 0) {
        fmt(err, errlen, "netc: fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        int fd = open(lpath, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) { dup2(fd, 1); dup2(fd, 2); close(fd); }
        execvp(cc, (char *const *)argv);
        fprintf(stderr, "netc: cannot run %s: %s\n", cc, strerror(errno));
        _exit(127);
    }
    int st = 0;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    char *log = slurp(lpath, NULL);
    int ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;
    if (!ok) fmt(err, errlen, "netc: host compile of %s failed:\n%s", cpath, log ? log : "");
    free(log);
    unlink(lpath);
    return ok ? 0 : -1;
}
