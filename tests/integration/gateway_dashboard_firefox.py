#!/usr/bin/env python3
"""gateway_dashboard_firefox.py - the gateway's dashboard in headless Firefox, driven over
WebDriver BiDi (python3-websocket), as gateway_dashboard.py does it in Chromium: open the page,
wait until the positions and the equity curve fill in, click KILL, type a reason, confirm,
wait until the page shows the kill latched, keep a screenshot.

usage: gateway_dashboard_firefox.py BIDI_HOST:PORT PAGE_URL SCREENSHOT.png
Prints one line per step ("step: ..."); exit 0 when every step passed, 1 otherwise.
"""
import base64
import json
import sys
import time

import websocket

REASON = "operator kill from the firefox test"


class Bidi:
    def __init__(self, hostport):
        # no Origin header: Firefox refuses a WebSocket upgrade that has one it does not allow
        self.ws = websocket.create_connection("ws://%s/session" % hostport, timeout=60,
                                              suppress_origin=True)
        self.n = 0
        self.prompts = []
        self.ctx = None

    def call(self, method, **params):
        self.n += 1
        my = self.n
        self.ws.send(json.dumps({"id": my, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if msg.get("method") == "browsingContext.userPromptOpened":
                p = msg["params"]
                self.prompts.append(p.get("type"))
                self.n += 1
                self.ws.send(json.dumps({"id": self.n, "method": "browsingContext.handleUserPrompt",
                                         "params": {"context": p["context"], "accept": True,
                                                    "userText": REASON}}))
            if msg.get("id") == my:
                if msg.get("type") == "error":
                    raise RuntimeError("%s: %s %s" % (method, msg.get("error"), msg.get("message")))
                return msg.get("result", {})

    def eval(self, expr):
        r = self.call("script.evaluate", expression=expr, target={"context": self.ctx},
                      awaitPromise=True, resultOwnership="none")
        res = r.get("result", {})
        return res.get("value")

    def wait(self, expr, seconds):
        end = time.time() + seconds
        while time.time() < end:
            if self.eval("!!(" + expr + ")"):
                return True
            time.sleep(0.2)
        return False


def main():
    port, url, shot = sys.argv[1], sys.argv[2], sys.argv[3]
    b = Bidi(port)
    b.call("session.new", capabilities={"alwaysMatch": {"unhandledPromptBehavior": {"default": "ignore"}}})
    b.call("session.subscribe", events=["browsingContext.userPromptOpened"])
    b.ctx = b.call("browsingContext.getTree")["contexts"][0]["context"]
    b.call("browsingContext.setViewport", context=b.ctx, viewport={"width": 1400, "height": 1600})
    b.call("browsingContext.navigate", context=b.ctx, url=url, wait="complete")
    ok = True

    def step(name, passed):
        nonlocal ok
        print("step: %s: %s" % (name, "ok" if passed else "FAILED"), flush=True)
        ok = ok and passed

    step("the page loads and shows the run",
         b.wait("document.getElementById('run').textContent.startsWith('run ')", 30))
    step("stages are listed", b.wait("document.querySelectorAll('#stages tr').length > 5", 30))
    step("a position shows up with a decimal entry price", b.wait(
        "[...document.querySelectorAll('#positions tr')].slice(1).some(r => /^[0-9]+\\.[0-9]+$/.test(r.cells[3].textContent))",
        240))
    step("the equity curve has points",
         b.wait("typeof chart !== 'undefined' && chart && chart.data.datasets[0].data.length > 1", 60))
    box = b.eval("(() => { const r = document.getElementById('kill').getBoundingClientRect();"
                 " return [r.x + r.width / 2, r.y + r.height / 2]; })()")
    xy = [int(v["value"]) for v in box]
    b.call("input.performActions", context=b.ctx, actions=[{
        "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
        "actions": [{"type": "pointerMove", "x": xy[0], "y": xy[1]},
                    {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}])
    step("the page shows the kill latched",
         b.wait("document.getElementById('risk').textContent.includes('KILLED')", 30))
    step("KILL asked for a reason and a confirmation", b.prompts == ["prompt", "confirm"])
    img = b.call("browsingContext.captureScreenshot", context=b.ctx)
    with open(shot, "wb") as f:
        f.write(base64.b64decode(img["data"]))
    step("a screenshot is kept", True)
    try:
        b.call("session.end")
    except Exception:
        pass
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
