/* plot_sample.c — writes example pictures for a person to look at:
 *   plot_sample DIR [IDX.gz]
 * DIR/grid.png (images over stand-in "reconstructions"), DIR/superres.png (rows of
 * different sizes), DIR/loss.png and DIR/loss_log.png (noisy training loss, its
 * moving average and a per-epoch test loss, with a NaN gap).  The images come from
 * a Fashion-MNIST IDX file when one is readable, otherwise from a drawn pattern. */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 10, S = 28 };

static void load(float *img, const char *idx)
{
    char cmd[600];
    unsigned char head[16], px[S * S];
    snprintf(cmd, sizeof cmd, "gzip -dc '%s' 2>/dev/null", idx);
    FILE *p = popen(cmd, "r");
    int ok = p && fread(head, 1, 16, p) == 16;
    for (int i = 0; ok && i < N; i++) {
        ok = fread(px, 1, sizeof px, p) == sizeof px;
        for (int j = 0; ok && j < S * S; j++) img[i * S * S + j] = px[j] / 255.0f;
    }
    if (p) pclose(p);
    if (ok) return;
    for (int i = 0; i < N; i++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++)
                img[(i * S + y) * S + x] = 0.5f + 0.5f * sinf((x + i) * 0.4f) * cosf(y * 0.3f);
}

/* a 3x3 box blur plus a little drift: what an imperfect autoencoder might return */
static void blur(const float *in, float *out, int n, int h, int w)
{
    for (int i = 0; i < n; i++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                float s = 0;
                int k = 0;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++)
                        if (y + dy >= 0 && y + dy < h && x + dx >= 0 && x + dx < w) {
                            s += in[(i * h + y + dy) * w + x + dx];
                            k++;
                        }
                out[(i * h + y) * w + x] = s / k * 1.05f - 0.02f;
            }
}

int main(int argc, char **argv)
{
    if (argc < 2) { fprintf(stderr, "usage: plot_sample DIR [IDX.gz]\n"); return 2; }
    const char *dir = argv[1];
    const char *idx = argc > 2 ? argv[2] : "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    char path[4096], err[256];
    static float img[N * S * S], rec[N * S * S], small[N * 14 * 14], up[N * S * S];
    load(img, idx);
    blur(img, rec, N, S, S);
    const float *rows[] = { img, rec };
    const char *labels[] = { "test images", "reconstructions" };
    int rc = 0;
    snprintf(path, sizeof path, "%s/grid.png", dir);
    if (netc_png_grid(path, rows, 2, labels, 8, 1, S, S, 0, err, sizeof err)) { fprintf(stderr, "%s\n", err); rc = 1; }

    /* super-resolution layout: a 14x14 input, then three 28x28 rows */
    for (int i = 0; i < N; i++)
        for (int y = 0; y < 14; y++)
            for (int x = 0; x < 14; x++) {
                const float *p = img + (i * S + 2 * y) * S + 2 * x;
                small[(i * 14 + y) * 14 + x] = (p[0] + p[1] + p[S] + p[S + 1]) / 4;
            }
    for (int i = 0; i < N; i++)
        for (int y = 0; y < S; y++)
            for (int x = 0; x < S; x++) up[(i * S + y) * S + x] = small[(i * 14 + y / 2) * 14 + x / 2];
    blur(up, rec, N, S, S);
    netc_grid_row sr[] = {
        { "input", small, 1, 14, 14, 0, 0 }, { "bicubic", rec, 1, S, S, 0, 0 },
        { "netc", up, 1, S, S, 0, 0 },       { "target", img, 1, S, S, 0, 0 },
    };
    snprintf(path, sizeof path, "%s/superres.png", dir);
    if (netc_png_grid_rows(path, sr, 4, 6, err, sizeof err)) { fprintf(stderr, "%s\n", err); rc = 1; }

    /* curves: 10 epochs of 469 steps */
    enum { EPOCHS = 10, STEPS = 469, T = EPOCHS * STEPS };
    static float loss[T], smooth[T], test[EPOCHS];
    unsigned seed = 1;
    for (int i = 0; i < T; i++) {
        seed = seed * 1103515245u + 12345u;
        float noise = ((seed >> 8) & 0xffff) / 65536.0f - 0.5f;
        loss[i] = 0.012f + 0.09f * expf(-i / 400.0f) + 0.004f * noise * (1 + 3 * expf(-i / 600.0f));
    }
    for (int i = 2000; i < 2040; i++) loss[i] = NAN;
    netc_ema(loss, smooth, T, 0.98f);
    for (int e = 0; e < EPOCHS; e++) test[e] = 0.0135f + 0.06f * expf(-(e + 1) * STEPS / 500.0f);
    netc_series ss[] = {
        { .name = "training loss", .y = loss, .n = T, .rgb = 0x1f77b4, .alpha = 0.3f, .width = 1 },
        { .name = "smoothed", .y = smooth, .n = T, .rgb = 0x1f77b4 },
        { .name = "test loss", .y = test, .n = EPOCHS, .x0 = STEPS, .dx = STEPS, .rgb = 0xd62728 },
    };
    snprintf(path, sizeof path, "%s/loss.png", dir);
    if (netc_plot_curves(path, ss, 3, "Fashion-MNIST autoencoder", "step", "MSE loss", 0, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        rc = 1;
    }
    snprintf(path, sizeof path, "%s/loss_log.png", dir);
    if (netc_plot_curves(path, ss, 3, "Fashion-MNIST autoencoder (log scale)", "step", "MSE loss", 1, err, sizeof err)) {
        fprintf(stderr, "%s\n", err);
        rc = 1;
    }
    netc_plot_cleanup();
    return rc;
}
