#!/usr/bin/python3
"""make_corpus.py — (re)write the small seed corpora in tests/fuzz/corpus/<target>/.
The outputs are committed; rerun after changing a seed.  Seeds are tiny valid files
plus a few near-misses, so the fuzzers start from every branch of each format."""
import os
import struct

here = os.path.dirname(os.path.abspath(__file__))


def write(target, name, data):
    d = os.path.join(here, 'corpus', target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def st(header, data=b''):
    h = header.encode()
    h += b' ' * (-len(h) % 8)
    return struct.pack('<Q', len(h)) + h + data


write('fuzz_safetensors', 'f32', st('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}',
                                    struct.pack('<2f', 1.5, -2)))
write('fuzz_safetensors', 'meta', st('{"__metadata__":{"format":"pt","k\\u00e9":"v\\n"},'
                                     '"b":{"dtype":"BF16","shape":[1,2],"data_offsets":[0,4]},'
                                     '"h":{"dtype":"F16","shape":[],"data_offsets":[4,6]}}', b'\x80\x3f\x00\x40\x00\x3c'))
write('fuzz_safetensors', 'ints', st('{"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},'
                                     '"b":{"dtype":"U8","shape":[3],"data_offsets":[8,11]},'
                                     '"c":{"dtype":"BOOL","shape":[1],"data_offsets":[11,12]},'
                                     '"d":{"dtype":"F64","shape":[0,3],"data_offsets":[12,12]}}', b'\xff' * 12))
write('fuzz_safetensors', 'empty', st('{}'))
write('fuzz_safetensors', 'rank9', st('{"w":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}}', b'\0'))
write('fuzz_safetensors', 'overflow', st('{"w":{"dtype":"I32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'))
write('fuzz_safetensors', 'escapes', st('{"\\ud83d\\ude00\\t\\"":{"dtype":"I16","shape":[1],"data_offsets":[0,2]}}', b'\x01\x80'))

NPY = b'\x93NUMPY'


def npy(descr, shape, fortran, data, ver=1):
    h = ("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)).encode()
    pre = 10 if ver == 1 else 12
    h += b' ' * (-(pre + len(h) + 1) % 64) + b'\n'
    ln = struct.pack('<H', len(h)) if ver == 1 else struct.pack('<I', len(h))
    return NPY + bytes([ver, 0]) + ln + h + data


write('fuzz_npy', 'f4', npy('<f4', '(2, 2)', 'False', struct.pack('<4f', 1, 2, 3, 4)))
write('fuzz_npy', 'be_f8_fortran', npy('>f8', '(2, 3)', 'True', struct.pack('>6d', *range(6))))
write('fuzz_npy', 'u1_scalar', npy('|u1', '()', 'False', b'\x07'))
write('fuzz_npy', 'i2_v2', npy('<i2', '(3,)', 'False', b'\x01\x00\xff\xff\x00\x80', ver=2))
write('fuzz_npy', 'f2_v3', npy('<f2', '(1, 1, 2)', 'True', b'\x00\x3c\x00\x7c', ver=3))
write('fuzz_npy', 'b1_empty', npy('|b1', '(0, 4)', 'False', b''))


def idx(t, shape, data):
    return bytes([0, 0, t, len(shape)]) + struct.pack('>%dI' % len(shape), *shape) + data


write('fuzz_idx', 'u8', idx(0x08, [2, 3], bytes([0, 1, 2, 127, 128, 255])))
write('fuzz_idx', 'i8', idx(0x09, [4], b'\x80\xff\x00\x7f'))
write('fuzz_idx', 'i16', idx(0x0B, [1, 2], b'\x80\x00\x7f\xff'))
write('fuzz_idx', 'i32', idx(0x0C, [1], b'\xff\xff\xff\xfe'))
write('fuzz_idx', 'f32', idx(0x0D, [2, 1, 1], struct.pack('>2f', 0.5, -1)))
write('fuzz_idx', 'f64', idx(0x0E, [1], struct.pack('>d', 3.25)))

# fuzz_idx_file reads through zlib: the plain seeds, gzip-compressed, plus one plain.
import gzip  # noqa: E402
write('fuzz_idx_file', 'u8.gz', gzip.compress(idx(0x08, [2, 3], bytes([0, 1, 2, 127, 128, 255])), mtime=0))
write('fuzz_idx_file', 'f64.gz', gzip.compress(idx(0x0E, [1], struct.pack('>d', 3.25)), mtime=0))
write('fuzz_idx_file', 'i16_trailing.gz', gzip.compress(idx(0x0B, [1, 2], b'\x80\x00\x7f\xff\x00'), mtime=0))
write('fuzz_idx_file', 'f32', idx(0x0D, [2, 1, 1], struct.pack('>2f', 0.5, -1)))
