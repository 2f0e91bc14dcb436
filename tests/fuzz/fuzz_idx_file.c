/* fuzz_idx_file.c — libFuzzer target for netc_idx_load, the path reader that goes
 * through zlib's gz API.  The input is placed in an anonymous memory file
 * (memfd_create) and loaded by its /proc/self/fd path, so gzip-compressed inputs
 * exercise the streaming header/data/trailing-byte logic.  For plain inputs the result
 * must agree with netc_idx_parse: both accept with identical values, or both reject
 * with the same message apart from the "PATH: " prefix. */
#define _GNU_SOURCE
#include "files.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_idx_file", MFD_CLOEXEC);
    if (fd < 0) abort();
    if (size && write(fd, data, size) != (ssize_t)size) abort();
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    const size_t cap = (size_t)16 << 20;
    netc_array a, b;
    netc_file_error ea, eb;
    int ra = netc_idx_load(&a, path, 0, cap, &ea);
    int gz = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
    if (!gz) {
        int rb = netc_idx_parse(&b, data, size, 0, cap, &eb);
        if (ra != rb) abort();
        if (ra == 0) {
            if (a.rank != b.rank || a.count != b.count) abort();
            if (a.count && memcmp(a.data, b.data, (size_t)a.count * sizeof(float)) != 0) abort();
            netc_array_free(&b);
        } else {
            size_t pl = strlen(path);
            if (strncmp(ea.msg, path, pl) != 0 || strcmp(ea.msg + pl + 2, eb.msg) != 0) {
                fprintf(stderr, "load:  %s\nparse: %s\n", ea.msg, eb.msg);
                abort();
            }
        }
    }
    if (ra == 0) netc_array_free(&a);
    close(fd);
    return 0;
}
