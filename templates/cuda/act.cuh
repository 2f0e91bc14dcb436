/* templates/cuda/act.cuh — the activation of one instance and its derivative.
 *
 * NETC_ACT (NETC_ACT_IDENTITY) and NETC_ALPHA (0.01f, leaky_relu / elu) select it;
 * each inclusion defines NETC_FN(netc_act) and NETC_FN(netc_act_grad_from_y) for the
 * current instance (shim.h's NETC_FN adds NETC_ID to the names).  The derivative is
 * written in terms of the output y = act(z), so backward needs only y: relu 1[y>0];
 * sigmoid y(1-y); tanh 1-y^2; softplus sigmoid(z) = 1 - exp(-y); leaky_relu 1 or
 * alpha (alpha > 0); elu 1 or y + alpha.  The same expressions as the C printer's.
 */
#include "shim.h"

#ifndef NETC_ACT_CUH
#define NETC_ACT_CUH
#define NETC_ACT_IDENTITY   0
#define NETC_ACT_RELU       1
#define NETC_ACT_SIGMOID    2
#define NETC_ACT_TANH       3
#define NETC_ACT_SOFTPLUS   4
#define NETC_ACT_LEAKY_RELU 5
#define NETC_ACT_ELU        6
#endif

#ifndef NETC_ACT
#define NETC_ACT NETC_ACT_IDENTITY
#endif
#ifndef NETC_ALPHA
#define NETC_ALPHA 0.01f
#endif

/* Without NETC_ID (one instance per source, several templates sharing it) the pair
 * is defined once. */
#if defined(NETC_ID) || !defined(NETC_ACT_FNS_DEFINED)
#ifndef NETC_ID
#define NETC_ACT_FNS_DEFINED
#endif
NETC_DEVICE_MAYBE_UNUSED float NETC_FN(netc_act)(float z)
{
#if NETC_ACT == NETC_ACT_IDENTITY
    return z;
#elif NETC_ACT == NETC_ACT_RELU
    return z > 0.0f ? z : 0.0f;
#elif NETC_ACT == NETC_ACT_SIGMOID
    return 1.0f / (1.0f + expf(-z));
#elif NETC_ACT == NETC_ACT_TANH
    return tanhf(z);
#elif NETC_ACT == NETC_ACT_SOFTPLUS
    return z > 20.0f ? z : log1pf(expf(z));      /* PyTorch's threshold */
#elif NETC_ACT == NETC_ACT_LEAKY_RELU
    return z > 0.0f ? z : (NETC_ALPHA) * z;
#elif NETC_ACT == NETC_ACT_ELU
    return z > 0.0f ? z : (NETC_ALPHA) * expm1f(z);
#else
#error "tconv template: unknown NETC_ACT"
#endif
}

NETC_DEVICE_MAYBE_UNUSED float NETC_FN(netc_act_grad_from_y)(float y)
{
#if NETC_ACT == NETC_ACT_IDENTITY
    (void)y;
    return 1.0f;
#elif NETC_ACT == NETC_ACT_RELU
    return y > 0.0f ? 1.0f : 0.0f;
#elif NETC_ACT == NETC_ACT_SIGMOID
    return y * (1.0f - y);
#elif NETC_ACT == NETC_ACT_TANH
    return 1.0f - y * y;
#elif NETC_ACT == NETC_ACT_SOFTPLUS
    return -expm1f(-y);
#elif NETC_ACT == NETC_ACT_LEAKY_RELU
    return y > 0.0f ? 1.0f : (NETC_ALPHA);
#elif NETC_ACT == NETC_ACT_ELU
    return y > 0.0f ? 1.0f : y + (NETC_ALPHA);
#endif
}
#endif
