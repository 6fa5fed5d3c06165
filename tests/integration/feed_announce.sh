# feed_announce.sh - in live mode the feed repeats md.instrument every feed.announce_s, so a
# stage that joins late (an executor restarted on its own refuses "unknown instrument" until it
# has the rules) learns them without a feed reconnect (docs/feed.md "What is published").
# venue-sim paced at real time (the 45 s Bybit capture outlasts the test), feed.0 live, a tap
# started 2 s after the feed, listening 3.5 s.
. tests/integration/lib.inc

run_case() { # run_case NAME ANNOUNCE_S -> the md.instrument lines the late tap saw, per symbol
    cfg=$(make_config "$1" tests/integration/feed_faults.json 1)
    dir=$(dirname "$cfg")
    sed -i "s/\"feed\": {/\"feed\": { \"announce_s\": $2,/" "$cfg"
    "$BIN/venue-sim" -c "$cfg" -i venue-sim.0 >"$dir/venue-sim.log" 2>&1 &
    vs=$!
    sleep 0.3
    "$BIN/feed" -c "$cfg" -i feed.0 >"$dir/feed.log" 2>&1 &
    fd=$!
    sleep 2
    "$BIN/tap" -c "$cfg" feed.0 md.instrument. >"$dir/tap.out" 2>&1 &
    tp=$!
    sleep 3.5
    kill $tp $fd $vs 2>/dev/null
    wait $tp $fd $vs 2>/dev/null
    grep -c "md.instrument.bybit-linear.BTCUSDT" "$dir/tap.out"
}

# every 1 s: the late tap sees at least 2 repeats of each symbol's rules in its 3.5 s (one a
# second, minus the tap's own subscription time and timer slack under load)
n=$(run_case every1 1)
check "announce_s 1: a tap that joined late got BTCUSDT's rules repeated ($n times)" [ "$n" -ge 2 ]
grep -q "md.instrument.bybit-linear.DOGEUSDT" "$TMP_ROOT/every1/tap.out"
check "announce_s 1: every symbol is repeated (DOGEUSDT too)" [ $? -eq 0 ]
# 0 = off: the rules went out once at connect, before the tap joined, and never again
n=$(run_case off 0)
eq "announce_s 0: the late tap got no md.instrument" "$n" 0
finish
