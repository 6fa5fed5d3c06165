# gateway_webhook.sh - the gateway's webhooks against a local HTTP receiver (loopback, a port
# chosen free at start): while the receiver is down the deliveries wait and are retried; once
# it is up it gets every one queued (none dropped, none given up): the trade:opened and
# trade:closed of the replay's round trips (JSON form, decimals), and a kill (JSON and the chat
# "text" form); the secret in a webhook URL never reaches a log.
. tests/integration/lib.inc

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
speed=${TP_GW_SPEED:-2000}
cfg=$(make_config gwhook tests/integration/small.json "$speed")
dir=$(dirname "$cfg")
rport=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SECRET=hook-secret-$(od -An -N6 -tx8 /dev/urandom | tr -d ' ')
RTOK=hook-read-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
CTOK=hook-ctl-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
jq --arg u "http://127.0.0.1:$rport/hook?key=$SECRET" --arg c "http://127.0.0.1:$rport/chat" \
    '.endpoints["gateway.0"] = {"pub": "ipc://{run}/gateway.0.pub", "ctl": "ipc://{run}/gateway.0.ctl"}
     | .gateway = {"webhooks": [{"url": $u, "events": ["trade:opened", "trade:closed", "kill"]},
                                {"url": $c, "events": ["kill"], "format": "text"}],
                   "webhook_queue": 1000, "webhook_retries": 1000, "webhook_backoff_max_ms": 500}' \
    "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
cat >"$dir/receiver.py" <<'PYEOF'
import http.server, sys
out = open(sys.argv[2], "a", buffering=1)
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        out.write(self.path.split("?")[0] + " " + body + "\n")
        self.send_response(200); self.end_headers()
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PYEOF
CTL="$BIN/ctl -c $cfg"
wh() { $CTL status gateway.0 2>/dev/null | jq -r ".webhooks.$1" 2>/dev/null; }

check "check-config takes the webhooks" sh -c "'$BIN/check-config' -c '$cfg' >/dev/null"
jq '.gateway.webhooks[0].events = ["trade:open"]' "$cfg" >"$dir/bad.json"
check "check-config refuses an unknown webhook event by key" sh -c \
    "'$BIN/check-config' -c '$dir/bad.json' 2>&1 | grep -q 'gateway.webhooks\[0\].events\[0\]: expected trade:opened'"
export TP_GATEWAY_READ_TOKEN="$RTOK" TP_GATEWAY_CONTROL_TOKEN="$CTOK"
check "the group starts with the gateway" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
unset TP_GATEWAY_READ_TOKEN TP_GATEWAY_CONTROL_TOKEN
retrying() { [ "$(wh retried)" -ge 3 ] 2>/dev/null && [ "$(wh queued)" -ge 2 ] 2>/dev/null; }
check "with the receiver down, trade deliveries are queued and retried" wait_for 200 retrying
diag "before the receiver: $($CTL status gateway.0 | jq -c .webhooks)"
eq "... none delivered yet" "$(wh delivered)" 0
"$PY" "$dir/receiver.py" "$rport" "$dir/got.txt" >"$dir/receiver.log" 2>&1 &
rpid=$!
all_sent() { [ "$(wh pending)" = 0 ] && [ "$(wh delivered)" = "$(wh queued)" ]; }
check "once it is up, every queued delivery arrives" wait_for 60 all_sent
port=$(cat "$dir/gateway.port")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $CTOK" -X POST \
    -d '{"action":"kill","reason":"webhook test"}' "http://127.0.0.1:$port/api/v1/control")
eq "kill through the gateway" "$code" 200
got_kill() { grep -q '^/hook .*"event":"kill"' "$dir/got.txt" && grep -q '^/chat .*kill_switch' "$dir/got.txt"; }
check "the kill reaches both webhooks" wait_for 30 got_kill
check "... the chat one in the text form (text and content)" sh -c \
    "grep '^/chat ' '$dir/got.txt' | cut -d' ' -f2- | jq -e 'has(\"text\") and has(\"content\")' >/dev/null"
check "a trade:opened arrived with a decimal entry price" sh -c \
    "grep '^/hook ' '$dir/got.txt' | cut -d' ' -f2- | jq -e 'select(.event == \"trade:opened\") | .data.entry_px | test(\"^[0-9]+\\\\.[0-9]+$\")' | grep -q true"
check "a trade:closed arrived with its PnL" sh -c \
    "grep '^/hook ' '$dir/got.txt' | cut -d' ' -f2- | jq -e 'select(.event == \"trade:closed\") | .data.realized_pnl | test(\"^-?[0-9]+\\\\.[0-9]{8}$\")' | grep -q true"
n_hook=$(grep -c '^/hook ' "$dir/got.txt")
eq "every delivery queued reached the receiver once" "$n_hook" "$(($(wh delivered) - $(grep -c '^/chat ' "$dir/got.txt")))"
eq "none dropped" "$(wh dropped)" 0
eq "none given up" "$(wh failed)" 0
kill "$rpid" 2>/dev/null
wait "$rpid" 2>/dev/null
tools/sv -c "$cfg" shutdown >/dev/null 2>&1
check "the webhook URL's secret is in no log" sh -c "! grep -rq -- '$SECRET' '$dir/log'"
check "... while the gateway did log the retries (scheme and host only)" \
    grep -q "webhook http://127.0.0.1:$rport: no answer; retrying" "$dir/log/gateway.log"
finish
