/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_mime_archive.c — zip text extraction on its own: which parts are
 * candidates, the collection limit, member text (plain, XML reduced to
 * text, binary by name only), the member budget, encrypted and corrupt
 * archives. (Archives inside messages are covered by test_mime's goldens.)
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/dlp.h"
#include "dlp/mime_archive.h"

/* A stored zip: a.txt "Customer list\n", doc.xml (OOXML-like runs),
 * bin.dat (binary). Made with Python's zipfile. */
static const char zip_bytes[] =
	"\x50\x4b\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x21\x58\xca\xe4\xda\xd8"
	"\x0e\x00\x00\x00\x0e\x00\x00\x00\x05\x00\x00\x00\x61\x2e\x74\x78\x74\x43"
	"\x75\x73\x74\x6f\x6d\x65\x72\x20\x6c\x69\x73\x74\x0a\x50\x4b\x03\x04\x14"
	"\x00\x00\x00\x00\x00\x00\x00\x21\x58\xc2\x7f\x80\xe5\x32\x00\x00\x00\x32"
	"\x00\x00\x00\x07\x00\x00\x00\x64\x6f\x63\x2e\x78\x6d\x6c\x3c\x77\x3a\x70"
	"\x3e\x43\x75\x73\x74\x3c\x77\x3a\x74\x3e\x6f\x6d\x65\x72\x3c\x2f\x77\x3a"
	"\x74\x3e\x3c\x2f\x77\x3a\x70\x3e\x3c\x77\x3a\x70\x3e\x78\x20\x26\x61\x6d"
	"\x70\x3b\x20\x79\x3c\x2f\x77\x3a\x70\x3e\x50\x4b\x03\x04\x14\x00\x00\x00"
	"\x00\x00\x00\x00\x21\x58\xbf\x4d\x1e\xca\x09\x00\x00\x00\x09\x00\x00\x00"
	"\x07\x00\x00\x00\x62\x69\x6e\x2e\x64\x61\x74\x00\x01\x02\x62\x69\x6e\x61"
	"\x72\x79\x50\x4b\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00\x21\x58"
	"\xca\xe4\xda\xd8\x0e\x00\x00\x00\x0e\x00\x00\x00\x05\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x00\x00\x00\x80\x01\x00\x00\x00\x00\x61\x2e\x74\x78\x74\x50"
	"\x4b\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00\x21\x58\xc2\x7f\x80"
	"\xe5\x32\x00\x00\x00\x32\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x00\x80\x01\x31\x00\x00\x00\x64\x6f\x63\x2e\x78\x6d\x6c\x50\x4b"
	"\x01\x02\x14\x03\x14\x00\x00\x00\x00\x00\x00\x00\x21\x58\xbf\x4d\x1e\xca"
	"\x09\x00\x00\x00\x09\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	"\x00\x00\x80\x01\x88\x00\x00\x00\x62\x69\x6e\x2e\x64\x61\x74\x50\x4b\x05"
	"\x06\x00\x00\x00\x00\x03\x00\x03\x00\x9d\x00\x00\x00\xb6\x00\x00\x00\x00"
	"\x00";

struct cand_case {
	const char *ctype;
	const char *filename;
	bool want;
};

static const struct cand_case cands[] = {
	{"application/zip", NULL, true},
	{"application/x-zip-compressed", "a.bin", true},
	{"application/vnd.openxmlformats-officedocument.wordprocessingml.document", NULL, true},
	{"application/vnd.oasis.opendocument.text", NULL, true},
	{"application/octet-stream", "Report.DOCX", true},
	{"application/octet-stream", "data.xlsx", true},
	{"application/octet-stream", "notes.txt", false},
	{"application/octet-stream", NULL, false},
	{"application/pdf", "file.pdf", false},
	{"text/plain", "list.zip", false},
	{"image/png", "x.zip", false},
};

START_TEST(test_candidate)
{
	const struct cand_case *c = &cands[_i];

	ck_assert_int_eq(mime_archive_candidate(c->ctype, c->filename), c->want);
}
END_TEST

struct rec {
	char log[4096];
	size_t len;
};

static void rec_add(struct rec *r, const char *s, size_t n)
{
	ck_assert_uint_lt(r->len + n, sizeof(r->log));
	memcpy(r->log + r->len, s, n);
	r->len += n;
	r->log[r->len] = '\0';
}

static void m_begin(void *ctx, const char *name, bool has_text)
{
	rec_add(ctx, "[", 1);
	rec_add(ctx, name, strlen(name));
	rec_add(ctx, has_text ? " text]" : " bin]", has_text ? 6 : 5);
}

static void m_text(void *ctx, const uint8_t *d, size_t n)
{
	ck_assert_uint_gt(n, 0);
	rec_add(ctx, (const char *)d, n);
}

static void m_end(void *ctx)
{
	rec_add(ctx, "[end]", 5);
}

static const struct mime_archive_sink sink = {m_begin, m_text, m_end};

static uint32_t expand(const uint8_t *data, size_t len, unsigned max_members, struct rec *r,
		       bool *opened)
{
	struct mime_archive a;

	mime_archive_init(&a);
	/* in uneven pieces, as a decoder hands them over */
	for (size_t off = 0; off < len; off += 7)
		ck_assert_int_eq(mime_archive_append(&a, data + off, len - off < 7 ? len - off : 7),
				 0);
	memset(r, 0, sizeof(*r));
	uint32_t anom = mime_archive_expand(&a, &sink, r, max_members, opened);
	mime_archive_free(&a);
	return anom;
}

START_TEST(test_members)
{
	struct rec r;
	bool opened;

	uint32_t anom = expand((const uint8_t *)zip_bytes, sizeof(zip_bytes) - 1, 100, &r, &opened);
	ck_assert_uint_eq(anom, 0);
	ck_assert(opened);
	ck_assert_str_eq(r.log, "[a.txt text]Customer list\n[end]"
				"[doc.xml text]\nCustomer\n\nx & y\n[end]"
				"[bin.dat bin][end]");
}
END_TEST

START_TEST(test_member_budget)
{
	struct rec r;
	bool opened;

	uint32_t anom = expand((const uint8_t *)zip_bytes, sizeof(zip_bytes) - 1, 1, &r, &opened);
	ck_assert_uint_eq(anom, DLP_ANOM_PARTS);
	ck_assert_str_eq(r.log, "[a.txt text]Customer list\n[end]");
}
END_TEST

START_TEST(test_encrypted)
{
	uint8_t z[sizeof(zip_bytes)];
	struct rec r;
	bool opened;

	memcpy(z, zip_bytes, sizeof(z));
	/* set the "encrypted" flag of every local and central header */
	for (size_t i = 0; i + 10 < sizeof(z); i++) {
		if (memcmp(z + i, "PK\x03\x04", 4) == 0)
			z[i + 6] |= 1;
		if (memcmp(z + i, "PK\x01\x02", 4) == 0)
			z[i + 8] |= 1;
	}
	uint32_t anom = expand(z, sizeof(z) - 1, 100, &r, &opened);
	ck_assert_uint_eq(anom & DLP_ANOM_BAD_ARCHIVE, DLP_ANOM_BAD_ARCHIVE);
	ck_assert_ptr_null(strstr(r.log, "Customer"));
}
END_TEST

START_TEST(test_corrupt)
{
	static const char junk[] = "PK\x03\x04 not really a zip archive at all";
	struct rec r;
	bool opened;

	uint32_t anom = expand((const uint8_t *)junk, sizeof(junk) - 1, 100, &r, &opened);
	ck_assert_uint_eq(anom, DLP_ANOM_BAD_ARCHIVE);
	ck_assert(!opened);
	ck_assert_str_eq(r.log, "");
}
END_TEST

START_TEST(test_collect_limit)
{
	struct mime_archive a;
	uint8_t *big = calloc(1, 1u << 20);
	struct rec r = {0};
	bool opened;

	ck_assert_ptr_nonnull(big);
	mime_archive_init(&a);
	int rc = 0;
	for (unsigned i = 0; i <= MIME_ARCHIVE_BUFFER_MAX >> 20 && rc == 0; i++)
		rc = mime_archive_append(&a, big, 1u << 20);
	ck_assert_int_eq(rc, -E2BIG);
	ck_assert(a.overflow);
	ck_assert_int_eq(mime_archive_append(&a, big, 1), -E2BIG);
	ck_assert_uint_eq(mime_archive_expand(&a, &sink, &r, 100, &opened), DLP_ANOM_BAD_ARCHIVE);
	mime_archive_reset(&a);
	ck_assert(!a.overflow);
	ck_assert_int_eq(mime_archive_append(&a, big, 1), 0);
	mime_archive_free(&a);
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("mime_archive");
	TCase *tc = tcase_create("archive");
	tcase_add_loop_test(tc, test_candidate, 0, sizeof(cands) / sizeof(cands[0]));
	tcase_add_test(tc, test_members);
	tcase_add_test(tc, test_member_budget);
	tcase_add_test(tc, test_encrypted);
	tcase_add_test(tc, test_corrupt);
	tcase_add_test(tc, test_collect_limit);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
