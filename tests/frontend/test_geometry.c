/*
 * test_geometry.c — the resolved geometry of conv / tconv layers after the whole
 * front end: every padding form, `same` (ONNX SAME_UPPER: odd totals at the end;
 * tconv o = i * s) and `half_kernel` (floor((d * (k - 1) + 1) / 2)) arithmetic,
 * output_shape → output_padding derivation, and time-distributed shapes.
 */
#include "fe_helpers.h"

#include <stdio.h>

/* One network around one layer `y` reading input `x` of shape `in`. */
static Fe *one_layer(const char *in, const char *layer) {
    static char text[4096];
    snprintf(text, sizeof text, "network g {\n  input x : %s;\n  y = %s;\n  output y;\n}\n", in, layer);
    Fe *f = fe_compile(text);
    if (f->diags.errors) fail_msg("unexpected error: %s (in %s)", fe_first_msg(f), text);
    return f;
}

static void assert_pads(const Layer *L, int axis, int64_t pb, int64_t pe) {
    assert_int_equal(L->g.pb[axis], pb);
    assert_int_equal(L->g.pe[axis], pe);
}

static void padding_none_scalar_axis_and_pairs(void **state) {
    (void)state;
    Fe *f = one_layer("[1, 16, 16]", "conv(x) { filters = 1, kernel = 3 }");
    Layer *y = fe_layer(f, "g", "y");
    assert_pads(y, 0, 0, 0); assert_pads(y, 1, 0, 0);
    assert_shape(y, 1, 14, 14);
    fe_free(f);
    f = one_layer("[1, 16, 16]", "conv(x) { filters = 1, kernel = 5, padding = 2 }");
    y = fe_layer(f, "g", "y");
    assert_pads(y, 0, 2, 2); assert_pads(y, 1, 2, 2);
    assert_shape(y, 1, 16, 16);
    fe_free(f);
    f = one_layer("[1, 16, 16]", "conv(x) { filters = 1, kernel = 5, padding = [1, 2] }");
    y = fe_layer(f, "g", "y");
    assert_pads(y, 0, 1, 1); assert_pads(y, 1, 2, 2);    /* outer to inner: height, then width */
    assert_shape(y, 1, 14, 16);
    fe_free(f);
    f = one_layer("[1, 16, 16]", "conv(x) { filters = 1, kernel = 3, padding = [[0, 1], [2, 0]] }");
    y = fe_layer(f, "g", "y");
    assert_pads(y, 0, 0, 1); assert_pads(y, 1, 2, 0);
    assert_shape(y, 1, 15, 16);
    fe_free(f);
}

/* conv same: o = ceil(i / s), total padding (o - 1) * s + dk - i, odd part at the end */
static void same_conv_puts_the_odd_row_at_the_end(void **state) {
    (void)state;
    static const struct { int i, k, s, d; int64_t o, pb, pe; } rows[] = {
        {16, 3, 1, 1, 16, 1, 1},
        {16, 4, 1, 1, 16, 1, 2},
        {16, 3, 2, 1, 8, 0, 1},
        {15, 3, 2, 1, 8, 1, 1},
        {16, 1, 2, 1, 8, 0, 0},     /* negative total clamps to 0 */
        {16, 3, 1, 2, 16, 2, 2},    /* dilated kernel 5 */
        {7, 5, 3, 1, 3, 2, 2},
        {10, 4, 3, 1, 4, 1, 2},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        char in[64], layer[160];
        snprintf(in, sizeof in, "[2, %d]", rows[r].i);
        snprintf(layer, sizeof layer, "conv(x) { filters = 1, kernel = %d, stride = %d, dilation = %d, padding = same }",
                 rows[r].k, rows[r].s, rows[r].d);
        Fe *f = one_layer(in, layer);
        Layer *y = fe_layer(f, "g", "y");
        assert_shape(y, 1, rows[r].o);
        assert_pads(y, 0, rows[r].pb, rows[r].pe);
        fe_free(f);
    }
}

/* tconv same: o = i * s; total padding dk - s, odd part at the end; a negative
 * total becomes output padding */
static void same_tconv_multiplies_by_the_stride(void **state) {
    (void)state;
    static const struct { int i, k, s; int64_t pb, pe, op; } rows[] = {
        {8, 3, 2, 0, 1, 0},
        {8, 4, 2, 1, 1, 0},
        {8, 1, 2, 0, 0, 1},
        {5, 3, 1, 1, 1, 0},
        {5, 5, 3, 1, 1, 0},
        {5, 2, 3, 0, 0, 1},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        char in[64], layer[160];
        snprintf(in, sizeof in, "[2, %d, %d]", rows[r].i, rows[r].i);
        snprintf(layer, sizeof layer, "tconv(x) { filters = 3, kernel = %d, stride = %d, padding = same }", rows[r].k, rows[r].s);
        Fe *f = one_layer(in, layer);
        Layer *y = fe_layer(f, "g", "y");
        assert_shape(y, 3, rows[r].i * rows[r].s, rows[r].i * rows[r].s);
        for (int a = 0; a < 2; a++) {
            assert_pads(y, a, rows[r].pb, rows[r].pe);
            assert_int_equal(y->g.op[a], rows[r].op);
        }
        fe_free(f);
    }
}

static void half_kernel_is_half_the_dilated_kernel(void **state) {
    (void)state;
    static const struct { int k, d; int64_t p; } rows[] = {{1, 1, 0}, {3, 1, 1}, {4, 1, 2}, {5, 1, 2}, {3, 2, 2}, {3, 3, 3}, {2, 3, 2}};
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        char layer[160];
        snprintf(layer, sizeof layer, "conv(x) { filters = 1, kernel = %d, dilation = %d, padding = half_kernel }", rows[r].k, rows[r].d);
        Fe *f = one_layer("[1, 20, 20, 20]", layer);
        Layer *y = fe_layer(f, "g", "y");
        for (int a = 0; a < 3; a++) assert_pads(y, a, rows[r].p, rows[r].p);
        int64_t o = 20 + 2 * rows[r].p - rows[r].d * (rows[r].k - 1);
        assert_shape(y, 1, o, o, o);
        fe_free(f);
    }
    /* HALCON's spelling is accepted too */
    Fe *f = one_layer("[1, 9]", "conv(x) { filters = 1, kernel = 3, padding = half_kernel_size }");
    assert_pads(fe_layer(f, "g", "y"), 0, 1, 1);
    fe_free(f);
}

static void output_shape_derives_output_padding(void **state) {
    (void)state;
    Fe *f = one_layer("[4, 8, 8]", "tconv(x) { filters = 2, kernel = 3, stride = 2, padding = 1, output_shape = 16 }");
    Layer *y = fe_layer(f, "g", "y");
    assert_int_equal(y->g.op[0], 1);
    assert_int_equal(y->g.op[1], 1);
    assert_shape(y, 2, 16, 16);
    fe_free(f);
    f = one_layer("[4, 8, 8]", "tconv(x) { filters = 2, kernel = 3, stride = 2, padding = 1, output_shape = [15, 16] }");
    y = fe_layer(f, "g", "y");
    assert_int_equal(y->g.op[0], 0);
    assert_int_equal(y->g.op[1], 1);
    assert_shape(y, 2, 15, 16);
    fe_free(f);
    /* dilation beyond the stride widens the reachable range: max(s, d) sizes */
    for (int want = 19; want <= 21; want++) {
        char layer[160];
        snprintf(layer, sizeof layer, "tconv(x) { filters = 1, kernel = 3, stride = 2, dilation = 3, padding = 1, output_shape = %d }", want);
        f = one_layer("[1, 8]", layer);
        y = fe_layer(f, "g", "y");
        assert_int_equal(y->g.op[0], want - 19);
        assert_shape(y, 1, want);
        fe_free(f);
    }
    /* one past the range is an error naming the reachable sizes */
    f = fe_compile("network g { input x : [1, 8]; y = tconv(x) { filters = 1, kernel = 3, stride = 2, dilation = 3, padding = 1, output_shape = 22 }; output y; }");
    assert_int_equal(f->diags.errors, 1);
    assert_string_equal(f->diags.v[0].msg, "'output_shape' 22 on axis width cannot be reached");
    assert_string_equal(f->diags.v[0].hint, "sizes 19 to 21 can be reached (output_padding 0 to 2)");
    fe_free(f);
}

static void explicit_output_padding_and_the_tconv_formula(void **state) {
    (void)state;
    /* o = (i - 1) * s - pb - pe + d * (k - 1) + a + 1 */
    Fe *f = one_layer("[3, 7, 5, 4]", "tconv(x) { filters = 6, kernel = [3, 4, 5], stride = [2, 3, 1], dilation = [1, 1, 2], "
                                      "padding = [[1, 0], [0, 2], [3, 3]], output_padding = [1, 2, 0], groups = 3 }");
    Layer *y = fe_layer(f, "g", "y");
    assert_shape(y, 6, (7 - 1) * 2 - 1 - 0 + 1 * 2 + 1 + 1, (5 - 1) * 3 - 0 - 2 + 3 + 2 + 1, (4 - 1) * 1 - 3 - 3 + 2 * 4 + 0 + 1);
    assert_int_equal(y->params, 3 * (6 / 3) * 3 * 4 * 5 + 6);   /* weight [in, filters / groups, k...] + bias */
    fe_free(f);
}

static void time_distributed_shapes(void **state) {
    (void)state;
    Fe *f = fe_compile("network td {\n"
                       "  input v : [4, 8, 4, 4, 4];\n"
                       "  a = tconv(v) { filters = 4, kernel = 4, stride = 2, padding = 1, time_distributed = true };\n"
                       "  n = batchnorm(a);\n"
                       "  b = tconv(n) { filters = 1, kernel = 4, stride = 2, padding = 1, time_distributed = true };\n"
                       "  c = conv(v) { filters = 2, kernel = 3, padding = same, time_distributed = true };\n"
                       "  k = concat(c, v);\n"
                       "  s = add(k, k);\n"
                       "  f = flatten(v) { time_distributed = true };\n"
                       "  d = dense(f) { units = 7, time_distributed = true };\n"
                       "  r = reshape(f) { shape = [8, 64], time_distributed = true };\n"
                       "  u = upsample(v) { factor = 2, time_distributed = true };\n"
                       "  p = maxpool(v) { kernel = 2, time_distributed = true };\n"
                       "  output b, s, d, r, u, p;\n"
                       "}\n");
    assert_int_equal(f->diags.errors, 0);
    Layer *L = fe_layer(f, "td", "a");
    assert_true(L->td);
    assert_shape(L, 4, 4, 8, 8, 8);
    assert_int_equal(L->params, 8 * 4 * 64 + 4);               /* shared across the 4 steps */
    assert_int_equal(L->macs, 4 * 8 * 4 * 64 * 64);            /* T * cin * cout * in-positions * taps */
    L = fe_layer(f, "td", "n");
    assert_true(L->td);
    assert_int_equal(L->params, 2 * 4);                         /* channels, not steps */
    assert_shape(fe_layer(f, "td", "b"), 4, 1, 16, 16, 16);
    assert_shape(fe_layer(f, "td", "c"), 4, 2, 4, 4, 4);
    assert_shape(fe_layer(f, "td", "k"), 4, 10, 4, 4, 4);      /* channels are axis 1 */
    assert_shape(fe_layer(f, "td", "s"), 4, 10, 4, 4, 4);
    assert_shape(fe_layer(f, "td", "f"), 4, 512);
    L = fe_layer(f, "td", "d");
    assert_shape(L, 4, 7);
    assert_int_equal(L->params, 7 * 512 + 7);
    assert_shape(fe_layer(f, "td", "r"), 4, 8, 64);
    assert_shape(fe_layer(f, "td", "u"), 4, 8, 8, 8, 8);
    assert_shape(fe_layer(f, "td", "p"), 4, 8, 2, 2, 2);
    fe_free(f);
}

static void shape_errors_stop_only_their_layer(void **state) {
    (void)state;
    Fe *f = fe_compile("network e {\n"
                       "  input x : [3, 16, 16];\n"
                       "  a = conv(x) { filters = 8, kernel = 3, padding = [1, 1, 1, 1] };\n"
                       "  b = relu(a);\n"
                       "  c = conv(x) { filters = 8, kernel = 3, padding = 1 };\n"
                       "  output b, c;\n"
                       "}\n");
    assert_int_equal(f->diags.errors, 1);
    assert_string_equal(f->diags.v[0].msg, "'padding' has 4 entries, but the input of 'a' has 2 spatial axes");
    assert_non_null(strstr(f->diags.v[0].hint, "[[1, 1], [1, 1]]"));
    assert_false(fe_layer(f, "e", "a")->shaped);
    assert_false(fe_layer(f, "e", "b")->shaped);                  /* skipped silently */
    assert_shape(fe_layer(f, "e", "c"), 8, 16, 16);
    fe_free(f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(padding_none_scalar_axis_and_pairs),
        cmocka_unit_test(same_conv_puts_the_odd_row_at_the_end),
        cmocka_unit_test(same_tconv_multiplies_by_the_stride),
        cmocka_unit_test(half_kernel_is_half_the_dilated_kernel),
        cmocka_unit_test(output_shape_derives_output_padding),
        cmocka_unit_test(explicit_output_padding_and_the_tconv_formula),
        cmocka_unit_test(time_distributed_shapes),
        cmocka_unit_test(shape_errors_stop_only_their_layer),
    };
    return cmocka_run_group_tests_name("frontend geometry", tests, NULL, NULL);
}
