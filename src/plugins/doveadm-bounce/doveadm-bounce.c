/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "iso8601-date.h"
#include "mail-user.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "bounce-store.h"
#include "bounce-plugin.h"
#include "doveadm-bounce.h"

#include <sys/stat.h>
#include <time.h>

/* The doveadm plugin links its own copy of libbounce (hidden symbols)
   instead of using the mail plugin's context: "bounce classify" must work
   with no user and no mail_plugins at all, and "list" must work for users
   whose mail_plugins lack bounce. */

BOUNCE_EXPORT const char *doveadm_bounce_plugin_version = DOVECOT_ABI_VERSION;
BOUNCE_EXPORT void doveadm_bounce_plugin_init(struct module *module);
BOUNCE_EXPORT void doveadm_bounce_plugin_deinit(void);

int doveadm_bounce_open_store(struct doveadm_mail_cmd_context *ctx,
			      struct mail_user *user,
			      struct bounce_store **store_r)
{
	struct bounce_user_settings set;
	struct stat st;
	const char *error;

	if (bounce_user_settings_read(user, &set, &error) < 0) {
		i_error("%s", error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_PARAMS);
		return -1;
	}
	if (stat(set.db_path, &st) < 0) {
		if (errno == ENOENT) {
			/* nothing recorded yet: an empty answer */
			return 0;
		}
		i_error("stat(%s) failed: %m", set.db_path);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_PERM);
		return -1;
	}
	if (bounce_store_open_readonly(set.db_path, set.busy_timeout_msecs,
				       store_r, &error) < 0) {
		i_error("%s", error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
		return -1;
	}
	return 1;
}

bool doveadm_bounce_parse_date(const char *str, time_t *time_r)
{
	struct tm tm;
	int tz;

	if (iso8601_date_parse((const unsigned char *)str, strlen(str),
			       time_r, &tz))
		return TRUE;
	/* a bare date: midnight UTC */
	i_zero(&tm);
	if (strlen(str) != 10 ||
	    sscanf(str, "%4d-%2d-%2d", &tm.tm_year, &tm.tm_mon,
		   &tm.tm_mday) != 3)
		return FALSE;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31)
		return FALSE;
	tm.tm_year -= 1900;
	tm.tm_mon--;
	*time_r = timegm(&tm);
	return *time_r != (time_t)-1;
}

static struct doveadm_cmd_ver2 *const doveadm_bounce_commands[] = {
	&doveadm_bounce_cmd_list,
	&doveadm_bounce_cmd_classify,
	&doveadm_bounce_cmd_explain,
};

void doveadm_bounce_plugin_init(struct module *module ATTR_UNUSED)
{
	for (unsigned int i = 0; i < N_ELEMENTS(doveadm_bounce_commands); i++)
		doveadm_cmd_register_ver2(doveadm_bounce_commands[i]);
}

void doveadm_bounce_plugin_deinit(void)
{
}
