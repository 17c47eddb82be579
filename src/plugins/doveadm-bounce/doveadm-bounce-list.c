/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "bounce-store.h"
#include "doveadm-bounce.h"

/* doveadm bounce list: the recorded rows, filtered */

struct list_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	struct bounce_store_filter filter;
};

static bool cmd_bounce_list_parse_arg(struct doveadm_mail_cmd_context *_ctx,
				      int c)
{
	struct list_cmd_context *ctx = (struct list_cmd_context *)_ctx;
	struct bounce_store_filter *filter = &ctx->filter;

	switch (c) {
	case 's':
		return doveadm_bounce_parse_date_arg("since", optarg,
						     &filter->since);
	case 'U':
		return doveadm_bounce_parse_date_arg("until", optarg,
						     &filter->until);
	case 'c':
		filter->category = p_strdup(_ctx->pool, optarg);
		break;
	case 'r':
		filter->reason = p_strdup(_ctx->pool, optarg);
		break;
	case 'R':
		filter->recipient = p_strdup(_ctx->pool, optarg);
		break;
	case 'd':
		filter->domain = p_strdup(_ctx->pool, optarg);
		break;
	case 'n':
		if (str_to_uint(optarg, &filter->limit) < 0) {
			i_error("Invalid --limit: %s", optarg);
			return FALSE;
		}
		break;
	default:
		return FALSE;
	}
	return TRUE;
}

static void cmd_bounce_list_print_row(const char *const *values,
				      void *context ATTR_UNUSED)
{
	doveadm_bounce_print_values(bounce_store_bounce_columns,
				    bounce_store_bounce_columns_count,
				    BOUNCE_STORE_COLUMN_LIST, values);
}

static int cmd_bounce_list_run(struct doveadm_mail_cmd_context *_ctx,
			       struct mail_user *user)
{
	struct list_cmd_context *ctx = (struct list_cmd_context *)_ctx;
	struct bounce_store *store;
	const char *error;
	int ret;

	if ((ret = doveadm_bounce_open_store(_ctx, user, &store)) <= 0)
		return ret;
	ret = bounce_store_list(store, &ctx->filter,
				cmd_bounce_list_print_row, NULL, &error);
	if (ret < 0)
		doveadm_bounce_store_failed(_ctx, error);
	bounce_store_close(&store);
	return ret;
}

static void cmd_bounce_list_init(struct doveadm_mail_cmd_context *ctx ATTR_UNUSED,
				 const char *const args[] ATTR_UNUSED)
{
	doveadm_bounce_print_headers(bounce_store_bounce_columns,
				     bounce_store_bounce_columns_count,
				     BOUNCE_STORE_COLUMN_LIST);
}

static struct doveadm_mail_cmd_context *cmd_bounce_list_alloc(void)
{
	struct list_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct list_cmd_context);
	ctx->ctx.getopt_args = "s:U:c:r:R:d:n:";
	ctx->ctx.v.parse_arg = cmd_bounce_list_parse_arg;
	ctx->ctx.v.init = cmd_bounce_list_init;
	ctx->ctx.v.run = cmd_bounce_list_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_list = {
	.name = "bounce list",
	.mail_cmd = cmd_bounce_list_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX
		"[--since <date>] [--until <date>] [--category <category>] "
		"[--reason <reason>] [--recipient <address>] "
		"[--domain <domain>] [--limit <n>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('s', "since", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('U', "until", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('c', "category", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('r', "reason", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('R', "recipient", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('d', "domain", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('n', "limit", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};
