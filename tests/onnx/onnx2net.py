#!/usr/bin/python3
# tests/onnx/onnx2net.py — translate ONNX's Conv / ConvTranspose conformance cases
# (Debian's libonnx-testdata) into `.net` networks, safetensors weights and .npy data,
# and prove each translation with PyTorch before netc ever sees it.
#
#   onnx2net.py --out DIR [--data /usr/share/libonnx-testdata/data]
#
# Cases: every directory test_*conv* (any case) under node/, pytorch-converted/ and
# pytorch-operator/ whose model is one Conv, ConvTranspose, ConvInteger or
# QLinearConv node, once per test_data_set_*.  For each translated case it writes
# DIR/CASE/CASE.net, weights.safetensors (PyTorch state_dict names `y.weight`,
# `y.bias`; the format written here by hand: 8-byte little-endian header size, JSON
# header, raw little-endian float32), x.npy (the input) and expected.npy (ONNX's
# output), and DIR/cases.json with every case: translated or skipped, and why.
#
# ONNX attributes and their `.net` home:
#   kernel_shape        -> kernel (must equal W's spatial shape)
#   strides, dilations  -> stride, dilation;  group -> groups
#   pads [x1_b, x2_b, ..., x1_e, x2_e, ...] -> padding, in the shortest form that says
#                          it: none, N, [p, q] (symmetric per axis) or [[b, e], ...]
#   auto_pad VALID      -> padding = none
#   auto_pad SAME_UPPER -> padding = same (odd total at the end, as LANGUAGE.md says)
#   auto_pad SAME_LOWER -> padding = same when the total is even on every axis (then
#                          both agree); skipped when odd (the odd pad goes first and
#                          `same` cannot say that)
#   output_padding      -> output_padding
#   output_shape        -> output_shape, with the pads ONNX derives from it (total =
#                          s*(i-1) + output_padding + d*(k-1)+1 - output_shape, the
#                          larger half first unless SAME_UPPER); a negative total means
#                          ONNX grows the output at the end, which is what `.net`
#                          output_shape does by deriving output_padding
#   B (bias) absent     -> bias = false
# Self-check: the `.net` text is read back (tests/shapes/netref.py parse_net), the
# weights are read back from the safetensors file, and the layer is run with PyTorch
# as the `.net` file states it (netref.torch_apply); the result must match ONNX's
# expected output.  A case that fails its self-check is a translator bug.
import argparse
import glob
import json
import os
import struct
import sys

import numpy as np
import onnx
import torch
from onnx import numpy_helper

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shapes"))
import netref  # noqa: E402

RTOL, ATOL = 1e-5, 1e-6        # what suite.sh asks of netc
SELF_RTOL, SELF_ATOL = 1e-4, 1e-5  # PyTorch (float64) vs ONNX's float32 data


class Skip(Exception):
    pass


# ---------------------------------------------------------------- file formats

def write_safetensors(path, tensors):
    """tensors: list of (name, float32 ndarray)."""
    header, blobs, off = {}, [], 0
    for name, arr in tensors:
        data = np.ascontiguousarray(arr, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        a, b = t["data_offsets"]
        assert t["dtype"] == "F32"
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(t["shape"])
    return out


def load_pb(path):
    t = onnx.TensorProto()
    with open(path, "rb") as f:
        t.ParseFromString(f.read())
    return numpy_helper.to_array(t)


# ---------------------------------------------------------------- translation

def fmt(v):
    if isinstance(v, list):
        return "[" + ", ".join(fmt(e) for e in v) + "]"
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def scalar_or_list(v):
    return v[0] if len(set(v)) == 1 else list(v)


def padding_form(pairs):
    if all(b == 0 and e == 0 for b, e in pairs):
        return None
    if all(b == e for b, e in pairs):
        return scalar_or_list([b for b, _ in pairs])
    return [[b, e] for b, e in pairs]


def translate(node, x, w, has_bias):
    """The `.net` attributes of the layer, or Skip with the reason."""
    if node.op_type not in ("Conv", "ConvTranspose"):
        raise Skip("%s (quantized integer convolution) has no .net home: dtype is f32 only"
                   % node.op_type)
    at = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    known = {"kernel_shape", "strides", "dilations", "pads", "group", "auto_pad",
             "output_padding", "output_shape"}
    if set(at) - known:
        raise Skip("unknown attributes %s" % sorted(set(at) - known))
    n = x.ndim - 2
    if n not in (1, 2, 3):
        raise Skip("%d-D convolution: .net has 1-D to 3-D" % n)
    tconv = node.op_type == "ConvTranspose"
    k = list(w.shape[2:])
    if "kernel_shape" in at and list(at["kernel_shape"]) != k:
        raise Skip("kernel_shape %s differs from W's %s" % (list(at["kernel_shape"]), k))
    s = list(at.get("strides", [1] * n))
    d = list(at.get("dilations", [1] * n))
    g = at.get("group", 1)
    auto = at.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    pads = list(at.get("pads", [0] * (2 * n)))
    pairs = [(pads[j], pads[n + j]) for j in range(n)]
    dk = [d[j] * (k[j] - 1) + 1 for j in range(n)]
    spatial = list(x.shape[2:])
    filters = w.shape[1] * g if tconv else w.shape[0]
    out = {"filters": filters, "kernel": scalar_or_list(k)}
    if s != [1] * n:
        out["stride"] = scalar_or_list(s)
    if d != [1] * n:
        out["dilation"] = scalar_or_list(d)
    if g != 1:
        out["groups"] = g
    a = list(at.get("output_padding", [0] * n))
    if a != [0] * n and not tconv:
        raise Skip("output_padding on a Conv")
    oshape = at.get("output_shape")
    if oshape is not None:
        oshape = list(oshape)[-n:]
    if auto not in ("NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"):
        raise Skip("auto_pad %s" % auto)
    pad = None
    if oshape is not None and tconv:
        if auto == "SAME_LOWER":
            raise Skip("output_shape with SAME_LOWER")
        np_ = []
        for j in range(n):
            tot = s[j] * (spatial[j] - 1) + a[j] + dk[j] - oshape[j]
            if tot < 0:
                np_.append((0, 0))
            elif auto == "SAME_UPPER":
                np_.append((tot // 2, tot - tot // 2))
            else:
                np_.append((tot - tot // 2, tot // 2))
        pad = padding_form(np_)
        out["output_shape"] = scalar_or_list(oshape)
    elif auto == "VALID":
        pad = "none"
    elif auto in ("SAME_UPPER", "SAME_LOWER"):
        if tconv and a != [0] * n:
            raise Skip("auto_pad %s together with output_padding" % auto)
        if auto == "SAME_LOWER":
            for j in range(n):
                if tconv:
                    tot = dk[j] - s[j]
                else:
                    o = -(-spatial[j] // s[j])
                    tot = max(0, (o - 1) * s[j] + dk[j] - spatial[j])
                if tot % 2:
                    raise Skip("SAME_LOWER with an odd total padding (%d on axis %d): .net `same`"
                               " puts the odd pad at the end" % (tot, j))
        pad = "same"
    else:
        pad = padding_form(pairs)
        if tconv and a != [0] * n:
            out["output_padding"] = scalar_or_list(a)
    if pad is not None:
        out["padding"] = pad
    if not has_bias:
        out["bias"] = False
    errs, _ = netref.lang_errors("tconv" if tconv else "conv", list(x.shape[1:]), out)
    if errs:
        raise Skip("outside LANGUAGE.md: " + "; ".join(errs))
    return out


def net_text(case, src, kind, x, attrs):
    items = ", ".join("%s = %s" % (k, fmt(v)) for k, v in attrs.items())
    return ("# %s: translated by tests/onnx/onnx2net.py from %s\n"
            "network %s {\n"
            "    batch = %d;\n"
            "    input x : %s;\n"
            "    y = %s(x) { %s };\n"
            "    output y;\n"
            "}\n" % (case, src, case, x.shape[0], fmt(list(x.shape[1:])), kind, items))


def self_check(case_dir, case):
    """Run the case with PyTorch from the files as written; (ok, max abs error)."""
    text = open(os.path.join(case_dir, case + ".net")).read()
    net = netref.parse_net(text)[0]
    lname, kind, _, at, _ = net["layers"][0]
    wts = read_safetensors(os.path.join(case_dir, "weights.safetensors"))
    x = torch.from_numpy(np.load(os.path.join(case_dir, "x.npy"))).double()
    assert list(x.shape) == [net["settings"]["batch"]] + net["inputs"][0][1]
    w = torch.from_numpy(wts[lname + ".weight"].copy()).double()
    b = wts.get(lname + ".bias")
    b = torch.from_numpy(b.copy()).double() if b is not None else None
    assert (b is None) == (at.get("bias", True) is False)
    y = netref.torch_apply(kind, x, w, b, at).numpy()
    exp = np.load(os.path.join(case_dir, "expected.npy"))
    if y.shape != exp.shape:
        return False, "shape %s, ONNX %s" % (list(y.shape), list(exp.shape))
    err = float(np.abs(y - exp).max())
    ok = np.allclose(y, exp, rtol=SELF_RTOL, atol=SELF_ATOL)
    y32 = netref.torch_apply(kind, x.float(), w.float(), b.float() if b is not None else None, at).numpy()
    ok32 = np.allclose(y32, exp, rtol=RTOL, atol=ATOL)
    return ok, "max abs error %.2e (float32 PyTorch %.2e, %s rtol %g atol %g)" % (
        err, float(np.abs(y32 - exp).max()), "within" if ok32 else "NOT within", RTOL, ATOL)


def branch_checks():
    """Translations of synthetic nodes for the branches the conformance data never
    reaches (odd SAME_LOWER, output_shape with a positive total, asymmetric pads, ...):
    what each must become by the ONNX operator spec.  Returns the failures."""
    h = onnx.helper
    z = np.zeros
    checks = [  # node, x shape, w shape, expected attrs or "skip"
        (h.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_LOWER"), [1, 1, 6], [1, 1, 2], "skip"),
        (h.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_LOWER", strides=[2]), [1, 1, 5], [1, 1, 3],
         {"filters": 1, "kernel": 3, "stride": 2, "padding": "same", "bias": False}),
        (h.make_node("Conv", ["x", "w"], ["y"], auto_pad="VALID"), [1, 2, 5, 5], [4, 2, 3, 3],
         {"filters": 4, "kernel": 3, "padding": "none", "bias": False}),
        (h.make_node("Conv", ["x", "w"], ["y"], pads=[0, 1, 2, 1]), [1, 2, 5, 5], [4, 2, 3, 3],
         {"filters": 4, "kernel": 3, "padding": [[0, 2], [1, 1]], "bias": False}),
        (h.make_node("Conv", ["x", "w"], ["y"], pads=[3, 3]), [1, 1, 5], [1, 1, 3], "skip"),
        (h.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2], output_shape=[5]), [1, 1, 3], [1, 1, 4],
         {"filters": 1, "kernel": 4, "stride": 2, "output_shape": 5, "padding": [[2, 1]], "bias": False}),
        (h.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2], output_shape=[5], auto_pad="SAME_UPPER"),
         [1, 1, 3], [1, 1, 4],
         {"filters": 1, "kernel": 4, "stride": 2, "output_shape": 5, "padding": [[1, 2]], "bias": False}),
        (h.make_node("ConvTranspose", ["x", "w"], ["y"], pads=[0, 1, 1, 0], group=2), [1, 4, 3, 3],
         [4, 3, 3, 3], {"filters": 6, "kernel": 3, "groups": 2, "padding": [[0, 1], [1, 0]], "bias": False}),
        (h.make_node("ConvTranspose", ["x", "w"], ["y"], auto_pad="SAME_LOWER"), [1, 1, 3], [1, 1, 4], "skip"),
        (h.make_node("ConvTranspose", ["x", "w"], ["y"], auto_pad="SAME_LOWER", strides=[2]), [1, 1, 3],
         [1, 1, 4], {"filters": 1, "kernel": 4, "stride": 2, "padding": "same", "bias": False}),
        (h.make_node("ConvTranspose", ["x", "w"], ["y"], auto_pad="SAME_UPPER", strides=[2],
                     output_padding=[1]), [1, 1, 3], [1, 1, 4], "skip"),
        (h.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2], dilations=[3], output_padding=[2]),
         [1, 1, 3], [1, 1, 2], {"filters": 1, "kernel": 2, "stride": 2, "dilation": 3,
                                "output_padding": 2, "bias": False}),
        (h.make_node("ConvTranspose", ["x", "w"], ["y"], strides=[2], output_padding=[2]),
         [1, 1, 3], [1, 1, 2], "skip"),
    ]
    bad = []
    for node, xs, ws, want in checks:
        try:
            got = translate(node, z(xs, np.float32), z(ws, np.float32), False)
        except Skip as e:
            got = "skip"
            why = str(e)
        else:
            why = ""
        if got != want:
            bad.append("%s %s: got %s %s, want %s" % (
                node.op_type, {a.name: h.get_attribute_value(a) for a in node.attribute}, got, why, want))
    return len(checks), bad


def find_cases(data):
    dirs = []
    for sub in ("node", "pytorch-converted", "pytorch-operator"):
        for p in sorted(glob.glob(os.path.join(data, sub, "test_*"))):
            if "conv" in os.path.basename(p).lower() and os.path.exists(os.path.join(p, "model.onnx")):
                dirs.append(p)
    return dirs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    a = ap.parse_args()
    torch.set_num_threads(1)
    cases = []
    for d in find_cases(a.data):
        model = onnx.load(os.path.join(d, "model.onnx"))
        g = model.graph
        src = os.path.relpath(d, a.data)
        ops = [nd.op_type for nd in g.node]
        if len(g.node) != 1 or ops[0] not in ("Conv", "ConvTranspose", "ConvInteger", "QLinearConv"):
            continue  # not a convolution case (e.g. a pooling test whose name says conv)
        node = g.node[0]
        inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
        feeds = [i.name for i in g.input if i.name not in inits]
        sets = sorted(glob.glob(os.path.join(d, "test_data_set_*")))
        for si, sd in enumerate(sets):
            case = os.path.basename(d) + ("" if len(sets) == 1 else "_%d" % si)
            entry = {"case": case, "source": src + "/" + os.path.basename(sd), "op": node.op_type}
            cases.append(entry)
            try:
                vals = dict(inits)
                for k, name in enumerate(feeds):
                    vals[name] = load_pb(os.path.join(sd, "input_%d.pb" % k))
                ins = list(node.input)
                x, w = vals.get(ins[0]), vals.get(ins[1]) if len(ins) > 1 else None
                bias = vals.get(ins[2]) if len(ins) > 2 and ins[2] else None
                expected = load_pb(os.path.join(sd, "output_0.pb"))
                attrs = translate(node, x, w, bias is not None)
                for arr in (x, w, expected) + ((bias,) if bias is not None else ()):
                    if arr.dtype != np.float32:
                        raise Skip("%s data: .net is f32 only" % arr.dtype)
            except Skip as e:
                entry["skipped"] = str(e)
                continue
            cdir = os.path.join(a.out, case)
            os.makedirs(cdir, exist_ok=True)
            kind = "tconv" if node.op_type == "ConvTranspose" else "conv"
            with open(os.path.join(cdir, case + ".net"), "w") as f:
                f.write(net_text(case, entry["source"], kind, x, attrs))
            write_safetensors(os.path.join(cdir, "weights.safetensors"),
                              [("y.weight", w)] + ([("y.bias", bias)] if bias is not None else []))
            np.save(os.path.join(cdir, "x.npy"), np.ascontiguousarray(x, dtype=np.float32))
            np.save(os.path.join(cdir, "expected.npy"), np.ascontiguousarray(expected, dtype=np.float32))
            try:
                ok, msg = self_check(cdir, case)
            except Exception as e:  # a crash in the check is a failed check
                ok, msg = False, "self-check raised %s: %s" % (type(e).__name__, e)
            entry.update({"dir": case, "net": case + ".net", "self_ok": ok, "self_msg": msg,
                          "layer": attrs})
    with open(os.path.join(a.out, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)
    nt = sum("dir" in c for c in cases)
    nok = sum(c.get("self_ok", False) for c in cases)
    print("onnx2net: %d ONNX cases: %d translated (%d proven by PyTorch), %d skipped"
          % (len(cases), nt, nok, len(cases) - nt))
    for c in cases:
        if "dir" in c:
            print("  %-4s %-42s %s" % ("ok" if c["self_ok"] else "BAD", c["case"], c["self_msg"]))
    for c in cases:
        if "skipped" in c:
            print("  skip %-42s %s" % (c["case"], c["skipped"]))
    nb, bad = branch_checks()
    print("translator branch checks (synthetic nodes, ONNX spec): %d of %d as the spec says"
          % (nb - len(bad), nb))
    for b in bad:
        print("  BAD  " + b)
    return 0 if nok == nt and not bad else 1


if __name__ == "__main__":
    sys.exit(main())
