/*  faults.h - venue-sim's fault injection: the bad days of a real exchange on cue, from the
 *  command line or the control socket (docs/venue-sim.md "Faults", docs/feed.md "Faults and
 *  recovery").
 *  Faults (LABEL = a replay_conn label; plain connections never get faults):
 *    drop-after LABEL N          close LABEL's connection after N more frames written on it
 *    skip LABEL N [@K]           do not send the next N timeline frames to LABEL (a sequence gap)
 *    malformed LABEL KIND [@K]   insert one bad frame before the next timeline frame: KIND cut
 *                                (the next frame cut in half), type (wrong field types), topic
 *                                (unknown topic / stream)
 *    stall LABEL SECONDS [@K]    write nothing to LABEL for SECONDS (frames queue up)
 *    refuse-sub LABEL [N]        refuse the next N (default 1) subscribe requests on LABEL
 *    rest-error PREFIX STATUS [N]  answer the next N (default 1) REST calls whose path starts
 *                                with PREFIX with HTTP STATUS (5xx: an error body; 429: the
 *                                venue's rate-limit body: Bybit retCode 10006, Binance -1003)
 *  "@K" arms the fault after K more frames written on LABEL (default: at once).
 *  Control socket: "fault SPEC" adds one, "fault list" lists the armed ones, "fault clear".
 *  Command line: --fault "SPEC" (repeatable), --fault-dump LABEL=PATH (append every text frame
 *  written on LABEL's connections to PATH, one per line: the frames a client was really sent,
 *  for tests that rebuild books), --faults (only turn live snapshots on).
 *  Live snapshots: once any fault option is given, venue-sim keeps the current book of every
 *  Bybit orderbook topic and of the Binance depth streams from the frames it releases, so that
 *  a client that re-subscribes mid-replay gets a fresh Bybit snapshot (as the real venue
 *  sends one after every subscribe) and a Binance REST depth call answers the current book
 *  (lastUpdateId = last released u) instead of the recorded start-of-file snapshot. Without
 *  fault options nothing changes (the default replay is byte-identical).
 *  State is one module-level instance (the hooks reach it from server.c without a new field
 *  in server.h); every hook is a no-op until faults_init. Single-threaded (the stage loop).
 */
#ifndef TP_FAULTS_H
#define TP_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define FAULTS_MAX 32

/* Take --fault / --fault-dump / --faults out of argv (before stage_boot). 0, or -1 after
 * printing why to stderr (bad spec: exit 2). Calls faults_init when any is present. */
int faults_take_args(int *argc, char **argv);

void faults_init(void); /* enable (idempotent) */
void faults_fini(void); /* free everything, close dump files */
bool faults_on(void);

/* Add one fault from its text (see above). 0, or -1/EINVAL with a message in err[cap]. */
int faults_add(const char *spec, char *err, size_t cap);

/* Control command. Returns -1 if `cmd` is not "fault ..."; else fills reply {"ok":...} and 0. */
int faults_ctl(const char *cmd, json_t *reply);

/* Recorded Binance REST depth body of a stream kind (bybit false), borrowed; seeds the live book.
 */
void faults_set_depth(bool spot, const char *body, size_t len);

/* ---- hooks (server.c) ---- */

/* Before writing one queued frame on LABEL (`timeline`: a released frame, not a reply).
 * Returns 0 = write it; 1 = skip it (drop from the queue, unwritten); 2 = write *alt
 * (static text, alt_len) first and keep the frame queued; 3 = stall: write nothing now, retry
 * in *stall_us. */
int faults_before_write(const char *label, bool bybit, bool timeline, const char *text, size_t len,
                        const char **alt, size_t *alt_len, int64_t *stall_us);
/* A frame was written on LABEL. true = close the connection now. */
bool faults_after_write(const char *label, const char *text, size_t len);
/* A subscribe request on LABEL: true = refuse it. */
bool faults_refuse_sub(const char *label);
/* REST path: 0 = normal; else the HTTP status to answer with *body (malloc'd, caller frees). */
unsigned faults_rest(const char *path, char **body);

/* A released timeline frame (kind: 0 bybit linear, 1 bybit spot, 2 binance usdm, 3 binance
 * spot = source_kind_t). Updates the live books. */
void faults_timeline(int kind, const char *text, size_t len);
/* Live snapshot frame for Bybit topic "orderbook.D.SYM" of kind, malloc'd; NULL if none. */
char *faults_bybit_snapshot(int kind, const char *topic);
/* Live Binance REST depth body, malloc'd (*len set); NULL if none. */
char *faults_depth_body(bool spot, size_t *len);

#endif /* TP_FAULTS_H */
