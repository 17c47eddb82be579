/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* MailFoundry (McAfee): "Unable to deliver message to: <user@example.org>"
   then "Delivery failed for the following reason:" and the remote
   server's reply. */

static const struct bounce_vendor_signature bounce_mailfoundry_signatures[] = {
	{ "Subject", "message delivery has failed" },
	{ NULL, "unable to deliver message to:" },
	{ NULL, "delivery failed for the following reason:" },
	{ NULL, NULL }
};

static const char *const bounce_mailfoundry_labels[] = {
	"unable to deliver message to:", NULL
};
static const char *const bounce_mailfoundry_skip[] = {
	"delivery failed for the following reason:",
	"this has been a permanent failure", NULL
};

static const struct bounce_vendor_text_format bounce_mailfoundry_format = {
	.signatures = bounce_mailfoundry_signatures,
	.min_signatures = 3,
	.layout = {
		.labels = bounce_mailfoundry_labels,
		.skip = bounce_mailfoundry_skip,
	},
};

static bool bounce_format_mailfoundry_extract(const struct bounce_mail *mail,
                                         struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_mailfoundry_format);
}

const struct bounce_format bounce_format_mailfoundry = {
	.name = "mailfoundry",
	.extract = bounce_format_mailfoundry_extract,
};
