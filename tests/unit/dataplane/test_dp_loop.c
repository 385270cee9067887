/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dp_loop.c — the poll loop with the real TCP stack, no NIC: two
 * "hosts" (two struct dp_lcore, each its own stack and steering) joined by
 * two ring-backed ethdev ports cross-connected (port A's TX ring is port B's
 * RX ring). The server lcore runs an echo application; the client on the
 * main lcore sends 256 KiB on several connections and checks every byte
 * came back, first clean, then with drop/duplicate/reorder injected on the
 * client's port in both directions. Then graceful shutdown: dp_loop_quit()
 * must drain both loops. EAL: -l 0-1 --no-huge.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_ring.h>

#include "dataplane/dp_eal.h"
#include "dataplane/dp_loop.h"
#include "dataplane/dp_port.h"
#include "dataplane/dp_steer.h"

#define NCONN 8
#define BYTES (256 * 1024)
#define IP_SRV 0xc0000201u /* 192.0.2.1 */
#define IP_CLI 0xc0000202u /* 192.0.2.2 */

static struct rte_mempool *pool;
static uint16_t port_a, port_b; /* a: client side, b: server side */

static uint8_t
pat(uint64_t conn, uint64_t off)
{
	return (uint8_t)((off * 7 + conn * 13 + (off >> 9)) & 0xff);
}

/* ------------------------------------------------------------ echo server */

struct srv {
	unsigned open, accepted;
	bool draining;
};

/* Per connection: received bytes not yet echoed (they stay in the
 * receive window until echoed: tcp_recv_done only for what was sent). */
struct sconn {
	struct srv *srv;
	struct rte_mbuf *pending;
	bool fin;
};

static void
srv_pump(struct tcp_conn *c, struct sconn *x)
{
	while (x->pending != NULL) {
		struct rte_mbuf *m = x->pending;
		uint32_t space = tcp_send_space(c);
		uint32_t n = m->data_len < space ? m->data_len : space;

		if (n == 0) {
			/* full: a short send arms the writable() callback */
			(void)tcp_send_copy(c, rte_pktmbuf_mtod(m, void *), 1);
			break;
		}
		ssize_t r = tcp_send_copy(c, rte_pktmbuf_mtod(m, void *), n);
		if (r <= 0)
			break;
		tcp_recv_done(c, (uint32_t)r);
		if ((uint32_t)r < m->data_len) {
			rte_pktmbuf_adj(m, (uint16_t)r);
			continue;
		}
		x->pending = m->next;
		if (x->pending != NULL) {
			x->pending->nb_segs = m->nb_segs - 1;
			x->pending->pkt_len = m->pkt_len - m->data_len;
		}
		m->next = NULL;
		m->nb_segs = 1;
		m->pkt_len = m->data_len;
		rte_pktmbuf_free(m);
	}
	if (x->fin && x->pending == NULL) {
		x->fin = false;
		tcp_close(c);
	}
}

static int
srv_accepted(struct tcp_conn *c, void *ctx)
{
	struct srv *s = ctx;
	struct sconn *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return -ENOMEM;
	x->srv = s;
	s->open++;
	s->accepted++;
	tcp_conn_set_ctx(c, x);
	return 0;
}

static void
srv_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	struct sconn *x = ctx;

	if (x->pending == NULL)
		x->pending = m;
	else
		ck_assert_int_eq(rte_pktmbuf_chain(x->pending, m), 0);
	srv_pump(c, x);
}

static void
srv_writable(struct tcp_conn *c, void *ctx, uint32_t space)
{
	srv_pump(c, ctx);
}

static void
srv_fin(struct tcp_conn *c, void *ctx)
{
	struct sconn *x = ctx;

	x->fin = true;
	srv_pump(c, x);
}

static void
srv_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason r)
{
	struct sconn *x = ctx;

	if (x == NULL)
		return;
	x->srv->open--;
	rte_pktmbuf_free(x->pending);
	free(x);
}

static const struct tcp_callbacks srv_cb = {
	.accepted = srv_accepted, .recv = srv_recv, .writable = srv_writable,
	.peer_fin = srv_fin, .closed = srv_closed,
};

static int
srv_start(void *app, struct dp_lcore *lc)
{
	return tcp_listen(dp_lcore_stack(lc), 0, 7, &srv_cb, app);
}

static bool
srv_drain(void *app, struct dp_lcore *lc, bool force)
{
	struct srv *s = app;

	if (!s->draining) {
		s->draining = true;
		tcp_unlisten(dp_lcore_stack(lc), 0, 7);
	}
	return s->open == 0;
}

static const struct dp_app_ops srv_ops = { .start = srv_start, .drain = srv_drain };

/* ---------------------------------------------------------------- client */

struct cconn {
	struct cli *cli;
	uint64_t id, sent, rcvd;
	bool bad, ok;
};

struct cli {
	struct cconn conn[NCONN];
	unsigned done, ok;
};

static void
cli_pump(struct tcp_conn *c, struct cconn *x)
{
	uint8_t buf[4096];

	while (x->sent < BYTES) {
		uint32_t n = tcp_send_space(c);
		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > BYTES - x->sent)
			n = (uint32_t)(BYTES - x->sent);
		if (n == 0) {
			/* full: a short send arms the writable() callback */
			(void)tcp_send_copy(c, buf, 1);
			return;
		}
		for (uint32_t i = 0; i < n; i++)
			buf[i] = pat(x->id, x->sent + i);
		ssize_t r = tcp_send_copy(c, buf, n);
		if (r <= 0)
			return;
		x->sent += (uint64_t)r;
	}
	if (x->sent == BYTES)
		tcp_shutdown(c);
}

static void
cli_connected(struct tcp_conn *c, void *ctx)
{
	cli_pump(c, ctx);
}

static void
cli_writable(struct tcp_conn *c, void *ctx, uint32_t space)
{
	struct cconn *x = ctx;

	if (x->sent < BYTES)
		cli_pump(c, x);
}

static void
cli_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	struct cconn *x = ctx;

	for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
		const uint8_t *p = rte_pktmbuf_mtod(s, const uint8_t *);
		for (uint16_t i = 0; i < s->data_len; i++)
			if (p[i] != pat(x->id, x->rcvd + i))
				x->bad = true;
		x->rcvd += s->data_len;
	}
	tcp_recv_done(c, len);
	rte_pktmbuf_free(m);
}

static void
cli_fin(struct tcp_conn *c, void *ctx)
{
	struct cconn *x = ctx;

	x->ok = !x->bad && x->rcvd == BYTES && x->sent == BYTES;
	tcp_close(c);
}

static void
cli_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason r)
{
	struct cconn *x = ctx;

	x->cli->done++;
	x->cli->ok += x->ok;
	if (x->cli->done == NCONN)
		dp_loop_quit(true);
}

static const struct tcp_callbacks cli_cb = {
	.connected = cli_connected, .recv = cli_recv, .writable = cli_writable,
	.peer_fin = cli_fin, .closed = cli_closed,
};

static int
cli_start(void *app, struct dp_lcore *lc)
{
	struct cli *cl = app;

	for (unsigned i = 0; i < NCONN; i++) {
		cl->conn[i].cli = cl;
		cl->conn[i].id = i;
		if (tcp_connect(dp_lcore_stack(lc), 0, IP_SRV, 7, &cli_cb, &cl->conn[i]) == NULL)
			return -errno;
	}
	return 0;
}

static bool
cli_drain(void *app, struct dp_lcore *lc, bool force)
{
	struct cli *cl = app;

	return cl->done == NCONN;
}

static const struct dp_app_ops cli_ops = { .start = cli_start, .drain = cli_drain };

/* ------------------------------------------------------------------ test */

static struct dp_lcore *
make_host(uint16_t port, uint32_t ip, unsigned lcore, const char *name,
	  const struct dp_app_ops *ops, void *app, double fault, struct dp_steer **st)
{
	struct dp_port_params pp = { .port_id = port, .n_queues = 1, .pool = pool,
				     .nb_rxd = 1024, .nb_txd = 1024 };
	struct dp_steer_params sp = { .n_io = 1, .name = name, .socket_id = SOCKET_ID_ANY };
	struct dp_lcore_params lp;

	memset(&lp, 0, sizeof(lp));
	rte_eth_dev_stop(port);
	ck_assert_int_eq(dp_port_start(&pp, &lp.port[0]), 0);
	*st = dp_steer_create(&sp);
	ck_assert_ptr_nonnull(*st);
	lp.index = 0;
	lp.lcore_id = lcore;
	lp.socket_id = SOCKET_ID_ANY;
	lp.n_ports = 1;
	lp.iface[0].ipv4 = ip;
	lp.iface[0].prefix_len = 24;
	lp.pool = pool;
	lp.steer = *st;
	lp.fault.drop = fault;
	lp.fault.duplicate = fault / 2;
	lp.fault.reorder = fault;
	lp.fault.seed = 99;
	lp.fault_dir = DP_FAULT_BOTH;
	lp.stack.sndbuf = 32768;
	lp.stack.rcvbuf = 32768;
	lp.stack.rto_min_ms = 20;
	lp.stack.rto_initial_ms = 100;
	lp.stack.msl_ms = 100;
	memset(lp.stack.secret, 0x42, sizeof(lp.stack.secret));
	lp.app = ops;
	lp.app_ctx = app;
	lp.drain_ms = 3000;
	struct dp_lcore *lc = dp_lcore_create(&lp);
	ck_assert_ptr_nonnull(lc);
	return lc;
}

static void
run_pair(double fault)
{
	static struct srv srv;
	static struct cli cli;
	struct dp_steer *st_a, *st_b;
	struct dp_lcore_stats sa, sb;
	unsigned worker = rte_get_next_lcore(-1, 1, 0);

	memset(&srv, 0, sizeof(srv));
	memset(&cli, 0, sizeof(cli));
	dp_quit = 0;
	struct dp_lcore *lb = make_host(port_b, IP_SRV, worker, "hb", &srv_ops, &srv, 0, &st_b);
	struct dp_lcore *la = make_host(port_a, IP_CLI, rte_lcore_id(), "ha", &cli_ops, &cli,
					fault, &st_a);
	ck_assert_int_eq(rte_eal_remote_launch(dp_lcore_main, lb, worker), 0);
	ck_assert_int_eq(dp_lcore_run(la), 0);
	ck_assert_int_eq(rte_eal_wait_lcore(worker), 0);

	ck_assert_uint_eq(cli.done, NCONN);
	ck_assert_uint_eq(cli.ok, NCONN);
	ck_assert_uint_eq(srv.accepted, NCONN);
	dp_lcore_get_stats(la, &sa);
	dp_lcore_get_stats(lb, &sb);
	ck_assert_uint_gt(sa.rx_frames, 2 * BYTES / 1500);
	ck_assert_uint_gt(sb.tx_frames, 2 * BYTES / 1500);
	ck_assert_uint_eq(sa.tx_dropped, 0);
	if (fault > 0) {
		ck_assert_uint_gt(sa.fault_rx.dropped, 0);
		ck_assert_uint_gt(sa.fault_tx.dropped, 0);
		ck_assert_uint_gt(sa.fault_tx.reordered, 0);
		ck_assert_uint_gt(sa.fault_rx.duplicated, 0);
		ck_assert_uint_gt(tcp_stack_counters(dp_lcore_stack(la))->tcp_retransmits +
					  tcp_stack_counters(dp_lcore_stack(lb))->tcp_retransmits, 0);
	} else {
		ck_assert_uint_eq(sa.fault_rx.seen, 0);
	}
	dp_lcore_destroy(la);
	dp_lcore_destroy(lb);
	dp_steer_destroy(st_a);
	dp_steer_destroy(st_b);
}

START_TEST(loop_echo_clean)
{
	run_pair(0.0);
}
END_TEST

START_TEST(loop_echo_with_faults)
{
	run_pair(0.02);
}
END_TEST

int
main(int argc, char **argv)
{
	static char prefix[64];
	static char *eal[] = { "-l", "0-1", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			       "--file-prefix", prefix, "--log-level", "error" };
	struct cfg_dataplane dp = { .eal = eal, .n_eal = RTE_DIM(eal) };
	struct rte_ring *r1, *r2;
	int failed;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "tdl%d", (int)getpid());
	if (dp_eal_init(&dp, argv[0], NULL, 0) != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	if (rte_lcore_count() < 2) {
		fprintf(stderr, "needs two lcores, skipping\n");
		return 77;
	}
	pool = dp_eal_pktpool("tdl_pkts", 16384, SOCKET_ID_ANY);
	r1 = rte_ring_create("tdl_ab", 2048, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	r2 = rte_ring_create("tdl_ba", 2048, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (pool == NULL || r1 == NULL || r2 == NULL)
		return 1;
	/* a: rx from b->a, tx to a->b; b: the reverse */
	port_a = (uint16_t)rte_eth_from_rings("tdl_a", &r2, 1, &r1, 1, SOCKET_ID_ANY);
	port_b = (uint16_t)rte_eth_from_rings("tdl_b", &r1, 1, &r2, 1, SOCKET_ID_ANY);

	Suite *s = suite_create("dataplane-loop");
	TCase *tc = tcase_create("loop");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, loop_echo_clean);
	tcase_add_test(tc, loop_echo_with_faults);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	dp_port_stop(port_a);
	dp_port_stop(port_b);
	dp_eal_fini();
	return failed == 0 ? 0 : 1;
}
