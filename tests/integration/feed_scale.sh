# feed_scale.sh - scale-out: two feed instances split the recorded Bybit linear symbols
# (feed.connections[].instance, tests/integration/feed_scale.json), each publishes on its own
# PUB endpoint, and one consumer connected to both sees all four books, each equal to the book
# rebuilt from the frames venue-sim sent on that instance's connection.
. tests/integration/lib.inc

field() { sed -n "s/^$1 \([0-9-]*\)$/\1/p" "$2" | head -n 1; }
counter() { grep -o "\"$1\":[0-9]*" "$2" | head -n 1 | cut -d: -f2; }

cfg=$(make_config scale tests/integration/feed_scale.json 8)
d=$(dirname "$cfg")
"$BIN/venue-sim" -c "$cfg" -i venue-sim.0 --fault-dump "linear-a=$d/a.txt" \
    --fault-dump "linear-b=$d/b.txt" >"$d/venue-sim.log" 2>&1 &
vs=$!
"$BIN/fault_check" "ipc://$d/feed.0.pub,ipc://$d/feed.1.pub" bybit-linear "$d/a.txt,$d/b.txt" \
    "$d/stop" >"$d/check.out" 2>&1 &
fc=$!
sleep 0.3
"$BIN/feed" -c "$cfg" -i feed.0 >"$d/feed0.log" 2>&1 &
f0=$!
"$BIN/feed" -c "$cfg" -i feed.1 >"$d/feed1.log" 2>&1 &
f1=$!
if "$BIN/ctl" -c "$cfg" wait-state venue-sim.0 done --max-wait 60 >"$d/wait.out" 2>&1; then
    ok "venue-sim replayed everything to both instances"
else
    not_ok "venue-sim did not finish: $(tail -c 300 "$d/wait.out")"
fi
sleep 1
"$BIN/ctl" -c "$cfg" status feed.0 >"$d/f0.status" 2>&1
"$BIN/ctl" -c "$cfg" status feed.1 >"$d/f1.status" 2>&1
touch "$d/stop"
wait $fc
kill $f0 $f1 $vs 2>/dev/null
wait $f0 $f1 $vs 2>/dev/null
grep -v '^status ' "$d/check.out" | sed 's/^/# /'
o=$d/check.out
check "feed.0 serves linear-a only" sh -c "grep -q '\"label\":\"linear-a\"' '$d/f0.status' && ! grep -q linear-b '$d/f0.status'"
check "feed.1 serves linear-b only" sh -c "grep -q '\"label\":\"linear-b\"' '$d/f1.status' && ! grep -q linear-a '$d/f1.status'"
for s in BTCUSDT ETHUSDT SOLUSDT DOGEUSDT; do
    n=$(sed -n "s/^symbol $s published \([0-9]*\) .*/\1/p" "$o")
    check "consumer of both PUBs gets $s books ($n)" [ "${n:-0}" -gt 100 ]
done
b0=$(counter books "$d/f0.status")
b1=$(counter books "$d/f1.status")
eq "books seen = feed.0 + feed.1 books ($b0 + $b1)" "$(field books "$o")" "$((b0 + b1))"
eq "every book equals the rebuilt one" "$(field matched "$o")" "$(field books "$o")"
eq "mismatched" "$(field mismatched "$o")" 0
eq "unmatched" "$(field unmatched "$o")" 0
eq "bus gaps over both publishers" "$(field bus_gaps "$o")" 0
finish
