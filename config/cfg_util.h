/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg_util.h — small helpers shared by the config loader and the CSV parser:
 * bounded whole-file reads, UTF-8 validation and an error formatter. Internal
 * to config/ (not installed, not used by other layers).
 */
#ifndef SMTPDLP_CFG_UTIL_H
#define SMTPDLP_CFG_UTIL_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Read the regular file at `path` into a new NUL-terminated buffer (*data,
 * freed by the caller); *len excludes the NUL. Files larger than `max` bytes
 * are refused with -EFBIG, anything that is not a regular file with -EINVAL.
 * Returns 0 or a negative errno.
 */
int cfg_read_file(const char *path, size_t max, char **data, size_t *len);

/* True when [s, s+len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool cfg_utf8_valid(const char *s, size_t len);

/* snprintf into err (when errlen > 0), never failing; returns -EINVAL. */
int cfg_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif /* SMTPDLP_CFG_UTIL_H */
