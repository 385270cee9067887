/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtp_server.h — the sans-IO SMTP server state machine (the side facing the
 * sending mail service).
 *
 * Bytes in (plaintext, after any TLS layer), reply bytes out into an iobuf
 * the owner drains, decisions up through a small ops table. No sockets,
 * clocks or threads: time is passed in, and smtp_server_next_timeout() says
 * when the owner must call smtp_server_timer().
 *
 * What the server decides itself: command syntax and sequence, the command
 * table (VRFY/EXPN refused, header-looking and HTTP "commands" refused
 * outright, unknown commands counted), RFC limits (512-byte command lines,
 * text lines of cfg.smtp.max_line_length, max recipients, SIZE, message size
 * during DATA/BDAT), STARTTLS injection (pipelined bytes after STARTTLS are
 * discarded), require_tls, DATA framing: end of data is only CRLF "." CRLF,
 * bare LF / bare CR are rejected (521, close) or normalised to CRLF per
 * cfg.smtp.bare_lf and never count as line ends for the terminator,
 * dot-unstuffing. BDAT chunks are passed through raw.
 *
 * What it asks the owner (struct smtp_server_ops): EHLO (may wait for the
 * upstream's capabilities), MAIL and RCPT (normally forwarded upstream, the
 * reply arriving later), the message bytes, end of data (the final reply
 * arrives later), RSET, STARTTLS and QUIT.
 *
 * Pipelining (RFC 2920): the server keeps parsing while every reply owed is
 * a deferred MAIL/RCPT reply; any other command waits ("held") until those
 * replies came back through smtp_server_complete(). A held command stays in
 * the server (one line at most); smtp_server_feed() returns how many bytes
 * it took and the owner keeps the rest, then calls smtp_server_resume() and
 * feeds the rest when the hold may have cleared. Replies therefore always
 * leave in command order.
 *
 * Re-entrancy: ops callbacks must not call back into this server; deferred
 * replies are delivered with smtp_server_complete() after feed() returned.
 */
#ifndef SMTPDLP_APP_SMTP_SERVER_H
#define SMTPDLP_APP_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/msgbuf.h"
#include "app/smtp_reply.h"

struct cfg;

#define SMTP_CMD_LINE_MAX      512u  /* RFC 5321 4.5.3.1.4, incl. CRLF */
#define SMTP_PATH_MAX          256u  /* RFC 5321 4.5.3.1.3 */
#define SMTP_HARD_ERROR_LIMIT  20u   /* errors before 421 + close (Postfix default) */
#define SMTP_JUNK_LIMIT        100u  /* NOOP/RSET/VRFY/EXPN/HELP before each counts as an error */
#define SMTP_PIPELINE_MAX      64u   /* deferred replies in flight */
#define SMTP_SERVER_OUT_MAX    (64u * 1024u) /* replies not yet taken */

enum smtp_cmd {
	SMTP_CMD_NONE = 0,
	SMTP_CMD_HELO, SMTP_CMD_EHLO, SMTP_CMD_MAIL, SMTP_CMD_RCPT,
	SMTP_CMD_DATA, SMTP_CMD_BDAT, SMTP_CMD_RSET, SMTP_CMD_NOOP,
	SMTP_CMD_QUIT, SMTP_CMD_HELP, SMTP_CMD_VRFY, SMTP_CMD_EXPN,
	SMTP_CMD_STARTTLS, SMTP_CMD_EOD, /* end of data: DATA's "." or BDAT LAST */
};

/* What an ops callback decided. */
enum smtp_act {
	SMTP_ACT_OK = 0, /* go on (server replies itself where it has to) */
	SMTP_ACT_DEFER,  /* reply comes later through smtp_server_complete() */
	SMTP_ACT_HOLD,   /* not now: keep the command, stop parsing; resume later */
	SMTP_ACT_REPLY,  /* answer with the reply filled in *rsp */
};

/* A reply decided by the owner (local, short). */
struct smtp_rsp {
	uint16_t code;
	const char *enh;  /* "4.3.0" or NULL */
	const char *text; /* NUL-terminated, static or owned by the caller */
};

/* MAIL / RCPT as parsed; pointers into the server's line, valid during the
 * callback only. `params` is the parameter string as sent (validated),
 * minus nothing: the owner decides what to pass upstream. */
struct smtp_path_cmd {
	const char *addr;  /* without the angle brackets; "" for <> */
	size_t addr_len;
	const char *params; /* e.g. "SIZE=1234 BODY=8BITMIME"; may be empty */
	size_t params_len;
	uint64_t size;     /* MAIL SIZE=, 0 if absent */
	bool body_8bit;    /* BODY=8BITMIME */
	bool smtputf8;     /* SMTPUTF8 */
	bool has_dsn;      /* any of RET ENVID NOTIFY ORCPT */
};

struct smtp_server_ops {
	/* HELO/EHLO accepted syntactically. Return OK to answer now, HOLD to wait
	 * (e.g. for the upstream's DSN capability), REPLY to refuse. The
	 * transaction, if any, was already reset through rset(). */
	enum smtp_act (*helo)(void *ctx, bool ehlo, const char *name, size_t len,
			      struct smtp_rsp *rsp);
	/* MAIL / RCPT passed every local check. DEFER (forwarded), HOLD or REPLY. */
	enum smtp_act (*mail)(void *ctx, const struct smtp_path_cmd *m, struct smtp_rsp *rsp);
	enum smtp_act (*rcpt)(void *ctx, const struct smtp_path_cmd *r, struct smtp_rsp *rsp);
	/* DATA (bdat false) or the first BDAT of a message: OK to start
	 * receiving (DATA is answered 354), HOLD, or REPLY to refuse. */
	enum smtp_act (*data_begin)(void *ctx, bool bdat, struct smtp_rsp *rsp);
	/* Message bytes, dot-unstuffed (DATA) or raw (BDAT), in order. 0 or
	 * -errno; after an error no more bytes come and end of data reports it. */
	int (*data)(void *ctx, const uint8_t *p, size_t n);
	/* End of message. `status` is 0, or why the message is already refused:
	 * -EFBIG (over max size: the server answers 552 itself),
	 * -EMSGSIZE (a text line too long: 550 from the server), -EBADMSG
	 * (bare CR/LF in BDAT content, bare_lf = reject: 550), or the error a
	 * data() call returned. For 0 return DEFER (final reply later) or REPLY;
	 * for errors the return is ignored except REPLY overrides the reply. */
	enum smtp_act (*data_end)(void *ctx, int status, struct smtp_rsp *rsp);
	/* The transaction was aborted (RSET, HELO/EHLO, STARTTLS, errors, close).
	 * No deferred reply is outstanding when this is called. */
	void (*rset)(void *ctx);
	/* STARTTLS accepted: "220" is in the output; the owner must send it,
	 * then run the TLS handshake on the following bytes and call
	 * smtp_server_tls_started() when it completes. Everything the client
	 * sent after the command line was discarded. */
	void (*starttls)(void *ctx);
	/* The session is over (QUIT answered, too many errors, timeout, fatal
	 * protocol error): flush the output, then close. */
	void (*close)(void *ctx);
};

struct smtp_server_params {
	const struct cfg *cfg;  /* borrowed; must outlive the server */
	const struct smtp_server_ops *ops;
	void *ctx;
	struct iobuf *out;      /* borrowed: replies are appended here */
	bool starttls_offered;  /* a TLS server config exists for this listener */
	bool tls_active;        /* implicit TLS listener: already in TLS */
};

struct smtp_server;

/* Create. NULL + errno (EINVAL, ENOMEM). */
struct smtp_server *smtp_server_create(const struct smtp_server_params *p);
void smtp_server_destroy(struct smtp_server *s); /* NULL is a no-op */

/* Write the 220 greeting and start the command timer. */
void smtp_server_greet(struct smtp_server *s, uint64_t now_ms);

/*
 * Feed plaintext from the client. Returns the number of bytes consumed; fewer
 * than len when a command is held, STARTTLS was accepted (then the rest is
 * counted as consumed and discarded), or the session is closing (rest
 * discarded and counted as consumed).
 */
size_t smtp_server_feed(struct smtp_server *s, const uint8_t *data, size_t len,
			uint64_t now_ms);

/* Retry a held command. Returns true if nothing is held any more. */
bool smtp_server_resume(struct smtp_server *s, uint64_t now_ms);
bool smtp_server_held(const struct smtp_server *s);

/* Deliver the reply for the oldest deferred command (MAIL, RCPT, or end of
 * data). The reply is re-emitted to the client as given (code, enhanced
 * code, text). Returns 0 or -EINVAL when nothing is deferred. */
int smtp_server_complete(struct smtp_server *s, const struct smtp_reply *r,
			 uint64_t now_ms);
/* Same, from a local reply. */
int smtp_server_complete_rsp(struct smtp_server *s, const struct smtp_rsp *r,
			     uint64_t now_ms);
/* Kind of the oldest deferred reply (SMTP_CMD_MAIL/RCPT/EOD/...), or
 * SMTP_CMD_NONE. */
enum smtp_cmd smtp_server_deferred_head(const struct smtp_server *s);
unsigned smtp_server_deferred_count(const struct smtp_server *s);

/* TLS handshake finished after STARTTLS (or implicit TLS): the session goes
 * back to "before EHLO" (RFC 3207 4.2). */
void smtp_server_tls_started(struct smtp_server *s, uint64_t now_ms);

/* Announce DSN (RFC 3461) in EHLO and accept its parameters. */
void smtp_server_set_dsn(struct smtp_server *s, bool dsn);

/* What the next hop offers, announced in EHLO as the same: DSN, 8BITMIME
 * (RFC 6152: a relay must not take 8-bit mail it cannot pass on) and
 * SMTPUTF8. Until it is called (upstream not reached yet) 8BITMIME and
 * SMTPUTF8 are announced and DSN is not. */
void smtp_server_set_next_hop(struct smtp_server *s, bool dsn, bool eightbitmime, bool smtputf8);

/* Send "421 4.x.x <host> <text>" and close (shutdown, fatal upstream state). */
void smtp_server_shutdown(struct smtp_server *s, const char *enh, const char *text);

/* Absolute time (ms) of the next timeout, or UINT64_MAX. */
uint64_t smtp_server_next_timeout(const struct smtp_server *s);
/* Run timers: on expiry answers 421 and closes. */
void smtp_server_timer(struct smtp_server *s, uint64_t now_ms);

/* Heap bytes of the server object (fixed: it holds no buffers). */
size_t smtp_server_memory(const struct smtp_server *s);
bool smtp_server_closing(const struct smtp_server *s);
bool smtp_server_in_data(const struct smtp_server *s);
/* The HELO/EHLO name given ("" if none). NUL-terminated. */
const char *smtp_server_helo_name(const struct smtp_server *s);

struct smtp_server_stats {
	uint32_t errors;          /* 5xx protocol errors counted toward the limit */
	uint32_t unknown_cmds;    /* 500 / 502 answers */
	uint32_t refused_headers; /* header-looking / HTTP commands */
	uint32_t long_lines;      /* over-long command lines */
	uint32_t bare_lf;         /* bare LF / CR seen in DATA */
	uint32_t starttls_discarded; /* bytes thrown away after STARTTLS */
	uint32_t messages;        /* ends of data reached */
};
const struct smtp_server_stats *smtp_server_stats(const struct smtp_server *s);

#endif /* SMTPDLP_APP_SMTP_SERVER_H */
