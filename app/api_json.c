/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_json.c — growable buffer and JSON string escaping with UTF-8
 * validation (invalid bytes become U+FFFD).
 */
#include "app/api_json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/utf8.h"

static bool api_buf_grow(struct api_buf *b, size_t n)
{
	if (b->oom)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *nd = realloc(b->data, cap);
	if (nd == NULL) {
		b->oom = true;
		return false;
	}
	b->data = nd;
	b->cap = cap;
	return true;
}

void api_buf_put(struct api_buf *b, const void *p, size_t n)
{
	if (!api_buf_grow(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void api_buf_puts(struct api_buf *b, const char *s)
{
	api_buf_put(b, s, strlen(s));
}

void api_buf_printf(struct api_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		api_buf_put(b, small, (size_t)n);
		return;
	}
	if (!api_buf_grow(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *api_buf_steal(struct api_buf *b, size_t *len)
{
	if (b->oom || !api_buf_grow(b, 0)) {
		api_buf_free(b);
		return NULL;
	}
	char *d = b->data;
	if (len)
		*len = b->len;
	memset(b, 0, sizeof(*b));
	return d;
}

void api_buf_free(struct api_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof(*b));
}

static void put_buf(void *b, const void *p, size_t n)
{
	api_buf_put(b, p, n);
}

void api_json_str(struct api_buf *b, const char *s, size_t len)
{
	utf8_json_str(s, len, put_buf, b);
}

void api_json_cstr(struct api_buf *b, const char *s)
{
	if (s == NULL)
		api_buf_puts(b, "null");
	else
		api_json_str(b, s, strlen(s));
}

void api_json_key(struct api_buf *b, const char *key)
{
	api_buf_put(b, "\"", 1);
	api_buf_puts(b, key);
	api_buf_put(b, "\":", 2);
}
