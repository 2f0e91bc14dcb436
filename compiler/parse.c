/*
 * parse.c — glue between the generated scanner/parser and the rest of the
 * compiler: position tracking, lexical helpers and parse_source().
 */
#include "parse_ctx.h"
#include "net.tab.h"
#include "net.yy.h"

#include <string.h>

Value *ast_value(Arena *a, ValueKind k, Loc loc) {
    Value *v = arena_alloc(a, sizeof *v);
    v->kind = k;
    v->loc = loc;
    return v;
}

void parse_advance(ParseCtx *c, const char *text, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '\n') { c->line++; c->col = 1; }
        else c->col++;
    }
}

Loc parse_loc(ParseCtx *c, const YYLTYPE *l) {
    Loc loc = {c->src, l->first_line, l->first_column, 1};
    if (l->last_line == l->first_line && l->last_column > l->first_column)
        loc.len = l->last_column - l->first_column;
    return loc;
}

/* Errors from the scanner and the parser.  The generated parser's messages start
 * "syntax error, "; print them as "syntax error: ...".  Past the diagnostics limit
 * only count, so a file of a million mistakes costs no more than one of two hundred. */
void parse_error_at(ParseCtx *c, const YYLTYPE *l, const char *msg, const char *hint) {
    Diags *d = c->diags;
    if (d->max_errors && d->n >= d->max_errors) { d->errors++; return; }
    if (strncmp(msg, "syntax error, ", 14) == 0)
        diag_add(d, SEV_ERROR, parse_loc(c, l), hint, "syntax error: %s", msg + 14);
    else
        diag_add(d, SEV_ERROR, parse_loc(c, l), hint, "%s", msg);
}

/* One error for a stray character, or for a run of bytes outside ASCII. */
void parse_bad_char(ParseCtx *c, const YYLTYPE *l, unsigned ch) {
    c->skipped = *l;
    if (ch >= 32 && ch < 127)
        parse_error_at(c, l, arena_printf(c->arena, "unexpected character '%c'", (int)ch), NULL);
    else if (ch >= 128)
        parse_error_at(c, l, arena_printf(c->arena, "unexpected byte 0x%02x outside a string or comment", ch),
                       "only ASCII is allowed outside strings and comments");
    else
        parse_error_at(c, l, arena_printf(c->arena, "unexpected control character 0x%02x", ch), NULL);
}

const char *parse_intern(ParseCtx *c, const char *text, size_t n) {
    return arena_strndup(c->arena, text, n);
}

/* Strip the quotes and resolve \" and \\ (LANGUAGE.md: the only escapes). */
const char *parse_string(ParseCtx *c, const char *text, size_t n) {
    char *out = arena_alloc(c->arena, n);
    size_t j = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        if (text[i] == '\\' && i + 2 < n) i++;
        out[j++] = text[i];
    }
    out[j] = 0;
    return out;
}

NetAst *parse_source(Arena *a, const Source *src, Diags *d) {
    ParseCtx ctx = {.arena = a, .src = src, .diags = d, .line = 1, .col = 1};
    ctx.tail = &ctx.nets;
    /* a NUL byte inside the text would end the scan early: report it instead */
    size_t nul = strlen(src->text);
    if (nul < src->len) {
        int line = 1, col = 1;
        for (size_t i = 0; i < nul; i++) { if (src->text[i] == '\n') { line++; col = 1; } else col++; }
        diag_add(d, SEV_ERROR, (Loc){src, line, col, 1}, "the file must be text", "NUL byte in source");
        return NULL;
    }
    yyscan_t scanner;
    if (yylex_init_extra(&ctx, &scanner)) {
        diag_add(d, SEV_ERROR, (Loc){0}, NULL, "cannot start the scanner");
        return NULL;
    }
    YY_BUFFER_STATE buf = yy_scan_bytes(src->text, (int)src->len, scanner);
    int rc = yyparse(scanner, &ctx);
    yy_delete_buffer(buf, scanner);
    yylex_destroy(scanner);
    if (rc != 0 && d->errors == 0)
        diag_add(d, SEV_ERROR, (Loc){src, ctx.line, ctx.col, 1}, NULL, "the parser gave up (input too deeply nested)");
    return ctx.nets;
}
