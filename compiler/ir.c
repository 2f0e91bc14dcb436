/*
 * ir.c — build the Net IR from the AST: network settings (batch, layout, dtype),
 * inputs with their shapes, one Layer per `name = kind(...)` statement, the output
 * list and the train block.  Only the shape of each statement is judged here;
 * names, kinds and attributes are the passes' business.
 */
#include "netc.h"

#include <string.h>

static const char *const setting_words[] = {"batch", "layout", "dtype", NULL};
static const char *const layout_words[] = {"nchw", "nhwc", NULL};

static void set_setting(Net *net, Stmt *s, Diags *d, Loc *seen) {   /* seen[i].line 0: not yet */
    Value *v = s->value;
    int which = -1;
    for (int i = 0; setting_words[i]; i++)
        if (strcmp(s->name, setting_words[i]) == 0) which = i;
    if (which < 0) {
        const char *hint = NULL;
        if (v->kind == V_IDENT && find_layer_kind(v->s))
            hint = arena_printf(d->arena, "a layer is a call: '%s = %s(INPUT) { ... };'", s->name, v->s);
        else {
            const char *m = did_you_mean(s->name, setting_words);
            if (m) hint = arena_printf(d->arena, "did you mean '%s'?", m);
            else hint = "network settings are batch, layout and dtype; a layer is 'name = kind(input) { ... };'";
        }
        error_hint(d, s->name_loc, hint, "unknown network setting '%s'", s->name);
        return;
    }
    if (seen[which].line) {
        error_hint(d, s->name_loc, arena_printf(d->arena, "first given at line %d", seen[which].line),
                   "setting '%s' given twice", s->name);
        return;
    }
    seen[which] = s->name_loc;
    switch (which) {
    case 0:
        if (v->kind != V_INT) { error_at(d, v->loc, "'batch' must be an integer"); return; }
        if (v->i < 1) { error_hint(d, v->loc, "batch is the number of samples per call, at least 1",
                                   "'batch' must be at least 1, not %lld", v->i); return; }
        if (v->i > (1 << 20)) { error_at(d, v->loc, "'batch' of %lld is too large (at most 1048576)", v->i); return; }
        net->batch = v->i;
        break;
    case 1: {
        if (v->kind != V_IDENT) { error_hint(d, v->loc, "write 'layout = nchw;' or 'layout = nhwc;'", "'layout' must be nchw or nhwc"); return; }
        if (strcmp(v->s, "nchw") == 0) net->layout = LAYOUT_NCHW;
        else if (strcmp(v->s, "nhwc") == 0) net->layout = LAYOUT_NHWC;
        else {
            const char *m = did_you_mean(v->s, layout_words);
            error_hint(d, v->loc, m ? arena_printf(d->arena, "did you mean '%s'?", m) : "use nchw or nhwc",
                       "unknown layout '%s'", v->s);
        }
        break;
    }
    case 2:
        if (v->kind != V_IDENT || strcmp(v->s, "f32") != 0)
            error_hint(d, v->loc, "only f32 is supported", "unknown dtype");
        break;
    }
}

static Layer *new_layer(Arena *a, Net *net, const char *name, Loc loc) {
    Layer *L = arena_alloc(a, sizeof *L);
    L->id = net->layers.n;
    L->name = name;
    L->loc = loc;
    vec_push(a, &net->layers, L);
    return L;
}

static void add_input(Arena *a, Net *net, Stmt *s, Diags *d) {
    Layer *L = new_layer(a, net, s->name, s->name_loc);
    L->is_input = true;
    L->kind_name = "input";
    Value *shape = s->value;
    if (shape->n > MAX_RANK - 1) {
        error_hint(d, shape->loc, "[C], [C, W], [C, H, W] or [C, D, H, W], with a leading T for time-distributed data",
                   "input shape has %d axes; at most %d are allowed", shape->n, MAX_RANK - 1);
        return;
    }
    L->shape.rank = shape->n;
    bool ok = true;
    for (int i = 0; i < shape->n; i++) {
        Value *e = shape->items[i];
        if (e->i < 1) {
            error_hint(d, e->loc, "the batch axis is never written; every axis is at least 1",
                       "input dimension must be at least 1, not %lld", e->i);
            ok = false;
        } else if (e->i > (1LL << 31) - 1) {
            error_at(d, e->loc, "input dimension %lld overflows the index type (at most 2147483647)", e->i);
            ok = false;
        }
        L->shape.d[i] = e->i;
    }
    for (Attr *at = s->attrs; at; at = at->next)
        error_hint(d, at->loc, "inputs take no attributes", "unknown input attribute '%s'", at->name);
    L->shaped = ok;
}

static bool build_net(Program *p, NetAst *ast, Diags *d) {
    Arena *a = p->arena;
    Net *net = arena_alloc(a, sizeof *net);
    net->name = ast->name;
    net->loc = ast->loc;
    net->ast = ast;
    net->batch = 1;
    net->layout = LAYOUT_NCHW;
    vec_push(a, &p->nets, net);
    Loc seen[3] = {{0}};
    for (Stmt *s = ast->stmts; s; s = s->next) {
        switch (s->kind) {
        case ST_INPUT:
            add_input(a, net, s, d);
            break;
        case ST_ASSIGN:
            if (s->value->kind == V_CALL) {
                Layer *L = new_layer(a, net, s->name, s->name_loc);
                L->kind_name = s->value->s;
                L->kind_loc = s->value->name_loc;
                L->call = s->value;
            } else {
                set_setting(net, s, d, seen);
            }
            break;
        case ST_OUTPUT:
            break;   /* resolved by pass_resolve, once every layer exists */
        case ST_TRAIN:
            if (net->train) {
                error_hint(d, s->loc, arena_printf(a, "the first is at line %d", net->train->loc.line),
                           "a network has at most one train block");
                break;
            }
            net->train = arena_alloc(a, sizeof *net->train);
            net->train->loc = s->loc;
            net->train->attrs = s->attrs;
            break;
        }
    }
    return true;
}

/* Network names must differ; a hash of the names keeps a file of 100,000
 * networks linear. */
static void check_network_names(Arena *a, NetAst *ast, Diags *d) {
    size_t n = 0, cap = 16;
    for (NetAst *x = ast; x; x = x->next) n++;
    while (cap < 2 * n) cap *= 2;
    NetAst **slot = arena_alloc(a, sizeof *slot * cap);
    for (NetAst *x = ast; x; x = x->next) {
        uint64_t h = 1469598103934665603ULL;                 /* FNV-1a */
        for (const char *c = x->name; *c; c++) h = (h ^ (unsigned char)*c) * 1099511628211ULL;
        for (size_t i = h & (cap - 1);; i = (i + 1) & (cap - 1)) {
            if (!slot[i]) { slot[i] = x; break; }
            if (strcmp(slot[i]->name, x->name) == 0) {
                error_hint(d, x->loc, arena_printf(a, "the first is at line %d", slot[i]->loc.line),
                           "duplicate network name '%s'", x->name);
                break;
            }
        }
    }
}

bool build_program(Program *p, NetAst *ast, Diags *d) {
    int before = d->errors;
    check_network_names(p->arena, ast, d);
    for (NetAst *n = ast; n; n = n->next) build_net(p, n, d);
    return d->errors == before;
}

/* ---- --dump-after: a readable listing of the IR ---- */

static void dump_layer(const Layer *L, FILE *out) {
    Arena *tmp = arena_new();
    fprintf(out, "  %%%d %s = %s(", L->id, L->name, L->kind_name);
    for (int i = 0; i < L->nin; i++) fprintf(out, "%s%%%d", i ? ", " : "", L->in[i] ? L->in[i]->id : -1);
    fprintf(out, ")");
    if (L->kind) {
        bool first = true;
        for (const AttrUse *u = L->kind->attrs; u->id != A__COUNT; u++) {
            const AttrVal *v = &L->a[u->id];
            if (!v->given) continue;
            fprintf(out, "%s%s", first ? " {" : ", ", attr_info[u->id].name);
            first = false;
        }
        if (!first) fprintf(out, " given}");
    }
    if (L->shaped) fprintf(out, " -> %s%s", shape_str(tmp, &L->shape), L->td ? " (time-distributed)" : "");
    if (L->kind && (L->g.nsp > 0)) {
        fprintf(out, "  [");
        for (int i = 0; i < L->g.nsp; i++)
            fprintf(out, "%sk%lld s%lld d%lld p%lld/%lld op%lld", i ? "; " : "", (long long)L->g.k[i],
                    (long long)L->g.s[i], (long long)L->g.dil[i], (long long)L->g.pb[i],
                    (long long)L->g.pe[i], (long long)L->g.op[i]);
        fprintf(out, "]");
    }
    if (L->is_output) fprintf(out, "  output");
    fprintf(out, "\n");
    arena_free(tmp);
}

void dump_program(const Program *p, FILE *out) {
    for (int i = 0; i < p->nets.n; i++) {
        const Net *net = p->nets.v[i];
        fprintf(out, "network %s batch=%lld layout=%s\n", net->name, (long long)net->batch,
                net->layout == LAYOUT_NHWC ? "nhwc" : "nchw");
        for (int j = 0; j < net->layers.n; j++) dump_layer(net->layers.v[j], out);
        if (net->train && net->train->checked)
            fprintf(out, "  train loss(%s, %s) %s lr=%g\n", net->train->pred ? net->train->pred->name : "?",
                    net->train->target ? net->train->target->name : "?",
                    net->train->opt == OPT_ADAM ? "adam" : "sgd", net->train->lr);
    }
}
