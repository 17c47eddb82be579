#ifndef BOUNCE_FORMAT_H
#define BOUNCE_FORMAT_H

#include "bounce-mail.h"

/* One bounce format: RFC 3464, ARF, or a vendor's own layout. */
struct bounce_format {
	/* stable name, stored with each row ("rfc3464", "qmail", ...) */
	const char *name;
	/* Look at the mail. If it is of this format, add the recipients
	   (facts only) to report and return TRUE; otherwise leave report
	   untouched and return FALSE. Must run in time linear in the size
	   of mail and never allocate more than a bounded multiple of it. */
	bool (*extract)(const struct bounce_mail *mail,
			struct bounce_report *report);
};

/* The formats, in the order they are tried: the first that returns TRUE
   wins. Vendor formats come before the generic RFC 3464 reader, which
   comes before the plain-text fallback. bounce-format-list.h lists
   them once. */
#define BOUNCE_FORMAT_DECLARE(sym) extern const struct bounce_format sym;
#include "bounce-format-list.h"
BOUNCE_FORMAT_LIST(BOUNCE_FORMAT_DECLARE)
#undef BOUNCE_FORMAT_DECLARE

/* Run the formats over mail and fill report's facts (recipients, format,
   original-message fields, campaign headers, VERP). */
void bounce_extract(const struct bounce_mail *mail,
		    const struct bounce_analyze_settings *set,
		    struct bounce_report *report);
/* Free what bounce_extract() keeps between mails. */
void bounce_extract_deinit(void);

/* Helpers shared by the format modules (bounce-extract.c) */

/* A report keeps at most this many recipients, whatever the bounce
   claims. */
#define BOUNCE_MAX_RECIPIENTS 10000

/* Add a recipient with the given bare address (lower-cased here).
   Returns the new recipient, or the existing one for the same address.
   Past BOUNCE_MAX_RECIPIENTS it sets report->truncated and returns a
   stand-in that is not part of the report: never NULL, so a format can
   fill it in like any other and needs no cap of its own.
   The same address is found in O(1) if the report has an index (the
   report bounce_extract() passes to the formats has one), otherwise by
   a linear search, which suits a format's small scratch report. */
struct bounce_recipient *
bounce_report_add_recipient(struct bounce_report *report,
			    const char *address, const char *found_by);
/* Index a report of one's own that may get thousands of recipients. The
   index is memory outside the report's pool: bounce_report_recipients_done()
   must free it. The recipients stay. */
void bounce_report_recipients_begin(struct bounce_report *report);
void bounce_report_recipients_done(struct bounce_report *report);
/* Finish a text format's pass: give the recipients it added (from index
   first on) the action the text announced and mark the report a DSN.
   Returns TRUE if it added any. */
bool bounce_report_text_finish(struct bounce_report *report,
			       unsigned int first, enum bounce_action action);
/* Find an enhanced status code (class.subject.detail, class 2, 4 or 5)
   and an SMTP reply code in a diagnostic text. Either may be NULL. */
void bounce_text_find_codes(const char *text, const char **status_r,
			    const char **reply_code_r);
/* Extract the bare address from "rfc822; <User@Example.org>" style
   values: strips the type, angle brackets and comments, lower-cases.
   Returns NULL if no address is found. */
const char *bounce_address_normalize(pool_t pool, const char *value);

#endif
