#!/usr/bin/python3
"""gen_data.py DIR [PYDEPS] — make the test data of tests/files in DIR.

Writes, each with a manifest read by test_files.c:
  npy.tsv  .npy files saved by numpy (many dtypes, shapes, both orders and byte orders,
           format versions 1.0/2.0/3.0) and the float32 C-order values numpy expects;
  st.tsv   .safetensors files saved by the reference `safetensors` package (through
           PyTorch and numpy) and their float32 values; the package is imported, or
           installed from PyPI into PYDEPS when missing; without it st.tsv is not written;
  idx.tsv  the Debian dataset-fashion-mnist IDX files with shapes and pixel sums
           computed here with gzip + numpy;
  bad.tsv  hostile files, each with the message substring its rejection must contain.
Prints one line per oracle saying what it made, or why it could not."""
import gzip
import os
import struct
import subprocess
import sys

import numpy as np

out = sys.argv[1]
pydeps = sys.argv[2] if len(sys.argv) > 2 else None
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1234)


def f32_bytes(arr):
    return np.ascontiguousarray(np.asarray(arr).astype('<f4')).tobytes()


def dims(shape):
    return '\t'.join([str(len(shape))] + [str(d) for d in shape])


# ---- numpy -----------------------------------------------------------------------------
def values(dt, shape):
    dt = np.dtype(dt)
    n = int(np.prod(shape)) if shape else 1
    if dt.kind == 'b':
        v = rng.integers(0, 2, n).astype(bool)
    elif dt.kind in 'iu':
        info = np.iinfo(dt)
        v = rng.integers(info.min, info.max, n, dtype=np.int64 if dt.kind == 'i' else np.uint64,
                         endpoint=True)
    else:
        v = rng.standard_normal(n) * 100
        if n >= 4:
            v[:4] = [np.inf, -0.0, 1e-7, 65504 if dt.itemsize == 2 else 1e30]
    return v.astype(dt).reshape(shape)


npy_rows = []
dtypes = ['<f4', '>f4', '<f8', '>f8', '<f2', '>f2', '|u1', '|i1', '<i2', '>i2', '<u2',
          '<i4', '>i4', '>u4', '<i8', '>i8', '<u8', '|b1']
shapes = [(), (0,), (1,), (7,), (3, 4), (2, 3, 4), (2, 1, 3, 2), (4, 0, 3)]
for dt in dtypes:
    for shape in shapes:
        for order in ('C', 'F'):
            if order == 'F' and len(shape) < 2:
                continue
            a = np.asarray(values(dt, shape), order=order)
            name = 'np_%s_%s_%s' % (dt.replace('<', 'le').replace('>', 'be').replace('|', 'na'),
                                    'x'.join(map(str, shape)) or 'scalar', order)
            np.save(os.path.join(out, name + '.npy'), a)
            with open(os.path.join(out, name + '.f32'), 'wb') as f:
                f.write(f32_bytes(a))
            npy_rows.append('%s.npy\t%s.f32\t%s' % (name, name, dims(shape)))
for ver in [(1, 0), (2, 0), (3, 0)]:
    a = np.asfortranarray(values('>f8', (3, 5, 2)))
    name = 'np_version_%d_%d' % ver
    with open(os.path.join(out, name + '.npy'), 'wb') as f:
        np.lib.format.write_array(f, a, version=ver)
    with open(os.path.join(out, name + '.f32'), 'wb') as f:
        f.write(f32_bytes(a))
    npy_rows.append('%s.npy\t%s.f32\t%s' % (name, name, dims(a.shape)))
# A non-contiguous view and a transposed array: numpy decides the stored order.
for name, a in [('np_view', np.arange(60, dtype='<i4').reshape(6, 10)[::2, 1::3]),
                ('np_transposed', np.arange(24, dtype='<f4').reshape(2, 3, 4).transpose(2, 0, 1))]:
    np.save(os.path.join(out, name + '.npy'), a)
    with open(os.path.join(out, name + '.f32'), 'wb') as f:
        f.write(f32_bytes(a))
    npy_rows.append('%s.npy\t%s.f32\t%s' % (name, name, dims(a.shape)))
with open(os.path.join(out, 'npy.tsv'), 'w') as f:
    f.write('\n'.join(npy_rows) + '\n')
print('numpy %s: %d .npy files' % (np.__version__, len(npy_rows)))


# ---- safetensors (reference implementation) ----------------------------------------------
def import_safetensors():
    try:
        import safetensors  # noqa: F401
        return None
    except ImportError:
        pass
    if not pydeps:
        return 'not installed and no PYDEPS directory given'
    sys.path.insert(0, pydeps)
    try:
        import safetensors  # noqa: F401
        return None
    except ImportError:
        pass
    r = subprocess.run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--target',
                        pydeps, 'safetensors'], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        return 'pip install safetensors failed: ' + (r.stderr.strip().splitlines() or ['?'])[-1]
    import importlib
    importlib.invalidate_caches()
    try:
        import safetensors  # noqa: F401
        return None
    except ImportError as e:
        return str(e)


why = import_safetensors()
if why:
    print('safetensors reference unavailable (%s): st.tsv not written' % why)
else:
    import safetensors
    import torch
    from safetensors.numpy import save_file as np_save_file
    from safetensors.torch import save_file as torch_save_file
    st_rows = []
    g = torch.Generator().manual_seed(5)

    def tensor(dtype, shape):
        if dtype == torch.bool:
            return torch.randint(0, 2, shape, generator=g).bool()
        if not dtype.is_floating_point:
            info = torch.iinfo(dtype)
            return torch.randint(max(info.min, -2**40), min(info.max, 2**40), shape, generator=g,
                                 dtype=torch.int64).to(dtype)
        return (torch.randn(shape, generator=g, dtype=torch.float64) * 10).to(dtype)

    tdt = {torch.float32: 'F32', torch.float64: 'F64', torch.float16: 'F16',
           torch.bfloat16: 'BF16', torch.int8: 'I8', torch.uint8: 'U8', torch.int16: 'I16',
           torch.int32: 'I32', torch.int64: 'I64', torch.bool: 'BOOL'}
    files = {
        'st_mixed': ({'conv1.weight': tensor(torch.float32, (8, 3, 3, 3)),
                      'conv1.bias': tensor(torch.float32, (8,)),
                      'fc.weight': tensor(torch.float16, (10, 32)),
                      'fc.bias': tensor(torch.bfloat16, (10,)),
                      'running_var': tensor(torch.float64, (4, 2)),
                      'step': tensor(torch.int64, ()),
                      'empty': tensor(torch.float32, (0, 5)),
                      'caf\u00e9/\u6f22\u5b57 "quoted"': tensor(torch.int8, (3,))},
                     {'format': 'pt', 'producer': 'torch ' + torch.__version__}),
        'st_ints': ({'i16': tensor(torch.int16, (5, 2)), 'i32': tensor(torch.int32, (7,)),
                     'u8': tensor(torch.uint8, (2, 2, 2)), 'b': tensor(torch.bool, (6,))}, None),
        'st_single': ({'w': tensor(torch.float32, (1,))}, {}),
    }
    for fname, (ts, meta) in files.items():
        torch_save_file(ts, os.path.join(out, fname + '.safetensors'), metadata=meta)
        for k, (name, t) in enumerate(ts.items()):
            ex = '%s.%d.f32' % (fname, k)
            with open(os.path.join(out, ex), 'wb') as f:
                f.write(f32_bytes(t.to(torch.float32).numpy()))
            st_rows.append('T\t%s.safetensors\t%s\t%s\t%s\t%s' % (fname, name, tdt[t.dtype], ex,
                                                                 dims(tuple(t.shape))))
        for key, value in (meta or {}).items():
            st_rows.append('M\t%s.safetensors\t%s\t%s' % (fname, key, value))
    # The numpy front end of the reference, with its own dtypes.
    arrs = {'a': values('<u2', (3, 3)), 'b': values('<u4', (4,)), 'c': values('<u8', (2,)),
            'd': values('<f8', (2, 2, 2))}
    np_save_file(arrs, os.path.join(out, 'st_numpy.safetensors'), metadata={'k': 'v'})
    for k, (name, a) in enumerate(arrs.items()):
        ex = 'st_numpy.%d.f32' % k
        with open(os.path.join(out, ex), 'wb') as f:
            f.write(f32_bytes(a))
        st_rows.append('T\tst_numpy.safetensors\t%s\t%s\t%s\t%s' % (
            name, {'<u2': 'U16', '<u4': 'U32', '<u8': 'U64', '<f8': 'F64'}[a.dtype.str], ex, dims(a.shape)))
    st_rows.append('M\tst_numpy.safetensors\tk\tv')
    with open(os.path.join(out, 'st.tsv'), 'w') as f:
        f.write('\n'.join(st_rows) + '\n')
    print('safetensors %s (reference implementation) + torch %s: %d checks'
          % (safetensors.__version__, torch.__version__, len(st_rows)))

# ---- Fashion-MNIST -----------------------------------------------------------------------
fm = '/usr/share/datasets/fashion-mnist'
idx_rows = []
for name in ['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte.gz',
             't10k-images-idx3-ubyte.gz', 't10k-labels-idx1-ubyte.gz']:
    p = os.path.join(fm, name)
    if not os.path.exists(p):
        continue
    raw = gzip.open(p).read()
    rank = raw[3]
    shape = struct.unpack('>%dI' % rank, raw[4:4 + 4 * rank])
    data = np.frombuffer(raw, np.uint8, offset=4 + 4 * rank)
    idx_rows.append('%s\t%s\t%d' % (p, dims(shape), int(data.astype(np.int64).sum())))
if idx_rows:
    with open(os.path.join(out, 'idx.tsv'), 'w') as f:
        f.write('\n'.join(idx_rows) + '\n')
    # An uncompressed copy too (the gz API reads plain files).
    raw = gzip.open(os.path.join(fm, 't10k-labels-idx1-ubyte.gz')).read()
    with open(os.path.join(out, 't10k-labels.idx'), 'wb') as f:
        f.write(raw)
    data = np.frombuffer(raw, np.uint8, offset=8)
    with open(os.path.join(out, 'idx.tsv'), 'a') as f:
        f.write('%s\t1\t%d\t%d\n' % (os.path.join(out, 't10k-labels.idx'), len(data), int(data.sum())))
    print('fashion-mnist: %d IDX files' % (len(idx_rows) + 1))
else:
    print('fashion-mnist: not installed (apt-get install dataset-fashion-mnist)')

# ---- hostile files -------------------------------------------------------------------------
bad = []


def put(kind, name, data, expect):
    with open(os.path.join(out, name), 'wb') as f:
        f.write(data)
    bad.append('%s\t%s\t%s' % (kind, name, expect))


def st(header, data=b'', raw_len=None):
    h = header if isinstance(header, bytes) else header.encode()
    return struct.pack('<Q', len(h) if raw_len is None else raw_len) + h + data


F = '{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'
put('st', 'st_empty', b'', 'too short for the 8-byte header length')
put('st', 'st_short', b'\x10\x00\x00', 'too short for the 8-byte header length')
put('st', 'st_hlen_past_end', st(F, b'\0' * 8, raw_len=1000), 'header length 1000 is past the end')
put('st', 'st_hlen_2_63', st(F, b'\0' * 8, raw_len=2**63), 'is past the end of the file')
put('st', 'st_not_json', st('hello'), 'unexpected character')
put('st', 'st_array_root', st('[]'), 'is not an object')
put('st', 'st_truncated_json', st('{"w":{"dtype":'), 'unexpected end of header')
put('st', 'st_trailing_json', st('{} x'), 'trailing characters after the JSON object')
put('st', 'st_offsets_past_end', st('{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}', b'\0' * 8),
    'out of range: the data section holds 8 bytes')
put('st', 'st_offsets_reversed', st('{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', b'\0' * 8),
    'end before they begin')
put('st', 'st_offsets_mismatch', st('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', b'\0' * 8),
    'span 8 bytes but F32 of shape 3 needs 12')
put('st', 'st_overlap', st('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},'
                           '"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', b'\0' * 12), 'overlap')
put('st', 'st_gap', st('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b'\0' * 8),
    'gap of 4 unused bytes')
put('st', 'st_trailing_data', st(F, b'\0' * 9), '1 bytes of trailing data after the last tensor')
put('st', 'st_duplicate_name', st('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                  '"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', b'\0' * 8),
    'duplicate tensor name "w"')
put('st', 'st_name_not_utf8', st(b'{"w\xff":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b'\0' * 8),
    'not valid UTF-8')
put('st', 'st_name_overlong_utf8', st(b'{"\xc0\xaf":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b'\0' * 8),
    'not valid UTF-8')
put('st', 'st_name_surrogate_utf8', st(b'{"\xed\xa0\x80":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b'\0' * 8),
    'not valid UTF-8')
put('st', 'st_lone_surrogate', st('{"\\ud800x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b'\0' * 8),
    'lone high surrogate')
put('st', 'st_unknown_dtype', st('{"w":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}', b'\0' * 8),
    'unknown dtype "F8_E4M3"')
put('st', 'st_dtype_lowercase', st('{"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}', b'\0' * 8),
    'unknown dtype "f32"')
put('st', 'st_shape_overflow', st('{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],'
                                  '"data_offsets":[0,8]}}', b'\0' * 8), 'shape overflows')
put('st', 'st_shape_negative', st('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', b'\0' * 8),
    'shape entries must be non-negative integers')
put('st', 'st_shape_fraction', st('{"w":{"dtype":"F32","shape":[2.0],"data_offsets":[0,8]}}', b'\0' * 8),
    'shape entries must be non-negative integers')
put('st', 'st_rank_9', st('{"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,2],"data_offsets":[0,8]}}', b'\0' * 8),
    'rank over 8')
put('st', 'st_missing_dtype', st('{"w":{"shape":[2],"data_offsets":[0,8]}}', b'\0' * 8), 'missing "dtype"')
put('st', 'st_unknown_key', st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"x":1}}', b'\0' * 8),
    'unknown key "x"')
put('st', 'st_duplicate_key', st('{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b'\0' * 8),
    'duplicate key "dtype"')
put('st', 'st_three_offsets', st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8,8]}}', b'\0' * 8),
    'exactly two integers')
put('st', 'st_offset_u64_overflow', st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}}',
                                       b'\0' * 8), 'data_offsets must be non-negative integers')
put('st', 'st_meta_not_string', st('{"__metadata__":{"epoch":3}}'), 'value is not a string')
put('st', 'st_meta_duplicate', st('{"__metadata__":{},"__metadata__":{}}'), 'duplicate "__metadata__"')
put('st', 'st_meta_duplicate_key', st('{"__metadata__":{"a":"1","a":"2"}}'), 'duplicate key "a"')
put('st', 'st_deep_nesting', st('{"w":' + '[' * 40 + ']' * 40 + '}'), 'nested too deeply')
put('st', 'st_control_char', st('{"a\tb":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b'\0' * 8),
    'control character in a string')
put('st', 'st_leading_zero', st('{"w":{"dtype":"F32","shape":[02],"data_offsets":[0,8]}}', b'\0' * 8),
    'leading zero')
put('st', 'st_nul_in_name', st('{"a\\u0000b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b'\0' * 8),
    '\\u0000 in a key')
put('st', 'st_entry_not_object', st('{"w":[1,2]}'), 'entry is not an object')
put('st', 'st_bad_escape', st('{"a\\qb":{}}'), 'unknown escape')
put('st', 'st_unterminated_string', st('{"abc'), 'unterminated string')

NPY_MAGIC = b'\x93NUMPY'


def npy(header, data=b'', ver=(1, 0)):
    h = header.encode('latin1') + b'\n'
    if ver[0] == 1:
        return NPY_MAGIC + bytes(ver) + struct.pack('<H', len(h)) + h + data
    return NPY_MAGIC + bytes(ver) + struct.pack('<I', len(h)) + h + data


def hdr(descr="'<f4'", fortran='False', shape='(2,)'):
    return "{'descr': %s, 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


good = os.path.join(out, 'np_lef4_3x4_C.npy')
put('npy', 'npy_empty', b'', 'not a .npy file')
put('npy', 'npy_bad_magic', b'\x93NUMPZ\x01\x00' + b'\0' * 20, 'bad magic')
put('npy', 'npy_version_4', npy(hdr(), b'\0' * 8, ver=(4, 0)), 'unsupported .npy version 4.0')
put('npy', 'npy_version_1_1', npy(hdr(), b'\0' * 8, ver=(1, 1)), 'unsupported .npy version 1.1')
put('npy', 'npy_hlen_past_end', NPY_MAGIC + b'\x01\x00\xff\xff{}', 'past the end of the file')
put('npy', 'npy_v2_hlen_past_end', NPY_MAGIC + b'\x02\x00\xff\xff\xff\x7f{}', 'past the end of the file')
raw = open(good, 'rb').read()
put('npy', 'npy_truncated_data', raw[:-5], 'file holds 43')
put('npy', 'npy_trailing_data', raw + b'\0\0\0', '3 bytes of trailing data after the array')
put('npy', 'npy_complex', npy(hdr("'<c8'"), b'\0' * 16), "unsupported dtype '<c8'")
put('npy', 'npy_object', npy(hdr("'|O'"), b'\0' * 16), "unsupported dtype '|O'")
put('npy', 'npy_unicode', npy(hdr("'<U3'"), b'\0' * 24), "unsupported dtype '<U3'")
put('npy', 'npy_pipe_f4', npy(hdr("'|f4'"), b'\0' * 8), "unsupported dtype '|f4'")
put('npy', 'npy_structured', npy(hdr("[('a', '<f4')]"), b'\0' * 8), 'structured dtypes')
put('npy', 'npy_shape_overflow', npy(hdr(shape='(4294967296, 4294967296, 4294967296)')), 'shape overflows')
put('npy', 'npy_huge_declared', npy(hdr(shape='(1000000000000,)'), b'\0' * 8),
    'header declares shape 1000000000000 of 4-byte elements = 4000000000000 bytes, file holds 8')
put('npy', 'npy_missing_shape', npy("{'descr': '<f4', 'fortran_order': False}"), "lacks 'shape'")
put('npy', 'npy_tuple_no_comma', npy(hdr(shape='(2)'), b'\0' * 8), 'needs a trailing comma')
put('npy', 'npy_rank_9', npy(hdr(shape='(1, 1, 1, 1, 1, 1, 1, 1, 2)'), b'\0' * 8), 'rank over 8')
put('npy', 'npy_fortran_maybe', npy(hdr(fortran='Maybe'), b'\0' * 8), "'fortran_order' must be True or False")
put('npy', 'npy_unknown_key', npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", b'\0' * 8),
    "unknown header key 'x'")
put('npy', 'npy_duplicate_key', npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
                                    b'\0' * 8), "duplicate key 'descr'")
put('npy', 'npy_negative_dim', npy(hdr(shape='(-2,)'), b'\0' * 8), 'non-negative integers')
put('npy', 'npy_garbage_after_dict', npy(hdr() + ' junk', b'\0' * 8), 'unexpected characters after the header')
put('npy', 'npy_fortran_truncated', npy(hdr(fortran='True', shape='(3, 4)'), b'\0' * 40),
    'header declares shape 3\u00d74 of 4-byte elements = 48 bytes, file holds 40')


def idx(type_code, shape, data, magic0=0):
    return bytes([magic0, 0, type_code, len(shape)]) + struct.pack('>%dI' % len(shape), *shape) + data


t10k = os.path.join(fm, 't10k-images-idx3-ubyte.gz')
if os.path.exists(t10k):
    images = gzip.open(t10k).read()
    lying = images[:4] + struct.pack('>I', 60000) + images[8:]
    put('idx', 'idx_lying_count', lying, 'header declares 60000\u00d728\u00d728 = 47040000 bytes, file holds 7840000')
    put('idx', 'idx_lying_count.gz', gzip.compress(lying, 1),
        'header declares 60000\u00d728\u00d728 = 47040000 bytes, file holds 7840000')
    put('idx', 'idx_truncated_gzip.gz', gzip.compress(images[:100000], 1)[:-1000], 'unexpected end of file')
put('idx', 'idx_empty', b'', 'too short for the IDX magic')
put('idx', 'idx_bad_magic', idx(0x08, [2], b'\0\0', magic0=1), 'bad magic 01 00 08 01')
put('idx', 'idx_unknown_type', idx(0x0A, [2], b'\0\0'), 'unknown element type 0x0A')
put('idx', 'idx_rank_0', idx(0x08, [], b''), 'rank 0 is not allowed')
put('idx', 'idx_rank_9', idx(0x08, [1] * 9, b'\0'), 'rank 9 is over the supported 8')
put('idx', 'idx_truncated_dims', bytes([0, 0, 8, 3, 0, 0, 0, 2, 0, 0]), 'file ends inside the dimensions')
put('idx', 'idx_short_data', idx(0x0C, [2, 3], b'\0' * 20), 'header declares 2\u00d73 = 24 bytes, file holds 20')
put('idx', 'idx_trailing', idx(0x08, [2, 3], b'\0' * 7), '1 bytes of trailing data after the 2\u00d73 elements')
put('idx', 'idx_trailing.gz', gzip.compress(idx(0x08, [2, 3], b'\0' * 9)), '3 bytes of trailing data')
put('idx', 'idx_size_overflow', idx(0x0E, [0xffffffff] * 3, b''), 'overflow 64 bits')
put('idx', 'idx_over_limit', idx(0x08, [65536, 65536, 65536], b'\0' * 16), 'over the limit of')
put('idx', 'idx_f64_short', idx(0x0E, [3], b'\0' * 16), 'header declares 3 = 24 bytes, file holds 16')
put('idx', 'idx_gzip_garbage.gz', b'\x1f\x8b\x08\x00' + b'\xff' * 40, 'gzip error while reading the magic')

# Regression inputs found by the fuzzers (tests/fuzz): see tests/fuzz/regressions.py.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fuzz'))
try:
    import regressions
    for kind, name, data, expect in regressions.CASES:
        put(kind, name, data, expect)
except ImportError:
    pass

with open(os.path.join(out, 'bad.tsv'), 'w') as f:
    f.write('\n'.join(bad) + '\n')
print('hostile files: %d' % len(bad))
