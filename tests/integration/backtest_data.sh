# backtest_data.sh - backtest --data/--symbol/--from/--to/--skip-bad on a trader's own files
# (docs/backtest.md "Your own data"). Fixtures are made here from the bundled 2025-11-03 and
# -04 Binance kline files (microsecond times, no header): the same days with a header line,
# with millisecond times (the last three digits of open_time and close_time cut), both, zipped
# as data.binance.vision serves them (with .CHECKSUM files beside), as one monthly file; a copy
# with one row made bad; a copy with ten minutes cut out; a copy renamed for BTCUSDC (listed
# in the bundled Binance spot and USD-M exchange info with BTCUSDT's tick and step).
# Checks: the four variants give the same fills; a bad row stops the run naming file:line
# without --skip-bad and is counted with it; --from/--to narrow the bars to the count taken
# from the files; --symbol moves every symbol-scoped key; a gap is counted and named; each bad
# input exits 2 with its message and no report; venue-sim itself refuses a bad row at start;
# the group's replay (venue-sim) keeps the same window as the backtest.
. tests/integration/lib.inc

cfg=$(make_config data tests/integration/small.json max)
dir=$(dirname "$cfg")
C=data/candles/binance_spot_btcusdt_1m
D3=$C/BTCUSDT-1m-2025-11-03.csv
D4=$C/BTCUSDT-1m-2025-11-04.csv
HDR="open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore"
mkdir -p "$dir/us" "$dir/hdr" "$dir/ms" "$dir/mshdr" "$dir/bad" "$dir/gap" "$dir/usdc" \
    "$dir/zip" "$dir/month"
for f in "$D3" "$D4"; do
    b=$(basename "$f")
    cp "$f" "$dir/us/$b"
    { echo "$HDR"; cat "$f"; } >"$dir/hdr/$b"
    awk -F, 'BEGIN { OFS = "," } { $1 = substr($1, 1, length($1) - 3); $7 = substr($7, 1, length($7) - 3); print }' \
        "$f" >"$dir/ms/$b"
    { echo "$HDR"; cat "$dir/ms/$b"; } >"$dir/mshdr/$b"
    cp "$f" "$dir/usdc/$(echo "$b" | sed 's/^BTCUSDT/BTCUSDC/')"
    (cd "$dir/zip" && cp "$ROOT/$f" . && zip -q "${b%.csv}.zip" "$b" && rm "$b" &&
        echo "sha256 of the zip" >"${b%.csv}.zip.CHECKSUM") # as data.binance.vision serves it
done
cat "$D3" "$D4" >"$dir/month/BTCUSDT-1m-2025-11.csv" # a monthly file: the days in one
eq "fixture: the bundled open times are microseconds (16 digits)" \
    "$(head -n 1 "$D3" | cut -d, -f1 | tr -d '\n' | wc -c)" 16
eq "fixture: the ms copy's open times are milliseconds (13 digits)" \
    "$(head -n 1 "$dir/ms/$(basename "$D3")" | cut -d, -f1 | tr -d '\n' | wc -c)" 13
rows=$(cat "$D3" "$D4" | wc -l)

run() { # run NAME ARGS...: backtest on small.json -> $dir/NAME.{db,out,err}, exit code in $rc
    name=$1
    shift
    rm -f "$dir/$name.db"
    "$BIN/backtest" -c "$cfg" --db "$dir/$name.db" "$@" >"$dir/$name.out" 2>"$dir/$name.err"
    rc=$?
}
fills() { sql "$1" "SELECT venue, symbol, side, px, qty, fee, realized_pnl, maker, evt FROM fills ORDER BY id"; }
bars() { sql "$1" "SELECT count(*) FROM candles WHERE topic_kind = 'md.kline' AND venue = 'binance-spot' AND tf_s = 60"; }

# 1. the same days as µs / µs with header / ms / ms with header: the same fills
for v in us hdr ms mshdr zip month; do
    run "$v" --data "$dir/$v"
    eq "$v: exit 0" "$rc" 0
    eq "$v: all $rows bars replayed" "$(bars "$dir/$v.db")" "$rows"
    check "$v: the summary counts the bars" grep -q "^  klines       $rows one-minute bars, 2025-11-03T00:00:00Z .. 2025-11-05T00:00:00Z" "$dir/$v.out"
done
n_fills=$(sql "$dir/us.db" "SELECT count(*) FROM fills")
check "the two days trade ($n_fills fills)" [ "$n_fills" -gt 0 ]
for v in hdr ms mshdr zip month; do
    check "$v: the same fills as the µs files without header" [ "$(fills "$dir/$v.db")" = "$(fills "$dir/us.db")" ]
done
check "no gap in the bundled days" grep -q "^  gaps         0 (no minute missing)" "$dir/us.out"

# 2. a bad row: stops naming file:line and why; with --skip-bad counted and skipped
awk 'NR == 100 { sub(/^[0-9]+,[0-9.]+,/, substr($0, 1, index($0, ",")) "abc,") } { print }' "$D3" \
    >"$dir/bad/$(basename "$D3")"
cp "$D4" "$dir/bad/"
check "fixture: row 100 has a bad open" grep -q "^[0-9]*,abc," "$dir/bad/$(basename "$D3")"
run bad --data "$dir/bad"
eq "a bad row: exit 2" "$rc" 2
check "a bad row: file:line and the reason named" \
    grep -q "$dir/bad/$(basename "$D3"):100: open \"abc\" is not a plain unsigned decimal" "$dir/bad.err"
check "a bad row: no report" sh -c "! grep -q 'net pnl' '$dir/bad.out'"
run skip --data "$dir/bad" --skip-bad
eq "--skip-bad: exit 0" "$rc" 0
check "--skip-bad: the summary counts the skipped row" grep -q "^  bad rows     1 skipped" "$dir/skip.out"
eq "--skip-bad: one bar fewer" "$(bars "$dir/skip.db")" "$((rows - 1))"
check "--skip-bad: the report follows" grep -q "^net pnl" "$dir/skip.out"

# 3. --from/--to: only the bars inside the window; the count taken from the files
t0=$(date -u -d 2025-11-03T06:00:00Z +%s)000
t1=$(date -u -d 2025-11-04T12:30:00Z +%s)000
want=$(cat "$dir/ms"/*.csv | awk -F, -v a="$t0" -v b="$t1" '$1 >= a && $1 + 60000 <= b' | wc -l)
run window --data "$dir/us" --from 2025-11-03T06:00 --to 2025-11-04T12:30:00Z
eq "--from/--to date-times: exit 0" "$rc" 0
eq "--from/--to date-times: the bars of the window" "$(bars "$dir/window.db")" "$want"
check "--from/--to: the summary says so" grep -q "^  klines       $want one-minute bars, 2025-11-03T06:00:00Z .. 2025-11-04T12:30:00Z" "$dir/window.out"
want=$(wc -l <"$D4")
run day --data "$dir/us" --from 2025-11-04 --to 2025-11-04
eq "--from D --to D: the whole day" "$(bars "$dir/day.db")" "$want"
eq "--from D --to D: its first bar opens at 00:00 of D" \
    "$(sql "$dir/day.db" "SELECT min(start_ns) / 1000000 FROM candles WHERE topic_kind = 'md.kline' AND venue = 'binance-spot'")" \
    "$(head -n 1 "$dir/ms/$(basename "$D4")" | cut -d, -f1)"

# 4. --symbol: a renamed copy (BTCUSDC) trades as BTCUSDC everywhere, with the same fills
run usdc --data "$dir/usdc" --symbol BTCUSDC
eq "--symbol BTCUSDC: exit 0" "$rc" 0
eq "--symbol BTCUSDC: every fill is BTCUSDC" "$(sql "$dir/usdc.db" "SELECT count(*) FROM fills WHERE symbol <> 'BTCUSDC'")" 0
eq "--symbol BTCUSDC: every order is BTCUSDC" "$(sql "$dir/usdc.db" "SELECT count(*) FROM orders WHERE symbol <> 'BTCUSDC'")" 0
eq "--symbol BTCUSDC: the bars are BTCUSDC's" "$(sql "$dir/usdc.db" "SELECT count(*) FROM candles WHERE topic_kind = 'md.kline' AND venue = 'binance-spot' AND tf_s = 60 AND symbol = 'BTCUSDC'")" "$rows"
check "--symbol BTCUSDC: the same fills as BTCUSDT on the same prices" \
    [ "$(fills "$dir/usdc.db" | sed 's/|BTCUSDC|/|BTCUSDT|/')" = "$(fills "$dir/us.db")" ]
check "--symbol BTCUSDC: the signals name it" [ "$(sql "$dir/usdc.db" "SELECT count(*) FROM signals WHERE symbol = 'BTCUSDC'")" -gt 0 ]
run named --data "$dir/usdc"
eq "a BTCUSDC file without --symbol: exit 2" "$rc" 2
check "a BTCUSDC file without --symbol: says to add it" grep -q "its name says BTCUSDC klines; the config trades BTCUSDT: add --symbol BTCUSDC" "$dir/named.err"

# 5. a gap: ten minutes cut out of the first day, counted and named
awk 'NR < 200 || NR > 209' "$D3" >"$dir/gap/$(basename "$D3")"
cp "$D4" "$dir/gap/"
from=$(date -u -d "@$(($(sed -n 200p "$dir/ms/$(basename "$D3")" | cut -d, -f1) / 1000))" +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d "@$(($(sed -n 210p "$dir/ms/$(basename "$D3")" | cut -d, -f1) / 1000))" +%Y-%m-%dT%H:%M:%SZ)
run gap --data "$dir/gap"
eq "a gap: exit 0" "$rc" 0
check "a gap: counted and the longest named ($from .. $to)" \
    grep -q "^  gaps         1 (10 minutes missing), longest $from .. $to (10 minutes)" "$dir/gap.out"

# 5b. the recorded formats, found by content (copies under names that say nothing): the same
# record as the config naming the same files; a spot .gz copy goes to binance_spot_file
cp data/bybit_v5/bybit_v5_linear_frames.jsonl "$dir/one.jsonl"
cp data/bybit_v5/bybit_v5_spot_frames.jsonl "$dir/two.jsonl"
cp data/binance/usdm_btcusdt_20240808.gz "$dir/three.gz"
cp data/binance/spot_btcusdt_20240808.gz "$dir/four.gz"
run own
run rec --data "$dir/one.jsonl" "$dir/two.jsonl" "$dir/three.gz" \
    data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv \
    data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-02.csv
eq "recorded files by content: exit 0" "$rc" 0
for t in fills book_top candles "trades:venue, symbol, evt, px, qty, side, trade_id"; do
    cols=${t#*:}
    t=${t%%:*}
    [ "$cols" = "$t" ] && cols="*"
    q="SELECT $cols FROM $t ORDER BY id"
    # all columns but the row ids and the run id (first two, last) when "*"
    strip() { if [ "$cols" = "*" ]; then cut -d'|' -f3- | sed 's/|[^|]*$//'; else cat; fi; }
    check "recorded files by content: the same $t as the config's files" \
        [ "$(sql "$dir/rec.db" "$q" | strip)" = "$(sql "$dir/own.db" "$q" | strip)" ]
done
frames() { sed -n 's/^  data  *\([0-9]*\) frames.*/\1/p' "$1"; }
spot=$(zcat "$dir/four.gz" | grep -c '^[0-9]* {"stream"')
run spot --data "$dir/four.gz"
eq "a spot .gz by content: its $spot frames join the timeline" "$(frames "$dir/spot.out")" "$(($(frames "$dir/own.out") + spot))"
grep -h "^  data  " "$dir/own.out" "$dir/spot.out" | sed 's/^/# /'

# 6. bad input: exit 2, a message naming the file, symbol or range, and no report
bad() { # bad NAME PATTERN ARGS...
    name=$1 pat=$2
    shift 2
    run "$name" "$@"
    if [ "$rc" -eq 2 ] && grep -q -- "$pat" "$dir/$name.err" && ! grep -q "net pnl" "$dir/$name.out"; then
        ok "$name: exit 2, \"$pat\""
    else
        not_ok "$name: exit $rc, stderr: $(head -c 300 "$dir/$name.err")"
    fi
}
bad missing "--data $dir/nope.csv: cannot open: No such file or directory" --data "$dir/nope.csv"
bad symbol "--symbol ZZZUSDT: unknown symbol" --symbol ZZZUSDT
bad othersym "BTCUSDT-1m-2025-11-01.csv's name says BTCUSDT klines: give ETHUSDT's files with --data" --symbol ETHUSDT
bad range "the range is empty" --data "$dir/us" --from 2025-11-05 --to 2025-11-04
bad nodata "no data in 2025-12-01..2025-12-02; the files span" --data "$dir/us" --from 2025-12-01 --to 2025-12-02
bad date "--from 2025-13-01: expected a UTC date" --data "$dir/us" --from 2025-13-01
printf 'hello\nworld\n' >"$dir/notes.txt"
bad format "--data $dir/notes.txt: unreadable format" --data "$dir/notes.txt"
printf 'PK\003\004rest' >"$dir/BTCUSDT-1m-2025-11.zip"
bad zip "a zip archive we cannot read" --data "$dir/BTCUSDT-1m-2025-11.zip"
printf '1762128000000,1,1,1,1,1,1762128059999,1,1,1,1\n1762128060000,1,1,1,1,1,1762128119999,1,1,1\n' \
    >"$dir/allbad.csv"
bad firstbad "$dir/allbad.csv:1: expected 12 comma-separated columns, got 11" --data "$dir/allbad.csv"
bad allbad "no data: all 2 rows of the --data files were skipped as bad" --data "$dir/allbad.csv" --skip-bad
: >"$dir/empty.csv"
bad empty "--data $dir/empty.csv: no data rows" --data "$dir/empty.csv"

# 7. venue-sim (the group's loader) refuses a bad row at start naming file:line
jq --arg f "$dir/bad/$(basename "$D3")" '.venue_sim.binance_kline_csv = [$f]' "$cfg" >"$dir/vs_bad.json"
timeout 20 "$BIN/venue-sim" -c "$dir/vs_bad.json" -i venue-sim.0 >"$dir/vs.out" 2>&1
eq "venue-sim with a bad row: exit 2" "$?" 2
check "venue-sim names file:line" grep -q "$(basename "$D3"):100: open \"abc\"" "$dir/vs.out"

# 8. the window is venue-sim's (venue_sim.from/to): the group's replay keeps the same bars
# and makes the same fills as the backtest's --from/--to
base=$cfg
d0=$dir
want=$(awk -F, -v a="$(date -u -d 2025-11-01T06:00:00Z +%s)000000" \
    -v b="$(date -u -d 2025-11-02T09:00:00Z +%s)000000" '$1 >= a && $1 + 60000000 <= b' \
    "$C/BTCUSDT-1m-2025-11-01.csv" "$C/BTCUSDT-1m-2025-11-02.csv" | wc -l)
gcfg=$(make_config groupwin tests/integration/small.json max)
jq '.venue_sim.from = "2025-11-01T06:00" | .venue_sim.to = "2025-11-02T09:00Z"' "$gcfg" >"$gcfg.tmp" &&
    mv "$gcfg.tmp" "$gcfg"
check "the group replays the window venue_sim.from .. venue_sim.to" run_group "$gcfg"
g=$(dirname "$gcfg")/tradepipe.db
dir=$d0
run bwin --from 2025-11-01T06:00 --to 2025-11-02T09:00Z
eq "backtest --from/--to on the config's own data: exit 0" "$rc" 0
eq "the group's bars: those of the window in the files" "$(bars "$g")" "$want"
eq "the backtest's bars: the same" "$(bars "$dir/bwin.db")" "$want"
nf=$(sql "$g" "SELECT count(*) FROM fills")
check "the group and the backtest make the same fills in the window ($nf)" \
    [ "$(fills "$g")" = "$(fills "$dir/bwin.db")" ]
cfg=$base

finish
