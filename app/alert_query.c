/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * alert_query.c — tokenizer and recursive-descent parser for the alerts
 * query language, emitting SQL text with '?' placeholders and a parameter
 * list. Field names come only from the whitelist below; values are never
 * copied into the SQL text.
 */
#include "app/alert_query.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum aq_ftype { AQF_TEXT, AQF_INT, AQF_BOOL, AQF_RCPTS };

struct aq_field {
	const char *name;
	const char *column; /* column of table incidents */
	enum aq_ftype type;
	bool nocase; /* addresses: ASCII case-insensitive eq/in */
};

/* Keep in sync with the schema in app/incident.c. */
static const struct aq_field aq_fields[] = {
	{"_id", "uid", AQF_TEXT, false},
	{"dlp_incident_id", "id", AQF_INT, false},
	{"timestamp", "ts", AQF_INT, false},
	{"type", "type", AQF_TEXT, false},
	{"alert_type", "alert_type", AQF_TEXT, false},
	{"policy", "policy", AQF_TEXT, false},
	{"action", "action", AQF_TEXT, false},
	{"from_user", "from_user", AQF_TEXT, true},
	{"user", "from_user", AQF_TEXT, true},
	{"to_user", "to_user", AQF_TEXT, true},
	{"smtp_to", NULL, AQF_RCPTS, true},
	{"dlp_profile", "dlp_profile", AQF_TEXT, false},
	{"dlp_rule", "dlp_rule", AQF_TEXT, false},
	{"dlp_rule_severity", "dlp_rule_severity", AQF_TEXT, false},
	{"dlp_rule_count", "dlp_rule_count", AQF_INT, false},
	{"dlp_unique_count", "dlp_unique_count", AQF_INT, false},
	{"object", "object", AQF_TEXT, false},
	{"object_type", "object_type", AQF_TEXT, false},
	{"md5", "md5", AQF_TEXT, false},
	{"file_size", "file_size", AQF_INT, false},
	{"acked", "acked", AQF_BOOL, false},
	{"queue_id", "queue_id", AQF_TEXT, false},
	{"upstream_reply", "upstream_reply", AQF_TEXT, false},
};

enum aq_op { OP_EQ, OP_NE, OP_LIKE, OP_LT, OP_LE, OP_GT, OP_GE, OP_IN, OP_NONE };

static const struct {
	const char *word;
	enum aq_op op;
	const char *sql;
} aq_ops[] = {
	{"eq", OP_EQ, "="},  {"ne", OP_NE, "IS NOT"}, {"like", OP_LIKE, "LIKE"},
	{"lt", OP_LT, "<"},  {"le", OP_LE, "<="},     {"gt", OP_GT, ">"},
	{"ge", OP_GE, ">="}, {"in", OP_IN, "IN"},
};

enum aq_tok { T_END, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK, T_COMMA, T_WORD, T_STRING };

struct aq_parser {
	const char *s;
	size_t len;
	size_t pos;
	/* current token */
	enum aq_tok tok;
	size_t tok_pos;
	char *tok_text; /* T_WORD / T_STRING, malloc'd, NUL-terminated */
	size_t tok_len;
	/* output */
	char *sql;
	size_t sql_len, sql_cap;
	struct aq_param *params;
	size_t n_params, cap_params;
	int depth;
	enum aq_status st;
	char *reason;
	size_t reasonlen;
};

__attribute__((format(printf, 3, 4))) static enum aq_status
aq_fail(struct aq_parser *p, enum aq_status st, const char *fmt, ...)
{
	if (p->st != AQ_OK)
		return p->st; /* keep the first error */
	p->st = st;
	if (p->reason && p->reasonlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(p->reason, p->reasonlen, fmt, ap);
		va_end(ap);
	}
	return st;
}

static void aq_emit(struct aq_parser *p, const char *text)
{
	size_t n = strlen(text);
	if (p->st != AQ_OK)
		return;
	if (p->sql_len + n + 1 > p->sql_cap) {
		size_t cap = p->sql_cap ? p->sql_cap : 128;
		while (cap < p->sql_len + n + 1)
			cap *= 2;
		char *nb = realloc(p->sql, cap);
		if (nb == NULL) {
			aq_fail(p, AQ_ERR_NOMEM, "out of memory");
			return;
		}
		p->sql = nb;
		p->sql_cap = cap;
	}
	memcpy(p->sql + p->sql_len, text, n + 1);
	p->sql_len += n;
}

static struct aq_param *aq_new_param(struct aq_parser *p)
{
	if (p->st != AQ_OK)
		return NULL;
	if (p->n_params >= AQ_MAX_PARAMS) {
		aq_fail(p, AQ_ERR_LIMIT, "too many values (max %d)", AQ_MAX_PARAMS);
		return NULL;
	}
	if (p->n_params == p->cap_params) {
		size_t cap = p->cap_params ? p->cap_params * 2 : 8;
		struct aq_param *np = realloc(p->params, cap * sizeof(*np));
		if (np == NULL) {
			aq_fail(p, AQ_ERR_NOMEM, "out of memory");
			return NULL;
		}
		p->params = np;
		p->cap_params = cap;
	}
	struct aq_param *pa = &p->params[p->n_params++];
	memset(pa, 0, sizeof(*pa));
	return pa;
}

static bool aq_bare_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '.' || c == '@' || c == '+' || c == ':' || c == '/' ||
	       c == '-';
}

/* Advance to the next token. */
static void aq_next(struct aq_parser *p)
{
	free(p->tok_text);
	p->tok_text = NULL;
	p->tok_len = 0;
	while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
		p->pos++;
	p->tok_pos = p->pos;
	if (p->pos >= p->len) {
		p->tok = T_END;
		return;
	}
	char c = p->s[p->pos];
	switch (c) {
	case '(':
		p->tok = T_LPAREN;
		p->pos++;
		return;
	case ')':
		p->tok = T_RPAREN;
		p->pos++;
		return;
	case '[':
		p->tok = T_LBRACK;
		p->pos++;
		return;
	case ']':
		p->tok = T_RBRACK;
		p->pos++;
		return;
	case ',':
		p->tok = T_COMMA;
		p->pos++;
		return;
	default:
		break;
	}
	if (c == '\'' || c == '"') {
		char q = c;
		size_t i = p->pos + 1;
		char *buf = malloc(p->len - p->pos + 1);
		size_t n = 0;
		if (buf == NULL) {
			aq_fail(p, AQ_ERR_NOMEM, "out of memory");
			p->tok = T_END;
			return;
		}
		for (;;) {
			if (i >= p->len) {
				free(buf);
				aq_fail(p, AQ_ERR_SYNTAX,
					"at offset %zu: unterminated quoted value", p->tok_pos);
				p->tok = T_END;
				return;
			}
			char ch = p->s[i];
			if (ch == '\\' && i + 1 < p->len) {
				buf[n++] = p->s[i + 1];
				i += 2;
			} else if (ch == q && i + 1 < p->len && p->s[i + 1] == q) {
				buf[n++] = q;
				i += 2;
			} else if (ch == q) {
				i++;
				break;
			} else if (ch == '\0') {
				free(buf);
				aq_fail(p, AQ_ERR_VALUE, "at offset %zu: NUL byte in value", i);
				p->tok = T_END;
				return;
			} else {
				buf[n++] = ch;
				i++;
			}
		}
		buf[n] = '\0';
		p->tok = T_STRING;
		p->tok_text = buf;
		p->tok_len = n;
		p->pos = i;
		return;
	}
	if (aq_bare_char((unsigned char)c)) {
		size_t i = p->pos;
		while (i < p->len && aq_bare_char((unsigned char)p->s[i]))
			i++;
		p->tok_text = strndup(p->s + p->pos, i - p->pos);
		if (p->tok_text == NULL) {
			aq_fail(p, AQ_ERR_NOMEM, "out of memory");
			p->tok = T_END;
			return;
		}
		p->tok_len = i - p->pos;
		p->tok = T_WORD;
		p->pos = i;
		return;
	}
	aq_fail(p, AQ_ERR_SYNTAX, "at offset %zu: unexpected character '%c'", p->pos,
		isprint((unsigned char)c) ? c : '?');
	p->tok = T_END;
}

static bool aq_is_word(const struct aq_parser *p, const char *w)
{
	return p->tok == T_WORD && strcasecmp(p->tok_text, w) == 0;
}

static const char *aq_tok_desc(const struct aq_parser *p)
{
	switch (p->tok) {
	case T_END:
		return "end of query";
	case T_LPAREN:
		return "'('";
	case T_RPAREN:
		return "')'";
	case T_LBRACK:
		return "'['";
	case T_RBRACK:
		return "']'";
	case T_COMMA:
		return "','";
	case T_WORD:
		return "a word";
	case T_STRING:
		return "a quoted value";
	}
	return "?";
}

static int aq_parse_int(const char *s, int64_t *out)
{
	if (*s == '\0')
		return -1;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end != '\0')
		return -1;
	*out = v;
	return 0;
}

static int aq_parse_bool(const char *s, int64_t *out)
{
	static const struct {
		const char *w;
		int v;
	} tab[] = {
		{"true", 1}, {"yes", 1}, {"1", 1}, {"false", 0}, {"no", 0}, {"0", 0},
	};
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (strcasecmp(s, tab[i].w) == 0) {
			*out = tab[i].v;
			return 0;
		}
	return -1;
}

/* Build a LIKE pattern: substring unless the value has '%'; escape '_' and
 * '\' with '\' (the SQL uses ESCAPE '\'). */
static char *aq_like_pattern(const char *v)
{
	bool has_pct = strchr(v, '%') != NULL;
	size_t n = strlen(v);
	char *out = malloc(2 * n + 3);
	if (out == NULL)
		return NULL;
	size_t k = 0;
	if (!has_pct)
		out[k++] = '%';
	for (size_t i = 0; i < n; i++) {
		if (v[i] == '_' || v[i] == '\\')
			out[k++] = '\\';
		out[k++] = v[i];
	}
	if (!has_pct)
		out[k++] = '%';
	out[k] = '\0';
	return out;
}

/* Consume the current token as a value for field f and bind it. */
static void aq_value(struct aq_parser *p, const struct aq_field *f, enum aq_op op)
{
	if (p->tok != T_WORD && p->tok != T_STRING) {
		aq_fail(p, AQ_ERR_SYNTAX, "at offset %zu: expected a value for '%s', got %s",
			p->tok_pos, f->name, aq_tok_desc(p));
		return;
	}
	struct aq_param *pa = aq_new_param(p);
	if (pa == NULL)
		return;
	if (f->type == AQF_INT) {
		pa->is_int = true;
		if (aq_parse_int(p->tok_text, &pa->i) != 0) {
			aq_fail(p, AQ_ERR_VALUE, "at offset %zu: '%s' needs an integer value",
				p->tok_pos, f->name);
			return;
		}
	} else if (f->type == AQF_BOOL) {
		pa->is_int = true;
		if (aq_parse_bool(p->tok_text, &pa->i) != 0) {
			aq_fail(p, AQ_ERR_VALUE, "at offset %zu: '%s' needs true or false",
				p->tok_pos, f->name);
			return;
		}
	} else if (op == OP_LIKE) {
		pa->s = aq_like_pattern(p->tok_text);
		if (pa->s == NULL)
			aq_fail(p, AQ_ERR_NOMEM, "out of memory");
	} else {
		pa->s = p->tok_text; /* take ownership */
		p->tok_text = NULL;
	}
	aq_next(p);
}

static const struct aq_field *aq_find_field(const char *name)
{
	for (size_t i = 0; i < sizeof(aq_fields) / sizeof(aq_fields[0]); i++)
		if (strcmp(aq_fields[i].name, name) == 0)
			return &aq_fields[i];
	return NULL;
}

static void aq_comparison(struct aq_parser *p)
{
	if (p->tok != T_WORD) {
		aq_fail(p, AQ_ERR_SYNTAX, "at offset %zu: expected a field name, got %s",
			p->tok_pos, aq_tok_desc(p));
		return;
	}
	const struct aq_field *f = aq_find_field(p->tok_text);
	if (f == NULL) {
		aq_fail(p, AQ_ERR_FIELD, "at offset %zu: unknown field '%.64s'", p->tok_pos,
			p->tok_text);
		return;
	}
	aq_next(p);
	enum aq_op op = OP_NONE;
	const char *opsql = NULL;
	if (p->tok == T_WORD)
		for (size_t i = 0; i < sizeof(aq_ops) / sizeof(aq_ops[0]); i++)
			if (strcasecmp(p->tok_text, aq_ops[i].word) == 0) {
				op = aq_ops[i].op;
				opsql = aq_ops[i].sql;
			}
	if (op == OP_NONE) {
		aq_fail(p, AQ_ERR_SYNTAX,
			"at offset %zu: expected an operator (eq ne in like lt le gt ge) after "
			"'%s'",
			p->tok_pos, f->name);
		return;
	}
	size_t op_pos = p->tok_pos;
	bool numeric = f->type == AQF_INT;
	if (op == OP_LIKE && f->type != AQF_TEXT && f->type != AQF_RCPTS)
		aq_fail(p, AQ_ERR_OPERATOR, "at offset %zu: like is not valid for '%s'", op_pos,
			f->name);
	if ((op == OP_LT || op == OP_LE || op == OP_GT || op == OP_GE) && !numeric)
		aq_fail(p, AQ_ERR_OPERATOR, "at offset %zu: %s needs a numeric field, '%s' is not",
			op_pos, aq_ops[op].word, f->name);
	if (op == OP_IN && f->type == AQF_BOOL)
		aq_fail(p, AQ_ERR_OPERATOR, "at offset %zu: in is not valid for '%s'", op_pos,
			f->name);
	if (p->st != AQ_OK)
		return;
	aq_next(p);

	const char *collate = f->nocase && op != OP_LIKE ? " COLLATE NOCASE" : "";
	const char *like_esc = op == OP_LIKE ? " ESCAPE '\\'" : "";
	if (f->type == AQF_RCPTS) {
		/* ne means "no recipient equals"; the others "some recipient ...". */
		aq_emit(p, op == OP_NE ? "(NOT EXISTS (" : "(EXISTS (");
		aq_emit(p, "SELECT 1 FROM incident_rcpts r WHERE r.incident_id = incidents.id "
			   "AND r.rcpt");
		aq_emit(p, collate);
		aq_emit(p, " ");
		aq_emit(p, op == OP_NE ? "=" : opsql);
	} else {
		aq_emit(p, "(");
		aq_emit(p, f->column);
		aq_emit(p, collate);
		aq_emit(p, " ");
		aq_emit(p, opsql);
	}
	if (op == OP_IN) {
		if (p->tok != T_LBRACK) {
			aq_fail(p, AQ_ERR_SYNTAX, "at offset %zu: expected '[' after in, got %s",
				p->tok_pos, aq_tok_desc(p));
			return;
		}
		aq_next(p);
		aq_emit(p, " (");
		for (int n = 0; p->st == AQ_OK; n++) {
			aq_emit(p, n ? ",?" : "?");
			aq_value(p, f, op);
			if (p->tok == T_COMMA) {
				aq_next(p);
				continue;
			}
			if (p->tok == T_RBRACK) {
				aq_next(p);
				break;
			}
			aq_fail(p, AQ_ERR_SYNTAX,
				"at offset %zu: expected ',' or ']' in list, got %s", p->tok_pos,
				aq_tok_desc(p));
		}
		aq_emit(p, ")");
	} else {
		aq_emit(p, " ?");
		aq_emit(p, like_esc);
		aq_value(p, f, op);
	}
	aq_emit(p, f->type == AQF_RCPTS ? "))" : ")");
}

static void aq_expr(struct aq_parser *p);

static void aq_factor(struct aq_parser *p)
{
	if (++p->depth > AQ_MAX_DEPTH) {
		aq_fail(p, AQ_ERR_LIMIT, "at offset %zu: nested deeper than %d", p->tok_pos,
			AQ_MAX_DEPTH);
		return;
	}
	if (aq_is_word(p, "not")) {
		aq_next(p);
		aq_emit(p, "(NOT ");
		aq_factor(p);
		aq_emit(p, ")");
	} else if (p->tok == T_LPAREN) {
		size_t open = p->tok_pos;
		aq_next(p);
		aq_emit(p, "(");
		aq_expr(p);
		aq_emit(p, ")");
		if (p->st == AQ_OK && p->tok != T_RPAREN)
			aq_fail(p, AQ_ERR_SYNTAX,
				"at offset %zu: expected ')' closing the '(' at offset %zu, got %s",
				p->tok_pos, open, aq_tok_desc(p));
		aq_next(p);
	} else {
		aq_comparison(p);
	}
	p->depth--;
}

static void aq_term(struct aq_parser *p)
{
	aq_factor(p);
	while (p->st == AQ_OK && aq_is_word(p, "and")) {
		aq_next(p);
		aq_emit(p, " AND ");
		aq_factor(p);
	}
}

static void aq_expr(struct aq_parser *p)
{
	aq_term(p);
	while (p->st == AQ_OK && aq_is_word(p, "or")) {
		aq_next(p);
		aq_emit(p, " OR ");
		aq_term(p);
	}
}

static int aq_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode once if the text looks URL-encoded (see the header). Returns a
 * malloc'd copy in either case; *outlen its length. */
static char *aq_maybe_decode(const char *s, size_t len, size_t *outlen)
{
	bool ws = false, esc = false;
	for (size_t i = 0; i < len; i++) {
		if (isspace((unsigned char)s[i]))
			ws = true;
		else if (s[i] == '%' && i + 2 < len && aq_hex((unsigned char)s[i + 1]) >= 0 &&
			 aq_hex((unsigned char)s[i + 2]) >= 0)
			esc = true;
		else if (s[i] == '+')
			esc = true; /* form encoding of a space */
	}
	char *out = malloc(len + 1);
	if (out == NULL)
		return NULL;
	size_t k = 0;
	if (ws || !esc) {
		memcpy(out, s, len);
		k = len;
	} else {
		for (size_t i = 0; i < len; i++) {
			if (s[i] == '%' && i + 2 < len && aq_hex((unsigned char)s[i + 1]) >= 0 &&
			    aq_hex((unsigned char)s[i + 2]) >= 0) {
				out[k++] = (char)(aq_hex((unsigned char)s[i + 1]) * 16 +
						  aq_hex((unsigned char)s[i + 2]));
				i += 2;
			} else if (s[i] == '+') {
				out[k++] = ' ';
			} else {
				out[k++] = s[i];
			}
		}
	}
	out[k] = '\0';
	*outlen = k;
	return out;
}

enum aq_status alert_query_compile(const char *text, size_t len, struct alert_query *out,
				   char *reason, size_t reasonlen)
{
	memset(out, 0, sizeof(*out));
	if (reason && reasonlen)
		reason[0] = '\0';
	struct aq_parser p = {.reason = reason, .reasonlen = reasonlen};
	if (len > AQ_MAX_TEXT) {
		aq_fail(&p, AQ_ERR_LIMIT, "query longer than %d bytes", AQ_MAX_TEXT);
		return p.st;
	}
	size_t dlen;
	char *dec = aq_maybe_decode(text ? text : "", text ? len : 0, &dlen);
	if (dec == NULL) {
		aq_fail(&p, AQ_ERR_NOMEM, "out of memory");
		return p.st;
	}
	if (memchr(dec, '\0', dlen) != NULL) {
		free(dec);
		aq_fail(&p, AQ_ERR_VALUE, "NUL byte in query");
		return p.st;
	}
	p.s = dec;
	p.len = dlen;
	aq_next(&p);
	if (p.tok == T_END && p.st == AQ_OK) {
		aq_emit(&p, "1");
	} else {
		aq_expr(&p);
		if (p.st == AQ_OK && p.tok != T_END)
			aq_fail(&p, AQ_ERR_SYNTAX, "at offset %zu: expected and/or, got %s",
				p.tok_pos, aq_tok_desc(&p));
	}
	free(p.tok_text);
	free(dec);
	out->sql = p.sql;
	out->params = p.params;
	out->n_params = p.n_params;
	if (p.st != AQ_OK)
		alert_query_free(out);
	return p.st;
}

void alert_query_free(struct alert_query *q)
{
	if (q == NULL)
		return;
	for (size_t i = 0; i < q->n_params; i++)
		free(q->params[i].s);
	free(q->params);
	free(q->sql);
	memset(q, 0, sizeof(*q));
}

const char *alert_query_status_name(enum aq_status st)
{
	switch (st) {
	case AQ_OK:
		return "ok";
	case AQ_ERR_SYNTAX:
		return "syntax";
	case AQ_ERR_FIELD:
		return "field";
	case AQ_ERR_OPERATOR:
		return "operator";
	case AQ_ERR_VALUE:
		return "value";
	case AQ_ERR_LIMIT:
		return "limit";
	case AQ_ERR_NOMEM:
		return "nomem";
	}
	return "unknown";
}
