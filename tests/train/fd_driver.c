/*
 * fd_driver.c — finite-difference check of a generated training step, in double.
 *
 * The generated code is built with -DNETC_FLOAT=double (and double math macros);
 * the network's train block must be `optimizer = sgd { lr = 1 }`, so one step
 * moves every trainable parameter by exactly minus its gradient: g = p0 - p1.
 * For sampled parameters, the central difference (L(p + h) - L(p - h)) / 2h of
 * the training-mode loss (what train_step returns, before its update) must match.
 *
 *   fd_driver [--classes INPUT C]... [--samples N]
 * prints one line per parameter tensor and "N passed, N failed" (one test per
 * sampled parameter).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct netc_tensor { const char *name; int rank; long shape[8]; long count; } netc_tensor;
typedef struct netc_model {
    const char *name;
    int batch, layout;
    unsigned long state_bytes;
    int ninputs, noutputs, nparams;
    const netc_tensor *inputs, *outputs, *params;
    void (*init)(void *, unsigned long long);
    void (*run)(void *, const double *const *, double *const *);
    double *(*param)(void *, int);
    int ntrain_inputs;
    const netc_tensor *train_inputs;
    double (*train_step)(void *, const double *const *);
    double (*eval_loss)(void *, const double *const *);
    int nopt;
    const netc_tensor *opt;
    double *(*opt_data)(void *, int);
    unsigned long long *(*step_count)(void *);
    long epochs, steps;
    const char *loss_name;
} netc_model;
extern const netc_model *const netc_program_model;

static unsigned long long rng = 0x9E3779B97F4A7C15ULL;
static double uniform(void) {
    rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

int main(int argc, char **argv) {
    const netc_model *M = netc_program_model;
    int classes[16] = {0}, samples = 6;
    for (int i = 1; i + 1 < argc; i++) {
        if (!strcmp(argv[i], "--classes") && i + 2 < argc) { classes[atoi(argv[i + 1])] = atoi(argv[i + 2]); i += 2; }
        else if (!strcmp(argv[i], "--samples")) samples = atoi(argv[++i]);
    }
    size_t bytes = M->state_bytes;
    char *s0 = calloc(1, bytes), *s1 = calloc(1, bytes), *after = calloc(1, bytes);
    double *in[16];
    M->init(s0, 3);
    /* move every parameter off its initial value (biases start at 0, BN at 1/0) */
    for (int p = 0; p < M->nparams; p++) {
        size_t ln = strlen(M->params[p].name);
        if (ln > 8 && !strcmp(M->params[p].name + ln - 8, "_running")) continue;
        double *d = M->param(s0, p);
        int stat = strstr(M->params[p].name, ".running_") != NULL;
        for (long i = 0; i < M->params[p].count; i++)
            d[i] = stat ? d[i] : d[i] + 0.2 * (uniform() - 0.5);
    }
    for (int k = 0; k < M->ntrain_inputs; k++) {
        in[k] = malloc(sizeof(double) * (size_t)M->train_inputs[k].count);
        for (long i = 0; i < M->train_inputs[k].count; i++)
            in[k][i] = classes[k] ? (double)(long)(uniform() * classes[k]) : 2 * uniform() - 1;
    }
    memcpy(after, s0, bytes);
    M->train_step(after, (const double *const *)in);
    int pass = 0, fail = 0;
    for (int p = 0; p < M->nparams; p++) {
        if (strstr(M->params[p].name, ".running_")) continue;
        double worst = 0;
        int n = samples < M->params[p].count ? samples : (int)M->params[p].count;
        for (int j = 0; j < n; j++) {
            long i = (long)(uniform() * (double)M->params[p].count);
            double p0 = M->param(s0, p)[i];
            double g = p0 - M->param(after, p)[i];
            double h = 1e-6 * (fabs(p0) > 1 ? fabs(p0) : 1);
            double l[2];
            for (int side = 0; side < 2; side++) {
                memcpy(s1, s0, bytes);
                M->param(s1, p)[i] = p0 + (side ? -h : h);
                l[side] = M->train_step(s1, (const double *const *)in);
            }
            double fd = (l[0] - l[1]) / (2 * h);
            double err = fabs(fd - g) / (1e-6 + fabs(g));
            if (err > worst) worst = err;
            if (fabs(fd - g) <= 1e-7 + 1e-5 * fabs(g)) pass++;
            else { fail++; printf("FAIL %s %s[%ld]: analytic %.10g, finite difference %.10g\n", M->name, M->params[p].name, i, g, fd); }
        }
        printf("  %-24s %d samples, worst relative error %.2e\n", M->params[p].name, n, worst);
    }
    printf("%d passed, %d failed\n", pass, fail);
    for (int k = 0; k < M->ntrain_inputs; k++) free(in[k]);
    free(s0); free(s1); free(after);
    return fail != 0;
}
