/*
 * print_c.h — the CPU printer (print_c.c).
 */
#ifndef PRINT_C_H
#define PRINT_C_H
#include "emit.h"
#include "schedule.h"

/* Print NAME.h into h and NAME.c into src. */
void print_c(const Schedule *s, Arena *a, Emitter *h, Emitter *src);

/* netc build --profile (the default output: all false). */
typedef struct PrintOptions {
    bool firmware;   /* inference only; with s->weights the parameters are read in
                        place from the const NAME_weights, not kept in the state */
    bool train;      /* with firmware: keep the training step (and the parameters in RAM) */
} PrintOptions;
void print_c_opts(const Schedule *s, Arena *a, Emitter *h, Emitter *src, const PrintOptions *o);
/* Print NAME_weights.c: s->weights as a const array (netc build --weights). */
void print_weights(const Schedule *s, Emitter *w, const char *from);
#endif
