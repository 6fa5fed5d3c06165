# backtest_identity.sh - build/bin/backtest writes the same trading record as the group.
# For each config (tests/integration/small.json: two days of klines; config/default.json: the
# month; "context": small.json with the full signal set of context_config in lib.inc; "mtf":
# small.json with strategies that trade 5m and 15m bars aggregated from the 1m klines), the group replays it under supervisord (venue-sim, feed, signal, risk, executor,
# recorder), then the backtest runs the same config in one process, and the two databases are
# compared table by table, row for row in id order, every column but the row ids (id,
# event_id: the group's events table also holds its wall-clock heartbeats), the wall-clock
# receive time (trades.ts_recv) and the run id (run_id: each run has its own): orders, fills, positions, balances, signals, and the market-data and risk rows
# (candles, indicators, trades, book_top, risk_events).
# One documented difference (docs/backtest.md "Same answers"): the group repeats venue-sim's
# hello until the pipeline has joined (a number of rounds that depends on timing), and each
# round makes the paper venue publish its opening balance again; the backtest sends the hello
# once. So balances at the hello's event time are compared as a set (and the group's count
# must be a whole multiple of the backtest's); every later balance row for row.
. tests/integration/lib.inc

# same_table NAME GROUP_DB BT_DB [WHERE] -> "same" or the first lines of the diff
same_table() {
    t=$1
    where=${4:-1}
    cols=$(sql "$2" "select group_concat(name, ',') from pragma_table_info('$t')
        where name not in ('id', 'event_id', 'ts_recv', 'run_id')")
    a=$(sql "$2" "select $cols from $t where $where order by id")
    b=$(sql "$3" "select $cols from $t where $where order by id")
    if [ "$a" = "$b" ]; then echo same; else
        echo "differ: $(printf '%s\n' "$a" >"$TMP_ROOT/a.txt"; printf '%s\n' "$b" >"$TMP_ROOT/b.txt"
            diff "$TMP_ROOT/a.txt" "$TMP_ROOT/b.txt" | head -n 4 | tr '\n' ' ')"
    fi
}

# mtf: trading above 1m. The 1m klines are aggregated into 5m and 15m bars (signal.mtf) and the
# only strategies trade on them: ema_cross_rsi 9/21 long and short on 5m, and a rules strategy
# on 15m (EMA 9/21 cross up with RSI below 70, ATR stop, 2R target); no 1m strategy.
MTF_SER='"venue": "binance-spot", "symbol": "BTCUSDT"'
MTF=$(cat <<JSON
{
 "mtf": [{$MTF_SER, "tfs": [300, 900]}],
 "strategies": [
  {"name": "ema5m.btc", "type": "ema_cross_rsi", $MTF_SER, "tf_s": 300, "fast": 9, "slow": 21,
   "long_only": false},
  {"name": "rules15m.btc", "type": "rules", $MTF_SER, "tf_s": 900, "side": "buy",
   "rules": [{"left": "ema9", "op": "crosses_above", "right": "ema21"},
             {"left": "rsi14", "op": "lt", "value": 70}],
   "stop": {"atr": 1.5}, "take_profit": {"rr": 2}}
 ]
}
JSON
)

identity() { # identity NAME TEMPLATE [context|mtf]
    cfg=$(make_config "$1" "$2" max)
    dir=$(dirname "$cfg")
    case $3 in
    context) # the full signal set of signal_context.sh, up to 4 positions at once
        context_config "$cfg" &&
            jq '.risk.max_open_positions = 4' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg" ;;
    mtf)
        jq --argjson s "$MTF" '.signal.mtf = $s.mtf | .signal.strategies = $s.strategies
            | .risk.max_open_positions = 2' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg" ;;
    esac
    t0=$(date +%s)
    check "$1: the group runs the replay to the end" run_group "$cfg"
    t1=$(date +%s)
    "$BIN/backtest" -c "$cfg" --db "$dir/bt.db" >"$dir/bt.out" 2>"$dir/bt.err"
    eq "$1: backtest exits 0" "$?" 0
    t2=$(date +%s)
    diag "$1: group $((t1 - t0)) s, backtest $((t2 - t1)) s"
    g=$dir/tradepipe.db
    b=$dir/bt.db
    check "$1: the backtest's summary ends with the report" grep -q "^net pnl" "$dir/bt.out"
    n_fills=$(sql "$g" "select count(*) from fills")
    n_sigs=$(sql "$g" "select count(*) from signals")
    check "$1: the group traded ($n_fills fills, $n_sigs signals)" [ "$n_fills" -gt 0 -a "$n_sigs" -gt 0 ]
    for t in orders fills positions signals candles indicators trades book_top risk_events; do
        eq "$1: $t identical ($(sql "$b" "select count(*) from $t") rows)" \
            "$(same_table $t "$g" "$b")" same
    done
    # the hello's event time: the paper venue's opening balance is published at it
    h=$(sql "$b" "select min(evt) from balances")
    eq "$1: balances after the hello identical ($(sql "$b" "select count(*) from balances where evt > $h") rows)" \
        "$(same_table balances "$g" "$b" "evt > $h")" same
    cols="venue, asset, wallet, available, equity, fees, evt"
    eq "$1: balances at the hello: the same rows" \
        "$(sql "$g" "select distinct $cols from balances where evt = $h order by 1")" \
        "$(sql "$b" "select distinct $cols from balances where evt = $h order by 1")"
    ng=$(sql "$g" "select count(*) from balances where evt = $h")
    nb=$(sql "$b" "select count(*) from balances where evt = $h")
    check "$1: the group's hello balances are whole rounds of the backtest's ($ng vs $nb)" \
        [ "$nb" -gt 0 -a $((ng % (nb > 0 ? nb : 1))) -eq 0 ]
}

identity small tests/integration/small.json
identity default config/default.json
identity context tests/integration/small.json context
identity mtf tests/integration/small.json mtf
ctx_db=$TMP_ROOT/context/tradepipe.db
n=$(sql "$ctx_db" "select count(*) from fills where venue = 'binance-usdm'")
check "context: it traded on the Binance USD-M L2 book ($n fills)" [ "$n" -gt 0 ]
n=$(sql "$ctx_db" "select count(*) from orders where venue = 'binance-usdm' and client_id like '%.s'
    and status = 'Triggered'")
check "context: a venue-held stop triggered there ($n)" [ "$n" -gt 0 ]
n=$(sql "$ctx_db" "select count(distinct strategy) from signals")
check "context: several strategies signalled ($n)" [ "$n" -gt 3 ]
mtf_db=$TMP_ROOT/mtf/tradepipe.db
n1m=$(sql "$mtf_db" "select count(*) from candles where topic_kind = 'sig.bar' and tf_s = 60")
for tf in 300 900; do
    eq "mtf: the compared candles hold the ${tf} s bars (1m bars / $((tf / 60)))" \
        "$(sql "$mtf_db" "select count(*) from candles where topic_kind = 'sig.bar' and tf_s = $tf")" \
        "$((n1m / (tf / 60)))"
done
# an entry's client id is rk-<signal event ms>-<n> (docs/risk.md); a 15m signal whose event
# time no 5m signal shares is the 15m strategy's alone
n=$(sql "$mtf_db" "select count(*) from fills f join signals s
    on f.client_id like 'rk-' || (s.evt / 1000000) || '-%' where s.strategy = 'ema5m.btc'")
check "mtf: orders of the 5m strategy's signals filled ($n fills)" [ "$n" -gt 0 ]
n=$(sql "$mtf_db" "select count(*) from fills f join signals s
    on f.client_id like 'rk-' || (s.evt / 1000000) || '-%' where s.strategy = 'rules15m.btc'
    and not exists (select 1 from signals o where o.evt = s.evt and o.strategy != s.strategy)")
check "mtf: orders of the 15m strategy's signals filled ($n fills)" [ "$n" -gt 0 ]
eq "mtf: every signal is at a 5m bar's close (no strategy trades 1m bars)" \
    "$(sql "$mtf_db" "select count(*) from signals where evt % 300000000000 != 0")" 0

# a database that exists is refused (never appended to)
cfg=$(make_config again tests/integration/small.json max)
: >"$(dirname "$cfg")/exists.db"
"$BIN/backtest" -c "$cfg" --db "$(dirname "$cfg")/exists.db" >/dev/null 2>"$(dirname "$cfg")/err"
eq "an existing --db is refused (exit 3)" "$?" 3
check "... naming the file" grep -q "exists.db" "$(dirname "$cfg")/err"

# a bad config is refused before anything is loaded or created, naming file, line and key
d=$(dirname "$cfg")
sed 's/"max_open_positions": 1/"max_open_positions": "one"/' "$cfg" >"$d/bad1.json"
"$BIN/backtest" -c "$d/bad1.json" --db "$d/bad1.db" >/dev/null 2>"$d/bad1.err"
eq "a bad risk value is refused (exit 2)" "$?" 2
check "... as file:line: key ($(cat "$d/bad1.err"))" \
    grep -q "bad1.json:[0-9]*: risk.max_open_positions: " "$d/bad1.err"
check "... and no database is created" [ ! -e "$d/bad1.db" ]
sed 's/"venue": "paper"/"venue": "bybit"/' "$cfg" >"$d/bad2.json"
"$BIN/backtest" -c "$d/bad2.json" --db "$d/bad2.db" >/dev/null 2>"$d/bad2.err"
eq "a live executor venue is refused (exit 2)" "$?" 2
check "... naming executor.venue ($(cat "$d/bad2.err"))" \
    grep -q "bad2.json:[0-9]*: executor.venue: a backtest runs on the paper venue" "$d/bad2.err"
finish
