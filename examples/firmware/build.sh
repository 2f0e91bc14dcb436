#!/usr/bin/env bash
# build.sh [-t m4f|m0|host] [-n] [-D MACRO=V]... DIR NAME OUT
#
# Build main.c around the generated network DIR/NAME.h + DIR/NAME.c into OUT/:
#   m4f  (default) OUT/NAME.m4f.elf   Cortex-M4F, hard float, for qemu -M mps2-an386
#   m0             OUT/NAME.m0.elf    Cortex-M0, soft float, same memory map (runs
#                                     on qemu -M mps2-an385, a Cortex-M3: run.sh -m)
#   host           OUT/NAME.host      the host twin, built with the host's gcc
# and, for the Arm targets, report flash and RAM use (arm-none-eabi-size).
# -n links newlib-nano (about 10 KB less flash, same output).
# -D passes a macro to every compile (e.g. -D NET_SEED=7).  Environment:
# CROSS (default arm-none-eabi-), HOSTCC (default gcc), HOSTOPT (the host
# twin's optimisation, default -O2), CFLAGS_EXTRA.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
target=m4f; defs=(); libc=()
while getopts "t:nD:" o; do
    case $o in
        t) target=$OPTARG ;;
        n) libc=(--specs=nano.specs -u _printf_float) ;;   # nano drops float printf
                                                           # unless asked for it
        D) defs+=("-D$OPTARG") ;;
        *) sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
[ $# -eq 3 ] || { sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
dir=$1; name=$2; out=$3
[ -f "$dir/$name.c" ] && [ -f "$dir/$name.h" ] || { echo "build.sh: no $dir/$name.{c,h}" >&2; exit 2; }
# weights embedded by `netc build --weights` live in NAME_weights.c (const: flash)
wsrc=(); [ -f "$dir/${name}_weights.c" ] && wsrc=("$dir/${name}_weights.c")
mkdir -p "$out"
cross=${CROSS:-arm-none-eabi-}
common=(-Wall -Wextra -I"$dir" "-DNET_HEADER=\"$name.h\"" "-DNET=$name" "${defs[@]}")
# shellcheck disable=SC2206
extra=(${CFLAGS_EXTRA:-})

case $target in
host)
    ${HOSTCC:-gcc} -std=c11 -D_POSIX_C_SOURCE=200809L ${HOSTOPT:--O2} "${common[@]}" "${extra[@]}" "$here/main.c" "$dir/$name.c" "${wsrc[@]}" -lm \
        -o "$out/$name.host"
    echo "built $out/$name.host"
    exit 0 ;;
m4f) cpu=(-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard) ;;
m0)  cpu=(-mcpu=cortex-m0 -mthumb -mfloat-abi=soft) ;;
*)   echo "build.sh: unknown target $target" >&2; exit 2 ;;
esac

# -std=gnu11, not c11: with an ISO -std GCC stops fusing a*b+c into one FMA
# instruction (-ffp-contract=off); GNU mode is what firmware builds normally
# get, and the FMA rounding is part of what the host comparison must tolerate.
cflags=("${cpu[@]}" -std=gnu11 -Os -ffunction-sections -fdata-sections "${common[@]}" "${extra[@]}")
elf=$out/$name.$target.elf
# The network on its own first, so its share can be reported.
"${cross}gcc" "${cflags[@]}" -c "$dir/$name.c" -o "$out/$name.$target.o"
# --specs=rdimon.specs: newlib with semihosting for stdio; -nostartfiles:
# startup.c replaces newlib's crt0 (so we own the vector table and reset).
wobj=()
if [ ${#wsrc[@]} -gt 0 ]; then
    "${cross}gcc" "${cflags[@]}" -c "${wsrc[0]}" -o "$out/${name}_weights.$target.o"
    wobj=("$out/${name}_weights.$target.o")
fi
"${cross}gcc" "${cflags[@]}" "$here/main.c" "$here/startup.c" "$out/$name.$target.o" "${wobj[@]}" \
    "${libc[@]}" --specs=rdimon.specs -nostartfiles -T "$here/mps2-an386.ld" \
    -Wl,--gc-sections -Wl,-Map="$out/$name.$target.map" -lm -o "$elf"

# Flash = what must be stored: vectors, code, constants, .data's initial image.
# RAM   = .data + .bss (+ heap and stack at run time) and, separately, .netram
# (the network state, in the AN386's PSRAM; on a small board it is RAM too).
"${cross}size" -A "$elf" | awk -v elf="$elf" -v tgt="$target" '
    $1 == ".vectors" || $1 == ".text" || $1 ~ /^\.ARM\.ex/ { flash += $2 }
    $1 == ".data"   { flash += $2; ram += $2 }
    $1 == ".bss"    { ram += $2 }
    $1 == ".netram" { net += $2 }
    END { printf "size %s: flash %d bytes, RAM %d bytes (.data+.bss), state %d bytes (.netram)\n",
                 tgt, flash, ram, net }'
"${cross}size" "$out/$name.$target.o" | awk -v tgt="$target" 'NR == 2 {
    n = split($6, p, "/"); printf "size %s: network object %s: text %d, data %d, bss %d bytes\n", tgt, p[n], $1, $2, $3 }'
