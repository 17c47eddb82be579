/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* Trend Micro InterScan Messaging Security Suite: a short notice, the
   SMTP exchange as "Sent <<< RCPT TO:<user@example.org>" / "Received >>>
   550 ...", or "Unable to deliver message to <user@example.org>". */

static const struct bounce_vendor_signature bounce_interscanmss_signatures[] = {
	{ "From", "interscan" },
	{ NULL, "message from interscan messaging security suite" },
	{ NULL, "sent <<< rcpt to:" },
	{ NULL, NULL }
};

static const char *const bounce_interscanmss_labels[] = {
	"sent <<< rcpt to:",
	"reason: unable to deliver message to",
	"unable to deliver message to", NULL
};

/* InterScan's own notice when the recipient's domain refused the
   address: the line is "Unable to deliver message to <user@example.org>
   (and other recipients in the same domain)."; what follows the address
   is the diagnostic. */
static const struct bounce_vendor_reason bounce_interscanmss_reasons[] = {
	{ "(and other recipients in the same domain)", BOUNCE_REASON_USERUNKNOWN },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

static const struct bounce_vendor_text_format bounce_interscanmss_format = {
	.signatures = bounce_interscanmss_signatures,
	.min_signatures = 1,
	.layout = {
		.labels = bounce_interscanmss_labels,
	},
	.name = "interscanmss",
	.reasons = bounce_interscanmss_reasons,
};

static bool bounce_format_interscanmss_extract(const struct bounce_mail *mail,
                                          struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_interscanmss_format);
}

const struct bounce_format bounce_format_interscanmss = {
	.name = "interscanmss",
	.extract = bounce_format_interscanmss_extract,
};
