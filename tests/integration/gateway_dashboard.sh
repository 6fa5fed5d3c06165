# gateway_dashboard.sh - the dashboard as a person uses it: the real group on the bundled replay,
# paced so a browser can watch it, with the gateway; headless Chromium (driven over the DevTools
# protocol by gateway_dashboard.py) loads "/", the positions and the equity curve fill in, the
# test clicks KILL, types a reason and confirms; then `ctl status risk.0` shows the latched kill
# and the database has the operator action (gw.action). The screenshot is kept in
# build/test-logs/gateway_dashboard.png.
. tests/integration/lib.inc

# Debian's python3 (python3-websocket is a Debian package), not another one earlier in PATH
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! command -v chromium >/dev/null || ! "$PY" -c 'import websocket' 2>/dev/null; then
    diag "skip: needs chromium and python3-websocket (make check installs them)"
    ok "skipped: no chromium or python3-websocket"
    finish
    exit 0
fi
speed=${TP_GW_DASH_SPEED:-200}
cfg=$(make_config gwdash tests/integration/small.json "$speed")
dir=$(dirname "$cfg")
db=$dir/tradepipe.db
RTOK=dash-read-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
CTOK=dash-ctl-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
jq '.endpoints["gateway.0"] = {"pub": "ipc://{run}/gateway.0.pub", "ctl": "ipc://{run}/gateway.0.ctl"}
    | .gateway = {}' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
sv() { tools/sv -c "$cfg" "$@"; }
stop_all() { sv shutdown >/dev/null 2>&1; }

# the tokens from the environment this time (supervisord passes its environment on)
export TP_GATEWAY_READ_TOKEN="$RTOK" TP_GATEWAY_CONTROL_TOKEN="$CTOK"
check "supervisord starts the group with the gateway (speed $speed)" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
unset TP_GATEWAY_READ_TOKEN TP_GATEWAY_CONTROL_TOKEN
check "the gateway is listening" wait_for 20 test -s "$dir/gateway.port"
port=$(cat "$dir/gateway.port")
check "chart.js is served from Debian's libjs-chart.js" \
    sh -c "curl -s 'http://127.0.0.1:$port/static/chart.min.js' | cmp -s - /usr/share/javascript/chart.js/chart.min.js"

mkdir -p "$dir/chrome" "$BUILD/test-logs"
chromium --headless=new --no-sandbox --disable-gpu --no-first-run --user-data-dir="$dir/chrome" \
    --remote-debugging-address=127.0.0.1 --remote-debugging-port=0 about:blank \
    >"$dir/chrome.log" 2>&1 &
chrome_pid=$!
check "headless Chromium opens its DevTools port" wait_for 30 test -s "$dir/chrome/DevToolsActivePort"
dport=$(head -n 1 "$dir/chrome/DevToolsActivePort")
shot=$BUILD/test-logs/gateway_dashboard.png
"$PY" tests/integration/gateway_dashboard.py "$dport" \
    "http://127.0.0.1:$port/#read=$RTOK&control=$CTOK" "$shot" >"$dir/dash.out" 2>&1
rc=$?
sed 's/^/# /' "$dir/dash.out"
eq "the browser steps all passed (load, positions, equity, KILL + confirm, latched)" "$rc" 0
# the PNG signature (no file(1): a bare Debian has none)
check "the screenshot is a PNG" test "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
kill "$chrome_pid" 2>/dev/null
wait "$chrome_pid" 2>/dev/null

eq "ctl status risk.0 shows the latched kill" "$("$BIN/ctl" -c "$cfg" status risk.0 | jq -r .killed)" true
recorded() { [ "$(sql "$db" "select count(*) from events where topic='gw.action' and json_extract(body,'$.action')='kill' and json_extract(body,'$.args')='operator kill from the dashboard test' and json_extract(body,'$.ok')=1")" = 1 ]; }
check "the database has the operator action (kill, the reason typed, done)" wait_for 10 recorded
stop_all
leaks=$(grep -rl -e "$RTOK" -e "$CTOK" "$dir/log" 2>/dev/null; sqlite3 "$db" .dump | grep -c -e "$RTOK" -e "$CTOK" | grep -v '^0$')
eq "no token in the logs or the database" "$leaks" ""
finish
