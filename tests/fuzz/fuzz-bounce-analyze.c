/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "unichar.h"
#include "bounce-format.h"
#include "bounce-analyze.h"

#include <stdint.h>

/* libFuzzer target over the whole engine: parse -> extract -> classify,
   exactly as the mail plugin runs it on a saved message. Built with
   -fsanitize=fuzzer,address,undefined (make fuzz, tests/fuzz/run.sh). */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The small scan limit cuts the message at a point that moves with the
   input, so the code that handles a bounce cut in the middle of a
   header, a boundary or an encoded word is exercised on every input. */
static uoff_t fuzz_small_scan_size(size_t size)
{
	return size / 2 + 1;
}

/* Whatever the input, the report goes to SQLite and JSON: every string
   must be valid UTF-8 and the recipients must be capped. A violation is
   a finding like a crash. */
static void fuzz_check_string(const char *what, const char *str)
{
	if (str != NULL && !uni_utf8_str_is_valid(str))
		i_panic("report %s is not valid UTF-8", what);
}

static void fuzz_check_report(const struct bounce_report *report)
{
	const struct bounce_recipient *rcpt;
	const struct bounce_header *hdr;

	if (array_count(&report->recipients) > BOUNCE_MAX_RECIPIENTS)
		i_panic("%u recipients", array_count(&report->recipients));
	fuzz_check_string("reporting_mta", report->reporting_mta);
	fuzz_check_string("arrival_date", report->arrival_date);
	fuzz_check_string("original_envelope_id",
			  report->original_envelope_id);
	fuzz_check_string("orig_message_id", report->orig_message_id);
	fuzz_check_string("orig_from", report->orig_from);
	fuzz_check_string("orig_to", report->orig_to);
	fuzz_check_string("orig_subject", report->orig_subject);
	fuzz_check_string("orig_list_id", report->orig_list_id);
	fuzz_check_string("feedback_type", report->feedback_type);
	fuzz_check_string("source_ip", report->source_ip);
	fuzz_check_string("reported_domain", report->reported_domain);
	fuzz_check_string("original_mail_from", report->original_mail_from);
	fuzz_check_string("verp_recipient", report->verp_recipient);
	array_foreach(&report->campaign_headers, hdr)
		fuzz_check_string("campaign header", hdr->value);
	array_foreach(&report->recipients, rcpt) {
		if (rcpt->address == NULL || rcpt->address[0] == '\0')
			i_panic("recipient without an address");
		fuzz_check_string("address", rcpt->address);
		fuzz_check_string("original_recipient",
				  rcpt->original_recipient);
		fuzz_check_string("final_recipient", rcpt->final_recipient);
		fuzz_check_string("status", rcpt->status);
		fuzz_check_string("reply_code", rcpt->reply_code);
		fuzz_check_string("diagnostic", rcpt->diagnostic);
		fuzz_check_string("diagnostic_type", rcpt->diagnostic_type);
		fuzz_check_string("remote_mta", rcpt->remote_mta);
		fuzz_check_string("smtp_command", rcpt->smtp_command);
		fuzz_check_string("rule", rcpt->rule);
		if (rcpt->reason >= BOUNCE_REASON_COUNT)
			i_panic("recipient reason %d out of range",
				(int)rcpt->reason);
	}
}

static void fuzz_analyze(const uint8_t *data, size_t size,
			 uoff_t max_scan_size)
{
	struct bounce_analyze_settings set;
	struct bounce_report *report;
	struct istream *input;
	const char *error;
	pool_t pool;

	bounce_analyze_settings_init(&set);
	if (max_scan_size != 0)
		set.max_scan_size = max_scan_size;
	pool = pool_alloconly_create("fuzz bounce report", 1024);
	input = i_stream_create_from_data(data, size);
	/* a memory stream never fails to read */
	if (bounce_analyze_stream(input, &set, pool, &report, &error) < 0)
		i_panic("bounce_analyze_stream() failed: %s", error);
	if (report->pool != pool)
		i_panic("report not allocated from the caller's pool");
	fuzz_check_report(report);
	i_stream_unref(&input);
	pool_unref(&pool);
}

int LLVMFuzzerInitialize(int *argc ATTR_UNUSED, char ***argv ATTR_UNUSED)
{
	lib_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	T_BEGIN {
		fuzz_analyze(data, size, 0);
		fuzz_analyze(data, size, fuzz_small_scan_size(size));
	} T_END;
	return 0;
}
