/*
 * emit.h — the indent-aware writer (emit.c).
 */
#ifndef EMIT_H
#define EMIT_H
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

typedef struct Emitter { char *buf; size_t len, cap; int indent; } Emitter;

void emit(Emitter *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void emit_raw(Emitter *w, const char *s);
int emit_save(const Emitter *w, const char *path, char *err, size_t errlen);
void emit_free(Emitter *w);
void emit_replace_word(Emitter *w, const char *word, const char *with);
#endif
