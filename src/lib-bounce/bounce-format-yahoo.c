/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* Yahoo! Mail's qmail-derived notice: "Sorry, we were unable to deliver
   your message to the following address.", then "<user@example.org>:"
   and "Remote host said: 550 ... [RCPT_TO]", the command in brackets.
   The returned message follows "--- Below this line is a copy of the
   message.". */

static const struct bounce_vendor_signature bounce_yahoo_signatures[] = {
	{ NULL, "sorry, we were unable to deliver your message to the following address" },
	{ NULL, NULL }
};

static const char *const bounce_yahoo_begin[] = {
	"unable to deliver your message to the following address", NULL
};
static const char *const bounce_yahoo_end[] = {
	"--- below this line is a copy of the message", NULL
};

static const struct bounce_vendor_text_format bounce_yahoo_format = {
	.signatures = bounce_yahoo_signatures,
	.min_signatures = 1,
	.layout = {
		.begin = bounce_yahoo_begin,
		.end = bounce_yahoo_end,
	},
};

static bool bounce_format_yahoo_extract(const struct bounce_mail *mail,
					struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_yahoo_format);
}

const struct bounce_format bounce_format_yahoo = {
	.name = "yahoo",
	.extract = bounce_format_yahoo_extract,
};
