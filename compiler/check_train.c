/*
 * check_train.c — pass 5: the train block.  `loss = KIND(prediction, target)`
 * with a target input of the same shape (cross_entropy: class indices, one per
 * pixel or sample); `optimizer = sgd { ... }`, `adam { ... }` or `adamw { ... }`
 * with PyTorch's defaults and ranges; `epochs`, `steps`, `clip_norm`.
 */
#include "netc.h"

#include <math.h>
#include <string.h>

static const char *const train_words[] = {"loss", "optimizer", "epochs", "steps", "clip_norm", NULL};
static const char *const loss_words[] = {"mse", "l1", "bce", "cross_entropy", NULL};
static const char *const opt_words[] = {"sgd", "adam", "adamw", NULL};

static bool word_index(Diags *d, const char *what, const char *word, Loc loc, const char *const *words, int *out) {
    for (int i = 0; words[i]; i++) if (strcmp(word, words[i]) == 0) { *out = i; return true; }
    const char *m = did_you_mean(word, words);
    char list[128] = "";
    for (int i = 0; words[i]; i++) { strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1); strncat(list, words[i], sizeof list - strlen(list) - 1); }
    error_hint(d, loc, m ? arena_printf(d->arena, "did you mean '%s'?", m) : arena_printf(d->arena, "one of: %s", list),
               "unknown %s '%s'", what, word);
    return false;
}

static void check_loss(Net *net, Train *t, Value *v, Diags *d) {
    if (v->kind != V_CALL) {
        error_hint(d, v->loc, "write 'loss = mse(prediction, target);'", "'loss' must be a call such as mse(rec, image)");
        return;
    }
    int k;
    if (!word_index(d, "loss", v->s, v->name_loc, loss_words, &k)) return;
    t->loss = (LossKind)k;
    if (v->n != 2) {
        error_hint(d, v->name_loc, arena_printf(d->arena, "write '%s(prediction, target)'", v->s),
                   "'%s' takes 2 arguments (prediction, target), got %d", v->s, v->n);
        return;
    }
    Layer *side[2] = {0};
    for (int i = 0; i < 2; i++) {
        Value *a = v->items[i];
        if (a->kind != V_IDENT) { error_at(d, a->loc, "expected a layer or input name"); return; }
        side[i] = net_find(net, a->s, net->layers.n);
        if (!side[i]) {
            const char **names = d->arena ? arena_alloc(d->arena, sizeof(char *) * (size_t)(net->layers.n + 1)) : NULL;
            for (int j = 0; j < net->layers.n; j++) names[j] = ((Layer *)net->layers.v[j])->name;
            const char *m = did_you_mean(a->s, names);
            error_hint(d, a->loc, m ? arena_printf(d->arena, "did you mean '%s'?", m) : NULL, "unknown name '%s'", a->s);
            return;
        }
    }
    if (side[0]->is_input) {
        error_hint(d, v->items[0]->loc, "the first argument is the layer being trained", "the prediction '%s' is an input", side[0]->name);
        return;
    }
    if (!side[1]->is_input) {
        error_hint(d, v->items[1]->loc, "declare the target as an input: 'input target : [...];'",
                   "the target '%s' must be an input", side[1]->name);
        return;
    }
    t->pred = side[0];
    t->target = side[1];
    if (!side[0]->shaped || !side[1]->shaped) return;
    const Shape *p = &side[0]->shape, *q = &side[1]->shape;
    bool same = p->rank == q->rank;
    for (int i = 0; same && i < p->rank; i++) same = p->d[i] == q->d[i];
    if (t->loss == LOSS_CROSS_ENTROPY) {
        /* logits [C, spatial...] against class indices [spatial...] or [1, spatial...] */
        bool ok = (q->rank == p->rank - 1) || (q->rank == p->rank && q->d[0] == 1);
        int off = q->rank == p->rank - 1 ? 1 : 0;
        for (int i = 0; ok && i < q->rank - (1 - off); i++) ok = q->d[i + 1 - off] == p->d[i + 1];
        if (p->rank == 1 && q->rank == 1) ok = q->d[0] == 1;
        if (!ok)
            error_hint(d, v->items[1]->loc,
                       arena_printf(d->arena, "for logits %s the target holds one class index per position", shape_str(d->arena, p)),
                       "'cross_entropy' target '%s' has shape %s, which does not match logits %s",
                       side[1]->name, shape_str(d->arena, q), shape_str(d->arena, p));
        return;
    }
    if (!same)
        error_hint(d, v->loc, NULL, "loss '%s' compares '%s' of shape %s with '%s' of shape %s", v->s,
                   side[0]->name, shape_str(d->arena, p), side[1]->name, shape_str(d->arena, q));
}

static void check_optimizer(Train *t, Value *v, Diags *d) {
    if (v->kind != V_IDENT && v->kind != V_OBJECT) {
        error_hint(d, v->loc, "write 'optimizer = adam { lr = 0.001 };'", "'optimizer' must be sgd { ... }, adam { ... } or adamw { ... }");
        return;
    }
    int k;
    if (!word_index(d, "optimizer", v->s, v->kind == V_OBJECT ? v->name_loc : v->loc, opt_words, &k)) return;
    t->opt = (OptKind)k;
    t->lr = 1e-3;
    t->beta1 = 0.9; t->beta2 = 0.999; t->eps = 1e-8;
    t->weight_decay = t->opt == OPT_ADAMW ? 1e-2 : 0;
    t->momentum = 0; t->nesterov = false;
    static const char *const sgd_keys[] = {"lr", "momentum", "nesterov", "weight_decay", NULL};
    static const char *const adam_keys[] = {"lr", "beta1", "beta2", "eps", "weight_decay", NULL};
    const char *const *keys = t->opt == OPT_SGD ? sgd_keys : adam_keys;
    for (Attr *a = v->attrs; a; a = a->next) {
        int key;
        bool found = false;
        for (key = 0; keys[key]; key++) if (strcmp(a->name, keys[key]) == 0) { found = true; break; }
        if (!found) {
            const char *m = did_you_mean(a->name, keys);
            error_hint(d, a->loc, m ? arena_printf(d->arena, "did you mean '%s'?", m) : NULL,
                       "unknown setting '%s' of optimizer '%s'", a->name, v->s);
            continue;
        }
        Value *x = a->value;
        if (strcmp(a->name, "nesterov") == 0) {
            if (x->kind != V_BOOL) { error_at(d, x->loc, "'nesterov' expects true or false"); continue; }
            t->nesterov = x->i;
            continue;
        }
        if (x->kind != V_INT && x->kind != V_REAL) { error_at(d, x->loc, "'%s' expects a number", a->name); continue; }
        double r = x->r;
        if (!strcmp(a->name, "lr")) {
            if (!(r > 0) || !isfinite(r)) error_hint(d, x->loc, "a learning rate such as 0.001", "'lr' must be above 0, not %g", r);
            t->lr = r;
        } else if (!strcmp(a->name, "beta1") || !strcmp(a->name, "beta2")) {
            if (!(r >= 0 && r < 1)) error_at(d, x->loc, "'%s' must be in [0, 1), not %g", a->name, r);
            if (a->name[4] == '1') t->beta1 = r; else t->beta2 = r;
        } else if (!strcmp(a->name, "eps")) {
            if (!(r > 0)) error_at(d, x->loc, "'eps' must be above 0, not %g", r);
            t->eps = r;
        } else if (!strcmp(a->name, "weight_decay")) {
            if (!(r >= 0)) error_at(d, x->loc, "'weight_decay' must be at least 0, not %g", r);
            t->weight_decay = r;
        } else if (!strcmp(a->name, "momentum")) {
            if (!(r >= 0 && r < 1)) error_at(d, x->loc, "'momentum' must be in [0, 1), not %g", r);
            t->momentum = r;
        }
    }
    if (t->opt == OPT_SGD && t->nesterov && t->momentum <= 0)
        error_hint(d, v->loc, "set momentum, e.g. 0.9", "nesterov momentum needs 'momentum' above 0");
}

bool pass_check_train(Net *net, Diags *d) {
    Train *t = net->train;
    if (!t) return true;
    int before = d->errors;
    Loc seen[5] = {{0}};   /* seen[k].line 0: not given */
    t->epochs = 1;
    for (Attr *a = t->attrs; a; a = a->next) {
        int k;
        if (!word_index(d, "train setting", a->name, a->loc, train_words, &k)) continue;
        if (seen[k].line) {
            error_hint(d, a->loc, arena_printf(d->arena, "first given at line %d, column %d", seen[k].line, seen[k].col),
                       "'%s' given twice", a->name);
            continue;
        }
        seen[k] = a->loc;
        Value *v = a->value;
        switch (k) {
        case 0: check_loss(net, t, v, d); break;
        case 1: check_optimizer(t, v, d); break;
        case 2: case 3:
            if (v->kind != V_INT) { error_at(d, v->loc, "'%s' expects an integer", a->name); break; }
            if (v->i < 1) { error_at(d, v->loc, "'%s' must be at least 1, not %lld", a->name, v->i); break; }
            if (k == 2) t->epochs = v->i; else t->steps = v->i;
            break;
        case 4:
            if ((v->kind != V_INT && v->kind != V_REAL) || !(v->r > 0))
                error_at(d, v->loc, "'clip_norm' expects a number above 0");
            else t->clip_norm = v->r;
            break;
        }
    }
    if (!seen[0].line) error_hint(d, t->loc, "add 'loss = mse(prediction, target);'", "the train block has no loss");
    if (!seen[1].line) error_hint(d, t->loc, "add 'optimizer = adam { lr = 0.001 };'", "the train block has no optimizer");
    t->checked = d->errors == before;
    return d->errors == before;
}
