# backtest_examples.sh - every config in config/examples/ (docs/config.md "Examples") is valid
# (check-config), runs through build/bin/backtest on the bundled data and trades, writes its
# signals under the names of its own strategies and no other, and gets its report: printed at
# the end of the backtest's output and by build/bin/report, with figures equal to what the
# database's rows give (derived here with sqlite3, not written down).
. tests/integration/lib.inc

dir=$TMP_ROOT/examples
mkdir -p "$dir"
m8() { awk -v v="$1" 'BEGIN { s = v < 0 ? "-" : ""; if (v < 0) v = -v
    i = int(v / 100000000); printf "%s%.0f.%08.0f\n", s, i, v - i * 100000000 }'; }

n_ex=0
for cfg in config/examples/*.json; do
    x=$(basename "$cfg" .json)
    n_ex=$((n_ex + 1))
    "$BIN/check-config" -c "$cfg" >"$dir/$x.check" 2>&1
    eq "$x: check-config accepts it" "$?" 0
    db=$dir/$x.db
    "$BIN/backtest" -c "$cfg" --db "$db" >"$dir/$x.out" 2>"$dir/$x.err"
    rc=$?
    eq "$x: backtest -c $cfg --db ... exit 0" "$rc" 0
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$dir/$x.err" | tail -n 5
    fills=$(sql "$db" "SELECT count(*) FROM fills")
    check "$x: it trades ($fills fills)" test "${fills:-0}" -gt 0
    # its strategies by name, and the names its signals carry
    jq -r '.signal.strategies[].name' "$cfg" | sort >"$dir/$x.names"
    sql "$db" "SELECT DISTINCT strategy FROM signals ORDER BY 1" >"$dir/$x.sig"
    eq "$x: signals under each of its strategies' names and no other" \
        "$(tr '\n' ' ' <"$dir/$x.sig")" "$(tr '\n' ' ' <"$dir/$x.names")"
    # the report, from the file, and its figures from the rows
    "$BIN/report" "$db" --json >"$dir/$x.json"
    eq "$x: report --json exit 0" "$?" 0
    net=$(sql "$db" "SELECT sum(realized_pnl_m) - sum(fee_m) FROM fills")
    eq "$x: report net pnl = sum of the fills' realized pnl - fees" "$(jq -r .net_pnl "$dir/$x.json")" \
        "$(m8 "$net")"
    eq "$x: report fills = the fills rows" "$(jq -r .fills "$dir/$x.json")" "$fills"
    open=$(sql "$db" "SELECT count(*) FROM (SELECT venue, symbol FROM fills GROUP BY 1, 2
        HAVING sum(CASE side WHEN 'buy' THEN qty_m ELSE -qty_m END) != 0)")
    # a round trip ends where the running position of its venue+symbol comes back to 0 or
    # crosses it
    flat=$(sql "$db" "SELECT count(*) FROM (SELECT p, lag(p, 1, 0) OVER (PARTITION BY venue, symbol
        ORDER BY evt, id) AS q FROM (SELECT venue, symbol, evt, id,
        sum(CASE side WHEN 'buy' THEN qty_m ELSE -qty_m END) OVER (PARTITION BY venue, symbol
        ORDER BY evt, id) AS p FROM fills)) WHERE q != 0 AND (p = 0 OR (p < 0) != (q < 0))")
    eq "$x: round trips = fills that bring a position back to flat or across it" \
        "$(jq '.round_trips | length' "$dir/$x.json")" "$flat"
    eq "$x: open positions at the end" "$(jq .open_positions "$dir/$x.json")" "$open"
    # every trip credited to one of the config's strategies (venue-held exits included)
    check "$x: by_strategy names only the config's strategies" \
        sh -c "jq -r '.by_strategy[].name' '$dir/$x.json' | grep -qvxF -f '$dir/$x.names' && exit 1 || exit 0"
    eq "$x: fills credited to strategies = all fills" \
        "$(jq '[.by_strategy[].fills] | add' "$dir/$x.json")" "$fills"
    # the backtest's output ends with the report of its database
    check "$x: the backtest prints the report with the tearsheet" \
        sh -c "grep -q '^tearsheet: traded span' '$dir/$x.out' && grep -q '^net pnl  *$(m8 "$net")\$' '$dir/$x.out'"
    "$BIN/report" "$db" >"$dir/$x.txt"
    check "$x: a run of an example is not told to try an example next" \
        sh -c "! grep -q '^next:' '$dir/$x.txt'"
done
check "seven examples ($n_ex)" test "$n_ex" -ge 7
for s in ema_cross_rsi level_reaction razor ensemble setups rules; do
    check "an example with a $s strategy" \
        sh -c "cat config/examples/*.json | jq -s -e '[.[].signal.strategies[].type] | index(\"$s\")' >/dev/null"
done
check "a multi-timeframe example (signal.mtf, strategies above 1m)" \
    sh -c "jq -e '(.signal.mtf | length) > 0 and ([.signal.strategies[].tf_s] | max) > 60' config/examples/mtf.json >/dev/null"
# the mtf example's signals are on 5m and 15m bar closes
eq "mtf: every signal at a 5m bar close" \
    "$(sql "$dir/mtf.db" "SELECT count(*) FROM signals WHERE evt % 300000000000 != 0")" 0
finish
