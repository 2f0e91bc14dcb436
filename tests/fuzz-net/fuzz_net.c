/*
 * fuzz_net.c — libFuzzer target for the whole front end: the input bytes are a
 * .net file; parse → build_program → run_passes (with --dump-after of a pass the
 * input's length picks) → diagnostics, the table and the JSON report, all written
 * to /dev/null.  Anything the sanitizers (ASan, UBSan,
 * LeakSanitizer) or a timeout report is a bug; the compiler must answer every
 * input with diagnostics.  Built by tests/fuzz-net/suite.sh with
 * clang -fsanitize=fuzzer,address,undefined from the front-end sources.
 */
#include "netc.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (!devnull) devnull = fopen("/dev/null", "w");
    char *text = malloc(size + 1);          /* read_file's contract: NUL-terminated */
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    Arena *a = arena_new();
    Source src = {"fuzz.net", text, size};
    Diags d = {.arena = a, .max_errors = 200};
    Program prog = {.arena = a, .src = &src};
    NetAst *ast = parse_source(a, &src, &d);
    if (!d.errors && ast) {
        /* --dump-after prints the IR even when passes found errors: cover it too */
        static const char *const dumps[] = {NULL, "build", "resolve", "attrs", "shapes", "validate", "train"};
        build_program(&prog, ast, &d);
        run_passes(&prog, &d, dumps[size % 7], devnull);
        if (!d.errors) {
            report_table(&prog, devnull);
            report_json(&prog, devnull);
            dump_program(&prog, devnull);
        }
    }
    diags_print(&d, devnull);
    arena_free(a);
    free(text);
    return 0;
}
