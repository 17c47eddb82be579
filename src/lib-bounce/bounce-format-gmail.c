/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-vendor.h"

/* Gmail's text notice (before Google moved to RFC 3464 DSNs, and still
   sent for some failures): "Delivery to the following recipient failed
   permanently:" (or "has been delayed:"), the indented address, then
   "Technical details of permanent failure:" with Google's summary and,
   after "The error that the other server returned was:", the remote
   reply. The returned message follows "----- Original message -----".
   Google's RFC 3464 DSNs are read by the RFC 3464 reader, with Google's
   summary above them as a last word. */

static const struct bounce_vendor_signature bounce_gmail_signatures[] = {
	{ NULL, "delivery to the following recipient" },
	{ NULL, "technical details of permanent failure" },
	{ NULL, "technical details of temporary failure" },
	{ NULL, NULL }
};

static const char *const bounce_gmail_begin[] = {
	"delivery to the following recipient", NULL
};
static const char *const bounce_gmail_end[] = {
	"----- original message -----",
	"----- message header follows -----", NULL
};
static const char *const bounce_gmail_skip[] = {
	"technical details of", "the error that the other server returned was",
	NULL
};

static const struct bounce_vendor_layout bounce_gmail_layout = {
	.begin = bounce_gmail_begin,
	.end = bounce_gmail_end,
	.skip = bounce_gmail_skip,
};

/* Google's DSNs (Gmail, Workspace) come from its mailer-daemon */
static const struct bounce_vendor_signature bounce_gmail_dsn_signatures[] = {
	{ "From", "mailer-daemon@googlemail.com" },
	{ "From", "mailer-daemon@google.com" },
	{ NULL, NULL }
};

/* Google's own summary above its DSN ("** Address not found ** Your
   message wasn't delivered to ... because the address couldn't be
   found"). It speaks for a recipient only when the DSN quotes no reply
   from the remote server: otherwise that reply is the better evidence
   (the same summary goes on "or is unable to receive mail" over
   filters and refusals). */
static const struct bounce_vendor_reason bounce_gmail_summaries[] = {
	{ "because the address couldn't be found", BOUNCE_REASON_USERUNKNOWN },
	{ "because the address couldn’t be found", BOUNCE_REASON_USERUNKNOWN },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

static void bounce_gmail_summary_hint(const struct bounce_mail *mail,
				      struct bounce_report *report)
{
	const struct bounce_vendor_reason *r;
	struct bounce_recipient *rcpt;

	for (r = bounce_gmail_summaries; r->phrase != NULL; r++) {
		if (bounce_vendor_text_contains(mail, r->phrase))
			break;
	}
	if (r->phrase == NULL)
		return;
	array_foreach_modifiable(&report->recipients, rcpt) {
		if (rcpt->reason_hint == BOUNCE_REASON_UNDEFINED &&
		    (rcpt->diagnostic == NULL || rcpt->diagnostic[0] == '\0'))
			bounce_vendor_set_hint(report, rcpt, r->reason,
					       "gmail", r->phrase);
	}
}

static bool bounce_format_gmail_dsn(const struct bounce_mail *mail,
				    struct bounce_report *report)
{
	if (!bounce_vendor_signatures_match(mail,
					    bounce_gmail_dsn_signatures, 1) ||
	    !bounce_vendor_read_dsn(mail, report))
		return FALSE;
	bounce_gmail_summary_hint(mail, report);
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

static bool bounce_format_gmail_extract(const struct bounce_mail *mail,
					struct bounce_report *report)
{
	struct bounce_recipient *rcpt;
	unsigned int first = array_count(&report->recipients);
	bool delayed;

	if (str_len(mail->delivery_status) > 0)
		return bounce_format_gmail_dsn(mail, report);
	if (!bounce_vendor_signatures_match(mail, bounce_gmail_signatures, 2))
		return FALSE;
	if (bounce_vendor_parse_text(mail, report, &bounce_gmail_layout) == 0)
		return FALSE;
	delayed = bounce_vendor_text_contains(mail,
		"delivery to the following recipient has been delayed");
	for (unsigned int i = first; i < array_count(&report->recipients); i++) {
		rcpt = array_idx_modifiable(&report->recipients, i);
		if (delayed)
			rcpt->action = BOUNCE_ACTION_DELAYED;
	}
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_gmail = {
	.name = "gmail",
	.extract = bounce_format_gmail_extract,
};
