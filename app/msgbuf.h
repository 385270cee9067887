/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * msgbuf.h — byte buffers for the SMTP proxy.
 *
 * Two types, the generic one under the mail-specific one:
 *
 *  - struct iobuf: one growable byte buffer (data, read offset, length) used
 *    for protocol output and staged input. All-zero is empty. Growth is
 *    bounded by the caller (iobuf_reserve() takes a hard cap); the memory
 *    is released with iobuf_free(), and iobuf_trim() drops it when empty so
 *    an idle session holds no buffers.
 *
 *  - struct msgbuf: one message, kept as a chain of fixed-size chunks taken
 *    from a per-lcore pool (struct msgbuf_pool) and bounded by a byte limit
 *    (smtp.max_message_size). Chunks never move once written, so a pointer
 *    to appended bytes stays valid until msgbuf_reset(): the DLP hand-off
 *    passes such pointers to another lcore without copying. No realloc of
 *    one big block, ever.
 *
 * Not thread-safe: a pool and its buffers belong to one lcore.
 */
#ifndef SMTPDLP_APP_MSGBUF_H
#define SMTPDLP_APP_MSGBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* ------------------------------------------------------------- iobuf */

struct iobuf {
	uint8_t *data;
	size_t off; /* first unread byte */
	size_t len; /* end of valid bytes */
	size_t cap;
};

/* Unread bytes. Never NULL: an unallocated buffer yields a static empty
 * array, so `iobuf_head(b) + iobuf_used(b)` and mem*() calls with a zero
 * length stay defined (no arithmetic on NULL). */
static inline const uint8_t *iobuf_head(const struct iobuf *b)
{
	static const uint8_t iobuf_none[1];

	return b->data ? b->data + b->off : iobuf_none;
}
static inline size_t iobuf_used(const struct iobuf *b) { return b->len - b->off; }
static inline bool iobuf_empty(const struct iobuf *b) { return b->len == b->off; }

/* Make room for `n` more bytes without letting used bytes exceed `max`.
 * Returns a pointer to the room, or NULL with errno ENOBUFS (cap) / ENOMEM. */
uint8_t *iobuf_reserve(struct iobuf *b, size_t n, size_t max);
/* Commit `n` bytes written into the room returned by iobuf_reserve(). */
static inline void iobuf_commit(struct iobuf *b, size_t n) { b->len += n; }
/* Append; 0, -ENOBUFS when used bytes would exceed max, -ENOMEM. */
int iobuf_append(struct iobuf *b, const void *data, size_t n, size_t max);
/* Drop `n` bytes from the front (n <= iobuf_used()). */
void iobuf_consume(struct iobuf *b, size_t n);
/* Release the memory if the buffer is empty (idle sessions hold nothing). */
void iobuf_trim(struct iobuf *b);
void iobuf_free(struct iobuf *b);

/* ------------------------------------------------------------ msgbuf */

/* Bytes of message data per chunk (a chunk is this plus a small header). */
#define MSGBUF_CHUNK_DATA 16320u

struct msgbuf_chunk {
	struct msgbuf_chunk *next;
	uint32_t len;
	uint8_t data[MSGBUF_CHUNK_DATA];
};

struct msgbuf_pool;

/*
 * A pool handing out at most `max_chunks` chunks at a time (the memory bound
 * of all messages buffered on one lcore) and keeping up to `cache_chunks`
 * freed chunks for reuse. Returns NULL + errno (EINVAL, ENOMEM).
 */
struct msgbuf_pool *msgbuf_pool_create(size_t max_chunks, size_t cache_chunks);
/* All chunks must have been returned. NULL is a no-op. */
void msgbuf_pool_destroy(struct msgbuf_pool *pool);
/* Chunks currently handed out. */
size_t msgbuf_pool_in_use(const struct msgbuf_pool *pool);

struct msgbuf {
	struct msgbuf_pool *pool;
	struct msgbuf_chunk *head, *tail;
	uint64_t len;   /* bytes held */
	uint64_t limit; /* most bytes accepted */
	size_t n_chunks;
};

/* Start an empty message drawing on `pool`, holding at most `limit` bytes. */
void msgbuf_init(struct msgbuf *mb, struct msgbuf_pool *pool, uint64_t limit);

/*
 * Append bytes. Returns 0; -EFBIG when the message would exceed its limit
 * (nothing of this call is kept); -ENOMEM when the pool is exhausted (the
 * bytes that fitted in the current chunk are kept; the message is broken and
 * the caller temp-fails it).
 * If `where` is not NULL it receives the contiguous pieces the bytes landed
 * in (at most 1 + len / MSGBUF_CHUNK_DATA + 1 entries; size it with
 * msgbuf_pieces_max(len)), and *n_where their count: stable pointers the
 * caller may hand to another lcore until msgbuf_reset().
 */
int msgbuf_append(struct msgbuf *mb, const void *data, size_t len,
		  struct iovec *where, size_t *n_where);
static inline size_t msgbuf_pieces_max(size_t len) { return len / MSGBUF_CHUNK_DATA + 2; }

static inline uint64_t msgbuf_len(const struct msgbuf *mb) { return mb->len; }

/* Fill up to `max` iovecs describing the whole message; returns the count
 * needed (may exceed max; then only max are filled). */
size_t msgbuf_iov(const struct msgbuf *mb, struct iovec *iov, size_t max);

/* Copy up to n bytes starting at offset off; returns bytes copied. */
size_t msgbuf_copy(const struct msgbuf *mb, uint64_t off, void *dst, size_t n);

/* Return every chunk to the pool; the msgbuf is empty again (same limit). */
void msgbuf_reset(struct msgbuf *mb);

#endif /* SMTPDLP_APP_MSGBUF_H */
