/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-text.h"
#include "bounce-vendor.h"

#include <ctype.h>

/* Zoho Mail's own notice, sent from mail.zoho.com with an X-ZohoMail
   header. After "This message was created automatically by mail
   delivery software." each failed recipient is one line, in one of two
   shapes:

     user@example.org Invalid Address, ERROR_CODE :550, ERROR_CODE :5.1.1 ...
     [Status: Error, Address: <user@example.org>, ResponseCode 421, , Host not reachable.]

   The first is the remote server's reply after the address; the second
   (used in the "has not yet been delivered" warnings) names the reply
   code after "ResponseCode" rather than at the start of a reply. */

static const struct bounce_vendor_signature bounce_zoho_signatures[] = {
	{ "X-ZohoMail", "" },
	{ NULL, "this message was created automatically by mail delivery software" },
	{ NULL, NULL }
};

static const char *const bounce_zoho_intro[] = {
	"this message was created automatically by mail delivery software",
	NULL
};

#define BOUNCE_ZOHO_STATUS_LINE "[status:"
#define BOUNCE_ZOHO_ADDRESS_LABEL "address:"
#define BOUNCE_ZOHO_RESPONSE_LABEL "responsecode "

/* The reply code after "ResponseCode " in a status line, or NULL. */
static const char *bounce_zoho_response_code(const char *line)
{
	const char *p = bounce_strcasestr(line, BOUNCE_ZOHO_RESPONSE_LABEL);

	if (p == NULL)
		return NULL;
	p += strlen(BOUNCE_ZOHO_RESPONSE_LABEL);
	if ((p[0] != '4' && p[0] != '5') || !i_isdigit(p[1]) ||
	    !i_isdigit(p[2]) || i_isdigit(p[3]))
		return NULL;
	return t_strndup(p, 3);
}

/* "[Status: Error, Address: <user@example.org>, ResponseCode 421, ...]" */
static void bounce_zoho_status_line(struct bounce_report *report,
				    const char *line)
{
	struct bounce_recipient *rcpt;
	const char *p, *addr, *rest, *code;

	p = bounce_strcasestr(line, BOUNCE_ZOHO_ADDRESS_LABEL);
	if (p == NULL)
		return;
	addr = bounce_text_line_address(pool_datastack_create(),
					p + strlen(BOUNCE_ZOHO_ADDRESS_LABEL),
					FALSE, &rest);
	if (addr == NULL)
		return;
	rcpt = bounce_report_add_recipient(report, addr, "text");
	code = bounce_zoho_response_code(rest);
	if (code != NULL && rcpt->reply_code == NULL)
		rcpt->reply_code = p_strdup(report->pool, code);
	bounce_recipient_set_text_diagnostic(report, rcpt,
					     t_strcut(line + 1, ']'));
}

/* "user@example.org <the server's reply>" */
static void bounce_zoho_address_line(struct bounce_report *report,
				     const char *line)
{
	struct bounce_recipient *rcpt;
	const char *addr, *rest;

	addr = bounce_text_line_address(pool_datastack_create(), line,
					TRUE, &rest);
	if (addr == NULL)
		return;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '\0')
		return;
	rcpt = bounce_report_add_recipient(report, addr, "text");
	bounce_recipient_set_text_diagnostic(report, rcpt, rest);
}

static bool bounce_format_zoho_extract(const struct bounce_mail *mail,
				       struct bounce_report *report)
{
	const char *const *lines;
	unsigned int i, end, first = array_count(&report->recipients);
	unsigned int found = 0;

	if (!bounce_vendor_signatures_match(mail, bounce_zoho_signatures, 2))
		return FALSE;
	lines = bounce_mail_text_lines(mail);
	end = bounce_mail_text_original_line(mail);
	i = bounce_mail_text_first_line(mail, bounce_zoho_intro, SIZE_MAX);
	for (i++; i < end && found < BOUNCE_VENDOR_MAX_RECIPIENTS; i++) {
		const char *line = lines[i] + strspn(lines[i], " \t");

		if (strncasecmp(line, BOUNCE_ZOHO_STATUS_LINE,
				strlen(BOUNCE_ZOHO_STATUS_LINE)) == 0)
			bounce_zoho_status_line(report, line);
		else if (strchr(line, '@') != NULL)
			bounce_zoho_address_line(report, line);
		found = array_count(&report->recipients) - first;
	}
	if (found == 0)
		return FALSE;
	/* "has not yet been delivered ... after more than 24 hours in the
	   queue": Zoho is still trying */
	if (bounce_mail_text_delay_line(mail) < end) {
		for (i = first; i < array_count(&report->recipients); i++) {
			struct bounce_recipient *rcpt =
				array_idx_modifiable(&report->recipients, i);

			rcpt->action = BOUNCE_ACTION_DELAYED;
		}
	}
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_zoho = {
	.name = "zoho",
	.extract = bounce_format_zoho_extract,
};
