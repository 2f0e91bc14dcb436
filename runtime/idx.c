/* idx.c — read the IDX format of MNIST and Fashion-MNIST:
 *     0x00 0x00 TYPE RANK, RANK big-endian u32 dimensions, then the elements (big-endian)
 * with TYPE 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64.  Files may be
 * gzip-compressed (.idx.gz, read through zlib's gz API, which also reads plain files).
 * The result is float32; with NETC_IDX_SCALE_U8, u8 elements are divided by 255.
 * Strict: the declared count must match the data exactly (no short files, no trailing
 * bytes), rank 1..8, and the declared size is checked against the caller's limit
 * before anything is allocated. */
#include "files_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

typedef struct idx_header {
    netc_dtype dtype;
    int rank;
    int64_t shape[NETC_FILES_MAXRANK];
    uint64_t count, need, outbytes;    /* elements, data bytes, float32 bytes */
    char dims[200];
} idx_header;

/* Check the 4-byte magic; *rank gets the rank. */
static int idx_magic(const unsigned char *m, idx_header *h, netc_file_error *err)
{
    if (m[0] == 0x1f && m[1] == 0x8b)
        return netc_fail(err, "gzip-compressed data: decompress it or read it with netc_idx_load");
    if (m[0] != 0 || m[1] != 0)
        return netc_fail(err, "bad magic %02x %02x %02x %02x: an IDX file starts with two zero bytes, "
                              "a type code and a rank", m[0], m[1], m[2], m[3]);
    switch (m[2]) {
    case 0x08: h->dtype = NETC_DT_U8; break;
    case 0x09: h->dtype = NETC_DT_I8; break;
    case 0x0B: h->dtype = NETC_DT_I16; break;
    case 0x0C: h->dtype = NETC_DT_I32; break;
    case 0x0D: h->dtype = NETC_DT_F32; break;
    case 0x0E: h->dtype = NETC_DT_F64; break;
    default:
        return netc_fail(err, "unknown element type 0x%02X (expected 08, 09, 0B, 0C, 0D or 0E)", m[2]);
    }
    h->rank = m[3];
    if (h->rank == 0) return netc_fail(err, "rank 0 is not allowed (an IDX file has 1 to %d dimensions)", NETC_FILES_MAXRANK);
    if (h->rank > NETC_FILES_MAXRANK)
        return netc_fail(err, "rank %d is over the supported %d", h->rank, NETC_FILES_MAXRANK);
    return 0;
}

/* Read the dimensions and check the sizes against max_bytes. */
static int idx_dims(const unsigned char *d, idx_header *h, size_t max_bytes, netc_file_error *err)
{
    int overflow = 0;
    h->count = 1;
    for (int k = 0; k < h->rank; k++) {
        h->shape[k] = netc_rd_be32(d + 4 * k);
        if (!netc_mul_ok(h->count, (uint64_t)h->shape[k], &h->count)) overflow = 1;
    }
    netc_format_dims(h->dims, sizeof h->dims, h->rank, h->shape);
    if (overflow || !netc_mul_ok(h->count, netc_dtype_size(h->dtype), &h->need) ||
        !netc_mul_ok(h->count, sizeof(float), &h->outbytes) || h->count > (uint64_t)INT64_MAX)
        return netc_fail(err, "dimensions %s overflow 64 bits", h->dims);
    if (h->outbytes > max_bytes)
        return netc_fail(err, "header declares %s elements = %llu bytes as float32, over the limit of %zu bytes",
                         h->dims, (unsigned long long)h->outbytes, max_bytes);
    return 0;
}

static int idx_convert(netc_array *a, idx_header *h, const unsigned char *raw, int flags, netc_file_error *err)
{
    float *out = malloc(h->outbytes ? (size_t)h->outbytes : 1);
    if (!out) return netc_fail(err, "out of memory for %llu bytes", (unsigned long long)h->outbytes);
    if (netc_convert_to_f32(h->dtype, 1, raw, (size_t)h->count, out, err)) {
        free(out);
        return -1;
    }
    if ((flags & NETC_IDX_SCALE_U8) && h->dtype == NETC_DT_U8)
        for (uint64_t i = 0; i < h->count; i++) out[i] /= 255.0f;
    memset(a, 0, sizeof *a);
    a->rank = h->rank;
    memcpy(a->shape, h->shape, sizeof h->shape);
    a->count = (int64_t)h->count;
    a->data = out;
    a->source_dtype = h->dtype;
    return 0;
}

int netc_idx_parse(netc_array *a, const void *buf, size_t len, int flags, size_t max_bytes, netc_file_error *err)
{
    const unsigned char *b = buf;
    idx_header h;
    memset(a, 0, sizeof *a);
    if (max_bytes == 0) max_bytes = NETC_FILES_MAX_BYTES;
    if (len < 4) return netc_fail(err, "file is %zu bytes, too short for the IDX magic", len);
    if (idx_magic(b, &h, err)) return -1;
    size_t hbytes = 4 + 4 * (size_t)h.rank;
    if (len < hbytes)
        return netc_fail(err, "file ends inside the dimensions (rank %d needs a %zu-byte header, file holds %zu)",
                         h.rank, hbytes, len);
    if (idx_dims(b + 4, &h, max_bytes, err)) return -1;
    size_t have = len - hbytes;
    if (h.need > have)
        return netc_fail(err, "header declares %s = %llu bytes, file holds %zu", h.dims,
                         (unsigned long long)h.need, have);
    if (h.need < have)
        return netc_fail(err, "%llu bytes of trailing data after the %s elements",
                         (unsigned long long)(have - h.need), h.dims);
    return idx_convert(a, &h, b + hbytes, flags, err);
}

/* Read up to n bytes; returns the count read, or -1 on a gzip error. */
static int64_t gz_read_all(gzFile g, unsigned char *dst, uint64_t n)
{
    uint64_t got = 0;
    while (got < n) {
        uint64_t want = n - got;
        unsigned chunk = want > (1u << 30) ? 1u << 30 : (unsigned)want;
        int r = gzread(g, dst + got, chunk);
        if (r < 0) return -1;
        if (r == 0) break;
        got += (uint64_t)r;
    }
    return (int64_t)got;
}

/* zlib's message, without the "PATH: " it puts in front. */
static const char *gz_message(gzFile g, const char *path)
{
    int code;
    const char *m = gzerror(g, &code);
    size_t pl = strlen(path);
    if (code == Z_ERRNO) return "read error";
    if (strncmp(m, path, pl) == 0 && m[pl] == ':' && m[pl + 1] == ' ') m += pl + 2;
    return m;
}

static int gz_fail(gzFile g, const char *path, const char *when, netc_file_error *err)
{
    return netc_fail(err, "%s: gzip error %s: %s", path, when, gz_message(g, path));
}

int netc_idx_load(netc_array *a, const char *path, int flags, size_t max_bytes, netc_file_error *err)
{
    memset(a, 0, sizeof *a);
    if (max_bytes == 0) max_bytes = NETC_FILES_MAX_BYTES;
    gzFile g = gzopen(path, "rb");
    if (!g) return netc_fail(err, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
    unsigned char hb[4 + 4 * NETC_FILES_MAXRANK];
    idx_header h;
    unsigned char *raw = NULL;
    int rc = -1;
    int64_t got = gz_read_all(g, hb, 4);
    if (got < 0) { gz_fail(g, path, "while reading the magic", err); goto out; }
    if (got < 4) { netc_fail(err, "%s: file is %lld bytes, too short for the IDX magic", path, (long long)got); goto out; }
    if (idx_magic(hb, &h, err)) { netc_fail_prefix(err, path); goto out; }
    got = gz_read_all(g, hb + 4, 4 * (uint64_t)h.rank);
    if (got < 0) { gz_fail(g, path, "while reading the dimensions", err); goto out; }
    if (got < 4 * h.rank) {
        netc_fail(err, "%s: file ends inside the dimensions (rank %d needs a %d-byte header, file holds %lld)",
                  path, h.rank, 4 + 4 * h.rank, (long long)got + 4);
        goto out;
    }
    if (idx_dims(hb + 4, &h, max_bytes, err)) { netc_fail_prefix(err, path); goto out; }
    raw = malloc(h.need ? (size_t)h.need : 1);
    if (!raw) { netc_fail(err, "%s: out of memory for %llu bytes", path, (unsigned long long)h.need); goto out; }
    got = gz_read_all(g, raw, h.need);
    if (got < 0) { gz_fail(g, path, "while reading the data", err); goto out; }
    if ((uint64_t)got < h.need) {
        int code;
        gzerror(g, &code);
        if (code != Z_OK) netc_fail(err, "%s: gzip error after %lld of %llu data bytes: %s", path, (long long)got,
                                    (unsigned long long)h.need, gz_message(g, path));
        else netc_fail(err, "%s: header declares %s = %llu bytes, file holds %lld", path, h.dims,
                       (unsigned long long)h.need, (long long)got);
        goto out;
    }
    unsigned char extra[4096];
    uint64_t more = 0;
    for (;;) {                              /* count trailing bytes, up to 1 GiB */
        int r = gzread(g, extra, sizeof extra);
        if (r < 0) { gz_fail(g, path, "after the data", err); goto out; }
        if (r == 0 || more > (1u << 30)) break;
        more += (uint64_t)r;
    }
    if (more) {
        netc_fail(err, "%s: %s%llu bytes of trailing data after the %s elements", path,
                  more > (1u << 30) ? "at least " : "", (unsigned long long)more, h.dims);
        goto out;
    }
    rc = idx_convert(a, &h, raw, flags, err);
    if (rc) netc_fail_prefix(err, path);
out:
    free(raw);
    gzclose(g);
    return rc;
}
