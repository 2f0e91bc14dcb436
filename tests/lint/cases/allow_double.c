/* --allow-double: the same double arithmetic passes when double is allowed */
void allow_forward(const float *in, float *out)
{
    double acc = 0;
    acc += in[0] * 0.5;
    out[0] = (float)acc;
}
