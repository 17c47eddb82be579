/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-vendor.h"

/* McAfee Email Gateway (Email and Web Security appliance): "Delivery
   Status" with an X-NAI-Header saying "Modified by McAfee ...". A text
   part (deliveryproblems.txt) lists "<user@example.org>   (reason)"
   under "--- The following addresses had delivery problems ---"; the
   delivery-status part (deliverystatus.txt) names the recipients but
   often only with a bare 5.0.0 and no Diagnostic-Code, so the RFC 3464
   reader takes the diagnostic from that text, and the gateway's own
   wording in it decides the reason.

   Its hosted predecessor, MXLogic, sends Exim's notice and is read by
   the Exim format. */

static const struct bounce_vendor_signature bounce_mcafee_signatures[] = {
	{ "X-NAI-Header", "modified by mcafee" },
	{ "Subject", "delivery status" },
	{ NULL, "the following addresses had delivery problems" },
	{ NULL, NULL }
};

/* What the gateway writes in the parentheses after the address: its
   summary of the receiving server's refusal. */
static const struct bounce_vendor_reason bounce_mcafee_reasons[] = {
	{ "user unknown", BOUNCE_REASON_USERUNKNOWN },
	{ "unknown user", BOUNCE_REASON_USERUNKNOWN },
	{ "user not exist", BOUNCE_REASON_USERUNKNOWN },
	{ "no such user", BOUNCE_REASON_USERUNKNOWN },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

static bool bounce_format_mcafee_extract(const struct bounce_mail *mail,
					 struct bounce_report *report)
{
	if (!bounce_vendor_signatures_match(mail, bounce_mcafee_signatures, 2))
		return FALSE;
	if (!bounce_vendor_read_dsn(mail, report))
		return FALSE;
	bounce_vendor_hint_reasons(report, "mcafee", bounce_mcafee_reasons);
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_mcafee = {
	.name = "mcafee",
	.extract = bounce_format_mcafee_extract,
};
