# runs_separate.sh - issue 14 finding 4 "Runs bleed into each other": the same replay run twice
# on one run directory (a `make run`-like run A, then a second start of the group with
# `tools/sv up` as run B under a new run id). Run B starts fresh: risk's state of run A is set
# aside (renamed with A's id) and B's final risk state (day, trades today, start-of-day equity,
# ...) equals A's; the paper venue's state likewise. The recorder writes B's rows under B's id
# and leaves A's as they were; `report` shows the latest run by default and each with --run, and
# for this deterministic replay the two reports are equal (and equal to A's report taken before
# B). Signal's warm-up is on: B's signal asks the recorder's history at start, which holds all
# of run A (bars from the future of B's replay clock); it must get none of them, so B's signals
# equal A's.
. tests/integration/lib.inc

cfg=$(make_config runs tests/integration/small.json max)
with_warmup "$cfg"
jq '.executor.paper_state = "{run}/paper.state"' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
dir=$(dirname "$cfg")
db=$dir/tradepipe.db

check "run A replays to the end" run_group "$cfg"
run_a=$(cat "$dir/run.id")
cp "$dir/risk.0.state.json" "$dir/risk_a.json"
"$BIN/report" "$db" --json >"$dir/rep_a_first.json"
n_a=$(sql "$db" "select count(*) from events where run_id = '$run_a'")
check "run A recorded ($n_a events, every one under its run id)" \
    test "$n_a" -gt 0 -a "$(sql "$db" "select count(*) from events where run_id is not '$run_a'")" = 0
check "run A's risk state names its run" test "$(jq -r .run_id "$dir/risk_a.json")" = "$run_a"

# The second start: `tools/sv up` writes a fresh run id for every start of the group (branch
# iso); until that is on main, the documented way by hand: a group that finds no {run}/run.id
# creates a fresh one (common/runid.h).
rm -f "$dir/run.id"
check "run B replays to the end on the same run directory" run_group "$cfg"
run_b=$(cat "$dir/run.id")
check "run B has its own run id ($run_a -> $run_b)" test -n "$run_b" -a "$run_b" != "$run_a"

# ---- risk and paper start fresh ----
check "risk logged the fresh start and where A's state went" \
    grep -q "fresh start of run $run_b: the state in .* is of run $run_a, set aside as" "$dir/log/risk.log"
check "A's risk state is kept, renamed with A's id, unchanged" \
    cmp -s "$dir/risk_a.json" "$dir/risk.0.state.$run_a.json"
eq "run B's final risk state (day, trades today, start-of-day equity, peak, pnl...) = run A's" \
    "$(jq -cS 'del(.run_id)' "$dir/risk.0.state.json" | md5sum | cut -c1-32)" \
    "$(jq -cS 'del(.run_id)' "$dir/risk_a.json" | md5sum | cut -c1-32)"
jq -cS '{day, trades_today, day_start_equity, equity}' "$dir/risk.0.state.json" | sed 's/^/# B: /'
jq -cS '{day, trades_today, day_start_equity, equity}' "$dir/risk_a.json" | sed 's/^/# A: /'
check "the paper venue set A's state aside too" test -f "$dir/paper.state.$run_a"
eq "the paper state now names run B" "$(head -n 1 "$dir/paper.state")" "# run $run_b"

# ---- the recorder: one run per id ----
eq "runs table: A then B, both ended cleanly" \
    "$(sql "$db" "select group_concat(run_id || ':' || clean, ',') from (select * from runs order by rowid)")" \
    "$run_a:1,$run_b:1"
eq "run A's rows are untouched by run B" \
    "$(sql "$db" "select count(*) from events where run_id = '$run_a'")" "$n_a"
eq "no row without a run id (events, fills, candles)" \
    "$(sql "$db" "select (select count(*) from events where run_id is null) +
                         (select count(*) from fills where run_id is null) +
                         (select count(*) from candles where run_id is null)")" 0
eq "run B's fills = run A's fills in number" \
    "$(sql "$db" "select count(*) from fills where run_id = '$run_b'")" \
    "$(sql "$db" "select count(*) from fills where run_id = '$run_a'")"

# ---- history: B's signal got nothing of run A ----
sig_hist=$(cat "$dir"/log/signal*.log | grep -Ec "warm-up .* [1-9][0-9]* (bars|trades) from ipc")
eq "no warm-up of either run took bars from the history (A: empty file; B: only A's rows)" \
    "$sig_hist" 0
sigs "$db" "and run_id = '$run_a'" >"$dir/sig_a"
sigs "$db" "and run_id = '$run_b'" >"$dir/sig_b"
check "run A has signals ($(wc -l <"$dir/sig_a"))" test -s "$dir/sig_a"
eq "run B's sig.signal rows = run A's (topic, evt, body): no look-ahead from A's bars" \
    "$(md5sum <"$dir/sig_b" | cut -c1-32)" "$(md5sum <"$dir/sig_a" | cut -c1-32)"

# ---- report: one run ----
"$BIN/report" "$db" >"$dir/rep.txt"
check "report names the latest run (B) in its first lines" \
    sh -c "head -n 3 '$dir/rep.txt' | grep -q 'run $run_b'"
check "report: no unclean-end warning for a clean run" sh -c "! grep -q '^WARNING' '$dir/rep.txt'"
keys='{events: (.events > 0), orders, fills, round_trips, open_positions, realized_pnl, fees, net_pnl, max_drawdown}'
"$BIN/report" "$db" --json | jq -cS "$keys" >"$dir/rep_latest"
"$BIN/report" "$db" --run "$run_a" --json | jq -cS "$keys" >"$dir/rep_a"
"$BIN/report" "$db" --run "$run_b" --json | jq -cS "$keys" >"$dir/rep_b"
jq -cS "$keys" "$dir/rep_a_first.json" >"$dir/rep_a_first"
h() { md5sum <"$1" | cut -c1-32; }
diag "report of run B: $(jq -c '{fills, round_trips: (.round_trips | length), net_pnl}' "$dir/rep_b")"
eq "report --run B = the default report" "$(h "$dir/rep_b")" "$(h "$dir/rep_latest")"
eq "report --run A = the report of A taken before B ran (nothing of B in it)" \
    "$(h "$dir/rep_a")" "$(h "$dir/rep_a_first")"
eq "report --run A = report --run B (a deterministic replay, two separate runs)" \
    "$(h "$dir/rep_a")" "$(h "$dir/rep_b")"
eq "report fills = the fills of one run, not of both" \
    "$(jq .fills "$dir/rep_b")" "$(sql "$db" "select count(*) from fills where run_id = '$run_b'")"
eq "report --runs lists A then B" \
    "$("$BIN/report" "$db" --runs --json | jq -r '[.runs[].run_id] | join(",")')" "$run_a,$run_b"
"$BIN/report" "$db" --run no-such-run >/dev/null 2>"$dir/err"
eq "report --run of an unknown run: exit 1" "$?" 1
check "... saying so" grep -q "has no run no-such-run" "$dir/err"
finish
