/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_input.c — segment arrival (RFC 9293 §3.10.7): header and checksum
 * validation, option parsing, demultiplexing to a connection, a listener
 * (SYN backlog, per-source cap, SYN cookies) or a RST; then for a
 * connection PAWS (RFC 7323), the acceptability test, RST/SYN/ACK checks
 * with rate-limited challenge ACKs (RFC 5961), ACK processing with RTT
 * samples (RFC 6298), the SACK scoreboard (RFC 2018), duplicate ACKs and
 * NewReno recovery entry/exit (RFC 6582), window updates, in-order
 * delivery of mbuf chains, bounded out-of-order reassembly, delayed ACKs,
 * FIN handling and TIME_WAIT with RFC 6191 reuse.
 */
#include <string.h>

#include "tcpstack/tcp_priv.h"

struct seg {
	uint32_t seq, ack, len;
	uint32_t win;
	uint8_t flags;
	bool has_ts, sack_perm;
	int8_t wscale;          /* -1: absent */
	uint8_t n_sack;
	uint16_t mss;           /* 0: absent */
	uint32_t tsval, tsecr;
	struct tcp_sack_blk sack[4];
	uint32_t lip, rip;
	uint16_t lport, rport;
};

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void
parse_opts(struct seg *sg, const uint8_t *p, unsigned len)
{
	unsigned i = 0;

	while (i < len) {
		uint8_t kind = p[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			break;
		olen = p[i + 1];
		if (olen < 2 || i + olen > len)
			break;
		switch (kind) {
		case 2:
			if (olen == 4 && (sg->flags & TH_SYN))
				sg->mss = (uint16_t)(p[i + 2] << 8 | p[i + 3]);
			break;
		case 3:
			if (olen == 3 && (sg->flags & TH_SYN))
				sg->wscale = (int8_t)u32_min(p[i + 2], 14);
			break;
		case 4:
			if (olen == 2 && (sg->flags & TH_SYN))
				sg->sack_perm = true;
			break;
		case 5:
			if (olen >= 10 && (olen - 2) % 8 == 0) {
				unsigned n = u32_min((olen - 2u) / 8, 4u);

				for (unsigned k = 0; k < n; k++) {
					sg->sack[k].start = get32(p + i + 2 + 8 * k);
					sg->sack[k].end = get32(p + i + 6 + 8 * k);
				}
				sg->n_sack = (uint8_t)n;
			}
			break;
		case 8:
			if (olen == 10) {
				sg->has_ts = true;
				sg->tsval = get32(p + i + 2);
				sg->tsecr = get32(p + i + 6);
			}
			break;
		default:
			break;
		}
		i += olen;
	}
}

/* ------------------------------------------------------------ replies */

static void
send_rst_for(struct tcp_stack *s, unsigned iface, const struct seg *sg)
{
	if (sg->flags & TH_RST)
		return;
	if (sg->flags & TH_ACK) {
		tcp_send_raw(s, iface, sg->lip, sg->lport, sg->rip, sg->rport,
			     sg->ack, 0, TH_RST, 0, NULL, 0);
	} else {
		uint32_t l = sg->len + !!(sg->flags & TH_SYN) +
			     !!(sg->flags & TH_FIN);

		tcp_send_raw(s, iface, sg->lip, sg->lport, sg->rip, sg->rport,
			     0, sg->seq + l, TH_RST | TH_ACK, 0, NULL, 0);
	}
	s->cnt.tcp_rst_tx++;
}

static void
challenge_ack(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;

	if (!tcp_rate_ok(s, &s->chack_sec, &s->chack_count,
			 s->p.challenge_ack_limit)) {
		s->cnt.tcp_challenge_ack_limited++;
		return;
	}
	s->cnt.tcp_challenge_acks++;
	c->flags |= TCPF_ACK_NOW;
	tcp_conn_mark_pending(c);
}

/* ------------------------------------------------------------- options */

static void
apply_syn_opts(struct tcp_conn *c, const struct seg *sg)
{
	const struct tcp_iface *ifc = tcp_conn_iface(c);
	uint16_t mss = sg->mss ? sg->mss : TCP_DEFAULT_MSS;

	if (mss < 88)
		mss = 88; /* refuse absurdly small segments (CVE-2019-11478) */
	c->peer_mss = mss;
	c->mss = u32_min(mss, ifc->mss);
	if (sg->wscale >= 0) {
		c->flags |= TCPF_WS_OK;
		c->snd_wscale = (uint8_t)sg->wscale;
	} else {
		c->flags &= ~TCPF_WS_OK;
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	if (sg->sack_perm)
		c->flags |= TCPF_SACK_OK;
	else
		c->flags &= ~TCPF_SACK_OK;
	if (sg->has_ts) {
		c->flags |= TCPF_TS_OK;
		c->ts_recent = sg->tsval;
		c->ts_recent_ms = c->stack->now_ms;
	} else {
		c->flags &= ~TCPF_TS_OK;
	}
}

static void
conn_established(struct tcp_conn *c)
{
	struct tcp_stack *s = c->stack;

	c->state = TCP_ESTABLISHED;
	c->flags |= TCPF_SYN_ACKED;
	c->quickack = TCP_QUICKACKS;
	c->retries = 0;
	c->backoff = 0;
	s->cc->init(c);
	if (s->p.keepalive_idle_ms)
		c->t_keep = s->now_ms + s->p.keepalive_idle_ms;
}

/* ----------------------------------------------------------------- RTT */

static void
rtt_sample(struct tcp_conn *c, uint32_t r_us)
{
	struct tcp_stack *s = c->stack;
	uint64_t rto;

	if (r_us == 0)
		r_us = 1;
	if (c->srtt_us == 0) {
		c->srtt_us = r_us;
		c->rttvar_us = r_us / 2;
	} else {
		uint32_t d = c->srtt_us > r_us ? c->srtt_us - r_us :
						 r_us - c->srtt_us;

		c->rttvar_us = (3 * c->rttvar_us + d) / 4;
		c->srtt_us = (7 * c->srtt_us + r_us) / 8;
	}
	/* RTO = SRTT + max(4 x RTTVAR, rto_min), as Linux does, rather than
	 * max(SRTT + 4 x RTTVAR, rto_min) (RFC 6298 (2.4)): with a sub-
	 * millisecond path RTTVAR decays to nothing, and when queueing (a
	 * memif ring, a busy peer) or scheduling delay then adds a few hundred
	 * milliseconds in one round, the RFC form fires spuriously. */
	rto = c->srtt_us + u32_max(s->p.rto_min_ms * 1000u, 4 * c->rttvar_us);
	if (rto > s->p.rto_max_ms * 1000ull)
		rto = s->p.rto_max_ms * 1000ull;
	c->rto_us = (uint32_t)rto;
	c->backoff = 0;
}

static void
rtt_from_ack(struct tcp_conn *c, const struct seg *sg)
{
	struct tcp_stack *s = c->stack;

	if ((c->flags & TCPF_TS_OK) && sg->has_ts && sg->tsecr) {
		uint32_t ms = tcp_ts_now(c) - sg->tsecr;

		if (ms < 600000)
			rtt_sample(c, ms * 1000);
	} else if ((c->flags & TCPF_RTT_TIMING) && SEQ_GT(sg->ack, c->rtt_seq)) {
		c->flags &= ~TCPF_RTT_TIMING;
		rtt_sample(c, (uint32_t)(s->now_us - c->rtt_start_us));
	}
}

/* ---------------------------------------------------------------- SACK */

static void
sack_recount(struct tcp_conn *c)
{
	c->sacked_bytes = 0;
	for (unsigned i = 0; i < c->n_sacked; i++)
		c->sacked_bytes += c->sacked[i].end - c->sacked[i].start;
	c->high_sacked = c->n_sacked ? c->sacked[c->n_sacked - 1].end :
				       c->snd_una;
}

static void
sack_prune(struct tcp_conn *c)
{
	unsigned j = 0;

	for (unsigned i = 0; i < c->n_sacked; i++) {
		struct tcp_sack_blk b = c->sacked[i];

		if (SEQ_LEQ(b.end, c->snd_una))
			continue;
		if (SEQ_LT(b.start, c->snd_una))
			b.start = c->snd_una;
		c->sacked[j++] = b;
	}
	c->n_sacked = (uint8_t)j;
	sack_recount(c);
}

static void
sack_add(struct tcp_conn *c, uint32_t start, uint32_t end)
{
	struct tcp_sack_blk *v = c->sacked;
	unsigned n = c->n_sacked, i, j;

	if (SEQ_LEQ(end, c->snd_una) || SEQ_GT(end, c->snd_max) ||
	    SEQ_GEQ(start, end))
		return;
	if (SEQ_LT(start, c->snd_una))
		start = c->snd_una;
	/* merge with every block it touches */
	for (i = 0; i < n;) {
		if (SEQ_LEQ(v[i].start, end) && SEQ_GEQ(v[i].end, start)) {
			start = SEQ_MIN(start, v[i].start);
			end = SEQ_MAX(end, v[i].end);
			memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof(*v));
			n--;
		} else {
			i++;
		}
	}
	if (n == TCP_SACK_MAX) {
		/* keep the lowest holes' information: forget the highest */
		if (SEQ_GT(start, v[n - 1].start)) {
			c->n_sacked = (uint8_t)n;
			return;
		}
		n--;
	}
	for (i = 0; i < n && SEQ_LT(v[i].start, start); i++)
		;
	for (j = n; j > i; j--)
		v[j] = v[j - 1];
	v[i].start = start;
	v[i].end = end;
	c->n_sacked = (uint8_t)(n + 1);
}

/* ------------------------------------------------------ out of order */

static void
ooo_remove(struct tcp_conn *c, unsigned i)
{
	memmove(&c->ooo[i], &c->ooo[i + 1], (c->n_ooo - i - 1) * sizeof(c->ooo[0]));
	c->n_ooo--;
}

static void
ooo_account(struct tcp_conn *c, int64_t delta)
{
	c->ooo_bytes = (uint32_t)((int64_t)c->ooo_bytes + delta);
	c->stack->reass_bytes = (uint64_t)((int64_t)c->stack->reass_bytes + delta);
}

static void
ooo_insert(struct tcp_conn *c, uint32_t seq, struct rte_mbuf *m)
{
	struct tcp_stack *s = c->stack;
	uint32_t len = m->pkt_len, end = seq + len;
	unsigned i;

	s->cnt.tcp_ooo_segments++;
	/* drop blocks the new segment covers entirely */
	for (i = 0; i < c->n_ooo;) {
		struct tcp_ooo *b = &c->ooo[i];

		if (SEQ_LEQ(seq, b->seq) && SEQ_GEQ(end, b->seq + b->len)) {
			ooo_account(c, -(int64_t)b->len);
			tcp_mbuf_free(s, b->head);
			ooo_remove(c, i);
		} else {
			i++;
		}
	}
	/* trim against the (at most two) blocks overlapping an end */
	for (i = 0; i < c->n_ooo && m; i++) {
		struct tcp_ooo *b = &c->ooo[i];
		uint32_t bend = b->seq + b->len;

		if (SEQ_LEQ(b->seq, seq) && SEQ_GEQ(bend, end)) {
			c->ooo_last = (uint8_t)i; /* duplicate of held data */
			tcp_mbuf_free(s, m);
			return;
		}
		if (SEQ_LEQ(b->seq, seq) && SEQ_GT(bend, seq)) {
			m = tcp_mbuf_adj(s, m, bend - seq);
			seq = bend;
		} else if (SEQ_LT(seq, b->seq) && SEQ_GT(end, b->seq)) {
			tcp_mbuf_trim_to(s, m, b->seq - seq);
			end = b->seq;
		}
	}
	if (m == NULL)
		return;
	len = end - seq;
	if (c->ooo_bytes + len > s->p.reass_per_conn ||
	    s->reass_bytes + len > s->p.reass_total) {
		s->cnt.drop_tcp_ooo_limit++;
		tcp_mbuf_free(s, m);
		return;
	}
	for (i = 0; i < c->n_ooo && SEQ_LT(c->ooo[i].seq, seq); i++)
		;
	/* append to the previous block when contiguous */
	if (i > 0 && c->ooo[i - 1].seq + c->ooo[i - 1].len == seq &&
	    c->ooo[i - 1].head->nb_segs + m->nb_segs <= TCP_OOO_SEGS_MAX) {
		struct tcp_ooo *b = &c->ooo[i - 1];

		b->tail->next = m;
		b->head->nb_segs += m->nb_segs;
		b->head->pkt_len += len;
		b->len += len;
		b->tail = rte_pktmbuf_lastseg(m);
		ooo_account(c, len);
		c->ooo_last = (uint8_t)(i - 1);
		/* and join the next one if the gap closed */
		if (i < c->n_ooo && b->seq + b->len == c->ooo[i].seq &&
		    b->head->nb_segs + c->ooo[i].head->nb_segs <= TCP_OOO_SEGS_MAX) {
			struct tcp_ooo *nb = &c->ooo[i];

			b->tail->next = nb->head;
			b->head->nb_segs += nb->head->nb_segs;
			b->head->pkt_len += nb->len;
			b->len += nb->len;
			b->tail = nb->tail;
			ooo_remove(c, i);
		}
		return;
	}
	/* prepend to the next block when contiguous */
	if (i < c->n_ooo && end == c->ooo[i].seq &&
	    c->ooo[i].head->nb_segs + m->nb_segs <= TCP_OOO_SEGS_MAX) {
		struct tcp_ooo *b = &c->ooo[i];
		struct rte_mbuf *last = rte_pktmbuf_lastseg(m);

		last->next = b->head;
		m->nb_segs += b->head->nb_segs;
		m->pkt_len += b->len;
		b->head = m;
		b->seq = seq;
		b->len += len;
		ooo_account(c, len);
		c->ooo_last = (uint8_t)i;
		return;
	}
	if (c->n_ooo == TCP_OOO_MAX) {
		s->cnt.drop_tcp_ooo_limit++;
		tcp_mbuf_free(s, m);
		return;
	}
	memmove(&c->ooo[i + 1], &c->ooo[i], (c->n_ooo - i) * sizeof(c->ooo[0]));
	c->ooo[i].seq = seq;
	c->ooo[i].len = len;
	c->ooo[i].head = m;
	c->ooo[i].tail = rte_pktmbuf_lastseg(m);
	c->n_ooo++;
	c->ooo_last = (uint8_t)i;
	ooo_account(c, len);
}

/* Deliver in-order bytes; returns false if the connection died. */
static bool
deliver(struct tcp_conn *c, struct rte_mbuf *m, uint32_t len)
{
	c->rcv_nxt += len;
	if ((c->flags & (TCPF_USER_CLOSED | TCPF_PEER_FIN)) || c->cb == NULL ||
	    !(c->flags & TCPF_APP_KNOWS)) {
		tcp_mbuf_free(c->stack, m);
		return true;
	}
	c->rcv_held += len;
	c->cb->recv(c, c->ctx, m, len);
	return !(c->flags & TCPF_DEAD);
}

static bool
ooo_pull(struct tcp_conn *c)
{
	while (c->n_ooo && SEQ_LEQ(c->ooo[0].seq, c->rcv_nxt)) {
		struct tcp_ooo b = c->ooo[0];
		uint32_t bend = b.seq + b.len;

		ooo_remove(c, 0);
		ooo_account(c, -(int64_t)b.len);
		if (SEQ_LEQ(bend, c->rcv_nxt)) {
			tcp_mbuf_free(c->stack, b.head);
			continue;
		}
		b.head = tcp_mbuf_adj(c->stack, b.head, c->rcv_nxt - b.seq);
		if (!deliver(c, b.head, bend - c->rcv_nxt))
			return false;
	}
	if (c->ooo_last >= c->n_ooo)
		c->ooo_last = 0;
	return true;
}

/* ----------------------------------------------------------- ACK part */

/* Returns false when the segment must not be processed further. */
static bool
ack_input(struct tcp_conn *c, const struct seg *sg)
{
	struct tcp_stack *s = c->stack;
	uint32_t mss = c->mss - ((c->flags & TCPF_TS_OK) ? 12 : 0);
	uint32_t sacked_before;

	if (SEQ_GT(sg->ack, c->snd_max)) {
		/* ACK for data never sent: ACK back and drop (RFC 9293) */
		s->cnt.drop_tcp_old_ack++;
		c->flags |= TCPF_ACK_NOW;
		tcp_conn_mark_pending(c);
		return false;
	}
	if (SEQ_LT(sg->ack, c->snd_una - c->max_snd_wnd)) {
		/* RFC 5961 §5.2: too old */
		s->cnt.drop_tcp_old_ack++;
		challenge_ack(c);
		return false;
	}
	sacked_before = c->sacked_bytes;
	for (unsigned i = 0; i < sg->n_sack && (c->flags & TCPF_SACK_OK); i++)
		sack_add(c, sg->sack[i].start, sg->sack[i].end);
	if (sg->n_sack)
		sack_recount(c);

	if (SEQ_GT(sg->ack, c->snd_una)) {
		uint32_t acked = sg->ack - c->snd_una, data = acked;
		bool fin_acked = false;

		if ((c->flags & TCPF_FIN_SENT) &&
		    sg->ack == c->snd_una + c->sq_len + 1) {
			fin_acked = true;
			data = acked - 1;
		}
		if (c->flags & TCPF_RTO_UNDO) {
			c->flags &= ~TCPF_RTO_UNDO;
			if (sg->has_ts && SEQ_LT(sg->tsecr, c->rto_tsval)) {
				/* RFC 4015 response: resume where we were */
				s->cnt.tcp_spurious_rto++;
				c->cwnd = c->undo_cwnd;
				c->ssthresh = c->undo_ssthresh;
				c->snd_nxt = c->snd_max;
				/* RFC 4015 §4: the timer was too tight (queueing
				 * or scheduling delay grew faster than RTTVAR):
				 * restart the estimator from this ACK's sample,
				 * the original's round trip, so RTO = 3 x RTT */
				c->srtt_us = 0;
			}
		}
		rtt_from_ack(c, sg);
		tcp_sq_free_acked(c, data);
		c->snd_una = sg->ack;
		if (SEQ_LT(c->snd_nxt, c->snd_una))
			c->snd_nxt = c->snd_una;
		sack_prune(c);
		if (c->flags & TCPF_IN_RECOVERY) {
			if (SEQ_GEQ(sg->ack, c->recover)) {
				uint32_t flight = c->snd_max - c->snd_una;

				c->flags &= ~TCPF_IN_RECOVERY;
				/* RFC 6582 §3.2 (3) option 1 */
				c->cwnd = u32_min(c->ssthresh,
						  u32_max(flight, mss) + mss);
				if (s->cc->on_recovery_end)
					s->cc->on_recovery_end(c);
			} else if (!(c->flags & TCPF_SACK_OK) || !c->n_sacked) {
				/* partial ACK: retransmit the next hole */
				c->rexmit_nxt = c->snd_una;
			}
		} else {
			s->cc->on_ack(c, acked);
		}
		c->dupacks = 0;
		c->retries = 0;
		c->backoff = 0;
		c->flags &= ~(TCPF_PERSIST | TCPF_TLP | TCPF_TLP_SENT);
		/* re-armed by tcp_output() (probe or RTO) at the batch end */
		c->t_rexmit = 0;
		if (fin_acked) {
			c->flags |= TCPF_SYN_ACKED;
			switch (c->state) {
			case TCP_FIN_WAIT_1:
				c->state = TCP_FIN_WAIT_2;
				if (c->flags & TCPF_USER_CLOSED)
					c->t_keep = s->now_ms + 2ull * s->p.msl_ms;
				break;
			case TCP_CLOSING:
				tcp_conn_set_state(c, TCP_TIME_WAIT);
				return false;
			case TCP_LAST_ACK:
				tcp_conn_drop(c, TCP_CLOSE_NORMAL);
				return false;
			default:
				break;
			}
		}
		if ((c->flags & TCPF_WRITABLE_WAIT) && tcp_send_space(c) &&
		    !(c->flags & TCPF_USER_CLOSED) && c->cb && c->cb->writable) {
			c->flags &= ~TCPF_WRITABLE_WAIT;
			c->cb->writable(c, c->ctx, tcp_send_space(c));
			if (c->flags & TCPF_DEAD)
				return false;
		}
		tcp_conn_mark_pending(c);
	} else if (sg->ack == c->snd_una && sg->len == 0 &&
		   !(sg->flags & (TH_SYN | TH_FIN)) &&
		   (sg->win << c->snd_wscale) == c->snd_wnd &&
		   c->snd_max != c->snd_una &&
		   /* RFC 6675: with SACK a duplicate ACK must SACK new data
		    * (a D-SACK for our own duplicate is not a loss signal) */
		   (!(c->flags & TCPF_SACK_OK) || c->sacked_bytes > sacked_before)) {
		/* duplicate ACK (RFC 5681 §2) */
		s->cnt.tcp_dup_acks_rx++;
		c->dupacks++;
		if (!(c->flags & TCPF_IN_RECOVERY) &&
		    (c->dupacks == 3 ||
		     ((c->flags & TCPF_SACK_OK) && c->sacked_bytes >= 3 * mss)) &&
		    SEQ_GT(c->snd_una, c->recover - 1) ) {
			c->ssthresh = s->cc->ssthresh(c);
			c->cwnd = c->ssthresh;
			c->recover = c->snd_max;
			c->rexmit_nxt = c->snd_una;
			c->flags |= TCPF_IN_RECOVERY;
			c->flags &= ~TCPF_RTT_TIMING;
			s->cnt.tcp_fast_retransmits++;
		}
		tcp_conn_mark_pending(c);
	}
	/* window update (RFC 9293 §3.10.7.4) */
	if (SEQ_LT(c->snd_wl1, sg->seq) ||
	    (c->snd_wl1 == sg->seq && SEQ_LEQ(c->snd_wl2, sg->ack))) {
		uint32_t w = sg->win << c->snd_wscale;

		if (w > c->snd_wnd)
			tcp_conn_mark_pending(c);
		c->snd_wnd = w;
		c->snd_wl1 = sg->seq;
		c->snd_wl2 = sg->ack;
		if (w > c->max_snd_wnd)
			c->max_snd_wnd = w;
	}
	return true;
}

/* ----------------------------------------------------------- data part */

/*
 * ACK policy for in-order data of len bytes just delivered (RFC 9293
 * §3.8.6.3, RFC 5681 §4.2). An ACK is due — sent at the end of the input
 * burst, so several reasons in one burst cost one ACK — when
 *   - two segments are unacknowledged (every second full-sized segment, and
 *     never the last of a burst held back when two or more are owed);
 *   - the segment closes a hole or holes remain (the caller checks those);
 *   - it carries PSH: the sender has nothing more queued right now and may
 *     be waiting for this ACK to send again (or to close);
 *   - quick-ACK mode: a full-sized segment while the peer's congestion
 *     window is still growing (start of the connection, after a hole);
 *   - the peer can no longer send two full segments into what we advertised
 *     although the application has freed room: a window update is due.
 * Otherwise the ACK waits for the delayed-ACK timer (one lone segment).
 */
static bool
ack_due(struct tcp_conn *c, const struct seg *sg, uint32_t len)
{
	uint32_t full = c->rcv_mss - ((c->flags & TCPF_TS_OK) ? 12 : 0);
	uint32_t left, right;

	c->segs_unacked++;
	if (c->n_ooo || c->segs_unacked >= 2 || (sg->flags & TH_PSH))
		return true;
	if (len >= full && c->quickack) {
		c->quickack--;
		return true;
	}
	/* the update must open min(MSS, buffer / 2) (RFC 9293 §3.8.6.2.2) */
	left = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (left < 2u * c->rcv_mss) {
		right = c->rcv_nxt + tcp_rcv_window(c);
		if (SEQ_GEQ(right, c->rcv_adv + u32_min(c->rcv_mss,
							 c->stack->p.rcvbuf / 2)))
			return true;
	}
	return false;
}

static void
data_input(struct tcp_conn *c, const struct seg *sg, struct rte_mbuf *m)
{
	struct tcp_stack *s = c->stack;
	uint32_t seq = sg->seq, len = sg->len, right = c->rcv_adv;
	bool fin = sg->flags & TH_FIN;

	if (len && (c->flags & TCPF_USER_CLOSED)) {
		/* data for a closed socket: reset (RFC 9293 §3.10.7.4) */
		tcp_mbuf_free(s, m);
		tcp_abort(c);
		return;
	}
	if (len && c->state != TCP_ESTABLISHED && c->state != TCP_FIN_WAIT_1 &&
	    c->state != TCP_FIN_WAIT_2) {
		/* data after the peer's FIN */
		s->cnt.drop_tcp_state++;
		tcp_mbuf_free(s, m);
		m = NULL;
		len = 0;
		fin = false;
	}
	if (len && (s->pool_dry || (s->pool_tight && seq != c->rcv_nxt))) {
		/* mbuf budget: hold no out-of-order data while the pool is
		 * low, and nothing at all in its last reserve; the peer
		 * retransmits, the ACK says what we have */
		s->cnt.drop_tcp_pool_reserve++;
		tcp_mbuf_free(s, m);
		m = NULL;
		len = 0;
		fin = false;
		c->flags |= TCPF_ACK_NOW;
		tcp_conn_mark_pending(c);
	}
	if (len && SEQ_LT(seq, c->rcv_nxt)) {
		uint32_t cut = c->rcv_nxt - seq;

		m = tcp_mbuf_adj(s, m, cut);
		seq = c->rcv_nxt;
		len -= cut;
	}
	if (len && SEQ_GT(seq + len, right)) {
		uint32_t keep = SEQ_GT(right, seq) ? right - seq : 0;

		fin = false;
		if (keep == 0) {
			tcp_mbuf_free(s, m);
			m = NULL;
		} else {
			tcp_mbuf_trim_to(s, m, keep);
		}
		len = keep;
	}
	if (len) {
		if (seq == c->rcv_nxt) {
			bool had_ooo = c->n_ooo != 0;

			if (!deliver(c, m, len))
				return;
			if (had_ooo && !ooo_pull(c))
				return;
			if (had_ooo)
				c->quickack = TCP_QUICKACKS;
			if (ack_due(c, sg, len)) {
				c->flags |= TCPF_ACK_NOW;
			} else {
				c->flags |= TCPF_DELACK;
				if (c->t_delack == 0)
					c->t_delack = s->now_ms + s->p.delack_ms;
			}
		} else {
			ooo_insert(c, seq, m);
			if (fin && !(c->flags & TCPF_PEER_FIN)) {
				/* remember the FIN until the hole fills */
				c->flags |= TCPF_FIN_OOO;
				c->fin_seq = seq + len;
			}
			fin = false;
			c->flags |= TCPF_ACK_NOW; /* dup ACK with SACK */
		}
		tcp_conn_mark_pending(c);
	} else if (m) {
		tcp_mbuf_free(s, m);
	}
	if (!fin && (c->flags & TCPF_FIN_OOO) && c->fin_seq == c->rcv_nxt) {
		fin = true;
		seq = c->rcv_nxt;
		len = 0;
	}
	if (fin && seq + len == c->rcv_nxt && !(c->flags & TCPF_PEER_FIN)) {
		c->flags &= ~TCPF_FIN_OOO;
		c->rcv_nxt++;
		c->flags |= TCPF_PEER_FIN | TCPF_ACK_NOW;
		tcp_conn_mark_pending(c);
		tcp_ooo_free(c);
		switch (c->state) {
		case TCP_ESTABLISHED:
			c->state = TCP_CLOSE_WAIT;
			break;
		case TCP_FIN_WAIT_1:
			c->state = TCP_CLOSING;
			break;
		default:
			break;
		}
		/* peer_fin() always comes before closed() */
		if ((c->flags & TCPF_APP_KNOWS) && !(c->flags & TCPF_USER_CLOSED) &&
		    c->cb && c->cb->peer_fin) {
			c->cb->peer_fin(c, c->ctx);
			if (c->flags & TCPF_DEAD)
				return;
		}
		if (c->state == TCP_FIN_WAIT_2) {
			tcp_send_ack(c);
			tcp_conn_set_state(c, TCP_TIME_WAIT);
		}
	} else if ((sg->flags & TH_FIN) && (c->flags & TCPF_PEER_FIN)) {
		c->flags |= TCPF_ACK_NOW; /* retransmitted FIN */
		tcp_conn_mark_pending(c);
	}
}

/* ------------------------------------------------------ passive opens */

static void
syn_input(struct tcp_stack *s, unsigned iface, const struct tcp_listener *l,
	  const struct seg *sg)
{
	bool cookie;
	struct tcp_conn *c;

	s->cnt.tcp_syn_rx++;
	if ((uint32_t)tcp_src_count(s, sg->rip, 0) >= s->p.max_per_source) {
		s->cnt.drop_syn_per_source++;
		return;
	}
	cookie = s->p.syn_cookies == TCP_SYN_COOKIES_ALWAYS ||
		 (s->p.syn_cookies == TCP_SYN_COOKIES_AUTO &&
		  (s->n_backlog >= s->p.syn_backlog || s->free_conns == NULL));
	if (!cookie && s->n_backlog >= s->p.syn_backlog) {
		s->cnt.drop_syn_backlog++;
		return;
	}
	if (cookie) {
		uint8_t opts[40], *p = opts;
		uint16_t mss_in = sg->mss ? sg->mss : TCP_DEFAULT_MSS, mss;
		uint32_t isn;
		uint8_t ws = 0;

		mss_in = u32_min(mss_in, s->ifaces[iface].mss);
		isn = tcp_cookie_make(s, sg->lip, sg->lport, sg->rip, sg->rport,
				      sg->seq, mss_in, &mss);
		*p++ = 2;
		*p++ = 4;
		*p++ = s->ifaces[iface].mss >> 8;
		*p++ = (uint8_t)s->ifaces[iface].mss;
		if (sg->has_ts) {
			/* wscale and SACK survive only through TSecr */
			struct tcp_conn tmp;
			uint32_t tsv;

			memset(&tmp, 0, sizeof(tmp));
			tmp.stack = s;
			for (ws = 0; ws < 14 && (s->p.rcvbuf >> ws) > 65535; ws++)
				;
			if (sg->wscale >= 0) {
				*p++ = 1;
				*p++ = 3;
				*p++ = 3;
				*p++ = ws;
			}
			if (sg->sack_perm) {
				*p++ = 1;
				*p++ = 1;
				*p++ = 4;
				*p++ = 2;
			}
			{
				struct {
					uint32_t rip, lip;
					uint16_t rport, lport;
					uint32_t tag;
				} tk = { sg->rip, sg->lip, sg->rport, sg->lport,
					 0x74737473 };

				tmp.ts_offset = (uint32_t)tcp_siphash(s->key, &tk,
								      sizeof(tk));
			}
			tsv = tcp_cookie_tsval(tcp_ts_now(&tmp),
					       sg->wscale >= 0 ? (uint8_t)sg->wscale : 0xf,
					       sg->sack_perm);
			*p++ = 1;
			*p++ = 1;
			*p++ = 8;
			*p++ = 10;
			*p++ = tsv >> 24;
			*p++ = (uint8_t)(tsv >> 16);
			*p++ = (uint8_t)(tsv >> 8);
			*p++ = (uint8_t)tsv;
			*p++ = sg->tsval >> 24;
			*p++ = (uint8_t)(sg->tsval >> 16);
			*p++ = (uint8_t)(sg->tsval >> 8);
			*p++ = (uint8_t)sg->tsval;
		}
		tcp_send_raw(s, iface, sg->lip, sg->lport, sg->rip, sg->rport,
			     isn, sg->seq + 1, TH_SYN | TH_ACK,
			     (uint16_t)u32_min(s->p.rcvbuf, 65535u), opts,
			     (uint8_t)(p - opts));
		s->cnt.syncookies_sent++;
		s->cookie_mode_ms = s->now_ms;
		return;
	}
	c = tcp_conn_alloc(s, iface, sg->lip, sg->lport, sg->rip, sg->rport);
	if (c == NULL) {
		s->cnt.drop_syn_no_conn++;
		return;
	}
	c->state = TCP_SYN_RCVD;
	c->flags |= TCPF_PASSIVE | TCPF_BACKLOG | TCPF_SRC_COUNTED;
	s->n_backlog++;
	tcp_src_count(s, sg->rip, 1);
	c->cb = l->cb;
	c->ctx = l->ctx;
	c->irs = sg->seq;
	c->rcv_nxt = sg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	apply_syn_opts(c, sg);
	c->iss = tcp_isn(s, sg->lip, sg->lport, sg->rip, sg->rport);
	c->snd_una = c->snd_nxt = c->snd_max = c->iss;
	c->recover = c->iss;
	c->snd_wnd = sg->win;
	c->snd_wl1 = sg->seq;
	c->snd_wl2 = c->iss;
	c->max_snd_wnd = sg->win;
	tcp_send_syn(c);
	c->t_rexmit = s->now_ms + c->rto_us / 1000;
	tcp_timer_update(c);
}

/* Accept a completed handshake; false if the application refused. */
static bool
accept_conn(struct tcp_conn *c, const struct tcp_listener *l)
{
	struct tcp_stack *s = c->stack;
	int rc = 0;

	if (c->flags & TCPF_BACKLOG) {
		c->flags &= ~TCPF_BACKLOG;
		s->n_backlog--;
	}
	conn_established(c);
	c->flags |= TCPF_APP_KNOWS;
	s->cnt.tcp_accepted++;
	if (c->cb && c->cb->accepted)
		rc = c->cb->accepted(c, l ? l->ctx : c->ctx);
	if (c->flags & TCPF_DEAD)
		return false;
	if (rc < 0) {
		c->flags &= ~TCPF_APP_KNOWS;
		s->cnt.tcp_accepted--;
		tcp_abort(c);
		return false;
	}
	return true;
}

static bool
cookie_ack(struct tcp_stack *s, unsigned iface, const struct tcp_listener *l,
	   const struct seg *sg, struct tcp_conn **out)
{
	uint16_t mss;
	struct tcp_conn *c;
	struct seg syn;

	if (tcp_cookie_check(s, sg->lip, sg->lport, sg->rip, sg->rport,
			     sg->seq - 1, sg->ack - 1, &mss) != 0) {
		s->cnt.syncookies_failed++;
		return false;
	}
	if ((uint32_t)tcp_src_count(s, sg->rip, 0) >= s->p.max_per_source) {
		s->cnt.drop_syn_per_source++;
		return false;
	}
	c = tcp_conn_alloc(s, iface, sg->lip, sg->lport, sg->rip, sg->rport);
	if (c == NULL) {
		s->cnt.drop_syn_no_conn++;
		return false;
	}
	s->cnt.syncookies_ok++;
	memset(&syn, 0, sizeof(syn));
	syn.flags = TH_SYN;
	syn.mss = mss;
	syn.wscale = -1;
	if (sg->has_ts) {
		uint8_t ws;
		bool sack;

		tcp_cookie_ts_decode(sg->tsecr, &ws, &sack);
		syn.wscale = ws == 0xf ? -1 : (int8_t)ws;
		syn.sack_perm = sack;
		syn.has_ts = true;
		syn.tsval = sg->tsval;
	}
	c->flags |= TCPF_PASSIVE | TCPF_SRC_COUNTED;
	tcp_src_count(s, sg->rip, 1);
	c->cb = l->cb;
	c->ctx = l->ctx;
	c->irs = sg->seq - 1;
	c->rcv_nxt = sg->seq;
	c->rcv_adv = c->rcv_nxt + u32_min(s->p.rcvbuf, 65535u);
	apply_syn_opts(c, &syn);
	c->iss = sg->ack - 1;
	c->snd_una = c->snd_nxt = c->snd_max = sg->ack;
	c->recover = c->iss;
	c->snd_wl1 = sg->seq - 1;
	c->snd_wl2 = c->iss;
	*out = c;
	return true;
}

/* --------------------------------------------------------- TIME_WAIT */

/* Returns true when the SYN may reuse the tuple (RFC 6191). */
static bool
timewait_input(struct tcp_conn *c, const struct seg *sg)
{
	struct tcp_stack *s = c->stack;

	s->cnt.drop_tcp_state++;
	if (sg->flags & TH_RST)
		return false; /* RFC 1337 */
	if ((sg->flags & (TH_SYN | TH_ACK)) == TH_SYN) {
		bool ok = (c->flags & TCPF_TS_OK) && sg->has_ts ?
			SEQ_GT(sg->tsval, c->ts_recent) :
			SEQ_GT(sg->seq, c->rcv_nxt);

		if (ok) {
			s->cnt.drop_tcp_state--; /* not a drop after all */
			s->cnt.tcp_timewait_reused++;
			tcp_conn_drop(c, TCP_CLOSE_NORMAL);
			return true;
		}
	}
	if (sg->flags & TH_FIN) /* peer lost our ACK: restart 2MSL */
		c->t_keep = s->now_ms + 2ull * s->p.msl_ms;
	tcp_send_ack(c);
	tcp_timer_update(c);
	return false;
}

/* ------------------------------------------------------------- states */

static void
syn_sent_input(struct tcp_conn *c, const struct seg *sg, struct rte_mbuf *m)
{
	struct tcp_stack *s = c->stack;
	bool ack_ok = false;

	if (sg->flags & TH_ACK) {
		if (SEQ_LEQ(sg->ack, c->iss) || SEQ_GT(sg->ack, c->snd_max)) {
			if (!(sg->flags & TH_RST))
				send_rst_for(s, c->iface, sg);
			s->cnt.drop_tcp_old_ack++;
			tcp_mbuf_free(s, m);
			return;
		}
		ack_ok = true;
	}
	if (sg->flags & TH_RST) {
		tcp_mbuf_free(s, m);
		if (ack_ok) {
			s->cnt.tcp_rst_rx++;
			tcp_conn_drop(c, TCP_CLOSE_REFUSED);
		} else {
			s->cnt.drop_tcp_state++;
		}
		return;
	}
	if (!(sg->flags & TH_SYN)) {
		s->cnt.drop_tcp_bad_flags++;
		tcp_mbuf_free(s, m);
		return;
	}
	c->irs = sg->seq;
	c->rcv_nxt = sg->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	apply_syn_opts(c, sg);
	c->snd_wnd = sg->win; /* never scaled in a SYN */
	c->snd_wl1 = sg->seq;
	c->snd_wl2 = sg->ack;
	c->max_snd_wnd = c->snd_wnd;
	if (!ack_ok) {
		/* simultaneous open */
		c->state = TCP_SYN_RCVD;
		tcp_send_syn(c);
		tcp_mbuf_free(s, m);
		return;
	}
	rtt_from_ack(c, sg);
	if (c->srtt_us == 0 && c->retries == 0)
		rtt_sample(c, (uint32_t)(s->now_us -
			   (s->now_us > c->rtt_start_us ? c->rtt_start_us : s->now_us)));
	c->snd_una = sg->ack;
	c->t_rexmit = 0;
	conn_established(c);
	s->cnt.tcp_connected++;
	c->flags |= TCPF_ACK_NOW;
	tcp_conn_mark_pending(c);
	if (c->cb && c->cb->connected)
		c->cb->connected(c, c->ctx);
	if (c->flags & TCPF_DEAD) {
		tcp_mbuf_free(s, m);
		return;
	}
	if (sg->len) {
		struct seg d = *sg;

		d.seq = sg->seq + 1;
		d.flags &= ~TH_SYN;
		data_input(c, &d, m);
	} else {
		tcp_mbuf_free(s, m);
	}
	tcp_timer_update(c);
}

static void
conn_input(struct tcp_conn *c, const struct seg *sg, struct rte_mbuf *m)
{
	struct tcp_stack *s = c->stack;
	uint32_t wnd, slen = sg->len;
	bool acceptable;

	c->last_rx_ms = s->now_ms;
	c->keep_probes = 0;
	if (c->state == TCP_SYN_SENT) {
		syn_sent_input(c, sg, m);
		return;
	}
	/* retransmitted SYN while we wait for the handshake's ACK */
	if (c->state == TCP_SYN_RCVD && (sg->flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN &&
	    sg->seq == c->irs) {
		tcp_send_syn(c);
		tcp_mbuf_free(s, m);
		return;
	}
	/* PAWS (RFC 7323 §5) */
	if ((c->flags & TCPF_TS_OK) && sg->has_ts && !(sg->flags & TH_RST) &&
	    SEQ_LT(sg->tsval, c->ts_recent) &&
	    s->now_ms - c->ts_recent_ms < 24ull * 86400 * 1000) {
		s->cnt.drop_tcp_paws++;
		c->flags |= TCPF_ACK_NOW;
		tcp_conn_mark_pending(c);
		tcp_mbuf_free(s, m);
		return;
	}
	/* acceptability (RFC 9293 §3.10.7.4) */
	wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (slen == 0)
		acceptable = wnd == 0 ? sg->seq == c->rcv_nxt :
			(SEQ_GEQ(sg->seq, c->rcv_nxt) &&
			 SEQ_LT(sg->seq, c->rcv_nxt + wnd));
	else
		acceptable = wnd != 0 &&
			((SEQ_GEQ(sg->seq, c->rcv_nxt) &&
			  SEQ_LT(sg->seq, c->rcv_nxt + wnd)) ||
			 (SEQ_GEQ(sg->seq + slen - 1, c->rcv_nxt) &&
			  SEQ_LT(sg->seq + slen - 1, c->rcv_nxt + wnd)));
	/* a FIN at rcv_nxt is always acceptable, even with a zero window */
	if (!acceptable && slen == 0 && sg->seq == c->rcv_nxt)
		acceptable = true;
	if (!acceptable) {
		s->cnt.drop_tcp_out_of_window++;
		tcp_mbuf_free(s, m);
		if (sg->flags & TH_RST)
			return;
		c->flags |= TCPF_ACK_NOW;
		tcp_conn_mark_pending(c);
		/* An old duplicate still carries a current ACK (as 4.4BSD
		 * keeps processing it): without this, a peer that went back
		 * to snd_una after an RTO could never learn what we hold. */
		/* RFC 9293 §3.10.7.4: with a zero window "special allowance
		 * should be made to accept valid ACKs": a pure ACK is
		 * processed then (the ACK value still passes ack_input()'s
		 * RFC 5961 range checks), and otherwise one up to the right
		 * edge we advertised. */
		struct seg a = *sg;

		/* its sequence number must not enter snd_wl1 (the window
		 * update check) from beyond what we received */
		if (SEQ_GT(a.seq, c->rcv_nxt))
			a.seq = c->rcv_nxt;
		if ((sg->flags & (TH_ACK | TH_SYN)) == TH_ACK &&
		    c->state != TCP_SYN_RCVD &&
		    (SEQ_LEQ(sg->seq + slen, c->rcv_nxt) ||
		     (slen == 0 && (wnd == 0 || SEQ_LEQ(sg->seq, c->rcv_adv)))) &&
		    ack_input(c, &a) && !(c->flags & TCPF_DEAD))
			tcp_timer_update(c);
		return;
	}
	/* RST (RFC 5961 §3.2) */
	if (sg->flags & TH_RST) {
		tcp_mbuf_free(s, m);
		if (sg->seq == c->rcv_nxt) {
			s->cnt.tcp_rst_rx++;
			tcp_conn_drop(c, TCP_CLOSE_RESET);
		} else {
			challenge_ack(c);
		}
		return;
	}
	/* SYN in a synchronized state (RFC 5961 §4.2) */
	if (sg->flags & TH_SYN) {
		s->cnt.drop_tcp_bad_flags++;
		challenge_ack(c);
		tcp_mbuf_free(s, m);
		return;
	}
	if (!(sg->flags & TH_ACK)) {
		s->cnt.drop_tcp_bad_flags++;
		tcp_mbuf_free(s, m);
		return;
	}
	if (c->state == TCP_SYN_RCVD) {
		if (!SEQ_GT(sg->ack, c->snd_una) || SEQ_GT(sg->ack, c->snd_max)) {
			send_rst_for(s, c->iface, sg);
			tcp_mbuf_free(s, m);
			return;
		}
		c->snd_wnd = sg->win << c->snd_wscale;
		c->snd_wl1 = sg->seq;
		c->snd_wl2 = sg->ack;
		c->max_snd_wnd = c->snd_wnd;
		rtt_from_ack(c, sg);
		c->snd_una = sg->ack;
		c->t_rexmit = 0;
		if (!(c->flags & TCPF_PASSIVE)) {
			/* simultaneous open completes an active open */
			conn_established(c);
			s->cnt.tcp_connected++;
			if (c->cb && c->cb->connected)
				c->cb->connected(c, c->ctx);
			if (c->flags & TCPF_DEAD) {
				tcp_mbuf_free(s, m);
				return;
			}
		} else if (!accept_conn(c, tcp_listener_find(s, c->lip, c->lport))) {
			tcp_mbuf_free(s, m);
			return;
		}
	}
	/* RFC 5961 §5.2 and RFC 9293 ACK processing */
	if (!ack_input(c, sg)) {
		tcp_mbuf_free(s, m);
		return;
	}
	/* RFC 7323 §4.3: ts_recent from the segment covering last_ack_sent */
	if (sg->has_ts && (c->flags & TCPF_TS_OK) &&
	    SEQ_LEQ(sg->seq, c->last_ack_sent)) {
		c->ts_recent = sg->tsval;
		c->ts_recent_ms = s->now_ms;
	}
	data_input(c, sg, m);
	if (!(c->flags & TCPF_DEAD))
		tcp_timer_update(c);
}

/* -------------------------------------------------------------- entry */

#define TCP_DROP(ctr)                  \
	do {                           \
		s->cnt.ctr++;          \
		tcp_mbuf_free(s, m);   \
		return;                \
	} while (0)

void
tcp_input(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip =
		rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
	uint32_t off = m->l2_len + m->l3_len, thl;
	const struct rte_tcp_hdr *th;
	const struct tcp_listener *l;
	struct tcp_conn *c;
	uint64_t ck;
	struct seg sg;

	s->cnt.tcp_rx++;
	if (m->pkt_len < off + sizeof(*th) ||
	    rte_pktmbuf_data_len(m) < off + sizeof(*th))
		TCP_DROP(drop_tcp_short);
	th = rte_pktmbuf_mtod_offset(m, const struct rte_tcp_hdr *, off);
	thl = (th->data_off >> 4) * 4u;
	if (thl < sizeof(*th) || m->pkt_len < off + thl ||
	    rte_pktmbuf_data_len(m) < off + thl)
		TCP_DROP(drop_tcp_hdrlen);
	ck = m->ol_flags & RTE_MBUF_F_RX_L4_CKSUM_MASK;
	if (ck == RTE_MBUF_F_RX_L4_CKSUM_BAD)
		TCP_DROP(drop_tcp_cksum);
	if (ck != RTE_MBUF_F_RX_L4_CKSUM_GOOD &&
	    tcp_cksum_l4_verify(m, ip, off) != 0)
		TCP_DROP(drop_tcp_cksum);

	memset(&sg, 0, sizeof(sg));
	sg.wscale = -1;
	sg.lip = rte_be_to_cpu_32(ip->dst_addr);
	sg.rip = rte_be_to_cpu_32(ip->src_addr);
	sg.lport = rte_be_to_cpu_16(th->dst_port);
	sg.rport = rte_be_to_cpu_16(th->src_port);
	sg.seq = rte_be_to_cpu_32(th->sent_seq);
	sg.ack = rte_be_to_cpu_32(th->recv_ack);
	sg.win = rte_be_to_cpu_16(th->rx_win);
	sg.flags = th->tcp_flags & 0x3f;
	sg.len = m->pkt_len - off - thl;
	if (thl > sizeof(*th))
		parse_opts(&sg, (const uint8_t *)(th + 1), thl - sizeof(*th));
	if ((sg.flags & (TH_SYN | TH_FIN)) == (TH_SYN | TH_FIN) ||
	    (sg.flags & (TH_SYN | TH_RST)) == (TH_SYN | TH_RST) ||
	    sg.rport == 0 || sg.lport == 0)
		TCP_DROP(drop_tcp_bad_flags);

	/* strip the headers: from here on m is payload only (or NULL) */
	m = tcp_mbuf_adj(s, m, off + thl);

	c = tcp_conn_lookup(s, sg.lip, sg.lport, sg.rip, sg.rport);
	if (c && c->state == TCP_TIME_WAIT) {
		if (!timewait_input(c, &sg)) {
			tcp_mbuf_free(s, m);
			return;
		}
		c = NULL; /* reuse: fall through to the listener */
	}
	if (c) {
		conn_input(c, &sg, m);
		return;
	}
	l = tcp_listener_find(s, sg.lip, sg.lport);
	if (l && (sg.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		tcp_mbuf_free(s, m);
		syn_input(s, iface, l, &sg);
		return;
	}
	if (l && (sg.flags & (TH_SYN | TH_ACK | TH_RST)) == TH_ACK &&
	    s->p.syn_cookies != TCP_SYN_COOKIES_NEVER) {
		if (cookie_ack(s, iface, l, &sg, &c)) {
			if (!accept_conn(c, l)) {
				tcp_mbuf_free(s, m);
				return;
			}
			c->snd_wnd = sg.win << c->snd_wscale;
			c->max_snd_wnd = c->snd_wnd;
			c->snd_wl1 = sg.seq;
			c->snd_wl2 = sg.ack;
			if (sg.len || (sg.flags & TH_FIN))
				data_input(c, &sg, m);
			else
				tcp_mbuf_free(s, m);
			if (!(c->flags & TCPF_DEAD))
				tcp_timer_update(c);
			return;
		}
	}
	if (l == NULL && (sg.flags & TH_SYN))
		s->cnt.drop_syn_no_listener++;
	else
		s->cnt.drop_tcp_no_conn++;
	tcp_mbuf_free(s, m);
	send_rst_for(s, iface, &sg);
}
