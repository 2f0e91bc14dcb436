/* npy.c — read and write NumPy's .npy format:
 *     "\x93NUMPY" major minor, header length (u16 LE for 1.0, u32 LE for 2.0/3.0),
 *     a Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 *     padded with spaces and ended by '\n', then the raw elements.
 * The reader accepts versions 1.0/2.0/3.0, the numeric dtypes b1 u1 i1 u2 i2 u4 i4 u8
 * i8 f2 f4 f8 in either byte order, and converts to float32 in C order: a
 * Fortran-order array is transposed, so the result is the array numpy would return.
 * The element count must match the bytes that follow the header exactly.
 * The writer emits '<f4' C-order arrays and replaces the file atomically. */
#include "files_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char npy_magic[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

typedef struct hparser {
    const char *s;
    size_t n, i;
    netc_file_error *err;
} hparser;

static int hfail(hparser *p, const char *what)
{
    return netc_fail(p->err, "header, character %zu: %s", p->i, what);
}

static void hws(hparser *p)
{
    while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
        p->i++;
}

/* A quoted Python string without escapes; copied into out (NUL-terminated, truncated). */
static int hstring(hparser *p, char *out, size_t outn)
{
    hws(p);
    if (p->i >= p->n || (p->s[p->i] != '\'' && p->s[p->i] != '"')) return hfail(p, "expected a quoted string");
    char q = p->s[p->i++];
    size_t k = 0;
    while (p->i < p->n && p->s[p->i] != q) {
        char c = p->s[p->i];
        if (c == '\\' || (unsigned char)c < 0x20) return hfail(p, "unsupported character in a string");
        if (k + 1 < outn) out[k++] = c;
        p->i++;
    }
    if (p->i >= p->n) return hfail(p, "unterminated string");
    p->i++;
    out[k] = 0;
    return 0;
}

static int hexpect(hparser *p, char c)
{
    hws(p);
    if (p->i >= p->n || p->s[p->i] != c) {
        char msg[32];
        snprintf(msg, sizeof msg, "expected '%c'", c);
        return hfail(p, msg);
    }
    p->i++;
    return 0;
}

static int hword(hparser *p, const char *w)
{
    size_t l = strlen(w);
    if (p->n - p->i >= l && memcmp(p->s + p->i, w, l) == 0) {
        p->i += l;
        return 1;
    }
    return 0;
}

static int parse_descr(const char *d, netc_dtype *t, int *big, netc_file_error *err)
{
    static const struct { char kind; int size; netc_dtype t; } map[] = {
        {'b', 1, NETC_DT_BOOL}, {'u', 1, NETC_DT_U8}, {'i', 1, NETC_DT_I8},
        {'u', 2, NETC_DT_U16}, {'i', 2, NETC_DT_I16}, {'u', 4, NETC_DT_U32}, {'i', 4, NETC_DT_I32},
        {'u', 8, NETC_DT_U64}, {'i', 8, NETC_DT_I64}, {'f', 2, NETC_DT_F16}, {'f', 4, NETC_DT_F32},
        {'f', 8, NETC_DT_F64}};
    size_t l = strlen(d);
    if (l == 3 && (d[0] == '<' || d[0] == '>' || d[0] == '|' || d[0] == '=') && d[2] >= '1' && d[2] <= '8') {
        for (size_t k = 0; k < sizeof map / sizeof map[0]; k++) {
            if (map[k].kind != d[1] || map[k].size != d[2] - '0') continue;
            if (d[0] == '|' && map[k].size != 1) break;          /* '|' is for one-byte types */
            *t = map[k].t;
            *big = d[0] == '>' || (d[0] == '=' && !netc_host_le());
            return 0;
        }
    }
    return netc_fail(err, "unsupported dtype '%s' (supported: b1 u1 i1 u2 i2 u4 i4 u8 i8 f2 f4 f8, "
                          "either byte order)", d);
}

typedef struct npy_header {
    netc_dtype dtype;
    int big, fortran, rank;
    int64_t shape[NETC_FILES_MAXRANK];
    uint64_t count;
} npy_header;

static int parse_header(hparser *p, npy_header *h)
{
    int have_descr = 0, have_fortran = 0, have_shape = 0;
    if (hexpect(p, '{')) return -1;
    for (;;) {
        hws(p);
        if (p->i < p->n && p->s[p->i] == '}') { p->i++; break; }
        char key[32];
        if (hstring(p, key, sizeof key) || hexpect(p, ':')) return -1;
        hws(p);
        if (strcmp(key, "descr") == 0) {
            if (have_descr++) return hfail(p, "duplicate key 'descr'");
            if (p->i < p->n && p->s[p->i] == '[')
                return netc_fail(p->err, "structured dtypes (a list as 'descr') are not supported");
            char d[16];
            if (hstring(p, d, sizeof d)) return -1;
            if (parse_descr(d, &h->dtype, &h->big, p->err)) return -1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (have_fortran++) return hfail(p, "duplicate key 'fortran_order'");
            if (hword(p, "True")) h->fortran = 1;
            else if (hword(p, "False")) h->fortran = 0;
            else return hfail(p, "'fortran_order' must be True or False");
        } else if (strcmp(key, "shape") == 0) {
            if (have_shape++) return hfail(p, "duplicate key 'shape'");
            if (hexpect(p, '(')) return -1;
            h->rank = 0;
            h->count = 1;
            int overflow = 0;
            for (;;) {
                hws(p);
                if (p->i < p->n && p->s[p->i] == ')') { p->i++; break; }
                if (p->i >= p->n || p->s[p->i] < '0' || p->s[p->i] > '9')
                    return hfail(p, "shape entries must be non-negative integers");
                uint64_t v = 0;
                while (p->i < p->n && p->s[p->i] >= '0' && p->s[p->i] <= '9') {
                    unsigned dgt = (unsigned)(p->s[p->i++] - '0');
                    if (v > ((uint64_t)INT64_MAX - dgt) / 10) overflow = 1;
                    else v = v * 10 + dgt;
                }
                if (p->i < p->n && p->s[p->i] == 'L') p->i++;        /* Python 2 long */
                if (h->rank == NETC_FILES_MAXRANK)
                    return netc_fail(p->err, "rank over %d is not supported", NETC_FILES_MAXRANK);
                if (!netc_mul_ok(h->count, v, &h->count)) overflow = 1;
                h->shape[h->rank++] = (int64_t)v;
                hws(p);
                if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
                if (p->i < p->n && p->s[p->i] == ')') {
                    if (h->rank == 1) return hfail(p, "a one-element shape needs a trailing comma: (n,)");
                    p->i++;
                    break;
                }
                return hfail(p, "expected ',' or ')' in shape");
            }
            if (overflow || h->count > (uint64_t)INT64_MAX)
                return netc_fail(p->err, "shape overflows (element count does not fit in 64 bits)");
        } else {
            return netc_fail(p->err, "unknown header key '%s'", key);
        }
        hws(p);
        if (p->i < p->n && p->s[p->i] == ',') { p->i++; continue; }
        if (p->i < p->n && p->s[p->i] == '}') { p->i++; break; }
        return hfail(p, "expected ',' or '}'");
    }
    hws(p);
    if (p->i != p->n) return hfail(p, "unexpected characters after the header dict");
    if (!have_descr) return netc_fail(p->err, "header lacks 'descr'");
    if (!have_fortran) return netc_fail(p->err, "header lacks 'fortran_order'");
    if (!have_shape) return netc_fail(p->err, "header lacks 'shape'");
    return 0;
}

int netc_npy_parse(netc_array *a, const void *buf, size_t len, size_t max_bytes, netc_file_error *err)
{
    const unsigned char *b = buf;
    memset(a, 0, sizeof *a);
    if (max_bytes == 0) max_bytes = NETC_FILES_MAX_BYTES;
    if (len < 10 || memcmp(b, npy_magic, 6) != 0)
        return netc_fail(err, "not a .npy file (bad magic: expected \\x93NUMPY)");
    unsigned major = b[6], minor = b[7];
    size_t hstart, hlen;
    if (major == 1 && minor == 0) {
        hstart = 10;
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
    } else if ((major == 2 || major == 3) && minor == 0) {
        if (len < 12) return netc_fail(err, "file too short for a version %u.0 header", major);
        hstart = 12;
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
    } else {
        return netc_fail(err, "unsupported .npy version %u.%u (supported: 1.0, 2.0, 3.0)", major, minor);
    }
    if (hlen > len - hstart)
        return netc_fail(err, "header length %zu is past the end of the file (%zu bytes)", hlen, len);
    hparser p = {(const char *)b + hstart, hlen, 0, err};
    npy_header h;
    memset(&h, 0, sizeof h);
    if (parse_header(&p, &h)) return -1;

    size_t dstart = hstart + hlen, have = len - dstart, isz = netc_dtype_size(h.dtype);
    uint64_t need, outbytes = UINT64_MAX;
    char dims[200];
    netc_format_dims(dims, sizeof dims, h.rank, h.shape);
    if (!netc_mul_ok(h.count, isz, &need))
        return netc_fail(err, "header declares shape %s of %zu-byte elements, more bytes than fit in 64 bits",
                         dims, isz);
    if (need > have)
        return netc_fail(err, "header declares shape %s of %zu-byte elements = %llu bytes, file holds %zu",
                         dims, isz, (unsigned long long)need, have);
    if (need < have)
        return netc_fail(err, "%llu bytes of trailing data after the array", (unsigned long long)(have - need));
    if (!netc_mul_ok(h.count, sizeof(float), &outbytes) || outbytes > max_bytes)
        return netc_fail(err, "array of %llu elements needs %llu bytes as float32, over the limit of %zu",
                         (unsigned long long)h.count, (unsigned long long)outbytes, max_bytes);
    float *out = malloc(outbytes ? (size_t)outbytes : 1);
    if (!out) return netc_fail(err, "out of memory for %llu bytes", (unsigned long long)outbytes);
    const unsigned char *src = b + dstart;
    if (!h.fortran || h.rank < 2 || h.count == 0) {
        if (netc_convert_to_f32(h.dtype, h.big, src, (size_t)h.count, out, err)) {
            free(out);
            return -1;
        }
    } else {
        /* Walk the C-order result, tracking the element's Fortran-order position. */
        int64_t idx[NETC_FILES_MAXRANK] = {0}, stride[NETC_FILES_MAXRANK];
        stride[0] = 1;
        for (int d = 1; d < h.rank; d++) stride[d] = stride[d - 1] * h.shape[d - 1];
        size_t pos = 0;
        for (uint64_t i = 0; i < h.count; i++) {
            if (netc_convert_to_f32(h.dtype, h.big, src + pos * isz, 1, &out[i], err)) {
                free(out);
                return -1;
            }
            for (int d = h.rank - 1; d >= 0; d--) {
                pos += (size_t)stride[d];
                if (++idx[d] < h.shape[d]) break;
                pos -= (size_t)(stride[d] * h.shape[d]);
                idx[d] = 0;
            }
        }
    }
    a->rank = h.rank;
    memcpy(a->shape, h.shape, sizeof h.shape);
    a->count = (int64_t)h.count;
    a->data = out;
    a->source_dtype = h.dtype;
    return 0;
}

int netc_npy_load(netc_array *a, const char *path, size_t max_bytes, netc_file_error *err)
{
    void *buf;
    size_t len;
    memset(a, 0, sizeof *a);
    /* The file holds at most 8 bytes per element, twice the float32 result. */
    size_t fmax = max_bytes ? max_bytes : NETC_FILES_MAX_BYTES;
    fmax = fmax > SIZE_MAX / 2 - 65536 ? SIZE_MAX : fmax * 2 + 65536;
    if (netc_read_file(path, fmax, &buf, &len, err)) return -1;
    int rc = netc_npy_parse(a, buf, len, max_bytes, err);
    free(buf);
    if (rc) netc_fail_prefix(err, path);
    return rc;
}

/* The padded header (magic through '\n') for a '<f4' C-order array. */
static int npy_header_bytes(int rank, const int64_t *shape, unsigned char *hdr, size_t *hn, uint64_t *count,
                            netc_file_error *err)
{
    char dict[600];
    size_t k;
    if (rank < 0 || rank > NETC_FILES_MAXRANK)
        return netc_fail(err, "rank %d is not between 0 and %d", rank, NETC_FILES_MAXRANK);
    k = (size_t)snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (");
    *count = 1;
    for (int d = 0; d < rank; d++) {
        if (shape[d] < 0) return netc_fail(err, "negative dimension %lld", (long long)shape[d]);
        /* as the parser counts: a running product that must fit 64 bits (a later zero
         * dimension still makes it 0), the total checked once at the end */
        if (!netc_mul_ok(*count, (uint64_t)shape[d], count)) return netc_fail(err, "shape overflows");
        k += (size_t)snprintf(dict + k, sizeof dict - k, "%s%lld", d ? ", " : "", (long long)shape[d]);
    }
    if (*count > (uint64_t)INT64_MAX / 4) return netc_fail(err, "shape overflows");
    k += (size_t)snprintf(dict + k, sizeof dict - k, "%s), }", rank == 1 ? "," : "");
    size_t total = 10 + k + 1;                 /* magic, version, length, dict, '\n'    */
    total = (total + 63) / 64 * 64;
    memcpy(hdr, npy_magic, 6);
    hdr[6] = 1;
    hdr[7] = 0;
    size_t hl = total - 10;
    hdr[8] = (unsigned char)(hl & 0xff);
    hdr[9] = (unsigned char)(hl >> 8);
    memcpy(hdr + 10, dict, k);
    memset(hdr + 10 + k, ' ', total - 10 - k - 1);
    hdr[total - 1] = '\n';
    *hn = total;
    return 0;
}

int netc_npy_serialize(int rank, const int64_t *shape, const float *data, void **out, size_t *outlen,
                       netc_file_error *err)
{
    unsigned char hdr[704];
    size_t hn;
    uint64_t count;
    *out = NULL;
    *outlen = 0;
    if (npy_header_bytes(rank, shape, hdr, &hn, &count, err)) return -1;
    if (count > (SIZE_MAX - hn) / 4) return netc_fail(err, "array too large");
    unsigned char *b = malloc(hn + (size_t)count * 4);
    if (!b) return netc_fail(err, "out of memory");
    memcpy(b, hdr, hn);
    for (uint64_t i = 0; i < count; i++) {
        uint32_t u;
        memcpy(&u, &data[i], 4);
        for (int j = 0; j < 4; j++) b[hn + 4 * i + (size_t)j] = (unsigned char)(u >> (8 * j));
    }
    *out = b;
    *outlen = hn + (size_t)count * 4;
    return 0;
}

int netc_npy_save(const char *path, int rank, const int64_t *shape, const float *data, netc_file_error *err)
{
    unsigned char hdr[704];
    size_t hn;
    uint64_t count;
    if (npy_header_bytes(rank, shape, hdr, &hn, &count, err)) {
        netc_fail_prefix(err, path);
        return -1;
    }
    netc_atomic_file f;
    if (netc_atomic_open(&f, path, err)) return -1;
    if (netc_atomic_write(&f, hdr, hn, err)) return -1;
    if (netc_atomic_write_f32le(&f, data, (size_t)count, err)) return -1;
    return netc_atomic_commit(&f, err);
}
