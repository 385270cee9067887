/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * inject.h — messages the appliance itself sends upstream: sender notices
 * (policy notify_sender) and quarantined messages released through the API.
 *
 * Such a message goes through an ordinary smtp_proxy session whose sender
 * side is not a TCP connection but this scripted client: it reads the
 * proxy's replies and writes EHLO, MAIL, RCPT..., DATA, the dot-stuffed
 * message and QUIT. The upstream side (TLS, pipelining, BDAT, the no-loss
 * final reply) is the proxy's, unchanged. The io lcore gives the session a
 * scan backend that does not scan, so an injected message never triggers a
 * policy again (no notice loops, no re-quarantine of a released message).
 *
 * Sans-IO, no DPDK: tested in memory against a real proxy session.
 */
#ifndef SMTPDLP_APP_INJECT_H
#define SMTPDLP_APP_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/smtp_scan.h"

enum inject_kind {
	INJECT_NOTICE = 0, /* a policy-violation notice to the sender */
	INJECT_RELEASE,    /* a quarantined message released through the API */
};

/* One message to send. Owned by whoever holds the pointer; moves between
 * threads (control -> io lcore -> control) by queue. */
struct inject_job {
	enum inject_kind kind;
	char *mail_from;   /* envelope sender, "" for <> */
	char **rcpts;      /* n_rcpts envelope recipients */
	size_t n_rcpts;
	uint8_t *data;     /* the message, not dot-stuffed; LF or CRLF lines */
	size_t len;
	char id[64];       /* quarantine id (release) or incident uid (notice) */
	/* Result, set when the session ends. */
	int code;          /* the final reply for the message, 0 if none came */
	char text[256];    /* that reply's text, or why it failed */
};

/* A job with copies of everything. NULL + errno. */
struct inject_job *inject_job_create(enum inject_kind kind, const char *mail_from,
				     const char *const *rcpts, size_t n_rcpts, const void *data,
				     size_t len, const char *id);
void inject_job_free(struct inject_job *j); /* NULL is a no-op */

struct inject;

/* A scripted sender for job j (borrowed until inject_destroy()).
 * NULL + errno (ENOMEM, EINVAL when there is no recipient). */
struct inject *inject_create(struct inject_job *j, const char *helo_name);
void inject_destroy(struct inject *in); /* NULL is a no-op */

/* Bytes from the proxy's sender side (its replies). Consumes all. */
void inject_input(struct inject *in, const uint8_t *data, size_t len);

/* Bytes to give to the proxy now (*buf valid until the next call), and how
 * many it took. */
size_t inject_pending(struct inject *in, const uint8_t **buf);
void inject_sent(struct inject *in, size_t n);

/* The conversation is over (QUIT answered, or failed); the job's code and
 * text are set. */
bool inject_finished(const struct inject *in);

/* The proxy went away before the end: record why. */
void inject_fail(struct inject *in, const char *why);

/* A scan backend that scans nothing and returns an empty verdict (no
 * policy): the message is relayed with only the inspected header. */
extern const struct smtp_scan_ops inject_scan_ops;

#endif /* SMTPDLP_APP_INJECT_H */
