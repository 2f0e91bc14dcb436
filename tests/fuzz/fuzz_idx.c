/* fuzz_idx.c — libFuzzer target for netc_idx_parse (allocation capped at 16 MiB); the
 * input's length picks whether u8 elements are scaled to [0, 1]. */
#include "files.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    netc_array a;
    netc_file_error err;
    int flags = (size & 1) ? NETC_IDX_SCALE_U8 : 0;
    if (netc_idx_parse(&a, data, size, flags, (size_t)16 << 20, &err)) {
        if (!memchr(err.msg, 0, sizeof err.msg)) abort();
        return 0;
    }
    if (a.rank < 1 || a.rank > NETC_FILES_MAXRANK) abort();
    uint64_t n = 1;                      /* wraps harmlessly when a dimension is 0 */
    for (int k = 0; k < a.rank; k++) n *= (uint64_t)a.shape[k];
    if (a.count != 0 && n != (uint64_t)a.count) abort();
    if ((flags & NETC_IDX_SCALE_U8) && a.source_dtype == NETC_DT_U8)
        for (int64_t i = 0; i < a.count; i++)
            if (!(a.data[i] >= 0.0f && a.data[i] <= 1.0f)) abort();
    netc_array_free(&a);
    return 0;
}
