/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_dataplane.c — assemble the dataplane from the config (dp_dataplane.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/dp_dataplane.h"
#include "dataplane/dp_eal.h"

struct dp_dataplane {
	unsigned n_io, n_ports;
	int main_io;
	unsigned lcore_of[RTE_MAX_LCORE];
	struct dp_lcore *lc[RTE_MAX_LCORE];
	struct dp_port_info port[DP_MAX_PORTS];
	bool port_started[DP_MAX_PORTS];
	struct rte_mempool *pool;
	struct dp_steer *steer;
	struct dp_fabric *fabric;
};

static int
collect_io_lcores(struct dp_dataplane *d, const struct cfg_dataplane *dp)
{
	unsigned lid;

	if (dp->n_io_lcores > 0) {
		for (size_t i = 0; i < dp->n_io_lcores; i++) {
			if (!rte_lcore_is_enabled(dp->io_lcores[i]))
				return -EINVAL;
			d->lcore_of[d->n_io++] = dp->io_lcores[i];
		}
		return 0;
	}
	RTE_LCORE_FOREACH(lid)
		d->lcore_of[d->n_io++] = lid;
	return 0;
}

struct dp_dataplane *
dp_dataplane_create(const struct dp_dataplane_params *p)
{
	const struct cfg_dataplane *dp = p->dp;
	struct dp_dataplane *d = NULL;
	uint8_t secret[16];
	int ret, socket;
	bool rss = true;

	if (dp == NULL || dp->n_ports == 0 || dp->n_ports > DP_MAX_PORTS) {
		errno = EINVAL;
		return NULL;
	}
	ret = dp_eal_init(dp, p->prog, p->eal_extra, p->n_eal_extra);
	if (ret < 0) {
		errno = -ret;
		return NULL;
	}
	socket = (int)rte_socket_id();
	d = rte_zmalloc("dp_dataplane", sizeof(*d), RTE_CACHE_LINE_SIZE);
	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	d->main_io = -1;
	ret = collect_io_lcores(d, dp);
	if (ret < 0 || d->n_io == 0 || d->n_io > DP_STEER_MAX_LCORES)
		goto fail_inval;
	for (unsigned i = 0; i < d->n_io; i++)
		if (d->lcore_of[i] == rte_get_main_lcore())
			d->main_io = (int)i;

	d->pool = dp_eal_pktpool("dp_pkts", dp->mbufs, socket);
	if (d->pool == NULL)
		goto fail_errno;
	d->n_ports = (unsigned)dp->n_ports;
	for (unsigned i = 0; i < d->n_ports; i++) {
		struct dp_port_params pp = {
			.n_queues = (uint16_t)d->n_io, .mtu = dp->ports[i].mtu,
			.pool = d->pool, .nb_rxd = p->nb_rxd, .nb_txd = p->nb_txd,
		};
		ret = dp_eal_port_id(dp->ports[i].device);
		if (ret < 0)
			goto fail_ret;
		pp.port_id = (uint16_t)ret;
		ret = dp_port_start(&pp, &d->port[i]);
		if (ret < 0)
			goto fail_ret;
		d->port_started[i] = true;
		dp_port_wait_link(pp.port_id, 3000);
		rss = rss && d->port[i].rss;
	}
	struct dp_steer_params sp = {
		.n_io = d->n_io, .socket_id = socket, .name = "dp",
		.rss_key = rss && d->n_io > 1 ? dp_steer_sym_rss_key : NULL,
	};
	d->steer = dp_steer_create(&sp);
	if (d->steer == NULL)
		goto fail_errno;
	struct dp_fabric_params fp = {
		.n_io = d->n_io, .n_dlp = (unsigned)dp->n_dlp_lcores, .socket_id = socket,
		.name = "dp",
	};
	d->fabric = dp_fabric_create(&fp);
	if (d->fabric == NULL)
		goto fail_errno;
	if (getrandom(secret, sizeof(secret), 0) != sizeof(secret))
		goto fail_errno;

	for (unsigned i = 0; i < d->n_io; i++) {
		struct dp_lcore_params lp;

		memset(&lp, 0, sizeof(lp));
		lp.index = i;
		lp.lcore_id = d->lcore_of[i];
		lp.socket_id = (int)rte_lcore_to_socket_id(d->lcore_of[i]);
		lp.n_ports = d->n_ports;
		for (unsigned k = 0; k < d->n_ports; k++) {
			lp.port[k] = d->port[k];
			lp.iface[k].ipv4 = dp->ports[k].ipv4;
			lp.iface[k].prefix_len = dp->ports[k].prefix_len;
			lp.iface[k].gateway = dp->ports[k].gateway;
			lp.iface[k].mtu = dp->ports[k].mtu;
		}
		lp.pool = d->pool;
		lp.steer = d->steer;
		lp.fabric = d->fabric;
		lp.fault.drop = dp->fault.drop;
		lp.fault.duplicate = dp->fault.duplicate;
		lp.fault.reorder = dp->fault.reorder;
		lp.fault.seed = p->fault_seed;
		lp.fault_dir = p->fault_dir ? p->fault_dir : DP_FAULT_BOTH;
		lp.stack = p->stack;
		lp.stack.name = "dp";
		if (p->tcp != NULL) {
			lp.stack.max_conns = p->tcp->max_connections / d->n_io;
			lp.stack.max_per_source = p->tcp->max_per_source;
			lp.stack.syn_backlog = p->tcp->syn_backlog;
			lp.stack.syn_cookies =
				p->tcp->syn_cookies == CFG_SYN_COOKIES_ALWAYS ? TCP_SYN_COOKIES_ALWAYS :
				p->tcp->syn_cookies == CFG_SYN_COOKIES_NEVER ? TCP_SYN_COOKIES_NEVER :
									       TCP_SYN_COOKIES_AUTO;
		}
		memcpy(lp.stack.secret, secret, sizeof(secret));
		lp.app = p->app;
		lp.app_ctx = p->app_ctx ? p->app_ctx[i] : NULL;
		lp.idle_sleep_us = p->idle_sleep_us;
		lp.drain_ms = p->drain_ms;
		d->lc[i] = dp_lcore_create(&lp);
		if (d->lc[i] == NULL)
			goto fail_errno;
	}
	return d;
fail_inval:
	ret = -EINVAL;
	goto fail_ret;
fail_errno:
	ret = -(errno ? errno : ENOMEM);
fail_ret:
	dp_dataplane_destroy(d);
	errno = -ret;
	return NULL;
}

int
dp_dataplane_launch(struct dp_dataplane *d)
{
	for (unsigned i = 0; i < d->n_io; i++) {
		if ((int)i == d->main_io)
			continue;
		int ret = rte_eal_remote_launch(dp_lcore_main, d->lc[i], d->lcore_of[i]);
		if (ret != 0)
			return ret;
	}
	return 0;
}

int
dp_dataplane_wait(struct dp_dataplane *d)
{
	int rc = 0;

	for (unsigned i = 0; i < d->n_io; i++) {
		if ((int)i == d->main_io)
			continue;
		int ret = rte_eal_wait_lcore(d->lcore_of[i]);
		if (ret != 0 && rc == 0)
			rc = ret;
	}
	return rc;
}

void
dp_dataplane_destroy(struct dp_dataplane *d)
{
	if (d == NULL)
		return;
	for (unsigned i = 0; i < d->n_io; i++)
		dp_lcore_destroy(d->lc[i]);
	for (unsigned i = 0; i < d->n_ports; i++)
		if (d->port_started[i])
			dp_port_stop(d->port[i].port_id);
	dp_steer_destroy(d->steer);
	dp_fabric_destroy(d->fabric);
	rte_mempool_free(d->pool);
	rte_free(d);
	dp_eal_fini();
}

unsigned
dp_dataplane_n_io(const struct dp_dataplane *d)
{
	return d->n_io;
}

struct dp_lcore *
dp_dataplane_lcore(const struct dp_dataplane *d, unsigned io_index)
{
	return io_index < d->n_io ? d->lc[io_index] : NULL;
}

int
dp_dataplane_main_io(const struct dp_dataplane *d)
{
	return d->main_io;
}

struct dp_fabric *
dp_dataplane_fabric(const struct dp_dataplane *d)
{
	return d->fabric;
}

struct rte_mempool *
dp_dataplane_pool(const struct dp_dataplane *d)
{
	return d->pool;
}

const struct dp_port_info *
dp_dataplane_port(const struct dp_dataplane *d, unsigned i)
{
	return i < d->n_ports ? &d->port[i] : NULL;
}

unsigned
dp_dataplane_n_ports(const struct dp_dataplane *d)
{
	return d->n_ports;
}

void
dp_dataplane_stats_json(const struct dp_dataplane *d, FILE *out)
{
	fprintf(out, "{\"ports\":[");
	for (unsigned i = 0; i < d->n_ports; i++) {
		if (i)
			fprintf(out, ",");
		dp_port_stats_json(d->port[i].port_id, out);
	}
	fprintf(out, "],\"lcores\":[");
	for (unsigned i = 0; i < d->n_io; i++) {
		if (i)
			fprintf(out, ",");
		dp_lcore_stats_json(d->lc[i], out);
	}
	fprintf(out, "]}");
}
