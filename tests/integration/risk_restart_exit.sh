# risk_restart_exit.sh - restart without a hole, the exit part: "kill -9 risk while a position is
# open mid-replay ... the position's stop and targets are still managed (the exit fires where the
# uninterrupted run fired it)".
# Per scenario: replay A runs uninterrupted; replay B (paced, lockstep) kills risk with -9 while
# it holds the position just before a risk-managed exit (stop_loss / take_profit, not a signal)
# that A sent; supervisord restarts risk (autorestart "unexpected"), it restores its state file,
# rejoins the lockstep at the step in flight (common/step.h "Restart mid-replay") and must send
# that exit as A did: same evt, intent, side, qty, and the same fill; then every risk.order of B
# must equal A's. The lockstep stalls while risk is down, so risk loses only the messages of the
# step in flight; the chosen exit comes many steps (minutes of event time) after the kill, so it is
# driven by the price updates after the rejoin and must be identical.
# The small config's exits are signal exits (intent "exit"), which do not exercise risk's own stop
# and target monitoring, so the scenarios set risk exits:
#  target: stop 0.3 %, one take-profit rung 0.25 % (close 100 %), both kline days; A closes the
#          BTC position opened at 2025-11-01T15:12Z by take_profit 5700 s later: kill inside it.
#  ladder: stop 0.5 %, rungs 0.2/0.5/0.8 % closing 33/33/34 %, kline day 2 only; A sends rung 3
#          10620 s after rung 2: kill between rungs 2 and 3 (the restored ladder stage must fire
#          rung 3, with the qty left).
# B paces linearly in event time (venue_sim.idle_cap_ms 60000 instead of a 5 s cap per idle gap)
# so the chosen interval lasts interval / speed of wall time (1.4 s and 2.7 s at 4000x).
. tests/integration/lib.inc

speed=${TP_RESTART_SPEED:-4000}
KL=data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11
orders_q="select evt, json_extract(body, '\$.intent'), json_extract(body, '\$.side'),
    json_extract(body, '\$.symbol'), json_extract(body, '\$.qty'), json_extract(body, '\$.qty_scale')
    from events where topic = 'risk.order' order by evt, id"

# scenario NAME RISK_JSON KLINE_CSV_JSON
scenario() {
    name=$1
    cfg_a=$(make_config "${name}A" tests/integration/small.json max)
    cfg_b=$(make_config "${name}B" tests/integration/small.json "$speed")
    for c in "$cfg_a" "$cfg_b"; do
        jq --argjson r "$2" --argjson k "$3" \
            '.risk += $r | .venue_sim.idle_cap_ms = 60000 | .venue_sim.binance_kline_csv = $k' \
            "$c" >"$c.tmp" && mv "$c.tmp" "$c"
    done
    db_a=$(dirname "$cfg_a")/tradepipe.db
    dir_b=$(dirname "$cfg_b")
    db_b=$dir_b/tradepipe.db
    oa=$TMP_ROOT/$name.orders_a
    ob=$TMP_ROOT/$name.orders_b

    check "$name: replay A (uninterrupted) runs to the end" run_group "$cfg_a"
    sql "$db_a" "$orders_q" >"$oa"
    # the longest interval from an entry or exit of a position to its next risk-managed exit;
    # prints: entry evt | qty left before that exit | the exit row | interval in s
    pick=$(awk -F'|' '
        $2 == "entry" { e = $1; last = $1; left = $5; next }
        e != "" && ($2 == "stop_loss" || $2 == "take_profit") && $1 - last > best {
            best = $1 - last; pe = e; pl = left; px = $1 "|" $2 "|" $3 "|" $4 "|" $5 }
        e != "" { last = $1; left -= $5 }
        END { if (best > 0) print pe "#" pl "#" px "#" best / 1e9 }' "$oa")
    entry_evt=$(echo "$pick" | cut -d'#' -f1)
    left=$(echo "$pick" | cut -d'#' -f2)
    exit_a=$(echo "$pick" | cut -d'#' -f3)
    gap_s=$(echo "$pick" | cut -d'#' -f4)
    check "$name: A sends a risk-managed exit ($exit_a, $gap_s s after the order before it, qty left $left)" \
        test -n "$exit_a"
    exit_evt=${exit_a%%|*}
    sym=$(echo "$exit_a" | cut -d'|' -f4)
    qscale=$(awk -F'|' -v t="$exit_evt" '$1 == t { print $6; exit }' "$oa")
    entry_px=$(sql "$db_a" "select px from fills where evt = ${entry_evt:-0} limit 1")
    exit_fill_a=$(sql "$db_a" "select side, px, qty from fills where evt = ${exit_evt:-0} order by id")

    CTL="$BIN/ctl -c $cfg_b"
    check "$name: replay B starts under supervisord (paced at speed $speed)" \
        sh -c "tools/sv -c '$cfg_b' up >/dev/null 2>&1"
    # wait until risk holds that position (A's entry fill price) with A's qty left, no exit pending
    sel="[.positions[] | select(.symbol == \"$sym\" and .entry_id == \"\" and (.exit_pending | not)
        and (.entry_px | tonumber) == (\"${entry_px:-0}\" | tonumber)
        and ((.qty | tonumber) * pow(10; ${qscale:-0}) | round) == ${left:-0})] | length"
    n=0
    before=""
    while [ -n "$exit_a" ] && [ $n -lt 3000 ]; do
        st=$($CTL status risk.0 2>/dev/null)
        if [ "$(echo "$st" | jq -r "$sel" 2>/dev/null)" = "1" ]; then
            before=$st
            break
        fi
        sleep 0.05
        n=$((n + 1))
    done
    check "$name: B: risk holds the position (entry px $entry_px, qty left $left, no exit pending)" \
        test -n "$before"
    pid=$(echo "$before" | jq -r .pid)
    [ -n "$pid" ] && kill -9 "$pid"
    diag "kill -9 risk (pid $pid) holding $(echo "$before" | jq -c '.positions')"
    up() {
        p=$($CTL status risk.0 2>/dev/null | jq -r .pid 2>/dev/null)
        [ -n "$pid" ] && [ -n "$p" ] && [ "$p" != "$pid" ] &&
            [ "$($CTL status risk.0 2>/dev/null | jq -r .risk_state 2>/dev/null)" = "RUNNING" ]
    }
    m=0
    while [ $m -lt 150 ] && ! up; do sleep 0.2; m=$((m + 1)); done
    check "$name: supervisord restarted risk; it rebuilt its state (RUNNING)" up
    if $CTL wait-state venue-sim.0 done --max-wait 300 >"$dir_b/ctl.out" 2>&1; then
        ok "$name: B: the replay runs to the end after the restart"
    else
        not_ok "$name: B: the replay did not finish after the restart: $(tail -c 300 "$dir_b/ctl.out")"
        tail -n 5 "$dir_b"/log/*.log | sed 's/^/# /'
    fi
    tools/sv -c "$cfg_b" stop 'tradepipe:*' >/dev/null 2>&1
    tools/sv -c "$cfg_b" shutdown >/dev/null 2>&1
    check "$name: B: every stage stopped cleanly" \
        sh -c "! grep -q 'stopped: .*(exit status [1-9]' '$dir_b/log/supervisord.log'"

    sql "$db_b" "$orders_q" >"$ob"
    eq "$name: B: risk.0 shows two epochs (the restart)" \
        "$(sql "$db_b" "select count(distinct epoch) from events where src = 'risk.0'")" 2
    first_b=$(awk -F'|' -v t="${exit_evt:-0}" -v s="$sym" '$1 >= t && $4 == s {
        print $1 "|" $2 "|" $3 "|" $4 "|" $5; exit }' "$ob")
    eq "$name: B: the next order of the position is A's exit (evt|intent|side|symbol|qty)" \
        "$first_b" "$exit_a"
    eq "$name: B: that exit was sent by the restarted risk (its epoch)" \
        "$(sql "$db_b" "select epoch = (select max(epoch) from events where src = 'risk.0') from events
            where topic = 'risk.order' and evt = ${exit_evt:-0} and src = 'risk.0' limit 1")" 1
    eq "$name: B: the exit fill equals A's (side|px|qty)" \
        "$(sql "$db_b" "select side, px, qty from fills where evt = ${exit_evt:-0} order by id")" \
        "$exit_fill_a"
    check "$name: B: every risk.order equals A's ($(wc -l <"$oa") orders)" cmp -s "$oa" "$ob"
    if ! cmp -s "$oa" "$ob"; then
        diff "$oa" "$ob" | sed 's/^/# /'
    fi
    grep -h "restored\|joined the replay" "$dir_b/log/risk.log" | tail -n 3 | sed 's/^/# /'
    grep -h "risk" "$dir_b/log/supervisord.log" | grep "SIGKILL\|spawned" | tail -n 2 | sed 's/^/# /'
}

scenario target \
    '{"stop_mode":"pct","stop_pct":"0.3","exits":{"tp_ladder_pct":["0.25"],"tp_ladder_close_pct":["100"]}}' \
    "[\"$KL-01.csv\", \"$KL-02.csv\"]"
scenario ladder \
    '{"stop_mode":"pct","stop_pct":"0.5","exits":{"tp_ladder_pct":["0.2","0.5","0.8"],"tp_ladder_close_pct":["33","33","34"]}}' \
    "[\"$KL-02.csv\"]"
finish
