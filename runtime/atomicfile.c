/* atomicfile.c — replace a file atomically, so PATH always holds either its old or its
 * new content in full, whatever happens to the process or the machine.
 *
 * Where the kernel offers O_TMPFILE (Linux, on ext4, xfs, btrfs, tmpfs, ...), the data
 * goes to an unnamed file in PATH's directory: a process killed while writing or
 * syncing (SIGKILL, OOM, power loss) leaves nothing behind.  Commit fsyncs it, links
 * it in as "PATH.tmp-XXXXXX", renames that over PATH and fsyncs the directory; only a
 * kill between the link and the rename (two system calls apart) can leave a
 * PATH.tmp-XXXXXX, and it is then a complete, synced copy of the new content.
 * Elsewhere the data goes to "PATH.tmp-XXXXXX" from the start (a kill during the write
 * leaves that partial temporary).  Whatever fails (no space, permissions, I/O
 * errors), the temporary is removed and PATH keeps its old content; the error message
 * says both. */
#define _GNU_SOURCE                  /* O_TMPFILE, linkat's AT_EMPTY_PATH */
#include "files_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* "PATH.tmp-XXXXXX" into f->tmp, the suffix drawn from the clock, pid and attempt. */
static void temp_name(netc_atomic_file *f, size_t n, int attempt)
{
    static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    uint64_t r = mix64((uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 30 ^ (uint64_t)getpid() << 12
                       ^ (uint64_t)(uintptr_t)f ^ (uint64_t)attempt << 50);
    char suffix[7];
    for (int i = 0; i < 6; i++, r /= 36) suffix[i] = alphabet[r % 36];
    suffix[6] = 0;
    snprintf(f->tmp, n + 16, "%s.tmp-%s", f->path, suffix);
}

/* The directory holding path (malloc'd), "." for a bare name. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static void release(netc_atomic_file *f)
{
    free(f->path);
    free(f->tmp);
    f->path = f->tmp = NULL;
    f->fd = -1;
}

/* Close and remove the temporary, then report `what` failing with errno value e. */
static int fail_cleanup(netc_atomic_file *f, netc_file_error *err, const char *what, int e)
{
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (!f->tmp[0]) {   /* unnamed (O_TMPFILE): closing it freed it */
        netc_fail(err, "%s: %s failed: %s; removed the temporary file (unnamed), %s left untouched",
                  f->path, what, strerror(e), f->path);
        release(f);
        return -1;
    }
    int removed = unlink(f->tmp) == 0 || errno == ENOENT;
    netc_fail(err, "%s: %s failed: %s; %s temporary %s, %s left untouched", f->path, what,
              strerror(e), removed ? "removed the" : "could NOT remove the", f->tmp, f->path);
    release(f);
    return -1;
}

int netc_atomic_open(netc_atomic_file *f, const char *path, netc_file_error *err)
{
    f->fd = -1;
    f->path = f->tmp = NULL;
    size_t n = strlen(path);
    if (n == 0) return netc_fail(err, "cannot write a file with an empty name");
    f->path = malloc(n + 1);
    f->tmp = malloc(n + 16);
    if (!f->path || !f->tmp) {
        release(f);
        return netc_fail(err, "%s: out of memory", path);
    }
    memcpy(f->path, path, n + 1);
    f->tmp[0] = 0;
#ifdef O_TMPFILE
    char *dir = dir_of(path);
    if (dir) {
        f->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
        free(dir);
        if (f->fd >= 0) return 0;   /* otherwise a named temporary, which also reports the error */
    }
#endif
    int e = 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        temp_name(f, n, attempt);
        f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (f->fd >= 0) return 0;
        e = errno;
        if (e != EEXIST) break;
    }
    netc_fail(err, "%s: cannot create temporary file %s: %s; %s left untouched", path, f->tmp,
              strerror(e), path);
    release(f);
    return -1;
}

int netc_atomic_write(netc_atomic_file *f, const void *buf, size_t len, netc_file_error *err)
{
    if (f->fd < 0) return netc_fail(err, "write to a closed atomic file");
    const unsigned char *p = buf;
    while (len > 0) {
        ssize_t w = write(f->fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return fail_cleanup(f, err, "write", errno);
        if (w == 0) return fail_cleanup(f, err, "write", EIO);
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int netc_atomic_write_f32le(netc_atomic_file *f, const float *data, size_t count,
                            netc_file_error *err)
{
    if (netc_host_le()) return netc_atomic_write(f, data, count * sizeof(float), err);
    unsigned char chunk[4096];
    while (count > 0) {
        size_t k = count < sizeof chunk / 4 ? count : sizeof chunk / 4;
        for (size_t i = 0; i < k; i++) {
            uint32_t u;
            memcpy(&u, &data[i], 4);
            for (int j = 0; j < 4; j++) chunk[4 * i + (size_t)j] = (unsigned char)(u >> (8 * j));
        }
        if (netc_atomic_write(f, chunk, k * 4, err)) return -1;
        data += k;
        count -= k;
    }
    return 0;
}

int netc_atomic_commit(netc_atomic_file *f, netc_file_error *err)
{
    if (f->fd < 0) return netc_fail(err, "commit of a closed atomic file");
    if (fsync(f->fd) != 0) return fail_cleanup(f, err, "fsync", errno);
    if (!f->tmp[0]) {   /* unnamed: give it a temporary name next to PATH */
        size_t n = strlen(f->path);
        char proc[64];
        snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->fd);
        int e = 0;
        for (int attempt = 0; attempt < 100; attempt++) {
            temp_name(f, n, attempt);
            if (linkat(AT_FDCWD, proc, AT_FDCWD, f->tmp, AT_SYMLINK_FOLLOW) == 0) { e = 0; break; }
            e = errno;
            if (e == ENOENT && linkat(f->fd, "", AT_FDCWD, f->tmp, AT_EMPTY_PATH) == 0) { e = 0; break; }  /* no /proc */
            if (e != EEXIST) break;
        }
        if (e) {
            f->tmp[0] = 0;
            return fail_cleanup(f, err, "link", e);
        }
    }
    /* rename before close: the window in which a kill leaves PATH.tmp-XXXXXX behind is
     * the two calls link + rename (the data is synced; close has nothing to add) */
    if (rename(f->tmp, f->path) != 0) return fail_cleanup(f, err, "rename", errno);
    int fd = f->fd;
    f->fd = -1;
    int rc = 0;
    if (close(fd) != 0) rc = netc_fail(err, "%s: written, but close failed: %s", f->path, strerror(errno));

    /* The new name is in place; make the directory entry durable. */
    char *dir = dir_of(f->path);
    if (!dir) {
        rc = netc_fail(err, "%s: written, but out of memory to sync its directory", f->path);
    } else {
        int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0 || (fsync(dfd) != 0 && errno != EINVAL && errno != EROFS))
            rc = netc_fail(err, "%s: written, but fsync of directory %s failed: %s", f->path,
                           dir, strerror(errno));
        if (dfd >= 0) close(dfd);
        free(dir);
    }
    release(f);
    return rc;
}

void netc_atomic_abort(netc_atomic_file *f)
{
    if (f->fd >= 0) {
        close(f->fd);
        if (f->tmp[0]) unlink(f->tmp);
    }
    release(f);
}

int netc_write_file_atomic(const char *path, const void *buf, size_t len, netc_file_error *err)
{
    netc_atomic_file f;
    if (netc_atomic_open(&f, path, err)) return -1;
    if (netc_atomic_write(&f, buf, len, err)) return -1;
    return netc_atomic_commit(&f, err);
}
