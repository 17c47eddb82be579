/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "ostream.h"
#include "mail-storage.h"
#include "mail-user.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "bounce-store.h"
#include "bounce-export.h"
#include "doveadm-bounce.h"

/* doveadm bounce export --what bounces|suppressed|addresses
   --format csv|jsonl [--since <date>] [--until <date>]

   For list apps to import, so the bytes are ours, not a doveadm
   formatter's: the rows go raw to doveadm's output stream and -f is
   ignored. With -A (or -F, or a -u wildcard) every row starts with a
   "user" column, and CSV has one header row for all users. */

enum export_what {
	EXPORT_WHAT_BOUNCES,
	EXPORT_WHAT_SUPPRESSED,
	EXPORT_WHAT_ADDRESSES,
};

static const char *const export_what_names[] = {
	[EXPORT_WHAT_BOUNCES] = "bounces",
	[EXPORT_WHAT_SUPPRESSED] = "suppressed",
	[EXPORT_WHAT_ADDRESSES] = "addresses",
};

struct export_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	struct bounce_store_filter filter;
	enum export_what what;
	enum bounce_export_format format;

	const struct bounce_store_column *columns;
	unsigned int columns_count;
	/* the current user, when rows carry one */
	const char *username;
	bool header_written;
	string_t *row;
	/* keys and number flags, with the user column first if any */
	ARRAY_TYPE(const_string) keys;
	ARRAY(bool) numbers;
	ARRAY_TYPE(const_string) values;
};

static bool cmd_bounce_export_parse_arg(struct doveadm_mail_cmd_context *_ctx,
					int c)
{
	struct export_cmd_context *ctx = (struct export_cmd_context *)_ctx;
	unsigned int i;

	switch (c) {
	case 'w':
		for (i = 0; i < N_ELEMENTS(export_what_names); i++) {
			if (strcasecmp(optarg, export_what_names[i]) == 0)
				break;
		}
		if (i == N_ELEMENTS(export_what_names)) {
			i_error("Invalid --what: %s "
				"(use bounces, suppressed or addresses)", optarg);
			return FALSE;
		}
		ctx->what = i;
		return TRUE;
	case 'o':
		if (!bounce_export_format_parse(optarg, &ctx->format)) {
			i_error("Invalid --format: %s (use csv or jsonl)",
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

static void cmd_bounce_export_flush(struct export_cmd_context *ctx)
{
	o_stream_nsend(doveadm_print_ostream, str_data(ctx->row),
		       str_len(ctx->row));
	str_truncate(ctx->row, 0);
}

static void cmd_bounce_export_row(const char *const *values, void *context)
{
	struct export_cmd_context *ctx = context;

	array_clear(&ctx->values);
	if (ctx->username != NULL)
		array_push_back(&ctx->values, &ctx->username);
	for (unsigned int i = 0; i < ctx->columns_count; i++)
		array_push_back(&ctx->values, &values[i]);
	bounce_export_append_row(ctx->row, ctx->format,
				 array_front(&ctx->keys),
				 array_front(&ctx->values),
				 array_front(&ctx->numbers),
				 array_count(&ctx->keys));
	if (str_len(ctx->row) >= IO_BLOCK_SIZE)
		cmd_bounce_export_flush(ctx);
}

static int cmd_bounce_export_rows(struct export_cmd_context *ctx,
				  struct bounce_store *store,
				  const char **error_r)
{
	switch (ctx->what) {
	case EXPORT_WHAT_BOUNCES:
		return bounce_store_list(store, &ctx->filter,
					 cmd_bounce_export_row, ctx, error_r);
	case EXPORT_WHAT_SUPPRESSED:
	case EXPORT_WHAT_ADDRESSES:
		return bounce_store_list_addresses(store, &ctx->filter,
			ctx->what == EXPORT_WHAT_SUPPRESSED,
			cmd_bounce_export_row, ctx, error_r);
	}
	i_unreached();
}

static int cmd_bounce_export_run(struct doveadm_mail_cmd_context *_ctx,
				 struct mail_user *user)
{
	struct export_cmd_context *ctx = (struct export_cmd_context *)_ctx;
	struct bounce_store *store;
	const char *error;
	int ret;

	if (!ctx->header_written) {
		/* even an empty export has its header row */
		bounce_export_append_header(ctx->row, ctx->format,
					    array_front(&ctx->keys),
					    array_count(&ctx->keys));
		ctx->header_written = TRUE;
	}
	if (!_ctx->iterate_single_user)
		ctx->username = p_strdup(_ctx->pool, user->username);
	if ((ret = doveadm_bounce_open_store(_ctx, user, &store)) > 0) {
		ret = cmd_bounce_export_rows(ctx, store, &error);
		if (ret < 0)
			doveadm_bounce_store_failed(_ctx, error);
		bounce_store_close(&store);
	}
	cmd_bounce_export_flush(ctx);
	return ret;
}

static void cmd_bounce_export_init(struct doveadm_mail_cmd_context *_ctx,
				   const char *const args[] ATTR_UNUSED)
{
	struct export_cmd_context *ctx = (struct export_cmd_context *)_ctx;
	const char *user_key = "user";
	bool is_number = FALSE;

	if (_ctx->cctx->conn_type != DOVEADM_CONNECTION_TYPE_CLI) {
		/* raw bytes would break the doveadm protocol */
		i_fatal_status(EX_USAGE,
			"bounce export runs only from the command line");
	}
	if (ctx->what == EXPORT_WHAT_BOUNCES) {
		ctx->columns = bounce_store_bounce_columns;
		ctx->columns_count = bounce_store_bounce_columns_count;
	} else {
		ctx->columns = bounce_store_address_columns;
		ctx->columns_count = bounce_store_address_columns_count;
	}
	p_array_init(&ctx->keys, _ctx->pool, ctx->columns_count + 1);
	p_array_init(&ctx->numbers, _ctx->pool, ctx->columns_count + 1);
	p_array_init(&ctx->values, _ctx->pool, ctx->columns_count + 1);
	if (!_ctx->iterate_single_user) {
		array_push_back(&ctx->keys, &user_key);
		array_push_back(&ctx->numbers, &is_number);
	}
	for (unsigned int i = 0; i < ctx->columns_count; i++) {
		is_number = (ctx->columns[i].flags &
			     BOUNCE_STORE_COLUMN_NUMBER) != 0;
		array_push_back(&ctx->keys, &ctx->columns[i].key);
		array_push_back(&ctx->numbers, &is_number);
	}
	ctx->row = str_new(_ctx->pool, IO_BLOCK_SIZE + 1024);
}

static struct doveadm_mail_cmd_context *cmd_bounce_export_alloc(void)
{
	struct export_cmd_context *ctx;
	struct ostream *output = doveadm_print_ostream;

	ctx = doveadm_mail_cmd_alloc(struct export_cmd_context);
	ctx->ctx.getopt_args = "w:o:s:U:";
	ctx->ctx.v.parse_arg = cmd_bounce_export_parse_arg;
	ctx->ctx.v.init = cmd_bounce_export_init;
	ctx->ctx.v.run = cmd_bounce_export_run;
	ctx->what = EXPORT_WHAT_BOUNCES;
	ctx->format = BOUNCE_EXPORT_FORMAT_CSV;
	/* A -f formatter would wrap our bytes (json adds "[]" at the end)
	   and -A would add its username column through it. Drop it without
	   letting it write anything: its flush only writes while the
	   stream is set. */
	doveadm_print_ostream = NULL;
	doveadm_print_deinit();
	doveadm_print_ostream = output;
	return &ctx->ctx;
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_export = {
	.name = "bounce export",
	.mail_cmd = cmd_bounce_export_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX
		"[--what bounces|suppressed|addresses] [--format csv|jsonl] "
		"[--since <date>] [--until <date>]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('w', "what", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('o', "format", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('s', "since", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('U', "until", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAMS_END
};
