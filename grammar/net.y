/*
 * net.y — the grammar of the .net language (LANGUAGE.md, "Grammar").
 *
 * A pure parser with locations, detailed error messages and LAC, so "expected"
 * lists are exact.  Recovery happens at statement boundaries (`error ';'`), so one
 * run reports every syntax error.  The parser only builds the AST; meaning
 * (layer kinds, attributes, settings) belongs to the passes.
 */
%require "3.8"
%define api.pure full
%define parse.error detailed
%define parse.lac full
%locations
%expect 0
%param {void *scanner} {ParseCtx *ctx}

%code requires {
#include "parse_ctx.h"
}

%code {
#include <string.h>
int yylex(YYSTYPE *lval, YYLTYPE *lloc, void *scanner, ParseCtx *ctx);
static void yyerror(YYLTYPE *loc, void *scanner, ParseCtx *ctx, const char *msg);
static Value *mkval(ParseCtx *c, ValueKind k, YYLTYPE *l) { return ast_value(c->arena, k, parse_loc(c, l)); }
static Value *append(ParseCtx *c, Value *list, Value *item);
static Attr *mkattr(ParseCtx *c, const char *name, YYLTYPE *l, Value *v);
static Stmt *mkstmt(ParseCtx *c, StmtKind k, YYLTYPE *l);
static void nest(ParseCtx *c, YYLTYPE *l);
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
    | error ';'                    { $$ = NULL; yyerrok; }
    ;

output_names
    : IDENT
        { $$ = mkstmt(ctx, ST_OUTPUT, &@1);
          $$->names = arena_alloc(ctx->arena, sizeof(char *) * 8);
          $$->name_locs = arena_alloc(ctx->arena, sizeof(Loc) * 8);
          $$->names[0] = $1; $$->name_locs[0] = parse_loc(ctx, &@1); $$->nnames = 1; }
    | output_names ',' IDENT
        { $$ = $1;
          if ($$->nnames % 8 == 0) {
              const char **n = arena_alloc(ctx->arena, sizeof(char *) * (size_t)($$->nnames + 8));
              Loc *l = arena_alloc(ctx->arena, sizeof(Loc) * (size_t)($$->nnames + 8));
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
    | train_items error ';'         { $$ = $1; yyerrok; }
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
    | '[' { nest(ctx, &@1); } values ']'
                                    { $$ = $3; $$->loc = parse_loc(ctx, &@$); ctx->nesting--; }
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

static Value *append(ParseCtx *c, Value *list, Value *item) {
    if (list->n % 8 == 0) {
        Value **v = arena_alloc(c->arena, sizeof(Value *) * (size_t)(list->n + 8));
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

/* Deeply nested lists are legal but pointless; bound them so a hostile file of
 * a million '[' cannot exhaust the parser's stack (bison's own limit is 10000). */
static void nest(ParseCtx *c, YYLTYPE *l) {
    if (++c->nesting == 64)
        parse_error_at(c, l, "lists nested more than 64 deep", "flatten the list");
}
