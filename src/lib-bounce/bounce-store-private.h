#ifndef BOUNCE_STORE_PRIVATE_H
#define BOUNCE_STORE_PRIVATE_H

/* What the bounce-store*.c files share: the connection, the helpers
   around SQLite (bounce-store.c) and the per-address state
   (bounce-store-address.c). Nothing outside them includes <sqlite3.h>. */

#include "hash.h"
#include "bounce-store.h"

#include <sys/time.h>
#include <sqlite3.h>

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

/* A delay notice is recorded but counts in "delayed", never in its
   category; only a failure (or a report with no action, as ARF and
   auto-replies have) can count towards suppression. Each row counts
   once, or factor times ("n * ": a row standing for n rows). */
#define BOUNCE_SQL_COUNTS_TIMES(factor) \
	"SUM(" factor "(category = 'hard' AND action <> 'delayed'))," \
	" SUM(" factor "(category = 'soft' AND action <> 'delayed'))," \
	" SUM(" factor "(category = 'internal' AND action <> 'delayed'))," \
	" SUM(" factor "(category = 'complaint' AND action <> 'delayed'))," \
	" SUM(" factor "(category = 'autoreply' AND action <> 'delayed'))," \
	" SUM(" factor "(category = 'unknown' AND action <> 'delayed'))," \
	" SUM(" factor "(category = 'delivered' AND action <> 'delayed'))," \
	" SUM(" factor "(action = 'delayed'))"
#define BOUNCE_SQL_COUNTS BOUNCE_SQL_COUNTS_TIMES("")
#define BOUNCE_SQL_FAILED "action IN ('failed', '')"

/* --- per-address state (bounce-store-address.c) --- */

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

/* --- helpers --- */

const char *bounce_store_error(struct bounce_store *store,
				      const char *func);
int bounce_store_exec(struct bounce_store *store, const char *sql,
			     const char **error_r);
int bounce_store_prepare(struct bounce_store *store, const char *sql,
				sqlite3_stmt **stmt_r, const char **error_r);
void bounce_store_stmt_release(struct bounce_store *store,
				      sqlite3_stmt *stmt);
int bounce_store_step_done(struct bounce_store *store,
				  sqlite3_stmt **_stmt, const char *what,
				  const char **error_r);
const char *bounce_column_str(sqlite3_stmt *stmt, int idx);
void bounce_bind_str(sqlite3_stmt *stmt, int idx, const char *value);
const char *bounce_address_domain(const char *address);
int bounce_store_begin(struct bounce_store *store, const char **error_r);
int bounce_store_commit(struct bounce_store *store, const char **error_r);
void bounce_store_rollback(struct bounce_store *store);
int bounce_address_load(struct bounce_store *store,
			       struct bounce_address_state *state,
			       const char **error_r);
void bounce_addresses_add(ARRAY_TYPE(const_string) *addresses,
				 const char *address);
int bounce_store_collect(struct bounce_store *store,
				sqlite3_stmt *stmt,
				ARRAY_TYPE(const_string) *addresses,
				const char **error_r);
int bounce_addresses_refresh(struct bounce_store *store,
				    const ARRAY_TYPE(const_string) *addresses,
				    const char **error_r);
int bounce_store_rebuild_locked(struct bounce_store *store,
				       const char **error_r);

/* --- the statements of the queries (bounce-store-query.c), also for
   the tests that check which indexes they use --- */

const char *bounce_store_list_sql(const struct bounce_store_filter *filter);
/* the UPDATEs of bounce_store_resolve() (bounce-store-resolve.c) */
extern const char bounce_store_resolve_sql[];
extern const char bounce_store_resolve_forget_sql[];
const char *
bounce_store_addresses_sql(const struct bounce_store_filter *filter,
			   bool suppressed_only);
const char *bounce_store_stats_sql(enum bounce_store_stats_by by,
				   const struct bounce_store_filter *filter);

#endif
