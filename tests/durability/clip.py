#!/usr/bin/python3
"""clip.py gen DIR | check DIR CKPT CLIP — gradient clipping against PyTorch.

gen writes DIR/w0.st (initial weights), DIR/z.npy and DIR/target.npy (6 samples).
check replays 3 steps of SGD (lr 0.5) over the samples in file order, batch 2, with
torch.nn.utils.clip_grad_norm_(params, CLIP) before each step (CLIP 0: none), and
compares the parameters with the checkpoint CKPT netc wrote.  It also fails when the
clipping would not change the update (every gradient norm under CLIP), since the test
would then prove nothing."""
import json
import struct
import sys

import numpy as np
import torch


def st_read(path):
    b = open(path, 'rb').read()
    n = struct.unpack('<Q', b[:8])[0]
    h = json.loads(b[8:8 + n])
    h.pop('__metadata__', None)
    return {k: np.frombuffer(b[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]], '<f4').reshape(v['shape'])
            for k, v in h.items()}


def st_write(path, tensors):
    header, blobs, off = {}, [], 0
    for k, v in tensors.items():
        d = np.ascontiguousarray(v, '<f4').tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [off, off + len(d)]}
        blobs.append(d)
        off += len(d)
    h = json.dumps(header).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    open(path, 'wb').write(struct.pack('<Q', len(h)) + h + b''.join(blobs))


d = sys.argv[2]
if sys.argv[1] == 'gen':
    r = np.random.default_rng(4)
    st_write(d + '/w0.st', {'g.weight': (r.standard_normal((4, 2, 3, 3)) * 0.5).astype(np.float32),
                            'g.bias': (r.standard_normal(2) * 0.5).astype(np.float32)})
    np.save(d + '/z.npy', r.standard_normal((6, 4, 3, 3)).astype(np.float32))
    np.save(d + '/target.npy', r.standard_normal((6, 2, 6, 6)).astype(np.float32))
    sys.exit(0)

clip = float(sys.argv[4])
w0 = st_read(d + '/w0.st')
m = torch.nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1)
with torch.no_grad():
    m.weight.copy_(torch.from_numpy(w0['g.weight'].copy()))
    m.bias.copy_(torch.from_numpy(w0['g.bias'].copy()))
z = torch.from_numpy(np.load(d + '/z.npy'))
t = torch.from_numpy(np.load(d + '/target.npy'))
opt = torch.optim.SGD(m.parameters(), lr=0.5)
norms = []
for s in range(3):
    opt.zero_grad()
    loss = torch.nn.functional.mse_loss(m(z[2 * s:2 * s + 2]), t[2 * s:2 * s + 2])
    loss.backward()
    if clip > 0:
        norms.append(float(torch.nn.utils.clip_grad_norm_(m.parameters(), clip)))
    opt.step()
got = st_read(sys.argv[3])
err = max(float(np.max(np.abs(got['g.weight'] - m.weight.detach().numpy()))),
          float(np.max(np.abs(got['g.bias'] - m.bias.detach().numpy()))))
print('max |netc - torch| = %.3g%s' % (err, '; gradient norms before clipping %s' % ' '.join('%.4g' % n for n in norms) if norms else ''))
if clip > 0 and min(norms) <= clip:
    print('clipping is inactive at some step: the test proves nothing')
    sys.exit(1)
sys.exit(0 if err <= 2e-6 else 1)
