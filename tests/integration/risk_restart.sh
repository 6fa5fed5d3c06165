# risk_restart.sh - restart without a hole, the part this session can test: `kill -9` risk
# while a position is open mid-replay (paced lockstep replay under supervisord), supervisord
# restarts it, and the new process restores its state file, stays HALTED ("state unknown")
# until executor.0's status agrees, then runs with limits state and the position's stop and
# target equal to those before the kill.
# "The exit fires where the uninterrupted run fired it" is tested by risk_restart_exit.sh (a
# restarted stage now rejoins the lockstep, common/step.h "Restart mid-replay").
. tests/integration/lib.inc

speed=${TP_RESTART_SPEED:-2000}
cfg=$(make_config restart tests/integration/small.json "$speed")
# A restarted risk rejoins the lockstep and the replay goes on, so the state read after the
# restart is the state before the kill only while the same position is still open: pace linearly
# in event time (no 5 s cap per idle gap) and kill only inside a position already open for 1 s
# of wall time (the small replay's positions last 0.2-12 s at 2000x); the lockstep stalls while
# risk is down.
jq '.venue_sim.idle_cap_ms = 60000' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
dir=$(dirname "$cfg")
CTL="$BIN/ctl -c $cfg"
jget() { $CTL status "$1" 2>/dev/null | jq -r "$2" 2>/dev/null; }
fields='{killed, equity_peak, daily_pnl, loss_streak, trades_today, day, open_positions, positions: [.positions[] | {venue, symbol, qty, entry_px, sl_px, tp_px}]}'

check "supervisord starts the group (replay paced at speed $speed)" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
n=0
before=""
seen=""
since=0
while [ $n -lt 1200 ]; do
    st=$($CTL status risk.0 2>/dev/null)
    px=""
    if [ "$(echo "$st" | jq -r '.open_positions // 0' 2>/dev/null)" = "1" ]; then
        px=$(echo "$st" | jq -r '[.positions[] | select(.entry_id == "" and (.exit_pending | not))][0].entry_px // ""' 2>/dev/null)
    fi
    if [ -z "$px" ] || [ "$px" != "$seen" ]; then
        seen=$px
        since=$n
    elif [ $((n - since)) -ge 10 ]; then # the same filled position for 10 polls of 0.1 s
        before=$st
        break
    fi
    sleep 0.1
    n=$((n + 1))
done
check "risk holds a filled position (open for 1 s)" test -n "$before"
pid=$(echo "$before" | jq -r .pid)
echo "$before" | jq -c "$fields" >"$TMP_ROOT/before.json"
kill -9 "$pid"
diag "kill -9 risk (pid $pid): $(cat "$TMP_ROOT/before.json")"
up() { p=$(jget risk.0 .pid); [ -n "$pid" ] && [ -n "$p" ] && [ "$p" != "$pid" ] && [ "$(jget risk.0 .risk_state)" = "RUNNING" ]; }
m=0
while [ $m -lt 150 ] && ! up; do sleep 0.2; m=$((m + 1)); done
check "supervisord restarted risk; it rebuilt its state with the executor (RUNNING, pid $(jget risk.0 .pid))" up
# equity: the executor's (its status) is the truth after a restart; the peak may rise to it
exec_eq=$(jget executor.0 .equity)
$CTL status risk.0 | jq -c "$fields" >"$TMP_ROOT/after.json"
diag "after: $(cat "$TMP_ROOT/after.json") (executor equity $exec_eq)"
jq -c --arg e "$exec_eq" 'if ($e | tonumber) > (.equity_peak | tonumber) then .equity_peak = "\($e)" else . end' \
    "$TMP_ROOT/before.json" >"$TMP_ROOT/expect.json"
jq -c 'del(.equity_peak)' "$TMP_ROOT/expect.json" >"$TMP_ROOT/e2.json"
jq -c 'del(.equity_peak)' "$TMP_ROOT/after.json" >"$TMP_ROOT/a2.json"
check "limits state, open positions, stops and targets equal those before the kill" \
    cmp -s "$TMP_ROOT/e2.json" "$TMP_ROOT/a2.json"
pb=$(jq -r .equity_peak "$TMP_ROOT/before.json")
pa=$(jq -r .equity_peak "$TMP_ROOT/after.json")
check "equity peak kept ($pb -> $pa; only the executor's equity may raise it)" \
    sh -c "echo '$pa >= $pb' | bc | grep -q 1"
grep -h "restored\|rebuild" "$dir/log/risk.log" | tail -n 3 | sed 's/^/# /'
tools/sv -c "$cfg" shutdown >/dev/null 2>&1
finish
