/* double: every way float code slips into double on a single-precision FPU */
#include <math.h>

static float double_scale(double k, float v)
{
    return (float)k * v;
}

void double_forward(const float *in, float *out)
{
    double acc = 0;
    float y = in[0] * 0.5;
    float z = in[1];
    acc += in[2];
    z *= 0.25;
    out[0] = y + z + (float)acc;
    out[1] = (float)exp(in[3]);
    out[2] = double_scale(in[4], 2.0f);
    out[3] = in[5] > 0.0 ? in[5] : 0.0f;
    out[4] = expf(in[6]) * 1.5f;
    {
        double keep = in[7];
        out[5] = (float)keep;
        keep++;
        out[6] = (float)-keep;
    }
}
