/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-vendor.h"

/* Mail.Ru: Exim underneath, with a Russian notice before Exim's own
   English text. Each failed address is on its own line, followed by the
   indented SMTP error, and an empty line ends the block. The returned
   message follows Exim's "------ This is a copy of the message" line. */

static const struct bounce_vendor_signature bounce_mailru_signatures[] = {
	/* "This mail was created automatically by the Mail.Ru server" */
	{ NULL, "создано автоматически сервером mail.ru" },
	{ NULL, NULL }
};

static const char *const bounce_mailru_begin[] = {
	/* "could not be delivered to one or more recipients" */
	"не может быть доставлено",
	"address(es) failed", NULL
};
static const char *const bounce_mailru_end[] = {
	"------ this is a copy of the message", NULL
};

static const struct bounce_vendor_text_format bounce_mailru_format = {
	.signatures = bounce_mailru_signatures,
	.min_signatures = 1,
	.layout = {
		.begin = bounce_mailru_begin,
		.end = bounce_mailru_end,
		.blank_ends_recipient = TRUE,
	},
};

static bool bounce_format_mailru_extract(const struct bounce_mail *mail,
                                    struct bounce_report *report)
{
	return bounce_vendor_extract_text(mail, report, &bounce_mailru_format);
}

const struct bounce_format bounce_format_mailru = {
	.name = "mailru",
	.extract = bounce_format_mailru_extract,
};
