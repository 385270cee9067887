/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_dataplane.h — the whole dataplane of one process from the config:
 * EAL, the packet pool, every port of cfg.dataplane.ports (one queue pair
 * per io lcore), steering, the message fabric and one struct dp_lcore (with
 * its TCP stack) per io lcore. The daemon and the DPDK tools call this
 * instead of wiring dp_eal/dp_port/dp_steer/dp_loop by hand:
 *
 *   d = dp_dataplane_create(&(struct dp_dataplane_params){
 *           .dp = &cfg->dataplane, .tcp = &cfg->tcp, .prog = argv[0],
 *           .app = &smtp_ops, .app_ctx = per_io_ctx });
 *   dp_signals_install();
 *   dp_dataplane_launch(d);          io lcores other than the main one
 *   ... control loop on the main lcore (inbox DP_EP_CTRL) until dp_quit,
 *       or dp_lcore_run(dp_dataplane_lcore(d, i)) when the main lcore is
 *       itself an io lcore (single-lcore configs) ...
 *   dp_dataplane_wait(d);
 *   dp_dataplane_destroy(d);         stacks, ports, pools, EAL
 *
 * Port i of the config is stack interface i of every io lcore. The io
 * lcores are cfg.dataplane.io_lcores; when that list is empty every EAL
 * lcore is an io lcore. Stack limits come from cfg.tcp (max_connections is
 * split evenly between io lcores), fault rates from cfg.dataplane.fault.
 */
#ifndef SMTPDLP_DP_DATAPLANE_H
#define SMTPDLP_DP_DATAPLANE_H

#include "config/cfg.h"
#include "dataplane/dp_loop.h"

struct dp_dataplane;

struct dp_dataplane_params {
	const struct cfg_dataplane *dp; /* required */
	const struct cfg_tcp *tcp;      /* NULL: stack defaults */
	const char *prog;               /* argv[0] for the EAL */
	char *const *eal_extra;         /* appended to the EAL argv; may be NULL */
	int n_eal_extra;
	const struct dp_app_ops *app;   /* the same hooks on every io lcore */
	void *const *app_ctx;           /* app_ctx[i] for io lcore i; may be NULL */
	enum dp_fault_dir fault_dir;    /* 0 = DP_FAULT_BOTH when rates are set */
	uint64_t fault_seed;
	uint32_t idle_sleep_us;         /* see dp_lcore_params */
	uint32_t drain_ms;
	/* Stack parameters besides those set from the config and by the
	 * dataplane (ifaces, tx, clock, port_ok, pool, lcore, secret, limits
	 * from cfg.tcp): zero fields keep the stack's defaults. */
	struct tcp_stack_params stack;
	uint16_t nb_rxd, nb_txd;
};

/* NULL + errno; on failure everything created so far is released (the EAL
 * stays initialised: it cannot be initialised twice in one process). */
struct dp_dataplane *dp_dataplane_create(const struct dp_dataplane_params *p);

/* rte_eal_remote_launch() every io lcore that is not the main lcore. */
int dp_dataplane_launch(struct dp_dataplane *d);

/* Wait for the launched lcores; 0 or the first non-zero loop return. */
int dp_dataplane_wait(struct dp_dataplane *d);

/* Stacks, ports (stopped and closed), steering, fabric, pool, EAL. */
void dp_dataplane_destroy(struct dp_dataplane *d);

unsigned dp_dataplane_n_io(const struct dp_dataplane *d);
struct dp_lcore *dp_dataplane_lcore(const struct dp_dataplane *d, unsigned io_index);
/* The io index run by the main lcore, or -1 if none. */
int dp_dataplane_main_io(const struct dp_dataplane *d);
struct dp_fabric *dp_dataplane_fabric(const struct dp_dataplane *d);
struct rte_mempool *dp_dataplane_pool(const struct dp_dataplane *d);
const struct dp_port_info *dp_dataplane_port(const struct dp_dataplane *d, unsigned i);
unsigned dp_dataplane_n_ports(const struct dp_dataplane *d);

/* Ports, then lcores, as one JSON object. */
void dp_dataplane_stats_json(const struct dp_dataplane *d, FILE *out);

#endif /* SMTPDLP_DP_DATAPLANE_H */
