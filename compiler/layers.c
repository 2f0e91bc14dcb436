/*
 * layers.c — the table of layer kinds and the attribute table.  A layer kind is a
 * row here plus one file (layer_*.c) with its attribute list and functions; the
 * passes read only this table, so adding a kind needs no pass to change.
 */
#include "netc.h"

#include <string.h>

const char *const mode_words[] = {"nearest", NULL};
const char *const activation_words[] = {"identity", "relu", "sigmoid", "tanh", "softplus",
                                        "leaky_relu", "elu", NULL};
const char *const init_words[] = {"xavier", "msra", "const", "normal", "uniform", NULL};

const AttrInfo attr_info[A__COUNT] = {
#define X(e, name, type, enums) [A_##e] = {name, type, enums},
    NETC_ATTRS(X)
#undef X
};

/* The kinds, each defined in its own file. */
extern const LayerKind kind_tconv, kind_conv, kind_maxpool, kind_avgpool, kind_dense,
    kind_relu, kind_sigmoid, kind_tanh, kind_softplus, kind_identity, kind_leaky_relu,
    kind_elu, kind_batchnorm, kind_add, kind_concat, kind_reshape, kind_flatten,
    kind_upsample;

const LayerKind *const layer_kinds[] = {
    &kind_tconv, &kind_conv, &kind_dense, &kind_maxpool, &kind_avgpool,
    &kind_relu, &kind_sigmoid, &kind_tanh, &kind_softplus, &kind_identity,
    &kind_leaky_relu, &kind_elu, &kind_batchnorm, &kind_add, &kind_concat,
    &kind_reshape, &kind_flatten, &kind_upsample, NULL,
};

const LayerKind *find_layer_kind(const char *name) {
    for (int i = 0; layer_kinds[i]; i++) {
        const LayerKind *k = layer_kinds[i];
        if (strcmp(k->name, name) == 0) return k;
        for (int j = 0; j < 3 && k->aliases[j]; j++)
            if (strcmp(k->aliases[j], name) == 0) return k;
    }
    return NULL;
}

const char *const *layer_kind_names(Arena *a) {
    int n = 0;
    for (int i = 0; layer_kinds[i]; i++) { n++; for (int j = 0; j < 3 && layer_kinds[i]->aliases[j]; j++) n++; }
    const char **v = arena_alloc(a, sizeof(char *) * (size_t)(n + 1));
    n = 0;
    for (int i = 0; layer_kinds[i]; i++) {
        v[n++] = layer_kinds[i]->name;
        for (int j = 0; j < 3 && layer_kinds[i]->aliases[j]; j++) v[n++] = layer_kinds[i]->aliases[j];
    }
    return v;
}

Layer *net_find(Net *net, const char *name, int before) {
    for (int i = 0; i < before && i < net->layers.n; i++) {
        Layer *L = net->layers.v[i];
        if (strcmp(L->name, name) == 0) return L;
    }
    return NULL;
}

/* Element count with overflow detection: 0 on overflow past 2^31-1, the index type
 * of generated code. */
int shape_elems_ok(const Shape *s, int64_t *out) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (__builtin_mul_overflow(n, s->d[i], &n) || n > 2147483647LL) { *out = 0; return 0; }
    }
    *out = n;
    return 1;
}

int64_t shape_count(const Shape *s) {
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) n *= s->d[i];
    return n;
}

char *shape_str(Arena *a, const Shape *s) {
    char buf[256];
    int k = snprintf(buf, sizeof buf, "[");
    for (int i = 0; i < s->rank; i++)
        k += snprintf(buf + k, sizeof buf - (size_t)k, "%s%lld", i ? ", " : "", (long long)s->d[i]);
    snprintf(buf + k, sizeof buf - (size_t)k, "]");
    return arena_strdup(a, buf);
}

const char *act_name(ActKind k) { return activation_words[k]; }
