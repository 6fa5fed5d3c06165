# signal_restart_trades.sh - issue 5 "Restart without a gap" for bars built from trades: signal
# is stopped in the middle of the Bybit trade capture (data/bybit_v5, 45 s, four symbols) and
# started again; it restores the open bar of every trade series from the recorder's last trades
# ({"q":"trades"}, signal.warmup_trades) and, having joined mid-replay, takes the trades of the
# step it missed from the same history (catch-up). Every sig.bar of the trade series of run B
# (topic, evt, body) equals run A's, including the bars that were open at the restart.
. tests/integration/lib.inc

# trade_cfg CFG: only the Bybit linear capture (no klines, no Binance), trade bars of 1, 5, 10
# and 20 s on the four symbols, no strategies, warm-up on
trade_cfg() {
    jq '.venue_sim.binance_usdm_file = "" | .venue_sim.binance_kline_csv = []
        | .feed.connections = [.feed.connections[] | select(.venue == "bybit-linear")]
        | .signal.strategies = []
        | .signal.trade_bars = [("BTCUSDT", "ETHUSDT", "SOLUSDT", "DOGEUSDT") as $s
                                | (1, 5, 10, 20) as $tf
                                | {venue: "bybit-linear", symbol: $s, tf_s: $tf}]
        | .signal.warmup_bars = 100 | .signal.warmup_timeout_ms = 5000' "$1" >"$1.tmp" \
        && mv "$1.tmp" "$1"
}
bars() { # bars DB [WHERE] -> the trade-built sig.bar rows, one a line
    sql "$1" "select topic || '|' || evt || '|' || body from events
              where topic like 'sig.bar.%.bybit-linear.%' $2 order by evt, topic, body"
}
SPEED=${TP_TRADES_SPEED:-10}

# run A: never stopped
cfg_a=$(make_config tra tests/integration/small.json "$SPEED")
trade_cfg "$cfg_a"
db_a=$(dirname "$cfg_a")/tradepipe.db
check "run A (uninterrupted) replays to the end" run_group "$cfg_a"
n_a=$(bars "$db_a" | wc -l)
check "run A built trade bars ($n_a)" test "$n_a" -gt 50

# run B: signal stopped once it has published a third of them, started again 1.5 s later
cfg_b=$(make_config trb tests/integration/small.json "$SPEED")
trade_cfg "$cfg_b"
dir_b=$(dirname "$cfg_b")
db_b=$dir_b/tradepipe.db
tools/sv -c "$cfg_b" up >/dev/null 2>&1
"$BIN/ctl" -c "$cfg_b" wait-state venue-sim.0 running --max-wait 60 >/dev/null
want=$((n_a / 3))
i=0
while [ $i -lt 1200 ]; do
    n=$("$BIN/ctl" -c "$cfg_b" status signal.0 2>/dev/null | sed -n 's/.*"bars":\([0-9]*\).*/\1/p')
    [ -n "$n" ] && [ "$n" -ge "$want" ] && break
    sleep 0.02
    i=$((i + 1))
done
before=$(signal_pid "$cfg_b")
tools/sv -c "$cfg_b" stop tradepipe:signal >/dev/null
# meanwhile venue-sim's Bybit GET /v5/market/kline serves the closed bars of the replayed
# kline.1 frames up to its replay clock: the 21:26 BTCUSDT bar closed by the 21:27:00.441 push
# of the capture (open 65119.9, high 65119.9, low 65114.2, close 65114.2, volume 3.712,
# turnover 241712.1394 in that frame)
port=$(venue_port "$cfg_b")
eq "Bybit REST kline of the capture, newest first, only closed bars" \
    "$(curl -s "http://127.0.0.1:$port/v5/market/kline?category=linear&symbol=BTCUSDT&interval=1&limit=5" \
        | jq -c '[.retCode, .result.category, .result.list]')" \
    '[0,"linear",[["1786310760000","65119.9","65119.9","65114.2","65114.2","3.712","241712.1394"]]]'
sleep 1.5
restart_signal_and_finish "$cfg_b" "$before" " after $n of $n_a bars"
grep -h "trades .*from\|joined the replay\|caught up" "$dir_b"/log/signal*.log 2>/dev/null \
    | cut -c1-170 | sed 's/^/# /'
check "the restarted signal restored open bars from the recorder's trades" \
    sh -c "grep -q 'warm-up trades bybit-linear [A-Z]* *: [1-9][0-9]* trades from' '$dir_b'/log/signal*.log"

epoch1=$(sql "$db_b" "select min(epoch) from events where src = 'signal.0'")
epoch2=$(sql "$db_b" "select max(epoch) from events where src = 'signal.0'")
rp=$(sql "$db_b" "select max(evt) from events where src = 'signal.0' and epoch = $epoch1
                  and topic like 'sig.%'")
straddle=$(sql "$db_b" "select count(*) from events where src = 'signal.0' and epoch = $epoch2
                        and topic like 'sig.bar.%' and json_extract(body, '\$.start_ns') <= $rp")
diag "restart point evt $rp; $straddle bars published after the restart had opened before it"
check "the restart was in the middle of bars ($straddle bars straddle it)" test "$straddle" -gt 0
bars "$db_a" "and evt > $rp" >"$TMP_ROOT/a_after"
bars "$db_b" "and evt > $rp" >"$TMP_ROOT/b_after"
eq "trade bars after the restart point: run B = run A (topic, evt, body)" \
    "$(md5sum <"$TMP_ROOT/b_after" | cut -c1-32) $(wc -l <"$TMP_ROOT/b_after")" \
    "$(md5sum <"$TMP_ROOT/a_after" | cut -c1-32) $(wc -l <"$TMP_ROOT/a_after")"
if ! cmp -s "$TMP_ROOT/a_after" "$TMP_ROOT/b_after"; then
    diff "$TMP_ROOT/a_after" "$TMP_ROOT/b_after" | head -n 6 | cut -c1-220 | sed 's/^/# /'
fi
eq "every trade bar of B = A's (none lost, none twice)" \
    "$(bars "$db_b" | md5sum | cut -c1-32) $(bars "$db_b" | wc -l)" \
    "$(bars "$db_a" | md5sum | cut -c1-32) $n_a"
eq "no sequence gaps recorded" "$(sql "$db_b" "select count(*) from gaps")" 0
finish
