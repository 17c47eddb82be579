#ifndef BOUNCE_REPORT_H
#define BOUNCE_REPORT_H

#include "array-decl.h"
#include "hash-decl.h"
#include "bounce-reasons.h"

/* What one bounce message says, and what we decided about it. Filled in
   three steps: the extractor (bounce-extract.c and the format modules)
   sets the facts, bounce_classify() sets reason/category/rule/hard. All
   strings are allocated from the report's pool. */

struct bounce_header {
	const char *name;
	const char *value;
};
ARRAY_DEFINE_TYPE(bounce_header, struct bounce_header);

struct bounce_recipient {
	/* --- facts, set by the extractor --- */
	/* the address the bounce is about: bare, lower-cased */
	const char *address;
	/* RFC 3464 Original-Recipient / ORCPT, and Final-Recipient, as bare
	   addresses (NULL if absent) */
	const char *original_recipient;
	const char *final_recipient;
	enum bounce_action action;
	/* enhanced status code "5.1.1" (NULL if none was found) */
	const char *status;
	/* SMTP reply code "550" (NULL if none was found) */
	const char *reply_code;
	/* the diagnostic text, one line, whitespace folded */
	const char *diagnostic;
	/* Diagnostic-Code type: "smtp", "x-unix", "x-postfix", ... */
	const char *diagnostic_type;
	const char *remote_mta;
	/* the SMTP command at which delivery failed: "CONN", "HELO", "MAIL",
	   "RCPT", "DATA", or NULL if not stated */
	const char *smtp_command;
	/* Last-Attempt-Date / Will-Retry-Until as given */
	const char *last_attempt_date;
	const char *will_retry_until;
	/* how the address was found: "dsn", "arf", "verp", "text",
	   "x-failed-recipients", "header" ... */
	const char *found_by;
	/* a reason an extractor is sure of from the structure alone (e.g.
	   a format's own reason code), or UNDEFINED to leave it to the
	   classifier; rule_hint names what decided it */
	enum bounce_reason reason_hint;
	const char *rule_hint;

	/* --- decision, set by bounce_classify() --- */
	enum bounce_reason reason;
	enum bounce_category category;
	/* the short stable identifier of the rule that decided the reason,
	   e.g. "status:5.1.1", "phrase:userunknown:no such user",
	   "rhost:google:5.7.26", "format:arf" */
	const char *rule;
	/* Sisimai's "hardbounce" fact: userunknown, hostunknown, hasmoved,
	   or notaccept with a 5xx code */
	bool hard;
};
ARRAY_DEFINE_TYPE(bounce_recipient, struct bounce_recipient);

enum bounce_kind {
	/* nothing recognisable */
	BOUNCE_KIND_NONE = 0,
	/* a delivery status notification (RFC 3464 or a vendor format) */
	BOUNCE_KIND_DSN,
	/* an ARF feedback report (RFC 5965) */
	BOUNCE_KIND_FEEDBACK,
	/* an auto-reply (RFC 3834), never a bounce */
	BOUNCE_KIND_AUTOREPLY,
};

struct bounce_report {
	pool_t pool;
	enum bounce_kind kind;
	/* the format that produced the recipients: "rfc3464", "arf",
	   "rfc3834", "qmail", "exim", "office365", ... (NULL if none) */
	const char *format;

	/* the bounce's own Message-ID (NULL if it has none): what the store
	   keys the bounce by, read here because the parse has it already */
	const char *message_id;

	/* per-message DSN fields */
	const char *reporting_mta;
	const char *arrival_date;
	const char *original_envelope_id;

	/* the returned original message */
	const char *orig_message_id;
	const char *orig_from;
	const char *orig_to;
	const char *orig_subject;
	const char *orig_list_id;
	/* configured campaign headers found in the original message (or,
	   failing that, in the bounce itself) */
	ARRAY_TYPE(bounce_header) campaign_headers;

	/* ARF (RFC 5965) */
	const char *feedback_type;
	const char *source_ip;
	const char *reported_domain;
	const char *original_mail_from;

	/* the address decoded from a VERP envelope recipient, if any */
	const char *verp_recipient;

	ARRAY_TYPE(bounce_recipient) recipients;
	/* address -> index + 1 in recipients, kept by
	   bounce_report_add_recipient() so that adding stays O(1) for the
	   thousands of recipients a bounce may list. Created only once a
	   report indexed since bounce_report_recipients_begin() has more
	   than a few recipients (see bounce-extract.c). */
	HASH_TABLE(const char *, void *) recipient_index;
	bool recipient_index_wanted;

	/* TRUE if the scan stopped at bounce_max_scan_size or another bound */
	bool truncated;
	/* set on the scratch report that a DSN's text is read into when
	   every DSN recipient has its remote MTA already: the text readers
	   then don't look for one (bounce_recipient_set_text_diagnostic()),
	   since the DSN would keep its own */
	bool remote_mta_unwanted;
	/* private to bounce-extract.c: the stand-in that
	   bounce_report_add_recipient() hands out past BOUNCE_MAX_RECIPIENTS */
	struct bounce_recipient *recipient_overflow;
};

#endif
