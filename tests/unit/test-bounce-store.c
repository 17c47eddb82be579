/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-store-private.h"
#include "bounce-store-cache.h"
#include "test-bounce-common.h"

#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sqlite3.h>

/* The record step against real SQLite files in a temporary directory. */

static const char *test_dir;

struct collected {
	ARRAY_TYPE(const_string) rows;
	pool_t pool;
};

static unsigned int column_idx(const char *key)
{
	for (unsigned int i = 0; i < bounce_store_bounce_columns_count; i++) {
		if (strcmp(bounce_store_bounce_columns[i].key, key) == 0)
			return i;
	}
	fail_msg("no column %s", key);
	return 0;
}

static void collect_row(const char *const *values, void *context)
{
	struct collected *c = context;
	const char *row = p_strdup_printf(c->pool, "%s|%s|%s|%s|%s",
		values[column_idx("recipient")], values[column_idx("uid")],
		values[column_idx("status")], values[column_idx("category")],
		values[column_idx("mailbox")]);

	array_push_back(&c->rows, &row);
}

static unsigned int list_rows(struct bounce_store *store,
			      struct collected *c,
			      const struct bounce_store_filter *filter)
{
	const char *error;

	array_clear(&c->rows);
	assert_int_equal(bounce_store_list(store, filter, collect_row, c,
					   &error), 0);
	return array_count(&c->rows);
}

static void test_store_record_and_list(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-store-test");
	const char *path = t_strconcat(dir, "/bounces.sqlite", NULL);
	pool_t pool = pool_alloconly_create("test", 4096);
	struct bounce_store_filter filter;
	struct bounce_store_message msg;
	struct bounce_store *store;
	struct collected c;
	const char *error;
	struct stat st;

	c.pool = pool;
	p_array_init(&c.rows, pool, 8);
	assert_int_equal(bounce_store_open(path, 1000, &store, &error), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	i_zero(&msg);
	msg.mailbox = "Bounces";
	msg.mailbox_guid = "0123456789abcdef0123456789abcdef";
	msg.message_guid = "guid-1";
	msg.message_id = "<dsn-1@mx.example.net>";
	msg.uid = 7;
	msg.recorded_at = 1793613604;
	assert_int_equal(bounce_store_record(store, &msg,
					     test_report_new(pool, 2), &error), 2);

	i_zero(&filter);
	assert_int_equal(list_rows(store, &c, &filter), 2);
	assert_string_equal(array_idx_elem(&c.rows, 0),
			    "user0@example.org|7|5.1.1|hard|Bounces");

	/* the same bounce again (rescan, or moved): no new rows, the
	   location follows */
	msg.uid = 9;
	msg.mailbox = "Bounces/old";
	assert_int_equal(bounce_store_record(store, &msg,
					     test_report_new(pool, 2), &error), 2);
	assert_int_equal(list_rows(store, &c, &filter), 2);
	assert_string_equal(array_idx_elem(&c.rows, 1),
			    "user1@example.org|9|5.1.1|hard|Bounces/old");

	/* a mail with no recipients still gets one row */
	msg.message_id = NULL;
	msg.message_guid = "guid-2";
	assert_int_equal(bounce_store_record(store, &msg,
					     test_report_new(pool, 0), &error), 1);
	assert_int_equal(list_rows(store, &c, &filter), 3);
	assert_string_equal(array_idx_elem(&c.rows, 2),
			    "|9||unknown|Bounces/old");

	filter.recipient = "USER1@example.org";
	assert_int_equal(list_rows(store, &c, &filter), 1);
	i_zero(&filter);
	filter.domain = "example.org";
	filter.limit = 1;
	assert_int_equal(list_rows(store, &c, &filter), 1);
	bounce_store_close(&store);

	/* reopening keeps the schema and the rows */
	assert_int_equal(bounce_store_open_readonly(path, 1000, &store,
						    &error), 0);
	i_zero(&filter);
	assert_int_equal(list_rows(store, &c, &filter), 3);
	bounce_store_close(&store);

	pool_unref(&pool);
	test_remove_dir(dir);
}

static void test_store_open_errors(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-store-test");
	const char *path = t_strconcat(dir, "/corrupt.sqlite", NULL);
	struct bounce_store *store;
	const char *error;
	FILE *f;

	/* missing directory */
	assert_int_equal(bounce_store_open(t_strconcat(dir, "/nope/x.sqlite",
						       NULL), 100, &store,
					   &error), -1);
	assert_non_null(strstr(error, "No such file or directory"));

	/* random bytes where the database should be */
	f = fopen(path, "w");
	assert_non_null(f);
	for (unsigned int i = 0; i < 4096; i++)
		fputc((int)((i * 7919) & 0xff), f);
	fclose(f);
	assert_int_equal(bounce_store_open(path, 100, &store, &error), -1);
	assert_non_null(strstr(error, "not a database"));

	/* read-only open of a file that doesn't exist */
	assert_int_equal(bounce_store_open_readonly(
		t_strconcat(dir, "/missing.sqlite", NULL), 100, &store,
		&error), -1);
	test_remove_dir(dir);
}

static int64_t record_one(struct bounce_store *store, const char *tag)
{
	pool_t pool = pool_alloconly_create("test record", 2048);
	struct bounce_store_message msg;
	const char *error;
	int ret;

	i_zero(&msg);
	msg.mailbox = "Bounces";
	msg.mailbox_guid = "0123456789abcdef0123456789abcdef";
	msg.message_guid = tag;
	msg.message_id = t_strdup_printf("<%s@mx.example.net>", tag);
	msg.uid = 1;
	msg.recorded_at = 1793613604;
	ret = bounce_store_record(store, &msg, test_report_new(pool, 1), &error);
	pool_unref(&pool);
	return ret;
}

static int has_one(struct bounce_store *store, const char *tag)
{
	struct bounce_store_message msg;
	const char *error;

	/* by the Message-ID only: uid 0 leaves the mailbox GUID out */
	i_zero(&msg);
	msg.mailbox_guid = "0123456789abcdef0123456789abcdef";
	msg.message_guid = tag;
	msg.message_id = t_strdup_printf("<%s@mx.example.net>", tag);
	return bounce_store_has_message(store, &msg, &error);
}

/* A temporary table lives as long as its connection: whether the cache
   handed out the same one, whatever address a new one got. */
static void connection_mark(struct bounce_store *store)
{
	assert_int_equal(sqlite3_exec(store->db,
		"CREATE TEMP TABLE cache_marker (x)", NULL, NULL, NULL),
		SQLITE_OK);
}

static bool connection_marked(struct bounce_store *store)
{
	return sqlite3_exec(store->db, "SELECT x FROM temp.cache_marker",
			    NULL, NULL, NULL) == SQLITE_OK;
}

/* The cached connection is handed out again while its files are the
   ones at the path, and never once they changed under it. */
static void test_store_cache(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-store-test");
	const char *path = t_strconcat(dir, "/bounces.sqlite", NULL);
	struct bounce_store *store, *first;
	const char *error;
	struct stat st;

	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	first = store;
	assert_int_equal(record_one(store, "a"), 1);
	connection_mark(store);
	bounce_store_cache_release(&store, FALSE);
	assert_null(store);

	/* unchanged: the same connection */
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	assert_true(connection_marked(store));
	/* asked for again while out: a connection of its own */
	struct bounce_store *second;
	assert_int_equal(bounce_store_cache_open(path, 1000, &second,
						 &error), 0);
	assert_ptr_not_equal(second, first);
	bounce_store_cache_release(&second, FALSE);
	bounce_store_cache_release(&store, FALSE);

	/* the database deleted: a new one at the path gets the row */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	assert_int_equal(record_one(store, "b"), 1);
	bounce_store_cache_release(&store, FALSE);
	assert_int_equal(stat(path, &st), 0);

	/* made read-only: reopened, and the write fails (as root the
	   mode isn't enforced, so only check the reopen there) */
	assert_int_equal(chmod(path, 0400), 0);
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	if (geteuid() != 0)
		assert_int_equal(record_one(store, "c"), -1);
	bounce_store_cache_release(&store, geteuid() != 0);
	assert_int_equal(chmod(path, 0600), 0);

	/* its WAL deleted: reopened, not written into the unlinked one */
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	assert_int_equal(record_one(store, "d"), 1);
	bounce_store_cache_release(&store, FALSE);
	assert_int_equal(unlink(t_strconcat(path, "-wal", NULL)), 0);
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	assert_int_equal(record_one(store, "e"), 1);
	bounce_store_cache_release(&store, FALSE);
	assert_int_equal(stat(t_strconcat(path, "-wal", NULL), &st), 0);

	/* after a failure the connection is not kept */
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	bounce_store_cache_release(&store, TRUE);
	bounce_store_cache_deinit();
	/* nothing cached any more: a fresh open works */
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	assert_int_equal(record_one(store, "f"), 1);
	bounce_store_cache_release(&store, FALSE);

	/* another process's checkpoint writes the database file: the
	   connection is kept; garbage written over its header is not */
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	assert_false(connection_marked(store));
	connection_mark(store);
	bounce_store_cache_release(&store, FALSE);
	sqlite3 *other;
	assert_int_equal(sqlite3_open(path, &other), SQLITE_OK);
	assert_int_equal(sqlite3_exec(other, "DELETE FROM bounces;"
				      " PRAGMA wal_checkpoint(PASSIVE)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(other), SQLITE_OK);
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	assert_true(connection_marked(store));
	assert_int_equal(has_one(store, "f"), 0);
	assert_int_equal(record_one(store, "f"), 1);
	bounce_store_cache_release(&store, FALSE);

	/* another database (another user's, in an LMTP process): the first
	   is closed without a checkpoint, and loses nothing by it */
	const char *path2 = t_strconcat(dir, "/other.sqlite", NULL);
	assert_int_equal(bounce_store_cache_open(path2, 1000, &store,
						 &error), 0);
	assert_int_equal(record_one(store, "g"), 1);
	bounce_store_cache_release(&store, FALSE);
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), 0);
	assert_int_equal(has_one(store, "f"), 1);
	assert_int_equal(has_one(store, "g"), 0);
	bounce_store_cache_release(&store, FALSE);

	int fd = open(path, O_WRONLY);
	assert_true(fd != -1);
	assert_int_equal(pwrite(fd, "not a database!!", 16, 0), 16);
	i_close_fd(&fd);
	assert_int_equal(bounce_store_cache_open(path, 1000, &store,
						 &error), -1);
	bounce_store_cache_deinit();
	test_remove_dir(dir);
}

/* the first integer of the first row of sql, straight from SQLite */
static sqlite3_int64 db_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *stmt;
	sqlite3_int64 value;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &stmt, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	value = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);
	return value;
}

static bool db_has_index(sqlite3 *db, const char *name)
{
	return db_int(db, t_strdup_printf(
		"SELECT count(*) FROM sqlite_master"
		" WHERE type = 'index' AND name = '%s'", name)) == 1;
}

/* EXPLAIN QUERY PLAN of sql: its steps, one a line */
static const char *db_query_plan(sqlite3 *db, const char *sql)
{
	string_t *plan = t_str_new(256);
	sqlite3_stmt *stmt;

	assert_int_equal(sqlite3_prepare_v2(db, t_strconcat(
		"EXPLAIN QUERY PLAN ", sql, NULL), -1, &stmt, NULL), SQLITE_OK);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		str_append(plan, (const char *)sqlite3_column_text(stmt, 3));
		str_append_c(plan, '\n');
	}
	sqlite3_finalize(stmt);
	return str_c(plan);
}

static void assert_plan_contains(sqlite3 *db, const char *sql,
				 const char *step)
{
	const char *plan = db_query_plan(db, sql);

	if (strstr(plan, step) == NULL)
		fail_msg("plan lacks \"%s\":\n%s\nfor %s", step, plan, sql);
}

static void test_store_migrate_to_query_indexes(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-store-test");
	const char *path = t_strconcat(dir, "/bounces.sqlite", NULL);
	pool_t pool = pool_alloconly_create("test", 4096);
	struct bounce_store_filter filter;
	struct bounce_store_message msg;
	struct bounce_store *store;
	const char *error;
	sqlite3 *db;

	assert_int_equal(bounce_store_open(path, 1000, &store, &error), 0);
	i_zero(&msg);
	msg.mailbox = "Bounces";
	msg.message_id = "<dsn-1@mx.example.net>";
	msg.recorded_at = 1793613604;
	assert_int_equal(bounce_store_record(store, &msg,
					     test_report_new(pool, 3), &error), 3);
	bounce_store_close(&store);

	/* make it the database that schema version 2 left: its index on
	   domain, none of the query indexes, no storage_id */
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"DROP INDEX bounces_unresolved;"
		"ALTER TABLE bounces DROP COLUMN storage_id;"
		"DROP INDEX bounces_domain_stats;"
		"CREATE INDEX bounces_domain ON bounces (domain);"
		"PRAGMA user_version = 2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	/* opening it upgrades it in place, rows and all */
	assert_int_equal(bounce_store_open(path, 1000, &store, &error), 0);
	assert_int_equal(db_int(store->db, "PRAGMA user_version"), 4);
	assert_true(db_has_index(store->db, "bounces_domain_stats"));
	assert_true(db_has_index(store->db, "bounces_unresolved"));
	assert_false(db_has_index(store->db, "bounces_domain"));
	assert_true(db_has_index(store->db, "bounces_recipient"));
	assert_int_equal(db_int(store->db, "SELECT count(*) FROM bounces"), 3);
	assert_int_equal(db_int(store->db,
		"SELECT count(*) FROM addresses"
		" WHERE state = 'suppressed'"), 3);

	/* and the statements doveadm runs use the indexes: stats reads
	   only the covering index, in domain order ... */
	i_zero(&filter);
	assert_plan_contains(store->db, bounce_store_stats_sql(
		BOUNCE_STORE_STATS_BY_DOMAIN, &filter),
		"SCAN bounces USING COVERING INDEX bounces_domain_stats");
	filter.since = 1793613600;
	assert_plan_contains(store->db, bounce_store_stats_sql(
		BOUNCE_STORE_STATS_BY_DOMAIN, &filter),
		"USING COVERING INDEX bounces_domain_stats");
	/* ... list looks the address up ... */
	i_zero(&filter);
	filter.recipient = "user1@example.org";
	assert_plan_contains(store->db, bounce_store_list_sql(&filter),
		"SEARCH bounces USING INDEX bounces_recipient (recipient=?)");
	i_zero(&filter);
	filter.domain = "example.org";
	assert_plan_contains(store->db, bounce_store_list_sql(&filter),
		"SEARCH bounces USING INDEX bounces_domain_stats (domain=?)");
	/* ... and the suppressed list walks them in order, no full sort */
	i_zero(&filter);
	assert_plan_contains(store->db,
		bounce_store_addresses_sql(&filter, TRUE),
		"SEARCH addresses USING INDEX addresses_state (state=?)");
	if (strstr(db_query_plan(store->db, bounce_store_addresses_sql(
			&filter, TRUE)), "TEMP B-TREE FOR ORDER BY") != NULL)
		fail_msg("the suppressed list sorts every row");
	/* ... and giving maildir rows their UIDs looks each file up, not
	   the whole table once per message */
	assert_plan_contains(store->db, bounce_store_resolve_sql,
		"SEARCH bounces USING INDEX bounces_unresolved"
		" (mailbox_guid=? AND storage_id=?)");
	assert_plan_contains(store->db, bounce_store_resolve_forget_sql,
		"SEARCH bounces USING INDEX bounces_unresolved"
		" (mailbox_guid=? AND storage_id=?)");
	bounce_store_close(&store);

	pool_unref(&pool);
	test_remove_dir(dir);
}

static void record_unnumbered(struct bounce_store *store, pool_t pool,
			      const char *storage_id, const char *message_id)
{
	struct bounce_store_message msg;
	const char *error;

	i_zero(&msg);
	msg.mailbox = "Bounces";
	msg.mailbox_guid = "0123456789abcdef0123456789abcdef";
	msg.message_guid = "";
	msg.storage_id = storage_id;
	msg.message_id = message_id;
	msg.recorded_at = 1793613604;
	assert_int_equal(bounce_store_record(store, &msg,
					     test_report_new(pool, 2), &error), 2);
}

static void test_store_resolve_uids(void **state ATTR_UNUSED)
{
	const char *dir = test_make_dir("bounce-store-test");
	const char *path = t_strconcat(dir, "/bounces.sqlite", NULL);
	pool_t pool = pool_alloconly_create("test", 4096);
	ARRAY_TYPE(bounce_store_unresolved) msgs;
	struct bounce_store_unresolved *msg;
	struct bounce_store_message again;
	struct bounce_store_filter filter;
	struct bounce_store *store;
	struct collected c;
	const char *error;

	c.pool = pool;
	p_array_init(&c.rows, pool, 8);
	assert_int_equal(bounce_store_open(path, 1000, &store, &error), 0);
	/* two bounces without a Message-ID: their file names keep them
	   apart until they have GUIDs */
	record_unnumbered(store, pool, "1793613604.M1P2.mx", NULL);
	record_unnumbered(store, pool, "1793613604.M3P4.mx", NULL);
	record_unnumbered(store, pool, "1793613604.M5P6.mx", "<dsn@example.net>");
	i_zero(&filter);
	assert_int_equal(list_rows(store, &c, &filter), 6);

	t_array_init(&msgs, 4);
	assert_int_equal(bounce_store_unresolved(store, &msgs, &error), 0);
	assert_int_equal(array_count(&msgs), 3);
	/* the first is found, the second is gone, the third isn't known
	   yet (its mailbox couldn't be opened) */
	msg = array_idx_modifiable(&msgs, 0);
	assert_string_equal(msg->storage_id, "1793613604.M1P2.mx");
	msg->resolved = TRUE;
	msg->uid = 7;
	msg->message_guid = "1793613604.M1P2.mx,S=900,W=920";
	msg = array_idx_modifiable(&msgs, 1);
	msg->resolved = TRUE;
	msg->message_guid = "";
	assert_int_equal(bounce_store_resolve(store, &msgs, &error), 0);

	array_clear(&msgs);
	assert_int_equal(bounce_store_unresolved(store, &msgs, &error), 0);
	assert_int_equal(array_count(&msgs), 1);
	msg = array_idx_modifiable(&msgs, 0);
	assert_string_equal(msg->storage_id, "1793613604.M5P6.mx");
	assert_int_equal(list_rows(store, &c, &filter), 6);
	assert_string_equal(array_idx_elem(&c.rows, 0),
			    "user0@example.org|7|5.1.1|hard|Bounces");
	assert_string_equal(array_idx_elem(&c.rows, 2),
			    "user0@example.org|0|5.1.1|hard|Bounces");

	/* a rescan of the found one, by its GUID, finds it recorded */
	i_zero(&again);
	again.mailbox = "Bounces";
	again.mailbox_guid = "0123456789abcdef0123456789abcdef";
	again.message_guid = "1793613604.M1P2.mx,S=900,W=920";
	again.uid = 7;
	assert_int_equal(bounce_store_has_message(store, &again, &error), 1);
	again.recorded_at = 1793613700;
	assert_int_equal(bounce_store_record(store, &again,
					     test_report_new(pool, 2), &error), 2);
	assert_int_equal(list_rows(store, &c, &filter), 6);
	/* and the lookup of what is left reads only the partial index */
	assert_plan_contains(store->db,
		"SELECT DISTINCT mailbox, mailbox_guid, storage_id"
		" FROM bounces WHERE storage_id <> ''"
		" ORDER BY mailbox, mailbox_guid", "bounces_unresolved");

	bounce_store_close(&store);
	pool_unref(&pool);
	test_remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_store_record_and_list),
		test_case(test_store_open_errors),
		test_case(test_store_migrate_to_query_indexes),
		test_case(test_store_cache),
		test_case(test_store_resolve_uids),
	};
	(void)test_dir;
	return test_run_group(tests);
}
