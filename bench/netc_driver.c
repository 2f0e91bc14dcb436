/* bench/netc_driver.c: times any network netc generated, through the `netc_model`
 * descriptor of its header (docs/generated-c.md), so one driver serves every
 * anchor and its training twin.  bench/run compiles it together with the
 * generated code:
 *
 *   cc -O3 -march=native -fopenmp -DNETC_HEADER='"X.h"' -DNETC_MODEL=X_model \
 *      -I build/bench/X bench/netc_driver.c build/bench/X/X.c -lm
 *
 *   driver [--threads T] [--budget S] [--min-reps R] [--warmup W] [--dump DIR] [--once]
 *
 * --threads sets omp_set_num_threads (when compiled with -fopenmp; the generated
 * code splits its large loops across that many threads).  Every JSON line says the
 * thread count asked for and omp_get_max_threads().
 *
 * A network without a train block (bench/nets/X.net): times the forward pass.
 * Inputs and every parameter named "*.weight" get the same deterministic values as
 * the other implementations (bench/common.h, seeds x = 1, weight = 2), other
 * parameters (biases) are zeroed, so the outputs can be checked against PyTorch.
 * Prints one JSON object for the forward pass; --dump writes DIR/netc_fwd.f32.
 *
 * A network with a train block (the twin, bench/nets/X_train.net: x = add(x0, x0),
 * the tconv, mse against t, SGD): times train_step (training-mode forward, loss,
 * both backward passes of the tconv, the add's backward and the SGD update).  x0
 * gets half the forward's x (exact in float32, so the tconv sees the same x), t the
 * seed-4 fill.  One untimed step runs first from the deterministic weights; --dump
 * writes that step's loss (netc_step_loss.f32, one float) and the first "*.weight"
 * parameter before and after it (netc_step_w0.f32, netc_step_w1.f32, read through
 * the descriptor's param()), which bench/torch_bench.py compares with PyTorch.
 * The two partial twins time the same way: X_train_dx.net (the tconv frozen, so
 * its step computes the input gradient and no weight gradient) and X_train_dw.net
 * (the tconv reading the input x, the forward's x, so no input gradient); with
 * --phase "backward y" the driver also reports the median time of that step of
 * the call (the tconv's backward pass, from the generated code's layer timers,
 * compiled with -DNETC_TIMERS): netc's backward rows. */
#include "common.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#ifndef NETC_HEADER
#error "compile with -DNETC_HEADER='\"NAME.h\"' -DNETC_MODEL=NAME_model"
#endif
#include NETC_HEADER

/* Layer timers (compiled with -DNETC_TIMERS): the generated code calls
 * netc_timer(what) after each step of an entry point (0 when a call starts).  With
 * --phase NAME the driver keeps, for every call, the wall and CPU time of the step
 * called NAME ("backward y": the tconv's backward pass in a training twin). */
static struct {
    const char *name;
    double last, last_cpu;
    double *ms, *cpu;
    int n, cap;
} phase;

void netc_timer(const char *what);
void netc_timer(const char *what)
{
    if (!phase.name) return;
    const double t = bench_now(), c = bench_cpu_now();
    if (what && !strcmp(what, phase.name)) {
        if (phase.n == phase.cap) {
            int cap = phase.cap ? 2 * phase.cap : 1024;
            double *ms = realloc(phase.ms, sizeof(double) * (size_t)cap);
            if (ms) phase.ms = ms;
            double *cpu = realloc(phase.cpu, sizeof(double) * (size_t)cap);
            if (cpu) phase.cpu = cpu;
            if (!ms || !cpu) {
                fprintf(stderr, "netc_driver: out of memory\n");
                exit(2);
            }
            phase.cap = cap;
        }
        phase.ms[phase.n] = 1e3 * (t - phase.last);
        phase.cpu[phase.n++] = 1e3 * (c - phase.last_cpu);
    }
    phase.last_cpu = bench_cpu_now();   /* (a system call: outside the wall interval) */
    phase.last = bench_now();
}

typedef struct drv_ctx {
    const netc_model *m;
    void *state;
    const float *const *in;
    float *const *out;
} drv_ctx;

static void run_forward(void *vctx)
{
    drv_ctx *c = vctx;
    c->m->run(c->state, c->in, c->out);
}

static void run_step(void *vctx)
{
    drv_ctx *c = vctx;
    (void)c->m->train_step(c->state, c->in);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Fills one input: the forward's x (seed 1 + 10 i), or for the training twin x0 =
 * x / 2 and the target t.  Returns NULL for an input the benchmark does not know. */
static float *make_input(const netc_tensor *in, int i, int training)
{
    float *p = bench_alloc(sizeof(float) * (size_t)in->count);
    if (!training) {
        bench_fill(p, in->count, (uint32_t)(SEED_X + 10 * i));
    } else if (!strcmp(in->name, "x")) {          /* the weight-gradient twin: the forward's x */
        bench_fill(p, in->count, SEED_X);
    } else if (!strcmp(in->name, "x0")) {
        bench_fill(p, in->count, SEED_X);
        for (long j = 0; j < in->count; j++) p[j] *= 0.5f;
    } else if (!strcmp(in->name, "t")) {
        bench_fill(p, in->count, SEED_T);
    } else {
        free(p);
        return NULL;
    }
    return p;
}

static int first_weight(const netc_model *m)
{
    for (int i = 0; i < m->nparams; i++)
        if (ends_with(m->params[i].name, ".weight")) return i;
    return -1;
}

int main(int argc, char **argv)
{
    bench_timing t = {2, 3, 100000, 0.5};
    const char *dump = NULL;
    int threads = 1;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--budget")) t.budget = atof(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--min-reps")) t.min_reps = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--warmup")) t.warmup = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--threads")) threads = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--dump")) dump = argv[++i];
        else if (i + 1 < argc && !strcmp(argv[i], "--phase")) phase.name = argv[++i];
        else if (!strcmp(argv[i], "--once")) { t.warmup = 0; t.min_reps = 1; t.max_reps = 1; t.budget = 0; }
        else {
            fprintf(stderr, "usage: %s [--threads T] [--budget S] [--min-reps R] [--warmup W] [--dump DIR] "
                            "[--once] [--phase NAME]\n", argv[0]);
            return 2;
        }
    }
    if (threads < 1) {
        fprintf(stderr, "netc_driver: --threads must be at least 1\n");
        return 2;
    }
    int used = 1;
#ifdef _OPENMP
    omp_set_num_threads(threads);
    used = omp_get_max_threads();
#endif

    const netc_model *m = &NETC_MODEL;
    if (m->layout != 0) {
        fprintf(stderr, "netc_driver: %s is not nchw; the benchmark nets must be\n", m->name);
        return 2;
    }
    const int training = m->train_step != NULL;
    void *state = bench_alloc(m->state_bytes);
    m->init(state, 1);
    for (int i = 0; i < m->nparams; i++) {
        float *p = m->param(state, i);
        if (ends_with(m->params[i].name, ".weight")) bench_fill(p, m->params[i].count, SEED_W);
        else memset(p, 0, sizeof(float) * (size_t)m->params[i].count);
    }
    const int nin = training ? m->ntrain_inputs : m->ninputs;
    const netc_tensor *ins = training ? m->train_inputs : m->inputs;
    const float **in = calloc((size_t)nin + 1, sizeof *in);
    float **out = calloc((size_t)m->noutputs + 1, sizeof *out);
    for (int i = 0; i < nin; i++) {
        float *p = make_input(&ins[i], i, training);
        if (!p) {
            fprintf(stderr, "netc_driver: %s: training input \"%s\" is none of x, x0 and t "
                            "(see bench/anchors.py train_net_text)\n", m->name, ins[i].name);
            return 2;
        }
        in[i] = p;
    }
    for (int i = 0; i < m->noutputs; i++)
        out[i] = bench_alloc(sizeof(float) * (size_t)m->outputs[i].count);
    drv_ctx c = {m, state, in, out};

    if (!training) {
        bench_result r = bench_time(run_forward, &c, &t);
        printf("{\"impl\": \"netc\", \"dir\": \"fwd\", \"threads\": %d, \"omp_max_threads\": %d, "
               "\"model\": \"%s\", \"batch\": %d, \"state_bytes\": %lu, \"median_ms\": %.6f, "
               "\"min_ms\": %.6f, \"cpu_ms\": %.6f, \"reps\": %d}\n",
               threads, used, m->name, m->batch, m->state_bytes, r.median_ms, r.min_ms, r.cpu_ms, r.reps);
        if (dump && m->noutputs > 0) bench_dump(dump, "netc", "fwd", out[0], m->outputs[0].count);
        fflush(stdout);
        return 0;
    }

    /* The training twin: one untimed step from the deterministic weights (checked
     * against PyTorch through the dumps), then the timed steps. */
    int wi = first_weight(m);
    if (wi < 0) {
        fprintf(stderr, "netc_driver: %s has no \"*.weight\" parameter\n", m->name);
        return 2;
    }
    const long wn = m->params[wi].count;
    if (dump) bench_dump(dump, "netc", "step_w0", m->param(state, wi), wn);
    const float loss = m->train_step(state, in);
    if (dump) {
        bench_dump(dump, "netc", "step_w1", m->param(state, wi), wn);
        bench_dump(dump, "netc", "step_loss", &loss, 1);
    }
    const int skip = phase.n;       /* the untimed step's */
    bench_result r = bench_time(run_step, &c, &t);
    char phase_s[256] = "";
    if (phase.name) {
        /* the timed calls' marks: the last r.reps (the warm-up calls' come first) */
        const int first = phase.n - r.reps;
        if (first < skip) {
            fprintf(stderr, "netc_driver: %s: step \"%s\" ran in %d of %d calls (built without "
                            "-DNETC_TIMERS, or no such step)\n", m->name, phase.name, phase.n, r.reps + skip);
            return 2;
        }
        double lo = phase.ms[first];
        for (int k = first; k < phase.n; k++) lo = phase.ms[k] < lo ? phase.ms[k] : lo;
        snprintf(phase_s, sizeof phase_s, ", \"phase\": \"%s\", \"phase_median_ms\": %.6f, "
                 "\"phase_min_ms\": %.6f, \"phase_cpu_ms\": %.6f", phase.name,
                 bench_median(phase.ms + first, r.reps), lo, bench_median(phase.cpu + first, r.reps));
    }
    char loss_s[64];
    if (isfinite(loss)) snprintf(loss_s, sizeof loss_s, "%.9g", (double)loss);
    else snprintf(loss_s, sizeof loss_s, "null");      /* JSON has no nan/inf */
    printf("{\"impl\": \"netc\", \"dir\": \"step\", \"threads\": %d, \"omp_max_threads\": %d, "
           "\"model\": \"%s\", \"batch\": %d, \"state_bytes\": %lu, \"median_ms\": %.6f, "
           "\"min_ms\": %.6f, \"cpu_ms\": %.6f, \"reps\": %d, \"first_loss\": %s, \"loss_finite\": %s%s}\n",
           threads, used, m->name, m->batch, m->state_bytes, r.median_ms, r.min_ms, r.cpu_ms, r.reps,
           loss_s, isfinite(loss) ? "true" : "false", phase_s);
    fflush(stdout);
    return 0;
}
