#ifndef DOVEADM_BOUNCE_H
#define DOVEADM_BOUNCE_H

#include "doveadm-cmd.h"

struct mail_user;
struct doveadm_mail_cmd_context;
struct bounce_store;

/* The commands, one file per verb. */
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_list;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_classify;
extern struct doveadm_cmd_ver2 doveadm_bounce_cmd_explain;

/* Open the user's database read-only. Returns 1 if opened, 0 if the user
   has no database yet (nothing recorded), -1 on error (logged, and the
   command's exit code set). */
int doveadm_bounce_open_store(struct doveadm_mail_cmd_context *ctx,
			      struct mail_user *user,
			      struct bounce_store **store_r);
/* Parse a YYYY-MM-DD or ISO 8601 date (UTC unless it has a zone). */
bool doveadm_bounce_parse_date(const char *str, time_t *time_r);

#endif
