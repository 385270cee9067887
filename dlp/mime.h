/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * mime.h — streaming MIME decoder: raw RFC 5322 bytes in, decoded UTF-8
 * text out, through a sink of callbacks.
 *
 * The parser is a push parser that can stop at any byte: the caller feeds
 * the message in chunks of any size and the sink receives, in order,
 *   header()      each header of each part, unfolded, RFC 2047 decoded,
 *                 as UTF-8 (the engine uses Subject/From/To/Cc of the
 *                 top-level message and the names of attachments);
 *   part_begin()  when a leaf part's body starts;
 *   text()        its decoded content: transfer encoding undone (base64,
 *                 quoted-printable, uuencode, 7bit/8bit/binary), converted to
 *                 UTF-8 from its charset, HTML reduced to text, archives
 *                 expanded where supported; in chunks of any size;
 *   part_end()    when it ends.
 * A message is never materialised: memory per parser is bounded by the
 * limits (header block, line length, nesting depth).
 *
 * Limits hit and malformed input set anomaly bits (enum dlp_anomaly in
 * dlp.h); the parser never aborts on bad input. Content past a limit is
 * skipped, never scanned partially without the flag.
 *
 * Conventions of this implementation (dlp/mime.c):
 *  - Paths and depths: the top-level message's headers reach header() with
 *    path "" and depth 0. Children of a multipart at path P are P.1, P.2,
 *    ... ("1", "2", ... at the top); each child's headers come with its own
 *    path and depth + 1. A message/rfc822 part at path P, depth d: its own
 *    headers at (P, d), the nested message's headers at (P, d + 1), and the
 *    nested parts below P. A non-multipart message body is the leaf P.1
 *    ("1" for a single-part message, depth 0), as IMAP numbers sections.
 *  - part_begin()/part_end() are called for leaf parts only; containers are
 *    seen through header(). Every entity (message, multipart, leaf, nested
 *    message) counts against max_parts; past it the rest of the message is
 *    ignored (DLP_ANOM_PARTS). An entity deeper than max_depth is not
 *    descended into (DLP_ANOM_DEPTH).
 *  - text/ * parts: text() gets UTF-8 (is_text = true); NUL bytes are
 *    dropped (DLP_ANOM_NUL) since readers do not see them; text/html is
 *    reduced to text; a uuencoded block inside a text/plain body is decoded
 *    and its bytes passed as they are. Every other type, image/ *, audio/ *
 *    and video/ * included (a "picture" may carry text), passes its
 *    transfer-decoded bytes as they are (is_text = false).
 *  - A message/rfc822 part sent base64 or quoted-printable (RFC 2046
 *    forbids it; flagged DLP_ANOM_BAD_HEADER) is decoded and parsed as a
 *    nested message, with the paths and depths above and what is left of
 *    the limits, at most MIME_NESTED_MAX such levels deep.
 *  - A second Content-Type or Content-Transfer-Encoding in one entity is
 *    ignored (the first one counts, as most readers do) and flagged
 *    DLP_ANOM_AMBIGUOUS_HEADER, which is unscannable.
 *  - After a multipart's closing delimiter, a delimiter line of the same
 *    multipart starts another part (DLP_ANOM_BAD_BOUNDARY): readers that
 *    show it must not see unscanned text.
 *  - Zero fields of struct mime_limits take the configuration defaults
 *    (depth 20, parts 1000, header block 256 KiB, line 64 KiB, decoded
 *    32 MiB). text() is called with len > 0, in chunks of up to 64 KiB.
 *  - A header line that cannot be a header (no colon in a field name) ends
 *    the header block and is body (DLP_ANOM_BAD_HEADER).
 *  - Zip, OOXML (.docx .xlsx .pptx) and OpenDocument attachments are
 *    expanded when the part ends (dlp/mime_archive.h): the archive part
 *    itself gets no text; each member is reported as a leaf part with path
 *    "<archive path>/<n>", depth + 1, the member name as filename and its
 *    text (XML reduced to text). Something named or typed as a zip that is
 *    not one is scanned as it is.
 */
#ifndef SMTPDLP_MIME_H
#define SMTPDLP_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MIME_PATH_MAX 64

struct mime_limits {
	unsigned max_depth;         /* nesting of multipart and message/rfc822 */
	unsigned max_parts;         /* leaf + container parts */
	unsigned max_header_bytes;  /* one header block */
	unsigned max_line_length;   /* longest raw line buffered */
	uint64_t max_decoded_bytes; /* text() bytes per message (scan_limit) */
};

/* What is known about a part when its body starts. Strings are NUL
 * terminated, UTF-8, valid until part_end() returns. */
struct mime_part_info {
	char path[MIME_PATH_MAX]; /* "1", "2.1", ... ("1" for a single-part message) */
	unsigned depth;           /* 0 for the top-level message */
	const char *content_type; /* lower-cased "type/subtype", "text/plain" default */
	const char *charset;      /* lower-cased, or NULL */
	const char *filename;     /* decoded (RFC 2231 / 2047), or NULL */
	bool attachment;          /* Content-Disposition: attachment, or a filename */
	bool is_text;             /* text() carries converted text (text/ *, HTML) */
};

struct mime_sink {
	/* A header of the part at `path` (depth 0 = the message itself).
	 * name as written; value unfolded, decoded, UTF-8, not NUL-terminated. */
	void (*header)(void *ctx, const char *path, unsigned depth,
		       const char *name, const char *value, size_t value_len);
	void (*part_begin)(void *ctx, const struct mime_part_info *part);
	void (*text)(void *ctx, const uint8_t *data, size_t len);
	void (*part_end)(void *ctx, const struct mime_part_info *part);
};

struct mime_parser;

/* The sink and ctx are borrowed for the parser's lifetime. NULL + errno. */
struct mime_parser *mime_parser_create(const struct mime_limits *limits,
				       const struct mime_sink *sink, void *ctx);

/* Start a new message on the same parser (buffers are kept). */
void mime_parser_reset(struct mime_parser *p);

/* Push bytes. 0, or -ENOMEM. Malformed input is never an error here. */
int mime_parser_feed(struct mime_parser *p, const void *data, size_t len);

/* End of message: flushes partial units (base64 quads, QP soft breaks, an
 * unterminated line) and closes open parts. 0 or -ENOMEM. */
int mime_parser_finish(struct mime_parser *p);

/* enum dlp_anomaly bits seen so far. */
uint32_t mime_parser_anomalies(const struct mime_parser *p);

/* Decoded bytes handed to text() so far. */
uint64_t mime_parser_decoded_bytes(const struct mime_parser *p);

void mime_parser_destroy(struct mime_parser *p); /* NULL is a no-op */

#endif /* SMTPDLP_MIME_H */
