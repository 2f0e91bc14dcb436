#!/usr/bin/python3
"""stcheck.py FILE [FILE...] — parse safetensors files the way an independent reader
does (the format's specification, by hand, plus numpy) and print each one's netc.step.

Checks: the 8-byte little-endian header length, a JSON header that is an object, every
tensor F32 with a shape whose element count matches its data_offsets, offsets that tile
the data area exactly from 0 to the end of the file (no gap, no overlap, nothing past
the end), and every value finite.  Exit 1 with the reason on the first bad file."""
import json
import struct
import sys

import numpy as np


def check(path):
    with open(path, 'rb') as f:
        buf = f.read()
    if len(buf) < 8:
        raise ValueError('%d bytes, shorter than the header length' % len(buf))
    (n,) = struct.unpack('<Q', buf[:8])
    if 8 + n > len(buf):
        raise ValueError('header of %d bytes runs past the end (%d bytes)' % (n, len(buf)))
    hdr = json.loads(buf[8:8 + n].decode('utf-8'))
    if not isinstance(hdr, dict):
        raise ValueError('header is not a JSON object')
    meta = hdr.pop('__metadata__', {})
    data = buf[8 + n:]
    spans = []
    for name, t in hdr.items():
        if t['dtype'] != 'F32':
            raise ValueError('%s: dtype %s' % (name, t['dtype']))
        a, b = t['data_offsets']
        count = int(np.prod(t['shape'], dtype=np.int64)) if t['shape'] else 1
        if b - a != 4 * count:
            raise ValueError('%s: %d bytes for shape %s' % (name, b - a, t['shape']))
        arr = np.frombuffer(data[a:b], dtype='<f4')
        if arr.size != count:
            raise ValueError('%s: data past the end of the file' % name)
        if not np.all(np.isfinite(arr)):
            raise ValueError('%s: non-finite values' % name)
        spans.append((a, b))
    spans.sort()
    end = 0
    for a, b in spans:
        if a != end:
            raise ValueError('data offsets leave a gap or overlap at byte %d' % end)
        end = b
    if end != len(data):
        raise ValueError('data area is %d bytes, tensors cover %d' % (len(data), end))
    return meta.get('netc.step', '?')


bad = 0
for p in sys.argv[1:]:
    try:
        print(check(p))
    except Exception as e:  # noqa: BLE001 — any failure is the file's
        print('%s: %s' % (p, e), file=sys.stderr)
        bad = 1
sys.exit(bad)
