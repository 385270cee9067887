/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * html_text.h — streaming HTML to plain text for scanning.
 *
 * Input is UTF-8 (after charset conversion), in chunks of any split; the
 * state (tag, quote, entity, comment, script/style end-tag match) is carried
 * across calls. What the scanner sees:
 *  - tags are removed without inserting anything, so words a tag interrupts
 *    stay whole ("Cust<b></b>omer" → "Customer"); block-level tags (p, div,
 *    br, li, tr, td, th, h1-h6, table, ul, ol, hr, blockquote, pre, title,
 *    ...) become a newline;
 *  - entities are decoded: numeric (&#111; &#x6F;, with or without ';'),
 *    the HTML 4 Latin-1 names, amp lt gt quot apos and common typographic
 *    names; &nbsp; and the typographic spaces become an ASCII space; soft
 *    hyphens and zero-width characters (&shy; &#8203; &zwj; ...) are dropped
 *    since a reader does not see them; unknown entities stay literal;
 *  - <script> and <style> content and comments are dropped; the <title> text
 *    is kept (a reader can see it, and hiding data there should not work);
 *  - a '<' not followed by a letter, '/', '!' or '?' is literal text.
 */
#ifndef SMTPDLP_HTML_TEXT_H
#define SMTPDLP_HTML_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTML_TAG_NAME_MAX 32 /* longer tag names match no known tag */
#define HTML_ENTITY_MAX 32   /* longer "&..." runs are literal text */

/* Output bound of one push of len bytes. */
#define HTML_TEXT_MAX_OUT(len) ((len) + HTML_ENTITY_MAX + 16)

struct html_text {
	unsigned state; /* internal */
	bool xml;	/* XML mode (html_text_init_xml()) */
	bool closing;	/* current tag is an end tag */
	bool after_eq;	/* in a tag, last non-blank byte was '=' */
	uint8_t quote;	/* attribute quote in force */
	unsigned ntag;
	char tag[HTML_TAG_NAME_MAX];
	unsigned raw;	    /* 1 = script, 2 = style content being dropped */
	unsigned raw_match; /* bytes of "</script" / "</style" matched */
	unsigned dashes;    /* comment: '-' seen in a row */
	unsigned nent;
	char ent[HTML_ENTITY_MAX + 1];
};

void html_text_init(struct html_text *h);

/* XML mode for office documents (OOXML word/document.xml, xl/sharedStrings
 * .xml, OpenDocument content.xml): tag names may hold ':' '-' '_' '.', and
 * the paragraph, line-break, tab, cell and row elements of those formats
 * (w:p w:br w:tab w:tc a:p text:p text:h table:table-cell si row c ...)
 * become a newline; no script/style handling. */
void html_text_init_xml(struct html_text *h);

/* Convert len bytes; out must hold HTML_TEXT_MAX_OUT(len). Returns the
 * bytes written (bytes after them, within that bound, may be scratched). */
size_t html_text_push(struct html_text *h, const uint8_t *in, size_t len, uint8_t *out);

/* End of document: a pending "&name" is emitted as text; an unterminated
 * tag or comment is dropped. out must hold HTML_TEXT_MAX_OUT(0). Returns the
 * bytes written; h is re-initialised in the same mode. */
size_t html_text_finish(struct html_text *h, uint8_t *out);

#endif /* SMTPDLP_HTML_TEXT_H */
