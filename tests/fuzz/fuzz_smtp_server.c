/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_smtp_server.c — libFuzzer target for the sans-IO SMTP server
 * (app/smtp_server.c) with a scripted owner.
 *
 * Input: byte 0 picks the configuration (bare LF policy, require_tls,
 * STARTTLS offered / implicit TLS, DSN, small limits, a long host name),
 * bytes 1..4 seed a PRNG that decides every owner choice (DEFER / REPLY /
 * HOLD / OK in the ops, when and with what code deferred replies complete,
 * when the STARTTLS handshake "finishes", timer jumps) and the chunking of
 * the rest, which is what the client sends.
 *
 * Invariants checked (abort on violation):
 *  - the output is only whole replies: lines "NNN-text" / "NNN text" with
 *    NNN in 200..599, CRLF-terminated, at most 512 bytes, no control bytes,
 *    one code per multi-line reply, ending with a last line;
 *  - never more than SMTP_PIPELINE_MAX deferred replies, and the server's
 *    count matches the owner's; no live timer while replies are owed;
 *  - replies leave in command order: nothing is emitted while a deferred
 *    reply is owed except that reply itself (RFC 2920);
 *  - rset() is never called with a deferred reply outstanding;
 *  - no callback after close(), none between starttls() and the handshake;
 *  - data() only inside a message; DATA bytes have CR only in CRLF; a
 *    message ended with status 0 ends in CRLF (or is empty), has no text
 *    line over the limit and never exceeds max_message_size;
 *  - MAIL/RCPT addresses and parameters carry no control bytes;
 *  - FZ_RELAX (environment) can switch off the order / parameter checks
 *    to look past a known bug; FZ_TRACE=1 logs owner calls and replies;
 *  - feed() always makes progress once nothing is held or owed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/msgbuf.h"
#include "app/smtp_server.h"
#include "config/cfg.h"

#define FZ_HOLD_BUDGET 8
#define FZ_ROUNDS_MAX 4096

#define FZ_CHECK(c)                                                                              \
	do {                                                                                     \
		if (!(c)) {                                                                      \
			fprintf(stderr, "fuzz_smtp_server: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                                   \
			abort();                                                                 \
		}                                                                                \
	} while (0)

struct fz {
	struct smtp_server *s;
	struct cfg cfg;
	struct iobuf out;
	uint64_t rng;
	uint64_t now;
	uint64_t drained; /* reply bytes taken so far */
	uint64_t mark;	  /* output position when the oldest owed reply was deferred */
	unsigned owed;	  /* deferred replies not yet completed (mirror) */
	unsigned holds;	  /* HOLDs left */
	unsigned n_done;  /* completions issued (for the reply text) */
	bool closed;
	bool tls_wait; /* starttls() seen, handshake not finished */
	bool in_msg;   /* data_begin() said OK, no data_end()/rset() yet */
	bool msg_bdat;
	uint8_t prev;	    /* last DATA byte delivered */
	uint64_t delivered; /* bytes of this message */
	uint32_t line;	    /* length of the current delivered DATA line */
	uint32_t line_max;  /* longest delivered DATA line */
	char last_code[3];  /* output checker: code of an open multi-line reply */
	bool in_multi;
};

/* FZ_RELAX in the environment skips classes of checks, to look past a
 * known bug: 'o' reply order and rset() with replies owed, 'p' control
 * bytes in MAIL/RCPT parameters. */
static bool fz_relax_order, fz_relax_params;
/* FZ_TRACE=1: log owner calls and replies to stderr (reproducing a report). */
static bool fz_trace;

#define FZ_TRACE(...)                                        \
	do {                                                 \
		if (fz_trace)                                \
			fprintf(stderr, "fz: " __VA_ARGS__); \
	} while (0)

static uint32_t fz_rand(struct fz *f)
{
	f->rng ^= f->rng << 13;
	f->rng ^= f->rng >> 7;
	f->rng ^= f->rng << 17;
	return (uint32_t)(f->rng >> 32);
}

static unsigned fz_pick(struct fz *f, unsigned n)
{
	return fz_rand(f) % n;
}

static uint64_t fz_total_out(const struct fz *f)
{
	return f->drained + iobuf_used(&f->out);
}

static void fz_callback(struct fz *f)
{
	FZ_CHECK(!f->closed);
	FZ_CHECK(!f->tls_wait);
}

static bool fz_hold(struct fz *f)
{
	if (f->holds == 0 || fz_pick(f, 8) != 0)
		return false;
	f->holds--;
	return true;
}

static void fz_owe(struct fz *f)
{
	if (f->owed++ == 0)
		f->mark = fz_total_out(f);
	FZ_CHECK(f->owed <= SMTP_PIPELINE_MAX);
}

static bool fz_clean(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x20 || p[i] == 0x7f)
			return false;
	return true;
}

static const char *const fz_texts[] = {
	"Ok",
	"",
	"queued as 1234ABC",
	"line one\nline two\nline three",
	"bad\r\ninjected 250 ok",
	"x\n",
	"\n\n",
};

static void fz_rsp(struct fz *f, struct smtp_rsp *r, bool ok)
{
	static const uint16_t good[] = {250, 251, 252};
	static const uint16_t bad[] = {421, 450, 451, 452, 500, 550, 552, 553, 554};
	static const char *const enh[] = {NULL, "2.0.0", "4.7.1", "5.7.1", "5.1.10.999"};

	r->code = ok ? good[fz_pick(f, 3)] : bad[fz_pick(f, 9)];
	r->enh = enh[fz_pick(f, 5)];
	if (r->enh && r->enh[0] != '0' + r->code / 100 && fz_pick(f, 2))
		r->enh = NULL;
	r->text =
		fz_pick(f, 4) ? fz_texts[fz_pick(f, sizeof(fz_texts) / sizeof(fz_texts[0]))] : NULL;
}

/* ------------------------------------------------------------- ops */

static enum smtp_act op_helo(void *ctx, bool ehlo, const char *name, size_t len,
			     struct smtp_rsp *rsp)
{
	struct fz *f = ctx;

	FZ_TRACE("helo(%d, %.*s)\n", ehlo, (int)len, name);
	fz_callback(f);
	FZ_CHECK(f->owed == 0);
	FZ_CHECK(!f->in_msg);
	FZ_CHECK(len > 0 && memchr(name, ' ', len) == NULL);
	for (size_t i = 0; i < len; i++)
		FZ_CHECK((unsigned char)name[i] < 0x80);
	if (fz_hold(f))
		return SMTP_ACT_HOLD;
	if (fz_pick(f, 16) == 0) {
		fz_rsp(f, rsp, false);
		return SMTP_ACT_REPLY;
	}
	return SMTP_ACT_OK;
}

static enum smtp_act op_path(struct fz *f, const struct smtp_path_cmd *m, struct smtp_rsp *rsp)
{
	FZ_TRACE("path(<%.*s> %.*s) owed %u\n", (int)m->addr_len, m->addr, (int)m->params_len,
		 m->params, f->owed);
	fz_callback(f);
	/* The server takes RCPT between BDAT chunks (not LAST); DATA ends
	 * the message before any command. */
	FZ_CHECK(!f->in_msg || f->msg_bdat);
	FZ_CHECK(f->owed < SMTP_PIPELINE_MAX);
	FZ_CHECK(m->addr_len + 2 <= SMTP_PATH_MAX);
	FZ_CHECK(fz_clean(m->addr, m->addr_len));
	if (!fz_relax_params)
		FZ_CHECK(fz_clean(m->params, m->params_len));
	FZ_CHECK(m->size <= f->cfg.smtp.max_message_size || f->cfg.smtp.max_message_size == 0);
	if (fz_hold(f))
		return SMTP_ACT_HOLD;
	unsigned r = fz_pick(f, 16);
	if (r == 0) {
		fz_rsp(f, rsp, fz_pick(f, 2));
		return SMTP_ACT_REPLY;
	}
	if (r == 1)
		return SMTP_ACT_OK; /* a mistake the server must survive */
	fz_owe(f);
	return SMTP_ACT_DEFER;
}

static enum smtp_act op_mail(void *ctx, const struct smtp_path_cmd *m, struct smtp_rsp *rsp)
{
	return op_path(ctx, m, rsp);
}

static enum smtp_act op_rcpt(void *ctx, const struct smtp_path_cmd *r, struct smtp_rsp *rsp)
{
	FZ_CHECK(r->addr_len > 0);
	return op_path(ctx, r, rsp);
}

static enum smtp_act op_data_begin(void *ctx, bool bdat, struct smtp_rsp *rsp)
{
	struct fz *f = ctx;

	FZ_TRACE("data_begin(bdat %d)\n", bdat);
	fz_callback(f);
	FZ_CHECK(f->owed == 0);
	FZ_CHECK(!f->in_msg);
	if (fz_hold(f))
		return SMTP_ACT_HOLD;
	if (fz_pick(f, 16) == 0) {
		fz_rsp(f, rsp, false);
		return SMTP_ACT_REPLY;
	}
	FZ_TRACE("  -> OK\n");
	f->in_msg = true;
	f->msg_bdat = bdat;
	f->prev = '\n';
	f->delivered = 0;
	f->line = f->line_max = 0;
	return SMTP_ACT_OK;
}

static int op_data(void *ctx, const uint8_t *p, size_t n)
{
	struct fz *f = ctx;

	fz_callback(f);
	FZ_CHECK(f->in_msg);
	FZ_CHECK(n > 0);
	f->delivered += n;
	FZ_CHECK(f->delivered <= f->cfg.smtp.max_message_size || f->cfg.smtp.max_message_size == 0);
	if (!f->msg_bdat) {
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '\n')
				FZ_CHECK(f->prev == '\r');
			if (f->prev == '\r')
				FZ_CHECK(p[i] == '\n');
			if (p[i] == '\n') {
				f->line = 0;
			} else if (p[i] != '\r') {
				if (++f->line > f->line_max)
					f->line_max = f->line;
			}
			f->prev = p[i];
		}
	}
	return fz_pick(f, 64) == 0 ? -EIO : 0;
}

static enum smtp_act op_data_end(void *ctx, int status, struct smtp_rsp *rsp)
{
	struct fz *f = ctx;
	unsigned max_line = f->cfg.smtp.max_line_length ? f->cfg.smtp.max_line_length : 1000;

	FZ_TRACE("data_end(%d) after %llu bytes\n", status, (unsigned long long)f->delivered);
	fz_callback(f);
	FZ_CHECK(f->in_msg);
	FZ_CHECK(f->owed == 0);
	f->in_msg = false;
	if (status == 0 && !f->msg_bdat) {
		FZ_CHECK(f->delivered == 0 || f->prev == '\n');
		FZ_CHECK(f->line_max + 2 <= max_line);
	}
	if (fz_pick(f, 4) == 0) {
		fz_rsp(f, rsp, fz_pick(f, 2));
		return SMTP_ACT_REPLY;
	}
	if (status == 0)
		fz_owe(f);
	return SMTP_ACT_DEFER;
}

static void op_rset(void *ctx)
{
	struct fz *f = ctx;

	FZ_TRACE("rset()\n");
	fz_callback(f);
	if (!fz_relax_order) {
		FZ_CHECK(f->owed == 0);
		FZ_CHECK(smtp_server_deferred_count(f->s) == 0);
	}
	f->in_msg = false;
}

static void op_starttls(void *ctx)
{
	struct fz *f = ctx;

	fz_callback(f);
	FZ_CHECK(f->owed == 0);
	FZ_CHECK(!f->in_msg);
	FZ_TRACE("starttls()\n");
	f->tls_wait = true;
}

static void op_close(void *ctx)
{
	struct fz *f = ctx;

	FZ_TRACE("close()\n");
	FZ_CHECK(!f->closed);
	f->closed = true;
	f->in_msg = false;
}

static const struct smtp_server_ops fz_ops = {
	.helo = op_helo,
	.mail = op_mail,
	.rcpt = op_rcpt,
	.data_begin = op_data_begin,
	.data = op_data,
	.data_end = op_data_end,
	.rset = op_rset,
	.starttls = op_starttls,
	.close = op_close,
};

/* ---------------------------------------------------------- checks */

/* Check and drop everything the server wrote. */
static void fz_drain(struct fz *f)
{
	size_t n = iobuf_used(&f->out), i = 0;

	if (n == 0)
		return;
	const uint8_t *p = iobuf_head(&f->out);

	while (i < n) {
		const uint8_t *lf = memchr(p + i, '\n', n - i);
		FZ_CHECK(lf != NULL); /* only whole lines */
		size_t ll = (size_t)(lf - (p + i)) + 1;
		const uint8_t *l = p + i;
		FZ_CHECK(ll >= 6 && ll <= 512);
		FZ_CHECK(l[ll - 2] == '\r');
		FZ_CHECK(l[0] >= '2' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' && l[2] >= '0' &&
			 l[2] <= '9');
		FZ_CHECK(l[3] == ' ' || l[3] == '-');
		for (size_t k = 4; k < ll - 2; k++)
			FZ_CHECK(l[k] >= 0x20 && l[k] != 0x7f);
		if (f->in_multi)
			FZ_CHECK(memcmp(f->last_code, l, 3) == 0);
		f->in_multi = l[3] == '-';
		memcpy(f->last_code, l, 3);
		i += ll;
	}
	FZ_CHECK(!f->in_multi); /* replies are written whole */
	if (fz_trace && n)
		fprintf(stderr, "fz: out: %.*s", (int)n, (const char *)p);
	f->drained += n;
	iobuf_consume(&f->out, n);
}

/* Nothing may have been emitted since a deferred reply became owed. */
static void fz_check_order(struct fz *f)
{
	unsigned dq = smtp_server_deferred_count(f->s);

	FZ_CHECK(dq <= SMTP_PIPELINE_MAX);
	FZ_CHECK(dq == f->owed);
	if (f->owed > 0) {
		if (!fz_relax_order)
			FZ_CHECK(fz_total_out(f) == f->mark);
		FZ_CHECK(smtp_server_next_timeout(f->s) == UINT64_MAX);
	}
}

/* Deliver up to `k` owed replies. */
static void fz_complete(struct fz *f, unsigned k)
{
	while (k-- > 0 && f->owed > 0 && !f->closed) {
		struct smtp_rsp r;
		char text[48];
		enum smtp_cmd head = smtp_server_deferred_head(f->s);

		FZ_CHECK(head == SMTP_CMD_MAIL || head == SMTP_CMD_RCPT || head == SMTP_CMD_EOD);
		fz_rsp(f, &r, fz_pick(f, 4) != 0);
		if (fz_pick(f, 2)) {
			snprintf(text, sizeof(text), "deferred %u", f->n_done);
			r.text = text;
		}
		f->n_done++;
		FZ_CHECK(smtp_server_complete_rsp(f->s, &r, f->now) == 0);
		f->owed--;
		f->mark = fz_total_out(f);
		fz_check_order(f);
		fz_drain(f);
	}
	if (f->owed == 0 && !f->closed)
		FZ_CHECK(smtp_server_complete_rsp(f->s, &(struct smtp_rsp){250, NULL, "x"},
						  f->now) == -EINVAL);
}

/* ------------------------------------------------------------- run */

static char fz_long_host[254];

static void fz_config(struct fz *f, uint8_t c)
{
	memset(&f->cfg, 0, sizeof(f->cfg));
	f->cfg.smtp.bare_lf = (c & 1) ? CFG_BARE_LF_NORMALIZE : CFG_BARE_LF_REJECT;
	f->cfg.smtp.require_tls = (c & 2) != 0;
	switch ((c >> 5) & 3) {
	case 0:
		break;
	case 1:
		f->cfg.smtp.max_line_length = 78;
		f->cfg.smtp.max_message_size = 1000;
		f->cfg.smtp.max_recipients = 3;
		break;
	case 2:
		f->cfg.smtp.max_line_length = 3;
		f->cfg.smtp.max_message_size = 1;
		f->cfg.smtp.max_recipients = 1;
		break;
	default:
		f->cfg.smtp.max_message_size = UINT64_MAX;
		f->cfg.smtp.max_recipients = 100000;
		f->cfg.smtp.max_line_length = 100000;
		f->cfg.smtp.timeouts.command = 1;
		f->cfg.smtp.timeouts.data = 1;
		break;
	}
	if (fz_long_host[0] == '\0')
		memset(fz_long_host, 'h', sizeof(fz_long_host) - 1);
	f->cfg.hostname = (c & 0x80) ? fz_long_host : "mx.example.test";
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *e = getenv("FZ_RELAX");

	(void)argc;
	(void)argv;
	fz_relax_order = e != NULL && strchr(e, 'o') != NULL;
	fz_relax_params = e != NULL && strchr(e, 'p') != NULL;
	fz_trace = getenv("FZ_TRACE") != NULL;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t chunks[] = {1, 2, 3, 7, 16, 64, 512, 4096};
	struct fz f;

	if (size < 5)
		return 0;
	memset(&f, 0, sizeof(f));
	fz_config(&f, data[0]);
	f.rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)data[1] << 24 | (uint64_t)data[2] << 16 |
					 (uint64_t)data[3] << 8 | data[4]);
	f.holds = FZ_HOLD_BUDGET;
	f.now = 1000;
	data += 5;
	size -= 5;

	struct smtp_server_params sp = {
		.cfg = &f.cfg,
		.ops = &fz_ops,
		.ctx = &f,
		.out = &f.out,
		.starttls_offered = (data[-5] & 4) != 0,
		.tls_active = (data[-5] & 8) != 0,
	};
	f.s = smtp_server_create(&sp);
	FZ_CHECK(f.s != NULL);
	smtp_server_set_dsn(f.s, (data[-5] & 16) != 0);
	smtp_server_greet(f.s, f.now);
	fz_drain(&f);

	size_t pos = 0;
	unsigned stalls = 0;
	for (unsigned round = 0; round < FZ_ROUNDS_MAX && !f.closed; round++) {
		if (pos < size) {
			size_t n = chunks[fz_pick(&f, 8)];
			if (n > size - pos)
				n = size - pos;
			size_t k = smtp_server_feed(f.s, data + pos, n, f.now);
			FZ_CHECK(k <= n);
			pos += k;
			fz_check_order(&f);
			fz_drain(&f);
			if (k == 0 && !f.closed) {
				/* Held, or waiting for a final reply. */
				FZ_CHECK(smtp_server_held(f.s) || f.owed > 0);
				if (++stalls > 64 + FZ_HOLD_BUDGET) {
					/* Everything owed was delivered and holds
					 * are exhausted: it must move. */
					FZ_CHECK(f.owed > 0 || f.holds > 0);
				}
			} else {
				stalls = 0;
			}
		} else if (f.owed == 0 && !smtp_server_held(f.s)) {
			break;
		}
		if (f.closed)
			break;
		/* Owner activity between reads. */
		unsigned r = fz_pick(&f, 8);
		if (r < 3 || pos >= size)
			fz_complete(&f, fz_pick(&f, 4) ? f.owed : 1 + fz_pick(&f, 3));
		if (smtp_server_held(f.s) && f.owed == 0) {
			bool ok = smtp_server_resume(f.s, f.now);
			FZ_CHECK(ok == !smtp_server_held(f.s) || smtp_server_closing(f.s));
			fz_check_order(&f);
			fz_drain(&f);
		}
		if (f.tls_wait && fz_pick(&f, 2)) {
			f.tls_wait = false;
			smtp_server_tls_started(f.s, f.now);
			fz_check_order(&f);
			fz_drain(&f);
		}
		f.now += fz_pick(&f, 1000);
		if (r == 7 && fz_pick(&f, 4) == 0) {
			uint64_t t = smtp_server_next_timeout(f.s);
			if (t != UINT64_MAX) {
				FZ_CHECK(f.owed == 0);
				f.now = t + fz_pick(&f, 2);
				smtp_server_timer(f.s, f.now);
				fz_drain(&f);
			}
		}
	}
	if (!f.closed && fz_pick(&f, 2)) {
		fz_complete(&f, f.owed);
		smtp_server_shutdown(f.s, "4.3.2", "shutting down");
		FZ_CHECK(f.closed);
		fz_drain(&f);
	}
	(void)smtp_server_stats(f.s);
	(void)smtp_server_helo_name(f.s);
	smtp_server_destroy(f.s);
	iobuf_free(&f.out);
	return 0;
}
