# signal_context.sh - the group with the full signal feature set switched on (indicator set and
# market context on 1m and 1h, 1m -> 5m/15m/1h/4h/1d aggregation, razor, rules, ensemble,
# setups and level_reaction strategies) on the bundled 2 days of klines. Checks counts derived
# from the data and the documented rules, determinism of every sig.* message across two runs,
# and that a bad rule stops signal at start with exit 2 naming file, line and rule path.
. tests/integration/lib.inc

mk() { # mk NAME -> config path with the full signal set (context_config) merged in
    c=$(make_config "$1" tests/integration/small.json max)
    context_config "$c" && echo "$c"
}
cfg=$(mk a)
check "group runs to the end with the full signal set" run_group "$cfg"
db=$(dirname "$cfg")/tradepipe.db
q() { sql "$db" "$1"; }

n1m=$(cat data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-0[12].csv | wc -l)
# the files start at 2025-11-01 00:00 UTC without gaps: every aggregate is complete
for tf in 5m:5 15m:15 1h:60 4h:240 1d:1440; do
    name=${tf%%:*}
    per=${tf##*:}
    eq "sig.bar.$name = 1m bars / $per" \
        "$(q "select count(*) from events where topic = 'sig.bar.$name.binance-spot.BTCUSDT'")" \
        "$((n1m / per))"
done
# sig.ind.1m per bar t: ceil(values available / 12) + 1 context message; values by lookback
# (ind.h): vwap t>=0, ema9 8, mom/roc 10, ema12 11, rsi/atr/+di/-di 14, sma/ema20/bb*3/stddev/
# vol_ma 19 (16 values: 2 messages) ... up to 23: so 1 message for t < 19, 2 from t = 19;
# plus ema_rsi.btc's own message from t = 14 (its rsi14) on the same topic.
exp_ind=$((n1m + 19 + (n1m - 19) * 2 + (n1m - 14)))
eq "sig.ind.1m messages = ind + context + ema_rsi's" \
    "$(q "select count(*) from events where topic = 'sig.ind.1m.binance-spot.BTCUSDT'")" "$exp_ind"
eq "every 1m bar has one context message (regime first)" \
    "$(q "select count(*) from events where topic = 'sig.ind.1m.binance-spot.BTCUSDT' and body like '%\"regime\"%'")" "$n1m"
check "1h indicator messages present" test \
    "$(q "select count(*) from events where topic = 'sig.ind.1h.binance-spot.BTCUSDT'")" -ge "$((n1m / 60))"
for s in razor.btc rules.btc ens.btc setups.btc; do
    n=$(q "select count(*) from events where topic = 'sig.signal.$s.BTCUSDT'")
    diag "$s: $n signals"
    check "$s signals carry a reason" test \
        "$(q "select count(*) from events where topic = 'sig.signal.$s.BTCUSDT' and body not like '%\"reason\":\"\"%'")" = "$n"
done
check "razor produced signals" test "$(q "select count(*) from events where topic = 'sig.signal.razor.btc.BTCUSDT'")" -gt 0
check "rules produced signals" test "$(q "select count(*) from events where topic = 'sig.signal.rules.btc.BTCUSDT'")" -gt 0
# every setups signal is the TRIGGERED step of a published life cycle (docs/signal.md
# "Setups": one sig.setup per state change, the signal follows its TRIGGERED one), and no
# setup triggers without having formed
n_trig=$(q "select count(*) from events where topic like 'sig.setup.setups.btc.%' and json_extract(body, '$.state') = 'TRIGGERED'")
eq "setups: one TRIGGERED sig.setup per setups signal" "$n_trig" \
    "$(q "select count(*) from events where topic = 'sig.signal.setups.btc.BTCUSDT'")"
check "setups: FORMING published at least as often as TRIGGERED" test \
    "$(q "select count(*) from events where topic like 'sig.setup.setups.btc.%' and json_extract(body, '$.state') = 'FORMING'")" -ge "$n_trig"
n_lvl=$(q "select count(*) from events where topic like 'sig.signal.level.btc.%'")
check "level_reaction fired on real binance-usdm trades ($n_lvl)" test "$n_lvl" -gt 0
eq "no sequence gaps" "$(q "select count(*) from gaps")" 0

# determinism of everything signal publishes (origin is a local receive time: left out)
dump() { sql "$1" "select topic, evt, body from events where topic like 'sig.%' order by src, seq" >"$2"; }
dump "$db" "$TMP_ROOT/a.txt"
cfg_b=$(mk b)
check "second run" run_group "$cfg_b"
dump "$(dirname "$cfg_b")/tradepipe.db" "$TMP_ROOT/b.txt"
check "sig.* identical across runs ($(wc -l <"$TMP_ROOT/a.txt") messages)" cmp -s "$TMP_ROOT/a.txt" "$TMP_ROOT/b.txt"

# a bad rule stops signal at start: exit 2, file:line: rule path
bad=$(make_config bad tests/integration/small.json max)
jq '.signal.strategies += [{"name": "bad", "type": "rules", "venue": "v", "symbol": "S",
    "side": "buy", "rules": [{"left": "ema9", "op": "crosses_sideways", "right": "ema21"}]}]' \
    "$bad" >"$bad.tmp" && mv "$bad.tmp" "$bad"
"$BIN/signal" -c "$bad" -i signal.0 >"$TMP_ROOT/bad.out" 2>&1
eq "bad rule: exit code 2" "$?" 2
check "bad rule: error names file, line and rule path" \
    grep -q "$bad:[0-9]*: signal.strategies\[1\].rules\[0\].op: unknown op" "$TMP_ROOT/bad.out"
finish
