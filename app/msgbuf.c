/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msgbuf.c — growable I/O buffers and the chunked message buffer.
 *
 * The pool is a free list of equal chunks with a hard cap on chunks in use:
 * a flood of large messages on one lcore fails new bytes with -ENOMEM (the
 * proxy answers 451) instead of exhausting the process.
 */
#include "app/msgbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- iobuf */

uint8_t *iobuf_reserve(struct iobuf *b, size_t n, size_t max)
{
	size_t used = b->len - b->off;

	if (n > max || used > max - n) {
		errno = ENOBUFS;
		return NULL;
	}
	if (b->cap - b->len >= n)
		return b->data + b->len;
	if (b->off > 0) { /* compact first */
		memmove(b->data, b->data + b->off, used);
		b->off = 0;
		b->len = used;
		if (b->cap - b->len >= n)
			return b->data + b->len;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap - used < n)
		cap *= 2;
	if (cap > max && max >= used + n)
		cap = max;
	uint8_t *d = realloc(b->data, cap);
	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	b->data = d;
	b->cap = cap;
	return b->data + b->len;
}

int iobuf_append(struct iobuf *b, const void *data, size_t n, size_t max)
{
	if (n == 0)
		return 0;
	uint8_t *p = iobuf_reserve(b, n, max);
	if (p == NULL)
		return -errno;
	memcpy(p, data, n);
	b->len += n;
	return 0;
}

void iobuf_consume(struct iobuf *b, size_t n)
{
	b->off += n;
	if (b->off >= b->len)
		b->off = b->len = 0;
}

void iobuf_trim(struct iobuf *b)
{
	if (b->off == b->len)
		iobuf_free(b);
}

void iobuf_free(struct iobuf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------ msgbuf */

struct msgbuf_pool {
	struct msgbuf_chunk *free_list;
	size_t n_free;
	size_t in_use;
	size_t max_chunks;
	size_t cache_chunks;
};

struct msgbuf_pool *msgbuf_pool_create(size_t max_chunks, size_t cache_chunks)
{
	if (max_chunks == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct msgbuf_pool *p = calloc(1, sizeof(*p));
	if (p == NULL)
		return NULL;
	p->max_chunks = max_chunks;
	p->cache_chunks = cache_chunks;
	return p;
}

void msgbuf_pool_destroy(struct msgbuf_pool *pool)
{
	if (pool == NULL)
		return;
	while (pool->free_list) {
		struct msgbuf_chunk *c = pool->free_list;
		pool->free_list = c->next;
		free(c);
	}
	free(pool);
}

size_t msgbuf_pool_in_use(const struct msgbuf_pool *pool)
{
	return pool->in_use;
}

static struct msgbuf_chunk *pool_get(struct msgbuf_pool *p)
{
	struct msgbuf_chunk *c;

	if (p->in_use >= p->max_chunks)
		return NULL;
	if (p->free_list) {
		c = p->free_list;
		p->free_list = c->next;
		p->n_free--;
	} else {
		c = malloc(sizeof(*c));
		if (c == NULL)
			return NULL;
	}
	c->next = NULL;
	c->len = 0;
	p->in_use++;
	return c;
}

static void pool_put(struct msgbuf_pool *p, struct msgbuf_chunk *c)
{
	p->in_use--;
	if (p->n_free < p->cache_chunks) {
		c->next = p->free_list;
		p->free_list = c;
		p->n_free++;
	} else {
		free(c);
	}
}

void msgbuf_init(struct msgbuf *mb, struct msgbuf_pool *pool, uint64_t limit)
{
	memset(mb, 0, sizeof(*mb));
	mb->pool = pool;
	mb->limit = limit;
}

int msgbuf_append(struct msgbuf *mb, const void *data, size_t len,
		  struct iovec *where, size_t *n_where)
{
	const uint8_t *src = data;
	size_t nw = 0;

	if (n_where)
		*n_where = 0;
	if (len > mb->limit || mb->len > mb->limit - len)
		return -EFBIG;
	while (len > 0) {
		struct msgbuf_chunk *t = mb->tail;
		if (t == NULL || t->len == MSGBUF_CHUNK_DATA) {
			struct msgbuf_chunk *c = pool_get(mb->pool);
			if (c == NULL)
				return -ENOMEM;
			if (t)
				t->next = c;
			else
				mb->head = c;
			mb->tail = t = c;
			mb->n_chunks++;
		}
		size_t n = MSGBUF_CHUNK_DATA - t->len;
		if (n > len)
			n = len;
		memcpy(t->data + t->len, src, n);
		if (where) {
			where[nw].iov_base = t->data + t->len;
			where[nw].iov_len = n;
			nw++;
			if (n_where)
				*n_where = nw;
		}
		t->len += (uint32_t)n;
		mb->len += n;
		src += n;
		len -= n;
	}
	return 0;
}

size_t msgbuf_iov(const struct msgbuf *mb, struct iovec *iov, size_t max)
{
	size_t n = 0;

	for (const struct msgbuf_chunk *c = mb->head; c; c = c->next) {
		if (n < max) {
			iov[n].iov_base = (void *)c->data;
			iov[n].iov_len = c->len;
		}
		n++;
	}
	return n;
}

size_t msgbuf_copy(const struct msgbuf *mb, uint64_t off, void *dst, size_t n)
{
	uint8_t *d = dst;
	size_t done = 0;

	for (const struct msgbuf_chunk *c = mb->head; c && done < n; c = c->next) {
		if (off >= c->len) {
			off -= c->len;
			continue;
		}
		size_t k = c->len - (size_t)off;
		if (k > n - done)
			k = n - done;
		memcpy(d + done, c->data + off, k);
		done += k;
		off = 0;
	}
	return done;
}

void msgbuf_reset(struct msgbuf *mb)
{
	struct msgbuf_chunk *c = mb->head;

	while (c) {
		struct msgbuf_chunk *next = c->next;
		pool_put(mb->pool, c);
		c = next;
	}
	mb->head = mb->tail = NULL;
	mb->len = 0;
	mb->n_chunks = 0;
}
