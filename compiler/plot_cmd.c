/*
 * plot_cmd.c — `netc plot`: pictures a person would rather look at than read.
 *
 *   netc plot grid -o OUT.png [--count N] [--label TEXT] A.npy [--label TEXT] B.npy ...
 *       one row per array: the first N samples of each ([N, C, H, W] or [N, H, W], C = 1 or 3)
 *   netc plot curve -o OUT.png [--title T] [--log] [--y COL,...] LOG.csv
 *       columns of a CSV (first column: x, e.g. step) as lines: every column, or
 *       those named by --y; empty cells leave gaps (a test loss per epoch shows as
 *       dots)
 */
#include "driver.h"
#include "files.h"
#include "plot.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char usage_plot[] =
    "usage: netc plot grid -o OUT.png [--count N] [--label TEXT] A.npy [--label TEXT] B.npy ...\n"
    "       netc plot curve -o OUT.png [--title TEXT] [--log] [--y COL,COL...] LOG.csv\n"
    "\n"
    "grid:  one row of images per .npy array ([N, C, H, W] or [N, H, W], values in [0, 1])\n"
    "curve: the columns of a CSV file (header line, first column x) as lines\n"
    "\n"
    "  -o OUT.png       the PNG to write\n"
    "  --count N        grid: at most N images per row (default 8)\n"
    "  --label TEXT     grid: a label for the row of the array that follows\n"
    "  --title TEXT     curve: a title above the plot\n"
    "  --log            curve: a logarithmic y axis\n"
    "  --y COL,COL...   curve: only these columns (default every one)\n"
    "  -h, --help       this text\n"
    "\n"
    "exit status: 0 written, 1 unreadable input or unwritable output, 2 usage error\n";

static int plot_grid(int argc, char **argv) {
    const char *out = NULL, *label = NULL;
    int count = 8, nrows = 0;
    netc_grid_row rows[16];
    netc_array arr[16];
    memset(arr, 0, sizeof arr);
    int rc = 0;
    for (int i = 1; i < argc && !rc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--label") && i + 1 < argc) label = argv[++i];
        else if (argv[i][0] == '-') { fprintf(stderr, "netc plot grid: unknown option '%s'\n%s", argv[i], usage_plot); rc = 2; }
        else if (nrows == 16) { fprintf(stderr, "netc plot grid: at most 16 rows\n"); rc = 2; }
        else {
            netc_file_error err;
            if (netc_npy_load(&arr[nrows], argv[i], (size_t)1 << 32, &err)) { fprintf(stderr, "netc plot: %s\n", err.msg); rc = 1; break; }
            netc_array *a = &arr[nrows];
            int ch = a->rank == 4 ? (int)a->shape[1] : 1;
            if ((a->rank != 3 && a->rank != 4) || (ch != 1 && ch != 3)) {
                fprintf(stderr, "netc plot grid: %s: expected [N, H, W] or [N, C, H, W] with C = 1 or 3\n", argv[i]);
                rc = 1;
                break;
            }
            if (a->shape[0] < count) count = (int)a->shape[0];
            rows[nrows] = (netc_grid_row){label, a->data, ch, (int)a->shape[a->rank - 2], (int)a->shape[a->rank - 1], 0, 0};
            label = NULL;
            nrows++;
        }
    }
    if (!rc && (!out || !nrows || count < 1)) { fprintf(stderr, "netc plot grid: need -o OUT.png and at least one non-empty array\n%s", usage_plot); rc = 2; }
    if (!rc) {
        char err[512];
        if (netc_png_grid_rows(out, rows, nrows, count, err, sizeof err)) { fprintf(stderr, "netc plot: %s\n", err); rc = 1; }
    }
    for (int i = 0; i < 16; i++) netc_array_free(&arr[i]);
    netc_plot_cleanup();
    return rc;
}

static int plot_curve(int argc, char **argv) {
    const char *out = NULL, *in = NULL, *title = "", *ycols = NULL;
    int log_y = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-o") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--title") && i + 1 < argc) title = argv[++i];
        else if (!strcmp(argv[i], "--log")) log_y = 1;
        else if (!strcmp(argv[i], "--y") && i + 1 < argc) ycols = argv[++i];
        else if (argv[i][0] == '-' || in) { fprintf(stderr, "netc plot curve: unexpected '%s'\n%s", argv[i], usage_plot); return 2; }
        else in = argv[i];
    }
    if (!out || !in) { fprintf(stderr, "netc plot curve: need -o OUT.png and LOG.csv\n%s", usage_plot); return 2; }
    size_t len;
    char *text = read_file(in, &len);
    if (!text) { fprintf(stderr, "netc plot: cannot read '%s'\n", in); return 1; }
    /* header: x,name1,name2,... */
    char *save = NULL, *line = strtok_r(text, "\n", &save);
    if (!line) { fprintf(stderr, "netc plot: '%s' is empty\n", in); free(text); return 1; }
    char *names[8];
    int ncol = 0;
    for (char *p = line, *c; (c = strsep(&p, ",")) && ncol < 9;) if (ncol++ > 0) names[ncol - 2] = c;
    ncol--;
    if (ncol < 1) { fprintf(stderr, "netc plot: '%s' needs a header 'x,name,...' and at least two columns\n", in); free(text); return 1; }
    size_t cap = 1024, n = 0;
    float *x = malloc(cap * sizeof(float)), *y = malloc(cap * 8 * sizeof(float));
    for (char *l; (l = strtok_r(NULL, "\n", &save));) {
        if (n == cap) { cap *= 2; x = realloc(x, cap * sizeof(float)); y = realloc(y, cap * 8 * sizeof(float)); }
        char *p = l, *c;
        int k = 0;
        while ((c = strsep(&p, ",")) && k <= ncol) {
            float v = *c ? strtof(c, NULL) : __builtin_nanf("");
            if (k == 0) x[n] = v; else y[(size_t)(k - 1) * 0 + n * 8 + (size_t)(k - 1)] = v;
            k++;
        }
        for (; k <= ncol; k++) y[n * 8 + (size_t)(k - 1)] = __builtin_nanf("");
        n++;
    }
    netc_series s[8];
    float *smoothed[8] = {0};
    float *cols = malloc(sizeof(float) * (n ? n : 1) * 8);
    int ns = 0;
    for (int k = 0; k < ncol; k++) {
        if (ycols) {
            /* only the named columns */
            size_t ln = strlen(names[k]);
            const char *p = strstr(ycols, names[k]);
            bool found = false;
            while (p) {
                if ((p == ycols || p[-1] == ',') && (p[ln] == 0 || p[ln] == ',')) { found = true; break; }
                p = strstr(p + 1, names[k]);
            }
            if (!found) continue;
        }
        /* drop the gaps of sparse columns, so a per-epoch value draws as connected dots */
        float *cx = malloc(sizeof(float) * (n ? n : 1));
        int m = 0;
        for (size_t i = 0; i < n; i++) {
            float v = y[i * 8 + (size_t)k];
            if (v == v) { cols[(size_t)k * n + (size_t)m] = v; cx[m++] = x[i]; }
        }
        static const unsigned palette[] = {0x1f77b4, 0xd62728, 0x2ca02c, 0x9467bd, 0xff7f0e, 0x8c564b, 0xe377c2, 0x7f7f7f};
        unsigned rgb = palette[ns % 8];
        s[ns++] = (netc_series){.name = names[k], .x = cx, .y = cols + (size_t)k * n, .n = m, .rgb = rgb};
        if (m > 200 && ns < 8) {
            /* a long noisy curve: draw it faint, with its moving average on top */
            float *sm = malloc(sizeof(float) * (size_t)m), *sx = malloc(sizeof(float) * (size_t)m);
            /* a centred moving average over about 1% of the run: no lag */
            int half = m / 200 > 2 ? m / 200 : 2;
            const float *raw = cols + (size_t)k * n;
            for (int i = 0; i < m; i++) {
                int lo = i - half < 0 ? 0 : i - half, hi = i + half >= m ? m - 1 : i + half;
                double acc = 0;
                for (int j = lo; j <= hi; j++) acc += raw[j];
                sm[i] = (float)(acc / (hi - lo + 1));
            }
            memcpy(sx, cx, sizeof(float) * (size_t)m);
            s[ns - 1].alpha = 0.3f;
            s[ns - 1].width = 1;
            s[ns] = (netc_series){.name = "", .x = sx, .y = sm, .n = m, .rgb = rgb};
            smoothed[ns] = sm;
            ns++;
        }
    }
    if (!ns) { fprintf(stderr, "netc plot: no column of '%s' matches --y %s\n", in, ycols ? ycols : ""); free(x); free(y); free(cols); free(text); return 1; }
    char err[512];
    int rc = netc_plot_curves(out, s, ns, title, "step", "", log_y, err, sizeof err) ? 1 : 0;
    for (int k = 0; k < ns; k++) { free((float *)s[k].x); free(smoothed[k]); }
    if (rc) fprintf(stderr, "netc plot: %s\n", err);
    free(x); free(y); free(cols); free(text);
    netc_plot_cleanup();
    return rc;
}

int cmd_plot(int argc, char **argv) {
    if (argc < 2) { fputs(usage_plot, stderr); return 2; }
    for (int i = 1; i < argc; i++)   /* --help anywhere: netc plot grid --help */
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { fputs(usage_plot, stdout); return 0; }
    if (!strcmp(argv[1], "grid")) return plot_grid(argc - 1, argv + 1);
    if (!strcmp(argv[1], "curve")) return plot_curve(argc - 1, argv + 1);
    fprintf(stderr, "netc plot: unknown kind '%s'\n%s", argv[1], usage_plot);
    return 2;
}
