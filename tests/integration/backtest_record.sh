# backtest_record.sh - build/bin/backtest --record full|trading|none (docs/backtest.md
# "What is recorded"). On config/default.json (the month: 238 fills) the backtest runs three
# times: full (the default), trading and none.
#   trading: the signals, orders, fills, positions and balances tables are identical, row for
#     row, to the full run's (every column but id, event_id, run_id); the events table holds
#     only those messages (as many as the full run's of those topics); no market-data rows.
#   none: no file is written anywhere (no database, no run directory), the summary's in-memory
#     trading counts and pnl line are the full run's, the message count it names is what the
#     full run recorded, and the full run's pnl line agrees with its report (read back from the
#     database: realized pnl, fees, net pnl, fills).
# The kline files are streamed in the order listed: two days swapped are loaded whole instead
# and replay the same (the same trading counts and pnl). And the refusals: an unknown mode,
# --db or --result with none (exit 2, nothing created).
. tests/integration/lib.inc

cfg=$(make_config rec config/default.json max)
dir=$(dirname "$cfg")
out=$TMP_ROOT/out
mkdir -p "$out"

"$BIN/backtest" -c "$cfg" --db "$dir/full.db" >"$out/full.out" 2>"$out/full.err"
eq "full (the default): exits 0" "$?" 0
"$BIN/backtest" -c "$cfg" --db "$dir/trading.db" --record trading >"$out/trading.out" \
    2>"$out/trading.err"
eq "trading: exits 0" "$?" 0
touch "$out/marker"
sleep 1 # find -newer compares whole seconds on some file systems
"$BIN/backtest" -c "$cfg" --record none >"$out/none.out" 2>"$out/none.err"
eq "none: exits 0" "$?" 0

f=$dir/full.db
t=$dir/trading.db
check "full: the summary says --record full" grep -q -- "--record full)" "$out/full.out"
check "trading: the summary says --record trading" grep -q -- "--record trading)" "$out/trading.out"
n_fills=$(sql "$f" "select count(*) from fills")
check "full: it traded ($n_fills fills)" [ "$n_fills" -gt 0 ]

same_rows() { # same_rows TABLE -> "same" or the first lines of the diff
    cols=$(sql "$f" "select group_concat(name, ',') from pragma_table_info('$1')
        where name not in ('id', 'event_id', 'run_id')")
    sql "$f" "select $cols from $1 order by id" >"$out/a.txt"
    sql "$t" "select $cols from $1 order by id" >"$out/b.txt"
    if cmp -s "$out/a.txt" "$out/b.txt"; then echo same; else
        echo "differ: $(diff "$out/a.txt" "$out/b.txt" | head -n 4 | tr '\n' ' ')"
    fi
}
for tb in signals orders fills positions balances; do
    eq "trading: $tb identical to the full run's ($(sql "$t" "select count(*) from $tb") rows)" \
        "$(same_rows $tb)" same
done
trading_topics="topic like 'sig.signal.%' or topic in ('exec.order', 'exec.fill', 'exec.position', 'exec.balance')"
eq "trading: the events rows are the full run's trading messages" \
    "$(sql "$t" "select count(*) from events")" \
    "$(sql "$f" "select count(*) from events where $trading_topics")"
eq "trading: no event of another topic" \
    "$(sql "$t" "select count(*) from events where not ($trading_topics)")" 0
for tb in candles indicators trades book_top risk_events; do
    eq "trading: no $tb rows" "$(sql "$t" "select count(*) from $tb")" 0
done
check "trading: the full run has market data the trading run leaves out" \
    [ "$(sql "$f" "select count(*) from candles")" -gt 0 ]

# none: nothing written anywhere under the run directory (or the working directory's run/)
new=$(find "$dir" "$ROOT/run" -newer "$out/marker" -type f 2>/dev/null | head -n 3)
eq "none: no file written" "$new" ""
check "none: no database named in the summary" grep -q "database     none" "$out/none.out"
check "none: no report (nothing to read it from)" sh -c "! grep -q '^net pnl' '$out/none.out'"
line() { grep "^  $1 " "$2" | sed 's/^ *//'; }
eq "none: the trading counts are the full run's" "$(line trading "$out/none.out")" \
    "$(line trading "$out/full.out")"
eq "none: the pnl line is the full run's" "$(line pnl "$out/none.out")" "$(line pnl "$out/full.out")"
rec_full=$(sed -n 's/^  messages .* delivered, \([0-9]*\) recorded$/\1/p' "$out/full.out")
eq "none: the messages it would record are the full run's recorded ($rec_full)" \
    "$(sed -n 's/^  messages .*(\([0-9]*\) with --record full)$/\1/p' "$out/none.out")" "$rec_full"
eq "full: recorded = events rows" "$(sql "$f" "select count(*) from events")" "$rec_full"
# the in-memory counts agree with what the database says
eq "full: the fills count is the fills table's" \
    "$(line trading "$out/full.out" | sed 's/.* order updates, \([0-9]*\) fills.*/\1/')" "$n_fills"
rep() { sed -n "s/^$1  *\\([-0-9.]*\\).*/\\1/p" "$out/full.out" | head -n 1; }
pnl=$(line pnl "$out/full.out")
eq "full: realized (gross) is the report's" \
    "$(echo "$pnl" | sed 's/.*realized (gross) \([-0-9.]*\),.*/\1/')" "$(rep 'realized pnl (gross)')"
eq "full: fees are the report's" "$(echo "$pnl" | sed 's/.*, fees \([-0-9.]*\),.*/\1/')" "$(rep fees)"
eq "full: net is the report's" "$(echo "$pnl" | sed 's/.*, net \([-0-9.]*\),.*/\1/')" \
    "$(rep 'net pnl')"
eq "full: the last wallet is the balances table's" \
    "$(echo "$pnl" | sed 's/.*last wallet \([-0-9.]*\)$/\1/')" \
    "$(sql "$f" "select wallet from balances order by id desc limit 1")"
check "every mode prints its peak RSS" sh -c "grep -q '^  peak RSS  *[0-9]* KiB' '$out/full.out' &&
    grep -q '^  peak RSS  *[0-9]* KiB' '$out/trading.out' && grep -q '^  peak RSS  *[0-9]* KiB' '$out/none.out'"

# the kline CSV files are streamed in the order listed; rows out of time order cannot be, so
# the backtest loads them whole and sorted, as venue-sim does (docs/backtest.md "Data"): two
# days swapped replay the same bars, hence the same trading counts and pnl as in order
jq '.venue_sim.binance_kline_csv |= [.[1], .[0]] + .[2:]' "$cfg" >"$dir/swapped.json"
"$BIN/backtest" -c "$dir/swapped.json" --record none -l notice >"$out/swapped.out" \
    2>"$out/swapped.err"
eq "kline files out of time order: the run goes through (exit 0)" "$?" 0
check "... loading them whole, naming the file and line ($(grep -o '[^ ]*BTCUSDT-1m-2025-11-01.csv:[0-9]*' "$out/swapped.err" | head -n 1))" \
    grep -q "BTCUSDT-1m-2025-11-01.csv:1: kline row earlier.*loading the kline files whole" \
    "$out/swapped.err"
eq "... with the in-order run's trading counts" "$(line trading "$out/swapped.out")" \
    "$(line trading "$out/none.out")"
eq "... and pnl" "$(line pnl "$out/swapped.out")" "$(line pnl "$out/none.out")"

# refusals
"$BIN/backtest" -c "$cfg" --record some >/dev/null 2>"$out/bad.err"
eq "an unknown --record mode is refused (exit 2)" "$?" 2
check "... naming it ($(cat "$out/bad.err"))" grep -q "record some" "$out/bad.err"
"$BIN/backtest" -c "$cfg" --record none --db "$dir/none.db" >/dev/null 2>"$out/bad2.err"
eq "--db with --record none is refused (exit 2)" "$?" 2
check "... and nothing is created" [ ! -e "$dir/none.db" ]
"$BIN/backtest" -c "$cfg" --record none --result "$dir/none.json" >/dev/null 2>"$out/bad3.err"
eq "--result with --record none is refused (exit 2: it reads the database)" "$?" 2
check "... naming it ($(cat "$out/bad3.err")), nothing created" sh -c \
    "grep -q -- '--result reads the run.s database' '$out/bad3.err' && [ ! -e '$dir/none.json' ]"

finish
