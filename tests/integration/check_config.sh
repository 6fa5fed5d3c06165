# check_config.sh - build/bin/check-config validates a config as every stage would at start,
# without starting anything, and reports every error as file:line: key: why (exit 2); the
# stages refuse an unknown top-level section instead of running on defaults; tools/run.sh
# (make run) runs the check first and starts nothing on a bad config.
. tests/integration/lib.inc

# 1. the bundled configs pass
for f in config/default.json tests/integration/*.json; do
    "$BIN/check-config" -c "$f" >"$TMP_ROOT/ok.out" 2>&1
    rc=$?
    if [ $rc -eq 0 ] && grep -q "^config OK: $f ([0-9]* sections, [0-9]* instances)$" "$TMP_ROOT/ok.out"; then
        ok "$f passes ($(cat "$TMP_ROOT/ok.out"))"
    else
        not_ok "$f: exit $rc, output: $(head -c 400 "$TMP_ROOT/ok.out")"
    fi
done

cfg=$(make_config cc tests/integration/small.json max)
dir=$(dirname "$cfg")

# refused F KEY WHY-PREFIX MARKER: check-config on F exits 2 and names F:<line of MARKER>: KEY
refused() {
    f=$1 key=$2 why=$3 marker=$4
    line=$(grep -n -- "$marker" "$f" | head -n 1 | cut -d: -f1)
    "$BIN/check-config" -c "$f" >"$f.out" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -qF "$f:$line: $key: $why" "$f.out"; then
        ok "refused naming $f:$line: $key: $why"
    else
        not_ok "$key: exit $rc, expected '$f:$line: $key: $why...', output: $(head -c 500 "$f.out")"
    fi
}

# 2. one mistake each
sed 's/"risk": {/"Risk": {/' "$cfg" >"$dir/Risk.json"
refused "$dir/Risk.json" Risk 'unknown top-level key (did you mean "risk"?)' '"Risk"'

sed 's/"fast": 50,/"fast": 50, "fats": 5,/' "$cfg" >"$dir/deep.json"
refused "$dir/deep.json" 'signal.strategies[0].fats' 'unknown key' '"fats"'

# the ema_cross_rsi strategy (binance-spot BTCUSDT) moved to a symbol nobody has rules for or
# subscribes to: both reported, in one run
awk '/"type": "ema_cross_rsi"/ { s = 1 } s && /"symbol": "BTCUSDT"/ { sub(/BTCUSDT/, "LTCUSDT"); s = 0 } { print }' \
    "$cfg" >"$dir/norules.json"
refused "$dir/norules.json" 'signal.strategies[0].symbol' 'no instrument rules for binance-spot LTCUSDT' '"LTCUSDT"'
refused "$dir/norules.json" 'signal.strategies[0].symbol' 'no feed connection subscribes to binance-spot LTCUSDT' '"LTCUSDT"'

sed 's/"long_only": true/"long_only": false/' "$cfg" >"$dir/short_spot.json"
refused "$dir/short_spot.json" 'signal.strategies[0].long_only' 'false on the spot symbol binance-spot BTCUSDT' '"long_only"'

# risk, executor and recorder: their own readers (risk/config.h, executor/config.h,
# recorder/config.h) through check-config
sed 's/"order_ttl_ms"/"order_tll_ms"/' "$cfg" >"$dir/risk.json"
refused "$dir/risk.json" 'risk.order_tll_ms' 'unknown key' '"order_tll_ms"'
sed 's/"slippage_cap_pct"/"slipage_cap_pct"/' "$cfg" >"$dir/executor.json"
refused "$dir/executor.json" 'executor.slipage_cap_pct' 'unknown key' '"slipage_cap_pct"'
sed 's/"batch_ms"/"bacth_ms"/' "$cfg" >"$dir/recorder.json"
refused "$dir/recorder.json" 'recorder.bacth_ms' 'unknown key' '"bacth_ms"'

# 3. every error of a file, not just the first
sed -e 's/"risk": {/"Risk": {/' -e 's/"fast": 50,/"fast": 50, "fats": 5,/' \
    -e 's/"long_only": true/"long_only": false/' -e 's/"step_ms": 100/"step_ms": -1/' \
    "$cfg" >"$dir/many.json"
"$BIN/check-config" -c "$dir/many.json" >"$dir/many.out" 2>&1
rc=$?
n=$(grep -c "^$dir/many.json:[0-9]*: " "$dir/many.out")
check "four mistakes, four errors, exit 2 (exit $rc, $n errors)" [ $rc -eq 2 ] && [ "$n" -eq 4 ]
check "the count line says so" grep -q "^config refused: $dir/many.json (4 errors)$" "$dir/many.out"

# 4. a stage started on the "Risk" config stops at once (exit 2) naming the key; before, it ran
#    on risk defaults
line=$(grep -n '"Risk"' "$dir/Risk.json" | cut -d: -f1)
for st in risk signal; do
    timeout 10 "$BIN/$st" -c "$dir/Risk.json" -i $st.0 >"$dir/$st-Risk.out" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -qF "$dir/Risk.json:$line: Risk: unknown top-level key" "$dir/$st-Risk.out"; then
        ok "$st on the \"Risk\" config exits 2 naming $dir/Risk.json:$line: Risk"
    else
        not_ok "$st on the \"Risk\" config: exit $rc, output: $(head -c 300 "$dir/$st-Risk.out")"
    fi
done

# 5. make run's script checks first: exit 2 with the errors, nothing started
sed -e "s#\"run_dir\": \"[^\"]*\"#\"run_dir\": \"$dir/run-bad\"#" "$dir/Risk.json" >"$dir/run-bad.json"
TP_MAX_WAIT=5 sh tools/run.sh "$dir/run-bad.json" >"$dir/run-bad.out" 2>&1
rc=$?
eq "tools/run.sh on a bad config exits 2" "$rc" 2
check "tools/run.sh printed the error" grep -qF "run-bad.json:$line: Risk: unknown top-level key" "$dir/run-bad.out"
check "tools/run.sh started no supervisord (no run directory, no socket)" \
    sh -c "[ ! -e '$dir/run-bad/supervisor.sock' ] && [ ! -d '$dir/run-bad/log' ]"

finish
