/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_harness.h — test harness for the tcpstack Check suites: EAL without
 * hugepages or NICs, one mempool (cache-less, so leaks show as a smaller
 * avail count), a settable test clock, a tx callback that captures frames,
 * frame crafting (Ethernet/ARP/IPv4/ICMP/TCP with correct checksums) and a
 * parser that checks the checksums of what the stack sends.
 */
#ifndef SMTPDLP_TEST_TCP_HARNESS_H
#define SMTPDLP_TEST_TCP_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_mbuf.h>

#include "tcpstack/tcp_stack.h"

#define TT_CAP_MAX 8192

/* Addresses used by the single-stack suites (host order). */
#define TT_IP_US   0xc0000a0au /* 192.0.2.10 */
#define TT_IP_PEER 0xc0000a14u /* 192.0.2.20 */
#define TT_IP_FAR  0xc6336419u /* 198.51.100.25, via the gateway */
#define TT_IP_GW   0xc0000a01u /* 192.0.2.1 */

extern const struct rte_ether_addr tt_mac_us, tt_mac_peer, tt_mac_gw;

struct tt_cap {
	struct rte_mbuf *pkts[TT_CAP_MAX];
	unsigned head, n;
	unsigned dropped;
};

/* One stack under test with its clock and captured frames. */
struct tt_node {
	struct tcp_stack *s;
	uint64_t now_us;
	struct tt_cap cap;
};

/* A parsed frame. */
struct tt_pkt {
	uint16_t ethertype;
	struct rte_ether_addr src, dst;
	/* ARP */
	uint16_t arp_op;
	uint32_t arp_sip, arp_tip;
	/* IPv4 */
	uint32_t sip, dip;
	uint8_t proto, ttl;
	bool ip_cksum_ok, l4_cksum_ok;
	/* ICMP */
	uint8_t icmp_type, icmp_code;
	/* TCP */
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	int mss, ws;          /* -1 absent */
	bool sackp, has_ts;
	uint32_t tsval, tsecr;
	int n_sack;
	uint32_t sack[4][2];
	uint32_t len;         /* L4 payload bytes */
	uint8_t payload[10000];
	uint16_t nb_segs;
};

/* Segment to craft. Zero fields are fine; opts are raw option bytes. */
struct tt_seg {
	uint32_t sip, dip;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	const uint8_t *opts;
	uint8_t optlen;
	const void *data;
	uint32_t len;
	bool bad_cksum;
};

void tt_eal_init(void);
struct rte_mempool *tt_pool(void);
unsigned tt_pool_avail(void);

void tt_params(struct tcp_stack_params *p, struct tt_node *n);
struct tt_node *tt_node_new(const struct tcp_stack_params *p);
/* Destroys the stack, frees captured frames. */
void tt_node_free(struct tt_node *n);
uint64_t tt_clock(void *ctx);
void tt_tx(void *ctx, uint16_t port, struct rte_mbuf **pkts, uint16_t n);

/* Advance the clock by ms and run timers (several rounds). */
void tt_advance(struct tt_node *n, uint64_t ms);
void tt_input(struct tt_node *n, struct rte_mbuf *m);
/* Pop and parse the oldest captured frame; false if none. */
bool tt_take(struct tt_node *n, struct tt_pkt *p);
/* Pop the oldest TCP frame, skipping others. */
bool tt_take_tcp(struct tt_node *n, struct tt_pkt *p);
unsigned tt_pending(const struct tt_node *n);
void tt_drain(struct tt_node *n);
int tt_parse(const struct rte_mbuf *m, struct tt_pkt *p);

struct rte_mbuf *tt_tcp(const struct tt_seg *sg);
struct rte_mbuf *tt_arp(uint16_t op, const struct rte_ether_addr *sha,
			uint32_t sip, const struct rte_ether_addr *tha,
			uint32_t tip, const struct rte_ether_addr *eth_dst);
/* Raw IPv4 datagram (payload after the 20-byte header) from the peer. */
struct rte_mbuf *tt_ipv4(uint32_t sip, uint32_t dip, uint8_t proto,
			 uint16_t frag_off_flags, uint16_t id,
			 const void *payload, uint32_t len);
struct rte_mbuf *tt_icmp_echo(uint32_t sip, uint32_t dip, uint16_t id,
			      uint16_t seq, const void *data, uint32_t len);

/* Teach the stack the peer's and the gateway's MACs (ARP exchange). */
void tt_learn_peers(struct tt_node *n);

/* Standard SYN options: MSS 1460, SACK-permitted, TS(tsval), WS(ws). */
uint8_t tt_syn_opts(uint8_t *o, uint16_t mss, int ws, bool sack,
		    bool ts, uint32_t tsval, uint32_t tsecr);
/* NOP NOP TS option. */
uint8_t tt_ts_opt(uint8_t *o, uint32_t tsval, uint32_t tsecr);

#endif /* SMTPDLP_TEST_TCP_HARNESS_H */
