/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
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

/* The reason names the server that refused: "SMTP error from remote
   server for RCPT TO command, host: mx.example.org (192.0.2.1) reason:
   550 ...". It is the remote MTA, and names the provider whose rules
   apply. */
static void bounce_gmx_remote_host(struct bounce_report *report,
				   struct bounce_recipient *rcpt)
{
	const char *p, *end;

	if (rcpt->remote_mta != NULL || rcpt->diagnostic == NULL)
		return;
	p = strstr(rcpt->diagnostic, "host: ");
	if (p == NULL)
		return;
	p += strlen("host: ");
	for (end = p; *end != '\0' && *end != ' ' && *end != ','; end++) ;
	if (end > p)
		rcpt->remote_mta = p_strdup_until(report->pool, p, end);
}

static bool bounce_format_gmx_extract(const struct bounce_mail *mail,
                                 struct bounce_report *report)
{
	struct bounce_recipient *rcpt;

	if (!bounce_vendor_extract_text(mail, report, &bounce_gmx_format))
		return FALSE;
	array_foreach_modifiable(&report->recipients, rcpt)
		bounce_gmx_remote_host(report, rcpt);
	return TRUE;
}

const struct bounce_format bounce_format_gmx = {
	.name = "gmx",
	.extract = bounce_format_gmx_extract,
};
