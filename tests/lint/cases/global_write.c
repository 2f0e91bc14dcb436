/* global-write: state kept outside the caller's state struct */
#include <string.h>

static float global_running_mean[4];
int global_calls;

void global_forward(const float *in, float *out)
{
    static int seen;
    int i;
    global_calls++;
    ++seen;
    for (i = 0; i < 4; i++) {
        global_running_mean[i] = 0.9f * global_running_mean[i] + 0.1f * in[i];
        out[i] = global_running_mean[i];
    }
    *(global_running_mean + 1) += 1.0f;
}

void global_reset(void)
{
    int i;
    for (i = 0; i < 4; i++) global_running_mean[i] = 0.0f;
}

static struct { int count; float last[2]; } global_stats;

void global_clear(float *out)
{
    memset(global_running_mean, 0, sizeof global_running_mean);
    global_stats.count -= 1;
    global_stats.last[1] = out[0];
    out[1] = (float)global_stats.count;
}
