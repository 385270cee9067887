/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * quarantine_store.c — on-disk quarantine behind struct quarantine_ops:
 * sync or queued puts, list/get/delete and a two-phase release.
 */
#include "app/quarantine_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "app/incident.h"
#include "dlp/dlp.h"

struct quarantine_store {
	char *dir;
	bool sync;
	uint64_t max_bytes;
	uint64_t max_pending_bytes;
	struct incident_queue *q; /* async: struct qs_pending * */
	atomic_uint_fast64_t pending_bytes;
	pthread_mutex_t lock;
	size_t count;	/* under lock */
	uint64_t bytes; /* under lock: .eml sizes */
};

/* A flat copy of a quarantine_item (async mode). */
struct qs_pending {
	uint64_t bytes; /* allocation size, for pending_bytes */
	const char *queue_id, *mail_from, *helo, *policy, *profile, *severity, *subject;
	char **rcpts;
	size_t n_rcpts;
	uint64_t received_ms;
	size_t size;
	char *msg;
};

/* What gets written, from either an item or a pending copy. */
struct qs_rec {
	const char *queue_id, *mail_from, *helo, *policy, *profile, *severity, *subject;
	const char *const *rcpts;
	size_t n_rcpts;
	uint64_t received_ms;
	const struct iovec *iov;
	size_t n_iov;
	uint64_t size;
};

static bool qs_id_ok(const char *id)
{
	if (id == NULL || strlen(id) != QUARANTINE_ID_LEN)
		return false;
	for (size_t i = 0; i < QUARANTINE_ID_LEN; i++)
		if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
			return false;
	return true;
}

static void qs_path(const struct quarantine_store *qs, char *out, size_t len, const char *id,
		    const char *ext)
{
	snprintf(out, len, "%s/%s%s", qs->dir, id, ext);
}

static int qs_new_id(char id[QUARANTINE_ID_LEN + 1])
{
	uint8_t raw[QUARANTINE_ID_LEN / 2];
	size_t got = 0;
	while (got < sizeof(raw)) {
		ssize_t n = getrandom(raw + got, sizeof(raw) - got, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		got += (size_t)n;
	}
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < sizeof(raw); i++) {
		id[2 * i] = x[raw[i] >> 4];
		id[2 * i + 1] = x[raw[i] & 15];
	}
	id[QUARANTINE_ID_LEN] = '\0';
	return 0;
}

/* ------------------------------------------------------- meta format */

static void qs_put_enc(FILE *f, const char *key, const char *v)
{
	if (v == NULL)
		return;
	fprintf(f, "%s ", key);
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p <= 0x20 || *p >= 0x7f || *p == '%')
			fprintf(f, "%%%02X", *p);
		else
			fputc(*p, f);
	}
	fputc('\n', f);
}

static int qs_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *qs_dec(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(n + 1);
	size_t k = 0;
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && qs_hex((unsigned char)s[i + 1]) >= 0 &&
		    qs_hex((unsigned char)s[i + 2]) >= 0) {
			int v = qs_hex((unsigned char)s[i + 1]) * 16 +
				qs_hex((unsigned char)s[i + 2]);
			if (v == 0) { /* NUL never written; refuse to truncate */
				free(out);
				return NULL;
			}
			out[k++] = (char)v;
			i += 2;
		} else {
			out[k++] = s[i];
		}
	}
	out[k] = '\0';
	return out;
}

void quarantine_entry_free(struct quarantine_entry *e)
{
	if (e == NULL)
		return;
	free(e->queue_id);
	free(e->mail_from);
	for (size_t i = 0; i < e->n_rcpts; i++)
		free(e->rcpts[i]);
	free(e->rcpts);
	free(e->helo);
	free(e->policy);
	free(e->profile);
	free(e->severity);
	free(e->subject);
	free(e);
}

static struct quarantine_entry *qs_read_meta(const struct quarantine_store *qs, const char *id)
{
	char p[PATH_MAX];
	qs_path(qs, p, sizeof(p), id, ".meta");
	FILE *f = fopen(p, "re");
	if (f == NULL)
		return NULL;
	struct quarantine_entry *e = calloc(1, sizeof(*e));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	bool ok = e != NULL;
	if (ok)
		memcpy(e->id, id, QUARANTINE_ID_LEN + 1);
	while (ok && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		char *sp = strchr(line, ' ');
		if (sp == NULL)
			continue;
		*sp = '\0';
		const char *key = line, *val = sp + 1;
		char **dst = NULL;
		if (strcmp(key, "size") == 0) {
			e->size = strtoull(val, NULL, 10);
			continue;
		}
		if (strcmp(key, "received_ms") == 0) {
			e->received_ms = strtoull(val, NULL, 10);
			continue;
		}
		if (strcmp(key, "rcpt") == 0) {
			char **nr = realloc(e->rcpts, (e->n_rcpts + 1) * sizeof(char *));
			if (nr == NULL) {
				ok = false;
				break;
			}
			e->rcpts = nr;
			if ((e->rcpts[e->n_rcpts] = qs_dec(val)) == NULL)
				ok = false;
			else
				e->n_rcpts++;
			continue;
		}
		static const struct {
			const char *k;
			size_t off;
		} keys[] = {
			{"queue_id", offsetof(struct quarantine_entry, queue_id)},
			{"mail_from", offsetof(struct quarantine_entry, mail_from)},
			{"helo", offsetof(struct quarantine_entry, helo)},
			{"policy", offsetof(struct quarantine_entry, policy)},
			{"profile", offsetof(struct quarantine_entry, profile)},
			{"severity", offsetof(struct quarantine_entry, severity)},
			{"subject", offsetof(struct quarantine_entry, subject)},
		};
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(key, keys[i].k) == 0)
				dst = (char **)((char *)e + keys[i].off);
		if (dst && *dst == NULL && (*dst = qs_dec(val)) == NULL)
			ok = false;
	}
	free(line);
	fclose(f);
	if (!ok) {
		quarantine_entry_free(e);
		return NULL;
	}
	qs_path(qs, p, sizeof(p), id, ".releasing");
	e->releasing = access(p, F_OK) == 0;
	if (e->mail_from == NULL && (e->mail_from = strdup("")) == NULL) {
		quarantine_entry_free(e);
		return NULL;
	}
	return e;
}

/* ------------------------------------------------------------ writing */

static int qs_fsync_dir(const struct quarantine_store *qs)
{
	int fd = open(qs->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int rc = fsync(fd) == 0 ? 0 : -errno;
	close(fd);
	return rc;
}

static int qs_write_file(const char *path, const struct iovec *iov, size_t n_iov, bool sync)
{
	char tmp[PATH_MAX];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	int rc = 0;
	for (size_t i = 0; i < n_iov && rc == 0; i++) {
		const char *c = iov[i].iov_base;
		size_t n = iov[i].iov_len;
		while (n > 0) {
			ssize_t w = write(fd, c, n);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				rc = -errno;
				break;
			}
			c += w;
			n -= (size_t)w;
		}
	}
	if (rc == 0 && sync && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = -errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

static int qs_write(struct quarantine_store *qs, const struct qs_rec *r, bool sync,
		    char id_out[QUARANTINE_ID_LEN + 1])
{
	char id[QUARANTINE_ID_LEN + 1];
	int rc = qs_new_id(id);
	if (rc != 0)
		return rc;
	char *meta = NULL;
	size_t mlen = 0;
	FILE *f = open_memstream(&meta, &mlen);
	if (f == NULL)
		return -ENOMEM;
	qs_put_enc(f, "queue_id", r->queue_id);
	qs_put_enc(f, "mail_from", r->mail_from ? r->mail_from : "");
	for (size_t i = 0; i < r->n_rcpts; i++)
		qs_put_enc(f, "rcpt", r->rcpts[i]);
	qs_put_enc(f, "helo", r->helo);
	qs_put_enc(f, "policy", r->policy);
	qs_put_enc(f, "profile", r->profile);
	qs_put_enc(f, "severity", r->severity);
	qs_put_enc(f, "subject", r->subject);
	fprintf(f, "size %llu\nreceived_ms %llu\n", (unsigned long long)r->size,
		(unsigned long long)r->received_ms);
	if (fclose(f) != 0) {
		free(meta);
		return -ENOMEM;
	}
	char eml[PATH_MAX], mp[PATH_MAX];
	qs_path(qs, eml, sizeof(eml), id, ".eml");
	qs_path(qs, mp, sizeof(mp), id, ".meta");
	pthread_mutex_lock(&qs->lock);
	if (qs->max_bytes && qs->bytes + r->size > qs->max_bytes) {
		rc = -ENOSPC;
	} else {
		struct iovec mv = {meta, mlen};
		rc = qs_write_file(eml, r->iov, r->n_iov, sync);
		if (rc == 0)
			rc = qs_write_file(mp, &mv, 1, sync);
		if (rc == 0 && sync)
			rc = qs_fsync_dir(qs);
		if (rc != 0) {
			unlink(mp);
			unlink(eml);
		} else {
			qs->count++;
			qs->bytes += r->size;
		}
	}
	pthread_mutex_unlock(&qs->lock);
	free(meta);
	if (rc == 0 && id_out)
		memcpy(id_out, id, sizeof(id));
	return rc;
}

static void qs_rec_from_item(struct qs_rec *r, const struct quarantine_item *it)
{
	const struct dlp_verdict *v = it->verdict;
	*r = (struct qs_rec){
		.queue_id = it->queue_id,
		.mail_from = it->mail_from,
		.helo = it->client_helo,
		.rcpts = it->rcpts,
		.n_rcpts = it->n_rcpts,
		.received_ms = it->received_ms,
		.iov = it->iov,
		.n_iov = it->n_iov,
		.size = it->size,
		.policy = v ? v->policy : NULL,
		.profile = v ? v->profile : NULL,
		.severity = v ? incident_severity_name(v->severity) : NULL,
		.subject = v ? v->subject : NULL,
	};
}

int quarantine_store_put(struct quarantine_store *qs, const struct quarantine_item *item,
			 char id_out[QUARANTINE_ID_LEN + 1])
{
	struct qs_rec r;
	qs_rec_from_item(&r, item);
	return qs_write(qs, &r, true, id_out);
}

/* ---------------------------------------------------------- async put */

static size_t qs_slen(const char *s)
{
	return s ? strlen(s) + 1 : 0;
}

static char *qs_scopy(char **cur, const char *s)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	char *d = *cur;
	memcpy(d, s, n);
	*cur += n;
	return d;
}

static int qs_ops_put(void *ctx, const struct quarantine_item *item)
{
	struct quarantine_store *qs = ctx;
	if (qs->sync)
		return quarantine_store_put(qs, item, NULL);
	struct qs_rec r;
	qs_rec_from_item(&r, item);
	size_t need = sizeof(struct qs_pending) + r.n_rcpts * sizeof(char *) + qs_slen(r.queue_id) +
		      qs_slen(r.mail_from) + qs_slen(r.helo) + qs_slen(r.policy) +
		      qs_slen(r.profile) + qs_slen(r.severity) + qs_slen(r.subject) + r.size;
	for (size_t i = 0; i < r.n_rcpts; i++)
		need += qs_slen(r.rcpts[i]);
	uint64_t before = atomic_fetch_add(&qs->pending_bytes, need);
	if (before + need > qs->max_pending_bytes) {
		atomic_fetch_sub(&qs->pending_bytes, need);
		return -ENOSPC;
	}
	struct qs_pending *p = malloc(need);
	if (p == NULL) {
		atomic_fetch_sub(&qs->pending_bytes, need);
		return -ENOMEM;
	}
	char *cur = (char *)(p + 1);
	p->bytes = need;
	p->rcpts = (char **)cur;
	cur += r.n_rcpts * sizeof(char *);
	p->n_rcpts = r.n_rcpts;
	for (size_t i = 0; i < r.n_rcpts; i++)
		p->rcpts[i] = qs_scopy(&cur, r.rcpts[i] ? r.rcpts[i] : "");
	p->queue_id = qs_scopy(&cur, r.queue_id);
	p->mail_from = qs_scopy(&cur, r.mail_from);
	p->helo = qs_scopy(&cur, r.helo);
	p->policy = qs_scopy(&cur, r.policy);
	p->profile = qs_scopy(&cur, r.profile);
	p->severity = qs_scopy(&cur, r.severity);
	p->subject = qs_scopy(&cur, r.subject);
	p->received_ms = r.received_ms;
	p->msg = cur;
	size_t off = 0;
	for (size_t i = 0; i < r.n_iov; i++) {
		size_t n = r.iov[i].iov_len;
		if (off + n > r.size)
			n = r.size - off; /* never trust lengths beyond size */
		memcpy(p->msg + off, r.iov[i].iov_base, n);
		off += n;
	}
	p->size = off;
	if (incident_queue_push(qs->q, p) != 0) {
		atomic_fetch_sub(&qs->pending_bytes, need);
		free(p);
		return -EAGAIN;
	}
	return 0;
}

const struct quarantine_ops quarantine_store_ops = {.put = qs_ops_put};

unsigned quarantine_store_drain(struct quarantine_store *qs, unsigned max, unsigned *failed)
{
	unsigned n = 0;
	if (failed)
		*failed = 0;
	if (qs->q == NULL)
		return 0;
	while (n < max) {
		struct qs_pending *p = incident_queue_pop(qs->q);
		if (p == NULL)
			break;
		struct iovec iov = {p->msg, p->size};
		struct qs_rec r = {
			.queue_id = p->queue_id,
			.mail_from = p->mail_from,
			.helo = p->helo,
			.policy = p->policy,
			.profile = p->profile,
			.severity = p->severity,
			.subject = p->subject,
			.rcpts = (const char *const *)p->rcpts,
			.n_rcpts = p->n_rcpts,
			.received_ms = p->received_ms,
			.iov = &iov,
			.n_iov = 1,
			.size = p->size,
		};
		if (qs_write(qs, &r, false, NULL) == 0)
			n++;
		else if (failed)
			(*failed)++;
		atomic_fetch_sub(&qs->pending_bytes, p->bytes);
		free(p);
	}
	return n;
}

/* ------------------------------------------------------ open / close */

static int qs_scan(struct quarantine_store *qs)
{
	DIR *d = opendir(qs->dir);
	if (d == NULL)
		return -errno;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		size_t len = strlen(name);
		char p[PATH_MAX];
		snprintf(p, sizeof(p), "%s/%s", qs->dir, name);
		if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
			unlink(p);
			continue;
		}
		if (len != QUARANTINE_ID_LEN + 5 || strcmp(name + QUARANTINE_ID_LEN, ".meta") != 0)
			continue;
		char id[QUARANTINE_ID_LEN + 1];
		memcpy(id, name, QUARANTINE_ID_LEN);
		id[QUARANTINE_ID_LEN] = '\0';
		if (!qs_id_ok(id))
			continue;
		struct stat st;
		qs_path(qs, p, sizeof(p), id, ".eml");
		if (stat(p, &st) != 0)
			continue;
		qs->count++;
		qs->bytes += (uint64_t)st.st_size;
		/* A release in flight when we stopped never got its answer:
		 * back on hold (the operator can release it again). */
		qs_path(qs, p, sizeof(p), id, ".releasing");
		unlink(p);
	}
	closedir(d);
	return 0;
}

struct quarantine_store *quarantine_store_open(const struct quarantine_store_params *p, char *err,
					       size_t errlen)
{
	char dummy[1];
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (p == NULL || p->directory == NULL || p->directory[0] == '\0') {
		snprintf(err, errlen, "quarantine: no directory configured");
		errno = EINVAL;
		return NULL;
	}
	if (mkdir(p->directory, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "quarantine: %s: %s", p->directory, strerror(errno));
		return NULL;
	}
	struct quarantine_store *qs = calloc(1, sizeof(*qs));
	if (qs == NULL || (qs->dir = strdup(p->directory)) == NULL) {
		free(qs);
		snprintf(err, errlen, "quarantine: out of memory");
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&qs->lock, NULL);
	qs->sync = p->sync;
	qs->max_bytes = p->max_bytes;
	qs->max_pending_bytes = p->max_pending_bytes ? p->max_pending_bytes : 256u << 20;
	atomic_init(&qs->pending_bytes, 0);
	if (!qs->sync) {
		qs->q = incident_queue_create(p->queue_capacity ? p->queue_capacity : 1024);
		if (qs->q == NULL) {
			snprintf(err, errlen, "quarantine: out of memory");
			quarantine_store_close(qs);
			errno = ENOMEM;
			return NULL;
		}
	}
	int rc = qs_scan(qs);
	if (rc != 0) {
		snprintf(err, errlen, "quarantine: %s: %s", p->directory, strerror(-rc));
		quarantine_store_close(qs);
		errno = -rc;
		return NULL;
	}
	return qs;
}

void quarantine_store_close(struct quarantine_store *qs)
{
	if (qs == NULL)
		return;
	if (qs->q) {
		quarantine_store_drain(qs, UINT32_MAX, NULL);
		incident_queue_destroy(qs->q);
	}
	pthread_mutex_destroy(&qs->lock);
	free(qs->dir);
	free(qs);
}

/* ------------------------------------------------------ list and ops */

struct qs_sorted {
	struct quarantine_entry **v;
	size_t n, cap;
};

static int qs_cmp_newest(const void *a, const void *b)
{
	const struct quarantine_entry *x = *(struct quarantine_entry *const *)a;
	const struct quarantine_entry *y = *(struct quarantine_entry *const *)b;
	if (x->received_ms != y->received_ms)
		return x->received_ms > y->received_ms ? -1 : 1;
	return strcmp(x->id, y->id);
}

int quarantine_store_list(struct quarantine_store *qs,
			  int (*cb)(void *arg, const struct quarantine_entry *e), void *arg)
{
	struct qs_sorted s = {0};
	int rc = 0;
	pthread_mutex_lock(&qs->lock);
	DIR *d = opendir(qs->dir);
	if (d == NULL) {
		rc = -errno;
		pthread_mutex_unlock(&qs->lock);
		return rc;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (strlen(name) != QUARANTINE_ID_LEN + 5 ||
		    strcmp(name + QUARANTINE_ID_LEN, ".meta") != 0)
			continue;
		char id[QUARANTINE_ID_LEN + 1];
		memcpy(id, name, QUARANTINE_ID_LEN);
		id[QUARANTINE_ID_LEN] = '\0';
		if (!qs_id_ok(id))
			continue;
		struct quarantine_entry *e = qs_read_meta(qs, id);
		if (e == NULL)
			continue; /* removed meanwhile, or unreadable */
		if (s.n == s.cap) {
			size_t cap = s.cap ? s.cap * 2 : 32;
			struct quarantine_entry **nv = realloc(s.v, cap * sizeof(*nv));
			if (nv == NULL) {
				quarantine_entry_free(e);
				rc = -ENOMEM;
				break;
			}
			s.v = nv;
			s.cap = cap;
		}
		s.v[s.n++] = e;
	}
	closedir(d);
	pthread_mutex_unlock(&qs->lock);
	if (rc == 0 && s.n > 1)
		qsort(s.v, s.n, sizeof(*s.v), qs_cmp_newest);
	for (size_t i = 0; i < s.n; i++) {
		if (rc == 0) {
			int r = cb(arg, s.v[i]);
			if (r)
				rc = r;
		}
		quarantine_entry_free(s.v[i]);
	}
	int total = (int)s.n;
	free(s.v);
	return rc ? rc : total;
}

int quarantine_store_get(struct quarantine_store *qs, const char *id, struct quarantine_entry **e,
			 int *fd)
{
	*e = NULL;
	if (fd)
		*fd = -1;
	if (!qs_id_ok(id))
		return -EINVAL;
	pthread_mutex_lock(&qs->lock);
	struct quarantine_entry *m = qs_read_meta(qs, id);
	int rc = 0;
	if (m == NULL) {
		rc = errno == ENOMEM ? -ENOMEM : -ENOENT;
	} else if (fd) {
		char p[PATH_MAX];
		qs_path(qs, p, sizeof(p), id, ".eml");
		*fd = open(p, O_RDONLY | O_CLOEXEC);
		if (*fd < 0) {
			rc = -errno;
			quarantine_entry_free(m);
			m = NULL;
		}
	}
	pthread_mutex_unlock(&qs->lock);
	*e = m;
	return rc;
}

static int qs_read_all(int fd, char **buf, size_t *len)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return -errno;
	char *b = malloc((size_t)st.st_size + 1);
	if (b == NULL)
		return -ENOMEM;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			free(b);
			return n < 0 ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*buf = b;
	*len = got;
	return 0;
}

int quarantine_store_release(struct quarantine_store *qs, const char *id, quarantine_relay_fn relay,
			     void *arg)
{
	if (!qs_id_ok(id))
		return -EINVAL;
	char mark[PATH_MAX], eml[PATH_MAX];
	qs_path(qs, mark, sizeof(mark), id, ".releasing");
	qs_path(qs, eml, sizeof(eml), id, ".eml");
	pthread_mutex_lock(&qs->lock);
	struct quarantine_entry *e = qs_read_meta(qs, id);
	int rc = 0;
	char *msg = NULL;
	size_t len = 0;
	if (e == NULL) {
		rc = -ENOENT;
		goto out;
	}
	if (e->releasing) {
		rc = -EBUSY;
		goto out;
	}
	int fd = open(eml, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	rc = qs_read_all(fd, &msg, &len);
	close(fd);
	if (rc != 0)
		goto out;
	int mfd = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (mfd < 0) {
		rc = errno == EEXIST ? -EBUSY : -errno;
		goto out;
	}
	close(mfd);
	e->releasing = true;
	/* The relay function runs under the lock: it must only queue the
	 * message (it may not call back into this store). */
	rc = relay(arg, e, msg, len);
	if (rc != 0)
		unlink(mark);
out:
	pthread_mutex_unlock(&qs->lock);
	free(msg);
	quarantine_entry_free(e);
	return rc;
}

static int qs_remove_locked(struct quarantine_store *qs, const char *id)
{
	char p[PATH_MAX];
	struct stat st;
	qs_path(qs, p, sizeof(p), id, ".meta");
	if (unlink(p) != 0)
		return -errno;
	qs_path(qs, p, sizeof(p), id, ".eml");
	if (stat(p, &st) == 0) {
		qs->bytes -= (uint64_t)st.st_size < qs->bytes ? (uint64_t)st.st_size : qs->bytes;
		unlink(p);
	}
	qs_path(qs, p, sizeof(p), id, ".releasing");
	unlink(p);
	if (qs->count)
		qs->count--;
	return 0;
}

int quarantine_store_release_done(struct quarantine_store *qs, const char *id, bool ok)
{
	if (!qs_id_ok(id))
		return -EINVAL;
	char mark[PATH_MAX];
	qs_path(qs, mark, sizeof(mark), id, ".releasing");
	pthread_mutex_lock(&qs->lock);
	int rc;
	if (access(mark, F_OK) != 0)
		rc = -ENOENT;
	else if (ok)
		rc = qs_remove_locked(qs, id);
	else
		rc = unlink(mark) == 0 ? 0 : -errno;
	pthread_mutex_unlock(&qs->lock);
	return rc;
}

int quarantine_store_delete(struct quarantine_store *qs, const char *id)
{
	if (!qs_id_ok(id))
		return -EINVAL;
	char p[PATH_MAX];
	int rc;
	pthread_mutex_lock(&qs->lock);
	qs_path(qs, p, sizeof(p), id, ".releasing");
	if (access(p, F_OK) == 0) {
		rc = -EBUSY;
	} else {
		rc = qs_remove_locked(qs, id);
	}
	pthread_mutex_unlock(&qs->lock);
	return rc;
}

size_t quarantine_store_count(struct quarantine_store *qs)
{
	pthread_mutex_lock(&qs->lock);
	size_t n = qs->count;
	pthread_mutex_unlock(&qs->lock);
	return n;
}

uint64_t quarantine_store_bytes(struct quarantine_store *qs)
{
	pthread_mutex_lock(&qs->lock);
	uint64_t n = qs->bytes;
	pthread_mutex_unlock(&qs->lock);
	return n;
}
