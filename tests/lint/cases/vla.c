/* vla: a scratch buffer sized at run time lives on an unbounded stack */
void vla_forward(const float *in, float *out, int n)
{
    float tmp[n];
    float grid[4][n];
    int i;
    for (i = 0; i < n; i++) tmp[i] = in[i];
    for (i = 0; i < n; i++) grid[i % 4][i] = tmp[i];
    for (i = 0; i < n; i++) out[i] = grid[i % 4][i];
}
