/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * test_html.c — streaming HTML to text: interrupted words, entities, block
 * tags, script/style/comments, quoted attributes; each case converted
 * one-shot, split at every offset and byte by byte.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlp/html_text.h"

struct html_case {
	const char *in;
	const char *out;
};

static const struct html_case cases[] = {
	{"Cust<b></b>omer", "Customer"},
	{"Cust<span style=\"x\">om</span>er", "Customer"},
	{"<p>Hello</p><p>World</p>", "\nHello\n\nWorld\n"},
	{"a<br>b<br/>c", "a\nb\nc"},
	{"<div>Account</div><div>Manager</div>", "\nAccount\n\nManager\n"},
	{"a&amp;b &lt;c&gt; &quot;&apos;", "a&b <c> \"'"},
	{"&#111;&#x6F;&#X6f;&#111", "oooo"},
	{"Account&nbsp;Manager", "Account Manager"},
	{"Cus&shy;to&#8203;mer", "Customer"},
	{"caf&eacute; &Eacute;t&eacute; &copy; &euro;",
	 "caf\xc3\xa9 \xc3\x89t\xc3\xa9 \xc2\xa9 \xe2\x82\xac"},
	{"&unknown; &amp &bogus", "&unknown; & &bogus"},
	{"&#0; &#x110000;", "\xef\xbf\xbd \xef\xbf\xbd"},
	{"&#; &#x;", "&#; &#x;"},
	/* numeric references end at the first non-digit, ';' or not, as
	 * browsers read them; hex digits go on as far as they are hex */
	{"&#67ustomer S&#97les &#x41;ccount &#x50urchase", "Customer Sales Account Purchase"},
	{"&#x41ccount &#xzz &#a &#", "\xe4\x87\x8count &#xzz &#a &#"},
	{"&#000000000000000000000000000000000000000067ustomer", "Customer"},
	{"&#x0000000000000000000000000000000000000043ustomer", "Customer"},
	{"&#11111111111111111111111111111111111111111x", "\xef\xbf\xbdx"},
	{"&amp1 &copyx", "&amp1 &copyx"},
	{"<script>var a='<p>Customer</p>';</script>text", "text"},
	{"<SCRIPT type=x>if (a</b) x();</SCRIPT >after", "after"},
	{"<style>p { color: red }</style>x", "x"},
	{"<!-- comment <p>Customer</p> -->y", "y"},
	{"<!-- a -- b --->z", "z"},
	{"<!DOCTYPE html><html><head><title>Title</title></head>", "\n\n\nTitle\n\n"},
	{"<a href=\"x>y\" title='a>b'>link</a>", "link"},
	{"a < b and c<3", "a < b and c<3"},
	{"<?xml version=\"1.0\"?>ok", "ok"},
	{"</>x</ bogus>y", "xy"},
	{"h\xc3\xa9llo <i>w\xc3\xb6rld</i>", "h\xc3\xa9llo w\xc3\xb6rld"},
	{"<td>Purchase</td><td>date</td>", "\nPurchase\n\ndate\n"},
	{"trailing &amp", "trailing &"},
	{"trailing <", "trailing <"},
	{"unterminated <b", "unterminated "},
	{"<scripty>kept</scripty>", "kept"},
	/* tag names of 31, 32 and 40 letters: the first is kept whole, the
	 * others cut; none is a known tag */
	{"a<abcdefghijklmnopqrstuvwxyzabcde>b</abcdefghijklmnopqrstuvwxyzabcde>c", "abc"},
	{"a<pbcdefghijklmnopqrstuvwxyzabcdef>b", "ab"},
	{"a<pbcdefghijklmnopqrstuvwxyzabcdefghijklmn>b", "ab"},
	{"a<P>b<TD>c</Td>d<h1 >e<p\n>f<x:p>g", "a\nb\nc\nd\ne\nfg"},
};

static size_t run_split(const struct html_case *c, const size_t *cuts, size_t ncuts, uint8_t *out)
{
	struct html_text h;
	const uint8_t *in = (const uint8_t *)c->in;
	size_t len = strlen(c->in), w = 0, prev = 0;

	html_text_init(&h);
	for (size_t i = 0; i <= ncuts; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		w += html_text_push(&h, in + prev, end - prev, out + w);
		prev = end;
	}
	w += html_text_finish(&h, out + w);
	return w;
}

START_TEST(test_cases)
{
	const struct html_case *c = &cases[_i];
	size_t len = strlen(c->in), w, cuts[256], olen = strlen(c->out);
	uint8_t out[2048];

	w = run_split(c, NULL, 0, out);
	ck_assert_msg(w == olen && memcmp(out, c->out, w) == 0, "case %d: got \"%.*s\"", _i, (int)w,
		      out);
	for (size_t cut = 0; cut <= len; cut++) {
		w = run_split(c, &cut, 1, out);
		ck_assert_msg(w == olen && memcmp(out, c->out, w) == 0,
			      "case %d split at %zu: got \"%.*s\"", _i, cut, (int)w, out);
	}
	for (size_t i = 0; i < len; i++)
		cuts[i] = i + 1;
	w = run_split(c, cuts, len ? len - 1 : 0, out);
	ck_assert_msg(w == olen && memcmp(out, c->out, w) == 0,
		      "case %d byte by byte: got \"%.*s\"", _i, (int)w, out);
}
END_TEST

/* Text runs longer than the 16- and 64-byte search steps with a tag or an
 * entity at every offset: the run before it, the markup, a run after it of
 * lengths around the block size (the last block overlaps the one before). */
START_TEST(test_long_runs)
{
	static const char *const marks[][2] = {
		{"<b>", ""}, {"&amp;", "&"}, {"< ", "< "}, {"& ", "& "}, {"<p>", "\n"}};
	static const size_t tails[] = {0, 1, 40, 63, 64, 65, 130};
	char in[400], want[400];
	uint8_t out[800];

	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
		for (size_t k = 0; k <= 200; k++) {
			for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
				size_t n = 0, wn = 0;
				for (size_t i = 0; i < k; i++)
					in[n++] = want[wn++] = (char)('a' + i % 26);
				n += (size_t)sprintf(in + n, "%s", marks[m][0]);
				wn += (size_t)sprintf(want + wn, "%s", marks[m][1]);
				for (size_t i = 0; i < tails[t]; i++)
					in[n++] = want[wn++] = (char)('A' + i % 26);
				in[n] = want[wn] = '\0';
				struct html_case c = {in, want};
				size_t w = run_split(&c, NULL, 0, out);
				ck_assert_msg(w == wn && memcmp(out, want, w) == 0,
					      "mark %zu at %zu: %.*s", m, k, (int)w, out);
				for (size_t cut = 0; cut <= n; cut += 3) {
					w = run_split(&c, &cut, 1, out);
					ck_assert_msg(w == wn && memcmp(out, want, w) == 0,
						      "mark %zu at %zu split %zu", m, k, cut);
				}
			}
		}
	}
}
END_TEST

/* Every block-level tag in lower and upper case, opening and closing, is a
 * newline; names a letter off or a letter longer are not. */
START_TEST(test_block_tags)
{
	static const char *const blocks[] = {
		"article", "aside",    "address", "br",		"blockquote", "body",	  "button",
		"center",  "caption",  "div",	  "dl",		"dt",	      "dd",	  "footer",
		"form",	   "fieldset", "figure",  "figcaption", "h1",	      "h2",	  "h3",
		"h4",	   "h5",       "h6",	  "hr",		"header",     "html",	  "head",
		"img",	   "li",       "legend",  "main",	"nav",	      "ol",	  "option",
		"p",	   "pre",      "section", "select",	"tr",	      "td",	  "th",
		"table",   "tbody",    "thead",	  "tfoot",	"title",      "textarea", "ul",
	};
	static const char *const inline_tags[] = {
		"b",	       "i",	    "u",       "a",  "s",	"q",
		"h7",	       "h",	    "brr",     "pp", "ulx",	"im",
		"imgs",	       "mains",	    "navs",    "d",  "dv",	"blockquotes",
		"figcaptions", "textareas", "tables",  "o",  "span",	"em",
		"strong",      "font",	    "center1", "x",  "headers", "tabl",
	};
	char in[160], up[64];
	uint8_t out[256];

	for (size_t k = 0; k < sizeof(blocks) / sizeof(blocks[0]); k++) {
		size_t n = strlen(blocks[k]);
		for (size_t i = 0; i <= n; i++)
			up[i] = (char)(blocks[k][i] >= 'a' && blocks[k][i] <= 'z'
					       ? blocks[k][i] - 32
					       : blocks[k][i]);
		snprintf(in, sizeof(in), "a<%s>b</%s x=1>c", blocks[k], up);
		struct html_case c = {in, "a\nb\nc"};
		size_t w = run_split(&c, NULL, 0, out);
		ck_assert_msg(w == 5 && memcmp(out, "a\nb\nc", 5) == 0, "%s: %.*s", in, (int)w,
			      out);
	}
	for (size_t k = 0; k < sizeof(inline_tags) / sizeof(inline_tags[0]); k++) {
		snprintf(in, sizeof(in), "a<%s>b</%s>c", inline_tags[k], inline_tags[k]);
		struct html_case c = {in, "abc"};
		size_t w = run_split(&c, NULL, 0, out);
		ck_assert_msg(w == 3 && memcmp(out, "abc", 3) == 0, "%s: %.*s", in, (int)w, out);
	}
}
END_TEST

/* Random markup (long text runs, tags, entities cut anywhere, a "&name"
 * carried over a chunk end) in random chunks: each push stays within
 * HTML_TEXT_MAX_OUT(len) of its output (guard bytes after it), and the
 * chunked output equals the whole-input output. */
START_TEST(test_output_bound)
{
	static const char *const bits[] = {"<p>",
					   "</b>",
					   "&amp;",
					   "&#x1F600;",
					   "&ampxyzxyz",
					   "&",
					   "<",
					   "&#12345",
					   "<!-- c -->",
					   "<a href='x'>",
					   "&nbsp;",
					   "\n",
					   "&abcdefghijklmnopqrstuvwxyz0123456"};
	uint64_t seed = 0x2545f4914f6cdd1dull;
	uint8_t in[4096], whole[8192], split[8192];

	for (unsigned round = 0; round < 300; round++) {
		size_t n = 0;
		while (n < sizeof(in) - 200) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			if (seed % 3 == 0) {
				const char *b =
					bits[(seed >> 8) % (sizeof(bits) / sizeof(bits[0]))];
				memcpy(in + n, b, strlen(b));
				n += strlen(b);
			} else {
				size_t run = (seed >> 16) % 150;
				for (size_t i = 0; i < run; i++)
					in[n++] = (uint8_t)('a' + (i + round) % 26);
			}
		}
		struct html_text h;
		html_text_init(&h);
		size_t w = html_text_push(&h, in, n, whole);
		w += html_text_finish(&h, whole + w);

		size_t sw = 0;
		html_text_init(&h);
		for (size_t pos = 0; pos < n;) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			size_t k = 1 + (size_t)(seed % 200);
			if (k > n - pos)
				k = n - pos;
			size_t cap = HTML_TEXT_MAX_OUT(k);
			uint8_t *o = malloc(cap + 64);
			ck_assert_ptr_nonnull(o);
			memset(o, 0xa5, cap + 64);
			size_t t = html_text_push(&h, in + pos, k, o);
			ck_assert_uint_le(t, cap);
			for (size_t g = cap; g < cap + 64; g++)
				ck_assert_msg(o[g] == 0xa5,
					      "round %u: byte %zu past the bound written", round,
					      g - cap);
			memcpy(split + sw, o, t);
			sw += t;
			free(o);
			pos += k;
		}
		sw += html_text_finish(&h, split + sw);
		ck_assert_msg(sw == w && memcmp(split, whole, w) == 0, "round %u differs", round);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("html");
	TCase *tc = tcase_create("text");
	tcase_add_loop_test(tc, test_cases, 0, sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_long_runs);
	tcase_add_test(tc, test_block_tags);
	tcase_add_test(tc, test_output_bound);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
