/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * daemon.h — the state of one smtpdlp process, shared by its roles.
 *
 * main() builds a struct daemon, starts the io lcores (app/io_app.c: ports,
 * TCP stack, TLS, SMTP sessions, inline DLP scanning) and then runs the
 * control thread on the main lcore (app/control.c: incidents, reload,
 * stats, the REST API). Fields are written by main() before any lcore
 * starts; afterwards they are read-only, except `ps`, which only the control
 * thread replaces (lcores receive new snapshots by message, dp_msg.h).
 */
#ifndef SMTPDLP_APP_DAEMON_H
#define SMTPDLP_APP_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "config/cfg.h"
#include "dataplane/dp_port.h"
#include "dlp/dlp.h"

#define DAEMON_MAX_IO 16
#define DAEMON_MAX_PORTS 4 /* TCP_MAX_IFACES */

struct dp_fabric;
struct dp_steer;
struct dp_lcore;
struct io_app;
struct control;
struct stats_registry;

struct daemon {
	const char *config_path;
	struct cfg *cfg;                  /* the running configuration */
	struct dlp_policy_set *ps;        /* the running snapshot (control thread) */
	uint64_t generation;              /* snapshot generation, 1.. */
	struct rte_mempool *pool;         /* packet mbufs */
	struct dp_steer *steer;
	struct dp_fabric *fabric;
	unsigned n_io;
	struct dp_lcore *lcores[DAEMON_MAX_IO];
	struct io_app *apps[DAEMON_MAX_IO];
	struct dp_port_info ports[DAEMON_MAX_PORTS]; /* cfg port i, started */
	unsigned n_ports;
	struct control *control;
};

#endif /* SMTPDLP_APP_DAEMON_H */
