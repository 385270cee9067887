/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * cfg.c — load, validate and type one libconfig file into a struct cfg.
 *
 * The loader walks the libconfig tree section by section with small typed
 * getters that know the setting's path and line, so every error comes out as
 * "file:line: setting.path: what is wrong" and the first error stops the
 * load. Every group is checked for unknown keys; files the configuration
 * names (dictionary CSVs, address lists, the API token, certificates) are
 * read or checked here, relative to the config file's directory.
 *
 * libconfig 1.5 silently truncates integer literals beyond 32 bits unless
 * they carry an `L` suffix; a small lexer pass (scan_ints) finds such
 * literals first so that "max_message_size = 5000000000;" is an error, not
 * 705032704.
 */
#include "config/cfg.h"

#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/cfg_csv.h"
#include "config/cfg_util.h"

#define MAX_CONF_BYTES (16u << 20) /* main file and each include */
#define MAX_CSV_BYTES (256u << 20) /* one dictionary */
#define MAX_LIST_BYTES (64u << 20) /* one address / domain list */
#define MAX_TOKEN_BYTES 4096u
#define MAX_INCLUDE_DEPTH 10
#define MAX_LCORE 128
#define MAX_HEADER_NAME 76
#define MAX_HEADER_VALUE 900
#define MAX_BLOCK_REPLY 400
#define MAX_NOTIFY_SUBJECT 256
#define MAX_NOTIFY_TEMPLATE (64u * 1024) /* NOTIFY_MAX_TEMPLATE in app/notify.h */

typedef config_setting_t cs_t;

/* An integer literal libconfig truncated: where it is. */
struct big_int {
	char *file; /* NULL = main text; else include name as libconfig reports it */
	int line;
};

struct ld {
	const char *path; /* main file, as given */
	const char *base; /* base directory */
	char *err;
	size_t errlen;
	struct cfg *cfg;
	bool failed;
	bool have_dataplane;
	struct big_int *big;
	size_t n_big, cap_big;
};

/* ------------------------------------------------------------ messages */

static const char *src_file(const struct ld *ld, const cs_t *s)
{
	const char *f = s ? config_setting_source_file((cs_t *)s) : NULL;

	return f ? f : ld->path;
}

/* "a.b.[2].c" for s; "" for the root. */
static void setting_path(const cs_t *s, char *buf, size_t len)
{
	const cs_t *chain[64];
	size_t n = 0, off = 0;

	buf[0] = '\0';
	for (; s != NULL && config_setting_parent((cs_t *)s) != NULL && n < 64;
	     s = config_setting_parent((cs_t *)s))
		chain[n++] = s;
	while (n-- > 0 && off < len) {
		const char *name = config_setting_name((cs_t *)chain[n]);
		int w;

		if (name != NULL)
			w = snprintf(buf + off, len - off, "%s%s", off ? "." : "", name);
		else
			w = snprintf(buf + off, len - off, "%s[%d]", off ? "." : "",
				     config_setting_index((cs_t *)chain[n]));
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

__attribute__((format(printf, 5, 0))) static int
vfail_at(struct ld *ld, const char *file, int line, const char *spath, const char *fmt, va_list ap)
{
	char msg[512];

	if (ld->failed)
		return -EINVAL;
	ld->failed = true;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (line > 0)
		cfg_errf(ld->err, ld->errlen, "%s:%d: %s: %s", file, line, spath, msg);
	else
		cfg_errf(ld->err, ld->errlen, "%s: %s: %s", file, spath, msg);
	return -EINVAL;
}

/* Error about setting s itself. */
__attribute__((format(printf, 3, 4))) static int fail(struct ld *ld, const cs_t *s, const char *fmt,
						      ...)
{
	char p[256];
	va_list ap;
	int rc;

	setting_path(s, p, sizeof(p));
	va_start(ap, fmt);
	rc = vfail_at(ld, src_file(ld, s), (int)config_setting_source_line((cs_t *)s), p, fmt, ap);
	va_end(ap);
	return rc;
}

/* Error about the absent member `key` of group g: reported at g's line. */
__attribute__((format(printf, 4, 5))) static int fail_child(struct ld *ld, const cs_t *g,
							    const char *key, const char *fmt, ...)
{
	char p[256], q[320];
	va_list ap;
	int rc;

	setting_path(g, p, sizeof(p));
	snprintf(q, sizeof(q), "%s%s%s", p, p[0] ? "." : "", key);
	va_start(ap, fmt);
	rc = vfail_at(ld, src_file(ld, g), (int)config_setting_source_line((cs_t *)g), q, fmt, ap);
	va_end(ap);
	return rc;
}

static int nomem(struct ld *ld)
{
	if (!ld->failed) {
		ld->failed = true;
		cfg_errf(ld->err, ld->errlen, "%s: out of memory", ld->path);
	}
	return -ENOMEM;
}

/* ------------------------------------------------------ small helpers */

static int dup_str(struct ld *ld, const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : nomem(ld);
}

static int resolve_path(struct ld *ld, const char *p, char **out)
{
	if (p[0] == '/' || strcmp(ld->base, ".") == 0)
		return dup_str(ld, p, out);
	if (asprintf(out, "%s/%s", ld->base, p) < 0) {
		*out = NULL;
		return nomem(ld);
	}
	return 0;
}

static bool in_list(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

static void lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s + 32);
}

/* Strict dotted quad, no leading zeros; host byte order. */
static bool parse_ipv4(const char *s, size_t len, uint32_t *out)
{
	uint32_t v = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned o = 0;
		size_t start = i;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			start = ++i;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9' && i - start < 3)
			o = o * 10 + (unsigned)(s[i++] - '0');
		if (i == start || o > 255 || (s[start] == '0' && i - start > 1))
			return false;
		v = (v << 8) | o;
	}
	if (i != len)
		return false;
	*out = v;
	return true;
}

static void fmt_ipv4(uint32_t a, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

static uint32_t prefix_mask(unsigned len)
{
	return len == 0 ? 0 : (uint32_t)(0xffffffffu << (32 - len));
}

static bool is_unicast(uint32_t a)
{
	return a != 0 && (a >> 24) != 127 && (a >> 24) != 0 && (a >> 28) < 14;
}

/* RFC 1123 host name: labels of letters, digits and '-', 1..63 each. */
static bool valid_hostname(const char *s)
{
	size_t len = strlen(s), lab = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		char c = s[i];

		if (c == '.' || c == '\0') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-')
				return false;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if (lab == 0 && c == '-')
			return false;
		lab++;
	}
	return true;
}

/* Mail domain: like a host name, but '_' and UTF-8 bytes are tolerated. */
static bool valid_domain(const char *s, size_t len)
{
	size_t lab = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = i < len ? (unsigned char)s[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > 63)
				return false;
			lab = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c >= 0x80))
			return false;
		lab++;
	}
	return cfg_utf8_valid(s, len);
}

/* "local@domain" with a plain (unquoted) local part. */
static bool valid_address(const char *s, size_t len)
{
	const char *at = memrchr(s, '@', len);
	size_t llen;

	if (at == NULL)
		return false;
	llen = (size_t)(at - s);
	if (llen == 0 || llen > 64)
		return false;
	for (size_t i = 0; i < llen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || strchr("@<>()[]\\,;:\"", c) != NULL)
			return false;
	}
	return cfg_utf8_valid(s, llen) && valid_domain(at + 1, len - llen - 1);
}

/* Domain entry of a user set: "corp.example" or ".corp.example". */
static bool valid_domain_entry(const char *s, size_t len)
{
	if (len > 0 && s[0] == '.')
		return valid_domain(s + 1, len - 1);
	return valid_domain(s, len);
}

/* RFC 5322 field name: ftext = %d33-57 / %d59-126. */
static bool valid_field_name(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > MAX_HEADER_NAME)
		return false;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126 || s[i] == ':')
			return false;
	return true;
}

/* Names of entities, rules, profiles, policies, ports: visible text. */
static int check_name(struct ld *ld, const cs_t *s, const char *v)
{
	size_t len = strlen(v);

	if (len == 0)
		return fail(ld, s, "must not be empty");
	if (len > 255)
		return fail(ld, s, "longer than 255 bytes");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return fail(ld, s, "contains a control character");
	if (!cfg_utf8_valid(v, len))
		return fail(ld, s, "not valid UTF-8");
	return 0;
}

static int check_readable(struct ld *ld, const cs_t *s, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	struct stat st;
	bool regular;

	if (fd < 0)
		return fail(ld, s, "cannot read %s: %s", path, strerror(errno));
	regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
	close(fd);
	if (!regular)
		return fail(ld, s, "%s is not a regular file", path);
	return 0;
}

/* ------------------------------------------------------------- getters */

static cs_t *member(const cs_t *g, const char *key)
{
	return config_setting_get_member((cs_t *)g, key);
}

/* Reject members of g not named in allowed (NULL-terminated). */
static int check_keys(struct ld *ld, const cs_t *g, const char *const *allowed)
{
	int n = config_setting_length((cs_t *)g);

	for (int i = 0; i < n; i++) {
		cs_t *c = config_setting_get_elem((cs_t *)g, (unsigned)i);
		const char *name = config_setting_name(c);

		if (name == NULL || !in_list(name, allowed))
			return fail(ld, c, "unknown setting");
	}
	return 0;
}

/* Optional (or required) group member. *out = NULL when absent. */
static int get_group(struct ld *ld, const cs_t *g, const char *key, bool required, cs_t **out)
{
	cs_t *s = member(g, key);

	*out = NULL;
	if (s == NULL)
		return required ? fail_child(ld, g, key, "is required") : 0;
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return fail(ld, s, "must be a group { ... }");
	*out = s;
	return 0;
}

/* A list of groups: ( { ... }, { ... } ). An empty [] is accepted. */
static int get_group_list(struct ld *ld, const cs_t *g, const char *key, bool required, cs_t **out)
{
	cs_t *s = member(g, key);
	int n;

	*out = NULL;
	if (s == NULL)
		return required ? fail_child(ld, g, key, "is required") : 0;
	n = config_setting_length(s);
	if (config_setting_type(s) != CONFIG_TYPE_LIST &&
	    !(config_setting_type(s) == CONFIG_TYPE_ARRAY && n == 0))
		return fail(ld, s, "must be a list ( { ... }, ... )");
	for (int i = 0; i < n; i++) {
		cs_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return fail(ld, e, "must be a group { ... }");
	}
	*out = s;
	return 0;
}

static int get_string(struct ld *ld, const cs_t *g, const char *key, bool required,
		      const char **out, cs_t **where)
{
	cs_t *s = member(g, key);

	*out = NULL;
	if (where)
		*where = s;
	if (s == NULL)
		return required ? fail_child(ld, g, key, "is required") : 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail(ld, s, "must be a string");
	*out = config_setting_get_string(s);
	return 0;
}

static int int_value(struct ld *ld, const cs_t *s, long long min, long long max, long long *out)
{
	long long v;

	if (config_setting_type((cs_t *)s) != CONFIG_TYPE_INT &&
	    config_setting_type((cs_t *)s) != CONFIG_TYPE_INT64)
		return fail(ld, s, "must be an integer from %lld to %lld", min, max);
	v = config_setting_get_int64((cs_t *)s);
	if (v < min || v > max)
		return fail(ld, s, "must be an integer from %lld to %lld", min, max);
	*out = v;
	return 0;
}

static int get_int(struct ld *ld, const cs_t *g, const char *key, long long min, long long max,
		   long long *out, cs_t **where)
{
	cs_t *s = member(g, key);

	if (where)
		*where = s;
	if (s == NULL)
		return 0;
	return int_value(ld, s, min, max, out);
}

static int get_uint(struct ld *ld, const cs_t *g, const char *key, unsigned min, unsigned max,
		    unsigned *out)
{
	long long v = *out;
	int rc = get_int(ld, g, key, min, max, &v, NULL);

	if (rc == 0)
		*out = (unsigned)v;
	return rc;
}

static int get_u64(struct ld *ld, const cs_t *g, const char *key, uint64_t min, uint64_t max,
		   uint64_t *out)
{
	long long v = (long long)*out;
	int rc = get_int(ld, g, key, (long long)min, (long long)max, &v, NULL);

	if (rc == 0)
		*out = (uint64_t)v;
	return rc;
}

static int get_bool(struct ld *ld, const cs_t *g, const char *key, bool *out)
{
	cs_t *s = member(g, key);

	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return fail(ld, s, "must be true or false");
	*out = config_setting_get_bool(s) != 0;
	return 0;
}

/* A probability: float or integer from 0 to 1. */
static int get_prob(struct ld *ld, const cs_t *g, const char *key, double *out)
{
	cs_t *s = member(g, key);
	double v;

	if (s == NULL)
		return 0;
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		v = (double)config_setting_get_int64(s);
		break;
	default:
		return fail(ld, s, "must be a number from 0 to 1");
	}
	if (!(v >= 0.0 && v <= 1.0))
		return fail(ld, s, "must be a number from 0 to 1");
	*out = v;
	return 0;
}

/* 'must be "a", "b" or "c"' */
static int fail_enum(struct ld *ld, const cs_t *s, const char *const *names)
{
	char buf[256];
	size_t off = 0, n = 0;

	while (names[n] != NULL)
		n++;
	buf[0] = '\0';
	for (size_t i = 0; i < n && off < sizeof(buf); i++) {
		const char *sep = i == 0 ? "" : (i + 1 == n ? " or " : ", ");
		int w = snprintf(buf + off, sizeof(buf) - off, "%s\"%s\"", sep, names[i]);

		if (w < 0)
			break;
		off += (size_t)w;
	}
	return fail(ld, s, "must be %s", buf);
}

/* names[] is NULL-terminated; values[i] is what names[i] maps to. */
static int get_enum(struct ld *ld, const cs_t *g, const char *key, const char *const *names,
		    const int *values, int *out, cs_t **where)
{
	cs_t *s = member(g, key);
	const char *v;

	if (where)
		*where = s;
	if (s == NULL)
		return 0;
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return fail_enum(ld, s, names);
	v = config_setting_get_string(s);
	for (size_t i = 0; names[i] != NULL; i++) {
		if (strcmp(v, names[i]) == 0) {
			*out = values[i];
			return 0;
		}
	}
	return fail_enum(ld, s, names);
}

/* [ "a", "b" ] or ( "a", "b" ) copied into *out and *n_out. */
static int get_strings(struct ld *ld, const cs_t *g, const char *key, bool required, char ***out,
		       size_t *n_out, cs_t **where)
{
	cs_t *s = member(g, key);
	int n;

	if (where)
		*where = s;
	if (s == NULL)
		return required ? fail_child(ld, g, key, "is required") : 0;
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(ld, s, "must be an array of strings [ \"...\", ... ]");
	n = config_setting_length(s);
	for (int i = 0; i < n; i++) {
		cs_t *e = config_setting_get_elem(s, (unsigned)i);

		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return fail(ld, e, "must be a string");
	}
	if (n <= 0)
		return 0;
	*out = calloc((size_t)n, sizeof(char *));
	if (*out == NULL)
		return nomem(ld);
	for (int i = 0; i < n; i++) {
		const char *v = config_setting_get_string(config_setting_get_elem(s, (unsigned)i));

		if (dup_str(ld, v, &(*out)[i]) < 0)
			return -ENOMEM;
		*n_out = (size_t)i + 1;
	}
	return 0;
}

/* Index of the first element equal to a[i] before i, or -1. */
static int find_dup(char *const *a, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(a[j], a[i]) == 0)
			return (int)j;
	return -1;
}

/* ------------------------------------------- oversized integer literals */

static int add_big(struct ld *ld, const char *file, int line)
{
	if (ld->n_big == ld->cap_big) {
		size_t cap = ld->cap_big ? ld->cap_big * 2 : 8;
		struct big_int *b = realloc(ld->big, cap * sizeof(*b));

		if (b == NULL)
			return nomem(ld);
		ld->big = b;
		ld->cap_big = cap;
	}
	ld->big[ld->n_big].file = NULL;
	if (file != NULL && (ld->big[ld->n_big].file = strdup(file)) == NULL)
		return nomem(ld);
	ld->big[ld->n_big++].line = line;
	return 0;
}

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '*';
}

static int scan_ints(struct ld *ld, const char *file, const char *t, size_t len, int depth);

static int scan_include(struct ld *ld, const char *t, size_t len, size_t *ip, int depth)
{
	size_t i = *ip + 8, start;
	char *name = NULL, *path = NULL, *data = NULL;
	size_t dlen;
	int rc = 0;

	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	if (i >= len || t[i] != '"')
		goto out; /* libconfig reports the syntax error */
	start = ++i;
	while (i < len && t[i] != '"' && t[i] != '\n')
		i++;
	if (i >= len || t[i] != '"' || depth >= MAX_INCLUDE_DEPTH)
		goto out;
	name = strndup(t + start, i - start);
	if (name == NULL)
		return nomem(ld);
	if (resolve_path(ld, name, &path) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	/* Unreadable includes are reported by libconfig itself. */
	if (cfg_read_file(path, MAX_CONF_BYTES, &data, &dlen) == 0)
		rc = scan_ints(ld, name, data, dlen, depth + 1);
out:
	*ip = i;
	free(name);
	free(path);
	free(data);
	return rc;
}

/*
 * Record every decimal or hex integer literal without an L suffix that does
 * not fit in 32 bits. Skips strings and comments; follows @include.
 */
static int scan_ints(struct ld *ld, const char *file, const char *t, size_t len, int depth)
{
	int line = 1, rc;
	size_t i = 0;

	while (i < len) {
		char c = t[i];

		if (c == '\n') {
			line++;
			i++;
		} else if (c == '#' || (c == '/' && i + 1 < len && t[i + 1] == '/')) {
			while (i < len && t[i] != '\n')
				i++;
		} else if (c == '/' && i + 1 < len && t[i + 1] == '*') {
			for (i += 2; i < len && !(t[i] == '*' && i + 1 < len && t[i + 1] == '/');
			     i++)
				if (t[i] == '\n')
					line++;
			i += 2;
		} else if (c == '"') {
			for (i++; i < len && t[i] != '"'; i++) {
				if (t[i] == '\\' && i + 1 < len)
					i++;
				if (t[i] == '\n')
					line++;
			}
			i++;
		} else if (c == '@' && len - i >= 8 && memcmp(t + i, "@include", 8) == 0) {
			rc = scan_include(ld, t, len, &i, depth);
			if (rc < 0)
				return rc;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '*') {
			while (i < len && ident_char(t[i]))
				i++;
		} else if ((c >= '0' && c <= '9') || ((c == '-' || c == '+') && i + 1 < len &&
						      t[i + 1] >= '0' && t[i + 1] <= '9')) {
			bool neg = c == '-', hex = false, big = false;
			unsigned long long v = 0;

			if (c == '-' || c == '+')
				i++;
			if (t[i] == '0' && i + 1 < len && (t[i + 1] == 'x' || t[i + 1] == 'X')) {
				hex = true;
				i += 2;
			}
			for (; i < len; i++) {
				unsigned d;

				if (t[i] >= '0' && t[i] <= '9')
					d = (unsigned)(t[i] - '0');
				else if (hex && t[i] >= 'a' && t[i] <= 'f')
					d = (unsigned)(t[i] - 'a' + 10);
				else if (hex && t[i] >= 'A' && t[i] <= 'F')
					d = (unsigned)(t[i] - 'A' + 10);
				else
					break;
				if (v < (1ull << 40))
					v = v * (hex ? 16 : 10) + d;
			}
			if (i < len && (t[i] == '.' || (!hex && (t[i] == 'e' || t[i] == 'E')))) {
				while (i < len && (ident_char(t[i]) || t[i] == '.' || t[i] == '+'))
					i++;
				continue; /* a float */
			}
			if (i < len && t[i] == 'L')
				continue; /* 64-bit literal */
			if (hex)
				big = v > 0xffffffffull;
			else
				big = neg ? v > 2147483648ull : v > 2147483647ull;
			if (big && add_big(ld, file, line) < 0)
				return -ENOMEM;
		} else {
			i++;
		}
	}
	return 0;
}

static bool same_file(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

static int check_big_ints(struct ld *ld, const cs_t *s)
{
	int type = config_setting_type((cs_t *)s);

	if (type == CONFIG_TYPE_INT) {
		const char *f = config_setting_source_file((cs_t *)s);
		int line = (int)config_setting_source_line((cs_t *)s);

		for (size_t i = 0; i < ld->n_big; i++)
			if (ld->big[i].line == line && same_file(ld->big[i].file, f))
				return fail(ld, s,
					    "integer does not fit in 32 bits; write it with an L "
					    "suffix (e.g. 5000000000L)");
	} else if (type == CONFIG_TYPE_GROUP || type == CONFIG_TYPE_LIST ||
		   type == CONFIG_TYPE_ARRAY) {
		int n = config_setting_length((cs_t *)s);

		for (int i = 0; i < n; i++) {
			int rc =
				check_big_ints(ld, config_setting_get_elem((cs_t *)s, (unsigned)i));

			if (rc < 0)
				return rc;
		}
	}
	return 0;
}

/* ------------------------------------------------------------ sections */

static int load_appliance(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"hostname", NULL};
	cs_t *g, *w;
	const char *h;
	int rc;

	if ((rc = get_group(ld, root, "appliance", false, &g)) < 0 || g == NULL)
		return rc;
	if ((rc = check_keys(ld, g, keys)) < 0)
		return rc;
	if ((rc = get_string(ld, g, "hostname", false, &h, &w)) < 0 || h == NULL)
		return rc;
	if (!valid_hostname(h))
		return fail(ld, w, "must be a host name (letters, digits, '-' and '.')");
	free(ld->cfg->hostname);
	ld->cfg->hostname = NULL;
	return dup_str(ld, h, &ld->cfg->hostname);
}

static int load_lcores(struct ld *ld, const cs_t *g, const char *key, unsigned **out, size_t *n_out)
{
	cs_t *s = member(g, key);
	int n;

	if (s == NULL)
		return fail_child(ld, g, key, "is required");
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return fail(ld, s, "must be an array of lcore ids [ 1, 2 ]");
	n = config_setting_length(s);
	if (n == 0)
		return fail(ld, s, "must not be empty");
	*out = calloc((size_t)n, sizeof(unsigned));
	if (*out == NULL)
		return nomem(ld);
	for (int i = 0; i < n; i++) {
		cs_t *e = config_setting_get_elem(s, (unsigned)i);
		long long v = 0;

		if (int_value(ld, e, 0, MAX_LCORE - 1, &v) < 0)
			return -EINVAL;
		for (int j = 0; j < i; j++)
			if ((*out)[j] == (unsigned)v)
				return fail(ld, e, "lcore %lld listed twice", v);
		(*out)[i] = (unsigned)v;
		*n_out = (size_t)i + 1;
	}
	return 0;
}

/*
 * The lcore set of an EAL "-l LIST" / "-lLIST" argument ("0-3,5"), as bits.
 * Returns false when there is none or it is not a plain list (then the EAL
 * decides and nothing is checked here).
 */
static bool eal_lcore_set(const struct cfg_dataplane *dp, uint64_t set[2], const char **list)
{
	const char *v = NULL;

	for (size_t i = 0; i < dp->n_eal; i++) {
		if (strcmp(dp->eal[i], "-l") == 0 && i + 1 < dp->n_eal)
			v = dp->eal[i + 1];
		else if (strncmp(dp->eal[i], "-l", 2) == 0 && dp->eal[i][2] != '\0')
			v = dp->eal[i] + 2;
	}
	if (v == NULL)
		return false;
	*list = v;
	set[0] = set[1] = 0;
	for (const char *p = v; *p;) {
		unsigned a = 0, b;
		const char *q = p;

		while (*q >= '0' && *q <= '9' && a < MAX_LCORE)
			a = a * 10 + (unsigned)(*q++ - '0');
		if (q == p || a >= MAX_LCORE)
			return false;
		b = a;
		if (*q == '-') {
			p = ++q;
			b = 0;
			while (*q >= '0' && *q <= '9' && b < MAX_LCORE)
				b = b * 10 + (unsigned)(*q++ - '0');
			if (q == p || b >= MAX_LCORE || b < a)
				return false;
		}
		for (unsigned l = a; l <= b; l++)
			set[l / 64] |= 1ull << (l % 64);
		if (*q == ',')
			q++;
		else if (*q != '\0')
			return false;
		p = q;
	}
	return true;
}

static int check_lcores_in_eal(struct ld *ld, const cs_t *lc)
{
	const struct cfg_dataplane *dp = &ld->cfg->dataplane;
	const char *list = NULL;
	uint64_t set[2];

	if (!eal_lcore_set(dp, set, &list))
		return 0;
	for (int k = 0; k < 2; k++) {
		const unsigned *ids = k ? dp->dlp_lcores : dp->io_lcores;
		size_t n = k ? dp->n_dlp_lcores : dp->n_io_lcores;
		cs_t *arr = member(lc, k ? "dlp" : "io");

		for (size_t i = 0; i < n; i++)
			if (!(set[ids[i] / 64] & (1ull << (ids[i] % 64))))
				return fail(ld, config_setting_get_elem(arr, (unsigned)i),
					    "lcore %u is not in the EAL -l list \"%s\"", ids[i],
					    list);
	}
	return 0;
}

static int load_port(struct ld *ld, const cs_t *e, size_t idx)
{
	static const char *const keys[] = {"name", "device", "ipv4", "gateway", "mtu", NULL};
	struct cfg_dataplane *dp = &ld->cfg->dataplane;
	struct cfg_port *p = &dp->ports[idx];
	const char *v, *slash;
	cs_t *w;
	char buf[20];
	unsigned plen = 0;
	int rc;

	p->line = (int)config_setting_source_line((cs_t *)e);
	p->mtu = 1500;
	if ((rc = check_keys(ld, e, keys)) < 0)
		return rc;
	if ((rc = get_string(ld, e, "name", true, &v, &w)) < 0 || (rc = check_name(ld, w, v)) < 0)
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(dp->ports[j].name, v) == 0)
			return fail(ld, w, "duplicate port name \"%s\" (first at line %d)", v,
				    dp->ports[j].line);
	if ((rc = dup_str(ld, v, &p->name)) < 0)
		return rc;
	if ((rc = get_string(ld, e, "device", true, &v, &w)) < 0)
		return rc;
	if (v[0] == '\0')
		return fail(ld, w, "must not be empty");
	if ((rc = dup_str(ld, v, &p->device)) < 0)
		return rc;

	if ((rc = get_string(ld, e, "ipv4", true, &v, &w)) < 0)
		return rc;
	slash = strchr(v, '/');
	if (slash != NULL && slash[1] != '\0' && strlen(slash + 1) <= 2 && slash[1] != '0') {
		for (const char *q = slash + 1; *q; q++)
			plen = (*q >= '0' && *q <= '9') ? plen * 10 + (unsigned)(*q - '0') : 99;
	}
	if (slash == NULL || plen < 1 || plen > 32 || !parse_ipv4(v, (size_t)(slash - v), &p->ipv4))
		return fail(ld, w,
			    "must be an IPv4 address with prefix length, e.g. \"192.0.2.10/24\"");
	if (!is_unicast(p->ipv4))
		return fail(ld, w, "not a unicast host address");
	p->prefix_len = (uint8_t)plen;
	if (plen <= 30 &&
	    ((p->ipv4 & ~prefix_mask(plen)) == 0 || (p->ipv4 | prefix_mask(plen)) == 0xffffffffu))
		return fail(ld, w, "is the network or broadcast address of its subnet");
	for (size_t j = 0; j < idx; j++)
		if (dp->ports[j].ipv4 == p->ipv4)
			return fail(ld, w, "address already used by port \"%s\"",
				    dp->ports[j].name);

	if ((rc = get_string(ld, e, "gateway", false, &v, &w)) < 0)
		return rc;
	if (v != NULL) {
		uint32_t m = prefix_mask(plen);

		if (!parse_ipv4(v, strlen(v), &p->gateway) || !is_unicast(p->gateway))
			return fail(ld, w, "must be an IPv4 address, e.g. \"192.0.2.1\"");
		if ((p->gateway & m) != (p->ipv4 & m)) {
			fmt_ipv4(p->ipv4 & m, buf, sizeof(buf));
			return fail(ld, w, "not inside the port's subnet %s/%u", buf, plen);
		}
		if (p->gateway == p->ipv4)
			return fail(ld, w, "is the port's own address");
	}
	{
		unsigned mtu = p->mtu;

		if ((rc = get_uint(ld, e, "mtu", 576, 9216, &mtu)) < 0)
			return rc;
		p->mtu = (uint16_t)mtu;
	}
	return 0;
}

static int load_dataplane(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"eal", "lcores", "mbufs", "ports", "fault", "idle_sleep_us", NULL};
	static const char *const lkeys[] = {"io", "dlp", NULL};
	static const char *const fkeys[] = {"drop", "duplicate", "reorder", NULL};
	struct cfg_dataplane *dp = &ld->cfg->dataplane;
	cs_t *g, *lc, *ports, *fault;
	int rc, n;

	if ((rc = get_group(ld, root, "dataplane", false, &g)) < 0 || g == NULL)
		return rc;
	ld->have_dataplane = true;
	if ((rc = check_keys(ld, g, keys)) < 0)
		return rc;
	if ((rc = get_strings(ld, g, "eal", false, &dp->eal, &dp->n_eal, NULL)) < 0)
		return rc;
	if ((rc = get_group(ld, g, "lcores", true, &lc)) < 0 ||
	    (rc = check_keys(ld, lc, lkeys)) < 0 ||
	    (rc = load_lcores(ld, lc, "io", &dp->io_lcores, &dp->n_io_lcores)) < 0 ||
	    (rc = load_lcores(ld, lc, "dlp", &dp->dlp_lcores, &dp->n_dlp_lcores)) < 0 ||
	    (rc = check_lcores_in_eal(ld, lc)) < 0)
		return rc;
	if ((rc = get_uint(ld, g, "mbufs", 1024, 1u << 24, &dp->mbufs)) < 0)
		return rc;
	if ((rc = get_uint(ld, g, "idle_sleep_us", 0, 100000, &dp->idle_sleep_us)) < 0)
		return rc;
	if ((rc = get_group_list(ld, g, "ports", true, &ports)) < 0)
		return rc;
	n = config_setting_length(ports);
	if (n == 0)
		return fail(ld, ports, "must list at least one port");
	dp->ports = calloc((size_t)n, sizeof(*dp->ports));
	if (dp->ports == NULL)
		return nomem(ld);
	for (int i = 0; i < n; i++) {
		dp->n_ports = (size_t)i + 1;
		if ((rc = load_port(ld, config_setting_get_elem(ports, (unsigned)i), (size_t)i)) <
		    0)
			return rc;
	}
	if ((rc = get_group(ld, g, "fault", false, &fault)) < 0)
		return rc;
	if (fault != NULL && ((rc = check_keys(ld, fault, fkeys)) < 0 ||
			      (rc = get_prob(ld, fault, "drop", &dp->fault.drop)) < 0 ||
			      (rc = get_prob(ld, fault, "duplicate", &dp->fault.duplicate)) < 0 ||
			      (rc = get_prob(ld, fault, "reorder", &dp->fault.reorder)) < 0))
		return rc;
	return 0;
}

static int load_tcp(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"max_connections", "syn_cookies", "max_per_source",
					   "syn_backlog", NULL};
	static const char *const sc[] = {"auto", "always", "never", NULL};
	static const int scv[] = {CFG_SYN_COOKIES_AUTO, CFG_SYN_COOKIES_ALWAYS,
				  CFG_SYN_COOKIES_NEVER};
	struct cfg_tcp *t = &ld->cfg->tcp;
	cs_t *g;
	int rc, v = (int)t->syn_cookies;

	if ((rc = get_group(ld, root, "tcp", false, &g)) < 0 || g == NULL)
		return rc;
	if ((rc = check_keys(ld, g, keys)) < 0 ||
	    (rc = get_uint(ld, g, "max_connections", 1, 1u << 24, &t->max_connections)) < 0 ||
	    (rc = get_enum(ld, g, "syn_cookies", sc, scv, &v, NULL)) < 0)
		return rc;
	t->syn_cookies = (enum cfg_syn_cookies)v;
	/* The per-source cap cannot exceed the total (range names the total). */
	if ((rc = get_uint(ld, g, "max_per_source", 1, t->max_connections, &t->max_per_source)) <
		    0 ||
	    (rc = get_uint(ld, g, "syn_backlog", 1, 1u << 20, &t->syn_backlog)) < 0)
		return rc;
	if (t->max_per_source > t->max_connections)
		t->max_per_source = t->max_connections; /* default 256 above a small total */
	return 0;
}

static int load_tls(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"certificate", "key", "min_version", NULL};
	static const char *const vers[] = {"1.2", "1.3", NULL};
	static const int versv[] = {CFG_TLS_1_2, CFG_TLS_1_3};
	struct cfg_tls *t = &ld->cfg->tls;
	const char *cert, *key;
	cs_t *g, *wc, *wk;
	int rc, v = (int)t->min_version;

	if ((rc = get_group(ld, root, "tls", false, &g)) < 0 || g == NULL)
		return rc;
	if ((rc = check_keys(ld, g, keys)) < 0 ||
	    (rc = get_string(ld, g, "certificate", true, &cert, &wc)) < 0 ||
	    (rc = get_string(ld, g, "key", true, &key, &wk)) < 0 ||
	    (rc = get_enum(ld, g, "min_version", vers, versv, &v, NULL)) < 0)
		return rc;
	t->min_version = (enum cfg_tls_version)v;
	if (cert[0] == '\0')
		return fail(ld, wc, "must not be empty");
	if (key[0] == '\0')
		return fail(ld, wk, "must not be empty");
	if ((rc = resolve_path(ld, cert, &t->certificate)) < 0 ||
	    (rc = check_readable(ld, wc, t->certificate)) < 0 ||
	    (rc = resolve_path(ld, key, &t->key)) < 0 || (rc = check_readable(ld, wk, t->key)) < 0)
		return rc;
	return 0;
}

static const struct cfg_port *find_port(const struct ld *ld, const char *name)
{
	for (size_t i = 0; i < ld->cfg->dataplane.n_ports; i++)
		if (strcmp(ld->cfg->dataplane.ports[i].name, name) == 0)
			return &ld->cfg->dataplane.ports[i];
	return NULL;
}

/* port + address of a listener or the upstream; address defaults to the port's. */
static int load_endpoint(struct ld *ld, const cs_t *g, bool own_address, char **port_out,
			 uint32_t *addr_out)
{
	const struct cfg_port *port = NULL;
	const char *pname, *addr;
	cs_t *wp, *wa;
	char buf[20];
	int rc;

	if ((rc = get_string(ld, g, "port", ld->have_dataplane, &pname, &wp)) < 0)
		return rc;
	if (pname != NULL) {
		if (ld->have_dataplane && (port = find_port(ld, pname)) == NULL)
			return fail(ld, wp, "no dataplane port named \"%s\"", pname);
		if ((rc = dup_str(ld, pname, port_out)) < 0)
			return rc;
	}
	if ((rc = get_string(ld, g, "address", port == NULL || !own_address, &addr, &wa)) < 0)
		return rc;
	if (addr == NULL) {
		*addr_out = port->ipv4;
		return 0;
	}
	if (!parse_ipv4(addr, strlen(addr), addr_out) || !is_unicast(*addr_out))
		return fail(ld, wa, "must be an IPv4 unicast address, e.g. \"192.0.2.10\"");
	if (port != NULL && own_address && *addr_out != port->ipv4) {
		fmt_ipv4(port->ipv4, buf, sizeof(buf));
		return fail(ld, wa, "not the address of port \"%s\" (%s)", port->name, buf);
	}
	return 0;
}

static int load_listen(struct ld *ld, const cs_t *list)
{
	static const char *const keys[] = {"port", "address", "tcp_port", "tls", NULL};
	static const char *const modes[] = {"plain", "starttls", "implicit", NULL};
	static const int modev[] = {CFG_LISTEN_PLAIN, CFG_LISTEN_STARTTLS, CFG_LISTEN_IMPLICIT};
	struct cfg_smtp *s = &ld->cfg->smtp;
	int n = config_setting_length((cs_t *)list), rc;

	if (n == 0)
		return 0;
	s->listen = calloc((size_t)n, sizeof(*s->listen));
	if (s->listen == NULL)
		return nomem(ld);
	for (int i = 0; i < n; i++) {
		cs_t *e = config_setting_get_elem((cs_t *)list, (unsigned)i), *wport, *wtls;
		struct cfg_listen *l = &s->listen[i];
		long long port = 0;
		int mode = CFG_LISTEN_PLAIN;

		s->n_listen = (size_t)i + 1;
		l->line = (int)config_setting_source_line(e);
		if ((rc = check_keys(ld, e, keys)) < 0 ||
		    (rc = load_endpoint(ld, e, true, &l->port, &l->address)) < 0 ||
		    (rc = get_int(ld, e, "tcp_port", 1, 65535, &port, &wport)) < 0 ||
		    (rc = get_enum(ld, e, "tls", modes, modev, &mode, &wtls)) < 0)
			return rc;
		if (wport == NULL)
			return fail_child(ld, e, "tcp_port", "is required");
		l->tcp_port = (uint16_t)port;
		l->tls = (enum cfg_listen_tls)mode;
		for (int j = 0; j < i; j++)
			if (s->listen[j].address == l->address &&
			    s->listen[j].tcp_port == l->tcp_port)
				return fail(ld, wport,
					    "duplicate listener on the same address and "
					    "port (first at line %d)",
					    s->listen[j].line);
		if (l->tls != CFG_LISTEN_PLAIN && ld->cfg->tls.certificate == NULL)
			return fail(ld, wtls, "needs a tls { certificate; key; } section");
	}
	return 0;
}

static int load_upstream(struct ld *ld, const cs_t *g)
{
	static const char *const keys[] = {"port",    "address",     "tcp_port",  "tls", "verify",
					   "ca_file", "server_name", "pool_idle", NULL};
	static const char *const modes[] = {"none", "opportunistic", "required", NULL};
	static const int modev[] = {CFG_UP_TLS_NONE, CFG_UP_TLS_OPPORTUNISTIC, CFG_UP_TLS_REQUIRED};
	struct cfg_upstream *u = &ld->cfg->smtp.upstream;
	const char *v;
	cs_t *w, *wca;
	long long port = u->tcp_port;
	int rc, mode = (int)u->tls;

	if ((rc = check_keys(ld, g, keys)) < 0 ||
	    (rc = load_endpoint(ld, g, false, &u->port, &u->address)) < 0 ||
	    (rc = get_int(ld, g, "tcp_port", 1, 65535, &port, NULL)) < 0 ||
	    (rc = get_enum(ld, g, "tls", modes, modev, &mode, NULL)) < 0 ||
	    (rc = get_bool(ld, g, "verify", &u->verify)) < 0 ||
	    (rc = get_uint(ld, g, "pool_idle", 0, 1024, &u->pool_idle)) < 0)
		return rc;
	u->tcp_port = (uint16_t)port;
	u->tls = (enum cfg_upstream_tls)mode;
	if ((rc = get_string(ld, g, "server_name", false, &v, &w)) < 0)
		return rc;
	if (v != NULL) {
		if (!valid_hostname(v))
			return fail(ld, w, "must be a host name (letters, digits, '-' and '.')");
		if ((rc = dup_str(ld, v, &u->server_name)) < 0)
			return rc;
	}
	if ((rc = get_string(ld, g, "ca_file", false, &v, &wca)) < 0)
		return rc;
	if (v != NULL) {
		if (v[0] == '\0')
			return fail(ld, wca, "must not be empty");
		if ((rc = resolve_path(ld, v, &u->ca_file)) < 0)
			return rc;
	}
	if (u->verify) {
		if (u->tls == CFG_UP_TLS_NONE)
			return fail(ld, member(g, "verify"),
				    "needs tls \"opportunistic\" or \"required\"");
		if (u->ca_file == NULL)
			return fail_child(ld, g, "ca_file", "is required when verify = true");
		if ((rc = check_readable(ld, wca, u->ca_file)) < 0)
			return rc;
	}
	return 0;
}

/* Printable ASCII (it goes into an SMTP reply); "%p" is the policy name. */
static int check_block_reply(struct ld *ld, const cs_t *w, const char *v)
{
	size_t len = strlen(v);

	if (len == 0 || len > MAX_BLOCK_REPLY)
		return fail(ld, w, "must be 1 to %u characters", MAX_BLOCK_REPLY);
	for (size_t i = 0; i < len; i++)
		if (v[i] < 0x20 || v[i] > 0x7e)
			return fail(ld, w, "must be printable ASCII");
	return 0;
}

static int load_smtp(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {
		"listen",  "require_tls", "max_message_size", "max_recipients", "max_line_length",
		"bare_lf", "block_reply", "timeouts",	      "upstream",	NULL};
	static const char *const tkeys[] = {"command", "data", "data_total", "upstream", "connect",
					    NULL};
	static const char *const lf[] = {"reject", "normalize", NULL};
	static const int lfv[] = {CFG_BARE_LF_REJECT, CFG_BARE_LF_NORMALIZE};
	struct cfg_smtp *s = &ld->cfg->smtp;
	const char *v;
	cs_t *g, *list, *t, *up, *w;
	int rc, mode = (int)s->bare_lf;

	if ((rc = get_group(ld, root, "smtp", false, &g)) < 0 || g == NULL)
		return rc;
	if ((rc = check_keys(ld, g, keys)) < 0 ||
	    (rc = get_group_list(ld, g, "listen", false, &list)) < 0)
		return rc;
	if (list != NULL && (rc = load_listen(ld, list)) < 0)
		return rc;
	if ((rc = get_bool(ld, g, "require_tls", &s->require_tls)) < 0 ||
	    (rc = get_u64(ld, g, "max_message_size", 1024, 1ull << 40, &s->max_message_size)) < 0 ||
	    (rc = get_uint(ld, g, "max_recipients", 1, 100000, &s->max_recipients)) < 0 ||
	    (rc = get_uint(ld, g, "max_line_length", 1000, 1u << 20, &s->max_line_length)) < 0 ||
	    (rc = get_enum(ld, g, "bare_lf", lf, lfv, &mode, NULL)) < 0)
		return rc;
	s->bare_lf = (enum cfg_bare_lf)mode;
	if (s->require_tls) {
		bool starttls = false;

		for (size_t i = 0; i < s->n_listen; i++)
			starttls |= s->listen[i].tls != CFG_LISTEN_PLAIN;
		if (!starttls && s->n_listen > 0)
			return fail(ld, member(g, "require_tls"),
				    "needs a listener with tls \"starttls\" or \"implicit\"");
	}
	if ((rc = get_string(ld, g, "block_reply", false, &v, &w)) < 0)
		return rc;
	if (v != NULL) {
		if ((rc = check_block_reply(ld, w, v)) < 0)
			return rc;
		free(s->block_reply);
		s->block_reply = NULL;
		if ((rc = dup_str(ld, v, &s->block_reply)) < 0)
			return rc;
	}
	if ((rc = get_group(ld, g, "timeouts", false, &t)) < 0)
		return rc;
	if (t != NULL && ((rc = check_keys(ld, t, tkeys)) < 0 ||
			  (rc = get_uint(ld, t, "command", 1, 86400, &s->timeouts.command)) < 0 ||
			  (rc = get_uint(ld, t, "data", 1, 86400, &s->timeouts.data)) < 0 ||
			  (rc = get_uint(ld, t, "upstream", 1, 86400, &s->timeouts.upstream)) < 0 ||
			  (rc = get_uint(ld, t, "connect", 1, 86400, &s->timeouts.connect)) < 0 ||
			  (rc = get_uint(ld, t, "data_total", 1, 86400, &s->timeouts.data_total)) < 0))
		return rc;
	if ((rc = get_group(ld, g, "upstream", s->n_listen > 0, &up)) < 0)
		return rc;
	if (up != NULL && (rc = load_upstream(ld, up)) < 0)
		return rc;
	return 0;
}

/* ------------------------------------------------------------------ dlp */

static int load_dictionary(struct ld *ld, struct cfg_entity *en, const cs_t *w, const char *written)
{
	char *data = NULL, cerr[512];
	size_t len;
	int rc;

	rc = cfg_read_file(en->file, MAX_CSV_BYTES, &data, &len);
	if (rc == -ENOMEM)
		return nomem(ld);
	if (rc == -EFBIG)
		return fail(ld, w, "%s is larger than %u MiB", en->file, MAX_CSV_BYTES >> 20);
	if (rc < 0)
		return fail(ld, w, "cannot read %s: %s", en->file, strerror(-rc));
	rc = cfg_csv_parse(data, len, en->file, en->case_sensitive, &en->terms, &en->n_terms, cerr,
			   sizeof(cerr));
	free(data);
	if (rc == -ENOMEM)
		return nomem(ld);
	if (rc < 0) {
		if (!ld->failed) {
			ld->failed = true;
			cfg_errf(ld->err, ld->errlen, "%s", cerr);
		}
		return rc;
	}
	if (en->n_terms == 0)
		return fail(ld, w, "%s contains no terms", written);
	return 0;
}

/*
 * Entity names appear in rule expressions, where a name that is not one
 * plain word (or that reads like an operator) is written in double quotes;
 * so a name may hold anything but a double quote.
 */
static int check_entity_name(struct ld *ld, const cs_t *w, const char *v)
{
	int rc = check_name(ld, w, v);

	if (rc < 0)
		return rc;
	if (strchr(v, '"') != NULL)
		return fail(ld, w, "must not contain '\"' (rule expressions quote names with it)");
	return 0;
}

static int load_entity(struct ld *ld, const cs_t *e, size_t idx)
{
	static const char *const dict_keys[] = {"name", "type", "file", "case_sensitive", NULL};
	static const char *const re_keys[] = {"name", "type", "pattern", NULL};
	static const char *const id_keys[] = {"name", "type", "identifier", NULL};
	static const char *const types[] = {"dictionary", "regex", "identifier", NULL};
	static const int typev[] = {CFG_ENTITY_DICTIONARY, CFG_ENTITY_REGEX, CFG_ENTITY_IDENTIFIER};
	static const char *const ids[] = {"payment-card", "us-ssn", "iban", NULL};
	static const int idv[] = {CFG_ID_PAYMENT_CARD, CFG_ID_US_SSN, CFG_ID_IBAN};
	struct cfg_dlp *d = &ld->cfg->dlp;
	struct cfg_entity *en = &d->entities[idx];
	const char *v;
	cs_t *w, *wt;
	int rc, type = -1, id = 0;

	en->line = (int)config_setting_source_line((cs_t *)e);
	if ((rc = get_string(ld, e, "name", true, &v, &w)) < 0 ||
	    (rc = check_entity_name(ld, w, v)) < 0)
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(d->entities[j].name, v) == 0)
			return fail(ld, w, "duplicate entity name \"%s\" (first at line %d)", v,
				    d->entities[j].line);
	if ((rc = dup_str(ld, v, &en->name)) < 0)
		return rc;
	if ((rc = get_enum(ld, e, "type", types, typev, &type, &wt)) < 0)
		return rc;
	if (wt == NULL)
		return fail_child(ld, e, "type", "is required");
	en->type = (enum cfg_entity_type)type;
	switch (en->type) {
	case CFG_ENTITY_DICTIONARY:
		if ((rc = check_keys(ld, e, dict_keys)) < 0 ||
		    (rc = get_bool(ld, e, "case_sensitive", &en->case_sensitive)) < 0 ||
		    (rc = get_string(ld, e, "file", true, &v, &w)) < 0)
			return rc;
		if (v[0] == '\0')
			return fail(ld, w, "must not be empty");
		if ((rc = resolve_path(ld, v, &en->file)) < 0)
			return rc;
		return load_dictionary(ld, en, w, v);
	case CFG_ENTITY_REGEX:
		if ((rc = check_keys(ld, e, re_keys)) < 0 ||
		    (rc = get_string(ld, e, "pattern", true, &v, &w)) < 0)
			return rc;
		if (v[0] == '\0')
			return fail(ld, w, "must not be empty");
		return dup_str(ld, v, &en->pattern);
	case CFG_ENTITY_IDENTIFIER:
		if ((rc = check_keys(ld, e, id_keys)) < 0 ||
		    (rc = get_enum(ld, e, "identifier", ids, idv, &id, &w)) < 0)
			return rc;
		if (w == NULL)
			return fail_child(ld, e, "identifier", "is required");
		en->identifier = (enum cfg_identifier)id;
		return 0;
	}
	return 0;
}

static int load_severity(struct ld *ld, struct cfg_rule *r, const cs_t *e)
{
	static const char *const levels[] = {NULL, "low", "medium", "high", "critical"};
	static const char *const keys[] = {"low", "medium", "high", "critical", NULL};
	cs_t *g, *w;
	int rc, prev = 0;
	bool any = false;

	if ((rc = get_group(ld, e, "severity", true, &g)) < 0 || (rc = check_keys(ld, g, keys)) < 0)
		return rc;
	for (int lv = CFG_SEV_LOW; lv <= CFG_SEV_CRITICAL; lv++) {
		long long v = 0;

		if ((rc = get_int(ld, g, levels[lv], 0, INT_MAX, &v, &w)) < 0)
			return rc;
		r->severity[lv] = (long)v;
		if (v == 0)
			continue;
		if (prev != 0 && v < r->severity[prev])
			return fail(ld, w, "must be >= %s (%ld)", levels[prev], r->severity[prev]);
		prev = lv;
		any = true;
	}
	if (!any)
		return fail(ld, g, "set at least one of low, medium, high, critical above 0");
	return 0;
}

static int load_rule(struct ld *ld, const cs_t *e, size_t idx)
{
	static const char *const keys[] = {"name", "match", "count", "severity", "scope", NULL};
	static const char *const counts[] = {"unique", "total", "score", NULL};
	static const int countv[] = {CFG_COUNT_UNIQUE, CFG_COUNT_TOTAL, CFG_COUNT_SCORE};
	struct cfg_dlp *d = &ld->cfg->dlp;
	struct cfg_rule *r = &d->rules[idx];
	const char *v;
	cs_t *w;
	int rc, count = CFG_COUNT_UNIQUE;

	r->line = (int)config_setting_source_line((cs_t *)e);
	r->scope = CFG_SCOPE_CONTENT;
	if ((rc = check_keys(ld, e, keys)) < 0 ||
	    (rc = get_string(ld, e, "name", true, &v, &w)) < 0 || (rc = check_name(ld, w, v)) < 0)
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(d->rules[j].name, v) == 0)
			return fail(ld, w, "duplicate rule name \"%s\" (first at line %d)", v,
				    d->rules[j].line);
	if ((rc = dup_str(ld, v, &r->name)) < 0)
		return rc;
	if ((rc = get_string(ld, e, "match", true, &v, &w)) < 0)
		return rc;
	if (strspn(v, " \t\r\n") == strlen(v))
		return fail(ld, w, "must not be empty");
	if ((rc = dup_str(ld, v, &r->match)) < 0)
		return rc;
	if ((rc = get_enum(ld, e, "count", counts, countv, &count, NULL)) < 0)
		return rc;
	r->count = (enum cfg_count_mode)count;
	if ((rc = load_severity(ld, r, e)) < 0)
		return rc;
	w = member(e, "scope");
	if (w != NULL) {
		int n;

		if (config_setting_type(w) != CONFIG_TYPE_ARRAY &&
		    config_setting_type(w) != CONFIG_TYPE_LIST)
			return fail(ld, w, "must be an array of \"content\" and/or \"metadata\"");
		n = config_setting_length(w);
		if (n == 0)
			return fail(ld, w, "must not be empty");
		r->scope = 0;
		for (int i = 0; i < n; i++) {
			static const char *const scopes[] = {"content", "metadata", NULL};
			cs_t *el = config_setting_get_elem(w, (unsigned)i);
			const char *sv = config_setting_type(el) == CONFIG_TYPE_STRING
						 ? config_setting_get_string(el)
						 : "";

			if (strcmp(sv, "content") == 0)
				r->scope |= CFG_SCOPE_CONTENT;
			else if (strcmp(sv, "metadata") == 0)
				r->scope |= CFG_SCOPE_METADATA;
			else
				return fail_enum(ld, el, scopes);
		}
	}
	return 0;
}

static int load_profile(struct ld *ld, const cs_t *e, size_t idx)
{
	static const char *const keys[] = {"name", "rules", NULL};
	struct cfg_dlp *d = &ld->cfg->dlp;
	struct cfg_profile *p = &d->profiles[idx];
	const char *v;
	cs_t *w;
	int rc;

	p->line = (int)config_setting_source_line((cs_t *)e);
	if ((rc = check_keys(ld, e, keys)) < 0 ||
	    (rc = get_string(ld, e, "name", true, &v, &w)) < 0 || (rc = check_name(ld, w, v)) < 0)
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(d->profiles[j].name, v) == 0)
			return fail(ld, w, "duplicate profile name \"%s\" (first at line %d)", v,
				    d->profiles[j].line);
	if ((rc = dup_str(ld, v, &p->name)) < 0 ||
	    (rc = get_strings(ld, e, "rules", true, &p->rules, &p->n_rules, &w)) < 0)
		return rc;
	if (p->n_rules == 0)
		return fail(ld, w, "must name at least one rule");
	for (size_t i = 0; i < p->n_rules; i++) {
		size_t j;

		if (find_dup(p->rules, i) >= 0)
			return fail(ld, config_setting_get_elem(w, (unsigned)i),
				    "rule \"%s\" listed twice", p->rules[i]);
		for (j = 0; j < d->n_rules; j++)
			if (strcmp(d->rules[j].name, p->rules[i]) == 0)
				break;
		if (j == d->n_rules)
			return fail(ld, config_setting_get_elem(w, (unsigned)i),
				    "no rule named \"%s\"", p->rules[i]);
	}
	return 0;
}

/*
 * Lists of groups (entities, rules, profiles, policies): alloc_items() makes
 * the zeroed array (NULL with *n = 0 for an absent or empty list; NULL with
 * *n > 0 when out of memory), load_items() loads element i with
 * fn(ld, element, i). *n_arr counts the elements handed to fn, so cfg_free()
 * releases a partly loaded array.
 */
static void *alloc_items(struct ld *ld, const cs_t *list, size_t size, int *n)
{
	void *arr;

	*n = list != NULL ? config_setting_length((cs_t *)list) : 0;
	if (*n <= 0)
		return NULL;
	arr = calloc((size_t)*n, size);
	if (arr == NULL)
		nomem(ld);
	return arr;
}

static int load_items(struct ld *ld, const cs_t *list, int n, size_t *n_arr,
		      int (*fn)(struct ld *, const cs_t *, size_t))
{
	for (int i = 0; i < n; i++) {
		int rc;

		*n_arr = (size_t)i + 1;
		rc = fn(ld, config_setting_get_elem((cs_t *)list, (unsigned)i), (size_t)i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Validate and lower-case domain names in place. */
static int check_domains(struct ld *ld, const cs_t *w, char **v, size_t n, bool dot_ok)
{
	for (size_t i = 0; i < n; i++) {
		cs_t *e = config_setting_get_elem((cs_t *)w, (unsigned)i);

		if (!(dot_ok ? valid_domain_entry(v[i], strlen(v[i]))
			     : valid_domain(v[i], strlen(v[i]))))
			return fail(ld, e, "\"%s\" is not a valid domain", v[i]);
		lower(v[i]);
	}
	return 0;
}

static int load_dlp(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"internal_domains",
					   "scan_limit",
					   "on_unscannable",
					   "inspected_header",
					   "limits",
					   "entities",
					   "rules",
					   "profiles",
					   NULL};
	static const char *const lkeys[] = {"max_depth",       "max_parts",   "max_header_bytes",
					    "max_line_length", "max_matches", NULL};
	static const char *const un[] = {"tempfail", "hold", "allow", NULL};
	static const int unv[] = {CFG_UNSCANNABLE_TEMPFAIL, CFG_UNSCANNABLE_HOLD,
				  CFG_UNSCANNABLE_ALLOW};
	struct cfg_dlp *d = &ld->cfg->dlp;
	struct cfg_dlp_limits *l = &d->limits;
	const char *v;
	cs_t *g, *w, *lim, *list;
	int rc, n, mode = (int)d->on_unscannable;

	if ((rc = get_group(ld, root, "dlp", true, &g)) < 0 || (rc = check_keys(ld, g, keys)) < 0)
		return rc;
	if ((rc = get_strings(ld, g, "internal_domains", false, &d->internal_domains,
			      &d->n_internal_domains, &w)) < 0 ||
	    (rc = check_domains(ld, w, d->internal_domains, d->n_internal_domains, false)) < 0)
		return rc;
	if ((rc = get_u64(ld, g, "scan_limit", 4096, 1ull << 40, &d->scan_limit)) < 0 ||
	    (rc = get_enum(ld, g, "on_unscannable", un, unv, &mode, NULL)) < 0)
		return rc;
	d->on_unscannable = (enum cfg_unscannable)mode;
	if ((rc = get_string(ld, g, "inspected_header", false, &v, &w)) < 0)
		return rc;
	if (v != NULL) {
		if (!valid_field_name(v))
			return fail(ld, w,
				    "must be a header field name (1-%d printable "
				    "characters, no ':' or spaces)",
				    MAX_HEADER_NAME);
		free(d->inspected_header);
		d->inspected_header = NULL;
		if ((rc = dup_str(ld, v, &d->inspected_header)) < 0)
			return rc;
	}
	if ((rc = get_group(ld, g, "limits", false, &lim)) < 0)
		return rc;
	if (lim != NULL &&
	    ((rc = check_keys(ld, lim, lkeys)) < 0 ||
	     (rc = get_uint(ld, lim, "max_depth", 1, 1000, &l->max_depth)) < 0 ||
	     (rc = get_uint(ld, lim, "max_parts", 1, 1000000, &l->max_parts)) < 0 ||
	     (rc = get_uint(ld, lim, "max_header_bytes", 1024, 16u << 20, &l->max_header_bytes)) <
		     0 ||
	     (rc = get_uint(ld, lim, "max_line_length", 1000, 16u << 20, &l->max_line_length)) <
		     0 ||
	     (rc = get_uint(ld, lim, "max_matches", 1, 1000000, &l->max_matches)) < 0))
		return rc;
	if ((rc = get_group_list(ld, g, "entities", false, &list)) < 0)
		return rc;
	d->entities = alloc_items(ld, list, sizeof(*d->entities), &n);
	if (n > 0 && d->entities == NULL)
		return -ENOMEM;
	if ((rc = load_items(ld, list, n, &d->n_entities, load_entity)) < 0)
		return rc;
	if ((rc = get_group_list(ld, g, "rules", false, &list)) < 0)
		return rc;
	d->rules = alloc_items(ld, list, sizeof(*d->rules), &n);
	if (n > 0 && d->rules == NULL)
		return -ENOMEM;
	if ((rc = load_items(ld, list, n, &d->n_rules, load_rule)) < 0)
		return rc;
	if ((rc = get_group_list(ld, g, "profiles", false, &list)) < 0)
		return rc;
	d->profiles = alloc_items(ld, list, sizeof(*d->profiles), &n);
	if (n > 0 && d->profiles == NULL)
		return -ENOMEM;
	if ((rc = load_items(ld, list, n, &d->n_profiles, load_profile)) < 0)
		return rc;
	return 0;
}

/* ------------------------------------------------------------- policies */

static int push_str(struct ld *ld, char ***arr, size_t *n, size_t *cap, const char *s, size_t len)
{
	char *copy;

	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 16;
		char **a = realloc(*arr, c * sizeof(char *));

		if (a == NULL)
			return nomem(ld);
		*arr = a;
		*cap = c;
	}
	copy = strndup(s, len);
	if (copy == NULL)
		return nomem(ld);
	lower(copy);
	(*arr)[(*n)++] = copy;
	return 0;
}

/* One address or domain per line; '#' starts a comment line. */
static int load_list_file(struct ld *ld, const cs_t *w, const char *written, bool addresses,
			  char ***arr, size_t *n, size_t *cap)
{
	char *path = NULL, *data = NULL;
	const char *p, *end;
	size_t len;
	int rc, line = 0;

	if (written[0] == '\0')
		return fail(ld, w, "must not be empty");
	if ((rc = resolve_path(ld, written, &path)) < 0)
		return rc;
	rc = cfg_read_file(path, MAX_LIST_BYTES, &data, &len);
	if (rc < 0) {
		if (rc == -ENOMEM)
			rc = nomem(ld);
		else if (rc == -EFBIG)
			rc = fail(ld, w, "%s is larger than %u MiB", path, MAX_LIST_BYTES >> 20);
		else
			rc = fail(ld, w, "cannot read %s: %s", path, strerror(-rc));
		goto out;
	}
	p = data;
	end = data + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *a = p, *b = nl ? nl : end;

		line++;
		p = nl ? nl + 1 : end;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r'))
			b--;
		if (a == b || *a == '#')
			continue;
		if (addresses ? !valid_address(a, (size_t)(b - a))
			      : !valid_domain_entry(a, (size_t)(b - a))) {
			rc = -EINVAL;
			if (!ld->failed) {
				ld->failed = true;
				cfg_errf(ld->err, ld->errlen, "%s:%d: %s: not a valid %s", path,
					 line, addresses ? "address" : "domain",
					 addresses ? "address (local@domain)" : "domain");
			}
			goto out;
		}
		if ((rc = push_str(ld, arr, n, cap, a, (size_t)(b - a))) < 0)
			goto out;
	}
out:
	free(path);
	free(data);
	return rc;
}

static int load_userset(struct ld *ld, const cs_t *pol, const char *key, bool is_to,
			struct cfg_userset *u)
{
	static const char *const from_keys[] = {"addresses", "domains", "address_files",
						"domain_files", NULL};
	static const char *const to_keys[] = {"addresses",    "domains",  "address_files",
					      "domain_files", "external", NULL};
	const char *const what[] = {"addresses", "domains", "address_files", "domain_files"};
	size_t cap_a = 0, cap_d = 0;
	cs_t *g;
	int rc;

	u->any = true;
	if ((rc = get_group(ld, pol, key, false, &g)) < 0 || g == NULL)
		return rc;
	if ((rc = check_keys(ld, g, is_to ? to_keys : from_keys)) < 0)
		return rc;
	if (is_to && (rc = get_bool(ld, g, "external", &u->external)) < 0)
		return rc;
	for (int k = 0; k < 4; k++) {
		cs_t *s = member(g, what[k]);
		int n;

		if (s == NULL)
			continue;
		if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
		    config_setting_type(s) != CONFIG_TYPE_LIST)
			return fail(ld, s, "must be an array of strings [ \"...\", ... ]");
		n = config_setting_length(s);
		for (int i = 0; i < n; i++) {
			cs_t *e = config_setting_get_elem(s, (unsigned)i);
			bool addr = (k % 2) == 0;
			const char *v;

			if (config_setting_type(e) != CONFIG_TYPE_STRING)
				return fail(ld, e, "must be a string");
			v = config_setting_get_string(e);
			if (k >= 2) {
				rc = load_list_file(ld, e, v, addr,
						    addr ? &u->addresses : &u->domains,
						    addr ? &u->n_addresses : &u->n_domains,
						    addr ? &cap_a : &cap_d);
				if (rc < 0)
					return rc;
				continue;
			}
			if (addr ? !valid_address(v, strlen(v)) : !valid_domain_entry(v, strlen(v)))
				return fail(ld, e, "\"%s\" is not a valid %s", v,
					    addr ? "address (local@domain)" : "domain");
			rc = push_str(ld, addr ? &u->addresses : &u->domains,
				      addr ? &u->n_addresses : &u->n_domains,
				      addr ? &cap_a : &cap_d, v, strlen(v));
			if (rc < 0)
				return rc;
		}
	}
	u->any = !u->external && u->n_addresses == 0 && u->n_domains == 0;
	return 0;
}

static int load_header(struct ld *ld, struct cfg_policy *p, const cs_t *e)
{
	static const char *const keys[] = {"name", "value", NULL};
	const char *v;
	cs_t *g, *w;
	size_t len;
	int rc;

	if ((rc = get_group(ld, e, "header", p->action == CFG_ACTION_ADD_HEADER, &g)) < 0 ||
	    g == NULL)
		return rc;
	if (p->action != CFG_ACTION_ADD_HEADER)
		return fail(ld, g, "only valid with action \"add-header\"");
	if ((rc = check_keys(ld, g, keys)) < 0 ||
	    (rc = get_string(ld, g, "name", true, &v, &w)) < 0)
		return rc;
	if (!valid_field_name(v))
		return fail(ld, w,
			    "must be a header field name (1-%d printable characters, no ':' or "
			    "spaces)",
			    MAX_HEADER_NAME);
	if ((rc = dup_str(ld, v, &p->header_name)) < 0 ||
	    (rc = get_string(ld, g, "value", true, &v, &w)) < 0)
		return rc;
	len = strlen(v);
	if (len > MAX_HEADER_VALUE)
		return fail(ld, w, "longer than %u bytes", MAX_HEADER_VALUE);
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
			return fail(ld, w, "must not contain CR, LF or other control characters");
	if (!cfg_utf8_valid(v, len))
		return fail(ld, w, "not valid UTF-8");
	return dup_str(ld, v, &p->header_value);
}

static int load_policy(struct ld *ld, const cs_t *e, size_t idx)
{
	static const char *const keys[] = {
		"name",	  "enabled", "from",	      "to", "profiles", "min_severity",
		"action", "header",  "notify_sender", NULL};
	static const char *const sev[] = {"low", "medium", "high", "critical", NULL};
	static const int sevv[] = {CFG_SEV_LOW, CFG_SEV_MEDIUM, CFG_SEV_HIGH, CFG_SEV_CRITICAL};
	static const char *const act[] = {"alert",	"add-header", "block",
					  "quarantine", "allow",      NULL};
	static const int actv[] = {CFG_ACTION_ALERT, CFG_ACTION_ADD_HEADER, CFG_ACTION_BLOCK,
				   CFG_ACTION_QUARANTINE, CFG_ACTION_ALLOW};
	struct cfg *c = ld->cfg;
	struct cfg_policy *p = &c->policies[idx];
	const char *v;
	cs_t *w;
	int rc, s = CFG_SEV_LOW, a = 0;

	p->line = (int)config_setting_source_line((cs_t *)e);
	p->enabled = true;
	p->min_severity = CFG_SEV_LOW;
	if ((rc = check_keys(ld, e, keys)) < 0 ||
	    (rc = get_string(ld, e, "name", true, &v, &w)) < 0 || (rc = check_name(ld, w, v)) < 0)
		return rc;
	for (size_t j = 0; j < idx; j++)
		if (strcmp(c->policies[j].name, v) == 0)
			return fail(ld, w, "duplicate policy name \"%s\" (first at line %d)", v,
				    c->policies[j].line);
	if ((rc = dup_str(ld, v, &p->name)) < 0 ||
	    (rc = get_bool(ld, e, "enabled", &p->enabled)) < 0 ||
	    (rc = load_userset(ld, e, "from", false, &p->from)) < 0 ||
	    (rc = load_userset(ld, e, "to", true, &p->to)) < 0 ||
	    (rc = get_strings(ld, e, "profiles", true, &p->profiles, &p->n_profiles, &w)) < 0)
		return rc;
	if (p->n_profiles == 0)
		return fail(ld, w, "must name at least one profile");
	for (size_t i = 0; i < p->n_profiles; i++) {
		size_t j;

		if (find_dup(p->profiles, i) >= 0)
			return fail(ld, config_setting_get_elem(w, (unsigned)i),
				    "profile \"%s\" listed twice", p->profiles[i]);
		for (j = 0; j < c->dlp.n_profiles; j++)
			if (strcmp(c->dlp.profiles[j].name, p->profiles[i]) == 0)
				break;
		if (j == c->dlp.n_profiles)
			return fail(ld, config_setting_get_elem(w, (unsigned)i),
				    "no profile named \"%s\"", p->profiles[i]);
	}
	if ((rc = get_enum(ld, e, "min_severity", sev, sevv, &s, NULL)) < 0 ||
	    (rc = get_enum(ld, e, "action", act, actv, &a, &w)) < 0)
		return rc;
	if (w == NULL)
		return fail_child(ld, e, "action", "is required");
	p->min_severity = (enum cfg_severity)s;
	p->action = (enum cfg_action)a;
	if ((rc = load_header(ld, p, e)) < 0 ||
	    (rc = get_bool(ld, e, "notify_sender", &p->notify_sender)) < 0)
		return rc;
	return 0;
}

static int load_policies(struct ld *ld, const cs_t *root)
{
	struct cfg *c = ld->cfg;
	cs_t *list;
	int rc, n;

	if ((rc = get_group_list(ld, root, "policies", true, &list)) < 0)
		return rc;
	c->policies = alloc_items(ld, list, sizeof(*c->policies), &n);
	if (n > 0 && c->policies == NULL)
		return -ENOMEM;
	return load_items(ld, list, n, &c->n_policies, load_policy);
}

/* ------------------------------------------------------ incidents, api */

static int set_path(struct ld *ld, const cs_t *g, const char *key, char **out)
{
	const char *v;
	cs_t *w;
	int rc;

	if ((rc = get_string(ld, g, key, false, &v, &w)) < 0 || v == NULL)
		return rc;
	if (v[0] == '\0')
		return fail(ld, w, "must not be empty");
	free(*out);
	*out = NULL;
	return resolve_path(ld, v, out);
}

static int load_incidents(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"database", "forensics", "quarantine_directory", NULL};
	static const char *const fkeys[] = {"enabled", "directory", "max_bytes", "retention_days",
					    NULL};
	struct cfg_incidents *in = &ld->cfg->incidents;
	cs_t *g, *f;
	bool qset;
	int rc;

	if ((rc = get_group(ld, root, "incidents", false, &g)) < 0 || g == NULL)
		return rc;
	if ((rc = check_keys(ld, g, keys)) < 0 ||
	    (rc = set_path(ld, g, "database", &in->database)) < 0 ||
	    (rc = get_group(ld, g, "forensics", false, &f)) < 0)
		return rc;
	if (f != NULL &&
	    ((rc = check_keys(ld, f, fkeys)) < 0 ||
	     (rc = get_bool(ld, f, "enabled", &in->forensics_enabled)) < 0 ||
	     (rc = set_path(ld, f, "directory", &in->forensics_directory)) < 0 ||
	     (rc = get_u64(ld, f, "max_bytes", 1u << 20, 1ull << 50, &in->forensics_max_bytes)) <
		     0 ||
	     (rc = get_uint(ld, f, "retention_days", 1, 36500, &in->retention_days)) < 0))
		return rc;
	qset = member(g, "quarantine_directory") != NULL;
	if (qset)
		return set_path(ld, g, "quarantine_directory", &in->quarantine_directory);
	return 0;
}

/* Read the token file: trimmed, non-empty, one line. Contents never printed. */
static int load_token(struct ld *ld, const cs_t *w, const char *written)
{
	struct cfg_api *api = &ld->cfg->api;
	char *path = NULL, *data = NULL;
	size_t len, a = 0;
	int rc;

	if (written[0] == '\0')
		return fail(ld, w, "must not be empty");
	if ((rc = resolve_path(ld, written, &path)) < 0)
		return rc;
	rc = cfg_read_file(path, MAX_TOKEN_BYTES, &data, &len);
	if (rc < 0) {
		if (rc == -ENOMEM)
			rc = nomem(ld);
		else if (rc == -EFBIG)
			rc = fail(ld, w, "%s is larger than %u bytes", path, MAX_TOKEN_BYTES);
		else
			rc = fail(ld, w, "cannot read %s: %s", path, strerror(-rc));
		goto out;
	}
	while (a < len && strchr(" \t\r\n", data[a]) != NULL)
		a++;
	while (len > a && strchr(" \t\r\n", data[len - 1]) != NULL)
		len--;
	if (len == a) {
		rc = fail(ld, w, "%s is empty", path);
		goto out;
	}
	for (size_t i = a; i < len; i++) {
		if ((unsigned char)data[i] <= 0x20 || data[i] == 0x7f) {
			rc = fail(ld, w,
				  "%s must hold one token without spaces or control "
				  "characters",
				  path);
			goto out;
		}
	}
	api->token = strndup(data + a, len - a);
	if (api->token == NULL)
		rc = nomem(ld);
out:
	if (data != NULL) {
		explicit_bzero(data, len);
		free(data);
	}
	free(path);
	return rc;
}

static int load_api(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"listen", "token_file", "tls", NULL};
	static const char *const tkeys[] = {"certificate", "key", NULL};
	struct cfg_api *api = &ld->cfg->api;
	const char *v, *colon;
	cs_t *g, *w, *t;
	uint32_t a;
	int rc;

	if ((rc = get_group(ld, root, "api", false, &g)) < 0 || g == NULL)
		return rc;
	if ((rc = check_keys(ld, g, keys)) < 0 ||
	    (rc = get_string(ld, g, "listen", false, &v, &w)) < 0)
		return rc;
	if (v != NULL) {
		long port = 0;
		const char *q;

		colon = strrchr(v, ':');
		if (colon != NULL && colon[1] != '\0' && colon[1] != '0' &&
		    strlen(colon + 1) <= 5) {
			for (q = colon + 1; *q >= '0' && *q <= '9'; q++)
				port = port * 10 + (*q - '0');
			if (*q != '\0')
				port = 0;
		}
		if (colon == NULL || port < 1 || port > 65535 ||
		    !parse_ipv4(v, (size_t)(colon - v), &a))
			return fail(ld, w,
				    "must be \"address:port\" with an IPv4 address, e.g. "
				    "\"127.0.0.1:8080\"");
		free(api->listen_address);
		api->listen_address = strndup(v, (size_t)(colon - v));
		if (api->listen_address == NULL)
			return nomem(ld);
		api->listen_port = (uint16_t)port;
	}
	if ((rc = get_string(ld, g, "token_file", true, &v, &w)) < 0 ||
	    (rc = load_token(ld, w, v)) < 0)
		return rc;
	if ((rc = get_group(ld, g, "tls", false, &t)) < 0 || t == NULL)
		return rc;
	if ((rc = check_keys(ld, t, tkeys)) < 0 ||
	    (rc = get_string(ld, t, "certificate", true, &v, &w)) < 0)
		return rc;
	if (v[0] == '\0')
		return fail(ld, w, "must not be empty");
	if ((rc = resolve_path(ld, v, &api->tls_certificate)) < 0 ||
	    (rc = check_readable(ld, w, api->tls_certificate)) < 0 ||
	    (rc = get_string(ld, t, "key", true, &v, &w)) < 0)
		return rc;
	if (v[0] == '\0')
		return fail(ld, w, "must not be empty");
	if ((rc = resolve_path(ld, v, &api->tls_key)) < 0 ||
	    (rc = check_readable(ld, w, api->tls_key)) < 0)
		return rc;
	return 0;
}

/* ---------------------------------------------------------------- notify */

/* Sender notices (app/notify.h): From address, subject and body templates. */
static int load_notify(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"from", "subject", "template_file", NULL};
	struct cfg_notify *n = &ld->cfg->notify;
	const char *v;
	char *data = NULL;
	size_t len;
	cs_t *g, *w;
	int rc;

	if ((rc = get_group(ld, root, "notify", false, &g)) < 0)
		return rc;
	if (g != NULL && ((rc = check_keys(ld, g, keys)) < 0 ||
			  (rc = get_string(ld, g, "from", false, &v, &w)) < 0))
		return rc;
	if (g != NULL && v != NULL) {
		if (!valid_address(v, strlen(v)))
			return fail(ld, w, "\"%s\" is not a valid address (local@domain)", v);
		if ((rc = dup_str(ld, v, &n->from)) < 0)
			return rc;
	} else if (asprintf(&n->from, "postmaster@%s", ld->cfg->hostname) < 0) {
		n->from = NULL;
		return nomem(ld);
	}
	if (g != NULL && (rc = get_string(ld, g, "subject", false, &v, &w)) < 0)
		return rc;
	if (g != NULL && v != NULL) {
		len = strlen(v);
		if (len == 0 || len > MAX_NOTIFY_SUBJECT)
			return fail(ld, w, "must be 1 to %u bytes", MAX_NOTIFY_SUBJECT);
		for (size_t i = 0; i < len; i++)
			if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f)
				return fail(ld, w,
					    "must not contain CR, LF or other control characters");
		if (!cfg_utf8_valid(v, len))
			return fail(ld, w, "not valid UTF-8");
		if ((rc = dup_str(ld, v, &n->subject)) < 0)
			return rc;
	} else if ((rc = dup_str(ld, "Policy violation: {policy}", &n->subject)) < 0) {
		return rc;
	}
	if (g == NULL || (rc = get_string(ld, g, "template_file", false, &v, &w)) < 0 || v == NULL)
		return rc;
	if (v[0] == '\0')
		return fail(ld, w, "must not be empty");
	if ((rc = resolve_path(ld, v, &n->template_file)) < 0)
		return rc;
	rc = cfg_read_file(n->template_file, MAX_NOTIFY_TEMPLATE, &data, &len);
	if (rc == -ENOMEM)
		return nomem(ld);
	if (rc == -EFBIG)
		return fail(ld, w, "%s is larger than %u bytes", n->template_file,
			    MAX_NOTIFY_TEMPLATE);
	if (rc < 0)
		return fail(ld, w, "cannot read %s: %s", n->template_file, strerror(-rc));
	if (memchr(data, '\0', len) != NULL || !cfg_utf8_valid(data, len)) {
		free(data);
		return fail(ld, w, "%s is not UTF-8 text", n->template_file);
	}
	if (len == 0) {
		free(data);
		return fail(ld, w, "%s is empty", n->template_file);
	}
	n->template = data;
	return 0;
}

/* ------------------------------------------------------------------ top */

static int set_defaults(struct ld *ld)
{
	struct cfg *c = ld->cfg;
	char host[256];

	c->dataplane.mbufs = 16384;
	c->tcp = (struct cfg_tcp){.max_connections = 65536,
				  .syn_cookies = CFG_SYN_COOKIES_AUTO,
				  .max_per_source = 256,
				  .syn_backlog = 1024};
	c->smtp.max_message_size = 50ull << 20;
	c->smtp.max_recipients = 1000;
	c->smtp.max_line_length = 1000;
	c->smtp.bare_lf = CFG_BARE_LF_REJECT;
	c->smtp.timeouts =
		(struct cfg_timeouts){.command = 300,
				      .data = 600,
				      .upstream = 120,
				      .connect = 30,
				      .data_total = 3600};
	c->smtp.upstream.tcp_port = 25;
	c->smtp.upstream.tls = CFG_UP_TLS_OPPORTUNISTIC;
	c->smtp.upstream.pool_idle = 8;
	c->tls.min_version = CFG_TLS_1_2;
	c->dlp.scan_limit = 32ull << 20;
	c->dlp.on_unscannable = CFG_UNSCANNABLE_TEMPFAIL;
	c->dlp.limits = (struct cfg_dlp_limits){.max_depth = 20,
						.max_parts = 1000,
						.max_header_bytes = 256u << 10,
						.max_line_length = 64u << 10,
						.max_matches = 100};
	c->incidents.forensics_max_bytes = 1ull << 30;
	c->incidents.retention_days = 30;
	c->api.listen_port = 8080;
	if (gethostname(host, sizeof(host)) != 0 || !valid_hostname(host))
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = '\0';
	if (dup_str(ld, host, &c->hostname) < 0 ||
	    dup_str(ld, "Message blocked by data loss prevention policy %p", &c->smtp.block_reply) <
		    0 ||
	    dup_str(ld, "X-SMTPDLP-Inspected", &c->dlp.inspected_header) < 0 ||
	    dup_str(ld, "/var/lib/smtpdlp/incidents.db", &c->incidents.database) < 0 ||
	    dup_str(ld, "/var/lib/smtpdlp/forensics", &c->incidents.forensics_directory) < 0 ||
	    dup_str(ld, "127.0.0.1", &c->api.listen_address) < 0)
		return -ENOMEM;
	return 0;
}

/* <parent of the forensics directory>/quarantine, unless configured. */
static int default_quarantine(struct ld *ld)
{
	struct cfg_incidents *in = &ld->cfg->incidents;
	const char *f = in->forensics_directory;
	size_t len = strlen(f);

	if (in->quarantine_directory != NULL)
		return 0;
	while (len > 1 && f[len - 1] == '/')
		len--;
	while (len > 0 && f[len - 1] != '/')
		len--;
	while (len > 1 && f[len - 1] == '/')
		len--;
	if (len == 0)
		return dup_str(ld, "quarantine", &in->quarantine_directory);
	if (asprintf(&in->quarantine_directory, "%.*s/quarantine", (int)(len == 1 ? 0 : len), f) <
	    0) {
		in->quarantine_directory = NULL;
		return nomem(ld);
	}
	return 0;
}

static int load_root(struct ld *ld, const cs_t *root)
{
	static const char *const keys[] = {"appliance", "dataplane", "tcp", "smtp",   "tls", "dlp",
					   "policies",	"incidents", "api", "notify", NULL};
	int rc;

	if ((rc = check_big_ints(ld, root)) < 0 || (rc = check_keys(ld, root, keys)) < 0 ||
	    (rc = load_appliance(ld, root)) < 0 || (rc = load_dataplane(ld, root)) < 0 ||
	    (rc = load_tcp(ld, root)) < 0 || (rc = load_tls(ld, root)) < 0 ||
	    (rc = load_smtp(ld, root)) < 0 || (rc = load_dlp(ld, root)) < 0 ||
	    (rc = load_policies(ld, root)) < 0 || (rc = load_incidents(ld, root)) < 0 ||
	    (rc = default_quarantine(ld)) < 0 || (rc = load_api(ld, root)) < 0 ||
	    (rc = load_notify(ld, root)) < 0)
		return rc;
	return 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

static struct cfg *load_text(const char *text, size_t len, const char *path, char *err,
			     size_t errlen)
{
	struct ld ld = {.path = path ? path : "<string>", .err = err, .errlen = errlen};
	const char *nul = memchr(text, '\0', len);
	config_t lc;
	int rc;

	if (errlen > 0)
		err[0] = '\0';
	ld.cfg = calloc(1, sizeof(*ld.cfg));
	if (ld.cfg == NULL) {
		cfg_errf(err, errlen, "%s: out of memory", ld.path);
		errno = ENOMEM;
		return NULL;
	}
	if ((ld.cfg->path = strdup(ld.path)) == NULL ||
	    (ld.cfg->base_dir = dir_of(ld.path)) == NULL) {
		cfg_free(ld.cfg);
		cfg_errf(err, errlen, "%s: out of memory", ld.path);
		errno = ENOMEM;
		return NULL;
	}
	ld.base = ld.cfg->base_dir;
	if (nul != NULL) {
		int line = 1;

		for (const char *p = text; p < nul; p++)
			line += *p == '\n';
		cfg_errf(err, errlen, "%s:%d: contains a NUL byte", ld.path, line);
		cfg_free(ld.cfg);
		errno = EINVAL;
		return NULL;
	}
	if ((rc = set_defaults(&ld)) < 0) {
		cfg_free(ld.cfg);
		cfg_errf(err, errlen, "%s: out of memory", ld.path);
		errno = ENOMEM;
		return NULL;
	}
	rc = scan_ints(&ld, NULL, text, len, 0);
	config_init(&lc);
	config_set_include_dir(&lc, ld.base);
	if (rc == 0 && config_read_string(&lc, text) != CONFIG_TRUE) {
		const char *f = config_error_file(&lc);

		cfg_errf(err, errlen, "%s:%d: %s", f ? f : ld.path, config_error_line(&lc),
			 config_error_text(&lc));
		rc = -EINVAL;
	} else if (rc == 0) {
		rc = load_root(&ld, config_root_setting(&lc));
	}
	config_destroy(&lc);
	for (size_t i = 0; i < ld.n_big; i++)
		free(ld.big[i].file);
	free(ld.big);
	if (rc < 0) {
		cfg_free(ld.cfg);
		errno = -rc;
		return NULL;
	}
	return ld.cfg;
}

struct cfg *cfg_load_string(const char *text, const char *path, char *err, size_t errlen)
{
	return load_text(text, strlen(text), path, err, errlen);
}

struct cfg *cfg_load(const char *path, char *err, size_t errlen)
{
	struct cfg *c;
	char *data;
	size_t len;
	int rc = cfg_read_file(path, MAX_CONF_BYTES, &data, &len);

	if (rc < 0) {
		if (rc == -EFBIG)
			cfg_errf(err, errlen, "%s: larger than %u MiB", path, MAX_CONF_BYTES >> 20);
		else
			cfg_errf(err, errlen, "%s: cannot read: %s", path, strerror(-rc));
		errno = -rc;
		return NULL;
	}
	c = load_text(data, len, path, err, errlen);
	free(data);
	return c;
}

/* ------------------------------------------------------------------ free */

static void free_strv(char **v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void free_userset(struct cfg_userset *u)
{
	free_strv(u->addresses, u->n_addresses);
	free_strv(u->domains, u->n_domains);
}

void cfg_free(struct cfg *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->base_dir);
	free(c->hostname);
	free_strv(c->dataplane.eal, c->dataplane.n_eal);
	free(c->dataplane.io_lcores);
	free(c->dataplane.dlp_lcores);
	for (size_t i = 0; i < c->dataplane.n_ports; i++) {
		free(c->dataplane.ports[i].name);
		free(c->dataplane.ports[i].device);
	}
	free(c->dataplane.ports);
	for (size_t i = 0; i < c->smtp.n_listen; i++)
		free(c->smtp.listen[i].port);
	free(c->smtp.listen);
	free(c->smtp.block_reply);
	free(c->smtp.upstream.port);
	free(c->smtp.upstream.ca_file);
	free(c->smtp.upstream.server_name);
	free(c->tls.certificate);
	free(c->tls.key);
	free_strv(c->dlp.internal_domains, c->dlp.n_internal_domains);
	free(c->dlp.inspected_header);
	for (size_t i = 0; i < c->dlp.n_entities; i++) {
		struct cfg_entity *e = &c->dlp.entities[i];

		free(e->name);
		free(e->file);
		cfg_terms_free(e->terms, e->n_terms);
		free(e->pattern);
	}
	free(c->dlp.entities);
	for (size_t i = 0; i < c->dlp.n_rules; i++) {
		free(c->dlp.rules[i].name);
		free(c->dlp.rules[i].match);
	}
	free(c->dlp.rules);
	for (size_t i = 0; i < c->dlp.n_profiles; i++) {
		free(c->dlp.profiles[i].name);
		free_strv(c->dlp.profiles[i].rules, c->dlp.profiles[i].n_rules);
	}
	free(c->dlp.profiles);
	for (size_t i = 0; i < c->n_policies; i++) {
		struct cfg_policy *p = &c->policies[i];

		free(p->name);
		free_userset(&p->from);
		free_userset(&p->to);
		free_strv(p->profiles, p->n_profiles);
		free(p->header_name);
		free(p->header_value);
	}
	free(c->policies);
	free(c->incidents.database);
	free(c->incidents.forensics_directory);
	free(c->incidents.quarantine_directory);
	free(c->api.listen_address);
	if (c->api.token != NULL) {
		explicit_bzero(c->api.token, strlen(c->api.token));
		free(c->api.token);
	}
	free(c->api.tls_certificate);
	free(c->api.tls_key);
	free(c->notify.from);
	free(c->notify.subject);
	free(c->notify.template_file);
	free(c->notify.template);
	free(c);
}

const char *cfg_severity_name(enum cfg_severity s)
{
	static const char *const names[] = {"none", "low", "medium", "high", "critical"};

	return (unsigned)s < CFG_SEV_COUNT ? names[s] : "unknown";
}

const char *cfg_action_name(enum cfg_action a)
{
	static const char *const names[] = {"allow", "alert", "add-header", "block", "quarantine"};

	return (unsigned)a <= CFG_ACTION_QUARANTINE ? names[a] : "unknown";
}
