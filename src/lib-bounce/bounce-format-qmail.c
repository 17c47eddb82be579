/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-format.h"
#include "bounce-text.h"

/* qmail-send(8) bounces: plain text, never a DSN part.

     Hi. This is the qmail-send program at mx.example.net.
     I'm afraid I wasn't able to deliver your message to the following
     addresses. This is a permanent error; I've given up. ...

     <user@example.org>:
     192.0.2.1 does not like recipient.
     Remote host said: 550 5.1.1 <user@example.org>... User unknown
     Giving up on 192.0.2.1.

     --- Below this line is a copy of the message.

   The diagnostic's last line often carries qmail's own "(#5.1.1)"
   status. netqmail, qmail-ldap and indimail keep the layout. */

static const char *const bounce_qmail_intro[] = {
	"this is the qmail-send program",
	NULL
};

static bool bounce_format_qmail_extract(const struct bounce_mail *mail,
					struct bounce_report *report)
{
	const struct bounce_text_blocks blocks = {
		.start_markers = bounce_qmail_intro,
		.found_by = "text",
	};

	if (!bounce_mail_text_contains(mail, bounce_qmail_intro[0]))
		return FALSE;
	if (bounce_mail_text_read_blocks(mail, &blocks, report) == 0)
		return FALSE;
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_qmail = {
	.name = "qmail",
	.extract = bounce_format_qmail_extract,
};
