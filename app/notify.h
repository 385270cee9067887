/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * notify.h — the policy-violation notice to the sender (policy
 * notify_sender = true): a complete RFC 5322 message built from the
 * configured templates (config: notify.from, notify.subject,
 * notify.template_file; struct cfg_notify), which the daemon relays
 * through the upstream MTA — what the seed needed Tines for.
 *
 * The message: Date (UTC), Message-ID, From, To (the envelope sender),
 * Subject (RFC 2047 UTF-8 encoded-words when not plain ASCII or too long),
 * MIME-Version, Content-Type text/plain; charset=UTF-8,
 * Content-Transfer-Encoding quoted-printable (safe over 7-bit hops and
 * line limits), Auto-Submitted: auto-generated (RFC 3834) and
 * X-Auto-Response-Suppress: All. Lines end in CRLF.
 *
 * Placeholders in both templates: {policy} {subject} {recipients} {time}
 * {sender} {queue_id} {action} {hostname}. An unknown {word} is kept as is.
 * Values come from the message (attacker-controlled): in headers, CR, LF
 * and other control bytes become spaces, so no header can be injected;
 * everywhere, bytes that are not valid UTF-8 become U+FFFD.
 *
 * Relaying it (the daemon's job): envelope MAIL FROM:<> (null reverse path,
 * so a bounce of the notice cannot loop) and RCPT TO:<sender>; the notice
 * must not itself be scanned into another notice — add the appliance's
 * inspected header or skip DLP for self-generated mail.
 * Never send a notice when the sender is the null path ("" / "<>"):
 * notify_build() refuses it.
 *
 * Pure functions (plus getrandom for the Message-ID); thread-safe.
 */
#ifndef SMTPDLP_NOTIFY_H
#define SMTPDLP_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cfg;
struct incident;

#define NOTIFY_DEFAULT_SUBJECT "Policy violation: {policy}"
#define NOTIFY_MAX_TEMPLATE (64 * 1024)

struct notify_params {
	const char *from;	  /* From: address; NULL = "postmaster@<hostname>" */
	const char *subject_tmpl; /* NULL = NOTIFY_DEFAULT_SUBJECT */
	const char *body_tmpl;	  /* NULL = the built-in text (notify.c) */
	const char *hostname;	  /* appliance.hostname, for Message-ID and {hostname} */
};

struct notify_event {
	const char *sender; /* envelope sender: the notice's recipient */
	const char *policy;
	const char *subject; /* decoded subject of the flagged message, or NULL */
	const char *const *rcpts;
	size_t n_rcpts;
	int64_t time; /* epoch seconds of the flagged message */
	const char *queue_id;
	const char *action; /* "block", "add-header", ... */
};

/*
 * Build the notice. On success *out is a malloc'd message (the caller frees
 * it; NUL-terminated for convenience) of *len bytes.
 * Returns 0, -EINVAL (no/NULL sender, or a sender or From address with
 * bytes not allowed in an address: controls, spaces, <>, quotes), -ENOMEM.
 */
int notify_build(const struct notify_params *p, const struct notify_event *ev, char **out,
		 size_t *len);

/* The same for an incident (uses its from_user, policy, subject, rcpts,
 * timestamp, queue_id and action). */
int notify_build_for_incident(const struct notify_params *p, const struct incident *inc, char **out,
			      size_t *len);

/* Whether a notice may go to this envelope sender: only to internal
 * senders (dlp_addr_internal() with dlp.internal_domains). Outbound mail
 * comes from the company's own users; a notice to any other sender — a
 * forged or external envelope — would be backscatter carrying a subject
 * that sender chose. */
bool notify_sender_allowed(const struct cfg *cfg, const char *mail_from);

/* Read a template file (UTF-8 text, at most NOTIFY_MAX_TEMPLATE bytes) for
 * the config loader. NULL with a reason in err. */
char *notify_load_template(const char *path, char *err, size_t errlen);

#endif /* SMTPDLP_NOTIFY_H */
