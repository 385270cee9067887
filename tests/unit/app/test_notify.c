/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_notify.c — the sender notice: a well-formed RFC 5322 message (CRLF
 * only, line limits, required headers), placeholders expanded, the subject
 * RFC 2047-encoded and decoded back exactly, the quoted-printable body
 * decoded back exactly, header injection and invalid UTF-8 neutralised,
 * refused senders, templates from files.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <mbedtls/base64.h>

#include "app/incident.h"
#include "app/notify.h"
#include "config/cfg.h"

static const char *const rcpts[] = {"bob@ext.example", "carol@ext.example"};

/* Header block and body; checks CRLF discipline and line lengths. */
static void split_message(const char *m, size_t len, char **head, char **body)
{
	for (size_t i = 0; i < len; i++)
		if (m[i] == '\n')
			ck_assert_msg(i > 0 && m[i - 1] == '\r', "bare LF at %zu", i);
	const char *sep = strstr(m, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	*head = strndup(m, (size_t)(sep - m) + 2);
	*body = strdup(sep + 4);
	/* header lines <= 78, body lines <= 76 (RFC 5322 / RFC 2045) */
	for (const char *l = m; l < m + len;) {
		const char *e = strstr(l, "\r\n");
		if (e == NULL)
			break;
		ck_assert_uint_le((size_t)(e - l), l < sep ? 78 : 76);
		l = e + 2;
	}
	for (const unsigned char *p = (const unsigned char *)m; *p; p++)
		ck_assert_msg(*p < 0x80, "8-bit byte in the message");
}

static char *header(const char *head, const char *name)
{
	size_t n = strlen(name);
	for (const char *l = head; *l;) {
		if (strncasecmp(l, name, n) == 0 && l[n] == ':') {
			/* unfold */
			char *out = malloc(strlen(l) + 1);
			size_t k = 0;
			const char *p = l + n + 1;
			while (*p == ' ')
				p++;
			for (; *p; p++) {
				if (p[0] == '\r' && p[1] == '\n' && (p[2] == ' ' || p[2] == '\t')) {
					p += 1;
					continue;
				}
				if (p[0] == '\r' && p[1] == '\n')
					break;
				out[k++] = *p;
			}
			out[k] = '\0';
			return out;
		}
		const char *e = strstr(l, "\r\n");
		if (e == NULL)
			break;
		l = e + 2;
	}
	return NULL;
}

/* Decode "=?UTF-8?B?...?=" words separated by whitespace (RFC 2047). */
static char *decode_words(const char *v)
{
	if (strncmp(v, "=?UTF-8?B?", 10) != 0)
		return strdup(v);
	char *out = malloc(strlen(v) + 1);
	size_t k = 0;
	const char *p = v;
	while ((p = strstr(p, "=?UTF-8?B?")) != NULL) {
		p += 10;
		const char *e = strstr(p, "?=");
		ck_assert_ptr_nonnull(e);
		ck_assert_uint_le((size_t)(e - p) + 12, 75); /* encoded-word length */
		size_t olen;
		ck_assert_int_eq(mbedtls_base64_decode((unsigned char *)out + k, strlen(v), &olen,
						       (const unsigned char *)p, (size_t)(e - p)),
				 0);
		k += olen;
		p = e + 2;
	}
	out[k] = '\0';
	return out;
}

static int hexv(char c)
{
	return c >= 'A' ? c - 'A' + 10 : c - '0';
}

static char *decode_qp(const char *s)
{
	char *out = malloc(strlen(s) + 1);
	size_t k = 0;
	for (const char *p = s; *p;) {
		if (p[0] == '=' && p[1] == '\r' && p[2] == '\n') {
			p += 3;
		} else if (p[0] == '=') {
			out[k++] = (char)(hexv(p[1]) * 16 + hexv(p[2]));
			p += 3;
		} else if (p[0] == '\r' && p[1] == '\n') {
			out[k++] = '\n';
			p += 2;
		} else {
			out[k++] = *p++;
		}
	}
	out[k] = '\0';
	return out;
}

struct case_ {
	const char *subject_in;	  /* flagged message's subject */
	const char *subject_tmpl; /* NULL = default */
	const char *body_tmpl;
	const char *want_subject; /* decoded */
	const char *want_body;	  /* decoded, LF line ends */
};

static const struct case_ cases[] = {
	{"Q3 entitlement", NULL,
	 "P={policy} S={subject} R={recipients} T={time} F={sender} "
	 "Q={queue_id} A={action} H={hostname} U={unknown} {brace\n",
	 "Policy violation: Customer email Hold",
	 "P=Customer email Hold S=Q3 entitlement R=bob@ext.example, carol@ext.example "
	 "T=2023-11-14 22:13:20 UTC F=alice@corp.example Q=4Xyz A=add-header "
	 "H=dlp-gw1.corp.example U={unknown} {brace\n"},
	/* header injection through the subject: neutralised in the header,
	 * kept as text in the body */
	{"Hi\r\nBcc: evil@attacker.example", "Blocked: {subject}", "{subject}\n",
	 "Blocked: Hi  Bcc: evil@attacker.example", "Hi\nBcc: evil@attacker.example\n"},
	/* invalid UTF-8 becomes U+FFFD; valid UTF-8 is encoded and comes back */
	{"R\xc3\xa9sum\xc3\xa9 \xff\xfe \xe2\x82\xac", "{subject}", "{subject}",
	 "R\xc3\xa9sum\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xe2\x82\xac",
	 "R\xc3\xa9sum\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd \xe2\x82\xac"},
	/* a long ASCII subject is folded into encoded words */
	{"x", "{policy} {policy} {policy} {policy} {policy}", "ok",
	 "Customer email Hold Customer email Hold Customer email Hold Customer email Hold "
	 "Customer email Hold",
	 "ok"},
	/* something that looks like an encoded word is not left raw */
	{"=?UTF-8?B?ZXZpbA==?=", "{subject}", "{subject}",
	 "=?UTF-8?B?ZXZpbA==?=", "=?UTF-8?B?ZXZpbA==?="},
	/* long body lines, trailing spaces, '=' and tabs survive QP exactly */
	{"s", NULL,
	 "a=b \t\nline with trailing space \n"
	 "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678"
	 "90\n",
	 "Policy violation: Customer email Hold",
	 "a=b \t\nline with trailing space \n"
	 "01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678"
	 "90\n"},
	{NULL, "{subject}", "{subject}", "(no subject)", "(no subject)"},
};

START_TEST(test_table)
{
	const struct case_ *c = &cases[_i];
	struct notify_params p = {.subject_tmpl = c->subject_tmpl,
				  .body_tmpl = c->body_tmpl,
				  .hostname = "dlp-gw1.corp.example"};
	struct notify_event ev = {.sender = "alice@corp.example",
				  .policy = "Customer email Hold",
				  .subject = c->subject_in,
				  .rcpts = rcpts,
				  .n_rcpts = 2,
				  .time = 1700000000,
				  .queue_id = "4Xyz",
				  .action = "add-header"};
	char *m;
	size_t len;
	ck_assert_int_eq(notify_build(&p, &ev, &m, &len), 0);
	ck_assert_uint_eq(strlen(m), len);
	char *head, *body;
	split_message(m, len, &head, &body);
	static const struct {
		const char *name, *value;
	} fixed[] = {
		{"From", "<postmaster@dlp-gw1.corp.example>"},
		{"To", "<alice@corp.example>"},
		{"MIME-Version", "1.0"},
		{"Content-Type", "text/plain; charset=UTF-8"},
		{"Content-Transfer-Encoding", "quoted-printable"},
		{"Auto-Submitted", "auto-generated"},
	};
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		char *v = header(head, fixed[i].name);
		ck_assert_msg(v != NULL, "no %s", fixed[i].name);
		ck_assert_str_eq(v, fixed[i].value);
		free(v);
	}
	char *date = header(head, "Date");
	ck_assert_ptr_nonnull(date);
	ck_assert_ptr_nonnull(strstr(date, " +0000"));
	free(date);
	char *mid = header(head, "Message-ID");
	ck_assert_ptr_nonnull(mid);
	ck_assert(mid[0] == '<' && strstr(mid, "@dlp-gw1.corp.example>") != NULL);
	free(mid);
	ck_assert_ptr_null(header(head, "Bcc"));
	char *subj = header(head, "Subject");
	ck_assert_ptr_nonnull(subj);
	char *dsubj = decode_words(subj);
	ck_assert_str_eq(dsubj, c->want_subject);
	char *dbody = decode_qp(body);
	/* the body always ends with a line break */
	char want[1024];
	size_t wl = strlen(c->want_body);
	snprintf(want, sizeof(want), "%s%s", c->want_body,
		 wl && c->want_body[wl - 1] == '\n' ? "" : "\n");
	ck_assert_str_eq(dbody, want);
	free(subj);
	free(dsubj);
	free(dbody);
	free(head);
	free(body);
	free(m);
}
END_TEST

START_TEST(test_refused_senders)
{
	static const char *const bad[] = {
		NULL, "", "<>", "no-at-sign", "a b@c", "a@b\r\nBcc: x@y", "<a@b>", "a\"b@c",
	};
	struct notify_params p = {.hostname = "h.example"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct notify_event ev = {.sender = bad[i], .policy = "P", .time = 1};
		char *m = (char *)1;
		size_t len;
		ck_assert_int_eq(notify_build(&p, &ev, &m, &len), -EINVAL);
		ck_assert_ptr_null(m);
	}
	struct notify_event ev = {.sender = "a@b.example", .policy = "P", .time = 1};
	char *m;
	size_t len;
	p.from = "bad from@x";
	ck_assert_int_eq(notify_build(&p, &ev, &m, &len), -EINVAL);
	p.from = "dlp@corp.example";
	p.hostname = "evil>host";
	ck_assert_int_eq(notify_build(&p, &ev, &m, &len), -EINVAL);
	p.hostname = NULL;
	ck_assert_int_eq(notify_build(&p, &ev, &m, &len), 0);
	ck_assert_ptr_nonnull(strstr(m, "From: <dlp@corp.example>\r\n"));
	ck_assert_ptr_nonnull(strstr(m, "@localhost>\r\n"));
	free(m);
}
END_TEST

START_TEST(test_for_incident)
{
	char *rc[] = {"bob@ext.example"};
	struct dlp_verdict v = {.action = CFG_ACTION_BLOCK,
				.policy = "Block card numbers",
				.from = "mallory@corp.example",
				.rcpts = rc,
				.n_rcpts = 1,
				.subject = "cards"};
	struct incident_meta meta = {.queue_id = "QQ1", .received_ms = 1700000000000ull};
	struct incident *inc = incident_create(&v, &meta);
	ck_assert_ptr_nonnull(inc);
	struct notify_params p = {.hostname = "gw.example",
				  .subject_tmpl = "{action}: {subject}",
				  .body_tmpl = "{policy}|{recipients}|{queue_id}|{time}\n"};
	char *m;
	size_t len;
	ck_assert_int_eq(notify_build_for_incident(&p, inc, &m, &len), 0);
	ck_assert_ptr_nonnull(strstr(m, "To: <mallory@corp.example>\r\n"));
	ck_assert_ptr_nonnull(strstr(m, "Subject: block: cards\r\n"));
	ck_assert_ptr_nonnull(strstr(m, "\r\n\r\nBlock card numbers|bob@ext.example|QQ1|"
					"2023-11-14 22:13:20 UTC\r\n"));
	free(m);
	incident_free(inc);
	ck_assert_int_eq(notify_build_for_incident(&p, NULL, &m, &len), -EINVAL);
}
END_TEST

START_TEST(test_template_file)
{
	char path[] = "/tmp/smtpdlp-notify-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *t = "Dear {sender},\nyour mail hit {policy}.\n";
	ck_assert_int_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
	close(fd);
	char err[256];
	char *tmpl = notify_load_template(path, err, sizeof(err));
	ck_assert_ptr_nonnull(tmpl);
	ck_assert_str_eq(tmpl, t);
	free(tmpl);
	/* too large */
	FILE *f = fopen(path, "w");
	for (int i = 0; i < NOTIFY_MAX_TEMPLATE + 10; i++)
		fputc('x', f);
	fclose(f);
	ck_assert_ptr_null(notify_load_template(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	/* NUL inside */
	f = fopen(path, "w");
	fwrite("a\0b", 1, 3, f);
	fclose(f);
	ck_assert_ptr_null(notify_load_template(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	unlink(path);
	ck_assert_ptr_null(notify_load_template(path, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, path));
}
END_TEST

/* Notices go to internal senders only (no backscatter to forged or
 * external envelopes). */
START_TEST(test_sender_allowed)
{
	char *internal[] = {"corp.example"};
	struct cfg c;
	memset(&c, 0, sizeof(c));
	c.dlp.internal_domains = internal;
	c.dlp.n_internal_domains = 1;
	ck_assert(notify_sender_allowed(&c, "alice@corp.example"));
	ck_assert(notify_sender_allowed(&c, "bob@mail.corp.example"));
	ck_assert(!notify_sender_allowed(&c, "mallory@evil.example"));
	ck_assert(!notify_sender_allowed(&c, "mallory%evil.example@corp.example"));
	ck_assert(!notify_sender_allowed(&c, ""));
	ck_assert(!notify_sender_allowed(&c, NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("notify");
	TCase *tc = tcase_create("core");
	tcase_add_loop_test(tc, test_table, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_refused_senders);
	tcase_add_test(tc, test_for_incident);
	tcase_add_test(tc, test_template_file);
	tcase_add_test(tc, test_sender_allowed);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
