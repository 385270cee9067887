/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_stack.c — the stack object: creation from params, the Ethernet
 * demultiplexer behind tcp_stack_input(), batching (pending output, dead
 * connections, mbuf frees, per-interface tx buffers), the 1 ms timer wheel
 * behind tcp_stack_timers(), routing and the steering hash.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_jhash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "tcpstack/tcp_priv.h"

#define DEF(v, d) ((v) ? (v) : (d))

/* ------------------------------------------------------------- mbufs */

void
tcp_mbuf_free_flush(struct tcp_stack *s)
{
	if (s->n_free) {
		rte_pktmbuf_free_bulk(s->free_buf, s->n_free);
		s->n_free = 0;
	}
}

void
tcp_mbuf_free(struct tcp_stack *s, struct rte_mbuf *m)
{
	if (m == NULL)
		return;
	if (s->n_free == TCP_FREE_BURST)
		tcp_mbuf_free_flush(s);
	s->free_buf[s->n_free++] = m;
}

struct rte_mbuf *
tcp_mbuf_adj(struct tcp_stack *s, struct rte_mbuf *m, uint32_t n)
{
	uint32_t total = m->pkt_len;
	uint16_t segs = m->nb_segs;

	if (n >= total) {
		tcp_mbuf_free(s, m);
		return NULL;
	}
	while (n && n >= m->data_len) {
		struct rte_mbuf *next = m->next;

		n -= m->data_len;
		total -= m->data_len;
		segs--;
		m->next = NULL;
		m->nb_segs = 1;
		tcp_mbuf_free(s, m);
		m = next;
	}
	m->data_off += n;
	m->data_len -= n;
	m->pkt_len = total - n;
	m->nb_segs = segs;
	return m;
}

void
tcp_mbuf_trim_to(struct tcp_stack *s, struct rte_mbuf *m, uint32_t len)
{
	struct rte_mbuf *seg = m;
	uint32_t left = len;
	uint16_t segs = 1;

	if (m->pkt_len <= len)
		return;
	while (left > seg->data_len) {
		left -= seg->data_len;
		seg = seg->next;
		segs++;
	}
	seg->data_len = left;
	if (seg->next) {
		tcp_mbuf_free(s, seg->next);
		seg->next = NULL;
	}
	m->pkt_len = len;
	m->nb_segs = segs;
}

/* ---------------------------------------------------------------- tx */

static void
iface_flush(struct tcp_stack *s, struct tcp_iface *ifc)
{
	if (ifc->n_tx) {
		s->cnt.tx_frames += ifc->n_tx;
		s->p.tx(s->p.tx_ctx, ifc->p.port_id, ifc->tx, ifc->n_tx);
		ifc->n_tx = 0;
	}
}

void
tcp_iface_tx(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m)
{
	struct tcp_iface *ifc = &s->ifaces[iface];

	if (ifc->n_tx == TCP_TX_BURST)
		iface_flush(s, ifc);
	ifc->tx[ifc->n_tx++] = m;
}

void
tcp_tx_flush(struct tcp_stack *s)
{
	for (unsigned i = 0; i < s->n_ifaces; i++)
		iface_flush(s, &s->ifaces[i]);
}

/* ------------------------------------------------------------ batches */

/* cycles / tsc_per_us by a multiply and a shift: the poll loop reads the
 * clock every iteration, and a 64-bit division costs more than the
 * reading. The result never goes backwards and lags the quotient by less
 * than cycles / 2^56 us (1 us after 7 years at 3 GHz). */
static inline uint64_t
tsc_to_us(const struct tcp_stack *s, uint64_t tsc)
{
	return (uint64_t)(((unsigned __int128)tsc * s->us_per_tsc_q56) >> 56);
}

static void
clock_update(struct tcp_stack *s)
{
	uint64_t now;

	if (s->p.clock)
		now = s->p.clock(s->p.clock_ctx);
	else
		now = tsc_to_us(s, rte_get_tsc_cycles());
	if (now > s->now_us) {
		s->now_us = now;
		s->now_ms = now / 1000;
	}
}

void
tcp_batch_begin(struct tcp_stack *s)
{
	s->batch_depth++;
}

void
tcp_batch_end(struct tcp_stack *s)
{
	if (--s->batch_depth > 0)
		return;
	/* Output may add connections to the list (none today) and callbacks
	 * may drop others: pop one at a time. */
	while (s->pend_head) {
		struct tcp_conn *c = s->pend_head;

		s->pend_head = c->pend_next;
		c->pend_next = NULL;
		c->flags &= ~TCPF_PENDING;
		if (c->flags & TCPF_DEAD) {
			c->pend_next = s->dead_head;
			s->dead_head = c;
		} else {
			tcp_output(c);
		}
	}
	tcp_conn_free_dead(s);
	tcp_mbuf_free_flush(s);
	tcp_tx_flush(s);
}

void
tcp_stack_flush(struct tcp_stack *s)
{
	tcp_batch_begin(s);
	tcp_batch_end(s);
}

bool
tcp_rate_ok(struct tcp_stack *s, uint64_t *sec, uint32_t *count,
	    uint32_t limit)
{
	uint64_t now_sec = s->now_ms / 1000;

	if (now_sec != *sec) {
		*sec = now_sec;
		*count = 0;
	}
	if (*count >= limit)
		return false;
	(*count)++;
	return true;
}

/* ----------------------------------------------------------- routing */

int
tcp_iface_by_ip(const struct tcp_stack *s, uint32_t ip)
{
	for (unsigned i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].p.ipv4 == ip)
			return (int)i;
	return -1;
}

int
tcp_route(const struct tcp_stack *s, uint32_t dst, uint32_t *nh)
{
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		const struct tcp_iface *ifc = &s->ifaces[i];

		if ((dst & ifc->mask) == (ifc->p.ipv4 & ifc->mask)) {
			*nh = dst;
			return (int)i;
		}
	}
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		if (s->ifaces[i].p.gateway) {
			*nh = s->ifaces[i].p.gateway;
			return (int)i;
		}
	}
	return -1;
}

/* ------------------------------------------------------------- input */

static int
iface_by_port(const struct tcp_stack *s, uint16_t port)
{
	for (unsigned i = 0; i < s->n_ifaces; i++)
		if (s->ifaces[i].p.port_id == port)
			return (int)i;
	return s->n_ifaces == 1 ? 0 : -1;
}

static void
eth_input(struct tcp_stack *s, struct rte_mbuf *m)
{
	const struct rte_ether_hdr *eh;
	int iface;

	s->cnt.rx_frames++;
	iface = iface_by_port(s, m->port);
	if (iface < 0) {
		s->cnt.drop_eth_dst++; /* a port this stack does not serve */
		tcp_mbuf_free(s, m);
		return;
	}
	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN) {
		s->cnt.drop_eth_short++;
		tcp_mbuf_free(s, m);
		return;
	}
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (!rte_is_same_ether_addr(&eh->dst_addr, &s->ifaces[iface].p.mac) &&
	    !rte_is_broadcast_ether_addr(&eh->dst_addr)) {
		s->cnt.drop_eth_dst++;
		tcp_mbuf_free(s, m);
		return;
	}
	m->l2_len = RTE_ETHER_HDR_LEN;
	switch (eh->ether_type) {
	case RTE_BE16(RTE_ETHER_TYPE_IPV4):
		tcp_ipv4_input(s, (unsigned)iface, m);
		break;
	case RTE_BE16(RTE_ETHER_TYPE_ARP):
		tcp_arp_input(s, (unsigned)iface, m);
		break;
	default:
		s->cnt.drop_eth_type++;
		tcp_mbuf_free(s, m);
	}
}

void
tcp_pool_check(struct tcp_stack *s)
{
	unsigned avail;

	/* at most every 100 us: the count walks every lcore's cache */
	if (s->pool_check_us && s->now_us - s->pool_check_us < 100)
		return;
	s->pool_check_us = s->now_us;
	avail = rte_mempool_avail_count(s->p.pool);

	s->pool_tight = avail < s->pool_low;
	s->pool_dry = avail < s->pool_reserve;
	if (s->pool_tight)
		s->cnt.pool_tight++;
}

void
tcp_stack_input(struct tcp_stack *s, struct rte_mbuf **pkts, uint16_t n)
{
	clock_update(s);
	tcp_pool_check(s);
	tcp_batch_begin(s);
	for (uint16_t i = 0; i < n && i < 4; i++)
		rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));
	for (uint16_t i = 0; i < n; i++) {
		if (i + 4 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
		eth_input(s, pkts[i]);
	}
	tcp_batch_end(s);
}

uint64_t
tcp_stack_now(const struct tcp_stack *s)
{
	if (s->p.clock)
		return s->p.clock(s->p.clock_ctx);
	return tsc_to_us(s, rte_get_tsc_cycles());
}

/* ------------------------------------------------------- timer wheel */

static void
wheel_unlink(struct tcp_stack *s, struct tcp_conn *c)
{
	if (c->w_prev)
		c->w_prev->w_next = c->w_next;
	else
		s->wheel[c->w_slot] = c->w_next;
	if (c->w_next)
		c->w_next->w_prev = c->w_prev;
	c->w_next = c->w_prev = NULL;
	c->flags &= ~TCPF_ON_WHEEL;
}

static void
wheel_link(struct tcp_stack *s, struct tcp_conn *c, uint16_t slot)
{
	c->w_slot = slot;
	c->w_prev = NULL;
	c->w_next = s->wheel[slot];
	if (c->w_next)
		c->w_next->w_prev = c;
	s->wheel[slot] = c;
	c->flags |= TCPF_ON_WHEEL;
}

static uint64_t
min_deadline(const struct tcp_conn *c)
{
	uint64_t t = 0;
	const uint64_t v[3] = { c->t_rexmit, c->t_delack, c->t_keep };

	for (int i = 0; i < 3; i++)
		if (v[i] && (t == 0 || v[i] < t))
			t = v[i];
	return t;
}

/* Lazy: an entry that fires too early is re-armed, so only deadlines that
 * move earlier cost a relink. */
void
tcp_timer_update(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;
	uint64_t t = (c->flags & TCPF_DEAD) ? 0 : min_deadline(c);

	if (t == 0) {
		if (c->flags & TCPF_ON_WHEEL)
			wheel_unlink(s, c);
		return;
	}
	if ((c->flags & TCPF_ON_WHEEL) && c->w_slot != TCP_WHEEL_SLOTS &&
	    c->wheel_ms <= t)
		return;
	if (c->flags & TCPF_ON_WHEEL)
		wheel_unlink(s, c);
	if (t < s->wheel_cursor)
		t = s->wheel_cursor;
	c->wheel_ms = t;
	wheel_link(s, c, (uint16_t)(t & (TCP_WHEEL_SLOTS - 1)));
}

unsigned
tcp_stack_timers(struct tcp_stack *s, uint64_t now_us)
{
	unsigned budget = TCP_TIMER_BUDGET, done = 0;
	const uint16_t run = TCP_WHEEL_SLOTS;

	if (now_us > s->now_us) {
		s->now_us = now_us;
		s->now_ms = now_us / 1000;
	}
	tcp_pool_check(s);
	tcp_batch_begin(s);
	if (!s->started) {
		s->started = true;
		for (unsigned i = 0; i < s->n_ifaces && !s->p.arp_quiet; i++)
			tcp_arp_gratuitous(s, i);
	}
	if (s->now_ms >= s->next_arp_scan_ms) {
		s->next_arp_scan_ms = s->now_ms + 100;
		tcp_arp_timers(s);
	}
	if (s->now_ms >= s->next_frag_scan_ms) {
		s->next_frag_scan_ms = s->now_ms + 100;
		rte_ip_frag_table_del_expired_entries(s->frag_tbl, &s->frag_dr,
						      s->now_us);
		s->cnt.drop_frag += s->frag_dr.cnt;
		rte_ip_frag_free_death_row(&s->frag_dr, 0);
	}

	if (s->wheel_cursor + TCP_WHEEL_SLOTS <= s->now_ms)
		s->wheel_cursor = s->now_ms - TCP_WHEEL_SLOTS + 1;
	while (s->wheel_cursor <= s->now_ms) {
		uint16_t slot = s->wheel_cursor & (TCP_WHEEL_SLOTS - 1);
		struct tcp_conn *c;

		/* Move the slot to the run list so callbacks may unlink any
		 * connection safely. */
		s->wheel[run] = s->wheel[slot];
		s->wheel[slot] = NULL;
		for (c = s->wheel[run]; c; c = c->w_next)
			c->w_slot = run;
		while ((c = s->wheel[run]) != NULL && budget) {
			wheel_unlink(s, c);
			budget--;
			if (c->wheel_ms <= s->now_ms) {
				done++;
				tcp_conn_timers_fire(c);
			} else {
				wheel_link(s, c, (uint16_t)(c->wheel_ms &
						    (TCP_WHEEL_SLOTS - 1)));
			}
		}
		if (s->wheel[run]) {
			/* Out of budget: the rest waits for the next call. */
			while ((c = s->wheel[run]) != NULL) {
				wheel_unlink(s, c);
				wheel_link(s, c, slot);
			}
			s->cnt.timers_budget_hit++;
			break;
		}
		s->wheel_cursor++;
	}
	tcp_batch_end(s);
	return done;
}

/* --------------------------------------------------------- lifecycle */

static int
params_check(const struct tcp_stack_params *p)
{
	if (p == NULL || p->pool == NULL || p->tx == NULL ||
	    p->n_ifaces == 0 || p->n_ifaces > TCP_MAX_IFACES)
		return -EINVAL;
	for (unsigned i = 0; i < p->n_ifaces; i++)
		if (p->ifaces[i].ipv4 == 0 || p->ifaces[i].prefix_len > 32 ||
		    (p->ifaces[i].mtu && p->ifaces[i].mtu < 576))
			return -EINVAL;
	if (p->ephemeral_min && p->ephemeral_max &&
	    p->ephemeral_min > p->ephemeral_max)
		return -EINVAL;
	return 0;
}

struct tcp_stack *
tcp_stack_create(const struct tcp_stack_params *p)
{
	struct tcp_stack *s;
	struct rte_hash_parameters hp;
	char name[RTE_HASH_NAMESIZE];
	int rc = params_check(p);

	if (rc) {
		rte_errno = errno = -rc;
		return NULL;
	}
	s = rte_zmalloc_socket("tcp_stack", sizeof(*s), RTE_CACHE_LINE_SIZE,
			       p->socket_id);
	if (s == NULL)
		goto nomem;
	s->p = *p;
	s->p.max_conns = DEF(p->max_conns, 4096);
	s->p.max_per_source = DEF(p->max_per_source, 256);
	s->p.syn_backlog = DEF(p->syn_backlog, 1024);
	s->p.sndbuf = DEF(p->sndbuf, 65536);
	s->p.rcvbuf = DEF(p->rcvbuf, 65536);
	s->pool_low = p->pool->size / TCP_POOL_LOW_DIV;
	s->pool_reserve = p->pool->size / TCP_POOL_RESERVE_DIV;
	if (s->p.rcvbuf > (1u << 30))
		s->p.rcvbuf = 1u << 30;
	s->p.reass_per_conn = DEF(p->reass_per_conn, s->p.rcvbuf);
	s->p.reass_total = DEF(p->reass_total, 64u << 20);
	s->p.msl_ms = DEF(p->msl_ms, 30000);
	s->p.rto_min_ms = DEF(p->rto_min_ms, 200);
	s->p.rto_max_ms = DEF(p->rto_max_ms, 60000);
	s->p.rto_initial_ms = DEF(p->rto_initial_ms, 1000);
	s->p.delack_ms = DEF(p->delack_ms, 40);
	s->p.syn_retries = DEF(p->syn_retries, 5);
	s->p.max_retries = DEF(p->max_retries, 12);
	s->p.keepalive_intvl_ms = DEF(p->keepalive_intvl_ms, 75000);
	s->p.keepalive_probes = DEF(p->keepalive_probes, 9);
	s->p.challenge_ack_limit = DEF(p->challenge_ack_limit, 1000);
	s->p.arp_timeout_ms = DEF(p->arp_timeout_ms, 300000);
	s->p.arp_retry_ms = DEF(p->arp_retry_ms, 1000);
	s->p.arp_retries = DEF(p->arp_retries, 3);
	s->p.arp_queue_max = DEF(p->arp_queue_max, 16);
	s->p.icmp_rate_limit = DEF(p->icmp_rate_limit, 100);
	s->p.frag_max_flows = DEF(p->frag_max_flows, 1024);
	s->p.frag_timeout_ms = DEF(p->frag_timeout_ms, 2000);
	s->p.ephemeral_min = DEF(p->ephemeral_min, 32768);
	s->p.ephemeral_max = DEF(p->ephemeral_max, 60999);
	s->p.name = NULL;
	s->cc = (p->cc && strcmp(p->cc, "cubic") == 0) ? &tcp_cc_cubic
						       : &tcp_cc_newreno;
	memcpy(s->key, p->secret, sizeof(s->key));
	s->tsc_per_us = rte_get_tsc_hz() / 1000000;
	if (s->tsc_per_us == 0)
		s->tsc_per_us = 1;
	s->us_per_tsc_q56 = (uint64_t)(((unsigned __int128)1 << 56) / s->tsc_per_us);

	s->n_ifaces = p->n_ifaces;
	for (unsigned i = 0; i < p->n_ifaces; i++) {
		struct tcp_iface *ifc = &s->ifaces[i];

		ifc->p = p->ifaces[i];
		if (ifc->p.mtu == 0)
			ifc->p.mtu = 1500;
		ifc->mask = ifc->p.prefix_len ?
			(uint32_t)(~0ULL << (32 - ifc->p.prefix_len)) : 0;
		ifc->mss = ifc->p.mtu - 40;
	}

	s->conns = rte_zmalloc_socket("tcp_conns",
				      (size_t)s->p.max_conns * sizeof(struct tcp_conn),
				      RTE_CACHE_LINE_SIZE, p->socket_id);
	if (s->conns == NULL)
		goto nomem;
	for (uint32_t i = s->p.max_conns; i-- > 0;) {
		s->conns[i].pend_next = s->free_conns;
		s->free_conns = &s->conns[i];
	}

	memset(&hp, 0, sizeof(hp));
	snprintf(name, sizeof(name), "tcpc_%u_%p", p->lcore_id, (void *)s);
	hp.name = name;
	hp.entries = s->p.max_conns * 2 < 64 ? 64 : s->p.max_conns * 2;
	hp.key_len = 12;
	hp.hash_func = rte_jhash;
	hp.hash_func_init_val = (uint32_t)s->key[0];
	hp.socket_id = p->socket_id;
	hp.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE;
	s->conn_hash = rte_hash_create(&hp);
	if (s->conn_hash == NULL)
		goto nomem;
	snprintf(name, sizeof(name), "tcps_%u_%p", p->lcore_id, (void *)s);
	hp.key_len = 4;
	hp.hash_func_init_val = (uint32_t)s->key[1];
	s->src_hash = rte_hash_create(&hp);
	if (s->src_hash == NULL)
		goto nomem;

	/* rte_ip_frag times are in the units we pass as tms: microseconds. */
	s->frag_tbl = rte_ip_frag_table_create(s->p.frag_max_flows, 8,
					       s->p.frag_max_flows,
					       (uint64_t)s->p.frag_timeout_ms * 1000,
					       p->socket_id);
	if (s->frag_tbl == NULL)
		goto nomem;

	clock_update(s);
	s->wheel_cursor = s->now_ms;
	s->ephemeral_next = (uint32_t)tcp_siphash(s->key, &s->now_us,
						  sizeof(s->now_us));
	return s;
nomem:
	tcp_stack_destroy(s);
	rte_errno = errno = ENOMEM;
	return NULL;
}

void
tcp_stack_destroy(struct tcp_stack *s)
{
	if (s == NULL)
		return;
	if (s->conns) {
		s->batch_depth++; /* no output while tearing down */
		for (uint32_t i = 0; i < s->p.max_conns; i++) {
			struct tcp_conn *c = &s->conns[i];

			if (c->stack && c->state != TCP_CLOSED &&
			    !(c->flags & TCPF_DEAD))
				tcp_conn_drop(c, TCP_CLOSE_STACK_DESTROYED);
		}
		s->batch_depth--;
		tcp_stack_flush(s); /* moves pending-dead ones, frees them */
	}
	tcp_arp_destroy(s);
	tcp_mbuf_free_flush(s);
	/* Frames still buffered for tx are handed over, not leaked. */
	tcp_tx_flush(s);
	if (s->frag_tbl) {
		rte_ip_frag_table_destroy(s->frag_tbl);
	}
	rte_ip_frag_free_death_row(&s->frag_dr, 0);
	rte_hash_free(s->conn_hash);
	rte_hash_free(s->src_hash);
	rte_free(s->conns);
	rte_free(s);
}

const struct tcp_stack_counters *
tcp_stack_counters(const struct tcp_stack *s)
{
	return &s->cnt;
}

uint32_t
tcp_stack_conn_count(const struct tcp_stack *s)
{
	return s->n_used;
}

size_t
tcp_conn_state_size(void)
{
	return sizeof(struct tcp_conn);
}

/* ---------------------------------------------------------- steering */

uint32_t
tcp_flow_hash(uint32_t ip_a, uint16_t port_a, uint32_t ip_b, uint16_t port_b)
{
	uint32_t lo_ip = ip_a, hi_ip = ip_b;
	uint16_t lo_p = port_a, hi_p = port_b;

	if (ip_a > ip_b || (ip_a == ip_b && port_a > port_b)) {
		lo_ip = ip_b;
		hi_ip = ip_a;
		lo_p = port_b;
		hi_p = port_a;
	}
	return rte_jhash_3words(lo_ip, hi_ip, ((uint32_t)lo_p << 16) | hi_p,
				0x5eed7c9u);
}

int
tcp_frame_flow_hash(const struct rte_mbuf *m, uint32_t *hash)
{
	const struct rte_ether_hdr *eh;
	const struct rte_ipv4_hdr *ip;
	const struct rte_tcp_hdr *th;
	uint32_t l3;

	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + 20)
		return -EINVAL;
	eh = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
	if (eh->ether_type != RTE_BE16(RTE_ETHER_TYPE_IPV4))
		return -ENOENT;
	ip = (const struct rte_ipv4_hdr *)(eh + 1);
	if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
		*hash = tcp_flow_hash(rte_be_to_cpu_32(ip->src_addr), 0,
				      rte_be_to_cpu_32(ip->dst_addr), 0);
		return 1;
	}
	if (ip->next_proto_id != IPPROTO_TCP)
		return -ENOENT;
	l3 = (ip->version_ihl & 0xf) * 4u;
	if (l3 < 20 || rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + l3 + 4)
		return -EINVAL;
	th = (const struct rte_tcp_hdr *)((const uint8_t *)ip + l3);
	*hash = tcp_flow_hash(rte_be_to_cpu_32(ip->src_addr),
			      rte_be_to_cpu_16(th->src_port),
			      rte_be_to_cpu_32(ip->dst_addr),
			      rte_be_to_cpu_16(th->dst_port));
	return 0;
}

/* -------------------------------------------------------------- names */

const char *
tcp_state_name(enum tcp_state st)
{
	static const char *const names[] = {
		"CLOSED", "LISTEN", "SYN_SENT", "SYN_RCVD", "ESTABLISHED",
		"FIN_WAIT_1", "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING",
		"LAST_ACK", "TIME_WAIT",
	};

	if ((unsigned)st < RTE_DIM(names))
		return names[st];
	return "?";
}

const char *
tcp_close_reason_name(enum tcp_close_reason r)
{
	static const char *const names[] = {
		"normal", "reset", "aborted", "timeout", "refused",
		"unreachable", "stack-destroyed",
	};

	if ((unsigned)r < RTE_DIM(names))
		return names[r];
	return "?";
}
