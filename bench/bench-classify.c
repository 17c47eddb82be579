/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "istream.h"
#include "message-parser.h"
#include "bounce-analyze.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

/* bench-classify [-r ROUNDS] [-t MIN_MSECS] [-m parse|classify|both] FILE...

   Loads every FILE into memory once, then times passes over all of them
   with two workloads on the same bytes:

   parse     Dovecot's message parser alone (message_parser_parse_next_block
             until the end, no decoding, nothing kept): the floor, what any
             consumer of lib-mail pays to read the message once.
   classify  bounce_analyze_stream(): parse + decode + extract + classify,
             exactly what the plugin runs on each delivered bounce.

   Time is the process's CPU time, so other load on the machine slows the
   wall clock but hardly the figures; the two workloads alternate round by
   round so that what noise remains hits both alike. Each round repeats
   passes until it has used MIN_MSECS of CPU, and the median round is
   reported. The last line is machine-readable for bench/run.sh. */

#define BENCH_DEFAULT_ROUNDS 7
#define BENCH_DEFAULT_MIN_MSECS 300

struct bench_message {
	unsigned char *data;
	size_t size;
};
ARRAY_DEFINE_TYPE(bench_message, struct bench_message);

enum bench_workload {
	BENCH_PARSE = 0,
	BENCH_CLASSIFY,

	BENCH_WORKLOAD_COUNT
};

static const char *const bench_workload_names[BENCH_WORKLOAD_COUNT] = {
	"parse", "classify"
};

/* parser limits as bounce-parse.c sets them, so the floor reads the same
   parts the classifier reads */
static const struct message_parser_settings bench_parser_set = {
	.hdr_flags = MESSAGE_HEADER_PARSER_FLAG_CLEAN_ONELINE,
	.max_nested_mime_parts = 20,
	.max_total_mime_parts = 500,
	.all_headers_max_size = 1024 * 1024,
};

static double bench_cpu_seconds(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) < 0)
		i_fatal("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed: %m");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void bench_load_file(const char *path, ARRAY_TYPE(bench_message) *msgs)
{
	struct bench_message *msg;
	unsigned char *data;
	struct stat st;
	size_t done = 0;
	ssize_t ret;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd == -1)
		i_fatal("open(%s) failed: %m", path);
	if (fstat(fd, &st) < 0)
		i_fatal("fstat(%s) failed: %m", path);
	data = i_malloc(st.st_size + 1);
	while (done < (size_t)st.st_size) {
		ret = read(fd, data + done, st.st_size - done);
		if (ret < 0)
			i_fatal("read(%s) failed: %m", path);
		if (ret == 0)
			break;
		done += ret;
	}
	i_close_fd(&fd);
	msg = array_append_space(msgs);
	msg->data = data;
	msg->size = done;
}

/* noinline: callgrind's --toggle-collect names these two functions */
static void __attribute__((noinline))
bench_pass_parse(const ARRAY_TYPE(bench_message) *msgs)
{
	const struct bench_message *msg;
	struct message_parser_ctx *parser;
	struct message_block block;
	struct message_part *parts;
	struct istream *input;
	pool_t pool;

	array_foreach(msgs, msg) {
		input = i_stream_create_from_data(msg->data, msg->size);
		pool = pool_alloconly_create("bench message parts", 4096);
		parser = message_parser_init(pool, input, &bench_parser_set);
		while (message_parser_parse_next_block(parser, &block) > 0) ;
		message_parser_deinit(&parser, &parts);
		pool_unref(&pool);
		i_stream_unref(&input);
	}
}

static void bench_classify_all(const ARRAY_TYPE(bench_message) *msgs,
			       const struct bounce_analyze_settings *set)
{
	const struct bench_message *msg;
	struct bounce_report *report;
	struct istream *input;
	const char *error;
	pool_t pool;

	array_foreach(msgs, msg) T_BEGIN {
		input = i_stream_create_from_data(msg->data, msg->size);
		pool = pool_alloconly_create("bounce report", 4096);
		if (bounce_analyze_stream(input, set, pool, &report, &error) < 0)
			i_fatal("bounce_analyze_stream() failed: %s", error);
		pool_unref(&pool);
		i_stream_unref(&input);
	} T_END;
}

static void __attribute__((noinline))
bench_pass_classify(const ARRAY_TYPE(bench_message) *msgs,
		    const struct bounce_analyze_settings *set)
{
	bench_classify_all(msgs, set);
}

static void bench_pass(enum bench_workload workload,
		       const ARRAY_TYPE(bench_message) *msgs,
		       const struct bounce_analyze_settings *set)
{
	if (workload == BENCH_PARSE)
		bench_pass_parse(msgs);
	else
		bench_pass_classify(msgs, set);
}

/* One round: as many passes as fit in min_secs of CPU. Returns messages
   per CPU second. */
static double bench_round(enum bench_workload workload,
			  const ARRAY_TYPE(bench_message) *msgs,
			  const struct bounce_analyze_settings *set,
			  double min_secs)
{
	unsigned int count = array_count(msgs), passes = 0;
	double start, elapsed;

	start = bench_cpu_seconds();
	do {
		bench_pass(workload, msgs, set);
		passes++;
		elapsed = bench_cpu_seconds() - start;
	} while (elapsed < min_secs);
	return (double)passes * count / elapsed;
}

static int bench_cmp_double(const double *a, const double *b)
{
	return *a < *b ? -1 : (*a > *b ? 1 : 0);
}

static double bench_median(double *values, unsigned int count)
{
	qsort(values, count, sizeof(*values),
	      (int (*)(const void *, const void *))bench_cmp_double);
	return count % 2 == 1 ? values[count / 2] :
		(values[count / 2 - 1] + values[count / 2]) / 2;
}

static void ATTR_NORETURN bench_usage(void)
{
	i_fatal("Usage: bench-classify [-r ROUNDS] [-t MIN_MSECS] "
		"[-m parse|classify|both] FILE...");
}

int main(int argc, char *argv[])
{
	struct bounce_analyze_settings set;
	ARRAY_TYPE(bench_message) msgs;
	struct bench_message *msg;
	unsigned int rounds = BENCH_DEFAULT_ROUNDS;
	unsigned int min_msecs = BENCH_DEFAULT_MIN_MSECS;
	bool run[BENCH_WORKLOAD_COUNT] = { TRUE, TRUE };
	double *rates[BENCH_WORKLOAD_COUNT], median[BENCH_WORKLOAD_COUNT];
	uint64_t total_bytes = 0;
	int c;

	lib_init();
	while ((c = getopt(argc, argv, "r:t:m:")) != -1) {
		switch (c) {
		case 'r':
			if (str_to_uint(optarg, &rounds) < 0 || rounds == 0)
				bench_usage();
			break;
		case 't':
			if (str_to_uint(optarg, &min_msecs) < 0)
				bench_usage();
			break;
		case 'm':
			run[BENCH_PARSE] = strcmp(optarg, "classify") != 0;
			run[BENCH_CLASSIFY] = strcmp(optarg, "parse") != 0;
			break;
		default:
			bench_usage();
		}
	}
	if (optind == argc)
		bench_usage();

	bounce_analyze_settings_init(&set);
	i_array_init(&msgs, argc - optind);
	for (int i = optind; i < argc; i++)
		bench_load_file(argv[i], &msgs);
	array_foreach_modifiable(&msgs, msg)
		total_bytes += msg->size;

	for (unsigned int w = 0; w < BENCH_WORKLOAD_COUNT; w++) {
		rates[w] = i_new(double, rounds);
		/* warm-up: page in the code and the data before timing */
		if (run[w] && min_msecs > 0)
			bench_pass(w, &msgs, &set);
		/* the classifier compiles its tables (phrase automata) on
		   first use, once per process: build them outside
		   bench_pass_classify(), which callgrind counts */
		if (run[w] && min_msecs == 0 && w == BENCH_CLASSIFY)
			bench_classify_all(&msgs, &set);
	}
	for (unsigned int r = 0; r < rounds; r++) {
		for (unsigned int w = 0; w < BENCH_WORKLOAD_COUNT; w++) {
			if (run[w])
				rates[w][r] = bench_round(w, &msgs, &set,
							  min_msecs / 1000.0);
		}
	}

	printf("messages %u, bytes %"PRIu64" (mean %.0f), rounds %u of >= %u ms CPU\n",
	       array_count(&msgs), total_bytes,
	       (double)total_bytes / array_count(&msgs), rounds, min_msecs);
	for (unsigned int w = 0; w < BENCH_WORKLOAD_COUNT; w++) {
		if (!run[w])
			continue;
		median[w] = bench_median(rates[w], rounds);
		printf("%-9s median %10.0f msg/s  %8.1f MB/s  (min %.0f, max %.0f)\n",
		       bench_workload_names[w], median[w],
		       median[w] * total_bytes / array_count(&msgs) / 1e6,
		       rates[w][0], rates[w][rounds - 1]);
	}
	if (run[BENCH_PARSE] && run[BENCH_CLASSIFY]) {
		printf("classify/parse CPU time per message: %.2fx\n",
		       median[BENCH_PARSE] / median[BENCH_CLASSIFY]);
		printf("RESULT messages=%u bytes=%"PRIu64" parse_msgs_per_sec=%.0f "
		       "classify_msgs_per_sec=%.0f ratio=%.3f\n",
		       array_count(&msgs), total_bytes, median[BENCH_PARSE],
		       median[BENCH_CLASSIFY],
		       median[BENCH_PARSE] / median[BENCH_CLASSIFY]);
	}

	for (unsigned int w = 0; w < BENCH_WORKLOAD_COUNT; w++)
		i_free(rates[w]);
	array_foreach_modifiable(&msgs, msg)
		i_free(msg->data);
	array_free(&msgs);
	lib_deinit();
	return 0;
}
