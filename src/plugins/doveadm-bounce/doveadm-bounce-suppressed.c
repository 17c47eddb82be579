/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "bounce-store.h"
#include "doveadm-bounce.h"

/* doveadm bounce suppressed: the suppression list (address, since,
   category, reason and the counts); --all adds the active addresses
   and their state */

struct suppressed_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	struct bounce_store_filter filter;
	bool all;
};

static bool
cmd_bounce_suppressed_parse_arg(struct doveadm_mail_cmd_context *_ctx, int c)
{
	struct suppressed_cmd_context *ctx =
		(struct suppressed_cmd_context *)_ctx;

	switch (c) {
	case 'a':
		ctx->all = TRUE;
		return TRUE;
	case 's':
		return doveadm_bounce_parse_date_arg("since", optarg,
						     &ctx->filter.since);
	case 'U':
		return doveadm_bounce_parse_date_arg("until", optarg,
						     &ctx->filter.until);
	case 'R':
		ctx->filter.recipient = p_strdup(_ctx->pool, optarg);
		return TRUE;
	case 'd':
		ctx->filter.domain = p_strdup(_ctx->pool, optarg);
		return TRUE;
	case 'n':
		if (str_to_uint(optarg, &ctx->filter.limit) < 0) {
			i_error("Invalid --limit: %s", optarg);
			return FALSE;
		}
		return TRUE;
	default:
		return FALSE;
	}
}

static void cmd_bounce_suppressed_print_row(const char *const *values,
					    void *context)
{
	struct suppressed_cmd_context *ctx = context;

	if (ctx->all)
		doveadm_print(values[1]);
	doveadm_bounce_print_values(bounce_store_address_columns,
				    bounce_store_address_columns_count,
				    BOUNCE_STORE_COLUMN_SUPPRESSED, values);
}

static int cmd_bounce_suppressed_run(struct doveadm_mail_cmd_context *_ctx,
				     struct mail_user *user)
{
	struct suppressed_cmd_context *ctx =
		(struct suppressed_cmd_context *)_ctx;
	struct bounce_store *store;
	const char *error;
	int ret;

	if ((ret = doveadm_bounce_open_store(_ctx, user, &store)) <= 0)
		return ret;
	ret = bounce_store_list_addresses(store, &ctx->filter, !ctx->all,
					  cmd_bounce_suppressed_print_row,
					  ctx, &error);
	if (ret < 0)
		doveadm_bounce_store_failed(_ctx, error);
	bounce_store_close(&store);
	return ret;
}

static void cmd_bounce_suppressed_init(struct doveadm_mail_cmd_context *_ctx,
				       const char *const args[] ATTR_UNUSED)
{
	struct suppressed_cmd_context *ctx =
		(struct suppressed_cmd_context *)_ctx;

	i_assert(strcmp(bounce_store_address_columns[1].key, "state") == 0);
	if (ctx->all)
		doveadm_print_header_simple("state");
	doveadm_bounce_print_headers(bounce_store_address_columns,
				     bounce_store_address_columns_count,
				     BOUNCE_STORE_COLUMN_SUPPRESSED);
}

static struct doveadm_mail_cmd_context *cmd_bounce_suppressed_alloc(void)
{
	struct suppressed_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct suppressed_cmd_context);
	ctx->ctx.getopt_args = "as:U:R:d:n:";
	ctx->ctx.v.parse_arg = cmd_bounce_suppressed_parse_arg;
	ctx->ctx.v.init = cmd_bounce_suppressed_init;
	ctx->ctx.v.run = cmd_bounce_suppressed_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_suppressed = {
	.name = "bounce suppressed",
	.mail_cmd = cmd_bounce_suppressed_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX
		"[--all] [--since <date>] [--until <date>] "
		"[--recipient <address>] [--domain <domain>] [--limit <n>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('a', "all", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAM('s', "since", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('U', "until", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('R', "recipient", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('d', "domain", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('n', "limit", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};
