/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "str-sanitize.h"
#include "ioloop.h"
#include "istream.h"
#include "seq-range-array.h"
#include "mail-user.h"
#include "mail-storage-private.h"
#include "mail-storage-hooks.h"
#include "notify-plugin.h"
#include "bounce-analyze.h"
#include "bounce-keyword.h"
#include "bounce-classify.h"
#include "bounce-store.h"
#include "bounce-store-cache.h"
#include "bounce-spool.h"
#include "bounce-plugin.h"

#include <sys/stat.h>

/* The mail plugin: parse every message saved into the bounce mailbox
   before commit (the stream is at hand and cheap to read), and record
   the results after commit, when the UIDs are known: into the spool
   (bounce-spool.h), or with bounce_spool_max_size=0 into the database. Nothing here may
   fail a save: errors are logged and the message stays in the mailbox
   for "doveadm bounce rescan". */

#define BOUNCE_USER_CONTEXT(obj) \
	MODULE_CONTEXT(obj, bounce_user_module)

struct bounce_user {
	union mail_user_module_context module_ctx;
	struct bounce_user_settings set;
	struct event *event;
};

/* one saved message, parsed, waiting for its UID */
struct bounce_pending {
	struct bounce_report *report;
	/* known only after commit (see bounce_resolve_message_guids()) */
	uint32_t uid;
	const char *message_guid;
	/* maildir: the file, for when the commit gives no UID */
	const char *storage_id;
	const char *message_id;
	/* "save", "deliver", "copy": for the log */
	const char *how;
};

struct bounce_transaction {
	pool_t pool;
	struct bounce_user *buser;
	struct mailbox *box;
	const char *vname;
	const char *mailbox_guid;
	ARRAY(struct bounce_pending) pending;
};

static struct event_category event_category_bounce = {
	.name = "bounce",
};

static MODULE_CONTEXT_DEFINE_INIT(bounce_user_module,
				  &mail_user_module_register);
static struct notify_context *bounce_notify_ctx;

BOUNCE_EXPORT const char *bounce_plugin_version = DOVECOT_ABI_VERSION;
BOUNCE_EXPORT const char *bounce_plugin_dependencies[] = { "notify", NULL };
BOUNCE_EXPORT void bounce_plugin_init(struct module *module);
BOUNCE_EXPORT void bounce_plugin_deinit(void);

struct bounce_spool_import_context {
	struct bounce_user *buser;
	struct bounce_store *store;
	struct bounce_spool_import_result result;
};

/* The database is opened only once a spool file is ours: if it can't be,
   the file stays as <spool>.importing, which tells the next sessions
   that doveadm has to sort it out (bounce_user_imports_at_logout()). */
static int bounce_spool_import_file(struct istream *input, void *context,
				    const char **error_r)
{
	struct bounce_spool_import_context *ctx = context;
	const struct bounce_user_settings *set = &ctx->buser->set;

	if (ctx->store == NULL) {
		if (bounce_store_cache_open(set->db_path,
					    set->busy_timeout_msecs,
					    &ctx->store, error_r) < 0)
			return -1;
		bounce_store_set_policy(ctx->store, &set->policy);
	}
	return bounce_store_import_rows(ctx->store, input, &ctx->result,
					error_r);
}

/* Import the spool, logging a failure. */
static void bounce_spool_import_logged(struct bounce_user *buser)
{
	const struct bounce_user_settings *set = &buser->set;
	struct bounce_spool_import_context ctx = { .buser = buser };
	const char *error;
	int ret;

	ret = bounce_spool_import(set->spool_path, 0, bounce_spool_import_file,
				  &ctx, &error);
	if (ctx.store != NULL)
		bounce_store_cache_release(&ctx.store, ret < 0);
	if (ret < 0) {
		e_error(buser->event,
			"Failed to import the bounce spool %s into %s: %s - "
			"its rows are kept, any 'doveadm bounce' command "
			"imports them once fixed", set->spool_path,
			set->db_path, error);
		return;
	}
	if (ctx.result.skipped > 0) {
		e_warning(buser->event, "Skipped %u unreadable line(s) of %s",
			  ctx.result.skipped, set->spool_path);
	}
	e_debug(buser->event, "imported %u row(s) from %s", ctx.result.rows,
		set->spool_path);
}

/* An IMAP or POP3 session of the user (an application polling the
   bounce mailbox, a person reading it) imports what deliveries spooled
   when it ends, so that LMTP processes rarely need SQLite at all. A
   failed import left its file for doveadm, which reports why: the
   sessions don't try it again and again. */
static bool bounce_user_imports_at_logout(struct mail_user *user,
					  const struct bounce_user *buser)
{
	struct stat st;

	if (buser->set.spool_max_size == 0 || user->service == NULL ||
	    (strcmp(user->service, "imap") != 0 &&
	     strcmp(user->service, "pop3") != 0))
		return FALSE;
	if (stat(bounce_spool_importing_path(buser->set.spool_path), &st) == 0)
		return FALSE;
	return stat(buser->set.spool_path, &st) == 0 && st.st_size > 0;
}

static void bounce_user_deinit(struct mail_user *user)
{
	struct bounce_user *buser = BOUNCE_USER_CONTEXT(user);

	T_BEGIN {
		if (bounce_user_imports_at_logout(user, buser))
			bounce_spool_import_logged(buser);
	} T_END;
	event_unref(&buser->event);
	buser->module_ctx.super.deinit(user);
}

static void bounce_mail_user_created(struct mail_user *user)
{
	struct mail_user_vfuncs *v = user->vlast;
	struct bounce_user *buser;
	const char *error;

	/* LMTP and LDA create a raw user for the incoming mail, and shared
	   namespaces autocreate their owners: neither has a bounce mailbox */
	if (user->autocreated)
		return;

	buser = p_new(user->pool, struct bounce_user, 1);
	if (bounce_user_settings_read(user, &buser->set, &error) < 0) {
		/* the plugin stays off for this user; mail flows as usual */
		e_error(user->event, "bounce: %s - plugin disabled", error);
		return;
	}
	buser->event = event_create(user->event);
	event_add_category(buser->event, &event_category_bounce);
	event_set_append_log_prefix(buser->event, "bounce: ");
	e_debug(buser->event, "mailbox=%s db=%s", buser->set.mailbox,
		buser->set.db_path);

	buser->module_ctx.super = *v;
	user->vlast = &buser->module_ctx.super;
	v->deinit = bounce_user_deinit;
	MODULE_CONTEXT_SET(user, bounce_user_module, buser);
}

static void *
bounce_mail_transaction_begin(struct mailbox_transaction_context *t)
{
	struct mailbox *box = mailbox_transaction_get_mailbox(t);
	struct bounce_user *buser = BOUNCE_USER_CONTEXT(box->storage->user);
	struct bounce_transaction *btxn;
	pool_t pool;

	/* notify callbacks are process-wide: skip users without the plugin */
	if (buser == NULL)
		return NULL;
	if (strcmp(mailbox_get_vname(box), buser->set.mailbox) != 0)
		return NULL;
	/* dsync replicating into this mailbox: the replica's own saves were
	   recorded on the server that received them */
	if ((t->flags & MAILBOX_TRANSACTION_FLAG_SYNC) != 0)
		return NULL;

	/* Single-recipient LMTP/LDA and doveadm save don't ask for UIDs, and
	   maildir then only try-locks the uidlist: under concurrent delivery
	   many commits come back without UIDs. Waiting for the lock would
	   make every delivery pay for the uidlist's rewrite, so on maildir
	   a row names its message by file until doveadm gives it the UID
	   (doveadm-bounce-resolve.c). Other storages number at commit
	   anyway; keywords need the UIDs at once. */
	if (!bounce_storage_numbers_later(box) || buser->set.keywords)
		t->flags |= MAILBOX_TRANSACTION_FLAG_ASSIGN_UIDS;

	pool = pool_alloconly_create("bounce transaction", 2048);
	btxn = p_new(pool, struct bounce_transaction, 1);
	btxn->pool = pool;
	btxn->buser = buser;
	btxn->box = box;
	btxn->vname = p_strdup(pool, mailbox_get_vname(box));
	p_array_init(&btxn->pending, pool, 4);
	return btxn;
}

static void bounce_transaction_free(struct bounce_transaction *btxn)
{
	pool_unref(&btxn->pool);
}

/* The mail a save reads from, if it has one: for LMTP and LDA deliveries
   (mailbox_save_using_mail()) and for copies done by saving, the source
   mail, whose stream the save has just read, in memory or in LMTP's
   temporary file. Reading the saved mail instead opened and read its file
   once more: on maildir an open() in tmp/ while the other deliveries
   create files there, the dearest part of what we added to a delivery.
   The bytes are the same but for line endings the storage may have
   changed, which the parser doesn't see. */
static struct mail *bounce_saved_mail_source(struct mail *mail)
{
	struct mail_save_context *ctx = mail->transaction->save_ctx;

	if (ctx == NULL || ctx->dest_mail != mail || ctx->copy_src_mail == NULL)
		return mail;
	return ctx->copy_src_mail;
}

static int bounce_analyze_mail(struct bounce_transaction *btxn,
			       struct mail *mail, const char *how)
{
	struct bounce_pending *pending;
	struct mail *source = bounce_saved_mail_source(mail);
	struct istream *input;
	const char *error;

	pending = array_append_space(&btxn->pending);
	pending->how = how;
	/* before commit: after it, maildir would rewrite dovecot-uidlist
	   to be sure of the GUID (see bounce-mail-guid.c) */
	if (btxn->mailbox_guid == NULL) {
		btxn->mailbox_guid = p_strdup(btxn->pool,
			bounce_mailbox_guid_lookup(btxn->box));
	}

	if (mail_get_stream_because(source, NULL, NULL, "bounce analysis",
				    &input) < 0) {
		error = mailbox_get_last_internal_error(source->box, NULL);
		e_error(btxn->buser->event,
			"Failed to read saved mail in %s: %s",
			btxn->vname, error);
		return -1;
	}
	if (bounce_analyze_stream(input, &btxn->buser->set.analyze,
				  btxn->pool, &pending->report, &error) < 0) {
		e_error(btxn->buser->event,
			"Failed to parse saved mail in %s: %s",
			btxn->vname, error);
		pending->report = NULL;
		return -1;
	}
	/* from the parse: asking the mail for it made Dovecot parse the
	   header of the mail being saved once more */
	pending->message_id = pending->report->message_id;
	/* copies may keep their source's GUID or file name: looked up by
	   UID after commit (COPY and MOVE always ask for UIDs) */
	if (strcmp(how, "copy") != 0) {
		pending->message_guid = p_strdup(btxn->pool,
						 bounce_saving_mail_guid(mail));
		pending->storage_id = p_strdup(btxn->pool,
			bounce_saving_mail_storage_id(mail));
	}
	return 0;
}

static void bounce_save_or_copy(struct bounce_transaction *btxn,
				struct mail *mail, const char *how)
{
	/* a failure is logged there and leaves the message without a row,
	   for rescan to fill in */
	T_BEGIN {
		(void)bounce_analyze_mail(btxn, mail, how);
	} T_END;
}

/* notify calls every callback for every transaction, also with the NULL
   that bounce_mail_transaction_begin() returned for transactions outside
   the bounce mailbox: each callback must ignore those. */

static void bounce_mail_save(void *txn, struct mail *mail)
{
	struct bounce_transaction *btxn = txn;

	if (btxn == NULL)
		return;
	/* POST_SESSION marks LMTP/LDA delivery (incl. Sieve fileinto) */
	bounce_save_or_copy(btxn, mail,
		(mail->box->flags & MAILBOX_FLAG_POST_SESSION) != 0 ?
		"deliver" : "save");
}

static void bounce_mail_copy(void *txn, struct mail *src ATTR_UNUSED,
			     struct mail *dst)
{
	if (txn == NULL)
		return;
	bounce_save_or_copy(txn, dst, "copy");
}

static void bounce_emit_recorded(struct bounce_transaction *btxn,
				 const struct bounce_pending *pending)
{
	const struct bounce_recipient *rcpt;

	array_foreach(&pending->report->recipients, rcpt) {
		struct event *event = event_create(btxn->buser->event);

		event_set_name(event, "bounce_recorded");
		event_add_str(event, "mailbox", btxn->vname);
		event_add_str(event, "category",
			      bounce_category_name(rcpt->category));
		event_add_str(event, "reason", bounce_reason_name(rcpt->reason));
		event_add_str(event, "how", pending->how);
		/* metrics count this event even with debug logging off */
		e_debug(event, "%s uid=%u recipient=%s reason=%s category=%s",
			pending->how, pending->uid,
			str_sanitize(rcpt->address, 256),
			bounce_reason_name(rcpt->reason),
			bounce_category_name(rcpt->category));
		event_unref(&event);
	}
}

static void
bounce_assign_uids(struct bounce_transaction *btxn,
		   struct mail_transaction_commit_changes *changes)
{
	struct bounce_pending *pending;
	struct seq_range_iter iter;
	unsigned int n = 0;

	seq_range_array_iter_init(&iter, &changes->saved_uids);
	array_foreach_modifiable(&btxn->pending, pending) {
		if (!seq_range_array_iter_nth(&iter, n++, &pending->uid))
			pending->uid = 0;
	}
}

static bool bounce_guids_missing(const struct bounce_transaction *btxn)
{
	const struct bounce_pending *pending;

	array_foreach(&btxn->pending, pending) {
		if (pending->uid != 0 && pending->message_guid == NULL &&
		    pending->storage_id == NULL)
			return TRUE;
	}
	return FALSE;
}

/* What bounce_saving_mail_guid() couldn't give before commit and no file
   name stands for (copies into storages other than maildir): look the
   committed messages up by UID in a separate instance of the mailbox.
   Without a GUID the row is still keyed by mailbox GUID and UID. On
   maildir this instance cost about 5% of a delivery: there the file name
   stands for the GUID until doveadm looks it up. */
static void bounce_resolve_message_guids(struct bounce_transaction *btxn)
{
	struct mailbox *box;
	struct mailbox_transaction_context *t;
	struct bounce_pending *pending;
	struct mail *mail;
	const char *guid;

	if (!bounce_guids_missing(btxn))
		return;
	box = mailbox_alloc(btxn->box->list, btxn->vname,
			    MAILBOX_FLAG_READONLY);
	if (mailbox_open(box) < 0) {
		e_warning(btxn->buser->event,
			  "Can't look up message GUIDs in %s: %s", btxn->vname,
			  mailbox_get_last_internal_error(box, NULL));
		mailbox_free(&box);
		return;
	}
	/* our own lookup is nothing to report to notify plugins */
	t = mailbox_transaction_begin(box, MAILBOX_TRANSACTION_FLAG_NO_NOTIFY,
				      "bounce message GUIDs");
	mail = mail_alloc(t, 0, NULL);
	array_foreach_modifiable(&btxn->pending, pending) {
		if (pending->uid == 0 || pending->message_guid != NULL ||
		    !mail_set_uid(mail, pending->uid))
			continue;
		if (mail_get_special(mail, MAIL_FETCH_GUID, &guid) == 0 &&
		    *guid != '\0')
			pending->message_guid = p_strdup(btxn->pool, guid);
	}
	mail_free(&mail);
	(void)mailbox_transaction_commit(&t);
	mailbox_free(&box);
}

static void bounce_pending_message(struct bounce_transaction *btxn,
				   const struct bounce_pending *pending,
				   struct bounce_store_message *msg_r)
{
	i_zero(msg_r);
	msg_r->mailbox = btxn->vname;
	msg_r->mailbox_guid = btxn->mailbox_guid;
	msg_r->uid = pending->uid;
	if (pending->message_guid != NULL)
		msg_r->message_guid = pending->message_guid;
	else if (pending->storage_id != NULL) {
		/* maildir: doveadm fills in the GUID, and the UID if the
		   commit gave none */
		msg_r->message_guid = "";
		msg_r->storage_id = pending->storage_id;
	} else {
		msg_r->message_guid = t_strdup_printf("%s:%u",
			btxn->mailbox_guid, pending->uid);
	}
	msg_r->message_id = pending->message_id;
	msg_r->recorded_at = ioloop_time;
}

static void bounce_emit_all_recorded(struct bounce_transaction *btxn)
{
	const struct bounce_pending *pending;

	array_foreach(&btxn->pending, pending) {
		if (pending->report != NULL)
			bounce_emit_recorded(btxn, pending);
	}
}

static int bounce_record_direct(struct bounce_transaction *btxn,
				const char **error_r)
{
	struct bounce_store *store;
	struct bounce_store_message msg;
	const struct bounce_pending *pending;
	int ret = 0;

	if (bounce_store_cache_open(btxn->buser->set.db_path,
				    btxn->buser->set.busy_timeout_msecs,
				    &store, error_r) < 0)
		return -1;
	bounce_store_set_policy(store, &btxn->buser->set.policy);

	array_foreach(&btxn->pending, pending) {
		if (pending->report == NULL)
			continue;
		bounce_pending_message(btxn, pending, &msg);
		if (bounce_store_record(store, &msg, pending->report,
					error_r) < 0) {
			ret = -1;
			break;
		}
		bounce_emit_recorded(btxn, pending);
	}
	bounce_store_cache_release(&store, ret < 0);
	return ret;
}

static int bounce_record_spooled(struct bounce_transaction *btxn,
				 const char **error_r)
{
	const struct bounce_user_settings *set = &btxn->buser->set;
	struct bounce_store_message msg;
	const struct bounce_pending *pending;
	string_t *rows = t_str_new(2048);
	uoff_t spool_size;

	array_foreach(&btxn->pending, pending) {
		if (pending->report == NULL)
			continue;
		bounce_pending_message(btxn, pending, &msg);
		bounce_store_spool_rows(rows, &msg, pending->report);
	}
	if (str_len(rows) == 0)
		return 0;
	if (!bounce_spool_lines_fit(str_data(rows), str_len(rows))) {
		*error_r = "a row is too long for the spool";
		return -1;
	}
	if (bounce_spool_append(set->spool_path, str_data(rows),
				str_len(rows), &spool_size, error_r) < 0)
		return -1;
	bounce_emit_all_recorded(btxn);
	/* nobody has read the results for a while: this delivery imports
	   them, without waiting for an import another process runs */
	if (spool_size >= set->spool_max_size)
		bounce_spool_import_logged(btxn->buser);
	return 0;
}

static int bounce_record_all(struct bounce_transaction *btxn,
			     const char **error_r)
{
	const char *spool_error;

	if (btxn->buser->set.spool_max_size == 0)
		return bounce_record_direct(btxn, error_r);
	if (bounce_record_spooled(btxn, &spool_error) == 0)
		return 0;
	/* the database may still take them */
	if (bounce_record_direct(btxn, error_r) < 0) {
		*error_r = t_strdup_printf("%s (and the spool: %s)",
					   *error_r, spool_error);
		return -1;
	}
	e_warning(btxn->buser->event,
		  "Recorded into %s directly: the spool failed: %s",
		  btxn->buser->set.db_path, spool_error);
	return 0;
}

static void bounce_keyword_pending(struct bounce_transaction *btxn,
				   struct mail *mail,
				   const struct bounce_pending *pending)
{
	const char *keyword;

	if (pending->report == NULL || pending->uid == 0)
		return;
	keyword = bounce_report_keyword(pending->report);
	if (keyword == NULL)
		return;
	if (!mail_set_uid(mail, pending->uid)) {
		/* expunged already, e.g. by a Sieve script or another client */
		e_debug(btxn->buser->event, "uid=%u gone before tagging",
			pending->uid);
		return;
	}
	(void)bounce_mail_set_keyword(mail, keyword);
}

/* Tag the committed messages with their category keyword. A separate
   mailbox instance and transaction: the saving transaction is finished
   and its UIDs are final, and this works the same whichever way the
   mail came in (LMTP, LDA, APPEND, COPY/MOVE, doveadm save). Only
   flags change, never the message. */
static int bounce_keywords_apply(struct bounce_transaction *btxn,
				 const char **error_r)
{
	struct mailbox *box;
	struct mailbox_transaction_context *t;
	struct mail *mail;
	const struct bounce_pending *pending;
	int ret;

	box = mailbox_alloc(btxn->box->list, btxn->vname, 0);
	if (mailbox_open(box) < 0 || mailbox_sync(box, 0) < 0) {
		*error_r = mailbox_get_last_internal_error(box, NULL);
		mailbox_free(&box);
		return -1;
	}
	t = mailbox_transaction_begin(box, 0, "bounce keywords");
	mail = mail_alloc(t, 0, NULL);
	array_foreach(&btxn->pending, pending)
		bounce_keyword_pending(btxn, mail, pending);
	mail_free(&mail);
	ret = mailbox_transaction_commit(&t);
	if (ret < 0)
		*error_r = mailbox_get_last_internal_error(box, NULL);
	mailbox_free(&box);
	return ret;
}

static void
bounce_mail_transaction_commit(void *txn,
			       struct mail_transaction_commit_changes *changes)
{
	struct bounce_transaction *btxn = txn;
	const char *error;
	int ret;

	if (btxn == NULL)
		return;
	if (array_count(&btxn->pending) == 0) {
		bounce_transaction_free(btxn);
		return;
	}
	T_BEGIN {
		bounce_assign_uids(btxn, changes);
		bounce_resolve_message_guids(btxn);
		ret = bounce_record_all(btxn, &error);
		if (ret < 0) {
			/* the mail is saved; only our rows are missing */
			e_error(btxn->buser->event,
				"Failed to record %u bounce message(s) saved to %s "
				"(user %s): %s - the mail is kept, run "
				"'doveadm bounce rescan -u %s' once fixed",
				array_count(&btxn->pending), btxn->vname,
				btxn->box->storage->user->username, error,
				btxn->box->storage->user->username);
		}
		if (btxn->buser->set.keywords &&
		    bounce_keywords_apply(btxn, &error) < 0) {
			e_error(btxn->buser->event,
				"Failed to set bounce keywords in %s: %s - "
				"'doveadm bounce rescan --reclassify' sets them",
				btxn->vname, error);
		}
	} T_END;
	bounce_transaction_free(btxn);
}

static void bounce_mail_transaction_rollback(void *txn)
{
	if (txn == NULL)
		return;
	bounce_transaction_free(txn);
}

static const struct notify_vfuncs bounce_notify_vfuncs = {
	.mail_transaction_begin = bounce_mail_transaction_begin,
	.mail_save = bounce_mail_save,
	.mail_copy = bounce_mail_copy,
	.mail_transaction_commit = bounce_mail_transaction_commit,
	.mail_transaction_rollback = bounce_mail_transaction_rollback,
};

static struct mail_storage_hooks bounce_mail_storage_hooks = {
	.mail_user_created = bounce_mail_user_created,
};

void bounce_plugin_init(struct module *module)
{
	bounce_notify_ctx = notify_register(&bounce_notify_vfuncs);
	mail_storage_hooks_add(module, &bounce_mail_storage_hooks);
}

void bounce_plugin_deinit(void)
{
	mail_storage_hooks_remove(&bounce_mail_storage_hooks);
	notify_unregister(bounce_notify_ctx);
	bounce_store_cache_deinit();
	bounce_mailbox_guid_cache_deinit();
	bounce_classify_deinit();
}
