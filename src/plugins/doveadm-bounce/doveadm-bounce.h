#ifndef DOVEADM_BOUNCE_H
#define DOVEADM_BOUNCE_H

#include "doveadm-cmd.h"
#include "bounce-store.h"

struct mail_user;
struct doveadm_mail_cmd_context;
struct bounce_user_settings;

/* The commands, one file per verb. */
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_list;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_classify;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_explain;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_show;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_stats;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_suppressed;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_export;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_unsuppress;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_forget;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_prune;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_rescan;

/* Read the user's plugin { } settings (from user->pool). Returns 0, or -1
   on error (logged, and the command's exit code set). */
int doveadm_bounce_user_settings(struct doveadm_mail_cmd_context *ctx,
				 struct mail_user *user,
				 struct bounce_user_settings *set_r);
/* Import the user's spool into store (logged and counted as a temporary
   failure if it fails). */
void doveadm_bounce_import_spool(struct doveadm_mail_cmd_context *ctx,
				 struct bounce_store *store,
				 const struct bounce_user_settings *set);
/* Give rows recorded without a UID (maildir deliveries) the UID and GUID
   their message has now (doveadm-bounce-resolve.c). */
int doveadm_bounce_resolve_uids(struct mail_user *user,
				struct bounce_store *store,
				const char **error_r);
/* The same, logging a failure and counting it as a temporary one. */
void doveadm_bounce_resolve(struct doveadm_mail_cmd_context *ctx,
			    struct mail_user *user, struct bounce_store *store);
/* Open the user's database, migrating it if it is older, with the
   user's suppression policy, import its spool and resolve UIDs.
   Returns 1 if opened, 0 if the user has no
   database yet (nothing recorded), -1 on error (logged, and the
   command's exit code set). */
int doveadm_bounce_open_store(struct doveadm_mail_cmd_context *ctx,
			      struct mail_user *user,
			      struct bounce_store **store_r);
/* Log a store error and fail the command with a temporary error. */
void doveadm_bounce_store_failed(struct doveadm_mail_cmd_context *ctx,
				 const char *error);

/* Declare the columns whose flags include all of mask (0: every one);
   NUMBER columns are declared as numbers. */
void doveadm_bounce_print_headers(const struct bounce_store_column *columns,
				  unsigned int count,
				  enum bounce_store_column_flags mask);
/* Print a row's values for the same columns; an empty NUMBER prints 0
   (the json formatter asserts on anything but a number). */
void doveadm_bounce_print_values(const struct bounce_store_column *columns,
				 unsigned int count,
				 enum bounce_store_column_flags mask,
				 const char *const *values);
/* The option parser of the date options: fills *time_r, or logs and
   returns FALSE. */
bool doveadm_bounce_parse_date_arg(const char *option, const char *str,
				   time_t *time_r);
/* Parse a YYYY-MM-DD or ISO 8601 date (UTC unless it has a zone). */
bool doveadm_bounce_parse_date(const char *str, time_t *time_r);

#endif
