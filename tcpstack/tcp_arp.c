/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_arp.c — ARP for the stack's interfaces (RFC 826): replies to
 * requests for our addresses, resolves next hops with a bounded queue of
 * frames per pending entry, keeps a small open-addressing cache with
 * timeouts and announces each address with a gratuitous ARP at start.
 * Resolution failures drop the queued frames (counted) and end active
 * opens still in SYN_SENT towards that next hop. Active opens whose SYN
 * found the queue full (many connects at once to a new neighbour) send it
 * again as soon as the entry resolves instead of waiting for the initial
 * RTO (1 s).
 */
#include <string.h>

#include <rte_arp.h>

#include "tcpstack/tcp_priv.h"

#define ARP_LEN (RTE_ETHER_HDR_LEN + sizeof(struct rte_arp_hdr))

static unsigned
arp_slot(uint32_t ip)
{
	return (ip * 2654435761u) >> 24 & (TCP_ARP_SLOTS - 1);
}

static struct tcp_arp_entry *
arp_find(struct tcp_stack *s, uint32_t ip)
{
	unsigned h = arp_slot(ip);

	for (unsigned i = 0; i < TCP_ARP_PROBE; i++) {
		struct tcp_arp_entry *e = &s->arp[(h + i) & (TCP_ARP_SLOTS - 1)];

		if (e->state != TCP_ARP_FREE && e->ip == ip)
			return e;
	}
	return NULL;
}

static void
arp_release(struct tcp_stack *s, struct tcp_arp_entry *e, bool drop)
{
	for (uint16_t i = 0; i < e->n_queued; i++) {
		struct rte_mbuf *m = e->q[i];

		if (drop) {
			s->cnt.drop_arp_unresolved++;
			tcp_mbuf_free(s, m);
		} else {
			struct rte_ether_hdr *eh =
				rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

			eh->dst_addr = e->mac;
			tcp_iface_tx(s, e->iface, m);
		}
		e->q[i] = NULL;
	}
	e->n_queued = 0;
}

/* A slot for ip: free, or the resolved entry closest to expiry. */
static struct tcp_arp_entry *
arp_alloc(struct tcp_stack *s, uint32_t ip)
{
	unsigned h = arp_slot(ip);
	struct tcp_arp_entry *victim = NULL;

	for (unsigned i = 0; i < TCP_ARP_PROBE; i++) {
		struct tcp_arp_entry *e = &s->arp[(h + i) & (TCP_ARP_SLOTS - 1)];

		if (e->state == TCP_ARP_FREE)
			return e;
		if (e->state == TCP_ARP_RESOLVED &&
		    (victim == NULL || e->expire_ms < victim->expire_ms))
			victim = e;
	}
	return victim;
}

static struct rte_mbuf *
arp_frame(struct tcp_stack *s, unsigned iface, uint16_t op,
	  const struct rte_ether_addr *eth_dst,
	  const struct rte_ether_addr *tha, uint32_t tip)
{
	const struct tcp_iface *ifc = &s->ifaces[iface];
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->p.pool);
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;

	if (m == NULL) {
		s->cnt.drop_no_mbuf++;
		return NULL;
	}
	eh = (struct rte_ether_hdr *)rte_pktmbuf_append(m, ARP_LEN);
	if (eh == NULL) {
		rte_pktmbuf_free(m);
		s->cnt.drop_no_mbuf++;
		return NULL;
	}
	eh->dst_addr = *eth_dst;
	eh->src_addr = ifc->p.mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	ah = (struct rte_arp_hdr *)(eh + 1);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = 4;
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = ifc->p.mac;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(ifc->p.ipv4);
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

static void
arp_request(struct tcp_stack *s, unsigned iface, uint32_t tip)
{
	static const struct rte_ether_addr bcast = {
		.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
	static const struct rte_ether_addr zero = { .addr_bytes = { 0 } };
	struct rte_mbuf *m = arp_frame(s, iface, RTE_ARP_OP_REQUEST, &bcast,
				       &zero, tip);

	if (m) {
		s->cnt.arp_requests_tx++;
		tcp_iface_tx(s, iface, m);
	}
}

void
tcp_arp_gratuitous(struct tcp_stack *s, unsigned iface)
{
	arp_request(s, iface, s->ifaces[iface].p.ipv4);
	s->cnt.arp_requests_tx--;
	s->cnt.arp_gratuitous_tx++;
}

static void arp_kick_conns(struct tcp_stack *s, uint32_t nh);

static void
arp_learn(struct tcp_stack *s, unsigned iface, uint32_t ip,
	  const struct rte_ether_addr *mac, bool create)
{
	struct tcp_arp_entry *e = arp_find(s, ip);

	if (e == NULL) {
		if (!create || (e = arp_alloc(s, ip)) == NULL)
			return;
		if (e->state != TCP_ARP_FREE)
			arp_release(s, e, true);
		memset(e, 0, sizeof(*e));
		e->ip = ip;
	}
	e->iface = (uint8_t)iface;
	e->mac = *mac;
	e->state = TCP_ARP_RESOLVED;
	e->tries = 0;
	e->expire_ms = s->now_ms + s->p.arp_timeout_ms;
	arp_release(s, e, false);
	if (e->syn_wait) {
		e->syn_wait = 0;
		arp_kick_conns(s, ip);
	}
}

void
tcp_arp_input(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m)
{
	const struct tcp_iface *ifc = &s->ifaces[iface];
	struct rte_ether_hdr *eh;
	struct rte_arp_hdr *ah;
	uint32_t sip, tip;
	uint16_t op;
	bool for_us;

	s->cnt.arp_rx++;
	if (rte_pktmbuf_data_len(m) < ARP_LEN) {
		s->cnt.drop_arp_bad++;
		tcp_mbuf_free(s, m);
		return;
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	ah = (struct rte_arp_hdr *)(eh + 1);
	op = rte_be_to_cpu_16(ah->arp_opcode);
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != 4 ||
	    (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY) ||
	    !rte_is_unicast_ether_addr(&ah->arp_data.arp_sha)) {
		s->cnt.drop_arp_bad++;
		tcp_mbuf_free(s, m);
		return;
	}
	sip = rte_be_to_cpu_32(ah->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
	for_us = tip == ifc->p.ipv4 && sip != ifc->p.ipv4;
	/* RFC 826: update an existing entry always; create one only when the
	 * frame is addressed to us. */
	if (sip != 0 && sip != ifc->p.ipv4)
		arp_learn(s, iface, sip, &ah->arp_data.arp_sha, for_us);

	if (op == RTE_ARP_OP_REQUEST && for_us && !s->p.arp_quiet) {
		/* Turn the request into the reply in place. */
		ah->arp_opcode = RTE_BE16(RTE_ARP_OP_REPLY);
		ah->arp_data.arp_tha = ah->arp_data.arp_sha;
		ah->arp_data.arp_tip = ah->arp_data.arp_sip;
		ah->arp_data.arp_sha = ifc->p.mac;
		ah->arp_data.arp_sip = rte_cpu_to_be_32(ifc->p.ipv4);
		eh->dst_addr = eh->src_addr;
		eh->src_addr = ifc->p.mac;
		rte_pktmbuf_trim(m, rte_pktmbuf_pkt_len(m) - ARP_LEN);
		m->ol_flags &= TCP_MBUF_F_KEEP;
		s->cnt.arp_replies_tx++;
		tcp_iface_tx(s, iface, m);
		return;
	}
	tcp_mbuf_free(s, m);
}

void
tcp_arp_output(struct tcp_stack *s, unsigned iface, uint32_t nh,
	       struct rte_mbuf *m)
{
	struct tcp_arp_entry *e = arp_find(s, nh);
	struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	eh->src_addr = s->ifaces[iface].p.mac;
	eh->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	if (e && e->state == TCP_ARP_RESOLVED && e->expire_ms > s->now_ms) {
		eh->dst_addr = e->mac;
		tcp_iface_tx(s, iface, m);
		return;
	}
	if (e && e->state == TCP_ARP_RESOLVED) {
		/* Expired: resolve again, keep the frame meanwhile. */
		e->state = TCP_ARP_PENDING;
		e->tries = 0;
		e->expire_ms = 0;
	}
	if (e == NULL) {
		e = arp_alloc(s, nh);
		if (e == NULL) {
			s->cnt.drop_arp_queue_full++;
			tcp_mbuf_free(s, m);
			return;
		}
		if (e->state != TCP_ARP_FREE)
			arp_release(s, e, true);
		memset(e, 0, sizeof(*e));
		e->ip = nh;
		e->state = TCP_ARP_PENDING;
	}
	e->iface = (uint8_t)iface;
	if (e->n_queued >= u32_min(s->p.arp_queue_max, TCP_ARP_QMAX)) {
		s->cnt.drop_arp_queue_full++;
		e->syn_wait = 1;
		tcp_mbuf_free(s, m);
	} else {
		e->q[e->n_queued++] = m;
	}
	if (e->expire_ms <= s->now_ms) {
		e->tries++;
		e->expire_ms = s->now_ms + s->p.arp_retry_ms;
		arp_request(s, iface, nh);
	}
}

/* Active opens whose SYN was dropped while nh resolved (tcp_send_syn()
 * flags them): send the SYN now. A scan of the table, as arp_fail_conns(),
 * but only after a queue overflowed for this next hop. */
static void
arp_kick_conns(struct tcp_stack *s, uint32_t nh)
{
	for (uint32_t i = 0; i < s->p.max_conns; i++) {
		struct tcp_conn *c = &s->conns[i];

		if (c->stack && (c->flags & TCPF_ARP_WAIT) && c->nh_ip == nh &&
		    !(c->flags & TCPF_DEAD)) {
			c->flags &= ~TCPF_ARP_WAIT;
			if (c->state == TCP_SYN_SENT) {
				s->cnt.arp_syn_kicked++;
				tcp_send_syn(c);
			}
		}
	}
}

/* Active opens waiting for a next hop that never answered. */
static void
arp_fail_conns(struct tcp_stack *s, uint32_t nh)
{
	for (uint32_t i = 0; i < s->p.max_conns; i++) {
		struct tcp_conn *c = &s->conns[i];

		if (c->stack && c->state == TCP_SYN_SENT && c->nh_ip == nh &&
		    !(c->flags & TCPF_DEAD))
			tcp_conn_drop(c, TCP_CLOSE_UNREACHABLE);
	}
}

void
tcp_arp_timers(struct tcp_stack *s)
{
	for (unsigned i = 0; i < TCP_ARP_SLOTS; i++) {
		struct tcp_arp_entry *e = &s->arp[i];

		if (e->state == TCP_ARP_RESOLVED && e->expire_ms <= s->now_ms &&
		    e->n_queued == 0) {
			e->state = TCP_ARP_FREE;
		} else if (e->state == TCP_ARP_PENDING &&
			   e->expire_ms <= s->now_ms) {
			if (e->tries >= s->p.arp_retries) {
				uint32_t ip = e->ip;

				arp_release(s, e, true);
				e->state = TCP_ARP_FREE;
				arp_fail_conns(s, ip);
			} else {
				e->tries++;
				e->expire_ms = s->now_ms + s->p.arp_retry_ms;
				arp_request(s, e->iface, e->ip);
			}
		}
	}
}

void
tcp_arp_destroy(struct tcp_stack *s)
{
	for (unsigned i = 0; i < TCP_ARP_SLOTS; i++) {
		for (uint16_t j = 0; j < s->arp[i].n_queued; j++)
			tcp_mbuf_free(s, s->arp[i].q[j]);
		s->arp[i].n_queued = 0;
		s->arp[i].state = TCP_ARP_FREE;
	}
}
