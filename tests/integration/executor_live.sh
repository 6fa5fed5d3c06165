# executor_live.sh - the live Bybit v5 path against venue-sim's private side: real HTTP, real
# HMAC signatures. venue-sim + feed + executor (venue "bybit") + recorder run as processes
# of this script (no supervisord: the kill -9 test needs the executor's pid).
#   1. venue-sim answers the documented retCodes (10003, 10004, 10002, 110072, 110007, 10001
#      qty/price, 110017, 10006 with X-Bapi-Limit headers)           (python client, signed)
#   2. life cycle through the executor: limit placed, partially filled by the replayed
#      trades, amended to cross, filled; market with attached TP/SL; conditional stop
#      triggered; cancel-all; venue position/wallet == the executor's fills to the last unit
#   3. rejects surface as exec.order Rejected with a clear reason (110007, 110017, 10006)
#   4. kill -9 between send and ack (venue-sim delays the create answer): meanwhile the
#      executor's loop still answers (REST is asynchronous); the restarted executor asks the
#      venue for the orderLinkId, never sends again
#   5. reconciliation: an order placed behind the executor's back is reported
#   6. the API key and secret are in no log line, no bus message, no database row
#   7. with the REST poll 10 min apart, exec.position / exec.balance after a fill come from
#      the private position / wallet pushes and equal the venue's
#   8. spot (executor.category "spot"): limit rests, market buy with marketUnit baseCoin,
#      cancel, sell, 170131 surfaces as Rejected, holdings from the wallet as exec.position
#   9. exec.status.bybit-linear: "running" after the start, "reconciling" then "running"
#      around a private WS drop, "halted" repeated every 5 s with wrong keys
#  10. time in force and trigger through exec-order: IOC, FOK, PostOnly (crossing: cancelled
#      EC_PostOnlyWillTakeLiquidity), a conditional --trigger waiting Untriggered
#  11. the executor's own accounting (exec.fill fees and realised PnL, recomputed from the
#      fills' prices and sizes) equals the venue wallet's change to the last unit
#  12. wrong keys: an unknown key (10003) and a wrong secret (10004) halt the executor and
#      orders are refused naming the code; the private WS refused at auth reconnects with a
#      growing backoff (not every 0.25-0.5 s)
. tests/integration/lib.inc

cfg=$(make_config live tests/integration/small.json max)
dir=$(dirname "$cfg")
port=$(venue_port "$cfg")
KEY="it-key-$$-Zq9"
SECRET="it-secret-$$-Xw7Pq"
printf '%s\n%s\n' "$KEY" "$SECRET" >"$dir/keys"
chmod 600 "$dir/keys"
python3 - "$cfg" "$port" "$KEY" "$SECRET" "$dir" <<'PY'
import json, sys
path, port, key, secret, d = sys.argv[1:6]
c = json.load(open(path))
c["mode"] = "live"
c["log_level"] = "info"
vs = c["venue_sim"]
vs.update({"speed": 1, "lockstep": False, "expect_labels": [], "api_keys": [{"key": key, "secret": secret}],
           "private": {"rate_order": 8}, "binance_usdm_file": "", "binance_kline_csv": []})
c["feed"]["connections"] = [x for x in c["feed"]["connections"] if x["label"] == "bybit-linear"]
# slippage guard off: most market orders here are sent after the 40 s replay ended (no book,
# no trade to bound them by); the guard has its own test (venue_safety.sh part C). Leverage
# cap 10, venue-sim's default: the start's set-leverage is answered 110043 (not modified)
c["executor"] = {"venue": "bybit", "base_url": "http://127.0.0.1:%s" % port,
                 "key_file": d + "/keys", "poll_ms": 200, "timeout_ms": 10000,
                 "slippage_cap_pct": "0", "leverage": "10"}
json.dump(c, open(path, "w"), indent=2)
PY
mkdir -p "$dir/log"
export VS_PORT=$port VS_KEY=$KEY VS_SECRET=$SECRET
BB=$dir/bb.py
cat >"$BB" <<'PY'
import os, json, hmac, hashlib, time, requests
PORT = int(os.environ["VS_PORT"]); BASE = "http://127.0.0.1:%d" % PORT
KEY, SECRET = os.environ["VS_KEY"], os.environ["VS_SECRET"]
def call(method, path, params=None, key=None, secret=None, ts=None, rw="5000", badsig=False):
    k = key or KEY; s = secret or SECRET
    ts = ts if ts is not None else int(time.time() * 1000)
    if method == "GET":
        payload = "&".join("%s=%s" % kv for kv in (params or {}).items())
    else:
        payload = json.dumps(params or {}, separators=(",", ":"))
    sig = hmac.new(s.encode(), (str(ts) + k + rw + payload).encode(), hashlib.sha256).hexdigest()
    if badsig:
        sig = sig[:-1] + ("0" if sig[-1] != "0" else "1")
    h = {"X-BAPI-API-KEY": k, "X-BAPI-TIMESTAMP": str(ts), "X-BAPI-RECV-WINDOW": rw,
         "X-BAPI-SIGN": sig, "Content-Type": "application/json"}
    if method == "GET":
        r = requests.get(BASE + path + ("?" + payload if payload else ""), headers=h, timeout=20)
    else:
        r = requests.post(BASE + path, data=payload, headers=h, timeout=20)
    j = r.json()
    j["_h"] = {a.lower(): b for a, b in r.headers.items() if a.lower().startswith("x-bapi")}
    return j
PY
vs() { PYTHONPATH=$dir python3 -c "import bb, json, sys, time; $1"; }

start() { # name binary instance
    "$BIN/$2" -c "$cfg" -i "$3" >>"$dir/log/$1.log" 2>&1 &
    echo $! >"$dir/$1.pid"
}
stop_all() {
    for p in executor badsig nokey feed recorder tap venue-sim; do
        [ -f "$dir/$p.pid" ] && kill "$(cat "$dir/$p.pid")" 2>/dev/null
    done
    sleep 1
}
trap stop_all EXIT
state_of() { "$BIN/exec-order" -c "$cfg" --ctl status 2>/dev/null | grep -o '"state":"[a-z]*"' | head -n 1 | cut -d'"' -f4; }
wait_running() {
    i=0
    while [ $i -lt 100 ]; do
        [ "$(state_of)" = running ] && return 0
        sleep 0.2
        i=$((i + 1))
    done
    return 1
}
ws_field() { "$BIN/exec-order" -c "$cfg" --ctl status | python3 -c "import json,sys; print(json.load(sys.stdin).get('$1'))"; }
order() { "$BIN/exec-order" -c "$cfg" --venue bybit-linear --symbol BTCUSDT --px-scale 1 --qty-scale 3 "$@"; }
status_of() { # client_id -> venue orderStatus
    vs "l=bb.call('GET','/v5/order/realtime',{'category':'linear','orderLinkId':'$1'})['result']['list']; print(l[0]['orderStatus'] if l else 'none')"
}

# keys: a key file readable by others is refused (exit 2, naming the key and the mode)
chmod 644 "$dir/keys"
timeout 10 "$BIN/executor" -c "$cfg" -i executor.0 >"$dir/perm.out" 2>&1
rc=$?
check "a key file with mode 644 is refused (exit $rc)" sh -c "[ $rc -eq 2 ] && grep -q 'executor.key_file: .*mode 644' '$dir/perm.out'"
chmod 600 "$dir/keys"

start venue-sim venue-sim venue-sim.0
sleep 0.5
start recorder recorder recorder.0
"$BIN/tap" -c "$cfg" executor.0 exec. --json >"$dir/tap.out" 2>&1 &
echo $! >"$dir/tap.pid"
start feed feed feed.0
start executor executor executor.0
check "executor reaches state running after the start reconciliation" wait_running
sleep 0.3
check "exec.status.bybit-linear says running after the start reconciliation" grep -q '"venue":"bybit-linear","symbol":"","state":"running"' "$dir/tap.out"

# ---- 1. venue-sim's refusals, straight over signed REST ----------------------------------
eq "unknown key -> 10003" "$(vs "print(bb.call('GET','/v5/order/realtime',{'category':'linear'},key='nokey')['retCode'])")" 10003
eq "bad signature -> 10004" "$(vs "print(bb.call('GET','/v5/order/realtime',{'category':'linear'},badsig=True)['retCode'])")" 10004
eq "stale timestamp (now - 6 s, recv_window 5 s) -> 10002" "$(vs "print(bb.call('GET','/v5/position/list',{'category':'linear','symbol':'BTCUSDT'},ts=int(time.time()*1000)-6000)['retCode'])")" 10002
eq "timestamp 2 s ahead -> 10002" "$(vs "print(bb.call('GET','/v5/position/list',{'category':'linear','symbol':'BTCUSDT'},ts=int(time.time()*1000)+2000)['retCode'])")" 10002
eq "qty not on qtyStep (0.0015, step 0.001) -> 10001" "$(vs "print(bb.call('POST','/v5/order/create',{'category':'linear','symbol':'BTCUSDT','side':'Buy','orderType':'Limit','qty':'0.0015','price':'60000'})['retCode'])")" 10001
eq "price not on tickSize (60000.05, tick 0.10) -> 10001" "$(vs "print(bb.call('POST','/v5/order/create',{'category':'linear','symbol':'BTCUSDT','side':'Buy','orderType':'Limit','qty':'0.001','price':'60000.05'})['retCode'])")" 10001
eq "reduce-only with no position (ETHUSDT) -> 110017" "$(vs "print(bb.call('POST','/v5/order/create',{'category':'linear','symbol':'ETHUSDT','side':'Sell','orderType':'Market','qty':'0.01','reduceOnly':True})['retCode'])")" 110017
eq "insufficient balance (1000 BTC) -> 110007" "$(vs "print(bb.call('POST','/v5/order/create',{'category':'linear','symbol':'BTCUSDT','side':'Buy','orderType':'Limit','qty':'1000','price':'60000.0'})['retCode'])")" 110007
eq "duplicate orderLinkId -> 110072" "$(vs "
b={'category':'linear','symbol':'BTCUSDT','side':'Buy','orderType':'Limit','qty':'0.001','price':'60000.0','orderLinkId':'dup-1'}
a=bb.call('POST','/v5/order/create',b)['retCode']; c=bb.call('POST','/v5/order/create',b)['retCode']
bb.call('POST','/v5/order/cancel',{'category':'linear','symbol':'BTCUSDT','orderLinkId':'dup-1'})
print(a, c)")" "0 110072"
eq "answers carry X-Bapi-Limit headers (queries: limit 50)" "$(vs "print(bb.call('GET','/v5/order/realtime',{'category':'linear'})['_h'].get('x-bapi-limit'))")" 50

# ---- 2. life cycle through the executor --------------------------------------------------
order --id L1 --side buy --type limit --qty 0.500 --px 65114.2 >"$dir/L1.ack"
check "limit L1 accepted" grep -q '"accepted":true' "$dir/L1.ack"
sleep 1
eq "L1 rests on the venue" "$(status_of L1)" New
order --id M1 --side buy --qty 0.010 --tp 66000.0 --sl 64000.0 >"$dir/M1.ack"
sleep 1
eq "market M1 with attached TP/SL filled" "$(status_of M1)" Filled
eq "TP/SL attached to the position" "$(vs "p=bb.call('GET','/v5/position/list',{'category':'linear','symbol':'BTCUSDT'})['result']['list'][0]; print(p['takeProfit'], p['stopLoss'])")" "66000 64000"
order --id S1 --side sell --qty 0.010 --px 65114.1 --intent stop_loss --reduce >"$dir/S1.ack"
sleep 1
eq "conditional stop S1 waits" "$(status_of S1)" Untriggered
order --id C1 --side buy --type limit --qty 0.001 --px 64000.0 >/dev/null
order --id C2 --side buy --type limit --qty 0.001 --px 64000.1 >/dev/null
sleep 1
"$BIN/exec-order" -c "$cfg" --ctl "cancel-all BTCUSDT" >"$dir/cancelall.out"
sleep 1
eq "cancel-all cancelled C1 and C2 (and L1, S1 are open too: re-placed below)" "$(status_of C1) $(status_of C2)" "Cancelled Cancelled"
# cancel-all took L1 and S1 as well: place them again to see the fills
order --id L2 --side buy --type limit --qty 0.500 --px 65114.2 >/dev/null
order --id S2 --side sell --qty 0.010 --px 65114.1 --intent stop_loss --reduce >/dev/null
diag "waiting for the replayed sell burst at +37.8 s (trades through 65114.20)"
i=0
while [ $i -lt 60 ] && [ "$(status_of L2)" = New ]; do sleep 1; i=$((i + 1)); done
eq "L2 partially filled by the replayed trades" "$(status_of L2)" PartiallyFilled
eq "stop S2 triggered by the last price and filled" "$(status_of S2)" Filled
"$BIN/exec-order" -c "$cfg" --ctl "amend L2 - 65114.3" >"$dir/amend.out"
check "amend L2 to 65114.30 sent" grep -q '"ok":true' "$dir/amend.out"
sleep 1
check "the venue answered the amend OK (logged: the control reply does not wait for it)" grep -q 'bybit: /v5/order/amend: OK' "$dir/log/executor.log"
eq "L2 filled after the amend crossed the ask" "$(status_of L2)" Filled
sleep 2
tap_status() { # client_id -> the exec.order statuses the executor published, in order
    grep "\"client_id\":\"$1\",\"order_id\":\"[^\"]*\",\"venue\":\"[^\"]*\",\"symbol\":\"[^\"]*\",\"status\"" "$dir/tap.out" |
        sed 's/.*"status":"\([A-Za-z]*\)".*/\1/' | uniq | tr '\n' ' '
}
eq "exec.order of L2: New, PartiallyFilled..., Filled" "$(tap_status L2)" "New PartiallyFilled Filled "
s2=$(tap_status S2)
check "exec.order of S2: New, Untriggered, [Triggered, New,] Filled ($s2)" sh -c "echo '$s2' | grep -Eq '^New Untriggered (Triggered New )?Filled $'"
eq "exec.order of C1: New, Cancelled" "$(tap_status C1)" "New Cancelled "
fills_venue=$(vs "print(len([e for e in bb.call('GET','/v5/execution/list',{'category':'linear'})['result']['list'] if e['orderLinkId'] in ('L2','M1','S2')]))")
fills_tap=$(grep -c '"fill_id":"e0' "$dir/tap.out")
eq "every venue execution became one exec.fill (no duplicate, none lost)" "$fills_tap" "$fills_venue"
"$BIN/exec-order" -c "$cfg" --ctl "tpsl BTCUSDT 67000 63000" >"$dir/tpsl.out"
eq "trading-stop sets the position's TP/SL" "$(vs "p=bb.call('GET','/v5/position/list',{'category':'linear','symbol':'BTCUSDT'})['result']['list'][0]; print(p['takeProfit'], p['stopLoss'])")" "67000 63000"
# positions and balance consistent with the fills, to the last unit (scale 8)
vs "
from decimal import Decimal as D
ex=bb.call('GET','/v5/execution/list',{'category':'linear','symbol':'BTCUSDT'})['result']['list']
pos=sum((D(e['execQty']) if e['side']=='Buy' else -D(e['execQty'])) for e in ex)
fees=sum(D(e['execFee']) for e in ex)
cost=D(0); size=D(0); real=D(0)
for e in sorted(ex, key=lambda e: e['seq']):
    q=D(e['execQty']) * (1 if e['side']=='Buy' else -1); px=D(e['execPrice'])
    if size and (size>0)!=(q>0):
        c=min(abs(q),abs(size)) * (1 if size>0 else -1)
        part=(cost*c/size).quantize(D('0.00000001'))
        real+=px*c-part; cost-=part; size-=c; q+=c
        if size==0: cost=D(0)
    if q: size+=q; cost+=px*q
p=bb.call('GET','/v5/position/list',{'category':'linear','symbol':'BTCUSDT'})['result']['list'][0]
w=bb.call('GET','/v5/account/wallet-balance',{'accountType':'UNIFIED'})['result']['list'][0]
print('size', D(p['size']) == abs(pos), 'wallet', D(w['totalWalletBalance']) == D(10000) + real - fees)
" >"$dir/consistent.out"
eq "venue position and wallet equal the fills (size, 10000 + realised - fees)" "$(cat "$dir/consistent.out")" "size True wallet True"
exec_pos=$("$BIN/exec-order" -c "$cfg" --ctl status | python3 -c "import json,sys; print(json.load(sys.stdin).get('reconcile_diffs'))")
# part 1's dup-1 lives on the venue for a moment: a poll may rightly report it
dup1=$(grep -c "reconcile difference: venue open order .* (link 'dup-1')" "$dir/log/executor.log")
eq "the executor's fills agree with the venue's position (no reconcile differences but dup-1)" "$((exec_pos - dup1))" 0

# ---- 3. venue refusals as exec.order Rejected --------------------------------------------
order --id R1 --side buy --type limit --qty 900.000 --px 65000.0 >/dev/null
order --id R2 --side buy --qty 0.010 --reduce >/dev/null
sleep 1
check "110007 surfaces as exec.order Rejected" grep -q '"client_id":"R1".*"status":"Rejected".*bybit 110007: available balance insufficient' "$dir/tap.out"
check "110017 surfaces as exec.order Rejected" grep -q '"client_id":"R2".*"status":"Rejected".*bybit 110017: reduce-only rule not satisfied' "$dir/tap.out"
# refused at the executor's intake (rules from instruments-info): ack and exec.order Rejected.
# 1000BONKUSDT: qtyStep "100" -> qty scale 0, step 100; tickSize "0.0000010" -> px scale 6.
"$BIN/exec-order" -c "$cfg" --venue bybit-linear --symbol 1000BONKUSDT --px-scale 6 --qty-scale 0 --id IQ1 --side buy --qty 150 >"$dir/IQ1.ack"
# every Bybit tickSize is 10^-n, so at the instrument's px scale every price is on the tick: a
# price finer than the tick (65000.05 on 0.10) can only come at a finer scale, refused as such
order --id IP1 --side buy --type limit --qty 0.001 --px-scale 2 --px 65000.05 >"$dir/IP1.ack"
sleep 0.5
check "qty not on step: ack refused" grep -q '"accepted":false,"status":"Rejected","reason":"qty not on step"' "$dir/IQ1.ack"
check "qty not on step: exec.order Rejected" grep -q '"client_id":"IQ1",.*"status":"Rejected".*"reject_reason":"qty not on step"' "$dir/tap.out"
check "price finer than the tick: ack refused (scale mismatch)" grep -q '"accepted":false,"status":"Rejected","reason":"scale mismatch"' "$dir/IP1.ack"
check "price finer than the tick: exec.order Rejected" grep -q '"client_id":"IP1",.*"status":"Rejected".*"reject_reason":"scale mismatch"' "$dir/tap.out"
order --id M1 --side buy --qty 0.010 >"$dir/M1b.ack"
check "duplicate client id (orderLinkId) M1: answered with the first answer" grep -q '"client_id":"M1","accepted":true' "$dir/M1b.ack"
eq "duplicate client id M1: sent to the venue once" "$(grep -c 'order M1 acknowledged' "$dir/log/executor.log")" 1

# ---- 10. time in force and trigger (exec-order --tif / --trigger) --------------------------
# the book is near 65114 here: 60000.0 buys cross nothing, 66000.0 buys cross the ask
order --id T_IOC --side buy --type limit --qty 0.001 --px 60000.0 --tif IOC >/dev/null
order --id T_FOK --side buy --type limit --qty 0.001 --px 60000.0 --tif FOK >/dev/null
order --id T_FOKX --side buy --type limit --qty 0.001 --px 66000.0 --tif FOK >/dev/null
order --id T_PO --side buy --type limit --qty 0.001 --px 66000.0 --tif PostOnly >/dev/null
order --id T_TRG --side buy --qty 0.001 --trigger 90000.0 --trigger-dir 1 >/dev/null
sleep 1.5
eq "IOC that crosses nothing: New, Cancelled" "$(tap_status T_IOC)" "New Cancelled "
check "IOC cancelled with EC_NoImmediateQtyToFill" grep -q '"client_id":"T_IOC",.*"status":"Cancelled".*EC_NoImmediateQtyToFill' "$dir/tap.out"
eq "FOK that cannot fill whole: New, Cancelled" "$(tap_status T_FOK)" "New Cancelled "
check "FOK cancelled with EC_CancelForNoFullFill" grep -q '"client_id":"T_FOK",.*"status":"Cancelled".*EC_CancelForNoFullFill' "$dir/tap.out"
eq "FOK that crosses: New, Filled" "$(tap_status T_FOKX)" "New Filled "
eq "PostOnly that would cross: New, Cancelled" "$(tap_status T_PO)" "New Cancelled "
check "PostOnly cancelled with EC_PostOnlyWillTakeLiquidity" grep -q '"client_id":"T_PO",.*"status":"Cancelled".*EC_PostOnlyWillTakeLiquidity' "$dir/tap.out"
eq "the venue got the tif words" "$(vs "print(' '.join(bb.call('GET','/v5/order/history',{'category':'linear','orderLinkId':i})['result']['list'][0]['timeInForce'] for i in ('T_IOC','T_FOK','T_PO')))")" "IOC FOK PostOnly"
eq "--trigger 90000.0 --trigger-dir 1: the venue holds it Untriggered at 90000 rising" "$(vs "o=bb.call('GET','/v5/order/realtime',{'category':'linear','orderLinkId':'T_TRG'})['result']['list'][0]; print(o['orderStatus'], o['triggerPrice'], o['triggerDirection'])")" "Untriggered 90000 1"
eq "exec.order of T_TRG: New, Untriggered" "$(tap_status T_TRG)" "New Untriggered "
"$BIN/exec-order" -c "$cfg" --ctl "cancel T_TRG" >/dev/null

# ---- 4. kill -9 between send and ack -----------------------------------------------------
vs "print(bb.call('POST','/v5/sim/control',{'delay_create_ms':'3000'})['retCode'])" >/dev/null
order --id K1 --side buy --qty 0.001 >/dev/null
sleep 0.5
# REST runs on the loop (curl multi): while the create waits on the venue, the executor
# still answers (a blocking call would hold its loop for the 3 s)
t0=$(date +%s%N)
inflight=$(ws_field rest_in_flight)
ms=$((($(date +%s%N) - t0) / 1000000))
check "the executor answers while K1's create waits on the venue ($ms ms, $inflight call in flight)" sh -c "[ $ms -lt 1000 ] && [ '$inflight' -ge 1 ]"
order --id K0 --side buy --type limit --qty 0.001 --px 60000.0 >"$dir/K0.ack"
check "and accepts another order meanwhile" grep -q '"accepted":true' "$dir/K0.ack"
sleep 0.5
kill -9 "$(cat "$dir/executor.pid")"
sleep 3
vs "print(bb.call('POST','/v5/sim/control',{'delay_create_ms':'0'})['retCode'])" >/dev/null
check "journal holds K1's intent without an ack" sh -c "grep -q '^I K1 ' '$dir/executor.0.journal' && ! grep -q '^A K1 ' '$dir/executor.0.journal'"
start executor executor executor.0
check "restarted executor reconciles to running" wait_running
check "K1 resolved by querying the venue" grep -q 'intent K1 resolved: on the venue' "$dir/log/executor.log"
order --id K1 --side buy --qty 0.001 >"$dir/K1b.ack"
sleep 1
eq "K1 exists once on the venue (never re-sent)" "$(vs "print(len([o for o in bb.call('GET','/v5/order/history',{'category':'linear'})['result']['list'] if o['orderLinkId']=='K1']))")" 1
check "K1 repeated after restart is answered from the journal" grep -q '"accepted":true' "$dir/K1b.ack"

# ---- 5. reconciliation reports what the executor did not place ---------------------------
vs "bb.call('POST','/v5/order/create',{'category':'linear','symbol':'BTCUSDT','side':'Buy','orderType':'Limit','qty':'0.001','price':'60000.0','orderLinkId':'manual-1'})"
"$BIN/exec-order" -c "$cfg" --ctl reconcile >/dev/null
sleep 1 # the poll runs on the loop, after the reply
check "an open order unknown to the executor is a logged difference" grep -q 'reconcile difference: venue open order .*manual-1' "$dir/log/executor.log"

# ---- rate limit: 10006 as exec.order Rejected --------------------------------------------
n=0
while [ $n -lt 25 ]; do order --id RL$n --side buy --type limit --qty 0.001 --px 60000.0 >/dev/null; n=$((n + 1)); done
sleep 1
check "10006 surfaces as exec.order Rejected" grep -q '"client_id":"RL[0-9]*",.*"status":"Rejected","reject_reason":"bybit 10006: rate limit' "$dir/tap.out"

# ---- private WS: pushes, then a drop -> reconnect -> REST reconciliation before running ---
eq "executor's private ws is authenticated" "$(ws_field ws_authed)" True
order --id W0 --side buy --qty 0.001 >/dev/null
sleep 1
ws_fills=$(ws_field ws_fills)
check "executions arrive over the private ws ($ws_fills applied from ws pushes)" test "$ws_fills" -gt 0
tap0=$(wc -l <"$dir/tap.out")
vs "print(bb.call('POST','/v5/sim/control',{'drop_ws':'1'})['retCode'])" >/dev/null
# an exit (reduce-only) goes out while the venue reconciles; new entries would be refused
order --id W1 --side sell --qty 0.001 --reduce >/dev/null
sleep 3
eq "exec.status.bybit-linear after the drop: reconciling, then running" "$(tail -n +$((tap0 + 1)) "$dir/tap.out" | grep -o '"venue":"bybit-linear","symbol":"","state":"[a-z]*"' | cut -d'"' -f12 | uniq | tr '\n' ' ')" "reconciling running "
check "the reconciling status names the reason" sh -c "tail -n +$((tap0 + 1)) '$dir/tap.out' | grep -q '\"state\":\"reconciling\",\"reason\":\"private ws down\"'"
check "ws drop put the executor in reconciling" grep -q 'venue state running -> reconciling: private ws down' "$dir/log/executor.log"
check "after the reconnect it reconciled over REST, then ran" sh -c "sed -n '/private ws down/,\$p' '$dir/log/executor.log' | grep -e 'private ws authenticated' -e 'reconciliation done' -e 'reconciling -> running' | tr '\n' ' ' | grep -q 'authenticated.*reconciliation done.*reconciling -> running'"
eq "state back to running" "$(state_of)" running
eq "W1 (filled around the drop) applied once" "$(grep -c '"client_id":"W1","order_id":"[^"]*","fill_id"' "$dir/tap.out")" 1

# ---- 7. exec.position / exec.balance straight from the private pushes -------------------
# restart the executor with a REST poll period of 10 min: after its start reconciliation no
# poll runs, so what follows a fill can only come from the position and wallet pushes
python3 - "$cfg" <<'PY'
import json, sys
c = json.load(open(sys.argv[1])); c["executor"]["poll_ms"] = 600000
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
kill "$(cat "$dir/executor.pid")"
sleep 1
start executor executor executor.0
check "executor (poll every 10 min) back to running" wait_running
sleep 1
polls0=$(ws_field polls)
push0=$(ws_field pos_push)
bal0=$(ws_field bal_push)
order --id P1 --side buy --qty 0.003 >/dev/null
sleep 1
eq "no REST poll ran around the fill" "$(ws_field polls)" "$polls0"
check "exec.position came from the position push ($push0 -> $(ws_field pos_push))" test "$(ws_field pos_push)" -gt "$push0"
check "exec.balance came from the wallet push ($bal0 -> $(ws_field bal_push))" test "$(ws_field bal_push)" -gt "$bal0"
venue_qty=$(vs "p=bb.call('GET','/v5/position/list',{'category':'linear','symbol':'BTCUSDT'})['result']['list'][0]; from decimal import Decimal as D; q=int(D(p['size'])*1000); print(-q if p['side']=='Sell' else q)")
tap_qty=$(sed -n '/"client_id":"P1","order_id":"[^"]*","fill_id"/,$p' "$dir/tap.out" | grep '"symbol":"BTCUSDT","px_scale":1,"qty_scale":3,"qty":' | grep -v '"client_id"' | head -n 1 | sed 's/.*"qty_scale":3,"qty":\(-*[0-9]*\).*/\1/')
eq "the exec.position after P1's fill holds the venue's size (qty scale 3)" "$tap_qty" "$venue_qty"
wal_venue=$(vs "w=bb.call('GET','/v5/account/wallet-balance',{'accountType':'UNIFIED'})['result']['list'][0]; from decimal import Decimal as D; print(int(D(w['totalWalletBalance'])*10**8))")
wal_tap=$(sed -n '/"client_id":"P1","order_id":"[^"]*","fill_id"/,$p' "$dir/tap.out" | grep -o '"asset":"USDT","wallet":-*[0-9]*' | tail -n 1 | grep -o '[-0-9]*$')
eq "the exec.balance after P1's fill holds the venue's wallet (scale 8)" "$wal_tap" "$wal_venue"

# ---- 11. the executor's accounting == the venue wallet's change, to the last unit ----------
# From the exec.fill messages of bybit-linear (deduplicated on fill_id: a restarted executor
# may say a fill again): fees summed; realised PnL recomputed here from side/px/qty (average
# cost, a partial close removes cost x closed/size half-even at 8 decimals, as Bybit) and
# compared with the executor's realized_pnl; the wallet's change since the start (10000)
# must be realised - fees exactly.
wal_now=$(vs "print(bb.call('GET','/v5/account/wallet-balance',{'accountType':'UNIFIED'})['result']['list'][0]['totalWalletBalance'])")
python3 - "$dir/tap.out" "$wal_now" >"$dir/acct.out" <<'PY'
import json, sys
from decimal import Decimal as D
fills, seen = [], set()
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    b = m.get("body", m)
    if "fill_id" not in b or b.get("venue") != "bybit-linear" or b["fill_id"] in seen:
        continue
    seen.add(b["fill_id"]); fills.append(b)
fills.sort(key=lambda b: (b["ts_event"], b["fill_id"]))
E8 = D("0.00000001")
size = D(0); cost = D(0); real = D(0); fees = D(0); prog_real = D(0)
for b in fills:
    q = D(b["qty"]).scaleb(-b["qty_scale"]) * b["side"]; px = D(b["px"]).scaleb(-b["px_scale"])
    fees += D(b["fee"]).scaleb(-8); prog_real += D(b["realized_pnl"]).scaleb(-8)
    if size and (size > 0) != (q > 0):
        c = min(abs(q), abs(size)) * (1 if size > 0 else -1)
        part = cost if c == size else (cost * c / size).quantize(E8)
        real += (px * c).quantize(E8) - part; cost -= part; size -= c; q += c
    if q:
        size += q; cost += (px * q).quantize(E8)
change = D(sys.argv[2]) - D(10000)
print(len(fills), "fills;", "realised", real, "executor", prog_real, "fees", fees, "wallet change", change)
print("realised", real == prog_real, "wallet", change == real - fees)
PY
diag "$(head -n 1 "$dir/acct.out")"
eq "exec.fill realised PnL == recomputed from the fills; wallet change == realised - fees (exact)" "$(tail -n 1 "$dir/acct.out")" "realised True wallet True"

# ---- 8. spot: one life cycle with executor.category "spot" -------------------------------
python3 - "$cfg" "$dir" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["executor"].update({"category": "spot", "poll_ms": 200, "journal": sys.argv[2] + "/executor.0.spot.journal"})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
kill "$(cat "$dir/executor.pid")"
sleep 1
start executor executor executor.0
check "executor on the spot category reaches running" wait_running
# spot BTCUSDT: tickSize 0.1 (px scale 1), basePrecision 0.000001 (qty scale 6)
sorder() { "$BIN/exec-order" -c "$cfg" --venue bybit-spot --symbol BTCUSDT --px-scale 1 --qty-scale 6 "$@"; }
spot_field() { # client_id field...
    vs "l=bb.call('GET','/v5/order/history',{'category':'spot','orderLinkId':'$1'})['result']['list'] or bb.call('GET','/v5/order/realtime',{'category':'spot','orderLinkId':'$1'})['result']['list']; print(' '.join(str(l[0][f]) for f in '$2'.split()) if l else 'none')"
}
sorder --id SP1 --side buy --type limit --qty 0.010000 --px 60000.0 >"$dir/SP1.ack"
check "spot limit SP1 accepted" grep -q '"accepted":true' "$dir/SP1.ack"
sleep 1
eq "SP1 rests on the venue's spot book" "$(spot_field SP1 'orderStatus category')" "New spot"
sorder --id SP2 --side buy --qty 0.001000 >/dev/null
sleep 1
eq "spot market buy SP2 sent with marketUnit baseCoin, filled 0.001 BTC" "$(spot_field SP2 'orderStatus cumExecQty marketUnit')" "Filled 0.001 baseCoin"
check "exec.position bybit-spot BTCUSDT from the wallet's BTC: 0.001000" grep -q '"venue":"bybit-spot","symbol":"BTCUSDT","px_scale":1,"qty_scale":6,"qty":1000,' "$dir/tap.out"
"$BIN/exec-order" -c "$cfg" --ctl "cancel SP1" >/dev/null
sorder --id SP3 --side sell --qty 0.001000 --reduce >/dev/null
sorder --id SP4 --side sell --qty 1.000000 >/dev/null
sleep 1.5
eq "SP1 cancelled" "$(spot_field SP1 orderStatus)" Cancelled
eq "spot market sell SP3 filled (reduce-only is not a spot field: not sent)" "$(spot_field SP3 'orderStatus cumExecQty reduceOnly')" "Filled 0.001 False"
eq "exec.order of SP1: New, Cancelled" "$(tap_status SP1)" "New Cancelled "
eq "exec.order of SP2: New, Filled" "$(tap_status SP2)" "New Filled "
check "selling BTC not held: 170131 as exec.order Rejected" grep -q '"client_id":"SP4".*"status":"Rejected".*bybit 170131: spot: balance insufficient' "$dir/tap.out"
eq "the spot position is flat again (last exec.position)" "$(grep '"venue":"bybit-spot","symbol":"BTCUSDT","px_scale":1,"qty_scale":6' "$dir/tap.out" | tail -n 1 | sed 's/.*"qty_scale":6,"qty":\(-*[0-9]*\).*/\1/')" 0
eq "spot fills: two exec.fill (SP2, SP3)" "$(grep -c '"client_id":"SP[23]","order_id":"18[0-9]*","fill_id"' "$dir/tap.out")" 2

# ---- 12. wrong keys: halted with the code; the refused private WS backs off -----------------
kill "$(cat "$dir/executor.pid")"
sleep 1
printf '%s\n%s\n' "$KEY" "wrong-$SECRET" >"$dir/keys.badsig"
printf '%s\n%s\n' "nokey-$$" "$SECRET" >"$dir/keys.nokey"
chmod 600 "$dir/keys.badsig" "$dir/keys.nokey"
python3 - "$cfg" "$dir" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["executor"].update({"category": "linear", "poll_ms": 200, "key_file": sys.argv[2] + "/keys.badsig",
                      "journal": sys.argv[2] + "/executor.0.badsig.journal"})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
tap0=$(wc -l <"$dir/tap.out")
start badsig executor executor.0
sleep 2
order --id BK1 --side buy --qty 0.001 >/dev/null
sleep 11 # ~13 s with the wrong secret in all
kill "$(cat "$dir/badsig.pid")"
sleep 1
check "wrong secret: REST 10004 halts the executor" grep -q 'venue state .* -> halted: bybit 10004' "$dir/log/badsig.log"
check "wrong secret: the order is exec.order Rejected naming 10004" grep -q '"client_id":"BK1",.*"status":"Rejected".*"reject_reason":"venue halted: bybit 10004' "$dir/tap.out"
check "wrong secret: the private WS auth is refused" grep -q 'private ws auth refused' "$dir/log/badsig.log"
nconn=$(grep -c 'bybit-private: connecting to' "$dir/log/badsig.log")
delays=$(grep -o 'bybit-private: .*reconnect in [0-9]* ms' "$dir/log/badsig.log" | grep -o '[0-9]* ms$' | cut -d' ' -f1 | tr '\n' ' ')
# backoff 0.5 s x 2^(n-1) with jitter [d/2, d]: connects at 0, >=0.25, >=0.75, >=1.75, >=3.75,
# >=7.75 s (next >= 15.75 s) -> at most 6 in 13 s; a reset on every connect would make ~25 or more
check "refused private WS: at most 6 connects in 13 s ($nconn; delays $delays)" test "$nconn" -le 6
check "refused private WS: the reconnect delay grows past 2 s ($delays)" sh -c "echo '$delays' | tr ' ' '\n' | awk '\$1 >= 2000 { f = 1 } END { exit !f }'"
nhalt=$(tail -n +$((tap0 + 1)) "$dir/tap.out" | grep -c '"venue":"bybit-linear","symbol":"","state":"halted","reason":"bybit 10004')
check "exec.status halted repeated every 5 s while halted ($nhalt in 13 s, >= 2)" test "$nhalt" -ge 2
python3 - "$cfg" "$dir" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["executor"].update({"key_file": sys.argv[2] + "/keys.nokey", "journal": sys.argv[2] + "/executor.0.nokey.journal"})
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
start nokey executor executor.0
sleep 2
order --id BK2 --side buy --qty 0.001 >/dev/null
sleep 1
kill "$(cat "$dir/nokey.pid")"
sleep 1
check "unknown key: REST 10003 halts the executor" grep -q 'venue state .* -> halted: bybit 10003' "$dir/log/nokey.log"
check "unknown key: the order is exec.order Rejected naming 10003" grep -q '"client_id":"BK2",.*"status":"Rejected".*"reject_reason":"venue halted: bybit 10003' "$dir/tap.out"

# ---- 6. secrets ---------------------------------------------------------------------------
stop_all
trap - EXIT
db=$(ls "$dir"/*.db 2>/dev/null | head -n 1)
check "the secret is in no log line" sh -c "! grep -rq -- '$SECRET' '$dir/log'"
check "the key is in no log line" sh -c "! grep -rq -- '$KEY' '$dir/log'"
check "neither is on the bus (tap of exec.*)" sh -c "! grep -q -e '$SECRET' -e '$KEY' '$dir/tap.out'"
check "neither is in the database" sh -c "[ -n '$db' ] && ! sqlite3 '$db' .dump | grep -q -e '$SECRET' -e '$KEY'"
finish
