/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "bounce-store.h"
#include "doveadm-bounce.h"

/* doveadm bounce prune --before DATE: retention. Suppressions stay in
   force; see bounce_store_prune(). */

struct prune_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	time_t before;
};

static bool cmd_bounce_prune_parse_arg(struct doveadm_mail_cmd_context *_ctx,
				       int c)
{
	struct prune_cmd_context *ctx = (struct prune_cmd_context *)_ctx;

	if (c != 'b')
		return FALSE;
	return doveadm_bounce_parse_date_arg("before", optarg, &ctx->before);
}

static int cmd_bounce_prune_run(struct doveadm_mail_cmd_context *_ctx,
				struct mail_user *user)
{
	struct prune_cmd_context *ctx = (struct prune_cmd_context *)_ctx;
	struct bounce_store *store;
	const char *error;
	int ret, rows = 0;

	if ((ret = doveadm_bounce_open_store(_ctx, user, &store)) < 0)
		return -1;
	if (ret > 0) {
		rows = bounce_store_prune(store, ctx->before, &error);
		bounce_store_close(&store);
		if (rows < 0) {
			doveadm_bounce_store_failed(_ctx, error);
			return -1;
		}
	}
	doveadm_print_num(rows);
	return 0;
}

static void cmd_bounce_prune_init(struct doveadm_mail_cmd_context *_ctx,
				  const char *const args[] ATTR_UNUSED)
{
	struct prune_cmd_context *ctx = (struct prune_cmd_context *)_ctx;

	if (ctx->before == 0)
		doveadm_mail_help_name("bounce prune");
	doveadm_print_header("deleted", "deleted",
			     DOVEADM_PRINT_HEADER_FLAG_NUMBER |
			     DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY);
}

static struct doveadm_mail_cmd_context *cmd_bounce_prune_alloc(void)
{
	struct prune_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct prune_cmd_context);
	ctx->ctx.getopt_args = "b:";
	ctx->ctx.v.parse_arg = cmd_bounce_prune_parse_arg;
	ctx->ctx.v.init = cmd_bounce_prune_init;
	ctx->ctx.v.run = cmd_bounce_prune_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_prune = {
	.name = "bounce prune",
	.mail_cmd = cmd_bounce_prune_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX "--before <date>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('b', "before", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};
