/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * forensics.c — bounded directory store of forensic copies with
 * oldest-first eviction and age-based retention, plus md5 helpers.
 */
#include "app/forensics.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---------------------------------------------------------------- md5 */

void forensics_md5_init(struct forensics_md5 *m)
{
	mbedtls_md5_init(&m->ctx);
	mbedtls_md5_starts_ret(&m->ctx);
}

void forensics_md5_update(struct forensics_md5 *m, const void *p, size_t n)
{
	mbedtls_md5_update_ret(&m->ctx, p, n);
}

void forensics_md5_final(struct forensics_md5 *m, char hex[33])
{
	unsigned char d[16];
	static const char x[] = "0123456789abcdef";
	mbedtls_md5_finish_ret(&m->ctx, d);
	mbedtls_md5_free(&m->ctx);
	for (int i = 0; i < 16; i++) {
		hex[2 * i] = x[d[i] >> 4];
		hex[2 * i + 1] = x[d[i] & 15];
	}
	hex[32] = '\0';
}

void forensics_md5_hex(const void *p, size_t n, char hex[33])
{
	struct forensics_md5 m;
	forensics_md5_init(&m);
	forensics_md5_update(&m, p, n);
	forensics_md5_final(&m, hex);
}

/* -------------------------------------------------------------- store */

#define FX_UID_MAX 64

struct fx_entry {
	char uid[FX_UID_MAX + 1];
	uint64_t bytes; /* .eml + .json */
	int64_t stored; /* epoch seconds */
};

struct forensics_store {
	char *dir;
	uint64_t max_bytes;
	unsigned retention_days;
	pthread_mutex_t lock;
	struct fx_entry *ents; /* [head, n) live, oldest first */
	size_t head, n, cap;
	uint64_t total;
};

static bool fx_uid_ok(const char *uid)
{
	size_t n = uid ? strlen(uid) : 0;
	if (n == 0 || n > FX_UID_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((uid[i] >= '0' && uid[i] <= '9') || (uid[i] >= 'a' && uid[i] <= 'f')))
			return false;
	return true;
}

static void fx_path(const struct forensics_store *fs, char *out, size_t len, const char *uid,
		    const char *ext)
{
	snprintf(out, len, "%s/%s%s", fs->dir, uid, ext);
}

static int fx_cmp(const void *a, const void *b)
{
	const struct fx_entry *x = a, *y = b;
	if (x->stored != y->stored)
		return x->stored < y->stored ? -1 : 1;
	return strcmp(x->uid, y->uid);
}

static int fx_append(struct forensics_store *fs, const char *uid, uint64_t bytes, int64_t when)
{
	if (fs->head > 0 && fs->head * 2 >= fs->n) {
		memmove(fs->ents, fs->ents + fs->head, (fs->n - fs->head) * sizeof(*fs->ents));
		fs->n -= fs->head;
		fs->head = 0;
	}
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 64;
		struct fx_entry *ne = realloc(fs->ents, cap * sizeof(*ne));
		if (ne == NULL)
			return -ENOMEM;
		fs->ents = ne;
		fs->cap = cap;
	}
	struct fx_entry *e = &fs->ents[fs->n++];
	snprintf(e->uid, sizeof(e->uid), "%s", uid);
	e->bytes = bytes;
	e->stored = when;
	fs->total += bytes;
	return 0;
}

static void fx_unlink_entry(struct forensics_store *fs, const struct fx_entry *e)
{
	char p[PATH_MAX];
	fx_path(fs, p, sizeof(p), e->uid, ".eml");
	unlink(p);
	fx_path(fs, p, sizeof(p), e->uid, ".json");
	unlink(p);
	fs->total -= e->bytes;
}

static int fx_scan(struct forensics_store *fs)
{
	DIR *d = opendir(fs->dir);
	if (d == NULL)
		return -errno;
	struct dirent *de;
	int rc = 0;
	while ((de = readdir(d)) != NULL && rc == 0) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		char p[PATH_MAX];
		if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
			snprintf(p, sizeof(p), "%s/%s", fs->dir, name);
			unlink(p);
			continue;
		}
		if (len <= 4 || strcmp(name + len - 4, ".eml") != 0 || len - 4 > FX_UID_MAX)
			continue;
		char uid[FX_UID_MAX + 1];
		memcpy(uid, name, len - 4);
		uid[len - 4] = '\0';
		if (!fx_uid_ok(uid))
			continue;
		struct stat st;
		uint64_t bytes = 0;
		int64_t when = 0;
		fx_path(fs, p, sizeof(p), uid, ".eml");
		if (stat(p, &st) != 0)
			continue;
		bytes = (uint64_t)st.st_size;
		when = st.st_mtime;
		fx_path(fs, p, sizeof(p), uid, ".json");
		if (stat(p, &st) == 0)
			bytes += (uint64_t)st.st_size;
		rc = fx_append(fs, uid, bytes, when);
	}
	closedir(d);
	if (rc == 0 && fs->n > 1)
		qsort(fs->ents, fs->n, sizeof(*fs->ents), fx_cmp);
	return rc;
}

struct forensics_store *forensics_open(const struct forensics_params *p, char *err, size_t errlen)
{
	char dummy[1];
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (p == NULL || p->directory == NULL || p->directory[0] == '\0') {
		snprintf(err, errlen, "forensics: no directory configured");
		errno = EINVAL;
		return NULL;
	}
	if (mkdir(p->directory, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "forensics: %s: %s", p->directory, strerror(errno));
		return NULL;
	}
	struct forensics_store *fs = calloc(1, sizeof(*fs));
	if (fs == NULL || (fs->dir = strdup(p->directory)) == NULL) {
		free(fs);
		snprintf(err, errlen, "forensics: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	fs->max_bytes = p->max_bytes;
	fs->retention_days = p->retention_days;
	pthread_mutex_init(&fs->lock, NULL);
	int rc = fx_scan(fs);
	if (rc != 0) {
		snprintf(err, errlen, "forensics: %s: %s", p->directory, strerror(-rc));
		forensics_close(fs);
		errno = -rc;
		return NULL;
	}
	/* A smaller limit than last run: evict now. */
	while (fs->max_bytes && fs->total > fs->max_bytes && fs->head < fs->n)
		fx_unlink_entry(fs, &fs->ents[fs->head++]);
	return fs;
}

void forensics_close(struct forensics_store *fs)
{
	if (fs == NULL)
		return;
	pthread_mutex_destroy(&fs->lock);
	free(fs->ents);
	free(fs->dir);
	free(fs);
}

static int fx_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Write pieces to path.tmp then rename to path. */
static int fx_write_file(const char *path, const struct iovec *iov, size_t n_iov)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = 0;
	for (size_t i = 0; i < n_iov && rc == 0; i++)
		rc = fx_write_all(fd, iov[i].iov_base, iov[i].iov_len);
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

int forensics_put(struct forensics_store *fs, const char *uid, const struct iovec *iov,
		  size_t n_iov, const char *matches_json, char md5[33], unsigned *evicted)
{
	uint64_t size = 0;
	if (evicted)
		*evicted = 0;
	if (md5) {
		struct forensics_md5 m;
		forensics_md5_init(&m);
		for (size_t i = 0; i < n_iov; i++)
			forensics_md5_update(&m, iov[i].iov_base, iov[i].iov_len);
		forensics_md5_final(&m, md5);
	}
	if (!fx_uid_ok(uid))
		return -EINVAL;
	for (size_t i = 0; i < n_iov; i++)
		size += iov[i].iov_len;
	if (matches_json == NULL)
		matches_json = "null";
	size_t jlen = strlen(matches_json);
	uint64_t need = size + jlen;
	if (fs->max_bytes && need > fs->max_bytes)
		return -EFBIG;

	char eml[PATH_MAX], json[PATH_MAX];
	fx_path(fs, eml, sizeof(eml), uid, ".eml");
	fx_path(fs, json, sizeof(json), uid, ".json");
	pthread_mutex_lock(&fs->lock);
	int rc = 0;
	if (access(eml, F_OK) == 0) {
		rc = -EEXIST;
		goto out;
	}
	while (fs->max_bytes && fs->total + need > fs->max_bytes && fs->head < fs->n) {
		fx_unlink_entry(fs, &fs->ents[fs->head++]);
		if (evicted)
			(*evicted)++;
	}
	struct iovec jv = {.iov_base = (void *)matches_json, .iov_len = jlen};
	rc = fx_write_file(json, &jv, 1);
	if (rc == 0)
		rc = fx_write_file(eml, iov, n_iov);
	if (rc == 0)
		rc = fx_append(fs, uid, need, (int64_t)time(NULL));
	if (rc != 0) {
		unlink(eml);
		unlink(json);
	}
out:
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

unsigned forensics_purge(struct forensics_store *fs, int64_t now)
{
	unsigned n = 0;
	if (fs->retention_days == 0)
		return 0;
	int64_t cutoff = now - (int64_t)fs->retention_days * 86400;
	pthread_mutex_lock(&fs->lock);
	while (fs->head < fs->n && fs->ents[fs->head].stored < cutoff) {
		fx_unlink_entry(fs, &fs->ents[fs->head++]);
		n++;
	}
	pthread_mutex_unlock(&fs->lock);
	return n;
}

int forensics_delete(struct forensics_store *fs, const char *uid)
{
	if (!fx_uid_ok(uid))
		return -EINVAL;
	int rc = -ENOENT;
	pthread_mutex_lock(&fs->lock);
	for (size_t i = fs->head; i < fs->n; i++) {
		if (strcmp(fs->ents[i].uid, uid) != 0)
			continue;
		fx_unlink_entry(fs, &fs->ents[i]);
		memmove(&fs->ents[i], &fs->ents[i + 1], (fs->n - i - 1) * sizeof(*fs->ents));
		fs->n--;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&fs->lock);
	return rc;
}

int forensics_open_message(struct forensics_store *fs, const char *uid, int *fd, uint64_t *size)
{
	if (!fx_uid_ok(uid))
		return -EINVAL;
	char p[PATH_MAX];
	fx_path(fs, p, sizeof(p), uid, ".eml");
	int f = open(p, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	struct stat st;
	if (fstat(f, &st) != 0) {
		int e = -errno;
		close(f);
		return e;
	}
	*fd = f;
	if (size)
		*size = (uint64_t)st.st_size;
	return 0;
}

int forensics_read_matches(struct forensics_store *fs, const char *uid, char **json, size_t *len)
{
	*json = NULL;
	if (!fx_uid_ok(uid))
		return -EINVAL;
	char p[PATH_MAX];
	fx_path(fs, p, sizeof(p), uid, ".json");
	FILE *f = fopen(p, "re");
	if (f == NULL)
		return -errno;
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || st.st_size > (1 << 26)) {
		fclose(f);
		return -EFBIG;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		fclose(f);
		return -ENOMEM;
	}
	size_t n = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	buf[n] = '\0';
	*json = buf;
	if (len)
		*len = n;
	return 0;
}

uint64_t forensics_bytes(struct forensics_store *fs)
{
	pthread_mutex_lock(&fs->lock);
	uint64_t t = fs->total;
	pthread_mutex_unlock(&fs->lock);
	return t;
}

size_t forensics_count(struct forensics_store *fs)
{
	pthread_mutex_lock(&fs->lock);
	size_t n = fs->n - fs->head;
	pthread_mutex_unlock(&fs->lock);
	return n;
}
