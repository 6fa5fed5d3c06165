# ops_curve.sh - CURVE on tcp:// endpoints across two network namespaces on this machine: the
# publisher (feed.0, played by build/bin/rec_load) in one, the recorder and taps in the other,
# joined by a veth pair. A client with an allowed key receives; one with a key that is not on
# security.allow is refused by the ZAP handler and counted; a plain (non-CURVE) client gets
# nothing. Needs root and `ip netns` (else skipped).
. tests/integration/lib.inc

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null 2>&1; then
    echo "ok 1 # skip needs root and ip netns"
    TAP_N=1
    finish
    exit $?
fi
A=tpA$$
B=tpB$$
cleanup() {
    [ -n "$LOAD_PID" ] && kill -TERM "$LOAD_PID" 2>/dev/null
    [ -n "$REC_PID" ] && kill -TERM "$REC_PID" 2>/dev/null
    sleep 0.5
    ip netns del "$A" 2>/dev/null
    ip netns del "$B" 2>/dev/null
}
trap cleanup EXIT
ok_ns=1
ip netns add "$A" && ip netns add "$B" &&
    ip link add "va$$" type veth peer name "vb$$" &&
    ip link set "va$$" netns "$A" && ip link set "vb$$" netns "$B" &&
    ip -n "$A" addr add 10.77.0.1/24 dev "va$$" && ip -n "$B" addr add 10.77.0.2/24 dev "vb$$" &&
    ip -n "$A" link set "va$$" up && ip -n "$B" link set "vb$$" up &&
    ip -n "$A" link set lo up && ip -n "$B" link set lo up || ok_ns=0
if [ "$ok_ns" != 1 ]; then
    echo "ok 1 # skip cannot create network namespaces here"
    TAP_N=1
    finish
    exit $?
fi
check "the publisher's address exists only in its namespace" \
    sh -c "ip -n '$A' -o addr | grep -q 10.77.0.1 && ! ip -n '$B' -o addr | grep -q 10.77.0.1"

dir=$TMP_ROOT/curve
mkdir -p "$dir" && chmod 0700 "$dir"
port=$((PORT_BASE + 7))
cfg=$dir/config.json
cat >"$cfg" <<EOF
{
  "mode": "live",
  "run_dir": "$dir",
  "log_level": "info",
  "security": { "curve": true, "keys_dir": "{run}/keys", "allow": ["recorder.0", "signal.0"] },
  "endpoints": {
    "feed.0": { "pub": "tcp://10.77.0.1:$port", "ctl": "ipc://{run}/feed.0.ctl" },
    "recorder.0": { "pub": "ipc://{run}/recorder.0.pub", "ctl": "ipc://{run}/recorder.0.ctl" }
  },
  "recorder": { "db": "{run}/rec.db", "batch_max": 100, "batch_ms": 50 }
}
EOF
"$BIN/keys" -c "$cfg" >/dev/null && "$BIN/keys" -c "$cfg" --name intruder >/dev/null
eq "make keys: certificates written" "$(ls "$dir/keys" | grep -c 'key_secret$')" 3
eq "secret keys are private (0600)" "$(stat -c %a "$dir/keys/feed.0.key_secret")" 600

ip netns exec "$A" "$BIN/rec_load" -c "$cfg" -i feed.0 --rate 500 >"$dir/load.out" 2>"$dir/load.err" &
LOAD_PID=$!
ip netns exec "$B" "$BIN/recorder" -c "$cfg" -i recorder.0 >"$dir/recorder.log" 2>&1 &
REC_PID=$!
sleep 0.5
# a client whose key is not allowed, and a client without CURVE (security off in its config)
ip netns exec "$B" timeout 3 "$BIN/tap" -c "$cfg" feed.0 --as intruder --count 1 >"$dir/intruder.out" 2>&1
sed 's/"curve": true/"curve": false/' "$cfg" >"$dir/plain.json"
ip netns exec "$B" timeout 3 "$BIN/tap" -c "$dir/plain.json" feed.0 --count 1 >"$dir/plain.out" 2>&1
sleep 1
kill -TERM "$REC_PID"
wait "$REC_PID"
eq "recorder (allowed key) stops cleanly" "$?" 0
REC_PID=
kill -TERM "$LOAD_PID"
wait "$LOAD_PID"
LOAD_PID=
n=$(sql "$dir/rec.db" "select count(*) from events where topic like 'md.trade.%'")
check "the allowed client received over tcp across namespaces ($n messages)" test "$n" -gt 100
eq "the intruder received nothing" "$(grep -c '^md\.' "$dir/intruder.out")" 0
eq "the plain client received nothing" "$(grep -c '^md\.' "$dir/plain.out")" 0
refused=$(sed -n 's/^curve: \([0-9]*\) accepted, \([0-9]*\) refused$/\2/p' "$dir/load.out")
accepted=$(sed -n 's/^curve: \([0-9]*\) accepted, \([0-9]*\) refused$/\1/p' "$dir/load.out")
check "the intruder was refused and counted (${refused:-none})" test "${refused:-0}" -ge 1
check "the recorder was accepted (${accepted:-none})" test "${accepted:-0}" -ge 1
check "the refusal is logged with the key" grep -q "refused a CURVE connection" "$dir/load.err"
finish
