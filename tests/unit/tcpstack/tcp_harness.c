/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_harness.c — see tcp_harness.h. EAL runs with --no-huge --no-pci and
 * a per-process file prefix so parallel test binaries do not collide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_arp.h>
#include <rte_eal.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcp_harness.h"

const struct rte_ether_addr tt_mac_us = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x10 } };
const struct rte_ether_addr tt_mac_peer = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x20 } };
const struct rte_ether_addr tt_mac_gw = { .addr_bytes = { 0x02, 0, 0, 0, 0, 0x01 } };

static struct rte_mempool *pool, *big_pool; /* big: crafted input frames */

void
tt_eal_init(void)
{
	char prefix[64];
	char *argv[] = { "tcptest", "--no-huge", "--no-pci", "-m", "256",
			 "--no-shconf", "--log-level=*:error", prefix, NULL };

	if (pool)
		return;
	snprintf(prefix, sizeof(prefix), "--file-prefix=tcpt%d", (int)getpid());
	if (rte_eal_init(8, argv) < 0) {
		fprintf(stderr, "rte_eal_init failed\n");
		exit(1);
	}
	pool = rte_pktmbuf_pool_create("tcpt_pool", 32767, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	big_pool = rte_pktmbuf_pool_create("tcpt_big", 2047, 0, 0,
					   10240 + RTE_PKTMBUF_HEADROOM,
					   SOCKET_ID_ANY);
	if (pool == NULL || big_pool == NULL) {
		fprintf(stderr, "mempool failed\n");
		exit(1);
	}
}

struct rte_mempool *
tt_pool(void)
{
	return pool;
}

unsigned
tt_pool_avail(void)
{
	return rte_mempool_avail_count(pool) + rte_mempool_avail_count(big_pool);
}

uint64_t
tt_clock(void *ctx)
{
	return ((struct tt_node *)ctx)->now_us;
}

void
tt_tx(void *ctx, uint16_t port, struct rte_mbuf **pkts, uint16_t n)
{
	struct tt_cap *cap = &((struct tt_node *)ctx)->cap;

	for (uint16_t i = 0; i < n; i++) {
		if (cap->n == TT_CAP_MAX) {
			rte_pktmbuf_free(pkts[i]);
			cap->dropped++;
			continue;
		}
		cap->pkts[(cap->head + cap->n) % TT_CAP_MAX] = pkts[i];
		cap->n++;
	}
}

void
tt_params(struct tcp_stack_params *p, struct tt_node *n)
{
	memset(p, 0, sizeof(*p));
	p->lcore_id = rte_lcore_id();
	p->socket_id = SOCKET_ID_ANY;
	p->pool = pool;
	p->n_ifaces = 1;
	p->ifaces[0].port_id = 0;
	p->ifaces[0].mac = tt_mac_us;
	p->ifaces[0].ipv4 = TT_IP_US;
	p->ifaces[0].prefix_len = 24;
	p->ifaces[0].gateway = TT_IP_GW;
	p->ifaces[0].mtu = 1500;
	p->ifaces[0].offloads = TCP_OFFLOAD_TX_MULTI_SEGS;
	p->max_conns = 64;
	p->tx = tt_tx;
	p->tx_ctx = n;
	p->clock = tt_clock;
	p->clock_ctx = n;
	for (int i = 0; i < 16; i++)
		p->secret[i] = (uint8_t)(0x5a ^ i * 7);
}

struct tt_node *
tt_node_new(const struct tcp_stack_params *p)
{
	struct tt_node *n = calloc(1, sizeof(*n));
	struct tcp_stack_params q = *p;

	n->now_us = 1000000; /* 1 s: nonzero timestamps */
	q.tx_ctx = n;
	q.clock_ctx = n;
	n->s = tcp_stack_create(&q);
	if (n->s == NULL) {
		free(n);
		return NULL;
	}
	return n;
}

void
tt_drain(struct tt_node *n)
{
	while (n->cap.n) {
		rte_pktmbuf_free(n->cap.pkts[n->cap.head]);
		n->cap.head = (n->cap.head + 1) % TT_CAP_MAX;
		n->cap.n--;
	}
}

void
tt_node_free(struct tt_node *n)
{
	if (n == NULL)
		return;
	tcp_stack_destroy(n->s);
	tt_drain(n);
	free(n);
}

void
tt_advance(struct tt_node *n, uint64_t ms)
{
	/* step in 1 ms ticks up to 50 ms, coarser after, like a poll loop */
	uint64_t end = n->now_us + ms * 1000;

	while (n->now_us < end) {
		uint64_t step = (end - n->now_us) > 50000 ? 10000 : 1000;

		n->now_us += step;
		if (n->now_us > end)
			n->now_us = end;
		tcp_stack_timers(n->s, n->now_us);
	}
	tcp_stack_timers(n->s, n->now_us);
}

void
tt_input(struct tt_node *n, struct rte_mbuf *m)
{
	tcp_stack_input(n->s, &m, 1);
}

unsigned
tt_pending(const struct tt_node *n)
{
	return n->cap.n;
}

bool
tt_take(struct tt_node *n, struct tt_pkt *p)
{
	struct rte_mbuf *m;

	if (n->cap.n == 0)
		return false;
	m = n->cap.pkts[n->cap.head];
	n->cap.head = (n->cap.head + 1) % TT_CAP_MAX;
	n->cap.n--;
	tt_parse(m, p);
	rte_pktmbuf_free(m);
	return true;
}

bool
tt_take_tcp(struct tt_node *n, struct tt_pkt *p)
{
	while (tt_take(n, p))
		if (p->ethertype == RTE_ETHER_TYPE_IPV4 && p->proto == IPPROTO_TCP)
			return true;
	return false;
}

static uint32_t
get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

int
tt_parse(const struct rte_mbuf *m, struct tt_pkt *p)
{
	uint8_t buf[10200];
	uint32_t len = rte_pktmbuf_pkt_len(m);
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot;

	memset(p, 0, sizeof(*p));
	p->mss = p->ws = -1;
	p->nb_segs = m->nb_segs;
	if (len > sizeof(buf) || len < RTE_ETHER_HDR_LEN)
		return -1;
	eh = rte_pktmbuf_read(m, 0, len, buf); /* copies only chains */
	p->ethertype = rte_be_to_cpu_16(eh->ether_type);
	p->src = eh->src_addr;
	p->dst = eh->dst_addr;
	if (p->ethertype == RTE_ETHER_TYPE_ARP) {
		const struct rte_arp_hdr *ah = (const struct rte_arp_hdr *)(eh + 1);

		p->arp_op = rte_be_to_cpu_16(ah->arp_opcode);
		p->arp_sip = rte_be_to_cpu_32(ah->arp_data.arp_sip);
		p->arp_tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
		return 0;
	}
	if (p->ethertype != RTE_ETHER_TYPE_IPV4)
		return 0;
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	ihl = (ip->version_ihl & 0xf) * 4u;
	tot = rte_be_to_cpu_16(ip->total_length);
	p->sip = rte_be_to_cpu_32(ip->src_addr);
	p->dip = rte_be_to_cpu_32(ip->dst_addr);
	p->proto = ip->next_proto_id;
	p->ttl = ip->time_to_live;
	p->ip_cksum_ok = rte_raw_cksum(ip, ihl) == 0xffff;
	if (tot + RTE_ETHER_HDR_LEN > len)
		return -1;
	if (p->proto == IPPROTO_ICMP) {
		const struct rte_icmp_hdr *ic =
			(const struct rte_icmp_hdr *)((const uint8_t *)ip + ihl);

		p->icmp_type = ic->icmp_type;
		p->icmp_code = ic->icmp_code;
		p->l4_cksum_ok = rte_raw_cksum(ic, tot - ihl) == 0xffff;
		p->len = tot - ihl - 8;
		memcpy(p->payload, ic + 1, p->len);
		return 0;
	}
	if (p->proto == IPPROTO_TCP) {
		const struct rte_tcp_hdr *th =
			(const struct rte_tcp_hdr *)((const uint8_t *)ip + ihl);
		uint32_t thl = (th->data_off >> 4) * 4u;
		const uint8_t *o = (const uint8_t *)(th + 1);
		unsigned i = 0, olen = thl - 20;

		p->l4_cksum_ok = rte_ipv4_udptcp_cksum_verify(ip, th) == 0;
		p->sport = rte_be_to_cpu_16(th->src_port);
		p->dport = rte_be_to_cpu_16(th->dst_port);
		p->seq = rte_be_to_cpu_32(th->sent_seq);
		p->ack = rte_be_to_cpu_32(th->recv_ack);
		p->flags = th->tcp_flags;
		p->win = rte_be_to_cpu_16(th->rx_win);
		p->len = tot - ihl - thl;
		memcpy(p->payload, (const uint8_t *)th + thl, p->len);
		while (i < olen) {
			uint8_t k = o[i];

			if (k == 0)
				break;
			if (k == 1) {
				i++;
				continue;
			}
			if (i + 1 >= olen || o[i + 1] < 2)
				break;
			if (k == 2)
				p->mss = o[i + 2] << 8 | o[i + 3];
			else if (k == 3)
				p->ws = o[i + 2];
			else if (k == 4)
				p->sackp = true;
			else if (k == 8) {
				p->has_ts = true;
				p->tsval = get32(o + i + 2);
				p->tsecr = get32(o + i + 6);
			} else if (k == 5) {
				p->n_sack = (o[i + 1] - 2) / 8;
				for (int b = 0; b < p->n_sack && b < 4; b++) {
					p->sack[b][0] = get32(o + i + 2 + 8 * b);
					p->sack[b][1] = get32(o + i + 6 + 8 * b);
				}
			}
			i += o[i + 1];
		}
	}
	return 0;
}

static struct rte_mbuf *
frame(uint32_t l3len, const struct rte_ether_addr *dst,
      const struct rte_ether_addr *src, uint16_t type)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(big_pool);
	struct rte_ether_hdr *eh;

	if (m == NULL)
		return NULL;
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, (uint16_t)(RTE_ETHER_HDR_LEN + l3len));
	eh->dst_addr = *dst;
	eh->src_addr = *src;
	eh->ether_type = rte_cpu_to_be_16(type);
	m->port = 0;
	return m;
}

struct rte_mbuf *
tt_tcp(const struct tt_seg *sg)
{
	uint32_t thl = 20 + ((sg->optlen + 3u) & ~3u);
	uint32_t tot = 20 + thl + sg->len;
	struct rte_mbuf *m = frame(tot, &tt_mac_us,
				   sg->sip == TT_IP_PEER || sg->sip == 0 ?
				   &tt_mac_peer : &tt_mac_gw, RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  RTE_ETHER_HDR_LEN);
	struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);
	uint8_t *o = (uint8_t *)(th + 1);

	memset(ip, 0, 20 + thl);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)tot);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(sg->sip ? sg->sip : TT_IP_PEER);
	ip->dst_addr = rte_cpu_to_be_32(sg->dip ? sg->dip : TT_IP_US);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	th->src_port = rte_cpu_to_be_16(sg->sport);
	th->dst_port = rte_cpu_to_be_16(sg->dport);
	th->sent_seq = rte_cpu_to_be_32(sg->seq);
	th->recv_ack = rte_cpu_to_be_32(sg->ack);
	th->data_off = (uint8_t)((thl / 4) << 4);
	th->tcp_flags = sg->flags;
	th->rx_win = rte_cpu_to_be_16(sg->win);
	if (sg->optlen)
		memcpy(o, sg->opts, sg->optlen);
	for (uint32_t i = sg->optlen; i < thl - 20; i++)
		o[i] = 1; /* NOP padding */
	if (sg->len)
		memcpy((uint8_t *)th + thl, sg->data, sg->len);
	th->cksum = 0;
	th->cksum = rte_ipv4_udptcp_cksum(ip, th);
	if (sg->bad_cksum)
		th->cksum ^= 0x1234;
	return m;
}

struct rte_mbuf *
tt_arp(uint16_t op, const struct rte_ether_addr *sha, uint32_t sip,
       const struct rte_ether_addr *tha, uint32_t tip,
       const struct rte_ether_addr *eth_dst)
{
	struct rte_mbuf *m = frame(sizeof(struct rte_arp_hdr), eth_dst, sha,
				   RTE_ETHER_TYPE_ARP);
	struct rte_arp_hdr *ah = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *,
							 RTE_ETHER_HDR_LEN);

	ah->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = 6;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = *sha;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(sip);
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

struct rte_mbuf *
tt_ipv4(uint32_t sip, uint32_t dip, uint8_t proto, uint16_t frag,
	uint16_t id, const void *payload, uint32_t len)
{
	struct rte_mbuf *m = frame(20 + len, &tt_mac_us, &tt_mac_peer,
				   RTE_ETHER_TYPE_IPV4);
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  RTE_ETHER_HDR_LEN);

	memset(ip, 0, 20);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16((uint16_t)(20 + len));
	ip->packet_id = rte_cpu_to_be_16(id);
	ip->fragment_offset = rte_cpu_to_be_16(frag);
	ip->time_to_live = 64;
	ip->next_proto_id = proto;
	ip->src_addr = rte_cpu_to_be_32(sip);
	ip->dst_addr = rte_cpu_to_be_32(dip);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(ip + 1, payload, len);
	return m;
}

struct rte_mbuf *
tt_icmp_echo(uint32_t sip, uint32_t dip, uint16_t id, uint16_t seq,
	     const void *data, uint32_t len)
{
	uint8_t buf[2048];
	struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)buf;

	memset(ic, 0, sizeof(*ic));
	ic->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	ic->icmp_ident = rte_cpu_to_be_16(id);
	ic->icmp_seq_nb = rte_cpu_to_be_16(seq);
	memcpy(ic + 1, data, len);
	ic->icmp_cksum = ~rte_raw_cksum(buf, sizeof(*ic) + len);
	return tt_ipv4(sip, dip, IPPROTO_ICMP, 0, 1, buf, sizeof(*ic) + len);
}

void
tt_learn_peers(struct tt_node *n)
{
	static const struct rte_ether_addr zero;

	tt_input(n, tt_arp(RTE_ARP_OP_REQUEST, &tt_mac_peer, TT_IP_PEER, &zero,
			   TT_IP_US, &tt_mac_us));
	tt_input(n, tt_arp(RTE_ARP_OP_REQUEST, &tt_mac_gw, TT_IP_GW, &zero,
			   TT_IP_US, &tt_mac_us));
	tcp_stack_timers(n->s, n->now_us); /* gratuitous ARP goes out here */
	tt_drain(n);
}

uint8_t
tt_ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr)
{
	o[0] = 1;
	o[1] = 1;
	o[2] = 8;
	o[3] = 10;
	for (int i = 0; i < 4; i++) {
		o[4 + i] = (uint8_t)(tsval >> (24 - 8 * i));
		o[8 + i] = (uint8_t)(tsecr >> (24 - 8 * i));
	}
	return 12;
}

uint8_t
tt_syn_opts(uint8_t *o, uint16_t mss, int ws, bool sack, bool ts,
	    uint32_t tsval, uint32_t tsecr)
{
	uint8_t n = 0;

	o[n++] = 2;
	o[n++] = 4;
	o[n++] = mss >> 8;
	o[n++] = (uint8_t)mss;
	if (sack) {
		o[n++] = 1;
		o[n++] = 1;
		o[n++] = 4;
		o[n++] = 2;
	}
	if (ts)
		n += tt_ts_opt(o + n, tsval, tsecr);
	if (ws >= 0) {
		o[n++] = 1;
		o[n++] = 3;
		o[n++] = 3;
		o[n++] = (uint8_t)ws;
	}
	return n;
}
