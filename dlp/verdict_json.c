/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * verdict_json.c — JSON rendering of a DLP verdict (format in
 * verdict_json.h), with UTF-8 validation of every string.
 */
#include "dlp/verdict_json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/utf8.h"

static void put_file(void *f, const void *p, size_t n)
{
	fwrite(p, 1, n, f);
}

/* JSON string of s[0..n), always valid (utf8_json_str). */
static void json_strn(FILE *f, const char *s, size_t n)
{
	utf8_json_str(s, n, put_file, f);
}

static void json_str(FILE *f, const char *s)
{
	if (!s)
		fputs("null", f);
	else
		json_strn(f, s, strlen(s));
}

const char *dlp_unscannable_name(enum cfg_unscannable u)
{
	switch (u) {
	case CFG_UNSCANNABLE_HOLD:
		return "hold";
	case CFG_UNSCANNABLE_ALLOW:
		return "allow";
	default:
		return "tempfail";
	}
}

int dlp_verdict_write_json(FILE *f, const struct dlp_verdict *v, const char *file, size_t idx)
{
	bool mbox = idx > 0;

	fputs("{\"file\":", f);
	json_str(f, file);
	if (mbox)
		fprintf(f, ",\"message\":%zu", idx);
	fputs(",\"policy\":", f);
	json_str(f, v->policy);
	fprintf(f,
		",\"action\":\"%s\",\"severity\":\"%s\",\"profile\":", cfg_action_name(v->action),
		cfg_severity_name(v->severity));
	json_str(f, v->profile);
	fputs(",\"header\":", f);
	if (v->header_name) {
		fputs("{\"name\":", f);
		json_str(f, v->header_name);
		fputs(",\"value\":", f);
		json_str(f, v->header_value);
		fputc('}', f);
	} else {
		fputs("null", f);
	}
	fprintf(f, ",\"notify_sender\":%s,\"rules\":[", v->notify_sender ? "true" : "false");
	for (size_t i = 0; i < v->n_rules; i++) {
		const struct dlp_rule_result *r = &v->rules[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, r->name);
		fprintf(f, ",\"severity\":\"%s\",\"count\":%u,\"unique_count\":%u,\"score\":%lld}",
			cfg_severity_name(r->severity), r->count, r->unique_count,
			(long long)r->score);
	}
	fputs("],\"entities\":[", f);
	for (size_t i = 0; i < v->n_entities; i++) {
		const struct dlp_entity_result *e = &v->entities[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, e->name);
		fprintf(f, ",\"count\":%u,\"unique_count\":%u,\"matches\":[", e->count,
			e->unique_count);
		for (size_t k = 0; k < e->n_matches; k++) {
			const struct dlp_match *m = &e->matches[k];
			fputs(k ? ",{" : "{", f);
			if (m->term) {
				fputs("\"term\":", f);
				json_str(f, m->term);
			} else {
				fputs("\"value\":", f);
				json_str(f, m->value);
			}
			fputs(",\"part\":", f);
			json_str(f, m->part);
			fprintf(f, ",\"offset\":%llu}", (unsigned long long)m->offset);
		}
		fputs("]}", f);
	}
	fputs("],\"anomalies\":[", f);
	bool first = true;
	for (unsigned b = 0; b < 32; b++) {
		if (!(v->anomalies & (1u << b)))
			continue;
		const char *n = dlp_anomaly_name(1u << b);
		fputs(first ? "" : ",", f);
		json_str(f, n ? n : "unknown");
		first = false;
	}
	fprintf(f, "],\"unscannable\":%s,\"on_unscannable\":\"%s\",\"from\":",
		v->unscannable ? "true" : "false", dlp_unscannable_name(v->on_unscannable));
	json_str(f, v->from);
	fputs(",\"rcpts\":[", f);
	for (size_t i = 0; i < v->n_rcpts; i++) {
		fputs(i ? "," : "", f);
		json_str(f, v->rcpts[i]);
	}
	fputs("],\"subject\":", f);
	json_str(f, v->subject);
	fprintf(f, ",\"raw_bytes\":%llu,\"decoded_bytes\":%llu}\n",
		(unsigned long long)v->raw_bytes, (unsigned long long)v->decoded_bytes);
	return ferror(f) ? -EIO : 0;
}

char *dlp_verdict_json(const struct dlp_verdict *v, const char *file, size_t message)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	if (!f)
		return NULL;
	int rc = dlp_verdict_write_json(f, v, file, message);
	if (fclose(f) != 0 || rc) {
		free(s);
		errno = ENOMEM;
		return NULL;
	}
	if (n && s[n - 1] == '\n')
		s[n - 1] = '\0';
	return s;
}
