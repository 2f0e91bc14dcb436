/* files_internal.h — helpers shared by the file-format readers and writers of
 * runtime/files.h (error formatting, byte order, checked arithmetic).  Not installed;
 * only the files area's runtime sources include it. */
#ifndef NETC_FILES_INTERNAL_H
#define NETC_FILES_INTERNAL_H

#include "files.h"
#include <stdarg.h>

#if defined(__GNUC__)
#define NETC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define NETC_PRINTF(a, b)
#endif

/* Set err->msg (err may be NULL); always returns -1 so callers can `return netc_fail(...)`. */
int netc_fail(netc_file_error *err, const char *fmt, ...) NETC_PRINTF(2, 3);
/* Prepend "PATH: " to an existing message. */
void netc_fail_prefix(netc_file_error *err, const char *path);

/* a*b into *r unless it overflows (then 0 is returned and *r untouched). */
static inline int netc_mul_ok(uint64_t a, uint64_t b, uint64_t *r)
{
    if (a != 0 && b > UINT64_MAX / a) return 0;
    *r = a * b;
    return 1;
}

static inline uint32_t netc_rd_be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t netc_rd_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static inline void netc_wr_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
/* 1 when this machine stores integers little-endian. */
static inline int netc_host_le(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* Write `count` floats as little-endian float32 to an atomic file, in chunks. */
int netc_atomic_write_f32le(netc_atomic_file *f, const float *data, size_t count,
                            netc_file_error *err);

/* Format dims as "60000×28×28" into buf. */
void netc_format_dims(char *buf, size_t n, int rank, const int64_t *shape);

#endif
