/* tests/build: a sigmoid output held at sigmoid(-46) ~ 1e-20 against a zero
 * target (subnormal.net): its slope times the loss gradient (~1e-42) is subnormal
 * unless the backward pass flushes it.  Exit 1 when any float of the state is
 * subnormal after one training step. */
#include <math.h>
#include <stdio.h>
#include "sub.h"
int main(void) {
    static sub_state s;
    static float x[32], t[64];
    sub_init(&s, 1);
    float *w = sub_param(&s, 0), *b = sub_param(&s, 1);
    for (int i = 0; i < 8; i++) w[i] = 0.0f;
    b[0] = -46.0f;
    for (int i = 0; i < 32; i++) x[i] = 1.0f;
    float loss = sub_train_step(&s, x, t);
    int n = 0;
    for (unsigned i = 0; i < sizeof s.arena / sizeof s.arena[0]; i++) n += fpclassify(s.arena[i]) == FP_SUBNORMAL;
    for (unsigned i = 0; i < sizeof s.grads / sizeof s.grads[0]; i++) n += fpclassify(s.grads[i]) == FP_SUBNORMAL;
    printf("loss %g, %d subnormal floats in the state\n", loss, n);
    return n != 0;
}
