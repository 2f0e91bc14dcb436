/* compiler/nvrtc.h — build-time kernel compilation: CUDA C source + #defines to
 * CUBIN (one per architecture) and PTX (forward compatibility) through NVRTC, and
 * the same source to a host shared object for the emulator (runtime/cuda_fake.c).
 *
 * NVRTC is dlopen'ed on first use (libnvrtc.so.13, .so.12, .so, then
 * $CUDA_HOME/lib64 and /usr/local/cuda/lib64; $NETC_NVRTC overrides), so netc
 * builds and runs without the CUDA toolkit and only a CUDA build needs it.  No CUDA
 * header is needed to build this file: the few NVRTC types are declared here.
 *
 * Strictness: a compile fails when the log holds any warning (NVRTC's or ptxas'),
 * and, unless allowed, when ptxas reports spill stores or loads for any kernel.
 * ptxas runs verbose (--ptxas-options=-v) for every CUBIN; its per-kernel figures
 * (registers, shared/constant memory, stack, spills) are returned in `stats`.
 */
#ifndef NETC_NVRTC_H
#define NETC_NVRTC_H
#include <stddef.h>

/* Image kinds; the same values as NETC_CUDA_IMAGE_* in runtime/cuda_driver.h. */
enum { NETC_IMAGE_CUBIN = 1, NETC_IMAGE_PTX = 2, NETC_IMAGE_HOST = 3 };

typedef struct netc_image {
    int kind;               /* NETC_IMAGE_CUBIN, NETC_IMAGE_PTX or NETC_IMAGE_HOST  */
    int arch;               /* 86 for sm_86 / compute_86; 0 for HOST               */
    unsigned char *data;    /* malloc'ed; PTX is NUL-terminated (size counts it)   */
    size_t size;
} netc_image;

typedef struct netc_kernel_stats {
    char name[96];          /* kernel (entry function) name                        */
    int arch;               /* sm_XX it was compiled for                           */
    int regs;               /* registers per thread                                */
    long smem;              /* static shared memory, bytes                         */
    long cmem;              /* constant bank 0 (parameters), bytes                 */
    long stack;             /* stack frame, bytes                                  */
    long spill_stores, spill_loads;   /* bytes                                     */
} netc_kernel_stats;

typedef struct netc_kernel_src {
    const char *name;               /* program name shown in diagnostics            */
    const char *source;             /* CUDA C text (may #include from include_dirs) */
    const char *const *defines;     /* "NAME=VALUE" or "NAME", prepended as #define */
    int ndefines;
    const char *const *include_dirs;
    int ninclude_dirs;
} netc_kernel_src;

typedef struct netc_nvrtc_opts {
    const int *archs;       /* sm_XX numbers; NULL: netc_nvrtc_default_archs        */
    int narchs;
    int ptx_arch;           /* compute_XX for the PTX; 0: the lowest arch; -1: none */
    int allow_spills;       /* 0: a spill is an error                               */
    const char *const *extra;   /* extra NVRTC options                              */
    int nextra;
} netc_nvrtc_opts;

typedef struct netc_nvrtc_result {
    netc_image *images;     /* CUBINs in arch order, then the PTX                   */
    int nimages;
    netc_kernel_stats *stats;   /* one per kernel per CUBIN arch                    */
    int nstats;
    char *log;              /* every compilation's log, labelled by arch            */
} netc_nvrtc_result;

/* Load NVRTC (once).  0 on success; otherwise -1 with a message in err. */
int netc_nvrtc_load(char *err, size_t errlen);
/* NVRTC's version; 0 or -1. */
int netc_nvrtc_version(int *major, int *minor);
/* Architectures NVRTC can target (sm numbers, ascending); returns the count or -1. */
int netc_nvrtc_supported_archs(int *archs, int max);
/* netc's defaults (sm_75 80 86 89 90 100 120) that this NVRTC supports; count or -1. */
int netc_nvrtc_default_archs(int *archs, int max);

/* Compile src for every arch (CUBIN) plus one PTX.  0 on success, filling *res
 * (free with netc_nvrtc_result_free, also after a failure); -1 with a message. */
int netc_nvrtc_compile(const netc_kernel_src *src, const netc_nvrtc_opts *opts,
                       netc_nvrtc_result *res, char *err, size_t errlen);
void netc_nvrtc_result_free(netc_nvrtc_result *res);

/* The emulator's image: compile src as C11 (templates/cuda/shim.h) with the host C
 * compiler `cc` (NULL: $CC or "cc") and `flags` (extra words, may be NULL, split on
 * spaces, e.g. sanitizer flags) into the shared object out_so, -Wall -Wextra
 * -Werror.  0 or -1 with the compiler's diagnostics in err. */
int netc_host_compile(const netc_kernel_src *src, const char *cc, const char *flags,
                      const char *out_so, char *err, size_t errlen);
/* Read a file into a netc_image of the given kind; 0 or -1. */
int netc_image_read(netc_image *img, int kind, int arch, const char *path);

/* ---- instantiating the tconv templates (templates/cuda/tconv_*.cu) ---------------- */
typedef struct netc_tconv_spec {
    int dims;                       /* spatial axes, 1..3                              */
    int n, cin, cout, groups;       /* batch, channels, groups                         */
    int in[3], kernel[3], stride[3], dilation[3];   /* per axis, outer to inner       */
    int pad_begin[3], pad_end[3], out_pad[3];       /* out_pad: output_padding         */
    int bias;                       /* 1: a bias                                       */
    int act;                        /* NETC_ACT_* of tconv_common.cuh: 0 identity,
                                       1 relu, 2 sigmoid, 3 tanh, 4 softplus,
                                       5 leaky_relu, 6 elu                             */
    double alpha;                   /* leaky_relu / elu                                */
    int block;                      /* threads per block; 0: 256                       */
    int wide_index;                 /* 1: force NETC_IDX long long (else automatic)    */
} netc_tconv_spec;

enum { NETC_TCONV_MAX_DEFINES = 40 };

typedef struct netc_tconv_inst {
    char text[NETC_TCONV_MAX_DEFINES][64];
    const char *defines[NETC_TCONV_MAX_DEFINES];    /* for netc_kernel_src.defines    */
    int ndefines;
    int out[3];                     /* output size per axis (1 beyond dims)           */
    int block;                      /* NETC_BLOCK: every launch uses it               */
    unsigned long long threads_fwd; /* netc_tconv_fwd and netc_tconv_dact: N*COUT*O   */
    unsigned long long threads_dx;  /* netc_tconv_dx: N*CIN*I                          */
    unsigned long long threads_dw;  /* netc_tconv_dw: CIN*COUT/G*K + COUT*bias         */
} netc_tconv_inst;

/* Check a spec and produce its #defines (O from LANGUAGE.md's formula, NETC_TS for
 * strides above 16, NETC_IDX long long when an index could pass 2^31) and launch
 * sizes.  0, or -1 with a message in err. */
int netc_tconv_instantiate(const netc_tconv_spec *s, netc_tconv_inst *out, char *err,
                           size_t errlen);

/* Exposed for tests: the full text (defines + source), malloc'ed. */
char *netc_kernel_text(const netc_kernel_src *src);
/* Parse a ptxas -v log for arch; returns the number of kernels found (<= max). */
int netc_ptxas_parse(const char *log, int arch, netc_kernel_stats *out, int max);
/* Nonzero when a compiler log holds a warning. */
int netc_log_has_warning(const char *log);

#endif /* NETC_NVRTC_H */
