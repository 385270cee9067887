/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * engine.c — the DLP engine behind dlp.h: policy-set build (entities →
 * one Hyperscan database, rule expressions, profiles, policies), per-worker
 * scanners, and the per-message transaction:
 *
 *   raw bytes → mime_parser (dlp/mime.h) → sink:
 *     header()     Subject → content part "header:subject";
 *                  From/To/Cc → metadata parts "metadata:from|to|cc" (+ the
 *                  addresses when the envelope has none);
 *     part_begin() attachment name → metadata "metadata:filename:<path>";
 *                  opens a stream for the part;
 *     text()       scanned in place (chunks >= 4 KiB) or gathered first
 *                  (smaller ones); the last DLP_WINDOW bytes are kept as
 *                  look-back for confirmations;
 *     part_end()   flush, end-of-data matches, pending confirmations.
 *   → per-entity counters (per scope) → rules → profiles → first policy.
 *
 * The match callback does a table lookup, the boundary / validator check
 * on the window, and bumps counters; a match whose end is the last byte
 * available waits (pending) for the next bytes, so confirmations never see
 * a chunk edge.
 */
#include "dlp/dlp.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dlp/engine_priv.h"
#include "dlp/entities.h"
#include "dlp/matcher.h"
#include "dlp/mime.h"
#include "dlp/policy.h"
#include "dlp/rule_expr.h"
#include "dlp/validators.h"

/* text() chunks of at least SMALL_MAX bytes are scanned in place; smaller
 * ones are gathered (up to SMALL_CAP) so Hyperscan is not called per line. */
#define SMALL_MAX 4096u
#define SMALL_CAP (32u * 1024u)
#define SCOPE_CONTENT 0
#define SCOPE_META 1

/* ------------------------------------------------------------ snapshot */

struct ps_rule {
	char *name;
	struct dlp_expr *expr;
	enum cfg_count_mode mode;
	long thr[CFG_SEV_COUNT];
	unsigned scope;
	uint32_t *pos_entities; /* distinct positive entity operands */
	size_t n_pos;
	uint32_t near_base; /* index of this rule's first NEAR in ps->nears */
};

struct ps_near {
	uint32_t a, b; /* entities */
	uint32_t dist;
	uint32_t rule;
	int node; /* node index in the rule's expression */
};

struct ps_profile {
	char *name;
	size_t *rules;
	size_t n_rules;
};

struct dlp_policy_set {
	atomic_int refs;
	struct dlp_entity_patterns ents;
	struct dlp_matcher *matcher;
	size_t n_entities;
	char **entity_names;
	enum cfg_entity_type *entity_types;
	enum cfg_identifier *entity_ids;
	uint32_t **entity_nears; /* per entity: list of near indices, UINT32_MAX end */
	struct ps_rule *rules;
	size_t n_rules;
	struct ps_profile *profiles;
	size_t n_profiles;
	struct ps_near *nears;
	size_t n_nears;
	size_t **policy_profiles;
	/* shadow config holding deep copies of what policy selection needs */
	struct cfg cfg;
	struct cfg_dlp_limits limits;
	uint64_t scan_limit;
	enum cfg_unscannable on_unscannable;
	size_t max_expr_nodes;
};

/* ------------------------------------------------------------ scanner */

struct rec {
	uint32_t entity;
	uint32_t term; /* UINT32_MAX for values */
	char *value;   /* masked, owned */
	uint32_t part;
	uint64_t offset;
};

struct pending {
	uint32_t id;
	uint64_t from, to;
};

struct pstream {
	struct dlp_txn *txn;
	const struct dlp_pat *pats;   /* the snapshot's tables, cached here so */
	const struct dlp_term *terms; /* the match callback does not chase */
	struct dlp_matcher_worker *mw;
	struct dlp_window w; /* w.tail = tail */
	uint8_t *tail;	     /* DLP_WINDOW bytes before w.cur_base */
	uint8_t *small;	     /* SMALL_CAP bytes of gathered small chunks */
	size_t small_len;
	uint64_t scanned;  /* stream offset scanned up to */
	uint32_t part;	   /* index in txn->parts */
	uint32_t part_gen; /* unique per part in the txn (for NEAR) */
	int scope;
	bool open;
	struct pending *pend;
	size_t n_pend, cap_pend;
	/* Per regex pattern: the start of the last counted match and its
	 * record (or SIZE_MAX). Hyperscan reports every end of a match;
	 * later ends with the same leftmost start only lengthen the recorded
	 * value, so "joe@example.com" counts once, not once per end. */
	uint64_t *rx_from;
	size_t *rx_rec;
};

struct ent_ctr {
	uint32_t count[2];
	uint32_t unique[2];
	uint32_t unique_any;
	int64_t score[2];
	uint32_t n_recs;
	/* NEAR support */
	uint32_t last_part;
	uint64_t last_start;
};

struct dlp_txn {
	struct dlp_scanner *sc;
	bool active;
	bool failed; /* resource error: end returns NULL/ENOMEM */
	uint32_t anomalies;
	uint64_t raw_bytes;
	uint64_t decoded;
	struct pstream body, hdr;
	uint32_t part_gen;
	char **parts;
	size_t *part_len;
	size_t n_parts, cap_parts;
	struct rec *recs;
	size_t n_recs, cap_recs;
	/* unique values: open addressing set of 64-bit keys (0 = empty) */
	uint64_t *vset;
	size_t vset_cap, vset_n;
	/* envelope */
	char *from;
	char **rcpts;
	size_t n_rcpts;
	bool env_from, env_rcpts; /* given by the caller */
	char **hdr_from;
	size_t n_hdr_from;
	char **hdr_rcpts;
	size_t n_hdr_rcpts;
	char *subject;
};

struct dlp_scanner {
	struct dlp_policy_set *ps;
	struct mime_parser *mp;
	struct dlp_matcher_worker *mw_body, *mw_hdr;
	struct ent_ctr *ctr;
	uint32_t gen;
	uint32_t *term_seen; /* 3 per term: any, content, metadata */
	bool *near_sat;	     /* 2 per near: content, metadata */
	bool *present;	     /* n_entities */
	bool *near_true;     /* max expr nodes */
	struct dlp_txn txn;
};

/* ------------------------------------------------------------ helpers */

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Copy of s[0..n) plus a NUL (the lengths are known: no strlen). */
static char *memdup0(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static char **strv_dup(char *const *v, size_t n)
{
	char **o = calloc(n ? n : 1, sizeof(*o));
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		o[i] = strdup(v[i]);
		if (!o[i]) {
			for (size_t j = 0; j < i; j++)
				free(o[j]);
			free(o);
			return NULL;
		}
	}
	return o;
}

static void strv_free(char **v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

const char *dlp_anomaly_name(uint32_t bit)
{
	switch (bit) {
	case DLP_ANOM_DEPTH:
		return "depth";
	case DLP_ANOM_PARTS:
		return "parts";
	case DLP_ANOM_HEADER_SIZE:
		return "header-size";
	case DLP_ANOM_LINE_LENGTH:
		return "line-length";
	case DLP_ANOM_SCAN_LIMIT:
		return "scan-limit";
	case DLP_ANOM_BAD_BASE64:
		return "bad-base64";
	case DLP_ANOM_BAD_QP:
		return "bad-qp";
	case DLP_ANOM_BAD_BOUNDARY:
		return "bad-boundary";
	case DLP_ANOM_BAD_CHARSET:
		return "bad-charset";
	case DLP_ANOM_BAD_UTF8:
		return "bad-utf8";
	case DLP_ANOM_NUL:
		return "nul";
	case DLP_ANOM_BAD_HEADER:
		return "bad-header";
	case DLP_ANOM_BAD_ARCHIVE:
		return "bad-archive";
	case DLP_ANOM_SCAN_ERROR:
		return "scan-error";
	case DLP_ANOM_AMBIGUOUS_HEADER:
		return "ambiguous-header";
	}
	return NULL;
}

/* ------------------------------------------------------------ build */

static void userset_free(struct cfg_userset *u)
{
	strv_free(u->addresses, u->n_addresses);
	strv_free(u->domains, u->n_domains);
}

static int userset_copy(struct cfg_userset *d, const struct cfg_userset *s)
{
	*d = *s;
	d->addresses = strv_dup(s->addresses, s->n_addresses);
	d->domains = strv_dup(s->domains, s->n_domains);
	if (!d->addresses || !d->domains) {
		userset_free(d);
		return -ENOMEM;
	}
	return 0;
}

static void ps_free(struct dlp_policy_set *ps)
{
	if (!ps)
		return;
	dlp_matcher_free(ps->matcher);
	dlp_entities_free(&ps->ents);
	strv_free(ps->entity_names, ps->n_entities);
	free(ps->entity_types);
	free(ps->entity_ids);
	if (ps->entity_nears)
		for (size_t i = 0; i < ps->n_entities; i++)
			free(ps->entity_nears[i]);
	free(ps->entity_nears);
	for (size_t i = 0; i < ps->n_rules; i++) {
		free(ps->rules[i].name);
		dlp_expr_free(ps->rules[i].expr);
		free(ps->rules[i].pos_entities);
	}
	free(ps->rules);
	for (size_t i = 0; i < ps->n_profiles; i++) {
		free(ps->profiles[i].name);
		free(ps->profiles[i].rules);
	}
	free(ps->profiles);
	free(ps->nears);
	if (ps->policy_profiles)
		for (size_t i = 0; i < ps->cfg.n_policies; i++)
			free(ps->policy_profiles[i]);
	free(ps->policy_profiles);
	for (size_t i = 0; i < ps->cfg.n_policies; i++) {
		struct cfg_policy *p = &ps->cfg.policies[i];
		free(p->name);
		userset_free(&p->from);
		userset_free(&p->to);
		free(p->header_name);
		free(p->header_value);
	}
	free(ps->cfg.policies);
	strv_free(ps->cfg.dlp.internal_domains, ps->cfg.dlp.n_internal_domains);
	free(ps->cfg.path);
	free(ps);
}

static const char *pathof(const struct cfg *cfg)
{
	return cfg->path ? cfg->path : "config";
}

static int find_entity(const struct cfg *cfg, const char *name)
{
	for (size_t i = 0; i < cfg->dlp.n_entities; i++)
		if (strcmp(cfg->dlp.entities[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int build_rules(struct dlp_policy_set *ps, const struct cfg *cfg, char *err, size_t errlen)
{
	const struct cfg_dlp *d = &cfg->dlp;
	size_t cap_near = 0;

	ps->rules = calloc(d->n_rules ? d->n_rules : 1, sizeof(*ps->rules));
	if (!ps->rules)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_rules; i++) {
		const struct cfg_rule *cr = &d->rules[i];
		struct ps_rule *r = &ps->rules[i];
		ps->n_rules = i + 1;
		r->name = strdup(cr->name);
		if (!r->name)
			return -ENOMEM;
		r->mode = cr->count;
		memcpy(r->thr, cr->severity, sizeof(r->thr));
		r->scope = cr->scope ? cr->scope : CFG_SCOPE_CONTENT;
		char perr[160];
		size_t off = 0;
		const char *m = cr->match ? cr->match : "";
		enum dlp_expr_status st =
			dlp_expr_parse(m, strlen(m), &r->expr, perr, sizeof(perr), &off);
		if (st == DLP_EXPR_NOMEM)
			return -ENOMEM;
		if (st != DLP_EXPR_OK) {
			snprintf(err, errlen, "%s:%d: dlp.rules.%s.match: %s", pathof(cfg),
				 cr->line, cr->name, perr);
			return -EINVAL;
		}
		if (r->expr->n_nodes > ps->max_expr_nodes)
			ps->max_expr_nodes = r->expr->n_nodes;
		r->pos_entities = calloc(r->expr->n_nodes, sizeof(*r->pos_entities));
		if (!r->pos_entities)
			return -ENOMEM;
		r->near_base = (uint32_t)ps->n_nears;
		for (size_t k = 0; k < r->expr->n_nodes; k++) {
			struct dlp_expr_node *nd = &r->expr->nodes[k];
			if (nd->op == DLP_EXPR_ENTITY) {
				nd->entity = find_entity(cfg, nd->name);
				if (nd->entity < 0) {
					snprintf(err, errlen,
						 "%s:%d: dlp.rules.%s.match: unknown entity \"%s\"",
						 pathof(cfg), cr->line, cr->name, nd->name);
					return -EINVAL;
				}
				if (nd->negated)
					continue;
				bool seen = false;
				for (size_t j = 0; j < r->n_pos; j++)
					seen |= r->pos_entities[j] == (uint32_t)nd->entity;
				if (!seen)
					r->pos_entities[r->n_pos++] = (uint32_t)nd->entity;
			}
		}
		for (size_t k = 0; k < r->expr->n_nodes; k++) {
			struct dlp_expr_node *nd = &r->expr->nodes[k];
			if (nd->op != DLP_EXPR_NEAR)
				continue;
			if (ps->n_nears == cap_near) {
				cap_near = cap_near ? cap_near * 2 : 8;
				struct ps_near *nn = realloc(ps->nears, cap_near * sizeof(*nn));
				if (!nn)
					return -ENOMEM;
				ps->nears = nn;
			}
			ps->nears[ps->n_nears++] =
				(struct ps_near){.a = (uint32_t)r->expr->nodes[nd->a].entity,
						 .b = (uint32_t)r->expr->nodes[nd->b].entity,
						 .dist = nd->distance,
						 .rule = (uint32_t)i,
						 .node = (int)k};
		}
	}
	/* per entity: the NEAR constraints it takes part in */
	ps->entity_nears = calloc(ps->n_entities ? ps->n_entities : 1, sizeof(*ps->entity_nears));
	if (!ps->entity_nears)
		return -ENOMEM;
	for (size_t e = 0; e < ps->n_entities; e++) {
		size_t n = 0;
		for (size_t k = 0; k < ps->n_nears; k++)
			n += ps->nears[k].a == e || ps->nears[k].b == e;
		if (!n)
			continue;
		ps->entity_nears[e] = malloc((n + 1) * sizeof(uint32_t));
		if (!ps->entity_nears[e])
			return -ENOMEM;
		n = 0;
		for (size_t k = 0; k < ps->n_nears; k++)
			if (ps->nears[k].a == e || ps->nears[k].b == e)
				ps->entity_nears[e][n++] = (uint32_t)k;
		ps->entity_nears[e][n] = UINT32_MAX;
	}
	return 0;
}

static int build_profiles_policies(struct dlp_policy_set *ps, const struct cfg *cfg, char *err,
				   size_t errlen)
{
	const struct cfg_dlp *d = &cfg->dlp;

	ps->profiles = calloc(d->n_profiles ? d->n_profiles : 1, sizeof(*ps->profiles));
	if (!ps->profiles)
		return -ENOMEM;
	for (size_t i = 0; i < d->n_profiles; i++) {
		const struct cfg_profile *cp = &d->profiles[i];
		struct ps_profile *p = &ps->profiles[i];
		ps->n_profiles = i + 1;
		p->name = strdup(cp->name);
		p->rules = calloc(cp->n_rules ? cp->n_rules : 1, sizeof(*p->rules));
		if (!p->name || !p->rules)
			return -ENOMEM;
		for (size_t k = 0; k < cp->n_rules; k++) {
			size_t r;
			for (r = 0; r < d->n_rules; r++)
				if (strcmp(d->rules[r].name, cp->rules[k]) == 0)
					break;
			if (r == d->n_rules) {
				snprintf(err, errlen,
					 "%s:%d: dlp.profiles.%s.rules: unknown rule \"%s\"",
					 pathof(cfg), cp->line, cp->name, cp->rules[k]);
				return -EINVAL;
			}
			p->rules[p->n_rules++] = r;
		}
	}
	ps->cfg.policies = calloc(cfg->n_policies ? cfg->n_policies : 1, sizeof(*ps->cfg.policies));
	ps->policy_profiles =
		calloc(cfg->n_policies ? cfg->n_policies : 1, sizeof(*ps->policy_profiles));
	if (!ps->cfg.policies || !ps->policy_profiles)
		return -ENOMEM;
	for (size_t i = 0; i < cfg->n_policies; i++) {
		const struct cfg_policy *sp = &cfg->policies[i];
		struct cfg_policy *dp = &ps->cfg.policies[i];
		*dp = *sp;
		dp->name = NULL;
		dp->header_name = dp->header_value = NULL;
		memset(&dp->from, 0, sizeof(dp->from));
		memset(&dp->to, 0, sizeof(dp->to));
		dp->profiles = NULL;
		ps->cfg.n_policies = i + 1;
		dp->name = strdup(sp->name);
		dp->header_name = xstrdup(sp->header_name);
		dp->header_value = xstrdup(sp->header_value);
		if (!dp->name || (sp->header_name && !dp->header_name) ||
		    (sp->header_value && !dp->header_value) || userset_copy(&dp->from, &sp->from) ||
		    userset_copy(&dp->to, &sp->to))
			return -ENOMEM;
		ps->policy_profiles[i] =
			calloc(sp->n_profiles ? sp->n_profiles : 1, sizeof(size_t));
		if (!ps->policy_profiles[i])
			return -ENOMEM;
		for (size_t k = 0; k < sp->n_profiles; k++) {
			size_t p;
			for (p = 0; p < d->n_profiles; p++)
				if (strcmp(d->profiles[p].name, sp->profiles[k]) == 0)
					break;
			if (p == d->n_profiles) {
				snprintf(err, errlen,
					 "%s:%d: policies.%s.profiles: unknown profile \"%s\"",
					 pathof(cfg), sp->line, sp->name, sp->profiles[k]);
				return -EINVAL;
			}
			ps->policy_profiles[i][k] = p;
		}
	}
	return 0;
}

struct dlp_policy_set *dlp_policy_set_build(const struct cfg *cfg, char *err, size_t errlen)
{
	struct dlp_policy_set *ps = calloc(1, sizeof(*ps));
	int rc;
	char dummy[1];

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!ps) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	atomic_init(&ps->refs, 1);
	const struct cfg_dlp *d = &cfg->dlp;
	ps->n_entities = d->n_entities;
	ps->limits = d->limits;
	if (!ps->limits.max_matches)
		ps->limits.max_matches = 100;
	ps->scan_limit = d->scan_limit;
	ps->on_unscannable = d->on_unscannable;
	ps->cfg.path = xstrdup(cfg->path);
	ps->cfg.dlp.internal_domains = strv_dup(d->internal_domains, d->n_internal_domains);
	ps->cfg.dlp.n_internal_domains = d->n_internal_domains;
	ps->entity_names = calloc(d->n_entities ? d->n_entities : 1, sizeof(char *));
	ps->entity_types = calloc(d->n_entities ? d->n_entities : 1, sizeof(*ps->entity_types));
	ps->entity_ids = calloc(d->n_entities ? d->n_entities : 1, sizeof(*ps->entity_ids));
	rc = -ENOMEM;
	if (!ps->cfg.dlp.internal_domains || !ps->entity_names || !ps->entity_types ||
	    !ps->entity_ids)
		goto fail;
	for (size_t i = 0; i < d->n_entities; i++) {
		ps->entity_names[i] = strdup(d->entities[i].name);
		if (!ps->entity_names[i])
			goto fail;
		ps->entity_types[i] = d->entities[i].type;
		ps->entity_ids[i] = d->entities[i].identifier;
		for (size_t j = 0; j < i; j++)
			if (strcmp(d->entities[j].name, d->entities[i].name) == 0) {
				snprintf(err, errlen, "%s:%d: dlp.entities.%s: duplicate name",
					 pathof(cfg), d->entities[i].line, d->entities[i].name);
				rc = -EINVAL;
				goto fail;
			}
	}
	rc = build_rules(ps, cfg, err, errlen);
	if (!rc)
		rc = build_profiles_policies(ps, cfg, err, errlen);
	if (!rc)
		rc = dlp_entities_build(d, pathof(cfg), &ps->ents, err, errlen);
	if (rc)
		goto fail;
	if (ps->ents.n_pats == 0) {
		/* Hyperscan needs at least one pattern: one that never matches
		 * printable text and is never counted. */
		struct dlp_pat none = {.entity = UINT32_MAX, .kind = DLP_PK_REGEX};
		ps->ents.exprs = malloc(sizeof(char *));
		ps->ents.flags = calloc(1, sizeof(unsigned));
		ps->ents.ids = calloc(1, sizeof(unsigned));
		ps->ents.pats = malloc(sizeof(none));
		if (!ps->ents.exprs || !ps->ents.flags || !ps->ents.ids || !ps->ents.pats)
			goto fail;
		ps->ents.exprs[0] = strdup("\\x00\\xff\\x00\\xff\\x00");
		if (!ps->ents.exprs[0])
			goto fail;
		ps->ents.pats[0] = none;
		ps->ents.n_pats = 1;
	}
	char herr[256];
	int bad = -1;
	ps->matcher = dlp_matcher_compile((const char *const *)ps->ents.exprs, ps->ents.flags,
					  ps->ents.ids, ps->ents.n_pats, herr, sizeof(herr), &bad);
	if (!ps->matcher) {
		rc = -errno;
		if (bad >= 0 && (size_t)bad < ps->ents.n_pats &&
		    ps->ents.pats[bad].entity < d->n_entities) {
			const struct cfg_entity *en = &d->entities[ps->ents.pats[bad].entity];
			snprintf(err, errlen, "%s:%d: dlp.entities.%s: pattern rejected: %s",
				 pathof(cfg), en->line, en->name, herr);
		} else {
			snprintf(err, errlen, "%s: Hyperscan: %s", pathof(cfg), herr);
		}
		goto fail;
	}
	return ps;
fail:
	if (!err[0])
		snprintf(err, errlen, "%s: out of memory", pathof(cfg));
	ps_free(ps);
	errno = rc < 0 ? -rc : ENOMEM;
	return NULL;
}

void dlp_policy_set_ref(struct dlp_policy_set *ps)
{
	atomic_fetch_add_explicit(&ps->refs, 1, memory_order_relaxed);
}

void dlp_policy_set_unref(struct dlp_policy_set *ps)
{
	if (ps && atomic_fetch_sub_explicit(&ps->refs, 1, memory_order_acq_rel) == 1)
		ps_free(ps);
}

size_t dlp_policy_set_db_bytes(const struct dlp_policy_set *ps)
{
	return dlp_matcher_db_bytes(ps->matcher);
}

size_t dlp_policy_set_pattern_count(const struct dlp_policy_set *ps)
{
	return ps->ents.n_pats;
}

const struct dlp_matcher *dlp_policy_set_matcher(const struct dlp_policy_set *ps)
{
	return ps->matcher;
}

/* ------------------------------------------------------------ matching */

static int add_part(struct dlp_txn *t, const char *path)
{
	if (t->n_parts == t->cap_parts) {
		size_t nc = t->cap_parts ? t->cap_parts * 2 : 16;
		char **np = realloc(t->parts, nc * sizeof(*np));
		if (!np)
			return -ENOMEM;
		t->parts = np;
		size_t *nl = realloc(t->part_len, nc * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		t->part_len = nl;
		t->cap_parts = nc;
	}
	t->part_len[t->n_parts] = strlen(path);
	t->parts[t->n_parts] = memdup0(path, t->part_len[t->n_parts]);
	if (!t->parts[t->n_parts])
		return -ENOMEM;
	return (int)t->n_parts++;
}

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 33;
	return h ? h : 1;
}

/* Insert key; true if it was new. */
static bool vset_add(struct dlp_txn *t, uint64_t key)
{
	if (t->vset_n * 2 >= t->vset_cap) {
		size_t nc = t->vset_cap ? t->vset_cap * 2 : 256;
		uint64_t *nv = calloc(nc, sizeof(*nv));
		if (!nv) {
			t->failed = true;
			return false;
		}
		for (size_t i = 0; i < t->vset_cap; i++) {
			uint64_t k = t->vset[i];
			if (!k)
				continue;
			size_t s = k & (nc - 1);
			while (nv[s])
				s = (s + 1) & (nc - 1);
			nv[s] = k;
		}
		free(t->vset);
		t->vset = nv;
		t->vset_cap = nc;
	}
	size_t s = key & (t->vset_cap - 1);
	while (t->vset[s]) {
		if (t->vset[s] == key)
			return false;
		s = (s + 1) & (t->vset_cap - 1);
	}
	t->vset[s] = key;
	t->vset_n++;
	return true;
}

static enum dlp_mask_kind mask_kind(const struct dlp_policy_set *ps, uint32_t e)
{
	if (ps->entity_types[e] != CFG_ENTITY_IDENTIFIER)
		return DLP_MASK_GENERIC;
	switch (ps->entity_ids[e]) {
	case CFG_ID_PAYMENT_CARD:
		return DLP_MASK_CARD;
	case CFG_ID_US_SSN:
		return DLP_MASK_SSN;
	default:
		return DLP_MASK_IBAN;
	}
}

/* Count one confirmed match. Returns its record index, or SIZE_MAX when
 * it was counted but not recorded (limits.max_matches) or on failure. */
static size_t accept_match(struct pstream *s, const struct dlp_pat *p, const struct dlp_hit *h)
{
	struct dlp_txn *t = s->txn;
	struct dlp_scanner *sc = t->sc;
	const struct dlp_policy_set *ps = sc->ps;
	uint32_t e = p->entity;
	struct ent_ctr *c = &sc->ctr[e];
	int sco = s->scope;
	size_t rec_idx = SIZE_MAX;

	c->count[sco]++;
	if (h->has_value) {
		uint64_t hv = 1469598103934665603ull;
		for (size_t i = 0; i < h->value_len; i++) {
			hv ^= (unsigned char)h->value[i];
			hv *= 1099511628211ull;
		}
		hv ^= (uint64_t)e * 0x9e3779b97f4a7c15ull;
		c->score[sco] += 1;
		if (vset_add(t, mix64(hv * 4 + 2)))
			c->unique_any++;
		if (vset_add(t, mix64(hv * 4 + (uint64_t)sco)))
			c->unique[sco]++;
	} else {
		const struct dlp_term *term = &ps->ents.terms[p->term];
		uint32_t *seen = &sc->term_seen[(size_t)p->term * 3];
		c->score[sco] += term->weight;
		if (seen[0] != sc->gen) {
			seen[0] = sc->gen;
			c->unique_any++;
		}
		if (seen[1 + sco] != sc->gen) {
			seen[1 + sco] = sc->gen;
			c->unique[sco]++;
		}
	}
	if (c->n_recs < ps->limits.max_matches) {
		if (t->n_recs == t->cap_recs) {
			size_t nc = t->cap_recs ? t->cap_recs * 2 : 64;
			struct rec *nr = realloc(t->recs, nc * sizeof(*nr));
			if (!nr) {
				t->failed = true;
				return SIZE_MAX;
			}
			t->recs = nr;
			t->cap_recs = nc;
		}
		struct rec *r = &t->recs[t->n_recs];
		r->entity = e;
		r->part = s->part;
		r->offset = h->start;
		r->value = NULL;
		r->term = h->has_value ? UINT32_MAX : p->term;
		if (h->has_value) {
			char m[DLP_HIT_VALUE_MAX + 1];
			size_t ml = dlp_mask_value(mask_kind(ps, e), h->value, h->value_len, m,
						   sizeof(m));
			r->value = malloc(ml + 1);
			if (!r->value) {
				t->failed = true;
				return SIZE_MAX;
			}
			memcpy(r->value, m, ml + 1);
		}
		rec_idx = t->n_recs++;
		c->n_recs++;
	}
	const uint32_t *nl = ps->entity_nears[e];
	if (nl) {
		for (; *nl != UINT32_MAX; nl++) {
			const struct ps_near *nr = &ps->nears[*nl];
			uint32_t other = nr->a == e ? nr->b : nr->a;
			const struct ent_ctr *oc = &sc->ctr[other];
			if (oc->last_part != s->part_gen)
				continue;
			uint64_t d = h->start > oc->last_start ? h->start - oc->last_start
							       : oc->last_start - h->start;
			if (d <= nr->dist)
				sc->near_sat[(size_t)*nl * 2 + (size_t)sco] = true;
		}
		c->last_part = s->part_gen;
		c->last_start = h->start;
	}
	return rec_idx;
}

/* A later end of a regex match already counted (same leftmost start):
 * lengthen the recorded value instead of counting again. */
static void regex_extend(struct pstream *s, const struct dlp_pat *p, const struct dlp_hit *h)
{
	size_t ri = s->rx_rec[p->term];
	if (ri == SIZE_MAX)
		return;
	struct rec *r = &s->txn->recs[ri];
	char m[DLP_HIT_VALUE_MAX + 1];
	size_t ml = dlp_mask_value(DLP_MASK_GENERIC, h->value, h->value_len, m, sizeof(m));
	char *nv = malloc(ml + 1);
	if (!nv)
		return; /* keep the shorter value */
	memcpy(nv, m, ml + 1);
	free(r->value);
	r->value = nv;
}

static inline void confirm_and_accept(struct pstream *s, const struct dlp_pat *p, uint64_t from,
				      uint64_t to)
{
	struct dlp_hit h;

	if (p->entity == UINT32_MAX)
		return;
	if (!dlp_entity_confirm(p, s->terms, &s->w, from, to, &h))
		return;
	if (p->kind == DLP_PK_REGEX) {
		if (s->rx_from[p->term] == from) {
			regex_extend(s, p, &h);
			return;
		}
		s->rx_from[p->term] = from;
		s->rx_rec[p->term] = accept_match(s, p, &h);
		return;
	}
	accept_match(s, p, &h);
}

/* Byte classes for the callback's early rejects, one bit per question,
 * each at the position of the DLP_PF_* flag that asks it (so a pattern's
 * flags are the mask of the classes that reject it): WA = word byte after a
 * term (dlp_word_byte_after), WB = ASCII word byte (no boundary before a
 * term after one), NS = not \s and not the last byte of a Unicode space
 * (NBSP's 0xA0 and the others uspace_before() knows; all may separate a
 * phrase's words), SPC = ASCII \s, UP = ASCII upper case. */
#define BC_WA DLP_PF_WORD_END
#define BC_WB DLP_PF_WORD_START
#define BC_NS DLP_PF_PHRASE_SEP
#define BC_SPC DLP_PF_PHRASE_PREV
#define BC_UP DLP_PF_CASELESS
static const uint8_t byte_class[256] = {
	[0x00 ... 0x08] = BC_NS,
	[0x09 ... 0x0D] = BC_SPC, /* \t \n \v \f \r */
	[0x0E ... 0x1F] = BC_NS,
	[' '] = BC_SPC,
	[0x21 ... 0x2F] = BC_NS,
	['0' ... '9'] = BC_WA | BC_WB | BC_NS,
	[0x3A ... 0x40] = BC_NS,
	['A' ... 'Z'] = BC_WA | BC_WB | BC_NS | BC_UP,
	[0x5B ... 0x5E] = BC_NS,
	['_'] = BC_WA | BC_WB | BC_NS,
	['`'] = BC_NS,
	['a' ... 'z'] = BC_WA | BC_WB | BC_NS,
	[0x7B ... 0x7F] = BC_NS,
	/* last bytes of Unicode spaces (uspace_before() in entities.c):
	 * U+2000..U+200A and U+3000 (80..8A), U+205F (9F), NBSP (A0),
	 * U+202F (AF) may separate a phrase's words too */
	[0x80 ... 0x8A] = BC_WA,
	[0x8B ... 0x9E] = BC_WA | BC_NS,
	[0x9F ... 0xA0] = BC_WA,
	[0xA1 ... 0xAE] = BC_WA | BC_NS,
	[0xAF] = BC_WA,
	[0xB0 ... 0xC1] = BC_WA | BC_NS,
	[0xC2] = BC_NS,
	[0xC3 ... 0xE1] = BC_WA | BC_NS,
	[0xE2] = BC_NS, /* U+2000..U+2FFF: punctuation (dlp_word_byte_after) */
	[0xE3 ... 0xFF] = BC_WA | BC_NS,
};

/* Early reject of a dictionary hit from the bytes around it in the chunk
 * being scanned (rel = end offset in cur): a term glued to the next word
 * ("customers" for "customer"), a word inside a longer one ("date" in
 * "update"), a phrase's last word not preceded by whitespace, or preceded
 * by one space after the wrong bytes ("manager" after "the " or "budget "
 * for "Account Manager": the two bytes before the space are compared). Only decides "no"; what it lets through is confirmed in full.
 * Inside the chunk (nearly every hit) it is branch-free: which test applies
 * is in the pattern's flags, which are the class masks; other patterns
 * (identifiers, regexes) have no flags and load harmless bytes. */
static inline bool early_reject(const struct dlp_pat *p, const uint8_t *cur, size_t cur_len,
				uint64_t rel)
{
	unsigned f = p->flags, wl = p->wlen;

	if (__builtin_expect(rel >= wl + 3u && rel < cur_len, 1)) {
		unsigned ca = byte_class[cur[rel]];
		unsigned c1 = byte_class[cur[rel - wl - 1]];
		unsigned b2 = cur[rel - wl - 2], b3 = cur[rel - wl - 3];
		unsigned c2 = byte_class[b2], c3 = byte_class[b3];
		/* BC_UP << 1 == 0x20: ASCII lower case where caseless */
		unsigned fold2 = b2 + ((c2 & f & BC_UP) << 1);
		unsigned fold3 = b3 + ((c3 & f & BC_UP) << 1);
		unsigned differ = (fold2 != p->prev) |
				  (((f & DLP_PF_PHRASE_PREV2) != 0) & (fold3 != p->prev2));
		unsigned prev = ((c1 & f & BC_SPC) != 0) & ((c2 & BC_NS) != 0) & differ;
		return ((ca & f & BC_WA) | (c1 & f & (BC_WB | BC_NS)) | prev) != 0;
	}
	/* the chunk's first or last bytes: the same tests where bytes exist */
	if (rel < cur_len && (f & DLP_PF_WORD_END) && (byte_class[cur[rel]] & BC_WA))
		return true;
	if (rel <= wl || rel > cur_len)
		return false;
	unsigned b1 = cur[rel - wl - 1];
	return byte_class[b1] & f & (BC_WB | BC_NS);
}

/* A hit the early checks let through: wait for its look-ahead bytes, or
 * confirm it. Out of line so that on_match(), which rejects ~90 % of the
 * raw hits of a dictionary, needs no stack frame. */
static __attribute__((noinline)) int on_match_slow(struct pstream *s, const struct dlp_pat *p,
						   unsigned id, uint64_t from, uint64_t to)
{
	uint64_t rel = to - s->w.cur_base;

	/* A single word with both neighbours in the chunk that passed
	 * early_reject() with an ASCII byte before it stands: those are all
	 * of confirm_term()'s checks for a DLP_PK_WORD (boundary after it by
	 * the same byte class, boundary before it: not an ASCII word byte). */
	if (p->kind == DLP_PK_WORD && p->entity != UINT32_MAX && rel >= p->wlen + 2u &&
	    rel < s->w.cur_len && s->w.cur[rel - p->wlen - 1] < 0x80) {
		struct dlp_hit h;
		h.start = to - p->wlen;
		h.has_value = false;
		accept_match(s, p, &h);
		return 0;
	}
	if (!s->w.eof && to + p->lookahead > dlp_window_end(&s->w)) {
		if (s->n_pend == s->cap_pend) {
			size_t nc = s->cap_pend ? s->cap_pend * 2 : 16;
			struct pending *np = realloc(s->pend, nc * sizeof(*np));
			if (!np) {
				s->txn->failed = true;
				return 1;
			}
			s->pend = np;
			s->cap_pend = nc;
		}
		s->pend[s->n_pend++] = (struct pending){id, from, to};
		return 0;
	}
	confirm_and_accept(s, p, from, to);
	return 0;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
		    void *ctx)
{
	struct pstream *s = ctx;
	const struct dlp_pat *p = &s->pats[id];
	(void)flags;

	/* to < cur_base (end-of-data matches after the last chunk) wraps to
	 * a huge rel: no early decision. */
	if (early_reject(p, s->w.cur, s->w.cur_len, to - s->w.cur_base))
		return 0;
	return on_match_slow(s, p, id, from, to);
}

/* Confirm pending matches whose look-ahead bytes are now present. */
static void resolve_pending(struct pstream *s)
{
	size_t keep = 0;

	for (size_t i = 0; i < s->n_pend; i++) {
		struct pending pd = s->pend[i];
		const struct dlp_pat *p = &s->pats[pd.id];
		if (!s->w.eof && pd.to + p->lookahead > dlp_window_end(&s->w))
			s->pend[keep++] = pd;
		else
			confirm_and_accept(s, p, pd.from, pd.to);
	}
	s->n_pend = keep;
}

/* Keep the last DLP_WINDOW bytes of tail + p[0..n) as the new tail. */
static void ps_update_tail(struct pstream *s, const uint8_t *p, size_t n)
{
	if (n >= DLP_WINDOW) {
		memcpy(s->tail, p + n - DLP_WINDOW, DLP_WINDOW);
		s->w.tail_len = DLP_WINDOW;
		return;
	}
	size_t keep = s->w.tail_len < DLP_WINDOW - n ? s->w.tail_len : DLP_WINDOW - n;
	memmove(s->tail, s->tail + s->w.tail_len - keep, keep);
	memcpy(s->tail + keep, p, n);
	s->w.tail_len = keep + n;
}

/* Scan one segment of the part's text in place: confirm what waited for
 * these bytes, run Hyperscan, then keep the segment's end as look-back. */
static void ps_scan_segment(struct pstream *s, const uint8_t *p, size_t n)
{
	s->w.cur = p;
	s->w.cur_len = n;
	resolve_pending(s);
	if (dlp_matcher_scan(s->mw, p, n, on_match, s) < 0)
		s->txn->anomalies |= DLP_ANOM_SCAN_ERROR;
	s->scanned += n;
	ps_update_tail(s, p, n);
	s->w.cur = NULL;
	s->w.cur_base = s->scanned;
	s->w.cur_len = 0;
}

static void ps_flush_small(struct pstream *s)
{
	if (s->small_len) {
		size_t n = s->small_len;
		s->small_len = 0;
		ps_scan_segment(s, s->small, n);
	}
}

static void ps_begin(struct pstream *s, int part, int scope)
{
	struct dlp_txn *t = s->txn;

	s->part = (uint32_t)part;
	s->part_gen = ++t->part_gen;
	s->scope = scope;
	s->w = (struct dlp_window){.tail = s->tail};
	s->small_len = 0;
	s->scanned = 0;
	s->n_pend = 0;
	s->open = true;
	size_t nrx = s->txn->sc->ps->ents.n_regex;
	if (nrx) {
		memset(s->rx_from, 0xff, nrx * sizeof(*s->rx_from));
		memset(s->rx_rec, 0xff, nrx * sizeof(*s->rx_rec));
	}
}

static void ps_text(struct pstream *s, const uint8_t *data, size_t len)
{
	if (len >= SMALL_MAX) {
		ps_flush_small(s);
		ps_scan_segment(s, data, len);
		return;
	}
	if (s->small_len + len > SMALL_CAP)
		ps_flush_small(s);
	memcpy(s->small + s->small_len, data, len);
	s->small_len += len;
}

static void ps_end(struct pstream *s)
{
	ps_flush_small(s);
	s->w.eof = true;
	if (dlp_matcher_flush(s->mw, on_match, s) < 0)
		s->txn->anomalies |= DLP_ANOM_SCAN_ERROR;
	resolve_pending(s);
	s->open = false;
}

/* A part stream left open by an abandoned message: its Hyperscan stream is
 * reset without reporting, so the next message starts from a clean state
 * (otherwise it would continue the old stream and could miss its matches). */
static void ps_discard(struct pstream *s)
{
	if (!s->open)
		return;
	if (dlp_matcher_discard(s->mw) < 0)
		s->txn->anomalies |= DLP_ANOM_SCAN_ERROR;
	s->small_len = 0;
	s->n_pend = 0;
	s->open = false;
}

/* Scan a whole small buffer (header value) as one part, in place. */
static void scan_value(struct dlp_txn *t, const char *path, int scope, const char *v, size_t len)
{
	struct pstream *s = &t->hdr;
	int part = add_part(t, path);

	if (part < 0) {
		t->failed = true;
		return;
	}
	ps_begin(s, part, scope);
	ps_scan_segment(s, (const uint8_t *)v, len);
	ps_end(s);
}

/* ------------------------------------------------------------ MIME sink */

static void sink_header(void *ctx, const char *path, unsigned depth, const char *name,
			const char *value, size_t len)
{
	struct dlp_txn *t = ctx;
	(void)path;

	if (strcasecmp(name, "subject") == 0) {
		if (depth == 0 && !t->subject) {
			t->subject = malloc(len + 1);
			if (!t->subject) {
				t->failed = true;
				return;
			}
			memcpy(t->subject, value, len);
			t->subject[len] = '\0';
			scan_value(t, "header:subject", SCOPE_CONTENT, value, len);
		} else {
			char p[MIME_PATH_MAX + 32];
			snprintf(p, sizeof(p), "header:subject:%s", path);
			scan_value(t, p, SCOPE_CONTENT, value, len);
		}
		return;
	}
	if (depth != 0)
		return;
	bool is_from = strcasecmp(name, "from") == 0;
	bool is_to = strcasecmp(name, "to") == 0;
	bool is_cc = strcasecmp(name, "cc") == 0;
	if (!is_from && !is_to && !is_cc)
		return;
	scan_value(t,
		   is_from ? "metadata:from"
		   : is_to ? "metadata:to"
			   : "metadata:cc",
		   SCOPE_META, value, len);
	int rc = is_from ? dlp_addr_list_parse(value, len, &t->hdr_from, &t->n_hdr_from)
			 : dlp_addr_list_parse(value, len, &t->hdr_rcpts, &t->n_hdr_rcpts);
	if (rc)
		t->failed = true;
}

static void sink_part_begin(void *ctx, const struct mime_part_info *part)
{
	struct dlp_txn *t = ctx;

	if (part->filename && *part->filename) {
		char p[MIME_PATH_MAX + 32];
		snprintf(p, sizeof(p), "metadata:filename:%s", part->path);
		scan_value(t, p, SCOPE_META, part->filename, strlen(part->filename));
	}
	if (t->body.open)
		ps_end(&t->body);
	int idx = add_part(t, part->path);
	if (idx < 0) {
		t->failed = true;
		return;
	}
	ps_begin(&t->body, idx, SCOPE_CONTENT);
}

static void sink_text(void *ctx, const uint8_t *data, size_t len)
{
	struct dlp_txn *t = ctx;

	if (!t->body.open)
		return;
	t->decoded += len;
	ps_text(&t->body, data, len);
}

static void sink_part_end(void *ctx, const struct mime_part_info *part)
{
	struct dlp_txn *t = ctx;
	(void)part;

	if (t->body.open)
		ps_end(&t->body);
}

static const struct mime_sink engine_sink = {
	.header = sink_header,
	.part_begin = sink_part_begin,
	.text = sink_text,
	.part_end = sink_part_end,
};

/* ------------------------------------------------------------ scanner */

struct dlp_scanner *dlp_scanner_create(struct dlp_policy_set *ps)
{
	struct dlp_scanner *sc = calloc(1, sizeof(*sc));

	if (!sc)
		goto fail;
	dlp_policy_set_ref(ps);
	sc->ps = ps;
	size_t ne = ps->n_entities ? ps->n_entities : 1;
	sc->ctr = calloc(ne, sizeof(*sc->ctr));
	sc->present = calloc(ne, sizeof(*sc->present));
	sc->term_seen = calloc(ps->ents.n_terms * 3 + 1, sizeof(*sc->term_seen));
	sc->near_sat = calloc(ps->n_nears * 2 + 1, sizeof(*sc->near_sat));
	sc->near_true = calloc(ps->max_expr_nodes + 1, sizeof(*sc->near_true));
	sc->mw_body = dlp_matcher_worker_create(ps->matcher);
	sc->mw_hdr = dlp_matcher_worker_create(ps->matcher);
	sc->txn.body.tail = malloc(DLP_WINDOW);
	sc->txn.hdr.tail = malloc(DLP_WINDOW);
	sc->txn.body.small = malloc(SMALL_CAP);
	sc->txn.hdr.small = malloc(SMALL_CAP);
	size_t nrx = ps->ents.n_regex ? ps->ents.n_regex : 1;
	sc->txn.body.rx_from = calloc(nrx, sizeof(uint64_t));
	sc->txn.hdr.rx_from = calloc(nrx, sizeof(uint64_t));
	sc->txn.body.rx_rec = calloc(nrx, sizeof(size_t));
	sc->txn.hdr.rx_rec = calloc(nrx, sizeof(size_t));
	if (!sc->ctr || !sc->present || !sc->term_seen || !sc->near_sat || !sc->near_true ||
	    !sc->mw_body || !sc->mw_hdr || !sc->txn.body.tail || !sc->txn.hdr.tail ||
	    !sc->txn.body.small || !sc->txn.hdr.small || !sc->txn.body.rx_from ||
	    !sc->txn.hdr.rx_from || !sc->txn.body.rx_rec || !sc->txn.hdr.rx_rec)
		goto fail;
	struct mime_limits ml = {
		.max_depth = ps->limits.max_depth ? ps->limits.max_depth : 20,
		.max_parts = ps->limits.max_parts ? ps->limits.max_parts : 1000,
		.max_header_bytes =
			ps->limits.max_header_bytes ? ps->limits.max_header_bytes : 256 * 1024,
		.max_line_length =
			ps->limits.max_line_length ? ps->limits.max_line_length : 64 * 1024,
		.max_decoded_bytes = ps->scan_limit ? ps->scan_limit : 32ull << 20,
	};
	sc->mp = mime_parser_create(&ml, &engine_sink, &sc->txn);
	if (!sc->mp)
		goto fail;
	sc->txn.sc = sc;
	sc->txn.body.txn = sc->txn.hdr.txn = &sc->txn;
	sc->txn.body.mw = sc->mw_body;
	sc->txn.hdr.mw = sc->mw_hdr;
	sc->txn.body.pats = sc->txn.hdr.pats = ps->ents.pats;
	sc->txn.body.terms = sc->txn.hdr.terms = ps->ents.terms;
	return sc;
fail:
	dlp_scanner_destroy(sc);
	errno = ENOMEM;
	return NULL;
}

static void txn_clear(struct dlp_txn *t)
{
	for (size_t i = 0; i < t->n_parts; i++)
		free(t->parts[i]);
	t->n_parts = 0;
	for (size_t i = 0; i < t->n_recs; i++)
		free(t->recs[i].value);
	t->n_recs = 0;
	if (t->vset_n) {
		memset(t->vset, 0, t->vset_cap * sizeof(*t->vset));
		t->vset_n = 0;
	}
	free(t->from);
	t->from = NULL;
	strv_free(t->rcpts, t->n_rcpts);
	t->rcpts = NULL;
	t->n_rcpts = 0;
	strv_free(t->hdr_from, t->n_hdr_from);
	t->hdr_from = NULL;
	t->n_hdr_from = 0;
	strv_free(t->hdr_rcpts, t->n_hdr_rcpts);
	t->hdr_rcpts = NULL;
	t->n_hdr_rcpts = 0;
	free(t->subject);
	t->subject = NULL;
	t->active = false;
}

void dlp_scanner_destroy(struct dlp_scanner *sc)
{
	if (!sc)
		return;
	txn_clear(&sc->txn);
	free(sc->txn.parts);
	free(sc->txn.part_len);
	free(sc->txn.recs);
	free(sc->txn.vset);
	free(sc->txn.body.pend);
	free(sc->txn.hdr.pend);
	free(sc->txn.body.tail);
	free(sc->txn.hdr.tail);
	free(sc->txn.body.small);
	free(sc->txn.hdr.small);
	free(sc->txn.body.rx_from);
	free(sc->txn.hdr.rx_from);
	free(sc->txn.body.rx_rec);
	free(sc->txn.hdr.rx_rec);
	mime_parser_destroy(sc->mp);
	dlp_matcher_worker_destroy(sc->mw_body);
	dlp_matcher_worker_destroy(sc->mw_hdr);
	free(sc->ctr);
	free(sc->present);
	free(sc->term_seen);
	free(sc->near_sat);
	free(sc->near_true);
	dlp_policy_set_unref(sc->ps);
	free(sc);
}

/* ------------------------------------------------------------ txn */

struct dlp_txn *dlp_txn_begin(struct dlp_scanner *sc, const struct dlp_envelope *env)
{
	struct dlp_txn *t = &sc->txn;
	const struct dlp_policy_set *ps = sc->ps;

	ps_discard(&t->body);
	ps_discard(&t->hdr);
	if (t->active)
		txn_clear(t);
	t->failed = false;
	t->anomalies = 0;
	t->raw_bytes = t->decoded = 0;
	t->part_gen = 0;
	memset(sc->ctr, 0, (ps->n_entities ? ps->n_entities : 1) * sizeof(*sc->ctr));
	memset(sc->near_sat, 0, (ps->n_nears * 2 + 1) * sizeof(*sc->near_sat));
	if (++sc->gen == 0) { /* wrapped: forget all stamps */
		memset(sc->term_seen, 0, (ps->ents.n_terms * 3 + 1) * sizeof(*sc->term_seen));
		sc->gen = 1;
	}
	t->env_from = env && env->mail_from;
	t->env_rcpts = env && env->n_rcpts;
	if (t->env_from) {
		t->from = strdup(env->mail_from);
		if (!t->from)
			goto nomem;
	}
	if (t->env_rcpts) {
		t->rcpts = strv_dup((char *const *)env->rcpts, env->n_rcpts);
		if (!t->rcpts)
			goto nomem;
		t->n_rcpts = env->n_rcpts;
	}
	mime_parser_reset(sc->mp);
	t->active = true;
	return t;
nomem:
	txn_clear(t);
	errno = ENOMEM;
	return NULL;
}

int dlp_txn_feed(struct dlp_txn *t, const void *data, size_t len)
{
	if (t->failed)
		return -ENOMEM;
	t->raw_bytes += len;
	int rc = mime_parser_feed(t->sc->mp, data, len);
	if (rc)
		return rc;
	return t->failed ? -ENOMEM : 0;
}

void dlp_txn_abort(struct dlp_txn *t)
{
	if (!t)
		return;
	ps_discard(&t->body);
	ps_discard(&t->hdr);
	txn_clear(t);
}

static enum cfg_severity rule_severity(const struct ps_rule *r, int64_t v)
{
	enum cfg_severity s = CFG_SEV_NONE;
	bool any = false;

	for (int l = CFG_SEV_LOW; l <= CFG_SEV_CRITICAL; l++) {
		if (r->thr[l] <= 0)
			continue;
		any = true;
		if (v >= r->thr[l])
			s = (enum cfg_severity)l;
	}
	if (!any && v > 0)
		s = CFG_SEV_LOW;
	return s;
}

void dlp_verdict_free(struct dlp_verdict *v)
{
	if (!v)
		return;
	free(v->policy);
	free(v->profile);
	free(v->header_name);
	free(v->header_value);
	for (size_t i = 0; i < v->n_rules; i++)
		free(v->rules[i].name);
	free(v->rules);
	for (size_t i = 0; i < v->n_entities; i++) {
		struct dlp_entity_result *e = &v->entities[i];
		free(e->name);
		free(e->matches); /* the match strings live in the same block */
	}
	free(v->entities);
	free(v->from);
	strv_free(v->rcpts, v->n_rcpts);
	free(v->subject);
	free(v);
}

static int build_entities(struct dlp_txn *t, struct dlp_verdict *v)
{
	const struct dlp_policy_set *ps = t->sc->ps;
	const struct ent_ctr *ctr = t->sc->ctr;
	size_t n = 0;

	for (size_t e = 0; e < ps->n_entities; e++)
		n += ctr[e].count[0] + ctr[e].count[1] > 0;
	v->entities = calloc(n ? n : 1, sizeof(*v->entities));
	if (!v->entities)
		return -ENOMEM;
	for (size_t e = 0; e < ps->n_entities; e++) {
		const struct ent_ctr *c = &ctr[e];
		if (c->count[0] + c->count[1] == 0)
			continue;
		struct dlp_entity_result *er = &v->entities[v->n_entities++];
		er->name = strdup(ps->entity_names[e]);
		er->count = c->count[0] + c->count[1];
		er->unique_count = c->unique_any;
		/* The match records and their strings share one allocation
		 * (matches[] first): one malloc per entity instead of two per
		 * match; dlp_verdict_free() knows. */
		size_t bytes = (size_t)c->n_recs * sizeof(*er->matches);
		for (size_t i = 0; i < t->n_recs; i++) {
			const struct rec *r = &t->recs[i];
			if (r->entity != e)
				continue;
			bytes += t->part_len[r->part] + 1;
			bytes += (r->term != UINT32_MAX ? ps->ents.terms[r->term].len
							: strlen(r->value)) +
				 1;
		}
		er->matches = calloc(1, bytes ? bytes : 1);
		if (!er->name || !er->matches)
			return -ENOMEM;
		char *str = (char *)(er->matches + c->n_recs);
		for (size_t i = 0; i < t->n_recs; i++) {
			const struct rec *r = &t->recs[i];
			if (r->entity != e)
				continue;
			struct dlp_match *m = &er->matches[er->n_matches++];
			size_t l = t->part_len[r->part];
			m->offset = r->offset;
			m->part = memcpy(str, t->parts[r->part], l);
			str[l] = '\0';
			str += l + 1;
			const char *src =
				r->term != UINT32_MAX ? ps->ents.terms[r->term].text : r->value;
			l = r->term != UINT32_MAX ? ps->ents.terms[r->term].len : strlen(r->value);
			memcpy(str, src, l);
			str[l] = '\0';
			if (r->term != UINT32_MAX)
				m->term = str;
			else
				m->value = str;
			str += l + 1;
		}
	}
	return 0;
}

struct dlp_verdict *dlp_txn_end(struct dlp_txn *t)
{
	struct dlp_scanner *sc = t->sc;
	const struct dlp_policy_set *ps = sc->ps;
	struct dlp_verdict *v = NULL;
	enum cfg_severity *prof_sev = NULL;
	enum cfg_severity *rule_sev = NULL;
	int err = ENOMEM;

	if (!t->failed && mime_parser_finish(sc->mp) != 0)
		t->failed = true;
	if (t->body.open)
		ps_end(&t->body);
	if (t->failed)
		goto out;
	t->anomalies |= mime_parser_anomalies(sc->mp);
	v = calloc(1, sizeof(*v));
	rule_sev = calloc(ps->n_rules + 1, sizeof(*rule_sev));
	prof_sev = calloc(ps->n_profiles + 1, sizeof(*prof_sev));
	if (!v || !rule_sev || !prof_sev)
		goto out;
	v->rules = calloc(ps->n_rules + 1, sizeof(*v->rules));
	if (!v->rules)
		goto out;
	/* rules */
	for (size_t i = 0; i < ps->n_rules; i++) {
		const struct ps_rule *r = &ps->rules[i];
		bool sc_c = r->scope & CFG_SCOPE_CONTENT, sc_m = r->scope & CFG_SCOPE_METADATA;
		for (size_t e = 0; e < ps->n_entities; e++)
			sc->present[e] =
				(sc_c && sc->ctr[e].count[0]) || (sc_m && sc->ctr[e].count[1]);
		for (size_t k = 0; k < ps->n_nears; k++) {
			const struct ps_near *nr = &ps->nears[k];
			if (nr->rule != i)
				continue;
			sc->near_true[nr->node] =
				(sc_c && sc->near_sat[k * 2]) || (sc_m && sc->near_sat[k * 2 + 1]);
		}
		if (!dlp_expr_eval(r->expr, r->expr->root, sc->present, sc->near_true))
			continue;
		uint32_t cnt = 0, uniq = 0;
		int64_t score = 0;
		for (size_t k = 0; k < r->n_pos; k++) {
			const struct ent_ctr *c = &sc->ctr[r->pos_entities[k]];
			if (sc_c) {
				cnt += c->count[0];
				uniq += c->unique[0];
				score += c->score[0];
			}
			if (sc_m) {
				cnt += c->count[1];
				uniq += c->unique[1];
				score += c->score[1];
			}
		}
		int64_t val = r->mode == CFG_COUNT_TOTAL    ? cnt
			      : r->mode == CFG_COUNT_UNIQUE ? uniq
							    : score;
		enum cfg_severity s = rule_severity(r, val);
		if (s == CFG_SEV_NONE)
			continue;
		rule_sev[i] = s;
		struct dlp_rule_result *rr = &v->rules[v->n_rules++];
		rr->name = strdup(r->name);
		if (!rr->name)
			goto out;
		rr->severity = s;
		rr->count = cnt;
		rr->unique_count = uniq;
		rr->score = score;
	}
	for (size_t p = 0; p < ps->n_profiles; p++)
		for (size_t k = 0; k < ps->profiles[p].n_rules; k++)
			if (rule_sev[ps->profiles[p].rules[k]] > prof_sev[p])
				prof_sev[p] = rule_sev[ps->profiles[p].rules[k]];
	/* envelope fallbacks */
	if (!t->env_from && t->n_hdr_from) {
		t->from = strdup(t->hdr_from[0]);
		if (!t->from)
			goto out;
	}
	if (!t->env_rcpts && t->n_hdr_rcpts) {
		t->rcpts = t->hdr_rcpts;
		t->n_rcpts = t->n_hdr_rcpts;
		t->hdr_rcpts = NULL;
		t->n_hdr_rcpts = 0;
	}
	struct dlp_policy_input in = {
		.from = t->from,
		.rcpts = (const char *const *)t->rcpts,
		.n_rcpts = t->n_rcpts,
		.profile_sev = prof_sev,
		.policy_profiles = (const size_t *const *)ps->policy_profiles,
	};
	size_t prof = 0;
	enum cfg_severity sev = CFG_SEV_NONE;
	int pi = dlp_policy_select(&ps->cfg, &in, &prof, &sev);
	v->action = CFG_ACTION_ALLOW;
	if (pi >= 0) {
		const struct cfg_policy *pol = &ps->cfg.policies[pi];
		v->action = pol->action;
		v->policy = strdup(pol->name);
		v->profile = strdup(ps->profiles[prof].name);
		v->severity = sev;
		v->notify_sender = pol->notify_sender;
		if (!v->policy || !v->profile)
			goto out;
		if (pol->action == CFG_ACTION_ADD_HEADER && pol->header_name) {
			v->header_name = strdup(pol->header_name);
			v->header_value = strdup(pol->header_value ? pol->header_value : "");
			if (!v->header_name || !v->header_value)
				goto out;
		}
	}
	if (build_entities(t, v))
		goto out;
	v->anomalies = t->anomalies;
	v->unscannable = (t->anomalies & DLP_ANOM_UNSCANNABLE) != 0;
	v->on_unscannable = ps->on_unscannable;
	v->from = t->from;
	t->from = NULL;
	v->rcpts = t->rcpts;
	v->n_rcpts = t->n_rcpts;
	t->rcpts = NULL;
	t->n_rcpts = 0;
	v->subject = t->subject;
	t->subject = NULL;
	v->raw_bytes = t->raw_bytes;
	v->decoded_bytes = t->decoded;
	err = 0;
out:
	free(rule_sev);
	free(prof_sev);
	txn_clear(t);
	if (err) {
		dlp_verdict_free(v);
		errno = err;
		return NULL;
	}
	return v;
}
