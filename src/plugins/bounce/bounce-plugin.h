#ifndef BOUNCE_PLUGIN_H
#define BOUNCE_PLUGIN_H

#include "module-context.h"
#include "mail-user.h"
#include "bounce-settings.h"
#include "bounce-store.h"

struct mail;
struct mailbox;

#define BOUNCE_DEFAULT_MAILBOX "Bounces"
#define BOUNCE_DEFAULT_DB "~/bounces.sqlite"

/* Entry points must stay visible although everything else is hidden. */
#define BOUNCE_EXPORT __attribute__((visibility("default")))

/* The plugin { } settings of one user. Read by the mail plugin in
   mail_user_created and by doveadm for -u/-A (bounce-user.c, compiled
   into both modules). */
struct bounce_user_settings {
	const char *mailbox;
	/* home-expanded path of the SQLite database */
	const char *db_path;
	unsigned int busy_timeout_msecs;
	/* bounce_spool_max_size: deliveries append to spool_path until it
	   is this large, then import it; 0 = record into db_path at once */
	uoff_t spool_max_size;
	const char *spool_path;
	struct bounce_analyze_settings analyze;
	/* bounce_soft_limit, bounce_soft_window */
	struct bounce_store_policy policy;
	/* bounce_keywords: tag each classified message ($BounceHard...) */
	bool keywords;
};

/* A larger bounce_soft_limit is surely a typo (and costs memory). */
#define BOUNCE_SOFT_LIMIT_MAX 1000

/* Read the user's settings into set_r (allocated from user->pool).
   Returns -1 with error_r set if a setting is invalid. */
int bounce_user_settings_read(struct mail_user *user,
			      struct bounce_user_settings *set_r,
			      const char **error_r);

/* Make keyword the message's only bounce keyword (NULL: none), in the
   mail's transaction (bounce-mail-keyword.c). Returns 1 if it was
   added, 0 if the message had it already. */
int bounce_mail_set_keyword(struct mail *mail, const char *keyword);

/* The mailbox's GUID, "" if it can't be read; remembered for the
   process (bounce-mail-guid.c). */
const char *bounce_mailbox_guid_lookup(struct mailbox *box);
void bounce_mailbox_guid_cache_deinit(void);
/* The GUID a mail being saved will have, or NULL if it can only be
   looked up after commit. */
const char *bounce_saving_mail_guid(struct mail *mail);
/* Whether the storage may commit a save without a UID, and the rows can
   name the message by its file until doveadm finds the UID (maildir). */
bool bounce_storage_numbers_later(struct mailbox *box);
/* The name the mail being saved is stored under (maildir), or NULL. */
const char *bounce_saving_mail_storage_id(struct mail *mail);

#endif
