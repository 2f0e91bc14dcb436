/* test_files.c — cmocka tests of runtime/files.h.
 *
 *   test_files [DATA [OUT]]
 *
 * Without arguments: unit tests only (in-memory round trips, conversions, writer
 * checks, atomic replacement in a temporary directory).  With DATA, a directory made
 * by tests/files/gen_data.py, it also runs one test per line of its manifests:
 *   DATA/npy.tsv     FILE EXPECTED.f32 RANK DIMS...       files written by numpy
 *   DATA/st.tsv      T FILE NAME DTYPE EXPECTED.f32 RANK DIMS... | M FILE KEY VALUE
 *                    safetensors written by the reference implementation
 *   DATA/idx.tsv     FILE RANK DIMS... SUM                real Fashion-MNIST files
 *   DATA/bad.tsv     KIND FILE SUBSTRING                  hostile files, each expected
 *                    to fail with SUBSTRING in the message (KIND: st, npy, idx), or
 *                    to load when SUBSTRING is "(accepted)" (fuzzer regressions)
 * With OUT, it writes files there for tests/files/verify_out.py to check with numpy
 * and safetensors.  The environment variable NETC_SMALLFS names a tiny file system
 * (a 64 KiB tmpfs) for the out-of-space test; without it that test is skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"

static const char *g_data, *g_out;   /* set once by main from argv */

/* ---- helpers ----------------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    void *buf;
    netc_file_error e;
    if (netc_read_file(path, 0, &buf, len, &e)) {
        print_error("%s\n", e.msg);
        return NULL;
    }
    return buf;
}

static int same_f32(float a, float b)
{
    if (isnan(a) && isnan(b)) return 1;
    uint32_t x, y;
    memcpy(&x, &a, 4);
    memcpy(&y, &b, 4);
    return x == y;
}

static void check_floats(const float *got, const char *expected_path, int64_t count)
{
    size_t len;
    char *exp = read_all(expected_path, &len);
    assert_non_null(exp);
    assert_int_equal(len, (size_t)count * 4);
    for (int64_t i = 0; i < count; i++) {
        float f;
        memcpy(&f, exp + 4 * i, 4);
        if (!same_f32(got[i], f)) {
            print_error("element %lld: got %.9g, expected %.9g\n", (long long)i, got[i], f);
            fail();
        }
    }
    free(exp);
}

static char *tmpdir_make(void)
{
    char tmpl[] = "/tmp/netc-files-test-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void tmpdir_remove(char *dir)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            unlink(p);
        }
        closedir(d);
    }
    rmdir(dir);
    free(dir);
}

/* Number of directory entries whose name contains ".tmp-". */
static int count_temps(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp-")) n++;
    closedir(d);
    return n;
}

/* ---- unit tests ---------------------------------------------------------------------- */

static void test_f16_bf16(void **state)
{
    (void)state;
    static const struct { uint16_t h; float f; } cases[] = {
        {0x0000, 0.0f}, {0x3c00, 1.0f}, {0xc000, -2.0f}, {0x7bff, 65504.0f},
        {0x0001, 5.9604644775390625e-08f}, {0x03ff, 6.097555160522461e-05f},
        {0x0400, 6.103515625e-05f}, {0x3555, 0.333251953125f}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsigned char b[2] = {(unsigned char)(cases[k].h & 0xff), (unsigned char)(cases[k].h >> 8)};
        float f;
        assert_int_equal(netc_convert_to_f32(NETC_DT_F16, 0, b, 1, &f, NULL), 0);
        assert_true(same_f32(f, cases[k].f));
    }
    unsigned char inf[2] = {0x00, 0x7c}, nan[2] = {0x01, 0x7e}, negz[2] = {0x00, 0x80};
    float f;
    netc_convert_to_f32(NETC_DT_F16, 0, inf, 1, &f, NULL);
    assert_true(isinf(f) && f > 0);
    netc_convert_to_f32(NETC_DT_F16, 0, nan, 1, &f, NULL);
    assert_true(isnan(f));
    netc_convert_to_f32(NETC_DT_F16, 0, negz, 1, &f, NULL);
    assert_true(f == 0 && signbit(f));
    unsigned char bf[2] = {0xc0, 0x3f};                /* 0x3fc0 = 1.5 */
    netc_convert_to_f32(NETC_DT_BF16, 0, bf, 1, &f, NULL);
    assert_true(f == 1.5f);
    unsigned char be_i16[2] = {0xff, 0xfe};             /* -2 big-endian */
    netc_convert_to_f32(NETC_DT_I16, 1, be_i16, 1, &f, NULL);
    assert_true(f == -2.0f);
    unsigned char i64[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    netc_convert_to_f32(NETC_DT_I64, 0, i64, 1, &f, NULL);
    assert_true(f == -1.0f);
}

static void test_st_roundtrip(void **state)
{
    (void)state;
    float a[6] = {1, 2, 3, 4, 5, 6}, b[1] = {-0.5f};
    int64_t sa[2] = {2, 3};
    netc_st_entry t[3] = {{"layer.weight", 2, sa, a}, {"scalar", 0, NULL, b}, {"empty", 2, (int64_t[]){0, 4}, NULL}};
    const char *meta[] = {"format", "pt", "note", "quote \" backslash \\ newline \n caf\xc3\xa9"};
    void *buf;
    size_t len;
    netc_file_error e;
    assert_int_equal(netc_safetensors_serialize(t, 3, meta, 2, &buf, &len, &e), 0);
    assert_int_equal(*(uint64_t *)buf % 8, 0);
    netc_safetensors st;
    if (netc_safetensors_parse(&st, buf, len, &e)) print_error("%s\n", e.msg);
    assert_int_equal(st.ntensors, 3);
    assert_int_equal(st.nmeta, 2);
    assert_string_equal(netc_safetensors_meta(&st, "note"), meta[3]);
    assert_null(netc_safetensors_meta(&st, "missing"));
    const netc_st_tensor *w = netc_safetensors_find(&st, "layer.weight");
    assert_non_null(w);
    assert_int_equal(w->rank, 2);
    assert_int_equal(w->shape[1], 3);
    assert_int_equal(w->dtype, NETC_DT_F32);
    float out[6];
    assert_int_equal(netc_safetensors_to_f32(w, out, 6, &e), 0);
    assert_memory_equal(out, a, sizeof a);
    assert_int_equal(netc_safetensors_to_f32(w, out, 5, &e), -1);
    const netc_st_tensor *s = netc_safetensors_find(&st, "scalar");
    assert_int_equal(s->rank, 0);
    assert_int_equal(s->count, 1);
    assert_int_equal(netc_safetensors_find(&st, "empty")->count, 0);
    assert_null(netc_safetensors_find(&st, "nope"));
    netc_safetensors_free(&st);
    free(buf);
}

static void test_st_writer_rejects(void **state)
{
    (void)state;
    float a[1] = {0};
    int64_t one = 1;
    netc_file_error e;
    void *buf;
    size_t len;
    netc_st_entry dup[2] = {{"x", 1, &one, a}, {"x", 1, &one, a}};
    assert_int_equal(netc_safetensors_serialize(dup, 2, NULL, 0, &buf, &len, &e), -1);
    assert_non_null(strstr(e.msg, "duplicate tensor name \"x\""));
    netc_st_entry bad[1] = {{"\xff", 1, &one, a}};
    assert_int_equal(netc_safetensors_serialize(bad, 1, NULL, 0, &buf, &len, &e), -1);
    assert_non_null(strstr(e.msg, "not valid UTF-8"));
    netc_st_entry meta[1] = {{"__metadata__", 1, &one, a}};
    assert_int_equal(netc_safetensors_serialize(meta, 1, NULL, 0, &buf, &len, &e), -1);
    const char *mk[] = {"k", "v", "k", "w"};
    assert_int_equal(netc_safetensors_serialize(NULL, 0, mk, 2, &buf, &len, &e), -1);
    assert_non_null(strstr(e.msg, "duplicate metadata key"));
    assert_int_equal(netc_safetensors_save("/nonexistent-dir/x.safetensors", dup, 1, NULL, 0, &e), -1);
    assert_non_null(strstr(e.msg, "cannot create temporary file"));
}

static void test_st_huge_header(void **state)
{
    (void)state;
    size_t len = 8 + NETC_ST_MAX_HEADER + 16;
    unsigned char *buf = calloc(1, len);
    assert_non_null(buf);
    uint64_t h = NETC_ST_MAX_HEADER + 8;
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)(h >> (8 * i));
    netc_safetensors st;
    netc_file_error e;
    assert_int_equal(netc_safetensors_parse(&st, buf, len, &e), -1);
    assert_non_null(strstr(e.msg, "is huge"));
    free(buf);
}

static void test_npy_roundtrip(void **state)
{
    (void)state;
    float d[24];
    for (int i = 0; i < 24; i++) d[i] = (float)i * 0.5f - 3;
    int64_t sh[3] = {2, 3, 4};
    void *buf;
    size_t len;
    netc_file_error e;
    assert_int_equal(netc_npy_serialize(3, sh, d, &buf, &len, &e), 0);
    assert_int_equal((len - 96) % 64, 0);            /* header padded to 64 bytes */
    netc_array a;
    assert_int_equal(netc_npy_parse(&a, buf, len, 0, &e), 0);
    assert_int_equal(a.rank, 3);
    assert_int_equal(a.count, 24);
    assert_memory_equal(a.data, d, sizeof d);
    netc_array_free(&a);
    assert_int_equal(netc_npy_parse(&a, buf, len, 95, &e), -1);   /* memory limit */
    assert_non_null(strstr(e.msg, "over the limit"));
    free(buf);
    assert_int_equal(netc_npy_serialize(0, NULL, d, &buf, &len, &e), 0);
    assert_int_equal(netc_npy_parse(&a, buf, len, 0, &e), 0);
    assert_int_equal(a.rank, 0);
    assert_int_equal(a.count, 1);
    assert_true(a.data[0] == -3);
    netc_array_free(&a);
    free(buf);
}

static void test_npy_fortran_memory(void **state)
{
    (void)state;
    /* A 2x3 Fortran-order '>i2' array [[0,1,2],[3,4,5]] stored column by column. */
    const char hdr[] = "{'descr': '>i2', 'fortran_order': True, 'shape': (2, 3), }";
    unsigned char buf[256];
    size_t hl = sizeof hdr - 1;
    memcpy(buf, "\x93NUMPY\x01\x00", 8);
    buf[8] = (unsigned char)(hl + 1);
    buf[9] = 0;
    memcpy(buf + 10, hdr, hl);
    buf[10 + hl] = '\n';
    static const int col[6] = {0, 3, 1, 4, 2, 5};
    unsigned char *p = buf + 11 + hl;
    for (int i = 0; i < 6; i++) { p[2 * i] = 0; p[2 * i + 1] = (unsigned char)col[i]; }
    netc_array a;
    netc_file_error e;
    assert_int_equal(netc_npy_parse(&a, buf, 11 + hl + 12, 0, &e), 0);
    for (int i = 0; i < 6; i++) assert_true(a.data[i] == (float)i);
    assert_int_equal(a.source_dtype, NETC_DT_I16);
    netc_array_free(&a);
}

static void test_idx_memory(void **state)
{
    (void)state;
    unsigned char buf[4 + 8 + 6] = {0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3, 0, 51, 102, 153, 204, 255};
    netc_array a;
    netc_file_error e;
    assert_int_equal(netc_idx_parse(&a, buf, sizeof buf, NETC_IDX_SCALE_U8, 0, &e), 0);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    assert_true(a.data[0] == 0 && a.data[5] == 1.0f && fabsf(a.data[1] - 0.2f) < 1e-7f);
    netc_array_free(&a);
    assert_int_equal(netc_idx_parse(&a, buf, sizeof buf, 0, 0, &e), 0);
    assert_true(a.data[5] == 255.0f);
    netc_array_free(&a);
    unsigned char f64[4 + 4 + 8] = {0, 0, 0x0E, 1, 0, 0, 0, 1, 0xc0, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18};
    assert_int_equal(netc_idx_parse(&a, f64, sizeof f64, 0, 0, &e), 0);
    assert_true(a.data[0] == (float)-3.141592653589793);
    netc_array_free(&a);
    buf[7] = 3;                                         /* now declares 3x3 = 9 bytes */
    assert_int_equal(netc_idx_parse(&a, buf, sizeof buf, 0, 0, &e), -1);
    assert_string_equal(e.msg, "header declares 3\xc3\x97" "3 = 9 bytes, file holds 6");
}

static void test_atomic_replace(void **state)
{
    (void)state;
    char *dir = tmpdir_make();
    char path[4200];
    snprintf(path, sizeof path, "%s/w.npy", dir);
    float d[3] = {1, 2, 3};
    int64_t n = 3;
    netc_file_error e;
    assert_int_equal(netc_npy_save(path, 1, &n, d, &e), 0);
    d[0] = 7;
    assert_int_equal(netc_npy_save(path, 1, &n, d, &e), 0);
    netc_array a;
    assert_int_equal(netc_npy_load(&a, path, 0, &e), 0);
    assert_true(a.data[0] == 7);
    netc_array_free(&a);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_true((sb.st_mode & 0444) != 0);              /* not mkstemp's 0600-only mode */
    /* An aborted write leaves the old file and no temporary. */
    netc_atomic_file f;
    assert_int_equal(netc_atomic_open(&f, path, &e), 0);
    assert_int_equal(netc_atomic_write(&f, "junk", 4, &e), 0);
    netc_atomic_abort(&f);
    assert_int_equal(count_temps(dir), 0);
    assert_int_equal(netc_npy_load(&a, path, 0, &e), 0);
    assert_true(a.data[0] == 7);
    netc_array_free(&a);
    /* Files over the caller's limit are refused before reading. */
    snprintf(path, sizeof path, "%s/w.npy", dir);
    assert_int_equal(netc_npy_load(&a, path, 4, &e), -1);
    assert_non_null(strstr(e.msg, "over the limit"));
    netc_safetensors st;
    assert_int_equal(netc_safetensors_load(&st, path, 16, &e), -1);
    assert_non_null(strstr(e.msg, "over the limit of 16 bytes"));
    /* Errors from a load name the file. */
    snprintf(path, sizeof path, "%s/missing.npy", dir);
    assert_int_equal(netc_npy_load(&a, path, 0, &e), -1);
    assert_non_null(strstr(e.msg, path));
    tmpdir_remove(dir);
}

/* Fill a 64 KiB tmpfs: the failing write must leave the old file intact and no temporary. */
static void test_atomic_enospc(void **state)
{
    (void)state;
    const char *fs = getenv("NETC_SMALLFS");
    if (!fs || !*fs) {
        print_message("skipped: NETC_SMALLFS is not set (needs a small tmpfs, mounted by suite.sh as root)\n");
        skip();
    }
    char path[4200], stpath[4200];
    snprintf(path, sizeof path, "%s/old.npy", fs);
    snprintf(stpath, sizeof stpath, "%s/old.safetensors", fs);
    float small[4] = {1, 2, 3, 4};
    int64_t n4 = 4;
    netc_file_error e;
    assert_int_equal(netc_npy_save(path, 1, &n4, small, &e), 0);
    netc_st_entry st1 = {"w", 1, &n4, small};
    assert_int_equal(netc_safetensors_save(stpath, &st1, 1, NULL, 0, &e), 0);

    int64_t big = 256 * 1024;                            /* 1 MiB of floats > 64 KiB */
    float *data = calloc((size_t)big, sizeof(float));
    assert_non_null(data);
    assert_int_equal(netc_npy_save(path, 1, &big, data, &e), -1);
    print_message("npy: %s\n", e.msg);
    assert_non_null(strstr(e.msg, strerror(ENOSPC)));
    assert_non_null(strstr(e.msg, "removed the temporary"));
    assert_non_null(strstr(e.msg, "left untouched"));
    netc_st_entry st2 = {"w", 1, &big, data};
    assert_int_equal(netc_safetensors_save(stpath, &st2, 1, NULL, 0, &e), -1);
    print_message("safetensors: %s\n", e.msg);
    assert_non_null(strstr(e.msg, strerror(ENOSPC)));
    free(data);
    assert_int_equal(count_temps(fs), 0);

    netc_array a;
    assert_int_equal(netc_npy_load(&a, path, 0, &e), 0);
    assert_int_equal(a.count, 4);
    assert_memory_equal(a.data, small, sizeof small);
    netc_array_free(&a);
    netc_safetensors st;
    assert_int_equal(netc_safetensors_load(&st, stpath, 0, &e), 0);
    float out[4];
    assert_int_equal(netc_safetensors_to_f32(&st.tensors[0], out, 4, &e), 0);
    assert_memory_equal(out, small, sizeof small);
    netc_safetensors_free(&st);
    unlink(path);
    unlink(stpath);
}

/* Write files for verify_out.py: tensor k element i = i * 0.25 - k. */
static void test_write_for_python(void **state)
{
    (void)state;
    if (!g_out) skip();
    char path[4200];
    netc_file_error e;
    float d[120];
    int64_t shapes[3][3] = {{2, 3, 4}, {5, 0, 0}, {0, 3, 0}};
    int ranks[3] = {3, 1, 2};
    for (int k = 0; k < 3; k++) {
        int64_t count = 1;
        for (int r = 0; r < ranks[k]; r++) count *= shapes[k][r];
        for (int64_t i = 0; i < count; i++) d[i] = (float)i * 0.25f - (float)k;
        snprintf(path, sizeof path, "%s/c%d.npy", g_out, k);
        if (netc_npy_save(path, ranks[k], shapes[k], d, &e)) {
            print_error("%s\n", e.msg);
            fail();
        }
    }
    snprintf(path, sizeof path, "%s/scalar.npy", g_out);
    assert_int_equal(netc_npy_save(path, 0, NULL, (float[]){42.5f}, &e), 0);

    float w[120], b[5];
    for (int i = 0; i < 120; i++) w[i] = (float)i * 0.25f;
    for (int i = 0; i < 5; i++) b[i] = (float)i * 0.25f - 1;
    netc_st_entry t[3] = {{"fc.weight", 2, (int64_t[]){5, 24}, w}, {"fc.bias", 1, (int64_t[]){5}, b},
                          {"caf\xc3\xa9 \"q\"", 0, NULL, (float[]){-2}}};
    const char *meta[] = {"producer", "netc", "epoch", "3"};
    snprintf(path, sizeof path, "%s/c.safetensors", g_out);
    if (netc_safetensors_save(path, t, 3, meta, 2, &e)) print_error("%s\n", e.msg);
    assert_int_equal(access(path, R_OK), 0);
}

/* ---- manifest-driven tests --------------------------------------------------------------- */

typedef struct row {
    char *f[16];
    int n;
} row;

static row *read_manifest(const char *name, size_t *nrows)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", g_data, name);
    FILE *fp = fopen(path, "r");
    *nrows = 0;
    if (!fp) return NULL;
    row *rows = NULL;
    size_t cap = 0;
    char line[8192];
    while (fgets(line, sizeof line, fp)) {
        line[strcspn(line, "\n")] = 0;
        if (!line[0] || line[0] == '#') continue;
        if (*nrows == cap) {
            cap = cap ? cap * 2 : 64;
            rows = realloc(rows, cap * sizeof *rows);
        }
        row *r = &rows[(*nrows)++];
        r->n = 0;
        char *save, *tok = strtok_r(line, "\t", &save);
        while (tok && r->n < 16) {
            r->f[r->n++] = strdup(tok);
            tok = strtok_r(NULL, "\t", &save);
        }
    }
    fclose(fp);
    return rows;
}

static void data_path(char *out, size_t n, const char *file)
{
    snprintf(out, n, "%s/%s", g_data, file);
}

static void check_shape(int rank, const int64_t *shape, row *r, int first)
{
    assert_int_equal(rank, atoi(r->f[first]));
    for (int k = 0; k < rank; k++) assert_int_equal(shape[k], atoll(r->f[first + 1 + k]));
}

static void test_npy_file(void **state)
{
    row *r = *state;
    char p[4200], ex[4200];
    data_path(p, sizeof p, r->f[0]);
    data_path(ex, sizeof ex, r->f[1]);
    netc_array a;
    netc_file_error e;
    if (netc_npy_load(&a, p, 0, &e)) {
        print_error("%s\n", e.msg);
        fail();
    }
    check_shape(a.rank, a.shape, r, 2);
    check_floats(a.data, ex, a.count);
    netc_array_free(&a);
}

static void test_st_file(void **state)
{
    row *r = *state;
    char p[4200];
    data_path(p, sizeof p, r->f[1]);
    netc_safetensors st;
    netc_file_error e;
    if (netc_safetensors_load(&st, p, 0, &e)) {
        print_error("%s\n", e.msg);
        fail();
    }
    if (strcmp(r->f[0], "M") == 0) {
        const char *v = netc_safetensors_meta(&st, r->f[2]);
        assert_non_null(v);
        assert_string_equal(v, r->f[3]);
    } else {
        const netc_st_tensor *t = netc_safetensors_find(&st, r->f[2]);
        assert_non_null(t);
        assert_string_equal(netc_dtype_name(t->dtype), r->f[3]);
        check_shape(t->rank, t->shape, r, 5);
        float *out = malloc((size_t)t->count * 4 + 4);
        assert_int_equal(netc_safetensors_to_f32(t, out, (size_t)t->count, &e), 0);
        char ex[4200];
        data_path(ex, sizeof ex, r->f[4]);
        check_floats(out, ex, t->count);
        free(out);
    }
    netc_safetensors_free(&st);
}

static void test_idx_file(void **state)
{
    row *r = *state;
    netc_array a;
    netc_file_error e;
    if (netc_idx_load(&a, r->f[0], 0, 0, &e)) {
        print_error("%s\n", e.msg);
        fail();
    }
    check_shape(a.rank, a.shape, r, 1);
    double sum = 0;
    for (int64_t i = 0; i < a.count; i++) sum += a.data[i];
    assert_true(sum == atof(r->f[2 + a.rank]));
    netc_array_free(&a);
    if (netc_idx_load(&a, r->f[0], NETC_IDX_SCALE_U8, 0, &e)) fail();
    float lo = 1, hi = 0;
    for (int64_t i = 0; i < a.count; i++) {
        lo = a.data[i] < lo ? a.data[i] : lo;
        hi = a.data[i] > hi ? a.data[i] : hi;
    }
    if (a.source_dtype == NETC_DT_U8 && a.rank > 1) assert_true(lo == 0.0f && hi == 1.0f);
    netc_array_free(&a);
}

static int load_kind(const char *kind, const char *path, netc_file_error *e)
{
    netc_array a;
    netc_safetensors st;
    int rc;
    if (strcmp(kind, "st") == 0) {
        rc = netc_safetensors_load(&st, path, 0, e);
        if (!rc) netc_safetensors_free(&st);
    } else if (strcmp(kind, "npy") == 0) {
        rc = netc_npy_load(&a, path, 0, e);
        if (!rc) netc_array_free(&a);
    } else {
        rc = netc_idx_load(&a, path, 0, 0, e);
        if (!rc) netc_array_free(&a);
    }
    return rc;
}

static void test_bad_file(void **state)
{
    row *r = *state;
    char p[4200];
    data_path(p, sizeof p, r->f[1]);
    netc_file_error e;
    memset(&e, 0, sizeof e);
    if (strcmp(r->f[2], "(accepted)") == 0) {           /* a valid fuzzer regression */
        if (load_kind(r->f[0], p, &e) != 0) {
            print_error("%s\n", e.msg);
            fail();
        }
        return;
    }
    if (load_kind(r->f[0], p, &e) == 0) {
        print_error("%s was accepted\n", r->f[1]);
        fail();
    }
    if (!strstr(e.msg, r->f[2]) || !strstr(e.msg, p)) {
        print_error("message \"%s\"\n  lacks \"%s\" or the path\n", e.msg, r->f[2]);
        fail();
    }
    /* The memory parser agrees (IDX: unless the file is gzip-compressed). */
    size_t len;
    char *buf = read_all(p, &len);
    assert_non_null(buf);
    netc_array a;
    netc_safetensors st;
    int rc = 0, check = 1;
    if (strcmp(r->f[0], "st") == 0) rc = netc_safetensors_parse(&st, buf, len, &e);
    else if (strcmp(r->f[0], "npy") == 0) rc = netc_npy_parse(&a, buf, len, 0, &e);
    else if (len >= 2 && (unsigned char)buf[0] == 0x1f && (unsigned char)buf[1] == 0x8b) check = 0;
    else rc = netc_idx_parse(&a, buf, len, 0, 0, &e);
    free(buf);
    if (check) {
        assert_int_equal(rc, -1);
        if (!strstr(e.msg, r->f[2])) {
            print_error("memory parser: \"%s\" lacks \"%s\"\n", e.msg, r->f[2]);
            fail();
        }
    }
}

static int run_manifest(const char *group, const char *file, CMUnitTestFunction fn, int namecol)
{
    size_t n;
    row *rows = read_manifest(file, &n);
    if (!rows) {
        printf("%s: no %s/%s, skipped\n", group, g_data, file);
        return 0;
    }
    struct CMUnitTest *tests = calloc(n, sizeof *tests);
    char **names = calloc(n, sizeof *names);
    for (size_t k = 0; k < n; k++) {
        size_t l = strlen(rows[k].f[namecol]) + 64;
        names[k] = malloc(l);
        if (namecol == 0 || rows[k].n < 3) snprintf(names[k], l, "%s", rows[k].f[namecol]);
        else snprintf(names[k], l, "%s [%s]", rows[k].f[namecol], rows[k].f[namecol + 1]);
        tests[k].name = names[k];
        tests[k].test_func = fn;
        tests[k].initial_state = &rows[k];
    }
    int failed = _cmocka_run_group_tests(group, tests, n, NULL, NULL);
    for (size_t k = 0; k < n; k++) {
        for (int j = 0; j < rows[k].n; j++) free(rows[k].f[j]);
        free(names[k]);
    }
    free(rows);
    free(names);
    free(tests);
    return failed;
}

int main(int argc, char **argv)
{
    g_data = argc > 1 ? argv[1] : NULL;
    g_out = argc > 2 ? argv[2] : NULL;
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_f16_bf16),
        cmocka_unit_test(test_st_roundtrip),
        cmocka_unit_test(test_st_writer_rejects),
        cmocka_unit_test(test_st_huge_header),
        cmocka_unit_test(test_npy_roundtrip),
        cmocka_unit_test(test_npy_fortran_memory),
        cmocka_unit_test(test_idx_memory),
        cmocka_unit_test(test_atomic_replace),
        cmocka_unit_test(test_atomic_enospc),
        cmocka_unit_test(test_write_for_python),
    };
    int failed = cmocka_run_group_tests_name("unit", unit, NULL, NULL);
    if (g_data) {
        failed += run_manifest("numpy-npy", "npy.tsv", test_npy_file, 0);
        failed += run_manifest("reference-safetensors", "st.tsv", test_st_file, 1);
        failed += run_manifest("fashion-mnist-idx", "idx.tsv", test_idx_file, 0);
        failed += run_manifest("bad-input", "bad.tsv", test_bad_file, 1);
    }
    return failed ? 1 : 0;
}
