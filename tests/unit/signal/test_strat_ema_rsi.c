/*  test_strat_ema_rsi.c - strategy ema_cross_rsi on real candles, against an independent
 *  computation done here: textbook EMA (alpha form, SMA seed) and textbook Wilder RSI
 *  (100 - 100 / (1 + RS)), crossings and the RSI filter found bar by bar, levels computed with
 *  plain 128-bit integer floor/ceil. None of signal/ema, signal/rsi, signal/sltp or money_* is
 *  used for the expected side.
 *  Data: data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv (PROVENANCE.md 5),
 *  1,440 rows, prices with 8 written decimals, all multiples of 0.01 (Binance tick).
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "signal/strat_ema_rsi.h"
#include "tests/unit/signal/csv_util.h"

#define CANDLES "data/candles/binance_spot_btcusdt_1m/BTCUSDT-1m-2025-11-01.csv"
#define N_ROWS  1440
#define NS      1000000000LL

typedef __int128 i128;

/* "109616.35000000" -> 10961635 (scale 2); fails the test on digits beyond 2 decimals. */
static int64_t
s_px2(const char *s)
{
    int64_t ip = 0, frac = 0;
    const char *p = s;
    while (*p >= '0' && *p <= '9') {
        ip = ip * 10 + (*p++ - '0');
    }
    int d = 0;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            if (d < 2) {
                frac = frac * 10 + (*p - '0');
            } else {
                assert_int_equal(*p, '0');
            }
            d++;
            p++;
        }
    }
    for (; d < 2; d++) {
        frac *= 10;
    }
    return ip * 100 + frac;
}

static int64_t
s_floor_div(i128 a, i128 b)
{
    i128 q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) {
        q--;
    }
    return (int64_t)q;
}

static int64_t
s_ceil_div(i128 a, i128 b)
{
    return -s_floor_div(-a, b);
}

/* level = ref * f_e6 / 10^6 rounded down/up to a multiple of tick (px units) */
static int64_t
s_level(int64_t ref, int64_t f_e6, int64_t tick, bool up)
{
    i128 num = (i128)ref * f_e6;
    i128 den = (i128)1000000 * tick;
    return (up ? s_ceil_div(num, den) : s_floor_div(num, den)) * tick;
}

typedef struct {
    int64_t open_us[N_ROWS];
    int64_t close[N_ROWS]; /* scale 2 */
    double closef[N_ROWS];
    size_t n;
} s_candles_t;

static s_candles_t s_c;

static int
s_setup(void **state)
{
    (void)state;
    csv_t csv;
    if (csv_load(&csv, CANDLES) != 0 || csv.n_rows != N_ROWS) {
        return -1;
    }
    for (size_t r = 0; r < csv.n_rows; r++) {
        s_c.open_us[r] = strtoll(csv.cells[r][0], NULL, 10);
        s_c.close[r] = s_px2(csv.cells[r][4]);
        s_c.closef[r] = strtod(csv.cells[r][4], NULL);
    }
    s_c.n = csv.n_rows;
    csv_free(&csv);
    return 0;
}

static strat_ema_rsi_params_t
s_params(void)
{
    strat_ema_rsi_params_t p;
    memset(&p, 0, sizeof p);
    strcpy(p.name, "ema_rsi.btc");
    strcpy(p.venue, "binance-spot");
    strcpy(p.symbol, "BTCUSDT");
    p.tf_s = 60;
    p.fast = 9;
    p.slow = 21;
    p.rsi_period = 14;
    p.rsi_long_max = 70;
    p.rsi_exit_min = 30;
    p.long_only = true;
    p.stop_pct_e4 = 5000;  /* "0.5" % */
    p.take_pct_e4 = 10000; /* "1.0" % */
    return p;
}

static codec_sig_bar_t
s_bar(size_t i)
{
    codec_sig_bar_t b;
    memset(&b, 0, sizeof b);
    strcpy(b.venue, "binance-spot");
    strcpy(b.symbol, "BTCUSDT");
    strcpy(b.source, "kline");
    b.px_scale = 2;
    b.qty_scale = 5;
    b.tf_s = 60;
    b.start_ns = s_c.open_us[i] * 1000;
    b.end_ns = b.start_ns + 60 * NS;
    b.open = b.high = b.low = b.close = s_c.close[i];
    return b;
}

/* Independent textbook indicators over the whole day. has_* false = no value yet. */
typedef struct {
    double fast[N_ROWS], slow[N_ROWS], rsi[N_ROWS];
    bool has_fast[N_ROWS], has_slow[N_ROWS], has_rsi[N_ROWS];
} s_ref_t;

static void
s_textbook_ema(const double *x, size_t n, int period, double *out, bool *has)
{
    double alpha = 2.0 / (period + 1), sum = 0, e = 0;
    for (size_t i = 0; i < n; i++) {
        has[i] = false;
        if (i < (size_t)period) {
            sum += x[i];
            if (i == (size_t)period - 1) {
                e = sum / period; /* SMA seed */
                out[i] = e;
                has[i] = true;
            }
            continue;
        }
        e = alpha * x[i] + (1.0 - alpha) * e;
        out[i] = e;
        has[i] = true;
    }
}

static void
s_textbook_rsi(const double *x, size_t n, int period, double *out, bool *has)
{
    double ag = 0, al = 0;
    for (size_t i = 0; i < n; i++) {
        has[i] = false;
        if (i == 0) {
            continue;
        }
        double d = x[i] - x[i - 1];
        double g = d > 0 ? d : 0, l = d < 0 ? -d : 0;
        if (i <= (size_t)period) {
            ag += g;
            al += l;
            if (i < (size_t)period) {
                continue;
            }
            ag /= period;
            al /= period;
        } else {
            ag = (ag * (period - 1) + g) / period;
            al = (al * (period - 1) + l) / period;
        }
        out[i] = al == 0 ? (ag == 0 ? 0.0 : 100.0) : 100.0 - 100.0 / (1.0 + ag / al);
        has[i] = true;
    }
}

static s_ref_t s_ref;

/* Run the strategy over the day with `tick` (px units at scale 2; 0 = no instrument) and
 * compare every bar with the textbook expectation. Returns buys / sells through pointers. */
static void
s_run_day(const instr_t *instr, int64_t tick, int *n_buy, int *n_sell)
{
    strat_ema_rsi_params_t p = s_params();
    strat_ema_rsi_t *st = strat_ema_rsi_new(&p);
    assert_non_null(st);
    *n_buy = *n_sell = 0;
    for (size_t i = 0; i < s_c.n; i++) {
        codec_sig_bar_t bar = s_bar(i);
        codec_sig_signal_t sig;
        int64_t evt = bar.end_ns + 7;
        int rc = strat_ema_rsi_on_bar(st, &bar, evt, instr, &sig);
        assert_true(rc == 0 || rc == 1);

        int want = 0;
        if (i >= 1 && s_ref.has_slow[i - 1] && s_ref.has_rsi[i]) {
            double pf = s_ref.fast[i - 1], ps = s_ref.slow[i - 1];
            double f = s_ref.fast[i], s = s_ref.slow[i];
            if (pf <= ps && f > s && s_ref.rsi[i] < p.rsi_long_max) {
                want = 1;
            } else if (pf >= ps && f < s) {
                want = -1;
            }
        }
        if ((want != 0) != (rc == 1)) {
            fail_msg("bar %zu (%lld): strategy rc %d, textbook side %d", i,
                     (long long)s_c.open_us[i], rc, want);
        }
        if (want == 0) {
            continue;
        }
        assert_int_equal(sig.side, want);
        assert_string_equal(sig.strategy, "ema_rsi.btc");
        assert_string_equal(sig.symbol, "BTCUSDT");
        assert_int_equal(sig.ts_event, evt);
        assert_int_equal(sig.px_scale, 2);
        int64_t ref = s_c.close[i];
        assert_int_equal(sig.ref_px, ref);
        if (want > 0) {
            (*n_buy)++;
            assert_int_equal(sig.sl_px, s_level(ref, 995000, tick, false));
            assert_int_equal(sig.tp_px, s_level(ref, 1010000, tick, true));
            assert_true(sig.sl_px < ref && sig.tp_px > ref);
        } else {
            (*n_sell)++;
            assert_int_equal(sig.sl_px, s_level(ref, 1005000, tick, true));
            assert_int_equal(sig.tp_px, s_level(ref, 990000, tick, false));
            assert_true(sig.sl_px > ref && sig.tp_px < ref);
        }
        assert_int_equal(sig.sl_px % tick, 0);
        assert_int_equal(sig.tp_px % tick, 0);
        /* confidence: 50 + 25 min(1, |f-s|/s/0.001) + 25 rsi_term (docs/signal.md) */
        double f = s_ref.fast[i], s = s_ref.slow[i], r = s_ref.rsi[i];
        double spread = fmin(1.0, fabs(f - s) / s / 0.001);
        double rt = want > 0 ? (70.0 - r) / 70.0 : (r - 30.0) / 70.0;
        rt = fmax(0.0, fmin(1.0, rt));
        assert_true(fabs(sig.confidence - (50 + 25 * spread + 25 * rt)) < 1e-6);
        assert_true(sig.confidence >= 50.0 && sig.confidence <= 100.0);
    }
    codec_sig_ind_t ind;
    memset(&ind, 0, sizeof ind);
    assert_int_equal(strat_ema_rsi_indicators(st, &ind), 3);
    assert_string_equal(ind.names[0], "ema9");
    assert_string_equal(ind.names[1], "ema21");
    assert_string_equal(ind.names[2], "rsi14");
    size_t last = s_c.n - 1;
    assert_true(fabs(ind.values[0] - s_ref.fast[last]) <= 1e-9 * s_ref.fast[last]);
    assert_true(fabs(ind.values[1] - s_ref.slow[last]) <= 1e-9 * s_ref.slow[last]);
    assert_true(fabs(ind.values[2] - s_ref.rsi[last]) <= 1e-9 * s_ref.rsi[last]);
    /* already there: nothing appended twice */
    assert_int_equal(strat_ema_rsi_indicators(st, &ind), 0);
    strat_ema_rsi_destroy(&st);
    assert_null(st);
}

static void
test_day_tick_001(void **state)
{
    (void)state;
    s_textbook_ema(s_c.closef, s_c.n, 9, s_ref.fast, s_ref.has_fast);
    s_textbook_ema(s_c.closef, s_c.n, 21, s_ref.slow, s_ref.has_slow);
    s_textbook_rsi(s_c.closef, s_c.n, 14, s_ref.rsi, s_ref.has_rsi);
    /* Binance spot BTCUSDT: tick 0.01 -> px_scale 2, tick mantissa 1 */
    instr_t in;
    memset(&in, 0, sizeof in);
    strcpy(in.venue, "binance-spot");
    strcpy(in.symbol, "BTCUSDT");
    in.px_scale = 2;
    in.qty_scale = 5;
    in.tick = 1;
    in.step = 1;
    int buys, sells;
    s_run_day(&in, 1, &buys, &sells);
    print_message("2025-11-01: %d BUY, %d SELL\n", buys, sells);
    assert_true(buys >= 1);
    assert_true(sells >= 1);
    /* no instrument known: tick = 1 unit of the bar's scale, the same levels here */
    int b2, s2;
    s_run_day(NULL, 1, &b2, &s2);
    assert_int_equal(b2, buys);
    assert_int_equal(s2, sells);
}

/* The same day on a coarser tick: an instrument with tick 0.1 (px_scale 1, tick 1) seen by
 * bars at px_scale 2 -> tick 10 at scale 2; levels must land on multiples of 0.10. */
static void
test_day_tick_010(void **state)
{
    (void)state;
    instr_t in;
    memset(&in, 0, sizeof in);
    strcpy(in.venue, "binance-spot");
    strcpy(in.symbol, "BTCUSDT");
    in.px_scale = 1;
    in.tick = 1;
    int buys, sells;
    s_run_day(&in, 10, &buys, &sells);
    assert_true(buys >= 1 && sells >= 1);
}

/* A hand-built crossing with small periods (fast 2, slow 3, rsi 2) so every number can be
 * derived on paper. Closes 100, 99, 98, 97, 100 (scale 2: x100):
 *   EMA2 (k=2/3): seed at #1 = (100+99)/2 = 99.5; #2: (98-99.5)*2/3+99.5 = 98.5;
 *                 #3: 97.5; #4: (100-97.5)*2/3+97.5 = 99.1667
 *   EMA3 (k=1/2): seed at #2 = 99; #3: (97-99)/2+99 = 98; #4: (100-98)/2+98 = 99
 *   #3: fast 97.5 < slow 98 (prev pair at #2: 98.5 vs 99) -> no cross;
 *   #4: prev 97.5 <= 98, now 99.1667 > 99 -> cross up.
 *   RSI2 at #4: changes -1, -1 seed (#2): ag 0, al 1; #3 (-1): ag 0, al (1+1)/2 = 1;
 *       #4 (+3): ag (0+3)/2 = 1.5, al (1+0)/2 = 0.5 -> RSI 75.
 *   With rsi_long_max 70 the BUY is filtered out (75 >= 70); with 80 it is emitted:
 *   ref 100.00, sl = 100 * 0.995 = 99.50, tp = 100 * 1.01 = 101.00. */
static void
test_hand_cross_and_filter(void **state)
{
    (void)state;
    static const int64_t k_close[] = { 10000, 9900, 9800, 9700, 10000 };
    for (int pass = 0; pass < 2; pass++) {
        strat_ema_rsi_params_t p = s_params();
        p.fast = 2;
        p.slow = 3;
        p.rsi_period = 2;
        p.rsi_long_max = pass == 0 ? 70 : 80;
        strat_ema_rsi_t *st = strat_ema_rsi_new(&p);
        codec_sig_signal_t sig;
        int rc = 0;
        for (size_t i = 0; i < 5; i++) {
            codec_sig_bar_t b = s_bar(0);
            b.start_ns += (int64_t)i * 60 * NS;
            b.close = k_close[i];
            rc = strat_ema_rsi_on_bar(st, &b, b.end_ns, NULL, &sig);
            if (i < 4) {
                assert_int_equal(rc, 0);
            }
        }
        if (pass == 0) {
            assert_int_equal(rc, 0);
        } else {
            assert_int_equal(rc, 1);
            assert_int_equal(sig.side, 1);
            assert_int_equal(sig.ref_px, 10000);
            assert_int_equal(sig.sl_px, 9950);
            assert_int_equal(sig.tp_px, 10100);
        }
        strat_ema_rsi_destroy(&st);
    }
}

static void
test_errors(void **state)
{
    (void)state;
    strat_ema_rsi_params_t p = s_params();
    p.fast = 21;
    errno = 0;
    assert_null(strat_ema_rsi_new(&p)); /* fast must be < slow */
    assert_int_equal(errno, EINVAL);
    p = s_params();
    p.rsi_long_max = 101;
    errno = 0;
    assert_null(strat_ema_rsi_new(&p));
    assert_int_equal(errno, EINVAL);
    p = s_params();
    p.name[0] = '\0';
    errno = 0;
    assert_null(strat_ema_rsi_new(&p));
    assert_int_equal(errno, EINVAL);
    p = s_params();
    p.stop_pct_e4 = 1000000; /* 100 % */
    errno = 0;
    assert_null(strat_ema_rsi_new(&p));
    assert_int_equal(errno, EINVAL);

    p = s_params();
    strat_ema_rsi_t *st = strat_ema_rsi_new(&p);
    codec_sig_signal_t sig;
    codec_sig_bar_t b = s_bar(0);
    b.tf_s = 300; /* not this instance's series */
    errno = 0;
    assert_int_equal(strat_ema_rsi_on_bar(st, &b, 0, NULL, &sig), -1);
    assert_int_equal(errno, EINVAL);
    b = s_bar(1);
    assert_int_equal(strat_ema_rsi_on_bar(st, &b, 0, NULL, &sig), 0);
    b = s_bar(0); /* older than the last bar taken */
    errno = 0;
    assert_int_equal(strat_ema_rsi_on_bar(st, &b, 0, NULL, &sig), -1);
    assert_int_equal(errno, EINVAL);
    b = s_bar(1); /* the same bar twice */
    errno = 0;
    assert_int_equal(strat_ema_rsi_on_bar(st, &b, 0, NULL, &sig), -1);
    assert_int_equal(errno, EINVAL);
    codec_sig_ind_t ind;
    memset(&ind, 0, sizeof ind);
    assert_int_equal(strat_ema_rsi_indicators(st, &ind), 0); /* nothing has output yet */
    strat_ema_rsi_destroy(&st);
    strat_ema_rsi_destroy(&st);
}

/* The strategy registry finds the type by its config name. */
static void
test_registry(void **state)
{
    (void)state;
    assert_ptr_equal(strategy_ops_find("ema_cross_rsi"), &strat_ema_rsi_ops);
    assert_null(strategy_ops_find("no_such_strategy"));
    strat_ema_rsi_params_t p = s_params();
    strategy_t *s = strategy_wrap(&strat_ema_rsi_ops, strat_ema_rsi_new(&p));
    assert_non_null(s);
    assert_string_equal(strategy_name(s), "ema_rsi.btc");
    assert_string_equal(strategy_type(s), "ema_cross_rsi");
    assert_true(strategy_wants(s, "binance-spot", "BTCUSDT", 60));
    assert_false(strategy_wants(s, "binance-spot", "BTCUSDT", 1));
    assert_false(strategy_wants(s, "bybit-linear", "BTCUSDT", 60));
    strategy_destroy(&s);
    assert_null(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_tick_001),
        cmocka_unit_test(test_day_tick_010),
        cmocka_unit_test(test_hand_cross_and_filter),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests_name("strat_ema_rsi", tests, s_setup, NULL);
}
