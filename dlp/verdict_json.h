/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * verdict_json.h — a DLP verdict as one line of JSON, the format of
 * smtpdlp-scan and of the golden tests:
 *
 *  {"file":..., ["message":n,] "policy":s|null, "action":s, "severity":s,
 *   "profile":s|null, "header":{"name":s,"value":s}|null, "notify_sender":b,
 *   "rules":[{"name","severity","count","unique_count","score"}],
 *   "entities":[{"name","count","unique_count",
 *                "matches":[{"term"|"value","part","offset"}]}],
 *   "anomalies":[s], "unscannable":b, "on_unscannable":s, "from":s|null,
 *   "rcpts":[s], "subject":s|null, "raw_bytes":n, "decoded_bytes":n}
 *
 * Strings are escaped for JSON; bytes that are not valid UTF-8 become
 * U+FFFD, so the output is valid JSON for any input message.
 */
#ifndef SMTPDLP_DLP_VERDICT_JSON_H
#define SMTPDLP_DLP_VERDICT_JSON_H

#include <stddef.h>
#include <stdio.h>

#include "dlp/dlp.h"

/* Write the verdict as JSON followed by '\n' to f. file may be NULL (then
 * "file" is null); message > 0 adds "message":n (mbox index).
 * 0 or -EIO on a write error. */
int dlp_verdict_write_json(FILE *f, const struct dlp_verdict *v, const char *file, size_t message);

/* Same into a new NUL-terminated string (without the newline) the caller
 * frees; NULL + errno on failure. */
char *dlp_verdict_json(const struct dlp_verdict *v, const char *file, size_t message);

/* Name of an on_unscannable choice: "tempfail", "hold", "allow". */
const char *dlp_unscannable_name(enum cfg_unscannable u);

#endif /* SMTPDLP_DLP_VERDICT_JSON_H */
