/* [lint:clang]: warnings clang reports under -Wall -Wextra -pedantic */
void warning_forward(const float *in, float *out, int n)
{
    int i, unused;
    for (i = 0; i < n; i++) out[i] = in[i];
}

int warning_sign(unsigned n, int m)
{
    return n < m;
}
