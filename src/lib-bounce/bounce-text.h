#ifndef BOUNCE_TEXT_H
#define BOUNCE_TEXT_H

#include "bounce-report.h"

/* Helpers for the formats that read a bounce's human-readable text
   (qmail, Sendmail, Exim, Postfix, Courier, OpenSMTPD, the generic
   fallback, and the RFC 3464 reader when it fills gaps from the text).
   Everything here scans lines with plain string functions: time linear
   in the text, no backtracking patterns. */

/* A recipient list in a bounce is never this long; stop adding there. */
#define BOUNCE_TEXT_MAX_RECIPIENTS 10000
/* A diagnostic is kept to one line of at most this many bytes. */
#define BOUNCE_TEXT_MAX_DIAGNOSTIC 1024
/* Raw text collected for one recipient before it is folded. */
#define BOUNCE_TEXT_MAX_RAW_DIAGNOSTIC 4096

struct bounce_mail;

/* text ASCII lower-cased, 8 bytes at a time, into pool (e.g.
   unsafe_data_stack_pool): what t_str_lcase() gives, as Dovecot never
   sets a locale, without a tolower() call per byte. */
const char *bounce_ascii_lcase(pool_t pool, const char *text);

/* Case-insensitive (ASCII) strstr(). O(len(haystack) * len(needle)):
   linear in the text for the short fixed phrases it is used with. */
const char *bounce_strcasestr(const char *haystack, const char *needle);

/* Return TRUE if the mail's headers show a non-delivery notice: sent by
   a mailer daemon, an X-Failed-Recipients header, a delivery-status
   report, or a non-delivery subject. Auto-replies and ordinary mail
   don't. */
bool bounce_mail_looks_like_bounce(const struct bounce_mail *mail);

/* Split text into lines (without the "\n"). The array is allocated from
   the data stack and ends with NULL. */
const char *const *bounce_text_lines(const char *text);
/* The same for mail->text, split once per message and shared by every
   reader (allocated from the mail's pool). */
const char *const *bounce_mail_text_lines(const struct bounce_mail *mail);
/* mail->text ASCII lower-cased, made once per message and shared. */
const char *bounce_mail_text_lower(const struct bounce_mail *mail);
/* TRUE if mail->text contains needle, which is lower-case: a
   case-insensitive search without lower-casing the text again. */
bool bounce_mail_text_contains(const struct bounce_mail *mail,
			       const char *needle);
/* TRUE if mail->text contains one of needles (lower-case, NULL-
   terminated). */
bool bounce_mail_text_contains_any(const struct bounce_mail *mail,
				   const char *const *needles);

/* Return TRUE if line begins the copy of the returned message in a
   text-only bounce ("--- Below this line is a copy of the message.",
   "------ This is a copy of the message, including all the headers.",
   "----- Original message follows -----", ...). */
bool bounce_text_line_starts_original(const char *line);

/* The index in bounce_mail_text_lines(mail) of the first line that
   starts the copy of the returned message, or the number of lines:
   found once per message. */
unsigned int bounce_mail_text_original_line(const struct bounce_mail *mail);
/* The index of the first line that announces a delay
   (bounce_text_line_announces_delay()), or the number of lines. */
unsigned int bounce_mail_text_delay_line(const struct bounce_mail *mail);
/* The index of the first line of the mail's text, at most max_line_len
   bytes long (SIZE_MAX: any), that contains one of needles (a static
   table, as for bounce_text_find_any()), or the number of lines. Found
   once per message and needle list. */
unsigned int bounce_mail_text_first_line(const struct bounce_mail *mail,
					 const char *const *needles,
					 size_t max_line_len);

/* Return the index of the first needle found in text (case-insensitive
   substring), or -1. needles ends with NULL and must be a static table:
   it is compiled into a multi-pattern automaton on first use and found
   again by its address, so that a scan is one pass over text however
   many needles there are. */
int bounce_text_find_any(const char *text, const char *const *needles);
/* Free what bounce_text_find_any() compiled. */
void bounce_text_deinit(void);

/* Fold every run of whitespace to one space, trim both ends and cut at
   max bytes (on a UTF-8 character boundary). */
const char *bounce_text_fold(pool_t pool, const char *text, size_t max);

/* The SMTP command a diagnostic says the failure happened at: "CONN",
   "HELO", "MAIL", "RCPT", "DATA" or NULL. */
const char *bounce_text_smtp_command(const char *text);

/* The remote host a diagnostic names ("host mx.example.org[192.0.2.1]
   said:", "remote host 192.0.2.1 said:", "Giving up on 192.0.2.1."),
   or NULL. */
const char *bounce_text_remote_mta(pool_t pool, const char *text);

/* Parse a recipient at the start of line (after leading blanks): either
   "<addr>" or, if bare_ok, a bare "addr" token containing '@'. On
   success returns the normalized address and sets rest_r to the text
   after it; returns NULL if the line doesn't start with an address. */
const char *bounce_text_line_address(pool_t pool, const char *line,
				     bool bare_ok, const char **rest_r);

/* Fill a recipient's diagnostic from raw text: folds it, and sets the
   status, reply code, SMTP command and remote MTA found in it, unless
   the recipient already has them. */
void bounce_recipient_set_text_diagnostic(struct bounce_report *report,
					  struct bounce_recipient *rcpt,
					  const char *raw);

/* Return TRUE if line says the message is only delayed, still queued
   (Postfix "THIS IS A WARNING ONLY", Sendmail "transient non-fatal
   errors", ...). */
bool bounce_text_line_announces_delay(const char *line);

/* How bounce_text_read_blocks() finds the recipient list. */
struct bounce_text_blocks {
	/* the list starts after the first line containing one of these
	   (case-insensitive); NULL: at the first line */
	const char *const *start_markers;
	/* recipient lines may name a bare "addr:" besides "<addr>:" */
	bool bare_address;
	/* how the recipients were found (bounce_recipient.found_by) */
	const char *found_by;
};

/* Read the layout most text bounces share (qmail, Postfix, OpenSMTPD,
   Courier and many small MTAs): a recipient line "<addr>:" (optionally
   "(expanded from <alias>)" before the colon, and the diagnostic's
   first line after it), then the diagnostic's further lines up to an
   empty line, the next recipient line or the copy of the returned
   message. Adds the recipients with their diagnostics and returns how
   many were added. */
unsigned int bounce_text_read_blocks(const char *text,
				     const struct bounce_text_blocks *set,
				     struct bounce_report *report);
/* The same on mail->text, with the lines the mail's readers share. */
unsigned int bounce_mail_text_read_blocks(const struct bounce_mail *mail,
					  const struct bounce_text_blocks *set,
					  struct bounce_report *report);

#endif
