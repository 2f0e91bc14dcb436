#!/usr/bin/python3
# tests/shapes/compare.py — compare what `netc check` said about gen.py's networks
# with the PyTorch expectations in DIR/expect.json.
#
#   compare.py DIR [--netc NETC | --missing REASON]
# reads, for each DIR/valid_NN.net, the files .json (stdout of `check --json`), .err
# and .rc written by suite.sh, and for each DIR/reject/*.net its .err and .rc.  Each
# configuration is one test.  A valid one passes when its network is in the JSON with
# the right batch, input, output and per-layer inputs/output_shape (and, for every
# fourth configuration, params and macs); a rejected one passes when netc exits 1 and
# prints `FILE:LINE:COL: error:` on the line of the offending statement, followed by
# that source line and a caret line.
# When a whole valid file fails, each of its networks is checked again on its own
# (with NETC).  With --missing every configuration fails with REASON (netc could not run at all).
import json
import os
import re
import subprocess
import sys

MAX_SHOWN = int(os.environ.get("SHAPES_SHOW", "8"))


def load(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def check_valid(name, exp, got, with_counts):
    """Differences between the expected network and netc's JSON entry."""
    diffs = []
    if got is None:
        return ["network %s missing from the JSON" % name]
    if got.get("batch") != exp["batch"]:
        diffs.append("batch %r, expected %r" % (got.get("batch"), exp["batch"]))
    for key in ("inputs", "outputs"):
        want = [(e["name"], e["shape"]) for e in exp[key]]
        have = [(e.get("name"), e.get("shape")) for e in got.get(key) or [] if isinstance(e, dict)]
        if have != want:
            diffs.append("%s %s, expected %s" % (key, have, want))
    layers = {l.get("name"): l for l in got.get("layers") or [] if isinstance(l, dict)}
    for el in exp["layers"]:
        gl = layers.get(el["name"])
        if gl is None:
            diffs.append("layer %s missing" % el["name"])
            continue
        if gl.get("kind") not in (el["kind"], el["spelled"]):
            diffs.append("%s kind %r, expected %r" % (el["name"], gl.get("kind"), el["kind"]))
        if gl.get("inputs") != el["inputs"]:
            diffs.append("%s inputs %r, expected %r" % (el["name"], gl.get("inputs"), el["inputs"]))
        if gl.get("output_shape") != el["output_shape"]:
            diffs.append("%s output_shape %r, expected %r (PyTorch)"
                         % (el["name"], gl.get("output_shape"), el["output_shape"]))
        if with_counts:
            if gl.get("params") != el["params"]:
                diffs.append("%s params %r, expected %r (sum of numel of the torch module)"
                             % (el["name"], gl.get("params"), el["params"]))
            if gl.get("macs") != el["macs"]:
                diffs.append("%s macs %r, expected %r (weight numel x %s positions, per sample)"
                             % (el["name"], gl.get("macs"), el["macs"],
                                "output" if el["kind"] == "conv" else "input"))
    return diffs


def check_alone(netc, d, name, text):
    """`netc check --json` on one network written to its own file: ({name: entry},
    None) or (None, what went wrong)."""
    os.makedirs(os.path.join(d, "alone"), exist_ok=True)
    path = os.path.join(d, "alone", name + ".net")
    with open(path, "w") as f:
        f.write(text)
    try:
        p = subprocess.run([netc, "check", "--json", path], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "netc check --json %s.net alone: %s" % (name, e)
    if p.returncode != 0:
        return None, "netc check --json %s.net alone exited %d: %s" % (
            name, p.returncode, " | ".join(p.stderr.strip().split("\n")[:3])[:400])
    try:
        return {n.get("name"): n for n in json.loads(p.stdout)["networks"]}, None
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        return None, "netc check --json %s.net alone: unreadable JSON (%s)" % (name, e)


def main():
    d = sys.argv[1]
    missing = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--missing" else None
    netc = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--netc" else None
    exp = json.load(open(os.path.join(d, "expect.json")))
    npass = nfail = 0
    shown = 0
    counted = counted_ok = 0

    def fail(what, text, diffs):
        nonlocal nfail, shown
        nfail += 1
        if shown < MAX_SHOWN:
            shown += 1
            print("FAIL %s" % what)
            for line in diffs[:6]:
                print("    " + line)
            print("    " + text.rstrip().replace("\n", "\n    "))

    if missing:
        n = len(exp["valid"]) + len(exp["reject"])
        print("FAIL: %s; none of the %d configurations can be checked" % (missing, n))
        print("0 passed, %d failed" % n)
        return 1

    by_file = {}
    for name, e in exp["valid"].items():
        by_file.setdefault(e["file"], []).append(name)
    print("checking %d valid configurations (shapes of every layer, batch, inputs, outputs;"
          " params and macs of every fourth)" % len(exp["valid"]))
    for fname, names in sorted(by_file.items()):
        base = os.path.join(d, fname)
        rc = (load(base + ".rc") or "").strip()
        err = load(base + ".err", "")
        out = load(base + ".json", "")
        nets = None
        problem = None
        if rc != "0":
            problem = "netc check --json %s exited %s: %s" % (
                fname, rc or "?", " | ".join(err.strip().split("\n")[:3])[:300])
        else:
            try:
                doc = json.loads(out)
                nets = {n.get("name"): n for n in doc["networks"] if isinstance(n, dict)}
            except (ValueError, KeyError, TypeError, AttributeError) as e:
                problem = "netc check --json %s: unreadable JSON (%s): %s" % (fname, e, out[:200])
        for name in names:
            e = exp["valid"][name]
            if problem and netc:
                # the file as a whole failed: check this network on its own, so that
                # one bad network does not hide the verdict on the others
                nets, single = check_alone(netc, d, name, e["text"])
                if nets is None:
                    fail("%s (%s)" % (name, fname), e["text"], [single])
                    continue
            elif problem:
                fail("%s (%s)" % (name, fname), e["text"], [problem])
                continue
            idx = int(name[1:])
            with_counts = idx % 4 == 0
            diffs = check_valid(name, e, nets.get(name), with_counts)
            if with_counts:
                counted += 1
                counted_ok += not any(" params " in x or " macs " in x for x in diffs)
            if diffs:
                fail("%s (%s)" % (name, fname), e["text"], diffs)
            else:
                npass += 1
    print("  params/macs checked on %d configurations, %d agree" % (counted, counted_ok))

    print("checking %d configurations that must be rejected (exit 1, error on the right line)"
          % len(exp["reject"]))
    for r in exp["reject"]:
        base = os.path.join(d, r["file"])
        rc = (load(base + ".rc") or "").strip()
        err = load(base + ".err", "")
        fname = os.path.basename(r["file"])
        lines = sorted({int(m.group(1)) for m in
                        re.finditer(re.escape(fname) + r":(\d+):\d+: error", err)})
        diffs = []
        if rc != "1":
            diffs.append("exit status %s, expected 1%s" % (rc or "?", " (timed out)" if rc == "124" else ""))
        if not set(lines) & set(r["lines"]):
            diffs.append("errors on lines %s, expected one on line %s (%s)"
                         % (lines or "none", " or ".join(map(str, r["lines"])), r["why"]))
        elif not diffs:
            # the message quotes the offending line and puts a caret under it
            at = min(set(lines) & set(r["lines"]))
            src_lines = load(base, "").split("\n")
            src = src_lines[at - 1].strip() if at <= len(src_lines) else ""
            m = re.search(re.escape(fname) + r":%d:\d+: error[^\n]*\n(.*)\n(.*)" % at, err)
            # (a long line may be quoted in part, elided with "...")
            quoted = m.group(1).split("|", 1)[-1] if m else ""
            parts = [q.strip() for q in quoted.split("...") if q.strip()]
            if not m or not parts or not all(q in src for q in parts) or "^" not in m.group(2):
                diffs.append("the error does not quote the line (%s) with a caret under it" % src)
        if diffs:
            diffs.append("stderr: " + (err.strip().split("\n")[0][:200] if err.strip() else "(empty)"))
            fail("%s (must be rejected)" % r["file"], "# " + r["why"] + "\n" + r["text"], diffs)
        else:
            npass += 1
    if nfail > shown:
        print("... and %d more failures" % (nfail - shown))
    print("%d passed, %d failed" % (npass, nfail))
    return 1 if nfail else 0


if __name__ == "__main__":
    sys.exit(main())
