/*
 * build.c — `netc build`: check, lower and print each network to DIR/NAME.h and
 * DIR/NAME.c; with --exe also compile DIR/NAME, the standalone program (the
 * generated code linked with runtime/program.c and the file readers).  Nothing is
 * written when the input has errors, and every file is replaced atomically.
 */
#include "driver.h"
#include "emit.h"
#include "files.h"
#include "lint.h"
#include "print_c.h"
#include "print_cuda.h"
#include "schedule.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>

static const char usage_build[] =
    "usage: netc build FILE.net -o DIR [--network NAME] [--weights W.safetensors] [--exe] [--cc CC] [--cflags FLAGS]\n"
    "                  [--profile firmware [--train]] [--verify [--max-ram BYTES] [--max-stack BYTES]]\n"
    "\n"
    "Writes DIR/NAME.h and DIR/NAME.c for every network in FILE.net (or only NAME):\n"
    "C99 with every loop bound a literal, no heap and no stdio.  See the header for\n"
    "the API (NAME_init, NAME_forward, NAME_param, NAME_model).\n"
    "\n"
    "  -o DIR            output directory (created if missing)\n"
    "  --network NAME    only this network\n"
    "  --weights W       embed the parameters of W.safetensors (PyTorch's names and\n"
    "                    layouts) as a const array in DIR/NAME_weights.c; NAME_init\n"
    "                    then loads them (tensors of other layers are ignored)\n"
    "  --exe             also compile DIR/NAME, a program with the commands\n"
    "                    info, infer, bench, train and eval (run DIR/NAME --help)\n"
    "  --cc CC           C compiler for --exe (default: $CC or cc)\n"
    "  --cflags FLAGS    compiler flags for --exe (default -O2 -march=native -fopenmp, a host\n"
    "                    build using this machine's vector unit and OMP_NUM_THREADS threads;\n"
    "                    $NETC_CFLAGS is added)\n"
    "  --target cuda     CUDA kernels and a GPU program instead (netc build --target cuda --help)\n"
    "  --profile firmware\n"
    "                    code for a microcontroller: inference only (no training\n"
    "                    functions, gradients or optimiser state; the arena sized\n"
    "                    for inference); with --weights the parameters stay in the\n"
    "                    const array NAME_weights (flash) and are read in place, so\n"
    "                    the state holds only the arena; without --weights they stay\n"
    "                    in the state and NAME_init fills them.  Not with --exe\n"
    "  --train           with --profile firmware: keep the training step (on-device\n"
    "                    training; parameters, gradients and optimiser state in RAM)\n"
    "  --verify          run netc lint's checks on the files written and fail, writing\n"
    "                    nothing to DIR, on any breach (its report goes to stdout)\n"
    "  --max-ram BYTES   with --verify: the states may take at most BYTES together\n"
    "  --max-stack BYTES with --verify: the deepest call chain's stack limit\n"
    "  -h, --help        this text\n"
    "\n"
    "exit status: 0 written, 1 errors in the input or while writing, 2 usage error\n";

/* The checkout (or install) holding `probe` (a path inside it, e.g. runtime/program.c),
 * found from this executable's path: build/netc and build/asan/netc both live below
 * it; NETC_ROOT overrides.  libdir gets the executable's directory. */
bool find_root(const char *probe_path, char *root, size_t n, char *libdir, size_t ln) {
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return false;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return false;
    *slash = 0;
    snprintf(libdir, ln, "%s", exe);
    const char *env = getenv("NETC_ROOT");
    if (env && *env) { snprintf(root, n, "%s", env); return true; }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", exe);
    for (int up = 0; up < 4; up++) {
        char probe[PATH_MAX + 32];
        snprintf(probe, sizeof probe, "%s/%s", dir, probe_path);
        if (access(probe, R_OK) == 0) { snprintf(root, n, "%s", dir); return true; }
        char *s = strrchr(dir, '/');
        if (!s || s == dir) break;
        *s = 0;
    }
    return false;
}

/* Fill a network's parameters from a safetensors file: every parameter must be
 * there with its shape and finite values; other tensors are ignored (a decoder
 * can take its layers from a whole autoencoder's checkpoint). */
static float *load_weights(const Schedule *s, const char *path) {
    netc_safetensors st;
    netc_file_error err;
    if (netc_safetensors_load(&st, path, 0, &err)) { fprintf(stderr, "netc build: %s\n", err.msg); return NULL; }
    float *w = calloc((size_t)(s->param_floats ? s->param_floats : 1), sizeof(float));
    bool bad = !w;
    for (int i = 0; i < s->nparams && !bad; i++) {
        const Param *p = &s->params[i];
        const netc_st_tensor *t = netc_safetensors_find(&st, p->name);
        if (!t) { fprintf(stderr, "netc build: %s: no tensor '%s' for network '%s'\n", path, p->name, s->net->name); bad = true; break; }
        bool same = t->rank == p->rank;
        for (int j = 0; same && j < p->rank; j++) same = t->shape[j] == p->shape[j];
        if (!same) {
            char want[128] = "[", have[128] = "[";
            for (int j = 0; j < p->rank; j++) snprintf(want + strlen(want), sizeof want - strlen(want), "%s%lld", j ? ", " : "", (long long)p->shape[j]);
            for (int j = 0; j < t->rank; j++) snprintf(have + strlen(have), sizeof have - strlen(have), "%s%lld", j ? ", " : "", (long long)t->shape[j]);
            fprintf(stderr, "netc build: %s: tensor '%s' has shape %s], network '%s' needs %s]\n", path, p->name, have, s->net->name, want);
            bad = true;
            break;
        }
        if (netc_safetensors_to_f32(t, w + p->offset, (size_t)p->count, &err)) { fprintf(stderr, "netc build: %s: %s\n", path, err.msg); bad = true; break; }
        for (int64_t j = 0; j < p->count; j++)
            if (!(w[p->offset + j] - w[p->offset + j] == 0.0f)) {
                fprintf(stderr, "netc build: %s: tensor '%s' holds a NaN or infinity at element %lld\n", path, p->name, (long long)j);
                bad = true;
                break;
            }
    }
    netc_safetensors_free(&st);
    if (bad) { free(w); return NULL; }
    return w;
}

/* mkdir -p: the directory and any missing parents. */
int mkdir_parents(const char *dir) {
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path) { errno = ENAMETOOLONG; return -1; }
    for (char *p = path + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(path, 0777) != 0 && errno != EEXIST) return -1;
        *p = '/';
    }
    if (mkdir(path, 0777) != 0 && errno != EEXIST) return -1;
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    if (!S_ISDIR(st.st_mode)) { errno = ENOTDIR; return -1; }
    return 0;
}

static int run_cc(char *const argv[]) {
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) { execvp(argv[0], argv); _exit(127); }
    int st;
    if (waitpid(pid, &st, 0) < 0) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int build_exe(const char *dir, const char *name, const char *cc, const char *cflags, bool weights) {
    char root[PATH_MAX], libdir[PATH_MAX];
    if (!find_root("runtime/program.c", root, sizeof root, libdir, sizeof libdir)) {
        fprintf(stderr, "netc build: cannot find the runtime (set NETC_ROOT to the netc checkout)\n");
        return 1;
    }
    char mainc[PATH_MAX + 64], out[PATH_MAX + 64], tmpout[PATH_MAX + 80], src[PATH_MAX + 64], prog[PATH_MAX + 64],
        train[PATH_MAX + 64], inc1[PATH_MAX + 8], inc2[PATH_MAX + 16], lib[PATH_MAX + 32];
    snprintf(mainc, sizeof mainc, "%s/%s_main.c", dir, name);
    snprintf(src, sizeof src, "%s/%s.c", dir, name);
    snprintf(out, sizeof out, "%s/%s", dir, name);
    snprintf(tmpout, sizeof tmpout, "%s/.%s.tmp%ld", dir, name, (long)getpid());
    snprintf(prog, sizeof prog, "%s/runtime/program.c", root);
    snprintf(train, sizeof train, "%s/runtime/train.c", root);
    snprintf(inc1, sizeof inc1, "-I%s", dir);
    snprintf(inc2, sizeof inc2, "-I%s/runtime", root);
    snprintf(lib, sizeof lib, "%s/libnetcfiles.a", libdir);
    Emitter m = {0};
    emit(&m, "/* %s_main.c — generated by netc: binds the standalone program to %s. */", name, name);
    emit(&m, "#include \"%s.h\"", name);
    emit(&m, "const netc_model *const netc_program_model = &%s_model;", name);
    char err[512];
    if (emit_save(&m, mainc, err, sizeof err)) { fprintf(stderr, "netc build: %s\n", err); emit_free(&m); return 1; }
    emit_free(&m);
    /* argv: cc FLAGS... -I.. src mainc prog train lib -o tmp -lm -lz */
    char *argv[96];
    int n = 0;
    /* the default is a host build: this machine's vector unit and OpenMP threads
     * (OMP_NUM_THREADS picks how many); --cflags -O2 gives a portable one */
    char *flagbuf = strdup(cflags ? cflags : "-O2 -march=native -fopenmp");
    const char *envf = getenv("NETC_CFLAGS");
    char *envbuf = strdup(envf ? envf : "");
    if (!flagbuf || !envbuf) { free(flagbuf); free(envbuf); return 1; }
    argv[n++] = (char *)cc;
    for (char *t = strtok(flagbuf, " \t"); t && n < 40; t = strtok(NULL, " \t")) argv[n++] = t;
    for (char *t = strtok(envbuf, " \t"); t && n < 70; t = strtok(NULL, " \t")) argv[n++] = t;
    argv[n++] = "-std=c99";
    argv[n++] = "-DNETC_TIMERS";     /* the network's layer timers: bench --layers */
    argv[n++] = inc1;
    argv[n++] = inc2;
    argv[n++] = src;
    char wsrc[PATH_MAX + 64];
    snprintf(wsrc, sizeof wsrc, "%s/%s_weights.c", dir, name);
    if (weights) argv[n++] = wsrc;
    argv[n++] = mainc;
    argv[n++] = prog;
    argv[n++] = train;
    argv[n++] = lib;
    argv[n++] = "-o";
    argv[n++] = tmpout;
    argv[n++] = "-lz";
    argv[n++] = "-lm";
    argv[n] = NULL;
    int rc = run_cc(argv);
    free(flagbuf);
    free(envbuf);
    if (rc != 0) {
        unlink(tmpout);
        fprintf(stderr, "netc build: compiling %s failed (%s exited with %d)\n", out, cc, rc);
        return 1;
    }
    if (rename(tmpout, out) != 0) {
        fprintf(stderr, "netc build: cannot write '%s': %s\n", out, strerror(errno));
        unlink(tmpout);
        return 1;
    }
    return 0;
}

/* Remove what a failed --verify build staged, and the staging directory. */
static void remove_staged(const char *stage) {
    DIR *d = opendir(stage);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char path[PATH_MAX + 260];
            snprintf(path, sizeof path, "%s/%s", stage, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(stage);
}

/* A byte count for --max-ram / --max-stack: decimal digits only. */
static bool parse_bytes(const char *s) {
    if (!*s) return false;
    for (const char *p = s; *p; p++) if (*p < '0' || *p > '9') return false;
    return strlen(s) < 19;
}

int cmd_build(int argc, char **argv) {
    const char *file = NULL, *dir = NULL, *only = NULL, *cc = getenv("CC"), *cflags = NULL, *weights = NULL;
    const char *profile = NULL, *max_ram = NULL, *max_stack = NULL;
    bool exe = false, train = false, verify = false;
    /* --target cuda: print_cuda.c takes the whole command; --target c is the default */
    for (int i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "--target")) {
            if (!strcmp(argv[i + 1], "cuda")) return cmd_build_cuda(argc, argv);
            if (strcmp(argv[i + 1], "c")) { fprintf(stderr, "netc build: unknown target '%s' (c or cuda)\n", argv[i + 1]); return 2; }
        }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { fputs(usage_build, stdout); return 0; }
        else if (!strcmp(a, "--target") && i + 1 < argc) i++;
        else if (!strcmp(a, "-o") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(a, "--network") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(a, "--weights") && i + 1 < argc) weights = argv[++i];
        else if (!strcmp(a, "--exe")) exe = true;
        else if (!strcmp(a, "--cc") && i + 1 < argc) cc = argv[++i];
        else if (!strcmp(a, "--cflags") && i + 1 < argc) cflags = argv[++i];
        else if (!strcmp(a, "--profile") && i + 1 < argc) profile = argv[++i];
        else if (!strcmp(a, "--train")) train = true;
        else if (!strcmp(a, "--verify")) verify = true;
        else if (!strcmp(a, "--max-ram") && i + 1 < argc) max_ram = argv[++i];
        else if (!strcmp(a, "--max-stack") && i + 1 < argc) max_stack = argv[++i];
        else if (a[0] == '-' && a[1]) { fprintf(stderr, "netc build: unknown or incomplete option '%s'\n%s", a, usage_build); return 2; }
        else if (file) { fprintf(stderr, "netc build: one file at a time ('%s' and '%s')\n", file, a); return 2; }
        else file = a;
    }
    if (!file) { fprintf(stderr, "netc build: no input file\n%s", usage_build); return 2; }
    if (!dir) { fprintf(stderr, "netc build: no output directory (-o DIR)\n%s", usage_build); return 2; }
    PrintOptions popt = {0};
    if (profile && !strcmp(profile, "firmware")) popt.firmware = true;
    else if (profile) { fprintf(stderr, "netc build: unknown profile '%s' (the one profile is 'firmware')\n", profile); return 2; }
    if (train && !popt.firmware) {
        fprintf(stderr, "netc build: --train only goes with --profile firmware (the default output already trains)\n");
        return 2;
    }
    popt.train = train;
    if (exe && popt.firmware) {
        fprintf(stderr, "netc build: --exe builds the standalone program, a host tool: build it without --profile firmware\n");
        return 2;
    }
    for (int k = 0; k < 2; k++) {
        const char *v = k ? max_stack : max_ram;
        if (!v) continue;
        if (!verify) { fprintf(stderr, "netc build: %s needs --verify\n", k ? "--max-stack" : "--max-ram"); return 2; }
        if (!parse_bytes(v)) { fprintf(stderr, "netc build: %s needs a byte count, not '%s'\n", k ? "--max-stack" : "--max-ram", v); return 2; }
    }
    if (!cc || !*cc) cc = "cc";
    Compilation *c = compile_file(file, NULL, NULL);
    diags_print(&c->diags, stderr);
    if (c->diags.errors) { compilation_free(c); return 1; }
    bool found = !only;
    for (int i = 0; i < c->prog.nets.n; i++) if (only && !strcmp(((Net *)c->prog.nets.v[i])->name, only)) found = true;
    if (!found) {
        fprintf(stderr, "netc build: no network named '%s' in %s\n", only, file);
        compilation_free(c);
        return 1;
    }
    for (int i = 0; i < c->prog.nets.n && train; i++) {
        Net *net = c->prog.nets.v[i];
        if (only && strcmp(net->name, only)) continue;
        if (!net->train || !net->train->checked) {
            fprintf(stderr, "netc build: --train: network '%s' in %s has no train block%s\n", net->name, file,
                    only ? "" : " (choose a network that trains with --network)");
            compilation_free(c);
            return 1;
        }
    }
    struct stat dst;
    bool existed = stat(dir, &dst) == 0;
    if (mkdir_parents(dir) != 0) {
        fprintf(stderr, "netc build: cannot create '%s': %s\n", dir, strerror(errno));
        compilation_free(c);
        return 1;
    }
    /* --verify: write into a staging directory inside DIR, lint it there and move
     * the files into DIR only when the lint is clean. */
    char stage[PATH_MAX];
    const char *out = dir;
    if (verify) {
        snprintf(stage, sizeof stage, "%s/.netc-verify.XXXXXX", dir);
        if (!mkdtemp(stage)) {
            fprintf(stderr, "netc build: cannot create a staging directory in '%s': %s\n", dir, strerror(errno));
            compilation_free(c);
            return 1;
        }
        out = stage;
    }
    int rc = 0;
    char **written = NULL;   /* file names (within out) written so far */
    int nwritten = 0;
    for (int i = 0; i < c->prog.nets.n && !rc; i++) {
        Net *net = c->prog.nets.v[i];
        if (only && strcmp(net->name, only)) continue;
        Schedule *s = lower_net(c->arena, net, popt.firmware);
        float *w = NULL;
        if (weights && !(w = load_weights(s, weights))) { rc = 1; break; }
        s->weights = w;
        Emitter h = {0}, src = {0}, wsrc = {0};
        print_c_opts(s, c->arena, &h, &src, &popt);
        if (w) print_weights(s, &wsrc, weights);
        const Emitter *em[3] = {&h, &src, &wsrc};
        static const char *const suffix[3] = {".h", ".c", "_weights.c"};
        for (int f = 0; f < 3 && !rc; f++) {
            if (f == 2 && !w) break;
            char path[PATH_MAX + 300], err[600];
            snprintf(path, sizeof path, "%s/%s%s", out, net->name, suffix[f]);
            if (emit_save(em[f], path, err, sizeof err)) { fprintf(stderr, "netc build: %s\n", err); rc = 1; }
            else {
                char **grown = realloc(written, sizeof *written * (size_t)(nwritten + 1));
                if (grown) written = grown;
                char *name = grown ? malloc(strlen(net->name) + 16) : NULL;
                if (!name) { fprintf(stderr, "netc build: out of memory\n"); rc = 1; break; }
                snprintf(name, strlen(net->name) + 16, "%s%s", net->name, suffix[f]);
                written[nwritten++] = name;
            }
        }
        emit_free(&h);
        emit_free(&src);
        emit_free(&wsrc);
        free(w);
    }
    if (verify) {
        if (!rc) {
            char *largv[6] = {"lint"};
            int largc = 1;
            if (max_ram) { largv[largc++] = "--max-ram"; largv[largc++] = (char *)max_ram; }
            if (max_stack) { largv[largc++] = "--max-stack"; largv[largc++] = (char *)max_stack; }
            largv[largc] = NULL;
            fflush(stdout);
            int lrc = lint_dir(stage, dir, largc, largv);
            fflush(stdout);
            if (lrc) {
                fprintf(stderr, "netc build: --verify: %s; nothing was written to '%s'\n",
                        lrc == 1 ? "the generated C breaks the firmware rules or limits (above)" : "the lint could not run", dir);
                rc = 1;
            }
        }
        for (int f = 0; f < nwritten && !rc; f++) {
            char from[PATH_MAX + 300], to[PATH_MAX + 300];
            snprintf(from, sizeof from, "%s/%s", stage, written[f]);
            snprintf(to, sizeof to, "%s/%s", dir, written[f]);
            if (rename(from, to) != 0) { fprintf(stderr, "netc build: cannot write '%s': %s\n", to, strerror(errno)); rc = 1; }
        }
        remove_staged(stage);
        if (rc && !existed) rmdir(dir);   /* only succeeds when DIR is still empty */
    } else if (rc) {   /* e.g. bad --weights: no partial output, and no DIR this run made */
        for (int f = 0; f < nwritten; f++) {
            char p[PATH_MAX + 300];
            snprintf(p, sizeof p, "%s/%s", dir, written[f]);
            unlink(p);
        }
        if (!existed) rmdir(dir);
    }
    for (int i = 0; i < c->prog.nets.n && !rc && exe; i++) {
        Net *net = c->prog.nets.v[i];
        if (only && strcmp(net->name, only)) continue;
        rc = build_exe(dir, net->name, cc, cflags, weights != NULL);
    }
    for (int f = 0; f < nwritten; f++) free(written[f]);
    free(written);
    compilation_free(c);
    return rc;
}
