# signal_restart.sh - issue 5 "Restart without a gap": signal stopped with supervisorctl in the
# middle of a replay and started again warms up from the recorder's md.kline history
# (signal.warmup_bars) and rejoins the lockstep; the sig.signal rows after the restart point
# are exactly those of a run that never stopped (topic, evt, body).
. tests/integration/lib.inc

# with_warmup CFG: the config copy with signal.warmup_bars = 5000 (more than the 2 880 1m
# klines of the two days of small.json: the EMA 200 is recursive, so exactness needs them all)
with_warmup() {
    jq '.signal.warmup_bars = 5000 | .signal.warmup_timeout_ms = 5000' "$1" >"$1.tmp" \
        && mv "$1.tmp" "$1"
}
sigs() { # sigs DB WHERE -> the sig.signal rows, one a line
    sql "$1" "select topic || '|' || evt || '|' || body from events
              where topic like 'sig.signal.%' $2 order by evt, topic, body"
}

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
want=${TP_STOP_SIGNALS:-6}
i=0
while [ $i -lt 600 ]; do
    n=$("$BIN/ctl" -c "$cfg_b" status signal.0 2>/dev/null | sed -n 's/.*"signals":\([0-9]*\).*/\1/p')
    [ -n "$n" ] && [ "$n" -ge "$want" ] && break
    sleep 0.05
    i=$((i + 1))
done
before=$("$BIN/ctl" -c "$cfg_b" status signal.0 | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
tools/sv -c "$cfg_b" stop tradepipe:signal >/dev/null
sleep 1.5
tools/sv -c "$cfg_b" start tradepipe:signal >/dev/null
after=$("$BIN/ctl" -c "$cfg_b" status signal.0 --timeout 5000 | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
check "signal was stopped and started again (pid $before -> $after)" \
    test -n "$after" -a "$before" != "$after"
if "$BIN/ctl" -c "$cfg_b" wait-state venue-sim.0 done --max-wait 200 >"$dir_b/ctl.out" 2>&1; then
    ok "run B replays to the end after the restart"
else
    not_ok "run B did not finish after the restart: $(tail -c 300 "$dir_b/ctl.out")"
    tail -n 5 "$dir_b"/log/*.log | sed 's/^/# /'
fi
tools/sv -c "$cfg_b" stop 'tradepipe:*' >/dev/null 2>&1
tools/sv -c "$cfg_b" shutdown >/dev/null 2>&1
check "every stage of run B stopped cleanly" \
    sh -c "! grep -q 'stopped: .*(exit status [1-9]' '$dir_b/log/supervisord.log'"

eq "signal shows two epochs in run B" \
    "$(sql "$db_b" "select count(distinct epoch) from events where src = 'signal.0'")" 2
grep -h "warm-up .*bars from\|joined the replay\|caught up" "$dir_b"/log/signal*.log 2>/dev/null \
    | cut -c1-160 | sed 's/^/# /'

# the restart point: the last sig.* message the first signal process published
epoch1=$(sql "$db_b" "select min(epoch) from events where src = 'signal.0'")
rp=$(sql "$db_b" "select max(evt) from events where src = 'signal.0' and epoch = $epoch1
                  and topic like 'sig.%'")
n_before=$(sql "$db_a" "select count(*) from events where topic like 'sig.signal.%' and evt <= $rp")
n_after=$(sql "$db_a" "select count(*) from events where topic like 'sig.signal.%' and evt > $rp")
diag "restart point evt $rp: run A has $n_before signals up to it, $n_after after it"
check "the restart happened mid-way through the signals ($n_before before, $n_after after)" \
    test "$n_before" -gt 0 -a "$n_after" -gt 0
sigs "$db_a" "and evt > $rp" >"$TMP_ROOT/a_after"
sigs "$db_b" "and evt > $rp" >"$TMP_ROOT/b_after"
eq "sig.signal rows after the restart point: run B = run A (topic, evt, body)" \
    "$(md5sum <"$TMP_ROOT/b_after" | cut -c1-32) $(wc -l <"$TMP_ROOT/b_after")" \
    "$(md5sum <"$TMP_ROOT/a_after" | cut -c1-32) $(wc -l <"$TMP_ROOT/a_after")"
if ! cmp -s "$TMP_ROOT/a_after" "$TMP_ROOT/b_after"; then
    diff "$TMP_ROOT/a_after" "$TMP_ROOT/b_after" | head -n 6 | cut -c1-200 | sed 's/^/# /'
fi
eq "no signal lost or doubled at all: every sig.signal row of B = A's" \
    "$(sigs "$db_b" "" | md5sum | cut -c1-32)" "$(sigs "$db_a" "" | md5sum | cut -c1-32)"
eq "no 1m bar lost across the restart: sig.bar.1m.binance-spot rows (distinct starts)" \
    "$(sql "$db_b" "select count(distinct evt) from events where topic = 'sig.bar.1m.binance-spot.BTCUSDT'")" \
    "$(sql "$db_a" "select count(*) from events where topic = 'sig.bar.1m.binance-spot.BTCUSDT'")"
eq "no 1m bar published twice" \
    "$(sql "$db_b" "select count(*) from events where topic = 'sig.bar.1m.binance-spot.BTCUSDT'")" \
    "$(sql "$db_a" "select count(*) from events where topic = 'sig.bar.1m.binance-spot.BTCUSDT'")"
eq "no sequence gaps recorded" "$(sql "$db_b" "select count(*) from gaps")" 0
finish
