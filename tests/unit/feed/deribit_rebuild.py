#!/usr/bin/env python3
"""deribit_rebuild.py - independent rebuild of the Deribit capture for tests/unit/feed/test_deribit.c.

Reads cryptofeed's Deribit recording (data/deribit/cryptofeed_DERIBIT.ws.1.0 frames and
cryptofeed_DERIBIT.0 get_instruments bodies) with Python's json + decimal, never with the C
code under test, and prints one line per frame that changes state:

  B <instrument> <change_id> <bids> <asks>
      after every book notification: the whole book rebuilt from the snapshot and every
      change (action new/change = set the level's amount, delete = remove it), bids best
      (highest) first, asks lowest first, each side "px:qty,px:qty" or "-" when empty.
  T <instrument> <mark> <index> <last> <bid_px> <bid_qty> <ask_px> <ask_qty> <open_interest>
      after every ticker notification, each as a plain decimal at the instrument's scale
      (price scale = decimals of tick_size, amount scale = decimals of min_trade_amount /
      contract_size); mark, index and open interest rounded half-even to that scale, the
      others exact; null = 0.
  X frames=<n> books=<n> snapshots=<n> changes=<n> tickers=<n> results=<n>
      the totals, last.

Usage: deribit_rebuild.py FRAMES_FILE INSTRUMENTS_FILE
"""
import json
import sys
from decimal import ROUND_HALF_EVEN, Decimal


def dec(x):
    return json.loads(x, parse_float=Decimal, parse_int=Decimal)


def places(d):
    d = Decimal(d).normalize()
    e = d.as_tuple().exponent
    return -e if e < 0 else 0


def fmt(d, scale, rnd=False):
    if d is None:
        d = Decimal(0)
    q = Decimal(1).scaleb(-scale)
    r = d.quantize(q, rounding=ROUND_HALF_EVEN)
    if not rnd and r != d:
        raise SystemExit("not exact at scale %d: %s" % (scale, d))
    return format(r, "f")


def main():
    frames_path, instr_path = sys.argv[1], sys.argv[2]
    scales = {}
    for line in open(instr_path, encoding="utf-8"):
        if " -> " not in line:
            continue
        body = line.split(" -> ", 1)[1].split(": ", 1)[1]
        for ins in dec(body)["result"]:
            px = places(ins["tick_size"])
            qty = max(places(ins["min_trade_amount"]), places(ins["contract_size"]))
            scales[ins["instrument_name"]] = (px, qty)
    books = {}
    n = {"frames": 0, "books": 0, "snapshots": 0, "changes": 0, "tickers": 0, "results": 0}
    lines = open(frames_path, encoding="utf-8").read().split("\n")
    for line in lines:
        if not line or " <-" in line.split(": ", 1)[0]:
            continue  # connect and send lines
        frame = line.split(": ", 1)[1]
        n["frames"] += 1
        msg = dec(frame)
        if "result" in msg:
            n["results"] += 1
            continue
        ch = msg["params"]["channel"]
        d = msg["params"]["data"]
        name = d["instrument_name"]
        px_s, qty_s = scales[name]
        if ch.startswith("book."):
            n["books"] += 1
            if d["type"] == "snapshot":
                n["snapshots"] += 1
                books[name] = {"bids": {}, "asks": {}, "id": d["change_id"]}
            else:
                n["changes"] += 1
                b = books[name]
                if d["prev_change_id"] != b["id"]:
                    raise SystemExit("change_id break in the capture: %s" % name)
                b["id"] = d["change_id"]
            b = books[name]
            for side in ("bids", "asks"):
                for action, px, amt in d[side]:
                    if action == "delete":
                        b[side].pop(px, None)
                    else:
                        b[side][px] = amt
            out = []
            for side, rev in (("bids", True), ("asks", False)):
                lv = sorted(b[side].items(), key=lambda kv: kv[0], reverse=rev)
                out.append(",".join("%s:%s" % (fmt(p, px_s), fmt(q, qty_s)) for p, q in lv) or "-")
            print("B %s %s %s %s" % (name, d["change_id"], out[0], out[1]))
        elif ch.startswith("ticker."):
            n["tickers"] += 1
            print(
                "T %s %s %s %s %s %s %s %s %s"
                % (
                    name,
                    fmt(d["mark_price"], px_s, True),
                    fmt(d.get("index_price"), px_s, True),
                    fmt(d.get("last_price"), px_s),
                    fmt(d.get("best_bid_price"), px_s),
                    fmt(d.get("best_bid_amount"), qty_s),
                    fmt(d.get("best_ask_price"), px_s),
                    fmt(d.get("best_ask_amount"), qty_s),
                    fmt(d.get("open_interest"), qty_s, True),
                )
            )
        else:
            raise SystemExit("unexpected channel %s" % ch)
    print("X " + " ".join("%s=%d" % (k, v) for k, v in n.items()))


if __name__ == "__main__":
    main()
