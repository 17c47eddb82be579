/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "hash.h"
#include "message-address.h"
#include "bounce-settings.h"
#include "bounce-verp.h"
#include "bounce-format.h"
#include "bounce-text.h"

#include <ctype.h>

static const struct bounce_format *const bounce_formats[] = {
#define BOUNCE_FORMAT_REF(sym) &sym,
	BOUNCE_FORMAT_LIST(BOUNCE_FORMAT_REF)
#undef BOUNCE_FORMAT_REF
};

/* Where the envelope recipient of the bounce (our return path) is
   recorded, most reliable first. */
static const char *const bounce_envelope_headers[] = {
	"Delivered-To", "X-Original-To", "Envelope-To", "X-Envelope-To",
	"To", NULL
};

static void bounce_recipient_init(struct bounce_recipient *rcpt,
				  const char *address, const char *found_by)
{
	i_zero(rcpt);
	rcpt->address = address;
	rcpt->found_by = found_by;
	rcpt->action = BOUNCE_ACTION_FAILED;
	rcpt->reason_hint = BOUNCE_REASON_UNDEFINED;
}

/* Past the cap the report says it is incomplete, and the caller gets a
   recipient to fill in that is not part of it: a format without a cap
   of its own neither crashes nor grows the report. */
static struct bounce_recipient *
bounce_report_overflow_recipient(struct bounce_report *report,
				 const char *address, const char *found_by)
{
	report->truncated = TRUE;
	if (report->recipient_overflow == NULL) {
		report->recipient_overflow =
			p_new(report->pool, struct bounce_recipient, 1);
	}
	bounce_recipient_init(report->recipient_overflow,
			      p_strdup(report->pool, address), found_by);
	return report->recipient_overflow;
}

/* Up to this many recipients a report is searched one by one: most
   bounces name one or two, and creating and destroying a hash table for
   each report (the mail's, the text's in a DSN) cost 1% of the
   classifier's instructions. */
#define BOUNCE_REPORT_INDEX_MIN_RECIPIENTS 16

static void bounce_report_index_recipients(struct bounce_report *report);

static struct bounce_recipient *
bounce_report_find_recipient(struct bounce_report *report,
			     const char *address)
{
	struct bounce_recipient *rcpt;
	unsigned int idx;

	if (hash_table_is_created(report->recipient_index)) {
		idx = POINTER_CAST_TO(hash_table_lookup(report->recipient_index,
							address), unsigned int);
		return idx == 0 ? NULL :
			array_idx_modifiable(&report->recipients, idx - 1);
	}
	/* a handful of recipients */
	array_foreach_modifiable(&report->recipients, rcpt) {
		if (strcmp(rcpt->address, address) == 0)
			return rcpt;
	}
	return NULL;
}

struct bounce_recipient *
bounce_report_add_recipient(struct bounce_report *report,
			    const char *address, const char *found_by)
{
	struct bounce_recipient *rcpt;
	const char *lower = bounce_ascii_lcase(unsafe_data_stack_pool,
					       address);

	rcpt = bounce_report_find_recipient(report, lower);
	if (rcpt != NULL)
		return rcpt;
	if (array_count(&report->recipients) >= BOUNCE_MAX_RECIPIENTS)
		return bounce_report_overflow_recipient(report, lower, found_by);
	rcpt = array_append_space(&report->recipients);
	bounce_recipient_init(rcpt, p_strdup(report->pool, lower), found_by);
	if (hash_table_is_created(report->recipient_index)) {
		hash_table_insert(report->recipient_index, rcpt->address,
				  POINTER_CAST(array_count(&report->recipients)));
	} else if (report->recipient_index_wanted &&
		   array_count(&report->recipients) >
		   BOUNCE_REPORT_INDEX_MIN_RECIPIENTS) {
		bounce_report_index_recipients(report);
	}
	return rcpt;
}

static void bounce_report_index_recipients(struct bounce_report *report)
{
	const struct bounce_recipient *rcpt;

	hash_table_create(&report->recipient_index, default_pool, 0,
			  str_hash, strcmp);
	array_foreach(&report->recipients, rcpt) {
		hash_table_insert(report->recipient_index, rcpt->address,
			POINTER_CAST(array_foreach_idx(&report->recipients,
						       rcpt) + 1));
	}
}

void bounce_report_recipients_begin(struct bounce_report *report)
{
	i_assert(!report->recipient_index_wanted);
	report->recipient_index_wanted = TRUE;
	if (array_count(&report->recipients) >
	    BOUNCE_REPORT_INDEX_MIN_RECIPIENTS)
		bounce_report_index_recipients(report);
}

bool bounce_report_text_finish(struct bounce_report *report,
			       unsigned int first, enum bounce_action action)
{
	struct bounce_recipient *rcpt;
	unsigned int count = array_count(&report->recipients);

	if (count == first)
		return FALSE;
	for (unsigned int i = first; i < count; i++) {
		rcpt = array_idx_modifiable(&report->recipients, i);
		rcpt->action = action;
	}
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}

void bounce_report_recipients_done(struct bounce_report *report)
{
	if (hash_table_is_created(report->recipient_index))
		hash_table_destroy(&report->recipient_index);
	report->recipient_index_wanted = FALSE;
}

static bool bounce_is_code_boundary(char c)
{
	return c == '\0' || !(i_isalnum(c) || c == '.' || c == '@' ||
			      c == '_');
}

/* Match class.subject.detail at p: class 2/4/5, subject 1-3 digits,
   detail 1-3 digits, not part of a longer token (IP addresses, versions).
   Returns the length or 0. */
static size_t bounce_match_status(const char *p)
{
	size_t i = 0, n;

	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return 0;
	if (p[1] != '.')
		return 0;
	i = 2;
	for (n = 0; i_isdigit(p[i]) && n < 4; i++, n++) ;
	if (n == 0 || n > 3 || p[i] != '.')
		return 0;
	i++;
	for (n = 0; i_isdigit(p[i]) && n < 4; i++, n++) ;
	if (n == 0 || n > 3)
		return 0;
	if (p[i] == '.' && i_isdigit(p[i+1]))
		return 0;
	if (!bounce_is_code_boundary(p[i]) && p[i] != '.')
		return 0;
	return i;
}

static bool bounce_match_reply_code(const char *p)
{
	if (p[0] != '2' && p[0] != '4' && p[0] != '5')
		return FALSE;
	if (!i_isdigit(p[1]) || !i_isdigit(p[2]))
		return FALSE;
	/* "550 ", "550-", "550:" or end; not "550.5" or "5501" */
	return p[3] == ' ' || p[3] == '-' || p[3] == '\0' || p[3] == '\t' ||
		p[3] == ':' || p[3] == ')' || p[3] == ']' || p[3] == ',';
}

void bounce_text_find_codes(const char *text, const char **status_r,
			    const char **reply_code_r)
{
	const char *status = NULL, *reply = NULL;
	size_t len;

	/* Both codes begin with their class digit, so only a 2, 4 or 5 can
	   start one: strpbrk() (vectorised) skips the bytes in between,
	   which are nearly all of a diagnostic, instead of testing each. */
	for (const char *p = text; (p = strpbrk(p, "245")) != NULL; p++) {
		if (p != text && !bounce_is_code_boundary(p[-1]) &&
		    p[-1] != '#')
			continue;
		if (status == NULL && (len = bounce_match_status(p)) > 0) {
			status = t_strndup(p, len);
			p += len - 1;
			if (reply != NULL)
				break;
			continue;
		}
		if (reply == NULL && status == NULL &&
		    bounce_match_reply_code(p))
			reply = t_strndup(p, 3);
		if (status != NULL && reply != NULL)
			break;
	}
	if (status_r != NULL)
		*status_r = status;
	if (reply_code_r != NULL)
		*reply_code_r = reply;
}

/* The bytes that end an address token: whitespace (as isspace() in the
   C locale) and the punctuation around addresses in headers and texts.
   A table, not strchr() on a list nor a call to isspace(): this is asked
   for every byte of every address read. */
static const bool bounce_address_token_ends[256] = {
	[' '] = TRUE, ['\t'] = TRUE, ['\n'] = TRUE, ['\v'] = TRUE,
	['\f'] = TRUE, ['\r'] = TRUE,
	['<'] = TRUE, ['>'] = TRUE, ['('] = TRUE, [')'] = TRUE,
	['['] = TRUE, [']'] = TRUE, ['"'] = TRUE, ['\''] = TRUE,
	[','] = TRUE, [';'] = TRUE, [':'] = TRUE,
};

static inline bool bounce_address_char_ends_token(char c)
{
	return bounce_address_token_ends[(unsigned char)c];
}

const char *bounce_address_normalize(pool_t pool, const char *value)
{
	const char *p, *start, *end, *at;

	if (value == NULL)
		return NULL;
	/* "rfc822; user@example.org": drop the address type */
	p = strchr(value, ';');
	if (p != NULL && strchr(p, '@') != NULL)
		value = p + 1;
	/* a quoted local part ("john..doe"@example.org) may hold any
	   character; keep it whole, quotes included */
	start = strchr(value, '"');
	at = start == NULL ? NULL : strstr(start + 1, "\"@");
	if (at != NULL && strchr(start + 1, '"') == at) {
		at++;
	} else {
		at = strchr(value, '@');
		if (at == NULL)
			return NULL;
		/* the token around the '@' */
		start = at;
		while (start > value &&
		       !bounce_address_char_ends_token(start[-1]))
			start--;
	}
	end = at;
	while (*end != '\0' && !bounce_address_char_ends_token(*end))
		end++;
	while (end > at + 1 && end[-1] == '.')
		end--;
	if (start == at || end == at + 1)
		return NULL;
	return bounce_ascii_lcase(pool, t_strdup_until(start, end));
}

static void bounce_extract_orig_message(const struct bounce_mail *mail,
					struct bounce_report *report)
{
	pool_t pool = report->pool;

	if (report->orig_message_id == NULL)
		report->orig_message_id = p_strdup(pool,
			bounce_mail_orig_header(mail, "Message-ID"));
	if (report->orig_from == NULL)
		report->orig_from = p_strdup(pool,
			bounce_mail_orig_header(mail, "From"));
	if (report->orig_to == NULL)
		report->orig_to = p_strdup(pool,
			bounce_mail_orig_header(mail, "To"));
	if (report->orig_subject == NULL)
		report->orig_subject = p_strdup(pool,
			bounce_mail_orig_header(mail, "Subject"));
	if (report->orig_list_id == NULL)
		report->orig_list_id = p_strdup(pool,
			bounce_mail_orig_header(mail, "List-Id"));
}

static void
bounce_extract_campaign_headers(const struct bounce_mail *mail,
				const struct bounce_analyze_settings *set,
				struct bounce_report *report)
{
	struct bounce_header *hdr;
	const char *value;

	if (set->campaign_headers == NULL)
		return;
	for (unsigned int i = 0; set->campaign_headers[i] != NULL; i++) {
		const char *name = set->campaign_headers[i];

		/* the original message is the one the campaign sent; some
		   ESPs copy the headers into the bounce itself */
		value = bounce_mail_orig_header(mail, name);
		if (value == NULL)
			value = bounce_mail_header(mail, name);
		if (value == NULL)
			continue;
		hdr = array_append_space(&report->campaign_headers);
		hdr->name = p_strdup(report->pool, name);
		hdr->value = p_strdup(report->pool, value);
	}
}

static void bounce_extract_verp(const struct bounce_mail *mail,
				const struct bounce_analyze_settings *set,
				struct bounce_report *report)
{
	const char *value, *address, *decoded;

	for (unsigned int i = 0; bounce_envelope_headers[i] != NULL; i++) {
		value = bounce_mail_header(mail, bounce_envelope_headers[i]);
		if (value == NULL)
			continue;
		address = bounce_address_normalize(pool_datastack_create(),
						   value);
		if (address == NULL)
			continue;
		decoded = bounce_verp_decode(report->pool, address,
					     set->verp_delimiters,
					     set->verp_equals);
		if (decoded != NULL) {
			report->verp_recipient = decoded;
			return;
		}
	}
}

static void bounce_apply_verp(struct bounce_report *report)
{
	struct bounce_recipient *rcpt;

	if (report->verp_recipient == NULL)
		return;
	if (array_count(&report->recipients) == 0) {
		/* the return path names the subscriber even when the
		   bounce's text doesn't */
		(void)bounce_report_add_recipient(report,
			report->verp_recipient, "verp");
		return;
	}
	if (array_count(&report->recipients) == 1) {
		/* a VERP bounce is about exactly one subscriber: the one
		   the list sent to, even if it was forwarded elsewhere */
		rcpt = array_idx_modifiable(&report->recipients, 0);
		if (rcpt->original_recipient == NULL)
			rcpt->original_recipient = rcpt->address;
		rcpt->address = report->verp_recipient;
		rcpt->found_by = "verp";
	}
}

/* While the formats run, the recipients grow in default_pool. Growing
   an array in the report's alloconly pool would leave every outgrown
   copy behind: 7.3 MB instead of 2 MB of report for 10,000 recipients.
   The array is kept from mail to mail (its allocation was a tenth of
   the extraction of a short bounce), unless a long list grew it. */
#define BOUNCE_EXTRACT_KEPT_MAX_RECIPIENTS 64
static ARRAY_TYPE(bounce_recipient) bounce_extract_recipients;

static void bounce_extract_begin(struct bounce_report *report)
{
	ARRAY_TYPE(bounce_recipient) pool_recipients = report->recipients;

	if (!array_is_created(&bounce_extract_recipients))
		i_array_init(&bounce_extract_recipients, 16);
	report->recipients = bounce_extract_recipients;
	array_clear(&report->recipients);
	array_append_array(&report->recipients, &pool_recipients);
	bounce_report_recipients_begin(report);
}

void bounce_extract_deinit(void)
{
	if (array_is_created(&bounce_extract_recipients))
		array_free(&bounce_extract_recipients);
}

static void bounce_extract_end(struct bounce_report *report)
{
	ARRAY_TYPE(bounce_recipient) pool_recipients;

	bounce_report_recipients_done(report);
	if (array_count(&report->recipients) >= BOUNCE_MAX_RECIPIENTS) {
		/* the formats stop reading at the cap, so whether more
		   were listed is unknown */
		report->truncated = TRUE;
	}
	/* exactly as big as needed */
	p_array_init(&pool_recipients, report->pool,
		     I_MAX(array_count(&report->recipients), 1));
	array_append_array(&pool_recipients, &report->recipients);
	/* the same array as bounce_extract_recipients, maybe grown */
	bounce_extract_recipients = report->recipients;
	if (buffer_get_size(bounce_extract_recipients.arr.buffer) >
	    BOUNCE_EXTRACT_KEPT_MAX_RECIPIENTS *
	    sizeof(struct bounce_recipient))
		array_free(&bounce_extract_recipients);
	report->recipients = pool_recipients;
}

/* Most formats find nothing to read in a mail and allocate nothing: a
   data stack frame for each cost more than many of them. They share one
   frame, which is let go once what they left in it passes this. */
#define BOUNCE_EXTRACT_FRAME_MAX (64 * 1024)

static void bounce_extract_formats(const struct bounce_mail *mail,
				   struct bounce_report *report)
{
	data_stack_frame_t frame = t_push(__func__);
	size_t frame_start = data_stack_get_used_size();

	for (unsigned int i = 0; i < N_ELEMENTS(bounce_formats); i++) {
		if (bounce_formats[i]->extract(mail, report)) {
			report->format = bounce_formats[i]->name;
			break;
		}
		if (data_stack_get_used_size() - frame_start >
		    BOUNCE_EXTRACT_FRAME_MAX) {
			if (!t_pop(&frame))
				i_panic("Leaked t_pop() call");
			frame = t_push(__func__);
			frame_start = data_stack_get_used_size();
		}
	}
	if (!t_pop(&frame))
		i_panic("Leaked t_pop() call");
}

void bounce_extract(const struct bounce_mail *mail,
		    const struct bounce_analyze_settings *set,
		    struct bounce_report *report)
{
	if (mail->truncated)
		report->truncated = TRUE;
	report->message_id = p_strdup(report->pool,
				      bounce_mail_header(mail, "Message-ID"));
	bounce_extract_begin(report);
	bounce_extract_formats(mail, report);
	T_BEGIN {
		bounce_extract_orig_message(mail, report);
		bounce_extract_campaign_headers(mail, set, report);
		bounce_extract_verp(mail, set, report);
	} T_END;
	if (report->kind != BOUNCE_KIND_AUTOREPLY &&
	    report->kind != BOUNCE_KIND_FEEDBACK)
		bounce_apply_verp(report);
	bounce_extract_end(report);
}
