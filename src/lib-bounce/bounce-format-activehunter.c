/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* Active!hunter (a Japanese mail filter): a Sendmail-like text where
   each address line reads ">>> user@example.org <user@example.org>",
   followed by the transcript. */

static const struct bounce_vendor_signature bounce_activehunter_signatures[] = {
	{ "Content-Type", "active!hunter" },
	{ "X-AHMailID", "" },
	{ NULL, "the following addresses had permanent fatal errors" },
	{ NULL, NULL }
};

static const char *const bounce_activehunter_begin[] = {
	"the following addresses had permanent fatal errors", NULL
};
static const char *const bounce_activehunter_labels[] = {
	">>>", NULL
};
static const char *const bounce_activehunter_skip[] = {
	"----- transcript of session follows", NULL
};

static const struct bounce_vendor_text_format bounce_activehunter_format = {
	.signatures = bounce_activehunter_signatures,
	.min_signatures = 2,
	.layout = {
		.begin = bounce_activehunter_begin,
		.labels = bounce_activehunter_labels,
		.skip = bounce_activehunter_skip,
	},
};

static bool bounce_format_activehunter_extract(const struct bounce_mail *mail,
                                          struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_activehunter_format);
}

const struct bounce_format bounce_format_activehunter = {
	.name = "activehunter",
	.extract = bounce_format_activehunter_extract,
};
