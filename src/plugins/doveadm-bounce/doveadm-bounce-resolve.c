/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "hash.h"
#include "guid.h"
#include "mail-namespace.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "bounce-store.h"
#include "bounce-plugin.h"
#include "doveadm-bounce.h"

/* GUIDs, and UIDs where the commit gave none, for the rows of maildir
   deliveries (bounce-plugin.c doesn't make deliveries wait for the
   uidlist lock, and maildir settles GUIDs at commit). The row has the
   name the file had in tmp/; in new/ and cur/ it
   is the same name with ",S=<size>,W=<vsize>" and flags after it. The
   mailbox is synced first, which numbers the new files as any IMAP or
   POP3 login would. */

struct resolve_mailbox {
	struct mail_user *user;
	const char *vname, *mailbox_guid;
	/* storage_id -> the entry to fill in */
	HASH_TABLE(const char *, struct bounce_store_unresolved *) by_file;
	unsigned int left;
};

static struct bounce_store_unresolved *
resolve_lookup(struct resolve_mailbox *rbox, const char *storage_id)
{
	struct bounce_store_unresolved *msg;
	const char *p;

	msg = hash_table_lookup(rbox->by_file, storage_id);
	for (p = strchr(storage_id, ','); msg == NULL && p != NULL;
	     p = strchr(p + 1, ',')) {
		msg = hash_table_lookup(rbox->by_file,
					t_strdup_until(storage_id, p));
	}
	return msg == NULL || msg->uid != 0 ? NULL : msg;
}

static void resolve_mail(struct resolve_mailbox *rbox, struct mail *mail)
{
	struct bounce_store_unresolved *msg;
	const char *storage_id, *guid;

	if (mail_get_special(mail, MAIL_FETCH_STORAGE_ID, &storage_id) < 0)
		return;
	msg = resolve_lookup(rbox, storage_id);
	if (msg == NULL ||
	    mail_get_special(mail, MAIL_FETCH_GUID, &guid) < 0)
		return;
	msg->uid = mail->uid;
	msg->message_guid = t_strdup(guid);
	rbox->left--;
}

/* The messages looked for are the newest: walk back from the last one
   until all are found (a gone one costs a walk over the whole box). */
static int resolve_in_box(struct resolve_mailbox *rbox, struct mailbox *box)
{
	struct mailbox_transaction_context *t;
	struct mailbox_status status;
	struct mail *mail;

	mailbox_get_open_status(box, STATUS_MESSAGES, &status);
	t = mailbox_transaction_begin(box, MAILBOX_TRANSACTION_FLAG_NO_NOTIFY,
				      "bounce resolve UIDs");
	mail = mail_alloc(t, 0, NULL);
	for (uint32_t seq = status.messages; seq > 0 && rbox->left > 0 &&
	     !doveadm_is_killed(); seq--) {
		mail_set_seq(mail, seq);
		resolve_mail(rbox, mail);
	}
	mail_free(&mail);
	if (doveadm_is_killed()) {
		/* those not reached yet are not gone: nothing is written,
		   the next command looks again */
		mailbox_transaction_rollback(&t);
		return -1;
	}
	return mailbox_transaction_commit(&t);
}

static void resolve_open_failed(struct resolve_mailbox *rbox,
				struct mailbox **box)
{
	i_error("Can't look up the UIDs of recorded bounces in %s: %s",
		rbox->vname, mailbox_get_last_internal_error(*box, NULL));
	mailbox_free(box);
}

/* Returns 1 if opened and synced, 0 if the mailbox and its messages are
   gone, -1 on error. */
static int resolve_open(struct resolve_mailbox *rbox, struct mailbox **box_r)
{
	struct mail_namespace *ns;
	struct mailbox *box;
	struct mailbox_metadata metadata;
	enum mail_error error;

	ns = mail_namespace_find(rbox->user->namespaces, rbox->vname);
	box = mailbox_alloc(ns->list, rbox->vname, 0);
	if (mailbox_open(box) < 0) {
		(void)mailbox_get_last_error(box, &error);
		if (error == MAIL_ERROR_NOTFOUND) {
			mailbox_free(&box);
			return 0;
		}
		resolve_open_failed(rbox, &box);
		return -1;
	}
	if (mailbox_sync(box, MAILBOX_SYNC_FLAG_FULL_READ) < 0 ||
	    mailbox_get_metadata(box, MAILBOX_METADATA_GUID, &metadata) < 0) {
		resolve_open_failed(rbox, &box);
		return -1;
	}
	if (strcmp(guid_128_to_string(metadata.guid), rbox->mailbox_guid) != 0) {
		/* deleted and created again: its messages are gone */
		mailbox_free(&box);
		return 0;
	}
	*box_r = box;
	return 1;
}

/* Resolve the messages of msgs[0..count) (all in one mailbox). Those not
   found are gone (expunged before anyone asked): they keep what they
   have, uid 0 if the commit gave none. */
static int resolve_mailbox(struct mail_user *user,
			   struct bounce_store_unresolved *msgs,
			   unsigned int count)
{
	struct resolve_mailbox rbox;
	struct mailbox *box;
	int ret;

	i_zero(&rbox);
	rbox.user = user;
	rbox.vname = msgs[0].mailbox;
	rbox.mailbox_guid = msgs[0].mailbox_guid;
	hash_table_create(&rbox.by_file, default_pool, count,
			  str_hash, strcmp);
	for (unsigned int i = 0; i < count; i++) {
		msgs[i].message_guid = "";
		hash_table_update(rbox.by_file, msgs[i].storage_id, &msgs[i]);
	}
	rbox.left = count;
	ret = resolve_open(&rbox, &box);
	if (ret > 0) {
		ret = resolve_in_box(&rbox, box);
		mailbox_free(&box);
	}
	hash_table_destroy(&rbox.by_file);
	if (ret < 0)
		return -1;
	/* found, or known to be gone */
	for (unsigned int i = 0; i < count; i++)
		msgs[i].resolved = TRUE;
	return 0;
}

int doveadm_bounce_resolve_uids(struct mail_user *user,
				struct bounce_store *store,
				const char **error_r)
{
	ARRAY_TYPE(bounce_store_unresolved) msgs;
	struct bounce_store_unresolved *all;
	unsigned int count, first = 0;
	int ret = 0;

	t_array_init(&msgs, 16);
	if (bounce_store_unresolved(store, &msgs, error_r) < 0)
		return -1;
	all = array_get_modifiable(&msgs, &count);
	/* by mailbox GUID within a name: a name may have been reused */
	for (unsigned int i = 1; i <= count; i++) {
		if (i < count &&
		    strcmp(all[i].mailbox, all[first].mailbox) == 0 &&
		    strcmp(all[i].mailbox_guid, all[first].mailbox_guid) == 0)
			continue;
		if (resolve_mailbox(user, all + first, i - first) < 0)
			ret = -1;
		first = i;
	}
	/* what was found is kept even if a mailbox failed */
	if (bounce_store_resolve(store, &msgs, error_r) < 0)
		return -1;
	if (ret < 0) {
		*error_r = doveadm_is_killed() ? "killed" :
			"some mailboxes could not be opened (logged)";
	}
	return ret;
}
