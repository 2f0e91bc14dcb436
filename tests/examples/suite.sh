#!/usr/bin/env bash
# tests/examples — every example network learns its task through the program netc
# builds for it (`netc build examples/X.net -o D --exe`, then `D/X train`), on real or
# generated data (tests/examples/data.py documents every generator; fixed seeds),
# judged by baselines we did not write (tests/examples/check.py):
#   autoencoder  Fashion-MNIST (IDX files, Debian's dataset-fashion-mnist): the test
#                loss on 1000 held-out images falls below a quarter of the initial
#                weights' loss, and equals numpy's MSE of `infer`'s reconstructions;
#                the file's `decoder`, built with the checkpoint embedded (--weights),
#                turns PyTorch's encoding of those images (the checkpoint's e1, e2)
#                into the autoencoder's reconstructions within 1e-5;
#   fsrcnn       2x super-resolution of Fashion-MNIST (14x14 average-pooled -> 28x28):
#                PSNR on 1000 held-out images beats PyTorch's bicubic upscaling;
#   dcgan        the generator fitted to 64 fixed images from 64 fixed latent codes
#                (no discriminator; one batch, 8 s a step): after one Adam step the
#                training loss on the same batch is at least 3% lower;
#   upsampler1d  4x upsampling of sums of sinusoids: the held-out loss falls below a
#                quarter of its start, and `infer`'s MSE beats linear interpolation;
#   decoder3d    sequences of sphere volumes from noisy pooled latents: the held-out
#                loss falls below half of its start.
# Then help.py (every option of every parser is in its --help; unknown options are
# named) and doc.py (docs/language.md names every layer kind, attribute and word the
# compiler knows).  NETC_QUICK=1 trains fewer steps.  Ends with "N passed, N failed".
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
here=$root/tests/examples
work=$(mktemp -d)
builder=
trap '[ -n "$builder" ] && { pkill -P "$builder"; kill "$builder"; } 2>/dev/null; wait; rm -rf "$work"' EXIT
py=/usr/bin/python3
export OMP_NUM_THREADS=1   # PyTorch's bicubic, resize and encoder are small: one thread on a shared machine
fmnist=${NETC_FMNIST:-/usr/share/datasets/fashion-mnist}
export NETC_FMNIST=$fmnist
pass=0; fail=0
ok()  { pass=$((pass + 1)); echo "ok   $*"; }
bad() { fail=$((fail + 1)); echo "FAIL $*"; }
# run copies, so a rebuild in the shared checkout cannot pull netc away mid-run; the
# copy finds runtime/ through NETC_ROOT and the file library beside it
cp "$root/build/netc" "$root/build/libnetcfiles.a" "$work/" || { echo "0 passed, 1 failed"; exit 1; }
netc=$work/netc; export NETC_ROOT=$root
quick=0; [ "${NETC_QUICK:-}" = 1 ] && quick=1
# steps per example: full, quick (see the file comment for what each must reach)
steps() { if [ $quick = 1 ]; then echo "$2"; else echo "$1"; fi; }
ae_steps=$(steps 300 150); fs_steps=$(steps 600 450); dc_steps=2
up_steps=$(steps 800 600); d3_steps=$(steps 100 60)
seed=1

# "mse 0.169 over 1000 samples" -> 0.169; "...; test loss 0.0107; ..." -> 0.0107
eval_loss() { "$@" 2>/dev/null | awk '/ over [0-9]+ samples$/ { print $2 }'; }
test_loss() { sed -n 's/.*; test loss \([^;]*\).*/\1/p' "$1"; }
# below A B F: A < F * B, both numbers
below() { awk -v a="$1" -v b="$2" -v f="$3" 'BEGIN { exit !(a != "" && b != "" && a + 0 < f * b) }'; }

# The examples are compiled one after another in the background while the
# foreground trains the one built before (compiling the unrolled C takes about as
# long as the training); $work/NAME.built holds "EXIT SECONDS" when NAME is done.
examples="autoencoder fsrcnn dcgan upsampler1d decoder3d"
(
    for n in $examples; do
        t0=$SECONDS
        "$netc" build "$root/examples/$n.net" -o "$work/$n" --exe > "$work/$n.build.log" 2>&1
        echo "$? $((SECONDS - t0))" > "$work/$n.built.tmp" && mv "$work/$n.built.tmp" "$work/$n.built"
    done
) &
builder=$!
build() {   # build NAME: wait for the program $work/NAME/NAME
    local rc secs
    while [ ! -e "$work/$1.built" ]; do
        kill -0 "$builder" 2>/dev/null || [ -e "$work/$1.built" ] || { bad "$1: the background build stopped"; return 1; }
        sleep 0.2
    done
    read -r rc secs < "$work/$1.built"
    if [ "$rc" = 0 ] && [ -x "$work/$1/$1" ]; then
        ok "$1: netc build --exe ($secs s)"
    else
        bad "$1: netc build --exe: exit $rc: $(head -5 "$work/$1.build.log")"; return 1
    fi
}
data() {    # data NAME: tests/examples/data.py NAME $work/data/NAME
    if "$py" "$here/data.py" "$1" "$work/data/$1" > "$work/$1.data.log" 2>&1; then return 0; fi
    bad "$1: data.py: $(tail -3 "$work/$1.data.log")"; return 1
}
# train NAME ARGS...: the program's train, its summary line kept in $work/NAME.train
train() {
    local n=$1 t0=$SECONDS; shift
    if "$work/$n/$n" train --seed $seed "$@" > "$work/$n.train" 2> "$work/$n.train.err"; then
        ok "$n: train, $((SECONDS - t0)) s: $(cat "$work/$n.train")"
    else
        bad "$n: train $*: $(tail -3 "$work/$n.train.err")"; return 1
    fi
}
check() {   # check NAME WHAT ARGS...: check.py, one line of numbers
    local n=$1 what=$2 out; shift 2
    if out=$("$py" "$here/check.py" "$@" 2>&1); then ok "$n: $what: $out"; else bad "$n: $what: $out"; fi
}

[ -e "$fmnist/train-images-idx3-ubyte.gz" ] || bad "Fashion-MNIST not found in $fmnist (install dataset-fashion-mnist, or set NETC_FMNIST)"

echo "== autoencoder: Fashion-MNIST"
if build autoencoder && data autoencoder; then
    p=$work/autoencoder/autoencoder; d=$work/data/autoencoder
    l0=$(eval_loss "$p" eval --data image="$d/test_image.npy" --seed $seed)
    if train autoencoder --data image="$fmnist/train-images-idx3-ubyte.gz" --test image="$d/test_image.npy" \
             --steps "$ae_steps" --save "$work/ae.safetensors"; then
        l1=$(test_loss "$work/autoencoder.train")
        if below "$l1" "$l0" 0.25; then ok "autoencoder: held-out mse $l1, below a quarter of the initial $l0"
        else bad "autoencoder: held-out mse '$l1' is not below a quarter of the initial '$l0'"; fi
        if "$p" infer --weights "$work/ae.safetensors" --input image="$d/test_image.npy" --output rec="$work/rec.npy"; then
            check autoencoder "eval == numpy's mse of infer" mse "$work/rec.npy" "$d/test_image.npy" "$l1"
            # the file's second network: the decoder half, built with the trained
            # checkpoint embedded, decodes PyTorch's encoding of the same images
            if "$netc" build "$root/examples/autoencoder.net" --network decoder --weights "$work/ae.safetensors" \
                   -o "$work/decoder" --exe > "$work/decoder.build.log" 2>&1 &&
               "$py" "$here/check.py" encode "$work/ae.safetensors" "$d/test_image.npy" "$work/code.npy" > /dev/null &&
               "$work/decoder/decoder" infer --input code="$work/code.npy" --output rec="$work/dec_rec.npy"; then
                check decoder "the decoder built with --weights from the checkpoint == the autoencoder" same "$work/dec_rec.npy" "$work/rec.npy"
            else bad "decoder: build, encode or infer failed: $(head -3 "$work/decoder.build.log")"; fi
        else bad "autoencoder: infer failed"; fi
    fi
fi

echo "== fsrcnn: 2x super-resolution of Fashion-MNIST against bicubic"
if build fsrcnn && data fsrcnn; then
    p=$work/fsrcnn/fsrcnn; d=$work/data/fsrcnn
    if train fsrcnn --data lr="$d/train_lr.npy" --data hr="$d/train_hr.npy" --steps "$fs_steps" --save "$work/fs.safetensors"; then
        if "$p" infer --weights "$work/fs.safetensors" --input lr="$d/test_lr.npy" --output sr="$work/sr.npy"; then
            check fsrcnn "PSNR beats bicubic" psnr "$work/sr.npy" "$d/test_lr.npy" "$d/test_hr.npy"
        else bad "fsrcnn: infer failed"; fi
    fi
fi

echo "== dcgan: the generator fitted to fixed images from fixed codes"
if build dcgan && data dcgan; then
    d=$work/data/dcgan
    if train dcgan --data z="$d/z.npy" --data target="$d/target.npy" --steps "$dc_steps" --log "$work/dcgan.csv"; then
        check dcgan "loss falls" log "$work/dcgan.csv" 0.97
    fi
fi

echo "== upsampler1d: 4x upsampling of sinusoid sums against linear interpolation"
if build upsampler1d && data upsampler1d; then
    p=$work/upsampler1d/upsampler1d; d=$work/data/upsampler1d
    l0=$(eval_loss "$p" eval --data signal="$d/test_signal.npy" --data target="$d/test_target.npy" --seed $seed)
    if train upsampler1d --data signal="$d/train_signal.npy" --data target="$d/train_target.npy" \
             --test signal="$d/test_signal.npy" --test target="$d/test_target.npy" --steps "$up_steps" --save "$work/up.safetensors"; then
        l1=$(test_loss "$work/upsampler1d.train")
        if below "$l1" "$l0" 0.25; then ok "upsampler1d: held-out mse $l1, below a quarter of the initial $l0"
        else bad "upsampler1d: held-out mse '$l1' is not below a quarter of the initial '$l0'"; fi
        if "$p" infer --weights "$work/up.safetensors" --input signal="$d/test_signal.npy" --output out="$work/up.npy"; then
            check upsampler1d "beats linear interpolation" interp "$work/up.npy" "$d/test_signal.npy" "$d/test_target.npy"
        else bad "upsampler1d: infer failed"; fi
    fi
fi

echo "== decoder3d: time-distributed 3-D decoder on sphere volumes"
if build decoder3d && data decoder3d; then
    p=$work/decoder3d/decoder3d; d=$work/data/decoder3d
    l0=$(eval_loss "$p" eval --data latent="$d/test_latent.npy" --data target="$d/test_target.npy" --seed $seed)
    if train decoder3d --data latent="$d/train_latent.npy" --data target="$d/train_target.npy" \
             --test latent="$d/test_latent.npy" --test target="$d/test_target.npy" --steps "$d3_steps"; then
        l1=$(test_loss "$work/decoder3d.train")
        if below "$l1" "$l0" 0.5; then ok "decoder3d: held-out mse $l1, below half the initial $l0"
        else bad "decoder3d: held-out mse '$l1' is not below half the initial '$l0'"; fi
    fi
fi

sub() {   # sub SCRIPT ARGS...: a part with its own "N passed, N failed" line
    local out line
    out=$("$@" 2>&1)
    echo "$out" | grep -vE '^[0-9]+ passed, [0-9]+ failed$'
    line=$(echo "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
    if [ -z "$line" ]; then bad "$1 printed no summary"; return; fi
    pass=$((pass + $(echo "$line" | cut -d' ' -f1))); fail=$((fail + $(echo "$line" | cut -d' ' -f3)))
}
echo "== --help of netc and of a generated program"
prog=$work/upsampler1d/upsampler1d
if [ -x "$prog" ]; then sub "$py" "$here/help.py" "$root" "$netc" "$prog"
else bad "help: no generated program to ask (upsampler1d did not build)"; fi
echo "== docs/language.md names everything the compiler knows"
sub "$py" "$here/doc.py" "$root"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
