/*
 * train.c — the training loop of the standalone program: `NAME train` and `NAME eval`.
 *
 *   NAME train --data IN=FILE ... [--weights W.safetensors] [--epochs N | --steps N]
 *              [--seed S] [--no-shuffle] [--save W.safetensors] [--save-every N]
 *              [--log loss.csv] [--resume] [--test IN=FILE ...] [--clip-norm X]
 *   NAME eval  --data IN=FILE ... [--weights W.safetensors] [--seed S]
 *
 * Data.  One file per train input (every input the loss reads): .npy, or IDX (.idx,
 * .idx.gz, *-ubyte, *-ubyte.gz; other names are recognised by their first bytes).
 * IDX u8 files of rank >= 2 (images) are scaled to [0,1]; rank-1 files (labels) are
 * read as they are.  The leading axis is the sample axis; the rest must be the input's
 * per-sample shape in the network's interface layout, where axes of size 1 may be
 * missing or extra ([N,28,28] feeds [1,28,28]).  Every file must hold the same number
 * of samples, and no NaN or Inf.
 *
 * Order.  Epoch e (0-based) visits the samples in the order of a Fisher–Yates shuffle
 * driven by splitmix64 seeded with  seed XOR (0xD1B54A32D192ED03 * (e + 1))  (mod 2^64):
 * for i = n-1 down to 1, j = r mod (i+1) for the first draw r not below
 * 2^64 mod (i+1) (rejection keeps it unbiased), then swap(i, j).  Only 64-bit integer
 * arithmetic, so the order is the same on every platform; --no-shuffle keeps file order.
 * Each epoch is floor(N / batch) steps; the last N mod batch samples of the epoch's order
 * are dropped (a different set each shuffled epoch).
 *
 * Length.  --steps N and --epochs N are absolute: train until the run has taken N
 * steps in total (N * steps-per-epoch for epochs), counting the steps of the run a
 * checkpoint resumes.  --steps wins over --epochs; without either the train block's
 * `steps` or `epochs` applies.
 *
 * --resume continues from the checkpoint --save names (or, without --save, from
 * --weights): its parameters, optimiser state, step, epoch, position and seed.
 *
 * Checkpoints (docs/generated-c.md): every parameter, every optimiser-state tensor,
 * and in __metadata__ netc.network, netc.step (steps taken), netc.epoch (epochs
 * completed), netc.position (steps taken in the current epoch), netc.seed,
 * netc.shuffle ("1"/"0"), netc.samples, netc.batch, netc.loss (the loss function).
 * Written atomically (netc_safetensors_save) at the end, every --save-every steps and
 * when SIGINT/SIGTERM stops the run; never after a non-finite loss.  Resuming reloads
 * all of it, so the continued run takes exactly the steps the uninterrupted run takes.
 *
 * Evaluation (eval, and --test at each epoch end) runs eval_loss over batch-sized
 * chunks.  A partial last chunk of r samples is padded with copies of its last sample
 * s; one more batch made only of s gives s's loss, and the padding's share is taken
 * out: sum += B * L(chunk) - (B - r) * L(s).  Every sample then counts exactly once
 * (exact in real arithmetic, since each loss is a mean over samples of equal size and
 * inference mode treats samples independently).
 *
 * --log FILE.csv: "step,epoch,loss,test_loss", one row per step with that step's loss
 * (epoch counted from 1); test_loss is filled on the last row of each epoch when --test
 * is given.  Flushed row by row.  With --resume the rows past the checkpoint's step are
 * dropped (atomically) and the run appends, so the log reads as one uninterrupted run.
 * A run stopped by a non-finite loss leaves its rows up to that step.
 *
 * --clip-norm X clips the gradients to total norm X before every optimiser step
 * (PyTorch's clip_grad_norm_), replacing the train block's clip_norm; 0 turns clipping
 * off.  The checkpoint records it (netc.clip_norm) and --resume keeps it.
 *
 * Exit status: 0 done (or nothing left to do), 1 a data, file or numeric error, 2 a
 * usage error, 130 stopped by SIGINT/SIGTERM.  Options and data are all checked, and
 * --save is probed for writability, before anything is written.  .npy data is used as
 * stored (no scaling).
 *
 * Progress goes to stderr: a bar redrawn in place with '\r' when stderr is a
 * terminal, else a plain line every ceil(steps / 50) steps; in both, a line at the end
 * of every ceil(epochs / 50)-th epoch and of the last.  The loss shown is the running
 * mean over the current epoch's steps; --log has every step's own loss.
 */
#define _POSIX_C_SOURCE 200809L
#include "files.h"
#include "train.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define M netc_program_model
#define MAXIN 64
#define MAXBYTES ((size_t)1 << 34)

/* ---- small helpers ---------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void shape_txt(char *buf, size_t n, int rank, const long *shape) {
    size_t k = (size_t)snprintf(buf, n, "[");
    for (int i = 0; i < rank && k < n; i++) k += (size_t)snprintf(buf + k, n - k, "%s%ld", i ? ", " : "", shape[i]);
    if (k < n) snprintf(buf + k, n - k, "]");
}

static int ends_with(const char *s, const char *suf) {
    size_t a = strlen(s), b = strlen(suf);
    return a >= b && !strcmp(s + a - b, suf);
}

/* A whole number in [lo, hi], nothing else in the string. */
static int parse_num(const char *opt, const char *s, unsigned long long lo, unsigned long long hi, unsigned long long *out) {
    char *end;
    errno = 0;
    unsigned long long v = (*s >= '0' && *s <= '9') ? strtoull(s, &end, 10) : 0;
    if (!(*s >= '0' && *s <= '9') || *end || errno || v < lo || v > hi) {
        fprintf(stderr, "%s: %s expects a whole number from %llu to %llu, got '%s'\n", M->name, opt, lo, hi, s);
        return 1;
    }
    *out = v;
    return 0;
}

static void *alloc_aligned(size_t bytes) {
    void *p = NULL;
    bytes = (bytes + 63) / 64 * 64;
    if (!bytes) bytes = 64;
    if (posix_memalign(&p, 64, bytes) != 0) return NULL;
    memset(p, 0, bytes);
    return p;
}

/* By the names docs/generated-c.md gives optimiser state ("<param>.exp_avg",
 * "<param>.exp_avg_sq", "<param>.momentum_buffer"), so it reads only the inference
 * part of the descriptor. */
int netc_is_opt_tensor(const char *name) {
    static const char *const suffix[] = {".exp_avg", ".exp_avg_sq", ".momentum_buffer"};
    size_t ln = strlen(name);
    for (size_t k = 0; k < sizeof suffix / sizeof suffix[0]; k++) {
        size_t ls = strlen(suffix[k]);
        if (ln <= ls || strcmp(name + ln - ls, suffix[k])) continue;
        for (int i = 0; i < M->nparams; i++)
            if (strlen(M->params[i].name) == ln - ls && !strncmp(M->params[i].name, name, ln - ls)) return 1;
    }
    return 0;
}

/* ---- the seeded order -------------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *s) {
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void epoch_order(long *perm, long n, uint64_t seed, long epoch, int shuffle) {
    for (long i = 0; i < n; i++) perm[i] = i;
    if (!shuffle) return;
    uint64_t s = seed ^ (0xD1B54A32D192ED03ull * (uint64_t)(epoch + 1));
    for (long i = n - 1; i > 0; i--) {
        uint64_t bound = (uint64_t)i + 1, threshold = (0 - bound) % bound, r;
        do r = splitmix64(&s);
        while (r < threshold);
        long j = (long)(r % bound), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
}

/* ---- data sets -------------------------------------------------------------------- */

typedef struct dataset {
    const char *file[MAXIN];
    netc_array arr[MAXIN];
    long per[MAXIN];       /* floats per sample */
    long n;                /* samples           */
} dataset;

static void dataset_free(dataset *d) {
    for (int i = 0; i < MAXIN; i++) netc_array_free(&d->arr[i]);
}

/* "NAME=FILE" for one of the train inputs. */
static int parse_data_arg(const char *opt, const char *arg, dataset *d) {
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        fprintf(stderr, "%s: %s expects INPUT=FILE, got '%s'\n", M->name, opt, arg);
        return 1;
    }
    for (int i = 0; i < M->ntrain_inputs; i++) {
        const char *nm = M->train_inputs[i].name;
        if (strlen(nm) == (size_t)(eq - arg) && !strncmp(nm, arg, (size_t)(eq - arg))) {
            if (d->file[i]) { fprintf(stderr, "%s: %s %s given twice\n", M->name, opt, nm); return 1; }
            d->file[i] = eq + 1;
            return 0;
        }
    }
    fprintf(stderr, "%s: %s: unknown input '%.*s'; training reads:", M->name, opt, (int)(eq - arg), arg);
    for (int i = 0; i < M->ntrain_inputs; i++) fprintf(stderr, " %s", M->train_inputs[i].name);
    fputc('\n', stderr);
    return 1;
}

static int squeeze(const long *in, int rank, long *out) {
    int k = 0;
    for (int i = 0; i < rank; i++)
        if (in[i] != 1) out[k++] = in[i];
    return k;
}

/* Read one data file into a (float32), choosing the reader by name or content. */
static int read_data(netc_array *a, const char *path) {
    netc_file_error err;
    int idx;
    if (ends_with(path, ".npy")) idx = 0;
    else if (ends_with(path, ".idx") || ends_with(path, ".idx.gz") || ends_with(path, "-ubyte") || ends_with(path, "-ubyte.gz"))
        idx = 1;
    else {
        unsigned char m[6] = {0};
        FILE *f = fopen(path, "rb");
        if (!f) { fprintf(stderr, "%s: %s: cannot open: %s\n", M->name, path, strerror(errno)); return 1; }
        size_t got = fread(m, 1, sizeof m, f);
        fclose(f);
        if (got == 6 && !memcmp(m, "\x93NUMPY", 6)) idx = 0;
        else if (got >= 2 && ((m[0] == 0x1f && m[1] == 0x8b) || (m[0] == 0 && m[1] == 0))) idx = 1;
        else {
            fprintf(stderr, "%s: %s: neither a .npy nor an IDX file (data files are .npy, .idx, .idx.gz or *-ubyte[.gz])\n",
                    M->name, path);
            return 1;
        }
    }
    int rc = idx ? netc_idx_load(a, path, 0, MAXBYTES, &err) : netc_npy_load(a, path, MAXBYTES, &err);
    if (rc) { fprintf(stderr, "%s: %s\n", M->name, err.msg); return 1; }
    if (idx && a->source_dtype == NETC_DT_U8 && a->rank >= 2)
        for (int64_t i = 0; i < a->count; i++) a->data[i] /= 255.0f;   /* as NETC_IDX_SCALE_U8 */
    return 0;
}

/* Load every file of d, check shapes, counts and values.  `opt` is "--data"/"--test". */
static int dataset_load(dataset *d, const char *opt, int quiet) {
    d->n = -1;
    for (int i = 0; i < M->ntrain_inputs; i++) {
        const netc_tensor *t = &M->train_inputs[i];
        const char *path = d->file[i];
        netc_array *a = &d->arr[i];
        if (read_data(a, path)) return 1;
        long want[8], have[8], sw[8], sh[8];
        int wr = t->rank - 1, hr = a->rank - 1;
        char ws[160], hs[160];
        d->per[i] = t->count / M->batch;
        if (a->rank < 1) {
            fprintf(stderr, "%s: %s: holds a single number; %s %s needs an array with the samples on its first axis\n", M->name,
                    path, opt, t->name);
            return 1;
        }
        for (int j = 0; j < wr; j++) want[j] = t->shape[j + 1];
        for (int j = 0; j < hr; j++) have[j] = (long)a->shape[j + 1];
        shape_txt(ws, sizeof ws, wr, want);
        shape_txt(hs, sizeof hs, hr, have);
        long hcount = 1;
        for (int j = 0; j < hr; j++) hcount *= have[j];
        int same = wr == hr;
        for (int j = 0; same && j < wr; j++) same = want[j] == have[j];
        if (!same) {
            int a1 = squeeze(want, wr, sw), a2 = squeeze(have, hr, sh), sq = a1 == a2;
            for (int j = 0; sq && j < a1; j++) sq = sw[j] == sh[j];
            if (hcount != d->per[i]) {
                fprintf(stderr, "%s: %s: samples of shape %s (%ld values) do not fit input '%s', which takes %s (%ld values) per sample\n",
                        M->name, path, hs, hcount, t->name, ws, d->per[i]);
                return 1;
            }
            if (!sq) {
                char full[180];
                long fs[9];
                fs[0] = 0;
                for (int j = 0; j < wr; j++) fs[j + 1] = want[j];
                shape_txt(full, sizeof full, wr + 1, fs);
                fprintf(stderr, "%s: %s: samples of shape %s hold the %ld values input '%s' takes, but not in its shape %s (%s layout); "
                        "rearrange the data to [N, %s\n", M->name, path, hs, hcount, t->name, ws, M->layout ? "nhwc" : "nchw", full + 4);
                return 1;
            }
            if (!quiet)
                fprintf(stderr, "%s: note: %s: %s%s read as %s for input '%s'\n", M->name, path, hr ? "samples of shape " : "scalar samples",
                        hr ? hs : "", ws, t->name);
        }
        long n = (long)a->shape[0];
        if (d->n >= 0 && n != d->n) {
            int k = 0;
            while (k < i && (long)d->arr[k].shape[0] == n) k++;
            fprintf(stderr, "%s: %s files disagree on the number of samples: %s has %ld, %s has %ld\n", M->name, opt, d->file[k],
                    (long)d->arr[k].shape[0], path, n);
            return 1;
        }
        d->n = n;
        for (long s = 0; s < n; s++)
            for (long e = 0; e < d->per[i]; e++) {
                float v = a->data[s * d->per[i] + e];
                if (!isfinite(v)) {
                    fprintf(stderr, "%s: %s: sample %ld (counting from 0) of input '%s' holds %s at element %ld; the loss needs finite data\n",
                            M->name, path, s, t->name, isnan(v) ? "nan" : v > 0 ? "inf" : "-inf", e);
                    return 1;
                }
            }
    }
    if (d->n == 0) { fprintf(stderr, "%s: %s files hold no samples\n", M->name, opt); return 1; }
    return 0;
}

/* Batch buffers, one per train input. */
typedef struct batchbuf {
    float *in[MAXIN];
} batchbuf;

static int batch_alloc(batchbuf *b) {
    memset(b, 0, sizeof *b);
    for (int i = 0; i < M->ntrain_inputs; i++) {
        b->in[i] = alloc_aligned(sizeof(float) * (size_t)M->train_inputs[i].count);
        if (!b->in[i]) { fprintf(stderr, "%s: out of memory\n", M->name); return 1; }
    }
    return 0;
}

static void batch_free(batchbuf *b) {
    for (int i = 0; i < MAXIN; i++) free(b->in[i]);
}

/* Fill slot k of the batch with sample s. */
static void batch_put(batchbuf *b, const dataset *d, int k, long s) {
    for (int i = 0; i < M->ntrain_inputs; i++)
        memcpy(b->in[i] + (size_t)k * (size_t)d->per[i], d->arr[i].data + (size_t)s * (size_t)d->per[i], sizeof(float) * (size_t)d->per[i]);
}

/* Mean loss over every sample of d (see the file comment for the last chunk). */
static double eval_dataset(void *state, const dataset *d, batchbuf *b) {
    const int B = M->batch;
    double sum = 0;
    long s0 = 0;
    for (; s0 + B <= d->n; s0 += B) {
        for (int k = 0; k < B; k++) batch_put(b, d, k, s0 + k);
        sum += (double)B * M->eval_loss(state, (const float *const *)b->in);
    }
    long r = d->n - s0;
    if (r > 0) {
        long last = d->n - 1;
        for (int k = 0; k < B; k++) batch_put(b, d, k, k < r ? s0 + k : last);
        double chunk = M->eval_loss(state, (const float *const *)b->in);
        for (int k = 0; k < B; k++) batch_put(b, d, k, last);
        double alone = M->eval_loss(state, (const float *const *)b->in);
        sum += (double)B * chunk - (double)(B - r) * alone;
    }
    return sum / (double)d->n;
}

/* ---- weights and checkpoints -------------------------------------------------------- */

static int check_shape(const char *path, const netc_st_tensor *t, const netc_tensor *p) {
    int same = t->rank == p->rank;
    for (int j = 0; same && j < p->rank; j++) same = t->shape[j] == p->shape[j];
    if (same) return 0;
    char want[160], have[160];
    long sh[8];
    for (int j = 0; j < t->rank && j < 8; j++) sh[j] = (long)t->shape[j];
    shape_txt(want, sizeof want, p->rank, p->shape);
    shape_txt(have, sizeof have, t->rank < 8 ? t->rank : 8, sh);
    fprintf(stderr, "%s: %s: tensor '%s' has shape %s, the network needs %s\n", M->name, path, p->name, have, want);
    return 1;
}

static int copy_tensors(const netc_safetensors *st, const char *path, const netc_tensor *list, int n, float *(*data)(void *, int),
                        void *state, const char *what) {
    int bad = 0;
    for (int i = 0; i < n; i++) {
        const netc_st_tensor *t = netc_safetensors_find(st, list[i].name);
        netc_file_error err;
        if (!t) { fprintf(stderr, "%s: %s: missing %s '%s'\n", M->name, path, what, list[i].name); bad = 1; continue; }
        if (check_shape(path, t, &list[i])) { bad = 1; continue; }
        if (netc_safetensors_to_f32(t, data(state, i), (size_t)list[i].count, &err)) {
            fprintf(stderr, "%s: %s: tensor '%s': %s\n", M->name, path, list[i].name, err.msg);
            bad = 1;
            continue;
        }
        const float *v = data(state, i);
        for (long j = 0; j < list[i].count; j++)
            if (!isfinite(v[j])) {
                fprintf(stderr, "%s: %s: %s '%s' holds %s at element %ld; it must be finite\n", M->name, path, what, list[i].name,
                        isnan(v[j]) ? "nan" : v[j] > 0 ? "inf" : "-inf", j);
                bad = 1;
                break;
            }
    }
    return bad;
}

/* Parameters (and with `with_opt` the optimiser state) from a loaded safetensors file. */
static int apply_weights(void *state, const netc_safetensors *st, const char *path, int with_opt) {
    int bad = copy_tensors(st, path, M->params, M->nparams, M->param, state, "parameter");
    if (with_opt) bad |= copy_tensors(st, path, M->opt, M->nopt, M->opt_data, state, "optimiser state");
    for (size_t k = 0; k < st->ntensors; k++) {
        const char *nm = st->tensors[k].name;
        if (ends_with(nm, ".num_batches_tracked") || netc_is_opt_tensor(nm)) continue;
        int known = 0;
        for (int i = 0; i < M->nparams && !known; i++) known = !strcmp(M->params[i].name, nm);
        if (!known) { fprintf(stderr, "%s: %s: unexpected tensor '%s' (not a parameter of this network)\n", M->name, path, nm); bad = 1; }
    }
    return bad;
}

static int load_weights(void *state, const char *path, netc_safetensors *st) {
    netc_file_error err;
    if (netc_safetensors_load(st, path, MAXBYTES, &err)) { fprintf(stderr, "%s: %s\n", M->name, err.msg); return 1; }
    return apply_weights(state, st, path, 0);
}

typedef struct position {
    unsigned long long step;   /* steps taken                      */
    long epoch;                /* epochs completed                 */
    long pos;                  /* steps taken in the current epoch */
    unsigned long long seed;
    int shuffle;
    long samples;
    const char *clip;          /* --clip-norm as given (NULL: the train block's) */
} position;

static int save_checkpoint(const char *path, void *state, const position *p) {
    int n = M->nparams + M->nopt;
    netc_st_entry *e = calloc((size_t)n + 1, sizeof *e);
    int64_t *shapes = calloc((size_t)n + 1, 8 * sizeof *shapes);
    if (!e || !shapes) { free(e); free(shapes); fprintf(stderr, "%s: out of memory\n", M->name); return 1; }
    for (int i = 0; i < n; i++) {
        const netc_tensor *t = i < M->nparams ? &M->params[i] : &M->opt[i - M->nparams];
        for (int j = 0; j < t->rank; j++) shapes[i * 8 + j] = t->shape[j];
        e[i].name = t->name;
        e[i].rank = t->rank;
        e[i].shape = shapes + i * 8;
        e[i].data = i < M->nparams ? M->param(state, i) : M->opt_data(state, i - M->nparams);
    }
    char step[32], epoch[32], pos[32], seed[32], samples[32], batch[32];
    snprintf(step, sizeof step, "%llu", p->step);
    snprintf(epoch, sizeof epoch, "%ld", p->epoch);
    snprintf(pos, sizeof pos, "%ld", p->pos);
    snprintf(seed, sizeof seed, "%llu", p->seed);
    snprintf(samples, sizeof samples, "%ld", p->samples);
    snprintf(batch, sizeof batch, "%d", M->batch);
    const char *kv[] = {"netc.network", M->name, "netc.step", step, "netc.epoch", epoch, "netc.position", pos,
                        "netc.seed", seed, "netc.shuffle", p->shuffle ? "1" : "0", "netc.samples", samples,
                        "netc.batch", batch, "netc.loss", M->loss_name ? M->loss_name : "",
                        "netc.clip_norm", p->clip ? p->clip : ""};
    netc_file_error err;
    int rc = netc_safetensors_save(path, e, (size_t)n, kv, sizeof kv / sizeof kv[0] / 2 - (p->clip ? 0 : 1), &err);
    if (rc) fprintf(stderr, "%s: step %llu: checkpoint not saved: %s\n", M->name, p->step, err.msg);
    free(e);
    free(shapes);
    return rc ? 1 : 0;
}

static int meta_num(const netc_safetensors *st, const char *path, const char *key, unsigned long long *out) {
    const char *v = netc_safetensors_meta(st, key);
    char *end;
    if (!v || !*v || *v < '0' || *v > '9') {
        fprintf(stderr, "%s: %s: %s: no '%s' in __metadata__%s\n", M->name, path, v ? "bad number" : "not a netc checkpoint", key,
                v ? "" : " (to start from its parameters, drop --resume and pass it as --weights)");
        return 1;
    }
    errno = 0;
    *out = strtoull(v, &end, 10);
    if (*end || errno) { fprintf(stderr, "%s: %s: __metadata__ '%s' is not a number: '%s'\n", M->name, path, key, v); return 1; }
    return 0;
}

/* Read the resume position of a loaded checkpoint and check it against this run. */
static int read_position(const netc_safetensors *st, const char *path, long samples, position *p) {
    const char *net = netc_safetensors_meta(st, "netc.network");
    unsigned long long step, epoch, pos, seed, shuffle, nsamp, batch;
    if (meta_num(st, path, "netc.step", &step)) return 1;
    if (!net || strcmp(net, M->name)) {
        fprintf(stderr, "%s: %s: a checkpoint of network '%s', not '%s'\n", M->name, path, net ? net : "(unnamed)", M->name);
        return 1;
    }
    if (meta_num(st, path, "netc.epoch", &epoch) || meta_num(st, path, "netc.position", &pos) ||
        meta_num(st, path, "netc.seed", &seed) || meta_num(st, path, "netc.shuffle", &shuffle) ||
        meta_num(st, path, "netc.samples", &nsamp) || meta_num(st, path, "netc.batch", &batch))
        return 1;
    long spe = samples / M->batch;
    if (batch != (unsigned long long)M->batch) {
        fprintf(stderr, "%s: %s: taken with batch %llu; this program has batch %d\n", M->name, path, batch, M->batch);
        return 1;
    }
    if (nsamp != (unsigned long long)samples) {
        fprintf(stderr, "%s: %s: taken over %llu samples; the --data files hold %ld, so the run cannot continue in the same order\n",
                M->name, path, nsamp, samples);
        return 1;
    }
    if (pos >= (unsigned long long)spe || epoch * (unsigned long long)spe + pos != step || shuffle > 1) {
        fprintf(stderr, "%s: %s: inconsistent position (step %llu, epoch %llu, position %llu, %ld steps per epoch)\n", M->name, path,
                step, epoch, pos, spe);
        return 1;
    }
    p->step = step;
    p->epoch = (long)epoch;
    p->pos = (long)pos;
    p->seed = seed;
    p->shuffle = (int)shuffle;
    p->samples = samples;
    return 0;
}

/* ---- loss log ----------------------------------------------------------------------- */

static const char log_header[] = "step,epoch,loss,test_loss\n";

/* Open the CSV log: fresh, or on resume keep the rows up to `upto` and append. */
static FILE *open_log(const char *path, int resume, unsigned long long upto) {
    if (resume) {
        void *buf = NULL;
        size_t len = 0;
        netc_file_error err;
        if (access(path, F_OK) == 0) {
            if (netc_read_file(path, 0, &buf, &len, &err)) { fprintf(stderr, "%s: %s\n", M->name, err.msg); return NULL; }
            char *out = malloc(len + sizeof log_header), *s = buf, *end = s + len;
            size_t k = 0;
            if (!out) { free(buf); fprintf(stderr, "%s: out of memory\n", M->name); return NULL; }
            memcpy(out, log_header, sizeof log_header - 1);
            k = sizeof log_header - 1;
            while (s < end) {
                char *nl = memchr(s, '\n', (size_t)(end - s));
                size_t ln = nl ? (size_t)(nl - s) + 1 : (size_t)(end - s);
                if (s[0] >= '0' && s[0] <= '9' && nl && strtoull(s, NULL, 10) <= upto) { memcpy(out + k, s, ln); k += ln; }
                s += ln;
            }
            int rc = netc_write_file_atomic(path, out, k, &err);
            free(out);
            free(buf);
            if (rc) { fprintf(stderr, "%s: %s\n", M->name, err.msg); return NULL; }
            FILE *f = fopen(path, "a");
            if (!f) fprintf(stderr, "%s: %s: cannot open: %s\n", M->name, path, strerror(errno));
            return f;
        }
    }
    FILE *f = fopen(path, "w");
    if (!f) { fprintf(stderr, "%s: %s: cannot open: %s\n", M->name, path, strerror(errno)); return NULL; }
    fputs(log_header, f);
    fflush(f);
    return f;
}

/* ---- progress ----------------------------------------------------------------------- */

typedef struct progress {
    int tty;
    unsigned long long first, total;   /* steps: where this run started, where it stops */
    long spe, epochs;
    long every;                        /* plain mode: a line every `every` steps        */
    long epoch_every;                  /* an epoch line every `epoch_every` epochs      */
    double train_s, last_draw, t_epoch;
    double sum;                        /* running mean over the current epoch           */
    long cnt;
    int drawn;                         /* a bar is on the line                          */
    int cols;                          /* terminal width                                */
} progress;

static int term_cols(void) {
#ifdef TIOCGWINSZ
    struct winsize w;
    if (ioctl(fileno(stderr), TIOCGWINSZ, &w) == 0 && w.ws_col >= 20) return w.ws_col;
#endif
    const char *c = getenv("COLUMNS");
    int n = c ? atoi(c) : 0;
    return n >= 20 ? n : 80;
}

static void fmt_time(char *b, size_t n, double s) {
    if (!(s >= 0) || s > 1e8) { snprintf(b, n, "--:--"); return; }
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(b, n, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else snprintf(b, n, "%ld:%02ld", t / 60, t % 60);
}

static void progress_rates(const progress *p, unsigned long long step, double *rate, char *eta, size_t n) {
    double done = (double)(step - p->first);
    *rate = p->train_s > 0 ? done * M->batch / p->train_s : 0;
    fmt_time(eta, n, done > 0 ? p->train_s / done * (double)(p->total - step) : -1);
}

static void progress_step(progress *p, unsigned long long step, long epoch, long pos, float loss) {
    p->sum += loss;
    p->cnt++;
    double rate, t = now_s();
    char eta[32];
    if (p->tty) {
        if (t - p->last_draw < 0.1 && step != p->total) return;
        p->last_draw = t;
        progress_rates(p, step, &rate, eta, sizeof eta);
        /* one line that fits the terminal (a wrapped line would not redraw in place):
         * the bar takes what the text leaves, up to 30 columns, or goes */
        char left[64], right[160], bar[40] = "", line[264];
        snprintf(left, sizeof left, "epoch %ld/%ld ", epoch + 1, p->epochs);
        snprintf(right, sizeof right, "step %llu/%llu  loss %.5g  %.0f samples/s  ETA %s", step, p->total, p->sum / p->cnt, rate, eta);
        int w = p->cols - 1 - (int)strlen(left) - (int)strlen(right) - 3;
        if (w > 30) w = 30;
        if (w >= 8) {
            int fill = (int)((double)pos * w / p->spe);
            bar[0] = '[';
            for (int i = 0; i < w; i++) bar[i + 1] = i < fill ? '#' : '.';
            bar[w + 1] = ']';
            bar[w + 2] = ' ';
            bar[w + 3] = 0;
        }
        snprintf(line, sizeof line, "%s%s%s", left, bar, right);
        if ((int)strlen(line) > p->cols - 1) line[p->cols - 1] = 0;
        fprintf(stderr, "\r\033[K%s", line);
        fflush(stderr);
        p->drawn = 1;
    } else if ((long)(step - p->first) % p->every == 0 && pos != p->spe) {
        progress_rates(p, step, &rate, eta, sizeof eta);
        fprintf(stderr, "epoch %ld/%ld  step %llu/%llu  loss %.5g  %.0f samples/s  ETA %s\n", epoch + 1, p->epochs, step, p->total,
                p->sum / p->cnt, rate, eta);
    }
}

static void progress_clear(progress *p) {
    if (p->drawn) { fputc('\n', stderr); p->drawn = 0; }
}

static void progress_epoch(progress *p, unsigned long long step, long epoch, int has_test, double test) {
    double rate, t = now_s();
    char eta[32], tl[48] = "";
    if ((epoch + 1) % p->epoch_every && epoch + 1 != p->epochs) {
        p->sum = 0;
        p->cnt = 0;
        return;
    }
    progress_rates(p, step, &rate, eta, sizeof eta);
    if (has_test) snprintf(tl, sizeof tl, "  test loss %.5g", test);
    fprintf(stderr, "%sepoch %ld/%ld done  step %llu/%llu  loss %.5g%s  %.0f samples/s  %.1f s\n", p->tty ? "\r\033[K" : "", epoch + 1,
            p->epochs, step, p->total, p->cnt ? p->sum / p->cnt : 0.0, tl, rate, t - p->t_epoch);
    fflush(stderr);
    p->drawn = 0;
    p->sum = 0;
    p->cnt = 0;
    p->t_epoch = t;
}

/* ---- signals ------------------------------------------------------------------------ */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig) { stop_signal = sig; }

static void catch_signals(int on) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on ? on_signal : SIG_DFL;
    sa.sa_flags = SA_RESETHAND;        /* a second ^C ends the program at once */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

/* ---- commands ----------------------------------------------------------------------- */

void netc_train_usage(FILE *f) {
    fprintf(f,
            "  train --data IN=FILE ... [--weights W.safetensors] [--epochs N | --steps N] [--seed S]\n"
            "        [--no-shuffle] [--save W.safetensors] [--save-every N] [--log loss.csv] [--resume]\n"
            "        [--test IN=FILE ...] [--clip-norm X]  train on .npy / IDX data, one file per train input\n"
            "  eval --data IN=FILE ... [--weights W.safetensors] [--seed S]\n"
            "                                        mean loss over a data set\n"
            "\n"
            "  --data IN=FILE          train, eval: one file per input the loss reads: .npy, or\n"
            "                          IDX (.idx, .idx.gz, *-ubyte[.gz]; u8 images scaled to\n"
            "                          [0, 1]); the leading axis is the sample axis\n"
            "  --test IN=FILE          train: held-out data, scored at every epoch's end and last\n"
            "  --epochs N, --steps N   train: stop after N epochs or N steps in all (--steps wins;\n"
            "                          default: the train block's epochs or steps)\n"
            "  --no-shuffle            train: visit the samples in file order (default: shuffled\n"
            "                          by the seed, a new order every epoch)\n"
            "  --save W.safetensors    train: checkpoint (parameters, optimiser state, position)\n"
            "                          written atomically at the end and when stopped by a signal\n"
            "  --save-every N          train: also every N steps (needs --save)\n"
            "  --log LOSS.csv          train: step,epoch,loss,test_loss, a row per step\n"
            "  --resume                train: continue from the --save (or --weights) checkpoint\n"
            "                          exactly as the uninterrupted run would (exit 130 on a signal)\n"
            "  -h, --help              this text (also after a command: train --help)\n");
}

static int trainable(const char *cmd) {
    if (M->ntrain_inputs > 0 && M->train_step && M->eval_loss) return 1;
    fprintf(stderr, "%s %s: network '%s' has no train block, so there is nothing to %s\n", M->name, cmd, M->name,
            !strcmp(cmd, "eval") ? "evaluate" : "train");
    return 0;
}

static int missing_data(const dataset *d, const char *opt) {
    int bad = 0;
    for (int i = 0; i < M->ntrain_inputs; i++)
        if (!d->file[i]) { fprintf(stderr, "%s: missing %s %s=FILE (the loss reads input '%s')\n", M->name, opt, M->train_inputs[i].name, M->train_inputs[i].name); bad = 1; }
    return bad;
}

int netc_cmd_eval(int argc, char **argv) {
    if (!trainable("eval")) return 2;
    dataset d;
    memset(&d, 0, sizeof d);
    const char *weights = NULL;
    unsigned long long seed = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) { netc_train_usage(stdout); return 0; }
        if (!strcmp(argv[i], "--data") && i + 1 < argc) {
            if (parse_data_arg("--data", argv[++i], &d)) return 2;
        } else if (!strcmp(argv[i], "--weights") && i + 1 < argc) weights = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
            if (parse_num("--seed", argv[++i], 0, UINT64_MAX, &seed)) return 2;
        } else { fprintf(stderr, "%s eval: unknown or incomplete option '%s'\n", M->name, argv[i]); return 2; }
    }
    if (missing_data(&d, "--data")) return 2;
    int rc = 1;
    void *state = NULL;
    batchbuf b;
    memset(&b, 0, sizeof b);
    netc_safetensors st;
    memset(&st, 0, sizeof st);
    if (dataset_load(&d, "--data", 0)) goto out;
    state = alloc_aligned(M->state_bytes);
    if (!state || batch_alloc(&b)) { fprintf(stderr, "%s: out of memory\n", M->name); goto out; }
    M->init(state, seed);
    if (weights && load_weights(state, weights, &st)) goto out;
    if (!weights) fprintf(stderr, "%s: note: no --weights; evaluating the initial parameters (seed %llu)\n", M->name, seed);
    double loss = eval_dataset(state, &d, &b);
    printf("%s %.9g over %ld samples\n", M->loss_name ? M->loss_name : "loss", loss, d.n);
    rc = 0;
out:
    netc_safetensors_free(&st);
    batch_free(&b);
    free(state);
    dataset_free(&d);
    return rc;
}

int netc_cmd_train(int argc, char **argv) {
    if (!trainable("train")) return 2;
    dataset d, test;
    memset(&d, 0, sizeof d);
    memset(&test, 0, sizeof test);
    const char *weights = NULL, *save = NULL, *logpath = NULL;
    unsigned long long seed = 0, epochs = 0, steps = 0, every = 0;
    int shuffle = 1, resume = 0, seed_given = 0, shuffle_given = 0, has_test = 0;
    const char *clip = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { netc_train_usage(stdout); return 0; }
        if (!strcmp(a, "--data") && more) {
            if (parse_data_arg("--data", argv[++i], &d)) return 2;
        } else if (!strcmp(a, "--test") && more) {
            if (parse_data_arg("--test", argv[++i], &test)) return 2;
            has_test = 1;
        } else if (!strcmp(a, "--weights") && more) weights = argv[++i];
        else if (!strcmp(a, "--save") && more) save = argv[++i];
        else if (!strcmp(a, "--log") && more) logpath = argv[++i];
        else if (!strcmp(a, "--epochs") && more) {
            if (parse_num(a, argv[++i], 1, 1000000000, &epochs)) return 2;
        } else if (!strcmp(a, "--steps") && more) {
            if (parse_num(a, argv[++i], 1, (unsigned long long)1 << 53, &steps)) return 2;
        } else if (!strcmp(a, "--save-every") && more) {
            if (parse_num(a, argv[++i], 1, (unsigned long long)1 << 53, &every)) return 2;
        } else if (!strcmp(a, "--seed") && more) {
            if (parse_num(a, argv[++i], 0, UINT64_MAX, &seed)) return 2;
            seed_given = 1;
        } else if (!strcmp(a, "--no-shuffle")) { shuffle = 0; shuffle_given = 1; }
        else if (!strcmp(a, "--resume")) resume = 1;
        else if (!strcmp(a, "--clip-norm") && more) {
            char *end;
            clip = argv[++i];
            errno = 0;
            double v = strtod(clip, &end);
            if (!*clip || *end || errno || !(v >= 0 && v <= 3e38)) {
                fprintf(stderr, "%s: --clip-norm expects a number from 0 (no clipping) up, got '%s'\n", M->name, clip);
                return 2;
            }
        } else { fprintf(stderr, "%s train: unknown or incomplete option '%s'\n", M->name, a); return 2; }
    }
    if (missing_data(&d, "--data")) return 2;
    if (has_test && missing_data(&test, "--test")) return 2;
    if (every && !save) { fprintf(stderr, "%s: --save-every needs --save W.safetensors\n", M->name); return 2; }
    if (resume && !save && !weights) { fprintf(stderr, "%s: --resume needs the checkpoint: --save W.safetensors (or --weights)\n", M->name); return 2; }
    if (clip && !M->clip_norm) {
        fprintf(stderr, "%s: --clip-norm: this program's train step clips only by the train block's clip_norm (a CUDA build)\n", M->name);
        return 2;
    }
    if (save && logpath && !strcmp(save, logpath)) { fprintf(stderr, "%s: --save and --log name the same file '%s'\n", M->name, save); return 2; }

    int rc = 1;
    void *state = NULL;
    long *perm = NULL;
    FILE *log = NULL;
    batchbuf b;
    memset(&b, 0, sizeof b);
    netc_safetensors st;
    memset(&st, 0, sizeof st);
    position p;
    memset(&p, 0, sizeof p);

    if (dataset_load(&d, "--data", 0)) goto out;
    if (has_test && dataset_load(&test, "--test", 0)) goto out;
    const long B = M->batch, spe = d.n / B;
    if (spe < 1) {
        fprintf(stderr, "%s: the --data files hold %ld samples, fewer than one batch of %ld\n", M->name, d.n, B);
        goto out;
    }
    state = alloc_aligned(M->state_bytes);
    perm = malloc(sizeof *perm * (size_t)d.n);
    if (!state || !perm || batch_alloc(&b)) { fprintf(stderr, "%s: out of memory\n", M->name); goto out; }

    p.seed = seed;
    p.shuffle = shuffle;
    p.samples = d.n;
    if (resume) {
        const char *from = save ? save : weights;   /* the checkpoint this run writes */
        netc_file_error err;
        if (save && weights) fprintf(stderr, "%s: note: --resume continues from %s; --weights %s is not read\n", M->name, save, weights);
        if (netc_safetensors_load(&st, from, MAXBYTES, &err)) { fprintf(stderr, "%s: cannot resume: %s\n", M->name, err.msg); goto out; }
        if (read_position(&st, from, d.n, &p)) goto out;
        if (seed_given && seed != p.seed) {
            fprintf(stderr, "%s: %s was trained with --seed %llu; resume without --seed or with the same one\n", M->name, from, p.seed);
            rc = 2;
            goto out;
        }
        if (shuffle_given && p.shuffle) {
            fprintf(stderr, "%s: %s was trained with shuffling; resume without --no-shuffle\n", M->name, from);
            rc = 2;
            goto out;
        }
        if (!shuffle_given && !p.shuffle) fprintf(stderr, "%s: note: %s was trained with --no-shuffle; continuing in file order\n", M->name, from);
        M->init(state, p.seed);
        if (apply_weights(state, &st, from, 1)) goto out;
        *M->step_count(state) = p.step;
        const char *was = netc_safetensors_meta(&st, "netc.clip_norm");
        if (was && *was && !clip) {
            if (!M->clip_norm) { fprintf(stderr, "%s: %s was trained with --clip-norm %s, which this program cannot take\n", M->name, from, was); goto out; }
            static char kept[64];
            snprintf(kept, sizeof kept, "%s", was);
            clip = kept;
            fprintf(stderr, "%s: note: continuing with --clip-norm %s, as %s was trained\n", M->name, clip, from);
        }
    } else {
        M->init(state, seed);
        if (weights && load_weights(state, weights, &st)) goto out;
    }
    netc_safetensors_free(&st);
    if (clip) {
        double v = strtod(clip, NULL);
        *M->clip_norm(state) = v > 0 ? (float)v : -1.0f;
    }
    p.clip = clip;

    unsigned long long total;
    if (steps) total = steps;
    else if (epochs) total = epochs * (unsigned long long)spe;
    else if (M->steps > 0) total = (unsigned long long)M->steps;
    else total = (unsigned long long)(M->epochs > 0 ? M->epochs : 1) * (unsigned long long)spe;
    long nepochs = (long)((total + (unsigned long long)spe - 1) / (unsigned long long)spe);
    if (p.step >= total) {
        fprintf(stderr, "%s: the checkpoint is already at step %llu of %llu; nothing to do (raise --steps or --epochs)\n", M->name, p.step, total);
        rc = 0;
        goto out;
    }
    if (save) {   /* find out now, not after the training, that the checkpoint cannot be written */
        netc_atomic_file probe;
        netc_file_error err;
        if (netc_atomic_open(&probe, save, &err)) { fprintf(stderr, "%s: --save: %s\n", M->name, err.msg); goto out; }
        netc_atomic_abort(&probe);
    }
    if (logpath && !(log = open_log(logpath, resume, p.step))) goto out;

    fprintf(stderr, "%s: training on %ld samples, batch %ld: %ld steps per epoch, %llu steps (%ld epoch%s), seed %llu, %s\n", M->name,
            d.n, B, spe, total, nepochs, nepochs == 1 ? "" : "s", p.seed, p.shuffle ? "shuffled" : "in file order");
    if (d.n % B)
        fprintf(stderr, "%s: note: %ld samples do not fill a batch; each epoch drops the last %ld of its order\n", M->name, d.n % B, d.n % B);
    if (resume) fprintf(stderr, "%s: resuming at step %llu (epoch %ld, step %ld of it)\n", M->name, p.step, p.epoch + 1, p.pos);

    progress pr;
    memset(&pr, 0, sizeof pr);
    pr.tty = isatty(fileno(stderr));
    pr.cols = pr.tty ? term_cols() : 80;
    if (pr.cols > 255) pr.cols = 255;
    pr.first = p.step;
    pr.total = total;
    pr.spe = spe;
    pr.epochs = nepochs;
    pr.every = (long)((total - p.step + 49) / 50);
    if (pr.every < 1) pr.every = 1;
    pr.epoch_every = (nepochs - p.epoch + 49) / 50;
    if (pr.epoch_every < 1) pr.epoch_every = 1;
    pr.t_epoch = now_s();

    stop_signal = 0;
    catch_signals(1);
    epoch_order(perm, d.n, p.seed, p.epoch, p.shuffle);
    float loss = 0;
    double tl = 0;
    int tested = 0;                    /* tl holds the test loss of the current weights */
    while (p.step < total) {
        for (int k = 0; k < B; k++) batch_put(&b, &d, k, perm[p.pos * B + k]);
        double t0 = now_s();
        loss = M->train_step(state, (const float *const *)b.in);
        pr.train_s += now_s() - t0;
        p.step++;
        p.pos++;
        int epoch_end = p.pos == spe;
        tested = 0;
        if (!isfinite(loss)) {
            progress_clear(&pr);
            if (log) { fprintf(log, "%llu,%ld,%.9g,\n", p.step, p.epoch + 1, loss); fflush(log); }
            fprintf(stderr, "%s: step %llu: loss is %s; stopping%s%s%s\n", M->name, p.step, isnan(loss) ? "nan" : "inf",
                    save ? " (" : "", save ? save : "", save ? " keeps the last good checkpoint, if any)" : "");
            goto out;
        }
        progress_step(&pr, p.step, p.epoch, p.pos, loss);
        if (epoch_end && has_test) { tl = eval_dataset(state, &test, &b); tested = 1; }
        if (log) {
            if (epoch_end && has_test) fprintf(log, "%llu,%ld,%.9g,%.9g\n", p.step, p.epoch + 1, loss, tl);
            else fprintf(log, "%llu,%ld,%.9g,\n", p.step, p.epoch + 1, loss);
            if (fflush(log)) { fprintf(stderr, "%s: %s: write failed: %s\n", M->name, logpath, strerror(errno)); goto out; }
        }
        if (epoch_end) {
            progress_epoch(&pr, p.step, p.epoch, has_test, tl);
            p.epoch++;
            p.pos = 0;
            if (p.step < total) epoch_order(perm, d.n, p.seed, p.epoch, p.shuffle);
        }
        if (stop_signal) {
            progress_clear(&pr);
            fprintf(stderr, "%s: stopped by signal %d at step %llu\n", M->name, (int)stop_signal, p.step);
            if (save && save_checkpoint(save, state, &p)) goto out;
            if (save) fprintf(stderr, "%s: saved %s; continue with --resume\n", M->name, save);
            rc = 130;
            goto out;
        }
        if (save && every && p.step % every == 0 && p.step < total && save_checkpoint(save, state, &p)) { progress_clear(&pr); goto out; }
    }
    progress_clear(&pr);
    if (save && save_checkpoint(save, state, &p)) goto out;
    if (has_test && !tested) tl = eval_dataset(state, &test, &b);
    char tmsg[64] = "";
    if (has_test) snprintf(tmsg, sizeof tmsg, "; test loss %.9g", tl);
    printf("%s: trained to step %llu (epoch %ld); last loss %.9g%s%s%s\n", M->name, p.step, p.pos ? p.epoch + 1 : p.epoch, loss, tmsg,
           save ? "; saved " : "", save ? save : "");
    rc = 0;
out:
    catch_signals(0);
    if (log && fclose(log) && !rc) { fprintf(stderr, "%s: %s: write failed\n", M->name, logpath); rc = 1; }
    netc_safetensors_free(&st);
    batch_free(&b);
    free(perm);
    free(state);
    dataset_free(&d);
    dataset_free(&test);
    return rc;
}
