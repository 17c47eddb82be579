/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "bounce-store-private.h"

#include <time.h>

/* Per-address state: the addresses table is derived from the bounce
   rows (counts, first/last bounce, suppression), refreshed in the same
   transaction that records a bounce, so a rescan rebuilds it exactly. */

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

int bounce_address_load(struct bounce_store *store,
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

	if (bounce_store_prepare(store, "SELECT " BOUNCE_SQL_COUNTS
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

int bounce_addresses_refresh(struct bounce_store *store,
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
void bounce_addresses_add(ARRAY_TYPE(const_string) *addresses,
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
int bounce_store_collect(struct bounce_store *store,
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

