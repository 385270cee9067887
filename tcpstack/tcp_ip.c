/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_ip.c — IPv4 and ICMP for a host (RFC 791, 792, 1122): header
 * validation with every drop counted, checksums through the port's offload
 * flags or in software, options skipped, fragments reassembled with
 * rte_ip_frag inside the table's limits, echo replies in place, and
 * rate-limited protocol/port unreachables. Output finishes the IPv4 and TCP
 * checksums of frames built by tcp_output.c and hands them to ARP.
 */
#include <string.h>

#include <rte_icmp.h>
#include <rte_udp.h>

#include "tcpstack/tcp_priv.h"

#define IP_DF 0x4000
#define ICMP_DEST_UNREACH  3
#define ICMP_PROTO_UNREACH 2
#define ICMP_PORT_UNREACH  3

static bool
is_our_ip(const struct tcp_stack *s, uint32_t ip)
{
	return tcp_iface_by_ip(s, ip) >= 0;
}

static bool
is_bcast_or_mcast(const struct tcp_stack *s, uint32_t ip)
{
	if (ip == 0xffffffffu || (ip >> 28) == 0xe || ip == 0)
		return true;
	for (unsigned i = 0; i < s->n_ifaces; i++) {
		const struct tcp_iface *ifc = &s->ifaces[i];

		if (ifc->mask != 0xffffffffu &&
		    (ip & ifc->mask) == (ifc->p.ipv4 & ifc->mask) &&
		    (ip | ifc->mask) == 0xffffffffu)
			return true;
	}
	return false;
}

/*
 * The one's complement sum of buf in native 16-bit order, as
 * __rte_raw_cksum(buf, len, 0) followed by its fold (a value in 0..0xffff
 * congruent to it mod 0xffff, 0 only for all-zero data). The checksum is
 * computed in software over every segment on memif and af_packet ports
 * (no offload), so: eight bytes per load (a 32-bit half of a word is
 * congruent to the sum of its two 16-bit words mod 0xffff), and 32 bytes
 * per step with AVX2 where the CPU has it (16-bit words added into 32-bit
 * lanes: no overflow below 2^16 steps, and len is at most 65535 here).
 * DPDK 22.11's loop adds one 16-bit word per step.
 */
static inline uint64_t
sum_words(const uint8_t *p, uint32_t len)
{
	uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0, a, b, c, d;

	for (; len >= 32; len -= 32, p += 32) {
		memcpy(&a, p, 8);
		memcpy(&b, p + 8, 8);
		memcpy(&c, p + 16, 8);
		memcpy(&d, p + 24, 8);
		s0 += (a & 0xffffffffu) + (a >> 32);
		s1 += (b & 0xffffffffu) + (b >> 32);
		s2 += (c & 0xffffffffu) + (c >> 32);
		s3 += (d & 0xffffffffu) + (d >> 32);
	}
	for (; len >= 8; len -= 8, p += 8) {
		memcpy(&a, p, 8);
		s0 += (a & 0xffffffffu) + (a >> 32);
	}
	if (len >= 4) {
		uint32_t v;

		memcpy(&v, p, 4);
		s1 += v;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v;

		memcpy(&v, p, 2);
		s2 += v;
		p += 2;
		len -= 2;
	}
	if (len) { /* the last odd byte is the first of a 16-bit word */
		uint16_t v = 0;

		memcpy(&v, p, 1);
		s3 += v;
	}
	return s0 + s1 + s2 + s3;
}

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

__attribute__((target("avx2"))) static uint64_t
sum_words_avx2(const uint8_t *p, uint32_t len)
{
	const __m256i lo16 = _mm256_set1_epi32(0xffff);
	__m256i acc0 = _mm256_setzero_si256(), acc1 = _mm256_setzero_si256();
	uint32_t lanes[8];
	uint64_t sum = 0;

	for (; len >= 64; len -= 64, p += 64) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)p);
		__m256i y = _mm256_loadu_si256((const __m256i *)(const void *)(p + 32));

		acc0 = _mm256_add_epi32(acc0, _mm256_and_si256(x, lo16));
		acc1 = _mm256_add_epi32(acc1, _mm256_srli_epi32(x, 16));
		acc0 = _mm256_add_epi32(acc0, _mm256_and_si256(y, lo16));
		acc1 = _mm256_add_epi32(acc1, _mm256_srli_epi32(y, 16));
	}
	_mm256_storeu_si256((__m256i *)(void *)lanes, _mm256_add_epi32(acc0, acc1));
	for (int i = 0; i < 8; i++)
		sum += lanes[i];
	return sum + sum_words(p, len);
}
#endif

static inline uint32_t
raw_sum(const uint8_t *p, uint32_t len)
{
	uint64_t s;

#if defined(__x86_64__) && defined(__GNUC__)
	if (len >= 128 && len <= 65535 && __builtin_cpu_supports("avx2"))
		s = sum_words_avx2(p, len);
	else
#endif
		s = sum_words(p, len);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t
tcp_raw_sum(const void *p, uint32_t len)
{
	return (uint16_t)raw_sum(p, len);
}

int
tcp_cksum_raw_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *cksum)
{
	const struct rte_mbuf *seg = m;
	uint32_t sum = 0, done = 0;

	while (seg != NULL && off >= seg->data_len) {
		off -= seg->data_len;
		seg = seg->next;
	}
	while (done < len) {
		uint32_t n, t;

		if (seg == NULL)
			return -1;
		n = seg->data_len - off;
		if (n > len - done)
			n = len - done;
		t = raw_sum(rte_pktmbuf_mtod_offset(seg, const uint8_t *, off), n); /* folded */
		if (done & 1) /* this segment's bytes sit at odd positions */
			t = rte_bswap16((uint16_t)t);
		sum += t;
		done += n;
		off = 0;
		seg = seg->next;
	}
	*cksum = __rte_raw_cksum_reduce(sum);
	return 0;
}

static uint32_t l4_sum(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off)
{
	uint16_t raw = 0;
	uint32_t c;

	if (tcp_cksum_raw_mbuf(m, l4_off, m->pkt_len - l4_off, &raw) < 0)
		return 0;
	c = (uint32_t)raw + rte_ipv4_phdr_cksum(ip, 0);
	c = (c & 0xffff) + (c >> 16);
	return (c & 0xffff) + (c >> 16);
}

uint16_t
tcp_cksum_l4(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off)
{
	uint16_t c = (uint16_t)~l4_sum(m, ip, l4_off);

	return c == 0 ? 0xffff : c;
}

int
tcp_cksum_l4_verify(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off)
{
	return l4_sum(m, ip, l4_off) == 0xffff ? 0 : -1;
}

void
tcp_ipv4_output(struct tcp_stack *s, unsigned iface, uint32_t nh,
		struct rte_mbuf *m)
{
	tcp_ipv4_output_sum(s, iface, nh, m, -1);
}

void
tcp_ipv4_output_sum(struct tcp_stack *s, unsigned iface, uint32_t nh,
		    struct rte_mbuf *m, int32_t payload_sum)
{
	const struct tcp_iface *ifc = &s->ifaces[iface];
	struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *,
							  m->l2_len);

	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->type_of_service = 0;
	ip->fragment_offset = RTE_BE16(IP_DF);
	ip->hdr_checksum = 0;
	m->l3_len = sizeof(*ip);
	m->ol_flags &= ~(RTE_MBUF_F_TX_IP_CKSUM | RTE_MBUF_F_TX_L4_MASK);
	if (ifc->p.offloads & TCP_OFFLOAD_TX_IPV4_CKSUM)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	if (ip->next_proto_id == IPPROTO_TCP) {
		struct rte_tcp_hdr *th = (struct rte_tcp_hdr *)(ip + 1);

		m->l4_len = (th->data_off >> 4) * 4;
		if (ifc->p.offloads & TCP_OFFLOAD_TX_TCP_CKSUM) {
			m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_TCP_CKSUM;
			th->cksum = rte_ipv4_phdr_cksum(ip, m->ol_flags);
		} else if (payload_sum >= 0) {
			uint32_t c;

			th->cksum = 0;
			c = raw_sum((const uint8_t *)th, m->l4_len) + (uint32_t)payload_sum +
			    rte_ipv4_phdr_cksum(ip, 0);
			c = (c & 0xffff) + (c >> 16);
			c = (c & 0xffff) + (c >> 16);
			th->cksum = (uint16_t)~c == 0 ? 0xffff : (uint16_t)~c;
		} else {
			th->cksum = 0;
			th->cksum = tcp_cksum_l4(m, ip, m->l2_len + m->l3_len);
		}
	}
	tcp_arp_output(s, iface, nh, m);
}

/* --------------------------------------------------------------- ICMP */

void
tcp_icmp_unreach(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m,
		 uint8_t code)
{
	const struct rte_ipv4_hdr *oip =
		rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, m->l2_len);
	uint32_t src = rte_be_to_cpu_32(oip->src_addr);
	uint32_t dst = rte_be_to_cpu_32(oip->dst_addr);
	uint32_t quote, nh;
	struct rte_mbuf *r;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *ic;
	char *p;
	int out;

	/* RFC 1122 §3.2.2: never about broadcasts, non-first fragments or
	 * (by the caller) ICMP errors. */
	if (is_bcast_or_mcast(s, src) || is_bcast_or_mcast(s, dst) ||
	    (rte_be_to_cpu_16(oip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK)) {
		tcp_mbuf_free(s, m);
		return;
	}
	if (!tcp_rate_ok(s, &s->icmp_sec, &s->icmp_count, s->p.icmp_rate_limit)) {
		s->cnt.icmp_rate_limited++;
		tcp_mbuf_free(s, m);
		return;
	}
	out = tcp_route(s, src, &nh);
	r = out < 0 ? NULL : rte_pktmbuf_alloc(s->p.pool);
	if (r == NULL) {
		if (out < 0)
			s->cnt.drop_tx_no_route++;
		else
			s->cnt.drop_no_mbuf++;
		tcp_mbuf_free(s, m);
		return;
	}
	quote = u32_min(m->pkt_len - m->l2_len, (uint32_t)m->l3_len + 8);
	p = rte_pktmbuf_append(r, (uint16_t)(RTE_ETHER_HDR_LEN + sizeof(*ip) +
					     sizeof(*ic) + quote));
	if (p == NULL) {
		rte_pktmbuf_free(r);
		tcp_mbuf_free(s, m);
		return;
	}
	ip = (struct rte_ipv4_hdr *)(p + RTE_ETHER_HDR_LEN);
	ic = (struct rte_icmp_hdr *)(ip + 1);
	memset(ip, 0, sizeof(*ip));
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*ic) + quote);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = oip->dst_addr;
	ip->dst_addr = oip->src_addr;
	if (!is_our_ip(s, dst))
		ip->src_addr = rte_cpu_to_be_32(s->ifaces[out].p.ipv4);
	ic->icmp_type = ICMP_DEST_UNREACH;
	ic->icmp_code = code;
	ic->icmp_cksum = 0;
	ic->icmp_ident = 0;
	ic->icmp_seq_nb = 0;
	rte_pktmbuf_read(m, m->l2_len, quote, ic + 1);
	ic->icmp_cksum = ~rte_raw_cksum(ic, sizeof(*ic) + quote);
	if (ic->icmp_cksum == 0)
		ic->icmp_cksum = 0xffff;
	r->l2_len = RTE_ETHER_HDR_LEN;
	s->cnt.icmp_unreach_tx++;
	tcp_mbuf_free(s, m);
	tcp_ipv4_output(s, (unsigned)out, nh, r);
}

static void
icmp_input(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m,
	   struct rte_ipv4_hdr *ip)
{
	uint32_t off = m->l2_len + m->l3_len;
	uint32_t len = m->pkt_len - off;
	struct rte_icmp_hdr *ic;
	struct rte_ether_hdr *eh;
	uint16_t sum = 0;
	uint32_t tmp;

	s->cnt.icmp_rx++;
	if (len < sizeof(*ic) || rte_pktmbuf_data_len(m) < off + sizeof(*ic) ||
	    tcp_cksum_raw_mbuf(m, off, len, &sum) != 0 || sum != 0xffff) {
		s->cnt.drop_icmp_bad++;
		tcp_mbuf_free(s, m);
		return;
	}
	ic = rte_pktmbuf_mtod_offset(m, struct rte_icmp_hdr *, off);
	if (ic->icmp_type != RTE_IP_ICMP_ECHO_REQUEST || ic->icmp_code != 0 ||
	    is_bcast_or_mcast(s, rte_be_to_cpu_32(ip->dst_addr)) ||
	    is_bcast_or_mcast(s, rte_be_to_cpu_32(ip->src_addr))) {
		/* Errors about our flows are ignored (RFC 5927 attacks). */
		tcp_mbuf_free(s, m);
		return;
	}
	/* Reply in place, back to the MAC it came from. */
	ic->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	ic->icmp_cksum = 0;
	sum = 0;
	tcp_cksum_raw_mbuf(m, off, len, &sum);
	ic->icmp_cksum = ~(uint16_t)sum;
	if (ic->icmp_cksum == 0)
		ic->icmp_cksum = 0xffff;
	tmp = ip->src_addr;
	ip->src_addr = ip->dst_addr;
	ip->dst_addr = tmp;
	ip->time_to_live = 64;
	ip->packet_id = 0;
	/* drop any options: the reply carries a plain header */
	if (m->l3_len > sizeof(*ip)) {
		uint32_t extra = m->l3_len - sizeof(*ip);

		memmove(rte_pktmbuf_mtod(m, uint8_t *) + extra,
			rte_pktmbuf_mtod(m, uint8_t *), m->l2_len + sizeof(*ip));
		rte_pktmbuf_adj(m, extra);
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
		ip->total_length = rte_cpu_to_be_16(rte_be_to_cpu_16(ip->total_length) -
						    extra);
	}
	eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eh->dst_addr = eh->src_addr;
	eh->src_addr = s->ifaces[iface].p.mac;
	m->ol_flags &= TCP_MBUF_F_KEEP;
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->fragment_offset = 0;
	ip->hdr_checksum = 0;
	m->l3_len = sizeof(*ip);
	if (s->ifaces[iface].p.offloads & TCP_OFFLOAD_TX_IPV4_CKSUM)
		m->ol_flags |= RTE_MBUF_F_TX_IPV4 | RTE_MBUF_F_TX_IP_CKSUM;
	else
		ip->hdr_checksum = rte_ipv4_cksum(ip);
	s->cnt.icmp_echo_tx++;
	tcp_iface_tx(s, iface, m);
}

/* --------------------------------------------------------------- IPv4 */

#define IP_DROP(ctr)                   \
	do {                           \
		s->cnt.ctr++;          \
		tcp_mbuf_free(s, m);   \
		return;                \
	} while (0)

void
tcp_ipv4_input(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m)
{
	struct rte_ipv4_hdr *ip;
	uint32_t ihl, tot, dst;
	uint64_t ck;

	s->cnt.ip_rx++;
	if (rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + sizeof(*ip))
		IP_DROP(drop_ip_short);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, RTE_ETHER_HDR_LEN);
	if ((ip->version_ihl >> 4) != 4)
		IP_DROP(drop_ip_version);
	ihl = (ip->version_ihl & 0xf) * 4u;
	if (ihl < sizeof(*ip) || rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + ihl)
		IP_DROP(drop_ip_hdrlen);
	tot = rte_be_to_cpu_16(ip->total_length);
	if (tot < ihl || m->pkt_len < RTE_ETHER_HDR_LEN + tot)
		IP_DROP(drop_ip_len);
	ck = m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK;
	if (ck == RTE_MBUF_F_RX_IP_CKSUM_BAD)
		IP_DROP(drop_ip_cksum);
	if (ck != RTE_MBUF_F_RX_IP_CKSUM_GOOD && rte_raw_cksum(ip, ihl) != 0xffff)
		IP_DROP(drop_ip_cksum);
	dst = rte_be_to_cpu_32(ip->dst_addr);
	if (!is_our_ip(s, dst))
		IP_DROP(drop_ip_dst);
	/* Ethernet padding after the datagram */
	tcp_mbuf_trim_to(s, m, RTE_ETHER_HDR_LEN + tot);
	m->l2_len = RTE_ETHER_HDR_LEN;
	m->l3_len = ihl;

	if (rte_ipv4_frag_pkt_is_fragmented(ip)) {
		s->cnt.frag_rx++;
		m = rte_ipv4_frag_reassemble_packet(s->frag_tbl, &s->frag_dr, m,
						    s->now_us, ip);
		s->cnt.drop_frag += s->frag_dr.cnt;
		rte_ip_frag_free_death_row(&s->frag_dr, 0);
		if (m == NULL)
			return;
		s->cnt.frag_reassembled++;
		m->ol_flags &= ~RTE_MBUF_F_RX_L4_CKSUM_MASK;
		ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, m->l2_len);
		tot = rte_be_to_cpu_16(ip->total_length);
		if (m->pkt_len != m->l2_len + tot)
			IP_DROP(drop_ip_len);
		if (s->p.reasm_handoff != NULL) {
			/* rte_ip_frag rewrote the length and offset: a valid
			 * header for whoever processes the datagram again */
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			m->ol_flags &= ~RTE_MBUF_F_RX_IP_CKSUM_MASK;
			if (s->p.reasm_handoff(s->p.reasm_ctx, m)) {
				s->cnt.frag_handed_off++;
				return;
			}
		}
	}

	switch (ip->next_proto_id) {
	case IPPROTO_TCP:
		tcp_input(s, iface, m);
		break;
	case IPPROTO_ICMP:
		icmp_input(s, iface, m, ip);
		break;
	case IPPROTO_UDP:
		s->cnt.drop_ip_proto++;
		tcp_icmp_unreach(s, iface, m, ICMP_PORT_UNREACH);
		break;
	default:
		s->cnt.drop_ip_proto++;
		tcp_icmp_unreach(s, iface, m, ICMP_PROTO_UNREACH);
	}
}
