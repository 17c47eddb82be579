/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "guid.h"
#include "mail-storage-private.h"
#include "bounce-plugin.h"

/* Every row names its mailbox by GUID. On maildir that GUID lives in
   dovecot-uidlist's header, which a delivery doesn't otherwise read:
   asked before commit it costs reading the whole file, and asked after
   commit maildir even rewrites the whole file under its lock to be sure
   of it. So it is read once per process, before commit. */

/* The process's last bounce mailbox. A bounce server has one (or a
   few) bounce mailboxes: one entry is enough, and stays bounded. A
   mailbox's GUID changes only when the mailbox is recreated, and that
   gives it a new UIDVALIDITY too. */
static struct {
	char *path;
	uint32_t uidvalidity;
	char guid[GUID_128_SIZE * 2 + 1];
} bounce_mailbox_guid_cache;

static bool bounce_mailbox_cache_key(struct mailbox *box, const char **path_r,
				     uint32_t *uidvalidity_r)
{
	struct mailbox_status status;

	if (mailbox_get_path_to(box, MAILBOX_LIST_PATH_TYPE_MAILBOX,
				path_r) <= 0)
		return FALSE;
	mailbox_get_open_status(box, STATUS_UIDVALIDITY, &status);
	/* a mailbox not synced yet has no UIDVALIDITY to tell it by */
	*uidvalidity_r = status.uidvalidity;
	return status.uidvalidity != 0;
}

const char *bounce_mailbox_guid_lookup(struct mailbox *box)
{
	struct mailbox_metadata metadata;
	const char *path, *guid;
	uint32_t uidvalidity;
	bool cacheable;

	cacheable = bounce_mailbox_cache_key(box, &path, &uidvalidity);
	if (cacheable && bounce_mailbox_guid_cache.path != NULL &&
	    bounce_mailbox_guid_cache.uidvalidity == uidvalidity &&
	    strcmp(bounce_mailbox_guid_cache.path, path) == 0)
		return bounce_mailbox_guid_cache.guid;

	if (mailbox_get_metadata(box, MAILBOX_METADATA_GUID, &metadata) < 0)
		return "";
	guid = guid_128_to_string(metadata.guid);
	if (cacheable) {
		i_free(bounce_mailbox_guid_cache.path);
		bounce_mailbox_guid_cache.path = i_strdup(path);
		bounce_mailbox_guid_cache.uidvalidity = uidvalidity;
		i_assert(strlen(guid) < sizeof(bounce_mailbox_guid_cache.guid));
		i_strocpy(bounce_mailbox_guid_cache.guid, guid,
			  sizeof(bounce_mailbox_guid_cache.guid));
	}
	return guid;
}

void bounce_mailbox_guid_cache_deinit(void)
{
	i_free(bounce_mailbox_guid_cache.path);
	i_zero(&bounce_mailbox_guid_cache);
}

/* The GUID of a mail being saved, if the storage has it before commit,
   else NULL. sdbox and mdbox give a new mail its GUID when they start
   writing it. Maildir makes a GUID of the file's final name, which only
   the commit settles, and asserts if asked while saving; copies may
   keep their source's GUID. The integration tests compare what is
   recorded with "doveadm fetch guid" on maildir, sdbox and mdbox. */
const char *bounce_saving_mail_guid(struct mail *mail)
{
	const char *guid;

	if (!mail->saving || strcmp(mail->box->storage->name, "maildir") == 0)
		return NULL;
	if (mail_get_special(mail, MAIL_FETCH_GUID, &guid) < 0 ||
	    *guid == '\0')
		return NULL;
	return guid;
}

bool bounce_storage_numbers_later(struct mailbox *box)
{
	return strcmp(box->storage->name, "maildir") == 0;
}

/* The name a maildir mail being saved has in tmp/: its final name in
   new/ or cur/ adds only ",S=" and ",W=" sizes and flags to it (see
   doveadm-bounce-resolve.c). */
const char *bounce_saving_mail_storage_id(struct mail *mail)
{
	const char *storage_id;

	if (!mail->saving || !bounce_storage_numbers_later(mail->box))
		return NULL;
	if (mail_get_special(mail, MAIL_FETCH_STORAGE_ID, &storage_id) < 0 ||
	    *storage_id == '\0')
		return NULL;
	return storage_id;
}
