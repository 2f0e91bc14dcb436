/*
 * check_attrs.c — pass 2: attributes.  For every layer, each attribute written in
 * the file must be one its kind accepts (else "did you mean"), given once, of the
 * right type and in range; required ones must be present; the rest take the
 * defaults from the kind's table.  The result is L->a[], typed, indexed by AttrId.
 */
#include "netc.h"

#include <math.h>
#include <string.h>

static const char *value_desc(Arena *a, const Value *v) {
    switch (v->kind) {
    case V_INT: return arena_printf(a, "integer %lld", v->i);
    case V_REAL: {   /* 3.0 prints as "3.0", not "3": it is not an integer */
        char *t = arena_printf(a, "number %g", v->r);
        return strpbrk(t + 7, ".eEin") ? t : arena_printf(a, "%s.0", t);
    }
    case V_STRING: return arena_printf(a, "string \"%s\"", v->s);
    case V_BOOL: return v->i ? "true" : "false";
    case V_IDENT: return arena_printf(a, "'%s'", v->s);
    case V_LIST: return arena_printf(a, "a list of %d", v->n);
    case V_CALL: return arena_printf(a, "a call to '%s'", v->s);
    case V_OBJECT: return arena_printf(a, "'%s { ... }'", v->s);
    }
    return "?";
}

static void wrong_type(Diags *d, const char *attr, const Value *v, const char *want, const char *hint) {
    error_hint(d, v->loc, hint, "'%s' expects %s, found %s", attr, want, value_desc(d->arena, v));
}

static bool enum_word(Diags *d, const char *what, const Value *v, const char *const *words, int64_t *out) {
    for (int i = 0; words[i]; i++)
        if (strcmp(v->s, words[i]) == 0) { *out = i; return true; }
    const char *m = did_you_mean(v->s, words);
    char list[256] = "";
    for (int i = 0; words[i]; i++) {
        strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
        strncat(list, words[i], sizeof list - strlen(list) - 1);
    }
    error_hint(d, v->loc, m ? arena_printf(d->arena, "did you mean '%s'?", m) : arena_printf(d->arena, "one of: %s", list),
               "unknown %s '%s'", what, v->s);
    return false;
}

/* Read `name = number` style attributes of an object value (activations, inits). */
typedef struct ObjField { const char *name; double *dst; int *enum_dst; const char *const *enums; bool seen; } ObjField;

static bool read_object(Diags *d, const Value *v, const char *what, ObjField *f, int nf) {
    bool ok = true;
    for (Attr *at = v->attrs; at; at = at->next) {
        int k = -1;
        for (int i = 0; i < nf; i++) if (strcmp(at->name, f[i].name) == 0) k = i;
        if (k < 0) {
            const char *names[8] = {0};
            for (int i = 0; i < nf && i < 7; i++) names[i] = f[i].name;
            const char *m = did_you_mean(at->name, names);
            error_hint(d, at->loc, m ? arena_printf(d->arena, "did you mean '%s'?", m)
                                     : nf ? arena_printf(d->arena, "'%s' takes: %s%s%s", v->s, f[0].name, nf > 1 ? ", " : "", nf > 1 ? f[1].name : "")
                                          : arena_printf(d->arena, "'%s' takes no settings", v->s),
                       "unknown setting '%s' of %s '%s'", at->name, what, v->s);
            ok = false;
            continue;
        }
        if (f[k].seen) { error_at(d, at->loc, "'%s' given twice", at->name); ok = false; continue; }
        f[k].seen = true;
        Value *x = at->value;
        if (f[k].enums) {
            int64_t e;
            if (x->kind != V_IDENT) { wrong_type(d, at->name, x, "a word", NULL); ok = false; }
            else if (enum_word(d, at->name, x, f[k].enums, &e)) *f[k].enum_dst = (int)e;
            else ok = false;
        } else if (x->kind == V_INT || x->kind == V_REAL) {
            *f[k].dst = x->r;
        } else {
            wrong_type(d, at->name, x, "a number", NULL);
            ok = false;
        }
    }
    return ok;
}

static bool read_activation(Diags *d, const Value *v, Activation *act) {
    if (v->kind != V_IDENT && v->kind != V_OBJECT) {
        wrong_type(d, "activation", v, "an activation", "one of identity relu sigmoid tanh softplus leaky_relu elu");
        return false;
    }
    int64_t k;
    if (!enum_word(d, "activation", v, activation_words, &k)) return false;
    act->kind = (ActKind)k;
    act->alpha = k == ACT_LEAKY_RELU ? 0.01 : 1.0;
    if (v->kind == V_OBJECT) {
        ObjField f[] = {{"alpha", &act->alpha, NULL, NULL, false}};
        bool takes = k == ACT_LEAKY_RELU || k == ACT_ELU;
        return read_object(d, v, "activation", f, takes ? 1 : 0);
    }
    return true;
}

static const char *const init_alias_from[] = {"glorot", "he", "kaiming", "constant", NULL};
static const char *const init_alias_to[] = {"xavier", "msra", "msra", "const", NULL};
static const char *const varnorm_words[] = {"in", "out", "average", NULL};

static bool read_init(Diags *d, const char *attr, const Value *v, Init *init) {
    if (v->kind != V_IDENT && v->kind != V_OBJECT) {
        wrong_type(d, attr, v, "an initialiser", "xavier, msra, const { value = 0 }, normal { std = 0.02 } or uniform { low = -0.1, high = 0.1 }");
        return false;
    }
    Value tmp = *v;
    for (int i = 0; init_alias_from[i]; i++) if (strcmp(v->s, init_alias_from[i]) == 0) tmp.s = init_alias_to[i];
    int64_t k;
    if (!enum_word(d, "initialiser", &tmp, init_words, &k)) return false;
    memset(init, 0, sizeof *init);
    init->kind = (InitKind)k;
    int norm = VN_AVERAGE;
    double lo = -0.1, hi = 0.1, std = 0.02, value = 0;
    bool ok = true;
    if (v->kind == V_OBJECT) {
        switch (init->kind) {
        case INIT_XAVIER: case INIT_MSRA: {
            ObjField f[] = {{"variance_norm", NULL, &norm, varnorm_words, false}};
            ok = read_object(d, v, "initialiser", f, 1);
            break;
        }
        case INIT_CONST: { ObjField f[] = {{"value", &value, NULL, NULL, false}}; ok = read_object(d, v, "initialiser", f, 1); break; }
        case INIT_NORMAL: { ObjField f[] = {{"std", &std, NULL, NULL, false}}; ok = read_object(d, v, "initialiser", f, 1); break; }
        case INIT_UNIFORM: {
            ObjField f[] = {{"low", &lo, NULL, NULL, false}, {"high", &hi, NULL, NULL, false}};
            ok = read_object(d, v, "initialiser", f, 2);
            break;
        }
        }
    }
    if (!ok) return false;
    init->norm = (VarNorm)norm;
    if (init->kind == INIT_XAVIER && v->kind == V_IDENT) init->norm = VN_AVERAGE;
    if (init->kind == INIT_MSRA && v->kind == V_IDENT) init->norm = VN_IN;
    switch (init->kind) {
    case INIT_CONST: init->a = value; break;
    case INIT_NORMAL:
        if (!(std >= 0)) { error_at(d, v->loc, "'std' must be at least 0, not %g", std); return false; }
        init->a = std;
        break;
    case INIT_UNIFORM:
        if (!(lo <= hi)) { error_at(d, v->loc, "'low' (%g) must not exceed 'high' (%g)", lo, hi); return false; }
        init->a = lo; init->b = hi;
        break;
    default: break;
    }
    return true;
}

static bool read_spatial(Diags *d, const char *attr, const Value *v, Spatial *sp) {
    if (v->kind == V_INT) { sp->n = 0; sp->v[0] = sp->v[1] = sp->v[2] = v->i; return true; }
    if (v->kind != V_LIST || v->n < 1 || v->n > MAX_SPATIAL) {
        wrong_type(d, attr, v, "an integer or a list of 1 to 3 integers (one per spatial axis)",
                   v->kind == V_LIST ? "one entry per spatial axis, outer to inner (depth, height, width)" : NULL);
        return false;
    }
    sp->n = v->n;
    for (int i = 0; i < v->n; i++) {
        if (v->items[i]->kind != V_INT) { wrong_type(d, attr, v->items[i], "integers in its list", NULL); return false; }
        sp->v[i] = v->items[i]->i;
    }
    return true;
}

static bool read_padding(Diags *d, const Value *v, Padding *p) {
    memset(p, 0, sizeof *p);
    if (v->kind == V_IDENT) {
        static const char *const words[] = {"none", "same", "half_kernel", "valid", "half_kernel_size", NULL};
        int64_t k;
        if (!enum_word(d, "padding", v, words, &k)) return false;
        p->form = k == 0 || k == 3 ? PAD_NONE : k == 1 ? PAD_SAME : PAD_HALF;
        return true;
    }
    p->form = PAD_EXPLICIT;
    if (v->kind == V_INT) {
        if (v->i < 0) { error_at(d, v->loc, "padding must be at least 0, not %lld", v->i); return false; }
        p->nvals = 0;
        for (int i = 0; i < MAX_SPATIAL; i++) p->v[i][0] = p->v[i][1] = v->i;
        return true;
    }
    const char *forms = "none, same, half_kernel, an integer, a list per axis such as [1, 2], or [begin, end] pairs such as [[0, 1], [1, 1]]";
    if (v->kind != V_LIST || v->n < 1) { wrong_type(d, "padding", v, "a padding", forms); return false; }
    bool lists = v->items[0]->kind == V_LIST;
    if (v->n > MAX_SPATIAL) {
        /* kept for the geometry, which knows the spatial rank and shows the nested form */
        if (lists || v->n > 2 * MAX_SPATIAL) {
            error_hint(d, v->loc, "per-axis [begin, end] pairs are written nested: [[top, bottom], [left, right]]",
                       "'padding' has %d entries, but at most one per spatial axis (3) is allowed", v->n);
            return false;
        }
        for (int i = 0; i < v->n; i++) {
            if (v->items[i]->kind != V_INT) { wrong_type(d, "padding", v->items[i], "integers in its list", NULL); return false; }
            if (v->items[i]->i < 0) { error_at(d, v->items[i]->loc, "padding must be at least 0, not %lld", v->items[i]->i); return false; }
            p->flat[i] = v->items[i]->i;
        }
        p->nvals = v->n;
        return true;
    }
    p->nvals = v->n;
    p->pairs = lists;
    for (int i = 0; i < v->n; i++) {
        Value *e = v->items[i];
        if (lists) {
            if (e->kind != V_LIST || e->n != 2 || e->items[0]->kind != V_INT || e->items[1]->kind != V_INT) {
                error_hint(d, e->loc, "write every axis as [begin, end], e.g. [[0, 1], [1, 1]]",
                           "'padding' mixes forms: expected a [begin, end] pair of integers");
                return false;
            }
            p->v[i][0] = e->items[0]->i;
            p->v[i][1] = e->items[1]->i;
        } else {
            if (e->kind != V_INT) {
                error_hint(d, e->loc, "write either integers per axis [1, 2] or pairs [[0, 1], [1, 1]]",
                           "'padding' mixes forms: expected an integer");
                return false;
            }
            p->v[i][0] = p->v[i][1] = e->i;
        }
    }
    for (int i = 0; i < v->n; i++)
        for (int j = 0; j < 2; j++)
            if (p->v[i][j] < 0) {
                error_at(d, v->loc, "padding must be at least 0, not %lld", (long long)p->v[i][j]);
                return false;
            }
    return true;
}

static bool read_value(Diags *d, AttrId id, const Value *v, AttrVal *out) {
    const char *name = attr_info[id].name;
    switch (attr_info[id].type) {
    case AT_INT:
        if (v->kind != V_INT) { wrong_type(d, name, v, "an integer", NULL); return false; }
        out->i = v->i;
        return true;
    case AT_REAL:
        if (v->kind != V_INT && v->kind != V_REAL) { wrong_type(d, name, v, "a number", NULL); return false; }
        if (!isfinite(v->r)) { error_at(d, v->loc, "'%s' must be finite", name); return false; }
        out->r = v->r;
        return true;
    case AT_BOOL:
        if (v->kind != V_BOOL) { wrong_type(d, name, v, "true or false", NULL); return false; }
        out->i = v->i;
        return true;
    case AT_SPATIAL: return read_spatial(d, name, v, &out->sp);
    case AT_PADDING: return read_padding(d, v, &out->pad);
    case AT_ACTIVATION: return read_activation(d, v, &out->act);
    case AT_INIT: return read_init(d, name, v, &out->init);
    case AT_SHAPE:
        if (v->kind != V_LIST || v->n < 1 || v->n > MAX_RANK) { wrong_type(d, name, v, "a list of 1 to 6 integers", NULL); return false; }
        out->shape.rank = v->n;
        for (int i = 0; i < v->n; i++) {
            if (v->items[i]->kind != V_INT) { wrong_type(d, name, v->items[i], "integers in its list", NULL); return false; }
            if (v->items[i]->i < 1) { error_at(d, v->items[i]->loc, "'%s' dimensions must be at least 1, not %lld", name, v->items[i]->i); return false; }
            out->shape.d[i] = v->items[i]->i;
        }
        return true;
    case AT_ENUM:
        if (v->kind != V_IDENT) { wrong_type(d, name, v, "a word", NULL); return false; }
        return enum_word(d, name, v, attr_info[id].enums, &out->i);
    }
    return false;
}

/* Range rules of LANGUAGE.md, "What the compiler must reject". */
static void check_range(Diags *d, AttrId id, const AttrVal *v) {
    const char *name = attr_info[id].name;
    switch (id) {
    case A_FILTERS: case A_UNITS: case A_GROUPS:
        if (v->i < 1) error_at(d, v->loc, "'%s' must be at least 1, not %lld", name, (long long)v->i);
        else if (v->i > 1 << 24) error_at(d, v->loc, "'%s' of %lld is too large (at most 16777216)", name, (long long)v->i);
        break;
    case A_KERNEL: case A_STRIDE: case A_DILATION: case A_FACTOR:
        for (int i = 0; i < (v->sp.n ? v->sp.n : 1); i++) {
            if (v->sp.v[i] < 1) { error_at(d, v->loc, "'%s' must be at least 1, not %lld", name, (long long)v->sp.v[i]); break; }
            if (v->sp.v[i] > 1 << 20) { error_at(d, v->loc, "'%s' of %lld is too large (at most 1048576)", name, (long long)v->sp.v[i]); break; }
        }
        break;
    case A_OUTPUT_PADDING:
        for (int i = 0; i < (v->sp.n ? v->sp.n : 1); i++) {
            if (v->sp.v[i] < 0) { error_at(d, v->loc, "'output_padding' must be at least 0, not %lld", (long long)v->sp.v[i]); break; }
            if (v->sp.v[i] > 1 << 20) { error_at(d, v->loc, "'output_padding' of %lld is too large (at most 1048576)", (long long)v->sp.v[i]); break; }
        }
        break;
    case A_OUTPUT_SHAPE:
        for (int i = 0; i < (v->sp.n ? v->sp.n : 1); i++) {
            if (v->sp.v[i] < 1) { error_at(d, v->loc, "'output_shape' must be at least 1, not %lld", (long long)v->sp.v[i]); break; }
            if (v->sp.v[i] > 2147483647LL) { error_at(d, v->loc, "'output_shape' of %lld overflows the index type", (long long)v->sp.v[i]); break; }
        }
        break;
    case A_PADDING:   /* below 0 is refused while reading; bound it so sizes cannot overflow */
        if (v->pad.form == PAD_EXPLICIT) {
            int64_t big = 0;
            for (int i = 0; i < MAX_SPATIAL; i++)
                for (int j = 0; j < 2; j++) if (v->pad.v[i][j] > big) big = v->pad.v[i][j];
            for (int i = 0; i < 2 * MAX_SPATIAL; i++) if (v->pad.flat[i] > big) big = v->pad.flat[i];
            if (big > 1 << 20) error_at(d, v->loc, "'padding' of %lld is too large (at most 1048576)", (long long)big);
        }
        break;
    case A_LR_MULT:
        if (v->r < 0) error_hint(d, v->loc, "0 freezes the layer", "'lr_mult' must be at least 0, not %g", v->r);
        break;
    case A_EPS:
        if (!(v->r > 0)) error_at(d, v->loc, "'eps' must be above 0, not %g", v->r);
        break;
    case A_MOMENTUM:
        if (v->r < 0 || v->r > 1) error_at(d, v->loc, "'momentum' must be in [0, 1], not %g", v->r);
        break;
    default: break;
    }
}

bool pass_check_attrs(Net *net, Diags *d) {
    Arena *a = d->arena;
    int before = d->errors;
    for (int i = 0; i < net->layers.n; i++) {
        Layer *L = net->layers.v[i];
        if (!L->kind) continue;
        const LayerKind *k = L->kind;
        bool suggested[A__COUNT] = {0};   /* a misspelt required attribute is reported once */
        /* attributes written in the file */
        for (Attr *at = L->call->attrs; at; at = at->next) {
            const AttrUse *use = NULL;
            for (const AttrUse *u = k->attrs; u->id != A__COUNT; u++)
                if (strcmp(attr_info[u->id].name, at->name) == 0) use = u;
            if (!use) {
                int n = 0;
                for (const AttrUse *u = k->attrs; u->id != A__COUNT; u++) n++;
                const char **names = arena_alloc(a, sizeof(char *) * (size_t)(n + 1));
                n = 0;
                for (const AttrUse *u = k->attrs; u->id != A__COUNT; u++) names[n++] = attr_info[u->id].name;
                const char *m = did_you_mean(at->name, names);
                const char *hint = m ? arena_printf(a, "did you mean '%s'?", m) : NULL;
                for (int j = 0; m && j < A__COUNT; j++) if (!strcmp(attr_info[j].name, m)) suggested[j] = true;
                if (!m) {
                    /* known elsewhere? say which kinds take it */
                    for (int j = 0; j < A__COUNT; j++)
                        if (strcmp(attr_info[j].name, at->name) == 0)
                            hint = arena_printf(a, "'%s' does not apply to '%s' layers", at->name, k->name);
                    if (!hint && n) {
                        char buf[512] = "";
                        for (int j = 0; j < n; j++) {
                            strncat(buf, j ? ", " : "", sizeof buf - strlen(buf) - 1);
                            strncat(buf, names[j], sizeof buf - strlen(buf) - 1);
                        }
                        hint = arena_printf(a, "'%s' takes: %s", k->name, buf);
                    }
                }
                error_hint(d, at->loc, hint, "unknown attribute '%s' for '%s'", at->name, L->kind_name);
                continue;
            }
            AttrVal *v = &L->a[use->id];
            if (v->given) {
                error_hint(d, at->loc, arena_printf(a, "first given at line %d, column %d", v->loc.line, v->loc.col),
                           "attribute '%s' given twice", at->name);
                continue;
            }
            v->given = true;
            v->loc = at->value->loc;
            if (read_value(d, use->id, at->value, v)) check_range(d, use->id, v);
        }
        /* defaults and required ones */
        for (const AttrUse *u = k->attrs; u->id != A__COUNT; u++) {
            AttrVal *v = &L->a[u->id];
            if (v->given) continue;
            if (u->required && suggested[u->id]) continue;
            if (u->required) {
                error_hint(d, L->kind_loc,
                           arena_printf(a, "add '%s = ...' to the { } of '%s'", attr_info[u->id].name, L->name),
                           "'%s' requires the attribute '%s'", L->kind_name, attr_info[u->id].name);
                continue;
            }
            Loc loc = v->loc;
            *v = u->def;
            v->given = false;
            v->loc = loc.src ? loc : L->kind_loc;
        }
    }
    return d->errors == before;
}
