/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_fault.h — per-port, per-queue fault injection for tests.
 *
 * The kernel in the lab has no netem, so loss, duplication and reordering are
 * injected by the dataplane itself, from cfg.dataplane.fault. Each io lcore
 * owns one struct dp_fault per (port, queue) and direction; nothing is
 * shared. Rates are probabilities per frame, applied independently:
 *
 *   drop       the frame is freed and counted;
 *   duplicate  a deep copy (rte_pktmbuf_copy) follows the frame;
 *   reorder    the frame is held back and released after 1..3 later frames
 *              of the same queue and direction, or by dp_fault_flush() (the
 *              loop calls it on its TSC drain tick, so a held frame is never
 *              stuck for more than one drain period when traffic stops).
 *
 * Direction: DP_FAULT_RX applies the rates to frames just received (before
 * steering and the stack), DP_FAULT_TX to frames the stack sends (before the
 * tx buffer); DP_FAULT_BOTH uses two instances, one per direction, so a rate
 * of 2% drop loses ~2% of the frames each way.
 *
 * The RNG is a seeded xoshiro256**, so a run is repeatable for a given seed
 * and a given frame order.
 */
#ifndef SMTPDLP_DP_FAULT_H
#define SMTPDLP_DP_FAULT_H

#include <stdint.h>

#include <rte_mbuf.h>

enum dp_fault_dir {
	DP_FAULT_NONE = 0,
	DP_FAULT_RX = 1,
	DP_FAULT_TX = 2,
	DP_FAULT_BOTH = 3,
};

#define DP_FAULT_HOLD_MAX 16 /* frames held for reordering at once */

struct dp_fault_params {
	double drop, duplicate, reorder; /* 0..1 each */
	uint64_t seed;
	struct rte_mempool *pool; /* for duplicates; NULL: use the frame's pool */
};

struct dp_fault_stats {
	uint64_t seen, dropped, duplicated, reordered, dup_failed;
};

struct dp_fault;

/* NULL + errno (EINVAL for a rate outside 0..1, ENOMEM). */
struct dp_fault *dp_fault_create(const struct dp_fault_params *p, int socket_id);
void dp_fault_destroy(struct dp_fault *f); /* frees held frames; NULL no-op */

/* True if any rate is non-zero (the loop skips inactive instances). */
int dp_fault_active(const struct dp_fault *f);

/*
 * Apply the faults to a burst. Consumes in[0..n); writes the frames to pass
 * on to out[] and returns their count. out must have room for
 * 2 * n + DP_FAULT_HOLD_MAX entries (duplicates and released held frames).
 * in and out must not overlap.
 */
uint16_t dp_fault_apply(struct dp_fault *f, struct rte_mbuf **in, uint16_t n,
			struct rte_mbuf **out);

/* Release every held frame into out (room DP_FAULT_HOLD_MAX); returns the
 * count. The caller owns them. */
uint16_t dp_fault_flush(struct dp_fault *f, struct rte_mbuf **out);

void dp_fault_get_stats(const struct dp_fault *f, struct dp_fault_stats *st);

/* Parse "rx", "tx", "both" or "none"; -EINVAL otherwise. */
int dp_fault_dir_parse(const char *s, enum dp_fault_dir *dir);

#endif /* SMTPDLP_DP_FAULT_H */
