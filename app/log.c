/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * log.c — line-oriented logging to stderr and syslog (see log.h).
 */
#include "app/log.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_max = LOG_LVL_INFO;
static bool log_syslog;
static const char *log_ident = "smtpdlp";

void log_open(const char *ident, enum log_level level, bool use_syslog)
{
	log_ident = ident != NULL ? ident : "smtpdlp";
	log_max = level;
	log_syslog = use_syslog;
	if (use_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void log_close(void)
{
	if (log_syslog)
		closelog();
	log_syslog = false;
}

static int syslog_prio(enum log_level lvl)
{
	switch (lvl) {
	case LOG_LVL_ERR:
		return LOG_ERR;
	case LOG_LVL_WARN:
		return LOG_WARNING;
	case LOG_LVL_INFO:
		return LOG_INFO;
	default:
		return LOG_DEBUG;
	}
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	char line[4096];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (lvl > log_max)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%d]: %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, log_ident, (int)getpid(), names[lvl]);
	if (n < 0 || (size_t)n >= sizeof(line))
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) > sizeof(line) - 2)
		m = (int)(sizeof(line) - 2 - (size_t)n);
	if (log_syslog)
		syslog(syslog_prio(lvl), "%s", line + n);
	line[n + m] = '\n';
	if (write(STDERR_FILENO, line, (size_t)(n + m + 1)) < 0)
		return; /* nowhere left to report it */
}

static bool needs_quote(const unsigned char *v, size_t len)
{
	if (len == 0)
		return true;
	for (size_t i = 0; i < len; i++)
		if (v[i] <= ' ' || v[i] == '"' || v[i] == '=' || v[i] == '\\' || v[i] >= 0x7f)
			return true;
	return false;
}

size_t log_kv_str(char *buf, size_t cap, size_t used, const char *key, const char *value,
		  size_t len)
{
	const unsigned char *v = (const unsigned char *)(value != NULL ? value : "");
	bool quote;
	int n;

	if (cap == 0 || used >= cap - 1)
		return used;
	if (value == NULL)
		len = 0;
	quote = needs_quote(v, len);
	n = snprintf(buf + used, cap - used, " %s=%s", key, quote ? "\"" : "");
	if (n < 0 || (size_t)n >= cap - used)
		return cap - 1;
	used += (size_t)n;
	for (size_t i = 0; i < len && used < cap - 6; i++) {
		unsigned char c = v[i];
		if (c == '"' || c == '\\') {
			buf[used++] = '\\';
			buf[used++] = (char)c;
		} else if (c < ' ' || c == 0x7f) {
			used += (size_t)snprintf(buf + used, cap - used, "\\x%02x", c);
		} else {
			buf[used++] = (char)c; /* UTF-8 passes through as bytes */
		}
	}
	if (quote && used < cap - 1)
		buf[used++] = '"';
	buf[used] = '\0';
	return used;
}
