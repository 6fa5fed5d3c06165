# recorder_crash.sh - the recorder under load: kill -9 in a loop (file never corrupt, nothing
# committed is lost), SIGTERM flushes everything, history over REP, and the database becoming
# locked, full (a small tmpfs) and read-only (tmpfs remounted ro): a rec.alert each time, the
# pending batch kept and written once the database is writable again. Issue 14 finding 6: a
# recorder restarted after kill -9 finds what it missed (the jump from the last seq stored per
# publisher and epoch to the first one received), exactly, with rec_load and with the real group
# under supervisord, and the report of such a run warns and lists the gaps with their ranges.
# Load: build/bin/rec_load publishing md.trade as feed.0. Needs root for mount (else skipped).
. tests/integration/lib.inc

dir=$TMP_ROOT/rec
mkdir -p "$dir" && chmod 0700 "$dir"
mkcfg() { # mkcfg FILE DB_PATH
    cat >"$1" <<EOF
{
  "mode": "live",
  "run_dir": "$dir",
  "log_level": "info",
  "endpoints": {
    "feed.0": { "pub": "ipc://{run}/feed.0.pub", "ctl": "ipc://{run}/feed.0.ctl" },
    "recorder.0": { "pub": "ipc://{run}/recorder.0.pub", "ctl": "ipc://{run}/recorder.0.ctl",
                    "history": "ipc://{run}/recorder.0.history" }
  },
  "recorder": { "db": "$2", "batch_max": 2000, "batch_ms": 100 }
}
EOF
}
cfg=$dir/config.json
db=$dir/rec.db
mkcfg "$cfg" "$db"
REC_PID=
LOAD_PID=
start_rec() {
    "$BIN/recorder" -c "$1" -i recorder.0 >>"$dir/recorder.log" 2>&1 &
    REC_PID=$!
    "$BIN/ctl" -c "$1" wait-state recorder.0 running --max-wait 10 >/dev/null 2>&1
}
start_load() { # start_load CFG RATE [COUNT]
    "$BIN/rec_load" -c "$1" --rate "$2" ${3:+--count $3} >"$dir/load.out" 2>&1 &
    LOAD_PID=$!
}
stop_pid() { [ -n "$1" ] && kill -TERM "$1" 2>/dev/null; [ -n "$1" ] && wait "$1" 2>/dev/null; }
cleanup() {
    stop_pid "$LOAD_PID"
    [ -n "$REC_PID" ] && kill -9 "$REC_PID" 2>/dev/null
    mountpoint -q "$dir/mnt" 2>/dev/null && umount "$dir/mnt"
}
trap cleanup EXIT
status_field() { # status_field CFG KEY -> db.KEY of the recorder's status
    "$BIN/ctl" -c "$1" status recorder.0 | sed -n "s/.*\"db\":{[^}]*\"$2\":\([^,}]*\).*/\1/p"
}

# ---- 1. kill -9 during heavy writes, in a loop ----
i=0
bad=0
while [ $i -lt 5 ]; do
    base=$(sql "$db" "select count(*) from events" 2>/dev/null || echo 0)
    [ -n "$base" ] || base=0
    start_rec "$cfg"
    start_load "$cfg" 30000
    sleep "0.$((5 + i))"
    reported=$(status_field "$cfg" events)
    kill -9 "$REC_PID"
    wait "$REC_PID" 2>/dev/null
    REC_PID=
    stop_pid "$LOAD_PID"
    LOAD_PID=
    ic=$(sql "$db" "pragma integrity_check")
    now=$(sql "$db" "select count(*) from events")
    diag "kill $i: base $base, reported committed $reported, in file $now, integrity $ic"
    if [ "$ic" != ok ] || [ -z "$reported" ] || [ "$now" -lt $((base + reported)) ]; then
        bad=$((bad + 1))
    fi
    i=$((i + 1))
done
eq "5 x kill -9 under load: integrity ok and rows >= last reported commit every time" "$bad" 0
check "the loop really wrote (rows > 0)" test "$(sql "$db" "select count(*) from events")" -gt 0
eq "typed rows match events after the crashes" "$(sql "$db" "select count(*) from trades")" \
    "$(sql "$db" "select count(*) from events where topic like 'md.trade.%'")"

# ---- 2. SIGTERM flushes: every message published at a sustainable rate is in the file ----
base=$(sql "$db" "select count(*) from events")
start_rec "$cfg"
start_load "$cfg" 20000 10000
wait "$LOAD_PID"
LOAD_PID=
sleep 0.5
kill -TERM "$REC_PID"
wait "$REC_PID"
eq "SIGTERM: exit status 0" "$?" 0
REC_PID=
eq "SIGTERM: all 10000 published messages committed" \
    "$(($(sql "$db" "select count(*) from events") - base))" 10000

# ---- 3. history over REP ----
start_rec "$cfg"
# rows of this run (the history answers only the recorder's run: docs/recorder.md)
run=$(cat "$dir/run.id")
sql "$db" "insert into candles(topic_kind,venue,symbol,tf_s,start_ns,evt,close,close_m,px_scale,run_id) values
  ('sig.bar','bybit-linear','BTCUSDT',60,0,60000000000,'1.00',100,2,'$run'),
  ('sig.bar','bybit-linear','BTCUSDT',60,60000000000,120000000000,'2.00',200,2,'$run'),
  ('sig.bar','bybit-linear','BTCUSDT',60,120000000000,180000000000,'3.00',300,2,'$run'),
  ('sig.bar','bybit-linear','BTCUSDT',60,180000000000,240000000000,'4.00',400,2,'another-run');
  insert into positions(venue,symbol,qty,qty_m,qty_scale,evt,run_id) values('bybit-linear','BTCUSDT','0.5',500,3,1,'$run');
  insert into risk_events(topic,state,body,evt,run_id) values('risk.state','PAUSED','{\"state\":\"PAUSED\"}',1,'$run')"
h=$("$BIN/ctl" -c "$cfg" history recorder.0 '{"q":"bars","venue":"bybit-linear","symbol":"BTCUSDT","tf_s":60,"n":2}')
check "history bars: the last 2, oldest first" sh -c "echo '$h' | grep -q '\"start_ns\":60000000000.*\"start_ns\":120000000000'"
h=$("$BIN/ctl" -c "$cfg" history recorder.0 '{"q":"bars","venue":"bybit-linear","symbol":"BTCUSDT","tf_s":60,"n":2,"until":180000000000}')
check "history bars with until: none at or after it (the asker's event time)" sh -c "echo '$h' | grep -q '\"start_ns\":0,.*\"start_ns\":60000000000,' && ! echo '$h' | grep -q '\"start_ns\":120000000000'"
h=$("$BIN/ctl" -c "$cfg" history recorder.0 '{"q":"positions"}')
check "history positions" sh -c "echo '$h' | grep -q '\"qty_m\":500'"
h=$("$BIN/ctl" -c "$cfg" history recorder.0 '{"q":"risk_state"}')
check "history risk_state" sh -c "echo '$h' | grep -q '\"state\":{\"state\":\"PAUSED\"}'"
"$BIN/ctl" -c "$cfg" history recorder.0 '{"q":"nope"}' >"$dir/h.out"
eq "history: a bad question is an error answer, ctl exit 1" "$?" 1

# ---- 4. locked database: alert, batch kept, written after ----
timeout 10 "$BIN/tap" -c "$cfg" recorder.0 rec.alert --count 2 >"$dir/alerts_locked.txt" 2>&1 &
TAP_PID=$!
sleep 0.3
base_id=$(sql "$db" "select coalesce(max(id), 0) from events")
start_load "$cfg" 5000 5000
sqlite3 "$db" "begin immediate; insert into gaps(src) values('lock'); " ".shell sleep 2" "commit;"
wait "$LOAD_PID"
LOAD_PID=
sleep 0.6
wait "$TAP_PID"
check "locked: rec.alert db_locked then db_recovered" sh -c \
    "grep -q 'db_locked' '$dir/alerts_locked.txt' && grep -q 'db_recovered' '$dir/alerts_locked.txt'"
eq "locked: all 5000 messages written after the lock went away" \
    "$(sql "$db" "select count(*) from events where topic like 'md.trade.%' and id > $base_id")" 5000
check "locked: db_errors counted" test "$(status_field "$cfg" db_errors)" -ge 1
sleep 0.3
eq "locked: the file records its own alerts (db_locked, db_recovered)" \
    "$(sql "$db" "select group_concat(code, ',') from (select code from alerts order by id)")" \
    "db_locked,db_recovered"
kill -TERM "$REC_PID"
wait "$REC_PID"
REC_PID=

# ---- 5. full disk and read-only file system (tmpfs; needs root) ----
mkdir -p "$dir/mnt"
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m tmpfs "$dir/mnt" 2>/dev/null; then
    cfg2=$dir/config_full.json
    mkcfg "$cfg2" "$dir/mnt/rec.db"
    start_rec "$cfg2"
    timeout 10 "$BIN/tap" -c "$cfg2" recorder.0 rec.alert --count 2 >"$dir/alerts_full.txt" 2>&1 &
    TAP_PID=$!
    sleep 0.3
    # ~300 bytes per message over events + trades: 20000 messages cannot fit in 1 MiB
    start_load "$cfg2" 20000 20000
    wait "$LOAD_PID"
    LOAD_PID=
    sleep 0.5
    st=$("$BIN/ctl" -c "$cfg2" status recorder.0)
    check "full disk: recorder still answers, state db_failing" sh -c "echo '$st' | grep -q '\"state\":\"db_failing\"'"
    check "full disk: last_error disk_full" sh -c "echo '$st' | grep -q '\"last_error\":\"disk_full\"'"
    ic=$(sql "$dir/mnt/rec.db" "pragma integrity_check")
    eq "full disk: what is in the file is intact" "$ic" ok
    mount -o remount,size=64m "$dir/mnt"
    sleep 0.6
    wait "$TAP_PID"
    check "full disk: rec.alert db_disk_full then db_recovered" sh -c \
        "grep -q 'db_disk_full' '$dir/alerts_full.txt' && grep -q 'db_recovered' '$dir/alerts_full.txt'"
    eq "full disk: all 20000 messages written once space came back" \
        "$(sql "$dir/mnt/rec.db" "select count(*) from events where topic like 'md.trade.%'")" 20000
    # the db_recovered alert is recorded in a later batch than the messages: wait for it
    alerts_in_file() {
        [ "$(sql "$dir/mnt/rec.db" "select group_concat(code, ',') from (select code from alerts order by id)")" = db_disk_full,db_recovered ]
    }
    wait_for 10 alerts_in_file
    eq "full disk: the disk_full and recovered alerts are in the file" \
        "$(sql "$dir/mnt/rec.db" "select group_concat(code, ',') from (select code from alerts order by id)")" \
        "db_disk_full,db_recovered"

    kill -TERM "$REC_PID"
    wait "$REC_PID"
    eq "clean stop after the faults" "$?" 0
    REC_PID=
    umount "$dir/mnt"
    # a read-only file (mode 0444, recorder not root): refused at start with a clear error
    # (exit 3); mid-run read-only is the unit test test_read_only_keeps_batch
    chmod 0711 "$TMP_ROOT" "$dir"
    mkdir -p "$dir/ro" && chmod 0777 "$dir/ro"
    cp "$db" "$dir/ro/rec.db" && chmod 0444 "$dir/ro/rec.db"
    mkcfg "$dir/ro/config.json" "$dir/ro/rec.db"
    sed -i "s#\"run_dir\": \"[^\"]*\"#\"run_dir\": \"$dir/ro\"#" "$dir/ro/config.json"
    chmod 0644 "$dir/ro/config.json"
    setpriv --reuid=65534 --regid=65534 --clear-groups "$BIN/recorder" -c "$dir/ro/config.json" \
        -i recorder.0 >"$dir/ro.log" 2>&1
    eq "read-only file: refused at start, exit 3" "$?" 3
    check "read-only file: the log says why" grep -q "is read-only" "$dir/ro.log"
    chmod 0700 "$TMP_ROOT" "$dir"
else
    echo "ok $((TAP_N + 1)) # skip full disk / read-only: cannot mount tmpfs (not root)"
    TAP_N=$((TAP_N + 1))
fi
# ---- 6. a restart finds what it missed: kill -9 while a publisher goes on, exact count ----
# rec_load publishes seq 1..N as feed.0 in one epoch; the recorder is killed mid-way and
# started again while it keeps publishing. Everything missing is one gap of feed.0 from the
# last seq stored before the kill to the first one received after the restart, and missing =
# N - rows stored (the clean run of section 2 stores all N at this rate).
cfg6=$dir/config6.json
db6=$dir/restart.db
mkcfg "$cfg6" "$db6"
N=40000
start_rec "$cfg6"
start_load "$cfg6" 20000 $N
i=0
while [ $i -lt 200 ]; do # kill once some batches are committed (the load runs 2 s)
    c=$(sql "$db6" "select count(*) from events where src = 'feed.0'" 2>/dev/null)
    [ -n "$c" ] && [ "$c" -ge 4000 ] && break
    sleep 0.02
    i=$((i + 1))
done
kill -9 "$REC_PID"
wait "$REC_PID" 2>/dev/null
before=$(sql "$db6" "select coalesce(max(seq), 0) from events where src = 'feed.0'")
sleep 0.4
start_rec "$cfg6"
wait "$LOAD_PID"
LOAD_PID=
sleep 0.5
st6=$("$BIN/ctl" -c "$cfg6" status recorder.0)
kill -TERM "$REC_PID"
wait "$REC_PID"
REC_PID=
stored=$(sql "$db6" "select count(*) from events where src = 'feed.0'")
gap=$(sql "$db6" "select from_seq || '..' || to_seq || ':' || missing from gaps where src = 'feed.0'")
after=$(sql "$db6" "select min(seq) from events where src = 'feed.0' and seq > $before")
diag "killed with seq 1..$before stored; first after the restart $after; $stored of $N stored; gaps: $gap"
check "the kill lost messages (a real gap to find: $((N - stored)))" test "$stored" -lt "$N" -a "$before" -gt 0
eq "one gap row, from the last seq stored + 1 to the first received - 1" \
    "$gap" "$((before + 1))..$((after - 1)):$((after - 1 - before))"
eq "its count = messages missing against a clean run (N - stored)" "$((after - 1 - before))" "$((N - stored))"
check "status counted it (restart_missing)" sh -c "echo '$st6' | grep -q '\"restart_missing\":$((N - stored))'"
"$BIN/report" "$db6" >"$dir/report6.txt"
check "report: first line warns that the recorder stopped uncleanly" \
    sh -c "head -n 1 '$dir/report6.txt' | grep -q 'stopped uncleanly 1 time(s)'"
check "report lists the gap with its range" \
    grep -q "feed.0 .* seq $((before + 1))\.\.$((after - 1))  $((N - stored)) missing" "$dir/report6.txt"

# ---- 7. the real group under supervisord: kill -9 the recorder mid-replay, supervisord
# restarts it; the report of that run warns first and lists the gaps with their ranges. Each gap
# is the whole hole between the last seq stored before the kill and the first received after,
# and the events missing against a clean run of the same replay (run A, never killed) are all
# inside the gaps: per publisher, A's events between the two messages around its gap that B does
# not have. (A gap of the group counts messages: besides those events it holds the sys.barrier
# and sys.hb messages published meanwhile; barriers are never rows, heartbeats are wall-clock.)
rec_dir=$dir
cfg_a=$(make_config crash_a tests/integration/small.json 3000)
cfg_b=$(make_config crash_b tests/integration/small.json 3000)
db_a=$(dirname "$cfg_a")/tradepipe.db
dir_b=$(dirname "$cfg_b")
db_b=$dir_b/tradepipe.db
check "clean run A replays to the end" run_group "$cfg_a"
tools/sv -c "$cfg_b" up >/dev/null 2>&1
"$BIN/ctl" -c "$cfg_b" wait-state venue-sim.0 running --max-wait 60 >/dev/null 2>&1
i=0
while [ $i -lt 400 ]; do # until the recorder has some of the market data (about a quarter)
    n=$(sql "$db_b" "select count(*) from events where topic like 'md.%'" 2>/dev/null)
    [ -n "$n" ] && [ "$n" -ge 8000 ] && break
    sleep 0.05
    i=$((i + 1))
done
rpid=$("$BIN/ctl" -c "$cfg_b" status recorder.0 | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
kill -9 "$rpid"
diag "kill -9 recorder pid $rpid with $n md events stored"
sleep 2
rpid2=$("$BIN/ctl" -c "$cfg_b" status recorder.0 --timeout 5000 | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
check "supervisord restarted the recorder ($rpid -> $rpid2)" test -n "$rpid2" -a "$rpid2" != "$rpid"
if "$BIN/ctl" -c "$cfg_b" wait-state venue-sim.0 done --max-wait 300 >"$dir_b/ctl.out" 2>&1; then
    ok "run B replays to the end after the recorder's restart"
else
    not_ok "run B did not finish: $(tail -c 300 "$dir_b/ctl.out")"
fi
tools/sv -c "$cfg_b" stop 'tradepipe:*' >/dev/null 2>&1
tools/sv -c "$cfg_b" shutdown >/dev/null 2>&1
"$BIN/report" "$db_b" >"$dir_b/report.txt"
head -n 4 "$dir_b/report.txt" | sed 's/^/# /'
grep -A 6 '^gaps' "$dir_b/report.txt" | sed 's/^/# /'
check "report warns first: the recorder of the run stopped uncleanly once" \
    sh -c "head -n 1 '$dir_b/report.txt' | grep -q 'stopped uncleanly 1 time(s) and was restarted'"
n_gaps=$(sql "$db_b" "select count(*) from gaps")
missing=$(sql "$db_b" "select coalesce(sum(missing), 0) from gaps")
check "the restart found gaps ($n_gaps, $missing messages)" test "$n_gaps" -gt 0 -a "$missing" -gt 0
check "report: the gaps line and one line per gap with its range" sh -c \
    "grep -q '^gaps  *$n_gaps  ($missing messages missing)' '$dir_b/report.txt' &&
     test \$(grep -Ec '^  [a-z]+\.[0-9]+ +epoch [0-9]+  seq [0-9]+\.\.[0-9]+  [0-9]+ missing' '$dir_b/report.txt') = $n_gaps"
# (to+1, the first message received after the restart, may be a sys.barrier: never a row)
eq "every gap starts right after the last seq stored before it, and nothing is stored inside" \
    "$(sql "$db_b" "select count(*) from gaps g where missing != to_seq - from_seq + 1
        or (select max(seq) from events e where e.src = g.src and e.epoch = g.epoch and e.seq < g.from_seq) != g.from_seq - 1
        or not exists (select 1 from events e where e.src = g.src and e.epoch = g.epoch and e.seq > g.to_seq)
        or exists (select 1 from events e where e.src = g.src and e.epoch = g.epoch and e.seq between g.from_seq and g.to_seq)")" 0
# the events of clean run A that run B lacks, per publisher (heartbeats apart)
nonhb="topic not like 'sys.hb.%'"
lost=$(($(sql "$db_a" "select count(*) from events where $nonhb") - $(sql "$db_b" "select count(*) from events where $nonhb")))
# per gap: the event time of the last event before it and of the first after it in B (not
# heartbeats); A's events of that publisher in that event-time window minus B's
inside=$(sql "$db_b" "select src, epoch, from_seq, to_seq, missing from gaps" | while IFS='|' read -r src ep from to miss; do
    pe=$(sql "$db_b" "select evt from events where src = '$src' and epoch = $ep and seq < $from and $nonhb order by seq desc limit 1")
    qe=$(sql "$db_b" "select evt from events where src = '$src' and epoch = $ep and seq > $to and $nonhb order by seq limit 1")
    win="src = '$src' and evt between ${pe:-0} and ${qe:-9223372036854775807} and $nonhb"
    echo "$src|$miss|$(($(sql "$db_a" "select count(*) from events where $win") - $(sql "$db_b" "select count(*) from events where $win")))"
done)
diag "against clean run A: $lost events missing; per gap (src|messages missing|A's events missing in its window): $(echo $inside)"
check "events missing against the clean run: some ($lost)" test "$lost" -gt 0
eq "... and all of them inside the gaps (sum over the gaps' windows)" \
    "$(echo "$inside" | awk -F'|' '{ s += $3 } END { print s + 0 }')" "$lost"
eq "... never more than a gap holds" \
    "$(echo "$inside" | awk -F'|' '$3 > $2 || $3 < 0 { n++ } END { print n + 0 }')" 0

tail -n 3 "$rec_dir/recorder.log" | sed 's/^/# /'
finish
