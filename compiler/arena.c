/*
 * arena.c — one bump allocator per compilation.  Every AST node, IR node, string
 * and diagnostic lives here and is released with arena_free in one go, so passes
 * never free anything and never leak.
 */
#include "netc.h"

#include <stdlib.h>
#include <string.h>

typedef struct Block { struct Block *next; size_t used, size; max_align_t data[]; } Block;
struct Arena { Block *head; };

Arena *arena_new(void) {
    Arena *a = calloc(1, sizeof *a);
    if (!a) { fputs("netc: out of memory\n", stderr); exit(3); }
    return a;
}

void arena_free(Arena *a) {
    if (!a) return;
    for (Block *b = a->head, *n; b; b = n) { n = b->next; free(b); }
    free(a);
}

void *arena_alloc(Arena *a, size_t size) {
    size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
    Block *b = a->head;
    if (!b || b->size - b->used < size) {
        size_t cap = size > 65536 ? size : 65536;
        b = malloc(sizeof(Block) + cap);
        if (!b) { fputs("netc: out of memory\n", stderr); exit(3); }
        b->used = 0; b->size = cap; b->next = a->head; a->head = b;
    }
    void *p = (char *)b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(Arena *a, const char *s, size_t n) {
    char *p = arena_alloc(a, n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *arena_strdup(Arena *a, const char *s) { return arena_strndup(a, s, strlen(s)); }

char *arena_vprintf(Arena *a, const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char *p = arena_alloc(a, (size_t)n + 1);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    return p;
}

char *arena_printf(Arena *a, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *p = arena_vprintf(a, fmt, ap);
    va_end(ap);
    return p;
}

void vec_push(Arena *a, PtrVec *vec, void *p) {
    if (vec->n == vec->cap) {
        int cap = vec->cap ? vec->cap * 2 : 8;
        void **v = arena_alloc(a, sizeof(void *) * (size_t)cap);
        if (vec->n) memcpy(v, vec->v, sizeof(void *) * (size_t)vec->n);
        vec->v = v;
        vec->cap = cap;
    }
    vec->v[vec->n++] = p;
}
