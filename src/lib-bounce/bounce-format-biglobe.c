/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* BIGLOBE (NEC's ISP): "----- The following addresses had delivery
   problems -----", the addresses, then "----- Non-delivered information
   -----" and the reason. */

static const struct bounce_vendor_signature bounce_biglobe_signatures[] = {
	{ NULL, "----- the following addresses had delivery problems -----" },
	{ NULL, "----- non-delivered information -----" },
	{ NULL, NULL }
};

static const char *const bounce_biglobe_begin[] = {
	"the following addresses had delivery problems", NULL
};
static const char *const bounce_biglobe_skip[] = {
	"----- non-delivered information", NULL
};

static const struct bounce_vendor_text_format bounce_biglobe_format = {
	.signatures = bounce_biglobe_signatures,
	.min_signatures = 2,
	.layout = {
		.begin = bounce_biglobe_begin,
		.skip = bounce_biglobe_skip,
	},
};

static bool bounce_format_biglobe_extract(const struct bounce_mail *mail,
                                     struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_biglobe_format);
}

const struct bounce_format bounce_format_biglobe = {
	.name = "biglobe",
	.extract = bounce_format_biglobe_extract,
};
