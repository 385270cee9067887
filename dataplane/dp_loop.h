/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_loop.h — one io lcore: its TCP stack, its queues and the poll loop.
 *
 * struct dp_lcore is the per-lcore state (cache aligned, one per io lcore,
 * passed first everywhere). The loop order is fixed:
 *
 *   1. rx burst on queue `index` of every port   (RX faults, then steering)
 *   2. frames steered here by other lcores
 *   3. tcp_stack_input()   -> stack callbacks -> application
 *   4. inbox messages      -> app->msg()
 *   5. app->poll()         (application work not driven by packets)
 *   6. tcp_stack_timers()  (bounded work per call)
 *   7. tx: frames the stack handed to the tx callback sit in one
 *      rte_eth_dev_tx_buffer per port (TX faults first); the buffers are
 *      drained when full, when the TSC drain period has passed, or when the
 *      iteration received nothing (idle: nothing to batch with, so do not
 *      add latency). What the NIC does not take is freed and counted.
 *
 * Shutdown: dp_quit (set by the SIGINT/SIGTERM handler or dp_loop_quit())
 * makes every loop call app->drain(force=false) each iteration — the
 * application stops accepting and closes its flows while the stack keeps
 * running — until drain returns true or drain_ms passes; then
 * app->drain(force=true) must reset what is left, the tx buffers are
 * drained and dp_lcore_run() returns. A second signal skips the wait.
 */
#ifndef SMTPDLP_DP_LOOP_H
#define SMTPDLP_DP_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_mbuf.h>

#include "dataplane/dp_fault.h"
#include "dataplane/dp_msg.h"
#include "dataplane/dp_port.h"
#include "dataplane/dp_steer.h"
#include "tcpstack/tcp_stack.h"

#define DP_MAX_PORTS TCP_MAX_IFACES
#define DP_BURST 32

/* The one mutable global of the fast path: 0 run, 1 drain, 2 leave now. */
extern volatile int dp_quit;

struct dp_lcore;

/* Application hooks; all optional. They run on the io lcore. */
struct dp_app_ops {
	/* Before the loop, on the lcore: tcp_listen(), first tcp_connect()... */
	int (*start)(void *app, struct dp_lcore *lc);
	/* A message from the inbox; consumes m (free it with dp_msg_free()). */
	void (*msg)(void *app, struct dp_lcore *lc, struct dp_msg *m);
	/* Once per iteration after input. now_us is the stack's clock. */
	void (*poll)(void *app, struct dp_lcore *lc, uint64_t now_us);
	/* Shutdown: stop accepting, close flows; return true when none is
	 * left. With force, reset everything (tcp_abort) and return true. */
	bool (*drain)(void *app, struct dp_lcore *lc, bool force);
};

struct dp_lcore_params {
	unsigned index;         /* io lcore index = queue id on every port */
	unsigned lcore_id;
	int socket_id;
	/* The ports this lcore polls, with what dp_port_start() reported;
	 * iface[i] is the stack interface of port[i] (port_id, ipv4,
	 * prefix_len, gateway, mtu; mac and offloads are filled in here). */
	struct dp_port_info port[DP_MAX_PORTS];
	struct tcp_iface_params iface[DP_MAX_PORTS];
	unsigned n_ports;
	struct rte_mempool *pool;
	struct dp_steer *steer;     /* required; also defines n_io */
	struct dp_fabric *fabric;   /* NULL: no inbox */
	/* Fault injection; rates 0 = off. Seeds differ per port and lcore. */
	struct dp_fault_params fault;
	enum dp_fault_dir fault_dir;
	/* The stack's parameters besides ifaces, tx, port_ok, lcore_id and
	 * pool, which this module sets. */
	struct tcp_stack_params stack;
	const struct dp_app_ops *app;
	void *app_ctx;
	uint32_t drain_us;      /* tx drain period [100] */
	uint32_t drain_ms;      /* graceful shutdown budget [2000] */
	uint32_t idle_sleep_us; /* sleep after 256 idle iterations [0 = spin] */
};

struct dp_lcore_stats {
	uint64_t iterations, idle_iterations;
	uint64_t rx_frames, tx_frames, tx_dropped;
	uint64_t timer_events, msgs;
	struct dp_steer_stats steer;
	struct dp_fault_stats fault_rx, fault_tx; /* summed over ports */
};

/* Create the per-lcore state and its stack. NULL + errno. May run on the
 * main lcore; everything else below runs on the owning lcore. */
struct dp_lcore *dp_lcore_create(const struct dp_lcore_params *p);
void dp_lcore_destroy(struct dp_lcore *lc); /* destroys the stack; NULL no-op */

/* The poll loop; returns after shutdown. 0 or -errno (app->start failed). */
int dp_lcore_run(struct dp_lcore *lc);

/* rte_eal_remote_launch() entry: arg is a struct dp_lcore *. */
int dp_lcore_main(void *arg);

struct tcp_stack *dp_lcore_stack(const struct dp_lcore *lc);
unsigned dp_lcore_index(const struct dp_lcore *lc);
void *dp_lcore_app(const struct dp_lcore *lc);
struct rte_ring *dp_lcore_inbox(const struct dp_lcore *lc);
struct rte_mempool *dp_lcore_pool(const struct dp_lcore *lc);

/* A copy of the counters (racy but harmless from another thread). */
void dp_lcore_get_stats(const struct dp_lcore *lc, struct dp_lcore_stats *st);
/* Counters and the stack's main counters as one JSON object. */
void dp_lcore_stats_json(const struct dp_lcore *lc, FILE *out);

/* SIGINT/SIGTERM -> dp_quit (first: drain, second: leave now). */
int dp_signals_install(void);
/* Ask every loop to shut down (drain = graceful). */
void dp_loop_quit(bool drain);

#endif /* SMTPDLP_DP_LOOP_H */
