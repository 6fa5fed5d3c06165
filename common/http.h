/*  http.h - one blocking HTTP GET with libcurl, for public REST calls at (re)connect and
 *  start-up: the feed's Bybit instruments-info and Binance depth snapshots, signal's warm-up
 *  klines (the executor's signed, non-blocking calls are executor/rest.c).
 *  Blocking is accepted in this first version because these calls happen only at (re)connect
 *  and resync, never per frame (docs/feed.md says what this costs: the stage loop, its
 *  heartbeats and every other connection stall for up to `timeout_ms`).
 *  Owns:  nothing between calls (one curl easy handle per call).
 *  Errors are logged with the URL (public endpoints only: no secrets in these URLs).
 */
#ifndef TP_HTTP_H
#define TP_HTTP_H

#include <stddef.h>

#define HTTP_MAX_BODY (32u << 20) /* bytes; a Bybit linear instruments-info body is ~0.7 MB */

/* GET `url`, waiting at most timeout_ms. Returns the body (malloc'd, NUL-terminated, *len
 * set; caller frees) for HTTP 200, or NULL with errno EIO (transport error or timeout),
 * EPROTO (HTTP status other than 200), EFBIG (body > HTTP_MAX_BODY) or ENOMEM. */
char *http_get(const char *url, long timeout_ms, size_t *len);

/* As http_get, and when `run_id` is not NULL or empty, the answer must carry the response
 * header "X-Tradepipe-Run: <run_id>" (tools/venue-sim sends its run's id on every answer;
 * docs/architecture.md, run identity): an answer without it, or with another run's id, is
 * refused with errno EPERM and one error line naming the URL and both ids, so a replaying
 * stage never takes data from another group's venue-sim. NULL = no check (live venues). */
char *http_get_run(const char *url, long timeout_ms, const char *run_id, size_t *len);

#endif /* TP_HTTP_H */
