/*
 * test_parse.c — the parser on strings: the AST it builds (networks, statements,
 * values with their kinds and locations), lexical details (comments, numbers,
 * string escapes), and recovery (every syntax error reported, in order).
 */
#include "fe_helpers.h"

typedef struct Parsed { Arena *a; Source src; Diags d; NetAst *nets; } Parsed;

static Parsed *parse(const char *text) {
    Parsed *p = calloc(1, sizeof *p);
    p->a = arena_new();
    p->src = (Source){"p.net", text, strlen(text)};
    p->d = (Diags){.arena = p->a, .max_errors = 200};
    p->nets = parse_source(p->a, &p->src, &p->d);
    return p;
}

static void done(Parsed *p) { arena_free(p->a); free(p); }

static Stmt *nth_stmt(NetAst *n, int k) {
    Stmt *s = n->stmts;
    while (s && k--) s = s->next;
    assert_non_null(s);
    return s;
}

static Attr *nth_attr(Attr *a, int k) {
    while (a && k--) a = a->next;
    assert_non_null(a);
    return a;
}

static void parses_statements_of_every_kind(void **state) {
    (void)state;
    Parsed *p = parse("network ae {\n"
                      "  batch = 32;\n"
                      "  input image : [1, 28, 28];\n"
                      "  e1 = conv(image) { filters = 16, kernel = 3, };\n"
                      "  output e1, image;\n"
                      "  train { loss = mse(e1, image); epochs = 5; }\n"
                      "}\n");
    assert_int_equal(p->d.errors, 0);
    assert_non_null(p->nets);
    assert_string_equal(p->nets->name, "ae");
    assert_null(p->nets->next);
    Stmt *s = nth_stmt(p->nets, 0);
    assert_int_equal(s->kind, ST_ASSIGN);
    assert_string_equal(s->name, "batch");
    assert_int_equal(s->value->kind, V_INT);
    assert_int_equal(s->value->i, 32);
    s = nth_stmt(p->nets, 1);
    assert_int_equal(s->kind, ST_INPUT);
    assert_string_equal(s->name, "image");
    assert_int_equal(s->value->kind, V_LIST);
    assert_int_equal(s->value->n, 3);
    assert_int_equal(s->value->items[2]->i, 28);
    assert_int_equal(s->name_loc.line, 3);
    assert_int_equal(s->name_loc.col, 9);
    assert_int_equal(s->name_loc.len, 5);
    s = nth_stmt(p->nets, 2);
    assert_int_equal(s->kind, ST_ASSIGN);
    assert_int_equal(s->value->kind, V_CALL);
    assert_string_equal(s->value->s, "conv");
    assert_int_equal(s->value->n, 1);
    assert_int_equal(s->value->items[0]->kind, V_IDENT);
    assert_string_equal(s->value->items[0]->s, "image");
    assert_true(s->value->has_attrs);
    assert_string_equal(nth_attr(s->value->attrs, 0)->name, "filters");
    assert_string_equal(nth_attr(s->value->attrs, 1)->name, "kernel");
    assert_null(nth_attr(s->value->attrs, 1)->next);          /* trailing comma allowed */
    assert_int_equal(s->value->name_loc.col, 8);
    s = nth_stmt(p->nets, 3);
    assert_int_equal(s->kind, ST_OUTPUT);
    assert_int_equal(s->nnames, 2);
    assert_string_equal(s->names[1], "image");
    assert_int_equal(s->name_locs[1].col, 14);
    s = nth_stmt(p->nets, 4);
    assert_int_equal(s->kind, ST_TRAIN);
    assert_string_equal(nth_attr(s->attrs, 0)->name, "loss");
    assert_int_equal(nth_attr(s->attrs, 0)->value->kind, V_CALL);
    assert_int_equal(nth_attr(s->attrs, 0)->value->n, 2);
    assert_int_equal(nth_attr(s->attrs, 1)->value->i, 5);
    assert_null(s->next);
    done(p);
}

static void parses_values_of_every_kind(void **state) {
    (void)state;
    Parsed *p = parse("network v { x = f(a) { i = -3, r = 2.5E+2, s = \"q\\\"\\\\z\", t = true, u = false,\n"
                      "  w = word, l = [], n = [[0, 1], [2]], o = adam { lr = 1e-3 }, c = g(), e = .5 }; }");
    assert_int_equal(p->d.errors, 0);
    Attr *a = nth_stmt(p->nets, 0)->value->attrs;
    assert_int_equal(nth_attr(a, 0)->value->kind, V_INT);
    assert_int_equal(nth_attr(a, 0)->value->i, -3);
    assert_int_equal(nth_attr(a, 1)->value->kind, V_REAL);
    assert_float_equal(nth_attr(a, 1)->value->r, 250.0, 1e-12);
    assert_int_equal(nth_attr(a, 2)->value->kind, V_STRING);
    assert_string_equal(nth_attr(a, 2)->value->s, "q\"\\z");
    assert_int_equal(nth_attr(a, 3)->value->kind, V_BOOL);
    assert_int_equal(nth_attr(a, 3)->value->i, 1);
    assert_int_equal(nth_attr(a, 4)->value->i, 0);
    assert_int_equal(nth_attr(a, 5)->value->kind, V_IDENT);
    assert_string_equal(nth_attr(a, 5)->value->s, "word");
    Value *l = nth_attr(a, 6)->value;
    assert_int_equal(l->kind, V_LIST);
    assert_int_equal(l->n, 0);
    Value *n = nth_attr(a, 7)->value;
    assert_int_equal(n->n, 2);
    assert_int_equal(n->items[0]->kind, V_LIST);
    assert_int_equal(n->items[0]->items[1]->i, 1);
    assert_int_equal(n->items[1]->n, 1);
    Value *o = nth_attr(a, 8)->value;
    assert_int_equal(o->kind, V_OBJECT);
    assert_string_equal(o->s, "adam");
    assert_float_equal(o->attrs->value->r, 1e-3, 1e-15);
    Value *c = nth_attr(a, 9)->value;
    assert_int_equal(c->kind, V_CALL);
    assert_int_equal(c->n, 0);
    assert_false(c->has_attrs);
    assert_float_equal(nth_attr(a, 10)->value->r, 0.5, 1e-15);
    done(p);
}

static void comments_of_three_kinds(void **state) {
    (void)state;
    Parsed *p = parse("# hash\n// slashes\n/* block\n over lines */ network /* in */ c { } # end");
    assert_int_equal(p->d.errors, 0);
    assert_string_equal(p->nets->name, "c");
    assert_int_equal(p->nets->loc.line, 4);
    assert_int_equal(p->nets->loc.col, 33);
    done(p);
}

static void several_networks_in_order(void **state) {
    (void)state;
    Parsed *p = parse("network a { } network b { } network c { }");
    assert_int_equal(p->d.errors, 0);
    assert_string_equal(p->nets->name, "a");
    assert_string_equal(p->nets->next->name, "b");
    assert_string_equal(p->nets->next->next->name, "c");
    assert_null(p->nets->next->next->next);
    done(p);
}

static void recovery_reports_every_statement(void **state) {
    (void)state;
    Parsed *p = parse("network r {\n"
                      "  a = = 1;\n"
                      "  b = relu(x);\n"
                      "  c = [1, 2;\n"
                      "  d = relu(b);\n"
                      "  e = ];\n"
                      "}\n");
    assert_int_equal(p->d.errors, 3);
    assert_int_equal(p->d.v[0].loc.line, 2);
    assert_int_equal(p->d.v[1].loc.line, 4);
    assert_int_equal(p->d.v[2].loc.line, 6);
    /* the good statements survive */
    assert_string_equal(nth_stmt(p->nets, 0)->name, "b");
    assert_string_equal(nth_stmt(p->nets, 1)->name, "d");
    done(p);
}

static void expected_tokens_are_all_listed(void **state) {
    (void)state;
    Parsed *p = parse("network r {\n  y = relu(x);\n");
    assert_int_equal(p->d.errors, 1);
    assert_string_equal(p->d.v[0].msg,
                        "syntax error: expected 'input', 'output', 'train', identifier or '}' before end of file");
    assert_int_equal(p->d.v[0].loc.line, 2);
    assert_int_equal(p->d.v[0].loc.col, 15);                 /* just after the ';' */
    done(p);
}

static void missing_semicolon_points_after_the_line(void **state) {
    (void)state;
    Parsed *p = parse("network r {\n  y = relu(x)\n  z = relu(y);\n}\n");
    assert_int_equal(p->d.errors, 1);
    assert_string_equal(p->d.v[0].msg, "syntax error: expected '{' or ';' before identifier 'z' on line 3");
    assert_int_equal(p->d.v[0].loc.line, 2);
    assert_int_equal(p->d.v[0].loc.col, 14);
    done(p);
}

static void nesting_is_bounded(void **state) {
    (void)state;
    char *text = malloc(100000);
    strcpy(text, "network d { x = f(y) { a = ");
    size_t k = strlen(text);
    for (int i = 0; i < 30000; i++) text[k++] = '[';
    text[k] = 0;
    Parsed *p = parse(text);
    assert_int_equal(p->d.errors, 1);
    assert_string_equal(p->d.v[0].msg, "brackets nested too deeply");
    done(p);
    /* 64 levels are fine */
    strcpy(text, "network d { x = f(y) { a = ");
    k = strlen(text);
    for (int i = 0; i < 61; i++) text[k++] = '[';
    for (int i = 0; i < 61; i++) text[k++] = ']';
    strcpy(text + k, " }; }");
    p = parse(text);
    assert_int_equal(p->d.errors, 0);
    done(p);
    free(text);
}

static void lexical_errors(void **state) {
    (void)state;
    Parsed *p = parse("network n { a = 99999999999999999999; b = 1e999; c = \"open\n; d = @; }");
    assert_int_equal(p->d.errors, 4);
    assert_string_equal(p->d.v[0].msg, "integer literal out of range");
    assert_string_equal(p->d.v[1].msg, "real literal out of range");
    assert_string_equal(p->d.v[2].msg, "unterminated string");
    assert_string_equal(p->d.v[3].msg, "unexpected character '@'");
    done(p);
    p = parse("network n { a = 1; }\n/* open");
    assert_int_equal(p->d.errors, 1);
    assert_string_equal(p->d.v[0].msg, "unterminated comment");
    assert_int_equal(p->d.v[0].loc.line, 2);
    done(p);
}

static void nul_byte_is_reported_not_scanned_past(void **state) {
    (void)state;
    Arena *a = arena_new();
    Diags d = {.arena = a};
    static const char text[] = "network n {\n  a\0b\n}";
    Source src = {"n.net", text, sizeof text - 1};
    assert_null(parse_source(a, &src, &d));
    assert_int_equal(d.errors, 1);
    assert_int_equal(d.v[0].loc.line, 2);
    assert_int_equal(d.v[0].loc.col, 4);
    arena_free(a);
}

static void empty_input_expects_network(void **state) {
    (void)state;
    Parsed *p = parse("");
    assert_null(p->nets);
    assert_int_equal(p->d.errors, 1);
    assert_string_equal(p->d.v[0].msg, "syntax error: unexpected end of file, expecting 'network'");
    done(p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(parses_statements_of_every_kind),
        cmocka_unit_test(parses_values_of_every_kind),
        cmocka_unit_test(comments_of_three_kinds),
        cmocka_unit_test(several_networks_in_order),
        cmocka_unit_test(recovery_reports_every_statement),
        cmocka_unit_test(expected_tokens_are_all_listed),
        cmocka_unit_test(missing_semicolon_points_after_the_line),
        cmocka_unit_test(nesting_is_bounded),
        cmocka_unit_test(lexical_errors),
        cmocka_unit_test(nul_byte_is_reported_not_scanned_past),
        cmocka_unit_test(empty_input_expects_network),
    };
    return cmocka_run_group_tests_name("frontend parser", tests, NULL, NULL);
}
