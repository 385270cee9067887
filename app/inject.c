/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inject.c — the scripted sender for messages the appliance sends itself
 * (inject.h).
 *
 * The script is fixed and pipelined the way RFC 2920 allows: after the
 * EHLO reply, MAIL, every RCPT and DATA go in one write; the replies are
 * matched in order; after 354 the dot-stuffed message and "." follow, then
 * QUIT. Replies are parsed line by line with a bounded line buffer.
 */
#include "app/inject.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp.h"

#define INJECT_LINE_MAX 1024

enum inject_state {
	IN_GREETING = 0, /* waiting for 220 */
	IN_EHLO,         /* waiting for the EHLO reply */
	IN_MAIL,         /* waiting for MAIL's reply */
	IN_RCPT,         /* waiting for RCPT replies */
	IN_DATA,         /* waiting for 354 */
	IN_FINAL,        /* waiting for the final reply of the message */
	IN_QUIT,         /* waiting for 221 */
	IN_DONE,
};

struct inject {
	struct inject_job *job;
	enum inject_state st;
	size_t rcpt_replies;
	size_t rcpts_ok;
	char line[INJECT_LINE_MAX];
	size_t line_len;
	bool line_long;
	uint8_t *out;      /* bytes for the proxy */
	size_t out_len, out_off, out_cap;
	char helo[256];
};

static char *xstrdup(const char *s)
{
	return strdup(s != NULL ? s : "");
}

void inject_job_free(struct inject_job *j)
{
	if (j == NULL)
		return;
	free(j->mail_from);
	for (size_t i = 0; i < j->n_rcpts; i++)
		free(j->rcpts[i]);
	free(j->rcpts);
	free(j->data);
	free(j);
}

struct inject_job *inject_job_create(enum inject_kind kind, const char *mail_from,
				     const char *const *rcpts, size_t n_rcpts, const void *data,
				     size_t len, const char *id)
{
	struct inject_job *j = calloc(1, sizeof(*j));

	if (j == NULL)
		return NULL;
	j->kind = kind;
	j->mail_from = xstrdup(mail_from);
	j->rcpts = calloc(n_rcpts ? n_rcpts : 1, sizeof(*j->rcpts));
	j->data = malloc(len ? len : 1);
	if (j->mail_from == NULL || j->rcpts == NULL || j->data == NULL)
		goto fail;
	for (size_t i = 0; i < n_rcpts; i++) {
		j->rcpts[i] = xstrdup(rcpts[i]);
		if (j->rcpts[i] == NULL)
			goto fail;
		j->n_rcpts = i + 1;
	}
	memcpy(j->data, data, len);
	j->len = len;
	snprintf(j->id, sizeof(j->id), "%s", id != NULL ? id : "");
	return j;
fail:
	inject_job_free(j);
	errno = ENOMEM;
	return NULL;
}

static int out_put(struct inject *in, const void *p, size_t n)
{
	if (in->out_len + n > in->out_cap) {
		size_t cap = in->out_cap ? in->out_cap : 1024;
		while (cap < in->out_len + n)
			cap *= 2;
		uint8_t *nb = realloc(in->out, cap);
		if (nb == NULL)
			return -ENOMEM;
		in->out = nb;
		in->out_cap = cap;
	}
	memcpy(in->out + in->out_len, p, n);
	in->out_len += n;
	return 0;
}

static int out_str(struct inject *in, const char *s)
{
	return out_put(in, s, strlen(s));
}

/* The message, dot-stuffed, CRLF line ends, then the "." line. */
static int out_message(struct inject *in)
{
	const uint8_t *p = in->job->data, *end = p + in->job->len;
	bool bol = true;
	int rc = 0;

	while (p < end && rc == 0) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
		const uint8_t *eol = nl != NULL ? nl : end;
		size_t n = (size_t)(eol - p);

		if (n > 0 && eol[-1] == '\r' && nl != NULL)
			n--;
		if (bol && n > 0 && p[0] == '.')
			rc = out_put(in, ".", 1);
		if (rc == 0)
			rc = out_put(in, p, n);
		if (rc == 0 && (nl != NULL || n > 0))
			rc = out_put(in, "\r\n", 2);
		p = nl != NULL ? nl + 1 : end;
		bol = true;
	}
	return rc != 0 ? rc : out_str(in, ".\r\n");
}

static void finish(struct inject *in, int code, const char *text)
{
	in->job->code = code;
	snprintf(in->job->text, sizeof(in->job->text), "%s", text);
}

static void send_quit(struct inject *in)
{
	in->st = out_str(in, "QUIT\r\n") == 0 ? IN_QUIT : IN_DONE;
}

/* One complete reply (the last line of it in in->line). */
static void on_reply(struct inject *in, int code, const char *text)
{
	struct inject_job *j = in->job;
	char cmd[600];

	switch (in->st) {
	case IN_GREETING:
		if (code != 220) {
			finish(in, code, text);
			send_quit(in);
			break;
		}
		snprintf(cmd, sizeof(cmd), "EHLO %s\r\n", in->helo);
		in->st = out_str(in, cmd) == 0 ? IN_EHLO : IN_DONE;
		break;
	case IN_EHLO:
		if (code != 250) {
			finish(in, code, text);
			send_quit(in);
			break;
		}
		snprintf(cmd, sizeof(cmd), "MAIL FROM:<%s>\r\n", j->mail_from);
		if (out_str(in, cmd) != 0) {
			in->st = IN_DONE;
			break;
		}
		for (size_t i = 0; i < j->n_rcpts; i++) {
			snprintf(cmd, sizeof(cmd), "RCPT TO:<%s>\r\n", j->rcpts[i]);
			if (out_str(in, cmd) != 0) {
				in->st = IN_DONE;
				return;
			}
		}
		in->st = out_str(in, "DATA\r\n") == 0 ? IN_MAIL : IN_DONE;
		break;
	case IN_MAIL:
		if (code != 250)
			finish(in, code, text); /* RCPT and DATA replies still come */
		in->st = IN_RCPT;
		break;
	case IN_RCPT:
		if (code == 250 || code == 251)
			in->rcpts_ok++;
		else if (j->code == 0 && in->rcpt_replies + 1 == j->n_rcpts && in->rcpts_ok == 0)
			finish(in, code, text);
		if (++in->rcpt_replies == j->n_rcpts)
			in->st = IN_DATA;
		break;
	case IN_DATA:
		if (code == 354 && j->code == 0) {
			in->st = out_message(in) == 0 ? IN_FINAL : IN_DONE;
		} else {
			if (j->code == 0)
				finish(in, code, text);
			send_quit(in);
		}
		break;
	case IN_FINAL:
		finish(in, code, text);
		send_quit(in);
		break;
	case IN_QUIT:
	case IN_DONE:
		in->st = IN_DONE;
		break;
	}
}

void inject_input(struct inject *in, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len && in->st != IN_DONE; i++) {
		char c = (char)data[i];

		if (c != '\n') {
			if (in->line_len < sizeof(in->line) - 1)
				in->line[in->line_len++] = c;
			else
				in->line_long = true;
			continue;
		}
		if (in->line_len > 0 && in->line[in->line_len - 1] == '\r')
			in->line_len--;
		in->line[in->line_len] = '\0';
		if (in->line_len < 3 || in->line_long || in->line[0] < '2' || in->line[0] > '5') {
			finish(in, 0, "malformed reply from the proxy");
			in->st = IN_DONE;
		} else if (in->line_len == 3 || in->line[3] == ' ') {
			on_reply(in, atoi(in->line), in->line_len > 4 ? in->line + 4 : "");
		}
		in->line_len = 0;
		in->line_long = false;
	}
}

size_t inject_pending(struct inject *in, const uint8_t **buf)
{
	static const uint8_t none[1];

	*buf = in->out != NULL ? in->out + in->out_off : none;
	return in->out_len - in->out_off;
}

void inject_sent(struct inject *in, size_t n)
{
	in->out_off += n;
	if (in->out_off == in->out_len)
		in->out_off = in->out_len = 0;
}

bool inject_finished(const struct inject *in)
{
	return in->st == IN_DONE;
}

void inject_fail(struct inject *in, const char *why)
{
	if (in->job->code == 0 || in->st < IN_QUIT)
		finish(in, in->job->code, why);
	in->st = IN_DONE;
}

struct inject *inject_create(struct inject_job *j, const char *helo_name)
{
	struct inject *in;

	if (j == NULL || j->n_rcpts == 0) {
		errno = EINVAL;
		return NULL;
	}
	in = calloc(1, sizeof(*in));
	if (in == NULL)
		return NULL;
	in->job = j;
	snprintf(in->helo, sizeof(in->helo), "%s", helo_name != NULL ? helo_name : "localhost");
	j->code = 0;
	j->text[0] = '\0';
	return in;
}

void inject_destroy(struct inject *in)
{
	if (in == NULL)
		return;
	free(in->out);
	free(in);
}

/* ------------------------------------------------ the no-scan backend */

static int dummy_handle;

static void *noscan_begin(void *ctx, const struct dlp_envelope *env)
{
	(void)ctx;
	(void)env;
	return &dummy_handle;
}

static int noscan_feed(void *ctx, void *h, const void *data, size_t len)
{
	(void)ctx;
	(void)h;
	(void)data;
	(void)len;
	return 0;
}

static int noscan_end(void *ctx, void *h, struct dlp_verdict **out)
{
	struct dlp_verdict *v = calloc(1, sizeof(*v));

	(void)ctx;
	(void)h;
	if (v == NULL)
		return -ENOMEM;
	v->action = CFG_ACTION_ALLOW; /* no policy: relayed with the inspected header */
	*out = v;
	return 0;
}

static void noscan_abort(void *ctx, void *h)
{
	(void)ctx;
	(void)h;
}

static void noscan_release(void *ctx, struct dlp_verdict *v)
{
	(void)ctx;
	dlp_verdict_free(v);
}

const struct smtp_scan_ops inject_scan_ops = {
	.begin = noscan_begin,
	.feed = noscan_feed,
	.end = noscan_end,
	.abort = noscan_abort,
	.release = noscan_release,
};
