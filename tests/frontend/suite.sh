#!/usr/bin/env bash
# tests/frontend/suite.sh — proves the front end (parser and passes) of netc.
#
#  1. golden diagnostics: every cases/NAME.net is checked with `netc check --quiet`
#     from cases/; "exit N" and the exact stderr must equal cases/NAME.expected
#     (and the shape facts of `--json`, through json_shapes.py, must equal
#     cases/NAME.shapes where one exists).  The same case is run through the ASan
#     build, which must print the same and no sanitizer report, and with
#     --dump-after of one pass (each case a different one in turn).  One test per
#     case.  Nothing is regenerated: bless.sh does that, deliberately.
#  2. cmocka unit tests (build/tests/frontend/test_*, release and ASan builds);
#     their own counts are summed in.
#  3. hostile inputs generated here (megabytes, deep nesting, 10,000 layers, NUL
#     and non-UTF-8 bytes, a directory, an unreadable file, an empty file, huge
#     literals, usage errors): a clear message, exit 1 (2 for usage), within a
#     time limit, from both builds.  One test per input.
#  4. examples/*.net: `netc check` clean (no diagnostics), and their --json shapes
#     and parameter counts equal PyTorch modules built from the same description
#     (examples_torch.py, Debian's /usr/bin/python3).  One test per example.
#
# Ends with "N passed, N failed"; exit status 1 when anything failed.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
here=$root/tests/frontend
cases=$here/cases
netc=$root/build/netc
anetc=$root/build/asan/netc
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && head -c 4000 <<<"$2" | sed 's/^/     /'; }

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99

echo "== build"
if ! ninja -C "$root" build/netc build/asan/netc build/all-frontend build/asan/all-frontend >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi

# Run copies, so a rebuild by someone else in the same checkout cannot pull the
# binaries from under a run ("Permission denied" while the linker writes them).
cp "$netc" "$tmp/netc" && cp "$anetc" "$tmp/netc-asan" || { echo "0 passed, 1 failed"; exit 1; }
netc=$tmp/netc
anetc=$tmp/netc-asan

sanitizer_report() { grep -lE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$@" 2>/dev/null; }

# ---------------------------------------------------------------- 1. golden
echo "== golden diagnostics (cases/*.net, release and ASan)"
# got BIN NAME OUT: "exit N" and stderr of one case, as bless.sh writes them
got() {
    local bin=$1 n=$2 out=$3
    (cd "$cases" && timeout 30 "$bin" check --quiet "$n.net" >/dev/null 2>"$out.err"; echo "exit $?" >"$out")
    cat "$out.err" >>"$out"
}
passes=(build resolve attrs shapes validate train)
k=0
for f in "$cases"/*.net; do
    n=$(basename "$f" .net)
    dump=${passes[$((k++ % ${#passes[@]}))]}
    if [ ! -f "$cases/$n.expected" ]; then bad "$n: no $n.expected (run bless.sh $n and read it)"; continue; fi
    got "$netc" "$n" "$tmp/$n.rel"
    got "$anetc" "$n" "$tmp/$n.asan"
    if ! d=$(diff -u "$cases/$n.expected" "$tmp/$n.rel"); then
        bad "$n: differs from $n.expected" "$d"
    elif sanitizer_report "$tmp/$n.asan" >/dev/null; then
        bad "$n: sanitizer report under ASan" "$(cat "$tmp/$n.asan")"
    elif ! d=$(diff -u "$tmp/$n.rel" "$tmp/$n.asan"); then
        bad "$n: the ASan build prints differently" "$d"
    elif ! (cd "$cases" && timeout 30 "$anetc" check --dump-after="$dump" "$n.net" >/dev/null 2>"$tmp/$n.dump.err"; [ $? -le 1 ]) ||
         sanitizer_report "$tmp/$n.dump.err" >/dev/null; then
        bad "$n: --dump-after=$dump under ASan failed" "$(cat "$tmp/$n.dump.err")"
    elif [ -f "$cases/$n.shapes" ] && ! d=$(cd "$cases" && timeout 30 "$netc" check --json "$n.net" 2>&1 | $py "$here/json_shapes.py" 2>&1 | diff -u "$n.shapes" -); then
        bad "$n: shapes of --json differ from $n.shapes" "$d"
    else
        ok "$n ($(head -n 1 "$cases/$n.expected"), $(grep -cE '^[^ ].*:[0-9]+:[0-9]+: (error|warning):' "$cases/$n.expected") diagnostics)"
    fi
done

# ---------------------------------------------------------------- 2. unit tests
echo "== unit tests (cmocka, release and ASan)"
for variant in build build/asan; do
    for t in "$root/$variant"/tests/frontend/test_*; do
        [ -x "$t" ] || continue
        name="$(basename "$t") ($variant)"
        out=$(timeout 120 "$t" 2>&1)
        rc=$?
        p=$(sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' <<<"$out" | tail -n 1)
        f=$(sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' <<<"$out" | tail -n 1)
        p=${p:-0}; f=${f:-0}
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
        if sanitizer_report <(echo "$out") >/dev/null; then f=$((f + 1)); fi
        pass=$((pass + p)); fail=$((fail + f))
        if [ "$f" -eq 0 ]; then echo "ok   $name: $p passed"; else echo "FAIL $name: $p passed, $f failed"; sed 's/^/     /' <<<"$out" | grep -vE '^\s+\[ (RUN|       OK) ' | head -40; fi
    done
done

# ---------------------------------------------------------------- 3. hostile inputs
echo "== hostile inputs (generated in a temporary directory)"
h=$tmp/hostile
mkdir -p "$h"
# hostile NAME WANT_RC LIMIT_S PATTERN ARGS...: both builds must exit WANT_RC within
# LIMIT_S seconds (ASan: three times as long), print PATTERN on stderr (EMPTY: nothing), keep every
# stderr line under 400 characters and at most 1,000 lines, and stay sanitizer-clean.
hostile() {
    local name=$1 want=$2 limit=$3 pat=$4
    shift 4
    local msg="" rc
    for bin in "$netc" "$anetc"; do
        local lim=$limit tag=release
        [ "$bin" = "$anetc" ] && { lim=$((limit * 3)); tag=asan; }
        timeout "$lim" "$bin" "$@" >"$h/$name.$tag.out" 2>"$h/$name.$tag.err"
        rc=$?
        if [ "$rc" -eq 124 ]; then msg="$tag: did not finish within ${lim}s"; break; fi
        if [ "$rc" -ne "$want" ]; then msg="$tag: exit $rc, want $want"; break; fi
        if sanitizer_report "$h/$name.$tag.err" >/dev/null; then msg="$tag: sanitizer report"; break; fi
        if [ "$pat" = EMPTY ]; then
            if [ -s "$h/$name.$tag.err" ]; then msg="$tag: stderr is not empty"; break; fi
        elif ! grep -qE -- "$pat" "$h/$name.$tag.err"; then msg="$tag: stderr lacks /$pat/"; break; fi
        if [ "$(wc -l <"$h/$name.$tag.err")" -gt 1000 ] || [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$h/$name.$tag.err")" -ge 400 ]; then
            msg="$tag: stderr too long ($(wc -lc <"$h/$name.$tag.err") lines/bytes)"; break
        fi
    done
    if [ -n "$msg" ]; then bad "hostile $name: $msg" "$(head -c 2000 "$h/$name.$tag.err")"; else ok "hostile $name (exit $want)"; fi
}

$py - "$h" <<'PYEOF'
import sys, os
h = sys.argv[1]
def w(name, data):
    with open(os.path.join(h, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
# ~2.7 MB: 60,000 layers in a chain, valid (a Layer is 7 KB of IR: 60,000 of them
# take ~600 MB under ASan, which is as far as a shared test machine should go)
lines = ["network big {", "    input x0 : [1, 8];"]
lines += ["    layer_number_%06d = relu(%s);" % (i, "x0" if i == 1 else "layer_number_%06d" % (i - 1)) for i in range(1, 60001)]
lines += ["    output layer_number_060000;", "}"]
w("big_valid.net", "\n".join(lines) + "\n")
# ~2.6 MB of mistakes: every statement reads a name that does not exist
lines = ["network bad {", "    input x : [1, 8];"]
lines += ["    l%06d = relu(missing_%06d) { frob = 1 };" % (i, i) for i in range(60000)]
lines += ["    output l000000;", "}"]
w("big_errors.net", "\n".join(lines) + "\n")
# ~4 MB of syntax errors
w("big_syntax.net", "network s {\n" + "    a = = ;\n" * 400000 + "}\n")
# ~1.7 MB: 30,000 small networks in one file
w("networks_30000.net", "".join("network n%d { input x : [1]; y = relu(x); output y; }\n" % i for i in range(30000)))
# a list of a million items, an output statement of 300,000 names, a call of 200,000 arguments
w("big_list.net", "network n { input x : [1]; y = relu(x) { k = [" + ", ".join(["1"] * 1000000) + "] }; output y; }\n")
w("big_output.net", "network n { input x : [1]; y = relu(x); output " + ", ".join(["y"] * 300000) + "; }\n")
w("big_call.net", "network n { input x : [1]; y = add(" + ", ".join(["x"] * 200000) + "); output y; }\n")
# one 2 MB line: a name far too long to suggest anything for
w("long_line.net", "network l {\n    input x : [1, 8];\n    y = relu(" + "q" * 2000000 + ");\n    output y;\n}\n")
w("deep_lists.net", "network d {\n    x = conv(y) { k = " + "[" * 10000 + "]" * 10000 + " };\n}\n")
w("deep_calls.net", "network d {\n    x = " + "f(" * 10000 + ")" * 10000 + ";\n}\n")
w("deep_objects.net", "network d {\n    x = f(y) { a = " + "g { a = " * 10000 + "1" + " }" * 10000 + " };\n}\n")
w("unclosed.net", "network u {\n" + "[" * 10000)
lines = ["network many {", "    input x0 : [1, 8, 8];"]
lines += ["    x%d = conv(x%d) { filters = 1, kernel = 3, padding = 1 };" % (i, i - 1) for i in range(1, 10001)]
lines += ["    output x10000;", "}"]
w("layers_10000.net", "\n".join(lines) + "\n")
lines = ["network wide {", "    input x : [1, 8];"]
lines += ["    y%d = relu(x);" % i for i in range(10000)]
lines += ["    s = add(" + ", ".join("y%d" % i for i in range(10000)) + ");", "    output s;", "}"]
w("wide_add.net", "\n".join(lines) + "\n")
w("nul_bytes.net", b"network n {\n    input x : [1,\x00 8];\n    y = relu(x);\n    output y;\n}\n")
w("nul_only.net", b"\x00" * 1000)
w("not_utf8.net", b"network n {\n    input x\xff\xfe\x80 : [1, 8];\n    # caf\xe9 \xc3\n    y = relu(x);\n    output y;\n}\n")
w("binary.net", bytes(range(256)) * 64)
w("empty.net", b"")
w("whitespace.net", b" \n\t\r\n" * 1000)
w("huge_int.net", "network n {\n    batch = " + "9" * 100000 + ";\n}\n")
w("huge_neg_int.net", "network n {\n    input x : [1, -" + "9" * 30 + "];\n}\n")
w("huge_real.net", "network n {\n    x = leaky_relu(y) { alpha = 1" + "0" * 400 + ".5 };\n}\n")
w("huge_shape.net", "network n {\n    input x : [9223372036854775807, 9223372036854775807];\n    y = relu(x);\n    output y;\n}\n")
w("overflow_attrs.net", "network n {\n    input x : [1, 8, 8];\n    y = tconv(x) { filters = 9223372036854775807, kernel = 9223372036854775807, stride = -9223372036854775808, dilation = 9223372036854775807, padding = 9223372036854775807, output_padding = 9223372036854775807 };\n    z = conv(x) { filters = 1, kernel = 1, padding = [[9223372036854775807, 9223372036854775807], [0, 0]] };\n    u = upsample(x) { factor = 1048576 };\n    output y, z, u;\n}\n")
w("crlf.net", "network n {\r\n    input x : [1, 8];\r\n    y = relu(x)\r\n    output y;\r\n}\r\n")
w("unterminated_string.net", 'network n {\n    y = relu(x) { a = "' + "s" * 100000)
w("no_newline.net", "network n { input x : [1, 8]; y = relu(x); output y; }")
PYEOF
mkdir -p "$h/a_directory.net"
printf 'network n { input x : [1, 8]; y = relu(x); output y; }\n' >"$h/unreadable.net"
chmod 000 "$h/unreadable.net"
# root reads anything: then /proc/self/mem, which fails to read at offset 0
if [ "$(id -u)" = 0 ]; then unreadable=/proc/self/mem; else unreadable=$h/unreadable.net; fi

hostile big_valid            0 60 EMPTY                                 check --quiet "$h/big_valid.net"
hostile big_valid_json       0 60 EMPTY                                 check --json "$h/big_valid.net"
hostile networks_30000       0 60 EMPTY                                 check --quiet "$h/networks_30000.net"
hostile big_errors           1 60 'more diagnostics not shown'          check "$h/big_errors.net"
hostile big_syntax           1 60 'more diagnostics not shown'          check "$h/big_syntax.net"
hostile big_list             1 60 "unknown attribute 'k' for 'relu'"   check "$h/big_list.net"
hostile big_output           1 60 "listed as an output twice"           check "$h/big_output.net"
hostile big_call             0 60 EMPTY                                 check --quiet "$h/big_call.net"
hostile long_line            1 20 "unknown name 'q+"                    check "$h/long_line.net"
hostile deep_lists           1 10 'nested too deeply'                   check "$h/deep_lists.net"
hostile deep_calls           1 10 'nested too deeply'                   check "$h/deep_calls.net"
hostile deep_objects         1 10 'nested too deeply'                   check "$h/deep_objects.net"
hostile unclosed_brackets    1 10 'nested too deeply'                   check "$h/unclosed.net"
hostile layers_10000         0 20 EMPTY                                 check "$h/layers_10000.net"
hostile wide_add             0 20 EMPTY                                 check --json "$h/wide_add.net"
hostile nul_bytes            1 10 'NUL byte'                            check "$h/nul_bytes.net"
hostile nul_only             1 10 'NUL byte'                            check "$h/nul_only.net"
hostile not_utf8             1 10 'unexpected byte 0xff'                check "$h/not_utf8.net"
hostile binary               1 10 'NUL byte'                            check "$h/binary.net"
hostile empty                1 10 "expecting 'network'"                 check "$h/empty.net"
hostile whitespace           1 10 "expecting 'network'"                 check "$h/whitespace.net"
hostile huge_int             1 10 'integer literal out of range'        check "$h/huge_int.net"
hostile huge_neg_int         1 10 'integer literal out of range'        check "$h/huge_neg_int.net"
hostile huge_real            1 10 'real literal out of range'           check "$h/huge_real.net"
hostile huge_shape           1 10 'overflows the index type'            check "$h/huge_shape.net"
hostile overflow_attrs       1 10 'too large'                           check "$h/overflow_attrs.net"
hostile crlf                 1 10 "crlf.net:3:16: error: syntax error: expected '[{]' or ';' before 'output' on line 4" check "$h/crlf.net"
hostile unterminated_string  1 10 'unterminated string'                 check "$h/unterminated_string.net"
hostile no_newline           0 10 EMPTY                                 check --quiet "$h/no_newline.net"
hostile directory            1 10 "cannot read .*: Is a directory"      check "$h/a_directory.net"
hostile unreadable           1 10 "cannot read .*(Permission denied|Input/output error)" check "$unreadable"
hostile missing_file         1 10 "cannot read .*: No such file"        check "$h/does_not_exist.net"
hostile no_arguments         2 10 '^usage: netc'
hostile check_no_file        2 10 'no input file'                       check
hostile check_two_files      2 10 'one file at a time'                  check "$h/empty.net" "$h/crlf.net"
hostile unknown_option       2 10 "unknown option '--frobnicate'"       check --frobnicate "$h/empty.net"
hostile unknown_pass         2 10 "unknown pass 'parse'"                check --dump-after=parse "$h/empty.net"
hostile unknown_command      2 10 "did you mean 'check'"                chekc "$h/empty.net"

# ---------------------------------------------------------------- 4. examples
echo "== examples (netc check clean; shapes and parameters against PyTorch)"
for f in "$root"/examples/*.net; do
    [ -f "$f" ] || continue
    n=$(basename "$f" .net)
    timeout 30 "$netc" check --json "$f" >"$tmp/ex-$n.json" 2>"$tmp/ex-$n.err"
    rc=$?
    if [ "$rc" -ne 0 ] || [ -s "$tmp/ex-$n.err" ]; then
        bad "example $n: netc check exit $rc with diagnostics" "$(cat "$tmp/ex-$n.err")"
    else
        out=$(timeout 300 $py "$here/examples_torch.py" "$n" "$tmp/ex-$n.json" 2>&1)
        rc=$?
        if [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]; then ok "example $n: $out"; else bad "example $n: PyTorch disagrees" "$out"; fi
    fi
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
