/*  journal.h - the executor's durable intent journal: an append-only text file in run_dir,
 *  fsync'd after every record, so that an order is never sent twice and never lost.
 *  Owns:  the file descriptor, the records read back at open (one per client id).
 *  Not:   what to do with an unresolved intent (executor/bybit.c asks the venue).
 *  Records, one line each (client ids are [A-Za-z0-9_-], order ids have no spaces):
 *      I <client_id> <hex of the codec-encoded CODEC_RISK_ORDER request>   before sending
 *      A <client_id> <venue order id>                                      venue acknowledged
 *      R <client_id> <reason...>                                           refused / not placed
 *  Rule: a record is written and fsync'd BEFORE the action it announces ("I" before the
 *  create request leaves). A torn last line (no '\n', crash mid-write) is ignored.
 *  At open, an intent with neither A nor R is "unresolved": its create may or may not have
 *  reached the venue; it is resolved by querying the venue for its orderLinkId.
 */
#ifndef TP_EXEC_JOURNAL_H
#define TP_EXEC_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOURNAL_REQ_MAX 2048 /* encoded request bytes */

typedef enum { JOURNAL_INTENT = 0, JOURNAL_ACKED, JOURNAL_REFUSED } journal_state_t;

typedef struct {
    char client_id[64];
    char order_id[64];
    char reason[160];
    journal_state_t state;
    uint8_t req[JOURNAL_REQ_MAX];
    size_t req_len;
} journal_rec_t;

typedef struct journal journal_t;

/* Open (create 0600) path and read its records. NULL with errno from open/read, ENOMEM. */
journal_t *journal_open(const char *path);
void journal_close(journal_t **self_p);

size_t journal_count(const journal_t *self);
const journal_rec_t *journal_get(const journal_t *self, size_t i); /* in first-intent order */

/* Append + fsync. 0, or -1 with errno (EINVAL: id with a space/newline or too long, request
 * too long; EIO/ENOSPC from write/fsync). */
int journal_intent(journal_t *self, const char *client_id, const uint8_t *req, size_t len);
int journal_ack(journal_t *self, const char *client_id, const char *order_id);
int journal_refuse(journal_t *self, const char *client_id, const char *reason);

#endif /* TP_EXEC_JOURNAL_H */
