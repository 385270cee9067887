/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtpdlp-tcpecho — a TCP test service on the dataplane and the userspace
 * stack, for the lab tests and the benchmarks.
 *
 *   server: listens on --listen PORT and runs --service echo|sink|source
 *           (protocol in tools/lab/tcpload.h) until --exit-after N
 *           connections have closed, --time S passed, or SIGINT/SIGTERM.
 *   client: opens --conns N concurrent connections to --connect IP:PORT,
 *           --total T in all (a new one starts when one ends), each moving
 *           --bytes M per direction with every byte verified.
 *
 * Every EAL lcore is an io lcore (-l 0 or -l 0-1); the main lcore runs io
 * index 0. Results are one JSON object on stdout; the exit status is 0 when
 * every client connection verified. Usage:
 *
 *   smtpdlp-tcpecho <EAL args> -- --dev net_af_packet0,iface=v0 \
 *       --ip 192.0.2.10/24 [--gw A] --server --listen 7 --service echo
 *   smtpdlp-tcpecho <EAL args> -- --dev ... --ip ... --client \
 *       --connect 192.0.2.1:7 --conns 100 --total 1000 --bytes 1048576
 *
 * Faults: --fault DROP,DUP,REORDER (probabilities) --fault-dir rx|tx|both
 * --seed N. Frugality: --idle-sleep-us U sleeps after 256 idle polls.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_spinlock.h>

#include "config/cfg.h"
#include "dataplane/dp_dataplane.h"
#include "tcpstack/tcp_stack.h"
#include "tools/lab/tcpload.h"

#define MAX_IO 16
#define CHUNK 16384

struct opts {
	int client;
	enum tl_mode svc;
	char *dev[DP_MAX_PORTS];
	unsigned n_dev;
	uint32_t ip, gw;
	uint8_t prefix;
	uint16_t mtu;
	uint16_t lport;
	uint32_t rip;
	uint16_t rport;
	unsigned conns, total;
	uint64_t bytes;
	uint64_t seed;
	double time_limit;
	uint64_t exit_after;
	struct dp_fault_params fault;
	enum dp_fault_dir fault_dir;
	unsigned idle_sleep_us;
	unsigned mbufs;
	unsigned max_conns;
	unsigned buf;
	unsigned msl_ms;
	unsigned delack_ms;
	const char *cc;
	int stats;
	int zero_copy;
};

/* Shared between the io lcores (app level, not the fast path). */
struct shared {
	const struct opts *o;
	unsigned n_io;
	atomic_uint done_lcores;
	atomic_uint_fast64_t closed_total;
	atomic_int timed_out;
	/* busy window (tcpload.h): open connections of all lcores */
	atomic_uint_fast64_t active;
	rte_spinlock_t win_lock;
	struct tl_window win;
};

struct conn_ctx {
	struct conn_ctx *prev, *next;
	struct tcp_conn *c;
	struct app *app;
	uint64_t id, key;
	uint64_t sent, rcvd;
	uint32_t seg; /* --zero-copy: payload bytes per segment (mbuf) */
	uLong crc_tx, crc_rx;
	struct rte_mbuf *pending; /* echo: bytes received, not yet sent */
	uint32_t pending_len;
	uint8_t fin_sent, peer_fin, ok, failed, closing;
	char reply[64];
	unsigned reply_len;
};

struct app {
	struct shared *sh;
	struct dp_lcore *lc;
	unsigned index;
	uint64_t accepted, closed, ok, failed, bytes_tx, bytes_rx, connect_fail, connect_retry;
	uint64_t reasons[8];
	uint64_t target, started, seq;
	unsigned reopen; /* connects to retry: no free port or connection yet */
	uint64_t t0_us, first_us, last_us;
	int done;
	struct conn_ctx *head;
} __rte_cache_aligned;

static uint8_t pattern_buf[MAX_IO][CHUNK]; /* one scratch buffer per lcore */

static void
window_open(struct shared *sh)
{
	atomic_fetch_add(&sh->active, 1);
	if (!sh->win.open) { /* only the first time: a race ends in the lock */
		rte_spinlock_lock(&sh->win_lock);
		tl_window_open(&sh->win);
		rte_spinlock_unlock(&sh->win_lock);
	}
}

static void
window_close(struct shared *sh)
{
	if (atomic_fetch_sub(&sh->active, 1) == 1) {
		rte_spinlock_lock(&sh->win_lock);
		tl_window_idle(&sh->win);
		rte_spinlock_unlock(&sh->win_lock);
	}
}

static void conn_link(struct app *a, struct conn_ctx *x)
{
	x->next = a->head;
	x->prev = NULL;
	if (a->head)
		a->head->prev = x;
	a->head = x;
}

static void conn_unlink(struct app *a, struct conn_ctx *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		a->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
}

static inline size_t
chunk_len(uint32_t space, uint64_t left)
{
	uint64_t n = space < CHUNK ? space : CHUNK;

	return (size_t)(n < left ? n : left);
}

/*
 * The stack arms the writable() callback only when a send came up short
 * (tcp_send -ENOBUFS or a partial tcp_send_copy). When the buffer is
 * already full we have nothing to try, so offer one byte it cannot take.
 */
static inline void
want_writable(struct tcp_conn *c)
{
	static const uint8_t one;

	(void)tcp_send_copy(c, &one, 1);
}

/* Drop the first n bytes of a chain (consumes them). */
static struct rte_mbuf *
chain_pull(struct rte_mbuf *m, uint32_t n)
{
	while (m != NULL && n > 0) {
		if (n >= m->data_len) {
			struct rte_mbuf *next = m->next;
			uint32_t pl = m->pkt_len - m->data_len;
			uint16_t ns = m->nb_segs - 1;

			n -= m->data_len;
			m->next = NULL;
			m->nb_segs = 1;
			m->pkt_len = m->data_len;
			rte_pktmbuf_free(m);
			m = next;
			if (m != NULL) {
				m->pkt_len = pl;
				m->nb_segs = ns;
			}
		} else {
			rte_pktmbuf_adj(m, (uint16_t)n);
			n = 0;
		}
	}
	return m;
}

/* ---------------------------------------------------------------- server */

static void
echo_pump(struct conn_ctx *x)
{
	struct tcp_conn *c = x->c;

	while (x->pending != NULL) {
		uint32_t space = tcp_send_space(c);
		if (space == 0) {
			want_writable(c);
			break;
		}
		if (x->pending_len <= space) {
			uint32_t len = x->pending_len;
			if (tcp_send(c, x->pending) != 0)
				break;
			x->pending = NULL;
			x->pending_len = 0;
			tcp_recv_done(c, len);
			x->app->bytes_tx += len;
			break;
		}
		/* Partial: copy what fits, drop it from the chain. */
		uint32_t done = 0;
		for (struct rte_mbuf *s = x->pending; s != NULL && done < space; s = s->next) {
			uint32_t n = RTE_MIN((uint32_t)s->data_len, space - done);
			ssize_t r = tcp_send_copy(c, rte_pktmbuf_mtod(s, void *), n);
			if (r <= 0)
				break;
			done += (uint32_t)r;
			if ((uint32_t)r < n)
				break;
		}
		if (done == 0)
			break;
		x->pending = chain_pull(x->pending, done);
		x->pending_len -= done;
		tcp_recv_done(c, done);
		x->app->bytes_tx += done;
	}
	if (x->peer_fin && x->pending == NULL && !x->closing) {
		x->closing = 1;
		tcp_close(c);
	}
}

static void
source_pump(struct conn_ctx *x)
{
	const struct opts *o = x->app->sh->o;
	uint8_t *buf = pattern_buf[x->app->index];

	while (x->sent < o->bytes) {
		uint32_t space = tcp_send_space(x->c);
		size_t n = chunk_len(space, o->bytes - x->sent);
		if (n == 0) {
			want_writable(x->c);
			break;
		}
		tl_fill(x->key, x->sent, buf, n);
		ssize_t r = tcp_send_copy(x->c, buf, n);
		if (r <= 0)
			break;
		x->sent += (uint64_t)r;
		x->app->bytes_tx += (uint64_t)r;
	}
	if (x->sent == o->bytes && !x->closing) {
		x->closing = 1;
		tcp_close(x->c);
	}
}

static int
srv_accepted(struct tcp_conn *c, void *listen_ctx)
{
	struct app *a = listen_ctx;
	struct conn_ctx *x = calloc(1, sizeof(*x));

	if (x == NULL)
		return -ENOMEM;
	x->c = c;
	x->app = a;
	x->key = tl_key(a->sh->o->seed, 0);
	x->crc_rx = crc32(0, NULL, 0);
	tcp_conn_set_ctx(c, x);
	window_open(a->sh);
	conn_link(a, x);
	a->accepted++;
	if (a->sh->o->svc == TL_SOURCE)
		source_pump(x);
	return 0;
}

static void
srv_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	struct conn_ctx *x = ctx;

	x->app->bytes_rx += len;
	x->rcvd += len;
	switch (x->app->sh->o->svc) {
	case TL_ECHO:
		if (x->pending == NULL && len <= tcp_send_space(c) && tcp_send(c, m) == 0) {
			tcp_recv_done(c, len);
			x->app->bytes_tx += len;
			return;
		}
		if (x->pending == NULL) {
			x->pending = m;
		} else if (rte_pktmbuf_chain(x->pending, m) != 0) {
			/* Too many segments: should not happen within a window. */
			rte_pktmbuf_free(m);
			tcp_abort(c);
			return;
		}
		x->pending_len += len;
		echo_pump(x);
		return;
	case TL_SINK:
		for (struct rte_mbuf *s = m; s != NULL; s = s->next)
			x->crc_rx = tl_crc32(x->crc_rx, rte_pktmbuf_mtod(s, const uint8_t *),
					     s->data_len);
		break;
	case TL_SOURCE:
		break;
	}
	tcp_recv_done(c, len);
	rte_pktmbuf_free(m);
}

static void
srv_writable(struct tcp_conn *c, void *ctx, uint32_t space)
{
	struct conn_ctx *x = ctx;

	if (x->app->sh->o->svc == TL_ECHO)
		echo_pump(x);
	else if (x->app->sh->o->svc == TL_SOURCE)
		source_pump(x);
}

static void
srv_peer_fin(struct tcp_conn *c, void *ctx)
{
	struct conn_ctx *x = ctx;
	char line[64];

	x->peer_fin = 1;
	switch (x->app->sh->o->svc) {
	case TL_ECHO:
		echo_pump(x);
		break;
	case TL_SINK: {
		int n = snprintf(line, sizeof(line), "OK %" PRIu64 " %08lx\n", x->rcvd,
				 (unsigned long)x->crc_rx);
		tcp_send_copy(c, line, (size_t)n);
		x->closing = 1;
		tcp_close(c);
		break;
	}
	case TL_SOURCE:
		break;
	}
}

static void
any_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason reason);

static const struct tcp_callbacks srv_cb = {
	.accepted = srv_accepted,
	.recv = srv_recv,
	.writable = srv_writable,
	.peer_fin = srv_peer_fin,
	.closed = any_closed,
};

/* ---------------------------------------------------------------- client */

static void cli_open(struct app *a);

/*
 * --zero-copy: the pattern is written straight into mbufs of one segment's
 * payload each and queued with tcp_send() (the stack sends them by
 * reference), instead of into a buffer that tcp_send_copy() copies. Same
 * bytes, same CRC; what an application generating its data on the stack's
 * API does. Returns bytes queued, 0 when the buffer or the pool is full.
 */
static size_t
cli_send_mbufs(struct conn_ctx *x, uint32_t space)
{
	const struct opts *o = x->app->sh->o;
	struct rte_mempool *mp = dp_lcore_pool(x->app->lc);
	uint64_t left = o->bytes - x->sent;
	uint32_t seg = x->seg;
	uint64_t lim = left < (uint64_t)16 * seg ? left : (uint64_t)16 * seg;
	size_t n = (size_t)(lim < space ? lim : space), done = 0;
	struct rte_mbuf *head = NULL, *tail = NULL;
	uLong crc = x->crc_tx;

	/* whole segments keep mbufs and segments aligned (one piece each) */
	if (n < left && n >= seg)
		n -= n % seg;
	while (done < n) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint32_t k = n - done < seg ? (uint32_t)(n - done) : seg;
		uint8_t *d;

		if (m == NULL)
			break;
		if (k > rte_pktmbuf_tailroom(m))
			k = rte_pktmbuf_tailroom(m);
		d = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)k);
		tl_fill(x->key, x->sent + done, d, k);
		if (o->svc == TL_SINK)
			crc = tl_crc32(crc, d, k);
		if (head == NULL) {
			head = m;
		} else {
			tail->next = m;
			head->nb_segs++;
			head->pkt_len += k;
		}
		tail = m;
		done += k;
	}
	if (head == NULL)
		return 0;
	if (tcp_send(x->c, head) != 0) {
		rte_pktmbuf_free(head);
		return 0;
	}
	x->crc_tx = crc;
	return done;
}

static void
cli_pump(struct conn_ctx *x)
{
	const struct opts *o = x->app->sh->o;
	uint8_t *buf = pattern_buf[x->app->index];

	if (o->svc == TL_SOURCE)
		return;
	while (o->zero_copy && x->sent < o->bytes) {
		uint32_t space = tcp_send_space(x->c);
		size_t r;

		if (space == 0) {
			want_writable(x->c);
			break;
		}
		r = cli_send_mbufs(x, space);
		if (r == 0) { /* pool empty: the 1-byte copy cannot be taken either,
			       * it only asks for writable() */
			want_writable(x->c);
			break;
		}
		x->sent += r;
		x->app->bytes_tx += r;
	}
	while (x->sent < o->bytes) {
		uint32_t space = tcp_send_space(x->c);
		size_t n = chunk_len(space, o->bytes - x->sent);
		if (n == 0) {
			want_writable(x->c);
			break;
		}
		tl_fill(x->key, x->sent, buf, n);
		ssize_t r = tcp_send_copy(x->c, buf, n);
		if (r <= 0)
			break;
		if (o->svc == TL_SINK)
			x->crc_tx = tl_crc32(x->crc_tx, buf, (size_t)r);
		x->sent += (uint64_t)r;
		x->app->bytes_tx += (uint64_t)r;
	}
	if (x->sent == o->bytes && !x->fin_sent) {
		x->fin_sent = 1;
		tcp_shutdown(x->c);
	}
}

static void
cli_connected(struct tcp_conn *c, void *ctx)
{
	struct conn_ctx *x = ctx;
	struct tcp_conn_info info;

	x->seg = 1448;
	if (tcp_conn_info(c, &info) == 0 && info.mss > 12)
		x->seg = info.mss - (info.ts_ok ? 12 : 0);
	cli_pump(ctx);
}

static void
cli_fail(struct conn_ctx *x)
{
	if (!x->failed) {
		x->failed = 1;
		tcp_abort(x->c);
	}
}

static void
cli_recv(struct tcp_conn *c, void *ctx, struct rte_mbuf *m, uint32_t len)
{
	struct conn_ctx *x = ctx;
	const struct opts *o = x->app->sh->o;

	x->app->bytes_rx += len;
	if (o->svc == TL_SINK) {
		for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
			unsigned n = RTE_MIN((unsigned)s->data_len,
					     (unsigned)sizeof(x->reply) - 1 - x->reply_len);
			memcpy(x->reply + x->reply_len, rte_pktmbuf_mtod(s, void *), n);
			x->reply_len += n;
		}
	} else {
		for (struct rte_mbuf *s = m; s != NULL; s = s->next) {
			if (x->rcvd + s->data_len > o->bytes ||
			    tl_check(x->key, x->rcvd, rte_pktmbuf_mtod(s, const uint8_t *),
				     s->data_len) != 0) {
				rte_pktmbuf_free(m);
				tcp_recv_done(c, len);
				cli_fail(x);
				return;
			}
			x->rcvd += s->data_len;
		}
	}
	tcp_recv_done(c, len);
	rte_pktmbuf_free(m);
}

/* The whole exchange is over (peer FIN seen): judge it. */
static void
cli_verify(struct conn_ctx *x)
{
	const struct opts *o = x->app->sh->o;

	if (o->svc == TL_SINK) {
		uint64_t nb = 0;
		unsigned long crc = 0;
		x->reply[x->reply_len] = '\0';
		x->ok = sscanf(x->reply, "OK %" SCNu64 " %lx", &nb, &crc) == 2 && nb == o->bytes &&
			crc == (unsigned long)x->crc_tx && x->sent == o->bytes;
	} else if (o->svc == TL_ECHO) {
		x->ok = x->rcvd == o->bytes && x->sent == o->bytes;
	} else {
		x->ok = x->rcvd == o->bytes;
	}
}

static void
cli_peer_fin(struct tcp_conn *c, void *ctx)
{
	struct conn_ctx *x = ctx;

	x->peer_fin = 1;
	cli_verify(x);
	if (!x->ok) {
		cli_fail(x);
		return;
	}
	x->closing = 1;
	tcp_close(c);
}

static void
cli_writable(struct tcp_conn *c, void *ctx, uint32_t space)
{
	cli_pump(ctx);
}

static const struct tcp_callbacks cli_cb = {
	.connected = cli_connected,
	.recv = cli_recv,
	.writable = cli_writable,
	.peer_fin = cli_peer_fin,
	.closed = any_closed,
};

static void
check_done(struct app *a)
{
	if (a->sh->o->client && !a->done && a->ok + a->failed >= a->target) {
		a->done = 1;
		atomic_fetch_add(&a->sh->done_lcores, 1);
	}
}

static void
cli_open(struct app *a)
{
	const struct opts *o = a->sh->o;
	struct tcp_stack *s = dp_lcore_stack(a->lc);
	struct conn_ctx *x;

	if (a->started >= a->target)
		return;
	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		a->failed++;
		a->connect_fail++;
		a->started++;
		return;
	}
	x->app = a;
	x->id = a->index + (uint64_t)a->sh->n_io * a->seq++;
	x->key = o->svc == TL_SOURCE ? tl_key(o->seed, 0) : tl_key(o->seed, x->id);
	x->crc_tx = crc32(0, NULL, 0);
	a->started++;
	window_open(a->sh);
	if (a->first_us == 0)
		a->first_us = tcp_stack_now(s);
	x->c = tcp_connect(s, 0, o->rip, o->rport, &cli_cb, x);
	if (x->c == NULL && (errno == EADDRNOTAVAIL || errno == ENOMEM)) {
		/* every port in TIME_WAIT (or the table full): try again from
		 * app_poll once some have expired, instead of giving up */
		a->started--;
		a->seq--;
		a->reopen++;
		a->connect_retry++;
		free(x);
		window_close(a->sh);
		return;
	}
	if (x->c == NULL) {
		a->failed++;
		a->connect_fail++;
		free(x);
		window_close(a->sh);
		check_done(a);
		return;
	}
	conn_link(a, x);
}

/* ------------------------------------------------------------ both roles */

static void
any_closed(struct tcp_conn *c, void *ctx, enum tcp_close_reason reason)
{
	struct conn_ctx *x = ctx;
	struct app *a;

	if (x == NULL)
		return;
	a = x->app;
	a->closed++;
	a->reasons[reason & 7]++;
	if (a->sh->o->client) {
		/* TCP_CLOSE_NORMAL means both FINs were exchanged: if the stack
		 * did not report the peer's FIN (after our own shutdown), the
		 * exchange is complete all the same — judge it now. */
		if (reason == TCP_CLOSE_NORMAL && !x->peer_fin && !x->failed)
			cli_verify(x);
		if (x->ok && !x->failed)
			a->ok++;
		else {
			if (a->failed < 5)
				fprintf(stderr,
					"tcpecho: lcore %u conn %" PRIu64 " failed: sent %" PRIu64
					" rcvd %" PRIu64 " peer_fin %u ok %u bad %u closed %s\n",
					a->index, x->id, x->sent, x->rcvd, x->peer_fin, x->ok,
					x->failed, tcp_close_reason_name(reason));
			a->failed++;
		}
		a->last_us = tcp_stack_now(tcp_conn_stack(c));
	}
	rte_pktmbuf_free(x->pending);
	conn_unlink(a, x);
	free(x);
	window_close(a->sh);
	atomic_fetch_add(&a->sh->closed_total, 1);
	if (a->sh->o->client) {
		check_done(a);
		if (!dp_quit)
			cli_open(a);
	}
}

static int
app_start(void *app, struct dp_lcore *lc)
{
	struct app *a = app;
	const struct opts *o = a->sh->o;
	struct tcp_stack *s = dp_lcore_stack(lc);

	a->lc = lc;
	a->t0_us = tcp_stack_now(s);
	if (!o->client) {
		int ret = tcp_listen(s, 0, o->lport, &srv_cb, a);
		if (ret == 0 && a->index == 0)
			fprintf(stderr, "tcpecho: ready, listening on port %u\n", o->lport);
		return ret;
	}
	a->target = o->total / a->sh->n_io + (a->index < o->total % a->sh->n_io);
	unsigned conc = o->conns / a->sh->n_io + (a->index < o->conns % a->sh->n_io);
	if (conc == 0)
		conc = 1;
	check_done(a);
	for (unsigned i = 0; i < conc; i++)
		cli_open(a);
	return 0;
}

static void
app_poll(void *app, struct dp_lcore *lc, uint64_t now_us)
{
	struct app *a = app;
	const struct opts *o = a->sh->o;

	if (dp_quit)
		return;
	if (a->reopen > 0 && o->client) {
		unsigned n = a->reopen;

		a->reopen = 0;
		while (n-- > 0)
			cli_open(a);
	}
	if (a->index != 0)
		return;
	if (o->client && atomic_load(&a->sh->done_lcores) == a->sh->n_io)
		dp_loop_quit(true);
	if (!o->client && o->exit_after &&
	    atomic_load(&a->sh->closed_total) >= o->exit_after)
		dp_loop_quit(true);
	if (o->time_limit > 0 && now_us - a->t0_us > (uint64_t)(o->time_limit * 1e6)) {
		atomic_store(&a->sh->timed_out, 1);
		dp_loop_quit(true);
	}
}

static bool
app_drain(void *app, struct dp_lcore *lc, bool force)
{
	struct app *a = app;
	struct tcp_stack *s = dp_lcore_stack(lc);

	if (!a->sh->o->client)
		tcp_unlisten(s, 0, a->sh->o->lport);
	if (force) {
		struct conn_ctx *x = a->head, *next;
		while (x != NULL) {
			next = x->next;
			if (!x->failed) {
				x->failed = 1;
				tcp_abort(x->c);
			}
			x = next;
		}
		return true;
	}
	/* Graceful: close idle flows; the rest finish within the budget. */
	for (struct conn_ctx *x = a->head, *next; x != NULL; x = next) {
		next = x->next;
		if (!a->sh->o->client && !x->closing && x->pending == NULL && x->rcvd == 0) {
			x->closing = 1;
			tcp_close(x->c);
		}
	}
	return a->head == NULL;
}

static const struct dp_app_ops app_ops = {
	.start = app_start,
	.poll = app_poll,
	.drain = app_drain,
};

/* ------------------------------------------------------------------ main */

static int
parse_ip(const char *s, uint32_t *ip, uint8_t *prefix)
{
	char buf[64];
	struct in_addr a;
	char *slash;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		if (prefix)
			*prefix = (uint8_t)atoi(slash + 1);
	} else if (prefix) {
		*prefix = 32;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return -1;
	*ip = ntohl(a.s_addr);
	return 0;
}

static void
usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s <EAL args> -- --dev DEVICE [--dev DEVICE] --ip A.B.C.D/N [--gw A.B.C.D]\n"
		"  [--mtu N] (--server --listen PORT | --client --connect IP:PORT)\n"
		"  [--service echo|sink|source] [--conns N] [--total N] [--bytes N]\n"
		"  [--seed N] [--time S] [--exit-after N] [--fault D,U,R] [--fault-dir rx|tx|both]\n"
		"  [--idle-sleep-us U] [--mbufs N] [--max-conns N] [--buf BYTES] [--msl-ms MS]\n"
		"  [--delack-ms MS] [--cc newreno|cubic] [--stats] [--zero-copy]\n",
		prog);
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "dev", 1, 0, 'd' },	     { "ip", 1, 0, 'i' },	 { "gw", 1, 0, 'g' },
		{ "mtu", 1, 0, 'M' },	     { "server", 0, 0, 'S' },	 { "client", 0, 0, 'C' },
		{ "listen", 1, 0, 'l' },     { "connect", 1, 0, 'c' },	 { "service", 1, 0, 's' },
		{ "conns", 1, 0, 'n' },	     { "total", 1, 0, 't' },	 { "bytes", 1, 0, 'b' },
		{ "seed", 1, 0, 'r' },	     { "time", 1, 0, 'T' },	 { "exit-after", 1, 0, 'x' },
		{ "fault", 1, 0, 'f' },	     { "fault-dir", 1, 0, 'F' }, { "idle-sleep-us", 1, 0, 'I' },
		{ "mbufs", 1, 0, 'm' },	     { "max-conns", 1, 0, 'X' }, { "buf", 1, 0, 'B' },
		{ "msl-ms", 1, 0, 'L' },     { "stats", 0, 0, 'z' },	 { "help", 0, 0, 'h' },
		{ "delack-ms", 1, 0, 'D' },  { "cc", 1, 0, 'G' },
		{ "zero-copy", 0, 0, 'Z' },
		{ 0, 0, 0, 0 },
	};
	int ch;

	o->lport = 7;
	o->conns = 1;
	o->bytes = 1 << 20;
	o->seed = 1;
	o->fault_dir = DP_FAULT_BOTH;
	o->mbufs = 65536;
	o->max_conns = 16384;
	o->msl_ms = 2000;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'd':
			if (o->n_dev >= DP_MAX_PORTS)
				return -1;
			o->dev[o->n_dev++] = optarg;
			break;
		case 'i':
			if (parse_ip(optarg, &o->ip, &o->prefix) != 0)
				return -1;
			break;
		case 'g':
			if (parse_ip(optarg, &o->gw, NULL) != 0)
				return -1;
			break;
		case 'M': o->mtu = (uint16_t)atoi(optarg); break;
		case 'S': o->client = 0; break;
		case 'C': o->client = 1; break;
		case 'l': o->lport = (uint16_t)atoi(optarg); break;
		case 'c': {
			char buf[64], *colon;
			snprintf(buf, sizeof(buf), "%s", optarg);
			colon = strrchr(buf, ':');
			if (colon == NULL)
				return -1;
			*colon = '\0';
			o->rport = (uint16_t)atoi(colon + 1);
			if (parse_ip(buf, &o->rip, NULL) != 0)
				return -1;
			break;
		}
		case 's':
			if (tl_mode_parse(optarg, &o->svc) != 0)
				return -1;
			break;
		case 'n': o->conns = (unsigned)strtoul(optarg, NULL, 0); break;
		case 't': o->total = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': o->bytes = strtoull(optarg, NULL, 0); break;
		case 'r': o->seed = strtoull(optarg, NULL, 0); break;
		case 'T': o->time_limit = atof(optarg); break;
		case 'x': o->exit_after = strtoull(optarg, NULL, 0); break;
		case 'f':
			if (sscanf(optarg, "%lf,%lf,%lf", &o->fault.drop, &o->fault.duplicate,
				   &o->fault.reorder) != 3)
				return -1;
			break;
		case 'F':
			if (dp_fault_dir_parse(optarg, &o->fault_dir) != 0)
				return -1;
			break;
		case 'I': o->idle_sleep_us = (unsigned)atoi(optarg); break;
		case 'm': o->mbufs = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'X': o->max_conns = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'B': o->buf = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'L': o->msl_ms = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'z': o->stats = 1; break;
		case 'Z': o->zero_copy = 1; break;
		case 'D': o->delack_ms = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'G': o->cc = optarg; break;
		default:
			return -1;
		}
	}
	if (o->n_dev == 0 || o->ip == 0 || (o->client && o->rip == 0))
		return -1;
	if (o->total < o->conns)
		o->total = o->conns;
	o->fault.seed = o->seed;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct opts o;
	static struct shared sh;
	struct cfg_dataplane dp;
	struct cfg_port ports[DP_MAX_PORTS];
	struct app *apps[MAX_IO] = { 0 };
	struct dp_dataplane *d;
	int sep, ret, rc = 1;
	unsigned n_io;

	for (sep = 1; sep < argc && strcmp(argv[sep], "--") != 0; sep++)
		;
	if (sep >= argc || parse_opts(argc - sep, argv + sep, &o) != 0) {
		usage(argv[0]);
		return 2;
	}
	memset(&dp, 0, sizeof(dp));
	memset(ports, 0, sizeof(ports));
	dp.eal = argv + 1;
	dp.n_eal = (size_t)(sep - 1);
	dp.ports = ports;
	dp.n_ports = o.n_dev;
	dp.mbufs = o.mbufs;
	dp.fault.drop = o.fault.drop;
	dp.fault.duplicate = o.fault.duplicate;
	dp.fault.reorder = o.fault.reorder;
	for (unsigned i = 0; i < o.n_dev; i++) {
		ports[i].device = o.dev[i];
		ports[i].ipv4 = o.ip + i; /* one address per port */
		ports[i].prefix_len = o.prefix;
		ports[i].gateway = o.gw;
		ports[i].mtu = o.mtu;
	}
	struct cfg_tcp tcp = { .max_connections = o.max_conns,
			       .max_per_source = o.max_conns, .syn_backlog = o.max_conns };
	for (unsigned i = 0; i < MAX_IO; i++) {
		apps[i] = aligned_alloc(RTE_CACHE_LINE_SIZE, sizeof(struct app));
		if (apps[i] == NULL)
			return 1;
		memset(apps[i], 0, sizeof(struct app));
		apps[i]->sh = &sh;
		apps[i]->index = i;
	}
	sh.o = &o;
	struct dp_dataplane_params dpp = {
		.dp = &dp, .tcp = &tcp, .prog = argv[0], .app = &app_ops,
		.app_ctx = (void *const *)apps, .fault_dir = o.fault_dir, .fault_seed = o.seed,
		.idle_sleep_us = o.idle_sleep_us,
		.stack = { .sndbuf = o.buf, .rcvbuf = o.buf, .msl_ms = o.msl_ms,
			   .delack_ms = o.delack_ms, .cc = o.cc },
	};
	d = dp_dataplane_create(&dpp);
	if (d == NULL) {
		fprintf(stderr, "tcpecho: dataplane: %s\n", strerror(errno));
		return 1;
	}
	n_io = dp_dataplane_n_io(d);
	if (n_io > MAX_IO || dp_dataplane_main_io(d) < 0) {
		fprintf(stderr, "tcpecho: 1..%d lcores, the main one included\n", MAX_IO);
		goto out;
	}
	sh.n_io = n_io;
	dp_signals_install();
	double t0 = tl_now();
	ret = dp_dataplane_launch(d);
	if (ret == 0)
		ret = dp_lcore_run(dp_dataplane_lcore(d, (unsigned)dp_dataplane_main_io(d)));
	if (ret < 0)
		fprintf(stderr, "tcpecho: loop: %s\n", strerror(-ret));
	dp_loop_quit(false);
	dp_dataplane_wait(d);
	double wall = tl_now() - t0;

	/* Results */
	uint64_t ok = 0, failed = 0, btx = 0, brx = 0, acc = 0, closed = 0, cfail = 0, cretry = 0;
	uint64_t first = UINT64_MAX, last = 0, reasons[8] = { 0 };
	for (unsigned i = 0; i < n_io; i++) {
		struct app *a = apps[i];
		ok += a->ok;
		failed += a->failed;
		btx += a->bytes_tx;
		brx += a->bytes_rx;
		acc += a->accepted;
		closed += a->closed;
		cfail += a->connect_fail;
		cretry += a->connect_retry;
		for (int r = 0; r < 8; r++)
			reasons[r] += a->reasons[r];
		if (a->first_us && a->first_us < first)
			first = a->first_us;
		if (a->last_us > last)
			last = a->last_us;
	}
	double secs = o.client && last > first && first != UINT64_MAX ? (last - first) / 1e6 : wall;
	printf("{\"tool\":\"smtpdlp-tcpecho\",\"role\":\"%s\",\"service\":\"%s\",\"io_lcores\":%u,"
	       "\"conns\":%u,\"total\":%u,\"bytes_per_conn\":%" PRIu64 ",\"ok\":%" PRIu64
	       ",\"failed\":%" PRIu64 ",\"connect_failed\":%" PRIu64 ",\"connect_retries\":%" PRIu64
	       ",\"accepted\":%" PRIu64
	       ",\"closed\":%" PRIu64 ",\"bytes_tx\":%" PRIu64 ",\"bytes_rx\":%" PRIu64
	       ",\"seconds\":%.6f,\"gbps\":%.4f,\"conns_per_s\":%.1f,\"timed_out\":%d"
	       ",\"conn_state_bytes\":%zu,\"window_s\":%.6f,\"window_cpu_s\":%.6f"
	       ",\"close_reasons\":{",
	       o.client ? "client" : "server", tl_mode_name(o.svc), n_io, o.conns, o.total,
	       o.bytes, ok, failed, cfail, cretry, acc, closed, btx, brx, secs,
	       secs > 0 ? (btx + brx) * 8 / secs / 1e9 : 0.0, secs > 0 ? closed / secs : 0.0,
	       atomic_load(&sh.timed_out), tcp_conn_state_size(), tl_window_secs(&sh.win),
	       tl_window_cpu(&sh.win));
	for (int r = 0; r < 7; r++)
		printf("%s\"%s\":%" PRIu64, r ? "," : "", tcp_close_reason_name(r), reasons[r]);
	printf("}");
	if (o.stats) {
		printf(",\"dataplane\":");
		dp_dataplane_stats_json(d, stdout);
	}
	printf("}\n");
	fflush(stdout);
	rc = o.client ? !(failed == 0 && ok == o.total) : 0;
	if (atomic_load(&sh.timed_out) && o.client)
		rc = 1;
out:
	dp_dataplane_destroy(d);
	for (unsigned i = 0; i < MAX_IO; i++)
		free(apps[i]);
	return rc;
}
