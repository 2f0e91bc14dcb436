#!/usr/bin/python3
"""tests/examples/help.py — every option a command-line parser accepts is in its --help.

    help.py ROOT NETC PROGRAM

The options are read from the sources, not listed here, so an option added later
is checked without touching this file:
  - netc's commands are the rows {"NAME", FUNCTION} of the `commands` table in
    compiler/main.c; a command's options are the string literals that are a whole
    option ("--json", "-o", "--dump-after=") in FUNCTION's body (found in
    compiler/*.c) and in the bodies of the sub-command functions it dispatches to
    (`if (!strcmp(argv[1], "grid")) return plot_grid(...)`); main()'s own literals
    belong to `netc --help`;
  - a generated program's commands are the same `strcmp(argv[1], "NAME")) return
    FUNCTION(` pairs in runtime/program.c's main(), FUNCTION found in runtime/*.c.
For every parser: `--help` exits 0 and prints every option as a word (not inside a
longer one) — except a literal that `CMD OPTION 1` refuses as unknown (a parser
shared by two commands, some options gated to one of them); `--no-such-option` exits non-zero and its message names the option.
`netc --help` and `PROGRAM --help` list every command; `netc --version` prints
the version.  Each check prints one ok/FAIL line; the last line is the count.
"""
import atexit
import glob
import os
import re
import shutil
import subprocess
import sys
import tempfile

root, netc, prog = (os.path.abspath(a) for a in sys.argv[1:4])
scratch = tempfile.mkdtemp()   # the probes run here, so the "1" they name is no file
atexit.register(shutil.rmtree, scratch, True)
os.chdir(scratch)
passed = failed = 0


def ok(msg):
    global passed
    passed += 1
    print("ok   " + msg)


def bad(msg):
    global failed
    failed += 1
    print("FAIL " + msg)


def sources(pattern):
    return {p: open(p).read() for p in sorted(glob.glob(os.path.join(root, pattern)))}


def body(srcs, fn, seen=None):
    """The text of function fn's body (between its outer braces), with the bodies of
    the functions it hands its arguments to (`f(argc, argv...)`, `f(argc - 1, ...)`)
    appended; None when fn is not defined in srcs."""
    seen = set() if seen is None else seen
    seen.add(fn)
    text = own_body(srcs, fn)
    if text is None:
        return None
    for callee in re.findall(r"\b(\w+)\s*\(\s*argc\b", text):
        if callee not in seen:
            text += body(srcs, callee, seen) or ""
    return text


def own_body(srcs, fn):
    for text in srcs.values():
        m = re.search(r"^(?:static\s+)?int\s+" + re.escape(fn) + r"\s*\([^)]*\)\s*\{", text, re.M)
        if not m:
            continue
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        return text[m.end():i - 1]
    return None


def options(text):
    """Whole-option string literals: "--name", "-o", "--name=" (as --name)."""
    return sorted(set(re.findall(r'"(--?[A-Za-z][A-Za-z0-9-]*)=?"', text)))


def dispatch(text):
    """(word, function) for each `strcmp(argv[1], "word")) return function(`."""
    return re.findall(r'strcmp\(argv\[1\],\s*"([\w-]+)"\)\)\s*return\s+(\w+)\s*\(', text)


def run(argv):
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired) as e:
        return 127, "", str(e)
    return r.returncode, r.stdout, r.stderr


def has_word(text, word):
    return re.search(r"(?<![\w-])" + re.escape(word) + r"(?![\w-])", text) is not None


def rejected(cmd, opt):
    """True when `cmd opt 1` says opt is unknown: a parser shared by two commands
    (`if (!emit_only && !strcmp(a, "--exe"))`) accepts only some of its literals."""
    rc, out, err = run(cmd + [opt, "1"])
    return rc != 0 and f"'{opt}'" in err and re.search(r"unknown|unexpected", err) is not None


def check_help(cmd, opts):
    """`cmd --help` exits 0 and names every option in opts that cmd accepts."""
    name = " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))
    rc, out, err = run(cmd + ["--help"])
    if rc != 0 or not out.strip():
        bad(f"{name} --help: exit {rc}, stdout {len(out)} bytes: {err.strip()[:200]}")
        return ""
    skipped = [o for o in opts if o not in ("--help", "-h") and not has_word(out, o) and rejected(cmd, o)]
    opts = [o for o in opts if o not in skipped]
    missing = [o for o in opts if not has_word(out, o)]
    note = f" ({' '.join(skipped)} in its source but refused here)" if skipped else ""
    if missing:
        bad(f"{name} --help does not document {' '.join(missing)}{note}")
    else:
        ok(f"{name} --help documents all {len(opts)} options it parses: {' '.join(opts)}{note}")
    return out


def check_unknown(cmd, extra=()):
    name = " ".join(os.path.basename(c) if i == 0 else c for i, c in enumerate(cmd))
    rc, out, err = run(cmd + list(extra) + ["--no-such-option"])
    if rc != 0 and "--no-such-option" in err:
        ok(f"{name} --no-such-option: exit {rc}, named on stderr")
    else:
        bad(f"{name} --no-such-option: exit {rc}, stderr {err.strip()[:200]!r}")


# ---- netc ----
csrc = sources("compiler/*.c")
main_c = csrc[os.path.join(root, "compiler/main.c")]
table = re.search(r"commands\[\]\s*=\s*\{(.*?)\n\};", main_c, re.S)
commands = re.findall(r'\{\s*"([\w-]+)"\s*,\s*(\w+)\s*\}', table.group(1)) if table else []
if not commands:
    bad("no commands table found in compiler/main.c")
top = check_help([netc], options(body(csrc, "main") or ""))
for word, _ in commands:
    if has_word(top, word):
        ok(f"netc --help lists the command {word}")
    else:
        bad(f"netc --help does not list the command {word}")
check_unknown([netc])
rc, out, err = run([netc, "--version"])
if rc == 0 and re.match(r"netc \d+\.\d+", out):
    ok(f"netc --version: {out.strip()}")
else:
    bad(f"netc --version: exit {rc}, {out.strip()!r} {err.strip()!r}")

for word, fn in commands:
    text = body(csrc, fn)
    if text is None:
        bad(f"netc {word}: function {fn} not found in compiler/*.c")
        continue
    subs = dispatch(text)
    opts = set(options(text))
    for _, sfn in subs:
        opts |= set(options(body(csrc, sfn) or ""))
    check_help([netc, word], sorted(opts))
    check_unknown([netc, word])
    for sword, sfn in subs:
        if body(csrc, sfn) is None:
            bad(f"netc {word} {sword}: function {sfn} not found")
            continue
        check_help([netc, word, sword], options(body(csrc, sfn)))
        check_unknown([netc, word, sword])

# ---- a generated program ----
rsrc = sources("runtime/*.c")
pmain = body(rsrc, "main") or ""
pcommands = dispatch(pmain)
if not pcommands:
    bad("no commands found in runtime/program.c's main()")
ptop = check_help([prog], options(pmain))
for word, _ in pcommands:
    if has_word(ptop, word):
        ok(f"{os.path.basename(prog)} --help lists the command {word}")
    else:
        bad(f"{os.path.basename(prog)} --help does not list the command {word}")
check_unknown([prog])
for word, fn in pcommands:
    text = body(rsrc, fn)
    if text is None:
        bad(f"{word}: function {fn} not found in runtime/*.c")
        continue
    check_help([prog, word], options(text))
    check_unknown([prog, word])

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
