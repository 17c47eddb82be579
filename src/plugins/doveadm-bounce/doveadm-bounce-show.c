/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "strnum.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "bounce-store.h"
#include "doveadm-bounce.h"

/* doveadm bounce show ID: every stored field of one bounce row, the rule
   that decided it and the campaign headers included */

struct show_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	struct bounce_store_filter filter;
	bool found;
};

static void cmd_bounce_show_print_row(const char *const *values,
				      void *context)
{
	struct show_cmd_context *ctx = context;

	ctx->found = TRUE;
	doveadm_bounce_print_values(bounce_store_bounce_columns,
				    bounce_store_bounce_columns_count, 0,
				    values);
}

static int cmd_bounce_show_run(struct doveadm_mail_cmd_context *_ctx,
			       struct mail_user *user)
{
	struct show_cmd_context *ctx = (struct show_cmd_context *)_ctx;
	struct bounce_store *store;
	const char *error;
	int ret;

	ctx->found = FALSE;
	if ((ret = doveadm_bounce_open_store(_ctx, user, &store)) < 0)
		return -1;
	if (ret > 0) {
		ret = bounce_store_list(store, &ctx->filter,
					cmd_bounce_show_print_row, ctx, &error);
		bounce_store_close(&store);
		if (ret < 0) {
			doveadm_bounce_store_failed(_ctx, error);
			return -1;
		}
	}
	if (!ctx->found) {
		i_error("No bounce with id %lld",
			(long long)ctx->filter.id);
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_NOTFOUND);
		return -1;
	}
	return 0;
}

static void cmd_bounce_show_init(struct doveadm_mail_cmd_context *_ctx,
				 const char *const args[])
{
	struct show_cmd_context *ctx = (struct show_cmd_context *)_ctx;
	uint64_t id;

	if (args[0] == NULL || args[1] != NULL ||
	    str_to_uint64(args[0], &id) < 0 || id == 0 || id > INT64_MAX)
		doveadm_mail_help_name("bounce show");
	ctx->filter.id = (int64_t)id;
	doveadm_bounce_print_headers(bounce_store_bounce_columns,
				     bounce_store_bounce_columns_count, 0);
}

static struct doveadm_mail_cmd_context *cmd_bounce_show_alloc(void)
{
	struct show_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct show_cmd_context);
	ctx->ctx.v.init = cmd_bounce_show_init;
	ctx->ctx.v.run = cmd_bounce_show_run;
	/* one long row reads best as "field: value" lines */
	doveadm_print_init(DOVEADM_PRINT_TYPE_PAGER);
	return &ctx->ctx;
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_show = {
	.name = "bounce show",
	.mail_cmd = cmd_bounce_show_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX "<id>",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('\0', "id", CMD_PARAM_STR, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
