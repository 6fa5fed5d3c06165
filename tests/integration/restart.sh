# restart.sh - one stage restarted alone in the middle of a replay: the group carries on to the
# end, the other stages lose nothing, the restarted stage resumes with a new epoch (not a gap).
. tests/integration/lib.inc

cfg=$(make_config r tests/integration/small.json 6000)
dir=$(dirname "$cfg")
db=$dir/tradepipe.db
tools/sv -c "$cfg" up >/dev/null 2>&1
"$BIN/ctl" -c "$cfg" wait-state venue-sim.0 running --max-wait 60 >/dev/null
sleep 4 # paced at 6000x: well inside the two days of klines
before=$("$BIN/ctl" -c "$cfg" status signal.0 | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
tools/sv -c "$cfg" restart tradepipe:signal >/dev/null
after=$("$BIN/ctl" -c "$cfg" status signal.0 --timeout 5000 | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
check "signal was restarted alone (pid $before -> $after)" test -n "$after" -a "$before" != "$after"
if "$BIN/ctl" -c "$cfg" wait-state venue-sim.0 done --max-wait 200 >"$dir/ctl.out" 2>&1; then
    ok "the replay runs to the end after the restart"
else
    not_ok "the replay did not finish after the restart: $(tail -c 300 "$dir/ctl.out")"
    tail -n 5 "$dir"/log/*.log | sed 's/^/# /'
fi
tools/sv -c "$cfg" stop 'tradepipe:*' >/dev/null 2>&1
tools/sv -c "$cfg" shutdown >/dev/null 2>&1

LIN=data/bybit_v5/bybit_v5_linear_frames.jsonl
eq "feed lost nothing: bybit book updates = orderbook frames served" \
    "$(sql "$db" "select count(*) from events where topic like 'md.book.bybit-linear.%'")" \
    "$(grep -c '"topic":"orderbook\.200\.' $LIN)"
eq "the kline stream lost nothing: md.kline closed bars = CSV rows" \
    "$(sql "$db" "select count(*) from events where topic like 'md.kline.1m.binance-spot.%'")" \
    "$(cat data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-0[12].csv | wc -l)"
eq "signal shows two epochs (the restart is visible)" \
    "$(sql "$db" "select count(distinct epoch) from events where src = 'signal.0'")" 2
n_after=$(sql "$db" "select count(*) from events where src = 'signal.0' and topic like 'sig.bar.%' and epoch = (select max(epoch) from events where src = 'signal.0')")
check "the restarted signal publishes bars again ($n_after)" test "$n_after" -gt 0
eq "no sequence gaps recorded (a new epoch is not a gap)" "$(sql "$db" "select count(*) from gaps")" 0
check "every stage stopped cleanly" sh -c "! grep -q 'stopped: .*(exit status [1-9]' '$dir/log/supervisord.log'"
finish
