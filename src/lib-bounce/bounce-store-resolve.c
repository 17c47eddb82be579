/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "bounce-store-private.h"

/* Messages recorded before they had a GUID, and maybe a UID. A maildir
   delivery that doesn't get the dovecot-uidlist lock at once leaves its
   file in new/ for the next reader to number; waiting for the lock would
   cost every delivery the time of the uidlist's rewrite, and maildir
   settles a GUID only at commit. The rows keep the file name instead,
   and doveadm, which syncs the mailbox before it answers, gives them the
   UID and GUID the message got. */

int bounce_store_unresolved(struct bounce_store *store,
			    ARRAY_TYPE(bounce_store_unresolved) *unresolved_r,
			    const char **error_r)
{
	struct bounce_store_unresolved *msg;
	sqlite3_stmt *stmt;
	int ret;

	if (bounce_store_prepare(store,
			"SELECT DISTINCT mailbox, mailbox_guid, storage_id"
			" FROM bounces WHERE storage_id <> ''"
			" ORDER BY mailbox, mailbox_guid", &stmt, error_r) < 0)
		return -1;
	while ((ret = sqlite3_step(stmt)) == SQLITE_ROW) {
		msg = array_append_space(unresolved_r);
		msg->mailbox = bounce_column_str(stmt, 0);
		msg->mailbox_guid = bounce_column_str(stmt, 1);
		msg->storage_id = bounce_column_str(stmt, 2);
	}
	if (ret != SQLITE_DONE)
		*error_r = bounce_store_error(store, "SELECT");
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_DONE ? 0 : -1;
}

/* The statements that give a row its UID, by mailbox and file name.
   "storage_id <> ''" repeats the condition of the partial index
   bounces_unresolved: without it SQLite can't know that ?2 is never '',
   and read the whole table once per message (15,000 unresolved rows took
   doveadm minutes). */
#define BOUNCE_STORE_UNRESOLVED_WHERE \
	" WHERE mailbox_guid = ?1 AND storage_id = ?2 AND storage_id <> ''"

/* A row keyed by its file name ("file:", see bounce_store_msg_key())
   takes the GUID's key, as a rescan would give it. Should a row with
   that key exist already, the UPDATE leaves this one as it is: the
   second statement then only stops looking for it. */
const char bounce_store_resolve_sql[] =
	"UPDATE OR IGNORE bounces SET uid = ?3,"
	" message_guid = ?4, storage_id = '',"
	" msg_key = CASE WHEN msg_key = 'file:' || ?2"
	" THEN 'guid:' || ?4 ELSE msg_key END"
	BOUNCE_STORE_UNRESOLVED_WHERE " AND ?3 <> 0";
const char bounce_store_resolve_forget_sql[] =
	"UPDATE bounces SET storage_id = ''" BOUNCE_STORE_UNRESOLVED_WHERE;

static int bounce_store_resolve_one(struct bounce_store *store,
				    const struct bounce_store_unresolved *msg,
				    const char **error_r)
{
	sqlite3_stmt *stmt;

	if (bounce_store_prepare(store, bounce_store_resolve_sql,
				 &stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, msg->mailbox_guid);
	bounce_bind_str(stmt, 2, msg->storage_id);
	(void)sqlite3_bind_int64(stmt, 3, msg->uid);
	bounce_bind_str(stmt, 4, msg->message_guid);
	if (bounce_store_step_done(store, &stmt, "UPDATE", error_r) < 0)
		return -1;

	if (bounce_store_prepare(store, bounce_store_resolve_forget_sql,
				 &stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, msg->mailbox_guid);
	bounce_bind_str(stmt, 2, msg->storage_id);
	return bounce_store_step_done(store, &stmt, "UPDATE", error_r);
}

int bounce_store_resolve(struct bounce_store *store,
			 const ARRAY_TYPE(bounce_store_unresolved) *resolved,
			 const char **error_r)
{
	const struct bounce_store_unresolved *msg;

	if (array_count(resolved) == 0)
		return 0;
	if (bounce_store_begin(store, error_r) < 0)
		return -1;
	array_foreach(resolved, msg) {
		if (!msg->resolved)
			continue;
		if (bounce_store_resolve_one(store, msg, error_r) < 0) {
			bounce_store_rollback(store);
			return -1;
		}
	}
	return bounce_store_commit(store, error_r);
}
