/* templates/cuda/optim.cu — one optimiser step over one parameter tensor, PyTorch's
 * update rules with the C printer's arithmetic; NETC_COUNT threads, one per element.
 *   netc_optim(p, g, m, v, sc)   p parameters, g gradients, m / v optimiser state
 *                                (momentum buffer, or Adam's two moments; unused ones
 *                                may be any pointer), sc[0] = 1 - beta1^step and
 *                                sc[1] = sqrt(1 - beta2^step) (Adam, computed by the
 *                                host as the C printer does)
 * NETC_OPT 0 sgd, 1 adam, 2 adamw; NETC_LR (lr * lr_mult), NETC_B1, NETC_B2, NETC_EPS,
 * NETC_WD (weight decay), NETC_MOM (sgd momentum): float literals; NETC_NESTEROV 0/1. */
#include "elem.cuh"
#ifndef NETC_WD
#define NETC_WD 0.0f
#endif
#ifndef NETC_MOM
#define NETC_MOM 0.0f
#endif
#ifndef NETC_NESTEROV
#define NETC_NESTEROV 0
#endif

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_optim)(float *NETC_RESTRICT p, const float *NETC_RESTRICT g,
                                             float *NETC_RESTRICT m, float *NETC_RESTRICT v,
                                             const float *NETC_RESTRICT sc)
{
    NETC_IDX i = NETC_GID;
    if (i >= (NETC_IDX)NETC_COUNT) return;
#if NETC_OPT == 0
    (void)v; (void)sc;
    float gr = g[i];
    if (NETC_WD > 0.0f) gr = gr + NETC_WD * p[i];
    if (NETC_MOM > 0.0f) {
        m[i] = NETC_MOM * m[i] + gr;
        if (NETC_NESTEROV) gr = gr + NETC_MOM * m[i];
        else gr = m[i];
    }
    p[i] -= NETC_LR * gr;
#elif NETC_OPT == 1 || NETC_OPT == 2
    if (NETC_OPT == 2 && NETC_WD > 0.0f) p[i] *= 1.0f - NETC_LR * NETC_WD;
    const float gr = (NETC_OPT == 1 && NETC_WD > 0.0f) ? g[i] + NETC_WD * p[i] : g[i];
    m[i] += (1.0f - NETC_B1) * (gr - m[i]);
    v[i] = NETC_B2 * v[i] + (1.0f - NETC_B2) * gr * gr;
    p[i] -= (NETC_LR / sc[0]) * m[i] / (sqrtf(v[i]) / sc[1] + NETC_EPS);
#else
#error "optim template: unknown NETC_OPT"
#endif
}
NETC_HOST_ENTRY5(NETC_FN(netc_optim), float *, const float *, float *, float *, const float *)
