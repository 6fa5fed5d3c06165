#!/usr/bin/env python3
"""Independent derivation of the values test_risk_volscale.c checks (issue 17 item 1).

Reads the bundled month of Binance spot BTCUSDT 1m klines (2025-11-01 .. 2025-11-30, the files
config/default.json replays), computes ATR14 as TA-Lib defines it (TR from the second bar;
seed = mean of TR 1..14; then atr = (atr * 13 + TR) / 14) and the ATR percentile of
docs/signal.md "Market context": p = 100 * (ATRs of the last 100 bars, current included,
strictly below the current one) / 100, known once 100 ATRs exist.

It then finds the 60-bar stretch with the highest mean percentile and the one with the lowest,
and in each the last bar with p >= 80 (resp. p <= 20): the bars where risk must size
0.7x (resp. 1.2x) with scale.volatility on (defaults vol_hi_pctile 80, vol_lo_pctile 20).
Prints: kind, bar start (ms), close, ATR14, p, multiplier.

Run from the repository root: python3 tests/unit/risk/volscale_expected.py
"""
import csv
import glob

files = sorted(glob.glob("data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-*.csv"))
bars = []
for f in files:
    with open(f) as fh:
        for row in csv.reader(fh):
            bars.append((int(row[0]) // 1000, float(row[2]), float(row[3]), float(row[4])))

n, win = 14, 100
atr = None
a_sum = 0.0
ring = []
pct = [None] * len(bars)
atrs = [None] * len(bars)
for t, (ms, h, l, c) in enumerate(bars):
    if t == 0:
        continue
    yc = bars[t - 1][3]
    tr = max(h - l, abs(h - yc), abs(l - yc))
    if t < n:
        a_sum += tr
        continue
    if t == n:
        a_sum += tr
        atr = a_sum / n
    else:
        atr = atr * (n - 1)
        atr += tr
        atr /= n
    atrs[t] = atr
    ring.append(atr)
    if len(ring) > win:
        ring.pop(0)
    if len(ring) == win:
        pct[t] = 100.0 * sum(1 for a in ring if a < atr) / win

span = 60
best_hi = best_lo = None
for end in range(span, len(bars) + 1):
    seg = pct[end - span:end]
    if any(p is None for p in seg):
        continue
    m = sum(seg) / span
    if best_hi is None or m > best_hi[0]:
        best_hi = (m, end)
    if best_lo is None or m < best_lo[0]:
        best_lo = (m, end)

for kind, (m, end), ok, mult in (("high", best_hi, lambda p: p >= 80, "0.7"),
                                  ("low", best_lo, lambda p: p <= 20, "1.2")):
    t = max(i for i in range(end - span, end) if ok(pct[i]))
    print("%s stretch mean p %.2f ending bar %d; bar %d start_ms %d close %.2f atr14 %.6f "
          "p %.0f mult %s" % (kind, m, end - 1, t, bars[t][0], bars[t][3], atrs[t], pct[t], mult))
