/*
 * parse_ctx.h — what the scanner and the parser share: no globals, one context
 * per parse, carried as yyextra (scanner) and %param (parser).
 */
#ifndef PARSE_CTX_H
#define PARSE_CTX_H
#include "netc.h"

/* bison's location type, declared here so the context can hold one */
typedef struct YYLTYPE { int first_line, first_column, last_line, last_column; } YYLTYPE;
#define YYLTYPE_IS_DECLARED 1
#define YYLTYPE_IS_TRIVIAL 1

#define NETC_MAX_NESTING 64   /* '[' '(' '{' open at once */

typedef struct ParseCtx {
    Arena *arena;
    const Source *src;
    Diags *diags;
    NetAst *nets, **tail;
    int line, col;             /* position of the next character */
    int nesting;               /* [ ( { depth, bounded to stay clear of stack limits */
    YYLTYPE comment_loc;       /* where an open comment began */
    YYLTYPE tok, prev;         /* the lookahead token and the one before it */
    bool stopped;              /* the scanner ended the input early after an error */
    YYLTYPE skipped;           /* the last character the scanner rejected and skipped */
} ParseCtx;

void parse_advance(ParseCtx *c, const char *text, size_t n);
void parse_error_at(ParseCtx *c, const YYLTYPE *l, const char *msg, const char *hint);
void parse_bad_char(ParseCtx *c, const YYLTYPE *l, unsigned ch);
const char *parse_intern(ParseCtx *c, const char *text, size_t n);
const char *parse_string(ParseCtx *c, const char *text, size_t n);
Loc parse_loc(ParseCtx *c, const YYLTYPE *l);
#endif
