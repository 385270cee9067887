/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_msg.c — the message fabric: one MPSC inbox ring per endpoint (control
 * thread, io lcores, dlp lcores) and one mempool of struct dp_msg.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "dataplane/dp_msg.h"

struct dp_fabric {
	unsigned n_io, n_dlp, n_ep;
	struct rte_mempool *pool;
	struct rte_ring *inbox[];
};

static const char *const msg_names[DP_MSG_TYPE_MAX] = {
	[DP_MSG_NONE] = "none",
	[DP_MSG_SCAN_CHUNK] = "scan-chunk",
	[DP_MSG_SCAN_END] = "scan-end",
	[DP_MSG_SCAN_ABORT] = "scan-abort",
	[DP_MSG_VERDICT] = "verdict",
	[DP_MSG_INCIDENT] = "incident",
	[DP_MSG_RELOAD] = "reload",
	[DP_MSG_RELOAD_ACK] = "reload-ack",
	[DP_MSG_STATS_REQ] = "stats-req",
	[DP_MSG_STATS] = "stats",
	[DP_MSG_DRAIN] = "drain",
	[DP_MSG_QUIT] = "quit",
};

const char *
dp_msg_type_name(unsigned type)
{
	if (type < DP_MSG_TYPE_MAX && msg_names[type] != NULL)
		return msg_names[type];
	return "unknown";
}

struct dp_fabric *
dp_fabric_create(const struct dp_fabric_params *p)
{
	char name[RTE_RING_NAMESIZE];
	unsigned ring_size = p->ring_size ? p->ring_size : 4096;
	unsigned n_msgs = p->n_msgs ? p->n_msgs : 16384;
	const char *pfx = p->name ? p->name : "dp";
	unsigned n_ep = 1 + p->n_io + p->n_dlp;
	struct dp_fabric *f;

	if (!rte_is_power_of_2(ring_size)) {
		errno = EINVAL;
		return NULL;
	}
	f = rte_zmalloc_socket("dp_fabric", sizeof(*f) + n_ep * sizeof(f->inbox[0]),
			       RTE_CACHE_LINE_SIZE, p->socket_id);
	if (f == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	f->n_io = p->n_io;
	f->n_dlp = p->n_dlp;
	f->n_ep = n_ep;
	snprintf(name, sizeof(name), "%s_msgs", pfx);
	f->pool = rte_mempool_create(name, n_msgs, sizeof(struct dp_msg),
				     n_msgs >= 1024 ? 64 : 0, 0,
				     NULL, NULL, NULL, NULL, p->socket_id, 0);
	if (f->pool == NULL)
		goto fail;
	for (unsigned i = 0; i < n_ep; i++) {
		snprintf(name, sizeof(name), "%s_in%u", pfx, i);
		f->inbox[i] = rte_ring_create(name, ring_size, p->socket_id, RING_F_SC_DEQ);
		if (f->inbox[i] == NULL)
			goto fail;
	}
	return f;
fail:
	{
		int e = rte_errno ? rte_errno : ENOMEM;
		dp_fabric_destroy(f);
		errno = e;
	}
	return NULL;
}

void
dp_fabric_destroy(struct dp_fabric *f)
{
	struct dp_msg *m;

	if (f == NULL)
		return;
	for (unsigned i = 0; i < f->n_ep; i++) {
		if (f->inbox[i] == NULL)
			continue;
		while (rte_ring_dequeue(f->inbox[i], (void **)&m) == 0)
			dp_msg_free(m);
		rte_ring_free(f->inbox[i]);
	}
	rte_mempool_free(f->pool);
	rte_free(f);
}

unsigned
dp_fabric_n_endpoints(const struct dp_fabric *f)
{
	return f->n_ep;
}

unsigned
dp_ep_dlp(const struct dp_fabric *f, unsigned dlp_index)
{
	return 1u + f->n_io + dlp_index;
}

struct rte_ring *
dp_fabric_inbox(const struct dp_fabric *f, unsigned ep)
{
	return ep < f->n_ep ? f->inbox[ep] : NULL;
}

struct rte_mempool *
dp_fabric_pool(const struct dp_fabric *f)
{
	return f->pool;
}
