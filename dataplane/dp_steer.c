/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_steer.c — symmetric flow ownership and the steering rings (dp_steer.h).
 */
#include <errno.h>
#include <stdio.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>
#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_tcp.h>
#include <rte_thash.h>

#include "dataplane/dp_steer.h"

const uint8_t dp_steer_sym_rss_key[40] = {
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
	0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a, 0x6d, 0x5a,
};

struct dp_steer {
	unsigned n_io;
	int rss;
	uint8_t key[40];
	uint8_t reta[DP_STEER_RETA_SIZE];
	struct rte_ring *ring[DP_STEER_MAX_LCORES];
};

struct dp_steer *
dp_steer_create(const struct dp_steer_params *p)
{
	char name[RTE_RING_NAMESIZE];
	unsigned size = p->ring_size ? p->ring_size : 4096;
	struct dp_steer *st;

	if (p->n_io == 0 || p->n_io > DP_STEER_MAX_LCORES || !rte_is_power_of_2(size)) {
		errno = EINVAL;
		return NULL;
	}
	st = rte_zmalloc_socket("dp_steer", sizeof(*st), RTE_CACHE_LINE_SIZE, p->socket_id);
	if (st == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	st->n_io = p->n_io;
	if (p->rss_key != NULL) {
		st->rss = 1;
		memcpy(st->key, p->rss_key, sizeof(st->key));
	}
	for (unsigned i = 0; i < DP_STEER_RETA_SIZE; i++)
		st->reta[i] = (uint8_t)(i % p->n_io);
	if (p->n_io > 1) {
		for (unsigned i = 0; i < p->n_io; i++) {
			snprintf(name, sizeof(name), "%s_st%u", p->name ? p->name : "dp", i);
			st->ring[i] = rte_ring_create(name, size, p->socket_id, RING_F_SC_DEQ);
			if (st->ring[i] == NULL) {
				int e = rte_errno;
				dp_steer_destroy(st);
				errno = e;
				return NULL;
			}
		}
	}
	return st;
}

void
dp_steer_destroy(struct dp_steer *st)
{
	struct rte_mbuf *m;

	if (st == NULL)
		return;
	for (unsigned i = 0; i < st->n_io; i++) {
		if (st->ring[i] == NULL)
			continue;
		while (rte_ring_dequeue(st->ring[i], (void **)&m) == 0)
			rte_pktmbuf_free(m);
		rte_ring_free(st->ring[i]);
	}
	rte_free(st);
}

unsigned
dp_steer_n_io(const struct dp_steer *st)
{
	return st->n_io;
}

unsigned
dp_steer_owner(const struct dp_steer *st, uint32_t saddr, uint32_t daddr,
	       uint16_t sport, uint16_t dport)
{
	if (st->n_io == 1)
		return 0;
	if (st->rss) {
		uint32_t tuple[3] = { saddr, daddr, ((uint32_t)sport << 16) | dport };
		uint32_t h = rte_softrss(tuple, 3, st->key);
		return st->reta[h % DP_STEER_RETA_SIZE];
	}
	uint32_t h = rte_hash_crc_4byte(saddr ^ daddr, 0x5bd1e995u);
	h = rte_hash_crc_4byte((uint32_t)(sport ^ dport), h);
	return (h ^ (h >> 16)) % st->n_io;
}

unsigned
dp_steer_classify(const struct dp_steer *st, const struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eth;
	const struct rte_ipv4_hdr *ip;
	uint16_t et;
	uint32_t l3 = sizeof(*eth);

	if (st->n_io == 1 || rte_pktmbuf_data_len(m) < sizeof(*eth))
		return DP_STEER_LOCAL;
	eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	et = eth->ether_type;
	if (et == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		const struct rte_vlan_hdr *vh = (const void *)(eth + 1);
		if (rte_pktmbuf_data_len(m) < l3 + sizeof(*vh))
			return DP_STEER_LOCAL;
		et = vh->eth_proto;
		l3 += sizeof(*vh);
	}
	if (et == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return DP_STEER_ALL;
	if (et != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    rte_pktmbuf_data_len(m) < l3 + sizeof(*ip))
		return DP_STEER_LOCAL;
	ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, l3);
	if (ip->next_proto_id != IPPROTO_TCP && ip->next_proto_id != IPPROTO_UDP)
		return DP_STEER_LOCAL;
	/* Fragments: only the first carries ports, so every fragment of a
	 * datagram (the first included) goes by the address pair to one
	 * lcore, which reassembles it (as tcp_frame_flow_hash() returns 1). */
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_OFFSET_MASK | RTE_IPV4_HDR_MF_FLAG))
		return dp_steer_owner(st, rte_be_to_cpu_32(ip->src_addr),
				      rte_be_to_cpu_32(ip->dst_addr), 0, 0);
	uint32_t ihl = (ip->version_ihl & 0x0f) * 4u;
	if (ihl < sizeof(*ip) || rte_pktmbuf_data_len(m) < l3 + ihl + 4)
		return DP_STEER_LOCAL;
	const uint16_t *ports = rte_pktmbuf_mtod_offset(m, const uint16_t *, l3 + ihl);
	return dp_steer_owner(st, rte_be_to_cpu_32(ip->src_addr),
			      rte_be_to_cpu_32(ip->dst_addr), rte_be_to_cpu_16(ports[0]),
			      rte_be_to_cpu_16(ports[1]));
}

uint16_t
dp_steer_burst(struct dp_steer *st, unsigned me, struct rte_mbuf **pkts, uint16_t n,
	       struct rte_mbuf **keep, struct dp_steer_stats *stats)
{
	struct dp_steer_stats dummy;
	uint16_t k = 0;

	if (stats == NULL)
		stats = &dummy;
	if (st->n_io == 1) {
		if (keep != pkts)
			memcpy(keep, pkts, n * sizeof(*pkts));
		return n;
	}
	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		unsigned o = dp_steer_classify(st, m);

		if (o == DP_STEER_LOCAL || o == me) {
			keep[k++] = m;
			continue;
		}
		if (o == DP_STEER_ALL) {
			for (unsigned j = 0; j < st->n_io; j++) {
				if (j == me)
					continue;
				struct rte_mbuf *c = rte_pktmbuf_copy(m, m->pool, 0, UINT32_MAX);
				if (c == NULL || rte_ring_mp_enqueue(st->ring[j], c) != 0) {
					rte_pktmbuf_free(c);
					stats->ring_full++;
				} else {
					stats->arp_copies++;
				}
			}
			keep[k++] = m;
			continue;
		}
		if (rte_ring_mp_enqueue(st->ring[o], m) != 0) {
			rte_pktmbuf_free(m);
			stats->ring_full++;
		} else {
			stats->steered_out++;
		}
	}
	return k;
}

int
dp_steer_to(struct dp_steer *st, unsigned owner, struct rte_mbuf *m)
{
	if (owner >= st->n_io || st->ring[owner] == NULL ||
	    rte_ring_mp_enqueue(st->ring[owner], m) != 0)
		return -ENOBUFS;
	return 0;
}

uint16_t
dp_steer_recv(struct dp_steer *st, unsigned me, struct rte_mbuf **pkts, uint16_t n)
{
	if (st->ring[me] == NULL)
		return 0;
	return (uint16_t)rte_ring_sc_dequeue_burst(st->ring[me], (void **)pkts, n, NULL);
}

uint16_t
dp_steer_pick_sport(const struct dp_steer *st, unsigned me, uint32_t laddr,
		    uint32_t raddr, uint16_t rport, uint32_t *cursor)
{
	const uint32_t range = DP_STEER_SPORT_MAX - DP_STEER_SPORT_MIN + 1;

	for (uint32_t i = 0; i < range; i++) {
		uint16_t sport = (uint16_t)(DP_STEER_SPORT_MIN + (*cursor % range));
		(*cursor)++;
		if (dp_steer_owner(st, laddr, raddr, sport, rport) == me)
			return sport;
	}
	return 0;
}
