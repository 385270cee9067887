/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_dataplane.c — Check suite for dataplane/: fault injection statistics
 * and conservation, steering symmetry and source-port choice, the message
 * fabric, EAL set-up from a struct cfg_dataplane with net_ring/net_null
 * vdevs (--no-huge, --no-shconf) and the port layer on them.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "dataplane/dp_eal.h"
#include "dataplane/dp_fault.h"
#include "dataplane/dp_msg.h"
#include "dataplane/dp_port.h"
#include "dataplane/dp_steer.h"

static struct rte_mempool *pool;

/* A frame whose first 4 payload bytes are a sequence number. */
static struct rte_mbuf *
seq_frame(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	ck_assert_ptr_nonnull(m);
	uint32_t *p = (uint32_t *)rte_pktmbuf_append(m, 64);
	ck_assert_ptr_nonnull(p);
	memset(p, 0, 64);
	p[0] = seq;
	return m;
}

static uint32_t
frame_seq(const struct rte_mbuf *m)
{
	return *rte_pktmbuf_mtod(m, const uint32_t *);
}

/* Build Ethernet/IPv4/TCP (or ARP) frames for steering. */
static struct rte_mbuf *
tcp_frame(uint32_t sip, uint32_t dip, uint16_t sp, uint16_t dport)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth = (void *)rte_pktmbuf_append(m, sizeof(*eth) + 20 + 20);
	struct rte_ipv4_hdr *ip = (void *)(eth + 1);
	struct rte_tcp_hdr *th = (void *)(ip + 1);

	memset(eth, 0, sizeof(*eth) + 40);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ip->version_ihl = 0x45;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(sip);
	ip->dst_addr = rte_cpu_to_be_32(dip);
	th->src_port = rte_cpu_to_be_16(sp);
	th->dst_port = rte_cpu_to_be_16(dport);
	return m;
}

/* ------------------------------------------------------------- faults */

struct fault_run {
	struct dp_fault_stats st;
	unsigned out;
	unsigned displaced; /* frames arriving after a higher sequence */
	unsigned dup_seen;
	unsigned missing;
	uint64_t digest;
};

static void
run_fault(double d, double u, double r, uint64_t seed, unsigned n_frames, struct fault_run *res)
{
	struct dp_fault_params p = { .drop = d, .duplicate = u, .reorder = r, .seed = seed,
				     .pool = pool };
	struct dp_fault *f = dp_fault_create(&p, SOCKET_ID_ANY);
	struct rte_mbuf *in[32], *out[2 * 32 + DP_FAULT_HOLD_MAX];
	uint8_t *count = calloc(n_frames, 1);
	uint32_t max_seen = 0;

	ck_assert_ptr_nonnull(f);
	memset(res, 0, sizeof(*res));
	for (unsigned base = 0; base <= n_frames; base += 32) {
		uint16_t n = 0, k;
		if (base < n_frames) {
			for (; n < 32 && base + n < n_frames; n++)
				in[n] = seq_frame(base + n);
			k = dp_fault_apply(f, in, n, out);
		} else {
			k = dp_fault_flush(f, out);
		}
		for (uint16_t i = 0; i < k; i++) {
			uint32_t s = frame_seq(out[i]);
			ck_assert_uint_lt(s, n_frames);
			if (count[s]++)
				res->dup_seen++;
			if (s < max_seen)
				res->displaced++;
			if (s > max_seen)
				max_seen = s;
			res->digest = res->digest * 31 + s;
			res->out++;
		}
		rte_pktmbuf_free_bulk(out, k);
		if (base >= n_frames)
			break;
	}
	for (unsigned i = 0; i < n_frames; i++)
		res->missing += count[i] == 0;
	dp_fault_get_stats(f, &res->st);
	dp_fault_destroy(f);
	free(count);
}

/* |observed - n p| within 5 standard deviations of a binomial. */
static void
assert_binomial(uint64_t observed, unsigned n, double p)
{
	double mean = n * p, sd = sqrt(n * p * (1 - p));

	ck_assert_msg(fabs((double)observed - mean) <= 5 * sd + 1,
		      "observed %llu, expected %.1f +- %.1f", (unsigned long long)observed,
		      mean, 5 * sd);
}

START_TEST(fault_rates_within_tolerance)
{
	const unsigned n = 100000;
	struct fault_run r;

	run_fault(0.02, 0.01, 0.02, 42, n, &r);
	ck_assert_uint_eq(r.st.seen, n);
	assert_binomial(r.st.dropped, n, 0.02);
	/* duplicate and reorder are drawn for frames that survived the drop */
	assert_binomial(r.st.reordered, n - r.st.dropped, 0.02);
	assert_binomial(r.st.duplicated, n - r.st.dropped - r.st.reordered, 0.01);
	/* conservation: every frame out is an original or a counted duplicate */
	ck_assert_uint_eq(r.out, n - r.st.dropped + r.st.duplicated);
	ck_assert_uint_eq(r.missing, r.st.dropped);
	ck_assert_uint_eq(r.dup_seen, r.st.duplicated);
	ck_assert_uint_gt(r.displaced, r.st.reordered / 2);
	ck_assert_uint_eq(r.st.dup_failed, 0);
}
END_TEST

START_TEST(fault_repeatable_and_seeded)
{
	struct fault_run a, b, c;

	run_fault(0.05, 0.05, 0.05, 7, 20000, &a);
	run_fault(0.05, 0.05, 0.05, 7, 20000, &b);
	run_fault(0.05, 0.05, 0.05, 8, 20000, &c);
	ck_assert_uint_eq(a.digest, b.digest);
	ck_assert_uint_eq(a.st.dropped, b.st.dropped);
	ck_assert_uint_ne(a.digest, c.digest);
}
END_TEST

START_TEST(fault_off_is_identity_and_bad_rates_rejected)
{
	struct fault_run r;
	struct dp_fault_params bad = { .drop = 1.5 };

	run_fault(0, 0, 0, 1, 5000, &r);
	ck_assert_uint_eq(r.out, 5000);
	ck_assert_uint_eq(r.displaced, 0);
	ck_assert_uint_eq(r.missing, 0);
	errno = 0;
	ck_assert_ptr_null(dp_fault_create(&bad, SOCKET_ID_ANY));
	ck_assert_int_eq(errno, EINVAL);
	dp_fault_destroy(NULL);

	enum dp_fault_dir dir;
	ck_assert_int_eq(dp_fault_dir_parse("both", &dir), 0);
	ck_assert_int_eq(dir, DP_FAULT_BOTH);
	ck_assert_int_eq(dp_fault_dir_parse("sideways", &dir), -EINVAL);
}
END_TEST

START_TEST(fault_all_drop_and_held_freed_on_destroy)
{
	struct fault_run r;

	run_fault(1.0, 0, 0, 3, 1000, &r);
	ck_assert_uint_eq(r.out, 0);
	ck_assert_uint_eq(r.st.dropped, 1000);

	/* frames held for reordering are freed by destroy (no leak) */
	unsigned avail = rte_mempool_avail_count(pool);
	struct dp_fault_params p = { .reorder = 1.0, .seed = 1 };
	struct dp_fault *f = dp_fault_create(&p, SOCKET_ID_ANY);
	struct rte_mbuf *in[4], *out[2 * 4 + DP_FAULT_HOLD_MAX];
	for (int i = 0; i < 4; i++)
		in[i] = seq_frame(i);
	uint16_t k = dp_fault_apply(f, in, 4, out);
	ck_assert_uint_eq(k, 0);
	dp_fault_destroy(f);
	ck_assert_uint_eq(rte_mempool_avail_count(pool), avail);
}
END_TEST

/* ------------------------------------------------------------- steering */

START_TEST(steer_owner_symmetric_and_balanced)
{
	for (int rss = 0; rss < 2; rss++) {
		for (unsigned n_io = 1; n_io <= 4; n_io++) {
			char name[32];
			snprintf(name, sizeof(name), "tsym%d%u", rss, n_io);
			struct dp_steer_params p = { .n_io = n_io, .name = name, .socket_id = SOCKET_ID_ANY,
						     .rss_key = rss ? dp_steer_sym_rss_key : NULL };
			struct dp_steer *st = dp_steer_create(&p);
			unsigned hist[4] = { 0 };
			uint64_t x = 12345;

			ck_assert_ptr_nonnull(st);
			for (int i = 0; i < 20000; i++) {
				x = x * 6364136223846793005ull + 1442695040888963407ull;
				uint32_t a = 0xc0000200u | (uint32_t)(x >> 56);
				uint32_t b = 0xc6336400u | (uint32_t)(x >> 48 & 0xff);
				uint16_t pa = (uint16_t)(x >> 16), pb = (uint16_t)(x >> 32);
				unsigned o = dp_steer_owner(st, a, b, pa, pb);
				ck_assert_uint_lt(o, n_io);
				ck_assert_uint_eq(o, dp_steer_owner(st, b, a, pb, pa));
				hist[o]++;
			}
			for (unsigned i = 0; i < n_io; i++)
				ck_assert_msg(hist[i] > 20000 / n_io * 7 / 10,
					      "rss %d n_io %u lcore %u got %u", rss, n_io, i, hist[i]);
			dp_steer_destroy(st);
		}
	}
}
END_TEST

START_TEST(steer_pick_sport_maps_back)
{
	struct dp_steer_params p = { .n_io = 3, .name = "tsport", .socket_id = SOCKET_ID_ANY };
	struct dp_steer *st = dp_steer_create(&p);
	uint32_t cursor[3] = { 0, 100, 5000 };
	uint32_t l = 0xc0000201, r = 0xc6336419;

	for (unsigned me = 0; me < 3; me++) {
		uint16_t prev = 0;
		for (int i = 0; i < 1000; i++) {
			uint16_t sp = dp_steer_pick_sport(st, me, l, r, 25, &cursor[me]);
			ck_assert_uint_ge(sp, DP_STEER_SPORT_MIN);
			ck_assert_uint_le(sp, DP_STEER_SPORT_MAX);
			ck_assert_uint_ne(sp, prev);
			ck_assert_uint_eq(dp_steer_owner(st, l, r, sp, 25), me);
			/* the reply (remote -> local) lands on the same lcore */
			ck_assert_uint_eq(dp_steer_owner(st, r, l, 25, sp), me);
			prev = sp;
		}
	}
	dp_steer_destroy(st);
}
END_TEST

START_TEST(steer_burst_moves_frames_to_owner)
{
	struct dp_steer_params p = { .n_io = 2, .name = "tburst", .socket_id = SOCKET_ID_ANY,
				     .ring_size = 256 };
	struct dp_steer *st = dp_steer_create(&p);
	struct rte_mbuf *pkts[64], *keep[64], *got[64];
	struct dp_steer_stats ss = { 0 };
	unsigned want_local = 0, n = 0;

	for (int i = 0; i < 60; i++) {
		uint32_t a = 0xc0000201, b = 0xc0000202;
		uint16_t sp = (uint16_t)(40000 + i * 7);
		pkts[n++] = tcp_frame(a, b, sp, 7);
		want_local += dp_steer_owner(st, a, b, sp, 7) == 0;
	}
	/* an ARP frame: copied to the other lcore, original stays */
	struct rte_mbuf *arp = rte_pktmbuf_alloc(pool);
	struct rte_ether_hdr *eth = (void *)rte_pktmbuf_append(arp, 60);
	memset(eth, 0, 60);
	eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_ARP);
	ck_assert_uint_eq(dp_steer_classify(st, arp), DP_STEER_ALL);
	pkts[n++] = arp;
	/* ICMP stays local */
	struct rte_mbuf *icmp = tcp_frame(0xc0000201, 0xc0000202, 0, 0);
	rte_pktmbuf_mtod_offset(icmp, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr))
		->next_proto_id = IPPROTO_ICMP;
	ck_assert_uint_eq(dp_steer_classify(st, icmp), DP_STEER_LOCAL);
	pkts[n++] = icmp;

	uint16_t k = dp_steer_burst(st, 0, pkts, (uint16_t)n, keep, &ss);
	ck_assert_uint_eq(k, want_local + 2);
	ck_assert_uint_eq(ss.steered_out, 60 - want_local);
	ck_assert_uint_eq(ss.arp_copies, 1);
	for (uint16_t i = 0; i < k; i++) {
		unsigned o = dp_steer_classify(st, keep[i]);
		ck_assert(o == 0 || o == DP_STEER_LOCAL || o == DP_STEER_ALL);
	}
	uint16_t g = dp_steer_recv(st, 1, got, 64);
	ck_assert_uint_eq(g, 60 - want_local + 1);
	for (uint16_t i = 0; i < g; i++) {
		unsigned o = dp_steer_classify(st, got[i]);
		ck_assert(o == 1 || o == DP_STEER_ALL);
	}
	ck_assert_uint_eq(dp_steer_recv(st, 0, got, 64), 0);
	rte_pktmbuf_free_bulk(keep, k);
	rte_pktmbuf_free_bulk(got, g);
	dp_steer_destroy(st);
	dp_steer_destroy(NULL);
}
END_TEST

/* -------------------------------------------------------------- messages */

/* Every fragment of a datagram, the first (MF, ports visible) included,
 * goes to the lcore of the address pair, whatever the ports say. */
START_TEST(steer_fragments_by_address_pair)
{
	struct dp_steer_params sp = { .name = "stfr", .n_io = 4, .socket_id = SOCKET_ID_ANY };
	struct dp_steer *st = dp_steer_create(&sp);
	unsigned differ = 0;

	ck_assert_ptr_nonnull(st);
	for (unsigned i = 0; i < 64; i++) {
		uint32_t a = 0xc0000201 + i, b = 0xc6336402;
		uint16_t sport = (uint16_t)(40000 + i * 13);
		unsigned want = dp_steer_owner(st, a, b, 0, 0);
		struct rte_mbuf *first = tcp_frame(a, b, sport, 25);
		struct rte_mbuf *later = tcp_frame(a, b, 0, 0);
		struct rte_mbuf *whole = tcp_frame(a, b, sport, 25);
		struct rte_ipv4_hdr *ip;

		ip = rte_pktmbuf_mtod_offset(first, struct rte_ipv4_hdr *,
					     sizeof(struct rte_ether_hdr));
		ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
		ip = rte_pktmbuf_mtod_offset(later, struct rte_ipv4_hdr *,
					     sizeof(struct rte_ether_hdr));
		ip->fragment_offset = rte_cpu_to_be_16(185); /* 1480 bytes in */
		ck_assert_uint_eq(dp_steer_classify(st, first), want);
		ck_assert_uint_eq(dp_steer_classify(st, later), want);
		/* the reverse direction's fragments meet at the same lcore */
		ck_assert_uint_eq(dp_steer_owner(st, b, a, 0, 0), want);
		differ += dp_steer_classify(st, whole) != want;
		rte_pktmbuf_free(first);
		rte_pktmbuf_free(later);
		rte_pktmbuf_free(whole);
	}
	ck_assert_uint_gt(differ, 0); /* unfragmented frames still go by ports */
	dp_steer_destroy(st);
}
END_TEST

/* After reassembly (tcp_ip.c offers the datagram to dp_loop.c's
 * reasm_handoff): the whole datagram, a chain whose first segment holds
 * the headers, classifies by its 4-tuple, and dp_steer_to() puts it on that
 * owner's ring; with one io lcore there is no ring. */
START_TEST(steer_reassembled_to_flow_owner)
{
	struct dp_steer_params sp = { .name = "strs", .n_io = 4, .socket_id = SOCKET_ID_ANY,
				      .ring_size = 256 };
	struct dp_steer_params one = { .name = "strs1", .n_io = 1, .socket_id = SOCKET_ID_ANY };
	struct dp_steer *st = dp_steer_create(&sp), *st1 = dp_steer_create(&one);
	unsigned moved = 0;

	ck_assert_ptr_nonnull(st);
	ck_assert_ptr_nonnull(st1);
	for (unsigned i = 0; i < 64; i++) {
		uint32_t a = 0xc0000201 + i, b = 0xc6336402;
		uint16_t sport = (uint16_t)(40000 + i * 13);
		unsigned pair = dp_steer_owner(st, a, b, 0, 0);
		unsigned flow = dp_steer_owner(st, a, b, sport, 25);
		struct rte_mbuf *whole = tcp_frame(a, b, sport, 25);
		struct rte_mbuf *rest = rte_pktmbuf_alloc(pool), *got[4];

		/* the second fragment's bytes chained behind the first */
		memset(rte_pktmbuf_append(rest, 1000), 0x5a, 1000);
		ck_assert_int_eq(rte_pktmbuf_chain(whole, rest), 0);
		ck_assert_uint_eq(dp_steer_classify(st, whole), flow);
		if (flow == pair) { /* stays on the reassembling lcore */
			rte_pktmbuf_free(whole);
			continue;
		}
		ck_assert_int_eq(dp_steer_to(st, flow, whole), 0);
		ck_assert_uint_eq(dp_steer_recv(st, flow, got, 4), 1);
		ck_assert_ptr_eq(got[0], whole);
		ck_assert_uint_eq(got[0]->nb_segs, 2);
		rte_pktmbuf_free(got[0]);
		moved++;
	}
	ck_assert_uint_gt(moved, 0);
	{
		struct rte_mbuf *m = tcp_frame(0xc0000201, 0xc6336402, 40000, 25);

		ck_assert_int_eq(dp_steer_to(st1, 0, m), -ENOBUFS);
		ck_assert_int_eq(dp_steer_to(st, 9, m), -ENOBUFS);
		rte_pktmbuf_free(m);
	}
	dp_steer_destroy(st);
	dp_steer_destroy(st1);
}
END_TEST

START_TEST(msg_fabric_roundtrip_and_full)
{
	struct dp_fabric_params p = { .n_io = 2, .n_dlp = 1, .ring_size = 8, .n_msgs = 64,
				      .socket_id = SOCKET_ID_ANY, .name = "tfab" };
	struct dp_fabric *f = dp_fabric_create(&p);
	struct dp_msg *in[16];

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(dp_fabric_n_endpoints(f), 4);
	ck_assert_uint_eq(dp_ep_io(1), 2);
	ck_assert_uint_eq(dp_ep_dlp(f, 0), 3);
	ck_assert_ptr_null(dp_fabric_inbox(f, 4));

	struct rte_ring *dlp = dp_fabric_inbox(f, dp_ep_dlp(f, 0));
	struct rte_mempool *mp = dp_fabric_pool(f);
	unsigned sent = 0;
	for (int i = 0; i < 10; i++) {
		struct dp_msg *m = dp_msg_alloc(mp, DP_MSG_SCAN_CHUNK, (uint16_t)dp_ep_io(0));
		ck_assert_ptr_nonnull(m);
		m->session = 1000 + i;
		m->u.chunk.len = i;
		if (dp_msg_send(dlp, m) == 0) {
			sent++;
		} else {
			ck_assert_int_eq(dp_msg_send(dlp, m), -ENOBUFS);
			dp_msg_free(m); /* the caller still owns it */
		}
	}
	ck_assert_uint_eq(sent, 7); /* ring of 8 holds 7 */
	unsigned got = dp_msg_recv_burst(dlp, in, 16);
	ck_assert_uint_eq(got, sent);
	for (unsigned i = 0; i < got; i++) {
		ck_assert_uint_eq(in[i]->type, DP_MSG_SCAN_CHUNK);
		ck_assert_uint_eq(in[i]->src, 1);
		ck_assert_uint_eq(in[i]->session, 1000 + i);
		/* answer with a verdict to the io lcore */
		in[i]->type = DP_MSG_VERDICT;
		in[i]->src = (uint16_t)dp_ep_dlp(f, 0);
		ck_assert_int_eq(dp_msg_send(dp_fabric_inbox(f, dp_ep_io(0)), in[i]), 0);
	}
	got = dp_msg_recv_burst(dp_fabric_inbox(f, dp_ep_io(0)), in, 16);
	ck_assert_uint_eq(got, sent);
	ck_assert_str_eq(dp_msg_type_name(in[0]->type), "verdict");
	for (unsigned i = 0; i < got; i++)
		dp_msg_free(in[i]);
	ck_assert_str_eq(dp_msg_type_name(DP_MSG_RELOAD), "reload");
	ck_assert_str_eq(dp_msg_type_name(999), "unknown");
	ck_assert_uint_eq(sizeof(struct dp_msg) % RTE_CACHE_LINE_SIZE, 0);

	/* messages left in an inbox are freed by destroy */
	struct dp_msg *m = dp_msg_alloc(mp, DP_MSG_STATS_REQ, DP_EP_CTRL);
	ck_assert_int_eq(dp_msg_send(dp_fabric_inbox(f, DP_EP_CTRL), m), 0);
	dp_fabric_destroy(f);
	dp_fabric_destroy(NULL);

	struct dp_fabric_params bad = p;
	bad.ring_size = 100;
	bad.name = "tfab2";
	ck_assert_ptr_null(dp_fabric_create(&bad));
}
END_TEST

/* ---------------------------------------------------------- EAL and ports */

START_TEST(port_start_loopback_and_stats)
{
	int pid = dp_eal_port_id("net_ring0");
	struct dp_port_params pp = { .n_queues = 1, .pool = pool, .nb_rxd = 256, .nb_txd = 256 };
	struct dp_port_info info;
	struct rte_mbuf *tx[8], *rx[8];

	ck_assert_int_ge(pid, 0);
	ck_assert_int_eq(dp_eal_port_id("net_nothing9"), -ENODEV);
	pp.port_id = (uint16_t)pid;
	ck_assert_int_eq(dp_port_start(&pp, &info), 0);
	ck_assert_uint_eq(info.n_queues, 1);
	ck_assert(!info.rss);
	ck_assert_int_eq(dp_port_wait_link(pp.port_id, 100), 1);
	for (int i = 0; i < 8; i++)
		tx[i] = seq_frame(i);
	ck_assert_uint_eq(rte_eth_tx_burst(pp.port_id, 0, tx, 8), 8);
	uint16_t n = rte_eth_rx_burst(pp.port_id, 0, rx, 8);
	ck_assert_uint_eq(n, 8);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(frame_seq(rx[i]), i);
	rte_pktmbuf_free_bulk(rx, n);

	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	ck_assert_int_eq(dp_port_stats_json(pp.port_id, out), 0);
	fclose(out);
	ck_assert_ptr_nonnull(strstr(buf, "\"ipackets\":8"));
	ck_assert_ptr_nonnull(strstr(buf, "\"opackets\":8"));
	free(buf);

	/* more queues than the device has */
	int nul = dp_eal_port_id("net_null0,size=64");
	ck_assert_int_ge(nul, 0);
	struct dp_port_params bad = { .port_id = (uint16_t)nul, .n_queues = 4096, .pool = pool };
	ck_assert_int_eq(dp_port_start(&bad, &info), -ENOTSUP);
	struct dp_port_params two = { .port_id = (uint16_t)nul, .n_queues = 2, .pool = pool };
	ck_assert_int_eq(dp_port_start(&two, &info), 0);
	ck_assert_uint_eq(info.n_queues, 2);

	ck_assert_int_eq(dp_port_stop(pp.port_id), 0);
	ck_assert_int_eq(dp_port_stop((uint16_t)nul), 0);
}
END_TEST

static Suite *
dataplane_suite(void)
{
	Suite *s = suite_create("dataplane");
	TCase *tc;

	tc = tcase_create("fault");
	tcase_add_test(tc, fault_rates_within_tolerance);
	tcase_add_test(tc, fault_repeatable_and_seeded);
	tcase_add_test(tc, fault_off_is_identity_and_bad_rates_rejected);
	tcase_add_test(tc, fault_all_drop_and_held_freed_on_destroy);
	suite_add_tcase(s, tc);
	tc = tcase_create("steer");
	tcase_add_test(tc, steer_owner_symmetric_and_balanced);
	tcase_add_test(tc, steer_pick_sport_maps_back);
	tcase_add_test(tc, steer_burst_moves_frames_to_owner);
	tcase_add_test(tc, steer_fragments_by_address_pair);
	tcase_add_test(tc, steer_reassembled_to_flow_owner);
	suite_add_tcase(s, tc);
	tc = tcase_create("msg");
	tcase_add_test(tc, msg_fabric_roundtrip_and_full);
	suite_add_tcase(s, tc);
	tc = tcase_create("port");
	tcase_add_test(tc, port_start_loopback_and_stats);
	suite_add_tcase(s, tc);
	return s;
}

int
main(int argc, char **argv)
{
	static char prefix[64];
	static char *eal[] = { "-l", "0", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			       "--file-prefix", prefix, "--log-level", "error" };
	struct cfg_port ports[2] = {
		{ .name = "loop", .device = "net_ring0" },
		{ .name = "null", .device = "net_null0,size=64" },
	};
	struct cfg_dataplane dp = { .eal = eal, .n_eal = RTE_DIM(eal), .ports = ports,
				    .n_ports = 2, .mbufs = 8192 };
	int failed;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "tdp%d", (int)getpid());
	if (dp_eal_init(&dp, argv[0], NULL, 0) != 0) {
		fprintf(stderr, "EAL init failed\n");
		return 1;
	}
	pool = dp_eal_pktpool("test_pkts", dp.mbufs, SOCKET_ID_ANY);
	if (pool == NULL)
		return 1;
	SRunner *sr = srunner_create(dataplane_suite());
	srunner_set_fork_status(sr, CK_NOFORK); /* one EAL per process */
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	rte_mempool_free(pool);
	dp_eal_fini();
	return failed == 0 ? 0 : 1;
}
