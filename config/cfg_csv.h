/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_csv.h — the dictionary CSV parser behind dictionary entities.
 *
 * cfg_load() uses it for every `type = "dictionary"` entity; it is public so
 * that unit tests, the fuzz target and tools can parse a CSV file on its own.
 *
 * Format (one term per record):
 *   - `term` or `term,weight`; weight is an integer from -100 to 100,
 *     default 1.
 *   - RFC 4180 quoting with ASCII double quotes only: "Account Manager",
 *     "say ""hi""" (an embedded quote is doubled). Typographic quotes are
 *     ordinary text. A quoted field may not span lines (an unterminated quote
 *     is reported, it is almost always a typo).
 *   - Unquoted fields are trimmed of spaces and tabs; quoted fields are kept
 *     as written. A stray `"` inside an unquoted field is an error.
 *   - UTF-8 with an optional BOM; LF or CRLF line ends; blank lines and lines
 *     whose first non-blank character is `#` are skipped (quote a term that
 *     starts with `#`).
 *   - A first record reading `term` or `term,weight` (any case) is a header
 *     and is skipped.
 *   - Terms must be non-empty, valid UTF-8, free of control characters and at
 *     most CFG_CSV_MAX_TERM bytes.
 *   - Duplicates (compared ASCII case-insensitively unless case_sensitive)
 *     are merged: the first occurrence is kept with its line. A duplicate with
 *     a different weight is an error, since either weight could be meant.
 *
 * Errors are "name:line: term: what is wrong" or "name:line: weight: ...".
 */
#ifndef SMTPDLP_CFG_CSV_H
#define SMTPDLP_CFG_CSV_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"

#define CFG_CSV_MAX_TERM 1024

/*
 * Parse `len` bytes of CSV at `data` (no NUL needed; a NUL byte is an error).
 * `name` is used in messages only. On success *terms receives a new array of
 * *n_terms terms (the caller frees it with cfg_terms_free(); an input with no
 * terms yields NULL and 0).
 * Returns 0, -EINVAL with a message in err (always NUL-terminated), or
 * -ENOMEM.
 */
int cfg_csv_parse(const char *data, size_t len, const char *name, bool case_sensitive,
		  struct cfg_term **terms, size_t *n_terms, char *err, size_t errlen);

/* Free an array returned by cfg_csv_parse(); NULL is a no-op. */
void cfg_terms_free(struct cfg_term *terms, size_t n_terms);

#endif /* SMTPDLP_CFG_CSV_H */
