/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_link.c — two stack instances talking through an in-memory
 * Ethernet link that drops, duplicates and reorders frames. Many
 * connections each move a deterministic byte stream both ways; every byte
 * is checked on arrival (position-keyed pattern plus a running checksum),
 * then both sides close. ARP runs over the same lossy link. Frames are
 * copied into fresh single-segment mbufs on the wire, as a NIC would.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ip.h>

#include "tcpstack/tcp_priv.h"
#include "tcp_harness.h"

#define IP_A 0x0a000001u
#define IP_B 0x0a000002u
#define SRV_PORT 7
#define MAX_CONNS 64
#define WIRE_MAX 16384

static const struct rte_ether_addr mac_a = { .addr_bytes = { 2, 0, 0, 0, 0xa, 1 } };
static const struct rte_ether_addr mac_b = { .addr_bytes = { 2, 0, 0, 0, 0xb, 2 } };

struct wire {
	struct rte_mbuf *q[WIRE_MAX];
	unsigned n;
	struct rte_mbuf *late[WIRE_MAX]; /* reordered: delivered a tick later */
	unsigned n_late;
	uint64_t frames, dropped, duplicated, reordered;
};

struct side;

struct stream {
	struct side *side;
	struct tcp_conn *c;
	uint16_t key;            /* the client's port: both sides know it */
	uint32_t sent, rcvd;
	uint32_t sum_rx;
	bool fin_rx, shut, closed, bad, fin_before_close;
	enum tcp_close_reason reason;
};

struct side {
	struct tt_node node;     /* node.now_us is unused: shared clock */
	struct wire *out;
	struct stream st[MAX_CONNS];
	unsigned n_st;
	uint32_t bytes;          /* to send per connection */
	unsigned closed, bad;
};

struct link_cfg {
	unsigned conns;
	uint32_t bytes;
	double drop, dup, reorder;
	const char *cc;
	bool nic_offload;  /* ports offer checksum offloads, no chains */
	bool zero_copy;    /* hand the sender's chains (indirect mbufs) over */
	bool app_mbufs;    /* the application queues its own odd-sized mbufs (tcp_send) */
};

static uint64_t now_us;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static struct side sa, sb;
static struct wire w_ab, w_ba;
static const struct link_cfg *cfg;

static double
rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) / (double)(1ULL << 53);
}

static uint8_t
pattern(uint16_t key, uint32_t dir, uint32_t off)
{
	uint32_t x = (off * 2654435761u) ^ ((uint32_t)key * 40503u) ^ (dir << 7);

	return (uint8_t)(x >> 13);
}

static uint64_t
link_clock(void *ctx)
{
	(void)ctx;
	return now_us;
}

static void
wire_push(struct wire *w, struct rte_mbuf *m)
{
	if (w->n == WIRE_MAX) {
		rte_pktmbuf_free(m);
		w->dropped++;
		return;
	}
	w->q[w->n++] = m;
}

/* The "NIC": copy into one fresh segment, then impair. */
static void
link_tx(void *ctx, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct side *s = ctx;
	struct wire *w = s->out;

	(void)port;
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m;
		uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
		const void *src;

		if (cfg->zero_copy) {
			m = pkts[i];
			m->port = 0;
			m->ol_flags &= RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL;
			goto impair;
		}
		m = rte_pktmbuf_alloc(tt_pool());

		ck_assert_ptr_nonnull(m);
		ck_assert_uint_le(len, 1514);
		src = rte_pktmbuf_read(pkts[i], 0, len, rte_pktmbuf_append(m, (uint16_t)len));
		if (src != rte_pktmbuf_mtod(m, void *))
			memcpy(rte_pktmbuf_mtod(m, void *), src, len);
		if (pkts[i]->ol_flags & (RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_TCP_CKSUM)) {
			/* what the NIC would do */
			struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m,
				struct rte_ipv4_hdr *, pkts[i]->l2_len);

			ck_assert(cfg->nic_offload);
			ck_assert_uint_eq(pkts[i]->l3_len, 20);
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			if (pkts[i]->ol_flags & RTE_MBUF_F_TX_TCP_CKSUM) {
				struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

				th->cksum = 0;
				th->cksum = rte_ipv4_udptcp_cksum(ip, th);
			}
		}
		if (cfg->nic_offload)
			ck_assert_uint_eq(pkts[i]->nb_segs, 1);
		rte_pktmbuf_free(pkts[i]);
impair:
		w->frames++;
		if (rnd() < cfg->drop) {
			w->dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (rnd() < cfg->dup) {
			struct rte_mbuf *d = rte_pktmbuf_copy(m, tt_pool(), 0, UINT32_MAX);

			if (d) {
				w->duplicated++;
				wire_push(w, d);
			}
		}
		if (rnd() < cfg->reorder && w->n_late < WIRE_MAX) {
			w->reordered++;
			w->late[w->n_late++] = m;
			continue;
		}
		wire_push(w, m);
	}
}

/* Deliver what is on the wire to the stack, in bursts of 32. */
static unsigned
wire_deliver(struct wire *w, struct tt_node *to)
{
	struct rte_mbuf *batch[WIRE_MAX];
	unsigned n = w->n, done = 0;

	memcpy(batch, w->q, n * sizeof(batch[0]));
	w->n = 0;
	for (unsigned i = 0; i < w->n_late; i++)
		wire_push(w, w->late[i]); /* next round, behind newer frames */
	w->n_late = 0;
	if (cfg->nic_offload) {
		/* the receiving NIC verified the checksums */
		for (unsigned i = 0; i < n; i++)
			batch[i]->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD |
					      RTE_MBUF_F_RX_L4_CKSUM_GOOD;
	}
	while (done < n) {
		uint16_t k = (uint16_t)((n - done) > 32 ? 32 : n - done);

		tcp_stack_input(to->s, batch + done, k);
		done += k;
	}
	return n;
}

static struct stream *
side_stream(struct side *s, uint16_t key)
{
	for (unsigned i = 0; i < s->n_st; i++)
		if (s->st[i].key == key)
			return &s->st[i];
	return NULL;
}

static void
pump(struct stream *st)
{
	struct side *s = st->side;
	uint8_t buf[8192];
	uint32_t dir = s == &sa ? 0 : 1;

	if (st->closed || st->c == NULL)
		return;
	while (st->sent < s->bytes) {
		uint32_t space = tcp_send_space(st->c);
		uint32_t n = s->bytes - st->sent;
		ssize_t got;

		if (n > sizeof(buf))
			n = sizeof(buf);
		if (n > space)
			n = space;
		if (n == 0)
			break;
		if (cfg->app_mbufs) {
			/* a chain of pieces of 1..1500 bytes, odd lengths
			 * included: segments cut through them anywhere */
			struct rte_mbuf *head = NULL, *last = NULL;
			uint32_t k = 0;

			while (k < n) {
				struct rte_mbuf *m = rte_pktmbuf_alloc(tt_pool());
				uint32_t piece = 1 + (uint32_t)(rnd() * 1500);
				uint8_t *d;

				if (m == NULL)
					break;
				if (piece > n - k)
					piece = n - k;
				d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)piece);
				for (uint32_t i = 0; i < piece; i++)
					d[i] = pattern(st->key, dir, st->sent + k + i);
				if (head == NULL)
					head = m;
				else
					ck_assert_int_eq(rte_pktmbuf_chain(head, m), 0);
				last = m;
				k += piece;
			}
			(void)last;
			if (head == NULL)
				break;
			if (tcp_send(st->c, head) != 0) {
				rte_pktmbuf_free(head);
				break;
			}
			st->sent += k;
			continue;
		}
		for (uint32_t i = 0; i < n; i++)
			buf[i] = pattern(st->key, dir, st->sent + i);
		got = tcp_send_copy(st->c, buf, n);
		if (got <= 0)
			break;
		st->sent += (uint32_t)got;
	}
	if (st->sent == s->bytes && !st->shut) {
		st->shut = true;
		ck_assert_int_eq(tcp_shutdown(st->c), 0);
	}
	if (st->shut && st->fin_rx && st->c) {
		struct tcp_conn *c = st->c;

		st->c = NULL;
		tcp_close(c);
	}
}

static void
l_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	struct stream *st = ctx;
	uint32_t dir = st->side == &sa ? 1 : 0; /* what the other side sent */
	struct rte_mbuf *seg;

	for (seg = m; seg; seg = seg->next) {
		const uint8_t *p = rte_pktmbuf_mtod(seg, const uint8_t *);

		for (uint16_t i = 0; i < seg->data_len; i++) {
			if (p[i] != pattern(st->key, dir, st->rcvd))
				st->bad = true;
			st->sum_rx += p[i];
			st->rcvd++;
		}
	}
	rte_pktmbuf_free(m);
	tcp_recv_done(c, len);
}

static void
l_writable(struct tcp_conn *c, void *ctx, uint32_t space)
{
	(void)c;
	(void)space;
	pump(ctx);
}

static void
l_peer_fin(struct tcp_conn *c, void *ctx)
{
	struct stream *st = ctx;

	(void)c;
	st->fin_rx = true;
}

static void
l_connected(struct tcp_conn *c, void *ctx)
{
	(void)c;
	pump(ctx);
}

static void
l_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason r)
{
	struct stream *st = ctx;

	(void)c;
	st->fin_before_close = st->fin_rx;
	st->closed = true;
	st->reason = r;
	st->c = NULL;
	st->side->closed++;
}

static int l_accepted(struct tcp_conn *c, void *ctx);

static const struct tcp_callbacks link_cb = {
	.accepted = l_accepted,
	.connected = l_connected,
	.recv = l_recv,
	.writable = l_writable,
	.peer_fin = l_peer_fin,
	.closed = l_closed,
};

static int
l_accepted(struct tcp_conn *c, void *ctx)
{
	struct side *s = ctx;
	struct tcp_conn_info ci;
	struct stream *st;

	tcp_conn_info(c, &ci);
	ck_assert_ptr_null(side_stream(s, ci.rport));
	ck_assert_uint_lt(s->n_st, MAX_CONNS);
	st = &s->st[s->n_st++];
	memset(st, 0, sizeof(*st));
	st->side = s;
	st->c = c;
	st->key = ci.rport;
	tcp_conn_set_ctx(c, st);
	pump(st);
	return 0;
}

static void
side_up(struct side *s, uint32_t ip, const struct rte_ether_addr *mac,
	struct wire *out)
{
	struct tcp_stack_params p;

	memset(s, 0, sizeof(*s));
	tt_params(&p, NULL);
	p.ifaces[0].ipv4 = ip;
	p.ifaces[0].mac = *mac;
	p.ifaces[0].gateway = 0;
	p.max_conns = 2 * MAX_CONNS;
	p.msl_ms = 20000; /* TIME_WAIT must outlast backed-off retransmissions */
	p.tx = link_tx;
	p.tx_ctx = s;
	p.clock = link_clock;
	p.cc = cfg->cc;
	if (cfg->nic_offload)
		p.ifaces[0].offloads = TCP_OFFLOAD_RX_IPV4_CKSUM |
			TCP_OFFLOAD_RX_TCP_CKSUM | TCP_OFFLOAD_TX_IPV4_CKSUM |
			TCP_OFFLOAD_TX_TCP_CKSUM;
	p.secret[0] = (uint8_t)ip;
	s->node.s = tcp_stack_create(&p);
	ck_assert_ptr_nonnull(s->node.s);
	s->out = out;
	s->bytes = cfg->bytes;
}

static void
run_link(const struct link_cfg *c)
{
	unsigned avail0;
	uint64_t loops = 0, t0;
	const struct tcp_stack_counters *ka, *kb;
	uint64_t total = 0;

	tt_eal_init();
	avail0 = tt_pool_avail();
	cfg = c;
	now_us = 1000000;
	memset(&w_ab, 0, sizeof(w_ab));
	memset(&w_ba, 0, sizeof(w_ba));
	side_up(&sa, IP_A, &mac_a, &w_ab);
	side_up(&sb, IP_B, &mac_b, &w_ba);
	ck_assert_int_eq(tcp_listen(sb.node.s, IP_B, SRV_PORT, &link_cb, &sb), 0);
	for (unsigned i = 0; i < c->conns; i++) {
		struct stream *st = &sa.st[sa.n_st];
		struct tcp_conn *conn;
		struct tcp_conn_info ci;

		memset(st, 0, sizeof(*st));
		st->side = &sa;
		conn = tcp_connect(sa.node.s, 0, IP_B, SRV_PORT, &link_cb, st);
		ck_assert_ptr_nonnull(conn);
		tcp_conn_info(conn, &ci);
		st->c = conn;
		st->key = ci.lport;
		sa.n_st++;
	}
	t0 = now_us;
	while ((sa.closed < c->conns || sb.closed < c->conns) && loops < 2000000) {
		unsigned moved = wire_deliver(&w_ab, &sb.node) +
				 wire_deliver(&w_ba, &sa.node);

		for (unsigned i = 0; i < sa.n_st; i++)
			pump(&sa.st[i]);
		for (unsigned i = 0; i < sb.n_st; i++)
			pump(&sb.st[i]);
		tcp_stack_timers(sa.node.s, now_us);
		tcp_stack_timers(sb.node.s, now_us);
		if (!moved && w_ab.n == 0 && w_ba.n == 0)
			now_us += 1000;
		else
			now_us += 20; /* wire time per round */
		loops++;
	}
	ka = tcp_stack_counters(sa.node.s);
	kb = tcp_stack_counters(sb.node.s);
	printf("link %s conns=%u bytes=%u drop=%.2f dup=%.2f reorder=%.2f: "
	       "sim %.2f s, %lu loops; frames a->b %lu (drop %lu dup %lu reord %lu), "
	       "rexmit a=%lu b=%lu (fast %lu/%lu, rto %lu/%lu, sack %lu/%lu)\n",
	       c->cc ? c->cc : "newreno", c->conns, c->bytes, c->drop, c->dup,
	       c->reorder, (now_us - t0) / 1e6, (unsigned long)loops,
	       (unsigned long)w_ab.frames, (unsigned long)w_ab.dropped,
	       (unsigned long)w_ab.duplicated, (unsigned long)w_ab.reordered,
	       (unsigned long)ka->tcp_retransmits, (unsigned long)kb->tcp_retransmits,
	       (unsigned long)ka->tcp_fast_retransmits,
	       (unsigned long)kb->tcp_fast_retransmits,
	       (unsigned long)ka->tcp_rto_timeouts, (unsigned long)kb->tcp_rto_timeouts,
	       (unsigned long)ka->tcp_sack_retransmits,
	       (unsigned long)kb->tcp_sack_retransmits);
	for (int k = 0; k < 2; k++) {
		const struct tcp_stack_counters *q = k ? kb : ka;

		printf("  %c: ooo %lu paws %lu oow %lu oldack %lu badflags %lu nocon %lu ooolim %lu cksum %lu chack %lu dupacks %lu nombuf %lu\n",
		       'a' + k, (unsigned long)q->tcp_ooo_segments,
		       (unsigned long)q->drop_tcp_paws, (unsigned long)q->drop_tcp_out_of_window,
		       (unsigned long)q->drop_tcp_old_ack, (unsigned long)q->drop_tcp_bad_flags,
		       (unsigned long)q->drop_tcp_no_conn, (unsigned long)q->drop_tcp_ooo_limit,
		       (unsigned long)q->drop_tcp_cksum, (unsigned long)q->tcp_challenge_acks,
		       (unsigned long)q->tcp_dup_acks_rx, (unsigned long)q->drop_no_mbuf);
	}
	/* the link loses, duplicates and reorders but never corrupts: every
	 * checksum the stacks computed (cached payload sums included) held */
	ck_assert_uint_eq(ka->drop_tcp_cksum + kb->drop_tcp_cksum, 0);
	ck_assert_uint_eq(sb.n_st, c->conns);
	for (unsigned i = 0; i < c->conns; i++) {
		struct stream *x = &sa.st[i], *y = side_stream(&sb, x->key);

		if (x->rcvd != c->bytes || !y || y->rcvd != c->bytes ||
		    x->reason != TCP_CLOSE_NORMAL || y->reason != TCP_CLOSE_NORMAL)
			printf("  stream %u key %u: a sent %u rcvd %u %s | b sent %u rcvd %u %s\n",
			       i, x->key, x->sent, x->rcvd, tcp_close_reason_name(x->reason),
			       y ? y->sent : 0, y ? y->rcvd : 0,
			       y ? tcp_close_reason_name(y->reason) : "-");
	}
	for (unsigned i = 0; i < c->conns; i++) {
		struct stream *x = &sa.st[i], *y = side_stream(&sb, x->key);

		ck_assert_ptr_nonnull(y);
		ck_assert_msg(!x->bad && !y->bad, "corrupt stream %u", i);
		ck_assert_uint_eq(x->rcvd, c->bytes);
		ck_assert_uint_eq(y->rcvd, c->bytes);
		ck_assert_int_eq(x->reason, TCP_CLOSE_NORMAL);
		ck_assert_int_eq(y->reason, TCP_CLOSE_NORMAL);
		ck_assert(x->fin_rx && y->fin_rx); /* peer_fin() before closed() */
		ck_assert(x->fin_before_close && y->fin_before_close);
		total += x->rcvd + y->rcvd;
	}
	ck_assert_uint_eq(total, 2ull * c->conns * c->bytes);
	if (c->drop > 0)
		ck_assert_uint_gt(ka->tcp_retransmits + kb->tcp_retransmits, 0);
	/* TIME_WAIT drains */
	for (int i = 0; i < 45000; i++) {
		now_us += 1000;
		wire_deliver(&w_ab, &sb.node);
		wire_deliver(&w_ba, &sa.node);
		tcp_stack_timers(sa.node.s, now_us);
		tcp_stack_timers(sb.node.s, now_us);
	}
	ck_assert_uint_eq(tcp_stack_conn_count(sa.node.s), 0);
	ck_assert_uint_eq(tcp_stack_conn_count(sb.node.s), 0);
	tcp_stack_destroy(sa.node.s);
	tcp_stack_destroy(sb.node.s);
	for (unsigned i = 0; i < w_ab.n; i++)
		rte_pktmbuf_free(w_ab.q[i]);
	for (unsigned i = 0; i < w_ba.n; i++)
		rte_pktmbuf_free(w_ba.q[i]);
	for (unsigned i = 0; i < w_ab.n_late; i++)
		rte_pktmbuf_free(w_ab.late[i]);
	for (unsigned i = 0; i < w_ba.n_late; i++)
		rte_pktmbuf_free(w_ba.late[i]);
	ck_assert_uint_eq(tt_pool_avail(), avail0);
}

START_TEST(clean_link)
{
	static const struct link_cfg c = { .conns = 16, .bytes = 65536 };

	run_link(&c);
}
END_TEST

START_TEST(impaired_link_newreno)
{
	/* 32 connections x 32 KiB each way = 1 MiB each way */
	static const struct link_cfg c = { .conns = 32, .bytes = 32768,
		.drop = 0.02, .dup = 0.01, .reorder = 0.02 };

	run_link(&c);
}
END_TEST

START_TEST(impaired_link_cubic)
{
	static const struct link_cfg c = { .conns = 8, .bytes = 131072,
		.drop = 0.02, .dup = 0.01, .reorder = 0.02, .cc = "cubic" };

	run_link(&c);
}
END_TEST

START_TEST(heavy_loss_link)
{
	static const struct link_cfg c = { .conns = 8, .bytes = 16384,
		.drop = 0.10, .dup = 0.05, .reorder = 0.10 };

	run_link(&c);
}
END_TEST

START_TEST(offload_copy_link)
{
	static const struct link_cfg c = { .conns = 8, .bytes = 65536,
		.drop = 0.02, .dup = 0.01, .reorder = 0.02, .nic_offload = true };

	run_link(&c);
}
END_TEST

START_TEST(app_mbufs_link)
{
	/* tcp_send() of odd-sized application mbufs: segments cover parts
	 * of mbufs, whole mbufs and several, at odd and even offsets, so the
	 * payload sums cached per mbuf and computed per piece both get used */
	static const struct link_cfg c = { .conns = 8, .bytes = 65536,
		.drop = 0.02, .dup = 0.01, .reorder = 0.02, .app_mbufs = true };

	run_link(&c);
}
END_TEST

START_TEST(zero_copy_link)
{
	/* frames cross as chains of indirect mbufs, as over memif zero copy */
	static const struct link_cfg c = { .conns = 8, .bytes = 65536,
		.drop = 0.02, .dup = 0.01, .reorder = 0.02, .zero_copy = true };

	run_link(&c);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tcp_link");
	TCase *tc = tcase_create("link");

	tcase_set_timeout(tc, 240);
	tcase_add_test(tc, clean_link);
	tcase_add_test(tc, impaired_link_newreno);
	tcase_add_test(tc, impaired_link_cubic);
	tcase_add_test(tc, heavy_loss_link);
	tcase_add_test(tc, offload_copy_link);
	tcase_add_test(tc, zero_copy_link);
	tcase_add_test(tc, app_mbufs_link);
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
