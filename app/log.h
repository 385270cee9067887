/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.h — the daemon's logging: one line per event to stderr and syslog.
 *
 * Lines are "key=value" pairs after a short event word, so a person reads
 * them and a log shipper parses them:
 *   smtpdlp[123]: msg qid=7f3a1c from=<a@corp.example> rcpts=2 size=10342
 *                 action=add-header policy="Customer email Hold" up=250 ms=12
 * Values with spaces or quotes are quoted and escaped by log_kv_str().
 * Secrets (keys, tokens, message content) are never passed to these calls.
 *
 * Thread-safety: each call formats into a local buffer and writes it with
 * one write(2) / syslog(3) call, so lines from lcores do not interleave.
 */
#ifndef SMTPDLP_APP_LOG_H
#define SMTPDLP_APP_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/* Open syslog (when use_syslog) under `ident`; messages at or below `level`
 * are written. Call once at start-up, before lcores run. */
void log_open(const char *ident, enum log_level level, bool use_syslog);
void log_close(void);

/* printf-style line. A trailing newline is added. */
void log_msg(enum log_level lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Append ` key=value` to buf (NUL-terminated, at most cap bytes in all),
 * quoting the value when it holds spaces, quotes, '=', backslashes, control
 * or non-ASCII bytes; quotes and backslashes are escaped with a backslash and
 * control bytes as \xNN (UTF-8 passes through). `len` bytes of value
 * (value need not be NUL-terminated). Returns the new length of buf.
 */
size_t log_kv_str(char *buf, size_t cap, size_t used, const char *key, const char *value,
		  size_t len);

#endif /* SMTPDLP_APP_LOG_H */
