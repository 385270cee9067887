/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_syncookie.c — SYN cookies: a stateless SYN-ACK whose ISN encodes a
 * coarse time counter (5 bits, 64 s steps), an MSS index (3 bits) and 24
 * bits of SipHash over the 4-tuple, the peer's ISN and the counter. When
 * the peer sends timestamps, its window scale and SACK-permitted are kept
 * in the low 5 bits of our TSval and come back in its TSecr.
 */
#include "tcpstack/tcp_priv.h"

static const uint16_t cookie_mss[8] = { 536, 1200, 1360, 1400, 1440, 1452,
					1460, 8960 };

#define COOKIE_SHIFT_MS 16 /* counter period: 65.5 s */
#define COOKIE_MAX_AGE  1  /* counters: a cookie lives 65..131 s */

static uint32_t
cookie_hash(struct tcp_stack *s, uint32_t lip, uint16_t lport, uint32_t rip,
	    uint16_t rport, uint32_t peer_isn, uint32_t counter)
{
	struct {
		uint32_t lip, rip;
		uint16_t lport, rport;
		uint32_t isn, counter, tag;
	} in = { lip, rip, lport, rport, peer_isn, counter, 0x636f6f6b };

	return (uint32_t)tcp_siphash(s->key, &in, sizeof(in)) & 0xffffff;
}

uint32_t
tcp_cookie_make(struct tcp_stack *s, uint32_t lip, uint16_t lport,
		uint32_t rip, uint16_t rport, uint32_t peer_isn, uint16_t mss,
		uint16_t *mss_used)
{
	uint32_t counter = (uint32_t)(s->now_ms >> COOKIE_SHIFT_MS);
	unsigned idx = 0;

	for (unsigned i = 0; i < RTE_DIM(cookie_mss); i++)
		if (cookie_mss[i] <= mss)
			idx = i;
	*mss_used = cookie_mss[idx];
	return ((counter & 0x1f) << 27) | (idx << 24) |
	       cookie_hash(s, lip, lport, rip, rport, peer_isn, counter);
}

int
tcp_cookie_check(struct tcp_stack *s, uint32_t lip, uint16_t lport,
		 uint32_t rip, uint16_t rport, uint32_t peer_isn,
		 uint32_t cookie, uint16_t *mss)
{
	uint32_t now = (uint32_t)(s->now_ms >> COOKIE_SHIFT_MS);
	uint32_t age = (now - (cookie >> 27)) & 0x1f;

	if (age > COOKIE_MAX_AGE)
		return -1;
	if (cookie_hash(s, lip, lport, rip, rport, peer_isn, now - age) !=
	    (cookie & 0xffffff))
		return -1;
	*mss = cookie_mss[(cookie >> 24) & 7];
	return 0;
}

uint32_t
tcp_cookie_tsval(uint32_t ts_now, uint8_t wscale, bool sack)
{
	uint32_t bits = (wscale & 0xf) | (sack ? 0x10 : 0);
	uint32_t v = (ts_now & ~0x1fu) | bits;

	/* Never ahead of the real clock (RFC 7323 monotonicity). */
	if ((int32_t)(v - ts_now) > 0)
		v -= 0x20;
	return v;
}

bool
tcp_cookie_ts_decode(uint32_t tsecr, uint8_t *wscale, bool *sack)
{
	*wscale = tsecr & 0xf;
	*sack = tsecr & 0x10;
	return true;
}
