/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "json-parser.h"
#include "bounce-analyze.h"

#include <unistd.h>

/* bounce-classify-run FILE...: one JSON object per file, per line, with
   every recipient's facts and decision. The regression suite compares
   this against tests/mail/FORMAT/NAME.expected, the benchmarks time it,
   and ../shared/corpus/score.py reads it. */

static void json_field(string_t *out, const char *key, const char *value,
		       bool first)
{
	if (!first)
		str_append_c(out, ',');
	str_append_c(out, '"');
	str_append(out, key);
	str_append(out, "\":\"");
	json_append_escaped(out, value == NULL ? "" : value);
	str_append_c(out, '"');
}

static void print_report(const char *path, const struct bounce_report *report)
{
	const struct bounce_recipient *rcpt;
	string_t *out = t_str_new(1024);
	bool first = TRUE;

	str_append_c(out, '{');
	json_field(out, "file", path, TRUE);
	json_field(out, "format", report->format, FALSE);
	json_field(out, "original_message_id", report->orig_message_id, FALSE);
	json_field(out, "verp_recipient", report->verp_recipient, FALSE);
	str_append(out, ",\"recipients\":[");
	array_foreach(&report->recipients, rcpt) {
		if (!first)
			str_append_c(out, ',');
		first = FALSE;
		str_append_c(out, '{');
		json_field(out, "address", rcpt->address, TRUE);
		json_field(out, "action", bounce_action_name(rcpt->action), FALSE);
		json_field(out, "status", rcpt->status, FALSE);
		json_field(out, "replycode", rcpt->reply_code, FALSE);
		json_field(out, "reason", bounce_reason_name(rcpt->reason), FALSE);
		json_field(out, "category",
			   bounce_category_name(rcpt->category), FALSE);
		str_append(out, rcpt->hard ? ",\"hard\":true" : ",\"hard\":false");
		json_field(out, "rule", rcpt->rule, FALSE);
		json_field(out, "smtp_command", rcpt->smtp_command, FALSE);
		json_field(out, "remote_mta", rcpt->remote_mta, FALSE);
		json_field(out, "diagnostic", rcpt->diagnostic, FALSE);
		str_append_c(out, '}');
	}
	str_append(out, "]}\n");
	if (write(STDOUT_FILENO, str_data(out), str_len(out)) < 0)
		i_fatal("write(stdout) failed: %m");
}

static int analyze_file(const char *path,
			const struct bounce_analyze_settings *set)
{
	struct bounce_report *report;
	struct istream *input;
	const char *error;
	pool_t pool;
	int ret;

	input = i_stream_create_file(path, IO_BLOCK_SIZE);
	pool = pool_alloconly_create("bounce report", 4096);
	ret = bounce_analyze_stream(input, set, pool, &report, &error);
	if (ret < 0)
		i_error("%s", error);
	else
		print_report(path, report);
	pool_unref(&pool);
	i_stream_unref(&input);
	return ret;
}

int main(int argc, char *argv[])
{
	struct bounce_analyze_settings set;
	int ret = 0;

	lib_init();
	bounce_analyze_settings_init(&set);
	for (int i = 1; i < argc; i++) T_BEGIN {
		if (analyze_file(argv[i], &set) < 0)
			ret = 1;
	} T_END;
	lib_deinit();
	return ret;
}
