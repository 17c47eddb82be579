/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "unichar.h"
#include "bounce-text.h"
#include "bounce-vendor.h"

#include <ctype.h>

/* Phrases that say at which SMTP command a delivery failed, as the
   transcripts and error lines of the vendor formats word it. */
static const struct {
	const char *phrase;
	const char *command;
} bounce_vendor_commands[] = {
	{ ">>> rcpt to", "RCPT" },
	{ ">>> mail from", "MAIL" },
	{ ">>> data", "DATA" },
	{ ">>> helo", "HELO" },
	{ ">>> ehlo", "HELO" },
	{ "<<< rcpt to", "RCPT" },
	{ "<<< mail from", "MAIL" },
	{ "<<< data", "DATA" },
	{ "after rcpt to", "RCPT" },
	{ "after rcpt command", "RCPT" },
	{ "after mail from", "MAIL" },
	{ "after mail command", "MAIL" },
	{ "after end of data", "DATA" },
	{ "after data command", "DATA" },
	{ "after helo", "HELO" },
	{ "after ehlo", "HELO" },
	{ "after initial connection", "CONN" },
	{ "(rcpt to)", "RCPT" },
	{ "(mail from)", "MAIL" },
	{ "(data)", "DATA" },
	{ "in reply to rcpt to command", "RCPT" },
	{ "in reply to mail from command", "MAIL" },
	{ "in reply to end of data command", "DATA" },
	{ "in reply to data command", "DATA" },
	/* qmail-style "Remote host said: ... [RCPT_TO]" */
	{ "[rcpt_to]", "RCPT" },
	{ "[mail_from]", "MAIL" },
	{ "[data]", "DATA" },
};

bool bounce_vendor_header_contains(const struct bounce_mail *mail,
				   const char *header, const char *needle)
{
	const char *value = bounce_mail_header_lower(mail, header);

	return value != NULL && strstr(value, needle) != NULL;
}

bool bounce_vendor_text_contains(const struct bounce_mail *mail,
				 const char *needle)
{
	return str_len(mail->text) > 0 &&
		bounce_mail_text_contains(mail, needle);
}

static bool
bounce_vendor_signature_matches(const struct bounce_mail *mail,
				const struct bounce_vendor_signature *sig)
{
	if (sig->header != NULL)
		return bounce_vendor_header_contains(mail, sig->header,
						     sig->needle);
	/* the text is lower-cased once per message, for every vendor's
	   signatures */
	return bounce_vendor_text_contains(mail, sig->needle);
}

bool bounce_vendor_signatures_match(const struct bounce_mail *mail,
				    const struct bounce_vendor_signature *sigs,
				    unsigned int min)
{
	unsigned int total = 0, count = 0;

	while (sigs[total].needle != NULL)
		total++;
	/* in the table's order (header signatures first: a header's value
	   is short, the text is not), and no further search once the
	   answer is known: most mails are not of the vendor's format, and
	   fail after a few misses */
	for (unsigned int i = 0; i < total; i++) {
		if (count >= min || count + (total - i) < min)
			break;
		if (bounce_vendor_signature_matches(mail, &sigs[i]))
			count++;
	}
	return count >= min;
}

const char *bounce_vendor_fold(pool_t pool, const char *text)
{
	char *folded, *dest;
	bool space = FALSE;

	if (text == NULL)
		return NULL;
	/* never longer than the text: a plain array, not a
	   str_append_c() call per byte */
	folded = dest = t_malloc_no0(strlen(text) + 1);
	for (const char *p = text; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			space = dest != folded;
			continue;
		}
		/* never end in the middle of a UTF-8 sequence: check the
		   bound on a character's first byte, for the whole character */
		if (((unsigned char)*p & 0xc0) != 0x80 &&
		    (size_t)(dest - folded) + (space ? 1 : 0) +
		    uni_utf8_char_bytes((unsigned char)*p) >
		    BOUNCE_VENDOR_MAX_DIAGNOSTIC)
			break;
		if (space)
			*dest++ = ' ';
		space = FALSE;
		*dest++ = *p;
	}
	if (dest == folded)
		return NULL;
	*dest = '\0';
	return p_strdup(pool, folded);
}

void bounce_vendor_set_diagnostic(struct bounce_report *report,
				  struct bounce_recipient *rcpt,
				  const char *text)
{
	const char *status, *reply;

	if (rcpt->diagnostic == NULL)
		rcpt->diagnostic = bounce_vendor_fold(report->pool, text);
	if (rcpt->diagnostic == NULL)
		return;
	bounce_text_find_codes(rcpt->diagnostic, &status, &reply);
	if (rcpt->status == NULL && status != NULL)
		rcpt->status = p_strdup(report->pool, status);
	if (rcpt->reply_code == NULL && reply != NULL)
		rcpt->reply_code = p_strdup(report->pool, reply);
}

const char *bounce_vendor_line_command(const char *lower)
{
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_vendor_commands); i++) {
		if (strstr(lower, bounce_vendor_commands[i].phrase) != NULL)
			return bounce_vendor_commands[i].command;
	}
	return NULL;
}

struct bounce_recipient *
bounce_vendor_find_recipient(struct bounce_report *report,
			     const char *address)
{
	struct bounce_recipient *rcpt;

	array_foreach_modifiable(&report->recipients, rcpt) {
		if (strcasecmp(rcpt->address, address) == 0)
			return rcpt;
	}
	return NULL;
}

void bounce_vendor_set_hint(struct bounce_report *report,
			    struct bounce_recipient *rcpt,
			    enum bounce_reason reason, const char *format,
			    const char *code)
{
	rcpt->reason_hint = reason;
	rcpt->rule_hint = p_strdup_printf(report->pool, "format:%s:%s",
					  format, code);
}

void bounce_vendor_hint_reasons(struct bounce_report *report,
				const char *format,
				const struct bounce_vendor_reason *reasons)
{
	struct bounce_recipient *rcpt;
	const struct bounce_vendor_reason *r;

	array_foreach_modifiable(&report->recipients, rcpt) {
		if (rcpt->diagnostic == NULL ||
		    rcpt->reason_hint != BOUNCE_REASON_UNDEFINED)
			continue;
		T_BEGIN {
			const char *lower = bounce_ascii_lcase(
				unsafe_data_stack_pool, rcpt->diagnostic);

			for (r = reasons; r->phrase != NULL; r++) {
				if (strstr(lower, r->phrase) != NULL) {
					bounce_vendor_set_hint(report, rcpt,
						r->reason, format, r->phrase);
					break;
				}
			}
		} T_END;
	}
}

bool bounce_vendor_read_dsn(const struct bounce_mail *mail,
			    struct bounce_report *report)
{
	return bounce_format_rfc3464.extract(mail, report);
}

/* --- the text layout scanner --- */

struct bounce_vendor_scan {
	const struct bounce_mail *mail;
	struct bounce_report *report;
	const struct bounce_vendor_layout *layout;

	/* text before the first address line, and each recipient's own
	   text, indexed like report->recipients */
	string_t *preamble;
	ARRAY(string_t *) diagnostics;
	ARRAY(const char *) commands;
	/* index of the recipient whose lines we are reading, or -1 */
	int current;
	unsigned int first_index, added;
};

static bool bounce_vendor_prefix_any(const char *lower,
				     const char *const *prefixes)
{
	if (prefixes == NULL)
		return FALSE;
	for (; *prefixes != NULL; prefixes++) {
		if (str_begins(lower, *prefixes))
			return TRUE;
	}
	return FALSE;
}

static bool bounce_vendor_contains_any(const char *lower,
				       const char *const *phrases)
{
	for (; *phrases != NULL; phrases++) {
		if (strstr(lower, *phrases) != NULL)
			return TRUE;
	}
	return FALSE;
}

/* a rule line: "-----", "*****", "=====" */
static bool bounce_vendor_line_is_rule(const char *line)
{
	if (*line == '\0')
		return FALSE;
	while (*line != '\0') {
		/* U+FFFD: what a broken charset left of the line */
		if (strncmp(line, "\xEF\xBF\xBD", 3) == 0)
			line += 3;
		else if (strchr("-*=_~ ", *line) != NULL)
			line++;
		else
			return FALSE;
	}
	return TRUE;
}

/* The bare address of an address token like <user@example.org>,
   "user@example.org": or user@example.org, or NULL. */
static const char *bounce_vendor_token_address(const char *token)
{
	const char *addr;

	if (strchr(token, '@') == NULL)
		return NULL;
	addr = bounce_address_normalize(pool_datastack_create(), token);
	if (addr == NULL || strchr(strchr(addr, '@'), '.') == NULL)
		return NULL;
	return addr;
}

static const char *
bounce_vendor_line_inline_recipient(const struct bounce_vendor_layout *layout,
				    const char *line, const char *lower)
{
	const char *p, *end;

	for (const char *const *l = layout->inline_labels; *l != NULL; l++) {
		p = strstr(lower, *l);
		if (p == NULL)
			continue;
		p = line + (p - lower) + strlen(*l);
		for (end = p; *end != '\0' && *end != ' ' && *end != ')' &&
			      *end != ']'; end++) ;
		return bounce_vendor_token_address(t_strdup_until(p, end));
	}
	return NULL;
}

/* If line names a recipient, return its address and set rest_r to what
   follows it on the line. */
static const char *
bounce_vendor_line_recipient(const struct bounce_vendor_layout *layout,
			     const char *line, const char *lower,
			     const char **rest_r)
{
	const char *p = line, *end, *addr, *other;
	bool labelled = FALSE;

	*rest_r = "";
	if (layout->labels != NULL) {
		for (const char *const *l = layout->labels; *l != NULL; l++) {
			if (str_begins(lower, *l)) {
				p = line + strlen(*l);
				labelled = TRUE;
				break;
			}
		}
	}
	while (*p == ' ' || *p == '\t')
		p++;
	end = p;
	while (*end != '\0' && *end != ' ' && *end != '\t')
		end++;
	addr = bounce_vendor_token_address(t_strdup_until(p, end));
	if (addr == NULL && layout->address_line_may_continue &&
	    layout->inline_labels != NULL && !labelled)
		return bounce_vendor_line_inline_recipient(layout, line, lower);
	if (addr == NULL)
		return NULL;
	while (*end == ' ' || *end == '\t')
		end++;
	other = *end == '\0' ? NULL : bounce_vendor_token_address(end);
	if (other != NULL && strchr(end, ' ') == NULL &&
	    strcmp(other, addr) == 0) {
		/* "user@example.org <user@example.org>" */
		return addr;
	}
	if (layout->address_line_may_continue && !labelled)
		return addr;
	if (labelled || *end == '\0') {
		*rest_r = end;
		return addr;
	}
	return NULL;
}

static void bounce_vendor_scan_recipient(struct bounce_vendor_scan *scan,
					 const char *address,
					 const char *lower)
{
	const char **command;

	struct bounce_recipient *rcpt;
	unsigned int idx, count = array_count(&scan->report->recipients);

	rcpt = bounce_vendor_find_recipient(scan->report, address);
	if (rcpt == NULL) {
		if (scan->added >= BOUNCE_VENDOR_MAX_RECIPIENTS) {
			scan->current = -1;
			return;
		}
		rcpt = bounce_report_add_recipient(scan->report, address,
						   "text");
		scan->added++;
	}
	idx = rcpt - array_front(&scan->report->recipients);
	if (idx < scan->first_index) {
		/* found by an earlier reader (the DSN): leave it alone */
		scan->current = -1;
		return;
	}
	for (; count < array_count(&scan->report->recipients); count++) {
		array_append_zero(&scan->diagnostics);
		array_append_zero(&scan->commands);
	}
	scan->current = idx - scan->first_index;
	if (array_idx_elem(&scan->diagnostics, scan->current) != NULL) {
		/* the same report again (in another language): the first
		   one is enough */
		scan->current = -1;
		return;
	}
	/* "Sent <<< RCPT TO:<user@example.org>" names the command too */
	command = array_idx_modifiable(&scan->commands, scan->current);
	if (*command == NULL)
		*command = bounce_vendor_line_command(lower);
}

static void bounce_vendor_scan_append(string_t *dest, const char *text)
{
	if (str_len(dest) > BOUNCE_VENDOR_MAX_DIAGNOSTIC)
		return;
	if (str_len(dest) > 0)
		str_append_c(dest, ' ');
	str_append(dest, text);
}

static void bounce_vendor_scan_text(struct bounce_vendor_scan *scan,
				    const char *line, const char *lower)
{
	string_t **diag;
	const char **command, *cmd;

	if (scan->current < 0) {
		if (scan->added == 0)
			bounce_vendor_scan_append(scan->preamble, line);
		return;
	}
	diag = array_idx_modifiable(&scan->diagnostics, scan->current);
	if (*diag == NULL)
		*diag = t_str_new(128);
	command = array_idx_modifiable(&scan->commands, scan->current);
	if (*command == NULL && (cmd = bounce_vendor_line_command(lower)) != NULL)
		*command = cmd;
	bounce_vendor_scan_append(*diag, line);
}

static const char *bounce_vendor_fold_line(const char *line)
{
	/* the folded line is never longer: a plain array, as every line
	   of the text goes through here byte by byte */
	char *folded = t_malloc_no0(strlen(line) + 1), *dest = folded;
	bool space = FALSE;

	for (const char *p = line; *p != '\0'; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r') {
			space = dest != folded;
			continue;
		}
		if (space)
			*dest++ = ' ';
		space = FALSE;
		*dest++ = *p;
	}
	*dest = '\0';
	return folded;
}

/* Returns FALSE at the end of the failure report. */
static bool bounce_vendor_scan_line(struct bounce_vendor_scan *scan,
				    const char *line, bool *inside)
{
	const struct bounce_vendor_layout *layout = scan->layout;
	const char *lower, *addr, *rest;

	/* indentation and runs of blanks vary between versions of the
	   same format: match on the folded line */
	line = bounce_vendor_fold_line(line);
	lower = bounce_ascii_lcase(unsafe_data_stack_pool, line);
	if (!*inside) {
		if (layout->begin != NULL &&
		    !bounce_vendor_contains_any(lower, layout->begin))
			return TRUE;
		*inside = TRUE;
		addr = bounce_vendor_line_recipient(layout, line, lower, &rest);
		if (addr != NULL || layout->begin == NULL)
			return bounce_vendor_scan_line(scan, line, inside);
		return TRUE;
	}
	if (bounce_vendor_line_is_rule(line))
		return TRUE;
	if (bounce_vendor_prefix_any(lower, layout->end))
		return FALSE;
	if (*line == '\0') {
		if (layout->blank_ends_recipient && scan->current >= 0 &&
		    array_idx_elem(&scan->diagnostics, scan->current) != NULL)
			scan->current = -1;
		return TRUE;
	}
	if (bounce_vendor_prefix_any(lower, layout->skip))
		return TRUE;
	addr = bounce_vendor_line_recipient(layout, line, lower, &rest);
	if (addr != NULL) {
		bounce_vendor_scan_recipient(scan, addr, lower);
		if (*rest != '\0')
			bounce_vendor_scan_text(scan, rest, bounce_ascii_lcase(
				unsafe_data_stack_pool, rest));
		return TRUE;
	}
	bounce_vendor_scan_text(scan, line, lower);
	return TRUE;
}

static void bounce_vendor_scan_finish(struct bounce_vendor_scan *scan)
{
	struct bounce_recipient *rcpt;
	string_t *diag;
	const char *command;
	unsigned int i, count = array_count(&scan->diagnostics);

	for (i = 0; i < count; i++) {
		rcpt = array_idx_modifiable(&scan->report->recipients,
					    scan->first_index + i);
		diag = array_idx_elem(&scan->diagnostics, i);
		if (diag == NULL || str_len(diag) == 0)
			diag = scan->preamble;
		bounce_vendor_set_diagnostic(scan->report, rcpt, str_c(diag));
		command = array_idx_elem(&scan->commands, i);
		if (rcpt->smtp_command == NULL)
			rcpt->smtp_command = command;
	}
}

unsigned int bounce_vendor_parse_text(const struct bounce_mail *mail,
				      struct bounce_report *report,
				      const struct bounce_vendor_layout *layout)
{
	struct bounce_vendor_scan scan;
	const char *const *lines;
	bool inside = FALSE;

	if (str_len(mail->text) == 0)
		return 0;
	i_zero(&scan);
	scan.mail = mail;
	scan.report = report;
	scan.layout = layout;
	scan.preamble = t_str_new(256);
	scan.current = -1;
	scan.first_index = array_count(&report->recipients);
	t_array_init(&scan.diagnostics, 8);
	t_array_init(&scan.commands, 8);

	lines = bounce_mail_text_lines(mail);
	for (; *lines != NULL; lines++) {
		const char *line = *lines;

		if (!bounce_vendor_scan_line(&scan, line, &inside))
			break;
	}
	bounce_vendor_scan_finish(&scan);
	return array_count(&scan.diagnostics);
}

bool bounce_vendor_extract_text(const struct bounce_mail *mail,
				struct bounce_report *report,
				const struct bounce_vendor_text_format *format)
{
	if (!bounce_vendor_signatures_match(mail, format->signatures,
					    format->min_signatures))
		return FALSE;
	if (bounce_vendor_parse_text(mail, report, &format->layout) == 0)
		return FALSE;
	if (format->reasons != NULL)
		bounce_vendor_hint_reasons(report, format->name, format->reasons);
	report->kind = BOUNCE_KIND_DSN;
	return TRUE;
}
