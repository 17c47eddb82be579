/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-format.h"
#include "bounce-text.h"

/* Complaints: RFC 5965 feedback reports (multipart/report;
   report-type=feedback-report with a message/feedback-report part), and
   the feedback loops that send the same thing without that part.

   The complained-about recipient is Original-Rcpt-To (one field per
   recipient). Many providers redact or leave it out; then the returned
   message's To: names the subscriber, unless it was redacted too. */

#define BOUNCE_ARF_MAX_DIAGNOSTIC 300

/* the headers a feedback loop adds to the returned message to name the
   complaining recipient, when its report has no Original-Rcpt-To */
static const char *const bounce_arf_orig_recipient_headers[] = {
	/* Microsoft JMRP ("complaint about message from 192.0.2.1") */
	"X-HmXmrOriginalRecipient",
	NULL
};

static const char *bounce_arf_first_line(const struct bounce_mail *mail)
{
	const char *const *lines = bounce_mail_text_lines(mail);

	for (; *lines != NULL; lines++) {
		if ((*lines)[strspn(*lines, " \t")] != '\0')
			return *lines;
	}
	return NULL;
}

static void bounce_arf_add(const struct bounce_mail *mail,
			   struct bounce_report *report, const char *value,
			   const char *found_by)
{
	struct bounce_recipient *rcpt;
	const char *address, *line;

	address = bounce_address_normalize(report->pool, value);
	if (address == NULL ||
	    array_count(&report->recipients) >= BOUNCE_TEXT_MAX_RECIPIENTS)
		return;
	rcpt = bounce_report_add_recipient(report, address, found_by);
	rcpt->action = BOUNCE_ACTION_NONE;
	rcpt->reason_hint = BOUNCE_REASON_FEEDBACK;
	rcpt->rule_hint = "format:arf";
	line = bounce_arf_first_line(mail);
	if (line != NULL)
		rcpt->diagnostic = bounce_text_fold(report->pool, line,
						    BOUNCE_ARF_MAX_DIAGNOSTIC);
}

static void bounce_arf_read_report(const struct bounce_mail *mail,
				   struct bounce_report *report)
{
	ARRAY_TYPE(bounce_header) fields;
	const struct bounce_header *field;
	pool_t pool = report->pool;

	t_array_init(&fields, 16);
	bounce_headers_parse_text(pool_datastack_create(),
				  str_c(mail->feedback_report),
				  str_len(mail->feedback_report), &fields);
	array_foreach(&fields, field) {
		const char *name = field->name, *value = field->value;

		if (strcasecmp(name, "Original-Rcpt-To") == 0)
			bounce_arf_add(mail, report, value, "arf");
		else if (strcasecmp(name, "Feedback-Type") == 0 &&
			 report->feedback_type == NULL)
			report->feedback_type = p_strdup(pool,
				t_str_lcase(t_strcut(value, ' ')));
		else if (strcasecmp(name, "Source-IP") == 0 &&
			 report->source_ip == NULL)
			report->source_ip = p_strdup(pool, t_strcut(value, ' '));
		else if (strcasecmp(name, "Reported-Domain") == 0 &&
			 report->reported_domain == NULL)
			report->reported_domain = p_strdup(pool,
				t_str_lcase(value));
		else if (strcasecmp(name, "Original-Mail-From") == 0 &&
			 report->original_mail_from == NULL)
			report->original_mail_from =
				bounce_address_normalize(pool, value);
		else if (strcasecmp(name, "Reporting-MTA") == 0 &&
			 report->reporting_mta == NULL) {
			/* "dns; mx.example.net" */
			const char *p = strchr(value, ';');

			p = p == NULL ? value : p + 1;
			report->reporting_mta =
				p_strdup(pool, p + strspn(p, " \t"));
		}
	}
}

/* No Original-Rcpt-To: the feedback loop's own header in the returned
   message, else its To: unless that was redacted ("redacted@" or no
   domain at all). */
static void bounce_arf_fallback_recipient(const struct bounce_mail *mail,
					  struct bounce_report *report)
{
	const char *value;

	for (unsigned int i = 0; bounce_arf_orig_recipient_headers[i] != NULL; i++) {
		value = bounce_mail_orig_header(mail,
			bounce_arf_orig_recipient_headers[i]);
		if (value != NULL) {
			bounce_arf_add(mail, report, value, "header");
			return;
		}
	}
	value = bounce_mail_orig_header(mail, "To");
	if (value != NULL)
		bounce_arf_add(mail, report, value, "header");
}

/* A feedback loop without the message/feedback-report part: Microsoft
   JMRP ("complaint about message from <ip>" with the recipient in
   X-HmXmrOriginalRecipient), Apple Mail's "unsubscribe" request
   (X-Apple-Unsubscribe: true, sent by the subscriber). */
static bool bounce_arf_nonstandard(const struct bounce_mail *mail,
				   struct bounce_report *report)
{
	const char *subject = bounce_mail_header(mail, "Subject");
	const char *value;

	if (subject != NULL &&
	    bounce_strcasestr(subject, "complaint about message from ") != NULL &&
	    bounce_mail_orig_header(mail, "X-HmXmrOriginalRecipient") != NULL) {
		report->feedback_type = "abuse";
		value = bounce_strcasestr(subject, "complaint about message from ");
		report->source_ip = p_strdup(report->pool, t_strcut(
			value + strlen("complaint about message from "), ' '));
		bounce_arf_fallback_recipient(mail, report);
		return TRUE;
	}
	value = bounce_mail_header(mail, "X-Apple-Unsubscribe");
	if (value != NULL && strcasecmp(value, "true") == 0) {
		report->feedback_type = "unsubscribe";
		bounce_arf_add(mail, report, bounce_mail_header(mail, "From"),
			       "header");
		return TRUE;
	}
	return FALSE;
}

static bool bounce_format_arf_extract(const struct bounce_mail *mail,
				      struct bounce_report *report)
{
	unsigned int first = array_count(&report->recipients);

	if (str_len(mail->feedback_report) > 0 ||
	    (mail->report_type != NULL &&
	     strcmp(mail->report_type, "feedback-report") == 0)) {
		bounce_arf_read_report(mail, report);
		if (array_count(&report->recipients) == first)
			bounce_arf_fallback_recipient(mail, report);
	} else if (!bounce_arf_nonstandard(mail, report)) {
		return FALSE;
	}
	/* a feedback report with every recipient redacted is still a
	   complaint, just not one we can attribute */
	report->kind = BOUNCE_KIND_FEEDBACK;
	return TRUE;
}

const struct bounce_format bounce_format_arf = {
	.name = "arf",
	.extract = bounce_format_arf_extract,
};
