# recorder_report.sh - the report of a real run: text and --json carry the trader's figures, and
# the --html page (gnuplot SVG charts and the flot price chart inline) renders in headless
# Chromium: the DOM has the charts and a screenshot is taken (kept in build/test-logs/report.png).
. tests/integration/lib.inc

cfg=$(make_config rep tests/integration/small.json max)
check "group runs the replay to the end" run_group "$cfg"
dir=$(dirname "$cfg")
db=$dir/tradepipe.db

"$BIN/report" "$db" >"$dir/report.txt"
eq "report text: exit 0" "$?" 0
for k in "win rate" "profit factor" "sharpe" "sortino" "exposure" "unrealized pnl" \
    "tick->signal" "tick->order" "tick->fill" "strategy" "venue:symbol"; do
    check "report text has '$k'" grep -q "$k" "$dir/report.txt"
done
"$BIN/report" "$db" --json >"$dir/report.json"
for k in win_rate profit_factor sharpe sortino exposure unrealized_pnl by_strategy by_symbol \
    latency_us round_trips; do
    check "report --json has \"$k\"" grep -q "\"$k\"" "$dir/report.json"
done
# the realized PnL of the JSON is the exact integer sum of the fills (scale 8), formatted
n_m=$(sql "$db" "select sum(realized_pnl_m) from fills")
exp=$(echo "$n_m" | awk '{ s = $1 < 0 ? "-" : ""; v = $1 < 0 ? -$1 : $1; printf "%s%d.%08d", s, int(v / 100000000), v % 100000000 }')
check "report --json realized_pnl = sum of fills.realized_pnl_m ($exp)" \
    grep -q "\"realized_pnl\":\"$exp\"" "$dir/report.json"

"$BIN/report" "$db" --html "$dir/report.html" >"$dir/html.out"
eq "report --html: exit 0" "$?" 0
eq "report --html prints only where it wrote the page, not the text report" \
    "$(cat "$dir/html.out")" "report: wrote $dir/report.html ($db, run $(cat "$dir/run.id"))"
eq "the page embeds two gnuplot SVG charts (equity, drawdown)" \
    "$(grep -A1 '<div class="chart"' "$dir/report.html" | grep -c '^<svg')" 2
check "the page carries the flot price chart" grep -q '<div id="price"' "$dir/report.html"
check "the page is self-contained (no external src/href)" \
    sh -c "! grep -Eq '(src|href)=\"(https?:|file:|/)' '$dir/report.html'"

if command -v chromium >/dev/null 2>&1; then
    prof=$dir/chromium
    mkdir -p "$prof"
    flags="--headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run --user-data-dir=$prof"
    timeout 90 chromium $flags --dump-dom "file://$dir/report.html" >"$dir/dom.html" 2>"$dir/chromium.err"
    eq "chromium loads the page: the two chart svg elements in the DOM" \
        "$(grep -o '<svg viewBox="0 0 1000 320"' "$dir/dom.html" | wc -l)" 2
    check "chromium: flot drew the price chart (canvas, data-drawn set by the page's script)" \
        grep -q 'data-drawn="[1-9]' "$dir/dom.html"
    check "chromium DOM has the trades table" grep -q 'id="trades"' "$dir/dom.html"
    timeout 90 chromium $flags --window-size=1100,1600 --screenshot="$dir/report.png" \
        "file://$dir/report.html" >>"$dir/chromium.err" 2>&1
    size=$(stat -c %s "$dir/report.png" 2>/dev/null || echo 0)
    # a blank 1100x1600 PNG compresses to a few KB; charts and tables make it far larger
    check "screenshot taken and not blank ($size bytes)" test "$size" -gt 40000
    mkdir -p "$BUILD/test-logs" && cp "$dir/report.png" "$BUILD/test-logs/report.png" 2>/dev/null
else
    echo "ok $((TAP_N + 1)) # skip chromium not installed (Debian package chromium)"
    TAP_N=$((TAP_N + 1))
fi
finish
