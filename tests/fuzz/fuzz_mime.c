/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_mime.c — libFuzzer target for the streaming MIME parser and, through
 * it, every decoder (base64, QP, uuencode, charsets, HTML, RFC 2047/2231).
 *
 * The first 4 input bytes seed the chunking and pick small limits; the rest
 * is the message. It is parsed twice — one-shot and in pseudo-random chunks
 * (1 byte to 4 KiB) — with a sink that hashes every event and the text
 * stream; the hashes must match (the output may not depend on the split),
 * and sanitizers catch the rest.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/mime.h"

struct fz_hash {
	uint64_t h;
};

static void fz_mix(struct fz_hash *s, const void *d, size_t n)
{
	const uint8_t *p = d;

	for (size_t i = 0; i < n; i++)
		s->h = (s->h ^ p[i]) * 0x100000001b3ull;
}

static void fz_header(void *ctx, const char *path, unsigned depth, const char *name,
		      const char *value, size_t len)
{
	fz_mix(ctx, "H", 1);
	fz_mix(ctx, path, strlen(path) + 1);
	fz_mix(ctx, &depth, sizeof(depth));
	fz_mix(ctx, name, strlen(name) + 1);
	fz_mix(ctx, value, len);
}

static void fz_info(struct fz_hash *s, const struct mime_part_info *p)
{
	fz_mix(s, p->path, strlen(p->path) + 1);
	fz_mix(s, p->content_type, strlen(p->content_type) + 1);
	if (p->charset)
		fz_mix(s, p->charset, strlen(p->charset) + 1);
	if (p->filename)
		fz_mix(s, p->filename, strlen(p->filename) + 1);
	fz_mix(s, &p->attachment, 1);
	fz_mix(s, &p->is_text, 1);
}

static void fz_begin(void *ctx, const struct mime_part_info *p)
{
	fz_mix(ctx, "B", 1);
	fz_info(ctx, p);
}

static void fz_text(void *ctx, const uint8_t *d, size_t n)
{
	if (n == 0)
		abort(); /* text() is never called empty */
	fz_mix(ctx, d, n);
}

static void fz_end(void *ctx, const struct mime_part_info *p)
{
	fz_mix(ctx, "E", 1);
	fz_info(ctx, p);
}

static const struct mime_sink fz_sink = {
	.header = fz_header,
	.part_begin = fz_begin,
	.text = fz_text,
	.part_end = fz_end,
};

static uint64_t fz_run(const struct mime_limits *lim, const uint8_t *d, size_t n, uint32_t seed,
		       uint32_t *anom)
{
	struct fz_hash s = {0xcbf29ce484222325ull};
	struct mime_parser *p = mime_parser_create(lim, &fz_sink, &s);

	if (!p)
		abort();
	size_t off = 0;
	while (off < n) {
		size_t k = n - off;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			size_t lim_k = (seed >> 16) % 4096 + 1;
			if (k > lim_k)
				k = lim_k;
		}
		mime_parser_feed(p, d + off, k);
		off += k;
	}
	mime_parser_finish(p);
	*anom = mime_parser_anomalies(p);
	fz_mix(&s, anom, sizeof(*anom));
	uint64_t dec = mime_parser_decoded_bytes(p);
	fz_mix(&s, &dec, sizeof(dec));
	mime_parser_destroy(p);
	return s.h;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits lim = {0};
	uint32_t seed, a1, a2;

	if (size < 4)
		return 0;
	memcpy(&seed, data, 4);
	data += 4;
	size -= 4;
	if (seed & 1) { /* small limits so that fuzzing reaches them */
		lim.max_depth = (seed >> 1) % 6 + 1;
		lim.max_parts = (seed >> 4) % 16 + 1;
		lim.max_header_bytes = (seed >> 8) % 512 + 16;
		lim.max_line_length = (seed >> 12) % 256 + 8;
		lim.max_decoded_bytes = (seed >> 20) % 2048 + 1;
	}
	uint64_t h1 = fz_run(&lim, data, size, 0, &a1);
	uint64_t h2 = fz_run(&lim, data, size, seed | 1, &a2);
	if (h1 != h2 || a1 != a2)
		abort(); /* output depends on how the input was split */
	return 0;
}
