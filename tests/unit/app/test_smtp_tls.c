/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_smtp_tls.c — SMTP proxy sessions with real TLS handshakes in memory:
 * STARTTLS and implicit TLS towards the sender, STARTTLS towards the
 * upstream (opportunistic, required, verification), STARTTLS command
 * injection (CVE-2011-0411 class), state reset after the handshake,
 * require_tls. Certificates are generated at test time (testcerts.c).
 */
#include "test_smtp_harness.h"
#include "testcerts.h"

#define EHLO "EHLO sender.example\r\n"
#define MAIL_CORP "MAIL FROM:<alice@corp.example>\r\n"
#define RCPT_EXT "RCPT TO:<bob@external.example>\r\n"

static struct testcerts pki_proxy; /* the proxy's certificate, for senders */
static struct testcerts pki_up;    /* the upstream MTA's certificate */

static struct tls_config *mk(enum tls_role role, const struct testcerts *t, const char *ca,
			     const char *name, enum tls_verify v)
{
	struct tls_config_params p = { .role = role };
	char err[256] = "";
	if (role == TLS_SERVER) {
		p.cert_pem = t->ec_cert_pem;
		p.cert_pem_len = strlen(t->ec_cert_pem);
		p.key_pem = t->ec_key_pem;
		p.key_pem_len = strlen(t->ec_key_pem);
	} else {
		p.verify = v;
		if (ca) {
			p.ca_pem = ca;
			p.ca_pem_len = strlen(ca);
		}
		p.server_name = name;
	}
	struct tls_config *c = tls_config_create(&p, err, sizeof(err));
	ck_assert_msg(c != NULL, "tls config: %s", err);
	return c;
}

/* TLS configs for a world: the proxy's server side, the sender's client
 * side, the upstream's server side and (optionally) the proxy's client. */
static void world_tls(struct world *w, bool proxy_client, const char *client_ca)
{
	w->srv_cfg = mk(TLS_SERVER, &pki_proxy, NULL, NULL, 0);
	w->s_tls_cfg = mk(TLS_CLIENT, NULL, pki_proxy.ca_pem, "dlp-gw1.corp.example",
			  TLS_VERIFY_REQUIRED);
	w->up.tls_cfg = mk(TLS_SERVER, &pki_up, NULL, NULL, 0);
	if (proxy_client)
		w->cli_cfg = mk(TLS_CLIENT, NULL, client_ca ? client_ca : pki_up.ca_pem,
				"mx.upstream.example", TLS_VERIFY_REQUIRED);
}

static void world_tls_free(struct world *w)
{
	world_free(w);
	tls_config_destroy(w->srv_cfg);
	tls_config_destroy(w->s_tls_cfg);
	tls_config_destroy(w->up.tls_cfg);
	tls_config_destroy(w->cli_cfg);
}

static void sender_starttls(struct world *w)
{
	w->s_tls = tls_conn_create(w->s_tls_cfg, NULL);
	ck_assert_ptr_nonnull(w->s_tls);
	w->s_rx.off = w->s_rx.len = 0; /* plaintext replies after TLS start afresh */
	pump(w);
	ck_assert_msg(tls_conn_established(w->s_tls), "sender TLS: %s", tls_conn_reason(w->s_tls));
	ck_assert(tls_conn_peer_verified(w->s_tls));
}

static void send_msg(struct world *w, const char *body)
{
	says(w, MAIL_CORP);
	says(w, RCPT_EXT);
	says(w, "DATA\r\n");
	says(w, "Subject: tls\r\n\r\n");
	says(w, body);
	says(w, ".\r\n");
}

START_TEST(test_starttls_down)
{
	struct world w;
	world_init(&w);
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_STARTTLS);
	says(&w, EHLO);
	ck_assert(sender_saw(&w, "250-STARTTLS\r\n") || sender_saw(&w, "250 STARTTLS\r\n"));
	says(&w, "STARTTLS\r\n");
	ck_codes(&w, "220 250 220");
	sender_starttls(&w);
	/* state went back to before EHLO */
	says(&w, MAIL_CORP);
	ck_codes(&w, "503");
	says(&w, EHLO);
	ck_assert(!sender_saw(&w, "STARTTLS"));
	says(&w, "STARTTLS\r\n");
	send_msg(&w, CLEAN_BODY);
	says(&w, "QUIT\r\n");
	ck_codes(&w, "503 250 554 250 250 354 250 221");
	ck_assert_int_eq(w.up.n_msgs, 1);
	ck_assert_uint_gt(smtp_proxy_tls_memory(w.p), 0);
	world_tls_free(&w);
}
END_TEST

START_TEST(test_starttls_injection)
{
	struct world w;
	world_init(&w);
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_STARTTLS);
	says(&w, EHLO);
	/* CVE-2011-0411: commands pipelined behind STARTTLS in the clear */
	says(&w, "STARTTLS\r\nMAIL FROM:<evil@corp.example>\r\nRCPT TO:<x@external.example>\r\n");
	ck_codes(&w, "220 250 220");
	sender_starttls(&w);
	says(&w, EHLO);
	says(&w, RCPT_EXT);
	/* the injected MAIL did not survive the handshake */
	ck_codes(&w, "250 503");
	ck_assert(!up_saw(&w, "evil@"));
	ck_assert_uint_gt(smtp_server_stats(smtp_proxy_server(w.p))->starttls_discarded, 0);
	world_tls_free(&w);
}
END_TEST

START_TEST(test_starttls_injection_split)
{
	/* the injected bytes arrive in a separate segment before the 220 went */
	struct world w;
	world_init(&w);
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_STARTTLS);
	says(&w, EHLO);
	iobuf_append(&w.s_tx, "STARTTLS\r\n", 10, 1u << 20);
	size_t k = smtp_proxy_down_recv(w.p, iobuf_head(&w.s_tx), iobuf_used(&w.s_tx), w.now);
	iobuf_consume(&w.s_tx, k);
	k = smtp_proxy_down_recv(w.p, "MAIL FROM:<evil@corp.example>\r\n", 31, w.now);
	ck_assert_uint_eq(k, 31); /* taken and thrown away */
	pump(&w);
	ck_codes(&w, "220 250 220");
	sender_starttls(&w);
	says(&w, EHLO RCPT_EXT);
	ck_codes(&w, "250 503");
	world_tls_free(&w);
}
END_TEST

START_TEST(test_implicit_tls)
{
	struct world w;
	world_init(&w);
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_IMPLICIT);
	ck_assert_uint_eq(iobuf_used(&w.s_rx), 0); /* no greeting in the clear */
	sender_starttls(&w);
	ck_codes(&w, "220");
	says(&w, EHLO);
	ck_assert(!sender_saw(&w, "STARTTLS"));
	send_msg(&w, SEED_BODY);
	ck_codes(&w, "220 250 250 250 354 250");
	ck_assert_int_eq(w.up.n_msgs, 1);
	ck_assert_int_eq(w.n_inc, 1); /* add-header policy for corp.example */
	world_tls_free(&w);
}
END_TEST

START_TEST(test_require_tls_after_starttls)
{
	struct world w;
	world_init(&w);
	w.cfg->smtp.require_tls = true;
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_STARTTLS);
	says(&w, EHLO MAIL_CORP "STARTTLS\r\n");
	ck_codes(&w, "220 250 530 220");
	sender_starttls(&w);
	says(&w, EHLO MAIL_CORP);
	ck_codes(&w, "250 250");
	world_tls_free(&w);
}
END_TEST

START_TEST(test_broken_tls_from_sender)
{
	struct world w;
	world_init(&w);
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_STARTTLS);
	says(&w, EHLO "STARTTLS\r\n");
	/* garbage instead of a ClientHello */
	iobuf_append(&w.s_tx, "\x16\x03\x01\x00\x05hello garbage", 18, 1u << 20);
	pump(&w);
	ck_assert(w.down_close);
	ck_assert_int_eq(w.up.n_mail, 0);
	world_tls_free(&w);
}
END_TEST

/* A sender that stalls in the TLS handshake (implicit TLS: connects and
 * never sends a ClientHello; STARTTLS: gets its 220 and goes silent, or
 * stops half way) is dropped after the command timeout, like a sender that
 * stalls between commands; the session never lives forever. */
static void stall_and_expire(struct world *w)
{
	w->now += 299000;
	smtp_proxy_timer(w->p, w->now);
	pump(w);
	ck_assert(!w->down_close);
	w->now += 2000;
	smtp_proxy_timer(w->p, w->now);
	pump(w);
	ck_assert(w->down_close);
	ck_assert_uint_eq(smtp_proxy_next_timeout(w->p) > w->now, true);
}

START_TEST(test_implicit_tls_handshake_stall)
{
	struct world w;
	world_init(&w);
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_IMPLICIT);
	ck_assert_uint_le(smtp_proxy_next_timeout(w.p), w.now + 300000);
	stall_and_expire(&w);
	ck_assert_uint_eq(iobuf_used(&w.s_rx), 0); /* nothing said in the clear */
	ck_assert_int_eq(w.up.n_mail, 0);
	world_tls_free(&w);
}
END_TEST

START_TEST(test_starttls_handshake_stall)
{
	struct world w;
	world_init(&w);
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_STARTTLS);
	says(&w, EHLO "STARTTLS\r\n");
	ck_codes(&w, "220 250 220");
	stall_and_expire(&w);
	ck_codes(&w, "220 250 220"); /* no reply in the clear after the 220 */
	world_tls_free(&w);
}
END_TEST

START_TEST(test_starttls_partial_hello_stall)
{
	struct world w;
	world_init(&w);
	world_tls(&w, false, NULL);
	world_start_tls(&w, CFG_LISTEN_STARTTLS);
	says(&w, EHLO "STARTTLS\r\n");
	/* the first bytes of a TLS record header, then nothing */
	iobuf_append(&w.s_tx, "\x16\x03\x01", 3, 1u << 20);
	pump(&w);
	ck_assert(!w.down_close);
	stall_and_expire(&w);
	world_tls_free(&w);
}
END_TEST

/* --------------------------------------------------------- upstream */

struct up_case {
	enum cfg_upstream_tls mode;
	bool offered;
	bool proxy_client;
	bool wrong_ca;
	enum fmode starttls_fail; /* FM_SILENT = no failure injected */
	const char *expect;
	bool over_tls;
};

static const struct up_case up_cases[] = {
	/* opportunistic, offered: TLS */
	{ CFG_UP_TLS_OPPORTUNISTIC, true, true, false, FM_SILENT, "250 250 250 354 250", true },
	/* opportunistic, not offered: plaintext */
	{ CFG_UP_TLS_OPPORTUNISTIC, false, true, false, FM_SILENT, "250 250 250 354 250", false },
	/* opportunistic, STARTTLS refused: plaintext */
	{ CFG_UP_TLS_OPPORTUNISTIC, true, true, false, FM_4XX, "250 250 250 354 250", false },
	/* required, offered and verified */
	{ CFG_UP_TLS_REQUIRED, true, true, false, FM_SILENT, "250 250 250 354 250", true },
	/* required, not offered: temp failure */
	{ CFG_UP_TLS_REQUIRED, false, true, false, FM_SILENT, "250 451", false },
	/* required, STARTTLS refused */
	{ CFG_UP_TLS_REQUIRED, true, true, false, FM_5XX, "250 451", false },
	/* required, certificate from an untrusted CA */
	{ CFG_UP_TLS_REQUIRED, true, true, true, FM_SILENT, "250 451", false },
	/* none: never STARTTLS even if offered */
	{ CFG_UP_TLS_NONE, true, true, false, FM_SILENT, "250 250 250 354 250", false },
};

START_TEST(test_upstream_tls)
{
	const struct up_case *c = &up_cases[_i];
	struct world w;
	world_init(&w);
	w.cfg->smtp.upstream.tls = c->mode;
	w.up.starttls = c->offered;
	if (c->starttls_fail != FM_SILENT) {
		w.up.fail_step = F_STARTTLS;
		w.up.fail_mode = c->starttls_fail;
	}
	world_tls(&w, c->proxy_client, c->wrong_ca ? pki_up.other_ca_pem : NULL);
	world_start_tls(&w, CFG_LISTEN_STARTTLS);
	w.s_rx.off = w.s_rx.len = 0;
	says(&w, EHLO);
	says(&w, MAIL_CORP);
	char b[256];
	codes(&w, b, sizeof(b));
	if (strcmp(b, "250 250") == 0) {
		says(&w, RCPT_EXT "DATA\r\n");
		says(&w, "Subject: up\r\n\r\n" CLEAN_BODY ".\r\n");
	}
	ck_assert_msg(strcmp(codes(&w, b, sizeof(b)), c->expect) == 0, "case %d: %s", _i, b);
	ck_assert_int_eq(w.up.n_msgs, strstr(c->expect, "354") ? 1 : 0);
	bool tls_used = w.up.tls && tls_conn_established(w.up.tls);
	ck_assert_msg(tls_used == c->over_tls, "case %d: tls %d", _i, tls_used);
	if (c->over_tls) {
		ck_assert_int_eq(w.up.n_ehlo, 2); /* EHLO again after the handshake */
	}
	world_tls_free(&w);
}
END_TEST

START_TEST(test_tls_both_sides_pipelined_split)
{
	static const char script[] =
		EHLO MAIL_CORP RCPT_EXT "RCPT TO:<unknown@external.example>\r\n" "DATA\r\n"
		"Subject: both\r\n\r\n" SEED_BODY ".\r\n" "QUIT\r\n";
	const size_t len = sizeof(script) - 1;
	for (size_t k = 0; k <= len; k += 7) {
		struct world w;
		world_init(&w);
		w.cfg->smtp.upstream.tls = CFG_UP_TLS_REQUIRED;
		w.up.starttls = true;
		world_tls(&w, true, NULL);
		world_start_tls(&w, CFG_LISTEN_IMPLICIT);
		sender_starttls(&w);
		say(&w, script, k);
		say(&w, script + k, len - k);
		char b[256];
		ck_assert_msg(strcmp(codes(&w, b, sizeof(b)), "220 250 250 250 550 354 250 221") == 0,
			      "split %zu: %s", k, b);
		ck_assert_int_eq(w.up.n_msgs, 1);
		ck_assert(tls_conn_established(w.up.tls));
		ck_assert(memmem(iobuf_head(&w.up.last_msg), iobuf_used(&w.up.last_msg),
				 "X-DLP-Hold: Customer email Hold\r\n", 33));
		world_tls_free(&w);
	}
}
END_TEST

START_TEST(test_tls_backpressure_while_held)
{
	/* The sender pipelines a large BDAT behind its RCPT while the
	 * upstream is still connecting: the proxy stages 64 KiB, TLS holds
	 * the rest; once the upstream is there everything flows, including
	 * plaintext TLS already decrypted when no more ciphertext comes. */
	struct world w;
	static char big[200000];
	world_init(&w);
	world_tls(&w, false, NULL);
	w.connect_hangs = true;
	world_start_tls(&w, CFG_LISTEN_IMPLICIT);
	sender_starttls(&w);
	memset(big, 'z', sizeof(big));
	for (size_t i = 100; i < sizeof(big); i += 100)
		memcpy(big + i - 2, "\r\n", 2);
	memcpy(big + sizeof(big) - 2, "\r\n", 2);
	char h[64];
	snprintf(h, sizeof(h), "BDAT %zu LAST\r\n", sizeof(big));
	says(&w, EHLO MAIL_CORP RCPT_EXT);
	says(&w, h);
	say(&w, big, sizeof(big));
	says(&w, "QUIT\r\n");
	ck_codes(&w, "220");
	/* now the upstream connection completes */
	w.connect_hangs = false;
	w.up.closed = w.up.silent = false;
	w.up_conn = true;
	smtp_proxy_up_connected(w.p, w.now);
	fu_greet(&w.up);
	pump(&w);
	ck_codes(&w, "220 250 250 250 250 221");
	ck_assert_int_eq(w.up.n_msgs, 1);
	ck_assert_uint_gt(iobuf_used(&w.up.last_msg), sizeof(big));
	world_tls_free(&w);
}
END_TEST

static Suite *tls_suite(void)
{
	Suite *s = suite_create("smtp_tls");
	TCase *tc = tcase_create("tls");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_starttls_down);
	tcase_add_test(tc, test_starttls_injection);
	tcase_add_test(tc, test_starttls_injection_split);
	tcase_add_test(tc, test_implicit_tls);
	tcase_add_test(tc, test_require_tls_after_starttls);
	tcase_add_test(tc, test_broken_tls_from_sender);
	tcase_add_test(tc, test_implicit_tls_handshake_stall);
	tcase_add_test(tc, test_starttls_handshake_stall);
	tcase_add_test(tc, test_starttls_partial_hello_stall);
	tcase_add_loop_test(tc, test_upstream_tls, 0, (int)(sizeof(up_cases) / sizeof(up_cases[0])));
	tcase_add_test(tc, test_tls_both_sides_pipelined_split);
	tcase_add_test(tc, test_tls_backpressure_while_held);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	if (testcerts_generate(&pki_proxy, "dlp-gw1.corp.example", false) != 0 ||
	    testcerts_generate(&pki_up, "mx.upstream.example", false) != 0) {
		fprintf(stderr, "cannot generate test certificates\n");
		return 1;
	}
	SRunner *sr = srunner_create(tls_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	testcerts_free(&pki_proxy);
	testcerts_free(&pki_up);
	return failed ? 1 : 0;
}
