/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_output.c — everything that builds TCP segments: options (MSS, window
 * scale, SACK-permitted, timestamps, SACK blocks), data segments that
 * reference the send queue through indirect mbufs (or copy when the port
 * cannot send chains), the send decision (peer window, congestion window,
 * sender SWS avoidance, FIN), SACK-based loss recovery (RFC 6675-style pipe
 * with the NewReno fallback of RFC 6582), the retransmission and persist
 * timeouts (RFC 6298 backoff), stateless replies, and the send API.
 */
#include <errno.h>
#include <string.h>

#include "tcpstack/tcp_priv.h"

#define TCP_SEGS_PER_FRAME 16 /* mbufs per transmitted frame */
#define TCP_TLP_DELACK_MS  50 /* peer's delayed-ACK allowance in the PTO */
#define TCP_TLP_MIN_MS     20 /* PTO floor */

uint32_t
tcp_ts_now(const struct tcp_conn *c)
{
	return (uint32_t)c->stack->now_ms + c->ts_offset;
}

static uint32_t
smss(const struct tcp_conn *c)
{
	return c->mss - ((c->flags & TCPF_TS_OK) ? 12 : 0);
}

static uint64_t
rto_ms(const struct tcp_conn *c)
{
	uint64_t r = (uint64_t)c->rto_us << u32_min(c->backoff, 16);
	uint64_t max = (uint64_t)c->stack->p.rto_max_ms * 1000;

	return (r > max ? max : r) / 1000;
}

static uint8_t *
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *
put32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	return p + 4;
}

uint8_t
tcp_build_opts(const struct tcp_conn *c, uint8_t *o, bool syn)
{
	uint8_t *p = o;
	bool active = c->state == TCP_SYN_SENT;

	if (syn) {
		*p++ = 2;
		*p++ = 4;
		p = put16(p, c->rcv_mss);
		if (active || (c->flags & TCPF_WS_OK)) {
			*p++ = 1;
			*p++ = 3;
			*p++ = 3;
			*p++ = c->rcv_wscale;
		}
		if (active || (c->flags & TCPF_SACK_OK)) {
			*p++ = 1;
			*p++ = 1;
			*p++ = 4;
			*p++ = 2;
		}
		if (active || (c->flags & TCPF_TS_OK)) {
			*p++ = 1;
			*p++ = 1;
			*p++ = 8;
			*p++ = 10;
			p = put32(p, tcp_ts_now(c));
			p = put32(p, active ? 0 : c->ts_recent);
		}
		return (uint8_t)(p - o);
	}
	if (c->flags & TCPF_TS_OK) {
		*p++ = 1;
		*p++ = 1;
		*p++ = 8;
		*p++ = 10;
		p = put32(p, tcp_ts_now(c));
		p = put32(p, c->ts_recent);
	}
	if ((c->flags & TCPF_SACK_OK) && c->n_ooo) {
		unsigned room = (unsigned)(40 - (p - o) - 4) / 8;
		unsigned n = u32_min(room, (unsigned)c->n_ooo);
		uint8_t first = c->ooo_last < c->n_ooo ? c->ooo_last : 0;
		unsigned k = 0;

		*p++ = 1;
		*p++ = 1;
		*p++ = 5;
		*p++ = (uint8_t)(2 + 8 * n);
		/* RFC 2018: the block holding the latest segment first, then
		 * the others, most recent ranges (highest) next. */
		p = put32(p, c->ooo[first].seq);
		p = put32(p, c->ooo[first].seq + c->ooo[first].len);
		k = 1;
		for (int i = c->n_ooo - 1; i >= 0 && k < n; i--) {
			if (i == first)
				continue;
			p = put32(p, c->ooo[i].seq);
			p = put32(p, c->ooo[i].seq + c->ooo[i].len);
			k++;
		}
	}
	return (uint8_t)(p - o);
}

uint32_t
tcp_rcv_window(const struct tcp_conn *c)
{
	uint32_t rcvbuf = c->stack->p.rcvbuf;
	uint32_t space = c->rcv_held >= rcvbuf ? 0 : rcvbuf - c->rcv_held;
	uint32_t right, wnd, max = 65535u << c->rcv_wscale;

	if (space < rcvbuf / 4 && space < c->rcv_mss)
		space = 0; /* receiver SWS avoidance */
	if (c->stack->pool_tight)
		space = 0; /* mbuf budget: keep what was offered, offer no more */
	right = c->rcv_nxt + space;
	if (SEQ_LT(right, c->rcv_adv))
		right = c->rcv_adv; /* never shrink the window */
	wnd = right - c->rcv_nxt;
	return wnd > max ? max : wnd;
}

/* Attach len bytes of the send queue from sequence number seq behind the
 * header mbuf m. Returns bytes attached. A cursor remembers where the last
 * frame ended, so sending a window is linear, not quadratic. */
static uint32_t
attach_data(struct tcp_conn *c, struct rte_mbuf *m, uint32_t seq,
	    uint32_t len, int32_t *psum)
{
	struct tcp_stack *s = c->stack;
	bool chains = tcp_conn_iface(c)->p.offloads & TCP_OFFLOAD_TX_MULTI_SEGS;
	uint32_t head_seq = c->snd_una - c->sq_off, seg_seq = head_seq, off;
	struct rte_mbuf *seg = c->sq_head, *last = m;
	uint32_t done = 0;

	if (c->sq_cur && SEQ_LEQ(c->sq_cur_seq, seq) &&
	    SEQ_GEQ(c->sq_cur_seq, head_seq)) {
		seg = c->sq_cur;
		seg_seq = c->sq_cur_seq;
	}
	while (seg && SEQ_GEQ(seq, seg_seq + seg->data_len)) {
		seg_seq += seg->data_len;
		seg = seg->next;
	}
	c->sq_cur = seg;
	c->sq_cur_seq = seg_seq;
	off = seq - seg_seq;
	while (seg && done < len) {
		uint32_t chunk = u32_min((uint32_t)seg->data_len - off, len - done);
		uint16_t piece = 0;

		/* the payload's sum: cached for a whole mbuf, else this piece */
		if (psum != NULL) {
			if (off != 0 || chunk != seg->data_len || !tcp_sq_sum_get(seg, &piece))
				piece = tcp_raw_sum(rte_pktmbuf_mtod_offset(seg, const uint8_t *,
									    off), chunk);
		}

		if (chains) {
			struct rte_mbuf *mi;

			if (m->nb_segs >= TCP_SEGS_PER_FRAME)
				break;
			mi = rte_pktmbuf_alloc(s->p.pool);
			if (mi == NULL) {
				s->cnt.drop_no_mbuf++;
				break;
			}
			rte_pktmbuf_attach(mi, seg);
			mi->data_off += off;
			mi->data_len = (uint16_t)chunk;
			mi->pkt_len = chunk;
			last->next = mi;
			last = mi;
			m->nb_segs++;
			m->pkt_len += chunk;
		} else {
			uint32_t room = rte_pktmbuf_tailroom(m);
			char *dst;

			if (chunk > room)
				chunk = room;
			if (chunk == 0)
				break;
			dst = rte_pktmbuf_append(m, (uint16_t)chunk);
			memcpy(dst, rte_pktmbuf_mtod_offset(seg, char *, off), chunk);
		}
		if (psum != NULL) {
			if (chunk != u32_min((uint32_t)seg->data_len - off, len - done))
				piece = tcp_raw_sum(rte_pktmbuf_mtod_offset(seg, const uint8_t *,
									    off), chunk);
			*psum = tcp_sum_add((uint16_t)*psum, piece, done & 1);
		}
		done += chunk;
		if (off + chunk < seg->data_len)
			break;
		off = 0;
		seg = seg->next;
	}
	return done;
}

/* Build and send one segment; returns payload bytes sent or -1. */
static int
xmit(struct tcp_conn *c, uint32_t seq, uint32_t len, uint8_t flags)
{
	struct tcp_stack *s = c->stack;
	uint8_t opts[40];
	uint8_t optlen = tcp_build_opts(c, opts, flags & TH_SYN);
	uint32_t maxlen = c->mss > optlen ? c->mss - optlen : 1;
	struct rte_mbuf *m;
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	uint32_t wnd;
	char *hdr;
	uint16_t hl = (uint16_t)(RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*th) +
				 optlen);
	bool sw_sum = !(tcp_conn_iface(c)->p.offloads & TCP_OFFLOAD_TX_TCP_CKSUM);
	int32_t psum = 0;

	if (len > maxlen) {
		len = maxlen;
		flags &= ~TH_FIN;
	}
	m = rte_pktmbuf_alloc(s->p.pool);
	if (m == NULL) {
		s->cnt.drop_no_mbuf++;
		return -1;
	}
	hdr = rte_pktmbuf_append(m, hl);
	if (hdr == NULL) {
		rte_pktmbuf_free(m);
		return -1;
	}
	ip = (struct rte_ipv4_hdr *)(hdr + RTE_ETHER_HDR_LEN);
	th = (struct rte_tcp_hdr *)(ip + 1);
	if (len) {
		uint32_t got = attach_data(c, m, seq, len, sw_sum ? &psum : NULL);

		if (got == 0) {
			rte_pktmbuf_free(m);
			return -1;
		}
		if (got < len) {
			len = got;
			flags &= ~TH_FIN;
		}
	}
	memset(ip, 0, sizeof(*ip));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl - RTE_ETHER_HDR_LEN + len));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(c->lip);
	ip->dst_addr = rte_cpu_to_be_32(c->rip);
	th->src_port = rte_cpu_to_be_16(c->lport);
	th->dst_port = rte_cpu_to_be_16(c->rport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = (flags & TH_ACK) ? rte_cpu_to_be_32(c->rcv_nxt) : 0;
	th->data_off = (uint8_t)(((sizeof(*th) + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->tcp_urp = 0;
	memcpy(th + 1, opts, optlen);
	wnd = tcp_rcv_window(c);
	if (flags & TH_SYN) {
		th->rx_win = rte_cpu_to_be_16((uint16_t)u32_min(wnd, 65535u));
		if (SEQ_GT(c->rcv_nxt + u32_min(wnd, 65535u), c->rcv_adv))
			c->rcv_adv = c->rcv_nxt + u32_min(wnd, 65535u);
	} else {
		uint32_t field = u32_min(wnd >> c->rcv_wscale, 65535u);
		uint32_t right = c->rcv_nxt + (field << c->rcv_wscale);

		th->rx_win = rte_cpu_to_be_16((uint16_t)field);
		if (SEQ_GT(right, c->rcv_adv))
			c->rcv_adv = right;
	}
	if (flags & TH_ACK) {
		c->last_ack_sent = c->rcv_nxt;
		c->flags &= ~(TCPF_ACK_NOW | TCPF_DELACK);
		c->t_delack = 0;
		c->segs_unacked = 0;
	}
	m->l2_len = RTE_ETHER_HDR_LEN;
	s->cnt.tcp_tx++;
	tcp_ipv4_output_sum(s, c->iface, c->nh_ip, m, sw_sum ? psum : -1);
	return (int)len;
}

/* Pure ACKs carry snd_max: after an RTO snd_nxt went back to snd_una,
 * and a sequence number below the peer's rcv_nxt would make the peer
 * discard the ACK as an old duplicate. But never beyond the right edge of
 * the peer's window (Linux tcp_acceptable_seq()): bytes sent there were
 * dropped, and a peer with a zero window accepts only seq == rcv_nxt — its
 * data would never be acknowledged while it waits for our ACK to drain its
 * send buffer and open its window (an echo deadlock seen with faults). */
void
tcp_send_ack(struct tcp_conn *c)
{
	uint32_t edge = c->snd_una + c->snd_wnd;

	xmit(c, SEQ_GT(c->snd_max, edge) ? edge : c->snd_max, 0, TH_ACK);
}

void
tcp_send_probe(struct tcp_conn *c)
{
	xmit(c, c->snd_una - 1, 0, TH_ACK);
}

int
tcp_send_syn(struct tcp_conn *c)
{
	uint8_t flags = c->state == TCP_SYN_SENT ? TH_SYN : TH_SYN | TH_ACK;
	uint64_t arp_drops = c->stack->cnt.drop_arp_queue_full;
	int rc = xmit(c, c->iss, 0, flags);

	/* dropped by ARP (queue full): tcp_arp.c sends it on resolution */
	if (c->stack->cnt.drop_arp_queue_full != arp_drops && c->state == TCP_SYN_SENT)
		c->flags |= TCPF_ARP_WAIT;

	c->snd_nxt = c->iss + 1;
	if (SEQ_GT(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
	return rc < 0 ? -ENOBUFS : 0;
}

void
tcp_send_raw(struct tcp_stack *s, unsigned iface, uint32_t lip,
	     uint16_t lport, uint32_t rip, uint16_t rport, uint32_t seq,
	     uint32_t ack, uint8_t flags, uint16_t win, const uint8_t *opts,
	     uint8_t optlen)
{
	const struct tcp_iface *ifc = &s->ifaces[iface];
	uint16_t hl = (uint16_t)(RTE_ETHER_HDR_LEN + 20 + 20 + optlen);
	uint32_t nh = ((rip & ifc->mask) == (ifc->p.ipv4 & ifc->mask) ||
		       ifc->p.gateway == 0) ? rip : ifc->p.gateway;
	struct rte_mbuf *m = rte_pktmbuf_alloc(s->p.pool);
	struct rte_ipv4_hdr *ip;
	struct rte_tcp_hdr *th;
	char *hdr;

	if (m == NULL) {
		s->cnt.drop_no_mbuf++;
		return;
	}
	hdr = rte_pktmbuf_append(m, hl);
	if (hdr == NULL) {
		rte_pktmbuf_free(m);
		return;
	}
	ip = (struct rte_ipv4_hdr *)(hdr + RTE_ETHER_HDR_LEN);
	th = (struct rte_tcp_hdr *)(ip + 1);
	memset(ip, 0, sizeof(*ip));
	ip->total_length = rte_cpu_to_be_16((uint16_t)(hl - RTE_ETHER_HDR_LEN));
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_TCP;
	ip->src_addr = rte_cpu_to_be_32(lip);
	ip->dst_addr = rte_cpu_to_be_32(rip);
	th->src_port = rte_cpu_to_be_16(lport);
	th->dst_port = rte_cpu_to_be_16(rport);
	th->sent_seq = rte_cpu_to_be_32(seq);
	th->recv_ack = rte_cpu_to_be_32(ack);
	th->data_off = (uint8_t)(((20 + optlen) / 4) << 4);
	th->tcp_flags = flags;
	th->rx_win = rte_cpu_to_be_16(win);
	th->tcp_urp = 0;
	if (optlen)
		memcpy(th + 1, opts, optlen);
	m->l2_len = RTE_ETHER_HDR_LEN;
	s->cnt.tcp_tx++;
	tcp_ipv4_output(s, iface, nh, m);
}

/* ------------------------------------------------------ send queue */

void
tcp_sq_free_acked(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_stack *s = c->stack;
	uint32_t n;

	if (acked > c->sq_len)
		acked = c->sq_len;
	c->sq_len -= acked;
	n = acked + c->sq_off;
	while (c->sq_head && n >= c->sq_head->data_len &&
	       (n || c->sq_head->data_len == 0)) {
		struct rte_mbuf *seg = c->sq_head;

		n -= seg->data_len;
		c->sq_head = seg->next;
		seg->next = NULL;
		seg->nb_segs = 1;
		if (seg == c->copy_tail)
			c->copy_tail = NULL;
		if (seg == c->sq_cur)
			c->sq_cur = NULL;
		tcp_mbuf_free(s, seg);
	}
	if (c->sq_head == NULL) {
		c->sq_tail = NULL;
		n = 0;
	}
	c->sq_off = n;
}

void
tcp_sq_free_all(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;

	while (c->sq_head) {
		struct rte_mbuf *seg = c->sq_head;

		c->sq_head = seg->next;
		seg->next = NULL;
		seg->nb_segs = 1;
		tcp_mbuf_free(s, seg);
	}
	c->sq_tail = c->copy_tail = c->sq_cur = NULL;
	c->sq_len = c->sq_off = 0;
}

/* ------------------------------------------------------ loss recovery */

/* First range not SACKed at or after from, below high_sacked. */
static uint32_t
next_hole(const struct tcp_conn *c, uint32_t from, uint32_t *start)
{
	for (unsigned i = 0; i < c->n_sacked; i++) {
		const struct tcp_sack_blk *b = &c->sacked[i];

		if (SEQ_LEQ(b->end, from))
			continue;
		if (SEQ_LT(from, b->start)) {
			*start = from;
			return b->start - from;
		}
		from = b->end;
	}
	return 0;
}

/* RFC 6675 "pipe": bytes believed in the network. */
static uint32_t
pipe_est(const struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una, out;

	if ((c->flags & TCPF_SACK_OK) && c->n_sacked) {
		uint32_t lost = 0, from = SEQ_MAX(c->rexmit_nxt, c->snd_una), st;
		uint32_t len;

		while ((len = next_hole(c, from, &st)) != 0) {
			lost += len;
			from = st + len;
		}
		out = c->sacked_bytes + lost;
	} else {
		out = (uint32_t)c->dupacks * smss(c);
	}
	return out >= flight ? 0 : flight - out;
}

static void
count_rexmit(struct tcp_conn *c, bool sack)
{
	c->stack->cnt.tcp_retransmits++;
	if (sack)
		c->stack->cnt.tcp_sack_retransmits++;
	c->retransmits++;
	c->flags &= ~TCPF_RTT_TIMING; /* Karn */
}

/* Move snd_nxt past a SACKed block it points into. */
static void
sack_skip(struct tcp_conn *c)
{
	for (unsigned i = 0; i < c->n_sacked; i++)
		if (SEQ_GEQ(c->snd_nxt, c->sacked[i].start) &&
		    SEQ_LT(c->snd_nxt, c->sacked[i].end))
			c->snd_nxt = c->sacked[i].end;
}

/* SACKed bytes below seq: not in flight any more. */
static uint32_t
sacked_below(const struct tcp_conn *c, uint32_t seq)
{
	uint32_t n = 0;

	for (unsigned i = 0; i < c->n_sacked; i++) {
		const struct tcp_sack_blk *b = &c->sacked[i];

		if (SEQ_GEQ(b->start, seq))
			break;
		n += (SEQ_LT(b->end, seq) ? b->end : seq) - b->start;
	}
	return n;
}

/* Bytes from snd_nxt to the next SACKed block (or to snd_max). */
static uint32_t
sack_gap(const struct tcp_conn *c)
{
	for (unsigned i = 0; i < c->n_sacked; i++)
		if (SEQ_GT(c->sacked[i].start, c->snd_nxt))
			return c->sacked[i].start - c->snd_nxt;
	return UINT32_MAX;
}

static bool
recovery_output(struct tcp_conn *c, uint32_t fin_seq)
{
	uint32_t mss = smss(c);
	bool sent = false;

	/* RFC 6675 (4.3) / RFC 6582: the first hole after entering recovery
	 * or after a partial ACK goes out whatever the pipe says. */
	bool force = SEQ_LEQ(c->rexmit_nxt, c->snd_una);

	for (int guard = 0; guard < 64; guard++) {
		uint32_t start = 0, len, pipe = pipe_est(c);
		int n;

		if (pipe + mss > c->cwnd && !force)
			break;
		force = false;
		if (SEQ_LT(c->rexmit_nxt, c->snd_una))
			c->rexmit_nxt = c->snd_una;
		if ((c->flags & TCPF_SACK_OK) && c->n_sacked) {
			len = next_hole(c, c->rexmit_nxt, &start);
		} else if (c->rexmit_nxt == c->snd_una) {
			start = c->snd_una;
			len = c->snd_max - c->snd_una;
		} else {
			len = 0;
		}
		if (len == 0)
			break;
		if (start == fin_seq) {
			if (xmit(c, fin_seq, 0, TH_ACK | TH_FIN) < 0)
				break;
			c->rexmit_nxt = fin_seq + 1;
			count_rexmit(c, c->n_sacked);
			sent = true;
			continue;
		}
		if (SEQ_GT(start + len, fin_seq))
			len = fin_seq - start;
		len = u32_min(len, mss);
		n = xmit(c, start, len, TH_ACK);
		if (n <= 0)
			break;
		c->rexmit_nxt = start + (uint32_t)n;
		count_rexmit(c, c->n_sacked);
		sent = true;
		if (!((c->flags & TCPF_SACK_OK) && c->n_sacked))
			break; /* NewReno: one segment per partial ACK */
	}
	return sent;
}

/* RFC 8985 §7.2 probe timeout, or 0 when no tail loss probe applies. */
static uint64_t
tlp_timeout(const struct tcp_conn *c)
{
	uint64_t pto, rto = rto_ms(c);

	if ((c->state != TCP_ESTABLISHED && c->state != TCP_CLOSE_WAIT) ||
	    (c->flags & (TCPF_IN_RECOVERY | TCPF_TLP_SENT)) ||
	    c->srtt_us == 0 || c->backoff)
		return 0;
	/* RFC 8985 adds the worst-case delayed ACK only for a flight of one
	 * segment, assuming an ACK for every second one. Receivers that ACK
	 * once per input burst (this stack, GRO/LRO) may hold the ACK of a
	 * trailing lone segment of any flight, so the allowance is always
	 * added; and 2 x SRTT from millisecond timestamps is 0-2 ms, shorter
	 * than one scheduling slice of a busy-polling process on a shared CPU,
	 * hence the larger floor. Both made most probes spurious. */
	pto = 2ull * c->srtt_us / 1000 + TCP_TLP_DELACK_MS;
	if (pto < TCP_TLP_MIN_MS)
		pto = TCP_TLP_MIN_MS;
	return pto < rto ? pto : 0;
}

/* The probe: the last segment again (or the FIN), then a normal RTO. */
static void
tlp_fire(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;
	bool fin = (c->flags & TCPF_FIN_SENT) &&
		   c->snd_max == c->snd_una + c->sq_len + 1;
	uint32_t data_end = fin ? c->snd_max - 1 : c->snd_max;
	uint32_t len = u32_min(smss(c), data_end - c->snd_una);

	c->flags &= ~TCPF_TLP;
	c->flags |= TCPF_TLP_SENT;
	if (c->snd_una == c->snd_max)
		return;
	s->cnt.tcp_tlp_probes++;
	if (len && xmit(c, data_end - len, len,
			TH_ACK | TH_PSH | (fin ? TH_FIN : 0)) > 0)
		count_rexmit(c, false);
	else if (!len && fin && xmit(c, data_end, 0, TH_ACK | TH_FIN) >= 0)
		count_rexmit(c, false);
	c->t_rexmit = s->now_ms + rto_ms(c);
}

void
tcp_output(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;
	uint32_t mss, fin_seq, unsent = 0;
	bool sent = false, fin_want;

	switch (c->state) {
	case TCP_ESTABLISHED:
	case TCP_CLOSE_WAIT:
	case TCP_FIN_WAIT_1:
	case TCP_CLOSING:
	case TCP_LAST_ACK:
		break;
	case TCP_SYN_RCVD:
	case TCP_FIN_WAIT_2:
	case TCP_TIME_WAIT:
		if (c->flags & TCPF_ACK_NOW)
			tcp_send_ack(c);
		tcp_timer_update(c);
		return;
	default:
		return;
	}
	mss = smss(c);
	fin_seq = c->snd_una + c->sq_len;
	fin_want = c->flags & TCPF_FIN_QUEUED;

	if (c->flags & TCPF_IN_RECOVERY)
		sent = recovery_output(c, fin_seq);

	for (int guard = 0; guard < 1024; guard++) {
		uint32_t wnd_room, in_flight, cwnd_room, len;
		uint8_t flags = TH_ACK;
		bool rexmit;
		int n;

		/* Resending after an RTO: skip what the peer SACKed. */
		if (SEQ_LT(c->snd_nxt, c->snd_max) && c->n_sacked)
			sack_skip(c);
		unsent = SEQ_GT(fin_seq, c->snd_nxt) ? fin_seq - c->snd_nxt : 0;
		if (unsent == 0)
			break;
		wnd_room = SEQ_GT(c->snd_una + c->snd_wnd, c->snd_nxt) ?
			c->snd_una + c->snd_wnd - c->snd_nxt : 0;
		in_flight = (c->flags & TCPF_IN_RECOVERY) ? pipe_est(c) :
			c->snd_nxt - c->snd_una - sacked_below(c, c->snd_nxt);
		cwnd_room = c->cwnd > in_flight ? c->cwnd - in_flight : 0;
		/* RFC 3042 limited transmit on the first two duplicate ACKs */
		if (!(c->flags & TCPF_IN_RECOVERY) && c->dupacks &&
		    c->dupacks <= 2 && c->snd_nxt == c->snd_max &&
		    c->snd_nxt - c->snd_una < c->cwnd + 2u * mss)
			cwnd_room = u32_max(cwnd_room, c->cwnd + (uint32_t)c->dupacks * mss -
					    in_flight);
		len = u32_min(u32_min(unsent, mss), u32_min(wnd_room, cwnd_room));
		if (SEQ_LT(c->snd_nxt, c->snd_max) && c->n_sacked)
			len = u32_min(len, sack_gap(c));
		if (len == 0)
			break;
		/* sender SWS avoidance: no small segment while data is out */
		if (len < mss && len < unsent && c->snd_nxt != c->snd_una)
			break;
		if (len == unsent) {
			flags |= TH_PSH;
			if (fin_want)
				flags |= TH_FIN;
		}
		rexmit = SEQ_LT(c->snd_nxt, c->snd_max);
		n = xmit(c, c->snd_nxt, len, flags);
		if (n <= 0)
			break;
		if (rexmit) {
			count_rexmit(c, false);
		} else if (!(c->flags & (TCPF_TS_OK | TCPF_RTT_TIMING))) {
			c->rtt_seq = c->snd_nxt;
			c->rtt_start_us = s->now_us;
			c->flags |= TCPF_RTT_TIMING;
		}
		c->snd_nxt += (uint32_t)n;
		if ((flags & TH_FIN) && (uint32_t)n == len) {
			c->snd_nxt++;
			c->flags |= TCPF_FIN_SENT;
		}
		if (SEQ_GT(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		sent = true;
	}
	if (fin_want && c->snd_nxt == fin_seq) {
		bool rexmit = SEQ_LT(c->snd_nxt, c->snd_max);

		if (xmit(c, fin_seq, 0, TH_ACK | TH_FIN) >= 0) {
			if (rexmit)
				count_rexmit(c, false);
			c->snd_nxt = fin_seq + 1;
			c->flags |= TCPF_FIN_SENT;
			if (SEQ_GT(c->snd_nxt, c->snd_max))
				c->snd_max = c->snd_nxt;
			sent = true;
		}
	}
	if (c->snd_max != c->snd_una) {
		if (c->t_rexmit == 0 || (c->flags & TCPF_PERSIST)) {
			uint64_t pto = tlp_timeout(c);

			c->flags &= ~(TCPF_PERSIST | TCPF_TLP);
			if (pto) {
				c->flags |= TCPF_TLP;
				c->t_rexmit = s->now_ms + pto;
			} else {
				c->t_rexmit = s->now_ms + rto_ms(c);
			}
		}
	} else if (unsent && c->snd_wnd == 0 && c->t_rexmit == 0) {
		c->flags |= TCPF_PERSIST;
		c->t_rexmit = s->now_ms + rto_ms(c);
	}
	if ((c->flags & TCPF_ACK_NOW) && !sent)
		tcp_send_ack(c);
	tcp_timer_update(c);
}

void
tcp_rexmit_timeout(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;

	if (c->flags & TCPF_TLP) {
		tlp_fire(c);
		return;
	}
	if (c->flags & TCPF_PERSIST) {
		c->flags &= ~TCPF_PERSIST;
		if (c->snd_wnd == 0 && c->sq_len &&
		    c->snd_una == c->snd_max) {
			s->cnt.tcp_zero_window_probes++;
			tcp_send_probe(c);
			if (c->backoff < 16)
				c->backoff++;
			c->flags |= TCPF_PERSIST;
			c->t_rexmit = s->now_ms + rto_ms(c);
		} else {
			tcp_conn_mark_pending(c);
		}
		return;
	}
	switch (c->state) {
	case TCP_SYN_SENT:
	case TCP_SYN_RCVD:
		if (++c->retries > s->p.syn_retries) {
			tcp_conn_drop(c, TCP_CLOSE_TIMEOUT);
			return;
		}
		if (c->backoff < 16)
			c->backoff++;
		count_rexmit(c, false);
		tcp_send_syn(c);
		c->t_rexmit = s->now_ms + rto_ms(c);
		return;
	case TCP_CLOSED:
	case TCP_LISTEN:
	case TCP_TIME_WAIT:
	case TCP_FIN_WAIT_2:
		return;
	default:
		break;
	}
	if (c->snd_una == c->snd_max)
		return;
	if (++c->retries > s->p.max_retries) {
		tcp_send_raw(s, c->iface, c->lip, c->lport, c->rip, c->rport,
			     c->snd_max, c->rcv_nxt, TH_RST | TH_ACK, 0, NULL, 0);
		s->cnt.tcp_rst_tx++;
		tcp_conn_drop(c, TCP_CLOSE_TIMEOUT);
		return;
	}
	s->cnt.tcp_rto_timeouts++;
	if (c->backoff == 0 && (c->flags & TCPF_TS_OK)) {
		/* Eifel (RFC 3522): an ACK echoing an older TSval than the
		 * retransmission's proves the timeout spurious */
		c->flags |= TCPF_RTO_UNDO;
		c->rto_tsval = tcp_ts_now(c);
		c->undo_cwnd = c->cwnd;
		c->undo_ssthresh = c->ssthresh;
	} else {
		c->flags &= ~TCPF_RTO_UNDO;
	}
	c->ssthresh = s->cc->ssthresh(c);
	c->cwnd = smss(c);
	c->flags &= ~(TCPF_IN_RECOVERY | TCPF_RTT_TIMING);
	if (c->backoff) {
		/* a second RTO in a row: forget SACK information in case the
		 * receiver reneged (RFC 2018 §8); the first keeps it so the
		 * resend skips what the peer holds (RFC 6675 §5.1) */
		c->n_sacked = 0;
		c->sacked_bytes = 0;
		c->high_sacked = c->snd_una;
	}
	c->dupacks = 0;
	c->recover = c->snd_max;
	c->snd_nxt = c->snd_una;
	if (c->backoff < 16)
		c->backoff++;
	c->t_rexmit = s->now_ms + rto_ms(c);
	tcp_output(c);
}

/* ------------------------------------------------------------ send API */

static int
send_check(const struct tcp_conn *c)
{
	if (c == NULL || (c->flags & TCPF_DEAD))
		return -ENOTCONN;
	if (c->flags & (TCPF_FIN_QUEUED | TCPF_USER_CLOSED))
		return -EPIPE;
	if (c->state == TCP_ESTABLISHED || c->state == TCP_CLOSE_WAIT)
		return 0;
	return c->state > TCP_CLOSE_WAIT ? -EPIPE : -ENOTCONN;
}

uint32_t
tcp_send_space(const struct tcp_conn *c)
{
	uint32_t buf = c->stack->p.sndbuf;

	return c->sq_len >= buf ? 0 : buf - c->sq_len;
}

static void
send_kick(struct tcp_conn *c)
{
	/* a buffer filled above 3/4 asks for a writable() call later */
	if (tcp_send_space(c) < c->stack->p.sndbuf / 4)
		c->flags |= TCPF_WRITABLE_WAIT;
	tcp_conn_mark_pending(c);
	if (c->stack->batch_depth == 0)
		tcp_stack_flush(c->stack);
}

int
tcp_send(struct tcp_conn *c, struct rte_mbuf *m)
{
	int rc = send_check(c);
	struct rte_mbuf *last;

	if (rc)
		return rc;
	if (m->pkt_len > tcp_send_space(c)) {
		c->flags |= TCPF_WRITABLE_WAIT;
		return -ENOBUFS;
	}
	if (m->pkt_len == 0) {
		tcp_mbuf_free(c->stack, m);
		return 0;
	}
	c->sq_len += m->pkt_len;
	if (!(tcp_conn_iface(c)->p.offloads & TCP_OFFLOAD_TX_TCP_CKSUM)) {
		for (last = m;; last = last->next) {
			tcp_sq_sum_set(last, tcp_raw_sum(rte_pktmbuf_mtod(last, const void *),
							 last->data_len));
			if (last->next == NULL)
				break;
		}
	} else {
		for (last = m; last->next; last = last->next)
			tcp_sq_sum_clear(last);
		tcp_sq_sum_clear(last);
	}
	if (c->sq_tail)
		c->sq_tail->next = m;
	else
		c->sq_head = m;
	c->sq_tail = last;
	c->copy_tail = NULL;
	send_kick(c);
	return 0;
}

ssize_t
tcp_send_copy(struct tcp_conn *c, const void *buf, size_t len)
{
	int rc = send_check(c);
	const uint8_t *src = buf;
	size_t n, done = 0, goal;
	bool sw_sum;

	if (rc)
		return rc;
	/* one full segment's payload per mbuf: a segment then covers one
	 * mbuf (one indirect mbuf, its cached sum) while the stream stays
	 * aligned */
	goal = smss(c);
	if (goal == 0 || goal > UINT16_MAX)
		goal = UINT16_MAX;
	sw_sum = !(tcp_conn_iface(c)->p.offloads & TCP_OFFLOAD_TX_TCP_CKSUM);
	n = len < tcp_send_space(c) ? len : tcp_send_space(c);
	if (n < len)
		c->flags |= TCPF_WRITABLE_WAIT;
	if (n == 0)
		return 0;
	/* Append to the last mbuf only while none of it was sent: a segment
	 * that went out with the tail of the queue (no Nagle: the sender
	 * caught up with the application) ended inside it, and the next
	 * segments start where that one ended, so new data starts a new
	 * mbuf there and mbufs and segments stay aligned. */
	if (c->copy_tail && c->copy_tail == c->sq_tail &&
	    SEQ_GEQ(c->snd_una + c->sq_len - c->copy_tail->data_len, c->snd_max)) {
		struct rte_mbuf *t = c->copy_tail;
		size_t room = rte_pktmbuf_tailroom(t);
		size_t chunk = n < room ? n : room;
		uint16_t old_sum = 0;

		if (t->data_len < goal && chunk > goal - t->data_len)
			chunk = goal - t->data_len;
		else if (t->data_len >= goal)
			chunk = 0;
		if (chunk) {
			bool had = sw_sum && tcp_sq_sum_get(t, &old_sum);
			bool odd = t->data_len & 1;

			memcpy(rte_pktmbuf_append(t, (uint16_t)chunk), src, chunk);
			if (had) {
				uint16_t add = tcp_raw_sum(src, (uint32_t)chunk);

				tcp_sq_sum_set(t, tcp_sum_add(old_sum, add, odd));
			}
			done = chunk;
		}
	}
	while (done < n) {
		struct rte_mbuf *mb = rte_pktmbuf_alloc(c->stack->p.pool);
		size_t chunk;

		if (mb == NULL) {
			c->stack->cnt.drop_no_mbuf++;
			c->flags |= TCPF_WRITABLE_WAIT;
			break;
		}
		mb->data_off = 0;
		chunk = n - done;
		if (chunk > rte_pktmbuf_tailroom(mb))
			chunk = rte_pktmbuf_tailroom(mb);
		if (chunk > goal)
			chunk = goal;
		memcpy(rte_pktmbuf_append(mb, (uint16_t)chunk), src + done, chunk);
		if (sw_sum)
			tcp_sq_sum_set(mb, tcp_raw_sum(src + done, (uint32_t)chunk));
		else
			tcp_sq_sum_clear(mb);
		done += chunk;
		if (c->sq_tail)
			c->sq_tail->next = mb;
		else
			c->sq_head = mb;
		c->sq_tail = c->copy_tail = mb;
	}
	c->sq_len += (uint32_t)done;
	if (done == 0)
		return -ENOBUFS;
	send_kick(c);
	return (ssize_t)done;
}
