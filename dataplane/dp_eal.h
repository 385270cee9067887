/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_eal.h — EAL initialisation and packet pools from cfg.dataplane.
 *
 * The EAL argv is built from the config: the program name, the `eal` list
 * verbatim (lcores, memory flags, --no-huge, --file-prefix ...), then one
 * device argument per port: `--vdev <device>` for virtual devices (names
 * starting with "net_": af_packet, tap, memif, ring, null) and `-a <device>`
 * for PCI addresses. After rte_eal_init() each port's DPDK port id is found
 * by its device name (the part before the first comma).
 */
#ifndef SMTPDLP_DP_EAL_H
#define SMTPDLP_DP_EAL_H

#include <stdint.h>

#include <rte_mempool.h>

#include "config/cfg.h"

#define DP_EAL_MAX_ARGS 128

/*
 * Build the argv and run rte_eal_init(). `extra`/`n_extra` are appended
 * (command-line overrides of tools; may be NULL/0). Returns 0 or -errno
 * (rte_errno of the EAL). Call once per process.
 */
int dp_eal_init(const struct cfg_dataplane *dp, const char *prog,
		char *const *extra, int n_extra);

/* The DPDK port id of cfg port `device` (e.g. "net_af_packet0,iface=x"),
 * or -ENODEV. */
int dp_eal_port_id(const char *device);

/* A packet pool of `n` mbufs (0 = 16384) on socket_id, data room for a
 * standard frame plus headroom. NULL + errno. */
struct rte_mempool *dp_eal_pktpool(const char *name, unsigned n, int socket_id);

/* rte_eal_cleanup() after the ports are closed. */
void dp_eal_fini(void);

#endif /* SMTPDLP_DP_EAL_H */
