#ifndef BOUNCE_PLUGIN_H
#define BOUNCE_PLUGIN_H

#include "module-context.h"
#include "mail-user.h"
#include "bounce-settings.h"

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
	struct bounce_analyze_settings analyze;
};

/* Read the user's settings into set_r (allocated from user->pool).
   Returns -1 with error_r set if a setting is invalid. */
int bounce_user_settings_read(struct mail_user *user,
			      struct bounce_user_settings *set_r,
			      const char **error_r);

#endif
