/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcfg.h — test helper: build a struct cfg for the DLP engine by hand (no
 * config file), and run one message through a scanner with the message
 * split at a chosen offset. Header-only, for tests/unit/dlp only.
 */
#ifndef SMTPDLP_TESTS_DLP_TCFG_H
#define SMTPDLP_TESTS_DLP_TCFG_H

#include <check.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "dlp/dlp.h"

#define TCFG_MAX 8
#define TCFG_TERMS 32

struct tcfg {
	struct cfg c;
	struct cfg_entity ent[TCFG_MAX];
	struct cfg_term terms[TCFG_MAX][TCFG_TERMS];
	struct cfg_rule rule[TCFG_MAX];
	struct cfg_profile prof[TCFG_MAX];
	char *prof_rules[TCFG_MAX][TCFG_MAX];
	struct cfg_policy pol[TCFG_MAX];
	char *pol_profiles[TCFG_MAX][TCFG_MAX];
	char *internal[2];
	char *from_domains[TCFG_MAX][2];
};

static inline void tcfg_init(struct tcfg *t)
{
	memset(t, 0, sizeof(*t));
	t->c.path = (char *)"test.conf";
	t->internal[0] = (char *)"corp.example";
	t->c.dlp.internal_domains = t->internal;
	t->c.dlp.n_internal_domains = 1;
	t->c.dlp.scan_limit = 1 << 20;
	t->c.dlp.limits = (struct cfg_dlp_limits){20, 100, 64 * 1024, 64 * 1024, 100};
	t->c.dlp.entities = t->ent;
	t->c.dlp.rules = t->rule;
	t->c.dlp.profiles = t->prof;
	t->c.policies = t->pol;
}

/* Dictionary: terms as "term" or "term|weight", NULL-terminated. */
static inline void tcfg_dict(struct tcfg *t, const char *name, int cs, ...)
{
	size_t i = t->c.dlp.n_entities++;
	struct cfg_entity *e = &t->ent[i];
	va_list ap;
	const char *s;

	e->name = (char *)name;
	e->type = CFG_ENTITY_DICTIONARY;
	e->case_sensitive = cs != 0;
	e->line = (int)i + 10;
	e->terms = t->terms[i];
	va_start(ap, cs);
	while ((s = va_arg(ap, const char *)) != NULL && e->n_terms < TCFG_TERMS) {
		struct cfg_term *ct = &e->terms[e->n_terms++];
		const char *bar = strchr(s, '|');
		ct->term = bar ? strndup(s, (size_t)(bar - s)) : strdup(s);
		ct->weight = bar ? atoi(bar + 1) : 1;
		ct->line = (int)e->n_terms;
	}
	va_end(ap);
}

static inline void tcfg_ident(struct tcfg *t, const char *name, enum cfg_identifier id)
{
	struct cfg_entity *e = &t->ent[t->c.dlp.n_entities++];
	e->name = (char *)name;
	e->type = CFG_ENTITY_IDENTIFIER;
	e->identifier = id;
}

static inline void tcfg_regex(struct tcfg *t, const char *name, const char *pat)
{
	struct cfg_entity *e = &t->ent[t->c.dlp.n_entities++];
	e->name = (char *)name;
	e->type = CFG_ENTITY_REGEX;
	e->pattern = (char *)pat;
}

static inline void tcfg_rule(struct tcfg *t, const char *name, const char *match,
			     enum cfg_count_mode mode, long low, long med, long high, long crit,
			     unsigned scope)
{
	size_t i = t->c.dlp.n_rules++;
	struct cfg_rule *r = &t->rule[i];
	r->name = (char *)name;
	r->match = (char *)match;
	r->count = mode;
	r->severity[CFG_SEV_LOW] = low;
	r->severity[CFG_SEV_MEDIUM] = med;
	r->severity[CFG_SEV_HIGH] = high;
	r->severity[CFG_SEV_CRITICAL] = crit;
	r->scope = scope;
	r->line = (int)i + 100;
}

/* Profile with rule names, NULL-terminated. */
static inline void tcfg_profile(struct tcfg *t, const char *name, ...)
{
	size_t i = t->c.dlp.n_profiles++;
	struct cfg_profile *p = &t->prof[i];
	va_list ap;
	const char *s;
	p->name = (char *)name;
	p->rules = t->prof_rules[i];
	va_start(ap, name);
	while ((s = va_arg(ap, const char *)) != NULL)
		p->rules[p->n_rules++] = (char *)s;
	va_end(ap);
}

/* Policy: from_domain NULL = anyone; external: to = any external recipient
 * (else anyone); profiles NULL-terminated. */
static inline struct cfg_policy *tcfg_policy(struct tcfg *t, const char *name,
					     const char *from_domain, bool external,
					     enum cfg_severity min, enum cfg_action action, ...)
{
	size_t i = t->c.n_policies++;
	struct cfg_policy *p = &t->pol[i];
	va_list ap;
	const char *s;
	p->name = (char *)name;
	p->enabled = true;
	p->line = (int)i + 200;
	if (from_domain) {
		t->from_domains[i][0] = (char *)from_domain;
		p->from.domains = t->from_domains[i];
		p->from.n_domains = 1;
	} else {
		p->from.any = true;
	}
	if (external)
		p->to.external = true;
	else
		p->to.any = true;
	p->min_severity = min;
	p->action = action;
	p->profiles = t->pol_profiles[i];
	va_start(ap, action);
	while ((s = va_arg(ap, const char *)) != NULL)
		p->profiles[p->n_profiles++] = (char *)s;
	va_end(ap);
	return p;
}

static inline void tcfg_free_terms(struct tcfg *t)
{
	for (size_t i = 0; i < t->c.dlp.n_entities; i++)
		for (size_t k = 0; k < t->ent[i].n_terms; k++)
			free(t->ent[i].terms[k].term);
}

static inline struct dlp_policy_set *tcfg_build(struct tcfg *t)
{
	char err[256] = "";
	struct dlp_policy_set *ps = dlp_policy_set_build(&t->c, err, sizeof(err));
	ck_assert_msg(ps != NULL, "build: %s", err);
	return ps;
}

/* Scan msg[0..len) split into two feeds at `split` (len: whole in one). */
static inline struct dlp_verdict *tscan(struct dlp_scanner *sc, const char *from, const char *rcpt,
					const char *msg, size_t len, size_t split)
{
	const char *r[1] = {rcpt};
	struct dlp_envelope env = {from, rcpt ? r : NULL, rcpt ? 1 : 0};
	struct dlp_txn *t = dlp_txn_begin(sc, &env);
	ck_assert_ptr_nonnull(t);
	if (split > len)
		split = len;
	ck_assert_int_eq(dlp_txn_feed(t, msg, split), 0);
	ck_assert_int_eq(dlp_txn_feed(t, msg + split, len - split), 0);
	struct dlp_verdict *v = dlp_txn_end(t);
	ck_assert_ptr_nonnull(v);
	return v;
}

static inline const struct dlp_entity_result *tentity(const struct dlp_verdict *v, const char *name)
{
	for (size_t i = 0; i < v->n_entities; i++)
		if (strcmp(v->entities[i].name, name) == 0)
			return &v->entities[i];
	return NULL;
}

static inline const struct dlp_rule_result *trule(const struct dlp_verdict *v, const char *name)
{
	for (size_t i = 0; i < v->n_rules; i++)
		if (strcmp(v->rules[i].name, name) == 0)
			return &v->rules[i];
	return NULL;
}

#endif /* SMTPDLP_TESTS_DLP_TCFG_H */
