/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_stack.h — public API of the per-lcore userspace Ethernet/ARP/IPv4/
 * ICMP/TCP stack over DPDK mbufs.
 *
 * One struct tcp_stack per io lcore, shared-nothing: no locks, no globals.
 * Every function taking a stack or a connection must be called from the
 * lcore that owns the stack. The dataplane drives it with a fixed loop:
 *
 *     n = rte_eth_rx_burst(...)            (plus frames steered from rings)
 *     tcp_stack_input(stack, pkts, n);     consumes the frames, runs callbacks
 *     ... application work (ring messages) may call tcp_send*() etc.
 *     tcp_stack_timers(stack, tcp_stack_now(stack));  bounded work + flush
 *     ... tx() has been handed frames; the dataplane flushes its tx buffer
 *         to the NIC on its own TSC timeout
 *
 * Frames reach tx() at the end of tcp_stack_input(), tcp_stack_timers(),
 * tcp_stack_flush(), and at the end of any API call made outside those
 * (tcp_send() from a ring handler sends at once). Inside callbacks output is
 * batched: one ACK per connection per burst, data piggybacked on it.
 *
 * The stack never blocks and never allocates on the fast path besides mbufs
 * from the mempool given at creation. Connections come from a preallocated
 * pool. Application callbacks run from inside tcp_stack_input() and
 * tcp_stack_timers(); from a callback the application may call tcp_send*,
 * tcp_shutdown, tcp_close, tcp_abort, tcp_recv_done and tcp_connect on any
 * connection of the stack. A struct tcp_conn stays valid until its closed()
 * callback has returned; closed() is called exactly once for every
 * connection the application was given (accepted() returned 0, or
 * tcp_connect() returned it).
 *
 * Addresses and ports in this API are in host byte order.
 *
 * Frames and steering: TCP frames must reach the lcore owning the flow; use
 * tcp_flow_hash()/tcp_frame_flow_hash() (symmetric in source/destination).
 * ARP frames should be given to every stack of the port (each stack keeps
 * its own ARP cache); set arp_quiet on all stacks but one so that only one
 * answers requests and announces the address. ICMP and other non-TCP
 * frames go to any one stack (the one with arp_quiet false, say).
 *
 * Checksums: RX trusts RTE_MBUF_F_RX_IP_CKSUM_* / RTE_MBUF_F_RX_L4_CKSUM_*
 * when GOOD or BAD and verifies in software otherwise; TX sets
 * RTE_MBUF_F_TX_IPV4|IP_CKSUM|TCP_CKSUM (with l2_len/l3_len and the
 * pseudo-header sum) when the interface lists the offload, else computes
 * them. Data segments are chains (header mbuf + indirect mbufs on the send
 * buffer) when TCP_OFFLOAD_TX_MULTI_SEGS is set, else one copied mbuf (the
 * mempool's data room must then hold a full frame).
 */
#ifndef SMTPDLP_TCP_STACK_H
#define SMTPDLP_TCP_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tcp_stack;
struct tcp_conn;

/** Maximum interfaces (DPDK ports) one stack serves. */
#define TCP_MAX_IFACES 4
/** Maximum listening endpoints per stack. */
#define TCP_MAX_LISTENERS 16

/* ---------------------------------------------------------------- params */

/** Offload capabilities of a port (tcp_iface_params.offloads). */
#define TCP_OFFLOAD_RX_IPV4_CKSUM (1u << 0) /**< RX sets RTE_MBUF_F_RX_IP_CKSUM_* */
#define TCP_OFFLOAD_RX_TCP_CKSUM  (1u << 1) /**< RX sets RTE_MBUF_F_RX_L4_CKSUM_* */
#define TCP_OFFLOAD_TX_IPV4_CKSUM (1u << 2) /**< TX honours RTE_MBUF_F_TX_IP_CKSUM */
#define TCP_OFFLOAD_TX_TCP_CKSUM  (1u << 3) /**< TX honours RTE_MBUF_F_TX_TCP_CKSUM */
#define TCP_OFFLOAD_TX_MULTI_SEGS (1u << 4) /**< TX accepts mbuf chains */

/** One interface (a DPDK port with one IPv4 address). */
struct tcp_iface_params {
	uint16_t port_id;          /**< DPDK port id, passed back to tx() */
	struct rte_ether_addr mac; /**< our MAC */
	uint32_t ipv4;             /**< our address, host order */
	uint8_t prefix_len;        /**< on-link prefix, 0..32 */
	uint32_t gateway;          /**< next hop for off-link, host order; 0 = none */
	uint16_t mtu;              /**< IP MTU; 0 = 1500 */
	uint32_t offloads;         /**< TCP_OFFLOAD_* the port offers */
};

/** SYN cookie policy (matches config tcp.syn_cookies). */
enum tcp_syn_cookies {
	TCP_SYN_COOKIES_AUTO = 0, /**< only when the SYN backlog is full */
	TCP_SYN_COOKIES_ALWAYS,   /**< never keep state for a SYN */
	TCP_SYN_COOKIES_NEVER,    /**< drop SYNs when the backlog is full */
};

/**
 * Transmit a burst of complete Ethernet frames on port_id.
 * Consumes all n mbufs: what cannot be sent must be freed by the callee
 * (the dataplane buffers them and flushes on its own schedule).
 */
typedef void (*tcp_tx_fn)(void *tx_ctx, uint16_t port_id,
			  struct rte_mbuf **pkts, uint16_t n);

/** A clock in microseconds (monotonic). NULL in the params = TSC based. */
typedef uint64_t (*tcp_clock_fn)(void *clock_ctx);

/**
 * Source-port hook for active opens: return true when the 4-tuple
 * (local ip/port, remote ip/port, host order) would be steered back to
 * this stack's lcore. NULL = every port is acceptable.
 */
typedef bool (*tcp_port_ok_fn)(void *ctx, uint32_t lip, uint16_t lport,
			       uint32_t rip, uint16_t rport);

/**
 * Hand-off hook for reassembled IPv4 datagrams. Fragments carry no ports,
 * so they reach the lcore that owns the address pair; the whole datagram
 * belongs to the lcore that owns its 4-tuple. Offered every datagram this
 * stack reassembled (an Ethernet frame, a chain, header checksum valid,
 * no longer marked as a fragment) before it is processed here: return
 * true when the hook took m (and owns it), false to process it here.
 */
typedef bool (*tcp_reasm_fn)(void *ctx, struct rte_mbuf *m);

/**
 * Parameters of tcp_stack_create(). Zero in a limit selects the default
 * given in brackets. The struct is only read during tcp_stack_create().
 */
struct tcp_stack_params {
	const char *name;          /**< for logs and object names; may be NULL */
	unsigned lcore_id;         /**< owning lcore */
	int socket_id;             /**< NUMA socket for allocations (SOCKET_ID_ANY ok) */
	struct rte_mempool *pool;  /**< mbufs for generated frames (ACKs, headers, copies) */

	struct tcp_iface_params ifaces[TCP_MAX_IFACES];
	unsigned n_ifaces;         /**< 1..TCP_MAX_IFACES */

	/* TCP limits */
	uint32_t max_conns;        /**< connection pool size [4096] */
	uint32_t max_per_source;   /**< connections per remote IPv4 [256] */
	uint32_t syn_backlog;      /**< half-open connections [1024] */
	enum tcp_syn_cookies syn_cookies;
	uint32_t sndbuf;           /**< send buffer bytes per connection [65536] */
	uint32_t rcvbuf;           /**< receive window bytes per connection [65536] */
	uint32_t reass_per_conn;   /**< out-of-order bytes per connection [rcvbuf] */
	uint32_t reass_total;      /**< out-of-order bytes per stack [64 MiB] */

	/* TCP times, milliseconds */
	uint32_t msl_ms;           /**< TIME_WAIT lasts 2*msl_ms [30000] */
	uint32_t rto_min_ms;       /**< [200] */
	uint32_t rto_max_ms;       /**< [60000] */
	uint32_t rto_initial_ms;   /**< [1000] (RFC 6298) */
	uint32_t delack_ms;        /**< delayed-ACK timeout [40] */
	uint32_t syn_retries;      /**< SYN / SYN-ACK retransmissions [5] */
	uint32_t max_retries;      /**< data retransmissions before reset [12] */
	uint32_t keepalive_idle_ms;   /**< 0 = keepalive off [0] */
	uint32_t keepalive_intvl_ms;  /**< [75000] */
	uint32_t keepalive_probes;    /**< [9] */
	uint32_t challenge_ack_limit; /**< challenge ACKs per second [1000] */
	const char *cc;            /**< congestion control: "newreno" (default) or "cubic" */

	/* ARP, ICMP, fragments */
	uint32_t arp_timeout_ms;   /**< cache entry lifetime [300000] */
	uint32_t arp_retry_ms;     /**< resolution retry interval [1000] */
	uint32_t arp_retries;      /**< requests before giving up [3] */
	uint32_t arp_queue_max;    /**< frames queued per unresolved entry [16] */
	uint32_t icmp_rate_limit;  /**< ICMP errors per second [100] */
	uint32_t frag_max_flows;   /**< datagrams under reassembly [1024]; 0 still default */
	uint32_t frag_timeout_ms;  /**< [2000] */
	bool arp_quiet;            /**< never answer ARP requests nor announce
				    *   (another stack of the port does) */

	tcp_tx_fn tx;              /**< required */
	void *tx_ctx;
	tcp_clock_fn clock;        /**< NULL = rte_get_tsc_cycles() based */
	void *clock_ctx;
	tcp_port_ok_fn port_ok;    /**< NULL = any source port */
	void *port_ok_ctx;
	tcp_reasm_fn reasm_handoff; /**< NULL = reassembled datagrams stay here */
	void *reasm_ctx;
	uint16_t ephemeral_min;    /**< active-open source ports [32768] */
	uint16_t ephemeral_max;    /**< [60999] */

	uint8_t secret[16];        /**< SipHash key for ISNs and cookies (must be random) */
};

/* -------------------------------------------------------------- counters */

/** Per-stack counters; plain uint64_t, read from the owning lcore or racy. */
struct tcp_stack_counters {
	/* Ethernet / ARP */
	uint64_t rx_frames, tx_frames;
	uint64_t drop_eth_short, drop_eth_type, drop_eth_dst;
	uint64_t arp_rx, arp_requests_tx, arp_replies_tx, arp_gratuitous_tx;
	uint64_t drop_arp_bad, drop_arp_queue_full, drop_arp_unresolved;
	/* IPv4 */
	uint64_t ip_rx, drop_ip_short, drop_ip_version, drop_ip_hdrlen,
		drop_ip_len, drop_ip_cksum, drop_ip_dst, drop_ip_proto;
	uint64_t frag_rx, frag_reassembled, drop_frag;
	/* ICMP */
	uint64_t icmp_rx, icmp_echo_tx, icmp_unreach_tx, icmp_rate_limited,
		drop_icmp_bad;
	/* TCP */
	uint64_t tcp_rx, tcp_tx, drop_tcp_short, drop_tcp_cksum, drop_tcp_hdrlen,
		drop_tcp_no_conn, drop_tcp_bad_flags, drop_tcp_out_of_window,
		drop_tcp_paws, drop_tcp_old_ack, drop_tcp_ooo_limit,
		drop_tcp_state;
	uint64_t tcp_rst_tx, tcp_rst_rx, tcp_challenge_acks,
		tcp_challenge_ack_limited;
	uint64_t tcp_syn_rx, drop_syn_backlog, drop_syn_no_listener,
		drop_syn_per_source, drop_syn_no_conn;
	uint64_t syncookies_sent, syncookies_ok, syncookies_failed;
	uint64_t tcp_accepted, tcp_connected, tcp_closed, tcp_resets;
	uint64_t tcp_retransmits, tcp_fast_retransmits, tcp_rto_timeouts,
		tcp_sack_retransmits, tcp_zero_window_probes,
		tcp_keepalive_probes, tcp_delayed_acks, tcp_dup_acks_rx;
	uint64_t tcp_ooo_segments, tcp_timewait_reused;
	uint64_t tcp_tlp_probes;    /**< tail loss probes (RFC 8985) */
	uint64_t tcp_spurious_rto;  /**< RTOs undone by Eifel detection (RFC 3522/4015) */
	uint64_t drop_no_mbuf;      /**< mbuf allocation failures */
	uint64_t drop_tx_no_route;  /**< no interface/next hop for a destination */
	uint64_t timers_budget_hit; /**< tcp_stack_timers() stopped on its budget */
	uint64_t pool_tight;        /**< bursts/timer runs with < 1/4 of the pool free:
				     *   receive windows not opened, no out-of-order kept */
	uint64_t drop_tcp_pool_reserve; /**< data segments freed: < 1/16 of the pool free */
	uint64_t arp_syn_kicked;    /**< SYNs dropped by a full ARP queue, sent on resolution */
	uint64_t frag_handed_off;   /**< reassembled datagrams taken by reasm_handoff */
};

/* ------------------------------------------------------------ callbacks */

/** Why a connection ended (closed() callback). */
enum tcp_close_reason {
	TCP_CLOSE_NORMAL = 0, /**< both FINs exchanged and acknowledged */
	TCP_CLOSE_RESET,      /**< peer sent RST */
	TCP_CLOSE_ABORTED,    /**< local tcp_abort() */
	TCP_CLOSE_TIMEOUT,    /**< retransmissions / keepalive exhausted */
	TCP_CLOSE_REFUSED,    /**< active open answered with RST */
	TCP_CLOSE_UNREACHABLE,/**< ARP failed for the next hop */
	TCP_CLOSE_STACK_DESTROYED, /**< tcp_stack_destroy() */
};

/**
 * Application callbacks, all optional except recv. ctx is the
 * connection's user context (tcp_conn_set_ctx(), or the ctx given to
 * tcp_listen()/tcp_connect() until changed).
 */
struct tcp_callbacks {
	/**
	 * Passive open completed (3-way handshake done). Return 0 to keep the
	 * connection, negative to reset it (no closed() call follows then).
	 * Set the per-connection context with tcp_conn_set_ctx().
	 */
	int (*accepted)(struct tcp_conn *c, void *listen_ctx);
	/** Active open completed. */
	void (*connected)(struct tcp_conn *c, void *ctx);
	/**
	 * In-order bytes. Consumes m (a chain of len bytes, headers stripped,
	 * zero copy). The bytes count against the receive window until the
	 * application calls tcp_recv_done(c, n) — call it inside the callback
	 * when the data is consumed at once.
	 */
	void (*recv)(struct tcp_conn *c, void *ctx, struct rte_mbuf *m,
		     uint32_t len);
	/**
	 * ACKs freed send space after tcp_send() returned -ENOBUFS,
	 * tcp_send_copy() accepted less than offered, or a send left less
	 * than a quarter of the buffer free (space = tcp_send_space()).
	 * Called once per such event; refill from here.
	 */
	void (*writable)(struct tcp_conn *c, void *ctx, uint32_t space);
	/** Peer sent FIN: no more recv() calls. */
	void (*peer_fin)(struct tcp_conn *c, void *ctx);
	/**
	 * The connection is gone (its memory is reused once this returns).
	 * Always called exactly once for a connection that was accepted or
	 * passed to tcp_connect(), whatever the reason.
	 */
	void (*closed)(struct tcp_conn *c, void *ctx,
		       enum tcp_close_reason reason);
};

/* --------------------------------------------------------------- stack */

/**
 * Create a stack. Allocates the connection pool, hash tables, fragment
 * table from socket_id memory (EAL must be initialised).
 * Returns the stack, or NULL with rte_errno/errno set (EINVAL, ENOMEM).
 */
struct tcp_stack *tcp_stack_create(const struct tcp_stack_params *p);

/**
 * Destroy: every open connection gets closed(TCP_CLOSE_STACK_DESTROYED)
 * without frames sent, all held mbufs are freed. NULL is a no-op.
 */
void tcp_stack_destroy(struct tcp_stack *s);

/**
 * Process a burst of received Ethernet frames. Consumes all n mbufs (they
 * are freed, delivered to recv() callbacks, queued or reused for replies).
 * Frames generated in response go to the tx callback, batched.
 */
void tcp_stack_input(struct tcp_stack *s, struct rte_mbuf **pkts, uint16_t n);

/** Current time of the stack's clock, microseconds. */
uint64_t tcp_stack_now(const struct tcp_stack *s);

/**
 * Run due timers (retransmission, delayed ACK, persist, keepalive,
 * TIME_WAIT, ARP, fragments) up to a fixed budget per call (512
 * connections; the rest run on the next call, counted in
 * timers_budget_hit). The first call also sends the gratuitous ARPs.
 * now_us: tcp_stack_now(s) (or a later reading of the same clock).
 * Returns the number of timer events handled.
 */
unsigned tcp_stack_timers(struct tcp_stack *s, uint64_t now_us);

/**
 * Flush frames still held inside the stack (batched ACKs and data of
 * connections marked for output) to tx(). Not needed after the calls above;
 * useful before the dataplane drains its own tx buffer.
 */
void tcp_stack_flush(struct tcp_stack *s);

/** Counters; the pointer stays valid for the stack's lifetime. */
const struct tcp_stack_counters *tcp_stack_counters(const struct tcp_stack *s);

/** Open connections (all states except free), and the pool size. */
uint32_t tcp_stack_conn_count(const struct tcp_stack *s);

/** Bytes of stack state per connection (sizeof struct tcp_conn). */
size_t tcp_conn_state_size(void);

/* ------------------------------------------------------------ listen */

/**
 * Listen on ipv4:port (ipv4 0 = every interface address). cb->recv is
 * required. ctx is passed to accepted(). Returns 0, -EEXIST, -ENOSPC
 * (more than TCP_MAX_LISTENERS), -EINVAL.
 */
int tcp_listen(struct tcp_stack *s, uint32_t ipv4, uint16_t port,
	       const struct tcp_callbacks *cb, void *ctx);

/** Stop listening; established connections are not affected. 0 or -ENOENT. */
int tcp_unlisten(struct tcp_stack *s, uint32_t ipv4, uint16_t port);

/* ------------------------------------------------------------ connect */

/**
 * Active open from lip (0 = the address of the interface routing to rip)
 * to rip:rport. The source port comes from the ephemeral range, filtered by
 * the port_ok hook. cb is referenced, not copied (keep it alive).
 * Returns the connection in SYN_SENT (connected() or closed() follows), or
 * NULL with errno: ENETUNREACH (no route), EADDRNOTAVAIL (no source port),
 * ENOMEM (pool full), EINVAL.
 */
struct tcp_conn *tcp_connect(struct tcp_stack *s, uint32_t lip, uint32_t rip,
			     uint16_t rport, const struct tcp_callbacks *cb,
			     void *ctx);

/* -------------------------------------------------------------- data */

/**
 * Queue a chain for sending. Consumes m on success (returns 0); on error
 * the caller keeps m. Errors: -ENOBUFS (m's pkt_len exceeds
 * tcp_send_space()), -ENOTCONN (not yet established), -EPIPE (shut down).
 * The segments are transmitted by reference (indirect mbufs), so the
 * caller must not modify their data afterwards.
 */
int tcp_send(struct tcp_conn *c, struct rte_mbuf *m);

/**
 * Copy up to len bytes into the send buffer. Returns bytes accepted
 * (bounded by tcp_send_space(); may be 0) or a negative errno as above
 * (-ENOBUFS when the mempool is empty and nothing was accepted).
 */
ssize_t tcp_send_copy(struct tcp_conn *c, const void *buf, size_t len);

/** Bytes the send buffer accepts now. */
uint32_t tcp_send_space(const struct tcp_conn *c);

/** Release n received bytes back to the receive window (see recv()). */
void tcp_recv_done(struct tcp_conn *c, uint32_t n);

/* ------------------------------------------------------------- close */

/** Send FIN after queued data (half close). 0, -ENOTCONN or -EPIPE. */
int tcp_shutdown(struct tcp_conn *c);

/**
 * Close: FIN after queued data; no more callbacks except closed(). If the
 * connection has unreleased received data or later receives data, it is
 * reset (RFC 9293 §3.6). 0 or negative errno.
 */
int tcp_close(struct tcp_conn *c);

/** Abort: send RST, drop queued data; closed(TCP_CLOSE_ABORTED) follows. */
void tcp_abort(struct tcp_conn *c);

/* ------------------------------------------------------------- info */

/** RFC 9293 states. */
enum tcp_state {
	TCP_CLOSED = 0, TCP_LISTEN, TCP_SYN_SENT, TCP_SYN_RCVD, TCP_ESTABLISHED,
	TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CLOSE_WAIT, TCP_CLOSING,
	TCP_LAST_ACK, TCP_TIME_WAIT,
};

/** Name of a state, never NULL. */
const char *tcp_state_name(enum tcp_state st);
/** Name of a close reason, never NULL. */
const char *tcp_close_reason_name(enum tcp_close_reason r);

/** Snapshot of one connection. */
struct tcp_conn_info {
	enum tcp_state state;
	uint32_t lip, rip;         /**< host order */
	uint16_t lport, rport;
	uint32_t snd_una, snd_nxt, snd_wnd;   /**< snd_wnd: peer window, bytes */
	uint32_t rcv_nxt, rcv_wnd;            /**< rcv_wnd: advertised, bytes */
	uint32_t cwnd, ssthresh, mss;         /**< bytes */
	uint32_t srtt_us, rttvar_us, rto_ms;
	uint32_t retransmits;                 /**< total segments retransmitted */
	uint32_t snd_queued;                  /**< bytes in the send buffer */
	uint32_t ooo_bytes;                   /**< bytes held out of order */
	uint8_t snd_wscale, rcv_wscale;
	bool sack_ok, ts_ok;
};

/** Fill *info. Returns 0, or -EINVAL for NULL arguments. */
int tcp_conn_info(const struct tcp_conn *c, struct tcp_conn_info *info);

/** Per-connection user context. */
void tcp_conn_set_ctx(struct tcp_conn *c, void *ctx);
void *tcp_conn_ctx(const struct tcp_conn *c);

/** Replace the callbacks (e.g. an accepted connection's own set). */
void tcp_conn_set_callbacks(struct tcp_conn *c, const struct tcp_callbacks *cb);

/** The owning stack. */
struct tcp_stack *tcp_conn_stack(const struct tcp_conn *c);

/* ----------------------------------------------------------- steering */

/**
 * Flow hash, symmetric: tcp_flow_hash(a, pa, b, pb) == tcp_flow_hash(b, pb,
 * a, pa). Not keyed: use it for steering only.
 */
uint32_t tcp_flow_hash(uint32_t ip_a, uint16_t port_a, uint32_t ip_b,
		       uint16_t port_b);

/**
 * Hash of an Ethernet/IPv4/TCP frame with tcp_flow_hash(). Borrows m.
 * Returns 0 and *hash for TCP/IPv4; 1 and *hash = tcp_flow_hash(src, 0,
 * dst, 0) for IPv4 fragments (no ports visible: steer them all by address
 * pair to one lcore, or keep them local); -ENOENT for frames that are not
 * TCP/IPv4 (ARP, ICMP, UDP...); -EINVAL for truncated frames.
 */
int tcp_frame_flow_hash(const struct rte_mbuf *m, uint32_t *hash);

#ifdef __cplusplus
}
#endif

#endif /* SMTPDLP_TCP_STACK_H */
