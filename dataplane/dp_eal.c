/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_eal.c — EAL argv from the config, port lookup, packet pools.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "dataplane/dp_eal.h"

int
dp_eal_init(const struct cfg_dataplane *dp, const char *prog, char *const *extra,
	    int n_extra)
{
	char *argv[DP_EAL_MAX_ARGS + 1];
	int argc = 0;
	int ret;

	argv[argc++] = (char *)(prog ? prog : "smtpdlp");
	for (size_t i = 0; dp != NULL && i < dp->n_eal; i++) {
		if (argc >= DP_EAL_MAX_ARGS)
			return -E2BIG;
		argv[argc++] = dp->eal[i];
	}
	for (size_t i = 0; dp != NULL && i < dp->n_ports; i++) {
		const char *dev = dp->ports[i].device;
		if (argc + 2 > DP_EAL_MAX_ARGS)
			return -E2BIG;
		argv[argc++] = (char *)(strncmp(dev, "net_", 4) == 0 ? "--vdev" : "-a");
		argv[argc++] = (char *)dev;
	}
	for (int i = 0; i < n_extra; i++) {
		if (argc >= DP_EAL_MAX_ARGS)
			return -E2BIG;
		argv[argc++] = extra[i];
	}
	argv[argc] = NULL;
	ret = rte_eal_init(argc, argv);
	if (ret < 0)
		return -(rte_errno ? rte_errno : EINVAL);
	return 0;
}

int
dp_eal_port_id(const char *device)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	size_t len = strcspn(device, ",");
	uint16_t pid;

	if (len >= sizeof(name))
		return -ENAMETOOLONG;
	memcpy(name, device, len);
	name[len] = '\0';
	if (rte_eth_dev_get_port_by_name(name, &pid) != 0)
		return -ENODEV;
	return pid;
}

struct rte_mempool *
dp_eal_pktpool(const char *name, unsigned n, int socket_id)
{
	struct rte_mempool *mp;

	mp = rte_pktmbuf_pool_create(name, n ? n : 16384, 256, 0,
				     RTE_MBUF_DEFAULT_BUF_SIZE, socket_id);
	if (mp == NULL)
		errno = rte_errno ? rte_errno : ENOMEM;
	return mp;
}

void
dp_eal_fini(void)
{
	rte_eal_cleanup();
}
