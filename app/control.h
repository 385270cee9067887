/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * control.h — the control thread of the daemon (runs on the main lcore).
 *
 * It owns everything that is not on the packet path:
 *  - incidents: drains the MPSC queue the io lcores push to and writes them
 *    to SQLite (the single writer), runs retention;
 *  - forensics and quarantine stores;
 *  - the REST API (libmicrohttpd's own thread, reading SQLite through its
 *    own connection), stats and /metrics;
 *  - reload on SIGHUP: loads the config again, builds a new policy snapshot
 *    off the data path and sends it to every io lcore by message
 *    (DP_MSG_RELOAD); a lcore starts new messages on it while messages in
 *    flight finish on the snapshot they began with. A config that fails
 *    validation is logged and the old snapshot keeps running.
 */
#ifndef SMTPDLP_APP_CONTROL_H
#define SMTPDLP_APP_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct control;
struct daemon;
struct incident;
struct inject_job;
struct stats_block;
struct quarantine_ops;

/* Create the stores, the stats registry and the API (not yet serving).
 * 0 or -errno (logged). */
int control_create(struct daemon *d);

/* Serve until shutdown (dp_quit). 0 or -errno. */
int control_run(struct daemon *d);

void control_destroy(struct daemon *d); /* no-op when not created */

/* For the io lcores (any thread): hand an incident to the control thread.
 * Consumes inc. 0, or -ENOBUFS (queue full: the incident is freed and
 * counted as dropped). */
int control_push_incident(struct control *c, struct incident *inc);

/* The stats block of io lcore `index` (0-based). */
struct stats_block *control_stats_block(struct control *c, unsigned index);

/* Whether forensic copies are kept (incidents.forensics.enabled). */
bool control_forensics_enabled(const struct control *c);

/* For the io lcores: hand the control thread a forensic copy to store under
 * an incident's uid. Consumes msg and matches_json (malloc'd) in every case.
 * 0, or -ENOBUFS when too many bytes are already waiting (the copy is
 * dropped, the incident says forensics=false). */
int control_push_forensics(struct control *c, const char *uid, uint8_t *msg, size_t len,
			   char *matches_json);

/* Any thread: the result of a message the appliance sent itself (a sender
 * notice or a quarantine release). Consumes j. The control thread logs it
 * and, for a release, tells the quarantine store (kept on failure). */
void control_inject_done(struct control *c, struct inject_job *j);

/* The quarantine store's ops and ctx for the proxy sessions. */
const struct quarantine_ops *control_quarantine_ops(struct control *c, void **ctx);

#endif /* SMTPDLP_APP_CONTROL_H */
