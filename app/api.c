/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * api.c — the management REST API over libmicrohttpd: request bodies
 * (JSON or form), parameters, token check in constant time, alerts and
 * incident endpoints over an incident_reader, forensics and quarantine
 * downloads, stats and Prometheus metrics.
 */
#include "app/api.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <mbedtls/md.h>

#include "app/alert_query.h"
#include "app/api_json.h"
#include "app/forensics.h"
#include "app/incident.h"
#include "app/stats.h"
#include "dlp/utf8.h"

#define API_DIGEST 32
#define API_MAX_PARAMS 32

#define API_MAX_INDEXES 64
#define API_INDEX_NAME 64

/* A v2 iterator position ("index" parameter): the last incident id handed
 * out, and the one before it for operation=resend. In memory only: after a
 * restart an index starts again from the beginning. Touched by the MHD
 * thread only. */
struct api_cursor {
	char name[API_INDEX_NAME + 1];
	int64_t pos;
	int64_t prev;
};

struct api {
	struct api_cursor cursors[API_MAX_INDEXES];
	size_t n_cursors;
	struct MHD_Daemon *mhd;
	struct api_params p;
	struct incident_reader *reader; /* used on the MHD thread only */
	uint8_t key[32];
	uint8_t token_digest[API_DIGEST];
	char *tls_cert; /* PEM contents (MHD needs them in memory) */
	char *tls_key;
	uint16_t port;
};

struct api_param {
	char *key;
	char *val;
};

struct api_req {
	char *body;
	size_t body_len;
	bool too_large;
	struct api_param params[API_MAX_PARAMS];
	size_t n_params;
	bool bad_body;
	char body_err[128];
};

struct api_resp {
	unsigned status;
	char *body; /* malloc'd */
	size_t len;
	const char *ctype;
	int fd; /* >= 0: file response of fd_size bytes */
	uint64_t fd_size;
	char disposition[96];
};

/* ------------------------------------------------------------ helpers */

bool api_tls_supported(void)
{
	return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

static void api_digest(const struct api *a, const char *tok, size_t len, uint8_t out[API_DIGEST])
{
	const mbedtls_md_info_t *md = mbedtls_md_info_from_type(MBEDTLS_MD_SHA256);
	if (mbedtls_md_hmac(md, a->key, sizeof(a->key), (const unsigned char *)tok, len, out) != 0)
		memset(out, 0xff, API_DIGEST); /* cannot fail with valid arguments */
}

static bool api_digest_eq(const uint8_t *x, const uint8_t *y)
{
	volatile uint8_t d = 0;
	for (size_t i = 0; i < API_DIGEST; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

static char *api_read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "re");
	if (f == NULL) {
		snprintf(err, errlen, "api: %s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	char *buf = NULL;
	if (fstat(fileno(f), &st) == 0 && st.st_size < (1 << 20) &&
	    (buf = malloc((size_t)st.st_size + 1)) != NULL) {
		size_t n = fread(buf, 1, (size_t)st.st_size, f);
		buf[n] = '\0';
	} else {
		snprintf(err, errlen, "api: %s: unreadable or too large", path);
	}
	fclose(f);
	return buf;
}

static int api_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static char *api_strndup(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int api_add_param(struct api_req *r, char *key, char *val)
{
	if (key == NULL || val == NULL || r->n_params == API_MAX_PARAMS) {
		free(key);
		free(val);
		return -1;
	}
	/* Body parameters are added first and win over the query string. */
	for (size_t i = 0; i < r->n_params; i++)
		if (strcmp(r->params[i].key, key) == 0) {
			free(key);
			free(val);
			return 0;
		}
	r->params[r->n_params++] = (struct api_param){key, val};
	return 0;
}

static const char *api_param(const struct api_req *r, const char *key)
{
	for (size_t i = 0; i < r->n_params; i++)
		if (strcmp(r->params[i].key, key) == 0)
			return r->params[i].val;
	return NULL;
}

/* application/x-www-form-urlencoded: '+' is a space, %XX a byte. */
static char *api_form_decode(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	size_t k = 0;
	if (d == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '+') {
			d[k++] = ' ';
		} else if (s[i] == '%' && i + 2 < n && api_hexval((unsigned char)s[i + 1]) >= 0 &&
			   api_hexval((unsigned char)s[i + 2]) >= 0) {
			d[k++] = (char)(api_hexval((unsigned char)s[i + 1]) * 16 +
					api_hexval((unsigned char)s[i + 2]));
			i += 2;
		} else {
			d[k++] = s[i];
		}
	}
	d[k] = '\0';
	return d;
}

static void api_parse_form(struct api_req *r)
{
	const char *s = r->body, *end = r->body + r->body_len;
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		const char *e = amp ? amp : end;
		const char *eq = memchr(s, '=', (size_t)(e - s));
		if (eq && eq > s)
			api_add_param(r, api_form_decode(s, (size_t)(eq - s)),
				      api_form_decode(eq + 1, (size_t)(e - eq - 1)));
		s = e + 1;
	}
}

/* ---------------------------------------------------- tiny JSON reader */

struct api_jp {
	const char *s, *end;
	const char *err;
};

static void api_jp_ws(struct api_jp *j)
{
	while (j->s < j->end && (*j->s == ' ' || *j->s == '\t' || *j->s == '\n' || *j->s == '\r'))
		j->s++;
}

static int api_jp_hex4(struct api_jp *j, uint32_t *v)
{
	if (j->end - j->s < 4)
		return -1;
	*v = 0;
	for (int i = 0; i < 4; i++) {
		int h = api_hexval((unsigned char)j->s[i]);
		if (h < 0)
			return -1;
		*v = *v * 16 + (uint32_t)h;
	}
	j->s += 4;
	return 0;
}

/* A JSON string at j->s (on the opening quote); NULL + j->err on error. */
static char *api_jp_string(struct api_jp *j)
{
	j->s++;
	char *d = malloc((size_t)(j->end - j->s) + 1);
	size_t k = 0;
	if (d == NULL) {
		j->err = "out of memory";
		return NULL;
	}
	while (j->s < j->end && *j->s != '"') {
		unsigned char c = (unsigned char)*j->s++;
		if (c < 0x20) {
			j->err = "control character in string";
			goto bad;
		}
		if (c != '\\') {
			d[k++] = (char)c;
			continue;
		}
		if (j->s >= j->end)
			break;
		char e = *j->s++;
		uint32_t cp;
		switch (e) {
		case '"':
		case '\\':
		case '/':
			d[k++] = e;
			break;
		case 'b':
			d[k++] = '\b';
			break;
		case 'f':
			d[k++] = '\f';
			break;
		case 'n':
			d[k++] = '\n';
			break;
		case 'r':
			d[k++] = '\r';
			break;
		case 't':
			d[k++] = '\t';
			break;
		case 'u':
			if (api_jp_hex4(j, &cp) != 0) {
				j->err = "bad \\u escape";
				goto bad;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				uint32_t lo;
				if (j->end - j->s >= 6 && j->s[0] == '\\' && j->s[1] == 'u') {
					j->s += 2;
					if (api_jp_hex4(j, &lo) != 0 || lo < 0xdc00 ||
					    lo > 0xdfff) {
						j->err = "bad surrogate pair";
						goto bad;
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				} else {
					cp = 0xfffd;
				}
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
			if (cp == 0) {
				j->err = "NUL in string";
				goto bad;
			}
			k += utf8_put(cp, (uint8_t *)d + k);
			break;
		default:
			j->err = "bad escape in string";
			goto bad;
		}
	}
	if (j->s >= j->end) {
		j->err = "unterminated string";
		goto bad;
	}
	j->s++;
	d[k] = '\0';
	return d;
bad:
	free(d);
	return NULL;
}

/* A flat JSON object of scalars into params. */
static void api_parse_json(struct api_req *r)
{
	struct api_jp j = {r->body, r->body + r->body_len, NULL};
	api_jp_ws(&j);
	if (j.s >= j.end || *j.s != '{') {
		j.err = "body is not a JSON object";
		goto out;
	}
	j.s++;
	api_jp_ws(&j);
	if (j.s < j.end && *j.s == '}') {
		j.s++;
		goto tail;
	}
	for (;;) {
		api_jp_ws(&j);
		if (j.s >= j.end || *j.s != '"') {
			j.err = "expected a string key";
			goto out;
		}
		char *key = api_jp_string(&j);
		if (key == NULL)
			goto out;
		api_jp_ws(&j);
		if (j.s >= j.end || *j.s != ':') {
			free(key);
			j.err = "expected ':'";
			goto out;
		}
		j.s++;
		api_jp_ws(&j);
		char *val = NULL;
		if (j.s < j.end && *j.s == '"') {
			val = api_jp_string(&j);
		} else {
			const char *v0 = j.s;
			while (j.s < j.end && (isalnum((unsigned char)*j.s) || *j.s == '-' ||
					       *j.s == '+' || *j.s == '.'))
				j.s++;
			size_t n = (size_t)(j.s - v0);
			if (n == 0) {
				j.err = "values must be strings, numbers, true, false or null";
			} else if (n == 4 && memcmp(v0, "null", 4) == 0) {
				free(key);
				key = NULL;
			} else if ((n == 4 && memcmp(v0, "true", 4) == 0) ||
				   (n == 5 && memcmp(v0, "false", 5) == 0) ||
				   isdigit((unsigned char)v0[0]) || v0[0] == '-') {
				val = api_strndup(v0, n);
			} else {
				j.err = "bad value";
			}
		}
		if (j.err) {
			free(key);
			free(val);
			goto out;
		}
		if (key)
			api_add_param(r, key, val);
		api_jp_ws(&j);
		if (j.s < j.end && *j.s == ',') {
			j.s++;
			continue;
		}
		if (j.s < j.end && *j.s == '}') {
			j.s++;
			break;
		}
		j.err = "expected ',' or '}'";
		goto out;
	}
tail:
	api_jp_ws(&j);
	if (j.s != j.end)
		j.err = "trailing bytes after the JSON object";
out:
	if (j.err) {
		r->bad_body = true;
		snprintf(r->body_err, sizeof(r->body_err), "malformed JSON body: %s", j.err);
	}
}

static enum MHD_Result api_collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				       const char *value)
{
	struct api_req *r = cls;
	if (key)
		api_add_param(r, strdup(key), strdup(value ? value : ""));
	return MHD_YES;
}

/* --------------------------------------------------------- responses */

static void api_resp_json(struct api_resp *rs, unsigned status, struct api_buf *b)
{
	rs->status = status;
	rs->ctype = "application/json";
	rs->body = api_buf_steal(b, &rs->len);
	if (rs->body == NULL) {
		rs->status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		rs->body = strdup("{\"status\":\"error\",\"msg\":\"out of memory\"}");
		rs->len = rs->body ? strlen(rs->body) : 0;
	}
}

static void api_error(struct api_resp *rs, unsigned status, const char *msg)
{
	struct api_buf b = {0};
	api_buf_puts(&b, "{\"status\":\"error\",\"msg\":");
	api_json_cstr(&b, msg);
	api_buf_puts(&b, "}");
	api_resp_json(rs, status, &b);
}

static void api_errno(struct api_resp *rs, int rc, const char *what)
{
	char msg[160];
	switch (rc) {
	case -ENOENT:
		snprintf(msg, sizeof(msg), "%s not found", what);
		api_error(rs, MHD_HTTP_NOT_FOUND, msg);
		break;
	case -EINVAL:
		snprintf(msg, sizeof(msg), "malformed %s id", what);
		api_error(rs, MHD_HTTP_BAD_REQUEST, msg);
		break;
	case -EBUSY:
		snprintf(msg, sizeof(msg), "%s is being released", what);
		api_error(rs, MHD_HTTP_CONFLICT, msg);
		break;
	default:
		snprintf(msg, sizeof(msg), "%s: %s", what, strerror(-rc));
		api_error(rs, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
		break;
	}
}

static void api_success_open(struct api_buf *b)
{
	api_buf_puts(b, "{\"status\":\"success\",\"msg\":\"\",\"data\":");
}

/* ------------------------------------------------------ alert records */

static void api_kv_str(struct api_buf *b, const char *k, const char *v)
{
	api_buf_puts(b, ",");
	api_json_key(b, k);
	api_json_cstr(b, v);
}

static void api_kv_u64(struct api_buf *b, const char *k, uint64_t v)
{
	api_buf_printf(b, ",\"%s\":%" PRIu64, k, v);
}

static void api_alert_json(struct api_buf *b, const struct incident *inc, bool detail)
{
	api_buf_puts(b, "{");
	api_json_key(b, "_id");
	api_json_cstr(b, inc->uid);
	api_kv_u64(b, "timestamp", (uint64_t)inc->timestamp);
	api_kv_str(b, "type", "policy");
	api_kv_str(b, "alert_type", "DLP");
	api_kv_str(b, "alert", "yes");
	api_kv_str(b, "app", "SMTP");
	api_kv_str(b, "access_method", "SMTP Proxy");
	api_kv_str(b, "activity", "Send");
	api_kv_str(b, "policy", inc->policy);
	api_kv_str(b, "action", inc->action);
	api_kv_str(b, "from_user", inc->from_user);
	api_kv_str(b, "user", inc->from_user);
	api_kv_str(b, "to_user", inc->n_rcpts ? inc->rcpts[0] : NULL);
	api_buf_puts(b, ",\"smtp_to\":[");
	for (size_t i = 0; i < inc->n_rcpts; i++) {
		if (i)
			api_buf_puts(b, ",");
		api_json_cstr(b, inc->rcpts[i]);
	}
	api_buf_puts(b, "]");
	api_kv_str(b, "dlp_profile", inc->profile);
	api_kv_str(b, "dlp_rule", inc->rule);
	api_kv_str(b, "dlp_rule_severity", inc->severity);
	api_kv_u64(b, "dlp_rule_count", inc->rule_count);
	api_kv_u64(b, "dlp_unique_count", inc->unique_count);
	api_buf_printf(b, ",\"dlp_is_unique_count\":%s", inc->is_unique_count ? "true" : "false");
	api_buf_printf(b, ",\"dlp_incident_id\":%" PRId64, inc->id);
	api_kv_str(b, "object", inc->subject);
	api_kv_str(b, "object_type", "Email");
	api_kv_str(b, "md5", inc->md5[0] ? inc->md5 : NULL);
	api_kv_u64(b, "file_size", inc->size);
	api_buf_printf(b, ",\"acked\":%s", inc->acked ? "true" : "false");
	api_kv_str(b, "queue_id", inc->queue_id);
	api_kv_str(b, "upstream_reply", inc->upstream_reply);
	api_buf_printf(b, ",\"forensics\":%s", inc->forensics ? "true" : "false");
	api_kv_str(b, "quarantine_id", inc->quarantine_id);
	api_buf_printf(b, ",\"notify_sender\":%s", inc->notify_sender ? "true" : "false");
	if (detail) {
		api_kv_u64(b, "received_ms", inc->received_ms);
		api_kv_str(b, "client_addr", inc->client_addr);
		api_buf_puts(b, ",\"details\":");
		/* Written by incident_create() with api_json: valid JSON. */
		api_buf_puts(b, inc->details ? inc->details : "null");
	}
	api_buf_puts(b, "}");
}

struct api_walk {
	struct api_buf *b;
	size_t n;
	int64_t last_id; /* of the last incident written */
	int64_t last_ts;
};

static int api_walk_cb(void *arg, const struct incident *inc)
{
	struct api_walk *w = arg;
	if (w->n++)
		api_buf_puts(w->b, ",");
	api_alert_json(w->b, inc, false);
	w->last_id = inc->id;
	w->last_ts = inc->timestamp;
	return w->b->oom ? -ENOMEM : 0;
}

/* ---------------------------------------------------------- alerts */

static const char *const api_alert_types[] = {
	"anomaly", "Compromised Credential", "policy",	  "Legal Hold", "malsite",     "Malware",
	"DLP",	   "Security Assessment",    "watchlist", "quarantine", "Remediation", "uba",
	"ctep",
};

static int api_int_param(const struct api_req *r, const char *key, int64_t min, int64_t max,
			 int64_t *out, struct api_resp *rs)
{
	const char *v = api_param(r, key);
	if (v == NULL)
		return 0;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno || x < min || x > max) {
		char msg[128];
		snprintf(msg, sizeof(msg), "%s must be an integer in %" PRId64 "..%" PRId64, key,
			 min, max);
		api_error(rs, MHD_HTTP_BAD_REQUEST, msg);
		return -1;
	}
	*out = x;
	return 1;
}

/* Build the filter from the parameters; on error the response is set.
 * *none is set when the type selects no incident at all. */
static int api_alert_filter(struct api *a, const struct api_req *r, struct incident_filter *f,
			    struct alert_query *q, bool *none, struct api_resp *rs)
{
	memset(f, 0, sizeof(*f));
	f->acked = -1;
	*none = false;
	const char *type = api_param(r, "type");
	if (type) {
		size_t i, n = sizeof(api_alert_types) / sizeof(api_alert_types[0]);
		for (i = 0; i < n; i++)
			if (strcasecmp(type, api_alert_types[i]) == 0)
				break;
		if (i == n) {
			api_error(rs, MHD_HTTP_BAD_REQUEST, "unknown alert type");
			return -1;
		}
		if (strcasecmp(type, "quarantine") == 0)
			f->action = "quarantine";
		else if (strcasecmp(type, "policy") != 0 && strcasecmp(type, "DLP") != 0)
			*none = true;
	}
	int64_t tp = 0, st = 0, et = 0, limit = API_DEFAULT_LIMIT, skip = 0;
	int has_tp = api_int_param(r, "timeperiod", 1, INT64_MAX, &tp, rs);
	if (has_tp < 0)
		return -1;
	if (has_tp && tp != 3600 && tp != 86400 && tp != 604800 && tp != 2592000) {
		api_error(rs, MHD_HTTP_BAD_REQUEST,
			  "timeperiod must be 3600, 86400, 604800 or 2592000");
		return -1;
	}
	int has_st = api_int_param(r, "starttime", 0, INT64_MAX / 2, &st, rs);
	if (has_st < 0)
		return -1;
	int has_et = api_int_param(r, "endtime", 0, INT64_MAX / 2, &et, rs);
	if (has_et < 0)
		return -1;
	if (has_tp && (has_st || has_et)) {
		api_error(rs, MHD_HTTP_BAD_REQUEST,
			  "use timeperiod or starttime/endtime, not both");
		return -1;
	}
	if (has_st && has_et && st > et) {
		api_error(rs, MHD_HTTP_BAD_REQUEST, "starttime is after endtime");
		return -1;
	}
	if (api_int_param(r, "limit", 0, INT64_MAX, &limit, rs) < 0 ||
	    api_int_param(r, "skip", 0, INT64_MAX / 2, &skip, rs) < 0)
		return -1;
	if (limit == 0)
		limit = API_DEFAULT_LIMIT;
	if ((size_t)limit > a->p.max_limit)
		limit = (int64_t)a->p.max_limit;
	const char *acked = api_param(r, "acked");
	if (acked) {
		if (strcasecmp(acked, "true") == 0)
			f->acked = 1;
		else if (strcasecmp(acked, "false") == 0)
			f->acked = 0;
		else {
			api_error(rs, MHD_HTTP_BAD_REQUEST, "acked must be true or false");
			return -1;
		}
	}
	if (has_tp) {
		f->start = (int64_t)time(NULL) - tp;
	} else {
		f->start = has_st ? (st ? st : 1) : 0;
		f->end = has_et ? et + 1 : 0; /* inclusive */
	}
	f->limit = (size_t)limit;
	f->skip = (size_t)skip;
	const char *qt = api_param(r, "query");
	char reason[200];
	if (alert_query_compile(qt ? qt : "", qt ? strlen(qt) : 0, q, reason, sizeof(reason)) !=
	    AQ_OK) {
		char msg[256];
		snprintf(msg, sizeof(msg), "invalid query: %s", reason);
		api_error(rs, MHD_HTTP_BAD_REQUEST, msg);
		return -1;
	}
	f->query = q;
	return 0;
}

static int api_last_id_cb(void *arg, const struct incident *inc)
{
	*(int64_t *)arg = inc->id;
	return 0;
}

static struct api_cursor *api_cursor(struct api *a, const char *name, struct api_resp *rs)
{
	size_t n = strlen(name);
	bool ok = n > 0 && n <= API_INDEX_NAME;
	for (size_t i = 0; ok && i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-' &&
		    name[i] != '.')
			ok = false;
	if (!ok) {
		api_error(rs, MHD_HTTP_BAD_REQUEST,
			  "index must be 1-64 characters of letters, digits, '_', '-' or '.'");
		return NULL;
	}
	for (size_t i = 0; i < a->n_cursors; i++)
		if (strcmp(a->cursors[i].name, name) == 0)
			return &a->cursors[i];
	if (a->n_cursors == API_MAX_INDEXES) {
		api_error(rs, MHD_HTTP_BAD_REQUEST, "too many iterator indexes");
		return NULL;
	}
	struct api_cursor *c = &a->cursors[a->n_cursors++];
	memset(c, 0, sizeof(*c));
	memcpy(c->name, name, n + 1);
	return c;
}

/* v2 iterator: operation = next (default) | head | tail | resend | <epoch>.
 * Returns the incidents after the index's position in id order and moves
 * the position to the last one returned. */
static void api_alerts_iter(struct api *a, const struct api_req *r, struct incident_filter *f,
			    bool none, struct api_resp *rs)
{
	struct api_cursor *c = api_cursor(a, api_param(r, "index"), rs);
	if (c == NULL)
		return;
	const char *op = api_param(r, "operation");
	if (op == NULL || strcmp(op, "next") == 0) {
		/* from the current position */
	} else if (strcmp(op, "head") == 0) {
		c->pos = 0;
	} else if (strcmp(op, "resend") == 0) {
		c->pos = c->prev;
	} else if (strcmp(op, "tail") == 0 || isdigit((unsigned char)op[0])) {
		struct incident_filter last = {.acked = -1, .limit = 1};
		if (op[0] != 't') {
			char *end;
			errno = 0;
			long long epoch = strtoll(op, &end, 10);
			if (*end != '\0' || errno || epoch <= 0) {
				api_error(rs, MHD_HTTP_BAD_REQUEST,
					  "operation must be next, head, tail, resend or an epoch "
					  "time");
				return;
			}
			last.end = epoch; /* the newest incident before it */
		}
		int64_t id = 0;
		if (incident_reader_query(a->reader, &last, api_last_id_cb, &id) < 0) {
			api_error(rs, MHD_HTTP_INTERNAL_SERVER_ERROR, "incident store unavailable");
			return;
		}
		c->pos = id;
		c->prev = id;
		if (op[0] == 't') {
			struct api_buf b = {0};
			api_buf_printf(&b,
				       "{\"ok\":1,\"result\":[],\"wait_time\":5,"
				       "\"timestamp_hwm\":%lld}",
				       (long long)time(NULL));
			api_resp_json(rs, MHD_HTTP_OK, &b);
			return;
		}
	} else {
		api_error(rs, MHD_HTTP_BAD_REQUEST,
			  "operation must be next, head, tail, resend or an epoch time");
		return;
	}
	f->after_id = c->pos;
	f->oldest_first = true;
	f->skip = 0;
	struct api_buf b = {0};
	api_buf_puts(&b, "{\"ok\":1,\"result\":[");
	struct api_walk w = {.b = &b};
	int64_t n = 0;
	if (!none)
		n = incident_reader_query(a->reader, f, api_walk_cb, &w);
	if (n < 0) {
		api_buf_free(&b);
		api_error(rs, MHD_HTTP_INTERNAL_SERVER_ERROR, "incident store unavailable");
		return;
	}
	c->prev = c->pos;
	if (w.n > 0)
		c->pos = w.last_id;
	api_buf_printf(&b, "],\"wait_time\":%d,\"timestamp_hwm\":%lld}", w.n ? 0 : 5,
		       (long long)(w.n ? w.last_ts : time(NULL)));
	api_resp_json(rs, MHD_HTTP_OK, &b);
}

static void api_alerts(struct api *a, const struct api_req *r, bool v2, struct api_resp *rs)
{
	struct incident_filter f;
	struct alert_query q;
	bool none;
	if (api_alert_filter(a, r, &f, &q, &none, rs) != 0)
		return;
	if (v2 && api_param(r, "index") != NULL) {
		api_alerts_iter(a, r, &f, none, rs);
		alert_query_free(&q);
		return;
	}
	struct api_buf b = {0};
	api_buf_puts(&b, v2 ? "{\"ok\":1,\"result\":["
			    : "{\"status\":\"success\",\"msg\":\"\",\"data\":[");
	struct api_walk w = {.b = &b};
	int64_t n = none ? 0 : incident_reader_query(a->reader, &f, api_walk_cb, &w);
	alert_query_free(&q);
	if (n < 0) {
		api_buf_free(&b);
		api_error(rs, MHD_HTTP_INTERNAL_SERVER_ERROR, "incident store unavailable");
		return;
	}
	api_buf_puts(&b, "]");
	if (v2)
		api_buf_printf(&b, ",\"wait_time\":0,\"timestamp_hwm\":%lld",
			       (long long)time(NULL));
	api_buf_puts(&b, "}");
	api_resp_json(rs, MHD_HTTP_OK, &b);
}

/* ------------------------------------------------------- incidents */

static bool api_truthy(const char *v, bool dflt, bool *ok)
{
	*ok = true;
	if (v == NULL)
		return dflt;
	if (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcasecmp(v, "yes") == 0)
		return true;
	if (strcasecmp(v, "false") == 0 || strcmp(v, "0") == 0 || strcasecmp(v, "no") == 0)
		return false;
	*ok = false;
	return dflt;
}

static void api_incident(struct api *a, const struct api_req *r, const char *method,
			 const char *key, const char *sub, struct api_resp *rs)
{
	struct incident *inc = NULL;
	int rc = incident_reader_get(a->reader, key, &inc);
	if (rc != 0) {
		api_errno(rs, rc, "incident");
		return;
	}
	struct api_buf b = {0};
	if (sub == NULL) {
		if (strcmp(method, "GET") != 0)
			goto not_allowed;
		api_success_open(&b);
		api_alert_json(&b, inc, true);
		api_buf_puts(&b, "}");
		api_resp_json(rs, MHD_HTTP_OK, &b);
	} else if (strcmp(sub, "ack") == 0) {
		if (strcmp(method, "POST") != 0)
			goto not_allowed;
		bool ok;
		bool acked = api_truthy(api_param(r, "acked"), true, &ok);
		if (!ok) {
			api_error(rs, MHD_HTTP_BAD_REQUEST, "acked must be true or false");
		} else if (a->p.store == NULL) {
			api_error(rs, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "incident store not writable here");
		} else if ((rc = incident_store_ack(a->p.store, inc->id, acked)) != 0) {
			api_errno(rs, rc, "incident");
		} else {
			api_success_open(&b);
			api_buf_printf(&b, "{\"dlp_incident_id\":%" PRId64 ",\"acked\":%s}}",
				       inc->id, acked ? "true" : "false");
			api_resp_json(rs, MHD_HTTP_OK, &b);
		}
	} else if (strcmp(sub, "forensics") == 0 || strcmp(sub, "matches") == 0) {
		if (strcmp(method, "GET") != 0)
			goto not_allowed;
		if (a->p.forensics == NULL || !inc->forensics) {
			api_error(rs, MHD_HTTP_NOT_FOUND, "no forensic copy for this incident");
		} else if (sub[0] == 'f') {
			int fd;
			uint64_t size;
			rc = forensics_open_message(a->p.forensics, inc->uid, &fd, &size);
			if (rc != 0) {
				api_errno(rs, rc, "forensic copy");
			} else {
				rs->status = MHD_HTTP_OK;
				rs->fd = fd;
				rs->fd_size = size;
				rs->ctype = "message/rfc822";
				snprintf(rs->disposition, sizeof(rs->disposition),
					 "attachment; filename=\"%s.eml\"", inc->uid);
			}
		} else {
			char *json;
			size_t len;
			rc = forensics_read_matches(a->p.forensics, inc->uid, &json, &len);
			if (rc != 0) {
				api_errno(rs, rc, "forensic copy");
			} else {
				api_success_open(&b);
				api_buf_put(&b, json, len);
				api_buf_puts(&b, "}");
				free(json);
				api_resp_json(rs, MHD_HTTP_OK, &b);
			}
		}
	} else {
		api_error(rs, MHD_HTTP_NOT_FOUND, "no such endpoint");
	}
	incident_free(inc);
	return;
not_allowed:
	incident_free(inc);
	api_error(rs, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
}

/* ------------------------------------------------------ quarantine */

static void api_qentry_json(struct api_buf *b, const struct quarantine_entry *e)
{
	api_buf_puts(b, "{");
	api_json_key(b, "id");
	api_json_cstr(b, e->id);
	api_kv_str(b, "queue_id", e->queue_id);
	api_kv_str(b, "from_user", e->mail_from);
	api_buf_puts(b, ",\"smtp_to\":[");
	for (size_t i = 0; i < e->n_rcpts; i++) {
		if (i)
			api_buf_puts(b, ",");
		api_json_cstr(b, e->rcpts[i]);
	}
	api_buf_puts(b, "]");
	api_kv_str(b, "helo", e->helo);
	api_kv_str(b, "policy", e->policy);
	api_kv_str(b, "dlp_profile", e->profile);
	api_kv_str(b, "dlp_rule_severity", e->severity);
	api_kv_str(b, "object", e->subject);
	api_kv_u64(b, "file_size", e->size);
	api_kv_u64(b, "timestamp", e->received_ms / 1000);
	api_buf_printf(b, ",\"state\":\"%s\"}", e->releasing ? "releasing" : "held");
}

static int api_qlist_cb(void *arg, const struct quarantine_entry *e)
{
	struct api_walk *w = arg;
	if (w->n++)
		api_buf_puts(w->b, ",");
	api_qentry_json(w->b, e);
	return w->b->oom ? -ENOMEM : 0;
}

static void api_quarantine(struct api *a, const char *method, const char *id, const char *sub,
			   struct api_resp *rs)
{
	struct quarantine_store *qs = a->p.quarantine;
	struct api_buf b = {0};
	int rc;
	if (qs == NULL) {
		api_error(rs, MHD_HTTP_SERVICE_UNAVAILABLE, "quarantine not configured");
		return;
	}
	if (id == NULL) {
		if (strcmp(method, "GET") != 0)
			goto not_allowed;
		api_buf_puts(&b, "{\"status\":\"success\",\"msg\":\"\",\"data\":[");
		struct api_walk w = {.b = &b};
		rc = quarantine_store_list(qs, api_qlist_cb, &w);
		if (rc < 0) {
			api_buf_free(&b);
			api_errno(rs, rc, "quarantine");
			return;
		}
		api_buf_puts(&b, "]}");
		api_resp_json(rs, MHD_HTTP_OK, &b);
		return;
	}
	bool is_get = strcmp(method, "GET") == 0, is_post = strcmp(method, "POST") == 0;
	if (sub == NULL && strcmp(method, "DELETE") == 0) {
		sub = "delete";
		is_post = true;
	}
	if (sub == NULL || strcmp(sub, "message") == 0) {
		if (!is_get)
			goto not_allowed;
		struct quarantine_entry *e;
		int fd = -1;
		rc = quarantine_store_get(qs, id, &e, sub ? &fd : NULL);
		if (rc != 0) {
			api_errno(rs, rc, "quarantine item");
			return;
		}
		if (sub) {
			rs->status = MHD_HTTP_OK;
			rs->fd = fd;
			rs->fd_size = e->size;
			struct stat st;
			if (fstat(fd, &st) == 0)
				rs->fd_size = (uint64_t)st.st_size;
			rs->ctype = "message/rfc822";
			snprintf(rs->disposition, sizeof(rs->disposition),
				 "attachment; filename=\"%s.eml\"", e->id);
		} else {
			api_success_open(&b);
			api_qentry_json(&b, e);
			api_buf_puts(&b, "}");
			api_resp_json(rs, MHD_HTTP_OK, &b);
		}
		quarantine_entry_free(e);
		return;
	}
	if (!is_post)
		goto not_allowed;
	if (strcmp(sub, "release") == 0) {
		if (a->p.relay == NULL) {
			api_error(rs, MHD_HTTP_SERVICE_UNAVAILABLE, "release not available");
			return;
		}
		rc = quarantine_store_release(qs, id, a->p.relay, a->p.relay_arg);
		if (rc != 0) {
			if (rc == -ENOENT || rc == -EINVAL || rc == -EBUSY)
				api_errno(rs, rc, "quarantine item");
			else
				api_error(rs, MHD_HTTP_SERVICE_UNAVAILABLE,
					  "the relay did not take the message; try again");
			return;
		}
		api_buf_puts(
			&b, "{\"status\":\"success\",\"msg\":\"release queued\",\"data\":{\"id\":");
		api_json_cstr(&b, id);
		api_buf_puts(&b, ",\"state\":\"releasing\"}}");
		api_resp_json(rs, MHD_HTTP_ACCEPTED, &b);
	} else if (strcmp(sub, "delete") == 0) {
		rc = quarantine_store_delete(qs, id);
		if (rc != 0) {
			api_errno(rs, rc, "quarantine item");
			return;
		}
		api_buf_puts(&b, "{\"status\":\"success\",\"msg\":\"deleted\",\"data\":{\"id\":");
		api_json_cstr(&b, id);
		api_buf_puts(&b, "}}");
		api_resp_json(rs, MHD_HTTP_OK, &b);
	} else {
		api_error(rs, MHD_HTTP_NOT_FOUND, "no such endpoint");
	}
	return;
not_allowed:
	api_error(rs, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
}

/* ---------------------------------------------------------- routing */

/* Split "/a/b/c" after prefix into up to two segments. Returns the
 * number of segments, -1 if there are more or one is empty. */
static int api_segments(const char *rest, char seg[2][80])
{
	int n = 0;
	if (*rest == '\0')
		return 0;
	if (*rest != '/')
		return -1;
	rest++;
	while (*rest) {
		if (n == 2)
			return -1;
		const char *slash = strchr(rest, '/');
		size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
		if (len == 0 || len >= 80)
			return -1;
		memcpy(seg[n], rest, len);
		seg[n][len] = '\0';
		n++;
		rest += len;
		if (*rest == '/') {
			rest++;
			if (*rest == '\0')
				return -1;
		}
	}
	return n;
}

static bool api_authorized(struct api *a, struct MHD_Connection *c, const struct api_req *r)
{
	const char *tok = api_param(r, "token");
	if (tok == NULL)
		tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Netskope-Api-Token");
	if (tok == NULL) {
		const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
			tok = auth + 7;
	}
	uint8_t d[API_DIGEST];
	/* Digest even when absent, so a missing token costs the same. */
	api_digest(a, tok ? tok : "", tok ? strlen(tok) : 0, d);
	bool ok = api_digest_eq(d, a->token_digest);
	return ok && tok != NULL;
}

static void api_dispatch(struct api *a, struct MHD_Connection *c, const char *url,
			 const char *method, struct api_req *r, struct api_resp *rs)
{
	if (a->p.stats_block)
		stats_inc(a->p.stats_block, STATS_API_REQUESTS);
	if (r->too_large) {
		api_error(rs, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large");
		return;
	}
	/* Parameters: the body first (it wins), then the query string. */
	if (r->body_len > 0) {
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
		/* JSON when declared, or when undeclared/other and it looks
		 * like an object (some tools send JSON as text/plain). */
		size_t i = 0;
		while (i < r->body_len && isspace((unsigned char)r->body[i]))
			i++;
		bool form = ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) == 0;
		bool json = (ct && strncasecmp(ct, "application/json", 16) == 0) ||
			    (!form && i < r->body_len && r->body[i] == '{');
		if (json)
			api_parse_json(r);
		else
			api_parse_form(r);
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, api_collect_arg, r);
	if (!api_authorized(a, c, r)) {
		if (a->p.stats_block)
			stats_inc(a->p.stats_block, STATS_API_UNAUTHORIZED);
		api_error(rs, MHD_HTTP_UNAUTHORIZED, "Invalid token");
		return;
	}
	if (r->bad_body) {
		api_error(rs, MHD_HTTP_BAD_REQUEST, r->body_err);
		return;
	}
	bool get = strcmp(method, "GET") == 0, post = strcmp(method, "POST") == 0;
	char seg[2][80];
	int n;
	if (strcmp(url, "/api/v1/alerts") == 0) {
		if (!get && !post)
			api_error(rs, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
		else
			api_alerts(a, r, false, rs);
	} else if (strcmp(url, "/api/v2/events/data/alert") == 0) {
		if (!get && !post)
			api_error(rs, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
		else
			api_alerts(a, r, true, rs);
	} else if (strncmp(url, "/api/v1/incidents", 17) == 0 &&
		   (n = api_segments(url + 17, seg)) >= 1) {
		api_incident(a, r, method, seg[0], n == 2 ? seg[1] : NULL, rs);
	} else if (strncmp(url, "/api/v1/quarantine", 18) == 0 &&
		   (n = api_segments(url + 18, seg)) >= 0) {
		api_quarantine(a, method, n >= 1 ? seg[0] : NULL, n == 2 ? seg[1] : NULL, rs);
	} else if (strcmp(url, "/api/v1/stats") == 0 || strcmp(url, "/metrics") == 0) {
		bool prom = url[1] == 'm';
		if (!get) {
			api_error(rs, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed");
			return;
		}
		if (a->p.stats == NULL) {
			api_error(rs, MHD_HTTP_SERVICE_UNAVAILABLE, "stats not available");
			return;
		}
		size_t len;
		char *text = prom ? stats_render_prometheus(a->p.stats, &len)
				  : stats_render_json(a->p.stats, &len);
		if (text == NULL) {
			api_error(rs, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
			return;
		}
		if (prom) {
			rs->status = MHD_HTTP_OK;
			rs->body = text;
			rs->len = len;
			rs->ctype = "text/plain; version=0.0.4; charset=utf-8";
		} else {
			struct api_buf b = {0};
			api_success_open(&b);
			api_buf_put(&b, text, len);
			api_buf_puts(&b, "}");
			free(text);
			api_resp_json(rs, MHD_HTTP_OK, &b);
		}
	} else {
		api_error(rs, MHD_HTTP_NOT_FOUND, "no such endpoint");
	}
}

static enum MHD_Result api_handler(void *cls, struct MHD_Connection *c, const char *url,
				   const char *method, const char *version, const char *upload_data,
				   size_t *upload_data_size, void **con_cls)
{
	struct api *a = cls;
	struct api_req *r = *con_cls;
	if (r == NULL) {
		r = calloc(1, sizeof(*r));
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		size_t n = *upload_data_size;
		if (!r->too_large) {
			if (r->body_len + n > a->p.max_body) {
				r->too_large = true;
				free(r->body);
				r->body = NULL;
				r->body_len = 0;
			} else {
				char *nb = realloc(r->body, r->body_len + n + 1);
				if (nb == NULL)
					return MHD_NO;
				memcpy(nb + r->body_len, upload_data, n);
				r->body = nb;
				r->body_len += n;
				r->body[r->body_len] = '\0';
			}
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	struct api_resp rs = {.fd = -1};
	api_dispatch(a, c, url, method, r, &rs);
	struct MHD_Response *resp;
	if (rs.fd >= 0) {
		resp = MHD_create_response_from_fd64(rs.fd_size, rs.fd); /* takes the fd */
	} else {
		resp = MHD_create_response_from_buffer(rs.len, rs.body, MHD_RESPMEM_MUST_FREE);
	}
	if (resp == NULL) {
		if (rs.fd >= 0)
			close(rs.fd);
		else
			free(rs.body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
				rs.ctype ? rs.ctype : "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (rs.disposition[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, rs.disposition);
	if (rs.status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Bearer realm=\"smtpdlp\"");
	enum MHD_Result ret = MHD_queue_response(c, rs.status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void api_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			  enum MHD_RequestTerminationCode toe)
{
	struct api_req *r = *con_cls;
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_params; i++) {
		free(r->params[i].key);
		free(r->params[i].val);
	}
	free(r->body);
	free(r);
	*con_cls = NULL;
}

/* ------------------------------------------------------ start, stop */

struct api *api_start(const struct api_params *p, char *err, size_t errlen)
{
	char dummy[1];
	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (p == NULL || p->listen_address == NULL) {
		snprintf(err, errlen, "api: no listen address");
		return NULL;
	}
	if (p->token == NULL || p->token[0] == '\0') {
		snprintf(err, errlen, "api: no API token configured (api.token_file)");
		return NULL;
	}
	bool tls = p->tls_cert_file || p->tls_key_file;
	if (tls && !(p->tls_cert_file && p->tls_key_file)) {
		snprintf(err, errlen, "api: tls_certificate and tls_key must be set together");
		return NULL;
	}
	if (tls && !api_tls_supported()) {
		snprintf(err, errlen,
			 "api: HTTPS is configured but this libmicrohttpd has no TLS "
			 "support; refusing to serve the API over plain HTTP");
		return NULL;
	}
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	bool v6 = false;
	if (inet_pton(AF_INET, p->listen_address, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(p->port);
	} else if (inet_pton(AF_INET6, p->listen_address, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(p->port);
		v6 = true;
	} else {
		snprintf(err, errlen, "api: listen address '%s' is not an IP address",
			 p->listen_address);
		return NULL;
	}
	struct api *a = calloc(1, sizeof(*a));
	if (a == NULL) {
		snprintf(err, errlen, "api: out of memory");
		return NULL;
	}
	a->p = *p;
	a->p.token = NULL; /* only the digest is kept */
	if (a->p.max_limit == 0)
		a->p.max_limit = API_MAX_LIMIT;
	if (a->p.max_body == 0)
		a->p.max_body = API_MAX_BODY;
	if (getrandom(a->key, sizeof(a->key), 0) != (ssize_t)sizeof(a->key)) {
		snprintf(err, errlen, "api: no randomness for the token key");
		free(a);
		return NULL;
	}
	api_digest(a, p->token, strlen(p->token), a->token_digest);
	if (p->database) {
		a->reader = incident_reader_open(p->database, err, errlen);
		if (a->reader == NULL)
			goto fail;
	} else {
		snprintf(err, errlen, "api: no incidents database");
		goto fail;
	}
	if (tls) {
		if ((a->tls_cert = api_read_file(p->tls_cert_file, err, errlen)) == NULL ||
		    (a->tls_key = api_read_file(p->tls_key_file, err, errlen)) == NULL)
			goto fail;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	if (v6)
		flags |= MHD_USE_IPv6;
	if (tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem opts[] = {
		{MHD_OPTION_SOCK_ADDR, 0, &ss},
		{MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)api_completed, NULL},
		{MHD_OPTION_CONNECTION_LIMIT, p->max_connections ? p->max_connections : 64, NULL},
		{MHD_OPTION_CONNECTION_TIMEOUT, p->timeout_s ? p->timeout_s : 30, NULL},
		{MHD_OPTION_PER_IP_CONNECTION_LIMIT, 16, NULL},
		{tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, a->tls_cert},
		{tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, a->tls_key},
		{MHD_OPTION_END, 0, NULL},
	};
	a->mhd = MHD_start_daemon(flags, 0, NULL, NULL, api_handler, a, MHD_OPTION_ARRAY, opts,
				  MHD_OPTION_END);
	if (a->mhd == NULL) {
		snprintf(err, errlen,
			 "api: cannot serve on %s port %u%s (address in use, or bad TLS "
			 "certificate/key)",
			 p->listen_address, p->port, tls ? " over HTTPS" : "");
		goto fail;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(a->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	struct sockaddr_storage bound;
	socklen_t bl = sizeof(bound);
	if (info && getsockname(info->listen_fd, (struct sockaddr *)&bound, &bl) == 0)
		a->port = ntohs(bound.ss_family == AF_INET6
					? ((struct sockaddr_in6 *)&bound)->sin6_port
					: ((struct sockaddr_in *)&bound)->sin_port);
	return a;
fail:
	api_stop(a);
	return NULL;
}

void api_stop(struct api *a)
{
	if (a == NULL)
		return;
	if (a->mhd)
		MHD_stop_daemon(a->mhd);
	incident_reader_close(a->reader);
	if (a->tls_key) {
		explicit_bzero(a->tls_key, strlen(a->tls_key));
		free(a->tls_key);
	}
	free(a->tls_cert);
	explicit_bzero(a->key, sizeof(a->key));
	free(a);
}

uint16_t api_port(const struct api *a)
{
	return a->port;
}
