/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_conn.c — TCP connections against a scripted peer: handshakes
 * both ways with options, delayed and coalesced ACKs, out-of-order and
 * overlapping segments with SACK generation, sending by copy and by chain,
 * RTO with backoff, SACK and NewReno fast retransmit, zero windows both
 * ways with persist probes, keepalive, TIME_WAIT and its reuse, RFC 5961
 * RST/SYN/ACK checks with challenge-ACK rate limiting, PAWS, SYN backlog
 * with SYN cookies, per-source limits, abort, refused opens.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "tcpstack/tcp_priv.h"
#include "tcp_harness.h"

#define LPORT 25
#define PPORT 40000
#define PISN  1000u

struct app {
	int accepted, connected, closed, peer_fin, writable;
	enum tcp_close_reason reason;
	bool hold;              /* do not release received bytes */
	struct tcp_conn *conn;
	uint32_t rx_len;
	uint8_t rx[1 << 17];
};

static void
app_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	struct app *a = ctx;

	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), len);
	if (a->rx_len + len <= sizeof(a->rx)) {
		const void *src = rte_pktmbuf_read(m, 0, len, a->rx + a->rx_len);

		if (src != a->rx + a->rx_len)
			memcpy(a->rx + a->rx_len, src, len);
	}
	a->rx_len += len;
	rte_pktmbuf_free(m);
	if (!a->hold)
		tcp_recv_done(c, len);
}

static int
app_accepted(struct tcp_conn *c, void *ctx)
{
	struct app *a = ctx;

	a->accepted++;
	a->conn = c;
	return 0;
}

static void
app_connected(struct tcp_conn *c, void *ctx)
{
	struct app *a = ctx;

	a->connected++;
	a->conn = c;
}

static void
app_peer_fin(struct tcp_conn *c, void *ctx)
{
	(void)c;
	((struct app *)ctx)->peer_fin++;
}

static void
app_writable(struct tcp_conn *c, void *ctx, uint32_t space)
{
	(void)c;
	(void)space;
	((struct app *)ctx)->writable++;
}

static void
app_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason r)
{
	struct app *a = ctx;

	(void)c;
	a->closed++;
	a->reason = r;
	a->conn = NULL;
}

static const struct tcp_callbacks app_cb = {
	.accepted = app_accepted,
	.connected = app_connected,
	.recv = app_recv,
	.writable = app_writable,
	.peer_fin = app_peer_fin,
	.closed = app_closed,
};

/* The scripted peer. */
struct peer {
	uint32_t ip;
	uint16_t port;
	uint32_t seq;           /* next sequence number we send */
	uint32_t ack;           /* what we acknowledge */
	bool ts, sack;
	uint32_t tsval, tsecr;
	uint16_t win;
};

static struct tt_node *node;
static struct app *app;
static unsigned avail0;
static const struct tcp_stack_counters *K;

static void
node_up(void (*tune)(struct tcp_stack_params *))
{
	struct tcp_stack_params p;

	tt_params(&p, NULL);
	p.max_conns = 64;
	p.msl_ms = 100;
	if (tune)
		tune(&p);
	node = tt_node_new(&p);
	ck_assert_ptr_nonnull(node);
	K = tcp_stack_counters(node->s);
	tt_learn_peers(node);
	ck_assert_int_eq(tcp_listen(node->s, TT_IP_US, LPORT, &app_cb, app), 0);
}

static void
setup(void)
{
	tt_eal_init();
	avail0 = tt_pool_avail();
	app = calloc(1, sizeof(*app));
	node = NULL;
}

static void
teardown(void)
{
	tt_node_free(node);
	node = NULL;
	free(app);
	ck_assert_uint_eq(tt_pool_avail(), avail0);
}

static void
psend_at(struct peer *pp, uint32_t seq, uint8_t flags, const void *d,
	 uint32_t len, uint32_t tsval)
{
	uint8_t o[40];
	uint8_t ol = 0;

	if (pp->ts)
		ol = tt_ts_opt(o, tsval, pp->tsecr);
	tt_input(node, tt_tcp(&(struct tt_seg){
		.sip = pp->ip, .sport = pp->port, .dport = LPORT, .seq = seq,
		.ack = pp->ack, .flags = flags, .win = pp->win, .opts = o,
		.optlen = ol, .data = d, .len = len }));
}

/* Send at pp->seq and advance it. */
static void
psend(struct peer *pp, uint8_t flags, const void *d, uint32_t len)
{
	psend_at(pp, pp->seq, flags, d, len, ++pp->tsval);
	pp->seq += len + !!(flags & TH_FIN);
}

static struct rte_mbuf *
pseg(struct peer *pp, uint32_t seq, uint8_t flags, const void *d, uint32_t len,
     const uint8_t *extra, uint8_t extra_len)
{
	uint8_t o[40];
	uint8_t ol = 0;

	if (pp->ts)
		ol = tt_ts_opt(o, ++pp->tsval, pp->tsecr);
	if (extra_len)
		memcpy(o + ol, extra, extra_len);
	ol += extra_len;
	return tt_tcp(&(struct tt_seg){
		.sip = pp->ip, .sport = pp->port, .dport = LPORT, .seq = seq,
		.ack = pp->ack, .flags = flags, .win = pp->win, .opts = o,
		.optlen = ol, .data = d, .len = len });
}

/* Take the next TCP frame from the stack, check it, track TS. */
static bool
ptake(struct peer *pp, struct tt_pkt *p)
{
	if (!tt_take_tcp(node, p))
		return false;
	ck_assert(p->ip_cksum_ok);
	ck_assert(p->l4_cksum_ok);
	if (p->has_ts)
		pp->tsecr = p->tsval;
	return true;
}

static void
peer_init(struct peer *pp, bool ts, bool sack)
{
	memset(pp, 0, sizeof(*pp));
	pp->ip = TT_IP_PEER;
	pp->port = PPORT;
	pp->seq = PISN;
	pp->ts = ts;
	pp->sack = sack;
	pp->tsval = 5000;
	pp->win = 65535;
}

/* Passive open; returns our ISS. ws < 0: no window scale. */
static uint32_t
accept_one(struct peer *pp, int ws)
{
	uint8_t o[40];
	uint8_t ol = tt_syn_opts(o, 1460, ws, pp->sack, pp->ts, ++pp->tsval, 0);
	struct tt_pkt p;
	uint32_t iss;

	tt_input(node, tt_tcp(&(struct tt_seg){
		.sip = pp->ip, .sport = pp->port, .dport = LPORT, .seq = pp->seq,
		.flags = TH_SYN, .win = 65535, .opts = o, .optlen = ol }));
	ck_assert(ptake(pp, &p));
	ck_assert_uint_eq(p.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(p.ack, pp->seq + 1);
	ck_assert_int_eq(p.mss, 1460);
	ck_assert(ws >= 0 ? p.ws >= 0 : p.ws == -1);
	ck_assert(p.sackp == pp->sack);
	ck_assert(p.has_ts == pp->ts);
	if (pp->ts)
		ck_assert_uint_eq(p.tsecr, pp->tsval);
	iss = p.seq;
	pp->seq++;
	pp->ack = iss + 1;
	psend(pp, TH_ACK, NULL, 0);
	ck_assert_int_eq(app->accepted, 1);
	ck_assert_ptr_nonnull(app->conn);
	return iss;
}

/* ------------------------------------------------------------- tests */

START_TEST(passive_handshake)
{
	struct peer pp;
	struct tcp_conn_info ci;

	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	ck_assert_int_eq(tcp_conn_info(app->conn, &ci), 0);
	ck_assert_int_eq(ci.state, TCP_ESTABLISHED);
	ck_assert_uint_eq(ci.snd_wscale, 7);
	ck_assert_uint_eq(ci.rcv_wscale, 1); /* 65536 rcvbuf */
	ck_assert(ci.sack_ok && ci.ts_ok);
	ck_assert_uint_eq(ci.mss, 1460);
	ck_assert_uint_eq(ci.snd_wnd, 65535u << 7);
	ck_assert_uint_eq(K->tcp_accepted, 1);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 1);
	ck_assert_uint_le(tcp_conn_state_size(), 4096);
	printf("sizeof(struct tcp_conn) = %zu, sizeof(struct tcp_stack) = %zu\n",
	       tcp_conn_state_size(), sizeof(struct tcp_stack));
	/* no options at all: RFC defaults */
	{
		struct peer p2;
		struct tt_pkt p;

		peer_init(&p2, false, false);
		p2.port = PPORT + 1;
		tt_input(node, tt_tcp(&(struct tt_seg){ .sport = p2.port,
			.dport = LPORT, .seq = 77, .flags = TH_SYN, .win = 1000 }));
		ck_assert(ptake(&p2, &p));
		ck_assert_int_eq(p.ws, -1);
		ck_assert(!p.sackp && !p.has_ts);
	}
}
END_TEST

static bool
even_ports(void *ctx, uint32_t lip, uint16_t lport, uint32_t rip, uint16_t rport)
{
	(void)ctx;
	(void)lip;
	(void)rip;
	(void)rport;
	return (lport & 1) == 0;
}

static void
tune_even(struct tcp_stack_params *p)
{
	p->port_ok = even_ports;
}

START_TEST(active_handshake)
{
	struct tt_pkt p;
	struct tcp_conn *c;
	struct peer pp;
	uint8_t o[40], ol;
	struct tcp_conn_info ci;

	node_up(tune_even);
	c = tcp_connect(node->s, 0, TT_IP_FAR, 25, &app_cb, app);
	ck_assert_ptr_nonnull(c);
	ck_assert(tt_take_tcp(node, &p));
	ck_assert_uint_eq(p.flags, TH_SYN);
	ck_assert(rte_is_same_ether_addr(&p.dst, &tt_mac_gw)); /* via gateway */
	ck_assert_uint_eq(p.sport % 2, 0);
	ck_assert_uint_ge(p.sport, 32768);
	ck_assert_int_eq(p.mss, 1460);
	ck_assert(p.sackp && p.has_ts && p.ws == 1);
	peer_init(&pp, true, true);
	pp.ip = TT_IP_FAR;
	ol = tt_syn_opts(o, 1400, 2, true, true, 900, p.tsval);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sip = TT_IP_FAR, .sport = 25,
		.dport = p.sport, .seq = 5000, .ack = p.seq + 1,
		.flags = TH_SYN | TH_ACK, .win = 30000, .opts = o, .optlen = ol }));
	ck_assert_int_eq(app->connected, 1);
	ck_assert(tt_take_tcp(node, &p));
	ck_assert_uint_eq(p.flags, TH_ACK);
	ck_assert_uint_eq(p.ack, 5001);
	ck_assert_uint_eq(p.tsecr, 900);
	tcp_conn_info(c, &ci);
	ck_assert_int_eq(ci.state, TCP_ESTABLISHED);
	ck_assert_uint_eq(ci.mss, 1400);
	ck_assert_uint_eq(ci.snd_wscale, 2);
	ck_assert_uint_eq(K->tcp_connected, 1);
	tcp_abort(c);
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_ABORTED);
	ck_assert(tt_take_tcp(node, &p));
	ck_assert(p.flags & TH_RST);
}
END_TEST

START_TEST(simultaneous_open)
{
	struct tt_pkt p;
	struct tcp_conn *c;
	uint8_t o[40], ol;

	node_up(NULL);
	c = tcp_connect(node->s, 0, TT_IP_PEER, 25, &app_cb, app);
	ck_assert(tt_take_tcp(node, &p));
	/* the peer's own SYN crosses ours */
	ol = tt_syn_opts(o, 1460, 3, true, true, 700, 0);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 25, .dport = p.sport,
		.seq = 9000, .flags = TH_SYN, .win = 65535, .opts = o,
		.optlen = ol }));
	ck_assert(tt_take_tcp(node, &p));
	ck_assert_uint_eq(p.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(p.ack, 9001);
	ck_assert_int_eq(app->connected, 0);
	tt_ts_opt(o, 701, p.tsval);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 25, .dport = p.sport,
		.seq = 9001, .ack = p.seq + 1, .flags = TH_ACK, .win = 65535,
		.opts = o, .optlen = 12 }));
	ck_assert_int_eq(app->connected, 1);
	ck_assert_int_eq(app->accepted, 0);
	ck_assert_ptr_eq(app->conn, c);
	tcp_abort(c);
}
END_TEST

START_TEST(connect_refused_and_syn_retries)
{
	struct tt_pkt p;
	struct tcp_conn *c;
	uint64_t t0;
	int syns = 0;

	node_up(NULL);
	c = tcp_connect(node->s, 0, TT_IP_PEER, 25, &app_cb, app);
	ck_assert(tt_take_tcp(node, &p));
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 25, .dport = p.sport,
		.seq = 0, .ack = p.seq + 1, .flags = TH_RST | TH_ACK }));
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_REFUSED);
	(void)c;
	/* unanswered: SYN retransmitted with backoff 1,2,4,8,16 s then TIMEOUT */
	c = tcp_connect(node->s, 0, TT_IP_PEER, 25, &app_cb, app);
	ck_assert(tt_take_tcp(node, &p));
	t0 = node->now_us;
	for (int i = 0; i < 70; i++) {
		tt_advance(node, 1000);
		while (tt_take_tcp(node, &p)) {
			ck_assert_uint_eq(p.flags, TH_SYN);
			syns++;
			if (syns == 1)
				ck_assert_uint_eq(node->now_us - t0, 1000000);
			if (syns == 2)
				ck_assert_uint_eq(node->now_us - t0, 3000000);
		}
	}
	ck_assert_int_eq(syns, 5);
	ck_assert_int_eq(app->closed, 2);
	ck_assert_int_eq(app->reason, TCP_CLOSE_TIMEOUT);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 0);
}
END_TEST

START_TEST(delayed_and_coalesced_ack)
{
	struct peer pp;
	struct tt_pkt p;
	char d[3000];
	struct rte_mbuf *ms[3];

	for (int i = 0; i < 3000; i++)
		d[i] = (char)(i * 7);
	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	psend(&pp, TH_ACK, d, 100);
	ck_assert_uint_eq(app->rx_len, 100);
	ck_assert_uint_eq(tt_pending(node), 0);
	tt_advance(node, 39);
	ck_assert_uint_eq(tt_pending(node), 0);
	tt_advance(node, 2);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_uint_eq(K->tcp_delayed_acks, 1);
	/* three segments in one burst: exactly one ACK */
	for (int i = 0; i < 3; i++) {
		ms[i] = pseg(&pp, pp.seq, TH_ACK, d + 100 + i * 900, 900, NULL, 0);
		pp.seq += 900;
	}
	tcp_stack_input(node->s, ms, 3);
	ck_assert_uint_eq(tt_pending(node), 1);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_uint_eq(app->rx_len, 2800);
	ck_assert_mem_eq(app->rx, d, 2800);
}
END_TEST

/* The receiver's ACK policy (RFC 9293 §3.8.6.3, RFC 5681 §4.2): quick ACKs
 * for full segments at the start, then every second segment, a lone small
 * segment delayed, PSH, holes and gap fills at once, one ACK per burst. */
START_TEST(ack_policy_rules)
{
	static char d[16 * 1448];
	struct peer pp;
	struct tt_pkt p;
	struct rte_mbuf *ms[5];
	uint32_t hole;

	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	/* quick-ACK mode: each lone full-sized segment is ACKed */
	for (int i = 0; i < 16; i++) {
		psend(&pp, TH_ACK, d, 1448);
		ck_assert_uint_eq(tt_pending(node), 1);
		ck_assert(ptake(&pp, &p));
		ck_assert_uint_eq(p.ack, pp.seq);
	}
	/* then: the first of two waits, the second is ACKed at once */
	psend(&pp, TH_ACK, d, 1448);
	ck_assert_uint_eq(tt_pending(node), 0);
	psend(&pp, TH_ACK, d, 1448);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_uint_eq(tt_pending(node), 0);
	/* a lone small segment waits for the timer */
	psend(&pp, TH_ACK, d, 100);
	ck_assert_uint_eq(tt_pending(node), 0);
	tt_advance(node, 41);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	/* PSH: at once */
	psend(&pp, TH_ACK | TH_PSH, d, 10);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	/* a burst of five: one ACK at its end, none later */
	for (int i = 0; i < 5; i++) {
		ms[i] = pseg(&pp, pp.seq, TH_ACK, d, 1448, NULL, 0);
		pp.seq += 1448;
	}
	tcp_stack_input(node->s, ms, 5);
	ck_assert_uint_eq(tt_pending(node), 1);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	tt_advance(node, 100);
	ck_assert_uint_eq(tt_pending(node), 0);
	/* out of order: a duplicate ACK with SACK at once */
	hole = pp.seq;
	psend_at(&pp, hole + 1448, TH_ACK, d, 1448, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, hole);
	ck_assert_int_eq(p.n_sack, 1);
	/* the gap filler: ACKed at once, covering both */
	psend_at(&pp, hole, TH_ACK, d, 1448, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, hole + 2 * 1448);
	ck_assert_uint_eq(app->rx_len, 16 * 1448 + 2 * 1448 + 110 + 7 * 1448);
}
END_TEST

static void
tune_tiny_rcv(struct tcp_stack_params *p)
{
	p->rcvbuf = 2000;
}

/* A lone small segment that leaves the peer less than two segments of
 * window is ACKed at once when the application freed the room (a window
 * update is due), and waits when the application still holds the bytes. */
START_TEST(ack_policy_window_update)
{
	static char d[1000];
	struct peer pp;
	struct tt_pkt p;

	node_up(tune_tiny_rcv);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	psend(&pp, TH_ACK, d, 1000);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	app->hold = true;
	psend(&pp, TH_ACK, d, 1000);
	ck_assert_uint_eq(tt_pending(node), 0);
	tt_advance(node, 41);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
}
END_TEST

/* Receive-buffer budget against a small mempool: with less than a quarter
 * free no new window is offered and out-of-order data is not kept; in the
 * last sixteenth data is not held at all (but ACKed); once mbufs come back
 * the window opens again. */
START_TEST(mbuf_budget_small_pool)
{
	static char d[1448];
	struct rte_mempool *small;
	struct rte_mbuf *hog[512];
	unsigned n_hog = 0;
	struct tcp_stack_params sp;
	struct peer pp;
	struct tt_pkt p;
	uint32_t edge, rx;

	small = rte_pktmbuf_pool_create("tt_small", 512, 0, 0,
					RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	ck_assert_ptr_nonnull(small);
	tt_params(&sp, NULL);
	sp.pool = small;
	sp.max_conns = 8;
	node = tt_node_new(&sp);
	ck_assert_ptr_nonnull(node);
	K = tcp_stack_counters(node->s);
	tt_learn_peers(node);
	ck_assert_int_eq(tcp_listen(node->s, TT_IP_US, LPORT, &app_cb, app), 0);
	peer_init(&pp, true, true);
	accept_one(&pp, -1); /* no window scaling: p.win is in bytes */
	app->hold = true;
	psend(&pp, TH_ACK | TH_PSH, d, 1000);
	ck_assert(ptake(&pp, &p));
	edge = p.ack + p.win;
	/* leave less than a quarter of the pool free */
	while (rte_mempool_avail_count(small) >= 512 / 4 - 4)
		hog[n_hog++] = rte_pktmbuf_alloc(small);
	tt_advance(node, 1); /* the stack reads the pool at most every 100 us */
	app->hold = false;
	tcp_recv_done(app->conn, 1000);
	psend(&pp, TH_ACK | TH_PSH, d, 1000);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_uint_eq(p.ack + p.win, edge); /* not opened, not shrunk */
	ck_assert_uint_gt(K->pool_tight, 0);
	/* out of order: not kept */
	psend_at(&pp, pp.seq + 1000, TH_ACK, d, 1000, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_int_eq(p.n_sack, 0);
	ck_assert_uint_eq(K->drop_tcp_pool_reserve, 1);
	/* the last reserve: in-order data is freed too, the ACK goes out */
	while (rte_mempool_avail_count(small) >= 512 / 16 - 2)
		hog[n_hog++] = rte_pktmbuf_alloc(small);
	tt_advance(node, 1);
	rx = app->rx_len;
	psend_at(&pp, pp.seq, TH_ACK, d, 1000, ++pp.tsval);
	ck_assert_uint_eq(app->rx_len, rx);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_uint_eq(K->drop_tcp_pool_reserve, 2);
	/* mbufs back: the same segment is taken and the window opens */
	rte_pktmbuf_free_bulk(hog, n_hog);
	tt_advance(node, 1);
	psend(&pp, TH_ACK | TH_PSH, d, 1000);
	ck_assert_uint_eq(app->rx_len, rx + 1000);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_uint_gt(p.ack + p.win, edge);
	tt_node_free(node);
	node = NULL;
	ck_assert_uint_eq(rte_mempool_avail_count(small), 512);
	rte_mempool_free(small);
}
END_TEST

/* With our window closed, a pure ACK whose sequence number lies beyond
 * rcv_nxt (the peer sent bytes we dropped) still acknowledges our data
 * (RFC 9293: accept valid ACKs with a zero window); and our own pure ACKs
 * never carry a sequence number beyond the peer's window. */
static void
tune_rcv_4k(struct tcp_stack_params *p)
{
	p->rcvbuf = 4096;
}

START_TEST(zero_window_still_takes_acks)
{
	static uint8_t d[8000];
	struct peer pp;
	struct tt_pkt p;
	uint32_t iss;
	struct tcp_conn_info ci;

	node_up(tune_rcv_4k);
	peer_init(&pp, true, true);
	app->hold = true;
	iss = accept_one(&pp, 7);
	psend(&pp, TH_ACK, d, 1400);
	psend(&pp, TH_ACK, d, 1400);
	psend(&pp, TH_ACK | TH_PSH, d, 1296);
	while (ptake(&pp, &p))
		;
	ck_assert_uint_eq(p.win, 0);
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 1000), 1000);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.len, 1000);
	/* the peer ACKs it with seq beyond our (zero) window */
	pp.ack = iss + 1 + 1000;
	psend_at(&pp, pp.seq + 500, TH_ACK, NULL, 0, ++pp.tsval);
	tcp_conn_info(app->conn, &ci);
	ck_assert_uint_eq(ci.snd_una, iss + 1 + 1000);
	tt_drain(node);
	/* our side: window 0 from the peer, bytes beyond it not in our ACKs */
	pp.win = 0;
	psend_at(&pp, pp.seq, TH_ACK, NULL, 0, ++pp.tsval);
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 100), 100);
	tt_drain(node);
	app->hold = false;
	tcp_recv_done(app->conn, 4096);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.flags & TH_ACK, TH_ACK);
	ck_assert_uint_eq(p.len, 0);
	ck_assert_uint_eq(p.seq, iss + 1 + 1000);
}
END_TEST

START_TEST(out_of_order_overlap_sack)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[5000];
	uint32_t b;

	for (int i = 0; i < 5000; i++)
		d[i] = (uint8_t)(i * 31 + 3);
	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	b = pp.seq;
	psend_at(&pp, b + 1000, TH_ACK, d + 1000, 1000, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, b);
	ck_assert_int_eq(p.n_sack, 1);
	ck_assert_uint_eq(p.sack[0][0], b + 1000);
	ck_assert_uint_eq(p.sack[0][1], b + 2000);
	psend_at(&pp, b + 3000, TH_ACK, d + 3000, 1000, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_int_eq(p.n_sack, 2);
	ck_assert_uint_eq(p.sack[0][0], b + 3000); /* latest first */
	ck_assert_uint_eq(p.sack[1][0], b + 1000);
	/* overlapping both held blocks: merged into one */
	psend_at(&pp, b + 1500, TH_ACK, d + 1500, 2000, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_int_eq(p.n_sack, 1);
	ck_assert_uint_eq(p.sack[0][0], b + 1000);
	ck_assert_uint_eq(p.sack[0][1], b + 4000);
	ck_assert_uint_eq(app->rx_len, 0);
	/* the hole, overlapping the held data: everything delivered */
	psend_at(&pp, b, TH_ACK, d, 1200, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, b + 4000);
	ck_assert_int_eq(p.n_sack, 0);
	ck_assert_uint_eq(app->rx_len, 4000);
	ck_assert_mem_eq(app->rx, d, 4000);
	/* an old duplicate: ACKed, not delivered */
	psend_at(&pp, b + 500, TH_ACK, d + 500, 500, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, b + 4000);
	ck_assert_uint_eq(app->rx_len, 4000);
	ck_assert_uint_ge(K->tcp_ooo_segments, 3);
	{
		struct tcp_conn_info ci;

		tcp_conn_info(app->conn, &ci);
		ck_assert_uint_eq(ci.ooo_bytes, 0);
	}
}
END_TEST

static void
tune_small_reass(struct tcp_stack_params *p)
{
	p->reass_per_conn = 2000;
}

START_TEST(fin_beyond_a_hole)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[2000];
	uint32_t b;

	for (int i = 0; i < 2000; i++)
		d[i] = (uint8_t)(i * 3);
	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	b = pp.seq;
	psend_at(&pp, b + 1000, TH_ACK | TH_FIN, d + 1000, 1000, ++pp.tsval);
	ck_assert_int_eq(app->peer_fin, 0);
	tt_drain(node);
	psend_at(&pp, b, TH_ACK, d, 1000, ++pp.tsval);
	ck_assert_uint_eq(app->rx_len, 2000);
	ck_assert_mem_eq(app->rx, d, 2000);
	ck_assert_int_eq(app->peer_fin, 1);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, b + 2001); /* data and FIN */
}
END_TEST

START_TEST(ooo_memory_bound)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[20000];
	uint32_t b;

	node_up(tune_small_reass);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	b = pp.seq;
	for (int i = 1; i <= 5; i++)
		psend_at(&pp, b + i * 2000, TH_ACK, d, 1000, ++pp.tsval);
	tt_drain(node);
	ck_assert_uint_eq(K->drop_tcp_ooo_limit, 3);
	/* 9 separate blocks > TCP_OOO_MAX: counted drops, never more memory */
	{
		struct tcp_conn_info ci;

		tcp_conn_info(app->conn, &ci);
		ck_assert_uint_le(ci.ooo_bytes, 2000);
	}
	psend_at(&pp, b, TH_ACK, d, 1000, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(app->rx_len, 1000);
}
END_TEST

/* tcp_send_copy() keeps one segment's payload per mbuf, and after a short
 * segment went out with the end of the queue (the sender caught up with the
 * application) new bytes start a new mbuf: every segment is then one
 * payload piece, whose sum was cached when the bytes were copied. */
START_TEST(send_copy_segments_follow_mbufs)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[9000], got[9000];
	static const uint32_t want[] = { 1000, 1448, 1448, 1104, 1448, 1448, 104 };
	uint32_t iss, off = 0;
	unsigned n = 0;

	for (int i = 0; i < 9000; i++)
		d[i] = (uint8_t)(i * 7 + 3);
	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 1000), 1000); /* a short segment */
	ck_assert_int_eq(tcp_send_copy(app->conn, d + 1000, 4000), 4000);
	ck_assert_int_eq(tcp_send_copy(app->conn, d + 5000, 3000), 3000);
	while (ptake(&pp, &p)) {
		if (p.len == 0)
			continue;
		ck_assert_uint_lt(n, sizeof(want) / sizeof(want[0]));
		ck_assert_uint_eq(p.seq, iss + 1 + off);
		ck_assert_uint_eq(p.len, want[n]);
		ck_assert_uint_eq(p.nb_segs, 2); /* header + one mbuf of payload */
		ck_assert(p.l4_cksum_ok);
		memcpy(got + off, p.payload, p.len);
		off += p.len;
		n++;
	}
	ck_assert_uint_eq(n, sizeof(want) / sizeof(want[0]));
	ck_assert_uint_eq(off, 8000);
	ck_assert_mem_eq(got, d, 8000);
}
END_TEST

START_TEST(send_copy_and_chain)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[6000], got[6000];
	uint32_t iss, off = 0;
	struct rte_mbuf *a, *b2;
	bool chained = false;

	for (int i = 0; i < 6000; i++)
		d[i] = (uint8_t)(i * 11 + 1);
	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 4000), 4000);
	/* zero copy: a two-segment chain */
	a = rte_pktmbuf_alloc(tt_pool());
	b2 = rte_pktmbuf_alloc(tt_pool());
	memcpy(rte_pktmbuf_append(a, 1000), d + 4000, 1000);
	memcpy(rte_pktmbuf_append(b2, 1000), d + 5000, 1000);
	ck_assert_int_eq(rte_pktmbuf_chain(a, b2), 0);
	ck_assert_int_eq(tcp_send(app->conn, a), 0);
	while (ptake(&pp, &p)) {
		ck_assert_uint_eq(p.seq, iss + 1 + off);
		ck_assert_uint_le(p.len, 1448);
		memcpy(got + off, p.payload, p.len);
		off += p.len;
		if (p.nb_segs > 1)
			chained = true;
	}
	ck_assert_uint_eq(off, 6000);
	ck_assert_mem_eq(got, d, 6000);
	ck_assert(chained);
	pp.ack = iss + 1 + 6000;
	psend(&pp, TH_ACK, NULL, 0);
	{
		struct tcp_conn_info ci;

		tcp_conn_info(app->conn, &ci);
		ck_assert_uint_eq(ci.snd_queued, 0);
		ck_assert_uint_eq(ci.snd_una, iss + 6001);
	}
	/* send buffer bound: 64 KiB */
	{
		static uint8_t big[70000];

		ck_assert_int_eq(tcp_send_copy(app->conn, big, sizeof(big)), 65536);
		ck_assert_uint_eq(tcp_send_space(app->conn), 0);
		tt_drain(node);
		pp.ack = iss + 1 + 6000 + 14480;
		psend(&pp, TH_ACK, NULL, 0);
		ck_assert_int_eq(app->writable, 1);
		ck_assert_uint_eq(tcp_send_space(app->conn), 14480);
	}
}
END_TEST

static void
tune_retries(struct tcp_stack_params *p)
{
	p->max_retries = 3;
}

START_TEST(rto_backoff_and_timeout)
{
	struct peer pp;
	struct tt_pkt p;
	uint64_t last, gaps[5];
	int n = 0;
	uint32_t iss;

	node_up(tune_retries);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	ck_assert_int_eq(tcp_send_copy(app->conn, "hello", 5), 5);
	ck_assert(ptake(&pp, &p));
	last = node->now_us;
	for (int i = 0; i < 400 && n < 5; i++) {
		tt_advance(node, 5);
		if (ptake(&pp, &p)) {
			if (p.flags & TH_RST)
				break;
			ck_assert_uint_eq(p.seq, iss + 1);
			ck_assert_uint_eq(p.len, 5);
			gaps[n++] = node->now_us - last;
			last = node->now_us;
		}
	}
	/* a tail loss probe (2 SRTT + 50 ms for a lone segment), then RTOs
	 * from the 200 ms floor, doubling */
	ck_assert_int_eq(n, 4);
	ck_assert_uint_eq(K->tcp_tlp_probes, 1);
	ck_assert_uint_ge(gaps[0], 50000);
	ck_assert_uint_le(gaps[0], 65000);
	ck_assert_uint_ge(gaps[1], 200000);
	ck_assert_uint_le(gaps[1], 210000);
	ck_assert_uint_ge(gaps[2], 2 * gaps[1] - 10000);
	ck_assert_uint_ge(gaps[3], 2 * gaps[2] - 10000);
	tt_advance(node, 3000);
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_TIMEOUT);
	ck_assert_uint_eq(K->tcp_rto_timeouts, 3);
	ck_assert_uint_ge(K->tcp_rst_tx, 1);
}
END_TEST

static void
fast_rexmit(bool sack)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[20000];
	uint32_t iss, base, mss = 1448;
	uint8_t so[12];

	node_up(NULL);
	peer_init(&pp, true, sack);
	iss = accept_one(&pp, 7);
	base = iss + 1;
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 10 * mss), 10 * mss);
	for (int i = 0; i < 10; i++) {
		ck_assert(ptake(&pp, &p));
		ck_assert_uint_eq(p.seq, base + i * mss);
	}
	/* segment 0 acked, 1 lost, 2..4 arrive: three duplicate ACKs */
	pp.ack = base + mss;
	psend(&pp, TH_ACK, NULL, 0);
	for (int k = 2; k <= 4; k++) {
		so[0] = 1;
		so[1] = 1;
		so[2] = 5;
		so[3] = 10;
		for (int j = 0; j < 4; j++) {
			so[4 + j] = (uint8_t)((base + 2 * mss) >> (24 - 8 * j));
			so[8 + j] = (uint8_t)((base + (k + 1) * mss) >> (24 - 8 * j));
		}
		tt_input(node, pseg(&pp, pp.seq, TH_ACK, NULL, 0, so, sack ? 12 : 0));
	}
	ck_assert_uint_eq(K->tcp_fast_retransmits, 1);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.seq, base + mss);
	ck_assert_uint_eq(p.len, mss);
	if (sack)
		ck_assert_uint_ge(K->tcp_sack_retransmits, 1);
	tt_drain(node);
	/* everything acked: recovery over, nothing outstanding */
	pp.ack = base + 10 * mss;
	psend(&pp, TH_ACK, NULL, 0);
	{
		struct tcp_conn_info ci;

		tcp_conn_info(app->conn, &ci);
		ck_assert_uint_eq(ci.snd_una, ci.snd_nxt);
		ck_assert_uint_ge(ci.cwnd, 2 * mss);
		ck_assert_uint_lt(ci.ssthresh, 0x7fffffff);
	}
	ck_assert_uint_eq(K->tcp_rto_timeouts, 0);
}

START_TEST(rto_resend_skips_sacked)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[20000];
	uint32_t iss, base, mss = 1448;
	uint8_t so[12] = { 1, 1, 5, 10 };
	bool saw_sacked = false, resumed = false;

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	base = iss + 1;
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 10 * mss), 10 * mss);
	tt_drain(node);
	/* one duplicate ACK: segments 2..4 arrived, 0 and 1 did not */
	for (int j = 0; j < 4; j++) {
		so[4 + j] = (uint8_t)((base + 2 * mss) >> (24 - 8 * j));
		so[8 + j] = (uint8_t)((base + 5 * mss) >> (24 - 8 * j));
	}
	pp.ack = base;
	tt_input(node, pseg(&pp, pp.seq, TH_ACK, NULL, 0, so, 12));
	tt_advance(node, 1000); /* probe, then the RTO resends segment 0 */
	ck_assert_uint_ge(K->tcp_rto_timeouts, 1);
	tt_drain(node);
	pp.ack = base + 2 * mss;
	tt_input(node, pseg(&pp, pp.seq, TH_ACK, NULL, 0, so, 12));
	while (ptake(&pp, &p)) {
		if (p.seq >= base + 2 * mss && p.seq < base + 5 * mss)
			saw_sacked = true;
		if (p.seq == base + 5 * mss && p.len == mss)
			resumed = true;
	}
	ck_assert(!saw_sacked);
	ck_assert(resumed);
}
END_TEST

START_TEST(spurious_rto_undone)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[20000];
	uint32_t iss, base, mss = 1448, old_ts;
	struct tcp_conn_info before, after;
	int resent = 0;

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	base = iss + 1;
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 10 * mss), 10 * mss);
	ck_assert(ptake(&pp, &p));
	old_ts = p.tsval; /* the original transmission's timestamp */
	tt_drain(node);
	tcp_conn_info(app->conn, &before);
	tt_advance(node, 300); /* probe, then the RTO resends segment 0 */
	ck_assert_uint_eq(K->tcp_rto_timeouts, 1);
	tt_drain(node);
	/* the ACK of the original segments arrives late: echoes old_ts */
	pp.tsecr = old_ts;
	pp.ack = base + 5 * mss;
	psend(&pp, TH_ACK, NULL, 0);
	ck_assert_uint_eq(K->tcp_spurious_rto, 1);
	tcp_conn_info(app->conn, &after);
	ck_assert_uint_ge(after.cwnd, before.cwnd); /* restored, then grown */
	/* RFC 4015 §4: the estimator restarts from the late ACK's sample
	 * (~250 ms), so the next RTO is about three of them, not 200 ms */
	ck_assert_uint_ge(after.srtt_us, 200000);
	ck_assert_uint_ge(after.rto_ms, 600);
	ck_assert_uint_eq(after.snd_nxt, base + 10 * mss);
	/* no go-back-N: nothing below snd_max is sent again */
	while (ptake(&pp, &p))
		if (p.len && p.seq < base + 10 * mss)
			resent++;
	ck_assert_int_eq(resent, 0);
}
END_TEST

START_TEST(dsack_is_not_a_dupack)
{
	struct peer pp;
	static uint8_t d[20000];
	uint32_t iss, base, mss = 1448;
	uint8_t so[12] = { 1, 1, 5, 10 };

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	base = iss + 1;
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 10 * mss), 10 * mss);
	tt_drain(node);
	pp.ack = base + 2 * mss;
	psend(&pp, TH_ACK, NULL, 0);
	/* three ACKs reporting a duplicate of segment 0 (RFC 2883 D-SACK) */
	for (int j = 0; j < 4; j++) {
		so[4 + j] = (uint8_t)(base >> (24 - 8 * j));
		so[8 + j] = (uint8_t)((base + mss) >> (24 - 8 * j));
	}
	for (int k = 0; k < 3; k++)
		tt_input(node, pseg(&pp, pp.seq, TH_ACK, NULL, 0, so, 12));
	ck_assert_uint_eq(K->tcp_dup_acks_rx, 0);
	ck_assert_uint_eq(K->tcp_fast_retransmits, 0);
	ck_assert_uint_eq(tt_pending(node), 0);
}
END_TEST

START_TEST(fast_retransmit_sack)
{
	fast_rexmit(true);
}
END_TEST

START_TEST(fast_retransmit_newreno)
{
	fast_rexmit(false);
}
END_TEST

START_TEST(zero_window_persist)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[3000];
	uint32_t iss;
	int probes = 0;

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 0);
	pp.win = 0;
	psend(&pp, TH_ACK, NULL, 0); /* window closes */
	ck_assert_int_eq(tcp_send_copy(app->conn, d, 3000), 3000);
	ck_assert_uint_eq(tt_pending(node), 0);
	for (int i = 0; i < 150; i++) {
		tt_advance(node, 10);
		while (ptake(&pp, &p)) {
			ck_assert_uint_eq(p.len, 0);
			ck_assert_uint_eq(p.seq, iss); /* snd_una - 1 */
			probes++;
		}
	}
	ck_assert_int_ge(probes, 2);
	ck_assert_uint_eq(K->tcp_zero_window_probes, (uint64_t)probes);
	/* window opens: data flows */
	pp.win = 65535;
	psend(&pp, TH_ACK, NULL, 0);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.seq, iss + 1);
	ck_assert_uint_gt(p.len, 0);
}
END_TEST

static void
tune_small_rcv(struct tcp_stack_params *p)
{
	p->rcvbuf = 4096;
}

START_TEST(receive_window_closes_and_reopens)
{
	struct peer pp;
	struct tt_pkt p;
	static uint8_t d[8000];

	node_up(tune_small_rcv);
	peer_init(&pp, true, true);
	app->hold = true;
	accept_one(&pp, 7);
	psend(&pp, TH_ACK, d, 1400);
	psend(&pp, TH_ACK, d, 1400);
	psend(&pp, TH_ACK, d, 1296);
	tt_advance(node, 50); /* delayed ACK */
	while (ptake(&pp, &p))
		;
	ck_assert_uint_eq(p.win, 0);
	ck_assert_uint_eq(p.ack, pp.seq);
	/* beyond the window: dropped, ACKed with window 0 */
	psend_at(&pp, pp.seq, TH_ACK, d, 100, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.win, 0);
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_uint_eq(app->rx_len, 4096);
	ck_assert_uint_ge(K->drop_tcp_out_of_window, 1);
	/* the application catches up: window update */
	tcp_recv_done(app->conn, 4096);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.flags, TH_ACK);
	ck_assert_uint_eq((uint32_t)p.win, 4096u >> 0);
}
END_TEST

static void
tune_keepalive(struct tcp_stack_params *p)
{
	p->keepalive_idle_ms = 1000;
	p->keepalive_intvl_ms = 500;
	p->keepalive_probes = 3;
}

START_TEST(keepalive_probe_and_timeout)
{
	struct peer pp;
	struct tt_pkt p;
	int probes = 0;

	node_up(tune_keepalive);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	tt_advance(node, 1005);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.seq, pp.ack - 1);
	ck_assert_uint_eq(p.len, 0);
	/* answered: back to idle */
	psend(&pp, TH_ACK, NULL, 0);
	tt_advance(node, 900);
	ck_assert_uint_eq(tt_pending(node), 0);
	tt_advance(node, 3000);
	while (ptake(&pp, &p))
		probes++;
	ck_assert_int_eq(probes, 3);
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_TIMEOUT);
	ck_assert_uint_eq(K->tcp_keepalive_probes, 4);
}
END_TEST

START_TEST(active_close_time_wait_reuse)
{
	struct peer pp;
	struct tt_pkt p;
	uint32_t iss;
	uint8_t o[40], ol;

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	ck_assert_int_eq(tcp_close(app->conn), 0);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.flags, TH_FIN | TH_ACK);
	ck_assert_uint_eq(p.seq, iss + 1);
	pp.ack = iss + 2;
	psend(&pp, TH_ACK | TH_FIN, NULL, 0);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.flags, TH_ACK);
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_NORMAL);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 1); /* TIME_WAIT */
	/* old SYN (lower timestamp): just an ACK */
	ol = tt_syn_opts(o, 1460, 7, true, true, 10, 0);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = PPORT, .dport = LPORT,
		.seq = 1, .flags = TH_SYN, .win = 100, .opts = o, .optlen = ol }));
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.flags, TH_ACK);
	ck_assert_uint_eq(K->tcp_timewait_reused, 0);
	/* RST in TIME_WAIT ignored (RFC 1337) */
	psend(&pp, TH_RST, NULL, 0);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 1);
	/* newer timestamp: the tuple is reused */
	ol = tt_syn_opts(o, 1460, 7, true, true, pp.tsval + 100, 0);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = PPORT, .dport = LPORT,
		.seq = 1, .flags = TH_SYN, .win = 100, .opts = o, .optlen = ol }));
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(K->tcp_timewait_reused, 1);
	/* unanswered SYN-ACKs give up after 63 s; then nothing is left */
	tt_advance(node, 70000);
	tt_drain(node);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 0);
}
END_TEST

START_TEST(time_wait_expires)
{
	struct peer pp;
	struct tt_pkt p;
	uint32_t iss;

	node_up(NULL);
	peer_init(&pp, false, false);
	iss = accept_one(&pp, -1);
	tcp_close(app->conn);
	ck_assert(ptake(&pp, &p));
	pp.ack = iss + 2;
	psend(&pp, TH_ACK | TH_FIN, NULL, 0);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 1);
	tt_advance(node, 150);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 1);
	tt_advance(node, 60);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 0);
	/* now the tuple is closed: RST */
	tt_drain(node);
	psend(&pp, TH_ACK, NULL, 0);
	ck_assert(ptake(&pp, &p));
	ck_assert(p.flags & TH_RST);
}
END_TEST

START_TEST(passive_close)
{
	struct peer pp;
	struct tt_pkt p;
	uint32_t iss;

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	psend(&pp, TH_ACK | TH_FIN | TH_PSH, "bye", 3);
	ck_assert_int_eq(app->peer_fin, 1);
	ck_assert_uint_eq(app->rx_len, 3);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_int_eq(tcp_send_copy(app->conn, "ok", 2), 2);
	ck_assert_int_eq(tcp_close(app->conn), 0);
	while (ptake(&pp, &p))
		;
	ck_assert(p.flags & TH_FIN);
	pp.ack = iss + 1 + 2 + 1;
	psend(&pp, TH_ACK, NULL, 0);
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_NORMAL);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 0);
}
END_TEST

START_TEST(rfc5961_rst)
{
	struct peer pp;
	struct tt_pkt p;
	uint32_t rcv;

	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	rcv = pp.seq;
	/* in window, not exact: challenge ACK */
	psend_at(&pp, rcv + 100, TH_RST, NULL, 0, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.flags, TH_ACK);
	ck_assert_uint_eq(p.ack, rcv);
	ck_assert_ptr_nonnull(app->conn);
	ck_assert_uint_eq(K->tcp_challenge_acks, 1);
	/* outside the window: ignored */
	psend_at(&pp, rcv + 1000000, TH_RST, NULL, 0, ++pp.tsval);
	ck_assert_uint_eq(tt_pending(node), 0);
	ck_assert_ptr_nonnull(app->conn);
	/* exact: reset */
	psend_at(&pp, rcv, TH_RST, NULL, 0, ++pp.tsval);
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_RESET);
	ck_assert_uint_eq(tt_pending(node), 0);
}
END_TEST

START_TEST(rfc5961_syn_and_old_ack)
{
	struct peer pp;
	struct tt_pkt p;
	uint32_t iss;
	static uint8_t d[100];

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 0);
	/* SYN in ESTABLISHED: challenge ACK, connection stays */
	psend_at(&pp, pp.seq + 10, TH_SYN, NULL, 0, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.flags, TH_ACK);
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_ptr_nonnull(app->conn);
	/* ACK far below snd_una - max window: challenge ACK, data dropped */
	pp.ack = iss - 200000;
	psend_at(&pp, pp.seq, TH_ACK, d, 100, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(p.ack, pp.seq);
	ck_assert_uint_eq(app->rx_len, 0);
	ck_assert_uint_eq(K->drop_tcp_old_ack, 1);
	/* ACK of data never sent: ACK back, dropped */
	pp.ack = iss + 5000;
	psend_at(&pp, pp.seq, TH_ACK, d, 100, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
	ck_assert_uint_eq(app->rx_len, 0);
	ck_assert_uint_eq(K->drop_tcp_old_ack, 2);
	ck_assert_uint_eq(K->tcp_challenge_acks, 2);
}
END_TEST

static void
tune_chack(struct tcp_stack_params *p)
{
	p->challenge_ack_limit = 2;
}

START_TEST(challenge_ack_rate_limit)
{
	struct peer pp;
	struct tt_pkt p;
	int acks = 0;

	node_up(tune_chack);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	for (int i = 0; i < 5; i++)
		psend_at(&pp, pp.seq + 10 + i, TH_RST, NULL, 0, ++pp.tsval);
	while (ptake(&pp, &p))
		acks++;
	ck_assert_int_eq(acks, 2);
	ck_assert_uint_eq(K->tcp_challenge_ack_limited, 3);
	tt_advance(node, 1000);
	psend_at(&pp, pp.seq + 10, TH_RST, NULL, 0, ++pp.tsval);
	ck_assert(ptake(&pp, &p));
}
END_TEST

START_TEST(paws)
{
	struct peer pp;
	struct tt_pkt p;

	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	psend(&pp, TH_ACK, "a", 1);
	psend_at(&pp, pp.seq, TH_ACK, "b", 1, pp.tsval - 1000);
	ck_assert_uint_eq(app->rx_len, 1);
	ck_assert_uint_eq(K->drop_tcp_paws, 1);
	while (ptake(&pp, &p))
		;
	ck_assert_uint_eq(p.ack, pp.seq);
}
END_TEST

static void
tune_backlog(struct tcp_stack_params *p)
{
	p->syn_backlog = 2;
}

static void
syn_from(uint16_t port, uint32_t seq, uint32_t tsval)
{
	uint8_t o[40];
	uint8_t ol = tt_syn_opts(o, 1460, 5, true, true, tsval, 0);

	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = port, .dport = LPORT,
		.seq = seq, .flags = TH_SYN, .win = 65535, .opts = o,
		.optlen = ol }));
}

START_TEST(syn_backlog_cookies)
{
	struct tt_pkt p;
	uint8_t o[12];
	struct tcp_conn_info ci;

	node_up(tune_backlog);
	syn_from(1001, 100, 50);
	syn_from(1002, 200, 50);
	tt_drain(node);
	ck_assert_uint_eq(K->syncookies_sent, 0);
	syn_from(1003, 300, 50);
	ck_assert(tt_take_tcp(node, &p));
	ck_assert_uint_eq(p.flags, TH_SYN | TH_ACK);
	ck_assert_uint_eq(K->syncookies_sent, 1);
	ck_assert_int_eq(p.ws, 1);
	ck_assert(p.sackp && p.has_ts);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 2); /* no state */
	/* a forged ACK fails */
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 1003, .dport = LPORT,
		.seq = 301, .ack = p.seq + 2, .flags = TH_ACK, .win = 100 }));
	ck_assert_uint_eq(K->syncookies_failed, 1);
	tt_drain(node);
	/* the real ACK completes the handshake */
	tt_ts_opt(o, 51, p.tsval);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 1003, .dport = LPORT,
		.seq = 301, .ack = p.seq + 1, .flags = TH_ACK, .win = 1000,
		.opts = o, .optlen = 12 }));
	ck_assert_uint_eq(K->syncookies_ok, 1);
	ck_assert_int_eq(app->accepted, 1);
	tcp_conn_info(app->conn, &ci);
	ck_assert_int_eq(ci.state, TCP_ESTABLISHED);
	ck_assert_uint_eq(ci.snd_wscale, 5);
	ck_assert(ci.sack_ok && ci.ts_ok);
	ck_assert_uint_eq(ci.snd_wnd, 1000u << 5);
	ck_assert_uint_eq(ci.mss, 1460);
	/* and carries data */
	tt_ts_opt(o, 52, p.tsval);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 1003, .dport = LPORT,
		.seq = 301, .ack = p.seq + 1, .flags = TH_ACK, .win = 1000,
		.opts = o, .optlen = 12, .data = "EHLO", .len = 4 }));
	ck_assert_uint_eq(app->rx_len, 4);
}
END_TEST

static void
tune_never(struct tcp_stack_params *p)
{
	p->syn_backlog = 1;
	p->syn_cookies = TCP_SYN_COOKIES_NEVER;
}

static void
tune_always(struct tcp_stack_params *p)
{
	p->syn_cookies = TCP_SYN_COOKIES_ALWAYS;
}

START_TEST(syn_cookie_modes)
{
	struct tt_pkt p;

	node_up(tune_never);
	syn_from(1001, 100, 50);
	syn_from(1002, 200, 50);
	ck_assert(tt_take_tcp(node, &p));
	ck_assert(!tt_take_tcp(node, &p));
	ck_assert_uint_eq(K->drop_syn_backlog, 1);
	tt_node_free(node);
	node_up(tune_always);
	syn_from(1001, 100, 50);
	ck_assert(tt_take_tcp(node, &p));
	ck_assert_uint_eq(K->syncookies_sent, 1);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 0);
	/* cookie without timestamps: MSS survives, no wscale/SACK */
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 2000, .dport = LPORT,
		.seq = 7, .flags = TH_SYN, .win = 100,
		.opts = (const uint8_t[]){ 2, 4, 0x05, 0x78 }, .optlen = 4 }));
	ck_assert(tt_take_tcp(node, &p));
	ck_assert_int_eq(p.ws, -1);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 2000, .dport = LPORT,
		.seq = 8, .ack = p.seq + 1, .flags = TH_ACK, .win = 100 }));
	ck_assert_int_eq(app->accepted, 1);
	{
		struct tcp_conn_info ci;

		tcp_conn_info(app->conn, &ci);
		ck_assert_uint_eq(ci.mss, 1400);
		ck_assert(!ci.sack_ok);
	}
}
END_TEST

static void
tune_per_source(struct tcp_stack_params *p)
{
	p->max_per_source = 2;
}

START_TEST(per_source_limit)
{
	struct tt_pkt p;

	node_up(tune_per_source);
	syn_from(1001, 100, 50);
	syn_from(1002, 200, 50);
	syn_from(1003, 300, 50);
	ck_assert_uint_eq(K->drop_syn_per_source, 1);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 2);
	/* another source is fine */
	tt_drain(node);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sip = TT_IP_FAR, .sport = 1,
		.dport = LPORT, .seq = 1, .flags = TH_SYN, .win = 100 }));
	ck_assert(tt_take_tcp(node, &p));
	ck_assert_uint_eq(p.flags, TH_SYN | TH_ACK);
}
END_TEST

START_TEST(syn_rcvd_retransmit_and_expiry)
{
	struct tt_pkt p;
	uint32_t iss;
	int n = 0;

	node_up(NULL);
	syn_from(1001, 100, 50);
	ck_assert(tt_take_tcp(node, &p));
	iss = p.seq;
	/* retransmitted SYN: the same SYN-ACK */
	syn_from(1001, 100, 51);
	ck_assert(tt_take_tcp(node, &p));
	ck_assert_uint_eq(p.seq, iss);
	ck_assert_uint_eq(p.flags, TH_SYN | TH_ACK);
	tt_advance(node, 70000);
	while (tt_take_tcp(node, &p)) {
		ck_assert_uint_eq(p.seq, iss);
		n++;
	}
	ck_assert_int_eq(n, 5);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 0);
	ck_assert_int_eq(app->accepted, 0);
	ck_assert_int_eq(app->closed, 0);
}
END_TEST

START_TEST(abort_sends_rst)
{
	struct peer pp;
	struct tt_pkt p;
	uint32_t iss;

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	tcp_abort(app->conn);
	ck_assert(ptake(&pp, &p));
	ck_assert(p.flags & TH_RST);
	ck_assert_uint_eq(p.seq, iss + 1);
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_ABORTED);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 0);
}
END_TEST

START_TEST(destroy_notifies_and_frees)
{
	struct peer pp;

	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	ck_assert_int_eq(tcp_send_copy(app->conn, "queued", 6), 6);
	tcp_stack_destroy(node->s);
	node->s = NULL;
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_STACK_DESTROYED);
	/* teardown checks that every mbuf came back */
}
END_TEST

START_TEST(create_rejects_bad_params)
{
	struct tcp_stack_params p;

	errno = 0;
	ck_assert_ptr_null(tcp_stack_create(NULL));
	ck_assert_int_eq(errno, EINVAL);
	tt_params(&p, NULL);
	p.n_ifaces = 0;
	ck_assert_ptr_null(tcp_stack_create(&p));
	tt_params(&p, NULL);
	p.tx = NULL;
	ck_assert_ptr_null(tcp_stack_create(&p));
	tt_params(&p, NULL);
	p.pool = NULL;
	ck_assert_ptr_null(tcp_stack_create(&p));
	tt_params(&p, NULL);
	p.ifaces[0].prefix_len = 33;
	ck_assert_ptr_null(tcp_stack_create(&p));
	tcp_stack_destroy(NULL);
	node_up(NULL);
	ck_assert_int_eq(tcp_listen(node->s, TT_IP_US, LPORT, &app_cb, app), -EEXIST);
	ck_assert_int_eq(tcp_listen(node->s, TT_IP_FAR, 80, &app_cb, app), -EINVAL);
	ck_assert_int_eq(tcp_unlisten(node->s, TT_IP_US, 80), -ENOENT);
	ck_assert_int_eq(tcp_unlisten(node->s, TT_IP_US, LPORT), 0);
	ck_assert_int_eq(tcp_listen(node->s, 0, LPORT, &app_cb, app), 0);
}
END_TEST

static void
tune_many(struct tcp_stack_params *p)
{
	p->max_conns = 1024;
	p->max_per_source = 1024;
	p->syn_backlog = 1024;
}

START_TEST(timer_budget_bounded)
{
	const unsigned n = 700;
	struct tt_pkt p;
	unsigned acks = 0, ev;

	node_up(tune_many);
	for (unsigned i = 0; i < n; i++) {
		uint16_t port = (uint16_t)(2000 + i);

		tt_input(node, tt_tcp(&(struct tt_seg){ .sport = port,
			.dport = LPORT, .seq = 10, .flags = TH_SYN, .win = 65535 }));
		ck_assert(tt_take_tcp(node, &p));
		tt_input(node, tt_tcp(&(struct tt_seg){ .sport = port,
			.dport = LPORT, .seq = 11, .ack = p.seq + 1,
			.flags = TH_ACK, .win = 65535, .data = "x",
			.len = 1 }));
	}
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), n);
	ck_assert_uint_eq(tt_pending(node), 0); /* all ACKs delayed */
	node->now_us += 100000;
	ev = tcp_stack_timers(node->s, node->now_us);
	ck_assert_uint_le(ev, 512);
	ck_assert_uint_ge(K->timers_budget_hit, 1);
	while (tt_take_tcp(node, &p))
		acks++;
	ck_assert_uint_lt(acks, n);
	tcp_stack_timers(node->s, node->now_us);
	while (tt_take_tcp(node, &p))
		acks++;
	ck_assert_uint_eq(acks, n);
}
END_TEST

START_TEST(fin_wait_2_timeout_and_data_after_close)
{
	struct peer pp;
	struct tt_pkt p;
	uint32_t iss;

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	tcp_close(app->conn);
	ck_assert(ptake(&pp, &p));
	ck_assert(p.flags & TH_FIN);
	pp.ack = iss + 2;
	psend(&pp, TH_ACK, NULL, 0); /* FIN_WAIT_2, peer never closes */
	ck_assert_int_eq(app->closed, 0);
	tt_advance(node, 150);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 1);
	tt_advance(node, 100); /* 2 * msl_ms */
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_TIMEOUT);
	ck_assert_uint_eq(tcp_stack_conn_count(node->s), 0);

	/* data arriving after tcp_close(): reset */
	memset(app, 0, sizeof(*app));
	peer_init(&pp, true, true);
	pp.port = PPORT + 1;
	iss = accept_one(&pp, 7);
	tcp_close(app->conn);
	tt_drain(node);
	psend(&pp, TH_ACK, "late", 4);
	ck_assert(ptake(&pp, &p));
	ck_assert(p.flags & TH_RST);
	ck_assert_int_eq(app->closed, 1);
	ck_assert_int_eq(app->reason, TCP_CLOSE_ABORTED);
	ck_assert_uint_eq(app->rx_len, 0);
}
END_TEST

static uint64_t fz = 88172645463325252ULL;

static uint32_t
frand(void)
{
	fz ^= fz << 13;
	fz ^= fz >> 7;
	fz ^= fz << 17;
	return (uint32_t)fz;
}

START_TEST(random_segments_survive)
{
	struct peer pp;
	static uint8_t d[3000];
	uint32_t iss;

	node_up(NULL);
	peer_init(&pp, true, true);
	iss = accept_one(&pp, 7);
	tcp_send_copy(app->conn, d, 3000);
	for (int i = 0; i < 20000; i++) {
		uint8_t o[40];
		uint8_t ol = (uint8_t)(frand() % 41);
		uint32_t r = frand();
		struct tt_seg sg = {
			.sport = (r & 1) ? PPORT : (uint16_t)frand(),
			.dport = (r & 2) ? LPORT : (uint16_t)frand(),
			.seq = (r & 4) ? pp.seq + (frand() % 200000) - 100000 : frand(),
			.ack = (r & 8) ? iss + (frand() % 8000) : frand(),
			.flags = (uint8_t)frand(),
			.win = (uint16_t)frand(),
			.data = d,
			.len = frand() % 1400,
			.bad_cksum = (frand() % 50) == 0,
		};

		for (int k = 0; k < ol; k++)
			o[k] = (uint8_t)frand();
		if (r & 16) { /* plausible options */
			o[0] = (uint8_t)(frand() % 9);
			o[1] = (uint8_t)(frand() % 12);
		}
		sg.opts = o;
		sg.optlen = ol & ~3;
		tt_input(node, tt_tcp(&sg));
		if ((i & 255) == 0) {
			tt_advance(node, 50);
			tt_drain(node);
		}
		if (app->conn == NULL && (i & 1023) == 0) {
			/* reset by luck: start again */
			app->accepted = 0;
			peer_init(&pp, true, true);
			pp.port = (uint16_t)(PPORT + 1 + i / 1024);
			iss = accept_one(&pp, 7);
		}
	}
	tt_drain(node);
	ck_assert_uint_le(tcp_stack_conn_count(node->s), 64);
}
END_TEST

START_TEST(tcp_in_ip_fragments)
{
	struct peer pp;
	struct rte_mbuf *m;
	uint8_t seg[20 + 12 + 1000];
	static uint8_t d[1000];
	struct rte_ipv4_hdr *ip;

	for (int i = 0; i < 1000; i++)
		d[i] = (uint8_t)(i ^ 0x5a);
	node_up(NULL);
	peer_init(&pp, true, true);
	accept_one(&pp, 7);
	/* build the segment, then cut its IP payload in two fragments */
	m = pseg(&pp, pp.seq, TH_ACK | TH_PSH, d, 1000, NULL, 0);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ck_assert_uint_eq(rte_be_to_cpu_16(ip->total_length) - 20, sizeof(seg));
	memcpy(seg, ip + 1, sizeof(seg));
	rte_pktmbuf_free(m);
	tt_input(node, tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_TCP, 512 / 8, 99,
			       seg + 512, sizeof(seg) - 512));
	ck_assert_uint_eq(app->rx_len, 0);
	tt_input(node, tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_TCP,
			       RTE_IPV4_HDR_MF_FLAG, 99, seg, 512));
	ck_assert_uint_eq(app->rx_len, 1000);
	ck_assert_mem_eq(app->rx, d, 1000);
	ck_assert_uint_eq(K->frag_reassembled, 1);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tcp_conn");
	TCase *tc = tcase_create("conn");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, passive_handshake);
	tcase_add_test(tc, active_handshake);
	tcase_add_test(tc, simultaneous_open);
	tcase_add_test(tc, connect_refused_and_syn_retries);
	tcase_add_test(tc, delayed_and_coalesced_ack);
	tcase_add_test(tc, ack_policy_rules);
	tcase_add_test(tc, ack_policy_window_update);
	tcase_add_test(tc, mbuf_budget_small_pool);
	tcase_add_test(tc, zero_window_still_takes_acks);
	tcase_add_test(tc, out_of_order_overlap_sack);
	tcase_add_test(tc, fin_beyond_a_hole);
	tcase_add_test(tc, ooo_memory_bound);
	tcase_add_test(tc, send_copy_and_chain);
	tcase_add_test(tc, send_copy_segments_follow_mbufs);
	tcase_add_test(tc, rto_backoff_and_timeout);
	tcase_add_test(tc, rto_resend_skips_sacked);
	tcase_add_test(tc, spurious_rto_undone);
	tcase_add_test(tc, dsack_is_not_a_dupack);
	tcase_add_test(tc, fast_retransmit_sack);
	tcase_add_test(tc, fast_retransmit_newreno);
	tcase_add_test(tc, zero_window_persist);
	tcase_add_test(tc, receive_window_closes_and_reopens);
	tcase_add_test(tc, keepalive_probe_and_timeout);
	tcase_add_test(tc, active_close_time_wait_reuse);
	tcase_add_test(tc, time_wait_expires);
	tcase_add_test(tc, passive_close);
	tcase_add_test(tc, rfc5961_rst);
	tcase_add_test(tc, rfc5961_syn_and_old_ack);
	tcase_add_test(tc, challenge_ack_rate_limit);
	tcase_add_test(tc, paws);
	tcase_add_test(tc, syn_backlog_cookies);
	tcase_add_test(tc, syn_cookie_modes);
	tcase_add_test(tc, per_source_limit);
	tcase_add_test(tc, syn_rcvd_retransmit_and_expiry);
	tcase_add_test(tc, abort_sends_rst);
	tcase_add_test(tc, destroy_notifies_and_frees);
	tcase_add_test(tc, create_rejects_bad_params);
	tcase_add_test(tc, timer_budget_bounded);
	tcase_add_test(tc, fin_wait_2_timeout_and_data_after_close);
	tcase_add_test(tc, random_segments_survive);
	tcase_add_test(tc, tcp_in_ip_fragments);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	tt_eal_init();
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
