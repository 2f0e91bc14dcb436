/* lint.c — `netc lint DIR`: prove that generated C is fit for firmware.
 *
 * Every .c file in DIR (not its subdirectories) is parsed with libclang as C99
 * (`-std=c99 -Wall -Wextra -pedantic -I DIR`, plus any -D/-U/-I from --cflags).
 * Each finding is a *breach*, printed as `file:line:col: rule: message` with the
 * file relative to DIR, sorted by place; the exit status is 1 when there is any.
 *
 * Rules, and how each is decided:
 *   [lint:clang]   any clang warning or error; printed as clang words it, with
 *                  "warning:"/"error:" in place of the rule name and the tag after.
 *   include        a system header included directly from DIR other than
 *                  <string.h> <math.h> <stddef.h> <stdint.h> <float.h> <limits.h>
 *                  <stdbool.h> (generated code includes only the first three).
 *   heap           a call to malloc, calloc, realloc, free, aligned_alloc or alloca.
 *   libc           a call to any function that is neither defined in DIR nor on
 *                  the allow-list below (printf, exit, exp, ...).
 *   indirect-call  a call through a function pointer: the call graph, hence the
 *                  recursion and stack proofs, cannot follow it.
 *   recursion      a cycle in the call graph of the functions defined in DIR
 *                  (Tarjan's strongly connected components); one line per cycle,
 *                  at the first function of the cycle, naming the chain `f -> g -> f`.
 *   vla            a variable whose type is (or contains) a variable-length array.
 *   double         (off with --allow-double) inside function bodies: a binary,
 *                  compound-assignment or unary arithmetic operator computing in
 *                  double (an operand is double, e.g. an unsuffixed literal 0.5
 *                  next to a float), a call returning double, and an implicit
 *                  float -> double conversion not already covered by one of those
 *                  (a float passed to a double parameter or to `...`, stored into
 *                  a double).  Explicit `(double)` casts are left to the
 *                  arithmetic that follows them.
 *   global-write   an assignment, compound assignment, ++ or --, or the
 *                  destination of memcpy/memmove/memset, whose target (through
 *                  member, subscript, deref and pointer arithmetic) is a
 *                  file-scope or static variable.  Generated code writes only
 *                  through its pointer parameters and to locals.
 *   mutable-global a file-scope or static object whose type is not const
 *                  (arrays: their element type).
 *   ram-limit      sum of sizeof(T) over every typedef T named *_state (clang's
 *                  layout for the host) exceeds --max-ram.
 *   stack-limit    the deepest call chain exceeds --max-stack.  Each file is
 *                  compiled with `CC -std=c99 -Os -fstack-usage CFLAGS -I DIR -c`
 *                  into a temporary directory; a function's frame is the number
 *                  in its .su line (gcc clones like f.constprop.0 count as f); a
 *                  chain's cost is the sum of the frames along it, following the
 *                  call graph (recursive back-edges are cut and reported by the
 *                  recursion rule; functions inlined away count 0; allow-listed
 *                  library calls count 0).  Flash is text+data of the same
 *                  objects, read with `size` (for CC `<prefix>gcc`, `<prefix>size`).
 *                  With --max-stack, a stack that could not be measured (no .su
 *                  files) is a breach too: the limit is not proven.
 *   build          CC failed on a file (its messages go to stderr); flash and
 *                  stack are then not measured.
 *
 * Allow-list — memory: memcpy memmove memset memcmp; <math.h> float functions:
 *   expf exp2f expm1f logf log2f log10f log1pf powf sqrtf cbrtf hypotf tanhf sinhf
 *   coshf sinf cosf tanf asinf acosf atanf atan2f erff erfcf fabsf fmaxf fminf
 *   fmodf floorf ceilf roundf truncf rintf nearbyintf lrintf lroundf copysignf
 *   ldexpf frexpf; and the constant-folded builtins glibc's <math.h> macros expand
 *   to (INFINITY, NAN, HUGE_VALF, isnan, isinf, isfinite, signbit, fpclassify).
 *
 * After the breaches comes a short summary (static RAM, flash, deepest chain);
 * --json prints one JSON object with the breaches and the summary instead.
 * Exit status: 0 clean, 1 breaches, 2 usage error or a DIR that cannot be read.
 */
#include "lint.h"

#include <clang-c/Index.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ------------------------------------------------------------------ lists */

static const char *const lint_allowed[] = {
    "memcpy", "memmove", "memset", "memcmp",
    "expf", "exp2f", "expm1f", "logf", "log2f", "log10f", "log1pf", "powf",
    "sqrtf", "cbrtf", "hypotf", "tanhf", "sinhf", "coshf", "sinf", "cosf", "tanf",
    "asinf", "acosf", "atanf", "atan2f", "erff", "erfcf", "fabsf", "fmaxf",
    "fminf", "fmodf", "floorf", "ceilf", "roundf", "truncf", "rintf",
    "nearbyintf", "lrintf", "lroundf", "copysignf", "ldexpf", "frexpf",
    "__builtin_inff", "__builtin_nanf", "__builtin_huge_valf", "__builtin_isnan",
    "__builtin_isinf", "__builtin_isinf_sign", "__builtin_isfinite",
    "__builtin_signbit", "__builtin_signbitf", "__builtin_fpclassify",
    "__builtin_isnormal", NULL,
};

static const char *const lint_heap_fns[] = {
    "malloc", "calloc", "realloc", "free", "aligned_alloc", "alloca",
    "__builtin_alloca", "posix_memalign", NULL,
};

static const char *const lint_system_headers[] = {
    "string.h", "math.h", "stddef.h", "stdint.h", "float.h", "limits.h",
    "stdbool.h", NULL,
};

static int lint_in(const char *const *list, const char *s)
{
    for (; *list; list++)
        if (strcmp(*list, s) == 0) return 1;
    return 0;
}

/* ------------------------------------------------------------- utilities */

static void *lint_grow(void *p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return p;
    size_t n = *cap ? *cap * 2 : 16;
    while (n < need) n *= 2;
    p = realloc(p, n * elem);
    if (!p) { fprintf(stderr, "lint: out of memory\n"); exit(2); }
    *cap = n;
    return p;
}

static char *lint_strdup(const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d) { fprintf(stderr, "lint: out of memory\n"); exit(2); }
    return d;
}

static char *lint_fmt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *lint_fmt(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = malloc((size_t)n + 1);
    if (!s) { fprintf(stderr, "lint: out of memory\n"); exit(2); }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

/* A growable string, for building chains and JSON. */
typedef struct { char *s; size_t n, cap; } Buf;

static void buf_add(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_add(Buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    b->s = lint_grow(b->s, &b->cap, b->n + (size_t)n + 1, 1);
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

static void buf_json_str(Buf *b, const char *s)
{
    buf_add(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') buf_add(b, "\\%c", c);
        else if (c == '\n') buf_add(b, "\\n");
        else if (c == '\t') buf_add(b, "\\t");
        else if (c < 0x20) buf_add(b, "\\u%04x", c);
        else buf_add(b, "%c", c);
    }
    buf_add(b, "\"");
}

/* ------------------------------------------------------------ the state */

typedef struct {           /* one breach */
    char *file;            /* relative to DIR when inside it                */
    unsigned line, col;
    char *rule;            /* rule name, or "warning"/"error" from clang    */
    char *msg;
    int clang;             /* 1: a clang diagnostic, printed with [lint:clang] */
    size_t seq;            /* insertion order, to keep the sort stable      */
} Diag;

typedef struct {           /* one function, called or defined */
    char *usr, *name;
    char *file;            /* where defined (relative), NULL if not in DIR  */
    unsigned line, col;
    int defined;
    long long stack;       /* frame bytes from the .su files, -1 unknown    */
    int dynamic;           /* .su said "dynamic" without "bounded"          */
} Fn;

typedef struct {           /* one call site */
    int caller, callee;
    char *file;
    unsigned line, col;
} Call;

typedef struct { char *name; long long bytes; char *file; unsigned line, col; } State;

typedef struct {
    /* options */
    const char *dir;
    const char *shown;                 /* DIR as the report names it (netc build --verify) */
    char realdir[PATH_MAX];
    long long max_ram, max_stack;      /* -1: no limit */
    const char *cc;
    char **cflags; int ncflags; size_t capcflags;
    int json, allow_double;
    /* findings */
    Diag *diags; size_t ndiags, capdiags;
    Fn *fns; size_t nfns, capfns;
    int *fn_hash; size_t hashcap;      /* open addressing, USR -> fns index */
    Call *calls; size_t ncalls, capcalls;
    State *states; size_t nstates, capstates;
    char **files; size_t nfiles, capfiles;       /* the .c files, sorted */
    /* resources */
    long long ram, flash_text, flash_data;
    int flash_known, stack_known;
    long long stack_bytes;
    int *chain; size_t nchain, capchain;   /* the deepest chain, root first */
    int stack_unbounded;
    /* the last file named, valid during one translation unit */
    CXFile last_file;
    char *last_name;
} Lint;

static void lint_diag(Lint *L, const char *file, unsigned line, unsigned col,
                      const char *rule, int clang, char *msg)
{
    L->diags = lint_grow(L->diags, &L->capdiags, L->ndiags + 1, sizeof *L->diags);
    Diag *d = &L->diags[L->ndiags];
    d->file = lint_strdup(file);
    d->line = line;
    d->col = col;
    d->rule = lint_strdup(rule);
    d->msg = msg;
    d->clang = clang;
    d->seq = L->ndiags++;
}

/* --------------------------------------------------------------- places */

/* The name of a file as printed: relative to DIR when it lies inside it. */
static char *lint_relname(Lint *L, CXFile f)
{
    if (L->last_file && clang_File_isEqual(L->last_file, f)) return lint_strdup(L->last_name);
    CXString s = clang_getFileName(f);
    const char *p = clang_getCString(s);
    char *real = p ? realpath(p, NULL) : NULL;
    size_t n = strlen(L->realdir);
    char *out;
    if (real && strncmp(real, L->realdir, n) == 0 && real[n] == '/')
        out = lint_strdup(real + n + 1);
    else
        out = lint_strdup(p ? p : "<unknown>");
    free(real);
    clang_disposeString(s);
    free(L->last_name);                      /* one-entry cache: realpath is slow */
    L->last_file = f;
    L->last_name = lint_strdup(out);
    return out;
}

/* Where a location is, as file (malloc'd, relative), line, column. */
static char *lint_where(Lint *L, CXSourceLocation loc, unsigned *line, unsigned *col)
{
    CXFile f;
    clang_getExpansionLocation(loc, &f, line, col, NULL);
    if (!f) { *line = *col = 0; return lint_strdup("<unknown>"); }
    return lint_relname(L, f);
}

static void lint_report(Lint *L, CXCursor c, const char *rule, char *msg)
{
    unsigned line, col;
    char *file = lint_where(L, clang_getCursorLocation(c), &line, &col);
    lint_diag(L, file, line, col, rule, 0, msg);
    free(file);
}

/* ------------------------------------------------------------ functions */

static size_t lint_hash(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static void lint_rehash(Lint *L)
{
    free(L->fn_hash);
    L->hashcap = L->hashcap ? L->hashcap * 2 : 64;
    L->fn_hash = malloc(L->hashcap * sizeof *L->fn_hash);
    if (!L->fn_hash) { fprintf(stderr, "lint: out of memory\n"); exit(2); }
    for (size_t i = 0; i < L->hashcap; i++) L->fn_hash[i] = -1;
    for (size_t i = 0; i < L->nfns; i++) {
        size_t h = lint_hash(L->fns[i].usr) & (L->hashcap - 1);
        while (L->fn_hash[h] >= 0) h = (h + 1) & (L->hashcap - 1);
        L->fn_hash[h] = (int)i;
    }
}

/* The index of the function a FunctionDecl cursor names, added on first sight.
 * Functions are keyed by USR, so `static` functions of different files differ
 * while an external function is one node across translation units. */
static int lint_fn(Lint *L, CXCursor decl)
{
    CXString u = clang_getCursorUSR(decl);
    CXString n = clang_getCursorSpelling(decl);
    const char *usr = clang_getCString(u);
    if (!usr || !*usr) usr = clang_getCString(n);
    if ((L->nfns + 1) * 2 > L->hashcap) lint_rehash(L);
    size_t h = lint_hash(usr) & (L->hashcap - 1);
    int found = -1;
    while (L->fn_hash[h] >= 0) {
        if (strcmp(L->fns[L->fn_hash[h]].usr, usr) == 0) { found = L->fn_hash[h]; break; }
        h = (h + 1) & (L->hashcap - 1);
    }
    if (found < 0) {
        L->fns = lint_grow(L->fns, &L->capfns, L->nfns + 1, sizeof *L->fns);
        Fn *f = &L->fns[L->nfns];
        memset(f, 0, sizeof *f);
        f->usr = lint_strdup(usr);
        f->name = lint_strdup(clang_getCString(n));
        f->stack = -1;
        found = (int)L->nfns++;
        L->fn_hash[h] = found;
    }
    clang_disposeString(u);
    clang_disposeString(n);
    return found;
}

/* ---------------------------------------------------------- AST helpers */

typedef struct { CXCursor c[4]; int n; } Kids;

static enum CXChildVisitResult lint_kids_cb(CXCursor c, CXCursor parent, CXClientData d)
{
    (void)parent;
    Kids *k = d;
    if (k->n < 4) k->c[k->n] = c;
    k->n++;
    return CXChildVisit_Continue;
}

static Kids lint_kids(CXCursor c)
{
    Kids k = { .n = 0 };
    clang_visitChildren(c, lint_kids_cb, &k);
    if (k.n > 4) k.n = 4;
    return k;
}

static int lint_is_double(CXType t)
{
    t = clang_getCanonicalType(t);
    return t.kind == CXType_Double || t.kind == CXType_LongDouble;
}

static int lint_is_float(CXType t)
{
    t = clang_getCanonicalType(t);
    return t.kind == CXType_Float || t.kind == CXType_Half || t.kind == CXType_Float16;
}

static int lint_is_pointerish(CXType t)
{
    t = clang_getCanonicalType(t);
    return t.kind == CXType_Pointer || t.kind == CXType_ConstantArray ||
           t.kind == CXType_IncompleteArray || t.kind == CXType_VariableArray;
}

/* Strip implicit casts and parentheses. */
static CXCursor lint_strip(CXCursor c)
{
    for (;;) {
        enum CXCursorKind k = clang_getCursorKind(c);
        if (k != CXCursor_UnexposedExpr && k != CXCursor_ParenExpr) return c;
        Kids kids = lint_kids(c);
        if (kids.n != 1) return c;
        c = kids.c[0];
    }
}

/* Operator tokens, to name an operator in a message.  libclang 14 gives an
 * expression expanded from a macro the extent of the whole macro invocation, so
 * the token found there may be anything: one that is not an operator of the
 * expected kind is replaced by "?".  Rules never depend on these tokens. */
static const char *const lint_binary_ops[] = {
    "=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "<<=", ">>=", "+", "-", "*",
    "/", "%", "<", ">", "<=", ">=", "==", "!=", "&&", "||", "&", "|", "^", "<<", ">>",
    ",", NULL,
};
static const char *const lint_unary_ops[] = { "++", "--", "-", "+", "!", "~", "*", "&", NULL };

/* The spelling of one token in a cursor's extent: which 0, the first
 * punctuation at or after byte `from` of the file; 1, the first token; 2, the
 * last.  "?" when there is none. */
static void lint_token(CXTranslationUnit tu, CXCursor c, unsigned from, int which,
                       char *out, size_t n)
{
    CXToken *toks = NULL;
    unsigned ntoks = 0;
    snprintf(out, n, "?");
    clang_tokenize(tu, clang_getCursorExtent(c), &toks, &ntoks);
    for (unsigned i = 0; i < ntoks; i++) {
        unsigned idx = which == 2 ? ntoks - 1 - i : i;
        if (which == 0) {
            unsigned off;
            clang_getSpellingLocation(clang_getTokenLocation(tu, toks[idx]), NULL, NULL,
                                      NULL, &off);
            if (off < from || clang_getTokenKind(toks[idx]) != CXToken_Punctuation)
                continue;
        }
        CXString s = clang_getTokenSpelling(tu, toks[idx]);
        snprintf(out, n, "%s", clang_getCString(s));
        clang_disposeString(s);
        break;
    }
    if (toks) clang_disposeTokens(tu, toks, ntoks);
}

/* The operator of a binary operator cursor whose left operand is lhs. */
static void lint_binop(CXTranslationUnit tu, CXCursor c, CXCursor lhs, char *out, size_t n)
{
    unsigned end;
    clang_getSpellingLocation(clang_getRangeEnd(clang_getCursorExtent(lhs)), NULL, NULL,
                              NULL, &end);
    lint_token(tu, c, end, 0, out, n);
    if (!lint_in(lint_binary_ops, out)) snprintf(out, n, "?");
}

/* The operator of a unary operator cursor: its first token when that is an
 * operator (prefix), else its last (postfix ++ or --). */
static void lint_unop(CXTranslationUnit tu, CXCursor c, char *out, size_t n)
{
    lint_token(tu, c, 0, 1, out, n);
    if (lint_in(lint_unary_ops, out)) return;
    lint_token(tu, c, 0, 2, out, n);
    if (strcmp(out, "++") != 0 && strcmp(out, "--") != 0) snprintf(out, n, "?");
}

/* The text of a floating literal: its token, or its value when the literal
 * comes from a macro (the token there would be the macro's name). */
static void lint_literal(CXTranslationUnit tu, CXCursor lit, char *out, size_t n)
{
    lint_token(tu, lit, 0, 1, out, n);
    if (strcspn(out, "0123456789.") == 0) return;
    CXEvalResult r = clang_Cursor_Evaluate(lit);
    snprintf(out, n, "%g", r ? clang_EvalResult_getAsDouble(r) : 0.0);
    if (r) clang_EvalResult_dispose(r);
}

/* The variable an lvalue expression ultimately names, looking through members,
 * subscripts, dereferences, casts and pointer arithmetic (`s->a[i]` names the
 * parameter s, `g.x[2]` the global g); a null cursor when the root is not a
 * variable, e.g. a call's result. */
static CXCursor lint_target(CXCursor e)
{
    for (int depth = 0; depth < 64; depth++) {
        enum CXCursorKind k = clang_getCursorKind(e);
        Kids kids = lint_kids(e);
        switch (k) {
        case CXCursor_DeclRefExpr: {
            CXCursor r = clang_getCursorReferenced(e);
            return clang_getCursorKind(r) == CXCursor_VarDecl ? r : clang_getNullCursor();
        }
        case CXCursor_ParenExpr:
        case CXCursor_UnexposedExpr:
        case CXCursor_CStyleCastExpr:
        case CXCursor_UnaryOperator:
        case CXCursor_MemberRefExpr:
            if (kids.n == 0) return clang_getNullCursor();
            /* a cast's type reference comes first, its operand last; a member
             * access's base is its only child; a unary operator matters only
             * when it dereferences a pointer */
            e = k == CXCursor_CStyleCastExpr ? kids.c[kids.n - 1] : kids.c[0];
            if (k == CXCursor_UnaryOperator && !lint_is_pointerish(clang_getCursorType(e)))
                return clang_getNullCursor();
            break;
        case CXCursor_ArraySubscriptExpr:
        case CXCursor_BinaryOperator:
            if (kids.n != 2) return clang_getNullCursor();
            if (lint_is_pointerish(clang_getCursorType(kids.c[0]))) e = kids.c[0];
            else if (lint_is_pointerish(clang_getCursorType(kids.c[1]))) e = kids.c[1];
            else return clang_getNullCursor();
            break;
        default:
            return clang_getNullCursor();
        }
    }
    return clang_getNullCursor();
}

/* Is the type of unary operator u the pointee of its operand's type, i.e. is u
 * a dereference `*p`?  (Its opposite, `&x`, has a pointer to the operand's type.) */
static int lint_is_deref(CXCursor u, CXCursor operand)
{
    CXType t = clang_getCanonicalType(clang_getCursorType(operand));
    return t.kind == CXType_Pointer &&
           clang_equalTypes(clang_getCanonicalType(clang_getPointeeType(t)),
                            clang_getCanonicalType(clang_getCursorType(u)));
}

static int lint_is_address_of(CXCursor u, CXCursor operand)
{
    CXType t = clang_getCanonicalType(clang_getCursorType(u));
    return t.kind == CXType_Pointer &&
           clang_equalTypes(clang_getCanonicalType(clang_getPointeeType(t)),
                            clang_getCanonicalType(clang_getCursorType(operand)));
}

/* Is operand e used as an object rather than read as a value?  clang wraps an
 * operand it reads in an implicit lvalue-to-rvalue conversion (an UnexposedExpr
 * to libclang), so an operand that is a bare variable, member, element or
 * dereference is being stored to (or has its address taken).  This holds inside
 * macro expansions too, where the operator's token cannot be seen. */
static int lint_is_lvalue(CXCursor e)
{
    for (int depth = 0; depth < 64; depth++) {
        Kids k = lint_kids(e);
        switch (clang_getCursorKind(e)) {
        case CXCursor_ParenExpr:
            if (k.n != 1) return 0;
            e = k.c[0];
            break;
        case CXCursor_DeclRefExpr:
            return clang_getCursorKind(clang_getCursorReferenced(e)) == CXCursor_VarDecl;
        case CXCursor_MemberRefExpr:
        case CXCursor_ArraySubscriptExpr:
            return 1;
        case CXCursor_UnaryOperator:
            return k.n == 1 && lint_is_deref(e, k.c[0]);
        default:
            return 0;
        }
    }
    return 0;
}

static int lint_is_file_scope(CXCursor var)
{
    return clang_getCursorKind(clang_getCursorSemanticParent(var)) ==
           CXCursor_TranslationUnit;
}

static char *lint_spelling(CXCursor c)
{
    CXString s = clang_getCursorSpelling(c);
    char *r = lint_strdup(clang_getCString(s));
    clang_disposeString(s);
    return r;
}

/* ---------------------------------------------------------------- walking */

typedef struct {
    Lint *L;
    CXTranslationUnit tu;
    int fn;                     /* current function (index into fns), -1 at file scope */
    CXCursor *covered;          /* float->double conversions an operator report covers */
    size_t ncovered, capcovered;
} Walk;

static void lint_cover(Walk *w, CXCursor c)
{
    w->covered = lint_grow(w->covered, &w->capcovered, w->ncovered + 1, sizeof *w->covered);
    w->covered[w->ncovered++] = c;
}

static int lint_is_covered(Walk *w, CXCursor c)
{
    /* clang_equalCursors also compares the parent declaration libclang recorded
     * on the way down, which differs between walks; the expression node is
     * what identifies a cursor here */
    for (size_t i = 0; i < w->ncovered; i++)
        if (w->covered[i].kind == c.kind && w->covered[i].data[1] == c.data[1]) return 1;
    return 0;
}

/* global-write: report when the expression being written names a global. */
static void lint_check_write(Walk *w, CXCursor at, CXCursor lvalue, const char *how)
{
    CXCursor v = lint_target(lvalue);
    if (clang_Cursor_isNull(v) || !clang_Cursor_hasVarDeclGlobalStorage(v)) return;
    char *name = lint_spelling(v);
    lint_report(w->L, at, "global-write",
                lint_fmt("%s writes %s '%s'", how,
                         lint_is_file_scope(v) ? "file-scope variable" : "static variable",
                         name));
    free(name);
}

/* An operator for a message: 'op', or a description when it came from a macro. */
static const char *lint_quote_op(const char *op)
{
    static char buf[16];
    if (strcmp(op, "?") == 0) return "an operator expanded from a macro";
    snprintf(buf, sizeof buf, "'%s'", op);
    return buf;
}

static void lint_check_binop(Walk *w, CXCursor c)
{
    Kids k = lint_kids(c);
    if (k.n != 2) return;
    char op[8] = "";
    /* `=` and the compound assignments store to their left operand; the
     * operator's token is needed only for the message */
    if (clang_getCursorKind(c) == CXCursor_CompoundAssignOperator || lint_is_lvalue(k.c[0])) {
        CXCursor v = lint_target(k.c[0]);
        if (!clang_Cursor_isNull(v) && clang_Cursor_hasVarDeclGlobalStorage(v)) {
            lint_binop(w->tu, c, k.c[0], op, sizeof op);
            char how[32];
            if (clang_getCursorKind(c) == CXCursor_BinaryOperator)
                snprintf(how, sizeof how, "'='");
            else if (strcmp(op, "?") != 0 && strcmp(op, "=") != 0 && op[strlen(op) - 1] == '=')
                snprintf(how, sizeof how, "'%s'", op);
            else
                snprintf(how, sizeof how, "a compound assignment");
            lint_check_write(w, c, k.c[0], how);
        }
        if (clang_getCursorKind(c) == CXCursor_BinaryOperator) return;  /* `=`: no arithmetic */
    }
    if (w->L->allow_double) return;
    int d0 = lint_is_double(clang_getCursorType(k.c[0]));
    int d1 = lint_is_double(clang_getCursorType(k.c[1]));
    if (!d0 && !d1) return;
    if (!*op) lint_binop(w->tu, c, k.c[0], op, sizeof op);
    if (strcmp(op, ",") == 0) return;                            /* not arithmetic */
    lint_cover(w, k.c[0]);
    lint_cover(w, k.c[1]);
    /* name the culprit when it is an unsuffixed literal beside a float */
    for (int i = 0; i < 2; i++) {
        CXCursor lit = lint_strip(k.c[i]);
        CXCursor other = lint_strip(k.c[1 - i]);
        if (clang_getCursorKind(lit) == CXCursor_FloatingLiteral &&
            lint_is_double(clang_getCursorType(lit)) &&
            lint_is_float(clang_getCursorType(other))) {
            char text[64];
            lint_literal(w->tu, lit, text, sizeof text);
            lint_report(w->L, c, "double",
                        lint_fmt("unsuffixed literal %s makes %s compute in double "
                                 "(write %sf)", text, lint_quote_op(op), text));
            return;
        }
    }
    lint_report(w->L, c, "double", lint_fmt("%s computes in double", lint_quote_op(op)));
}

static void lint_check_unop(Walk *w, CXCursor c)
{
    Kids k = lint_kids(c);
    if (k.n != 1) return;
    char op[8] = "";
    /* an operand used as an object, not as the target of `&`: ++ or -- */
    if (lint_is_lvalue(k.c[0]) && !lint_is_address_of(c, k.c[0])) {
        CXCursor v = lint_target(k.c[0]);
        if (!clang_Cursor_isNull(v) && clang_Cursor_hasVarDeclGlobalStorage(v)) {
            lint_unop(w->tu, c, op, sizeof op);
            char how[32];
            if (strcmp(op, "++") == 0 || strcmp(op, "--") == 0)
                snprintf(how, sizeof how, "'%s'", op);
            else
                snprintf(how, sizeof how, "an increment or decrement");
            lint_check_write(w, c, k.c[0], how);
        }
    }
    if (w->L->allow_double || !lint_is_double(clang_getCursorType(c))) return;
    if (lint_is_deref(c, k.c[0])) return;            /* reading a double is not arithmetic */
    if (clang_getCursorKind(lint_strip(k.c[0])) == CXCursor_FloatingLiteral) return;
    if (!*op) lint_unop(w->tu, c, op, sizeof op);
    lint_cover(w, k.c[0]);
    lint_report(w->L, c, "double", lint_fmt("%s computes in double", lint_quote_op(op)));
}

/* An implicit conversion (libclang shows ImplicitCastExpr as UnexposedExpr)
 * from float to double that no operator report has covered. */
static void lint_check_promotion(Walk *w, CXCursor c, CXCursor parent)
{
    if (w->L->allow_double || !lint_is_double(clang_getCursorType(c))) return;
    Kids k = lint_kids(c);
    if (k.n != 1 || !lint_is_float(clang_getCursorType(k.c[0]))) return;
    if (lint_is_covered(w, c)) return;
    if (clang_getCursorKind(parent) == CXCursor_CallExpr) {
        char *callee = lint_spelling(parent);
        lint_report(w->L, c, "double",
                    lint_fmt("float argument promoted to double in call to %s", callee));
        free(callee);
    } else {
        lint_report(w->L, c, "double", lint_fmt("float converted to double"));
    }
}

static void lint_check_call(Walk *w, CXCursor c)
{
    CXCursor ref = clang_getCursorReferenced(c);
    if (clang_getCursorKind(ref) != CXCursor_FunctionDecl) {
        lint_report(w->L, c, "indirect-call",
                    lint_fmt("call through a function pointer; the call graph and the "
                             "stack bound cannot follow it"));
        return;
    }
    Lint *L = w->L;
    int callee = lint_fn(L, ref);
    L->calls = lint_grow(L->calls, &L->capcalls, L->ncalls + 1, sizeof *L->calls);
    Call *k = &L->calls[L->ncalls++];
    k->caller = w->fn;
    k->callee = callee;
    k->file = lint_where(L, clang_getCursorLocation(c), &k->line, &k->col);
    const char *name = L->fns[callee].name;
    if (strcmp(name, "memcpy") == 0 || strcmp(name, "memmove") == 0 ||
        strcmp(name, "memset") == 0) {
        int nargs = clang_Cursor_getNumArguments(c);
        if (nargs > 0) lint_check_write(w, c, clang_Cursor_getArgument(c, 0), name);
    }
    if (!L->allow_double && lint_is_double(clang_getCursorType(c)))
        lint_report(L, c, "double", lint_fmt("call to %s returns double", name));
}

/* Does a type (or, for arrays, its element type) carry const? */
static int lint_is_const(CXType t)
{
    for (int depth = 0; depth < 16; depth++) {
        if (clang_isConstQualifiedType(t)) return 1;
        CXType c = clang_getCanonicalType(t);
        if (clang_isConstQualifiedType(c)) return 1;
        if (c.kind != CXType_ConstantArray && c.kind != CXType_IncompleteArray &&
            c.kind != CXType_VariableArray)
            return 0;
        t = clang_getArrayElementType(c);
    }
    return 0;
}

static int lint_has_vla(CXType t)
{
    for (int depth = 0; depth < 16; depth++) {
        t = clang_getCanonicalType(t);
        if (t.kind == CXType_VariableArray) return 1;
        if (t.kind != CXType_ConstantArray && t.kind != CXType_IncompleteArray) return 0;
        t = clang_getArrayElementType(t);
    }
    return 0;
}

static void lint_check_var(Walk *w, CXCursor c)
{
    char *name = lint_spelling(c);
    CXType t = clang_getCursorType(c);
    if (lint_has_vla(t))
        lint_report(w->L, c, "vla", lint_fmt("'%s' is a variable-length array", name));
    /* an extern declaration is judged where the object is defined */
    int declaration_only = clang_Cursor_getStorageClass(c) == CX_SC_Extern &&
                           !clang_isCursorDefinition(c);
    if (clang_Cursor_hasVarDeclGlobalStorage(c) && !declaration_only && !lint_is_const(t))
        lint_report(w->L, c, "mutable-global",
                    lint_fmt("%s '%s' is not const",
                             lint_is_file_scope(c) ? "file-scope object" : "static object",
                             name));
    free(name);
}

static void lint_check_typedef(Walk *w, CXCursor c)
{
    char *name = lint_spelling(c);
    size_t n = strlen(name);
    Lint *L = w->L;
    if (n > 6 && strcmp(name + n - 6, "_state") == 0) {
        for (size_t i = 0; i < L->nstates; i++)
            if (strcmp(L->states[i].name, name) == 0) { free(name); return; }
        long long size = clang_Type_getSizeOf(clang_getCursorType(c));
        if (size < 0) { free(name); return; }       /* incomplete: nothing to count */
        L->states = lint_grow(L->states, &L->capstates, L->nstates + 1, sizeof *L->states);
        State *s = &L->states[L->nstates++];
        s->name = name;
        s->bytes = size;
        s->file = lint_where(L, clang_getCursorLocation(c), &s->line, &s->col);
        L->ram += size;
        return;
    }
    free(name);
}

static enum CXChildVisitResult lint_visit(CXCursor c, CXCursor parent, CXClientData data)
{
    Walk *w = data;
    if (clang_Location_isInSystemHeader(clang_getCursorLocation(c)))
        return CXChildVisit_Continue;
    switch (clang_getCursorKind(c)) {
    case CXCursor_FunctionDecl:
        if (clang_isCursorDefinition(c)) {
            Lint *L = w->L;
            int f = lint_fn(L, c);
            if (!L->fns[f].defined) {
                L->fns[f].defined = 1;
                L->fns[f].file = lint_where(L, clang_getCursorLocation(c), &L->fns[f].line,
                                            &L->fns[f].col);
            }
            Walk inner = { .L = L, .tu = w->tu, .fn = f };
            clang_visitChildren(c, lint_visit, &inner);
            free(inner.covered);
        }
        return CXChildVisit_Continue;
    case CXCursor_VarDecl:
        lint_check_var(w, c);
        /* file-scope initialisers are constant data (weights): nothing to check */
        return w->fn < 0 ? CXChildVisit_Continue : CXChildVisit_Recurse;
    case CXCursor_TypedefDecl:
        lint_check_typedef(w, c);
        return CXChildVisit_Continue;
    case CXCursor_CallExpr:
        if (w->fn >= 0) lint_check_call(w, c);
        return CXChildVisit_Recurse;
    case CXCursor_BinaryOperator:
    case CXCursor_CompoundAssignOperator:
        if (w->fn >= 0) lint_check_binop(w, c);
        return CXChildVisit_Recurse;
    case CXCursor_UnaryOperator:
        if (w->fn >= 0) lint_check_unop(w, c);
        return CXChildVisit_Recurse;
    case CXCursor_UnexposedExpr:
        if (w->fn >= 0) lint_check_promotion(w, c, parent);
        return CXChildVisit_Recurse;
    default:
        return CXChildVisit_Recurse;
    }
}

/* include: system headers included straight from a file of ours. */
static void lint_inclusion(CXFile inc, CXSourceLocation *stack, unsigned depth,
                           CXClientData data)
{
    Lint *L = data;
    if (depth != 1 || clang_Location_isInSystemHeader(stack[0])) return;
    CXString s = clang_getFileName(inc);
    const char *path = clang_getCString(s);
    const char *base = path ? strrchr(path, '/') : NULL;
    base = base ? base + 1 : (path ? path : "");
    /* headers of DIR are ours; anything else must be on the list */
    char *real = path ? realpath(path, NULL) : NULL;
    size_t n = strlen(L->realdir);
    int ours = real && strncmp(real, L->realdir, n) == 0 && real[n] == '/';
    if (!ours && !lint_in(lint_system_headers, base)) {
        unsigned line, col;
        char *file = lint_where(L, stack[0], &line, &col);
        lint_diag(L, file, line, col, "include", 0,
                  lint_fmt("<%s> is not one of the headers firmware code may use", base));
        free(file);
    }
    free(real);
    clang_disposeString(s);
}

/* Parse one file and run every per-file check on it. */
static int lint_file(Lint *L, CXIndex idx, const char *path)
{
    const char **args = malloc(((size_t)L->ncflags + 8) * sizeof *args);
    if (!args) { fprintf(stderr, "lint: out of memory\n"); exit(2); }
    int nargs = 0;
    char *inc = lint_fmt("-I%s", L->dir);
    args[nargs++] = "-std=c99";
    args[nargs++] = "-Wall";
    args[nargs++] = "-Wextra";
    args[nargs++] = "-pedantic";
    args[nargs++] = inc;
    for (int i = 0; i < L->ncflags; i++)
        if (strncmp(L->cflags[i], "-D", 2) == 0 || strncmp(L->cflags[i], "-U", 2) == 0 ||
            strncmp(L->cflags[i], "-I", 2) == 0)
            args[nargs++] = L->cflags[i];
    CXTranslationUnit tu = NULL;
    enum CXErrorCode err = clang_parseTranslationUnit2(
        idx, path, args, nargs, NULL, 0, CXTranslationUnit_KeepGoing, &tu);
    free(inc);
    free(args);
    if (err != CXError_Success || !tu) {
        fprintf(stderr, "lint: libclang could not parse %s (error %d)\n", path, (int)err);
        return -1;
    }
    unsigned nd = clang_getNumDiagnostics(tu);
    for (unsigned i = 0; i < nd; i++) {
        CXDiagnostic d = clang_getDiagnostic(tu, i);
        enum CXDiagnosticSeverity sev = clang_getDiagnosticSeverity(d);
        if (sev >= CXDiagnostic_Warning) {
            unsigned line, col;
            char *file = lint_where(L, clang_getDiagnosticLocation(d), &line, &col);
            CXString text = clang_getDiagnosticSpelling(d);
            lint_diag(L, file, line, col, sev == CXDiagnostic_Warning ? "warning" : "error",
                      1, lint_strdup(clang_getCString(text)));
            clang_disposeString(text);
            free(file);
        }
        clang_disposeDiagnostic(d);
    }
    clang_getInclusions(tu, lint_inclusion, L);
    Walk w = { .L = L, .tu = tu, .fn = -1 };
    clang_visitChildren(clang_getTranslationUnitCursor(tu), lint_visit, &w);
    free(w.covered);
    clang_disposeTranslationUnit(tu);
    L->last_file = NULL;
    return 0;
}

/* ------------------------------------------------------------ call graph */

/* Calls that leave DIR: allowed, heap, or other libc. */
static void lint_check_calls(Lint *L)
{
    for (size_t i = 0; i < L->ncalls; i++) {
        Call *k = &L->calls[i];
        Fn *f = &L->fns[k->callee];
        if (f->defined || lint_in(lint_allowed, f->name)) continue;
        if (lint_in(lint_heap_fns, f->name))
            lint_diag(L, k->file, k->line, k->col, "heap", 0,
                      lint_fmt("call to %s: firmware code has no heap", f->name));
        else
            lint_diag(L, k->file, k->line, k->col, "libc", 0,
                      lint_fmt("call to %s, which is neither defined in DIR nor on the "
                               "allow-list", f->name));
    }
}

/* Adjacency of defined functions: edges[first[f] .. first[f+1]) are f's callees,
 * each once, in order of first call. */
typedef struct { int *first, *to; } Graph;

static Graph lint_graph(Lint *L)
{
    size_t n = L->nfns;
    Graph g;
    g.first = calloc(n + 1, sizeof *g.first);
    g.to = malloc((L->ncalls + 1) * sizeof *g.to);
    int *seen = malloc((n + 1) * sizeof *seen), *order = malloc((L->ncalls + 1) * sizeof *order);
    int *start = calloc(n + 2, sizeof *start);
    if (!g.first || !g.to || !seen || !order || !start) {
        fprintf(stderr, "lint: out of memory\n");
        exit(2);
    }
    /* bucket the call sites by caller (a counting sort, which keeps their
     * order): afterwards caller f's sites are order[start[f] .. start[f+1]) */
    for (size_t i = 0; i < L->ncalls; i++) start[L->calls[i].caller + 2]++;
    for (size_t f = 0; f < n; f++) start[f + 2] += start[f + 1];
    for (size_t i = 0; i < L->ncalls; i++) order[start[L->calls[i].caller + 1]++] = (int)i;
    for (size_t i = 0; i < n; i++) seen[i] = -1;
    size_t m = 0;
    for (size_t f = 0; f < n; f++) {
        g.first[f] = (int)m;
        for (int j = start[f]; j < start[f + 1]; j++) {
            int callee = L->calls[order[j]].callee;
            if (!L->fns[callee].defined || seen[callee] == (int)f) continue;
            seen[callee] = (int)f;
            g.to[m++] = callee;
        }
    }
    g.first[n] = (int)m;
    free(seen);
    free(order);
    free(start);
    return g;
}

/* Order functions by where they are defined, for deterministic reports. */
static int lint_fn_before(const Fn *a, const Fn *b)
{
    int c = strcmp(a->file ? a->file : "", b->file ? b->file : "");
    if (c) return c < 0;
    if (a->line != b->line) return a->line < b->line;
    return a->col < b->col;
}

typedef struct {
    Lint *L;
    Graph g;
    int *index, *low, *onstack, *stack;
    int nstack, counter;
} Tarjan;

static void lint_report_cycle(Lint *L, Graph g, const int *members, int nmembers)
{
    int n = (int)L->nfns;
    char *in = calloc((size_t)n, 1);
    int *prev = malloc((size_t)n * sizeof *prev), *queue = malloc((size_t)n * sizeof *queue);
    if (!in || !prev || !queue) { fprintf(stderr, "lint: out of memory\n"); exit(2); }
    int start = members[0];
    for (int i = 0; i < nmembers; i++) {
        in[members[i]] = 1;
        if (lint_fn_before(&L->fns[members[i]], &L->fns[start])) start = members[i];
    }
    /* breadth-first from start, inside the component, back to start: the
     * shortest cycle through it */
    for (int i = 0; i < n; i++) prev[i] = -2;
    int head = 0, tail = 0, last = -1;
    queue[tail++] = start;
    prev[start] = -1;
    while (head < tail && last < 0) {
        int f = queue[head++];
        for (int e = g.first[f]; e < g.first[f + 1]; e++) {
            int t = g.to[e];
            if (!in[t]) continue;
            if (t == start) { last = f; break; }
            if (prev[t] != -2) continue;
            prev[t] = f;
            queue[tail++] = t;
        }
    }
    Buf b = { 0 };
    int len = 0;
    for (int f = last; f >= 0; f = prev[f]) queue[len++] = f;     /* reversed path */
    for (int i = len - 1; i >= 0; i--) buf_add(&b, "%s -> ", L->fns[queue[i]].name);
    buf_add(&b, "%s", L->fns[start].name);
    Fn *s = &L->fns[start];
    lint_diag(L, s->file, s->line, s->col, "recursion", 0,
              lint_fmt("call cycle %s; firmware stacks must be bounded", b.s));
    free(b.s);
    free(in);
    free(prev);
    free(queue);
}

static void lint_tarjan(Tarjan *T, int v)
{
    T->index[v] = T->low[v] = T->counter++;
    T->stack[T->nstack++] = v;
    T->onstack[v] = 1;
    for (int e = T->g.first[v]; e < T->g.first[v + 1]; e++) {
        int w = T->g.to[e];
        if (T->index[w] < 0) {
            lint_tarjan(T, w);
            if (T->low[w] < T->low[v]) T->low[v] = T->low[w];
        } else if (T->onstack[w] && T->index[w] < T->low[v]) {
            T->low[v] = T->index[w];
        }
    }
    if (T->low[v] != T->index[v]) return;
    int top = T->nstack;
    do T->onstack[T->stack[--T->nstack]] = 0; while (T->stack[T->nstack] != v);
    int *members = T->stack + T->nstack, n = top - T->nstack;
    int self = 0;
    for (int e = T->g.first[v]; e < T->g.first[v + 1]; e++) self |= T->g.to[e] == v;
    if (n > 1 || self) lint_report_cycle(T->L, T->g, members, n);
}

static void lint_check_recursion(Lint *L, Graph g)
{
    size_t n = L->nfns;
    Tarjan T = { .L = L, .g = g };
    T.index = malloc((n + 1) * sizeof *T.index);
    T.low = malloc((n + 1) * sizeof *T.low);
    T.onstack = calloc(n + 1, sizeof *T.onstack);
    T.stack = malloc((n + 1) * sizeof *T.stack);
    if (!T.index || !T.low || !T.onstack || !T.stack) {
        fprintf(stderr, "lint: out of memory\n");
        exit(2);
    }
    for (size_t i = 0; i < n; i++) T.index[i] = -1;
    for (size_t i = 0; i < n; i++)
        if (L->fns[i].defined && T.index[i] < 0) lint_tarjan(&T, (int)i);
    free(T.index);
    free(T.low);
    free(T.onstack);
    free(T.stack);
}

/* --------------------------------------------------------- subprocesses */

/* Run argv; its stdout goes to *out (if out) and its stderr to *err (if err),
 * else to /dev/null.  Returns the exit status, or -1 when it could not run. */
static int lint_run(char *const argv[], char **out, char **err)
{
    int po[2], pe[2];
    if (pipe(po) != 0) return -1;
    if (pipe(pe) != 0) { close(po[0]); close(po[1]); return -1; }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]); close(po[1]); close(pe[0]); close(pe[1]);
        execvp(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    Buf bo = { 0 }, be = { 0 };
    buf_add(&bo, "%s", "");
    buf_add(&be, "%s", "");
    /* drain both pipes together, so neither can fill up and stall the child */
    int open_o = 1, open_e = 1;
    char chunk[4096];
    while (open_o || open_e) {
        fd_set rd;
        FD_ZERO(&rd);
        if (open_o) FD_SET(po[0], &rd);
        if (open_e) FD_SET(pe[0], &rd);
        int maxfd = po[0] > pe[0] ? po[0] : pe[0];
        if (select(maxfd + 1, &rd, NULL, NULL, NULL) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int which = 0; which < 2; which++) {
            int fd = which ? pe[0] : po[0];
            int *open = which ? &open_e : &open_o;
            if (!*open || !FD_ISSET(fd, &rd)) continue;
            ssize_t r = read(fd, chunk, sizeof chunk - 1);
            if (r <= 0) { *open = 0; continue; }
            chunk[r] = 0;
            buf_add(which ? &be : &bo, "%s", chunk);
        }
    }
    close(po[0]);
    close(pe[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) { free(bo.s); free(be.s); return -1; }
    if (out) *out = bo.s; else free(bo.s);
    if (err) *err = be.s; else free(be.s);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* `size` for a compiler: arm-none-eabi-gcc -> arm-none-eabi-size, else size. */
static char *lint_size_tool(const char *cc)
{
    const char *base = strrchr(cc, '/');
    base = base ? base + 1 : cc;
    const char *g = strstr(base, "gcc");
    if (g && g > base && g[-1] == '-')
        return lint_fmt("%.*ssize", (int)(g - cc), cc);
    return lint_strdup("size");
}

/* One .su line: "path:line:col:name<TAB>bytes<TAB>static|dynamic[,bounded]". */
static void lint_su_line(Lint *L, char *line)
{
    char *tab = strchr(line, '\t');
    if (!tab) return;
    *tab = 0;
    char *name = strrchr(line, ':');
    if (!name) return;
    name++;
    char *end;
    long long bytes = strtoll(tab + 1, &end, 10);
    int dynamic = strstr(end, "dynamic") && !strstr(end, "bounded");
    char *dot = strchr(name, '.');                  /* f.constprop.0, f.part.0 */
    if (dot) *dot = 0;
    char *colon = strchr(line, ':');
    if (colon) *colon = 0;
    const char *base = strrchr(line, '/');
    base = base ? base + 1 : line;
    /* the function of that name; a static one of another file loses */
    Fn *best = NULL;
    for (size_t i = 0; i < L->nfns; i++) {
        Fn *f = &L->fns[i];
        if (!f->defined || strcmp(f->name, name) != 0) continue;
        const char *fb = strrchr(f->file, '/');
        fb = fb ? fb + 1 : f->file;
        if (!best || strcmp(fb, base) == 0) best = f;
    }
    if (!best) return;
    if (bytes > best->stack) best->stack = bytes;
    best->dynamic |= dynamic;
}

static int lint_read_su(Lint *L, const char *path)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return -1;
    char line[4096];
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = 0;
        lint_su_line(L, line);
    }
    fclose(fp);
    return 0;
}

/* Compile every file with CC -Os -fstack-usage; read frames and sizes. */
static void lint_compile(Lint *L)
{
    char tmpl[] = "/tmp/netc-lint.XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    char *dir = tmpdir && *tmpdir ? lint_fmt("%s/netc-lint.XXXXXX", tmpdir) : lint_strdup(tmpl);
    if (!mkdtemp(dir)) {
        fprintf(stderr, "lint: cannot make a temporary directory: %s\n", strerror(errno));
        free(dir);
        return;
    }
    char **objs = calloc(L->nfiles + 1, sizeof *objs);
    char *inc = lint_fmt("-I%s", L->dir);
    int ok = 1, su_ok = 1;
    for (size_t i = 0; i < L->nfiles; i++) {
        objs[i] = lint_fmt("%s/%zu.o", dir, i);
        char **argv = malloc(((size_t)L->ncflags + 12) * sizeof *argv);
        if (!argv) { fprintf(stderr, "lint: out of memory\n"); exit(2); }
        int n = 0;
        argv[n++] = (char *)L->cc;
        argv[n++] = "-std=c99";
        argv[n++] = "-Os";
        argv[n++] = "-fstack-usage";
        for (int j = 0; j < L->ncflags; j++) argv[n++] = L->cflags[j];
        argv[n++] = inc;
        argv[n++] = "-c";
        argv[n++] = L->files[i];
        argv[n++] = "-o";
        argv[n++] = objs[i];
        argv[n] = NULL;
        char *err = NULL;
        int rc = lint_run(argv, NULL, &err);
        free(argv);
        if (rc != 0) {
            ok = 0;
            const char *rel = L->files[i] + strlen(L->dir) + 1;
            lint_diag(L, rel, 1, 1, "build", 0,
                      lint_fmt("%s could not compile it (status %d); flash and stack "
                               "not measured", L->cc, rc));
            fprintf(stderr, "%s", err ? err : "");
        }
        free(err);
        char *su = lint_fmt("%s/%zu.su", dir, i);
        if (rc == 0 && lint_read_su(L, su) != 0) {
            fprintf(stderr, "lint: %s wrote no stack usage for %s (no -fstack-usage?); "
                    "stack not measured\n", L->cc, L->files[i]);
            su_ok = 0;
        }
        unlink(su);
        free(su);
    }
    if (ok && L->nfiles) {
        char *size = lint_size_tool(L->cc);
        char **argv = calloc(L->nfiles + 3, sizeof *argv);
        argv[0] = size;
        argv[1] = "-B";
        for (size_t i = 0; i < L->nfiles; i++) argv[2 + i] = objs[i];
        char *out = NULL, *err = NULL;
        if (lint_run(argv, &out, &err) == 0) {
            /* berkeley format: a header, then "text data bss dec hex name" */
            char *line = strchr(out, '\n');
            while (line && *++line) {
                long long text, data;
                if (sscanf(line, "%lld %lld", &text, &data) == 2) {
                    L->flash_text += text;
                    L->flash_data += data;
                }
                line = strchr(line, '\n');
            }
            L->flash_known = 1;
        } else {
            fprintf(stderr, "lint: %s failed; flash not measured\n%s", size, err ? err : "");
        }
        free(out);
        free(err);
        free(argv);
        free(size);
    }
    L->stack_known = ok && su_ok;
    for (size_t i = 0; i < L->nfiles; i++) {
        unlink(objs[i]);
        free(objs[i]);
    }
    free(objs);
    free(inc);
    rmdir(dir);
    free(dir);
}

/* Deepest chain from f: its frame plus the deepest of its callees, cutting
 * edges back into the chain being explored (recursion, reported elsewhere). */
static long long lint_depth(Lint *L, Graph g, int f, int *state, long long *best, int *next)
{
    if (state[f] == 2) return best[f];
    state[f] = 1;
    long long deepest = 0;
    next[f] = -1;
    for (int e = g.first[f]; e < g.first[f + 1]; e++) {
        int t = g.to[e];
        if (state[t] == 1) { L->stack_unbounded = 1; continue; }
        long long d = lint_depth(L, g, t, state, best, next);
        if (d > deepest || next[f] < 0) { deepest = d; next[f] = t; }
    }
    best[f] = (L->fns[f].stack > 0 ? L->fns[f].stack : 0) + deepest;
    state[f] = 2;
    return best[f];
}

static void lint_check_stack(Lint *L, Graph g)
{
    size_t n = L->nfns;
    int *state = calloc(n + 1, sizeof *state), *next = malloc((n + 1) * sizeof *next);
    long long *best = calloc(n + 1, sizeof *best);
    if (!state || !next || !best) { fprintf(stderr, "lint: out of memory\n"); exit(2); }
    int root = -1;
    for (size_t f = 0; f < n; f++) {
        if (!L->fns[f].defined) continue;
        long long d = lint_depth(L, g, (int)f, state, best, next);
        if (root < 0 || d > best[root] ||
            (d == best[root] && lint_fn_before(&L->fns[f], &L->fns[root])))
            root = (int)f;
    }
    if (root >= 0) {
        L->stack_bytes = best[root];
        for (int f = root; f >= 0 && L->nchain < n; f = next[f]) {
            L->chain = lint_grow(L->chain, &L->capchain, L->nchain + 1, sizeof *L->chain);
            L->chain[L->nchain++] = f;
            if (L->fns[f].dynamic) L->stack_unbounded = 1;
        }
    }
    free(state);
    free(next);
    free(best);
}

static char *lint_chain_text(Lint *L)
{
    Buf b = { 0 };
    buf_add(&b, "%s", "");
    for (size_t i = 0; i < L->nchain; i++) {
        Fn *f = &L->fns[L->chain[i]];
        if (f->stack < 0)
            buf_add(&b, "%s%s (inlined)", i ? " -> " : "", f->name);
        else
            buf_add(&b, "%s%s (%lld)", i ? " -> " : "", f->name, f->stack);
    }
    return b.s;
}

static void lint_check_limits(Lint *L)
{
    if (L->max_ram >= 0 && L->ram > L->max_ram) {
        /* at the largest state, which is the one to shrink */
        State *big = NULL;
        for (size_t i = 0; i < L->nstates; i++)
            if (!big || L->states[i].bytes > big->bytes) big = &L->states[i];
        lint_diag(L, big->file, big->line, big->col, "ram-limit",
                  0, lint_fmt("static RAM is %lld bytes (%s is %lld), over --max-ram %lld",
                              L->ram, big->name, big->bytes, L->max_ram));
    }
    if (L->max_stack >= 0 && !L->stack_known)      /* a limit we cannot prove is a breach */
        lint_diag(L, L->files[0] + strlen(L->dir) + 1, 1, 1, "stack-limit", 0,
                  lint_fmt("stack not measured, so --max-stack %lld is not proven",
                           L->max_stack));
    if (L->max_stack >= 0 && L->stack_known && L->stack_bytes > L->max_stack && L->nchain) {
        Fn *root = &L->fns[L->chain[0]];
        char *chain = lint_chain_text(L);
        lint_diag(L, root->file, root->line, root->col, "stack-limit", 0,
                  lint_fmt("deepest chain needs %lld bytes, over --max-stack %lld: %s",
                           L->stack_bytes, L->max_stack, chain));
        free(chain);
    }
}

/* ------------------------------------------------------------- reporting */

static int lint_diag_cmp(const void *pa, const void *pb)
{
    const Diag *a = pa, *b = pb;
    int c = strcmp(a->file, b->file);
    if (c) return c;
    if (a->line != b->line) return a->line < b->line ? -1 : 1;
    if (a->col != b->col) return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int lint_diag_same(const Diag *a, const Diag *b)
{
    return strcmp(a->file, b->file) == 0 && a->line == b->line && a->col == b->col &&
           strcmp(a->rule, b->rule) == 0 && strcmp(a->msg, b->msg) == 0;
}

/* Sort by place and drop repeats (a header seen from several files). */
static void lint_sort_diags(Lint *L)
{
    if (L->ndiags) qsort(L->diags, L->ndiags, sizeof *L->diags, lint_diag_cmp);
    size_t m = 0;
    for (size_t i = 0; i < L->ndiags; i++) {
        if (m && lint_diag_same(&L->diags[m - 1], &L->diags[i])) {
            free(L->diags[i].file);
            free(L->diags[i].rule);
            free(L->diags[i].msg);
            continue;
        }
        L->diags[m++] = L->diags[i];
    }
    L->ndiags = m;
}

static size_t lint_count_defined(Lint *L)
{
    size_t n = 0;
    for (size_t i = 0; i < L->nfns; i++) n += L->fns[i].defined;
    return n;
}

static void lint_print_text(Lint *L)
{
    for (size_t i = 0; i < L->ndiags; i++) {
        Diag *d = &L->diags[i];
        printf("%s:%u:%u: %s: %s%s\n", d->file, d->line, d->col, d->rule, d->msg,
               d->clang ? " [lint:clang]" : "");
    }
    printf("lint %s: %zu file%s, %zu function%s, %zu breach%s\n", L->shown, L->nfiles,
           L->nfiles == 1 ? "" : "s", lint_count_defined(L),
           lint_count_defined(L) == 1 ? "" : "s", L->ndiags, L->ndiags == 1 ? "" : "es");
    printf("  static RAM %lld bytes", L->ram);
    for (size_t i = 0; i < L->nstates; i++)
        printf("%s%s %lld", i ? ", " : " (", L->states[i].name, L->states[i].bytes);
    printf("%s", L->nstates ? ")" : "");
    if (L->max_ram >= 0) printf(", limit %lld", L->max_ram);
    printf("\n");
    if (L->flash_known)
        printf("  flash      %lld bytes (text %lld + data %lld, %s -Os)\n",
               L->flash_text + L->flash_data, L->flash_text, L->flash_data, L->cc);
    else
        printf("  flash      not measured\n");
    if (L->stack_known) {
        char *chain = lint_chain_text(L);
        printf("  stack      %lld bytes%s: %s", L->stack_bytes,
               L->stack_unbounded ? " (unbounded: recursion or dynamic frames)" : "",
               L->nchain ? chain : "no functions");
        if (L->max_stack >= 0) printf(", limit %lld", L->max_stack);
        printf("\n");
        free(chain);
    } else {
        printf("  stack      not measured\n");
    }
}

static void lint_print_json(Lint *L)
{
    Buf b = { 0 };
    buf_add(&b, "{\"dir\": ");
    buf_json_str(&b, L->shown);
    buf_add(&b, ", \"files\": %zu, \"functions\": %zu, \"breaches\": %zu,\n \"diagnostics\": [",
            L->nfiles, lint_count_defined(L), L->ndiags);
    for (size_t i = 0; i < L->ndiags; i++) {
        Diag *d = &L->diags[i];
        buf_add(&b, "%s\n  {\"file\": ", i ? "," : "");
        buf_json_str(&b, d->file);
        buf_add(&b, ", \"line\": %u, \"col\": %u, \"rule\": ", d->line, d->col);
        buf_json_str(&b, d->clang ? "clang" : d->rule);
        if (d->clang) {
            buf_add(&b, ", \"severity\": ");
            buf_json_str(&b, d->rule);
        }
        buf_add(&b, ", \"message\": ");
        buf_json_str(&b, d->msg);
        buf_add(&b, "}");
    }
    buf_add(&b, "],\n \"ram\": {\"bytes\": %lld, \"limit\": ", L->ram);
    if (L->max_ram >= 0) buf_add(&b, "%lld", L->max_ram); else buf_add(&b, "null");
    buf_add(&b, ", \"states\": [");
    for (size_t i = 0; i < L->nstates; i++) {
        buf_add(&b, "%s{\"name\": ", i ? ", " : "");
        buf_json_str(&b, L->states[i].name);
        buf_add(&b, ", \"bytes\": %lld}", L->states[i].bytes);
    }
    buf_add(&b, "]},\n \"flash\": ");
    if (L->flash_known)
        buf_add(&b, "{\"bytes\": %lld, \"text\": %lld, \"data\": %lld}",
                L->flash_text + L->flash_data, L->flash_text, L->flash_data);
    else
        buf_add(&b, "null");
    buf_add(&b, ",\n \"stack\": ");
    if (L->stack_known) {
        buf_add(&b, "{\"bytes\": %lld, \"bounded\": %s, \"limit\": ", L->stack_bytes,
                L->stack_unbounded ? "false" : "true");
        if (L->max_stack >= 0) buf_add(&b, "%lld", L->max_stack); else buf_add(&b, "null");
        buf_add(&b, ", \"chain\": [");
        for (size_t i = 0; i < L->nchain; i++) {
            Fn *f = &L->fns[L->chain[i]];
            buf_add(&b, "%s{\"function\": ", i ? ", " : "");
            buf_json_str(&b, f->name);
            buf_add(&b, ", \"bytes\": %lld, \"inlined\": %s}", f->stack > 0 ? f->stack : 0,
                    f->stack < 0 ? "true" : "false");
        }
        buf_add(&b, "]}");
    } else {
        buf_add(&b, "null");
    }
    buf_add(&b, "}\n");
    fputs(b.s, stdout);
    free(b.s);
}

/* --------------------------------------------------------------- driver */

static const char lint_usage_text[] =
    "usage: netc lint DIR [--max-ram BYTES] [--max-stack BYTES] [--cc CC]\n"
    "                     [--cflags \"...\"] [--allow-double] [--json]\n"
    "Check the C files in DIR against the firmware rules (no heap, no libc beyond\n"
    "memcpy/memset and float <math.h>, no recursion, no VLAs, no double, no writes\n"
    "to globals, const file-scope data, no clang warnings) and report static RAM,\n"
    "flash (CC -Os, default gcc) and the deepest call chain's stack.\n"
    "\n"
    "  --max-ram BYTES    breach when the *_state types take more than BYTES together\n"
    "  --max-stack BYTES  breach when the deepest call chain needs more stack than BYTES\n"
    "  --cc CC            the compiler that measures flash and stack (default gcc)\n"
    "  --cflags \"...\"     extra flags, split at blanks: -D/-U/-I also reach libclang\n"
    "  --allow-double     do not report arithmetic in double\n"
    "  --json             print the report as one JSON object\n"
    "  -h, --help         this text\n"
    "\n"
    "Exit status: 0 clean, 1 breaches, 2 usage error.\n";

static int lint_usage(const char *why)
{
    if (why) fprintf(stderr, "netc lint: %s\n", why);
    fputs(lint_usage_text, stderr);
    return 2;
}

static int lint_bytes(const char *s, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < 0) return -1;
    *out = v;
    return 0;
}

/* Split --cflags on blanks (no quoting: flags with spaces are not supported). */
static void lint_split(Lint *L, char *s)
{
    char *save = NULL;
    for (char *t = strtok_r(s, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save)) {
        L->cflags = lint_grow(L->cflags, &L->capcflags, (size_t)L->ncflags + 1,
                              sizeof *L->cflags);
        L->cflags[L->ncflags++] = t;
    }
}

static int lint_str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int lint_list(Lint *L)
{
    DIR *d = opendir(L->dir);
    if (!d) {
        fprintf(stderr, "netc lint: cannot open %s: %s\n", L->dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 3 || strcmp(e->d_name + n - 2, ".c") != 0 || e->d_name[0] == '.') continue;
        char *path = lint_fmt("%s/%s", L->dir, e->d_name);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
            L->files = lint_grow(L->files, &L->capfiles, L->nfiles + 1, sizeof *L->files);
            L->files[L->nfiles++] = path;
        } else {
            free(path);
        }
    }
    closedir(d);
    if (L->nfiles) qsort(L->files, L->nfiles, sizeof *L->files, lint_str_cmp);
    return 0;
}

static void lint_free(Lint *L)
{
    for (size_t i = 0; i < L->ndiags; i++) {
        free(L->diags[i].file);
        free(L->diags[i].rule);
        free(L->diags[i].msg);
    }
    for (size_t i = 0; i < L->nfns; i++) {
        free(L->fns[i].usr);
        free(L->fns[i].name);
        free(L->fns[i].file);
    }
    for (size_t i = 0; i < L->ncalls; i++) free(L->calls[i].file);
    for (size_t i = 0; i < L->nstates; i++) {
        free(L->states[i].name);
        free(L->states[i].file);
    }
    for (size_t i = 0; i < L->nfiles; i++) free(L->files[i]);
    free(L->diags);
    free(L->fns);
    free(L->fn_hash);
    free(L->calls);
    free(L->states);
    free(L->files);
    free(L->chain);
    free(L->cflags);
    free(L->last_name);
}

/* `netc lint` with argv[1..] as its arguments; when dir is given it is the
 * directory (argv holds only options) and the report calls it `shown`. */
static int lint_command(int argc, char **argv, const char *dir, const char *shown)
{
    Lint L = { .max_ram = -1, .max_stack = -1, .cc = "gcc", .dir = dir };
    char *cflags = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has_value = i + 1 < argc;
        if (strcmp(a, "--max-ram") == 0 || strcmp(a, "--max-stack") == 0) {
            long long *dst = a[6] == 'r' ? &L.max_ram : &L.max_stack;
            if (!has_value || lint_bytes(argv[++i], dst) != 0) {
                fprintf(stderr, "netc lint: %s needs a byte count\n", a);
                free(cflags);
                return lint_usage(NULL);
            }
        } else if (strcmp(a, "--cc") == 0) {
            if (!has_value || !*argv[i + 1]) { free(cflags); return lint_usage("--cc needs a compiler"); }
            L.cc = argv[++i];
        } else if (strcmp(a, "--cflags") == 0) {
            if (!has_value) { free(cflags); return lint_usage("--cflags needs a value"); }
            free(cflags);
            cflags = lint_strdup(argv[++i]);
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(lint_usage_text, stdout);
            free(cflags);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            L.json = 1;
        } else if (strcmp(a, "--allow-double") == 0) {
            L.allow_double = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "netc lint: unknown option '%s'\n", a);
            free(cflags);
            return lint_usage(NULL);
        } else if (L.dir) {
            free(cflags);
            return lint_usage(dir ? "no DIR with --verify: it is the build's" : "only one DIR");
        } else {
            L.dir = a;
        }
    }
    if (!L.dir) { free(cflags); return lint_usage("missing DIR"); }
    L.shown = shown ? shown : L.dir;
    if (cflags) lint_split(&L, cflags);
    int rc = 2;
    if (!realpath(L.dir, L.realdir)) {
        fprintf(stderr, "netc lint: cannot open %s: %s\n", L.dir, strerror(errno));
        goto out;
    }
    if (lint_list(&L) != 0) goto out;
    if (L.nfiles == 0) {
        fprintf(stderr, "netc lint: no .c files in %s\n", L.dir);
        goto out;
    }
    CXIndex idx = clang_createIndex(0, 0);
    for (size_t i = 0; i < L.nfiles; i++)
        if (lint_file(&L, idx, L.files[i]) != 0) {
            clang_disposeIndex(idx);
            goto out;
        }
    clang_disposeIndex(idx);
    lint_check_calls(&L);
    Graph g = lint_graph(&L);
    lint_check_recursion(&L, g);
    lint_compile(&L);
    lint_check_stack(&L, g);
    free(g.first);
    free(g.to);
    lint_check_limits(&L);
    lint_sort_diags(&L);
    if (L.json) lint_print_json(&L);
    else lint_print_text(&L);
    rc = L.ndiags ? 1 : 0;
out:
    lint_free(&L);
    free(cflags);
    return rc;
}

int lint_main(int argc, char **argv)
{
    return lint_command(argc, argv, NULL, NULL);
}

int lint_dir(const char *dir, const char *shown, int argc, char **argv)
{
    return lint_command(argc, argv, dir, shown);
}
