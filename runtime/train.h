/* train.h — the training side of the standalone program: `NAME train` and `NAME eval`
 * (runtime/train.c), and the full netc_model descriptor of docs/generated-c.md.
 *
 * The descriptor is declared here under the same NETC_MODEL_DEFINED guard the generated
 * headers use, so runtime files compiled without a generated header (program.c,
 * train.c) see exactly the layout the compiler emits, training entries included.
 */
#ifndef NETC_TRAIN_H
#define NETC_TRAIN_H

#include <stdio.h>

#ifndef NETC_MODEL_DEFINED
#define NETC_MODEL_DEFINED
typedef struct netc_tensor {
    const char *name;
    int rank;
    long shape[8];
    long count;
} netc_tensor;

typedef struct netc_model {
    const char *name;
    int batch;
    int layout;                      /* 0 = nchw, 1 = nhwc */
    unsigned long state_bytes;
    int ninputs, noutputs, nparams;
    const netc_tensor *inputs, *outputs, *params;
    void (*init)(void *state, unsigned long long seed);
    void (*run)(void *state, const float *const *inputs, float *const *outputs);
    float *(*param)(void *state, int i);
    /* training: all zero / NULL when the network has no train block */
    int ntrain_inputs;
    const netc_tensor *train_inputs;
    float (*train_step)(void *state, const float *const *inputs);
    float (*eval_loss)(void *state, const float *const *inputs);
    int nopt;
    const netc_tensor *opt;
    float *(*opt_data)(void *state, int i);
    unsigned long long *(*step_count)(void *state);
    long epochs, steps;
    const char *loss_name;
    /* the state's run-time clip_norm (non-zero replaces the train block's; < 0: none);
     * NULL when the train step cannot take one (the CUDA build) */
    float *(*clip_norm)(void *state);
} netc_model;
#endif

/* The network the program was built for (NAME_main.c defines it). */
extern const netc_model *const netc_program_model;

/* `NAME train ...` and `NAME eval ...`: argv[0] is the command word.  Return the
 * process exit status: 0 done, 1 a data/file/numeric error, 2 a usage error,
 * 130 interrupted (after saving the checkpoint when --save was given). */
int netc_cmd_train(int argc, char **argv);
int netc_cmd_eval(int argc, char **argv);

/* Usage lines of both commands, for the program's help text. */
void netc_train_usage(FILE *f);

/* 1 when `name` names optimiser state of one of the network's parameters (a checkpoint
 * entry that is not a parameter), so weight loaders accept checkpoints.  Reads only
 * the inference entries of the descriptor. */
int netc_is_opt_tensor(const char *name);

#endif
