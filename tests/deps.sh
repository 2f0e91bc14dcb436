#!/usr/bin/env bash
# tests/deps.sh [demo|test] — make sure the Debian packages netc needs are present.
# As root it installs what is missing (apt-get); otherwise it prints the exact
# apt-get line and fails.  Safe to run repeatedly: it only asks dpkg when all is there.
set -euo pipefail
want=(gcc clang libomp-dev ninja-build flex bison libcmocka-dev libclang-14-dev libclang-rt-14-dev
      zlib1g-dev libpng-dev libcairo2-dev python3 python3-numpy python3-torch python3-onnx
      libonnx-testdata dataset-fashion-mnist libdnnl-dev gcc-arm-none-eabi
      libnewlib-arm-none-eabi qemu-system-arm)
missing=()
for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "netc: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "netc: missing Debian packages; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi
