/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_cc.c — congestion controllers behind struct tcp_cc_ops: NewReno
 * (RFC 5681 with RFC 3465 byte counting, L = TCP_ABC_SEGS; recovery itself lives
 * in tcp_input.c/tcp_output.c per RFC 6582/6675) and CUBIC (RFC 8312:
 * cubic window growth with the Reno-friendly region, beta 0.7, fast
 * convergence). Windows are in bytes; time comes from the stack clock.
 */
#include <math.h>

#include "tcpstack/tcp_priv.h"

/* Slow start credits up to this many segments per ACK. RFC 3465's L = 2
 * SMSS assumes an ACK every other segment; receivers that coalesce a whole
 * input burst into one ACK (this stack, GRO/LRO on Linux) send stretch ACKs
 * of up to a burst, and L = 2 would then grow cwnd by 2 segments per burst
 * instead of doubling it per round trip (Linux credits every acked segment). */
#define TCP_ABC_SEGS 32

static uint32_t
cc_smss(const struct tcp_conn *c)
{
	return c->mss - ((c->flags & TCPF_TS_OK) ? 12 : 0);
}

static void
initial_window(struct tcp_conn *c)
{
	uint32_t mss = cc_smss(c);

	/* RFC 6928 IW10, bounded as RFC 6928 §2 */
	c->cwnd = u32_min(10 * mss, u32_max(2 * mss, 14600u));
	c->ssthresh = 0x7fffffff;
}

static uint32_t
flight_half(const struct tcp_conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;

	return u32_max(flight / 2, 2 * cc_smss(c));
}

/* ----------------------------------------------------------- NewReno */

static void
reno_init(struct tcp_conn *c)
{
	initial_window(c);
	c->cc.reno.acked_bytes = 0;
}

static void
reno_on_ack(struct tcp_conn *c, uint32_t acked)
{
	uint32_t mss = cc_smss(c);

	if (c->cwnd < c->ssthresh) {
		c->cwnd += u32_min(acked, TCP_ABC_SEGS * mss);
		return;
	}
	c->cc.reno.acked_bytes += acked;
	if (c->cc.reno.acked_bytes >= c->cwnd) {
		c->cc.reno.acked_bytes -= c->cwnd;
		c->cwnd += mss;
	}
}

static uint32_t
reno_ssthresh(struct tcp_conn *c)
{
	c->cc.reno.acked_bytes = 0;
	return flight_half(c);
}

const struct tcp_cc_ops tcp_cc_newreno = {
	.name = "newreno",
	.init = reno_init,
	.on_ack = reno_on_ack,
	.ssthresh = reno_ssthresh,
	.on_recovery_end = NULL,
};

/* ------------------------------------------------------------- CUBIC */

#define CUBIC_C    0.4
#define CUBIC_BETA 0.7

static void
cubic_init(struct tcp_conn *c)
{
	initial_window(c);
	c->cc.cubic.epoch_ms = 0;
	c->cc.cubic.w_max = 0;
	c->cc.cubic.acked_bytes = 0;
}

static void
cubic_on_ack(struct tcp_conn *c, uint32_t acked)
{
	struct tcp_stack *s = c->stack;
	uint32_t mss = cc_smss(c);
	double t, w_cubic, target, w_est;

	if (c->cwnd < c->ssthresh) {
		c->cwnd += u32_min(acked, TCP_ABC_SEGS * mss);
		return;
	}
	if (c->cc.cubic.epoch_ms == 0) {
		c->cc.cubic.epoch_ms = s->now_ms ? s->now_ms : 1;
		if (c->cwnd < c->cc.cubic.w_max) {
			double k = cbrt((double)(c->cc.cubic.w_max - c->cwnd) /
					mss / CUBIC_C);

			c->cc.cubic.k_ms = (uint32_t)(k * 1000);
			c->cc.cubic.origin = c->cc.cubic.w_max;
		} else {
			c->cc.cubic.k_ms = 0;
			c->cc.cubic.origin = c->cwnd;
		}
		c->cc.cubic.tcp_cwnd = c->cwnd;
		c->cc.cubic.acked_bytes = 0;
	}
	t = (double)(s->now_ms - c->cc.cubic.epoch_ms + c->srtt_us / 1000) / 1000.0;
	t -= c->cc.cubic.k_ms / 1000.0;
	w_cubic = c->cc.cubic.origin + CUBIC_C * t * t * t * mss;
	/* Reno-friendly estimate (RFC 8312 §4.2), per byte acked */
	c->cc.cubic.acked_bytes += acked;
	w_est = c->cc.cubic.tcp_cwnd;
	if (c->cc.cubic.acked_bytes >= c->cc.cubic.tcp_cwnd) {
		c->cc.cubic.acked_bytes -= c->cc.cubic.tcp_cwnd;
		c->cc.cubic.tcp_cwnd += (uint32_t)(mss * 3.0 * (1 - CUBIC_BETA) /
						   (1 + CUBIC_BETA));
		w_est = c->cc.cubic.tcp_cwnd;
	}
	target = w_cubic > w_est ? w_cubic : w_est;
	if (target > 1.5 * c->cwnd)
		target = 1.5 * c->cwnd;
	if (target > c->cwnd) {
		double inc = (target - c->cwnd) * acked / c->cwnd;

		c->cwnd += inc < 1 ? 1 : (uint32_t)inc;
	}
}

static uint32_t
cubic_ssthresh(struct tcp_conn *c)
{
	uint32_t mss = cc_smss(c);

	/* fast convergence */
	if (c->cwnd < c->cc.cubic.w_max)
		c->cc.cubic.w_max = (uint32_t)(c->cwnd * (1 + CUBIC_BETA) / 2);
	else
		c->cc.cubic.w_max = c->cwnd;
	c->cc.cubic.epoch_ms = 0;
	return u32_max((uint32_t)(c->cwnd * CUBIC_BETA), 2 * mss);
}

const struct tcp_cc_ops tcp_cc_cubic = {
	.name = "cubic",
	.init = cubic_init,
	.on_ack = cubic_on_ack,
	.ssthresh = cubic_ssthresh,
	.on_recovery_end = NULL,
};
