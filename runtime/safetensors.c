/* safetensors.c — read and write the safetensors format:
 *     [8-byte little-endian N][N bytes of JSON header][data]
 * with the header {"NAME": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]}, ...,
 * "__metadata__": {"key": "value", ...}} and offsets relative to the start of the data.
 *
 * The reader is strict: its own small JSON parser (bounded depth, UTF-8 checked,
 * integers only where the format wants integers), then a schema check (known dtypes,
 * shapes that do not overflow, offsets that match dtype × shape and tile the data
 * exactly: no overlap, no gap, no trailing bytes, unique names).  The writer emits
 * float32 tensors, pads the header with spaces to a multiple of 8 like the reference
 * implementation, and replaces the target file atomically. */
#include "files_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_MAX_DEPTH 8

/* ---- a small strict JSON parser ------------------------------------------------------ */

enum { J_OBJ, J_ARR, J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL };

typedef struct jnode {
    int type;
    long first, next;      /* children (objects, arrays); sibling link; -1 = none        */
    const char *key;       /* member name when the parent is an object (NUL-terminated)  */
    size_t keylen;
    const char *str;       /* J_STR: decoded, NUL-terminated                             */
    size_t len;
    uint64_t num;          /* J_NUM: value when num_uint                                 */
    int num_uint;          /* J_NUM: a non-negative integer that fits in 64 bits         */
    int has_nul;           /* J_STR: contains \u0000                                     */
    size_t pos;            /* offset of the value in the header                          */
} jnode;

typedef struct jparser {
    const unsigned char *s;
    size_t n, i;
    jnode *nodes;
    size_t nn, cap;
    char *sbuf;            /* decoded strings                                            */
    size_t sused;
    netc_file_error *err;
} jparser;

static int jfail(jparser *p, size_t at, const char *what)
{
    return netc_fail(p->err, "JSON header, byte %zu: %s", at, what);
}

static long jnew(jparser *p, int type)
{
    if (p->nn == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        jnode *nb = realloc(p->nodes, nc * sizeof *nb);
        if (!nb) return jfail(p, p->i, "out of memory"), -1;
        p->nodes = nb;
        p->cap = nc;
    }
    jnode *j = &p->nodes[p->nn];
    memset(j, 0, sizeof *j);
    j->type = type;
    j->first = j->next = -1;
    j->pos = p->i;
    return (long)p->nn++;
}

static void jws(jparser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
                           p->s[p->i] == '\r'))
        p->i++;
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    if (c < 0x80) return 1;
    size_t len;
    uint32_t cp, min;
    if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; min = 0x80; }
    else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; min = 0x800; }
    else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (n < len) return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
    return len;
}

static int hex4(const unsigned char *s, uint32_t *v)
{
    *v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned c = s[k];
        uint32_t d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
        else return 0;
        *v = *v << 4 | d;
    }
    return 1;
}

/* Parse a string at p->i (which is '"'); decoded text goes to sbuf. */
static int jstring(jparser *p, const char **out, size_t *outlen, int *has_nul)
{
    size_t start = p->i++;
    char *o = p->sbuf + p->sused;
    size_t k = 0;
    *has_nul = 0;
    for (;;) {
        if (p->i >= p->n) return jfail(p, start, "unterminated string");
        unsigned c = p->s[p->i];
        if (c == '"') { p->i++; break; }
        if (c < 0x20) return jfail(p, p->i, "control character in a string");
        if (c == '\\') {
            if (p->i + 1 >= p->n) return jfail(p, p->i, "unterminated escape");
            unsigned e = p->s[p->i + 1];
            p->i += 2;
            switch (e) {
            case '"': o[k++] = '"'; break;
            case '\\': o[k++] = '\\'; break;
            case '/': o[k++] = '/'; break;
            case 'b': o[k++] = '\b'; break;
            case 'f': o[k++] = '\f'; break;
            case 'n': o[k++] = '\n'; break;
            case 'r': o[k++] = '\r'; break;
            case 't': o[k++] = '\t'; break;
            case 'u': {
                uint32_t cp, lo;
                if (p->i + 4 > p->n || !hex4(p->s + p->i, &cp))
                    return jfail(p, p->i - 2, "bad \\u escape");
                p->i += 4;
                if (cp >= 0xdc00 && cp <= 0xdfff)
                    return jfail(p, p->i - 6, "lone low surrogate in \\u escape (not valid UTF-16)");
                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (p->i + 6 > p->n || p->s[p->i] != '\\' || p->s[p->i + 1] != 'u' ||
                        !hex4(p->s + p->i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                        return jfail(p, p->i - 6, "lone high surrogate in \\u escape (not valid UTF-16)");
                    p->i += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                }
                if (cp == 0) *has_nul = 1;
                if (cp < 0x80) o[k++] = (char)cp;
                else if (cp < 0x800) {
                    o[k++] = (char)(0xc0 | cp >> 6);
                    o[k++] = (char)(0x80 | (cp & 0x3f));
                } else if (cp < 0x10000) {
                    o[k++] = (char)(0xe0 | cp >> 12);
                    o[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
                    o[k++] = (char)(0x80 | (cp & 0x3f));
                } else {
                    o[k++] = (char)(0xf0 | cp >> 18);
                    o[k++] = (char)(0x80 | (cp >> 12 & 0x3f));
                    o[k++] = (char)(0x80 | (cp >> 6 & 0x3f));
                    o[k++] = (char)(0x80 | (cp & 0x3f));
                }
                break;
            }
            default: return jfail(p, p->i - 2, "unknown escape in a string");
            }
            continue;
        }
        size_t l = utf8_len(p->s + p->i, p->n - p->i);
        if (l == 0) return jfail(p, p->i, "string is not valid UTF-8");
        memcpy(o + k, p->s + p->i, l);
        k += l;
        p->i += l;
    }
    /* Decoded text (plus its NUL) never exceeds the quoted source, so sbuf (n+1 bytes) holds it. */
    o[k] = 0;
    p->sused += k + 1;
    *out = o;
    *outlen = k;
    return 0;
}

static int jnumber(jparser *p, jnode *j)
{
    size_t st = p->i;
    int neg = 0, integer = 1, overflow = 0;
    uint64_t v = 0;
    if (p->s[p->i] == '-') { neg = 1; p->i++; }
    if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jfail(p, st, "bad number");
    if (p->s[p->i] == '0') {
        p->i++;
        if (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9')
            return jfail(p, st, "number with a leading zero");
    } else {
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
            unsigned d = p->s[p->i++] - '0';
            if (v > (UINT64_MAX - d) / 10) overflow = 1;
            else v = v * 10 + d;
        }
    }
    if (p->i < p->n && p->s[p->i] == '.') {
        integer = 0;
        p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jfail(p, st, "bad number");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    if (p->i < p->n && (p->s[p->i] == 'e' || p->s[p->i] == 'E')) {
        integer = 0;
        p->i++;
        if (p->i < p->n && (p->s[p->i] == '+' || p->s[p->i] == '-')) p->i++;
        if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9') return jfail(p, st, "bad number");
        while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') p->i++;
    }
    j->num = v;
    j->num_uint = integer && !overflow && (!neg || v == 0);
    return 0;
}

static long jvalue(jparser *p, int depth)
{
    jws(p);
    if (p->i >= p->n) return jfail(p, p->i, "unexpected end of header"), -1;
    unsigned c = p->s[p->i];
    if (c == '{' || c == '[') {
        if (depth >= JSON_MAX_DEPTH) return jfail(p, p->i, "nested too deeply"), -1;
        int obj = c == '{';
        long id = jnew(p, obj ? J_OBJ : J_ARR);
        if (id < 0) return -1;
        p->i++;
        long last = -1;
        jws(p);
        if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) { p->i++; return id; }
        for (;;) {
            const char *key = NULL;
            size_t keylen = 0;
            if (obj) {
                jws(p);
                if (p->i >= p->n || p->s[p->i] != '"')
                    return jfail(p, p->i, "expected a string key"), -1;
                int nul;
                if (jstring(p, &key, &keylen, &nul)) return -1;
                if (nul) return jfail(p, p->i, "\\u0000 in a key"), -1;
                jws(p);
                if (p->i >= p->n || p->s[p->i] != ':') return jfail(p, p->i, "expected ':'"), -1;
                p->i++;
            }
            long child = jvalue(p, depth + 1);
            if (child < 0) return -1;
            p->nodes[child].key = key;
            p->nodes[child].keylen = keylen;
            if (last < 0) p->nodes[id].first = child;
            else p->nodes[last].next = child;
            last = child;
            jws(p);
            if (p->i >= p->n) return jfail(p, p->i, "unexpected end of header"), -1;
            if (p->s[p->i] == ',') { p->i++; continue; }
            if (p->s[p->i] == (obj ? '}' : ']')) { p->i++; return id; }
            return jfail(p, p->i, obj ? "expected ',' or '}'" : "expected ',' or ']'"), -1;
        }
    }
    if (c == '"') {
        long id = jnew(p, J_STR);
        if (id < 0) return -1;
        const char *s;
        size_t l;
        int nul;
        if (jstring(p, &s, &l, &nul)) return -1;
        p->nodes[id].str = s;
        p->nodes[id].len = l;
        p->nodes[id].has_nul = nul;
        return id;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        long id = jnew(p, J_NUM);
        if (id < 0) return -1;
        if (jnumber(p, &p->nodes[id])) return -1;
        return id;
    }
    static const struct { const char *w; int t; } lits[] = {
        {"true", J_TRUE}, {"false", J_FALSE}, {"null", J_NULL}};
    for (int k = 0; k < 3; k++) {
        size_t l = strlen(lits[k].w);
        if (p->n - p->i >= l && memcmp(p->s + p->i, lits[k].w, l) == 0) {
            long id = jnew(p, lits[k].t);
            if (id < 0) return -1;
            p->i += l;
            return id;
        }
    }
    return jfail(p, p->i, "unexpected character"), -1;
}

/* ---- schema ---------------------------------------------------------------------------- */

/* A name for messages: at most ~60 bytes, control characters shown as '?'. */
static const char *shown(const char *s, char *buf, size_t n)
{
    size_t k = 0, i = 0;
    while (s[i] && k + 4 < n && i < 60) {
        unsigned char c = (unsigned char)s[i++];
        buf[k++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    if (s[i]) {
        while (k > 0 && ((unsigned char)buf[k - 1] & 0xc0) == 0x80) k--;   /* whole chars */
        if (k > 0 && (unsigned char)buf[k - 1] >= 0xc0) k--;
        buf[k++] = '.'; buf[k++] = '.'; buf[k++] = '.';
    }
    buf[k] = 0;
    return buf;
}

static netc_dtype dtype_from_name(const char *s)
{
    static const netc_dtype all[] = {NETC_DT_BOOL, NETC_DT_U8, NETC_DT_I8, NETC_DT_U16,
                                     NETC_DT_I16, NETC_DT_U32, NETC_DT_I32, NETC_DT_U64,
                                     NETC_DT_I64, NETC_DT_F16, NETC_DT_BF16, NETC_DT_F32,
                                     NETC_DT_F64};
    for (size_t k = 0; k < sizeof all / sizeof all[0]; k++)
        if (strcmp(s, netc_dtype_name(all[k])) == 0) return all[k];
    return NETC_DT_INVALID;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp((*(const netc_st_tensor *const *)a)->name, (*(const netc_st_tensor *const *)b)->name);
}

static int cmp_offset(const void *a, const void *b)
{
    const netc_st_tensor *x = *(const netc_st_tensor *const *)a, *y = *(const netc_st_tensor *const *)b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1;
    return 0;
}

static int cmp_meta(const void *a, const void *b)
{
    return strcmp(((const netc_st_meta *)a)->key, ((const netc_st_meta *)b)->key);
}

/* Fill one tensor from its header entry j. */
static int tensor_from_json(jparser *p, const jnode *j, netc_st_tensor *t, size_t dlen)
{
    char nb[80];
    const char *nm = shown(t->name, nb, sizeof nb);
    netc_file_error *err = p->err;
    if (j->type != J_OBJ) return netc_fail(err, "tensor \"%s\": entry is not an object", nm);
    const jnode *dt = NULL, *sh = NULL, *off = NULL;
    for (long c = j->first; c >= 0; c = p->nodes[c].next) {
        const jnode *m = &p->nodes[c];
        const jnode **slot;
        if (strcmp(m->key, "dtype") == 0) slot = &dt;
        else if (strcmp(m->key, "shape") == 0) slot = &sh;
        else if (strcmp(m->key, "data_offsets") == 0) slot = &off;
        else {
            char kb[80];
            return netc_fail(err, "tensor \"%s\": unknown key \"%s\"", nm, shown(m->key, kb, sizeof kb));
        }
        if (*slot) return netc_fail(err, "tensor \"%s\": duplicate key \"%s\"", nm, m->key);
        *slot = m;
    }
    if (!dt) return netc_fail(err, "tensor \"%s\": missing \"dtype\"", nm);
    if (!sh) return netc_fail(err, "tensor \"%s\": missing \"shape\"", nm);
    if (!off) return netc_fail(err, "tensor \"%s\": missing \"data_offsets\"", nm);
    if (dt->type != J_STR) return netc_fail(err, "tensor \"%s\": \"dtype\" is not a string", nm);
    t->dtype = dt->has_nul ? NETC_DT_INVALID : dtype_from_name(dt->str);
    if (t->dtype == NETC_DT_INVALID) {
        char db[80];
        return netc_fail(err, "tensor \"%s\": unknown dtype \"%s\"", nm, shown(dt->str, db, sizeof db));
    }
    if (sh->type != J_ARR) return netc_fail(err, "tensor \"%s\": \"shape\" is not an array", nm);
    uint64_t count = 1;
    int overflow = 0;
    t->rank = 0;
    for (long c = sh->first; c >= 0; c = p->nodes[c].next) {
        const jnode *d = &p->nodes[c];
        if (d->type != J_NUM || !d->num_uint)
            return netc_fail(err, "tensor \"%s\": shape entries must be non-negative integers", nm);
        if (t->rank == NETC_FILES_MAXRANK)
            return netc_fail(err, "tensor \"%s\": rank over %d is not supported", nm, NETC_FILES_MAXRANK);
        if (d->num > (uint64_t)INT64_MAX || !netc_mul_ok(count, d->num, &count)) overflow = 1;
        t->shape[t->rank++] = d->num > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)d->num;
    }
    uint64_t need;
    if (overflow || count > (uint64_t)INT64_MAX || !netc_mul_ok(count, netc_dtype_size(t->dtype), &need))
        return netc_fail(err, "tensor \"%s\": shape overflows (element count does not fit in 64 bits)", nm);
    t->count = (int64_t)count;
    if (off->type != J_ARR) return netc_fail(err, "tensor \"%s\": \"data_offsets\" is not an array", nm);
    const jnode *b = off->first >= 0 ? &p->nodes[off->first] : NULL;
    const jnode *e = b && b->next >= 0 ? &p->nodes[b->next] : NULL;
    if (!b || !e || e->next >= 0)
        return netc_fail(err, "tensor \"%s\": \"data_offsets\" must hold exactly two integers", nm);
    if (b->type != J_NUM || !b->num_uint || e->type != J_NUM || !e->num_uint)
        return netc_fail(err, "tensor \"%s\": data_offsets must be non-negative integers", nm);
    if (b->num > e->num)
        return netc_fail(err, "tensor \"%s\": data_offsets [%llu, %llu] end before they begin", nm,
                         (unsigned long long)b->num, (unsigned long long)e->num);
    if (e->num > dlen)
        return netc_fail(err, "tensor \"%s\": data_offsets [%llu, %llu] out of range: the data section holds %zu bytes",
                         nm, (unsigned long long)b->num, (unsigned long long)e->num, dlen);
    if (e->num - b->num != need) {
        char db[200];
        netc_format_dims(db, sizeof db, t->rank, t->shape);
        return netc_fail(err, "tensor \"%s\": data_offsets [%llu, %llu] span %llu bytes but %s of shape %s needs %llu",
                         nm, (unsigned long long)b->num, (unsigned long long)e->num,
                         (unsigned long long)(e->num - b->num), netc_dtype_name(t->dtype), db,
                         (unsigned long long)need);
    }
    t->offset = (size_t)b->num;
    t->nbytes = (size_t)need;
    return 0;
}

static int parse_inner(netc_safetensors *st, const unsigned char *buf, size_t len, jparser *p)
{
    netc_file_error *err = p->err;
    if (len < 8)
        return netc_fail(err, "file is %zu bytes, too short for the 8-byte header length", len);
    uint64_t hlen = netc_rd_le64(buf);
    if (hlen > len - 8)
        return netc_fail(err, "header length %llu is past the end of the file (%zu bytes)",
                         (unsigned long long)hlen, len);
    if (hlen > NETC_ST_MAX_HEADER)
        return netc_fail(err, "header length %llu is huge (over the %zu-byte limit)",
                         (unsigned long long)hlen, NETC_ST_MAX_HEADER);
    size_t dstart = 8 + (size_t)hlen, dlen = len - dstart;
    p->s = buf + 8;
    p->n = (size_t)hlen;
    p->i = 0;
    p->sbuf = malloc(p->n + 1);
    if (!p->sbuf) return netc_fail(err, "out of memory for a %zu-byte header", p->n);
    st->strings = p->sbuf;
    long root = jvalue(p, 0);
    if (root < 0) return -1;
    jws(p);
    if (p->i != p->n) return jfail(p, p->i, "trailing characters after the JSON object");
    if (p->nodes[root].type != J_OBJ) return netc_fail(err, "JSON header is not an object");

    size_t nt = 0, nm = 0;
    const jnode *meta = NULL;
    for (long c = p->nodes[root].first; c >= 0; c = p->nodes[c].next) {
        if (strcmp(p->nodes[c].key, "__metadata__") == 0) {
            if (meta) return netc_fail(err, "duplicate \"__metadata__\"");
            meta = &p->nodes[c];
        } else {
            nt++;
        }
    }
    if (meta) {
        if (meta->type != J_OBJ) return netc_fail(err, "\"__metadata__\" is not an object");
        for (long c = meta->first; c >= 0; c = p->nodes[c].next) nm++;
    }
    st->tensors = calloc(nt ? nt : 1, sizeof *st->tensors);
    st->meta = calloc(nm ? nm : 1, sizeof *st->meta);
    netc_st_tensor **order = calloc(nt ? nt : 1, sizeof *order);
    if (!st->tensors || !st->meta || !order) {
        free(order);
        return netc_fail(err, "out of memory for %zu tensors", nt);
    }
    int rc = 0;
    if (meta) {
        for (long c = meta->first; c >= 0; c = p->nodes[c].next) {
            const jnode *m = &p->nodes[c];
            char kb[80];
            if (m->type != J_STR) {
                rc = netc_fail(err, "__metadata__ \"%s\": value is not a string", shown(m->key, kb, sizeof kb));
                goto out;
            }
            st->meta[st->nmeta].key = m->key;
            st->meta[st->nmeta].value = m->str;
            st->nmeta++;
        }
        netc_st_meta *sorted = malloc((nm ? nm : 1) * sizeof *sorted);
        if (!sorted) { rc = netc_fail(err, "out of memory"); goto out; }
        memcpy(sorted, st->meta, nm * sizeof *sorted);
        qsort(sorted, nm, sizeof *sorted, cmp_meta);
        for (size_t k = 1; k < nm; k++)
            if (strcmp(sorted[k - 1].key, sorted[k].key) == 0) {
                char kb[80];
                rc = netc_fail(err, "__metadata__: duplicate key \"%s\"", shown(sorted[k].key, kb, sizeof kb));
                break;
            }
        free(sorted);
        if (rc) goto out;
    }
    for (long c = p->nodes[root].first; c >= 0; c = p->nodes[c].next) {
        const jnode *j = &p->nodes[c];
        if (j == meta) continue;
        netc_st_tensor *t = &st->tensors[st->ntensors];
        t->name = j->key;
        if ((rc = tensor_from_json(p, j, t, dlen))) goto out;
        t->data = buf + dstart + t->offset;
        t->offset += dstart;
        order[st->ntensors++] = t;
    }
    qsort(order, nt, sizeof *order, cmp_name);
    for (size_t k = 1; k < nt; k++)
        if (strcmp(order[k - 1]->name, order[k]->name) == 0) {
            char nb[80];
            rc = netc_fail(err, "duplicate tensor name \"%s\"", shown(order[k]->name, nb, sizeof nb));
            goto out;
        }
    qsort(order, nt, sizeof *order, cmp_offset);
    size_t at = dstart;
    for (size_t k = 0; k < nt; k++) {
        char nb[80], nb2[80];
        if (order[k]->offset < at) {
            rc = netc_fail(err, "tensors \"%s\" and \"%s\" overlap in the data section",
                           shown(order[k - 1]->name, nb, sizeof nb), shown(order[k]->name, nb2, sizeof nb2));
            goto out;
        }
        if (order[k]->offset > at) {
            rc = netc_fail(err, "gap of %zu unused bytes before tensor \"%s\" in the data section",
                           order[k]->offset - at, shown(order[k]->name, nb, sizeof nb));
            goto out;
        }
        at = order[k]->offset + order[k]->nbytes;
    }
    if (at != len)
        rc = netc_fail(err, "%zu bytes of trailing data after the last tensor", len - at);
out:
    free(order);
    return rc;
}

int netc_safetensors_parse(netc_safetensors *st, const void *buf, size_t len, netc_file_error *err)
{
    memset(st, 0, sizeof *st);
    jparser p;
    memset(&p, 0, sizeof p);
    p.err = err;
    int rc = parse_inner(st, buf, len, &p);
    free(p.nodes);
    if (rc) netc_safetensors_free(st);
    return rc;
}

int netc_safetensors_load(netc_safetensors *st, const char *path, size_t max_bytes, netc_file_error *err)
{
    void *buf;
    size_t len;
    memset(st, 0, sizeof *st);
    if (netc_read_file(path, max_bytes, &buf, &len, err)) return -1;
    if (netc_safetensors_parse(st, buf, len, err)) {
        free(buf);
        netc_fail_prefix(err, path);
        return -1;
    }
    st->owned_buf = buf;
    return 0;
}

void netc_safetensors_free(netc_safetensors *st)
{
    if (!st) return;
    free(st->tensors);
    free(st->meta);
    free(st->strings);
    free(st->owned_buf);
    memset(st, 0, sizeof *st);
}

const netc_st_tensor *netc_safetensors_find(const netc_safetensors *st, const char *name)
{
    for (size_t k = 0; k < st->ntensors; k++)
        if (strcmp(st->tensors[k].name, name) == 0) return &st->tensors[k];
    return NULL;
}

const char *netc_safetensors_meta(const netc_safetensors *st, const char *key)
{
    for (size_t k = 0; k < st->nmeta; k++)
        if (strcmp(st->meta[k].key, key) == 0) return st->meta[k].value;
    return NULL;
}

int netc_safetensors_to_f32(const netc_st_tensor *t, float *out, size_t count, netc_file_error *err)
{
    if ((uint64_t)count != (uint64_t)t->count)
        return netc_fail(err, "tensor \"%s\" has %lld elements, not %zu", t->name, (long long)t->count, count);
    return netc_convert_to_f32(t->dtype, 0, t->data, count, out, err);
}

/* ---- writer ------------------------------------------------------------------------- */

typedef struct sbuild {
    char *s;
    size_t n, cap;
    int oom;
} sbuild;

static void sb_add(sbuild *b, const char *s, size_t n)
{
    if (b->oom) return;
    if (b->n + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->n + n + 1) nc *= 2;
        char *ns = realloc(b->s, nc);
        if (!ns) { b->oom = 1; return; }
        b->s = ns;
        b->cap = nc;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = 0;
}

static void sb_str(sbuild *b, const char *s) { sb_add(b, s, strlen(s)); }

static void sb_json_string(sbuild *b, const char *s)
{
    sb_add(b, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; sb_add(b, esc, 2); }
        else if (c < 0x20) { snprintf(esc, sizeof esc, "\\u%04x", c); sb_add(b, esc, 6); }
        else sb_add(b, (const char *)&c, 1);
    }
    sb_add(b, "\"", 1);
}

static int valid_utf8(const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t l = utf8_len((const unsigned char *)s + i, n - i);
        if (!l) return 0;
        i += l;
    }
    return 1;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Check the tensors and build the padded header; *data_bytes gets the data size. */
static int build_header(const netc_st_entry *t, size_t n, const char *const *meta_kv, size_t nmeta,
                        sbuild *hb, uint64_t *data_bytes, netc_file_error *err)
{
    char nb[80];
    const char **names = malloc((n + nmeta + 1) * sizeof *names);
    if (!names) return netc_fail(err, "out of memory");
    int rc = 0;
    for (size_t k = 0; k < n && !rc; k++) {
        if (!t[k].name) rc = netc_fail(err, "tensor %zu has no name", k);
        else if (!valid_utf8(t[k].name))
            rc = netc_fail(err, "tensor name \"%s\" is not valid UTF-8", shown(t[k].name, nb, sizeof nb));
        else if (strcmp(t[k].name, "__metadata__") == 0)
            rc = netc_fail(err, "a tensor cannot be named \"__metadata__\"");
        else if (t[k].rank < 0 || t[k].rank > NETC_FILES_MAXRANK)
            rc = netc_fail(err, "tensor \"%s\": rank %d is not between 0 and %d", shown(t[k].name, nb, sizeof nb),
                           t[k].rank, NETC_FILES_MAXRANK);
        names[k] = t[k].name;
    }
    if (!rc) {
        qsort(names, n, sizeof *names, cmp_cstr);
        for (size_t k = 1; k < n && !rc; k++)
            if (strcmp(names[k - 1], names[k]) == 0)
                rc = netc_fail(err, "duplicate tensor name \"%s\"", shown(names[k], nb, sizeof nb));
    }
    for (size_t k = 0; k < nmeta && !rc; k++) {
        if (!meta_kv[2 * k] || !meta_kv[2 * k + 1]) rc = netc_fail(err, "metadata entry %zu is NULL", k);
        else if (!valid_utf8(meta_kv[2 * k]) || !valid_utf8(meta_kv[2 * k + 1]))
            rc = netc_fail(err, "metadata entry \"%s\" is not valid UTF-8", shown(meta_kv[2 * k], nb, sizeof nb));
        names[k] = meta_kv[2 * k];
    }
    if (!rc) {
        qsort(names, nmeta, sizeof *names, cmp_cstr);
        for (size_t k = 1; k < nmeta && !rc; k++)
            if (strcmp(names[k - 1], names[k]) == 0)
                rc = netc_fail(err, "duplicate metadata key \"%s\"", shown(names[k], nb, sizeof nb));
    }
    free(names);
    if (rc) return rc;

    sb_str(hb, "{");
    if (nmeta) {
        sb_str(hb, "\"__metadata__\":{");
        for (size_t k = 0; k < nmeta; k++) {
            if (k) sb_str(hb, ",");
            sb_json_string(hb, meta_kv[2 * k]);
            sb_str(hb, ":");
            sb_json_string(hb, meta_kv[2 * k + 1]);
        }
        sb_str(hb, "}");
    }
    uint64_t off = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t count = 1, bytes;
        char num[64];
        if (nmeta || k) sb_str(hb, ",");
        sb_json_string(hb, t[k].name);
        sb_str(hb, ":{\"dtype\":\"F32\",\"shape\":[");
        for (int d = 0; d < t[k].rank; d++) {
            if (t[k].shape[d] < 0)
                return netc_fail(err, "tensor \"%s\": negative dimension", shown(t[k].name, nb, sizeof nb));
            if (!netc_mul_ok(count, (uint64_t)t[k].shape[d], &count))
                return netc_fail(err, "tensor \"%s\": shape overflows", shown(t[k].name, nb, sizeof nb));
            snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)t[k].shape[d]);
            sb_str(hb, num);
        }
        if (!netc_mul_ok(count, 4, &bytes) || off + bytes < off || (count && !t[k].data))
            return netc_fail(err, "tensor \"%s\": shape overflows or data is missing", shown(t[k].name, nb, sizeof nb));
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                 (unsigned long long)(off + bytes));
        sb_str(hb, num);
        off += bytes;
    }
    sb_str(hb, "}");
    while ((hb->n & 7) != 0) sb_str(hb, " ");
    if (hb->oom) return netc_fail(err, "out of memory for the header");
    *data_bytes = off;
    return 0;
}

int netc_safetensors_serialize(const netc_st_entry *t, size_t n, const char *const *meta_kv, size_t nmeta,
                               void **out, size_t *outlen, netc_file_error *err)
{
    sbuild hb = {0};
    uint64_t data_bytes;
    *out = NULL;
    *outlen = 0;
    if (build_header(t, n, meta_kv, nmeta, &hb, &data_bytes, err)) {
        free(hb.s);
        return -1;
    }
    uint64_t total = 8 + (uint64_t)hb.n + data_bytes;
    unsigned char *b = total <= SIZE_MAX ? malloc((size_t)total) : NULL;
    if (!b) {
        free(hb.s);
        return netc_fail(err, "out of memory for %llu bytes", (unsigned long long)total);
    }
    netc_wr_le64(b, hb.n);
    memcpy(b + 8, hb.s, hb.n);
    unsigned char *p = b + 8 + hb.n;
    for (size_t k = 0; k < n; k++) {
        uint64_t count = 1;
        for (int d = 0; d < t[k].rank; d++) count *= (uint64_t)t[k].shape[d];
        for (uint64_t i = 0; i < count; i++, p += 4) {
            uint32_t u;
            memcpy(&u, &t[k].data[i], 4);
            for (int j = 0; j < 4; j++) p[j] = (unsigned char)(u >> (8 * j));
        }
    }
    free(hb.s);
    *out = b;
    *outlen = (size_t)total;
    return 0;
}

int netc_safetensors_save(const char *path, const netc_st_entry *t, size_t n, const char *const *meta_kv,
                          size_t nmeta, netc_file_error *err)
{
    sbuild hb = {0};
    uint64_t data_bytes;
    if (build_header(t, n, meta_kv, nmeta, &hb, &data_bytes, err)) {
        free(hb.s);
        netc_fail_prefix(err, path);
        return -1;
    }
    unsigned char len8[8];
    netc_wr_le64(len8, hb.n);
    netc_atomic_file f;
    int rc = netc_atomic_open(&f, path, err);
    if (!rc) rc = netc_atomic_write(&f, len8, 8, err);
    if (!rc) rc = netc_atomic_write(&f, hb.s, hb.n, err);
    for (size_t k = 0; k < n && !rc; k++) {
        uint64_t count = 1;
        for (int d = 0; d < t[k].rank; d++) count *= (uint64_t)t[k].shape[d];
        rc = netc_atomic_write_f32le(&f, t[k].data, (size_t)count, err);
    }
    if (!rc) rc = netc_atomic_commit(&f, err);
    free(hb.s);
    return rc;
}
