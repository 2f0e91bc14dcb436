/* files_common.c — what every file format of runtime/files.h shares: error messages,
 * element types and their conversion to float32, reading a whole file with a size cap,
 * and freeing arrays. */
#include "files_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int netc_fail(netc_file_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return -1;
}

void netc_fail_prefix(netc_file_error *err, const char *path)
{
    if (!err) return;
    char old[sizeof err->msg];
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = 0;
    size_t pl = strlen(path), n = sizeof err->msg - 1;
    if (pl > n - 2) pl = n - 2;
    memcpy(err->msg, path, pl);
    memcpy(err->msg + pl, ": ", 2);
    size_t ol = strlen(old);
    if (ol > n - pl - 2) ol = n - pl - 2;
    memcpy(err->msg + pl + 2, old, ol);
    err->msg[pl + 2 + ol] = 0;
}

void netc_format_dims(char *buf, size_t n, int rank, const int64_t *shape)
{
    size_t used = 0;
    if (n == 0) return;
    buf[0] = 0;
    if (rank == 0) { snprintf(buf, n, "()"); return; }
    for (int i = 0; i < rank && used < n; i++) {
        int w = snprintf(buf + used, n - used, "%s%lld", i ? "\xc3\x97" : "", (long long)shape[i]);
        if (w < 0) break;
        used += (size_t)w;
    }
}

size_t netc_dtype_size(netc_dtype t)
{
    switch (t) {
    case NETC_DT_BOOL: case NETC_DT_U8: case NETC_DT_I8: return 1;
    case NETC_DT_U16: case NETC_DT_I16: case NETC_DT_F16: case NETC_DT_BF16: return 2;
    case NETC_DT_U32: case NETC_DT_I32: case NETC_DT_F32: return 4;
    case NETC_DT_U64: case NETC_DT_I64: case NETC_DT_F64: return 8;
    default: return 0;
    }
}

const char *netc_dtype_name(netc_dtype t)
{
    switch (t) {
    case NETC_DT_BOOL: return "BOOL";
    case NETC_DT_U8: return "U8";
    case NETC_DT_I8: return "I8";
    case NETC_DT_U16: return "U16";
    case NETC_DT_I16: return "I16";
    case NETC_DT_U32: return "U32";
    case NETC_DT_I32: return "I32";
    case NETC_DT_U64: return "U64";
    case NETC_DT_I64: return "I64";
    case NETC_DT_F16: return "F16";
    case NETC_DT_BF16: return "BF16";
    case NETC_DT_F32: return "F32";
    case NETC_DT_F64: return "F64";
    default: return "?";
    }
}

/* Unsigned integer of `size` bytes at p in the given byte order. */
static uint64_t load_uint(const unsigned char *p, size_t size, int big_endian)
{
    uint64_t v = 0;
    if (big_endian)
        for (size_t i = 0; i < size; i++) v = v << 8 | p[i];
    else
        for (size_t i = size; i-- > 0;) v = v << 8 | p[i];
    return v;
}

static float bits_to_f32(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static float half_to_f32(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff;
    uint32_t u;
    if (exp == 0x1f) {                       /* inf / nan */
        u = sign | 0x7f800000u | man << 13;
    } else if (exp != 0) {                   /* normal */
        u = sign | (exp + 112) << 23 | man << 13;
    } else if (man == 0) {                   /* zero */
        u = sign;
    } else {                                 /* subnormal: renormalise */
        int e = 113;
        while (!(man & 0x400)) { man <<= 1; e--; }
        man &= 0x3ff;
        u = sign | (uint32_t)e << 23 | man << 13;
    }
    return bits_to_f32(u);
}

int netc_convert_to_f32(netc_dtype t, int big_endian, const void *src, size_t count,
                        float *dst, netc_file_error *err)
{
    const unsigned char *p = src;
    size_t sz = netc_dtype_size(t);
    if (sz == 0) return netc_fail(err, "cannot convert element type %d to float32", (int)t);
    if (t == NETC_DT_F32 && big_endian == !netc_host_le()) {     /* already float32 */
        if (count) memcpy(dst, src, count * sizeof(float));
        return 0;
    }
    for (size_t i = 0; i < count; i++, p += sz) {
        uint64_t v = load_uint(p, sz, big_endian);
        float f;
        switch (t) {
        case NETC_DT_BOOL: f = v ? 1.0f : 0.0f; break;
        case NETC_DT_U8: case NETC_DT_U16: case NETC_DT_U32: case NETC_DT_U64:
            f = (float)v; break;
        case NETC_DT_I8: f = (float)(int8_t)(uint8_t)v; break;
        case NETC_DT_I16: f = (float)(int16_t)(uint16_t)v; break;
        case NETC_DT_I32: f = (float)(int32_t)(uint32_t)v; break;
        case NETC_DT_I64: {
            int64_t s;
            memcpy(&s, &v, sizeof s);           /* two's complement reinterpretation */
            f = (float)s;
            break;
        }
        case NETC_DT_F16: f = half_to_f32((uint16_t)v); break;
        case NETC_DT_BF16: f = bits_to_f32((uint32_t)v << 16); break;
        case NETC_DT_F32: f = bits_to_f32((uint32_t)v); break;
        case NETC_DT_F64: {
            double d;
            memcpy(&d, &v, sizeof d);
            f = (float)d;
            break;
        }
        default: return netc_fail(err, "cannot convert element type %d to float32", (int)t);
        }
        dst[i] = f;
    }
    return 0;
}

void netc_array_free(netc_array *a)
{
    if (!a) return;
    free(a->data);
    a->data = NULL;
    a->count = 0;
    a->rank = 0;
}

int netc_read_file(const char *path, size_t max_bytes, void **out, size_t *outlen,
                   netc_file_error *err)
{
    if (max_bytes == 0) max_bytes = NETC_FILES_MAX_BYTES;
    *out = NULL;
    *outlen = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return netc_fail(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return netc_fail(err, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return netc_fail(err, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > max_bytes) {
        close(fd);
        return netc_fail(err, "%s: file is %lld bytes, over the limit of %zu bytes", path,
                         (long long)sb.st_size, max_bytes);
    }
    size_t size = (size_t)sb.st_size;
    unsigned char *buf = malloc(size ? size : 1);
    if (!buf) {
        close(fd);
        return netc_fail(err, "%s: out of memory for %zu bytes", path, size);
    }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            close(fd);
            return netc_fail(err, "%s: read error: %s", path, strerror(e));
        }
        if (r == 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != size) {
        free(buf);
        return netc_fail(err, "%s: file shrank while reading (%zu of %zu bytes)", path, got, size);
    }
    *out = buf;
    *outlen = size;
    return 0;
}
