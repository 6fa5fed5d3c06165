#!/bin/sh
# Run every benchmark binary and the pipeline benchmark, then print ONE table: the machine line,
# then per figure its value, the baseline measured in the same run, and the ratio.
# Usage: tests/bench/run_bench.sh BUILD_DIR bench_a bench_b ...
# A benchmark binary prints free text (shown under "details") and, optionally, table rows
#   TABLE<TAB>figure<TAB>value<TAB>baseline<TAB>baseline value<TAB>ratio
# which are gathered here; one without TABLE rows gets a row pointing at its details.
# The pipeline part (needs build/bin/* and supervisord) runs the default config (the whole
# November 2025 replay at full speed) in a private run directory and measures: wall seconds,
# bars/s and Bybit L2 events/s (baseline: reading and splitting the same input files with awk),
# tick -> order and tick -> fill latency from the recorded origin stamps (baseline: the raw
# 4-hop libzmq chain of bench_recorder, same message size), and each stage's resident memory
# at the end (baseline: an idle process with the same libraries and one PUB, rec_load).
build=$1
shift
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here" || exit 1
machine="machine: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores, $(uname -sr)"
tmp=$(mktemp -d /tmp/tp-bench.XXXXXX)
chmod 0700 "$tmp"
rows=$tmp/rows
details=$tmp/details
: >"$rows"
: >"$details"
row() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" "$6" >>"$rows"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

chain_p50=; chain_p99=; chain_p999=
for b in "$@"; do
    echo "== $b" >>"$details"
    if ! "$build/bin/$b" >"$tmp/$b.out" 2>&1; then
        echo "$b failed (exit $?)" >>"$details"
    fi
    grep -v '^TABLE	\|^CHAIN	' "$tmp/$b.out" >>"$details"
    if grep -q '^TABLE	' "$tmp/$b.out"; then
        grep '^TABLE	' "$tmp/$b.out" | cut -f2- >>"$rows"
    else
        row "$b" "see details" "-" "-" "-"
    fi
    if grep -q '^CHAIN	' "$tmp/$b.out"; then
        chain_p50=$(grep '^CHAIN	' "$tmp/$b.out" | cut -f2)
        chain_p99=$(grep '^CHAIN	' "$tmp/$b.out" | cut -f3)
        chain_p999=$(grep '^CHAIN	' "$tmp/$b.out" | cut -f4)
    fi
done

# ---- the pipeline: default config, whole month, full speed ----
pipeline() {
    dir=$tmp/run
    mkdir -p "$dir" && chmod 0700 "$dir"
    # venue-sim's port: tools/sv up chooses a free one for the run ({run}/venue-sim.port)
    sed -e "s#\"run_dir\": \"[^\"]*\"#\"run_dir\": \"$dir\"#" config/default.json >"$dir/config.json"
    cfg=$dir/config.json
    t0=$(date +%s.%N)
    tools/sv -c "$cfg" up >/dev/null 2>&1 || { echo "pipeline: supervisord did not start" >>"$details"; return 1; }
    if ! tools/sv -c "$cfg" wait-done 900 >"$tmp/wait.out" 2>&1; then
        cat "$tmp/wait.out" >>"$details"
        echo "pipeline: the replay did not finish" >>"$details"
        tools/sv -c "$cfg" shutdown >/dev/null 2>&1
        return 1
    fi
    t1=$(date +%s.%N)
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    for p in venue-sim feed signal risk executor recorder; do
        pid=$(tools/sv -c "$cfg" pid "tradepipe:$p" 2>/dev/null)
        kb=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
        echo "$p ${kb:-0}" >>"$tmp/rss"
    done
    tools/sv -c "$cfg" stop 'tradepipe:*' >/dev/null 2>&1
    tools/sv -c "$cfg" shutdown >/dev/null 2>&1
    db=$dir/tradepipe.db
    q() { sqlite3 -batch -noheader "$db" "$1"; }
    bars=$(q "select count(*) from events where topic like 'sig.bar.1m.%'")
    l2=$(q "select count(*) from events where topic like 'md.book.bybit-linear.%'")
    # baseline: read and split the same inputs (kline CSV lines, Bybit frames) with awk
    b0=$(date +%s.%N)
    raw_bars=$(cat data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-*.csv |
        awk -F, '{ n++; s += $5 } END { print n }')
    b1=$(date +%s.%N)
    raw_l2=$(awk -F'"topic":"' '/"topic":"orderbook\./ { n++ } END { print n }' \
        data/bybit_v5/bybit_v5_linear_frames.jsonl)
    b2=$(date +%s.%N)
    bars_s=$(awk -v n="$bars" -v w="$wall" 'BEGIN { printf "%.0f", n / w }')
    raw_bars_s=$(awk -v n="$raw_bars" -v a="$b0" -v b="$b1" 'BEGIN { printf "%.0f", n / (b - a) }')
    # the Bybit frames are a short recorded session inside the month's timeline: their rate is
    # over the wall window in which the recorder received them (first to last recv_ts)
    l2_win=$(q "select printf('%.2f', (max(recv_ts) - min(recv_ts)) / 1e9) from events where topic like 'md.book.bybit-linear.%'")
    l2_s=$(awk -v n="$l2" -v w="$l2_win" 'BEGIN { if (w + 0 <= 0) print "-"; else printf "%.0f", n / w }')
    raw_l2_s=$(awk -v n="$raw_l2" -v a="$b1" -v b="$b2" 'BEGIN { printf "%.0f", n / (b - a) }')
    row "replay Nov 2025, group at full speed (wall s)" "$wall" "-" "-" "-"
    row "replay: closed 1m bars/s ($bars bars)" "$bars_s" "awk read+split of the CSVs" "$raw_bars_s" "$(ratio "$bars_s" "$raw_bars_s")"
    row "replay: Bybit L2 events/s ($l2 updates in ${l2_win}s)" "$l2_s" "awk scan of the frames file" "$raw_l2_s" "$(ratio "$l2_s" "$raw_l2_s")"
    # latency percentiles (nearest rank) of ts - origin, us
    pct() { # pct TOPIC_SQL PER_MILLE
        n=$(q "select count(*) from events where $1 and origin > 0")
        [ "$n" -gt 0 ] || { echo "-"; return; }
        k=$(( (n * $2 + 999) / 1000 - 1 ))
        q "select printf('%.1f', (ts - origin) / 1e3) from events where $1 and origin > 0 order by ts - origin limit 1 offset $k"
    }
    for hop in "order:topic = 'risk.order'" "fill:topic = 'exec.fill'"; do
        name=${hop%%:*}
        cond=${hop#*:}
        for pm in 500 990 999; do
            case $pm in 500) lab=p50; base=$chain_p50 ;; 990) lab=p99; base=$chain_p99 ;; *) lab=p99.9; base=$chain_p999 ;; esac
            v=$(pct "$cond" $pm)
            bu=$(awk -v b="$base" 'BEGIN { if (b == "") print "-"; else printf "%.1f", b / 1e3 }')
            row "tick->$name $lab, real processes over ipc (us)" "$v" "raw 4-hop libzmq chain (us)" "$bu" "$(ratio "$v" "$bu")"
        done
    done
    # resident memory; baseline: an idle rec_load (same libraries, one PUB bound)
    "$build/bin/rec_load" -c "$cfg" -i venue-sim.0 --rate 1 >/dev/null 2>&1 &
    lp=$!
    sleep 1
    base_kb=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$lp/status" 2>/dev/null)
    kill -TERM "$lp" 2>/dev/null
    wait "$lp" 2>/dev/null
    while read -r p kb; do
        row "RSS of $p at the end of the run (KiB)" "$kb" "idle process, same libs + 1 PUB (KiB)" "${base_kb:-0}" "$(ratio "$kb" "${base_kb:-0}")"
    done <"$tmp/rss"
}
# ---- the backtest (build/bin/backtest, docs/backtest.md "Speed") ----
# Configs made here from config/default.json (never a new default): "klines" keeps only the
# Binance kline CSV month (and its binance-spot connection), "l2" only the bundled Binance
# USD-M depth/trade file and the Bybit v5 frames, traded by a level_reaction strategy on the
# USD-M book (what tests/integration/lib.inc context_config uses). Each timed backtest is the
# best of 3 runs (a 2-core machine shared with other work); every floor is measured here too.
bt_num() { sed -n "s/$1/\1/p" "$2" | head -n 1; }
bt_best() { # bt_best NAME ARGS...: best-of-3 summary in $tmp/bt/NAME.out, wall (s) on stdout
    name=$1
    shift
    best=
    for _ in 1 2 3; do
        rm -f "$tmp/bt/$name.db"*
        "$build/bin/backtest" "$@" >"$tmp/bt/$name.try" 2>>"$tmp/bt/$name.err" ||
            { echo "backtest $*: failed (exit $?): $(tail -n 2 "$tmp/bt/$name.err")" >>"$details"; return 1; }
        w=$(bt_num '^  wall time *\([0-9.]*\) s.*' "$tmp/bt/$name.try")
        if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then
            best=$w
            cp "$tmp/bt/$name.try" "$tmp/bt/$name.out"
        fi
    done
    echo "$best"
}
met() { # met A OP B (OP: ge or le) -> "met" / "NOT met"
    awk -v a="$1" -v op="$2" -v b="$3" 'BEGIN { ok = (op == "ge") ? (a + 0 >= b + 0) : (a + 0 <= b + 0)
        print ok ? "met" : "NOT met" }'
}
backtest_bench() {
    mkdir -p "$tmp/bt"
    kcfg=$tmp/bt/klines.json
    jq --arg d "$tmp/bt/run" '.run_dir = $d | .venue_sim.bybit_linear_frames = ""
        | .venue_sim.bybit_spot_frames = "" | .venue_sim.binance_usdm_file = ""
        | .feed.connections |= map(select(.label == "binance-spot"))
        | .signal.trade_bars = []' config/default.json >"$kcfg" || return 1
    csvs=$(jq -r '.venue_sim.binance_kline_csv[]' "$kcfg")
    # compute: nothing written (--record none)
    wc_=$(bt_best compute -c "$kcfg" --record none) || return 1
    bars=$(bt_num '^  data *\([0-9]*\) frames.*' "$tmp/bt/compute.out")
    # floor: the raw read and parse of the same CSV files alone (bench_backtest csv)
    # shellcheck disable=SC2086
    "$build/bin/bench_backtest" csv 2 5 $csvs >"$tmp/bt/csv.out" 2>&1 || { cat "$tmp/bt/csv.out" >>"$details"; return 1; }
    csv_rows=$(bt_num '^rows \([0-9]*\) .*' "$tmp/bt/csv.out")
    csv_s=$(bt_num '.* seconds \([0-9.]*\) .*' "$tmp/bt/csv.out")
    c_rate=$(awk -v n="$bars" -v w="$wc_" 'BEGIN { printf "%.0f", n / w }')
    csv_rate=$(awk -v n="$csv_rows" -v w="$csv_s" 'BEGIN { printf "%.0f", n / w }')
    r=$(ratio "$c_rate" "$csv_rate")
    row "backtest compute (bars/s)" "$c_rate" "raw read+parse of the same CSVs (rows/s)" "$csv_rate" "$r" \
        ">=1,000,000: $(met "$c_rate" ge 1000000); >=0.3x: $(met "$r" ge 0.3)"
    # with trading record: signals, orders, fills, positions, balances into SQLite
    wt=$(bt_best trading -c "$kcfg" --record trading --db "$tmp/bt/trading.db") || return 1
    "$build/bin/backtest" -c "$kcfg" --record trading --db "$tmp/bt/trading.keep.db" >/dev/null 2>&1
    rm -f "$tmp/bt/ins.db"*
    "$build/bin/bench_backtest" insert "$tmp/bt/trading.keep.db" "$tmp/bt/ins.db" 5000 >"$tmp/bt/ins_t.out" 2>/dev/null ||
        { echo "bench_backtest insert (trading) failed" >>"$details"; return 1; }
    it_s=$(bt_num '.* seconds \([0-9.]*\)$' "$tmp/bt/ins_t.out")
    it_rows=$(bt_num '^rows \([0-9]*\) .*' "$tmp/bt/ins_t.out")
    t_rate=$(awk -v n="$bars" -v w="$wt" 'BEGIN { printf "%.0f", n / w }')
    bound=$(awk -v c="$wc_" -v i="$it_s" 'BEGIN { printf "%.3f", c + 1.2 * i }')
    bound_rate=$(awk -v n="$bars" -v w="$bound" 'BEGIN { printf "%.0f", n / w }')
    r=$(ratio "$t_rate" "$bound_rate")
    row "backtest with trading record (bars/s)" "$t_rate" "bars / (compute + 1.2x raw insert) s" "$bound_rate" "$r" \
        ">=300,000: $(met "$t_rate" ge 300000); wall<=bound: $(met "$wt" le "$bound")"
    # full record: every message, as the group records it
    wf=$(bt_best full -c "$kcfg" --db "$tmp/bt/full.db") || return 1
    "$build/bin/backtest" -c "$kcfg" --db "$tmp/bt/full.keep.db" >/dev/null 2>&1
    rm -f "$tmp/bt/ins.db"*
    "$build/bin/bench_backtest" insert "$tmp/bt/full.keep.db" "$tmp/bt/ins.db" 5000 >"$tmp/bt/ins_f.out" 2>/dev/null ||
        { echo "bench_backtest insert (full) failed" >>"$details"; return 1; }
    if_s=$(bt_num '.* seconds \([0-9.]*\)$' "$tmp/bt/ins_f.out")
    if_rows=$(bt_num '^rows \([0-9]*\) .*' "$tmp/bt/ins_f.out")
    msgs=$(bt_num '^  messages .* delivered, \([0-9]*\) recorded$' "$tmp/bt/full.out")
    f_rate=$(awk -v n="$msgs" -v w="$wf" 'BEGIN { printf "%.0f", n / w }')
    fi_rate=$(awk -v n="$msgs" -v w="$if_s" 'BEGIN { printf "%.0f", n / w }')
    r=$(ratio "$f_rate" "$fi_rate")
    row "backtest full record (msgs/s)" "$f_rate" "raw batched insert, same rows (msgs/s)" "$fi_rate" "$r" ">=0.6x: $(met "$r" ge 0.6)"
    # L2: parsers, books, signal, risk, paper fills vs the feed's parse + book apply alone
    lcfg=$tmp/bt/l2.json
    jq --arg d "$tmp/bt/run" '.run_dir = $d | .venue_sim.binance_kline_csv = []
        | .feed.connections |= map(select(.label != "binance-spot"))
        | .signal.strategies = [{"name": "level.btc", "type": "level_reaction",
            "venue": "binance-usdm", "symbol": "BTCUSDT", "tf_s": 5, "swing_n": 3,
            "min_strength": 20, "flow_n": 20, "near_bp": 3}]
        | .signal.trade_bars = [{"venue": "bybit-linear", "symbol": "BTCUSDT", "tf_s": 1},
                                {"venue": "binance-usdm", "symbol": "BTCUSDT", "tf_s": 5}]' \
        config/default.json >"$lcfg" || return 1
    bt_best l2 -c "$lcfg" --record none >/dev/null || return 1
    bt_best l2feed -c "$lcfg" --record none --feed-only >/dev/null || return 1
    ev=$(bt_num '^  data .* frames, \([0-9]*\) handed.*' "$tmp/bt/l2.out")
    l2_run=$(bt_num '^  wall time .*run \([0-9.]*\) s).*' "$tmp/bt/l2.out")
    l2f_run=$(bt_num '^  wall time .*run \([0-9.]*\) s).*' "$tmp/bt/l2feed.out")
    l2_rate=$(awk -v n="$ev" -v w="$l2_run" 'BEGIN { printf "%.0f", n / w }')
    l2f_rate=$(awk -v n="$ev" -v w="$l2f_run" 'BEGIN { printf "%.0f", n / w }')
    r=$(ratio "$l2_rate" "$l2f_rate")
    row "backtest L2 (events/s)" "$l2_rate" "feed parse + book apply alone (events/s)" "$l2f_rate" "$r" ">=0.7x: $(met "$r" ge 0.7)"
    # peak RSS over a long file: the month, and the month repeated twelve times with shifted
    # dates (12 files of 43,200 rows, each month's times moved on by 30 days; generated here)
    mkdir -p "$tmp/bt/long"
    k=0
    while [ $k -lt 12 ]; do
        # shellcheck disable=SC2086
        cat $csvs | awk -F, -v OFS=, -v k=$k '{
            d = ($1 > 1e14) ? 2592000000000 : 2592000000; $1 = sprintf("%.0f", $1 + k * d);
            $7 = sprintf("%.0f", $7 + k * d); print }' >"$tmp/bt/long/m$k.csv"
        k=$((k + 1))
    done
    jq --arg d "$tmp/bt/long" '.venue_sim.binance_kline_csv = [range(12) | "\($d)/m\(.).csv"]' \
        "$kcfg" >"$tmp/bt/long.json" || return 1
    rss1=$(bt_num '^  peak RSS *\([0-9]*\) KiB' "$tmp/bt/compute.out")
    "$build/bin/backtest" -c "$tmp/bt/long.json" --record none >"$tmp/bt/long.out" 2>"$tmp/bt/long.err" ||
        { echo "backtest over the 12 months failed" >>"$details"; cat "$tmp/bt/long.err" >>"$details"; return 1; }
    rss12=$(bt_num '^  peak RSS *\([0-9]*\) KiB' "$tmp/bt/long.out")
    bars12=$(bt_num '^  data *\([0-9]*\) frames.*' "$tmp/bt/long.out")
    row "backtest peak RSS, the month ($bars bars) (KiB)" "$rss1" "-" "-" "-"
    r=$(ratio "$rss12" "$rss1")
    row "backtest peak RSS, month x12 shifted ($bars12 bars) (KiB)" "$rss12" "the month's peak RSS (KiB)" "$rss1" "$r" \
        "flat (<=1.2x): $(met "$r" le 1.2)"
    # the same two with a strategy that never enters (rsi_long_max 0): what the data costs
    # alone, without the executor's order table (it keeps every order of a run)
    jq '.signal.strategies[0].rsi_long_max = 0' "$kcfg" >"$tmp/bt/k_nt.json" &&
        jq '.signal.strategies[0].rsi_long_max = 0' "$tmp/bt/long.json" >"$tmp/bt/long_nt.json" || return 1
    "$build/bin/backtest" -c "$tmp/bt/k_nt.json" --record none >"$tmp/bt/k_nt.out" 2>/dev/null &&
        "$build/bin/backtest" -c "$tmp/bt/long_nt.json" --record none >"$tmp/bt/long_nt.out" 2>/dev/null ||
        { echo "backtest without orders failed" >>"$details"; return 1; }
    n1=$(bt_num '^  peak RSS *\([0-9]*\) KiB' "$tmp/bt/k_nt.out")
    n12=$(bt_num '^  peak RSS *\([0-9]*\) KiB' "$tmp/bt/long_nt.out")
    r=$(ratio "$n12" "$n1")
    row "backtest peak RSS, month x12 shifted, no orders (KiB)" "$n12" "the month's, no orders (KiB)" "$n1" "$r" \
        "flat (<=1.2x): $(met "$r" le 1.2)"
    cpu() { sed -n 's/^  cpu time *\([0-9.]*\) s user, \([0-9.]*\) s system.*/\1 \2/p' "$1" | awk '{ printf "%.3f", $1 + $2 }'; }
    {
        echo "backtest: cpu seconds (user + system) of the best runs, for a loaded machine: compute $(cpu "$tmp/bt/compute.out"), trading $(cpu "$tmp/bt/trading.out"), full $(cpu "$tmp/bt/full.out"), L2 $(cpu "$tmp/bt/l2.out"), L2 feed alone $(cpu "$tmp/bt/l2feed.out") (load included)"
        echo "backtest: klines-only month $bars bars; compute best wall ${wc_}s; raw CSV read+parse ${csv_s}s ($csv_rows rows)"
        echo "backtest: trading record best wall ${wt}s; raw batched insert of its $it_rows rows ${it_s}s; bound compute + 1.2 x insert = ${bound}s"
        echo "backtest: full record best wall ${wf}s, $msgs messages; raw batched insert of its $if_rows rows ${if_s}s"
        echo "backtest: L2 $ev frames; run ${l2_run}s through the whole pipeline, ${l2f_run}s feed alone (load excluded in both)"
        echo "backtest: month x12 $bars12 bars, wall $(bt_num '^  wall time *\([0-9.]*\) s.*' "$tmp/bt/long.out")s, peak RSS $rss12 KiB (month: $rss1 KiB)"
    } >>"$details"
}
if [ -x "$build/bin/backtest" ] && [ -x "$build/bin/bench_backtest" ] && command -v jq >/dev/null 2>&1; then
    backtest_bench || echo "backtest benchmark: failed (see above)" >>"$details"
else
    echo "backtest benchmark skipped: build/bin/backtest, bench_backtest or jq missing" >>"$details"
fi

if [ -x "$build/bin/recorder" ] && command -v supervisord >/dev/null 2>&1; then
    pipeline
else
    echo "pipeline benchmark skipped: build/bin/* or supervisord missing" >>"$details"
fi

# ---- sweep speed-up (btsweep): 16 combinations of tests/integration/small.json (two days of 1m
# klines) through backtest --grid, all cores (-j N, N = nproc) against one at a time (-j 1), the
# same runs in the same bench run; figure = wall(-j 1) / wall(-j N). The machine may be shared:
# two rounds, alternating -j 1 and -j N, and the shorter wall of each is taken
sweep_bench() {
    sdir=$tmp/sweep
    mkdir -p "$sdir/tmp" && chmod 0700 "$sdir"
    sed -e "s#\"run_dir\": \"[^\"]*\"#\"run_dir\": \"$sdir\"#" tests/integration/small.json >"$sdir/config.json"
    ncores=$(nproc)
    wall_1=; wall_n=; walls=
    for round in 1 2; do
        for j in 1 "$ncores"; do
            s0=$(date +%s.%N)
            if ! TMPDIR=$sdir/tmp "$build/bin/backtest" -c "$sdir/config.json" \
                --grid 'signal.strategies[0].fast=10,20,30,50' \
                --grid 'signal.strategies[0].slow=100:250:50' -j "$j" \
                >"$sdir/j$j.out" 2>"$sdir/j$j.err"; then
                echo "sweep -j $j failed:" >>"$details"
                tail -n 5 "$sdir/j$j.err" >>"$details"
                return 1
            fi
            w=$(awk -v a="$s0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
            walls="$walls -j $j: $w s;"
            if [ "$j" = 1 ] && [ "$ncores" != 1 ]; then
                wall_1=$(awk -v a="$w" -v b="${wall_1:-1e9}" 'BEGIN { print (a < b) ? a : b }')
            else
                wall_n=$(awk -v a="$w" -v b="${wall_n:-1e9}" 'BEGIN { print (a < b) ? a : b }')
                [ "$ncores" = 1 ] && wall_1=$wall_n
            fi
        done
    done
    up=$(ratio "$wall_1" "$wall_n")
    echo "sweep: 16 runs of small.json, two rounds:$walls best -j 1 ${wall_1} s, -j $ncores ${wall_n} s: $up x on $ncores cores (target >= 1.8 x on 2); load average now $(cut -d' ' -f1-3 /proc/loadavg)" >>"$details"
    row "sweep speed-up (x)" "$up" "16 runs one at a time, -j 1 (wall s)" "$wall_1" "$up"
}
if [ -x "$build/bin/backtest" ]; then
    sweep_bench
else
    echo "sweep benchmark skipped: build/bin/backtest missing" >>"$details"
fi

echo "$machine"
echo "details:"
sed 's/^/  /' "$details"
echo
echo "$machine"
awk -F'\t' 'BEGIN { printf "%-52s %14s   %-40s %14s %7s   %s\n", "figure", "value", "baseline (same run)", "baseline", "ratio", "target"
                    printf "%-52s %14s   %-40s %14s %7s   %s\n", "------", "-----", "-------------------", "--------", "-----", "------" }
            { printf "%-52s %14s   %-40s %14s %7s   %s\n", $1, $2, $3, $4, $5, $6 }' "$rows"
rm -rf "$tmp"
