#ifndef BOUNCE_MAIL_H
#define BOUNCE_MAIL_H

#include "bounce-report.h"

struct istream;
struct bounce_analyze_settings;

/* What the readers derive from bounce_mail.text, made once per message
   by whichever reader asks first (bounce_mail_text_lines() and
   bounce_mail_text_lower() in bounce-text.h) and then shared: a dozen
   formats look at the same text, and lower-casing or splitting it for
   each of them cost more than all their matching. */
struct bounce_mail_text_view {
	/* the text ASCII lower-cased, byte for byte; NULL until asked */
	const char *lower;
	/* the text split at "\n" as t_strsplit() splits it, NULL-terminated;
	   NULL until asked */
	const char *const *lines;
	/* one bit for each pair of bytes in lower, the high bits dropped
	   (see bounce-text.c); NULL until asked */
	const uint8_t *pairs;
	/* for some needle lists (by address): the index of the first line
	   that contains one of them (bounce_mail_text_first_line()) */
	struct bounce_mail_text_mark {
		const char *const *needles;
		size_t max_line_len;
		unsigned int line;
	} marks[8];
	unsigned int mark_count;
};

/* A header of the bounce or of the returned message as bounce_mail_parse()
   keeps it: the raw value, decoded (encoded words, UTF-8, unfolded, cut
   at a bound) when it is first looked up. A bounce has a few dozen
   headers and the formats read a handful; decoding them all was a tenth
   of the classifier's time. */
struct bounce_mail_header {
	const char *name;
	/* strlen(name): most names a lookup meets differ in length */
	size_t name_len;
	/* the raw value (raw_size bytes) until decoded is TRUE */
	const char *value;
	size_t raw_size;
	/* the decoded value lower-cased, once asked for
	   (bounce_mail_header_lower()), or NULL */
	const char *lower;
	/* name[0] | 0x20, the next test of a lookup, without reading the
	   name (which lies elsewhere in the pool) */
	char name_first;
	bool decoded;
};
ARRAY_DEFINE_TYPE(bounce_mail_header, struct bounce_mail_header);

/* The headers of the bounce or of its returned message, and a filter of
   the names among them. Most names the formats look up are in neither
   (the attribution headers, the vendors' own X- headers): a lookup the
   filter rules out doesn't walk the list. */
struct bounce_mail_headers {
	ARRAY_TYPE(bounce_mail_header) list;
	/* a bit per name's length and first and last byte, case folded
	   (bounce-parse.c) */
	uint64_t name_filter[2];
	/* the last headers found, by the name's pointer as the caller
	   passed it: the formats ask for From and Subject again and again,
	   with the same constants */
	struct bounce_mail_header_found {
		const char *name;
		struct bounce_mail_header *hdr;
	} found[4];
	unsigned int found_next;
};

/* The pieces of a bounce message that the extractors look at, collected
   in one bounded pass of lib-mail's message parser (bounce-parse.c).
   Format modules read only this, never the raw stream. */
struct bounce_mail {
	pool_t pool;

	/* the bounce's own top-level headers, read with bounce_mail_header()
	   (which decodes them); pointers, since lookups on a const mail
	   decode in place */
	struct bounce_mail_headers *headers;
	/* top-level Content-Type, lower-cased ("multipart/report"), and its
	   report-type parameter, lower-cased (NULL if none) */
	const char *content_type;
	const char *report_type;

	/* the human-readable text: every text/plain part outside the
	   returned message (and the top-level body of a non-MIME mail),
	   decoded from QP/base64 and converted to UTF-8, lines ending in
	   "\n". If there was no text/plain part, HTML converted to text,
	   unless the delivery-status part gives every recipient a
	   Diagnostic-Code (see bounce-parse.c). */
	string_t *text;
	/* message/delivery-status (or message/global-delivery-status) bodies,
	   transfer-decoded, lines ending in "\n" */
	string_t *delivery_status;
	/* message/feedback-report body (RFC 5965) */
	string_t *feedback_report;

	/* the returned original message's headers, when it was attached as
	   message/rfc822, message/global or text/rfc822-headers */
	struct bounce_mail_headers *orig_headers;
	bool have_orig_message;

	/* filled lazily by readers of a const mail, hence a pointer; the
	   text must not change once it is filled (bounce_mail_parse() is
	   done with it before any reader runs) */
	struct bounce_mail_text_view *text_view;

	/* number of MIME parts seen */
	unsigned int part_count;
	/* TRUE if something was cut at a bound (scan size, part count,
	   text size); the extractors still run on what was read */
	bool truncated;
};

/* Parse the message from input, reading at most set->max_scan_size
   bytes. Never fails on malformed mail: whatever could be read is
   returned. Returns -1 only if the stream itself failed (I/O error),
   with error_r set. */
int bounce_mail_parse(struct istream *input, uoff_t max_scan_size,
		      pool_t pool, struct bounce_mail **mail_r,
		      const char **error_r);

/* Keep the iconv module of charset loaded for the process's lifetime
   (see bounce-parse.c); bounce_mail_parse() calls it for the charsets it
   meets, other decoders for theirs. */
void bounce_charset_keep(const char *charset);
/* The pool for one mail's pieces (bounce_analyze_stream()), kept for
   the process's lifetime and emptied with p_clear() after each mail: a
   pool created and freed per mail made glibc give the top of the heap
   back to the kernel after most mails and page-fault it in again for
   the next (about a tenth of the classifier's CPU time on a VM). */
pool_t bounce_mail_pool(void);
/* Close what bounce_charset_keep() kept open, free bounce_mail_pool(). */
void bounce_mail_parse_deinit(void);

/* Return the first value of a header (case-insensitive name), unfolded
   and with encoded words decoded to UTF-8, or NULL. */
const char *bounce_mail_header(const struct bounce_mail *mail,
			       const char *name);
const char *bounce_mail_orig_header(const struct bounce_mail *mail,
				    const char *name);
/* bounce_mail_header() lower-cased (ASCII, as str_lcase() does): made
   once per header, since many formats look for their signatures in the
   same few headers */
const char *bounce_mail_header_lower(const struct bounce_mail *mail,
				     const char *name);

struct message_header_parser_ctx;
struct message_header_line;
/* The next header from a header parser, whole: a folded header comes once,
   with its last line and the unfolded value in full_value. Returns 1, or 0
   at the end of the headers (the empty line, or the end of input). */
int bounce_header_next(struct message_header_parser_ctx *parser,
		       struct message_header_line **hdr_r);

/* Parse a block of RFC 5322 header text (e.g. a returned message quoted
   inline in the bounce text) with Dovecot's header parser and append the
   unfolded, decoded headers to headers. Stops at the first empty line. */
void bounce_headers_parse_text(pool_t pool, const char *text, size_t size,
			       ARRAY_TYPE(bounce_header) *headers);

#endif
