/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_tcp_proto.c — the layers under TCP, with crafted frames and no NIC:
 * SipHash-2-4 reference vector, the symmetric steering hash, ARP (reply,
 * gratuitous, resolution with queued frames, queue bound, failure and
 * expiry), IPv4 validation counters, fragment reassembly and timeout,
 * ICMP echo and rate-limited unreachables, RST for a closed port, and no
 * leaked mbufs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "tcpstack/tcp_priv.h"
#include "tcp_harness.h"

static unsigned avail0;
static struct tt_node *node;
static const struct rte_ether_addr zero_mac;

struct app {
	int closed;
	enum tcp_close_reason reason;
};

static void
app_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	(void)ctx;
	rte_pktmbuf_free(m);
	tcp_recv_done(c, len);
}

static void
app_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason r)
{
	struct app *a = ctx;

	(void)c;
	a->closed++;
	a->reason = r;
}

static const struct tcp_callbacks app_cb = {
	.recv = app_recv,
	.closed = app_closed,
};

static void
setup(void)
{
	struct tcp_stack_params p;

	tt_eal_init();
	avail0 = tt_pool_avail();
	tt_params(&p, NULL);
	p.icmp_rate_limit = 3;
	p.arp_queue_max = 4;
	node = tt_node_new(&p);
	ck_assert_ptr_nonnull(node);
}

static void
teardown(void)
{
	tt_node_free(node);
	node = NULL;
	ck_assert_uint_eq(tt_pool_avail(), avail0);
}

START_TEST(siphash_vector)
{
	uint8_t k[16], msg[15];
	uint64_t key[2];

	for (int i = 0; i < 16; i++)
		k[i] = (uint8_t)i;
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	memcpy(key, k, 16);
	/* SipHash paper, appendix A */
	ck_assert_uint_eq(tcp_siphash(key, msg, 15), 0xa129ca6149be45e5ULL);
}
END_TEST

START_TEST(flow_hash_symmetric)
{
	uint8_t opts[4];
	struct rte_mbuf *m;
	uint32_t h;

	ck_assert_uint_eq(tcp_flow_hash(1, 2, 3, 4), tcp_flow_hash(3, 4, 1, 2));
	ck_assert_uint_ne(tcp_flow_hash(1, 2, 3, 4), tcp_flow_hash(1, 2, 3, 5));
	m = tt_tcp(&(struct tt_seg){ .sport = 1234, .dport = 25,
				     .flags = TH_SYN, .opts = opts, .optlen = 0 });
	ck_assert_int_eq(tcp_frame_flow_hash(m, &h), 0);
	ck_assert_uint_eq(h, tcp_flow_hash(TT_IP_US, 25, TT_IP_PEER, 1234));
	rte_pktmbuf_free(m);
	m = tt_arp(RTE_ARP_OP_REQUEST, &tt_mac_peer, TT_IP_PEER, &zero_mac,
		   TT_IP_US, &tt_mac_us);
	ck_assert_int_eq(tcp_frame_flow_hash(m, &h), -ENOENT);
	rte_pktmbuf_free(m);
}
END_TEST

START_TEST(arp_reply_and_gratuitous)
{
	struct tt_pkt p;

	tcp_stack_timers(node->s, node->now_us);
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.ethertype, RTE_ETHER_TYPE_ARP);
	ck_assert_uint_eq(p.arp_sip, TT_IP_US);
	ck_assert_uint_eq(p.arp_tip, TT_IP_US);
	ck_assert_uint_eq(tcp_stack_counters(node->s)->arp_gratuitous_tx, 1);

	tt_input(node, tt_arp(RTE_ARP_OP_REQUEST, &tt_mac_peer, TT_IP_PEER,
			      &zero_mac, TT_IP_US, &tt_mac_us));
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.arp_op, RTE_ARP_OP_REPLY);
	ck_assert_uint_eq(p.arp_sip, TT_IP_US);
	ck_assert_uint_eq(p.arp_tip, TT_IP_PEER);
	ck_assert(rte_is_same_ether_addr(&p.dst, &tt_mac_peer));
	ck_assert(rte_is_same_ether_addr(&p.src, &tt_mac_us));
	/* not for us: no reply */
	tt_input(node, tt_arp(RTE_ARP_OP_REQUEST, &tt_mac_peer, TT_IP_PEER,
			      &zero_mac, TT_IP_US + 1, &tt_mac_us));
	ck_assert_uint_eq(tt_pending(node), 0);
	ck_assert_uint_eq(tcp_stack_counters(node->s)->arp_replies_tx, 1);
}
END_TEST

START_TEST(arp_resolve_queue_release)
{
	struct app a = { 0 };
	struct tcp_conn *c[6];
	struct tt_pkt p;
	int syns = 0;

	tcp_stack_timers(node->s, node->now_us);
	tt_drain(node);
	for (int i = 0; i < 6; i++) {
		c[i] = tcp_connect(node->s, 0, TT_IP_PEER, 25, &app_cb, &a);
		ck_assert_ptr_nonnull(c[i]);
	}
	/* one ARP request, SYNs held (queue bound 4: two dropped) */
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.ethertype, RTE_ETHER_TYPE_ARP);
	ck_assert_uint_eq(p.arp_op, RTE_ARP_OP_REQUEST);
	ck_assert_uint_eq(p.arp_tip, TT_IP_PEER);
	ck_assert_uint_eq(tt_pending(node), 0);
	ck_assert_uint_eq(tcp_stack_counters(node->s)->drop_arp_queue_full, 2);
	tt_input(node, tt_arp(RTE_ARP_OP_REPLY, &tt_mac_peer, TT_IP_PEER,
			      &tt_mac_us, TT_IP_US, &tt_mac_us));
	/* the 4 queued SYNs go out, and the 2 dropped ones are sent again at
	 * once (not after the initial RTO): one SYN per connection */
	uint16_t seen[6] = { 0 };
	while (tt_take(node, &p)) {
		ck_assert_uint_eq(p.proto, IPPROTO_TCP);
		ck_assert_uint_eq(p.flags, TH_SYN);
		ck_assert(rte_is_same_ether_addr(&p.dst, &tt_mac_peer));
		ck_assert(p.ip_cksum_ok && p.l4_cksum_ok);
		ck_assert_int_lt(syns, 6);
		for (int i = 0; i < syns; i++)
			ck_assert_uint_ne(seen[i], p.sport);
		seen[syns++] = p.sport;
	}
	ck_assert_int_eq(syns, 6);
	ck_assert_uint_eq(tcp_stack_counters(node->s)->arp_syn_kicked, 2);
	/* nothing more when the entry is refreshed */
	tt_input(node, tt_arp(RTE_ARP_OP_REPLY, &tt_mac_peer, TT_IP_PEER,
			      &tt_mac_us, TT_IP_US, &tt_mac_us));
	ck_assert_uint_eq(tt_pending(node), 0);
	for (int i = 0; i < 6; i++)
		tcp_abort(c[i]);
	ck_assert_int_eq(a.closed, 6);
}
END_TEST

START_TEST(arp_failure_and_expiry)
{
	struct app a = { 0 };
	struct tcp_conn *c;
	struct tt_pkt p;
	int reqs = 0;

	tcp_stack_timers(node->s, node->now_us);
	tt_drain(node);
	c = tcp_connect(node->s, 0, TT_IP_PEER, 25, &app_cb, &a);
	ck_assert_ptr_nonnull(c);
	tt_advance(node, 5000);
	while (tt_take(node, &p))
		if (p.ethertype == RTE_ETHER_TYPE_ARP)
			reqs++;
	ck_assert_int_ge(reqs, 3);
	ck_assert_int_eq(a.closed, 1);
	ck_assert_int_eq(a.reason, TCP_CLOSE_UNREACHABLE);
	ck_assert_uint_ge(tcp_stack_counters(node->s)->drop_arp_unresolved, 1);

	/* learned entry expires after arp_timeout (default 300 s) */
	tt_learn_peers(node);
	tt_input(node, tt_icmp_echo(TT_IP_PEER, TT_IP_US, 1, 1, "x", 1));
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.proto, IPPROTO_ICMP);
	tt_advance(node, 301000);
	tt_drain(node);
	a.closed = 0;
	c = tcp_connect(node->s, 0, TT_IP_PEER, 25, &app_cb, &a);
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.ethertype, RTE_ETHER_TYPE_ARP);
	tcp_abort(c);
}
END_TEST

START_TEST(icmp_echo)
{
	char data[100];
	struct tt_pkt p;

	for (int i = 0; i < 100; i++)
		data[i] = (char)i;
	tt_learn_peers(node);
	tt_input(node, tt_icmp_echo(TT_IP_PEER, TT_IP_US, 7, 9, data, 100));
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.proto, IPPROTO_ICMP);
	ck_assert_uint_eq(p.icmp_type, RTE_IP_ICMP_ECHO_REPLY);
	ck_assert_uint_eq(p.sip, TT_IP_US);
	ck_assert_uint_eq(p.dip, TT_IP_PEER);
	ck_assert(p.ip_cksum_ok && p.l4_cksum_ok);
	ck_assert_uint_eq(p.len, 100);
	ck_assert_mem_eq(p.payload, data, 100);
	ck_assert(rte_is_same_ether_addr(&p.dst, &tt_mac_peer));
	ck_assert_uint_eq(tcp_stack_counters(node->s)->icmp_echo_tx, 1);
}
END_TEST

START_TEST(icmp_unreachable_rate_limited)
{
	uint8_t udp[16] = { 0, 53, 0, 53, 0, 16, 0, 0 };
	struct tt_pkt p;
	int n = 0;

	tt_learn_peers(node);
	for (int i = 0; i < 5; i++)
		tt_input(node, tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_UDP, 0, 1,
				       udp, sizeof(udp)));
	while (tt_take(node, &p)) {
		ck_assert_uint_eq(p.icmp_type, 3);
		ck_assert_uint_eq(p.icmp_code, 3);
		ck_assert(p.ip_cksum_ok && p.l4_cksum_ok);
		ck_assert_uint_eq(p.len, 28); /* quoted header + 8 bytes */
		n++;
	}
	ck_assert_int_eq(n, 3);
	ck_assert_uint_eq(tcp_stack_counters(node->s)->icmp_rate_limited, 2);
	tt_advance(node, 1000);
	tt_input(node, tt_ipv4(TT_IP_PEER, TT_IP_US, 47, 0, 1, udp, sizeof(udp)));
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.icmp_type, 3);
	ck_assert_uint_eq(p.icmp_code, 2);
	/* never about broadcasts */
	tt_input(node, tt_ipv4(0xc0000aff, TT_IP_US, IPPROTO_UDP, 0, 1, udp,
			       sizeof(udp)));
	ck_assert_uint_eq(tt_pending(node), 0);
}
END_TEST

START_TEST(ipv4_validation)
{
	const struct tcp_stack_counters *k = tcp_stack_counters(node->s);
	uint8_t x[8] = { 0 };
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;

	tt_learn_peers(node);
	m = tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_UDP, 0, 1, x, 8);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->hdr_checksum ^= 1;
	tt_input(node, m);
	ck_assert_uint_eq(k->drop_ip_cksum, 1);

	m = tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_UDP, 0, 1, x, 8);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->version_ihl = 0x65;
	tt_input(node, m);
	ck_assert_uint_eq(k->drop_ip_version, 1);

	m = tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_UDP, 0, 1, x, 8);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
	ip->total_length = rte_cpu_to_be_16(200);
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	tt_input(node, m);
	ck_assert_uint_eq(k->drop_ip_len, 1);

	m = tt_ipv4(TT_IP_PEER, TT_IP_US + 5, IPPROTO_UDP, 0, 1, x, 8);
	tt_input(node, m);
	ck_assert_uint_eq(k->drop_ip_dst, 1);

	/* offload flag says bad: dropped without looking */
	m = tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_UDP, 0, 1, x, 8);
	m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
	tt_input(node, m);
	ck_assert_uint_eq(k->drop_ip_cksum, 2);

	/* options are skipped: an echo with a 4-byte NOP option is answered */
	{
		uint8_t buf[64];
		struct rte_icmp_hdr *ic;
		struct tt_pkt p;

		m = tt_icmp_echo(TT_IP_PEER, TT_IP_US, 1, 1, "abcd", 4);
		/* rebuild with options: header 24 bytes */
		memcpy(buf, rte_pktmbuf_mtod_offset(m, uint8_t *, 14 + 20), 12);
		rte_pktmbuf_append(m, 4);
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
		ip->version_ihl = 0x46;
		ip->total_length = rte_cpu_to_be_16(24 + 12);
		memset(ip + 1, 1, 4);
		ic = (struct rte_icmp_hdr *)((uint8_t *)(ip + 1) + 4);
		memcpy(ic, buf, 12);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		tt_input(node, m);
		ck_assert(tt_take(node, &p));
		ck_assert_uint_eq(p.icmp_type, 0);
		ck_assert(p.ip_cksum_ok && p.l4_cksum_ok);
		ck_assert_mem_eq(p.payload, "abcd", 4);
	}
}
END_TEST

START_TEST(fragments_reassembled)
{
	uint8_t buf[1208];
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)buf;
	struct tt_pkt p;

	tt_learn_peers(node);
	memset(ic, 0, sizeof(*ic));
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	for (int i = 8; i < 1208; i++)
		buf[i] = (uint8_t)(i * 13);
	ic->icmp_cksum = ~rte_raw_cksum(buf, sizeof(buf));
	/* second fragment first, then the first (MF), offsets in 8 bytes */
	tt_input(node, tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_ICMP, 600 / 8, 77,
			       buf + 600, 608));
	ck_assert_uint_eq(tt_pending(node), 0);
	tt_input(node, tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_ICMP,
			       RTE_IPV4_HDR_MF_FLAG | 0, 77, buf, 600));
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.icmp_type, 0);
	ck_assert_uint_eq(p.len, 1200);
	ck_assert_mem_eq(p.payload, buf + 8, 1200);
	ck_assert(p.l4_cksum_ok);
	ck_assert_uint_eq(tcp_stack_counters(node->s)->frag_reassembled, 1);

	/* an incomplete datagram times out and is counted */
	tt_input(node, tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_ICMP,
			       RTE_IPV4_HDR_MF_FLAG | 0, 78, buf, 600));
	tt_advance(node, 3000);
	ck_assert_uint_ge(tcp_stack_counters(node->s)->drop_frag, 1);
	ck_assert_uint_eq(tt_pending(node), 0);
}
END_TEST

/* Reassembled datagrams are offered to the reasm_handoff hook (the
 * dataplane hands them to the lcore owning the 4-tuple): taken, nothing is
 * processed here and the frame is a whole datagram another stack answers;
 * declined, it is processed here as before. */
static struct rte_mbuf *handed;
static bool hand_take;
static unsigned hand_calls;

static bool
hand_off(void *ctx, struct rte_mbuf *m)
{
	(void)ctx;
	hand_calls++;
	if (!hand_take)
		return false;
	handed = m;
	return true;
}

START_TEST(fragments_handed_off)
{
	struct tcp_stack_params p;
	struct tt_node *q;
	struct app a = { 0 }, b = { 0 };
	uint8_t opts[40], l4[160], data[64];
	struct rte_mbuf *syn;
	struct tt_pkt pk;
	uint32_t l4len;
	uint8_t ol;

	tt_params(&p, NULL);
	p.reasm_handoff = hand_off;
	q = tt_node_new(&p);
	ck_assert_ptr_nonnull(q);
	tt_learn_peers(q);
	tt_learn_peers(node);
	tt_drain(q);
	tt_drain(node);
	ck_assert_int_eq(tcp_listen(q->s, TT_IP_US, 25, &app_cb, &a), 0);
	ck_assert_int_eq(tcp_listen(node->s, TT_IP_US, 25, &app_cb, &b), 0);
	/* a SYN with options and 64 bytes of data, so that the first
	 * fragment (48 bytes) holds the whole TCP header and some data */
	memset(data, 'd', sizeof(data));
	ol = tt_syn_opts(opts, 1460, 7, true, true, 1, 0);
	syn = tt_tcp(&(struct tt_seg){ .sip = TT_IP_PEER, .dip = TT_IP_US, .sport = 40000,
				      .dport = 25, .seq = 1000, .flags = TH_SYN, .win = 65535,
				      .opts = opts, .optlen = ol, .data = data,
				      .len = sizeof(data) });
	l4len = rte_pktmbuf_pkt_len(syn) - RTE_ETHER_HDR_LEN - 20;
	ck_assert_uint_gt(l4len, 48);
	ck_assert_uint_le(20 + ol, 48);
	memcpy(l4, rte_pktmbuf_mtod_offset(syn, uint8_t *, RTE_ETHER_HDR_LEN + 20), l4len);
	rte_pktmbuf_free(syn);

	for (int take = 1; take >= 0; take--) {
		hand_take = take;
		hand_calls = 0;
		handed = NULL;
		/* the SYN in two fragments: 48 bytes (MF), the rest at 48 */
		tt_input(q, tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_TCP, 48 / 8,
				    (uint16_t)(90 + take), l4 + 48, l4len - 48));
		ck_assert_uint_eq(hand_calls, 0);
		tt_input(q, tt_ipv4(TT_IP_PEER, TT_IP_US, IPPROTO_TCP,
				    RTE_IPV4_HDR_MF_FLAG | 0, (uint16_t)(90 + take), l4, 48));
		ck_assert_uint_eq(hand_calls, 1);
		if (!take) {
			ck_assert(tt_take_tcp(q, &pk)); /* answered here */
			ck_assert_uint_eq(pk.flags, TH_SYN | TH_ACK);
			ck_assert_uint_eq(pk.dport, 40000);
			break;
		}
		ck_assert_ptr_nonnull(handed);
		ck_assert_uint_eq(tt_pending(q), 0);
		ck_assert_uint_eq(tcp_stack_counters(q->s)->frag_handed_off, 1);
		{
			const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(
				handed, const struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);

			ck_assert_uint_eq(rte_raw_cksum(ip, 20), 0xffff);
			uint16_t fo = rte_be_to_cpu_16(ip->fragment_offset);

			ck_assert_uint_eq(fo & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK), 0);
			ck_assert_uint_eq(rte_be_to_cpu_16(ip->total_length), 20 + l4len);
			ck_assert_uint_eq(rte_pktmbuf_pkt_len(handed),
					  RTE_ETHER_HDR_LEN + 20 + l4len);
		}
		/* the owner processes it like any received frame */
		tt_input(node, handed);
		ck_assert(tt_take_tcp(node, &pk));
		ck_assert_uint_eq(pk.flags, TH_SYN | TH_ACK);
		ck_assert_uint_eq(pk.dport, 40000);
		ck_assert(pk.ip_cksum_ok && pk.l4_cksum_ok);
	}
	tt_node_free(q);
}
END_TEST

START_TEST(tcp_closed_port_rst)
{
	struct tt_pkt p;

	tt_learn_peers(node);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 4000, .dport = 9,
						.seq = 100, .flags = TH_SYN }));
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.flags, TH_RST | TH_ACK);
	ck_assert_uint_eq(p.seq, 0);
	ck_assert_uint_eq(p.ack, 101);
	ck_assert(p.l4_cksum_ok);
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 4000, .dport = 9,
						.seq = 100, .ack = 5555,
						.flags = TH_ACK }));
	ck_assert(tt_take(node, &p));
	ck_assert_uint_eq(p.flags, TH_RST);
	ck_assert_uint_eq(p.seq, 5555);
	/* never answer a RST; bad checksum dropped and counted */
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 4000, .dport = 9,
						.seq = 100, .flags = TH_RST }));
	tt_input(node, tt_tcp(&(struct tt_seg){ .sport = 4000, .dport = 9,
						.seq = 100, .flags = TH_SYN,
						.bad_cksum = true }));
	ck_assert_uint_eq(tt_pending(node), 0);
	ck_assert_uint_eq(tcp_stack_counters(node->s)->drop_tcp_cksum, 1);
}
END_TEST

/* Checksums over chains whose segments have odd lengths (what the
 * zero-copy TX path and IP reassembly produce) equal the checksum of the
 * same bytes in one buffer. DPDK 22.11's rte_raw_cksum_mbuf() gets these
 * wrong, which made Linux drop some segments of large messages. */
START_TEST(cksum_odd_chains)
{
	static const uint16_t splits[][4] = {
		{ 1, 0 }, { 3, 0 }, { 7, 700 }, { 1, 1, 1 }, { 333, 5, 77 }, { 54, 1447 },
		{ 65, 2, 999 }, { 2, 4, 6 },
	};
	uint8_t flat[1500];

	for (size_t i = 0; i < sizeof(flat); i++)
		flat[i] = (uint8_t)(i * 7 + 0xfe - (i >> 3));
	for (size_t k = 0; k < sizeof(splits) / sizeof(splits[0]); k++) {
		for (uint32_t off = 0; off < 5; off++) {
			struct rte_mbuf *head = NULL, *last = NULL;
			size_t pos = 0;
			uint16_t got = 0, want;

			for (int j = 0; pos < sizeof(flat); j++) {
				size_t n = j < 4 && splits[k][j] ? splits[k][j] : sizeof(flat) - pos;
				struct rte_mbuf *m = rte_pktmbuf_alloc(tt_pool());

				ck_assert_ptr_nonnull(m);
				if (n > sizeof(flat) - pos)
					n = sizeof(flat) - pos;
				memcpy(rte_pktmbuf_append(m, (uint16_t)n), flat + pos, n);
				pos += n;
				if (head == NULL) {
					head = m;
				} else {
					last->next = m;
					head->nb_segs++;
					head->pkt_len += m->pkt_len;
				}
				last = m;
			}
			want = rte_raw_cksum(flat + off, sizeof(flat) - off);
			ck_assert_int_eq(tcp_cksum_raw_mbuf(head, off, sizeof(flat) - off, &got), 0);
			ck_assert_msg(got == want, "split %zu off %u: %04x != %04x", k, off, got, want);
			ck_assert_int_eq(tcp_cksum_raw_mbuf(head, off, sizeof(flat) - off + 1, &got), -1);
			rte_pktmbuf_free(head);
		}
	}
}
END_TEST

/* The word-at-a-time sum equals DPDK's 16-bit loop for every length and
 * alignment, on random bytes, all-zero and all-0xff data (the 0 / 0xffff
 * edge of one's complement). */
START_TEST(cksum_lengths)
{
	static uint8_t buf[600];
	uint64_t x = 88172645463325252ull;

	for (int fill = 0; fill < 3; fill++) {
		for (size_t i = 0; i < sizeof(buf); i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = fill == 0 ? (uint8_t)x : fill == 1 ? 0 : 0xff;
		}
		for (uint32_t off = 0; off < 8; off++)
			for (uint32_t len = 0; len + off <= sizeof(buf) && len <= 520; len++) {
				struct rte_mbuf *m = rte_pktmbuf_alloc(tt_pool());
				uint16_t got = 1, want = rte_raw_cksum(buf + off, len);

				ck_assert_ptr_nonnull(m);
				memcpy(rte_pktmbuf_append(m, (uint16_t)(off + len)), buf,
				       off + len);
				ck_assert_int_eq(tcp_cksum_raw_mbuf(m, off, len, &got), 0);
				ck_assert_msg(got == want, "fill %d off %u len %u: %04x != %04x",
					      fill, off, len, got, want);
				rte_pktmbuf_free(m);
			}
	}
}
END_TEST

START_TEST(arp_quiet_stack)
{
	struct tcp_stack_params p;
	struct tt_node *q;
	struct tt_pkt pk;

	tt_params(&p, NULL);
	p.arp_quiet = true;
	q = tt_node_new(&p);
	tcp_stack_timers(q->s, q->now_us);
	ck_assert_uint_eq(tt_pending(q), 0); /* no gratuitous ARP */
	tt_input(q, tt_arp(RTE_ARP_OP_REQUEST, &tt_mac_peer, TT_IP_PEER,
			   &zero_mac, TT_IP_US, &tt_mac_us));
	ck_assert_uint_eq(tt_pending(q), 0); /* no reply, but learned: */
	{
		struct app a = { 0 };
		struct tcp_conn *c = tcp_connect(q->s, 0, TT_IP_PEER, 25,
						 &app_cb, &a);

		ck_assert(tt_take(q, &pk)); /* the SYN, without an ARP request */
		ck_assert_uint_eq(pk.proto, IPPROTO_TCP);
		ck_assert(rte_is_same_ether_addr(&pk.dst, &tt_mac_peer));
		tcp_abort(c);
	}
	tt_node_free(q);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("tcp_proto");
	TCase *tc = tcase_create("proto");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, siphash_vector);
	tcase_add_test(tc, cksum_odd_chains);
	tcase_add_test(tc, cksum_lengths);
	tcase_add_test(tc, flow_hash_symmetric);
	tcase_add_test(tc, arp_reply_and_gratuitous);
	tcase_add_test(tc, arp_resolve_queue_release);
	tcase_add_test(tc, arp_failure_and_expiry);
	tcase_add_test(tc, icmp_echo);
	tcase_add_test(tc, icmp_unreachable_rate_limited);
	tcase_add_test(tc, ipv4_validation);
	tcase_add_test(tc, fragments_reassembled);
	tcase_add_test(tc, fragments_handed_off);
	tcase_add_test(tc, tcp_closed_port_rst);
	tcase_add_test(tc, arp_quiet_stack);
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
