/* A tiny dense+tanh network, shaped like netc's generated C (docs/generated-c.md). */
#ifndef CLEAN_H
#define CLEAN_H
#include <stddef.h>

#define clean_BATCH       2
#define clean_STATE_BYTES 48

typedef struct clean_state {
    float w[2][3];      /* fc.weight */
    float b[2];         /* fc.bias   */
    float act[2][2];    /* fc output */
} clean_state;

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
    int layout;
    unsigned long state_bytes;
    int ninputs, noutputs, nparams;
    const netc_tensor *inputs, *outputs, *params;
    void (*init)(void *state, unsigned long long seed);
    void (*run)(void *state, const float *const *inputs, float *const *outputs);
    float *(*param)(void *state, int i);
} netc_model;
#endif

void clean_init(clean_state *s, unsigned long long seed);
void clean_forward(clean_state *s, const float *in_1, float *out_1);
float *clean_param(clean_state *s, int i);
extern const netc_model clean_model;

#endif
