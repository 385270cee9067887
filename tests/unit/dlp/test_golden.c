/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_golden.c — golden verdict tests through the real engine and the real
 * config loader: for every tests/golden/<case>.eml, the verdict (as the JSON
 * smtpdlp-scan prints) must contain tests/golden/<case>.json: objects match
 * key by key (keys absent from the expectation are not checked), arrays
 * have the same length and match element by element, scalars are equal.
 * <case>.conf, when present, replaces golden.conf. Each message is also fed
 * split at every byte offset, and every split must give the same JSON.
 */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "config/cfg.h"
#include "dlp/dlp.h"
#include "dlp/verdict_json.h"

/* ------------------------------------------------------------ tiny JSON */

enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jt t;
	bool b;
	double num;
	char *s;
	struct jv *items; /* arrays and object values */
	char **keys;	  /* objects */
	size_t n;
};

struct jp {
	const char *p, *end;
	bool err;
};

static void jfree(struct jv *v)
{
	free(v->s);
	for (size_t i = 0; i < v->n; i++) {
		jfree(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
}

static void ws(struct jp *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
		j->p++;
}

static char *jstr(struct jp *j)
{
	size_t cap = 64, n = 0;
	char *o = malloc(cap);
	j->p++; /* '"' */
	while (j->p < j->end && *j->p != '"') {
		unsigned c = (unsigned char)*j->p++;
		if (c == '\\' && j->p < j->end) {
			char e = *j->p++;
			switch (e) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case 'u': {
				unsigned cp = 0;
				for (int k = 0; k < 4 && j->p < j->end; k++, j->p++)
					cp = cp * 16 +
					     (unsigned)(*j->p <= '9' ? *j->p - '0'
								     : (*j->p | 32) - 'a' + 10);
				char u[4];
				size_t l;
				if (cp < 0x80) {
					u[0] = (char)cp;
					l = 1;
				} else if (cp < 0x800) {
					u[0] = (char)(0xC0 | cp >> 6);
					u[1] = (char)(0x80 | (cp & 63));
					l = 2;
				} else {
					u[0] = (char)(0xE0 | cp >> 12);
					u[1] = (char)(0x80 | ((cp >> 6) & 63));
					u[2] = (char)(0x80 | (cp & 63));
					l = 3;
				}
				if (n + l + 1 > cap)
					o = realloc(o, cap *= 2);
				memcpy(o + n, u, l);
				n += l;
				continue;
			}
			default:
				c = (unsigned char)e;
				break;
			}
		}
		if (n + 2 > cap)
			o = realloc(o, cap *= 2);
		o[n++] = (char)c;
	}
	if (j->p >= j->end)
		j->err = true;
	else
		j->p++;
	o[n] = '\0';
	return o;
}

static void jparse(struct jp *j, struct jv *v)
{
	memset(v, 0, sizeof(*v));
	ws(j);
	if (j->p >= j->end) {
		j->err = true;
		return;
	}
	char c = *j->p;
	if (c == '{' || c == '[') {
		bool obj = c == '{';
		v->t = obj ? J_OBJ : J_ARR;
		j->p++;
		ws(j);
		if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
			j->p++;
			return;
		}
		for (;;) {
			v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
			if (obj) {
				v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
				ws(j);
				if (j->p >= j->end || *j->p != '"') {
					j->err = true;
					return;
				}
				v->keys[v->n] = jstr(j);
				ws(j);
				if (j->p >= j->end || *j->p != ':') {
					free(v->keys[v->n]);
					j->err = true;
					return;
				}
				j->p++;
			}
			jparse(j, &v->items[v->n++]);
			if (j->err)
				return;
			ws(j);
			if (j->p < j->end && *j->p == ',') {
				j->p++;
				continue;
			}
			if (j->p < j->end && *j->p == (obj ? '}' : ']')) {
				j->p++;
				return;
			}
			j->err = true;
			return;
		}
	}
	if (c == '"') {
		v->t = J_STR;
		v->s = jstr(j);
	} else if (!strncmp(j->p, "true", 4)) {
		v->t = J_BOOL;
		v->b = true;
		j->p += 4;
	} else if (!strncmp(j->p, "false", 5)) {
		v->t = J_BOOL;
		j->p += 5;
	} else if (!strncmp(j->p, "null", 4)) {
		v->t = J_NULL;
		j->p += 4;
	} else {
		char *e;
		v->t = J_NUM;
		v->num = strtod(j->p, &e);
		if (e == j->p)
			j->err = true;
		j->p = e;
	}
}

static bool jload(const char *text, size_t len, struct jv *v)
{
	struct jp j = {text, text + len, false};
	jparse(&j, v);
	ws(&j);
	return !j.err && j.p == j.end;
}

/* Is `want` contained in `got`? On mismatch, describe where in why. */
static bool jsub(const struct jv *want, const struct jv *got, char *path, size_t plen, char *why,
		 size_t wlen)
{
	if (want->t != got->t) {
		snprintf(why, wlen, "%s: type differs", path);
		return false;
	}
	switch (want->t) {
	case J_NULL:
		return true;
	case J_BOOL:
		if (want->b != got->b)
			snprintf(why, wlen, "%s: want %d", path, want->b);
		return want->b == got->b;
	case J_NUM:
		if (want->num != got->num)
			snprintf(why, wlen, "%s: want %g got %g", path, want->num, got->num);
		return want->num == got->num;
	case J_STR:
		if (strcmp(want->s, got->s))
			snprintf(why, wlen, "%s: want \"%s\" got \"%s\"", path, want->s, got->s);
		return strcmp(want->s, got->s) == 0;
	case J_ARR:
		if (want->n != got->n) {
			snprintf(why, wlen, "%s: want %zu elements got %zu", path, want->n, got->n);
			return false;
		}
		for (size_t i = 0; i < want->n; i++) {
			size_t l = strlen(path);
			snprintf(path + l, plen - l, "[%zu]", i);
			bool ok = jsub(&want->items[i], &got->items[i], path, plen, why, wlen);
			path[l] = '\0';
			if (!ok)
				return false;
		}
		return true;
	case J_OBJ:
		for (size_t i = 0; i < want->n; i++) {
			size_t k;
			for (k = 0; k < got->n; k++)
				if (!strcmp(got->keys[k], want->keys[i]))
					break;
			size_t l = strlen(path);
			snprintf(path + l, plen - l, ".%s", want->keys[i]);
			if (k == got->n) {
				snprintf(why, wlen, "%s: missing", path);
				return false;
			}
			bool ok = jsub(&want->items[i], &got->items[k], path, plen, why, wlen);
			path[l] = '\0';
			if (!ok)
				return false;
		}
		return true;
	}
	return false;
}

/* ------------------------------------------------------------ cases */

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	*len = fread(b, 1, (size_t)n, f);
	b[*len] = '\0';
	fclose(f);
	return b;
}

static char golden_dir[1024];
static char *case_names[128];
static size_t n_cases;

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void find_cases(void)
{
	const char *root = getenv("SMTPDLP_SOURCE_ROOT");
	snprintf(golden_dir, sizeof(golden_dir), "%s/tests/golden", root ? root : ".");
	DIR *d = opendir(golden_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && n_cases < 128) {
		size_t l = strlen(e->d_name);
		if (l > 4 && !strcmp(e->d_name + l - 4, ".eml"))
			case_names[n_cases++] = strndup(e->d_name, l - 4);
	}
	closedir(d);
	qsort(case_names, n_cases, sizeof(char *), cmp);
}

static char *verdict_for(struct dlp_scanner *sc, const char *msg, size_t len, size_t split,
			 const char *file)
{
	struct dlp_txn *t = dlp_txn_begin(sc, NULL);
	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(dlp_txn_feed(t, msg, split), 0);
	ck_assert_int_eq(dlp_txn_feed(t, msg + split, len - split), 0);
	struct dlp_verdict *v = dlp_txn_end(t);
	ck_assert_ptr_nonnull(v);
	char *js = dlp_verdict_json(v, file, 0);
	ck_assert_ptr_nonnull(js);
	dlp_verdict_free(v);
	return js;
}

START_TEST(test_case)
{
	const char *name = case_names[_i];
	char path[1400], err[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s.conf", golden_dir, name);
	if (stat(path, &st) != 0)
		snprintf(path, sizeof(path), "%s/golden.conf", golden_dir);
	struct cfg *cfg = cfg_load(path, err, sizeof(err));
	ck_assert_msg(cfg != NULL, "%s: %s", name, err);
	struct dlp_policy_set *ps = dlp_policy_set_build(cfg, err, sizeof(err));
	ck_assert_msg(ps != NULL, "%s: %s", name, err);
	struct dlp_scanner *sc = dlp_scanner_create(ps);
	ck_assert_ptr_nonnull(sc);

	size_t mlen, jlen;
	snprintf(path, sizeof(path), "%s/%s.eml", golden_dir, name);
	char *msg = slurp(path, &mlen);
	ck_assert_ptr_nonnull(msg);
	snprintf(path, sizeof(path), "%s/%s.json", golden_dir, name);
	char *exp = slurp(path, &jlen);
	ck_assert_msg(exp != NULL, "%s: no expected .json", name);

	char *got = verdict_for(sc, msg, mlen, mlen, name);
	struct jv want, have;
	ck_assert_msg(jload(exp, jlen, &want), "%s.json: bad JSON", name);
	ck_assert_msg(jload(got, strlen(got), &have), "%s: engine JSON invalid: %s", name, got);
	char jpath[256] = "", why[512] = "";
	ck_assert_msg(jsub(&want, &have, jpath, sizeof(jpath), why, sizeof(why)),
		      "%s: %s\n  verdict: %s", name, why, got);
	/* split invariance */
	for (size_t s = 0; s < mlen; s++) {
		char *again = verdict_for(sc, msg, mlen, s, name);
		ck_assert_msg(strcmp(again, got) == 0, "%s: split at %zu differs:\n%s\n%s", name, s,
			      again, got);
		free(again);
	}
	jfree(&want);
	jfree(&have);
	free(got);
	free(exp);
	free(msg);
	dlp_scanner_destroy(sc);
	dlp_policy_set_unref(ps);
	cfg_free(cfg);
}
END_TEST

START_TEST(test_have_cases)
{
	ck_assert_uint_ge(n_cases, 16);
}
END_TEST

int main(void)
{
	find_cases();
	Suite *s = suite_create("golden");
	TCase *tc = tcase_create("golden");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_have_cases);
	tcase_add_loop_test(tc, test_case, 0, (int)n_cases);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (size_t i = 0; i < n_cases; i++)
		free(case_names[i]);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
