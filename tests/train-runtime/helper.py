"""helper.py — data and oracles for tests/train-runtime/suite.sh.

  helper.py gen DIR            data sets for the lin fixture and the autoencoder
  helper.py step1 W X T SEED   the lin fixture's weights after one SGD step on the
                               first batch of epoch 0 of the documented shuffle
  helper.py mse W X T          mean squared error of the lin fixture over a data set
  helper.py meta W KEY         one __metadata__ value of a safetensors file
  helper.py epochmeans CSV     mean loss of the first and the last epoch of a log
"""
import gzip
import json
import struct
import sys

import numpy as np

MASK = (1 << 64) - 1


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def epoch_order(n, seed, epoch):
    """The order runtime/train.c documents: Fisher-Yates driven by splitmix64."""
    perm = list(range(n))
    s = (seed ^ ((0xD1B54A32D192ED03 * (epoch + 1)) & MASK)) & MASK
    for i in range(n - 1, 0, -1):
        bound = i + 1
        threshold = ((1 << 64) - bound) % bound
        while True:
            s, r = splitmix64(s)
            if r >= threshold:
                break
        j = r % bound
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def read_st(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    meta = h.pop("__metadata__", {})
    out = {}
    for k, v in h.items():
        a, e = v["data_offsets"]
        out[k] = np.frombuffer(b[8 + n + a:8 + n + e], dtype="<f4").reshape(v["shape"])
    return out, meta


def write_st(path, tensors):
    head, off, blobs = {}, 0, []
    for k, v in tensors.items():
        b = np.ascontiguousarray(v, dtype="<f4").tobytes()
        head[k] = {"dtype": "F32", "shape": list(v.shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blobs.append(b)
    h = json.dumps(head).encode()
    h += b" " * (-len(h) % 8)
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def idx_bytes(arr):
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(struct.pack(">I", d) for d in arr.shape)
    return head + arr.astype(np.uint8).tobytes()


def gen(d):
    r = np.random.default_rng(7)
    n = 203
    x = r.uniform(-1, 1, (n, 1, 4, 4)).astype(np.float32)
    w = r.uniform(-1, 1, 16).astype(np.float32)
    t = (x.reshape(n, 16) @ w + 0.3).reshape(n, 1).astype(np.float32)
    np.save(f"{d}/x.npy", x)
    np.save(f"{d}/t.npy", t)
    write_st(f"{d}/w0.st", {"fc.weight": r.uniform(-0.3, 0.3, (1, 16)).astype(np.float32),
                            "fc.bias": np.array([0.1], np.float32)})
    np.save(f"{d}/xt.npy", x[:37])
    np.save(f"{d}/tt.npy", t[:37])
    np.save(f"{d}/t_short.npy", t[:202])
    bad = x.copy()
    bad[5, 0, 2, 1] = np.nan
    np.save(f"{d}/x_nan.npy", bad)
    huge = x.copy()
    huge[16:] = 1e30                      # steps 1 and 2 (file order) are fine, step 3 overflows
    np.save(f"{d}/x_huge.npy", huge)
    np.save(f"{d}/x17.npy", r.uniform(-1, 1, (n, 17)).astype(np.float32))
    np.save(f"{d}/x16.npy", x.reshape(n, 16))
    raw = open(f"{d}/x.npy", "rb").read()
    open(f"{d}/x_trunc.npy", "wb").write(raw[:len(raw) // 2])
    u8 = r.integers(0, 256, (n, 4, 4)).astype(np.uint8)
    with gzip.open(f"{d}/x-ubyte.gz", "wb") as f:
        f.write(idx_bytes(u8))
    np.save(f"{d}/x_u8.npy", (u8.astype(np.float32) / np.float32(255)).reshape(n, 1, 4, 4))
    lie = bytearray(idx_bytes(u8))
    lie[4:8] = struct.pack(">I", 300)     # claims 300 images, holds 203
    open(f"{d}/x_lie.idx", "wb").write(bytes(lie))
    # autoencoder: smooth blobs, 28x28 grey, in [0, 1]
    yy, xx = np.mgrid[0:28, 0:28]
    def blobs(m):
        c = r.uniform(6, 22, (m, 2))
        s = r.uniform(3, 6, (m, 1, 1))
        img = np.exp(-((yy - c[:, 0, None, None]) ** 2 + (xx - c[:, 1, None, None]) ** 2) / (2 * s ** 2))
        return img[:, None].astype(np.float32)
    np.save(f"{d}/img.npy", blobs(160))
    np.save(f"{d}/img_test.npy", blobs(40))
    h = blobs(160)
    h[64:] = 1e30
    np.save(f"{d}/img_huge.npy", h)


def main():
    cmd = sys.argv[1]
    if cmd == "gen":
        gen(sys.argv[2])
    elif cmd == "step1":
        # argv: step1 W0 W1 X T SEED — W0 the initial weights, W1 after one step
        w0, _ = read_st(sys.argv[2])
        w1, _ = read_st(sys.argv[3])
        x = np.load(sys.argv[4]).reshape(-1, 16).astype(np.float64)
        t = np.load(sys.argv[5]).reshape(-1).astype(np.float64)
        order = epoch_order(len(x), int(sys.argv[6]), 0)[:8]
        xb, tb = x[order], t[order]
        w, b = w0["fc.weight"].reshape(16).astype(np.float64), float(w0["fc.bias"][0])
        g = 2 * (xb @ w + b - tb) / 8
        want_w, want_b = w - 0.05 * (g @ xb), b - 0.05 * g.sum()
        err = max(np.abs(want_w - w1["fc.weight"].reshape(16)).max(), abs(want_b - float(w1["fc.bias"][0])))
        # the same step in file order, to show the order matters
        g2 = 2 * (x[:8] @ w + b - t[:8]) / 8
        other = np.abs(w - 0.05 * (g2 @ x[:8]) - w1["fc.weight"].reshape(16)).max()
        print(f"max error {err:.3g} (file order would be off by {other:.3g})")
        sys.exit(0 if err < 1e-5 and other > 1e-3 else 1)
    elif cmd == "mse":
        w, _ = read_st(sys.argv[2])
        x = np.load(sys.argv[3]).reshape(-1, 16).astype(np.float64)
        t = np.load(sys.argv[4]).reshape(-1).astype(np.float64)
        y = x @ w["fc.weight"].reshape(16).astype(np.float64) + float(w["fc.bias"][0])
        print(repr(float(np.mean((y - t) ** 2))))
    elif cmd == "meta":
        _, meta = read_st(sys.argv[2])
        print(meta.get(sys.argv[3], ""))
    elif cmd == "epochmeans":
        rows = [l.split(",") for l in open(sys.argv[2]).read().splitlines()[1:]]
        ep = {}
        for r in rows:
            ep.setdefault(int(r[1]), []).append(float(r[2]))
        k = sorted(ep)
        print(np.mean(ep[k[0]]), np.mean(ep[k[-1]]))


if __name__ == "__main__":
    main()
