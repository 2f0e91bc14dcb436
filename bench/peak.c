/* bench/peak.c: the machine's fp32 FMA peak, measured in the same run as the
 * kernels so "% of peak" uses this machine at this moment (clock, turbo, noisy
 * neighbours) rather than a datasheet.  Many independent vector accumulators hide
 * the FMA latency on every port; the widest ISA the CPU reports (AVX-512F, else
 * AVX2+FMA, else SSE2 mul+add) is picked at run time.  One line of JSON per thread
 * count: threads run the same loop in parallel (pthreads) and the GFLOP/s reported
 * is the total, by the wall clock ("gflops") and by each thread's CPU time
 * ("gflops_cpu", the figure that survives a busy machine).
 *
 *   peak [--threads N[,N...]] [--seconds S] [--isa avx512f|avx2|sse2]
 *   (defaults: 1,2 threads, 0.5 s each, the widest ISA present) */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The accumulator loops are fully unrolled (pragma) so every accumulator lives in
 * a register: a loop over an array in memory would measure the store path instead.
 * 24 accumulators: enough for 2 FMA ports x 4-cycle latency with room to spare
 * (Zen 5 and Intel server cores), and 24 + 2 registers fit in the 32 zmm/ymm
 * registers of AVX-512 (AVX2 has 16, so it uses 12). */
#define NACC512 24
#define NACC256 12

volatile float sink;

__attribute__((target("avx512f"))) static double run_avx512(long iters, float a, float b)
{
    __m512 va = _mm512_set1_ps(a), vb = _mm512_set1_ps(b), acc[NACC512];
    for (int j = 0; j < NACC512; j++) acc[j] = _mm512_set1_ps((float)j * 1e-3f);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 32
        for (int j = 0; j < NACC512; j++) acc[j] = _mm512_fmadd_ps(acc[j], va, vb);
    }
    __m512 s = acc[0];
    for (int j = 1; j < NACC512; j++) s = _mm512_add_ps(s, acc[j]);
    sink = _mm512_reduce_add_ps(s);
    return (double)iters * NACC512 * 16 * 2;
}

__attribute__((target("avx2,fma"))) static double run_avx2(long iters, float a, float b)
{
    __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b), acc[NACC256];
    for (int j = 0; j < NACC256; j++) acc[j] = _mm256_set1_ps((float)j * 1e-3f);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 32
        for (int j = 0; j < NACC256; j++) acc[j] = _mm256_fmadd_ps(acc[j], va, vb);
    }
    __m256 s = acc[0];
    for (int j = 1; j < NACC256; j++) s = _mm256_add_ps(s, acc[j]);
    float out[8];
    _mm256_storeu_ps(out, s);
    sink = out[0] + out[7];
    return (double)iters * NACC256 * 8 * 2;
}

static double run_sse(long iters, float a, float b)
{
    __m128 va = _mm_set1_ps(a), vb = _mm_set1_ps(b), acc[8];
    for (int j = 0; j < 8; j++) acc[j] = _mm_set1_ps((float)j * 1e-3f);
    for (long i = 0; i < iters; i++) {
#pragma GCC unroll 32
        for (int j = 0; j < 8; j++) acc[j] = _mm_add_ps(_mm_mul_ps(acc[j], va), vb);
    }
    float out[4];
    _mm_storeu_ps(out, acc[0]);
    sink = out[0];
    return (double)iters * 8 * 4 * 2;
}

typedef double (*kernel_fn)(long, float, float);

typedef struct job {
    kernel_fn fn;
    long iters;
    double flops, cpu;           /* results: flops done, thread CPU seconds used */
    pthread_barrier_t *start;
} job;

static double thread_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *worker(void *arg)
{
    job *j = arg;
    volatile float a = 0.9999999f, b = 1e-7f;    /* opaque to the optimiser */
    pthread_barrier_wait(j->start);
    double c0 = thread_cpu_now();
    j->flops = j->fn(j->iters, a, b);
    j->cpu = thread_cpu_now() - c0;
    return NULL;
}

/* Total GFLOP/s of `nthreads` threads each running `iters` iterations, by the
 * wall clock; *per_cpu gets the sum over threads of each thread's flops divided by
 * its own CPU time: what the cores deliver while they run us, which on a shared
 * machine stays near the true peak when the wall-clock figure does not. */
static double measure(kernel_fn fn, int nthreads, long iters, double *per_cpu)
{
    pthread_t tid[64];
    job jobs[64];
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)nthreads + 1);
    for (int t = 0; t < nthreads; t++) {
        jobs[t] = (job){fn, iters, 0, 0, &bar};
        pthread_create(&tid[t], NULL, worker, &jobs[t]);
    }
    pthread_barrier_wait(&bar);
    double t0 = now(), flops = 0, pc = 0;
    for (int t = 0; t < nthreads; t++) {
        pthread_join(tid[t], NULL);
        flops += jobs[t].flops;
        pc += jobs[t].cpu > 0 ? jobs[t].flops / jobs[t].cpu * 1e-9 : 0;
    }
    if (per_cpu) *per_cpu = pc;
    double dt = now() - t0;
    pthread_barrier_destroy(&bar);
    return flops / dt * 1e-9;
}

int main(int argc, char **argv)
{
    int threads[16] = {1, 2}, nt = 2;
    double seconds = 0.5;
    const char *want = NULL;                 /* --isa avx512f|avx2|sse2: force one */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) {
            nt = 0;
            for (char *p = argv[++i]; *p && nt < 16;) {
                char *end;
                long v = strtol(p, &end, 10);
                if (end == p || v < 1 || v > 64) { fprintf(stderr, "peak: bad --threads\n"); return 2; }
                threads[nt++] = (int)v;
                p = *end == ',' ? end + 1 : end;
            }
        } else if (!strcmp(argv[i], "--isa") && i + 1 < argc) {
            want = argv[++i];
        } else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            seconds = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: %s [--threads N[,N...]] [--seconds S] [--isa avx512f|avx2|sse2]\n",
                    argv[0]);
            return 2;
        }
    }

    __builtin_cpu_init();
    kernel_fn fn;
    const char *isa;
    int has512 = __builtin_cpu_supports("avx512f");
    int has2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (want && strcmp(want, "avx512f") && strcmp(want, "avx2") && strcmp(want, "sse2")) {
        fprintf(stderr, "peak: unknown --isa %s\n", want);
        return 2;
    }
    if (has512 && (!want || !strcmp(want, "avx512f"))) { fn = run_avx512; isa = "avx512f"; }
    else if (has2 && (!want || strcmp(want, "sse2"))) { fn = run_avx2; isa = "avx2+fma"; }
    else { fn = run_sse; isa = "sse2"; }
    if (want && strncmp(isa, want, strlen(want)) != 0)
        fprintf(stderr, "peak: %s not supported here, using %s\n", want, isa);

    /* Calibrate the iteration count on one thread to ~`seconds`/5, then take the
     * best of 5 runs per thread count (the peak is a maximum, not a typical value). */
    long iters = 1 << 16;
    for (;;) {
        double t0 = now();
        measure(fn, 1, iters, NULL);
        double dt = now() - t0;
        if (dt > 0.02 || iters > (1L << 40)) {
            iters = (long)((double)iters * (seconds / 5) / dt) + 1;
            break;
        }
        iters *= 4;
    }
    for (int k = 0; k < nt; k++) {
        double best = 0, best_cpu = 0;
        for (int r = 0; r < 5; r++) {
            double pc, g = measure(fn, threads[k], iters, &pc);
            if (g > best) best = g;
            if (pc > best_cpu) best_cpu = pc;
        }
        printf("{\"impl\": \"peak\", \"isa\": \"%s\", \"threads\": %d, \"gflops\": %.3f, "
               "\"gflops_cpu\": %.3f}\n", isa, threads[k], best, best_cpu);
        fflush(stdout);
    }
    return 0;
}
