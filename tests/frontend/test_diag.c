/*
 * test_diag.c — unit tests of diag.c (did_you_mean, diagnostics as data, the
 * printed form) and arena.c (zeroed, aligned, large blocks, strings, vectors).
 */
#include "fe_helpers.h"

#include <stdio.h>

/* ---- did_you_mean ---- */

static const char *const kinds[] = {"conv", "tconv", "dense", "relu", "batchnorm", "concat", "maxpool", NULL};

static void dym_swapped_letters(void **state) {
    (void)state;
    assert_string_equal(did_you_mean("cnov", kinds), "conv");      /* adjacent swap: one edit */
    assert_string_equal(did_you_mean("tcnov", kinds), "tconv");
}

static void dym_one_edit(void **state) {
    (void)state;
    assert_string_equal(did_you_mean("rleu", kinds), "relu");
    assert_string_equal(did_you_mean("dens", kinds), "dense");
    assert_string_equal(did_you_mean("batchnrom", kinds), "batchnorm");
    assert_string_equal(did_you_mean("Conv", kinds), "conv");
}

static void dym_far_words_have_no_suggestion(void **state) {
    (void)state;
    assert_null(did_you_mean("frobnicate", kinds));
    assert_null(did_you_mean("xyz", kinds));
    assert_null(did_you_mean("", kinds));
}

static void dym_one_letter_is_not_a_typo(void **state) {
    (void)state;
    static const char *const names[] = {"x", "y", "ab", NULL};
    assert_null(did_you_mean("f", names));          /* every letter differs */
    assert_string_equal(did_you_mean("xx", names), "x");
    assert_string_equal(did_you_mean("ab", names), "ab");
}

static void dym_long_words_and_empty_lists(void **state) {
    (void)state;
    char longw[200];
    memset(longw, 'a', sizeof longw - 1);
    longw[sizeof longw - 1] = 0;
    const char *const cands[] = {longw, NULL};
    assert_null(did_you_mean(longw, cands));         /* over 64 characters: never close */
    static const char *const none[] = {NULL};
    assert_null(did_you_mean("conv", none));
    assert_null(did_you_mean("conv", NULL));
}

static void dym_prefers_the_closest(void **state) {
    (void)state;
    static const char *const attrs[] = {"filters", "units", "kernel", "stride", "padding", "output_padding", NULL};
    assert_string_equal(did_you_mean("filter", attrs), "filters");
    assert_string_equal(did_you_mean("outputpadding", attrs), "output_padding");
    assert_string_equal(did_you_mean("strides", attrs), "stride");
    assert_string_equal(did_you_mean("kernal", attrs), "kernel");
}

/* ---- diagnostics ---- */

/* not inlined: gcc 12 then mistakes the memstream's buffer for a dangling local */
__attribute__((noinline)) static char *print_diags(const Diags *d) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    diags_print(d, f);
    fclose(f);
    return buf;
}

static void diags_count_and_limit(void **state) {
    (void)state;
    Arena *a = arena_new();
    Diags d = {.arena = a, .max_errors = 3};
    Source src = {"f.net", "abc\n", 4};
    for (int i = 0; i < 5; i++) error_at(&d, ((Loc){&src, 1, 1, 1}), "e%d", i);
    warning_at(&d, ((Loc){&src, 1, 2, 1}), "w");
    assert_int_equal(d.errors, 5);
    assert_int_equal(d.warnings, 1);
    assert_int_equal(d.n, 3);                         /* recorded up to the limit */
    char *out = print_diags(&d);
    assert_non_null(strstr(out, "netc: 3 more diagnostics not shown\n"));
    free(out);
    arena_free(a);
}

static void diags_print_in_source_order(void **state) {
    (void)state;
    Arena *a = arena_new();
    Diags d = {.arena = a};
    Source src = {"f.net", "one\ntwo\nthree\n", 14};
    error_at(&d, ((Loc){&src, 3, 2, 1}), "third");
    error_at(&d, ((Loc){&src, 1, 1, 3}), "first");
    warning_at(&d, ((Loc){&src, 2, 1, 1}), "second");
    error_at(&d, ((Loc){&src, 1, 1, 1}), "first again");   /* same place: stable */
    char *out = print_diags(&d);
    const char *p1 = strstr(out, "first\n"), *p2 = strstr(out, "first again"), *p3 = strstr(out, "second"),
               *p4 = strstr(out, "third");
    assert_true(p1 && p2 && p3 && p4);
    assert_true(p1 < p2 && p2 < p3 && p3 < p4);
    free(out);
    arena_free(a);
}

static void diags_caret_and_hint(void **state) {
    (void)state;
    Arena *a = arena_new();
    Diags d = {.arena = a};
    const char *text = "network n {\n    d = tconv(e) { filter = 16 };\n}\n";
    Source src = {"x.net", text, strlen(text)};
    error_hint(&d, ((Loc){&src, 2, 20, 6}), "did you mean 'filters'?", "unknown attribute '%s'", "filter");
    char *out = print_diags(&d);
    assert_string_equal(out,
                        "x.net:2:20: error: unknown attribute 'filter'\n"
                        "    2 |     d = tconv(e) { filter = 16 };\n"
                        "      |                    ^~~~~~\n"
                        "      = hint: did you mean 'filters'?\n");
    free(out);
    arena_free(a);
}

static void diags_caret_counts_utf8_characters(void **state) {
    (void)state;
    Arena *a = arena_new();
    Diags d = {.arena = a};
    const char *text = "/* 28\xc3\x97" "28 */ x \xff y\n";   /* "×" is two bytes */
    Source src = {"u.net", text, strlen(text)};
    error_at(&d, ((Loc){&src, 1, 14, 1}), "here");           /* byte column of 'x' */
    char *out = print_diags(&d);
    assert_string_equal(out,
                        "u.net:1:14: error: here\n"
                        "    1 | /* 28\xc3\x97" "28 */ x ? y\n"
                        "      |             ^\n");
    free(out);
    arena_free(a);
}

static void diags_caret_run_counts_characters(void **state) {
    (void)state;
    Arena *a = arena_new();
    Diags d = {.arena = a};
    const char *text = "x = f() { s = \"caf\xc3\xa9\" };\n";   /* the string is 7 bytes, 6 characters */
    Source src = {"r.net", text, strlen(text)};
    error_at(&d, ((Loc){&src, 1, 15, 7}), "here");
    char *out = print_diags(&d);
    assert_string_equal(out,
                        "r.net:1:15: error: here\n"
                        "    1 | x = f() { s = \"caf\xc3\xa9\" };\n"
                        "      |               ^~~~~~\n");
    free(out);
    arena_free(a);
}

static void diags_long_line_is_cut(void **state) {
    (void)state;
    Arena *a = arena_new();
    Diags d = {.arena = a};
    char *text = calloc(1, 5002);
    memset(text, 'q', 5000);
    text[2500] = '!';
    text[5000] = '\n';
    Source src = {"l.net", text, 5001};
    error_at(&d, ((Loc){&src, 1, 2501, 1}), "bang");
    char *out = print_diags(&d);
    char *line = strchr(out, '\n') + 1;
    char *eol = strchr(line, '\n');
    assert_true(eol - line < 140);                  /* a window, not 5000 characters */
    assert_non_null(strstr(line, "...q"));
    char *caret_line = eol + 1;
    assert_int_equal(strchr(caret_line, '^') - caret_line, strchr(line, '!') - line);
    free(out);
    free(text);
    arena_free(a);
}

/* ---- arena ---- */

static void arena_zeroed_and_aligned(void **state) {
    (void)state;
    Arena *a = arena_new();
    for (size_t n = 1; n < 300; n += 7) {
        unsigned char *p = arena_alloc(a, n);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        for (size_t i = 0; i < n; i++) assert_int_equal(p[i], 0);
        memset(p, 0xab, n);
    }
    arena_free(a);
}

static void arena_large_blocks(void **state) {
    (void)state;
    Arena *a = arena_new();
    char *small = arena_alloc(a, 10);
    char *big = arena_alloc(a, 1 << 20);              /* past the 64 KiB block size */
    memset(big, 1, 1 << 20);
    char *after = arena_alloc(a, 10);
    strcpy(small, "still");
    strcpy(after, "here");
    assert_string_equal(small, "still");
    assert_string_equal(after, "here");
    arena_free(a);
}

static void arena_strings(void **state) {
    (void)state;
    Arena *a = arena_new();
    assert_string_equal(arena_strdup(a, "conv"), "conv");
    assert_string_equal(arena_strndup(a, "tconvolution", 5), "tconv");
    assert_string_equal(arena_printf(a, "%s=%d", "k", 3), "k=3");
    char big[3000];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = 0;
    assert_int_equal(strlen(arena_printf(a, "<%s>", big)), sizeof big + 1);
    arena_free(a);
    arena_free(NULL);
}

static void arena_vectors_grow(void **state) {
    (void)state;
    Arena *a = arena_new();
    PtrVec v = {0};
    static int items[1000];
    for (int i = 0; i < 1000; i++) vec_push(a, &v, &items[i]);
    assert_int_equal(v.n, 1000);
    for (int i = 0; i < 1000; i++) assert_ptr_equal(v.v[i], &items[i]);
    arena_free(a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dym_swapped_letters),
        cmocka_unit_test(dym_one_edit),
        cmocka_unit_test(dym_far_words_have_no_suggestion),
        cmocka_unit_test(dym_one_letter_is_not_a_typo),
        cmocka_unit_test(dym_long_words_and_empty_lists),
        cmocka_unit_test(dym_prefers_the_closest),
        cmocka_unit_test(diags_count_and_limit),
        cmocka_unit_test(diags_print_in_source_order),
        cmocka_unit_test(diags_caret_and_hint),
        cmocka_unit_test(diags_caret_counts_utf8_characters),
        cmocka_unit_test(diags_caret_run_counts_characters),
        cmocka_unit_test(diags_long_line_is_cut),
        cmocka_unit_test(arena_zeroed_and_aligned),
        cmocka_unit_test(arena_large_blocks),
        cmocka_unit_test(arena_strings),
        cmocka_unit_test(arena_vectors_grow),
    };
    return cmocka_run_group_tests_name("frontend diag and arena", tests, NULL, NULL);
}
