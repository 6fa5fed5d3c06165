#!/bin/sh
# gateway_bench.sh - what the gateway costs the pipeline, and how it answers under load
# (issue 12): the default config's replay at full speed twice in this run, without the gateway
# (gateway.0 removed) and with it and 20 Server-Sent Events clients attached, and tick -> order
# latency (ts - origin of risk.order, nearest-rank percentiles) compared; then, with the group
# still up, GET /api/v1/status at 200 requests/s for 10 s (Debian's `hey`: 20 workers x 10/s)
# and its p50/p99, and the gateway's resident memory.
# Usage: tests/bench/gateway_bench.sh BUILD_DIR      (make bench runs it after run_bench.sh)
# Prints one table like run_bench.sh: figure, value, baseline (same run), baseline value, ratio.
build=${1:-build}
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here" || exit 1
tmp=$(mktemp -d /tmp/tp-gwbench.XXXXXX)
chmod 0700 "$tmp"
rows=$tmp/rows
: >"$rows"
row() { printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$5" >>"$rows"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }
RTOK=bench-read-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')

# one replay: run NAME WITH_GATEWAY(0|1) -> $tmp/NAME/tradepipe.db
run() {
    dir=$tmp/$1
    mkdir -p "$dir" && chmod 0700 "$dir"
    sed -e "s#\"run_dir\": \"[^\"]*\"#\"run_dir\": \"$dir\"#" config/default.json >"$dir/config.json"
    cfg=$dir/config.json
    if [ "$2" = 0 ]; then
        jq 'del(.endpoints["gateway.0"])' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
    fi
    TP_GATEWAY_READ_TOKEN=$RTOK tools/sv -c "$cfg" up >/dev/null 2>&1 || { echo "$1: supervisord did not start"; return 1; }
    sse_pids=
    if [ "$2" = 1 ]; then
        n=0
        while [ ! -s "$dir/gateway.port" ] && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
        port=$(cat "$dir/gateway.port")
        i=0
        while [ $i -lt 20 ]; do
            curl -s -N -H "Authorization: Bearer $RTOK" "http://127.0.0.1:$port/api/v1/events" \
                >"$dir/sse.$i" 2>/dev/null &
            sse_pids="$sse_pids $!"
            i=$((i + 1))
        done
    fi
    tools/sv -c "$cfg" wait-done 900 >"$dir/wait.out" 2>&1 || { cat "$dir/wait.out"; }
    if [ "$2" = 1 ]; then
        ev=$(grep -c '^id: ' "$dir/sse.0")
        echo "$1: the first SSE client got $ev events"
        if command -v hey >/dev/null 2>&1; then
            hey -z 10s -c 20 -q 10 -H "Authorization: Bearer $RTOK" \
                "http://127.0.0.1:$port/api/v1/status" >"$dir/hey.out" 2>&1
            p50=$(awk '/ 50%% in / || / 50% in / { print $3 * 1000 }' "$dir/hey.out")
            p99=$(awk '/ 99% in / { print $3 * 1000 }' "$dir/hey.out")
            rps=$(awk '/Requests\/sec:/ { print $2 }' "$dir/hey.out")
            ok=$(awk '/\[200\]/ { print $2 }' "$dir/hey.out")
            row "GET /api/v1/status p50 under load, ${rps} req/s (ms)" "$p50" "-" "-" "-"
            row "GET /api/v1/status p99 under load, $ok x 200 in 10 s (ms)" "$p99" "-" "-" "-"
        else
            echo "no hey (Debian package hey): the status load is skipped"
        fi
        pid=$(tools/sv -c "$cfg" pid tradepipe:gateway 2>/dev/null)
        kb=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$pid/status" 2>/dev/null)
        rpid=$(tools/sv -c "$cfg" pid tradepipe:risk 2>/dev/null)
        rkb=$(sed -n 's/^VmRSS:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$rpid/status" 2>/dev/null)
        row "RSS of the gateway, 20 SSE clients, after the load (KiB)" "${kb:-0}" "RSS of risk, same run (KiB)" "${rkb:-0}" "$(ratio "${kb:-0}" "${rkb:-0}")"
        for p in $sse_pids; do kill "$p" 2>/dev/null; done
    fi
    tools/sv -c "$cfg" stop 'tradepipe:*' >/dev/null 2>&1
    tools/sv -c "$cfg" shutdown >/dev/null 2>&1
}
pct() { # pct DB PER_MILLE: tick -> order percentile, us
    n=$(sqlite3 -batch -noheader "$1" "select count(*) from events where topic = 'risk.order' and origin > 0")
    [ "$n" -gt 0 ] 2>/dev/null || { echo "-"; return; }
    k=$(((n * $2 + 999) / 1000 - 1))
    sqlite3 -batch -noheader "$1" "select printf('%.1f', (ts - origin) / 1e3) from events where topic = 'risk.order' and origin > 0 order by ts - origin limit 1 offset $k"
}
run without 0
run with 1
for pm in 500 990; do
    lab=$([ $pm = 500 ] && echo p50 || echo p99)
    a=$(pct "$tmp/with/tradepipe.db" $pm)
    b=$(pct "$tmp/without/tradepipe.db" $pm)
    row "tick->order $lab, gateway + 20 SSE clients (us)" "$a" "the same replay without the gateway" "$b" "$(ratio "$a" "$b")"
done
echo "machine: $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), $(nproc) cores"
awk -F'\t' 'BEGIN { printf "%-58s %10s   %-40s %10s %7s\n", "figure", "value", "baseline (same run)", "baseline", "ratio" }
            { printf "%-58s %10s   %-40s %10s %7s\n", $1, $2, $3, $4, $5 }' "$rows"
rm -rf "$tmp"
