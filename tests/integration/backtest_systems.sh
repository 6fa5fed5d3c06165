# backtest_systems.sh - every config in config/systems/ (docs/systems.md: one per system tradepipe
# replaces) is valid (check-config), runs through build/bin/backtest on the bundled data and
# trades, writes its signals under its own strategies' names, and gets its report (figures equal
# to the database's rows); then, per system, one or more of its distinctive rules is checked
# from the rows, every expected value derived here from the rows and the config's own numbers:
#   persistent   the partial take-profit closes tp_ladder_close_pct[0] % of the position when
#                the price reaches tp_ladder_pct[0] % of the way from the entry to the target
#   orchestrator never more than max_open_positions open at once (and the limit reached);
#                every entry sized risk / stop x confidence x volatility x session; never
#                RUNNING at max_drawdown_pct of the peak, no entry while halted
#   core         TP1 closes 50 % at target 1, TP2 30 % at target 2, the rest by the trailing
#                stop (or the stop)
#   live         the 20 % reserve: every entry within (available - equity x reserve_pct) and
#                the same config with reserve_pct 0 buys more on the first entry
#   backend      every entry's stop and target at stop_pct / take_profit_pct of the signal's
#                reference price (rounded up to the tick away from it)
. tests/integration/lib.inc

dir=$TMP_ROOT/systems
mkdir -p "$dir"
m8() { awk -v v="$1" 'BEGIN { s = v < 0 ? "-" : ""; if (v < 0) v = -v
    i = int(v / 100000000); printf "%s%.0f.%08.0f\n", s, i, v - i * 100000000 }'; }
# scaled() DECIMAL SCALE -> the integer mantissa of DECIMAL at SCALE decimals (exact, no float)
scaled() { awk -v d="$1" -v s="$2" 'BEGIN { n = split(d, p, "."); f = (n > 1) ? p[2] : ""
    while (length(f) < s) f = f "0"; printf "%s%s\n", p[1], substr(f, 1, s) }' | sed 's/^0*\([0-9]\)/\1/'; }
# the entry orders risk sent (risk.order intent entry), as SQL; ORDERS: every order risk sent
# (move_stop, the venue-held stop following risk's, moves a stop and is no order)
ENTRIES="SELECT id, evt, client_id, json_extract(body, '\$.strategy') AS strategy,
    json_extract(body, '\$.venue') AS venue, json_extract(body, '\$.symbol') AS symbol,
    json_extract(body, '\$.side') AS side, json_extract(body, '\$.qty') AS qty,
    json_extract(body, '\$.qty_scale') AS qs, json_extract(body, '\$.sl_px') AS sl,
    json_extract(body, '\$.tp_px') AS tp, json_extract(body, '\$.ts_event') AS ts
    FROM risk_events WHERE topic = 'risk.order' AND json_extract(body, '\$.intent') = 'entry'"
ORDERS="SELECT id, evt, client_id, json_extract(body, '\$.intent') AS intent,
    json_extract(body, '\$.qty') AS qty, json_extract(body, '\$.venue') AS venue,
    json_extract(body, '\$.symbol') AS symbol
    FROM risk_events WHERE topic = 'risk.order' AND json_extract(body, '\$.intent') != 'move_stop'"

n_sys=0
for x in persistent orchestrator core live backend; do
    cfg=config/systems/$x.json
    n_sys=$((n_sys + 1))
    "$BIN/check-config" -c "$cfg" >"$dir/$x.check" 2>&1
    eq "$x: check-config accepts it" "$?" 0
    db=$dir/$x.db
    "$BIN/backtest" -c "$cfg" --db "$db" >"$dir/$x.out" 2>"$dir/$x.err"
    rc=$?
    eq "$x: backtest -c $cfg exit 0" "$rc" 0
    [ "$rc" -eq 0 ] || sed 's/^/# /' "$dir/$x.err" | tail -n 5
    check "$x: the paper venue" test "$(jq -r .executor.venue "$cfg")" = paper
    fills=$(sql "$db" "SELECT count(*) FROM fills")
    check "$x: it trades ($fills fills)" test "${fills:-0}" -gt 0
    jq -r '.signal.strategies[].name' "$cfg" | sort >"$dir/$x.names"
    sql "$db" "SELECT DISTINCT strategy FROM signals ORDER BY 1" >"$dir/$x.sig"
    eq "$x: signals under each of its strategies' names and no other" \
        "$(tr '\n' ' ' <"$dir/$x.sig")" "$(tr '\n' ' ' <"$dir/$x.names")"
    "$BIN/report" "$db" --json >"$dir/$x.json"
    eq "$x: report --json exit 0" "$?" 0
    net=$(sql "$db" "SELECT sum(realized_pnl_m) - sum(fee_m) FROM fills")
    eq "$x: report net pnl = the fills' realized pnl - fees" "$(jq -r .net_pnl "$dir/$x.json")" \
        "$(m8 "$net")"
    eq "$x: report fills = the fills rows" "$(jq -r .fills "$dir/$x.json")" "$fills"
    check "$x: the backtest prints the report with the tearsheet" \
        sh -c "grep -q '^tearsheet: traded span' '$dir/$x.out' && grep -q '^net pnl  *$(m8 "$net")\$' '$dir/$x.out'"
    diag "$x: $(jq '.round_trips | length' "$dir/$x.json") round trips, net pnl $(m8 "$net")"
done
eq "five systems" "$n_sys" 5

# --- persistent engine: partial take-profit half-way, then the rest -------------------------
db=$dir/persistent.db
cfg=config/systems/persistent.json
check "persistent: level_reaction judged on the L2 book and trades" \
    test "$(jq -r '.signal.strategies[0].type' "$cfg")" = level_reaction
lp=$(jq -r '.risk.exits.tp_ladder_pct[0]' "$cfg")
cp=$(jq -r '.risk.exits.tp_ladder_close_pct[0]' "$cfg")
check "persistent: ladder on the target's distance" \
    test "$(jq -r '.risk.exits.tp_ladder_basis' "$cfg")" = target_pct
lp4=$(scaled "$lp" 4)
cp4=$(scaled "$cp" 4)
# for each take_profit: its entry (the last entry before it), the opening signal (strategy, evt =
# the entry's ts_event), the position's entry price, the highest (long) / lowest (short) trade
# at the exit's event and before it since the entry
sql "$db" "WITH tp AS (SELECT o.id, o.evt, o.qty, (SELECT max(e.id) FROM ($ENTRIES) e
        WHERE e.id < o.id) AS eid FROM ($ORDERS) o WHERE o.intent = 'take_profit')
    SELECT tp.qty, e.qty, e.side, s.tp_px_m, e.qs,
        (SELECT entry_px_m FROM positions p WHERE p.venue = e.venue AND p.symbol = e.symbol
            AND p.evt BETWEEN e.evt AND tp.evt AND p.qty_m != 0 ORDER BY p.id DESC LIMIT 1),
        (SELECT CASE WHEN e.side > 0 THEN max(px_m) ELSE -min(px_m) END FROM trades t
            WHERE t.venue = e.venue AND t.symbol = e.symbol AND t.evt = tp.evt),
        (SELECT CASE WHEN e.side > 0 THEN max(px_m) ELSE -min(px_m) END FROM trades t
            WHERE t.venue = e.venue AND t.symbol = e.symbol AND t.evt > e.evt AND t.evt < tp.evt)
    FROM tp JOIN ($ENTRIES) e ON e.id = tp.eid
    JOIN signals s ON s.strategy = e.strategy AND s.evt = e.ts" >"$dir/persistent.tp"
n_tp=$(wc -l <"$dir/persistent.tp")
check "persistent: a partial take-profit happened ($n_tp)" test "$n_tp" -gt 0
# expected qty: floor(open x close_pct / 100) (step 1 at the order's qty scale: the instrument's
# step 0.001 at qty_scale 3); rung price: entry + floor((tp - entry) x pct / 100) toward the target
step=$(jq -r '.feed.instruments[] | select(.venue == "binance-usdm") | .step' "$cfg")
awk -F'|' -v lp="$lp4" -v cp="$cp4" -v step="$step" '
    { stepm = int(step * 10 ^ $5 + 0.5); want = int($2 * cp / 1000000 / stepm) * stepm
      sgn = $3 > 0 ? 1 : -1; dist = sgn * ($4 - $6); lvl = $6 + sgn * int(dist * lp / 1000000)
      hit = sgn * $7 >= sgn * lvl; before = ($8 == "") || (sgn * $8 < sgn * lvl)
      printf "%s %s %s %s %s\n", $1 == want ? "ok" : "bad-qty", hit ? "ok" : "bad-hit",
          before ? "ok" : "bad-before", $1, want }' "$dir/persistent.tp" >"$dir/persistent.tpc"
sed 's/^/# tp qty, want: /' "$dir/persistent.tpc"
check "persistent: each partial TP closes $cp % of the opening qty" \
    sh -c "! grep -q bad-qty '$dir/persistent.tpc'"
check "persistent: each fires at the first trade $lp % of the way from the entry to the target" \
    sh -c "! grep -q 'bad-hit\|bad-before' '$dir/persistent.tpc'"
# the rung closes only its share: the position then holds the rest (opening - TP qty)
rest=$(sql "$db" "WITH tp AS (SELECT id, evt, venue, symbol FROM ($ORDERS) WHERE intent = 'take_profit'
        ORDER BY id LIMIT 1)
    SELECT abs(p.qty_m) FROM positions p, tp WHERE p.venue = tp.venue AND p.symbol = tp.symbol
        AND p.evt = tp.evt ORDER BY p.id DESC LIMIT 1")
eq "persistent: after the partial TP the position holds the rest" "$rest" \
    "$(head -n 1 "$dir/persistent.tp" | awk -F'|' '{ print $2 - $1 }')"
# breakeven: the breakeven exit fires where the price is back at the position's entry
sql "$db" "SELECT (SELECT CASE WHEN e.side > 0 THEN min(px_m) ELSE -max(px_m) END FROM trades t
            WHERE t.venue = o.venue AND t.symbol = o.symbol AND t.evt = o.evt),
        (SELECT entry_px_m FROM positions p WHERE p.venue = o.venue AND p.symbol = o.symbol
            AND p.evt <= o.evt AND p.qty_m != 0 ORDER BY p.id DESC LIMIT 1), e.side
    FROM ($ORDERS) o JOIN ($ENTRIES) e ON e.id = (SELECT max(id) FROM ($ENTRIES) WHERE id < o.id)
    WHERE o.intent = 'breakeven'" >"$dir/persistent.be"
n_be=$(grep -c . "$dir/persistent.be")
check "persistent: a breakeven exit happened ($n_be)" test "$n_be" -gt 0
check "persistent: each breakeven exit at a trade back at the entry price" \
    sh -c "awk -F'|' '{ if (\$3 > 0 ? \$1 > \$2 : -\$1 < \$2) bad = 1 } END { exit bad }' '$dir/persistent.be'"

# --- orchestrator: 2 open at most, drawdown breaker -------------------------------------------
db=$dir/orchestrator.db
cfg=config/systems/orchestrator.json
check "orchestrator: ensembles on 15m" \
    sh -c "jq -e '[.signal.strategies[] | .type == \"ensemble\" and .tf_s == 900] | all' '$cfg' >/dev/null"
eq "orchestrator: every signal at a 15m bar close" \
    "$(sql "$db" "SELECT count(*) FROM signals WHERE evt % 900000000000 != 0")" 0
maxo=$(jq -r .risk.max_open_positions "$cfg")
# positions open after each fill: the running position of every venue+symbol, counted
most=$(sql "$db" "SELECT venue || ' ' || symbol, CASE side WHEN 'buy' THEN qty_m ELSE -qty_m END
    FROM fills ORDER BY evt, id" | awk -F'|' '{ p[$1] += $2; n = 0
        for (k in p) if (p[k] != 0) n++
        if (n > m) m = n } END { print m + 0 }')
eq "orchestrator: positions open at once never above max_open_positions, and reach it" "$most" "$maxo"
mdd=$(jq -r .risk.max_drawdown_pct "$cfg")
# the drawdown breaker: no risk.state row says RUNNING at a drawdown >= max_drawdown_pct of its
# peak (risk.state goes out at every change of the open positions, so it samples every close)
sql "$db" "SELECT state, json_extract(body, '\$.drawdown'), json_extract(body, '\$.equity_peak')
    FROM risk_events WHERE topic = 'risk.state'" >"$dir/orch.dd"
diag "orchestrator: largest drawdown in risk.state $(awk -F'|' '{ d = $2 * 100 / $3; if (d > m) m = d }
    END { printf "%.2f %%", m }' "$dir/orch.dd") (limit $mdd %)"
check "orchestrator: never RUNNING at a drawdown >= $mdd % of the peak" \
    sh -c "awk -F'|' -v p='$mdd' '\$1 == \"RUNNING\" && \$2 * 100 >= \$3 * p { bad = 1 } END { exit bad }' '$dir/orch.dd'"
# walk the state: no entry order while halted
bad=$(sql "$db" "SELECT topic, state, json_extract(body, '\$.intent') FROM risk_events
    WHERE topic IN ('risk.state', 'risk.order') ORDER BY id" | awk -F'|' '
    $1 == "risk.state" { st = $2 } $1 == "risk.order" && $3 == "entry" && st != "RUNNING" { n++ }
    END { print n + 0 }')
eq "orchestrator: no entry while the state is not RUNNING" "$bad" 0
# sizing x confidence x volatility x session: every entry's qty derived from its own rows: risk
# amount = equity (the last balance before it) x risk_per_trade_pct; raw = risk / |ref - sl| at
# 8 decimals; x the multiplier, each factor at 4 decimals floored as risk/sizing.c does:
# confidence (linear conf_lo..conf_hi), volatility (the atr_pctile of the series' 15m bar closed
# before the signal's: >= vol_hi_pctile / <= vol_lo_pctile), session (of the UTC hour: the
# top-level sessions, here the common/sessions.h defaults); capped at max_position_pct; down to
# the step. The multipliers' parameters are the config's (risk.scale) or, absent, the defaults
# docs/risk.md lists.
sc() { jq -r ".risk.scale.$1 // \"$2\"" "$cfg"; }
ses() { jq -r ".sessions.$1[$2] // $3" "$cfg"; }
sql "$db" "SELECT e.qty, e.qs, s.ref_px_m, s.sl_px_m, s.px_scale, s.confidence,
        (SELECT value FROM indicators i WHERE i.venue = s.venue AND i.symbol = s.symbol
            AND i.tf_s = 900 AND i.name = 'atr_pctile' AND i.evt < e.evt
            ORDER BY i.evt DESC, i.id DESC LIMIT 1),
        e.evt / 1000000000 % 86400 / 3600,
        (SELECT equity_m FROM balances b WHERE b.evt < e.evt ORDER BY b.id DESC LIMIT 1)
    FROM ($ENTRIES) e JOIN signals s ON s.strategy = e.strategy AND s.evt = e.ts ORDER BY e.id" \
    >"$dir/orch.sz"
awk -F'|' -v clo="$(sc conf_lo 65)" -v chi="$(sc conf_hi 95)" \
    -v clm="$(scaled "$(sc conf_lo_mult 0.5)" 4)" -v chm="$(scaled "$(sc conf_hi_mult 1.5)" 4)" \
    -v vhp="$(sc vol_hi_pctile 80)" -v vlp="$(sc vol_lo_pctile 20)" \
    -v vhm="$(scaled "$(sc vol_hi_mult 0.7)" 4)" -v vlm="$(scaled "$(sc vol_lo_mult 1.2)" 4)" \
    -v a0="$(ses asia 0 0)" -v a1="$(ses asia 1 7)" -v l0="$(ses london 0 7)" \
    -v l1="$(ses london 1 16)" -v n0="$(ses ny 0 13)" -v n1="$(ses ny 1 22)" \
    -v am="$(scaled "$(sc asia_mult 0.5)" 4)" -v lnm="$(scaled "$(sc london_ny_mult 1.0)" 4)" \
    -v om="$(scaled "$(sc overlap_mult 1.5)" 4)" -v offm="$(scaled "$(sc off_mult 1.0)" 4)" \
    -v rp="$(scaled "$(jq -r .risk.risk_per_trade_pct "$cfg")" 4)" \
    -v mp="$(scaled "$(jq -r .risk.max_position_pct "$cfg")" 4)" '
    { conf = int($6 * 100 + 0.5); lo = clo * 100; hi = chi * 100
      if (conf <= lo) cm = clm; else if (conf >= hi) cm = chm
      else cm = clm + int((chm - clm) * (conf - lo) / (hi - lo))
      m = cm; vm = 10000
      if ($7 != "") { if ($7 + 0 >= vhp) vm = vhm; else if ($7 + 0 <= vlp) vm = vlm }
      m = int(m * vm / 10000)
      h = $8 + 0; inl = (h >= l0 && h < l1); inn = (h >= n0 && h < n1); ina = (h >= a0 && h < a1)
      sm = (inl && inn) ? om : ina ? am : (inl || inn) ? lnm : offm
      m = int(m * sm / 10000)
      risk = int($9 * rp / 1000000); dist = $3 - $4; if (dist < 0) dist = -dist
      raw8 = int(risk * 10 ^ $5 / dist)
      sq = int(int(raw8 * m / 10000) / 10 ^ (8 - $2))
      cap = int($9 * mp / 1000000 / 1e8 / ($3 / 10 ^ $5) * 10 ^ $2)
      want = sq < cap ? sq : cap
      n++; if ($1 == want) ok++; else print "# bad: " $0 " mult " m " want " want
      if (cm != 10000) nc++; if (vm != 10000) nv++; if (sm != 10000) ns++; if (sq < cap) nu++ }
    END { printf "%d %d %d %d %d %d\n", n, ok + 0, nc + 0, nv + 0, ns + 0, nu + 0 }' \
    "$dir/orch.sz" >"$dir/orch.c"
grep '^#' "$dir/orch.c"
set -- $(grep -v '^#' "$dir/orch.c")
check "orchestrator: entries on the month ($1)" test "$1" -gt 0
eq "orchestrator: every entry = risk / stop x confidence x volatility x session multiplier, capped, to the step" "$2" "$1"
check "orchestrator: each multiplier acts (not 1x) on some entries: confidence $3, volatility $4, session $5" \
    sh -c "test '$3' -gt 0 && test '$4' -gt 0 && test '$5' -gt 0"
check "orchestrator: the position cap does not hide the multiplier ($6 of $1 entries under it)" test "$6" -gt 0

# --- core plan: TP1 50 % at target 1, TP2 30 % at target 2, the rest trails ------------------
db=$dir/core.db
cfg=config/systems/core.json
p1=$(scaled "$(jq -r '.risk.exits.tp_ladder_pct[0]' "$cfg")" 4)
p2=$(scaled "$(jq -r '.risk.exits.tp_ladder_pct[1]' "$cfg")" 4)
c1=$(scaled "$(jq -r '.risk.exits.tp_ladder_close_pct[0]' "$cfg")" 4)
c2=$(scaled "$(jq -r '.risk.exits.tp_ladder_close_pct[1]' "$cfg")" 4)
# per exit order after an entry: its rank among that position's exits, intent, qty, the entry's
# qty and side, the signal's target (tp1), the position's entry price, the 1m bar range at the
# exit's event
sql "$db" "WITH x AS (SELECT o.id, o.evt, o.intent, o.qty, (SELECT max(e.id) FROM ($ENTRIES) e
        WHERE e.id < o.id) AS eid FROM ($ORDERS) o WHERE o.intent != 'entry')
    SELECT e.id, row_number() OVER (PARTITION BY e.id ORDER BY x.id), x.intent, x.qty, e.qty,
        e.side, s.tp_px_m,
        (SELECT entry_px_m FROM positions p WHERE p.venue = e.venue AND p.symbol = e.symbol
            AND p.evt BETWEEN e.evt AND x.evt AND p.qty_m != 0 ORDER BY p.id DESC LIMIT 1),
        (SELECT CASE WHEN e.side > 0 THEN max(high_m) ELSE -min(low_m) END FROM candles c
            WHERE c.topic_kind = 'md.kline' AND c.venue = e.venue AND c.symbol = e.symbol
            AND c.evt = x.evt)
    FROM x JOIN ($ENTRIES) e ON e.id = x.eid
    JOIN signals s ON s.strategy = e.strategy AND s.evt = e.ts ORDER BY x.id" >"$dir/core.x"
awk -F'|' -v p1="$p1" -v p2="$p2" -v c1="$c1" -v c2="$c2" '
    { sgn = $6 > 0 ? 1 : -1; dist = sgn * ($7 - $8); fav = $9 }
    $2 == 1 && $3 == "take_profit" { n1++; want = int($5 * c1 / 1000000)
        lvl = $8 + sgn * int(dist * p1 / 1000000)
        if ($4 == want && sgn * fav >= sgn * lvl && lvl == $7) ok1++
        else print "# TP1 bad: " $0 " want " want " at " lvl }
    $2 == 2 && $3 == "take_profit" { n2++; want = int($5 * c2 / 1000000)
        lvl = $8 + sgn * int(dist * p2 / 1000000)
        if ($4 == want && sgn * fav >= sgn * lvl) ok2++
        else print "# TP2 bad: " $0 " want " want " at " lvl }
    $2 == 3 && $3 != "take_profit" && prev == "take_profit" { n3++
        if ($4 == $5 - int($5 * c1 / 1000000) - int($5 * c2 / 1000000)) ok3++
        else print "# rest bad: " $0 }
    { prev = $3 }
    END { printf "%d %d %d %d %d %d\n", n1, ok1, n2, ok2, n3, ok3 }' "$dir/core.x" >"$dir/core.c"
grep '^#' "$dir/core.c"
set -- $(grep -v '^#' "$dir/core.c")
check "core: TP1 reached on the month ($1 times)" test "$1" -gt 0
eq "core: each TP1 closes 50 % of the opening qty at target 1 (the signal's tp1)" "$2" "$1"
check "core: TP2 reached on the month ($3 times)" test "$3" -gt 0
eq "core: each TP2 closes 30 % at target 2 (twice the distance from the entry to tp1)" "$4" "$3"
eq "core: after TP2 the rest (opening - TP1 - TP2) goes in one exit, the trailing stop or the stop" "$6" "$5"
check "core: the trailing stop closed a rest" sh -c "grep -q '|3|trailing_stop|' '$dir/core.x'"
check "core: setup gates set (vol_decline_k 0.5, daily_ema, level_4h)" \
    sh -c "jq -e '.signal.strategies[0] | .vol_decline_k == 0.5 and .daily_ema > 0 and .level_4h' '$cfg' >/dev/null"
eq "core: every signal is a triggered setup" \
    "$(sql "$db" "SELECT count(*) FROM signals WHERE reason NOT LIKE 'setup % TRIGGERED%'")" 0

# --- live plan: the 20 % reserve --------------------------------------------------------------
db=$dir/live.db
cfg=config/systems/live.json
rp=$(jq -r .risk.reserve_pct "$cfg")
rp4=$(scaled "$rp" 4)
"$BIN/backtest" -c "$cfg" --db "$dir/live0.db" --set 'risk.reserve_pct="0"' >"$dir/live0.out" 2>&1
eq "live: the same config with reserve_pct 0 runs" "$?" 0
# each entry: qty, qty scale, the signal's ref, the last balance before it (available, equity)
ENTRY_ROWS="SELECT e.client_id, e.qty, e.qs, s.ref_px_m, s.px_scale,
        (SELECT available_m FROM balances b WHERE b.evt < e.evt ORDER BY b.id DESC LIMIT 1),
        (SELECT equity_m FROM balances b WHERE b.evt < e.evt ORDER BY b.id DESC LIMIT 1)
    FROM ($ENTRIES) e JOIN signals s ON s.strategy = e.strategy AND s.evt = e.ts ORDER BY e.id"
sql "$db" "$ENTRY_ROWS" >"$dir/live.e"
sql "$dir/live0.db" "$ENTRY_ROWS" >"$dir/live0.e"
# within: qty x ref <= (available - equity x reserve_pct / 100) (x max_leverage 1), in the
# integer units of the rows: qty/10^qs x ref/10^ps <= amount/1e8
lev=$(jq -r '.risk.max_leverage // "1"' "$cfg")
check "live: max_leverage 1 (the default; the clamp the reserve applies through)" test "$lev" = 1
awk -F'|' -v rp="$rp4" '{ cap = $6 - $7 * rp / 1000000
        if ($2 * $4 / 10 ^ ($3 + $5) > cap / 1e8) bad++; n++ }
    END { printf "%d %d\n", n, bad + 0 }' "$dir/live.e" >"$dir/live.w"
set -- $(cat "$dir/live.w")
check "live: entries on the month ($1)" test "$1" -gt 0
eq "live: every entry's notional within available - $rp % of equity" "$2" 0
f1=$(head -n 1 "$dir/live.e")
f0=$(head -n 1 "$dir/live0.e")
eq "live: the first entry is the same order in both runs" "${f1%%|*}" "${f0%%|*}"
q1=$(echo "$f1" | cut -d'|' -f2)
q0=$(echo "$f0" | cut -d'|' -f2)
check "live: the reserve makes the first entry smaller ($q1 < $q0 at qty scale)" test "$q1" -lt "$q0"
want=$(echo "$f1" | awk -F'|' -v rp="$rp4" '{ cap = ($6 - $7 * rp / 1000000) / 1e8
    printf "%d\n", int(cap / ($4 / 10 ^ $5) * 10 ^ $3) }')
eq "live: the first entry = floor((available - $rp % of equity) / ref) to the step" "$q1" "$want"
check "live: the 3-loss pause trips (loss_streak refusals)" \
    test "$(sql "$db" "SELECT count(*) FROM risk_events WHERE topic = 'risk.reject' AND reason = 'loss_streak'")" -gt 0
check "live: no entry after a loss_streak pause until the next UTC day" sh -c "sqlite3 -batch -noheader '$db' \"SELECT topic, reason, evt / 86400000000000, json_extract(body, '\\\$.intent') FROM risk_events WHERE topic IN ('risk.state', 'risk.order') ORDER BY id\" | awk -F'|' '\$1 == \"risk.state\" && \$2 == \"loss_streak\" { d = \$3 } \$1 == \"risk.order\" && \$4 == \"entry\" && \$3 == d { bad = 1 } END { exit bad }'"

# --- 24/7 backend: stop 0.5 %, target 1 % -----------------------------------------------------
db=$dir/backend.db
cfg=config/systems/backend.json
sp=$(scaled "$(jq -r '.signal.strategies[0].stop_pct' "$cfg")" 4)
tpp=$(scaled "$(jq -r '.signal.strategies[0].take_profit_pct' "$cfg")" 4)
check "backend: razor, strength > 70, EMA 9/21, RSI 14" sh -c "jq -e '.signal.strategies[0] | .type == \"razor\" and .min_strength == 70 and .ema_fast == 9 and .ema_slow == 21 and .rsi == 14' '$cfg' >/dev/null"
tick=$(jq -r '.feed.instruments[] | select(.venue == "binance-usdm") | .tick' "$cfg")
# each entry: side, the signal's ref, the entry's sl and tp, px scale; expected distance =
# ref x pct / 100 rounded up to the price unit, then up to the tick
sql "$db" "SELECT e.side, s.ref_px_m, e.sl, e.tp, s.px_scale FROM ($ENTRIES) e
    JOIN signals s ON s.strategy = e.strategy AND s.evt = e.ts" >"$dir/backend.e"
awk -F'|' -v sp="$sp" -v tpp="$tpp" -v tick="$tick" '
    function up(a, b) { return int((a + b - 1) / b) * b }
    { t = tick * 10 ^ $5 + 0.5; t = int(t); sgn = $1 > 0 ? 1 : -1
      ds = up(up($2 * sp, 1000000) / 1000000, t); dt = up(up($2 * tpp, 1000000) / 1000000, t)
      n++; if ($3 == $2 - sgn * ds && $4 == $2 + sgn * dt) ok++
      else print "# bad: " $0 " want sl " $2 - sgn * ds " tp " $2 + sgn * dt }
    END { printf "%d %d\n", n, ok + 0 }' "$dir/backend.e" >"$dir/backend.c"
grep '^#' "$dir/backend.c"
set -- $(grep -v '^#' "$dir/backend.c")
check "backend: entries on the month ($1)" test "$1" -gt 0
eq "backend: every entry's stop at stop_pct and target at take_profit_pct of the reference price" "$2" "$1"
lev=$(jq -r .risk.max_leverage "$cfg")
bad=$(sql "$db" "SELECT e.qty * s.ref_px_m / power(10, e.qs + s.px_scale) >
        (SELECT equity_m FROM balances b WHERE b.evt < e.evt ORDER BY b.id DESC LIMIT 1) * $lev / 1e8
    FROM ($ENTRIES) e JOIN signals s ON s.strategy = e.strategy AND s.evt = e.ts" | grep -c 1)
eq "backend: no entry's notional above equity x max_leverage ($lev)" "$bad" 0
finish
