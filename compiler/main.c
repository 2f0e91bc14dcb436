/*
 * main.c — the netc driver: reads the command line, runs the pipeline in a
 * straight line (parse → build IR → passes → report or print), prints the
 * diagnostics and picks the exit code: 0 clean (warnings allowed), 1 errors in
 * the input, 2 usage errors.
 */
#include "netc.h"
#include "driver.h"
#include "print_cuda.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

bool pass_name_known(const char *name);

char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) { fclose(f); errno = EISDIR; return NULL; }
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) { fclose(f); errno = ENOMEM; return NULL; }
    for (;;) {
        if (n == cap) {
            if (cap >= ((size_t)256 << 20)) { free(buf); fclose(f); errno = EFBIG; return NULL; }
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) { free(buf); fclose(f); errno = ENOMEM; return NULL; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) { free(buf); errno = EIO; return NULL; }
    buf[n] = 0;
    *len = n;
    return buf;
}

Compilation *compile_file(const char *path, const char *dump_after, FILE *dump) {
    Compilation *c = calloc(1, sizeof *c);
    if (!c) { fputs("netc: out of memory\n", stderr); exit(3); }
    c->arena = arena_new();
    c->diags.arena = c->arena;
    c->diags.max_errors = 200;
    c->prog.arena = c->arena;
    size_t len;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "netc: cannot read '%s': %s\n", path, strerror(errno));
        c->diags.errors++;
        return c;
    }
    c->text = text;
    Source *src = arena_alloc(c->arena, sizeof *src);
    src->path = path;
    src->text = text;
    src->len = len;
    c->prog.src = src;
    NetAst *ast = parse_source(c->arena, src, &c->diags);
    if (c->diags.errors) return c;
    if (!ast) { diag_add(&c->diags, SEV_ERROR, (Loc){src, 1, 1, 1}, "a file holds one or more 'network NAME { ... }'", "no network in file"); return c; }
    build_program(&c->prog, ast, &c->diags);
    run_passes(&c->prog, &c->diags, dump_after, dump);
    return c;
}

void compilation_free(Compilation *c) {
    if (!c) return;
    free(c->text);
    arena_free(c->arena);
    free(c);
}

static const char usage_main[] =
    "usage: netc COMMAND [OPTIONS]\n"
    "\n"
    "netc compiles fixed neural networks written in the .net language into plain C\n"
    "(or CUDA) that runs and trains without a framework.\n"
    "\n"
    "commands:\n"
    "  check FILE.net       check a network and print its layers, shapes and sizes\n"
    "  build FILE.net -o D  write specialised C for each network (and a program)\n"
    "  emit-cuda FILE.net -o D  write the CUDA kernels (.cu, .cubin, .ptx, header)\n"
    "  lint DIR             prove generated C fit for firmware (libclang)\n"
    "  plot ...             draw PNG image grids and training curves\n"
    "\n"
    "  netc COMMAND --help  options of one command\n"
    "  netc --version       print the version\n"
    "  netc -h, --help      this text\n"
    "\n"
    "The language: docs/language.md.  Exit status: 0 success, 1 errors in the\n"
    "input, 2 usage errors.\n";

static const char usage_check[] =
    "usage: netc check FILE.net [--json] [--dump-after=PASS] [--quiet]\n"
    "\n"
    "Parses and checks every network in FILE.net and prints, per network, a table of\n"
    "layers (kind, input -> output shape, parameters, multiply-accumulates,\n"
    "activation bytes) and totals.  Errors are printed as file:line:col with the\n"
    "source line and a caret.\n"
    "\n"
    "  --json              print the same as JSON on stdout\n"
    "  --dump-after=PASS   print the IR after PASS (build, resolve, attrs, shapes,\n"
    "                      validate, train) on stdout\n"
    "  --quiet             print only diagnostics\n"
    "  -h, --help          this text\n"
    "\n"
    "exit status: 0 clean (warnings allowed), 1 errors, 2 usage error\n";

static int cmd_check(int argc, char **argv) {
    const char *file = NULL, *dump = NULL;
    bool json = false, quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(usage_check, stdout); return 0; }
        else if (!strcmp(a, "--json")) json = true;
        else if (!strcmp(a, "--quiet")) quiet = true;
        else if (!strncmp(a, "--dump-after=", 13)) dump = a + 13;
        else if (!strcmp(a, "--dump-after") && i + 1 < argc) dump = argv[++i];
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "netc check: unknown option '%s'\n%s", a, usage_check); return 2; }
        else if (file) { fprintf(stderr, "netc check: one file at a time ('%s' and '%s')\n", file, a); return 2; }
        else file = a;
    }
    if (!file) { fprintf(stderr, "netc check: no input file\n%s", usage_check); return 2; }
    if (dump && !pass_name_known(dump)) {
        fprintf(stderr, "netc check: unknown pass '%s' (build, resolve, attrs, shapes, validate, train)\n", dump);
        return 2;
    }
    Compilation *c = compile_file(file, dump, stdout);
    diags_print(&c->diags, stderr);
    int rc = c->diags.errors ? 1 : 0;
    if (!rc && !quiet && !dump) {
        if (json) report_json(&c->prog, stdout);
        else report_table(&c->prog, stdout);
    }
    compilation_free(c);
    return rc;
}

typedef struct Command { const char *name; int (*run)(int, char **); } Command;

static const Command commands[] = {
    {"check", cmd_check},
    {"build", cmd_build},
    {"emit-cuda", cmd_emit_cuda},
    {"lint", lint_main},
    {"plot", cmd_plot},
};

int main(int argc, char **argv) {
    if (argc < 2) { fputs(usage_main, stderr); return 2; }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) { printf("netc %s\n", NETC_VERSION); return 0; }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    const char *names[8] = {0};
    for (size_t i = 0; i < sizeof commands / sizeof *commands && i < 7; i++) names[i] = commands[i].name;
    const char *m = did_you_mean(argv[1], names);
    fprintf(stderr, "netc: unknown command '%s'%s%s%s\n%s", argv[1], m ? " (did you mean '" : "", m ? m : "", m ? "'?)" : "", usage_main);
    return 2;
}
