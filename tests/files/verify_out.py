#!/usr/bin/python3
"""verify_out.py OUT [PYDEPS] — check the files test_files wrote into OUT with numpy's
np.load and the reference safetensors package (tensor k element i = i * 0.25 - k).
Prints one line per check and ends with "verify: N passed, N failed"."""
import os
import sys

import numpy as np

out = sys.argv[1]
if len(sys.argv) > 2:
    sys.path.insert(0, sys.argv[2])
passed = failed = 0


def check(what, ok, detail=''):
    global passed, failed
    print('%s %s%s' % ('ok  ' if ok else 'FAIL', what, (': ' + detail) if detail else ''))
    if ok:
        passed += 1
    else:
        failed += 1


def ramp(shape, k):
    n = int(np.prod(shape)) if shape else 1
    return (np.arange(n, dtype=np.float32) * np.float32(0.25) - np.float32(k)).reshape(shape)


for k, shape in enumerate([(2, 3, 4), (5,), (0, 3)]):
    p = os.path.join(out, 'c%d.npy' % k)
    try:
        a = np.load(p)
        check('np.load %s' % p, a.dtype == np.dtype('<f4') and a.shape == shape and np.array_equal(a, ramp(shape, k)),
              '%s %s' % (a.dtype, a.shape))
    except Exception as e:  # noqa: BLE001
        check('np.load %s' % p, False, str(e))
try:
    a = np.load(os.path.join(out, 'scalar.npy'))
    check('np.load scalar.npy', a.shape == () and a == np.float32(42.5), repr(a))
except Exception as e:  # noqa: BLE001
    check('np.load scalar.npy', False, str(e))

p = os.path.join(out, 'c.safetensors')
try:
    from safetensors import safe_open
    from safetensors.numpy import load_file
except ImportError:
    print('skip: safetensors reference not importable, %s not checked' % p)
else:
    try:
        t = load_file(p)
        w = np.arange(120, dtype=np.float32).reshape(5, 24) * np.float32(0.25)
        b = np.arange(5, dtype=np.float32) * np.float32(0.25) - 1
        check('safetensors load_file fc.weight', np.array_equal(t['fc.weight'], w))
        check('safetensors load_file fc.bias', np.array_equal(t['fc.bias'], b))
        s = t['caf\u00e9 "q"']
        check('safetensors load_file unicode scalar', s.shape == () and s == -2, repr(s))
        with safe_open(p, framework='numpy') as f:
            check('safetensors metadata', f.metadata() == {'producer': 'netc', 'epoch': '3'}, repr(f.metadata()))
    except Exception as e:  # noqa: BLE001
        check('safetensors load_file %s' % p, False, str(e))
print('verify: %d passed, %d failed' % (passed, failed))
sys.exit(1 if failed else 0)
