# signal_warmup_rest.sh - issue 5 "Restart without a gap", REST fallback: signal is stopped
# mid-replay and started again with the recorder's history REP unreachable (its config copy now
# points endpoints.recorder.0.history at an endpoint nobody binds; the running recorder keeps
# its own), so it warms up from venue-sim's Binance GET /spot/api/v3/klines (signal/klrest.h),
# holds the rows until the first barrier and publishes those of the step it joined at. The
# sig.signal rows after the restart point equal those of a run that never stopped (topic, evt,
# body), and no 1m bar is lost or doubled.
. tests/integration/lib.inc

# run A: never stopped
cfg_a=$(make_config wra tests/integration/small.json 6000)
with_warmup "$cfg_a"
db_a=$(dirname "$cfg_a")/tradepipe.db
check "run A (uninterrupted) replays to the end" run_group "$cfg_a"

# run B: signal stopped mid-replay, started again without the history REP
cfg_b=$(make_config wrb tests/integration/small.json 6000)
with_warmup "$cfg_b"
dir_b=$(dirname "$cfg_b")
db_b=$dir_b/tradepipe.db
tools/sv -c "$cfg_b" up >/dev/null 2>&1
port=$(venue_port "$cfg_b")
"$BIN/ctl" -c "$cfg_b" wait-state venue-sim.0 running --max-wait 60 >/dev/null
wait_signals "$cfg_b" "${TP_STOP_SIGNALS:-6}"
before=$(signal_pid "$cfg_b")
tools/sv -c "$cfg_b" stop tradepipe:signal >/dev/null
sleep 0.5
# the lockstep now waits for signal: venue-sim serves only klines that closed by its replay
# clock, never one of a step it has not sent
newest=$(curl -s "http://127.0.0.1:$port/spot/api/v3/klines?symbol=BTCUSDT&interval=1m&limit=1" \
    | jq -r '.[0][6] + 1')
# the BTCUSDT 1m Binance spot series only (the Bybit capture's klines are years later)
ser="topic_kind = 'md.kline' and venue = 'binance-spot' and symbol = 'BTCUSDT' and tf_s = 60"
committed=$(sql "$db_b" "select max(end_ns) / 1000000 from candles where $ser")
last=$(sql "$db_a" "select max(end_ns) / 1000000 from candles where $ser")
diag "stalled: newest REST kline ends $newest, recorder committed up to $committed, data ends $last"
check "REST klines stop at the replay clock (at most one step past the recorder, before the end)" \
    test "$newest" -ge "$committed" -a "$newest" -le $((committed + 60000)) -a "$newest" -lt "$last"
eq "a Binance interval venue-sim has no data for is refused with Binance's code" \
    "$(curl -s "http://127.0.0.1:$port/spot/api/v3/klines?symbol=BTCUSDT&interval=1h" | jq -c .)" \
    '{"code":-1121,"msg":"Invalid symbol."}'
# the recorder's history answer carries taker_buy_volume_m (from the kline's events row): the
# newest committed kline's value equals the CSV's taker_buy_base column read at qty_scale 5
row=$("$BIN/ctl" -c "$cfg_b" history recorder.0 \
    '{"q":"bars","kind":"md.kline","venue":"binance-spot","symbol":"BTCUSDT","tf_s":60,"n":1}' \
    | jq -c '.bars[0] | [.start_ns, .taker_buy_volume_m, .taker_buy_volume]')
start_us=$(echo "$row" | jq '.[0] / 1000 | floor')
csv_tb=$(cat data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-*.csv \
    | awk -F, -v t="$start_us" '$1 == t { print $10 }')
diag "history row $row, CSV taker_buy_base $csv_tb"
eq "history bars carry taker_buy_volume (mantissa and decimal) = the CSV's taker_buy_base" \
    "$(echo "$row" | jq -r '"\(.[1]) \(.[2])"')" \
    "$(echo "$csv_tb" | awk '{ printf "%d %.5f", $1 * 100000 + 0.5, $1 }')"
# the new signal process reads a config whose history endpoint nobody binds
jq --arg ep "ipc://$dir_b/nowhere.history" \
    '.endpoints["recorder.0"].history = $ep | .signal.warmup_timeout_ms = 1000' "$cfg_b" \
    >"$cfg_b.tmp" && mv "$cfg_b.tmp" "$cfg_b"
sleep 1
restart_signal_and_finish "$cfg_b" "$before" "" 8000

grep -h "no history\|from REST\|caught up" "$dir_b"/log/signal*.log 2>/dev/null \
    | cut -c1-170 | sed 's/^/# /'
check "the restarted signal found no history and warmed up from the REST klines" \
    sh -c "grep -q 'no history from ipc://.*nowhere' '$dir_b'/log/signal*.log \
           && grep -q 'klines from REST http://127.0.0.1:$port/spot' '$dir_b'/log/signal*.log"
check "it did not fall back to the history catch-up" \
    sh -c "! grep -q 'caught up on step' '$dir_b'/log/signal*.log"

same_signals_after_restart "$db_a" "$db_b"
bars() { # bars DB -> the sig.bar.1m rows (evt, body)
    sql "$1" "select evt || '|' || body from events
              where topic = 'sig.bar.1m.binance-spot.BTCUSDT' order by evt"
}
eq "every 1m bar of B = A's (none lost, none twice, same body)" \
    "$(bars "$db_b" | md5sum | cut -c1-32) $(bars "$db_b" | wc -l)" \
    "$(bars "$db_a" | md5sum | cut -c1-32) $(bars "$db_a" | wc -l)"
eq "no sequence gaps recorded" "$(sql "$db_b" "select count(*) from gaps")" 0
finish
