/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "bounce-mail.h"
#include "bounce-analyze.h"
#include "test-bounce-common.h"

/* The parse step on messages written for these tests: RFC 3464 with one
   and several recipients, missing fields, no DSN at all, broken MIME. */

#define DSN_HEAD \
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
	"Your message could not be delivered.\n" \
	"\n" \
	"--BOUNDARY\n" \
	"Content-Type: message/delivery-status\n" \
	"\n"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_dsn_one_recipient),
		test_case(test_dsn_several_recipients),
		test_case(test_dsn_missing_fields),
		test_case(test_not_a_dsn),
		test_case(test_malformed_multipart),
		test_case(test_crlf),
	};
	return test_run_group(tests);
}
