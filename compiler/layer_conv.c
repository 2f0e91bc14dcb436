/*
 * layer_conv.c — the convolution family: `tconv` (transposed convolution), `conv`,
 * and the pools, which share one geometry: per spatial axis a kernel, stride,
 * dilation, begin/end padding and (tconv only) output padding.
 *
 * Output sizes (LANGUAGE.md; PyTorch's ConvTranspose/Conv docs; Dumoulin & Visin,
 * "A guide to convolution arithmetic", 2016):
 *     tconv: o = (i - 1) * s - pb - pe + d * (k - 1) + a + 1
 *     conv:  o = floor((i + pb + pe - d * (k - 1) - 1) / s) + 1
 */
#include "netc.h"

#include <string.h>

static const char *axis_name(int nsp, int axis) {
    static const char *const names[3][3] = {{"width"}, {"height", "width"}, {"depth", "height", "width"}};
    return names[nsp - 1][axis];
}

/* The axes from `i` on whose geometry equals axis i's (one number given for every
 * axis makes them equal), named for a message: "axis width", "axes height and
 * width"; they are marked in *done so each mistake is reported once. */
static const char *axes_like(Arena *a, const ConvGeom *g, int i, unsigned *done) {
    int same[MAX_SPATIAL], n = 0;
    for (int j = i; j < g->nsp; j++)
        if (!(*done & (1u << j)) && g->in[j] == g->in[i] && g->k[j] == g->k[i] && g->s[j] == g->s[i] &&
            g->dil[j] == g->dil[i] && g->pb[j] == g->pb[i] && g->pe[j] == g->pe[i] && g->op[j] == g->op[i]) {
            same[n++] = j;
            *done |= 1u << j;
        }
    if (n == 1) return arena_printf(a, "axis %s", axis_name(g->nsp, i));
    if (n == 2) return arena_printf(a, "axes %s and %s", axis_name(g->nsp, same[0]), axis_name(g->nsp, same[1]));
    return arena_printf(a, "axes %s, %s and %s", axis_name(g->nsp, same[0]), axis_name(g->nsp, same[1]),
                        axis_name(g->nsp, same[2]));
}

/* Expand a one-or-per-axis attribute to nsp values; false after an error. */
static bool expand(Diags *d, Layer *L, AttrId id, int nsp, int64_t *out) {
    const AttrVal *v = &L->a[id];
    if (v->sp.n == 0) { for (int i = 0; i < nsp; i++) out[i] = v->sp.v[0]; return true; }
    if (v->sp.n != nsp) {
        error_hint(d, v->loc, arena_printf(d->arena, "give one number for every axis, or %d (outer to inner)", nsp),
                   "'%s' has %d entr%s, but the input of '%s' has %d spatial ax%s",
                   attr_info[id].name, v->sp.n, v->sp.n == 1 ? "y" : "ies", L->name, nsp, nsp == 1 ? "is" : "es");
        return false;
    }
    for (int i = 0; i < nsp; i++) out[i] = v->sp.v[i];
    return true;
}

static bool expand_padding(Diags *d, Layer *L, ConvGeom *g, bool transposed, bool *same_op) {
    const AttrVal *v = &L->a[A_PADDING];
    const Padding *p = &v->pad;
    int nsp = g->nsp;
    *same_op = false;
    for (int i = 0; i < nsp; i++) {
        int64_t dk = g->dil[i] * (g->k[i] - 1) + 1;
        switch (p->form) {
        case PAD_NONE: g->pb[i] = g->pe[i] = 0; break;
        case PAD_HALF: g->pb[i] = g->pe[i] = dk / 2; break;
        case PAD_SAME:
            if (transposed) {        /* o = i * s: total = dk - s, odd part at the end */
                int64_t P = dk - g->s[i];
                if (P < 0) { g->op[i] = -P; P = 0; *same_op = true; }
                g->pb[i] = P / 2; g->pe[i] = P - P / 2;
            } else {                 /* o = ceil(i / s) (ONNX SAME_UPPER) */
                int64_t o = (g->in[i] + g->s[i] - 1) / g->s[i];
                int64_t P = (o - 1) * g->s[i] + dk - g->in[i];
                if (P < 0) P = 0;
                g->pb[i] = P / 2; g->pe[i] = P - P / 2;
            }
            break;
        case PAD_EXPLICIT:
            if (p->nvals == 0) { g->pb[i] = p->v[0][0]; g->pe[i] = p->v[0][1]; break; }
            if (p->nvals != nsp) {
                char nested[128] = "[";
                int nv = p->nvals;
                if (!p->pairs && nv == 2 * nsp) {
                    for (int j = 0; j < nsp; j++)
                        snprintf(nested + strlen(nested), sizeof nested - strlen(nested), "%s[%lld, %lld]",
                                 j ? ", " : "", (long long)p->flat[2 * j], (long long)p->flat[2 * j + 1]);
                } else {
                    for (int j = 0; j < nsp; j++)
                        snprintf(nested + strlen(nested), sizeof nested - strlen(nested), "%s[begin, end]", j ? ", " : "");
                }
                strncat(nested, "]", sizeof nested - strlen(nested) - 1);
                error_hint(d, v->loc,
                           arena_printf(d->arena, "give one entry per spatial axis, outer to inner; for per-side padding write the nested form %s", nested),
                           "'padding' has %d entries, but the input of '%s' has %d spatial ax%s",
                           nv, L->name, nsp, nsp == 1 ? "is" : "es");
                return false;
            }
            g->pb[i] = p->v[i][0]; g->pe[i] = p->v[i][1];
            break;
        }
    }
    return true;
}

/* Geometry of conv / tconv / pools from the input shape and checked attributes.
 * Sets L->g, L->shape, L->td. */
bool conv_resolve_geometry(Net *net, Layer *L, bool transposed, Diags *d) {
    (void)net;
    const Layer *X = L->in[0];
    bool td = L->a[A_TIME_DISTRIBUTED].i;
    int off = td ? 1 : 0;
    int nsp = X->shape.rank - 1 - off;
    ConvGeom *g = &L->g;
    memset(g, 0, sizeof *g);
    if (X->td && !td) {   /* T would silently become the channel axis */
        error_hint(d, L->in_loc[0], arena_printf(d->arena, "add time_distributed = true to '%s' to apply it to each step", L->name),
                   "'%s' reads '%s', a time-distributed value of shape %s (T first), but is not time-distributed itself",
                   L->name, X->name, shape_str(d->arena, &X->shape));
        return false;
    }
    if (nsp < 1 || nsp > MAX_SPATIAL) {
        Arena *a = d->arena;
        error_hint(d, L->in_loc[0],
                   td ? "a time-distributed layer reads [T, C, W], [T, C, H, W] or [T, C, D, H, W]"
                   : nsp > MAX_SPATIAL ? "a leading T axis needs time_distributed = true"
                      : "reshape the input to add spatial axes, e.g. reshape(x) { shape = [C, H, W] }",
                   "'%s' needs an input of shape %s; '%s' has shape %s", L->kind_name,
                   td ? "[T, C, spatial...] with 1 to 3 spatial axes" : "[C, W], [C, H, W] or [C, D, H, W]",
                   X->name, shape_str(a, &X->shape));
        return false;
    }
    g->nsp = nsp;
    g->cin = X->shape.d[off];
    for (int i = 0; i < nsp; i++) g->in[i] = X->shape.d[off + 1 + i];
    bool is_pool = L->kind->op == OP_MAXPOOL || L->kind->op == OP_AVGPOOL;
    g->groups = is_pool ? 1 : L->a[A_GROUPS].i;
    g->cout = is_pool ? g->cin : L->a[A_FILTERS].i;
    if (!expand(d, L, A_KERNEL, nsp, g->k)) return false;
    if (is_pool && !L->a[A_STRIDE].given) memcpy(g->s, g->k, sizeof g->s);
    else if (!expand(d, L, A_STRIDE, nsp, g->s)) return false;
    if (is_pool) for (int i = 0; i < nsp; i++) g->dil[i] = 1;
    else if (!expand(d, L, A_DILATION, nsp, g->dil)) return false;
    if (transposed && !expand(d, L, A_OUTPUT_PADDING, nsp, g->op)) return false;
    bool same_op;
    if (!expand_padding(d, L, g, transposed, &same_op)) return false;
    if (!is_pool && (g->cin % g->groups || g->cout % g->groups)) {
        if (g->cin % g->groups)
            error_hint(d, L->a[A_GROUPS].loc, arena_printf(d->arena, "'%s' has %lld input channels", X->name, (long long)g->cin),
                       "'groups' (%lld) must divide the input channels (%lld)", (long long)g->groups, (long long)g->cin);
        if (g->cout % g->groups)
            error_at(d, L->a[A_GROUPS].loc, "'groups' (%lld) must divide 'filters' (%lld)", (long long)g->groups, (long long)g->cout);
        return false;
    }
    if (transposed) {
        const AttrVal *os = &L->a[A_OUTPUT_SHAPE], *op = &L->a[A_OUTPUT_PADDING];
        if (os->given && op->given) {
            error_hint(d, os->loc, "keep one: output_shape derives output_padding",
                       "'output_padding' and 'output_shape' are both given");
            return false;
        }
        if (L->a[A_PADDING].pad.form == PAD_SAME && (os->given || op->given)) {
            error_hint(d, (os->given ? os : op)->loc, "padding = same fixes the output at input * stride",
                       "'%s' cannot be combined with padding = same", os->given ? "output_shape" : "output_padding");
            return false;
        }
        if (os->given) {
            int64_t want[MAX_SPATIAL];
            if (!expand(d, L, A_OUTPUT_SHAPE, nsp, want)) return false;
            bool ok = true;
            int64_t base[MAX_SPATIAL], span[MAX_SPATIAL];
            for (int i = 0; i < nsp; i++) {
                base[i] = (g->in[i] - 1) * g->s[i] - g->pb[i] - g->pe[i] + g->dil[i] * (g->k[i] - 1) + 1;
                span[i] = g->s[i] > g->dil[i] ? g->s[i] : g->dil[i];
                g->op[i] = want[i] - base[i];
            }
            unsigned done = 0;
            for (int i = 0; i < nsp; i++) {
                if (done & (1u << i) || (g->op[i] >= 0 && g->op[i] < span[i])) continue;
                error_hint(d, os->loc,
                           span[i] == 1 ? arena_printf(d->arena, "with this kernel, stride and padding the only size is %lld", (long long)base[i])
                                        : arena_printf(d->arena, "sizes %lld to %lld can be reached (output_padding 0 to %lld)",
                                                       (long long)base[i], (long long)(base[i] + span[i] - 1), (long long)(span[i] - 1)),
                           "'output_shape' %lld on %s cannot be reached", (long long)want[i], axes_like(d->arena, g, i, &done));
                ok = false;
            }
            if (!ok) return false;
        }
    }
    /* output sizes */
    Shape out = {0};
    if (td) out.d[out.rank++] = X->shape.d[0];
    out.d[out.rank++] = g->cout;
    bool ok = true;
    unsigned done = 0;
    for (int i = 0; i < nsp; i++) {
        int64_t ii = g->in[i], k = g->k[i], s = g->s[i], dd = g->dil[i], pb = g->pb[i], pe = g->pe[i], a = g->op[i];
        int64_t o;
        const char *formula;
        if (transposed) {
            o = (ii - 1) * s - pb - pe + dd * (k - 1) + a + 1;
            formula = arena_printf(d->arena, "o = (i - 1) * s - pb - pe + d * (k - 1) + a + 1 = (%lld - 1) * %lld - %lld - %lld + %lld * (%lld - 1) + %lld + 1 = %lld",
                                   (long long)ii, (long long)s, (long long)pb, (long long)pe, (long long)dd, (long long)k, (long long)a, (long long)o);
        } else {
            int64_t num = ii + pb + pe - dd * (k - 1) - 1;
            o = (num >= 0 ? num / s : -((-num + s - 1) / s)) + 1;
            formula = arena_printf(d->arena, "o = floor((i + pb + pe - d * (k - 1) - 1) / s) + 1 = floor((%lld + %lld + %lld - %lld * (%lld - 1) - 1) / %lld) + 1 = %lld",
                                   (long long)ii, (long long)pb, (long long)pe, (long long)dd, (long long)k, (long long)s, (long long)o);
        }
        if ((o < 1 || o > 2147483647LL) && (done & (1u << i))) {
            ok = false;
        } else if (o < 1) {
            error_hint(d, L->kind_loc, formula, "'%s' output size on %s would be %lld (below 1)",
                       L->name, axes_like(d->arena, g, i, &done), (long long)o);
            ok = false;
        } else if (o > 2147483647LL) {
            error_hint(d, L->kind_loc, formula, "'%s' output size on %s overflows the index type", L->name,
                       axes_like(d->arena, g, i, &done));
            ok = false;
        }
        g->out[i] = o;
        out.d[out.rank++] = o;
    }
    if (!ok) return false;
    L->shape = out;
    L->td = td;
    return true;
}

/* Products of sizes saturate rather than overflow: kernel, channels and input are
 * each bounded, but their product need not fit in 64 bits. */
static int64_t sat_mul(int64_t a, int64_t b) { int64_t r; return __builtin_mul_overflow(a, b, &r) ? INT64_MAX : r; }
static int64_t prod(const int64_t *v, int n) { int64_t p = 1; for (int i = 0; i < n; i++) p = sat_mul(p, v[i]); return p; }

/* The weight [a, b, k...] is a tensor like any other: it must fit the index type. */
static bool weight_fits(Layer *L, int64_t a, int64_t b, Diags *d) {
    const ConvGeom *g = &L->g;
    if (sat_mul(sat_mul(a, b), prod(g->k, g->nsp)) <= 2147483647LL) return true;
    char shape[160];
    int n = snprintf(shape, sizeof shape, "[%lld, %lld", (long long)a, (long long)b);
    for (int i = 0; i < g->nsp; i++) n += snprintf(shape + n, sizeof shape - (size_t)n, ", %lld", (long long)g->k[i]);
    snprintf(shape + n, sizeof shape - (size_t)n, "]");
    error_hint(d, L->kind_loc, "generated code indexes tensors with 32-bit integers; use a smaller kernel or fewer channels",
               "'%s' weight %s holds more than 2147483647 elements", L->name, shape);
    return false;
}

static bool infer_tconv(Net *net, Layer *L, Diags *d) {
    if (!conv_resolve_geometry(net, L, true, d)) return false;
    ConvGeom *g = &L->g;
    if (!weight_fits(L, g->cin, g->cout / g->groups, d)) return false;
    int64_t T = L->td ? L->shape.d[0] : 1;
    int64_t kv = prod(g->k, g->nsp);
    L->params = g->cin * (g->cout / g->groups) * kv + (L->a[A_BIAS].i ? g->cout : 0);
    L->macs = sat_mul(sat_mul(T, g->cin * (g->cout / g->groups) * kv), prod(g->in, g->nsp));
    return true;
}

static bool infer_conv(Net *net, Layer *L, Diags *d) {
    if (!conv_resolve_geometry(net, L, false, d)) return false;
    ConvGeom *g = &L->g;
    if (!weight_fits(L, g->cout, g->cin / g->groups, d)) return false;
    int64_t T = L->td ? L->shape.d[0] : 1;
    int64_t kv = prod(g->k, g->nsp);
    L->params = g->cout * (g->cin / g->groups) * kv + (L->a[A_BIAS].i ? g->cout : 0);
    L->macs = sat_mul(sat_mul(T, g->cout * (g->cin / g->groups) * kv), prod(g->out, g->nsp));
    return true;
}

static bool infer_pool(Net *net, Layer *L, Diags *d) {
    if (!conv_resolve_geometry(net, L, false, d)) return false;
    L->params = 0;
    L->macs = 0;
    return true;
}

#define TRAINABLE_ATTRS                                                          \
    {A_WEIGHT_INIT, false, {.init = {INIT_XAVIER, VN_AVERAGE, 0, 0}}},           \
    {A_BIAS_INIT, false, {.init = {INIT_CONST, VN_AVERAGE, 0, 0}}},              \
    {A_LR_MULT, false, {.r = 1.0}},                                              \
    {A_TRAINABLE, false, {.i = 1}}

#define COMMON_ATTRS                                                             \
    {A_INFERENCE_OUTPUT, false, {.i = 0}},                                       \
    {A_TIME_DISTRIBUTED, false, {.i = 0}}

static const AttrUse tconv_attrs[] = {
    {A_FILTERS, true, {0}},
    {A_KERNEL, true, {0}},
    {A_STRIDE, false, {.sp = {0, {1, 1, 1}}}},
    {A_DILATION, false, {.sp = {0, {1, 1, 1}}}},
    {A_PADDING, false, {.pad = {PAD_NONE, 0, false, {{0}}}}},
    {A_OUTPUT_PADDING, false, {.sp = {0, {0, 0, 0}}}},
    {A_OUTPUT_SHAPE, false, {0}},
    {A_GROUPS, false, {.i = 1}},
    {A_BIAS, false, {.i = 1}},
    {A_ACTIVATION, false, {.act = {ACT_IDENTITY, 0}}},
    TRAINABLE_ATTRS,
    COMMON_ATTRS,
    {A__COUNT, false, {0}},
};

static const AttrUse conv_attrs[] = {
    {A_FILTERS, true, {0}},
    {A_KERNEL, true, {0}},
    {A_STRIDE, false, {.sp = {0, {1, 1, 1}}}},
    {A_DILATION, false, {.sp = {0, {1, 1, 1}}}},
    {A_PADDING, false, {.pad = {PAD_NONE, 0, false, {{0}}}}},
    {A_GROUPS, false, {.i = 1}},
    {A_BIAS, false, {.i = 1}},
    {A_ACTIVATION, false, {.act = {ACT_IDENTITY, 0}}},
    TRAINABLE_ATTRS,
    COMMON_ATTRS,
    {A__COUNT, false, {0}},
};

static const AttrUse pool_attrs[] = {
    {A_KERNEL, true, {0}},
    {A_STRIDE, false, {0}},          /* defaults to the kernel */
    {A_PADDING, false, {.pad = {PAD_NONE, 0, false, {{0}}}}},
    COMMON_ATTRS,
    {A__COUNT, false, {0}},
};

const LayerKind kind_tconv = {.name = "tconv", .aliases = {"deconv", "conv_transpose"}, .op = OP_TCONV,
                              .min_inputs = 1, .max_inputs = 1, .attrs = tconv_attrs, .infer = infer_tconv};
const LayerKind kind_conv = {.name = "conv", .aliases = {"convolution"}, .op = OP_CONV,
                             .min_inputs = 1, .max_inputs = 1, .attrs = conv_attrs, .infer = infer_conv};
const LayerKind kind_maxpool = {.name = "maxpool", .op = OP_MAXPOOL, .min_inputs = 1, .max_inputs = 1,
                                .attrs = pool_attrs, .infer = infer_pool};
const LayerKind kind_avgpool = {.name = "avgpool", .op = OP_AVGPOOL, .min_inputs = 1, .max_inputs = 1,
                                .attrs = pool_attrs, .infer = infer_pool};
