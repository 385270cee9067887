/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_smtp_client.c — libFuzzer target for the upstream side: the SMTP
 * reply parser (app/smtp_reply.c) and the sans-IO client state machine
 * (app/smtp_client.c) driven by arbitrary upstream bytes.
 *
 * Input: byte 0 picks the configuration (upstream TLS mode, whether a TLS
 * config exists, long host name); byte 1 is the length L of a control
 * script that follows; everything after the script is what the upstream
 * MTA sends. Each script byte is one owner action: feed the next chunk of
 * upstream bytes (16 chunk sizes, or up to the n-th line end), MAIL, RCPT, DATA/BDAT, message bytes
 * (taken from the script), end of message, RSET, QUIT, a timer jump, the
 * STARTTLS handshake succeeding or failing, the connection closing. When
 * the script runs out the rest of the upstream bytes is fed at once.
 *
 * Checked (abort on violation):
 *  - every reply handed up pairs with the oldest command the owner issued
 *    that expects one (MAIL, RCPT, end of message), codes in 200..559;
 *  - ready() at most once, starttls() at most once, failed() exactly once
 *    after which nothing else is called, input() < 0 only once failed;
 *  - DATA: the bytes written for a message un-dot-stuff to exactly what the
 *    owner gave (plus a CRLF if it did not end in one), and "CRLF.CRLF"
 *    appears only as the final terminator; BDAT: each chunk is
 *    "BDAT <n>CRLF" followed by exactly the n bytes;
 *  - the same upstream bytes through a standalone parser in the same
 *    chunking: every reply re-emitted with smtp_reply_write() parses back
 *    to the same reply (code, enhanced code, lines, text with control bytes
 *    shown as '?').
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/msgbuf.h"
#include "app/smtp_client.h"
#include "app/smtp_reply.h"
#include "config/cfg.h"

#define FZ_CHECK(c)                                                                              \
	do {                                                                                     \
		if (!(c)) {                                                                      \
			fprintf(stderr, "fuzz_smtp_client: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                                   \
			abort();                                                                 \
		}                                                                                \
	} while (0)

/* FZ_TRACE=1: log what the client writes and reports (reproducing). */
static int fz_trace = -1;

#define FZ_TRACE(...)                                        \
	do {                                                 \
		if (fz_trace > 0)                            \
			fprintf(stderr, "fz: " __VA_ARGS__); \
	} while (0)

#define FZ_EXPECT_MAX 256
#define FZ_MSG_MAX (256u * 1024u)

enum fz_body { FB_NONE = 0, FB_DATA_WAIT, FB_DATA, FB_BDAT };

struct fz {
	struct smtp_client *c;
	struct cfg cfg;
	struct iobuf out;
	uint64_t now;
	/* reply kinds the owner is owed, oldest first */
	uint8_t expect[FZ_EXPECT_MAX];
	unsigned ex_head, ex_n;
	bool ready, failed, starttls, tls_done, quit;
	/* message checking */
	enum fz_body body;
	struct iobuf sent; /* bytes given to smtp_client_body() (DATA) */
	struct iobuf wire; /* bytes written for them, and the terminator */
	bool msg_overflow;
	/* standalone reply parser */
	struct smtp_reply_parser rp;
	bool rp_dead;
};

static void fz_expect(struct fz *f, enum smtp_cmd k)
{
	FZ_CHECK(f->ex_n < FZ_EXPECT_MAX);
	f->expect[(f->ex_head + f->ex_n) % FZ_EXPECT_MAX] = (uint8_t)k;
	f->ex_n++;
}

/* ------------------------------------------------------------- ops */

static void op_ready(void *ctx)
{
	struct fz *f = ctx;

	FZ_TRACE("ready\n");
	FZ_CHECK(!f->failed && !f->ready);
	f->ready = true;
}

static void op_reply(void *ctx, enum smtp_cmd kind, const struct smtp_reply *r)
{
	struct fz *f = ctx;

	FZ_TRACE("reply(%d, %u)\n", (int)kind, r->code);
	FZ_CHECK(!f->failed && f->ready);
	FZ_CHECK(r->code >= 200 && r->code <= 559);
	FZ_CHECK(f->ex_n > 0);
	FZ_CHECK(f->expect[f->ex_head] == kind);
	f->ex_head = (f->ex_head + 1) % FZ_EXPECT_MAX;
	f->ex_n--;
	if (kind == SMTP_CMD_EOD && f->body == FB_DATA_WAIT)
		f->body = FB_NONE; /* DATA refused */
}

static void op_starttls(void *ctx)
{
	struct fz *f = ctx;

	FZ_TRACE("starttls\n");
	FZ_CHECK(!f->failed && !f->starttls && !f->ready);
	f->starttls = true;
}

static void op_failed(void *ctx, int err, const struct smtp_reply *r)
{
	struct fz *f = ctx;

	FZ_TRACE("failed(%d, %u)\n", err, r ? r->code : 0);
	FZ_CHECK(!f->failed);
	FZ_CHECK(err < 0);
	if (r)
		FZ_CHECK(r->code >= 200 && r->code <= 559);
	f->failed = true;
	f->ex_n = 0;
}

static const struct smtp_client_ops fz_ops = {
	.ready = op_ready,
	.reply = op_reply,
	.starttls = op_starttls,
	.failed = op_failed,
};

/* --------------------------------------------------- message checks */

/* iobuf_head() of an all-zero buffer would be NULL + 0. */
static const uint8_t *fz_head(const struct iobuf *b)
{
	return b->data ? iobuf_head(b) : (const uint8_t *)"";
}

/* Capture what the client wrote for the current message. */
static void fz_take_output(struct fz *f, bool capture)
{
	if (iobuf_used(&f->out) == 0)
		return;
	FZ_TRACE("out: %.*s\n", (int)iobuf_used(&f->out), (const char *)iobuf_head(&f->out));
	if (capture && !f->msg_overflow) {
		if (iobuf_used(&f->wire) + iobuf_used(&f->out) > FZ_MSG_MAX)
			f->msg_overflow = true;
		else
			FZ_CHECK(iobuf_append(&f->wire, iobuf_head(&f->out), iobuf_used(&f->out),
					      FZ_MSG_MAX) == 0);
	}
	iobuf_consume(&f->out, iobuf_used(&f->out));
}

/* Undo dot-stuffing of a complete DATA transfer; check its terminator. */
static void fz_check_data(struct fz *f)
{
	const uint8_t *w = fz_head(&f->wire);
	size_t n = iobuf_used(&f->wire);
	struct iobuf plain = {0};
	bool bol = true, ended = false;

	for (size_t i = 0; i < n; i++) {
		if (bol && w[i] == '.') {
			if (n - i >= 3 && w[i + 1] == '\r' && w[i + 2] == '\n') {
				FZ_CHECK(i + 3 == n); /* the terminator ends it */
				ended = true;
				break;
			}
			i++; /* a stuffed dot: only ever before a data dot */
			FZ_CHECK(i < n && w[i] == '.');
		}
		FZ_CHECK(iobuf_append(&plain, &w[i], 1, SIZE_MAX) == 0);
		bol = w[i] == '\n' && i > 0 && w[i - 1] == '\r';
	}
	FZ_CHECK(ended);
	const uint8_t *s = fz_head(&f->sent), *p = fz_head(&plain);
	size_t sn = iobuf_used(&f->sent), pn = iobuf_used(&plain);
	if (sn == 0 || (sn >= 2 && s[sn - 2] == '\r' && s[sn - 1] == '\n')) {
		FZ_CHECK(pn == sn && (sn == 0 || memcmp(p, s, sn) == 0));
	} else {
		FZ_CHECK(pn == sn + 2 && memcmp(p, s, sn) == 0 && p[sn] == '\r' &&
			 p[sn + 1] == '\n');
	}
	iobuf_free(&plain);
}

static void fz_msg_reset(struct fz *f)
{
	iobuf_consume(&f->sent, iobuf_used(&f->sent));
	iobuf_consume(&f->wire, iobuf_used(&f->wire));
	f->msg_overflow = false;
}

/* -------------------------------------------------- reply round trip */

static void fz_roundtrip(const struct smtp_reply *r)
{
	static char buf[SMTP_REPLY_WRITE_MAX];
	static struct smtp_reply_parser p2;
	char enh[24];
	size_t enh_len = 0;

	FZ_CHECK(r->code >= 200 && r->code <= 559);
	FZ_CHECK(r->n_lines >= 1 && r->n_lines <= SMTP_REPLY_LINES_MAX);
	FZ_CHECK(r->text_len <= SMTP_REPLY_TEXT_MAX);
	size_t n = smtp_reply_write(r, buf, sizeof(buf));
	FZ_CHECK(n > 0 && n <= sizeof(buf));
	if (r->flags & SMTP_REPLY_F_TRUNCATED)
		return;
	if (r->flags & SMTP_REPLY_F_ENHANCED)
		enh_len = (size_t)snprintf(enh, sizeof(enh), "%u.%u.%u", r->enh_class,
					   r->enh_subject, r->enh_detail);
	/* Lines longer than the writer keeps are cut: compare codes only. */
	bool cut = false;
	unsigned lines = 1;
	size_t ll = 0;
	for (size_t i = 0; i <= r->text_len; i++) {
		if (i == r->text_len || r->text[i] == '\n') {
			if (4 + (enh_len ? enh_len + 1 : 0) + 2 + ll > SMTP_REPLY_LINE_MAX)
				cut = true;
			ll = 0;
			if (i < r->text_len)
				lines++;
		} else {
			ll++;
		}
	}
	FZ_CHECK(lines == r->n_lines);

	size_t used = 0;
	smtp_reply_parser_init(&p2);
	enum smtp_reply_status st = smtp_reply_parse(&p2, (const uint8_t *)buf, n, &used);
	FZ_CHECK(st == SMTP_REPLY_DONE);
	FZ_CHECK(used == n);
	const struct smtp_reply *q = &p2.reply;
	FZ_CHECK(q->code == r->code);
	FZ_CHECK(q->n_lines == r->n_lines);
	FZ_CHECK((q->flags & SMTP_REPLY_F_ENHANCED) == (r->flags & SMTP_REPLY_F_ENHANCED));
	if (r->flags & SMTP_REPLY_F_ENHANCED)
		FZ_CHECK(q->enh_class == r->enh_class && q->enh_subject == r->enh_subject &&
			 q->enh_detail == r->enh_detail);
	if (cut)
		return;
	FZ_CHECK(q->text_len == r->text_len);
	for (size_t i = 0; i < r->text_len; i++) {
		unsigned char c = (unsigned char)r->text[i];
		if (c != '\n' && (c < 0x20 || c == 0x7f))
			c = '?';
		FZ_CHECK((unsigned char)q->text[i] == c);
	}
}

static void fz_parse_alone(struct fz *f, const uint8_t *d, size_t n)
{
	while (n > 0 && !f->rp_dead) {
		size_t used = 0;
		enum smtp_reply_status st = smtp_reply_parse(&f->rp, d, n, &used);
		FZ_CHECK(used <= n);
		if (st == SMTP_REPLY_ERROR) {
			f->rp_dead = true;
			FZ_CHECK(smtp_reply_parse(&f->rp, d, n, &used) == SMTP_REPLY_ERROR);
			return;
		}
		if (st == SMTP_REPLY_DONE) {
			FZ_CHECK(used > 0);
			fz_roundtrip(&f->rp.reply);
		} else {
			FZ_CHECK(used == n);
		}
		d += used;
		n -= used;
	}
}

/* ------------------------------------------------------------- run */

static char fz_long_host[254];

static const char *const fz_addrs[] = {
	"user@example.com",
	"",
	"a",
	"\"quoted local\"@example.com",
	"postmaster",
	"x@[192.0.2.1]",
	NULL,
	"user@b\xc3\xa4r.example",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = {1,  2,	3,  4,	 5,   7,   8,	 13,
					16, 31, 64, 100, 256, 513, 1024, SIZE_MAX};
	static char long_addr[SMTP_PATH_MAX + 8];
	struct fz f;

	if (size < 2)
		return 0;
	if (fz_trace < 0)
		fz_trace = getenv("FZ_TRACE") != NULL;
	memset(&f, 0, sizeof(f));
	uint8_t conf = data[0];
	size_t ctl_len = data[1];
	data += 2;
	size -= 2;
	if (ctl_len > size)
		ctl_len = size;
	const uint8_t *ctl = data, *up = data + ctl_len;
	size_t up_len = size - ctl_len, ci = 0, ui = 0;

	if (fz_long_host[0] == '\0') {
		memset(fz_long_host, 'h', sizeof(fz_long_host) - 1);
		memset(long_addr, 'a', SMTP_PATH_MAX - 2);
		long_addr[SMTP_PATH_MAX - 2] = '\0';
	}
	f.cfg.smtp.upstream.tls = (enum cfg_upstream_tls)((conf & 3) == 3 ? 1 : conf & 3);
	f.cfg.hostname = (conf & 8) ? fz_long_host : ((conf & 16) ? NULL : "dlp.example.test");
	f.cfg.smtp.timeouts.upstream = (conf & 32) ? 1 : 0;
	f.now = 5000;
	smtp_reply_parser_init(&f.rp);

	struct smtp_client_params cp = {
		.cfg = &f.cfg,
		.ops = &fz_ops,
		.ctx = &f,
		.out = &f.out,
		.tls_available = (conf & 4) != 0,
	};
	f.c = smtp_client_create(&cp);
	FZ_CHECK(f.c != NULL);
	smtp_client_connected(f.c, f.now);

	for (unsigned round = 0; round < 8192; round++) {
		bool script = ci < ctl_len;
		if (!script && ui >= up_len)
			break;
		uint8_t b = script ? ctl[ci++] : 15;
		unsigned a = b >> 4;
		int rc = 0;

		switch (b & 15) {
		case 0:
		case 1:
		case 2:
		case 3:
		case 4:
		case 15: {
			size_t n = (b & 15) == 15 ? SIZE_MAX : chunks[a];
			if ((b & 15) == 1) {
				/* up to and including the (a+1)-th line end */
				unsigned lines = a + 1;
				for (n = 0; ui + n < up_len && lines > 0; n++)
					if (up[ui + n] == '\n')
						lines--;
			}
			if (n > up_len - ui)
				n = up_len - ui;
			fz_parse_alone(&f, up + ui, n);
			rc = smtp_client_input(f.c, up + ui, n, f.now);
			FZ_CHECK(rc == 0 || (rc < 0 && f.failed));
			if (f.failed)
				FZ_CHECK(rc < 0 || n == 0);
			ui += n;
			break;
		}
		case 5:
		case 6: {
			const char *addr = (a & 7) == 6 ? long_addr : fz_addrs[a & 7];
			const char *params = (a & 8) ? "SIZE=1000 BODY=8BITMIME" : NULL;
			size_t al = strlen(addr), pl = params ? strlen(params) : 0;
			rc = (b & 15) == 5 ? smtp_client_mail(f.c, addr, al, params, pl, f.now)
					   : smtp_client_rcpt(f.c, addr, al, params, pl, f.now);
			if (rc == 0)
				fz_expect(&f, (b & 15) == 5 ? SMTP_CMD_MAIL : SMTP_CMD_RCPT);
			break;
		}
		case 7:
			rc = smtp_client_data(f.c, a & 1, f.now);
			if (rc == 0) {
				fz_msg_reset(&f);
				if (smtp_client_body_open(f.c)) {
					f.body = FB_BDAT;
				} else {
					f.body = FB_DATA_WAIT;
					fz_expect(&f, SMTP_CMD_EOD);
				}
			}
			break;
		case 8: {
			size_t n = ci < ctl_len ? ctl[ci++] & 63 : 0;
			if (n > ctl_len - ci)
				n = ctl_len - ci;
			const uint8_t *p = ctl + ci;
			ci += n;
			rc = smtp_client_body(f.c, p, n, f.now);
			if (rc == 0 && n > 0 && f.body == FB_BDAT) {
				char h[40];
				int hl = snprintf(h, sizeof(h), "BDAT %zu\r\n", n);
				FZ_CHECK(iobuf_used(&f.out) == (size_t)hl + n);
				FZ_CHECK(memcmp(iobuf_head(&f.out), h, (size_t)hl) == 0);
				FZ_CHECK(memcmp(iobuf_head(&f.out) + hl, p, n) == 0);
			}
			if (rc == 0 && f.body == FB_DATA && !f.msg_overflow) {
				if (iobuf_used(&f.sent) + n > FZ_MSG_MAX)
					f.msg_overflow = true;
				else
					FZ_CHECK(iobuf_append(&f.sent, p, n, FZ_MSG_MAX) == 0);
			}
			if (rc != 0)
				FZ_CHECK(iobuf_used(&f.out) == 0);
			break;
		}
		case 9:
			rc = smtp_client_body_end(f.c, f.now);
			if (rc == 0) {
				FZ_CHECK(!smtp_client_body_open(f.c));
				if (f.body == FB_BDAT) {
					FZ_CHECK(iobuf_used(&f.out) == 13 &&
						 memcmp(iobuf_head(&f.out), "BDAT 0 LAST\r\n",
							13) == 0);
					fz_expect(&f, SMTP_CMD_EOD);
				} else {
					FZ_CHECK(f.body == FB_DATA);
					fz_take_output(&f, true);
					if (!f.msg_overflow)
						fz_check_data(&f);
				}
				f.body = FB_NONE;
				fz_msg_reset(&f);
			}
			break;
		case 10:
			rc = smtp_client_rset(f.c, f.now);
			break;
		case 11:
			if (smtp_client_body_open(f.c))
				break; /* QUIT inside a message would be message text */
			rc = smtp_client_quit(f.c, f.now);
			if (rc == 0) {
				f.quit = true;
				f.ex_n = 0;
			}
			break;
		case 12:
			if (a & 1) {
				uint64_t t = smtp_client_next_timeout(f.c);
				if (t != UINT64_MAX)
					f.now = t + (a >> 1);
			} else {
				f.now += (uint64_t)a * 997u;
			}
			smtp_client_timer(f.c, f.now);
			break;
		case 13:
			if (f.starttls && !f.tls_done) {
				f.tls_done = true;
				if (a & 1)
					smtp_client_tls_ready(f.c, f.now);
				else
					smtp_client_tls_failed(f.c, f.now);
			}
			break;
		case 14:
			smtp_client_closed(f.c, f.now);
			FZ_CHECK(smtp_client_done(f.c));
			break;
		}
		(void)rc;
		/* A 354 opens the body: capture from here on. */
		if (f.body == FB_DATA_WAIT && smtp_client_body_open(f.c)) {
			fz_take_output(&f, false);
			f.body = FB_DATA;
			fz_msg_reset(&f);
		}
		if (f.failed) {
			FZ_CHECK(smtp_client_done(f.c) && !smtp_client_body_open(f.c));
			f.body = FB_NONE;
		}
		fz_take_output(&f, f.body == FB_DATA);
		if (!f.quit)
			FZ_CHECK(smtp_client_ready(f.c) == (f.ready && !f.failed));
		(void)smtp_client_caps(f.c);
		(void)smtp_client_can_send(f.c);
		(void)smtp_client_idle(f.c);
		(void)smtp_client_in_txn(f.c);
		(void)smtp_client_in_tls(f.c);
	}
	smtp_client_destroy(f.c);
	iobuf_free(&f.out);
	iobuf_free(&f.sent);
	iobuf_free(&f.wire);
	return 0;
}
