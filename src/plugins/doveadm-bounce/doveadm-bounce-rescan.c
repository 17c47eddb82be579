/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "ioloop.h"
#include "istream.h"
#include "mail-storage.h"
#include "mail-search-build.h"
#include "doveadm-mail.h"
#include "doveadm-print.h"
#include "bounce-analyze.h"
#include "bounce-keyword.h"
#include "bounce-store.h"
#include "bounce-plugin.h"
#include "doveadm-bounce.h"

/* doveadm bounce rescan [--mailbox M] [--reclassify]: record the
   messages of the bounce mailbox that have no row (mail from before the
   plugin was enabled, or from while the database was unavailable); with
   --reclassify, analyze every message again and update its rows and the
   per-address state (after an upgrade of the classifier). Idempotent. A
   missing database is created; a corrupt one is moved aside. */

struct rescan_cmd_context {
	struct doveadm_mail_cmd_context ctx;
	const char *mailbox;
	bool reclassify;
};

struct rescan_counts {
	unsigned int messages, recorded, skipped, failed;
};

struct rescan_mailbox {
	struct rescan_cmd_context *ctx;
	const struct bounce_user_settings *set;
	struct bounce_store *store;
	const char *vname, *guid;
	struct rescan_counts counts;
};

static bool cmd_bounce_rescan_parse_arg(struct doveadm_mail_cmd_context *_ctx,
					int c)
{
	struct rescan_cmd_context *ctx = (struct rescan_cmd_context *)_ctx;

	switch (c) {
	case 'm':
		ctx->mailbox = p_strdup(_ctx->pool, optarg);
		return TRUE;
	case 'r':
		ctx->reclassify = TRUE;
		return TRUE;
	default:
		return FALSE;
	}
}

/* Where the mail is, as the mail plugin describes it at delivery, so
   that rows match. */
static void rescan_message_init(struct rescan_mailbox *rbox,
				struct mail *mail,
				struct bounce_store_message *msg_r)
{
	const char *value;
	time_t received;

	i_zero(msg_r);
	msg_r->mailbox = rbox->vname;
	msg_r->mailbox_guid = rbox->guid;
	msg_r->uid = mail->uid;
	msg_r->message_guid = mail_get_special(mail, MAIL_FETCH_GUID,
					       &value) == 0 ? value :
		t_strdup_printf("%s:%u", rbox->guid, mail->uid);
	if (mail_get_first_header(mail, "Message-ID", &value) > 0)
		msg_r->message_id = value;
	msg_r->recorded_at = ioloop_time;
	if (mail_get_received_date(mail, &received) == 0)
		msg_r->received_at = received;
}

static int rescan_analyze(struct rescan_mailbox *rbox, struct mail *mail,
			  pool_t pool, struct bounce_report **report_r)
{
	struct istream *input;
	const char *error;

	if (mail_get_stream_because(mail, NULL, NULL, "bounce rescan",
				    &input) < 0) {
		i_error("Failed to read %s UID %u: %s", rbox->vname, mail->uid,
			mailbox_get_last_internal_error(mail->box, NULL));
		return -1;
	}
	if (bounce_analyze_stream(input, &rbox->set->analyze, pool,
				  report_r, &error) < 0) {
		i_error("Failed to parse %s UID %u: %s", rbox->vname,
			mail->uid, error);
		return -1;
	}
	return 0;
}

/* Returns 1 if recorded, 0 if skipped, -1 if it failed (logged). */
static int rescan_mail(struct rescan_mailbox *rbox, struct mail *mail)
{
	struct bounce_store_message msg;
	struct bounce_report *report;
	const char *error;
	pool_t pool;
	int ret;

	rescan_message_init(rbox, mail, &msg);
	if (!rbox->ctx->reclassify) {
		ret = bounce_store_has_message(rbox->store, &msg, &error);
		if (ret != 0) {
			if (ret < 0)
				i_error("%s", error);
			return ret < 0 ? -1 : 0;
		}
	}
	pool = pool_alloconly_create("bounce rescan", 4096);
	ret = rescan_analyze(rbox, mail, pool, &report);
	if (ret == 0) {
		/* keyed as the mail plugin keys it: by the Message-ID the
		   parse read (Dovecot's own lookup above only finds rows
		   recorded already) */
		msg.message_id = report->message_id;
		ret = rbox->ctx->reclassify ?
			bounce_store_replace(rbox->store, &msg, report, &error) :
			bounce_store_record(rbox->store, &msg, report, &error);
		if (ret < 0)
			i_error("%s", error);
	}
	if (ret >= 0 && rbox->set->keywords)
		(void)bounce_mail_set_keyword(mail, bounce_report_keyword(report));
	pool_unref(&pool);
	return ret < 0 ? -1 : 1;
}

static int rescan_mailbox(struct rescan_mailbox *rbox, struct mailbox *box)
{
	struct mailbox_transaction_context *t;
	struct mail_search_args *search_args;
	struct mail_search_context *search;
	struct mail *mail;
	bool killed = FALSE;
	int ret;

	t = mailbox_transaction_begin(box, rbox->ctx->ctx.transaction_flags,
				      "bounce rescan");
	search_args = mail_search_build_init();
	mail_search_build_add_all(search_args);
	search = mailbox_search_init(t, search_args, NULL, 0, NULL);
	mail_search_args_unref(&search_args);
	while (mailbox_search_next(search, &mail)) {
		if (doveadm_is_killed()) {
			/* what is recorded stays, and a rescan again skips
			   it: stop at once, as doveadm's own commands do */
			i_warning("Killed with signal %d",
				  doveadm_killed_signo());
			killed = TRUE;
			break;
		}
		rbox->counts.messages++;
		T_BEGIN {
			ret = rescan_mail(rbox, mail);
		} T_END;
		if (ret > 0)
			rbox->counts.recorded++;
		else if (ret == 0)
			rbox->counts.skipped++;
		else
			rbox->counts.failed++;
	}
	ret = mailbox_search_deinit(&search);
	if (killed)
		ret = -1;
	/* the keywords, if any */
	if (mailbox_transaction_commit(&t) < 0)
		ret = -1;
	return ret;
}

static int rescan_open_mailbox(struct rescan_mailbox *rbox,
			       struct mail_user *user, struct mailbox **box_r)
{
	struct mailbox_metadata metadata;
	struct mailbox *box;

	box = doveadm_mailbox_find(user, rbox->vname);
	if (mailbox_open(box) < 0 ||
	    mailbox_sync(box, MAILBOX_SYNC_FLAG_FULL_READ) < 0 ||
	    mailbox_get_metadata(box, MAILBOX_METADATA_GUID, &metadata) < 0) {
		i_error("Can't open mailbox %s: %s", rbox->vname,
			mailbox_get_last_internal_error(box, NULL));
		doveadm_mail_failed_mailbox(&rbox->ctx->ctx, box);
		mailbox_free(&box);
		return -1;
	}
	rbox->guid = p_strdup(rbox->ctx->ctx.pool,
			      guid_128_to_string(metadata.guid));
	*box_r = box;
	return 0;
}

static int rescan_open_store(struct rescan_mailbox *rbox,
			     struct mail_user *user)
{
	const char *moved_to, *error;

	if (bounce_store_open_or_recreate(rbox->set->db_path,
					  rbox->set->busy_timeout_msecs,
					  &rbox->store, &moved_to,
					  &error) < 0) {
		doveadm_bounce_store_failed(&rbox->ctx->ctx, error);
		return -1;
	}
	if (moved_to != NULL) {
		i_warning("%s was damaged: moved it to %s and created a "
			  "new database", rbox->set->db_path, moved_to);
	}
	bounce_store_set_policy(rbox->store, &rbox->set->policy);
	/* what deliveries spooled first: a rescan then doesn't analyse it
	   again */
	doveadm_bounce_import_spool(&rbox->ctx->ctx, rbox->store, rbox->set);
	/* and the rows without a UID get theirs: a rescan then finds them
	   recorded */
	doveadm_bounce_resolve(&rbox->ctx->ctx, user, rbox->store);
	return 0;
}

static void rescan_print(const struct rescan_mailbox *rbox)
{
	doveadm_print(rbox->vname);
	doveadm_print_num(rbox->counts.messages);
	doveadm_print_num(rbox->counts.recorded);
	doveadm_print_num(rbox->counts.skipped);
	doveadm_print_num(rbox->counts.failed);
}

static int cmd_bounce_rescan_run(struct doveadm_mail_cmd_context *_ctx,
				 struct mail_user *user)
{
	struct rescan_cmd_context *ctx = (struct rescan_cmd_context *)_ctx;
	struct bounce_user_settings set;
	struct rescan_mailbox rbox;
	struct mailbox *box;
	const char *error;
	int ret;

	if (doveadm_bounce_user_settings(_ctx, user, &set) < 0)
		return -1;
	i_zero(&rbox);
	rbox.ctx = ctx;
	rbox.set = &set;
	rbox.vname = ctx->mailbox != NULL ? ctx->mailbox : set.mailbox;
	if (rescan_open_mailbox(&rbox, user, &box) < 0)
		return -1;
	if (rescan_open_store(&rbox, user) < 0) {
		mailbox_free(&box);
		return -1;
	}
	ret = rescan_mailbox(&rbox, box);
	if (ret < 0) {
		i_error("Rescanning %s failed: %s", rbox.vname,
			mailbox_get_last_internal_error(box, NULL));
		doveadm_mail_failed_mailbox(_ctx, box);
	}
	/* rows that changed category changed their addresses' state; a
	   rebuild also catches addresses whose rows went elsewhere */
	if (ctx->reclassify &&
	    bounce_store_rebuild_addresses(rbox.store, &error) < 0) {
		doveadm_bounce_store_failed(_ctx, error);
		ret = -1;
	}
	if (rbox.counts.failed > 0) {
		doveadm_mail_failed_error(_ctx, MAIL_ERROR_TEMP);
		ret = -1;
	}
	bounce_store_close(&rbox.store);
	mailbox_free(&box);
	rescan_print(&rbox);
	return ret;
}

static void cmd_bounce_rescan_init(struct doveadm_mail_cmd_context *ctx ATTR_UNUSED,
				   const char *const args[] ATTR_UNUSED)
{
	static const char *const numbers[] = {
		"messages", "recorded", "skipped", "failed"
	};

	doveadm_print_header_simple("mailbox");
	for (unsigned int i = 0; i < N_ELEMENTS(numbers); i++) {
		doveadm_print_header(numbers[i], numbers[i],
				     DOVEADM_PRINT_HEADER_FLAG_NUMBER |
				     DOVEADM_PRINT_HEADER_FLAG_RIGHT_JUSTIFY);
	}
}

static struct doveadm_mail_cmd_context *cmd_bounce_rescan_alloc(void)
{
	struct rescan_cmd_context *ctx;

	ctx = doveadm_mail_cmd_alloc(struct rescan_cmd_context);
	ctx->ctx.getopt_args = "m:r";
	ctx->ctx.v.parse_arg = cmd_bounce_rescan_parse_arg;
	ctx->ctx.v.init = cmd_bounce_rescan_init;
	ctx->ctx.v.run = cmd_bounce_rescan_run;
	doveadm_print_init(DOVEADM_PRINT_TYPE_TABLE);
	return &ctx->ctx;
}

struct doveadm_cmd_ver2 doveadm_bounce_cmd_rescan = {
	.name = "bounce rescan",
	.mail_cmd = cmd_bounce_rescan_alloc,
	.usage = DOVEADM_CMD_MAIL_USAGE_PREFIX
		"[--mailbox <mailbox>] [--reclassify]",
DOVEADM_CMD_PARAMS_START
DOVEADM_CMD_MAIL_COMMON
DOVEADM_CMD_PARAM('m', "mailbox", CMD_PARAM_STR, 0)
DOVEADM_CMD_PARAM('r', "reclassify", CMD_PARAM_BOOL, 0)
DOVEADM_CMD_PARAMS_END
};
