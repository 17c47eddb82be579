/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-format.h"
#include "bounce-text.h"

#include <ctype.h>

/* Postfix bounce(8) notices without a usable delivery-status part: old
   Postfix (before 2.0), relays that strip the DSN, and bounces forwarded
   inline. The human-readable part (bounce(5) templates) reads

     This is the mail system at host mx.example.net.
     ...
                        The mail system

     <user@example.org>: host mx.example.org[192.0.2.1] said: 550 5.1.1
         <user@example.org>: Recipient address rejected: User unknown
         (in reply to RCPT TO command)

   Two more layouts come from Postfix too: "--- Delivery report
   unavailable ---" when the bounce log was lost (the returned message's
   To: is then all that names the recipient), and the postmaster notice
   "Postfix SMTP server: errors from ..." whose session transcript names
   the recipient in "In:  RCPT TO:<...>". */

/* lower-case: looked up in the mail's lower-cased text */
static const char *const bounce_postfix_intro[] = {
	"this is the mail system at host",
	"this is the postfix program",
	"the postfix program",
	"the mail system",
	NULL
};

static bool bounce_postfix_report_unavailable(const struct bounce_mail *mail,
					      struct bounce_report *report)
{
	const char *to, *address;
	struct bounce_recipient *rcpt;

	if (!bounce_mail_text_contains(mail,
				       "--- delivery report unavailable ---"))
		return FALSE;
	to = bounce_mail_orig_header(mail, "To");
	address = bounce_address_normalize(report->pool, to);
	if (address == NULL)
		return FALSE;
	rcpt = bounce_report_add_recipient(report, address, "header");
	rcpt->diagnostic = "delivery report unavailable";
	return TRUE;
}

/* " Out: 550 5.1.1 ..." after an " In:  RCPT TO:<addr>" */
static bool bounce_postfix_smtpd_reply_is_error(const char *line)
{
	line += strspn(line, " \t");
	if (strncasecmp(line, "Out:", 4) != 0)
		return FALSE;
	line += 4;
	line += strspn(line, " \t");
	return (line[0] == '4' || line[0] == '5') && i_isdigit(line[1]) &&
		i_isdigit(line[2]);
}

static const char *bounce_postfix_smtpd_command(const char *line)
{
	line += strspn(line, " \t");
	if (strncasecmp(line, "In:", 3) != 0)
		return NULL;
	line += 3;
	return line + strspn(line, " \t");
}

static bool bounce_postfix_smtpd_transcript(const struct bounce_mail *mail,
					    struct bounce_report *report)
{
	const char *subject = bounce_mail_header(mail, "Subject");
	const char *const *lines, *command, *last_command = NULL, *address;
	unsigned int count = array_count(&report->recipients);

	if (subject == NULL ||
	    bounce_strcasestr(subject, "Postfix SMTP server: errors from") == NULL)
		return FALSE;
	lines = bounce_mail_text_lines(mail);
	for (; *lines != NULL; lines++) {
		command = bounce_postfix_smtpd_command(*lines);
		if (command != NULL) {
			last_command = command;
			if (strncasecmp(command, "RCPT TO:", 8) == 0 &&
			    array_count(&report->recipients) <
			    BOUNCE_TEXT_MAX_RECIPIENTS) {
				address = bounce_address_normalize(
					report->pool, command + 8);
				if (address != NULL)
					(void)bounce_report_add_recipient(
						report, address, "text");
			}
			continue;
		}
		if (!bounce_postfix_smtpd_reply_is_error(*lines) ||
		    array_count(&report->recipients) == count)
			continue;
		/* the first error reply after the last RCPT TO is the one
		   that failed the transaction for that recipient */
		struct bounce_recipient *rcpt = array_idx_modifiable(
			&report->recipients,
			array_count(&report->recipients) - 1);
		if (rcpt->diagnostic != NULL)
			continue;
		bounce_recipient_set_text_diagnostic(report, rcpt,
			strchr(*lines, ':') + 1);
		if (last_command != NULL && rcpt->smtp_command == NULL) {
			if (strncasecmp(last_command, "RCPT", 4) == 0)
				rcpt->smtp_command = "RCPT";
			else if (strncasecmp(last_command, "DATA", 4) == 0)
				rcpt->smtp_command = "DATA";
			else if (strncasecmp(last_command, "MAIL", 4) == 0)
				rcpt->smtp_command = "MAIL";
		}
	}
	return array_count(&report->recipients) > count;
}

static bool bounce_format_postfix_extract(const struct bounce_mail *mail,
					  struct bounce_report *report)
{
	const struct bounce_text_blocks blocks = {
		.start_markers = bounce_postfix_intro,
		.found_by = "text",
	};

	if (bounce_mail_text_contains_any(mail, bounce_postfix_intro) &&
	    bounce_mail_text_read_blocks(mail, &blocks, report) > 0) {
		/* found */
	} else if (!bounce_postfix_report_unavailable(mail, report) &&
		   !bounce_postfix_smtpd_transcript(mail, report)) {
		return FALSE;
	}
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_postfix = {
	.name = "postfix",
	.extract = bounce_format_postfix_extract,
};
