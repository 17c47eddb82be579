/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-format.h"
#include "bounce-text.h"

/* OpenSMTPD bounce.c: plain text, one line per recipient with a bare
   address.

         Hi!

         This is the MAILER-DAEMON, please DO NOT REPLY to this e-mail.

         An error has occurred while attempting to deliver a message for
         the following list of recipients:

     user@example.org: 550 5.1.1 <user@example.org>: User unknown

         Below is a copy of the original message:

   The delay notice says "A message is delayed for more than 4 hours
   for the following list of recipients:" instead. */

static const char *const bounce_opensmtpd_intro[] = {
	"this is the mailer-daemon, please do not reply to this",
	NULL
};

static bool bounce_format_opensmtpd_extract(const struct bounce_mail *mail,
					    struct bounce_report *report)
{
	const struct bounce_text_blocks blocks = {
		.start_markers = bounce_opensmtpd_intro,
		.bare_address = TRUE,
		.found_by = "text",
	};

	if (!bounce_mail_text_contains(mail, bounce_opensmtpd_intro[0]))
		return FALSE;
	if (bounce_mail_text_read_blocks(mail, &blocks, report) == 0)
		return FALSE;
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_opensmtpd = {
	.name = "opensmtpd",
	.extract = bounce_format_opensmtpd_extract,
};
