# feed_faults.sh - the feed recovers from every venue-sim fault over real WebSocket, and after
# each recovery the book it publishes equals the book rebuilt independently from the frames
# venue-sim really sent (tests/unit/feed/fault_check.c, venue-sim --fault-dump).
# Mode "live" + venue_sim.lockstep false (docs/feed.md "Faults and recovery"): faults that drop
# or skip frames would break replay barrier counts, so the feed takes frames on arrival here.
. tests/integration/lib.inc

# field VALUE-NAME FILE: the number after "name " in fault_check's output
field() { sed -n "s/^$1 \([0-9-]*\)$/\1/p" "$2" | head -n 1; }
# counter NAME STATUS-JSON-FILE
counter() { grep -o "\"$1\":[0-9]*" "$2" | head -n 1 | cut -d: -f2; }

# start_pair NAME CONFIG LABEL [venue-sim fault args...]: venue-sim + checker + feed.0
start_pair() {
    name=$1 cfg=$2 label=$3
    shift 3
    dir=$(dirname "$cfg")
    "$BIN/venue-sim" -c "$cfg" -i venue-sim.0 --fault-dump "$label=$dir/dump.txt" "$@" \
        >"$dir/venue-sim.log" 2>&1 &
    VS_PID=$!
    "$BIN/fault_check" "ipc://$dir/feed.0.pub" "$label" "$dir/dump.txt" "$dir/stop" \
        >"$dir/check.out" 2>&1 &
    FC_PID=$!
    sleep 0.3
    "$BIN/feed" -c "$cfg" -i feed.0 >"$dir/feed.log" 2>&1 &
    FEED_PID=$!
}

# stop_pair CONFIG: wait for the end of the replay, stop the checker, save feed's status
stop_pair() {
    cfg=$1
    dir=$(dirname "$cfg")
    if "$BIN/ctl" -c "$cfg" wait-state venue-sim.0 done --max-wait 60 >"$dir/wait.out" 2>&1; then
        ok "$name: venue-sim replayed everything"
    else
        not_ok "$name: venue-sim did not finish: $(tail -c 300 "$dir/wait.out")"
    fi
    sleep 1
    "$BIN/ctl" -c "$cfg" status feed.0 >"$dir/feed.status" 2>&1
    touch "$dir/stop"
    wait $FC_PID
    kill $FEED_PID $VS_PID 2>/dev/null
    wait $FEED_PID $VS_PID 2>/dev/null
    grep -v '^unmatched\|^mismatch\|^  level' "$dir/check.out" | grep -v '^status ' | sed 's/^/# /'
}

# 0. a bad fault spec is refused at start (exit 2)
cfg=$(make_config spec tests/integration/feed_faults.json max)
timeout 10 "$BIN/venue-sim" -c "$cfg" -i venue-sim.0 --fault "explode bybit-linear 3" \
    >"$(dirname "$cfg")/out" 2>&1
eq "venue-sim refuses an unknown fault (exit code)" "$?" 2

# 1. Bybit linear: REST 503, malformed frames (cut, wrong types, unknown topic), a sequence gap
#    (6 frames skipped), a dropped connection, a refused resubscribe, a stall (control socket)
#    that the silence timeout turns into a reconnect
name=bybit
cfg=$(make_config bybit tests/integration/feed_faults.json 4)
d=$(dirname "$cfg")
start_pair bybit "$cfg" bybit-linear \
    --fault "rest-error /v5/market/instruments-info 503 1" \
    --fault "malformed bybit-linear cut @200" --fault "malformed bybit-linear type @210" \
    --fault "malformed bybit-linear topic @220" --fault "skip bybit-linear 6 @400" \
    --fault "drop-after bybit-linear 900" --fault "refuse-sub bybit-linear 1 @900"
sleep 2
# armed now, fires after 1300 frames: between the drop (900) and the end (~1870), by count
"$BIN/ctl" -c "$cfg" fault venue-sim.0 stall bybit-linear 2 @1300 >"$d/ctl.out" 2>&1
check "bybit: control socket arms a stall" grep -q '"ok":true' "$d/ctl.out"
"$BIN/ctl" -c "$cfg" fault venue-sim.0 stall >"$d/ctl_bad.out" 2>&1
check "bybit: control socket refuses a bad fault" grep -q '"ok":false' "$d/ctl_bad.out"
stop_pair "$cfg"
o=$d/check.out
books=$(field books "$o")
check "bybit: books published ($books > 1000)" [ "${books:-0}" -gt 1000 ]
eq "bybit: every published book equals the rebuilt one" "$(field matched "$o")" "$books"
eq "bybit: mismatched books" "$(field mismatched "$o")" 0
eq "bybit: published books without a rebuilt twin" "$(field unmatched "$o")" 0
eq "bybit: last book equal per symbol" "$(field last_equal "$o")" 4
eq "bybit: crossed books published" "$(field crossed_published "$o")" 0
gaps=$(field rebuilt_gaps "$o")
check "bybit: the skip made sequence gaps ($gaps)" [ "${gaps:-0}" -ge 1 ]
eq "bybit: feed resyncs = gaps in the frames sent" "$(counter resyncs "$d/feed.status")" "$gaps"
check "bybit: books after the last resync ($(field books_after_last_resync "$o"))" \
    [ "$(field books_after_last_resync "$o")" -gt 0 ]
for k in bad_json bad_field unknown_topic; do
    v=$(counter $k "$d/feed.status")
    check "bybit: malformed frame counted in $k ($v)" [ "${v:-0}" -ge 1 ]
done
# (the log, not md.status: this happens before the checker's SUB has surely joined)
check "bybit: REST 503 -> reconnect" grep -q "connection closed (instruments-info unavailable)" \
    "$d/feed.log"
check "bybit: refused subscribe -> reconnect" grep -q "^status disconnected - subscribe refused" "$o"
check "bybit: stall -> silent connection dropped" grep -q "^status disconnected - silent for" "$o"
check "bybit: stale published before the drop" grep -q "^status stale - no frame for" "$o"
check "bybit: gap -> md.status resync with the reason" grep -q "^status resync .* orderbook gap: u" "$o"
check "bybit: reconnect -> resync until the snapshot" \
    grep -q "^status resync .* reconnected: waiting for the snapshot" "$o"
check "bybit: clock skew over the bound published (recorded 2026-08 stamps)" \
    grep -q "^status skew - clock skew" "$o"
r=$(counter reconnects "$d/feed.status")
check "bybit: reconnects ($r >= 4: REST, drop, refuse, silence)" [ "${r:-0}" -ge 4 ]

# 2. Binance USD-M: REST 429 on the first depth call, malformed frames, a pu gap (-> fresh REST
#    sync), a dropped connection, a stall
name=binance
cfg=$(make_config binance tests/integration/feed_faults_binance.json 40)
d=$(dirname "$cfg")
start_pair binance "$cfg" binance-usdm \
    --fault "rest-error /usdm/fapi/v1/depth 429 1" --fault "malformed binance-usdm type @500" \
    --fault "malformed binance-usdm topic @510" --fault "malformed binance-usdm cut @520" \
    --fault "skip binance-usdm 3 @3000" --fault "drop-after binance-usdm 8000"
sleep 2
"$BIN/ctl" -c "$cfg" fault venue-sim.0 stall binance-usdm 2 @5000 >"$d/ctl.out" 2>&1
check "binance: control socket arms a stall" grep -q '"ok":true' "$d/ctl.out"
stop_pair "$cfg"
o=$d/check.out
books=$(field books "$o")
check "binance: books published ($books > 1000)" [ "${books:-0}" -gt 1000 ]
eq "binance: every published book equals the rebuilt one" "$(field matched "$o")" "$books"
eq "binance: mismatched books" "$(field mismatched "$o")" 0
eq "binance: published books without a rebuilt twin" "$(field unmatched "$o")" 0
eq "binance: last book equal" "$(field last_equal "$o")" 1
check "binance: pu gap -> resync" grep -q "^status resync BTCUSDT depth sequence break (pu != previous u)" "$o"
check "binance: reconnect -> resync until the REST sync" \
    grep -q "^status resync BTCUSDT reconnected: waiting for the REST depth sync" "$o"
check "binance: books after the last resync ($(field books_after_last_resync "$o"))" \
    [ "$(field books_after_last_resync "$o")" -gt 0 ]
check "binance: REST 429 answered and retried" grep -q "REST /usdm/fapi/v1/depth answered 429" \
    "$d/venue-sim.log"
for k in bad_json bad_field unknown_topic; do
    v=$(counter $k "$d/feed.status")
    check "binance: malformed frame counted in $k ($v)" [ "${v:-0}" -ge 1 ]
done

finish
