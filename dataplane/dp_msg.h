/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dp_msg.h — messages between io lcores, dlp lcores and the control thread.
 *
 * Every message type the appliance passes between roles is defined here, in
 * this one header, so a reader can see the whole inter-lcore protocol at a
 * glance. Messages are fixed-size objects from an rte_mempool; each endpoint
 * (the control thread, every io lcore, every dlp lcore) owns one inbox: an
 * rte_ring, multi-producer / single-consumer, of struct dp_msg pointers.
 * Nobody takes a lock: the control plane talks to lcores by message only.
 *
 * Ownership: dp_msg_send() consumes the message on success (the receiver
 * frees it with dp_msg_free()); on failure (-ENOBUFS, inbox full) the caller
 * still owns it. Payload pointers (mbuf chains, verdicts, incidents) travel
 * with the message; the type documents who frees them.
 *
 * Frames steered to the lcore owning their flow do not use messages: they
 * travel as bare mbufs on the steering rings (dp_steer.h).
 */
#ifndef SMTPDLP_DP_MSG_H
#define SMTPDLP_DP_MSG_H

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_ring.h>

enum dp_msg_type {
	DP_MSG_NONE = 0,
	/* io -> dlp: a chunk of message bytes of one session (u.chunk).
	 * The chain is owned by the message; the dlp lcore frees it. */
	DP_MSG_SCAN_CHUNK,
	/* io -> dlp: end of the message data; the dlp lcore answers with
	 * DP_MSG_VERDICT (u.chunk.chain is NULL). */
	DP_MSG_SCAN_END,
	/* io -> dlp: the session went away; drop its scan state. */
	DP_MSG_SCAN_ABORT,
	/* dlp -> io: the verdict of one message (u.ptr: struct dlp_verdict *,
	 * owned by the message; the io lcore frees it with the DLP API). */
	DP_MSG_VERDICT,
	/* io/dlp -> control: an incident to store (u.ptr, owned by the
	 * message; the control thread frees it). */
	DP_MSG_INCIDENT,
	/* control -> io/dlp: a new policy snapshot (u.reload). The lcore
	 * switches at its next message boundary and answers DP_MSG_RELOAD_ACK
	 * so the control thread can free the old snapshot (RCU by message). */
	DP_MSG_RELOAD,
	DP_MSG_RELOAD_ACK,
	/* control -> lcore: copy your counters into u.ptr (owned by the
	 * control thread) and answer DP_MSG_STATS with the same pointer. */
	DP_MSG_STATS_REQ,
	DP_MSG_STATS,
	/* control -> io: stop accepting connections, finish or reset the
	 * flows, then leave the loop (graceful shutdown). */
	DP_MSG_DRAIN,
	/* control -> lcore: leave the loop now. */
	DP_MSG_QUIT,
	DP_MSG_TYPE_MAX
};

/* Endpoint numbering: 0 = control, 1..n_io = io lcores, then dlp lcores. */
#define DP_EP_CTRL 0u

struct dp_msg {
	uint16_t type;   /* enum dp_msg_type */
	uint16_t src;    /* sender endpoint */
	uint32_t flags;
	uint64_t session; /* session / flow id chosen by the io lcore */
	union {
		struct {
			struct rte_mbuf *chain; /* owned by the message */
			uint32_t off;           /* first byte in the chain */
			uint32_t len;           /* bytes from off */
			uint64_t seq;           /* byte offset in the message */
		} chunk;
		struct {
			void *snapshot;   /* new policy/config snapshot */
			uint64_t generation;
		} reload;
		void *ptr;
		uint64_t u64[4];
	} u;
} __rte_cache_aligned;

/* The inboxes of one process. Opaque. */
struct dp_fabric;

struct dp_fabric_params {
	unsigned n_io;        /* io lcores */
	unsigned n_dlp;       /* dlp lcores */
	unsigned ring_size;   /* per inbox, power of two; 0 = 4096 */
	unsigned n_msgs;      /* messages in the pool; 0 = 16384 */
	int socket_id;
	const char *name;     /* prefix for ring/pool names, unique per process */
};

/* NULL + errno on failure. */
struct dp_fabric *dp_fabric_create(const struct dp_fabric_params *p);
void dp_fabric_destroy(struct dp_fabric *f);

unsigned dp_fabric_n_endpoints(const struct dp_fabric *f);
static inline unsigned dp_ep_io(unsigned io_index) { return 1u + io_index; }
unsigned dp_ep_dlp(const struct dp_fabric *f, unsigned dlp_index);

/* The inbox ring of endpoint ep (for the owner's dequeue), NULL if none. */
struct rte_ring *dp_fabric_inbox(const struct dp_fabric *f, unsigned ep);
struct rte_mempool *dp_fabric_pool(const struct dp_fabric *f);

/* A zeroed message of `type` from the pool, or NULL when the pool is empty. */
static inline struct dp_msg *
dp_msg_alloc(struct rte_mempool *pool, uint16_t type, uint16_t src)
{
	void *obj;

	if (rte_mempool_get(pool, &obj) != 0)
		return NULL;
	struct dp_msg *m = obj;
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->src = src;
	return m;
}

/* Free a message and nothing it points to (payloads are the caller's). */
static inline void
dp_msg_free(struct dp_msg *m)
{
	if (m != NULL)
		rte_mempool_put(rte_mempool_from_obj(m), m);
}

/* Send to an inbox. Consumes m on 0; -ENOBUFS (inbox full) leaves it with
 * the caller, who decides to retry, fail the flow or drop. */
static inline int
dp_msg_send(struct rte_ring *inbox, struct dp_msg *m)
{
	return rte_ring_mp_enqueue(inbox, m) == 0 ? 0 : -ENOBUFS;
}

/* Dequeue up to n messages from the caller's own inbox; returns the count.
 * The caller owns the returned messages. */
static inline unsigned
dp_msg_recv_burst(struct rte_ring *inbox, struct dp_msg **msgs, unsigned n)
{
	return rte_ring_sc_dequeue_burst(inbox, (void **)msgs, n, NULL);
}

/* Name for logs; never NULL. */
const char *dp_msg_type_name(unsigned type);

#endif /* SMTPDLP_DP_MSG_H */
