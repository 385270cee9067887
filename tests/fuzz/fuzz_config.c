/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c — libFuzzer target for config/: the libconfig loader
 * (cfg_load_string) and the dictionary CSV parser (cfg_csv_parse).
 *
 * The first input byte picks the target (even: loader, odd: CSV, with its
 * bit 1 as case_sensitive); the rest is the text. Config text is anchored in
 * a directory that does not exist, so relative file references fail fast.
 * A successful load is freed again, so leaks on any path are reported.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"
#include "config/cfg_csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/*
 * libconfig 1.5 leaks the string token buffer on some syntax errors (e.g. the
 * input `""`); that is outside our code, so LeakSanitizer ignores it. Leaks
 * in config/ are still reported.
 */
const char *__lsan_default_suppressions(void)
{
	return "leak:libconfig.so\n";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];

	if (size == 0)
		return 0;
	if (data[0] & 1) {
		struct cfg_term *terms;
		size_t n;

		if (cfg_csv_parse((const char *)data + 1, size - 1, "fuzz.csv", (data[0] & 2) != 0,
				  &terms, &n, err, sizeof(err)) == 0)
			cfg_terms_free(terms, n);
	} else {
		char *text = malloc(size);
		struct cfg *c;

		if (text == NULL)
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		c = cfg_load_string(text, "/nonexistent-smtpdlp-fuzz/fuzz.conf", err, sizeof(err));
		/* Every failure must leave a terminated, non-empty message. */
		if (c == NULL && (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL))
			abort();
		cfg_free(c);
		free(text);
	}
	return 0;
}
