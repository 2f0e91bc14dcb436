/* bench/onednn.c: oneDNN's deconvolution (= transposed convolution) through its C
 * API, for the three directions netc is compared on: forward (inference),
 * backward-data and backward-weights.  oneDNN picks its own memory formats
 * (format_tag any); our plain arrays (NC[D]HW data, PyTorch's [Cin][Cout][k...]
 * weights) are reordered into them once, before timing, and the results back after
 * it, so the times are the primitive executions alone (reorders excluded).  Debian's
 * libdnnl threads with OpenMP: --threads sets omp_set_num_threads before any
 * primitive is created, and the count actually used is printed back.
 *
 *   onednn SHAPE [--threads T] [--dir fwd|bwd_data|bwd_weights|all] [--budget S]
 *          [--min-reps R] [--warmup W] [--dump DIR] [--once]
 *
 * One JSON object per direction on stdout; --dump writes DIR/onednn_<dir>.f32 in
 * the plain layouts (for the correctness check). */
#include <omp.h>
#include <oneapi/dnnl/dnnl.h>

#include "common.h"

#define CHECK(call)                                                                  \
    do {                                                                             \
        dnnl_status_t st_ = (call);                                                  \
        if (st_ != dnnl_success) {                                                   \
            fprintf(stderr, "onednn: %s failed (status %d) at line %d\n", #call,     \
                    (int)st_, __LINE__);                                             \
            exit(3);                                                                 \
        }                                                                            \
    } while (0)

static dnnl_engine_t engine;
static dnnl_stream_t stream;

/* One tensor: the user's plain copy and the primitive's own (maybe blocked) one. */
typedef struct tensor {
    dnnl_memory_desc_t user_md;
    dnnl_memory_t user, prim;
    float *data;                 /* user buffer */
    long count;
} tensor;

static void tensor_init(tensor *t, int ndims, const dnnl_dims_t dims, dnnl_format_tag_t tag, long count)
{
    CHECK(dnnl_memory_desc_init_by_tag(&t->user_md, ndims, dims, dnnl_f32, tag));
    t->count = count;
    t->data = bench_alloc(sizeof(float) * (size_t)count);
    CHECK(dnnl_memory_create(&t->user, &t->user_md, engine, t->data));
    t->prim = NULL;
}

static void reorder(dnnl_memory_t from, dnnl_memory_t to)
{
    const dnnl_memory_desc_t *a, *b;
    CHECK(dnnl_memory_get_memory_desc(from, &a));
    CHECK(dnnl_memory_get_memory_desc(to, &b));
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t r;
    CHECK(dnnl_reorder_primitive_desc_create(&pd, a, engine, b, engine, NULL));
    CHECK(dnnl_primitive_create(&r, pd));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}};
    CHECK(dnnl_primitive_execute(r, stream, 2, args));
    CHECK(dnnl_stream_wait(stream));
    dnnl_primitive_destroy(r);
    dnnl_primitive_desc_destroy(pd);
}

/* Gives t a memory in the format `pd` wants for `what`; copies the user data in
 * when `load` (the reorder is skipped when the formats already agree). */
static void tensor_bind(tensor *t, const_dnnl_primitive_desc_t pd, dnnl_query_t what, int load)
{
    const dnnl_memory_desc_t *md = dnnl_primitive_desc_query_md(pd, what, 0);
    if (t->prim && t->prim != t->user) dnnl_memory_destroy(t->prim);
    if (dnnl_memory_desc_equal(md, &t->user_md)) {
        t->prim = t->user;
        return;
    }
    CHECK(dnnl_memory_create(&t->prim, md, engine, DNNL_MEMORY_ALLOCATE));
    if (load) reorder(t->user, t->prim);
}

static void tensor_unload(tensor *t)
{
    if (t->prim != t->user) reorder(t->prim, t->user);
}

typedef struct run_ctx {
    dnnl_primitive_t prim;
    int nargs;
    dnnl_exec_arg_t args[4];
} run_ctx;

static void run_once(void *vctx)
{
    run_ctx *c = vctx;
    CHECK(dnnl_primitive_execute(c->prim, stream, c->nargs, c->args));
    CHECK(dnnl_stream_wait(stream));
}

static const char *impl_name(const_dnnl_primitive_desc_t pd)
{
    const char *s = "?";
    if (dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &s) != dnnl_success) return "?";
    return s;
}

int main(int argc, char **argv)
{
    bench_shape s;
    memset(&s, 0, sizeof s);
    const char *pending[4] = {0, 0, 0, 0};
    const char *dir = "all", *dump = NULL;
    bench_timing t = {2, 3, 100000, 0.5};
    int once = 0, threads = 1;
    for (int i = 1; i < argc; i++) {
        int r = bench_shape_arg(&s, argc, argv, &i, pending);
        if (r > 0) continue;
        if (r == 0 && i + 1 < argc) {
            if (!strcmp(argv[i], "--dir")) { dir = argv[++i]; continue; }
            if (!strcmp(argv[i], "--threads")) { threads = atoi(argv[++i]); continue; }
            if (!strcmp(argv[i], "--budget")) { t.budget = atof(argv[++i]); continue; }
            if (!strcmp(argv[i], "--min-reps")) { t.min_reps = atoi(argv[++i]); continue; }
            if (!strcmp(argv[i], "--warmup")) { t.warmup = atoi(argv[++i]); continue; }
            if (!strcmp(argv[i], "--dump")) { dump = argv[++i]; continue; }
        }
        if (r == 0 && !strcmp(argv[i], "--once")) { once = 1; continue; }
        fprintf(stderr, "usage: %s SHAPE [--threads T] [--dir D] [--budget S] [--min-reps R] "
                        "[--warmup W] [--dump DIR] [--once]\n%s", argv[0], bench_shape_usage);
        return 2;
    }
    if (bench_shape_finish(&s, pending) != 0 || threads < 1) {
        fprintf(stderr, "onednn: incomplete or invalid shape\n%s", bench_shape_usage);
        return 2;
    }
    if (once) { t.warmup = 0; t.min_reps = 1; t.max_reps = 1; t.budget = 0; }

    /* Before anything of oneDNN runs: it sizes its work split from this. */
    omp_set_num_threads(threads);
    int used = omp_get_max_threads();

    CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));

    const int nd = s.rank + 2;
    dnnl_dims_t xd = {s.n, s.cin}, yd = {s.n, s.cout}, wd = {s.cout, s.cin};
    dnnl_dims_t strides, pad_l, pad_r;
    for (int a = 0; a < s.rank; a++) {
        xd[2 + a] = s.in[a];
        yd[2 + a] = s.out[a];
        wd[2 + a] = s.k[a];
        strides[a] = s.s[a];
        pad_l[a] = s.p[a];
        pad_r[a] = s.p[a] - s.op[a];   /* output_padding = rows added at the end */
    }
    static const dnnl_format_tag_t data_tag[4] = {dnnl_format_tag_undef, dnnl_abc, dnnl_abcd, dnnl_abcde};
    /* oneDNN's deconvolution weights are (O, I, spatial); PyTorch's are (I, O, spatial). */
    static const dnnl_format_tag_t wei_tag[4] = {dnnl_format_tag_undef, dnnl_bac, dnnl_bacd, dnnl_bacde};

    tensor x, y, w, dx, dy, dw;
    tensor_init(&x, nd, xd, data_tag[s.rank], bench_x_count(&s));
    tensor_init(&dx, nd, xd, data_tag[s.rank], bench_x_count(&s));
    tensor_init(&y, nd, yd, data_tag[s.rank], bench_y_count(&s));
    tensor_init(&dy, nd, yd, data_tag[s.rank], bench_y_count(&s));
    tensor_init(&w, nd, wd, wei_tag[s.rank], bench_w_count(&s));
    tensor_init(&dw, nd, wd, wei_tag[s.rank], bench_w_count(&s));
    bench_fill(x.data, x.count, SEED_X);
    bench_fill(w.data, w.count, SEED_W);
    bench_fill(dy.data, dy.count, SEED_DY);

    dnnl_memory_desc_t x_any, y_any, w_any;
    CHECK(dnnl_memory_desc_init_by_tag(&x_any, nd, xd, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&y_any, nd, yd, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&w_any, nd, wd, dnnl_f32, dnnl_format_tag_any));

    /* The forward-training descriptor is the hint both backward passes need. */
    dnnl_deconvolution_desc_t fwd_d, fwd_train_d, bwd_d_d, bwd_w_d;
    CHECK(dnnl_deconvolution_forward_desc_init(&fwd_d, dnnl_forward_inference, dnnl_deconvolution_direct,
                                               &x_any, &w_any, NULL, &y_any, strides, pad_l, pad_r));
    CHECK(dnnl_deconvolution_forward_desc_init(&fwd_train_d, dnnl_forward_training, dnnl_deconvolution_direct,
                                               &x_any, &w_any, NULL, &y_any, strides, pad_l, pad_r));
    CHECK(dnnl_deconvolution_backward_data_desc_init(&bwd_d_d, dnnl_deconvolution_direct, &x_any, &w_any,
                                                     &y_any, strides, pad_l, pad_r));
    CHECK(dnnl_deconvolution_backward_weights_desc_init(&bwd_w_d, dnnl_deconvolution_direct, &x_any, &w_any,
                                                        NULL, &y_any, strides, pad_l, pad_r));
    dnnl_primitive_desc_t hint;
    CHECK(dnnl_primitive_desc_create(&hint, &fwd_train_d, NULL, engine, NULL));

    static const char *dirs[3] = {"fwd", "bwd_data", "bwd_weights"};
    int any = 0;
    for (int d = 0; d < 3; d++) {
        if (strcmp(dir, "all") && strcmp(dir, dirs[d])) continue;
        any = 1;
        dnnl_primitive_desc_t pd;
        const_dnnl_op_desc_t od = d == 0 ? (const_dnnl_op_desc_t)&fwd_d
                                : d == 1 ? (const_dnnl_op_desc_t)&bwd_d_d : (const_dnnl_op_desc_t)&bwd_w_d;
        CHECK(dnnl_primitive_desc_create(&pd, od, NULL, engine, d == 0 ? NULL : hint));
        run_ctx c;
        tensor *out;
        if (d == 0) {
            tensor_bind(&x, pd, dnnl_query_src_md, 1);
            tensor_bind(&w, pd, dnnl_query_weights_md, 1);
            tensor_bind(&y, pd, dnnl_query_dst_md, 0);
            c.nargs = 3;
            c.args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, x.prim};
            c.args[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, w.prim};
            c.args[2] = (dnnl_exec_arg_t){DNNL_ARG_DST, y.prim};
            out = &y;
        } else if (d == 1) {
            tensor_bind(&dy, pd, dnnl_query_diff_dst_md, 1);
            tensor_bind(&w, pd, dnnl_query_weights_md, 1);
            tensor_bind(&dx, pd, dnnl_query_diff_src_md, 0);
            c.nargs = 3;
            c.args[0] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, dy.prim};
            c.args[1] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, w.prim};
            c.args[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_SRC, dx.prim};
            out = &dx;
        } else {
            tensor_bind(&x, pd, dnnl_query_src_md, 1);
            tensor_bind(&dy, pd, dnnl_query_diff_dst_md, 1);
            tensor_bind(&dw, pd, dnnl_query_diff_weights_md, 0);
            c.nargs = 3;
            c.args[0] = (dnnl_exec_arg_t){DNNL_ARG_SRC, x.prim};
            c.args[1] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_DST, dy.prim};
            c.args[2] = (dnnl_exec_arg_t){DNNL_ARG_DIFF_WEIGHTS, dw.prim};
            out = &dw;
        }
        CHECK(dnnl_primitive_create(&c.prim, pd));
        bench_result r = bench_time(run_once, &c, &t);
        const dnnl_version_t *v = dnnl_version();
        printf("{\"impl\": \"onednn\", \"version\": \"%d.%d.%d\", \"dir\": \"%s\", \"threads\": %d, "
               "\"omp_max_threads\": %d, "
               "\"median_ms\": %.6f, \"min_ms\": %.6f, \"cpu_ms\": %.6f, \"reps\": %d, \"gflops\": %.4f, "
               "\"impl_info\": \"%s\", \"timed\": \"primitive execution only, reorders excluded\"}\n",
               v->major, v->minor, v->patch, dirs[d], threads, used, r.median_ms, r.min_ms, r.cpu_ms, r.reps,
               bench_flops(&s) / (r.median_ms * 1e6), impl_name(pd));
        fflush(stdout);
        if (dump) {
            tensor_unload(out);
            bench_dump(dump, "onednn", dirs[d], out->data, out->count);
        }
        dnnl_primitive_destroy(c.prim);
        dnnl_primitive_desc_destroy(pd);
    }
    if (!any) {
        fprintf(stderr, "onednn: unknown --dir %s\n", dir);
        return 2;
    }
    dnnl_primitive_desc_destroy(hint);
    dnnl_stream_destroy(stream);
    dnnl_engine_destroy(engine);
    return 0;
}
