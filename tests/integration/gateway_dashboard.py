#!/usr/bin/env python3
"""gateway_dashboard.py - drive the gateway's dashboard in headless Chromium over the DevTools
protocol (python3-websocket), as a person would: open the page, wait until the positions and
the equity curve fill in, click KILL, type a reason into the prompt, confirm, wait until the
page shows the kill latched, and keep a screenshot.

usage: gateway_dashboard.py DEVTOOLS_PORT PAGE_URL SCREENSHOT.png
Prints one line per step ("step: ..."); exit 0 when every step passed, 1 otherwise.
"""
import base64
import json
import sys
import time
import urllib.request

import websocket

REASON = "operator kill from the dashboard test"


class Page:
    def __init__(self, port):
        tabs = json.load(urllib.request.urlopen("http://127.0.0.1:%d/json" % port, timeout=10))
        page = [t for t in tabs if t.get("type") == "page"][0]
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.n = 0
        self.dialogs = []

    def call(self, method, **params):
        self.n += 1
        my = self.n
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == "Page.javascriptDialogOpening":
                self.dialogs.append(msg["params"])
                # answer at once: a prompt gets the reason, a confirm is accepted
                self.n += 1
                self.ws.send(json.dumps({"id": self.n, "method": "Page.handleJavaScriptDialog",
                                         "params": {"accept": True, "promptText": REASON}}))
            if msg.get("id") == my:
                if "error" in msg:
                    raise RuntimeError("%s: %s" % (method, msg["error"]))
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("Runtime.evaluate", expression=expr, returnByValue=True, awaitPromise=True)
        return r.get("result", {}).get("value")

    def wait(self, expr, seconds):
        end = time.time() + seconds
        while time.time() < end:
            if self.eval(expr):
                return True
            time.sleep(0.2)
        return False


def main():
    port, url, shot = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    p = Page(port)
    p.call("Page.enable")
    p.call("Runtime.enable")
    p.call("Emulation.setDeviceMetricsOverride", width=1400, height=1600, deviceScaleFactor=1,
           mobile=False)
    p.call("Page.navigate", url=url)
    ok = True

    def step(name, passed):
        nonlocal ok
        print("step: %s: %s" % (name, "ok" if passed else "FAILED"), flush=True)
        ok = ok and passed

    step("the page loads and shows the run", p.wait(
        "document.getElementById('run') && document.getElementById('run').textContent.startsWith('run ')", 30))
    step("stages are listed", p.wait("document.querySelectorAll('#stages tr').length > 5", 30))
    step("a position shows up with a decimal entry price", p.wait(
        "[...document.querySelectorAll('#positions tr')].slice(1).some(r => /^[0-9]+\\.[0-9]+$/.test(r.cells[3].textContent))",
        240))
    step("the equity curve has points", p.wait(
        "typeof chart !== 'undefined' && chart && chart.data.datasets[0].data.length > 1", 60))
    # a real click on KILL: mouse events at the button's centre
    box = p.eval("(() => { const r = document.getElementById('kill').getBoundingClientRect();"
                 " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    for kind in ("mousePressed", "mouseReleased"):
        p.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left",
               clickCount=1)
    step("KILL asks for a reason and a confirmation",
         p.wait("true", 1) and [d["type"] for d in p.dialogs] == ["prompt", "confirm"])
    step("the page shows the kill latched", p.wait(
        "document.getElementById('risk').textContent.includes('KILLED')", 30))
    img = p.call("Page.captureScreenshot", format="png")
    with open(shot, "wb") as f:
        f.write(base64.b64decode(img["data"]))
    step("a screenshot is kept", True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
