/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "bounce-format.h"
#include "bounce-text.h"
#include "bounce-analyze.h"
#include "test-bounce-common.h"

/* The line-scanning helpers the text formats share, and the tricky
   cases of the formats built on them. */

static struct bounce_report *report_new(pool_t pool)
{
	struct bounce_report *report = p_new(pool, struct bounce_report, 1);

	report->pool = pool;
	p_array_init(&report->recipients, pool, 4);
	return report;
}

static void test_fold(void **state ATTR_UNUSED)
{
	static const struct {
		const char *label, *input, *output;
		size_t max;
	} rows[] = {
		{ "runs of blanks", "  550\t5.1.1\n   user  unknown \n", "550 5.1.1 user unknown", 100 },
		{ "empty", " \n\t ", "", 100 },
		{ "cut at max", "abcdef ghij", "abcdef", 7 },
		/* "é" is two bytes: a cut between them drops the first */
		{ "utf-8 boundary", "ab\xc3\xa9", "ab", 3 },
		{ "utf-8 whole", "ab\xc3\xa9", "ab\xc3\xa9", 4 },
	};

	for (unsigned int i = 0; i < N_ELEMENTS(rows); i++) {
		const char *out = bounce_text_fold(pool_datastack_create(),
						   rows[i].input, rows[i].max);
		if (strcmp(out, rows[i].output) != 0)
			fail_msg("%s: got '%s'", rows[i].label, out);
	}
}

/* The enhanced status and the reply code of a diagnostic: where a code
   may start and what ends it (the scan jumps from one class digit to the
   next, so codes right after another code or a non-digit must still be
   seen, and digits inside words must not be) */
static void test_find_codes(void **state ATTR_UNUSED)
{
	static const struct {
		const char *text, *status, *reply;
	} rows[] = {
		{ "550 5.1.1 <a@example.org>: user unknown", "5.1.1", "550" },
		{ "550-5.7.1 blocked", "5.7.1", "550" },
		/* a status first: no reply code looked for after it */
		{ "5.2.2 mailbox full 552 over quota", "5.2.2", NULL },
		{ "#4.4.7 timed out", "4.4.7", NULL },
		{ "(5.1.2)", "5.1.2", NULL },
		{ "host 192.0.2.5 said 451 try later", NULL, "451" },
		/* inside a word, an address, an IP address, a version */
		{ "x5.1.1 a5.1.1@example.org 5.1.1.1 v2.4.5", NULL, NULL },
		{ "ab550 5501 550.5 45 4.4", NULL, NULL },
		/* a class digit that starts nothing right before a code */
		{ "2 24 5.1.10 and 421-4.3.0", "5.1.10", NULL },
		{ "ref 245 then 5.0.0", "5.0.0", "245" },
		{ "", NULL, NULL },
	};
	const char *status, *reply;

	for (unsigned int i = 0; i < N_ELEMENTS(rows); i++) {
		bounce_text_find_codes(rows[i].text, &status, &reply);
		if (null_strcmp(status, rows[i].status) != 0 ||
		    null_strcmp(reply, rows[i].reply) != 0) {
			fail_msg("'%s': got %s / %s", rows[i].text,
				 status == NULL ? "NULL" : status,
				 reply == NULL ? "NULL" : reply);
		}
	}
}

static void test_smtp_command(void **state ATTR_UNUSED)
{
	static const struct {
		const char *text, *command;
	} rows[] = {
		{ "550 5.1.1 User unknown (in reply to RCPT TO command)", "RCPT" },
		{ "554 5.7.1 spam (in reply to end of DATA command)", "DATA" },
		{ "SMTP error from remote mail server after RCPT TO:<a@example.org>: 550", "RCPT" },
		{ "SMTP error from remote mail server after end of data: 554", "DATA" },
		{ "SMTP error from remote mail server after MAIL FROM:<b@example.com>", "MAIL" },
		{ "Connected to 192.0.2.1 but sender was rejected.", "MAIL" },
		{ "Connected to 192.0.2.1 but my name was rejected.", "HELO" },
		{ "192.0.2.1 does not like recipient.", "RCPT" },
		{ "host mx.example.org refused to talk to me: 554 go away", "CONN" },
		{ ">>> DATA\n<<< 554 rejected", "DATA" },
		{ "550 5.1.1 User unknown", NULL },
	};

	for (unsigned int i = 0; i < N_ELEMENTS(rows); i++) {
		const char *command = bounce_text_smtp_command(rows[i].text);

		if (null_strcmp(command, rows[i].command) != 0)
			fail_msg("row %u: got %s", i, command == NULL ? "NULL" : command);
	}
}

static void test_remote_mta(void **state ATTR_UNUSED)
{
	static const struct {
		const char *text, *host;
	} rows[] = {
		{ "host mx.example.org[192.0.2.1] said: 550", "mx.example.org" },
		{ "host mx.example.org [192.0.2.1]: 550", "mx.example.org" },
		{ "Remote host said: 550 ... Giving up on 192.0.2.9.", "192.0.2.9" },
		{ "... while talking to mx.example.net.:", "mx.example.net" },
		/* "host" followed by a word is no host name */
		{ "Host or domain name not found", NULL },
		{ "localhost said no", NULL },
	};

	for (unsigned int i = 0; i < N_ELEMENTS(rows); i++) {
		const char *host = bounce_text_remote_mta(pool_datastack_create(),
							  rows[i].text);
		if (null_strcmp(host, rows[i].host) != 0)
			fail_msg("row %u: got %s", i, host == NULL ? "NULL" : host);
	}
}

static void test_line_address(void **state ATTR_UNUSED)
{
	static const struct {
		const char *line;
		bool bare_ok;
		const char *address, *rest;
	} rows[] = {
		{ "<User@Example.ORG>:", FALSE, "user@example.org", ":" },
		{ "<\"john..doe\"@example.org>: host", FALSE, "\"john..doe\"@example.org", ": host" },
		{ "  <a@example.org> (expanded from <b@example.org>): x", FALSE, "a@example.org", " (expanded from <b@example.org>): x" },
		{ "a@example.org: 550 no", TRUE, "a@example.org", ": 550 no" },
		{ "a@example.org: 550 no", FALSE, NULL, NULL },
		{ "<<< 550 5.1.1 <a@example.org>... User unknown", FALSE, NULL, NULL },
		{ "<@example.org>:", FALSE, NULL, NULL },
		{ "<user@>:", FALSE, NULL, NULL },
		{ "the following list of recipients:", TRUE, NULL, NULL },
	};

	for (unsigned int i = 0; i < N_ELEMENTS(rows); i++) {
		const char *rest = NULL;
		const char *address = bounce_text_line_address(
			pool_datastack_create(), rows[i].line, rows[i].bare_ok,
			&rest);

		if (null_strcmp(address, rows[i].address) != 0)
			fail_msg("row %u: got %s", i, address == NULL ? "NULL" : address);
		if (address != NULL && strcmp(rest, rows[i].rest) != 0)
			fail_msg("row %u: rest '%s'", i, rest);
	}
}

static void test_strcasestr(void **state ATTR_UNUSED)
{
	assert_string_equal(bounce_strcasestr("Hi. This IS the QMAIL-send", "qmail-send"),
			    "QMAIL-send");
	assert_null(bounce_strcasestr("short", "much longer needle"));
	assert_null(bounce_strcasestr("", "x"));
}

static void test_read_blocks(void **state ATTR_UNUSED)
{
	static const char *const intro[] = { "the mail system", NULL };
	const struct bounce_text_blocks set = {
		.start_markers = intro,
		.found_by = "text",
	};
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report = report_new(pool);
	const char *text =
		"<ignored@example.org>: before the list\n"
		"# THIS IS A WARNING ONLY. #\n"
		"                   The mail system\n"
		"\n"
		"<a@example.org>: host mx.example.org[192.0.2.1] said: 450 4.2.2\n"
		"    <a@example.org>: mailbox full (in reply to RCPT TO\n"
		"    command)\n"
		"\n"
		"<b@example.org>: connect to mx.example.org[192.0.2.1]:25:\n"
		"    Connection timed out\n"
		"--- Below this line is a copy of the message.\n"
		"<c@example.org>: not a recipient, the returned message\n";

	assert_int_equal(bounce_text_read_blocks(text, &set, report), 2);
	bounce_report_recipients_done(report);
	assert_string_equal(test_rcpt_idx(report, 0)->address, "a@example.org");
	assert_string_equal(test_rcpt_idx(report, 0)->status, "4.2.2");
	assert_string_equal(test_rcpt_idx(report, 0)->reply_code, "450");
	assert_string_equal(test_rcpt_idx(report, 0)->smtp_command, "RCPT");
	assert_string_equal(test_rcpt_idx(report, 0)->remote_mta, "mx.example.org");
	/* the folded continuation stays with its recipient */
	assert_non_null(strstr(test_rcpt_idx(report, 0)->diagnostic, "mailbox full"));
	assert_int_equal(test_rcpt_idx(report, 0)->action, BOUNCE_ACTION_DELAYED);
	assert_string_equal(test_rcpt_idx(report, 1)->address, "b@example.org");
	assert_null(test_rcpt_idx(report, 1)->status);
	assert_string_equal(test_rcpt_idx(report, 1)->diagnostic,
		"connect to mx.example.org[192.0.2.1]:25: Connection timed out");
	pool_unref(&pool);
}

static void test_read_blocks_bounded(void **state ATTR_UNUSED)
{
	const struct bounce_text_blocks set = { .found_by = "text" };
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report = report_new(pool);
	string_t *text = t_str_new(1024);

	/* one long diagnostic: kept to one bounded line */
	str_append(text, "<a@example.org>:\n");
	for (unsigned int i = 0; i < 2000; i++)
		str_append(text, "550 no such user here\n");
	assert_int_equal(bounce_text_read_blocks(str_c(text), &set, report), 1);
	bounce_report_recipients_done(report);
	assert_true(strlen(test_rcpt_idx(report, 0)->diagnostic) <=
		    BOUNCE_TEXT_MAX_DIAGNOSTIC);
	assert_null(strchr(test_rcpt_idx(report, 0)->diagnostic, '\n'));
	pool_unref(&pool);
}

static void test_autoreply_not_for_bounces(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;

	/* an unfamiliar bounce with the RFC 3834 header is still a bounce */
	report = test_analyze_str(
		"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n"
		"To: news@example.com\n"
		"Subject: Mail delivery failed\n"
		"Auto-Submitted: auto-replied\n"
		"\n"
		"Delivery to the following recipient failed permanently:\n"
		"\n"
		"    zoe@example.org\n", pool);
	assert_int_equal(report->kind, BOUNCE_KIND_DSN);
	assert_string_equal(report->format, "text");
	assert_string_equal(test_rcpt_idx(report, 0)->address, "zoe@example.org");

	/* a person's out-of-office reply is not */
	report = test_analyze_str(
		"From: Zoe <zoe@example.org>\n"
		"To: news@example.com\n"
		"Subject: Automatic reply: Newsletter\n"
		"Auto-Submitted: auto-replied\n"
		"\n"
		"I am away until Monday.\n", pool);
	assert_int_equal(report->kind, BOUNCE_KIND_AUTOREPLY);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(test_rcpt_idx(report, 0)->address, "zoe@example.org");
	assert_int_equal(test_rcpt_idx(report, 0)->reason_hint,
			 BOUNCE_REASON_VACATION);
	pool_unref(&pool);
}

static void test_dsn_completed_from_text(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;

	/* the DSN says only 5.0.0; the text has the server's reply */
	report = test_analyze_str(
		"From: Mailer Daemon <MAILER-DAEMON@mx.example.net>\n"
		"To: news@example.com\n"
		"Subject: Delivery status notification: error\n"
		"MIME-Version: 1.0\n"
		"Content-Type: multipart/report; report-type=delivery-status;\n"
		"\tboundary=\"B\"\n"
		"\n"
		"--B\n"
		"Content-Type: text/plain\n"
		"\n"
		"    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n"
		"\n"
		"a@example.org: 550 5.7.26 Unauthenticated email is not accepted\n"
		"\n"
		"--B\n"
		"Content-Type: message/delivery-status\n"
		"\n"
		"Reporting-MTA: dns; mx.example.net\n"
		"\n"
		"Final-Recipient: rfc822; a@example.org\n"
		"Action: failed\n"
		"Status: 5.0.0\n"
		"\n"
		"--B--\n", pool);
	assert_string_equal(report->format, "rfc3464");
	assert_string_equal(test_rcpt_idx(report, 0)->status, "5.7.26");
	assert_string_equal(test_rcpt_idx(report, 0)->reply_code, "550");
	assert_non_null(test_rcpt_idx(report, 0)->diagnostic);
	pool_unref(&pool);
}

/* what bounce_mail_text_first_line() must answer: the first line, at
   most max_len bytes long, that contains a needle (case-insensitive) */
static unsigned int naive_first_line(const char *text,
				     const char *const *needles,
				     size_t max_len)
{
	const char *const *lines = bounce_text_lines(text);
	unsigned int i;

	for (i = 0; lines[i] != NULL; i++) {
		if (strlen(lines[i]) > max_len)
			continue;
		for (const char *const *n = needles; *n != NULL; n++) {
			if (bounce_strcasestr(lines[i], *n) != NULL)
				return i;
		}
	}
	return i;
}

static void test_mail_text_first_line(void **state ATTR_UNUSED)
{
	static const char *const needles[] = {
		"original message", "Copy Of", "--x--", NULL
	};
	static const char *const texts[] = {
		"",
		"nothing\nhere\n",
		"a\nb\nthe ORIGINAL message follows\n",
		"copy of\n",
		"no newline at the end: --x--",
		/* the first occurrence is on a line too long (max 20) */
		"a line much longer than twenty bytes with copy of\n"
		"short: --x--\n",
		"a line much longer than twenty bytes --x-- original message\n"
		"a line much longer than twenty bytes copy of\n\n",
		"--X--\n--x--\n",
	};
	pool_t pool = pool_alloconly_create("test mail", 1024);

	for (unsigned int i = 0; i < N_ELEMENTS(texts); i++) {
		for (unsigned int m = 0; m < 2; m++) {
			size_t max_len = m == 0 ? SIZE_MAX : 20;
			struct bounce_mail *mail = p_new(pool, struct bounce_mail, 1);

			mail->pool = pool;
			mail->text = str_new(pool, 64);
			str_append(mail->text, texts[i]);
			mail->text_view =
				p_new(pool, struct bounce_mail_text_view, 1);
			assert_int_equal(bounce_mail_text_first_line(mail,
						needles, max_len),
					 naive_first_line(texts[i], needles,
							  max_len));
			/* the second time from the mark */
			assert_int_equal(bounce_mail_text_first_line(mail,
						needles, max_len),
					 naive_first_line(texts[i], needles,
							  max_len));
		}
	}
	pool_unref(&pool);
}

/* bounce_mail_text_contains() rejects most needles by the pairs of bytes
   in the text before any strstr(): it must answer as strstr() on the
   lower-cased text does. Random texts and needles over a small alphabet
   (so that pairs occur without the needle), UTF-8 among them, and bytes
   that differ only in the high bit the pairs drop. */
/* a fixed sequence of pseudo-random numbers, the same on every run, so
   that a failure can be repeated (i_rand() is seeded per process) */
static unsigned int test_next_random(unsigned int *state)
{
	*state = *state * 1103515245U + 12345U;
	return (*state >> 16) & 0x7fff;
}

static void test_mail_text_contains_by_pairs(void **state ATTR_UNUSED)
{
	static const char *const alphabet[] = {
		"a", "b", "c", "A", " ", "\n", "\xc3\xa4", "\xc3", "C", "$",
		"\xe2\x82\xac",
	};
	static const char *const fixed[] = {
		"", "a", "ab", "ba", "abc", "\xc3\xa4", "c$", "C$", "a\nb",
		"\xe2\x82\xac", "\xa4", "zz",
	};
	pool_t pool = pool_alloconly_create("test mail", 4096);
	unsigned int seed = 12345;

	for (unsigned int round = 0; round < 400; round++) {
		struct bounce_mail *mail = p_new(pool, struct bounce_mail, 1);
		string_t *needle = t_str_new(16);
		const char *lower;

		mail->pool = pool;
		mail->text = str_new(pool, 64);
		mail->text_view = p_new(pool, struct bounce_mail_text_view, 1);
		for (unsigned int len = test_next_random(&seed) % 40; len > 0; len--) {
			str_append(mail->text, alphabet[test_next_random(&seed) %
							N_ELEMENTS(alphabet)]);
		}
		lower = t_str_lcase(str_c(mail->text));
		for (unsigned int i = 0; i < N_ELEMENTS(fixed); i++) {
			assert_int_equal(bounce_mail_text_contains(mail, fixed[i]),
					 strstr(lower, fixed[i]) != NULL);
		}
		for (unsigned int n = 0; n < 20; n++) {
			str_truncate(needle, 0);
			for (unsigned int len = 1 + test_next_random(&seed) % 4; len > 0;
			     len--) {
				str_append(needle, alphabet[test_next_random(&seed) %
						N_ELEMENTS(alphabet)]);
			}
			/* the formats' needles are lower-case */
			lower = t_str_lcase(str_c(mail->text));
			assert_int_equal(bounce_mail_text_contains(mail,
					t_str_lcase(str_c(needle))),
				strstr(lower, t_str_lcase(str_c(needle))) != NULL);
		}
		p_clear(pool);
	}
	pool_unref(&pool);
}

/* bounce_report_add_recipient() gives one recipient per address (case
   folded), whether the report is searched one by one (a few recipients)
   or through the index it builds past BOUNCE_REPORT_INDEX_MIN_RECIPIENTS;
   and the same without bounce_report_recipients_begin(). */
static void test_report_recipients_once(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 4096);

	for (unsigned int indexed = 0; indexed < 2; indexed++) {
		struct bounce_report report;
		struct bounce_recipient *rcpt;

		i_zero(&report);
		report.pool = pool;
		p_array_init(&report.recipients, pool, 4);
		if (indexed == 1)
			bounce_report_recipients_begin(&report);
		for (unsigned int i = 0; i < 100; i++) {
			const char *address = t_strdup_printf(
				i % 2 == 0 ? "User%u@Example.org" :
				"user%u@example.org", i % 40);

			rcpt = bounce_report_add_recipient(&report, address,
							   "test");
			assert_string_equal(rcpt->address,
				t_strdup_printf("user%u@example.org", i % 40));
			assert_int_equal(array_count(&report.recipients),
					 I_MIN(i + 1, 40));
		}
		if (indexed == 1)
			bounce_report_recipients_done(&report);
	}
	pool_unref(&pool);
}

static void test_mail_text_lower(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test mail", 4096);
	struct bounce_mail *mail = p_new(pool, struct bounce_mail, 1);
	const char *lower;

	/* every byte value, at every offset in a word */
	mail->pool = pool;
	mail->text = str_new(pool, 1024);
	for (unsigned int shift = 0; shift < 8; shift++) {
		str_truncate(mail->text, 0);
		for (unsigned int i = 0; i < shift; i++)
			str_append_c(mail->text, 'Q');
		for (unsigned int c = 1; c < 256; c++)
			str_append_c(mail->text, c);
		mail->text_view = p_new(pool, struct bounce_mail_text_view, 1);
		lower = bounce_mail_text_lower(mail);
		assert_int_equal(strlen(lower), str_len(mail->text));
		for (size_t i = 0; i < str_len(mail->text); i++) {
			unsigned char c = str_data(mail->text)[i];
			unsigned char expected = c >= 'A' && c <= 'Z' ?
				c + ('a' - 'A') : c;

			assert_int_equal((unsigned char)lower[i], expected);
		}
	}
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_fold),
		test_case(test_find_codes),
		test_case(test_smtp_command),
		test_case(test_remote_mta),
		test_case(test_line_address),
		test_case(test_strcasestr),
		test_case(test_read_blocks),
		test_case(test_read_blocks_bounded),
		test_case(test_autoreply_not_for_bounces),
		test_case(test_dsn_completed_from_text),
		test_case(test_mail_text_first_line),
		test_case(test_mail_text_contains_by_pairs),
		test_case(test_report_recipients_once),
		test_case(test_mail_text_lower),
	};
	return test_run_group(tests);
}
