/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_dlp_engine.c — libFuzzer target for the whole DLP path: MIME
 * decoding, the Hyperscan matcher, entities (dictionary with phrases and
 * weights, a regex, the three identifiers), rule expressions (AND OR NOT
 * NEAR), the three count modes and policy selection (dlp/).
 *
 * The configuration is fixed and built once (cfg_load_string() with the
 * dictionary CSV written to a temporary directory), as are the policy set
 * and one scanner. Byte 0 picks the envelope (given, or taken from the
 * headers) and whether the second pass is abandoned half-way; bytes 1..2
 * seed the chunking; the rest is the raw message. It is scanned twice —
 * in one piece and in pseudo-random chunks of 1 byte to 4 KiB — and the two
 * verdicts must agree (action, policy, severity, rule and entity counts,
 * anomalies, byte counts): the result may not depend on the split.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg.h"
#include "dlp/dlp.h"

#define FZ_CHECK(c)                                                                             \
	do {                                                                                    \
		if (!(c)) {                                                                     \
			fprintf(stderr, "fuzz_dlp_engine: %s:%d: check failed: %s\n", __FILE__, \
				__LINE__, #c);                                                  \
			abort();                                                                \
		}                                                                               \
	} while (0)

static const char fz_dict[] = "term,weight\n"
			      "Customer,2\n"
			      "\"Account Manager\",3\n"
			      "\"Sales Engineer\"\n"
			      "entitlement\n"
			      "Geheimhaltungsstufe\n"
			      "stra\xc3\x9f"
			      "e\n"
			      "\"confidential project\",5\n"
			      "discount,-1\n";

static const char fz_conf[] =
	"dlp: {\n"
	"  internal_domains = [ \"corp.example\" ];\n"
	"  on_unscannable = \"hold\";\n"
	"  scan_limit = 1048576;\n"
	"  limits: { max_depth = 8; max_parts = 64; max_header_bytes = 16384;\n"
	"            max_line_length = 4096; max_matches = 8; };\n"
	"  entities = (\n"
	"    { name = \"words\"; type = \"dictionary\"; file = \"dict.csv\"; },\n"
	"    { name = \"project-code\"; type = \"regex\"; pattern = \"PRJ-[0-9]{6}\"; },\n"
	"    { name = \"card\"; type = \"identifier\"; identifier = \"payment-card\"; },\n"
	"    { name = \"ssn\"; type = \"identifier\"; identifier = \"us-ssn\"; },\n"
	"    { name = \"iban\"; type = \"identifier\"; identifier = \"iban\"; }\n"
	"  );\n"
	"  rules = (\n"
	"    { name = \"Words\"; match = \"words\"; count = \"unique\";\n"
	"      severity = { low = 1; medium = 2; high = 3; critical = 4; };\n"
	"      scope = [ \"content\", \"metadata\" ]; },\n"
	"    { name = \"Score\"; match = \"words OR project-code\"; count = \"score\";\n"
	"      severity = { low = 2; high = 6; }; scope = [ \"content\" ]; },\n"
	"    { name = \"Cards near SSN\"; match = \"card NEAR(20) ssn\"; count = \"total\";\n"
	"      severity = { high = 1; }; scope = [ \"content\" ]; },\n"
	"    { name = \"IBAN not project\"; match = \"iban AND NOT (project-code)\";\n"
	"      count = \"total\"; severity = { medium = 1; };\n"
	"      scope = [ \"content\", \"metadata\" ]; }\n"
	"  );\n"
	"  profiles = (\n"
	"    { name = \"Customer\"; rules = [ \"Words\", \"Score\" ]; },\n"
	"    { name = \"PCI\"; rules = [ \"Cards near SSN\", \"IBAN not project\" ]; }\n"
	"  );\n"
	"};\n"
	"policies = (\n"
	"  { name = \"Block PCI\"; to = { external = true; }; profiles = [ \"PCI\" ];\n"
	"    min_severity = \"medium\"; action = \"block\"; notify_sender = true; },\n"
	"  { name = \"Hold customer\"; from = { domains = [ \"corp.example\" ]; };\n"
	"    profiles = [ \"Customer\" ]; min_severity = \"low\"; action = \"add-header\";\n"
	"    header = { name = \"X-DLP-Hold\"; value = \"Customer email Hold\"; }; },\n"
	"  { name = \"Alert\"; profiles = [ \"Customer\", \"PCI\" ]; min_severity = \"low\";\n"
	"    action = \"alert\"; }\n"
	");\n";

/* FZ_RELAX in the environment skips checks, to look past a known bug:
 * 'a' never abandon a transaction, 'l' ignore the line-length anomaly bit
 * when comparing the two passes. */
static bool fz_no_abort;
static uint32_t fz_anom_mask = ~0u;
static char fz_dir[64];
static struct cfg *fz_cfg;
static struct dlp_policy_set *fz_ps;
static struct dlp_scanner *fz_sc;

static void fz_cleanup(void)
{
	char p[128];

	dlp_scanner_destroy(fz_sc);
	dlp_policy_set_unref(fz_ps);
	cfg_free(fz_cfg);
	snprintf(p, sizeof(p), "%s/dict.csv", fz_dir);
	unlink(p);
	rmdir(fz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[128], err[512];

	(void)argc;
	(void)argv;
	fz_no_abort = getenv("FZ_RELAX") && strchr(getenv("FZ_RELAX"), 'a');
	if (getenv("FZ_RELAX") && strchr(getenv("FZ_RELAX"), 'l'))
		fz_anom_mask &= ~(uint32_t)DLP_ANOM_LINE_LENGTH;
	snprintf(fz_dir, sizeof(fz_dir), "/tmp/fuzz_dlp_engine.XXXXXX");
	FZ_CHECK(mkdtemp(fz_dir) != NULL);
	atexit(fz_cleanup);
	snprintf(path, sizeof(path), "%s/dict.csv", fz_dir);
	FILE *f = fopen(path, "w");
	FZ_CHECK(f != NULL);
	FZ_CHECK(fwrite(fz_dict, 1, sizeof(fz_dict) - 1, f) == sizeof(fz_dict) - 1);
	FZ_CHECK(fclose(f) == 0);
	snprintf(path, sizeof(path), "%s/fuzz.conf", fz_dir);
	fz_cfg = cfg_load_string(fz_conf, path, err, sizeof(err));
	if (fz_cfg == NULL) {
		fprintf(stderr, "fuzz_dlp_engine: config: %s\n", err);
		abort();
	}
	fz_ps = dlp_policy_set_build(fz_cfg, err, sizeof(err));
	if (fz_ps == NULL) {
		fprintf(stderr, "fuzz_dlp_engine: policy set: %s\n", err);
		abort();
	}
	fz_sc = dlp_scanner_create(fz_ps);
	FZ_CHECK(fz_sc != NULL);
	return 0;
}

static uint32_t fz_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 32);
}

/* Scan d in chunks (seed 0: one piece). Abandon after `abort_at` bytes if
 * not SIZE_MAX; returns NULL then. */
static struct dlp_verdict *fz_scan(const struct dlp_envelope *env, const uint8_t *d, size_t n,
				   uint64_t seed, size_t abort_at)
{
	struct dlp_txn *t = dlp_txn_begin(fz_sc, env);
	size_t i = 0;

	FZ_CHECK(t != NULL);
	while (i < n) {
		size_t k = n - i;
		if (seed) {
			size_t c = 1 + fz_rand(&seed) % (fz_rand(&seed) % 4 ? 64 : 4096);
			if (c < k)
				k = c;
		}
		if (i < abort_at && i + k >= abort_at) {
			dlp_txn_abort(t);
			return NULL;
		}
		FZ_CHECK(dlp_txn_feed(t, d + i, k) == 0);
		i += k;
	}
	struct dlp_verdict *v = dlp_txn_end(t);
	FZ_CHECK(v != NULL);
	return v;
}

static void fz_check_verdict(const struct dlp_verdict *v, size_t n)
{
	FZ_CHECK(v->raw_bytes == n);
	FZ_CHECK(v->policy != NULL || v->action == CFG_ACTION_ALLOW);
	FZ_CHECK(v->unscannable == ((v->anomalies & DLP_ANOM_UNSCANNABLE) != 0));
	for (size_t i = 0; i < v->n_entities; i++) {
		const struct dlp_entity_result *e = &v->entities[i];
		FZ_CHECK(e->name != NULL);
		FZ_CHECK(e->count >= 1 && e->unique_count >= 1 && e->unique_count <= e->count);
		FZ_CHECK(e->n_matches <= 8 && e->n_matches <= e->count);
		for (size_t k = 0; k < e->n_matches; k++)
			FZ_CHECK(e->matches[k].part != NULL &&
				 (e->matches[k].term != NULL || e->matches[k].value != NULL));
	}
	for (size_t i = 0; i < v->n_rules; i++)
		FZ_CHECK(v->rules[i].name != NULL && v->rules[i].severity != CFG_SEV_NONE);
	for (size_t i = 0; i < v->n_rcpts; i++)
		FZ_CHECK(v->rcpts[i] != NULL);
}

/* FZ_TRACE=1: print the one-piece verdict. */
static void fz_trace(const struct dlp_verdict *v)
{
	fprintf(stderr, "fz: action %d policy %s severity %d anomalies %#x decoded %llu\n",
		(int)v->action, v->policy ? v->policy : "-", (int)v->severity, v->anomalies,
		(unsigned long long)v->decoded_bytes);
	for (size_t i = 0; i < v->n_rules; i++)
		fprintf(stderr, "fz:   rule %s sev %d count %u unique %u score %lld\n",
			v->rules[i].name, (int)v->rules[i].severity, v->rules[i].count,
			v->rules[i].unique_count, (long long)v->rules[i].score);
	for (size_t i = 0; i < v->n_entities; i++) {
		fprintf(stderr, "fz:   entity %s count %u unique %u\n", v->entities[i].name,
			v->entities[i].count, v->entities[i].unique_count);
		for (size_t k = 0; k < v->entities[i].n_matches; k++)
			fprintf(stderr, "fz:     %s %s @%s+%llu\n",
				v->entities[i].matches[k].term ? v->entities[i].matches[k].term
							       : "",
				v->entities[i].matches[k].value ? v->entities[i].matches[k].value
								: "",
				v->entities[i].matches[k].part,
				(unsigned long long)v->entities[i].matches[k].offset);
	}
}

static bool fz_same(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

static void fz_compare(const struct dlp_verdict *a, const struct dlp_verdict *b)
{
	FZ_CHECK(a->action == b->action);
	FZ_CHECK(fz_same(a->policy, b->policy));
	FZ_CHECK(fz_same(a->profile, b->profile));
	FZ_CHECK(a->severity == b->severity);
	FZ_CHECK((a->anomalies & fz_anom_mask) == (b->anomalies & fz_anom_mask));
	FZ_CHECK(a->decoded_bytes == b->decoded_bytes);
	FZ_CHECK(fz_same(a->subject, b->subject));
	FZ_CHECK(fz_same(a->from, b->from));
	FZ_CHECK(a->n_rcpts == b->n_rcpts);
	FZ_CHECK(a->n_rules == b->n_rules);
	for (size_t i = 0; i < a->n_rules; i++) {
		FZ_CHECK(strcmp(a->rules[i].name, b->rules[i].name) == 0);
		FZ_CHECK(a->rules[i].severity == b->rules[i].severity);
		FZ_CHECK(a->rules[i].count == b->rules[i].count);
		FZ_CHECK(a->rules[i].unique_count == b->rules[i].unique_count);
		FZ_CHECK(a->rules[i].score == b->rules[i].score);
	}
	FZ_CHECK(a->n_entities == b->n_entities);
	for (size_t i = 0; i < a->n_entities; i++) {
		FZ_CHECK(strcmp(a->entities[i].name, b->entities[i].name) == 0);
		FZ_CHECK(a->entities[i].count == b->entities[i].count);
		FZ_CHECK(a->entities[i].unique_count == b->entities[i].unique_count);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const rcpts[] = {"someone@external.example", "boss@corp.example"};
	struct dlp_envelope env = {0};

	if (size < 3)
		return 0;
	uint8_t c = data[0];
	uint64_t seed = 0x9e3779b97f4a7c15ull ^ ((uint64_t)data[1] << 8 | data[2]);
	data += 3;
	size -= 3;
	if (c & 1) {
		env.mail_from = (c & 2) ? "alice@corp.example" : "eve@outside.example";
		env.rcpts = rcpts;
		env.n_rcpts = (c & 4) ? 2 : 1;
	}

	struct dlp_verdict *one = fz_scan(&env, data, size, 0, SIZE_MAX);
	fz_check_verdict(one, size);
	if (getenv("FZ_TRACE"))
		fz_trace(one);
	size_t abort_at = (c & 8) && size > 1 && !fz_no_abort ? size / 2 : SIZE_MAX;
	struct dlp_verdict *two = fz_scan(&env, data, size, seed, abort_at);
	if (two != NULL) {
		fz_check_verdict(two, size);
		if (getenv("FZ_TRACE"))
			fz_trace(two);
		fz_compare(one, two);
	}
	dlp_verdict_free(one);
	dlp_verdict_free(two);
	return 0;
}
