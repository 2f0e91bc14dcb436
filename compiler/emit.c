/*
 * emit.c — the small indent-aware writer every printer uses.  emit(w, fmt, ...)
 * appends one line: a line whose text starts with '}' is dedented first, one that
 * ends with '{' indents what follows.  Text collects in memory and reaches the
 * disk only through emit_save, which writes a temporary file and renames it, so
 * an error never leaves partial output behind.
 */
#include "emit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

static void grow(Emitter *w, size_t need) {
    if (w->len + need + 1 <= w->cap) return;
    size_t cap = w->cap ? w->cap : 65536;
    while (cap < w->len + need + 1) cap *= 2;
    char *p = realloc(w->buf, cap);
    if (!p) { fputs("netc: out of memory\n", stderr); exit(3); }
    w->buf = p;
    w->cap = cap;
}

void emit_raw(Emitter *w, const char *s) {
    size_t n = strlen(s);
    grow(w, n);
    memcpy(w->buf + w->len, s, n);
    w->len += n;
    w->buf[w->len] = 0;
}

void emit(Emitter *w, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    char small[512], *line = n < (int)sizeof small ? small : malloc((size_t)n + 1);
    if (!line) { fputs("netc: out of memory\n", stderr); exit(3); }
    vsnprintf(line, (size_t)n + 1, fmt, ap);
    va_end(ap);
    if (line[0] == '}' && w->indent > 0) w->indent--;
    if (n > 0) {
        grow(w, (size_t)w->indent * 4 + (size_t)n + 1);
        for (int i = 0; i < w->indent * 4; i++) w->buf[w->len++] = ' ';
        memcpy(w->buf + w->len, line, (size_t)n);
        w->len += (size_t)n;
    }
    grow(w, 1);
    w->buf[w->len++] = '\n';
    w->buf[w->len] = 0;
    if (n > 0 && line[n - 1] == '{') w->indent++;
    if (line != small) free(line);
}

int emit_save(const Emitter *w, const char *path, char *err, size_t errlen) {
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) { snprintf(err, errlen, "out of memory"); return -1; }
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) { snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno)); free(tmp); return -1; }
    size_t n = fwrite(w->buf ? w->buf : "", 1, w->len, f);
    int bad = n != w->len;
    bad |= fflush(f) != 0;
    bad |= fsync(fileno(f)) != 0;
    int e = errno;
    bad |= fclose(f) != 0;
    if (bad || rename(tmp, path) != 0) {
        if (!bad) e = errno;
        snprintf(err, errlen, "cannot write '%s': %s", path, strerror(e));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

void emit_free(Emitter *w) { free(w->buf); w->buf = NULL; w->len = w->cap = 0; }

/* Replace every whole-word occurrence of `word` by `with` (used to make the
 * floating type of printed code a macro). */
void emit_replace_word(Emitter *w, const char *word, const char *with) {
    if (!w->buf) return;
    size_t wl = strlen(word), rl = strlen(with), n = 0;
    for (const char *p = w->buf; (p = strstr(p, word)); p += wl) n++;
    if (!n) return;
    char *out = malloc(w->len + n * (rl > wl ? rl - wl : 0) + 1);
    if (!out) { fputs("netc: out of memory\n", stderr); exit(3); }
    size_t k = 0;
    const char *p = w->buf;
    for (;;) {
        const char *q = strstr(p, word);
        if (!q) { memcpy(out + k, p, strlen(p) + 1); k += strlen(p); break; }
        memcpy(out + k, p, (size_t)(q - p));
        k += (size_t)(q - p);
        bool word_start = q == w->buf || !(q[-1] == '_' || (q[-1] >= 'a' && q[-1] <= 'z') || (q[-1] >= 'A' && q[-1] <= 'Z') || (q[-1] >= '0' && q[-1] <= '9'));
        char nx = q[wl];
        bool word_end = !(nx == '_' || (nx >= 'a' && nx <= 'z') || (nx >= 'A' && nx <= 'Z') || (nx >= '0' && nx <= '9'));
        if (word_start && word_end) { memcpy(out + k, with, rl); k += rl; }
        else { memcpy(out + k, q, wl); k += wl; }
        p = q + wl;
    }
    free(w->buf);
    w->buf = out;
    w->len = k;
    w->cap = k + 1;
}
