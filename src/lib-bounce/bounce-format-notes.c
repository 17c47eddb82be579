/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* IBM Lotus Notes (the old Lotus SMTP MTA): "Undeliverable message",
   "------- Failure Reasons --------", the reason and the address, then
   "------- Returned Message --------". */

static const struct bounce_vendor_signature bounce_notes_signatures[] = {
	{ "Subject", "undeliverable message" },
	{ NULL, "------- failure reasons" },
	{ NULL, NULL }
};

static const char *const bounce_notes_begin[] = {
	"------- failure reasons", NULL
};
static const char *const bounce_notes_end[] = {
	"------- returned message", NULL
};

/* the Notes MTA's own failure reasons (not a remote server's reply) */
static const struct bounce_vendor_reason bounce_notes_reasons[] = {
	{ "not listed in public name & address book", BOUNCE_REASON_USERUNKNOWN },
	/* Japanese: "not in the directory's list" */
	{ "ディレクトリのリストにありません", BOUNCE_REASON_USERUNKNOWN },
	{ "message has exceeded maximum hop count", BOUNCE_REASON_NETWORKERROR },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

static const struct bounce_vendor_text_format bounce_notes_format = {
	.signatures = bounce_notes_signatures,
	.min_signatures = 2,
	.layout = {
		.begin = bounce_notes_begin,
		.end = bounce_notes_end,
	},
	.name = "notes",
	.reasons = bounce_notes_reasons,
};

static bool bounce_format_notes_extract(const struct bounce_mail *mail,
                                   struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_notes_format);
}

const struct bounce_format bounce_format_notes = {
	.name = "notes",
	.extract = bounce_format_notes_extract,
};
