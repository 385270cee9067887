/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_port.h — configure, start, stop and observe one ethdev port.
 *
 * A port gets one RX and one TX queue per io lcore (queue i belongs to io
 * lcore i). With more than one queue and a device that hashes TCP/IPv4, RSS
 * is enabled with the symmetric key of dp_steer.h and a RETA of i % nq, so
 * the NIC's queue choice equals dp_steer_owner(). IPv4/TCP/UDP checksum
 * offloads are enabled when the device offers them and reported in
 * struct dp_port_info so the stack computes in software what the NIC does
 * not. MTU is set when the device allows it.
 */
#ifndef SMTPDLP_DP_PORT_H
#define SMTPDLP_DP_PORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_ether.h>
#include <rte_mempool.h>

struct dp_port_params {
	uint16_t port_id;
	uint16_t n_queues;     /* = io lcores; the device must offer that many */
	uint16_t nb_rxd, nb_txd; /* 0 = 1024 */
	uint16_t mtu;          /* 0 = leave the device default */
	struct rte_mempool *pool; /* RX mbufs */
	bool promiscuous;
};

/* What the port ended up with, for the stack and for logs. */
struct dp_port_info {
	uint16_t port_id;
	uint16_t n_queues;
	bool rss;              /* RSS with the symmetric key is on */
	bool tx_ipv4_cksum;    /* NIC fills IPv4 header checksums */
	bool tx_tcp_cksum;     /* NIC fills TCP checksums (pseudo-header needed) */
	bool rx_cksum;         /* RX sets RTE_MBUF_F_RX_*_CKSUM_GOOD/BAD */
	bool tx_multi_segs;    /* TX takes mbuf chains (the stack sends zero copy) */
	uint16_t mtu;
	struct rte_ether_addr mac;
	char driver[32];
};

/* Configure and start. 0 or -errno (-ENOTSUP: fewer queues than asked). */
int dp_port_start(const struct dp_port_params *p, struct dp_port_info *info);

/* Wait up to timeout_ms for link up; 1 up, 0 down, -errno. */
int dp_port_wait_link(uint16_t port_id, unsigned timeout_ms);

/* Stop and close; frees the device's queues. 0 or -errno. */
int dp_port_stop(uint16_t port_id);

/* Print port and per-queue statistics plus non-zero xstats as one JSON
 * object (no trailing newline). 0 or -errno. */
int dp_port_stats_json(uint16_t port_id, FILE *out);

#endif /* SMTPDLP_DP_PORT_H */
