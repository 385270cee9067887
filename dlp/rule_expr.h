/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rule_expr.h — the entity expression of a DLP rule ("match" setting).
 *
 * Grammar (keywords case-insensitive), precedence NOT > NEAR > AND > OR,
 * binary operators left-associative:
 *
 *   or    := and  ( "OR"  and )*
 *   and   := near ( "AND" near )*
 *   near  := unary ( "NEAR(" n ")" unary )*
 *   unary := "NOT" unary | "(" or ")" | name
 *   name  := bare word (any bytes but space, tab, CR, LF, '(', ')', '"')
 *          | '"' anything but '"' '"'      (names with spaces or operators)
 *
 * Semantics (evaluated by the engine at end of message, per rule scope):
 *  - name is true when the entity has at least one match in scope;
 *  - NOT, AND, OR are boolean;
 *  - a NEAR(n) b is true when a match of entity a and a match of entity b
 *    start within n bytes of each other in the same part (same decoded MIME
 *    part or metadata field). Both operands must be entity names.
 *  - The rule's count (total, unique or score) is the sum of the counts of
 *    the distinct entities that appear as positive operands (not under an
 *    odd number of NOTs) when the whole expression is true, 0 otherwise.
 *
 * Limits: 256 nodes, nesting depth 32, n <= 1,000,000.
 */
#ifndef SMTPDLP_DLP_RULE_EXPR_H
#define SMTPDLP_DLP_RULE_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dlp_expr_op {
	DLP_EXPR_ENTITY = 0,
	DLP_EXPR_NOT,
	DLP_EXPR_AND,
	DLP_EXPR_OR,
	DLP_EXPR_NEAR,
};

struct dlp_expr_node {
	enum dlp_expr_op op;
	int a, b;	   /* child node indices (-1 when unused) */
	uint32_t distance; /* NEAR: bytes */
	char *name;	   /* ENTITY: owned, NUL-terminated */
	int entity;	   /* ENTITY: resolved index, set by the caller; -1 */
	bool negated;	   /* ENTITY: under an odd number of NOTs */
};

struct dlp_expr {
	struct dlp_expr_node *nodes;
	size_t n_nodes;
	int root;
};

enum dlp_expr_status {
	DLP_EXPR_OK = 0,
	DLP_EXPR_SYNTAX, /* err holds "offset N: what" */
	DLP_EXPR_NOMEM,
};

#define DLP_EXPR_MAX_NODES 256
#define DLP_EXPR_MAX_DEPTH 32
#define DLP_EXPR_MAX_NEAR 1000000u

/*
 * Parse s[0..len). On DLP_EXPR_OK *out is a new expression the caller frees
 * with dlp_expr_free(). On DLP_EXPR_SYNTAX, err (NUL-terminated, at most
 * errlen bytes) says "offset N: what is wrong" and *err_off (if not NULL) is
 * that byte offset.
 */
enum dlp_expr_status dlp_expr_parse(const char *s, size_t len, struct dlp_expr **out, char *err,
				    size_t errlen, size_t *err_off);

void dlp_expr_free(struct dlp_expr *e); /* NULL is a no-op */

/*
 * Evaluate node `node` (use e->root for the whole expression).
 * present[i]: entity i (node->entity) has a match in scope.
 * near_true[k]: node k, a NEAR node, is satisfied (indexed by node index).
 */
bool dlp_expr_eval(const struct dlp_expr *e, int node, const bool *present, const bool *near_true);

#endif /* SMTPDLP_DLP_RULE_EXPR_H */
