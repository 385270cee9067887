/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_loop.c — the io lcore poll loop (order and shutdown: see dp_loop.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/dp_loop.h"

volatile int dp_quit;

struct dp_lport {
	uint16_t port_id;
	uint16_t queue;
	struct rte_eth_dev_tx_buffer *txb;
	struct dp_fault *fault_rx, *fault_tx;
	uint64_t tx_dropped; /* updated by the tx buffer's error callback */
};

struct dp_lcore {
	unsigned index;
	unsigned lcore_id;
	unsigned n_ports;
	struct tcp_stack *stack;
	struct dp_steer *steer;
	struct rte_ring *inbox;
	struct rte_mempool *pool;
	const struct dp_app_ops *app;
	void *app_ctx;
	uint64_t drain_tsc;
	uint64_t drain_ms;
	uint32_t idle_sleep_us;
	struct dp_lcore_stats st;
	uint8_t port_slot[RTE_MAX_ETHPORTS]; /* port id -> index in port[] */
	struct dp_lport port[DP_MAX_PORTS];
} __rte_cache_aligned;

/* ------------------------------------------------------------------ tx */

/* Frames the NIC did not take: freed here (consumes them), counted. */
static void
tx_unsent(struct rte_mbuf **pkts, uint16_t unsent, void *userdata)
{
	uint64_t *dropped = userdata;

	rte_pktmbuf_free_bulk(pkts, unsent);
	*dropped += unsent;
}

static inline void
tx_buffer_many(struct dp_lcore *lc, struct dp_lport *lp, struct rte_mbuf **pkts, uint16_t n)
{
	for (uint16_t i = 0; i < n; i++)
		lc->st.tx_frames += rte_eth_tx_buffer(lp->port_id, lp->queue, lp->txb, pkts[i]);
}

/* tcp_tx_fn: consumes the frames. */
static void
stack_tx(void *ctx, uint16_t port_id, struct rte_mbuf **pkts, uint16_t n)
{
	struct dp_lcore *lc = ctx;
	struct dp_lport *lp;

	if (port_id >= RTE_MAX_ETHPORTS || lc->port_slot[port_id] == UINT8_MAX) {
		rte_pktmbuf_free_bulk(pkts, n);
		lc->st.tx_dropped += n;
		return;
	}
	lp = &lc->port[lc->port_slot[port_id]];
	if (lp->fault_tx != NULL) {
		struct rte_mbuf *out[2 * DP_BURST + DP_FAULT_HOLD_MAX];
		while (n > 0) {
			uint16_t chunk = RTE_MIN(n, DP_BURST);
			uint16_t k = dp_fault_apply(lp->fault_tx, pkts, chunk, out);
			tx_buffer_many(lc, lp, out, k);
			pkts += chunk;
			n -= chunk;
		}
		return;
	}
	tx_buffer_many(lc, lp, pkts, n);
}

static void
tx_drain(struct dp_lcore *lc)
{
	for (unsigned i = 0; i < lc->n_ports; i++) {
		struct dp_lport *lp = &lc->port[i];
		if (lp->fault_tx != NULL) {
			struct rte_mbuf *out[DP_FAULT_HOLD_MAX];
			uint16_t k = dp_fault_flush(lp->fault_tx, out);
			tx_buffer_many(lc, lp, out, k);
		}
		lc->st.tx_frames += rte_eth_tx_buffer_flush(lp->port_id, lp->queue, lp->txb);
	}
}

static bool
port_ok(void *ctx, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	struct dp_lcore *lc = ctx;

	return dp_steer_owner(lc->steer, lip, rip, lport, rport) == lc->index;
}

/* tcp_reasm_fn: a reassembled datagram goes to the lcore owning its
 * 4-tuple (its fragments came here by the address pair). */
static bool
reasm_handoff(void *ctx, struct rte_mbuf *m)
{
	struct dp_lcore *lc = ctx;
	unsigned o = dp_steer_classify(lc->steer, m);

	if (o == DP_STEER_LOCAL || o == DP_STEER_ALL || o == lc->index)
		return false;
	if (dp_steer_to(lc->steer, o, m) != 0) {
		rte_pktmbuf_free(m);
		lc->st.steer.ring_full++;
	} else {
		lc->st.steer.steered_out++;
	}
	return true;
}

/* -------------------------------------------------------------- create */

struct dp_lcore *
dp_lcore_create(const struct dp_lcore_params *p)
{
	struct tcp_stack_params sp;
	struct dp_lcore *lc;
	int err = ENOMEM;

	if (p->n_ports == 0 || p->n_ports > DP_MAX_PORTS || p->steer == NULL ||
	    p->pool == NULL || p->index >= dp_steer_n_io(p->steer)) {
		errno = EINVAL;
		return NULL;
	}
	lc = rte_zmalloc_socket("dp_lcore", sizeof(*lc), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (lc == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	lc->index = p->index;
	lc->lcore_id = p->lcore_id;
	lc->n_ports = p->n_ports;
	lc->steer = p->steer;
	lc->pool = p->pool;
	lc->app = p->app;
	lc->app_ctx = p->app_ctx;
	lc->inbox = p->fabric ? dp_fabric_inbox(p->fabric, dp_ep_io(p->index)) : NULL;
	lc->drain_tsc = (rte_get_tsc_hz() + 999999) / 1000000 * (p->drain_us ? p->drain_us : 100);
	lc->drain_ms = p->drain_ms ? p->drain_ms : 2000;
	lc->idle_sleep_us = p->idle_sleep_us;
	memset(lc->port_slot, UINT8_MAX, sizeof(lc->port_slot));

	sp = p->stack;
	sp.lcore_id = p->lcore_id;
	sp.socket_id = p->socket_id;
	sp.pool = p->pool;
	sp.n_ifaces = p->n_ports;
	sp.tx = stack_tx;
	sp.tx_ctx = lc;
	sp.port_ok = port_ok;
	sp.port_ok_ctx = lc;
	sp.reasm_handoff = reasm_handoff;
	sp.reasm_ctx = lc;
	/* ARP reaches every io lcore (DP_STEER_ALL): only index 0 answers
	 * requests and announces the address, the others just learn. */
	sp.arp_quiet = p->stack.arp_quiet || p->index != 0;

	for (unsigned i = 0; i < p->n_ports; i++) {
		struct dp_lport *lp = &lc->port[i];
		const struct dp_port_info *pi = &p->port[i];
		struct dp_fault_params fp = p->fault;

		lp->port_id = pi->port_id;
		lp->queue = (uint16_t)p->index;
		lc->port_slot[pi->port_id] = (uint8_t)i;
		lp->txb = rte_zmalloc_socket("dp_txb", RTE_ETH_TX_BUFFER_SIZE(DP_BURST), 0,
					     p->socket_id);
		if (lp->txb == NULL)
			goto fail;
		rte_eth_tx_buffer_init(lp->txb, DP_BURST);
		rte_eth_tx_buffer_set_err_callback(lp->txb, tx_unsent, &lc->st.tx_dropped);
		fp.pool = p->pool;
		if (p->fault_dir & DP_FAULT_RX) {
			fp.seed = p->fault.seed * 1000003u + i * 131u + p->index * 7u + 1;
			lp->fault_rx = dp_fault_create(&fp, p->socket_id);
			if (lp->fault_rx == NULL)
				goto fail_errno;
			if (!dp_fault_active(lp->fault_rx)) {
				dp_fault_destroy(lp->fault_rx);
				lp->fault_rx = NULL;
			}
		}
		if (p->fault_dir & DP_FAULT_TX) {
			fp.seed = p->fault.seed * 1000003u + i * 131u + p->index * 7u + 2;
			lp->fault_tx = dp_fault_create(&fp, p->socket_id);
			if (lp->fault_tx == NULL)
				goto fail_errno;
			if (!dp_fault_active(lp->fault_tx)) {
				dp_fault_destroy(lp->fault_tx);
				lp->fault_tx = NULL;
			}
		}
		sp.ifaces[i] = p->iface[i];
		sp.ifaces[i].port_id = pi->port_id;
		sp.ifaces[i].mac = pi->mac;
		sp.ifaces[i].offloads = (pi->tx_ipv4_cksum ? TCP_OFFLOAD_TX_IPV4_CKSUM : 0) |
					(pi->tx_tcp_cksum ? TCP_OFFLOAD_TX_TCP_CKSUM : 0) |
					(pi->rx_cksum ? TCP_OFFLOAD_RX_IPV4_CKSUM |
							TCP_OFFLOAD_RX_TCP_CKSUM : 0) |
					(pi->tx_multi_segs ? TCP_OFFLOAD_TX_MULTI_SEGS : 0);
		if (sp.ifaces[i].mtu == 0)
			sp.ifaces[i].mtu = pi->mtu;
	}
	lc->stack = tcp_stack_create(&sp);
	if (lc->stack == NULL)
		goto fail_errno;
	return lc;
fail_errno:
	err = errno ? errno : ENOMEM;
fail:
	dp_lcore_destroy(lc);
	errno = err;
	return NULL;
}

void
dp_lcore_destroy(struct dp_lcore *lc)
{
	if (lc == NULL)
		return;
	tcp_stack_destroy(lc->stack);
	for (unsigned i = 0; i < lc->n_ports; i++) {
		struct dp_lport *lp = &lc->port[i];
		if (lp->txb != NULL) {
			/* Unsent frames go back to the pool, the port may be gone. */
			rte_pktmbuf_free_bulk(lp->txb->pkts, lp->txb->length);
			rte_free(lp->txb);
		}
		dp_fault_destroy(lp->fault_rx);
		dp_fault_destroy(lp->fault_tx);
	}
	rte_free(lc);
}

/* ---------------------------------------------------------------- loop */

/* Steps 1-3 for one port: returns frames received. */
static inline uint16_t
rx_port(struct dp_lcore *lc, struct dp_lport *lp)
{
	struct rte_mbuf *pkts[DP_BURST];
	struct rte_mbuf *faulted[2 * DP_BURST + DP_FAULT_HOLD_MAX];
	struct rte_mbuf *keep[2 * DP_BURST + DP_FAULT_HOLD_MAX];
	struct rte_mbuf **in = pkts;
	uint16_t n, k;

	n = rte_eth_rx_burst(lp->port_id, lp->queue, pkts, DP_BURST);
	if (n == 0)
		return 0;
	lc->st.rx_frames += n;
	k = n;
	if (lp->fault_rx != NULL) {
		k = dp_fault_apply(lp->fault_rx, pkts, n, faulted);
		in = faulted;
	}
	k = dp_steer_burst(lc->steer, lc->index, in, k, keep, &lc->st.steer);
	if (k > 0)
		tcp_stack_input(lc->stack, keep, k);
	return n;
}

static inline unsigned
rx_steered(struct dp_lcore *lc)
{
	struct rte_mbuf *pkts[DP_BURST];
	uint16_t n = dp_steer_recv(lc->steer, lc->index, pkts, DP_BURST);

	if (n > 0) {
		lc->st.steer.steered_in += n;
		tcp_stack_input(lc->stack, pkts, n);
	}
	return n;
}

static inline unsigned
rx_msgs(struct dp_lcore *lc)
{
	struct dp_msg *msgs[DP_BURST];
	unsigned n;

	if (lc->inbox == NULL)
		return 0;
	n = dp_msg_recv_burst(lc->inbox, msgs, DP_BURST);
	for (unsigned i = 0; i < n; i++) {
		lc->st.msgs++;
		if (msgs[i]->type == DP_MSG_QUIT) {
			dp_quit = 2;
			dp_msg_free(msgs[i]);
		} else if (msgs[i]->type == DP_MSG_DRAIN) {
			if (dp_quit == 0)
				dp_quit = 1;
			dp_msg_free(msgs[i]);
		} else if (lc->app && lc->app->msg) {
			lc->app->msg(lc->app_ctx, lc, msgs[i]);
		} else {
			dp_msg_free(msgs[i]);
		}
	}
	return n;
}

/* Release frames held by RX reordering (after the drain period). */
static void
rx_fault_flush(struct dp_lcore *lc)
{
	for (unsigned i = 0; i < lc->n_ports; i++) {
		struct rte_mbuf *held[DP_FAULT_HOLD_MAX];
		struct rte_mbuf *keep[DP_FAULT_HOLD_MAX];
		struct dp_lport *lp = &lc->port[i];
		uint16_t k;

		if (lp->fault_rx == NULL)
			continue;
		k = dp_fault_flush(lp->fault_rx, held);
		k = dp_steer_burst(lc->steer, lc->index, held, k, keep, &lc->st.steer);
		if (k > 0)
			tcp_stack_input(lc->stack, keep, k);
	}
}

static void
idle_sleep(uint32_t us)
{
	struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)us * 1000 };

	nanosleep(&ts, NULL);
}

int
dp_lcore_run(struct dp_lcore *lc)
{
	uint64_t prev_drain = rte_rdtsc();
	uint64_t drain_deadline = 0;
	unsigned idle_run = 0;
	bool draining = false;
	int ret;

	if (lc->app && lc->app->start) {
		ret = lc->app->start(lc->app_ctx, lc);
		if (ret < 0)
			return ret;
	}
	for (;;) {
		uint64_t now_tsc, now_us;
		unsigned work = 0;

		/* 1-3: receive, fault, steer, stack input (callbacks run here) */
		for (unsigned i = 0; i < lc->n_ports; i++)
			work += rx_port(lc, &lc->port[i]);
		work += rx_steered(lc);
		/* 4: messages */
		work += rx_msgs(lc);
		/* 5: application */
		now_us = tcp_stack_now(lc->stack);
		if (lc->app && lc->app->poll)
			lc->app->poll(lc->app_ctx, lc, now_us);
		/* 6: timers, bounded inside the stack */
		unsigned ev = tcp_stack_timers(lc->stack, now_us);
		lc->st.timer_events += ev;
		work += ev;
		/* 7: tx drain */
		tcp_stack_flush(lc->stack);
		now_tsc = rte_rdtsc();
		if (now_tsc - prev_drain > lc->drain_tsc) {
			rx_fault_flush(lc);
			tcp_stack_flush(lc->stack);
			tx_drain(lc);
			prev_drain = now_tsc;
		} else if (work == 0) {
			tx_drain(lc);
		}
		lc->st.iterations++;

		if (work == 0) {
			lc->st.idle_iterations++;
			if (lc->idle_sleep_us && ++idle_run >= 256) {
				idle_sleep(lc->idle_sleep_us);
			}
		} else {
			idle_run = 0;
		}

		/* shutdown */
		if (unlikely(dp_quit)) {
			if (!draining) {
				draining = true;
				drain_deadline = now_tsc + lc->drain_ms * (rte_get_tsc_hz() / 1000);
			}
			bool done = true;
			bool force = dp_quit >= 2 || now_tsc > drain_deadline;
			if (lc->app && lc->app->drain)
				done = lc->app->drain(lc->app_ctx, lc, force);
			if (done || force) {
				tcp_stack_flush(lc->stack);
				tx_drain(lc);
				break;
			}
		}
	}
	return 0;
}

int
dp_lcore_main(void *arg)
{
	return dp_lcore_run(arg);
}

/* ------------------------------------------------------------ accessors */

struct tcp_stack *
dp_lcore_stack(const struct dp_lcore *lc)
{
	return lc->stack;
}

unsigned
dp_lcore_index(const struct dp_lcore *lc)
{
	return lc->index;
}

void *
dp_lcore_app(const struct dp_lcore *lc)
{
	return lc->app_ctx;
}

struct rte_ring *
dp_lcore_inbox(const struct dp_lcore *lc)
{
	return lc->inbox;
}

struct rte_mempool *
dp_lcore_pool(const struct dp_lcore *lc)
{
	return lc->pool;
}

static void
add_fault(struct dp_fault_stats *sum, const struct dp_fault *f)
{
	struct dp_fault_stats s;

	if (f == NULL)
		return;
	dp_fault_get_stats(f, &s);
	sum->seen += s.seen;
	sum->dropped += s.dropped;
	sum->duplicated += s.duplicated;
	sum->reordered += s.reordered;
	sum->dup_failed += s.dup_failed;
}

void
dp_lcore_get_stats(const struct dp_lcore *lc, struct dp_lcore_stats *st)
{
	*st = lc->st;
	memset(&st->fault_rx, 0, sizeof(st->fault_rx));
	memset(&st->fault_tx, 0, sizeof(st->fault_tx));
	for (unsigned i = 0; i < lc->n_ports; i++) {
		add_fault(&st->fault_rx, lc->port[i].fault_rx);
		add_fault(&st->fault_tx, lc->port[i].fault_tx);
	}
}

void
dp_lcore_stats_json(const struct dp_lcore *lc, FILE *out)
{
	struct dp_lcore_stats s;
	const struct tcp_stack_counters *c = tcp_stack_counters(lc->stack);

	dp_lcore_get_stats(lc, &s);
	fprintf(out,
		"{\"lcore\":%u,\"index\":%u,\"iterations\":%" PRIu64 ",\"idle\":%" PRIu64
		",\"rx\":%" PRIu64 ",\"tx\":%" PRIu64 ",\"tx_dropped\":%" PRIu64
		",\"timer_events\":%" PRIu64 ",\"msgs\":%" PRIu64
		",\"steered_out\":%" PRIu64 ",\"steered_in\":%" PRIu64 ",\"steer_full\":%" PRIu64
		",\"fault_rx\":{\"seen\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"duplicated\":%" PRIu64
		",\"reordered\":%" PRIu64 "},\"fault_tx\":{\"seen\":%" PRIu64 ",\"dropped\":%" PRIu64
		",\"duplicated\":%" PRIu64 ",\"reordered\":%" PRIu64 "}"
		",\"tcp\":{\"accepted\":%" PRIu64 ",\"connected\":%" PRIu64 ",\"closed\":%" PRIu64
		",\"resets\":%" PRIu64 ",\"retransmits\":%" PRIu64 ",\"fast_retransmits\":%" PRIu64
		",\"rto_timeouts\":%" PRIu64 ",\"ooo_segments\":%" PRIu64 ",\"drop_cksum\":%" PRIu64
		",\"drop_no_mbuf\":%" PRIu64 ",\"challenge_acks\":%" PRIu64
		",\"dup_acks_rx\":%" PRIu64 ",\"drop_out_of_window\":%" PRIu64
		",\"drop_paws\":%" PRIu64 ",\"drop_old_ack\":%" PRIu64
		",\"zero_window_probes\":%" PRIu64 ",\"sack_retransmits\":%" PRIu64
		",\"tlp_probes\":%" PRIu64 ",\"spurious_rto\":%" PRIu64
		",\"delayed_acks\":%" PRIu64 ",\"drop_arp_queue_full\":%" PRIu64
		",\"arp_syn_kicked\":%" PRIu64
		",\"pool_tight\":%" PRIu64 ",\"drop_pool_reserve\":%" PRIu64
		",\"tcp_rx\":%" PRIu64 ",\"tcp_tx\":%" PRIu64 ",\"conns\":%u}}",
		lc->lcore_id, lc->index, s.iterations, s.idle_iterations, s.rx_frames,
		s.tx_frames, s.tx_dropped, s.timer_events, s.msgs, s.steer.steered_out,
		s.steer.steered_in, s.steer.ring_full, s.fault_rx.seen, s.fault_rx.dropped,
		s.fault_rx.duplicated, s.fault_rx.reordered, s.fault_tx.seen, s.fault_tx.dropped,
		s.fault_tx.duplicated, s.fault_tx.reordered, c->tcp_accepted, c->tcp_connected,
		c->tcp_closed, c->tcp_resets, c->tcp_retransmits, c->tcp_fast_retransmits,
		c->tcp_rto_timeouts, c->tcp_ooo_segments, c->drop_tcp_cksum, c->drop_no_mbuf,
		c->tcp_challenge_acks, c->tcp_dup_acks_rx, c->drop_tcp_out_of_window,
		c->drop_tcp_paws, c->drop_tcp_old_ack, c->tcp_zero_window_probes,
		c->tcp_sack_retransmits, c->tcp_tlp_probes, c->tcp_spurious_rto,
		c->tcp_delayed_acks, c->drop_arp_queue_full, c->arp_syn_kicked, c->pool_tight,
		c->drop_tcp_pool_reserve, c->tcp_rx, c->tcp_tx, tcp_stack_conn_count(lc->stack));
}

/* -------------------------------------------------------------- signals */

static void
on_signal(int sig)
{
	(void)sig;
	dp_quit = dp_quit ? 2 : 1;
}

int
dp_signals_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
		return -errno;
	return 0;
}

void
dp_loop_quit(bool drain)
{
	dp_quit = drain ? (dp_quit ? dp_quit : 1) : 2;
}
