/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtpdlp-tcpkern — the Linux-kernel side of the TCP lab: the same client
 * and server as smtpdlp-tcpecho (protocol and pattern in tcpload.h), on
 * plain sockets with one epoll loop on one thread. Used as the real peer of
 * the userspace stack in the lab tests (Linux client -> stack server, stack
 * client -> Linux server) and as the kernel baseline in tools/bench-tcp.sh.
 *
 *   smtpdlp-tcpkern --server --listen [ADDR:]PORT [--service echo|sink|source]
 *                   [--bytes N] [--exit-after N] [--time S]
 *   smtpdlp-tcpkern --client --connect IP:PORT [--bind IP] [--conns N]
 *                   [--total N] [--bytes N] [--service ...] [--time S]
 *
 * Prints one JSON object; the client exits 0 when every connection
 * verified, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include "tools/lab/tcpload.h"

#define BUFSZ 65536

struct conn {
	int fd;
	uint64_t id, key, sent, rcvd;
	uLong crc_tx, crc_rx;
	uint8_t connected, fin_sent, peer_fin, failed;
	uint32_t len, off; /* echo buffer fill / send offset */
	char reply[64];
	unsigned reply_len;
	uint8_t buf[BUFSZ];
};

static struct {
	int client;
	enum tl_mode svc;
	struct sockaddr_in addr, bind;
	int has_bind;
	unsigned conns, total;
	uint64_t bytes, seed, exit_after;
	double time_limit;
} o = { .conns = 1, .bytes = 1 << 20, .seed = 1 };

static volatile sig_atomic_t quit;
static int ep;
static uint64_t started, ok, failed, closed, accepted, btx, brx, active;
static struct tl_window win;
static uint8_t scratch[BUFSZ];

static void on_sig(int s) { (void)s; quit = 1; }

static int
parse_addr(const char *s, struct sockaddr_in *a, int need_port)
{
	char buf[64], *colon;

	snprintf(buf, sizeof(buf), "%s", s);
	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	colon = strrchr(buf, ':');
	if (colon) {
		*colon = '\0';
		a->sin_port = htons((uint16_t)atoi(colon + 1));
		if (buf[0] == '\0')
			return 0;
	} else if (need_port) {
		/* a bare port */
		a->sin_port = htons((uint16_t)atoi(buf));
		return 0;
	}
	return inet_pton(AF_INET, buf, &a->sin_addr) == 1 ? 0 : -1;
}

static void
set_events(struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
}

static void
finish(struct conn *c, int good)
{
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	if (!good) {
		struct linger l = { 1, 0 };
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	}
	close(c->fd);
	closed++;
	if (--active == 0)
		tl_window_idle(&win);
	if (o.client) {
		if (good)
			ok++;
		else
			failed++;
	}
	free(c);
}

/* ---------------------------------------------------------------- client */

static void cli_open(void);

static void
cli_send(struct conn *c)
{
	while (o.svc != TL_SOURCE && c->sent < o.bytes) {
		size_t n = o.bytes - c->sent < BUFSZ ? o.bytes - c->sent : BUFSZ;
		tl_fill(c->key, c->sent, scratch, n);
		ssize_t r = send(c->fd, scratch, n, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno == EAGAIN)
				return;
			c->failed = 1;
			return;
		}
		if (o.svc == TL_SINK)
			c->crc_tx = tl_crc32(c->crc_tx, scratch, (size_t)r);
		c->sent += (uint64_t)r;
		btx += (uint64_t)r;
	}
	if (!c->fin_sent) {
		c->fin_sent = 1;
		if (o.svc != TL_SOURCE)
			shutdown(c->fd, SHUT_WR);
		set_events(c, EPOLLIN);
	}
}

static void
cli_event(struct conn *c, uint32_t ev)
{
	if (!c->connected && (ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		int err = 0;
		socklen_t l = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err != 0) {
			finish(c, 0);
			cli_open();
			return;
		}
		c->connected = 1;
	}
	if (ev & EPOLLOUT)
		cli_send(c);
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		for (;;) {
			ssize_t r = recv(c->fd, c->buf, BUFSZ, 0);
			if (r < 0) {
				if (errno == EAGAIN)
					break;
				c->failed = 1;
				break;
			}
			if (r == 0) {
				c->peer_fin = 1;
				break;
			}
			brx += (uint64_t)r;
			if (o.svc == TL_SINK) {
				unsigned n = (unsigned)r;
				if (n > sizeof(c->reply) - 1 - c->reply_len)
					n = sizeof(c->reply) - 1 - c->reply_len;
				memcpy(c->reply + c->reply_len, c->buf, n);
				c->reply_len += n;
			} else if (c->rcvd + (uint64_t)r > o.bytes ||
				   tl_check(c->key, c->rcvd, c->buf, (size_t)r) != 0) {
				c->failed = 1;
				break;
			}
			c->rcvd += (uint64_t)r;
		}
	}
	if (c->failed) {
		finish(c, 0);
		cli_open();
		return;
	}
	if (c->peer_fin) {
		int good;
		if (o.svc == TL_SINK) {
			uint64_t nb = 0;
			unsigned long crc = 0;
			c->reply[c->reply_len] = '\0';
			good = sscanf(c->reply, "OK %" SCNu64 " %lx", &nb, &crc) == 2 &&
			       nb == o.bytes && crc == (unsigned long)c->crc_tx && c->sent == o.bytes;
		} else if (o.svc == TL_ECHO) {
			good = c->rcvd == o.bytes && c->sent == o.bytes;
		} else {
			good = c->rcvd == o.bytes;
		}
		finish(c, good);
		cli_open();
	}
}

static void
cli_open(void)
{
	struct conn *c;
	struct epoll_event e;

	if (started >= o.total || quit)
		return;
	tl_window_open(&win);
	c = calloc(1, sizeof(*c) - BUFSZ + BUFSZ);
	if (c == NULL) {
		failed++;
		started++;
		return;
	}
	c->id = started++;
	c->key = o.svc == TL_SOURCE ? tl_key(o.seed, 0) : tl_key(o.seed, c->id);
	c->crc_tx = crc32(0, NULL, 0);
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		free(c);
		failed++;
		return;
	}
	int one = 1;
	setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (o.has_bind && bind(c->fd, (struct sockaddr *)&o.bind, sizeof(o.bind)) != 0) {
		close(c->fd);
		free(c);
		failed++;
		return;
	}
	active++;
	if (connect(c->fd, (struct sockaddr *)&o.addr, sizeof(o.addr)) != 0 &&
	    errno != EINPROGRESS) {
		close(c->fd);
		free(c);
		if (--active == 0)
			tl_window_idle(&win);
		failed++;
		return;
	}
	e.events = EPOLLIN | EPOLLOUT;
	e.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &e);
}

/* ---------------------------------------------------------------- server */

static void
srv_flush(struct conn *c)
{
	while (c->off < c->len) {
		ssize_t r = send(c->fd, c->buf + c->off, c->len - c->off, MSG_NOSIGNAL);
		if (r < 0) {
			if (errno != EAGAIN)
				c->failed = 1;
			return;
		}
		c->off += (uint32_t)r;
		btx += (uint64_t)r;
	}
	c->off = c->len = 0;
}

static void
srv_event(struct conn *c, uint32_t ev)
{
	if (o.svc == TL_SOURCE) {
		while (c->sent < o.bytes) {
			size_t n = o.bytes - c->sent < BUFSZ ? o.bytes - c->sent : BUFSZ;
			tl_fill(c->key, c->sent, scratch, n);
			ssize_t r = send(c->fd, scratch, n, MSG_NOSIGNAL);
			if (r < 0) {
				if (errno != EAGAIN)
					c->failed = 1;
				break;
			}
			c->sent += (uint64_t)r;
			btx += (uint64_t)r;
		}
		if (c->failed || c->sent == o.bytes) {
			finish(c, !c->failed);
		}
		return;
	}
	if (c->len > 0)
		srv_flush(c);
	while (!c->failed && c->len == 0 && !c->peer_fin) {
		ssize_t r = recv(c->fd, c->buf, BUFSZ, 0);
		if (r < 0) {
			if (errno != EAGAIN)
				c->failed = 1;
			break;
		}
		if (r == 0) {
			c->peer_fin = 1;
			break;
		}
		brx += (uint64_t)r;
		c->rcvd += (uint64_t)r;
		if (o.svc == TL_SINK) {
			c->crc_rx = tl_crc32(c->crc_rx, c->buf, (size_t)r);
			continue;
		}
		c->len = (uint32_t)r;
		c->off = 0;
		srv_flush(c);
	}
	if (c->failed) {
		finish(c, 0);
		return;
	}
	if (c->peer_fin && c->len == 0) {
		if (o.svc == TL_SINK) {
			char line[64];
			int n = snprintf(line, sizeof(line), "OK %" PRIu64 " %08lx\n", c->rcvd,
					 (unsigned long)c->crc_rx);
			if (send(c->fd, line, (size_t)n, MSG_NOSIGNAL) == n)
				btx += (uint64_t)n;
		}
		finish(c, 1);
		return;
	}
	set_events(c, c->len > 0 ? EPOLLOUT : EPOLLIN);
}

static void
srv_accept(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct conn *c = calloc(1, sizeof(*c));
		if (c == NULL) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->key = tl_key(o.seed, 0);
		c->crc_rx = crc32(0, NULL, 0);
		tl_window_open(&win);
		accepted++;
		active++;
		struct epoll_event e = { .events = o.svc == TL_SOURCE ? EPOLLOUT : EPOLLIN,
					 .data.ptr = c };
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
	}
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "server", 0, 0, 'S' }, { "client", 0, 0, 'C' }, { "listen", 1, 0, 'l' },
		{ "connect", 1, 0, 'c' }, { "bind", 1, 0, 'B' },  { "service", 1, 0, 's' },
		{ "conns", 1, 0, 'n' },	 { "total", 1, 0, 't' },  { "bytes", 1, 0, 'b' },
		{ "seed", 1, 0, 'r' },	 { "time", 1, 0, 'T' },	  { "exit-after", 1, 0, 'x' },
		{ 0, 0, 0, 0 },
	};
	static struct epoll_event evs[256];
	int ch, lfd = -1;
	double t0, t_first = 0, t_last = 0;

	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'S': o.client = 0; break;
		case 'C': o.client = 1; break;
		case 'l':
		case 'c':
			if (parse_addr(optarg, &o.addr, 1) != 0)
				goto usage;
			break;
		case 'B':
			if (parse_addr(optarg, &o.bind, 0) != 0)
				goto usage;
			o.has_bind = 1;
			break;
		case 's':
			if (tl_mode_parse(optarg, &o.svc) != 0)
				goto usage;
			break;
		case 'n': o.conns = (unsigned)strtoul(optarg, NULL, 0); break;
		case 't': o.total = (unsigned)strtoul(optarg, NULL, 0); break;
		case 'b': o.bytes = strtoull(optarg, NULL, 0); break;
		case 'r': o.seed = strtoull(optarg, NULL, 0); break;
		case 'T': o.time_limit = atof(optarg); break;
		case 'x': o.exit_after = strtoull(optarg, NULL, 0); break;
		default:
			goto usage;
		}
	}
	if (o.addr.sin_port == 0)
		goto usage;
	if (o.total < o.conns)
		o.total = o.conns;
	signal(SIGINT, on_sig);
	signal(SIGTERM, on_sig);
	signal(SIGPIPE, SIG_IGN);
	ep = epoll_create1(0);
	t0 = tl_now();
	if (!o.client) {
		int one = 1;
		lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(lfd, (struct sockaddr *)&o.addr, sizeof(o.addr)) != 0 ||
		    listen(lfd, 4096) != 0) {
			perror("tcpkern: listen");
			return 1;
		}
		struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };
		epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &e);
		fprintf(stderr, "tcpkern: listening\n");
	} else {
		t_first = tl_now();
		for (unsigned i = 0; i < o.conns; i++)
			cli_open();
	}
	while (!quit) {
		int n = epoll_wait(ep, evs, 256, 100);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL)
				srv_accept(lfd);
			else if (o.client)
				cli_event(evs[i].data.ptr, evs[i].events);
			else
				srv_event(evs[i].data.ptr, evs[i].events);
		}
		if (o.client && ok + failed >= o.total)
			break;
		if (!o.client && o.exit_after && closed >= o.exit_after)
			break;
		if (o.time_limit > 0 && tl_now() - t0 > o.time_limit) {
			quit = 2;
			break;
		}
	}
	t_last = tl_now();
	double secs = o.client ? t_last - t_first : t_last - t0;
	printf("{\"tool\":\"smtpdlp-tcpkern\",\"role\":\"%s\",\"service\":\"%s\",\"conns\":%u,"
	       "\"total\":%u,\"bytes_per_conn\":%" PRIu64 ",\"ok\":%" PRIu64 ",\"failed\":%" PRIu64
	       ",\"accepted\":%" PRIu64 ",\"closed\":%" PRIu64 ",\"bytes_tx\":%" PRIu64
	       ",\"bytes_rx\":%" PRIu64 ",\"seconds\":%.6f,\"gbps\":%.4f,\"conns_per_s\":%.1f"
	       ",\"timed_out\":%d,\"window_s\":%.6f,\"window_cpu_s\":%.6f}\n",
	       o.client ? "client" : "server", tl_mode_name(o.svc), o.conns, o.total, o.bytes, ok,
	       failed, accepted, closed, btx, brx, secs,
	       secs > 0 ? (btx + brx) * 8 / secs / 1e9 : 0.0, secs > 0 ? closed / secs : 0.0,
	       quit == 2, tl_window_secs(&win), tl_window_cpu(&win));
	if (lfd >= 0)
		close(lfd);
	return o.client ? !(failed == 0 && ok == o.total) : 0;
usage:
	fprintf(stderr, "usage: %s --server --listen [ADDR:]PORT | --client --connect IP:PORT"
			" [--bind IP] [--service echo|sink|source] [--conns N] [--total N]"
			" [--bytes N] [--seed N] [--time S] [--exit-after N]\n",
		argv[0]);
	return 2;
}
