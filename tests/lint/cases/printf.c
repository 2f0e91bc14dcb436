/* libc: stdio for debugging left in the forward pass */
#include <stdio.h>

void printf_forward(const float *in, float *out, int n)
{
    int i;
    for (i = 0; i < n; i++) out[i] = in[i] + 1.0f;
    printf("forward done: %d values\n", n);
}
