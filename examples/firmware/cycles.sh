#!/usr/bin/env bash
# cycles.sh [-t SECONDS] ELF — estimate the Cortex-M4 cycles of the forward pass
# of an M4F image from build.sh: runs it under QEMU as run.sh does, with QEMU's
# log of every translated and executed block piped into cycles.py, which prices
# the instructions between the two timer reads (see cycles.py for the model).
# The log grows by ~100 bytes per executed block: meant for small networks (a
# few million instructions); the timeout (default 120 s) bounds the rest.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=120
while getopts "t:" o; do
    case $o in t) secs=$OPTARG ;; *) sed -n '2,7s/^# \{0,1\}//p' "$0" >&2; exit 2 ;; esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] && [ -f "$1" ] || { sed -n '2,7s/^# \{0,1\}//p' "$0" >&2; exit 2; }
# QEMU's log goes to stderr, the program's output is dropped; nochain makes
# every executed block appear in the log.
timeout -k 5 "$secs" qemu-system-arm -M mps2-an386 -display none -serial null \
    -monitor none -icount shift=0 -semihosting-config enable=on,target=native \
    -kernel "$1" -d in_asm,exec,nochain 2>&1 >/dev/null </dev/null |
    /usr/bin/python3 "$here/cycles.py" "$1"
