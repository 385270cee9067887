/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_steer.h — software flow steering between io lcores.
 *
 * Every TCP/UDP flow is owned by exactly one io lcore (the one whose stack
 * instance holds its connection). The owner is a function of the flow's
 * 4-tuple that is symmetric (both directions map to the same lcore):
 *
 *   - software mode: a CRC32C of (saddr ^ daddr, sport ^ dport), modulo the
 *     number of io lcores;
 *   - RSS mode: the Toeplitz hash of the tuple with the port's symmetric key
 *     (0x6d5a repeated), looked up in a RETA filled with i % n_io, so the
 *     software answer equals the NIC's queue choice and steering is rare.
 *
 * Frames that arrive on an lcore that does not own them are moved to the
 * owner's steering ring (MPSC, bare mbufs). ARP frames are copied to every
 * io lcore, as each stack instance keeps its own ARP cache; other non-IPv4
 * frames and IPv4 without ports (ICMP) stay on the receiving lcore — ICMP
 * echo needs no state. Every fragment of a datagram, the first included, is
 * steered by the address pair alone (dp_steer_owner(src, dst, 0, 0), the
 * tcp_frame_flow_hash() rule), so one stack sees them all and reassembles.
 *
 * Active opens: dp_steer_pick_sport() returns an ephemeral source port whose
 * tuple maps back to the opening lcore, so replies never need steering.
 */
#ifndef SMTPDLP_DP_STEER_H
#define SMTPDLP_DP_STEER_H

#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_ring.h>

#define DP_STEER_MAX_LCORES 64
#define DP_STEER_RETA_SIZE 128
#define DP_STEER_SPORT_MIN 32768u
#define DP_STEER_SPORT_MAX 60999u

struct dp_steer;

struct dp_steer_params {
	unsigned n_io;           /* io lcores, 1..DP_STEER_MAX_LCORES */
	unsigned ring_size;      /* per lcore, power of two; 0 = 4096 */
	int socket_id;
	const char *name;        /* ring name prefix, unique per process */
	const uint8_t *rss_key;  /* 40-byte Toeplitz key, NULL = software mode */
};

struct dp_steer_stats {
	uint64_t steered_out;  /* frames this lcore moved to another */
	uint64_t steered_in;   /* frames received from other lcores */
	uint64_t ring_full;    /* frames freed because the owner's ring was full */
	uint64_t arp_copies;
};

struct dp_steer *dp_steer_create(const struct dp_steer_params *p);
void dp_steer_destroy(struct dp_steer *st); /* frees queued frames; NULL no-op */

/* The 40-byte symmetric Toeplitz key used by the ports in RSS mode. */
extern const uint8_t dp_steer_sym_rss_key[40];

/* Owner io lcore index of a tuple; addresses and ports in host order.
 * Symmetric: owner(a,b,p,q) == owner(b,a,q,p). */
unsigned dp_steer_owner(const struct dp_steer *st, uint32_t saddr, uint32_t daddr,
			uint16_t sport, uint16_t dport);

#define DP_STEER_LOCAL ((unsigned)-1)   /* keep on the receiving lcore */
#define DP_STEER_ALL ((unsigned)-2)     /* copy to every lcore (ARP) */

/* Classify one received Ethernet frame (borrows m): an owner index,
 * DP_STEER_LOCAL or DP_STEER_ALL. */
unsigned dp_steer_classify(const struct dp_steer *st, const struct rte_mbuf *m);

/*
 * Split a received burst on io lcore `me`: frames it owns are written to
 * keep[] (room n * 1; ARP originals stay local), others are enqueued to their
 * owner's ring (ARP: a copy to each other lcore). Consumes pkts[0..n);
 * returns the number written to keep[]. stats may be NULL.
 */
uint16_t dp_steer_burst(struct dp_steer *st, unsigned me, struct rte_mbuf **pkts,
			uint16_t n, struct rte_mbuf **keep, struct dp_steer_stats *stats);

/* Dequeue frames steered to lcore `me` (single consumer: only `me` calls).
 * The caller owns the returned frames. */
/* Enqueue one frame to io lcore `owner`'s ring. Consumes m on success
 * (0); -ENOBUFS when the ring is full or there is no ring (one io lcore),
 * the caller keeps m. */
int dp_steer_to(struct dp_steer *st, unsigned owner, struct rte_mbuf *m);

uint16_t dp_steer_recv(struct dp_steer *st, unsigned me, struct rte_mbuf **pkts,
		       uint16_t n);

/*
 * An ephemeral source port in [DP_STEER_SPORT_MIN, DP_STEER_SPORT_MAX] such
 * that the tuple (laddr, raddr, sport, rport) is owned by lcore `me`; the
 * search starts at *cursor (per-lcore state, any value) and advances it, so
 * consecutive calls return different ports. Returns 0 when no port in the
 * range maps to `me` (impossible unless n_io exceeds the range).
 */
uint16_t dp_steer_pick_sport(const struct dp_steer *st, unsigned me, uint32_t laddr,
			     uint32_t raddr, uint16_t rport, uint32_t *cursor);

unsigned dp_steer_n_io(const struct dp_steer *st);

#endif /* SMTPDLP_DP_STEER_H */
