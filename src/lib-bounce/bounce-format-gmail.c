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
   reply. The returned message follows "----- Original message -----". */

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

static bool bounce_format_gmail_extract(const struct bounce_mail *mail,
					struct bounce_report *report)
{
	struct bounce_recipient *rcpt;
	unsigned int first = array_count(&report->recipients);
	bool delayed;

	/* a DSN is the RFC 3464 reader's job */
	if (str_len(mail->delivery_status) > 0 ||
	    bounce_vendor_signatures_match(mail, bounce_gmail_signatures) < 2)
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
