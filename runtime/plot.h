/* plot.h — pictures a person looks at: PNG grids of images and PNG line plots of
 * training curves, drawn with cairo.  Link libnetcplot.a with
 * `pkg-config --libs cairo fontconfig` -lm.
 *
 * Every function writes its PNG atomically (a temporary file in the same directory,
 * then rename), returns 0 on success, and on failure returns -1, leaves no file
 * behind and puts a one-line message in err (when err is not NULL). */
#ifndef NETC_PLOT_H
#define NETC_PLOT_H

#include <stddef.h>

/* ---- image grids ------------------------------------------------------------
 * A row of the grid: `count` images stored back to back, each channels*h*w floats
 * with values in [0,1] (out-of-range values are clamped; NaN shows as magenta).
 * Rows may differ in size: every column is as wide as its widest image and smaller
 * images are centred.  Each image is enlarged by a whole factor with nearest
 * neighbour; scale <= 0 picks one so that the row comes out about as large as the
 * largest explicitly scaled row, or, when no row is, as the largest image enlarged
 * to at least 96 pixels.  So super-resolution rows "input" (16x16), "bicubic",
 * "netc", "target" (64x64) with scale 0 all come out 128 pixels (x8 and x2). */
#define NETC_GRID_MARGIN 12  /* white border around the grid, in pixels */
#define NETC_GRID_GAP    6   /* between the columns of a row            */
#define NETC_GRID_ROWGAP 10  /* between rows                            */

typedef struct netc_grid_row {
    const char  *label;     /* drawn at the left of the row; NULL or "" for none  */
    const float *pixels;    /* count * channels * h * w floats                    */
    int channels;           /* 1 (grey) or 3 (RGB)                                */
    int h, w;
    int layout;             /* 0 = CHW (nchw), 1 = HWC (nhwc), as netc_model.layout */
    int scale;              /* nearest-neighbour enlargement; <= 0: automatic     */
} netc_grid_row;

int netc_png_grid_rows(const char *path, const netc_grid_row *rows, int nrows,
                       int count, char *err, size_t errlen);

/* The common case: nrows rows (e.g. "test images", "reconstructions") of `count`
 * CHW images of one size; rows[r] points to row r's count*channels*h*w floats. */
int netc_png_grid(const char *path, const float *const *rows, int nrows,
                  const char *const *row_labels, int count, int channels, int h, int w,
                  int scale, char *err, size_t errlen);

/* ---- line plots ---------------------------------------------------------------
 * A series: n values y[i] at x[i], or at x0 + i*dx when x is NULL (dx == 0 means 1),
 * so per-step loss is {"train", NULL, loss, n} and per-epoch test loss measured
 * after every S steps is {"test", NULL, tl, epochs, .x0 = S, .dx = S}.
 * Points whose x or y is NaN or infinite (or y <= 0 with log_y) are skipped and
 * break the line.  Series with at most 60 points also get a dot at every point. */
typedef struct netc_series {
    const char  *name;      /* legend entry; NULL or "" leaves it out of the legend */
    const float *x;         /* NULL: evenly spaced from x0 by dx                  */
    const float *y;
    int n;
    float x0, dx;
    unsigned rgb;           /* 0xRRGGBB; 0 takes the next colour of the palette   */
    float alpha;            /* 0 means 1 (opaque); e.g. 0.35 for a raw noisy curve */
    float width;            /* line width in pixels; 0 means 2                    */
} netc_series;

/* A 960x600 PNG: title on top (NULL for none), axis labels, "nice" ticks with
 * gridlines, a legend in the emptiest corner, log-scaled y when log_y != 0. */
int netc_plot_curves(const char *path, const netc_series *series, int nseries,
                     const char *title, const char *xlabel, const char *ylabel,
                     int log_y, char *err, size_t errlen);

/* Exponential moving average for a smoothed loss curve (0 <= beta < 1, e.g. 0.98):
 * m = beta*m + (1-beta)*in[i], out[i] = m / (1 - beta^k) after k finite inputs (the
 * bias correction of Adam, so the curve starts at the first value, not at 0).
 * Non-finite inputs give NaN (a gap) and are left out of the average.  in and out
 * may be the same array. */
void netc_ema(const float *in, float *out, int n, float beta);

/* Frees the font caches cairo and fontconfig keep for the whole process (else leak
 * checkers such as ASan's report them at exit).  Call it once, at the end of the
 * program, when no other code is using cairo or fontconfig. */
void netc_plot_cleanup(void);

#endif
