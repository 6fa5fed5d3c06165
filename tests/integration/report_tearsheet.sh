# report_tearsheet.sh - the tearsheet of `report` (docs/recorder.md "Tearsheet"): every figure
# of a backtest of config/default.json is derived here again from the database rows with
# sqlite3 and awk (never copied from the report) and compared with `report --json` and the
# text; the HTML page is rendered in headless Chromium (screenshot kept in the test's output
# directory and build/test-logs/report_tearsheet.png) and its flot price chart is checked to
# have drawn its points (the DOM and the screenshot's pixels); `report --compare` on two
# databases; the config a group run was started with is recorded and shown.
. tests/integration/lib.inc

dir=$TMP_ROOT/tear
mkdir -p "$dir"
a=$dir/a.db
"$BIN/backtest" -c config/default.json --db "$a" >"$dir/bt-a.out" 2>&1
eq "backtest of config/default.json: exit 0" "$?" 0
"$BIN/report" "$a" --json >"$dir/a.json"
eq "report --json: exit 0" "$?" 0
"$BIN/report" "$a" >"$dir/a.txt"
j() { jq -r "$1" "$dir/a.json"; }

# x / y as percent at 2 decimals, half-even (x, y integers; |x| * 10000 < 2^53)
pct() {
    awk -v x="$1" -v y="$2" 'BEGIN {
        n = x * 10000; neg = n < 0; if (neg) n = -n
        q = int(n / y); r = n - q * y
        if (2 * r > y || (2 * r == y && q % 2 == 1)) q++
        if (neg && q > 0) printf "-"
        printf "%d.%02d\n", int(q / 100), q % 100 }'
}
# an integer mantissa at scale 8 as a decimal
m8() { awk -v v="$1" 'BEGIN { s = v < 0 ? "-" : ""; if (v < 0) v = -v
    i = int(v / 100000000); printf "%s%.0f.%08.0f\n", s, i, v - i * 100000000 }'; }
# awk prints big integers in %.6g: every awk below that prints one uses %.0f
R='function rnd(q) { return q < 0 ? -int(-q + 0.5) : int(q + 0.5) }' 

# ---- balances, return, buy and hold ------------------------------------------------------
sql "$a" "SELECT venue || '/' || asset, equity_m, evt FROM balances ORDER BY evt, id" \
    | tr '|' ' ' >"$dir/bal.txt"
start=$(awk '!($1 in f) { f[$1] = $2; s += $2 } END { printf "%.0f\n", s }' "$dir/bal.txt")
end=$(awk '{ l[$1] = $2 } END { for (k in l) s += l[k]; printf "%.0f\n", s }' "$dir/bal.txt")
eq "start balance = sum of each account's first balances row" "$(j .tearsheet.start_balance)" \
    "$(m8 "$start")"
eq "end balance = sum of each account's last balances row" "$(j .tearsheet.end_balance)" \
    "$(m8 "$end")"
ret=$(pct $((end - start)) "$start")
eq "total return % = (end - start) / start" "$(j .tearsheet.return_pct)" "$ret"
fees=$(sql "$a" "SELECT sum(fee_m) FROM fills")
eq "fee drag % = sum(fills.fee_m) / start" "$(j .tearsheet.fee_drag_pct)" "$(pct "$fees" "$start")"
eq "return before fees % = (end - start + fees) / start" "$(j .tearsheet.gross_return_pct)" \
    "$(pct $((end - start + fees)) "$start")"
top=$(sql "$a" "SELECT venue || '|' || symbol FROM fills GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
tv=${top%|*}
ts=${top#*|}
eq "the traded symbol is the one with the most fills" \
    "$(j '.tearsheet.buy_and_hold.venue + "|" + .tearsheet.buy_and_hold.symbol')" "$top"
bars="FROM candles WHERE venue = '$tv' AND symbol = '$ts' AND tf_s = 60 AND topic_kind = 'md.kline'"
o1=$(sql "$a" "SELECT open_m $bars ORDER BY start_ns LIMIT 1")
c1=$(sql "$a" "SELECT close_m $bars ORDER BY start_ns DESC LIMIT 1")
bh=$(pct $((c1 - o1)) "$o1")
eq "buy and hold % = last 1m close / first 1m open - 1" \
    "$(j .tearsheet.buy_and_hold.return_pct)" "$bh"
exc=$(awk -v r="$ret" -v b="$bh" 'BEGIN { printf "%.2f\n", r - b }')
eq "excess % = return - buy and hold" "$(j .tearsheet.excess_pct)" "$exc"
check "the text names buy and hold and the excess" \
    sh -c "grep -q '^buy and hold .*$bh%' '$dir/a.txt' && grep -q '^excess over buy and hold .*$exc%' '$dir/a.txt'"

# ---- traded span and exposure --------------------------------------------------------------
t0=$(sql "$a" "SELECT min(start_ns) FROM candles WHERE venue = '$tv' AND symbol = '$ts' AND tf_s >= 60")
t1=$(sql "$a" "SELECT max(end_ns) FROM candles WHERE venue = '$tv' AND symbol = '$ts' AND tf_s >= 60")
eq "traded span = the traded symbol's bars" "$(j '.tearsheet.span | "\(.from_ns) \(.to_ns)"')" \
    "$t0 $t1"
sql "$a" "SELECT side, qty_m, evt FROM fills ORDER BY evt, id" | tr '|' ' ' >"$dir/fills.txt"
inm=$(awk '{ was = p != 0; p += ($1 == "sell" ? -$2 : $2)
    if (!was && p != 0) s = $3; else if (was && p == 0) t += $3 - s } END { printf "%.0f\n", t }' "$dir/fills.txt")
expo=$(pct "$inm" $((t1 - t0)))
eq "exposure % = time with a position open / traded span" "$(j .tearsheet.exposure_pct)" "$expo"
check "exposure is no longer over the whole recording span (today's 1.12 %)" \
    awk -v e="$expo" 'BEGIN { exit !(e > 20) }'

# ---- round trips: exit reasons, strategy credit, win/loss, holding -----------------------
n_trips=$(j '.round_trips | length')
n_sell=$(sql "$a" "SELECT count(*) FROM fills WHERE side = 'sell'")
eq "default config is long only: one closing sell per round trip" "$n_sell" "$n_trips"
# the reason of each closing fill, from its client id and its risk.order
sql "$a" "SELECT CASE WHEN f.client_id LIKE '%.s' THEN 'stop' WHEN f.client_id LIKE '%.t'
    THEN 'take-profit' ELSE (SELECT CASE e.state WHEN 'exit' THEN 'signal' WHEN 'stop_loss'
    THEN 'stop' WHEN 'take_profit' THEN 'take-profit' ELSE e.state END FROM risk_events e
    WHERE e.topic = 'risk.order' AND e.client_id = f.client_id) END AS r, count(*)
    FROM fills f WHERE f.side = 'sell' GROUP BY r ORDER BY r" >"$dir/reasons.sql"
j '.tearsheet.exits | sort_by(.reason) | .[] | "\(.reason)|\(.trips)"' >"$dir/reasons.rep"
eq "exit reasons per round trip = the closing fills' orders" "$(cat "$dir/reasons.rep" | tr '\n' ' ')" \
    "$(cat "$dir/reasons.sql" | tr '\n' ' ')"
check "venue-held stops and targets are among the exits" \
    sh -c "grep -q '^stop|' '$dir/reasons.sql' && grep -q '^take-profit|' '$dir/reasons.sql'"
eq "every round trip names its exit reason" "$(j '[.round_trips[] | select(.exit_reason == "unknown")] | length')" 0
n_fills=$(sql "$a" "SELECT count(*) FROM fills")
eq "every fill credited to the strategy that opened the position (no '(unknown)')" \
    "$(j '[.by_strategy[] | "\(.name) \(.fills) \(.trips)"] | join(",")')" "ema_rsi.btc $n_fills $n_trips"
# trips from the fills: a buy then its sell; net = realized - fees of both
sql "$a" "SELECT side, realized_pnl_m - fee_m, evt FROM fills ORDER BY evt, id" | tr '|' ' ' \
    | awk '$1 == "buy" { n = $2; e = $3; next } { printf "%.0f %.0f\n", n + $2, $3 - e }' >"$dir/trips.txt"
wins=$(awk '$1 > 0' "$dir/trips.txt" | wc -l)
losses=$(awk '$1 <= 0' "$dir/trips.txt" | wc -l)
eq "wins (net > 0)" "$(j '[.round_trips[] | select((.net | tonumber) > 0)] | length')" "$wins"
avgw=$(awk "$R"' $1 > 0 { s += $1; n++ } END { printf "%.0f\n", rnd(s / n) }' "$dir/trips.txt")
avgl=$(awk "$R"' $1 < 0 { s += $1; n++ } END { printf "%.0f\n", rnd(s / n) }' "$dir/trips.txt")
eq "average win = mean net of the winning trips" "$(j .tearsheet.avg_win)" "$(m8 "$avgw")"
eq "average loss = mean net of the losing trips" "$(j .tearsheet.avg_loss)" "$(m8 "$avgl")"
expt=$(awk "$R"' { s += $1; n++ } END { printf "%.0f\n", rnd(s / n) }' "$dir/trips.txt")
eq "expectancy = mean net per round trip" "$(j .tearsheet.expectancy)" "$(m8 "$expt")"
hold=$(awk '{ s += $2; n++ } END { printf "%d\n", s / n / 1e9 + 0.5 }' "$dir/trips.txt")
eq "average holding time (s) = mean exit - entry" "$(j .tearsheet.avg_holding_s)" "$hold"

# ---- drawdown duration, CAGR, daily and monthly returns ----------------------------------
dd=$(awk -v t0="$t0" -v t1="$t1" '{ v = $2 }
    NR == 1 || v >= pk { pk = v; pe = $3; next }
    pk - v > mx { mx = pk - v; from = pe; tr = $3; peak = pk }
    END { from = from < t0 ? t0 : from; print int((t1 - from) / 1e9) }' "$dir/bal.txt")
eq "max drawdown duration (s): from the peak (or the span's start) to the span's end, not recovered" \
    "$(j '.tearsheet.max_drawdown | "\(.duration_s) \(.recovered)"')" "$dd false"
cagr=$(awk -v s="$start" -v e="$end" -v d=$((t1 - t0)) \
    'BEGIN { printf "%.2f\n", ((e / s) ^ (365 * 86400e9 / d) - 1) * 100 }')
check "CAGR % = (end / start)^(365 days / span) - 1 ($cagr)" \
    awk -v a="$(j .tearsheet.cagr_pct)" -v b="$cagr" 'BEGIN { d = a - b; exit !(d < 0.011 && d > -0.011) }'
awk -v t0="$t0" -v t1="$t1" -v s="$start" 'BEGIN { D = 86400000000000 }
    { ev[NR] = $3; eq[NR] = $2 } END {
    i = 1; cur = s; prev = s
    for (d = t0 - t0 % D; d < t1; d += D) {
        while (i <= NR && ev[i] < d + D) cur = eq[i++]
        printf "%.0f %.0f\n", cur - prev, prev; prev = cur } }' "$dir/bal.txt" >"$dir/daily.in"
while read -r num den; do pct "$num" "$den"; done <"$dir/daily.in" >"$dir/daily.exp"
j '.tearsheet.daily_returns[].return_pct' >"$dir/daily.got"
eq "daily returns: one per UTC day of the span" "$(wc -l <"$dir/daily.got")" 30
check "daily returns = each day's last equity over the day before's" cmp -s "$dir/daily.got" "$dir/daily.exp"
ratios=$(awk '{ r[NR] = $1 / $2; m += r[NR] } END { m /= NR
    for (i = 1; i <= NR; i++) { v += (r[i] - m) ^ 2; if (r[i] < 0) dn += r[i] ^ 2 }
    printf "%.4f %.4f\n", m / sqrt(v / (NR - 1)) * sqrt(365), m / sqrt(dn / NR) * sqrt(365) }' "$dir/daily.in")
check "Sharpe and Sortino from the span's 30 daily returns ($ratios)" \
    awk -v a="$(j '"\(.sharpe) \(.sortino) \(.daily_returns)"')" -v b="$ratios" 'BEGIN {
        split(a, x, " "); split(b, y, " ")
        exit !(x[3] == 30 && (x[1] - y[1]) ^ 2 < 1e-6 && (x[2] - y[2]) ^ 2 < 1e-6) }'
eq "monthly return of the one month = the total return" "$(j '.tearsheet.monthly_returns | map(.return_pct) | join(",")')" "$ret"

# ---- JSON precision, the next example ------------------------------------------------------
check "no JSON number with more than 8 decimals (was 262.44900000000001)" \
    sh -c "! grep -Eq '[0-9]\\.[0-9]{9,}' '$dir/a.json'"
check "the default run's report names the example to try next" \
    sh -c "tail -n 1 '$dir/a.txt' | grep -q '^next: .*config/examples/mtf.json'"
check "that example exists" test -f config/examples/mtf.json

# ---- HTML in headless Chromium ---------------------------------------------------------
"$BIN/report" "$a" --html "$dir/a.html" >/dev/null
eq "report --html: exit 0" "$?" 0
check "the page is self-contained (no external src/href)" \
    sh -c "! grep -Eq '(src|href)=\"(https?:|file:|/)' '$dir/a.html'"
check "flot is inlined from its Debian path" grep -q 'plugins.push' "$dir/a.html"
if command -v chromium >/dev/null 2>&1; then
    prof=$dir/chromium
    mkdir -p "$prof"
    flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --user-data-dir=$prof"
    timeout 90 chromium $flags --dump-dom "file://$dir/a.html" >"$dir/dom.html" 2>"$dir/chromium.err"
    check "chromium: the price chart's canvas is in the DOM" grep -q '<canvas class="flot-base"' "$dir/dom.html"
    nbars=$(sql "$a" "SELECT count(*) $bars")
    # series: closes, long entries, short entries, exits of won trips, exits of lost trips
    eq "chromium: flot plotted every bar, entry and exit (won / lost by the trip's net)" \
        "$(grep -o 'data-drawn="[^"]*"' "$dir/dom.html")" "data-drawn=\"$nbars,$n_trips,0,$wins,$losses\""
    timeout 90 chromium $flags --window-size=1100,1700 --screenshot="$dir/report_tearsheet.png" \
        "file://$dir/a.html" >>"$dir/chromium.err" 2>&1
    check "screenshot taken" test -s "$dir/report_tearsheet.png"
    mkdir -p "$BUILD/test-logs" && cp "$dir/report_tearsheet.png" "$BUILD/test-logs/report_tearsheet.png"
    # exact fill colours of the exit markers: green = won (#2ca02c), red = lost (#e41a1c)
    set -- $(python3 tests/integration/png_colors.py "$dir/report_tearsheet.png" 2ca02c e41a1c)
    check "the screenshot shows the won exits' green ($1 px) and the lost exits' red ($2 px)" \
        test "${1:-0}" -gt 100 -a "${2:-0}" -gt 100
else
    echo "ok $((TAP_N + 1)) # skip chromium not installed (Debian package chromium)"
    TAP_N=$((TAP_N + 1))
fi

# ---- --compare --------------------------------------------------------------------------
jq '.signal.strategies[0].take_profit_pct = "2.0"' config/default.json >"$dir/b.json"
b=$dir/b.db
"$BIN/backtest" -c "$dir/b.json" --db "$b" >"$dir/bt-b.out" 2>&1
eq "backtest of a variant (take profit 2 %): exit 0" "$?" 0
"$BIN/report" --compare "$a" "$b" --json >"$dir/cmp.json"
eq "report --compare: exit 0" "$?" 0
row() { jq -r --arg f "$1" '.figures[] | select(.figure == $f) | "\(.a) \(.b) \(.diff)"' "$dir/cmp.json"; }
na=$(sql "$a" "SELECT sum(realized_pnl_m) - sum(fee_m) FROM fills")
nb=$(sql "$b" "SELECT sum(realized_pnl_m) - sum(fee_m) FROM fills")
d=$((nb - na))
sign=$([ "$d" -gt 0 ] && echo +)
eq "--compare net pnl: A, B and B - A from the fills" "$(row 'net pnl')" "$(m8 "$na") $(m8 "$nb") $sign$(m8 "$d")"
ta=$(jq '.round_trips | length' "$dir/a.json")
tb=$("$BIN/report" "$b" --json | jq '.round_trips | length')
dt=$((tb - ta))
eq "--compare round trips" "$(row 'round trips')" "$ta $tb $([ "$dt" -ge 0 ] && echo +)$dt"
"$BIN/report" --compare "$a" "$b" >"$dir/cmp.txt"
check "--compare text has the figures side by side" \
    sh -c "grep -q '^figure .* A .* B .* B - A' '$dir/cmp.txt' && grep -q '^total return %' '$dir/cmp.txt'"
"$BIN/report" --compare "$a" >/dev/null 2>&1
eq "--compare with one file: usage, exit 2" "$?" 2

# ---- the config a group run was started with ----------------------------------------------
cfg=$(make_config grp tests/integration/small.json max)
check "group runs the replay to the end" run_group "$cfg"
gdb=$(dirname "$cfg")/tradepipe.db
eq "runs.config_path = the file the group read" "$(sql "$gdb" "SELECT config_path FROM runs")" "$cfg"
check "runs.config = that file's JSON" \
    sh -c "[ \"\$(sql() { sqlite3 -batch -noheader \"\$1\" \"\$2\"; }; sql '$gdb' 'SELECT config FROM runs' | jq -S .)\" = \"\$(jq -S . '$cfg')\" ]"
"$BIN/report" "$gdb" >"$dir/g.txt"
check "the report prints the config's path and its strategy" \
    sh -c "grep -q '^config: $cfg' '$dir/g.txt' && grep -q '^  strategy: name $(jq -r '.signal.strategies[0].name' "$cfg"), type ' '$dir/g.txt'"
check "not a run of config/default.json: no next-example line" sh -c "! grep -q '^next:' '$dir/g.txt'"
# a backtest records the config it ran, with its --set overrides applied
bdb=$dir/set.db
"$BIN/backtest" -c tests/integration/small.json --db "$bdb" --set risk.max_open_positions=2 >/dev/null 2>&1
eq "backtest: runs.config_path = the file it read" "$(sql "$bdb" "SELECT config_path FROM runs")" tests/integration/small.json
check "backtest: runs.config = that file with the --set override" \
    sh -c "[ \"\$(sqlite3 -batch -noheader '$bdb' 'SELECT config FROM runs' | jq -S .)\" = \"\$(jq -S '.risk.max_open_positions = 2' tests/integration/small.json)\" ]"
# a group run of a file named config/default.json (small.json's data, to keep it short): the
# recorded path says it is the default config
ddir=$TMP_ROOT/def
mkdir -p "$ddir/config" && chmod 0700 "$ddir" "$ddir/config"
sed -e "s#\"run_dir\": \"[^\"]*\"#\"run_dir\": \"$ddir/config\"#" tests/integration/small.json \
    >"$ddir/config/default.json"
"$BIN/ctl" -c "$ddir/config/default.json" venue-port --new >/dev/null
check "group run of .../config/default.json" run_group "$ddir/config/default.json"
"$BIN/report" "$ddir/config/tradepipe.db" >"$dir/d.txt"
check "its report ends naming the example to try next" \
    sh -c "tail -n 1 '$dir/d.txt' | grep -q '^next: this run is config/default.json; .*config/examples/mtf.json'"
finish
