/* main.c -- run one netc-generated network once on a fixed input and print
 * every output value, for a bare-metal Cortex-M (with startup.c) or, unchanged,
 * for the host (the "host twin" whose output the target's is compared with).
 *
 * The network is chosen when compiling:
 *     -DNET_HEADER='"fsrcnn.h"' -DNET=fsrcnn
 * Everything else comes from the NET_model descriptor (docs/generated-c.md), so
 * any generated network works.  Output, one value per line:
 *     net NAME batch B layout nchw state BYTES
 *     input NAME [shape] COUNT fnv1a 0xH  (for each input; H hashes its values)
 *     stack peak N bytes ..., heap H bytes  (target only: high-water mark of
 *                                         the stack, heap in use)
 *     output NAME [shape] COUNT           (for each output, then its values:)
 *     NAME[i] = %.9g 0xBITS
 *     forward ticks T                     (target: SysTick ticks; host: ns)
 *     checksum N values sum S abs A fnv1a 0xH
 *     train step I loss L 0xBITS ticks T  (with -DNET_TRAIN_STEPS=N, for a
 *                                         network built with its training step)
 * %.9g prints a float so that it reads back to the same bits; the hex is the
 * bits themselves.  The fnv1a hash of the bits tells whether two runs agree
 * exactly; sum/abs are for a tolerant comparison.
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#if !defined(NET_HEADER) || !defined(NET)
#error "compile with -DNET_HEADER='\"NAME.h\"' -DNET=NAME"
#endif
#include NET_HEADER

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)
#define NET_state CAT(NET, _state)
#define NET_model CAT(NET, _model)

#ifndef NET_SEED
#define NET_SEED 1          /* seed for NET_init's initialisers */
#endif
#ifndef NET_TRAIN_STEPS
#define NET_TRAIN_STEPS 0   /* > 0: then that many training steps (see run()) */
#endif

#if defined(__arm__) && !defined(__linux__)
/* ---- bare metal: startup.c and the linker script provide these ---------- */
#define FW_TARGET 1
unsigned long long systick_count(void);
void stack_paint(void);
unsigned long stack_peak(void);
unsigned long heap_used(void);
#include <stdlib.h>
/* The state goes to section .bss.netram (big external RAM on the AN386);
 * the I/O buffers come from the free memory after it or, when that is too
 * small, from the heap in the on-chip RAM. */
#define NETRAM __attribute__((section(".bss.netram"), aligned(8)))
extern char __netram_free[], __netram_end[];
static char *arena_next = __netram_free;
static void *arena_alloc(size_t bytes)
{
    size_t room = (size_t)(__netram_end - arena_next);
    void *p = arena_next;
    bytes = (bytes + 7u) & ~(size_t)7u;
    if (bytes > room) return malloc(bytes);
    arena_next += bytes;
    return p;
}
static unsigned long long ticks(void) { return systick_count(); }
#else
/* ---- host twin ----------------------------------------------------------- */
#include <stdlib.h>
#include <time.h>
#define NETRAM
static void *arena_alloc(size_t bytes) { return malloc(bytes); }
static unsigned long long ticks(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}
#endif

static NET_state state NETRAM;

/* The input: a fixed formula of the element's index over all inputs, in
 * [-1, 1], computed with integers and one correctly rounded division so that
 * every machine produces the same bits.  (k * 7919 + 13) mod 2001, with k
 * reduced first so that a 32-bit long cannot overflow. */
static float input_value(unsigned long k)
{
    return (float)(((k % 2001ul) * 7919ul + 13ul) % 2001ul) / 1000.0f - 1.0f;
}

/* FNV-1a over the four bytes of a float's bits, least significant first. */
static uint32_t fnv1a(uint32_t h, float v)
{
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    for (int b = 0; b < 4; b++) h = (h ^ ((bits >> (8 * b)) & 0xFFu)) * 16777619u;
    return h;
}
#define FNV_START 2166136261u

/* "input x [2,1,4,4] 32" -- and for an input, the hash of the values given to it */
static void print_tensor_head(const char *what, const netc_tensor *t, const float *in)
{
    printf("%s %s [", what, t->name);
    for (int d = 0; d < t->rank; d++) printf(d ? ",%ld" : "%ld", t->shape[d]);
    printf("] %ld", t->count);
    if (in) {
        uint32_t h = FNV_START;
        for (long j = 0; j < t->count; j++) h = fnv1a(h, in[j]);
        printf(" fnv1a 0x%08lx", (unsigned long)h);
    }
    printf("\n");
}

static int run(void)
{
    const netc_model *m = &NET_model;
    static const float *in[64];
    static float *out[64];

    printf("net %s batch %d layout %s state %lu\n", m->name, m->batch,
           m->layout ? "nhwc" : "nchw", m->state_bytes);
    if (m->state_bytes != sizeof(NET_state) || m->ninputs > 64 || m->noutputs > 64) {
        printf("error: descriptor does not match the header\n");
        return 2;
    }

    unsigned long k = 0;
    for (int i = 0; i < m->ninputs; i++) {
        float *p = arena_alloc((size_t)m->inputs[i].count * sizeof(float));
        if (!p) { printf("error: no memory for input %s\n", m->inputs[i].name); return 3; }
        for (long j = 0; j < m->inputs[i].count; j++) p[j] = input_value(k++);
        in[i] = p;
        print_tensor_head("input", &m->inputs[i], p);
    }
    for (int i = 0; i < m->noutputs; i++) {
        out[i] = arena_alloc((size_t)m->outputs[i].count * sizeof(float));
        if (!out[i]) { printf("error: no memory for output %s\n", m->outputs[i].name); return 3; }
    }

    fflush(stdout);       /* so that a fault in the network still shows the above */
#ifdef FW_TARGET
    stack_paint();
#endif
    m->init(&state, NET_SEED);
    unsigned long long t0 = ticks();
    m->run(&state, in, out);
    unsigned long long t1 = ticks();
#ifdef FW_TARGET
    printf("stack peak %lu bytes (main + init + forward), heap %lu bytes\n", stack_peak(),
           heap_used());
#endif

    double sum = 0, abs_sum = 0;
    uint32_t fnv = FNV_START;
    long n = 0;
    for (int i = 0; i < m->noutputs; i++) {
        const netc_tensor *t = &m->outputs[i];
        print_tensor_head("output", t, NULL);
        for (long j = 0; j < t->count; j++) {
            float v = out[i][j];
            uint32_t bits;
            memcpy(&bits, &v, sizeof bits);
            printf("%s[%ld] = %.9g 0x%08lx\n", t->name, j, (double)v, (unsigned long)bits);
            sum += v;
            abs_sum += v < 0 ? -v : v;
            fnv = fnv1a(fnv, v);
            n++;
        }
    }
    /* %lu, not %llu: newlib-nano's printf has no long long (it prints "lu") */
    printf("forward ticks %lu\n", (unsigned long)(t1 - t0));
    printf("checksum %ld values sum %.9g abs %.9g fnv1a 0x%08lx\n", n, sum, abs_sum,
           (unsigned long)fnv);
#if NET_TRAIN_STEPS > 0
    /* On-device training (netc build --profile firmware --train): the train
     * inputs from the same formula, k counted afresh over them; NET_TRAIN_STEPS
     * steps on that one batch, each printing its loss. */
    static const float *tin[64];
    if (!m->train_step || m->ntrain_inputs > 64) {
        printf("error: NET_TRAIN_STEPS, but the network has no training step\n");
        return 4;
    }
    k = 0;
    for (int i = 0; i < m->ntrain_inputs; i++) {
        float *p = arena_alloc((size_t)m->train_inputs[i].count * sizeof(float));
        if (!p) { printf("error: no memory for train input %s\n", m->train_inputs[i].name); return 3; }
        for (long j = 0; j < m->train_inputs[i].count; j++) p[j] = input_value(k++);
        tin[i] = p;
    }
    for (int step = 1; step <= NET_TRAIN_STEPS; step++) {
        unsigned long long s0 = ticks();
        float loss = m->train_step(&state, tin);
        unsigned long long s1 = ticks();
        uint32_t bits;
        memcpy(&bits, &loss, sizeof bits);
        printf("train step %d loss %.9g 0x%08lx ticks %lu\n", step, (double)loss, (unsigned long)bits,
               (unsigned long)(s1 - s0));
    }
#endif
    return 0;
}

int main(void)
{
    /* Fully buffered stdout: far fewer semihosting calls (each one a trap to
     * the debugger) than newlib's line buffering of a terminal.  startup.c
     * exits straight through semihosting, so flush before returning. */
    setvbuf(stdout, NULL, _IOFBF, 1024);
    int status = run();
    fflush(stdout);
    return status;
}
