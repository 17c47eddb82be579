/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "settings-parser.h"
#include "mail-user.h"
#include "bounce-reasons.h"
#include "bounce-store.h"
#include "bounce-plugin.h"

static int
bounce_user_setting_size(struct mail_user *user, const char *name,
			 uoff_t *value, const char **error_r)
{
	const char *str = mail_user_plugin_getenv(user, name), *error;

	if (str == NULL || *str == '\0')
		return 0;
	if (settings_get_size(str, value, &error) < 0) {
		*error_r = t_strdup_printf("Invalid %s=%s: %s", name, str, error);
		return -1;
	}
	return 0;
}

static int
bounce_user_setting_msecs(struct mail_user *user, const char *name,
			  unsigned int *value, const char **error_r)
{
	const char *str = mail_user_plugin_getenv(user, name), *error;

	if (str == NULL || *str == '\0')
		return 0;
	if (settings_get_time_msecs(str, value, &error) < 0) {
		*error_r = t_strdup_printf("Invalid %s=%s: %s", name, str, error);
		return -1;
	}
	return 0;
}

static int
bounce_user_setting_uint(struct mail_user *user, const char *name,
			 unsigned int max, unsigned int *value,
			 const char **error_r)
{
	const char *str = mail_user_plugin_getenv(user, name);

	if (str == NULL || *str == '\0')
		return 0;
	if (str_to_uint(str, value) < 0 || *value > max) {
		*error_r = t_strdup_printf("Invalid %s=%s: "
			"must be a number from 0 to %u", name, str, max);
		return -1;
	}
	return 0;
}

static int
bounce_user_setting_secs(struct mail_user *user, const char *name,
			 unsigned int *value, const char **error_r)
{
	const char *str = mail_user_plugin_getenv(user, name), *error;

	if (str == NULL || *str == '\0')
		return 0;
	if (settings_get_time(str, value, &error) < 0) {
		*error_r = t_strdup_printf("Invalid %s=%s: %s", name, str, error);
		return -1;
	}
	return 0;
}

static int
bounce_user_category_overrides(struct mail_user *user,
			       struct bounce_analyze_settings *set,
			       const char **error_r)
{
	for (unsigned int i = 0; i < BOUNCE_REASON_COUNT; i++) {
		const char *name = t_strconcat("bounce_category_",
					       bounce_reason_name(i), NULL);
		const char *value = mail_user_plugin_getenv(user, name);

		if (value == NULL || *value == '\0')
			continue;
		if (!bounce_category_parse(value,
					   &set->category_override[i])) {
			*error_r = t_strdup_printf(
				"Invalid %s=%s: not a category", name, value);
			return -1;
		}
		set->category_overridden[i] = TRUE;
	}
	return 0;
}

static const char *
bounce_user_setting_str(struct mail_user *user, const char *name,
			const char *default_value)
{
	const char *value = mail_user_plugin_getenv(user, name);

	return value == NULL || *value == '\0' ? default_value : value;
}

int bounce_user_settings_read(struct mail_user *user,
			      struct bounce_user_settings *set_r,
			      const char **error_r)
{
	const char *path, *headers;

	i_zero(set_r);
	bounce_analyze_settings_init(&set_r->analyze);
	set_r->mailbox = p_strdup(user->pool, bounce_user_setting_str(user,
		"bounce_mailbox", BOUNCE_DEFAULT_MAILBOX));

	path = bounce_user_setting_str(user, "bounce_db", BOUNCE_DEFAULT_DB);
	if (mail_user_try_home_expand(user, &path) < 0) {
		*error_r = t_strdup_printf(
			"bounce_db=%s: user has no home directory", path);
		return -1;
	}
	if (path[0] != '/') {
		*error_r = t_strdup_printf(
			"bounce_db=%s: must be an absolute path or start with ~/",
			path);
		return -1;
	}
	set_r->db_path = p_strdup(user->pool, path);
	set_r->spool_path = p_strdup(user->pool, bounce_spool_path(path));
	set_r->spool_max_size = BOUNCE_SPOOL_DEFAULT_MAX_SIZE;

	set_r->busy_timeout_msecs = BOUNCE_STORE_DEFAULT_BUSY_TIMEOUT_MSECS;
	if (bounce_user_setting_msecs(user, "bounce_db_busy_timeout",
				      &set_r->busy_timeout_msecs, error_r) < 0 ||
	    bounce_user_setting_size(user, "bounce_spool_max_size",
				     &set_r->spool_max_size, error_r) < 0 ||
	    bounce_user_setting_size(user, "bounce_max_scan_size",
				     &set_r->analyze.max_scan_size,
				     error_r) < 0 ||
	    bounce_user_category_overrides(user, &set_r->analyze, error_r) < 0)
		return -1;

	set_r->policy.soft_limit = BOUNCE_STORE_DEFAULT_SOFT_LIMIT;
	set_r->policy.soft_window_secs = BOUNCE_STORE_DEFAULT_SOFT_WINDOW_SECS;
	if (bounce_user_setting_uint(user, "bounce_soft_limit",
				     BOUNCE_SOFT_LIMIT_MAX,
				     &set_r->policy.soft_limit, error_r) < 0 ||
	    bounce_user_setting_secs(user, "bounce_soft_window",
				     &set_r->policy.soft_window_secs,
				     error_r) < 0)
		return -1;
	if (set_r->policy.soft_window_secs == 0) {
		*error_r = "bounce_soft_window must be longer than 0";
		return -1;
	}
	set_r->keywords = mail_user_plugin_getenv_bool(user, "bounce_keywords");
	if (set_r->analyze.max_scan_size == 0) {
		*error_r = "bounce_max_scan_size must be larger than 0";
		return -1;
	}

	headers = mail_user_plugin_getenv(user, "bounce_campaign_headers");
	if (headers != NULL) {
		set_r->analyze.campaign_headers = (const char *const *)
			p_strsplit_spaces(user->pool, headers, " ,");
	}
	set_r->analyze.verp_delimiters = p_strdup(user->pool,
		bounce_user_setting_str(user, "bounce_verp_delimiters",
					BOUNCE_DEFAULT_VERP_DELIMITERS));
	set_r->analyze.verp_equals = p_strdup(user->pool,
		bounce_user_setting_str(user, "bounce_verp_equals",
					BOUNCE_DEFAULT_VERP_EQUALS));
	return 0;
}
