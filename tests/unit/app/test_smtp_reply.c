/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_smtp_reply.c — the SMTP reply parser (every input split at every
 * offset, malformed and over-long replies fail safely) and builder, and the
 * message buffer (chunk chain, limits, pool bound, stable pointers).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/msgbuf.h"
#include "app/smtp_reply.h"

struct rcase {
	const char *in;
	int status;        /* 1 DONE, 2 ERROR */
	unsigned code;
	const char *enh;   /* "5.1.1" or NULL */
	const char *text;  /* joined text */
	unsigned lines;
};

static const struct rcase rcases[] = {
	{ "250 Ok\r\n", 1, 250, NULL, "Ok", 1 },
	{ "250 2.1.0 Ok\r\n", 1, 250, "2.1.0", "Ok", 1 },
	{ "550 5.1.1 <x@y>: User unknown\r\n", 1, 550, "5.1.1", "<x@y>: User unknown", 1 },
	{ "250-mx.example\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250 DSN\r\n", 1, 250, NULL,
	  "mx.example\nPIPELINING\nSIZE 1000\nDSN", 4 },
	{ "451-4.3.0 first\r\n451-4.3.0 second\r\n451 4.3.0 third\r\n", 1, 451, "4.3.0",
	  "first\nsecond\nthird", 3 },
	{ "220\r\n", 1, 220, NULL, "", 1 },
	{ "354 End data\n", 1, 354, NULL, "End data", 1 },       /* bare LF tolerated */
	{ "250 5.1.1 class mismatch\r\n", 1, 250, NULL, "5.1.1 class mismatch", 1 },
	{ "421 4.7.0 closing\r\n", 1, 421, "4.7.0", "closing", 1 },
	{ "250 2.0.0\r\n", 1, 250, "2.0.0", "", 1 },
	{ "25 short\r\n", 2, 0, NULL, NULL, 0 },
	{ "650 bad class\r\n", 2, 0, NULL, NULL, 0 },
	{ "2x0 junk\r\n", 2, 0, NULL, NULL, 0 },
	{ "250?Ok\r\n", 2, 0, NULL, NULL, 0 },
	{ "250-a\r\n251 b\r\n", 2, 0, NULL, NULL, 0 },  /* codes differ */
	{ "250 a\rb\r\n", 2, 0, NULL, NULL, 0 },        /* bare CR */
	{ "250 nul\0here\r\n", 2, 0, NULL, NULL, 0 },
	{ "HTTP/1.1 400 Bad\r\n", 2, 0, NULL, NULL, 0 },
};

static enum smtp_reply_status parse_split(struct smtp_reply_parser *p, const char *in,
					  size_t len, size_t split, size_t *total)
{
	size_t used, off = 0;
	enum smtp_reply_status st = SMTP_REPLY_AGAIN;

	smtp_reply_parser_init(p);
	if (split > 0) {
		st = smtp_reply_parse(p, (const uint8_t *)in, split, &used);
		off = used;
		if (st != SMTP_REPLY_AGAIN) {
			*total = off;
			return st;
		}
	}
	st = smtp_reply_parse(p, (const uint8_t *)in + off, len - off, &used);
	*total = off + used;
	return st;
}

START_TEST(test_reply_cases)
{
	const struct rcase *c = &rcases[_i];
	size_t len = strlen(c->in);
	if (strstr(c->in, "nul"))
		len = 15;
	for (size_t k = 0; k <= len; k++) {
		struct smtp_reply_parser p;
		size_t used;
		enum smtp_reply_status st = parse_split(&p, c->in, len, k, &used);
		if (c->status == 2) {
			ck_assert_msg(st == SMTP_REPLY_ERROR, "case %d split %zu", _i, k);
			continue;
		}
		ck_assert_msg(st == SMTP_REPLY_DONE, "case %d split %zu st %d", _i, k, st);
		ck_assert_uint_eq(used, len);
		ck_assert_uint_eq(p.reply.code, c->code);
		ck_assert_uint_eq(p.reply.n_lines, c->lines);
		ck_assert_int_eq(p.reply.text_len, (int)strlen(c->text));
		ck_assert(memcmp(p.reply.text, c->text, p.reply.text_len) == 0);
		if (c->enh) {
			char e[24];
			ck_assert(p.reply.flags & SMTP_REPLY_F_ENHANCED);
			snprintf(e, sizeof(e), "%u.%u.%u", p.reply.enh_class, p.reply.enh_subject,
				 p.reply.enh_detail);
			ck_assert_str_eq(e, c->enh);
		} else {
			ck_assert(!(p.reply.flags & SMTP_REPLY_F_ENHANCED));
		}
	}
}
END_TEST

START_TEST(test_reply_sequence)
{
	/* several replies back to back: one per call, consumed exactly */
	const char *in = "220 hi\r\n250-a\r\n250 b\r\n354 go\r\n";
	struct smtp_reply_parser p;
	size_t off = 0, used;
	unsigned got[3], n = 0;
	smtp_reply_parser_init(&p);
	while (off < strlen(in)) {
		enum smtp_reply_status st =
			smtp_reply_parse(&p, (const uint8_t *)in + off, strlen(in) - off, &used);
		ck_assert_int_eq(st, SMTP_REPLY_DONE);
		got[n++] = p.reply.code;
		off += used;
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(got[0], 220);
	ck_assert_uint_eq(got[1], 250);
	ck_assert_uint_eq(got[2], 354);
}
END_TEST

START_TEST(test_reply_overlong)
{
	struct smtp_reply_parser p;
	static char line[SMTP_REPLY_LINE_MAX + 16];
	size_t used;
	/* a line of exactly 512 bytes with CRLF is fine */
	memset(line, 'a', sizeof(line));
	memcpy(line, "250 ", 4);
	memcpy(line + SMTP_REPLY_LINE_MAX - 2, "\r\n", 2);
	smtp_reply_parser_init(&p);
	ck_assert_int_eq(smtp_reply_parse(&p, (uint8_t *)line, SMTP_REPLY_LINE_MAX, &used),
			 SMTP_REPLY_DONE);
	/* one more byte fails */
	memset(line, 'a', sizeof(line));
	memcpy(line, "250 ", 4);
	memcpy(line + SMTP_REPLY_LINE_MAX - 1, "\r\n", 2);
	smtp_reply_parser_init(&p);
	ck_assert_int_eq(smtp_reply_parse(&p, (uint8_t *)line, SMTP_REPLY_LINE_MAX + 1, &used),
			 SMTP_REPLY_ERROR);
	/* the parser stays failed */
	ck_assert_int_eq(smtp_reply_parse(&p, (const uint8_t *)"250 ok\r\n", 8, &used),
			 SMTP_REPLY_ERROR);
	/* too many lines */
	smtp_reply_parser_init(&p);
	enum smtp_reply_status st = SMTP_REPLY_AGAIN;
	for (unsigned i = 0; i <= SMTP_REPLY_LINES_MAX && st == SMTP_REPLY_AGAIN; i++)
		st = smtp_reply_parse(&p, (const uint8_t *)"250-x\r\n", 7, &used);
	ck_assert_int_eq(st, SMTP_REPLY_ERROR);
	/* long multi-line text is truncated, not grown */
	smtp_reply_parser_init(&p);
	for (int i = 0; i < 20; i++) {
		memset(line, 'b', 300);
		memcpy(line, "250-", 4);
		memcpy(line + 300, "\r\n", 2);
		ck_assert_int_eq(smtp_reply_parse(&p, (uint8_t *)line, 302, &used), SMTP_REPLY_AGAIN);
	}
	ck_assert_int_eq(smtp_reply_parse(&p, (const uint8_t *)"250 end\r\n", 9, &used),
			 SMTP_REPLY_DONE);
	ck_assert(p.reply.flags & SMTP_REPLY_F_TRUNCATED);
	ck_assert_uint_eq(p.reply.text_len, SMTP_REPLY_TEXT_MAX);
}
END_TEST

START_TEST(test_reply_format)
{
	char b[2048];
	size_t n = smtp_reply_format(b, sizeof(b), 250, "2.0.0", "Ok", 2);
	ck_assert_uint_eq(n, 14);
	ck_assert(memcmp(b, "250 2.0.0 Ok\r\n", 14) == 0);
	n = smtp_reply_format(b, sizeof(b), 250, NULL, "a\nb\nc", 5);
	ck_assert(memcmp(b, "250-a\r\n250-b\r\n250 c\r\n", n) == 0 && n == 21);
	/* control characters cannot inject lines */
	n = smtp_reply_format(b, sizeof(b), 550, "5.7.1", "x\r250 fake\x01", 11);
	ck_assert(memcmp(b, "550 5.7.1 x?250 fake?\r\n", n) == 0);
	/* over-long text is cut to a 512-byte line */
	static char t[1000];
	memset(t, 'z', sizeof(t));
	n = smtp_reply_format(b, sizeof(b), 554, "5.0.0", t, sizeof(t));
	ck_assert_uint_eq(n, SMTP_REPLY_LINE_MAX);
	ck_assert_uint_eq(smtp_reply_format(b, 10, 250, NULL, "too long for ten", 16), 0);
	ck_assert_uint_eq(smtp_reply_format(b, sizeof(b), 199, NULL, "", 0), 0);
	/* parse -> write round trip */
	struct smtp_reply_parser p;
	size_t used;
	const char *in = "550-5.1.1 one\r\n550 5.1.1 two\r\n";
	smtp_reply_parser_init(&p);
	ck_assert_int_eq(smtp_reply_parse(&p, (const uint8_t *)in, strlen(in), &used), SMTP_REPLY_DONE);
	n = smtp_reply_write(&p.reply, b, sizeof(b));
	ck_assert_uint_eq(n, strlen(in));
	ck_assert(memcmp(b, in, n) == 0);
}
END_TEST

/* ------------------------------------------------------------ msgbuf */

START_TEST(test_msgbuf_chain)
{
	struct msgbuf_pool *pool = msgbuf_pool_create(8, 2);
	struct msgbuf mb;
	static uint8_t data[3 * MSGBUF_CHUNK_DATA + 100];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	msgbuf_init(&mb, pool, sizeof(data));
	struct iovec where[8];
	size_t nw;
	/* append in odd pieces; pieces point at the stored bytes */
	size_t off = 0, step = 1000;
	while (off < sizeof(data)) {
		size_t k = sizeof(data) - off < step ? sizeof(data) - off : step;
		ck_assert_int_eq(msgbuf_append(&mb, data + off, k, where, &nw), 0);
		size_t sum = 0;
		for (size_t i = 0; i < nw; i++) {
			ck_assert(memcmp(where[i].iov_base, data + off + sum, where[i].iov_len) == 0);
			sum += where[i].iov_len;
		}
		ck_assert_uint_eq(sum, k);
		off += k;
		step = step * 3 % 20011 + 1;
	}
	ck_assert_uint_eq(msgbuf_len(&mb), sizeof(data));
	ck_assert_uint_eq(msgbuf_pool_in_use(pool), 4);
	/* over the limit: refused whole, nothing kept */
	ck_assert_int_eq(msgbuf_append(&mb, "x", 1, NULL, NULL), -EFBIG);
	ck_assert_uint_eq(msgbuf_len(&mb), sizeof(data));
	static uint8_t copy[sizeof(data)];
	ck_assert_uint_eq(msgbuf_copy(&mb, 0, copy, sizeof(copy)), sizeof(copy));
	ck_assert(memcmp(copy, data, sizeof(data)) == 0);
	ck_assert_uint_eq(msgbuf_copy(&mb, MSGBUF_CHUNK_DATA - 3, copy, 10), 10);
	ck_assert(memcmp(copy, data + MSGBUF_CHUNK_DATA - 3, 10) == 0);
	struct iovec iov[8];
	ck_assert_uint_eq(msgbuf_iov(&mb, iov, 8), 4);
	msgbuf_reset(&mb);
	ck_assert_uint_eq(msgbuf_pool_in_use(pool), 0);
	ck_assert_uint_eq(msgbuf_len(&mb), 0);
	msgbuf_pool_destroy(pool);
}
END_TEST

START_TEST(test_msgbuf_pool_bound)
{
	struct msgbuf_pool *pool = msgbuf_pool_create(2, 0);
	struct msgbuf a, b;
	static uint8_t d[MSGBUF_CHUNK_DATA];
	msgbuf_init(&a, pool, 1u << 30);
	msgbuf_init(&b, pool, 1u << 30);
	ck_assert_int_eq(msgbuf_append(&a, d, sizeof(d), NULL, NULL), 0);
	ck_assert_int_eq(msgbuf_append(&b, d, sizeof(d), NULL, NULL), 0);
	ck_assert_int_eq(msgbuf_append(&a, d, 1, NULL, NULL), -ENOMEM);
	msgbuf_reset(&b);
	ck_assert_int_eq(msgbuf_append(&a, d, 1, NULL, NULL), 0);
	msgbuf_reset(&a);
	ck_assert_uint_eq(msgbuf_pool_in_use(pool), 0);
	msgbuf_pool_destroy(pool);
	ck_assert_ptr_null(msgbuf_pool_create(0, 0));
}
END_TEST

START_TEST(test_iobuf)
{
	struct iobuf b = { 0 };
	ck_assert(iobuf_empty(&b));
	ck_assert_int_eq(iobuf_append(&b, "hello", 5, 8), 0);
	ck_assert_int_eq(iobuf_append(&b, "world", 5, 8), -ENOBUFS);
	iobuf_consume(&b, 3);
	ck_assert_int_eq(iobuf_append(&b, "world", 5, 8), 0);
	ck_assert_uint_eq(iobuf_used(&b), 7);
	ck_assert(memcmp(iobuf_head(&b), "loworld", 7) == 0);
	iobuf_consume(&b, 7);
	iobuf_trim(&b);
	ck_assert_ptr_null(b.data);
	iobuf_free(&b);
}
END_TEST

static Suite *reply_suite(void)
{
	Suite *s = suite_create("smtp_reply");
	TCase *tc = tcase_create("reply");
	tcase_add_loop_test(tc, test_reply_cases, 0, (int)(sizeof(rcases) / sizeof(rcases[0])));
	tcase_add_test(tc, test_reply_sequence);
	tcase_add_test(tc, test_reply_overlong);
	tcase_add_test(tc, test_reply_format);
	suite_add_tcase(s, tc);
	TCase *tm = tcase_create("msgbuf");
	tcase_add_test(tm, test_msgbuf_chain);
	tcase_add_test(tm, test_msgbuf_pool_bound);
	tcase_add_test(tm, test_iobuf);
	suite_add_tcase(s, tm);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(reply_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
