/* startup.c -- everything that runs before and after main() on a bare Cortex-M:
 * the vector table, the reset handler (FPU on, .data copied, .bss zeroed,
 * semihosting set up, main called), the fault handler, and the semihosting
 * calls that end the program with main's status.  No assembler file is needed:
 * on Cortex-M the hardware loads the stack pointer from the vector table and
 * calls the reset handler as an ordinary C function.  It also offers main a
 * SysTick tick counter and a stack high-water mark.  Symbols _estack, _sidata,
 * _sdata, _edata, _sbss, _ebss, _snetram, _enetram come from mps2-an386.ld.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

extern uint32_t _estack[], _sidata[], _sdata[], _edata[], _sbss[], _ebss[];
extern uint32_t _snetram[], _enetram[];

int main(void);
void initialise_monitor_handles(void);   /* newlib's librdimon: opens stdin/out/err */

void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);

/* ---- semihosting: the debugger (here QEMU) serves `bkpt 0xab` ------------ */
#define SYS_WRITE0        0x04      /* print a NUL-terminated string          */
#define SYS_EXIT_EXTENDED 0x20      /* stop, with an exit status (v2.0)       */
#define ADP_Stopped_ApplicationExit 0x20026

static int semihost(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile ("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* End the program: QEMU exits with `status` as its own exit code.  (Plain
 * SYS_EXIT on 32-bit Arm carries only "ok" or "error", not a number.) */
__attribute__((noreturn)) void semihost_exit(int status)
{
    uint32_t block[2] = { ADP_Stopped_ApplicationExit, (uint32_t)status };
    semihost(SYS_EXIT_EXTENDED, block);
    for (;;) __asm__ volatile ("wfi");   /* no debugger attached: just stop */
}

/* ---- a 64-bit tick counter from SysTick ---------------------------------- */
/* SysTick counts the 24-bit reload value down to 0 at the processor clock
 * (CLKSOURCE = 1) and interrupts on each wrap; the handler counts the wraps.
 * On hardware one tick is one CPU cycle.  Under QEMU the clock is virtual
 * time (see run.sh for how it is turned into an instruction count). */
#define SYST_CSR (*(volatile uint32_t *)0xE000E010u)
#define SYST_RVR (*(volatile uint32_t *)0xE000E014u)
#define SYST_CVR (*(volatile uint32_t *)0xE000E018u)
static volatile uint32_t systick_wraps;

void SysTick_Handler(void) { systick_wraps++; }

unsigned long long systick_count(void)
{
    uint32_t w, v;
    do { w = systick_wraps; v = SYST_CVR; } while (w != systick_wraps);
    return ((unsigned long long)w << 24) + (0xFFFFFFu - v);
}

static void systick_start(void)
{
    SYST_RVR = 0xFFFFFFu;
    SYST_CVR = 0;                 /* any write clears it */
    SYST_CSR = 7;                 /* ENABLE | TICKINT | CLKSOURCE=processor */
    for (int i = 0; i < 100000 && SYST_CVR == 0; i++) {}
                                  /* wait for the first reload: until then the
                                     count would read as a full period (bounded,
                                     as SysTick is optional on a Cortex-M0) */
}

/* ---- stack high-water mark ----------------------------------------------- */
/* stack_paint() fills the free stack below the current stack pointer, at most
 * STACK_PAINT bytes of it and never within HEAP_RESERVE of the heap's current
 * end, with a pattern; stack_peak() finds the lowest word that no longer holds
 * it and returns the deepest the stack has been since, in bytes below _estack
 * (a result at the painted limit means "at least that much"). */
#define STACK_PATTERN 0xA5C3A5C3u
#define STACK_PAINT   (256u * 1024u)      /* plenty for generated code */
#define HEAP_RESERVE  (16u * 1024u)       /* for what printf still allocates */
static uint32_t *stack_floor;
void *_sbrk(ptrdiff_t incr);              /* newlib's heap break */

void stack_paint(void)
{
    uint32_t *sp;
    __asm__ volatile ("mov %0, sp" : "=r"(sp));
    volatile uint32_t *p = (uint32_t *)(((uintptr_t)_sbrk(0) + HEAP_RESERVE) & ~(uintptr_t)7);
    if (p < sp && (uintptr_t)sp - (uintptr_t)p > STACK_PAINT) p = sp - STACK_PAINT / 4;
    stack_floor = p < sp - 32 ? (uint32_t *)p : NULL;   /* NULL: RAM too small */
    while (p < sp - 32) *p++ = STACK_PATTERN;    /* volatile: no memset call that */
}                                                /* would use the stack it paints */

/* Bytes of heap handed out so far (newlib's stdio buffers, and I/O buffers
 * that did not fit in NETRAM). */
unsigned long heap_used(void)
{
    extern char end[];                    /* the heap's start, from the linker */
    return (unsigned long)((char *)_sbrk(0) - end);
}

unsigned long stack_peak(void)
{
    const uint32_t *p = stack_floor;
    if (!p) return 0;
    while (p < _estack && *p == STACK_PATTERN) p++;
    return (unsigned long)((char *)_estack - (char *)p);
}

/* ---- reset -------------------------------------------------------------- */
void Reset_Handler(void)
{
#if defined(__ARM_FP)
    /* Give privileged and user code full access to coprocessors 10 and 11
     * (the FPU): CPACR bits 20..23.  Must come before any float instruction,
     * and the barriers make the change visible to the next instruction. */
    volatile uint32_t *cpacr = (volatile uint32_t *)0xE000ED88u;
    *cpacr |= 0xFu << 20;
    __asm__ volatile ("dsb\n\tisb" ::: "memory");
#endif
    /* C's promise: initialised statics hold their values, the rest are 0. */
    memcpy(_sdata, _sidata, (size_t)((char *)_edata - (char *)_sdata));
    memset(_sbss, 0, (size_t)((char *)_ebss - (char *)_sbss));
    memset(_snetram, 0, (size_t)((char *)_enetram - (char *)_snetram));

    initialise_monitor_handles();
    systick_start();
    semihost_exit(main());
}

/* Any fault (or an unexpected interrupt) ends the run with status 100 + the
 * exception number, e.g. 103 for a HardFault, so a test cannot mistake it for
 * success and never hangs on it. */
void Fault_Handler(void)
{
    uint32_t ipsr;
    __asm__ volatile ("mrs %0, ipsr" : "=r"(ipsr));
    semihost(SYS_WRITE0, "\nfirmware: fault; exit status = 100 + exception number\n");
    semihost_exit(100 + (int)(ipsr & 0x1FF));
}

/* ---- the vector table: initial stack pointer, then the handlers ---------- */
__attribute__((section(".vectors"), used))
static const uintptr_t vectors[16] = {
    (uintptr_t)_estack,            /*  0 initial SP                          */
    (uintptr_t)Reset_Handler,      /*  1 reset                               */
    (uintptr_t)Fault_Handler,      /*  2 NMI                                 */
    (uintptr_t)Fault_Handler,      /*  3 HardFault                           */
    (uintptr_t)Fault_Handler,      /*  4 MemManage (not on M0)               */
    (uintptr_t)Fault_Handler,      /*  5 BusFault  (not on M0)               */
    (uintptr_t)Fault_Handler,      /*  6 UsageFault (not on M0)              */
    0, 0, 0, 0,                    /*  7-10 reserved                         */
    (uintptr_t)Fault_Handler,      /* 11 SVCall                              */
    (uintptr_t)Fault_Handler,      /* 12 DebugMonitor                        */
    0,                             /* 13 reserved                            */
    (uintptr_t)Fault_Handler,      /* 14 PendSV                              */
    (uintptr_t)SysTick_Handler,    /* 15 SysTick (main.c times with it)      */
};
