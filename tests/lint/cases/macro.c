/* Rules hold inside macro expansions, where libclang 14 cannot show which
 * token is the operator: writes are found from the operand, not the token. */
#define MACRO_SET(a, b) ((a) = (b))
#define MACRO_ADD(a, b) ((a) += (b))
#define MACRO_BUMP(a) ((a)++)
#define MACRO_HALF(x) ((x) * 0.5)
#define MACRO_TWICE(x) ((x) * 2.0f)

static int macro_count;
static float macro_sum;

void macro_forward(const float *in, float *out)
{
    float local = 0.0f;
    MACRO_SET(macro_count, 3);
    MACRO_ADD(macro_sum, in[0]);
    MACRO_BUMP(macro_count);
    MACRO_SET(local, in[1]);
    MACRO_BUMP(local);
    out[0] = (float)MACRO_HALF(in[2]);
    out[1] = MACRO_TWICE(local);
    out[2] = (float)*&local;
}
