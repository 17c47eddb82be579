/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "strescape.h"
#include "istream.h"
#include "json-parser.h"
#include "message-date.h"
#include "bounce-spool.h"
#include "bounce-store-private.h"

#include <time.h>

/* Recording one analysed bounce: a row per recipient, idempotent per
   (message, recipient), and the recipients' state refreshed in the same
   transaction. */

enum bounce_insert_param {
	BIP_RECORDED_AT = 1, BIP_BOUNCED_AT, BIP_MSG_KEY, BIP_MAILBOX,
	BIP_MAILBOX_GUID, BIP_UID, BIP_MESSAGE_GUID, BIP_MESSAGE_ID,
	BIP_RECIPIENT, BIP_DOMAIN, BIP_ORIGINAL_RECIPIENT,
	BIP_FINAL_RECIPIENT, BIP_VERP_RECIPIENT, BIP_ACTION, BIP_STATUS,
	BIP_REPLY_CODE, BIP_REASON, BIP_CATEGORY, BIP_HARD, BIP_RULE,
	BIP_FORMAT, BIP_DIAGNOSTIC_TYPE, BIP_DIAGNOSTIC, BIP_SMTP_COMMAND,
	BIP_REPORTING_MTA, BIP_REMOTE_MTA, BIP_ARRIVAL_DATE,
	BIP_ORIGINAL_MESSAGE_ID, BIP_ORIGINAL_FROM, BIP_ORIGINAL_SUBJECT,
	BIP_ORIGINAL_LIST_ID, BIP_CAMPAIGN, BIP_FEEDBACK_TYPE, BIP_SOURCE_IP,
	BIP_REPORTED_DOMAIN, BIP_STORAGE_ID,
};
#define BIP_COUNT BIP_STORAGE_ID

#define BOUNCE_STORE_INSERT_SQL \
	"INSERT INTO bounces (recorded_at, bounced_at, msg_key, mailbox," \
	" mailbox_guid, uid, message_guid, message_id, recipient, domain," \
	" original_recipient, final_recipient, verp_recipient, action, status," \
	" reply_code, reason, category, hard, rule, format, diagnostic_type," \
	" diagnostic, smtp_command, reporting_mta, remote_mta, arrival_date," \
	" original_message_id, original_from, original_subject," \
	" original_list_id, campaign, feedback_type, source_ip," \
	" reported_domain, storage_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7," \
	" ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21," \
	" ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34," \
	" ?35, ?36)" \
	" ON CONFLICT (msg_key, recipient) DO UPDATE SET" \
	" mailbox = excluded.mailbox, mailbox_guid = excluded.mailbox_guid," \
	" uid = excluded.uid, message_guid = excluded.message_guid," \
	" storage_id = excluded.storage_id"

/* the same bounce again (rescan, redelivery, COPY): keep the row and its
   first recorded time, follow the message to where it is now */
static const char bounce_store_insert_sql[] = BOUNCE_STORE_INSERT_SQL;

/* reclassification: the same, and take everything the analysis says */
static const char bounce_store_replace_sql[] = BOUNCE_STORE_INSERT_SQL ","
	" bounced_at = excluded.bounced_at, message_id = excluded.message_id,"
	" domain = excluded.domain,"
	" original_recipient = excluded.original_recipient,"
	" final_recipient = excluded.final_recipient,"
	" verp_recipient = excluded.verp_recipient, action = excluded.action,"
	" status = excluded.status, reply_code = excluded.reply_code,"
	" reason = excluded.reason, category = excluded.category,"
	" hard = excluded.hard, rule = excluded.rule, format = excluded.format,"
	" diagnostic_type = excluded.diagnostic_type,"
	" diagnostic = excluded.diagnostic,"
	" smtp_command = excluded.smtp_command,"
	" reporting_mta = excluded.reporting_mta,"
	" remote_mta = excluded.remote_mta,"
	" arrival_date = excluded.arrival_date,"
	" original_message_id = excluded.original_message_id,"
	" original_from = excluded.original_from,"
	" original_subject = excluded.original_subject,"
	" original_list_id = excluded.original_list_id,"
	" campaign = excluded.campaign, feedback_type = excluded.feedback_type,"
	" source_ip = excluded.source_ip,"
	" reported_domain = excluded.reported_domain";

void bounce_bind_str(sqlite3_stmt *stmt, int idx, const char *value)
{
	if (value == NULL)
		value = "";
	(void)sqlite3_bind_text(stmt, idx, value, -1, SQLITE_TRANSIENT);
}

static const char *bounce_store_campaign_json(const struct bounce_report *report)
{
	const struct bounce_header *hdr;
	string_t *str;

	if (array_count(&report->campaign_headers) == 0)
		return "";
	str = t_str_new(128);
	str_append_c(str, '{');
	array_foreach(&report->campaign_headers, hdr) {
		if (str_len(str) > 1)
			str_append_c(str, ',');
		str_append_c(str, '"');
		json_append_escaped(str, hdr->name);
		str_append(str, "\":\"");
		json_append_escaped(str, hdr->value);
		str_append_c(str, '"');
	}
	str_append_c(str, '}');
	return str_c(str);
}

static time_t bounce_store_bounced_at(const struct bounce_report *report,
				      const struct bounce_store_message *msg)
{
	time_t t;
	int tz;

	/* soft-bounce windows count from when the bounce happened, which
	   matters when old mail is rescanned */
	if (report->arrival_date != NULL &&
	    message_date_parse((const unsigned char *)report->arrival_date,
			       strlen(report->arrival_date), &t, &tz) &&
	    t > 0 && t <= msg->recorded_at)
		return t;
	if (msg->received_at > 0 && msg->received_at <= msg->recorded_at)
		return msg->received_at;
	return msg->recorded_at;
}

static const char *bounce_store_msg_key(const struct bounce_store_message *msg)
{
	if (msg->message_id != NULL && *msg->message_id != '\0')
		return t_strconcat("id:", msg->message_id, NULL);
	/* a file name is unique until the message has a GUID (see
	   bounce_store_resolve()) */
	if ((msg->message_guid == NULL || *msg->message_guid == '\0') &&
	    msg->storage_id != NULL && *msg->storage_id != '\0')
		return t_strconcat("file:", msg->storage_id, NULL);
	return t_strconcat("guid:", msg->message_guid != NULL ?
			   msg->message_guid : "", NULL);
}

/* The values of one row, indexed by enum bounce_insert_param: what the
   insert binds, and what the spool keeps for a later import. Numbers
   are decimal strings. */
typedef const char *bounce_row_values_t[BIP_COUNT + 1];

static bool bounce_insert_param_is_number(unsigned int idx)
{
	return idx == BIP_RECORDED_AT || idx == BIP_BOUNCED_AT ||
		idx == BIP_UID || idx == BIP_HARD;
}

static void
bounce_row_message_values(bounce_row_values_t values,
			  const struct bounce_store_message *msg,
			  const struct bounce_report *report)
{
	values[BIP_RECORDED_AT] = dec2str(msg->recorded_at);
	values[BIP_BOUNCED_AT] = dec2str(bounce_store_bounced_at(report, msg));
	values[BIP_MSG_KEY] = bounce_store_msg_key(msg);
	values[BIP_MAILBOX] = msg->mailbox;
	values[BIP_MAILBOX_GUID] = msg->mailbox_guid;
	values[BIP_UID] = dec2str(msg->uid);
	values[BIP_MESSAGE_GUID] = msg->message_guid;
	values[BIP_MESSAGE_ID] = msg->message_id;
	values[BIP_VERP_RECIPIENT] = report->verp_recipient;
	values[BIP_FORMAT] = report->format;
	values[BIP_REPORTING_MTA] = report->reporting_mta;
	values[BIP_ARRIVAL_DATE] = report->arrival_date;
	values[BIP_ORIGINAL_MESSAGE_ID] = report->orig_message_id;
	values[BIP_ORIGINAL_FROM] = report->orig_from;
	values[BIP_ORIGINAL_SUBJECT] = report->orig_subject;
	values[BIP_ORIGINAL_LIST_ID] = report->orig_list_id;
	values[BIP_CAMPAIGN] = bounce_store_campaign_json(report);
	values[BIP_FEEDBACK_TYPE] = report->feedback_type;
	values[BIP_SOURCE_IP] = report->source_ip;
	values[BIP_REPORTED_DOMAIN] = report->reported_domain;
	values[BIP_STORAGE_ID] = msg->storage_id;
}

const char *bounce_address_domain(const char *address)
{
	const char *domain = strrchr(address, '@');

	return domain == NULL ? "" : domain + 1;
}

static void bounce_row_recipient_values(bounce_row_values_t values,
					const struct bounce_recipient *rcpt)
{
	values[BIP_RECIPIENT] = rcpt->address;
	values[BIP_DOMAIN] = bounce_address_domain(rcpt->address);
	values[BIP_ORIGINAL_RECIPIENT] = rcpt->original_recipient;
	values[BIP_FINAL_RECIPIENT] = rcpt->final_recipient;
	values[BIP_ACTION] = bounce_action_name(rcpt->action);
	values[BIP_STATUS] = rcpt->status;
	values[BIP_REPLY_CODE] = rcpt->reply_code;
	values[BIP_REASON] = bounce_reason_name(rcpt->reason);
	values[BIP_CATEGORY] = bounce_category_name(rcpt->category);
	values[BIP_HARD] = rcpt->hard ? "1" : "0";
	values[BIP_RULE] = rcpt->rule;
	values[BIP_DIAGNOSTIC_TYPE] = rcpt->diagnostic_type;
	values[BIP_DIAGNOSTIC] = rcpt->diagnostic;
	values[BIP_SMTP_COMMAND] = rcpt->smtp_command;
	values[BIP_REMOTE_MTA] = rcpt->remote_mta;
}

/* Unrecognised mail gets a row too, with this recipient: never silently
   dropped. */
static void bounce_recipient_none(struct bounce_recipient *none_r)
{
	i_zero(none_r);
	none_r->address = "";
	none_r->reason = BOUNCE_REASON_UNDEFINED;
	none_r->category = BOUNCE_CATEGORY_UNKNOWN;
	none_r->rule = "none";
}

/* Returns -1 if a number isn't one (a damaged spool line). */
static int bounce_store_bind_values(sqlite3_stmt *stmt,
				    const bounce_row_values_t values)
{
	int64_t num;

	for (unsigned int idx = 1; idx <= BIP_COUNT; idx++) {
		if (!bounce_insert_param_is_number(idx))
			bounce_bind_str(stmt, idx, values[idx]);
		else if (str_to_int64(values[idx], &num) < 0)
			return -1;
		else
			(void)sqlite3_bind_int64(stmt, idx, num);
	}
	return 0;
}

static int bounce_store_insert(struct bounce_store *store, sqlite3_stmt *stmt,
			       const char **error_r)
{
	int ret = sqlite3_step(stmt);

	if (ret != SQLITE_DONE) {
		*error_r = bounce_store_error(store, "INSERT");
		return -1;
	}
	(void)sqlite3_reset(stmt);
	return 0;
}

/* --- record / replace --- */

static bool bounce_report_has_recipient(const struct bounce_report *report,
					const char *address)
{
	const struct bounce_recipient *rcpt;

	if (array_count(&report->recipients) == 0)
		return *address == '\0';
	array_foreach(&report->recipients, rcpt) {
		if (strcmp(rcpt->address, address) == 0)
			return TRUE;
	}
	return FALSE;
}

/* For a reclassification: delete the message's rows for recipients the
   new report doesn't have, remembering them so their state follows. */
static int bounce_store_drop_stale(struct bounce_store *store,
				   const struct bounce_store_message *msg,
				   const struct bounce_report *report,
				   ARRAY_TYPE(const_string) *affected,
				   const char **error_r)
{
	ARRAY_TYPE(const_string) old;
	const char *address, *msg_key = bounce_store_msg_key(msg);
	sqlite3_stmt *stmt;

	t_array_init(&old, 8);
	if (bounce_store_prepare(store,
			"SELECT recipient FROM bounces WHERE msg_key = ?1",
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, msg_key);
	if (bounce_store_collect(store, stmt, &old, error_r) < 0)
		return -1;
	/* the empty recipient (unrecognised mail) isn't collected */
	if (array_count(&report->recipients) > 0) {
		address = "";
		array_push_back(&old, &address);
	}

	array_foreach_elem(&old, address) {
		if (bounce_report_has_recipient(report, address))
			continue;
		if (bounce_store_prepare(store,
				"DELETE FROM bounces WHERE msg_key = ?1"
				" AND recipient = ?2", &stmt, error_r) < 0)
			return -1;
		bounce_bind_str(stmt, 1, msg_key);
		bounce_bind_str(stmt, 2, address);
		if (bounce_store_step_done(store, &stmt, "DELETE", error_r) < 0)
			return -1;
		bounce_addresses_add(affected, address);
	}
	return 0;
}

static int bounce_store_insert_values(struct bounce_store *store,
				      sqlite3_stmt *stmt,
				      const bounce_row_values_t values,
				      const char **error_r)
{
	if (bounce_store_bind_values(stmt, values) < 0) {
		*error_r = "a number column isn't a number";
		return -1;
	}
	return bounce_store_insert(store, stmt, error_r);
}

static int bounce_store_insert_all(struct bounce_store *store,
				   const char *sql,
				   const struct bounce_store_message *msg,
				   const struct bounce_report *report,
				   ARRAY_TYPE(const_string) *affected,
				   const char **error_r)
{
	const struct bounce_recipient *rcpt;
	struct bounce_recipient none;
	bounce_row_values_t values;
	sqlite3_stmt *stmt;
	int rows = 0;

	if (bounce_store_prepare(store, sql, &stmt, error_r) < 0)
		return -1;
	bounce_row_message_values(values, msg, report);
	if (array_count(&report->recipients) == 0) {
		bounce_recipient_none(&none);
		bounce_row_recipient_values(values, &none);
		if (bounce_store_insert_values(store, stmt, values,
					       error_r) < 0)
			rows = -1;
		else
			rows++;
	}
	array_foreach(&report->recipients, rcpt) {
		if (rows < 0)
			break;
		bounce_row_recipient_values(values, rcpt);
		if (bounce_store_insert_values(store, stmt, values,
					       error_r) < 0)
			rows = -1;
		else {
			rows++;
			bounce_addresses_add(affected, rcpt->address);
		}
	}
	bounce_store_stmt_release(store, stmt);
	return rows;
}

static int bounce_store_record_full(struct bounce_store *store,
				    const struct bounce_store_message *msg,
				    const struct bounce_report *report,
				    bool replace, const char **error_r)
{
	ARRAY_TYPE(const_string) affected;
	int rows;

	t_array_init(&affected, 8);
	if (bounce_store_begin(store, error_r) < 0)
		return -1;
	if (replace && bounce_store_drop_stale(store, msg, report, &affected,
					       error_r) < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	rows = bounce_store_insert_all(store, replace ?
				       bounce_store_replace_sql :
				       bounce_store_insert_sql,
				       msg, report, &affected, error_r);
	/* the state changes with the rows or not at all */
	if (rows < 0 || bounce_addresses_refresh(store, &affected,
						 error_r) < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	if (bounce_store_commit(store, error_r) < 0)
		return -1;
	return rows;
}

int bounce_store_record(struct bounce_store *store,
			const struct bounce_store_message *msg,
			const struct bounce_report *report,
			const char **error_r)
{
	int ret;

	T_BEGIN {
		ret = bounce_store_record_full(store, msg, report, FALSE,
					       error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	return ret;
}

int bounce_store_replace(struct bounce_store *store,
			 const struct bounce_store_message *msg,
			 const struct bounce_report *report,
			 const char **error_r)
{
	int ret;

	T_BEGIN {
		ret = bounce_store_record_full(store, msg, report, TRUE,
					       error_r);
	} T_END_PASS_STR_IF(ret < 0, error_r);
	return ret;
}

/* --- the spool: rows recorded later (see bounce-spool.h) --- */

struct bounce_store_spool_import {
	struct bounce_store *store;
	struct bounce_spool_import_result *result;
};

/* A spooled row: this tag, then the values of bounce_row_values_t, tab
   separated and tab-escaped, one line. A new column list takes a new
   tag, so that an older importer skips what it can't read. */
#define BOUNCE_SPOOL_ROW_TAG "R1"
/* rows per transaction while importing: a crash repeats at most these,
   which is harmless (rows are idempotent) */
#define BOUNCE_SPOOL_IMPORT_BATCH 256

static void bounce_spool_append_row(string_t *dest,
				    const bounce_row_values_t values)
{
	str_append(dest, BOUNCE_SPOOL_ROW_TAG);
	for (unsigned int idx = 1; idx <= BIP_COUNT; idx++) {
		str_append_c(dest, '\t');
		if (values[idx] != NULL)
			str_append_tabescaped(dest, values[idx]);
	}
	str_append_c(dest, '\n');
}

void bounce_store_spool_rows(string_t *dest,
			     const struct bounce_store_message *msg,
			     const struct bounce_report *report)
{
	const struct bounce_recipient *rcpt;
	struct bounce_recipient none;
	bounce_row_values_t values;

	/* no data stack frame of our own: dest may be the caller's and
	   must be able to grow */
	bounce_row_message_values(values, msg, report);
	if (array_count(&report->recipients) == 0) {
		bounce_recipient_none(&none);
		bounce_row_recipient_values(values, &none);
		bounce_spool_append_row(dest, values);
	}
	array_foreach(&report->recipients, rcpt) {
		bounce_row_recipient_values(values, rcpt);
		bounce_spool_append_row(dest, values);
	}
}

/* Returns 1 if the line was a row and is inserted, 0 if it isn't a row
   this version can read, -1 on a database error. */
static int bounce_store_import_line(struct bounce_store *store,
				    sqlite3_stmt *stmt, const char *line,
				    ARRAY_TYPE(const_string) *affected,
				    const char **error_r)
{
	const char *const *fields = t_strsplit_tabescaped(line);

	if (str_array_length(fields) != BIP_COUNT + 1 ||
	    strcmp(fields[0], BOUNCE_SPOOL_ROW_TAG) != 0)
		return 0;
	if (bounce_store_bind_values(stmt, fields) < 0)
		return 0;
	if (bounce_store_insert(store, stmt, error_r) < 0)
		return -1;
	bounce_addresses_add(affected, fields[BIP_RECIPIENT]);
	return 1;
}

/* One transaction of up to BOUNCE_SPOOL_IMPORT_BATCH lines. Returns 1 if
   there may be more, 0 at the end of input, -1 on error. */
static int bounce_store_import_batch(struct bounce_store *store,
				     struct istream *input,
				     struct bounce_spool_import_result *result,
				     const char **error_r)
{
	ARRAY_TYPE(const_string) affected;
	struct bounce_spool_import_result batch;
	sqlite3_stmt *stmt;
	const char *line;
	bool more = FALSE;
	int ret = 0;

	i_zero(&batch);
	t_array_init(&affected, BOUNCE_SPOOL_IMPORT_BATCH);
	if (bounce_store_begin(store, error_r) < 0)
		return -1;
	if (bounce_store_prepare(store, bounce_store_insert_sql,
				 &stmt, error_r) < 0) {
		bounce_store_rollback(store);
		return -1;
	}
	for (;;) {
		if (batch.rows + batch.skipped >= BOUNCE_SPOOL_IMPORT_BATCH) {
			more = TRUE;
			break;
		}
		line = bounce_spool_read_line(input, &batch.skipped);
		if (line == NULL)
			break;
		ret = bounce_store_import_line(store, stmt, line, &affected,
					       error_r);
		if (ret < 0)
			break;
		if (ret > 0)
			batch.rows++;
		else
			batch.skipped++;
	}
	bounce_store_stmt_release(store, stmt);
	if (ret < 0 || input->stream_errno != 0 ||
	    bounce_addresses_refresh(store, &affected, error_r) < 0) {
		if (ret >= 0 && input->stream_errno != 0) {
			*error_r = t_strdup_printf("read(%s) failed: %s",
				i_stream_get_name(input),
				i_stream_get_error(input));
		}
		bounce_store_rollback(store);
		return -1;
	}
	if (bounce_store_commit(store, error_r) < 0)
		return -1;
	result->rows += batch.rows;
	result->skipped += batch.skipped;
	return more ? 1 : 0;
}

int bounce_store_import_rows(struct bounce_store *store,
			     struct istream *input,
			     struct bounce_spool_import_result *result,
			     const char **error_r)
{
	int ret;

	do {
		T_BEGIN {
			ret = bounce_store_import_batch(store, input, result,
							error_r);
		} T_END_PASS_STR_IF(ret < 0, error_r);
	} while (ret > 0);
	return ret;
}

static int bounce_store_import_spool_file(struct istream *input,
					  void *context, const char **error_r)
{
	struct bounce_store_spool_import *ctx = context;

	return bounce_store_import_rows(ctx->store, input, ctx->result,
					error_r);
}

int bounce_store_import_spool(struct bounce_store *store,
			      const char *spool_path,
			      unsigned int lock_timeout_secs,
			      struct bounce_spool_import_result *result_r,
			      const char **error_r)
{
	struct bounce_store_spool_import ctx = {
		.store = store,
		.result = result_r,
	};

	i_zero(result_r);
	return bounce_spool_import(spool_path, lock_timeout_secs,
				   bounce_store_import_spool_file, &ctx,
				   error_r);
}

int bounce_store_has_message(struct bounce_store *store,
			     const struct bounce_store_message *msg,
			     const char **error_r)
{
	sqlite3_stmt *stmt;
	int ret;

	if (bounce_store_prepare(store,
			"SELECT 1 FROM bounces WHERE msg_key = ?1 OR"
			" (?2 <> '' AND mailbox_guid = ?2 AND uid = ?3) LIMIT 1",
			&stmt, error_r) < 0)
		return -1;
	bounce_bind_str(stmt, 1, bounce_store_msg_key(msg));
	bounce_bind_str(stmt, 2, msg->uid == 0 ? "" : msg->mailbox_guid);
	(void)sqlite3_bind_int64(stmt, 3, msg->uid);
	ret = sqlite3_step(stmt);
	if (ret != SQLITE_ROW && ret != SQLITE_DONE)
		*error_r = bounce_store_error(store, "SELECT");
	bounce_store_stmt_release(store, stmt);
	return ret == SQLITE_ROW ? 1 : ret == SQLITE_DONE ? 0 : -1;
}

