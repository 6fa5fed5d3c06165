# backtest_sweep.sh - backtest --grid / --print-jobs / --merge / --walk-forward
# (docs/backtest.md "Sweeps and walk-forward").
# On tests/integration/small.json (two days of 1m klines): a 2 x 2 grid over the EMA periods of
# the strategy runs in worker processes; its ranking must be what this test derives itself from
# four single `backtest --set ...` runs (each figure from `report --json` of that run's
# database, return % from its balances table, sorted by net PnL); the CSV and JSON it writes
# parse; the --print-jobs lines, run through sh, leave result files that --merge turns into the
# same table; a --grid key not in the config and a value of the wrong kind stop with exit 2
# and a message naming them before any worker starts; a failing worker stops the sweep with
# its stderr tail; a sweep stopped by SIGINT or killed by SIGKILL takes its workers with it;
# a walk-forward reports out-of-sample runs only, each inside its test window, the windows
# following one another after their training spans.
. tests/integration/lib.inc

cfg=$(make_config sweep tests/integration/small.json)
dir=$(dirname "$cfg")
F='signal.strategies[0].fast'
S='signal.strategies[0].slow'
mkdir -p "$dir/tmp"
export TMPDIR="$dir/tmp"

# ---- the four single runs, and the ranking derived from them
: >"$dir/expected.csv"
for f in 20 50; do
    for s in 100 200; do
        db=$dir/single-$f-$s.db
        "$BIN/backtest" -c "$cfg" --db "$db" --set "$F=$f" --set "$S=$s" >/dev/null 2>"$dir/single.err" ||
            diag "single run $f/$s failed: $(tail -n 3 "$dir/single.err")"
        "$BIN/report" "$db" --json >"$dir/single.json"
        # return %: the balances' equity, last over first (one account in this config)
        ret=$(sql "$db" "select printf('%.2f', round(100.0 * ((select equity_m from balances order by evt desc, id desc limit 1)
                 - (select equity_m from balances order by evt, id limit 1))
                 / (select equity_m from balances order by evt, id limit 1), 2))")
        jq -r --arg f "$f" --arg s "$s" --arg ret "$ret" '[.net_pnl, $ret, .max_drawdown.pct,
            (.sharpe * 100 | round / 100 | tostring | if test("\\.") then . else . + ".0" end),
            (.round_trips | length | tostring), .win_rate,
            (.profit_factor * 100 | round / 100 | tostring), $f, $s] | join(",")' \
            "$dir/single.json" >>"$dir/expected.csv"
    done
done
# sort by net PnL, best first; equal ones keep the grid's order (fast slowest)
sort -t, -k1,1 -g -r -s "$dir/expected.csv" >"$dir/expected.sorted"
n_distinct=$(cut -d, -f1 "$dir/expected.sorted" | sort -u | wc -l)
check "the four single runs traded and differ ($n_distinct distinct net PnLs)" [ "$n_distinct" -eq 4 ]

# figures as numbers for comparing (2.10 = 2.1): field-wise through awk
norm() { awk -F, -v OFS=, '{ for (i = 2; i <= 7; i++) if ($i != "") $i = sprintf("%.2f", $i); print }'; }

# ---- the sweep
"$BIN/backtest" -c "$cfg" --grid "$F=20,50" --grid "$S=100:200:100" -j 2 --out "$dir/sweep" \
    >"$dir/sweep.out" 2>"$dir/sweep.err"
eq "the sweep exits 0" "$?" 0
sed 's/^/# /' "$dir/sweep.out"
check "the table is on stdout, ranked by net_pnl" grep -q "4 runs, ranked by net_pnl" "$dir/sweep.out"
check "CSV written with a header and 4 rows" [ "$(wc -l <"$dir/sweep.csv")" -eq 5 ]
eq "CSV header" "$(head -n 1 "$dir/sweep.csv" | cut -d, -f1-10)" \
    "rank,net_pnl,return_pct,max_drawdown_pct,sharpe,trades,win_rate,profit_factor,$F,$S"
tail -n +2 "$dir/sweep.csv" | cut -d, -f2-10 | norm >"$dir/got.sorted"
norm <"$dir/expected.sorted" >"$dir/exp.norm"
if cmp -s "$dir/got.sorted" "$dir/exp.norm"; then
    ok "the ranking equals the single runs' figures, sorted by net PnL"
else
    not_ok "the ranking differs from the single runs:"
    diff "$dir/exp.norm" "$dir/got.sorted" | sed 's/^/# /'
fi
check "the JSON parses (jq) with 4 rows" [ "$(jq '.rows | length' "$dir/sweep.json")" = 4 ]
eq "JSON rows in CSV order (net PnL)" "$(jq -r '.rows[].net_pnl' "$dir/sweep.json" | tr '\n' ' ')" \
    "$(tail -n +2 "$dir/sweep.csv" | cut -d, -f2 | tr '\n' ' ')"
eq "JSON rows carry their combination" "$(jq -r '.rows[0].set["'"$F"'"] + "/" + .rows[0].set["'"$S"'"]' "$dir/sweep.json")" \
    "$(head -n 1 "$dir/expected.sorted" | cut -d, -f8-9 | tr , /)"
eq "the workers' temporary directory is gone" "$(ls "$dir/tmp" | wc -l)" 0

# ---- --keep-db keeps one database per combination, each the run of its combination
"$BIN/backtest" -c "$cfg" --grid "$F=20,50" --grid "$S=100,200" -j 2 --keep-db "$dir/dbs" \
    >/dev/null 2>&1
eq "--keep-db: one database per combination" "$(ls "$dir/dbs"/*.db | wc -l)" 4
eq "--keep-db: the third (fast 50, slow 100) has the single run's fills" \
    "$(sql "$dir/dbs/job-0003.db" "select count(*) from fills")" \
    "$(sql "$dir/single-50-100.db" "select count(*) from fills")"

# ---- --print-jobs, run through sh, then --merge
"$BIN/backtest" -c "$cfg" --grid "$F=20,50" --grid "$S=100,200" --print-jobs "$dir/jobs" \
    >"$dir/jobs.txt" 2>"$dir/jobs.err"
eq "--print-jobs exits 0" "$?" 0
eq "--print-jobs: one line per combination" "$(wc -l <"$dir/jobs.txt")" 4
check "--print-jobs: the lines are shell-quoted (--set '$F=20')" grep -qF -- "--set '$F=20'" "$dir/jobs.txt"
sh -e "$dir/jobs.txt" >/dev/null 2>"$dir/jobs.run.err"
eq "the job lines run through sh" "$?" 0
eq "the jobs wrote 4 result files" "$(ls "$dir/jobs"/*.json | wc -l)" 4
"$BIN/backtest" --merge "$dir"/jobs/*.json --out "$dir/merged" >"$dir/merge.out" 2>&1
eq "--merge exits 0" "$?" 0
eq "--merge gives the sweep's table" "$(cut -d, -f1-10 "$dir/merged.csv")" "$(cut -d, -f1-10 "$dir/sweep.csv")"
eq "the jobs removed their databases (--rm-db)" "$(ls -d "$dir"/backtest.* 2>/dev/null | wc -l)" 0
echo '{"format": "something else"}' >"$dir/bad.json"
"$BIN/backtest" --merge "$dir/bad.json" >/dev/null 2>"$dir/merge.err"
eq "--merge of a file that is not a result exits 2" "$?" 2
check "... naming it" grep -q "bad.json: format" "$dir/merge.err"

# ---- bad input: exit 2 before any worker starts
"$BIN/backtest" -c "$cfg" --grid 'signal.strategies[0].fsat=20,50' >"$dir/bad.out" 2>"$dir/bad.err"
eq "a --grid key not in the config exits 2" "$?" 2
check "... naming the key ($(head -n 1 "$dir/bad.err"))" grep -q "fsat: no such key" "$dir/bad.err"
"$BIN/backtest" -c "$cfg" --grid "$F=20,twenty" >"$dir/bad.out" 2>"$dir/bad.err"
eq "a value of the wrong kind exits 2" "$?" 2
check "... naming the key and the value ($(head -n 1 "$dir/bad.err"))" \
    grep -qF -- "--grid $F (value twenty): $F=twenty: expected an integer" "$dir/bad.err"
"$BIN/backtest" -c "$cfg" --grid "risk.max_open_positions=1,999" >"$dir/bad.out" 2>"$dir/bad.err"
eq "a value the stage refuses exits 2" "$?" 2
check "... with the stage's own message ($(tail -n 1 "$dir/bad.err"))" \
    grep -q "risk.max_open_positions=999: risk.max_open_positions: expected an integer in" "$dir/bad.err"
eq "no worker ran for the bad grids (no temporary directory, no run directory)" \
    "$(ls "$dir/tmp" | wc -l) $(ls -d "$dir"/backtest.* 2>/dev/null | wc -l)" "0 0"

# ---- a worker that fails stops the sweep, with its stderr: here an option handed to the runs
# (--data) names a file that does not exist, which only the run itself finds
"$BIN/backtest" -c "$cfg" --grid "$F=20,50" -j 1 --data "$dir/no-such.csv" >/dev/null 2>"$dir/fail.err"
eq "a failing worker fails the sweep (its exit 2: a bad input)" "$?" 2
check "... reported with its combination ($(head -n 1 "$dir/fail.err"))" \
    grep -qF "job-0001 ($F=20) failed with exit 2; its stderr ends:" "$dir/fail.err"
check "... and the tail of its stderr ($(tail -n 1 "$dir/fail.err"))" \
    grep -qF "| backtest: --data $dir/no-such.csv: cannot open" "$dir/fail.err"
eq "... and no second worker started after it (-j 1)" "$(grep -c "job-0002" "$dir/fail.err")" 0

# ---- SIGINT stops the sweep and its workers
"$BIN/backtest" -c "$cfg" --grid "$F=10,20,30,40,50" --grid "$S=100,200" -j 2 >/dev/null 2>"$dir/int.err" &
sweep=$!
wait_for 20 sh -c "[ \$(pgrep -P $sweep | wc -l) -ge 1 ]"
workers=$(pgrep -P "$sweep" | tr '\n' ' ')
kill -INT "$sweep"
wait "$sweep"
eq "an interrupted sweep exits 130" "$?" 130
left=0
for w in $workers; do kill -0 "$w" 2>/dev/null && left=$((left + 1)); done
eq "its workers ($workers) are gone" "$left" 0
eq "its temporary directory is gone" "$(ls "$dir/tmp" | wc -l)" 0
# a sweep killed outright (SIGKILL: no handler runs) still takes its workers with it
"$BIN/backtest" -c "$cfg" --grid "$F=10,20,30,40,50" --grid "$S=100,200" -j 2 >/dev/null 2>&1 &
sweep=$!
wait_for 20 sh -c "[ \$(pgrep -P $sweep | wc -l) -ge 1 ]"
workers=$(pgrep -P "$sweep" | tr '\n' ' ')
kill -KILL "$sweep"
wait "$sweep" 2>/dev/null
gone() { for w in $workers; do kill -0 "$w" 2>/dev/null && return 1; done; return 0; }
check "the workers ($workers) of a sweep killed by SIGKILL end too" wait_for 20 gone
rm -rf "$dir/tmp"/tp-sweep.*

# ---- walk-forward: train 1 day, test 12 h over the two days -> 2 windows
"$BIN/backtest" -c "$cfg" --grid "$F=20,50" --grid "$S=100,200" -j 2 \
    --walk-forward train=24h,test=12h --out "$dir/wf" >"$dir/wf.out" 2>"$dir/wf.err"
eq "the walk-forward exits 0" "$?" 0
sed 's/^/# /' "$dir/wf.out"
tail -n 5 "$dir/wf.err" | sed 's/^/# /'
eq "two windows" "$(jq '.windows | length' "$dir/wf.json" 2>/dev/null)" 2
# every out-of-sample row lies inside its test window, which starts where its training ends:
# a window holds the bars that open in [from, to), so the run's events (a bar's close is its
# event time) are in (from, to]
inside=$(jq -r '.windows[] | [.train_from, .train_to, .test_from, .test_to,
                .out_of_sample.first_evt, .out_of_sample.last_evt] | @tsv' "$dir/wf.json" |
    while IFS="$(printf '\t')" read -r trf trt tef tet fe le; do
        if [ "$trt" = "$tef" ] && [ "$fe" \> "$tef" ] && ! [ "$le" \> "$tet" ]; then
            echo in
        else
            echo "out: train $trf..$trt test $tef..$tet run $fe..$le"
        fi
    done | tr '\n' ' ')
eq "each out-of-sample run is inside its test window, after its training span" "$inside" "in in "
eq "the test windows follow one another" \
    "$(jq -r '.windows[0].test_to == .windows[1].test_from' "$dir/wf.json")" true
eq "the concatenated rows are the windows' test runs, then the combined one" \
    "$(tail -n +2 "$dir/wf.csv" | cut -d, -f1 | tr '\n' ' ')" "1 2 all "
sum=$(jq '[.windows[].out_of_sample.trades] | add' "$dir/wf.json")
eq "the combined trades are the sum of the windows' ($sum)" \
    "$(jq '.combined.trades' "$dir/wf.json")" "${sum:-none}"
# the chosen combination of each window is the best of its training runs by net PnL: rerun
# window 1's training span for both candidates that differ and compare
w1=$(jq -r '.windows[0] | .train_from + " " + .train_to' "$dir/wf.json")
best=$(jq -r '.windows[0].chosen_on_train.net_pnl' "$dir/wf.json")
maxnet=$(for f in 20 50; do for s in 100 200; do
    "$BIN/backtest" -c "$cfg" --set "$F=$f" --set "$S=$s" --from ${w1% *} --to ${w1#* } \
        --db "$dir/w1-$f-$s.db" >/dev/null 2>&1
    "$BIN/report" "$dir/w1-$f-$s.db" --json | jq -r .net_pnl
done; done | sort -g | tail -n 1)
eq "window 1's choice is the best of its training runs (single runs over its span)" "$best" "${maxnet:-none}"

finish
