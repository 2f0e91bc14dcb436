/*
 * diag.c — diagnostics as data.  Passes append (severity, location, message, hint);
 * the driver prints them in gcc's format:
 *
 *     file.net:5:22: error: unknown attribute 'filter' for 'tconv'
 *         5 |     d1 = tconv(e2) { filter = 16 };
 *           |                      ^~~~~~
 *           = hint: did you mean 'filters'?
 *
 * and decides the exit code from the error count.
 */
#include "netc.h"

#include <stdlib.h>
#include <string.h>

/* A message quotes names and values from the file, which may be megabytes long:
 * keep the first few hundred bytes (whole UTF-8 characters) and mark the cut. */
static const char *clip(Arena *a, const char *s) {
    enum { MAX = 300 };
    size_t n = strlen(s);
    if (n <= MAX + 3) return s;
    n = MAX;
    while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
    char *t = arena_alloc(a, n + 4);
    memcpy(t, s, n);
    memcpy(t + n, "...", 4);
    return t;
}

void diag_add(Diags *d, Severity sev, Loc loc, const char *hint, const char *fmt, ...) {
    if (sev == SEV_ERROR) d->errors++;
    if (sev == SEV_WARNING) d->warnings++;
    if (d->max_errors && d->n >= d->max_errors) return;
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 16;
        Diag *v = arena_alloc(d->arena, sizeof(Diag) * (size_t)cap);
        if (d->n) memcpy(v, d->v, sizeof(Diag) * (size_t)d->n);
        d->v = v;
        d->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    Diag *g = &d->v[d->n++];
    g->sev = sev;
    g->loc = loc;
    g->msg = clip(d->arena, arena_vprintf(d->arena, fmt, ap));
    g->hint = hint ? clip(d->arena, arena_strdup(d->arena, hint)) : NULL;
    va_end(ap);
}

/* Length of the UTF-8 sequence starting at p (< end), or 0 if it is not one. */
static int utf8_len(const unsigned char *p, const unsigned char *end) {
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || end - p < n) return 0;
    for (int i = 1; i < n; i++) if ((p[i] & 0xc0) != 0x80) return 0;
    return n;
}

/* Print the source line of `loc` and a caret run under the located token.
 * Columns count bytes (as in the file:line:col heading); the excerpt counts
 * characters, so a UTF-8 comment does not shift the caret, and shows control
 * characters and bytes that are not UTF-8 as '?'.  A long line is cut to a
 * window around the caret, marked with "...". */
static void print_excerpt(const Loc *loc, FILE *out) {
    enum { WINDOW = 100 };
    const Source *src = loc->src;
    if (!src || loc->line < 1) return;
    const unsigned char *p = (const unsigned char *)src->text, *end = p + src->len;
    for (int line = 1; line < loc->line && p < end; p++)
        if (*p == '\n') line++;
    const unsigned char *e = p;
    while (e < end && *e != '\n') e++;
    if (e > p && e[-1] == '\r') e--;                 /* CRLF line ends */
    int col = loc->col < 1 ? 1 : loc->col;
    const unsigned char *at = p + col - 1 < e ? p + col - 1 : e;
    const unsigned char *from = p, *to = e;
    if (e - p > WINDOW + 10) {
        if (at - from > WINDOW / 2 + 10) from = at - WINDOW / 2;
        if (to - from > WINDOW + 10) to = from + WINDOW;
    }
    while (from > p && from < e && (*from & 0xc0) == 0x80) from--;   /* whole characters */
    while (to < e && (*to & 0xc0) == 0x80) to++;
    int width = fprintf(out, "%5d", loc->line);
    fprintf(out, " | ");
    int caret = 0, shown = 0, run_end = -1;
    const unsigned char *stop = loc->len > 1 && at + loc->len < to ? at + loc->len : NULL;
    if (from > p) { fputs("...", out); shown = 3; }
    for (const unsigned char *q = from; q < to;) {
        if (q == at) caret = shown;
        if (stop && q >= stop && run_end < 0) run_end = shown;   /* the run ends before this character */
        int n = utf8_len(q, to);
        if (n > 1) fwrite(q, 1, (size_t)n, out);
        else fputc(n == 0 || *q < 32 || *q == 127 ? (*q == '\t' ? ' ' : '?') : *q, out);
        if (n == 0) n = 1;
        /* a caret inside a multi-byte character lands on the character */
        if (at > q && at < q + n) caret = shown;
        q += n;
        shown++;
    }
    if (at >= to) caret = shown;
    if (to < e) fputs("...", out);
    fputc('\n', out);
    fprintf(out, "%*s | ", width, "");
    for (int i = 0; i < caret; i++) fputc(' ', out);
    fputc('^', out);
    int len = loc->len;                            /* bytes; shown as characters */
    if (run_end > caret) len = run_end - caret;
    int room = shown - caret - 1;                  /* keep the run on the shown line */
    if (len - 1 > room) len = room + 1;
    if (len < 1) len = 1;
    for (int i = 1; i < len; i++) fputc('~', out);
    fputc('\n', out);
}

/* Diagnostics print in source order (stable for equal positions), whichever
 * pass found them. */
void diags_print(const Diags *d, FILE *out) {
    static const char *const sev_name[] = {"error", "warning", "note"};
    int *order = arena_alloc(d->arena, sizeof(int) * (size_t)(d->n + 1));
    for (int i = 0; i < d->n; i++) {
        int j = i;
        const Loc *l = &d->v[i].loc;
        while (j > 0) {
            const Loc *p = &d->v[order[j - 1]].loc;
            if (p->line < l->line || (p->line == l->line && p->col <= l->col)) break;
            order[j] = order[j - 1];
            j--;
        }
        order[j] = i;
    }
    for (int i = 0; i < d->n; i++) {
        const Diag *g = &d->v[order[i]];
        if (g->loc.src)
            fprintf(out, "%s:%d:%d: %s: %s\n", g->loc.src->path, g->loc.line, g->loc.col,
                    sev_name[g->sev], g->msg);
        else
            fprintf(out, "netc: %s: %s\n", sev_name[g->sev], g->msg);
        print_excerpt(&g->loc, out);
        if (g->hint) fprintf(out, "      = hint: %s\n", g->hint);
    }
    /* only when the limit dropped some: a driver may count an error it printed itself */
    if (d->max_errors && d->n >= d->max_errors && d->errors + d->warnings > d->n)
        fprintf(out, "netc: %d more diagnostics not shown\n", d->errors + d->warnings - d->n);
}

/* Edit distance counting a swap of neighbours as one edit (optimal string
 * alignment), so "cnov" is one step from "conv"; words over 64 characters are
 * never close. */
static int edit_distance(const char *a, const char *b) {
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 1 << 20;
    int d[65][65];
    for (size_t i = 0; i <= la; i++) d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best) best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best) best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

const char *did_you_mean(const char *word, const char *const *cands) {
    const char *best = NULL;
    int best_d = 1 << 20;
    size_t lw = strlen(word);
    for (const char *const *c = cands; c && *c; c++) {
        size_t lc = strlen(*c);   /* the distance is at least the difference in length */
        if ((lc > lw ? lc - lw : lw - lc) > lw / 3 + 2) continue;
        int dist = edit_distance(word, *c);
        if (dist < best_d) { best_d = dist; best = *c; }
    }
    /* close enough: at most a third of the word, and at least one edit allowed;
     * but never every letter of the word ('f' is not a misspelt 'x') */
    int limit = (int)(lw / 3) > 1 ? (int)(lw / 3) : 1;
    if (lw >= 5) limit = limit < 2 ? 2 : limit;
    if (!best || best_d >= (int)lw) return NULL;
    return best_d <= limit ? best : NULL;
}
