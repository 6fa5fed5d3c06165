# feed_refused.sh - refused input is counted and a run built on too little of its data fails
# loudly (issue 14, finding 8; docs/feed.md "Refused input"). The real group under supervisord:
#   A. the binance-spot instrument's step made coarser (0.1): the kline CSV's volumes (0.00001
#      digits) no longer fit, nearly every kline frame is refused; the feed logs one error
#      naming the connection, the counts and the share, and exits 1 (supervisord: "exited ...
#      not expected") instead of reporting a run with 0 trades as a success.
#   A2. the same with the bound off (feed.max_refused_pct "100"): the run ends, and the
#      2880 refused frames are counted in `ctl status feed.0`.
#   B. a copy of one day's kline CSV with 5 volumes given a digit beyond the step: 5 of 1440
#      frames refused (0.35 %, under the 1 % bound): the replay runs to the end, and the count
#      is in `ctl status feed.0` (per connection and in the counters) and in the feed's
#      sys.hb counters the recorder stores.
#   C. live mode with the coarse step: the feed keeps running, state "degraded", one error
#      line, the count in status.
. tests/integration/lib.inc

sv() { tools/sv -c "$1" "$2" "$3" >/dev/null 2>&1; }

# ---- A: most kline frames refused -> the feed stops the replay with exit 1
cfg=$(make_config refused_many tests/integration/small.json)
dir=$(dirname "$cfg")
jq '(.feed.instruments[] | select(.venue == "binance-spot")) |= (.step = "0.1" | .min_qty = "0.1")' \
    "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
feed_exited() { grep -q "exited: feed.* (exit status 1; not expected)" "$dir/log/supervisord.log" 2>/dev/null; }
check "A: supervisord starts the group" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
check "A: the feed exits with status 1 (supervisord: not expected)" wait_for 120 feed_exited
sv "$cfg" shutdown
err=$(cat "$dir"/log/feed*.log | grep " E .*binance-spot: [0-9]* of [0-9]* frames refused" | head -n 1)
diag "$err"
names_all() {
    echo "$err" | grep -q 'binance-spot: [0-9]* of [0-9]* frames refused ([0-9.]* %, over feed.max_refused_pct 1.00 %).*stopping the replay (exit 1)'
}
check "A: one error line names the connection, the counts, the share and the bound" names_all
refused=$(echo "$err" | sed -n 's/.*binance-spot: \([0-9]*\) of \([0-9]*\) frames.*/\1/p')
frames=$(echo "$err" | sed -n 's/.*binance-spot: \([0-9]*\) of \([0-9]*\) frames.*/\2/p')
check "A: it fired at the minimum sample (1000 frames, default feed.refused_min_frames): $frames" \
    test "${frames:-0}" -eq 1000
check "A: nearly every frame was refused ($refused of $frames)" test "${refused:-0}" -gt 900
check "A: the refusals themselves were logged (first occurrence, a warning)" \
    sh -c "cat '$dir'/log/feed*.log | grep -q ' W .*kline: bad o/h/l/c/v/q/V/x (first occurrence)'"

# ---- A2: the same data with the bound off (feed.max_refused_pct 100): the run goes on and
#      the refusals are no longer silent: every kline frame counted in status
cfg=$(make_config refused_nobound tests/integration/small.json)
dir=$(dirname "$cfg")
jq '(.feed.instruments[] | select(.venue == "binance-spot")) |= (.step = "0.1" | .min_qty = "0.1")
    | .feed.max_refused_pct = "100"' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
check "A2: supervisord starts the group" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
if "$BIN/ctl" -c "$cfg" wait-state venue-sim.0 done --max-wait 400 >"$dir/ctl.out" 2>&1; then
    ok "A2: with no bound the replay runs to the end"
else
    not_ok "A2: the replay did not finish: $(tail -c 300 "$dir/ctl.out")"
fi
"$BIN/ctl" -c "$cfg" status feed.0 >"$dir/feed.status" 2>&1
sv "$cfg" stop 'tradepipe:*'
sv "$cfg" shutdown
sp() { jq -r ".connections[] | select(.label == \"binance-spot\") | .$1" "$dir/feed.status"; }
eq "A2: ctl status feed.0: every binance-spot frame refused (2 days of 1m klines)" \
    "$(sp refused) of $(sp frames), $(sp refused_pct) %" "2880 of 2880, 100.00 %"
eq "A2: counters.refused" "$(jq -r .counters.refused "$dir/feed.status")" 2880

# ---- B: a few refused frames, under the bound -> runs to the end, count shown
cfg=$(make_config refused_few tests/integration/small.json)
dir=$(dirname "$cfg")
csv=$dir/BTCUSDT-1m-2025-11-01.csv
# 5 rows (rows 100, 300, 500, 700, 900) get a 9th decimal on the volume: 5.65926000 -> 5.659260001,
# finer than the step 0.00001, so exactly these 5 frames are refused
awk -F, 'BEGIN { OFS = "," } NR % 200 == 100 && NR < 1000 { $6 = $6 "1" } { print }' \
    data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv >"$csv"
eq "B: the CSV copy differs from the recorded file in 5 rows" \
    "$(diff data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv "$csv" | grep -c '^>')" 5
jq --arg csv "$csv" '.venue_sim.binance_kline_csv = [$csv]' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
check "B: supervisord starts the group" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
if "$BIN/ctl" -c "$cfg" wait-state venue-sim.0 done --max-wait 400 >"$dir/ctl.out" 2>&1; then
    ok "B: the replay runs to the end"
else
    not_ok "B: the replay did not finish: $(tail -c 300 "$dir/ctl.out")"
fi
sleep 2 # one more heartbeat after the last frame: the recorder stores it
"$BIN/ctl" -c "$cfg" status feed.0 >"$dir/feed.status" 2>&1
sv "$cfg" stop 'tradepipe:*'
sv "$cfg" shutdown
conn() { jq -r ".connections[] | select(.label == \"binance-spot\") | .$1" "$dir/feed.status"; }
eq "B: ctl status feed.0: binance-spot refused" "$(conn refused)" 5
eq "B: ctl status feed.0: binance-spot frames" "$(conn frames)" 1440
eq "B: ctl status feed.0: binance-spot refused_pct" "$(conn refused_pct)" 0.34
eq "B: ctl status feed.0: under the bound" "$(conn refused_over_bound)" false
eq "B: ctl status feed.0: counters.refused" "$(jq -r .counters.refused "$dir/feed.status")" 5
eq "B: the feed still says running" "$(jq -r .state "$dir/feed.status")" running
hb=$(sql "$dir/tradepipe.db" "select body from events where topic = 'sys.hb.feed.0' order by id desc limit 1")
eq "B: the recorder stored the count in the feed's sys.hb counters" \
    "$(echo "$hb" | jq -r '. as $b | [range(0; $b.names | length)] | map(select($b.names[.] == "refused")) | .[0] as $i | $b.values[$i]')" 5
"$BIN/report" "$dir/tradepipe.db" >"$dir/report.txt" 2>&1
"$BIN/report" "$dir/tradepipe.db" --json >"$dir/report.json" 2>&1
eq "B: the report counts the refused input (5 of the 1440 binance-spot frames and the others)" \
    "$(sed -n 's/^refused input *\([0-9]*\) .*/\1/p' "$dir/report.txt")" 5
eq "B: the report's JSON carries the same" "$(jq -r .refused_input.refused "$dir/report.json")" 5
check "B: the report warns about refused input" grep -q '^WARNING: the feeds refused 5 of' "$dir/report.txt"
check "B: no error in the feed's log" sh -c "! cat '$dir'/log/feed*.log | grep -q ' E '"
check "B: every stage stopped cleanly (exit 0)" \
    sh -c "! grep -q 'stopped: .*(exit status [1-9]' '$dir/log/supervisord.log'"

# ---- C: live mode, the coarse step again: the feed keeps running (the market does not wait),
#      its state becomes "degraded", one error line, the count in status (venue-sim free-running
#      the kline CSV to a live feed, as tests/integration/feed_announce.sh runs it)
tpl=$TMP_ROOT/live_tpl.json
jq '.venue_sim.binance_usdm_file = "" | .venue_sim.expect_labels = ["binance-spot"]
    | .venue_sim.binance_kline_csv = ["data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv"]
    | .feed.connections = [{"label": "binance-spot", "venue": "binance-spot", "protocol": "binance",
        "url": "ws://127.0.0.1:{venue_port}/spot/stream?replay_conn=binance-spot",
        "rest": "http://127.0.0.1:{venue_port}/spot", "symbols": ["BTCUSDT"], "streams": ["kline_1m"]}]
    | .feed.instruments = [{"venue": "binance-spot", "category": "spot", "symbol": "BTCUSDT",
        "tick": "0.01", "step": "0.1", "min_qty": "0.1", "min_notional": "5"}]' \
    tests/integration/feed_faults_binance.json >"$tpl"
cfg=$(make_config refused_live "$tpl")
dir=$(dirname "$cfg")
"$BIN/venue-sim" -c "$cfg" -i venue-sim.0 >"$dir/venue-sim.log" 2>&1 &
vs=$!
sleep 0.3
"$BIN/feed" -c "$cfg" -i feed.0 >"$dir/feed.log" 2>&1 &
fd=$!
spot_frames() {
    "$BIN/ctl" -c "$cfg" status feed.0 >"$dir/feed.status" 2>/dev/null \
        && [ "$(jq -r '.connections[0].frames' "$dir/feed.status")" -ge 1440 ] 2>/dev/null
}
check "C: the live feed parses the day's 1440 kline frames" wait_for 60 spot_frames
eq "C: the feed says degraded" "$(jq -r .state "$dir/feed.status")" degraded
eq "C: ctl status feed.0: every frame refused" \
    "$(jq -r '.connections[0] | "\(.refused) of \(.frames), \(.refused_pct) %, over \(.refused_over_bound)"' "$dir/feed.status")" \
    "1440 of 1440, 100.00 %, over true"
check "C: the feed is still running (live: no exit)" kill -0 "$fd"
eq "C: one error line, naming the connection, the counts and 'feed state degraded'" \
    "$(grep -c ' E .*binance-spot: 1000 of 1000 frames refused (100.00 %, over feed.max_refused_pct 1.00 %).*feed state degraded' "$dir/feed.log")" 1
kill "$fd" "$vs" 2>/dev/null
wait "$fd" "$vs" 2>/dev/null
finish
