/*
 * step_driver.c — drives a generated network's train_step for the PyTorch
 * comparison: loads the initial parameters, runs one step per batch of the given
 * data files, and writes the losses (.npy) and the final parameters (safetensors).
 *
 *   step_driver W0.safetensors STEPS LOSSES.npy W1.safetensors IN1.npy [IN2.npy ...]
 *
 * INk.npy holds STEPS * batch samples of train input k (declaration order).
 */
#define _POSIX_C_SOURCE 200809L
#include "files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "train.h"   /* the netc_model descriptor, as the runtime declares it */
extern const netc_model *const netc_program_model;

int main(int argc, char **argv) {
    const netc_model *M = netc_program_model;
    if (argc != 5 + M->ntrain_inputs) { fprintf(stderr, "usage: %s W0 STEPS LOSSES.npy W1 IN...\n", argv[0]); return 2; }
    void *s = NULL;
    if (posix_memalign(&s, 64, (M->state_bytes + 63) / 64 * 64)) return 1;
    memset(s, 0, M->state_bytes);
    netc_safetensors st;
    netc_file_error err;
    if (netc_safetensors_load(&st, argv[1], (size_t)1 << 32, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    for (int i = 0; i < M->nparams; i++) {
        const netc_st_tensor *t = netc_safetensors_find(&st, M->params[i].name);
        if (!t || t->count != M->params[i].count) { fprintf(stderr, "bad or missing %s\n", M->params[i].name); return 1; }
        if (netc_safetensors_to_f32(t, M->param(s, i), (size_t)t->count, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    }
    netc_safetensors_free(&st);
    int steps = atoi(argv[2]);
    netc_array in[16];
    for (int k = 0; k < M->ntrain_inputs; k++)
        if (netc_npy_load(&in[k], argv[5 + k], (size_t)1 << 32, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    float *losses = malloc(sizeof(float) * (size_t)steps);
    for (int i = 0; i < steps; i++) {
        const float *ptr[16];
        for (int k = 0; k < M->ntrain_inputs; k++) ptr[k] = in[k].data + (size_t)i * (size_t)M->train_inputs[k].count;
        losses[i] = M->train_step(s, ptr);
    }
    int64_t shape[1] = {steps};
    if (netc_npy_save(argv[3], 1, shape, losses, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    netc_st_entry *e = calloc((size_t)M->nparams, sizeof *e);
    int64_t (*shapes)[8] = calloc((size_t)M->nparams, sizeof *shapes);
    for (int i = 0; i < M->nparams; i++) {
        for (int j = 0; j < M->params[i].rank; j++) shapes[i][j] = M->params[i].shape[j];
        e[i] = (netc_st_entry){M->params[i].name, M->params[i].rank, shapes[i], M->param(s, i)};
    }
    if (netc_safetensors_save(argv[4], e, (size_t)M->nparams, NULL, 0, &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    /* inference with the trained weights on the first batch: OUTk.npy beside LOSSES.npy */
    const float *inf_in[16];
    float *inf_out[16];
    for (int j = 0; j < M->ninputs; j++) {
        inf_in[j] = NULL;
        for (int k = 0; k < M->ntrain_inputs; k++)
            if (!strcmp(M->train_inputs[k].name, M->inputs[j].name)) inf_in[j] = in[k].data;
        if (!inf_in[j]) { fprintf(stderr, "input %s is not a train input\n", M->inputs[j].name); return 1; }
    }
    for (int j = 0; j < M->noutputs; j++) inf_out[j] = malloc(sizeof(float) * (size_t)M->outputs[j].count);
    M->run(s, inf_in, inf_out);
    for (int j = 0; j < M->noutputs; j++) {
        char path[4096];
        snprintf(path, sizeof path, "%s.out%d.npy", argv[3], j);
        int64_t osh[8];
        for (int q = 0; q < M->outputs[j].rank; q++) osh[q] = M->outputs[j].shape[q];
        if (netc_npy_save(path, M->outputs[j].rank, osh, inf_out[j], &err)) { fprintf(stderr, "%s\n", err.msg); return 1; }
    }
    /* everything freed, so that a LeakSanitizer run (NETC_SANITIZE) reports nothing */
    for (int j = 0; j < M->noutputs; j++) free(inf_out[j]);
    for (int k = 0; k < M->ntrain_inputs; k++) netc_array_free(&in[k]);
    free(e); free(shapes); free(losses); free(s);
    return 0;
}
