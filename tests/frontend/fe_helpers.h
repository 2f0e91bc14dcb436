/*
 * fe_helpers.h — what the front-end unit tests share: compile a .net text held in
 * a string through the whole front end (parse → build → passes) and look layers
 * up by name.  Header-only so each test program stays one file plus this.
 */
#ifndef FE_HELPERS_H
#define FE_HELPERS_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include <string.h>

#include "netc.h"

typedef struct Fe {
    Arena *arena;
    Source src;
    Diags diags;
    Program prog;
    NetAst *ast;
} Fe;

/* Compile `text`; the Fe is freed by fe_free.  Stops where the driver stops. */
static inline Fe *fe_compile(const char *text) {
    Fe *f = calloc(1, sizeof *f);
    f->arena = arena_new();
    f->src.path = "test.net";
    f->src.text = text;
    f->src.len = strlen(text);
    f->diags.arena = f->arena;
    f->diags.max_errors = 200;
    f->prog.arena = f->arena;
    f->prog.src = &f->src;
    f->ast = parse_source(f->arena, &f->src, &f->diags);
    if (f->diags.errors || !f->ast) return f;
    build_program(&f->prog, f->ast, &f->diags);
    run_passes(&f->prog, &f->diags, NULL, NULL);
    return f;
}

static inline void fe_free(Fe *f) {
    arena_free(f->arena);
    free(f);
}

static inline Layer *fe_layer(Fe *f, const char *net_name, const char *name) {
    for (int i = 0; i < f->prog.nets.n; i++) {
        Net *n = f->prog.nets.v[i];
        if (strcmp(n->name, net_name) != 0) continue;
        Layer *L = net_find(n, name, n->layers.n);
        if (L) return L;
    }
    fail_msg("no layer %s in network %s", name, net_name);
    return NULL;
}

/* The first diagnostic's message, or "" */
static inline const char *fe_first_msg(const Fe *f) { return f->diags.n ? f->diags.v[0].msg : ""; }

#define assert_shape(L, ...)                                                        \
    do {                                                                            \
        const int64_t want_[] = {__VA_ARGS__};                                      \
        int n_ = (int)(sizeof want_ / sizeof want_[0]);                             \
        assert_true((L)->shaped);                                                   \
        assert_int_equal((L)->shape.rank, n_);                                      \
        for (int i_ = 0; i_ < n_; i_++) assert_int_equal((L)->shape.d[i_], want_[i_]); \
    } while (0)
#endif
