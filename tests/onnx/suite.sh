#!/usr/bin/env bash
# tests/onnx/suite.sh — ONNX's Conv/ConvTranspose conformance cases through netc.
#
# onnx2net.py translates every conv case of Debian's libonnx-testdata into a `.net`
# file, safetensors weights and .npy data in a temporary directory, and proves each
# translation by running it with PyTorch against ONNX's expected output; run.py then
# builds each case with `netc build --exe`, runs the program's `infer` and compares
# (rtol 1e-5, atol 1e-6).  One test per case; cases the language cannot express are
# listed with the reason and counted as skipped.  NETC overrides the compiler.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=${NETC_ROOT:-$here/../..}
netc=${NETC:-$root/build/netc}
py=/usr/bin/python3
export PYTHONDONTWRITEBYTECODE=1
data=${ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "onnx: Conv/ConvTranspose cases of $data"
if [ ! -d "$data/node" ]; then
    echo "FAIL: ONNX test data not found (apt-get install libonnx-testdata)"
    echo "0 passed, 1 failed"
    exit 1
fi
echo "translating, and checking each translation with PyTorch:"
$py "$here/onnx2net.py" --out "$tmp" --data "$data"
selfrc=$?
if [ ! -f "$tmp/cases.json" ]; then
    echo "FAIL: onnx2net.py crashed"
    echo "0 passed, 1 failed"
    exit 1
fi

counts() {  # translated, skipped
    $py -c 'import json,sys; c=json.load(open(sys.argv[1])); print(sum("dir" in e for e in c), sum("skipped" in e for e in c))' "$tmp/cases.json"
}
if [ ! -x "$netc" ]; then
    read -r nt ns < <(counts)
    echo "FAIL: the compiler $netc does not exist (run ninja first); no case can run"
    echo "0 passed, $nt failed, $ns skipped"
    exit 1
fi
$py "$here/run.py" "$tmp" "$netc"
rc=$?
[ $selfrc -eq 0 ] || rc=1
exit $rc
