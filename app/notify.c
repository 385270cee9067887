/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * notify.c — policy-violation notices: template expansion, header value
 * sanitising, RFC 2047 subject encoding, quoted-printable body, RFC 5322
 * date and message id.
 */
#include "app/notify.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include <mbedtls/base64.h>

#include "app/api_json.h"
#include "app/incident.h"
#include "dlp/policy.h"
#include "dlp/utf8.h"

static const char notify_default_body[] =
	"Hello,\n"
	"\n"
	"Your message \"{subject}\" sent at {time} to {recipients} matched the\n"
	"data-loss-prevention policy \"{policy}\" (action: {action}).\n"
	"\n"
	"If you believe this is a mistake, contact your security team and quote\n"
	"the reference {queue_id}.\n"
	"\n"
	"-- \n"
	"{hostname}\n";

bool notify_sender_allowed(const struct cfg *cfg, const char *mail_from)
{
	return mail_from != NULL && mail_from[0] != '\0' &&
	       dlp_addr_internal(mail_from, cfg->dlp.internal_domains, cfg->dlp.n_internal_domains);
}

/* Append s as valid UTF-8; in header mode control bytes become spaces. */
static void notify_put_clean(struct api_buf *b, const char *s, bool header)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		if (c < 0x20 || c == 0x7f) {
			if (header)
				api_buf_put(b, " ", 1);
			else if (c == '\n' || c == '\t')
				api_buf_put(b, &c, 1);
			else if (c != '\r')
				api_buf_put(b, " ", 1);
			i++;
			continue;
		}
		size_t l = utf8_seq_len(p + i, n - i);
		if (l == 0) {
			api_buf_puts(b, "\xef\xbf\xbd");
			i++;
		} else {
			api_buf_put(b, p + i, l);
			i += l;
		}
	}
}

static void notify_fmt_time(int64_t t, char *out, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(out, len, "%04d-%02d-%02d %02d:%02d:%02d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* RFC 5322 date-time in UTC, locale-independent. */
static void notify_rfc5322_date(int64_t t, char *out, size_t len)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	snprintf(out, len, "%s, %d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday], tm.tm_mday,
		 months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Expand {placeholders}; header mode sanitises values for a header. */
static void notify_expand(struct api_buf *b, const char *tmpl, const struct notify_params *p,
			  const struct notify_event *ev, bool header)
{
	char when[40];
	notify_fmt_time(ev->time, when, sizeof(when));
	for (const char *s = tmpl; *s;) {
		if (*s == '{') {
			const char *close = strchr(s, '}');
			size_t n = close ? (size_t)(close - s - 1) : 0;
			const char *val = NULL;
			bool known = true, rcpts = false;
			if (close == NULL)
				known = false;
			else if (n == 6 && strncmp(s + 1, "policy", 6) == 0)
				val = ev->policy ? ev->policy : "";
			else if (n == 7 && strncmp(s + 1, "subject", 7) == 0)
				val = ev->subject ? ev->subject : "(no subject)";
			else if (n == 10 && strncmp(s + 1, "recipients", 10) == 0)
				rcpts = true;
			else if (n == 4 && strncmp(s + 1, "time", 4) == 0)
				val = when;
			else if (n == 6 && strncmp(s + 1, "sender", 6) == 0)
				val = ev->sender;
			else if (n == 8 && strncmp(s + 1, "queue_id", 8) == 0)
				val = ev->queue_id ? ev->queue_id : "";
			else if (n == 6 && strncmp(s + 1, "action", 6) == 0)
				val = ev->action ? ev->action : "";
			else if (n == 8 && strncmp(s + 1, "hostname", 8) == 0)
				val = p->hostname ? p->hostname : "";
			else
				known = false;
			if (known) {
				if (rcpts) {
					for (size_t i = 0; i < ev->n_rcpts; i++) {
						if (i)
							api_buf_puts(b, ", ");
						notify_put_clean(b, ev->rcpts[i], true);
					}
				} else {
					notify_put_clean(b, val, header);
				}
				s = close + 1;
				continue;
			}
		}
		const char *next = strchr(s + 1, '{');
		size_t run = next ? (size_t)(next - s) : strlen(s);
		/* Template text is from the operator, but clean it the same way. */
		char *chunk = strndup(s, run);
		if (chunk == NULL) {
			b->oom = true;
			return;
		}
		notify_put_clean(b, chunk, header);
		free(chunk);
		s += run;
	}
}

/* An address we are willing to put in To:/From: as <addr>. */
static bool notify_addr_ok(const char *a)
{
	if (a == NULL || a[0] == '\0' || strcmp(a, "<>") == 0 || strlen(a) > 320)
		return false;
	for (const unsigned char *p = (const unsigned char *)a; *p; p++)
		if (*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>' || *p == '"' || *p == '(' ||
		    *p == ')' || *p == ',' || *p == ';' || *p == '\\')
			return false;
	return strchr(a, '@') != NULL;
}

/* Subject header: plain when printable ASCII and short enough, else
 * encoded-words of at most 42 bytes of UTF-8 each (never splitting a
 * character), folded one per line. */
static void notify_subject(struct api_buf *b, const char *s, size_t n)
{
	bool ascii = n <= 900;
	for (size_t i = 0; i < n && ascii; i++)
		if ((unsigned char)s[i] >= 0x7f || (unsigned char)s[i] < 0x20)
			ascii = false;
	/* "=?" at the start of a word would read as an encoded word. */
	if (ascii && strstr(s, "=?") == NULL && n + 9 <= 78) {
		api_buf_puts(b, "Subject: ");
		api_buf_put(b, s, n);
		api_buf_puts(b, "\r\n");
		return;
	}
	api_buf_puts(b, "Subject:");
	size_t i = 0;
	while (i < n) {
		size_t take = 0;
		while (i + take < n) {
			size_t l = utf8_seq_len((const uint8_t *)s + i + take, n - i - take);
			if (l == 0)
				l = 1; /* cannot happen: input was cleaned */
			if (take + l > 42)
				break;
			take += l;
		}
		unsigned char enc[80];
		size_t olen = 0;
		mbedtls_base64_encode(enc, sizeof(enc), &olen, (const unsigned char *)s + i, take);
		api_buf_puts(b, i ? "\r\n =?UTF-8?B?" : " =?UTF-8?B?");
		api_buf_put(b, enc, olen);
		api_buf_puts(b, "?=");
		i += take;
	}
	api_buf_puts(b, "\r\n");
}

/* Quoted-printable (RFC 2045 6.7) of text with LF or CRLF line ends;
 * output lines end in CRLF and are at most 76 characters. */
static void notify_qp(struct api_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t col = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\r' && i + 1 < n && s[i + 1] == '\n')
			continue;
		if (c == '\n') {
			api_buf_puts(b, "\r\n");
			col = 0;
			continue;
		}
		char enc[3];
		size_t el;
		bool at_eol = i + 1 == n || s[i + 1] == '\n' ||
			      (s[i + 1] == '\r' && i + 2 < n && s[i + 2] == '\n');
		if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol)) {
			enc[0] = (char)c;
			el = 1;
		} else {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			el = 3;
		}
		if (col + el > 75) {
			api_buf_puts(b, "=\r\n");
			col = 0;
		}
		api_buf_put(b, enc, el);
		col += el;
	}
	if (col > 0)
		api_buf_puts(b, "\r\n");
}

int notify_build(const struct notify_params *p, const struct notify_event *ev, char **out,
		 size_t *len)
{
	*out = NULL;
	if (p == NULL || ev == NULL || !notify_addr_ok(ev->sender))
		return -EINVAL;
	char from_default[300];
	const char *from = p->from;
	if (from == NULL) {
		snprintf(from_default, sizeof(from_default), "postmaster@%s",
			 p->hostname && p->hostname[0] ? p->hostname : "localhost");
		from = from_default;
	}
	if (!notify_addr_ok(from))
		return -EINVAL;
	const char *host = p->hostname && p->hostname[0] ? p->hostname : "localhost";
	for (const unsigned char *h = (const unsigned char *)host; *h; h++)
		if (*h <= 0x20 || *h >= 0x7f || *h == '<' || *h == '>' || *h == '@')
			return -EINVAL;

	struct api_buf subj = {0}, body = {0}, msg = {0};
	notify_expand(&subj, p->subject_tmpl ? p->subject_tmpl : NOTIFY_DEFAULT_SUBJECT, p, ev,
		      true);
	notify_expand(&body, p->body_tmpl ? p->body_tmpl : notify_default_body, p, ev, false);
	if (subj.oom || body.oom) {
		api_buf_free(&subj);
		api_buf_free(&body);
		return -ENOMEM;
	}
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	char date[64];
	notify_rfc5322_date(now.tv_sec, date, sizeof(date));
	uint8_t rnd[8] = {0};
	if (getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != (ssize_t)sizeof(rnd)) {
		/* uniqueness only: fall back to the clock */
		uint64_t x = (uint64_t)now.tv_nsec * 0x9e3779b97f4a7c15ull;
		memcpy(rnd, &x, sizeof(rnd));
	}
	api_buf_printf(&msg, "Date: %s\r\n", date);
	api_buf_printf(&msg, "Message-ID: <%lld.%02x%02x%02x%02x%02x%02x%02x%02x.notify@%s>\r\n",
		       (long long)now.tv_sec, rnd[0], rnd[1], rnd[2], rnd[3], rnd[4], rnd[5],
		       rnd[6], rnd[7], host);
	api_buf_printf(&msg, "From: <%s>\r\n", from);
	api_buf_printf(&msg, "To: <%s>\r\n", ev->sender);
	notify_subject(&msg, subj.data ? subj.data : "", subj.len);
	api_buf_puts(&msg, "MIME-Version: 1.0\r\n"
			   "Content-Type: text/plain; charset=UTF-8\r\n"
			   "Content-Transfer-Encoding: quoted-printable\r\n"
			   "Auto-Submitted: auto-generated\r\n"
			   "X-Auto-Response-Suppress: All\r\n"
			   "\r\n");
	notify_qp(&msg, body.data ? body.data : "", body.len);
	api_buf_free(&subj);
	api_buf_free(&body);
	*out = api_buf_steal(&msg, len);
	return *out ? 0 : -ENOMEM;
}

int notify_build_for_incident(const struct notify_params *p, const struct incident *inc, char **out,
			      size_t *len)
{
	if (inc == NULL) {
		*out = NULL;
		return -EINVAL;
	}
	struct notify_event ev = {
		.sender = inc->from_user,
		.policy = inc->policy,
		.subject = inc->subject,
		.rcpts = (const char *const *)inc->rcpts,
		.n_rcpts = inc->n_rcpts,
		.time = inc->timestamp,
		.queue_id = inc->queue_id,
		.action = inc->action,
	};
	return notify_build(p, &ev, out, len);
}

char *notify_load_template(const char *path, char *err, size_t errlen)
{
	char dummy[1];
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size > NOTIFY_MAX_TEMPLATE) {
		snprintf(err, errlen, "%s: template larger than %d bytes", path,
			 NOTIFY_MAX_TEMPLATE);
		fclose(f);
		return NULL;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return NULL;
	}
	size_t n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		snprintf(err, errlen, "%s: NUL byte in template", path);
		free(buf);
		return NULL;
	}
	return buf;
}
