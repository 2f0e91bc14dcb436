/* probe.c -- checks examples/firmware/startup.c and run.sh themselves, apart
 * from any network: built with startup.c and -DPROBE=... it ends in one way:
 *   PROBE=1  prints a line and returns 7        (expect exit status 7)
 *   PROBE=2  reads an unmapped address          (expect 103: HardFault)
 *   PROBE=3  spins for ever                     (expect run.sh's timeout, 124)
 *   PROBE=4  float maths and 2 MB of .bss       (expect 0: FPU on, .bss zeroed,
 *            .data copied)
 */
#include <stdio.h>
#include <stdint.h>

#if PROBE == 4
static volatile float gain = 1.5f;          /* .data: must be copied        */
static uint32_t big[512 * 1024];            /* .bss, 2 MB: must be zero     */
#endif

int main(void)
{
#if PROBE == 1
    printf("probe: hello from the target\n");
    fflush(stdout);
    return 7;
#elif PROBE == 2
    return (int)*(volatile uint32_t *)0xFFFFFFF0u;   /* no memory there: BusFault,
                                                    escalated to HardFault */
#elif PROBE == 3
    for (;;) __asm__ volatile ("nop");
#elif PROBE == 4
    for (size_t i = 0; i < sizeof big / sizeof big[0]; i += 4099)
        if (big[i] != 0) return 1;
    float x = gain;
    for (int i = 0; i < 10; i++) x = x * gain + 0.25f;   /* FPU instructions */
    printf("probe: x = %.9g\n", (double)x);
    fflush(stdout);
    return x > 100.0f && x < 200.0f ? 0 : 2;
#else
#error "compile with -DPROBE=1..4"
#endif
}
