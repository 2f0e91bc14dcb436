#!/bin/bash
# tests/train-runtime/suite.sh — the training runtime (runtime/train.c): `NAME train`
# and `NAME eval` of the standalone program.
#
# The program is built exactly as `netc build --exe` builds it (compiler/build.c
# build_exe), from the hand-written fixture network fixture/lin.{c,h} (y = W x + b, mse,
# SGD with momentum), once normally and once with -fsanitize=address,undefined.  When
# build/netc builds examples/autoencoder.net into a program with a train_step, the
# generic cases run on it too; otherwise they are skipped with the reason.
set -u
ROOT=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
HERE=$ROOT/tests/train-runtime
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
pass=0
fail=0
ok() { echo "  ok    $1"; pass=$((pass + 1)); }
bad() { echo "  FAIL  $1"; fail=$((fail + 1)); }
check() { local d=$1; shift; if "$@"; then ok "$d"; else bad "$d"; fi; }

# run PROG ARGS...: sets rc, and out/err files $T/out $T/err
run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
    if grep -q 'Sanitizer\|runtime error:' "$T/err"; then { echo "== $*"; cat "$T/err"; } >>"$T/sanitizer.log"; fi
}
# expect DESC RC REGEX [FILES that must not exist...] (after a `run`)
expect() {
    local d=$1 want=$2 re=$3
    shift 3
    local why=""
    [ "$rc" = "$want" ] || why="exit $rc, wanted $want"
    grep -Eq -- "$re" "$T/err" || why="$why; stderr lacks /$re/"
    for f in "$@"; do [ -e "$f" ] && why="$why; $f exists"; done
    if ls "$T"/w/*.tmp-* >/dev/null 2>&1; then why="$why; a temporary file was left"; fi
    if [ -z "$why" ]; then ok "$d"; else bad "$d ($why)"; sed 's/^/        /' "$T/err" | head -5; fi
}

LIB=$ROOT/build/libnetcfiles.a
ALIB=$ROOT/build/asan/libnetcfiles.a
[ -f "$LIB" ] || ninja -C "$ROOT" build/libnetcfiles.a >/dev/null 2>&1
[ -f "$ALIB" ] || ninja -C "$ROOT" build/asan/libnetcfiles.a >/dev/null 2>&1
[ -f "$ALIB" ] || ALIB=$LIB

echo "== build the fixture program as build_exe does"
FIX=$HERE/fixture
mkdir -p "$T/bin" "$T/w"
build() { # OUT LIB EXTRA-FLAGS...
    local out=$1 lib=$2
    shift 2
    cc -O2 "$@" -std=c99 -I "$FIX" -I "$ROOT/runtime" "$FIX/lin.c" "$FIX/lin_main.c" "$ROOT/runtime/program.c" \
        "$ROOT/runtime/train.c" "$lib" -o "$out" -lz -lm 2>"$T/cc.err"
}
check "cc -std=c99 -Wall -Wextra -Werror -pedantic (the fixture, program.c, train.c)" \
    build "$T/bin/lin" "$LIB" -Wall -Wextra -Werror -pedantic
check "the same with -fsanitize=address,undefined" \
    build "$T/bin/lin-asan" "$ALIB" -g -fsanitize=address,undefined -fno-sanitize-recover=all
check "the fixture without a train block (-DLIN_NO_TRAIN)" \
    build "$T/bin/lin-notrain" "$LIB" -DLIN_NO_TRAIN
[ -x "$T/bin/lin" ] || { cat "$T/cc.err"; echo "$pass passed, $((fail + 1)) failed"; exit 1; }

echo "== data"
check "helper.py gen" $PY "$HERE/helper.py" gen "$T"
D=$T

# ---- cases any trainable program must pass -------------------------------------------
# generic P LABEL EPOCHS S K, with DATA_ARGS, TEST_ARGS, HUGE_ARGS (data whose third
# step in file order overflows the loss) and INFER_ARGS set
generic() {
    local P=$1 L=$2 EP=$3 S=$4 K=$5
    local -a DATA TEST HUGE
    read -ra DATA <<<"$DATA_ARGS"
    read -ra TEST <<<"$TEST_ARGS"
    read -ra HUGE <<<"$HUGE_ARGS"
    local W=$T/w
    rm -f "$W"/*
    echo "== $L: learning, log, progress"
    run "$P" train "${DATA[@]}" "${TEST[@]}" --epochs "$EP" --seed 3 --save "$W/a.st" --log "$W/a.csv"
    check "$L: train --epochs $EP exits 0" [ "$rc" = 0 ]
    local means first last
    means=$($PY "$HERE/helper.py" epochmeans "$W/a.csv" 2>/dev/null)
    first=${means% *}
    last=${means#* }
    check "$L: mean loss falls from epoch 1 ($first) to epoch $EP ($last)" $PY -c "import sys; sys.exit(not ($last < $first))"
    local spe nsteps
    nsteps=$(($(wc -l <"$W/a.csv") - 1))
    check "$L: log header step,epoch,loss,test_loss" [ "$(head -1 "$W/a.csv")" = "step,epoch,loss,test_loss" ]
    check "$L: one log row per step, numbered 1..$nsteps, epochs 1..$EP" awk -F, -v ep="$EP" \
        'NR>1 { if ($1 != NR-1 || $2 < 1 || $2 > ep || $3 == "") bad=1; last=$2 } END { exit bad || last != ep || NR < 2 }' "$W/a.csv"
    check "$L: test_loss exactly on the $EP epoch-end rows" \
        [ "$(awk -F, 'NR>1 && $4!=""' "$W/a.csv" | wc -l)" = "$EP" ]
    check "$L: test_loss on the last row" awk -F, 'END { exit $4 == "" }' "$W/a.csv"
    check "$L: checkpoint metadata netc.step = $nsteps, netc.network" \
        [ "$($PY "$HERE/helper.py" meta "$W/a.st" netc.step)/$($PY "$HERE/helper.py" meta "$W/a.st" netc.network)" = "$nsteps/$("$P" info | sed -n 's/^network \([^:]*\):.*/\1/p')" ]
    check "$L: non-terminal progress: no \\r, $EP epoch lines, at most 50 step lines" \
        awk -v ep="$EP" '/\r/ { bad=1 } / done / { e++ } /^epoch [0-9]+\/[0-9]+  step/ { s++ } END { exit bad || e != ep || s > 50 || s < 1 }' "$T/err"
    check "$L: stderr names the steps per epoch" grep -q "steps per epoch" "$T/err"
    run "$P" eval "${TEST[@]/--test/--data}" --weights "$W/a.st"
    local ev
    ev=$(awk '{print $2}' "$T/out")
    check "$L: eval prints the last epoch's test loss ($ev)" \
        $PY -c "import sys; a=float('$ev'); b=float('$(awk -F, 'END{print $4}' "$W/a.csv")'); sys.exit(not abs(a-b) <= 1e-6*max(abs(b),1e-30))"
    # shellcheck disable=SC2086
    run "$P" infer --weights "$W/a.st" $INFER_ARGS --output "$("$P" info | awk '/^  output/ {print $2; exit}')=$W/y.npy"
    check "$L: infer accepts a checkpoint (optimiser state skipped)" [ "$rc" = 0 ]

    echo "== $L: resume"
    run "$P" train "${DATA[@]}" --steps "$S" --seed 3 --save "$W/straight.st" --log "$W/straight.csv"
    check "$L: straight to step $S" [ "$rc" = 0 ]
    run "$P" train "${DATA[@]}" --steps "$K" --seed 3 --save "$W/r.st" --log "$W/r.csv"
    cp "$W/r.st" "$W/r_at_k.st"
    run "$P" train "${DATA[@]}" --steps $((K + 3)) --seed 3 --save "$W/r.st" --log "$W/r.csv" --resume
    cp "$W/r_at_k.st" "$W/r.st"     # as if the run had died after logging 3 steps past the checkpoint
    run "$P" train "${DATA[@]}" --steps "$S" --save "$W/r.st" --log "$W/r.csv" --resume
    check "$L: resumed at $K, trained to $S: exit 0" [ "$rc" = 0 ]
    check "$L: resumed checkpoint byte-identical to the straight one" cmp -s "$W/straight.st" "$W/r.st"
    check "$L: resumed log (rows past the checkpoint dropped) identical to the straight log" cmp -s "$W/straight.csv" "$W/r.csv"
    run "$P" train "${DATA[@]}" --steps "$S" --save "$W/r.st" --resume
    expect "$L: resume at the target: nothing to do, exit 0" 0 "nothing to do"
    cp "$W/r_at_k.st" "$W/r2.st"
    run "$P" train "${DATA[@]}" --weights "$W/a.st" --steps "$S" --save "$W/r2.st" --resume
    expect "$L: --resume with --weights and --save continues from --save" 0 "continues from .*r2.st; --weights .*a.st is not read"
    check "$L: ... byte-identical to the straight run" cmp -s "$W/straight.st" "$W/r2.st"
    cp "$W/r_at_k.st" "$W/r3.st"
    run "$P" train "${DATA[@]}" --weights "$W/r3.st" --steps "$S" --resume
    check "$L: --resume --weights (no --save) continues from --weights, exit 0" [ "$rc" = 0 ]
    run "$P" train "${DATA[@]}" --steps "$S" --save "$W/r4.st" --weights "$W/r3.st" --resume
    expect "$L: --resume from a --save that does not exist yet (exit 1)" 1 "cannot resume: .*r4.st" "$W/r4.st"
    run "$P" train "${DATA[@]}" --steps $((S + 5)) --seed 9 --save "$W/r.st" --resume
    expect "$L: resume with another --seed refused (exit 2)" 2 "trained with --seed 3"
    run "$P" train "${DATA[@]}" --steps $((S + 5)) --save "$W/nope.st" --resume
    expect "$L: resume from a missing checkpoint (exit 1)" 1 "cannot resume: .*nope.st"
    run "$P" train "${DATA[@]}" --steps 3 --seed 3 --save "$W/s1.st"
    run "$P" train "${DATA[@]}" --steps 3 --seed 3 --save "$W/s2.st"
    check "$L: same seed, same weights" cmp -s "$W/s1.st" "$W/s2.st"
    run "$P" train "${DATA[@]}" --steps 3 --seed 4 --save "$W/s3.st"
    check "$L: another seed, other weights" bash -c "! cmp -s '$W/s1.st' '$W/s3.st'"

    echo "== $L: guards"
    cp "$W/a.st" "$W/keep.st"
    run "$P" train "${HUGE[@]}" --no-shuffle --steps 10 --save "$W/a.st" --log "$W/nan.csv"
    expect "$L: an overflowing loss stops at step 3 (exit 1)" 1 "step 3: loss is (nan|inf)"
    check "$L: ... and the old checkpoint is byte-identical" cmp -s "$W/a.st" "$W/keep.st"
    run "$P" train "${HUGE[@]}" --no-shuffle --steps 10 --save "$W/every.st" --save-every 2
    run "$P" train "${HUGE[@]}" --no-shuffle --steps 2 --save "$W/two.st"
    check "$L: with --save-every 2 the checkpoint of step 2 survives the bad step 3" cmp -s "$W/every.st" "$W/two.st"
    run "$P" train "${DATA[@]}" --epochs 1 --bogus
    expect "$L: unknown option (exit 2)" 2 "unknown or incomplete option '--bogus'"
    run "$P" train --epochs 1 --save "$W/no.st" --log "$W/no.csv"
    expect "$L: missing --data (exit 2, no output)" 2 "missing --data" "$W/no.st" "$W/no.csv"
    run "$P" train "${DATA[@]}" --data zz=foo.npy --save "$W/no.st"
    expect "$L: unknown input (exit 2)" 2 "unknown input 'zz'" "$W/no.st"
    run "$P" train "${DATA[@]}" --epochs 0 --save "$W/no.st"
    expect "$L: --epochs 0 (exit 2)" 2 "--epochs expects a whole number" "$W/no.st"
    run "$P" train "${DATA[@]}" --steps 1x
    expect "$L: --steps 1x (exit 2)" 2 "--steps expects a whole number"
    run "$P" train "${DATA[@]}" --save-every 3
    expect "$L: --save-every without --save (exit 2)" 2 "--save-every needs --save"
    run "$P" train "${DATA[@]}" --resume
    expect "$L: --resume without a checkpoint path (exit 2)" 2 "--resume needs"
    run "$P" train "${DATA[@]}" "${DATA[0]}" "${DATA[1]}"
    expect "$L: --data given twice (exit 2)" 2 "given twice"
    run "$P" eval --weights "$W/a.st"
    expect "$L: eval without --data (exit 2)" 2 "missing --data"
}

# ---- the fixture ----------------------------------------------------------------------
lin_cases() {
    local P=$1 L=$2
    HUGE_ARGS="--data x=$D/x_huge.npy --data t=$D/t.npy"
    DATA_ARGS="--data x=$D/x.npy --data t=$D/t.npy"
    TEST_ARGS="--test x=$D/xt.npy --test t=$D/tt.npy"
    INFER_ARGS="--input x=$D/xt.npy"
    generic "$P" "$L" 5 40 17
    local W=$T/w
    echo "== $L: data files"
    run "$P" train --data x="$D/x.npy" --data t="$D/t_short.npy" --save "$W/no.st" --log "$W/no.csv"
    expect "$L: sample counts differ (exit 1, both files named, no output)" 1 "x.npy has 203, .*t_short.npy has 202" "$W/no.st" "$W/no.csv"
    run "$P" train --data x="$D/x_trunc.npy" --data t="$D/t.npy" --save "$W/no.st"
    expect "$L: truncated .npy (exit 1, named)" 1 "x_trunc.npy" "$W/no.st"
    run "$P" train --data x="$D/x_lie.idx" --data t="$D/t.npy" --save "$W/no.st"
    expect "$L: IDX whose count lies (exit 1, named)" 1 "x_lie.idx: .*header declares" "$W/no.st"
    run "$P" train --data x="$D/x_nan.npy" --data t="$D/t.npy" --save "$W/no.st" --log "$W/no.csv"
    expect "$L: NaN in the data: file and sample named before training (exit 1)" 1 "x_nan.npy: sample 5 .* holds nan" "$W/no.st" "$W/no.csv"
    run "$P" train --data x="$D/x17.npy" --data t="$D/t.npy" --save "$W/no.st"
    expect "$L: per-sample shape [17] vs [1, 4, 4] (exit 1)" 1 "\[17\] \(17 values\) do not fit input 'x'" "$W/no.st"
    run "$P" train --data x="$D/x16.npy" --data t="$D/t.npy" --save "$W/no.st"
    expect "$L: [16] holds the 16 values but not as [1, 4, 4]: says how to fix (exit 1)" 1 "rearrange the data to \[N, 1, 4, 4\]" "$W/no.st"
    run "$P" train --data x="$D/nothere.npy" --data t="$D/t.npy" --save "$W/no.st"
    expect "$L: a missing data file is named (exit 1)" 1 "nothere.npy" "$W/no.st"
    cp "$D/x.npy" "$W/x.data"
    run "$P" train --data x="$W/x.data" --data t="$D/t.npy" --steps 2
    check "$L: a .npy under another name is recognised by its magic" [ "$rc" = 0 ]
    echo "not data" >"$W/junk.bin"
    run "$P" train --data x="$W/junk.bin" --data t="$D/t.npy" --save "$W/no.st"
    expect "$L: a file that is neither .npy nor IDX (exit 1)" 1 "junk.bin: neither a .npy nor an IDX file" "$W/no.st"
    run "$P" train --data x="$D/x-ubyte.gz" --data t="$D/t.npy" --steps 5 --save "$W/idx.st"
    expect "$L: *-ubyte.gz IDX [N, 4, 4] feeds input [1, 4, 4] (noted)" 0 "read as \[1, 4, 4\]"
    run "$P" eval --data x="$D/x-ubyte.gz" --data t="$D/t.npy" --weights "$W/idx.st"
    local a b
    a=$(cat "$T/out")
    run "$P" eval --data x="$D/x_u8.npy" --data t="$D/t.npy" --weights "$W/idx.st"
    b=$(cat "$T/out")
    check "$L: IDX u8 images read as x / 255 (eval equal to the .npy of x/255)" [ -n "$a" -a "$a" = "$b" ]

    echo "== $L: order and evaluation against numpy"
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --weights "$D/w0.st" --steps 1 --seed 11 --save "$W/one.st"
    check "$L: step 1 takes the first batch of the documented splitmix64 Fisher-Yates order (numpy replay)" \
        $PY "$HERE/helper.py" step1 "$D/w0.st" "$W/one.st" "$D/x.npy" "$D/t.npy" 11
    local means
    means=$($PY "$HERE/helper.py" epochmeans "$W/a.csv")
    check "$L: the last epoch's mean loss is under a tenth of the first's ($means)" $PY -c "import sys; a, b = map(float, '$means'.split()); sys.exit(not b < 0.1 * a)"
    run "$P" eval --data x="$D/xt.npy" --data t="$D/tt.npy" --weights "$W/a.st"
    local ev np
    ev=$(awk '{print $2}' "$T/out")
    np=$($PY "$HERE/helper.py" mse "$W/a.st" "$D/xt.npy" "$D/tt.npy")
    check "$L: eval over 37 samples (4 batches + 5 padded) = numpy's mse ($ev vs $np)" \
        $PY -c "import sys; sys.exit(not abs($ev-$np) <= 1e-5*abs($np)+1e-9)"
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --steps 10 --no-shuffle --save "$W/ns1.st"
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --steps 10 --save "$W/sh1.st"
    check "$L: --no-shuffle trains on another order than the default" bash -c "! cmp -s '$W/ns1.st' '$W/sh1.st'"

    echo "== $L: terminal"
    if command -v script >/dev/null; then
        script -qec "'$P' train --data x='$D/x.npy' --data t='$D/t.npy' --steps 25 --save '$W/tty.st'" /dev/null >"$T/tty" 2>&1
        check "$L: under script(1) the bar redraws in place with \\r" grep -q $'\r\033\[Kepoch 1/[0-9]* \[#*\.*\] step' "$T/tty"
        check "$L: ... with loss, samples/s and ETA" grep -q 'samples/s  ETA' "$T/tty"
    else
        echo "  skip  no script(1)"
    fi

    if command -v script >/dev/null; then
        script -qec "stty cols 50 2>/dev/null; '$P' train --data x='$D/x.npy' --data t='$D/t.npy' --steps 25 --save '$W/tty.st'" /dev/null >"$T/tty" 2>&1
        check "$L: on a 50-column terminal every redraw fits in 49 columns (no wrapping)" \
            $PY -c "import re,sys; t=open('$T/tty',encoding='latin-1').read(); segs=[re.sub(r'\x1b\[K','',x) for l in t.split('\n') for x in l.split('\r')]; bars=[x for x in segs if x.startswith('epoch') and 'done' not in x]; sys.exit(not bars or max(map(len,bars)) > 49)"
    fi

    echo "== $L: more guards"
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --save "$W/nodir/w.st" --log "$W/no.csv"
    expect "$L: an unwritable --save is found before training (exit 1, no log)" 1 "--save: .*nodir" "$W/no.csv"
    check "$L: ... and nothing was trained" bash -c "! grep -q 'step 1/' '$T/err'"
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --test x="$D/x_nan.npy" --test t="$D/t.npy" --save "$W/no.st"
    expect "$L: NaN in --test data is named too (exit 1)" 1 "x_nan.npy: sample 5" "$W/no.st"
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --test x="$D/xt.npy" --save "$W/no.st"
    expect "$L: --test for some inputs only (exit 2)" 2 "missing --test t=FILE" "$W/no.st"
    run "$P" train --help
    check "$L: train --help exits 0 and lists --save-every" bash -c "[ $rc = 0 ] && grep -q -- --save-every '$T/out'"
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --epochs 300
    check "$L: 300 short epochs print at most ~100 lines ($(wc -l <"$T/err"))" [ "$(wc -l <"$T/err")" -le 105 ]
    check "$L: ... the last epoch's line among them" grep -q "epoch 300/300 done" "$T/err"
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --test x="$D/xt.npy" --test t="$D/tt.npy" --steps 30
    check "$L: a run ending inside an epoch reports the final test loss" grep -q "trained to step 30 (epoch 2); last loss .*; test loss" "$T/out"

    echo "== $L: interrupt"
    "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --steps 1000000000000 --seed 5 --save "$W/int.st" >"$T/out" 2>"$T/err" &
    local pid=$!
    sleep 0.5
    kill -INT $pid
    wait $pid
    rc=$?
    expect "$L: SIGINT saves the checkpoint and exits 130" 130 "stopped by signal 2 at step [0-9]+"
    local at
    at=$($PY "$HERE/helper.py" meta "$W/int.st" netc.step)
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --steps $((at + 30)) --save "$W/int.st" --resume
    run "$P" train --data x="$D/x.npy" --data t="$D/t.npy" --steps $((at + 30)) --seed 5 --save "$W/int2.st"
    check "$L: resuming after the interrupt (step $at) matches a straight run to $((at + 30))" cmp -s "$W/int.st" "$W/int2.st"
}

lin_cases "$T/bin/lin" lin
if [ -x "$T/bin/lin-asan" ]; then
    export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    lin_cases "$T/bin/lin-asan" lin-asan
    grep -q 'Sanitizer\|runtime error:' "$T/tty" 2>/dev/null && cat "$T/tty" >>"$T/sanitizer.log"
    check "lin-asan: no sanitizer report in any run" [ ! -s "$T/sanitizer.log" ]
    [ -s "$T/sanitizer.log" ] && head -30 "$T/sanitizer.log"
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi

echo "== a network without a train block"
run "$T/bin/lin-notrain" train --data x="$D/x.npy" --save "$T/w/no.st"
expect "train: 'has no train block' (exit 2)" 2 "network 'lin' has no train block, so there is nothing to train" "$T/w/no.st"
run "$T/bin/lin-notrain" eval --data x="$D/x.npy"
expect "eval: 'has no train block' (exit 2)" 2 "nothing to evaluate"
run "$T/bin/lin-notrain" infer --input x="$D/xt.npy" --output y="$T/w/y.npy"
check "infer still works" [ "$rc" = 0 ]

echo "== examples/autoencoder.net through build/netc"
NETC=$ROOT/build/netc
if [ ! -x "$NETC" ]; then
    echo "  skip  build/netc is not built"
elif [ ! -f "$ROOT/examples/autoencoder.net" ]; then
    echo "  skip  examples/autoencoder.net does not exist"
elif ! NETC_ROOT=$ROOT "$NETC" build "$ROOT/examples/autoencoder.net" -o "$T/ae" --exe >"$T/ae.log" 2>&1; then
    echo "  skip  netc build --exe failed: $(grep -m1 . "$T/ae.log")"
elif ! grep -q '_train_step' "$T/ae/autoencoder.h" "$T/ae/autoencoder.c" 2>/dev/null || ! grep -q 'ntrain_inputs' "$T/ae/autoencoder.h"; then
    echo "  skip  the generated autoencoder has no train_step in its descriptor yet"
else
    DATA_ARGS="--data image=$D/img.npy"
    TEST_ARGS="--test image=$D/img_test.npy"
    HUGE_ARGS="--data image=$D/img_huge.npy"
    INFER_ARGS="--input image=$D/img_test.npy"
    generic "$T/ae/autoencoder" autoencoder 6 12 7
    if [ "${NETC_QUICK:-0}" = 1 ]; then
        echo "  skip  the autoencoder under ASan/UBSan (NETC_QUICK)"
    elif ! NETC_ROOT=$ROOT NETC_CFLAGS="-g -fsanitize=address,undefined -fno-sanitize-recover=all" \
        "$NETC" build "$ROOT/examples/autoencoder.net" -o "$T/aeasan" --exe >"$T/ae.log" 2>&1; then
        bad "autoencoder-asan: netc build --exe with NETC_CFLAGS=-fsanitize=address,undefined ($(grep -m1 . "$T/ae.log"))"
    else
        echo "== autoencoder-asan: generated train_step under ASan/UBSan"
        A=$T/aeasan/autoencoder
        W=$T/w
        rm -f "$T/sanitizer.log"
        run "$A" train --data image="$D/img.npy" --test image="$D/img_test.npy" --steps 6 --seed 2 --save "$W/as.st" --log "$W/as.csv"
        check "autoencoder-asan: 6 steps with --test, exit 0" [ "$rc" = 0 ]
        run "$A" train --data image="$D/img.npy" --steps 4 --seed 2 --save "$W/ar.st"
        run "$A" train --data image="$D/img.npy" --test image="$D/img_test.npy" --steps 6 --save "$W/ar.st" --resume
        check "autoencoder-asan: resumed at 4 (inside epoch 1) to 6: byte-identical" cmp -s "$W/as.st" "$W/ar.st"
        run "$A" eval --data image="$D/img_test.npy" --weights "$W/as.st"
        check "autoencoder-asan: eval over 40 samples (1 batch + 8 padded), exit 0" [ "$rc" = 0 ]
        check "autoencoder-asan: no sanitizer report" [ ! -s "$T/sanitizer.log" ]
        [ -s "$T/sanitizer.log" ] && head -30 "$T/sanitizer.log"
    fi
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
