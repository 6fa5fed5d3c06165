# venue_safety.sh - issue 17's venue side, the real group (venue-sim, feed, signal, risk,
# executor, recorder) under supervisord in live mode, on a Bybit v5 linear stream written here
# (so the price path is known): BTCUSDT at 60000.0, a jump to 60100.0 that makes a `rules`
# strategy buy, then a rise to 60300.0 (+0.33 %) past risk's breakeven (0.2 %).
#   A. paper venue (a replay at speed 1): the breakeven move re-prices the paper venue's held stop (journaled "M"
#      in executor.paper_state); `ctl kill risk.0` cancels the resting orders placed by hand
#      (a limit and a conditional) besides flattening the position
#   B. live venue (executor.venue "bybit" against venue-sim's private side): the entry's stop
#      is on the venue's position; after the breakeven move risk is killed with kill -9 at
#      once: the venue's stop is at breakeven (the entry price), and the restarted risk (by
#      supervisord) has it in its restored state and sends no second move; a stop changed on
#      the venue behind the executor's back is set back by its poll; then resting orders
#      placed by hand and `ctl kill risk.0`: venue-sim's own book has nothing open
#   C. live venue, slippage guard (executor.slippage_cap_pct): a market entry goes out as an
#      IOC limit at the best ask + the cap; the part beyond it is cancelled, reported on
#      exec.order, never chased
#   D. live venue, leverage cap (executor.leverage 50): set at start (B checks it), read back;
#      raised behind the executor's back to 75 while the venue refuses set-leverage: entries
#      are refused (exits go out); once the venue takes it again the cap is set back
. tests/integration/lib.inc

# frames.jsonl: Bybit v5 public linear frames (BYBIT_V5.md 1.5, 1.6), event time from now on
mkframes() {
    python3 - "$1" <<'PY'
import json, sys, time
t0 = int(time.time() * 1000) + 1000
out = open(sys.argv[1], "w")
seq = [0]
def book(ts, bid):
    seq[0] += 1
    b = [["%.1f" % (bid - i * 0.1), "5.000"] for i in range(20)]
    a = [["%.1f" % (bid + 0.1 + i * 0.1), "5.000"] for i in range(20)]
    out.write(json.dumps({"topic": "orderbook.50.BTCUSDT", "type": "snapshot", "ts": ts,
                          "data": {"s": "BTCUSDT", "b": b, "a": a, "u": seq[0], "seq": seq[0]},
                          "cts": ts}) + "\n")
def trade(ts, px, side):
    seq[0] += 1
    out.write(json.dumps({"topic": "publicTrade.BTCUSDT", "type": "snapshot", "ts": ts,
                          "data": [{"T": ts, "s": "BTCUSDT", "S": side, "v": "0.001",
                                    "p": "%.1f" % px, "L": "ZeroPlusTick", "i": "t%d" % seq[0],
                                    "BT": False, "seq": seq[0]}]}) + "\n")
# 0-25 s at 60000 (every stage up and running), 25-45 s at 60100 (the rule turns true: entry),
# 45-300 s at 60300 (breakeven reached, then nothing happens: time for the checks)
book(t0, 59999.9)
for i in range(1, 1200):
    ts = t0 + i * 250
    if i == 100:
        book(ts, 60099.9)
    if i == 180:
        book(ts, 60299.9)
    px = 60000.0 if i < 100 else 60100.0 if i < 180 else 60300.0
    trade(ts, px, "Buy" if i % 2 else "Sell")
PY
}

# setup NAME VENUE -> config path: the group on frames.jsonl, a rules strategy that buys when a
# 1 s trade bar closes above 60050, risk with breakeven at 0.2 %
setup() {
    c=$(make_config "$1" tests/integration/small.json 1)
    d=$(dirname "$c")
    mkframes "$d/frames.jsonl"
    printf '%s\n%s\n' vs-test-key vs-test-secret >"$d/keys"
    chmod 600 "$d/keys"
    python3 - "$c" "$d" "$2" <<'PY'
import json, sys
path, d, venue = sys.argv[1:4]
c = json.load(open(path))
# the live venue runs in live mode; the paper venue in a replay paced at speed 1 (lockstep:
# it tells risk the equity on the replay's hello step)
c["mode"] = "live" if venue == "bybit" else "replay"
c["log_level"] = "info"
c["venue_sim"].update({"speed": 1, "bybit_linear_frames": d + "/frames.jsonl",
                       "bybit_spot_frames": "", "binance_usdm_file": "", "binance_kline_csv": []})
if venue == "bybit":
    c["venue_sim"].update({"lockstep": False, "expect_labels": []})
con = [x for x in c["feed"]["connections"] if x["label"] == "bybit-linear"][0]
con.update({"symbols": ["BTCUSDT"], "depth": 50, "topics": ["orderbook", "publicTrade"]})
c["feed"]["connections"] = [con]
c["signal"]["trade_bars"] = [{"venue": "bybit-linear", "symbol": "BTCUSDT", "tf_s": 1}]
c["signal"]["strategies"] = [{"name": "up.btc", "type": "rules", "venue": "bybit-linear",
                              "symbol": "BTCUSDT", "tf_s": 1, "side": "buy",
                              "rules": [{"left": "close", "op": "gt", "value": 60050}],
                              "stop": {"pct": "1"}, "take_profit": {"pct": "5"}}]
c["risk"]["exits"] = {"breakeven_pct": "0.2"}
if venue == "bybit":
    # slippage cap 0.0001 %: at 60300.0 the bound is 60300.0 + 0.0603, i.e. the best ask only;
    # leverage cap 50 (venue-sim's own default is 10: the executor sets it at start)
    c["executor"] = {"venue": "bybit", "base_url": "http://127.0.0.1:{venue_port}",
                     "key_file": d + "/keys", "poll_ms": 500, "slippage_cap_pct": "0.0001",
                     "leverage": "50"}
else:
    c["executor"]["paper_state"] = "{run}/paper.state"
json.dump(c, open(path, "w"), indent=2)
PY
    echo "$c"
}

jget() { "$BIN/ctl" -c "$cfg" status "$1" 2>/dev/null | jq -r "$2" 2>/dev/null; }
has_position() { [ "$(jget risk.0 '.positions[0].qty | tonumber > 0')" = true ] && [ "$(jget risk.0 '.positions[0].entry_px | tonumber > 0')" = true ]; }
# same_num A B: equal as decimal numbers ("60100" = "60100.0")
same_num() { python3 -c "import sys; from decimal import Decimal as D; sys.exit(0 if D(sys.argv[1]) == D(sys.argv[2]) else 1)" "$1" "$2" 2>/dev/null; }
flat() { [ "$(jget risk.0 .open_positions)" = 0 ] && [ "$(jget executor.0 .positions)" = 0 ]; }
order() { "$BIN/exec-order" -c "$cfg" --venue bybit-linear --symbol BTCUSDT --px-scale 1 --qty-scale 3 "$@"; }
moved() { grep -q "venue stop bybit-linear BTCUSDT: .* -> " "$dir/log/risk.log"; }
down() { tools/sv -c "$cfg" shutdown >/dev/null 2>&1; }

# ---- A. paper venue (a replay paced at speed 1) ---------------------------------------------
# (TP_VS_ONLY=A runs only this part, TP_VS_ONLY=B only B, C and D)
if [ "$TP_VS_ONLY" != B ]; then
cfg=$(setup paper paper)
dir=$(dirname "$cfg")
check "A: supervisord starts the group (paper venue)" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
check "A: risk holds a long from the rules signal" wait_for 90 has_position
check "A: after the rise past 0.2 % risk moves the venue-held stop" wait_for 60 moved
grep "venue stop" "$dir/log/risk.log" | sed 's/^/# /'
entry=$(jget risk.0 '.positions[0].entry_px')
stop_line() { grep -q '^M [^ ]*\.s ' "$dir/paper.state"; }
check "A: the paper venue journals the move of its held stop (M record)" wait_for 10 stop_line
m=$(grep '^M ' "$dir/paper.state" | tail -n 1)
check "A: the held stop is now at the entry price ($m; risk's entry $entry, px scale 1)" same_num "$(echo "$m" | cut -d' ' -f3)e-1" "$entry"
# resting orders by hand: a limit far below and a conditional far above
order --id A_LIM --side buy --type limit --qty 0.001 --px 59000.0 >"$dir/A_LIM.ack"
order --id A_CND --side buy --qty 0.001 --trigger 70000.0 --trigger-dir 1 >"$dir/A_CND.ack"
check "A: both accepted" sh -c "grep -q '\"accepted\":true' '$dir/A_LIM.ack' && grep -q '\"accepted\":true' '$dir/A_CND.ack'"
# working: the held stop and target (.s, .t), the limit, the conditional; untriggered: all but
# the limit
working() { [ "$(jget executor.0 .working)" = 4 ] && [ "$(jget executor.0 .untriggered)" = 3 ]; }
check "A: the limit and the conditional are working on the paper venue" wait_for 10 working
out=$("$BIN/ctl" -c "$cfg" kill risk.0)
eq "A: ctl kill risk.0 answers KILLED" "$(echo "$out" | jq -r .state)" KILLED
check "A: the kill flattened the position" wait_for 20 flat
no_work() { [ "$(jget executor.0 .working)" = 0 ]; }
if ! check "A: no order is working on the paper venue after the kill" wait_for 10 no_work; then
    "$BIN/ctl" -c "$cfg" status executor.0 | jq -c '{working, untriggered, waiting, open_orders}' | sed 's/^/# /'
    grep -e "cancel" -e "A_LIM" -e "A_CND" "$dir"/log/executor.log | sed 's/^/# /'
fi
check "A: risk's log says what the kill cancelled" grep -q "kill: cancel-all: [1-9][0-9]* cancelled" "$dir/log/risk.log"
cancelled() {
    [ "$(sql "$dir/tradepipe.db" "select count(distinct client_id) from orders where client_id in ('A_LIM','A_CND') and status = 'Cancelled'")" = 2 ]
}
check "A: exec.order Cancelled for the limit and the conditional (recorder)" wait_for 10 cancelled
down
fi
[ "$TP_VS_ONLY" = A ] && { finish; exit; }
# ---- B. live venue (Bybit v5 through venue-sim) ----------------------------------------------
cfg=$(setup live bybit)
dir=$(dirname "$cfg")
export VS_PORT VS_KEY=vs-test-key VS_SECRET=vs-test-secret
BB=$dir/bb.py
cat >"$BB" <<'PY'
import os, json, hmac, hashlib, time, requests
BASE = "http://127.0.0.1:%s" % os.environ["VS_PORT"]
KEY, SECRET = os.environ["VS_KEY"], os.environ["VS_SECRET"]
def call(method, path, params=None):
    ts = int(time.time() * 1000)
    payload = "&".join("%s=%s" % kv for kv in (params or {}).items()) if method == "GET" \
        else json.dumps(params or {}, separators=(",", ":"))
    sig = hmac.new(SECRET.encode(), (str(ts) + KEY + "5000" + payload).encode(), hashlib.sha256).hexdigest()
    h = {"X-BAPI-API-KEY": KEY, "X-BAPI-TIMESTAMP": str(ts), "X-BAPI-RECV-WINDOW": "5000",
         "X-BAPI-SIGN": sig, "Content-Type": "application/json"}
    if method == "GET":
        return requests.get(BASE + path + ("?" + payload if payload else ""), headers=h, timeout=20).json()
    return requests.post(BASE + path, data=payload, headers=h, timeout=20).json()
def pos():
    l = call("GET", "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"})["result"]["list"]
    return l[0] if l else {}
def open_orders():
    return call("GET", "/v5/order/realtime", {"category": "linear", "settleCoin": "USDT"})["result"]["list"]
PY
vs() { PYTHONPATH=$dir python3 -c "import bb; $1"; }
check "B: supervisord starts the group (bybit venue on venue-sim)" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
VS_PORT=$(venue_port "$cfg")
export VS_PORT
lev() { vs "print(float(bb.call('GET','/v5/position/list',{'category':'linear','symbol':'BTCUSDT'})['result']['list'][0]['leverage']))" 2>/dev/null; }
lev50() { [ "$(lev)" = 50.0 ]; }
check "B: the executor set BTCUSDT's leverage to the cap at start (venue-sim's default is 10)" wait_for 20 lev50
check "B: and read it back" wait_for 10 grep -q "leverage of BTCUSDT on the venue: 50 (cap 50)" "$dir/log/executor.log"
check "B: risk holds a long from the rules signal" wait_for 90 has_position
sl0=$(jget risk.0 '.positions[0].sl_px')
vstop() { vs "p=bb.pos(); print(p.get('stopLoss', ''), p.get('avgPrice', ''), p.get('size', ''))"; }
diag "venue position after the entry: stopLoss avgPrice size = $(vstop)"
check "B: the venue holds the entry's stop (risk's sl_px $sl0)" same_num "$(vstop | cut -d' ' -f1)" "$sl0"
# kill -9 risk the moment it has moved its stop (its log line comes right after the answer)
if wait_for 60 moved; then
    pid=$(jget risk.0 .pid)
    kill -9 "$pid"
    ok "B: risk moved the venue stop; kill -9 risk (pid $pid) at once"
else
    not_ok "B: risk never moved the venue stop"
fi
grep "venue stop" "$dir/log/risk.log" | sed 's/^/# /'
at_be() { set -- $(vstop); [ -n "$1" ] && same_num "$1" "$2"; }
check "B: the venue's stop is at breakeven (stopLoss = the position's avgPrice: $(vstop))" wait_for 10 at_be
risk_back() { p=$(jget risk.0 .pid); [ -n "$p" ] && [ "$p" != "$pid" ] && [ "$(jget risk.0 .open_positions)" = 1 ]; }
check "B: supervisord restarted risk, which restored the position" wait_for 30 risk_back
sleep 3 # prices keep coming: a restarted risk that forgot the move would send it again now
eq "B: the restarted risk sends no second move (one 'venue stop' line in risk's log)" "$(grep -c "venue stop bybit-linear BTCUSDT" "$dir/log/risk.log")" 1
check "B: the venue's stop is still at breakeven" at_be
check "B: the restarted risk's status shows the venue's stop ($(jget risk.0 '.positions[0].venue_sl'))" same_num "$(jget risk.0 '.positions[0].venue_sl')" "$(vstop | cut -d' ' -f1)"
# the executor keeps the venue's stop where risk moved it: changed behind its back (a signed
# trading-stop straight to venue-sim), the next poll sets it again
vs "print(bb.call('POST', '/v5/position/trading-stop', {'category': 'linear', 'symbol': 'BTCUSDT', 'tpslMode': 'Full', 'positionIdx': 0, 'stopLoss': '59000'})['retCode'])" >"$dir/ts.out"
eq "B: a trading-stop behind the executor's back is accepted by the venue" "$(cat "$dir/ts.out")" 0
check "B: the executor's poll puts the venue's stop back at breakeven ($(vstop))" wait_for 15 at_be
check "B: the executor logged it as a reconciliation difference" grep -q "reconcile difference: venue stop of BTCUSDT is 59000.0, risk moved it to 60100.0: sent again" "$dir/log/executor.log"
# item 4: resting orders on the venue, then the kill switch
order --id B_LIM --side buy --type limit --qty 0.001 --px 59000.0 >/dev/null
order --id B_CND --side buy --qty 0.001 --trigger 70000.0 --trigger-dir 1 >/dev/null
n_open() { vs "print(len(bb.open_orders()))"; }
two_open() { [ "$(n_open)" -ge 2 ]; }
check "B: the limit and the conditional rest on venue-sim" wait_for 10 two_open
out=$("$BIN/ctl" -c "$cfg" kill risk.0)
eq "B: ctl kill risk.0 answers KILLED" "$(echo "$out" | jq -r .state)" KILLED
venue_flat() { [ "$(vs "print(bb.pos().get('size', '0'))")" = 0 ]; }
check "B: the kill flattened the venue's position" wait_for 20 venue_flat
none_open() { [ "$(n_open)" = 0 ]; }
check "B: venue-sim's own book has nothing open after the kill" wait_for 10 none_open
vs "print([(o['orderLinkId'], o['orderStatus']) for o in bb.open_orders()])" | sed 's/^/# open: /'
check "B: the executor's order table agrees (no open order)" wait_for 10 sh -c "[ \"\$('$BIN/ctl' -c '$cfg' status executor.0 | jq -r .open_orders)\" = 0 ]"

# the kill switch would close every new position (C's, D's): a person clears it
eq "B: ctl clear-kill risk.0" "$("$BIN/ctl" -c "$cfg" clear-kill risk.0 | jq -r .ok)" true

# ---- C. the slippage guard on the live venue ------------------------------------------------
# book now: asks 60300.0, 60300.1, ... 5.000 each. A market buy of 6.000 would take 5.000 at
# 60300.0 and 1.000 at 60300.1; with the cap (0.0001 %: bound 60300.06, down to the tick
# 60300.0) it goes out as an IOC limit at 60300.0: 5.000 fill, 1.000 is cancelled by the venue
# and reported, and nothing is sent after it.
order --id C_MKT --side buy --qty 6.000 >"$dir/C.ack"
check "C: the market entry is accepted" grep -q '"accepted":true' "$dir/C.ack"
c_done() { [ "$(vs "l=bb.call('GET','/v5/order/history',{'category':'linear','orderLinkId':'C_MKT'})['result']['list']; print(l[0]['orderStatus'] if l else '')")" = Cancelled ]; }
check "C: the venue ended it Cancelled (the IOC remainder)" wait_for 10 c_done
eq "C: on the venue: a Limit IOC at the bound, 5.000 filled of 6.000" \
    "$(vs "o=bb.call('GET','/v5/order/history',{'category':'linear','orderLinkId':'C_MKT'})['result']['list'][0]; print(o['orderType'], o['timeInForce'], float(o['price']), float(o['cumExecQty']), float(o['qty']))")" \
    "Limit IOC 60300.0 5.0 6.0"
eq "C: every fill at 60300.0, none beyond the cap" \
    "$(vs "print(sorted(set(float(e['execPrice']) for e in bb.call('GET','/v5/execution/list',{'category':'linear','orderLinkId':'C_MKT'})['result']['list'])))")" \
    "[60300.0]"
c_rep() { [ "$(sql "$dir/tradepipe.db" "select cum_qty from orders where client_id = 'C_MKT' and status = 'Cancelled'" 2>/dev/null)" = 5.000 ]; }
check "C: reported: exec.order Cancelled with 5.000 filled (recorder's orders table)" wait_for 10 c_rep
n0=$(vs "print(len(bb.call('GET','/v5/order/history',{'category':'linear'})['result']['list']))")
sleep 2
eq "C: never chased: no order sent after it" "$(vs "print(len(bb.call('GET','/v5/order/history',{'category':'linear'})['result']['list']))")" "$n0"
check "C: the executor logged the bound" grep -q "order C_MKT: market entry sent as an IOC limit at 60300.0 (reference 60300.0, cap 0.0001 %)" "$dir/log/executor.log"

# ---- D. the leverage cap held: above it, entries are refused until it is set back ----------
# the venue refuses set-leverage for now (rest-error fault), and the leverage goes to 75
# behind the executor's back (as on the exchange's web page): the position push says so,
# entries are refused; once the venue takes set-leverage again the executor sets 50 and
# entries go out
"$BIN/ctl" -c "$cfg" fault venue-sim.0 "rest-error /v5/position/set-leverage 500 1000" >/dev/null
eq "D: the leverage goes to 75 behind the executor's back (venue-sim's test control)" \
    "$(vs "print(bb.call('POST','/v5/sim/control',{'leverage':'BTCUSDT:75'})['retCode'])")" 0
above() { grep -q "reconcile difference: venue leverage of BTCUSDT is 75, above the cap 50" "$dir/log/executor.log"; }
check "D: the executor sees the leverage above the cap" wait_for 10 above
order --id D_1 --side buy --qty 0.001 >/dev/null
d1() { [ "$(sql "$dir/tradepipe.db" "select reject_reason from orders where client_id = 'D_1' and status = 'Rejected'" 2>/dev/null)" = "venue leverage of BTCUSDT is 75, above the cap 50" ]; }
check "D: an entry is refused: exec.order Rejected 'venue leverage of BTCUSDT is 75, above the cap 50'" wait_for 10 d1
order --id D_2 --side sell --qty 0.001 --reduce >/dev/null
d2() { [ "$(sql "$dir/tradepipe.db" "select count(*) from orders where client_id = 'D_2' and status = 'Filled'" 2>/dev/null)" -ge 1 ]; }
check "D: an exit (reduce-only) still goes out" wait_for 10 d2
"$BIN/ctl" -c "$cfg" fault venue-sim.0 clear >/dev/null
check "D: the executor sets the cap again once the venue takes it (poll, every 5 s)" wait_for 20 lev50
ok_again() { grep -q "leverage of BTCUSDT on the venue: 50 (cap 50)" "$dir/log/executor.log" && [ "$(grep -c "leverage of BTCUSDT on the venue: 50" "$dir/log/executor.log")" -ge 2 ]; }
check "D: read back at the cap" wait_for 10 ok_again
order --id D_3 --side buy --qty 0.001 >/dev/null
d3() { [ "$(vs "print(len(bb.call('GET','/v5/order/history',{'category':'linear','orderLinkId':'D_3'})['result']['list']))")" = 1 ]; }
check "D: entries go out again (D_3 reached the venue)" wait_for 10 d3
down
finish
