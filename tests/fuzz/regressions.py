"""regressions.py — inputs the fuzzers (tests/fuzz) turned up, replayed by the
bad-input suite of tests/files (gen_data.py imports CASES).  Each case is
(kind, file name, bytes, expected message substring); "(accepted)" means the input is
valid and must load.  Add every new crash here with the message it must now give."""
import struct


def _idx(t, shape, data=b''):
    return bytes([0, 0, t, len(shape)]) + struct.pack('>%dI' % len(shape), *shape) + data


def _npy(header, data=b''):
    h = header.encode() + b'\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h + data


CASES = [
    # fuzz_idx: a zero dimension beside huge ones (count 0, but the product of the other
    # dimensions overflows); the harness's own size check overflowed.  Valid, empty.
    ('idx', 'fuzz_idx_zero_dim_huge_rest', _idx(0x08, [0, 3187671294, 4294967041]), '(accepted)'),
    # Same shape in a Fortran-order .npy (the transposition's strides would overflow).
    ('npy', 'fuzz_npy_zero_dim_fortran',
     _npy("{'descr': '<f8', 'fortran_order': True, 'shape': (0, 4294967296, 4294967296, 8), }"),
     '(accepted)'),
    # fuzz_npy: a huge first dimension before a zero one (count 0): the parser accepted
    # it, but writing it back failed, because the writer bounded the running product
    # before the zero.  Valid, empty, and it must round-trip.
    ('npy', 'fuzz_npy_huge_then_zero_dim',
     _npy("{'descr': '<f2', 'fortran_order': True, 'shape': (8888888888888888880, 0, 2), }"),
     '(accepted)'),
]
