/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "mail-storage.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "bounce-store.h"
#include "doveadm-bounce.h"

/* doveadm bounce unsuppress ADDRESS...: back to active, counts reset */

static int cmd_bounce_unsuppress_run(struct doveadm_mail_cmd_context *ctx,
				     struct mail_user *user)
{
	struct bounce_store *store = NULL;
	const char *const *addresses, *error;
	int ret, result;

	if ((ret = doveadm_bounce_open_store(ctx, user, &store)) < 0)
		return -1;
	for (addresses = ctx->args; *addresses != NULL; addresses++) {
		result = 0;
		if (store != NULL &&
		    (result = bounce_store_unsuppress(store, *addresses,
						      &error)) < 0) {
			doveadm_bounce_store_failed(ctx, error);
			ret = -1;
			break;
		}
		doveadm_print(*addresses);
		doveadm_print(result > 0 ? "unsuppressed" : "not suppressed");
	}
	bounce_store_close(&store);
	return ret < 0 ? -1 : 0;
}

static void cmd_bounce_unsuppress_init(struct doveadm_mail_cmd_context *ctx ATTR_UNUSED,
				       const char *const args[])
{
	if (args[0] == NULL)
		doveadm_mail_help_name("bounce unsuppress");
	doveadm_print_header_simple("address");
	doveadm_print_header_simple("result");
}

static struct doveadm_mail_cmd_context *cmd_bounce_unsuppress_alloc(void)
{
	struct doveadm_mail_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct doveadm_mail_cmd_context);
	ctx->v.init = cmd_bounce_unsuppress_init;
	ctx->v.run = cmd_bounce_unsuppress_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return ctx;
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_unsuppress = {
	.name = "bounce unsuppress",
	.mail_cmd = cmd_bounce_unsuppress_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX "<address> [<address> ...]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('\0', "address", CMD_PARAM_ARRAY, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
