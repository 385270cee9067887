/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_priv.h — internal structures shared by the tcpstack modules: the
 * per-lcore struct tcp_stack, struct tcp_conn, the ARP cache, the timer
 * wheel and the prototypes the modules call on each other. Not installed;
 * the public API is tcp_stack.h.
 */
#ifndef SMTPDLP_TCP_PRIV_H
#define SMTPDLP_TCP_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_ip.h>
#include <rte_ip_frag.h>
#include <rte_mbuf.h>
#include <rte_tcp.h>

#include "tcpstack/tcp_stack.h"

/* Sequence-number arithmetic (RFC 9293 §3.4), modulo 2^32. */
#define SEQ_LT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) <= 0)
#define SEQ_GT(a, b)  ((int32_t)((uint32_t)(a) - (uint32_t)(b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((uint32_t)(a) - (uint32_t)(b)) >= 0)
#define SEQ_MAX(a, b) (SEQ_GT(a, b) ? (a) : (b))
#define SEQ_MIN(a, b) (SEQ_LT(a, b) ? (a) : (b))

#define TCP_HDR_MAX      60   /* TCP header with 40 bytes of options */
#define TCP_FRAME_HDRS   (RTE_ETHER_HDR_LEN + 20 + TCP_HDR_MAX)
#define TCP_OOO_MAX      8    /* out-of-order blocks held per connection */
#define TCP_SACK_MAX     8    /* peer SACK scoreboard blocks */
#define TCP_OOO_SEGS_MAX 256  /* segments chained in one out-of-order block */
#define TCP_WHEEL_SLOTS  4096 /* 1 ms ticks */
#define TCP_TX_BURST     32
#define TCP_FREE_BURST   64
#define TCP_ARP_SLOTS    256  /* power of two */
#define TCP_ARP_PROBE    8
#define TCP_ARP_QMAX     16   /* cap of arp_queue_max */
#define TCP_TIMER_BUDGET 512  /* connections handled per tcp_stack_timers() */
#define TCP_DEFAULT_MSS  536
/* Quick ACKs (each full-sized segment ACKed at the end of its burst) at the
 * start of a connection and after a hole filled, while the peer's window
 * is growing from slow start or recovery (Linux: TCP_MAX_QUICKACKS). */
#define TCP_QUICKACKS    16
/* Receive-buffer budget against the mempool: with fewer than 1/4 of the
 * mbufs free no connection is offered new window; with fewer than 1/16
 * free, arriving data is freed at once (and ACKed for what is held) so
 * that ACKs, headers and the NIC's refills still find mbufs. */
#define TCP_POOL_LOW_DIV     4
#define TCP_POOL_RESERVE_DIV 16
/* ol_flags that describe the buffer, not the packet: never clear them
 * (an indirect or external mbuf with them cleared is freed wrongly). */
#define TCP_MBUF_F_KEEP  (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)

/* TCP header flags */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04
#define TH_PSH 0x08
#define TH_ACK 0x10
#define TH_URG 0x20

/* struct tcp_conn.flags */
#define TCPF_ACK_NOW     (1u << 0)  /* send an ACK at the end of the batch */
#define TCPF_DELACK      (1u << 1)  /* an ACK is owed (delayed) */
#define TCPF_PENDING     (1u << 2)  /* on the stack's pending-output list */
#define TCPF_DEAD        (1u << 3)  /* closed; freed at the end of the batch */
#define TCPF_FIN_QUEUED  (1u << 4)  /* app asked for FIN after the queue */
#define TCPF_FIN_SENT    (1u << 5)
#define TCPF_USER_CLOSED (1u << 6)  /* tcp_close(): no callbacks but closed() */
#define TCPF_SACK_OK     (1u << 7)
#define TCPF_TS_OK       (1u << 8)
#define TCPF_WS_OK       (1u << 9)
#define TCPF_IN_RECOVERY (1u << 10)
#define TCPF_PASSIVE     (1u << 11)
#define TCPF_SRC_COUNTED (1u << 12) /* counted in the per-source table */
#define TCPF_NOTIFIED    (1u << 13) /* closed() already called */
#define TCPF_PEER_FIN    (1u << 14)
#define TCPF_PERSIST     (1u << 15) /* rexmit timer is the persist timer */
#define TCPF_RTT_TIMING  (1u << 16) /* rtt_seq valid (no timestamps) */
#define TCPF_WRITABLE_WAIT (1u << 17) /* app saw a full buffer */
#define TCPF_BACKLOG     (1u << 18) /* counted in the SYN backlog */
#define TCPF_ON_WHEEL    (1u << 19)
#define TCPF_APP_KNOWS   (1u << 20) /* accepted()/tcp_connect(): closed() owed */
#define TCPF_SYN_ACKED   (1u << 21) /* handshake completed once */
#define TCPF_TLP         (1u << 22) /* rexmit timer is a tail loss probe */
#define TCPF_TLP_SENT    (1u << 23) /* one probe out until an ACK advances */
#define TCPF_RTO_UNDO    (1u << 24) /* first RTO of an episode: may be undone */
#define TCPF_FIN_OOO     (1u << 25) /* peer FIN held beyond a hole, at fin_seq */
#define TCPF_ARP_WAIT    (1u << 26) /* SYN dropped by a full ARP queue: resent on resolution */

struct tcp_ooo {
	uint32_t seq, len;
	struct rte_mbuf *head, *tail;
};

struct tcp_sack_blk {
	uint32_t start, end;
};

/* Congestion-control private state (one union for all controllers). */
union tcp_cc_state {
	struct {
		uint32_t acked_bytes; /* congestion-avoidance byte counter */
	} reno;
	struct {
		uint64_t epoch_ms;    /* start of the current epoch, 0 = none */
		uint32_t w_max;       /* bytes */
		uint32_t k_ms;
		uint32_t origin;      /* bytes */
		uint32_t tcp_cwnd;    /* Reno-friendly estimate, bytes */
		uint32_t acked_bytes;
	} cubic;
};

struct tcp_cc_ops {
	const char *name;
	void (*init)(struct tcp_conn *c);
	/* New data acked outside recovery: grow cwnd. */
	void (*on_ack)(struct tcp_conn *c, uint32_t acked);
	/* Loss detected (fast retransmit or RTO): return the new ssthresh. */
	uint32_t (*ssthresh)(struct tcp_conn *c);
	/* Recovery ended with a full ACK. */
	void (*on_recovery_end)(struct tcp_conn *c);
};

extern const struct tcp_cc_ops tcp_cc_newreno;
extern const struct tcp_cc_ops tcp_cc_cubic;

struct tcp_conn {
	/* identity and lookup, first cache line */
	struct tcp_stack *stack;
	const struct tcp_callbacks *cb;
	void *ctx;
	uint32_t lip, rip;            /* host order */
	uint16_t lport, rport;
	uint8_t state;                /* enum tcp_state */
	uint8_t iface;
	uint8_t snd_wscale, rcv_wscale;
	uint32_t flags;
	uint32_t nh_ip;               /* next hop for our frames */
	struct tcp_conn *pend_next;   /* pending output / dead list */

	/* send side */
	uint32_t iss, snd_una, snd_nxt, snd_max;
	uint32_t snd_wnd, snd_wl1, snd_wl2, max_snd_wnd;
	uint32_t cwnd, ssthresh, recover, rexmit_nxt;
	uint32_t sq_len;              /* bytes in the send queue from snd_una */
	uint32_t sq_off;              /* bytes of sq_head already acked */
	struct rte_mbuf *sq_head, *sq_tail; /* segments linked by ->next */
	struct rte_mbuf *copy_tail;   /* our own tail segment tcp_send_copy fills */
	struct rte_mbuf *sq_cur;      /* send-queue cursor: last segment used */
	uint32_t sq_cur_seq;          /* sequence number of sq_cur's first byte */
	uint16_t mss;                 /* effective send MSS (payload) */
	uint16_t peer_mss;
	uint16_t dupacks;
	uint8_t n_sacked;
	uint8_t backoff;
	struct tcp_sack_blk sacked[TCP_SACK_MAX];
	uint32_t sacked_bytes, high_sacked;

	/* receive side */
	uint32_t irs, rcv_nxt, rcv_adv; /* rcv_adv: right edge advertised */
	uint32_t rcv_held;            /* delivered, not released by the app */
	uint32_t ooo_bytes;
	uint32_t last_ack_sent;
	uint16_t rcv_mss;             /* what we announced */
	uint8_t n_ooo, ooo_last;      /* ooo_last: most recently changed block */
	uint8_t segs_unacked;
	uint8_t retries;
	uint8_t keep_probes;
	uint8_t quickack;             /* full segments still ACKed one by one */
	struct tcp_ooo ooo[TCP_OOO_MAX];

	/* timestamps, RTT */
	uint32_t ts_recent, ts_offset;
	uint64_t ts_recent_ms;        /* when ts_recent was set */
	uint32_t srtt_us, rttvar_us, rto_us;
	uint32_t rtt_seq;
	uint64_t rtt_start_us;
	uint32_t retransmits;
	uint32_t rto_tsval;           /* our TSval when the RTO fired (Eifel) */
	uint32_t fin_seq;             /* sequence number of a held peer FIN */
	uint32_t undo_cwnd, undo_ssthresh;

	/* timers: absolute ms deadlines of the stack clock, 0 = off */
	uint64_t t_rexmit, t_delack, t_keep;
	uint64_t wheel_ms;            /* when the wheel entry fires */
	struct tcp_conn *w_next, *w_prev;
	uint16_t w_slot;              /* wheel list holding it, if ON_WHEEL */
	uint64_t last_rx_ms;

	union tcp_cc_state cc;
} __rte_cache_aligned;

struct tcp_listener {
	uint32_t ip;
	uint16_t port;
	bool used;
	const struct tcp_callbacks *cb;
	void *ctx;
};

struct tcp_arp_entry {
	uint32_t ip;                  /* 0 = free */
	uint8_t state;                /* TCP_ARP_* */
	uint8_t iface;
	uint8_t tries;
	uint8_t syn_wait;             /* a frame was dropped: kick TCPF_ARP_WAIT opens */
	uint16_t n_queued;
	struct rte_ether_addr mac;
	uint64_t expire_ms;           /* resolved: expiry; pending: next retry */
	struct rte_mbuf *q[TCP_ARP_QMAX]; /* frames waiting for resolution */
};

enum { TCP_ARP_FREE = 0, TCP_ARP_PENDING, TCP_ARP_RESOLVED };

struct tcp_iface {
	struct tcp_iface_params p;
	uint32_t mask;                /* host order */
	uint16_t mss;                 /* mtu - 40 */
	uint16_t n_tx;
	struct rte_mbuf *tx[TCP_TX_BURST];
};

struct tcp_stack {
	/* configuration (resolved defaults) */
	struct tcp_stack_params p;
	struct tcp_iface ifaces[TCP_MAX_IFACES];
	unsigned n_ifaces;
	const struct tcp_cc_ops *cc;
	uint64_t tsc_per_us;
	uint64_t us_per_tsc_q56;      /* 2^56 / tsc_per_us */
	uint64_t key[2];              /* SipHash key */

	uint64_t now_us, now_ms;
	int batch_depth;
	bool started;                 /* gratuitous ARP sent */

	/* connections */
	struct tcp_conn *conns;
	struct tcp_conn *free_conns;
	uint32_t n_used, n_backlog;
	struct rte_hash *conn_hash, *src_hash;
	struct tcp_listener listeners[TCP_MAX_LISTENERS];
	struct tcp_conn *pend_head;
	struct tcp_conn *dead_head;
	uint64_t reass_bytes;
	uint64_t cookie_mode_ms;      /* last time cookies were sent */
	uint32_t ephemeral_next;

	/* timers */
	struct tcp_conn *wheel[TCP_WHEEL_SLOTS + 1]; /* + the list being run */
	uint64_t wheel_cursor;        /* next ms tick to process */
	uint64_t next_arp_scan_ms, next_frag_scan_ms;

	/* rate limits */
	uint64_t icmp_sec, chack_sec;
	uint32_t icmp_count, chack_count;

	/* ARP, fragments */
	struct tcp_arp_entry arp[TCP_ARP_SLOTS];
	struct rte_ip_frag_tbl *frag_tbl;
	struct rte_ip_frag_death_row frag_dr;

	/* mbuf budget: the pool's free count, read once per input burst and
	 * timer run (rte_mempool_avail_count walks the per-lcore caches) */
	uint32_t pool_low;            /* below: no receive window is opened */
	uint32_t pool_reserve;        /* below: arriving data is not held */
	bool pool_tight, pool_dry;
	uint64_t pool_check_us;       /* last reading */

	/* batched frees */
	uint16_t n_free;
	struct rte_mbuf *free_buf[TCP_FREE_BURST];

	struct tcp_stack_counters cnt;
} __rte_cache_aligned;

/* ---- tcp_siphash.c */
uint64_t tcp_siphash(const uint64_t key[2], const void *data, size_t len);

/* ---- tcp_stack.c */
void tcp_mbuf_free(struct tcp_stack *s, struct rte_mbuf *m);
void tcp_mbuf_free_flush(struct tcp_stack *s);
/* Queue a complete frame for tx on iface; consumes m. */
void tcp_iface_tx(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m);
void tcp_tx_flush(struct tcp_stack *s);
void tcp_batch_begin(struct tcp_stack *s);
void tcp_batch_end(struct tcp_stack *s);
int tcp_iface_by_ip(const struct tcp_stack *s, uint32_t ip);
int tcp_route(const struct tcp_stack *s, uint32_t dst, uint32_t *nh);
void tcp_timer_update(struct tcp_conn *c);
void tcp_pool_check(struct tcp_stack *s);
bool tcp_rate_ok(struct tcp_stack *s, uint64_t *sec, uint32_t *count,
		 uint32_t limit);
/* Remove n bytes from the front of a chain; may return a new head or NULL. */
struct rte_mbuf *tcp_mbuf_adj(struct tcp_stack *s, struct rte_mbuf *m,
			      uint32_t n);
/* Cut a chain to len bytes, freeing the rest. */
void tcp_mbuf_trim_to(struct tcp_stack *s, struct rte_mbuf *m, uint32_t len);

/* ---- tcp_arp.c */
void tcp_arp_input(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m);
/* Send an IPv4 frame (Ethernet header space reserved, L3 filled) to nh.
 * Consumes m. */
void tcp_arp_output(struct tcp_stack *s, unsigned iface, uint32_t nh,
		    struct rte_mbuf *m);
void tcp_arp_timers(struct tcp_stack *s);
void tcp_arp_gratuitous(struct tcp_stack *s, unsigned iface);
void tcp_arp_destroy(struct tcp_stack *s);

/* ---- tcp_ip.c */
void tcp_ipv4_input(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m);
/* Finish IPv4 header + L4 checksum of a frame whose Ethernet/IP/L4 headers
 * are in the first segment (l2_len/l3_len set), and route it. Consumes m. */
/* Internet checksum over len bytes of a chain from offset off, folded to 16
 * bits (not complemented). Segments may have any length. -1 when off+len
 * runs past the chain. Replaces rte_raw_cksum_mbuf(), which in DPDK 22.11
 * truncates a segment's partial sum before byte-swapping it when the
 * segment starts at an odd offset (wrong checksums for chains with
 * odd-length segments). */
int tcp_cksum_raw_mbuf(const struct rte_mbuf *m, uint32_t off, uint32_t len, uint16_t *cksum);

/* TCP/UDP checksum over IPv4 of a chain (l4_off: start of the L4 header):
 * the value to store (0 is sent as 0xffff). */
uint16_t tcp_cksum_l4(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off);

/* 0 when the L4 checksum of a received chain is correct. */
int tcp_cksum_l4_verify(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, uint32_t l4_off);

void tcp_ipv4_output(struct tcp_stack *s, unsigned iface, uint32_t nh,
		     struct rte_mbuf *m);
/* The same for a TCP frame whose payload's sum the caller already has
 * (folded, not complemented, payload starting at an even offset of the
 * segment): only the header is summed here. payload_sum < 0: compute. */
void tcp_ipv4_output_sum(struct tcp_stack *s, unsigned iface, uint32_t nh,
			 struct rte_mbuf *m, int32_t payload_sum);

/* One's complement sum of len bytes at p, folded to 16 bits. */
uint16_t tcp_raw_sum(const void *p, uint32_t len);

/*
 * Send-queue mbufs carry the sum of their data while it is unchanged
 * (tcp_send_copy() computes it while the bytes are hot, tcp_send() when
 * the chain is queued), so a segment that covers whole mbufs needs no pass
 * over its payload in software. Kept in m->hash.fdir, which no TX path
 * reads; valid only for the data_off/data_len it was computed for, and set
 * afresh on every mbuf entering the queue, so nothing stale is trusted.
 */
static inline void
tcp_sq_sum_set(struct rte_mbuf *m, uint16_t sum)
{
	m->hash.fdir.hi = (uint32_t)m->data_off | (uint32_t)m->data_len << 16;
	m->hash.fdir.lo = 0x10000u | sum;
}

static inline bool
tcp_sq_sum_get(const struct rte_mbuf *m, uint16_t *sum)
{
	if ((m->hash.fdir.lo >> 16) != 1 ||
	    m->hash.fdir.hi != ((uint32_t)m->data_off | (uint32_t)m->data_len << 16))
		return false;
	*sum = (uint16_t)m->hash.fdir.lo;
	return true;
}

static inline void
tcp_sq_sum_clear(struct rte_mbuf *m)
{
	m->hash.fdir.lo = 0;
}

/* a + b in one's complement, 16 bits; b byte-swapped when its bytes sit at
 * odd positions of the sum a belongs to */
static inline uint16_t
tcp_sum_add(uint16_t a, uint16_t b, bool odd)
{
	uint32_t t = (uint32_t)a + (odd ? rte_bswap16(b) : b);

	return (uint16_t)((t & 0xffff) + (t >> 16));
}
void tcp_icmp_unreach(struct tcp_stack *s, unsigned iface,
		      struct rte_mbuf *m, uint8_t code);

/* ---- tcp_input.c */
void tcp_input(struct tcp_stack *s, unsigned iface, struct rte_mbuf *m);

/* ---- tcp_output.c */
void tcp_output(struct tcp_conn *c);
int tcp_send_syn(struct tcp_conn *c);
void tcp_send_ack(struct tcp_conn *c);
void tcp_send_probe(struct tcp_conn *c); /* seq snd_una-1, no data */
/* Stateless reply (RST, cookie SYN-ACK); seq/ack host order. */
void tcp_send_raw(struct tcp_stack *s, unsigned iface, uint32_t lip,
		  uint16_t lport, uint32_t rip, uint16_t rport, uint32_t seq,
		  uint32_t ack, uint8_t flags, uint16_t win,
		  const uint8_t *opts, uint8_t optlen);
void tcp_rexmit_timeout(struct tcp_conn *c);
uint32_t tcp_rcv_window(const struct tcp_conn *c);
uint8_t tcp_build_opts(const struct tcp_conn *c, uint8_t *o, bool syn);
void tcp_sq_free_acked(struct tcp_conn *c, uint32_t acked);
void tcp_sq_free_all(struct tcp_conn *c);
uint32_t tcp_ts_now(const struct tcp_conn *c);

/* ---- tcp_conn.c */
struct tcp_conn *tcp_conn_lookup(struct tcp_stack *s, uint32_t lip,
				 uint16_t lport, uint32_t rip, uint16_t rport);
struct tcp_conn *tcp_conn_alloc(struct tcp_stack *s, unsigned iface,
				uint32_t lip, uint16_t lport, uint32_t rip,
				uint16_t rport);
const struct tcp_listener *tcp_listener_find(const struct tcp_stack *s,
					     uint32_t ip, uint16_t port);
void tcp_conn_set_state(struct tcp_conn *c, enum tcp_state st);
/* End the connection: callbacks, state CLOSED, freed at batch end. */
void tcp_conn_drop(struct tcp_conn *c, enum tcp_close_reason why);
/* Connection fully closed from the application's view. */
void tcp_conn_notify_closed(struct tcp_conn *c, enum tcp_close_reason why);
void tcp_conn_free_dead(struct tcp_stack *s);
void tcp_conn_mark_pending(struct tcp_conn *c);
int tcp_src_count(struct tcp_stack *s, uint32_t rip, int delta);
uint32_t tcp_isn(const struct tcp_stack *s, uint32_t lip, uint16_t lport,
		 uint32_t rip, uint16_t rport);
void tcp_conn_init_rtt(struct tcp_conn *c);
void tcp_ooo_free(struct tcp_conn *c);
void tcp_conn_timers_fire(struct tcp_conn *c);

/* ---- tcp_syncookie.c */
uint32_t tcp_cookie_make(struct tcp_stack *s, uint32_t lip, uint16_t lport,
			 uint32_t rip, uint16_t rport, uint32_t peer_isn,
			 uint16_t mss, uint16_t *mss_used);
/* 0 and *mss when ack-1 is a valid cookie, else -1. */
int tcp_cookie_check(struct tcp_stack *s, uint32_t lip, uint16_t lport,
		     uint32_t rip, uint16_t rport, uint32_t peer_isn,
		     uint32_t cookie, uint16_t *mss);
/* Encode/decode wscale+SACK in the low bits of a cookie TSval. */
uint32_t tcp_cookie_tsval(uint32_t ts_now, uint8_t wscale, bool sack);
bool tcp_cookie_ts_decode(uint32_t tsecr, uint8_t *wscale, bool *sack);

static inline uint32_t
u32_min(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static inline uint32_t
u32_max(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static inline struct tcp_iface *
tcp_conn_iface(const struct tcp_conn *c)
{
	return &c->stack->ifaces[c->iface];
}

#endif /* SMTPDLP_TCP_PRIV_H */
