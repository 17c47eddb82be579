#ifndef BOUNCE_STORE_H
#define BOUNCE_STORE_H

#include "bounce-report.h"

/* The per-user SQLite database (record step). Only bounce-store.c knows
   SQL; callers see rows as arrays of strings keyed by the column table
   below, so doveadm's columns can't drift from the schema. */

struct bounce_store;

#define BOUNCE_STORE_DEFAULT_BUSY_TIMEOUT_MSECS 3000

/* Where one bounce message lives. */
struct bounce_store_message {
	const char *mailbox;
	const char *mailbox_guid;
	const char *message_guid;
	/* the bounce's own Message-ID (may be NULL) */
	const char *message_id;
	uint32_t uid;
	time_t recorded_at;
};

enum bounce_store_column_flags {
	/* printed as a number; never empty */
	BOUNCE_STORE_COLUMN_NUMBER = 0x01,
	/* shown by "bounce list" by default (others only by "show"/export) */
	BOUNCE_STORE_COLUMN_LIST = 0x02,
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
void bounce_store_close(struct bounce_store **store);

/* Record the report's recipients (or, if it has none, one row with an
   empty recipient, so unrecognised mail stays visible). Idempotent: the
   same bounce (same Message-ID, or same message GUID if it has none)
   never gets two rows for one recipient; a repeat updates where the
   message is. Returns the number of rows written, or -1 on error. */
int bounce_store_record(struct bounce_store *store,
			const struct bounce_store_message *msg,
			const struct bounce_report *report,
			const char **error_r);

typedef void bounce_store_row_callback_t(const char *const *values,
					 void *context);

/* Call callback for each bounce row matching filter, newest last.
   values[] follows bounce_store_bounce_columns. */
int bounce_store_list(struct bounce_store *store,
		      const struct bounce_store_filter *filter,
		      bounce_store_row_callback_t *callback, void *context,
		      const char **error_r);

#endif
