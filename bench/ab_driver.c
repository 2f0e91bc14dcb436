/* bench/ab_driver.c: one network as two compilers printed it, timed in one
 * process, call against call.  bench/ab builds it:
 *
 *   cc -O3 -march=native -fopenmp -I DIR -DAB_HEADER_A='"a_X.h"' -DAB_HEADER_B='"b_X.h"' \
 *      -DAB_MODEL_A=a_X_model -DAB_MODEL_B=b_X_model bench/ab_driver.c a.o b.o -lm
 *
 *   ab_driver [--pairs N] [--threads T]
 *
 * This guest's speed drifts by tens of percent over minutes, so two binaries timed
 * one after the other compare the minutes as much as the code.  Here A and B run
 * in pairs, back to back, the order swapping every pair, after one untimed call
 * each; each pair gives B's time over A's.  A time covers enough calls to take
 * about 2 ms (one for the large layers, thousands for the firmware-sized ones).  The medians of A, B and of the paired
 * ratios, and how many pairs B won, go out as one line of JSON.  A forward network
 * times its forward pass; a training twin its train_step.  Inputs and parameters
 * get bench/common.h's deterministic fill (weights scaled down so training stays
 * finite); both copies start from the same values. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#if !defined(AB_HEADER_A) || !defined(AB_HEADER_B)
#error "compile with -DAB_HEADER_A='\"a_X.h\"' -DAB_HEADER_B='\"b_X.h\"' -DAB_MODEL_A=a_X_model -DAB_MODEL_B=b_X_model"
#endif
#include AB_HEADER_A
#include AB_HEADER_B

/* the layer timers, should the code be compiled with -DNETC_TIMERS */
void netc_timer(const char *what);
void netc_timer(const char *what) { (void)what; }

typedef struct side {
    const netc_model *m;
    void *state;
    const float **in;
    float **out;
    int training;
} side;

static void setup(side *s, const netc_model *m)
{
    s->m = m;
    s->training = m->train_step != NULL;
    s->state = bench_alloc(m->state_bytes);
    m->init(s->state, 1);
    for (int i = 0; i < m->nparams; i++) {
        float *p = m->param(s->state, i);
        bench_fill(p, m->params[i].count, 2);
        for (long j = 0; j < m->params[i].count; j++) p[j] *= 0.05f;
    }
    const int nin = s->training ? m->ntrain_inputs : m->ninputs;
    const netc_tensor *ins = s->training ? m->train_inputs : m->inputs;
    s->in = calloc((size_t)nin + 1, sizeof *s->in);
    s->out = calloc((size_t)m->noutputs + 1, sizeof *s->out);
    if (!s->in || !s->out) {
        fprintf(stderr, "ab_driver: out of memory\n");
        exit(2);
    }
    for (int i = 0; i < nin; i++) {
        float *p = bench_alloc(sizeof(float) * (size_t)ins[i].count);
        bench_fill(p, ins[i].count, (uint32_t)(1 + 10 * i));
        s->in[i] = p;
    }
    for (int i = 0; i < m->noutputs; i++) s->out[i] = bench_alloc(sizeof(float) * (size_t)m->outputs[i].count);
}

/* `reps` calls back to back: milliseconds per call */
static void teardown(side *s)
{
    const int nin = s->training ? s->m->ntrain_inputs : s->m->ninputs;
    for (int i = 0; i < nin; i++) free((void *)s->in[i]);
    for (int i = 0; i < s->m->noutputs; i++) free(s->out[i]);
    free(s->in);
    free(s->out);
    free(s->state);
}

static double call(side *s, int reps)
{
    const double t0 = bench_now();
    for (int i = 0; i < reps; i++) {
        if (s->training) (void)s->m->train_step(s->state, s->in);
        else s->m->run(s->state, s->in, s->out);
    }
    return 1e3 * (bench_now() - t0) / reps;
}

int main(int argc, char **argv)
{
    int pairs = 20, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pairs") && i + 1 < argc) pairs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: ab_driver [--pairs N] [--threads T]\n");
            return 2;
        }
    }
    if (pairs < 1 || pairs > 100000 || threads < 1) {
        fprintf(stderr, "ab_driver: --pairs must be 1..100000 and --threads at least 1\n");
        return 2;
    }
#ifdef _OPENMP
    omp_set_num_threads(threads);
#endif
    side a, b;
    setup(&a, &AB_MODEL_A);
    setup(&b, &AB_MODEL_B);
    /* untimed calls, then as many calls per timing as make it about 2 ms (a
     * firmware-sized layer takes microseconds: one call would time the clock) */
    double slow = call(&a, 1), tb1 = call(&b, 1);
    if (tb1 > slow) slow = tb1;
    const int reps = slow >= 2.0 ? 1 : slow <= 2e-5 ? 100000 : (int)(2.0 / slow);
    double *ta = malloc(sizeof(double) * (size_t)pairs), *tb = malloc(sizeof(double) * (size_t)pairs);
    double *r = malloc(sizeof(double) * (size_t)pairs);
    if (!ta || !tb || !r) {
        fprintf(stderr, "ab_driver: out of memory\n");
        return 2;
    }
    int wins = 0;
    for (int i = 0; i < pairs; i++) {
        if (i & 1) {
            tb[i] = call(&b, reps);
            ta[i] = call(&a, reps);
        } else {
            ta[i] = call(&a, reps);
            tb[i] = call(&b, reps);
        }
        r[i] = tb[i] / ta[i];
        wins += tb[i] < ta[i];
    }
    const double ratio = bench_median(r, pairs);
    printf("{\"model\": \"%s\", \"dir\": \"%s\", \"threads\": %d, \"pairs\": %d, \"calls_per_time\": %d, "
           "\"a_median_ms\": %.6f, \"b_median_ms\": %.6f, \"b_over_a\": %.4f, \"b_wins\": %d}\n",
           a.m->name + 2, a.training ? "step" : "fwd", threads, pairs, reps, bench_median(ta, pairs), bench_median(tb, pairs), ratio, wins);
    free(ta);
    free(tb);
    free(r);
    teardown(&a);
    teardown(&b);
    return 0;
}
