/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * html_text.c — streaming HTML to text (see html_text.h for what is kept).
 *
 * A byte state machine with a fast path for the text state (the next '<' or
 * '&' is found 64 bytes at a time with AVX2, copying as it goes, or 16 with
 * SSE2 and the run before it copied at once). It is not an HTML5 tree
 * builder: it only needs to reproduce the characters a reader sees, in
 * order, with block boundaries as newlines.
 */
#include "dlp/html_text.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
/* As in mime.c: AVX2 at run time, -DSMTPDLP_NO_AVX2 to test without. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(SMTPDLP_NO_AVX2)
#include <immintrin.h>
#define HT_AVX2 1
#endif

#include "dlp/charset.h"

enum {
	HT_TEXT,
	HT_LT,	     /* after '<' */
	HT_LT_SLASH, /* after "</" */
	HT_TAGNAME,
	HT_TAG,	      /* attributes */
	HT_TAG_Q,     /* quoted attribute value */
	HT_BANG,      /* after "<!" */
	HT_BANG_DASH, /* after "<!-" */
	HT_COMMENT,
	HT_DECL, /* <!DOCTYPE ...>, <?...?>, bogus comments: to '>' */
	HT_ENTITY,
	HT_RAW, /* script/style content */
};

struct html_entity {
	const char *name;
	uint32_t cp;
};

static const struct html_entity html_entities[] = {
	{"amp", 38},	  {"lt", 60},	    {"gt", 62},	     {"quot", 34},    {"apos", 39},
	{"AMP", 38},	  {"LT", 60},	    {"GT", 62},	     {"QUOT", 34},    {"nbsp", 160},
	{"iexcl", 161},	  {"cent", 162},    {"pound", 163},  {"curren", 164}, {"yen", 165},
	{"brvbar", 166},  {"sect", 167},    {"uml", 168},    {"copy", 169},   {"ordf", 170},
	{"laquo", 171},	  {"not", 172},	    {"shy", 173},    {"reg", 174},    {"macr", 175},
	{"deg", 176},	  {"plusmn", 177},  {"sup2", 178},   {"sup3", 179},   {"acute", 180},
	{"micro", 181},	  {"para", 182},    {"middot", 183}, {"cedil", 184},  {"sup1", 185},
	{"ordm", 186},	  {"raquo", 187},   {"frac14", 188}, {"frac12", 189}, {"frac34", 190},
	{"iquest", 191},  {"Agrave", 192},  {"Aacute", 193}, {"Acirc", 194},  {"Atilde", 195},
	{"Auml", 196},	  {"Aring", 197},   {"AElig", 198},  {"Ccedil", 199}, {"Egrave", 200},
	{"Eacute", 201},  {"Ecirc", 202},   {"Euml", 203},   {"Igrave", 204}, {"Iacute", 205},
	{"Icirc", 206},	  {"Iuml", 207},    {"ETH", 208},    {"Ntilde", 209}, {"Ograve", 210},
	{"Oacute", 211},  {"Ocirc", 212},   {"Otilde", 213}, {"Ouml", 214},   {"times", 215},
	{"Oslash", 216},  {"Ugrave", 217},  {"Uacute", 218}, {"Ucirc", 219},  {"Uuml", 220},
	{"Yacute", 221},  {"THORN", 222},   {"szlig", 223},  {"agrave", 224}, {"aacute", 225},
	{"acirc", 226},	  {"atilde", 227},  {"auml", 228},   {"aring", 229},  {"aelig", 230},
	{"ccedil", 231},  {"egrave", 232},  {"eacute", 233}, {"ecirc", 234},  {"euml", 235},
	{"igrave", 236},  {"iacute", 237},  {"icirc", 238},  {"iuml", 239},   {"eth", 240},
	{"ntilde", 241},  {"ograve", 242},  {"oacute", 243}, {"ocirc", 244},  {"otilde", 245},
	{"ouml", 246},	  {"divide", 247},  {"oslash", 248}, {"ugrave", 249}, {"uacute", 250},
	{"ucirc", 251},	  {"uuml", 252},    {"yacute", 253}, {"thorn", 254},  {"yuml", 255},
	{"euro", 8364},	  {"ndash", 8211},  {"mdash", 8212}, {"lsquo", 8216}, {"rsquo", 8217},
	{"sbquo", 8218},  {"ldquo", 8220},  {"rdquo", 8221}, {"bdquo", 8222}, {"bull", 8226},
	{"hellip", 8230}, {"trade", 8482},  {"ensp", 8194},  {"emsp", 8195},  {"thinsp", 8201},
	{"zwnj", 8204},	  {"zwj", 8205},    {"lrm", 8206},   {"rlm", 8207},   {"dagger", 8224},
	{"Dagger", 8225}, {"permil", 8240}, {"OElig", 338},  {"oelig", 339},  {"Scaron", 352},
	{"scaron", 353},  {"Yuml", 376},    {"fnof", 402},   {"circ", 710},   {"tilde", 732},
	{"lsaquo", 8249}, {"rsaquo", 8250}, {"prime", 8242}, {"Prime", 8243},
};

/* Block-level tags: a newline in the text. Dispatched on the first letter,
 * then compared by length first, so that a tag costs a couple of byte
 * compares, not a string compare per name. */
struct ht_name {
	uint8_t len;
	char name[11];
};

static bool ht_in(const char *tag, size_t n, const struct ht_name *list, size_t count)
{
	for (size_t k = 0; k < count; k++)
		if (list[k].len == n && memcmp(list[k].name, tag, n) == 0)
			return true;
	return false;
}

#define HT_IN(tag, n, l) ht_in(tag, n, l, sizeof(l) / sizeof(l[0]))

static bool ht_is_block(const char *tag, size_t n)
{
	switch (tag[0]) {
	case 'a': {
		static const struct ht_name l[] = {{7, "article"}, {5, "aside"}, {7, "address"}};
		return HT_IN(tag, n, l);
	}
	case 'b': {
		static const struct ht_name l[] = {
			{2, "br"}, {10, "blockquote"}, {4, "body"}, {6, "button"}};
		return HT_IN(tag, n, l);
	}
	case 'c': {
		static const struct ht_name l[] = {{6, "center"}, {7, "caption"}};
		return HT_IN(tag, n, l);
	}
	case 'd': {
		static const struct ht_name l[] = {{3, "div"}, {2, "dl"}, {2, "dt"}, {2, "dd"}};
		return HT_IN(tag, n, l);
	}
	case 'f': {
		static const struct ht_name l[] = {{6, "footer"},
						   {4, "form"},
						   {8, "fieldset"},
						   {6, "figure"},
						   {10, "figcaption"}};
		return HT_IN(tag, n, l);
	}
	case 'h': {
		static const struct ht_name l[] = {
			{2, "h1"}, {2, "h2"}, {2, "h3"},     {2, "h4"},	  {2, "h5"},
			{2, "h6"}, {2, "hr"}, {6, "header"}, {4, "html"}, {4, "head"}};
		return HT_IN(tag, n, l);
	}
	case 'i':
		return n == 3 && memcmp(tag, "img", 3) == 0;
	case 'l': {
		static const struct ht_name l[] = {{2, "li"}, {6, "legend"}};
		return HT_IN(tag, n, l);
	}
	case 'm':
		return n == 4 && memcmp(tag, "main", 4) == 0;
	case 'n':
		return n == 3 && memcmp(tag, "nav", 3) == 0;
	case 'o': {
		static const struct ht_name l[] = {{2, "ol"}, {6, "option"}};
		return HT_IN(tag, n, l);
	}
	case 'p':
		return n == 1 || (n == 3 && memcmp(tag, "pre", 3) == 0);
	case 's': {
		static const struct ht_name l[] = {{7, "section"}, {6, "select"}};
		return HT_IN(tag, n, l);
	}
	case 't': {
		static const struct ht_name l[] = {{2, "tr"},	 {2, "td"},    {2, "th"},
						   {5, "table"}, {5, "tbody"}, {5, "thead"},
						   {5, "tfoot"}, {5, "title"}, {8, "textarea"}};
		return HT_IN(tag, n, l);
	}
	case 'u':
		return n == 2 && tag[1] == 'l';
	default:
		return false;
	}
}

/* Office XML elements that separate words: a newline. */
static const char *const xml_blocks[] = {
	"w:p",
	"w:br",
	"w:tab",
	"w:tc",
	"w:tr",
	"w:cr",
	"a:p",
	"a:br",
	"a:tab",
	"text:p",
	"text:h",
	"text:line-break",
	"text:tab",
	"text:s",
	"text:list-item",
	"table:table-cell",
	"table:table-row",
	"si",
	"row",
	"c",
	"p",
	"br",
	"v",
	"t",
	NULL,
};

static bool ht_is_xml_block(const char *tag, size_t n)
{
	for (const char *const *b = xml_blocks; *b; b++)
		if (strncmp(*b, tag, n) == 0 && (*b)[n] == '\0')
			return true;
	return false;
}

static const char *const html_raw_tags[] = {NULL, "script", "style"};

void html_text_init(struct html_text *h)
{
	memset(h, 0, sizeof(*h));
}

void html_text_init_xml(struct html_text *h)
{
	memset(h, 0, sizeof(*h));
	h->xml = true;
}

static inline bool ht_alpha(uint8_t c)
{
	return (uint8_t)((c | 0x20) - 'a') < 26;
}

static inline bool ht_alnum(uint8_t c)
{
	return ht_alpha(c) || (uint8_t)(c - '0') < 10;
}

static inline bool ht_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* A decoded character as the scanner should see it. */
static uint8_t *ht_put_cp(uint32_t cp, uint8_t *o)
{
	switch (cp) {
	case 0xa0:
	case 0x2002:
	case 0x2003:
	case 0x2009:
		*o++ = ' ';
		return o;
	case 0xad:
	case 0x200b:
	case 0x200c:
	case 0x200d:
	case 0x2060:
	case 0xfeff:
		return o;
	case 0:
		cp = 0xfffd;
		break;
	default:
		break;
	}
	return o + charset_put_utf8(cp, o);
}

/* Resolve h->ent ("#123", "#x7b", "amp"). Returns false if it is not an
 * entity, in which case the caller emits it literally. */
static bool ht_entity(const struct html_text *h, uint32_t *cp)
{
	const char *e = h->ent;
	unsigned n = h->nent;

	if (n == 0)
		return false;
	if (e[0] == '#') {
		unsigned i = 1, base = 10, digits = 0;
		uint32_t v = 0;
		if (i < n && (e[i] == 'x' || e[i] == 'X')) {
			base = 16;
			i++;
		}
		for (; i < n; i++) {
			unsigned d;
			char ch = e[i];
			if (ch >= '0' && ch <= '9')
				d = (unsigned)(ch - '0');
			else if (base == 16 && (ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
				d = (unsigned)((ch | 0x20) - 'a' + 10);
			else
				return false;
			if (v <= 0x10ffff)
				v = v * base + d;
			digits++;
		}
		if (!digits)
			return false;
		*cp = v > 0x10ffff ? 0xfffd : v;
		return true;
	}
	for (size_t k = 0; k < sizeof(html_entities) / sizeof(html_entities[0]); k++) {
		const char *name = html_entities[k].name;
		if (name[0] == e[0] && strncmp(name, e, n) == 0 && name[n] == '\0') {
			*cp = html_entities[k].cp;
			return true;
		}
	}
	return false;
}

/* Byte c after h->ent = "#...": 1 to keep it, 0 to drop it (a leading
 * zero), -1 if it ends the reference. */
static int ht_numeric_byte(const struct html_text *h, uint8_t c)
{
	const char *e = h->ent;
	unsigned n = h->nent;
	bool hex = n >= 2 && (e[1] == 'x' || e[1] == 'X');

	if (n == 1 && (c == 'x' || c == 'X'))
		return 1;
	if (!(c >= '0' && c <= '9') && !(hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f'))
		return -1;
	if (c == '0' && e[n - 1] == '0' && n == (hex ? 3u : 2u))
		return 0;
	if (n >= HTML_ENTITY_MAX)
		return 0; /* past 0x10ffff already: U+FFFD either way */
	return 1;
}

static uint8_t *ht_entity_end(struct html_text *h, uint8_t *o, bool semicolon)
{
	uint32_t cp;

	if (ht_entity(h, &cp)) {
		o = ht_put_cp(cp, o);
	} else {
		*o++ = '&';
		memcpy(o, h->ent, h->nent);
		o += h->nent;
		if (semicolon)
			*o++ = ';';
	}
	h->nent = 0;
	h->state = HT_TEXT;
	return o;
}

static uint8_t *ht_tag_end(struct html_text *h, uint8_t *o)
{
	size_t n = h->ntag;

	h->state = HT_TEXT;
	if (n >= HTML_TAG_NAME_MAX)
		return o; /* no known tag is that long */
	h->tag[n] = '\0';
	if (h->xml) {
		if (ht_is_xml_block(h->tag, n))
			*o++ = '\n';
		return o;
	}
	if (ht_is_block(h->tag, n))
		*o++ = '\n';
	if (!h->closing && (h->tag[0] == 's')) {
		for (unsigned r = 1; r <= 2; r++) {
			if (strcmp(h->tag, html_raw_tags[r]) == 0) {
				h->raw = r;
				h->raw_match = 0;
				h->state = HT_RAW;
			}
		}
	}
	return o;
}

#ifdef HT_AVX2
/* The text run at p (up to the first '<' or '&', or e) copied to o, 64
 * bytes a round with AVX2, for e - p >= 64; returns its length. Whole
 * blocks are stored, so up to 64 bytes past the run are written too, at
 * most up to o + (e - p); the last block overlaps the one before and
 * stores the same bytes at the same places again. */
__attribute__((target("avx2"))) static size_t ht_text_copy_avx2(const uint8_t *p, const uint8_t *e,
								uint8_t *o)
{
	const __m256i lt = _mm256_set1_epi8('<'), amp = _mm256_set1_epi8('&');
	size_t i = 0, n = (size_t)(e - p);

	for (;;) {
		if (n - i < 64)
			i = n - 64; /* bytes before i are known not to match */
		__m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(p + i));
		__m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(p + i + 32));
		_mm256_storeu_si256((__m256i *)(void *)(o + i), a);
		_mm256_storeu_si256((__m256i *)(void *)(o + i + 32), b);
		uint64_t m = (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(
				     _mm256_cmpeq_epi8(a, lt), _mm256_cmpeq_epi8(a, amp))) |
			     (uint64_t)(uint32_t)_mm256_movemask_epi8(_mm256_or_si256(
				     _mm256_cmpeq_epi8(b, lt), _mm256_cmpeq_epi8(b, amp)))
				     << 32;
		if (m)
			return i + (size_t)__builtin_ctzll(m);
		i += 64;
		if (i >= n)
			return n;
	}
}
#endif

/* The first '<' or '&' in [p, e), or e: the end of a text run, 16 bytes at
 * a time where SSE2 is there. */
static inline const uint8_t *ht_text_end(const uint8_t *p, const uint8_t *e)
{
#ifdef __SSE2__
	const __m128i lt = _mm_set1_epi8('<'), amp = _mm_set1_epi8('&');
	while (e - p >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
		unsigned m = (unsigned)_mm_movemask_epi8(
			_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp)));
		if (m)
			return p + __builtin_ctz(m);
		p += 16;
	}
#endif
	while (p < e && *p != '<' && *p != '&')
		p++;
	return p;
}

static inline bool ht_name_char(const struct html_text *h, uint8_t c)
{
	return ht_alnum(c) || (h->xml && (c == ':' || c == '-' || c == '_' || c == '.'));
}

/* A whole "<name>" or "</name>" at p ('<'), name shorter than
 * HTML_TAG_NAME_MAX, within [p, e): sets the tag as the HT_LT,
 * HT_LT_SLASH and HT_TAGNAME states would have and returns the byte after
 * '>', for ht_tag_end(); anything else (attributes, a longer name, a tag
 * cut by the end of the input) returns NULL and takes the byte states.
 * Most tags are this simple, and the per-byte state switch is an
 * unpredictable branch per byte. */
static const uint8_t *ht_simple_tag(struct html_text *h, const uint8_t *p, const uint8_t *e)
{
	const uint8_t *t = p + 1;
	bool closing = false;

	if (t < e && *t == '/') {
		closing = true;
		t++;
	}
	if (t >= e || !ht_alpha(*t))
		return NULL;
	const uint8_t *name = t;
	while (t < e && t - name < HTML_TAG_NAME_MAX - 1 && ht_name_char(h, *t))
		t++;
	if (t >= e || *t != '>')
		return NULL;
	size_t n = (size_t)(t - name);
	for (size_t i = 0; i < n; i++)
		h->tag[i] = (char)(ht_alpha(name[i]) ? name[i] | 0x20 : name[i]);
	h->ntag = (unsigned)n;
	h->closing = closing;
	h->after_eq = false;
	return t + 1;
}

size_t html_text_push(struct html_text *h, const uint8_t *in, size_t len, uint8_t *out)
{
	const uint8_t *p = in, *e = in + len;
	uint8_t *o = out;

	while (p < e) {
		uint8_t c = *p;

		switch (h->state) {
		case HT_TEXT: {
#ifdef HT_AVX2
			/* scan and copy in one pass; the stores stay within
			 * HTML_TEXT_MAX_OUT(len): o never runs more than
			 * HTML_ENTITY_MAX + 1 bytes ahead of p - in (a carried
			 * "&name" written out), and a store ends by
			 * o + (e - p) */
			if (e - p >= 64 && __builtin_cpu_supports("avx2")) {
				size_t k = ht_text_copy_avx2(p, e, o);
				o += k;
				p += k;
			} else
#endif
			{
				const uint8_t *q = ht_text_end(p, e);
				memcpy(o, p, (size_t)(q - p));
				o += q - p;
				p = q;
			}
			if (p == e)
				break;
			h->nent = 0;
			if (*p == '<') {
				const uint8_t *t = ht_simple_tag(h, p, e);
				if (t) {
					o = ht_tag_end(h, o);
					p = t;
					break;
				}
			}
			h->state = *p == '<' ? HT_LT : HT_ENTITY;
			p++;
			break;
		}
		case HT_LT:
			if (ht_alpha(c)) {
				h->closing = false;
				h->after_eq = false;
				h->tag[0] = (char)(c | 0x20);
				h->ntag = 1;
				h->state = HT_TAGNAME;
				p++;
			} else if (c == '/') {
				h->state = HT_LT_SLASH;
				p++;
			} else if (c == '!') {
				h->state = HT_BANG;
				p++;
			} else if (c == '?') {
				h->state = HT_DECL;
				p++;
			} else {
				*o++ = '<';
				h->state = HT_TEXT; /* c reprocessed */
			}
			break;
		case HT_LT_SLASH:
			if (ht_alpha(c)) {
				h->closing = true;
				h->after_eq = false;
				h->tag[0] = (char)(c | 0x20);
				h->ntag = 1;
				h->state = HT_TAGNAME;
			} else {
				h->state = c == '>' ? HT_TEXT : HT_DECL;
			}
			p++;
			break;
		case HT_TAGNAME:
			if (ht_name_char(h, c)) {
				if (h->ntag < HTML_TAG_NAME_MAX - 1)
					h->tag[h->ntag] = (char)(ht_alpha(c) ? c | 0x20 : c);
				if (h->ntag < HTML_TAG_NAME_MAX)
					h->ntag++;
				p++;
			} else if (c == '>') {
				o = ht_tag_end(h, o);
				p++;
			} else {
				h->state = HT_TAG;
			}
			break;
		case HT_TAG:
			if (c == '>') {
				o = ht_tag_end(h, o);
			} else if ((c == '"' || c == '\'') && h->after_eq) {
				h->quote = c;
				h->state = HT_TAG_Q;
			} else if (c == '=') {
				h->after_eq = true;
			} else if (!ht_space(c)) {
				h->after_eq = false;
			}
			p++;
			break;
		case HT_TAG_Q: {
			const uint8_t *q = memchr(p, h->quote, (size_t)(e - p));
			if (!q) {
				p = e;
				break;
			}
			p = q + 1;
			h->after_eq = false;
			h->state = HT_TAG;
			break;
		}
		case HT_BANG:
			h->state = c == '-' ? HT_BANG_DASH : c == '>' ? HT_TEXT : HT_DECL;
			p++;
			break;
		case HT_BANG_DASH:
			if (c == '-') {
				h->dashes = 0;
				h->state = HT_COMMENT;
			} else {
				h->state = c == '>' ? HT_TEXT : HT_DECL;
			}
			p++;
			break;
		case HT_COMMENT:
			if (c == '-') {
				h->dashes++;
			} else if (c == '>' && h->dashes >= 2) {
				h->state = HT_TEXT;
			} else {
				h->dashes = 0;
			}
			p++;
			break;
		case HT_DECL: {
			const uint8_t *q = memchr(p, '>', (size_t)(e - p));
			if (!q) {
				p = e;
				break;
			}
			p = q + 1;
			h->state = HT_TEXT;
			break;
		}
		case HT_ENTITY:
			if (c == ';') {
				o = ht_entity_end(h, o, true);
				p++;
			} else if (h->nent > 0 && h->ent[0] == '#') {
				/* a numeric reference ends at the first byte that
				 * is not one of its digits, ';' or not, as browsers
				 * read "&#67ustomer"; leading zeros are not kept */
				int r = ht_numeric_byte(h, c);
				if (r > 0)
					h->ent[h->nent++] = (char)c;
				if (r >= 0)
					p++;
				else
					o = ht_entity_end(h, o, false); /* c reprocessed */
			} else if ((ht_alnum(c) || (c == '#' && h->nent == 0)) &&
				   h->nent < HTML_ENTITY_MAX) {
				h->ent[h->nent++] = (char)c;
				p++;
			} else {
				o = ht_entity_end(h, o, false); /* c reprocessed */
			}
			break;
		case HT_RAW: {
			const char *name = html_raw_tags[h->raw];
			size_t nlen = strlen(name);
			if (h->raw_match == 0) {
				const uint8_t *q = memchr(p, '<', (size_t)(e - p));
				if (!q) {
					p = e;
					break;
				}
				p = q + 1;
				h->raw_match = 1;
			} else if (h->raw_match == 1) {
				h->raw_match = c == '/' ? 2 : 0;
				if (c != '<')
					p++;
			} else if (h->raw_match < nlen + 2) {
				if ((uint8_t)(c | 0x20) == (uint8_t)name[h->raw_match - 2]) {
					h->raw_match++;
					p++;
				} else {
					h->raw_match = 0; /* c reprocessed */
				}
			} else if (ht_space(c) || c == '>' || c == '/') {
				memcpy(h->tag, name, nlen + 1);
				h->ntag = (unsigned)nlen;
				h->closing = true;
				h->after_eq = false;
				h->raw = 0;
				h->raw_match = 0;
				h->state = HT_TAG;
			} else {
				h->raw_match = 0;
			}
			break;
		}
		}
	}
	return (size_t)(o - out);
}

size_t html_text_finish(struct html_text *h, uint8_t *out)
{
	uint8_t *o = out;

	if (h->state == HT_ENTITY)
		o = ht_entity_end(h, o, false);
	else if (h->state == HT_LT)
		*o++ = '<';
	bool xml = h->xml;
	html_text_init(h);
	h->xml = xml;
	return (size_t)(o - out);
}
