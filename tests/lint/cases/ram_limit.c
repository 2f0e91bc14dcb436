/* ram-limit: 2 x 1024 floats of state, more than a 4 KiB part has */
typedef struct ram_state {
    float weight[1024];
    float act[1024];
} ram_state;

typedef struct ram_small_state {
    float bias[16];
} ram_small_state;

void ram_forward(ram_state *s, ram_small_state *t, const float *in, float *out)
{
    int i;
    for (i = 0; i < 1024; i++) s->act[i] = s->weight[i] * in[i] + t->bias[i & 15];
    for (i = 0; i < 1024; i++) out[i] = s->act[i];
}
