# tests/shapes/netref.py — the test suites' reading of LANGUAGE.md for `conv` and `tconv`.
#
# Three things live here, shared by tests/shapes (shape sweep) and tests/onnx
# (the ONNX translator's self-check):
#
#   parse_net(text)      a small reader for the subset of `.net` these suites write
#                        (settings, one input, conv/tconv layers, output); expectations
#                        are computed from the text as written, never from the
#                        generator's own data structures;
#   lang_errors(...)     the rejection rules of LANGUAGE.md ("What the compiler must
#                        reject") for one conv/tconv layer, as we read them;
#   torch_apply(...)     the layer run with PyTorch, mapping every padding form onto
#                        PyTorch calls:
#       none / N / [p, q]     -> `padding=` of F.conv{n}d / F.conv_transpose{n}d
#       half_kernel           -> `padding=` floor((d*(k-1)+1)/2) per axis
#       [[b, e], ...]  conv   -> F.pad(x, (b_w, e_w, b_h, e_h, ...)) then padding 0
#       [[b, e], ...]  tconv  -> padding 0 result cropped: y[..., b : size - e]
#       same           conv   -> o = ceil(i/s), total = max(0, (o-1)*s + dk - i),
#                                b = total // 2, e = total - b, via F.pad
#       same           tconv  -> o = i*s: total = dk - s; if >= 0, b = total // 2,
#                                e = total - b (crop as above), else no crop and
#                                output_padding s - dk
#       output_shape   tconv  -> run once with output_padding max(s, d) - 1 (the
#                                largest there is), derive a = max(s, d) - 1 + wanted
#                                - got, then run again with output_padding a
#     (dk = d*(k-1)+1, the dilated kernel).  A `time_distributed` layer folds its T
#     steps into the batch axis.
import math
import re

import torch
import torch.nn.functional as F


class NetSyntax(Exception):
    pass


# ---------------------------------------------------------------- reader

_TOK = re.compile(r"""\s+|\#[^\n]*|//[^\n]*|/\*.*?\*/|
    (?P<num>-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)|(?P<id>[A-Za-z_][A-Za-z0-9_]*)|(?P<p>[\[\](){},;:=])""",
                  re.S | re.X)


def _tokens(text):
    pos, line = 0, 1
    out = []
    while pos < len(text):
        m = _TOK.match(text, pos)
        if not m:
            raise NetSyntax("line %d: cannot read %r" % (line, text[pos:pos + 10]))
        if m.group("num") is not None:
            s = m.group("num")
            out.append(("num", float(s) if any(c in s for c in ".eE") else int(s), line))
        elif m.group("id") is not None:
            out.append(("id", m.group("id"), line))
        elif m.group("p") is not None:
            out.append(("p", m.group("p"), line))
        line += text.count("\n", pos, m.end())
        pos = m.end()
    out.append(("eof", None, line))
    return out


class _Reader:
    def __init__(self, text):
        self.t = _tokens(text)
        self.i = 0

    def peek(self):
        return self.t[self.i]

    def take(self, kind=None, val=None):
        tok = self.t[self.i]
        if (kind and tok[0] != kind) or (val is not None and tok[1] != val):
            raise NetSyntax("line %d: expected %s, got %r" % (tok[2], val or kind, tok[1]))
        self.i += 1
        return tok

    def value(self):
        k, v, _ = self.peek()
        if k == "num":
            self.take()
            return v
        if k == "p" and v == "[":
            self.take()
            items = []
            while self.peek()[1] != "]":
                items.append(self.value())
                if self.peek()[1] == ",":
                    self.take()
            self.take("p", "]")
            return items
        if k == "id":
            self.take()
            if self.peek()[1] == "(":
                self.take()
                args = []
                while self.peek()[1] != ")":
                    args.append(self.take("id")[1])
                    if self.peek()[1] == ",":
                        self.take()
                self.take("p", ")")
                attrs = self.attrs() if self.peek()[1] == "{" else {}
                return {"call": v, "args": args, "attrs": attrs}
            if self.peek()[1] == "{":
                return {"object": v, "attrs": self.attrs()}
            return {"true": True, "false": False}.get(v, v)
        raise NetSyntax("line %d: unexpected %r" % (self.peek()[2], v))

    def attrs(self):
        self.take("p", "{")
        out = {}
        while self.peek()[1] != "}":
            name = self.take("id")[1]
            self.take("p", "=")
            out[name] = self.value()
            if self.peek()[1] == ",":
                self.take()
        self.take("p", "}")
        return out


def parse_net(text):
    """Networks of a file: [{name, settings, inputs: [(name, shape, line)],
    layers: [(name, kind, input names, attrs, line)], outputs}]."""
    r = _Reader(text)
    nets = []
    while r.peek()[0] != "eof":
        r.take("id", "network")
        net = {"name": r.take("id")[1], "settings": {}, "inputs": [], "layers": [], "outputs": []}
        r.take("p", "{")
        while r.peek()[1] != "}":
            _, word, line = r.take("id")
            if word == "input":
                name = r.take("id")[1]
                r.take("p", ":")
                net["inputs"].append((name, r.value(), line))
            elif word == "output":
                net["outputs"].append(r.take("id")[1])
                while r.peek()[1] == ",":
                    r.take()
                    net["outputs"].append(r.take("id")[1])
            else:
                r.take("p", "=")
                v = r.value()
                if isinstance(v, dict) and "call" in v:
                    net["layers"].append((word, v["call"], v["args"], v["attrs"], line))
                else:
                    net["settings"][word] = v
            r.take("p", ";")
        r.take("p", "}")
        nets.append(net)
    return nets


# ---------------------------------------------------------------- rules

KINDS = {"tconv": "tconv", "deconv": "tconv", "conv_transpose": "tconv", "conv": "conv"}


def per_axis(v, n):
    """One integer for every axis, or a list with one entry per axis; None if neither."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return [v] * n
    if isinstance(v, list) and len(v) == n and all(isinstance(e, int) and not isinstance(e, bool) for e in v):
        return list(v)
    return None


def padding_pairs(pad, n, k, s, d, spatial, kind):
    """(begin, end) per axis and the extra output padding `same` needs for a tconv;
    None when the form is not one of LANGUAGE.md's."""
    dk = [d[j] * (k[j] - 1) + 1 for j in range(n)]
    if pad == "none":
        return [(0, 0)] * n, [0] * n
    if pad == "half_kernel":
        return [(dk[j] // 2, dk[j] // 2) for j in range(n)], [0] * n
    if pad == "same":
        if kind == "conv":
            pairs = []
            for j in range(n):
                o = -(-spatial[j] // s[j])
                tot = max(0, (o - 1) * s[j] + dk[j] - spatial[j])
                pairs.append((tot // 2, tot - tot // 2))
            return pairs, [0] * n
        pairs, extra = [], []
        for j in range(n):
            tot = dk[j] - s[j]
            if tot >= 0:
                pairs.append((tot // 2, tot - tot // 2))
                extra.append(0)
            else:
                pairs.append((0, 0))
                extra.append(-tot)
        return pairs, extra
    if isinstance(pad, int) and not isinstance(pad, bool):
        return [(pad, pad)] * n, [0] * n
    if isinstance(pad, list) and len(pad) == n:
        if all(isinstance(e, int) and not isinstance(e, bool) for e in pad):
            return [(e, e) for e in pad], [0] * n
        if all(isinstance(e, list) and len(e) == 2 and all(isinstance(x, int) for x in e) for e in pad):
            return [tuple(e) for e in pad], [0] * n
    return None


def lang_errors(kind, in_shape, attrs, td=False):
    """What LANGUAGE.md says must be rejected for this layer on an input of per-sample
    shape in_shape ([T,] C, spatial...).  Returns (errors, output shape or None)."""
    kind = KINDS[kind]
    errs = []
    shape = list(in_shape[1:] if td else in_shape)
    n = len(shape) - 1
    if n < 1 or n > 3:
        return ["input of rank %d: conv/tconv need 1 to 3 spatial axes" % len(shape)], None
    C, spatial = shape[0], shape[1:]
    for req in ("filters", "kernel"):
        if req not in attrs:
            errs.append("missing required attribute %s" % req)
    if errs:
        return errs, None
    F_ = attrs["filters"]
    k = per_axis(attrs["kernel"], n)
    s = per_axis(attrs.get("stride", 1), n)
    d = per_axis(attrs.get("dilation", 1), n)
    g = attrs.get("groups", 1)
    for nm, v in (("kernel", k), ("stride", s), ("dilation", d)):
        if v is None:
            errs.append("%s: wrong type or list length" % nm)
        elif min(v) < 1:
            errs.append("%s below 1" % nm)
    if not isinstance(F_, int) or F_ < 1:
        errs.append("filters below 1")
    if not isinstance(g, int) or g < 1:
        errs.append("groups below 1")
    elif isinstance(F_, int) and (C % g or F_ % g):
        errs.append("groups %d does not divide channels %d and filters %d" % (g, C, F_))
    if errs:
        return errs, None
    pp = padding_pairs(attrs.get("padding", "none"), n, k, s, d, spatial, kind)
    if pp is None:
        return ["padding: not a padding form"], None
    pairs, extra = pp
    dk = [d[j] * (k[j] - 1) + 1 for j in range(n)]
    for j in range(n):
        if min(pairs[j]) < 0:
            errs.append("padding below 0")
        if max(pairs[j]) >= dk[j]:
            errs.append("padding %d not smaller than dilated kernel %d" % (max(pairs[j]), dk[j]))
    a = [0] * n
    if kind == "tconv":
        if "output_padding" in attrs and "output_shape" in attrs:
            errs.append("output_padding and output_shape both given")
        if "output_padding" in attrs:
            a = per_axis(attrs["output_padding"], n)
            if a is None:
                errs.append("output_padding: wrong type or list length")
                a = [0] * n
            for j in range(n):
                if a[j] < 0 or a[j] >= max(s[j], d[j]):
                    errs.append("output_padding %d not smaller than max(stride, dilation) %d"
                                % (a[j], max(s[j], d[j])))
        a = [a[j] + extra[j] for j in range(n)]
    elif "output_padding" in attrs or "output_shape" in attrs:
        errs.append("conv has no output_padding/output_shape")
    out = []
    for j in range(n):
        i, (pb, pe) = spatial[j], pairs[j]
        if kind == "tconv":
            out.append((i - 1) * s[j] - pb - pe + dk[j] + a[j])
        else:
            out.append((i + pb + pe - dk[j]) // s[j] + 1)
    if kind == "tconv" and "output_shape" in attrs:
        want = per_axis(attrs["output_shape"], n)
        if want is None:
            errs.append("output_shape: wrong type or list length")
        else:
            for j in range(n):
                if not (out[j] <= want[j] <= out[j] + max(s[j], d[j]) - 1):
                    errs.append("output_shape %d not reachable (%d..%d)"
                                % (want[j], out[j], out[j] + max(s[j], d[j]) - 1))
            out = want
    if min(out) < 1:
        errs.append("output size below 1: %s" % out)
    if errs:
        return errs, None
    res = [F_] + out
    return [], ([in_shape[0]] + res if td else res)


# ---------------------------------------------------------------- PyTorch

def torch_apply(kind, x, w, b, attrs, td=False):
    """Run the layer with PyTorch on x ([N, (T,) C, spatial...]) with weights in PyTorch's
    layout.  Raises whatever PyTorch raises; ValueError for an empty result."""
    kind = KINDS[kind]
    if td:
        N, T = x.shape[:2]
        y = torch_apply(kind, x.reshape(N * T, *x.shape[2:]), w, b, attrs)
        return y.reshape(N, T, *y.shape[1:])
    n = x.dim() - 2
    if n not in (1, 2, 3):
        raise ValueError("PyTorch has no %d-D convolution" % n)
    k = list(w.shape[2:])
    s = per_axis(attrs.get("stride", 1), n)
    d = per_axis(attrs.get("dilation", 1), n)
    g = attrs.get("groups", 1)
    if s is None or d is None:
        raise ValueError("stride/dilation list length")
    pad = attrs.get("padding", "none")
    spatial = list(x.shape[2:])
    dk = [d[j] * (k[j] - 1) + 1 for j in range(n)]
    sym, crop, extra = None, None, [0] * n
    if pad == "none":
        sym = [0] * n
    elif pad == "half_kernel":
        sym = [e // 2 for e in dk]
    elif isinstance(pad, int) and not isinstance(pad, bool):
        sym = [pad] * n
    elif isinstance(pad, list) and len(pad) == n and all(isinstance(e, int) for e in pad):
        sym = list(pad)
    elif pad == "same" or (isinstance(pad, list) and len(pad) == n):
        pp = padding_pairs(pad, n, k, s, d, spatial, kind)
        if pp is None:
            raise ValueError("padding form")
        crop, extra = pp
    else:
        raise ValueError("padding form")
    if kind == "conv":
        if "output_padding" in attrs or "output_shape" in attrs:
            raise ValueError("conv has no output_padding")
        fn = (F.conv1d, F.conv2d, F.conv3d)[n - 1]
        if crop is not None:
            flat = []
            for (pb, pe) in reversed(crop):
                if pb < 0 or pe < 0:
                    raise ValueError("negative padding")
                flat += [pb, pe]
            x = F.pad(x, flat)
            sym = [0] * n
        y = fn(x, w, b, stride=s, padding=sym, dilation=d, groups=g)
    else:
        fn = (F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d)[n - 1]
        a = per_axis(attrs.get("output_padding", 0), n)
        if a is None:
            raise ValueError("output_padding list length")
        a = [a[j] + extra[j] for j in range(n)]
        if "output_padding" in attrs and "output_shape" in attrs:
            raise ValueError("output_padding and output_shape both given")

        def run(a):
            y = fn(x, w, b, stride=s, padding=sym if crop is None else [0] * n,
                   output_padding=a, groups=g, dilation=d)
            if crop is not None:
                for j, (pb, pe) in enumerate(crop):
                    if pb < 0 or pe < 0:
                        raise ValueError("negative padding")
                    y = y.narrow(2 + j, pb, max(0, y.shape[2 + j] - pb - pe))
            return y
        if "output_shape" in attrs:
            want = per_axis(attrs["output_shape"], n)
            if want is None:
                raise ValueError("output_shape list length")
            # probe with the largest output_padding PyTorch takes, so that a base size
            # below 1 that output_padding lifts is still measured by PyTorch
            top = [max(s[j], d[j]) - 1 for j in range(n)]
            got = run(top).shape[2:]
            a = [top[j] + want[j] - got[j] for j in range(n)]
            if min(a) < 0:
                raise ValueError("output_shape below the smallest output")
        y = run(a)
    if min(y.shape[2:]) < 1:
        raise ValueError("empty output %s" % list(y.shape))
    return y


def torch_module(kind, C, F_, k, g, bias):
    """The torch.nn module of the same layer, for parameter counts."""
    kind = KINDS[kind]
    n = len(k)
    cls = {("conv", 1): torch.nn.Conv1d, ("conv", 2): torch.nn.Conv2d, ("conv", 3): torch.nn.Conv3d,
           ("tconv", 1): torch.nn.ConvTranspose1d, ("tconv", 2): torch.nn.ConvTranspose2d,
           ("tconv", 3): torch.nn.ConvTranspose3d}[(kind, n)]
    return cls(C, F_, k, groups=g, bias=bias, device="meta")


def params_and_macs(kind, in_shape, out_shape, attrs, td=False):
    """Parameter count (sum of numel of the torch module's parameters) and our MAC
    formula, per sample: every weight element is used once per output position for a
    conv, once per input position for a tconv (the scatter form), times T steps."""
    kind = KINDS[kind]
    T = in_shape[0] if td else 1
    ins = in_shape[1:] if td else in_shape
    outs = out_shape[1:] if td else out_shape
    n = len(ins) - 1
    k = per_axis(attrs["kernel"], n)
    m = torch_module(kind, ins[0], attrs["filters"], k, attrs.get("groups", 1), attrs.get("bias", True))
    params = sum(p.numel() for p in m.parameters())
    wnum = m.weight.numel()
    positions = math.prod(outs[1:]) if kind == "conv" else math.prod(ins[1:])
    return params, wnum * positions * T
