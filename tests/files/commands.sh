#!/usr/bin/env bash
# tests/files/commands.sh DATA WORK — bad files through the commands people run.
#
# DATA is the directory tests/files/gen_data.py wrote (its bad.tsv lists the hostile
# safetensors, .npy and IDX files with the message each must produce); WORK a scratch
# directory.  The program of tests/files/cmd.net is built twice with `netc build --exe`:
# by build/netc, and by build/asan/netc with the generated code and runtime under
# -fsanitize=address,undefined.  Every case runs on both and must
#   - exit with the status it names (1 for a bad file, 2 for a usage error, 0 accepted),
#   - print its message (an ERE, or a fixed string after '=') and, for the hostile
#     files of bad.tsv, the file's path,
#   - leave nothing in the output directory when it fails (no --output .npy, no --save
#     checkpoint, no --log, no temporary, no directory from `netc build -o`),
#   - print no sanitizer report.
# Cases: each hostile file of bad.tsv through `infer --weights` and `train --weights`
# (safetensors), `infer --input` and `train --data` (.npy), `train --data` (IDX); then
# NaN/Inf weights, inputs, data and optimiser state, wrong shapes and ranks, missing
# and extra tensors, checkpoints of another network or position, files over the 16 GiB
# limit (sparse), missing files and directories, and `netc build` of bad .net files and
# bad --weights.  Ends with "commands: N passed, N failed".
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
data=$1
work=$2
py=/usr/bin/python3
here=$root/tests/files
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && head -c 2000 <<<"$2" | sed 's/^/     /'; }
finish() { echo "commands: $pass passed, $fail failed"; exit 0; }

mkdir -p "$work/bin-rel" "$work/bin-asan"
cp "$root/build/netc" "$root/build/libnetcfiles.a" "$work/bin-rel/" &&
    cp "$root/build/asan/netc" "$root/build/asan/libnetcfiles.a" "$work/bin-asan/" || { bad "copy build/netc and build/asan/netc"; finish; }
export NETC_ROOT=$root
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=99
if ! "$work/bin-rel/netc" build "$here/cmd.net" -o "$work/gen-rel" --exe >"$work/log" 2>&1; then bad "build/netc build cmd.net --exe" "$(cat "$work/log")"; finish; fi
if ! NETC_CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all" \
    "$work/bin-asan/netc" build "$here/cmd.net" -o "$work/gen-asan" --exe >"$work/log" 2>&1; then
    bad "build/asan/netc build cmd.net --exe under sanitizers" "$(cat "$work/log")"; finish
fi
F=$work/files
$py "$here/gen_cmd.py" "$F" || { bad "gen_cmd.py"; finish; }
O=$work/out
SAN='ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer'

# tcase NAME WANT_RC PATTERN TOOL ARGS...: TOOL is `prog` (the cmd program) or `netc`;
# PATTERN an ERE, or "=STRING" for a fixed string.  Arguments may name $O (emptied
# before each run).  Extra fixed strings the message must hold: the array MUSTHAVE.
MUSTHAVE=()
tcase() {
    local name=$1 want=$2 pat=$3 tool=$4
    shift 4
    local why="" v
    for v in rel asan; do
        rm -rf "$O"
        mkdir -p "$O"
        local bin=$work/gen-$v/cmd
        [ "$tool" = netc ] && bin=$work/bin-$v/netc
        timeout 60 "$bin" "$@" >"$work/out.txt" 2>"$work/err.txt"
        local rc=$?
        if grep -qE "$SAN" "$work/err.txt"; then why="$v: sanitizer report: $(grep -m3 -E "$SAN" "$work/err.txt")"; break; fi
        if [ "$rc" -ne "$want" ]; then why="$v: exit $rc, wanted $want"; break; fi
        if [ "${pat:0:1}" = "=" ]; then grep -qF -- "${pat:1}" "$work/err.txt" || { why="$v: stderr lacks '${pat:1}'"; break; }
        else grep -qE -- "$pat" "$work/err.txt" || { why="$v: stderr lacks /$pat/"; break; }; fi
        local m
        for m in "${MUSTHAVE[@]}"; do grep -qF -- "$m" "$work/err.txt" || { why="$v: stderr does not name $m"; break 2; }; done
        if [ "$want" -ne 0 ] && [ -n "$(ls -A "$O")" ]; then why="$v: left behind: $(ls -A "$O" | head -3 | tr '\n' ' ')"; break; fi
    done
    MUSTHAVE=()
    if [ -n "$why" ]; then bad "$name ($why)" "$(head -5 "$work/err.txt")"; else ok "$name (exit $want)"; fi
}

X=(--input "x=$F/x.npy")
Y=(--output "y=$O/y.npy")
SAVE=(--save "$O/w.st" --log "$O/l.csv")

echo "== hostile files of bad.tsv through infer, train and eval"
mkdir -p "$work/links"
nrows=0
while IFS=$'\t' read -r kind file expect; do
    [ -n "$kind" ] || continue
    [ "$expect" = "(accepted)" ] && continue
    path=$data/$file
    nrows=$((nrows + 1))
    case $kind in
    st)
        MUSTHAVE=("$path"); tcase "infer --weights $file" 1 "=$expect" prog infer --weights "$path" "${X[@]}" "${Y[@]}"
        MUSTHAVE=("$path"); tcase "train --weights $file" 1 "=$expect" prog train --data "x=$F/x.npy" --weights "$path" "${SAVE[@]}"
        ;;
    npy)
        ln -sf "$path" "$work/links/$file.npy"   # train picks the reader by the name
        MUSTHAVE=("$path"); tcase "infer --input $file" 1 "=$expect" prog infer --input "x=$path" "${Y[@]}"
        MUSTHAVE=("$work/links/$file.npy"); tcase "train --data $file" 1 "=$expect" prog train --data "x=$work/links/$file.npy" "${SAVE[@]}"
        ;;
    idx)
        l=$work/links/$file
        case $file in *.gz) l=${l%.gz}.idx.gz ;; *) l=$l.idx ;; esac
        ln -sf "$path" "$l"
        MUSTHAVE=("$l"); tcase "train --data $file" 1 "=$expect" prog train --data "x=$l" "${SAVE[@]}"
        ;;
    esac
done <"$data/bad.tsv"
[ "$nrows" -ge 60 ] && ok "bad.tsv: $nrows hostile files" || bad "bad.tsv holds $nrows hostile files, expected at least 60"

echo "== weights and checkpoints"
tcase "infer --weights NaN-laden"            1 "w_nan.st: tensor 'y.weight' holds nan at element 3; weights must be finite" prog infer --weights "$F/w_nan.st" "${X[@]}" "${Y[@]}"
tcase "infer --weights with +inf"            1 "w_inf.st: tensor 'e.bias' holds inf at element 1" prog infer --weights "$F/w_inf.st" "${X[@]}" "${Y[@]}"
tcase "infer --weights F64 overflowing F32"  1 "w_f64_overflow.st: tensor 'e.weight' holds inf at element 0" prog infer --weights "$F/w_f64_overflow.st" "${X[@]}" "${Y[@]}"
tcase "train --weights NaN-laden"            1 "w_nan.st: parameter 'y.weight' holds nan at element 3" prog train --data "x=$F/x.npy" --weights "$F/w_nan.st" "${SAVE[@]}"
tcase "eval --weights NaN-laden"             1 "w_nan.st: parameter 'y.weight' holds nan" prog eval --data "x=$F/x.npy" --weights "$F/w_nan.st"
tcase "infer --weights wrong shape"          1 "=w_shape.st: tensor 'y.weight' has shape [1, 2, 3, 3], the network needs [2, 1, 3, 3]" prog infer --weights "$F/w_shape.st" "${X[@]}" "${Y[@]}"
tcase "train --weights wrong shape"          1 "=w_shape.st: tensor 'y.weight' has shape [1, 2, 3, 3], the network needs [2, 1, 3, 3]" prog train --data "x=$F/x.npy" --weights "$F/w_shape.st" "${SAVE[@]}"
tcase "infer --weights wrong rank"           1 "=tensor 'y.weight' has shape [18], the network needs [2, 1, 3, 3]" prog infer --weights "$F/w_rank.st" "${X[@]}" "${Y[@]}"
tcase "infer --weights missing tensor"       1 "w_missing.st: missing tensor 'e.bias'" prog infer --weights "$F/w_missing.st" "${X[@]}" "${Y[@]}"
tcase "train --weights missing tensor"       1 "w_missing.st: missing parameter 'e.bias'" prog train --data "x=$F/x.npy" --weights "$F/w_missing.st" "${SAVE[@]}"
tcase "infer --weights unexpected tensor"    1 "w_extra.st: unexpected tensor 'zzz'" prog infer --weights "$F/w_extra.st" "${X[@]}" "${Y[@]}"
tcase "eval --weights unexpected tensor"     1 "w_extra.st: unexpected tensor 'zzz'" prog eval --data "x=$F/x.npy" --weights "$F/w_extra.st"
tcase "infer --weights missing file"         1 "nothere.st.*No such file" prog infer --weights "$F/nothere.st" "${X[@]}" "${Y[@]}"
tcase "infer --weights a directory"          1 "$F: not a regular file" prog infer --weights "$F" "${X[@]}" "${Y[@]}"
truncate -s 17G "$work/huge.st" && truncate -s 40G "$work/huge.npy"   # .npy: the file may be 2x the 16 GiB of floats (f64)
tcase "infer --weights of 17 GiB (sparse)"   1 "huge.st.*over the limit" prog infer --weights "$work/huge.st" "${X[@]}" "${Y[@]}"
tcase "train --resume: NaN in optimiser state"     1 "ck_nan_opt.st: optimiser state 'e.weight.exp_avg_sq' holds nan at element 5" prog train --data "x=$F/x.npy" --weights "$F/ck_nan_opt.st" --resume --steps 4
tcase "train --resume: checkpoint of another network" 1 "ck_other_net.st: a checkpoint of network 'other', not 'cmd'" prog train --data "x=$F/x.npy" --weights "$F/ck_other_net.st" --resume --steps 4
tcase "train --resume: inconsistent position"      1 "ck_position.st: inconsistent position \(step 3, epoch 1, position 0" prog train --data "x=$F/x.npy" --weights "$F/ck_position.st" --resume --steps 4
tcase "train --resume: another batch"              1 "ck_batch.st: taken with batch 4; this program has batch 2" prog train --data "x=$F/x.npy" --weights "$F/ck_batch.st" --resume --steps 4
tcase "train --resume: another data set size"      1 "ck_samples.st: taken over 9 samples; the --data files hold 5" prog train --data "x=$F/x.npy" --weights "$F/ck_samples.st" --resume --steps 4
tcase "train --resume: step is not a number"       1 "ck_step_text.st: .*'netc.step'" prog train --data "x=$F/x.npy" --weights "$F/ck_step_text.st" --resume --steps 4
tcase "train --resume: missing optimiser state"    1 "ck_missing_opt.st: missing optimiser state 'y.bias.exp_avg'" prog train --data "x=$F/x.npy" --weights "$F/ck_missing_opt.st" --resume --steps 4
tcase "train --resume: truncated checkpoint"       1 "ck_truncated.st: .*(past the end|out of range|holds)" prog train --data "x=$F/x.npy" --weights "$F/ck_truncated.st" --resume --steps 4
tcase "train --resume: plain weights, no metadata" 1 "w_good.st: not a netc checkpoint: no 'netc.step'" prog train --data "x=$F/x.npy" --weights "$F/w_good.st" --resume --steps 4
tcase "train --resume: the checkpoint is accepted" 0 "resuming at step 2" prog train --data "x=$F/x.npy" --weights "$F/ck_good.st" --resume --steps 4

echo "== inputs (infer) and data (train, eval)"
tcase "infer --input NaN-laden"          1 "x_nan.npy: sample 3 \(counting from 0\) of input 'x' holds nan at element 10" prog infer --input "x=$F/x_nan.npy" "${Y[@]}"
tcase "infer --input with +inf"          1 "x_inf.npy: sample 0 .* holds inf at element 0" prog infer --input "x=$F/x_inf.npy" "${Y[@]}"
tcase "infer --input with -inf"          1 "x_ninf.npy: sample 4 .* holds -inf at element 63" prog infer --input "x=$F/x_ninf.npy" "${Y[@]}"
tcase "train --data NaN-laden"           1 "x_nan.npy: sample 3 \(counting from 0\) of input 'x' holds nan at element 10" prog train --data "x=$F/x_nan.npy" "${SAVE[@]}"
tcase "train --data with -inf"           1 "x_ninf.npy: sample 4 .* holds -inf at element 63" prog train --data "x=$F/x_ninf.npy" "${SAVE[@]}"
tcase "train --test NaN-laden"           1 "x_nan.npy: sample 3" prog train --data "x=$F/x.npy" --test "x=$F/x_nan.npy" "${SAVE[@]}"
tcase "eval --data with +inf"            1 "x_inf.npy: sample 0 .* holds inf" prog eval --data "x=$F/x_inf.npy"
tcase "infer --input wrong shape"        1 "=x_shape.npy: input 'x' has shape [5, 1, 8, 7]; expected [N, 1, 8, 8]" prog infer --input "x=$F/x_shape.npy" "${Y[@]}"
tcase "train --data wrong shape"         1 "=x_shape.npy: samples of shape [1, 8, 7] (56 values) do not fit input 'x'" prog train --data "x=$F/x_shape.npy" "${SAVE[@]}"
tcase "infer --input wrong rank"         1 "=x_flat.npy: input 'x' has shape [5, 64]; expected [N, 1, 8, 8]" prog infer --input "x=$F/x_flat.npy" "${Y[@]}"
tcase "train --data wrong rank"          1 "x_flat.npy: .*rearrange the data to \[N, 1, 8, 8\]" prog train --data "x=$F/x_flat.npy" "${SAVE[@]}"
tcase "infer --input a scalar"           1 "x_scalar.npy: input 'x' has shape \[\]" prog infer --input "x=$F/x_scalar.npy" "${Y[@]}"
tcase "train --data a scalar"            1 "x_scalar.npy: holds a single number" prog train --data "x=$F/x_scalar.npy" "${SAVE[@]}"
tcase "train --data fewer than a batch"  1 "hold 1 samples, fewer than one batch of 2" prog train --data "x=$F/x_one.npy" "${SAVE[@]}"
tcase "train --data no samples"          1 "files hold no samples" prog train --data "x=$F/x_empty.npy" "${SAVE[@]}"
tcase "infer --input complex64 dtype"    1 "x_c8.npy: .*unsupported dtype '<c8'" prog infer --input "x=$F/x_c8.npy" "${Y[@]}"
tcase "train --data complex64 dtype"     1 "x_c8.npy: .*unsupported dtype '<c8'" prog train --data "x=$F/x_c8.npy" "${SAVE[@]}"
tcase "infer --input truncated"          1 "x_truncated.npy: .*file holds" prog infer --input "x=$F/x_truncated.npy" "${Y[@]}"
tcase "train --data IDX with a lying count" 1 "x_lie.idx: .*header declares 6000" prog train --data "x=$F/x_lie.idx" "${SAVE[@]}"
tcase "train --data neither .npy nor IDX"   1 "junk.bin: neither a .npy nor an IDX file" prog train --data "x=$F/junk.bin" "${SAVE[@]}"
tcase "infer --input of 40 GiB (sparse)"    1 "huge.npy.*over the limit" prog infer --input "x=$work/huge.npy" "${Y[@]}"
tcase "train --data of 40 GiB (sparse)"     1 "huge.npy.*over the limit" prog train --data "x=$work/huge.npy" "${SAVE[@]}"
tcase "infer --input missing file"          1 "nothere.npy.*No such file" prog infer --input "x=$F/nothere.npy" "${Y[@]}"
tcase "infer --output into a missing directory" 1 "nodir/y.npy: cannot create temporary file" prog infer "${X[@]}" --output "y=$O/nodir/y.npy"
tcase "train --save into a missing directory"   1 "--save: .*nodir/w.st" prog train --data "x=$F/x.npy" --save "$O/nodir/w.st" --log "$O/l.csv"
tcase "train --log into a missing directory"    1 "nodir/l.csv: cannot open" prog train --data "x=$F/x.npy" --save "$O/w.st" --log "$O/nodir/l.csv"
tcase "train --data IDX u8 images accepted"     0 "read as \[1, 8, 8\]" prog train --data "x=$F/x_u8.idx" --steps 2
tcase "infer: unknown input name (usage)"       2 "unknown input 'q'" prog infer --input "q=$F/x.npy" "${Y[@]}"
tcase "infer: no --output (usage)"              2 "no --output" prog infer "${X[@]}"

echo "== equivalent encodings give identical outputs"
for v in rel asan; do
    P=$work/gen-$v/cmd
    for e in x x_f64 x_be x_fortran; do "$P" infer --weights "$F/w_good.st" --input "x=$F/$e.npy" --output "y=$work/y_${v}_${e}.npy" 2>"$work/err.txt" || break; done
    if $py -c "
import sys, numpy as np
a = np.load(sys.argv[1])
for p in sys.argv[2:]:
    b = np.load(p)
    assert b.shape == a.shape and np.array_equal(a, b), p
" "$work/y_${v}_x.npy" "$work/y_${v}_x_f64.npy" "$work/y_${v}_x_be.npy" "$work/y_${v}_x_fortran.npy" 2>"$work/py.err"; then
        ok "$v: infer on float64, big-endian and Fortran-order .npy equals float32 C order, bit for bit"
    else bad "$v: encodings differ" "$(cat "$work/py.err" "$work/err.txt")"; fi
done

echo "== netc build of bad .net files and bad --weights (no output directory)"
$py - "$work/nets" <<'EOF'
import os, sys
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
def w(name, data):
    open(os.path.join(d, name), 'wb').write(data if isinstance(data, bytes) else data.encode())
w('unknown_name.net', 'network n {\n    input x : [1, 8];\n    y = relu(z);\n    output y;\n}\n')
w('deep_lists.net', 'network d {\n    x = conv(y) { k = ' + '[' * 10000 + ']' * 10000 + ' };\n}\n')
w('megabytes_of_errors.net', 'network bad {\n    input x : [1, 8];\n' + ''.join('    l%06d = relu(missing_%06d);\n' % (i, i) for i in range(60000)) + '    output l000000;\n}\n')
w('nul_bytes.net', b'network n {\n    input x : [1,\x00 8];\n}\n')
w('not_utf8.net', b'network n {\n    input x\xff\xfe : [1, 8];\n}\n')
w('empty.net', '')
w('bad_shape.net', 'network n {\n    input x : [1, 4, 4];\n    y = tconv(x) { filters = 1, kernel = 9, padding = 8 };\n    output y;\n}\n')
EOF
B=$work/nets
tcase "netc build: unknown name"            1 "unknown_name.net:3:14: error: unknown name 'z'" netc build "$B/unknown_name.net" -o "$O/gen" --exe
tcase "netc build: lists nested 10,000 deep" 1 "nested too deeply" netc build "$B/deep_lists.net" -o "$O/gen"
tcase "netc build: 2 MB of errors"          1 "more diagnostics not shown" netc build "$B/megabytes_of_errors.net" -o "$O/gen"
tcase "netc build: NUL bytes"               1 "NUL byte" netc build "$B/nul_bytes.net" -o "$O/gen"
tcase "netc build: not UTF-8"               1 "unexpected byte 0xff" netc build "$B/not_utf8.net" -o "$O/gen"
tcase "netc build: empty file"              1 "expecting 'network'" netc build "$B/empty.net" -o "$O/gen"
tcase "netc build: impossible shapes"       1 "bad_shape.net:3:" netc build "$B/bad_shape.net" -o "$O/gen"
tcase "netc build: missing file"            1 "cannot read .*nothere.net" netc build "$B/nothere.net" -o "$O/gen"
tcase "netc build: a directory"             1 "cannot read .*Is a directory" netc build "$B" -o "$O/gen"
tcase "netc build --weights NaN-laden"      1 "w_nan.st" netc build "$here/cmd.net" --weights "$F/w_nan.st" -o "$O/gen"
tcase "netc build --weights wrong shape"    1 "w_shape.st.*y.weight" netc build "$here/cmd.net" --weights "$F/w_shape.st" -o "$O/gen"
tcase "netc build --weights hostile (offsets past the end)" 1 "out of range" netc build "$here/cmd.net" --weights "$data/st_offsets_past_end" -o "$O/gen"
tcase "netc check: unknown name"            1 "error: unknown name 'z'" netc check "$B/unknown_name.net"

finish
