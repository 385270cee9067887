/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_cfg.c — Check suite for the config loader (config/cfg.c).
 *
 * Good configurations are loaded and their typed values compared; bad ones
 * must fail with the exact "file:line: setting: what" message. The suite
 * runs in a scratch directory holding the small files configurations refer
 * to (dictionaries, lists, token, certificates); the shipped examples are
 * loaded from $SMTPDLP_SOURCE_ROOT/config/examples.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg.h"

static char scratch[] = "/tmp/smtpdlp-cfg-XXXXXX";

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		abort();
	}
}

/* Absolute source root, resolved before the suite changes directory. */
static char root[PATH_MAX];

static const char *source_root(void)
{
	return root;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Minimal valid dlp section and policy list, 3 + 1 lines. */
#define D                                                                               \
	"dlp: { entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n" \
	" rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"     \
	" profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n"
#define P "policies = ( { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; } );\n"
/* Minimal dataplane, 2 lines. */
#define DP                                                     \
	"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n" \
	" ports = ( { name = \"in\"; device = \"net_null0\"; ipv4 = \"192.0.2.10/24\"; } ); };\n"

static struct cfg *load_ok(const char *text)
{
	char err[512];
	struct cfg *c = cfg_load_string(text, "t.conf", err, sizeof(err));

	ck_assert_msg(c != NULL, "unexpected error: %s", err);
	return c;
}

/* ------------------------------------------------------------ good ones */

START_TEST(test_defaults)
{
	struct cfg *c = load_ok(D P);

	ck_assert_str_eq(c->path, "t.conf");
	ck_assert_str_eq(c->base_dir, ".");
	ck_assert_ptr_nonnull(c->hostname);
	ck_assert_uint_eq(c->dataplane.n_ports, 0);
	ck_assert_uint_eq(c->dataplane.mbufs, 16384);
	ck_assert_uint_eq(c->dataplane.idle_sleep_us, 0);
	ck_assert_uint_eq(c->tcp.max_connections, 65536);
	ck_assert_int_eq(c->tcp.syn_cookies, CFG_SYN_COOKIES_AUTO);
	ck_assert_uint_eq(c->tcp.max_per_source, 256);
	ck_assert_uint_eq(c->tcp.syn_backlog, 1024);
	ck_assert_uint_eq(c->smtp.n_listen, 0);
	ck_assert_uint_eq(c->smtp.max_message_size, 52428800);
	ck_assert_uint_eq(c->smtp.max_recipients, 1000);
	ck_assert_uint_eq(c->smtp.max_line_length, 1000);
	ck_assert_int_eq(c->smtp.bare_lf, CFG_BARE_LF_REJECT);
	ck_assert_str_eq(c->smtp.block_reply, "Message blocked by data loss prevention policy %p");
	ck_assert_uint_eq(c->smtp.timeouts.command, 300);
	ck_assert_uint_eq(c->smtp.timeouts.data, 600);
	ck_assert_uint_eq(c->smtp.timeouts.upstream, 120);
	ck_assert_uint_eq(c->smtp.timeouts.connect, 30);
	ck_assert_uint_eq(c->smtp.timeouts.data_total, 3600);
	ck_assert_uint_eq(c->smtp.upstream.tcp_port, 25);
	ck_assert_int_eq(c->smtp.upstream.tls, CFG_UP_TLS_OPPORTUNISTIC);
	ck_assert_uint_eq(c->smtp.upstream.pool_idle, 8);
	ck_assert_ptr_null(c->tls.certificate);
	ck_assert_uint_eq(c->dlp.scan_limit, 33554432);
	ck_assert_int_eq(c->dlp.on_unscannable, CFG_UNSCANNABLE_TEMPFAIL);
	ck_assert_str_eq(c->dlp.inspected_header, "X-SMTPDLP-Inspected");
	ck_assert_uint_eq(c->dlp.limits.max_depth, 20);
	ck_assert_uint_eq(c->dlp.limits.max_parts, 1000);
	ck_assert_uint_eq(c->dlp.limits.max_header_bytes, 262144);
	ck_assert_uint_eq(c->dlp.limits.max_line_length, 65536);
	ck_assert_uint_eq(c->dlp.limits.max_matches, 100);
	ck_assert_uint_eq(c->dlp.n_entities, 1);
	ck_assert_int_eq(c->dlp.entities[0].type, CFG_ENTITY_REGEX);
	ck_assert_str_eq(c->dlp.entities[0].pattern, "x");
	ck_assert_int_eq(c->dlp.entities[0].line, 1);
	ck_assert_int_eq(c->dlp.rules[0].count, CFG_COUNT_UNIQUE);
	ck_assert_uint_eq(c->dlp.rules[0].scope, CFG_SCOPE_CONTENT);
	ck_assert_int_eq(c->dlp.rules[0].severity[CFG_SEV_LOW], 1);
	ck_assert_int_eq(c->dlp.rules[0].severity[CFG_SEV_CRITICAL], 0);
	ck_assert_int_eq(c->dlp.rules[0].line, 2);
	ck_assert_int_eq(c->dlp.profiles[0].line, 3);
	ck_assert_uint_eq(c->n_policies, 1);
	ck_assert(c->policies[0].enabled);
	ck_assert(c->policies[0].from.any);
	ck_assert(c->policies[0].to.any);
	ck_assert(!c->policies[0].to.external);
	ck_assert_int_eq(c->policies[0].min_severity, CFG_SEV_LOW);
	ck_assert_int_eq(c->policies[0].action, CFG_ACTION_ALERT);
	ck_assert_ptr_null(c->policies[0].header_name);
	ck_assert_int_eq(c->policies[0].line, 4);
	ck_assert_str_eq(c->incidents.database, "/var/lib/smtpdlp/incidents.db");
	ck_assert(!c->incidents.forensics_enabled);
	ck_assert_str_eq(c->incidents.forensics_directory, "/var/lib/smtpdlp/forensics");
	ck_assert_str_eq(c->incidents.quarantine_directory, "/var/lib/smtpdlp/quarantine");
	ck_assert_uint_eq(c->incidents.forensics_max_bytes, 1073741824);
	ck_assert_uint_eq(c->incidents.retention_days, 30);
	ck_assert_str_eq(c->api.listen_address, "127.0.0.1");
	ck_assert_uint_eq(c->api.listen_port, 8080);
	ck_assert_ptr_null(c->api.token);
	ck_assert_ptr_nonnull(c->notify.from);
	ck_assert_str_eq(c->notify.from + strlen("postmaster@"), c->hostname);
	ck_assert_str_eq(c->notify.subject, "Policy violation: {policy}");
	ck_assert_ptr_null(c->notify.template_file);
	ck_assert_ptr_null(c->notify.template);
	cfg_free(c);
}
END_TEST

START_TEST(test_notify)
{
	struct cfg *c = load_ok(D P "appliance: { hostname = \"gw.example\"; };\n"
				    "notify: { from = \"dlp-notices@corp.example\";\n"
				    " subject = \"R\xc3\xa9gle {policy} viol\xc3\xa9"
				    "e\"; template_file = \"notice.txt\"; };\n");

	ck_assert_str_eq(c->notify.from, "dlp-notices@corp.example");
	ck_assert_str_eq(c->notify.subject, "R\xc3\xa9gle {policy} viol\xc3\xa9"
					    "e");
	ck_assert_str_eq(c->notify.template_file, "notice.txt");
	ck_assert_str_eq(c->notify.template, "Hello {sender},\nyour message hit {policy}.\n");
	cfg_free(c);
	c = load_ok(D P "appliance: { hostname = \"gw.example\"; };\n");
	ck_assert_str_eq(c->notify.from, "postmaster@gw.example");
	cfg_free(c);
}
END_TEST

START_TEST(test_seed_example)
{
	char path[8192], err[512];
	struct cfg *c;
	static const char *const terms[] = {"Customer", "Account Manager", "Sales Engineer",
					    "Purchase date"};

	snprintf(path, sizeof(path), "%s/config/examples/seed.conf", source_root());
	c = cfg_load(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->dlp.n_internal_domains, 1);
	ck_assert_str_eq(c->dlp.internal_domains[0], "corp.example");
	ck_assert_uint_eq(c->dlp.n_entities, 1);
	ck_assert_str_eq(c->dlp.entities[0].name, "customer-entitlement");
	ck_assert_int_eq(c->dlp.entities[0].type, CFG_ENTITY_DICTIONARY);
	ck_assert(!c->dlp.entities[0].case_sensitive);
	ck_assert_uint_eq(c->dlp.entities[0].n_terms, 4);
	for (size_t i = 0; i < 4; i++) {
		ck_assert_str_eq(c->dlp.entities[0].terms[i].term, terms[i]);
		ck_assert_int_eq(c->dlp.entities[0].terms[i].weight, 1);
	}
	ck_assert_uint_eq(c->dlp.n_rules, 1);
	ck_assert_str_eq(c->dlp.rules[0].name, "Customer entitlement email");
	ck_assert_str_eq(c->dlp.rules[0].match, "customer-entitlement");
	ck_assert_int_eq(c->dlp.rules[0].count, CFG_COUNT_UNIQUE);
	ck_assert_int_eq(c->dlp.rules[0].severity[CFG_SEV_LOW], 2);
	ck_assert_int_eq(c->dlp.rules[0].severity[CFG_SEV_MEDIUM], 3);
	ck_assert_int_eq(c->dlp.rules[0].severity[CFG_SEV_HIGH], 4);
	ck_assert_int_eq(c->dlp.rules[0].severity[CFG_SEV_CRITICAL], 4);
	ck_assert_uint_eq(c->dlp.n_profiles, 1);
	ck_assert_str_eq(c->dlp.profiles[0].rules[0], "Customer entitlement email");
	ck_assert_uint_eq(c->n_policies, 1);
	ck_assert_str_eq(c->policies[0].name, "Customer email Hold");
	ck_assert_int_eq(c->policies[0].action, CFG_ACTION_ADD_HEADER);
	ck_assert_str_eq(c->policies[0].header_name, "X-DLP-Hold");
	ck_assert_str_eq(c->policies[0].header_value, "Customer email Hold");
	ck_assert(!c->policies[0].from.any);
	ck_assert_uint_eq(c->policies[0].from.n_domains, 1);
	ck_assert_str_eq(c->policies[0].from.domains[0], "corp.example");
	ck_assert(c->policies[0].to.external);
	ck_assert(!c->policies[0].to.any);
	ck_assert_str_eq(c->policies[0].profiles[0], "Customer data");
	cfg_free(c);
}
END_TEST

START_TEST(test_pci_example)
{
	char path[8192], err[512];
	struct cfg *c;
	static const enum cfg_identifier ids[] = {CFG_ID_PAYMENT_CARD, CFG_ID_US_SSN, CFG_ID_IBAN};

	snprintf(path, sizeof(path), "%s/config/examples/pci.conf", source_root());
	c = cfg_load(path, err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_uint_eq(c->dlp.n_entities, 3);
	for (size_t i = 0; i < 3; i++) {
		ck_assert_int_eq(c->dlp.entities[i].type, CFG_ENTITY_IDENTIFIER);
		ck_assert_int_eq(c->dlp.entities[i].identifier, ids[i]);
	}
	ck_assert_int_eq(c->dlp.on_unscannable, CFG_UNSCANNABLE_HOLD);
	ck_assert_uint_eq(c->dlp.n_rules, 3);
	ck_assert_int_eq(c->dlp.rules[1].severity[CFG_SEV_LOW], 0);
	ck_assert_int_eq(c->dlp.rules[1].severity[CFG_SEV_MEDIUM], 1);
	ck_assert_int_eq(c->dlp.rules[2].count, CFG_COUNT_TOTAL);
	ck_assert_uint_eq(c->dlp.rules[2].scope, CFG_SCOPE_CONTENT | CFG_SCOPE_METADATA);
	ck_assert_uint_eq(c->dlp.profiles[0].n_rules, 2);
	ck_assert_uint_eq(c->n_policies, 2);
	ck_assert_int_eq(c->policies[0].action, CFG_ACTION_BLOCK);
	ck_assert(c->policies[0].to.external);
	ck_assert(c->policies[0].from.any);
	ck_assert(c->policies[0].notify_sender);
	ck_assert_int_eq(c->policies[1].action, CFG_ACTION_ALERT);
	ck_assert(c->policies[1].to.any);
	cfg_free(c);
}
END_TEST

/* The full appliance example, with the lab-generated files faked. */
START_TEST(test_full_example)
{
	char path[8192], err[512], *text;
	struct cfg *c;

	snprintf(path, sizeof(path), "%s/config/examples/smtpdlp.conf", source_root());
	text = slurp(path);
	c = cfg_load_string(text, "full/smtpdlp.conf", err, sizeof(err));
	free(text);
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->base_dir, "full");
	ck_assert_str_eq(c->hostname, "dlp-gw1.corp.example");
	ck_assert_uint_eq(c->dataplane.n_eal, 6);
	ck_assert_str_eq(c->dataplane.eal[1], "0-1");
	ck_assert_uint_eq(c->dataplane.n_io_lcores, 1);
	ck_assert_uint_eq(c->dataplane.io_lcores[0], 1);
	ck_assert_uint_eq(c->dataplane.dlp_lcores[0], 1);
	ck_assert_uint_eq(c->dataplane.n_ports, 2);
	ck_assert_str_eq(c->dataplane.ports[0].name, "inside");
	ck_assert_str_eq(c->dataplane.ports[0].device, "net_af_packet0,iface=dlp-in");
	ck_assert_uint_eq(c->dataplane.ports[0].ipv4, 0xc000020a);
	ck_assert_uint_eq(c->dataplane.ports[0].prefix_len, 24);
	ck_assert_uint_eq(c->dataplane.ports[0].gateway, 0xc0000201);
	ck_assert_uint_eq(c->dataplane.ports[1].ipv4, 0xc633640a);
	ck_assert_uint_eq(c->dataplane.ports[1].mtu, 1500);
	ck_assert(c->dataplane.fault.drop == 0.0);
	ck_assert_uint_eq(c->smtp.n_listen, 2);
	ck_assert_str_eq(c->smtp.listen[0].port, "inside");
	ck_assert_uint_eq(c->smtp.listen[0].address, 0xc000020a);
	ck_assert_uint_eq(c->smtp.listen[0].tcp_port, 25);
	ck_assert_int_eq(c->smtp.listen[0].tls, CFG_LISTEN_STARTTLS);
	ck_assert_uint_eq(c->smtp.listen[1].tcp_port, 465);
	ck_assert_int_eq(c->smtp.listen[1].tls, CFG_LISTEN_IMPLICIT);
	ck_assert_str_eq(c->smtp.upstream.port, "outside");
	ck_assert_uint_eq(c->smtp.upstream.address, 0xc6336419);
	ck_assert_int_eq(c->smtp.upstream.tls, CFG_UP_TLS_OPPORTUNISTIC);
	ck_assert(!c->smtp.upstream.verify);
	ck_assert_str_eq(c->smtp.upstream.ca_file, "full/certs/upstream-ca.pem");
	ck_assert_str_eq(c->smtp.upstream.server_name, "mx.upstream.example");
	ck_assert_str_eq(c->tls.certificate, "full/certs/smtpdlp.pem");
	ck_assert_str_eq(c->tls.key, "full/certs/smtpdlp.key");
	ck_assert_int_eq(c->tls.min_version, CFG_TLS_1_2);
	ck_assert_uint_eq(c->dlp.n_entities, 3);
	ck_assert_str_eq(c->dlp.entities[0].file, "full/dictionaries/customer-entitlement.csv");
	ck_assert_uint_eq(c->dlp.entities[0].n_terms, 4);
	ck_assert_str_eq(c->dlp.entities[2].pattern, "PRJ-[0-9]{6}");
	ck_assert_uint_eq(c->n_policies, 4);
	ck_assert_int_eq(c->policies[1].action, CFG_ACTION_QUARANTINE);
	ck_assert_uint_eq(c->policies[1].from.n_addresses, 2);
	ck_assert_str_eq(c->policies[1].from.addresses[1], "cfo@corp.example");
	ck_assert_int_eq(c->policies[2].min_severity, CFG_SEV_MEDIUM);
	ck_assert(c->incidents.forensics_enabled);
	ck_assert_str_eq(c->incidents.quarantine_directory, "/var/lib/smtpdlp/quarantine");
	ck_assert_str_eq(c->api.token, "full-token");
	ck_assert_str_eq(c->notify.from, "postmaster@dlp-gw1.corp.example");
	ck_assert_str_eq(c->notify.template_file, "full/templates/notice.txt");
	ck_assert_ptr_nonnull(strstr(c->notify.template, "{queue_id}"));
	ck_assert_uint_eq(c->api.listen_port, 8080);
	cfg_free(c);
}
END_TEST

START_TEST(test_values)
{
	struct cfg *c = load_ok(
		"appliance: { hostname = \"gw.example\"; };\n"
		"dataplane: { lcores: { io = [ 0, 1 ]; dlp = [ 2 ]; }; mbufs = 4096; idle_sleep_us = 50;\n"
		" ports = ( { name = \"in\"; device = \"net_null0\"; ipv4 = \"203.0.113.5/30\"; } "
		");\n"
		" fault: { drop = 0; duplicate = 1; reorder = 0.25; }; };\n"
		"tcp: { max_connections = 1000; syn_cookies = \"always\"; max_per_source = 10;\n"
		" syn_backlog = 64; };\n"
		"smtp: { listen = ( { port = \"in\"; tcp_port = 2525; } );\n"
		" max_message_size = 5000000000L; max_line_length = 2000; bare_lf = "
		"\"normalize\";\n"
		" block_reply = \"Blocked (%p), 100% sure\";\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; tls = \"none\"; "
		"pool_idle = 0; }; };\n"
		"dlp: { internal_domains = [ \"Corp.Example\", \"corp2.example\" ]; scan_limit = "
		"8589934592L;\n"
		" entities = ( { name = \"d\"; type = \"dictionary\"; file = \"dict.csv\"; "
		"case_sensitive = true; } );\n"
		" rules = ( { name = \"r\"; match = \"d\"; count = \"score\"; severity = { high = "
		"3; };\n"
		"  scope = [ \"metadata\" ]; } );\n"
		" profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n"
		"policies = ( { name = \"q\"; enabled = false; profiles = [ \"p\" ]; action = "
		"\"quarantine\";\n"
		" min_severity = \"high\";\n"
		" from = { addresses = [ \"Boss@Corp.Example\" ]; address_files = [ \"addrs.txt\" "
		"]; };\n"
		" to = { domains = [ \".Partner.example\" ]; domain_files = [ \"domains.txt\" ]; "
		"}; } );\n"
		"incidents: { database = \"db/inc.db\"; forensics = { enabled = true; directory = "
		"\"/srv/f/\";\n"
		" max_bytes = 2147483648L; retention_days = 7; }; };\n"
		"api: { listen = \"192.0.2.1:9443\"; token_file = \"token\";\n"
		" tls = { certificate = \"cert.pem\"; key = \"key.pem\"; }; };\n");

	ck_assert_str_eq(c->hostname, "gw.example");
	ck_assert_uint_eq(c->dataplane.n_io_lcores, 2);
	ck_assert_uint_eq(c->dataplane.dlp_lcores[0], 2);
	ck_assert_uint_eq(c->dataplane.mbufs, 4096);
	ck_assert_uint_eq(c->dataplane.idle_sleep_us, 50);
	ck_assert_uint_eq(c->dataplane.ports[0].prefix_len, 30);
	ck_assert_uint_eq(c->dataplane.ports[0].gateway, 0);
	ck_assert(c->dataplane.fault.duplicate == 1.0);
	ck_assert(c->dataplane.fault.reorder == 0.25);
	ck_assert_int_eq(c->tcp.syn_cookies, CFG_SYN_COOKIES_ALWAYS);
	ck_assert_uint_eq(c->tcp.max_per_source, 10);
	ck_assert_uint_eq(c->tcp.syn_backlog, 64);
	/* the listener's address defaults to its port's */
	ck_assert_uint_eq(c->smtp.listen[0].address, 0xcb007105);
	ck_assert_int_eq(c->smtp.listen[0].tls, CFG_LISTEN_PLAIN);
	ck_assert_int_eq(c->smtp.listen[0].line, 7);
	ck_assert_uint_eq(c->smtp.max_message_size, 5000000000ull);
	ck_assert_uint_eq(c->smtp.max_line_length, 2000);
	ck_assert_int_eq(c->smtp.bare_lf, CFG_BARE_LF_NORMALIZE);
	ck_assert_str_eq(c->smtp.block_reply, "Blocked (%p), 100% sure");
	ck_assert_int_eq(c->smtp.upstream.tls, CFG_UP_TLS_NONE);
	ck_assert_uint_eq(c->smtp.upstream.pool_idle, 0);
	ck_assert_ptr_null(c->smtp.upstream.ca_file);
	ck_assert_str_eq(c->dlp.internal_domains[0], "corp.example");
	ck_assert_uint_eq(c->dlp.scan_limit, 8589934592ull);
	ck_assert(c->dlp.entities[0].case_sensitive);
	ck_assert_str_eq(c->dlp.entities[0].file, "dict.csv");
	ck_assert_uint_eq(c->dlp.entities[0].n_terms, 2);
	ck_assert_str_eq(c->dlp.entities[0].terms[1].term, "beta");
	ck_assert_int_eq(c->dlp.entities[0].terms[1].weight, 2);
	ck_assert_int_eq(c->dlp.entities[0].terms[1].line, 2);
	ck_assert_int_eq(c->dlp.rules[0].count, CFG_COUNT_SCORE);
	ck_assert_int_eq(c->dlp.rules[0].severity[CFG_SEV_HIGH], 3);
	ck_assert_uint_eq(c->dlp.rules[0].scope, CFG_SCOPE_METADATA);
	ck_assert(!c->policies[0].enabled);
	ck_assert_int_eq(c->policies[0].min_severity, CFG_SEV_HIGH);
	ck_assert_uint_eq(c->policies[0].from.n_addresses, 3);
	ck_assert_str_eq(c->policies[0].from.addresses[0], "boss@corp.example");
	ck_assert_str_eq(c->policies[0].from.addresses[1], "alice@corp.example");
	ck_assert_str_eq(c->policies[0].from.addresses[2], "bob@corp.example");
	ck_assert_uint_eq(c->policies[0].to.n_domains, 3);
	ck_assert_str_eq(c->policies[0].to.domains[0], ".partner.example");
	ck_assert_str_eq(c->policies[0].to.domains[2], ".sub.example");
	ck_assert(!c->policies[0].to.any);
	ck_assert(!c->policies[0].to.external);
	ck_assert_str_eq(c->incidents.database, "db/inc.db");
	ck_assert_str_eq(c->incidents.quarantine_directory, "/srv/quarantine");
	ck_assert_uint_eq(c->incidents.forensics_max_bytes, 2147483648ull);
	ck_assert_str_eq(c->api.listen_address, "192.0.2.1");
	ck_assert_uint_eq(c->api.listen_port, 9443);
	ck_assert_str_eq(c->api.token, "s3cret-token");
	ck_assert_str_eq(c->api.tls_certificate, "cert.pem");
	ck_assert_str_eq(c->api.tls_key, "key.pem");
	cfg_free(c);
}
END_TEST

/* Relative paths follow the config file's directory; @include works. */
START_TEST(test_relative_and_include)
{
	char err[512];
	struct cfg *c;

	put_file("sub/t.conf", D "@include \"pol.inc\"\n");
	put_file("sub/pol.inc", P);
	c = cfg_load("sub/t.conf", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	ck_assert_str_eq(c->base_dir, "sub");
	ck_assert_uint_eq(c->n_policies, 1);
	cfg_free(c);

	put_file("sub/bad.inc", "policies = ( { name = \"pol\"; profiles = [ \"nope\" ]; action = "
				"\"alert\"; } );\n");
	put_file("sub/t2.conf", D "@include \"bad.inc\"\n");
	c = cfg_load("sub/t2.conf", err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, "bad.inc:1: policies.[0].profiles.[0]: no profile named \"nope\"");

	put_file("sub/big.inc", "tcp: { max_connections = 4294967297; };\n");
	put_file("sub/t3.conf", D P "@include \"big.inc\"\n");
	c = cfg_load("sub/t3.conf", err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, "big.inc:1: tcp.max_connections: integer does not fit in 32 bits; "
			      "write it with an L suffix (e.g. 5000000000L)");

	put_file("sub/dict.csv", "gamma\n");
	c = cfg_load_string(D P, "sub/x.conf", err, sizeof(err));
	ck_assert_msg(c != NULL, "%s", err);
	cfg_free(c);
}
END_TEST

START_TEST(test_file_errors)
{
	char err[512], small[16];
	struct cfg *c;
	static const char nul_text[] = "dlp: {};\n\0x";
	int fd;

	c = cfg_load("missing.conf", err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_str_eq(err, "missing.conf: cannot read: No such file or directory");

	fd = open("nul.conf", O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, nul_text, sizeof(nul_text) - 1), (int)sizeof(nul_text) - 1);
	close(fd);
	c = cfg_load("nul.conf", err, sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_str_eq(err, "nul.conf:2: contains a NUL byte");

	/* Line numbers come from the file too; truncated messages stay terminated. */
	put_file("bad.conf", "\n\n" D "policies = 3;\n");
	c = cfg_load("bad.conf", small, sizeof(small));
	ck_assert_ptr_null(c);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(small, "bad.conf:6: pol");
	c = cfg_load("bad.conf", err, sizeof(err));
	ck_assert_str_eq(err, "bad.conf:6: policies: must be a list ( { ... }, ... )");

	/* The token's contents never appear in messages. */
	put_file("leak_token", "secret value\n");
	c = cfg_load_string(D P "api: { token_file = \"leak_token\"; };\n", "t.conf", err,
			    sizeof(err));
	ck_assert_ptr_null(c);
	ck_assert_ptr_null(strstr(err, "secret"));
}
END_TEST

/* Entity names with spaces or operator words are fine (quoted in rules). */
/* A small total caps the per-source default. */
START_TEST(test_tcp_small_total)
{
	struct cfg *c = load_ok(D P "tcp: { max_connections = 100; };\n");

	ck_assert_uint_eq(c->tcp.max_connections, 100);
	ck_assert_uint_eq(c->tcp.max_per_source, 100);
	cfg_free(c);
}
END_TEST

/* lcores inside the EAL -l list load; other lcore syntaxes are the EAL's. */
START_TEST(test_eal_lcores)
{
	static const char *const eal[] = {"\"-l\", \"0-2,5\"", "\"-l0-5\"",
					  "\"--lcores\", \"(1,5)@0\"", "\"-l\", \"1-x\""};
	char text[1024];

	for (size_t i = 0; i < sizeof(eal) / sizeof(eal[0]); i++) {
		struct cfg *c;

		snprintf(text, sizeof(text),
			 "dataplane: { eal = [ %s ]; lcores: { io = [ 1, 2 ]; dlp = [ 5 ]; };\n"
			 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; } "
			 "); };\n" D P,
			 eal[i]);
		c = load_ok(text);
		ck_assert_uint_eq(c->dataplane.n_dlp_lcores, 1);
		cfg_free(c);
	}
}
END_TEST

START_TEST(test_entity_names)
{
	struct cfg *c = load_ok(
		"dlp: { entities = ( { name = \"my entity\"; type = \"regex\"; pattern = \"x\"; "
		"},\n"
		" { name = \"NEAR\"; type = \"identifier\"; identifier = \"iban\"; } );\n"
		" rules = ( { name = \"r\"; match = \"\\\"my entity\\\" OR \\\"NEAR\\\"\";\n"
		" severity = { critical = 9; }; } );\n"
		" profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P);

	ck_assert_str_eq(c->dlp.entities[0].name, "my entity");
	ck_assert_str_eq(c->dlp.entities[1].name, "NEAR");
	ck_assert_str_eq(c->dlp.rules[0].match, "\"my entity\" OR \"NEAR\"");
	ck_assert_int_eq(c->dlp.rules[0].severity[CFG_SEV_CRITICAL], 9);
	cfg_free(c);
}
END_TEST

START_TEST(test_names)
{
	static const struct {
		int v;
		const char *name;
	} sev[] = {{CFG_SEV_NONE, "none"},	   {CFG_SEV_LOW, "low"},
		   {CFG_SEV_MEDIUM, "medium"},	   {CFG_SEV_HIGH, "high"},
		   {CFG_SEV_CRITICAL, "critical"}, {77, "unknown"}},
	  act[] = {{CFG_ACTION_ALLOW, "allow"},		  {CFG_ACTION_ALERT, "alert"},
		   {CFG_ACTION_ADD_HEADER, "add-header"}, {CFG_ACTION_BLOCK, "block"},
		   {CFG_ACTION_QUARANTINE, "quarantine"}, {-1, "unknown"}};

	for (size_t i = 0; i < sizeof(sev) / sizeof(sev[0]); i++)
		ck_assert_str_eq(cfg_severity_name((enum cfg_severity)sev[i].v), sev[i].name);
	for (size_t i = 0; i < sizeof(act) / sizeof(act[0]); i++)
		ck_assert_str_eq(cfg_action_name((enum cfg_action)act[i].v), act[i].name);
	cfg_free(NULL);
}
END_TEST

/* ------------------------------------------------------------- bad ones */

struct bad_case {
	const char *text;
	const char *error;
};

static const struct bad_case bad_cases[] = {
	{"dlp: { x = ; };\n" P, "t.conf:1: syntax error"},
	{D P "dlp2 = 1;\n", "t.conf:5: dlp2: unknown setting"},
	{P, "t.conf: dlp: is required"},
	{D, "t.conf: policies: is required"},
	{"dlp = 5;\n" P, "t.conf:1: dlp: must be a group { ... }"},
	{D "policies = { };\n", "t.conf:4: policies: must be a list ( { ... }, ... )"},
	{D P "tcp: { max_connections = 5000000000; };\n",
	 "t.conf:5: tcp.max_connections: integer does not fit in 32 bits; write it with an L "
	 "suffix (e.g. 5000000000L)"},
	{D P "@include \"missing.cfg\"\n", "t.conf:5: cannot open include file"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].pattern: is required"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].pattern: must not be empty"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"words\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].type: must be \"dictionary\", \"regex\" or \"identifier\""},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].type: is required"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"identifier\"; identifier = \"visa\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].identifier: must be \"payment-card\", \"us-ssn\" or \"iban\""},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"identifier\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].identifier: is required"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"dictionary\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].file: is required"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"dictionary\"; file = \"nope.csv\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].file: cannot read nope.csv: No such file or directory"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"dictionary\"; file = \"empty.csv\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].file: empty.csv contains no terms"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"dictionary\"; file = \"badw.csv\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "badw.csv:2: weight: must be an integer from -100 to 100"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"dictionary\"; file = \"dict.csv\"; pattern = "
	 "\"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].pattern: unknown setting"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; },\n"
	 " { name = \"e\"; type = \"regex\"; pattern = \"y\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.entities.[1].name: duplicate entity name \"e\" (first at line 2)"},
	{"dlp: {\n"
	 " entities = ( { name = \"my \\\"entity\\\"\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].name: must not contain '\"' (rule expressions quote names "
	 "with it)"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; colour = 1; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].colour: unknown setting"},
	{"dlp: {\n"
	 " entities = ( { name = \"\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].name: must not be empty"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"dictionary\"; file = \"dict.csv\"; case_sensitive "
	 "= \"yes\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:2: dlp.entities.[0].case_sensitive: must be true or false"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; count = \"distinct\"; severity = { low = 1; }; "
	 "} );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].count: must be \"unique\", \"total\" or \"score\""},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"  \"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].match: must not be empty"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].match: is required"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].severity: is required"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].severity: set at least one of low, medium, high, critical above "
	 "0"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 4; medium = 3; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].severity.medium: must be >= low (4)"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 2; high = 5; critical = 4; "
	 "}; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].severity.critical: must be >= high (5)"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = -1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].severity.low: must be an integer from 0 to 2147483647"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { lo = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].severity.lo: unknown setting"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; scope = [ \"body\" ]; "
	 "} );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].scope.[0]: must be \"content\" or \"metadata\""},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; scope = [ ]; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].scope: must not be empty"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; colour = \"red\"; } "
	 ");\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:3: dlp.rules.[0].colour: unknown setting"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; },\n"
	 " { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:4: dlp.rules.[1].name: duplicate rule name \"r\" (first at line 3)"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r2\" ]; } ); };\n" P,
	 "t.conf:4: dlp.profiles.[0].rules.[0]: no rule named \"r2\""},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ ]; } ); };\n" P,
	 "t.conf:4: dlp.profiles.[0].rules: must name at least one rule"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\", \"r\" ]; } ); };\n" P,
	 "t.conf:4: dlp.profiles.[0].rules.[1]: rule \"r\" listed twice"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; },\n"
	 " { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:5: dlp.profiles.[1].name: duplicate profile name \"p\" (first at line 4)"},
	{"dlp: {\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = \"r\"; } ); };\n" P,
	 "t.conf:4: dlp.profiles.[0].rules: must be an array of strings [ \"...\", ... ]"},
	{"dlp: { on_unscannable = \"drop\";\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:1: dlp.on_unscannable: must be \"tempfail\", \"hold\" or \"allow\""},
	{"dlp: { scan_limit = 10;\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:1: dlp.scan_limit: must be an integer from 4096 to 1099511627776"},
	{"dlp: { internal_domains = [ \"corp example\" ];\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:1: dlp.internal_domains.[0]: \"corp example\" is not a valid domain"},
	{"dlp: { inspected_header = \"X Bad:\";\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:1: dlp.inspected_header: must be a header field name (1-76 printable characters, "
	 "no ':' or spaces)"},
	{"dlp: { limits: { max_depth = 0; };\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:1: dlp.limits.max_depth: must be an integer from 1 to 1000"},
	{"dlp: { limits: { max_nesting = 5; };\n"
	 " entities = ( { name = \"e\"; type = \"regex\"; pattern = \"x\"; } );\n"
	 " rules = ( { name = \"r\"; match = \"e\"; severity = { low = 1; }; } );\n"
	 " profiles = ( { name = \"p\"; rules = [ \"r\" ]; } ); };\n" P,
	 "t.conf:1: dlp.limits.max_nesting: unknown setting"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"q\" ]; action = \"alert\"; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].profiles.[0]: no profile named \"q\""},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].action: is required"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"reject\"; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].action: must be \"alert\", \"add-header\", \"block\", "
	 "\"quarantine\" or \"allow\""},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"add-header\"; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].header: is required"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"add-header\"; header = { name = "
	   "\"X DLP\"; value = \"v\"; }; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].header.name: must be a header field name (1-76 printable "
	 "characters, no ':' or spaces)"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"add-header\"; header = { name = "
	   "\"X-DLP\"; value = \"a\\r\\nBcc: x\"; }; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].header.value: must not contain CR, LF or other control "
	 "characters"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"add-header\"; header = { name = "
	   "\"X-DLP\"; }; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].header.value: is required"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"block\"; header = { name = "
	   "\"X-DLP\"; value = \"v\"; }; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].header: only valid with action \"add-header\""},
	{D
	 "policies = (\n"
	 " { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; min_severity = \"none\"; }\n"
	 ");\n",
	 "t.conf:5: policies.[0].min_severity: must be \"low\", \"medium\", \"high\" or "
	 "\"critical\""},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; from = { external = true; "
	   "}; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].from.external: unknown setting"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; to = { addresses = [ "
	   "\"nobody\" ]; }; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].to.addresses.[0]: \"nobody\" is not a valid address "
	 "(local@domain)"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; to = { domains = [ "
	   "\"a..b\" ]; }; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].to.domains.[0]: \"a..b\" is not a valid domain"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; to = { address_files = [ "
	   "\"badaddrs.txt\" ]; }; }\n"
	   ");\n",
	 "badaddrs.txt:2: address: not a valid address (local@domain)"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; to = { domain_files = [ "
	   "\"gone.txt\" ]; }; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].to.domain_files.[0]: cannot read gone.txt: No such file or "
	 "directory"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; },\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"block\"; }\n"
	   ");\n",
	 "t.conf:6: policies.[1].name: duplicate policy name \"pol\" (first at line 5)"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ \"p\" ]; action = \"alert\"; enabled = 1; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].enabled: must be true or false"},
	{D "policies = (\n"
	   " { name = \"pol\"; profiles = [ ]; action = \"alert\"; }\n"
	   ");\n",
	 "t.conf:5: policies.[0].profiles: must name at least one profile"},
	{"dataplane: { ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; } ); "
	 "};\n" D P,
	 "t.conf:1: dataplane.lcores: is required"},
	{"dataplane: { lcores: { io = [ ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; } ); };\n" D P,
	 "t.conf:1: dataplane.lcores.io: must not be empty"},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 128 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; } ); };\n" D P,
	 "t.conf:1: dataplane.lcores.dlp.[0]: must be an integer from 0 to 127"},
	{"dataplane: { lcores: { io = [ 1, 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; } ); };\n" D P,
	 "t.conf:1: dataplane.lcores.io.[1]: lcore 1 listed twice"},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( ); };\n" D P,
	 "t.conf:2: dataplane.ports: must list at least one port"},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10\"; } ); };\n" D P,
	 "t.conf:2: dataplane.ports.[0].ipv4: must be an IPv4 address with prefix length, e.g. "
	 "\"192.0.2.10/24\""},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.256/24\"; } ); };\n" D P,
	 "t.conf:2: dataplane.ports.[0].ipv4: must be an IPv4 address with prefix length, e.g. "
	 "\"192.0.2.10/24\""},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.0/24\"; } ); };\n" D P,
	 "t.conf:2: dataplane.ports.[0].ipv4: is the network or broadcast address of its subnet"},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; gateway = "
	 "\"198.51.100.1\"; } ); };\n" D P,
	 "t.conf:2: dataplane.ports.[0].gateway: not inside the port's subnet 192.0.2.0/24"},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; },\n"
	 " { name = \"in\"; device = \"e\"; ipv4 = \"198.51.100.10/24\"; } ); };\n" D P,
	 "t.conf:3: dataplane.ports.[1].name: duplicate port name \"in\" (first at line 2)"},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; mtu = 100; } ); "
	 "};\n" D P,
	 "t.conf:2: dataplane.ports.[0].mtu: must be an integer from 576 to 9216"},
	{"dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; } );\n"
	 " fault: { drop = 1.5; }; };\n" D P,
	 "t.conf:3: dataplane.fault.drop: must be a number from 0 to 1"},
	{D P "tcp: { syn_cookies = \"sometimes\"; };\n",
	 "t.conf:5: tcp.syn_cookies: must be \"auto\", \"always\" or \"never\""},
	{D P "tcp: { max_connections = 100; max_per_source = 200; };\n",
	 "t.conf:5: tcp.max_per_source: must be an integer from 1 to 100"},
	{DP D P "smtp: { listen = ( { port = \"out\"; tcp_port = 25; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; }; };\n",
	 "t.conf:7: smtp.listen.[0].port: no dataplane port named \"out\""},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 70000; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; }; };\n",
	 "t.conf:7: smtp.listen.[0].tcp_port: must be an integer from 1 to 65535"},
	{DP D P "smtp: { listen = ( { port = \"in\"; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; }; };\n",
	 "t.conf:7: smtp.listen.[0].tcp_port: is required"},
	{DP D P
	 "smtp: { listen = ( { port = \"in\"; address = \"192.0.2.11\"; tcp_port = 25; } );\n"
	 " upstream: { address = \"198.51.100.25\"; port = \"in\"; }; };\n",
	 "t.conf:7: smtp.listen.[0].address: not the address of port \"in\" (192.0.2.10)"},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 25; },\n"
		" { port = \"in\"; tcp_port = 25; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; }; };\n",
	 "t.conf:8: smtp.listen.[1].tcp_port: duplicate listener on the same address and port "
	 "(first at line 7)"},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 25; tls = \"starttls\"; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; }; };\n",
	 "t.conf:7: smtp.listen.[0].tls: needs a tls { certificate; key; } section"},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 25; tls = \"ssl\"; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; }; };\n",
	 "t.conf:7: smtp.listen.[0].tls: must be \"plain\", \"starttls\" or \"implicit\""},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 25; } ); };\n",
	 "t.conf:7: smtp.upstream: is required"},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 25; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; verify = true; }; };\n",
	 "t.conf:8: smtp.upstream.ca_file: is required when verify = true"},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 25; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; verify = true; ca_file = "
		"\"noca.pem\"; }; };\n",
	 "t.conf:8: smtp.upstream.ca_file: cannot read noca.pem: No such file or directory"},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 25; } );\n"
		" upstream: { address = \"mx.example\"; port = \"in\"; }; };\n",
	 "t.conf:8: smtp.upstream.address: must be an IPv4 unicast address, e.g. \"192.0.2.10\""},
	{D P "smtp: { bare_lf = \"accept\"; };\n",
	 "t.conf:5: smtp.bare_lf: must be \"reject\" or \"normalize\""},
	{D P "smtp: { max_line_length = 512; };\n",
	 "t.conf:5: smtp.max_line_length: must be an integer from 1000 to 1048576"},
	{D P "smtp: { block_reply = \"Blocked by \xc3\xa9quipe %p\"; };\n",
	 "t.conf:5: smtp.block_reply: must be printable ASCII"},
	{D P "smtp: { timeouts: { command = 0; }; };\n",
	 "t.conf:5: smtp.timeouts.command: must be an integer from 1 to 86400"},
	{D P "smtp: { timeouts: { connect = 86401; }; };\n",
	 "t.conf:5: smtp.timeouts.connect: must be an integer from 1 to 86400"},
	{D P "smtp: { max_message_size = \"50M\"; };\n",
	 "t.conf:5: smtp.max_message_size: must be an integer from 1024 to 1099511627776"},
	{D P "tls: { certificate = \"cert.pem\"; };\n", "t.conf:5: tls.key: is required"},
	{D P "tls: { certificate = \"nocert.pem\"; key = \"key.pem\"; };\n",
	 "t.conf:5: tls.certificate: cannot read nocert.pem: No such file or directory"},
	{D P "tls: { certificate = \"cert.pem\"; key = \"key.pem\"; min_version = \"1.1\"; };\n",
	 "t.conf:5: tls.min_version: must be \"1.2\" or \"1.3\""},
	{D P "appliance: { hostname = \"bad_host\"; };\n",
	 "t.conf:5: appliance.hostname: must be a host name (letters, digits, '-' and '.')"},
	{D P "incidents: { forensics = { retention_days = 0; }; };\n",
	 "t.conf:5: incidents.forensics.retention_days: must be an integer from 1 to 36500"},
	{D P "incidents: { database = \"\"; };\n",
	 "t.conf:5: incidents.database: must not be empty"},
	{D P "api: { listen = \"127.0.0.1\"; token_file = \"token\"; };\n",
	 "t.conf:5: api.listen: must be \"address:port\" with an IPv4 address, e.g. "
	 "\"127.0.0.1:8080\""},
	{D P "api: { listen = \"127.0.0.1:0\"; token_file = \"token\"; };\n",
	 "t.conf:5: api.listen: must be \"address:port\" with an IPv4 address, e.g. "
	 "\"127.0.0.1:8080\""},
	{D P "api: { listen = \"127.0.0.1:8080\"; };\n", "t.conf:5: api.token_file: is required"},
	{D P "api: { token_file = \"empty_token\"; };\n",
	 "t.conf:5: api.token_file: empty_token is empty"},
	{D P "api: { token_file = \"spaced_token\"; };\n",
	 "t.conf:5: api.token_file: spaced_token must hold one token without spaces or control "
	 "characters"},
	{D P "api: { token_file = \"token\"; tls = { certificate = \"cert.pem\"; key = "
	     "\"nokey.pem\"; }; };\n",
	 "t.conf:5: api.tls.key: cannot read nokey.pem: No such file or directory"},
	/* notify */
	{D P "notify: { from = \"postmaster\"; };\n",
	 "t.conf:5: notify.from: \"postmaster\" is not a valid address (local@domain)"},
	{D P "notify: { subject = \"a\\nBcc: x@y\"; };\n",
	 "t.conf:5: notify.subject: must not contain CR, LF or other control characters"},
	{D P "notify: { template_file = \"none.txt\"; };\n",
	 "t.conf:5: notify.template_file: cannot read none.txt: No such file or directory"},
	{D P "notify: { template_file = \"bad_notice.txt\"; };\n",
	 "t.conf:5: notify.template_file: bad_notice.txt is not UTF-8 text"},
	{D P "notify: { form = \"a@b.example\"; };\n", "t.conf:5: notify.form: unknown setting"},
	{DP D P "smtp: { listen = ( { port = \"in\"; tcp_port = 25; } );\n"
		" upstream: { address = \"198.51.100.25\"; port = \"in\"; tls = \"none\";\n"
		"  verify = true; ca_file = \"cert.pem\"; }; };\n",
	 "t.conf:9: smtp.upstream.verify: needs tls \"opportunistic\" or \"required\""},
	{DP D P
	 "smtp: { listen = ( { port = \"in\"; tcp_port = 25; } );\n"
	 " require_tls = true;\n upstream: { address = \"198.51.100.25\"; port = \"in\"; }; };\n",
	 "t.conf:8: smtp.require_tls: needs a listener with tls \"starttls\" or \"implicit\""},
	{D P "smtp: { listen = ( { address = \"192.0.2.10\"; tcp_port = 25; } ); };\n",
	 "t.conf:5: smtp.upstream: is required"},
	{D P "dataplane: { lcores: { io = [ 1 ]; dlp = [ 1 ]; };\n ports = ( { name = \"in\"; "
	     "device = \"d\"; ipv4 = \"192.0.2.10/24\"; } ); };\n"
	     "smtp: { listen = ( { address = \"192.0.2.10\"; tcp_port = 25; } ); };\n",
	 "t.conf:7: smtp.listen.[0].port: is required"},
	{"dataplane: { eal = [ \"-l\", \"0-1\" ];\n lcores: { io = [ 1 ]; dlp = [ 1, 2 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; } ); };\n" D P,
	 "t.conf:2: dataplane.lcores.dlp.[1]: lcore 2 is not in the EAL -l list \"0-1\""},
	{"dataplane: { eal = [ \"-l0,2-3\" ];\n lcores: { io = [ 3, 1 ]; dlp = [ 2 ]; };\n"
	 " ports = ( { name = \"in\"; device = \"d\"; ipv4 = \"192.0.2.10/24\"; } ); };\n" D P,
	 "t.conf:2: dataplane.lcores.io.[1]: lcore 1 is not in the EAL -l list \"0,2-3\""},
};

START_TEST(test_bad)
{
	const struct bad_case *bc = &bad_cases[_i];
	char err[512];
	struct cfg *c = cfg_load_string(bc->text, "t.conf", err, sizeof(err));

	ck_assert_msg(c == NULL, "case %d loaded, expected: %s", _i, bc->error);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_str_eq(err, bc->error);
}
END_TEST

/* ---------------------------------------------------------------- setup */

/* Setup runs outside any test: report and stop on failure. */
#define SETUP(cond)                         \
	do {                                \
		if (!(cond)) {              \
			perror(#cond);      \
			exit(EXIT_FAILURE); \
		}                           \
	} while (0)

static void make_scratch(void)
{
	const char *env = getenv("SMTPDLP_SOURCE_ROOT");
	char full[8192];

	SETUP(realpath(env ? env : ".", root) != NULL);
	SETUP(mkdtemp(scratch) != NULL);
	SETUP(chdir(scratch) == 0);
	put_file("dict.csv", "alpha\nbeta,2\n");
	put_file("empty.csv", "# nothing\n\n");
	put_file("badw.csv", "ok\nbad,200\n");
	put_file("token", "  s3cret-token \n");
	put_file("empty_token", "");
	put_file("spaced_token", "two words\n");
	put_file("cert.pem", "cert\n");
	put_file("key.pem", "key\n");
	put_file("notice.txt", "Hello {sender},\nyour message hit {policy}.\n");
	put_file("bad_notice.txt", "caf\xe9\n");
	put_file("addrs.txt", "# list\nAlice@Corp.Example\n bob@corp.example \n");
	put_file("domains.txt", "partner.example\n.sub.example\n");
	put_file("badaddrs.txt", "ok@x.example\nnot an address\n");
	SETUP(mkdir("sub", 0700) == 0);
	SETUP(mkdir("full", 0700) == 0);
	SETUP(mkdir("full/certs", 0700) == 0);
	SETUP(mkdir("full/secrets", 0700) == 0);
	put_file("full/certs/smtpdlp.pem", "cert\n");
	put_file("full/certs/smtpdlp.key", "key\n");
	put_file("full/secrets/api-token", "full-token\n");
	snprintf(full, sizeof(full), "%s/config/examples/dictionaries", source_root());
	SETUP(symlink(full, "full/dictionaries") == 0);
	snprintf(full, sizeof(full), "%s/config/examples/lists", source_root());
	SETUP(symlink(full, "full/lists") == 0);
	snprintf(full, sizeof(full), "%s/config/examples/templates", source_root());
	SETUP(symlink(full, "full/templates") == 0);
}

static void remove_scratch(void)
{
	char cmd[300];

	if (chdir("/") == 0 && strncmp(scratch, "/tmp/smtpdlp-cfg-", 17) == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", scratch);
	}
}

int main(void)
{
	Suite *s = suite_create("config");
	TCase *good = tcase_create("good");
	TCase *bad = tcase_create("bad");
	SRunner *sr;
	int failed;

	make_scratch();
	tcase_add_test(good, test_defaults);
	tcase_add_test(good, test_notify);
	tcase_add_test(good, test_seed_example);
	tcase_add_test(good, test_pci_example);
	tcase_add_test(good, test_full_example);
	tcase_add_test(good, test_values);
	tcase_add_test(good, test_relative_and_include);
	tcase_add_test(good, test_file_errors);
	tcase_add_test(good, test_tcp_small_total);
	tcase_add_test(good, test_eal_lcores);
	tcase_add_test(good, test_entity_names);
	tcase_add_test(good, test_names);
	tcase_add_loop_test(bad, test_bad, 0, (int)(sizeof(bad_cases) / sizeof(bad_cases[0])));
	suite_add_tcase(s, good);
	suite_add_tcase(s, bad);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	remove_scratch();
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
