/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_quarantine_store.c — the quarantine behind struct quarantine_ops:
 * sync and queued puts (bytes kept exactly, envelope and verdict metadata
 * with hostile bytes), list order, get, delete, two-phase release, limits,
 * restart.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app/quarantine_store.h"
#include "dlp/dlp.h"

static char dir[64];
static char sub[128];

static void setup(void)
{
	strcpy(dir, "/tmp/smtpdlp-quarantine-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/q", dir);
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct quarantine_store *open_qs(bool sync, unsigned cap, uint64_t max_pending,
					uint64_t max_bytes)
{
	struct quarantine_store_params p = {.directory = sub,
					    .sync = sync,
					    .queue_capacity = cap,
					    .max_pending_bytes = max_pending,
					    .max_bytes = max_bytes};
	char err[256];
	struct quarantine_store *qs = quarantine_store_open(&p, err, sizeof(err));
	ck_assert_msg(qs != NULL, "%s", err);
	return qs;
}

static const char *const rcpts[] = {"bob@ext.example", "we ird%\n@x"};
static struct dlp_verdict verdict = {
	.action = CFG_ACTION_QUARANTINE,
	.policy = "Quarantine secrets",
	.profile = "Secrets",
	.severity = CFG_SEV_HIGH,
	.subject = "Plan \xff\r\nBcc: evil",
};

static struct quarantine_item mk_item(const char *qid, const char *msg, struct iovec iov[2],
				      uint64_t ms)
{
	size_t n = strlen(msg);
	iov[0] = (struct iovec){(void *)msg, n / 3};
	iov[1] = (struct iovec){(void *)(msg + n / 3), n - n / 3};
	return (struct quarantine_item){.queue_id = qid,
					.mail_from = "alice@corp.example",
					.rcpts = rcpts,
					.n_rcpts = 2,
					.client_helo = "mx.corp.example",
					.verdict = &verdict,
					.iov = iov,
					.n_iov = 2,
					.size = n,
					.received_ms = ms};
}

struct seen {
	char ids[8][QUARANTINE_ID_LEN + 1];
	char qids[8][16];
	int n;
};

static int seen_cb(void *arg, const struct quarantine_entry *e)
{
	struct seen *s = arg;
	ck_assert_int_lt(s->n, 8);
	strcpy(s->ids[s->n], e->id);
	snprintf(s->qids[s->n], sizeof(s->qids[0]), "%s", e->queue_id ? e->queue_id : "-");
	s->n++;
	return 0;
}

static void check_message(struct quarantine_store *qs, const char *id, const char *want)
{
	struct quarantine_entry *e;
	int fd;
	ck_assert_int_eq(quarantine_store_get(qs, id, &e, &fd), 0);
	char buf[512];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, (ssize_t)strlen(want));
	ck_assert_int_eq(memcmp(buf, want, (size_t)n), 0);
	ck_assert_uint_eq(e->size, strlen(want));
	ck_assert_str_eq(e->mail_from, "alice@corp.example");
	ck_assert_uint_eq(e->n_rcpts, 2);
	ck_assert_str_eq(e->rcpts[1], "we ird%\n@x"); /* escaped on disk, exact here */
	ck_assert_str_eq(e->helo, "mx.corp.example");
	ck_assert_str_eq(e->policy, "Quarantine secrets");
	ck_assert_str_eq(e->profile, "Secrets");
	ck_assert_str_eq(e->severity, "high");
	ck_assert_str_eq(e->subject, "Plan \xff\r\nBcc: evil");
	ck_assert(!e->releasing);
	quarantine_entry_free(e);
}

static const char *const msgs[] = {
	"Subject: one\r\n\r\nbody one\r\n",
	"Subject: two\r\n\r\n\x01\x02 binary \xfe\r\n",
	"Subject: three\r\n\r\n.\r\n..dots\r\n",
};

START_TEST(test_put_modes)
{
	bool sync = _i == 0;
	struct quarantine_store *qs = open_qs(sync, 0, 0, 0);
	for (size_t i = 0; i < 3; i++) {
		struct iovec iov[2];
		char qid[8];
		snprintf(qid, sizeof(qid), "Q%zu", i);
		struct quarantine_item it = mk_item(qid, msgs[i], iov, 1000 + i);
		ck_assert_int_eq(quarantine_store_ops.put(qs, &it), 0);
	}
	if (!sync) {
		ck_assert_uint_eq(quarantine_store_count(qs), 0); /* not written yet */
		unsigned failed = 9;
		ck_assert_uint_eq(quarantine_store_drain(qs, 2, &failed), 2);
		ck_assert_uint_eq(failed, 0);
		ck_assert_uint_eq(quarantine_store_drain(qs, 10, NULL), 1);
	}
	ck_assert_uint_eq(quarantine_store_count(qs), 3);
	struct seen s = {0};
	ck_assert_int_eq(quarantine_store_list(qs, seen_cb, &s), 3);
	/* newest first */
	ck_assert_str_eq(s.qids[0], "Q2");
	ck_assert_str_eq(s.qids[1], "Q1");
	ck_assert_str_eq(s.qids[2], "Q0");
	for (int i = 0; i < 3; i++)
		check_message(qs, s.ids[i], msgs[2 - i]);
	ck_assert_uint_eq(quarantine_store_bytes(qs),
			  strlen(msgs[0]) + strlen(msgs[1]) + strlen(msgs[2]));
	quarantine_store_close(qs);
	/* restart: same items */
	qs = open_qs(sync, 0, 0, 0);
	ck_assert_uint_eq(quarantine_store_count(qs), 3);
	quarantine_store_close(qs);
}
END_TEST

struct relay_rec {
	int calls;
	int rc;
	char body[256];
};

static int relay_fn(void *arg, const struct quarantine_entry *e, const void *msg, size_t len)
{
	struct relay_rec *r = arg;
	r->calls++;
	ck_assert(e->releasing);
	ck_assert_uint_lt(len, sizeof(r->body));
	memcpy(r->body, msg, len);
	r->body[len] = '\0';
	return r->rc;
}

START_TEST(test_release_delete)
{
	struct quarantine_store *qs = open_qs(true, 0, 0, 0);
	struct iovec iov[2];
	struct quarantine_item it = mk_item("Q", msgs[0], iov, 5);
	char id[QUARANTINE_ID_LEN + 1], id2[QUARANTINE_ID_LEN + 1];
	ck_assert_int_eq(quarantine_store_put(qs, &it, id), 0);
	ck_assert_int_eq(quarantine_store_put(qs, &it, id2), 0);
	ck_assert_str_ne(id, id2);

	/* relay refuses: stays held */
	struct relay_rec r = {.rc = -EAGAIN};
	ck_assert_int_eq(quarantine_store_release(qs, id, relay_fn, &r), -EAGAIN);
	ck_assert_int_eq(r.calls, 1);
	struct quarantine_entry *e;
	ck_assert_int_eq(quarantine_store_get(qs, id, &e, NULL), 0);
	ck_assert(!e->releasing);
	quarantine_entry_free(e);

	/* relay takes it: releasing, no second release, no delete */
	r.rc = 0;
	ck_assert_int_eq(quarantine_store_release(qs, id, relay_fn, &r), 0);
	ck_assert_str_eq(r.body, msgs[0]);
	ck_assert_int_eq(quarantine_store_release(qs, id, relay_fn, &r), -EBUSY);
	ck_assert_int_eq(quarantine_store_delete(qs, id), -EBUSY);
	ck_assert_int_eq(quarantine_store_get(qs, id, &e, NULL), 0);
	ck_assert(e->releasing);
	quarantine_entry_free(e);
	/* upstream failed: back on hold; then again, and it succeeds */
	ck_assert_int_eq(quarantine_store_release_done(qs, id, false), 0);
	ck_assert_int_eq(quarantine_store_release_done(qs, id, false), -ENOENT);
	ck_assert_int_eq(quarantine_store_release(qs, id, relay_fn, &r), 0);
	ck_assert_int_eq(quarantine_store_release_done(qs, id, true), 0);
	ck_assert_int_eq(quarantine_store_get(qs, id, &e, NULL), -ENOENT);
	ck_assert_ptr_null(e);
	ck_assert_uint_eq(quarantine_store_count(qs), 1);

	/* delete */
	ck_assert_int_eq(quarantine_store_delete(qs, id2), 0);
	ck_assert_int_eq(quarantine_store_delete(qs, id2), -ENOENT);
	ck_assert_uint_eq(quarantine_store_count(qs), 0);
	ck_assert_uint_eq(quarantine_store_bytes(qs), 0);

	static const char *const bad[] = {"", "../../etc/passwd", "ABCDEFABCDEFABCDEFABCDEF", "abc",
					  "abcdefabcdefabcdefabcdef0"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(quarantine_store_get(qs, bad[i], &e, NULL), -EINVAL);
		ck_assert_int_eq(quarantine_store_delete(qs, bad[i]), -EINVAL);
		ck_assert_int_eq(quarantine_store_release(qs, bad[i], relay_fn, &r), -EINVAL);
		ck_assert_int_eq(quarantine_store_release_done(qs, bad[i], true), -EINVAL);
	}
	quarantine_store_close(qs);
}
END_TEST

START_TEST(test_release_in_flight_at_restart)
{
	struct quarantine_store *qs = open_qs(true, 0, 0, 0);
	struct iovec iov[2];
	struct quarantine_item it = mk_item("Q", msgs[1], iov, 5);
	char id[QUARANTINE_ID_LEN + 1];
	ck_assert_int_eq(quarantine_store_put(qs, &it, id), 0);
	struct relay_rec r = {.rc = 0};
	ck_assert_int_eq(quarantine_store_release(qs, id, relay_fn, &r), 0);
	quarantine_store_close(qs);
	qs = open_qs(true, 0, 0, 0);
	struct quarantine_entry *e;
	ck_assert_int_eq(quarantine_store_get(qs, id, &e, NULL), 0);
	ck_assert(!e->releasing); /* held again, not lost */
	quarantine_entry_free(e);
	quarantine_store_close(qs);
}
END_TEST

START_TEST(test_limits)
{
	/* async: queue of 2, then -EAGAIN */
	struct quarantine_store *qs = open_qs(false, 2, 0, 0);
	struct iovec iov[2];
	struct quarantine_item it = mk_item("Q", msgs[0], iov, 5);
	ck_assert_int_eq(quarantine_store_ops.put(qs, &it), 0);
	ck_assert_int_eq(quarantine_store_ops.put(qs, &it), 0);
	ck_assert_int_eq(quarantine_store_ops.put(qs, &it), -EAGAIN);
	quarantine_store_close(qs); /* writes the pending two */
	qs = open_qs(false, 2, 0, 0);
	ck_assert_uint_eq(quarantine_store_count(qs), 2);
	quarantine_store_close(qs);

	/* async: pending bytes bound */
	snprintf(sub, sizeof(sub), "%s/q2", dir);
	qs = open_qs(false, 16, 300, 0);
	ck_assert_int_eq(quarantine_store_ops.put(qs, &it), 0);
	ck_assert_int_eq(quarantine_store_ops.put(qs, &it), -ENOSPC);
	ck_assert_uint_eq(quarantine_store_drain(qs, 10, NULL), 1);
	ck_assert_int_eq(quarantine_store_ops.put(qs, &it), 0); /* room again */
	quarantine_store_close(qs);

	/* disk bound */
	snprintf(sub, sizeof(sub), "%s/q3", dir);
	qs = open_qs(true, 0, 0, strlen(msgs[0]) + 1);
	ck_assert_int_eq(quarantine_store_ops.put(qs, &it), 0);
	ck_assert_int_eq(quarantine_store_ops.put(qs, &it), -ENOSPC);
	ck_assert_uint_eq(quarantine_store_count(qs), 1);
	quarantine_store_close(qs);
	quarantine_store_close(NULL);

	/* no verdict (unscannable hold): metadata without policy */
	snprintf(sub, sizeof(sub), "%s/q4", dir);
	qs = open_qs(true, 0, 0, 0);
	it.verdict = NULL;
	it.queue_id = NULL;
	char id[QUARANTINE_ID_LEN + 1];
	ck_assert_int_eq(quarantine_store_put(qs, &it, id), 0);
	struct quarantine_entry *e;
	ck_assert_int_eq(quarantine_store_get(qs, id, &e, NULL), 0);
	ck_assert_ptr_null(e->policy);
	ck_assert_ptr_null(e->queue_id);
	ck_assert_str_eq(e->rcpts[0], "bob@ext.example");
	quarantine_entry_free(e);
	quarantine_store_close(qs);

	char err[128];
	struct quarantine_store_params p = {.directory = "/nonexistent-parent/q"};
	ck_assert_ptr_null(quarantine_store_open(&p, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-parent/q"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("quarantine_store");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_put_modes, 0, 2);
	tcase_add_test(tc, test_release_delete);
	tcase_add_test(tc, test_release_in_flight_at_restart);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
