/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_tcp_link.c — micro-benchmark of the stack alone: two stack
 * instances on one core joined by an in-memory link (frames handed over
 * without copies, no NIC, no kernel). Reports bulk throughput (zero-copy
 * tcp_send of cloned mbufs, receiver frees at once) and short connections
 * per second (connect, 16-byte request, close both ways, TIME_WAIT
 * included), both per core, i.e. with both ends' costs on the same core.
 * Registered as a meson benchmark: `meson test --benchmark --suite
 * tcpstack`. Numbers are printed, nothing is asserted beyond completion.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include "tcpstack/tcp_priv.h"
#include "tcp_harness.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define WIRE 8192

static const struct rte_ether_addr mac_a = { .addr_bytes = { 2, 0, 0, 0, 0xa, 1 } };
static const struct rte_ether_addr mac_b = { .addr_bytes = { 2, 0, 0, 0, 0xb, 2 } };

struct wire {
	struct rte_mbuf *q[WIRE];
	unsigned n;
};

static struct wire w_ab, w_ba;
static struct tcp_stack *sa, *sb;
static struct rte_mbuf *chunk;   /* 1448 bytes of data, cloned per send */
static struct rte_mempool *bpool; /* with a per-lcore cache, as in production */
static uint64_t rx_bytes, done_conns;
static unsigned open_conns;

static void
btx(void *ctx, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct wire *w = ctx;

	(void)port;
	for (uint16_t i = 0; i < n; i++) {
		if (w->n == WIRE) {
			rte_pktmbuf_free(pkts[i]);
			continue;
		}
		pkts[i]->port = 0;
		pkts[i]->ol_flags = 0;
		w->q[w->n++] = pkts[i];
	}
}

static void
deliver(struct wire *w, struct tcp_stack *to)
{
	struct rte_mbuf *b[WIRE];
	unsigned n = w->n;

	memcpy(b, w->q, n * sizeof(b[0]));
	w->n = 0;
	for (unsigned i = 0; i < n; i += 32)
		tcp_stack_input(to, b + i, (uint16_t)(n - i > 32 ? 32 : n - i));
}

/* ---------------------------------------------------------- bulk */

static void
fill(struct tcp_conn *c)
{
	while (tcp_send_space(c) >= chunk->pkt_len) {
		struct rte_mbuf *m = rte_pktmbuf_clone(chunk, bpool);

		if (m == NULL || tcp_send(c, m) != 0) {
			rte_pktmbuf_free(m);
			break;
		}
	}
}

static void
b_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	(void)ctx;
	rx_bytes += len;
	rte_pktmbuf_free(m);
	tcp_recv_done(c, len);
}

static void
b_writable(struct tcp_conn *c, void *ctx, uint32_t space)
{
	(void)ctx;
	(void)space;
	fill(c);
}

static void
b_connected(struct tcp_conn *c, void *ctx)
{
	(void)ctx;
	fill(c);
}

static const struct tcp_callbacks bulk_cb = {
	.connected = b_connected,
	.recv = b_recv,
	.writable = b_writable,
};

/* --------------------------------------------------------- short */

static void
s_srv_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	(void)ctx;
	rte_pktmbuf_free(m);
	tcp_recv_done(c, len);
	tcp_close(c); /* server closes first: TIME_WAIT on B */
}

static void
s_cli_connected(struct tcp_conn *c, void *ctx)
{
	(void)ctx;
	tcp_send_copy(c, "QUIT\r\n0123456789", 16);
}

static void
s_cli_peer_fin(struct tcp_conn *c, void *ctx)
{
	(void)ctx;
	tcp_close(c);
}

static void
s_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason r)
{
	(void)c;
	(void)r;
	if (ctx) {
		done_conns++;
		open_conns--;
	}
}

static void
s_recv_drop(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	(void)ctx;
	rte_pktmbuf_free(m);
	tcp_recv_done(c, len);
}

static const struct tcp_callbacks srv_cb = {
	.recv = s_srv_recv,
	.closed = s_closed,
};

static const struct tcp_callbacks cli_cb = {
	.connected = s_cli_connected,
	.recv = s_recv_drop,
	.peer_fin = s_cli_peer_fin,
	.closed = s_closed,
};

static struct tcp_stack *
mk(uint32_t ip, const struct rte_ether_addr *mac, struct wire *out,
   uint32_t max_conns, uint32_t buf)
{
	struct tcp_stack_params p;

	tt_params(&p, NULL);
	p.ifaces[0].ipv4 = ip;
	p.ifaces[0].mac = *mac;
	p.ifaces[0].gateway = 0;
	p.max_conns = max_conns;
	p.max_per_source = max_conns;
	p.syn_backlog = max_conns;
	p.sndbuf = buf;
	p.rcvbuf = buf;
	p.msl_ms = 100;
	p.tx = btx;
	p.tx_ctx = out;
	p.clock = NULL; /* TSC */
	p.pool = bpool;
	p.secret[0] = (uint8_t)ip;
	return tcp_stack_create(&p);
}

static void
spin(void)
{
	deliver(&w_ab, sb);
	deliver(&w_ba, sa);
	tcp_stack_timers(sa, tcp_stack_now(sa));
	tcp_stack_timers(sb, tcp_stack_now(sb));
}

int
main(void)
{
	uint64_t hz, t0, t1, target = 2ull << 30;
	unsigned conns = 8;
	double secs;

	tt_eal_init();
	hz = rte_get_tsc_hz();
	bpool = rte_pktmbuf_pool_create("bench_pool", 16383, 256, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (bpool == NULL)
		return 1;
	chunk = rte_pktmbuf_alloc(bpool);
	memset(rte_pktmbuf_append(chunk, 1448), 'x', 1448);

	/* bulk A -> B */
	sa = mk(IP_A, &mac_a, &w_ab, 64, 256 * 1024);
	sb = mk(IP_B, &mac_b, &w_ba, 64, 256 * 1024);
	tcp_listen(sb, IP_B, 5001, &bulk_cb, NULL);
	for (unsigned i = 0; i < conns; i++)
		tcp_connect(sa, 0, IP_B, 5001, &bulk_cb, NULL);
	for (int i = 0; i < 100; i++)
		spin();
	rx_bytes = 0;
	t0 = rte_rdtsc();
	while (rx_bytes < target) {
		spin();
		if (rte_rdtsc() - t0 > 20 * hz)
			break;
	}
	t1 = rte_rdtsc();
	secs = (double)(t1 - t0) / hz;
	printf("bulk: %u conns, %.1f MiB in %.3f s: %.2f Gbit/s payload, one core "
	       "running both stacks (sender + receiver)\n", conns,
	       rx_bytes / 1048576.0, secs, rx_bytes * 8 / secs / 1e9);
	tcp_stack_destroy(sa);
	tcp_stack_destroy(sb);
	for (unsigned i = 0; i < w_ab.n; i++)
		rte_pktmbuf_free(w_ab.q[i]);
	for (unsigned i = 0; i < w_ba.n; i++)
		rte_pktmbuf_free(w_ba.q[i]);
	w_ab.n = w_ba.n = 0;

	/* short connections */
	sa = mk(IP_A, &mac_a, &w_ab, 16384, 16384);
	sb = mk(IP_B, &mac_b, &w_ba, 16384, 16384);
	tcp_listen(sb, IP_B, 25, &srv_cb, NULL);
	t0 = rte_rdtsc();
	while (rte_rdtsc() - t0 < 2 * hz) {
		while (open_conns < 256) {
			if (tcp_connect(sa, 0, IP_B, 25, &cli_cb, &open_conns) == NULL)
				break;
			open_conns++;
		}
		spin();
	}
	t1 = rte_rdtsc();
	secs = (double)(t1 - t0) / hz;
	printf("short connections: %lu in %.3f s: %.0f conn/s, one core running "
	       "both ends (TIME_WAIT conns at the end: %u)\n",
	       (unsigned long)done_conns, secs, done_conns / secs,
	       tcp_stack_conn_count(sb));
	printf("state per connection: %zu bytes (struct tcp_conn)\n",
	       tcp_conn_state_size());
	tcp_stack_destroy(sa);
	tcp_stack_destroy(sb);
	{
		/* whole-stack memory per connection slot, hash tables included */
		struct rte_malloc_socket_stats st0, st1;
		struct tcp_stack *big;

		rte_malloc_get_socket_stats(0, &st0);
		big = mk(IP_A, &mac_a, &w_ab, 16384, 65536);
		rte_malloc_get_socket_stats(0, &st1);
		if (big)
			printf("stack with 16384 connection slots: %.1f MiB, %.0f bytes "
			       "per slot (pool + 4-tuple and per-source tables)\n",
			       (st1.heap_allocsz_bytes - st0.heap_allocsz_bytes) / 1048576.0,
			       (double)(st1.heap_allocsz_bytes - st0.heap_allocsz_bytes) / 16384);
		tcp_stack_destroy(big);
	}
	return 0;
}
