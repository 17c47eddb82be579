/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* GMX and 1&1 (mail.com, web.de, kundenserver.de): an Exim-like text
   without a delivery-status part; the address is on its own line
   ("user@example.org": or user@example.org), the reason follows, and the
   returned headers come after "--- The header of the original message is
   following. ---", a line only this family writes. */

static const struct bounce_vendor_signature bounce_gmx_signatures[] = {
	{ NULL, "--- the header of the original message is following. ---" },
	{ NULL, "this message was created automatically by mail delivery software" },
	{ NULL, NULL }
};

static const char *const bounce_gmx_begin[] = {
	"the following address", NULL
};
static const char *const bounce_gmx_end[] = {
	"--- the header of the original message", NULL
};
static const char *const bounce_gmx_skip[] = {
	"for the following reason:", "failed:", NULL
};

static const struct bounce_vendor_text_format bounce_gmx_format = {
	.signatures = bounce_gmx_signatures,
	.min_signatures = 2,
	.layout = {
		.begin = bounce_gmx_begin,
		.end = bounce_gmx_end,
		.skip = bounce_gmx_skip,
	},
};

static bool bounce_format_gmx_extract(const struct bounce_mail *mail,
                                 struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_gmx_format);
}

const struct bounce_format bounce_format_gmx = {
	.name = "gmx",
	.extract = bounce_format_gmx_extract,
};
