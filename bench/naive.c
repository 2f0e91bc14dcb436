/* bench/naive.c: the baseline every netc kernel must beat tenfold.  The textbook
 * scatter form of a transposed convolution: for each input element, for each output
 * channel and kernel tap, y[...] += x * w.  Backward-data and backward-weights use
 * the same loop nest with the roles of the arrays exchanged.  1-D and 2-D shapes run
 * as 3-D with trailing axes of size 1.  Built at plain -O2 (no -march), single thread.
 *
 *   naive SHAPE [--dir fwd|bwd_data|bwd_weights|all] [--budget S] [--min-reps R]
 *         [--warmup W] [--dump DIR] [--once]
 *
 * Prints one JSON object per direction on stdout.  --dump writes the result of each
 * direction to DIR/naive_<dir>.f32 (for the correctness check); --once computes each
 * direction once without timing. */
#include "common.h"

typedef struct naive_ctx {
    const bench_shape *s;
    float *x, *w, *y, *dy, *dx, *dw;
} naive_ctx;

/* Offsets of input position (i0,i1,i2) moved by tap (t0,t1,t2); -1 when outside. */
#define OUT_POS(s, i, t, a) ((i) * (s)->s[a] - (s)->p[a] + (t))

static void naive_forward(void *vctx)
{
    naive_ctx *c = vctx;
    const bench_shape *s = c->s;
    const long I0 = s->in[0], I1 = s->in[1], I2 = s->in[2];
    const long O0 = s->out[0], O1 = s->out[1], O2 = s->out[2];
    const long K0 = s->k[0], K1 = s->k[1], K2 = s->k[2];
    const long isz = I0 * I1 * I2, osz = O0 * O1 * O2, ksz = K0 * K1 * K2;
    memset(c->y, 0, sizeof(float) * (size_t)bench_y_count(s));
    for (long n = 0; n < s->n; n++)
        for (long ci = 0; ci < s->cin; ci++)
            for (long i0 = 0; i0 < I0; i0++)
                for (long i1 = 0; i1 < I1; i1++)
                    for (long i2 = 0; i2 < I2; i2++) {
                        const float xv = c->x[(n * s->cin + ci) * isz + (i0 * I1 + i1) * I2 + i2];
                        for (long co = 0; co < s->cout; co++) {
                            float *yp = c->y + (n * s->cout + co) * osz;
                            const float *wp = c->w + (ci * s->cout + co) * ksz;
                            for (long t0 = 0; t0 < K0; t0++) {
                                long o0 = OUT_POS(s, i0, t0, 0);
                                if (o0 < 0 || o0 >= O0) continue;
                                for (long t1 = 0; t1 < K1; t1++) {
                                    long o1 = OUT_POS(s, i1, t1, 1);
                                    if (o1 < 0 || o1 >= O1) continue;
                                    for (long t2 = 0; t2 < K2; t2++) {
                                        long o2 = OUT_POS(s, i2, t2, 2);
                                        if (o2 < 0 || o2 >= O2) continue;
                                        yp[(o0 * O1 + o1) * O2 + o2] += xv * wp[(t0 * K1 + t1) * K2 + t2];
                                    }
                                }
                            }
                        }
                    }
}

/* dx[n,ci,i] = sum over co and taps of dy[n,co,i*s-p+t] * w[ci,co,t]. */
static void naive_backward_data(void *vctx)
{
    naive_ctx *c = vctx;
    const bench_shape *s = c->s;
    const long I0 = s->in[0], I1 = s->in[1], I2 = s->in[2];
    const long O0 = s->out[0], O1 = s->out[1], O2 = s->out[2];
    const long K0 = s->k[0], K1 = s->k[1], K2 = s->k[2];
    const long isz = I0 * I1 * I2, osz = O0 * O1 * O2, ksz = K0 * K1 * K2;
    for (long n = 0; n < s->n; n++)
        for (long ci = 0; ci < s->cin; ci++)
            for (long i0 = 0; i0 < I0; i0++)
                for (long i1 = 0; i1 < I1; i1++)
                    for (long i2 = 0; i2 < I2; i2++) {
                        float acc = 0.0f;
                        for (long co = 0; co < s->cout; co++) {
                            const float *gp = c->dy + (n * s->cout + co) * osz;
                            const float *wp = c->w + (ci * s->cout + co) * ksz;
                            for (long t0 = 0; t0 < K0; t0++) {
                                long o0 = OUT_POS(s, i0, t0, 0);
                                if (o0 < 0 || o0 >= O0) continue;
                                for (long t1 = 0; t1 < K1; t1++) {
                                    long o1 = OUT_POS(s, i1, t1, 1);
                                    if (o1 < 0 || o1 >= O1) continue;
                                    for (long t2 = 0; t2 < K2; t2++) {
                                        long o2 = OUT_POS(s, i2, t2, 2);
                                        if (o2 < 0 || o2 >= O2) continue;
                                        acc += gp[(o0 * O1 + o1) * O2 + o2] * wp[(t0 * K1 + t1) * K2 + t2];
                                    }
                                }
                            }
                        }
                        c->dx[(n * s->cin + ci) * isz + (i0 * I1 + i1) * I2 + i2] = acc;
                    }
}

/* dw[ci,co,t] = sum over n and input positions of x[n,ci,i] * dy[n,co,i*s-p+t]. */
static void naive_backward_weights(void *vctx)
{
    naive_ctx *c = vctx;
    const bench_shape *s = c->s;
    const long I0 = s->in[0], I1 = s->in[1], I2 = s->in[2];
    const long O0 = s->out[0], O1 = s->out[1], O2 = s->out[2];
    const long K0 = s->k[0], K1 = s->k[1], K2 = s->k[2];
    const long isz = I0 * I1 * I2, osz = O0 * O1 * O2, ksz = K0 * K1 * K2;
    memset(c->dw, 0, sizeof(float) * (size_t)bench_w_count(s));
    for (long n = 0; n < s->n; n++)
        for (long ci = 0; ci < s->cin; ci++)
            for (long i0 = 0; i0 < I0; i0++)
                for (long i1 = 0; i1 < I1; i1++)
                    for (long i2 = 0; i2 < I2; i2++) {
                        const float xv = c->x[(n * s->cin + ci) * isz + (i0 * I1 + i1) * I2 + i2];
                        for (long co = 0; co < s->cout; co++) {
                            const float *gp = c->dy + (n * s->cout + co) * osz;
                            float *dwp = c->dw + (ci * s->cout + co) * ksz;
                            for (long t0 = 0; t0 < K0; t0++) {
                                long o0 = OUT_POS(s, i0, t0, 0);
                                if (o0 < 0 || o0 >= O0) continue;
                                for (long t1 = 0; t1 < K1; t1++) {
                                    long o1 = OUT_POS(s, i1, t1, 1);
                                    if (o1 < 0 || o1 >= O1) continue;
                                    for (long t2 = 0; t2 < K2; t2++) {
                                        long o2 = OUT_POS(s, i2, t2, 2);
                                        if (o2 < 0 || o2 >= O2) continue;
                                        dwp[(t0 * K1 + t1) * K2 + t2] += xv * gp[(o0 * O1 + o1) * O2 + o2];
                                    }
                                }
                            }
                        }
                    }
}

int main(int argc, char **argv)
{
    bench_shape s;
    memset(&s, 0, sizeof s);
    const char *pending[4] = {0, 0, 0, 0};
    const char *dir = "all", *dump = NULL;
    bench_timing t = {1, 3, 1000, 0.5};
    int once = 0;
    for (int i = 1; i < argc; i++) {
        int r = bench_shape_arg(&s, argc, argv, &i, pending);
        if (r > 0) continue;
        if (r == 0 && i + 1 < argc) {
            if (!strcmp(argv[i], "--dir")) { dir = argv[++i]; continue; }
            if (!strcmp(argv[i], "--budget")) { t.budget = atof(argv[++i]); continue; }
            if (!strcmp(argv[i], "--min-reps")) { t.min_reps = atoi(argv[++i]); continue; }
            if (!strcmp(argv[i], "--warmup")) { t.warmup = atoi(argv[++i]); continue; }
            if (!strcmp(argv[i], "--dump")) { dump = argv[++i]; continue; }
        }
        if (r == 0 && !strcmp(argv[i], "--once")) { once = 1; continue; }
        fprintf(stderr, "usage: %s SHAPE [--dir D] [--budget S] [--min-reps R] [--warmup W] "
                        "[--dump DIR] [--once]\n%s", argv[0], bench_shape_usage);
        return 2;
    }
    if (bench_shape_finish(&s, pending) != 0) {
        fprintf(stderr, "naive: incomplete or invalid shape\n%s", bench_shape_usage);
        return 2;
    }
    if (once) { t.warmup = 0; t.min_reps = 1; t.max_reps = 1; t.budget = 0; }

    naive_ctx c = {&s, 0, 0, 0, 0, 0, 0};
    c.x = bench_alloc(sizeof(float) * (size_t)bench_x_count(&s));
    c.dx = bench_alloc(sizeof(float) * (size_t)bench_x_count(&s));
    c.w = bench_alloc(sizeof(float) * (size_t)bench_w_count(&s));
    c.dw = bench_alloc(sizeof(float) * (size_t)bench_w_count(&s));
    c.y = bench_alloc(sizeof(float) * (size_t)bench_y_count(&s));
    c.dy = bench_alloc(sizeof(float) * (size_t)bench_y_count(&s));
    bench_fill(c.x, bench_x_count(&s), SEED_X);
    bench_fill(c.w, bench_w_count(&s), SEED_W);
    bench_fill(c.dy, bench_y_count(&s), SEED_DY);

    static const char *dirs[3] = {"fwd", "bwd_data", "bwd_weights"};
    bench_fn fns[3] = {naive_forward, naive_backward_data, naive_backward_weights};
    float *res[3] = {c.y, c.dx, c.dw};
    long cnt[3] = {bench_y_count(&s), bench_x_count(&s), bench_w_count(&s)};
    int any = 0;
    for (int d = 0; d < 3; d++) {
        if (strcmp(dir, "all") && strcmp(dir, dirs[d])) continue;
        any = 1;
        bench_result r = bench_time(fns[d], &c, &t);
        printf("{\"impl\": \"naive\", \"dir\": \"%s\", \"threads\": 1, \"median_ms\": %.6f, "
               "\"min_ms\": %.6f, \"cpu_ms\": %.6f, \"reps\": %d, \"gflops\": %.4f}\n",
               dirs[d], r.median_ms, r.min_ms, r.cpu_ms, r.reps, bench_flops(&s) / (r.median_ms * 1e6));
        fflush(stdout);
        if (dump) bench_dump(dump, "naive", dirs[d], res[d], cnt[d]);
    }
    if (!any) {
        fprintf(stderr, "naive: unknown --dir %s\n", dir);
        return 2;
    }
    free(c.x); free(c.dx); free(c.w); free(c.dw); free(c.y); free(c.dy);
    return 0;
}
