/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "unichar.h"
#include "istream.h"
#include "rfc822-parser.h"
#include "rfc2231-parser.h"
#include "message-parser.h"
#include "message-decoder.h"
#include "message-header-decode.h"
#include "mail-html2text.h"
#include "charset-utf8.h"
#include "bounce-body-decoder.h"
#include "bounce-mail.h"
#include "bounce-text.h"

#include <ctype.h>

/* Bounds on what one message may cost, whatever the input claims. Each
   collected piece is capped separately, so a huge text part can't crowd
   out the delivery-status part that follows it. */
#define BOUNCE_MAX_TEXT_SIZE (256 * 1024)
/* a DSN for 10,000 recipients, the most a report keeps, still fits */
#define BOUNCE_MAX_STATUS_SIZE (1024 * 1024)
#define BOUNCE_MAX_FEEDBACK_SIZE (64 * 1024)
#define BOUNCE_MAX_ORIG_HEADER_TEXT (64 * 1024)
#define BOUNCE_MAX_HEADERS 256
#define BOUNCE_MAX_HEADER_VALUE 4096
#define BOUNCE_MAX_ALL_HEADERS_SIZE (1024 * 1024)
#define BOUNCE_MAX_NESTED_PARTS 20
#define BOUNCE_MAX_TOTAL_PARTS 500

enum bounce_part_kind {
	/* skipped: images, applications, anything binary */
	BOUNCE_PART_SKIP = 0,
	BOUNCE_PART_TEXT,
	BOUNCE_PART_HTML,
	BOUNCE_PART_DELIVERY_STATUS,
	BOUNCE_PART_FEEDBACK,
	/* text/rfc822-headers or message/global: header text in the body */
	BOUNCE_PART_HEADER_TEXT,
};

/* the headers the decoder needs to decode a body, and the one that says
   whether a text part is an attached file */
static const char *const bounce_mime_headers[] = {
	"Content-Type", "Content-Transfer-Encoding", "Content-Disposition",
};

static void
bounce_mail_headers_parse_text(pool_t pool, const char *text, size_t size,
			       struct bounce_mail_headers *headers);

/* What a part's raw headers say of its body, as the decoder reads them */
struct bounce_part_encoding {
	/* the transfer encoding: the last Content-Transfer-Encoding
	   counts */
	enum message_cte cte;
	bool has_cte;
	bool content_type_seen;
	/* in a charset that keeps ASCII as it is; the first Content-Type
	   counts */
	bool charset_plain;
	/* ... but only up to an escape sequence (ISO-2022-JP) */
	bool charset_shifts;
};

/* An HTML part left unread until the end of the mail shows whether its
   text is used at all (see bounce_parse_html_later()): what its headers
   said of its body, kept for reading it then. */
struct bounce_html_part {
	struct message_part *part;
	struct bounce_part_encoding enc;
	/* raw header values, as bounce_parse_context keeps them */
	const buffer_t *raw_content_type, *raw_cte;
};

struct bounce_parse_context {
	struct bounce_mail *mail;
	struct message_decoder_context *decoder;
	struct bounce_body_decoder *body_decoder;

	struct message_part *part;
	enum bounce_part_kind kind;
	/* where this part's headers are kept (the bounce's top headers or
	   the returned message's), or NULL */
	struct bounce_mail_headers *part_keep_headers;
	/* this part's body may be decoded, so the headers that say how
	   (bounce_mime_headers) are read; not in the returned message */
	bool part_decode_headers;
	bool part_in_orig;
	bool part_is_attachment;
	struct bounce_part_encoding part_enc;
	/* the decoder would give this part's body back unchanged as long
	   as it is ASCII (see bounce_parse_block()) */
	bool part_body_plain;
	/* the part's body is UTF-8 in quoted-printable or base64, for
	   body_decoder rather than the decoder */
	bool part_body_utf8_encoded;
	/* the decoder reads the part's body as UTF-8: asked only of a plain
	   body once a block of it isn't ASCII */
	bool part_charset_checked, part_charset_utf8;
	/* The decoder reads a part's headers only once it decodes the
	   body: a body that stays plain ASCII never needs it, and decoding
	   the MIME headers (the Content-Type's parameters, encoded words)
	   cost more than the part's plain body. Until then the raw values
	   it will read are kept here: the first Content-Type and the last
	   Content-Transfer-Encoding, as it takes them. */
	bool part_decoder_fed;
	/* the decoder read something of this mail: see
	   bounce_decoder_forget() */
	bool decoder_used;
	string_t *part_raw_content_type, *part_raw_cte;
	/* the part's type as the decoder would give it, if
	   part_enc.content_type_seen */
	string_t *content_type;

	string_t *html;
	struct mail_html2text *html2text;
	string_t *header_text;
	/* the input can be read again: HTML parts wait in html_later */
	bool input_seekable;
	ARRAY(struct bounce_html_part) html_later;
};

/* glibc unloads an iconv module (dlclose) when the last translation
   using it is closed, and the next open loads it again: dlopen,
   relocations, page faults, for every bounce in ISO-2022-JP or
   ISO-8859-1 (and for every encoded word in such a charset). Keeping
   one translation open per legacy charset seen keeps its module loaded
   for the process's lifetime. Bounded: a few charsets make up nearly
   all bounces. */
#define BOUNCE_CHARSETS_KEPT_MAX 16
#define BOUNCE_CHARSET_NAME_MAX 40

static struct bounce_charset_kept {
	char *name;
	struct charset_translation *trans;
} bounce_charsets_kept[BOUNCE_CHARSETS_KEPT_MAX];
static unsigned int bounce_charsets_kept_count = 0;

void bounce_charset_keep(const char *charset)
{
	struct bounce_charset_kept *kept;
	struct charset_translation *trans;

	if (charset_is_utf8(charset))
		return;
	for (unsigned int i = 0; i < bounce_charsets_kept_count; i++) {
		if (strcasecmp(bounce_charsets_kept[i].name, charset) == 0)
			return;
	}
	if (bounce_charsets_kept_count == BOUNCE_CHARSETS_KEPT_MAX ||
	    charset_to_utf8_begin(charset, NULL, &trans) < 0)
		return;
	kept = &bounce_charsets_kept[bounce_charsets_kept_count++];
	kept->name = i_strdup(charset);
	kept->trans = trans;
}

/* see bounce_mail_pool() */
static pool_t bounce_mail_pool_kept = NULL;
/* Our text buffers, kept between mails for the same reason: they grow
   to a large part's size (at most the bounds on what is kept), and
   freeing them after each mail let glibc shrink the heap only to grow it
   again. The message decoder too: message_decoder_init() allocates and
   zeroes two 8 KiB buffers, as much work as parsing a short bounce's
   headers. See bounce_decoder_forget() for what it must not keep. */
static struct {
	string_t *html, *header_text;
	string_t *raw_content_type, *raw_cte, *content_type;
	struct message_decoder_context *decoder;
	struct bounce_body_decoder *body_decoder;
} bounce_parse_kept;

pool_t bounce_mail_pool(void)
{
	/* alloconly pools zero their blocks; a typical bounce's pieces
	   take 10 to 35 KiB, few more than 60 */
	if (bounce_mail_pool_kept == NULL) {
		bounce_mail_pool_kept =
			pool_alloconly_create("bounce mail", 64 * 1024);
	}
	return bounce_mail_pool_kept;
}

void bounce_mail_parse_deinit(void)
{
	for (unsigned int i = 0; i < bounce_charsets_kept_count; i++) {
		charset_to_utf8_end(&bounce_charsets_kept[i].trans);
		i_free(bounce_charsets_kept[i].name);
	}
	bounce_charsets_kept_count = 0;
	pool_unref(&bounce_mail_pool_kept);
	if (bounce_parse_kept.html != NULL) {
		str_free(&bounce_parse_kept.html);
		str_free(&bounce_parse_kept.header_text);
		str_free(&bounce_parse_kept.raw_content_type);
		str_free(&bounce_parse_kept.raw_cte);
		str_free(&bounce_parse_kept.content_type);
		message_decoder_deinit(&bounce_parse_kept.decoder);
		bounce_body_decoder_deinit(&bounce_parse_kept.body_decoder);
	}
}

/* A text part the decoder reads after each mail, as UTF-8 */
static struct message_part bounce_forget_part = {
	.flags = MESSAGE_PART_FLAG_TEXT,
};

/* message_decoder_decode_reset() keeps the bytes of a character cut off
   at the end of the last body decoded, and they would begin the next
   mail's text, in an LMTP process maybe another user's. Decoding more
   ASCII than a character can be long, as a part of its own, ends that
   character (as a U+FFFD), whatever the last charset was. */
static void bounce_decoder_forget(struct message_decoder_context *decoder)
{
	static const unsigned char newlines[CHARSET_MAX_PENDING_BUF_SIZE * 2] =
		"\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n";
	struct message_block block, output;

	i_zero(&block);
	block.part = &bounce_forget_part;
	/* the end of the (absent) headers: the decoder chooses UTF-8 */
	(void)message_decoder_decode_next_block(decoder, &block, &output);
	block.data = newlines;
	block.size = sizeof(newlines);
	(void)message_decoder_decode_next_block(decoder, &block, &output);
}

/* a byte of a charset's name, as the names are written in encoded words
   and Content-Type parameters */
static bool bounce_is_charset_name_char(unsigned char c)
{
	return i_isalnum(c) || c == '-' || c == '_' || c == '.' || c == ':';
}

/* the charsets of the encoded words ("=?iso-2022-jp?B?...?=") in a raw
   header value */
static void bounce_keep_encoded_word_charsets(const unsigned char *value,
					      size_t size)
{
	const unsigned char *p = value, *end = value + size, *start;

	while ((p = memchr(p, '=', end - p)) != NULL && end - p > 2) {
		p++;
		if (*p != '?')
			continue;
		start = ++p;
		while (p < end && p - start <= BOUNCE_CHARSET_NAME_MAX &&
		       bounce_is_charset_name_char(*p))
			p++;
		if (p < end && (*p == '?' || *p == '*') && p > start) T_BEGIN {
			bounce_charset_keep(t_strdup_until(start, p));
		} T_END;
	}
}

/* where "charset" begins in a raw Content-Type value, or NULL */
static const unsigned char *
bounce_mem_find_charset(const unsigned char *value, size_t size)
{
	static const char name[] = "charset";
	const size_t len = sizeof(name) - 1;

	for (size_t i = 0; i + len <= size; i++) {
		if ((value[i] | 0x20) == 'c' &&
		    i_memcasecmp(value + i, name, len) == 0)
			return value + i;
	}
	return NULL;
}

/* The charset parameter of a raw Content-Type value ('charset=name' or
   'charset="name"'), found by a plain scan: 1 and the name, 0 if the
   value has no "charset" at all, -1 if it has one in a form the scan
   doesn't read (RFC 2231 allows several). Parsing the value with
   lib-mail's parsers cost as much as the part's other headers; the
   decoder parses it anyway, and what the scan finds only decides
   which iconv modules stay loaded and whether a plain ASCII body may
   skip the decoder, never a result. */
static int bounce_raw_content_charset(const unsigned char *value, size_t size,
				      const unsigned char **name_r,
				      size_t *len_r)
{
	const unsigned char *p, *start, *end = value + size;

	p = bounce_mem_find_charset(value, size);
	if (p == NULL)
		return 0;
	p += strlen("charset");
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p != '=')
		return -1;
	p++;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '"'))
		p++;
	start = p;
	while (p < end && p - start <= BOUNCE_CHARSET_NAME_MAX &&
	       bounce_is_charset_name_char(*p))
		p++;
	if (p == start || p - start > BOUNCE_CHARSET_NAME_MAX)
		return -1;
	*name_r = start;
	*len_r = p - start;
	return 1;
}

static void bounce_keep_content_charset(const unsigned char *value,
					size_t size)
{
	const unsigned char *name;
	size_t len;

	if (bounce_raw_content_charset(value, size, &name, &len) > 0) T_BEGIN {
		bounce_charset_keep(t_strndup(name, len));
	} T_END;
}

/* ISO-2022-JP (and its -1, -2, -3) begins in ASCII and leaves it only
   at an escape sequence: until the first ESC, its ASCII is ASCII. */
static bool bounce_charset_is_iso2022jp(const unsigned char *name,
					size_t len)
{
	return len >= 11 && i_memcasecmp(name, "iso-2022-jp", 11) == 0;
}

/* TRUE if the charset turns ASCII into the same ASCII, statelessly:
   UTF-8 and US-ASCII (lib-charset's own copy), ISO-8859-* and
   windows-125* (iconv); or until its first shift, ISO-2022-JP (the
   charset of most Japanese bounces, often over English text). Not
   UTF-7 or UTF-16, whose ASCII bytes mean something else. */
static bool bounce_charset_keeps_ascii(const unsigned char *name, size_t len)
{
	bool keeps;

	if ((len > 9 && i_memcasecmp(name, "iso-8859-", 9) == 0) ||
	    (len > 11 && i_memcasecmp(name, "windows-125", 11) == 0) ||
	    bounce_charset_is_iso2022jp(name, len))
		return TRUE;
	T_BEGIN {
		keeps = charset_is_utf8(t_strndup(name, len));
	} T_END;
	return keeps;
}

/* Before the decoder opens a translation for a raw header's charsets,
   make sure their modules stay loaded. */
static void bounce_keep_raw_header_charsets(const char *name,
					    const unsigned char *value,
					    size_t size)
{
	if (memchr(value, '=', size) == NULL)
		return;
	bounce_keep_encoded_word_charsets(value, size);
	if (strcasecmp(name, "Content-Type") == 0)
		bounce_keep_content_charset(value, size);
}

static bool bounce_part_in_orig(const struct message_part *part)
{
	/* the returned original message is the child of a message/rfc822
	   part; everything below it belongs to it */
	for (part = part->parent; part != NULL; part = part->parent) {
		if ((part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0)
			return TRUE;
	}
	return FALSE;
}

static enum bounce_part_kind
bounce_part_kind_from_type(const char *content_type)
{
	if (content_type == NULL ||
	    strcasecmp(content_type, "text/plain") == 0)
		return BOUNCE_PART_TEXT;
	if (mail_html2text_content_type_match(content_type))
		return BOUNCE_PART_HTML;
	if (strcasecmp(content_type, "message/delivery-status") == 0 ||
	    strcasecmp(content_type, "message/global-delivery-status") == 0)
		return BOUNCE_PART_DELIVERY_STATUS;
	if (strcasecmp(content_type, "message/feedback-report") == 0)
		return BOUNCE_PART_FEEDBACK;
	if (strcasecmp(content_type, "text/rfc822-headers") == 0 ||
	    strcasecmp(content_type, "message/global") == 0 ||
	    strcasecmp(content_type, "message/global-headers") == 0)
		return BOUNCE_PART_HEADER_TEXT;
	/* some MTAs label their text parts text/x-... or text/enriched */
	if (strncasecmp(content_type, "text/", 5) == 0)
		return BOUNCE_PART_TEXT;
	return BOUNCE_PART_SKIP;
}

/* A Content-Type value parsed as lib-mail's decoder parses it: its type
   into type, and the value of the parameter named param (from the data
   stack), or NULL. Returns -1 if the type doesn't parse; its parameters
   are not read then. */
/* The parameter named param as rfc2231_parse() would list it first:
   the first plain parameter of that name, for rfc2231_parse() puts the
   parameters it merges from RFC 2231's parts ("name*0") after the plain
   ones. Parameters are parsed one by one up to it, so the ones after it
   (a multipart's long boundary, often) are not parsed at all, nor put
   in arrays. Returns 1 and the value, 0 if there is none, -1 if a name
   with a '*' came first: rfc2231_parse() must read them all then. */
static int
bounce_content_param_plain(struct rfc822_parser_context *parser,
			   const char *param, const char **value_r)
{
	const char *prev_nul = parser->nul_replacement_str;
	string_t *value = t_str_new(64);
	const char *key;
	int ret, result = 0;

	/* as rfc2231_parse() reads them */
	parser->nul_replacement_str = RFC822_NUL_REPLACEMENT_STR;
	while ((ret = rfc822_parse_content_param(parser, &key, value)) != 0) {
		if (ret < 0) {
			/* rfc2231_parse() skips a byte and goes on */
			if (parser->data >= parser->end)
				break;
			parser->data++;
			continue;
		}
		if (strchr(key, '*') != NULL) {
			result = -1;
			break;
		}
		if (strcasecmp(key, param) == 0) {
			*value_r = t_strdup(str_c(value));
			result = 1;
			break;
		}
	}
	parser->nul_replacement_str = prev_nul;
	return result;
}

static int bounce_content_type_parse(const unsigned char *value, size_t size,
				     const char *param, string_t *type,
				     const char **param_value_r)
{
	struct rfc822_parser_context parser;
	const unsigned char *params_start;
	const char *const *params;
	int ret;

	*param_value_r = NULL;
	rfc822_parser_init(&parser, value, size, NULL);
	rfc822_skip_lwsp(&parser);
	ret = rfc822_parse_content_type(&parser, type);
	params_start = parser.data;
	if (ret >= 0 &&
	    bounce_content_param_plain(&parser, param, param_value_r) < 0) {
		parser.data = params_start;
		rfc2231_parse(&parser, &params);
		for (; *params != NULL; params += 2) {
			if (strcasecmp(params[0], param) == 0) {
				*param_value_r = params[1];
				break;
			}
		}
	}
	rfc822_parser_deinit(&parser);
	return ret < 0 ? -1 : 0;
}

static void
bounce_parse_root_content_type(struct bounce_mail *mail,
			       const unsigned char *value, size_t size)
{
	string_t *type = t_str_new(64);
	const char *report_type;

	if (bounce_content_type_parse(value, size, "report-type", type,
				      &report_type) < 0)
		return;
	mail->content_type = p_strdup(mail->pool, t_str_lcase(str_c(type)));
	if (report_type != NULL) {
		mail->report_type =
			p_strdup(mail->pool, t_str_lcase(report_type));
	}
}

/* unfold: the decoder gives the full multi-line value. Most values are
   one line without tabs: strpbrk() skips to the few bytes to replace
   faster than a test of each byte. */
static void bounce_header_value_unfold(char *value)
{
	for (char *p = strpbrk(value, "\r\n\t"); p != NULL;
	     p = strpbrk(p + 1, "\r\n\t"))
		*p = ' ';
}

/* A decoded header value as the readers get it: cut at
   BOUNCE_MAX_HEADER_VALUE (never in the middle of a character: the value
   goes to SQLite and JSON as UTF-8), unfolded. */
static const char *
bounce_header_value_dup(pool_t pool, const unsigned char *value, size_t size,
			bool *truncated)
{
	char *v;

	if (size > BOUNCE_MAX_HEADER_VALUE) {
		size = uni_utf8_data_truncate(value, size,
					      BOUNCE_MAX_HEADER_VALUE);
		*truncated = TRUE;
	}
	v = p_strndup(pool, value, size);
	bounce_header_value_unfold(v);
	return v;
}

static void bounce_mail_header_decode_value(pool_t pool,
					    struct bounce_mail_header *hdr,
					    bool *truncated)
{
	const unsigned char *raw = (const unsigned char *)hdr->value;
	string_t *value = t_str_new(hdr->raw_size + 64);

	bounce_keep_raw_header_charsets(hdr->name, raw, hdr->raw_size);
	message_header_decode_utf8(raw, hdr->raw_size, value, NULL);
	hdr->value = bounce_header_value_dup(pool, str_data(value),
					     str_len(value), truncated);
	hdr->decoded = TRUE;
}

/* TRUE if lib-mail's header decoding would return raw as it is: no
   encoded word, nothing to replace */
static bool bounce_header_value_is_plain(const unsigned char *raw,
					 size_t size)
{
	const unsigned char *p = raw, *end = raw + size;

	while ((p = memchr(p, '=', end - p)) != NULL) {
		if (++p < end && *p == '?')
			return FALSE;
	}
	/* nearly all values are ASCII, valid UTF-8 without looking at
	   each byte's sequence */
	return bounce_data_is_ascii(raw, size) ||
		uni_utf8_data_is_valid(raw, size);
}

static void bounce_mail_header_decode(pool_t pool,
				      struct bounce_mail_header *hdr,
				      bool *truncated)
{
	const unsigned char *raw = (const unsigned char *)hdr->value;

	if (bounce_header_value_is_plain(raw, hdr->raw_size)) {
		/* most headers: no encoded words, valid UTF-8 */
		hdr->value = bounce_header_value_dup(pool, raw, hdr->raw_size,
						     truncated);
		hdr->decoded = TRUE;
		return;
	}
	/* a data stack pool can't allocate from an inner frame */
	if (pool->datastack_pool) {
		bounce_mail_header_decode_value(pool, hdr, truncated);
		return;
	}
	T_BEGIN {
		bounce_mail_header_decode_value(pool, hdr, truncated);
	} T_END;
}

/* Decode a value that bounce_mail_headers_add() kept raw. The raw value
   is the mail's own copy and can't be cut (see below): a plain one is
   unfolded where it is, not copied again. */
static void bounce_mail_header_decode_kept(pool_t pool,
					   struct bounce_mail_header *hdr)
{
	/* a value kept raw is small enough never to be cut: truncated
	   stays FALSE */
	bool truncated = FALSE;

	if (bounce_header_value_is_plain((const unsigned char *)hdr->value,
					 hdr->raw_size)) {
		/* allocated writable by bounce_mail_headers_add() */
		bounce_header_value_unfold((char *)hdr->value);
		hdr->decoded = TRUE;
		return;
	}
	bounce_mail_header_decode(pool, hdr, &truncated);
}

/* Decoding a header gives at most 3 bytes per raw byte (an invalid byte
   becomes U+FFFD), so a raw value up to this size can't be cut when it
   is decoded later: whether the mail was truncated is known now. */
#define BOUNCE_HEADER_LAZY_MAX_RAW (BOUNCE_MAX_HEADER_VALUE / 4)

/* A name's bit in bounce_mail_headers.name_filter. "| 0x20" folds ASCII
   letters' case, and names strcasecmp() finds equal stay equal under it:
   equal names, one bit. */
static inline unsigned int
bounce_mail_header_name_bit(const char *name, size_t name_len)
{
	unsigned char first = name[0] | 0x20;
	unsigned char last = name_len == 0 ? 0 : name[name_len - 1] | 0x20;

	return (name_len * 37 + first * 11 + last) % 128;
}

static void
bounce_mail_headers_add(pool_t pool, struct bounce_mail_headers *headers,
			const char *name, const unsigned char *value,
			size_t size, bool *truncated)
{
	struct bounce_mail_header *hdr;
	size_t name_len = strlen(name);
	unsigned int bit = bounce_mail_header_name_bit(name, name_len);
	char *block, *raw;

	if (array_count(&headers->list) >= BOUNCE_MAX_HEADERS) {
		*truncated = TRUE;
		return;
	}
	headers->name_filter[bit / 64] |= 1ULL << (bit % 64);
	hdr = array_append_space(&headers->list);
	hdr->name_len = name_len;
	hdr->name_first = name[0] | 0x20;
	hdr->raw_size = size;
	if (size > BOUNCE_HEADER_LAZY_MAX_RAW) {
		/* decoded (and cut) now, from the parser's buffer */
		hdr->name = p_strdup(pool, name);
		hdr->value = (const char *)value;
		bounce_mail_header_decode(pool, hdr, truncated);
		return;
	}
	/* the name and the raw value in one allocation (zeroed, so both
	   end in NUL): most headers are never looked up, and a second
	   allocation per header cost more than copying both. NULs
	   included: the decoder reads raw_size bytes. */
	block = p_malloc(pool, name_len + 1 + size + 1);
	memcpy(block, name, name_len);
	raw = block + name_len + 1;
	memcpy(raw, value, size);
	hdr->name = block;
	hdr->value = raw;
}

static void bounce_str_append_without_cr(string_t *dest,
					 const unsigned char *data, size_t size)
{
	const unsigned char *p = data, *end = data + size, *cr;

	while ((cr = memchr(p, '\r', end - p)) != NULL) {
		str_append_data(dest, p, cr - p);
		p = cr + 1;
	}
	str_append_data(dest, p, end - p);
}

/* Append data to dest, dropping CRs so that lines end in "\n", up to
   max bytes in dest. Returns FALSE if something was cut. */
static bool
bounce_str_append_text(string_t *dest, const unsigned char *data,
		       size_t size, size_t max)
{
	size_t i, start = 0;
	bool cut = FALSE;

	if (str_len(dest) + size > max) {
		size = str_len(dest) >= max ? 0 :
			uni_utf8_data_truncate(data, size, max - str_len(dest));
		cut = TRUE;
	}
	if (memchr(data, '\0', size) == NULL) {
		/* nearly always: only CRs to drop, found by memchr()
		   (vectorised) a line at a time, not by testing each byte */
		bounce_str_append_without_cr(dest, data, size);
		return !cut;
	}
	for (i = 0; i < size; i++) {
		if (data[i] == '\r' || data[i] == '\0') {
			str_append_data(dest, data + start, i - start);
			start = i + 1;
		}
	}
	str_append_data(dest, data + start, size - start);
	return !cut;
}

static void bounce_parse_part_begin(struct bounce_parse_context *ctx,
				    struct message_part *part)
{
	ctx->part = part;
	ctx->kind = BOUNCE_PART_SKIP;
	ctx->part_in_orig = bounce_part_in_orig(part);
	ctx->part_is_attachment = FALSE;
	ctx->part_keep_headers = NULL;
	/* without the headers, the decoder reads 7bit UTF-8 */
	i_zero(&ctx->part_enc);
	ctx->part_enc.cte = MESSAGE_CTE_78BIT;
	ctx->part_enc.charset_plain = TRUE;
	ctx->part_body_plain = FALSE;
	ctx->part_body_utf8_encoded = FALSE;
	ctx->part_charset_checked = FALSE;
	ctx->part_decoder_fed = FALSE;
	/* the returned message's body is never read */
	ctx->part_decode_headers = !ctx->part_in_orig;
	if (part->parent == NULL)
		ctx->part_keep_headers = ctx->mail->headers;
	else if ((part->parent->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0 &&
		 !bounce_part_in_orig(part->parent)) {
		/* the top of the returned original message */
		ctx->part_keep_headers = ctx->mail->orig_headers;
	}
	if (++ctx->mail->part_count >= BOUNCE_MAX_TOTAL_PARTS) {
		/* the parser stops splitting parts at its limit without
		   flagging them: whatever follows is in this last part */
		ctx->mail->truncated = TRUE;
	}
}

/* A MIME header's value as lib-mail's decoder gives it (encoded words
   decoded, valid UTF-8): the raw value itself nearly always, else a
   decoded copy in the data stack. */
static const unsigned char *
bounce_mime_header_value(const struct message_header_line *hdr,
			 size_t *size_r)
{
	string_t *value;

	if (bounce_header_value_is_plain(hdr->full_value,
					 hdr->full_value_len)) {
		*size_r = hdr->full_value_len;
		return hdr->full_value;
	}
	value = t_str_new(hdr->full_value_len + 64);
	message_header_decode_utf8(hdr->full_value, hdr->full_value_len,
				   value, NULL);
	*size_r = str_len(value);
	return str_data(value);
}

/* What we read of the bounce's own Content-Type and a part's
   Content-Disposition, from the values as decoded. */
static void bounce_parse_header_decoded_value(struct bounce_parse_context *ctx,
					      struct message_header_line *hdr)
{
	const unsigned char *value;
	size_t size;

	if (ctx->part->parent == NULL &&
	    strcasecmp(hdr->name, "Content-Type") == 0) T_BEGIN {
		value = bounce_mime_header_value(hdr, &size);
		bounce_parse_root_content_type(ctx->mail, value, size);
	} T_END;
	if (strcasecmp(hdr->name, "Content-Disposition") == 0) T_BEGIN {
		value = bounce_mime_header_value(hdr, &size);
		if (size >= 10 &&
		    strncasecmp((const char *)value, "attachment", 10) == 0)
			ctx->part_is_attachment = TRUE;
	} T_END;
}

/* the type of a raw Content-Type value, parsed as the decoder parses it
   (kept even when the rest doesn't parse) */
static void bounce_parse_content_type(struct bounce_parse_context *ctx,
				      const unsigned char *value, size_t size)
{
	struct rfc822_parser_context parser;

	str_truncate(ctx->content_type, 0);
	rfc822_parser_init(&parser, value, size, NULL);
	rfc822_skip_lwsp(&parser);
	(void)rfc822_parse_content_type(&parser, ctx->content_type);
	rfc822_parser_deinit(&parser);
}

/* a raw header of a part whose headers are kept */
static void bounce_parse_header_keep(struct bounce_parse_context *ctx,
				     struct message_header_line *hdr)
{
	struct bounce_mail *mail = ctx->mail;
	const char *name = hdr->name;

	if (hdr->eoh)
		return;
	if (hdr->continues) {
		/* the value, unfolded, comes with the last line */
		hdr->use_full_value = TRUE;
		return;
	}
	if (ctx->part_keep_headers == mail->orig_headers)
		mail->have_orig_message = TRUE;
	/* nearly every name is ASCII, valid UTF-8 without looking at
	   each byte's sequence */
	if (!bounce_data_is_ascii((const unsigned char *)name, hdr->name_len) &&
	    !uni_utf8_str_is_valid(name)) {
		/* as lib-mail's decoder gives a header's name */
		string_t *valid = t_str_new(hdr->name_len + 8);

		if (!uni_utf8_get_valid_data((const unsigned char *)name,
					     hdr->name_len, valid))
			name = str_c(valid);
	}
	bounce_mail_headers_add(mail->pool, ctx->part_keep_headers, name,
				hdr->full_value, hdr->full_value_len,
				&mail->truncated);
}

static const buffer_t *bounce_buffer_copy(pool_t pool, const buffer_t *src)
{
	buffer_t *copy = buffer_create_dynamic(pool, src->used + 1);

	buffer_append_buf(copy, src, 0, SIZE_MAX);
	return copy;
}

/* An HTML part is the text of last resort: its text is used only when
   the mail has no text part, and no delivery-status part that gives
   each recipient the receiving server's own words (see
   bounce_parse_html_needed()). Reading it may cost more than all the
   rest of the mail (providers' HTML bounces are tens of kB of
   quoted-printable markup around a few lines), and where it comes
   first, as the human-readable part of a multipart/report, only the
   parts after it tell whether it is needed. So when the input can be
   read again, the part is only noted here, and bounce_parse_html_now()
   reads it at the end if it is needed. */
static void bounce_parse_html_later(struct bounce_parse_context *ctx)
{
	struct bounce_html_part *html;

	if (!array_is_created(&ctx->html_later))
		p_array_init(&ctx->html_later, ctx->mail->pool, 2);
	html = array_append_space(&ctx->html_later);
	html->part = ctx->part;
	html->enc = ctx->part_enc;
	html->raw_content_type = bounce_buffer_copy(ctx->mail->pool,
						    ctx->part_raw_content_type);
	html->raw_cte = bounce_buffer_copy(ctx->mail->pool, ctx->part_raw_cte);
	ctx->kind = BOUNCE_PART_SKIP;
}

static void bounce_parse_headers_end(struct bounce_parse_context *ctx)
{
	const char *content_type = !ctx->part_enc.content_type_seen ? NULL :
		str_c(ctx->content_type);

	if ((ctx->part->flags & MESSAGE_PART_FLAG_OVERFLOW) != 0) {
		/* past the nesting or part count limit: the parser keeps
		   the rest as one blob, and the report must say that
		   something was left unread */
		ctx->mail->truncated = TRUE;
	}
	if ((ctx->part->flags & MESSAGE_PART_FLAG_MULTIPART) != 0 ||
	    (ctx->part->flags & MESSAGE_PART_FLAG_MESSAGE_RFC822) != 0) {
		/* the children are parsed on their own */
		ctx->kind = BOUNCE_PART_SKIP;
		return;
	}
	if (ctx->part_in_orig) {
		/* the returned message's own body tells nothing about the
		   bounce, and its text would only mislead the extractors */
		ctx->kind = BOUNCE_PART_SKIP;
		return;
	}
	ctx->kind = bounce_part_kind_from_type(content_type);
	if (ctx->kind == BOUNCE_PART_TEXT && ctx->part_is_attachment &&
	    content_type != NULL) {
		/* an attached text file (often the original message) */
		ctx->kind = BOUNCE_PART_SKIP;
	} else if (ctx->kind == BOUNCE_PART_HTML &&
		   str_len(ctx->mail->text) > 0) {
		/* the HTML is used only when there is no text part, and
		   there is one already */
		ctx->kind = BOUNCE_PART_SKIP;
	} else if (ctx->kind == BOUNCE_PART_HTML && ctx->input_seekable) {
		bounce_parse_html_later(ctx);
	}
}

static void bounce_parse_body(struct bounce_parse_context *ctx,
			      const struct message_block *output)
{
	struct bounce_mail *mail = ctx->mail;
	bool ok = TRUE;

	switch (ctx->kind) {
	case BOUNCE_PART_SKIP:
		break;
	case BOUNCE_PART_TEXT:
		ok = bounce_str_append_text(mail->text, output->data,
					    output->size, BOUNCE_MAX_TEXT_SIZE);
		break;
	case BOUNCE_PART_HTML:
		if (str_len(ctx->html) >= BOUNCE_MAX_TEXT_SIZE) {
			ok = FALSE;
			break;
		}
		if (ctx->html2text == NULL)
			ctx->html2text = mail_html2text_init(0);
		mail_html2text_more(ctx->html2text, output->data,
				    output->size, ctx->html);
		break;
	case BOUNCE_PART_DELIVERY_STATUS:
		ok = bounce_str_append_text(mail->delivery_status,
					    output->data, output->size,
					    BOUNCE_MAX_STATUS_SIZE);
		break;
	case BOUNCE_PART_FEEDBACK:
		ok = bounce_str_append_text(mail->feedback_report,
					    output->data, output->size,
					    BOUNCE_MAX_FEEDBACK_SIZE);
		break;
	case BOUNCE_PART_HEADER_TEXT:
		ok = bounce_str_append_text(ctx->header_text, output->data,
					    output->size,
					    BOUNCE_MAX_ORIG_HEADER_TEXT);
		break;
	}
	if (!ok)
		mail->truncated = TRUE;
}

static void bounce_parse_part_end(struct bounce_parse_context *ctx)
{
	struct bounce_mail *mail = ctx->mail;

	if (ctx->kind == BOUNCE_PART_TEXT && str_len(mail->text) > 0 &&
	    str_data(mail->text)[str_len(mail->text)-1] != '\n')
		str_append_c(mail->text, '\n');
	if (ctx->kind == BOUNCE_PART_DELIVERY_STATUS)
		str_append_c(mail->delivery_status, '\n');
	if (ctx->kind == BOUNCE_PART_HEADER_TEXT && !mail->have_orig_message &&
	    str_len(ctx->header_text) > 0) {
		mail->have_orig_message = TRUE;
		bounce_mail_headers_parse_text(mail->pool,
					       str_c(ctx->header_text),
					       str_len(ctx->header_text),
					       mail->orig_headers);
	}
	str_truncate(ctx->header_text, 0);
	if (ctx->html2text != NULL && ctx->kind == BOUNCE_PART_HTML) {
		mail_html2text_deinit(&ctx->html2text);
		str_append_c(ctx->html, '\n');
	}
}

static bool bounce_parse_header_decoded(const struct bounce_parse_context *ctx,
					const struct message_header_line *hdr)
{
	/* every header of the bounce's own parts comes here: compare the
	   first byte (case folded as in bounce_mail_header_name_bit()) before
	   calling strcasecmp() */
	char first = hdr->name[0] | 0x20;

	if (!ctx->part_decode_headers)
		return FALSE;
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_mime_headers); i++) {
		if ((bounce_mime_headers[i][0] | 0x20) == first &&
		    strcasecmp(hdr->name, bounce_mime_headers[i]) == 0)
			return TRUE;
	}
	return FALSE;
}

/* A part's Content-Type: the module of its charset kept loaded before
   the decoder opens a translation for it, and of the first one (the one
   the decoder reads) what the part is and whether its body may skip the
   decoder. One scan of the value for its charset serves both. */
static void bounce_parse_header_content_type(struct bounce_parse_context *ctx,
					     const struct message_header_line *hdr)
{
	const unsigned char *charset;
	size_t charset_len;
	int ret;

	ret = bounce_raw_content_charset(hdr->full_value, hdr->full_value_len,
					 &charset, &charset_len);
	if (ret > 0) T_BEGIN {
		bounce_charset_keep(t_strndup(charset, charset_len));
	} T_END;
	if (ctx->part_enc.content_type_seen)
		return;
	ctx->part_enc.content_type_seen = TRUE;
	/* no charset: the decoder reads UTF-8 */
	ctx->part_enc.charset_plain = ret == 0 ||
		(ret > 0 && bounce_charset_keeps_ascii(charset, charset_len));
	ctx->part_enc.charset_shifts = ret > 0 &&
		bounce_charset_is_iso2022jp(charset, charset_len);
	str_truncate(ctx->part_raw_content_type, 0);
	str_append_data(ctx->part_raw_content_type, hdr->full_value,
			hdr->full_value_len);
	bounce_parse_content_type(ctx, hdr->full_value, hdr->full_value_len);
}

/* A raw MIME header of the bounce's own parts: note what it says of the
   body as the decoder will read it, and keep what the decoder needs. */
static void bounce_parse_header_raw(struct bounce_parse_context *ctx,
				    struct message_header_line *hdr)
{
	enum message_cte cte;

	if (hdr->eoh)
		return;
	if (hdr->continues) {
		/* the value, unfolded, comes with the last line */
		hdr->use_full_value = TRUE;
		return;
	}
	if (memchr(hdr->full_value, '=', hdr->full_value_len) != NULL) {
		/* encoded words: the decoder opens translations for them */
		bounce_keep_encoded_word_charsets(hdr->full_value,
						  hdr->full_value_len);
	}
	if (hdr->name_len == 25 &&
	    strcasecmp(hdr->name, "Content-Transfer-Encoding") == 0) {
		T_BEGIN {
			cte = message_decoder_parse_cte(hdr);
		} T_END;
		ctx->part_enc.cte = cte;
		ctx->part_enc.has_cte = TRUE;
		str_truncate(ctx->part_raw_cte, 0);
		str_append_data(ctx->part_raw_cte, hdr->full_value,
				hdr->full_value_len);
	} else if (hdr->name_len == 12 &&
		   strcasecmp(hdr->name, "Content-Type") == 0) {
		bounce_parse_header_content_type(ctx, hdr);
	}
	bounce_parse_header_decoded_value(ctx, hdr);
}

static void bounce_decoder_feed_header(struct bounce_parse_context *ctx,
				       const char *name, const string_t *value)
{
	struct message_header_line hdr;
	struct message_block block, output;

	i_zero(&hdr);
	hdr.name = name;
	hdr.name_len = strlen(name);
	hdr.value = hdr.full_value = str_data(value);
	hdr.value_len = hdr.full_value_len = str_len(value);
	i_zero(&block);
	block.part = ctx->part;
	block.hdr = &hdr;
	(void)message_decoder_decode_next_block(ctx->decoder, &block, &output);
}

/* Give the decoder the part's headers and their end, as it would have
   read them from the parser, before the first body block it decodes. */
static void bounce_decoder_feed_headers(struct bounce_parse_context *ctx)
{
	struct message_block block, output;

	if (ctx->part_enc.content_type_seen) {
		bounce_decoder_feed_header(ctx, "Content-Type",
					   ctx->part_raw_content_type);
	}
	if (ctx->part_enc.has_cte) {
		bounce_decoder_feed_header(ctx, "Content-Transfer-Encoding",
					   ctx->part_raw_cte);
	}
	i_zero(&block);
	block.part = ctx->part;
	(void)message_decoder_decode_next_block(ctx->decoder, &block, &output);
	ctx->part_decoder_fed = TRUE;
	ctx->decoder_used = TRUE;
}

/* Does the decoder read this part's body as UTF-8: no charset, UTF-8 or
   US-ASCII? The first Content-Type is parsed here as the decoder parses
   it, not scanned (a scan may take another parameter for the charset),
   since the answer decides how non-ASCII text is read. Only for bodies
   in quoted-printable or base64, whose Content-Type the decoder would
   parse anyway. */
static bool bounce_part_charset_is_utf8(const struct bounce_parse_context *ctx)
{
	const char *charset;
	bool utf8;

	if (!ctx->part_enc.content_type_seen)
		return TRUE;
	T_BEGIN {
		(void)bounce_content_type_parse(
			str_data(ctx->part_raw_content_type),
			str_len(ctx->part_raw_content_type), "charset",
			t_str_new(64), &charset);
		utf8 = charset == NULL || charset_is_utf8(charset);
	} T_END;
	return utf8;
}

/* The part's headers are read: choose how its body is read. */
static void bounce_parse_body_begin(struct bounce_parse_context *ctx)
{
	bool cte_plain = ctx->part_enc.cte == MESSAGE_CTE_78BIT ||
		ctx->part_enc.cte == MESSAGE_CTE_BINARY;
	bool cte_encoded = ctx->part_enc.cte == MESSAGE_CTE_QP ||
		ctx->part_enc.cte == MESSAGE_CTE_BASE64;

	ctx->part_body_plain = cte_plain && ctx->part_enc.charset_plain;
	ctx->part_body_utf8_encoded = ctx->kind != BOUNCE_PART_SKIP &&
		cte_encoded && ctx->part_enc.charset_plain &&
		bounce_part_charset_is_utf8(ctx);
	if (ctx->part_body_utf8_encoded)
		bounce_body_decoder_reset(ctx->body_decoder, ctx->part_enc.cte);
}

static void
bounce_parse_block_utf8_encoded(struct bounce_parse_context *ctx,
				const struct message_block *block)
{
	struct message_block output;

	i_zero(&output);
	output.part = block->part;
	bounce_body_decoder_more(ctx->body_decoder, block->data, block->size,
				 &output.data, &output.size);
	if (output.size > 0)
		bounce_parse_body(ctx, &output);
}

/* Would the decoder give this block of a plain body back unchanged?
   It does ASCII (unless an ISO-2022-JP escape shifts it), and whole,
   valid UTF-8 characters when it reads the body as UTF-8: it replaces
   only invalid ones, and carries a character cut at the block's end. */
static bool bounce_parse_block_is_plain(struct bounce_parse_context *ctx,
					const struct message_block *block)
{
	if (bounce_data_is_ascii(block->data, block->size)) {
		return !ctx->part_enc.charset_shifts ||
			memchr(block->data, '\x1b', block->size) == NULL;
	}
	if (!ctx->part_charset_checked) {
		ctx->part_charset_utf8 = bounce_part_charset_is_utf8(ctx);
		ctx->part_charset_checked = TRUE;
	}
	return ctx->part_charset_utf8 &&
		uni_utf8_data_is_valid(block->data, block->size);
}

static void bounce_parse_block(struct bounce_parse_context *ctx,
			       struct message_block *block)
{
	struct message_block output;

	if (block->part != ctx->part) {
		if (ctx->part != NULL)
			bounce_parse_part_end(ctx);
		bounce_parse_part_begin(ctx, block->part);
	}
	if (block->hdr != NULL) {
		if (ctx->part_keep_headers != NULL)
			bounce_parse_header_keep(ctx, block->hdr);
		if (!bounce_parse_header_decoded(ctx, block->hdr))
			return;
		bounce_parse_header_raw(ctx, block->hdr);
		return;
	} else if (block->size == 0) {
		/* end of the headers: we have seen those that say what
		   the part is */
		bounce_parse_headers_end(ctx);
		bounce_parse_body_begin(ctx);
		return;
	} else if (ctx->kind == BOUNCE_PART_SKIP) {
		/* don't spend decoding time on skipped bodies */
		return;
	} else if (ctx->part_body_utf8_encoded) {
		bounce_parse_block_utf8_encoded(ctx, block);
		return;
	} else if (ctx->part_body_plain &&
		   bounce_parse_block_is_plain(ctx, block)) {
		/* Most of a bounce: 7bit ASCII or UTF-8, which the decoder
		   would only validate and copy. */
		bounce_parse_body(ctx, block);
		return;
	} else {
		/* the decoder reads the rest of the part, so that it can
		   put together a character cut between two blocks */
		ctx->part_body_plain = FALSE;
	}
	if (!ctx->part_decoder_fed)
		bounce_decoder_feed_headers(ctx);
	if (!message_decoder_decode_next_block(ctx->decoder, block, &output))
		return;
	if (output.size > 0)
		bounce_parse_body(ctx, &output);
}

/* Read an HTML part that bounce_parse_html_later() noted, from the input
   again, as bounce_parse_block() would have read it in its turn. */
static void bounce_parse_html_part(struct bounce_parse_context *ctx,
				   struct istream *input,
				   const struct bounce_html_part *html)
{
	struct message_part *part = html->part;
	uoff_t left = part->body_size.physical_size;
	struct message_block block;
	const unsigned char *data;
	size_t size;

	ctx->part = part;
	ctx->kind = BOUNCE_PART_HTML;
	ctx->part_enc = html->enc;
	ctx->part_decoder_fed = FALSE;
	buffer_set_used_size(ctx->part_raw_content_type, 0);
	buffer_append_buf(ctx->part_raw_content_type, html->raw_content_type,
			  0, SIZE_MAX);
	buffer_set_used_size(ctx->part_raw_cte, 0);
	buffer_append_buf(ctx->part_raw_cte, html->raw_cte, 0, SIZE_MAX);
	bounce_parse_body_begin(ctx);

	i_zero(&block);
	block.part = part;
	i_stream_seek(input, part->physical_pos +
		      part->header_size.physical_size);
	while (left > 0 && str_len(ctx->html) < BOUNCE_MAX_TEXT_SIZE &&
	       i_stream_read_more(input, &data, &size) > 0) {
		block.data = data;
		block.size = I_MIN(size, left);
		bounce_parse_block(ctx, &block);
		i_stream_skip(input, block.size);
		left -= block.size;
	}
	if (left > 0)
		ctx->mail->truncated = TRUE;
	bounce_parse_part_end(ctx);
}

/* a delivery-status field's line, at the start of a line */
static bool bounce_dsn_line_is(const unsigned char *line, size_t size,
			       const char *field)
{
	size_t len = strlen(field);

	return size > len && line[len] == ':' &&
		i_memcasecmp(line, field, len) == 0;
}

/* Is the HTML's text needed? Not when there is text, nor when the
   delivery-status part names recipients and gives each of them a
   Diagnostic-Code: the HTML of such a report (AOL's, for one) wraps in
   markup the same facts, and the extractors find them in the report.
   A report without its diagnostics (a bare 5.0.0, a broken part) still
   gets the HTML's text. */
static bool bounce_parse_html_needed(const struct bounce_mail *mail)
{
	const unsigned char *p = str_data(mail->delivery_status);
	const unsigned char *end = p + str_len(mail->delivery_status);
	const unsigned char *eol;
	unsigned int recipients = 0, diagnostics = 0;

	if (str_len(mail->text) > 0)
		return FALSE;
	for (; p < end; p = eol + 1) {
		if ((eol = memchr(p, '\n', end - p)) == NULL)
			eol = end;
		if (bounce_dsn_line_is(p, eol - p, "Final-Recipient"))
			recipients++;
		else if (bounce_dsn_line_is(p, eol - p, "Diagnostic-Code"))
			diagnostics++;
	}
	return recipients == 0 || diagnostics < recipients;
}

/* The HTML text is used: read the HTML parts that waited. */
static void bounce_parse_html_now(struct bounce_parse_context *ctx,
				  struct istream *input)
{
	const struct bounce_html_part *html;

	if (!array_is_created(&ctx->html_later))
		return;
	array_foreach(&ctx->html_later, html)
		bounce_parse_html_part(ctx, input, html);
}

/* A multipart whose boundary never appears (an MTA that forgot to write
   it) has no parts and no body for the MIME parser, yet its body is the
   bounce. Read it again from the (seekable) stream as plain text, no
   more than the text limit. */
static void bounce_parse_boundless_multipart(struct bounce_mail *mail,
					     struct istream *input,
					     const struct message_part *root)
{
	const unsigned char *data;
	size_t size;

	if (root == NULL || root->children != NULL ||
	    (root->flags & MESSAGE_PART_FLAG_MULTIPART) == 0 ||
	    str_len(mail->text) > 0 || !input->seekable)
		return;
	i_stream_seek(input, root->physical_pos +
		      root->header_size.physical_size);
	while (str_len(mail->text) < BOUNCE_MAX_TEXT_SIZE &&
	       i_stream_read_more(input, &data, &size) > 0) {
		if (!bounce_str_append_text(mail->text, data, size,
					    BOUNCE_MAX_TEXT_SIZE))
			mail->truncated = TRUE;
		i_stream_skip(input, size);
	}
	/* these are raw bytes, not decoded by lib-mail: whatever the
	   formats take from the text ends up in SQLite and JSON */
	T_BEGIN {
		string_t *valid = t_str_new(str_len(mail->text) + 64);

		if (!uni_utf8_get_valid_data(str_data(mail->text),
					     str_len(mail->text), valid)) {
			str_truncate(mail->text, 0);
			str_append_str(mail->text, valid);
		}
	} T_END;
}

static struct bounce_mail *bounce_mail_alloc(pool_t pool)
{
	struct bounce_mail *mail = p_new(pool, struct bounce_mail, 1);

	mail->pool = pool;
	mail->headers = p_new(pool, struct bounce_mail_headers, 1);
	mail->orig_headers = p_new(pool, struct bounce_mail_headers, 1);
	p_array_init(&mail->headers->list, pool, 32);
	p_array_init(&mail->orig_headers->list, pool, 32);
	mail->text = str_new(pool, 1024);
	mail->delivery_status = str_new(pool, 256);
	mail->feedback_report = str_new(pool, 64);
	mail->text_view = p_new(pool, struct bounce_mail_text_view, 1);
	return mail;
}

int bounce_mail_parse(struct istream *input, uoff_t max_scan_size,
		      pool_t pool, struct bounce_mail **mail_r,
		      const char **error_r)
{
	const struct message_parser_settings parser_set = {
		.hdr_flags = MESSAGE_HEADER_PARSER_FLAG_CLEAN_ONELINE,
		.max_nested_mime_parts = BOUNCE_MAX_NESTED_PARTS,
		.max_total_mime_parts = BOUNCE_MAX_TOTAL_PARTS,
		.all_headers_max_size = BOUNCE_MAX_ALL_HEADERS_SIZE,
	};
	struct bounce_parse_context ctx;
	struct message_parser_ctx *parser;
	struct message_part *parts;
	struct message_block block;
	struct istream *limited;
	int ret;

	i_zero(&ctx);
	ctx.mail = bounce_mail_alloc(pool);
	if (bounce_parse_kept.html == NULL) {
		bounce_parse_kept.html = str_new(default_pool, 256);
		bounce_parse_kept.header_text = str_new(default_pool, 256);
		bounce_parse_kept.raw_content_type = str_new(default_pool, 128);
		bounce_parse_kept.raw_cte = str_new(default_pool, 32);
		bounce_parse_kept.content_type = str_new(default_pool, 64);
		bounce_parse_kept.decoder = message_decoder_init(NULL, 0);
		bounce_parse_kept.body_decoder = bounce_body_decoder_init();
	}
	/* the strings were emptied, the decoder made to forget, when the
	   last parse ended */
	ctx.decoder = bounce_parse_kept.decoder;
	ctx.body_decoder = bounce_parse_kept.body_decoder;
	ctx.html = bounce_parse_kept.html;
	ctx.header_text = bounce_parse_kept.header_text;
	ctx.part_raw_content_type = bounce_parse_kept.raw_content_type;
	ctx.part_raw_cte = bounce_parse_kept.raw_cte;
	ctx.content_type = bounce_parse_kept.content_type;

	limited = i_stream_create_limit(input, max_scan_size);
	ctx.input_seekable = limited->seekable;
	/* the parts live as long as the mail's pool, which is freed right
	   after extraction: a pool of their own cost a zeroed block more
	   per message. At most BOUNCE_MAX_TOTAL_PARTS of them. */
	parser = message_parser_init(ctx.mail->pool, limited, &parser_set);
	while ((ret = message_parser_parse_next_block(parser, &block)) > 0)
		bounce_parse_block(&ctx, &block);
	if (ctx.part != NULL)
		bounce_parse_part_end(&ctx);
	message_parser_deinit(&parser, &parts);
	if (ret == 0) {
		/* a non-blocking stream ran dry: keep what we have */
		ctx.mail->truncated = TRUE;
	}

	if (limited->stream_errno != 0) {
		*error_r = t_strdup_printf("read(%s) failed: %s",
					   i_stream_get_name(input),
					   i_stream_get_error(limited));
		ret = -1;
	} else {
		if (input->v_offset >= max_scan_size && !input->eof)
			ctx.mail->truncated = TRUE;
		else if (i_stream_have_bytes_left(input))
			ctx.mail->truncated = TRUE;
		ret = 0;
	}
	if (bounce_parse_html_needed(ctx.mail)) {
		/* see bounce_parse_html_later() */
		if (ret == 0)
			bounce_parse_html_now(&ctx, limited);
		str_append_str(ctx.mail->text, ctx.html);
	}
	if (ret == 0)
		bounce_parse_boundless_multipart(ctx.mail, limited, parts);

	if (ctx.html2text != NULL)
		mail_html2text_deinit(&ctx.html2text);
	if (ctx.decoder_used) {
		/* a mail the decoder never saw (most: plain ASCII) left
		   it as the last forget did */
		bounce_decoder_forget(ctx.decoder);
	}
	str_truncate(ctx.html, 0);
	str_truncate(ctx.header_text, 0);
	i_stream_unref(&limited);
	*mail_r = ctx.mail;
	return ret;
}

static struct bounce_mail_header *
bounce_mail_headers_find(pool_t pool, struct bounce_mail_headers *headers,
			 const char *name)
{
	struct bounce_mail_header *hdr;
	/* the formats look up some 50 names per mail among dozens of
	   headers (many of them X-...): the filter first, then compare the
	   length and the first byte (case folded as for the filter) before
	   calling strcasecmp() */
	struct bounce_mail_header_found *found;
	char first;
	size_t name_len;
	unsigned int bit;

	for (unsigned int i = 0; i < N_ELEMENTS(headers->found); i++) {
		found = &headers->found[i];
		/* the same pointer may hold another name by now */
		if (found->name == name &&
		    strcasecmp(found->hdr->name, name) == 0)
			return found->hdr;
	}
	first = name[0] | 0x20;
	name_len = strlen(name);
	bit = bounce_mail_header_name_bit(name, name_len);
	if ((headers->name_filter[bit / 64] & (1ULL << (bit % 64))) == 0)
		return NULL;
	array_foreach_modifiable(&headers->list, hdr) {
		if (hdr->name_len != name_len || hdr->name_first != first ||
		    strcasecmp(hdr->name, name) != 0)
			continue;
		if (!hdr->decoded)
			bounce_mail_header_decode_kept(pool, hdr);
		found = &headers->found[headers->found_next++ %
					N_ELEMENTS(headers->found)];
		found->name = name;
		found->hdr = hdr;
		return hdr;
	}
	return NULL;
}

const char *bounce_mail_header(const struct bounce_mail *mail,
			       const char *name)
{
	struct bounce_mail_header *hdr =
		bounce_mail_headers_find(mail->pool, mail->headers, name);

	return hdr == NULL ? NULL : hdr->value;
}

const char *bounce_mail_orig_header(const struct bounce_mail *mail,
				    const char *name)
{
	struct bounce_mail_header *hdr =
		bounce_mail_headers_find(mail->pool, mail->orig_headers, name);

	return hdr == NULL ? NULL : hdr->value;
}

const char *bounce_mail_header_lower(const struct bounce_mail *mail,
				     const char *name)
{
	struct bounce_mail_header *hdr =
		bounce_mail_headers_find(mail->pool, mail->headers, name);

	if (hdr == NULL)
		return NULL;
	if (hdr->lower == NULL)
		hdr->lower = bounce_ascii_lcase(mail->pool, hdr->value);
	return hdr->lower;
}

int bounce_header_next(struct message_header_parser_ctx *parser,
		       struct message_header_line **hdr_r)
{
	struct message_header_line *hdr;

	while (message_parse_header_next(parser, &hdr) > 0) {
		if (hdr->eoh)
			return 0;
		if (hdr->continues) {
			/* the value, unfolded, comes with the last line */
			hdr->use_full_value = TRUE;
			continue;
		}
		*hdr_r = hdr;
		return 1;
	}
	return 0;
}

static void
bounce_mail_headers_parse_text(pool_t pool, const char *text, size_t size,
			       struct bounce_mail_headers *headers)
{
	struct message_header_parser_ctx *parser;
	struct message_header_line *hdr;
	struct istream *input;
	/* the cut of a quoted header doesn't make the report incomplete */
	bool truncated = FALSE;

	/* skip leading blank lines: some MTAs put one before the headers */
	while (size > 0 && (*text == '\n' || *text == '\r')) {
		text++;
		size--;
	}
	input = i_stream_create_from_data(text, size);
	parser = message_parse_header_init(input, NULL,
		MESSAGE_HEADER_PARSER_FLAG_CLEAN_ONELINE);
	while (bounce_header_next(parser, &hdr) > 0) {
		bounce_mail_headers_add(pool, headers, hdr->name,
					hdr->full_value, hdr->full_value_len,
					&truncated);
	}
	message_parse_header_deinit(&parser);
	i_stream_unref(&input);
}

void bounce_headers_parse_text(pool_t pool, const char *text, size_t size,
			       ARRAY_TYPE(bounce_header) *headers)
{
	struct bounce_mail_headers raw_headers;
	struct bounce_mail_header *raw;
	struct bounce_header *hdr;

	i_zero(&raw_headers);
	t_array_init(&raw_headers.list, 16);
	bounce_mail_headers_parse_text(pool, text, size, &raw_headers);
	array_foreach_modifiable(&raw_headers.list, raw) {
		if (!raw->decoded)
			bounce_mail_header_decode_kept(pool, raw);
		hdr = array_append_space(headers);
		hdr->name = raw->name;
		hdr->value = raw->value;
	}
}
