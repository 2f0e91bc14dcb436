/* recursion: two functions calling each other, through a third */
static int mutual_odd(int n);

static int mutual_even(int n)
{
    return n == 0 ? 1 : mutual_odd(n - 1);
}

static int mutual_step(int n)
{
    return mutual_even(n - 1);
}

static int mutual_odd(int n)
{
    return n == 0 ? 0 : mutual_step(n);
}

void mutual_forward(const float *in, float *out)
{
    out[0] = mutual_even((int)in[0]) ? in[1] : in[2];
}
