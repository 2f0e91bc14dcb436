/*
 * passes.c — the pass order, written once.  Each pass runs over every network.
 * Names and attributes are checked together so one run reports both kinds of
 * mistake; shape inference needs them clean, so the pipeline stops before it when
 * either reported errors.  Validation and the train block work on whatever shapes
 * could be inferred, so they run even after shape errors.
 */
#include "netc.h"

#include <string.h>

typedef struct Pass { const char *name; bool (*run)(Net *, Diags *); bool needs_clean; } Pass;

static const Pass passes[] = {
    {"resolve", pass_resolve, false},
    {"attrs", pass_check_attrs, false},
    {"shapes", pass_infer_shapes, true},
    {"validate", pass_validate, false},
    {"train", pass_check_train, false},
};

bool pass_name_known(const char *name);
bool pass_name_known(const char *name) {
    if (strcmp(name, "build") == 0) return true;
    for (size_t i = 0; i < sizeof passes / sizeof *passes; i++)
        if (strcmp(passes[i].name, name) == 0) return true;
    return false;
}

bool run_passes(Program *p, Diags *d, const char *dump_after, FILE *dump) {
    if (dump_after && strcmp(dump_after, "build") == 0) dump_program(p, dump);
    for (size_t i = 0; i < sizeof passes / sizeof *passes; i++) {
        if (passes[i].needs_clean && d->errors) return false;
        for (int j = 0; j < p->nets.n; j++) passes[i].run(p->nets.v[j], d);
        if (dump_after && strcmp(dump_after, passes[i].name) == 0) dump_program(p, dump);
    }
    return d->errors == 0;
}
