/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
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

static const struct bounce_vendor_text_format bounce_ezweb_format = {
	.signatures = bounce_ezweb_signatures,
	.min_signatures = 2,
	.layout = {
		.end = bounce_ezweb_end,
		.labels = bounce_ezweb_labels,
	},
};

static bool bounce_format_ezweb_extract(const struct bounce_mail *mail,
                                   struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_ezweb_format);
}

const struct bounce_format bounce_format_ezweb = {
	.name = "ezweb",
	.extract = bounce_format_ezweb_extract,
};
