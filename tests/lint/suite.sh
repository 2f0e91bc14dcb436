#!/usr/bin/env bash
# tests/lint/suite.sh — golden tests of `netc lint` (compiler/lint.c), run through
# the standalone build/netc-lint and again through build/asan/netc-lint.
#
# Each case is cases/NAME.c (plus cases/NAME.h when it has one) or a directory
# cases/NAME/ of several files, linted alone in a fresh directory with the options
# in cases/NAME.args, if any.  The breach lines
# it prints (`file:line:col: rule: message`) must equal cases/NAME.expected line for
# line; the exit status must be 0 when that file is empty and 1 otherwise.  Then
# come the summary and --json output, the limits passing when they are met, and
# the usage errors (exit status 2).
#
# The stack and flash numbers come from the gcc on PATH (-Os -fstack-usage); the
# stack-limit golden line holds gcc 12's frame sizes on x86-64 and needs updating
# if the compiler changes.  libclang is not built with ASan; it has stayed quiet
# under it so far, so no ASAN_OPTIONS are set.
set -uo pipefail
root=${NETC_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 1
cases=tests/lint/cases
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0

ok()  { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && sed 's/^/     /' <<<"$2"; }

if ! ninja -C "$root" build/all-lint build/asan/all-lint >"$tmp/build.log" 2>&1; then
    cat "$tmp/build.log"
    echo "0 passed, 1 failed"
    exit 1
fi

# run VARIANT CASE: lint one case, compare breaches and exit status.
run_case() {
    local bin=$1/netc-lint name=$2 tag=$3
    local dir=$tmp/$tag-$name
    mkdir -p "$dir"
    if [ -d "$cases/$name" ]; then
        cp "$cases/$name"/* "$dir/"
    else
        cp "$cases/$name.c" "$dir/"
        [ -f "$cases/$name.h" ] && cp "$cases/$name.h" "$dir/"
    fi
    local args=()
    [ -f "$cases/$name.args" ] && read -r -a args <"$cases/$name.args"
    "$bin" "$dir" "${args[@]}" >"$dir.out" 2>"$dir.err"
    local rc=$?
    local want=0
    [ -s "$cases/$name.expected" ] && want=1
    grep -E '^[^ ]+:[0-9]+:[0-9]+: ' "$dir.out" >"$dir.got"
    if ! d=$(diff -u "$cases/$name.expected" "$dir.got"); then
        bad "$tag $name: breaches differ from $name.expected" "$d"
    elif [ "$rc" -ne "$want" ]; then
        bad "$tag $name: exit status $rc, want $want" "$(cat "$dir.err")"
    elif [ -s "$dir.err" ]; then
        bad "$tag $name: unexpected stderr" "$(cat "$dir.err")"
    else
        ok "$tag $name ($(wc -l <"$dir.got") breaches, exit $rc)"
    fi
}

for variant in build build/asan; do
    tag=release
    [ "$variant" = build/asan ] && tag=asan
    for c in "$cases"/*.c "$cases"/*/; do
        run_case "$variant" "$(basename "$c" .c)" "$tag"
    done
done

lint=build/netc-lint
clean=$tmp/clean
mkdir -p "$clean"
cp "$cases/clean.c" "$cases/clean.h" "$clean/"

# The human summary names the state, the flash size and the deepest chain.
out=$("$lint" "$clean" 2>&1)
if grep -q '^lint .*: 1 file, 8 functions, 0 breaches$' <<<"$out" &&
   grep -q '^  static RAM 48 bytes (clean_state 48)$' <<<"$out" &&
   grep -qE '^  flash +[0-9]+ bytes \(text [0-9]+ \+ data [0-9]+, gcc -Os\)$' <<<"$out" &&
   grep -qE '^  stack +[0-9]+ bytes: clean_run \([0-9]+\) -> clean_forward \([0-9]+\)' <<<"$out"; then
    ok "summary of the clean case"
else
    bad "summary of the clean case" "$out"
fi

# --json is one JSON document with the same facts.
"$lint" "$clean" --json >"$tmp/clean.json" 2>&1
if /usr/bin/python3 - "$tmp/clean.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["breaches"] == 0 and j["diagnostics"] == [], j
assert j["files"] == 1 and j["functions"] == 8, j
assert j["ram"] == {"bytes": 48, "limit": None,
                    "states": [{"name": "clean_state", "bytes": 48}]}, j["ram"]
assert j["flash"]["bytes"] == j["flash"]["text"] + j["flash"]["data"] > 0, j["flash"]
s = j["stack"]
assert s["bounded"] and s["bytes"] == sum(f["bytes"] for f in s["chain"]), s
assert [f["function"] for f in s["chain"]][:2] == ["clean_run", "clean_forward"], s
EOF
then ok "--json of the clean case"; else bad "--json of the clean case" "$(cat "$tmp/clean.json")"; fi

dir=$tmp/json-bad
mkdir -p "$dir"
cp "$cases/stack_limit.c" "$dir/"
"$lint" "$dir" --json --max-stack 64 >"$tmp/bad.json" 2>&1
rc=$?
if [ $rc -eq 1 ] && /usr/bin/python3 - "$tmp/bad.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
assert j["breaches"] == 1, j
d = j["diagnostics"][0]
assert d["rule"] == "stack-limit" and d["file"] == "stack_limit.c", d
assert j["stack"]["limit"] == 64 and j["stack"]["bytes"] > 64, j["stack"]
EOF
then ok "--json of a stack-limit breach, exit 1"; else bad "--json of a stack-limit breach (exit $rc)" "$(cat "$tmp/bad.json")"; fi

# Limits that are met pass; the clang diagnostic of a JSON breach keeps its severity.
if "$lint" "$clean" --max-ram 48 --max-stack 4096 >/dev/null 2>&1; then
    ok "limits met exactly: exit 0"
else
    bad "limits met exactly: exit $?"
fi
dir=$tmp/json-clang
mkdir -p "$dir"
cp "$cases/clang_warning.c" "$dir/"
"$lint" "$dir" --json >"$tmp/clang.json" 2>&1
if /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))["diagnostics"][0]
assert d["rule"] == "clang" and d["severity"] == "warning", d
assert d["message"] == "unused variable '"'"'unused'"'"'", d
' "$tmp/clang.json"; then ok "--json clang diagnostic"; else bad "--json clang diagnostic" "$(cat "$tmp/clang.json")"; fi

# --cc and --cflags reach the compile: an unknown compiler fails the build step,
# a -D from --cflags reaches libclang too.
out=$("$lint" "$clean" --cc /nonexistent/gcc 2>/dev/null)
rc=$?
if [ $rc -eq 1 ] && grep -q '^clean.c:1:1: build: /nonexistent/gcc could not compile it' <<<"$out"; then
    ok "--cc with a missing compiler is a build breach"
else
    bad "--cc with a missing compiler (exit $rc)" "$out"
fi
out=$("$lint" "$clean" --cc true --max-stack 4096 2>/dev/null)
rc=$?
if [ $rc -eq 1 ] && grep -q '^clean.c:1:1: stack-limit: stack not measured, so --max-stack 4096 is not proven$' <<<"$out"; then
    ok "--max-stack with a compiler that writes no .su is a breach"
else
    bad "--max-stack without .su files (exit $rc)" "$out"
fi
dir=$tmp/cflags
mkdir -p "$dir"
printf '#ifndef LINT_OK\n#error LINT_OK not defined\n#endif\nvoid cflags_f(float *o) { o[0] = 1.0f; }\n' >"$dir/cflags.c"
if "$lint" "$dir" --cflags "-DLINT_OK -Wall" >"$tmp/cflags.out" 2>&1; then
    ok "--cflags -D reaches libclang and the compiler"
else
    bad "--cflags -D" "$(cat "$tmp/cflags.out")"
fi
if [ -x /usr/bin/arm-none-eabi-gcc ]; then
    out=$("$lint" "$clean" --cc arm-none-eabi-gcc --cflags "-mcpu=cortex-m4 -mthumb" 2>&1)
    if [ $? -eq 0 ] && grep -q 'arm-none-eabi-gcc -Os' <<<"$out"; then
        ok "--cc arm-none-eabi-gcc measures with arm-none-eabi-size"
    else
        bad "--cc arm-none-eabi-gcc" "$out"
    fi
fi

# netc's own output for the firmware fixture must pass, when netc can build it
# (the C printer is another area's; its absence is a skip, not a failure).
if [ -x build/netc ] && build/netc build tests/firmware/fixture/tiny.net -o "$tmp/gen" >/dev/null 2>&1; then
    out=$("$lint" "$tmp/gen" --max-ram 65536 --max-stack 4096 2>&1)
    if [ $? -eq 0 ]; then ok "netc build tiny.net: generated C passes"; else bad "netc build tiny.net: generated C" "$out"; fi
    if build/netc lint --help >/dev/null 2>&1; then
        build/netc lint "$tmp/gen" >"$tmp/driver.out" 2>&1
        rc=$?
        if [ $rc -eq 0 ] && grep -q '0 breaches' "$tmp/driver.out"; then
            ok "netc lint through the driver"
        else
            bad "netc lint through the driver (exit $rc)" "$(cat "$tmp/driver.out")"
        fi
    else
        echo "skip netc lint through the driver: netc has no lint command yet"
    fi
else
    echo "skip netc build tiny.net: build/netc cannot build it yet"
fi

# netc build --verify: lint's checks on the files the build writes, before DIR
# sees them; a breach exits 1 and leaves DIR as it was (not even created).
if [ -x build/netc ] && build/netc build --help 2>&1 | grep -q -- '--verify'; then
    v=$tmp/verify
    tiny=tests/firmware/fixture/tiny.net
    out=$(build/netc build $tiny --profile firmware --verify --max-ram 65536 --max-stack 4096 -o "$v/ok" 2>&1)
    rc=$?
    if [ $rc -eq 0 ] && [ -f "$v/ok/tiny.c" ] && [ -f "$v/ok/tiny.h" ] &&
       grep -q "^lint $v/ok: 1 file, [0-9]* functions, 0 breaches\$" <<<"$out" &&
       ! ls -a "$v/ok" | grep -q netc-verify; then
        ok "build --verify within limits: written, lint's report names DIR, no staging left"
    else
        bad "build --verify within limits (exit $rc)" "$out"
    fi
    # the limit is inclusive: the state's exact size passes, one byte less fails
    sb=$(sed -nE 's/^#define TINY_STATE_BYTES .*: ([0-9]+) bytes.*/\1/p' "$v/ok/tiny.h")
    if [ -n "$sb" ] && build/netc build $tiny --profile firmware --verify --max-ram "$sb" -o "$v/exact" >/dev/null 2>&1; then
        ok "build --verify --max-ram $sb (the state's size): passes"
    else
        bad "build --verify --max-ram '$sb' (the state's size) fails"
    fi
    cp -r "$v/ok" "$v/keep"
    echo '/* an older build */' >>"$v/keep/tiny.c"
    cp -r "$v/keep" "$v/keep.orig"
    out=$(build/netc build $tiny --profile firmware --verify --max-ram $((sb - 1)) -o "$v/keep" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && grep -q "^tiny.h:[0-9]*:[0-9]*: ram-limit: static RAM is $sb bytes .*over --max-ram $((sb - 1))\$" <<<"$out" &&
       grep -q "^netc build: --verify: .*nothing was written to '$v/keep'\$" <<<"$out" &&
       diff -r "$v/keep.orig" "$v/keep" >/dev/null && ! ls -a "$v/keep" | grep -q netc-verify; then
        ok "build --verify over --max-ram: exit 1, the breach named, the older build in DIR untouched"
    else
        bad "build --verify over --max-ram (exit $rc)" "$out$(diff -r "$v/keep.orig" "$v/keep")"
    fi
    out=$(build/netc build $tiny --verify --max-stack 16 -o "$v/new/sub" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && grep -q ': stack-limit: .*over --max-stack 16' <<<"$out" && [ ! -e "$v/new/sub" ]; then
        ok "build --verify over --max-stack: exit 1, the new DIR not left behind"
    else
        bad "build --verify over --max-stack (exit $rc)" "$out$(ls -la "$v/new/sub" 2>&1)"
    fi
    for args in "--max-ram 100" "--verify --max-ram 1k" "--verify --max-stack" "--profile tiny" "--train" "--profile firmware --exe"; do
        # shellcheck disable=SC2086
        build/netc build $tiny -o "$v/usage" $args >"$tmp/u.out" 2>"$tmp/u.err"
        rc=$?
        if [ $rc -eq 2 ] && [ -s "$tmp/u.err" ] && [ ! -e "$v/usage" ]; then ok "build usage: $args (exit 2, nothing written)"
        else bad "build usage: $args: exit $rc" "$(cat "$tmp/u.out" "$tmp/u.err")"; fi
    done
    # --train for a network without a train block: an error in the input
    out=$(build/netc build $tiny --profile firmware --train -o "$v/notrain" 2>&1)
    rc=$?
    if [ $rc -eq 1 ] && grep -q "network 'tiny' .* has no train block" <<<"$out" && [ ! -e "$v/notrain" ]; then
        ok "build --profile firmware --train of a network that does not train: exit 1, nothing written"
    else
        bad "build --train without a train block (exit $rc)" "$out"
    fi
else
    echo "skip netc build --verify: build/netc has no --verify yet"
fi

out=$("$lint" --help 2>&1)
if [ $? -eq 0 ] && grep -q '^usage: netc lint DIR' <<<"$out"; then ok "--help (exit 0)"; else bad "--help" "$out"; fi

# Usage errors: exit 2, a message on stderr, nothing on stdout.
usage() {
    local what=$1; shift
    "$lint" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
    local rc=$?
    if [ $rc -eq 2 ] && [ ! -s "$tmp/u.out" ] && [ -s "$tmp/u.err" ]; then
        ok "usage: $what (exit 2)"
    else
        bad "usage: $what: exit $rc" "$(cat "$tmp/u.out" "$tmp/u.err")"
    fi
}
mkdir -p "$tmp/empty"
usage "missing DIR"
usage "unknown option" "$clean" --frobnicate
usage "DIR that does not exist" "$tmp/no-such-dir"
usage "DIR without .c files" "$tmp/empty"
usage "two DIRs" "$clean" "$clean"
usage "--max-ram without a value" "$clean" --max-ram
usage "--max-stack not a number" "$clean" --max-stack 12k
usage "--max-ram negative" "$clean" --max-ram -5
usage "--cc empty" "$clean" --cc ""
out=$(build/asan/netc-lint --frobnicate 2>&1)
if [ $? -eq 2 ] && grep -q "unknown option '--frobnicate'" <<<"$out"; then
    ok "asan: unknown option (exit 2)"
else
    bad "asan: unknown option" "$out"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
