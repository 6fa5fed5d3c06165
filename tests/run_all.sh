#!/bin/sh
# Run every unit test binary (cmocka, TAP output) and every integration test
# (tests/integration/*.sh, TAP output), then print "N passed, M failed".
# Usage: tests/run_all.sh BUILD_DIR test_a test_b ...   (TP_ONLY_UNIT=1: skip integration)
build=$1
shift
pass=0
fail=0
skip=0
failed=""
logdir="$build/test-logs"
mkdir -p "$logdir"

count() { # $1 = name, $2 = TAP file, $3 = exit status
    k=$(grep -c '^ok .*# *[Ss][Kk][Ii][Pp]' "$2")
    p=$(($(grep -c '^ok ' "$2") - k))
    skip=$((skip + k))
    f=$(grep -c '^not ok ' "$2")
    if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed or failed outside a test case: count it
        echo "not ok - $1 exited with status $3" >>"$2"
    fi
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$f" -gt 0 ]; then
        failed="$failed $1"
        grep '^not ok' "$2" | sed "s/^/  $1: /"
        tail -n 20 "$2" | sed "s/^/  | /"
    fi
    printf '%-28s %4d passed %3d failed\n' "$1" "$p" "$f"
}

for t in "$@"; do
    out="$logdir/$t.tap"
    CMOCKA_MESSAGE_OUTPUT=TAP "$build/bin/$t" >"$out" 2>&1
    count "$t" "$out" $?
done

if [ -z "$TP_ONLY_UNIT" ]; then
    for t in tests/integration/*.sh; do
        [ -e "$t" ] || continue
        name=$(basename "$t" .sh)
        out="$logdir/$name.tap"
        BUILD="$build" sh "$t" >"$out" 2>&1
        count "$name" "$out" $?
    done
fi

[ "$skip" -gt 0 ] && echo "$skip skipped (a tool they need is missing: see the logs in $logdir)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
