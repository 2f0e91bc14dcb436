#include "clean.h"
#include <math.h>
#include <string.h>

static const float clean_w0[6] = { 0.5f, -0.25f, 0.125f, 1.0f, -1.0f, 0.75f };

/* xorshift64*, scaled to [-0.5, 0.5) */
static float clean_uniform(unsigned long long *x)
{
    *x ^= *x >> 12;
    *x ^= *x << 25;
    *x ^= *x >> 27;
    return (float)((*x * 2685821657736338717ull) >> 40) / 16777216.0f - 0.5f;
}

void clean_init(clean_state *s, unsigned long long seed)
{
    unsigned long long x = seed | 1u;
    memcpy(s->w, clean_w0, sizeof s->w);
    s->b[0] = clean_uniform(&x);
    s->b[1] = clean_uniform(&x);
}

static float clean_sigmoid(float v)
{
    return 1.0f / (1.0f + expf(-v));
}

void clean_forward(clean_state *s, const float *in_1, float *out_1)
{
    int n;
    for (n = 0; n < clean_BATCH; n++) {
        const float *x = in_1 + n * 3;
        /* unrolled: 2 outputs x 3 inputs */
        s->act[n][0] = s->b[0] + s->w[0][0] * x[0] + s->w[0][1] * x[1] + s->w[0][2] * x[2];
        s->act[n][1] = s->b[1] + s->w[1][0] * x[0] + s->w[1][1] * x[1] + s->w[1][2] * x[2];
        out_1[n * 2 + 0] = tanhf(s->act[n][0]);
        out_1[n * 2 + 1] = clean_sigmoid(fmaxf(s->act[n][1], 0.0f));
    }
}

float *clean_param(clean_state *s, int i)
{
    return i == 0 ? &s->w[0][0] : i == 1 ? s->b : NULL;
}

static void clean_init_any(void *state, unsigned long long seed)
{
    clean_init((clean_state *)state, seed);
}

static void clean_run(void *state, const float *const *inputs, float *const *outputs)
{
    clean_forward((clean_state *)state, inputs[0], outputs[0]);
}

static float *clean_param_any(void *state, int i)
{
    return clean_param((clean_state *)state, i);
}

static const netc_tensor clean_inputs[1] = { { "x", 2, { clean_BATCH, 3 }, 6 } };
static const netc_tensor clean_outputs[1] = { { "y", 2, { clean_BATCH, 2 }, 4 } };
static const netc_tensor clean_params[2] = {
    { "fc.weight", 2, { 2, 3 }, 6 },
    { "fc.bias", 1, { 2 }, 2 },
};

const netc_model clean_model = {
    "clean", clean_BATCH, 0, sizeof(clean_state), 1, 1, 2,
    clean_inputs, clean_outputs, clean_params,
    clean_init_any, clean_run, clean_param_any,
};
