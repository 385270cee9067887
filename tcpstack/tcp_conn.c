/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_conn.c — connection objects: the preallocated pool, the 4-tuple
 * lookup table, per-source accounting, RFC 6528 ISNs, listeners, active
 * open with RFC 6056 port selection (filtered by the dataplane's steering
 * hook), state changes and the close/abort API, and the per-connection
 * timers (retransmission/persist, delayed ACK, keepalive, FIN_WAIT_2 and
 * TIME_WAIT) run from the stack's timer wheel.
 */
#include <errno.h>
#include <string.h>

#include "tcpstack/tcp_priv.h"

struct conn_key {
	uint32_t rip, lip;
	uint16_t rport, lport;
};

static void
key_make(struct conn_key *k, uint32_t lip, uint16_t lport, uint32_t rip,
	 uint16_t rport)
{
	k->rip = rip;
	k->lip = lip;
	k->rport = rport;
	k->lport = lport;
}

struct tcp_conn *
tcp_conn_lookup(struct tcp_stack *s, uint32_t lip, uint16_t lport,
		uint32_t rip, uint16_t rport)
{
	struct conn_key k;
	void *data;

	key_make(&k, lip, lport, rip, rport);
	if (rte_hash_lookup_data(s->conn_hash, &k, &data) < 0)
		return NULL;
	return data;
}

static void
conn_unhash(struct tcp_conn *c)
{
	struct conn_key k;

	key_make(&k, c->lip, c->lport, c->rip, c->rport);
	rte_hash_del_key(c->stack->conn_hash, &k);
}

int
tcp_src_count(struct tcp_stack *s, uint32_t rip, int delta)
{
	void *data = NULL;
	uintptr_t n = 0;

	if (rte_hash_lookup_data(s->src_hash, &rip, &data) >= 0)
		n = (uintptr_t)data;
	if (delta == 0)
		return (int)n;
	if (delta < 0 && n < (uintptr_t)-delta)
		n = 0;
	else
		n = (uintptr_t)((intptr_t)n + delta);
	if (n == 0)
		rte_hash_del_key(s->src_hash, &rip);
	else if (rte_hash_add_key_data(s->src_hash, &rip, (void *)n) < 0)
		return -ENOSPC;
	return (int)n;
}

uint32_t
tcp_isn(const struct tcp_stack *s, uint32_t lip, uint16_t lport, uint32_t rip,
	uint16_t rport)
{
	struct conn_key k;

	key_make(&k, lip, lport, rip, rport);
	/* RFC 6528: ISN = M + F(4-tuple, secret), M a 4 us clock. */
	return (uint32_t)(s->now_us >> 2) +
	       (uint32_t)tcp_siphash(s->key, &k, sizeof(k));
}

static uint8_t
wscale_for(uint32_t rcvbuf)
{
	uint8_t ws = 0;

	while (ws < 14 && (rcvbuf >> ws) > 65535)
		ws++;
	return ws;
}

void
tcp_conn_init_rtt(struct tcp_conn *c)
{
	c->srtt_us = 0;
	c->rttvar_us = 0;
	c->rto_us = c->stack->p.rto_initial_ms * 1000;
}

struct tcp_conn *
tcp_conn_alloc(struct tcp_stack *s, unsigned iface, uint32_t lip,
	       uint16_t lport, uint32_t rip, uint16_t rport)
{
	struct tcp_conn *c = s->free_conns;
	const struct tcp_iface *ifc = &s->ifaces[iface];
	struct conn_key k;
	struct {
		struct conn_key k;
		uint32_t tag;
	} tk;

	if (c == NULL)
		return NULL;
	key_make(&k, lip, lport, rip, rport);
	if (rte_hash_add_key_data(s->conn_hash, &k, c) < 0)
		return NULL;
	s->free_conns = c->pend_next;
	memset(c, 0, sizeof(*c));
	c->stack = s;
	c->lip = lip;
	c->rip = rip;
	c->lport = lport;
	c->rport = rport;
	c->iface = (uint8_t)iface;
	c->state = TCP_CLOSED;
	c->nh_ip = ((rip & ifc->mask) == (ifc->p.ipv4 & ifc->mask) ||
		    ifc->p.gateway == 0) ? rip : ifc->p.gateway;
	c->rcv_wscale = wscale_for(s->p.rcvbuf);
	c->rcv_mss = ifc->mss;
	c->mss = u32_min((uint16_t)TCP_DEFAULT_MSS, ifc->mss);
	c->peer_mss = TCP_DEFAULT_MSS;
	c->ssthresh = 0x7fffffff;
	c->cwnd = 2u * c->mss;
	c->last_rx_ms = s->now_ms;
	tk.k = k;
	tk.tag = 0x74737473; /* "tsts" */
	c->ts_offset = (uint32_t)tcp_siphash(s->key, &tk, sizeof(tk));
	tcp_conn_init_rtt(c);
	s->n_used++;
	return c;
}

void
tcp_ooo_free(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;

	for (unsigned i = 0; i < c->n_ooo; i++)
		tcp_mbuf_free(s, c->ooo[i].head);
	s->reass_bytes -= c->ooo_bytes;
	c->ooo_bytes = 0;
	c->n_ooo = 0;
}

static void
conn_release_src(struct tcp_conn *c)
{
	if (c->flags & TCPF_SRC_COUNTED) {
		c->flags &= ~TCPF_SRC_COUNTED;
		tcp_src_count(c->stack, c->rip, -1);
	}
	if (c->flags & TCPF_BACKLOG) {
		c->flags &= ~TCPF_BACKLOG;
		c->stack->n_backlog--;
	}
}

void
tcp_conn_notify_closed(struct tcp_conn *c, enum tcp_close_reason why)
{
	if ((c->flags & (TCPF_APP_KNOWS | TCPF_NOTIFIED)) != TCPF_APP_KNOWS)
		return;
	c->flags |= TCPF_NOTIFIED;
	c->stack->cnt.tcp_closed++;
	if (c->cb && c->cb->closed)
		c->cb->closed(c, c->ctx, why);
}

void
tcp_conn_set_state(struct tcp_conn *c, enum tcp_state st)
{
	struct tcp_stack *s = c->stack;

	c->state = (uint8_t)st;
	if (st == TCP_TIME_WAIT) {
		tcp_sq_free_all(c);
		tcp_ooo_free(c);
		conn_release_src(c);
		c->t_rexmit = c->t_delack = 0;
		c->flags &= ~TCPF_PERSIST;
		c->t_keep = s->now_ms + 2ull * s->p.msl_ms;
		tcp_timer_update(c);
		tcp_conn_notify_closed(c, TCP_CLOSE_NORMAL);
	}
}

void
tcp_conn_drop(struct tcp_conn *c, enum tcp_close_reason why)
{
	struct tcp_stack *s = c->stack;

	if (c->flags & TCPF_DEAD)
		return;
	if (why == TCP_CLOSE_RESET)
		s->cnt.tcp_resets++;
	tcp_conn_notify_closed(c, why);
	if (c->flags & TCPF_DEAD) /* closed() aborted it again */
		return;
	c->flags |= TCPF_DEAD;
	c->state = TCP_CLOSED;
	conn_unhash(c);
	conn_release_src(c);
	c->t_rexmit = c->t_delack = c->t_keep = 0;
	tcp_timer_update(c);
	/* pend_next chains the dead list too; a pending connection moves
	 * there when tcp_batch_end() pops it. */
	if (!(c->flags & TCPF_PENDING)) {
		c->pend_next = s->dead_head;
		s->dead_head = c;
	}
	if (s->batch_depth == 0)
		tcp_stack_flush(s);
}

static void
conn_free(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;

	tcp_sq_free_all(c);
	tcp_ooo_free(c);
	if (c->flags & TCPF_ON_WHEEL) {
		c->t_rexmit = c->t_delack = c->t_keep = 0;
		tcp_timer_update(c);
	}
	c->stack = NULL;
	c->cb = NULL;
	c->flags = 0;
	c->pend_next = s->free_conns;
	s->free_conns = c;
	s->n_used--;
}

void
tcp_conn_free_dead(struct tcp_stack *s)
{
	/* Dead connections that were on the pending list when they died are
	 * found here too: tcp_batch_end() ran the list before calling us. */
	while (s->dead_head) {
		struct tcp_conn *c = s->dead_head;

		s->dead_head = c->pend_next;
		conn_free(c);
	}
}

void
tcp_conn_mark_pending(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;

	if (c->flags & (TCPF_PENDING | TCPF_DEAD))
		return;
	c->flags |= TCPF_PENDING;
	c->pend_next = s->pend_head;
	s->pend_head = c;
}

/* ----------------------------------------------------------- listeners */

const struct tcp_listener *
tcp_listener_find(const struct tcp_stack *s, uint32_t ip, uint16_t port)
{
	const struct tcp_listener *any = NULL;

	for (unsigned i = 0; i < TCP_MAX_LISTENERS; i++) {
		const struct tcp_listener *l = &s->listeners[i];

		if (!l->used || l->port != port)
			continue;
		if (l->ip == ip)
			return l;
		if (l->ip == 0)
			any = l;
	}
	return any;
}

int
tcp_listen(struct tcp_stack *s, uint32_t ipv4, uint16_t port,
	   const struct tcp_callbacks *cb, void *ctx)
{
	struct tcp_listener *free_slot = NULL;

	if (s == NULL || cb == NULL || cb->recv == NULL || port == 0)
		return -EINVAL;
	if (ipv4 && tcp_iface_by_ip(s, ipv4) < 0)
		return -EINVAL;
	for (unsigned i = 0; i < TCP_MAX_LISTENERS; i++) {
		struct tcp_listener *l = &s->listeners[i];

		if (l->used && l->port == port && l->ip == ipv4)
			return -EEXIST;
		if (!l->used && free_slot == NULL)
			free_slot = l;
	}
	if (free_slot == NULL)
		return -ENOSPC;
	free_slot->used = true;
	free_slot->ip = ipv4;
	free_slot->port = port;
	free_slot->cb = cb;
	free_slot->ctx = ctx;
	return 0;
}

int
tcp_unlisten(struct tcp_stack *s, uint32_t ipv4, uint16_t port)
{
	for (unsigned i = 0; i < TCP_MAX_LISTENERS; i++) {
		struct tcp_listener *l = &s->listeners[i];

		if (l->used && l->port == port && l->ip == ipv4) {
			l->used = false;
			return 0;
		}
	}
	return -ENOENT;
}

/* ------------------------------------------------------------- connect */

struct tcp_conn *
tcp_connect(struct tcp_stack *s, uint32_t lip, uint32_t rip, uint16_t rport,
	    const struct tcp_callbacks *cb, void *ctx)
{
	uint32_t nh, range, off;
	struct tcp_conn *c = NULL;
	int iface;
	struct {
		uint32_t lip, rip;
		uint16_t rport;
	} pk;

	if (s == NULL || cb == NULL || cb->recv == NULL || rip == 0 ||
	    rport == 0) {
		errno = EINVAL;
		return NULL;
	}
	if (lip) {
		iface = tcp_iface_by_ip(s, lip);
		if (iface < 0) {
			errno = EINVAL;
			return NULL;
		}
	} else {
		iface = tcp_route(s, rip, &nh);
		if (iface < 0) {
			s->cnt.drop_tx_no_route++;
			errno = ENETUNREACH;
			return NULL;
		}
		lip = s->ifaces[iface].p.ipv4;
	}
	if (s->free_conns == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	/* RFC 6056 algorithm 3: per-destination keyed offset + counter. */
	memset(&pk, 0, sizeof(pk));
	pk.lip = lip;
	pk.rip = rip;
	pk.rport = rport;
	range = (uint32_t)s->p.ephemeral_max - s->p.ephemeral_min + 1;
	off = (uint32_t)tcp_siphash(s->key, &pk, sizeof(pk));
	for (uint32_t i = 0; i < range; i++) {
		uint16_t port = (uint16_t)(s->p.ephemeral_min +
					   (off + s->ephemeral_next + i) % range);

		if (tcp_conn_lookup(s, lip, port, rip, rport))
			continue;
		if (s->p.port_ok &&
		    !s->p.port_ok(s->p.port_ok_ctx, lip, port, rip, rport))
			continue;
		s->ephemeral_next += i + 1;
		c = tcp_conn_alloc(s, (unsigned)iface, lip, port, rip, rport);
		break;
	}
	if (c == NULL) {
		errno = s->free_conns ? EADDRNOTAVAIL : ENOMEM;
		return NULL;
	}
	c->cb = cb;
	c->ctx = ctx;
	c->flags |= TCPF_APP_KNOWS;
	c->iss = tcp_isn(s, lip, c->lport, rip, rport);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss;
	c->state = TCP_SYN_SENT;
	tcp_batch_begin(s);
	tcp_send_syn(c);
	c->t_rexmit = s->now_ms + c->rto_us / 1000;
	tcp_timer_update(c);
	tcp_batch_end(s);
	return c;
}

/* --------------------------------------------------------- close, API */

int
tcp_shutdown(struct tcp_conn *c)
{
	if (c == NULL || (c->flags & TCPF_DEAD))
		return -ENOTCONN;
	if (c->flags & TCPF_FIN_QUEUED)
		return -EPIPE;
	switch (c->state) {
	case TCP_ESTABLISHED:
		c->state = TCP_FIN_WAIT_1;
		break;
	case TCP_CLOSE_WAIT:
		c->state = TCP_LAST_ACK;
		break;
	case TCP_SYN_RCVD:
		c->state = TCP_FIN_WAIT_1;
		break;
	default:
		return -ENOTCONN;
	}
	c->flags |= TCPF_FIN_QUEUED;
	tcp_conn_mark_pending(c);
	if (c->stack->batch_depth == 0)
		tcp_stack_flush(c->stack);
	return 0;
}

int
tcp_close(struct tcp_conn *c)
{
	if (c == NULL || (c->flags & TCPF_DEAD))
		return -ENOTCONN;
	if (c->rcv_held || c->n_ooo) {
		/* RFC 9293 §3.6: unread data on close means reset. */
		tcp_abort(c);
		return 0;
	}
	c->flags |= TCPF_USER_CLOSED;
	switch (c->state) {
	case TCP_SYN_SENT:
		tcp_conn_drop(c, TCP_CLOSE_NORMAL);
		return 0;
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_SYN_RCVD:
		return tcp_shutdown(c);
	default:
		/* FIN already queued: just stop the callbacks */
		if (c->state == TCP_FIN_WAIT_2) {
			c->t_keep = c->stack->now_ms + 2ull * c->stack->p.msl_ms;
			tcp_timer_update(c);
		}
		return 0;
	}
}

void
tcp_abort(struct tcp_conn *c)
{
	struct tcp_stack *s;

	if (c == NULL || (c->flags & TCPF_DEAD))
		return;
	s = c->stack;
	if (c->state != TCP_SYN_SENT && c->state != TCP_CLOSED &&
	    c->state != TCP_TIME_WAIT) {
		tcp_send_raw(s, c->iface, c->lip, c->lport, c->rip, c->rport,
			     c->snd_max, c->rcv_nxt, TH_RST | TH_ACK, 0, NULL, 0);
		s->cnt.tcp_rst_tx++;
	}
	tcp_conn_drop(c, TCP_CLOSE_ABORTED);
}

void
tcp_recv_done(struct tcp_conn *c, uint32_t n)
{
	uint32_t old_wnd, new_wnd;

	if (c == NULL || (c->flags & TCPF_DEAD))
		return;
	old_wnd = c->rcv_adv - c->rcv_nxt;
	c->rcv_held = n >= c->rcv_held ? 0 : c->rcv_held - n;
	new_wnd = tcp_rcv_window(c);
	/* Window update when it grew by two segments or half the buffer
	 * (RFC 9293 §3.8.6.2.2 receiver SWS avoidance). */
	if (c->state >= TCP_ESTABLISHED && !(c->flags & TCPF_PEER_FIN) &&
	    new_wnd > old_wnd &&
	    (new_wnd - old_wnd >= 2u * c->rcv_mss ||
	     new_wnd - old_wnd >= c->stack->p.rcvbuf / 2)) {
		c->flags |= TCPF_ACK_NOW;
		tcp_conn_mark_pending(c);
		if (c->stack->batch_depth == 0)
			tcp_stack_flush(c->stack);
	}
}

int
tcp_conn_info(const struct tcp_conn *c, struct tcp_conn_info *info)
{
	if (c == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	info->state = (enum tcp_state)c->state;
	info->lip = c->lip;
	info->rip = c->rip;
	info->lport = c->lport;
	info->rport = c->rport;
	info->snd_una = c->snd_una;
	info->snd_nxt = c->snd_nxt;
	info->snd_wnd = c->snd_wnd;
	info->rcv_nxt = c->rcv_nxt;
	info->rcv_wnd = c->rcv_adv - c->rcv_nxt;
	info->cwnd = c->cwnd;
	info->ssthresh = c->ssthresh;
	info->mss = c->mss;
	info->srtt_us = c->srtt_us;
	info->rttvar_us = c->rttvar_us;
	info->rto_ms = c->rto_us / 1000;
	info->retransmits = c->retransmits;
	info->snd_queued = c->sq_len;
	info->ooo_bytes = c->ooo_bytes;
	info->snd_wscale = c->snd_wscale;
	info->rcv_wscale = c->rcv_wscale;
	info->sack_ok = !!(c->flags & TCPF_SACK_OK);
	info->ts_ok = !!(c->flags & TCPF_TS_OK);
	return 0;
}

void
tcp_conn_set_ctx(struct tcp_conn *c, void *ctx)
{
	c->ctx = ctx;
}

void *
tcp_conn_ctx(const struct tcp_conn *c)
{
	return c->ctx;
}

void
tcp_conn_set_callbacks(struct tcp_conn *c, const struct tcp_callbacks *cb)
{
	c->cb = cb;
}

struct tcp_stack *
tcp_conn_stack(const struct tcp_conn *c)
{
	return c->stack;
}

/* -------------------------------------------------------------- timers */

static void
keepalive_fire(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;
	uint64_t idle_end = c->last_rx_ms + s->p.keepalive_idle_ms;

	/* Input resets keep_probes on every segment, so probes > 0 here
	 * means the last probe went unanswered. */
	if (c->keep_probes == 0 && idle_end > s->now_ms) {
		c->t_keep = idle_end;
		return;
	}
	if (c->keep_probes >= s->p.keepalive_probes) {
		tcp_conn_drop(c, TCP_CLOSE_TIMEOUT);
		return;
	}
	c->keep_probes++;
	s->cnt.tcp_keepalive_probes++;
	tcp_send_probe(c);
	c->t_keep = s->now_ms + s->p.keepalive_intvl_ms;
}

void
tcp_conn_timers_fire(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;
	uint64_t now = s->now_ms;

	if (c->t_delack && c->t_delack <= now) {
		c->t_delack = 0;
		if (c->flags & TCPF_DELACK) {
			s->cnt.tcp_delayed_acks++;
			c->flags |= TCPF_ACK_NOW;
			tcp_conn_mark_pending(c);
		}
	}
	if (c->t_rexmit && c->t_rexmit <= now) {
		c->t_rexmit = 0;
		tcp_rexmit_timeout(c);
		if (c->flags & TCPF_DEAD)
			return;
	}
	if (c->t_keep && c->t_keep <= now) {
		c->t_keep = 0;
		switch (c->state) {
		case TCP_TIME_WAIT:
			tcp_conn_drop(c, TCP_CLOSE_NORMAL);
			return;
		case TCP_FIN_WAIT_2:
			if (c->flags & TCPF_USER_CLOSED) {
				tcp_conn_drop(c, TCP_CLOSE_TIMEOUT);
				return;
			}
			break;
		case TCP_ESTABLISHED:
		case TCP_CLOSE_WAIT:
			if (s->p.keepalive_idle_ms)
				keepalive_fire(c);
			if (c->flags & TCPF_DEAD)
				return;
			break;
		default:
			break;
		}
	}
	tcp_timer_update(c);
}
