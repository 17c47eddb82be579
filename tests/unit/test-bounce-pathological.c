/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "unichar.h"
#include "istream-private.h"
#include "bounce-analyze.h"
#include "test-bounce-common.h"

#include <ctype.h>
#include <stdio.h>
#include <dirent.h>
#include <fcntl.h>
#include <malloc.h>
#include <unistd.h>
#include <sys/resource.h>
#if defined(__has_include)
#  if __has_include(<valgrind/valgrind.h>)
#    include <valgrind/valgrind.h>
#  endif
#endif
#ifndef RUNNING_ON_VALGRIND
#  define RUNNING_ON_VALGRIND 0
#endif
#if defined(__SANITIZE_ADDRESS__)
#  define TEST_UNDER_ASAN 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer)
#    define TEST_UNDER_ASAN 1
#  endif
#endif
#ifndef TEST_UNDER_ASAN
#  define TEST_UNDER_ASAN 0
#endif

/* Input written to hurt: huge, deep, wide, cut, binary, lying. Every
   case must finish, give a sane report (bounded, valid UTF-8, truncated
   when something was cut) and stay within a CPU time and a peak memory
   bound. The bounds are generous multiples of what was measured (see
   docs/robustness.md), so a slow shared CI machine passes but a
   quadratic loop or an unbounded buffer does not.

   CPU time is getrusage() user+system; memory is the growth of the
   process's peak RSS (VmHWM, reset through /proc/self/clear_refs after
   malloc_trim()) plus the size of the report's pool. Under valgrind the
   numbers measure valgrind, so they are printed but not asserted; make
   check also runs this test natively (tests/pathological-bounds.sh), where
   they are. Under AddressSanitizer the CPU bound is multiplied and the RSS
   bound not asserted: the allocator's quarantine keeps freed memory. */

#define KIB 1024
#define MIB (1024 * 1024)

/* at the default 1 MiB scan limit, per message */
#define BOUND_DEFAULT_CPU_MSECS 250
#define BOUND_DEFAULT_PEAK_MIB 32
/* a 50 MB message read to the end (scan limit raised to 64 MiB) */
#define BOUND_FULL_SCAN_CPU_MSECS 5000
#define BOUND_FULL_SCAN_PEAK_MIB 32
/* the report: recipients are capped, so is every string in it */
#define BOUND_REPORT_POOL_MIB 16
/* ASan's allocator and quarantine cost system time on every malloc */
#define BOUND_ASAN_CPU_FACTOR 20

/* the engine's caps, as documented in bounce-parse.c/bounce-extract.c */
#define MAX_RECIPIENTS 10000
#define MAX_HEADER_VALUE 4096

struct patho_bounds {
	unsigned int cpu_msecs;
	unsigned int peak_mib;
};

static const struct patho_bounds bounds_default = {
	BOUND_DEFAULT_CPU_MSECS, BOUND_DEFAULT_PEAK_MIB
};
static const struct patho_bounds bounds_full_scan = {
	BOUND_FULL_SCAN_CPU_MSECS, BOUND_FULL_SCAN_PEAK_MIB
};

/* --- a generated input stream: big messages are never held in memory --- */

/* Append the next piece of the message to dest; return FALSE when the
   message is complete (dest may still have received a last piece). */
typedef bool gen_fill_func_t(string_t *dest, void *context);

struct gen_istream {
	struct istream_private istream;
	gen_fill_func_t *fill;
	void *context;
	string_t *chunk;
	size_t chunk_pos;
	bool fill_done;
};

static ssize_t gen_istream_read(struct istream_private *stream)
{
	struct gen_istream *gstream = (struct gen_istream *)stream;
	size_t avail, n;

	while (gstream->chunk_pos == str_len(gstream->chunk)) {
		if (gstream->fill_done) {
			stream->istream.eof = TRUE;
			return -1;
		}
		str_truncate(gstream->chunk, 0);
		gstream->chunk_pos = 0;
		gstream->fill_done = !gstream->fill(gstream->chunk,
						    gstream->context);
	}
	if (!i_stream_try_alloc(stream, 1, &avail))
		return -2;
	n = I_MIN(avail, str_len(gstream->chunk) - gstream->chunk_pos);
	memcpy(stream->w_buffer + stream->pos,
	       str_data(gstream->chunk) + gstream->chunk_pos, n);
	gstream->chunk_pos += n;
	stream->pos += n;
	return n;
}

static void gen_istream_destroy(struct iostream_private *stream)
{
	struct gen_istream *gstream =
		container_of(stream, struct gen_istream, istream.iostream);

	str_free(&gstream->chunk);
	i_stream_free_buffer(&gstream->istream);
}

static struct istream *
gen_istream_create(gen_fill_func_t *fill, void *context)
{
	struct gen_istream *gstream = i_new(struct gen_istream, 1);

	gstream->fill = fill;
	gstream->context = context;
	gstream->chunk = str_new(default_pool, 4096);
	gstream->istream.max_buffer_size = IO_BLOCK_SIZE;
	gstream->istream.read = gen_istream_read;
	gstream->istream.iostream.destroy = gen_istream_destroy;
	gstream->istream.istream.blocking = TRUE;
	gstream->istream.istream.seekable = FALSE;
	return i_stream_create(&gstream->istream, NULL, -1, 0);
}

/* A message made of a head, a line repeated many times, and a tail. */
struct gen_repeat {
	const char *head, *line, *tail;
	uoff_t count, done;
	bool head_sent;
};

static bool gen_repeat_fill(string_t *dest, void *context)
{
	struct gen_repeat *gen = context;

	if (!gen->head_sent) {
		str_append(dest, gen->head);
		gen->head_sent = TRUE;
		return TRUE;
	}
	/* a few KB per call: fast enough, and the chunk stays small */
	while (gen->done < gen->count && str_len(dest) < 8192) {
		str_append(dest, gen->line);
		gen->done++;
	}
	if (gen->done < gen->count)
		return TRUE;
	str_append(dest, gen->tail);
	return FALSE;
}

/* --- measuring --- */

/* set while running many small cases, to keep the log readable */
static bool measure_quiet;

struct patho_measure {
	struct rusage start;
	size_t start_rss_kib;
	bool rss_known;
};

static bool measure_asserted(void)
{
	return !RUNNING_ON_VALGRIND;
}

/* VmHWM or VmRSS from /proc/self/status, in KiB; 0 if unknown */
static size_t proc_status_kib(const char *field)
{
	char line[256];
	size_t len = strlen(field), kib = 0;
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, field, len) == 0 && line[len] == ':') {
			kib = strtoul(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return kib;
}

static bool peak_rss_reset(void)
{
	int fd;
	bool ok;

	/* give freed heap back first, so that reusing it shows as growth */
	(void)malloc_trim(0);
	/* "5" resets the peak RSS to the current RSS (Linux >= 4.0) */
	fd = open("/proc/self/clear_refs", O_WRONLY);
	if (fd == -1)
		return FALSE;
	ok = write(fd, "5", 1) == 1;
	i_close_fd(&fd);
	return ok;
}

static void measure_begin(struct patho_measure *m)
{
	i_zero(m);
	m->rss_known = peak_rss_reset();
	if (m->rss_known)
		m->start_rss_kib = proc_status_kib("VmHWM");
	if (getrusage(RUSAGE_SELF, &m->start) < 0)
		i_fatal("getrusage() failed: %m");
}

static unsigned int rusage_cpu_msecs(const struct rusage *ru)
{
	return ru->ru_utime.tv_sec * 1000 + ru->ru_utime.tv_usec / 1000 +
		ru->ru_stime.tv_sec * 1000 + ru->ru_stime.tv_usec / 1000;
}

static void measure_end(const struct patho_measure *m, const char *name,
			const struct patho_bounds *bounds, pool_t report_pool)
{
	struct rusage end;
	unsigned int cpu_msecs, cpu_bound = bounds->cpu_msecs;
	size_t peak_kib = 0, pool_kib;

	if (getrusage(RUSAGE_SELF, &end) < 0)
		i_fatal("getrusage() failed: %m");
	cpu_msecs = rusage_cpu_msecs(&end) - rusage_cpu_msecs(&m->start);
	if (m->rss_known) {
		size_t hwm = proc_status_kib("VmHWM");
		peak_kib = hwm > m->start_rss_kib ? hwm - m->start_rss_kib : 0;
	}
	pool_kib = pool_alloconly_get_total_alloc_size(report_pool) / KIB;
	if (!measure_quiet) printf("bounds: %-28s cpu %5u ms, peak RSS +%6zu KiB, report pool %5zu KiB%s\n",
	       name, cpu_msecs, peak_kib, pool_kib,
	       RUNNING_ON_VALGRIND ? " (valgrind: not asserted)" :
	       TEST_UNDER_ASAN ? " (ASan: RSS not asserted)" : "");

	/* the report is bounded whatever runs the test */
	assert_true(pool_kib <= BOUND_REPORT_POOL_MIB * KIB);
	if (!measure_asserted())
		return;
	if (TEST_UNDER_ASAN)
		cpu_bound *= BOUND_ASAN_CPU_FACTOR;
	if (cpu_msecs > cpu_bound)
		fail_msg("%s: %u ms CPU > bound %u ms", name, cpu_msecs,
			 cpu_bound);
	if (m->rss_known && !TEST_UNDER_ASAN &&
	    peak_kib > bounds->peak_mib * KIB)
		fail_msg("%s: peak RSS grew %zu KiB > bound %u MiB", name,
			 peak_kib, bounds->peak_mib);
}

/* --- the report must be sane whatever the input --- */

static void assert_sane_string(const char *str)
{
	if (str != NULL && !uni_utf8_str_is_valid(str))
		fail_msg("report string is not valid UTF-8");
}

static void assert_sane_report(const struct bounce_report *report)
{
	const struct bounce_recipient *rcpt;
	const struct bounce_header *hdr;

	assert_true(array_count(&report->recipients) <= MAX_RECIPIENTS);
	assert_sane_string(report->format);
	assert_sane_string(report->reporting_mta);
	assert_sane_string(report->arrival_date);
	assert_sane_string(report->original_envelope_id);
	assert_sane_string(report->orig_message_id);
	assert_sane_string(report->orig_from);
	assert_sane_string(report->orig_to);
	assert_sane_string(report->orig_subject);
	assert_sane_string(report->orig_list_id);
	assert_sane_string(report->feedback_type);
	assert_sane_string(report->source_ip);
	assert_sane_string(report->reported_domain);
	assert_sane_string(report->original_mail_from);
	assert_sane_string(report->verp_recipient);
	array_foreach(&report->campaign_headers, hdr) {
		assert_sane_string(hdr->name);
		assert_sane_string(hdr->value);
		assert_true(strlen(hdr->value) <= MAX_HEADER_VALUE);
	}
	array_foreach(&report->recipients, rcpt) {
		assert_non_null(rcpt->address);
		assert_true(rcpt->address[0] != '\0');
		for (const char *p = rcpt->address; *p != '\0'; p++)
			assert_false(i_isspace(*p) || (unsigned char)*p < 0x20);
		assert_sane_string(rcpt->address);
		assert_sane_string(rcpt->original_recipient);
		assert_sane_string(rcpt->final_recipient);
		assert_sane_string(rcpt->status);
		assert_sane_string(rcpt->reply_code);
		assert_sane_string(rcpt->diagnostic);
		assert_sane_string(rcpt->diagnostic_type);
		assert_sane_string(rcpt->remote_mta);
		assert_sane_string(rcpt->smtp_command);
		assert_sane_string(rcpt->last_attempt_date);
		assert_sane_string(rcpt->will_retry_until);
		assert_sane_string(rcpt->rule);
		assert_true(rcpt->reason < BOUNCE_REASON_COUNT);
	}
}

/* Analyze input (unref'd here) within bounds; max_scan_size 0 means the
   default. The report is allocated from pool. */
static struct bounce_report *
patho_analyze(const char *name, struct istream *input, uoff_t max_scan_size,
	      const struct patho_bounds *bounds, pool_t pool)
{
	struct bounce_analyze_settings set;
	struct bounce_report *report;
	struct patho_measure m;
	const char *error;

	bounce_analyze_settings_init(&set);
	if (max_scan_size != 0)
		set.max_scan_size = max_scan_size;
	measure_begin(&m);
	assert_int_equal(bounce_analyze_stream(input, &set, pool, &report,
					       &error), 0);
	measure_end(&m, name, bounds, pool);
	i_stream_unref(&input);
	assert_sane_report(report);
	return report;
}

static struct bounce_report *
patho_analyze_data(const char *name, const void *data, size_t size,
		   pool_t pool)
{
	return patho_analyze(name, i_stream_create_from_data(data, size), 0,
			     &bounds_default, pool);
}

static struct bounce_report *
patho_analyze_str(const char *name, const char *msg, pool_t pool)
{
	return patho_analyze_data(name, msg, strlen(msg), pool);
}

static const char *rcpt_address(const struct bounce_report *report,
				 unsigned int idx)
{
	const struct bounce_recipient *rcpt;

	assert_true(idx < array_count(&report->recipients));
	rcpt = array_idx(&report->recipients, idx);
	return rcpt->address;
}

#define DSN_TOP \
	"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\n" \
	"To: bounces@example.com\n" \
	"Subject: Undelivered Mail Returned to Sender\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/report; report-type=delivery-status;\n" \
	"\tboundary=\"OUTER\"\n" \
	"\n" \
	"--OUTER\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	"Your message could not be delivered.\n" \
	"\n" \
	"--OUTER\n" \
	"Content-Type: message/delivery-status\n" \
	"\n" \
	"Reporting-MTA: dns; mx.example.net\n" \
	"\n"

#define DSN_ONE_RCPT \
	"Final-Recipient: rfc822; gone@example.org\n" \
	"Action: failed\n" \
	"Status: 5.1.1\n" \
	"Diagnostic-Code: smtp; 550 5.1.1 user unknown\n" \
	"\n"

/* --- a 50 MB bounce with attachments --- */

#define BIG_HEAD DSN_TOP DSN_ONE_RCPT \
	"--OUTER\n" \
	"Content-Type: message/rfc822\n" \
	"\n" \
	"From: news@example.com\n" \
	"To: gone@example.org\n" \
	"Subject: the big one\n" \
	"Message-ID: <big@example.com>\n" \
	"MIME-Version: 1.0\n" \
	"Content-Type: multipart/mixed; boundary=\"INNER\"\n" \
	"\n" \
	"--INNER\n" \
	"Content-Type: text/plain\n" \
	"\n" \
	"See the attachments.\n" \
	"--INNER\n" \
	"Content-Type: application/octet-stream; name=\"a.bin\"\n" \
	"Content-Disposition: attachment; filename=\"a.bin\"\n" \
	"Content-Transfer-Encoding: base64\n" \
	"\n"
#define BIG_TAIL \
	"--INNER--\n" \
	"\n" \
	"--OUTER--\n"
/* 76 base64 characters and a newline */
#define BIG_LINE \
	"QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAxMjM0\n"
#define BIG_SIZE (50 * MIB)

static struct istream *big_bounce_create(struct gen_repeat *gen)
{
	i_zero(gen);
	gen->head = BIG_HEAD;
	gen->line = BIG_LINE;
	gen->tail = BIG_TAIL;
	gen->count = BIG_SIZE / strlen(BIG_LINE);
	return gen_istream_create(gen_repeat_fill, gen);
}

static void test_big_bounce(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;
	struct gen_repeat gen;

	/* the default scan limit stops reading after 1 MiB: the DSN part
	   and the returned headers come first, so they are still found */
	report = patho_analyze("50 MB, default limit", big_bounce_create(&gen),
			       0, &bounds_default, pool);
	assert_true(gen.done < gen.count);
	assert_true(report->truncated);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(rcpt_address(report, 0), "gone@example.org");
	assert_string_equal(report->orig_message_id, "<big@example.com>");
	p_clear(pool);

	/* read to the end: linear time, and the skipped attachment is
	   never buffered */
	report = patho_analyze("50 MB, read to the end",
			       big_bounce_create(&gen), 64 * MIB,
			       &bounds_full_scan, pool);
	assert_int_equal(gen.done, gen.count);
	assert_false(report->truncated);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(report->orig_subject, "the big one");
	pool_unref(&pool);
}

/* --- DSNs with many recipients --- */

static void test_dsn_10000_recipients(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;
	string_t *msg = str_new(default_pool, 1024 * 1024);

	str_append(msg, DSN_TOP);
	for (unsigned int i = 0; i < 10000; i++) {
		str_printfa(msg, "Final-Recipient: rfc822; r%05u@example.org\n"
			    "Action: failed\nStatus: 5.1.1\n\n", i);
	}
	str_append(msg, "--OUTER--\n");
	/* fits in the default scan limit: every recipient is reported */
	assert_true(str_len(msg) < BOUNCE_DEFAULT_MAX_SCAN_SIZE);

	report = patho_analyze_data("DSN, 10,000 recipients", str_data(msg),
				    str_len(msg), pool);
	/* the formats stop reading at the cap, so reaching it counts as
	   truncated even when nothing followed */
	assert_true(report->truncated);
	assert_int_equal(array_count(&report->recipients), 10000);
	assert_string_equal(rcpt_address(report, 0), "r00000@example.org");
	assert_string_equal(rcpt_address(report, 9999), "r09999@example.org");
	str_free(&msg);
	pool_unref(&pool);
}

struct gen_million {
	unsigned int next, count;
	bool head_sent;
};

static bool gen_million_fill(string_t *dest, void *context)
{
	struct gen_million *gen = context;

	if (!gen->head_sent) {
		str_append(dest, DSN_TOP);
		gen->head_sent = TRUE;
	}
	while (gen->next < gen->count && str_len(dest) < 8192) {
		str_printfa(dest, "Final-Recipient: rfc822; m%07u@example.org\n"
			    "Action: failed\nStatus: 5.2.2\n\n", gen->next++);
	}
	if (gen->next < gen->count)
		return TRUE;
	str_append(dest, "--OUTER--\n");
	return FALSE;
}

static void test_dsn_claims_a_million(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct gen_million gen = { .count = 1000000 };
	struct bounce_report *report;

	/* ~70 MB of recipient groups: read up to the scan limit, and the
	   report keeps at most MAX_RECIPIENTS of them */
	report = patho_analyze("DSN claiming 1,000,000 rcpts",
			       gen_istream_create(gen_million_fill, &gen),
			       0, &bounds_default, pool);
	assert_true(gen.next < gen.count);
	assert_true(report->truncated);
	assert_true(array_count(&report->recipients) > 1000);
	assert_true(array_count(&report->recipients) <= MAX_RECIPIENTS);
	assert_string_equal(rcpt_address(report, 0), "m0000000@example.org");
	pool_unref(&pool);
}

static void test_dsn_recipient_cap(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct gen_million gen = { .count = 20000 };
	struct bounce_report *report;

	/* 20,000 groups that all fit in a raised scan limit: the cap is
	   hit, and that is reported as truncation */
	report = patho_analyze("DSN, 20,000 rcpts, 4 MiB limit",
			       gen_istream_create(gen_million_fill, &gen),
			       4 * MIB, &bounds_default, pool);
	assert_int_equal(gen.next, gen.count);
	assert_true(report->truncated);
	assert_int_equal(array_count(&report->recipients), MAX_RECIPIENTS);
	pool_unref(&pool);
}

/* --- nesting --- */

static void test_nested_multipart(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;
	string_t *msg = str_new(default_pool, 128 * 1024);

	str_append(msg, "From: MAILER-DAEMON@mx.example.net\nMIME-Version: 1.0\n");
	for (unsigned int i = 0; i < 1000; i++) {
		str_printfa(msg, "Content-Type: multipart/mixed; "
			    "boundary=\"n%u\"\n\n--n%u\n", i, i);
	}
	str_append(msg, "Content-Type: message/delivery-status\n\n"
		   DSN_ONE_RCPT);
	for (unsigned int i = 1000; i > 0; i--)
		str_printfa(msg, "--n%u--\n", i - 1);

	report = patho_analyze_data("multipart nested 1,000 deep",
				    str_data(msg), str_len(msg), pool);
	/* the parser stops nesting at its limit and says so */
	assert_true(report->truncated);
	assert_true(array_count(&report->recipients) <= 1);
	p_clear(pool);

	/* the same with returned messages inside returned messages */
	str_truncate(msg, 0);
	str_append(msg, "From: MAILER-DAEMON@mx.example.net\nMIME-Version: 1.0\n");
	for (unsigned int i = 0; i < 1000; i++) {
		str_printfa(msg, "Content-Type: message/rfc822\n\n"
			    "Subject: level %u\n", i);
	}
	str_append(msg, "\nbottom\n");
	report = patho_analyze_data("message/rfc822 nested 1,000",
				    str_data(msg), str_len(msg), pool);
	assert_true(report->truncated);
	assert_int_equal(array_count(&report->recipients), 0);
	assert_string_equal(report->orig_subject, "level 0");
	p_clear(pool);

	/* and wide: 20,000 sibling parts */
	str_truncate(msg, 0);
	str_append(msg, "MIME-Version: 1.0\n"
		   "Content-Type: multipart/mixed; boundary=\"w\"\n\n");
	for (unsigned int i = 0; i < 20000; i++)
		str_append(msg, "--w\n\nx\n");
	str_append(msg, "--w--\n");
	report = patho_analyze_data("20,000 sibling parts",
				    str_data(msg), str_len(msg), pool);
	assert_true(report->truncated);
	str_free(&msg);
	pool_unref(&pool);
}

/* --- long lines --- */

static void test_long_lines(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;
	string_t *msg = str_new(default_pool, 2 * MIB + 1024);
	const struct bounce_header *hdr;

	/* a 1 MB header value, in a header kept in the report */
	str_append(msg, "From: MAILER-DAEMON@mx.example.net\nX-Campaign-Id: ");
	for (unsigned int i = 0; i < MIB; i++)
		str_append_c(msg, 'a' + i % 26);
	str_append(msg, "\nContent-Type: text/plain\n\nhello\n");
	report = patho_analyze_data("1 MB header line", str_data(msg),
				    str_len(msg), pool);
	assert_true(report->truncated);
	if (array_count(&report->campaign_headers) > 0) {
		hdr = array_front(&report->campaign_headers);
		assert_true(strlen(hdr->value) <= MAX_HEADER_VALUE);
	}
	p_clear(pool);

	/* a 1 MB header folded into 100,000 short lines */
	str_truncate(msg, 0);
	str_append(msg, "From: MAILER-DAEMON@mx.example.net\nSubject: x");
	for (unsigned int i = 0; i < 100000; i++)
		str_append(msg, "\n\tfold y");
	str_append(msg, "\n\nbody\n");
	report = patho_analyze_data("1 MB folded header", str_data(msg),
				    str_len(msg), pool);
	p_clear(pool);

	/* a 1 MB header name without a colon, then a 1 MB body line in
	   the bounce text with a recipient after it */
	str_truncate(msg, 0);
	for (unsigned int i = 0; i < MIB; i++)
		str_append_c(msg, 'H');
	str_append(msg, "\nFrom: MAILER-DAEMON@mx.example.net\n\n");
	for (unsigned int i = 0; i < MIB / 2; i++)
		str_append(msg, "ab");
	str_append(msg, "\n<gone@example.org>: 550 5.1.1 user unknown\n");
	report = patho_analyze_data("1 MB header name + body line",
				    str_data(msg), str_len(msg), pool);
	assert_true(report->truncated);
	str_free(&msg);
	pool_unref(&pool);
}

/* --- bytes that aren't text --- */

static const char nul_msg[] =
	"From: Mail\0Delivery <MAILER-DAEMON@mx.example.net>\n"
	"Subject: \xff\xfe bad \xc3\x28 utf-8 \xed\xa0\x80\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status;"
	" boundary=\"B\"\n"
	"\n"
	"--B\n"
	"Content-Type: text/plain; charset=\"x-no-such-charset\"\n"
	"\n"
	"caf\xe9 \0 \xc0\xaf \xf8\x88\x80\x80\x80 text\n"
	"--B\n"
	"Content-Type: message/delivery-status; charset=\"ebcdic-xx\"\n"
	"\n"
	"Reporting-MTA: dns; mx.\xff.example.net\n"
	"\n"
	"Final-Recipient: rfc822; nul@example.org\n"
	"Action: failed\0\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: smtp; 550 5.1.1 \xff\xfe\0 user \xc3 unknown\n"
	"\n"
	"--B\n"
	"Content-Type: text/rfc822-headers; charset=\"utf-7\"\n"
	"\n"
	"Subject: =?x-unknown?B?/////w==?= =?utf-8?Q?=FF=FE?= \xe9t\xe9\n"
	"Message-ID: <nul\0@example.com>\n"
	"\n"
	"--B--\n";

static void test_binary_and_charsets(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;

	report = patho_analyze_data("NULs, bad UTF-8, charsets", nul_msg,
				    sizeof(nul_msg) - 1, pool);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(rcpt_address(report, 0), "nul@example.org");
	assert_non_null(report->orig_subject);
	p_clear(pool);

	/* a multipart whose boundary never comes: its body is re-read as
	   raw text, which must not bring invalid UTF-8 into the report */
	report = patho_analyze_str("boundless multipart, bad UTF-8",
		"From: MAILER-DAEMON@mx.example.net\n"
		"Subject: Undelivered Mail Returned to Sender\n"
		"Content-Type: multipart/report; boundary=NEVER\n\n"
		"This is the mail system at host mx.example.net.\n\n"
		"<gone@example.org>: host mx.example.org said: 550 5.1.1 "
		"<gone@example.org>: user \xff\xfe\xc3 unknown (in reply to "
		"RCPT TO command)\n", pool);
	p_clear(pool);

	/* random bytes, no structure at all */
	unsigned char noise[64 * 1024];
	uint32_t x = 2463534242U;
	for (size_t i = 0; i < sizeof(noise); i++) {
		x ^= x << 13; x ^= x >> 17; x ^= x << 5;
		noise[i] = x & 0xff;
	}
	report = patho_analyze_data("64 KiB of noise", noise, sizeof(noise),
				    pool);
	assert_int_equal(array_count(&report->recipients), 0);
	pool_unref(&pool);
}

/* --- cut and broken MIME --- */

static const char *const broken_mime[] = {
	/* cut in the middle of the top header */
	"From: MAILER-DAEMON@mx.example.net\nContent-Type: multipart/rep",
	/* cut in the middle of a boundary line */
	"Content-Type: multipart/report; boundary=\"BOUND\"\n\n--BOU",
	/* a boundary line and nothing else */
	"Content-Type: multipart/report; boundary=\"BOUND\"\n\n--BOUND",
	/* part headers without their empty line */
	"Content-Type: multipart/report; boundary=\"BOUND\"\n\n--BOUND\n"
	"Content-Type: message/delivery-status",
	/* empty, missing and absurdly long boundaries */
	"Content-Type: multipart/report; boundary=\"\"\n\n--\n\n--\n",
	"Content-Type: multipart/report\n\n--\nContent-Type: text/plain\n\nx\n",
	"Content-Type: multipart/mixed; boundary=\"unterminated\n\n--unterminated\n",
	"Content-Type: multipart/mixed; boundary=a\n\n--a\nContent-Type: "
	"multipart/mixed; boundary=a\n\n--a\n--a--\n--a--\n--a--\n",
	/* a part that claims a type and a transfer encoding it never has */
	"Content-Type: multipart/report; boundary=B\n\n--B\n"
	"Content-Type: message/rfc822\n"
	"Content-Transfer-Encoding: base64\n\n--B--\n",
	/* a CR-only message */
	"From: x@example.net\rContent-Type: text/plain\r\rbody\r",
	"",
	"\n",
	"\n\n\n",
	":\n",
};

static void test_broken_mime(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;
	string_t *msg = t_str_new(4096);

	for (unsigned int i = 0; i < N_ELEMENTS(broken_mime); i++) {
		report = patho_analyze_str(t_strdup_printf("broken MIME #%u", i),
					   broken_mime[i], pool);
		assert_int_equal(array_count(&report->recipients), 0);
		p_clear(pool);
	}

	/* the DSN part is complete, only the closing boundaries are
	   missing: the recipient is still found */
	str_append(msg, DSN_TOP DSN_ONE_RCPT
		   "--OUTER\nContent-Type: message/rfc822\n\nSubject: cut");
	report = patho_analyze_str("unterminated boundaries", str_c(msg), pool);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(rcpt_address(report, 0), "gone@example.org");
	assert_string_equal(report->orig_subject, "cut");
	p_clear(pool);

	/* every prefix of a DSN: each cut point is a truncated message */
	measure_quiet = TRUE;
	for (size_t len = 0; len <= str_len(msg); len++) {
		report = patho_analyze("DSN prefix",
			i_stream_create_from_data(str_data(msg), len), 0,
			&bounds_default, pool);
		assert_true(array_count(&report->recipients) <= 1);
		p_clear(pool);
	}
	measure_quiet = FALSE;
	pool_unref(&pool);
}

/* --- transfer encodings --- */

#define ENCODED_DSN(cte, body) \
	"Content-Type: multipart/report; report-type=delivery-status;" \
	" boundary=B\n\n--B\nContent-Type: message/delivery-status\n" \
	"Content-Transfer-Encoding: " cte "\n\n" body "\n--B--\n"

static void test_transfer_encodings(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;
	static const char *const garbage[] = {
		ENCODED_DSN("base64", "!!!!****%%%%\n====\nQQ==QUJD=\nQ"),
		ENCODED_DSN("base64", "\xff\xfe\x00\x80 AAAA\tBBBB\r\n==="),
		ENCODED_DSN("quoted-printable", "=\n=\n=ZZ=G0=0=\n= =\t="),
		ENCODED_DSN("quoted-printable", "Final-Recipient: =00=FF=\n"),
		ENCODED_DSN("x-uuencode", "begin 644 x\nM86)C\nend"),
		ENCODED_DSN("base64; quoted-printable", "QUJD"),
	};

	for (unsigned int i = 0; i < N_ELEMENTS(garbage); i++) {
		report = patho_analyze_str(t_strdup_printf("encoding garbage #%u", i),
					   garbage[i], pool);
		assert_int_equal(array_count(&report->recipients), 0);
		p_clear(pool);
	}

	/* encoded right, the encoding is undone before the DSN is read */
	report = patho_analyze_str("quoted-printable DSN", ENCODED_DSN(
		"quoted-printable",
		"Final-Recipient: rfc822; q=40example.org=\n\nAction: fail=\ned\n"
		"Status: =35.1.1\n"), pool);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(rcpt_address(report, 0), "q@example.org");
	p_clear(pool);

	/* "Final-Recipient: rfc822; b@example.org\nStatus: 5.1.1\n" */
	report = patho_analyze_str("base64 DSN", ENCODED_DSN("base64",
		"RmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGJAZXhhbXBsZS5vcmcKU3Rh\n"
		"dHVzOiA1LjEuMQo="), pool);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_string_equal(rcpt_address(report, 0), "b@example.org");
	pool_unref(&pool);
}

/* --- encoded-word floods --- */

static void append_flood(string_t *msg, const char *name, const char *word,
			 size_t size)
{
	str_printfa(msg, "%s:", name);
	for (size_t start = str_len(msg); str_len(msg) - start < size; )
		str_printfa(msg, " %s", word);
	str_append_c(msg, '\n');
}

static void test_encoded_word_flood(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;
	string_t *msg = str_new(default_pool, 2 * MIB);

	/* in the bounce's own headers, and in the returned message's, up
	   to the 1 MiB scan limit */
	str_append(msg, "From: MAILER-DAEMON@mx.example.net\n");
	append_flood(msg, "Subject", "=?UTF-8?B?w6nDqQ==?=", 256 * KIB);
	append_flood(msg, "X-Campaign-Id", "=?x-unknown?Q?=FF?=", 64 * KIB);
	str_append(msg, "MIME-Version: 1.0\n"
		   "Content-Type: multipart/report; boundary=B\n\n"
		   "--B\nContent-Type: message/delivery-status\n\n"
		   DSN_ONE_RCPT
		   "--B\nContent-Type: message/rfc822\n\n");
	append_flood(msg, "Subject", "=?iso-8859-1?Q?caf=E9?=", 256 * KIB);
	append_flood(msg, "To", "=?=?=?=?B?==?=", 128 * KIB);
	append_flood(msg, "X-Campaign-Id", "=?utf-8?B?", 128 * KIB);
	str_append(msg, "\nbody\n--B--\n");
	assert_true(str_len(msg) < BOUNCE_DEFAULT_MAX_SCAN_SIZE);

	report = patho_analyze_data("encoded-word flood", str_data(msg),
				    str_len(msg), pool);
	assert_int_equal(array_count(&report->recipients), 1);
	assert_true(report->truncated);
	assert_non_null(report->orig_subject);
	/* decoded (adjacent encoded words join without the space), and
	   capped at a character boundary */
	assert_true(strncmp(report->orig_subject, "cafécafé", 10) == 0);
	assert_true(strlen(report->orig_subject) <= MAX_HEADER_VALUE);
	str_free(&msg);
	pool_unref(&pool);
}

/* --- a message that is nothing but a boundary --- */

static void test_only_a_boundary(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report;
	static const char *const msgs[] = {
		"--BOUNDARY",
		"--BOUNDARY--",
		"--BOUNDARY\r\n",
		"--BOUNDARY--\r\n",
		"\n--BOUNDARY\n",
		"--",
		"----",
		"Content-Type: multipart/report; boundary=BOUNDARY\n\n--BOUNDARY--",
		"Content-Type: multipart/report; boundary=BOUNDARY\n\n--BOUNDARY",
	};

	for (unsigned int i = 0; i < N_ELEMENTS(msgs); i++) {
		report = patho_analyze_str(t_strdup_printf("only a boundary #%u", i),
					   msgs[i], pool);
		assert_int_equal(array_count(&report->recipients), 0);
		assert_int_equal(report->kind, BOUNCE_KIND_NONE);
		p_clear(pool);
	}
	pool_unref(&pool);
}

/* --- every sample message, whole and cut in half --- */

static bool is_sample_name(const char *name)
{
	size_t len = strlen(name);

	return len > 4 && strcmp(name + len - 4, ".eml") == 0;
}

static unsigned int analyze_samples_in(const char *dir, pool_t pool)
{
	struct istream *input;
	struct dirent *d;
	unsigned int count = 0;
	uoff_t size;
	DIR *dirp;

	dirp = opendir(dir);
	if (dirp == NULL)
		return 0;
	while ((d = readdir(dirp)) != NULL) {
		const char *path = t_strconcat(dir, "/", d->d_name, NULL);

		if (d->d_name[0] == '.')
			continue;
		if (!is_sample_name(d->d_name)) {
			count += analyze_samples_in(path, pool);
			continue;
		}
		input = i_stream_create_file(path, IO_BLOCK_SIZE);
		if (i_stream_get_size(input, TRUE, &size) <= 0)
			i_fatal("stat(%s) failed", path);
		(void)patho_analyze(path, input, 0, &bounds_default, pool);
		p_clear(pool);
		/* the formats' scratch reports and indexes on a cut message
		   must be freed like on a whole one (valgrind sees to it) */
		(void)patho_analyze(path, i_stream_create_file(path,
				    IO_BLOCK_SIZE), size / 2 + 1,
				    &bounds_default, pool);
		p_clear(pool);
		count++;
	}
	(void)closedir(dirp);
	return count;
}

static void test_all_samples(void **state ATTR_UNUSED)
{
	pool_t pool = pool_alloconly_create("test report", 1024);

	measure_quiet = TRUE;
	assert_true(analyze_samples_in(test_srcdir_path("mail"), pool) > 0);
	measure_quiet = FALSE;
	pool_unref(&pool);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_big_bounce),
		test_case(test_dsn_10000_recipients),
		test_case(test_dsn_claims_a_million),
		test_case(test_dsn_recipient_cap),
		test_case(test_nested_multipart),
		test_case(test_long_lines),
		test_case(test_binary_and_charsets),
		test_case(test_broken_mime),
		test_case(test_transfer_encodings),
		test_case(test_encoded_word_flood),
		test_case(test_only_a_boundary),
		test_case(test_all_samples),
	};
	return test_run_group(tests);
}
