# recorder_crash.sh - the recorder under load: kill -9 in a loop (file never corrupt, nothing
# committed is lost), SIGTERM flushes everything, history over REP, and the database becoming
# locked, full (a small tmpfs) and read-only (tmpfs remounted ro): a rec.alert each time, the
# pending batch kept and written once the database is writable again.
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
sql "$db" "insert into candles(topic_kind,venue,symbol,tf_s,start_ns,close,close_m,px_scale) values
  ('sig.bar','bybit-linear','BTCUSDT',60,0,'1.00',100,2),('sig.bar','bybit-linear','BTCUSDT',60,60000000000,'2.00',200,2),
  ('sig.bar','bybit-linear','BTCUSDT',60,120000000000,'3.00',300,2);
  insert into positions(venue,symbol,qty,qty_m,qty_scale) values('bybit-linear','BTCUSDT','0.5',500,3);
  insert into risk_events(topic,state,body) values('risk.state','PAUSED','{\"state\":\"PAUSED\"}')"
h=$("$BIN/ctl" -c "$cfg" history recorder.0 '{"q":"bars","venue":"bybit-linear","symbol":"BTCUSDT","tf_s":60,"n":2}')
check "history bars: the last 2, oldest first" sh -c "echo '$h' | grep -q '\"start_ns\":60000000000.*\"start_ns\":120000000000'"
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
tail -n 3 "$dir/recorder.log" | sed 's/^/# /'
finish
