/* stack-limit: a 1 KiB scratch array on the stack, two calls deep */
#include <string.h>

static void stack_leaf(float *dst, const float *src)
{
    float scratch[256];
    int i;
    memcpy(scratch, src, sizeof scratch);
    for (i = 0; i < 256; i++) dst[i] = scratch[255 - i] * scratch[i];
}

static void stack_middle(float *dst, const float *src)
{
    float tmp[16];
    int i;
    for (i = 0; i < 16; i++) tmp[i] = src[i];
    stack_leaf(dst, src);
    for (i = 0; i < 16; i++) dst[i] += tmp[15 - i];
}

void stack_forward(const float *in, float *out)
{
    stack_middle(out, in);
}
