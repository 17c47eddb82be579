/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "unichar.h"
#include "bounce-format.h"
#include "bounce-text.h"

#include <ctype.h>

/* Lines that separate a text-only bounce from the copy of the returned
   message. Everything after them is the sender's own mail, whose
   addresses and text must never be taken for the bounce's. */
static const char *const bounce_original_markers[] = {
	/* qmail-send.c */
	"below this line is a copy of the message",
	/* indimail, netqmail forks */
	"enclosed is a copy of the message",
	/* Exim deliver.c */
	"this is a copy of the message, including all the headers",
	"this is a copy of your message, including all the headers",
	"this is a copy of the message's headers",
	"this is a copy of your message's headers",
	/* Exim 3 */
	"message text follows:",
	/* Sendmail savemail.c, and many small MTAs */
	"original message follows",
	"message header follows",
	"original message headers follow",
	"undelivered message headers follow",
	/* OpenSMTPD bounce.c */
	"below is a copy of the original message",
	"unsent message below",
	"your message reads (in part):",
	/* a bounce forwarded inline: its own MIME structure follows */
	"content-type: message/rfc822",
	"content-type: text/rfc822-headers",
	NULL
};

/* What a diagnostic says about the SMTP command it failed at. The table
   is tried in order; more specific phrases come first. */
static const struct {
	const char *phrase;
	const char *command;
} bounce_smtp_command_phrases[] = {
	/* Postfix smtp(8): "(in reply to RCPT TO command)" */
	{ "in reply to end of data command", "DATA" },
	{ "in reply to data command", "DATA" },
	{ "in reply to rcpt to command", "RCPT" },
	{ "in reply to mail from command", "MAIL" },
	{ "in reply to ehlo command", "HELO" },
	{ "in reply to helo command", "HELO" },
	{ "in reply to lhlo command", "HELO" },
	{ "in reply to starttls command", "HELO" },
	{ "in reply to initial greeting", "CONN" },
	{ "refused to talk to me", "CONN" },
	/* Exim transports/smtp.c: "SMTP error from remote mail server
	   after RCPT TO:<...>:" */
	{ "after end of data", "DATA" },
	{ "after pipelined rcpt to", "RCPT" },
	{ "after rcpt to", "RCPT" },
	{ "after pipelined mail from", "MAIL" },
	{ "after mail from", "MAIL" },
	{ "after pipelined data", "DATA" },
	{ "after data", "DATA" },
	{ "after ehlo", "HELO" },
	{ "after helo", "HELO" },
	{ "after lhlo", "HELO" },
	{ "after initial connection", "CONN" },
	/* Sendmail and Courier session transcripts */
	{ ">>> rcpt to", "RCPT" },
	{ ">>> mail from", "MAIL" },
	{ ">>> data", "DATA" },
	{ ">>> ehlo", "HELO" },
	{ ">>> helo", "HELO" },
	/* qmail-remote.c */
	{ "does not like recipient", "RCPT" },
	{ "failed on data command", "DATA" },
	{ "failed after i sent the message", "DATA" },
	{ "but sender was rejected", "MAIL" },
	{ "but my name was rejected", "HELO" },
	{ "but greeting failed", "CONN" },
	{ "most progress was rcpt to", "RCPT" },
	{ "most progress was mail from", "MAIL" },
	{ "most progress was ehlo", "HELO" },
	{ "most progress was helo", "HELO" },
	/* small MTAs: "refused to accept your message (DATA)" */
	{ "(rcpt to)", "RCPT" },
	{ "(mail from)", "MAIL" },
	{ "(data)", "DATA" },
};

/* Where a diagnostic names the remote host: the host name is the token
   right after the phrase. */
static const char *const bounce_remote_mta_phrases[] = {
	/* qmail: "Remote host 192.0.2.1 said:" */
	"remote host ",
	/* qmail: "Giving up on 192.0.2.1." */
	"giving up on ",
	/* qmail: "Connected to 192.0.2.1 but sender was rejected." */
	"connected to ",
	/* Sendmail: "... while talking to mx.example.org.:" */
	"while talking to ",
	/* Postfix: "host mx.example.org[192.0.2.1] said:";
	   Exim: "host mx.example.org [192.0.2.1]:" */
	"host ",
	NULL
};

/* The whole text announces a delay, not a failure. */
static const char *const bounce_delay_phrases[] = {
	/* Postfix bounce(5) delay template */
	"this is a warning only",
	"this is a warning message only",
	/* Sendmail */
	"transient non-fatal errors",
	"warning: could not send message for past",
	/* Exim */
	"has not yet been delivered to one or more of its",
	/* OpenSMTPD bounce.c */
	"a message is delayed for more than",
	"this is only a temporary failure report",
	/* Courier */
	"delays in delivering your message",
	NULL
};

/* From: of a notice sent by mail software */
static const char *const bounce_text_daemon_senders[] = {
	"mailer-daemon", "postmaster", "mail delivery", "mail-daemon",
	"mail administrator", "mailer daemon", NULL
};
/* Subject: of a non-delivery notice */
static const char *const bounce_text_bounce_subjects[] = {
	"undeliver", "undelivered", "delivery fail", "failure notice",
	"failure delivery", "delivery status notification",
	"returned mail", "mail delivery failed", "delivery problem",
	"could not be delivered", "nondeliverable", "non-delivery",
	"non delivery", "returned to sender", "delivery error",
	"delivery failure", "error sending your mail", "mail failed",
	"mail failure", "permanent error", "delivery notification",
	NULL
};
bool bounce_mail_looks_like_bounce(const struct bounce_mail *mail)
{
	const char *from = bounce_mail_header(mail, "From");
	const char *subject = bounce_mail_header(mail, "Subject");

	if (bounce_mail_header(mail, "X-Failed-Recipients") != NULL)
		return TRUE;
	if (mail->content_type != NULL &&
	    strcmp(mail->content_type, "multipart/report") == 0 &&
	    (mail->report_type == NULL ||
	     strcmp(mail->report_type, "delivery-status") == 0))
		return TRUE;
	if (from != NULL &&
	    bounce_text_find_any(from, bounce_text_daemon_senders) >= 0)
		return TRUE;
	return subject != NULL &&
		bounce_text_find_any(subject, bounce_text_bounce_subjects) >= 0;
}

const char *bounce_strcasestr(const char *haystack, const char *needle)
{
	size_t len = strlen(needle);
	char first = i_tolower(needle[0]);

	if (len == 0)
		return haystack;
	for (const char *p = haystack; *p != '\0'; p++) {
		if (i_tolower(*p) == first && strncasecmp(p, needle, len) == 0)
			return p;
	}
	return NULL;
}

const char *const *bounce_text_lines(const char *text)
{
	return t_strsplit(text, "\n");
}

bool bounce_text_line_starts_original(const char *line)
{
	/* the markers are short separator lines, not prose that happens
	   to mention the original message */
	if (strlen(line) > 120)
		return FALSE;
	return bounce_text_find_any(line, bounce_original_markers) >= 0;
}

int bounce_text_find_any(const char *text, const char *const *needles)
{
	for (int i = 0; needles[i] != NULL; i++) {
		if (bounce_strcasestr(text, needles[i]) != NULL)
			return i;
	}
	return -1;
}

const char *bounce_text_fold(pool_t pool, const char *text, size_t max)
{
	/* never strlen(text): a caller may fold the first bytes of a
	   huge line many times */
	string_t *str = t_str_new(I_MIN(max, 256) + 8);
	bool space = FALSE;

	for (const char *p = text; *p != '\0'; p++) {
		if (i_isspace(*p)) {
			space = str_len(str) > 0;
			continue;
		}
		if (str_len(str) + (space ? 1 : 0) >= max)
			break;
		if (space)
			str_append_c(str, ' ');
		space = FALSE;
		str_append_c(str, *p);
	}
	/* don't leave half a UTF-8 character at the cut */
	for (unsigned int i = 0; i < 3 && str_len(str) > 0 &&
	     (str_data(str)[str_len(str)-1] & 0x80) != 0 &&
	     !uni_utf8_data_is_valid(str_data(str), str_len(str)); i++)
		str_truncate(str, str_len(str) - 1);
	return p_strdup(pool, str_c(str));
}

const char *bounce_text_smtp_command(const char *text)
{
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_smtp_command_phrases); i++) {
		if (bounce_strcasestr(text, bounce_smtp_command_phrases[i].phrase) != NULL)
			return bounce_smtp_command_phrases[i].command;
	}
	return NULL;
}

static bool bounce_text_is_host_char(char c)
{
	return i_isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':';
}

/* A host token at p: a name with at least one dot or an IP address. */
static const char *bounce_text_host_token(const char *p)
{
	const char *start = p, *end;
	bool dot = FALSE;

	while (bounce_text_is_host_char(*p)) {
		if (*p == '.')
			dot = TRUE;
		p++;
	}
	end = p;
	/* "mx.example.org.:" and "192.0.2.1." end a sentence */
	while (end > start && (end[-1] == '.' || end[-1] == ':'))
		end--;
	if (!dot || end - start < 3)
		return NULL;
	return t_strdup_until(start, end);
}

const char *bounce_text_remote_mta(pool_t pool, const char *text)
{
	const char *p, *host;

	for (unsigned int i = 0; bounce_remote_mta_phrases[i] != NULL; i++) {
		const char *phrase = bounce_remote_mta_phrases[i];
		size_t len = strlen(phrase);

		for (p = bounce_strcasestr(text, phrase); p != NULL;
		     p = bounce_strcasestr(p + len, phrase)) {
			/* "host" must be a word of its own */
			if (p > text && i_isalnum(p[-1]))
				continue;
			host = bounce_text_host_token(p + len);
			if (host != NULL)
				return p_strdup(pool, host);
		}
	}
	return NULL;
}

const char *bounce_text_line_address(pool_t pool, const char *line,
				     bool bare_ok, const char **rest_r)
{
	const char *p = line, *end, *address;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '<') {
		end = strchr(p, '>');
		if (end == NULL)
			return NULL;
		address = t_strdup_until(p + 1, end);
		end++;
	} else if (bare_ok) {
		end = p;
		while (*end != '\0' && *end != ' ' && *end != '\t' &&
		       *end != ':' && *end != ',' && *end != ';')
			end++;
		address = t_strdup_until(p, end);
	} else {
		return NULL;
	}
	/* "user@example.org", not "@example.org" or "user@" */
	const char *at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0' ||
	    strpbrk(address, " \t<>()") != NULL)
		return NULL;
	address = bounce_address_normalize(pool, address);
	if (address == NULL)
		return NULL;
	*rest_r = end;
	return address;
}

void bounce_recipient_set_text_diagnostic(struct bounce_report *report,
					  struct bounce_recipient *rcpt,
					  const char *raw)
{
	const char *diagnostic, *status, *reply_code, *command;

	if (rcpt->diagnostic != NULL && rcpt->status != NULL &&
	    rcpt->reply_code != NULL && rcpt->smtp_command != NULL)
		return;
	diagnostic = bounce_text_fold(pool_datastack_create(), raw,
				      BOUNCE_TEXT_MAX_DIAGNOSTIC);
	if (diagnostic[0] == '\0')
		return;
	if (rcpt->diagnostic == NULL)
		rcpt->diagnostic = p_strdup(report->pool, diagnostic);
	bounce_text_find_codes(diagnostic, &status, &reply_code);
	if (rcpt->status == NULL && status != NULL)
		rcpt->status = p_strdup(report->pool, status);
	if (rcpt->reply_code == NULL && reply_code != NULL)
		rcpt->reply_code = p_strdup(report->pool, reply_code);
	command = bounce_text_smtp_command(diagnostic);
	if (rcpt->smtp_command == NULL && command != NULL)
		rcpt->smtp_command = command;
	if (rcpt->remote_mta == NULL)
		rcpt->remote_mta = bounce_text_remote_mta(report->pool,
							  diagnostic);
}

bool bounce_text_line_announces_delay(const char *line)
{
	return bounce_text_find_any(line, bounce_delay_phrases) >= 0;
}

/* After the address on a recipient line: skip "(expanded from <a>)"
   style comments and expect the colon. Returns the diagnostic's start
   on this line, or NULL if this is no recipient line. */
static const char *bounce_text_after_address(const char *rest)
{
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '(') {
		rest = strchr(rest, ')');
		if (rest == NULL)
			return NULL;
		rest++;
		while (*rest == ' ' || *rest == '\t')
			rest++;
	}
	if (*rest != ':')
		return NULL;
	return rest + 1;
}

struct bounce_text_block_ctx {
	struct bounce_report *report;
	struct bounce_recipient *rcpt;
	string_t *raw;
};

static void bounce_text_block_flush(struct bounce_text_block_ctx *ctx)
{
	if (ctx->rcpt != NULL && str_len(ctx->raw) > 0) {
		bounce_recipient_set_text_diagnostic(ctx->report, ctx->rcpt,
						     str_c(ctx->raw));
	}
	ctx->rcpt = NULL;
	str_truncate(ctx->raw, 0);
}

static void bounce_text_block_append(struct bounce_text_block_ctx *ctx,
				     const char *line)
{
	if (str_len(ctx->raw) + strlen(line) >= BOUNCE_TEXT_MAX_RAW_DIAGNOSTIC)
		return;
	str_append(ctx->raw, line);
	str_append_c(ctx->raw, '\n');
}

unsigned int bounce_text_read_blocks(const char *text,
				     const struct bounce_text_blocks *set,
				     struct bounce_report *report)
{
	struct bounce_text_block_ctx ctx;
	const char *const *lines = bounce_text_lines(text);
	const char *address, *rest, *diag;
	enum bounce_action action = BOUNCE_ACTION_FAILED;
	unsigned int i = 0, first = array_count(&report->recipients);

	if (set->start_markers != NULL) {
		for (; lines[i] != NULL; i++) {
			if (bounce_text_line_starts_original(lines[i]))
				return 0;
			/* Postfix's warning banner comes before the list */
			if (bounce_text_line_announces_delay(lines[i]))
				action = BOUNCE_ACTION_DELAYED;
			if (bounce_text_find_any(lines[i], set->start_markers) >= 0)
				break;
		}
		if (lines[i] == NULL)
			return 0;
	}

	i_zero(&ctx);
	ctx.report = report;
	ctx.raw = t_str_new(256);
	for (; lines[i] != NULL; i++) {
		const char *line = lines[i];

		if (bounce_text_line_starts_original(line))
			break;
		if (bounce_text_line_announces_delay(line))
			action = BOUNCE_ACTION_DELAYED;
		if (line[strspn(line, " \t")] == '\0') {
			/* an empty line ends the recipient's block */
			bounce_text_block_flush(&ctx);
			continue;
		}
		if (ctx.rcpt != NULL && (line[0] == ' ' || line[0] == '\t')) {
			/* Postfix folds long diagnostics onto indented
			   lines, which may start with "<addr>:" again */
			bounce_text_block_append(&ctx, line);
			continue;
		}
		address = bounce_text_line_address(report->pool, line,
						   set->bare_address, &rest);
		diag = address == NULL ? NULL :
			bounce_text_after_address(rest);
		if (diag != NULL) {
			bounce_text_block_flush(&ctx);
			if (array_count(&report->recipients) >=
			    BOUNCE_TEXT_MAX_RECIPIENTS)
				break;
			ctx.rcpt = bounce_report_add_recipient(report, address,
							      set->found_by);
			bounce_text_block_append(&ctx, diag);
		} else if (ctx.rcpt != NULL) {
			bounce_text_block_append(&ctx, line);
		}
	}
	bounce_text_block_flush(&ctx);

	/* a delay warning may come after the first recipient line */
	for (unsigned int n = first; n < array_count(&report->recipients); n++) {
		struct bounce_recipient *rcpt =
			array_idx_modifiable(&report->recipients, n);
		rcpt->action = action;
	}
	return array_count(&report->recipients) - first;
}
