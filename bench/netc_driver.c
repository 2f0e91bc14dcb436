/* bench/netc_driver.c: times any network netc generated, through the `netc_model`
 * descriptor of its header (docs/generated-c.md), so one driver serves every
 * anchor.  bench/run compiles it together with the generated code:
 *
 *   cc -O3 -march=native -DNETC_HEADER='"X.h"' -DNETC_MODEL=X_model \
 *      -I build/bench/X bench/netc_driver.c build/bench/X/X.c -lm
 *
 * Inputs and every parameter named "*.weight" get the same deterministic values as
 * the other implementations (bench/common.h, seeds x = 1, weight = 2), other
 * parameters (biases) are zeroed, so the outputs can be checked against PyTorch.
 *
 *   driver [--budget S] [--min-reps R] [--warmup W] [--dump DIR] [--once]
 *
 * Prints one JSON object for the forward pass; --dump writes DIR/netc_fwd.f32.
 *
 * Backward hook: the generated API has no backward functions yet.  When it gains
 * them (say NAME_backward_data / NAME_backward_weights, or function pointers in
 * netc_model), time them in time_backward() below, fill dy with SEED_DY, dump
 * netc_bwd_data.f32 (dx, NC[D]HW) and netc_bwd_weights.f32 (dw, PyTorch layout),
 * and have bench/run stop reporting n/a (see NETC_BACKWARD in bench/run). */
#include "common.h"

#ifndef NETC_HEADER
#error "compile with -DNETC_HEADER='\"NAME.h\"' -DNETC_MODEL=NAME_model"
#endif
#include NETC_HEADER

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

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* Backward passes: not in the generated API yet (see the file comment). */
static void time_backward(const netc_model *m)
{
    (void)m;
    printf("{\"impl\": \"netc\", \"dir\": \"bwd_data\", \"status\": \"n/a\", "
           "\"reason\": \"generated code has no backward functions yet\"}\n");
    printf("{\"impl\": \"netc\", \"dir\": \"bwd_weights\", \"status\": \"n/a\", "
           "\"reason\": \"generated code has no backward functions yet\"}\n");
}

int main(int argc, char **argv)
{
    bench_timing t = {2, 3, 100000, 0.5};
    const char *dump = NULL;
    for (int i = 1; i < argc; i++) {
        if (i + 1 < argc && !strcmp(argv[i], "--budget")) t.budget = atof(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--min-reps")) t.min_reps = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--warmup")) t.warmup = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--dump")) dump = argv[++i];
        else if (!strcmp(argv[i], "--once")) { t.warmup = 0; t.min_reps = 1; t.max_reps = 1; t.budget = 0; }
        else {
            fprintf(stderr, "usage: %s [--budget S] [--min-reps R] [--warmup W] [--dump DIR] [--once]\n",
                    argv[0]);
            return 2;
        }
    }

    const netc_model *m = &NETC_MODEL;
    if (m->layout != 0) {
        fprintf(stderr, "netc_driver: %s is not nchw; the benchmark nets must be\n", m->name);
        return 2;
    }
    void *state = bench_alloc(m->state_bytes);
    m->init(state, 1);
    for (int i = 0; i < m->nparams; i++) {
        float *p = m->param(state, i);
        if (ends_with(m->params[i].name, ".weight")) bench_fill(p, m->params[i].count, SEED_W);
        else memset(p, 0, sizeof(float) * (size_t)m->params[i].count);
    }
    const float **in = calloc((size_t)m->ninputs + 1, sizeof *in);
    float **out = calloc((size_t)m->noutputs + 1, sizeof *out);
    for (int i = 0; i < m->ninputs; i++) {
        float *p = bench_alloc(sizeof(float) * (size_t)m->inputs[i].count);
        bench_fill(p, m->inputs[i].count, (uint32_t)(SEED_X + 10 * i));
        in[i] = p;
    }
    for (int i = 0; i < m->noutputs; i++)
        out[i] = bench_alloc(sizeof(float) * (size_t)m->outputs[i].count);

    drv_ctx c = {m, state, in, out};
    bench_result r = bench_time(run_forward, &c, &t);
    printf("{\"impl\": \"netc\", \"dir\": \"fwd\", \"threads\": 1, \"model\": \"%s\", \"batch\": %d, "
           "\"state_bytes\": %lu, \"median_ms\": %.6f, \"min_ms\": %.6f, \"cpu_ms\": %.6f, \"reps\": %d}\n",
           m->name, m->batch, m->state_bytes, r.median_ms, r.min_ms, r.cpu_ms, r.reps);
    if (dump && m->noutputs > 0) bench_dump(dump, "netc", "fwd", out[0], m->outputs[0].count);
    time_backward(m);
    fflush(stdout);
    return 0;
}
