/*  log.h - one-line-per-event logging to stderr (supervisord keeps the files).
 *  Owns:  the process-wide log level and instance name (set once by main.c).
 *  Not:   files, rotation (supervisord), secrets (callers never pass them).
 *  Line:  "2026-11-23T01:02:03.456Z E feed.0 book: text" - UTC ms time, level letter,
 *         instance, module, message.
 *  Levels: ERROR a person must act; WARN handled degradation; NOTICE state change;
 *          INFO lifecycle; DEBUG per message (off in production).
 */
#ifndef TP_LOG_H
#define TP_LOG_H

#include <stddef.h>
#include <stdint.h>

/* Prefixed LOG_LVL_ because syslog.h (pulled in by czmq) owns LOG_NOTICE, LOG_INFO, LOG_DEBUG. */
typedef enum {
    LOG_LVL_ERROR = 0,
    LOG_LVL_WARN,
    LOG_LVL_NOTICE,
    LOG_LVL_INFO,
    LOG_LVL_DEBUG
} log_level_t;
#define LOG_ERROR LOG_LVL_ERROR /* no clash with syslog's LOG_ERR */
#define LOG_WARN  LOG_LVL_WARN  /* no clash with syslog's LOG_WARNING */

/* Set the instance name shown on every line (copied, max 31 chars) and the level. */
void log_init(const char *instance, log_level_t level);

/* Parse "error|warn|notice|info|debug". Returns 0, or -1/EINVAL on an unknown name. */
int log_level_parse(const char *name, log_level_t *out);

log_level_t log_level(void);

/* Write one line; use the macros, which skip formatting when the level is off. */
void log_write(log_level_t level, const char *module, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_error(mod, ...) log_write(LOG_LVL_ERROR, (mod), __VA_ARGS__)
#define log_warn(mod, ...)                                                                         \
    do {                                                                                           \
        if (log_level() >= LOG_LVL_WARN) {                                                         \
            log_write(LOG_LVL_WARN, (mod), __VA_ARGS__);                                           \
        }                                                                                          \
    } while (0)
#define log_notice(mod, ...)                                                                       \
    do {                                                                                           \
        if (log_level() >= LOG_LVL_NOTICE) {                                                       \
            log_write(LOG_LVL_NOTICE, (mod), __VA_ARGS__);                                         \
        }                                                                                          \
    } while (0)
#define log_info(mod, ...)                                                                         \
    do {                                                                                           \
        if (log_level() >= LOG_LVL_INFO) {                                                         \
            log_write(LOG_LVL_INFO, (mod), __VA_ARGS__);                                           \
        }                                                                                          \
    } while (0)
#define log_debug(mod, ...)                                                                        \
    do {                                                                                           \
        if (log_level() >= LOG_LVL_DEBUG) {                                                        \
            log_write(LOG_LVL_DEBUG, (mod), __VA_ARGS__);                                          \
        }                                                                                          \
    } while (0)

/* Rate limiter for repeated events, held by the object that sees them. Zero-init is valid.
 * The first occurrence of each kind logs with a sample; later ones are counted and summarised
 * at most once per interval. */
typedef struct {
    uint64_t count;      /* total occurrences */
    uint64_t suppressed; /* since the last line written */
    int64_t last_mono_ns;
} log_limit_t;

/* Log through `lim`: always the first time, then at most every 10 s with the suppressed count.
 * `sample` (may be NULL) is truncated to 120 bytes and shown between quotes. */
void log_limited(log_limit_t *lim, log_level_t level, const char *module, const char *what,
                 const char *sample, size_t sample_len);

#endif /* TP_LOG_H */
