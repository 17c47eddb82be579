/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* IBM Lotus Domino: "DELIVERY FAILURE: ..." with the text "Your message
   / Subject: ... / was not delivered to: / user@example.org / because: /
   the reason". Newer releases add a delivery-status part whose status is
   a bare 5.0.0 and whose Diagnostic-Code (X-Notes) repeats the reason:
   that part is read first, the text fills in what it lacks. */

static const struct bounce_vendor_signature bounce_domino_signatures[] = {
	{ "Subject", "delivery failure:" },
	{ "Subject", "delivery_failure:" },
	{ NULL, "was not delivered to:" },
	{ NULL, NULL }
};

static const char *const bounce_domino_begin[] = {
	"was not delivered to:", NULL
};
static const char *const bounce_domino_skip[] = {
	"because:", NULL
};

static const struct bounce_vendor_text_format bounce_domino_format = {
	.signatures = bounce_domino_signatures,
	.min_signatures = 2,
	.layout = {
		.begin = bounce_domino_begin,
		.skip = bounce_domino_skip,
	},
};

static bool bounce_format_domino_extract(const struct bounce_mail *mail,
					 struct bounce_report *report)
{
	if (bounce_vendor_signatures_match(mail, bounce_domino_signatures) < 2)
		return FALSE;
	if (bounce_vendor_read_dsn(mail, report)) {
		/* the text's reason, for a recipient the DSN left without */
		(void)bounce_vendor_parse_text(mail, report,
					       &bounce_domino_format.layout);
		return TRUE;
	}
	return bounce_vendor_extract_text(mail, report, &bounce_domino_format);
}

const struct bounce_format bounce_format_domino = {
	.name = "domino",
	.extract = bounce_format_domino_extract,
};
