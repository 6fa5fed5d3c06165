# replay.sh - the whole group under supervisord on the bundled real data (2 days of klines),
# then the database is checked against counts derived from the data files themselves; then the
# run is repeated (same speed, and a slower speed factor) and orders and fills must be identical.
. tests/integration/lib.inc

cfg=$(make_config a tests/integration/small.json max)
t0=$(date +%s)
check "group runs the replay to the end and stops cleanly" run_group "$cfg"
diag "run a: $(($(date +%s) - t0)) s"
db=$(dirname "$cfg")/tradepipe.db

# --- expected counts, derived from the data files (not from the program) ---
LIN=data/bybit_v5/bybit_v5_linear_frames.jsonl
exp_bybit_books=$(grep -c '"topic":"orderbook\.200\.\(BTC\|ETH\|SOL\|DOGE\)USDT"' $LIN)
# each publicTrade frame holds an array of trades; each trade object has one "T": key
exp_bybit_trades=$(grep '"topic":"publicTrade\.' $LIN | grep -o '"T":' | wc -l)
USDM=data/binance/usdm_btcusdt_20240808.gz
exp_usdm_trades=$(zcat $USDM | grep -c '"stream":"btcusdt@trade"')
# USD-M sync (Binance "How to manage a local order book correctly"): diffs with
# u < lastUpdateId of the REST snapshot are dropped; every other diff updates the book
snap_id=$(zcat $USDM | grep -v '"stream"' | grep -o '"lastUpdateId":[0-9]*' | head -n 1 | cut -d: -f2)
exp_usdm_books=$(zcat $USDM | grep '"stream":"btcusdt@depth' | grep -o '"u":[0-9]*' | cut -d: -f2 |
    awk -v s="$snap_id" '$1 >= s { n++ } END { print n + 0 }')
exp_klines=$(cat data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-0[12].csv | wc -l)
diag "expected: bybit books $exp_bybit_books, bybit trades $exp_bybit_trades, usdm books $exp_usdm_books, usdm trades $exp_usdm_trades, klines $exp_klines"

eq "bybit book updates recorded = orderbook frames served" \
    "$(sql "$db" "select count(*) from events where topic like 'md.book.bybit-linear.%'")" "$exp_bybit_books"
eq "binance usd-m book updates = depth diffs at or after the snapshot" \
    "$(sql "$db" "select count(*) from events where topic like 'md.book.binance-usdm.%'")" "$exp_usdm_books"
eq "bybit trades recorded = trades in the served frames" \
    "$(sql "$db" "select count(*) from events where topic like 'md.trade.bybit-linear.%'")" "$exp_bybit_trades"
eq "binance trades recorded = trade lines served" \
    "$(sql "$db" "select count(*) from events where topic like 'md.trade.binance-usdm.%'")" "$exp_usdm_trades"
eq "every served kline became a closed bar" \
    "$(sql "$db" "select count(*) from events where topic like 'sig.bar.1m.binance-spot.BTCUSDT'")" "$exp_klines"
eq "typed trades table matches events" \
    "$(sql "$db" "select count(*) from trades")" \
    "$(sql "$db" "select count(*) from events where topic like 'md.trade.%'")"
n_orders=$(sql "$db" "select count(distinct client_id) from orders")
n_fills=$(sql "$db" "select count(*) from fills")
check "at least one order ($n_orders)" test "$n_orders" -ge 1
check "at least one fill ($n_fills)" test "$n_fills" -ge 1
eq "every fill belongs to an order" \
    "$(sql "$db" "select count(*) from fills where client_id not in (select client_id from orders)")" 0
eq "no sequence gaps between any publisher and the recorder" \
    "$(sql "$db" "select count(*) from gaps")" 0
eq "the book never crossed (bid < ask in every recorded top of book)" \
    "$(sql "$db" "select count(*) from book_top where bid_px is not null and ask_px is not null and cast(bid_px as real) >= cast(ask_px as real)")" 0
check "report prints a summary" sh -c "'$BIN/report' '$db' | grep -q 'realized'"
check "report --json has the required keys" sh -c "'$BIN/report' '$db' --json | grep -q '\"max_drawdown\"'"

# --- determinism: again at full speed, and once paced by event time ---
dump() { # orders and fills without wall-clock columns
    sql "$1" "select client_id, status, side, qty, px, cum_qty, avg_px, fee, evt from orders order by evt, client_id, status" >"$2"
    sql "$1" "select fill_id, client_id, side, px, qty, fee, realized_pnl, evt from fills order by evt, fill_id" >>"$2"
}
dump "$db" "$TMP_ROOT/a.txt"
cfg_b=$(make_config b tests/integration/small.json max)
check "second run at full speed" run_group "$cfg_b"
dump "$(dirname "$cfg_b")/tradepipe.db" "$TMP_ROOT/b.txt"
check "two full-speed runs write identical orders and fills" cmp -s "$TMP_ROOT/a.txt" "$TMP_ROOT/b.txt"
cfg_c=$(make_config c tests/integration/small.json "${TP_SLOW_SPEED:-20000}")
t0=$(date +%s)
check "third run paced at speed ${TP_SLOW_SPEED:-20000}" run_group "$cfg_c"
diag "run c: $(($(date +%s) - t0)) s"
dump "$(dirname "$cfg_c")/tradepipe.db" "$TMP_ROOT/c.txt"
check "a paced run writes the same orders and fills" cmp -s "$TMP_ROOT/a.txt" "$TMP_ROOT/c.txt"
eq "no sequence gaps in the paced run" "$(sql "$(dirname "$cfg_c")/tradepipe.db" "select count(*) from gaps")" 0
finish
