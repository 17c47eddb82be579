/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "write-full.h"
#include "rfc822-parser.h"
#include "rfc2231-parser.h"
#include "bounce-mail.h"
#include "bounce-analyze.h"
#include "test-bounce-common.h"

#include <unistd.h>

/* The parse step on messages written for these tests: RFC 3464 with one
   and several recipients, missing fields, no DSN at all, broken MIME. */

/* A DSN whose text part says text, up to its delivery-status part's
   fields */
#define DSN_WITH_TEXT(text) \
	"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n" \
	"To: sender@example.com\n" \
	"Subject: Undelivered Mail Returned to Sender\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status;\n" \
	"\tboundary=\"BOUNDARY\"\n" \
	"\n" \
	"--BOUNDARY\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	text \
	"\n" \
	"--BOUNDARY\n" \
	"Content-Type: message/delivery-status\n" \
	"\n"

#define DSN_HEAD DSN_WITH_TEXT("Your message could not be delivered.\n")

#define DSN_ORIG \
	"--BOUNDARY\n" \
	"Content-Type: message/rfc822\n" \
	"\n" \
	"From: Newsletter <news@example.com>\n" \
	"To: someone@example.org\n" \
	"Subject: =?UTF-8?Q?Caf=C3=A9_news?=\n" \
	"Message-ID: <orig-1@example.com>\n" \
	"\n" \
	"Body of the original message: user unknown 5.1.1\n" \
	"\n" \
	"--BOUNDARY--\n"

static void test_dsn_one_recipient(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_report *report = test_analyze_str(DSN_HEAD
		"Reporting-MTA: dns; mx.example.net\n"
		"Arrival-Date: Mon, 2 Nov 2026 10:00:03 +0000\n"
		"\n"
		"Final-Recipient: rfc822; Someone@Example.ORG\n"
		"Original-Recipient: rfc822; someone@example.org\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Remote-MTA: dns; mx1.example.org\n"
		"Diagnostic-Code: smtp; 550 5.1.1 <someone@example.org>:\n"
		"    Recipient address rejected: User unknown\n"
		"\n" DSN_ORIG, pool);
	const struct bounce_recipient *rcpt;

	assert_string_equal(report->format, "rfc3464");
	assert_int_equal(report->kind, BOUNCE_KIND_DSN);
	assert_string_equal(report->reporting_mta, "mx.example.net");
	assert_string_equal(report->arrival_date,
			    "Mon, 2 Nov 2026 10:00:03 +0000");
	assert_string_equal(report->orig_message_id, "<orig-1@example.com>");
	assert_string_equal(report->orig_from, "Newsletter <news@example.com>");
	assert_string_equal(report->orig_subject, "Café news");
	assert_int_equal(array_count(&report->recipients), 1);
	rcpt = test_rcpt_idx(report, 0);
	assert_string_equal(rcpt->address, "someone@example.org");
	assert_string_equal(rcpt->final_recipient, "someone@example.org");
	assert_string_equal(rcpt->original_recipient, "someone@example.org");
	assert_int_equal(rcpt->action, BOUNCE_ACTION_FAILED);
	assert_string_equal(rcpt->status, "5.1.1");
	assert_string_equal(rcpt->reply_code, "550");
	assert_string_equal(rcpt->remote_mta, "mx1.example.org");
	assert_string_equal(rcpt->diagnostic_type, "smtp");
	assert_string_equal(rcpt->diagnostic,
		"550 5.1.1 <someone@example.org>: Recipient address rejected: User unknown");
	pool_unref(&pool);
}

static void test_dsn_several_recipients(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	/* the second and third groups have no empty line between them, as
	   some MTAs write it */
	struct bounce_report *report = test_analyze_str(DSN_HEAD
		"Reporting-MTA: dns; mx.example.net\n"
		"\n"
		"Final-Recipient: rfc822; one@example.org\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"\n"
		"Final-Recipient: rfc822; two@example.org\n"
		"Action: delayed\n"
		"Status: 4.2.2\n"
		"Diagnostic-Code: smtp; 452 4.2.2 Mailbox full\n"
		"Final-Recipient: rfc822; three@example.org\n"
		"Action: failed\n"
		"Status: 5.0.0\n"
		"Diagnostic-Code: smtp; 550 5.7.1 Blocked by policy\n"
		"\n" DSN_ORIG, pool);

	assert_int_equal(array_count(&report->recipients), 3);
	assert_string_equal(test_rcpt_idx(report, 0)->address, "one@example.org");
	assert_string_equal(test_rcpt_idx(report, 0)->status, "5.1.1");
	assert_null(test_rcpt_idx(report, 0)->reply_code);
	assert_string_equal(test_rcpt_idx(report, 1)->address, "two@example.org");
	assert_int_equal(test_rcpt_idx(report, 1)->action, BOUNCE_ACTION_DELAYED);
	assert_string_equal(test_rcpt_idx(report, 1)->status, "4.2.2");
	assert_string_equal(test_rcpt_idx(report, 1)->reply_code, "452");
	assert_string_equal(test_rcpt_idx(report, 2)->address, "three@example.org");
	/* X.0.0 says less than the remote server's own code */
	assert_string_equal(test_rcpt_idx(report, 2)->status, "5.7.1");
	pool_unref(&pool);
}

/* Empty lines end a group, however many there are: a field after them
   is the next recipient's, not the last one's. A group that starts with
   an indented line: that line is no continuation of the field before
   the empty line. */
static void test_dsn_group_separators(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_report *report = test_analyze_str(DSN_HEAD
		"\n"
		"Reporting-MTA: dns; mx.example.net\n"
		"\n\n"
		"Final-Recipient: rfc822; one@example.org\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"\n\n\n"
		"Diagnostic-Code: smtp; 550 5.1.1 two: no such user\n"
		"Final-Recipient: rfc822; two@example.org\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"\n" DSN_ORIG, pool);

	assert_int_equal(array_count(&report->recipients), 2);
	assert_string_equal(test_rcpt_idx(report, 0)->address, "one@example.org");
	assert_null(test_rcpt_idx(report, 0)->diagnostic);
	assert_string_equal(test_rcpt_idx(report, 1)->address, "two@example.org");
	assert_string_equal(test_rcpt_idx(report, 1)->diagnostic,
			    "550 5.1.1 two: no such user");

	report = test_analyze_str(DSN_HEAD
		"Reporting-MTA: dns; mx.example.net\n"
		"\n"
		"Final-Recipient: rfc822; three@example.org\n"
		"Action: failed\n"
		"Status: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 5.1.1 no such user\n"
		"\n"
		" X-Note: indented\n"
		"Final-Recipient: rfc822; four@example.org\n"
		"Action: failed\n"
		"Status: 5.2.2\n"
		"\n" DSN_ORIG, pool);
	assert_int_equal(array_count(&report->recipients), 2);
	assert_string_equal(test_rcpt_idx(report, 0)->diagnostic,
			    "550 5.1.1 no such user");
	assert_string_equal(test_rcpt_idx(report, 1)->address, "four@example.org");
	assert_string_equal(test_rcpt_idx(report, 1)->status, "5.2.2");
	pool_unref(&pool);
}

static void test_dsn_missing_fields(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	/* no per-message group, no Action, no Status, Original-Recipient
	   only, and no returned message */
	struct bounce_report *report = test_analyze_str(DSN_HEAD
		"Original-Recipient: rfc822;<Lost@Example.org>\n"
		"Diagnostic-Code: smtp; 554 5.7.1 rejected as spam\n"
		"\n--BOUNDARY--\n", pool);
	const struct bounce_recipient *rcpt;

	assert_int_equal(array_count(&report->recipients), 1);
	rcpt = test_rcpt_idx(report, 0);
	assert_string_equal(rcpt->address, "lost@example.org");
	assert_null(rcpt->final_recipient);
	assert_int_equal(rcpt->action, BOUNCE_ACTION_FAILED);
	assert_string_equal(rcpt->status, "5.7.1");
	assert_string_equal(rcpt->reply_code, "554");
	assert_null(report->reporting_mta);
	assert_null(report->orig_message_id);
	pool_unref(&pool);
}

/* A DSN's gaps are filled from what its text says of the recipient:
   the remote MTA of the recipient whose group names none comes from the
   Postfix line, while the one the DSN names stays. */
#define DSN_POSTFIX_TEXT(second_remote_mta) \
	DSN_WITH_TEXT( \
	"<one@example.org>: host relay.example.org[192.0.2.7] said: 550\n" \
	"    5.1.1 no such user (in reply to RCPT TO command)\n" \
	"\n" \
	"<two@example.org>: host mx2.example.org[192.0.2.8] said: 552\n" \
	"    5.2.2 mailbox full (in reply to end of DATA command)\n") \
	"Reporting-MTA: dns; mx.example.net\n" \
	"\n" \
	"Final-Recipient: rfc822; one@example.org\n" \
	"Action: failed\n" \
	"Status: 5.1.1\n" \
	"Remote-MTA: dns; mx1.example.org\n" \
	"Diagnostic-Code: smtp; 550 5.1.1 no such user\n" \
	"\n" \
	"Final-Recipient: rfc822; two@example.org\n" \
	"Action: failed\n" \
	"Status: 5.2.2\n" \
	second_remote_mta \
	"Diagnostic-Code: smtp; 552 5.2.2 mailbox full\n" \
	"\n" DSN_ORIG

static void test_dsn_completed_from_text(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_report *report =
		test_analyze_str(DSN_POSTFIX_TEXT(""), pool);
	const struct bounce_recipient *one, *two;

	assert_string_equal(report->format, "rfc3464");
	assert_int_equal(array_count(&report->recipients), 2);
	one = test_rcpt_idx(report, 0);
	two = test_rcpt_idx(report, 1);
	assert_string_equal(one->remote_mta, "mx1.example.org");
	assert_string_equal(one->smtp_command, "RCPT");
	assert_string_equal(two->remote_mta, "mx2.example.org");
	assert_string_equal(two->smtp_command, "DATA");

	/* both named by the DSN: the text's hosts change neither */
	report = test_analyze_str(DSN_POSTFIX_TEXT(
		"Remote-MTA: dns; mx3.example.org\n"), pool);
	assert_int_equal(array_count(&report->recipients), 2);
	assert_string_equal(test_rcpt_idx(report, 0)->remote_mta,
			    "mx1.example.org");
	assert_string_equal(test_rcpt_idx(report, 1)->remote_mta,
			    "mx3.example.org");
	assert_string_equal(test_rcpt_idx(report, 1)->smtp_command, "DATA");
	pool_unref(&pool);
}

static void test_not_a_dsn(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_report *report = test_analyze_str(
		"From: friend@example.org\n"
		"To: sender@example.com\n"
		"Subject: lunch?\n"
		"Message-ID: <lunch@example.org>\n"
		"\n"
		"Are we still on for Friday?\n", pool);

	assert_int_equal(array_count(&report->recipients), 0);
	assert_int_equal(report->kind, BOUNCE_KIND_NONE);
	assert_null(report->format);
	pool_unref(&pool);
}

static void test_malformed_multipart(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	/* unterminated boundary, a part with no headers, garbage base64 and
	   a delivery-status part cut off in the middle of a field */
	struct bounce_report *report = test_analyze_str(
		"From: MAILER-DAEMON@mx.example.net\n"
		"Content-Type: multipart/report; report-type=delivery-status;"
		" boundary=\"B\"\n"
		"\n"
		"--B\n"
		"\n"
		"no headers here\n"
		"--B\n"
		"Content-Type: text/plain\n"
		"Content-Transfer-Encoding: base64\n"
		"\n"
		"!!!not*base64***\n"
		"--B\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Final-Recipient: rfc822; cut@example.org\n"
		"Action: failed\n"
		"Status: 5.1", pool);

	/* the recipient whose fields were read still counts */
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(test_rcpt_idx(report, 0)->address, "cut@example.org");
	assert_null(test_rcpt_idx(report, 0)->status);
	pool_unref(&pool);
}

static void test_crlf(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_report *report;
	string_t *msg = t_str_new(2048);
	const char *lf = DSN_HEAD
		"Final-Recipient: rfc822; crlf@example.org\n"
		"Action: failed\n"
		"Status: 5.2.2\n"
		"\n" DSN_ORIG;

	for (const char *p = lf; *p != '\0'; p++) {
		if (*p == '\n')
			str_append_c(msg, '\r');
		str_append_c(msg, *p);
	}
	report = test_analyze_str(str_c(msg), pool);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(test_rcpt_idx(report, 0)->address, "crlf@example.org");
	assert_string_equal(test_rcpt_idx(report, 0)->status, "5.2.2");
	assert_string_equal(report->orig_message_id, "<orig-1@example.com>");
	assert_string_equal(report->orig_subject, "Café news");
	pool_unref(&pool);
}

/* the start of a multipart/mixed bounce, up to its first part's headers */
#define TEST_MIXED_HEAD \
	"From: postmaster@mx.example.net\n" \
	"Content-Type: multipart/mixed; boundary=\"A\"\n" \
	"\n" \
	"--A\n"

static struct bounce_mail *test_parse_str(const char *msg, pool_t pool)
{
	struct bounce_mail *mail;
	struct istream *input;
	const char *error;

	input = i_stream_create_from_data(msg, strlen(msg));
	assert_int_equal(bounce_mail_parse(input, 1024 * 1024, pool, &mail,
					   &error), 0);
	i_stream_unref(&input);
	return mail;
}

/* The same message through a pipe, an input that can't be read twice
   (doveadm bounce classify reading stdin) */
static struct bounce_mail *test_parse_pipe(const char *msg, pool_t pool)
{
	struct bounce_mail *mail;
	struct istream *input;
	const char *error;
	int fd[2];

	/* the whole message fits in the pipe before it is read */
	assert_true(strlen(msg) < 4096);
	if (pipe(fd) < 0)
		i_fatal("pipe() failed: %m");
	if (write_full(fd[1], msg, strlen(msg)) < 0)
		i_fatal("write(pipe) failed: %m");
	i_close_fd(&fd[1]);
	input = i_stream_create_fd_autoclose(&fd[0], 512);
	assert_false(input->seekable);
	assert_int_equal(bounce_mail_parse(input, 1024 * 1024, pool, &mail,
					   &error), 0);
	i_stream_unref(&input);
	return mail;
}

/* multipart/alternative with the text part first: the HTML is not what
   the formats read */
static void test_text_before_html(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_mail *mail = test_parse_str(
		"From: postmaster@mx.example.net\n"
		"Content-Type: multipart/alternative; boundary=\"A\"\n"
		"\n"
		"--A\n"
		"Content-Type: text/plain; charset=us-ascii\n"
		"\n"
		"Delivery to user@example.org failed.\n"
		"--A\n"
		"Content-Type: text/html; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"<p>HTML copy: caf=E9</p>\n"
		"--A--\n", pool);

	assert_string_equal(str_c(mail->text),
			    "Delivery to user@example.org failed.\n");
	pool_unref(&pool);
}

/* A mail whose text ends in the middle of a character: nothing of it
   may reach the next mail parsed in the process (an LMTP process parses
   one user's bounces after another's, with the same decoder). The next
   mails' text goes through the decoder: quoted-printable, then 8bit. */
static void test_cut_character_stays_in_its_mail(void **state ATTR_UNUSED)
{
	static const char *const cut_mail =
		"From: postmaster@mx.example.net\n"
		"Content-Type: text/plain; charset=utf-8\n"
		"Content-Transfer-Encoding: base64\n"
		"\n"
		/* "secret \xe2\x82" : a euro sign cut after two bytes */
		"c2VjcmV0IOKC\n";
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_mail *mail;

	mail = test_parse_str(cut_mail, pool);
	/* the cut character is dropped */
	assert_string_equal(str_c(mail->text), "secret \n");
	mail = test_parse_str(
		"From: postmaster@mx.example.net\n"
		"Content-Type: text/plain; charset=utf-8\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"Delivery failed.\n", pool);
	assert_string_equal(str_c(mail->text), "Delivery failed.\n");

	(void)test_parse_str(cut_mail, pool);
	mail = test_parse_str(
		"From: postmaster@mx.example.net\n"
		"Content-Type: text/plain; charset=utf-8\n"
		"Content-Transfer-Encoding: 8bit\n"
		"\n"
		"Zustellung f\xc3\xbcr user@example.org fehlgeschlagen.\n", pool);
	assert_string_equal(str_c(mail->text),
		"Zustellung f\xc3\xbcr user@example.org fehlgeschlagen.\n");
	pool_unref(&pool);
}

/* A body in 7bit or 8bit, in a charset that keeps ASCII as it is, skips
   the decoder while it is ASCII; anything else still goes through it:
   bytes that aren't UTF-8, a charset whose ASCII bytes mean something
   else, a part that only turns non-ASCII late. */
static void test_plain_ascii_and_the_decoder(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	string_t *msg = t_str_new(65536);
	struct bounce_mail *mail;

	mail = test_parse_str(
		TEST_MIXED_HEAD
		"Content-Type: text/plain; charset=us-ascii\n"
		"\n"
		"7bit, yet a \xff byte\n"
		"--A\n"
		"Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
		"Content-Transfer-Encoding: 8bit\n"
		"\n"
		"Empf\xe4nger\n"
		"--A\n"
		"Content-Type: text/plain; charset=iso-2022-jp\n"
		"Content-Transfer-Encoding: 7bit\n"
		"\n"
		"\x1b$B$3$s$K$A$O\x1b(B\n"
		"--A\n"
		"Content-Type: text/plain; charset*=us-ascii'en'utf-7\n"
		"\n"
		"A+ImIDkQ.\n"
		"--A--\n", pool);
	assert_string_equal(str_c(mail->text),
			    "7bit, yet a \xef\xbf\xbd byte\n"
			    "Empf\xc3\xa4nger\n"
			    "\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\n"
			    "A+ImIDkQ.\n");

	/* a long part: its first blocks are ASCII, a later one isn't */
	str_append(msg, "From: postmaster@mx.example.net\n"
		   "Content-Type: text/plain; charset=utf-8\n\n");
	for (unsigned int i = 0; i < 2000; i++)
		str_append(msg, "no such user here, no such user there\n");
	str_append(msg, "caf\xc3\xa9 \xc0\n");
	mail = test_parse_str(str_c(msg), pool);
	/* the headers gone, one byte become a 3-byte U+FFFD */
	assert_int_equal(str_len(mail->text), str_len(msg) - 73 + 2);
	assert_non_null(strstr(str_c(mail->text),
			       "there\ncaf\xc3\xa9 \xef\xbf\xbd\n"));

	/* ISO-2022-JP is ASCII up to its first escape sequence: a long
	   English part whose Japanese comes in a later block, and one
	   with none */
	str_truncate(msg, 0);
	str_append(msg, TEST_MIXED_HEAD
		   "Content-Type: text/plain; charset=ISO-2022-JP\n"
		   "\n");
	for (unsigned int i = 0; i < 2000; i++)
		str_append(msg, "no such user here, no such user there\n");
	str_append(msg, "\x1b$B$3$s$K$A$O\x1b(B\n"
		   "--A\n"
		   "Content-Type: text/plain; charset=\"iso-2022-jp\"\n"
		   "\n"
		   "User unknown\n"
		   "--A--\n");
	mail = test_parse_str(str_c(msg), pool);
	assert_int_equal(str_len(mail->text), 2000 * 38 + 16 + 13);
	assert_non_null(strstr(str_c(mail->text), "there\n"
		"\xe3\x81\x93\xe3\x82\x93\xe3\x81\xab\xe3\x81\xa1\xe3\x81\xaf\n"
		"User unknown\n"));

	/* 8bit UTF-8 read in blocks of a pipe's 512 bytes: with one
	   prefix byte or with two, a block ends inside a character. It
	   reaches the text whole, and a bad byte after it is replaced. */
	for (unsigned int prefix = 1; prefix <= 2; prefix++) {
		string_t *body = t_str_new(4096);

		str_append_data(body, "xy", prefix);
		for (unsigned int i = 0; i < 1500; i++)
			str_append(body, "\xc3\xa9");
		str_truncate(msg, 0);
		str_printfa(msg, "From: postmaster@mx.example.net\n"
			    "Content-Type: text/plain; charset=utf-8\n"
			    "Content-Transfer-Encoding: 8bit\n\n%s\n"
			    "\xc0 unknown\n", str_c(body));
		mail = test_parse_pipe(str_c(msg), pool);
		str_append(body, "\n\xef\xbf\xbd unknown\n");
		assert_string_equal(str_c(mail->text), str_c(body));
	}
	pool_unref(&pool);
}

/* no text part: the HTML, converted to text, is the text */
static void test_html_only(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_mail *mail = test_parse_str(
		TEST_MIXED_HEAD
		"Content-Type: text/html; charset=iso-8859-1\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"<p>Caf=E9 user@example.org: no such user</p>\n"
		"--A--\n", pool);

	assert_non_null(strstr(str_c(mail->text),
			       "Café user@example.org: no such user"));
	pool_unref(&pool);
}

/* HTML parts are read after the rest of the mail, from an input that
   can be read again, as they would have been read in their turn: in the
   order they came, each with its own charset and transfer encoding, a
   character cut between two quoted-printable lines put together. */
static void test_html_parts_read_at_the_end(void **state ATTR_UNUSED)
{
	static const char *const msg =
		TEST_MIXED_HEAD
		"Content-Type: text/html; charset=utf-8\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"<html><head><style>p { color: red; }</style></head>\n"
		"<body><p>Zustellung an user@example.org f=C3=\n"
		"=BCr immer fehlgeschlagen</p></body></html>\n"
		"--A\n"
		"Content-Type: image/png\n"
		"Content-Transfer-Encoding: base64\n"
		"\n"
		"iVBORw0KGgo=\n"
		"--A\n"
		"Content-Type: text/html; charset=iso-8859-1\n"
		"\n"
		"<p>Empf\xe4nger unbekannt</p>\n"
		"--A\n"
		"Content-Type: text/html\n"
		"Content-Transfer-Encoding: base64\n"
		"\n"
		/* "<p>no such user</p>" */
		"PHA+bm8gc3VjaCB1c2VyPC9wPg==\n"
		"--A--\n";
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_mail *mail;
	const char *text;

	mail = test_parse_str(msg, pool);
	text = t_strdup(str_c(mail->text));
	assert_non_null(strstr(text, "Zustellung an user@example.org "
			       "f\xc3\xbcr immer fehlgeschlagen"));
	assert_null(strstr(text, "color"));
	assert_non_null(strstr(strstr(text, "fehlgeschlagen"),
			       "Empf\xc3\xa4nger unbekannt"));
	assert_non_null(strstr(strstr(text, "unbekannt"), "no such user"));
	/* read in their turn, from a pipe: the same text */
	mail = test_parse_pipe(msg, pool);
	assert_string_equal(str_c(mail->text), text);
	pool_unref(&pool);
}

/* The HTML part of a report whose delivery-status part gives every
   recipient a Diagnostic-Code adds nothing the extractors need, and is
   not read; one whose report lacks a diagnostic still is. Whether the
   input can be read again doesn't change that. */
static void test_html_beside_delivery_status(void **state ATTR_UNUSED)
{
#define TEST_HTML_REPORT_HEAD \
	"From: postmaster@mx.example.net\n" \
	"Content-Type: multipart/report; report-type=delivery-status;\n" \
	"\tboundary=\"R\"\n" \
	"\n" \
	"--R\n" \
	"Content-Type: text/html; charset=utf-8\n" \
	"Content-Transfer-Encoding: quoted-printable\n" \
	"\n" \
	"<p style=3D\"color: red\">The mailbox of user@example.org =\n" \
	"is full.</p>\n" \
	"--R\n" \
	"Content-Type: message/delivery-status\n" \
	"\n" \
	"Reporting-MTA: dns; mx.example.net\n" \
	"\n" \
	"Final-Recipient: rfc822; user@example.org\n" \
	"Action: failed\n"
	static const char *const with_diagnostics =
		TEST_HTML_REPORT_HEAD
		"Status: 5.2.2\n"
		"Diagnostic-Code: smtp; 552 5.2.2 Mailbox full\n"
		"--R--\n";
	static const char *const without_diagnostics =
		TEST_HTML_REPORT_HEAD
		"Status: 5.0.0\n"
		"--R--\n";
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_mail *mail;

	mail = test_parse_str(with_diagnostics, pool);
	assert_int_equal(str_len(mail->text), 0);
	assert_non_null(strstr(str_c(mail->delivery_status),
			       "Diagnostic-Code: smtp; 552 5.2.2"));
	mail = test_parse_pipe(with_diagnostics, pool);
	assert_int_equal(str_len(mail->text), 0);

	mail = test_parse_str(without_diagnostics, pool);
	assert_non_null(strstr(str_c(mail->text),
			       "The mailbox of user@example.org is full."));
	mail = test_parse_pipe(without_diagnostics, pool);
	assert_non_null(strstr(str_c(mail->text),
			       "The mailbox of user@example.org is full."));
	pool_unref(&pool);
#undef TEST_HTML_REPORT_HEAD
}

/* report-type as lib-mail's rfc2231_parse() lists it first, lower-cased */
static const char *test_reference_report_type(const char *value)
{
	struct rfc822_parser_context parser;
	const char *const *params;
	string_t *type = t_str_new(64);
	const char *found = NULL;

	rfc822_parser_init(&parser, (const unsigned char *)value,
			   strlen(value), NULL);
	rfc822_skip_lwsp(&parser);
	if (rfc822_parse_content_type(&parser, type) >= 0) {
		(void)rfc2231_parse(&parser, &params);
		for (; *params != NULL && found == NULL; params += 2) {
			if (strcasecmp(params[0], "report-type") == 0)
				found = t_str_lcase(params[1]);
		}
	}
	rfc822_parser_deinit(&parser);
	return found;
}

/* The root's report-type is read parameter by parameter up to it, and
   by rfc2231_parse() when RFC 2231's parts come first: either way what
   rfc2231_parse() would give. */
static void test_report_type_as_rfc2231(void **state ATTR_UNUSED)
{
	static const char *const values[] = {
		"multipart/report; report-type=delivery-status; boundary=\"A\"",
		"multipart/report; boundary=\"A\"; Report-Type=\"Delivery-Status\"",
		"multipart/report; report-type=feedback-report; report-type=x",
		"multipart/report; boundary=A; report-type*0=delivery-;"
			" report-type*1=status",
		"multipart/report; report-type*=us-ascii'en'delivery-status;"
			" boundary=A",
		"multipart/report; report-type*0=a; report-type=delivery-status",
		"multipart/report; x*y=1; report-type=delivery-status",
		"multipart/report; ;;=; report-type=delivery-status",
		"multipart/report; bad\"param; report-type=\"quoted\\\"value\"",
		"multipart/report; report-type",
		"multipart/report; boundary=A",
		"multipart/report",
	};
	pool_t pool = pool_alloconly_create("test", 1024);

	for (unsigned int i = 0; i < N_ELEMENTS(values); i++) T_BEGIN {
		const char *msg = t_strdup_printf(
			"From: postmaster@mx.example.net\n"
			"Content-Type: %s\n\nbody\n", values[i]);
		struct bounce_mail *mail = test_parse_str(msg, pool);
		const char *expected = test_reference_report_type(values[i]);

		if (expected == NULL)
			assert_null(mail->report_type);
		else
			assert_string_equal(mail->report_type, expected);
	} T_END;
	pool_unref(&pool);
}

/* Only some of a MIME part's headers go through the decoder: a part
   without a Content-Type after others with a legacy charset, QP and
   another type must be read as plain US-ASCII text, not with a
   previous part's settings. */
static void test_part_without_headers_after_qp(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_mail *mail = test_parse_str(
		"From: postmaster@mx.example.net\n"
		"Subject: =?ISO-8859-1?Q?Zustellung_fehlgeschlagen_=E4?=\n"
		"Content-Type: multipart/mixed; boundary=\"A\"\n"
		"\n"
		"--A\n"
		"Content-Type: text/plain; charset=iso-8859-1\n"
		"Content-Description: Notification\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"Empf=E4nger unbekannt\n"
		"--A\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Final-Recipient: rfc822; user@example.org\n"
		"--A\n"
		"\n"
		"plain =E4 stays as written\n"
		"--A\n"
		"Content-Type: message/rfc822\n"
		"\n"
		"From: sender@example.com\n"
		"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\n"
		"Content-Type: multipart/mixed; boundary=\"O\"\n"
		"\n"
		"--O\n"
		"Content-Type: text/plain; charset=utf-8\n"
		"X-Inner: =?UTF-8?Q?inner?=\n"
		"\n"
		"the original's own text\n"
		"--O--\n"
		"--A--\n", pool);

	assert_string_equal(str_c(mail->text),
			    "Empfänger unbekannt\n"
			    "plain =E4 stays as written\n");
	assert_string_equal(bounce_mail_header(mail, "Subject"),
			    "Zustellung fehlgeschlagen ä");
	assert_true(mail->have_orig_message);
	assert_string_equal(bounce_mail_orig_header(mail, "Subject"),
			    "Grüße");
	/* the returned message's inner parts are not its headers */
	assert_null(bounce_mail_orig_header(mail, "X-Inner"));
	assert_string_equal(str_c(mail->delivery_status),
			    "Final-Recipient: rfc822; user@example.org\n");
	pool_unref(&pool);
}

/* The decoder gets a part's MIME headers only when the body needs it
   (bounce-parse.c): what it then reads must be what it would have read
   from the parser. A Content-Type folded over two lines, the first of
   two Content-Types and the last of two Content-Transfer-Encodings, and
   a Content-Disposition written as an encoded word. */
static void test_mime_headers_read_late(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024);
	struct bounce_mail *mail = test_parse_str(
		TEST_MIXED_HEAD
		"Content-Type: text/plain;\n"
		"\tcharset=iso-8859-1\n"
		"Content-Transfer-Encoding: 8bit\n"
		"\n"
		"Empf\xe4nger unbekannt\n"
		"--A\n"
		"Content-Type: text/plain; charset=iso-8859-1\n"
		"Content-Type: text/html; charset=utf-8\n"
		"Content-Transfer-Encoding: base64\n"
		"Content-Transfer-Encoding: quoted-printable\n"
		"\n"
		"Gr=FC=DFe\n"
		"--A\n"
		"Content-Type: text/plain\n"
		"Content-Disposition: =?us-ascii?Q?attachment?=; filename=x.txt\n"
		"\n"
		"an attached file, not the bounce's text\n"
		"--A--\n", pool);

	assert_string_equal(str_c(mail->text),
			    "Empf\xc3\xa4nger unbekannt\n"
			    "Gr\xc3\xbc\xc3\x9f" "e\n");
	pool_unref(&pool);
}

/* Headers are kept raw and decoded when looked up; a value too long for
   that is decoded (and cut) at once, so that the mail says it was
   truncated before anything is looked up. */
static void test_headers_decoded_on_lookup(void **state ATTR_UNUSED)
{
	static const char *const names[] = {
		"From", "X-Long", "Content-Type", "From", "Content-Type",
		"X-Missing", "X-Long"
	};
	pool_t pool = pool_alloconly_create("test", 1024);
	string_t *msg = t_str_new(8192);
	struct bounce_mail *mail;
	const char *value;
	char name[32];

	str_append(msg, "From: =?ISO-8859-1?Q?J=FCrgen?= <postmaster@example.net>\n"
		   "X-Long: ");
	for (unsigned int i = 0; i < 1500; i++)
		str_append(msg, "ab ");
	str_append(msg, "\n"
		   "Content-Type: multipart/report; boundary=\"A\"\n"
		   "\n"
		   "--A\n"
		   "Content-Type: text/rfc822-headers\n"
		   "\n"
		   "Subject: =?UTF-8?B?w4ljaGVj?=\n"
		   "Message-ID: <orig@example.com>\n"
		   "--A--\n");
	mail = test_parse_str(str_c(msg), pool);
	assert_true(mail->truncated);
	assert_string_equal(bounce_mail_header(mail, "from"),
			    "Jürgen <postmaster@example.net>");
	value = bounce_mail_header(mail, "X-Long");
	assert_non_null(value);
	assert_true(strlen(value) <= 4096);
	assert_true(strlen(value) > 4000);
	assert_string_equal(bounce_mail_orig_header(mail, "Subject"), "Échec");
	/* a second lookup gives the value decoded the first time */
	assert_ptr_equal(bounce_mail_orig_header(mail, "SUBJECT"),
			 bounce_mail_orig_header(mail, "Subject"));
	assert_null(bounce_mail_header(mail, "X-Missing"));
	assert_string_equal(bounce_mail_header_lower(mail, "FROM"),
			    "jürgen <postmaster@example.net>");
	assert_ptr_equal(bounce_mail_header_lower(mail, "From"),
			 bounce_mail_header_lower(mail, "from"));
	assert_null(bounce_mail_header_lower(mail, "X-Missing"));

	/* found headers are remembered by the name's pointer: a buffer
	   that holds another name by the next lookup gets that one */
	for (unsigned int i = 0; i < N_ELEMENTS(names); i++) {
		i_strocpy(name, names[i], sizeof(name));
		value = bounce_mail_header(mail, name);
		if (strcmp(names[i], "X-Missing") == 0)
			assert_null(value);
		else {
			assert_ptr_equal(value,
					 bounce_mail_header(mail, names[i]));
		}
	}
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_dsn_one_recipient),
		test_case(test_dsn_several_recipients),
		test_case(test_dsn_group_separators),
		test_case(test_dsn_missing_fields),
		test_case(test_dsn_completed_from_text),
		test_case(test_not_a_dsn),
		test_case(test_malformed_multipart),
		test_case(test_crlf),
		test_case(test_text_before_html),
		test_case(test_html_only),
		test_case(test_html_parts_read_at_the_end),
		test_case(test_html_beside_delivery_status),
		test_case(test_report_type_as_rfc2231),
		test_case(test_cut_character_stays_in_its_mail),
		test_case(test_plain_ascii_and_the_decoder),
		test_case(test_part_without_headers_after_qp),
		test_case(test_mime_headers_read_late),
		test_case(test_headers_decoded_on_lookup),
	};
	return test_run_group(tests);
}
