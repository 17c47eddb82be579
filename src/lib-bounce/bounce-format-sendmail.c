/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "hash.h"
#include "bounce-format.h"
#include "bounce-text.h"

/* Sendmail savemail.c notices without a usable delivery-status part
   (old V8 sendmail, or a relay that dropped the DSN):

        ----- The following addresses had permanent fatal errors -----
     <user@example.org>
         (reason: 550 5.1.1 <user@example.org>... User unknown)
         (expanded from: <alias@example.net>)

        ----- Transcript of session follows -----
     ... while talking to mx.example.org.:
     >>> RCPT To:<user@example.org>
     <<< 550 5.1.1 <user@example.org>... User unknown
     550 5.1.1 <user@example.org>... User unknown

   Warnings say "had transient non-fatal errors". Local delivery errors
   skip the "... while talking to" part and keep only the last line. */

/* lower-case: looked up in the mail's lower-cased text */
static const char *const bounce_sendmail_list_markers[] = {
	"following addresses had permanent fatal errors",
	"following addresses had transient non-fatal errors",
	"following addresses had delivery problems",
	NULL
};
#define BOUNCE_SENDMAIL_TRANSCRIPT "----- transcript of session follows -----"

struct bounce_sendmail_ctx {
	struct bounce_report *report;
	unsigned int first;
	/* address -> index + 1 in report->recipients, built when the
	   transcript starts, so that each of its lines costs O(1) */
	HASH_TABLE(const char *, void *) index;
	const char *command;
	struct bounce_recipient *session_rcpt;
};

static void bounce_sendmail_index(struct bounce_sendmail_ctx *ctx)
{
	const struct bounce_recipient *rcpt;

	if (hash_table_is_created(ctx->index))
		return;
	hash_table_create(&ctx->index, pool_datastack_create(), 0,
			  str_hash, strcmp);
	for (unsigned int i = ctx->first;
	     i < array_count(&ctx->report->recipients); i++) {
		rcpt = array_idx(&ctx->report->recipients, i);
		hash_table_update(ctx->index, rcpt->address,
				  POINTER_CAST(i + 1));
	}
}

static struct bounce_recipient *
bounce_sendmail_find(struct bounce_sendmail_ctx *ctx, const char *address)
{
	unsigned int idx;

	if (!hash_table_is_created(ctx->index))
		return NULL;
	idx = POINTER_CAST_TO(hash_table_lookup(ctx->index, address),
			      unsigned int);
	if (idx == 0)
		return NULL;
	return array_idx_modifiable(&ctx->report->recipients, idx - 1);
}

/* The recipient list: "<addr>" lines, each optionally followed by
   "(reason: ...)" and "(expanded from: ...)". */
static void bounce_sendmail_list_line(struct bounce_sendmail_ctx *ctx,
				      const char *line,
				      struct bounce_recipient **rcpt_r)
{
	const char *address, *rest, *p = line + strspn(line, " \t");

	if (strncasecmp(p, "(reason:", 8) == 0 && *rcpt_r != NULL) {
		const char *reason = p + 8, *end = strrchr(reason, ')');

		bounce_recipient_set_text_diagnostic(ctx->report, *rcpt_r,
			end == NULL ? reason : t_strdup_until(reason, end));
		return;
	}
	if (*p == '(')
		return;
	address = bounce_text_line_address(ctx->report->pool, p, TRUE, &rest);
	if (address != NULL &&
	    array_count(&ctx->report->recipients) < BOUNCE_TEXT_MAX_RECIPIENTS)
		*rcpt_r = bounce_report_add_recipient(ctx->report, address,
						      "text");
}

/* The transcript: ">>> COMMAND", "<<< reply", and the final
   "550 5.1.1 <addr>... reason" lines. */
static void bounce_sendmail_transcript_line(struct bounce_sendmail_ctx *ctx,
					    const char *line)
{
	struct bounce_recipient *rcpt;
	const char *address, *rest, *p;

	if (str_begins(line, ">>> ")) {
		ctx->command = bounce_text_smtp_command(line);
		if (ctx->command != NULL && strcmp(ctx->command, "RCPT") == 0 &&
		    (p = strchr(line, '<')) != NULL &&
		    (address = bounce_text_line_address(pool_datastack_create(),
							p, FALSE, &rest)) != NULL)
			ctx->session_rcpt = bounce_sendmail_find(ctx, address);
		return;
	}
	if (str_begins(line, "<<< ")) {
		rcpt = ctx->session_rcpt;
		if (rcpt == NULL &&
		    array_count(&ctx->report->recipients) == ctx->first + 1)
			rcpt = array_idx_modifiable(&ctx->report->recipients,
						    ctx->first);
		if (rcpt == NULL || (line[4] != '4' && line[4] != '5'))
			return;
		if (rcpt->smtp_command == NULL)
			rcpt->smtp_command = ctx->command;
		bounce_recipient_set_text_diagnostic(ctx->report, rcpt,
						     line + 4);
		return;
	}
	/* "550 5.1.1 <user@example.org>... User unknown",
	   "<user@example.org>... Deferred: Connection timed out" */
	p = strchr(line, '<');
	if ((line[0] != '4' && line[0] != '5' && line[0] != '<') || p == NULL)
		return;
	address = bounce_text_line_address(pool_datastack_create(), p, FALSE,
					   &rest);
	if (address == NULL || !str_begins(rest, "..."))
		return;
	rcpt = bounce_sendmail_find(ctx, address);
	if (rcpt != NULL)
		bounce_recipient_set_text_diagnostic(ctx->report, rcpt, line);
}

static bool bounce_format_sendmail_extract(const struct bounce_mail *mail,
					   struct bounce_report *report)
{
	struct bounce_sendmail_ctx ctx;
	struct bounce_recipient *list_rcpt = NULL;
	const char *const *lines;
	enum { NONE, LIST, TRANSCRIPT } section = NONE;
	enum bounce_action action = BOUNCE_ACTION_FAILED;
	unsigned int end;

	if (!bounce_mail_text_contains_any(mail, bounce_sendmail_list_markers))
		return FALSE;

	i_zero(&ctx);
	ctx.report = report;
	ctx.first = array_count(&report->recipients);
	/* read up to the copy of the returned message */
	lines = bounce_mail_text_lines(mail);
	end = bounce_mail_text_original_line(mail);
	if (bounce_mail_text_delay_line(mail) < end)
		action = BOUNCE_ACTION_DELAYED;
	for (unsigned int i = 0; i < end; i++) {
		const char *line = lines[i];

		if (bounce_text_find_any(line, bounce_sendmail_list_markers) >= 0) {
			section = LIST;
			list_rcpt = NULL;
		} else if (bounce_strcasestr(line, BOUNCE_SENDMAIL_TRANSCRIPT) != NULL) {
			section = TRANSCRIPT;
			bounce_sendmail_index(&ctx);
		} else if (section == LIST && line[0] == '\0') {
			section = NONE;
		} else if (section == LIST) {
			bounce_sendmail_list_line(&ctx, line, &list_rcpt);
		} else if (section == TRANSCRIPT) {
			bounce_sendmail_transcript_line(&ctx, line);
		}
	}
	if (hash_table_is_created(ctx.index))
		hash_table_destroy(&ctx.index);
	return bounce_report_text_finish(report, ctx.first, action);
}

const struct bounce_format bounce_format_sendmail = {
	.name = "sendmail",
	.extract = bounce_format_sendmail_extract,
};
