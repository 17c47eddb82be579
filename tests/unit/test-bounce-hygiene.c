/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-store.h"
#include "bounce-export.h"
#include "test-bounce-common.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

/* List hygiene: the per-address state and the suppression policy of
   bounce-store.c against real SQLite files, and the export encoders. */

#define DAY (24 * 60 * 60)
/* 2026-11-02T10:00:04Z: the bounces below happen before it */
#define NOW ((time_t)1793613604)

struct test_db {
	const char *dir, *path;
	struct bounce_store *store;
	pool_t pool;
	unsigned int msg_seq;
};

static void test_db_open(struct test_db *db)
{
	const char *error;

	i_zero(db);
	db->dir = test_make_dir("bounce-hygiene-test");
	db->path = t_strconcat(db->dir, "/bounces.sqlite", NULL);
	db->pool = pool_alloconly_create("test hygiene", 4096);
	assert_int_equal(bounce_store_open(db->path, 1000, &db->store,
					   &error), 0);
}

static void test_db_close(struct test_db *db)
{
	bounce_store_close(&db->store);
	pool_unref(&db->pool);
	test_remove_dir(db->dir);
}

/* An RFC 822 date for days_ago days before NOW, as Arrival-Date has it */
static const char *arrival_date(double days_ago)
{
	time_t t = NOW - (time_t)(days_ago * DAY);
	char buf[64];
	struct tm *tm = gmtime(&t);

	if (strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S +0000", tm) == 0)
		fail_msg("strftime() failed");
	return t_strdup(buf);
}

struct test_bounce {
	const char *address;
	enum bounce_category category;
	enum bounce_reason reason;
	enum bounce_action action;
	const char *status;
	double days_ago;
	/* the bounce's Message-ID; NULL = a new one */
	const char *message_id;
};

static struct bounce_report *
test_report(struct test_db *db, const struct test_bounce *b)
{
	struct bounce_report *report = p_new(db->pool, struct bounce_report, 1);
	struct bounce_recipient *rcpt;

	report->pool = db->pool;
	p_array_init(&report->recipients, db->pool, 2);
	p_array_init(&report->campaign_headers, db->pool, 2);
	report->format = "rfc3464";
	report->arrival_date = p_strdup(db->pool, arrival_date(b->days_ago));
	rcpt = array_append_space(&report->recipients);
	rcpt->address = b->address;
	rcpt->action = b->action;
	rcpt->status = b->status;
	rcpt->reason = b->reason;
	rcpt->category = b->category;
	rcpt->hard = b->category == BOUNCE_CATEGORY_HARD;
	rcpt->rule = "test";
	return report;
}

static int test_record_ret(struct test_db *db, const struct test_bounce *b,
			   bool replace)
{
	struct bounce_store_message msg;
	const char *error;
	int ret;

	i_zero(&msg);
	msg.mailbox = "Bounces";
	msg.mailbox_guid = "0123456789abcdef0123456789abcdef";
	msg.uid = ++db->msg_seq;
	msg.message_guid = p_strdup_printf(db->pool, "guid-%u", msg.uid);
	msg.message_id = b->message_id != NULL ? b->message_id :
		p_strdup_printf(db->pool, "<dsn-%u@mx.example.net>", msg.uid);
	msg.recorded_at = NOW;
	ret = replace ?
		bounce_store_replace(db->store, &msg, test_report(db, b), &error) :
		bounce_store_record(db->store, &msg, test_report(db, b), &error);
	if (ret < 0)
		fail_msg("record: %s", error);
	return ret;
}

static void test_record(struct test_db *db, const struct test_bounce *b)
{
	assert_int_equal(test_record_ret(db, b, FALSE), 1);
}

static void record_soft(struct test_db *db, const char *address,
			double days_ago)
{
	struct test_bounce b = {
		.address = address, .category = BOUNCE_CATEGORY_SOFT,
		.reason = BOUNCE_REASON_MAILBOXFULL,
		.action = BOUNCE_ACTION_FAILED, .status = "4.2.2",
		.days_ago = days_ago,
	};
	test_record(db, &b);
}

static void record_hard(struct test_db *db, const char *address,
			double days_ago)
{
	struct test_bounce b = {
		.address = address, .category = BOUNCE_CATEGORY_HARD,
		.reason = BOUNCE_REASON_USERUNKNOWN,
		.action = BOUNCE_ACTION_FAILED, .status = "5.1.1",
		.days_ago = days_ago,
	};
	test_record(db, &b);
}

/* --- reading the state back --- */

static unsigned int address_col(const char *key)
{
	for (unsigned int i = 0; i < bounce_store_address_columns_count; i++) {
		if (strcmp(bounce_store_address_columns[i].key, key) == 0)
			return i;
	}
	fail_msg("no address column %s", key);
	return 0;
}

struct address_rows {
	pool_t pool;
	ARRAY(const char *const *) rows;
};

static void collect_address(const char *const *values, void *context)
{
	struct address_rows *c = context;
	const char **copy = p_new(c->pool, const char *,
				  bounce_store_address_columns_count);

	for (unsigned int i = 0; i < bounce_store_address_columns_count; i++)
		copy[i] = p_strdup(c->pool, values[i]);
	const char *const *row = copy;
	array_push_back(&c->rows, &row);
}

/* The state row of address, or NULL if it has none. */
static const char *const *
address_state(struct test_db *db, const char *address)
{
	struct bounce_store_filter filter;
	struct address_rows c;
	const char *error;

	i_zero(&filter);
	filter.recipient = address;
	c.pool = db->pool;
	p_array_init(&c.rows, db->pool, 2);
	if (bounce_store_list_addresses(db->store, &filter, FALSE,
					collect_address, &c, &error) < 0)
		fail_msg("%s", error);
	if (array_count(&c.rows) == 0)
		return NULL;
	assert_int_equal(array_count(&c.rows), 1);
	return array_idx_elem(&c.rows, 0);
}

static const char *state_of(struct test_db *db, const char *address,
			    const char *key)
{
	const char *const *row = address_state(db, address);

	if (row == NULL)
		fail_msg("%s has no state", address);
	return row[address_col(key)];
}

static unsigned int suppressed_count(struct test_db *db)
{
	struct bounce_store_filter filter;
	struct address_rows c;
	const char *error;

	i_zero(&filter);
	c.pool = db->pool;
	p_array_init(&c.rows, db->pool, 2);
	if (bounce_store_list_addresses(db->store, &filter, TRUE,
					collect_address, &c, &error) < 0)
		fail_msg("%s", error);
	return array_count(&c.rows);
}

static void count_row(const char *const *values ATTR_UNUSED, void *context)
{
	unsigned int *count = context;

	(*count)++;
}

static unsigned int bounce_rows(struct test_db *db, const char *recipient)
{
	struct bounce_store_filter filter;
	unsigned int count = 0;
	const char *error;

	i_zero(&filter);
	filter.recipient = recipient;
	if (bounce_store_list(db->store, &filter, count_row, &count,
			      &error) < 0)
		fail_msg("%s", error);
	return count;
}

/* --- the policy --- */

static void test_hard_suppresses_at_once(void **state ATTR_UNUSED)
{
	struct test_db db;

	test_db_open(&db);
	record_hard(&db, "gone@example.org", 2);
	assert_string_equal(state_of(&db, "gone@example.org", "state"),
			    "suppressed");
	assert_string_equal(state_of(&db, "gone@example.org", "category"),
			    "hard");
	assert_string_equal(state_of(&db, "gone@example.org", "reason"),
			    "userunknown");
	assert_string_equal(state_of(&db, "gone@example.org", "why"),
			    "hard: userunknown (5.1.1)");
	/* "since" is when the bounce happened (its Arrival-Date) */
	assert_string_equal(state_of(&db, "gone@example.org", "since"),
			    "2026-10-31T10:00:04Z");
	assert_string_equal(state_of(&db, "gone@example.org", "hard"), "1");
	assert_string_equal(state_of(&db, "gone@example.org", "soft"), "0");
	assert_string_equal(state_of(&db, "gone@example.org", "last_status"),
			    "5.1.1");
	assert_int_equal(suppressed_count(&db), 1);
	test_db_close(&db);
}

static void test_complaint_suppresses_at_once(void **state ATTR_UNUSED)
{
	struct test_bounce b = {
		.address = "annoyed@example.org",
		.category = BOUNCE_CATEGORY_COMPLAINT,
		.reason = BOUNCE_REASON_FEEDBACK,
		.action = BOUNCE_ACTION_NONE, .days_ago = 1,
	};
	struct test_db db;

	test_db_open(&db);
	test_record(&db, &b);
	assert_string_equal(state_of(&db, b.address, "state"), "suppressed");
	assert_string_equal(state_of(&db, b.address, "category"), "complaint");
	assert_string_equal(state_of(&db, b.address, "why"),
			    "complaint: feedback");
	assert_string_equal(state_of(&db, b.address, "complaint"), "1");
	test_db_close(&db);
}

static void test_soft_limit_within_window(void **state ATTR_UNUSED)
{
	struct test_db db;

	test_db_open(&db);
	/* 4 soft bounces over 12 days: still active */
	for (unsigned int i = 0; i < 4; i++)
		record_soft(&db, "full@example.org", 20 - i * 4);
	assert_string_equal(state_of(&db, "full@example.org", "state"),
			    "active");
	assert_string_equal(state_of(&db, "full@example.org", "soft"), "4");
	assert_string_equal(state_of(&db, "full@example.org", "since"), "");
	assert_int_equal(suppressed_count(&db), 0);

	/* the 5th within 30 days suppresses, as of its own time */
	record_soft(&db, "full@example.org", 4);
	assert_string_equal(state_of(&db, "full@example.org", "state"),
			    "suppressed");
	assert_string_equal(state_of(&db, "full@example.org", "category"),
			    "soft");
	assert_string_equal(state_of(&db, "full@example.org", "reason"),
			    "mailboxfull");
	assert_string_equal(state_of(&db, "full@example.org", "why"),
			    "5 soft bounces within 30 days");
	assert_string_equal(state_of(&db, "full@example.org", "since"),
			    "2026-10-29T10:00:04Z");
	assert_string_equal(state_of(&db, "full@example.org", "soft"), "5");
	assert_string_equal(state_of(&db, "full@example.org", "first_bounce"),
			    "2026-10-13T10:00:04Z");
	test_db_close(&db);
}

static void test_soft_old_ones_expire(void **state ATTR_UNUSED)
{
	static const double days[] = { 90, 80, 70, 45, 35, 25 };
	struct test_db db;

	test_db_open(&db);
	/* 6 soft bounces, but never 5 of them within 30 days */
	for (unsigned int i = 0; i < N_ELEMENTS(days); i++)
		record_soft(&db, "slow@example.org", days[i]);
	assert_string_equal(state_of(&db, "slow@example.org", "state"),
			    "active");
	assert_string_equal(state_of(&db, "slow@example.org", "soft"), "6");

	/* a tighter policy applies at the next refresh, and the suppression
	   dates from the first time it held: days 90, 80, 70 */
	struct bounce_store_policy policy = {
		.soft_limit = 3, .soft_window_secs = 30 * DAY,
	};
	bounce_store_set_policy(db.store, &policy);
	record_soft(&db, "slow@example.org", 20);
	assert_string_equal(state_of(&db, "slow@example.org", "why"),
			    "3 soft bounces within 30 days");
	assert_string_equal(state_of(&db, "slow@example.org", "since"),
			    "2026-08-24T10:00:04Z");
	test_db_close(&db);
}

static void test_soft_order_independent(void **state ATTR_UNUSED)
{
	static const double days[] = { 3, 12, 1, 9, 5 };
	struct test_db db;

	test_db_open(&db);
	/* recorded out of order (a rescan, late DSNs): the same answer as
	   in order - suppressed as of the newest of the five */
	for (unsigned int i = 0; i < N_ELEMENTS(days); i++)
		record_soft(&db, "late@example.org", days[i]);
	assert_string_equal(state_of(&db, "late@example.org", "state"),
			    "suppressed");
	assert_string_equal(state_of(&db, "late@example.org", "since"),
			    "2026-11-01T10:00:04Z");
	test_db_close(&db);
}

static void test_delayed_never_counts(void **state ATTR_UNUSED)
{
	struct test_bounce b = {
		.address = "slow-mx@example.org",
		.category = BOUNCE_CATEGORY_SOFT,
		.reason = BOUNCE_REASON_EXPIRED,
		.action = BOUNCE_ACTION_DELAYED, .status = "4.4.7",
	};
	struct test_db db;

	test_db_open(&db);
	for (unsigned int i = 0; i < 6; i++) {
		b.days_ago = 6 - i;
		test_record(&db, &b);
	}
	assert_string_equal(state_of(&db, b.address, "state"), "active");
	assert_string_equal(state_of(&db, b.address, "soft"), "0");
	assert_string_equal(state_of(&db, b.address, "delayed"), "6");
	/* a hard-classified delay notice doesn't suppress either */
	b.category = BOUNCE_CATEGORY_HARD;
	b.reason = BOUNCE_REASON_USERUNKNOWN;
	test_record(&db, &b);
	assert_string_equal(state_of(&db, b.address, "state"), "active");
	assert_string_equal(state_of(&db, b.address, "hard"), "0");
	assert_string_equal(state_of(&db, b.address, "delayed"), "7");
	test_db_close(&db);
}

static void test_never_suppressing_categories(void **state ATTR_UNUSED)
{
	static const struct {
		enum bounce_category category;
		enum bounce_reason reason;
		enum bounce_action action;
		const char *address, *count_key;
	} rows[] = {
		{ BOUNCE_CATEGORY_INTERNAL, BOUNCE_REASON_BLOCKED,
		  BOUNCE_ACTION_FAILED, "rbl@example.org", "internal" },
		{ BOUNCE_CATEGORY_AUTOREPLY, BOUNCE_REASON_VACATION,
		  BOUNCE_ACTION_NONE, "away@example.org", "autoreply" },
		{ BOUNCE_CATEGORY_UNKNOWN, BOUNCE_REASON_UNDEFINED,
		  BOUNCE_ACTION_FAILED, "odd@example.org", "unknown" },
		{ BOUNCE_CATEGORY_DELIVERED, BOUNCE_REASON_DELIVERED,
		  BOUNCE_ACTION_DELIVERED, "fine@example.org", "delivered" },
	};
	struct test_db db;

	test_db_open(&db);
	for (unsigned int i = 0; i < N_ELEMENTS(rows); i++) {
		struct test_bounce b = {
			.address = rows[i].address,
			.category = rows[i].category,
			.reason = rows[i].reason, .action = rows[i].action,
		};
		for (unsigned int n = 0; n < 8; n++) {
			b.days_ago = 8 - n;
			test_record(&db, &b);
		}
		assert_string_equal(state_of(&db, b.address, "state"),
				    "active");
		assert_string_equal(state_of(&db, b.address,
					     rows[i].count_key), "8");
	}
	assert_int_equal(suppressed_count(&db), 0);
	test_db_close(&db);
}

static void test_unsuppress_resets(void **state ATTR_UNUSED)
{
	struct test_db db;
	const char *error;

	test_db_open(&db);
	record_soft(&db, "back@example.org", 10);
	record_hard(&db, "back@example.org", 5);
	assert_string_equal(state_of(&db, "back@example.org", "state"),
			    "suppressed");
	assert_int_equal(bounce_store_unsuppress(db.store, "Back@Example.org",
						 &error), 1);
	assert_string_equal(state_of(&db, "back@example.org", "state"),
			    "active");
	assert_string_equal(state_of(&db, "back@example.org", "hard"), "0");
	assert_string_equal(state_of(&db, "back@example.org", "soft"), "0");
	assert_string_equal(state_of(&db, "back@example.org", "since"), "");
	assert_int_equal(suppressed_count(&db), 0);
	/* the rows stay on record */
	assert_int_equal(bounce_rows(&db, "back@example.org"), 2);
	/* again: it isn't suppressed; unknown addresses are no error */
	assert_int_equal(bounce_store_unsuppress(db.store, "back@example.org",
						 &error), 0);
	assert_int_equal(bounce_store_unsuppress(db.store, "who@example.org",
						 &error), 0);

	/* only what comes after counts */
	record_soft(&db, "back@example.org", 2);
	assert_string_equal(state_of(&db, "back@example.org", "state"),
			    "active");
	assert_string_equal(state_of(&db, "back@example.org", "soft"), "1");
	/* a rebuild respects the reset */
	assert_int_equal(bounce_store_rebuild_addresses(db.store, &error), 0);
	assert_string_equal(state_of(&db, "back@example.org", "state"),
			    "active");
	assert_string_equal(state_of(&db, "back@example.org", "hard"), "0");
	record_hard(&db, "back@example.org", 1);
	assert_string_equal(state_of(&db, "back@example.org", "state"),
			    "suppressed");
	test_db_close(&db);
}

static bool file_contains(const char *path, const char *needle)
{
	size_t len = strlen(needle);
	bool found = FALSE;
	char buf[65536 + 256];
	size_t have = 0, n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return FALSE;
	while (!found && (n = fread(buf + have, 1, sizeof(buf) - have, f)) > 0) {
		have += n;
		for (size_t i = 0; !found && i + len <= have; i++)
			found = memcmp(buf + i, needle, len) == 0;
		/* keep the tail: a match may span two reads */
		if (have > len) {
			memmove(buf, buf + have - len, len);
			have = len;
		}
	}
	fclose(f);
	return found;
}

static void test_forget_erases(void **state ATTR_UNUSED)
{
	struct test_bounce forwarded = {
		.address = "new-home@example.net",
		.category = BOUNCE_CATEGORY_HARD,
		.reason = BOUNCE_REASON_USERUNKNOWN,
		.action = BOUNCE_ACTION_FAILED, .status = "5.1.1",
		.days_ago = 1,
	};
	struct bounce_report *report;
	struct bounce_recipient *rcpt;
	struct bounce_store_message msg;
	struct test_db db;
	const char *error;

	test_db_open(&db);
	record_hard(&db, "erase-me@example.org", 3);
	record_soft(&db, "erase-me@example.org", 2);
	record_soft(&db, "keep@example.org", 2);
	/* a bounce filed under a forwarding target that names the
	   address as its original recipient */
	i_zero(&msg);
	msg.mailbox = "Bounces";
	msg.message_id = "<fwd@mx.example.net>";
	msg.recorded_at = NOW;
	report = test_report(&db, &forwarded);
	rcpt = array_idx_modifiable(&report->recipients, 0);
	rcpt->original_recipient = "erase-me@example.org";
	assert_int_equal(bounce_store_record(db.store, &msg, report, &error), 1);
	assert_string_equal(state_of(&db, forwarded.address, "state"),
			    "suppressed");
	bounce_store_close(&db.store);
	assert_true(file_contains(db.path, "erase-me@example.org") ||
		    file_contains(t_strconcat(db.path, "-wal", NULL),
				  "erase-me@example.org"));
	assert_int_equal(bounce_store_open(db.path, 1000, &db.store, &error), 0);

	/* 3 bounces + 1 state row */
	assert_int_equal(bounce_store_forget(db.store, "Erase-Me@example.org",
					     &error), 4);
	assert_int_equal(bounce_rows(&db, "erase-me@example.org"), 0);
	assert_null(address_state(&db, "erase-me@example.org"));
	/* the forwarding target's only bounce went with it */
	assert_null(address_state(&db, forwarded.address));
	assert_int_equal(bounce_rows(&db, "keep@example.org"), 1);
	assert_string_equal(state_of(&db, "keep@example.org", "soft"), "1");
	/* gone from the files, not only from the tables */
	bounce_store_close(&db.store);
	assert_false(file_contains(db.path, "erase-me@example.org"));
	assert_false(file_contains(t_strconcat(db.path, "-wal", NULL),
				   "erase-me@example.org"));
	assert_int_equal(bounce_store_open(db.path, 1000, &db.store, &error), 0);
	assert_int_equal(bounce_store_forget(db.store, "nobody@example.org",
					     &error), 0);
	test_db_close(&db);
}

static void test_prune_keeps_suppression(void **state ATTR_UNUSED)
{
	struct test_db db;
	const char *error;

	test_db_open(&db);
	record_hard(&db, "old-dead@example.org", 100);
	record_soft(&db, "old-soft@example.org", 100);
	record_soft(&db, "recent@example.org", 100);
	record_soft(&db, "recent@example.org", 10);

	assert_int_equal(bounce_store_prune(db.store, NOW - 50 * DAY,
					    &error), 3);
	assert_int_equal(bounce_rows(&db, NULL), 1);
	/* the suppression stands although its bounce is gone */
	assert_string_equal(state_of(&db, "old-dead@example.org", "state"),
			    "suppressed");
	assert_string_equal(state_of(&db, "old-dead@example.org", "why"),
			    "hard: userunknown (5.1.1)");
	assert_string_equal(state_of(&db, "old-dead@example.org", "hard"), "0");
	/* an active address with nothing left is dropped */
	assert_null(address_state(&db, "old-soft@example.org"));
	assert_string_equal(state_of(&db, "recent@example.org", "soft"), "1");
	/* and a rebuild doesn't undo the suppression */
	assert_int_equal(bounce_store_rebuild_addresses(db.store, &error), 0);
	assert_string_equal(state_of(&db, "old-dead@example.org", "state"),
			    "suppressed");
	assert_int_equal(bounce_store_prune(db.store, NOW - 50 * DAY,
					    &error), 0);
	test_db_close(&db);
}

static void test_replace_reclassifies(void **state ATTR_UNUSED)
{
	struct test_bounce b = {
		.address = "policy@example.org",
		.category = BOUNCE_CATEGORY_HARD,
		.reason = BOUNCE_REASON_USERUNKNOWN,
		.action = BOUNCE_ACTION_FAILED, .status = "5.7.1",
		.days_ago = 3, .message_id = "<rbl@mx.example.net>",
	};
	struct test_db db;

	test_db_open(&db);
	test_record(&db, &b);
	assert_string_equal(state_of(&db, b.address, "state"), "suppressed");
	/* recording again changes nothing */
	b.category = BOUNCE_CATEGORY_INTERNAL;
	b.reason = BOUNCE_REASON_BLOCKED;
	test_record(&db, &b);
	assert_string_equal(state_of(&db, b.address, "state"), "suppressed");
	/* a newer classifier says the sender was blocked: not the address's
	   fault, so it is active again, and still only one row */
	assert_int_equal(test_record_ret(&db, &b, TRUE), 1);
	assert_string_equal(state_of(&db, b.address, "state"), "active");
	assert_string_equal(state_of(&db, b.address, "internal"), "1");
	assert_string_equal(state_of(&db, b.address, "hard"), "0");
	assert_int_equal(bounce_rows(&db, b.address), 1);

	/* the new analysis finds another recipient: the old row goes */
	b.address = "other@example.org";
	assert_int_equal(test_record_ret(&db, &b, TRUE), 1);
	assert_int_equal(bounce_rows(&db, "policy@example.org"), 0);
	assert_null(address_state(&db, "policy@example.org"));
	assert_int_equal(bounce_rows(&db, "other@example.org"), 1);
	test_db_close(&db);
}

struct stats_rows {
	string_t *str;
};

static void collect_stats(const char *const *values, void *context)
{
	string_t *str = context;

	for (unsigned int i = 0; i <= bounce_store_stats_columns_count; i++) {
		str_append(str, values[i]);
		str_append_c(str, i == bounce_store_stats_columns_count ?
			     '\n' : ' ');
	}
}

static void test_stats(void **state ATTR_UNUSED)
{
	struct test_bounce delay = {
		.address = "a@example.org", .category = BOUNCE_CATEGORY_SOFT,
		.reason = BOUNCE_REASON_EXPIRED,
		.action = BOUNCE_ACTION_DELAYED, .days_ago = 1,
	};
	struct bounce_store_filter filter;
	enum bounce_store_stats_by by;
	struct test_db db;
	const char *error;
	string_t *str = t_str_new(256);

	test_db_open(&db);
	record_hard(&db, "a@example.org", 3);
	record_soft(&db, "a@example.org", 2);
	record_soft(&db, "b@example.org", 2);
	record_soft(&db, "c@example.net", 40);
	test_record(&db, &delay);

	i_zero(&filter);
	assert_true(bounce_store_stats_by_parse("domain", &by));
	assert_int_equal(bounce_store_stats(db.store, by, &filter,
					    collect_stats, str, &error), 0);
	/* group bounces addresses hard soft internal complaint autoreply
	   unknown delivered delayed */
	assert_string_equal(str_c(str),
		"example.org 4 2 1 2 0 0 0 0 0 1\n"
		"example.net 1 1 0 1 0 0 0 0 0 0\n");

	str_truncate(str, 0);
	filter.since = NOW - 10 * DAY;
	assert_true(bounce_store_stats_by_parse("Day", &by));
	assert_int_equal(bounce_store_stats(db.store, by, &filter,
					    collect_stats, str, &error), 0);
	assert_string_equal(str_c(str),
		"2026-10-30 1 1 1 0 0 0 0 0 0 0\n"
		"2026-10-31 2 2 0 2 0 0 0 0 0 0\n"
		"2026-11-01 1 1 0 0 0 0 0 0 0 1\n");
	assert_false(bounce_store_stats_by_parse("subject", &by));
	assert_string_equal(bounce_store_stats_by_name(
		BOUNCE_STORE_STATS_BY_REMOTE_MTA), "remote-mta");
	test_db_close(&db);
}

static void test_open_or_recreate(void **state ATTR_UNUSED)
{
	struct test_db db;
	const char *error, *moved_to;
	struct stat st;
	FILE *f;

	test_db_open(&db);
	record_hard(&db, "x@example.org", 1);
	bounce_store_close(&db.store);

	/* a healthy file is kept */
	assert_int_equal(bounce_store_open_or_recreate(db.path, 1000,
		&db.store, &moved_to, &error), 0);
	assert_null(moved_to);
	assert_int_equal(bounce_rows(&db, NULL), 1);
	bounce_store_close(&db.store);

	/* garbage is moved aside, and a new database takes its place */
	f = fopen(db.path, "w");
	assert_non_null(f);
	for (unsigned int i = 0; i < 8192; i++)
		fputc((int)((i * 7919) & 0xff), f);
	fclose(f);
	test_expect_errors(0);
	assert_int_equal(bounce_store_open_or_recreate(db.path, 1000,
		&db.store, &moved_to, &error), 0);
	assert_non_null(moved_to);
	assert_non_null(strstr(moved_to, "/bounces.sqlite.corrupt-"));
	assert_int_equal(stat(moved_to, &st), 0);
	assert_int_equal(st.st_size, 8192);
	assert_int_equal(bounce_rows(&db, NULL), 0);
	record_hard(&db, "x@example.org", 1);
	assert_int_equal(bounce_rows(&db, NULL), 1);
	test_db_close(&db);
}

/* --- export encoders --- */

static void test_csv_cells(void **state ATTR_UNUSED)
{
	static const struct {
		const char *label, *in, *out;
		bool number;
	} cells[] = {
		{ "plain", "user@example.org", "user@example.org", FALSE },
		{ "empty", "", "", FALSE },
		{ "formula", "=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"", FALSE },
		{ "plus", "+1", "'+1", FALSE },
		{ "minus", "-1+2", "'-1+2", FALSE },
		{ "at", "@SUM(A1)", "'@SUM(A1)", FALSE },
		{ "tab", "\tx", "'\tx", FALSE },
		{ "cr", "\rx", "\"'\rx\"", FALSE },
		{ "comma", "a,b", "\"a,b\"", FALSE },
		{ "quote", "say \"hi\"", "\"say \"\"hi\"\"\"", FALSE },
		{ "newline", "line1\nline2", "\"line1\nline2\"", FALSE },
		{ "inner equals", "a=b", "a=b", FALSE },
		{ "number", "42", "42", TRUE },
	};
	string_t *str = t_str_new(64);

	for (unsigned int i = 0; i < N_ELEMENTS(cells); i++) {
		str_truncate(str, 0);
		bounce_export_csv_cell(str, cells[i].in, cells[i].number);
		if (strcmp(str_c(str), cells[i].out) != 0) {
			fail_msg("%s: got [%s], expected [%s]", cells[i].label,
				 str_c(str), cells[i].out);
		}
	}
}

static void test_export_rows(void **state ATTR_UNUSED)
{
	static const char *const keys[] = { "address", "hard", "why" };
	static const char *const values[] = {
		"=cmd@example.org", "3", "say \"no\"\n",
	};
	static const bool numbers[] = { FALSE, TRUE, FALSE };
	static const char *const bad_number[] = { "a", "", "b" };
	enum bounce_export_format format;
	string_t *str = t_str_new(128);

	assert_true(bounce_export_format_parse("CSV", &format));
	bounce_export_append_header(str, format, keys, 3);
	bounce_export_append_row(str, format, keys, values, numbers, 3);
	assert_string_equal(str_c(str),
		"address,hard,why\r\n"
		"'=cmd@example.org,3,\"say \"\"no\"\"\n\"\r\n");

	str_truncate(str, 0);
	assert_true(bounce_export_format_parse("jsonl", &format));
	bounce_export_append_header(str, format, keys, 3);
	bounce_export_append_row(str, format, keys, values, numbers, 3);
	bounce_export_append_row(str, format, keys, bad_number, numbers, 3);
	assert_string_equal(str_c(str),
		"{\"address\":\"=cmd@example.org\",\"hard\":3,"
		"\"why\":\"say \\\"no\\\"\\n\"}\n"
		"{\"address\":\"a\",\"hard\":\"\",\"why\":\"b\"}\n");
	assert_false(bounce_export_format_parse("xml", &format));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_hard_suppresses_at_once),
		test_case(test_complaint_suppresses_at_once),
		test_case(test_soft_limit_within_window),
		test_case(test_soft_old_ones_expire),
		test_case(test_soft_order_independent),
		test_case(test_delayed_never_counts),
		test_case(test_never_suppressing_categories),
		test_case(test_unsuppress_resets),
		test_case(test_forget_erases),
		test_case(test_prune_keeps_suppression),
		test_case(test_replace_reclassifies),
		test_case(test_stats),
		test_case(test_open_or_recreate),
		test_case(test_csv_cells),
		test_case(test_export_rows),
	};
	return test_run_group(tests);
}
