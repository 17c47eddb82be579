/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "bounce-mail.h"
#include "bounce-analyze.h"
#include "bounce-vendor.h"
#include "test-bounce-common.h"

/* The vendor formats' shared line scanner and a few modules on messages
   written for these tests: line endings, bounds on recipients and
   diagnostics, and the formats' own structures. */

static const char *to_crlf(const char *lf)
{
	string_t *str = t_str_new(strlen(lf) * 2);

	for (const char *p = lf; *p != '\0'; p++) {
		if (*p == '\n')
			str_append_c(str, '\r');
		str_append_c(str, *p);
	}
	return str_c(str);
}

#define GMX_MAIL \
	"From: MAILER-DAEMON@gmx.example.net\n" \
	"To: news@example.com\n" \
	"Subject: Mail delivery failed: returning message to sender\n" \
	"\n" \
	"This message was created automatically by mail delivery software.\n" \
	"\n" \
	"A message that you sent could not be delivered to one or more of\n" \
	"its recipients. This is a permanent error. The following address\n" \
	"failed:\n" \
	"\n" \
	"\"Full.Box@example.org\":\n" \
	"SMTP error from remote server after RCPT command:\n" \
	"host: mx.example.org\n" \
	"552 5.2.2 <full.box@example.org>... Mailbox   full\n" \
	"\n" \
	"--- The header of the original message is following. ---\n" \
	"\n" \
	"To: someone-else@example.org\n"

static void test_text_layout(void **state ATTR_UNUSED)
{
	const char *const variants[] = { GMX_MAIL, to_crlf(GMX_MAIL) };

	for (unsigned int i = 0; i < N_ELEMENTS(variants); i++) {
		pool_t pool = pool_alloconly_create("test", 4096);
		struct bounce_report *report = test_analyze_str(variants[i], pool);
		const struct bounce_recipient *rcpt;

		assert_string_equal(report->format, "gmx");
		/* the returned message's To: is no recipient */
		assert_int_equal(array_count(&report->recipients), 1);
		rcpt = test_rcpt_idx(report, 0);
		assert_string_equal(rcpt->address, "full.box@example.org");
		assert_string_equal(rcpt->status, "5.2.2");
		assert_string_equal(rcpt->reply_code, "552");
		assert_string_equal(rcpt->smtp_command, "RCPT");
		/* one line, whitespace folded */
		assert_string_equal(rcpt->diagnostic,
			"SMTP error from remote server after RCPT command: "
			"host: mx.example.org 552 5.2.2 "
			"<full.box@example.org>... Mailbox full");
		pool_unref(&pool);
	}
}

static void test_signatures_match(void **state ATTR_UNUSED)
{
	static const struct bounce_vendor_signature sigs[] = {
		{ NULL, "created automatically" },
		{ "Subject", "delivery failed" },
		{ NULL, "not in this mail" },
		{ "From", "mailer-daemon@" },
		{ NULL, NULL }
	};
	/* the same signatures in another order: the answer must not
	   depend on which are looked at first */
	static const struct bounce_vendor_signature reordered[] = {
		{ NULL, "not in this mail" },
		{ "From", "mailer-daemon@" },
		{ NULL, "created automatically" },
		{ "Subject", "delivery failed" },
		{ NULL, NULL }
	};
	pool_t pool = pool_alloconly_create("test", 4096);
	struct istream *input = i_stream_create_from_data(GMX_MAIL,
							  strlen(GMX_MAIL));
	struct bounce_mail *mail;
	const char *error;

	assert_int_equal(bounce_mail_parse(input, 1024*1024, pool, &mail,
					   &error), 0);
	/* three of the four match */
	for (unsigned int min = 0; min <= 5; min++) {
		assert_int_equal(bounce_vendor_signatures_match(mail, sigs, min),
				 min <= 3);
		assert_int_equal(bounce_vendor_signatures_match(mail, reordered,
								 min),
				 min <= 3);
	}
	i_stream_unref(&input);
	pool_unref(&pool);
}

static void test_text_bounds(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 1024*1024);
	string_t *msg = t_str_new(1024*1024);
	struct bounce_report *report;

	str_append(msg, "From: MAILER-DAEMON@gmx.example.net\n"
		   "Subject: Mail delivery failed\n\n"
		   "This message was created automatically by mail delivery software.\n"
		   "The following addresses failed:\n\n"
		   "first@example.org\n");
	/* a reason far longer than any diagnostic we keep */
	for (unsigned int i = 0; i < 2000; i++)
		str_append(msg, "overlong reason text ");
	str_append_c(msg, '\n');
	for (unsigned int i = 0; i < BOUNCE_VENDOR_MAX_RECIPIENTS + 50; i++)
		str_printfa(msg, "user%u@example.org\n", i);
	str_append(msg, "--- The header of the original message is following. ---\n");

	report = test_analyze_str(str_c(msg), pool);
	assert_int_equal(array_count(&report->recipients),
			 BOUNCE_VENDOR_MAX_RECIPIENTS);
	assert_true(strlen(test_rcpt_idx(report, 0)->diagnostic) <=
		    BOUNCE_VENDOR_MAX_DIAGNOSTIC);
	pool_unref(&pool);
}

static void test_fold(void **state ATTR_UNUSED)
{
	string_t *str = t_str_new(BOUNCE_VENDOR_MAX_DIAGNOSTIC + 16);
	const char *folded;

	assert_null(bounce_vendor_fold(pool_datastack_create(), " \t\n "));
	assert_string_equal(bounce_vendor_fold(pool_datastack_create(),
					       "  a\t\tb \n c  "), "a b c");
	/* never cut inside a UTF-8 sequence */
	str_append_c(str, 'x');
	while (str_len(str) < BOUNCE_VENDOR_MAX_DIAGNOSTIC + 8)
		str_append(str, "\xC3\xA9");
	folded = bounce_vendor_fold(pool_datastack_create(), str_c(str));
	assert_int_equal(strlen(folded), BOUNCE_VENDOR_MAX_DIAGNOSTIC - 1);
}

static void test_ses_sns_wrapped(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 4096);
	struct bounce_report *report;
	const struct bounce_recipient *rcpt;

	/* SNS ends an overlong line in "!" and indents the rest */
	report = test_analyze_str(
		"From: AWS Notifications <no-reply@sns.amazonaws.com>\n"
		"Subject: AWS Notification Message\n"
		"\n"
		"{\"notificationType\":\"Bounce\",\"bounce\":{\"bounceType\":\"Perm!\n"
		" anent\",\"bounceSubType\":\"General\",\"bouncedRecipients\":[{\"email!\n"
		" Address\":\"a@example.org\",\"action\":\"failed\",\"status\":\"5.4.4\","
		"\"diagnosticCode\":\"smtp; 550 5.4.4 no such domain\"},"
		"{\"emailAddress\":\"b@example.net\",\"status\":\"5.1.1\"}]}}\n"
		"\n--\nunsubscribe footer a-footer@example.com\n", pool);
	assert_string_equal(report->format, "amazonses");
	assert_int_equal(array_count(&report->recipients), 2);
	rcpt = test_rcpt_idx(report, 0);
	assert_string_equal(rcpt->address, "a@example.org");
	assert_string_equal(rcpt->status, "5.4.4");
	assert_string_equal(rcpt->reply_code, "550");
	/* "General" says nothing certain */
	assert_int_equal(rcpt->reason_hint, BOUNCE_REASON_UNDEFINED);
	assert_string_equal(test_rcpt_idx(report, 1)->address, "b@example.net");
	pool_unref(&pool);
}

static void test_exchange_code_hint(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 4096);
	struct bounce_report *report;
	const struct bounce_recipient *rcpt;

	report = test_analyze_str(
		"From: postmaster@example.org\n"
		"Subject: Undeliverable: hello\n"
		"\n"
		"Delivery has failed to these recipients or groups:\n"
		"\n"
		"Diagnostic information for administrators:\n"
		"\n"
		"Generating server: mbx.example.org\n"
		"\n"
		"gone@example.org\n"
		"#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##\n"
		"\n"
		"Original message headers:\n"
		"\n"
		"To: other@example.org\n", pool);
	assert_string_equal(report->format, "exchange");
	assert_int_equal(array_count(&report->recipients), 1);
	rcpt = test_rcpt_idx(report, 0);
	assert_string_equal(rcpt->address, "gone@example.org");
	assert_string_equal(rcpt->status, "5.1.1");
	assert_int_equal(rcpt->reason_hint, BOUNCE_REASON_USERUNKNOWN);
	assert_string_equal(rcpt->rule_hint,
			    "format:exchange:RESOLVER.ADR.RecipNotFound");
	pool_unref(&pool);
}

static void test_vendor_reason_hint(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 4096);
	struct bounce_report *report;
	const struct bounce_recipient *rcpt;

	/* Lotus Notes' own directory text is the format's reason, whatever
	   command the delivery stopped at */
	report = test_analyze_str(
		"From: postmaster@example.org\n"
		"Subject: Undeliverable Message\n"
		"\n"
		"------- Failure Reasons --------\n"
		"\n"
		"User not listed in public Name & Address Book\n"
		"gone@example.org\n"
		"\n"
		"------- Returned Message --------\n"
		"To: gone@example.org\n", pool);
	assert_string_equal(report->format, "notes");
	assert_int_equal(array_count(&report->recipients), 1);
	rcpt = test_rcpt_idx(report, 0);
	assert_string_equal(rcpt->address, "gone@example.org");
	assert_int_equal(rcpt->reason_hint, BOUNCE_REASON_USERUNKNOWN);
	assert_string_equal(rcpt->rule_hint,
		"format:notes:not listed in public name & address book");
	pool_unref(&pool);
}

static void test_not_a_vendor_format(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test", 4096);
	struct bounce_report *report;

	/* phrases alone without the format's structure find nothing */
	report = test_analyze_str(
		"From: friend@example.org\n"
		"Subject: Mail System Error - Returned Mail\n"
		"\n"
		"Did you see the Diagnostic information for administrators\n"
		"in that mail? No address here.\n", pool);
	assert_int_equal(array_count(&report->recipients), 0);
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_text_layout),
		test_case(test_signatures_match),
		test_case(test_text_bounds),
		test_case(test_fold),
		test_case(test_ses_sns_wrapped),
		test_case(test_exchange_code_hint),
		test_case(test_vendor_reason_hint),
		test_case(test_not_a_vendor_format),
	};
	return test_run_group(tests);
}
