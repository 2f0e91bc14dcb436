/*
 * driver.h — what the command implementations share: one compilation (arena,
 * diagnostics, program) and the command entry points.
 */
#ifndef DRIVER_H
#define DRIVER_H
#include "netc.h"

typedef struct Compilation {
    Arena *arena;
    Diags diags;
    Program prog;
    char *text;
} Compilation;

/* Parse and check `path`; diagnostics are in c->diags (not yet printed). */
Compilation *compile_file(const char *path, const char *dump_after, FILE *dump);
void compilation_free(Compilation *c);

int cmd_build(int argc, char **argv);   /* build.c */
/* build.c, shared with the CUDA target: the checkout holding `probe` (see there), and
 * mkdir -p (0, or -1 with errno). */
bool find_root(const char *probe, char *root, size_t n, char *libdir, size_t ln);
int mkdir_parents(const char *dir);
int cmd_plot(int argc, char **argv);    /* plot_cmd.c */
int lint_main(int argc, char **argv);   /* lint.c */
#endif
