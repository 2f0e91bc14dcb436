/*
 * netc.h — the one header of the netc compiler, sectioned by the file that defines
 * each part (as chibicc does), so every file's exports are visible in one place.
 *
 * The pipeline:  source ─parse─▶ AST ─build─▶ Net IR ─passes─▶ checked Net
 *                ─lower─▶ Schedule ─print─▶ C (or CUDA).
 * Everything a compilation allocates comes from one Arena and is freed in one go.
 */
#ifndef NETC_H
#define NETC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define NETC_VERSION "0.1.0"
#define MAX_SPATIAL 3   /* 1-D, 2-D, 3-D */
#define MAX_RANK 6      /* per-sample shape: [T,] C, spatial... */

/* ───────────────────────────── arena.c ───────────────────────────── */

typedef struct Arena Arena;
Arena *arena_new(void);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t size);            /* zeroed */
char *arena_strdup(Arena *a, const char *s);
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(Arena *a, const char *fmt, va_list ap);

/* A growable array of pointers, backed by the arena (old blocks are simply dropped). */
typedef struct PtrVec { void **v; int n, cap; } PtrVec;
void vec_push(Arena *a, PtrVec *vec, void *p);

/* ───────────────────────────── diag.c ────────────────────────────── */

typedef struct Source {
    const char *path;
    const char *text;   /* NUL-terminated */
    size_t len;
} Source;

/* A place in a source: 1-based line and column, and the width of the caret run. */
typedef struct Loc { const Source *src; int line, col, len; } Loc;

typedef enum { SEV_ERROR, SEV_WARNING, SEV_NOTE } Severity;

typedef struct Diag {
    Severity sev;
    Loc loc;
    const char *msg;
    const char *hint;   /* may be NULL: printed under the caret as "hint: ..." */
} Diag;

/* Errors are data: passes append, the driver prints and picks the exit code. */
typedef struct Diags {
    Arena *arena;
    Diag *v;
    int n, cap;
    int errors, warnings;
    int max_errors;      /* stop recording past this many (0 = unlimited) */
} Diags;

void diag_add(Diags *d, Severity sev, Loc loc, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define error_at(d, loc, ...)   diag_add((d), SEV_ERROR, (loc), NULL, __VA_ARGS__)
#define warning_at(d, loc, ...) diag_add((d), SEV_WARNING, (loc), NULL, __VA_ARGS__)
#define note_at(d, loc, ...)    diag_add((d), SEV_NOTE, (loc), NULL, __VA_ARGS__)
#define error_hint(d, loc, hint, ...) diag_add((d), SEV_ERROR, (loc), (hint), __VA_ARGS__)
void diags_print(const Diags *d, FILE *out);
/* The closest of `cands` (NULL-terminated) to `word`, or NULL if none is close. */
const char *did_you_mean(const char *word, const char *const *cands);

/* ─────────────────────── AST (grammar/net.y) ─────────────────────── */

typedef enum {
    V_INT,     /* i (and r = i) */
    V_REAL,    /* r */
    V_STRING,  /* s */
    V_BOOL,    /* i: 0 or 1 */
    V_IDENT,   /* s */
    V_LIST,    /* items, n */
    V_CALL,    /* s = callee, name_loc; items, n = arguments; attrs when has_attrs */
    V_OBJECT,  /* s = name, name_loc; attrs */
} ValueKind;

typedef struct Attr Attr;
typedef struct Value Value;

struct Value {
    ValueKind kind;
    Loc loc;
    long long i;
    double r;
    const char *s;
    Loc name_loc;
    Value **items;
    int n;
    Attr *attrs;      /* linked list */
    bool has_attrs;
};

struct Attr {
    const char *name;
    Loc loc;          /* of the name */
    Value *value;
    Attr *next;
};

typedef enum {
    ST_INPUT,    /* name, shape (V_LIST of V_INT), attrs */
    ST_OUTPUT,   /* names, nnames */
    ST_TRAIN,    /* attrs (each `name = value;`) */
    ST_ASSIGN,   /* name = value */
} StmtKind;

typedef struct Stmt {
    StmtKind kind;
    Loc loc;
    const char *name;
    Loc name_loc;
    Value *value;        /* ST_ASSIGN: the right-hand side; ST_INPUT: the shape */
    Attr *attrs;         /* ST_INPUT's { } and ST_TRAIN's settings */
    const char **names;  /* ST_OUTPUT */
    Loc *name_locs;
    int nnames;
    struct Stmt *next;
} Stmt;

typedef struct NetAst {
    const char *name;
    Loc loc;
    Stmt *stmts;
    struct NetAst *next;
} NetAst;

/* ───────────────────────────── parse.c ───────────────────────────── */

/* Parse `src`; syntax errors go to `d`. Returns the list of networks (possibly
 * partial when there were errors; the driver stops after parsing if d->errors). */
NetAst *parse_source(Arena *a, const Source *src, Diags *d);
Value *ast_value(Arena *a, ValueKind k, Loc loc);

/* ───────────────────────── IR (ir.c, layers.c) ───────────────────── */

typedef enum { LAYOUT_NCHW, LAYOUT_NHWC } Layout;

/* Per-sample shape, channels first: [C, spatial...], or [T, C, spatial...] for
 * values produced under time_distributed (td = true). */
typedef struct Shape {
    int rank;
    int64_t d[MAX_RANK];
} Shape;

typedef enum { ACT_IDENTITY, ACT_RELU, ACT_SIGMOID, ACT_TANH, ACT_SOFTPLUS,
               ACT_LEAKY_RELU, ACT_ELU } ActKind;
typedef struct Activation { ActKind kind; double alpha; } Activation;

typedef enum { INIT_XAVIER, INIT_MSRA, INIT_CONST, INIT_NORMAL, INIT_UNIFORM } InitKind;
typedef enum { VN_IN, VN_OUT, VN_AVERAGE } VarNorm;
typedef struct Init { InitKind kind; VarNorm norm; double a, b; } Init;
/* a: value (const), std (normal), low (uniform); b: high (uniform) */

typedef enum { PAD_NONE, PAD_SAME, PAD_HALF, PAD_EXPLICIT } PadForm;
typedef struct Padding {
    PadForm form;
    int nvals;                 /* PAD_EXPLICIT: 1 (scalar), else per-axis count */
    bool pairs;                /* per-axis [begin, end] pairs */
    int64_t v[MAX_SPATIAL][2]; /* as written, before resolution */
    int64_t flat[2 * MAX_SPATIAL]; /* a flat list longer than 3, kept to show the nested form */
} Padding;

/* An integer-per-axis attribute: one number for every axis, or a list. */
typedef struct Spatial { int n; int64_t v[MAX_SPATIAL]; } Spatial;  /* n = 0: scalar in v[0] */

/* Attribute types the checker knows how to read. */
typedef enum {
    AT_INT, AT_REAL, AT_BOOL, AT_SPATIAL, AT_PADDING, AT_ACTIVATION, AT_INIT,
    AT_SHAPE, AT_ENUM,
} AttrType;

/* Every attribute name any layer kind accepts, once: X(ENUM, "name", type, enums).
 * `enums` lists the words an AT_ENUM attribute accepts. */
#define NETC_ATTRS(X)                                                  \
    X(FILTERS, "filters", AT_INT, NULL)                                \
    X(UNITS, "units", AT_INT, NULL)                                    \
    X(KERNEL, "kernel", AT_SPATIAL, NULL)                              \
    X(STRIDE, "stride", AT_SPATIAL, NULL)                              \
    X(DILATION, "dilation", AT_SPATIAL, NULL)                          \
    X(PADDING, "padding", AT_PADDING, NULL)                            \
    X(OUTPUT_PADDING, "output_padding", AT_SPATIAL, NULL)              \
    X(OUTPUT_SHAPE, "output_shape", AT_SPATIAL, NULL)                  \
    X(GROUPS, "groups", AT_INT, NULL)                                  \
    X(BIAS, "bias", AT_BOOL, NULL)                                     \
    X(ACTIVATION, "activation", AT_ACTIVATION, NULL)                   \
    X(WEIGHT_INIT, "weight_init", AT_INIT, NULL)                       \
    X(BIAS_INIT, "bias_init", AT_INIT, NULL)                           \
    X(LR_MULT, "lr_mult", AT_REAL, NULL)                               \
    X(TRAINABLE, "trainable", AT_BOOL, NULL)                           \
    X(INFERENCE_OUTPUT, "inference_output", AT_BOOL, NULL)             \
    X(TIME_DISTRIBUTED, "time_distributed", AT_BOOL, NULL)             \
    X(ALPHA, "alpha", AT_REAL, NULL)                                   \
    X(MOMENTUM, "momentum", AT_REAL, NULL)                             \
    X(EPS, "eps", AT_REAL, NULL)                                       \
    X(SHAPE, "shape", AT_SHAPE, NULL)                                  \
    X(FACTOR, "factor", AT_SPATIAL, NULL)                              \
    X(MODE, "mode", AT_ENUM, mode_words)

typedef enum {
#define X(e, name, type, enums) A_##e,
    NETC_ATTRS(X)
#undef X
    A__COUNT
} AttrId;

typedef struct AttrInfo { const char *name; AttrType type; const char *const *enums; } AttrInfo;
extern const AttrInfo attr_info[A__COUNT];
extern const char *const mode_words[];
extern const char *const activation_words[];
extern const char *const init_words[];

/* A checked attribute value: `given` says whether the file set it. */
typedef struct AttrVal {
    bool given;
    Loc loc;
    int64_t i;     /* AT_INT, AT_BOOL, AT_ENUM (index into enums) */
    double r;      /* AT_REAL */
    Spatial sp;    /* AT_SPATIAL */
    Padding pad;   /* AT_PADDING */
    Activation act;
    Init init;
    Shape shape;   /* AT_SHAPE */
} AttrVal;

/* One attribute a layer kind accepts, with its default (when not required). */
typedef struct AttrUse { AttrId id; bool required; AttrVal def; } AttrUse;

struct Net;
struct Layer;

/* What a layer computes; the lowering and the printers switch on this. */
typedef enum {
    OP_TCONV, OP_CONV, OP_MAXPOOL, OP_AVGPOOL, OP_DENSE, OP_ACT, OP_BATCHNORM,
    OP_ADD, OP_CONCAT, OP_RESHAPE, OP_UPSAMPLE,
} LayerOp;

/* A layer kind: the table row that drives checking, shape inference and printing. */
typedef struct LayerKind {
    const char *name;
    const char *aliases[3];
    LayerOp op;
    ActKind act;                 /* OP_ACT: which activation */
    int min_inputs, max_inputs;  /* max -1: unbounded */
    const AttrUse *attrs;        /* terminated by id == A__COUNT */
    /* Shape inference and per-kind validation (reads L->a[], sets L->shape, params,
     * macs). Returns false after adding errors to d. */
    bool (*infer)(struct Net *net, struct Layer *L, Diags *d);
} LayerKind;

/* Resolved geometry of a conv / tconv / pool on each spatial axis. */
typedef struct ConvGeom {
    int nsp;                         /* spatial rank 1..3 */
    int64_t in[MAX_SPATIAL], out[MAX_SPATIAL];
    int64_t k[MAX_SPATIAL], s[MAX_SPATIAL], dil[MAX_SPATIAL];
    int64_t pb[MAX_SPATIAL], pe[MAX_SPATIAL];   /* padding at begin / end */
    int64_t op[MAX_SPATIAL];                    /* tconv output_padding */
    int64_t cin, cout, groups;
} ConvGeom;

typedef struct Layer {
    int id;                /* index in net->layers */
    const char *name;
    Loc loc;               /* of the name */
    bool is_input;
    /* the call as written: kind name, arguments, attributes */
    const char *kind_name;
    Loc kind_loc;
    const LayerKind *kind;       /* NULL for inputs (and unknown kinds) */
    Value *call;
    /* inputs, resolved by pass_resolve */
    int nin;
    struct Layer **in;
    Loc *in_loc;
    /* checked attributes (pass_check_attrs), indexed by AttrId */
    AttrVal a[A__COUNT];
    /* results of shape inference */
    Shape shape;           /* per-sample output shape */
    bool td;               /* time_distributed: shape[0] is T */
    ConvGeom g;            /* conv, tconv, pools */
    int64_t params;        /* trainable parameter count */
    int64_t buffers;       /* non-trainable state (batchnorm running stats) */
    int64_t macs;          /* per sample */
    bool shaped;           /* shape inference succeeded */
    /* graph facts */
    int uses;              /* number of readers */
    bool is_output;
    Loc output_loc;
    bool target_only;      /* input used only as a loss target */
} Layer;

typedef enum { LOSS_MSE, LOSS_L1, LOSS_BCE, LOSS_CROSS_ENTROPY } LossKind;
typedef enum { OPT_SGD, OPT_ADAM, OPT_ADAMW } OptKind;

typedef struct Train {
    Loc loc;
    Attr *attrs;
    bool checked;
    LossKind loss;
    Layer *pred, *target;
    OptKind opt;
    double lr, beta1, beta2, eps, weight_decay, momentum, clip_norm;
    bool nesterov;
    int64_t epochs, steps;
} Train;

typedef struct Net {
    const char *name;
    Loc loc;
    NetAst *ast;
    int64_t batch;
    Layout layout;
    PtrVec layers;         /* Layer*, in source order (inputs included) */
    PtrVec outputs;        /* Layer*, declared outputs then inference_outputs */
    Train *train;          /* NULL when there is no train block */
} Net;

typedef struct Program {
    Arena *arena;
    const Source *src;
    PtrVec nets;           /* Net* */
} Program;

/* layers.c — the table of layer kinds */
extern const LayerKind *const layer_kinds[];
const LayerKind *find_layer_kind(const char *name);
const char *const *layer_kind_names(Arena *a);   /* for "did you mean" */
Layer *net_find(Net *net, const char *name, int before);
int shape_elems_ok(const Shape *s, int64_t *out);
int64_t shape_count(const Shape *s);
char *shape_str(Arena *a, const Shape *s);
const char *act_name(ActKind k);

/* ───────────────────────── ir.c: AST → IR ───────────────────────── */

/* Build nets from the AST: settings, inputs, layers, outputs, train block. */
bool build_program(Program *p, NetAst *ast, Diags *d);
void dump_program(const Program *p, FILE *out);

/* ───────────────────── passes, one file each ─────────────────────── */

bool pass_resolve(Net *net, Diags *d);        /* resolve.c */
bool pass_check_attrs(Net *net, Diags *d);    /* check_attrs.c */
bool pass_infer_shapes(Net *net, Diags *d);   /* infer_shapes.c */
bool pass_validate(Net *net, Diags *d);       /* validate.c */
bool pass_check_train(Net *net, Diags *d);    /* check_train.c */

/* Run every pass over every net in `p`. Stops after the first pass that found
 * errors. `dump_after`: pass name whose output IR to print to `dump`, or NULL. */
bool run_passes(Program *p, Diags *d, const char *dump_after, FILE *dump);

/* Shared by the conv-like kinds (layer_conv.c). */
bool conv_resolve_geometry(Net *net, Layer *L, bool transposed, Diags *d);

/* ─────────────────────────── report.c ────────────────────────────── */

void report_table(const Program *p, FILE *out);
void report_json(const Program *p, FILE *out);
int64_t net_param_count(const Net *net);
int64_t net_peak_activation_bytes(const Net *net);

/* ─────────────────────────── main.c ──────────────────────────────── */

/* Read a whole file into memory (NUL-terminated); NULL and errno on failure. */
char *read_file(const char *path, size_t *len);

#endif
