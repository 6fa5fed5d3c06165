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
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$rows"; }
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
awk -F'\t' 'BEGIN { printf "%-52s %14s   %-40s %14s %7s\n", "figure", "value", "baseline (same run)", "baseline", "ratio"
                    printf "%-52s %14s   %-40s %14s %7s\n", "------", "-----", "-------------------", "--------", "-----" }
            { printf "%-52s %14s   %-40s %14s %7s\n", $1, $2, $3, $4, $5 }' "$rows"
rm -rf "$tmp"
