/* templates/cuda/upsample.cu — nearest upsampling by factors F over x [NC, I0, I1, I2]:
 *   netc_upsample_fwd(x, y)     y[i*F + r] = x[i]; one thread per output
 *   netc_upsample_bwd(gy, gx)   gx[i] += the sum of gy over its F0*F1*F2 copies, in
 *                               the C printer's order; one thread per input
 * Defines: NETC_NC, NETC_I0..2, NETC_F0..2 (unused axes 1). */
#include "elem.cuh"
#ifndef NETC_I1
#define NETC_I1 1
#endif
#ifndef NETC_I2
#define NETC_I2 1
#endif
#ifndef NETC_F1
#define NETC_F1 1
#endif
#ifndef NETC_F2
#define NETC_F2 1
#endif
#define NETC_UO0 (NETC_I0 * NETC_F0)
#define NETC_UO1 (NETC_I1 * NETC_F1)
#define NETC_UO2 (NETC_I2 * NETC_F2)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_upsample_fwd)(const float *NETC_RESTRICT x, float *NETC_RESTRICT y)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= (NETC_IDX)NETC_NC * NETC_UO0 * NETC_UO1 * NETC_UO2) return;
    NETC_IDX r = gid;
    int o2 = (int)(r % NETC_UO2); r /= NETC_UO2;
    int o1 = (int)(r % NETC_UO1); r /= NETC_UO1;
    int o0 = (int)(r % NETC_UO0);
    NETC_IDX nc = r / NETC_UO0;
    y[gid] = x[nc * (NETC_I0 * NETC_I1 * NETC_I2) + ((o0 / NETC_F0) * NETC_I1 + o1 / NETC_F1) * NETC_I2 + o2 / NETC_F2];
}
NETC_HOST_ENTRY2(NETC_FN(netc_upsample_fwd), const float *, float *)

NETC_KERNEL(NETC_BLOCK) NETC_FN(netc_upsample_bwd)(const float *NETC_RESTRICT gy, float *NETC_RESTRICT gx)
{
    NETC_IDX gid = NETC_GID;
    if (gid >= (NETC_IDX)NETC_NC * NETC_I0 * NETC_I1 * NETC_I2) return;
    NETC_IDX r = gid;
    int i2 = (int)(r % NETC_I2); r /= NETC_I2;
    int i1 = (int)(r % NETC_I1); r /= NETC_I1;
    int i0 = (int)(r % NETC_I0);
    NETC_IDX nc = r / NETC_I0;
    const float *g = gy + nc * (NETC_UO0 * NETC_UO1 * NETC_UO2);
    float acc = gx[gid];
    for (int r0 = 0; r0 < NETC_F0; r0++)
        for (int r1 = 0; r1 < NETC_F1; r1++)
            for (int r2 = 0; r2 < NETC_F2; r2++)
                acc += g[((i0 * NETC_F0 + r0) * NETC_UO1 + i1 * NETC_F1 + r1) * NETC_UO2 + i2 * NETC_F2 + r2];
    gx[gid] = acc;
}
NETC_HOST_ENTRY2(NETC_FN(netc_upsample_bwd), const float *, float *)
