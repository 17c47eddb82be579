/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "hash.h"
#include "json-parser.h"
#include "message-date.h"
#include "sleep.h"
#include "time-util.h"
#include "bounce-store.h"

#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <time.h>
#include <sys/stat.h>
#include <sqlite3.h>

#define BOUNCE_STORE_MAX_CACHED_STMTS 32

struct bounce_store {
	sqlite3 *db;
	char *path;
	HASH_TABLE(char *, sqlite3_stmt *) stmts;
	unsigned int busy_timeout_msecs;
	/* when the current wait for a lock began */
	struct timeval busy_start;
	struct bounce_store_policy policy;
	/* the primary result code of the last failed call */
	int last_errcode;
};

/* Schema migrations: entry N brings user_version N to N+1. Never edit
   a released entry; append a new one. */
static const char *const bounce_store_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE bounces ("
	" id INTEGER PRIMARY KEY,"
	" recorded_at INTEGER NOT NULL,"
	" bounced_at INTEGER NOT NULL,"
	" msg_key TEXT NOT NULL,"
	" mailbox TEXT NOT NULL DEFAULT '',"
	" mailbox_guid TEXT NOT NULL DEFAULT '',"
	" uid INTEGER NOT NULL DEFAULT 0,"
	" message_guid TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '',"
	" recipient TEXT NOT NULL DEFAULT '',"
	" domain TEXT NOT NULL DEFAULT '',"
	" original_recipient TEXT NOT NULL DEFAULT '',"
	" final_recipient TEXT NOT NULL DEFAULT '',"
	" verp_recipient TEXT NOT NULL DEFAULT '',"
	" action TEXT NOT NULL DEFAULT '',"
	" status TEXT NOT NULL DEFAULT '',"
	" reply_code TEXT NOT NULL DEFAULT '',"
	" reason TEXT NOT NULL DEFAULT 'undefined',"
	" category TEXT NOT NULL DEFAULT 'unknown',"
	" hard INTEGER NOT NULL DEFAULT 0,"
	" rule TEXT NOT NULL DEFAULT '',"
	" format TEXT NOT NULL DEFAULT '',"
	" diagnostic_type TEXT NOT NULL DEFAULT '',"
	" diagnostic TEXT NOT NULL DEFAULT '',"
	" smtp_command TEXT NOT NULL DEFAULT '',"
	" reporting_mta TEXT NOT NULL DEFAULT '',"
	" remote_mta TEXT NOT NULL DEFAULT '',"
	" arrival_date TEXT NOT NULL DEFAULT '',"
	" original_message_id TEXT NOT NULL DEFAULT '',"
	" original_from TEXT NOT NULL DEFAULT '',"
	" original_subject TEXT NOT NULL DEFAULT '',"
	" original_list_id TEXT NOT NULL DEFAULT '',"
	" campaign TEXT NOT NULL DEFAULT '',"
	" feedback_type TEXT NOT NULL DEFAULT '',"
	" source_ip TEXT NOT NULL DEFAULT '',"
	" reported_domain TEXT NOT NULL DEFAULT '',"
	" UNIQUE (msg_key, recipient));"
	"CREATE INDEX bounces_recipient ON bounces (recipient);"
	"CREATE INDEX bounces_domain ON bounces (domain);"
	"CREATE INDEX bounces_bounced_at ON bounces (bounced_at);"
	"CREATE INDEX bounces_message ON bounces (mailbox_guid, uid);",
	/* 1 -> 2: per-address state (list hygiene). The counts are those of
	   the bounces recorded after counted_after_{at,id} (unsuppress resets
	   them); evidence_pruned keeps a suppression whose bounces were
	   pruned. Filled from the existing bounces right after migrating. */
	"CREATE TABLE addresses ("
	" address TEXT PRIMARY KEY,"
	" domain TEXT NOT NULL DEFAULT '',"
	" state TEXT NOT NULL DEFAULT 'active',"
	" hard INTEGER NOT NULL DEFAULT 0,"
	" soft INTEGER NOT NULL DEFAULT 0,"
	" internal INTEGER NOT NULL DEFAULT 0,"
	" complaint INTEGER NOT NULL DEFAULT 0,"
	" autoreply INTEGER NOT NULL DEFAULT 0,"
	" unknown INTEGER NOT NULL DEFAULT 0,"
	" delivered INTEGER NOT NULL DEFAULT 0,"
	" delayed INTEGER NOT NULL DEFAULT 0,"
	" first_bounce_at INTEGER NOT NULL DEFAULT 0,"
	" last_bounce_at INTEGER NOT NULL DEFAULT 0,"
	" last_reason TEXT NOT NULL DEFAULT '',"
	" last_status TEXT NOT NULL DEFAULT '',"
	" last_category TEXT NOT NULL DEFAULT '',"
	" suppressed_at INTEGER NOT NULL DEFAULT 0,"
	" suppressed_category TEXT NOT NULL DEFAULT '',"
	" suppressed_reason TEXT NOT NULL DEFAULT '',"
	" suppressed_why TEXT NOT NULL DEFAULT '',"
	" evidence_pruned INTEGER NOT NULL DEFAULT 0,"
	" counted_after_at INTEGER NOT NULL DEFAULT 0,"
	" counted_after_id INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX addresses_state ON addresses (state, suppressed_at);",
};
/* the first schema version with the addresses table */
#define BOUNCE_STORE_VERSION_ADDRESSES 2

/* key, SQL expression: the row as doveadm and exports see it */
const struct bounce_store_column bounce_store_bounce_columns[] = {
#define LIST BOUNCE_STORE_COLUMN_LIST
#define NUM BOUNCE_STORE_COLUMN_NUMBER
	{ "id", "id", NUM | LIST },
	{ "recorded_at", "strftime('%Y-%m-%dT%H:%M:%SZ', recorded_at, 'unixepoch')", LIST },
	{ "bounced_at", "strftime('%Y-%m-%dT%H:%M:%SZ', bounced_at, 'unixepoch')", 0 },
	{ "mailbox", "mailbox", LIST },
	{ "uid", "uid", NUM | LIST },
	{ "recipient", "recipient", LIST },
	{ "action", "action", LIST },
	{ "status", "status", LIST },
	{ "reply_code", "reply_code", LIST },
	{ "reason", "reason", LIST },
	{ "category", "category", LIST },
	{ "hard", "CASE hard WHEN 0 THEN 'false' ELSE 'true' END", 0 },
	{ "rule", "rule", 0 },
	{ "diagnostic", "diagnostic", LIST },
	{ "reporting_mta", "reporting_mta", LIST },
	{ "remote_mta", "remote_mta", LIST },
	{ "original_message_id", "original_message_id", LIST },
	{ "smtp_command", "smtp_command", 0 },
	{ "diagnostic_type", "diagnostic_type", 0 },
	{ "format", "format", 0 },
	{ "domain", "domain", 0 },
	{ "original_recipient", "original_recipient", 0 },
	{ "final_recipient", "final_recipient", 0 },
	{ "verp_recipient", "verp_recipient", 0 },
	{ "arrival_date", "arrival_date", 0 },
	{ "original_from", "original_from", 0 },
	{ "original_subject", "original_subject", 0 },
	{ "original_list_id", "original_list_id", 0 },
	{ "campaign", "campaign", 0 },
	{ "feedback_type", "feedback_type", 0 },
	{ "source_ip", "source_ip", 0 },
	{ "reported_domain", "reported_domain", 0 },
	{ "mailbox_guid", "mailbox_guid", 0 },
	{ "message_guid", "message_guid", 0 },
	{ "message_id", "message_id", 0 },
#undef LIST
#undef NUM
};

const unsigned int bounce_store_bounce_columns_count =
	N_ELEMENTS(bounce_store_bounce_columns);

#define BOUNCE_ISO_TIME(col) \
	"CASE " col " WHEN 0 THEN '' ELSE " \
	"strftime('%Y-%m-%dT%H:%M:%SZ', " col ", 'unixepoch') END"

const struct bounce_store_column bounce_store_address_columns[] = {
#define SUP BOUNCE_STORE_COLUMN_SUPPRESSED
#define NUM BOUNCE_STORE_COLUMN_NUMBER
	{ "address", "address", SUP },
	{ "state", "state", 0 },
	{ "since", BOUNCE_ISO_TIME("suppressed_at"), SUP },
	{ "category", "suppressed_category", SUP },
	{ "reason", "suppressed_reason", SUP },
	{ "hard", "hard", NUM | SUP },
	{ "soft", "soft", NUM | SUP },
	{ "internal", "internal", NUM | SUP },
	{ "complaint", "complaint", NUM | SUP },
	{ "autoreply", "autoreply", NUM | SUP },
	{ "unknown", "unknown", NUM | SUP },
	{ "delivered", "delivered", NUM },
	{ "delayed", "delayed", NUM | SUP },
	{ "last_bounce", BOUNCE_ISO_TIME("last_bounce_at"), SUP },
	{ "why", "suppressed_why", 0 },
	{ "first_bounce", BOUNCE_ISO_TIME("first_bounce_at"), 0 },
	{ "last_reason", "last_reason", 0 },
	{ "last_status", "last_status", 0 },
	{ "last_category", "last_category", 0 },
	{ "domain", "domain", 0 },
#undef SUP
#undef NUM
};
const unsigned int bounce_store_address_columns_count =
	N_ELEMENTS(bounce_store_address_columns);

/* A delay notice is recorded but counts in "delayed", never in its
   category; only a failure (or a report with no action, as ARF and
   auto-replies have) can count towards suppression. */
#define BOUNCE_SQL_COUNTS(cond) \
	"SUM(category = 'hard' AND action <> 'delayed'" cond ")," \
	" SUM(category = 'soft' AND action <> 'delayed'" cond ")," \
	" SUM(category = 'internal' AND action <> 'delayed'" cond ")," \
	" SUM(category = 'complaint' AND action <> 'delayed'" cond ")," \
	" SUM(category = 'autoreply' AND action <> 'delayed'" cond ")," \
	" SUM(category = 'unknown' AND action <> 'delayed'" cond ")," \
	" SUM(category = 'delivered' AND action <> 'delayed'" cond ")," \
	" SUM(action = 'delayed'" cond ")"
#define BOUNCE_SQL_FAILED "action IN ('failed', '')"

const struct bounce_store_column bounce_store_stats_columns[] = {
	{ "bounces", "COUNT(*)", BOUNCE_STORE_COLUMN_NUMBER },
	{ "addresses", "COUNT(DISTINCT NULLIF(recipient, ''))",
	  BOUNCE_STORE_COLUMN_NUMBER },
	{ "hard", NULL, BOUNCE_STORE_COLUMN_NUMBER },
	{ "soft", NULL, BOUNCE_STORE_COLUMN_NUMBER },
	{ "internal", NULL, BOUNCE_STORE_COLUMN_NUMBER },
	{ "complaint", NULL, BOUNCE_STORE_COLUMN_NUMBER },
	{ "autoreply", NULL, BOUNCE_STORE_COLUMN_NUMBER },
	{ "unknown", NULL, BOUNCE_STORE_COLUMN_NUMBER },
	{ "delivered", NULL, BOUNCE_STORE_COLUMN_NUMBER },
	{ "delayed", NULL, BOUNCE_STORE_COLUMN_NUMBER },
};
const unsigned int bounce_store_stats_columns_count =
	N_ELEMENTS(bounce_store_stats_columns);

/* The filter of list and stats: ?1 since, ?2 until, ?3 category,
   ?4 reason, ?5 recipient, ?6 domain, ?7 id. Every filter is always
   present and disabled by a NULL parameter, so there's one statement
   and no SQL built from input. */
#define BOUNCE_SQL_FILTER \
	" (?1 IS NULL OR bounced_at >= ?1) AND" \
	" (?2 IS NULL OR bounced_at < ?2) AND" \
	" (?3 IS NULL OR category = ?3) AND" \
	" (?4 IS NULL OR reason = ?4) AND" \
	" (?5 IS NULL OR recipient = ?5) AND" \
	" (?6 IS NULL OR domain = ?6) AND" \
	" (?7 IS NULL OR id = ?7)"

/* One "stats" query per grouping, whole at compile time: values only
   ever reach SQLite as bound parameters (?1-?8). */
#define BOUNCE_SQL_STATS(group, order) \
	"SELECT " group ", COUNT(*), COUNT(DISTINCT NULLIF(recipient, '')), " \
	BOUNCE_SQL_COUNTS("") " FROM bounces WHERE" BOUNCE_SQL_FILTER \
	" GROUP BY 1 ORDER BY " order " LIMIT ?8"

/* what "stats --by" groups by: name, query */
static const struct {
	const char *name;
	const char *sql;
} bounce_store_stats_groups[] = {
	[BOUNCE_STORE_STATS_BY_CATEGORY] =
		{ "category", BOUNCE_SQL_STATS("category", "2 DESC, 1") },
	[BOUNCE_STORE_STATS_BY_REASON] =
		{ "reason", BOUNCE_SQL_STATS("reason", "2 DESC, 1") },
	[BOUNCE_STORE_STATS_BY_DOMAIN] =
		{ "domain", BOUNCE_SQL_STATS("domain", "2 DESC, 1") },
	/* "dns; mx.example.net" and "mx.example.net" are the same MTA */
	[BOUNCE_STORE_STATS_BY_REMOTE_MTA] =
		{ "remote-mta", BOUNCE_SQL_STATS(
			"lower(trim(CASE WHEN lower(remote_mta) LIKE 'dns;%'"
			" THEN substr(remote_mta, 5) ELSE remote_mta END))",
			"2 DESC, 1") },
	[BOUNCE_STORE_STATS_BY_DAY] =
		{ "day", BOUNCE_SQL_STATS(
			"strftime('%Y-%m-%d', bounced_at, 'unixepoch')", "1") },
};

bool bounce_store_stats_by_parse(const char *name,
				 enum bounce_store_stats_by *by_r)
{
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_store_stats_groups); i++) {
		if (strcasecmp(bounce_store_stats_groups[i].name, name) == 0) {
			*by_r = i;
			return TRUE;
		}
	}
	return FALSE;
}

const char *bounce_store_stats_by_name(enum bounce_store_stats_by by)
{
	i_assert(by < N_ELEMENTS(bounce_store_stats_groups));
	return bounce_store_stats_groups[by].name;
}

static const char *bounce_store_error(struct bounce_store *store,
				      const char *func)
{
	int sys_errno = sqlite3_system_errno(store->db);

	store->last_errcode = sqlite3_errcode(store->db) & 0xff;
	/* SQLite says "disk I/O error" for a full disk (the -shm can't
	   grow) or a vanished directory alike: the OS error tells which */
	if (sys_errno != 0 && (store->last_errcode == SQLITE_IOERR ||
			       store->last_errcode == SQLITE_CANTOPEN ||
			       store->last_errcode == SQLITE_FULL)) {
		return t_strdup_printf("%s(%s) failed: %s (%s)", func,
				       store->path, sqlite3_errmsg(store->db),
				       strerror(sys_errno));
	}
	return t_strdup_printf("%s(%s) failed: %s", func, store->path,
			       sqlite3_errmsg(store->db));
}

/* Recording a bounce runs the same few statements for every recipient,
   and rescan does it for every message: compiling them each time was
   most of the CPU cost of recording. Prepared statements are kept per
   connection, keyed by their SQL text, up to a bound. */
static int bounce_store_prepare(struct bounce_store *store, const char *sql,
				sqlite3_stmt **stmt_r, const char **error_r)
{
	char *key;

	*stmt_r = hash_table_lookup(store->stmts, sql);
	if (*stmt_r != NULL) {
		(void)sqlite3_reset(*stmt_r);
		(void)sqlite3_clear_bindings(*stmt_r);
		return 0;
	}
	if (sqlite3_prepare_v2(store->db, sql, -1, stmt_r, NULL) != SQLITE_OK) {
		*error_r = bounce_store_error(store, "sqlite3_prepare");
		*stmt_r = NULL;
		return -1;
	}
	if (hash_table_count(store->stmts) < BOUNCE_STORE_MAX_CACHED_STMTS) {
		key = i_strdup(sql);
		hash_table_insert(store->stmts, key, *stmt_r);
	}
	return 0;
}

/* Done with a statement from bounce_store_prepare(): a cached one is
   reset, which also releases the locks it held; others are finalized. */
static void bounce_store_stmt_release(struct bounce_store *store,
				      sqlite3_stmt *stmt)
{
	if (hash_table_lookup(store->stmts, sqlite3_sql(stmt)) == stmt)
		(void)sqlite3_reset(stmt);
	else
		sqlite3_finalize(stmt);
}

static void bounce_store_stmts_free(struct bounce_store *store)
{
	struct hash_iterate_context *iter;
	sqlite3_stmt *stmt;
	char *key;

	if (!hash_table_is_created(store->stmts))
		return;
	iter = hash_table_iterate_init(store->stmts);
	while (hash_table_iterate(iter, store->stmts, &key, &stmt)) {
		sqlite3_finalize(stmt);
		i_free(key);
	}
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&store->stmts);
}

/* Step a statement that returns no rows and finalize it. */
static int bounce_store_step_done(struct bounce_store *store,
				  sqlite3_stmt **_stmt, const char *what,
				  const char **error_r)
{
	sqlite3_stmt *stmt = *_stmt;
	int ret = sqlite3_step(stmt);

	*_stmt = NULL;
	if (ret != SQLITE_DONE && ret != SQLITE_ROW)
		*error_r = bounce_store_error(store, what);
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_DONE || ret == SQLITE_ROW ? 0 : -1;
}

static const char *bounce_column_str(sqlite3_stmt *stmt, int idx)
{
	const unsigned char *value = sqlite3_column_text(stmt, idx);

	return value == NULL ? "" : t_strdup((const char *)value);
}

static int bounce_store_exec(struct bounce_store *store, const char *sql,
			     const char **error_r)
{
	if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		*error_r = bounce_store_error(store, "sqlite3_exec");
		return -1;
	}
	return 0;
}

static int bounce_store_user_version(struct bounce_store *store,
				     int *version_r, const char **error_r)
{
	sqlite3_stmt *stmt;
	int ret;

	if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1,
			       &stmt, NULL) != SQLITE_OK) {
		*error_r = bounce_store_error(store, "sqlite3_prepare");
		return -1;
	}
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_ROW)
		*version_r = sqlite3_column_int(stmt, 0);
	else
		*error_r = bounce_store_error(store, "sqlite3_step");
	sqlite3_finalize(stmt);
	return ret == SQLITE_ROW ? 0 : -1;
}

static int bounce_store_rebuild_locked(struct bounce_store *store,
				       const char **error_r);

static int bounce_store_migrate(struct bounce_store *store,
				const char **error_r)
{
	const int latest = N_ELEMENTS(bounce_store_migrations);
	int version, from_version;

	if (bounce_store_user_version(store, &version, error_r) < 0)
		return -1;
	if (version == latest)
		return 0;
	if (version > latest) {
		*error_r = t_strdup_printf(
			"%s: schema version %d is newer than this plugin's %d",
			store->path, version, latest);
		return -1;
	}
	/* several processes may open a new database at once: migrate under
	   the write lock and look again once we hold it */
	if (bounce_store_exec(store, "BEGIN IMMEDIATE", error_r) < 0)
		return -1;
	if (bounce_store_user_version(store, &version, error_r) < 0)
		goto rollback;
	from_version = version;
	for (; version < latest; version++) {
		if (bounce_store_exec(store, bounce_store_migrations[version],
				      error_r) < 0)
			goto rollback;
		if (bounce_store_exec(store, t_strdup_printf(
				"PRAGMA user_version = %d", version + 1),
				error_r) < 0)
			goto rollback;
	}
	/* the state of the addresses already bounced is derived data: the
	   policy computes it from the rows, as it would have live */
	if (from_version < BOUNCE_STORE_VERSION_ADDRESSES &&
	    from_version > 0 &&
	    bounce_store_rebuild_locked(store, error_r) < 0)
		goto rollback;
	return bounce_store_exec(store, "COMMIT", error_r);
rollback:
	(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int bounce_store_create_file(const char *path, const char **error_r)
{
	int fd;

	/* SQLite would create the file with the umask's mode; the database
	   holds subscriber addresses, so create it 0600 first. SQLite gives
	   its -wal and -shm files the same mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	i_close_fd(&fd);
	return 0;
}

/* SQLite's own busy timeout sleeps 1, 2, 5, 10 ... 100 ms between tries.
   Deliveries hold the write lock for well under a millisecond, so with a
   few concurrent LMTP writers those sleeps were most of a delivery's
   latency: poll in short steps instead, up to the same timeout. */
static int bounce_store_busy(void *context, int count)
{
	struct bounce_store *store = context;
	struct timeval now;
	long long elapsed_usecs;

	if (count == 0)
		i_gettimeofday(&store->busy_start);
	i_gettimeofday(&now);
	elapsed_usecs = timeval_diff_usecs(&now, &store->busy_start);
	if (elapsed_usecs >= (long long)store->busy_timeout_msecs * 1000)
		return 0;
	i_sleep_usecs(count < 5 ? 50U << count : 2000U);
	return 1;
}

static int bounce_store_open_flags(const char *path,
				   unsigned int busy_timeout_msecs,
				   int flags, struct bounce_store **store_r,
				   const char **error_r)
{
	struct bounce_store *store;

	store = i_new(struct bounce_store, 1);
	store->path = i_strdup(path);
	hash_table_create(&store->stmts, default_pool, 0, str_hash, strcmp);
	store->policy.soft_limit = BOUNCE_STORE_DEFAULT_SOFT_LIMIT;
	store->policy.soft_window_secs = BOUNCE_STORE_DEFAULT_SOFT_WINDOW_SECS;
	if (sqlite3_open_v2(path, &store->db, flags, NULL) != SQLITE_OK) {
		*error_r = store->db == NULL ?
			t_strdup_printf("sqlite3_open_v2(%s) failed", path) :
			bounce_store_error(store, "sqlite3_open_v2");
		bounce_store_close(&store);
		return -1;
	}
	store->busy_timeout_msecs = busy_timeout_msecs;
	sqlite3_busy_handler(store->db, bounce_store_busy, store);
	sqlite3_extended_result_codes(store->db, 1);
	*store_r = store;
	return 0;
}

static bool bounce_store_errcode_is_corrupt(int errcode)
{
	return errcode == SQLITE_NOTADB || errcode == SQLITE_CORRUPT;
}

static int bounce_store_open_rw(const char *path,
				unsigned int busy_timeout_msecs,
				struct bounce_store **store_r, bool *corrupt_r,
				const char **error_r)
{
	struct bounce_store *store;

	*corrupt_r = FALSE;
	if (bounce_store_create_file(path, error_r) < 0)
		return -1;
	if (bounce_store_open_flags(path, busy_timeout_msecs,
				    SQLITE_OPEN_READWRITE |
				    SQLITE_OPEN_NOMUTEX, &store, error_r) < 0)
		return -1;
	/* WAL lets doveadm read while deliveries write; NORMAL sync is
	   durable across process crashes, which is what a rescan can't
	   recover from anyway */
	if (bounce_store_exec(store, "PRAGMA journal_mode=WAL", error_r) < 0 ||
	    bounce_store_exec(store, "PRAGMA synchronous=NORMAL", error_r) < 0 ||
	    bounce_store_migrate(store, error_r) < 0) {
		*corrupt_r = bounce_store_errcode_is_corrupt(store->last_errcode);
		bounce_store_close(&store);
		return -1;
	}
	*store_r = store;
	return 0;
}

int bounce_store_open(const char *path, unsigned int busy_timeout_msecs,
		      struct bounce_store **store_r, const char **error_r)
{
	bool corrupt;

	return bounce_store_open_rw(path, busy_timeout_msecs, store_r,
				    &corrupt, error_r);
}

/* A file that opens may still be damaged further in: only a full
   check tells. Returns 1 if ok, 0 if corrupt, -1 on other errors. */
static int bounce_store_quick_check(struct bounce_store *store,
				    const char **error_r)
{
	sqlite3_stmt *stmt;
	int ret;

	if (bounce_store_prepare(store, "PRAGMA quick_check", &stmt,
				 error_r) < 0)
		return bounce_store_errcode_is_corrupt(store->last_errcode) ?
			0 : -1;
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_ROW) {
		const unsigned char *result = sqlite3_column_text(stmt, 0);

		ret = result != NULL &&
			strcmp((const char *)result, "ok") == 0 ? 1 : 0;
		if (ret == 0) {
			*error_r = t_strdup_printf("%s: quick_check: %s",
				store->path, result == NULL ? "" :
				(const char *)result);
		}
	} else {
		*error_r = bounce_store_error(store, "PRAGMA quick_check");
		ret = bounce_store_errcode_is_corrupt(store->last_errcode) ?
			0 : -1;
	}
	bounce_store_stmt_release(store, stmt);
	return ret;
}

static int bounce_store_move_aside(const char *path, const char **moved_to_r,
				   const char **error_r)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	const char *dest = t_strdup_printf("%s.corrupt-%ld", path,
					   (long)time(NULL));

	if (rename(path, dest) < 0) {
		*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
					   path, dest);
		return -1;
	}
	/* a WAL left behind would be replayed into the new database */
	for (unsigned int i = 0; i < N_ELEMENTS(suffixes); i++) {
		const char *from = t_strconcat(path, suffixes[i], NULL);
		const char *to = t_strconcat(dest, suffixes[i], NULL);

		if (rename(from, to) < 0 && errno != ENOENT) {
			*error_r = t_strdup_printf("rename(%s, %s) failed: %m",
						   from, to);
			return -1;
		}
	}
	*moved_to_r = dest;
	return 0;
}

int bounce_store_open_or_recreate(const char *path,
				  unsigned int busy_timeout_msecs,
				  struct bounce_store **store_r,
				  const char **moved_to_r,
				  const char **error_r)
{
	const char *open_error;
	bool corrupt;
	int ret;

	*moved_to_r = NULL;
	if (bounce_store_open_rw(path, busy_timeout_msecs, store_r, &corrupt,
				 &open_error) == 0) {
		ret = bounce_store_quick_check(*store_r, &open_error);
		if (ret > 0)
			return 0;
		bounce_store_close(store_r);
		if (ret < 0) {
			*error_r = open_error;
			return -1;
		}
	} else if (!corrupt) {
		*error_r = open_error;
		return -1;
	}
	if (bounce_store_move_aside(path, moved_to_r, error_r) < 0)
		return -1;
	return bounce_store_open(path, busy_timeout_msecs, store_r, error_r);
}

void bounce_store_set_policy(struct bounce_store *store,
			     const struct bounce_store_policy *policy)
{
	store->policy = *policy;
}

int bounce_store_open_readonly(const char *path,
			       unsigned int busy_timeout_msecs,
			       struct bounce_store **store_r,
			       const char **error_r)
{
	struct bounce_store *store;
	int version;

	if (bounce_store_open_flags(path, busy_timeout_msecs,
				    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
				    &store, error_r) < 0)
		return -1;
	if (bounce_store_user_version(store, &version, error_r) < 0) {
		bounce_store_close(&store);
		return -1;
	}
	if (version != (int)N_ELEMENTS(bounce_store_migrations)) {
		*error_r = t_strdup_printf(
			"%s: schema version %d, expected %u (open it read-write once to migrate)",
			path, version,
			(unsigned int)N_ELEMENTS(bounce_store_migrations));
		bounce_store_close(&store);
		return -1;
	}
	*store_r = store;
	return 0;
}

void bounce_store_close(struct bounce_store **_store)
{
	struct bounce_store *store = *_store;

	if (store == NULL)
		return;
	*_store = NULL;
	bounce_store_stmts_free(store);
	if (store->db != NULL)
		(void)sqlite3_close_v2(store->db);
	i_free(store->path);
	i_free(store);
}

/* --- recording --- */

enum bounce_insert_param {
	BIP_RECORDED_AT = 1, BIP_BOUNCED_AT, BIP_MSG_KEY, BIP_MAILBOX,
	BIP_MAILBOX_GUID, BIP_UID, BIP_MESSAGE_GUID, BIP_MESSAGE_ID,
	BIP_RECIPIENT, BIP_DOMAIN, BIP_ORIGINAL_RECIPIENT,
	BIP_FINAL_RECIPIENT, BIP_VERP_RECIPIENT, BIP_ACTION, BIP_STATUS,
	BIP_REPLY_CODE, BIP_REASON, BIP_CATEGORY, BIP_HARD, BIP_RULE,
	BIP_FORMAT, BIP_DIAGNOSTIC_TYPE, BIP_DIAGNOSTIC, BIP_SMTP_COMMAND,
	BIP_REPORTING_MTA, BIP_REMOTE_MTA, BIP_ARRIVAL_DATE,
	BIP_ORIGINAL_MESSAGE_ID, BIP_ORIGINAL_FROM, BIP_ORIGINAL_SUBJECT,
	BIP_ORIGINAL_LIST_ID, BIP_CAMPAIGN, BIP_FEEDBACK_TYPE, BIP_SOURCE_IP,
	BIP_REPORTED_DOMAIN,
};

#define BOUNCE_STORE_INSERT_SQL \
	"INSERT INTO bounces (recorded_at, bounced_at, msg_key, mailbox," \
	" mailbox_guid, uid, message_guid, message_id, recipient, domain," \
	" original_recipient, final_recipient, verp_recipient, action, status," \
	" reply_code, reason, category, hard, rule, format, diagnostic_type," \
	" diagnostic, smtp_command, reporting_mta, remote_mta, arrival_date," \
	" original_message_id, original_from, original_subject," \
	" original_list_id, campaign, feedback_type, source_ip," \
	" reported_domain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10," \
	" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23," \
	" ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)" \
	" ON CONFLICT (msg_key, recipient) DO UPDATE SET" \
	" mailbox = excluded.mailbox, mailbox_guid = excluded.mailbox_guid," \
	" uid = excluded.uid, message_guid = excluded.message_guid"

/* the same bounce again (rescan, redelivery, COPY): keep the row and its
   first recorded time, follow the message to where it is now */
static const char bounce_store_insert_sql[] = BOUNCE_STORE_INSERT_SQL;

/* reclassification: the same, and take everything the analysis says */
static const char bounce_store_replace_sql[] = BOUNCE_STORE_INSERT_SQL ","
	" bounced_at = excluded.bounced_at, message_id = excluded.message_id,"
	" domain = excluded.domain,"
	" original_recipient = excluded.original_recipient,"
	" final_recipient = excluded.final_recipient,"
	" verp_recipient = excluded.verp_recipient, action = excluded.action,"
	" status = excluded.status, reply_code = excluded.reply_code,"
	" reason = excluded.reason, category = excluded.category,"
	" hard = excluded.hard, rule = excluded.rule, format = excluded.format,"
	" diagnostic_type = excluded.diagnostic_type,"
	" diagnostic = excluded.diagnostic,"
	" smtp_command = excluded.smtp_command,"
	" reporting_mta = excluded.reporting_mta,"
	" remote_mta = excluded.remote_mta,"
	" arrival_date = excluded.arrival_date,"
	" original_message_id = excluded.original_message_id,"
	" original_from = excluded.original_from,"
	" original_subject = excluded.original_subject,"
	" original_list_id = excluded.original_list_id,"
	" campaign = excluded.campaign, feedback_type = excluded.feedback_type,"
	" source_ip = excluded.source_ip,"
	" reported_domain = excluded.reported_domain";

static void bounce_bind_str(sqlite3_stmt *stmt, int idx, const char *value)
{
	if (value == NULL)
		value = "";
	(void)sqlite3_bind_text(stmt, idx, value, -1, SQLITE_TRANSIENT);
}

static const char *bounce_store_campaign_json(const struct bounce_report *report)
{
	const struct bounce_header *hdr;
	string_t *str;

	if (array_count(&report->campaign_headers) == 0)
		return "";
	str = t_str_new(128);
	str_append_c(str, '{');
	array_foreach(&report->campaign_headers, hdr) {
		if (str_len(str) > 1)
			str_append_c(str, ',');
		str_append_c(str, '"');
		json_append_escaped(str, hdr->name);
		str_append(str, "\":\"");
		json_append_escaped(str, hdr->value);
		str_append_c(str, '"');
	}
	str_append_c(str, '}');
	return str_c(str);
}

static time_t bounce_store_bounced_at(const struct bounce_report *report,
				      const struct bounce_store_message *msg)
{
	time_t t;
	int tz;

	/* soft-bounce windows count from when the bounce happened, which
	   matters when old mail is rescanned */
	if (report->arrival_date != NULL &&
	    message_date_parse((const unsigned char *)report->arrival_date,
			       strlen(report->arrival_date), &t, &tz) &&
	    t > 0 && t <= msg->recorded_at)
		return t;
	if (msg->received_at > 0 && msg->received_at <= msg->recorded_at)
		return msg->received_at;
	return msg->recorded_at;
}

static const char *bounce_store_msg_key(const struct bounce_store_message *msg)
{
	return msg->message_id != NULL && *msg->message_id != '\0' ?
		t_strconcat("id:", msg->message_id, NULL) :
		t_strconcat("guid:", msg->message_guid != NULL ?
			    msg->message_guid : "", NULL);
}

static void
bounce_store_bind_message(sqlite3_stmt *stmt,
			  const struct bounce_store_message *msg,
			  const struct bounce_report *report)
{
	(void)sqlite3_bind_int64(stmt, BIP_RECORDED_AT, msg->recorded_at);
	(void)sqlite3_bind_int64(stmt, BIP_BOUNCED_AT,
		bounce_store_bounced_at(report, msg));
	bounce_bind_str(stmt, BIP_MSG_KEY, bounce_store_msg_key(msg));
	bounce_bind_str(stmt, BIP_MAILBOX, msg->mailbox);
	bounce_bind_str(stmt, BIP_MAILBOX_GUID, msg->mailbox_guid);
	(void)sqlite3_bind_int64(stmt, BIP_UID, msg->uid);
	bounce_bind_str(stmt, BIP_MESSAGE_GUID, msg->message_guid);
	bounce_bind_str(stmt, BIP_MESSAGE_ID, msg->message_id);
	bounce_bind_str(stmt, BIP_VERP_RECIPIENT, report->verp_recipient);
	bounce_bind_str(stmt, BIP_FORMAT, report->format);
	bounce_bind_str(stmt, BIP_REPORTING_MTA, report->reporting_mta);
	bounce_bind_str(stmt, BIP_ARRIVAL_DATE, report->arrival_date);
	bounce_bind_str(stmt, BIP_ORIGINAL_MESSAGE_ID, report->orig_message_id);
	bounce_bind_str(stmt, BIP_ORIGINAL_FROM, report->orig_from);
	bounce_bind_str(stmt, BIP_ORIGINAL_SUBJECT, report->orig_subject);
	bounce_bind_str(stmt, BIP_ORIGINAL_LIST_ID, report->orig_list_id);
	bounce_bind_str(stmt, BIP_CAMPAIGN, bounce_store_campaign_json(report));
	bounce_bind_str(stmt, BIP_FEEDBACK_TYPE, report->feedback_type);
	bounce_bind_str(stmt, BIP_SOURCE_IP, report->source_ip);
	bounce_bind_str(stmt, BIP_REPORTED_DOMAIN, report->reported_domain);
}

static const char *bounce_address_domain(const char *address)
{
	const char *domain = strrchr(address, '@');

	return domain == NULL ? "" : domain + 1;
}

static void bounce_store_bind_recipient(sqlite3_stmt *stmt,
					const struct bounce_recipient *rcpt)
{
	bounce_bind_str(stmt, BIP_RECIPIENT, rcpt->address);
	bounce_bind_str(stmt, BIP_DOMAIN, bounce_address_domain(rcpt->address));
	bounce_bind_str(stmt, BIP_ORIGINAL_RECIPIENT, rcpt->original_recipient);
	bounce_bind_str(stmt, BIP_FINAL_RECIPIENT, rcpt->final_recipient);
	bounce_bind_str(stmt, BIP_ACTION, bounce_action_name(rcpt->action));
	bounce_bind_str(stmt, BIP_STATUS, rcpt->status);
	bounce_bind_str(stmt, BIP_REPLY_CODE, rcpt->reply_code);
	bounce_bind_str(stmt, BIP_REASON, bounce_reason_name(rcpt->reason));
	bounce_bind_str(stmt, BIP_CATEGORY,
			bounce_category_name(rcpt->category));
	(void)sqlite3_bind_int(stmt, BIP_HARD, rcpt->hard ? 1 : 0);
	bounce_bind_str(stmt, BIP_RULE, rcpt->rule);
	bounce_bind_str(stmt, BIP_DIAGNOSTIC_TYPE, rcpt->diagnostic_type);
	bounce_bind_str(stmt, BIP_DIAGNOSTIC, rcpt->diagnostic);
	bounce_bind_str(stmt, BIP_SMTP_COMMAND, rcpt->smtp_command);
	bounce_bind_str(stmt, BIP_REMOTE_MTA, rcpt->remote_mta);
}

static int bounce_store_insert(struct bounce_store *store, sqlite3_stmt *stmt,
			       const char **error_r)
{
	int ret = sqlite3_step(stmt);

	if (ret != SQLITE_DONE) {
		*error_r = bounce_store_error(store, "INSERT");
		return -1;
	}
	(void)sqlite3_reset(stmt);
	return 0;
}

/* --- per-address state --- */

enum bounce_count {
	BOUNCE_COUNT_HARD, BOUNCE_COUNT_SOFT, BOUNCE_COUNT_INTERNAL,
	BOUNCE_COUNT_COMPLAINT, BOUNCE_COUNT_AUTOREPLY, BOUNCE_COUNT_UNKNOWN,
	BOUNCE_COUNT_DELIVERED, BOUNCE_COUNT_DELAYED,

	BOUNCE_COUNT_COUNT
};

struct bounce_suppression {
	time_t at;
	const char *category, *reason, *why;
};

struct bounce_address_state {
	const char *address;
	bool known, suppressed, evidence_pruned;
	/* bounces recorded after this (unsuppress) count */
	int64_t counted_after_at, counted_after_id;
	struct bounce_suppression suppression;

	int64_t total;
	int64_t counts[BOUNCE_COUNT_COUNT];
	time_t first_bounce_at, last_bounce_at;
	const char *last_reason, *last_status, *last_category;
};

/* the rows that count: recorded after the last reset */
#define BOUNCE_SQL_COUNTED \
	" recipient = ?1 AND (recorded_at > ?2 OR id > ?3)"

static void bounce_store_bind_counted(sqlite3_stmt *stmt,
				      const struct bounce_address_state *state)
{
	bounce_bind_str(stmt, 1, state->address);
	(void)sqlite3_bind_int64(stmt, 2, state->counted_after_at);
	(void)sqlite3_bind_int64(stmt, 3, state->counted_after_id);
}

static int bounce_address_load(struct bounce_store *store,
			       struct bounce_address_state *state,
			       const char **error_r)
{
	sqlite3_stmt *stmt;
	int ret;

	if (bounce_store_prepare(store,
			"SELECT state, evidence_pruned, counted_after_at,"
			" counted_after_id, suppressed_at, suppressed_category,"
			" suppressed_reason, suppressed_why"
			" FROM addresses WHERE address = ?1", &stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, state->address);
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_ROW) {
		state->known = TRUE;
		state->suppressed = strcmp(bounce_column_str(stmt, 0),
					   "suppressed") == 0;
		state->evidence_pruned = sqlite3_column_int(stmt, 1) != 0;
		state->counted_after_at = sqlite3_column_int64(stmt, 2);
		state->counted_after_id = sqlite3_column_int64(stmt, 3);
		state->suppression.at = sqlite3_column_int64(stmt, 4);
		state->suppression.category = bounce_column_str(stmt, 5);
		state->suppression.reason = bounce_column_str(stmt, 6);
		state->suppression.why = bounce_column_str(stmt, 7);
	} else if (ret != SQLITE_DONE) {
		*error_r = bounce_store_error(store, "SELECT addresses");
	}
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_ROW || ret == SQLITE_DONE ? 0 : -1;
}

static int bounce_address_load_history(struct bounce_store *store,
				       struct bounce_address_state *state,
				       const char **error_r)
{
	sqlite3_stmt *stmt;
	int ret;

	/* first and last bounce: all the rows about the address, whether
	   they still count or not */
	if (bounce_store_prepare(store,
			"SELECT bounced_at, reason, status, category,"
			" (SELECT COUNT(*) FROM bounces WHERE recipient = ?1),"
			" (SELECT MIN(bounced_at) FROM bounces WHERE recipient = ?1)"
			" FROM bounces WHERE recipient = ?1"
			" ORDER BY bounced_at DESC, id DESC LIMIT 1",
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, state->address);
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_ROW) {
		state->last_bounce_at = sqlite3_column_int64(stmt, 0);
		state->last_reason = bounce_column_str(stmt, 1);
		state->last_status = bounce_column_str(stmt, 2);
		state->last_category = bounce_column_str(stmt, 3);
		state->total = sqlite3_column_int64(stmt, 4);
		state->first_bounce_at = sqlite3_column_int64(stmt, 5);
	} else if (ret != SQLITE_DONE) {
		*error_r = bounce_store_error(store, "SELECT bounces");
	}
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_ROW || ret == SQLITE_DONE ? 0 : -1;
}

static int bounce_address_load_counts(struct bounce_store *store,
				      struct bounce_address_state *state,
				      const char **error_r)
{
	sqlite3_stmt *stmt;
	int ret;

	if (bounce_store_prepare(store, "SELECT " BOUNCE_SQL_COUNTS("")
				 " FROM bounces WHERE" BOUNCE_SQL_COUNTED,
				 &stmt, error_r) < 0)
		return -1;
	bounce_store_bind_counted(stmt, state);
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_ROW) {
		/* SUM() over no rows is NULL, which reads as 0 */
		for (unsigned int i = 0; i < BOUNCE_COUNT_COUNT; i++)
			state->counts[i] = sqlite3_column_int64(stmt, i);
	} else {
		*error_r = bounce_store_error(store, "SELECT counts");
	}
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_ROW ? 0 : -1;
}

static const char *bounce_window_str(unsigned int secs)
{
	if (secs % (24 * 60 * 60) == 0)
		return t_strdup_printf("%u days", secs / (24 * 60 * 60));
	return t_strdup_printf("%u seconds", secs);
}

/* The earliest hard bounce or complaint that counts. Returns 1 if found
   (trigger_r set), 0 if none, -1 on error. */
static int bounce_address_find_instant(struct bounce_store *store,
				       const struct bounce_address_state *state,
				       struct bounce_suppression *trigger_r,
				       const char **error_r)
{
	sqlite3_stmt *stmt;
	const char *status;
	int ret;

	if (bounce_store_prepare(store,
			"SELECT bounced_at, category, reason, status"
			" FROM bounces WHERE" BOUNCE_SQL_COUNTED
			" AND category IN ('hard', 'complaint') AND "
			BOUNCE_SQL_FAILED " ORDER BY bounced_at, id LIMIT 1",
			&stmt, error_r) < 0)
		return -1;
	bounce_store_bind_counted(stmt, state);
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_ROW) {
		trigger_r->at = sqlite3_column_int64(stmt, 0);
		trigger_r->category = bounce_column_str(stmt, 1);
		trigger_r->reason = bounce_column_str(stmt, 2);
		status = bounce_column_str(stmt, 3);
		trigger_r->why = *status == '\0' ?
			t_strdup_printf("%s: %s", trigger_r->category,
					trigger_r->reason) :
			t_strdup_printf("%s: %s (%s)", trigger_r->category,
					trigger_r->reason, status);
	} else if (ret != SQLITE_DONE) {
		*error_r = bounce_store_error(store, "SELECT bounces");
	}
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_ROW ? 1 : ret == SQLITE_DONE ? 0 : -1;
}

/* The moment soft_limit counted soft failures first lay within
   soft_window_secs: a sliding window over their bounce times, so the
   answer doesn't depend on the order in which they were recorded.
   Returns 1 if found (trigger_r set), 0 if not, -1 on error. */
static int bounce_address_find_soft(struct bounce_store *store,
				    const struct bounce_address_state *state,
				    struct bounce_suppression *trigger_r,
				    const char **error_r)
{
	const struct bounce_store_policy *policy = &store->policy;
	sqlite3_stmt *stmt;
	time_t *times, t;
	unsigned int n = 0;
	int ret;

	if (policy->soft_limit == 0)
		return 0;
	if (bounce_store_prepare(store,
			"SELECT bounced_at, reason FROM bounces WHERE"
			BOUNCE_SQL_COUNTED " AND category = 'soft' AND "
			BOUNCE_SQL_FAILED " ORDER BY bounced_at, id",
			&stmt, error_r) < 0)
		return -1;
	bounce_store_bind_counted(stmt, state);
	/* ring of the last soft_limit times */
	times = t_new(time_t, policy->soft_limit);
	while ((ret = sqlite3_step(stmt)) == SQLITE_ROW) {
		t = sqlite3_column_int64(stmt, 0);
		times[n % policy->soft_limit] = t;
		n++;
		if (n >= policy->soft_limit &&
		    t - times[n % policy->soft_limit] <
		    (time_t)policy->soft_window_secs) {
			trigger_r->at = t;
			trigger_r->category = "soft";
			trigger_r->reason = bounce_column_str(stmt, 1);
			trigger_r->why = t_strdup_printf(
				"%u soft bounces within %s", policy->soft_limit,
				bounce_window_str(policy->soft_window_secs));
			break;
		}
	}
	if (ret != SQLITE_ROW && ret != SQLITE_DONE)
		*error_r = bounce_store_error(store, "SELECT bounces");
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_ROW ? 1 : ret == SQLITE_DONE ? 0 : -1;
}

static int bounce_address_find_trigger(struct bounce_store *store,
				       const struct bounce_address_state *state,
				       struct bounce_suppression *trigger_r,
				       const char **error_r)
{
	struct bounce_suppression instant, soft;
	int ret_instant, ret_soft;

	i_zero(&instant);
	i_zero(&soft);
	ret_instant = bounce_address_find_instant(store, state, &instant,
						  error_r);
	if (ret_instant < 0)
		return -1;
	ret_soft = bounce_address_find_soft(store, state, &soft, error_r);
	if (ret_soft < 0)
		return -1;
	if (ret_soft > 0 && (ret_instant == 0 || soft.at < instant.at))
		*trigger_r = soft;
	else if (ret_instant > 0)
		*trigger_r = instant;
	return ret_instant > 0 || ret_soft > 0 ? 1 : 0;
}

static int bounce_address_save(struct bounce_store *store,
			       const struct bounce_address_state *state,
			       const char **error_r)
{
	const struct bounce_suppression *sup = &state->suppression;
	sqlite3_stmt *stmt;
	int idx = 1;

	if (bounce_store_prepare(store,
			"INSERT INTO addresses (address, domain, state, hard,"
			" soft, internal, complaint, autoreply, unknown,"
			" delivered, delayed, first_bounce_at, last_bounce_at,"
			" last_reason, last_status, last_category, suppressed_at,"
			" suppressed_category, suppressed_reason, suppressed_why,"
			" evidence_pruned) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
			" ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
			" ?19, ?20, ?21) ON CONFLICT (address) DO UPDATE SET"
			" state = ?3, hard = ?4, soft = ?5, internal = ?6,"
			" complaint = ?7, autoreply = ?8, unknown = ?9,"
			" delivered = ?10, delayed = ?11, first_bounce_at = ?12,"
			" last_bounce_at = ?13, last_reason = ?14,"
			" last_status = ?15, last_category = ?16,"
			" suppressed_at = ?17, suppressed_category = ?18,"
			" suppressed_reason = ?19, suppressed_why = ?20,"
			" evidence_pruned = ?21", &stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, idx++, state->address);
	bounce_bind_str(stmt, idx++, bounce_address_domain(state->address));
	bounce_bind_str(stmt, idx++, state->suppressed ?
			"suppressed" : "active");
	for (unsigned int i = 0; i < BOUNCE_COUNT_COUNT; i++)
		(void)sqlite3_bind_int64(stmt, idx++, state->counts[i]);
	(void)sqlite3_bind_int64(stmt, idx++, state->first_bounce_at);
	(void)sqlite3_bind_int64(stmt, idx++, state->last_bounce_at);
	bounce_bind_str(stmt, idx++, state->last_reason);
	bounce_bind_str(stmt, idx++, state->last_status);
	bounce_bind_str(stmt, idx++, state->last_category);
	(void)sqlite3_bind_int64(stmt, idx++, state->suppressed ? sup->at : 0);
	bounce_bind_str(stmt, idx++, state->suppressed ? sup->category : "");
	bounce_bind_str(stmt, idx++, state->suppressed ? sup->reason : "");
	bounce_bind_str(stmt, idx++, state->suppressed ? sup->why : "");
	(void)sqlite3_bind_int(stmt, idx++, state->evidence_pruned ? 1 : 0);
	return bounce_store_step_done(store, &stmt, "INSERT addresses",
				      error_r);
}

static int bounce_address_delete(struct bounce_store *store,
				 const char *address, const char **error_r)
{
	sqlite3_stmt *stmt;

	if (bounce_store_prepare(store,
			"DELETE FROM addresses WHERE address = ?1",
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, address);
	return bounce_store_step_done(store, &stmt, "DELETE addresses",
				      error_r);
}

/* Bring one address's state in line with its bounces and the policy.
   The state is a function of the rows (plus the reset point and a
   suppression whose evidence was pruned), so recording live, rescanning
   into a new database and rebuilding all give the same answer. Runs
   inside the caller's transaction. */
static int bounce_address_refresh(struct bounce_store *store,
				  const char *address, const char **error_r)
{
	struct bounce_address_state state;
	struct bounce_suppression trigger;
	int ret;

	if (*address == '\0')
		return 0;
	i_zero(&state);
	state.address = address;
	if (bounce_address_load(store, &state, error_r) < 0 ||
	    bounce_address_load_history(store, &state, error_r) < 0)
		return -1;
	if (state.total == 0 && !(state.suppressed && state.evidence_pruned)) {
		/* nothing on record and nothing to remember */
		return state.known ?
			bounce_address_delete(store, address, error_r) : 0;
	}
	if (bounce_address_load_counts(store, &state, error_r) < 0)
		return -1;
	if (state.suppressed && state.evidence_pruned) {
		/* the bounces behind it are gone: it stands as decided */
	} else if ((ret = bounce_address_find_trigger(store, &state, &trigger,
						      error_r)) < 0) {
		return -1;
	} else if (ret > 0) {
		state.suppressed = TRUE;
		state.suppression = trigger;
	} else {
		state.suppressed = FALSE;
	}
	return bounce_address_save(store, &state, error_r);
}

static int bounce_addresses_refresh(struct bounce_store *store,
				    const ARRAY_TYPE(const_string) *addresses,
				    const char **error_r)
{
	const char *address;
	int ret = 0;

	array_foreach_elem(addresses, address) {
		T_BEGIN {
			ret = bounce_address_refresh(store, address, error_r);
		} T_END_PASS_STR_IF(ret < 0, error_r);
		if (ret < 0)
			return -1;
	}
	return 0;
}

/* Add address unless it is empty or already there (for the few
   addresses of one bounce). */
static void bounce_addresses_add(ARRAY_TYPE(const_string) *addresses,
				 const char *address)
{
	const char *old;

	if (address == NULL || *address == '\0')
		return;
	array_foreach_elem(addresses, old) {
		if (strcmp(old, address) == 0)
			return;
	}
	address = t_strdup(address);
	array_push_back(addresses, &address);
}

/* Append the non-empty strings that stmt yields in column 0 (the SQL
   makes them distinct) to addresses. */
static int bounce_store_collect(struct bounce_store *store,
				sqlite3_stmt *stmt,
				ARRAY_TYPE(const_string) *addresses,
				const char **error_r)
{
	const char *address;
	int ret;

	while ((ret = sqlite3_step(stmt)) == SQLITE_ROW) {
		address = bounce_column_str(stmt, 0);
		if (*address != '\0')
			array_push_back(addresses, &address);
	}
	if (ret != SQLITE_DONE)
		*error_r = bounce_store_error(store, "SELECT");
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_DONE ? 0 : -1;
}

static int bounce_store_begin(struct bounce_store *store, const char **error_r)
{
	return bounce_store_exec(store, "BEGIN IMMEDIATE", error_r);
}

static int bounce_store_commit(struct bounce_store *store, const char **error_r)
{
	if (bounce_store_exec(store, "COMMIT", error_r) < 0) {
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

static void bounce_store_rollback(struct bounce_store *store)
{
	(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

/* --- record / replace --- */

static bool bounce_report_has_recipient(const struct bounce_report *report,
					const char *address)
{
	const struct bounce_recipient *rcpt;

	if (array_count(&report->recipients) == 0)
		return *address == '\0';
	array_foreach(&report->recipients, rcpt) {
		if (strcmp(rcpt->address, address) == 0)
			return TRUE;
	}
	return FALSE;
}

/* For a reclassification: delete the message's rows for recipients the
   new report doesn't have, remembering them so their state follows. */
static int bounce_store_drop_stale(struct bounce_store *store,
				   const struct bounce_store_message *msg,
				   const struct bounce_report *report,
				   ARRAY_TYPE(const_string) *affected,
				   const char **error_r)
{
	ARRAY_TYPE(const_string) old;
	const char *address, *msg_key = bounce_store_msg_key(msg);
	sqlite3_stmt *stmt;

	t_array_init(&old, 8);
	if (bounce_store_prepare(store,
			"SELECT recipient FROM bounces WHERE msg_key = ?1",
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, msg_key);
	if (bounce_store_collect(store, stmt, &old, error_r) < 0)
		return -1;
	/* the empty recipient (unrecognised mail) isn't collected */
	if (array_count(&report->recipients) > 0) {
		address = "";
		array_push_back(&old, &address);
	}

	array_foreach_elem(&old, address) {
		if (bounce_report_has_recipient(report, address))
			continue;
		if (bounce_store_prepare(store,
				"DELETE FROM bounces WHERE msg_key = ?1"
				" AND recipient = ?2", &stmt, error_r) < 0)
			return -1;
		bounce_bind_str(stmt, 1, msg_key);
		bounce_bind_str(stmt, 2, address);
		if (bounce_store_step_done(store, &stmt, "DELETE", error_r) < 0)
			return -1;
		bounce_addresses_add(affected, address);
	}
	return 0;
}

static int bounce_store_insert_all(struct bounce_store *store,
				   const char *sql,
				   const struct bounce_store_message *msg,
				   const struct bounce_report *report,
				   ARRAY_TYPE(const_string) *affected,
				   const char **error_r)
{
	const struct bounce_recipient *rcpt;
	struct bounce_recipient none;
	sqlite3_stmt *stmt;
	int rows = 0;

	if (bounce_store_prepare(store, sql, &stmt, error_r) < 0)
		return -1;
	bounce_store_bind_message(stmt, msg, report);
	if (array_count(&report->recipients) == 0) {
		/* unrecognised mail gets a row too: never silently dropped */
		i_zero(&none);
		none.address = "";
		none.reason = BOUNCE_REASON_UNDEFINED;
		none.category = BOUNCE_CATEGORY_UNKNOWN;
		none.rule = "none";
		bounce_store_bind_recipient(stmt, &none);
		if (bounce_store_insert(store, stmt, error_r) < 0)
			rows = -1;
		else
			rows++;
	}
	array_foreach(&report->recipients, rcpt) {
		if (rows < 0)
			break;
		bounce_store_bind_recipient(stmt, rcpt);
		if (bounce_store_insert(store, stmt, error_r) < 0)
			rows = -1;
		else {
			rows++;
			bounce_addresses_add(affected, rcpt->address);
		}
	}
	bounce_store_stmt_release(store, stmt);
	return rows;
}

static int bounce_store_record_full(struct bounce_store *store,
				    const struct bounce_store_message *msg,
				    const struct bounce_report *report,
				    bool replace, const char **error_r)
{
	ARRAY_TYPE(const_string) affected;
	int rows;

	t_array_init(&affected, 8);
	if (bounce_store_begin(store, error_r) < 0)
		return -1;
	if (replace && bounce_store_drop_stale(store, msg, report, &affected,
					       error_r) < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	rows = bounce_store_insert_all(store, replace ?
				       bounce_store_replace_sql :
				       bounce_store_insert_sql,
				       msg, report, &affected, error_r);
	/* the state changes with the rows or not at all */
	if (rows < 0 || bounce_addresses_refresh(store, &affected,
						 error_r) < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	if (bounce_store_commit(store, error_r) < 0)
		return -1;
	return rows;
}

int bounce_store_record(struct bounce_store *store,
			const struct bounce_store_message *msg,
			const struct bounce_report *report,
			const char **error_r)
{
	int ret;

	T_BEGIN {
		ret = bounce_store_record_full(store, msg, report, FALSE,
					       error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	return ret;
}

int bounce_store_replace(struct bounce_store *store,
			 const struct bounce_store_message *msg,
			 const struct bounce_report *report,
			 const char **error_r)
{
	int ret;

	T_BEGIN {
		ret = bounce_store_record_full(store, msg, report, TRUE,
					       error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	return ret;
}

int bounce_store_has_message(struct bounce_store *store,
			     const struct bounce_store_message *msg,
			     const char **error_r)
{
	sqlite3_stmt *stmt;
	int ret;

	if (bounce_store_prepare(store,
			"SELECT 1 FROM bounces WHERE msg_key = ?1 OR"
			" (?2 <> '' AND mailbox_guid = ?2 AND uid = ?3) LIMIT 1",
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, bounce_store_msg_key(msg));
	bounce_bind_str(stmt, 2, msg->uid == 0 ? "" : msg->mailbox_guid);
	(void)sqlite3_bind_int64(stmt, 3, msg->uid);
	ret = sqlite3_step(stmt);
	if (ret != SQLITE_ROW && ret != SQLITE_DONE)
		*error_r = bounce_store_error(store, "SELECT");
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_ROW ? 1 : ret == SQLITE_DONE ? 0 : -1;
}

/* --- listing --- */

static void bounce_store_bind_filter(sqlite3_stmt *stmt,
				     const struct bounce_store_filter *filter)
{
	if (filter->since != 0)
		(void)sqlite3_bind_int64(stmt, 1, filter->since);
	if (filter->until != 0)
		(void)sqlite3_bind_int64(stmt, 2, filter->until);
	if (filter->category != NULL)
		bounce_bind_str(stmt, 3, t_str_lcase(filter->category));
	if (filter->reason != NULL)
		bounce_bind_str(stmt, 4, t_str_lcase(filter->reason));
	if (filter->recipient != NULL)
		bounce_bind_str(stmt, 5, t_str_lcase(filter->recipient));
	if (filter->domain != NULL)
		bounce_bind_str(stmt, 6, t_str_lcase(filter->domain));
	if (filter->id != 0)
		(void)sqlite3_bind_int64(stmt, 7, filter->id);
	(void)sqlite3_bind_int64(stmt, 8, filter->limit == 0 ? -1 :
				 (sqlite3_int64)filter->limit);
}

static const char *
bounce_store_select_sql(const struct bounce_store_column *columns,
			unsigned int count, const char *rest)
{
	string_t *sql = t_str_new(1024);

	str_append(sql, "SELECT ");
	for (unsigned int i = 0; i < count; i++) {
		if (i > 0)
			str_append(sql, ", ");
		str_append(sql, columns[i].sql);
	}
	str_append(sql, rest);
	return str_c(sql);
}

/* Step stmt, calling callback with each row's columns as strings. */
static int bounce_store_each_row(struct bounce_store *store,
				 sqlite3_stmt *stmt, unsigned int count,
				 bounce_store_row_callback_t *callback,
				 void *context, const char **error_r)
{
	const char **values = t_new(const char *, count + 1);
	int ret;

	while ((ret = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (unsigned int i = 0; i < count; i++) {
			const unsigned char *v = sqlite3_column_text(stmt, i);
			values[i] = v == NULL ? "" : (const char *)v;
		}
		callback(values, context);
	}
	if (ret != SQLITE_DONE)
		*error_r = bounce_store_error(store, "SELECT");
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_DONE ? 0 : -1;
}

/* The WHERE clause of "list" with only the filters that are set: a
   "(?5 IS NULL OR recipient = ?5)" form keeps SQLite from using the
   recipient and domain indexes, and a list for one address among a
   million rows became a full scan. The clauses are fixed text; values
   are still only ever bound (bounce_store_bind_filter()). */
static const char *
bounce_store_list_where(const struct bounce_store_filter *filter)
{
	string_t *where = t_str_new(128);

	str_append(where, " FROM bounces WHERE");
	if (filter->since != 0)
		str_append(where, " bounced_at >= ?1 AND");
	if (filter->until != 0)
		str_append(where, " bounced_at < ?2 AND");
	if (filter->category != NULL)
		str_append(where, " category = ?3 AND");
	if (filter->reason != NULL)
		str_append(where, " reason = ?4 AND");
	if (filter->recipient != NULL)
		str_append(where, " recipient = ?5 AND");
	if (filter->domain != NULL)
		str_append(where, " domain = ?6 AND");
	if (filter->id != 0)
		str_append(where, " id = ?7 AND");
	str_append(where, " 1 ORDER BY id LIMIT ?8");
	return str_c(where);
}

int bounce_store_list(struct bounce_store *store,
		      const struct bounce_store_filter *filter,
		      bounce_store_row_callback_t *callback, void *context,
		      const char **error_r)
{
	sqlite3_stmt *stmt;

	if (bounce_store_prepare(store, bounce_store_select_sql(
			bounce_store_bounce_columns,
			bounce_store_bounce_columns_count,
			bounce_store_list_where(filter)), &stmt, error_r) < 0)
		return -1;
	bounce_store_bind_filter(stmt, filter);
	return bounce_store_each_row(store, stmt,
				     bounce_store_bounce_columns_count,
				     callback, context, error_r);
}

int bounce_store_list_addresses(struct bounce_store *store,
				const struct bounce_store_filter *filter,
				bool suppressed_only,
				bounce_store_row_callback_t *callback,
				void *context, const char **error_r)
{
	sqlite3_stmt *stmt;

	/* since/until: when it was suppressed, or when it last bounced */
	if (bounce_store_prepare(store, bounce_store_select_sql(
			bounce_store_address_columns,
			bounce_store_address_columns_count,
			" FROM addresses WHERE"
			" (?4 = 0 OR state = 'suppressed') AND"
			" (?1 IS NULL OR (CASE ?4 WHEN 0 THEN last_bounce_at"
			"  ELSE suppressed_at END) >= ?1) AND"
			" (?2 IS NULL OR (CASE ?4 WHEN 0 THEN last_bounce_at"
			"  ELSE suppressed_at END) < ?2) AND"
			" (?5 IS NULL OR address = ?5) AND"
			" (?6 IS NULL OR domain = ?6)"
			" ORDER BY CASE ?4 WHEN 0 THEN 0 ELSE suppressed_at END,"
			" address LIMIT ?3"), &stmt, error_r) < 0)
		return -1;
	if (filter->since != 0)
		(void)sqlite3_bind_int64(stmt, 1, filter->since);
	if (filter->until != 0)
		(void)sqlite3_bind_int64(stmt, 2, filter->until);
	(void)sqlite3_bind_int64(stmt, 3, filter->limit == 0 ? -1 :
				 (sqlite3_int64)filter->limit);
	(void)sqlite3_bind_int(stmt, 4, suppressed_only ? 1 : 0);
	if (filter->recipient != NULL)
		bounce_bind_str(stmt, 5, t_str_lcase(filter->recipient));
	if (filter->domain != NULL)
		bounce_bind_str(stmt, 6, t_str_lcase(filter->domain));
	return bounce_store_each_row(store, stmt,
				     bounce_store_address_columns_count,
				     callback, context, error_r);
}

int bounce_store_stats(struct bounce_store *store,
		       enum bounce_store_stats_by by,
		       const struct bounce_store_filter *filter,
		       bounce_store_row_callback_t *callback, void *context,
		       const char **error_r)
{
	sqlite3_stmt *stmt;

	i_assert(by < N_ELEMENTS(bounce_store_stats_groups));
	if (bounce_store_prepare(store, bounce_store_stats_groups[by].sql,
				 &stmt, error_r) < 0)
		return -1;
	bounce_store_bind_filter(stmt, filter);
	return bounce_store_each_row(store, stmt,
				     1 + bounce_store_stats_columns_count,
				     callback, context, error_r);
}

/* --- maintenance --- */

static int bounce_store_unsuppress_locked(struct bounce_store *store,
					  const char *address,
					  const char **error_r)
{
	struct bounce_address_state state;
	sqlite3_stmt *stmt;

	i_zero(&state);
	state.address = address;
	if (bounce_address_load(store, &state, error_r) < 0)
		return -1;
	if (!state.known)
		return 0;
	/* what is on record stays on record (list, stats) but no longer
	   counts: the address starts afresh */
	if (bounce_store_prepare(store,
			"UPDATE addresses SET state = 'active',"
			" hard = 0, soft = 0, internal = 0, complaint = 0,"
			" autoreply = 0, unknown = 0, delivered = 0, delayed = 0,"
			" suppressed_at = 0, suppressed_category = '',"
			" suppressed_reason = '', suppressed_why = '',"
			" evidence_pruned = 0, counted_after_at = ?2,"
			" counted_after_id ="
			" (SELECT COALESCE(MAX(id), 0) FROM bounces)"
			" WHERE address = ?1", &stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, address);
	(void)sqlite3_bind_int64(stmt, 2, time(NULL));
	if (bounce_store_step_done(store, &stmt, "UPDATE", error_r) < 0)
		return -1;
	return state.suppressed ? 1 : 0;
}

int bounce_store_unsuppress(struct bounce_store *store, const char *address,
			    const char **error_r)
{
	int ret;

	if (bounce_store_begin(store, error_r) < 0)
		return -1;
	T_BEGIN {
		ret = bounce_store_unsuppress_locked(store,
			t_str_lcase(address), error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	if (ret < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	return bounce_store_commit(store, error_r) < 0 ? -1 : ret;
}

#define BOUNCE_SQL_ABOUT \
	" (recipient = ?1 OR original_recipient = ?1 OR" \
	" final_recipient = ?1 OR verp_recipient = ?1)"

static int bounce_store_forget_locked(struct bounce_store *store,
				      const char *address, const char **error_r)
{
	ARRAY_TYPE(const_string) others;
	sqlite3_stmt *stmt;
	int rows;

	/* a row about the address may be filed under another recipient
	   (forwarding, VERP): that one's state changes too */
	t_array_init(&others, 4);
	if (bounce_store_prepare(store,
			"SELECT DISTINCT recipient FROM bounces WHERE"
			BOUNCE_SQL_ABOUT " AND recipient <> ?1",
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, address);
	if (bounce_store_collect(store, stmt, &others, error_r) < 0)
		return -1;

	if (bounce_store_prepare(store,
			"DELETE FROM bounces WHERE" BOUNCE_SQL_ABOUT,
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, address);
	if (bounce_store_step_done(store, &stmt, "DELETE", error_r) < 0)
		return -1;
	rows = sqlite3_changes(store->db);

	if (bounce_store_prepare(store,
			"DELETE FROM addresses WHERE address = ?1",
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, address);
	if (bounce_store_step_done(store, &stmt, "DELETE", error_r) < 0)
		return -1;
	rows += sqlite3_changes(store->db);

	if (bounce_addresses_refresh(store, &others, error_r) < 0)
		return -1;
	return rows;
}

int bounce_store_forget(struct bounce_store *store, const char *address,
			const char **error_r)
{
	int ret;

	/* an erasure request means gone from the file, not just unlinked
	   from the b-tree */
	if (bounce_store_exec(store, "PRAGMA secure_delete = ON", error_r) < 0 ||
	    bounce_store_begin(store, error_r) < 0)
		return -1;
	T_BEGIN {
		ret = bounce_store_forget_locked(store, t_str_lcase(address),
						 error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	if (ret < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	if (bounce_store_commit(store, error_r) < 0)
		return -1;
	/* the old pages also live in the WAL until a checkpoint; a reader
	   may hold one back, which the next checkpoint finishes */
	(void)sqlite3_exec(store->db, "PRAGMA wal_checkpoint(TRUNCATE)",
			   NULL, NULL, NULL);
	return ret;
}

static int bounce_store_prune_locked(struct bounce_store *store,
				     time_t before, const char **error_r)
{
	ARRAY_TYPE(const_string) affected;
	sqlite3_stmt *stmt;
	int rows;

	t_array_init(&affected, 32);
	if (bounce_store_prepare(store,
			"SELECT DISTINCT recipient FROM bounces"
			" WHERE bounced_at < ?1", &stmt, error_r) < 0)
		return -1;
	(void)sqlite3_bind_int64(stmt, 1, before);
	if (bounce_store_collect(store, stmt, &affected, error_r) < 0)
		return -1;

	/* retention must not send mail to dead addresses again */
	if (bounce_store_prepare(store,
			"UPDATE addresses SET evidence_pruned = 1"
			" WHERE state = 'suppressed' AND address IN"
			" (SELECT recipient FROM bounces WHERE bounced_at < ?1)",
			&stmt, error_r) < 0)
		return -1;
	(void)sqlite3_bind_int64(stmt, 1, before);
	if (bounce_store_step_done(store, &stmt, "UPDATE", error_r) < 0)
		return -1;

	if (bounce_store_prepare(store,
			"DELETE FROM bounces WHERE bounced_at < ?1",
			&stmt, error_r) < 0)
		return -1;
	(void)sqlite3_bind_int64(stmt, 1, before);
	if (bounce_store_step_done(store, &stmt, "DELETE", error_r) < 0)
		return -1;
	rows = sqlite3_changes(store->db);

	if (bounce_addresses_refresh(store, &affected, error_r) < 0)
		return -1;
	return rows;
}

int bounce_store_prune(struct bounce_store *store, time_t before,
		       const char **error_r)
{
	int ret;

	if (bounce_store_begin(store, error_r) < 0)
		return -1;
	T_BEGIN {
		ret = bounce_store_prune_locked(store, before, error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	if (ret < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	return bounce_store_commit(store, error_r) < 0 ? -1 : ret;
}

static int bounce_store_rebuild_locked(struct bounce_store *store,
				       const char **error_r)
{
	ARRAY_TYPE(const_string) addresses;
	sqlite3_stmt *stmt;
	int ret;

	T_BEGIN {
		t_array_init(&addresses, 64);
		ret = bounce_store_prepare(store,
			"SELECT address FROM addresses UNION"
			" SELECT recipient FROM bounces WHERE recipient <> ''",
			&stmt, error_r);
		if (ret == 0)
			ret = bounce_store_collect(store, stmt, &addresses,
						   error_r);
		if (ret == 0)
			ret = bounce_addresses_refresh(store, &addresses,
						       error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	return ret;
}

int bounce_store_rebuild_addresses(struct bounce_store *store,
				   const char **error_r)
{
	if (bounce_store_begin(store, error_r) < 0)
		return -1;
	if (bounce_store_rebuild_locked(store, error_r) < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	return bounce_store_commit(store, error_r);
}
