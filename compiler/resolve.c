/*
 * resolve.c — pass 1: names.  Finds each layer's kind in the table, binds every
 * argument to a layer or input defined above it (so every network is a DAG in
 * source order), rejects duplicate names, and binds the `output` statements.
 */
#include "netc.h"

#include <string.h>

/* Name → index of the first layer of that name, so resolving is linear in the
 * number of layers (a file of 100,000 layers resolves in milliseconds). */
typedef struct NameTable { int cap; int *slot; } NameTable;   /* slot: index + 1, 0 = empty */

static uint64_t name_hash(const char *s) {
    uint64_t h = 1469598103934665603ULL;                     /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static void names_build(Arena *a, NameTable *t, Net *net) {
    t->cap = 16;
    while (t->cap < 2 * net->layers.n) t->cap *= 2;
    t->slot = arena_alloc(a, sizeof(int) * (size_t)t->cap);
    for (int i = 0; i < net->layers.n; i++) {
        const char *name = ((Layer *)net->layers.v[i])->name;
        for (size_t h = name_hash(name) & (size_t)(t->cap - 1);; h = (h + 1) & (size_t)(t->cap - 1)) {
            if (!t->slot[h]) { t->slot[h] = i + 1; break; }
            if (strcmp(((Layer *)net->layers.v[t->slot[h] - 1])->name, name) == 0) break;   /* keep the first */
        }
    }
}

/* The first layer named `name` among those before position `before` (net_find). */
static Layer *names_find(const NameTable *t, Net *net, const char *name, int before) {
    for (size_t h = name_hash(name) & (size_t)(t->cap - 1); t->slot[h]; h = (h + 1) & (size_t)(t->cap - 1)) {
        Layer *L = net->layers.v[t->slot[h] - 1];
        if (strcmp(L->name, name) == 0) return L->id < before ? L : NULL;
    }
    return NULL;
}

/* Names defined before position `before`, for "did you mean". */
static const char *const *names_before(Arena *a, Net *net, int before) {
    const char **v = arena_alloc(a, sizeof(char *) * (size_t)(before + 1));
    for (int i = 0; i < before; i++) v[i] = ((Layer *)net->layers.v[i])->name;
    return v;
}

static void unknown_name(Net *net, Diags *d, const char *name, Loc loc, int before) {
    Arena *a = d->arena;
    if (d->max_errors && d->n >= d->max_errors) { d->errors++; return; }   /* not shown: skip the search */
    Layer *later = NULL;
    for (int i = before; i < net->layers.n; i++)
        if (strcmp(((Layer *)net->layers.v[i])->name, name) == 0) { later = net->layers.v[i]; break; }
    if (later) {
        error_hint(d, loc, arena_printf(a, "'%s' is defined at line %d; a layer reads only names defined above it",
                                        name, later->loc.line),
                   "'%s' is used before it is defined", name);
        return;
    }
    const char *m = did_you_mean(name, names_before(a, net, before));
    error_hint(d, loc, m ? arena_printf(a, "did you mean '%s'?", m) : NULL, "unknown name '%s'", name);
}

bool pass_resolve(Net *net, Diags *d) {
    Arena *a = d->arena;
    int before = d->errors;
    NameTable names;
    names_build(a, &names, net);
    for (int i = 0; i < net->layers.n; i++) {
        Layer *L = net->layers.v[i];
        Layer *dup = names_find(&names, net, L->name, i);
        if (dup)
            error_hint(d, L->loc, arena_printf(a, "'%s' was first defined at line %d", L->name, dup->loc.line),
                       "duplicate layer name '%s'", L->name);
        if (L->is_input) continue;
        L->kind = find_layer_kind(L->kind_name);
        if (!L->kind) {
            const char *m = did_you_mean(L->kind_name, layer_kind_names(a));
            error_hint(d, L->kind_loc, m ? arena_printf(a, "did you mean '%s'?", m) : "see LANGUAGE.md, \"Layers\"",
                       "unknown layer kind '%s'", L->kind_name);
        }
        Value *call = L->call;
        L->nin = call->n;
        L->in = arena_alloc(a, sizeof(Layer *) * (size_t)(call->n + 1));
        L->in_loc = arena_alloc(a, sizeof(Loc) * (size_t)(call->n + 1));
        for (int j = 0; j < call->n; j++) {
            Value *arg = call->items[j];
            L->in_loc[j] = arg->loc;
            if (arg->kind != V_IDENT) {
                error_hint(d, arg->loc, "a layer's arguments are the names of layers or inputs defined above it",
                           "expected a layer name as argument %d of '%s'", j + 1, L->kind_name);
                continue;
            }
            if (strcmp(arg->s, L->name) == 0) {
                error_at(d, arg->loc, "layer '%s' reads itself", L->name);
                continue;
            }
            L->in[j] = names_find(&names, net, arg->s, i);
            if (!L->in[j]) unknown_name(net, d, arg->s, arg->loc, i);
            else L->in[j]->uses++;
        }
        if (L->kind) {
            const LayerKind *k = L->kind;
            if (call->n < k->min_inputs || (k->max_inputs >= 0 && call->n > k->max_inputs)) {
                const char *want = k->max_inputs < 0 ? arena_printf(a, "at least %d", k->min_inputs)
                                   : k->min_inputs == k->max_inputs ? arena_printf(a, "%d", k->min_inputs)
                                   : arena_printf(a, "%d to %d", k->min_inputs, k->max_inputs);
                error_hint(d, call->n ? call->items[0]->loc : L->kind_loc,
                           arena_printf(a, "write '%s = %s(%s)'", L->name, L->kind_name,
                                        k->min_inputs == 1 ? "x" : "a, b"),
                           "'%s' takes %s input%s, got %d", L->kind_name, want,
                           k->max_inputs == 1 ? "" : "s", call->n);
            }
        }
    }
    /* output statements: every name a layer or input of this network */
    bool any_output = false;
    for (Stmt *s = net->ast->stmts; s; s = s->next) {
        if (s->kind != ST_OUTPUT) continue;
        for (int j = 0; j < s->nnames; j++) {
            any_output = true;
            Layer *L = names_find(&names, net, s->names[j], net->layers.n);
            if (!L) { unknown_name(net, d, s->names[j], s->name_locs[j], net->layers.n); continue; }
            if (L->is_output) {
                error_hint(d, s->name_locs[j], arena_printf(a, "first listed at line %d", L->output_loc.line),
                           "'%s' is listed as an output twice", L->name);
                continue;
            }
            if (L->is_input) {
                error_hint(d, s->name_locs[j], "outputs are layers computed by the network",
                           "input '%s' cannot be an output", L->name);
                continue;
            }
            L->is_output = true;
            L->output_loc = s->name_locs[j];
            vec_push(a, &net->outputs, L);
        }
    }
    if (!any_output)
        error_hint(d, net->loc, "add 'output NAME;' naming the layer whose result you want",
                   "network '%s' declares no output", net->name);
    return d->errors == before;
}
