/* plot.c — PNG image grids and training-curve plots for netc programs, drawn with
 * cairo's image surfaces and toy text API and written with cairo's PNG writer.
 *
 * Grid pixels are stored straight into the surface (exact grey levels, nearest-
 * neighbour enlargement); everything else is ordinary cairo drawing.  Output goes to
 * a temporary file beside the target and is renamed over it only when complete. */
#include "plot.h"

#include <cairo.h>
#include <errno.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FONT "DejaVu Sans"
#define MAXDIM 32767          /* cairo's largest image surface side */

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* ---- atomic PNG output ------------------------------------------------------ */

static cairo_status_t put_bytes(void *f, const unsigned char *data, unsigned int n)
{
    return fwrite(data, 1, n, f) == n ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static int write_png(cairo_surface_t *s, const char *path, char *err, size_t errlen)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0;
    if (path[dirlen] == '\0')
        return fail(err, errlen, "%s: names a directory, not a PNG file", path);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return fail(err, errlen, "%s: cairo: %s", path,
                    cairo_status_to_string(cairo_surface_status(s)));
    char *tmp = malloc(strlen(path) + 16);
    if (!tmp) return fail(err, errlen, "%s: out of memory", path);
    sprintf(tmp, "%.*s.%s.XXXXXX", (int)dirlen, path, path + dirlen);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        return fail(err, errlen, "cannot write %s: cannot create a file in %.*s: %s", path,
                    dirlen > 1 ? (int)dirlen - 1 : 1, dirlen ? path : ".", strerror(e));
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) { close(fd); unlink(tmp); free(tmp); return fail(err, errlen, "%s: fdopen failed", path); }
    cairo_status_t st = cairo_surface_write_to_png_stream(s, put_bytes, f);
    int e = 0;
    if (st == CAIRO_STATUS_SUCCESS && (fflush(f) || fchmod(fd, 0644) || fsync(fd))) e = errno;
    if (fclose(f) && !e && st == CAIRO_STATUS_SUCCESS) e = errno;
    if (st != CAIRO_STATUS_SUCCESS || e) {
        unlink(tmp);
        free(tmp);
        if (st != CAIRO_STATUS_SUCCESS && st != CAIRO_STATUS_WRITE_ERROR)
            return fail(err, errlen, "cannot write %s: cairo: %s", path, cairo_status_to_string(st));
        return fail(err, errlen, "cannot write %s: %s", path, strerror(e ? e : EIO));
    }
    if (rename(tmp, path)) {
        e = errno;
        unlink(tmp);
        free(tmp);
        return fail(err, errlen, "cannot write %s: %s", path, strerror(e));
    }
    free(tmp);
    return 0;
}

static void set_font(cairo_t *cr, double size, int bold)
{
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
}

static double text_w(cairo_t *cr, const char *s)
{
    cairo_text_extents_t te;
    cairo_text_extents(cr, s, &te);
    return te.x_advance;
}

static void rgb(cairo_t *cr, unsigned c)
{
    cairo_set_source_rgb(cr, (c >> 16 & 255) / 255.0, (c >> 8 & 255) / 255.0, (c & 255) / 255.0);
}

/* Text with its left edge at x (align 0), centre (0.5) or right edge (1), and its
 * body vertically centred on y. */
static void text_at(cairo_t *cr, const char *s, double x, double y, double align)
{
    cairo_font_extents_t fe;
    cairo_font_extents(cr, &fe);
    cairo_move_to(cr, x - align * text_w(cr, s), y + (fe.ascent - fe.descent) / 2);
    cairo_show_text(cr, s);
}

/* ---- image grids ------------------------------------------------------------ */

static uint32_t pixel(const netc_grid_row *r, const float *img, int y, int x)
{
    if (r->channels == 1) {
        float v = img[(size_t)y * r->w + x];
        if (isnan(v)) return 0xff00ff;
        unsigned g = (unsigned)lrintf(255.0f * fminf(fmaxf(v, 0.0f), 1.0f));
        return g << 16 | g << 8 | g;
    }
    uint32_t out = 0;
    for (int c = 0; c < 3; c++) {
        size_t i = r->layout ? ((size_t)y * r->w + x) * 3 + c
                             : ((size_t)c * r->h + y) * r->w + x;
        float v = img[i];
        if (isnan(v)) return 0xff00ff;
        out = out << 8 | (unsigned)lrintf(255.0f * fminf(fmaxf(v, 0.0f), 1.0f));
    }
    return out;
}

int netc_png_grid_rows(const char *path, const netc_grid_row *rows, int nrows, int count,
                       char *err, size_t errlen)
{
    enum { MARGIN = NETC_GRID_MARGIN, GAP = NETC_GRID_GAP, ROWGAP = NETC_GRID_ROWGAP, LABELPAD = 16 };
    if (!path || !*path) return fail(err, errlen, "png grid: no output path");
    if (!rows || nrows < 1 || count < 1)
        return fail(err, errlen, "%s: grid needs at least one row and one image per row", path);
    long target = 0, biggest = 0;
    for (int r = 0; r < nrows; r++) {
        const netc_grid_row *g = &rows[r];
        if (!g->pixels) return fail(err, errlen, "%s: grid row %d has no pixels", path, r);
        if (g->channels != 1 && g->channels != 3)
            return fail(err, errlen, "%s: grid row %d has %d channels (need 1 or 3)", path, r, g->channels);
        if (g->h < 1 || g->w < 1 || g->h > MAXDIM || g->w > MAXDIM)
            return fail(err, errlen, "%s: grid row %d has bad image size %dx%d", path, r, g->h, g->w);
        if (g->layout != 0 && g->layout != 1)
            return fail(err, errlen, "%s: grid row %d has layout %d (0 = CHW, 1 = HWC)", path, r, g->layout);
        long d = g->h > g->w ? g->h : g->w;
        if (g->scale > 0 && d * g->scale > target) target = d * g->scale;
        if (d > biggest) biggest = d;
    }
    if (target == 0) target = biggest < 96 ? biggest * ((96 + biggest - 1) / biggest) : biggest;

    int *scale = calloc((size_t)nrows, sizeof *scale);
    if (!scale) return fail(err, errlen, "%s: out of memory", path);
    long cellw = 0, height = 2 * MARGIN + (long)(nrows - 1) * ROWGAP;
    for (int r = 0; r < nrows; r++) {
        long d = rows[r].h > rows[r].w ? rows[r].h : rows[r].w;
        long s = rows[r].scale > 0 ? rows[r].scale : (target / d > 1 ? target / d : 1);
        if (s > MAXDIM) s = MAXDIM;
        scale[r] = (int)s;
        if (rows[r].w * s > cellw) cellw = rows[r].w * s;
        height += rows[r].h * s;
    }

    /* measure the labels on a scratch surface */
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    cairo_t *cr = cairo_create(s);
    set_font(cr, 15, 0);
    double labelw = 0;
    for (int r = 0; r < nrows; r++)
        if (rows[r].label && *rows[r].label && text_w(cr, rows[r].label) > labelw)
            labelw = text_w(cr, rows[r].label);
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    long left = MARGIN + (labelw > 0 ? (long)ceil(labelw) + LABELPAD : 0);
    long width = left + count * cellw + (long)(count - 1) * GAP + MARGIN;
    if (width > MAXDIM || height > MAXDIM) {
        free(scale);
        return fail(err, errlen, "%s: grid would be %ldx%ld pixels, more than cairo's %d",
                    path, width, height, MAXDIM);
    }

    s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, (int)width, (int)height);
    cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    int stride = cairo_image_surface_get_stride(s);
    if (!data) {
        cairo_destroy(cr);
        cairo_surface_destroy(s);
        free(scale);
        return fail(err, errlen, "%s: cannot allocate a %ldx%ld image", path, width, height);
    }
    long top = MARGIN;
    for (int r = 0; r < nrows; r++) {
        const netc_grid_row *g = &rows[r];
        int sc = scale[r];
        long iw = (long)g->w * sc, ih = (long)g->h * sc;
        size_t size = (size_t)g->channels * g->h * g->w;
        for (int i = 0; i < count; i++) {
            const float *img = g->pixels + size * i;
            long x0 = left + i * (cellw + GAP) + (cellw - iw) / 2;
            for (long y = 0; y < ih; y++) {
                uint32_t *line = (uint32_t *)(data + (size_t)(top + y) * stride) + x0;
                for (long x = 0; x < iw; x++)
                    line[x] = pixel(g, img, (int)(y / sc), (int)(x / sc));
            }
        }
        top += ih + ROWGAP;
    }
    cairo_surface_mark_dirty(s);

    set_font(cr, 15, 0);
    rgb(cr, 0x222222);
    top = MARGIN;
    for (int r = 0; r < nrows; r++) {
        long ih = (long)rows[r].h * scale[r];
        if (rows[r].label && *rows[r].label) text_at(cr, rows[r].label, left - 12, top + ih / 2.0, 1);
        top += ih + ROWGAP;
    }
    free(scale);
    cairo_destroy(cr);
    int rc = write_png(s, path, err, errlen);
    cairo_surface_destroy(s);
    return rc;
}

int netc_png_grid(const char *path, const float *const *rows, int nrows,
                  const char *const *row_labels, int count, int channels, int h, int w,
                  int scale, char *err, size_t errlen)
{
    if (!rows || nrows < 1 || nrows > 4096)
        return fail(err, errlen, "%s: grid needs between 1 and 4096 rows", path ? path : "png grid");
    netc_grid_row *r = calloc((size_t)nrows, sizeof *r);
    if (!r) return fail(err, errlen, "png grid: out of memory");
    for (int i = 0; i < nrows; i++)
        r[i] = (netc_grid_row){ row_labels ? row_labels[i] : NULL, rows[i], channels, h, w, 0, scale };
    int rc = netc_png_grid_rows(path, r, nrows, count, err, errlen);
    free(r);
    return rc;
}

/* ---- line plots --------------------------------------------------------------- */

enum { PW = 960, PH = 600, MAXTICKS = 64 };

typedef struct {
    double lo, hi;            /* axis limits, in log10 units on a log axis */
    int log;
    int n;
    double at[MAXTICKS];      /* tick positions, same units as lo/hi */
    char label[MAXTICKS][32];
    int nminor;
    double minor[MAXTICKS];
} axis;

static double nice_step(double raw)
{
    double e = floor(log10(raw)), f = raw / pow(10, e);
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * pow(10, e);
}

/* appends "10" with exponent e in superscript digits */
static void put_pow10(char *out, size_t size, int e)
{
    static const char *sup[] = { "⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹" };
    char digits[12];
    size_t n = strlen(out);
    n += snprintf(out + n, size - n, "10%s", e < 0 ? "⁻" : "");
    snprintf(digits, sizeof digits, "%d", abs(e));
    for (char *d = digits; *d && n < size; d++) n += snprintf(out + n, size - n, "%s", sup[*d - '0']);
}

/* a typographic minus sign in place of a leading '-' */
static void minus_sign(char *out, size_t size)
{
    size_t n = strlen(out);
    if (out[0] != '-' || n + 2 >= size) return;
    memmove(out + 3, out + 1, n);
    memcpy(out, "\xe2\x88\x92", 3);
}

/* tick label v on an axis with tick spacing step and largest magnitude maxabs */
static void fmt_linear(char *out, size_t size, double v, double step, double maxabs)
{
    int e = (int)floor(log10(step) + 1e-9);
    if (fabs(v) < step * 1e-6) v = 0;
    if (v != 0 && (maxabs >= 1e7 || e < -5)) {   /* 2.5×10⁷ */
        int E = (int)floor(log10(maxabs) + 1e-9), d = E - e;
        snprintf(out, size, "%.*f×", d < 0 ? 0 : d > 9 ? 9 : d, v / pow(10, E));
        put_pow10(out, size, E);
    } else {
        snprintf(out, size, "%.*f", e < 0 ? -e : 0, v);
    }
    minus_sign(out, size);
}

static void linear_ticks(axis *a, double lo, double hi, int target, int logmap)
{
    double step = nice_step((hi - lo) / target);
    double k0 = ceil(lo / step - 1e-9), k1 = floor(hi / step + 1e-9);
    double maxabs = fmax(fabs(lo), fabs(hi));
    a->n = 0;
    for (double k = k0; k <= k1 && a->n < MAXTICKS; k++) {
        double v = k * step;
        if (logmap && v <= 0) continue;
        a->at[a->n] = logmap ? log10(v) : v;
        fmt_linear(a->label[a->n], sizeof a->label[0], v, step, maxabs);
        a->n++;
    }
}

/* m×10^e on a log axis: plain decimals for modest exponents, else "10⁻⁵", "2×10⁶" */
static void fmt_pow(char *out, size_t size, int m, int e)
{
    if (e >= -3 && e <= 4) {
        snprintf(out, size, "%.*f", e < 0 ? -e : 0, m * pow(10, e));
        return;
    }
    out[0] = '\0';
    if (m != 1) snprintf(out, size, "%d×", m);
    put_pow10(out, size, e);
}

static void log_ticks(axis *a)
{
    double lo = a->lo, hi = a->hi;
    int e0 = (int)ceil(lo - 1e-9), e1 = (int)floor(hi + 1e-9);
    int every = (int)ceil((hi - lo) / 8);
    a->n = a->nminor = 0;
    if (every < 1) every = 1;
    for (int e = e0; e <= e1 && a->n < MAXTICKS; e++)
        if (e % every == 0) {
            a->at[a->n] = e;
            fmt_pow(a->label[a->n++], sizeof a->label[0], 1, e);
        }
    if (a->n < 3) {          /* under two decades: label 1, 2 and 5 of each */
        a->n = 0;
        for (int e = (int)floor(lo); e <= (int)ceil(hi); e++)
            for (int m = 1; m <= 5; m += m == 1 ? 1 : 3) {
                double v = log10(m) + e;
                if (v >= lo - 1e-9 && v <= hi + 1e-9 && a->n < MAXTICKS) {
                    a->at[a->n] = v;
                    fmt_pow(a->label[a->n++], sizeof a->label[0], m, e);
                }
            }
    }
    if (a->n < 3) {          /* narrower still: ordinary ticks on the log axis */
        linear_ticks(a, pow(10, lo), pow(10, hi), 5, 1);
        return;
    }
    if (every == 1 && hi - lo <= 8)
        for (int e = (int)floor(lo); e <= (int)ceil(hi); e++)
            for (int m = 2; m <= 9; m++) {
                double v = log10(m) + e;
                if (v > lo && v < hi && a->nminor < MAXTICKS) a->minor[a->nminor++] = v;
            }
}

/* Limits from the data range [lo, hi]: widen a degenerate range, pad 3% each side. */
static void set_limits(axis *a, double lo, double hi, int any)
{
    if (!any) { lo = 0; hi = 1; }
    if (hi - lo <= 1e-9 * fmax(fabs(lo), fabs(hi))) {
        double d = a->log ? 0.5 : lo != 0 ? fabs(lo) * 0.1 : 1;
        lo -= d;
        hi += d;
    }
    double pad = 0.03 * (hi - lo);
    a->lo = lo - pad;
    a->hi = hi + pad;
}

typedef struct { double x0, y0, x1, y1; } rect;

/* point i of series s in data units (y in log10 units on a log axis); 0 if skipped */
static int point(const netc_series *s, int i, int log_y, double *x, double *y)
{
    *x = s->x ? s->x[i] : s->x0 + (double)i * (s->dx != 0 ? s->dx : 1);
    *y = s->y[i];
    if (!isfinite(*x) || !isfinite(*y) || (log_y && *y <= 0)) return 0;
    if (log_y) *y = log10(*y);
    return 1;
}

typedef struct { rect r; double xlo, xhi, ylo, yhi; } frame;

static double fx(const frame *f, double x) { return f->r.x0 + (x - f->xlo) / (f->xhi - f->xlo) * (f->r.x1 - f->r.x0); }
static double fy(const frame *f, double y) { return f->r.y1 - (y - f->ylo) / (f->yhi - f->ylo) * (f->r.y1 - f->r.y0); }

static const unsigned palette[] = { 0x1f77b4, 0xd62728, 0x2ca02c, 0xff7f0e,
                                    0x9467bd, 0x8c564b, 0xe377c2, 0x17becf };

/* draws one series; returns whether it has a dot at every point */
static int draw_series(cairo_t *cr, const frame *f, const netc_series *s, unsigned colour, int log_y)
{
    double lw = s->width > 0 ? s->width : 2, alpha = s->alpha > 0 ? fmin(s->alpha, 1) : 1;
    double x, y, px = 0, py = 0;
    int valid = 0, seg = 0;
    cairo_set_source_rgba(cr, (colour >> 16 & 255) / 255.0, (colour >> 8 & 255) / 255.0,
                          (colour & 255) / 255.0, alpha);
    cairo_set_line_width(cr, lw);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_new_path(cr);
    /* lines; an isolated point becomes a dot; thousands of points in one pixel column
     * reduce to the column's first, extreme and last values (bottom/top on screen) */
    double col = NAN, cfirst = 0, cbot = 0, ctop = 0, clast = 0;
    int cn = 0;
    for (int i = 0; i <= s->n; i++) {
        int ok = i < s->n && point(s, i, log_y, &x, &y);
        double X = ok ? fx(f, x) : 0, Y = ok ? fy(f, y) : 0;
        valid += ok;
        if (ok && cn > 0 && floor(X) == col) {
            cbot = fmax(cbot, Y); ctop = fmin(ctop, Y); clast = Y; cn++;
            continue;
        }
        if (cn > 0) {        /* flush the pending column */
            if (cn > 2) {
                int up = cfirst > clast;   /* pixel y grows downwards */
                cairo_line_to(cr, px, up ? cbot : ctop);
                cairo_line_to(cr, px, up ? ctop : cbot);
            }
            if (cn > 1) cairo_line_to(cr, px, clast);
            cn = 0;
        }
        if (!ok) {
            if (seg == 1) {
                cairo_new_sub_path(cr);
                cairo_arc(cr, px, py, lw * 0.6, 0, 2 * M_PI);
            }
            seg = 0;
            continue;
        }
        if (seg++ == 0) cairo_move_to(cr, X, Y);
        else cairo_line_to(cr, X, Y);
        px = X; py = Y; col = floor(X);
        cfirst = cbot = ctop = clast = Y; cn = 1;
    }
    cairo_stroke(cr);
    if (valid > 60) return 0;
    for (int i = 0; i < s->n; i++)
        if (point(s, i, log_y, &x, &y)) {
            cairo_new_sub_path(cr);
            cairo_arc(cr, fx(f, x), fy(f, y), lw + 1.5, 0, 2 * M_PI);
        }
    cairo_fill(cr);
    return valid > 0;
}

/* how much of the drawn data falls inside r: points, and every 8 pixels along the
 * lines between them (to place the legend where the data is not) */
static long crowding(const frame *f, const netc_series *series, int nseries, int log_y, rect r)
{
    long hits = 0;
    double x, y;
    for (int k = 0; k < nseries; k++) {
        double PX = 0, PY = 0;
        int prev = 0;
        for (int i = 0; i < series[k].n; i++) {
            if (!point(&series[k], i, log_y, &x, &y)) { prev = 0; continue; }
            double X = fx(f, x), Y = fy(f, y);
            int steps = prev ? (int)fmin(hypot(X - PX, Y - PY) / 8, 1000) : 0;
            for (int j = 0; j <= steps; j++) {
                double t = steps ? (double)j / steps : 1, U = PX + t * (X - PX), V = PY + t * (Y - PY);
                hits += U >= r.x0 - 6 && U <= r.x1 + 6 && V >= r.y0 - 6 && V <= r.y1 + 6;
            }
            PX = X; PY = Y; prev = 1;
        }
    }
    return hits;
}

static void draw_legend(cairo_t *cr, const frame *f, const netc_series *series, int nseries,
                        const unsigned *colour, const char *markers, int log_y)
{
    double maxw = 0;
    int k = 0;
    set_font(cr, 14, 0);
    for (int i = 0; i < nseries; i++)
        if (series[i].name && *series[i].name) {
            k++;
            maxw = fmax(maxw, text_w(cr, series[i].name));
        }
    if (!k) return;
    double w = 12 + 28 + 8 + maxw + 12, h = 8 + 22.0 * k;
    double in = 10;
    rect c[4] = {
        { f->r.x1 - in - w, f->r.y0 + in, f->r.x1 - in, f->r.y0 + in + h },
        { f->r.x0 + in, f->r.y0 + in, f->r.x0 + in + w, f->r.y0 + in + h },
        { f->r.x1 - in - w, f->r.y1 - in - h, f->r.x1 - in, f->r.y1 - in },
        { f->r.x0 + in, f->r.y1 - in - h, f->r.x0 + in + w, f->r.y1 - in },
    };
    int best = 0;
    long least = -1;
    for (int i = 0; i < 4; i++) {
        long n = crowding(f, series, nseries, log_y, c[i]);
        if (least < 0 || n < least) { least = n; best = i; }
    }
    rect r = c[best];
    r.x0 = floor(r.x0) + 0.5; r.y0 = floor(r.y0) + 0.5;
    r.x1 = floor(r.x1) + 0.5; r.y1 = floor(r.y1) + 0.5;
    cairo_rectangle(cr, r.x0, r.y0, r.x1 - r.x0, r.y1 - r.y0);
    cairo_set_source_rgba(cr, 1, 1, 1, 0.88);
    cairo_fill_preserve(cr);
    rgb(cr, 0xcccccc);
    cairo_set_line_width(cr, 1);
    cairo_stroke(cr);
    double y = r.y0 + 4 + 11;
    for (int i = 0; i < nseries; i++) {
        const netc_series *s = &series[i];
        if (!s->name || !*s->name) continue;
        double alpha = s->alpha > 0 ? fmin(s->alpha, 1) : 1;
        unsigned c0 = colour[i];
        cairo_set_source_rgba(cr, (c0 >> 16 & 255) / 255.0, (c0 >> 8 & 255) / 255.0,
                              (c0 & 255) / 255.0, fmax(alpha, 0.5));
        cairo_set_line_width(cr, fmax(s->width > 0 ? s->width : 2, 2.5));
        cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
        cairo_move_to(cr, r.x0 + 12, y);
        cairo_line_to(cr, r.x0 + 40, y);
        cairo_stroke(cr);
        if (markers[i]) {
            cairo_arc(cr, r.x0 + 26, y, (s->width > 0 ? s->width : 2) + 1.5, 0, 2 * M_PI);
            cairo_fill(cr);
        }
        rgb(cr, 0x222222);
        text_at(cr, s->name, r.x0 + 48, y, 0);
        y += 22;
    }
}

int netc_plot_curves(const char *path, const netc_series *series, int nseries,
                     const char *title, const char *xlabel, const char *ylabel,
                     int log_y, char *err, size_t errlen)
{
    if (!path || !*path) return fail(err, errlen, "plot: no output path");
    if (nseries < 0 || (nseries > 0 && !series))
        return fail(err, errlen, "%s: bad series list", path);
    for (int i = 0; i < nseries; i++)
        if (series[i].n < 0 || (series[i].n > 0 && !series[i].y))
            return fail(err, errlen, "%s: series %d has no values", path, i);
    unsigned *colour = calloc((size_t)nseries + 1, sizeof *colour);
    char *markers = calloc((size_t)nseries + 1, 1);
    if (!colour || !markers) {
        free(colour);
        free(markers);
        return fail(err, errlen, "%s: out of memory", path);
    }
    for (int i = 0, next = 0; i < nseries; i++)
        colour[i] = series[i].rgb ? series[i].rgb & 0xffffff
                                  : palette[next++ % (sizeof palette / sizeof *palette)];

    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY, x, y;
    int any = 0;
    for (int k = 0; k < nseries; k++)
        for (int i = 0; i < series[k].n; i++)
            if (point(&series[k], i, log_y, &x, &y)) {
                any = 1;
                xmin = fmin(xmin, x); xmax = fmax(xmax, x);
                ymin = fmin(ymin, y); ymax = fmax(ymax, y);
            }
    axis *xa = calloc(1, sizeof *xa), *ya = calloc(1, sizeof *ya);
    if (!xa || !ya) {
        free(xa); free(ya); free(colour); free(markers);
        return fail(err, errlen, "%s: out of memory", path);
    }
    ya->log = log_y != 0;
    set_limits(xa, xmin, xmax, any);
    set_limits(ya, ymin, ymax, any);
    linear_ticks(xa, xa->lo, xa->hi, 7, 0);
    if (ya->log) log_ticks(ya);
    else linear_ticks(ya, ya->lo, ya->hi, 6, 0);

    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, PW, PH);
    cairo_t *cr = cairo_create(s);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);

    /* layout from the text that surrounds the plot area */
    cairo_font_extents_t fe;
    set_font(cr, 13, 0);
    cairo_font_extents(cr, &fe);
    double yw = 0;
    for (int i = 0; i < ya->n; i++) yw = fmax(yw, text_w(cr, ya->label[i]));
    double lastw = xa->n ? text_w(cr, xa->label[xa->n - 1]) : 0;
    frame f;
    f.r.x0 = ceil(16 + (ylabel && *ylabel ? 26 : 0) + yw + 10);
    f.r.x1 = PW - ceil(fmax(24, lastw / 2 + 10));
    f.r.y0 = title && *title ? 52 : 20;
    f.r.y1 = PH - ceil(8 + fe.ascent + fe.descent + 12 + (xlabel && *xlabel ? 28 : 0));
    f.xlo = xa->lo; f.xhi = xa->hi; f.ylo = ya->lo; f.yhi = ya->hi;

    /* gridlines, crisp on pixel centres */
    cairo_set_line_width(cr, 1);
    rgb(cr, 0xf0f0f0);
    for (int i = 0; i < ya->nminor; i++) {
        double Y = floor(fy(&f, ya->minor[i])) + 0.5;
        cairo_move_to(cr, f.r.x0, Y);
        cairo_line_to(cr, f.r.x1, Y);
    }
    cairo_stroke(cr);
    rgb(cr, 0xdddddd);
    for (int i = 0; i < xa->n; i++) {
        double X = floor(fx(&f, xa->at[i])) + 0.5;
        cairo_move_to(cr, X, f.r.y0);
        cairo_line_to(cr, X, f.r.y1);
    }
    for (int i = 0; i < ya->n; i++) {
        double Y = floor(fy(&f, ya->at[i])) + 0.5;
        cairo_move_to(cr, f.r.x0, Y);
        cairo_line_to(cr, f.r.x1, Y);
    }
    cairo_stroke(cr);

    cairo_save(cr);
    cairo_rectangle(cr, f.r.x0, f.r.y0, f.r.x1 - f.r.x0, f.r.y1 - f.r.y0);
    cairo_clip(cr);
    for (int k = 0; k < nseries; k++) markers[k] = (char)draw_series(cr, &f, &series[k], colour[k], log_y);
    cairo_restore(cr);

    /* frame and ticks */
    rgb(cr, 0x444444);
    cairo_set_line_width(cr, 1);
    cairo_rectangle(cr, f.r.x0 + 0.5, f.r.y0 + 0.5, f.r.x1 - f.r.x0 - 1, f.r.y1 - f.r.y0 - 1);
    for (int i = 0; i < xa->n; i++) {
        double X = floor(fx(&f, xa->at[i])) + 0.5;
        cairo_move_to(cr, X, f.r.y1);
        cairo_line_to(cr, X, f.r.y1 + 5);
    }
    for (int i = 0; i < ya->n; i++) {
        double Y = floor(fy(&f, ya->at[i])) + 0.5;
        cairo_move_to(cr, f.r.x0, Y);
        cairo_line_to(cr, f.r.x0 - 5, Y);
    }
    cairo_stroke(cr);

    rgb(cr, 0x333333);
    for (int i = 0; i < xa->n; i++)
        text_at(cr, xa->label[i], fx(&f, xa->at[i]), f.r.y1 + 8 + (fe.ascent + fe.descent) / 2, 0.5);
    for (int i = 0; i < ya->n; i++)
        text_at(cr, ya->label[i], f.r.x0 - 9, fy(&f, ya->at[i]), 1);
    if (!any) {
        rgb(cr, 0x888888);
        set_font(cr, 16, 0);
        text_at(cr, log_y ? "no positive finite values to plot" : "no finite values to plot",
                (f.r.x0 + f.r.x1) / 2, (f.r.y0 + f.r.y1) / 2, 0.5);
    }

    rgb(cr, 0x222222);
    set_font(cr, 15, 0);
    if (xlabel && *xlabel) text_at(cr, xlabel, (f.r.x0 + f.r.x1) / 2, PH - 18, 0.5);
    if (ylabel && *ylabel) {
        cairo_save(cr);
        cairo_translate(cr, 18, (f.r.y0 + f.r.y1) / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, ylabel, 0, 0, 0.5);
        cairo_restore(cr);
    }
    if (title && *title) {
        set_font(cr, 18, 1);
        rgb(cr, 0x111111);
        text_at(cr, title, (f.r.x0 + f.r.x1) / 2, 26, 0.5);
    }
    draw_legend(cr, &f, series, nseries, colour, markers, log_y);

    cairo_status_t st = cairo_status(cr);
    cairo_destroy(cr);
    free(xa);
    free(ya);
    free(colour);
    free(markers);
    int rc = st != CAIRO_STATUS_SUCCESS
                 ? fail(err, errlen, "%s: cairo: %s", path, cairo_status_to_string(st))
                 : write_png(s, path, err, errlen);
    cairo_surface_destroy(s);
    return rc;
}

void netc_ema(const float *in, float *out, int n, float beta)
{
    double m = 0, decay = 1;
    for (int i = 0; i < n; i++) {
        float v = in[i];
        if (!isfinite(v)) { out[i] = NAN; continue; }
        m = beta * m + (1.0 - beta) * v;
        decay *= beta;
        out[i] = decay < 1 ? (float)(m / (1 - decay)) : v;
    }
}

void netc_plot_cleanup(void)
{
    cairo_debug_reset_static_data();
    FcFini();
}
