/*  rest.h - one blocking HTTP GET with libcurl, for the feed's REST calls (Bybit
 *  instruments-info, Binance depth snapshots).
 *  Blocking is accepted in this first version because these calls happen only at (re)connect
 *  and resync, never per frame (docs/feed.md says what this costs: the stage loop, its
 *  heartbeats and every other connection stall for up to `timeout_ms`).
 *  Owns:  nothing between calls (one curl easy handle per call).
 *  Errors are logged with the URL (public endpoints only: no secrets in these URLs).
 */
#ifndef TP_REST_H
#define TP_REST_H

#include <stddef.h>

#define REST_MAX_BODY (32u << 20) /* bytes; a Bybit linear instruments-info body is ~0.7 MB */

/* GET `url`, waiting at most timeout_ms. Returns the body (malloc'd, NUL-terminated, *len
 * set; caller frees) for HTTP 200, or NULL with errno EIO (transport error or timeout),
 * EPROTO (HTTP status other than 200), EFBIG (body > REST_MAX_BODY) or ENOMEM. */
char *rest_get(const char *url, long timeout_ms, size_t *len);

#endif /* TP_REST_H */
