/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "hash.h"
#include "sleep.h"
#include "time-util.h"
#include "bounce-store-private.h"

#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <time.h>
#include <sys/stat.h>

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
	/* 2 -> 3: "stats --by domain" over a million rows read every
	   600-byte row; with every column it reads in the index it walks
	   only the index, in group order. Its prefix serves the lookups by
	   domain, so bounces_domain would only cost writes. */
	"CREATE INDEX bounces_domain_stats ON bounces"
	" (domain, category, action, recipient, bounced_at);"
	"DROP INDEX bounces_domain;",
	/* 3 -> 4: a maildir delivery is recorded before its message has a
	   GUID (and maybe a UID), with the file name it was saved under,
	   until doveadm looks them up (bounce_store_resolve()); the index
	   holds only those rows */
	"ALTER TABLE bounces ADD COLUMN storage_id TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX bounces_unresolved ON bounces (mailbox_guid, storage_id)"
	" WHERE storage_id <> '';",
};
/* the first schema version with the addresses table */
#define BOUNCE_STORE_MAX_CACHED_STMTS 32
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

const char *bounce_store_error(struct bounce_store *store,
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
int bounce_store_prepare(struct bounce_store *store, const char *sql,
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
void bounce_store_stmt_release(struct bounce_store *store,
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
int bounce_store_step_done(struct bounce_store *store,
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

const char *bounce_column_str(sqlite3_stmt *stmt, int idx)
{
	const unsigned char *value = sqlite3_column_text(stmt, idx);

	return value == NULL ? "" : t_strdup((const char *)value);
}

int bounce_store_exec(struct bounce_store *store, const char *sql,
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

bool bounce_store_header_valid(struct bounce_store *store)
{
	static const char magic[] = "SQLite format 3";
	sqlite3_file *file = NULL;
	char buf[sizeof(magic)];

	/* read through SQLite's own descriptor: opening and closing one of
	   our own would drop the POSIX locks SQLite holds on the file */
	if (sqlite3_file_control(store->db, "main", SQLITE_FCNTL_FILE_POINTER,
				 &file) != SQLITE_OK ||
	    file == NULL || file->pMethods == NULL)
		return FALSE;
	if (file->pMethods->xRead(file, buf, sizeof(buf), 0) != SQLITE_OK)
		return FALSE;
	/* the magic includes its NUL */
	return memcmp(buf, magic, sizeof(magic)) == 0;
}

void bounce_store_close_stale(struct bounce_store **_store)
{
	struct bounce_store *store = *_store;

	/* Closing the last connection checkpoints the WAL into the database
	   and deletes it. Through descriptors of files that were replaced,
	   deleted or damaged since, that would write old pages over
	   whatever is at the path now (and hide the damage), and delete a
	   WAL that may belong to the new database. */
	if (store != NULL && store->db != NULL) {
		(void)sqlite3_db_config(store->db,
					SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
					1, NULL);
	}
	bounce_store_close(_store);
}

int bounce_store_begin(struct bounce_store *store, const char **error_r)
{
	return bounce_store_exec(store, "BEGIN IMMEDIATE", error_r);
}

int bounce_store_commit(struct bounce_store *store, const char **error_r)
{
	if (bounce_store_exec(store, "COMMIT", error_r) < 0) {
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return 0;
}

void bounce_store_rollback(struct bounce_store *store)
{
	(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
}

