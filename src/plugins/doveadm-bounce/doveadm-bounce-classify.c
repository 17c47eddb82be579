/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "istream.h"
#include "doveadm.h"
#include "doveadm-print.h"
#include "bounce-analyze.h"
#include "doveadm-bounce.h"

#include <fcntl.h>
#include <unistd.h>

/* doveadm bounce classify [FILE...] and doveadm bounce explain FILE:
   the classifier on files, with no user and no database. */

typedef void doveadm_bounce_file_callback_t(const char *name,
					    const struct bounce_report *report);

static int doveadm_bounce_analyze_file(const char *path,
				       doveadm_bounce_file_callback_t *callback)
{
	struct bounce_analyze_settings set;
	struct bounce_report *report;
	struct istream *input;
	const char *error;
	pool_t pool;
	int ret;

	bounce_analyze_settings_init(&set);
	if (path == NULL)
		input = i_stream_create_fd(STDIN_FILENO, IO_BLOCK_SIZE);
	else
		input = i_stream_create_file(path, IO_BLOCK_SIZE);
	pool = pool_alloconly_create("bounce classify", 4096);
	ret = bounce_analyze_stream(input, &set, pool, &report, &error);
	if (ret < 0) {
		i_error("%s", error);
		doveadm_exit_code = EX_NOINPUT;
	} else {
		callback(path == NULL ? "-" : path, report);
	}
	pool_unref(&pool);
	i_stream_unref(&input);
	return ret;
}

static void
doveadm_bounce_foreach_file(struct doveadm_cmd_context *cctx,
			    doveadm_bounce_file_callback_t *callback)
{
	const char *const *files;

	if (!doveadm_cmd_param_array(cctx, "file", &files) || files[0] == NULL) {
		(void)doveadm_bounce_analyze_file(NULL, callback);
		return;
	}
	for (; *files != NULL; files++) T_BEGIN {
		(void)doveadm_bounce_analyze_file(*files, callback);
	} T_END;
}

/* what a mail with no bounced recipient is */
static const char *
doveadm_bounce_empty_reason(const struct bounce_report *report)
{
	switch (report->kind) {
	case BOUNCE_KIND_AUTOREPLY:
		return bounce_reason_name(BOUNCE_REASON_VACATION);
	case BOUNCE_KIND_FEEDBACK:
		return bounce_reason_name(BOUNCE_REASON_FEEDBACK);
	default:
		return bounce_reason_name(BOUNCE_REASON_UNDEFINED);
	}
}

static void classify_print_report(const char *name,
				  const struct bounce_report *report)
{
	const struct bounce_recipient *rcpt;
	enum bounce_reason reason;

	if (array_count(&report->recipients) == 0) {
		const char *reason_name = doveadm_bounce_empty_reason(report);

		doveadm_print(name);
		doveadm_print("");
		doveadm_print("");
		doveadm_print("");
		doveadm_print("");
		doveadm_print(reason_name);
		(void)bounce_reason_parse(reason_name, &reason);
		doveadm_print(bounce_category_name(
			bounce_reason_default_category(reason)));
		doveadm_print("false");
		doveadm_print("none");
		doveadm_print("");
		doveadm_print("");
		return;
	}
	array_foreach(&report->recipients, rcpt) {
		doveadm_print(name);
		doveadm_print(rcpt->address);
		doveadm_print(bounce_action_name(rcpt->action));
		doveadm_print(rcpt->status == NULL ? "" : rcpt->status);
		doveadm_print(rcpt->reply_code == NULL ? "" : rcpt->reply_code);
		doveadm_print(bounce_reason_name(rcpt->reason));
		doveadm_print(bounce_category_name(rcpt->category));
		doveadm_print(rcpt->hard ? "true" : "false");
		doveadm_print(rcpt->rule == NULL ? "" : rcpt->rule);
		doveadm_print(rcpt->remote_mta == NULL ? "" : rcpt->remote_mta);
		doveadm_print(rcpt->diagnostic == NULL ? "" : rcpt->diagnostic);
	}
}

static void cmd_bounce_classify(struct doveadm_cmd_context *cctx)
{
	static const char *const columns[] = {
		"file", "recipient", "action", "status", "reply_code",
		"reason", "category", "hard", "rule", "remote_mta",
		"diagnostic",
	};

	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	for (unsigned int i = 0; i < N_ELEMENTS(columns); i++)
		doveadm_print_header_simple(columns[i]);
	doveadm_bounce_foreach_file(cctx, classify_print_report);
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_classify = {
	.name = "bounce classify",
	.cmd = cmd_bounce_classify,
	.usage = "[<file> ...]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "file", CMD_PARAM_ARRAY, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};

/* --- explain: every fact found, per recipient, and the deciding rule --- */

static void explain_print(const char *recipient, const char *field,
			  const char *value)
{
	if (value == NULL || *value == '\0')
		return;
	doveadm_print(recipient);
	doveadm_print(field);
	doveadm_print(value);
}

static void explain_print_report(const char *name,
				 const struct bounce_report *report)
{
	static const char *const kinds[] = {
		"none", "dsn", "feedback", "autoreply"
	};
	const struct bounce_recipient *rcpt;
	const struct bounce_header *hdr;

	explain_print("", "file", name);
	explain_print("", "kind", kinds[report->kind]);
	explain_print("", "format", report->format);
	explain_print("", "reporting_mta", report->reporting_mta);
	explain_print("", "arrival_date", report->arrival_date);
	explain_print("", "original_message_id", report->orig_message_id);
	explain_print("", "original_from", report->orig_from);
	explain_print("", "original_subject", report->orig_subject);
	explain_print("", "original_list_id", report->orig_list_id);
	explain_print("", "verp_recipient", report->verp_recipient);
	explain_print("", "feedback_type", report->feedback_type);
	explain_print("", "source_ip", report->source_ip);
	explain_print("", "reported_domain", report->reported_domain);
	array_foreach(&report->campaign_headers, hdr)
		explain_print("", t_strconcat("campaign:", hdr->name, NULL),
			      hdr->value);
	if (report->truncated)
		explain_print("", "truncated", "yes");
	if (array_count(&report->recipients) == 0)
		explain_print("", "reason", doveadm_bounce_empty_reason(report));

	array_foreach(&report->recipients, rcpt) {
		const char *addr = rcpt->address;

		explain_print(addr, "found_by", rcpt->found_by);
		explain_print(addr, "original_recipient", rcpt->original_recipient);
		explain_print(addr, "final_recipient", rcpt->final_recipient);
		explain_print(addr, "action", bounce_action_name(rcpt->action));
		explain_print(addr, "status", rcpt->status);
		explain_print(addr, "reply_code", rcpt->reply_code);
		explain_print(addr, "smtp_command", rcpt->smtp_command);
		explain_print(addr, "remote_mta", rcpt->remote_mta);
		explain_print(addr, "diagnostic_type", rcpt->diagnostic_type);
		explain_print(addr, "diagnostic", rcpt->diagnostic);
		explain_print(addr, "reason", bounce_reason_name(rcpt->reason));
		explain_print(addr, "category",
			      bounce_category_name(rcpt->category));
		explain_print(addr, "hard", rcpt->hard ? "true" : "false");
		explain_print(addr, "rule", rcpt->rule);
	}
}

static void cmd_bounce_explain(struct doveadm_cmd_context *cctx)
{
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	doveadm_print_header_simple("recipient");
	doveadm_print_header_simple("field");
	doveadm_print_header("value", "value", DOVEADM_PRINT_HEADER_FLAG_EXPAND);
	doveadm_bounce_foreach_file(cctx, explain_print_report);
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_explain = {
	.name = "bounce explain",
	.cmd = cmd_bounce_explain,
	.usage = "[<file> ...]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_PARAM('\0', "file", CMD_PARAM_ARRAY, CMD_PARAM_FLAG_POSITIONAL)
DOVEADM_CMD_PARAMS_END
};
