/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "array.h"
#include "bounce-vendor.h"

#include <ctype.h>

/* m-FILTER (Digital Arts): a Japanese notice, the failed addresses one a
   line, then "-------server message" with the reply, "-------SMTP
   command" with the command on the next line, and "-------original
   message". */

static const struct bounce_vendor_signature bounce_mfilter_signatures[] = {
	{ "X-Mailer", "m-filter" },
	{ "Subject", "failure notice" },
	{ NULL, "-------server message" },
	{ NULL, "-------smtp command" },
	{ NULL, NULL }
};

static const char *const bounce_mfilter_end[] = {
	"-------smtp command", "-------original message",
	"-------original mail info", NULL
};
static const char *const bounce_mfilter_skip[] = {
	"-------server message", NULL
};

static const struct bounce_vendor_text_format bounce_mfilter_format = {
	.signatures = bounce_mfilter_signatures,
	.min_signatures = 3,
	.layout = {
		.end = bounce_mfilter_end,
		.skip = bounce_mfilter_skip,
	},
};

/* The command is the line after "-------SMTP command" */
static const char *bounce_mfilter_command(const struct bounce_mail *mail)
{
	const char *p, *end;

	p = strstr(str_c(mail->text), "-------SMTP command\n");
	if (p == NULL)
		return NULL;
	p += strlen("-------SMTP command\n");
	for (end = p; i_isupper(*end); end++) ;
	if (end - p != 4 && end - p != 8)
		return NULL;
	/* "DATA", "RCPT", "MAIL", "HELO", "EHLO"; "CONNECT" as "CONN" */
	return t_strndup(p, 4);
}

static bool bounce_format_mfilter_extract(const struct bounce_mail *mail,
					  struct bounce_report *report)
{
	struct bounce_recipient *rcpt;
	const char *command;

	if (!bounce_vendor_extract_text(mail, report, &bounce_mfilter_format))
		return FALSE;
	command = bounce_mfilter_command(mail);
	if (command == NULL || strstr("RCPT MAIL DATA HELO EHLO CONN", command) == NULL)
		return TRUE;
	if (strcmp(command, "EHLO") == 0)
		command = "HELO";
	array_foreach_modifiable(&report->recipients, rcpt) {
		if (rcpt->smtp_command == NULL)
			rcpt->smtp_command = p_strdup(report->pool, command);
	}
	return TRUE;
}

const struct bounce_format bounce_format_mfilter = {
	.name = "mfilter",
	.extract = bounce_format_mfilter_extract,
};
