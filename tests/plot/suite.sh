#!/usr/bin/env bash
# tests/plot/suite.sh — runtime/plot: PNG grids and curve plots, decoded again with
# cairo and checked pixel by pixel; run from the release and the ASan build.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
for b in build build/asan; do
    prog=$root/$b/tests/plot/test_plot
    echo "-- $b/tests/plot/test_plot"
    if [ ! -x "$prog" ]; then
        echo "missing $prog (run ninja all asan)"; fail=$((fail + 1)); continue
    fi
    mkdir -p "$tmp/$b"
    out=$("$prog" "$tmp/$b" 2>&1); rc=$?
    echo "$out"
    total=$(sed -nE 's/^\[=+\] Running ([0-9]+) test.*/\1/p' <<<"$out" | head -n 1)
    ok=$(grep -cE '^\[ +OK +\]' <<<"$out")
    total=${total:-1}
    bad=$((total - ok))
    if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then bad=1; fi
    pass=$((pass + ok)); fail=$((fail + bad))

    # the sample pictures (Fashion-MNIST when installed) come out as PNGs
    sample=$root/$b/tests/plot/plot_sample
    mkdir -p "$tmp/$b/sample"
    if "$sample" "$tmp/$b/sample" && [ "$(cd "$tmp/$b/sample" && ls)" = "$(printf '%s\n' grid.png loss.png loss_log.png superres.png)" ] &&
       head -c 8 "$tmp/$b/sample/loss.png" | od -An -tx1 | grep -q '89 50 4e 47 0d 0a 1a 0a'; then
        echo "[       OK ] plot_sample writes grid.png loss.png loss_log.png superres.png"; pass=$((pass + 1))
    else
        echo "[  FAILED  ] plot_sample"; fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
