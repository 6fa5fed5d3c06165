/*  klrest.h - warm-up fallback: the closed klines of one series from the venue's REST kline
 *  endpoint, when the recorder's history REP does not answer or has no rows for the series
 *  (docs/signal.md "Restart warm-up").
 *  Owns:  nothing between calls (klrest_fetch returns a malloc'd array the caller frees).
 *  Not:   feeding the engine (signal/warmup.c hands the rows to engine_warmup_klines).
 *  Venues (the feed connection of the series' venue gives protocol and REST base, the same
 *  feed.connections[i].rest key the feed uses for instruments-info and depth snapshots):
 *    Binance spot   GET {rest}/api/v3/klines?symbol=&interval=&limit=[&endTime=]  (limit <= 1000)
 *    Binance USD-M  GET {rest}/fapi/v1/klines?...                                 (limit <= 1500)
 *      array of arrays, oldest first: [openTime, "o", "h", "l", "c", "v", closeTime, "q",
 *      trades, "takerBuyBase", "takerBuyQuote", "ignore"] (Binance "Kline/Candlestick data")
 *    Bybit          GET {rest}/v5/market/kline?category=&symbol=&interval=&limit=[&end=]
 *      (limit <= 1000) result.list newest first, 7 strings [startTime, open, high, low, close,
 *      volume, turnover] (BYBIT_V5.md 2): no trade count, no taker-buy volume (0 here, as in
 *      Bybit's WS kline).
 *  Conversion, the same as the feed's for a WS kline: prices and volumes exactly at the
 *  instrument's px_scale / qty_scale (money_parse: non-zero digits beyond the scale are
 *  malformed), quote volume at MONEY_VALUE_SCALE rounded half-even once; start_ns = open ms,
 *  end_ns = start + tf (exclusive), ts_event = end_ns (REST has no push time; Binance's
 *  closing push has E = closeTime + 1 ms = end_ns), closed = true.
 *  Rows whose end_ns is after `now_ns` are the bar still open: dropped. Units: ns, mantissas.
 */
#ifndef TP_KLREST_H
#define TP_KLREST_H

#include <stddef.h>
#include <stdint.h>

#include "common/cfg.h"
#include "common/codec.h"

typedef enum { KLREST_BINANCE_SPOT = 0, KLREST_BINANCE_USDM, KLREST_BYBIT } klrest_api_t;

typedef struct {
    klrest_api_t api;
    char base[256];    /* REST base URL without a trailing '/' ("http://127.0.0.1:18765/spot") */
    char category[16]; /* Bybit category ("linear", "spot") */
    char venue[CODEC_VENUE_MAX];
    char symbol[CODEC_SYM_MAX];
    int tf_s;
    int px_scale, qty_scale;
    char run_id[64]; /* "" = no check; else every answer must carry this run's id (replay:
                      * common/http.h http_get_run) */
} klrest_series_t;

/* The venue's interval word for tf_s: Binance "1s" (spot), "1m" .. "1w"; Bybit "1" .. "720",
 * "D", "W". 0, or -1/EINVAL (the venue has no such interval, or cap too small). */
int klrest_interval(klrest_api_t api, int tf_s, char *out, size_t cap);

/* URL of one page: the newest `limit` klines opened at/before end_ms (-1: up to now).
 * 0, or -1/EINVAL (bad interval, limit outside 1..klrest_page_max, or cap too small). */
int klrest_url(const klrest_series_t *s, int64_t end_ms, int limit, char *out, size_t cap);

/* Largest limit of one page: 1000, or 1500 for Binance USD-M. */
int klrest_page_max(klrest_api_t api);

/* Parse one page into out[0..cap), oldest first, dropping rows with end_ns > now_ns.
 * *n = rows written; *rows = rows in the page (closed or not; the caller stops paging when it is
 * less than asked); *oldest_ms = open time of the oldest row in the page (-1 if none).
 * 0, or -1 with errno EPROTO (not the venue's answer shape, a Bybit retCode != 0, a row with a
 * bad field, a bar whose length is not tf_s, rows not in the venue's order) with out untouched
 * from the first bad row on, or ENOSPC (more closed rows than cap). */
int klrest_parse(const klrest_series_t *s, const char *body, size_t len, int64_t now_ns,
                 codec_md_kline_t *out, size_t cap, size_t *n, size_t *rows, int64_t *oldest_ms);

/* Find the series' venue in feed.connections[] (protocol, rest, spot, category: the keys and
 * defaults of docs/config.md) and its scales: Binance from feed.instruments[] (tick, step),
 * Bybit from GET {rest}/v5/market/instruments-info?category= (blocking, timeout_ms). Never
 * writes cfg_error. 0, or -1 with errno ENOENT (no connection for the venue, or no rules for
 * the symbol), EINVAL (no REST base, unknown protocol, an interval the venue lacks), or the
 * errno of the instruments-info call (EIO, EPROTO). */
int klrest_series(cfg_t *cfg, const char *venue, const char *symbol, int tf_s, long timeout_ms,
                  klrest_series_t *out);

/* Fetch the newest `n` closed klines (pages of klrest_page_max, each blocking at most
 * timeout_ms). On success *out (malloc'd, caller frees; NULL when *n_out is 0) holds *n_out <= n
 * rows, oldest first. 0, or -1 with errno EIO/EPROTO/EFBIG/ENOMEM (http_get, klrest_parse);
 * rows of pages before a failing one are not returned. */
int klrest_fetch(const klrest_series_t *s, size_t n, long timeout_ms, int64_t now_ns,
                 codec_md_kline_t **out, size_t *n_out);

#endif /* TP_KLREST_H */
