/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_port.c — ethdev set-up (queues, RSS, offloads, MTU), link and stats.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>

#include "dataplane/dp_port.h"
#include "dataplane/dp_steer.h"

static int
setup_reta(uint16_t port_id, uint16_t reta_size, uint16_t nq)
{
	struct rte_eth_rss_reta_entry64 conf[RTE_ETH_RSS_RETA_SIZE_512 / RTE_ETH_RETA_GROUP_SIZE];
	unsigned groups = (reta_size + RTE_ETH_RETA_GROUP_SIZE - 1) / RTE_ETH_RETA_GROUP_SIZE;

	if (reta_size == 0 || groups > RTE_DIM(conf))
		return -ENOTSUP;
	memset(conf, 0, sizeof(conf));
	for (unsigned i = 0; i < reta_size; i++) {
		conf[i / RTE_ETH_RETA_GROUP_SIZE].mask |= 1ull << (i % RTE_ETH_RETA_GROUP_SIZE);
		conf[i / RTE_ETH_RETA_GROUP_SIZE].reta[i % RTE_ETH_RETA_GROUP_SIZE] = i % nq;
	}
	return rte_eth_dev_rss_reta_update(port_id, conf, reta_size);
}

int
dp_port_start(const struct dp_port_params *p, struct dp_port_info *info)
{
	struct rte_eth_dev_info di;
	struct rte_eth_conf conf;
	uint16_t nb_rxd = p->nb_rxd ? p->nb_rxd : 1024;
	uint16_t nb_txd = p->nb_txd ? p->nb_txd : 1024;
	int socket = rte_eth_dev_socket_id(p->port_id);
	int ret;

	if (!rte_eth_dev_is_valid_port(p->port_id) || p->n_queues == 0 || p->pool == NULL)
		return -EINVAL;
	ret = rte_eth_dev_info_get(p->port_id, &di);
	if (ret != 0)
		return ret;
	if (di.max_rx_queues < p->n_queues || di.max_tx_queues < p->n_queues)
		return -ENOTSUP;

	memset(info, 0, sizeof(*info));
	memset(&conf, 0, sizeof(conf));
	info->port_id = p->port_id;
	info->n_queues = p->n_queues;
	snprintf(info->driver, sizeof(info->driver), "%s", di.driver_name);

	if (p->n_queues > 1 && (di.flow_type_rss_offloads & RTE_ETH_RSS_NONFRAG_IPV4_TCP)) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf = di.flow_type_rss_offloads &
			(RTE_ETH_RSS_NONFRAG_IPV4_TCP | RTE_ETH_RSS_NONFRAG_IPV4_UDP |
			 RTE_ETH_RSS_IPV4);
		if (di.hash_key_size == sizeof(dp_steer_sym_rss_key)) {
			conf.rx_adv_conf.rss_conf.rss_key = (uint8_t *)dp_steer_sym_rss_key;
			conf.rx_adv_conf.rss_conf.rss_key_len = sizeof(dp_steer_sym_rss_key);
			info->rss = true;
		}
	}
	if ((di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_IPV4_CKSUM)) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_IPV4_CKSUM;
		info->tx_ipv4_cksum = true;
	}
	if ((di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_TCP_CKSUM)) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_TCP_CKSUM;
		info->tx_tcp_cksum = true;
	}
	if ((di.rx_offload_capa & (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM)) ==
	    (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM)) {
		conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM | RTE_ETH_RX_OFFLOAD_TCP_CKSUM;
		info->rx_cksum = true;
	}
	if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS) {
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
		info->tx_multi_segs = true;
	} else if (di.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE) {
		/* Not with chains: the stack's data segments are indirect mbufs
		 * (refcnt > 1 on the send queue), which fast free cannot return. */
		conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
	}

	ret = rte_eth_dev_configure(p->port_id, p->n_queues, p->n_queues, &conf);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_adjust_nb_rx_tx_desc(p->port_id, &nb_rxd, &nb_txd);
	if (ret != 0)
		return ret;
	if (p->mtu != 0) {
		ret = rte_eth_dev_set_mtu(p->port_id, p->mtu);
		if (ret != 0 && ret != -ENOTSUP)
			return ret;
	}
	for (uint16_t q = 0; q < p->n_queues; q++) {
		struct rte_eth_rxconf rxc = di.default_rxconf;
		struct rte_eth_txconf txc = di.default_txconf;

		rxc.offloads = conf.rxmode.offloads;
		txc.offloads = conf.txmode.offloads;
		ret = rte_eth_rx_queue_setup(p->port_id, q, nb_rxd, socket, &rxc, p->pool);
		if (ret != 0)
			return ret;
		ret = rte_eth_tx_queue_setup(p->port_id, q, nb_txd, socket, &txc);
		if (ret != 0)
			return ret;
	}
	ret = rte_eth_dev_start(p->port_id);
	if (ret != 0)
		return ret;
	if (info->rss && setup_reta(p->port_id, di.reta_size, p->n_queues) != 0) {
		/* The NIC keeps its default RETA; software steering fixes up. */
		info->rss = false;
	}
	if (p->promiscuous)
		rte_eth_promiscuous_enable(p->port_id);
	rte_eth_macaddr_get(p->port_id, &info->mac);
	if (rte_eth_dev_get_mtu(p->port_id, &info->mtu) != 0)
		info->mtu = RTE_ETHER_MTU;
	return 0;
}

int
dp_port_wait_link(uint16_t port_id, unsigned timeout_ms)
{
	struct rte_eth_link link;

	for (unsigned waited = 0;; waited += 10) {
		memset(&link, 0, sizeof(link));
		int ret = rte_eth_link_get_nowait(port_id, &link);
		if (ret != 0 && ret != -ENOTSUP)
			return ret;
		if (ret == -ENOTSUP || link.link_status == RTE_ETH_LINK_UP)
			return 1;
		if (waited >= timeout_ms)
			return 0;
		rte_delay_ms(10);
	}
}

int
dp_port_stop(uint16_t port_id)
{
	int ret = rte_eth_dev_stop(port_id);

	if (ret != 0 && ret != -EINVAL)
		return ret;
	return rte_eth_dev_close(port_id);
}

int
dp_port_stats_json(uint16_t port_id, FILE *out)
{
	struct rte_eth_stats s;
	struct rte_eth_dev_info di;
	int ret, n;

	ret = rte_eth_stats_get(port_id, &s);
	if (ret != 0)
		return ret;
	ret = rte_eth_dev_info_get(port_id, &di);
	if (ret != 0)
		return ret;
	fprintf(out,
		"{\"port\":%u,\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64
		",\"ibytes\":%" PRIu64 ",\"obytes\":%" PRIu64 ",\"imissed\":%" PRIu64
		",\"ierrors\":%" PRIu64 ",\"oerrors\":%" PRIu64 ",\"rx_nombuf\":%" PRIu64
		",\"queues\":[",
		port_id, s.ipackets, s.opackets, s.ibytes, s.obytes, s.imissed, s.ierrors,
		s.oerrors, s.rx_nombuf);
	unsigned nq = RTE_MAX(di.nb_rx_queues, di.nb_tx_queues);
	for (unsigned q = 0; q < nq && q < RTE_ETHDEV_QUEUE_STAT_CNTRS; q++)
		fprintf(out, "%s{\"q\":%u,\"ipackets\":%" PRIu64 ",\"opackets\":%" PRIu64 "}",
			q ? "," : "", q, s.q_ipackets[q], s.q_opackets[q]);
	fprintf(out, "],\"xstats\":{");
	n = rte_eth_xstats_get(port_id, NULL, 0);
	if (n > 0) {
		struct rte_eth_xstat *xs = calloc(n, sizeof(*xs));
		struct rte_eth_xstat_name *names = calloc(n, sizeof(*names));
		int first = 1;

		if (xs != NULL && names != NULL &&
		    rte_eth_xstats_get(port_id, xs, n) == n &&
		    rte_eth_xstats_get_names(port_id, names, n) == n) {
			for (int i = 0; i < n; i++) {
				if (xs[i].value == 0)
					continue;
				fprintf(out, "%s\"%s\":%" PRIu64, first ? "" : ",",
					names[xs[i].id].name, xs[i].value);
				first = 0;
			}
		}
		free(xs);
		free(names);
	}
	fprintf(out, "}}");
	return 0;
}
