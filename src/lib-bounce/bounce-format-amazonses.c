/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "json-parser.h"
#include "bounce-vendor.h"

#include <ctype.h>

/* Amazon SES sends two kinds of notice:
   - Amazon SNS notifications (mail from no-reply@sns.amazonaws.com, or
     the same JSON delivered any other way): one JSON object with
     "notificationType" Bounce, Complaint or Delivery, and the recipients
     under bounce.bouncedRecipients[], complaint.complainedRecipients[]
     or delivery.recipients[]. SNS wraps lines longer than the mail limit
     by ending them in "!" and indenting the continuation.
   - DSNs from SES's own MTA, whose Diagnostic-Code puts SES's code in
     front of the remote server's reply: "5.1.0 - Unknown address error
     550-'5.7.1 ... Access denied'", "554 4.4.7 Message expired: ...
     <421 4.4.2 Connection timed out>". The remote reply is the fact. */

#define BOUNCE_SES_MAX_JSON (1024*1024)

/* bounceType/bounceSubType pairs whose reason is certain */
static const struct {
	const char *subtype;
	enum bounce_reason reason;
} bounce_ses_subtypes[] = {
	{ "NoEmail", BOUNCE_REASON_USERUNKNOWN },
	{ "Suppressed", BOUNCE_REASON_SUPPRESSED },
	{ "OnAccountSuppressionList", BOUNCE_REASON_SUPPRESSED },
	{ "MailboxFull", BOUNCE_REASON_MAILBOXFULL },
	{ "MessageTooLarge", BOUNCE_REASON_MESGTOOBIG },
};

struct bounce_ses_json {
	struct bounce_report *report;
	const char *notification_type, *bounce_subtype, *reporting_mta;
	const char *smtp_response, *complaint_type;
	/* an SNS envelope's "Message": the SES notice as a JSON string */
	const char *sns_message;
	/* the recipient object being read */
	const char *address, *action, *status, *diagnostic;
	/* the array of recipients we are in, and its depth */
	bool in_recipients;
	unsigned int recipients_depth;
	unsigned int added;
};

/* Undo SNS's line wrapping: "...!\n " joins two lines. */
static string_t *bounce_ses_unwrap(const struct bounce_mail *mail)
{
	const char *text = str_c(mail->text), *p;
	string_t *json = t_str_new(str_len(mail->text));
	size_t run;

	p = strchr(text, '{');
	if (p == NULL)
		return NULL;
	while (*p != '\0') {
		/* the JSON is long and its lines are wide: copy up to the
		   next byte that may need undoing */
		run = strcspn(p, "!\n");
		str_append_data(json, p, run);
		p += run;
		if (p[0] == '!' && p[1] == '\n' && p[2] == ' ')
			p += 3;
		else if (p[0] == '!')
			str_append_c(json, *p++);
		else if (p[0] == '\n') {
			/* the SNS footer starts after a "--" line */
			if (strncmp(p, "\n--\n", 4) == 0)
				break;
			p++;
		}
	}
	return json;
}

static void bounce_ses_add(struct bounce_ses_json *ctx, const char *address)
{
	struct bounce_report *report = ctx->report;
	struct bounce_recipient *rcpt;
	const char *addr;

	addr = bounce_address_normalize(pool_datastack_create(), address);
	if (addr == NULL || ctx->added >= BOUNCE_VENDOR_MAX_RECIPIENTS)
		return;
	ctx->added++;
	rcpt = bounce_report_add_recipient(report, addr, "json");
	if (strcmp(ctx->notification_type, "Delivery") == 0) {
		rcpt->action = BOUNCE_ACTION_DELIVERED;
		return;
	}
	if (strcmp(ctx->notification_type, "Complaint") == 0) {
		rcpt->action = BOUNCE_ACTION_NONE;
		return;
	}
	if (ctx->action != NULL)
		(void)bounce_action_parse(t_str_lcase(ctx->action),
					  &rcpt->action);
	if (ctx->status != NULL)
		bounce_text_find_codes(ctx->status, &rcpt->status, NULL);
	rcpt->status = p_strdup(report->pool, rcpt->status);
	if (ctx->diagnostic != NULL) {
		const char *type = strchr(ctx->diagnostic, ';');

		bounce_vendor_set_diagnostic(report, rcpt, type == NULL ?
			ctx->diagnostic : type + 1);
	}
}

/* Apply the notice-wide fields, which may come after the recipients. */
static void bounce_ses_finish(struct bounce_ses_json *ctx,
			      unsigned int first_index)
{
	struct bounce_report *report = ctx->report;
	struct bounce_recipient *rcpt;
	unsigned int i, count = array_count(&report->recipients);

	for (i = first_index; i < count; i++) {
		rcpt = array_idx_modifiable(&report->recipients, i);
		if (rcpt->action == BOUNCE_ACTION_DELIVERED) {
			bounce_vendor_set_diagnostic(report, rcpt,
						     ctx->smtp_response);
			rcpt->remote_mta = p_strdup(report->pool,
						    ctx->reporting_mta);
			continue;
		}
		for (unsigned int j = 0; j < N_ELEMENTS(bounce_ses_subtypes); j++) {
			if (ctx->bounce_subtype != NULL &&
			    strcmp(ctx->bounce_subtype,
				   bounce_ses_subtypes[j].subtype) == 0) {
				bounce_vendor_set_hint(report, rcpt,
					bounce_ses_subtypes[j].reason,
					"amazonses",
					bounce_ses_subtypes[j].subtype);
			}
		}
	}
}

static void bounce_ses_key_value(struct bounce_ses_json *ctx,
				 const char *key, const char *value)
{
	if (strcmp(key, "notificationType") == 0)
		ctx->notification_type = value;
	else if (strcmp(key, "bounceSubType") == 0)
		ctx->bounce_subtype = value;
	else if (strcmp(key, "reportingMTA") == 0)
		ctx->reporting_mta = value;
	else if (strcmp(key, "complaintFeedbackType") == 0)
		ctx->complaint_type = value;
	else if (strcmp(key, "smtpResponse") == 0)
		ctx->smtp_response = value;
	else if (strcmp(key, "emailAddress") == 0)
		ctx->address = value;
	else if (strcmp(key, "action") == 0)
		ctx->action = value;
	else if (strcmp(key, "status") == 0)
		ctx->status = value;
	else if (strcmp(key, "diagnosticCode") == 0)
		ctx->diagnostic = value;
	else if (strcmp(key, "Message") == 0 && value[0] == '{')
		ctx->sns_message = value;
}

static bool bounce_ses_is_recipients_key(const char *key)
{
	return strcmp(key, "bouncedRecipients") == 0 ||
		strcmp(key, "complainedRecipients") == 0 ||
		strcmp(key, "recipients") == 0;
}

/* Walk the JSON once. The recipients come after notificationType in
   every notice SES sends, so they can be added as they are read. */
static void bounce_ses_parse(struct bounce_ses_json *ctx, string_t *json)
{
	struct istream *input;
	struct json_parser *parser;
	enum json_type type;
	const char *value, *key = "", *error;
	unsigned int depth = 0;

	input = i_stream_create_from_data(str_data(json), str_len(json));
	parser = json_parser_init(input);
	while (json_parse_next(parser, &type, &value) > 0) {
		switch (type) {
		case JSON_TYPE_OBJECT_KEY:
			key = t_strdup(value);
			break;
		case JSON_TYPE_ARRAY:
			depth++;
			if (bounce_ses_is_recipients_key(key) &&
			    !ctx->in_recipients) {
				ctx->in_recipients = TRUE;
				ctx->recipients_depth = depth;
			}
			break;
		case JSON_TYPE_OBJECT:
			depth++;
			if (ctx->in_recipients &&
			    depth == ctx->recipients_depth + 1)
				ctx->address = ctx->action = ctx->status =
					ctx->diagnostic = NULL;
			break;
		case JSON_TYPE_OBJECT_END:
			if (ctx->in_recipients &&
			    depth == ctx->recipients_depth + 1 &&
			    ctx->address != NULL &&
			    ctx->notification_type != NULL)
				bounce_ses_add(ctx, ctx->address);
			depth--;
			break;
		case JSON_TYPE_ARRAY_END:
			if (ctx->in_recipients &&
			    depth == ctx->recipients_depth)
				ctx->in_recipients = FALSE;
			depth--;
			break;
		case JSON_TYPE_STRING:
			if (ctx->in_recipients &&
			    depth == ctx->recipients_depth &&
			    ctx->notification_type != NULL) {
				/* delivery.recipients: plain strings */
				bounce_ses_add(ctx, value);
				break;
			}
			bounce_ses_key_value(ctx, key, t_strdup(value));
			break;
		default:
			break;
		}
	}
	if (json_parser_deinit(&parser, &error) < 0) {
		/* what was read before the error still counts: SNS bodies
		   are sometimes cut */
	}
	i_stream_unref(&input);
}

static bool bounce_ses_extract_json(const struct bounce_mail *mail,
				    struct bounce_report *report)
{
	struct bounce_ses_json ctx;
	string_t *json;
	unsigned int first_index = array_count(&report->recipients);

	/* every mail comes here: the text's pairs of bytes rule most out
	   before a search of the whole text */
	if (str_len(mail->text) > BOUNCE_SES_MAX_JSON ||
	    !bounce_vendor_text_contains(mail, "notificationtype") ||
	    strstr(str_c(mail->text), "notificationType") == NULL)
		return FALSE;
	json = bounce_ses_unwrap(mail);
	if (json == NULL)
		return FALSE;
	i_zero(&ctx);
	ctx.report = report;
	bounce_ses_parse(&ctx, json);
	if (ctx.added == 0 && ctx.sns_message != NULL) {
		/* the notice came inside an SNS envelope */
		json = t_str_new(strlen(ctx.sns_message));
		str_append(json, ctx.sns_message);
		i_zero(&ctx);
		ctx.report = report;
		bounce_ses_parse(&ctx, json);
	}
	if (ctx.added == 0)
		return FALSE;
	bounce_ses_finish(&ctx, first_index);
	if (strcmp(ctx.notification_type, "Complaint") == 0) {
		report->kind = BOUNCE_KIND_FEEDBACK;
		/* ARF's Feedback-Type vocabulary; absent if the mailbox
		   provider gave none */
		report->feedback_type = p_strdup(report->pool,
						 ctx.complaint_type);
	} else {
		report->kind = BOUNCE_KIND_DSN;
	}
	return TRUE;
}

/* The remote server's reply inside SES's diagnostic: after the last
   "<" or "'" that starts a reply code. Returns NULL if there is none. */
static const char *bounce_ses_inner_reply(const char *diagnostic)
{
	const char *inner = NULL;

	for (const char *p = diagnostic; *p != '\0'; p++) {
		if ((*p == '<' || *p == '\'') &&
		    (p[1] == '4' || p[1] == '5') &&
		    (p[2] == '.' || i_isdigit(p[2])) && i_isdigit(p[3]))
			inner = p + 1;
	}
	return inner;
}

static void bounce_ses_refine(struct bounce_report *report)
{
	struct bounce_recipient *rcpt;
	const char *inner, *status;

	array_foreach_modifiable(&report->recipients, rcpt) {
		if (rcpt->diagnostic == NULL)
			continue;
		inner = bounce_ses_inner_reply(rcpt->diagnostic);
		if (inner == NULL)
			continue;
		bounce_text_find_codes(inner, &status, NULL);
		if (status != NULL && rcpt->status != NULL &&
		    status[0] == rcpt->status[0])
			rcpt->status = p_strdup(report->pool, status);
		/* "Unknown address error 552-'5.2.2 ...'": the remote reply
		   code stands just before the quote */
		if (rcpt->reply_code == NULL && inner - rcpt->diagnostic >= 5 &&
		    (inner[-2] == '-' || inner[-2] == ' ') &&
		    (inner[-5] == '4' || inner[-5] == '5') &&
		    i_isdigit(inner[-4]) && i_isdigit(inner[-3]))
			rcpt->reply_code = p_strndup(report->pool, inner - 5, 3);
	}
}

static const struct bounce_vendor_signature bounce_ses_signatures[] = {
	{ "From", "amazonses.com" },
	{ "X-SES-Outgoing", "" },
	{ "Feedback-ID", "amazonses" },
	{ NULL, NULL }
};

static bool bounce_format_amazonses_extract(const struct bounce_mail *mail,
					    struct bounce_report *report)
{
	if (bounce_ses_extract_json(mail, report))
		return TRUE;
	if (!bounce_vendor_signatures_match(mail, bounce_ses_signatures, 1) ||
	    !bounce_vendor_read_dsn(mail, report))
		return FALSE;
	bounce_ses_refine(report);
	return TRUE;
}

const struct bounce_format bounce_format_amazonses = {
	.name = "amazonses",
	.extract = bounce_format_amazonses_extract,
};
