#!/usr/bin/env bash
# tests/shapes/suite.sh — output shapes of conv/tconv against PyTorch, and rejection of
# the configurations PyTorch or LANGUAGE.md refuse.
#
# gen.py draws a seeded random sweep (SHAPES_SEED, default fixed) of 1-D/2-D/3-D conv
# and tconv configurations into a temporary directory, with expected shapes computed
# by running PyTorch; this script runs `netc check --json` on the valid files and
# `netc check` on each must-fail file, and compare.py counts one test per
# configuration.  NETC_QUICK=1 draws a smaller sweep.  NETC overrides the compiler.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${NETC_ROOT:-$here/../..}
netc=${NETC:-$root/build/netc}
py=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
seed=${SHAPES_SEED:-20261122}
if [ "${NETC_QUICK:-0}" = 1 ]; then nvalid=500; nreject=150; else nvalid=2600; nreject=700; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "shapes: conv/tconv output shapes vs PyTorch ($nvalid valid, $nreject rejected configurations, seed $seed)"
if ! $py "$here/gen.py" --out "$tmp" --seed "$seed" --valid "$nvalid" --reject "$nreject"; then
    echo "gen.py failed"
    echo "0 passed, 1 failed"
    exit 1
fi

if [ ! -x "$netc" ]; then
    $py "$here/compare.py" "$tmp" --missing "the compiler $netc does not exist (run ninja first)"
    exit 1
fi

# one `check --json` per valid file (many networks each)
for f in "$tmp"/valid_*.net; do
    timeout 60 "$netc" check --json "$f" >"$f.json" 2>"$f.err"
    echo $? >"$f.rc"
done
# one `check` per must-fail file, two at a time
export netc
find "$tmp/reject" -name '*.net' -print0 |
    xargs -0 -P 2 -n 16 sh -c 'for f; do timeout 10 "$netc" check "$f" >"$f.out" 2>"$f.err"; echo $? >"$f.rc"; done' sh

$py "$here/compare.py" "$tmp" --netc "$netc"
