/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * main.c — the smtpdlp daemon: `smtpdlp -c smtpdlp.conf`.
 *
 * Start-up order: load and validate the config, build the first policy
 * snapshot (so a bad config never touches the network), initialise the EAL
 * from the config's dataplane section, start the ports (one queue per io
 * lcore), create the steering rings and the message fabric, create one
 * dp_lcore + io_app per io lcore, launch them, and run the control thread on
 * the main lcore until SIGINT/SIGTERM. Shutdown drains the lcores (stop
 * accepting, finish or reset flows), stops the ports and frees everything.
 *
 * `--check` stops after the snapshot build and prints what was loaded.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>

#include "app/control.h"
#include "app/daemon.h"
#include "app/io_app.h"
#include "app/log.h"
#include "config/cfg.h"
#include "dataplane/dp_eal.h"
#include "dataplane/dp_loop.h"
#include "dataplane/dp_msg.h"
#include "dataplane/dp_port.h"
#include "dataplane/dp_steer.h"
#include "dlp/dlp.h"

#ifndef SMTPDLP_VERSION
#define SMTPDLP_VERSION "unknown"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: smtpdlp -c FILE [--check] [-v] [--no-syslog] [-- EAL-ARGS...]\n"
		"  -c, --config FILE  configuration file (libconfig)\n"
		"      --check        validate the configuration and the policy, then exit\n"
		"  -v, --verbose      debug logging\n"
		"      --no-syslog    log to stderr only\n"
		"  -V, --version      print the version\n"
		"  -h, --help         this text\n"
		"Arguments after -- are appended to the EAL arguments of the config.\n");
}

/* Print what a config holds (for --check and the start-up log). */
static void describe(const struct cfg *cfg, const struct dlp_policy_set *ps)
{
	size_t terms = 0;

	for (size_t i = 0; i < cfg->dlp.n_entities; i++)
		terms += cfg->dlp.entities[i].n_terms;
	log_msg(LOG_LVL_INFO,
		"config %s: %zu entities (%zu dictionary terms), %zu rules, %zu profiles, "
		"%zu policies; hyperscan %zu patterns, %zu bytes; %zu ports, %zu listeners",
		cfg->path, cfg->dlp.n_entities, terms, cfg->dlp.n_rules, cfg->dlp.n_profiles,
		cfg->n_policies, dlp_policy_set_pattern_count(ps), dlp_policy_set_db_bytes(ps),
		cfg->dataplane.n_ports, cfg->smtp.n_listen);
}

/* The roles must fit the EAL's lcores: the main lcore runs control only. */
static int check_lcores(const struct cfg *cfg)
{
	const struct cfg_dataplane *dp = &cfg->dataplane;
	unsigned main_lcore = rte_get_main_lcore();

	if (dp->n_io_lcores == 0 || dp->n_io_lcores > DAEMON_MAX_IO) {
		log_msg(LOG_LVL_ERR, "%s: dataplane.lcores.io: 1 to %d lcores needed", cfg->path,
			DAEMON_MAX_IO);
		return -EINVAL;
	}
	for (size_t i = 0; i < dp->n_io_lcores; i++) {
		unsigned id = dp->io_lcores[i];
		if (id == main_lcore || !rte_lcore_is_enabled(id)) {
			log_msg(LOG_LVL_ERR,
				"%s: dataplane.lcores.io: lcore %u is %s (EAL lcores and the "
				"main lcore %u, which runs the control thread)",
				cfg->path, id, id == main_lcore ? "the main lcore" : "not enabled",
				main_lcore);
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < dp->n_dlp_lcores; i++) {
		bool shared = false;
		for (size_t j = 0; j < dp->n_io_lcores; j++)
			shared |= dp->dlp_lcores[i] == dp->io_lcores[j];
		if (!shared) {
			/* The scan runs inline on the io lcore that owns the
			 * session (docs/ARCHITECTURE.md says why); an lcore listed
			 * only under dlp is left idle. */
			log_msg(LOG_LVL_WARN,
				"%s: dataplane.lcores.dlp: lcore %u is not an io lcore; scanning "
				"runs on the io lcores",
				cfg->path, dp->dlp_lcores[i]);
		}
	}
	return 0;
}

static int start_ports(struct daemon *d)
{
	const struct cfg_dataplane *dp = &d->cfg->dataplane;

	if (dp->n_ports == 0 || dp->n_ports > DAEMON_MAX_PORTS) {
		log_msg(LOG_LVL_ERR, "%s: dataplane.ports: 1 to %d ports needed", d->cfg->path,
			DAEMON_MAX_PORTS);
		return -EINVAL;
	}
	for (size_t i = 0; i < dp->n_ports; i++) {
		const struct cfg_port *cp = &dp->ports[i];
		struct dp_port_params pp = { 0 };
		int id = dp_eal_port_id(cp->device), rc;

		if (id < 0) {
			log_msg(LOG_LVL_ERR, "%s:%d: dataplane.ports.[%zu].device: no DPDK port %s",
				d->cfg->path, cp->line, i, cp->device);
			return id;
		}
		pp.port_id = (uint16_t)id;
		pp.n_queues = (uint16_t)d->n_io;
		pp.mtu = cp->mtu;
		pp.pool = d->pool;
		rc = dp_port_start(&pp, &d->ports[i]);
		if (rc < 0) {
			log_msg(LOG_LVL_ERR, "port %s (%s): start failed: %s", cp->name, cp->device,
				strerror(-rc));
			return rc;
		}
		d->n_ports = (unsigned)i + 1;
		if (dp_port_wait_link(pp.port_id, 2000) != 1)
			log_msg(LOG_LVL_WARN, "port %s: link is down", cp->name);
		log_msg(LOG_LVL_INFO,
			"port %s: dpdk port %u driver %s mac " RTE_ETHER_ADDR_PRT_FMT
			" queues %u rss %d tx-cksum ip %d tcp %d mtu %u",
			cp->name, pp.port_id, d->ports[i].driver,
			RTE_ETHER_ADDR_BYTES(&d->ports[i].mac), d->ports[i].n_queues,
			d->ports[i].rss, d->ports[i].tx_ipv4_cksum, d->ports[i].tx_tcp_cksum,
			d->ports[i].mtu);
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "no-syslog", no_argument, NULL, 'S' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct daemon d = { 0 };
	bool check = false, use_syslog = true;
	enum log_level level = LOG_LVL_INFO;
	char err[1024];
	int c, rc = 1;

	while ((c = getopt_long(argc, argv, "c:vVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			d.config_path = optarg;
			break;
		case 'C':
			check = true;
			break;
		case 'v':
			level = LOG_LVL_DEBUG;
			break;
		case 'S':
			use_syslog = false;
			break;
		case 'V':
			printf("smtpdlp %s\n", SMTPDLP_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (d.config_path == NULL) {
		usage(stderr);
		return 2;
	}
	log_open("smtpdlp", level, use_syslog && !check);

	d.cfg = cfg_load(d.config_path, err, sizeof(err));
	if (d.cfg == NULL) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}
	d.ps = dlp_policy_set_build(d.cfg, err, sizeof(err));
	if (d.ps == NULL) {
		fprintf(stderr, "%s\n", err);
		cfg_free(d.cfg);
		return 2;
	}
	d.generation = 1;
	describe(d.cfg, d.ps);
	if (check) {
		printf("%s: configuration OK\n", d.config_path);
		dlp_policy_set_unref(d.ps);
		cfg_free(d.cfg);
		return 0;
	}
	if (d.cfg->dataplane.n_ports == 0 || d.cfg->smtp.n_listen == 0) {
		log_msg(LOG_LVL_ERR, "%s: the daemon needs dataplane.ports and smtp.listen",
			d.config_path);
		goto out_cfg;
	}

	/* EAL: config eal list + ports, then anything after "--". */
	if (dp_eal_init(&d.cfg->dataplane, argv[0], argv + optind, argc - optind) < 0) {
		log_msg(LOG_LVL_ERR, "EAL initialisation failed");
		goto out_cfg;
	}
	if (check_lcores(d.cfg) < 0)
		goto out_eal;
	d.n_io = (unsigned)d.cfg->dataplane.n_io_lcores;
	d.pool = dp_eal_pktpool("smtpdlp_pkt", d.cfg->dataplane.mbufs, (int)rte_socket_id());
	if (d.pool == NULL) {
		log_msg(LOG_LVL_ERR, "packet pool: %s", strerror(errno));
		goto out_eal;
	}
	if (start_ports(&d) < 0)
		goto out_ports;
	if (control_create(&d) < 0)
		goto out_ports;
	if (io_app_start_all(&d) < 0)
		goto out_control;

	dp_signals_install();
	signal(SIGPIPE, SIG_IGN);
	log_msg(LOG_LVL_INFO, "smtpdlp %s running: %u io lcores, %u ports", SMTPDLP_VERSION,
		d.n_io, d.n_ports);
	rc = control_run(&d) < 0 ? 1 : 0;

	io_app_stop_all(&d);
out_control:
	control_destroy(&d);
out_ports:
	for (unsigned i = 0; i < d.n_ports; i++)
		dp_port_stop(d.ports[i].port_id);
out_eal:
	dp_eal_fini();
out_cfg:
	dlp_policy_set_unref(d.ps);
	cfg_free(d.cfg);
	log_msg(LOG_LVL_INFO, "smtpdlp stopped");
	log_close();
	return rc;
}
