#!/usr/bin/env bash
# run.sh [-t SECONDS] [-m MACHINE] ELF — run a firmware image from build.sh
# under QEMU's MPS2-AN386 (Cortex-M4F) model and pass its semihosting output to
# stdout.  -m mps2-an385 runs the Cortex-M0 image instead: that board is a
# Cortex-M3 (no FPU) with the same memory map, and the M3 executes the ARMv6-M
# instructions of a -mcpu=cortex-m0 build unchanged.
#
# The exit status is the program's own (main's return value; 100+N for a fault
# in exception N), or 124 when it ran past the timeout (default 60 s), so a
# broken image can never hang a caller.
#
# QEMU runs with -icount shift=0: virtual time advances exactly 1 ns per
# instruction, which makes runs deterministic and turns the SysTick count that
# main.c prints (25 MHz CPU clock on this board) into an instruction count:
# instructions = ticks * 40.  QEMU does not model pipeline or memory timing, so
# that is instructions executed, not Cortex-M4 cycles (for FPU-heavy loops with
# zero-wait-state memory, real cycles are roughly 1-1.5x this).
set -uo pipefail
secs=60; machine=mps2-an386
usage() { sed -n '2,18s/^# \{0,1\}//p' "$0" >&2; exit 2; }
while getopts "t:m:" o; do
    case $o in t) secs=$OPTARG ;; m) machine=$OPTARG ;; *) usage ;; esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] && [ -f "$1" ] || usage
# -nographic would tie the serial port and monitor to stdio; with no display,
# no serial and no monitor only the semihosting output (target=native: QEMU's
# own stdout) is left on stdout.
exec timeout -k 5 "$secs" qemu-system-arm -M "$machine" -display none -serial null \
    -monitor none -icount shift=0 -semihosting-config enable=on,target=native \
    -kernel "$1" </dev/null
