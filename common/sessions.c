/*  sessions.c - trading sessions (see sessions.h). */
#include "common/sessions.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>

void
sessions_default(sessions_hours_t *h)
{
    assert(h);
    *h = (sessions_hours_t){
        .asia_from = 0, .asia_to = 7, .london_from = 7, .london_to = 16, .ny_from = 13, .ny_to = 22
    };
}

static bool
s_ok(int x)
{
    return x >= 0 && x <= 24;
}

int
sessions_check(const sessions_hours_t *h)
{
    assert(h);
    if (!s_ok(h->asia_from) || !s_ok(h->asia_to) || !s_ok(h->london_from) || !s_ok(h->london_to)
        || !s_ok(h->ny_from) || !s_ok(h->ny_to)) {
        errno = EINVAL;
        return -1;
    }
    return 0;
}

static bool
s_in(int h, int from, int to)
{
    return from <= to ? (h >= from && h < to) : (h >= from || h < to); /* wraps midnight */
}

sessions_id_t
sessions_of(const sessions_hours_t *hrs, int64_t ts_ns)
{
    assert(hrs);
    int64_t s = ts_ns / INT64_C(1000000000);
    int h = (int)(((s % 86400) + 86400) % 86400 / 3600);
    bool lon = s_in(h, hrs->london_from, hrs->london_to), ny = s_in(h, hrs->ny_from, hrs->ny_to);
    if (lon && ny) {
        return SESSIONS_OVERLAP;
    }
    if (lon) {
        return SESSIONS_LONDON;
    }
    if (ny) {
        return SESSIONS_NY;
    }
    return s_in(h, hrs->asia_from, hrs->asia_to) ? SESSIONS_ASIAN : SESSIONS_OFF;
}

const char *
sessions_name(sessions_id_t s)
{
    static const char *const k_names[] = { "ASIAN", "LONDON", "NY", "LONDON_NY_OVERLAP", "OFF" };
    return (unsigned)s < 5 ? k_names[s] : "?";
}

static int
s_range(cfg_t *cfg, const char *path, int *from, int *to)
{
    json_t *a = cfg_json(cfg, path);
    if (!a) {
        return 0;
    }
    if (!json_is_array(a) || json_array_size(a) != 2 || !json_is_integer(json_array_get(a, 0))
        || !json_is_integer(json_array_get(a, 1))) {
        return cfg_fail(cfg, path, "expected [from_hour, to_hour] (UTC, 0..24)");
    }
    json_int_t f = json_integer_value(json_array_get(a, 0)),
               t = json_integer_value(json_array_get(a, 1));
    if (f < 0 || f > 24 || t < 0 || t > 24) {
        return cfg_fail(cfg, path, "expected hours in 0..24");
    }
    *from = (int)f;
    *to = (int)t;
    return 0;
}

int
sessions_cfg_read(cfg_t *cfg, sessions_hours_t *out)
{
    static const char *const k_keys[] = { "asia", "london", "ny", NULL };
    assert(cfg && out);
    sessions_default(out);
    if (cfg_json(cfg, "sessions") && !json_is_object(cfg_json(cfg, "sessions"))) {
        return cfg_fail(cfg, "sessions", "expected an object {asia, london, ny}");
    }
    if (cfg_check_keys(cfg, "sessions", k_keys) != 0
        || s_range(cfg, "sessions.asia", &out->asia_from, &out->asia_to) != 0
        || s_range(cfg, "sessions.london", &out->london_from, &out->london_to) != 0
        || s_range(cfg, "sessions.ny", &out->ny_from, &out->ny_to) != 0) {
        return -1;
    }
    return 0;
}
