/* fuzz_safetensors.c — libFuzzer target for netc_safetensors_parse.  Every accepted
 * input must convert to float32, find each tensor and metadata key by name, and survive
 * a round trip through netc_safetensors_serialize with identical values. */
#include "files.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    netc_safetensors st;
    netc_file_error err;
    if (netc_safetensors_parse(&st, data, size, &err)) {
        if (!memchr(err.msg, 0, sizeof err.msg)) abort();
        return 0;
    }
    netc_st_entry *e = calloc(st.ntensors + 1, sizeof *e);
    float **vals = calloc(st.ntensors + 1, sizeof *vals);
    const char **meta = calloc(2 * st.nmeta + 1, sizeof *meta);
    for (size_t k = 0; k < st.ntensors; k++) {
        const netc_st_tensor *t = &st.tensors[k];
        if (netc_safetensors_find(&st, t->name) != t) abort();
        if (t->offset + t->nbytes > size) abort();
        vals[k] = malloc((size_t)t->count * sizeof(float) + 1);
        if (netc_safetensors_to_f32(t, vals[k], (size_t)t->count, &err)) abort();
        e[k].name = t->name;
        e[k].rank = t->rank;
        e[k].shape = t->shape;
        e[k].data = vals[k];
    }
    for (size_t k = 0; k < st.nmeta; k++) {
        if (!netc_safetensors_meta(&st, st.meta[k].key)) abort();
        meta[2 * k] = st.meta[k].key;
        meta[2 * k + 1] = st.meta[k].value;
    }
    void *buf;
    size_t len;
    if (netc_safetensors_serialize(e, st.ntensors, meta, st.nmeta, &buf, &len, &err)) abort();
    netc_safetensors again;
    if (netc_safetensors_parse(&again, buf, len, &err)) abort();
    if (again.ntensors != st.ntensors || again.nmeta != st.nmeta) abort();
    for (size_t k = 0; k < st.ntensors; k++) {
        const netc_st_tensor *t = netc_safetensors_find(&again, st.tensors[k].name);
        if (!t || t->dtype != NETC_DT_F32 || t->count != st.tensors[k].count) abort();
        if (t->nbytes && memcmp(t->data, vals[k], t->nbytes) != 0) abort();
    }
    for (size_t k = 0; k < st.nmeta; k++) {
        const char *v = netc_safetensors_meta(&again, st.meta[k].key);
        if (!v || strcmp(v, st.meta[k].value) != 0) abort();
    }
    netc_safetensors_free(&again);
    free(buf);
    for (size_t k = 0; k < st.ntensors; k++) free(vals[k]);
    free(vals);
    free(e);
    free(meta);
    netc_safetensors_free(&st);
    return 0;
}
