/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-format.h"
#include "bounce-text.h"

/* Courier MTA (courier/module.dsn) notices without a usable
   delivery-status part:

     This is a delivery status notification from mx.example.net,
     running the Courier mail server, version 1.1.

                             UNDELIVERABLE MAIL

     Your message to the following recipients cannot be delivered:

     <user@example.org>:
         mx.example.org [192.0.2.1]:
     >>> RCPT TO:<user@example.org>
     <<< 550 5.1.1 <user@example.org>... User unknown

   Delay notices say "DELAYS IN DELIVERING YOUR MESSAGE". */

static const char *const bounce_courier_intro[] = {
	"undeliverable mail",
	"delays in delivering your message",
	NULL
};

static bool bounce_format_courier_extract(const struct bounce_mail *mail,
					  struct bounce_report *report)
{
	const struct bounce_text_blocks blocks = {
		.start_markers = bounce_courier_intro,
		.found_by = "text",
	};

	if (!bounce_mail_text_contains(mail, "running the courier mail server") &&
	    !bounce_mail_text_contains(mail, "courier mail server at"))
		return FALSE;
	if (bounce_mail_text_read_blocks(mail, &blocks, report) == 0)
		return FALSE;
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_courier = {
	.name = "courier",
	.extract = bounce_format_courier_extract,
};
