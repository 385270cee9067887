/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_api.c — the REST API served for real on 127.0.0.1 (ephemeral port)
 * and queried with a raw HTTP/1.1 socket client: the seed's exact Tines
 * request, token handling (body, query, headers; 401 otherwise), parameter
 * and query errors (400 with reasons), paging, types, JSON escaping of
 * invalid UTF-8, incident detail, forensics download, ack, quarantine
 * list/get/release/delete, stats and /metrics, body limit, 404/405, and
 * HTTPS with a throw-away certificate (openssl + curl command-line tools).
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "app/api.h"
#include "app/api_json.h"
#include "app/forensics.h"
#include "app/incident.h"
#include "app/quarantine_store.h"
#include "app/stats.h"

#define TOKEN "s3cret-t0ken-for-tests"

static char dir[64];
static char dbpath[128];
static struct incident_store *store;
static struct forensics_store *fx;
static struct quarantine_store *qs;
static struct stats *st;
static struct api *api;
static char uid1[INCIDENT_UID_LEN + 1];
static char qid[QUARANTINE_ID_LEN + 1];
static const char fx_msg[] = "From: alice@corp.example\r\nSubject: Entitlement\r\n\r\n"
			     "Customer, Account Manager, Sales Engineer\r\n";

/* --------------------------------------------------- fixtures */

struct relay_rec {
	int calls;
	char from[64];
};
static struct relay_rec relayed;

static int relay_fn(void *arg, const struct quarantine_entry *e, const void *msg, size_t len)
{
	struct relay_rec *r = arg;
	r->calls++;
	snprintf(r->from, sizeof(r->from), "%s", e->mail_from);
	return 0;
}

static struct incident *mk_incident(const char *policy, enum cfg_action action, const char *subject,
				    const char *rcpt, int64_t age_s)
{
	struct dlp_rule_result rule = {.name = "Customer entitlement email",
				       .severity = CFG_SEV_LOW,
				       .count = 4,
				       .unique_count = 3};
	struct dlp_match m = {.term = "Account Manager", .part = "1", .offset = 9};
	struct dlp_entity_result ent = {.name = "customer-entitlement",
					.count = 4,
					.unique_count = 3,
					.matches = &m,
					.n_matches = 1};
	char *rcpts[] = {(char *)rcpt};
	struct dlp_verdict v = {.action = action,
				.policy = (char *)policy,
				.profile = "Customer data",
				.severity = CFG_SEV_LOW,
				.rules = &rule,
				.n_rules = 1,
				.entities = &ent,
				.n_entities = 1,
				.from = "alice@corp.example",
				.rcpts = rcpts,
				.n_rcpts = 1,
				.subject = (char *)subject,
				.raw_bytes = sizeof(fx_msg) - 1};
	struct incident_meta meta = {.queue_id = "4Xyz",
				     .received_ms = (uint64_t)(time(NULL) - age_s) * 1000,
				     .upstream_reply = "250 2.0.0 Ok: queued as 4Xyz"};
	struct incident *inc = incident_create(&v, &meta);
	ck_assert_ptr_nonnull(inc);
	return inc;
}

static void setup(void)
{
	char err[256];
	strcpy(dir, "/tmp/smtpdlp-api-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(dbpath, sizeof(dbpath), "%s/incidents.db", dir);
	store = incident_store_open(dbpath, err, sizeof(err));
	ck_assert_msg(store != NULL, "%s", err);

	char sub[160];
	snprintf(sub, sizeof(sub), "%s/forensics", dir);
	struct forensics_params fp = {.directory = sub, .max_bytes = 1 << 20};
	fx = forensics_open(&fp, err, sizeof(err));
	ck_assert_ptr_nonnull(fx);
	snprintf(sub, sizeof(sub), "%s/quarantine", dir);
	struct quarantine_store_params qp = {.directory = sub, .sync = true};
	qs = quarantine_store_open(&qp, err, sizeof(err));
	ck_assert_ptr_nonnull(qs);

	/* 1: seed policy, with forensics; 2: seed policy, invalid UTF-8
	 * subject; 3: block; 4: quarantine; 5: seed policy but 2 hours old. */
	struct incident *incs[5] = {
		mk_incident("Customer email Hold", CFG_ACTION_ADD_HEADER, "Entitlement",
			    "bob@ext.example", 60),
		mk_incident("Customer email Hold", CFG_ACTION_ADD_HEADER,
			    "Bad \xff\xfe subject \"quoted\"\n", "carol@ext.example", 50),
		mk_incident("Block card numbers", CFG_ACTION_BLOCK, "cards", "dave@ext.example",
			    40),
		mk_incident("Quarantine secrets", CFG_ACTION_QUARANTINE, "secret",
			    "erin@ext.example", 30),
		mk_incident("Customer email Hold", CFG_ACTION_ADD_HEADER, "old", "old@ext.example",
			    7200),
	};
	char md5[33];
	struct iovec iov = {(void *)fx_msg, sizeof(fx_msg) - 1};
	ck_assert_int_eq(forensics_put(fx, incs[0]->uid, &iov, 1, incs[0]->details, md5, NULL), 0);
	incs[0]->forensics = true;
	memcpy(incs[0]->md5, md5, sizeof(md5));
	strcpy(uid1, incs[0]->uid);
	ck_assert_int_eq(incident_store_insert(store, incs, 5), 0);
	for (int i = 0; i < 5; i++)
		incident_free(incs[i]);

	const char *const rc[] = {"erin@ext.example"};
	struct quarantine_item it = {.queue_id = "Q4",
				     .mail_from = "alice@corp.example",
				     .rcpts = rc,
				     .n_rcpts = 1,
				     .iov = &iov,
				     .n_iov = 1,
				     .size = sizeof(fx_msg) - 1,
				     .received_ms = 1000};
	ck_assert_int_eq(quarantine_store_put(qs, &it, qid), 0);

	static const char *const ports[] = {"inside", "outside"};
	struct stats_params sp = {.n_blocks = 2, .port_names = ports, .n_ports = 2};
	st = stats_create(&sp);
	ck_assert_ptr_nonnull(st);
	stats_add(stats_block(st, 0), STATS_SMTP_MESSAGES, 42);

	memset(&relayed, 0, sizeof(relayed));
	struct api_params p = {.listen_address = "127.0.0.1",
			       .port = 0,
			       .token = TOKEN,
			       .database = dbpath,
			       .store = store,
			       .forensics = fx,
			       .quarantine = qs,
			       .relay = relay_fn,
			       .relay_arg = &relayed,
			       .stats = st,
			       .stats_block = stats_block(st, 1),
			       .max_body = 4096};
	api = api_start(&p, err, sizeof(err));
	ck_assert_msg(api != NULL, "%s", err);
	ck_assert_uint_ne(api_port(api), 0);
}

static void teardown(void)
{
	api_stop(api);
	quarantine_store_close(qs);
	forensics_close(fx);
	incident_store_close(store);
	stats_destroy(st);
	char cmd[160];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* ------------------------------------------------- raw HTTP client */

struct http_resp {
	int status;
	char *head;
	char *body;
	size_t body_len;
};

static void http_free(struct http_resp *r)
{
	free(r->head);
	free(r->body);
}

/* headers: extra header lines, each ending in \r\n (or NULL). */
static struct http_resp http(const char *method, const char *path, const char *headers,
			     const char *body)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(api_port(api))};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	struct api_buf req = {0};
	api_buf_printf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s", method,
		       path, headers ? headers : "");
	if (body)
		api_buf_printf(&req, "Content-Length: %zu\r\n\r\n%s", strlen(body), body);
	else
		api_buf_puts(&req, "\r\n");
	size_t off = 0;
	while (off < req.len) {
		ssize_t n = write(fd, req.data + off, req.len - off);
		if (n <= 0)
			break; /* the server may close early (413) */
		off += (size_t)n;
	}
	api_buf_free(&req);
	struct api_buf in = {0};
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		api_buf_put(&in, buf, (size_t)n);
	close(fd);
	struct http_resp r = {0};
	ck_assert_ptr_nonnull(in.data);
	ck_assert_int_eq(sscanf(in.data, "HTTP/1.1 %d", &r.status), 1);
	char *sep = strstr(in.data, "\r\n\r\n");
	ck_assert_ptr_nonnull(sep);
	r.head = strndup(in.data, (size_t)(sep - in.data));
	r.body_len = in.len - (size_t)(sep + 4 - in.data);
	r.body = malloc(r.body_len + 1);
	memcpy(r.body, sep + 4, r.body_len);
	r.body[r.body_len] = '\0';
	api_buf_free(&in);
	return r;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

/* ------------------------------------------------------ tests */

START_TEST(test_seed_request)
{
	/* Exactly the seed's payload (Tines): URL-encoded query inside JSON. */
	const char *body =
		"{\n  \"token\": \"" TOKEN "\",\n  \"type\": \"policy\",\n"
		"  \"query\": \"(policy%20in%20%5B%20'Customer%20email%20Hold'%20%5D)\",\n"
		"  \"timeperiod\": \"3600\"\n}";
	struct http_resp r =
		http("POST", "/api/v1/alerts", "Content-Type: application/json\r\n", body);
	ck_assert_msg(r.status == 200, "%d %s", r.status, r.body);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: application/json"));
	ck_assert(strncmp(r.body, "{\"status\":\"success\",\"msg\":\"\",\"data\":[{", 38) == 0);
	/* incidents 2 and 1 (newest first); 5 is older than an hour */
	ck_assert_int_eq(count(r.body, "\"_id\":"), 2);
	ck_assert_int_eq(count(r.body, "\"policy\":\"Customer email Hold\""), 2);
	char *second = strstr(r.body, "\"dlp_incident_id\":1,");
	char *first = strstr(r.body, "\"dlp_incident_id\":2,");
	ck_assert(first && second && first < second);
	static const char *const fields[] = {
		"\"alert_type\":\"DLP\"",
		"\"type\":\"policy\"",
		"\"action\":\"add-header\"",
		"\"from_user\":\"alice@corp.example\"",
		"\"to_user\":\"bob@ext.example\"",
		"\"smtp_to\":[\"bob@ext.example\"]",
		"\"dlp_profile\":\"Customer data\"",
		"\"dlp_rule\":\"Customer entitlement email\"",
		"\"dlp_rule_severity\":\"low\"",
		"\"dlp_rule_count\":4",
		"\"dlp_unique_count\":3",
		"\"dlp_is_unique_count\":false",
		"\"object\":\"Entitlement\"",
		"\"object_type\":\"Email\"",
		"\"acked\":false",
		"\"file_size\":",
		"\"timestamp\":",
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		ck_assert_msg(strstr(r.body, fields[i]) != NULL, "missing %s", fields[i]);
	char md5[40];
	snprintf(md5, sizeof(md5), "\"md5\":\"");
	ck_assert_ptr_nonnull(strstr(r.body, md5));
	/* invalid UTF-8 replaced, quotes and newline escaped */
	ck_assert_ptr_nonnull(
		strstr(r.body, "\"object\":\"Bad \\ufffd\\ufffd subject \\\"quoted\\\"\\n\""));
	for (size_t i = 0; i < r.body_len; i++)
		ck_assert_int_lt((unsigned char)r.body[i], 0xf8);
	http_free(&r);
}
END_TEST

struct auth_case {
	const char *method, *path, *headers, *body;
	int status;
};

static const struct auth_case auth_cases[] = {
	{"GET", "/api/v1/alerts", NULL, NULL, 401},
	{"GET", "/api/v1/alerts?token=wrong", NULL, NULL, 401},
	{"GET", "/api/v1/alerts?token=s3cret", NULL, NULL, 401},     /* prefix */
	{"GET", "/api/v1/alerts?token=" TOKEN "x", NULL, NULL, 401}, /* longer */
	{"GET", "/api/v1/alerts?token=", NULL, NULL, 401},
	{"POST", "/api/v1/alerts", "Content-Type: application/json\r\n", "{\"token\":\"nope\"}",
	 401},
	{"GET", "/api/v1/alerts?token=" TOKEN, NULL, NULL, 200},
	{"POST", "/api/v1/alerts", "Content-Type: application/json\r\n",
	 "{\"token\":\"" TOKEN "\"}", 200},
	{"POST", "/api/v1/alerts", "Content-Type: application/x-www-form-urlencoded\r\n",
	 "token=" TOKEN "&type=policy", 200},
	{"GET", "/api/v2/events/data/alert", "Netskope-Api-Token: " TOKEN "\r\n", NULL, 200},
	{"GET", "/api/v2/events/data/alert", "Netskope-Api-Token: wrong\r\n", NULL, 401},
	{"GET", "/api/v1/stats", "Authorization: Bearer " TOKEN "\r\n", NULL, 200},
	{"GET", "/metrics", "Authorization: Bearer wrong\r\n", NULL, 401},
	{"GET", "/api/v1/incidents/1", NULL, NULL, 401},
	{"GET", "/api/v1/quarantine", NULL, NULL, 401},
	{"GET", "/nope", NULL, NULL, 401}, /* no endpoint discovery without a token */
};

START_TEST(test_auth_table)
{
	const struct auth_case *c = &auth_cases[_i];
	struct http_resp r = http(c->method, c->path, c->headers, c->body);
	ck_assert_msg(r.status == c->status, "%s %s: %d %s", c->method, c->path, r.status, r.body);
	if (c->status == 401) {
		ck_assert_str_eq(r.body, "{\"status\":\"error\",\"msg\":\"Invalid token\"}");
		ck_assert_ptr_null(strstr(r.body, TOKEN));
	}
	http_free(&r);
}
END_TEST

struct param_case {
	const char *query; /* appended to /api/v1/alerts?token=...& */
	int status;
	const char *want; /* substring of the body */
	int n_alerts;	  /* for 200 */
};

static const struct param_case param_cases[] = {
	{"timeperiod=100", 400, "timeperiod must be 3600, 86400, 604800 or 2592000", 0},
	{"timeperiod=abc", 400, "timeperiod must be an integer", 0},
	{"limit=-1", 400, "limit must be an integer", 0},
	{"skip=x", 400, "skip must be an integer", 0},
	{"acked=maybe", 400, "acked must be true or false", 0},
	{"type=nonsense", 400, "unknown alert type", 0},
	{"starttime=200&endtime=100", 400, "starttime is after endtime", 0},
	{"timeperiod=3600&starttime=1", 400, "not both", 0},
	{"query=nosuch%20eq%20'x'", 400, "invalid query: at offset 0: unknown field 'nosuch'", 0},
	{"query=policy%20eq", 400, "invalid query: at offset 9: expected a value", 0},
	{"", 200, "\"data\":[", 5},
	{"timeperiod=3600", 200, "\"data\":[", 4},
	{"timeperiod=86400", 200, "\"data\":[", 5},
	{"limit=2", 200, "\"dlp_incident_id\":4,", 2},
	{"limit=2&skip=3", 200, "\"dlp_incident_id\":1,", 2},
	{"limit=99999", 200, "\"data\":[", 5}, /* clamped, not refused */
	{"type=DLP", 200, "\"data\":[", 5},
	{"type=quarantine", 200, "\"action\":\"quarantine\"", 1},
	{"type=Malware", 200, "\"data\":[]", 0},
	{"acked=true", 200, "\"data\":[]", 0},
	{"acked=false&timeperiod=3600", 200, "\"data\":[", 4},
	{"query=policy+eq+'Block+card+numbers'", 200, "\"dlp_incident_id\":3,", 1},
	{"query=object%20like%20'subject'", 200, "\"dlp_incident_id\":2,", 1},
	{"query=smtp_to%20in%20%5B'bob@ext.example','ERIN@ext.example'%5D", 200,
	 "\"dlp_incident_id\":4,", 2},
};

START_TEST(test_param_table)
{
	const struct param_case *c = &param_cases[_i];
	char path[512];
	snprintf(path, sizeof(path), "/api/v1/alerts?token=" TOKEN "%s%s", c->query[0] ? "&" : "",
		 c->query);
	struct http_resp r = http("GET", path, NULL, NULL);
	ck_assert_msg(r.status == c->status, "%s: %d %s", c->query, r.status, r.body);
	ck_assert_msg(strstr(r.body, c->want) != NULL, "%s: '%s' lacks '%s'", c->query, r.body,
		      c->want);
	if (c->status == 400)
		ck_assert(strncmp(r.body, "{\"status\":\"error\",\"msg\":\"", 25) == 0);
	else
		ck_assert_int_eq(count(r.body, "\"_id\":"), c->n_alerts);
	http_free(&r);
}
END_TEST

static const struct {
	const char *ctype, *body;
	int status;
	const char *want;
} body_cases[] = {
	{"application/json", "{\"token\":\"" TOKEN "\",\"limit\":1}", 200,
	 "\"dlp_incident_id\":4,"},
	{"application/json", "{\"token\":\"" TOKEN "\",\"limit\":", 400, "malformed JSON body"},
	{"application/json", "{\"token\":\"" TOKEN "\",\"x\":{\"a\":1}}", 400,
	 "malformed JSON body"},
	{"application/json", "[1,2]", 401, "Invalid token"},
	{"application/json",
	 "{\"token\":\"" TOKEN "\",\"query\":\"policy eq \\u0027Block card numbers\\u0027\"}", 200,
	 "\"dlp_incident_id\":3,"},
	{"application/json", "{\"token\":\"" TOKEN "\",\"acked\":false,\"skip\":4,\"type\":null}",
	 200, "\"dlp_incident_id\":5,"},
	{"text/plain", " {\"token\":\"" TOKEN "\",\"limit\":\"1\"}", 200, "\"dlp_incident_id\":4,"},
	{"application/x-www-form-urlencoded",
	 "token=" TOKEN
	 "&query=policy%20in%20%5B%20%27Customer%20email%20Hold%27%20%5D&timeperiod=3600",
	 200, "\"dlp_incident_id\":2,"},
};

START_TEST(test_body_table)
{
	char hdr[128];
	snprintf(hdr, sizeof(hdr), "Content-Type: %s\r\n", body_cases[_i].ctype);
	struct http_resp r = http("POST", "/api/v1/alerts", hdr, body_cases[_i].body);
	ck_assert_msg(r.status == body_cases[_i].status, "%s: %d %s", body_cases[_i].body, r.status,
		      r.body);
	ck_assert_msg(strstr(r.body, body_cases[_i].want) != NULL, "%s", r.body);
	http_free(&r);
}
END_TEST

START_TEST(test_v2)
{
	struct http_resp r = http("GET", "/api/v2/events/data/alert?limit=2",
				  "Netskope-Api-Token: " TOKEN "\r\n", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strncmp(r.body, "{\"ok\":1,\"result\":[{", 19) == 0);
	ck_assert_int_eq(count(r.body, "\"_id\":"), 2);
	http_free(&r);
}
END_TEST

/* ids of the alerts in a response, in order, as "1,2,3" */
static void ids_of(const char *body, char *out, size_t len)
{
	out[0] = '\0';
	for (const char *p = body; (p = strstr(p, "\"dlp_incident_id\":")) != NULL;) {
		p += 18;
		char one[24];
		snprintf(one, sizeof(one), "%s%lld", out[0] ? "," : "", atoll(p));
		strncat(out, one, len - strlen(out) - 1);
	}
}

START_TEST(test_v2_iterator)
{
	char epoch_op[64];
	snprintf(epoch_op, sizeof(epoch_op), "index=t1&operation=%lld", (long long)time(NULL) - 45);
	static const struct {
		const char *q;	   /* after /api/v2/events/data/alert? */
		bool add_incident; /* insert one more before the request */
		int status;
		const char *ids;
	} steps[] = {
		{"index=t1", false, 200, "1,2,3,4,5"},
		{"index=t1&operation=next", false, 200, ""},
		{"index=t1", true, 200, "6"},
		{"index=t1&operation=resend", false, 200, "6"},
		{"index=t1&operation=resend", false, 200, "6"},
		{"index=t1", false, 200, ""},
		{"index=t1&operation=head&limit=2", false, 200, "1,2"},
		{"index=t1&limit=2", false, 200, "3,4"},
		{"index=other&limit=1", false, 200, "1"}, /* independent positions */
		{"index=t1&operation=tail", false, 200, ""},
		{"index=t1", true, 200, "7"},
		{NULL, false, 200, "3,4,5,6,7"}, /* epoch: after the newest older than now-45 (2) */
		{"index=t1&query=policy%20eq%20'Quarantine%20secrets'&operation=head", false, 200,
		 "4"},
		{"index=t1&operation=sideways", false, 400, NULL},
		{"index=bad%20name", false, 400, NULL},
		{"index=t1&operation=-5", false, 400, NULL},
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		if (steps[i].add_incident) {
			struct incident *inc =
				mk_incident("Customer email Hold", CFG_ACTION_ADD_HEADER, "new",
					    "new@ext.example", 0);
			ck_assert_int_eq(incident_store_insert(store, &inc, 1), 0);
			incident_free(inc);
		}
		char path[256];
		snprintf(path, sizeof(path), "/api/v2/events/data/alert?%s",
			 steps[i].q ? steps[i].q : epoch_op);
		struct http_resp r = http("GET", path, "Netskope-Api-Token: " TOKEN "\r\n", NULL);
		ck_assert_msg(r.status == steps[i].status, "step %zu: %d %s", i, r.status, r.body);
		if (steps[i].ids) {
			char ids[128];
			ids_of(r.body, ids, sizeof(ids));
			ck_assert_msg(strcmp(ids, steps[i].ids) == 0, "step %zu: got %s want %s", i,
				      ids, steps[i].ids);
			ck_assert(strncmp(r.body, "{\"ok\":1,\"result\":[", 18) == 0);
			ck_assert_msg(strstr(r.body, steps[i].ids[0] ? "\"wait_time\":0"
								     : "\"wait_time\":5") != NULL,
				      "step %zu: %s", i, r.body);
		}
		http_free(&r);
	}
}
END_TEST

START_TEST(test_incident_detail_forensics_ack)
{
	char path[160];
	struct http_resp r = http("GET", "/api/v1/incidents/1?token=" TOKEN, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(
		strstr(r.body, "\"details\":{\"rules\":[{\"name\":\"Customer entitlement email\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"term\":\"Account Manager\""));
	ck_assert_ptr_nonnull(strstr(r.body, "\"forensics\":true"));
	ck_assert_ptr_nonnull(
		strstr(r.body, "\"upstream_reply\":\"250 2.0.0 Ok: queued as 4Xyz\""));
	http_free(&r);

	snprintf(path, sizeof(path), "/api/v1/incidents/%s?token=" TOKEN, uid1);
	r = http("GET", path, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"dlp_incident_id\":1,"));
	http_free(&r);

	snprintf(path, sizeof(path), "/api/v1/incidents/%s/forensics?token=" TOKEN, uid1);
	r = http("GET", path, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: message/rfc822"));
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Disposition: attachment"));
	ck_assert_uint_eq(r.body_len, sizeof(fx_msg) - 1);
	ck_assert_int_eq(memcmp(r.body, fx_msg, r.body_len), 0);
	http_free(&r);

	r = http("GET", "/api/v1/incidents/1/matches?token=" TOKEN, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"data\":{\"rules\":["));
	http_free(&r);

	static const struct {
		const char *m, *p;
		int status;
		const char *want;
	} cases[] = {
		{"GET", "/api/v1/incidents/2/forensics", 404, "no forensic copy"},
		{"GET", "/api/v1/incidents/999", 404, "incident not found"},
		{"GET", "/api/v1/incidents/abc", 400, "malformed incident id"},
		{"GET", "/api/v1/incidents/1/nope", 404, "no such endpoint"},
		{"GET", "/api/v1/incidents/1/ack", 405, "method not allowed"},
		{"PUT", "/api/v1/alerts", 405, "method not allowed"},
		{"GET", "/api/v1/nothing", 404, "no such endpoint"},
		{"GET", "/api/v1/incidents/1/a/b", 404, "no such endpoint"},
		{"POST", "/api/v1/incidents/1/ack?acked=perhaps", 400, "acked must be"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(path, sizeof(path), "%s%stoken=" TOKEN, cases[i].p,
			 strchr(cases[i].p, '?') ? "&" : "?");
		r = http(cases[i].m, path, NULL, NULL);
		ck_assert_msg(r.status == cases[i].status, "%s %s: %d %s", cases[i].m, cases[i].p,
			      r.status, r.body);
		ck_assert_msg(strstr(r.body, cases[i].want) != NULL, "%s", r.body);
		http_free(&r);
	}

	r = http("POST", "/api/v1/incidents/1/ack", "Content-Type: application/json\r\n",
		 "{\"token\":\"" TOKEN "\"}");
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"status\":\"success\",\"msg\":\"\",\"data\":{\"dlp_incident_"
				 "id\":1,\"acked\":true}}");
	http_free(&r);
	r = http("GET", "/api/v1/alerts?token=" TOKEN "&acked=true", NULL, NULL);
	ck_assert_int_eq(count(r.body, "\"_id\":"), 1);
	ck_assert_ptr_nonnull(strstr(r.body, "\"acked\":true"));
	http_free(&r);
	r = http("POST", "/api/v1/incidents/1/ack?acked=false&token=" TOKEN, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_free(&r);
	r = http("GET", "/api/v1/alerts?token=" TOKEN "&acked=true", NULL, NULL);
	ck_assert_int_eq(count(r.body, "\"_id\":"), 0);
	http_free(&r);
}
END_TEST

START_TEST(test_quarantine_endpoints)
{
	char path[200];
	struct http_resp r = http("GET", "/api/v1/quarantine?token=" TOKEN, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	char want[80];
	snprintf(want, sizeof(want), "\"id\":\"%s\"", qid);
	ck_assert_ptr_nonnull(strstr(r.body, want));
	ck_assert_ptr_nonnull(strstr(r.body, "\"state\":\"held\""));
	http_free(&r);

	snprintf(path, sizeof(path), "/api/v1/quarantine/%s/message?token=" TOKEN, qid);
	r = http("GET", path, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.body_len, sizeof(fx_msg) - 1);
	ck_assert_int_eq(memcmp(r.body, fx_msg, r.body_len), 0);
	http_free(&r);

	snprintf(path, sizeof(path), "/api/v1/quarantine/%s/release?token=" TOKEN, qid);
	r = http("POST", path, NULL, NULL);
	ck_assert_int_eq(r.status, 202);
	ck_assert_int_eq(relayed.calls, 1);
	ck_assert_str_eq(relayed.from, "alice@corp.example");
	http_free(&r);
	r = http("POST", path, NULL, NULL);
	ck_assert_int_eq(r.status, 409);
	http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/quarantine/%s?token=" TOKEN, qid);
	r = http("DELETE", path, NULL, NULL);
	ck_assert_int_eq(r.status, 409);
	http_free(&r);
	/* the upstream accepted it: gone */
	ck_assert_int_eq(quarantine_store_release_done(qs, qid, true), 0);
	r = http("GET", path, NULL, NULL);
	ck_assert_int_eq(r.status, 404);
	http_free(&r);

	/* a second item, deleted with POST .../delete */
	struct iovec iov = {(void *)fx_msg, 10};
	struct quarantine_item it = {.mail_from = "", .iov = &iov, .n_iov = 1, .size = 10};
	char id2[QUARANTINE_ID_LEN + 1];
	ck_assert_int_eq(quarantine_store_put(qs, &it, id2), 0);
	snprintf(path, sizeof(path), "/api/v1/quarantine/%s?token=" TOKEN, id2);
	r = http("GET", path, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "\"from_user\":\"\""));
	http_free(&r);
	snprintf(path, sizeof(path), "/api/v1/quarantine/%s/delete?token=" TOKEN, id2);
	r = http("POST", path, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	http_free(&r);
	r = http("POST", path, NULL, NULL);
	ck_assert_int_eq(r.status, 404);
	http_free(&r);
	r = http("GET", "/api/v1/quarantine/zzzz?token=" TOKEN, NULL, NULL);
	ck_assert_int_eq(r.status, 400);
	http_free(&r);
	r = http("GET", "/api/v1/quarantine/..%2F..%2Fetc%2Fpasswd/message?token=" TOKEN, NULL,
		 NULL);
	ck_assert_msg(r.status == 400 || r.status == 404, "%d", r.status);
	ck_assert_ptr_null(strstr(r.body, "root:"));
	http_free(&r);
	r = http("POST", "/api/v1/quarantine?token=" TOKEN, NULL, NULL);
	ck_assert_int_eq(r.status, 405);
	http_free(&r);
}
END_TEST

START_TEST(test_stats_metrics_limits)
{
	struct http_resp r = http("GET", "/api/v1/stats?token=" TOKEN, NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert(strncmp(r.body,
			  "{\"status\":\"success\",\"msg\":\"\",\"data\":{\"ports\":{\"inside\":{",
			  56) == 0);
	ck_assert_ptr_nonnull(strstr(r.body, "\"messages\":42,"));
	http_free(&r);
	r = http("GET", "/metrics", "Authorization: Bearer " TOKEN "\r\n", NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.head, "Content-Type: text/plain; version=0.0.4"));
	ck_assert_ptr_nonnull(strstr(r.body, "smtpdlp_smtp_messages_total 42\n"));
	/* this request and the ones before were counted by the API */
	ck_assert_ptr_nonnull(strstr(r.body, "smtpdlp_management_api_requests_total 2\n"));
	http_free(&r);

	/* body over max_body (4096 here) */
	char *big = malloc(6000);
	memset(big, 'a', 5999);
	big[5999] = '\0';
	memcpy(big, "token=", 6);
	r = http("POST", "/api/v1/alerts", "Content-Type: application/x-www-form-urlencoded\r\n",
		 big);
	ck_assert_int_eq(r.status, 413);
	ck_assert_ptr_nonnull(strstr(r.body, "request body too large"));
	http_free(&r);
	free(big);
	struct stats_totals t;
	stats_read(st, &t);
	ck_assert_uint_eq(t.c[STATS_API_REQUESTS], 3);
}
END_TEST

START_TEST(test_start_errors)
{
	char err[256];
	static const struct {
		const char *addr, *token, *cert, *key, *db;
		const char *want;
	} cases[] = {
		{"127.0.0.1", "", NULL, NULL, "x", "no API token"},
		{"127.0.0.1", NULL, NULL, NULL, "x", "no API token"},
		{"localhost", "t", NULL, NULL, "x", "is not an IP address"},
		{"127.0.0.1", "t", "/c.pem", NULL, "x", "must be set together"},
		{"127.0.0.1", "t", NULL, NULL, NULL, "no incidents database"},
		{"127.0.0.1", "t", NULL, NULL, "/nonexistent/x.db", "/nonexistent/x.db"},
		{"127.0.0.1", "t", "/nonexistent/c.pem", "/nonexistent/k.pem", dbpath,
		 "/nonexistent/c.pem"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct api_params p = {.listen_address = cases[i].addr,
				       .token = cases[i].token,
				       .tls_cert_file = cases[i].cert,
				       .tls_key_file = cases[i].key,
				       .database = cases[i].db};
		ck_assert_ptr_null(api_start(&p, err, sizeof(err)));
		ck_assert_msg(strstr(err, cases[i].want) != NULL, "%zu: %s", i, err);
	}
	/* the port is taken */
	struct api_params p = {.listen_address = "127.0.0.1",
			       .port = api_port(api),
			       .token = "t",
			       .database = dbpath};
	ck_assert_ptr_null(api_start(&p, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "cannot serve"));
	api_stop(NULL);
}
END_TEST

START_TEST(test_https)
{
	ck_assert(api_tls_supported()); /* Debian's libmicrohttpd12 is built with GnuTLS */
	char cmd[1024], cert[160], key[160], err[256];
	snprintf(cert, sizeof(cert), "%s/api.pem", dir);
	snprintf(key, sizeof(key), "%s/api.key", dir);
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
		 "-subj /CN=127.0.0.1 -keyout %s -out %s >/dev/null 2>&1",
		 key, cert);
	ck_assert_int_eq(system(cmd), 0);
	struct api_params p = {.listen_address = "127.0.0.1",
			       .token = TOKEN,
			       .tls_cert_file = cert,
			       .tls_key_file = key,
			       .database = dbpath,
			       .stats = st};
	struct api *tls = api_start(&p, err, sizeof(err));
	ck_assert_msg(tls != NULL, "%s", err);
	snprintf(cmd, sizeof(cmd),
		 "curl -sk --max-time 10 -H 'Netskope-Api-Token: " TOKEN "' "
		 "https://127.0.0.1:%u/api/v2/events/data/alert?limit=1",
		 api_port(tls));
	FILE *f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	char out[8192];
	size_t n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	ck_assert_int_eq(pclose(f), 0);
	ck_assert_msg(strncmp(out, "{\"ok\":1,\"result\":[{", 19) == 0, "%s", out);
	/* plain HTTP to the HTTPS port gets no HTTP answer */
	snprintf(cmd, sizeof(cmd),
		 "curl -s --max-time 5 http://127.0.0.1:%u/api/v1/stats?token=" TOKEN
		 " >/dev/null 2>&1",
		 api_port(tls));
	ck_assert_int_ne(system(cmd), 0);
	api_stop(tls);
}
END_TEST

/* The daemon's threading, end to end: producer threads (the lcores) push
 * incidents on the MPSC queue, this thread (the control thread) drains them
 * into the store, while the API thread answers queries from its own
 * read-only connection. */
struct producer {
	struct incident_queue *q;
	int n;
};

static void *producer_main(void *arg)
{
	struct producer *p = arg;
	for (int i = 0; i < p->n; i++) {
		struct incident *inc =
			mk_incident("Load", CFG_ACTION_ALERT, "load", "x@ext.example", 1);
		while (incident_queue_push(p->q, inc) != 0)
			sched_yield();
	}
	return NULL;
}

START_TEST(test_pipeline_threads)
{
	enum { NP = 2, N = 300 };
	struct incident_queue *q = incident_queue_create(64);
	ck_assert_ptr_nonnull(q);
	pthread_t th[NP];
	struct producer pr = {q, N};
	for (int i = 0; i < NP; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, producer_main, &pr), 0);
	int stored = 0, polls = 0;
	while (stored < NP * N) {
		size_t dropped;
		int n = incident_store_drain(store, q, 100, &dropped);
		ck_assert_int_ge(n, 0);
		ck_assert_uint_eq(dropped, 0);
		stored += n;
		if (n == 0 || polls < 5) {
			struct http_resp r = http("GET",
						  "/api/v1/alerts?token=" TOKEN
						  "&query=policy%20eq%20'Load'&limit=5000",
						  NULL, NULL);
			ck_assert_int_eq(r.status, 200);
			ck_assert_int_le(count(r.body, "\"_id\":"), stored);
			http_free(&r);
			polls++;
		}
	}
	for (int i = 0; i < NP; i++)
		pthread_join(th[i], NULL);
	ck_assert_ptr_null(incident_queue_pop(q));
	incident_queue_destroy(q);
	struct http_resp r =
		http("GET", "/api/v1/alerts?token=" TOKEN "&query=policy%20eq%20'Load'&limit=5000",
		     NULL, NULL);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(count(r.body, "\"_id\":"), NP * N);
	http_free(&r);
}
END_TEST

/* api_json_str: every byte sequence gives valid JSON; valid UTF-8 kept. */
static const struct {
	const char *in;
	size_t len;
	const char *out;
} json_cases[] = {
	{"plain", 5, "\"plain\""},
	{"q\"b\\s/", 6, "\"q\\\"b\\\\s/\""},
	{"\b\f\n\r\t\x01\x1f\x7f", 8, "\"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f\""},
	{"a\0b", 3, "\"a\\u0000b\""},
	{"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""},
	{"\xff", 1, "\"\\ufffd\""},
	{"\xc0\xaf", 2, "\"\\ufffd\\ufffd\""},			     /* overlong '/' */
	{"\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\""},	     /* surrogate */
	{"\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""}, /* > U+10FFFF */
	{"\xe2\x82", 2, "\"\\ufffd\\ufffd\""},			     /* truncated */
	{"x\xe2\x82\xacy\x80", 6, "\"x\xe2\x82\xacy\\ufffd\""},
};

START_TEST(test_json_escape)
{
	struct api_buf b = {0};
	api_json_str(&b, json_cases[_i].in, json_cases[_i].len);
	size_t len;
	char *s = api_buf_steal(&b, &len);
	ck_assert_ptr_nonnull(s);
	ck_assert_str_eq(s, json_cases[_i].out);
	free(s);
	api_json_cstr(&b, NULL);
	s = api_buf_steal(&b, NULL);
	ck_assert_str_eq(s, "null");
	free(s);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_seed_request);
	tcase_add_loop_test(tc, test_auth_table, 0, sizeof(auth_cases) / sizeof(auth_cases[0]));
	tcase_add_loop_test(tc, test_param_table, 0, sizeof(param_cases) / sizeof(param_cases[0]));
	tcase_add_loop_test(tc, test_body_table, 0, sizeof(body_cases) / sizeof(body_cases[0]));
	tcase_add_test(tc, test_v2);
	tcase_add_test(tc, test_v2_iterator);
	tcase_add_test(tc, test_incident_detail_forensics_ack);
	tcase_add_test(tc, test_quarantine_endpoints);
	tcase_add_test(tc, test_stats_metrics_limits);
	tcase_add_test(tc, test_start_errors);
	tcase_add_test(tc, test_https);
	tcase_add_test(tc, test_pipeline_threads);
	suite_add_tcase(s, tc);
	TCase *tj = tcase_create("json");
	tcase_add_loop_test(tj, test_json_escape, 0, sizeof(json_cases) / sizeof(json_cases[0]));
	suite_add_tcase(s, tj);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
