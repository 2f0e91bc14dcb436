/*
 * print_c.h — the CPU printer (print_c.c).
 */
#ifndef PRINT_C_H
#define PRINT_C_H
#include "emit.h"
#include "schedule.h"

/* Print NAME.h into h and NAME.c into src. */
void print_c(const Schedule *s, Arena *a, Emitter *h, Emitter *src);
#endif
