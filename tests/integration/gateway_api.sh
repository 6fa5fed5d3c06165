# gateway_api.sh - the gateway stage (issue 12) with the real group under supervisord on the
# bundled replay, curl against the port it chose ({run}/gateway.port; no fixed port):
# health and ready, every bad input answered as docs/api.md says (401, 403, 404, 405, 400, 413),
# prices as decimal strings equal to the database's, an SSE client gets trade:opened and
# trade:closed of the replay's round trips and, reconnecting with Last-Event-ID, what it
# missed; POST control kill latches risk (ctl status agrees) and the action is in the database
# (gw.action: what, token name, answer); ready is 503 naming the kill; the gateway restarts
# alone; no token appears in a response, a log, the metrics or the database.
. tests/integration/lib.inc

speed=${TP_GW_SPEED:-2000}
cfg=$(make_config gw tests/integration/small.json "$speed")
dir=$(dirname "$cfg")
db=$dir/tradepipe.db
RTOK=gw-read-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
CTOK=gw-ctl-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
printf '{"read": "%s", "control": "%s"}\n' "$RTOK" "$CTOK" >"$dir/tokens.json"
chmod 0600 "$dir/tokens.json"
jq --arg t "$dir/tokens.json" '.endpoints["gateway.0"] = {"pub": "ipc://{run}/gateway.0.pub",
      "ctl": "ipc://{run}/gateway.0.ctl"} | .gateway = {"tokens_file": $t, "max_body": 1024}' \
    "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
CTL="$BIN/ctl -c $cfg"
sv() { tools/sv -c "$cfg" "$@"; }
out=$dir/responses
mkdir -p "$out"
# req NAME [curl args...]: the body into $out/NAME, prints the HTTP status
req() {
    name=$1
    shift
    curl -s -o "$out/$name" -w '%{http_code}' --max-time 10 "$@"
}
url() { echo "http://127.0.0.1:$(cat "$dir/gateway.port")$1"; }
R="Authorization: Bearer $RTOK"
C="Authorization: Bearer $CTOK"

check "check-config knows the gateway's keys" sh -c "'$BIN/check-config' -c '$cfg' >/dev/null"
jq '.gateway.prot = 1' "$cfg" >"$dir/bad.json"
check "check-config refuses an unknown gateway key by name" \
    sh -c "'$BIN/check-config' -c '$dir/bad.json' 2>&1 | grep -q 'gateway.prot: unknown key'"

jq '.gateway.bind = "0.0.0.0"' "$cfg" >"$dir/open.json"
check "check-config refuses a non-loopback bind without TLS" \
    sh -c "'$BIN/check-config' -c '$dir/open.json' 2>&1 | grep -q 'gateway.bind: 0.0.0.0 is not a loopback address'"
jq '.gateway.bind = "0.0.0.0" | .gateway.insecure = true' "$cfg" >"$dir/open.json"
check "... and accepts it with insecure: true" sh -c "'$BIN/check-config' -c '$dir/open.json' >/dev/null"

check "supervisord starts the group with the gateway" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
check "the gateway writes its port to {run}/gateway.port" wait_for 20 test -s "$dir/gateway.port"
port=$(cat "$dir/gateway.port")
diag "gateway on 127.0.0.1:$port"
check "it listens on loopback only" sh -c "ss -ltn | grep -q '127.0.0.1:$port '"
eq "GET /api/v1/health without a token" "$(req health "$(url /api/v1/health)")" 200
eq "health says ok" "$(jq -r .ok "$out/health")" true
ready_ok() { [ "$(req ready "$(url /api/v1/ready)")" = 200 ]; }
check "GET /api/v1/ready becomes 200 once every stage beats and risk runs" wait_for 60 ready_ok

# ---- bad inputs -------------------------------------------------------------------------
eq "status without a token: 401" "$(req s401 "$(url /api/v1/status)")" 401
check "401 says a bearer token is needed" grep -q 'bearer token is needed' "$out/s401"
eq "a malformed Authorization header: 401" "$(req s401b -H 'Authorization: Basic abc' "$(url /api/v1/status)")" 401
eq "a wrong token: 403" "$(req s403 -H 'Authorization: Bearer not-the-token-0000' "$(url /api/v1/status)")" 403
eq "/metrics needs a token too: 401" "$(req m401 "$(url /metrics)")" 401
eq "an unknown path: 404" "$(req s404 -H "$R" "$(url /api/v1/nothing)")" 404
eq "a read token on control: 403" "$(req c403 -H "$R" -X POST -d '{"action":"pause"}' "$(url /api/v1/control)")" 403
eq "GET on control: 405" "$(req c405 -H "$C" "$(url /api/v1/control)")" 405
eq "malformed JSON: 400" "$(req c400 -H "$C" -X POST -d '{"action":' "$(url /api/v1/control)")" 400
check "400 says why" grep -q 'malformed JSON body' "$out/c400"
eq "an unknown action: 400" "$(req c400b -H "$C" -X POST -d '{"action":"explode"}' "$(url /api/v1/control)")" 400
eq "kill without a reason: 400" "$(req c400c -H "$C" -X POST -d '{"action":"kill"}' "$(url /api/v1/control)")" 400
check "it says kill needs a reason" grep -q 'kill needs a' "$out/c400c"
eq "cancel without an id: 400" "$(req c400d -H "$C" -X POST -d '{"action":"cancel"}' "$(url /api/v1/control)")" 400
eq "a target that is no instance: 400" "$(req c400e -H "$C" -X POST -d '{"action":"reload","target":"risk.9"}' "$(url /api/v1/control)")" 400
head -c 2000 /dev/zero | tr '\0' 'x' >"$dir/big.txt"
eq "a body over gateway.max_body (1024): 413" "$(req c413 -H "$C" -X POST --data-binary @"$dir/big.txt" "$(url /api/v1/control)")" 413
eq "a bad query: 400" "$(req q400 -H "$R" "$(url '/api/v1/fills?limit=abc')")" 400

# ---- the event stream: trade:opened and trade:closed of a round trip ---------------------
: >"$dir/sse1.txt"
curl -s -N --max-time 300 -H "$R" "$(url /api/v1/events)" >"$dir/sse1.txt" 2>/dev/null &
sse_pid=$!
closed() { grep -q '^event: trade:closed' "$dir/sse1.txt"; }
check "an SSE client gets trade:closed of a round trip of the replay" wait_for 200 closed
check "... and trade:opened before it" sh -c "grep -n '^event: trade:' '$dir/sse1.txt' | head -n 1 | grep -q 'trade:opened'"
kill "$sse_pid" 2>/dev/null
wait "$sse_pid" 2>/dev/null
check "every event has an id" sh -c "test \$(grep -c '^event: ' '$dir/sse1.txt') -eq \$(grep -c '^id: ' '$dir/sse1.txt')"
# resume: from an id in the middle, the next event is id+1 with the same name and data
mid=$(grep '^id: ' "$dir/sse1.txt" | sed -n '5p' | cut -d' ' -f2)
next=$((mid + 1))
want=$(grep -A2 "^id: $next\$" "$dir/sse1.txt" | sed -n '2,3p')
curl -s -N --max-time 3 -H "$R" -H "Last-Event-ID: $mid" "$(url /api/v1/events)" >"$dir/sse2.txt" 2>/dev/null
eq "reconnecting with Last-Event-ID $mid starts at id $next" "$(grep '^id: ' "$dir/sse2.txt" | head -n 1)" "id: $next"
got=$(grep -A2 "^id: $next\$" "$dir/sse2.txt" | sed -n '2,3p')
check "... with the event it missed (same name and data)" test -n "$want" -a "$got" = "$want"
check "a new client without Last-Event-ID gets no old event" sh -c \
    "curl -s -N --max-time 2 -H '$R' '$(url /api/v1/events)' | grep -q '^id: $next\$' && exit 1 || exit 0"

# ---- read endpoints: decimals equal to the database's ------------------------------------
eq "GET fills: 200" "$(req fills -H "$R" "$(url '/api/v1/fills?limit=5')")" 200
sleep 1 # the recorder commits every 200 ms
fid=$(jq -r '.fills[0].fill_id' "$out/fills")
eq "the newest fill's price is the database's decimal" "$(jq -r '.fills[0].px' "$out/fills")" \
    "$(sql "$db" "select px from fills where fill_id='$fid'")"
eq "... and its quantity" "$(jq -r '.fills[0].qty' "$out/fills")" "$(sql "$db" "select qty from fills where fill_id='$fid'")"
eq "... and its fee" "$(jq -r '.fills[0].fee' "$out/fills")" "$(sql "$db" "select fee from fills where fill_id='$fid'")"
check "prices are decimal strings, never scaled integers" sh -c \
    "jq -e '[.fills[] | .px, .qty, .fee, .realized_pnl | type == \"string\" and test(\"^-?[0-9]+\\\\.[0-9]+$\")] | all' '$out/fills' >/dev/null"
for p in status positions orders equity pnl risk alerts signals strategies; do
    eq "GET $p: 200" "$(req "$p" -H "$R" "$(url "/api/v1/$p")")" 200
done
check "strategies: a strategy with fills and its net as a decimal" sh -c \
    "jq -e '[.strategies[] | select(.fills >= 1 and (.net | test(\"^-?[0-9]+\\\\.[0-9]{8}$\")))] | length >= 1' '$out/strategies' >/dev/null"
eq "status names every stage of the config" "$(jq -r '.stages | keys | join(",")' "$out/status")" \
    "executor.0,feed.0,recorder.0,risk.0,signal.0,venue-sim.0"
eq "status says risk RUNNING" "$(jq -r .risk.state "$out/status")" RUNNING
eq "risk shows risk.0's answer" "$(jq -r .status.stage "$out/risk")" risk.0
check "pnl's equity is a decimal" sh -c "jq -e '.equity | test(\"^[0-9]+\\\\.[0-9]{8}$\")' '$out/pnl' >/dev/null"
eq "GET /metrics: 200" "$(req metrics -H "$R" "$(url /metrics)")" 200
check "metrics have tradepipe_stage_up for risk.0" grep -q '^tradepipe_stage_up{instance="risk.0"} 1$' "$out/metrics"

# ---- Prometheus itself scrapes /metrics (Debian's prometheus; promtool) --------------------
if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
    lint=$(promtool check metrics <"$out/metrics" 2>&1)
    eq "promtool check metrics is clean" "$lint" ""
    pport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    printf '%s' "$RTOK" >"$dir/prom.token"
    chmod 0600 "$dir/prom.token"
    cat >"$dir/prom.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tradepipe
    authorization:
      credentials_file: $dir/prom.token
    static_configs:
      - targets: ["127.0.0.1:$port"]
YML
    prometheus --config.file="$dir/prom.yml" --storage.tsdb.path="$dir/prom" \
        --web.listen-address="127.0.0.1:$pport" >"$dir/prom.log" 2>&1 &
    prom_pid=$!
    pq() { curl -s --max-time 5 "http://127.0.0.1:$pport/api/v1/query" --data-urlencode "query=$1"; }
    # (jq -e on no input exits 0: compare what it prints)
    has_equity() { [ "$(pq tradepipe_equity | jq -r '.data.result[0].value[1] | tonumber > 0' 2>/dev/null)" = true ]; }
    check "Prometheus scrapes the gateway: tradepipe_equity through its HTTP API" wait_for 30 has_equity
    q=$(pq 'histogram_quantile(0.99, tradepipe_tick_to_fill_seconds_bucket)' | jq -r '.data.result[0].value[1]')
    diag "p99 tick -> fill from Prometheus: $q s"
    check "a latency quantile (p99 tick -> fill) through Prometheus is a number" \
        sh -c "echo '$q' | grep -Eq '^[0-9.e+-]+$'"
    up=$(pq 'up{job="tradepipe"}' | jq -r '.data.result[0].value[1]')
    eq "Prometheus sees the target up (the bearer token works)" "$up" 1
    kill "$prom_pid" 2>/dev/null
    wait "$prom_pid" 2>/dev/null
else
    diag "skip: Debian's prometheus is not installed (make check installs it)"
fi

# ---- control: kill through the gateway ------------------------------------------------------
eq "POST control kill with a reason: 200" \
    "$(req kill -H "$C" -X POST -d '{"action":"kill","reason":"gateway test"}' "$(url /api/v1/control)")" 200
eq "the answer is risk's own: state KILLED" "$(jq -r .state "$out/kill")" KILLED
eq "ctl status risk.0 shows the latch" "$($CTL status risk.0 | jq -r .killed)" true
eq "resume while killed: 409 with risk's refusal" \
    "$(req resume -H "$C" -X POST -d '{"action":"resume"}' "$(url /api/v1/control)")" 409
check "... as risk said it" grep -q 'kill switch latched' "$out/resume"
eq "GET /metrics while killed: 200" "$(req metrics2 -H "$R" "$(url /metrics)")" 200
check "metrics say the kill switch is latched" grep -q '^tradepipe_kill_switch_latched 1$' "$out/metrics2"
check "... and why risk is not running" grep -q '^tradepipe_risk_not_running_reason{state="KILLED",' "$out/metrics2"
if command -v promtool >/dev/null; then
    eq "promtool check metrics is clean then too" "$(promtool check metrics <"$out/metrics2" 2>&1)" ""
fi
ready_503() { [ "$(req ready2 "$(url /api/v1/ready)")" = 503 ]; }
check "ready is 503 while killed" wait_for 10 ready_503
check "... naming the kill" grep -q 'risk.0: KILLED' "$out/ready2"
killed_row() { [ "$(sql "$db" "select count(*) from events where topic='gw.action' and json_extract(body,'$.action')='kill'")" -ge 1 ]; }
check "the kill is recorded in the database (gw.action)" wait_for 10 killed_row
row=$(sql "$db" "select json_extract(body,'$.token') || '|' || json_extract(body,'$.args') || '|' || json_extract(body,'$.ok') || '|' || json_extract(json_extract(body,'$.answer'),'$.state') from events where topic='gw.action' and json_extract(body,'$.action')='kill'")
eq "... with the token's name, the reason, ok and risk's answer" "$row" "control|gateway test|1|KILLED"
check "the refused resume is recorded too" test "$(sql "$db" "select json_extract(body,'$.ok') from events where topic='gw.action' and json_extract(body,'$.action')='resume'")" = 0
eq "clear-kill: 200" "$(req clear -H "$C" -X POST -d '{"action":"clear-kill"}' "$(url /api/v1/control)")" 200
# flatten goes to risk's own command (nothing latched): the kill closed every position, so a
# flatten now closes none; risk answers closed 0, raises its "flatten" alert, and the state
# is not KILLED
eq "POST control flatten of one symbol: 200" \
    "$(req flat -H "$C" -X POST -d '{"action":"flatten","symbol":"BTCUSDT"}' "$(url /api/v1/control)")" 200
eq "... risk's answer counts the closes sent (none open after the kill)" "$(jq -r .closed "$out/flat")" 0
check "... and latches nothing" test "$(jq -r .state "$out/flat")" != KILLED
check "risk raised its flatten alert" grep -q 'alert flatten: flatten BTCUSDT by operator: 0 closed (nothing open)' "$dir/log/risk.log"

# ---- restart alone ------------------------------------------------------------------------
pid() { sv pid "tradepipe:$1"; }
risk_before=$(pid risk)
gw_before=$(pid gateway)
sv restart tradepipe:gateway >/dev/null 2>&1
check "the gateway restarts alone: new pid" test "$(pid gateway)" != "$gw_before"
eq "... risk untouched" "$(pid risk)" "$risk_before"
health_ok() { [ "$(req health2 "$(url /api/v1/health)")" = 200 ]; }
check "... and answers again on the port it wrote" wait_for 10 health_ok

sv stop 'tradepipe:*' >/dev/null 2>&1
sv shutdown >/dev/null 2>&1
check "no program exited with an error" sh -c "! grep -q 'stopped: .*(exit status [1-9]' '$dir/log/supervisord.log'"

# ---- no token anywhere ---------------------------------------------------------------------
leaks=$(for t in "$RTOK" "$CTOK"; do
    grep -rl -- "$t" "$out" "$dir/log" "$dir/sse1.txt" "$dir/sse2.txt" 2>/dev/null
    sqlite3 "$db" .dump | grep -c -- "$t" | grep -v '^0$'
done)
check "the scan finds a token where one is (the tokens file)" grep -q -- "$CTOK" "$dir/tokens.json"
eq "no token in the $(ls "$out" | wc -l) responses, the logs, the event stream or the database" "$leaks" ""
finish
