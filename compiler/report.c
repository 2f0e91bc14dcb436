/*
 * report.c — what `netc check` prints: per network a table (layer, kind, input →
 * output shape, parameters, multiply-accumulates, activation bytes) and totals,
 * or the same as JSON.  Activation memory is that of a simple schedule: layers in
 * source order, each tensor alive from its producer to its last reader.
 */
#include "netc.h"
#include "schedule.h"

#include <stdlib.h>
#include <string.h>

int64_t net_param_count(const Net *net) {
    int64_t n = 0;
    for (int i = 0; i < net->layers.n; i++) n += ((Layer *)net->layers.v[i])->params;
    return n;
}

static int64_t act_bytes(const Net *net, const Layer *L) { return L->shaped ? net->batch * shape_count(&L->shape) * 4 : 0; }

/* Each tensor is live from its producer to its last reader (inputs and outputs to
 * the end); the peak is the largest sum over any step.  Linear in layers and
 * edges: a difference array over the steps. */
int64_t net_peak_activation_bytes(const Net *net) {
    int n = net->layers.n;
    if (n == 0) return 0;
    int *last = calloc((size_t)n, sizeof *last);
    int64_t *delta = calloc((size_t)n + 1, sizeof *delta);
    if (!last || !delta) { free(last); free(delta); return -1; }
    for (int i = 0; i < n; i++) {
        const Layer *L = net->layers.v[i];
        last[i] = L->is_output || L->is_input ? n - 1 : i;   /* inputs/outputs: caller-owned but live */
    }
    for (int j = 0; j < n; j++) {
        const Layer *R = net->layers.v[j];
        for (int k = 0; k < R->nin; k++)
            if (R->in[k] && R->in[k]->id < j && last[R->in[k]->id] < j) last[R->in[k]->id] = j;
    }
    for (int i = 0; i < n; i++) {
        int64_t b = act_bytes(net, net->layers.v[i]);
        delta[i] += b;
        delta[last[i] + 1] -= b;
    }
    int64_t peak = 0, live = 0;
    for (int step = 0; step < n; step++) {
        live += delta[step];
        if (live > peak) peak = live;
    }
    free(last);
    free(delta);
    return peak;
}

/* The static memory plan of the generated code (lower.c, lower_train.c): the
 * numbers the generated header's macros carry. */
static NetMemory plan_of(const Net *net) {
    Arena *a = arena_new();
    Schedule *s = lower_net(a, (Net *)net, false);
    TrainPlan *tp = net->train && net->train->checked ? lower_train(a, s) : NULL;
    NetMemory m = net_memory(s, tp);
    arena_free(a);
    return m;
}

static void fmt_count(char *buf, size_t n, int64_t v) {
    char tmp[32];
    snprintf(tmp, sizeof tmp, "%lld", (long long)v);
    size_t len = strlen(tmp), k = 0;
    for (size_t i = 0; i < len && k + 2 < n; i++) {
        if (i && (len - i) % 3 == 0 && tmp[0] != '-') buf[k++] = ',';
        buf[k++] = tmp[i];
    }
    buf[k] = 0;
}

static void fmt_bytes(char *buf, size_t n, int64_t v) {
    if (v < 1024) snprintf(buf, n, "%lld B", (long long)v);
    else if (v < 1024 * 1024) snprintf(buf, n, "%.1f KiB", v / 1024.0);
    else snprintf(buf, n, "%.1f MiB", v / 1048576.0);
}

void report_table(const Program *p, FILE *out) {
    Arena *a = arena_new();
    for (int ni = 0; ni < p->nets.n; ni++) {
        const Net *net = p->nets.v[ni];
        fprintf(out, "%snetwork %s: batch %lld, layout %s\n\n", ni ? "\n" : "", net->name, (long long)net->batch,
                net->layout == LAYOUT_NHWC ? "nhwc" : "nchw");
        fprintf(out, "  %-14s %-10s %-36s %12s %14s %12s\n", "layer", "kind", "input -> output", "params", "MACs/sample", "activations");
        int64_t macs = 0;
        for (int i = 0; i < net->layers.n; i++) {
            const Layer *L = net->layers.v[i];
            char shapes[256], params[32], m[32], bytes[32];
            if (L->is_input) snprintf(shapes, sizeof shapes, "-> %s", shape_str(a, &L->shape));
            else {
                int k = 0;
                for (int j = 0; j < L->nin && k < 200; j++)
                    k += snprintf(shapes + k, sizeof shapes - (size_t)k, "%s%s", j ? " + " : "", L->in[j] ? shape_str(a, &L->in[j]->shape) : "?");
                snprintf(shapes + k, sizeof shapes - (size_t)k, " -> %s", shape_str(a, &L->shape));
            }
            fmt_count(params, sizeof params, L->params);
            fmt_count(m, sizeof m, L->macs);
            fmt_bytes(bytes, sizeof bytes, act_bytes(net, L));
            fprintf(out, "  %-14s %-10s %-36s %12s %14s %12s%s\n", L->name, L->is_input ? "input" : L->kind->name, shapes,
                    params, m, bytes, L->is_output ? "  (output)" : L->target_only ? "  (target)" : "");
            macs += L->macs;
        }
        char params[32], wbytes[32], peak[32], m[32];
        int64_t np = net_param_count(net);
        fmt_count(params, sizeof params, np);
        fmt_bytes(wbytes, sizeof wbytes, np * 4);
        fmt_bytes(peak, sizeof peak, net_peak_activation_bytes(net));
        fmt_count(m, sizeof m, macs);
        fprintf(out, "\n  parameters %s (%s of weights), %s MACs per sample, peak activations %s (batch %lld)\n",
                params, wbytes, m, peak, (long long)net->batch);
        NetMemory mem = plan_of(net);
        char wb[32], ab[32], sb[32];
        fmt_bytes(wb, sizeof wb, 4 * mem.params);
        fmt_bytes(ab, sizeof ab, 4 * mem.arena);
        fmt_bytes(sb, sizeof sb, mem.state_bytes);
        fprintf(out, "  generated code: weights %s, arena %s (activations by liveness, scratch%s), state %s (%lld bytes)\n",
                wb, ab, net->train && net->train->checked ? ", training" : "", sb, (long long)mem.state_bytes);
    }
    arena_free(a);
}

static void json_shape(FILE *out, const Shape *s) {
    fputc('[', out);
    for (int i = 0; i < s->rank; i++) fprintf(out, "%s%lld", i ? "," : "", (long long)s->d[i]);
    fputc(']', out);
}

static void json_ints(FILE *out, const char *key, const int64_t *v, int n) {
    fprintf(out, ",\"%s\":[", key);
    for (int i = 0; i < n; i++) fprintf(out, "%s%lld", i ? "," : "", (long long)v[i]);
    fputc(']', out);
}

/* The resolved attributes, so tools (and the tests' PyTorch oracles) can rebuild
 * the layer without parsing .net themselves. */
static void json_attrs(FILE *out, const Layer *L) {
    LayerOp op = L->kind->op;
    fprintf(out, ",\"time_distributed\":%s", L->td ? "true" : "false");
    if (op == OP_CONV || op == OP_TCONV || op == OP_MAXPOOL || op == OP_AVGPOOL) {
        const ConvGeom *g = &L->g;
        json_ints(out, "kernel", g->k, g->nsp);
        json_ints(out, "stride", g->s, g->nsp);
        json_ints(out, "dilation", g->dil, g->nsp);
        json_ints(out, "pad_begin", g->pb, g->nsp);
        json_ints(out, "pad_end", g->pe, g->nsp);
        if (op == OP_TCONV) json_ints(out, "output_padding", g->op, g->nsp);
        if (op == OP_CONV || op == OP_TCONV) fprintf(out, ",\"groups\":%lld", (long long)g->groups);
    }
    if (op == OP_UPSAMPLE) json_ints(out, "factor", L->g.s, L->g.nsp);
    if (op == OP_CONV || op == OP_TCONV || op == OP_DENSE) {
        fprintf(out, ",\"bias\":%s,\"activation\":\"%s\",\"alpha\":%.9g", L->a[A_BIAS].i ? "true" : "false",
                act_name(L->a[A_ACTIVATION].act.kind), L->a[A_ACTIVATION].act.alpha);
    }
    if (op == OP_ACT && (L->kind->act == ACT_LEAKY_RELU || L->kind->act == ACT_ELU))
        fprintf(out, ",\"alpha\":%.9g", L->a[A_ALPHA].r);
    if (op == OP_BATCHNORM) fprintf(out, ",\"eps\":%.9g,\"momentum\":%.9g", L->a[A_EPS].r, L->a[A_MOMENTUM].r);
    if (L->kind->attrs) {
        for (const AttrUse *u = L->kind->attrs; u->id != A__COUNT; u++) {
            if (u->id == A_LR_MULT) fprintf(out, ",\"lr_mult\":%.9g", L->a[A_LR_MULT].r);
            if (u->id == A_TRAINABLE) fprintf(out, ",\"trainable\":%s", L->a[A_TRAINABLE].i ? "true" : "false");
        }
    }
}

static void json_train(FILE *out, const Net *net) {
    const Train *t = net->train;
    if (!t || !t->checked) return;
    static const char *const loss[] = {"mse", "l1", "bce", "cross_entropy"};
    static const char *const opt[] = {"sgd", "adam", "adamw"};
    fprintf(out, ",\"train\":{\"loss\":\"%s\",\"prediction\":\"%s\",\"target\":\"%s\",\"optimizer\":\"%s\","
                 "\"lr\":%.9g,\"beta1\":%.9g,\"beta2\":%.9g,\"eps\":%.9g,\"weight_decay\":%.9g,\"momentum\":%.9g,"
                 "\"nesterov\":%s,\"epochs\":%lld,\"steps\":%lld,\"clip_norm\":%.9g}",
            loss[t->loss], t->pred->name, t->target->name, opt[t->opt], t->lr, t->beta1, t->beta2, t->eps, t->weight_decay,
            t->momentum, t->nesterov ? "true" : "false", (long long)t->epochs, (long long)t->steps, t->clip_norm);
}

/* Names are identifiers ([A-Za-z_][A-Za-z0-9_]*), so they need no escaping. */
void report_json(const Program *p, FILE *out) {
    fprintf(out, "{\"networks\":[");
    for (int ni = 0; ni < p->nets.n; ni++) {
        const Net *net = p->nets.v[ni];
        fprintf(out, "%s{\"name\":\"%s\",\"batch\":%lld,\"layout\":\"%s\",\"inputs\":[", ni ? "," : "", net->name,
                (long long)net->batch, net->layout == LAYOUT_NHWC ? "nhwc" : "nchw");
        int k = 0;
        for (int i = 0; i < net->layers.n; i++) {
            const Layer *L = net->layers.v[i];
            if (!L->is_input) continue;
            fprintf(out, "%s{\"name\":\"%s\",\"shape\":", k++ ? "," : "", L->name);
            json_shape(out, &L->shape);
            fprintf(out, ",\"target_only\":%s}", L->target_only ? "true" : "false");
        }
        fprintf(out, "],\"outputs\":[");
        for (int i = 0; i < net->outputs.n; i++) {
            const Layer *L = net->outputs.v[i];
            fprintf(out, "%s{\"name\":\"%s\",\"shape\":", i ? "," : "", L->name);
            json_shape(out, &L->shape);
            fputc('}', out);
        }
        fprintf(out, "],\"layers\":[");
        k = 0;
        int64_t macs = 0;
        for (int i = 0; i < net->layers.n; i++) {
            const Layer *L = net->layers.v[i];
            if (L->is_input) continue;
            fprintf(out, "%s{\"name\":\"%s\",\"kind\":\"%s\",\"inputs\":[", k++ ? "," : "", L->name, L->kind->name);
            for (int j = 0; j < L->nin; j++) fprintf(out, "%s\"%s\"", j ? "," : "", L->in[j]->name);
            fprintf(out, "],\"output_shape\":");
            json_shape(out, &L->shape);
            fprintf(out, ",\"params\":%lld,\"macs\":%lld,\"activation_bytes\":%lld", (long long)L->params,
                    (long long)L->macs, (long long)act_bytes(net, L));
            json_attrs(out, L);
            fputc('}', out);
            macs += L->macs;
        }
        int64_t np = net_param_count(net);
        NetMemory mem = plan_of(net);
        fprintf(out, "],\"params\":%lld,\"weight_bytes\":%lld,\"macs\":%lld,\"peak_activation_bytes\":%lld,"
                     "\"arena_bytes\":%lld,\"state_bytes\":%lld", (long long)np,
                (long long)mem.params * 4, (long long)macs, (long long)net_peak_activation_bytes(net),
                (long long)mem.arena * 4, (long long)mem.state_bytes);
        json_train(out, net);
        fputc('}', out);
    }
    fprintf(out, "]}\n");
}
