# ops_readable.sh - what a person sees and types (issue 14, finding 9), against the real group
# under supervisord (paper venue, a paced replay of tests/integration/small.json):
#   - `ctl` without a command lists its commands, one line each, exit 0; `ctl status all` is
#     indented on a terminal and one compact line when piped
#   - tap prints book prices as decimals at the instrument's scale (checked against the
#     recorder's book_top row of the same update and against the recorded Bybit frames), and a
#     heartbeat's evt is "-", not 1970-01-01
#   - `ctl resume risk.0` after `ctl kill risk.0` answers ok:false "kill switch latched" and
#     exits non-zero; `ctl clear-kill risk.0` still ends the latch
#   - exec-order --ctl "cancel ID" cancels a working paper order (binance-spot buy limits far
#     under the market; exec.order Cancelled in the database), "cancel-all" cancels the rest,
#     a refused command exits non-zero
#   - a market order on a symbol without book or bar data says why it waits, in
#     `ctl status executor.0` and once in the executor's log
. tests/integration/lib.inc

speed=${TP_READABLE_SPEED:-200}
cfg=$(make_config readable tests/integration/small.json "$speed")
dir=$(dirname "$cfg")
db=$dir/tradepipe.db
# XRPUSDT: rules from the recorded instruments-info, but no frame in the recorded data: an
# instrument the executor knows without a book or a bar
jq '(.feed.connections[] | select(.label == "bybit-linear") | .symbols) += ["XRPUSDT"]' "$cfg" \
    >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
CTL="$BIN/ctl -c $cfg"
EO="$BIN/exec-order -c $cfg --venue bybit-linear --px-scale 1 --qty-scale 3"
stop_all() { tools/sv -c "$cfg" shutdown >/dev/null 2>&1; }
working() { [ "$($CTL status executor.0 | jq -r .working)" = "$1" ]; }

# ---- ctl without a command
"$BIN/ctl" >"$dir/ctl_help.out" 2>&1
eq "ctl without arguments exits 0" "$?" 0
for c in status wait-state reload pause resume kill clear-kill cancel cancel-all history; do
    check "ctl lists '$c' with one line" sh -c "grep -c '^  $c ' '$dir/ctl_help.out' | grep -qx 1"
done

check "supervisord starts the group (replay paced at speed $speed)" \
    sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
# The replay's timeline is in event time: the 2025-11 klines first, the 2026-08 Bybit frames at
# the end. Orders and commands go in while the klines play (barriers flow, so orders reach
# the paper venue); tap listens for the Bybit book meanwhile.
timeout 300 "$BIN/tap" -c "$cfg" feed.0 md.book.bybit-linear.BTCUSDT --count 1 \
    >"$dir/tap_book.out" 2>&1 &
tap_pid=$!
exec_up() { [ -n "$($CTL status executor.0 2>/dev/null | jq -r '.state // empty')" ]; }
check "the executor answers" wait_for 60 exec_up
# orders need the instrument rules, announced by the feed at the replay's hello
hello_done() {
    [ "$(sql "$db" "select count(*) from events where topic = 'md.instrument.binance-spot.BTCUSDT'" 2>/dev/null)" -ge 1 ] 2>/dev/null
}
check "the replay passed its hello (md.instrument recorded)" wait_for 60 hello_done

# ---- ctl status: indented on a terminal (script(1) gives it one), one line when piped
script -qc "$BIN/ctl -c $cfg status all" /dev/null >"$dir/status_tty.out" 2>&1
$CTL status all >"$dir/status_pipe.out" 2>&1
check "ctl status all on a terminal: indented, one key a line ($(wc -l <"$dir/status_tty.out") lines)" \
    test "$(wc -l <"$dir/status_tty.out")" -gt 20 -a "$(grep -c '^  "risk.0": {' "$dir/status_tty.out")" = 1
eq "ctl status all piped: one compact line" "$(wc -l <"$dir/status_pipe.out")" 1
check "  which still parses as JSON with every instance" \
    sh -c "jq -e '.\"risk.0\".stage == \"risk.0\"' '$dir/status_pipe.out' >/dev/null"

# ---- kill, resume refused, clear-kill
$CTL kill risk.0 >"$dir/kill.out" 2>&1
eq "ctl kill risk.0 answers ok" "$(jq -r .ok "$dir/kill.out")" true
$CTL resume risk.0 >"$dir/resume.out" 2>&1
eq "ctl resume risk.0 while killed exits non-zero" "$?" 1
eq "resume answers ok:false" "$(jq -r .ok "$dir/resume.out")" false
check "resume says why: kill switch latched" grep -q '"error":"kill switch latched' "$dir/resume.out"
eq "risk stays KILLED" "$($CTL status risk.0 | jq -r .risk_state)" KILLED
# (risk stays killed through the paper commands below: no strategy order or attached TP/SL
# of its own shows up among the working orders counted there)

# ---- paper venue: cancel, cancel-all, refused commands
check "the kill's closes are done: nothing works on the paper venue" wait_for 60 working 0
SP="$BIN/exec-order -c $cfg --venue binance-spot --px-scale 2 --qty-scale 5"
$SP --id RD1 --symbol BTCUSDT --side buy --type limit --qty 0.01 --px 1000.00 >"$dir/o1.out" 2>&1
$SP --id RD2 --symbol BTCUSDT --side buy --type limit --qty 0.01 --px 1001.00 >"$dir/o2.out" 2>&1
eq "a buy limit far under the market is accepted" "$(jq -r .accepted "$dir/o1.out")" true
eq "a second one too" "$(jq -r .accepted "$dir/o2.out")" true
check "both work on the paper venue" wait_for 30 working 2
"$BIN/exec-order" -c "$cfg" --ctl "cancel RD1" >"$dir/cancel.out" 2>&1
eq "exec-order --ctl 'cancel RD1' exits 0" "$?" 0
eq "cancel RD1 answers ok" "$(jq -r .ok "$dir/cancel.out")" true
check "one order left working" wait_for 10 working 1
"$BIN/exec-order" -c "$cfg" --ctl "cancel RD1" >"$dir/cancel2.out" 2>&1
eq "cancelling it again is refused: exit 3" "$?" 3
eq "  with ok:false" "$(jq -r .ok "$dir/cancel2.out")" false
"$BIN/exec-order" -c "$cfg" --ctl "no-such-command" >"$dir/unknown.out" 2>&1
eq "an unknown command exits 3" "$?" 3
check "  and says unknown command" grep -q "unknown command" "$dir/unknown.out"
$CTL no-such-command executor.0 >/dev/null 2>&1
eq "ctl: an unknown command exits 1" "$?" 1

# ---- a market order on a symbol without book or bar: says why it waits
$EO --id RD3 --symbol XRPUSDT --side buy --qty 1 --qty-scale 1 --px-scale 4 >"$dir/o3.out" 2>&1
diag "XRPUSDT market order: $(cat "$dir/o3.out")"
eq "a market order on XRPUSDT (no book, no bar) is accepted" "$(jq -r .accepted "$dir/o3.out")" true
waiting() { $CTL status executor.0 | jq -e '.waiting[] | select(.client_id == "RD3")' >/dev/null 2>&1; }
check "ctl status executor.0 lists it as waiting" wait_for 10 waiting
why=$($CTL status executor.0 | jq -r '.waiting[] | select(.client_id == "RD3") | .reason')
diag "reason: $why"
check "  with the reason: no market data for bybit-linear XRPUSDT" \
    sh -c "echo '$why' | grep -q 'no market data for bybit-linear XRPUSDT yet'"
eq "the executor's log says it once" \
    "$(grep -c 'order RD3 waits: no market data for bybit-linear XRPUSDT' "$dir/log/executor.log")" 1

"$BIN/exec-order" -c "$cfg" --ctl "cancel-all" >"$dir/cancelall.out" 2>&1
eq "exec-order --ctl cancel-all exits 0" "$?" 0
eq "cancel-all cancelled the other two" "$(jq -r .cancelled "$dir/cancelall.out")" 2
check "nothing left working" wait_for 10 working 0
sleep 1 # the recorder commits every 200 ms
eq "the database has the three cancels (exec.order Cancelled, reason: cancelled by operator)" \
    "$(sql "$db" "select count(*) from events where topic = 'exec.order'
                  and body like '%\"status\":\"Cancelled\"%'
                  and body like '%cancelled by operator%'")" 3
$CTL clear-kill risk.0 >"$dir/clear.out" 2>&1
eq "ctl clear-kill risk.0 exits 0" "$?" 0
eq "clear-kill ends the latch" "$($CTL status risk.0 | jq -r .killed)" false

# ---- tap: decimal prices, heartbeat evt
wait "$tap_pid"
line=$(head -n 1 "$dir/tap_book.out")
diag "tap: $(echo "$line" | cut -c1-200)"
body=${line#*\{}
body="{$body"
uid=$(echo "$body" | jq -r .update_id)
bid=$(echo "$body" | jq -r '.bids[0][0]')
bid_text=$(echo "$line" | sed -n 's/.*"bids":\[\[\([0-9.]*\),.*/\1/p')
eq "tap: md.book px_scale of bybit-linear BTCUSDT" "$(echo "$body" | jq -r .px_scale)" 1
check "tap: the best bid is printed with one decimal ($bid_text)" \
    sh -c "echo '$bid_text' | grep -Eq '^[0-9]+\.[0-9]$'"
sleep 1 # the recorder commits every 200 ms
rec=$(sql "$db" "select bid_px || ' ' || bid_px_m from book_top where venue = 'bybit-linear'
                 and symbol = 'BTCUSDT' and update_id = $uid limit 1")
diag "recorder book_top for update $uid: $rec"
check "tap: the bid equals the recorder's decimal bid of the same update" \
    awk -v a="$bid" -v b="${rec% *}" 'BEGIN { exit !(a + 0 == b + 0 && b + 0 > 0) }'
check "tap: the scaled integer is not printed" sh -c "! echo '$line' | grep -q '\[\[${rec#* },'"
check "tap: the bid is a price of the recorded Bybit frames (\"$(printf '%.2f' "$bid")\")" \
    grep -q "\"$(printf '%.2f' "$bid")\"" data/bybit_v5/bybit_v5_linear_frames.jsonl
check "tap: the event time is printed as ISO" sh -c "echo '$body' | jq -r .ts_event | grep -q '^20[0-9-]*T'"
timeout 30 "$BIN/tap" -c "$cfg" feed.0 sys.hb --count 1 >"$dir/tap_hb.out" 2>&1
diag "tap: $(head -n 1 "$dir/tap_hb.out" | cut -c1-120)"
check "tap: a heartbeat line says evt=-" grep -q '^sys.hb.feed.0 feed.0#[0-9]* evt=- {' "$dir/tap_hb.out"
check "tap: no 1970 date in the heartbeat line" sh -c "! grep -q 1970 '$dir/tap_hb.out'"

stop_all
finish
