/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api_json.h — a growable byte buffer and a JSON string writer for the
 * management side (alerts API responses, incident rule/match records).
 *
 * api_json_str() escapes arbitrary bytes with the one escaper of the project
 * (utf8_json_str() in dlp/utf8.h): '"', '\\', control bytes and DEL as
 * JSON escapes, valid UTF-8 passed through, and every byte that is not part
 * of a valid UTF-8 sequence (including overlongs, surrogates and code points
 * above U+10FFFF) replaced by U+FFFD — so a subject in a legacy charset or a
 * broken one never produces invalid JSON.
 *
 * Memory errors are sticky: after one failed growth every call is a no-op
 * and api_buf_steal() returns NULL, so callers check once at the end.
 * Not thread-safe; one buffer per user.
 */
#ifndef SMTPDLP_API_JSON_H
#define SMTPDLP_API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct api_buf {
	char *data; /* NUL-terminated while !oom */
	size_t len;
	size_t cap;
	bool oom;
};

void api_buf_put(struct api_buf *b, const void *p, size_t n);
void api_buf_puts(struct api_buf *b, const char *s);
__attribute__((format(printf, 2, 3))) void api_buf_printf(struct api_buf *b, const char *fmt, ...);
/* Hand the bytes to the caller (free() them); NULL if a growth failed or the
 * buffer is empty-and-never-allocated with nothing written. Resets *b. */
char *api_buf_steal(struct api_buf *b, size_t *len);
void api_buf_free(struct api_buf *b); /* resets *b */

/* A JSON string literal (with quotes) of len bytes of s. */
void api_json_str(struct api_buf *b, const char *s, size_t len);
/* Same for a NUL-terminated string; NULL writes null. */
void api_json_cstr(struct api_buf *b, const char *s);
/* "key": (the key is a trusted literal, no escaping) */
void api_json_key(struct api_buf *b, const char *key);

#endif /* SMTPDLP_API_JSON_H */
