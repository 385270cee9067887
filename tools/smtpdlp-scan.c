/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * smtpdlp-scan — the offline scanner: runs the DLP engine of the appliance
 * on .eml or mbox files and prints what the appliance would do with each
 * message and why.
 *
 *   smtpdlp-scan -c CONF [--from ADDR] [--to ADDR,...] [--explain] FILE...
 *
 * FILE "-" is stdin. A file whose first line starts with "From " is an mbox:
 * messages are split on "From " lines and ">From " quoting (mboxrd, any
 * number of '>') is undone. Output: one JSON object per message per line,
 * or with --explain a readable report. Exit: 0 no policy matched, 1 a policy
 * matched (any message), 2 error (bad config, unreadable file, resource).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "dlp/dlp.h"
#include "dlp/verdict_json.h"

struct opts {
	const char *conf;
	const char *from;
	char **rcpts;
	size_t n_rcpts;
	bool explain;
};

/* Printable rendering for --explain: controls shown as '?'. */
static void human(FILE *f, const char *s)
{
	if (!s) {
		fputs("-", f);
		return;
	}
	for (; *s; s++)
		fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

static void print_explain(FILE *f, const char *file, size_t idx, bool mbox,
			  const struct dlp_verdict *v)
{
	human(f, file);
	if (mbox)
		fprintf(f, " #%zu", idx);
	fputs(": ", f);
	if (v->policy) {
		fputs("policy \"", f);
		human(f, v->policy);
		fprintf(f, "\" matched -> %s (severity %s, profile \"", cfg_action_name(v->action),
			cfg_severity_name(v->severity));
		human(f, v->profile);
		fputs("\")\n", f);
	} else {
		fputs("no policy matched -> allow\n", f);
	}
	if (v->header_name) {
		fputs("  adds header: ", f);
		human(f, v->header_name);
		fputs(": ", f);
		human(f, v->header_value);
		fputc('\n', f);
	}
	fputs("  from: ", f);
	human(f, v->from);
	fputs("\n  to:", f);
	for (size_t i = 0; i < v->n_rcpts; i++) {
		fputc(' ', f);
		human(f, v->rcpts[i]);
	}
	fputs("\n  subject: ", f);
	human(f, v->subject);
	fprintf(f, "\n  %llu raw bytes, %llu decoded bytes scanned\n",
		(unsigned long long)v->raw_bytes, (unsigned long long)v->decoded_bytes);
	if (!v->n_rules)
		fputs("  no rule triggered\n", f);
	for (size_t i = 0; i < v->n_rules; i++) {
		const struct dlp_rule_result *r = &v->rules[i];
		fputs("  rule \"", f);
		human(f, r->name);
		fprintf(f, "\": %s (count %u, unique %u, score %lld)\n",
			cfg_severity_name(r->severity), r->count, r->unique_count,
			(long long)r->score);
	}
	for (size_t i = 0; i < v->n_entities; i++) {
		const struct dlp_entity_result *e = &v->entities[i];
		fputs("  entity \"", f);
		human(f, e->name);
		fprintf(f, "\": %u match%s, %u unique\n", e->count, e->count == 1 ? "" : "es",
			e->unique_count);
		for (size_t k = 0; k < e->n_matches; k++) {
			const struct dlp_match *m = &e->matches[k];
			fputs("    ", f);
			if (m->term) {
				fputc('"', f);
				human(f, m->term);
				fputc('"', f);
			} else {
				human(f, m->value);
			}
			fputs(" in ", f);
			human(f, m->part);
			fprintf(f, " at offset %llu\n", (unsigned long long)m->offset);
		}
		if (e->n_matches < e->count)
			fprintf(f, "    ... %zu more not kept\n", (size_t)e->count - e->n_matches);
	}
	if (v->anomalies) {
		fputs("  anomalies:", f);
		for (unsigned b = 0; b < 32; b++)
			if (v->anomalies & (1u << b)) {
				const char *n = dlp_anomaly_name(1u << b);
				fprintf(f, " %s", n ? n : "unknown");
			}
		fputc('\n', f);
	}
	if (v->unscannable)
		fprintf(f, "  UNSCANNABLE: dlp.on_unscannable = %s\n",
			dlp_unscannable_name(v->on_unscannable));
}

/* ------------------------------------------------------------ input */

static char *read_all(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	char *buf;

	if (!f)
		return NULL;
	buf = malloc(cap);
	while (buf) {
		if (n == cap) {
			char *nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
		size_t r = fread(buf + n, 1, cap - n, f);
		n += r;
		if (r == 0) {
			if (ferror(f)) {
				free(buf);
				buf = NULL;
			}
			break;
		}
	}
	if (f != stdin)
		fclose(f);
	*len = n;
	return buf;
}

struct scan_ctx {
	struct dlp_scanner *sc;
	const struct opts *o;
	int status; /* 0, 1 */
	bool error;
};

static int scan_message(struct scan_ctx *c, const char *file, size_t idx, bool mbox,
			const char *msg, size_t len)
{
	struct dlp_envelope env = {.mail_from = c->o->from,
				   .rcpts = (const char *const *)c->o->rcpts,
				   .n_rcpts = c->o->n_rcpts};
	struct dlp_txn *t = dlp_txn_begin(c->sc, &env);
	if (!t)
		return -errno;
	size_t pos = 0;
	/* In mbox mode, undo ">From " quoting line by line. */
	while (pos < len) {
		const char *nl = memchr(msg + pos, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - (msg + pos)) + 1 : len - pos;
		const char *line = msg + pos;
		if (mbox && ll > 5 && line[0] == '>') {
			size_t q = 0;
			while (q < ll && line[q] == '>')
				q++;
			if (ll - q >= 5 && memcmp(line + q, "From ", 5) == 0) {
				line++;
				ll--;
				pos++;
			}
		}
		if (!mbox) {
			ll = len - pos; /* feed the whole .eml in one go */
		}
		int rc = dlp_txn_feed(t, line, ll);
		if (rc) {
			dlp_txn_abort(t);
			return rc;
		}
		pos += ll;
	}
	struct dlp_verdict *v = dlp_txn_end(t);
	if (!v)
		return -errno;
	if (c->o->explain)
		print_explain(stdout, file, idx, mbox, v);
	else
		dlp_verdict_write_json(stdout, v, file, mbox ? idx : 0);
	if (v->policy)
		c->status = 1;
	dlp_verdict_free(v);
	return 0;
}

static int scan_file(struct scan_ctx *c, const char *path)
{
	size_t len;
	char *buf = read_all(path, &len);

	if (!buf) {
		fprintf(stderr, "smtpdlp-scan: %s: %s\n", path, strerror(errno ? errno : EIO));
		return -1;
	}
	bool mbox = len >= 5 && memcmp(buf, "From ", 5) == 0;
	int rc = 0;
	if (!mbox) {
		rc = scan_message(c, path, 1, false, buf, len);
	} else {
		size_t idx = 0, pos = 0;
		while (pos < len && rc == 0) {
			/* skip the separator line */
			const char *nl = memchr(buf + pos, '\n', len - pos);
			size_t st = nl ? (size_t)(nl - buf) + 1 : len;
			size_t end = st;
			/* the next line beginning with "From " ends the message */
			while (end < len) {
				if (len - end >= 5 && memcmp(buf + end, "From ", 5) == 0)
					break;
				const char *n2 = memchr(buf + end, '\n', len - end);
				end = n2 ? (size_t)(n2 - buf) + 1 : len;
			}
			rc = scan_message(c, path, ++idx, true, buf + st, end - st);
			pos = end;
		}
	}
	if (rc)
		fprintf(stderr, "smtpdlp-scan: %s: %s\n", path, strerror(-rc));
	free(buf);
	return rc ? -1 : 0;
}

static void usage(FILE *f)
{
	fputs("usage: smtpdlp-scan -c CONF [--from ADDR] [--to ADDR,...] [--explain] FILE...\n"
	      "  FILE is an .eml or mbox file, '-' for stdin.\n"
	      "  Prints one JSON verdict per message (or a report with --explain).\n"
	      "  Exit: 0 no policy matched, 1 a policy matched, 2 error.\n",
	      f);
}

static int split_rcpts(struct opts *o, const char *list)
{
	const char *p = list;

	while (*p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		while (n && (*p == ' '))
			p++, n--;
		while (n && p[n - 1] == ' ')
			n--;
		if (n) {
			char **nr = realloc(o->rcpts, (o->n_rcpts + 1) * sizeof(*nr));
			if (!nr)
				return -1;
			o->rcpts = nr;
			o->rcpts[o->n_rcpts] = strndup(p, n);
			if (!o->rcpts[o->n_rcpts])
				return -1;
			o->n_rcpts++;
		}
		p += n;
		while (*p == ' ')
			p++;
		if (*p == ',')
			p++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{"config", required_argument, NULL, 'c'}, {"from", required_argument, NULL, 'f'},
		{"to", required_argument, NULL, 't'},	  {"explain", no_argument, NULL, 'e'},
		{"help", no_argument, NULL, 'h'},	  {NULL, 0, NULL, 0},
	};
	struct opts o = {0};
	int ch, ret = 2;

	while ((ch = getopt_long(argc, argv, "c:f:t:eh", lo, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.conf = optarg;
			break;
		case 'f':
			o.from = optarg;
			break;
		case 't':
			if (split_rcpts(&o, optarg)) {
				fprintf(stderr, "smtpdlp-scan: out of memory\n");
				return 2;
			}
			break;
		case 'e':
			o.explain = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.conf || optind >= argc) {
		usage(stderr);
		return 2;
	}
	char err[512];
	struct cfg *cfg = cfg_load(o.conf, err, sizeof(err));
	struct dlp_policy_set *ps = NULL;
	struct dlp_scanner *sc = NULL;
	if (!cfg) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	ps = dlp_policy_set_build(cfg, err, sizeof(err));
	if (!ps) {
		fprintf(stderr, "%s\n", err);
		goto out;
	}
	sc = dlp_scanner_create(ps);
	if (!sc) {
		fprintf(stderr, "smtpdlp-scan: scanner: %s\n", strerror(errno));
		goto out;
	}
	struct scan_ctx c = {.sc = sc, .o = &o};
	bool failed = false;
	for (int i = optind; i < argc; i++)
		if (scan_file(&c, argv[i]))
			failed = true;
	fflush(stdout);
	ret = failed ? 2 : c.status;
out:
	dlp_scanner_destroy(sc);
	dlp_policy_set_unref(ps);
	cfg_free(cfg);
	for (size_t i = 0; i < o.n_rcpts; i++)
		free(o.rcpts[i]);
	free(o.rcpts);
	return ret;
}
