/* bench/common.h: pieces shared by the benchmark programs (naive.c, onednn.c,
 * netc_driver.c): the deterministic fill that bench/torch_bench.py reproduces bit
 * for bit, a monotonic clock, the repeat-until-budget timing loop with its median,
 * the command-line shape of one transposed convolution, and raw float32 dumps used
 * by the correctness check.  Header-only: every function is static. */
#ifndef NETC_BENCH_COMMON_H
#define NETC_BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- deterministic data -------------------------------------------------------
 * Element i of the tensor with seed s is a 32-bit mix of (i, s) mapped to
 * [-1, 1) in steps of 2^-23: exact in float32, so Python (numpy uint32) gets the
 * same bits.  Seeds: x = 1, weight = 2, dy = 3, the training step's target t = 4. */
enum { SEED_X = 1, SEED_W = 2, SEED_DY = 3, SEED_T = 4 };

static inline float bench_value(uint32_t i, uint32_t seed)
{
    uint32_t h = i * 0x9E3779B1u + seed * 0x85EBCA77u;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    h *= 0x297A2D39u;
    h ^= h >> 15;
    return (float)(h >> 8) * (1.0f / 8388608.0f) - 1.0f;
}

static void bench_fill(float *p, long n, uint32_t seed)
{
    for (long i = 0; i < n; i++)
        p[i] = bench_value((uint32_t)i, seed);
}

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* CPU time of the whole process (all threads): on a shared machine, the time a
 * single-threaded call actually ran, without the time it waited for a CPU. */
static double bench_cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void *bench_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0) bytes = 64;
    if (posix_memalign(&p, 64, (bytes + 63) / 64 * 64) != 0) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(2);
    }
    memset(p, 0, bytes);
    return p;
}

/* ---- timing -------------------------------------------------------------------
 * `warmup` untimed calls, then timed calls until both `min_reps` calls and
 * `budget` seconds are spent (at most max_reps).  Reports the median wall time,
 * the fastest call, and the median process CPU time per call. */
typedef struct bench_timing {
    int warmup, min_reps, max_reps;
    double budget;
} bench_timing;

typedef struct bench_result {
    double median_ms, min_ms, cpu_ms;
    int reps;
} bench_result;

static int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef void (*bench_fn)(void *ctx);

static double bench_median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static bench_result bench_time(bench_fn fn, void *ctx, const bench_timing *t)
{
    bench_result r = {0, 0, 0, 0};
    for (int i = 0; i < t->warmup; i++) fn(ctx);
    int cap = t->max_reps > 0 ? t->max_reps : 1;
    double *ms = malloc(sizeof(double) * (size_t)cap), *cpu = malloc(sizeof(double) * (size_t)cap);
    double start = bench_now();
    int n = 0;
    while (n < cap) {
        /* the CPU clock is a system call (microseconds in a VM): read outside the
         * wall interval, so that a call of a few microseconds is not timed with it */
        const double c0 = bench_cpu_now(), t0 = bench_now();
        fn(ctx);
        const double t1 = bench_now();
        cpu[n] = 1e3 * (bench_cpu_now() - c0);
        ms[n++] = 1e3 * (t1 - t0);
        if (n >= t->min_reps && bench_now() - start >= t->budget) break;
    }
    r.reps = n;
    r.median_ms = bench_median(ms, n);
    r.min_ms = ms[0];
    r.cpu_ms = bench_median(cpu, n);
    free(ms);
    free(cpu);
    return r;
}

/* ---- one transposed convolution ----------------------------------------------
 * Spatial axes are outer to inner (depth, height, width), as in PyTorch. */
typedef struct bench_shape {
    int rank;                    /* 1, 2 or 3 spatial axes */
    long n, cin, cout;
    long in[3], k[3], s[3], p[3], op[3], out[3];
} bench_shape;

static long bench_prod(const long *v, int r)
{
    long q = 1;
    for (int i = 0; i < r; i++) q *= v[i];
    return q;
}

static long bench_x_count(const bench_shape *s) { return s->n * s->cin * bench_prod(s->in, s->rank); }
static long bench_y_count(const bench_shape *s) { return s->n * s->cout * bench_prod(s->out, s->rank); }
static long bench_w_count(const bench_shape *s) { return s->cin * s->cout * bench_prod(s->k, s->rank); }

/* 2 * N * Cin * Cout * input spatial size * kernel volume: every input element
 * meets every tap once; the same count for both backward passes. */
static double bench_flops(const bench_shape *s)
{
    return 2.0 * (double)s->n * (double)s->cin * (double)s->cout *
           (double)bench_prod(s->in, s->rank) * (double)bench_prod(s->k, s->rank);
}

/* "4x4" or "4" (broadcast to `rank` axes; rank 0 = set it from the list length). */
static int bench_parse_axes(const char *arg, long *v, int *rank)
{
    int r = 0;
    const char *p = arg;
    while (*p && r < 3) {
        char *end;
        long x = strtol(p, &end, 10);
        if (end == p) return -1;
        v[r++] = x;
        p = end;
        if (*p == 'x' || *p == ',') p++;
        else if (*p) return -1;
    }
    if (*p) return -1;
    if (*rank == 0) { *rank = r; return 0; }
    if (r == 1) { for (int i = 1; i < *rank; i++) v[i] = v[0]; return 0; }
    return r == *rank ? 0 : -1;
}

static const char bench_shape_usage[] =
    "  --n N --cin C --cout F --in AxB[xC] --k K --s S --p P --op OP\n"
    "  (--k/--s/--p/--op take one number for every axis or one per axis)\n";

/* Consumes shape options at argv[*i]; returns 1 if one was taken, 0 if the option
 * is not a shape option, -1 on a bad value. */
static int bench_shape_arg(bench_shape *s, int argc, char **argv, int *i, const char **pending)
{
    const char *o = argv[*i];
    static const char *names[] = {"--n", "--cin", "--cout", "--in", "--k", "--s", "--p", "--op"};
    int which = -1;
    for (int j = 0; j < 8; j++)
        if (strcmp(o, names[j]) == 0) which = j;
    if (which < 0) return 0;
    if (*i + 1 >= argc) return -1;
    const char *v = argv[++*i];
    switch (which) {
    case 0: s->n = atol(v); break;
    case 1: s->cin = atol(v); break;
    case 2: s->cout = atol(v); break;
    case 3: s->rank = 0; return bench_parse_axes(v, s->in, &s->rank) == 0 ? 1 : -1;
    default: pending[which - 4] = v; break;    /* needs the rank: resolved later */
    }
    return 1;
}

static int bench_shape_finish(bench_shape *s, const char **pending)
{
    long *dst[4] = {s->k, s->s, s->p, s->op};
    const long dflt[4] = {0, 1, 0, 0};
    if (s->rank < 1 || s->rank > 3 || s->n < 1 || s->cin < 1 || s->cout < 1) return -1;
    for (int j = 0; j < 4; j++) {
        if (pending[j]) {
            int r = s->rank;
            if (bench_parse_axes(pending[j], dst[j], &r) != 0) return -1;
        } else {
            for (int a = 0; a < s->rank; a++) dst[j][a] = dflt[j];
        }
    }
    for (int a = 0; a < s->rank; a++) {
        if (s->k[a] < 1 || s->s[a] < 1) return -1;
        s->out[a] = (s->in[a] - 1) * s->s[a] - 2 * s->p[a] + s->k[a] + s->op[a];
        if (s->out[a] < 1) return -1;
    }
    for (int a = s->rank; a < 3; a++) {
        s->in[a] = s->k[a] = s->s[a] = s->out[a] = 1;
        s->p[a] = s->op[a] = 0;
    }
    return 0;
}

/* Raw float32, native (little-endian) order, no header. */
static void bench_dump(const char *dir, const char *impl, const char *what, const float *p, long n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%s.f32", dir, impl, what);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(p, sizeof(float), (size_t)n, f) != (size_t)n) {
        fprintf(stderr, "cannot write %s\n", path);
        exit(2);
    }
    fclose(f);
}

#endif
