/*  test_deribit.c - feed/deribit on the real Deribit recording (data/deribit/, PROVENANCE.md
 *  section 9: cryptofeed's 30 s capture of ten option books and tickers, 2021-07-22, and its
 *  public/get_instruments bodies) and on single real messages (section 10, nautilus_trader).
 *  Expected books and tickers come from tests/unit/feed/deribit_rebuild.py, an independent
 *  rebuild of the same files in Python (json + decimal), run here through popen; counts come
 *  from that script and from a jansson scan, cross-checked with PROVENANCE's figures (136
 *  frames: 1 subscribe result, 89 tickers, 10 snapshots + 36 changes). Values of the single
 *  messages are read off the files (quoted in comments next to each check).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/unit/file_util.h"
#include <jansson.h>

#include "common/instr.h"
#include "common/log.h"
#include "common/money.h"
#include "feed/deribit.h"

#define k_frames  "data/deribit/cryptofeed_DERIBIT.ws.1.0"
#define k_instrs  "data/deribit/cryptofeed_DERIBIT.0"
#define k_rebuild "tests/unit/feed/deribit_rebuild.py"
#define k_n_instr "data/deribit/nautilus_http_get_instrument.json"
#define k_n_trade "data/deribit/nautilus_ws_trades.json"
#define k_n_tick  "data/deribit/nautilus_ws_ticker.json"
#define k_n_book  "data/deribit/nautilus_ws_book_grouped_snapshot.json"
#define k_venue   "deribit"

/* ---- files -------------------------------------------------------------------------------- */


/* The capture's frames: every line "<ts>: <frame>" (the connect "<->" and send "<-" lines
 * skipped), in order. Returns the count; frames[i] / ts_ns[i] point into / are read from buf. */
typedef struct {
    char *buf;
    char *frame[256];
    size_t len[256];
    int64_t ts_ns[256];
    int n;
} s_capture_t;

static void
s_capture(s_capture_t *c)
{
    size_t len;
    memset(c, 0, sizeof *c);
    c->buf = fu_slurp(k_frames, &len);
    char *save = NULL;
    for (char *line = strtok_r(c->buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *sep = strstr(line, ": ");
        if (strncmp(line, "wss://", 6) == 0 || !sep) {
            continue; /* "<url> <-> <ts>" (connect), "<url> <- <ts>: <request>" (send) */
        }
        assert_true(c->n < 256);
        assert_int_equal(money_parse(line, (size_t)(sep - line), 9, &c->ts_ns[c->n]), 0);
        c->frame[c->n] = sep + 2;
        c->len[c->n] = strlen(sep + 2);
        c->n++;
    }
}

/* ---- instruments -------------------------------------------------------------------------- */

typedef struct {
    instr_table_t *t;
    int n;
    instr_t btc_perp, eth_perp, opt, sol_usdc;
    bool all; /* put every instrument, not only the capture's */
} s_load_t;

/* the capture's ten options (its public/subscribe request) */
static const char *const k_capture_instr[10] = { "BTC-24SEP21-8000-P",   "BTC-30JUL21-24000-P",
                                                 "ETH-30JUL21-2800-C",   "BTC-31DEC21-34000-P",
                                                 "BTC-24SEP21-34000-P",  "BTC-24JUN22-15000-C",
                                                 "BTC-31DEC21-300000-C", "ETH-27AUG21-4000-P",
                                                 "BTC-25MAR22-30000-C",  "ETH-23JUL21-2300-C" };

static void
s_put(const instr_t *in, void *arg)
{
    s_load_t *l = arg;
    l->n++;
    if (strcmp(in->symbol, "BTC-PERPETUAL") == 0) {
        l->btc_perp = *in;
    } else if (strcmp(in->symbol, "ETH-PERPETUAL") == 0) {
        l->eth_perp = *in;
    } else if (strcmp(in->symbol, "BTC-24SEP21-8000-P") == 0) {
        l->opt = *in;
    } else if (strcmp(in->symbol, "SOL_USDC-PERPETUAL") == 0) {
        l->sol_usdc = *in;
    }
    /* the capture's 10 options and the perpetuals (the table holds 256 of the 1,017) */
    bool want = l->all || strstr(in->symbol, "PERPETUAL");
    for (int i = 0; i < 10; i++) {
        want = want || strcmp(in->symbol, k_capture_instr[i]) == 0;
    }
    if (want) {
        assert_int_equal(instr_table_put(l->t, in), 0);
    }
}

/* Parse every get_instruments body of the capture (lines "<url> -> <ts>: <body>"). */
static void
s_instruments(s_load_t *l, int counts[4])
{
    size_t len;
    char *buf = fu_slurp(k_instrs, &len);
    memset(l, 0, sizeof *l);
    l->t = instr_table_new();
    assert_non_null(l->t);
    char *save = NULL;
    int k = 0;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (!strstr(line, " -> ")) {
            continue; /* the last line is cryptofeed's "configuration: {...}" */
        }
        char *body = strstr(strstr(line, " -> "), ": ") + 2;
        int before = l->n;
        assert_true(k < 4);
        int got = deribit_instruments_parse(body, strlen(body), k_venue, s_put, l);
        assert_int_equal(got, l->n - before);
        counts[k++] = l->n - before;
    }
    assert_int_equal(k, 4);
    free(buf);
}

static void
test_instruments(void **state)
{
    (void)state;
    s_load_t l;
    int counts[4];
    s_instruments(&l, counts);
    /* PROVENANCE.md section 9: BTC 398, ETH 426, SOL 177, USDC 16 instruments; all usable */
    assert_int_equal(counts[0], 398);
    assert_int_equal(counts[1], 426);
    assert_int_equal(counts[2], 177);
    assert_int_equal(counts[3], 16);

    /* BTC-PERPETUAL (2021 body): "tick_size":0.5, "min_trade_amount":10.0, "contract_size":10.0,
     * "quote_currency":"USD", "base_currency":"BTC", no settlement_currency: inverse, USD
     * amounts, settles in BTC */
    const instr_t *p = &l.btc_perp;
    assert_string_equal(p->category, "future");
    assert_int_equal(p->px_scale, 1);
    assert_int_equal(p->tick, 5);
    assert_int_equal(p->qty_scale, 0);
    assert_int_equal(p->step, 10);
    assert_int_equal(p->min_qty, 10);
    assert_int_equal(p->contract_size, 10);
    assert_string_equal(p->settle, "BTC");
    assert_string_equal(p->qty_ccy, "USD");
    assert_int_equal(p->n_tick_steps, 0);
    /* ETH-PERPETUAL: "tick_size":0.05, "min_trade_amount":1, "contract_size":1 */
    p = &l.eth_perp;
    assert_int_equal(p->px_scale, 2);
    assert_int_equal(p->tick, 5);
    assert_int_equal(p->qty_scale, 0);
    assert_int_equal(p->step, 1);
    assert_int_equal(p->contract_size, 1);
    assert_string_equal(p->qty_ccy, "USD");
    assert_string_equal(p->settle, "ETH");
    /* BTC-24SEP21-8000-P: "tick_size":0.0005, "min_trade_amount":0.1, "contract_size":1.0,
     * "kind":"option", quote BTC: amounts in BTC */
    p = &l.opt;
    assert_string_equal(p->category, "option");
    assert_int_equal(p->px_scale, 4);
    assert_int_equal(p->tick, 5);
    assert_int_equal(p->qty_scale, 1);
    assert_int_equal(p->step, 1);
    assert_int_equal(p->contract_size, 10);
    assert_string_equal(p->settle, "BTC");
    assert_string_equal(p->qty_ccy, "BTC");
    /* SOL_USDC-PERPETUAL (2022 body): "tick_size":0.01, "min_trade_amount":0.1,
     * "contract_size":0.1, "settlement_currency":"USDC", "future_type":"linear": SOL amounts */
    p = &l.sol_usdc;
    assert_string_equal(p->category, "future");
    assert_int_equal(p->px_scale, 2);
    assert_int_equal(p->tick, 1);
    assert_int_equal(p->qty_scale, 1);
    assert_int_equal(p->step, 1);
    assert_int_equal(p->contract_size, 1);
    assert_string_equal(p->settle, "USDC");
    assert_string_equal(p->qty_ccy, "SOL");

    /* nautilus public/get_instrument (2025, one instrument as result object):
     * "tick_size":0.5, "contract_size":10.0, "min_trade_amount":10.0,
     * "settlement_currency":"BTC", "tick_size_steps":[] */
    size_t len;
    char *body = fu_slurp(k_n_instr, &len);
    s_load_t n1;
    memset(&n1, 0, sizeof n1);
    n1.t = instr_table_new();
    assert_int_equal(deribit_instruments_parse(body, len, k_venue, s_put, &n1), 1);
    assert_int_equal(n1.btc_perp.tick, 5);
    assert_int_equal(n1.btc_perp.contract_size, 10);
    assert_int_equal(n1.btc_perp.step, 10);
    assert_string_equal(n1.btc_perp.settle, "BTC");
    assert_string_equal(n1.btc_perp.qty_ccy, "USD");
    assert_int_equal(n1.btc_perp.n_tick_steps, 0);
    free(body);
    instr_table_destroy(&n1.t);

    /* tick_size_steps (none in the recorded bodies: constructed in the documented shape):
     * tick 0.0001, 0.0005 above 0.005 -> px_scale 4, tick 1, step (50, 5) */
    static const char k_steps[] =
        "{\"jsonrpc\":\"2.0\",\"result\":[{\"instrument_name\":\"BTC-27JUN25-100000-C\","
        "\"kind\":\"option\",\"tick_size\":0.0001,\"tick_size_steps\":[{\"above_price\":0.005,"
        "\"tick_size\":0.0005}],\"contract_size\":1.0,\"min_trade_amount\":0.1,"
        "\"base_currency\":\"BTC\",\"quote_currency\":\"BTC\",\"settlement_currency\":\"BTC\"},"
        "{\"instrument_name\":\"X\",\"kind\":\"option\",\"tick_size\":\"0.1\","
        "\"contract_size\":1,\"min_trade_amount\":1,\"base_currency\":\"BTC\","
        "\"quote_currency\":\"BTC\"}]}";
    s_load_t n2;
    memset(&n2, 0, sizeof n2);
    n2.t = instr_table_new();
    n2.all = true;
    /* the second instrument (tick_size as a string) is skipped */
    assert_int_equal(deribit_instruments_parse(k_steps, strlen(k_steps), k_venue, s_put, &n2), 1);
    const instr_t *o = instr_table_get(n2.t, k_venue, "BTC-27JUN25-100000-C");
    assert_non_null(o);
    assert_int_equal(o->px_scale, 4);
    assert_int_equal(o->tick, 1);
    assert_int_equal(o->n_tick_steps, 1);
    assert_int_equal(o->tick_steps[0].above_px, 50);
    assert_int_equal(o->tick_steps[0].tick, 5);
    assert_int_equal(instr_tick_at(o, 50), 1);
    assert_int_equal(instr_tick_at(o, 51), 5);
    instr_table_destroy(&n2.t);

    errno = 0;
    assert_int_equal(deribit_instruments_parse("{\"a\":1}", 7, k_venue, s_put, &l), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(deribit_instruments_parse("[1,", 3, k_venue, s_put, &l), -1);
    instr_table_destroy(&l.t);
}

/* ---- the capture against the independent rebuild ----------------------------------------- */

typedef struct {
    deribit_t *p;
    FILE *exp; /* deribit_rebuild.py's output */
    long books, tickers, status, acks, checked_books, checked_tickers, levels_checked;
    long snapshots;
    const char *last_op;
    char last_reason[128];
} s_seen_t;

static char *
s_exp_line(s_seen_t *s, char kind)
{
    static char line[65536];
    assert_non_null(fgets(line, sizeof line, s->exp));
    line[strcspn(line, "\n")] = '\0';
    assert_int_equal(line[0], kind);
    return line + 2;
}

static int64_t
s_m(const char *txt, int scale)
{
    int64_t v;
    assert_int_equal(money_parse(txt, strlen(txt), scale, &v), 0);
    return v;
}

/* "px:qty,px:qty" or "-" against the book side lv[n] */
static long
s_cmp_side(char *txt, const book_level_t *lv, size_t n, const instr_t *in)
{
    size_t k = 0;
    if (strcmp(txt, "-") != 0) {
        char *save = NULL;
        for (char *e = strtok_r(txt, ",", &save); e; e = strtok_r(NULL, ",", &save), k++) {
            char *colon = strchr(e, ':');
            assert_non_null(colon);
            *colon = '\0';
            assert_true(k < n);
            assert_int_equal(lv[k].px, s_m(e, in->px_scale));
            assert_int_equal(lv[k].qty, s_m(colon + 1, in->qty_scale));
        }
    }
    assert_int_equal(k, n);
    return (long)k;
}

static void
s_on_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    assert_true(origin > 0);
    assert_true(b->ts_event > 1626993700LL * 1000000000LL);
    s->books++;
    s->snapshots += b->snapshot;
    if (!s->exp) {
        return;
    }
    char *line = s_exp_line(s, 'B');
    char *name = strtok(line, " ");
    char *cid = strtok(NULL, " ");
    char *bids = strtok(NULL, " ");
    char *asks = strtok(NULL, " ");
    assert_non_null(asks);
    assert_string_equal(name, b->symbol);
    assert_int_equal(b->update_id, strtoull(cid, NULL, 10));
    const book_t *bk = deribit_book(s->p, b->symbol);
    assert_non_null(bk);
    book_check(bk);
    static book_level_t bl[BOOK_MAX_DEPTH], al[BOOK_MAX_DEPTH];
    size_t nb, na;
    book_top(bk, BOOK_MAX_DEPTH, bl, &nb, al, &na);
    s->levels_checked += s_cmp_side(bids, bl, nb, book_instr(bk));
    s->levels_checked += s_cmp_side(asks, al, na, book_instr(bk));
    s->checked_books++;
}

static void
s_on_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    (void)origin;
    s->tickers++;
    if (!s->exp) {
        return;
    }
    char *line = s_exp_line(s, 'T');
    char *f[9];
    f[0] = strtok(line, " ");
    for (int i = 1; i < 9; i++) {
        f[i] = strtok(NULL, " ");
        assert_non_null(f[i]);
    }
    assert_string_equal(f[0], t->symbol);
    int ps = t->px_scale, qs = t->qty_scale;
    assert_int_equal(t->mark_px, s_m(f[1], ps));
    assert_int_equal(t->index_px, s_m(f[2], ps));
    assert_int_equal(t->last_px, s_m(f[3], ps));
    assert_int_equal(t->bid_px, s_m(f[4], ps));
    assert_int_equal(t->bid_qty, s_m(f[5], qs));
    assert_int_equal(t->ask_px, s_m(f[6], ps));
    assert_int_equal(t->ask_qty, s_m(f[7], qs));
    deribit_ticker_t x;
    assert_int_equal(deribit_ticker(s->p, t->symbol, &x), 0);
    assert_int_equal(x.open_interest, s_m(f[8], qs));
    assert_int_equal(x.tk.funding_rate_e8, 0); /* options carry no funding */
    s->checked_tickers++;
}

static void
s_on_status(const codec_md_status_t *st, int64_t origin, void *arg)
{
    s_seen_t *s = arg;
    (void)origin;
    assert_string_equal(st->state, "resync");
    assert_string_equal(st->venue, k_venue);
    md_strlcpy(s->last_reason, st->reason, sizeof s->last_reason);
    s->status++;
}

static void
s_on_control(const char *op, bool ok, void *arg)
{
    s_seen_t *s = arg;
    s->last_op = op;
    if (ok && strcmp(op, "subscribe") == 0) {
        s->acks++;
    }
}

static deribit_t *
s_parser(instr_table_t *t, md_stats_t *st, s_seen_t *seen, size_t depth)
{
    const md_sink_t sink = { .book = s_on_book,
                             .ticker = s_on_ticker,
                             .status = s_on_status,
                             .control = s_on_control,
                             .arg = seen };
    deribit_t *p = deribit_new(k_venue, t, depth, 10, st, &sink);
    assert_non_null(p);
    seen->p = p;
    return p;
}

static void
test_capture_rebuild(void **state)
{
    (void)state;
    s_load_t l;
    int counts[4];
    s_instruments(&l, counts);
    s_capture_t c;
    s_capture(&c);

    /* jansson scan of the same frames: the kinds PROVENANCE counts */
    long x_tick = 0, x_snap = 0, x_change = 0, x_res = 0;
    for (int i = 0; i < c.n; i++) {
        json_error_t e;
        json_t *m = json_loadb(c.frame[i], c.len[i], 0, &e);
        assert_non_null(m);
        const char *ch =
            json_string_value(json_object_get(json_object_get(m, "params"), "channel"));
        if (!ch) {
            x_res += json_object_get(m, "result") != NULL;
        } else if (strncmp(ch, "ticker.", 7) == 0) {
            x_tick++;
        } else if (strncmp(ch, "book.", 5) == 0) {
            const char *ty = json_string_value(
                json_object_get(json_object_get(json_object_get(m, "params"), "data"), "type"));
            x_snap += strcmp(ty, "snapshot") == 0;
            x_change += strcmp(ty, "change") == 0;
        }
        json_decref(m);
    }
    assert_int_equal(c.n, 136);
    assert_int_equal(x_tick, 89);
    assert_int_equal(x_snap, 10);
    assert_int_equal(x_change, 36);
    assert_int_equal(x_res, 1);

    md_stats_t st = { 0 };
    s_seen_t seen = { 0 };
    seen.exp = popen("python3 " k_rebuild " " k_frames " " k_instrs, "r");
    assert_non_null(seen.exp);
    deribit_t *p = s_parser(l.t, &st, &seen, BOOK_MAX_DEPTH);
    for (int i = 0; i < c.n; i++) {
        assert_int_equal(deribit_parse(p, c.frame[i], c.len[i], c.ts_ns[i]), 0);
    }
    char *tail = s_exp_line(&seen, 'X');
    char want[160];
    snprintf(want, sizeof want,
             "frames=%d books=%ld snapshots=%ld changes=%ld tickers=%ld results=%ld", c.n,
             x_snap + x_change, x_snap, x_change, x_tick, x_res);
    assert_string_equal(tail, want);
    assert_int_equal(pclose(seen.exp), 0);

    assert_int_equal(st.frames, 136);
    assert_int_equal(st.books, x_snap + x_change);
    assert_int_equal(st.tickers, x_tick);
    assert_int_equal(st.acks, 1);
    assert_int_equal(seen.acks, 1);
    assert_int_equal(st.bad_json + st.bad_field + st.unknown_topic + st.no_instr, 0);
    assert_int_equal(st.resyncs + st.unsynced + st.crossed, 0);
    assert_int_equal(seen.checked_books, 46);
    assert_int_equal(seen.snapshots, 10);
    assert_int_equal(seen.checked_tickers, 89);
    assert_true(seen.levels_checked > 46);
    assert_int_equal(seen.status, 0);

    deribit_reset(p);
    deribit_ticker_t x;
    assert_int_equal(deribit_ticker(p, "BTC-24SEP21-8000-P", &x), -1);
    assert_false(book_synced(deribit_book(p, "BTC-24SEP21-8000-P")));
    deribit_destroy(&p);
    instr_table_destroy(&l.t);
    free(c.buf);
}

/* index of the first frame (from `from`) whose text contains `a` and `b` */
static int
s_find(const s_capture_t *c, int from, const char *a, const char *b)
{
    for (int i = from; i < c->n; i++) {
        if (strstr(c->frame[i], a) && (!b || strstr(c->frame[i], b))) {
            return i;
        }
    }
    return -1;
}

/* A change whose prev_change_id is not the last change_id applied: a resync, counted and
 * reported, the book dropped until a new snapshot; never patched. The break is made by leaving
 * one real change frame out. */
static void
test_change_id_break(void **state)
{
    (void)state;
    s_load_t l;
    int counts[4];
    s_instruments(&l, counts);
    s_capture_t c;
    s_capture(&c);
    md_stats_t st = { 0 };
    s_seen_t seen = { 0 };
    deribit_t *p = s_parser(l.t, &st, &seen, BOOK_MAX_DEPTH);
    const char *inst = "\"channel\":\"book.BTC-24SEP21-8000-P.raw\"";
    int snap = s_find(&c, 0, inst, "\"snapshot\"");
    int ch1 = s_find(&c, snap + 1, inst, "\"change\"");
    int ch2 = s_find(&c, ch1 + 1, inst, "\"change\"");
    int ch3 = s_find(&c, ch2 + 1, inst, "\"change\"");
    assert_true(snap >= 0 && ch1 > snap && ch2 > ch1 && ch3 > ch2);
    assert_int_equal(deribit_parse(p, c.frame[snap], c.len[snap], c.ts_ns[snap]), 0);
    const book_t *bk = deribit_book(p, "BTC-24SEP21-8000-P");
    assert_true(book_synced(bk));
    /* ch1 left out: ch2's prev_change_id is ch1's change_id, not the snapshot's */
    errno = 0;
    assert_int_equal(deribit_parse(p, c.frame[ch2], c.len[ch2], c.ts_ns[ch2]), -1);
    assert_int_equal(errno, EPROTO);
    assert_int_equal(st.resyncs, 1);
    assert_int_equal(st.crossed, 0);
    assert_int_equal(seen.status, 1);
    assert_non_null(strstr(seen.last_reason, "change_id break"));
    assert_false(book_synced(bk));
    assert_int_equal(book_n_bids(bk) + book_n_asks(bk), 0);
    /* further changes wait for the snapshot, counted, never applied */
    assert_int_equal(deribit_parse(p, c.frame[ch3], c.len[ch3], c.ts_ns[ch3]), 0);
    assert_int_equal(st.unsynced, 1);
    assert_false(book_synced(bk));
    /* the resubscription's snapshot (here: the same snapshot frame again) syncs it */
    assert_int_equal(deribit_parse(p, c.frame[snap], c.len[snap], c.ts_ns[snap]), 0);
    assert_true(book_synced(bk));
    assert_int_equal(st.resyncs, 1);
    deribit_destroy(&p);
    instr_table_destroy(&l.t);
    free(c.buf);
}

/* ---- malformed input ---------------------------------------------------------------------- */

static void
test_malformed(void **state)
{
    (void)state;
    s_load_t l;
    int counts[4];
    s_instruments(&l, counts);
    s_capture_t c;
    s_capture(&c);
    md_stats_t st = { 0 };
    s_seen_t seen = { 0 };
    deribit_t *p = s_parser(l.t, &st, &seen, BOOK_MAX_DEPTH);

    /* every cut of a real snapshot frame is refused as bad JSON, never a crash */
    int snap = s_find(&c, 0, "book.BTC-24SEP21-8000-P.raw", "\"snapshot\"");
    assert_true(snap >= 0);
    for (size_t n = 0; n < c.len[snap]; n++) {
        assert_int_equal(deribit_parse(p, c.frame[snap], n, 1), -1);
    }
    assert_int_equal(st.bad_json, (int64_t)c.len[snap]);
    assert_int_equal(st.books, 0);
    assert_null(deribit_book(p, "BTC-24SEP21-8000-P"));
    assert_int_equal(deribit_parse(p, c.frame[snap], c.len[snap], 1), 0);
    const book_t *bk = deribit_book(p, "BTC-24SEP21-8000-P");
    size_t nb = book_n_bids(bk), na = book_n_asks(bk);

    /* well-formed JSON, bad fields: each counted once in bad_field, the book unchanged */
#define B(data)                                                                                    \
    "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"book.BTC-24SEP21-" \
    "8000-P.raw\",\"data\":" data "}}"
    static const char *const k_bad_field[] = {
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[[\"add\",0.001,1.0]],\"asks\":[]}"), /* unknown action */
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[[\"new\",0.00012,1.0]],\"asks\":[]}"), /* off tick */
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[[\"new\",\"0.001\",1.0]],\"asks\":[]}"), /* string price */
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[[\"new\",0.001,-1.0]],\"asks\":[]}"), /* negative */
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[[\"new\",0.001,0.05]],\"asks\":[]}"), /* finer than step */
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[[\"new\",0.001]],\"asks\":[]}"), /* short level */
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[[\"new\",1e999999,1.0]],\"asks\":[]}"), /* huge */
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[[\"new\",99999999999999999999,1.0]],\"asks\":[]}"),
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"bids\":[],\"asks\":[]}"), /* no change_id */
        B("{\"type\":\"change\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[],\"asks\":[]}"), /* change without prev_change_id */
        B("{\"type\":\"partial\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":[],\"asks\":[]}"), /* unknown type */
        B("{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
          "\"change_id\":5,\"bids\":{},\"asks\":[]}"), /* bids not an array */
        B("[]"),
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"book.X\","
        "\"data\":{}}}", /* no interval */
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":7,\"data\":{}}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":[]}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"ticker.BTC-"
        "24SEP21-8000-P.raw\",\"data\":{\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-P\","
        "\"mark_price\":null}}}", /* a ticker must carry a mark */
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"trades.BTC-"
        "24SEP21-8000-P.raw\",\"data\":[{\"timestamp\":1,\"instrument_name\":\"BTC-24SEP21-8000-"
        "P\","
        "\"price\":0.001,\"amount\":1.0,\"direction\":\"up\",\"trade_id\":\"1\"}]}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":\"tick\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"error\":{\"message\":\"no code\"}}",
    };
#undef B
    size_t n_bad = sizeof k_bad_field / sizeof k_bad_field[0];
    for (size_t i = 0; i < n_bad; i++) {
        int64_t before = st.bad_field;
        assert_int_equal(deribit_parse(p, k_bad_field[i], strlen(k_bad_field[i]), 1), -1);
        if (st.bad_field != before + 1) {
            fail_msg("frame %zu not counted as bad_field: %s", i, k_bad_field[i]);
        }
    }
    assert_int_equal(st.bad_field, (int64_t)n_bad);
    assert_true(book_synced(bk));
    assert_int_equal(book_n_bids(bk), nb);
    assert_int_equal(book_n_asks(bk), na);
    assert_int_equal(st.resyncs, 0);

    /* unknown channel / method / shape: unknown_topic */
    static const char *const k_unknown[] = {
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"quote.BTC-"
        "PERPETUAL\",\"data\":{}}}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"announcements\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":9}",
    };
    for (size_t i = 0; i < 4; i++) {
        assert_int_equal(deribit_parse(p, k_unknown[i], strlen(k_unknown[i]), 1), -1);
    }
    assert_int_equal(st.unknown_topic, 4);
    /* not an object */
    assert_int_equal(deribit_parse(p, "[1,2]", 5, 1), -1);
    assert_int_equal(deribit_parse(p, "", 0, 1), -1);
    /* an instrument without rules: skipped, counted */
    static const char k_norules[] =
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"book.DOGE-X."
        "raw\",\"data\":{\"type\":\"snapshot\",\"timestamp\":1,\"instrument_name\":\"DOGE-X\","
        "\"change_id\":5,\"bids\":[],\"asks\":[]}}}";
    assert_int_equal(deribit_parse(p, k_norules, strlen(k_norules), 1), 0);
    assert_int_equal(st.no_instr, 1);
    deribit_destroy(&p);
    instr_table_destroy(&l.t);
    free(c.buf);
}

/* ---- heartbeats, replies, requests -------------------------------------------------------- */

static void
test_heartbeat_and_replies(void **state)
{
    (void)state;
    instr_table_t *t = instr_table_new();
    md_stats_t st = { 0 };
    s_seen_t seen = { 0 };
    deribit_t *p = s_parser(t, &st, &seen, 10);
    /* the shapes of docs.deribit.com public/set_heartbeat and public/test */
    static const char k_tr[] =
        "{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":\"test_request\"}}";
    static const char k_hb[] =
        "{\"jsonrpc\":\"2.0\",\"method\":\"heartbeat\",\"params\":{\"type\":\"heartbeat\"}}";
    static const char k_test[] =
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"version\":\"1.2.26\"},"
        "\"usIn\":1,\"usOut\":2,\"usDiff\":1,\"testnet\":false}";
    static const char k_ok[] = "{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":\"ok\"}";
    static const char k_err[] = "{\"jsonrpc\":\"2.0\",\"id\":9,\"error\":{\"message\":\"Invalid "
                                "params\",\"code\":-32602}}";
    assert_int_equal(deribit_parse(p, k_tr, strlen(k_tr), 1), 0);
    assert_string_equal(seen.last_op, "test_request");
    assert_int_equal(deribit_test_requests(p), 1);
    assert_int_equal(deribit_parse(p, k_hb, strlen(k_hb), 1), 0);
    assert_string_equal(seen.last_op, "heartbeat");
    assert_int_equal(deribit_parse(p, k_test, strlen(k_test), 1), 0);
    assert_string_equal(seen.last_op, "test");
    assert_int_equal(st.pongs, 2);
    assert_int_equal(deribit_parse(p, k_ok, strlen(k_ok), 1), 0);
    assert_int_equal(st.acks, 1);
    assert_int_equal(deribit_parse(p, k_err, strlen(k_err), 1), 0);
    assert_string_equal(seen.last_op, "error");
    assert_int_equal(st.nacks, 1);
    assert_int_equal(deribit_test_requests(p), 1);

    /* the answer to a test_request, and a subscribe as the capture's client sent it */
    char buf[512];
    int n = deribit_request(buf, sizeof buf, 12, "public/test", NULL);
    assert_string_equal(buf,
                        "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"public/test\",\"params\":{}}");
    assert_int_equal(n, (int)strlen(buf));
    n = deribit_request(buf, sizeof buf, 0, "public/subscribe",
                        "{\"channels\":[\"book.BTC-24SEP21-8000-P.raw\"]}");
    json_error_t e;
    json_t *j = json_loadb(buf, (size_t)n, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "method")), "public/subscribe");
    assert_string_equal(json_string_value(json_array_get(
                            json_object_get(json_object_get(j, "params"), "channels"), 0)),
                        "book.BTC-24SEP21-8000-P.raw");
    json_decref(j);
    errno = 0;
    assert_int_equal(deribit_request(buf, 20, 1, "public/set_heartbeat", "{\"interval\":30}"), -1);
    assert_int_equal(errno, ENOSPC);
    deribit_destroy(&p);
    instr_table_destroy(&t);
}

/* ---- the single real messages (nautilus_trader fixtures) ---------------------------------- */

typedef struct {
    codec_md_trade_t tr[4];
    int n_tr;
    codec_md_ticker_t tk;
    int n_tk;
    codec_md_book_t bk;
    int n_bk;
} s_one_t;

static void
s1_trade(const codec_md_trade_t *t, int64_t origin, void *arg)
{
    s_one_t *o = arg;
    (void)origin;
    assert_true(o->n_tr < 4);
    o->tr[o->n_tr++] = *t;
}

static void
s1_ticker(const codec_md_ticker_t *t, int64_t origin, void *arg)
{
    s_one_t *o = arg;
    (void)origin;
    o->tk = *t;
    o->n_tk++;
}

static void
s1_book(const codec_md_book_t *b, int64_t origin, void *arg)
{
    s_one_t *o = arg;
    (void)origin;
    o->bk = *b;
    o->n_bk++;
}

static void
s_put_all(const instr_t *in, void *arg)
{
    assert_int_equal(instr_table_put(arg, in), 0);
}

static void
test_nautilus_messages(void **state)
{
    (void)state;
    size_t len;
    char *body = fu_slurp(k_n_instr, &len);
    instr_table_t *t = instr_table_new();
    assert_int_equal(deribit_instruments_parse(body, len, k_venue, s_put_all, t), 1);
    free(body);
    md_stats_t st = { 0 };
    s_one_t one;
    memset(&one, 0, sizeof one);
    const md_sink_t sink = { .trade = s1_trade, .ticker = s1_ticker, .book = s1_book, .arg = &one };
    deribit_t *p = deribit_new(k_venue, t, 50, 10, &st, &sink);
    assert_non_null(p);

    /* ws_trades.json: trades.BTC-PERPETUAL.100ms, 2 trades: {"timestamp":1765531356452,
     * "price":92294.5,"amount":10.0,"direction":"sell","trade_id":"403691824"} and
     * {"price":92288.5,"amount":750.0,"direction":"sell","trade_id":"403691825"} */
    char *m = fu_slurp(k_n_trade, &len);
    assert_int_equal(deribit_parse(p, m, len, 5), 0);
    free(m);
    assert_int_equal(one.n_tr, 2);
    assert_string_equal(one.tr[0].symbol, "BTC-PERPETUAL");
    assert_string_equal(one.tr[0].venue, "deribit");
    assert_int_equal(one.tr[0].px_scale, 1);
    assert_int_equal(one.tr[0].px, 922945);
    assert_int_equal(one.tr[0].qty_scale, 0);
    assert_int_equal(one.tr[0].qty, 10);
    assert_int_equal(one.tr[0].side, -1);
    assert_string_equal(one.tr[0].trade_id, "403691824");
    assert_int_equal(one.tr[0].ts_event, 1765531356452LL * 1000000);
    assert_int_equal(one.tr[0].ts_recv, 5);
    assert_int_equal(one.tr[1].px, 922885);
    assert_int_equal(one.tr[1].qty, 750);
    assert_string_equal(one.tr[1].trade_id, "403691825");
    assert_int_equal(st.trades, 2);

    /* ws_ticker.json: "timestamp":1765541474086, "mark_price":92281.78 (-> 92281.8 at the 0.5
     * tick's scale 1, half-even), "index_price":92263.55 (-> 92263.6: ...5 rounds to the even
     * 6), "last_price":92283.5, "best_bid_price":92283.5, "best_bid_amount":117660.0,
     * "best_ask_price":92284.0, "best_ask_amount":186520.0, "open_interest":1132329370.0,
     * "funding_8h":0.00001742 (x1e8 = 1742), "current_funding":0.0 */
    m = fu_slurp(k_n_tick, &len);
    assert_int_equal(deribit_parse(p, m, len, 6), 0);
    free(m);
    assert_int_equal(one.n_tk, 1);
    assert_int_equal(one.tk.ts_event, 1765541474086LL * 1000000);
    assert_int_equal(one.tk.mark_px, 922818);
    assert_int_equal(one.tk.index_px, 922636);
    assert_int_equal(one.tk.last_px, 922835);
    assert_int_equal(one.tk.bid_px, 922835);
    assert_int_equal(one.tk.bid_qty, 117660);
    assert_int_equal(one.tk.ask_px, 922840);
    assert_int_equal(one.tk.ask_qty, 186520);
    assert_int_equal(one.tk.funding_rate_e8, 1742);
    deribit_ticker_t x;
    assert_int_equal(deribit_ticker(p, "BTC-PERPETUAL", &x), 0);
    assert_int_equal(x.open_interest, 1132329370LL);
    assert_int_equal(x.current_funding_e8, 0);

    /* ws_book_grouped_snapshot.json: book.BTC-PERPETUAL.none.10.100ms, change_id
     * 136725664747, 10 [price, amount] bids from [89532.5, 254900.0] down to
     * [89523.5, 11000.0], 10 asks from [89533.0, 91570.0] up to [89545.5, 29500.0] */
    m = fu_slurp(k_n_book, &len);
    assert_int_equal(deribit_parse(p, m, len, 7), 0);
    free(m);
    assert_int_equal(one.n_bk, 1);
    assert_true(one.bk.snapshot);
    assert_int_equal(one.bk.update_id, 136725664747ULL);
    assert_int_equal(one.bk.n_bids, 10);
    assert_int_equal(one.bk.n_asks, 10);
    assert_int_equal(one.bk.bids[0].px, 895325);
    assert_int_equal(one.bk.bids[0].qty, 254900);
    assert_int_equal(one.bk.bids[9].px, 895235);
    assert_int_equal(one.bk.bids[9].qty, 11000);
    assert_int_equal(one.bk.asks[0].px, 895330);
    assert_int_equal(one.bk.asks[0].qty, 91570);
    assert_int_equal(one.bk.asks[9].px, 895455);
    assert_int_equal(one.bk.asks[9].qty, 29500);
    book_check(deribit_book(p, "BTC-PERPETUAL"));
    assert_int_equal(st.bad_field + st.bad_json + st.unknown_topic, 0);

    /* numbers with an exponent are shifted exactly, never through a double */
    static const char k_exp[] =
        "{\"jsonrpc\":\"2.0\",\"method\":\"subscription\",\"params\":{\"channel\":\"trades.BTC-"
        "PERPETUAL.raw\",\"data\":[{\"timestamp\":1,\"instrument_name\":\"BTC-PERPETUAL\","
        "\"price\":9.22945E4,\"amount\":1e1,\"direction\":\"buy\",\"trade_id\":\"x\"}]}}";
    assert_int_equal(deribit_parse(p, k_exp, strlen(k_exp), 8), 0);
    assert_int_equal(one.n_tr, 3);
    assert_int_equal(one.tr[2].px, 922945);
    assert_int_equal(one.tr[2].qty, 10);
    assert_int_equal(one.tr[2].side, 1);
    deribit_destroy(&p);
    instr_table_destroy(&t);
}

int
main(void)
{
    log_init("test", LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_instruments),           cmocka_unit_test(test_capture_rebuild),
        cmocka_unit_test(test_change_id_break),       cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_heartbeat_and_replies), cmocka_unit_test(test_nautilus_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
