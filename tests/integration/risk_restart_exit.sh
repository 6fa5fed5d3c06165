# risk_restart_exit.sh - restart without a hole, the exit part: "kill -9 risk while a position is
# open mid-replay ... the position's stop and targets are still managed (the exit fires where the
# uninterrupted run fired it)".
# Replay A runs uninterrupted; replay B (paced, lockstep) kills risk with -9 while the position
# that A closed by a risk-managed exit (stop_loss / take_profit, not a signal) is open; supervisord
# restarts it (autorestart "unexpected"), it restores its state file, rejoins the lockstep at the
# step in flight (common/step.h "Restart mid-replay") and must close that position with the same
# order as A: same evt, intent, side and qty, and the same fill. The lockstep stalls while risk is
# down, so risk loses only the messages of the step in flight (one step_ms of event time); the
# exit of the chosen position is minutes of event time after the kill, so it is driven by price
# updates after the rejoin and must be identical.
# Exits: the small config's own exits are signal exits (intent "exit"), which do not exercise
# risk's stop/target monitoring, so both runs use a percent stop (0.3 %) and one take-profit rung
# (0.25 %, close 100 %); A then closes two positions by take_profit (held 5700 s and 2160 s of
# event time) and the test kills B inside the longest-held one.
. tests/integration/lib.inc

speed=${TP_RESTART_SPEED:-4000}
exits='{"stop_mode":"pct","stop_pct":"0.3","exits":{"tp_ladder_pct":["0.25"],"tp_ladder_close_pct":["100"]}}'
cfg_a=$(make_config exitA tests/integration/small.json max)
cfg_b=$(make_config exitB tests/integration/small.json "$speed")
# B: no cap on idle gaps (venue_sim.idle_cap_ms, default 5 s of pace per gap), so the pace is
# linear in event time: the 5700 s position lasts 5700 / speed = 1.4 s of wall time at 4000x
for c in "$cfg_a" "$cfg_b"; do
    jq --argjson r "$exits" '.risk += $r | .venue_sim.idle_cap_ms = 60000' "$c" >"$c.tmp" && mv "$c.tmp" "$c"
done
db_a=$(dirname "$cfg_a")/tradepipe.db
dir_b=$(dirname "$cfg_b")
db_b=$dir_b/tradepipe.db
orders_q="select evt, json_extract(body, '\$.intent'), json_extract(body, '\$.side'),
    json_extract(body, '\$.symbol'), json_extract(body, '\$.qty') from events
    where topic = 'risk.order' order by evt, id"

check "replay A (uninterrupted) runs to the end" run_group "$cfg_a"
sql "$db_a" "$orders_q" >"$TMP_ROOT/orders_a"
# the risk-managed exit with the longest hold: its entry is the entry just before it
pick=$(awk -F'|' '$2 == "entry" { e = $1; ec = $0; next }
    ($2 == "stop_loss" || $2 == "take_profit") && e != "" && $1 - e > best { best = $1 - e; pe = ec; px = $0 }
    END { if (best > 0) print pe "#" px "#" best / 1e9 }' "$TMP_ROOT/orders_a")
entry_a=${pick%%#*}
rest=${pick#*#}
exit_a=${rest%%#*}
hold_s=${rest#*#}
check "A closes a position by a risk-managed exit (entry $entry_a, exit $exit_a, held ${hold_s} s)" \
    test -n "$exit_a"
entry_evt=${entry_a%%|*}
exit_evt=${exit_a%%|*}
sym=$(echo "$exit_a" | cut -d'|' -f4)
entry_px=$(sql "$db_a" "select px from fills where evt = $entry_evt and side = 'buy' or evt = $entry_evt and side = 'sell' limit 1")
exit_fill_a=$(sql "$db_a" "select side, px, qty from fills where evt = $exit_evt order by id")

CTL="$BIN/ctl -c $cfg_b"
jget() { $CTL status "$1" 2>/dev/null | jq -r "$2" 2>/dev/null; }
check "replay B starts under supervisord (paced at speed $speed)" sh -c "tools/sv -c '$cfg_b' up >/dev/null 2>&1"
# wait until risk holds that position filled (entry price = A's entry fill) with no exit pending
sel="[.positions[] | select(.symbol == \"$sym\" and .entry_id == \"\" and (.exit_pending | not)
    and (.entry_px | tonumber) == ($entry_px | tonumber))] | length"
n=0
before=""
while [ $n -lt 3000 ]; do
    st=$($CTL status risk.0 2>/dev/null)
    if [ "$(echo "$st" | jq -r "$sel" 2>/dev/null)" = "1" ]; then
        before=$st
        break
    fi
    sleep 0.05
    n=$((n + 1))
done
check "B: risk holds the position (entry px $entry_px, no exit pending)" test -n "$before"
pid=$(echo "$before" | jq -r .pid)
[ -n "$pid" ] && kill -9 "$pid"
diag "kill -9 risk (pid $pid) holding $(echo "$before" | jq -c '.positions')"
up() { p=$(jget risk.0 .pid); [ -n "$pid" ] && [ -n "$p" ] && [ "$p" != "$pid" ] && [ "$(jget risk.0 .risk_state)" = "RUNNING" ]; }
m=0
while [ $m -lt 150 ] && ! up; do sleep 0.2; m=$((m + 1)); done
check "supervisord restarted risk; it rebuilt its state (RUNNING, pid $(jget risk.0 .pid))" up
if $CTL wait-state venue-sim.0 done --max-wait 300 >"$dir_b/ctl.out" 2>&1; then
    ok "B: the replay runs to the end after the restart"
else
    not_ok "B: the replay did not finish after the restart: $(tail -c 300 "$dir_b/ctl.out")"
    tail -n 5 "$dir_b"/log/*.log | sed 's/^/# /'
fi
tools/sv -c "$cfg_b" stop 'tradepipe:*' >/dev/null 2>&1
tools/sv -c "$cfg_b" shutdown >/dev/null 2>&1
check "B: every stage stopped cleanly" sh -c "! grep -q 'stopped: .*(exit status [1-9]' '$dir_b/log/supervisord.log'"

sql "$db_b" "$orders_q" >"$TMP_ROOT/orders_b"
eq "B: risk.0 shows two epochs (the restart)" \
    "$(sql "$db_b" "select count(distinct epoch) from events where src = 'risk.0'")" 2
exit_b=$(sql "$db_b" "select evt, json_extract(body, '\$.intent'), json_extract(body, '\$.side'),
    json_extract(body, '\$.symbol'), json_extract(body, '\$.qty') from events
    where topic = 'risk.order' and evt > $entry_evt and json_extract(body, '\$.symbol') = '$sym'
    order by evt, id limit 1")
eq "B: the position is closed by the same exit as in A (evt|intent|side|symbol|qty)" "$exit_b" "$exit_a"
eq "B: that exit was sent by the restarted risk (its epoch)" \
    "$(sql "$db_b" "select epoch = (select max(epoch) from events where src = 'risk.0') from events
        where topic = 'risk.order' and evt = $exit_evt and src = 'risk.0' limit 1")" 1
eq "B: the exit fill equals A's (side|px|qty)" \
    "$(sql "$db_b" "select side, px, qty from fills where evt = $exit_evt order by id")" "$exit_fill_a"
check "B: every risk.order equals A's ($(wc -l <"$TMP_ROOT/orders_a") orders)" \
    cmp -s "$TMP_ROOT/orders_a" "$TMP_ROOT/orders_b"
if ! cmp -s "$TMP_ROOT/orders_a" "$TMP_ROOT/orders_b"; then
    diff "$TMP_ROOT/orders_a" "$TMP_ROOT/orders_b" | sed 's/^/# /'
fi
grep -h "restored\|rebuild\|joined the replay" "$dir_b/log/risk.log" | tail -n 3 | sed 's/^/# /'
grep -h "risk" "$dir_b/log/supervisord.log" | grep "SIGKILL\|spawned" | tail -n 2 | sed 's/^/# /'
finish
