/* test_plot.c — cmocka tests of runtime/plot: every PNG is decoded again with
 * cairo's own reader and checked for size and for pixels where they must (and must
 * not) be; error paths must leave no file behind.  Usage: test_plot SCRATCH_DIR */
#include "plot.h"

#include <cairo.h>
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static const char *scratch;
static char err[512];

/* ---- helpers -------------------------------------------------------------------- */

typedef struct { cairo_surface_t *s; int w, h, stride; unsigned char *data; } image;

/* surfaces still loaded when an assertion ends a test early; freed by its teardown */
static cairo_surface_t *open_surfaces[4];

static int teardown(void **state)
{
    (void)state;
    for (int i = 0; i < 4; i++) {
        if (open_surfaces[i]) cairo_surface_destroy(open_surfaces[i]);
        open_surfaces[i] = NULL;
    }
    return 0;
}

static image load(const char *path)
{
    image im = { cairo_image_surface_create_from_png(path), 0, 0, 0, NULL };
    for (int i = 0; i < 4; i++)
        if (!open_surfaces[i]) { open_surfaces[i] = im.s; break; }
    assert_int_equal(cairo_surface_status(im.s), CAIRO_STATUS_SUCCESS);
    cairo_surface_flush(im.s);
    im.w = cairo_image_surface_get_width(im.s);
    im.h = cairo_image_surface_get_height(im.s);
    im.stride = cairo_image_surface_get_stride(im.s);
    im.data = cairo_image_surface_get_data(im.s);
    return im;
}

static void unload(image *im)
{
    for (int i = 0; i < 4; i++)
        if (open_surfaces[i] == im->s) open_surfaces[i] = NULL;
    cairo_surface_destroy(im->s);
}

static unsigned px(const image *im, int x, int y)
{
    assert_true(x >= 0 && x < im->w && y >= 0 && y < im->h);
    return ((const uint32_t *)(im->data + (size_t)y * im->stride))[x] & 0xffffff;
}

static const char *in_scratch(const char *name)
{
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ & 3];
    snprintf(b, 1024, "%s/%s", scratch, name);
    return b;
}

/* names in dir, other than . and .., joined by spaces */
static int list_dir(const char *dir, char *out, size_t n)
{
    DIR *d = opendir(dir);
    int count = 0;
    out[0] = '\0';
    if (!d) return -1;
    for (struct dirent *e; (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        count++;
        strncat(out, e->d_name, n - strlen(out) - 2);
        strcat(out, " ");
    }
    closedir(d);
    return count;
}

static const char *fresh_dir(const char *name)
{
    const char *d = in_scratch(name);
    assert_int_equal(mkdir(d, 0755), 0);
    return d;
}

/* ---- grids ---------------------------------------------------------------------- */

enum { M = NETC_GRID_MARGIN, G = NETC_GRID_GAP, RG = NETC_GRID_ROWGAP };

static unsigned grey(float v) { unsigned g = (unsigned)lrintf(255 * fminf(fmaxf(v, 0), 1)); return g * 0x010101u; }

static void test_grid_pixels(void **state)
{
    (void)state;
    enum { N = 3, H = 4, W = 5, S = 3 };
    float a[N * H * W], b[N * H * W];
    for (int i = 0; i < N * H * W; i++) {
        a[i] = (float)i / (N * H * W - 1);
        b[i] = 1 - a[i];
    }
    const float *rows[] = { a, b };
    const char *path = in_scratch("grid.png");
    assert_int_equal(netc_png_grid(path, rows, 2, NULL, N, 1, H, W, S, err, sizeof err), 0);
    image im = load(path);
    assert_int_equal(im.w, 2 * M + N * W * S + (N - 1) * G);
    assert_int_equal(im.h, 2 * M + 2 * H * S + RG);
    for (int r = 0; r < 2; r++)
        for (int i = 0; i < N; i++)
            for (int y = 0; y < H * S; y++)
                for (int x = 0; x < W * S; x++) {
                    const float *img = (r ? b : a) + i * H * W;
                    unsigned want = grey(img[(y / S) * W + x / S]);
                    assert_int_equal(px(&im, M + i * (W * S + G) + x, M + r * (H * S + RG) + y), want);
                }
    /* margins and gaps are white */
    for (int y = 0; y < im.h; y++) {
        assert_int_equal(px(&im, M - 1, y), 0xffffff);
        assert_int_equal(px(&im, M + W * S, y), 0xffffff);
        assert_int_equal(px(&im, M + W * S + G - 1, y), 0xffffff);
    }
    for (int x = 0; x < im.w; x++) {
        assert_int_equal(px(&im, x, M - 1), 0xffffff);
        assert_int_equal(px(&im, x, M + H * S), 0xffffff);
        assert_int_equal(px(&im, x, M + H * S + RG - 1), 0xffffff);
    }
    unload(&im);
}

static void test_grid_clamp_nan(void **state)
{
    (void)state;
    float v[4] = { -0.5f, 1.7f, NAN, 0.5f };
    const float *rows[] = { v };
    const char *path = in_scratch("clamp.png");
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 1, 2, 2, 1, err, sizeof err), 0);
    image im = load(path);
    assert_int_equal(px(&im, M, M), 0x000000);
    assert_int_equal(px(&im, M + 1, M), 0xffffff);
    assert_int_equal(px(&im, M, M + 1), 0xff00ff);
    assert_int_equal(px(&im, M + 1, M + 1), 0x808080);
    unload(&im);
}

static void test_grid_rgb_layouts(void **state)
{
    (void)state;
    enum { H = 3, W = 2 };
    float chw[3 * H * W], hwc[3 * H * W];
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++) {
                float v = (c == 0) * 1.0f + (c == 1) * (y / 2.0f) + (c == 2) * (x * 0.25f);
                chw[(c * H + y) * W + x] = v;
                hwc[(y * W + x) * 3 + c] = v;
            }
    netc_grid_row rows[] = { { "chw", chw, 3, H, W, 0, 2 }, { "hwc", hwc, 3, H, W, 1, 2 } };
    const char *path = in_scratch("rgb.png");
    assert_int_equal(netc_png_grid_rows(path, rows, 2, 1, err, sizeof err), 0);
    image im = load(path);
    int left = im.w - M - W * 2;   /* one column: images end at the right margin */
    for (int y = 0; y < H * 2; y++)
        for (int x = 0; x < W * 2; x++) {
            unsigned want = 0xff0000 | (grey(y / 2 / 2.0f) & 0xff00) | (grey(x / 2 * 0.25f) & 0xff);
            assert_int_equal(px(&im, left + x, M + y), want);
            assert_int_equal(px(&im, left + x, M + H * 2 + RG + y), want);
        }
    unload(&im);
}

static void test_grid_row_sizes(void **state)
{
    (void)state;
    static float small[2 * 7 * 7], big[2 * 14 * 14];
    for (int i = 0; i < 98; i++) small[i] = 0.25f;
    for (int i = 0; i < 392; i++) big[i] = 0.75f;
    /* automatic scales: both rows come out 98 pixels (14 enlarged 7 times) */
    netc_grid_row rows[] = { { NULL, small, 1, 7, 7, 0, 0 }, { NULL, big, 1, 14, 14, 0, 0 } };
    const char *path = in_scratch("sizes.png");
    assert_int_equal(netc_png_grid_rows(path, rows, 2, 1, err, sizeof err), 0);
    image im = load(path);
    assert_int_equal(im.w, 2 * M + 98);
    assert_int_equal(im.h, 2 * M + 98 + RG + 98);
    assert_int_equal(px(&im, M, M), grey(0.25f));
    assert_int_equal(px(&im, M + 97, M + 97), grey(0.25f));
    assert_int_equal(px(&im, M + 97, M + 98 + RG), grey(0.75f));
    unload(&im);

    /* the super-resolution layout from plot.h: 16x16 input, three 64x64 RGB rows */
    float *in = calloc(3 * 16 * 16, sizeof *in), *rgb = calloc(3 * 3 * 64 * 64, sizeof *rgb);
    assert_non_null(in);
    assert_non_null(rgb);
    in[16 * 16 + 15] = 1;                           /* image 1, top right pixel */
    for (int i = 0; i < 3 * 3 * 64 * 64; i++) rgb[i] = 0.5f;
    netc_grid_row sr[] = { { "input", in, 1, 16, 16, 0, 0 }, { "bicubic", rgb, 3, 64, 64, 0, 0 },
                           { "netc", rgb, 3, 64, 64, 1, 0 }, { "target", rgb, 3, 64, 64, 0, 0 } };
    assert_int_equal(netc_png_grid_rows(path, sr, 4, 3, err, sizeof err), 0);
    im = load(path);
    int left = im.w - M - 3 * 128 - 2 * G;
    assert_int_equal(im.h, 2 * M + 4 * 128 + 3 * RG);
    assert_int_equal(px(&im, left + 128 + G + 127 - 7, M), 0xffffff);   /* an 8x8 block */
    assert_int_equal(px(&im, left + 128 + G + 127 - 8, M + 7), 0);
    assert_int_equal(px(&im, left + 2 * (128 + G) + 127, M + 3 * (128 + RG) + 127), grey(0.5f));
    unload(&im);
    free(in);
    free(rgb);

    /* explicit scales of different widths: the narrow image is centred in its cell */
    netc_grid_row rows2[] = { { NULL, small, 1, 7, 7, 0, 2 }, { NULL, big, 1, 7, 14, 0, 2 } };
    assert_int_equal(netc_png_grid_rows(path, rows2, 2, 2, err, sizeof err), 0);
    im = load(path);
    assert_int_equal(im.w, 2 * M + 2 * 28 + G);
    assert_int_equal(im.h, 2 * M + 14 + RG + 14);
    for (int i = 0; i < 2; i++) {
        int cell = M + i * (28 + G);
        assert_int_equal(px(&im, cell + 6, M), 0xffffff);
        assert_int_equal(px(&im, cell + 7, M), grey(0.25f));
        assert_int_equal(px(&im, cell + 20, M + 13), grey(0.25f));
        assert_int_equal(px(&im, cell + 21, M + 13), 0xffffff);
        assert_int_equal(px(&im, cell, M + 14 + RG), grey(0.75f));
        assert_int_equal(px(&im, cell + 27, M + 14 + RG), grey(0.75f));
    }
    unload(&im);
}

static void test_grid_labels(void **state)
{
    (void)state;
    static float v[2 * 8 * 8];
    for (int i = 0; i < 128; i++) v[i] = 1;
    const float *rows[] = { v, v };
    const char *labels[] = { "test images", "reconstructions" };
    const char *path = in_scratch("labels.png");
    assert_int_equal(netc_png_grid(path, rows, 2, labels, 2, 1, 8, 8, 4, err, sizeof err), 0);
    image im = load(path);
    int left = im.w - M - 2 * 32 - G;
    assert_true(left > M + 60);            /* room was made for the labels */
    assert_int_equal(im.h, 2 * M + 2 * 32 + RG);
    for (int r = 0; r < 2; r++) {          /* dark text pixels left of each row */
        int dark = 0;
        for (int y = M + r * (32 + RG); y < M + r * (32 + RG) + 32; y++)
            for (int x = 0; x < left; x++) dark += (px(&im, x, y) & 0xff) < 0x80;
        assert_true(dark > 20);
    }
    for (int y = 0; y < im.h; y++)         /* nothing in the margins */
        for (int x = 0; x < M; x++) assert_int_equal(px(&im, x, y), 0xffffff);
    assert_int_equal(px(&im, left, M), 0xffffff & grey(1));
    unload(&im);
}

static void test_grid_errors(void **state)
{
    (void)state;
    float v[16] = { 0 };
    const float *rows[] = { v };
    char names[1024];
    const char *d = fresh_dir("griderr");
    char path[1024];

    snprintf(path, sizeof path, "%s/g.png", d);
    err[0] = 0;
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 2, 4, 4, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "channels"));
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 0, 1, 4, 4, 1, err, sizeof err), -1);
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 1, 0, 4, 1, err, sizeof err), -1);
    assert_int_equal(netc_png_grid(NULL, rows, 1, NULL, 1, 1, 4, 4, 1, err, sizeof err), -1);
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 1, 4, 4, 20000, err, sizeof err), -1);
    assert_non_null(strstr(err, "pixels"));

    /* a directory that does not exist */
    snprintf(path, sizeof path, "%s/missing/g.png", d);
    err[0] = 0;
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 1, 4, 4, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "No such file"));
    /* a "directory" that is a file */
    snprintf(path, sizeof path, "%s/file", d);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("keep", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/file/g.png", d);
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 1, 4, 4, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "Not a directory"));
    /* the target is a directory: the rename fails and the temporary file goes */
    snprintf(path, sizeof path, "%s/sub", d);
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 1, 4, 4, 1, err, sizeof err), -1);
    assert_true(strlen(err) > strlen(path));
    snprintf(path, sizeof path, "%s/", d);
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 1, 4, 4, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "directory"));

    assert_int_equal(list_dir(d, names, sizeof names), 2);   /* "file" and "sub" only */
    assert_non_null(strstr(names, "file "));
    assert_non_null(strstr(names, "sub "));
    /* err may be NULL */
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 7, 4, 4, 1, NULL, 0), -1);
}

static void test_replace_atomically(void **state)
{
    (void)state;
    const char *d = fresh_dir("replace");
    char path[1024], names[1024];
    snprintf(path, sizeof path, "%s/out.png", d);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("old contents", f);
    fclose(f);
    float v[4] = { 0.2f, 0.4f, 0.6f, 0.8f };
    const float *rows[] = { v };
    assert_int_equal(netc_png_grid(path, rows, 1, NULL, 1, 1, 2, 2, 1, err, sizeof err), 0);
    image im = load(path);
    assert_int_equal(px(&im, M + 1, M + 1), grey(0.8f));
    unload(&im);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    assert_int_equal(list_dir(d, names, sizeof names), 1);
    /* a relative path in the current directory */
    char cwd[1024];
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(d), 0);
    assert_int_equal(netc_png_grid("rel.png", rows, 1, NULL, 1, 1, 2, 2, 1, err, sizeof err), 0);
    assert_int_equal(chdir(cwd), 0);
    assert_int_equal(list_dir(d, names, sizeof names), 2);
}

/* ---- curves --------------------------------------------------------------------- */

typedef struct { int x0, y0, x1, y1; } area;   /* plot area: [x0,x1) x [y0,y1) */

/* the frame is the only long run of 0x444444 pixels; it is drawn on the area's edge */
static area find_frame(const image *im)
{
    area a = { -1, -1, -1, -1 };
    for (int y = 0; y < im->h; y++) {
        int n = 0;
        for (int x = 0; x < im->w; x++) n += px(im, x, y) == 0x444444;
        if (n > im->w / 2) { if (a.y0 < 0) a.y0 = y; a.y1 = y + 1; }
    }
    for (int x = 0; x < im->w; x++) {
        int n = 0;
        for (int y = 0; y < im->h; y++) n += px(im, x, y) == 0x444444;
        if (n > im->h / 2) { if (a.x0 < 0) a.x0 = x; a.x1 = x + 1; }
    }
    assert_true(a.x0 > 20 && a.y0 > 5 && a.x1 - a.x0 > im->w / 2 && a.y1 - a.y0 > im->h / 2);
    return a;
}

static int bluish(unsigned c) { return (int)(c & 0xff) - (int)(c >> 16) > 60; }

/* along the area's rising diagonal: is there a bluish pixel within 2 px of fraction t? */
static int blue_near(const image *im, area a, double t)
{
    int cx = (int)(a.x0 + t * (a.x1 - a.x0)), cy = (int)(a.y1 - t * (a.y1 - a.y0));
    for (int dy = -2; dy <= 2; dy++)
        for (int dx = -2; dx <= 2; dx++)
            if (bluish(px(im, cx + dx, cy + dy))) return 1;
    return 0;
}

/* bluish pixels inside the area farther than `far` px from the rising diagonal */
static int blue_off_diagonal(const image *im, area a, double far)
{
    double dx = a.x1 - a.x0, dy = -(double)(a.y1 - a.y0), len = hypot(dx, dy);
    int n = 0;
    for (int y = a.y0 + 2; y < a.y1 - 2; y++)
        for (int x = a.x0 + 2; x < a.x1 - 2; x++) {
            double d = fabs((x + 0.5 - a.x0) * dy - (y + 0.5 - a.y1) * dx) / len;
            n += d > far && bluish(px(im, x, y));
        }
    return n;
}

static void test_curve_line(void **state)
{
    (void)state;
    enum { N = 200 };
    float y[N];
    for (int i = 0; i < N; i++) y[i] = 3.0f * i - 100;   /* straight: the diagonal */
    netc_series s = { .y = y, .n = N, .rgb = 0x1f77b4 };
    const char *path = in_scratch("line.png");
    assert_int_equal(netc_plot_curves(path, &s, 1, "title", "step", "loss", 0, err, sizeof err), 0);
    image im = load(path);
    assert_int_equal(im.w, 960);
    assert_int_equal(im.h, 600);
    area a = find_frame(&im);
    for (double t = 0.04; t <= 0.96; t += 0.01) assert_true(blue_near(&im, a, t));
    assert_int_equal(blue_off_diagonal(&im, a, 6), 0);
    /* text above the area (title) and left of it (ticks, label); white corners */
    int dark_top = 0, dark_left = 0;
    for (int yy = 0; yy < a.y0; yy++)
        for (int x = 0; x < im.w; x++) dark_top += px(&im, x, yy) < 0x404040;
    for (int yy = a.y0; yy < a.y1; yy++)
        for (int x = 0; x < a.x0 - 6; x++) dark_left += (px(&im, x, yy) & 0xff) < 0x60;
    assert_true(dark_top > 50);
    assert_true(dark_left > 100);
    assert_int_equal(px(&im, 0, 0), 0xffffff);
    assert_int_equal(px(&im, im.w - 1, im.h - 1), 0xffffff);
    unload(&im);

    /* with a name there is a legend, and it does not cover the line */
    s.name = "training loss";
    assert_int_equal(netc_plot_curves(path, &s, 1, NULL, NULL, NULL, 0, err, sizeof err), 0);
    im = load(path);
    a = find_frame(&im);
    for (double t = 0.04; t <= 0.96; t += 0.01) assert_true(blue_near(&im, a, t));
    assert_true(blue_off_diagonal(&im, a, 6) > 20);  /* the legend's sample line */
    unload(&im);
}

static void test_curve_log(void **state)
{
    (void)state;
    enum { N = 200 };
    float y[N];
    for (int i = 0; i < N; i++) y[i] = powf(10, i / 50.0f - 3);   /* 1e-3 .. 1e1 */
    y[10] = -1;       /* not drawable on a log axis: a gap */
    netc_series s = { .y = y, .n = N, .rgb = 0x1f77b4 };
    const char *path = in_scratch("log.png");
    assert_int_equal(netc_plot_curves(path, &s, 1, NULL, NULL, NULL, 1, err, sizeof err), 0);
    image im = load(path);
    area a = find_frame(&im);
    for (double t = 0.1; t <= 0.96; t += 0.01) assert_true(blue_near(&im, a, t));
    assert_int_equal(blue_off_diagonal(&im, a, 6), 0);
    unload(&im);
    /* the same data on a linear axis is not a straight line */
    assert_int_equal(netc_plot_curves(path, &s, 1, NULL, NULL, NULL, 0, err, sizeof err), 0);
    im = load(path);
    a = find_frame(&im);
    assert_true(blue_off_diagonal(&im, a, 6) > 100);
    unload(&im);
}

static void test_curve_nan_gap(void **state)
{
    (void)state;
    enum { N = 200 };
    float y[N];
    for (int i = 0; i < N; i++) y[i] = (float)i;
    for (int i = 80; i < 120; i++) y[i] = i % 2 ? NAN : INFINITY;
    y[150] = -INFINITY;
    netc_series s = { .y = y, .n = N, .rgb = 0x1f77b4 };
    const char *path = in_scratch("nan.png");
    assert_int_equal(netc_plot_curves(path, &s, 1, NULL, NULL, NULL, 0, err, sizeof err), 0);
    image im = load(path);
    area a = find_frame(&im);
    /* the limits still come from the finite points: the line is the diagonal */
    for (double t = 0.04; t <= 0.37; t += 0.01) assert_true(blue_near(&im, a, t));
    for (double t = 0.63; t <= 0.70; t += 0.01) assert_true(blue_near(&im, a, t));
    for (double t = 0.78; t <= 0.96; t += 0.01) assert_true(blue_near(&im, a, t));
    for (double t = 0.43; t <= 0.57; t += 0.01) assert_false(blue_near(&im, a, t));
    assert_int_equal(blue_off_diagonal(&im, a, 6), 0);
    unload(&im);
}

static void test_curve_degenerate(void **state)
{
    (void)state;
    const char *path = in_scratch("one.png");
    float one = 0.5f;
    netc_series s = { .name = "one point", .y = &one, .n = 1, .rgb = 0x1f77b4 };
    assert_int_equal(netc_plot_curves(path, &s, 1, "single", "x", "y", 0, err, sizeof err), 0);
    image im = load(path);
    area a = find_frame(&im);
    assert_true(bluish(px(&im, (a.x0 + a.x1) / 2, (a.y0 + a.y1) / 2)));   /* a dot, centred */
    unload(&im);

    /* a constant series is a horizontal line through the middle */
    static float c[1000];
    for (int i = 0; i < 1000; i++) c[i] = 7;
    s = (netc_series){ .y = c, .n = 1000, .rgb = 0x1f77b4 };
    path = in_scratch("const.png");
    assert_int_equal(netc_plot_curves(path, &s, 1, NULL, NULL, NULL, 0, err, sizeof err), 0);
    im = load(path);
    a = find_frame(&im);
    int mid = (a.y0 + a.y1) / 2, off = 0;
    for (int x = a.x0 + 30; x < a.x1 - 30; x++)
        assert_true(bluish(px(&im, x, mid)) || bluish(px(&im, x, mid - 1)));
    for (int y = a.y0 + 2; y < a.y1 - 2; y++)
        for (int x = a.x0 + 2; x < a.x1 - 2; x++) off += abs(y - mid) > 4 && bluish(px(&im, x, y));
    assert_int_equal(off, 0);
    unload(&im);

    /* nothing finite at all, no series, and empty series: empty axes, still a PNG */
    float bad[3] = { NAN, INFINITY, NAN };
    netc_series e[2] = { { .name = "nan", .y = bad, .n = 3 }, { .name = "empty", .y = NULL, .n = 0 } };
    path = in_scratch("empty.png");
    assert_int_equal(netc_plot_curves(path, e, 2, "nothing", "x", "y", 0, err, sizeof err), 0);
    assert_int_equal(netc_plot_curves(path, e, 2, "nothing", "x", "y", 1, err, sizeof err), 0);
    assert_int_equal(netc_plot_curves(path, NULL, 0, NULL, NULL, NULL, 0, err, sizeof err), 0);
    im = load(path);
    assert_int_equal(im.w, 960);
    unload(&im);
}

static void test_curve_many_points(void **state)
{
    (void)state;
    enum { N = 300000 };
    float *y = malloc(N * sizeof *y), *sm = malloc(N * sizeof *sm);
    assert_non_null(y);
    assert_non_null(sm);
    unsigned seed = 7;
    for (int i = 0; i < N; i++) {
        seed = seed * 1664525u + 1013904223u;
        y[i] = 1.0f / (1 + i / 20000.0f) + 0.05f * ((seed >> 9) / 8388608.0f - 0.5f);
    }
    netc_ema(y, sm, N, 0.99f);
    netc_series s[2] = { { .name = "raw", .y = y, .n = N, .alpha = 0.3f, .width = 1 },
                         { .name = "smoothed", .y = sm, .n = N } };
    const char *path = in_scratch("many.png");
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(netc_plot_curves(path, s, 2, "many", "step", "loss", 1, err, sizeof err), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
    print_message("      300000-point plot in %.2f s\n", secs);
    assert_true(secs < 10);
    image im = load(path);
    assert_int_equal(im.h, 600);
    unload(&im);
    free(y);
    free(sm);
}

static void test_curve_xy_and_errors(void **state)
{
    (void)state;
    /* explicit x and evenly spaced x0/dx agree: both make the same picture */
    float x[5] = { 10, 20, 30, 40, 50 }, y[5] = { 5, 4, 3, 2, 1 };
    netc_series a = { .name = "test", .x = x, .y = y, .n = 5 };
    netc_series b = { .name = "test", .y = y, .n = 5, .x0 = 10, .dx = 10 };
    assert_int_equal(netc_plot_curves(in_scratch("xy_a.png"), &a, 1, "t", "x", "y", 0, err, sizeof err), 0);
    assert_int_equal(netc_plot_curves(in_scratch("xy_b.png"), &b, 1, "t", "x", "y", 0, err, sizeof err), 0);
    image ia = load(in_scratch("xy_a.png")), ib = load(in_scratch("xy_b.png"));
    assert_int_equal(ia.stride, ib.stride);
    assert_memory_equal(ia.data, ib.data, (size_t)ia.stride * ia.h);
    unload(&ia);
    unload(&ib);

    const char *d = fresh_dir("ploterr");
    char path[1024], names[256];
    snprintf(path, sizeof path, "%s/nope/plot.png", d);
    err[0] = 0;
    assert_int_equal(netc_plot_curves(path, &a, 1, NULL, NULL, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, path));
    snprintf(path, sizeof path, "%s/plot.png", d);
    netc_series bad = { .y = NULL, .n = 3 };
    assert_int_equal(netc_plot_curves(path, &bad, 1, NULL, NULL, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "series 0"));
    assert_int_equal(netc_plot_curves(path, NULL, 2, NULL, NULL, NULL, 0, err, sizeof err), -1);
    assert_int_equal(list_dir(d, names, sizeof names), 0);
}

static void test_ema(void **state)
{
    (void)state;
    float in[6] = { 2, 2, NAN, 2, 2, 2 }, out[6];
    netc_ema(in, out, 6, 0.9f);
    for (int i = 0; i < 6; i++)
        if (i == 2) assert_true(isnan(out[i]));
        else assert_float_equal(out[i], 2, 1e-5);
    float step[3] = { 0, 10, 10 };
    netc_ema(step, step, 3, 0.5f);                     /* in place */
    assert_float_equal(step[0], 0, 1e-6);
    assert_float_equal(step[1], 5 / 0.75, 1e-4);       /* m = 5, corrected by 1 - 0.5^2 */
    assert_float_equal(step[2], 7.5 / 0.875, 1e-4);    /* m = 7.5, by 1 - 0.5^3 */
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_plot SCRATCH_DIR\n");
        return 2;
    }
    scratch = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_grid_pixels, teardown),
        cmocka_unit_test_teardown(test_grid_clamp_nan, teardown),
        cmocka_unit_test_teardown(test_grid_rgb_layouts, teardown),
        cmocka_unit_test_teardown(test_grid_row_sizes, teardown),
        cmocka_unit_test_teardown(test_grid_labels, teardown),
        cmocka_unit_test_teardown(test_grid_errors, teardown),
        cmocka_unit_test_teardown(test_replace_atomically, teardown),
        cmocka_unit_test_teardown(test_curve_line, teardown),
        cmocka_unit_test_teardown(test_curve_log, teardown),
        cmocka_unit_test_teardown(test_curve_nan_gap, teardown),
        cmocka_unit_test_teardown(test_curve_degenerate, teardown),
        cmocka_unit_test_teardown(test_curve_many_points, teardown),
        cmocka_unit_test_teardown(test_curve_xy_and_errors, teardown),
        cmocka_unit_test_teardown(test_ema, teardown),
    };
    int failed = cmocka_run_group_tests_name("plot", tests, NULL, NULL);
    netc_plot_cleanup();
    return failed ? 1 : 0;
}
