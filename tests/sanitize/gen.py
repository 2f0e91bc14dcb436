#!/usr/bin/python3
"""gen.py NETC_JSON NETWORK OUTDIR — seeded inputs for one network of `netc check --json`.

Writes OUTDIR/in_NAME.npy for every input the forward pass reads (batch + 3 samples, so
`infer` runs a full chunk and a padded one) and OUTDIR/tr_NAME.npy for every input the
loss reads (2 * batch + 3 samples, so each epoch drops a remainder and `eval` pads its
last chunk), in the network's interface layout (channels last for nhwc).  Values are
uniform in [0, 1); the targets of bce are 0/1 and of cross_entropy class indices.
Prints the train inputs' names (nothing when the network has no train block)."""
import json
import sys

import numpy as np

doc = json.load(open(sys.argv[1]))
net = next(n for n in doc['networks'] if n['name'] == sys.argv[2])
out = sys.argv[3]
rng = np.random.default_rng(11)
B = net['batch']
train = net.get('train')


def shape(inp, n):
    s = list(inp['shape'])
    if net['layout'] == 'nhwc' and len(s) >= 2:
        s = s[1:] + s[:1]
    return [n] + s


for inp in net['inputs']:
    if not inp.get('target_only'):
        np.save('%s/in_%s.npy' % (out, inp['name']), rng.random(shape(inp, B + 3), dtype=np.float32))
names = []
if train:
    for inp in net['inputs']:
        a = rng.random(shape(inp, 2 * B + 3), dtype=np.float32)
        if inp['name'] == train.get('target'):
            if train['loss'] == 'bce':
                a = (a > 0.5).astype(np.float32)
            elif train['loss'] == 'cross_entropy':
                pred = next(l for l in net['layers'] if l['name'] == train['prediction'])
                a = np.floor(a * pred['output_shape'][0]).astype(np.float32)
        np.save('%s/tr_%s.npy' % (out, inp['name']), a)
        names.append(inp['name'])
print(' '.join(names))
