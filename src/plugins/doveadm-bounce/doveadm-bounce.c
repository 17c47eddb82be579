/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "iso8601-date.h"
#include "mail-user.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
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

int doveadm_bounce_user_settings(struct doveadm_mail_cmd_context *ctx,
				 struct mail_user *user,
				 struct bounce_user_settings *set_r)
{
	const char *error;

	if (bounce_user_settings_read(user, set_r, &error) < 0) {
		i_error("%s", error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_PARAMS);
		return -1;
	}
	return 0;
}

void doveadm_bounce_store_failed(struct doveadm_mail_cmd_context *ctx,
				 const char *error)
{
	i_error("%s", error);
	doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
}

/* Bring the database up to date with what deliveries spooled. A failed
   import leaves the rows in the spool: the command goes on with what the
   database has, and says so in its exit code. */
void doveadm_bounce_import_spool(struct doveadm_mail_cmd_context *ctx,
				 struct bounce_store *store,
				 const struct bounce_user_settings *set)
{
	struct bounce_spool_import_result result;
	const char *error;
	unsigned int timeout_secs = (set->busy_timeout_msecs + 999) / 1000;

	if (bounce_store_import_spool(store, set->spool_path, timeout_secs,
				      &result, &error) < 0) {
		i_error("Failed to import the bounce spool %s into %s: %s - "
			"its rows are kept for the next import",
			set->spool_path, set->db_path, error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
	} else if (result.skipped > 0) {
		i_warning("Skipped %u unreadable line(s) of %s",
			  result.skipped, set->spool_path);
	}
}

void doveadm_bounce_resolve(struct doveadm_mail_cmd_context *ctx,
			    struct mail_user *user, struct bounce_store *store)
{
	const char *error;

	if (doveadm_bounce_resolve_uids(user, store, &error) < 0) {
		i_error("Failed to look up the UIDs of recorded bounces: %s",
			error);
		doveadm_mail_failed_error(ctx, MAIL_ERROR_TEMP);
	}
}

int doveadm_bounce_open_store(struct doveadm_mail_cmd_context *ctx,
			      struct mail_user *user,
			      struct bounce_store **store_r)
{
	struct bounce_user_settings set;
	struct stat st;
	const char *error;

	if (doveadm_bounce_user_settings(ctx, user, &set) < 0)
		return -1;
	if (stat(set.db_path, &st) < 0) {
		if (errno == ENOENT && !bounce_spool_exists(set.spool_path)) {
			/* nothing recorded yet: an empty answer */
			return 0;
		}
		if (errno != ENOENT) {
			i_error("stat(%s) failed: %m", set.db_path);
			doveadm_mail_failed_error(ctx, MAIL_ERROR_PERM);
			return -1;
		}
	}
	/* read-write even to read: doveadm runs as the user, the spool is
	   imported, and a database from an older version gets migrated
	   instead of failing until the next delivery */
	if (bounce_store_open(set.db_path, set.busy_timeout_msecs,
			      store_r, &error) < 0) {
		doveadm_bounce_store_failed(ctx, error);
		return -1;
	}
	bounce_store_set_policy(*store_r, &set.policy);
	doveadm_bounce_import_spool(ctx, *store_r, &set);
	doveadm_bounce_resolve(ctx, user, *store_r);
	return 1;
}

static bool doveadm_bounce_column_wanted(const struct bounce_store_column *col,
					 enum bounce_store_column_flags mask)
{
	return (col->flags & mask) == mask;
}

void doveadm_bounce_print_headers(const struct bounce_store_column *columns,
				  unsigned int count,
				  enum bounce_store_column_flags mask)
{
	for (unsigned int i = 0; i < count; i++) {
		enum doveadm_print_header_flags flags = 0;

		if (!doveadm_bounce_column_wanted(&columns[i], mask))
			continue;
		if ((columns[i].flags & BOUNCE_STORE_COLUMN_NUMBER) != 0) {
			flags |= DOVEADM_PRINT_HEADER_FLAG_NUMBER |
				DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY;
		}
		doveadm_print_header(columns[i].key, columns[i].key, flags);
	}
}

void doveadm_bounce_print_values(const struct bounce_store_column *columns,
				 unsigned int count,
				 enum bounce_store_column_flags mask,
				 const char *const *values)
{
	for (unsigned int i = 0; i < count; i++) {
		if (!doveadm_bounce_column_wanted(&columns[i], mask))
			continue;
		if ((columns[i].flags & BOUNCE_STORE_COLUMN_NUMBER) != 0 &&
		    values[i][0] == '\0')
			doveadm_print("0");
		else
			doveadm_print(values[i]);
	}
}

bool doveadm_bounce_parse_date_arg(const char *option, const char *str,
				   time_t *time_r)
{
	if (str == NULL || !doveadm_bounce_parse_date(str, time_r)) {
		i_error("Invalid --%s date: %s (use YYYY-MM-DD or ISO 8601)",
			option, str == NULL ? "" : str);
		return FALSE;
	}
	return TRUE;
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
	&doveadm_bounce_cmd_show,
	&doveadm_bounce_cmd_stats,
	&doveadm_bounce_cmd_suppressed,
	&doveadm_bounce_cmd_export,
	&doveadm_bounce_cmd_unsuppress,
	&doveadm_bounce_cmd_forget,
	&doveadm_bounce_cmd_prune,
	&doveadm_bounce_cmd_rescan,
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
