/* fuzz_npy.c — libFuzzer target for netc_npy_parse (allocation capped at 16 MiB).
 * Every accepted input must round-trip through netc_npy_serialize bit for bit. */
#include "files.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    netc_array a, b;
    netc_file_error err;
    if (netc_npy_parse(&a, data, size, (size_t)16 << 20, &err)) {
        if (!memchr(err.msg, 0, sizeof err.msg)) abort();
        return 0;
    }
    void *buf;
    size_t len;
    if (netc_npy_serialize(a.rank, a.shape, a.data, &buf, &len, &err)) abort();
    if (netc_npy_parse(&b, buf, len, (size_t)16 << 20, &err)) abort();
    if (b.rank != a.rank || b.count != a.count || memcmp(b.shape, a.shape, sizeof a.shape) != 0) abort();
    if (a.count && memcmp(a.data, b.data, (size_t)a.count * sizeof(float)) != 0) abort();
    free(buf);
    netc_array_free(&a);
    netc_array_free(&b);
    return 0;
}
