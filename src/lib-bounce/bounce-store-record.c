/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "json-parser.h"
#include "message-date.h"
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
	BIP_REPORTED_DOMAIN,
};

#define BOUNCE_STORE_INSERT_SQL \
	"INSERT INTO bounces (recorded_at, bounced_at, msg_key, mailbox," \
	" mailbox_guid, uid, message_guid, message_id, recipient, domain," \
	" original_recipient, final_recipient, verp_recipient, action, status," \
	" reply_code, reason, category, hard, rule, format, diagnostic_type," \
	" diagnostic, smtp_command, reporting_mta, remote_mta, arrival_date," \
	" original_message_id, original_from, original_subject," \
	" original_list_id, campaign, feedback_type, source_ip," \
	" reported_domain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10," \
	" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23," \
	" ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)" \
	" ON CONFLICT (msg_key, recipient) DO UPDATE SET" \
	" mailbox = excluded.mailbox, mailbox_guid = excluded.mailbox_guid," \
	" uid = excluded.uid, message_guid = excluded.message_guid"

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
	return msg->message_id != NULL && *msg->message_id != '\0' ?
		t_strconcat("id:", msg->message_id, NULL) :
		t_strconcat("guid:", msg->message_guid != NULL ?
			    msg->message_guid : "", NULL);
}

static void
bounce_store_bind_message(sqlite3_stmt *stmt,
			  const struct bounce_store_message *msg,
			  const struct bounce_report *report)
{
	(void)sqlite3_bind_int64(stmt, BIP_RECORDED_AT, msg->recorded_at);
	(void)sqlite3_bind_int64(stmt, BIP_BOUNCED_AT,
		bounce_store_bounced_at(report, msg));
	bounce_bind_str(stmt, BIP_MSG_KEY, bounce_store_msg_key(msg));
	bounce_bind_str(stmt, BIP_MAILBOX, msg->mailbox);
	bounce_bind_str(stmt, BIP_MAILBOX_GUID, msg->mailbox_guid);
	(void)sqlite3_bind_int64(stmt, BIP_UID, msg->uid);
	bounce_bind_str(stmt, BIP_MESSAGE_GUID, msg->message_guid);
	bounce_bind_str(stmt, BIP_MESSAGE_ID, msg->message_id);
	bounce_bind_str(stmt, BIP_VERP_RECIPIENT, report->verp_recipient);
	bounce_bind_str(stmt, BIP_FORMAT, report->format);
	bounce_bind_str(stmt, BIP_REPORTING_MTA, report->reporting_mta);
	bounce_bind_str(stmt, BIP_ARRIVAL_DATE, report->arrival_date);
	bounce_bind_str(stmt, BIP_ORIGINAL_MESSAGE_ID, report->orig_message_id);
	bounce_bind_str(stmt, BIP_ORIGINAL_FROM, report->orig_from);
	bounce_bind_str(stmt, BIP_ORIGINAL_SUBJECT, report->orig_subject);
	bounce_bind_str(stmt, BIP_ORIGINAL_LIST_ID, report->orig_list_id);
	bounce_bind_str(stmt, BIP_CAMPAIGN, bounce_store_campaign_json(report));
	bounce_bind_str(stmt, BIP_FEEDBACK_TYPE, report->feedback_type);
	bounce_bind_str(stmt, BIP_SOURCE_IP, report->source_ip);
	bounce_bind_str(stmt, BIP_REPORTED_DOMAIN, report->reported_domain);
}

const char *bounce_address_domain(const char *address)
{
	const char *domain = strrchr(address, '@');

	return domain == NULL ? "" : domain + 1;
}

static void bounce_store_bind_recipient(sqlite3_stmt *stmt,
					const struct bounce_recipient *rcpt)
{
	bounce_bind_str(stmt, BIP_RECIPIENT, rcpt->address);
	bounce_bind_str(stmt, BIP_DOMAIN, bounce_address_domain(rcpt->address));
	bounce_bind_str(stmt, BIP_ORIGINAL_RECIPIENT, rcpt->original_recipient);
	bounce_bind_str(stmt, BIP_FINAL_RECIPIENT, rcpt->final_recipient);
	bounce_bind_str(stmt, BIP_ACTION, bounce_action_name(rcpt->action));
	bounce_bind_str(stmt, BIP_STATUS, rcpt->status);
	bounce_bind_str(stmt, BIP_REPLY_CODE, rcpt->reply_code);
	bounce_bind_str(stmt, BIP_REASON, bounce_reason_name(rcpt->reason));
	bounce_bind_str(stmt, BIP_CATEGORY,
			bounce_category_name(rcpt->category));
	(void)sqlite3_bind_int(stmt, BIP_HARD, rcpt->hard ? 1 : 0);
	bounce_bind_str(stmt, BIP_RULE, rcpt->rule);
	bounce_bind_str(stmt, BIP_DIAGNOSTIC_TYPE, rcpt->diagnostic_type);
	bounce_bind_str(stmt, BIP_DIAGNOSTIC, rcpt->diagnostic);
	bounce_bind_str(stmt, BIP_SMTP_COMMAND, rcpt->smtp_command);
	bounce_bind_str(stmt, BIP_REMOTE_MTA, rcpt->remote_mta);
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

static int bounce_store_insert_all(struct bounce_store *store,
				   const char *sql,
				   const struct bounce_store_message *msg,
				   const struct bounce_report *report,
				   ARRAY_TYPE(const_string) *affected,
				   const char **error_r)
{
	const struct bounce_recipient *rcpt;
	struct bounce_recipient none;
	sqlite3_stmt *stmt;
	int rows = 0;

	if (bounce_store_prepare(store, sql, &stmt, error_r) < 0)
		return -1;
	bounce_store_bind_message(stmt, msg, report);
	if (array_count(&report->recipients) == 0) {
		/* unrecognised mail gets a row too: never silently dropped */
		i_zero(&none);
		none.address = "";
		none.reason = BOUNCE_REASON_UNDEFINED;
		none.category = BOUNCE_CATEGORY_UNKNOWN;
		none.rule = "none";
		bounce_store_bind_recipient(stmt, &none);
		if (bounce_store_insert(store, stmt, error_r) < 0)
			rows = -1;
		else
			rows++;
	}
	array_foreach(&report->recipients, rcpt) {
		if (rows < 0)
			break;
		bounce_store_bind_recipient(stmt, rcpt);
		if (bounce_store_insert(store, stmt, error_r) < 0)
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

