#ifndef BOUNCE_STORE_H
#define BOUNCE_STORE_H

#include "array.h"
#include "bounce-report.h"
#include "bounce-spool.h"

/* The per-user SQLite database (record step). Only bounce-store.c knows
   SQL; callers see rows as arrays of strings keyed by the column table
   below, so doveadm's columns can't drift from the schema. */

struct bounce_store;
struct istream;

#define BOUNCE_STORE_DEFAULT_BUSY_TIMEOUT_MSECS 3000
#define BOUNCE_STORE_DEFAULT_SOFT_LIMIT 5
#define BOUNCE_STORE_DEFAULT_SOFT_WINDOW_SECS (30 * 24 * 60 * 60)

/* The suppression policy (docs/hygiene.md). hard and complaint suppress
   at once; soft suppresses after soft_limit failed soft bounces whose
   bounce times lie within soft_window_secs of each other; the other
   categories and every delay notice never suppress. */
struct bounce_store_policy {
	/* 0 = soft bounces never suppress */
	unsigned int soft_limit;
	unsigned int soft_window_secs;
};

/* Where one bounce message lives. */
struct bounce_store_message {
	const char *mailbox;
	const char *mailbox_guid;
	const char *message_guid;
	/* the bounce's own Message-ID (may be NULL) */
	const char *message_id;
	/* 0 if not known yet */
	uint32_t uid;
	/* maildir: the name the message was saved under, which stands for
	   it until bounce_store_resolve() gives it GUID (and UID) */
	const char *storage_id;
	time_t recorded_at;
	/* when the message reached the mailbox (0 = recorded_at): the bounce
	   time if the bounce has no Arrival-Date, so that a rescan gives the
	   time the live delivery gave */
	time_t received_at;
};

enum bounce_store_column_flags {
	/* printed as a number; never empty */
	BOUNCE_STORE_COLUMN_NUMBER = 0x01,
	/* shown by "bounce list" by default (others only by "show"/export) */
	BOUNCE_STORE_COLUMN_LIST = 0x02,
	/* address columns: shown by "bounce suppressed" (others only by
	   export) */
	BOUNCE_STORE_COLUMN_SUPPRESSED = 0x04,
};

struct bounce_store_column {
	const char *key;
	/* the SQL expression that yields it (for bounce-store.c only) */
	const char *sql;
	enum bounce_store_column_flags flags;
};

/* The columns of a bounce row, in output order. */
extern const struct bounce_store_column bounce_store_bounce_columns[];
extern const unsigned int bounce_store_bounce_columns_count;
/* The columns of a per-address state row, in output order. */
extern const struct bounce_store_column bounce_store_address_columns[];
extern const unsigned int bounce_store_address_columns_count;
/* The columns of a "stats" row after the group's own column. */
extern const struct bounce_store_column bounce_store_stats_columns[];
extern const unsigned int bounce_store_stats_columns_count;

/* What "stats" groups by. */
enum bounce_store_stats_by {
	BOUNCE_STORE_STATS_BY_CATEGORY,
	BOUNCE_STORE_STATS_BY_REASON,
	BOUNCE_STORE_STATS_BY_DOMAIN,
	BOUNCE_STORE_STATS_BY_REMOTE_MTA,
	BOUNCE_STORE_STATS_BY_DAY,
};
/* Parse "category", "reason", "domain", "remote-mta" or "day". */
bool bounce_store_stats_by_parse(const char *name,
				 enum bounce_store_stats_by *by_r);
const char *bounce_store_stats_by_name(enum bounce_store_stats_by by);

struct bounce_store_filter {
	time_t since, until;		/* 0 = unset */
	const char *category;
	const char *reason;
	const char *recipient;
	const char *domain;
	int64_t id;			/* 0 = unset */
	unsigned int limit;		/* 0 = unlimited */
};

/* Open (creating if needed, mode 0600) the database at path and bring
   its schema up to date. */
int bounce_store_open(const char *path, unsigned int busy_timeout_msecs,
		      struct bounce_store **store_r, const char **error_r);
/* Open an existing database read-only: fails if it doesn't exist. */
int bounce_store_open_readonly(const char *path,
			       unsigned int busy_timeout_msecs,
			       struct bounce_store **store_r,
			       const char **error_r);
/* Like bounce_store_open(), but if the file isn't a database or is
   corrupt, move it (and its -wal/-shm files) aside to
   <path>.corrupt-<unix time> and create a new, empty one. moved_to_r is
   then the damaged file's new name, else NULL. */
int bounce_store_open_or_recreate(const char *path,
				  unsigned int busy_timeout_msecs,
				  struct bounce_store **store_r,
				  const char **moved_to_r,
				  const char **error_r);
void bounce_store_close(struct bounce_store **store);
/* Close a connection whose files may have changed under it (deleted,
   replaced, damaged): without the checkpoint that closing normally
   does, so that nothing is written through its old descriptors. */
void bounce_store_close_stale(struct bounce_store **store);
/* Whether the database file still begins with SQLite's header, read
   through the connection's own descriptor. */
bool bounce_store_header_valid(struct bounce_store *store);

/* Use policy for the per-address state from now on (the default is
   BOUNCE_STORE_DEFAULT_SOFT_LIMIT within ..._SOFT_WINDOW_SECS). */
void bounce_store_set_policy(struct bounce_store *store,
			     const struct bounce_store_policy *policy);

/* Record the report's recipients (or, if it has none, one row with an
   empty recipient, so unrecognised mail stays visible). Idempotent: the
   same bounce (same Message-ID, or same message GUID if it has none)
   never gets two rows for one recipient; a repeat updates where the
   message is. The per-address state of every recipient is brought up
   to date in the same transaction. Returns the number of rows written,
   or -1 on error. */
int bounce_store_record(struct bounce_store *store,
			const struct bounce_store_message *msg,
			const struct bounce_report *report,
			const char **error_r);
/* Like bounce_store_record(), but a bounce already recorded takes the
   report's facts and decision (reclassification after an upgrade): rows
   keep their id and recorded_at, rows for recipients the report no
   longer has are deleted, and the state of every address involved is
   recomputed. */
int bounce_store_replace(struct bounce_store *store,
			 const struct bounce_store_message *msg,
			 const struct bounce_report *report,
			 const char **error_r);
/* Append to dest the spool lines of the rows bounce_store_record() would
   write (see bounce-spool.h). Needs no database. */
void bounce_store_spool_rows(string_t *dest,
			     const struct bounce_store_message *msg,
			     const struct bounce_report *report);
/* Import the rows spooled at spool_path, as bounce_store_record() would
   have recorded them, in transactions of a few hundred rows; the state
   of their addresses follows. Lines this version can't read are skipped
   and counted. Returns 1 if anything was imported, 0 if there was
   nothing to import, -1 on error (what wasn't committed stays in the
   spool). */
int bounce_store_import_spool(struct bounce_store *store,
			      const char *spool_path,
			      unsigned int lock_timeout_secs,
			      struct bounce_spool_import_result *result_r,
			      const char **error_r);
/* The rows of one spool file, as bounce_store_import_spool() imports
   them; for a bounce_spool_import_callback_t that opens the database
   only once it holds a file. result is added to. */
int bounce_store_import_rows(struct bounce_store *store,
			     struct istream *input,
			     struct bounce_spool_import_result *result,
			     const char **error_r);
/* A message recorded without a GUID, and maybe without a UID (maildir
   delivery), named by its file. */
struct bounce_store_unresolved {
	const char *mailbox, *mailbox_guid, *storage_id;
	/* set by the caller: resolved once the answer is known, with the
	   UID and GUID found, or uid 0 if the message is gone */
	bool resolved;
	uint32_t uid;
	const char *message_guid;
};
ARRAY_DEFINE_TYPE(bounce_store_unresolved, struct bounce_store_unresolved);

/* Append the messages recorded by file name to unresolved_r (strings
   from the data stack), ordered by mailbox. Returns -1 on error. */
int bounce_store_unresolved(struct bounce_store *store,
			    ARRAY_TYPE(bounce_store_unresolved) *unresolved_r,
			    const char **error_r);
/* Give the rows of each resolved message its uid and message_guid; with
   uid 0 (gone) they keep what they have and are no longer looked for.
   One transaction. */
int bounce_store_resolve(struct bounce_store *store,
			 const ARRAY_TYPE(bounce_store_unresolved) *resolved,
			 const char **error_r);
/* Returns 1 if msg has rows (same Message-ID/GUID key as record uses, or
   the same mailbox GUID and UID), 0 if not, -1 on error. */
int bounce_store_has_message(struct bounce_store *store,
			     const struct bounce_store_message *msg,
			     const char **error_r);

typedef void bounce_store_row_callback_t(const char *const *values,
					 void *context);

/* Call callback for each bounce row matching filter, newest last.
   values[] follows bounce_store_bounce_columns. */
int bounce_store_list(struct bounce_store *store,
		      const struct bounce_store_filter *filter,
		      bounce_store_row_callback_t *callback, void *context,
		      const char **error_r);

/* Call callback for each address with a state: only the suppressed ones
   (oldest suppression first), or all (by address). filter's since and
   until apply to the time it was suppressed, or for all addresses to
   its last bounce; recipient, domain and limit apply as for bounces.
   values[] follows bounce_store_address_columns. */
int bounce_store_list_addresses(struct bounce_store *store,
				const struct bounce_store_filter *filter,
				bool suppressed_only,
				bounce_store_row_callback_t *callback,
				void *context, const char **error_r);
/* Call callback with each group's counts over the bounce rows matching
   filter: values[0] is the group, values[1..] follow
   bounce_store_stats_columns. */
int bounce_store_stats(struct bounce_store *store,
		       enum bounce_store_stats_by by,
		       const struct bounce_store_filter *filter,
		       bounce_store_row_callback_t *callback, void *context,
		       const char **error_r);

/* Make address active again and reset its counts: bounces recorded so
   far no longer count towards the policy. Returns 1 if it was
   suppressed, 0 if it wasn't (or is unknown), -1 on error. */
int bounce_store_unsuppress(struct bounce_store *store, const char *address,
			    const char **error_r);
/* Erase every row about address: its state, and every bounce naming it
   as recipient, original, final or VERP recipient (data-protection
   requests). Deleted content is overwritten, not just unlinked. Returns
   the number of rows deleted, -1 on error. */
int bounce_store_forget(struct bounce_store *store, const char *address,
			const char **error_r);
/* Delete the bounces that happened before the given time. Suppressions
   stay in force even when the bounces behind them are gone; active
   addresses with no bounces left are dropped. Returns the number of
   bounce rows deleted, -1 on error. */
int bounce_store_prune(struct bounce_store *store, time_t before,
		       const char **error_r);
/* Recompute every address's state from the bounces on record (after
   reclassification, or after a policy change). */
int bounce_store_rebuild_addresses(struct bounce_store *store,
				   const char **error_r);

#endif
