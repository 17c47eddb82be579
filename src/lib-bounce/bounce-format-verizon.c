/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* Verizon Wireless gateways. The SMS gateway (vtext.com) writes "Error:
   ...", "Error message below:" with the reply, then "Message details:"
   where "RCPT TO:" names the recipient. The MMS gateway (vzwpix.com)
   writes "Message could not be delivered to mobile.", "Error: ...", then
   "Original Message:" where "To:" names it. Both give the reason before
   the address. */

static const struct bounce_vendor_signature bounce_verizon_signatures[] = {
	{ "From", "vtext.com" },
	{ "From", "vzwpix.com" },
	{ NULL, "message could not be delivered to mobile" },
	{ NULL, "error message below:" },
	{ NULL, "message details:" },
	{ NULL, NULL }
};

static const char *const bounce_verizon_labels[] = {
	"rcpt to:", "to:", NULL
};
static const char *const bounce_verizon_skip[] = {
	"message details:", "original message:", "subject:", "sent date:",
	"date:", "mail from:", "from:", "cc:", "size (in bytes):",
	"number of lines:", NULL
};

/* the MMS gateway's own texts: it looked the number up itself */
static const struct bounce_vendor_reason bounce_verizon_reasons[] = {
	{ "no valid recipients for this mm", BOUNCE_REASON_USERUNKNOWN },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

static const struct bounce_vendor_text_format bounce_verizon_format = {
	.signatures = bounce_verizon_signatures,
	.min_signatures = 2,
	.layout = {
		.labels = bounce_verizon_labels,
		.skip = bounce_verizon_skip,
	},
	.name = "verizon",
	.reasons = bounce_verizon_reasons,
};

static bool bounce_format_verizon_extract(const struct bounce_mail *mail,
					  struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_verizon_format);
}

const struct bounce_format bounce_format_verizon = {
	.name = "verizon",
	.extract = bounce_format_verizon_extract,
};
