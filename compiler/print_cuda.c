/*
 * print_cuda.c — the CUDA printer: walks a Schedule (and its TrainPlan) like
 * print_c.c and writes, per network,
 *   NAME.cu          every kernel, one instance of a templates/cuda kernel per step:
 *                    the shape constants as #defines, then the template text itself
 *                    (inlined, so the file stands alone), then reset.cuh
 *   NAME_kernels.h   each kernel's name, launch geometry and arguments, and the
 *                    launch sequence of the forward pass and of a training step
 *   NAME_cuda.c      the host side: the images (CUBIN per architecture, PTX, the
 *                    emulator's shared object) as byte arrays, and run / train_step
 *                    / eval_loss that upload, launch through runtime/cuda_driver.h and
 *                    download, behind the netc_model descriptor (NAME_cuda_model)
 * `netc build --target cuda` adds NAME.h / NAME.c from the C printer (parameters,
 * initialisers and checkpoints are that code's; its arena is never used) and with
 * --exe the standalone program; `netc emit-cuda` writes NAME.cu, the header, the PTX,
 * the CUBINs and the ptxas figures.
 *
 * Every kernel is a gather (one thread per output element, no atomics), so results
 * are the same run to run.  Kernel arguments are device pointers only: offsets into
 * the arena, parameters, gradients and optimiser state are added on the host.
 */
#define _GNU_SOURCE
#include "print_cuda.h"
#include "driver.h"
#include "emit.h"
#include "nvrtc.h"
#include "print_c.h"
#include "schedule.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LL(x) ((long long)(x))

/* ---- the kernel source ---- */

typedef struct KInfo {
    const char *name;         /* entry point */
    const char *what;         /* layer and role, for the header */
    const char *args;         /* "x, w, b, y" */
    unsigned long long threads;
    int nargs;
} KInfo;

typedef struct Cu {
    const Schedule *s;
    const TrainPlan *tp;
    Arena *a;
    const char *tdir;         /* templates/cuda */
    Emitter src;              /* NAME.cu */
    Emitter *h;               /* the host function being printed */
    Emitter doc;              /* launch sequences, for the header */
    KInfo *k;
    int nk, capk, ninst;
    int64_t scratch;          /* device scratch floats needed */
    int64_t scbase, bnbase;   /* scratch: loss parts at 0, Adam's two scalars and the
                                 clipping coefficient at scbase,
                                 batchnorm's unwanted parameter gradients at bnbase */
    bool bad, shim_done;
    char err[600];
} Cu;

enum { BLOCK = 256 };

static void fail(Cu *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(Cu *c, const char *fmt, ...) {
    if (c->bad) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    c->bad = true;
}

/* A float literal that is always one ("0.5f", "3.0f", "1e-05f"), as print_c.c writes them. */
static const char *flit(Arena *a, double v) {
    char t[40];
    snprintf(t, sizeof t, "%.9g", v);
    bool real = strpbrk(t, ".eEn") != NULL;
    return arena_printf(a, "%s%sf", t, real ? "" : ".0");
}

typedef struct Defs { const char *v[64]; int n; } Defs;
static void def(Cu *c, Defs *d, const char *name, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void def(Cu *c, Defs *d, const char *name, const char *fmt, ...) {
    char val[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    if (d->n < 64) d->v[d->n++] = arena_printf(c->a, "#define NETC_%s %s", name, val);
}
static void defi(Cu *c, Defs *d, const char *name, int64_t v) { def(c, d, name, "%lld", LL(v)); }

/* Append templates/cuda/FILE to the source with every `#include "X"` replaced by X's
 * text, recursively (the include guards inside keep their meaning). */
static void inline_file(Cu *c, const char *file, int depth) {
    if (depth > 8) { fail(c, "templates/cuda: includes nested too deeply at %s", file); return; }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", c->tdir, file);
    size_t len;
    char *text = read_file(path, &len);
    if (!text) { fail(c, "cannot read the kernel template '%s': %s", path, strerror(errno)); return; }
    emit_raw(&c->src, arena_printf(c->a, "/* ---- %s ---- */\n", file));
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        char inc[256];
        if (sscanf(line, " #include \"%255[^\"]\"", inc) == 1 && memchr(line, '"', n)) {
            /* shim.h is guarded as a whole: once is enough */
            if (strcmp(inc, "shim.h") || !c->shim_done) inline_file(c, inc, depth + 1);
            if (!strcmp(inc, "shim.h")) c->shim_done = true;
        } else {
            char *l = arena_alloc(c->a, n + 2);
            memcpy(l, line, n);
            l[n] = '\n';
            emit_raw(&c->src, l);
        }
        line = nl ? nl + 1 : line + n;
    }
    free(text);
}

/* One instance of template `tmpl` with defines d: returns its id (the suffix of its
 * kernels' names). */
static int instance(Cu *c, const char *tmpl, const Defs *d, const char *what) {
    int id = c->ninst++;
    emit_raw(&c->src, arena_printf(c->a, "\n/* ======== k%d: %s (%s) ======== */\n#define NETC_ID k%d\n", id, what, tmpl, id));
    for (int i = 0; i < d->n; i++) { emit_raw(&c->src, d->v[i]); emit_raw(&c->src, "\n"); }
    inline_file(c, tmpl, 0);
    inline_file(c, "reset.cuh", 0);
    return id;
}

/* Register kernel `base`_k`id`; returns its index in the host table. */
static int kernel(Cu *c, const char *base, int id, unsigned long long threads, const char *args, const char *what) {
    if (c->nk == c->capk) {
        c->capk = c->capk ? 2 * c->capk : 64;
        KInfo *k = realloc(c->k, sizeof *k * (size_t)c->capk);
        if (!k) { fputs("netc: out of memory\n", stderr); exit(3); }
        c->k = k;
    }
    int nargs = 1;
    for (const char *p = args; *p; p++) nargs += *p == ',';
    c->k[c->nk] = (KInfo){arena_printf(c->a, "%s_k%d", base, id), what, args, threads, nargs};
    return c->nk++;
}

/* A launch in the host function being printed: kernel index and its arguments. */
static void launch(Cu *c, int k, ...) {
    char args[1024] = "";
    va_list ap;
    va_start(ap, k);
    int n = 0;
    for (const char *a; (a = va_arg(ap, const char *));) {
        snprintf(args + strlen(args), sizeof args - strlen(args), "%s%s", n ? ", " : "", a);
        n++;
    }
    va_end(ap);
    if (n != c->k[k].nargs) fail(c, "internal error: kernel %s takes %d arguments, given %d", c->k[k].name, c->k[k].nargs, n);
    emit(c->h, "{ netc_cu_deviceptr a_[] = {%s}; go(%d, a_); } /* %s */", args, k, c->k[k].name);
    emit(&c->doc, " *   %s(%s)", c->k[k].name, args);
}

/* Device addresses, as the host code spells them. */
static const char *A(Cu *c, int64_t off) { return arena_printf(c->a, "A(%lld)", LL(off)); }
static const char *P(Cu *c, int64_t off) { return arena_printf(c->a, "P(%lld)", LL(off)); }
static const char *G(Cu *c, int64_t off) { return arena_printf(c->a, "G(%lld)", LL(off)); }
static const char *S(Cu *c, int64_t off) { return arena_printf(c->a, "S(%lld)", LL(off)); }
static void need_scratch(Cu *c, int64_t n) { if (n > c->scratch) c->scratch = n; }

static const char *idx_type(int64_t maxcount) { return maxcount >= ((int64_t)1 << 31) - BLOCK ? "long long" : "int"; }

static void act_defs(Cu *c, Defs *d, Activation act) {
    defi(c, d, "ACT", (int)act.kind);   /* ActKind has act.cuh's numbering */
    if (act.kind == ACT_LEAKY_RELU || act.kind == ACT_ELU) def(c, d, "ALPHA", "%s", flit(c->a, act.alpha));
}

static int64_t gcd64(int64_t a, int64_t b) { while (b) { int64_t t = a % b; a = b; b = t; } return a; }

/* The tconv_common.cuh macros of a transposed convolution with geometry g over nb
 * samples; `conv` gives those of the transposed problem of convolution g (see
 * conv_fwd.cu): channels and sizes swap. */
static void geom_defs(Cu *c, Defs *d, const ConvGeom *g, int64_t nb, bool conv) {
    int64_t invol = 1, outvol = 1, kvol = 1;
    for (int i = 0; i < g->nsp; i++) { invol *= g->in[i]; outvol *= g->out[i]; kvol *= g->k[i]; }
    defi(c, d, "N", nb);
    defi(c, d, "CIN", conv ? g->cout : g->cin);
    defi(c, d, "COUT", conv ? g->cin : g->cout);
    defi(c, d, "GROUPS", g->groups);
    for (int i = 0; i < g->nsp; i++) {
        char nm[16];   /* "I%d" of any int: -O1 -Wformat-truncation (the asan variant) */
        snprintf(nm, sizeof nm, "I%d", i); defi(c, d, nm, conv ? g->out[i] : g->in[i]);
        snprintf(nm, sizeof nm, "O%d", i); defi(c, d, nm, conv ? g->in[i] : g->out[i]);
        snprintf(nm, sizeof nm, "K%d", i); defi(c, d, nm, g->k[i]);
        snprintf(nm, sizeof nm, "S%d", i); defi(c, d, nm, g->s[i]);
        snprintf(nm, sizeof nm, "D%d", i); defi(c, d, nm, g->dil[i]);
        snprintf(nm, sizeof nm, "PB%d", i); defi(c, d, nm, g->pb[i]);
        snprintf(nm, sizeof nm, "TS%d", i); defi(c, d, nm, g->s[i] / gcd64(g->s[i], g->dil[i]));
    }
    int64_t big = nb * g->cin * invol;
    if (nb * g->cout * outvol > big) big = nb * g->cout * outvol;
    if (g->cin * g->cout * kvol > big) big = g->cin * g->cout * kvol;
    def(c, d, "IDX", "%s", idx_type(big));
    defi(c, d, "BLOCK", BLOCK);
}

static void elem_defs(Cu *c, Defs *d, int64_t count) {
    def(c, d, "IDX", "%s", idx_type(count));
    defi(c, d, "BLOCK", BLOCK);
}

/* ---- per layer: the instances (once) and the launches ---- */

typedef struct LayerK {       /* kernel indices of one layer, -1 when not made */
    int fwd, dact, bgrad, dw, dx;
    int bn[5];                /* infer, stats, apply, bwd_reduce, bwd_dx */
    int *cp;                  /* add / concat: copies, per input: forward */
    int *cpb;                 /*                                  backward */
} LayerK;

static int64_t volume(const int64_t *v, int n) { int64_t p = 1; for (int i = 0; i < n; i++) p *= v[i]; return p; }

static const char *lname(Cu *c, const Layer *L, const char *role) { return arena_printf(c->a, "%s %s", L->name, role); }

/* Make every kernel a layer needs (training ones too when tp). */
static void make_layer(Cu *c, const Kernel *k, const TrainStep *st, LayerK *lk) {
    const Layer *L = k->L;
    const ConvGeom *g = &L->g;
    Activation act = L->a[A_ACTIVATION].act;
    int64_t NB = k->nb;
    Defs d = {0};
    switch (L->kind->op) {
    case OP_TCONV: case OP_CONV: {
        bool tr = L->kind->op == OP_TCONV;
        int64_t invol = volume(g->in, g->nsp), outvol = volume(g->out, g->nsp);
        bool bias = k->param[P_BIAS] >= 0;
        geom_defs(c, &d, g, NB, !tr);
        defi(c, &d, "BIAS", bias);
        act_defs(c, &d, act);
        int id = instance(c, tr ? "tconv_fwd.cu" : "conv_fwd.cu", &d, lname(c, L, "forward"));
        lk->fwd = kernel(c, tr ? "netc_tconv_fwd" : "netc_conv_fwd", id, (unsigned long long)(NB * g->cout * outvol), "x, w, b, y",
                         lname(c, L, "forward"));
        if (!st) break;
        if (act.kind != ACT_IDENTITY) {
            Defs e = {0};
            defi(c, &e, "COUNT", NB * g->cout * outvol);
            elem_defs(c, &e, NB * g->cout * outvol);
            act_defs(c, &e, act);
            id = instance(c, "act_bwd.cu", &e, lname(c, L, "activation gradient"));
            lk->dact = kernel(c, "netc_act_bwd", id, (unsigned long long)(NB * g->cout * outvol), "gy, y, gx", lname(c, L, "activation gradient"));
        }
        if (st->want_dw) {
            if (bias && !tr) {
                Defs e = {0};
                defi(c, &e, "N", NB); defi(c, &e, "C", g->cout); defi(c, &e, "P", outvol);
                elem_defs(c, &e, NB * g->cout * outvol);
                id = instance(c, "bias_grad.cu", &e, lname(c, L, "bias gradient"));
                lk->bgrad = kernel(c, "netc_bias_grad", id, (unsigned long long)g->cout, "dy, db", lname(c, L, "bias gradient"));
            }
            Defs e = {0};
            geom_defs(c, &e, g, NB, !tr);
            defi(c, &e, "BIAS", tr && bias);
            id = instance(c, "tconv_dw.cu", &e, lname(c, L, "weight gradient"));
            int64_t nw = g->cin * (g->cout / g->groups) * volume(g->k, g->nsp);
            lk->dw = kernel(c, "netc_tconv_dw", id, (unsigned long long)(nw + (tr && bias ? g->cout : 0)), "x, dz, dw, db",
                            lname(c, L, "weight gradient"));
        }
        if (st->want_dx[0]) {
            Defs e = {0};
            geom_defs(c, &e, g, NB, !tr);
            defi(c, &e, "BIAS", 0);
            defi(c, &e, "ACCUM", 1);
            id = instance(c, tr ? "tconv_dx.cu" : "tconv_fwd.cu", &e, lname(c, L, "input gradient"));
            lk->dx = kernel(c, tr ? "netc_tconv_dx" : "netc_tconv_fwd", id, (unsigned long long)(NB * g->cin * invol),
                            tr ? "dz, w, dx" : "x, w, b, y", lname(c, L, "input gradient"));
        }
        break;
    }
    case OP_DENSE: {
        int64_t U = L->a[A_UNITS].i, IN = shape_count(&L->in[0]->shape) / (L->td ? L->shape.d[0] : 1);
        bool bias = k->param[P_BIAS] >= 0;
        defi(c, &d, "N", NB); defi(c, &d, "IN", IN); defi(c, &d, "UNITS", U); defi(c, &d, "BIAS", bias);
        int64_t big = NB * (U > IN ? U : IN);
        if (U * IN > big) big = U * IN;
        elem_defs(c, &d, big);
        act_defs(c, &d, act);
        int id = instance(c, "dense.cu", &d, lname(c, L, "forward and backward"));
        lk->fwd = kernel(c, "netc_dense_fwd", id, (unsigned long long)(NB * U), "x, w, b, y", lname(c, L, "forward"));
        if (!st) break;
        lk->dw = kernel(c, "netc_dense_dw", id, (unsigned long long)(U * IN + (bias ? U : 0)), "gy, x, dw, db", lname(c, L, "weight gradient"));
        lk->dx = kernel(c, "netc_dense_dx", id, (unsigned long long)(NB * IN), "gy, w, gx", lname(c, L, "input gradient"));
        if (act.kind != ACT_IDENTITY) {
            Defs e = {0};
            defi(c, &e, "COUNT", NB * U);
            elem_defs(c, &e, NB * U);
            act_defs(c, &e, act);
            id = instance(c, "act_bwd.cu", &e, lname(c, L, "activation gradient"));
            lk->dact = kernel(c, "netc_act_bwd", id, (unsigned long long)(NB * U), "gy, y, gx", lname(c, L, "activation gradient"));
        }
        break;
    }
    case OP_BATCHNORM: {
        int64_t C = L->shape.d[L->td ? 1 : 0];
        int64_t per = shape_count(&L->shape) / (L->td ? L->shape.d[0] : 1) / C, M = NB * per;
        defi(c, &d, "N", NB); defi(c, &d, "C", C); defi(c, &d, "P", per);
        def(c, &d, "M", "%s", flit(c->a, (double)M));
        def(c, &d, "EPS", "%s", flit(c->a, L->a[A_EPS].r));
        def(c, &d, "MOMENTUM", "%s", flit(c->a, L->a[A_MOMENTUM].r));
        def(c, &d, "UNBIAS", "%s", flit(c->a, M > 1 ? (double)M / (double)(M - 1) : 1.0));
        elem_defs(c, &d, M * C);
        int id = instance(c, "batchnorm.cu", &d, lname(c, L, "batchnorm"));
        unsigned long long all = (unsigned long long)(M * C);
        lk->bn[0] = kernel(c, "netc_bn_infer", id, all, "x, w, b, rmean, rvar, y", lname(c, L, "inference"));
        if (!st) break;
        lk->bn[1] = kernel(c, "netc_bn_stats", id, (unsigned long long)C, "x, rmean, rvar, mean, invstd", lname(c, L, "batch statistics"));
        lk->bn[2] = kernel(c, "netc_bn_apply", id, all, "x, w, b, mean, invstd, y", lname(c, L, "training normalisation"));
        lk->bn[3] = kernel(c, "netc_bn_bwd_reduce", id, (unsigned long long)C, "gy, x, mean, invstd, dw, db", lname(c, L, "parameter gradients"));
        lk->bn[4] = kernel(c, "netc_bn_bwd_dx", id, all, "gy, x, mean, invstd, w, dw, db, gx", lname(c, L, "input gradient"));
        need_scratch(c, c->bnbase + 2 * C);
        break;
    }
    case OP_ACT: {
        int64_t n = c->s->net->batch * shape_count(&L->shape);
        Activation a = {L->kind->act, L->kind->act == ACT_LEAKY_RELU || L->kind->act == ACT_ELU ? L->a[A_ALPHA].r : 0};
        defi(c, &d, "COUNT", n);
        elem_defs(c, &d, n);
        act_defs(c, &d, a);
        int id = instance(c, "act_fwd.cu", &d, lname(c, L, "forward"));
        lk->fwd = kernel(c, "netc_act_fwd", id, (unsigned long long)n, "x, y", lname(c, L, "forward"));
        if (st && st->want_dx[0]) {
            Defs e = {0};
            defi(c, &e, "COUNT", n);
            defi(c, &e, "ACCUM", 1);
            elem_defs(c, &e, n);
            act_defs(c, &e, a);
            id = instance(c, "act_bwd.cu", &e, lname(c, L, "input gradient"));
            lk->dx = kernel(c, "netc_act_bwd", id, (unsigned long long)n, "gy, y, gx", lname(c, L, "input gradient"));
        }
        break;
    }
    case OP_ADD: case OP_CONCAT: {
        bool add = L->kind->op == OP_ADD;
        int64_t T = L->td ? L->shape.d[0] : 1, outper = shape_count(&L->shape) / T;
        int64_t n = c->s->net->batch * shape_count(&L->shape);
        lk->cp = arena_alloc(c->a, sizeof(int) * (size_t)L->nin);
        lk->cpb = arena_alloc(c->a, sizeof(int) * (size_t)L->nin);
        for (int j = 0; j < L->nin; j++) {
            int64_t per = add ? n : shape_count(&L->in[j]->shape) / T, rows = add ? 1 : NB;
            for (int pass = 0; pass < (st ? 2 : 1); pass++) {
                int *slot = pass ? &lk->cpb[j] : &lk->cp[j];
                *slot = -1;
                if (pass && !st->want_dx[j]) continue;
                Defs e = {0};
                defi(c, &e, "ROWS", rows); defi(c, &e, "LEN", per);
                defi(c, &e, "XS", pass ? outper : per); defi(c, &e, "YS", pass ? per : outper);
                defi(c, &e, "ACCUM", pass || (add && j > 0));
                elem_defs(c, &e, n);
                const char *what = lname(c, L, arena_printf(c->a, "%s input %d", pass ? "gradient to" : "from", j));
                int id = instance(c, "copy.cu", &e, what);
                *slot = kernel(c, "netc_copy", id, (unsigned long long)(rows * per), "x, y", what);
            }
        }
        break;
    }
    case OP_RESHAPE: break;
    case OP_MAXPOOL: case OP_AVGPOOL: case OP_UPSAMPLE: {
        bool up = L->kind->op == OP_UPSAMPLE;
        int64_t NC = NB * g->cin, invol = volume(g->in, g->nsp), outvol = volume(g->out, g->nsp);
        defi(c, &d, "NC", NC);
        for (int i = 0; i < g->nsp; i++) {
            char nm[16];
            snprintf(nm, sizeof nm, "I%d", i); defi(c, &d, nm, g->in[i]);
            if (up) { snprintf(nm, sizeof nm, "F%d", i); defi(c, &d, nm, g->s[i]); continue; }
            snprintf(nm, sizeof nm, "O%d", i); defi(c, &d, nm, g->out[i]);
            snprintf(nm, sizeof nm, "K%d", i); defi(c, &d, nm, g->k[i]);
            snprintf(nm, sizeof nm, "S%d", i); defi(c, &d, nm, g->s[i]);
            snprintf(nm, sizeof nm, "PB%d", i); defi(c, &d, nm, g->pb[i]);
        }
        if (!up) {
            defi(c, &d, "MAX", L->kind->op == OP_MAXPOOL);
            def(c, &d, "KINV", "%s", flit(c->a, 1.0 / (double)volume(g->k, g->nsp)));
        }
        elem_defs(c, &d, NC * (outvol > invol ? outvol : invol));
        int id = instance(c, up ? "upsample.cu" : "pool.cu", &d, lname(c, L, "forward and backward"));
        lk->fwd = kernel(c, up ? "netc_upsample_fwd" : "netc_pool_fwd", id, (unsigned long long)(NC * outvol), "x, y", lname(c, L, "forward"));
        if (st && st->want_dx[0])
            lk->dx = kernel(c, up ? "netc_upsample_bwd" : "netc_pool_bwd", id, (unsigned long long)(NC * invol), up ? "gy, gx" : "x, gy, gx",
                            lname(c, L, "input gradient"));
        break;
    }
    }
}

/* ---- launches ---- */

static const char *wptr(Cu *c, const Kernel *k, int role) {
    int p = k->param[role] >= 0 ? k->param[role] : k->param[P_WEIGHT];
    return P(c, p >= 0 ? c->s->params[p].offset : 0);
}
static int64_t off_out(Cu *c, const Kernel *k, bool train) { return train ? c->tp->v[k->L->id] : c->s->bufs[k->out].offset; }
static int64_t off_in(Cu *c, const Kernel *k, int j, bool train) { return train ? c->tp->v[k->L->in[j]->id] : c->s->bufs[k->in[j]].offset; }

/* The forward launches of one layer: inference offsets, or the training plan's
 * (training: batch statistics for batchnorm). */
static void fwd_launch(Cu *c, const Kernel *k, const LayerK *lk, bool train, bool training) {
    const Layer *L = k->L;
    const char *x = A(c, off_in(c, k, 0, train)), *y = A(c, off_out(c, k, train));
    switch (L->kind->op) {
    case OP_TCONV: case OP_CONV: case OP_DENSE:
        launch(c, lk->fwd, x, wptr(c, k, P_WEIGHT), wptr(c, k, P_BIAS), y, NULL);
        break;
    case OP_BATCHNORM: {
        const TrainStep *st = train ? &c->tp->st[k - c->s->k] : NULL;
        if (training)
            launch(c, lk->bn[1], x, wptr(c, k, P_RUNNING_MEAN), wptr(c, k, P_RUNNING_VAR), A(c, st->bn_mean), A(c, st->bn_invstd), NULL),
            launch(c, lk->bn[2], x, wptr(c, k, P_WEIGHT), wptr(c, k, P_BIAS), A(c, st->bn_mean), A(c, st->bn_invstd), y, NULL);
        else
            launch(c, lk->bn[0], x, wptr(c, k, P_WEIGHT), wptr(c, k, P_BIAS), wptr(c, k, P_RUNNING_MEAN), wptr(c, k, P_RUNNING_VAR), y, NULL);
        break;
    }
    case OP_ACT: case OP_MAXPOOL: case OP_AVGPOOL: case OP_UPSAMPLE: launch(c, lk->fwd, x, y, NULL); break;
    case OP_ADD: case OP_CONCAT: {
        int64_t T = L->td ? L->shape.d[0] : 1, off = 0;
        for (int j = 0; j < L->nin; j++) {
            launch(c, lk->cp[j], A(c, off_in(c, k, j, train)), A(c, off_out(c, k, train) + off), NULL);
            if (L->kind->op == OP_CONCAT) off += shape_count(&L->in[j]->shape) / T;
        }
        break;
    }
    default: break;
    }
}

static void bwd_launch(Cu *c, const TrainStep *st, const LayerK *lk) {
    const TrainPlan *tp = c->tp;
    const Kernel *k = st->k;
    const Layer *L = k->L;
    const char *gy = A(c, tp->gr[L->id]), *y = A(c, tp->v[L->id]);
    const char *x = L->nin ? A(c, tp->v[L->in[0]->id]) : NULL;
    const char *gx = L->nin && tp->gr[L->in[0]->id] >= 0 ? A(c, tp->gr[L->in[0]->id]) : NULL;
    bool any_dx = false;
    for (int j = 0; j < L->nin; j++) any_dx |= st->want_dx[j];
    emit(c->h, "/* backward of %s (%s) */", L->name, L->kind->name);
    const char *gw = k->param[P_WEIGHT] >= 0 ? G(c, c->s->params[k->param[P_WEIGHT]].offset) : NULL;
    const char *gb = k->param[P_BIAS] >= 0 ? G(c, c->s->params[k->param[P_BIAS]].offset) : gw;
    switch (L->kind->op) {
    case OP_TCONV: case OP_CONV: {
        bool tr = L->kind->op == OP_TCONV;
        if (lk->dact >= 0) launch(c, lk->dact, gy, y, gy, NULL);
        if (st->want_dw) {
            if (lk->bgrad >= 0) launch(c, lk->bgrad, gy, gb, NULL);
            if (tr) launch(c, lk->dw, x, gy, gw, gb, NULL);
            else launch(c, lk->dw, gy, x, gw, gw, NULL);
        }
        if (st->want_dx[0]) {
            if (tr) launch(c, lk->dx, gy, wptr(c, k, P_WEIGHT), gx, NULL);
            else launch(c, lk->dx, gy, wptr(c, k, P_WEIGHT), wptr(c, k, P_WEIGHT), gx, NULL);
        }
        break;
    }
    case OP_DENSE:
        if (lk->dact >= 0) launch(c, lk->dact, gy, y, gy, NULL);
        if (st->want_dw) launch(c, lk->dw, gy, x, gw, gb, NULL);
        if (st->want_dx[0]) launch(c, lk->dx, gy, wptr(c, k, P_WEIGHT), gx, NULL);
        break;
    case OP_BATCHNORM: {
        if (!any_dx && !st->want_dw) break;
        int64_t C = L->shape.d[L->td ? 1 : 0];
        const char *dw = st->want_dw ? gw : S(c, c->bnbase), *db = st->want_dw ? gb : S(c, c->bnbase + C);
        const char *mean = A(c, st->bn_mean), *invstd = A(c, st->bn_invstd);
        launch(c, lk->bn[3], gy, x, mean, invstd, dw, db, NULL);
        if (st->want_dx[0]) launch(c, lk->bn[4], gy, x, mean, invstd, wptr(c, k, P_WEIGHT), dw, db, gx, NULL);
        break;
    }
    case OP_ACT:
        if (st->want_dx[0]) launch(c, lk->dx, gy, y, gx, NULL);
        break;
    case OP_MAXPOOL: case OP_AVGPOOL:
        if (st->want_dx[0]) launch(c, lk->dx, x, gy, gx, NULL);
        break;
    case OP_UPSAMPLE:
        if (st->want_dx[0]) launch(c, lk->dx, gy, gx, NULL);
        break;
    case OP_ADD: case OP_CONCAT: {
        int64_t T = L->td ? L->shape.d[0] : 1, off = 0;
        for (int j = 0; j < L->nin; j++) {
            if (st->want_dx[j]) launch(c, lk->cpb[j], A(c, tp->gr[L->id] + off), A(c, tp->gr[L->in[j]->id]), NULL);
            if (L->kind->op == OP_CONCAT) off += shape_count(&L->in[j]->shape) / T;
        }
        break;
    }
    default: break;
    }
}

/* ---- loss and optimiser ---- */

typedef struct LossK { int part, grad; int64_t n; const char *nf; } LossK;

static LossK make_loss(Cu *c) {
    const Net *net = c->s->net;
    const Train *t = net->train;
    const Layer *P = t->pred;
    LossK lk = {-1, -1, 0, NULL};
    Defs d = {0};
    const char *tmpl;
    if (t->loss == LOSS_CROSS_ENTROPY) {
        int cax = P->td ? 1 : 0;
        int64_t C = P->shape.d[cax], per = shape_count(&P->shape) / C / (P->td ? P->shape.d[0] : 1);
        lk.n = net->batch * (P->td ? P->shape.d[0] : 1);
        lk.nf = flit(c->a, (double)(lk.n * per));
        defi(c, &d, "N", lk.n); defi(c, &d, "C", C); defi(c, &d, "PER", per);
        def(c, &d, "NF", "%s", lk.nf);
        elem_defs(c, &d, lk.n * per * C);
        tmpl = "loss_ce.cu";
        int id = instance(c, tmpl, &d, "loss: cross_entropy");
        lk.part = kernel(c, "netc_ce_part", id, (unsigned long long)lk.n, "p, t, part", "loss per sample");
        lk.grad = kernel(c, "netc_ce_grad", id, (unsigned long long)(lk.n * per), "p, t, g", "loss gradient");
    } else {
        int64_t per = shape_count(&P->shape);
        lk.n = net->batch;
        lk.nf = flit(c->a, (double)(lk.n * per));
        defi(c, &d, "N", lk.n); defi(c, &d, "PER", per);
        def(c, &d, "NF", "%s", lk.nf);
        defi(c, &d, "LOSS", t->loss == LOSS_MSE ? 0 : t->loss == LOSS_L1 ? 1 : 2);
        elem_defs(c, &d, lk.n * per);
        int id = instance(c, "loss.cu", &d, "loss");
        lk.part = kernel(c, "netc_loss_part", id, (unsigned long long)lk.n, "p, t, part", "loss per sample");
        lk.grad = kernel(c, "netc_loss_grad", id, (unsigned long long)(lk.n * per), "p, t, g", "loss gradient");
    }
    return lk;
}

static const TrainStep *param_step(Cu *c, const Param *p) {
    const TrainStep *st = NULL;
    for (int kk = 0; kk < c->s->nk; kk++) if (c->s->k[kk].L == p->L) st = &c->tp->st[kk];
    return st;
}

/* One optimiser kernel per trained parameter tensor (its lr carries lr_mult). */
static int *make_optim(Cu *c) {
    const Schedule *s = c->s;
    const Train *t = s->net->train;
    int *ok = arena_alloc(c->a, sizeof(int) * (size_t)(s->nparams + 1));
    for (int i = 0; i < s->nparams; i++) {
        const Param *p = &s->params[i];
        const TrainStep *st = param_step(c, p);
        ok[i] = -1;
        if (!p->trainable || !st || !st->want_dw) continue;
        Defs d = {0};
        defi(c, &d, "COUNT", p->count);
        defi(c, &d, "OPT", t->opt == OPT_SGD ? 0 : t->opt == OPT_ADAM ? 1 : 2);
        def(c, &d, "LR", "%s", flit(c->a, t->lr * p->L->a[A_LR_MULT].r));
        def(c, &d, "B1", "%s", flit(c->a, t->beta1));
        def(c, &d, "B2", "%s", flit(c->a, t->beta2));
        def(c, &d, "EPS", "%s", flit(c->a, t->eps));
        def(c, &d, "WD", "%s", flit(c->a, t->weight_decay));
        def(c, &d, "MOM", "%s", flit(c->a, t->momentum));
        defi(c, &d, "NESTEROV", t->nesterov);
        elem_defs(c, &d, p->count);
        const char *what = arena_printf(c->a, "optimiser step of %s", p->name);
        int id = instance(c, "optim.cu", &d, what);
        ok[i] = kernel(c, "netc_optim", id, (unsigned long long)p->count, "p, g, m, v, sc", what);
    }
    ok[s->nparams] = -1;
    if (t->clip_norm > 0) {
        /* the global norm over the trained parameters' gradients, then a scale of all */
        char ranges[4096] = "";
        for (int i = 0; i < s->nparams; i++)
            if (ok[i] >= 0 && strlen(ranges) < sizeof ranges - 64)
                snprintf(ranges + strlen(ranges), sizeof ranges - strlen(ranges), " X(%lld, %lld)", LL(s->params[i].offset),
                         LL(s->params[i].offset + s->params[i].count));
        Defs d = {0};
        def(c, &d, "RANGES", "%s", ranges);
        def(c, &d, "CLIP", "%s", flit(c->a, t->clip_norm));
        defi(c, &d, "COUNT", s->param_floats);
        elem_defs(c, &d, s->param_floats);
        int id = instance(c, "clip.cu", &d, "gradient clipping");
        ok[s->nparams] = kernel(c, "netc_clip_norm", id, 1, "g, sc", "gradient norm");
        kernel(c, "netc_clip_scale", id, (unsigned long long)s->param_floats, "g, sc", "gradient clipping");
    }
    return ok;
}

/* ---- host code ---- */

static int64_t gr_begin, gr_end;   /* set by print_host: the gradient region to clear */

/* Copy an input to the device arena or an output back, in the network's layout. */
static void io_copy(Cu *c, const Layer *L, int64_t off, const char *ext, bool in) {
    const Net *net = c->s->net;
    int cax = L->td ? 1 : 0;
    int64_t count = net->batch * shape_count(&L->shape);
    int64_t C = 1, P = count;
    bool nhwc = net->layout == LAYOUT_NHWC && L->shape.rank - cax >= 2;
    if (nhwc) { C = L->shape.d[cax]; P = shape_count(&L->shape) / C / (L->td ? L->shape.d[0] : 1); }
    emit(c->h, "%s(%s, %s, %lldL, %lldL, %lldL, %d);", in ? "put_" : "get_", A(c, off), ext, LL(count / (C * P)), LL(C), LL(P), nhwc);
}

static void emit_bytes(Emitter *w, const char *name, const unsigned char *p, size_t n) {
    emit(w, "static const unsigned char %s[%zu] = {", name, n ? n : 1);
    char line[160];
    size_t k = 0;
    if (!n) emit_raw(w, "0,\n");
    for (size_t i = 0; i < n; i++) {
        k += (size_t)snprintf(line + k, sizeof line - k, "%u,", p[i]);
        if (k > 110 || i + 1 == n) { line[k++] = '\n'; line[k] = 0; emit_raw(w, line); k = 0; }
    }
    emit_raw(w, "};\n");
}

static void print_host(Cu *c, Emitter *w, const netc_image *imgs, int nimgs, const LayerK *lks, const LossK *loss, const int *optk) {
    const Schedule *s = c->s;
    const TrainPlan *tp = c->tp;
    const Net *net = s->net;
    const char *N = net->name;
    emit(w, "/* %s_cuda.c — generated by netc %s: the CUDA host side of network '%s'.  Do not edit.", N, NETC_VERSION, N);
    emit(w, " * Kernels: %s.cu (see %s_kernels.h); images: CUBIN per architecture, PTX, and", N, N);
    emit(w, " * the host emulator's shared object.  Parameters, initialisers and checkpoints are");
    emit(w, " * %s.c's; run / train_step / eval_loss upload, launch and download. */", N);
    emit(w, "#define _POSIX_C_SOURCE 200809L");
    emit(w, "#include <math.h>");
    emit(w, "#include <stdio.h>");
    emit(w, "#include <stdlib.h>");
    emit(w, "#include <string.h>");
    emit(w, "#include \"%s.h\"", N);
    emit(w, "#include \"cuda_driver.h\"");
    emit_raw(w, "\n");
    for (int i = 0; i < nimgs; i++) emit_bytes(w, arena_printf(c->a, "img%d_", i), imgs[i].data, imgs[i].size);
    emit(w, "static const netc_cuda_image images_[] = {");
    for (int i = 0; i < nimgs; i++)
        emit(w, "{%d, %d, img%d_, sizeof img%d_}, /* %s %d */", imgs[i].kind, imgs[i].arch, i, i,
             imgs[i].kind == NETC_IMAGE_CUBIN ? "cubin sm" : imgs[i].kind == NETC_IMAGE_PTX ? "ptx compute" : "host", imgs[i].arch);
    emit(w, "};");
    emit(w, "static const struct { const char *name; unsigned long long threads; int nargs; } K_[] = {");
    for (int i = 0; i < c->nk; i++) emit(w, "{\"%s\", %lluULL, %d}, /* %s */", c->k[i].name, c->k[i].threads, c->k[i].nargs, c->k[i].what);
    emit(w, "};");
    emit(w, "enum { NK_ = %d, NIMG_ = %d, BLOCK_ = %d };", c->nk, nimgs, BLOCK);
    emit_raw(w, "\n");
    int64_t arena = s->arena_floats;
    if (tp && tp->arena_floats > arena) arena = tp->arena_floats;
    emit(w, "int %s_cuda_emulate;   /* 1: the host emulator (the program's --emulate) */", N);
    emit(w, "static struct {");
    emit(w, "netc_cuda *cu;");
    emit(w, "netc_cuda_module *m;");
    emit(w, "netc_cu_function f[NK_];");
    emit(w, "netc_cu_deviceptr params, grads, opt, arena, scratch;");
    emit(w, "float *zeros;");
    emit(w, "} D_;");
    emit(w, "#define A(o) (D_.arena + 4ULL * (unsigned long long)(o))");
    emit(w, "#define P(o) (D_.params + 4ULL * (unsigned long long)(o))");
    emit(w, "#define G(o) (D_.grads + 4ULL * (unsigned long long)(o))");
    emit(w, "#define O(k, o) (D_.opt + 4ULL * ((unsigned long long)(k) * %lldULL + (unsigned long long)(o)))", LL(s->param_floats));
    emit(w, "#define S(o) (D_.scratch + 4ULL * (unsigned long long)(o))");
    emit_raw(w, "\n");
    emit(w, "static void die_(const char *msg)");
    emit(w, "{");
    emit(w, "fprintf(stderr, \"%%s\\n\", msg);");
    emit(w, "exit(1);");
    emit(w, "}");
    emit(w, "static void alloc_(netc_cu_deviceptr *p, unsigned long long floats)");
    emit(w, "{");
    emit(w, "if (netc_cuda_alloc(D_.cu, p, 4 * (size_t)(floats ? floats : 1))) die_(netc_cuda_error(D_.cu));");
    emit(w, "}");
    emit(w, "static void open_(void)");
    emit(w, "{");
    emit(w, "if (D_.cu) return;");
    emit(w, "char err[2048];");
    emit(w, "const char *e = getenv(\"NETC_CUDA_EMULATE\");");
    emit(w, "int emulate = %s_cuda_emulate || (e && *e && strcmp(e, \"0\"));", N);
    emit(w, "if (netc_cuda_open(&D_.cu, emulate, 0, err, sizeof err)) {");
    emit(w, "fprintf(stderr, \"%%s\\n%s: this program runs on a CUDA GPU; without one, --emulate runs its kernels on the host\\n\", err);", N);
    emit(w, "exit(1);");
    emit(w, "}");
    emit(w, "if (netc_cuda_load(D_.cu, images_, NIMG_, &D_.m)) die_(netc_cuda_error(D_.cu));");
    emit(w, "for (int k = 0; k < NK_; k++)");
    emit(w, "    if (netc_cuda_function(D_.m, K_[k].name, &D_.f[k])) die_(netc_cuda_error(D_.cu));");
    emit(w, "alloc_(&D_.params, %lldULL);", LL(s->param_floats));
    emit(w, "alloc_(&D_.arena, %lldULL);", LL(arena));
    emit(w, "alloc_(&D_.scratch, %lldULL);", LL(c->scratch));
    if (tp) {
        emit(w, "alloc_(&D_.grads, %lldULL);", LL(s->param_floats));
        emit(w, "alloc_(&D_.opt, %lldULL);", LL(tp->nslots * s->param_floats));
        emit(w, "D_.zeros = calloc(%lld, sizeof(float));", LL(gr_end > gr_begin ? gr_end - gr_begin : 1));
        emit(w, "if (!D_.zeros) die_(\"%s: out of memory\");", N);
    }
    emit(w, "}");
    emit(w, "static void go(int k, netc_cu_deviceptr *a)");
    emit(w, "{");
    emit(w, "void *p[8];");
    emit(w, "for (int i = 0; i < K_[k].nargs; i++) p[i] = &a[i];");
    emit(w, "if (netc_cuda_launch(D_.cu, D_.f[k], K_[k].threads, BLOCK_, p)) die_(netc_cuda_error(D_.cu));");
    emit(w, "}");
    emit(w, "static void up_(netc_cu_deviceptr d, const void *h, size_t bytes)");
    emit(w, "{");
    emit(w, "if (bytes && netc_cuda_upload(D_.cu, d, h, bytes)) die_(netc_cuda_error(D_.cu));");
    emit(w, "}");
    emit(w, "static void down_(void *h, netc_cu_deviceptr d, size_t bytes)");
    emit(w, "{");
    emit(w, "if (bytes && netc_cuda_download(D_.cu, h, d, bytes)) die_(netc_cuda_error(D_.cu));");
    emit(w, "}");
    emit(w, "/* caller memory (network layout) <-> the device arena (channels first) */");
    emit(w, "static void put_(netc_cu_deviceptr d, const float *x, long nt, long C, long P, int nhwc)");
    emit(w, "{");
    emit(w, "if (!nhwc) { up_(d, x, sizeof(float) * (size_t)(nt * C * P)); return; }");
    emit(w, "float *t = malloc(sizeof(float) * (size_t)(nt * C * P));");
    emit(w, "if (!t) die_(\"%s: out of memory\");", N);
    emit(w, "for (long n = 0; n < nt; n++) for (long ch = 0; ch < C; ch++) for (long p = 0; p < P; p++)");
    emit(w, "    t[(n * C + ch) * P + p] = x[(n * P + p) * C + ch];");
    emit(w, "up_(d, t, sizeof(float) * (size_t)(nt * C * P));");
    emit(w, "free(t);");
    emit(w, "}");
    emit(w, "static void get_(netc_cu_deviceptr d, float *x, long nt, long C, long P, int nhwc)");
    emit(w, "{");
    emit(w, "if (!nhwc) { down_(x, d, sizeof(float) * (size_t)(nt * C * P)); return; }");
    emit(w, "float *t = malloc(sizeof(float) * (size_t)(nt * C * P));");
    emit(w, "if (!t) die_(\"%s: out of memory\");", N);
    emit(w, "down_(t, d, sizeof(float) * (size_t)(nt * C * P));");
    emit(w, "for (long n = 0; n < nt; n++) for (long ch = 0; ch < C; ch++) for (long p = 0; p < P; p++)");
    emit(w, "    x[(n * P + p) * C + ch] = t[(n * C + ch) * P + p];");
    emit(w, "free(t);");
    emit(w, "}");
    emit(w, "static void params_up_(void *st)");
    emit(w, "{");
    if (s->nparams) emit(w, "up_(D_.params, %s_model.param(st, 0), sizeof(float) * %lld);", N, LL(s->param_floats));
    else emit(w, "(void)st;");
    emit(w, "}");
    emit_raw(w, "\n");

    /* inference */
    Emitter *save = c->h;
    c->h = w;
    emit(&c->doc, " * forward (%s_model.run):", N);
    emit(w, "static void run_(void *st, const float *const *in, float *const *out)");
    emit(w, "{");
    emit(w, "open_();");
    emit(w, "params_up_(st);");
    if (!s->inputs.n) emit(w, "(void)in;");
    for (int j = 0; j < s->inputs.n; j++) {
        const Layer *L = s->inputs.v[j];
        io_copy(c, L, s->bufs[s->value_buf[L->id]].offset, arena_printf(c->a, "in[%d]", j), true);
    }
    for (int i = 0; i < s->nk; i++) fwd_launch(c, &s->k[i], &lks[i], false, false);
    for (int j = 0; j < net->outputs.n; j++) {
        const Layer *L = net->outputs.v[j];
        io_copy(c, L, s->bufs[s->value_buf[L->id]].offset, arena_printf(c->a, "out[%d]", j), false);
    }
    emit(w, "if (netc_cuda_sync(D_.cu)) die_(netc_cuda_error(D_.cu));");
    emit(w, "}");
    emit_raw(w, "\n");

    if (tp) {
        const Train *t = net->train;
        for (int pass = 0; pass < 2; pass++) {
            emit(&c->doc, " * %s (%s_model.%s):", pass ? "evaluation loss" : "training step", N, pass ? "eval_loss" : "train_step");
            emit(w, "static float %s(void *st, const float *const *in)", pass ? "eval_loss_" : "train_step_");
            emit(w, "{");
            emit(w, "open_();");
            emit(w, "params_up_(st);");
            if (!pass && tp->nslots) {
                emit(w, "for (int k = 0; k < %d; k++) up_(O(k, 0), ((%s_state *)st)->opt[k], sizeof(float) * %lld);", tp->nslots, N, LL(s->param_floats));
            }
            for (int j = 0; j < tp->inputs.n; j++) {
                const Layer *L = tp->inputs.v[j];
                io_copy(c, L, tp->v[L->id], arena_printf(c->a, "in[%d]", j), true);
            }
            for (int i = 0; i < s->nk; i++) fwd_launch(c, &s->k[i], &lks[i], true, !pass);
            const char *gp = tp->gr[t->pred->id] >= 0 ? A(c, tp->gr[t->pred->id]) : NULL;
            if (!pass && gr_end > gr_begin) emit(w, "up_(%s, D_.zeros, sizeof(float) * %lld);", A(c, gr_begin), LL(gr_end - gr_begin));
            launch(c, loss->part, A(c, tp->v[t->pred->id]), A(c, tp->v[t->target->id]), S(c, 0), NULL);
            if (!pass && gp) launch(c, loss->grad, A(c, tp->v[t->pred->id]), A(c, tp->v[t->target->id]), gp, NULL);
            if (!pass) {
                for (int i = s->nk - 1; i >= 0; i--) bwd_launch(c, &tp->st[i], &lks[i]);
                emit(w, "/* the optimiser step */");
                emit(w, "unsigned long long *step = %s_model.step_count(st);", N);
                emit(w, "*step += 1;");
                if (optk[s->nparams] >= 0) {
                    launch(c, optk[s->nparams], G(c, 0), S(c, c->scbase + 2), NULL);
                    launch(c, optk[s->nparams] + 1, G(c, 0), S(c, c->scbase + 2), NULL);
                }
                if (t->opt != OPT_SGD) {
                    emit(w, "const float sc[2] = {1.0f - powf(%s, (float)*step), sqrtf(1.0f - powf(%s, (float)*step))};", flit(c->a, t->beta1),
                         flit(c->a, t->beta2));
                    emit(w, "up_(%s, sc, sizeof sc);", S(c, c->scbase));
                }
                for (int i = 0; i < s->nparams; i++) {
                    if (optk[i] < 0) continue;
                    int64_t o = s->params[i].offset;
                    const char *m = tp->nslots >= 1 ? arena_printf(c->a, "O(0, %lld)", LL(o)) : G(c, o);
                    const char *v = tp->nslots >= 2 ? arena_printf(c->a, "O(1, %lld)", LL(o)) : m;
                    launch(c, optk[i], P(c, o), G(c, o), m, v, S(c, c->scbase), NULL);
                }
                if (s->nparams) emit(w, "down_(%s_model.param(st, 0), D_.params, sizeof(float) * %lld);", N, LL(s->param_floats));
                if (tp->nslots) emit(w, "for (int k = 0; k < %d; k++) down_(((%s_state *)st)->opt[k], O(k, 0), sizeof(float) * %lld);", tp->nslots, N, LL(s->param_floats));
            }
            emit(w, "float part[%lld];", LL(loss->n));
            emit(w, "down_(part, %s, sizeof part);", S(c, 0));
            emit(w, "float total = 0.0f;");
            emit(w, "for (int n = 0; n < %lld; n++) total += part[n];", LL(loss->n));
            emit(w, "return total / %s;", loss->nf);
            emit(w, "}");
            emit_raw(w, "\n");
        }
    }
    c->h = save;
    emit(w, "netc_model %s_cuda_model;", N);
    emit(w, "/* The CPU build's descriptor with the device's run, train_step and eval_loss. */");
    emit(w, "const netc_model *%s_cuda_bind(void)", N);
    emit(w, "{");
    emit(w, "%s_cuda_model = %s_model;", N, N);
    emit(w, "%s_cuda_model.run = run_;", N);
    if (tp) {
        emit(w, "%s_cuda_model.train_step = train_step_;", N);
        emit(w, "%s_cuda_model.eval_loss = eval_loss_;", N);
        emit(w, "%s_cuda_model.clip_norm = 0;   /* the device clips by the train block's clip_norm only */", N);
    }
    emit(w, "return &%s_cuda_model;", N);
    emit(w, "}");
}

/* ---- NAME_kernels.h ---- */

static void print_kernel_header(Cu *c, Emitter *w, const netc_nvrtc_result *r) {
    const char *N = c->s->net->name;
    char up[256];
    snprintf(up, sizeof up, "%s", N);
    for (char *p = up; *p; p++) if (*p >= 'a' && *p <= 'z') *p = (char)(*p - 'a' + 'A');
    emit(w, "/* %s_kernels.h — generated by netc %s: the CUDA kernels of network '%s' (%s.cu,", N, NETC_VERSION, N, N);
    emit(w, " * compiled to %s_sm_XX.cubin and %s.ptx).  Every kernel takes device pointers", N, N);
    emit(w, " * (float *) only and runs as a 1-D grid of ceil(THREADS / BLOCK) blocks of BLOCK");
    emit(w, " * threads, no dynamic shared memory.  Buffers: the arena (activations, %lld floats", LL(c->tp && c->tp->arena_floats > c->s->arena_floats ? c->tp->arena_floats : c->s->arena_floats));
    emit(w, " * for the larger plan), the parameters (%lld floats, offsets as in %s.h's parameter", LL(c->s->param_floats), N);
    emit(w, " * table), their gradients and the optimiser state (same offsets), and a scratch of");
    emit(w, " * %lld floats.  The launch sequences below give each argument as A(arena offset),", LL(c->scratch));
    emit(w, " * P(parameters), G(gradients), O(slot, offset) or S(scratch), in floats. */");
    emit(w, "#ifndef %s_KERNELS_H", up);
    emit(w, "#define %s_KERNELS_H", up);
    emit(w, "#define %s_KERNEL_BLOCK %d", up, BLOCK);
    emit(w, "#define %s_KERNEL_COUNT %d", up, c->nk);
    emit(w, "/* name, threads, arguments, what */");
    emit(w, "#define %s_KERNELS(X) \\", up);
    for (int i = 0; i < c->nk; i++)
        emit(w, "    X(%s, %lluULL, \"%s\", \"%s\") \\", c->k[i].name, c->k[i].threads, c->k[i].args, c->k[i].what);
    emit(w, "    /* end */");
    if (r && r->nstats) {
        emit(w, "/* ptxas, per kernel and architecture: registers, shared / constant bytes, stack, spills:");
        for (int i = 0; i < r->nstats; i++) {
            const netc_kernel_stats *k = &r->stats[i];
            emit(w, " *   sm_%d %-28s regs %3d smem %ld cmem %ld stack %ld spill %ld/%ld", k->arch, k->name, k->regs, k->smem, k->cmem, k->stack,
                 k->spill_stores, k->spill_loads);
        }
        emit(w, " */");
    }
    emit(w, "/* Launch sequences:");
    emit_raw(w, c->doc.buf ? c->doc.buf : "");
    emit(w, " */");
    emit(w, "#endif");
}

/* ---- the commands ---- */


/* "sm_90,sm_80" or "90,80" */
static int parse_archs(const char *spec, int *archs, int max) {
    int n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (!strncmp(t, "sm_", 3)) t += 3;
        char *end;
        long v = strtol(t, &end, 10);
        if (*end || v < 30 || v > 200 || n == max) return -1;
        archs[n++] = (int)v;
    }
    return n;
}

typedef struct CudaOpts {
    const char *dir, *cc, *cflags;
    int archs[32], narchs;    /* 0: NVRTC's defaults */
    bool exe, emit_only;
    char root[PATH_MAX], libdir[PATH_MAX];
} CudaOpts;

static int write_file(const char *dir, const char *name, const void *data, size_t n) {
    char path[PATH_MAX + 256], tmp[PATH_MAX + 300];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(tmp, sizeof tmp, "%s/.%s.tmp%ld", dir, name, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0 || rename(tmp, path) != 0) {
        fprintf(stderr, "netc: cannot write '%s': %s\n", path, strerror(errno));
        unlink(tmp);
        return 1;
    }
    return 0;
}

static int run_argv(char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) { execvp(argv[0], argv); _exit(127); }
    int st;
    if (waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int build_cuda_exe(const CudaOpts *o, const char *name) {
    char mainc[PATH_MAX + 64], out[PATH_MAX + 64], tmpout[PATH_MAX + 80], src[PATH_MAX + 64], cusrc[PATH_MAX + 64],
        prog[PATH_MAX + 64], train[PATH_MAX + 64], inc1[PATH_MAX + 8], inc2[PATH_MAX + 16], lib[PATH_MAX + 32], culib[PATH_MAX + 48];
    snprintf(mainc, sizeof mainc, "%s/%s_main.c", o->dir, name);
    snprintf(src, sizeof src, "%s/%s.c", o->dir, name);
    snprintf(cusrc, sizeof cusrc, "%s/%s_cuda.c", o->dir, name);
    snprintf(out, sizeof out, "%s/%s", o->dir, name);
    snprintf(tmpout, sizeof tmpout, "%s/.%s.tmp%ld", o->dir, name, (long)getpid());
    snprintf(prog, sizeof prog, "%s/runtime/program.c", o->root);
    snprintf(train, sizeof train, "%s/runtime/train.c", o->root);
    snprintf(inc1, sizeof inc1, "-I%s", o->dir);
    snprintf(inc2, sizeof inc2, "-I%s/runtime", o->root);
    snprintf(lib, sizeof lib, "%s/libnetcfiles.a", o->libdir);
    snprintf(culib, sizeof culib, "%s/runtime/libnetc_cuda.a", o->libdir);
    if (access(culib, R_OK) != 0) {
        fprintf(stderr, "netc build: '%s' is missing (build it: ninja build/all-cuda)\n", culib);
        return 1;
    }
    Emitter m = {0};
    emit(&m, "/* %s_main.c — generated by netc: the standalone program of %s on CUDA.  --emulate", name, name);
    emit(&m, " * (anywhere on the command line) runs the kernels on the host emulator instead of a GPU. */");
    emit(&m, "#include <string.h>");
    emit(&m, "#include \"%s.h\"", name);
    emit(&m, "#undef main");
    emit(&m, "extern int %s_cuda_emulate;", name);
    emit(&m, "extern netc_model %s_cuda_model;", name);
    emit(&m, "const netc_model *%s_cuda_bind(void);", name);
    emit(&m, "const netc_model *const netc_program_model = &%s_cuda_model;", name);
    emit(&m, "int netc_program_main(int argc, char **argv);");
    emit(&m, "int main(int argc, char **argv)");
    emit(&m, "{");
    emit(&m, "int n = 0;");
    emit(&m, "for (int i = 0; i < argc; i++) {");
    emit(&m, "if (i > 0 && !strcmp(argv[i], \"--emulate\")) %s_cuda_emulate = 1;", name);
    emit(&m, "else argv[n++] = argv[i];");
    emit(&m, "}");
    emit(&m, "argv[n] = 0;");
    emit(&m, "%s_cuda_bind();", name);
    emit(&m, "return netc_program_main(n, argv);");
    emit(&m, "}");
    char err[600];
    if (emit_save(&m, mainc, err, sizeof err)) { fprintf(stderr, "netc build: %s\n", err); emit_free(&m); return 1; }
    emit_free(&m);
    /* NAME.c (the CPU kernels, never called here: only init, parameters and the
     * descriptor are used) and NAME_cuda.c (mostly the images) at -O0: they are large
     * and their speed does not matter */
    char objs[2][PATH_MAX + 80];
    for (int f = 0; f < 2; f++) {
        snprintf(objs[f], sizeof objs[f], "%s/.%s%s.o%ld", o->dir, name, f ? "_cuda" : "", (long)getpid());
        char *cargv[64] = {(char *)o->cc, "-std=c99", "-O0", inc1, inc2, "-c", f ? cusrc : src, "-o", objs[f]};
        int cn = 9;
        const char *ef = getenv("NETC_CFLAGS");   /* e.g. sanitizers: these objects too */
        char *efb = strdup(ef ? ef : "");
        for (char *t = efb ? strtok(efb, " \t") : NULL; t && cn < 62; t = strtok(NULL, " \t")) cargv[cn++] = t;
        cargv[cn] = NULL;
        int crc = run_argv(cargv);
        free(efb);
        if (crc != 0) {
            fprintf(stderr, "netc build: compiling %s failed\n", f ? cusrc : src);
            unlink(objs[0]);
            return 1;
        }
    }
    char *argv[96];
    int n = 0;
    char *flagbuf = strdup(o->cflags ? o->cflags : "-O2");
    const char *envf = getenv("NETC_CFLAGS");
    char *envbuf = strdup(envf ? envf : "");
    if (!flagbuf || !envbuf) { free(flagbuf); free(envbuf); return 1; }
    argv[n++] = (char *)o->cc;
    for (char *t = strtok(flagbuf, " \t"); t && n < 40; t = strtok(NULL, " \t")) argv[n++] = t;
    for (char *t = strtok(envbuf, " \t"); t && n < 70; t = strtok(NULL, " \t")) argv[n++] = t;
    argv[n++] = "-std=c99";
    argv[n++] = "-Dmain=netc_program_main";
    argv[n++] = inc1;
    argv[n++] = inc2;
    argv[n++] = objs[0];
    argv[n++] = objs[1];
    argv[n++] = mainc;
    argv[n++] = prog;
    argv[n++] = train;
    argv[n++] = lib;
    argv[n++] = culib;
    argv[n++] = "-o";
    argv[n++] = tmpout;
    argv[n++] = "-ldl";
    argv[n++] = "-lz";
    argv[n++] = "-lm";
    argv[n] = NULL;
    int rc = run_argv(argv);
    free(flagbuf);
    free(envbuf);
    unlink(objs[0]);
    unlink(objs[1]);
    if (rc != 0) {
        unlink(tmpout);
        fprintf(stderr, "netc build: compiling %s failed (%s exited with %d)\n", out, o->cc, rc);
        return 1;
    }
    if (rename(tmpout, out) != 0) {
        fprintf(stderr, "netc build: cannot write '%s': %s\n", out, strerror(errno));
        unlink(tmpout);
        return 1;
    }
    return 0;
}

/* Print, compile and write one network. */
static int cuda_net(Net *net, Arena *a, const CudaOpts *o) {
    const char *N = net->name;
    Schedule *s = lower_net(a, net, false);
    TrainPlan *tp = net->train && net->train->checked ? lower_train(a, s) : NULL;
    char tdir[PATH_MAX + 32];
    snprintf(tdir, sizeof tdir, "%s/templates/cuda", o->root);
    Cu c = {.s = s, .tp = tp, .a = a, .tdir = tdir};
    emit_raw(&c.src, arena_printf(a, "/* %s.cu — generated by netc %s: every kernel of network '%s', each an instance of a\n"
                                     " * templates/cuda kernel (shape #defines, the template text, reset.cuh).  Valid CUDA\n"
                                     " * (NVRTC) and, through shim.h, C11 (the host emulator).  See %s_kernels.h. */\n",
                                  N, NETC_VERSION, N, N));
    LossK loss = {-1, -1, 0, NULL};
    if (tp) {
        const Layer *P = net->train->pred;
        int64_t nloss = net->batch * (net->train->loss == LOSS_CROSS_ENTROPY && P->td ? P->shape.d[0] : 1);
        c.scbase = nloss;         /* Adam's two scalars, then the clipping coefficient */
        c.bnbase = nloss + 3;
        need_scratch(&c, c.bnbase);
    }
    LayerK *lks = arena_alloc(a, sizeof *lks * (size_t)(s->nk + 1));
    for (int i = 0; i < s->nk && !c.bad; i++) {
        lks[i] = (LayerK){-1, -1, -1, -1, -1, {-1, -1, -1, -1, -1}, NULL, NULL};
        make_layer(&c, &s->k[i], tp ? &tp->st[i] : NULL, &lks[i]);
    }
    int *optk = NULL;
    if (tp && !c.bad) {
        loss = make_loss(&c);
        optk = make_optim(&c);
        gr_begin = -1;
        gr_end = 0;
        for (int i = 0; i < net->layers.n; i++) {
            const Layer *L = net->layers.v[i];
            if (tp->gr[i] < 0 || L->is_input) continue;
            if (gr_begin < 0 || tp->gr[i] < gr_begin) gr_begin = tp->gr[i];
            if (tp->gr[i] + net->batch * shape_count(&L->shape) > gr_end) gr_end = tp->gr[i] + net->batch * shape_count(&L->shape);
        }
        if (gr_begin < 0) gr_begin = gr_end = 0;
    }
    if (c.bad) { fprintf(stderr, "netc: network '%s': %s\n", N, c.err); emit_free(&c.src); return 1; }

    /* the host code needs the launch list first: print it to a scratch emitter to fill
     * the documentation, then for real once the images exist */
    netc_kernel_src ksrc = {arena_printf(a, "%s.cu", N), c.src.buf, NULL, 0, NULL, 0};
    netc_nvrtc_opts nopts = {o->narchs ? o->archs : NULL, o->narchs, 0, 0, NULL, 0};
    netc_nvrtc_result res;
    char err[16384];
    int rc = 0;
    if (netc_nvrtc_compile(&ksrc, &nopts, &res, err, sizeof err)) {
        fprintf(stderr, "netc: network '%s': %s\n", N, err);
        netc_nvrtc_result_free(&res);
        emit_free(&c.src);
        return 1;
    }
    rc |= write_file(o->dir, arena_printf(a, "%s.cu", N), c.src.buf, c.src.len);
    Emitter stats = {0};
    emit(&stats, "# ptxas figures of %s.cu: arch kernel registers smem cmem stack spill_stores spill_loads", N);
    for (int i = 0; i < res.nstats; i++) {
        const netc_kernel_stats *k = &res.stats[i];
        emit(&stats, "sm_%d %s %d %ld %ld %ld %ld %ld", k->arch, k->name, k->regs, k->smem, k->cmem, k->stack, k->spill_stores, k->spill_loads);
    }
    rc |= write_file(o->dir, arena_printf(a, "%s_ptxas.txt", N), stats.buf, stats.len);
    emit_free(&stats);

    int nimg = res.nimages;
    netc_image *imgs = calloc((size_t)nimg + 1, sizeof *imgs);
    if (!imgs) { fputs("netc: out of memory\n", stderr); exit(3); }
    memcpy(imgs, res.images, sizeof *imgs * (size_t)nimg);
    if (o->emit_only) {
        for (int i = 0; i < nimg && !rc; i++) {
            const netc_image *im = &imgs[i];
            if (im->kind == NETC_IMAGE_CUBIN) rc |= write_file(o->dir, arena_printf(a, "%s_sm_%d.cubin", N, im->arch), im->data, im->size);
            else rc |= write_file(o->dir, arena_printf(a, "%s.ptx", N), im->data, im->size ? im->size - 1 : 0);
        }
    } else if (!rc) {
        /* the emulator's image: the same source as C */
        char so[PATH_MAX + 64];
        snprintf(so, sizeof so, "%s/.%s_host%ld.so", o->dir, N, (long)getpid());
        netc_image host = {0};
        if (netc_host_compile(&ksrc, o->cc, NULL, so, err, sizeof err) || netc_image_read(&host, NETC_IMAGE_HOST, 0, so)) {
            fprintf(stderr, "netc: network '%s': the emulator image: %s\n", N, err);
            rc = 1;
        } else {
            imgs[nimg++] = host;
        }
        char cfile[PATH_MAX + 80];
        snprintf(cfile, sizeof cfile, "%s.c", so);
        unlink(so);
        unlink(cfile);
        if (!rc) {
            Emitter h = {0}, csrc = {0}, host_c = {0};
            print_c(s, a, &h, &csrc);
            char path[PATH_MAX + 64];
            snprintf(path, sizeof path, "%s/%s.h", o->dir, N);
            if (emit_save(&h, path, err, sizeof err)) { fprintf(stderr, "netc build: %s\n", err); rc = 1; }
            snprintf(path, sizeof path, "%s/%s.c", o->dir, N);
            if (!rc && emit_save(&csrc, path, err, sizeof err)) { fprintf(stderr, "netc build: %s\n", err); rc = 1; }
            print_host(&c, &host_c, imgs, nimg, lks, &loss, optk);
            snprintf(path, sizeof path, "%s/%s_cuda.c", o->dir, N);
            if (!rc && emit_save(&host_c, path, err, sizeof err)) { fprintf(stderr, "netc build: %s\n", err); rc = 1; }
            emit_free(&h);
            emit_free(&csrc);
            emit_free(&host_c);
            free(host.data);
        }
    }
    if (o->emit_only) {
        /* the launch sequences for the header come from printing the host code */
        Emitter scratch = {0};
        print_host(&c, &scratch, imgs, 0, lks, &loss, optk);
        emit_free(&scratch);
    }
    if (!rc) {
        Emitter kh = {0};
        print_kernel_header(&c, &kh, &res);
        rc |= write_file(o->dir, arena_printf(a, "%s_kernels.h", N), kh.buf, kh.len);
        emit_free(&kh);
    }
    free(imgs);
    netc_nvrtc_result_free(&res);
    emit_free(&c.src);
    emit_free(&c.doc);
    free(c.k);
    if (!rc && o->exe) rc = build_cuda_exe(o, N);
    return rc;
}

static const char usage_build_cuda[] =
    "usage: netc build FILE.net --target cuda -o DIR [--network NAME] [--cuda-arch sm_90,sm_80,...]\n"
    "                  [--exe] [--cc CC] [--cflags FLAGS]\n"
    "\n"
    "Writes, for every network NAME in FILE.net (or only NAME): NAME.cu (the kernels),\n"
    "NAME_kernels.h (their names, launch sizes and arguments), NAME_ptxas.txt (registers,\n"
    "memory and spills per kernel and architecture), NAME_cuda.c (the host side with the\n"
    "CUBIN per architecture, the PTX and the emulator's image embedded) and NAME.h / NAME.c\n"
    "(parameters, initialisers and the descriptor, as the C target writes them).  NVRTC\n"
    "compiles the kernels at build time; a warning or a register spill is an error.\n"
    "\n"
    "  -o DIR            output directory (created if missing)\n"
    "  --network NAME    only this network of FILE.net\n"
    "  --cuda-arch LIST  architectures to build CUBINs for (default: sm_75 80 86 89 90\n"
    "                    100 120, those NVRTC supports); the PTX is for the lowest\n"
    "  --exe             also compile DIR/NAME, the program (info, infer, bench, train,\n"
    "                    eval) on the GPU through libcuda.so.1; --emulate runs it on the\n"
    "                    host emulator instead\n"
    "  --cc, --cflags    as for the C target\n"
    "  -h, --help        this text\n"
    "\n"
    "exit status: 0 written, 1 errors in the input or while compiling, 2 usage error\n";

static const char usage_emit_cuda[] =
    "usage: netc emit-cuda FILE.net -o DIR [--network NAME] [--cuda-arch sm_90,sm_80,...]\n"
    "\n"
    "Writes, for every network NAME in FILE.net (or only NAME), the kernels for use from\n"
    "your own CUDA programs: NAME.cu, NAME_sm_XX.cubin per architecture, NAME.ptx,\n"
    "NAME_kernels.h (each kernel's name, launch geometry and arguments, and the launch\n"
    "sequences of a forward pass and a training step) and NAME_ptxas.txt.\n"
    "\n"
    "  -o DIR            output directory (created if missing)\n"
    "  --network NAME    only this network of FILE.net\n"
    "  --cuda-arch LIST  architectures to build CUBINs for (default: sm_75 80 86 89 90\n"
    "                    100 120, those NVRTC supports); the PTX is for the lowest\n"
    "  -h, --help        this text\n"
    "\n"
    "exit status: 0 written, 1 errors, 2 usage error\n";

static int cuda_command(int argc, char **argv, bool emit_only) {
    const char *file = NULL, *only = NULL, *usage = emit_only ? usage_emit_cuda : usage_build_cuda;
    const char *cmd = emit_only ? "netc emit-cuda" : "netc build";
    CudaOpts o = {.cc = getenv("CC"), .emit_only = emit_only};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(usage, stdout); return 0; }
        else if (!strcmp(a, "-o") && i + 1 < argc) o.dir = argv[++i];
        else if (!strcmp(a, "--network") && i + 1 < argc) only = argv[++i];
        else if (!emit_only && !strcmp(a, "--target") && i + 1 < argc) i++;
        else if (!strcmp(a, "--cuda-arch") && i + 1 < argc) {
            o.narchs = parse_archs(argv[++i], o.archs, 32);
            if (o.narchs <= 0) { fprintf(stderr, "%s: --cuda-arch '%s': give architectures as sm_XX, comma-separated\n", cmd, argv[i]); return 2; }
        } else if (!emit_only && !strcmp(a, "--exe")) o.exe = true;
        else if (!emit_only && !strcmp(a, "--cc") && i + 1 < argc) o.cc = argv[++i];
        else if (!emit_only && !strcmp(a, "--cflags") && i + 1 < argc) o.cflags = argv[++i];
        else if (!emit_only && !strcmp(a, "--weights")) { fprintf(stderr, "%s: --weights is not supported with --target cuda yet (load weights at run time: NAME infer --weights W)\n", cmd); return 2; }
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "%s: unknown or incomplete option '%s'\n%s", cmd, a, usage); return 2; }
        else if (file) { fprintf(stderr, "%s: one file at a time ('%s' and '%s')\n", cmd, file, a); return 2; }
        else file = a;
    }
    if (!file) { fprintf(stderr, "%s: no input file\n%s", cmd, usage); return 2; }
    if (!o.dir) { fprintf(stderr, "%s: no output directory (-o DIR)\n%s", cmd, usage); return 2; }
    if (!o.cc || !*o.cc) o.cc = "cc";
    if (!find_root("templates/cuda/shim.h", o.root, sizeof o.root, o.libdir, sizeof o.libdir)) {
        fprintf(stderr, "%s: cannot find templates/cuda (set NETC_ROOT to the netc checkout)\n", cmd);
        return 1;
    }
    char err[600];
    if (netc_nvrtc_load(err, sizeof err)) { fprintf(stderr, "%s: the CUDA target needs NVRTC: %s\n", cmd, err); return 1; }
    Compilation *c = compile_file(file, NULL, NULL);
    diags_print(&c->diags, stderr);
    if (c->diags.errors) { compilation_free(c); return 1; }
    bool found = !only;
    for (int i = 0; i < c->prog.nets.n; i++) if (only && !strcmp(((Net *)c->prog.nets.v[i])->name, only)) found = true;
    if (!found) {
        fprintf(stderr, "%s: no network named '%s' in %s\n", cmd, only, file);
        compilation_free(c);
        return 1;
    }
    if (mkdir_parents(o.dir) != 0) {
        fprintf(stderr, "%s: cannot create '%s': %s\n", cmd, o.dir, strerror(errno));
        compilation_free(c);
        return 1;
    }
    int rc = 0;
    for (int i = 0; i < c->prog.nets.n && !rc; i++) {
        Net *net = c->prog.nets.v[i];
        if (only && strcmp(net->name, only)) continue;
        rc = cuda_net(net, c->arena, &o);
    }
    compilation_free(c);
    return rc;
}

int cmd_build_cuda(int argc, char **argv) { return cuda_command(argc, argv, false); }
int cmd_emit_cuda(int argc, char **argv) { return cuda_command(argc, argv, true); }
