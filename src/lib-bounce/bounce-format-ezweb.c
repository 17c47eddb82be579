/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-vendor.h"

/* EZweb / au (KDDI) mobile mail: "Mail System Error - Returned Mail"
   from the carrier's postmaster. The address stands alone in angle
   brackets, or after "Recipient:" with a ">>> command" / "<<< reply"
   transcript; the reason may come before it ("The user(s) account is
   disabled."). */

static const struct bounce_vendor_signature bounce_ezweb_signatures[] = {
	{ "Subject", "mail system error - returned mail" },
	{ "From", "postmaster@ezweb.ne.jp" },
	{ "From", "postmaster@au.com" },
	{ "Message-ID", ".ezweb.ne.jp>" },
	{ "Message-ID", ".au.com>" },
	{ "Received", "(ezweb mail) with" },
	{ NULL, NULL }
};

static const char *const bounce_ezweb_end[] = {
	"received:", "return-path:", "content-type: message/rfc822", NULL
};
static const char *const bounce_ezweb_labels[] = {
	"recipient:", NULL
};

/* The carrier's own sentences about the recipient's account, above the
   address list; they hold whatever the quoted reply says. */
static const struct bounce_vendor_reason bounce_ezweb_reasons[] = {
	{ "the user(s) account is disabled", BOUNCE_REASON_SUSPEND },
	{ "the user(s) account is temporarily limited", BOUNCE_REASON_SUSPEND },
	{ "the user(s) account is temporarily over quota", BOUNCE_REASON_MAILBOXFULL },
	{ "your message was not delivered within", BOUNCE_REASON_EXPIRED },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

static const struct bounce_vendor_text_format bounce_ezweb_format = {
	.signatures = bounce_ezweb_signatures,
	.min_signatures = 2,
	.layout = {
		.end = bounce_ezweb_end,
		.labels = bounce_ezweb_labels,
	},
	.name = "ezweb",
	.reasons = bounce_ezweb_reasons,
};

/* With a delivery-status part (au's Postfix-based servers add one), the
   DSN names the recipients and the carrier's sentence is in the text
   above it. */
static bool bounce_ezweb_dsn(const struct bounce_mail *mail,
			     struct bounce_report *report)
{
	const struct bounce_vendor_reason *r;
	struct bounce_recipient *rcpt;

	if (!bounce_vendor_read_dsn(mail, report))
		return FALSE;
	for (r = bounce_ezweb_reasons; r->phrase != NULL; r++) {
		if (bounce_vendor_text_contains(mail, r->phrase))
			break;
	}
	if (r->phrase != NULL) {
		array_foreach_modifiable(&report->recipients, rcpt) {
			if (rcpt->reason_hint == BOUNCE_REASON_UNDEFINED)
				bounce_vendor_set_hint(report, rcpt, r->reason,
						       "ezweb", r->phrase);
		}
	}
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

static bool bounce_format_ezweb_extract(const struct bounce_mail *mail,
					struct bounce_report *report)
{
	/* both readers need the same signatures: most mails fail here,
	   once, rather than once for each reader */
	if (!bounce_vendor_signatures_match(mail, bounce_ezweb_signatures, 2))
		return FALSE;
	if (str_len(mail->delivery_status) > 0)
		return bounce_ezweb_dsn(mail, report);
	return bounce_vendor_extract_text(mail, report, &bounce_ezweb_format);
}

const struct bounce_format bounce_format_ezweb = {
	.name = "ezweb",
	.extract = bounce_format_ezweb_extract,
};
