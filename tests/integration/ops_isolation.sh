# ops_isolation.sh - one group cannot be disturbed by a second start of its stages or by
# another group on the same host, and a group with a dead stage fails at once (issue 14,
# findings 1-3):
#   (a) a second start of risk.0 / venue-sim.0 while group A runs exits 3 naming the instance
#       and the holder's pid; afterwards A's risk.0 (the original process) still answers
#       `ctl kill`
#   (b) two copies of the project tree with the default settings (venue_sim.port 0, relative
#       run directory) run `tools/run.sh` at the same time: both finish, on two different
#       ports, with two different run ids, and write identical orders and fills
#   (c) group B whose feed URLs name group A's venue-sim port: B's feed refuses A's venue-sim
#       naming both run ids and the URL, run.sh of B fails naming feed_0 (not after its
#       TP_MAX_WAIT), B's signal refuses A's REST klines for its warm-up (common/http.h
#       http_get_run), A's venue-sim closes the intruder and A's replay runs to the end with
#       the same orders and fills as (b)
#   (d) a stage that dies at start (venue-sim's port held by another process; risk.0's instance
#       lock held by another process): run.sh and run_group (lib.inc) fail before their
#       TP_MAX_WAIT, naming the stage and printing its log lines
. tests/integration/lib.inc

speed=${TP_ISO_SPEED:-400}
dump() { # dump DB -> orders and fills, without row ids (event_id counts heartbeats too)
    sql "$1" "select client_id, order_id, venue, symbol, side, type, status, qty, px, cum_qty,
                     avg_px, fee, reduce_only, reject_reason, evt from orders
              order by evt, client_id, status, id"
    sql "$1" "select fill_id, client_id, order_id, venue, symbol, side, px, qty, fee,
                     realized_pnl, maker, evt from fills order by evt, fill_id, id"
}
cleanup() {
    for c in "$cfg_a" "$cfg_d2"; do
        [ -n "$c" ] && tools/sv -c "$c" shutdown >/dev/null 2>&1
    done
    for p in $HOLD_PIDS; do kill "$p" 2>/dev/null; done
}
trap cleanup EXIT INT TERM
HOLD_PIDS=""

# ---- group A, paced so that it is still running while (a) and (c) happen -----------------
cfg_a=$(make_config a tests/integration/small.json "$speed")
dir_a=$(dirname "$cfg_a")
CTL_A="$BIN/ctl -c $cfg_a"
check "group A starts under supervisord (paced at speed $speed)" \
    sh -c "tools/sv -c '$cfg_a' up >/dev/null 2>&1"
check "A's replay is running" \
    sh -c "$CTL_A --timeout 500 wait-state venue-sim.0 running --max-wait 60 >/dev/null"
run_a=$($CTL_A run-id)
port_a=$($CTL_A venue-port)
pid_risk=$($CTL_A status risk.0 | jq -r .pid)
pid_vs=$($CTL_A status venue-sim.0 | jq -r .pid)
diag "group A: run $run_a, venue-sim port $port_a, risk.0 pid $pid_risk, venue-sim.0 pid $pid_vs"

# ---- (a) a second start of an instance -----------------------------------------------------
# (`timeout`: before the lock, the second risk bound over the first one's sockets and ran on)
timeout 20 "$BIN/risk" -c "$cfg_a" -i risk.0 >"$dir_a/risk2.out" 2>&1
eq "(a) a second risk.0 exits 3" "$?" 3
check "(a) it says: cannot start risk.0: already running (pid $pid_risk)" \
    grep -q "cannot start risk.0: already running (pid $pid_risk," "$dir_a/risk2.out"
sed 's/^/#   /' "$dir_a/risk2.out"
timeout 20 "$BIN/venue-sim" -c "$cfg_a" -i venue-sim.0 >"$dir_a/vs2.out" 2>&1
eq "(a) a second venue-sim.0 exits 3" "$?" 3
check "(a) it says: cannot start venue-sim.0: already running (pid $pid_vs)" \
    grep -q "cannot start venue-sim.0: already running (pid $pid_vs," "$dir_a/vs2.out"
eq "(a) risk.0's control socket still reaches the original process" \
    "$($CTL_A --timeout 2000 status risk.0 | jq -r .pid)" "$pid_risk"
eq "(a) venue-sim.0's control socket still reaches the original process" \
    "$($CTL_A --timeout 2000 status venue-sim.0 | jq -r .pid)" "$pid_vs"

# ---- (c) a feed pointed at another run's venue-sim ------------------------------------------
# B: its own run directory and venue-sim (which waits for B's three labels), but the feed
# URLs name A's port. The config lives outside the run directory: run.sh empties that.
dir_b=$TMP_ROOT/b
cfg_b=$TMP_ROOT/b.json
sed -e "s#\"run_dir\": \"[^\"]*\"#\"run_dir\": \"$dir_b\"#" -e "s/{venue_port}/$port_a/g" \
    tests/integration/small.json |
    jq '.venue_sim.expect_labels = ["bybit-linear", "binance-usdm", "binance-spot"]
        | .signal.warmup_bars = 50' >"$cfg_b"
t0=$(date +%s)
TP_MAX_WAIT=120 tools/run.sh "$cfg_b" >"$TMP_ROOT/run_b.out" 2>&1
rc=$?
run_b=$(cat "$dir_b/run.id" 2>/dev/null)
diag "(c) run.sh of B exited $rc after $(($(date +%s) - t0)) s (run $run_b); its output:"
sed 's/^/#   /' "$TMP_ROOT/run_b.out" | cut -c1-300
eq "(c) run.sh of B fails" "$rc" 1
check "(c) B's run id differs from A's" test -n "$run_b" -a "$run_b" != "$run_a"
check "(c) it names the dead stage (feed_0), not a timeout" \
    grep -q "sv: feed_0 died (exit status 3" "$TMP_ROOT/run_b.out"
check "(c) the feed's error names the URL, A's run id and B's run id" \
    grep -q "refusing ws://127.0.0.1:$port_a/.*: it is the venue-sim of run $run_a, this feed belongs to run $run_b" \
    "$TMP_ROOT/run_b.out"
check "(c) B's signal refuses A's REST klines for its warm-up, naming the URL and both runs" \
    grep -q "refusing the answer of http://127.0.0.1:$port_a/.*: it belongs to run $run_a, this is run $run_b" \
    "$dir_b/log/signal.log"
grep -h "warm-up\|refusing" "$dir_b/log/signal.log" | head -4 | cut -c1-300 | sed 's/^/#   /'
check "(c) A's venue-sim closed B's connection unregistered, naming both runs" \
    grep -q "from run $run_b: this is run $run_a" "$dir_a/log/venue-sim.log"
check "(c) B's group is shut down" sh -c "! tools/sv -c '$cfg_b' pid >/dev/null 2>&1"

# A runs on to the end, undisturbed; then its kill switch still answers
if tools/sv -c "$cfg_a" wait-done 400 >"$dir_a/wait.out" 2>&1; then
    ok "A's replay runs to the end"
else
    not_ok "A's replay did not finish: $(cat "$dir_a/wait.out")"
fi
out=$($CTL_A --timeout 2000 kill risk.0)
diag "(a) ctl kill risk.0: $(echo "$out" | cut -c1-200)"
check "(a) ctl kill risk.0 is answered (ok)" test "$(echo "$out" | jq -r .ok)" = true
eq "(a) by the original risk.0" "$($CTL_A status risk.0 | jq -r .pid)" "$pid_risk"
tools/sv -c "$cfg_a" stop 'tradepipe:*' >/dev/null 2>&1
tools/sv -c "$cfg_a" shutdown >/dev/null 2>&1
dump "$dir_a/tradepipe.db" >"$TMP_ROOT/a.txt"

# ---- (b) two copies of the tree, default settings, at the same time -----------------------
# each copy: its own config/default.json (small.json's data, venue_sim.port 0, run_dir "run"),
# tools/sv, tools/run.sh and supervisord.conf; build/ and data/ are links to this tree's
for t in t1 t2; do
    mkdir -p "$TMP_ROOT/$t/config" "$TMP_ROOT/$t/tools"
    cp tools/sv tools/run.sh "$TMP_ROOT/$t/tools/"
    cp supervisord.conf "$TMP_ROOT/$t/"
    ln -s "$ROOT/$BUILD" "$TMP_ROOT/$t/build"
    ln -s "$ROOT/data" "$TMP_ROOT/$t/data"
    sed 's#"run_dir": "[^"]*"#"run_dir": "run"#' tests/integration/small.json \
        >"$TMP_ROOT/$t/config/default.json"
done
check "(b) the copies use venue_sim.port 0 and a relative run directory" \
    test "$(jq -r '.venue_sim.port, .run_dir' "$TMP_ROOT/t1/config/default.json" | tr '\n' ' ')" = "0 run "
t0=$(date +%s)
(cd "$TMP_ROOT/t1" && TP_MAX_WAIT=400 tools/run.sh >"$TMP_ROOT/t1.out" 2>&1; echo $? >"$TMP_ROOT/t1.rc") &
(cd "$TMP_ROOT/t2" && TP_MAX_WAIT=400 tools/run.sh >"$TMP_ROOT/t2.out" 2>&1; echo $? >"$TMP_ROOT/t2.rc") &
wait
diag "(b) both run.sh done after $(($(date +%s) - t0)) s"
for t in t1 t2; do
    eq "(b) run.sh in copy $t finishes" "$(cat "$TMP_ROOT/$t.rc")" 0
    if [ "$(cat "$TMP_ROOT/$t.rc")" != 0 ]; then
        sed 's/^/#   /' "$TMP_ROOT/$t.out" | tail -n 30 | cut -c1-300
    fi
    dump "$TMP_ROOT/$t/run/tradepipe.db" >"$TMP_ROOT/$t.txt"
done
p1=$(cat "$TMP_ROOT/t1/run/venue-sim.port")
p2=$(cat "$TMP_ROOT/t2/run/venue-sim.port")
r1=$(cat "$TMP_ROOT/t1/run/run.id")
r2=$(cat "$TMP_ROOT/t2/run/run.id")
diag "(b) copy t1: port $p1, run $r1; copy t2: port $p2, run $r2"
check "(b) two different venue-sim ports ($p1, $p2)" test -n "$p1" -a "$p1" != "$p2"
check "(b) two different run ids" test -n "$r1" -a "$r1" != "$r2"
n_o=$(sql "$TMP_ROOT/t1/run/tradepipe.db" "select count(*) from orders")
n_f=$(sql "$TMP_ROOT/t1/run/tradepipe.db" "select count(*) from fills")
check "(b) the runs placed orders and got fills ($n_o order rows, $n_f fills)" \
    test "${n_o:-0}" -gt 0 -a "${n_f:-0}" -gt 0
check "(b) both copies wrote identical orders and fills" cmp -s "$TMP_ROOT/t1.txt" "$TMP_ROOT/t2.txt"
check "(c) A (visited by B's feed, paced) wrote the same orders and fills as (b)" \
    cmp -s "$TMP_ROOT/a.txt" "$TMP_ROOT/t1.txt"

# ---- (d) a stage that dies at start -----------------------------------------------------------
# d1: run.sh, venue-sim's configured port held by another process
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True); time.sleep(600)' >"$TMP_ROOT/held.port" &
HOLD_PIDS="$HOLD_PIDS $!"
i=0
while [ ! -s "$TMP_ROOT/held.port" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
held=$(cat "$TMP_ROOT/held.port")
cfg_d1=$TMP_ROOT/d1.json
sed "s#\"run_dir\": \"[^\"]*\"#\"run_dir\": \"$TMP_ROOT/d1\"#" tests/integration/small.json |
    jq ".venue_sim.port = $held" >"$cfg_d1"
t0=$(date +%s)
TP_MAX_WAIT=120 tools/run.sh "$cfg_d1" >"$TMP_ROOT/d1.out" 2>&1
rc=$?
diag "(d) run.sh with venue-sim's port $held taken exited $rc after $(($(date +%s) - t0)) s:"
sed 's/^/#   /' "$TMP_ROOT/d1.out" | cut -c1-300
eq "(d) run.sh fails" "$rc" 1
check "(d) it names venue-sim and its exit status, not a timeout" \
    grep -q "sv: venue-sim died (exit status 3" "$TMP_ROOT/d1.out"
check "(d) it prints venue-sim's last log lines (the failed bind)" \
    grep -q "    .*venue-sim.0 .*$held" "$TMP_ROOT/d1.out"

# d2: run_group (lib.inc), risk.0's instance lock held by another process
cfg_d2=$(make_config d2 tests/integration/small.json)
dir_d2=$(dirname "$cfg_d2")
sh -c 'echo $$ >"$1"; exec flock -n "$1" sleep 600' sh "$dir_d2/risk.0.lock" &
holder=$!
HOLD_PIDS="$HOLD_PIDS $holder"
sleep 0.3
t0=$(date +%s)
TP_MAX_WAIT=120 run_group "$cfg_d2" >"$TMP_ROOT/d2.out" 2>&1
rc=$?
diag "(d) run_group with risk.0's lock held by pid $holder returned $rc after $(($(date +%s) - t0)) s"
check "(d) run_group fails" test "$rc" -ne 0
check "(d) run_group names risk and its exit status, not a timeout" \
    grep -q "sv: risk died (exit status 3" "$TMP_ROOT/d2.out"
check "(d) run_group shows risk's log line naming the holder's pid" \
    grep -q "cannot start risk.0: already running (pid $holder," "$TMP_ROOT/d2.out"
grep -E "died|cannot start" "$TMP_ROOT/d2.out" | head -n 3 | cut -c1-250
finish
