/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-store.h"
#include "bounce-spool.h"
#include "test-bounce-common.h"

#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

/* The spool against real files and real SQLite databases: what a
   delivery spools and an import records must be what a delivery would
   have recorded directly, and nothing may be lost on the way. */

/* test_report_new() with what escaping must carry: tabs, line ends and
   the escape character, and a campaign header */
static struct bounce_report *make_report(pool_t pool, unsigned int count)
{
	struct bounce_report *report = test_report_new(pool, count);
	struct bounce_recipient *rcpt;
	struct bounce_header *hdr;

	report->arrival_date = "Fri, 27 Nov 2026 10:00:00 +0000";
	report->orig_subject = "Sale\tends\r\nsoon \001 100%";
	hdr = array_append_space(&report->campaign_headers);
	hdr->name = "X-Campaign";
	hdr->value = "spring \"2026\"";
	array_foreach_modifiable(&report->recipients, rcpt)
		rcpt->diagnostic = "550 5.1.1 <user@example.org>:\n\tuser unknown";
	return report;
}

static void make_message(struct bounce_store_message *msg, unsigned int n)
{
	i_zero(msg);
	msg->mailbox = "Bounces";
	msg->mailbox_guid = "0123456789abcdef0123456789abcdef";
	msg->message_guid = t_strdup_printf("guid-%u", n);
	msg->message_id = n % 2 == 0 ? NULL :
		t_strdup_printf("<dsn-%u@mx.example.net>", n);
	msg->uid = n + 1;
	msg->recorded_at = 1793613604 + n;
}

static void collect_all_columns(const char *const *values, void *context)
{
	string_t *dest = context;

	for (unsigned int i = 0; i < bounce_store_bounce_columns_count; i++) {
		str_append(dest, values[i]);
		str_append_c(dest, '|');
	}
	str_append_c(dest, '\n');
}

static void collect_addresses(const char *const *values, void *context)
{
	string_t *dest = context;

	for (unsigned int i = 0; i < bounce_store_address_columns_count; i++) {
		str_append(dest, values[i]);
		str_append_c(dest, '|');
	}
	str_append_c(dest, '\n');
}

/* Every column of every row and every address state. */
static const char *dump_store(struct bounce_store *store)
{
	struct bounce_store_filter filter;
	string_t *dest = t_str_new(4096);
	const char *error;

	i_zero(&filter);
	assert_int_equal(bounce_store_list(store, &filter, collect_all_columns,
					   dest, &error), 0);
	assert_int_equal(bounce_store_list_addresses(store, &filter, FALSE,
						     collect_addresses, dest,
						     &error), 0);
	return str_c(dest);
}

static void spool_message(const char *spool_path, unsigned int n,
			  unsigned int rcpt_count, pool_t pool)
{
	struct bounce_store_message msg;
	string_t *rows = t_str_new(1024);
	const char *error;
	uoff_t size;

	make_message(&msg, n);
	bounce_store_spool_rows(rows, &msg, make_report(pool, rcpt_count));
	if (bounce_spool_append(spool_path, str_data(rows), str_len(rows),
				&size, &error) < 0)
		fail_msg("%s", error);
	assert_true(size >= str_len(rows));
}

static void record_message(struct bounce_store *store, unsigned int n,
			   unsigned int rcpt_count, pool_t pool)
{
	struct bounce_store_message msg;
	const char *error;

	make_message(&msg, n);
	assert_int_equal(bounce_store_record(store, &msg,
					     make_report(pool, rcpt_count),
					     &error),
			 rcpt_count == 0 ? 1 : (int)rcpt_count);
}

static int import(struct bounce_store *store, const char *spool_path,
		  struct bounce_spool_import_result *result_r)
{
	const char *error;
	int ret;

	ret = bounce_store_import_spool(store, spool_path, 1, result_r,
					&error);
	if (ret < 0)
		fail_msg("import failed: %s", error);
	return ret;
}

static void test_spool_same_rows_as_direct(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-spool-test");
	const char *direct_path = t_strconcat(dir, "/direct.sqlite", NULL);
	const char *spooled_path = t_strconcat(dir, "/spooled.sqlite", NULL);
	const char *spool_path = bounce_spool_path(spooled_path);
	pool_t pool = pool_alloconly_create("test", 16384);
	struct bounce_spool_import_result result;
	struct bounce_store *direct, *spooled;
	const char *error, *expected;
	struct stat st;

	assert_int_equal(bounce_store_open(direct_path, 1000, &direct,
					   &error), 0);
	assert_int_equal(bounce_store_open(spooled_path, 1000, &spooled,
					   &error), 0);
	/* the same bounce twice (redelivery), several recipients, a mail
	   with none, and more than one import batch of rows */
	for (unsigned int n = 0; n < 300; n++) {
		unsigned int count = n == 5 ? 0 : n % 3 + 1;

		record_message(direct, n, count, pool);
		spool_message(spool_path, n, count, pool);
	}
	record_message(direct, 7, 2, pool);
	spool_message(spool_path, 7, 2, pool);

	assert_int_equal(stat(spool_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(import(spooled, spool_path, &result), 1);
	assert_int_equal(result.rows, 300 / 3 * (1 + 2 + 3) - 3 + 1 + 2);
	assert_int_equal(result.skipped, 0);
	/* the spool is gone once imported; nothing left to do */
	assert_false(bounce_spool_exists(spool_path));
	assert_int_equal(import(spooled, spool_path, &result), 0);

	expected = dump_store(direct);
	assert_string_equal(dump_store(spooled), expected);
	assert_non_null(strstr(expected, "Sale\tends\r\nsoon \001 100%"));

	/* importing the same rows again changes nothing */
	spool_message(spool_path, 7, 2, pool);
	assert_int_equal(import(spooled, spool_path, &result), 1);
	assert_string_equal(dump_store(spooled), expected);

	bounce_store_close(&direct);
	bounce_store_close(&spooled);
	pool_unref(&pool);
	test_remove_dir(dir);
}

static void write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, size), (ssize_t)size);
	i_close_fd(&fd);
}

static void test_spool_damaged_lines(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-spool-test");
	const char *db_path = t_strconcat(dir, "/bounces.sqlite", NULL);
	const char *spool_path = bounce_spool_path(db_path);
	pool_t pool = pool_alloconly_create("test", 16384);
	struct bounce_spool_import_result result;
	struct bounce_store *store;
	const char *error;
	string_t *junk;

	assert_int_equal(bounce_store_open(db_path, 1000, &store, &error), 0);
	spool_message(spool_path, 1, 1, pool);
	/* a future version's row, a row with a column missing, a number
	   that isn't one, and a line longer than any row */
	junk = t_str_new(BOUNCE_SPOOL_MAX_LINE_LENGTH + 64);
	str_append(junk, "R9\tfrom the future\n");
	str_append(junk, "R1\t1\t2\n");
	str_append(junk, "R1\tnot-a-time");
	for (unsigned int i = 1; i < 35; i++)
		str_append(junk, "\tx");
	str_append_c(junk, '\n');
	memset(buffer_append_space_unsafe(junk,
		BOUNCE_SPOOL_MAX_LINE_LENGTH + 10), 'x',
	       BOUNCE_SPOOL_MAX_LINE_LENGTH + 10);
	str_append_c(junk, '\n');
	assert_false(bounce_spool_lines_fit(str_data(junk), str_len(junk)));
	write_file(spool_path, str_data(junk), str_len(junk));
	spool_message(spool_path, 2, 2, pool);
	/* a write that the disk cut off */
	write_file(spool_path, "R1\t1793613604\t17", 16);

	assert_int_equal(import(store, spool_path, &result), 1);
	assert_int_equal(result.rows, 3);
	assert_int_equal(result.skipped, 5);
	assert_false(bounce_spool_exists(spool_path));

	bounce_store_close(&store);
	pool_unref(&pool);
	test_remove_dir(dir);
}

static void test_spool_long_row(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-spool-test");
	const char *db_path = t_strconcat(dir, "/bounces.sqlite", NULL);
	const char *spool_path = bounce_spool_path(db_path);
	pool_t pool = pool_alloconly_create("test", 16384);
	struct bounce_spool_import_result result;
	struct bounce_store_message msg;
	struct bounce_report *report;
	struct bounce_recipient *rcpt;
	struct bounce_store *store;
	string_t *rows = t_str_new(1024), *diag;
	const char *error;
	uoff_t size;

	/* the longest value a row can have: a Diagnostic-Code as long as
	   the delivery-status body may be, every byte of it escaped */
	diag = t_str_new(1024 * 1024 + 1);
	for (unsigned int i = 0; i < 1024 * 1024; i++)
		str_append_c(diag, i % 2 == 0 ? '\t' : '\001');
	report = test_report_new(pool, 1);
	rcpt = array_idx_modifiable(&report->recipients, 0);
	rcpt->diagnostic = str_c(diag);
	make_message(&msg, 1);
	bounce_store_spool_rows(rows, &msg, report);
	assert_true(str_len(rows) > 2 * 1024 * 1024);
	assert_true(bounce_spool_lines_fit(str_data(rows), str_len(rows)));
	assert_int_equal(bounce_spool_append(spool_path, str_data(rows),
					     str_len(rows), &size, &error), 0);

	assert_int_equal(bounce_store_open(db_path, 1000, &store, &error), 0);
	assert_int_equal(import(store, spool_path, &result), 1);
	assert_int_equal(result.rows, 1);
	assert_int_equal(result.skipped, 0);
	assert_non_null(strstr(dump_store(store), str_c(diag)));
	bounce_store_close(&store);
	pool_unref(&pool);
	test_remove_dir(dir);
}

static void test_spool_failed_import_keeps_rows(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-spool-test");
	const char *db_path = t_strconcat(dir, "/bounces.sqlite", NULL);
	const char *spool_path = bounce_spool_path(db_path);
	const char *importing_path = bounce_spool_importing_path(spool_path);
	pool_t pool = pool_alloconly_create("test", 16384);
	struct bounce_spool_import_result result;
	struct bounce_store *store;
	const char *error;
	struct stat st;

	assert_int_equal(bounce_store_open(db_path, 1000, &store, &error), 0);
	bounce_store_close(&store);
	spool_message(spool_path, 1, 2, pool);

	/* a database that can't be written */
	assert_int_equal(bounce_store_open_readonly(db_path, 1000, &store,
						    &error), 0);
	assert_int_equal(bounce_store_import_spool(store, spool_path, 1,
						   &result, &error), -1);
	assert_non_null(strstr(error, "readonly"));
	bounce_store_close(&store);
	/* the rows wait in the moved file; deliveries start a new spool */
	assert_int_equal(stat(importing_path, &st), 0);
	assert_true(st.st_size > 0);
	spool_message(spool_path, 2, 1, pool);
	assert_int_equal(stat(spool_path, &st), 0);

	/* the next import takes both, the older first */
	assert_int_equal(bounce_store_open(db_path, 1000, &store, &error), 0);
	assert_int_equal(import(store, spool_path, &result), 1);
	assert_int_equal(result.rows, 3);
	assert_false(bounce_spool_exists(spool_path));
	assert_non_null(strstr(dump_store(store), "user1@example.org"));

	bounce_store_close(&store);
	pool_unref(&pool);
	test_remove_dir(dir);
}

static void test_spool_writer_follows_importer(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-spool-test");
	const char *spool_path = t_strconcat(dir, "/bounces.sqlite-spool",
					     NULL);
	const char *importing_path = bounce_spool_importing_path(spool_path);
	const char *error;
	struct stat st;
	uoff_t size;
	int fd;

	assert_int_equal(bounce_spool_append(spool_path, "a\n", 2, &size,
					     &error), 0);
	assert_int_equal(size, 2);

	/* an importer holds the spool and hasn't moved it yet: a writer
	   gives up after a bounded number of tries, for the caller to
	   record into the database itself */
	fd = open(spool_path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(bounce_spool_append(spool_path, "b\n", 2, &size,
					     &error), -1);
	assert_non_null(strstr(error, "locked"));

	/* once it has moved the spool, writers go to a new one at once,
	   although the importer still holds the old one */
	assert_int_equal(link(spool_path, importing_path), 0);
	assert_int_equal(unlink(spool_path), 0);
	assert_int_equal(bounce_spool_append(spool_path, "c\n", 2, &size,
					     &error), 0);
	assert_int_equal(size, 2);
	i_close_fd(&fd);
	assert_int_equal(stat(importing_path, &st), 0);
	assert_int_equal(st.st_size, 2);

	test_remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_spool_same_rows_as_direct),
		test_case(test_spool_damaged_lines),
		test_case(test_spool_long_row),
		test_case(test_spool_failed_import_keeps_rows),
		test_case(test_spool_writer_follows_importer),
	};
	return test_run_group(tests);
}
