# signal_reload.sh - `ctl reload` on a running signal stage: a strategy parameter that can
# change live is applied (ok, the key listed), a period is refused as restart-only naming the
# key, a bad value and an unknown top-level section are refused naming file, line and key,
# and the stage keeps running through the refusals.
. tests/integration/lib.inc

cfg=$(make_config srl tests/integration/small.json max)
dir=$(dirname "$cfg")
"$BIN/signal" -c "$cfg" -i signal.0 >"$dir/signal.out" 2>&1 &
pid=$!
"$BIN/ctl" -c "$cfg" wait-state signal.0 running --max-wait 30 >/dev/null 2>&1
check "signal.0 is running" kill -0 $pid

reload() { "$BIN/ctl" -c "$cfg" reload signal.0 >"$dir/reload.out" 2>&1; echo $?; }

# 1. a reloadable strategy parameter
sed -i 's/"stop_pct": "0.5"/"stop_pct": "0.7"/' "$cfg"
rc=$(reload)
eq "stop_pct reloaded (ctl exit)" "$rc" 0
check "the reply lists signal.strategies[0].stop_pct" \
    grep -q '"reloaded": *\[ *"signal.strategies\[0\].stop_pct" *\]' "$dir/reload.out"

# 2. a period: restart-only, refused by name
sed -i 's/"fast": 50,/"fast": 40,/' "$cfg"
line=$(grep -n '"fast": 40' "$cfg" | cut -d: -f1)
rc=$(reload)
eq "fast refused (ctl exit)" "$rc" 1
check "the refusal names $cfg:$line: signal.strategies[0].fast: needs a restart" \
    grep -qF "$cfg:$line: signal.strategies[0].fast: needs a restart" "$dir/reload.out"
sed -i 's/"fast": 40,/"fast": 50,/' "$cfg"

# 3. a bad value of a reloadable key: refused by the stage's own reader, file:line: key
sed -i 's/"stop_pct": "0.7"/"stop_pct": "lots"/' "$cfg"
line=$(grep -n '"stop_pct": "lots"' "$cfg" | cut -d: -f1)
rc=$(reload)
eq "a bad stop_pct refused (ctl exit)" "$rc" 1
check "the refusal names $cfg:$line: signal.strategies[0].stop_pct" \
    grep -qF "$cfg:$line: signal.strategies[0].stop_pct: expected a decimal" "$dir/reload.out"

# 4. an unknown top-level section is refused on reload as it is at start
sed -i 's/"stop_pct": "lots"/"stop_pct": "0.7"/; s/"risk": {/"Risk": {/' "$cfg"
line=$(grep -n '"Risk"' "$cfg" | cut -d: -f1)
rc=$(reload)
eq "a \"Risk\" section refused (ctl exit)" "$rc" 1
check "the refusal names $cfg:$line: Risk" grep -qF "$cfg:$line: Risk: unknown top-level key" "$dir/reload.out"

check "signal.0 still running after the refusals" kill -0 $pid
kill -TERM $pid
wait $pid
eq "signal.0 stops cleanly" "$?" 0
finish
