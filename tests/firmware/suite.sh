#!/usr/bin/env bash
# tests/firmware/suite.sh — the firmware path: generated C on a Cortex-M4F
# (QEMU mps2-an386) must compute what the same C computes on the host.
#
# First the harness itself (examples/firmware/startup.c, run.sh) is probed:
# exit status passed through semihosting, a fault ends the run, a hang is cut
# off, FPU/.data/.bss set up.  Then, for the hand-written fixture
# (fixture/tiny.{c,h}, itself checked against PyTorch by fixture/oracle.py)
# and, when build/netc exists, every network of every examples/*.net and of
# the firmware benchmark anchors bench/nets/fw*.net:
#   host     build the host twin with gcc and run it
#   m4f      cross-build for the Cortex-M4F (flash/RAM printed), run it in QEMU
#            (mps2-an386), compare every output value with the host's:
#            |m4f - host| <= 1e-6 + 1e-5*|host|, and per output tensor
#            max|m4f - host| <= 1e-5 * max|host| (so that small outputs are not
#            judged by the absolute bound alone).  The two differ only by FMA
#            contraction and newlib's vs glibc's libm, so they must agree to
#            float rounding
#   m0       the same for a Cortex-M0 soft-float build, run on mps2-an385, whose
#            Cortex-M3 executes the ARMv6-M image unchanged (QEMU has no M0 board
#            with this memory map); at least it must link
#   cycles   for small networks, the M4 cycle estimate of cycles.sh, whose
#            instruction count must agree with the SysTick one
# Every network of examples/*.net and bench/nets/fw*.net is built with
# `netc build --profile firmware --verify --max-ram 16M --max-stack 4096` (the
# fixture's tiny.net keeps the default profile), and the state (RAM) of each is
# printed next to the default profile's: smaller when the network trains.  A
# network whose state is over the 16 MB limit (--verify fails, writing nothing) is
# checked again compiled at batch 1, as firmware would run it.
# The profile itself: on the fixture's network it is the default output but for
# NETC_RESTRICT (overridable, the header valid C++); on the FSRCNN example, with weights PyTorch initialised
# (fsrcnn_torch.py) embedded by --weights, the kernels read the const array in
# place, the state drops by exactly the parameters' bytes, no training code is
# left, only <string.h>/<math.h> are included, the weights object is flash only
# (arm-none-eabi-size), and the M4F's outputs match PyTorch's; with --train, two
# training steps on the M4F give the host twin's losses.
# Ends with "N passed, N failed".  Writes only to a mktemp -d it removes.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
fw=$root/examples/firmware
here=$root/tests/firmware
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
deadline=$((start + 260))   # the suite must end within 4.5 minutes: runs get what
                            # is left, networks not started by deadline-20 are skipped
left() { local l=$((deadline - $(date +%s))); [ $l -lt 5 ] && l=5; [ $l -gt 60 ] && l=60; echo $l; }
pass=0; fail=0

ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# run a command, keeping its output in a log shown only when it fails
quiet() { local log=$tmp/log; "$@" >"$log" 2>&1 || { sed 's/^/     | /' "$log" | tail -n 30; return 1; }; }

for tool in arm-none-eabi-gcc qemu-system-arm gcc; do
    command -v "$tool" >/dev/null || { bad "$tool is missing (tests/deps.sh installs it)"; echo "$pass passed, $fail failed"; exit 1; }
done

# ---- the harness ----------------------------------------------------------
probe() {   # probe N EXPECTED_STATUS WHAT
    local elf=$tmp/probe$1.elf rc
    if ! quiet arm-none-eabi-gcc -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard \
            -Os -Wall -Wextra -Werror -DPROBE="$1" "$here/probe.c" "$fw/startup.c" \
            --specs=rdimon.specs -nostartfiles -T "$fw/mps2-an386.ld" -o "$elf"; then
        bad "probe $1 builds"; return
    fi
    "$fw/run.sh" -t 3 "$elf" >"$tmp/probe$1.out" 2>&1; rc=$?
    if [ "$rc" -eq "$2" ]; then ok "probe: $3 (exit $rc)"
    else bad "probe: $3: exit $rc, expected $2"; sed 's/^/     | /' "$tmp/probe$1.out"; fi
}
probe 1 7   "main's return value reaches QEMU's exit status"
probe 2 103 "a HardFault ends the run with 100 + exception number"
probe 3 124 "a program that never ends is stopped by run.sh's timeout"
probe 4 0   "FPU enabled, .data copied, 2 MB .bss zeroed"

# ---- one network through host, M4F, compare and M0 --------------------------
# compare A B: A is a target's output, B the host's; prints a summary line
compare() {
    awk -v rt=1e-5 -v at=1e-6 '
        function abs(x) { return x < 0 ? -x : x }
        FNR == 1 { f++ }
        / = / { if (f == 1) { ta[$1] = $3; tb[$1] = $4; na++ } else { hv[$1] = $3; hb[$1] = $4; nb++ } ; next }
        /^(net|input|output) / { s = $0; sub(/ state [0-9]+$/, "", s)   # sizeof may differ by ABI
                                   if (f == 1) sa = sa s "\n"; else sb = sb s "\n" }
        /^checksum / { if (f == 1) ca = $2; else cb = $2 }
        END {
            if (sa != sb) { print "     interfaces differ:"; print sa; print sb; exit 1 }
            if (na != nb || ca != na || cb != nb || na == 0) {
                printf "     value counts differ or a run is incomplete: target %d (checksum %s), host %d (checksum %s)\n", na, ca, nb, cb; exit 1 }
            for (k in hv) {
                if (!(k in ta)) { print "     missing on the target: " k; exit 1 }
                a = ta[k] + 0; b = hv[k] + 0; d = abs(a - b)
                # non-finite values must match in kind (the sign of a NaN may not)
                if (ta[k] ~ /(nan|inf)/ || hv[k] ~ /(nan|inf)/) {
                    x = ta[k]; y = hv[k]; sub(/^-nan/, "nan", x); sub(/^-nan/, "nan", y)
                    if (x != y) { bads++; if (!w) { w = k; wa = ta[k]; wb = hv[k] } }
                    continue
                }
                if (tb[k] == hb[k]) same++
                if (d > maxd) maxd = d
                r = d / (abs(b) > 1e-30 ? abs(b) : 1e-30); if (d > 0 && r > maxr) maxr = r
                if (d > at + rt * abs(b)) { bads++; if (!w) { w = k; wa = ta[k]; wb = hv[k] } }
                t = k; sub(/\[.*/, "", t)                       # per output tensor:
                if (d > tmaxd[t]) tmaxd[t] = d                  # largest difference and
                if (abs(b) > tmaxb[t]) tmaxb[t] = abs(b)        # largest magnitude
            }
            # normwise: outputs far below 1 must not be judged by the absolute
            # bound alone, so the largest difference in each tensor must also stay
            # within rt times its largest value
            for (t in tmaxd) {
                q = tmaxd[t] / (tmaxb[t] > 0 ? tmaxb[t] : 1e-30)
                if (q > maxq) maxq = q
                if (tmaxd[t] > rt * tmaxb[t]) { nbad = nbad " " t }
            }
            printf "     %d values, %d bit-identical, max abs diff %.3g, max rel diff %.3g, max diff / max |value| %.3g\n", nb, same, maxd, maxr, maxq
            if (bads) { printf "     %d outside tolerance, e.g. %s: target %s host %s\n", bads, w, wa, wb; exit 1 }
            if (nbad != "") { printf "     normwise difference above %g in:%s\n", rt, nbad; exit 1 }
        }' "$1" "$2"
}

# too_big LOG: did the link fail only because a memory region overflowed?
# (a network whose state exceeds the board's 16 MB is not a firmware bug)
too_big() {
    local pat="region .* overflowed|will not fit in region"
    grep -qE "$pat" "$1" || return 1
    grep -E "$pat" "$1" | head -n 3 | sed 's/^/     | /'
}

# check_net DIR NAME LABEL: all checks of one network.  The Arm builds come
# first: a network whose state does not fit the board is reported at once
# (didnt_fit=1, for the caller) without spending time on the host run.
check_net() {
    local t0; t0=$(date +%s)
    check_net_ "$@"
    echo "     ($3: $(( $(date +%s) - t0 ))s)"
}
check_net_() {
    local dir=$1 name=$2 label=$3 out=$tmp/$3 strict=() tgt
    didnt_fit=0; m4f_insns=0
    mkdir -p "$out"
    [ "$label" = tiny ] && strict=(CFLAGS_EXTRA=-Werror)   # our own code: no warnings
    local -A built=()
    # NAME_STATE_BYTES over the 16 MB of PSRAM: do not even compile
    local sb; sb=$(sed -nE 's/^#define [A-Za-z0-9_]+_STATE_BYTES[[:space:]]+([0-9]+).*/\1/p' "$dir/$name.h" | head -n 1)
    if [ -n "$sb" ] && [ "$sb" -gt $((16 * 1024 * 1024)) ]; then
        echo "skip $label m4f, m0: state $sb bytes, more than the AN386's 16 MB PSRAM"
        didnt_fit=1; return
    fi
    # the two Arm builds side by side (generated files take seconds to compile)
    local -A pid=()
    for tgt in m4f m0; do
        env "${strict[@]}" "$fw/build.sh" -t "$tgt" "$dir" "$name" "$out" >"$out/size.$tgt" 2>"$out/build.$tgt" &
        pid[$tgt]=$!
    done
    for tgt in m4f m0; do
        if wait "${pid[$tgt]}"; then
            sed 's/^/     /' "$out/size.$tgt"; built[$tgt]=1
        elif too_big "$out/build.$tgt" >"$out/big.txt"; then
            echo "skip $label $tgt: does not fit the AN386's memory:"; cat "$out/big.txt"
            didnt_fit=1
        else bad "$label $tgt: build failed"; sed 's/^/     | /' "$out/build.$tgt" | tail -n 30; fi
    done
    [ -n "${built[m4f]:-}${built[m0]:-}" ] || return

    # -O0: without -ffast-math the host's float results do not depend on the
    # optimisation level, and big generated files compile 10x faster
    if quiet env "${strict[@]}" HOSTOPT=-O0 "$fw/build.sh" -t host "$dir" "$name" "$out" &&
       timeout "$(left)" "$out/$name.host" >"$out/host.txt" 2>"$out/host.err"; then
        ok "$label host: built, ran ($(grep -c ' = ' "$out/host.txt") values)"
    else bad "$label host: build or run failed"; sed 's/^/     | /' "$out/host.err" 2>/dev/null | tail; return; fi

    [ -n "${built[m4f]:-}" ] && run_target m4f mps2-an386 "Cortex-M4F" 60
    # Soft float takes 10-20x the M4F's instructions: the M0 run (beyond the
    # link that is required) is left out when the M4F needed over 10 M, and
    # gets at most 20 s; one that needs more is skipped, not failed.
    [ -n "${built[m0]:-}" ] && run_target m0 mps2-an385 "Cortex-M0 soft float, run on the M3 of mps2-an385" 20
}

# run_target TARGET MACHINE WHAT CAP: run a built image in QEMU for at most CAP
# seconds and compare it with the host twin (uses check_net's variables)
run_target() {
    local tgt=$1 machine=$2 what=$3 cap=$4 t st rc lim
    if [ "$tgt" = m0 ] && [ "${NETC_QUICK:-0}" = 1 ]; then
        ok "$label $tgt: links ($what); run skipped under NETC_QUICK"; return
    elif [ "$tgt" = m0 ] && [ "$m4f_insns" -gt 10000000 ]; then
        ok "$label $tgt: links ($what); run skipped: the M4F took $m4f_insns instructions"; return
    fi
    lim=$(left); [ "$lim" -gt "$cap" ] && lim=$cap
    "$fw/run.sh" -t "$lim" -m "$machine" "$out/$name.$tgt.elf" >"$out/$tgt.txt" 2>"$out/$tgt.err"; rc=$?
    if [ "$rc" -eq 3 ] && grep -q '^error: no memory' "$out/$tgt.txt"; then
        echo "skip $label $tgt: $(grep '^error: no memory' "$out/$tgt.txt") (AN386's 16 MB PSRAM + 4 MB RAM)"
        didnt_fit=1; return
    elif [ "$rc" -eq 124 ] && { [ "$tgt" = m0 ] || [ "$(date +%s)" -ge "$deadline" ]; }; then
        ok "$label $tgt: links ($what); run skipped: longer than the ${lim}s it could have"; return
    elif [ "$rc" -ne 0 ]; then
        bad "$label $tgt: run exited $rc ($what)"; tail -n 5 "$out/$tgt.txt" "$out/$tgt.err" | sed 's/^/     | /'; return
    fi
    t=$(awk '/^forward ticks/ { print $3 }' "$out/$tgt.txt")
    st=$(sed -nE 's/^stack peak ([0-9]+) bytes.*heap ([0-9]+) bytes.*/\1 bytes, heap \2/p' "$out/$tgt.txt")
    [ "$tgt" = m4f ] && m4f_insns=$((t * 40))
    ok "$label $tgt: built, ran in qemu ($what); forward ~$((t * 40)) instructions ($t SysTick ticks), stack peak $st bytes"
    if compare "$out/$tgt.txt" "$out/host.txt"; then ok "$label $tgt compare: matches host within 1e-5 rel / 1e-6 abs, 1e-5 normwise"
    else bad "$label $tgt compare: outputs differ from the host's"; fi
    # Estimated M4 cycles from QEMU's execution log, for small networks only
    # (the log grows with every block executed); its instruction count must
    # agree with the SysTick-derived one (40 instructions per tick, and the
    # timer's own code and interrupts on top: 0.1% + 100)
    if [ "$tgt" = m4f ] && [ "$m4f_insns" -lt 1000000 ] && [ "${NETC_QUICK:-0}" != 1 ]; then
        local c n d
        c=$("$fw/cycles.sh" -t "$(left)" "$out/$name.m4f.elf" 2>&1)
        n=$(sed -nE 's/^forward: ([0-9]+) instructions.*/\1/p' <<<"$c")
        d=$(( ${n:-0} - m4f_insns )); d=${d#-}
        if [ -n "$n" ] && [ "$d" -le $((100 + m4f_insns / 1000)) ]; then
            ok "$label m4f cycles: ${c#forward: }"
        else bad "$label m4f cycles: $c (SysTick: ~$m4f_insns instructions)"; fi
    fi
}

check_net "$here/fixture" tiny tiny
# The fixture's own oracle: what it computes is PyTorch's conv_transpose2d.
if [ -f "$tmp/tiny/host.txt" ]; then
    if /usr/bin/python3 "$here/fixture/oracle.py" "$tmp/tiny/host.txt" >"$tmp/oracle.txt" 2>&1; then
        ok "tiny $(tail -n 1 "$tmp/oracle.txt")"
    else bad "tiny oracle"; sed 's/^/     | /' "$tmp/oracle.txt" | tail; fi
fi

# newlib-nano (build.sh -n): smaller, and must print exactly the same
if [ -f "$tmp/tiny/m4f.txt" ] && "$fw/build.sh" -n "$here/fixture" tiny "$tmp/nano" >"$tmp/nano.size" 2>&1; then
    "$fw/run.sh" -t 20 "$tmp/nano/tiny.m4f.elf" >"$tmp/nano/m4f.txt" 2>&1
    if diff <(grep -v '^stack\|^forward' "$tmp/nano/m4f.txt") \
            <(grep -v '^stack\|^forward' "$tmp/tiny/m4f.txt") >/dev/null; then
        ok "tiny m4f with newlib-nano: same output; $(sed -n 's/^size m4f: //p' "$tmp/nano.size" | head -n 1)"
    else bad "tiny m4f with newlib-nano: output differs from full newlib's"; fi
else bad "tiny m4f with newlib-nano: build failed"; sed 's/^/     | /' "$tmp/nano.size" | tail; fi

# ---- every example, when the compiler exists --------------------------------
netc=$root/build/netc
if [ -x "$netc" ]; then   # a copy: a rebuild in the checkout cannot pull it away mid-run
    cp "$netc" "$tmp/netc" && netc=$tmp/netc
fi
shopt -s nullglob
# the firmware benchmark anchors (bench/nets/fw*.net: small single-layer
# networks, here for their instruction counts on the M4F; not their *_train.net
# twins, which are the same inference code under the firmware profile), the
# fixture's network as netc compiles it (two outputs, relu
# and sigmoid), then the examples by their MACs per batch (netc check); the cheap
# ones first, so that a slow machine skips only big ones at the deadline.
# examples/fsrcnn.net is left out there: profile_fsrcnn below checks it, with
# PyTorch's weights and against PyTorch.
examples=()
if [ -x "$netc" ]; then
    while read -r _ f; do examples+=("$f"); done < <(
        for f in "$root"/examples/*.net; do
            [ "$(basename "$f")" = fsrcnn.net ] && continue
            "$netc" check "$f" --json 2>/dev/null | /usr/bin/python3 -c '
import json, sys
print(sum(n["macs"] * n["batch"] for n in json.load(sys.stdin)["networks"]), sys.argv[1])' "$f" || echo "0 $f"
        done | sort -n)
fi
anchors=()
for f in "$root"/bench/nets/fw*.net; do [[ $f == *_train*.net ]] || anchors+=("$f"); done
nets=("${anchors[@]}" "$here/fixture/tiny.net" "${examples[@]}")
# Every network is built with --profile firmware and --verify: netc lint's rules
# with the AN386's 16 MB of PSRAM as the RAM limit and a 4 KB stack (measured by
# lint with the host's gcc -Os); the fixture's network keeps the default profile.
max_ram=$((16 * 1024 * 1024)) max_stack=4096
fwprof=(--profile firmware --verify --max-ram "$max_ram" --max-stack "$max_stack")
state_bytes() { sed -nE 's/^#define [A-Za-z0-9_]+_STATE_BYTES .*: ([0-9]+) bytes.*/\1/p' "$1" | head -n 1; }

# build_verified FILE.net GEN LABEL [netc options]: netc build with the firmware
# profile and --verify; prints lint's summary; status 3 when only the RAM limit
# failed (the network is too big for the board at this batch)
build_verified() {
    local f=$1 gen=$2 label=$3; shift 3
    if "$netc" build "$f" "${fwprof[@]}" "$@" -o "$gen" >"$tmp/verify.log" 2>&1; then
        ok "$label: netc build --profile firmware --verify --max-ram $max_ram --max-stack $max_stack"
        grep -E '^  (static RAM|flash|stack) ' "$tmp/verify.log" | sed 's/^ */     lint: /'
        return 0
    fi
    if grep -q ': ram-limit: ' "$tmp/verify.log" && ! grep -vE ': ram-limit: |^  |^lint |^netc build: --verify' "$tmp/verify.log" | grep -q .; then
        if [ -e "$gen" ] && ls "$gen" | grep -q .; then bad "$label: --verify failed but left files in $gen"; return 1; fi
        echo "skip $label: $(grep -m1 '^  static RAM' "$tmp/verify.log" | sed 's/^ *//') (--verify wrote nothing)"
        return 3
    fi
    bad "$label: netc build --profile firmware --verify"; sed 's/^/     | /' "$tmp/verify.log" | tail -n 30
    return 1
}

# ram_saved GEN-FIRMWARE GEN-DEFAULT NAME LABEL: the profile's RAM against the
# default output's; less when the network trains (no gradients, optimiser
# state or training arena), otherwise the same or less (the firmware schedule is
# compact: no interleaved phase results, see conv_interleaved)
ram_saved() {
    local fw def
    fw=$(state_bytes "$1/$3.h"); def=$(state_bytes "$2/$3.h")
    if [ -z "$fw" ] || [ -z "$def" ]; then bad "$4: no STATE_BYTES in the headers"; return; fi
    if grep -q "_train_step" "$2/$3.h"; then
        if [ "$fw" -lt "$def" ]; then ok "$4 RAM: default profile $def bytes, firmware $fw bytes ($((def - fw)) saved: inference only)"
        else bad "$4 RAM: firmware $fw bytes, not below the default profile's $def"; fi
    elif [ "$fw" -eq "$def" ]; then ok "$4 RAM: default profile $def bytes, firmware $fw bytes (no train block: the same)"
    elif [ "$fw" -lt "$def" ]; then ok "$4 RAM: default profile $def bytes, firmware $fw bytes (no train block; $((def - fw)) saved by the compact schedule)"
    else bad "$4 RAM: firmware $fw bytes, default $def, for a network that does not train"; fi
}

# check_against_torch DIR NAME LABEL: check_net on DIR/const, then the Cortex-M4F's
# output against PyTorch's (DIR/torch.txt, written by a *_torch.py twin)
check_against_torch() {
    check_net "$1/const" "$2" "$3"
    if [ -f "$tmp/$3/m4f.txt" ] && compare "$tmp/$3/m4f.txt" "$1/torch.txt"; then
        ok "$3 m4f compare: matches PyTorch within 1e-5 rel / 1e-6 abs, 1e-5 normwise"
    else bad "$3 m4f compare: differs from PyTorch's output (or did not run)"; fi
}

# ---- the firmware profile on the FSRCNN example, against PyTorch -------------
# fsrcnn_torch.py, PyTorch's twin of examples/fsrcnn.net, initialises its
# parameters (seed 0), saves them as safetensors and computes the output for
# main.c's fixed input.  netc build --profile firmware --weights embeds them as
# the const fsrcnn_weights (flash) that the kernels read in place: the state
# (RAM) loses exactly the parameters' bytes, no training code or state is left,
# and the Cortex-M4F's output must match PyTorch's (and the host twin's).
profile_fsrcnn() {
    local f=$root/examples/fsrcnn.net d=$tmp/prof p np want
    mkdir -p "$d"
    if ! quiet /usr/bin/python3 "$here/fsrcnn_torch.py" 16 "$d"; then bad "fsrcnn: PyTorch twin failed"; return; fi
    build_verified "$f" "$d/const" "fsrcnn+weights" --weights "$d/w.safetensors" || return
    if ! quiet "$netc" build "$f" --profile firmware -o "$d/fw" || ! quiet "$netc" build "$f" -o "$d/def"; then
        bad "fsrcnn: netc build (firmware without --weights, default)"; return
    fi
    if grep -qE 'fsrcnn_train_step|fsrcnn_eval_loss|grads\[|opt\[|tb_[a-z0-9_]+\(' "$d/const/fsrcnn.c" "$d/const/fsrcnn.h" "$d/fw/fsrcnn.c" "$d/fw/fsrcnn.h"; then
        bad "fsrcnn firmware: training code or state left in the output"
    elif ! grep -q 'fsrcnn_train_step' "$d/def/fsrcnn.h"; then
        bad "fsrcnn default profile: no training step (the check above would prove nothing)"
    else ok "fsrcnn firmware: no training functions, gradients or optimiser state (the default output has them)"; fi
    if grep -q 's->params' "$d/const/fsrcnn.c" || grep -qE 'params\[' "$d/const/fsrcnn.h" ||
       ! grep -q 'fsrcnn_weights + ' "$d/const/fsrcnn.c"; then
        bad "fsrcnn firmware --weights: the kernels do not read fsrcnn_weights in place"
    else ok "fsrcnn firmware --weights: kernels read the const fsrcnn_weights in place, no params in the state"; fi
    p=$(grep -vE '^#include (<math\.h>|<string\.h>|"fsrcnn\.h")$' "$d/const/fsrcnn.c" "$d/const/fsrcnn.h" | grep '#include')
    if [ -n "$p" ]; then bad "fsrcnn firmware: includes beyond <string.h> and <math.h>: $p"
    else ok "fsrcnn firmware: includes only <string.h>, <math.h> and its own header"; fi
    # RAM: the state without --weights minus with it is the parameters, padded to 16 floats
    np=$("$netc" check "$f" --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["networks"][0]["params"])')
    want=$(( (np + 15) / 16 * 16 * 4 ))
    local sc sf sd
    sc=$(state_bytes "$d/const/fsrcnn.h"); sf=$(state_bytes "$d/fw/fsrcnn.h"); sd=$(state_bytes "$d/def/fsrcnn.h")
    if [ -n "$sc" ] && [ -n "$sf" ] && [ $((sf - sc)) -eq "$want" ] && [ "$sf" -lt "$sd" ]; then
        ok "fsrcnn RAM: default $sd bytes, firmware $sf, firmware --weights $sc ($np parameters = $want bytes moved to flash)"
    else bad "fsrcnn RAM: default $sd, firmware $sf, firmware --weights $sc; expected a drop of $want"; fi
    check_against_torch "$d" fsrcnn "fsrcnn+weights"
    local out=$tmp/fsrcnn+weights
    if [ -f "$out/fsrcnn_weights.m4f.o" ]; then
        local sz; sz=$(arm-none-eabi-size "$out/fsrcnn_weights.m4f.o" | awk 'NR == 2 { print $1, $2, $3 }')
        read -r wt wd wb <<<"$sz"
        if [ "$wt" -ge $((np * 4)) ] && [ "$wd" -eq 0 ] && [ "$wb" -eq 0 ]; then
            ok "fsrcnn+weights: fsrcnn_weights.o is text $wt, data $wd, bss $wb bytes (arm-none-eabi-size): flash only"
        else bad "fsrcnn+weights: fsrcnn_weights.o is text $wt, data $wd, bss $wb: the weights are not in flash alone"; fi
    else bad "fsrcnn+weights: no fsrcnn_weights.m4f.o"; fi
}

# ---- the firmware profile's unrolled path, against PyTorch -------------------
# The decoder of examples/autoencoder.net: its first layer (a k3 s2 tconv 32 -> 16)
# takes the unrolled path, which in a compact schedule reads the weights where they
# lie (the const decoder_weights, flash) and needs no scratch; decoder_torch.py is
# its PyTorch twin, and the Cortex-M4F's output must match it.
profile_decoder() {
    local d=$tmp/pdec
    mkdir -p "$d"
    if ! quiet /usr/bin/python3 "$here/decoder_torch.py" "$d"; then bad "decoder: PyTorch twin failed"; return; fi
    build_verified "$root/examples/autoencoder.net" "$d/const" "decoder+weights" --network decoder --weights "$d/w.safetensors" || return
    if grep -q '/\* the unrolled path' "$d/const/decoder.c" && ! grep -q 'pack\[' "$d/const/decoder.c"; then
        ok "decoder firmware: d1 takes the unrolled path, its weights read in place (no pack)"
    else bad "decoder firmware: d1 is not on the unrolled path, or packs its weights"; fi
    check_against_torch "$d" decoder "decoder+weights"
}

# losses_match A B NAME_A NAME_B FALL: the two training steps' losses that main.c
# printed in files A and B agree within 1e-5 (relative); FALL 1: and A's fall
losses_match() {
    awk -v na="$3" -v nb="$4" -v fall="$5" 'FNR == 1 { f++ } /^train step / { l[f, $3] = $5; n[f]++ }
        END { if (n[1] != 2 || n[2] != 2) exit 1
              for (s = 1; s <= 2; s++) { a = l[1, s]; b = l[2, s]; d = a - b; if (d < 0) d = -d
                  printf "     step %d loss: %s %s %s %s\n", s, na, a, nb, b
                  if (!(b > 0) || d > 1e-5 * b) exit 1 }
              if (fall && !(l[1, 2] < l[1, 1])) { print "     the loss did not fall"; exit 1 } }' "$1" "$2"
}

# --profile firmware --train keeps on-device training: two training steps of
# FSRCNN at batch 1 on the Cortex-M4F (main.c -DNET_TRAIN_STEPS=2) give the host
# twin's losses, and the state holds what the default output's does.
profile_train() {
    local d=$tmp/ptrain out=$tmp/ptrain/out rc
    mkdir -p "$out"
    sed -E 's/^([[:space:]]*batch[[:space:]]*=[[:space:]]*)[0-9]+/\11/' "$root/examples/fsrcnn.net" >"$d/fsrcnn.net"
    build_verified "$d/fsrcnn.net" "$d/gen" "fsrcnn@batch1 --train" --train || return
    quiet "$netc" build "$d/fsrcnn.net" -o "$d/def" || { bad "fsrcnn@batch1: default build"; return; }
    if grep -q 'fsrcnn_train_step' "$d/gen/fsrcnn.h" && [ "$(state_bytes "$d/gen/fsrcnn.h")" = "$(state_bytes "$d/def/fsrcnn.h")" ]; then
        ok "fsrcnn@batch1 firmware --train: the training step is kept, state $(state_bytes "$d/gen/fsrcnn.h") bytes as in the default profile"
    else bad "fsrcnn@batch1 firmware --train: no training step or a different state"; return; fi
    if ! quiet "$fw/build.sh" -D NET_TRAIN_STEPS=2 "$d/gen" fsrcnn "$out" ||
       ! quiet env HOSTOPT=-O0 "$fw/build.sh" -t host -D NET_TRAIN_STEPS=2 "$d/gen" fsrcnn "$out"; then
        bad "fsrcnn@batch1 --train: build failed"; return
    fi
    "$fw/run.sh" -t "$(left)" "$out/fsrcnn.m4f.elf" >"$out/m4f.txt" 2>&1; rc=$?
    "$out/fsrcnn.host" >"$out/host.txt" 2>&1 || rc=$((rc + 100))
    if [ "$rc" -ne 0 ]; then bad "fsrcnn@batch1 --train: runs exited $rc"; tail -n 3 "$out/m4f.txt" "$out/host.txt" | sed 's/^/     | /'; return; fi
    if losses_match "$out/m4f.txt" "$out/host.txt" m4f host 1; then
        ok "fsrcnn@batch1 --train m4f: two training steps on the Cortex-M4F, losses match the host's within 1e-5 and fall"
    else bad "fsrcnn@batch1 --train m4f: losses differ from the host's"; grep '^train\|^error' "$out/m4f.txt" "$out/host.txt" | sed 's/^/     | /'; fi
}

# --profile firmware --train on the unrolled path: tests/train's `unrolled` network
# (forwards, and input gradients adding, on the path: in the compact schedule with
# the weights read in place) takes two training steps on the host twin with the
# same losses as the default output's host build (which tests/train checks against
# PyTorch), within 1e-5.
profile_train_unrolled() {
    local d=$tmp/ptrainu
    mkdir -p "$d/out-fw" "$d/out-def"
    build_verified "$root/tests/train/nets.net" "$d/gen" "unrolled --train" --network unrolled --train || return
    quiet "$netc" build "$root/tests/train/nets.net" --network unrolled -o "$d/def" || { bad "unrolled: default build"; return; }
    grep -q 'static void ublock_' "$d/gen/unrolled.c" || { bad "unrolled firmware --train: no layer on the unrolled path"; return; }
    if ! quiet env HOSTOPT=-O0 "$fw/build.sh" -t host -D NET_TRAIN_STEPS=2 "$d/gen" unrolled "$d/out-fw" ||
       ! quiet env HOSTOPT=-O0 "$fw/build.sh" -t host -D NET_TRAIN_STEPS=2 "$d/def" unrolled "$d/out-def"; then
        bad "unrolled --train: host builds failed"; return
    fi
    if "$d/out-fw/unrolled.host" >"$d/fw.txt" 2>&1 && "$d/out-def/unrolled.host" >"$d/def.txt" 2>&1 &&
       losses_match "$d/fw.txt" "$d/def.txt" firmware default 0; then
        ok "unrolled firmware --train: two training steps on the unrolled path without packs, losses match the default output's"
    else bad "unrolled firmware --train: losses differ from the default output's (or a run failed)"; grep '^train\|^error' "$d/fw.txt" "$d/def.txt" | sed 's/^/     | /'; fi
}

# The profile against the default output, on the fixture's network (no train
# block, no weights): the same C except that every restrict is NETC_RESTRICT,
# defined in the header's one extra block; the macros can be overridden.
profile_macros() {
    local d=$tmp/pmacro f=$here/fixture/tiny.net
    if ! quiet "$netc" build "$f" --profile firmware -o "$d/fw" || ! quiet "$netc" build "$f" -o "$d/def"; then
        bad "tiny.net: netc build --profile firmware / default"; return
    fi
    if grep -qw restrict "$d/fw/tiny.c" || ! grep -q NETC_RESTRICT "$d/fw/tiny.c"; then
        bad "tiny firmware: a kernel pointer is not NETC_RESTRICT"
    elif diff <(sed 's/NETC_RESTRICT/restrict/g' "$d/fw/tiny.c") "$d/def/tiny.c" >/dev/null &&
         diff <(sed '/^\/\* Profile firmware/,/^$/d' "$d/fw/tiny.h") "$d/def/tiny.h" >/dev/null; then
        ok "tiny firmware: the default output but for NETC_RESTRICT and its definition"
    else bad "tiny firmware: differs from the default output beyond NETC_RESTRICT"; diff "$d/fw/tiny.h" "$d/def/tiny.h" | head | sed 's/^/     | /'; fi
    if quiet gcc -std=c99 -Wall -Wextra -pedantic -Werror -DNETC_RESTRICT= -DNETC_ALIGN= -DNETC_EXPF=expf -c -I"$d/fw" "$d/fw/tiny.c" -o "$d/o.o" &&
       quiet clang -x c++ -fsyntax-only -Wall -Wextra -Werror "$d/fw/tiny.h"; then
        ok "tiny firmware: builds with NETC_RESTRICT, NETC_ALIGN overridden; the header is valid C++ too"
    else bad "tiny firmware: overriding the macros (or C++) fails"; fi
}

if [ -x "$netc" ] && [[ $("$netc" build --help 2>&1) == *"--profile"* ]]; then
    profile_macros
    profile_fsrcnn
    profile_decoder
    profile_train
    profile_train_unrolled
fi

if [ ! -x "$netc" ]; then
    echo "skip examples: $netc not built (run ninja); only the fixture was checked"
elif [ ${#nets[@]} -eq 0 ]; then
    echo "skip examples: no examples/*.net nor bench/nets/fw*.net"
elif [[ $("$netc" build --help 2>&1) != *"--profile"* ]]; then
    bad "examples: this netc has no build --profile"
else
    for f in "${nets[@]}"; do
        base=$(basename "$f" .net); gen=$tmp/gen-$base
        if [ $(( deadline - $(date +%s) )) -lt 20 ]; then
            echo "skip $base: the suite's 4.5-minute budget is spent"; continue
        fi
        b1=""
        if [ "$f" = "$here/fixture/tiny.net" ]; then      # the default-profile case
            if ! quiet "$netc" build "$f" -o "$gen"; then bad "$base: netc build failed"; continue; fi
        else
            build_verified "$f" "$gen" "$base"; rc=$?
            [ $rc -eq 1 ] && continue
            if [ $rc -eq 3 ]; then
                # Too big for the board at its batch size: the same network at
                # batch 1, as firmware would run it, must fit and agree.
                grep -qE '^[[:space:]]*batch[[:space:]]*=' "$f" || continue
                sed -E 's/^([[:space:]]*batch[[:space:]]*=[[:space:]]*)[0-9]+/\11/' "$f" >"$tmp/$base-b1.net"
                f=$tmp/$base-b1.net; b1=@batch1
                build_verified "$f" "$gen" "$base$b1" || continue
            fi
            quiet "$netc" build "$f" -o "$gen-default" || { bad "$base$b1: default profile build failed"; continue; }
        fi
        hs=("$gen"/*.h)
        [ ${#hs[@]} -gt 0 ] || { bad "$base: netc wrote no header"; continue; }
        for h in "${hs[@]}"; do
            n=$(basename "$h" .h)
            # a network's header declares NAME_model; other headers are helpers
            [ -f "$gen/$n.c" ] && grep -q "${n}_model" "$h" || continue
            [ -d "$gen-default" ] && ram_saved "$gen" "$gen-default" "$n" "$base/$n$b1"
            check_net "$gen" "$n" "$base/$n$b1"
            [ "$didnt_fit" = 1 ] && bad "$base/$n$b1: passed --verify's RAM limit but does not fit the board"
        done
    done
fi

echo "firmware: $(( $(date +%s) - start ))s"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
