/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_fault.c — drop / duplicate / reorder injection (see dp_fault.h).
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>
#include <rte_malloc.h>

#include "dataplane/dp_fault.h"

struct held {
	struct rte_mbuf *m;
	uint32_t countdown; /* frames still to pass before release */
};

struct dp_fault {
	uint64_t s[4]; /* xoshiro256** state */
	uint64_t drop_thr, dup_thr, reorder_thr; /* rate * 2^64, 0 = off */
	struct rte_mempool *pool;
	struct dp_fault_stats st;
	unsigned n_held;
	struct held held[DP_FAULT_HOLD_MAX];
} __rte_cache_aligned;

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
rng_next(struct dp_fault *f)
{
	uint64_t *s = f->s;
	uint64_t r = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return r;
}

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t
rate_thr(double r)
{
	if (r <= 0.0)
		return 0;
	if (r >= 1.0)
		return UINT64_MAX;
	return (uint64_t)(r * 18446744073709551616.0);
}

struct dp_fault *
dp_fault_create(const struct dp_fault_params *p, int socket_id)
{
	struct dp_fault *f;
	uint64_t x = p->seed;

	if (!(p->drop >= 0.0 && p->drop <= 1.0) ||
	    !(p->duplicate >= 0.0 && p->duplicate <= 1.0) ||
	    !(p->reorder >= 0.0 && p->reorder <= 1.0)) {
		errno = EINVAL;
		return NULL;
	}
	f = rte_zmalloc_socket("dp_fault", sizeof(*f), RTE_CACHE_LINE_SIZE, socket_id);
	if (f == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	for (int i = 0; i < 4; i++)
		f->s[i] = splitmix(&x);
	f->drop_thr = rate_thr(p->drop);
	f->dup_thr = rate_thr(p->duplicate);
	f->reorder_thr = rate_thr(p->reorder);
	f->pool = p->pool;
	return f;
}

void
dp_fault_destroy(struct dp_fault *f)
{
	if (f == NULL)
		return;
	for (unsigned i = 0; i < f->n_held; i++)
		rte_pktmbuf_free(f->held[i].m);
	rte_free(f);
}

int
dp_fault_active(const struct dp_fault *f)
{
	return f != NULL && (f->drop_thr | f->dup_thr | f->reorder_thr) != 0;
}

static inline int
chance(struct dp_fault *f, uint64_t thr)
{
	return thr != 0 && rng_next(f) < thr;
}

/* One frame passed: count down the held frames, release the due ones. */
static inline uint16_t
tick_held(struct dp_fault *f, struct rte_mbuf **out)
{
	uint16_t k = 0;
	unsigned j = 0;

	for (unsigned i = 0; i < f->n_held; i++) {
		if (--f->held[i].countdown == 0)
			out[k++] = f->held[i].m;
		else
			f->held[j++] = f->held[i];
	}
	f->n_held = j;
	return k;
}

uint16_t
dp_fault_apply(struct dp_fault *f, struct rte_mbuf **in, uint16_t n,
	       struct rte_mbuf **out)
{
	uint16_t k = 0;

	for (uint16_t i = 0; i < n; i++) {
		struct rte_mbuf *m = in[i];

		f->st.seen++;
		if (chance(f, f->drop_thr)) {
			f->st.dropped++;
			rte_pktmbuf_free(m);
			continue;
		}
		if (chance(f, f->reorder_thr) && f->n_held < DP_FAULT_HOLD_MAX) {
			f->st.reordered++;
			f->held[f->n_held].m = m;
			f->held[f->n_held].countdown = 1 + (uint32_t)(rng_next(f) % 3);
			f->n_held++;
			continue;
		}
		out[k++] = m;
		if (chance(f, f->dup_thr)) {
			struct rte_mbuf *d = rte_pktmbuf_copy(m, f->pool ? f->pool : m->pool,
							      0, UINT32_MAX);
			if (d != NULL) {
				f->st.duplicated++;
				out[k++] = d;
			} else {
				f->st.dup_failed++;
			}
		}
		k += tick_held(f, out + k);
	}
	return k;
}

uint16_t
dp_fault_flush(struct dp_fault *f, struct rte_mbuf **out)
{
	uint16_t k = 0;

	for (unsigned i = 0; i < f->n_held; i++)
		out[k++] = f->held[i].m;
	f->n_held = 0;
	return k;
}

void
dp_fault_get_stats(const struct dp_fault *f, struct dp_fault_stats *st)
{
	*st = f->st;
}

int
dp_fault_dir_parse(const char *s, enum dp_fault_dir *dir)
{
	if (strcmp(s, "rx") == 0)
		*dir = DP_FAULT_RX;
	else if (strcmp(s, "tx") == 0)
		*dir = DP_FAULT_TX;
	else if (strcmp(s, "both") == 0)
		*dir = DP_FAULT_BOTH;
	else if (strcmp(s, "none") == 0)
		*dir = DP_FAULT_NONE;
	else
		return -EINVAL;
	return 0;
}
