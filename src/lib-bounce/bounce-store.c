/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "json-parser.h"
#include "message-date.h"
#include "bounce-store.h"

#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

struct bounce_store {
	sqlite3 *db;
	char *path;
};

/* Schema migrations: entry N brings user_version N to N+1. Never edit
   a released entry; append a new one. */
static const char *const bounce_store_migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE bounces ("
	" id INTEGER PRIMARY KEY,"
	" recorded_at INTEGER NOT NULL,"
	" bounced_at INTEGER NOT NULL,"
	" msg_key TEXT NOT NULL,"
	" mailbox TEXT NOT NULL DEFAULT '',"
	" mailbox_guid TEXT NOT NULL DEFAULT '',"
	" uid INTEGER NOT NULL DEFAULT 0,"
	" message_guid TEXT NOT NULL DEFAULT '',"
	" message_id TEXT NOT NULL DEFAULT '',"
	" recipient TEXT NOT NULL DEFAULT '',"
	" domain TEXT NOT NULL DEFAULT '',"
	" original_recipient TEXT NOT NULL DEFAULT '',"
	" final_recipient TEXT NOT NULL DEFAULT '',"
	" verp_recipient TEXT NOT NULL DEFAULT '',"
	" action TEXT NOT NULL DEFAULT '',"
	" status TEXT NOT NULL DEFAULT '',"
	" reply_code TEXT NOT NULL DEFAULT '',"
	" reason TEXT NOT NULL DEFAULT 'undefined',"
	" category TEXT NOT NULL DEFAULT 'unknown',"
	" hard INTEGER NOT NULL DEFAULT 0,"
	" rule TEXT NOT NULL DEFAULT '',"
	" format TEXT NOT NULL DEFAULT '',"
	" diagnostic_type TEXT NOT NULL DEFAULT '',"
	" diagnostic TEXT NOT NULL DEFAULT '',"
	" smtp_command TEXT NOT NULL DEFAULT '',"
	" reporting_mta TEXT NOT NULL DEFAULT '',"
	" remote_mta TEXT NOT NULL DEFAULT '',"
	" arrival_date TEXT NOT NULL DEFAULT '',"
	" original_message_id TEXT NOT NULL DEFAULT '',"
	" original_from TEXT NOT NULL DEFAULT '',"
	" original_subject TEXT NOT NULL DEFAULT '',"
	" original_list_id TEXT NOT NULL DEFAULT '',"
	" campaign TEXT NOT NULL DEFAULT '',"
	" feedback_type TEXT NOT NULL DEFAULT '',"
	" source_ip TEXT NOT NULL DEFAULT '',"
	" reported_domain TEXT NOT NULL DEFAULT '',"
	" UNIQUE (msg_key, recipient));"
	"CREATE INDEX bounces_recipient ON bounces (recipient);"
	"CREATE INDEX bounces_domain ON bounces (domain);"
	"CREATE INDEX bounces_bounced_at ON bounces (bounced_at);"
	"CREATE INDEX bounces_message ON bounces (mailbox_guid, uid);",
};

/* key, SQL expression: the row as doveadm and exports see it */
const struct bounce_store_column bounce_store_bounce_columns[] = {
#define LIST BOUNCE_STORE_COLUMN_LIST
#define NUM BOUNCE_STORE_COLUMN_NUMBER
	{ "id", "id", NUM | LIST },
	{ "recorded_at", "strftime('%Y-%m-%dT%H:%M:%SZ', recorded_at, 'unixepoch')", LIST },
	{ "bounced_at", "strftime('%Y-%m-%dT%H:%M:%SZ', bounced_at, 'unixepoch')", 0 },
	{ "mailbox", "mailbox", LIST },
	{ "uid", "uid", NUM | LIST },
	{ "recipient", "recipient", LIST },
	{ "action", "action", LIST },
	{ "status", "status", LIST },
	{ "reply_code", "reply_code", LIST },
	{ "reason", "reason", LIST },
	{ "category", "category", LIST },
	{ "hard", "CASE hard WHEN 0 THEN 'false' ELSE 'true' END", 0 },
	{ "rule", "rule", 0 },
	{ "diagnostic", "diagnostic", LIST },
	{ "reporting_mta", "reporting_mta", LIST },
	{ "remote_mta", "remote_mta", LIST },
	{ "original_message_id", "original_message_id", LIST },
	{ "smtp_command", "smtp_command", 0 },
	{ "diagnostic_type", "diagnostic_type", 0 },
	{ "format", "format", 0 },
	{ "domain", "domain", 0 },
	{ "original_recipient", "original_recipient", 0 },
	{ "final_recipient", "final_recipient", 0 },
	{ "verp_recipient", "verp_recipient", 0 },
	{ "arrival_date", "arrival_date", 0 },
	{ "original_from", "original_from", 0 },
	{ "original_subject", "original_subject", 0 },
	{ "original_list_id", "original_list_id", 0 },
	{ "campaign", "campaign", 0 },
	{ "feedback_type", "feedback_type", 0 },
	{ "source_ip", "source_ip", 0 },
	{ "reported_domain", "reported_domain", 0 },
	{ "mailbox_guid", "mailbox_guid", 0 },
	{ "message_guid", "message_guid", 0 },
	{ "message_id", "message_id", 0 },
#undef LIST
#undef NUM
};

const unsigned int bounce_store_bounce_columns_count =
	N_ELEMENTS(bounce_store_bounce_columns);

static const char *bounce_store_error(struct bounce_store *store,
				      const char *func)
{
	return t_strdup_printf("%s(%s) failed: %s", func, store->path,
			       sqlite3_errmsg(store->db));
}

static int bounce_store_exec(struct bounce_store *store, const char *sql,
			     const char **error_r)
{
	if (sqlite3_exec(store->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		*error_r = bounce_store_error(store, "sqlite3_exec");
		return -1;
	}
	return 0;
}

static int bounce_store_user_version(struct bounce_store *store,
				     int *version_r, const char **error_r)
{
	sqlite3_stmt *stmt;
	int ret;

	if (sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1,
			       &stmt, NULL) != SQLITE_OK) {
		*error_r = bounce_store_error(store, "sqlite3_prepare");
		return -1;
	}
	ret = sqlite3_step(stmt);
	if (ret == SQLITE_ROW)
		*version_r = sqlite3_column_int(stmt, 0);
	else
		*error_r = bounce_store_error(store, "sqlite3_step");
	sqlite3_finalize(stmt);
	return ret == SQLITE_ROW ? 0 : -1;
}

static int bounce_store_migrate(struct bounce_store *store,
				const char **error_r)
{
	const int latest = N_ELEMENTS(bounce_store_migrations);
	int version;

	if (bounce_store_user_version(store, &version, error_r) < 0)
		return -1;
	if (version == latest)
		return 0;
	if (version > latest) {
		*error_r = t_strdup_printf(
			"%s: schema version %d is newer than this plugin's %d",
			store->path, version, latest);
		return -1;
	}
	/* several processes may open a new database at once: migrate under
	   the write lock and look again once we hold it */
	if (bounce_store_exec(store, "BEGIN IMMEDIATE", error_r) < 0)
		return -1;
	if (bounce_store_user_version(store, &version, error_r) < 0)
		goto rollback;
	for (; version < latest; version++) {
		if (bounce_store_exec(store, bounce_store_migrations[version],
				      error_r) < 0)
			goto rollback;
		if (bounce_store_exec(store, t_strdup_printf(
				"PRAGMA user_version = %d", version + 1),
				error_r) < 0)
			goto rollback;
	}
	return bounce_store_exec(store, "COMMIT", error_r);
rollback:
	(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int bounce_store_create_file(const char *path, const char **error_r)
{
	int fd;

	/* SQLite would create the file with the umask's mode; the database
	   holds subscriber addresses, so create it 0600 first. SQLite gives
	   its -wal and -shm files the same mode. */
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	i_close_fd(&fd);
	return 0;
}

static int bounce_store_open_flags(const char *path,
				   unsigned int busy_timeout_msecs,
				   int flags, struct bounce_store **store_r,
				   const char **error_r)
{
	struct bounce_store *store;

	store = i_new(struct bounce_store, 1);
	store->path = i_strdup(path);
	if (sqlite3_open_v2(path, &store->db, flags, NULL) != SQLITE_OK) {
		*error_r = store->db == NULL ?
			t_strdup_printf("sqlite3_open_v2(%s) failed", path) :
			bounce_store_error(store, "sqlite3_open_v2");
		bounce_store_close(&store);
		return -1;
	}
	sqlite3_busy_timeout(store->db, busy_timeout_msecs);
	sqlite3_extended_result_codes(store->db, 1);
	*store_r = store;
	return 0;
}

int bounce_store_open(const char *path, unsigned int busy_timeout_msecs,
		      struct bounce_store **store_r, const char **error_r)
{
	struct bounce_store *store;

	if (bounce_store_create_file(path, error_r) < 0)
		return -1;
	if (bounce_store_open_flags(path, busy_timeout_msecs,
				    SQLITE_OPEN_READWRITE |
				    SQLITE_OPEN_NOMUTEX, &store, error_r) < 0)
		return -1;
	/* WAL lets doveadm read while deliveries write; NORMAL sync is
	   durable across process crashes, which is what a rescan can't
	   recover from anyway */
	if (bounce_store_exec(store, "PRAGMA journal_mode=WAL", error_r) < 0 ||
	    bounce_store_exec(store, "PRAGMA synchronous=NORMAL", error_r) < 0 ||
	    bounce_store_migrate(store, error_r) < 0) {
		bounce_store_close(&store);
		return -1;
	}
	*store_r = store;
	return 0;
}

int bounce_store_open_readonly(const char *path,
			       unsigned int busy_timeout_msecs,
			       struct bounce_store **store_r,
			       const char **error_r)
{
	struct bounce_store *store;
	int version;

	if (bounce_store_open_flags(path, busy_timeout_msecs,
				    SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX,
				    &store, error_r) < 0)
		return -1;
	if (bounce_store_user_version(store, &version, error_r) < 0) {
		bounce_store_close(&store);
		return -1;
	}
	if (version != (int)N_ELEMENTS(bounce_store_migrations)) {
		*error_r = t_strdup_printf(
			"%s: schema version %d, expected %u (open it read-write once to migrate)",
			path, version,
			(unsigned int)N_ELEMENTS(bounce_store_migrations));
		bounce_store_close(&store);
		return -1;
	}
	*store_r = store;
	return 0;
}

void bounce_store_close(struct bounce_store **_store)
{
	struct bounce_store *store = *_store;

	if (store == NULL)
		return;
	*_store = NULL;
	if (store->db != NULL)
		(void)sqlite3_close_v2(store->db);
	i_free(store->path);
	i_free(store);
}

/* --- recording --- */

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

static const char bounce_store_insert_sql[] =
	"INSERT INTO bounces (recorded_at, bounced_at, msg_key, mailbox,"
	" mailbox_guid, uid, message_guid, message_id, recipient, domain,"
	" original_recipient, final_recipient, verp_recipient, action, status,"
	" reply_code, reason, category, hard, rule, format, diagnostic_type,"
	" diagnostic, smtp_command, reporting_mta, remote_mta, arrival_date,"
	" original_message_id, original_from, original_subject,"
	" original_list_id, campaign, feedback_type, source_ip,"
	" reported_domain) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
	" ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
	" ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34, ?35)"
	/* the same bounce again (rescan, redelivery, COPY): keep the row and
	   its first recorded time, follow the message to where it is now */
	" ON CONFLICT (msg_key, recipient) DO UPDATE SET"
	" mailbox = excluded.mailbox, mailbox_guid = excluded.mailbox_guid,"
	" uid = excluded.uid, message_guid = excluded.message_guid";

static void bounce_bind_str(sqlite3_stmt *stmt, int idx, const char *value)
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
				      time_t recorded_at)
{
	time_t t;
	int tz;

	/* soft-bounce windows count from when the bounce happened, which
	   matters when old mail is rescanned */
	if (report->arrival_date != NULL &&
	    message_date_parse((const unsigned char *)report->arrival_date,
			       strlen(report->arrival_date), &t, &tz) &&
	    t > 0 && t <= recorded_at)
		return t;
	return recorded_at;
}

static void
bounce_store_bind_message(sqlite3_stmt *stmt,
			  const struct bounce_store_message *msg,
			  const struct bounce_report *report)
{
	const char *msg_key;

	msg_key = msg->message_id != NULL && *msg->message_id != '\0' ?
		t_strconcat("id:", msg->message_id, NULL) :
		t_strconcat("guid:", msg->message_guid != NULL ?
			    msg->message_guid : "", NULL);
	(void)sqlite3_bind_int64(stmt, BIP_RECORDED_AT, msg->recorded_at);
	(void)sqlite3_bind_int64(stmt, BIP_BOUNCED_AT,
		bounce_store_bounced_at(report, msg->recorded_at));
	bounce_bind_str(stmt, BIP_MSG_KEY, msg_key);
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

static void bounce_store_bind_recipient(sqlite3_stmt *stmt,
					const struct bounce_recipient *rcpt)
{
	const char *domain = strrchr(rcpt->address, '@');

	bounce_bind_str(stmt, BIP_RECIPIENT, rcpt->address);
	bounce_bind_str(stmt, BIP_DOMAIN, domain == NULL ? "" : domain + 1);
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

int bounce_store_record(struct bounce_store *store,
			const struct bounce_store_message *msg,
			const struct bounce_report *report,
			const char **error_r)
{
	const struct bounce_recipient *rcpt;
	struct bounce_recipient none;
	sqlite3_stmt *stmt;
	int rows = 0;

	if (sqlite3_prepare_v2(store->db, bounce_store_insert_sql, -1,
			       &stmt, NULL) != SQLITE_OK) {
		*error_r = bounce_store_error(store, "sqlite3_prepare");
		return -1;
	}
	if (bounce_store_exec(store, "BEGIN IMMEDIATE", error_r) < 0) {
		sqlite3_finalize(stmt);
		return -1;
	}
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
			goto rollback;
		rows++;
	}
	array_foreach(&report->recipients, rcpt) {
		bounce_store_bind_recipient(stmt, rcpt);
		if (bounce_store_insert(store, stmt, error_r) < 0)
			goto rollback;
		rows++;
	}
	sqlite3_finalize(stmt);
	if (bounce_store_exec(store, "COMMIT", error_r) < 0) {
		(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return rows;
rollback:
	sqlite3_finalize(stmt);
	(void)sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* --- listing --- */

static const char *bounce_store_select_sql(void)
{
	string_t *sql = t_str_new(1024);

	str_append(sql, "SELECT ");
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_store_bounce_columns); i++) {
		if (i > 0)
			str_append(sql, ", ");
		str_append(sql, bounce_store_bounce_columns[i].sql);
	}
	/* every filter is always present and disabled by a NULL parameter,
	   so there's one statement and no SQL built from input */
	str_append(sql, " FROM bounces WHERE"
		   " (?1 IS NULL OR bounced_at >= ?1) AND"
		   " (?2 IS NULL OR bounced_at < ?2) AND"
		   " (?3 IS NULL OR category = ?3) AND"
		   " (?4 IS NULL OR reason = ?4) AND"
		   " (?5 IS NULL OR recipient = ?5) AND"
		   " (?6 IS NULL OR domain = ?6) AND"
		   " (?7 IS NULL OR id = ?7)"
		   " ORDER BY id LIMIT ?8");
	return str_c(sql);
}

int bounce_store_list(struct bounce_store *store,
		      const struct bounce_store_filter *filter,
		      bounce_store_row_callback_t *callback, void *context,
		      const char **error_r)
{
	const unsigned int count = N_ELEMENTS(bounce_store_bounce_columns);
	const char **values;
	sqlite3_stmt *stmt;
	int ret;

	if (sqlite3_prepare_v2(store->db, bounce_store_select_sql(), -1,
			       &stmt, NULL) != SQLITE_OK) {
		*error_r = bounce_store_error(store, "sqlite3_prepare");
		return -1;
	}
	if (filter->since != 0)
		(void)sqlite3_bind_int64(stmt, 1, filter->since);
	if (filter->until != 0)
		(void)sqlite3_bind_int64(stmt, 2, filter->until);
	if (filter->category != NULL)
		bounce_bind_str(stmt, 3, filter->category);
	if (filter->reason != NULL)
		bounce_bind_str(stmt, 4, filter->reason);
	if (filter->recipient != NULL)
		bounce_bind_str(stmt, 5, t_str_lcase(filter->recipient));
	if (filter->domain != NULL)
		bounce_bind_str(stmt, 6, t_str_lcase(filter->domain));
	if (filter->id != 0)
		(void)sqlite3_bind_int64(stmt, 7, filter->id);
	(void)sqlite3_bind_int64(stmt, 8, filter->limit == 0 ? -1 :
				 (sqlite3_int64)filter->limit);

	values = t_new(const char *, count + 1);
	while ((ret = sqlite3_step(stmt)) == SQLITE_ROW) {
		for (unsigned int i = 0; i < count; i++) {
			const unsigned char *v = sqlite3_column_text(stmt, i);
			values[i] = v == NULL ? "" : (const char *)v;
		}
		callback(values, context);
	}
	if (ret != SQLITE_DONE)
		*error_r = bounce_store_error(store, "SELECT");
	sqlite3_finalize(stmt);
	return ret == SQLITE_DONE ? 0 : -1;
}
