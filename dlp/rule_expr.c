/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rule_expr.c — recursive-descent parser and evaluator for rule entity
 * expressions (grammar and semantics in rule_expr.h). Bounded: node count and
 * nesting depth are limited, so hostile configs cannot exhaust the stack.
 */
#include "dlp/rule_expr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum tok_kind { T_END, T_LP, T_RP, T_AND, T_OR, T_NOT, T_NEAR, T_NAME, T_ERR };

struct parser {
	const char *s;
	size_t len, pos;
	/* current token */
	enum tok_kind kind;
	size_t tok_off;
	const char *name;
	size_t name_len;
	uint32_t near;
	/* output */
	struct dlp_expr *e;
	unsigned depth;
	bool nomem;
	char *err;
	size_t errlen;
	size_t err_off;
	bool failed;
};

static void fail(struct parser *p, size_t off, const char *what)
{
	if (p->failed)
		return;
	p->failed = true;
	p->err_off = off;
	if (p->errlen)
		snprintf(p->err, p->errlen, "offset %zu: %s", off, what);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool is_name_byte(char c)
{
	return !is_space(c) && c != '(' && c != ')' && c != '"';
}

static bool word_is(const char *w, size_t n, const char *kw)
{
	size_t k = strlen(kw);

	if (n != k)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = w[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c != kw[i])
			return false;
	}
	return true;
}

static void next(struct parser *p)
{
	while (p->pos < p->len && is_space(p->s[p->pos]))
		p->pos++;
	p->tok_off = p->pos;
	if (p->pos >= p->len) {
		p->kind = T_END;
		return;
	}
	char c = p->s[p->pos];
	if (c == '(') {
		p->pos++;
		p->kind = T_LP;
		return;
	}
	if (c == ')') {
		p->pos++;
		p->kind = T_RP;
		return;
	}
	if (c == '"') {
		size_t st = ++p->pos;
		while (p->pos < p->len && p->s[p->pos] != '"')
			p->pos++;
		if (p->pos >= p->len) {
			fail(p, p->tok_off, "unterminated quoted name");
			p->kind = T_ERR;
			return;
		}
		p->name = p->s + st;
		p->name_len = p->pos - st;
		p->pos++;
		if (p->name_len == 0) {
			fail(p, p->tok_off, "empty quoted name");
			p->kind = T_ERR;
			return;
		}
		p->kind = T_NAME;
		return;
	}
	size_t st = p->pos;
	while (p->pos < p->len && is_name_byte(p->s[p->pos]))
		p->pos++;
	const char *w = p->s + st;
	size_t n = p->pos - st;
	if (word_is(w, n, "AND")) {
		p->kind = T_AND;
	} else if (word_is(w, n, "OR")) {
		p->kind = T_OR;
	} else if (word_is(w, n, "NOT")) {
		p->kind = T_NOT;
	} else if (word_is(w, n, "NEAR")) {
		/* NEAR ( digits ) */
		size_t q = p->pos;
		while (q < p->len && is_space(p->s[q]))
			q++;
		if (q >= p->len || p->s[q] != '(') {
			fail(p, q, "expected '(' after NEAR");
			p->kind = T_ERR;
			return;
		}
		q++;
		while (q < p->len && is_space(p->s[q]))
			q++;
		uint64_t v = 0;
		size_t dst = q;
		while (q < p->len && p->s[q] >= '0' && p->s[q] <= '9') {
			v = v * 10 + (uint64_t)(p->s[q] - '0');
			if (v > DLP_EXPR_MAX_NEAR) {
				fail(p, dst, "NEAR distance too large (max 1000000)");
				p->kind = T_ERR;
				return;
			}
			q++;
		}
		if (q == dst) {
			fail(p, q, "expected a byte distance in NEAR(n)");
			p->kind = T_ERR;
			return;
		}
		while (q < p->len && is_space(p->s[q]))
			q++;
		if (q >= p->len || p->s[q] != ')') {
			fail(p, q, "expected ')' after NEAR distance");
			p->kind = T_ERR;
			return;
		}
		p->pos = q + 1;
		p->near = (uint32_t)v;
		p->kind = T_NEAR;
	} else {
		p->name = w;
		p->name_len = n;
		p->kind = T_NAME;
	}
}

static int add_node(struct parser *p, enum dlp_expr_op op, int a, int b)
{
	struct dlp_expr *e = p->e;

	if (e->n_nodes >= DLP_EXPR_MAX_NODES) {
		fail(p, p->tok_off, "expression too long");
		return -1;
	}
	struct dlp_expr_node *nd = &e->nodes[e->n_nodes];
	memset(nd, 0, sizeof(*nd));
	nd->op = op;
	nd->a = a;
	nd->b = b;
	nd->entity = -1;
	return (int)e->n_nodes++;
}

static int parse_or(struct parser *p);

static int parse_unary(struct parser *p)
{
	if (p->failed)
		return -1;
	if (++p->depth > DLP_EXPR_MAX_DEPTH) {
		fail(p, p->tok_off, "expression nested too deeply");
		return -1;
	}
	int r = -1;
	switch (p->kind) {
	case T_NOT:
		next(p);
		r = parse_unary(p);
		if (r >= 0)
			r = add_node(p, DLP_EXPR_NOT, r, -1);
		break;
	case T_LP: {
		size_t open = p->tok_off;
		next(p);
		r = parse_or(p);
		if (r < 0)
			break;
		if (p->kind != T_RP) {
			char what[64];
			snprintf(what, sizeof(what), "%s for the '(' at offset %zu",
				 p->kind == T_END ? "missing ')'" : "expected ')'", open);
			fail(p, p->tok_off, what);
			r = -1;
			break;
		}
		next(p);
		break;
	}
	case T_NAME: {
		r = add_node(p, DLP_EXPR_ENTITY, -1, -1);
		if (r < 0)
			break;
		char *nm = malloc(p->name_len + 1);
		if (!nm) {
			p->nomem = true;
			fail(p, p->tok_off, "out of memory");
			r = -1;
			break;
		}
		memcpy(nm, p->name, p->name_len);
		nm[p->name_len] = '\0';
		p->e->nodes[r].name = nm;
		next(p);
		break;
	}
	case T_END:
		fail(p, p->tok_off, "expected an entity name, NOT or '(' but the expression ended");
		break;
	case T_ERR:
		break;
	default:
		fail(p, p->tok_off, "expected an entity name, NOT or '('");
		break;
	}
	p->depth--;
	return r;
}

static int parse_near(struct parser *p)
{
	int l = parse_unary(p);

	while (l >= 0 && p->kind == T_NEAR) {
		uint32_t dist = p->near;
		size_t op_off = p->tok_off;
		if (p->e->nodes[l].op != DLP_EXPR_ENTITY) {
			fail(p, op_off, "NEAR operands must be entity names");
			return -1;
		}
		next(p);
		size_t r_off = p->tok_off;
		int r = parse_unary(p);
		if (r < 0)
			return -1;
		if (p->e->nodes[r].op != DLP_EXPR_ENTITY) {
			fail(p, r_off, "NEAR operands must be entity names");
			return -1;
		}
		l = add_node(p, DLP_EXPR_NEAR, l, r);
		if (l >= 0)
			p->e->nodes[l].distance = dist;
		if (l >= 0 && p->kind == T_NEAR) {
			fail(p, p->tok_off, "NEAR operands must be entity names (chain with AND)");
			return -1;
		}
	}
	return l;
}

static int parse_and(struct parser *p)
{
	int l = parse_near(p);

	while (l >= 0 && p->kind == T_AND) {
		next(p);
		int r = parse_near(p);
		if (r < 0)
			return -1;
		l = add_node(p, DLP_EXPR_AND, l, r);
	}
	return l;
}

static int parse_or(struct parser *p)
{
	int l = parse_and(p);

	while (l >= 0 && p->kind == T_OR) {
		next(p);
		int r = parse_and(p);
		if (r < 0)
			return -1;
		l = add_node(p, DLP_EXPR_OR, l, r);
	}
	return l;
}

static void mark_negation(struct dlp_expr *e, int n, bool neg)
{
	struct dlp_expr_node *nd = &e->nodes[n];

	switch (nd->op) {
	case DLP_EXPR_ENTITY:
		nd->negated = neg;
		break;
	case DLP_EXPR_NOT:
		mark_negation(e, nd->a, !neg);
		break;
	default:
		mark_negation(e, nd->a, neg);
		mark_negation(e, nd->b, neg);
		break;
	}
}

void dlp_expr_free(struct dlp_expr *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->n_nodes; i++)
		free(e->nodes[i].name);
	free(e->nodes);
	free(e);
}

enum dlp_expr_status dlp_expr_parse(const char *s, size_t len, struct dlp_expr **out, char *err,
				    size_t errlen, size_t *err_off)
{
	struct parser p = {.s = s, .len = len, .err = err, .errlen = errlen};

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	p.e = calloc(1, sizeof(*p.e));
	if (p.e)
		p.e->nodes = calloc(DLP_EXPR_MAX_NODES, sizeof(*p.e->nodes));
	if (!p.e || !p.e->nodes) {
		dlp_expr_free(p.e);
		return DLP_EXPR_NOMEM;
	}
	next(&p);
	int root = parse_or(&p);
	if (root >= 0 && !p.failed && p.kind != T_END)
		fail(&p, p.tok_off,
		     p.kind == T_RP ? "unbalanced ')'"
				    : "expected AND, OR, NEAR(n) or the end of the expression");
	if (p.failed || root < 0) {
		if (err_off)
			*err_off = p.err_off;
		dlp_expr_free(p.e);
		return p.nomem ? DLP_EXPR_NOMEM : DLP_EXPR_SYNTAX;
	}
	p.e->root = root;
	mark_negation(p.e, root, false);
	*out = p.e;
	return DLP_EXPR_OK;
}

bool dlp_expr_eval(const struct dlp_expr *e, int node, const bool *present, const bool *near_true)
{
	const struct dlp_expr_node *nd = &e->nodes[node];

	switch (nd->op) {
	case DLP_EXPR_ENTITY:
		return nd->entity >= 0 && present[nd->entity];
	case DLP_EXPR_NOT:
		return !dlp_expr_eval(e, nd->a, present, near_true);
	case DLP_EXPR_AND:
		return dlp_expr_eval(e, nd->a, present, near_true) &&
		       dlp_expr_eval(e, nd->b, present, near_true);
	case DLP_EXPR_OR:
		return dlp_expr_eval(e, nd->a, present, near_true) ||
		       dlp_expr_eval(e, nd->b, present, near_true);
	case DLP_EXPR_NEAR:
		return near_true[node];
	}
	return false;
}
