/*
 * program.c — the standalone program netc builds with --exe: one generated
 * network (bound through netc_program_model) plus the file readers.
 *
 *   NAME info
 *   NAME infer [--weights W.safetensors] [--seed S] --input IN=x.npy ... --output OUT=y.npy ...
 *   NAME bench [--train] [--layers] [--iters N] [--seed S]
 *   NAME train ... / NAME eval ...   (runtime/train.c)
 *
 * Any number of samples runs through `infer`: the leading axis of every input is
 * the sample axis, processed in compiled batch-sized chunks.  Every mistake in the
 * files or options is named, and exits non-zero without writing output.
 */
#define _POSIX_C_SOURCE 200809L
#include "files.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* the generated header's types (netc_model with its training entries), and the
 * train/eval commands */
#include "train.h"

#define M netc_program_model
#define MAX_IO 64

static void *alloc_state(void) {
    size_t bytes = (M->state_bytes + 63) / 64 * 64;
    void *s = NULL;
    if (posix_memalign(&s, 64, bytes) != 0) s = NULL;
    if (!s) { fprintf(stderr, "%s: out of memory (%lu bytes of state)\n", M->name, M->state_bytes); exit(1); }
    memset(s, 0, bytes);
    return s;
}

static void shape_str(char *buf, size_t n, int rank, const long *shape) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && k < n; i++) k += (size_t)snprintf(buf + k, n - k, "%s%ld", i ? ", " : "", shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

static void usage(FILE *f);

static int cmd_info(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        fprintf(stderr, "%s info: unknown option '%s' (info takes none)\n", M->name, argv[i]);
        return 2;
    }
    char b[128];
    long params = 0;
    for (int i = 0; i < M->nparams; i++) params += M->params[i].count;
    printf("network %s: batch %d, layout %s, state %lu bytes\n", M->name, M->batch, M->layout ? "nhwc" : "nchw", M->state_bytes);
    for (int i = 0; i < M->ninputs; i++) { shape_str(b, sizeof b, M->inputs[i].rank, M->inputs[i].shape); printf("  input  %-16s %s\n", M->inputs[i].name, b); }
    for (int i = 0; i < M->noutputs; i++) { shape_str(b, sizeof b, M->outputs[i].rank, M->outputs[i].shape); printf("  output %-16s %s\n", M->outputs[i].name, b); }
    printf("  %d parameter tensors, %ld floats (%.1f KiB)\n", M->nparams, params, params * 4 / 1024.0);
    for (int i = 0; i < M->nparams; i++) { shape_str(b, sizeof b, M->params[i].rank, M->params[i].shape); printf("    %-24s %s\n", M->params[i].name, b); }
    return 0;
}

/* Load every parameter from a safetensors file; names and shapes must match. */
static int load_weights(void *state, const char *path) {
    netc_safetensors st;
    netc_file_error err;
    if (netc_safetensors_load(&st, path, (size_t)1 << 34, &err)) { fprintf(stderr, "%s: %s\n", M->name, err.msg); return 1; }
    int bad = 0;
    for (int i = 0; i < M->nparams; i++) {
        const netc_tensor *p = &M->params[i];
        const netc_st_tensor *t = netc_safetensors_find(&st, p->name);
        if (!t) { fprintf(stderr, "%s: %s: missing tensor '%s'\n", M->name, path, p->name); bad = 1; continue; }
        int same = t->rank == p->rank;
        for (int j = 0; same && j < p->rank; j++) same = t->shape[j] == p->shape[j];
        if (!same) {
            char want[128], have[128];
            long sh[8];
            for (int j = 0; j < t->rank && j < 8; j++) sh[j] = (long)t->shape[j];
            shape_str(want, sizeof want, p->rank, p->shape);
            shape_str(have, sizeof have, t->rank < 8 ? t->rank : 8, sh);
            fprintf(stderr, "%s: %s: tensor '%s' has shape %s, the network needs %s\n", M->name, path, p->name, have, want);
            bad = 1;
            continue;
        }
        if (netc_safetensors_to_f32(t, M->param(state, i), (size_t)p->count, &err)) {
            fprintf(stderr, "%s: %s: tensor '%s': %s\n", M->name, path, p->name, err.msg);
            bad = 1;
            continue;
        }
        const float *v = M->param(state, i);
        for (long j = 0; j < p->count; j++)
            if (!isfinite(v[j])) {
                fprintf(stderr, "%s: %s: tensor '%s' holds %s at element %ld; weights must be finite\n", M->name, path, p->name,
                        isnan(v[j]) ? "nan" : v[j] > 0 ? "inf" : "-inf", j);
                bad = 1;
                break;
            }
    }
    for (size_t k = 0; k < st.ntensors; k++) {
        const char *nm = st.tensors[k].name;
        size_t ln = strlen(nm);
        if (ln > 20 && !strcmp(nm + ln - 20, ".num_batches_tracked")) continue;   /* PyTorch bookkeeping */
        if (netc_is_opt_tensor(nm)) continue;                                       /* a training checkpoint */
        int known = 0;
        for (int i = 0; i < M->nparams && !known; i++) known = !strcmp(M->params[i].name, nm);
        if (!known) { fprintf(stderr, "%s: %s: unexpected tensor '%s' (not a parameter of this network)\n", M->name, path, nm); bad = 1; }
    }
    netc_safetensors_free(&st);
    return bad;
}

static int parse_io(const char *arg, const netc_tensor *list, int n, const char *what, int *which, const char **file) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) { fprintf(stderr, "%s: --%s expects NAME=FILE.npy, got '%s'\n", M->name, what, arg); return 1; }
    for (int i = 0; i < n; i++)
        if (strlen(list[i].name) == (size_t)(eq - arg) && !strncmp(list[i].name, arg, (size_t)(eq - arg))) { *which = i; *file = eq + 1; return 0; }
    fprintf(stderr, "%s: unknown %s '%.*s'; the network's %ss are:", M->name, what, (int)(eq - arg), arg, what);
    for (int i = 0; i < n; i++) fprintf(stderr, " %s", list[i].name);
    fputc('\n', stderr);
    return 1;
}

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Layer timers.  The generated code, compiled with -DNETC_TIMERS (netc build --exe
 * does), calls netc_timer(what) after every step of an entry point: what == 0 when a
 * call starts, then "inputs", "forward L", "loss", "backward L", "update",
 * "outputs".  While `bench --layers` records (timers.on), each step's time since
 * the previous mark goes to its row, one column per timed call; rows keep the order
 * in which the steps first ran.  Off, a mark is one test. */
typedef struct { const char *name; double *ms; } TimerRow;
static struct {
    int on, iter, iters, nrows, cap, cursor, failed;
    double last;
    TimerRow *rows;
} timers;

void netc_timer(const char *what);
void netc_timer(const char *what) {
    if (!timers.on) return;
    const double t = now_ms();
    if (!what) { timers.last = t; timers.cursor = 0; return; }
    int r = timers.cursor < timers.nrows && !strcmp(timers.rows[timers.cursor].name, what) ? timers.cursor : -1;
    for (int i = 0; r < 0 && i < timers.nrows; i++)
        if (!strcmp(timers.rows[i].name, what)) r = i;
    if (r < 0) {
        if (timers.nrows == timers.cap) {
            int cap = timers.cap ? 2 * timers.cap : 64;
            TimerRow *rows = realloc(timers.rows, sizeof *rows * (size_t)cap);
            if (!rows) { timers.on = 0; timers.failed = 1; return; }
            timers.rows = rows;
            timers.cap = cap;
        }
        double *ms = calloc((size_t)timers.iters, sizeof *ms);
        if (!ms) { timers.on = 0; timers.failed = 1; return; }
        timers.rows[timers.nrows] = (TimerRow){what, ms};
        r = timers.nrows++;
    }
    if (timers.iter >= 0 && timers.iter < timers.iters) timers.rows[r].ms[timers.iter] += t - timers.last;
    timers.cursor = r + 1;
    timers.last = now_ms();     /* the mark's own time goes to no step */
}

static int cmp_double(const void *a, const void *b);

/* The --layers table: each step's median and minimum over the timed calls and its
 * share of the sum of the medians. */
static void print_timers(FILE *f, long iters) {
    if (timers.failed) { fprintf(f, "  (layer timers stopped: out of memory)\n"); return; }
    if (!timers.nrows) {
        fprintf(f, "  (no layer timers: this program's network code was compiled without -DNETC_TIMERS)\n");
        return;
    }
    double total = 0;
    int width = 4;
    for (int r = 0; r < timers.nrows; r++) {
        qsort(timers.rows[r].ms, (size_t)iters, sizeof(double), cmp_double);
        total += timers.rows[r].ms[iters / 2];
        int len = (int)strlen(timers.rows[r].name);
        if (len > width) width = len;
    }
    fprintf(f, "  %-*s %12s %12s %7s\n", width, "step", "median ms", "min ms", "share");
    for (int r = 0; r < timers.nrows; r++) {
        const double *ms = timers.rows[r].ms;
        fprintf(f, "  %-*s %12.4f %12.4f %6.1f%%\n", width, timers.rows[r].name, ms[iters / 2], ms[0],
                total > 0 ? 100.0 * ms[iters / 2] / total : 0.0);
    }
    fprintf(f, "  %-*s %12.4f\n", width, "sum of medians", total);
}

static int cmd_infer(int argc, char **argv) {
    const char *weights = NULL, *in_file[MAX_IO] = {0}, *out_file[MAX_IO] = {0};
    unsigned long long seed = 0;
    for (int i = 1; i < argc; i++) {
        int which;
        const char *f;
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        if (!strcmp(argv[i], "--weights") && i + 1 < argc) weights = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--input") && i + 1 < argc) {
            if (parse_io(argv[++i], M->inputs, M->ninputs, "input", &which, &f)) return 2;
            if (in_file[which]) { fprintf(stderr, "%s: input '%s' given twice\n", M->name, M->inputs[which].name); return 2; }
            in_file[which] = f;
        } else if (!strcmp(argv[i], "--output") && i + 1 < argc) {
            if (parse_io(argv[++i], M->outputs, M->noutputs, "output", &which, &f)) return 2;
            if (out_file[which]) { fprintf(stderr, "%s: output '%s' given twice\n", M->name, M->outputs[which].name); return 2; }
            out_file[which] = f;
        } else { fprintf(stderr, "%s infer: unknown or incomplete option '%s'\n", M->name, argv[i]); return 2; }
    }
    for (int i = 0; i < M->ninputs; i++)
        if (!in_file[i]) { fprintf(stderr, "%s: missing --input %s=FILE.npy\n", M->name, M->inputs[i].name); return 2; }
    int nout = 0;
    for (int i = 0; i < M->noutputs; i++) nout += out_file[i] != NULL;
    if (!nout) { fprintf(stderr, "%s: no --output NAME=FILE.npy given\n", M->name); return 2; }
    void *state = alloc_state();
    M->init(state, seed);
    if (weights && load_weights(state, weights)) { free(state); return 1; }
    netc_array in[MAX_IO];
    memset(in, 0, sizeof in);
    long samples = -1;
    int rc = 0;
    for (int i = 0; i < M->ninputs && !rc; i++) {
        netc_file_error err;
        if (netc_npy_load(&in[i], in_file[i], (size_t)1 << 34, &err)) { fprintf(stderr, "%s: %s\n", M->name, err.msg); rc = 1; break; }
        const netc_tensor *t = &M->inputs[i];
        int ok = in[i].rank == t->rank;
        for (int j = 1; ok && j < t->rank; j++) ok = in[i].shape[j] == t->shape[j];
        if (!ok) {
            char want[128], have[128];
            long sh[8];
            long ws[8];
            for (int j = 0; j < in[i].rank && j < 8; j++) sh[j] = (long)in[i].shape[j];
            ws[0] = -1;
            for (int j = 1; j < t->rank; j++) ws[j] = t->shape[j];
            shape_str(have, sizeof have, in[i].rank < 8 ? in[i].rank : 8, sh);
            shape_str(want, sizeof want, t->rank, ws);
            fprintf(stderr, "%s: %s: input '%s' has shape %s; expected [N%s (any N samples)\n", M->name, in_file[i], t->name, have,
                    strchr(want, ',') ? strchr(want, ',') : "]");
            rc = 1;
            break;
        }
        if (samples >= 0 && in[i].shape[0] != samples) {
            fprintf(stderr, "%s: inputs disagree on the number of samples (%ld and %lld)\n", M->name, samples, (long long)in[i].shape[0]);
            rc = 1;
            break;
        }
        samples = (long)in[i].shape[0];
        long per = t->count / M->batch;
        for (int64_t j = 0; j < in[i].count; j++)
            if (!isfinite(in[i].data[j])) {
                fprintf(stderr, "%s: %s: sample %lld (counting from 0) of input '%s' holds %s at element %lld; inputs must be finite\n",
                        M->name, in_file[i], (long long)(j / per), t->name, isnan(in[i].data[j]) ? "nan" : in[i].data[j] > 0 ? "inf" : "-inf",
                        (long long)(j % per));
                rc = 1;
                break;
            }
    }
    if (!M->ninputs) samples = M->batch;
    float *out[MAX_IO] = {0};
    for (int i = 0; i < M->noutputs && !rc; i++) {
        out[i] = malloc(sizeof(float) * (size_t)(M->outputs[i].count / M->batch) * (size_t)(samples > 0 ? samples : 1));
        if (!out[i]) { fprintf(stderr, "%s: out of memory\n", M->name); rc = 1; }
    }
    float *bin[MAX_IO] = {0}, *bout[MAX_IO] = {0};
    for (int i = 0; i < M->ninputs && !rc; i++) bin[i] = calloc((size_t)M->inputs[i].count, sizeof(float));
    for (int i = 0; i < M->noutputs && !rc; i++) bout[i] = calloc((size_t)M->outputs[i].count, sizeof(float));
    for (long s0 = 0; !rc && s0 < samples; s0 += M->batch) {
        long n = samples - s0 < M->batch ? samples - s0 : M->batch;
        /* a NaN sentinel in every output element: one the network forgets to write
         * shows up in the result instead of passing as a stale value */
        for (int i = 0; i < M->noutputs; i++)
            for (long j = 0; j < M->outputs[i].count; j++) bout[i][j] = __builtin_nanf("");
        for (int i = 0; i < M->ninputs; i++) {
            long per = M->inputs[i].count / M->batch;
            memset(bin[i], 0, sizeof(float) * (size_t)M->inputs[i].count);
            memcpy(bin[i], in[i].data + s0 * per, sizeof(float) * (size_t)(n * per));
        }
        M->run(state, (const float *const *)bin, bout);
        for (int i = 0; i < M->noutputs; i++) {
            long per = M->outputs[i].count / M->batch;
            memcpy(out[i] + s0 * per, bout[i], sizeof(float) * (size_t)(n * per));
        }
    }
    for (int i = 0; i < M->noutputs && !rc; i++) {
        if (!out_file[i]) continue;
        int64_t shape[8];
        shape[0] = samples;
        for (int j = 1; j < M->outputs[i].rank; j++) shape[j] = M->outputs[i].shape[j];
        netc_file_error err;
        if (netc_npy_save(out_file[i], M->outputs[i].rank, shape, out[i], &err)) { fprintf(stderr, "%s: %s\n", M->name, err.msg); rc = 1; }
    }
    for (int i = 0; i < MAX_IO; i++) { netc_array_free(&in[i]); free(out[i]); free(bin[i]); free(bout[i]); }
    free(state);
    return rc;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmd_bench(int argc, char **argv) {
    long iters = 20;
    unsigned long long seed = 1;
    int train = 0, layers = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { usage(stdout); return 0; }
        if (!strcmp(argv[i], "--train")) train = 1;
        else if (!strcmp(argv[i], "--layers")) layers = 1;
        else if (!strcmp(argv[i], "--iters") && i + 1 < argc) {
            char *end;
            iters = strtol(argv[++i], &end, 10);
            if (*end || iters < 1 || iters > 1000000) { fprintf(stderr, "%s bench: --iters expects 1 to 1000000\n", M->name); return 2; }
        } else if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else { fprintf(stderr, "%s bench: unknown or incomplete option '%s'\n", M->name, argv[i]); return 2; }
    }
    if (train && !M->train_step) { fprintf(stderr, "%s bench: --train: the network has no train block\n", M->name); return 2; }
    void *state = alloc_state();
    M->init(state, seed);
    float *bin[MAX_IO] = {0}, *bout[MAX_IO] = {0};
    int nin = train ? M->ntrain_inputs : M->ninputs;
    const netc_tensor *ins = train ? M->train_inputs : M->inputs;
    for (int i = 0; i < nin; i++) {
        bin[i] = malloc(sizeof(float) * (size_t)ins[i].count);
        for (long j = 0; bin[i] && j < ins[i].count; j++) bin[i][j] = (float)((j * 2654435761u) % 1000) / 1000.0f;
    }
    for (int i = 0; i < M->noutputs; i++) bout[i] = malloc(sizeof(float) * (size_t)M->outputs[i].count);
    double *t = malloc(sizeof(double) * (size_t)iters);
    if (!t) { fprintf(stderr, "%s bench: out of memory\n", M->name); return 1; }
    timers.on = layers;
    timers.iters = (int)iters;
    for (long i = -1; i < iters; i++) {   /* i = -1: warm-up */
        timers.iter = (int)i;
        double t0 = now_ms();
        if (train) M->train_step(state, (const float *const *)bin);
        else M->run(state, (const float *const *)bin, bout);
        if (i >= 0) t[i] = now_ms() - t0;
    }
    qsort(t, (size_t)iters, sizeof *t, cmp_double);
    printf("%s: %s of %d samples: median %.4f ms (min %.4f, max %.4f, %ld runs)\n", M->name,
           train ? "training step" : "forward pass", M->batch, t[iters / 2], t[0], t[iters - 1], iters);
    if (layers) {
        timers.on = 0;
        print_timers(stdout, iters);
        for (int r = 0; r < timers.nrows; r++) free(timers.rows[r].ms);
        free(timers.rows);
        timers.rows = NULL;
        timers.nrows = timers.cap = 0;
    }
    free(t);
    for (int i = 0; i < MAX_IO; i++) { free(bin[i]); free(bout[i]); }
    free(state);
    return 0;
}

static void usage(FILE *f) {
    fprintf(f,
            "usage: %s COMMAND [OPTIONS]   (network '%s', built by netc)\n"
            "\n"
            "  info                                  shapes, parameters and memory\n"
            "  infer --input IN=x.npy ... --output OUT=y.npy ... [--weights W.safetensors] [--seed S]\n"
            "                                        run any number of samples (the leading axis)\n"
            "  bench [--train] [--layers] [--iters N] [--seed S]\n"
            "                                        median milliseconds of one forward pass (or training step)\n"
            "\n"
            "  --input IN=x.npy        infer: samples of input IN, [N, per-sample shape...]\n"
            "  --output OUT=y.npy      infer: where to write output OUT for the same N samples\n"
            "  --weights W.safetensors infer, train, eval: parameters to load (PyTorch's\n"
            "                          names and layouts); without it the .net file's\n"
            "                          initialisers run, seeded by --seed\n"
            "  --seed S                seed of the initialisers, and of train's shuffled order\n"
            "                          (default 0; bench 1)\n"
            "  --iters N               bench: timed runs after one warm-up (default 20)\n"
            "  --train                 bench: time a training step instead of a forward pass\n"
            "  --layers                bench: also time every step of the pass: inputs, each\n"
            "                          layer's forward (and backward), loss, update, outputs\n"
            "\n",
            M->name, M->name);
    netc_train_usage(f);
    fputs("\nexit status: 0 done, 1 a data, file or numeric error, 2 a usage error\n", f);
}

int main(int argc, char **argv) {
    if (argc < 2) { usage(stderr); return 2; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) { usage(stdout); return 0; }
    if (!strcmp(argv[1], "info")) return cmd_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "infer")) return cmd_infer(argc - 1, argv + 1);
    if (!strcmp(argv[1], "bench")) return cmd_bench(argc - 1, argv + 1);
    if (!strcmp(argv[1], "train")) return netc_cmd_train(argc - 1, argv + 1);
    if (!strcmp(argv[1], "eval")) return netc_cmd_eval(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n", M->name, argv[1]);
    usage(stderr);
    return 2;
}
