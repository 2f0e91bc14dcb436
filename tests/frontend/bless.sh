#!/usr/bin/env bash
# tests/frontend/bless.sh [NAME...] — rewrite cases/NAME.expected (and, for the
# clean_* cases, cases/NAME.shapes) from what build/netc prints now; every case when
# no name is given.  Deliberate only: suite.sh never regenerates anything, it
# diffs.  Read every rewritten file (git diff tests/frontend/cases) before
# committing it.
#
# NAME.expected holds the line "exit N" (the status of `netc check --quiet`), then
# the exact stderr; NAME.shapes the shape facts of `netc check --json` (through
# json_shapes.py).  Both are taken
# in cases/, so paths print as NAME.net.
set -euo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
netc=$root/build/netc
cases=$root/tests/frontend/cases
ninja -C "$root" build/netc >/dev/null
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in "$cases"/*.net; do names+=("$(basename "$f" .net)"); done
fi
cd "$cases"
for n in "${names[@]}"; do
    n=$(basename "${n%.net}")
    [ -f "$n.net" ] || { echo "no case $n" >&2; exit 2; }
    set +e
    timeout 20 "$netc" check --quiet "$n.net" >/dev/null 2>"$n.stderr.tmp"
    rc=$?
    set -e
    { echo "exit $rc"; cat "$n.stderr.tmp"; } >"$n.expected"
    rm -f "$n.stderr.tmp"
    if [[ $n == clean_* ]]; then
        timeout 20 "$netc" check --json "$n.net" 2>/dev/null | /usr/bin/python3 "$root/tests/frontend/json_shapes.py" >"$n.shapes"
    fi
    echo "blessed $n (exit $rc)"
done
