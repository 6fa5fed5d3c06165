# bad_input.sh - every stage refuses a bad config value at start naming file, line and key;
# a stage that cannot bind or connect says which endpoint and why; none exits silently.
. tests/integration/lib.inc

cfg=$(make_config bad tests/integration/small.json max)
dir=$(dirname "$cfg")

# 1. a bad value per stage: exit code 2 and "<file>:<line>: <key>: ..." on stderr
bad_value() { # stage instance key-regex replacement expected-key
    stage=$1 inst=$2 pat=$3 rep=$4 key=$5
    f=$dir/bad-$stage.json
    sed "s/$pat/$rep/" "$cfg" >"$f"
    line=$(grep -n "$rep" "$f" | head -n 1 | cut -d: -f1)
    timeout 10 "$BIN/$stage" -c "$f" -i "$inst" >"$dir/$stage.out" 2>&1
    rc=$?
    if [ $rc -eq 2 ] && grep -q "$f:$line: $key: " "$dir/$stage.out"; then
        ok "$stage refuses a bad $key (exit 2, $f:$line named)"
    else
        not_ok "$stage with bad $key: exit $rc, output: $(head -c 300 "$dir/$stage.out")"
    fi
}
bad_value risk risk.0 '"max_open_positions": 1' '"max_open_positions": -3' risk.max_open_positions
bad_value executor executor.0 '"taker_fee": "0.001"' '"taker_fee": "abc"' executor.taker_fee
bad_value recorder recorder.0 '"batch_max": 5000' '"batch_max": "many"' recorder.batch_max
bad_value signal signal.0 '"rsi_period": 14' '"rsi_period": 0' 'signal.strategies\[0\].rsi_period'
bad_value feed feed.0 '"depth": 200' '"depth": 7' 'feed.connections\[0\].depth'
bad_value venue-sim venue-sim.0 '"step_ms": 100' '"step_ms": -1' venue_sim.step_ms

# 2. invalid JSON: exit 2 with file:line:col
printf '{\n  "mode": "replay",\n  "run_dir": \n}\n' >"$dir/broken.json"
timeout 10 "$BIN/risk" -c "$dir/broken.json" -i risk.0 >"$dir/broken.out" 2>&1
rc=$?
check "invalid JSON is refused with file:line:col (exit $rc)" \
    sh -c "[ $rc -eq 2 ] && grep -q '$dir/broken.json:4:' '$dir/broken.out'"

# 3. cannot bind: exit 3 naming the endpoint and the reason
sed 's#"pub": "ipc://[^"]*/risk.0.pub"#"pub": "ipc:///proc/tp-no/risk.0.pub"#' "$cfg" >"$dir/nobind.json"
timeout 10 "$BIN/risk" -c "$dir/nobind.json" -i risk.0 >"$dir/nobind.out" 2>&1
rc=$?
check "a stage that cannot bind names the endpoint and why (exit $rc)" \
    sh -c "[ $rc -eq 3 ] && grep -q 'cannot .*ipc:///proc/tp-no/risk.0.pub' '$dir/nobind.out'"

# 4. cannot connect: an upstream endpoint with an unknown transport
sed 's#"pub": "ipc://[^"]*/feed.0.pub"#"pub": "bogus://feed.0"#' "$cfg" >"$dir/noconn.json"
timeout 10 "$BIN/signal" -c "$dir/noconn.json" -i signal.0 >"$dir/noconn.out" 2>&1
rc=$?
check "a stage that cannot connect names the endpoint and why (exit $rc)" \
    sh -c "[ $rc -eq 3 ] && grep -q 'cannot connect to bogus://feed.0: Protocol not supported' '$dir/noconn.out'"

# 5. a signal stops a stage cleanly (exit 0) and it says so
timeout 10 "$BIN/risk" -c "$cfg" -i risk.0 >"$dir/term.out" 2>&1 &
pid=$!
sleep 0.5
kill -TERM $pid
wait $pid
rc=$?
check "SIGTERM stops a stage with exit 0 and a log line (exit $rc)" \
    sh -c "[ $rc -eq 0 ] && grep -q 'stopping on signal' '$dir/term.out'"
# 6. reload: a live-changeable value is applied; a bad file changes nothing and says where
timeout 20 "$BIN/risk" -c "$cfg" -i risk.0 >"$dir/reload.out" 2>&1 &
pid=$!
"$BIN/ctl" -c "$cfg" wait-state risk.0 halted --max-wait 5 >/dev/null 2>&1
sed -i 's/"log_level": "info"/"log_level": "debug"/' "$cfg"
r=$("$BIN/ctl" -c "$cfg" reload risk.0 2>&1)
check "reload applies log_level ($r)" sh -c "echo '$r' | grep -q '\"ok\":true' && echo '$r' | grep -q log_level"
sed -i 's/"log_level": "debug"/"log_level": "loud"/' "$cfg"
line=$(grep -n '"log_level": "loud"' "$cfg" | cut -d: -f1)
r=$("$BIN/ctl" -c "$cfg" reload risk.0 2>&1)
check "reload refuses a bad value naming file, line and key" \
    sh -c "echo '$r' | grep -q '\"ok\":false' && echo '$r' | grep -q '$cfg:$line: log_level'"
r=$("$BIN/ctl" -c "$cfg" status risk.0 2>&1)
check "the stage still answers after a refused reload" sh -c "echo '$r' | grep -q '\"stage\":\"risk.0\"'"
kill -TERM $pid
wait $pid
finish
