/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "istream.h"
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
