/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "failures.h"
#include "array.h"
#include "istream.h"
#include "unlink-directory.h"
#include "bounce-analyze.h"
#include "bounce-classify.h"
#include "test-bounce-common.h"

#include <stdlib.h>

static unsigned int expected_errors;
static failure_callback_t *orig_error_handler;

static void ATTR_FORMAT(2, 0)
test_error_handler(const struct failure_context *ctx, const char *format,
		   va_list args)
{
	bool expected = expected_errors > 0;

	if (expected)
		expected_errors--;
	if (!expected || getenv("TEST_VERBOSE") != NULL) {
		va_list args2;

		VA_COPY(args2, args);
		orig_error_handler(ctx, format, args2);
		va_end(args2);
	}
	if (!expected && ctx->type != LOG_TYPE_DEBUG &&
	    ctx->type != LOG_TYPE_INFO)
		fail_msg("unexpected error logged");
}

void test_expect_errors(unsigned int n)
{
	expected_errors += n;
}

int test_group_setup(void **state ATTR_UNUSED)
{
	lib_init();
	failure_callback_t *fatal, *info, *debug;

	i_get_failure_handlers(&fatal, &orig_error_handler, &info, &debug);
	i_set_error_handler(test_error_handler);
	return 0;
}

int test_group_teardown(void **state ATTR_UNUSED)
{
	i_set_error_handler(orig_error_handler);
	/* what the classifier and the parser keep between mails (tables,
	   the mail pool), so that valgrind sees all of it freed */
	bounce_classify_deinit();
	lib_deinit();
	return 0;
}

static data_stack_frame_t test_data_stack_id;

int test_setup(void **state ATTR_UNUSED)
{
	expected_errors = 0;
	test_data_stack_id = t_push("unit test");
	return 0;
}

int test_teardown(void **state ATTR_UNUSED)
{
	if (!t_pop(&test_data_stack_id))
		fail_msg("data stack frame leaked");
	if (expected_errors != 0) {
		expected_errors = 0;
		fail_msg("expected error was not logged");
	}
	return 0;
}

struct bounce_report *test_report_new(pool_t pool, unsigned int count)
{
	struct bounce_report *report = p_new(pool, struct bounce_report, 1);

	report->pool = pool;
	p_array_init(&report->recipients, pool, 4);
	p_array_init(&report->campaign_headers, pool, 4);
	report->format = "rfc3464";
	report->reporting_mta = "mx.example.net";
	report->orig_message_id = "<orig@example.com>";
	for (unsigned int i = 0; i < count; i++) {
		struct bounce_recipient *rcpt =
			array_append_space(&report->recipients);
		rcpt->address = p_strdup_printf(pool, "user%u@example.org", i);
		rcpt->action = BOUNCE_ACTION_FAILED;
		rcpt->status = "5.1.1";
		rcpt->reply_code = "550";
		rcpt->diagnostic = "550 5.1.1 user unknown";
		rcpt->reason = BOUNCE_REASON_USERUNKNOWN;
		rcpt->category = BOUNCE_CATEGORY_HARD;
		rcpt->hard = TRUE;
		rcpt->rule = "status:5.1.1";
	}
	return report;
}

const char *test_make_dir(const char *name)
{
	char *template = t_strdup_noconst(t_strdup_printf("/tmp/%s.XXXXXX",
							   name));

	if (mkdtemp(template) == NULL)
		fail_msg("mkdtemp() failed: %m");
	return template;
}

void test_remove_dir(const char *dir)
{
	const char *error;

	if (unlink_directory(dir, UNLINK_DIRECTORY_FLAG_RMDIR, &error) < 0)
		fail_msg("%s", error);
}

const char *test_srcdir_path(const char *relpath)
{
	const char *top = getenv("top_srcdir");

	if (top == NULL)
		top = ".";
	return t_strconcat(top, "/tests/", relpath, NULL);
}

struct bounce_report *test_analyze_str(const char *msg, pool_t pool)
{
	struct bounce_analyze_settings set;
	struct bounce_report *report;
	struct istream *input;
	const char *error;

	bounce_analyze_settings_init(&set);
	input = i_stream_create_from_data(msg, strlen(msg));
	assert_int_equal(bounce_analyze_stream(input, &set, pool, &report,
					       &error), 0);
	i_stream_unref(&input);
	return report;
}

const struct bounce_recipient *
test_rcpt_idx(const struct bounce_report *report, unsigned int idx)
{
	assert_true(idx < array_count(&report->recipients));
	return array_idx(&report->recipients, idx);
}
