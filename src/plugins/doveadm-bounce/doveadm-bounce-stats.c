/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "bounce-store.h"
#include "doveadm-bounce.h"

/* doveadm bounce stats --by category|reason|domain|remote-mta|day:
   counts per group, the "patterns per ISP and domain" view */

struct stats_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	struct bounce_store_filter filter;
	enum bounce_store_stats_by by;
};

static bool cmd_bounce_stats_parse_arg(struct doveadm_mail_cmd_context *_ctx,
				       int c)
{
	struct stats_cmd_context *ctx = (struct stats_cmd_context *)_ctx;

	switch (c) {
	case 'b':
		if (!bounce_store_stats_by_parse(optarg, &ctx->by)) {
			i_error("Invalid --by: %s "
				"(use category, reason, domain, remote-mta or day)",
				optarg);
			return FALSE;
		}
		return TRUE;
	case 's':
		return doveadm_bounce_parse_date_arg("since", optarg,
						     &ctx->filter.since);
	case 'U':
		return doveadm_bounce_parse_date_arg("until", optarg,
						     &ctx->filter.until);
	default:
		return FALSE;
	}
}

static void cmd_bounce_stats_print_row(const char *const *values,
				       void *context ATTR_UNUSED)
{
	doveadm_print(values[0]);
	doveadm_bounce_print_values(bounce_store_stats_columns,
				    bounce_store_stats_columns_count, 0,
				    values + 1);
}

static int cmd_bounce_stats_run(struct doveadm_mail_cmd_context *_ctx,
				struct mail_user *user)
{
	struct stats_cmd_context *ctx = (struct stats_cmd_context *)_ctx;
	struct bounce_store *store;
	const char *error;
	int ret;

	if ((ret = doveadm_bounce_open_store(_ctx, user, &store)) <= 0)
		return ret;
	ret = bounce_store_stats(store, ctx->by, &ctx->filter,
				 cmd_bounce_stats_print_row, NULL, &error);
	if (ret < 0)
		doveadm_bounce_store_failed(_ctx, error);
	bounce_store_close(&store);
	return ret;
}

static void cmd_bounce_stats_init(struct doveadm_mail_cmd_context *_ctx,
				  const char *const args[] ATTR_UNUSED)
{
	struct stats_cmd_context *ctx = (struct stats_cmd_context *)_ctx;

	/* the group column is named after what it groups by */
	doveadm_print_header_simple(bounce_store_stats_by_name(ctx->by));
	doveadm_bounce_print_headers(bounce_store_stats_columns,
				     bounce_store_stats_columns_count, 0);
}

static struct doveadm_mail_cmd_context *cmd_bounce_stats_alloc(void)
{
	struct stats_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct stats_cmd_context);
	ctx->ctx.getopt_args = "b:s:U:";
	ctx->ctx.v.parse_arg = cmd_bounce_stats_parse_arg;
	ctx->ctx.v.init = cmd_bounce_stats_init;
	ctx->ctx.v.run = cmd_bounce_stats_run;
	ctx->by = BOUNCE_STORE_STATS_BY_CATEGORY;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_stats = {
	.name = "bounce stats",
	.mail_cmd = cmd_bounce_stats_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX
		"[--by category|reason|domain|remote-mta|day] "
		"[--since <date>] [--until <date>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('b', "by", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('s', "since", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('U', "until", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};
