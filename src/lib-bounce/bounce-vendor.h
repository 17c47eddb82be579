#ifndef BOUNCE_VENDOR_H
#define BOUNCE_VENDOR_H

#include "bounce-format.h"

/* Shared by the vendor and provider format modules
   (bounce-format-<vendor>.c): header signatures, and a line scanner for
   the many non-RFC-3464 layouts that are "a marker, then each failed
   address on its own line, then the reason, then the returned message".
   Everything here is a single pass over the text with plain string
   functions: linear time, bounded output. */

/* at most this many recipients from one text layout */
#define BOUNCE_VENDOR_MAX_RECIPIENTS 256
/* a diagnostic is cut at this many bytes */
#define BOUNCE_VENDOR_MAX_DIAGNOSTIC 800

/* A piece of evidence that a mail is of a vendor's format: a lower-case
   substring of a top header's value, or of the text if header is NULL. */
struct bounce_vendor_signature {
	const char *header;
	const char *needle;
};

/* Return TRUE if at least min of the signatures (array ends with a NULL
   needle) match the mail. They are tried in the array's order until the
   answer is known: list the header signatures first, they cost less. */
bool bounce_vendor_signatures_match(const struct bounce_mail *mail,
				    const struct bounce_vendor_signature *sigs,
				    unsigned int min);
/* TRUE if the lower-cased header value contains needle (lower-case) */
bool bounce_vendor_header_contains(const struct bounce_mail *mail,
				   const char *header, const char *needle);
/* TRUE if the lower-cased text contains needle (lower-case) */
bool bounce_vendor_text_contains(const struct bounce_mail *mail,
				 const char *needle);

/* Fold whitespace to single spaces, trim, and cut at
   BOUNCE_VENDOR_MAX_DIAGNOSTIC bytes (on a UTF-8 character boundary).
   Returns NULL for an empty result. */
const char *bounce_vendor_fold(pool_t pool, const char *text);

/* Set rcpt's diagnostic from text unless it already has one, and take
   the enhanced status and SMTP reply code found in it for any the
   recipient lacks. */
void bounce_vendor_set_diagnostic(struct bounce_report *report,
				  struct bounce_recipient *rcpt,
				  const char *text);

/* Return the SMTP command that a transcript or error line says the
   failure happened at ("RCPT", "MAIL", "DATA", "HELO", "CONN"), or NULL.
   lower is the lower-cased line. */
const char *bounce_vendor_line_command(const char *lower);

/* The layout of the human-readable text. All phrase lists are lower-case
   and end with NULL. */
struct bounce_vendor_layout {
	/* the failed recipients follow the first line containing one of
	   these; NULL means they may start at the top */
	const char *const *begin;
	/* a line (trimmed) starting with one of these ends the failure
	   report: what follows is the returned message */
	const char *const *end;
	/* a line starting with one of these names a recipient right after
	   it; anything after the address is diagnostic text */
	const char *const *labels;
	/* lines starting with one of these are never diagnostic text
	   (boilerplate between the address and the reason) */
	const char *const *skip;
	/* an empty line closes the current recipient's diagnostic */
	bool blank_ends_recipient;
	/* a recipient line may be followed by other words that are not
	   diagnostic text ("user@example.org on 4/29/2010"); otherwise it
	   must hold only the address */
	bool address_line_may_continue;
	/* with address_line_may_continue: a line whose first word is no
	   address still names one right after one of these ("Kijitora Cat
	   (SMTP=user@example.org) on ...") */
	const char *const *inline_labels;
};

/* Scan mail->text with layout, adding a recipient (found_by "text")
   for each address line and giving it the diagnostic that follows it,
   or else the text between the begin marker and the first address.
   Returns the number of distinct recipients seen. */
unsigned int bounce_vendor_parse_text(const struct bounce_mail *mail,
				      struct bounce_report *report,
				      const struct bounce_vendor_layout *layout);

/* A vendor's own wording for a reason: the text the format writes (not
   a remote server's reply), so it is certain wherever it appears. The
   phrase is lower-case; a list ends with a NULL phrase. */
struct bounce_vendor_reason {
	const char *phrase;
	enum bounce_reason reason;
};

/* Give each recipient of report that has no hint yet the reason of the
   first of reasons whose phrase is in its diagnostic; the rule is
   "format:<format>:<phrase>". */
void bounce_vendor_hint_reasons(struct bounce_report *report,
				const char *format,
				const struct bounce_vendor_reason *reasons);

/* A text-only vendor format: enough signatures to recognise it, the
   layout of its text and, optionally, the vendor's own reason texts
   (with the format's name for the rule). */
struct bounce_vendor_text_format {
	const struct bounce_vendor_signature *signatures;
	unsigned int min_signatures;
	struct bounce_vendor_layout layout;
	const char *name;
	const struct bounce_vendor_reason *reasons;
};

/* If at least min_signatures match, parse the text with the layout.
   Returns TRUE (and sets report->kind to DSN) if recipients were found. */
bool bounce_vendor_extract_text(const struct bounce_mail *mail,
				struct bounce_report *report,
				const struct bounce_vendor_text_format *format);

/* Run the RFC 3464 reader on the mail's delivery-status part, for
   vendor formats that carry one. Returns TRUE if it found recipients. */
bool bounce_vendor_read_dsn(const struct bounce_mail *mail,
			    struct bounce_report *report);

/* Return the recipient of report with this address, or NULL */
struct bounce_recipient *
bounce_vendor_find_recipient(struct bounce_report *report,
			     const char *address);

/* Set a reason the vendor's own code makes certain, with the rule that
   decided it: "format:<format>:<code>" */
void bounce_vendor_set_hint(struct bounce_report *report,
			    struct bounce_recipient *rcpt,
			    enum bounce_reason reason, const char *format,
			    const char *code);

#endif
