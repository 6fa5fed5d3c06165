# risk_kill.sh - the kill switch end to end on the paper venue, the real group under
# supervisord: a paced replay until risk holds a position, `ctl kill risk.0`, then: the
# position is closed reduce-only (intent "kill"), risk is KILLED and refuses entries
# (risk.reject "kill_switch" in the database), the latch survives a restart of risk and of
# the whole group, and only `ctl clear-kill risk.0` clears it (resume is refused while killed).
. tests/integration/lib.inc

speed=${TP_KILL_SPEED:-1000}
cfg=$(make_config kill tests/integration/small.json "$speed")
dir=$(dirname "$cfg")
db=$dir/tradepipe.db
CTL="$BIN/ctl -c $cfg"
sv() { tools/sv -c "$cfg" "$@"; }
jget() { # jget INSTANCE JQ-FILTER: a field of `ctl status INSTANCE`
    $CTL status "$1" 2>/dev/null | jq -r "$2" 2>/dev/null
}
has_position() { [ "$(jget risk.0 .open_positions)" = "1" ]; }
stable_position() { has_position && sleep 0.1 && has_position && sleep 0.1 && has_position; }
is_flat() {
    [ "$(jget risk.0 .open_positions)" = "0" ] && [ "$(jget executor.0 .positions)" = "0" ]
}
kill_reject() {
    [ "$(sql "$db" "select count(*) from risk_events where topic='risk.reject' and reason='kill_switch'" 2>/dev/null)" -ge 1 ] 2>/dev/null
}
risk_state() { jget risk.0 .risk_state; }
risk_up() { [ -n "$(jget risk.0 .risk_state)" ]; }
stop_all() { sv shutdown >/dev/null 2>&1; }

check "supervisord starts the group (replay paced at speed $speed)" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
if ! check "risk opens a position during the replay" wait_for 120 stable_position; then
    tail -n 5 "$dir"/log/risk.log | sed 's/^/# /'
    stop_all
    finish
    exit 1
fi
# The replay goes on while we poll, so a position seen open may be closed (or already have its
# exit in flight, which the kill leaves to finish) by the time the kill lands. Kill only inside
# a position seen open on 3 polls in a row; if the kill still closed nothing, clear it and try
# again at a later position (at most 5 tries; the last try is never cleared).
n_kill=0
tries=0
while :; do
    tries=$((tries + 1))
    wait_for 120 stable_position || break
    diag "try $tries: risk status before kill: $($CTL status risk.0 | jq -c '{risk_state, open_positions, equity}')"
    out=$($CTL kill risk.0)
    wait_for 30 is_flat
    sleep 1 # the recorder batches every 200 ms
    n_kill=$(sql "$db" "select count(*) from risk_events where topic='risk.order' and body like '%\"intent\":\"kill\"%' and body like '%\"reduce_only\":true%'")
    if [ "$n_kill" -ge 1 ] || [ "$tries" -ge 5 ]; then
        break
    fi
    $CTL clear-kill risk.0 >/dev/null 2>&1
done
eq "ctl kill risk.0 answers ok" "$(echo "$out" | jq -r .ok)" true
eq "risk says KILLED" "$(echo "$out" | jq -r .state)" KILLED
eq "the latch is persisted (fsync'd) before the answer" "$(echo "$out" | jq -r .persisted)" true
check "risk and the paper executor are flat" wait_for 30 is_flat
check "a reduce-only kill order was sent ($n_kill, try $tries)" test "$n_kill" -ge 1
eq "the kill order filled" \
    "$(sql "$db" "select count(*) from orders o join risk_events r on r.client_id = o.client_id where r.topic='risk.order' and r.body like '%\"intent\":\"kill\"%' and o.status='Filled'")" \
    "$n_kill"
eq "the state file says killed" "$(jq -r .killed "$dir/risk.0.state.json")" true
eq "status: killed" "$(jget risk.0 .killed)" true
check "new entries are refused with reason kill_switch (risk.reject in the db)" wait_for 90 kill_reject
eq "no entry order after the kill" \
    "$(sql "$db" "select count(*) from risk_events where topic='risk.order' and body like '%\"intent\":\"entry\"%' and evt > (select min(evt) from risk_events where topic='risk.order' and body like '%\"intent\":\"kill\"%')")" 0

# restart of risk alone (lockstep replay: the restarted stage missed barriers, so the replay
# stalls here; the latch is what is checked)
sv restart tradepipe:risk >/dev/null 2>&1
check "risk comes back after a restart" wait_for 20 risk_up
eq "still KILLED after restarting risk" "$(risk_state)" KILLED
eq "a pause does not clear it" "$($CTL pause risk.0 | jq -r .state)" KILLED
eq "resume does not clear it" "$($CTL resume risk.0 | jq -r .state)" KILLED
eq "resume is refused while killed: ok false" "$($CTL resume risk.0 | jq -r .ok)" false

# restart of the whole group: same run directory, fresh processes, the same run resumed
# (a plain `sv up` starts a new run, whose replay starts from fresh state: runs_separate.sh)
stop_all
sleep 1
check "the group starts again (sv up --resume)" sh -c "tools/sv -c '$cfg' up --resume >/dev/null 2>&1"
check "risk is up in the new group" wait_for 20 risk_up
eq "still KILLED after restarting the whole group" "$(risk_state)" KILLED

out=$($CTL clear-kill risk.0)
eq "ctl clear-kill answers ok" "$(echo "$out" | jq -r .ok)" true
# the pause given while killed was kept (resume was refused then): clear-kill leaves PAUSED,
# and now resume ends the pause
is_paused() { [ "$(risk_state)" = PAUSED ]; }
check "clear-kill ends the latch: PAUSED (the pause given while killed stays)" wait_for 10 is_paused
eq "resume is accepted once the kill is cleared" "$($CTL resume risk.0 | jq -r .ok)" true
is_running() { [ "$(risk_state)" = RUNNING ]; }
check "then RUNNING (state rebuilt from the file + executor status)" wait_for 10 is_running
eq "status: not killed" "$(jget risk.0 .killed)" false
eq "the state file says not killed" "$(jq -r .killed "$dir/risk.0.state.json")" false
grep -h "kill" "$dir"/log/risk.log | head -n 6 | sed 's/^/# /'
stop_all
finish
