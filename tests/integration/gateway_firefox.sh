# gateway_firefox.sh - the dashboard works in Firefox too: the real group on the bundled replay
# (paced) with the gateway; headless Firefox (Debian's firefox-esr, driven over WebDriver BiDi by
# gateway_dashboard_firefox.py) loads "/", the positions and the equity curve fill in, the test
# clicks KILL, types a reason and confirms; `ctl status risk.0` shows the latch and the database
# the operator action. Firefox gets a fresh profile whose every request but loopback goes to a
# dead loopback proxy, so it reaches nothing outside this host. Screenshot:
# build/test-logs/gateway_dashboard_firefox.png.
. tests/integration/lib.inc

PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
if ! command -v firefox-esr >/dev/null || ! "$PY" -c 'import websocket' 2>/dev/null; then
    diag "skip: needs firefox-esr and python3-websocket (make check installs them)"
    ok "skipped: no firefox-esr or python3-websocket"
    finish
    exit 0
fi
speed=${TP_GW_DASH_SPEED:-200}
cfg=$(make_config gwff tests/integration/small.json "$speed")
dir=$(dirname "$cfg")
db=$dir/tradepipe.db
RTOK=ff-read-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
CTOK=ff-ctl-$(od -An -N8 -tx8 /dev/urandom | tr -d ' ')
jq '.endpoints["gateway.0"] = {"pub": "ipc://{run}/gateway.0.pub", "ctl": "ipc://{run}/gateway.0.ctl"}
    | .gateway = {}' "$cfg" >"$cfg.tmp" && mv "$cfg.tmp" "$cfg"
export TP_GATEWAY_READ_TOKEN="$RTOK" TP_GATEWAY_CONTROL_TOKEN="$CTOK"
check "supervisord starts the group with the gateway (speed $speed)" sh -c "tools/sv -c '$cfg' up >/dev/null 2>&1"
unset TP_GATEWAY_READ_TOKEN TP_GATEWAY_CONTROL_TOKEN
check "the gateway is listening" wait_for 20 test -s "$dir/gateway.port"
port=$(cat "$dir/gateway.port")

prof=$dir/ffprofile
mkdir -p "$prof" "$BUILD/test-logs"
cat >"$prof/user.js" <<'JS'
user_pref("network.proxy.type", 1);
user_pref("network.proxy.http", "127.0.0.1");
user_pref("network.proxy.http_port", 9);
user_pref("network.proxy.ssl", "127.0.0.1");
user_pref("network.proxy.ssl_port", 9);
user_pref("network.proxy.socks", "127.0.0.1");
user_pref("network.proxy.socks_port", 9);
user_pref("network.proxy.socks_remote_dns", true);
user_pref("network.proxy.share_proxy_settings", true);
user_pref("network.proxy.no_proxies_on", "127.0.0.1");
user_pref("network.proxy.allow_hijacking_localhost", false);
user_pref("network.dns.disablePrefetch", true);
user_pref("network.prefetch-next", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
user_pref("app.update.enabled", false);
user_pref("app.normandy.enabled", false);
user_pref("datareporting.healthreport.uploadEnabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.enabled", false);
user_pref("browser.safebrowsing.malware.enabled", false);
user_pref("browser.safebrowsing.phishing.enabled", false);
user_pref("messaging-system.rsexperimentloader.enabled", false);
user_pref("services.settings.server", "http://127.0.0.1:9/");
user_pref("extensions.update.enabled", false);
user_pref("browser.shell.checkDefaultBrowser", false);
JS
firefox-esr --headless --no-remote --profile "$prof" --remote-debugging-port=0 about:blank \
    >"$dir/firefox.log" 2>&1 &
ff_pid=$!
bidi_port() { sed -n 's#^WebDriver BiDi listening on ws://\([a-z0-9.]*:[0-9]*\).*#\1#p' "$dir/firefox.log" | head -n 1; }
has_port() { [ -n "$(bidi_port)" ]; }
check "headless Firefox opens its WebDriver BiDi port" wait_for 60 has_port
shot=$BUILD/test-logs/gateway_dashboard_firefox.png
"$PY" tests/integration/gateway_dashboard_firefox.py "$(bidi_port)" \
    "http://127.0.0.1:$port/#read=$RTOK&control=$CTOK" "$shot" >"$dir/dash.out" 2>&1
rc=$?
sed 's/^/# /' "$dir/dash.out"
eq "the browser steps all passed (load, positions, equity, KILL + confirm, latched)" "$rc" 0
# the PNG signature (no file(1): a bare Debian has none)
check "the screenshot is a PNG" test "$(head -c 8 "$shot" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a
kill "$ff_pid" 2>/dev/null
wait "$ff_pid" 2>/dev/null

eq "ctl status risk.0 shows the latched kill" "$("$BIN/ctl" -c "$cfg" status risk.0 | jq -r .killed)" true
recorded() { [ "$(sql "$db" "select count(*) from events where topic='gw.action' and json_extract(body,'$.action')='kill' and json_extract(body,'$.args')='operator kill from the firefox test' and json_extract(body,'$.ok')=1")" = 1 ]; }
check "the database has the operator action (kill, the reason typed, done)" wait_for 10 recorded
tools/sv -c "$cfg" shutdown >/dev/null 2>&1
finish
