# gateway_tls.sh - the gateway started alone (no group: it needs nobody to start, and /ready
# says what is missing), refusals at start (a non-loopback bind without TLS, a tokens file
# readable by others, a second gateway on the same run directory), and HTTPS from the
# certificate files the config names (a self-signed certificate made here with openssl), and
# control calls answered 504 while risk is down, then 429 past gateway.control_per_min.
. tests/integration/lib.inc

cfg=$(make_config gwtls tests/integration/small.json max)
dir=$(dirname "$cfg")
jq '.endpoints["gateway.0"] = {"pub": "ipc://{run}/gateway.0.pub", "ctl": "ipc://{run}/gateway.0.ctl"}
    | .gateway = {}' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
GW="$BIN/gateway -i gateway.0"
# gw_exit CONFIG: run the gateway until it exits (at most 10 s), print its exit code
gw_exit() {
    timeout 10 $GW -c "$1" >"$dir/gw.out" 2>&1
    echo $?
}

jq '.gateway.bind = "0.0.0.0"' "$cfg" >"$dir/open.json"
eq "a non-loopback bind without TLS: exit 2" "$(gw_exit "$dir/open.json")" 2
check "... naming the file, line and key" grep -q "open.json:[0-9]*: gateway.bind: 0.0.0.0 is not a loopback address" "$dir/gw.out"
printf '{"read": "tls-read-token-0123456789"}' >"$dir/tokens.json"
chmod 0644 "$dir/tokens.json"
jq --arg t "$dir/tokens.json" '.gateway.tokens_file = $t' "$cfg" >"$dir/tok.json"
eq "a tokens file readable by others: exit 2" "$(gw_exit "$dir/tok.json")" 2
check "... saying it must be 0600" grep -q "must be mode 0600 (it is 0644)" "$dir/gw.out"
check "... without the token in the message" sh -c "! grep -q tls-read-token '$dir/gw.out'"

# a self-signed certificate for 127.0.0.1
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" >/dev/null 2>&1
chmod 0600 "$dir/key.pem"
CTOK=tls-ctl-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
printf '{"control": "%s"}' "$CTOK" >"$dir/tokens.json"
chmod 0600 "$dir/tokens.json"
jq --arg c "$dir/cert.pem" --arg k "$dir/key.pem" --arg t "$dir/tokens.json" \
    '.gateway.tls_cert = $c | .gateway.tls_key = $k | .gateway.tokens_file = $t
     | .gateway.control_per_min = 2 | .gateway.ctl_timeout_ms = 200' \
    "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
$GW -c "$cfg" >"$dir/gw.log" 2>&1 &
gpid=$!
check "the gateway starts alone, with TLS" wait_for 10 test -s "$dir/gateway.port"
port=$(cat "$dir/gateway.port")
eq "HTTPS /api/v1/health: 200" "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/cert.pem" "https://127.0.0.1:$port/api/v1/health")" 200
check "plain HTTP gets no answer" sh -c "! curl -s --max-time 3 'http://127.0.0.1:$port/api/v1/health' | grep -q ok"
code=$(curl -s -o "$dir/ready.json" -w '%{http_code}' --cacert "$dir/cert.pem" "https://127.0.0.1:$port/api/v1/ready")
eq "/ready without the group: 503" "$code" 503
check "... naming every stage it has not heard" sh -c \
    "jq -e '[.reasons[] | select(test(\"no heartbeat seen\"))] | length == 6' '$dir/ready.json' >/dev/null"
check "... and that risk does not answer" grep -q 'risk.0: no answer to status' "$dir/ready.json"
post() {
    curl -s -o "$dir/post.json" -w '%{http_code}' --cacert "$dir/cert.pem" -X POST \
        -H "Authorization: Bearer $CTOK" -d '{"action":"pause"}' "https://127.0.0.1:$port/api/v1/control"
}
eq "control with risk down: 504" "$(post)" 504
check "... saying who did not answer" grep -q 'no answer from risk.0 within 200 ms' "$dir/post.json"
eq "a second call in the minute: 504" "$(post)" 504
eq "a third, over gateway.control_per_min (2): 429" "$(post)" 429
eq "a second gateway on the same run directory: exit 3" "$(gw_exit "$cfg")" 3
check "... naming the one running" grep -q "already running (pid $gpid" "$dir/gw.out"
kill -TERM "$gpid"
wait "$gpid"
eq "SIGTERM: a clean stop (exit 0)" "$?" 0
finish
