/* heap: scratch memory from malloc instead of the state struct */
#include <stdlib.h>

void heap_forward(const float *in, float *out, int n)
{
    float *tmp = malloc((size_t)n * sizeof *tmp);
    int i;
    for (i = 0; i < n; i++) tmp[i] = in[i] * 2.0f;
    for (i = 0; i < n; i++) out[i] = tmp[i];
    free(tmp);
}
