/*
 * net.y — the grammar of the .net language (LANGUAGE.md, "Grammar").
 *
 * A pure parser with locations, its own syntax-error messages (every expected token,
 * not bison's first four) and LAC, so "expected" lists are exact.  Recovery happens at statement boundaries (`error ';'`), so one
 * run reports every syntax error.  The parser only builds the AST; meaning
 * (layer kinds, attributes, settings) belongs to the passes.
 */
%require "3.8"
%define api.pure full
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%param {void *scanner} {ParseCtx *ctx}

%code requires {
#include "parse_ctx.h"
}

%code {
#include <string.h>
int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner);   /* flex's, bison-bridged */
static int next_token(YYSTYPE *lval, YYLTYPE *lloc, void *scanner, ParseCtx *ctx);
#define yylex(lval, lloc, scanner, ctx) next_token(lval, lloc, scanner, ctx)
static void yyerror(YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg);
static Value *mkval(ParseCtx *c, ValueKind k, YYLTYPE *l) { return ast_value(c->arena, k, parse_loc(c, l)); }
static Value *append(ParseCtx *c, Value *list, Value *item);
static Attr *mkattr(ParseCtx *c, const char *name, YYLTYPE *l, Value *v);
static Stmt *mkstmt(ParseCtx *c, StmtKind k, YYLTYPE *l);
static bool full(int n);
}

%union {
    long long ival;
    double rval;
    const char *sval;
    Value *val;
    Attr *attr;
    Stmt *stmt;
    struct { Attr *head, *tail; } attrs;
    struct { Stmt *head, *tail; } stmts;
}

%token NETWORK "'network'" INPUT "'input'" OUTPUT "'output'" TRAIN "'train'"
%token TRUE "'true'" FALSE "'false'"
%token <ival> INT "integer"
%token <rval> REAL "number"
%token <sval> STRING "string" IDENT "identifier"

%type <val> value values list shape ints
%type <attrs> attrs attr_list opt_block train_items
%type <attr> attr
%type <stmt> stmt output_names
%type <stmts> stmts

%%

file
    : network
    | file network
    ;

network
    : NETWORK IDENT '{' stmts '}'
        {
            NetAst *n = arena_alloc(ctx->arena, sizeof *n);
            n->name = $2; n->loc = parse_loc(ctx, &@2); n->stmts = $4.head;
            *ctx->tail = n; ctx->tail = &n->next;
        }
    ;

stmts
    : %empty            { $$.head = $$.tail = NULL; }
    | stmts stmt        {
                            $$ = $1;
                            if ($2) { if ($$.tail) $$.tail->next = $2; else $$.head = $2; $$.tail = $2; }
                        }
    ;

stmt
    : INPUT IDENT ':' shape opt_block ';'
        { $$ = mkstmt(ctx, ST_INPUT, &@1); $$->name = $2; $$->name_loc = parse_loc(ctx, &@2);
          $$->value = $4; $$->attrs = $5.head; }
    | OUTPUT output_names ';'      { $$ = $2; }
    | TRAIN '{' train_items '}'
        { $$ = mkstmt(ctx, ST_TRAIN, &@1); $$->attrs = $3.head; }
    | IDENT '=' value ';'
        { $$ = mkstmt(ctx, ST_ASSIGN, &@1); $$->name = $1; $$->name_loc = parse_loc(ctx, &@1);
          $$->value = $3; }
    | error ';'                    { $$ = NULL; yyerrok; ctx->nesting = 1; }   /* inside 'network {' again */
    ;

output_names
    : IDENT
        { $$ = mkstmt(ctx, ST_OUTPUT, &@1);
          $$->names = arena_alloc(ctx->arena, sizeof(char *) * 8);
          $$->name_locs = arena_alloc(ctx->arena, sizeof(Loc) * 8);
          $$->names[0] = $1; $$->name_locs[0] = parse_loc(ctx, &@1); $$->nnames = 1; }
    | output_names ',' IDENT
        { $$ = $1;
          if (full($$->nnames)) {
              const char **n = arena_alloc(ctx->arena, sizeof(char *) * (size_t)($$->nnames * 2));
              Loc *l = arena_alloc(ctx->arena, sizeof(Loc) * (size_t)($$->nnames * 2));
              memcpy(n, $$->names, sizeof(char *) * (size_t)$$->nnames);
              memcpy(l, $$->name_locs, sizeof(Loc) * (size_t)$$->nnames);
              $$->names = n; $$->name_locs = l;
          }
          $$->names[$$->nnames] = $3; $$->name_locs[$$->nnames++] = parse_loc(ctx, &@3); }
    ;

train_items
    : %empty                        { $$.head = $$.tail = NULL; }
    | train_items IDENT '=' value ';'
        { $$ = $1; Attr *a = mkattr(ctx, $2, &@2, $4);
          if ($$.tail) $$.tail->next = a; else $$.head = a; $$.tail = a; }
    | train_items error ';'         { $$ = $1; yyerrok; ctx->nesting = 2; }   /* inside 'train {' */
    ;

shape
    : '[' ints ']'                  { $$ = $2; $$->loc = parse_loc(ctx, &@$); }
    ;

ints
    : INT                           { Value *v = mkval(ctx, V_INT, &@1); v->i = $1; v->r = (double)$1;
                                      $$ = append(ctx, mkval(ctx, V_LIST, &@1), v); }
    | ints ',' INT                  { Value *v = mkval(ctx, V_INT, &@3); v->i = $3; v->r = (double)$3;
                                      $$ = append(ctx, $1, v); }
    ;

opt_block
    : %empty                        { $$.head = $$.tail = NULL; }
    | '{' attrs '}'                 { $$ = $2; if (!$$.head) $$.tail = NULL; }
    ;

attrs
    : %empty                        { $$.head = $$.tail = NULL; }
    | attr_list
    | attr_list ','
    ;

attr_list
    : attr                          { $$.head = $$.tail = $1; }
    | attr_list ',' attr            { $$ = $1; $$.tail->next = $3; $$.tail = $3; }
    ;

attr
    : IDENT '=' value               { $$ = mkattr(ctx, $1, &@1, $3); }
    ;

value
    : INT                           { $$ = mkval(ctx, V_INT, &@1); $$->i = $1; $$->r = (double)$1; }
    | REAL                          { $$ = mkval(ctx, V_REAL, &@1); $$->r = $1; }
    | STRING                        { $$ = mkval(ctx, V_STRING, &@1); $$->s = $1; }
    | TRUE                          { $$ = mkval(ctx, V_BOOL, &@1); $$->i = 1; }
    | FALSE                         { $$ = mkval(ctx, V_BOOL, &@1); $$->i = 0; }
    | IDENT                         { $$ = mkval(ctx, V_IDENT, &@1); $$->s = $1; }
    | list
    | IDENT '(' ')' opt_block
        { $$ = mkval(ctx, V_CALL, &@1); $$->s = $1; $$->name_loc = parse_loc(ctx, &@1);
          $$->attrs = $4.head; $$->has_attrs = @4.first_line != 0 && $4.head != NULL; }
    | IDENT '(' values ')' opt_block
        { $$ = $3; $$->kind = V_CALL; $$->s = $1; $$->loc = $$->name_loc = parse_loc(ctx, &@1);
          $$->attrs = $5.head; $$->has_attrs = $5.head != NULL; }
    | IDENT '{' attrs '}'
        { $$ = mkval(ctx, V_OBJECT, &@1); $$->s = $1; $$->name_loc = parse_loc(ctx, &@1);
          $$->attrs = $3.head; $$->has_attrs = true; }
    ;

list
    : '[' ']'                       { $$ = mkval(ctx, V_LIST, &@$); }
    | '[' values ']'                { $$ = $2; $$->loc = parse_loc(ctx, &@$); }
    ;

values
    : value                         { $$ = append(ctx, mkval(ctx, V_LIST, &@1), $1); }
    | values ',' value              { $$ = append(ctx, $1, $3); }
    ;

%%

static void yyerror(YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg) {
    (void)scanner;
    parse_error_at(ctx, loc, msg, NULL);
}

/* Arrays start with room for 8 and double when `n` reaches a power of two past
 * that, so a list of a million items costs linear time and memory. */
static bool full(int n) { return n == 0 || (n >= 8 && (n & (n - 1)) == 0); }

static Value *append(ParseCtx *c, Value *list, Value *item) {
    if (full(list->n)) {
        Value **v = arena_alloc(c->arena, sizeof(Value *) * (size_t)(list->n ? list->n * 2 : 8));
        if (list->n) memcpy(v, list->items, sizeof(Value *) * (size_t)list->n);
        list->items = v;
    }
    list->items[list->n++] = item;
    return list;
}

static Attr *mkattr(ParseCtx *c, const char *name, YYLTYPE *l, Value *v) {
    Attr *a = arena_alloc(c->arena, sizeof *a);
    a->name = name; a->loc = parse_loc(c, l); a->value = v;
    return a;
}

static Stmt *mkstmt(ParseCtx *c, StmtKind k, YYLTYPE *l) {
    Stmt *s = arena_alloc(c->arena, sizeof *s);
    s->kind = k; s->loc = parse_loc(c, l);
    return s;
}

/* Keep the lookahead's location and the previous token's, so a missing ';' can be
 * reported where it belongs: after the last token of the line, not at the next. */
static int next_token(YYSTYPE *lval, YYLTYPE *lloc, void *scanner, ParseCtx *ctx) {
    ctx->prev = ctx->tok;
    int t = (yylex)(lval, lloc, scanner);
    ctx->tok = *lloc;
    return t;
}

/* "unexpected X, expecting A, B or C", with every token LAC found acceptable
 * (bison's own message drops the list past four).  When the statement before
 * the lookahead is what is unfinished (the lookahead starts a later line, or
 * is the end of the file), the error points just after the previous token. */
static const char *token_desc(ParseCtx *ctx, yysymbol_kind_t k, const YYLTYPE *l) {
    const char *name = yysymbol_name(k);
    if (k != YYSYMBOL_IDENT && k != YYSYMBOL_INT && k != YYSYMBOL_REAL && k != YYSYMBOL_STRING) return name;
    if (l->first_line != l->last_line || l->last_column <= l->first_column) return name;
    const char *p = ctx->src->text, *end = ctx->src->text + ctx->src->len;
    for (int line = 1; line < l->first_line && p < end; p++) if (*p == '\n') line++;
    size_t len = (size_t)(l->last_column - l->first_column);
    if (p + l->first_column - 1 + len > end) return name;
    if (len > 40) return arena_printf(ctx->arena, "%s '%.37s...'", name, p + l->first_column - 1);
    return arena_printf(ctx->arena, "%s '%.*s'", name, (int)len, p + l->first_column - 1);
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, void *scanner, ParseCtx *ctx) {
    (void)scanner;
    Diags *d = ctx->diags;
    if (d->max_errors && d->n >= d->max_errors) { d->errors++; return 0; }   /* not shown: count only */
    yysymbol_kind_t la = yypcontext_token(yyctx);
    if (la == YYSYMBOL_YYEOF && ctx->stopped) return 0;   /* the scanner said why */
    /* a character the scanner rejected between the previous token and this one
     * is the cause; the parser's complaint would only echo it */
    const YYLTYPE *sk = &ctx->skipped, *la_loc = yypcontext_location(yyctx);
    if (sk->first_line &&
        (sk->first_line > ctx->prev.last_line ||
         (sk->first_line == ctx->prev.last_line && sk->first_column >= ctx->prev.last_column)) &&
        (sk->first_line < la_loc->first_line ||
         (sk->first_line == la_loc->first_line && sk->first_column < la_loc->first_column)))
        return 0;
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(yyctx, exp, YYNTOKENS);
    char list[512] = "";
    for (int i = 0; i < n; i++) {
        const char *sep = i == 0 ? "" : i == n - 1 ? " or " : ", ";
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", sep, yysymbol_name(exp[i]));
    }
    const YYLTYPE *at = yypcontext_location(yyctx);
    const YYLTYPE *prev = &ctx->prev;
    bool after_prev = prev->first_line > 0 && n > 0 &&
                      (la == YYSYMBOL_YYEOF || at->first_line > prev->last_line);
    if (after_prev) {
        YYLTYPE here = {prev->last_line, prev->last_column, prev->last_line, prev->last_column + 1};
        const char *what = la == YYSYMBOL_YYEOF ? "end of file"
                           : arena_printf(ctx->arena, "%s on line %d", token_desc(ctx, la, at), at->first_line);
        parse_error_at(ctx, &here, arena_printf(ctx->arena, "syntax error, expected %s before %s", list, what), NULL);
        return 0;
    }
    const char *msg = n ? arena_printf(ctx->arena, "syntax error, unexpected %s, expecting %s", token_desc(ctx, la, at), list)
                        : arena_printf(ctx->arena, "syntax error, unexpected %s", token_desc(ctx, la, at));
    const char *hint = NULL;
    if (n == 1 && exp[0] == YYSYMBOL_NETWORK)
        hint = "a file holds one or more 'network NAME { ... }'";
    else if (strcmp(yysymbol_name(la), "'='") == 0 || strcmp(yysymbol_name(la), "':'") == 0) {
        static const char *const keywords[] = {"network", "input", "output", "train", "true", "false", NULL};
        const char *word = token_desc(ctx, YYSYMBOL_IDENT, prev);   /* identifier 'WORD' */
        for (int i = 0; keywords[i]; i++)
            if (strlen(word) == strlen(keywords[i]) + 13 && strncmp(word + 12, keywords[i], strlen(keywords[i])) == 0)
                hint = arena_printf(ctx->arena, "'%s' is a keyword and cannot name a layer or input", keywords[i]);
    }
    parse_error_at(ctx, at, msg, hint);
    return 0;
}
