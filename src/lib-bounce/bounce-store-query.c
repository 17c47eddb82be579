/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-store-private.h"

#include <time.h>

/* Reading and maintaining the database: list, stats, the address list,
   unsuppress, forget, prune, and rebuilding the per-address state. */

/* One "stats" query per grouping, in parts around its WHERE clauses
   (bounce_store_filter_where()); values only ever reach SQLite as bound
   parameters (?1-?8). The plain form is one pass over the rows. */
#define BOUNCE_SQL_STATS(group, order) \
	{ "SELECT " group ", COUNT(*)," \
	  " COUNT(DISTINCT NULLIF(recipient, '')), " \
	  BOUNCE_SQL_COUNTS " FROM bounces", NULL, \
	  " GROUP BY 1 ORDER BY " order " LIMIT ?8" }
/* For a group that leads an index holding category and action
   (bounces_domain_stats): that pass's eight sums per row and its
   COUNT(DISTINCT) took 1 s over a million rows. Instead "k" counts the
   rows per (group, category, action), a walk of the index in its own
   order with no sorting, and "a" counts the distinct addresses per
   group: 0.45 s. Without such an index, k would sort every row. */
#define BOUNCE_SQL_STATS_INDEXED(group, order) \
	{ "WITH k AS (SELECT " group " AS g, category, action," \
	  " COUNT(*) AS n FROM bounces", \
	  " GROUP BY 1, 2, 3), a AS (SELECT " group " AS g," \
	  " COUNT(DISTINCT NULLIF(recipient, '')) AS addresses FROM bounces", \
	  " GROUP BY 1) SELECT k.g, SUM(n), a.addresses, " \
	  BOUNCE_SQL_COUNTS_TIMES("n * ") \
	  " FROM k JOIN a ON a.g = k.g GROUP BY k.g" \
	  " ORDER BY " order " LIMIT ?8" }

/* what "stats --by" groups by: name, query (rows part, then for the
   two-pass form the addresses part, each followed by the WHERE clause,
   and the rest) */
static const struct {
	const char *name;
	struct {
		const char *rows, *addresses, *rest;
	} sql;
} bounce_store_stats_groups[] = {
	[BOUNCE_STORE_STATS_BY_CATEGORY] =
		{ "category", BOUNCE_SQL_STATS("category", "2 DESC, 1") },
	[BOUNCE_STORE_STATS_BY_REASON] =
		{ "reason", BOUNCE_SQL_STATS("reason", "2 DESC, 1") },
	[BOUNCE_STORE_STATS_BY_DOMAIN] =
		{ "domain", BOUNCE_SQL_STATS_INDEXED("domain", "2 DESC, 1") },
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

/* The WHERE clause of list and stats with only the filters that are
   set (?1 since, ?2 until, ?3 category, ?4 reason, ?5 recipient,
   ?6 domain, ?7 id). A "(?5 IS NULL OR recipient = ?5)" form keeps
   SQLite from using an index for the term, and it names every filtered
   column, so no index covers the query: a list for one address among a
   million rows became a full scan, and "stats --by domain" read every
   row instead of only its covering index. The clauses are fixed text;
   values are still only ever bound (bounce_store_bind_filter()). */
static void bounce_store_filter_where(string_t *sql,
				      const struct bounce_store_filter *filter)
{
	str_append(sql, " WHERE");
	if (filter->since != 0)
		str_append(sql, " bounced_at >= ?1 AND");
	if (filter->until != 0)
		str_append(sql, " bounced_at < ?2 AND");
	if (filter->category != NULL)
		str_append(sql, " category = ?3 AND");
	if (filter->reason != NULL)
		str_append(sql, " reason = ?4 AND");
	if (filter->recipient != NULL)
		str_append(sql, " recipient = ?5 AND");
	if (filter->domain != NULL)
		str_append(sql, " domain = ?6 AND");
	if (filter->id != 0)
		str_append(sql, " id = ?7 AND");
	str_append(sql, " 1");
}

const char *bounce_store_list_sql(const struct bounce_store_filter *filter)
{
	string_t *where = t_str_new(128);

	str_append(where, " FROM bounces");
	bounce_store_filter_where(where, filter);
	str_append(where, " ORDER BY id LIMIT ?8");
	return bounce_store_select_sql(bounce_store_bounce_columns,
				       bounce_store_bounce_columns_count,
				       str_c(where));
}

int bounce_store_list(struct bounce_store *store,
		      const struct bounce_store_filter *filter,
		      bounce_store_row_callback_t *callback, void *context,
		      const char **error_r)
{
	sqlite3_stmt *stmt;

	if (bounce_store_prepare(store, bounce_store_list_sql(filter),
				 &stmt, error_r) < 0)
		return -1;
	bounce_store_bind_filter(stmt, filter);
	return bounce_store_each_row(store, stmt,
				     bounce_store_bounce_columns_count,
				     callback, context, error_r);
}

/* The address list's WHERE and ORDER BY with only the filters that are
   set, for the reasons of bounce_store_filter_where(): the suppressed
   list then walks addresses_state in its order instead of sorting every
   address's row (4 s for 160,000 suppressed addresses, now 1 s).
   since/until: when it was suppressed, or when it last bounced.
   ?1 since, ?2 until, ?3 limit, ?5 address, ?6 domain. */
const char *
bounce_store_addresses_sql(const struct bounce_store_filter *filter,
			   bool suppressed_only)
{
	const char *at = suppressed_only ? "suppressed_at" : "last_bounce_at";
	string_t *sql = t_str_new(128);

	str_append(sql, " FROM addresses WHERE");
	if (suppressed_only)
		str_append(sql, " state = 'suppressed' AND");
	if (filter->since != 0)
		str_printfa(sql, " %s >= ?1 AND", at);
	if (filter->until != 0)
		str_printfa(sql, " %s < ?2 AND", at);
	if (filter->recipient != NULL)
		str_append(sql, " address = ?5 AND");
	if (filter->domain != NULL)
		str_append(sql, " domain = ?6 AND");
	str_append(sql, suppressed_only ?
		   " 1 ORDER BY suppressed_at, address LIMIT ?3" :
		   " 1 ORDER BY address LIMIT ?3");
	return bounce_store_select_sql(bounce_store_address_columns,
				       bounce_store_address_columns_count,
				       str_c(sql));
}

int bounce_store_list_addresses(struct bounce_store *store,
				const struct bounce_store_filter *filter,
				bool suppressed_only,
				bounce_store_row_callback_t *callback,
				void *context, const char **error_r)
{
	sqlite3_stmt *stmt;

	if (bounce_store_prepare(store, bounce_store_addresses_sql(
			filter, suppressed_only), &stmt, error_r) < 0)
		return -1;
	if (filter->since != 0)
		(void)sqlite3_bind_int64(stmt, 1, filter->since);
	if (filter->until != 0)
		(void)sqlite3_bind_int64(stmt, 2, filter->until);
	(void)sqlite3_bind_int64(stmt, 3, filter->limit == 0 ? -1 :
				 (sqlite3_int64)filter->limit);
	if (filter->recipient != NULL)
		bounce_bind_str(stmt, 5, t_str_lcase(filter->recipient));
	if (filter->domain != NULL)
		bounce_bind_str(stmt, 6, t_str_lcase(filter->domain));
	return bounce_store_each_row(store, stmt,
				     bounce_store_address_columns_count,
				     callback, context, error_r);
}

const char *bounce_store_stats_sql(enum bounce_store_stats_by by,
				   const struct bounce_store_filter *filter)
{
	string_t *sql = t_str_new(1024);

	i_assert(by < N_ELEMENTS(bounce_store_stats_groups));
	str_append(sql, bounce_store_stats_groups[by].sql.rows);
	bounce_store_filter_where(sql, filter);
	if (bounce_store_stats_groups[by].sql.addresses != NULL) {
		str_append(sql, bounce_store_stats_groups[by].sql.addresses);
		bounce_store_filter_where(sql, filter);
	}
	str_append(sql, bounce_store_stats_groups[by].sql.rest);
	return str_c(sql);
}

int bounce_store_stats(struct bounce_store *store,
		       enum bounce_store_stats_by by,
		       const struct bounce_store_filter *filter,
		       bounce_store_row_callback_t *callback, void *context,
		       const char **error_r)
{
	sqlite3_stmt *stmt;

	if (bounce_store_prepare(store, bounce_store_stats_sql(by, filter),
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

int bounce_store_rebuild_locked(struct bounce_store *store,
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
