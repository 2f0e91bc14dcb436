#!/usr/bin/env bash
# tests/fuzz-net/seed.sh — refresh the committed seed corpus from the examples and
# the golden cases (tests/frontend/cases/*.net), one file per seed named after
# its source, plus 40 networks from gen.py (seed 7).  Run by hand when cases are added; the suite only reads corpus/.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/tests/fuzz-net/corpus
mkdir -p "$out"
for f in "$root"/examples/*.net "$root"/tests/frontend/cases/*.net; do
    [ -f "$f" ] || continue
    cp "$f" "$out/$(basename "$(dirname "$f")")-$(basename "$f")"
done
# and a few generated networks, so the fuzzer starts past the parser
tmp=$(mktemp -d)
/usr/bin/python3 "$root/tests/fuzz-net/gen.py" "$tmp" 40 7
for f in "$tmp"/*.net; do cp "$f" "$out/generated-$(basename "$f")"; done
rm -rf "$tmp"
echo "$(ls "$out" | wc -l) seeds in $out"
