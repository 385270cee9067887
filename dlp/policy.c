/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.c — address parsing, user-set matching and first-match policy
 * selection (semantics in policy.h).
 */
#include "dlp/policy.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *dlp_addr_domain(const char *addr)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;
	return at ? at + 1 : "";
}

/* domain equals base, or ends with "." + base */
static bool domain_is_or_under(const char *d, const char *base)
{
	size_t dl = strlen(d), bl = strlen(base);

	if (bl == 0)
		return false;
	if (dl == bl)
		return strcasecmp(d, base) == 0;
	return dl > bl && d[dl - bl - 1] == '.' && strcasecmp(d + dl - bl, base) == 0;
}

bool dlp_domain_internal(const char *domain, char *const *internal, size_t n_internal)
{
	if (!domain || !*domain)
		return false;
	for (size_t i = 0; i < n_internal; i++)
		if (domain_is_or_under(domain, internal[i]))
			return true;
	return false;
}

bool dlp_addr_internal(const char *addr, char *const *internal, size_t n_internal)
{
	const char *at = addr ? strrchr(addr, '@') : NULL;

	if (!at)
		return false;
	/* routing in the local part (or a source route before it): the
	 * domain does not say where the mail goes */
	for (const char *c = addr; c < at; c++)
		if (*c == '%' || *c == '!' || *c == '@' || *c == ':')
			return false;
	return dlp_domain_internal(at + 1, internal, n_internal);
}

bool dlp_userset_match_addr(const struct cfg_userset *us, const char *addr)
{
	if (us->any)
		return true;
	if (!addr)
		return false;
	for (size_t i = 0; i < us->n_addresses; i++)
		if (strcasecmp(us->addresses[i], addr) == 0)
			return true;
	const char *d = dlp_addr_domain(addr);
	if (!*d)
		return false;
	size_t dl = strlen(d);
	for (size_t i = 0; i < us->n_domains; i++) {
		const char *s = us->domains[i];
		if (s[0] == '.') {
			size_t sl = strlen(s);
			if (dl > sl && strcasecmp(d + dl - sl, s) == 0)
				return true;
		} else if (strcasecmp(s, d) == 0) {
			return true;
		}
	}
	return false;
}

bool dlp_userset_match_rcpts(const struct cfg_userset *us, const char *const *rcpts, size_t n,
			     char *const *internal, size_t n_internal)
{
	if (us->any)
		return true;
	for (size_t i = 0; i < n; i++) {
		if (us->external && !dlp_addr_internal(rcpts[i], internal, n_internal))
			return true;
		if ((us->n_addresses || us->n_domains) && dlp_userset_match_addr(us, rcpts[i]))
			return true;
	}
	return false;
}

static int push_addr(const char *s, size_t len, char ***list, size_t *n)
{
	while (len && (s[0] == ' ' || s[0] == '\t'))
		s++, len--;
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || !memchr(s, '@', len))
		return 0;
	char **nl = realloc(*list, (*n + 1) * sizeof(**list));
	if (!nl)
		return -ENOMEM;
	*list = nl;
	char *a = malloc(len + 1);
	if (!a)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		a[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	a[len] = '\0';
	nl[(*n)++] = a;
	return 0;
}

int dlp_addr_list_parse(const char *v, size_t len, char ***list, size_t *n)
{
	size_t i = 0;

	while (i < len) {
		/* one element up to a top-level ',' or ';' */
		size_t ang_st = 0, ang_len = 0;
		bool in_q = false, have_ang = false;
		int paren = 0;
		/* plain-token copy without comments/quotes for the no-<> case */
		char plain[512];
		size_t pl = 0;
		for (; i < len; i++) {
			char c = v[i];
			if (in_q) {
				if (c == '\\' && i + 1 < len)
					i++;
				else if (c == '"')
					in_q = false;
				continue;
			}
			if (paren) {
				if (c == '(')
					paren++;
				else if (c == ')')
					paren--;
				continue;
			}
			if (c == '"') {
				in_q = true;
				continue;
			}
			if (c == '(') {
				paren = 1;
				continue;
			}
			if (c == '<') {
				size_t j = i + 1;
				while (j < len && v[j] != '>')
					j++;
				ang_st = i + 1;
				ang_len = j - i - 1;
				have_ang = true;
				i = j < len ? j : len - 1;
				continue;
			}
			if (c == ',' || c == ';')
				break;
			if (c == ':') { /* group name: drop what came before */
				pl = 0;
				continue;
			}
			if (pl < sizeof(plain))
				plain[pl++] = c;
		}
		int rc = have_ang ? push_addr(v + ang_st, ang_len, list, n)
				  : (pl < sizeof(plain) ? push_addr(plain, pl, list, n) : 0);
		if (rc)
			return rc;
		i++; /* skip the separator */
	}
	return 0;
}

int dlp_policy_select(const struct cfg *cfg, const struct dlp_policy_input *in, size_t *profile,
		      enum cfg_severity *severity)
{
	for (size_t p = 0; p < cfg->n_policies; p++) {
		const struct cfg_policy *pol = &cfg->policies[p];
		if (!pol->enabled)
			continue;
		if (!dlp_userset_match_addr(&pol->from, in->from))
			continue;
		if (!dlp_userset_match_rcpts(&pol->to, in->rcpts, in->n_rcpts,
					     cfg->dlp.internal_domains,
					     cfg->dlp.n_internal_domains))
			continue;
		enum cfg_severity min =
			pol->min_severity == CFG_SEV_NONE ? CFG_SEV_LOW : pol->min_severity;
		bool found = false;
		enum cfg_severity best = CFG_SEV_NONE;
		for (size_t k = 0; k < pol->n_profiles; k++) {
			size_t pi = in->policy_profiles[p][k];
			enum cfg_severity s = in->profile_sev[pi];
			if (s == CFG_SEV_NONE || s < min)
				continue;
			if (!found) {
				*profile = pi;
				found = true;
			}
			if (s > best)
				best = s;
		}
		if (found) {
			*severity = best;
			return (int)p;
		}
	}
	return -1;
}
