/* files.h — the runtime's file formats: safetensors (read/write), NumPy .npy
 * (read/write), IDX / IDX.gz (read), and atomic file replacement.
 *
 * Conventions (shared by every function here):
 *   - Every function that can fail returns 0 on success and -1 on failure, and fills
 *     the caller's netc_file_error with one line saying what went wrong (naming the
 *     file when a path is involved).  Nothing is printed, nothing exits.
 *   - The *_parse functions read a memory buffer (no files, for fuzzers and tests);
 *     the *_load functions read a path and prefix their messages with "PATH: ".
 *   - Readers refuse declared sizes larger than `max_bytes` (0 = NETC_FILES_MAX_BYTES)
 *     before allocating anything; the limit applies to the bytes a reader allocates
 *     (the file for safetensors, the float32 output for .npy and IDX).
 *   - Writers replace their target atomically (see netc_atomic_*): on any error the
 *     old file is left untouched and the temporary file is removed.
 *   - Numeric data is converted to float32 in C (row-major) order.
 *
 * Link with libnetcfiles.a and -lz.
 */
#ifndef NETC_FILES_H
#define NETC_FILES_H

#include <stddef.h>
#include <stdint.h>

#define NETC_FILES_MAXRANK   8                     /* largest rank any reader accepts  */
#define NETC_FILES_MAX_BYTES ((size_t)1 << 32)      /* default allocation cap (4 GiB)   */
#define NETC_ST_MAX_HEADER   ((size_t)100 << 20)    /* safetensors JSON header cap      */

typedef struct netc_file_error {
    char msg[512];
} netc_file_error;

/* Element types of the formats (not every format has every type). */
typedef enum netc_dtype {
    NETC_DT_INVALID = 0,
    NETC_DT_BOOL, NETC_DT_U8, NETC_DT_I8, NETC_DT_U16, NETC_DT_I16,
    NETC_DT_U32, NETC_DT_I32, NETC_DT_U64, NETC_DT_I64,
    NETC_DT_F16, NETC_DT_BF16, NETC_DT_F32, NETC_DT_F64
} netc_dtype;

size_t      netc_dtype_size(netc_dtype t);        /* bytes per element, 0 if invalid */
const char *netc_dtype_name(netc_dtype t);        /* safetensors spelling: "F32", ... */

/* Convert `count` little-endian (big_endian = 0) or big-endian elements of type `t`
 * at `src` to float32.  Unaligned sources are fine. */
int netc_convert_to_f32(netc_dtype t, int big_endian, const void *src, size_t count,
                        float *dst, netc_file_error *err);

/* A dense float32 array owned by the caller once returned (free with netc_array_free). */
typedef struct netc_array {
    int        rank;
    int64_t    shape[NETC_FILES_MAXRANK];
    int64_t    count;          /* product of shape (1 for rank 0)                     */
    float     *data;           /* count floats, C order; malloc'd                      */
    netc_dtype source_dtype;   /* what the file stored                                 */
} netc_array;

void netc_array_free(netc_array *a);

/* ---- safetensors ------------------------------------------------------------------ */

typedef struct netc_st_tensor {
    const char *name;          /* UTF-8, NUL-terminated, no embedded NUL              */
    netc_dtype  dtype;
    int         rank;
    int64_t     shape[NETC_FILES_MAXRANK];
    int64_t     count;
    size_t      offset;        /* of the data from the start of the file/buffer       */
    size_t      nbytes;
    const void *data;          /* little-endian elements, not necessarily aligned     */
} netc_st_tensor;

typedef struct netc_st_meta {
    const char *key, *value;
} netc_st_meta;

typedef struct netc_safetensors {
    size_t          ntensors;
    netc_st_tensor *tensors;   /* in header order                                    */
    size_t          nmeta;
    netc_st_meta   *meta;      /* "__metadata__" entries, in header order            */
    /* private */
    void *owned_buf;           /* the file's bytes when loaded by path                */
    char *strings;             /* names, keys and values                              */
} netc_safetensors;

/* Parse a whole safetensors buffer.  Tensor data pointers point into `buf`, which must
 * outlive `st`.  Header errors name the byte offset in the header. */
int  netc_safetensors_parse(netc_safetensors *st, const void *buf, size_t len,
                            netc_file_error *err);
/* Read PATH (at most max_bytes, 0 = default) and parse it; st owns the bytes. */
int  netc_safetensors_load(netc_safetensors *st, const char *path, size_t max_bytes,
                           netc_file_error *err);
void netc_safetensors_free(netc_safetensors *st);

const netc_st_tensor *netc_safetensors_find(const netc_safetensors *st, const char *name);
const char           *netc_safetensors_meta(const netc_safetensors *st, const char *key);
/* Convert a tensor (F32, F64, F16, BF16, or an integer/bool type) to float32;
 * `count` must equal t->count. */
int  netc_safetensors_to_f32(const netc_st_tensor *t, float *out, size_t count,
                             netc_file_error *err);

/* A float32 tensor to write. */
typedef struct netc_st_entry {
    const char    *name;
    int            rank;
    const int64_t *shape;
    const float   *data;       /* product(shape) floats                               */
} netc_st_entry;

/* Serialise to a malloc'd buffer (*out, *outlen); meta_kv holds nmeta key/value pairs
 * as 2*nmeta strings (may be NULL when nmeta is 0). */
int netc_safetensors_serialize(const netc_st_entry *t, size_t n,
                               const char *const *meta_kv, size_t nmeta,
                               void **out, size_t *outlen, netc_file_error *err);
/* Write PATH atomically. */
int netc_safetensors_save(const char *path, const netc_st_entry *t, size_t n,
                          const char *const *meta_kv, size_t nmeta, netc_file_error *err);

/* ---- NumPy .npy ------------------------------------------------------------------- */

/* Versions 1.0, 2.0, 3.0; dtypes b1 u1 i1 u2 i2 u4 i4 u8 i8 f2 f4 f8 in either byte
 * order.  Fortran-order arrays are transposed into C order (the result is the array
 * numpy would give, not its memory). */
int netc_npy_parse(netc_array *a, const void *buf, size_t len, size_t max_bytes,
                   netc_file_error *err);
int netc_npy_load(netc_array *a, const char *path, size_t max_bytes, netc_file_error *err);
/* Write a '<f4' C-order array as a version 1.0 file (header padded to 64 bytes). */
int netc_npy_serialize(int rank, const int64_t *shape, const float *data,
                       void **out, size_t *outlen, netc_file_error *err);
int netc_npy_save(const char *path, int rank, const int64_t *shape, const float *data,
                  netc_file_error *err);

/* ---- IDX (MNIST) ------------------------------------------------------------------ */

#define NETC_IDX_SCALE_U8 1    /* flag: map u8 elements to [0,1] (x / 255)           */

/* Uncompressed IDX in memory. */
int netc_idx_parse(netc_array *a, const void *buf, size_t len, int flags, size_t max_bytes,
                   netc_file_error *err);
/* PATH may be plain or gzip-compressed (detected from its content, via zlib's gz API). */
int netc_idx_load(netc_array *a, const char *path, int flags, size_t max_bytes,
                  netc_file_error *err);

/* ---- atomic replacement ----------------------------------------------------------- */

/* Writes go to an unnamed O_TMPFILE in PATH's directory (else to "PATH.tmp-XXXXXX");
 * commit fsyncs it, links it as "PATH.tmp-XXXXXX", renames it over PATH and fsyncs the
 * directory (atomicfile.c).  Any failing call removes the temporary (and says so);
 * after a failure only netc_atomic_abort (a no-op then) may follow. */
typedef struct netc_atomic_file {
    int   fd;
    char *path;
    char *tmp;
} netc_atomic_file;

int  netc_atomic_open(netc_atomic_file *f, const char *path, netc_file_error *err);
int  netc_atomic_write(netc_atomic_file *f, const void *buf, size_t len, netc_file_error *err);
int  netc_atomic_commit(netc_atomic_file *f, netc_file_error *err);
void netc_atomic_abort(netc_atomic_file *f);
int  netc_write_file_atomic(const char *path, const void *buf, size_t len,
                            netc_file_error *err);

/* Read a whole file into a malloc'd buffer (refusing files over max_bytes, 0 = default). */
int netc_read_file(const char *path, size_t max_bytes, void **out, size_t *outlen,
                   netc_file_error *err);

#endif
