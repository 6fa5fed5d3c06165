# signal_restart.sh - issue 5 "Restart without a gap": signal stopped with supervisorctl in the
# middle of a replay and started again warms up from the recorder's md.kline history
# (signal.warmup_bars) and rejoins the lockstep; the sig.signal rows after the restart point
# are exactly those of a run that never stopped (topic, evt, body).
. tests/integration/lib.inc

# run A: never stopped
cfg_a=$(make_config sra tests/integration/small.json 6000)
with_warmup "$cfg_a"
db_a=$(dirname "$cfg_a")/tradepipe.db
check "run A (uninterrupted) replays to the end" run_group "$cfg_a"

# run B: signal stopped for ~1.5 s mid-replay, then started again
cfg_b=$(make_config srb tests/integration/small.json 6000)
with_warmup "$cfg_b"
dir_b=$(dirname "$cfg_b")
db_b=$dir_b/tradepipe.db
tools/sv -c "$cfg_b" up >/dev/null 2>&1
"$BIN/ctl" -c "$cfg_b" wait-state venue-sim.0 running --max-wait 60 >/dev/null
# stop once signal has published TP_STOP_SIGNALS signals (of 16): mid-way through the klines,
# whatever the machine's speed
wait_signals "$cfg_b" "${TP_STOP_SIGNALS:-6}"
before=$(signal_pid "$cfg_b")
tools/sv -c "$cfg_b" stop tradepipe:signal >/dev/null
sleep 1.5
restart_signal_and_finish "$cfg_b" "$before" ""
grep -h "warm-up .*bars from\|joined the replay\|caught up" "$dir_b"/log/signal*.log 2>/dev/null \
    | cut -c1-160 | sed 's/^/# /'

same_signals_after_restart "$db_a" "$db_b"
eq "no 1m bar lost across the restart: sig.bar.1m.binance-spot rows (distinct starts)" \
    "$(sql "$db_b" "select count(distinct evt) from events where topic = 'sig.bar.1m.binance-spot.BTCUSDT'")" \
    "$(sql "$db_a" "select count(*) from events where topic = 'sig.bar.1m.binance-spot.BTCUSDT'")"
eq "no 1m bar published twice" \
    "$(sql "$db_b" "select count(*) from events where topic = 'sig.bar.1m.binance-spot.BTCUSDT'")" \
    "$(sql "$db_a" "select count(*) from events where topic = 'sig.bar.1m.binance-spot.BTCUSDT'")"
eq "no sequence gaps recorded" "$(sql "$db_b" "select count(*) from gaps")" 0
finish
