/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-format.h"
#include "bounce-text.h"

/* The last resort for bounces no format recognised: an unfamiliar MTA,
   a mangled or forwarded notice. Rather than drop it, find the bounced
   addresses and the lines around them:

   - "<user@example.org>:" blocks followed by a diagnostic (the qmail
     layout that many small MTAs copied);
   - a line that says an address failed ("Did not reach the following
     recipient: user@example.org", "The following recipients returned
     permanent errors: ...", "Failed addresses follow:" with the
     addresses on the next lines);
   - the X-Failed-Recipients header (Exim and others).

   Only a mail that looks like a bounce is read, so that auto-replies and
   ordinary mail that reached the bounce mailbox yield no recipients. */

/* a line saying the address(es) on it, or right after it, failed */
static const char *const bounce_text_failure_phrases[] = {
	"following recipient", "following address", "failed recipient",
	"failed address", "could not be delivered to",
	"couldn't be delivered to", "was not delivered to",
	"undeliverable to", "unable to deliver to",
	"unable to deliver message to", "delivery to the following",
	"did not reach", "delivery has failed to", "delivery failed to",
	"permanent error", "recipient address rejected", "user unknown",
	"no such user", "mailbox unavailable", "unknown user",
	NULL
};
/* lines after a failure phrase scanned for its addresses */
#define BOUNCE_TEXT_LIST_LINES 50

/* The bounce's own parties are never the bounced recipient: the
   sender it is returned to and the daemon that sends it. */
static bool bounce_text_is_party(const struct bounce_mail *mail,
				 const char *address)
{
	static const char *const headers[] = { "From", "To", "Return-Path",
					       "Delivered-To", NULL };
	const char *value;

	for (unsigned int i = 0; headers[i] != NULL; i++) {
		value = bounce_mail_header(mail, headers[i]);
		if (value != NULL && bounce_strcasestr(value, address) != NULL)
			return TRUE;
	}
	value = bounce_mail_orig_header(mail, "From");
	return value != NULL && bounce_strcasestr(value, address) != NULL;
}

/* Find the next address token at or after *pos; advance *pos past it. */
static const char *bounce_text_next_address(const char **pos)
{
	const char *at, *start, *end, *address, *dot;
	const char *stops = "<>()[]\"',;: \t";

	while ((at = strchr(*pos, '@')) != NULL) {
		start = at;
		while (start > *pos && strchr(stops, start[-1]) == NULL)
			start--;
		end = at + 1;
		while (*end != '\0' && strchr(stops, *end) == NULL)
			end++;
		*pos = end;
		address = bounce_address_normalize(pool_datastack_create(),
			t_strdup_until(start, end));
		dot = address == NULL ? NULL : strchr(strchr(address, '@'), '.');
		if (dot != NULL && dot[1] != '\0')
			return address;
	}
	*pos += strlen(*pos);
	return NULL;
}

struct bounce_text_ctx {
	const struct bounce_mail *mail;
	struct bounce_report *report;
	unsigned int first;
};

/* Add the addresses on line with the line as their diagnostic.
   Returns how many were found. */
static unsigned int bounce_text_line_recipients(struct bounce_text_ctx *ctx,
						const char *line)
{
	const char *p = line;
	struct bounce_recipient *rcpt;
	const char *address;
	unsigned int count = 0;

	while ((address = bounce_text_next_address(&p)) != NULL) {
		if (bounce_text_is_party(ctx->mail, address) ||
		    array_count(&ctx->report->recipients) >=
		    BOUNCE_TEXT_MAX_RECIPIENTS)
			continue;
		rcpt = bounce_report_add_recipient(ctx->report, address, "text");
		if (rcpt->diagnostic != NULL)
			continue;
		bounce_recipient_set_text_diagnostic(ctx->report, rcpt, line);
		count++;
	}
	return count;
}

static void bounce_text_read_phrases(struct bounce_text_ctx *ctx)
{
	const char *const *lines = bounce_mail_text_lines(ctx->mail);
	unsigned int end = bounce_mail_text_original_line(ctx->mail);
	unsigned int list_lines = 0;

	/* up to the copy of the returned message */
	for (unsigned int n = 0; n < end; n++) {
		const char *line = lines[n];

		if (bounce_text_find_any(line, bounce_text_failure_phrases) >= 0) {
			/* a list follows when this line names nobody */
			list_lines = bounce_text_line_recipients(ctx, line) == 0 ?
				BOUNCE_TEXT_LIST_LINES : 0;
		} else if (list_lines > 0) {
			const char *rest;

			list_lines--;
			/* "user@example.org ... unknown host", "<user@...>";
			   not "for <user@...>" of a quoted Received: */
			if (bounce_text_line_address(pool_datastack_create(),
						     line, TRUE, &rest) != NULL)
				(void)bounce_text_line_recipients(ctx, line);
		}
	}
}

static void bounce_text_read_failed_header(struct bounce_text_ctx *ctx)
{
	const char *value = bounce_mail_header(ctx->mail, "X-Failed-Recipients");
	const char *const *lines, *address;
	struct bounce_recipient *rcpt;
	unsigned int end;

	if (value == NULL)
		return;
	lines = bounce_mail_text_lines(ctx->mail);
	end = bounce_mail_text_original_line(ctx->mail);
	while ((address = bounce_text_next_address(&value)) != NULL) {
		if (array_count(&ctx->report->recipients) >=
		    BOUNCE_TEXT_MAX_RECIPIENTS)
			break;
		rcpt = bounce_report_add_recipient(ctx->report, address,
						   "x-failed-recipients");
		/* the diagnostic: the first text line naming the address
		   and the indented lines under it */
		for (unsigned int i = 0; i < end; i++) {
			if (bounce_strcasestr(lines[i], address) == NULL)
				continue;
			string_t *raw = t_str_new(256);
			str_append(raw, lines[i]);
			for (unsigned int j = i + 1; lines[j] != NULL &&
			     (lines[j][0] == ' ' || lines[j][0] == '\t') &&
			     str_len(raw) < BOUNCE_TEXT_MAX_RAW_DIAGNOSTIC; j++) {
				str_append_c(raw, '\n');
				str_append(raw, lines[j]);
			}
			bounce_recipient_set_text_diagnostic(ctx->report, rcpt,
							     str_c(raw));
			break;
		}
	}
}

/* A notice about one recipient often gives the server's reply on a line
   of its own, away from the address: take the first line with a code. */
static void bounce_text_single_codes(struct bounce_text_ctx *ctx)
{
	struct bounce_recipient *rcpt =
		array_idx_modifiable(&ctx->report->recipients, ctx->first);
	const char *const *lines, *status, *reply_code;
	unsigned int end;

	if (rcpt->status != NULL || rcpt->reply_code != NULL)
		return;
	lines = bounce_mail_text_lines(ctx->mail);
	end = bounce_mail_text_original_line(ctx->mail);
	for (unsigned int n = 0; n < end; n++, lines++) {
		bounce_text_find_codes(*lines, &status, &reply_code);
		if (status != NULL || reply_code != NULL) {
			rcpt->status = p_strdup(ctx->report->pool, status);
			rcpt->reply_code = p_strdup(ctx->report->pool, reply_code);
			if (rcpt->diagnostic == NULL ||
			    strstr(rcpt->diagnostic, rcpt->address) != NULL)
				rcpt->diagnostic = bounce_text_fold(
					ctx->report->pool, *lines,
					BOUNCE_TEXT_MAX_DIAGNOSTIC);
			return;
		}
	}
}

static bool bounce_format_text_extract(const struct bounce_mail *mail,
				       struct bounce_report *report)
{
	const struct bounce_text_blocks blocks = {
		.found_by = "text",
	};
	struct bounce_text_ctx ctx;

	if (!bounce_mail_looks_like_bounce(mail))
		return FALSE;
	i_zero(&ctx);
	ctx.mail = mail;
	ctx.report = report;
	ctx.first = array_count(&report->recipients);

	if (bounce_mail_text_read_blocks(mail, &blocks, report) == 0)
		bounce_text_read_phrases(&ctx);
	bounce_text_read_failed_header(&ctx);
	if (array_count(&report->recipients) == ctx.first)
		return FALSE;
	if (array_count(&report->recipients) == ctx.first + 1)
		bounce_text_single_codes(&ctx);
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_text = {
	.name = "text",
	.extract = bounce_format_text_extract,
};
