/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * policy.h — who-sends / who-receives matching and ordered policy selection.
 *
 * Address semantics (all comparisons case-insensitive):
 *  - a user set matches an address when the set is `any`, the address is in
 *    `addresses`, or its domain is in `domains` ("corp.example" matches
 *    exactly that domain; ".corp.example" matches its subdomains only);
 *  - a recipient is internal when its domain equals one of
 *    dlp.internal_domains or is a subdomain of one (mail.corp.example is
 *    internal when corp.example is) and its local part holds no routing
 *    characters; everything else is external: an address without a domain,
 *    and one whose local part carries '%' (the "percent hack": Postfix's
 *    default allow_percent_hack rewrites user%gmail.example@corp.example to
 *    user@gmail.example), '!' (a UUCP bang path) or a source route, which
 *    the next hop may send outside whatever the domain says;
 *  - `to` matches when at least one recipient matches the set, where
 *    `external = true` adds "any recipient that is external".
 *  - `from` ignores `external`.
 */
#ifndef SMTPDLP_DLP_POLICY_H
#define SMTPDLP_DLP_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "config/cfg.h"

/* Domain part of addr (after the last '@'), or "" when there is none. */
const char *dlp_addr_domain(const char *addr);

/* Is `domain` one of `internal` or a subdomain of one? */
bool dlp_domain_internal(const char *domain, char *const *internal, size_t n_internal);

/* Is the recipient internal (see above: internal domain, no routing in
 * the local part)? */
bool dlp_addr_internal(const char *addr, char *const *internal, size_t n_internal);

/* Does one address match a user set (`external` ignored)? */
bool dlp_userset_match_addr(const struct cfg_userset *us, const char *addr);

/* `to` semantics: does at least one recipient match? n == 0 matches only
 * an `any` set. */
bool dlp_userset_match_rcpts(const struct cfg_userset *us, const char *const *rcpts, size_t n,
			     char *const *internal, size_t n_internal);

/*
 * Extract the addr-specs of an address-list header value (From, To, Cc):
 * "A <a@x>, \"B, C\" <b@y>, c@z, group: d@w;". Display names, comments and
 * group syntax are dropped; addresses are lower-cased; entries without '@'
 * are skipped. Appends to *list (realloc'd, each string malloc'd) and *n.
 * Returns 0 or -ENOMEM (what was appended so far stays owned by *list).
 */
int dlp_addr_list_parse(const char *v, size_t len, char ***list, size_t *n);

/* The per-policy inputs the engine computed for one message. */
struct dlp_policy_input {
	const char *from; /* sender address or NULL */
	const char *const *rcpts;
	size_t n_rcpts;
	/* profile_sev[i] = highest severity of profile i's rules (NONE when
	 * none triggered) */
	const enum cfg_severity *profile_sev;
	/* policy_profiles[p][k] = index of the k-th profile of policy p */
	const size_t *const *policy_profiles;
};

/*
 * First enabled policy whose from and to match and one of whose profiles
 * reached at least min_severity. Returns the policy index or -1; sets
 * *profile (first matching profile of that policy, by the policy's order)
 * and *severity (highest severity among that policy's matching profiles).
 */
int dlp_policy_select(const struct cfg *cfg, const struct dlp_policy_input *in, size_t *profile,
		      enum cfg_severity *severity);

#endif /* SMTPDLP_DLP_POLICY_H */
