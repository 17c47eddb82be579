/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "message-header-parser.h"
#include "charset-utf8.h"
#include "bounce-format.h"
#include "bounce-text.h"

#include <ctype.h>

/* RFC 3464 (and RFC 1894) message/delivery-status: one group of
   per-message fields, then one group per recipient, groups separated by
   empty lines. Real MTAs get the separators wrong in both directions, so
   a recipient group also starts when a recipient field repeats. */

#define BOUNCE_DSN_MAX_RECIPIENTS BOUNCE_TEXT_MAX_RECIPIENTS

/* The human-readable layouts, tried on the bounce's text to fill what
   the delivery-status part leaves out: Postfix states the SMTP command
   only in the text ("in reply to RCPT TO command"), OpenSMTPD and many
   others give the remote server's reply only there. */
static const struct bounce_format *const bounce_dsn_text_formats[] = {
	&bounce_format_qmail,
	&bounce_format_opensmtpd,
	&bounce_format_sendmail,
	&bounce_format_exim,
	&bounce_format_courier,
	&bounce_format_postfix,
	&bounce_format_text,
};

/* DSN fields that start a delivery-status block quoted in the text of a
   bounce whose MIME structure is broken */
static const char *const bounce_dsn_text_fields[] = {
	"Reporting-MTA:", "Final-Recipient:", "Original-Recipient:", NULL
};

struct bounce_dsn_context {
	struct bounce_report *report;
	/* the fields of the recipient group being read */
	const char *final_recipient, *original_recipient, *action, *status;
	const char *remote_mta, *diagnostic, *last_attempt, *will_retry;
	bool group_has_recipient_field;
};

static const char *bounce_dsn_strip_type(const char *value)
{
	/* "dns; mx.example.org", "smtp; 550 ..." */
	const char *p = strchr(value, ';');

	if (p == NULL)
		return value;
	p++;
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static const char *bounce_dsn_value_type(const char *value)
{
	const char *p = strchr(value, ';');

	if (p == NULL)
		return NULL;
	return t_str_lcase(t_strdup_until(value, p));
}

/* A delivery-status part has no charset, yet Japanese MTAs (Domino,
   carriers) write their Diagnostic-Code in ISO-2022-JP, recognisable by
   its escape to JIS X 0208: decode it so that phrases can match. */
static const char *bounce_dsn_decode_jis(const char *value)
{
	enum charset_result result;
	string_t *str;

	if (strstr(value, "\x1b$B") == NULL && strstr(value, "\x1b$@") == NULL)
		return value;
	str = t_str_new(strlen(value) * 2);
	bounce_charset_keep("ISO-2022-JP");
	if (charset_to_utf8_str("ISO-2022-JP", NULL, value, str, &result) < 0 ||
	    result != CHARSET_RET_OK)
		return value;
	return str_c(str);
}

static const char *bounce_dsn_fold(pool_t pool, const char *value)
{
	char *folded, *dest;
	bool space = FALSE;

	value = bounce_dsn_decode_jis(value);
	/* never longer than the value: a plain array, not a
	   str_append_c() call per byte */
	folded = dest = t_malloc_no0(strlen(value) + 1);
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			space = dest != folded;
			continue;
		}
		if (space)
			*dest++ = ' ';
		space = FALSE;
		*dest++ = *p;
	}
	*dest = '\0';
	return p_strdup(pool, folded);
}

/* The code of a Status field, which must start with it, or NULL */
static const char *bounce_dsn_status_code(const char *status)
{
	const char *code;

	bounce_text_find_codes(status, &code, NULL);
	if (code == NULL || strncmp(status, code, strlen(code)) != 0)
		return NULL;
	return code;
}

static void bounce_dsn_flush_recipient(struct bounce_dsn_context *ctx)
{
	struct bounce_report *report = ctx->report;
	struct bounce_recipient *rcpt;
	const char *final_addr, *orig_addr, *address;
	const char *diag_status = NULL, *diag_reply = NULL, *status;
	pool_t pool = report->pool;

	final_addr = bounce_address_normalize(pool, ctx->final_recipient);
	orig_addr = bounce_address_normalize(pool, ctx->original_recipient);
	address = final_addr != NULL ? final_addr : orig_addr;
	if (address != NULL &&
	    array_count(&report->recipients) < BOUNCE_DSN_MAX_RECIPIENTS) {
		rcpt = bounce_report_add_recipient(report, address, "dsn");
		rcpt->final_recipient = final_addr;
		rcpt->original_recipient = orig_addr;
		if (ctx->action == NULL ||
		    !bounce_action_parse(t_str_lcase(ctx->action),
					 &rcpt->action))
			rcpt->action = BOUNCE_ACTION_FAILED;
		if (ctx->diagnostic != NULL) {
			rcpt->diagnostic_type =
				p_strdup(pool, bounce_dsn_value_type(ctx->diagnostic));
			rcpt->diagnostic = bounce_dsn_fold(pool,
				bounce_dsn_strip_type(ctx->diagnostic));
			bounce_text_find_codes(rcpt->diagnostic, &diag_status,
					       &diag_reply);
		}
		status = ctx->status == NULL ? NULL :
			bounce_dsn_status_code(ctx->status);
		if (status != NULL) {
			/* a generic X.0.0 says less than the code the remote
			   server gave in the diagnostic */
			if (diag_status != NULL && status[0] == diag_status[0] &&
			    strcmp(status + 1, ".0.0") == 0)
				status = diag_status;
			rcpt->status = p_strdup(pool, status);
		} else if (diag_status != NULL) {
			rcpt->status = p_strdup(pool, diag_status);
		}
		rcpt->reply_code = p_strdup(pool, diag_reply);
		if (ctx->remote_mta != NULL)
			rcpt->remote_mta = p_strdup(pool,
				bounce_dsn_strip_type(ctx->remote_mta));
		rcpt->last_attempt_date = p_strdup(pool, ctx->last_attempt);
		rcpt->will_retry_until = p_strdup(pool, ctx->will_retry);
	}
	ctx->final_recipient = ctx->original_recipient = NULL;
	ctx->action = ctx->status = ctx->remote_mta = NULL;
	ctx->diagnostic = ctx->last_attempt = ctx->will_retry = NULL;
	ctx->group_has_recipient_field = FALSE;
}

/* The DSN fields read, and where each value goes: a field of the
   recipient group being read (in struct bounce_dsn_context), or a
   per-message field of the report, where the first value is kept. */
struct bounce_dsn_field {
	const char *name;
	/* strlen(name): most field names a DSN has differ from a given one
	   in length, a cheaper test than strcasecmp() */
	size_t name_len;
	size_t offset;
	bool per_message;
	/* keep the value after "type;" ("dns; mx.example.org") */
	bool strip_type;
};
#define BOUNCE_DSN_RCPT_FIELD(name, member) \
	{ name, sizeof(name) - 1, \
	  offsetof(struct bounce_dsn_context, member), FALSE, FALSE }
#define BOUNCE_DSN_MESSAGE_FIELD(name, member, strip_type) \
	{ name, sizeof(name) - 1, \
	  offsetof(struct bounce_report, member), TRUE, strip_type }

static const struct bounce_dsn_field bounce_dsn_fields[] = {
	BOUNCE_DSN_RCPT_FIELD("Final-Recipient", final_recipient),
	BOUNCE_DSN_RCPT_FIELD("Original-Recipient", original_recipient),
	BOUNCE_DSN_RCPT_FIELD("Action", action),
	BOUNCE_DSN_RCPT_FIELD("Status", status),
	BOUNCE_DSN_RCPT_FIELD("Remote-MTA", remote_mta),
	BOUNCE_DSN_RCPT_FIELD("Diagnostic-Code", diagnostic),
	BOUNCE_DSN_RCPT_FIELD("Last-Attempt-Date", last_attempt),
	BOUNCE_DSN_RCPT_FIELD("Will-Retry-Until", will_retry),
	BOUNCE_DSN_MESSAGE_FIELD("Reporting-MTA", reporting_mta, TRUE),
	BOUNCE_DSN_MESSAGE_FIELD("Arrival-Date", arrival_date, FALSE),
	BOUNCE_DSN_MESSAGE_FIELD("Original-Envelope-Id",
				 original_envelope_id, FALSE),
};

static const struct bounce_dsn_field *
bounce_dsn_field_find(const char *name, size_t name_len)
{
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_dsn_fields); i++) {
		if (bounce_dsn_fields[i].name_len == name_len &&
		    strcasecmp(bounce_dsn_fields[i].name, name) == 0)
			return &bounce_dsn_fields[i];
	}
	return NULL;
}

static void
bounce_dsn_set_field(struct bounce_dsn_context *ctx, const char **field,
		     const unsigned char *value, size_t value_len)
{
	if (*field != NULL && field != &ctx->diagnostic) {
		/* a repeated field: a new recipient group without the
		   empty line before it */
		bounce_dsn_flush_recipient(ctx);
	}
	if (*field == NULL)
		*field = t_strndup(value, value_len);
	ctx->group_has_recipient_field = TRUE;
}

static void
bounce_dsn_set_message_field(struct bounce_report *report,
			     const struct bounce_dsn_field *field,
			     const unsigned char *value, size_t value_len)
{
	const char **dest = (const char **)
		((char *)report + field->offset);
	const char *copy;

	if (*dest != NULL)
		return;
	copy = p_strndup(report->pool, value, value_len);
	*dest = field->strip_type ? bounce_dsn_strip_type(copy) : copy;
}

static void bounce_dsn_field(struct bounce_dsn_context *ctx,
			     const struct message_header_line *hdr)
{
	/* not hdr->name_len: a name with a NUL in it counts up to the NUL,
	   as it always did */
	const struct bounce_dsn_field *field =
		bounce_dsn_field_find(hdr->name, strlen(hdr->name));

	if (field == NULL)
		return;
	if (field->per_message) {
		bounce_dsn_set_message_field(ctx->report, field,
			hdr->full_value, hdr->full_value_len);
	} else {
		bounce_dsn_set_field(ctx,
			(const char **)((char *)ctx + field->offset),
			hdr->full_value, hdr->full_value_len);
	}
}

/* a group of fields ends: its recipient, if it named one, is complete */
static void bounce_dsn_end_group(struct bounce_dsn_context *ctx)
{
	if (ctx->group_has_recipient_field)
		bounce_dsn_flush_recipient(ctx);
}

/* Read one group of fields. Returns FALSE at the end of input. */
static bool bounce_dsn_read_group(struct bounce_dsn_context *ctx,
				  struct istream *input)
{
	struct message_header_parser_ctx *parser;
	struct message_header_line *hdr;
	bool any = FALSE;

	parser = message_parse_header_init(input, NULL,
		MESSAGE_HEADER_PARSER_FLAG_CLEAN_ONELINE);
	while (bounce_header_next(parser, &hdr) > 0) {
		any = TRUE;
		bounce_dsn_field(ctx, hdr);
	}
	message_parse_header_deinit(&parser);
	bounce_dsn_end_group(ctx);
	return any || i_stream_have_bytes_left(input);
}

/* Skip empty lines. Each is a group without fields, which changes
   nothing; a header parser read each of them (a 4 KiB buffer zeroed):
   the line the part's end adds, those between groups. */
static void bounce_dsn_skip_empty_lines(struct istream *input)
{
	const unsigned char *data;
	size_t size, i;

	while (i_stream_read_more(input, &data, &size) > 0) {
		for (i = 0; i < size && data[i] == '\n'; i++) ;
		i_stream_skip(input, i);
		if (i < size)
			break;
	}
}

/* The fields group by group, a header parser for each (it stops at the
   empty line that ends a group) */
static void bounce_dsn_read_groups(struct bounce_dsn_context *ctx,
				   const unsigned char *data, size_t size)
{
	struct istream *input = i_stream_create_from_data(data, size);

	for (;;) {
		uoff_t offset;

		bounce_dsn_skip_empty_lines(input);
		if (!i_stream_have_bytes_left(input))
			break;
		offset = input->v_offset;
		if (!bounce_dsn_read_group(ctx, input) ||
		    !i_stream_have_bytes_left(input))
			break;
		if (input->v_offset == offset) {
			/* the header parser gave up on this text */
			break;
		}
	}
	i_stream_unref(&input);
}

/* The groups' lines without the empty lines ("\n" or "\r\n") between
   them, for one header parser rather than one per group (each allocated
   and zeroed a 4 KiB buffer), and where in joined each group after the
   first starts. Returns FALSE if such a group starts with a space or a
   tab: after the group before it, the line would continue that group's
   last field, where a parser of its own reads it as a field. */
static bool
bounce_dsn_join_groups(const unsigned char *data, size_t size,
		       buffer_t *joined, ARRAY_TYPE(uint64_t) *starts)
{
	const unsigned char *line = data, *end = data + size, *nl;
	bool group_ended = FALSE;
	uint64_t start;
	size_t len;

	for (; line < end; line += len) {
		nl = memchr(line, '\n', end - line);
		len = nl == NULL ? (size_t)(end - line) : (size_t)(nl - line) + 1;
		if (nl != NULL && (len == 1 || (len == 2 && line[0] == '\r'))) {
			group_ended = joined->used > 0;
			continue;
		}
		if (group_ended) {
			if (line[0] == ' ' || line[0] == '\t')
				return FALSE;
			start = joined->used;
			array_push_back(starts, &start);
			group_ended = FALSE;
		}
		buffer_append(joined, line, len);
	}
	return TRUE;
}

/* What bounce_dsn_read_groups() reads, from the joined groups: a field
   that starts at or after a group's start ends the groups before it. */
static void bounce_dsn_read_joined(struct bounce_dsn_context *ctx,
				   const buffer_t *joined,
				   const ARRAY_TYPE(uint64_t) *starts)
{
	struct istream *input =
		i_stream_create_from_data(joined->data, joined->used);
	struct message_header_parser_ctx *parser;
	struct message_header_line *hdr;
	unsigned int next = 0, count;
	const uint64_t *start = array_get(starts, &count);

	parser = message_parse_header_init(input, NULL,
		MESSAGE_HEADER_PARSER_FLAG_CLEAN_ONELINE);
	while (bounce_header_next(parser, &hdr) > 0) {
		for (; next < count && start[next] <= hdr->name_offset; next++)
			bounce_dsn_end_group(ctx);
		bounce_dsn_field(ctx, hdr);
	}
	message_parse_header_deinit(&parser);
	bounce_dsn_end_group(ctx);
	i_stream_unref(&input);
}

static void bounce_dsn_read(struct bounce_report *report,
			    const char *data, size_t size)
{
	struct bounce_dsn_context ctx;
	ARRAY_TYPE(uint64_t) starts;
	buffer_t *joined = t_buffer_create(size);

	i_zero(&ctx);
	ctx.report = report;
	t_array_init(&starts, 4);
	if (bounce_dsn_join_groups((const unsigned char *)data, size,
				   joined, &starts))
		bounce_dsn_read_joined(&ctx, joined, &starts);
	else
		bounce_dsn_read_groups(&ctx, (const unsigned char *)data, size);
}

/* A delivery-status block inside the text: a multipart/report whose
   boundaries are broken, or a DSN forwarded inline. Returns the block
   from its first field up to the copy of the returned message, or NULL
   if the text holds no recipient field. */
static const char *bounce_dsn_find_in_text(const struct bounce_mail *mail)
{
	const char *const *lines = bounce_mail_text_lines(mail);
	unsigned int end = bounce_mail_text_original_line(mail);
	string_t *block = NULL;
	bool have_recipient = FALSE;

	for (unsigned int n = 0; n < end; n++) {
		const char *line = lines[n];
		int idx = -1;

		for (unsigned int i = 0; bounce_dsn_text_fields[i] != NULL; i++) {
			const char *field = bounce_dsn_text_fields[i];

			/* the first letter rules out nearly every line of
			   the text before a strncasecmp() */
			if (i_tolower(line[0]) == i_tolower(field[0]) &&
			    strncasecmp(line, field, strlen(field)) == 0) {
				idx = i;
				break;
			}
		}
		if (block == NULL && idx < 0)
			continue;
		if (block == NULL)
			block = t_str_new(1024);
		if (idx > 0)
			have_recipient = TRUE;
		str_append(block, line);
		str_append_c(block, '\n');
	}
	return have_recipient ? str_c(block) : NULL;
}

static const struct bounce_recipient *
bounce_dsn_text_recipient(const struct bounce_report *text_report,
			  const struct bounce_recipient *rcpt,
			  unsigned int dsn_count)
{
	const struct bounce_recipient *trcpt;

	array_foreach(&text_report->recipients, trcpt) {
		if (strcmp(trcpt->address, rcpt->address) == 0 ||
		    (rcpt->original_recipient != NULL &&
		     strcmp(trcpt->address, rcpt->original_recipient) == 0))
			return trcpt;
	}
	/* one recipient on both sides: the same one, even when the text
	   shows the address before an alias was expanded */
	if (array_count(&text_report->recipients) == 1 && dsn_count == 1)
		return array_front(&text_report->recipients);
	return NULL;
}

/* Fill a DSN recipient's gaps from what the text says about it. */
static void bounce_dsn_merge_text(struct bounce_recipient *rcpt,
				  const struct bounce_recipient *trcpt)
{
	if (rcpt->diagnostic == NULL)
		rcpt->diagnostic = trcpt->diagnostic;
	if (rcpt->smtp_command == NULL)
		rcpt->smtp_command = trcpt->smtp_command;
	if (rcpt->remote_mta == NULL)
		rcpt->remote_mta = trcpt->remote_mta;
	if (rcpt->reply_code == NULL)
		rcpt->reply_code = trcpt->reply_code;
	if (trcpt->status == NULL)
		return;
	/* a generic X.0.0 says less than the code in the text, if both
	   agree on the class */
	if (rcpt->status == NULL ||
	    (strcmp(rcpt->status + 1, ".0.0") == 0 &&
	     rcpt->status[0] == trcpt->status[0]))
		rcpt->status = trcpt->status;
}

static bool bounce_dsn_all_have_remote_mta(const struct bounce_report *report,
					   unsigned int first)
{
	const struct bounce_recipient *rcpt;

	for (unsigned int i = first; i < array_count(&report->recipients); i++) {
		rcpt = array_idx(&report->recipients, i);
		if (rcpt->remote_mta == NULL)
			return FALSE;
	}
	return TRUE;
}

static void bounce_dsn_complete_from_text(const struct bounce_mail *mail,
					  struct bounce_report *report,
					  unsigned int first)
{
	struct bounce_report text_report;
	struct bounce_recipient *rcpt;
	const struct bounce_recipient *trcpt;

	i_zero(&text_report);
	text_report.pool = report->pool;
	text_report.remote_mta_unwanted =
		bounce_dsn_all_have_remote_mta(report, first);
	p_array_init(&text_report.recipients, report->pool, 4);
	bounce_report_recipients_begin(&text_report);
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_dsn_text_formats); i++) {
		if (bounce_dsn_text_formats[i]->extract(mail, &text_report))
			break;
	}
	for (unsigned int i = first; i < array_count(&report->recipients); i++) {
		rcpt = array_idx_modifiable(&report->recipients, i);
		if (rcpt->smtp_command == NULL && rcpt->diagnostic != NULL)
			rcpt->smtp_command =
				bounce_text_smtp_command(rcpt->diagnostic);
		trcpt = bounce_dsn_text_recipient(&text_report, rcpt,
			array_count(&report->recipients) - first);
		if (trcpt != NULL)
			bounce_dsn_merge_text(rcpt, trcpt);
	}
	bounce_report_recipients_done(&text_report);
}

static bool bounce_format_rfc3464_extract(const struct bounce_mail *mail,
					  struct bounce_report *report)
{
	unsigned int first = array_count(&report->recipients);
	const char *block;

	if (str_len(mail->delivery_status) > 0) {
		bounce_dsn_read(report, str_c(mail->delivery_status),
				str_len(mail->delivery_status));
	}
	if (array_count(&report->recipients) == first &&
	    (block = bounce_dsn_find_in_text(mail)) != NULL)
		bounce_dsn_read(report, block, strlen(block));
	if (array_count(&report->recipients) == first)
		return FALSE;
	bounce_dsn_complete_from_text(mail, report, first);
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

const struct bounce_format bounce_format_rfc3464 = {
	.name = "rfc3464",
	.extract = bounce_format_rfc3464_extract,
};
