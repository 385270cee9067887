/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_forensics.c — md5 vectors (RFC 1321), the bounded forensic store:
 * put/read back, oldest-first eviction at max_bytes, retention by age,
 * rescan after restart (limits hold, stale .tmp removed), bad ids.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "app/forensics.h"

static const struct {
	const char *in;
	const char *md5;
} md5_cases[] = {
	{"", "d41d8cd98f00b204e9800998ecf8427e"},
	{"a", "0cc175b9c0f1b6a831c399e269772661"},
	{"abc", "900150983cd24fb0d6963f7d28e17f72"},
	{"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
	{"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
	 "57edf4a22be3c955ac49da2e2107b67a"},
};

START_TEST(test_md5_vectors)
{
	char hex[33];
	const char *in = md5_cases[_i].in;
	forensics_md5_hex(in, strlen(in), hex);
	ck_assert_str_eq(hex, md5_cases[_i].md5);
	/* streamed at every split point gives the same digest */
	for (size_t split = 0; split <= strlen(in); split++) {
		struct forensics_md5 m;
		forensics_md5_init(&m);
		forensics_md5_update(&m, in, split);
		forensics_md5_update(&m, in + split, strlen(in) - split);
		forensics_md5_final(&m, hex);
		ck_assert_str_eq(hex, md5_cases[_i].md5);
	}
}
END_TEST

static char dir[64];

static void setup(void)
{
	strcpy(dir, "/tmp/smtpdlp-forensics-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static char sub[128];

static struct forensics_store *open_store(uint64_t max, unsigned days)
{
	snprintf(sub, sizeof(sub), "%s/fx", dir);
	struct forensics_params p = {.directory = sub, .max_bytes = max, .retention_days = days};
	char err[256];
	struct forensics_store *fs = forensics_open(&p, err, sizeof(err));
	ck_assert_msg(fs != NULL, "%s", err);
	return fs;
}

static int put(struct forensics_store *fs, const char *uid, const char *msg, unsigned *ev)
{
	/* two pieces, as the proxy hands over a chain */
	size_t n = strlen(msg);
	struct iovec iov[2] = {{(void *)msg, n / 2}, {(void *)(msg + n / 2), n - n / 2}};
	char md5[33];
	int rc = forensics_put(fs, uid, iov, 2, "{}", md5, ev);
	char want[33];
	forensics_md5_hex(msg, n, want);
	ck_assert_str_eq(md5, want);
	return rc;
}

START_TEST(test_put_read)
{
	struct forensics_store *fs = open_store(0, 0);
	const char *msg = "Subject: hi\r\n\r\nCustomer Account Manager\r\n";
	ck_assert_int_eq(put(fs, "aa01", msg, NULL), 0);
	ck_assert_int_eq(put(fs, "aa01", msg, NULL), -EEXIST);
	int fd;
	uint64_t size;
	ck_assert_int_eq(forensics_open_message(fs, "aa01", &fd, &size), 0);
	ck_assert_uint_eq(size, strlen(msg));
	char buf[256];
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	ck_assert_int_eq(n, (ssize_t)strlen(msg));
	ck_assert_int_eq(memcmp(buf, msg, (size_t)n), 0);
	char *json;
	size_t jl;
	ck_assert_int_eq(forensics_read_matches(fs, "aa01", &json, &jl), 0);
	ck_assert_str_eq(json, "{}");
	free(json);
	ck_assert_uint_eq(forensics_bytes(fs), strlen(msg) + 2);
	ck_assert_uint_eq(forensics_count(fs), 1);
	/* file mode 0600 */
	char p[256];
	snprintf(p, sizeof(p), "%s/aa01.eml", sub);
	struct stat st;
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);

	static const struct {
		const char *uid;
		int rc;
	} bad[] = {
		{"../etc/passwd", -EINVAL}, {"", -EINVAL},	 {"AA01", -EINVAL},
		{"aa02", -ENOENT},	    {"aa01/x", -EINVAL},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(forensics_open_message(fs, bad[i].uid, &fd, &size), bad[i].rc);
		ck_assert_int_eq(forensics_read_matches(fs, bad[i].uid, &json, &jl), bad[i].rc);
		ck_assert_int_eq(forensics_delete(fs, bad[i].uid), bad[i].rc);
	}
	ck_assert_int_eq(put(fs, "../x", msg, NULL), -EINVAL);
	ck_assert_int_eq(forensics_delete(fs, "aa01"), 0);
	ck_assert_uint_eq(forensics_count(fs), 0);
	ck_assert_uint_eq(forensics_bytes(fs), 0);
	ck_assert_int_eq(forensics_open_message(fs, "aa01", &fd, &size), -ENOENT);
	forensics_close(fs);
	forensics_close(NULL);
}
END_TEST

START_TEST(test_eviction_oldest_first)
{
	/* each item: 98 bytes of message + 2 bytes "{}" = 100 */
	char msg[99];
	memset(msg, 'x', 98);
	msg[98] = '\0';
	struct forensics_store *fs = open_store(350, 0);
	static const struct {
		const char *uid;
		unsigned evicted;
		const char *present; /* after the put */
	} steps[] = {
		{"01", 0, "01"},       {"02", 0, "01 02"},    {"03", 0, "01 02 03"},
		{"04", 1, "02 03 04"}, {"05", 1, "03 04 05"},
	};
	static const char *const all[] = {"01", "02", "03", "04", "05"};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		unsigned ev = 99;
		ck_assert_int_eq(put(fs, steps[i].uid, msg, &ev), 0);
		ck_assert_uint_eq(ev, steps[i].evicted);
		ck_assert_uint_le(forensics_bytes(fs), 350);
		for (size_t k = 0; k < 5; k++) {
			int fd;
			int rc = forensics_open_message(fs, all[k], &fd, NULL);
			bool want = strstr(steps[i].present, all[k]) != NULL;
			ck_assert_msg((rc == 0) == want, "step %zu: %s rc %d", i, all[k], rc);
			if (rc == 0)
				close(fd);
		}
	}
	/* one copy larger than the whole store: refused, nothing evicted */
	char big[400];
	memset(big, 'y', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(put(fs, "06", big, NULL), -EFBIG);
	ck_assert_uint_eq(forensics_count(fs), 3);
	forensics_close(fs);

	/* restart with a smaller limit: the scan evicts the oldest */
	fs = open_store(200, 0);
	ck_assert_uint_eq(forensics_count(fs), 2);
	int fd;
	ck_assert_int_eq(forensics_open_message(fs, "03", &fd, NULL), -ENOENT);
	ck_assert_int_eq(forensics_open_message(fs, "05", &fd, NULL), 0);
	close(fd);
	forensics_close(fs);
}
END_TEST

START_TEST(test_retention_and_rescan)
{
	struct forensics_store *fs = open_store(0, 30);
	ck_assert_int_eq(put(fs, "0a", "old message", NULL), 0);
	ck_assert_int_eq(put(fs, "0b", "new message", NULL), 0);
	ck_assert_uint_eq(forensics_purge(fs, time(NULL)), 0);
	forensics_close(fs);

	/* age "0a" by 31 days and leave a stale temp file, then restart */
	char p[256];
	struct timeval tv[2];
	gettimeofday(&tv[0], NULL);
	tv[0].tv_sec -= 31 * 86400;
	tv[1] = tv[0];
	snprintf(p, sizeof(p), "%s/0a.eml", sub);
	ck_assert_int_eq(utimes(p, tv), 0);
	snprintf(p, sizeof(p), "%s/0c.eml.tmp", sub);
	FILE *f = fopen(p, "w");
	fputs("partial", f);
	fclose(f);

	fs = open_store(0, 30);
	ck_assert_uint_eq(forensics_count(fs), 2);
	ck_assert_int_eq(access(p, F_OK), -1); /* stale temp removed */
	ck_assert_uint_eq(forensics_purge(fs, time(NULL)), 1);
	int fd;
	ck_assert_int_eq(forensics_open_message(fs, "0a", &fd, NULL), -ENOENT);
	ck_assert_int_eq(forensics_open_message(fs, "0b", &fd, NULL), 0);
	close(fd);
	/* 29 days later nothing more, 31 days later the rest */
	ck_assert_uint_eq(forensics_purge(fs, time(NULL) + 29 * 86400), 0);
	ck_assert_uint_eq(forensics_purge(fs, time(NULL) + 31 * 86400), 1);
	ck_assert_uint_eq(forensics_count(fs), 0);
	forensics_close(fs);

	/* retention off: purge never removes */
	fs = open_store(0, 0);
	ck_assert_int_eq(put(fs, "0d", "m", NULL), 0);
	ck_assert_uint_eq(forensics_purge(fs, time(NULL) + 3650 * 86400), 0);
	forensics_close(fs);
}
END_TEST

START_TEST(test_open_errors)
{
	char err[256];
	struct forensics_params p = {.directory = NULL};
	ck_assert_ptr_null(forensics_open(&p, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "no directory"));
	p.directory = "/nonexistent-parent/fx";
	ck_assert_ptr_null(forensics_open(&p, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent-parent/fx"));
	ck_assert_ptr_null(forensics_open(&p, NULL, 0));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("forensics");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_md5_vectors, 0, sizeof(md5_cases) / sizeof(md5_cases[0]));
	tcase_add_test(tc, test_put_read);
	tcase_add_test(tc, test_eviction_oldest_first);
	tcase_add_test(tc, test_retention_and_rescan);
	tcase_add_test(tc, test_open_errors);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
