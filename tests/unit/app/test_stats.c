/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_stats.c — counters registry: per-writer blocks summed on read, gauges
 * across blocks, JSON and Prometheus rendering, concurrent writers.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/stats.h"

static const char *const ports[] = {"inside", "out\"side"};

static struct stats *mk(unsigned blocks)
{
	struct stats_params p = {.n_blocks = blocks, .port_names = ports, .n_ports = 2};
	struct stats *s = stats_create(&p);
	ck_assert_ptr_nonnull(s);
	return s;
}

/* A table of (block, counter, amount) increments and the expected sums. */
static const struct {
	unsigned block;
	enum stats_id id;
	uint64_t n;
} adds[] = {
	{0, STATS_SMTP_MESSAGES, 3},
	{1, STATS_SMTP_MESSAGES, 4},
	{2, STATS_SMTP_MESSAGES, 5},
	{1, STATS_ACTION_BLOCK, 1},
	{2, STATS_DLP_BYTES_DECODED, 1ull << 40},
	{0, STATS_DLP_BYTES_DECODED, 1},
};

static const struct {
	enum stats_id id;
	uint64_t sum;
} sums[] = {
	{STATS_SMTP_MESSAGES, 12},
	{STATS_ACTION_BLOCK, 1},
	{STATS_DLP_BYTES_DECODED, (1ull << 40) + 1},
	{STATS_TCP_ACCEPTED, 0},
};

START_TEST(test_sum_table)
{
	struct stats *s = mk(3);
	for (size_t i = 0; i < sizeof(adds) / sizeof(adds[0]); i++)
		stats_add(stats_block(s, adds[i].block), adds[i].id, adds[i].n);
	struct stats_totals t;
	stats_read(s, &t);
	for (size_t i = 0; i < sizeof(sums) / sizeof(sums[0]); i++)
		ck_assert_uint_eq(t.c[sums[i].id], sums[i].sum);
	stats_destroy(s);
}
END_TEST

START_TEST(test_gauge_across_blocks)
{
	struct stats *s = mk(2);
	/* Opened on block 0 (3 times), closed on block 1 (twice). */
	for (int i = 0; i < 3; i++)
		stats_inc(stats_block(s, 0), STATS_TCP_ACTIVE);
	stats_sub(stats_block(s, 1), STATS_TCP_ACTIVE, 2);
	struct stats_totals t;
	stats_read(s, &t);
	ck_assert_uint_eq(t.c[STATS_TCP_ACTIVE], 1);
	size_t len;
	char *j = stats_render_json(s, &len);
	ck_assert_ptr_nonnull(j);
	ck_assert_uint_eq(strlen(j), len);
	ck_assert_ptr_nonnull(strstr(j, "\"tcp\":{\"accepted\":0,"));
	ck_assert_ptr_nonnull(strstr(j, "\"active\":1}"));
	free(j);
	stats_destroy(s);
}
END_TEST

START_TEST(test_bad_params)
{
	struct stats_params p = {.n_blocks = 0};
	ck_assert_ptr_null(stats_create(&p));
	p.n_blocks = STATS_MAX_BLOCKS + 1;
	ck_assert_ptr_null(stats_create(&p));
	p.n_blocks = 1;
	p.n_ports = STATS_MAX_PORTS + 1;
	p.port_names = ports;
	ck_assert_ptr_null(stats_create(&p));
	struct stats *s = mk(1);
	ck_assert_ptr_null(stats_block(s, 1));
	stats_destroy(s);
	stats_destroy(NULL);
}
END_TEST

START_TEST(test_render)
{
	struct stats *s = mk(2);
	stats_port_add(stats_block(s, 0), 0, STATS_PORT_RX_PACKETS, 7);
	stats_port_add(stats_block(s, 1), 0, STATS_PORT_RX_PACKETS, 8);
	stats_port_add(stats_block(s, 1), 1, STATS_PORT_TX_BYTES, 1500);
	stats_port_add(stats_block(s, 1), STATS_MAX_PORTS, STATS_PORT_TX_BYTES, 1); /* ignored */
	stats_inc(stats_block(s, 1), STATS_ACTION_ADD_HEADER);
	size_t len;
	char *j = stats_render_json(s, &len);
	ck_assert_ptr_nonnull(j);
	static const char *const want_json[] = {
		"{\"ports\":{\"inside\":{\"rx_packets\":15,",
		("\"out\\\"side\":{\"rx_packets\":0,\"rx_bytes\":0,\"tx_packets\":0,"
		 "\"tx_bytes\":1500,"),
		"\"actions\":{\"allow\":0,\"alert\":0,\"add_header\":1,",
		"\"smtp\":{\"sessions\":0,",
	};
	for (size_t i = 0; i < sizeof(want_json) / sizeof(want_json[0]); i++)
		ck_assert_msg(strstr(j, want_json[i]) != NULL, "missing %s in %s", want_json[i], j);
	ck_assert_int_eq(j[len - 1], '}');
	free(j);

	char *p = stats_render_prometheus(s, &len);
	ck_assert_ptr_nonnull(p);
	static const char *const want_prom[] = {
		"# TYPE smtpdlp_port_rx_packets_total counter\n",
		"smtpdlp_port_rx_packets_total{port=\"inside\"} 15\n",
		"smtpdlp_port_tx_bytes_total{port=\"out\\\"side\"} 1500\n",
		"smtpdlp_actions_add_header_total 1\n",
		"# TYPE smtpdlp_tcp_active gauge\nsmtpdlp_tcp_active 0\n",
	};
	for (size_t i = 0; i < sizeof(want_prom) / sizeof(want_prom[0]); i++)
		ck_assert_msg(strstr(p, want_prom[i]) != NULL, "missing %s", want_prom[i]);
	ck_assert_int_eq(p[len - 1], '\n');
	free(p);
	stats_destroy(s);
}
END_TEST

struct writer {
	struct stats_block *b;
	unsigned long n;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	for (unsigned long i = 0; i < w->n; i++) {
		stats_inc(w->b, STATS_SMTP_MESSAGES);
		stats_port_add(w->b, 1, STATS_PORT_RX_BYTES, 2);
	}
	return NULL;
}

START_TEST(test_concurrent_writers)
{
	enum { NW = 3, N = 200000 };
	struct stats *s = mk(NW);
	pthread_t th[NW];
	struct writer w[NW];
	for (int i = 0; i < NW; i++) {
		w[i] = (struct writer){stats_block(s, i), N};
		ck_assert_int_eq(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	/* Reads during writing must be monotonic. */
	uint64_t last = 0;
	for (int k = 0; k < 1000; k++) {
		struct stats_totals t;
		stats_read(s, &t);
		ck_assert_uint_ge(t.c[STATS_SMTP_MESSAGES], last);
		last = t.c[STATS_SMTP_MESSAGES];
	}
	for (int i = 0; i < NW; i++)
		pthread_join(th[i], NULL);
	struct stats_totals t;
	stats_read(s, &t);
	ck_assert_uint_eq(t.c[STATS_SMTP_MESSAGES], (uint64_t)NW * N);
	ck_assert_uint_eq(t.port[1][STATS_PORT_RX_BYTES], (uint64_t)NW * N * 2);
	stats_destroy(s);
}
END_TEST

START_TEST(test_names)
{
	for (unsigned i = 0; i < STATS_COUNT; i++) {
		ck_assert_ptr_nonnull(stats_name(i));
		ck_assert_str_ne(stats_name(i), "unknown");
		ck_assert_str_ne(stats_group(i), "unknown");
	}
	ck_assert_str_eq(stats_name(STATS_COUNT), "unknown");
	ck_assert_str_eq(stats_port_name(STATS_PORT_TX_DROPPED), "tx_dropped");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("stats");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_sum_table);
	tcase_add_test(tc, test_gauge_across_blocks);
	tcase_add_test(tc, test_bad_params);
	tcase_add_test(tc, test_render);
	tcase_add_test(tc, test_concurrent_writers);
	tcase_add_test(tc, test_names);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
