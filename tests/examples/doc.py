#!/usr/bin/python3
"""tests/examples/doc.py — docs/language.md names everything the compiler knows.

    doc.py ROOT

The words are read from the compiler's sources, so a layer kind or attribute added
later fails this test until the page documents it:
  - attribute names: the X(ENUM, "name", ...) rows of NETC_ATTRS in compiler/netc.h;
  - layer kinds and their aliases: `.name = "..."`, `.aliases = {...}` and
    ACT_KIND(var, "name", ...) in compiler/layer_*.c;
  - words: every `const char *const NAME[] = {...}` list in compiler/layers.c,
    check_attrs.c, check_train.c and ir.c (activations, initialisers and their
    aliases, variance_norm, padding forms, mode, settings, layouts, train settings,
    losses, optimisers and their settings) and the settings of activation and
    initialiser objects (ObjField rows: alpha, value, std, low, high, variance_norm);
  - the reserved words of grammar/net.l.
Each must occur as a whole word inside `code` or a fenced block of the page, so
prose that happens to use the word does not count.  One ok/FAIL line per group.
"""
import os
import re
import sys

root = sys.argv[1]


def read(rel):
    return open(os.path.join(root, rel)).read()


groups = {}
netc_h = read("compiler/netc.h")
table = re.search(r"#define NETC_ATTRS\(X\)(.*?)\n\n", netc_h, re.S)
groups["attributes (compiler/netc.h NETC_ATTRS)"] = re.findall(r'X\(\w+,\s*"(\w+)"', table.group(1) if table else "")

kinds = []
for f in sorted(os.listdir(os.path.join(root, "compiler"))):
    if f.startswith("layer_") and f.endswith(".c"):
        text = read("compiler/" + f)
        kinds += re.findall(r'\.name\s*=\s*"(\w+)"', text)
        for al in re.findall(r"\.aliases\s*=\s*\{([^}]*)\}", text):
            kinds += re.findall(r'"(\w+)"', al)
        kinds += re.findall(r'ACT_KIND\(\w+,\s*"(\w+)"', text)
groups["layer kinds and aliases (compiler/layer_*.c)"] = kinds

words = []
for f in ("compiler/layers.c", "compiler/check_attrs.c", "compiler/check_train.c", "compiler/ir.c"):
    text = read(f)
    for lst in re.findall(r"const\s+char\s*\*\s*const\s+\w+\[\]\s*=\s*\{([^}]*)\}", text):
        words += re.findall(r'"(\w+)"', lst)
    words += re.findall(r'\{"(\w+)",\s*(?:&|NULL)', text)   # ObjField rows
groups["words: settings, activations, initialisers, padding, mode, losses, optimisers"] = words

groups["reserved words (grammar/net.l)"] = re.findall(r'^"(\w+)"\s+\{\s*return', read("grammar/net.l"), re.M)

doc = read("docs/language.md")
code = "\n".join(re.findall(r"```.*?```", doc, re.S) + re.findall(r"`([^`\n]+)`", doc))
passed = failed = 0
for name, found in groups.items():
    found = sorted(set(found))
    missing = [w for w in found if not re.search(r"(?<![\w-])" + re.escape(w) + r"(?![\w-])", code)]
    if not found:
        failed += 1
        print(f"FAIL {name}: none found in the sources (has the table moved?)")
    elif missing:
        failed += 1
        print(f"FAIL {name}: docs/language.md does not mention {' '.join(missing)}")
    else:
        passed += 1
        print(f"ok   docs/language.md names all {len(found)} {name}")
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
