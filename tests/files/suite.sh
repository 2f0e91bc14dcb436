#!/usr/bin/env bash
# tests/files/suite.sh — the runtime's file formats (runtime/files.h).
#
# Generates test data with numpy, the reference safetensors package (installed from
# PyPI into build/pydeps when missing) and Debian's Fashion-MNIST, mounts a 64 KiB tmpfs
# for the out-of-space test when run as root, then runs the cmocka program
# tests/files/test_files from the release build and from the ASan build, and checks
# the files each wrote with numpy/safetensors (verify_out.py); then feeds every hostile
# file and more bad inputs to the commands of a generated program and to netc build
# (tests/files/commands.sh: exit status, message, no output left, no sanitizer report).
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
py=/usr/bin/python3
cd "$root" || exit 1

pass=0; fail=0; skipped=0
ninja -C "$root" build/all-files build/asan/all-files >/dev/null || { echo "build failed"; echo "0 passed, 1 failed"; exit 1; }

tmp=$(mktemp -d)
small=""
cleanup() {
    [ -n "$small" ] && umount "$small" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT

echo "== generating test data"
if ! "$py" tests/files/gen_data.py "$tmp/data" "$root/build/pydeps"; then
    echo "gen_data.py failed"; fail=$((fail + 1))
fi

if [ "$(id -u)" -eq 0 ] && mkdir -p "$tmp/small" && mount -t tmpfs -o size=64k netc-files-test "$tmp/small" 2>/dev/null; then
    small=$tmp/small
    echo "out-of-space test: 64 KiB tmpfs at $small"
else
    echo "out-of-space test skipped: cannot mount a tmpfs (needs root and mount permission)"
fi

for v in build build/asan; do
    prog=$root/$v/tests/files/test_files
    out=$tmp/out-${v//\//-}
    mkdir -p "$out"
    echo "== $v/tests/files/test_files"
    log=$tmp/log
    NETC_SMALLFS=$small "$prog" "$tmp/data" "$out" >"$log" 2>&1
    rc=$?
    grep -E '^\[  (FAILED|ERROR)|^skipped|^(npy|safetensors): |^[a-z-]+: no |runtime error|AddressSanitizer|LeakSanitizer' "$log" | head -50
    p=$(grep -E '^\[  PASSED  \] [0-9]+ test' "$log" | awk '{s += $4} END {print s + 0}')
    f=$(grep -E '^\[  FAILED  \] [0-9]+ test' "$log" | awk '{s += $4} END {print s + 0}')
    s=$(grep -E '^\[  SKIPPED \] [0-9]+ test' "$log" | awk '{s += $4} END {print s + 0}')
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        echo "$prog exited with status $rc:"; tail -n 30 "$log"; f=1
    fi
    echo "$v: $p passed, $f failed, $s skipped"
    pass=$((pass + p)); fail=$((fail + f)); skipped=$((skipped + s))

    echo "== checking $v's written files with numpy and safetensors"
    "$py" tests/files/verify_out.py "$out" "$root/build/pydeps" >"$log" 2>&1
    rc=$?
    grep -vE '^ok ' "$log"
    line=$(grep -E '^verify: [0-9]+ passed' "$log" | tail -n 1)
    p=$(sed -E 's/^verify: ([0-9]+) passed.*/\1/' <<<"$line"); p=${p:-0}
    f=$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$line"); f=${f:-0}
    [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    pass=$((pass + p)); fail=$((fail + f))
done

echo "== the program's commands on bad files (tests/files/commands.sh)"
if ninja -C "$root" build/netc build/asan/netc >"$tmp/log" 2>&1; then
    tests/files/commands.sh "$tmp/data" "$tmp/commands" >"$tmp/log" 2>&1
    grep -vE '^ok ' "$tmp/log"
    line=$(grep -E '^commands: [0-9]+ passed' "$tmp/log" | tail -n 1)
    echo "$(grep -cE '^ok ' "$tmp/log") cases passed"
    p=$(sed -E 's/^commands: ([0-9]+) passed.*/\1/' <<<"$line"); p=${p:-0}
    f=$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$line"); f=${f:-1}
    pass=$((pass + p)); fail=$((fail + f))
else
    cat "$tmp/log"; echo "cannot build build/netc and build/asan/netc"; fail=$((fail + 1))
fi

[ "$skipped" -ne 0 ] && echo "($skipped skipped, reasons above)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
