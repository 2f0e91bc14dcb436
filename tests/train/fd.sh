#!/usr/bin/env bash
# tests/train/fd.sh NETC FILE.net WORKDIR — finite-difference gradient checks in
# double for every network of FILE.net (see fd_driver.c).  Prints per network the
# checked parameters and ends with "N passed, N failed".
set -uo pipefail
netc=$1; file=$2; work=$3
root=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$work"
dbl=(-DNETC_FLOAT=double -DNETC_EXPF=exp -DNETC_EXPM1F=expm1 -DNETC_LOGF=log -DNETC_LOG1PF=log1p
     -DNETC_TANHF=tanh -DNETC_SQRTF=sqrt -DNETC_COSF=cos -DNETC_POWF=pow -DNETC_HUGE=HUGE_VAL)
pass=0; fail=0
for net in $("$netc" check "$file" --json | /usr/bin/python3 -c 'import json,sys; print(" ".join(n["name"] for n in json.load(sys.stdin)["networks"]))'); do
    d="$work/$net"; mkdir -p "$d"
    "$netc" build "$file" -o "$d" --network "$net" || { fail=$((fail + 1)); continue; }
    printf '#include "%s.h"\nconst netc_model *const netc_program_model = &%s_model;\n' "$net" "$net" > "$d/main.c"
    cc -O1 -std=c99 "${dbl[@]}" -I"$d" "$d/$net.c" "$d/main.c" "$root/tests/train/fd_driver.c" -o "$d/fd" -lm || { fail=$((fail + 1)); continue; }
    # cross_entropy targets are class indices: tell the driver which input and how many classes
    args=$("$netc" check "$file" --json | /usr/bin/python3 -c '
import json, sys
net = next(n for n in json.load(sys.stdin)["networks"] if n["name"] == sys.argv[1])
t = net["train"]
if t["loss"] == "cross_entropy":
    used = set(i for L in net["layers"] for i in L["inputs"]) | {t["target"]}
    names = [i["name"] for i in net["inputs"] if i["name"] in used]
    pred = next(L for L in net["layers"] if L["name"] == t["prediction"])
    print("--classes %d %d" % (names.index(t["target"]), pred["output_shape"][0]))' "$net")
    echo "network $net"
    out=$("$d/fd" $args)
    rc=$?
    echo "$out" | grep -v '^[0-9]* passed'
    line=$(echo "$out" | tail -1)
    # a crash or a sanitizer report (exit status without a result line) is a failure
    if ! [[ $line =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]] || { [ "$rc" -ne 0 ] && [ "${line#* passed, }" = "0 failed" ]; }; then
        echo "FAIL $net: the finite-difference driver exited with status $rc"
        fail=$((fail + 1))
        continue
    fi
    pass=$((pass + $(echo "$line" | cut -d' ' -f1))); fail=$((fail + $(echo "$line" | cut -d' ' -f3)))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
