#!/usr/bin/python3
"""gen_cmd.py OUT — the files tests/files/commands.sh feeds to the program of cmd.net.

Weights and checkpoints are written by hand in the safetensors format (8-byte header
length, JSON header, little-endian data), .npy files by numpy, IDX by hand."""
import json
import os
import struct
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
SHAPES = {'e.weight': [2, 1, 3, 3], 'e.bias': [2], 'y.weight': [2, 1, 3, 3], 'y.bias': [1]}


def p(name):
    return os.path.join(out, name)


def st(path, tensors, meta=None, dtypes=None):
    header, blobs, off = {}, [], 0
    if meta:
        header['__metadata__'] = meta
    for k, v in tensors.items():
        dt = (dtypes or {}).get(k, 'F32')
        b = np.ascontiguousarray(v, {'F32': '<f4', 'F64': '<f8', 'I32': '<i4'}[dt]).tobytes()
        header[k] = {'dtype': dt, 'shape': list(np.shape(v)), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


w = {k: (rng.standard_normal(s) * 0.3).astype(np.float32) for k, s in SHAPES.items()}
st(p('w_good.st'), w)
bad = dict(w); bad['y.weight'] = bad['y.weight'].copy(); bad['y.weight'].flat[3] = np.nan
st(p('w_nan.st'), bad)
bad = dict(w); bad['e.bias'] = np.array([0.5, np.inf], np.float32)
st(p('w_inf.st'), bad)
bad = dict(w); bad['e.weight'] = w['e.weight'].astype(np.float64); bad['e.weight'].flat[0] = 1e300
st(p('w_f64_overflow.st'), bad, dtypes={'e.weight': 'F64'})
bad = dict(w); bad['y.weight'] = np.zeros([1, 2, 3, 3], np.float32)
st(p('w_shape.st'), bad)
bad = dict(w); bad['y.weight'] = np.zeros([18], np.float32)
st(p('w_rank.st'), bad)
bad = dict(w); del bad['e.bias']
st(p('w_missing.st'), bad)
bad = dict(w); bad['zzz'] = np.zeros([2], np.float32)
st(p('w_extra.st'), bad)

# checkpoints: the parameters, Adam's moments and netc's metadata
META = {'netc.network': 'cmd', 'netc.step': '2', 'netc.epoch': '1', 'netc.position': '0', 'netc.seed': '0',
        'netc.shuffle': '1', 'netc.samples': '5', 'netc.batch': '2', 'netc.loss': 'mse'}
ck = dict(w)
for k, s in SHAPES.items():
    ck[k + '.exp_avg'] = np.zeros(s, np.float32)
    ck[k + '.exp_avg_sq'] = np.full(s, 1e-4, np.float32)
st(p('ck_good.st'), ck, META)
bad = dict(ck); bad['e.weight.exp_avg_sq'] = ck['e.weight.exp_avg_sq'].copy(); bad['e.weight.exp_avg_sq'].flat[5] = np.nan
st(p('ck_nan_opt.st'), bad, META)
st(p('ck_other_net.st'), ck, dict(META, **{'netc.network': 'other'}))
st(p('ck_position.st'), ck, dict(META, **{'netc.step': '3'}))
st(p('ck_batch.st'), ck, dict(META, **{'netc.batch': '4'}))
st(p('ck_samples.st'), ck, dict(META, **{'netc.samples': '9'}))
st(p('ck_step_text.st'), ck, dict(META, **{'netc.step': 'two'}))
bad = dict(ck); del bad['y.bias.exp_avg']
st(p('ck_missing_opt.st'), bad, META)
raw = open(p('ck_good.st'), 'rb').read()
open(p('ck_truncated.st'), 'wb').write(raw[:len(raw) - 7])

# inputs and data: [5, 1, 8, 8]
x = rng.random((5, 1, 8, 8), dtype=np.float32)
np.save(p('x.npy'), x)
np.save(p('x_f64.npy'), x.astype(np.float64))
np.save(p('x_be.npy'), x.astype('>f4'))
np.save(p('x_fortran.npy'), np.asfortranarray(x))
for name, s, e, v in (('x_nan', 3, 10, np.nan), ('x_inf', 0, 0, np.inf), ('x_ninf', 4, 63, -np.inf)):
    a = x.copy()
    a[s].flat[e] = v
    np.save(p(name + '.npy'), a)
np.save(p('x_shape.npy'), rng.random((5, 1, 8, 7), dtype=np.float32))
np.save(p('x_flat.npy'), x.reshape(5, 64))
np.save(p('x_one.npy'), x[:1])
np.save(p('x_empty.npy'), x[:0])
np.save(p('x_scalar.npy'), np.float32(1.5))
np.save(p('x_c8.npy'), x.astype(np.complex64))
open(p('x_truncated.npy'), 'wb').write(open(p('x.npy'), 'rb').read()[:-3])


def idx(shape, data, count=None):
    dims = list(shape)
    if count is not None:
        dims[0] = count
    return bytes([0, 0, 8, len(dims)]) + struct.pack('>%dI' % len(dims), *dims) + data


u8 = (x[:, 0] * 255).astype(np.uint8)
open(p('x_u8.idx'), 'wb').write(idx(u8.shape, u8.tobytes()))
open(p('x_lie.idx'), 'wb').write(idx(u8.shape, u8.tobytes(), count=6000))
open(p('junk.bin'), 'wb').write(b'neither npy nor idx\n')
