/*
 * print_c.h — the CPU printer (print_c.c).
 */
#ifndef PRINT_C_H
#define PRINT_C_H
#include "emit.h"
#include "schedule.h"

/* Print NAME.h into h and NAME.c into src. */
void print_c(const Schedule *s, Arena *a, Emitter *h, Emitter *src);
/* Print NAME_weights.c: s->weights as a const array (netc build --weights). */
void print_weights(const Schedule *s, Emitter *w, const char *from);
#endif
