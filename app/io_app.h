/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * io_app.h — the application on an io lcore: SMTP proxy sessions over the
 * lcore's TCP stack.
 *
 * One struct io_app per io lcore, driven by the dataplane's poll loop
 * through struct dp_app_ops (dataplane/dp_loop.h):
 *   start  listens on cfg.smtp.listen, creates the lcore's TLS configs,
 *          message-buffer pool and DLP scanner pool;
 *   TCP callbacks  accepted -> smtp_proxy_create(); received bytes go to the
 *          proxy (zero copy from the mbufs; bytes the proxy cannot take yet
 *          are held and the TCP window stays closed for them); the proxy's
 *          output is copied into the TCP send buffer; UP_CONNECT opens the
 *          upstream connection from this lcore (the source port keeps the
 *          flow here);
 *   poll   session timers; msg  policy snapshots (DP_MSG_RELOAD);
 *   drain  stop listening, let sessions finish, then reset the rest.
 * DLP scanning runs inline on the lcore (a pool of dlp_scanner objects, one
 * per message being scanned; see io_app.c).
 */
#ifndef SMTPDLP_APP_IO_APP_H
#define SMTPDLP_APP_IO_APP_H

#include <stdint.h>

struct daemon;
struct dlp_policy_set;
struct inject_job;

/* Create the dp_lcore + io_app of every io lcore and launch them on their
 * lcores. 0 or -errno (logged; whatever started is stopped again). */
int io_app_start_all(struct daemon *d);

/* Ask every io lcore to drain (dp_loop_quit), wait for them, free them. */
void io_app_stop_all(struct daemon *d);

/* Control thread: hand a new policy snapshot to every io lcore. Each lcore
 * takes its own reference; the caller keeps its own. 0 or -errno. */
int io_app_publish(struct daemon *d, struct dlp_policy_set *ps, uint64_t generation);

/* Any thread: have an io lcore send a message the appliance generated
 * (inject.h). Consumes j on 0; the result comes back to the control thread
 * (control_inject_done()). -ENOBUFS when the lcore's queue is full. */
int io_app_submit(struct daemon *d, struct inject_job *j);

#endif /* SMTPDLP_APP_IO_APP_H */
