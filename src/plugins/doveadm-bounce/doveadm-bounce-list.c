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
		if (!doveadm_bounce_parse_date(optarg, &filter->since)) {
			i_error("Invalid --since date: %s", optarg);
			return FALSE;
		}
		break;
	case 'U':
		if (!doveadm_bounce_parse_date(optarg, &filter->until)) {
			i_error("Invalid --until date: %s", optarg);
			return FALSE;
		}
		break;
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
	for (unsigned int i = 0; i < bounce_store_bounce_columns_count; i++) {
		if ((bounce_store_bounce_columns[i].flags &
		     BOUNCE_STORE_COLUMN_LIST) != 0)
			doveadm_print(values[i]);
	}
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
	if (ret < 0) {
		i_error("%s", error);
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_TEMP);
	}
	bounce_store_close(&store);
	return ret;
}

static void cmd_bounce_list_init(struct doveadm_mail_cmd_context *ctx ATTR_UNUSED,
				 const char *const args[] ATTR_UNUSED)
{
	for (unsigned int i = 0; i < bounce_store_bounce_columns_count; i++) {
		const struct bounce_store_column *col =
			&bounce_store_bounce_columns[i];
		enum doveadm_print_header_flags flags = 0;

		if ((col->flags & BOUNCE_STORE_COLUMN_LIST) == 0)
			continue;
		if ((col->flags & BOUNCE_STORE_COLUMN_NUMBER) != 0) {
			flags |= DOVEADM_PRINT_HEADER_FLAG_NUMBER |
				DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY;
		}
		doveadm_print_header(col->key, col->key, flags);
	}
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
