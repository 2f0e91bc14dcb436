/* enospc.c — an LD_PRELOAD shim for tests/durability when no tmpfs can be mounted:
 * write() to any file under $NETC_ENOSPC_DIR fails with ENOSPC once the files there at
 * the start plus what the process has written there reach $NETC_ENOSPC_BYTES (a disk of
 * that size that fills up and stays full; space freed by unlink is not returned).
 *
 *   cc -shared -fPIC -o enospc.so enospc.c -ldl
 *   LD_PRELOAD=./enospc.so NETC_ENOSPC_DIR=/some/dir NETC_ENOSPC_BYTES=1572864 prog ... */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned long long used;
static int counted;

/* What the directory holds when the process first writes there. */
static void count_existing(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[4096];
    struct stat sb;
    counted = 1;
    if (!d) return;
    while ((e = readdir(d)))
        if (snprintf(p, sizeof p, "%s/%s", dir, e->d_name) < (int)sizeof p && stat(p, &sb) == 0 && S_ISREG(sb.st_mode))
            used += (unsigned long long)sb.st_size;
    closedir(d);
}

ssize_t write(int fd, const void *buf, size_t len)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real) real = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    const char *dir = getenv("NETC_ENOSPC_DIR"), *budget = getenv("NETC_ENOSPC_BYTES");
    if (dir && budget && fd > 2) {
        char link[64], path[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, path, sizeof path - 1);
        size_t dl = strlen(dir);
        if (n > 0 && (size_t)n > dl && !strncmp(path, dir, dl) && path[dl] == '/') {
            if (!counted) count_existing(dir);
            unsigned long long limit = strtoull(budget, NULL, 10);
            if (used + len > limit) {
                errno = ENOSPC;
                return -1;
            }
            used += len;
        }
    }
    return real(fd, buf, len);
}
