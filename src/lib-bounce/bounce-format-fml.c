/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-vendor.h"

/* fml, the Japanese mailing-list manager, answers a post it refuses
   with a notice from the list's "-admin" address (X-MLServer: fml ...,
   a Message-ID with ".FML" in it). The notice names the address it is
   about in angle brackets at the end of a line ("You are not a member
   of this mailing list <list@example.org>.", "Duplicated Message-ID in
   <list@example.org>."), explains, and quotes the post after "Original
   mail as follows:". The reason is fml's own wording, in the text or,
   failing that, in the Subject. */

static const struct bounce_vendor_signature bounce_fml_signatures[] = {
	{ "X-MLServer", "fml" },
	{ "From", "-admin@" },
	{ "Message-ID", ".fml" },
	{ NULL, NULL }
};

/* the returned post starts here */
static const char *const bounce_fml_end[] = {
	"original mail as follows:", NULL
};

/* fml's notices, lower-case: the text's first, then the Subject's */
static const struct bounce_vendor_reason bounce_fml_reasons[] = {
	{ "you are not a member of this mailing list", BOUNCE_REASON_REJECTED },
	{ "not member article from", BOUNCE_REASON_REJECTED },
	{ "reject mail from", BOUNCE_REASON_REJECTED },
	{ "reject spammers:", BOUNCE_REASON_REJECTED },
	{ "duplicated message-id", BOUNCE_REASON_SYSTEMERROR },
	{ "has detected a loop condition", BOUNCE_REASON_SYSTEMERROR },
	{ "loop back warning:", BOUNCE_REASON_SYSTEMERROR },
	{ "security alert", BOUNCE_REASON_SECURITYERROR },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};
static const struct bounce_vendor_reason bounce_fml_subject_reasons[] = {
	{ "are not member", BOUNCE_REASON_REJECTED },
	{ "spam mail from a spammer is rejected", BOUNCE_REASON_REJECTED },
	{ "loop alert:", BOUNCE_REASON_SYSTEMERROR },
	{ "loop back warning:", BOUNCE_REASON_SYSTEMERROR },
	{ "unix from loop", BOUNCE_REASON_SYSTEMERROR },
	{ "fml system error message", BOUNCE_REASON_SYSTEMERROR },
	{ "security alert", BOUNCE_REASON_SECURITYERROR },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

static bool bounce_fml_line_ends(const char *lower)
{
	for (unsigned int i = 0; bounce_fml_end[i] != NULL; i++) {
		if (strstr(lower, bounce_fml_end[i]) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* The address in "... <user@example.org>." at the end of line, or
   NULL. */
static const char *bounce_fml_line_address(const char *line)
{
	size_t len = strlen(line);
	const char *open;

	while (len > 0 && (line[len-1] == ' ' || line[len-1] == '\t' ||
			   line[len-1] == '\r'))
		len--;
	if (len < 3 || line[len-1] != '.' || line[len-2] != '>')
		return NULL;
	line = t_strndup(line, len - 2);
	open = strrchr(line, '<');
	if (open == NULL || strchr(open, '@') == NULL ||
	    strchr(open, ' ') != NULL)
		return NULL;
	return open + 1;
}

/* Add a recipient for each notice line; the lines after it, up to the
   next one or the returned post, are its diagnostic. Returns the number
   of recipients added. */
static unsigned int bounce_fml_scan(const struct bounce_mail *mail,
				    struct bounce_report *report)
{
	const char *p = str_c(mail->text), *end, *line, *address;
	struct bounce_recipient *rcpt = NULL;
	string_t *diagnostic = t_str_new(128);
	unsigned int count = 0;

	for (; *p != '\0'; p = *end == '\0' ? end : end + 1) {
		end = strchr(p, '\n');
		if (end == NULL)
			end = p + strlen(p);
		line = t_strdup_until(p, end);
		if (bounce_fml_line_ends(t_str_lcase(line)))
			break;
		address = bounce_fml_line_address(line);
		if (address != NULL && count < BOUNCE_VENDOR_MAX_RECIPIENTS) {
			if (rcpt != NULL)
				bounce_vendor_set_diagnostic(report, rcpt,
							     str_c(diagnostic));
			rcpt = bounce_report_add_recipient(report, address,
							   "text");
			rcpt->action = BOUNCE_ACTION_FAILED;
			str_truncate(diagnostic, 0);
			count++;
		}
		if (rcpt != NULL &&
		    str_len(diagnostic) < BOUNCE_VENDOR_MAX_DIAGNOSTIC) {
			str_append(diagnostic, line);
			str_append_c(diagnostic, ' ');
		}
	}
	if (rcpt != NULL)
		bounce_vendor_set_diagnostic(report, rcpt, str_c(diagnostic));
	return count;
}

static void bounce_fml_subject_hint(const struct bounce_mail *mail,
				    struct bounce_report *report)
{
	const char *subject = bounce_mail_header(mail, "Subject");
	const struct bounce_vendor_reason *r;
	struct bounce_recipient *rcpt;

	if (subject == NULL)
		return;
	subject = t_str_lcase(subject);
	for (r = bounce_fml_subject_reasons; r->phrase != NULL; r++) {
		if (strstr(subject, r->phrase) != NULL)
			break;
	}
	if (r->phrase == NULL)
		return;
	array_foreach_modifiable(&report->recipients, rcpt) {
		if (rcpt->reason_hint == BOUNCE_REASON_UNDEFINED)
			bounce_vendor_set_hint(report, rcpt, r->reason, "fml",
					       r->phrase);
	}
}

static bool bounce_format_fml_extract(const struct bounce_mail *mail,
				      struct bounce_report *report)
{
	bool found;

	/* the list manager's header and one of its other marks */
	if (!bounce_vendor_header_contains(mail, "X-MLServer", "fml") ||
	    !bounce_vendor_signatures_match(mail, bounce_fml_signatures, 2))
		return FALSE;
	T_BEGIN {
		found = bounce_fml_scan(mail, report) > 0;
		if (found) {
			bounce_vendor_hint_reasons(report, "fml",
						   bounce_fml_reasons);
			bounce_fml_subject_hint(mail, report);
		}
	} T_END;
	if (!found)
		return FALSE;
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_fml = {
	.name = "fml",
	.extract = bounce_format_fml_extract,
};
