/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "bounce-classify.h"
#include "bounce-rhost.h"
#include "test-bounce-common.h"

/* The classifier on recipients whose facts are set by hand: one row per
   case, written from the wording real MTAs and providers use, plus the
   category policy and the hard-bounce fact. */

struct classify_case {
	const char *address;
	const char *diagnostic, *diagnostic_type;
	const char *status, *reply_code, *remote_mta, *smtp_command;
	enum bounce_action action;
	enum bounce_reason hint;
	const char *rule_hint;

	enum bounce_reason reason;
	const char *rule_prefix;
};

#define FAILED BOUNCE_ACTION_FAILED
#define REASON(name) BOUNCE_REASON_##name

static const struct classify_case classify_cases[] = {
	/* --- userunknown --- */
	{ .diagnostic = "550 5.1.1 <jane@example.org>: Recipient address rejected: User unknown in local recipient table",
	  .status = "5.1.1", .reply_code = "550",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "status:5.1.1" },
	{ .diagnostic = "550 Unknown user jane@example.org",
	  .status = "5.0.0", .reply_code = "550", .smtp_command = "RCPT",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "phrase:userunknown:unknown user" },
	{ .diagnostic = "553 sorry, user jane.doe@example.org does not exist here",
	  .reply_code = "553", .smtp_command = "RCPT",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "phrase:userunknown:user * does not exist" },
	{ .diagnostic = "550-5.1.1 The email account that you tried to reach does not exist. Please try 550-5.1.1 double-checking the recipient's email address",
	  .status = "5.1.1", .reply_code = "550", .remote_mta = "gmail-smtp-in.l.google.com",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "status:5.1.1" },
	/* Exchange Online's 5.1.10 is an unknown recipient, not a null MX */
	{ .diagnostic = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
	  .status = "5.1.10", .reply_code = "550",
	  .remote_mta = "example-org.mail.protection.outlook.com",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "rhost:microsoft:5.1.10" },
	{ .diagnostic = "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
	  .status = "5.1.10", .reply_code = "550", .remote_mta = "mail.example.org",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "phrase:userunknown:" },
	/* a userunknown text in reply to DATA: the recipient was accepted,
	   a filter refused the message */
	{ .diagnostic = "host mx.example.org[192.0.2.1] said: 550 Unknown user (in reply to end of DATA command)",
	  .status = "5.0.0", .reply_code = "550",
	  .reason = REASON(FILTERED), .rule_prefix = "phrase:userunknown:unknown user:command:data" },
	/* the same text with no command stated, relayed by a gateway or a
	   provider that doesn't say where the dialogue stopped: a filter */
	{ .diagnostic = "Server mx.example.org[192.0.2.1] failed with: 550 <jane@example.org> No such user here",
	  .reply_code = "550",
	  .reason = REASON(FILTERED), .rule_prefix = "phrase:userunknown:no such user:command:none" },
	/* ... but at RCPT it is what it says */
	{ .diagnostic = "550 <jane@example.org>: User unknown", .status = "5.0.0",
	  .reply_code = "550", .smtp_command = "RCPT",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "phrase:userunknown:user unknown" },
	/* a vendor's own directory text, passed as the format's hint */
	{ .diagnostic = "User Jane Doe (jane@example.org) not listed in Domino Directory",
	  .hint = REASON(USERUNKNOWN), .rule_hint = "format:domino:not listed in domino directory",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "format:domino:" },
	/* --- hostunknown, hasmoved, notaccept --- */
	{ .diagnostic = "Host or domain name not found. Name service error for name=example.net type=A: Host not found",
	  .status = "5.4.4",
	  .reason = REASON(HOSTUNKNOWN), .rule_prefix = "phrase:hostunknown:host or domain name not found" },
	{ .diagnostic = "550 5.1.2 bad destination system address", .status = "5.1.2",
	  .reason = REASON(HOSTUNKNOWN), .rule_prefix = "status:5.1.2" },
	{ .diagnostic = "550 5.1.6 recipient no longer on server: jane@example.org",
	  .status = "5.1.6", .reply_code = "550",
	  .reason = REASON(HASMOVED), .rule_prefix = "status:5.1.6" },
	{ .diagnostic = "556 5.1.10 Recipient address has null MX",
	  .status = "5.1.10", .reply_code = "556",
	  .reason = REASON(NOTACCEPT), .rule_prefix = "status:5.1.10" },
	{ .diagnostic = "DNS Error: DNS type 'mx' lookup of example.net responded with code NOERROR The domain example.net doesn't receive email according to the administrator: returned Null MX",
	  .status = "4.0.0",
	  .reason = REASON(NOTACCEPT), .rule_prefix = "phrase:notaccept:" },
	/* a null MX as qmail, Exim and OpenSMTPD word it */
	{ .diagnostic = "Sorry, I couldn't find a mail exchanger or IP address. (#5.4.4)",
	  .status = "5.4.4",
	  .reason = REASON(NOTACCEPT), .rule_prefix = "phrase:notaccept:couldn't find a mail exchanger" },
	{ .diagnostic = "all relevant MX records point to non-existent hosts or an MX or SRV record indicated no SMTP service",
	  .reason = REASON(NOTACCEPT), .rule_prefix = "phrase:notaccept:an mx or srv record" },
	{ .diagnostic = "No MX found for domain", .status = "4.0.0",
	  .reason = REASON(NOTACCEPT), .rule_prefix = "phrase:notaccept:no mx found for domain" },
	/* the HELO name refused: about our host, not the recipient's */
	{ .diagnostic = "Connected to 192.0.2.1 but my name was rejected. Remote host said: 501 5.0.0 Invalid domain name",
	  .status = "5.0.0", .reply_code = "501", .smtp_command = "HELO",
	  .reason = REASON(BLOCKED), .rule_prefix = "phrase:hostunknown:invalid domain:command:helo" },
	/* 5.7.1 at MAIL FROM: the sender was refused */
	{ .diagnostic = "550 5.7.1 <news@example.com>... Access denied",
	  .status = "5.7.1", .reply_code = "550", .smtp_command = "MAIL",
	  .reason = REASON(REJECTED), .rule_prefix = "status:5.7.1:command:mail" },
	/* a timeout with the cause stated: the cause */
	{ .diagnostic = "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1) I'm not going to try again; this message has been in the queue too long.",
	  .status = "4.4.1",
	  .reason = REASON(NETWORKERROR), .rule_prefix = "phrase:networkerror:wasn't able" },
	{ .diagnostic = "Unable to contact LDAP server. (#4.4.3) I'm not going to try again; this message has been in the queue too long.",
	  .status = "4.4.3",
	  .reason = REASON(SYSTEMERROR), .rule_prefix = "phrase:systemerror:unable to contact ldap" },
	{ .diagnostic = "Envelope expired",
	  .reason = REASON(EXPIRED), .rule_prefix = "phrase:expired:envelope expired" },
	/* Yahoo says its "no such user" after DATA */
	{ .diagnostic = "554 delivery error: dd This user doesn't have a yahoo.com account (jane@yahoo.com) [0]",
	  .status = "5.0.0", .reply_code = "554", .smtp_command = "DATA",
	  .remote_mta = "mta6.am0.yahoodns.net",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "rhost:yahoo:this user doesn't have a" },
	/* --- mailbox --- */
	{ .diagnostic = "552 5.2.2 Mailbox full", .status = "5.2.2", .reply_code = "552",
	  .reason = REASON(MAILBOXFULL), .rule_prefix = "status:5.2.2" },
	/* qmail-ldap style: the quota with 5.1.1 */
	{ .diagnostic = "550 5.1.1 user over quota (#5.1.1)", .status = "5.1.1",
	  .reason = REASON(MAILBOXFULL), .rule_prefix = "phrase:mailboxfull:over quota" },
	{ .diagnostic = "/var/mail/jane/Maildir/tmp/1.A2.host: Disk quota exceeded",
	  .status = "4.3.0",
	  .reason = REASON(MAILBOXFULL), .rule_prefix = "phrase:mailboxfull:" },
	{ .diagnostic = "552 5.2.3 Message length exceeds administrative limit",
	  .status = "5.2.3", .reply_code = "552",
	  .reason = REASON(EXCEEDLIMIT), .rule_prefix = "phrase:exceedlimit:" },
	{ .diagnostic = "552 5.3.4 Message size exceeds fixed maximum message size",
	  .status = "5.3.4", .reply_code = "552",
	  .reason = REASON(MESGTOOBIG), .rule_prefix = "status:5.3.4" },
	{ .diagnostic = "550 5.2.1 The email account that you tried to reach is disabled.",
	  .status = "5.2.1", .reply_code = "550", .remote_mta = "aspmx.l.google.com",
	  .reason = REASON(SUSPEND), .rule_prefix = "phrase:suspend:" },
	{ .diagnostic = "550 5.2.0 Message rejected due to user rules", .status = "5.2.0",
	  .reason = REASON(FILTERED), .rule_prefix = "phrase:filtered:" },
	/* --- mail system --- */
	{ .diagnostic = "452 4.3.1 Insufficient system storage", .status = "4.3.1",
	  .reason = REASON(SYSTEMFULL), .rule_prefix = "status:4.3.1" },
	{ .diagnostic = "451 4.3.0 Local error in processing", .status = "4.3.0",
	  .reason = REASON(SYSTEMERROR), .rule_prefix = "phrase:systemerror:local error in processing" },
	{ .diagnostic = "procmail: Couldn't create \"/var/mail/jane\"", .diagnostic_type = "x-unix",
	  .status = "5.1.1",
	  .reason = REASON(MAILERERROR), .rule_prefix = "phrase:mailererror:procmail:" },
	{ .diagnostic = "exit 75", .diagnostic_type = "X-Unix", .status = "4.3.0",
	  .reason = REASON(MAILERERROR), .rule_prefix = "mailer:x-unix" },
	{ .diagnostic = "lost connection with mx.example.org[192.0.2.1] while receiving the initial server greeting",
	  .status = "4.4.2",
	  .reason = REASON(NETWORKERROR), .rule_prefix = "phrase:networkerror:lost connection with" },
	{ .diagnostic = "connect to mx.example.org[192.0.2.1]:25: Connection timed out",
	  .status = "4.4.1",
	  .reason = REASON(EXPIRED), .rule_prefix = "phrase:expired:connection timed out" },
	{ .status = "4.0.0", .action = BOUNCE_ACTION_DELAYED,
	  .reason = REASON(EXPIRED), .rule_prefix = "action:delayed" },
	/* a delay notice keeps its reason */
	{ .diagnostic = "452 4.2.2 Mailbox full", .status = "4.2.2",
	  .action = BOUNCE_ACTION_DELAYED,
	  .reason = REASON(MAILBOXFULL), .rule_prefix = "status:4.2.2" },
	/* --- the sender's side --- */
	{ .diagnostic = "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
	  .status = "5.7.1", .reply_code = "554",
	  .reason = REASON(BLOCKED), .rule_prefix = "phrase:blocked:" },
	/* an RBL text is never an unknown user, whatever the code */
	{ .diagnostic = "550 5.1.1 Service unavailable; blocked using bl.example.net",
	  .status = "5.1.1", .reply_code = "550",
	  .reason = REASON(BLOCKED), .rule_prefix = "phrase:blocked:blocked using" },
	{ .diagnostic = "421-4.7.0 Our system has detected an unusual rate of unsolicited mail originating from your IP address.",
	  .status = "4.7.0", .reply_code = "421", .remote_mta = "dns; aspmx.l.google.com",
	  .reason = REASON(BLOCKED), .rule_prefix = "rhost:google:unusual rate of unsolicited mail" },
	{ .diagnostic = "550-5.7.1 Our system has detected that this message is 550-5.7.1 likely suspicious due to the very low reputation of the sending IP address.",
	  .status = "5.7.1", .reply_code = "550",
	  .reason = REASON(BADREPUTATION), .rule_prefix = "phrase:badreputation:" },
	{ .diagnostic = "550-5.7.26 Unauthenticated email from example.com is not accepted due to 550-5.7.26 domain's DMARC policy.",
	  .status = "5.7.26", .reply_code = "550", .remote_mta = "gmail-smtp-in.l.google.com",
	  .reason = REASON(AUTHFAILURE), .rule_prefix = "status:5.7.26" },
	{ .diagnostic = "554 5.7.1 Your message was rejected due to example.com's DMARC policy.",
	  .status = "5.7.1", .reply_code = "554",
	  .reason = REASON(AUTHFAILURE), .rule_prefix = "phrase:authfailure:dmarc policy" },
	{ .diagnostic = "550 5.7.25 The IP address sending this message does not have a PTR record setup",
	  .status = "5.7.25", .reply_code = "550",
	  .reason = REASON(REQUIREPTR), .rule_prefix = "status:5.7.25" },
	{ .diagnostic = "554-No SMTP service 554-Bad DNS PTR resource record.",
	  .reply_code = "554",
	  .reason = REASON(REQUIREPTR), .rule_prefix = "phrase:requireptr:" },
	{ .diagnostic = "550 5.7.1 Message content rejected, UBE, id=12345-01-2",
	  .status = "5.7.1", .reply_code = "550",
	  .reason = REASON(SPAMDETECTED), .rule_prefix = "phrase:spamdetected:message content rejected" },
	{ .diagnostic = "550 Virus Detected; Content Rejected", .reply_code = "550",
	  .reason = REASON(VIRUSDETECTED), .rule_prefix = "phrase:virusdetected:" },
	{ .diagnostic = "554 5.7.9 Message not accepted for policy reasons.",
	  .status = "5.7.9", .reply_code = "554",
	  .reason = REASON(POLICYVIOLATION), .rule_prefix = "phrase:policyviolation:" },
	{ .diagnostic = "553 5.1.8 Domain of sender address nobody@example.net does not exist",
	  .status = "5.1.8", .reply_code = "553",
	  .reason = REASON(REJECTED), .rule_prefix = "status:5.1.8" },
	{ .diagnostic = "554 5.7.1 <jane@example.org>: Relay access denied",
	  .status = "5.7.1", .reply_code = "554",
	  .reason = REASON(NORELAYING), .rule_prefix = "phrase:norelaying:relay access denied" },
	{ .diagnostic = "530 5.7.0 Authentication required", .status = "5.7.0", .reply_code = "530",
	  .reason = REASON(SECURITYERROR), .rule_prefix = "phrase:securityerror:" },
	{ .diagnostic = "550 5.7.1 Delivery not authorized", .status = "5.7.1", .reply_code = "550",
	  .reason = REASON(SECURITYERROR), .rule_prefix = "status:5.7.1" },
	{ .diagnostic = "554 Transaction failed: Duplicate header 'DKIM-Signature'.",
	  .reply_code = "554",
	  .reason = REASON(CONTENTERROR), .rule_prefix = "phrase:contenterror:duplicate header" },
	{ .diagnostic = "550-5.7.1 This message is not RFC 5322 compliant. There are multiple Subject headers.",
	  .status = "5.7.1", .reply_code = "550",
	  .reason = REASON(NOTCOMPLIANTRFC), .rule_prefix = "phrase:notcompliantrfc:" },
	{ .diagnostic = "503 Improper sequence of commands", .reply_code = "503",
	  .reason = REASON(SYNTAXERROR), .rule_prefix = "phrase:syntaxerror:" },
	{ .diagnostic = "501 <>: what?", .reply_code = "501",
	  .reason = REASON(SYNTAXERROR), .rule_prefix = "reply:501" },
	{ .diagnostic = "421 4.7.0 Too many connections from your host", .status = "4.7.0",
	  .reason = REASON(TOOMANYCONN), .rule_prefix = "phrase:toomanyconn:too many connections" },
	{ .diagnostic = "550-5.2.1 The user you are trying to contact is receiving mail at a rate that 550-5.2.1 prevents additional messages from being delivered.",
	  .status = "5.2.1", .reply_code = "550",
	  .reason = REASON(SPEEDING), .rule_prefix = "phrase:speeding:receiving mail at a rate that" },
	{ .diagnostic = "530 5.7.0 Must issue a STARTTLS command first",
	  .status = "5.7.0", .reply_code = "530",
	  .reason = REASON(FAILEDSTARTTLS), .rule_prefix = "phrase:failedstarttls:" },
	{ .diagnostic = "530 5.7.10 Encryption needed", .status = "5.7.10",
	  .reason = REASON(FAILEDSTARTTLS), .rule_prefix = "status:5.7.10" },
	{ .diagnostic = "Amazon SES did not send the message to this address because it is on the suppression list for your account.",
	  .reason = REASON(SUPPRESSED), .rule_prefix = "phrase:suppressed:" },
	{ .diagnostic = "delivery temporarily suspended: connect to mx.example.org[192.0.2.2]: server refused to talk to me: 421 Service not available",
	  .diagnostic_type = "x-postfix", .status = "4.0.0",
	  .reason = REASON(BLOCKED), .rule_prefix = "phrase:blocked:refused to talk to me" },
	{ .smtp_command = "EHLO",
	  .reason = REASON(BLOCKED), .rule_prefix = "command:ehlo" },
	/* --- providers --- */
	{ .diagnostic = "550 5.5.0 Le compte du destinataire est bloque. The recipient account is blocked. LPN007_426",
	  .status = "5.5.0", .reply_code = "550", .remote_mta = "smtpz4.laposte.net",
	  .reason = REASON(SUSPEND), .rule_prefix = "rhost:orange:_426" },
	{ .diagnostic = "550 5.1.1 Adresse d au moins un destinataire invalide. Invalid recipient. OFR_416 [416]",
	  .status = "5.1.1", .reply_code = "550", .remote_mta = "smtp-in.orange.fr",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "rhost:orange:_416" },
	/* Outlook.com names the sending IP's block with its own code */
	{ .address = "jane@hotmail.com",
	  .diagnostic = "550 SC-004 (COL0-MC1-F1) Unfortunately, messages from 192.0.2.7 weren't sent.",
	  .reply_code = "550", .smtp_command = "MAIL",
	  .reason = REASON(BLOCKED), .rule_prefix = "rhost:microsoft:sc-004" },
	/* au (KDDI): the filter leaves the address out, the directory
	   names it */
	{ .diagnostic = "550 : User unknown", .status = "5.0.0", .reply_code = "550",
	  .remote_mta = "lsean.ezweb.ne.jp",
	  .reason = REASON(FILTERED), .rule_prefix = "rhost:kddi:550 : user unknown" },
	{ .diagnostic = "550 <jane@ezweb.ne.jp>: User unknown", .status = "5.0.0",
	  .reply_code = "550", .remote_mta = "lsean.ezweb.ne.jp",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "rhost:kddi:>: user unknown" },
	{ .diagnostic = "550 <jane@ezweb.ne.jp>: Recipient address rejected.",
	  .status = "5.0.0", .reply_code = "550", .smtp_command = "RCPT",
	  .remote_mta = "mx.example.auone-net.jp",
	  .reason = REASON(USERUNKNOWN), .rule_prefix = "rhost:kddi:>: recipient address rejected." },
	/* no remote MTA: the recipient's domain names the provider */
	{ .address = "jane@yahoo.com", .diagnostic = "554 5.7.9 Message not accepted for policy reasons. See https://postmaster.example/",
	  .status = "5.7.9", .reply_code = "554",
	  .reason = REASON(POLICYVIOLATION), .rule_prefix = "rhost:yahoo:5.7.9" },
	/* --- format hints --- */
	{ .hint = REASON(FEEDBACK), .rule_hint = "format:arf",
	  .diagnostic = "user unknown",
	  .reason = REASON(FEEDBACK), .rule_prefix = "format:arf" },
	{ .hint = REASON(VACATION),
	  .reason = REASON(VACATION), .rule_prefix = "hint:test" },
	/* a format's own quota code beats the 5.1.1 its MTA sends */
	{ .hint = REASON(MAILBOXFULL), .rule_hint = "test:quota", .status = "5.1.1",
	  .reason = REASON(MAILBOXFULL), .rule_prefix = "test:quota" },
	/* a tentative hint gives way to a definite code */
	{ .hint = REASON(EXPIRED), .diagnostic = "552 5.2.2 over quota", .status = "5.2.2",
	  .reason = REASON(MAILBOXFULL), .rule_prefix = "status:5.2.2" },
	{ .hint = REASON(EXPIRED), .status = "4.4.1",
	  .reason = REASON(EXPIRED), .rule_prefix = "status:4.4.1" },
	{ .hint = REASON(SYSTEMERROR),
	  .reason = REASON(SYSTEMERROR), .rule_prefix = "hint:test" },
	/* --- success and leftovers --- */
	{ .status = "2.0.0", .action = BOUNCE_ACTION_DELIVERED,
	  .reason = REASON(DELIVERED), .rule_prefix = "action:delivered" },
	{ .status = "2.1.5", .action = BOUNCE_ACTION_FAILED,
	  .reason = REASON(DELIVERED), .rule_prefix = "status:2.1.5" },
	{ .diagnostic = "550 something odd happened", .status = "5.0.0", .reply_code = "550",
	  .reason = REASON(ONHOLD), .rule_prefix = "onhold" },
	{ .reason = REASON(UNDEFINED), .rule_prefix = "undefined" },
};

static struct bounce_report *test_report(pool_t pool)
{
	struct bounce_report *report = p_new(pool, struct bounce_report, 1);

	report->pool = pool;
	report->format = "test";
	p_array_init(&report->recipients, pool, 4);
	return report;
}

static struct bounce_recipient *
test_recipient(struct bounce_report *report, const struct classify_case *c)
{
	struct bounce_recipient *rcpt = array_append_space(&report->recipients);

	rcpt->address = c->address != NULL ? c->address : "jane@example.org";
	rcpt->action = c->action == BOUNCE_ACTION_NONE ? FAILED : c->action;
	rcpt->status = c->status;
	rcpt->reply_code = c->reply_code;
	rcpt->diagnostic = c->diagnostic;
	rcpt->diagnostic_type = c->diagnostic_type;
	rcpt->remote_mta = c->remote_mta;
	rcpt->smtp_command = c->smtp_command;
	rcpt->reason_hint = c->hint;
	rcpt->rule_hint = c->rule_hint;
	return rcpt;
}

static void test_classify_cases(void **state ATTR_UNUSED)
{
	struct bounce_analyze_settings set;
	pool_t pool = pool_alloconly_create("test report", 4096);
	struct bounce_report *report = test_report(pool);

	bounce_analyze_settings_init(&set);
	for (unsigned int i = 0; i < N_ELEMENTS(classify_cases); i++) {
		const struct classify_case *c = &classify_cases[i];
		struct bounce_recipient *rcpt = test_recipient(report, c);

		bounce_classify_recipient(report, rcpt, &set);
		if (rcpt->reason != c->reason ||
		    !str_begins(rcpt->rule, c->rule_prefix)) {
			fail_msg("row %u (%s): got %s by '%s', expected %s by '%s'",
				 i, c->diagnostic == NULL ? "" : c->diagnostic,
				 bounce_reason_name(rcpt->reason), rcpt->rule,
				 bounce_reason_name(c->reason), c->rule_prefix);
		}
	}
	pool_unref(&pool);
}

static void test_every_reason_has_a_case(void **state ATTR_UNUSED)
{
	for (unsigned int r = 0; r < BOUNCE_REASON_COUNT; r++) {
		bool found = FALSE;

		for (unsigned int i = 0; i < N_ELEMENTS(classify_cases); i++) {
			if (classify_cases[i].reason == r)
				found = TRUE;
		}
		if (!found)
			fail_msg("no classify case for %s", bounce_reason_name(r));
	}
}

static void test_whole_report(void **state ATTR_UNUSED)
{
	static const struct classify_case user_unknown = {
		.diagnostic = "550 5.1.1 no such user", .status = "5.1.1",
	};
	static const struct classify_case mailbox_full = {
		.diagnostic = "452 4.2.2 mailbox full", .status = "4.2.2",
	};
	struct bounce_analyze_settings set;
	pool_t pool = pool_alloconly_create("test report", 1024);
	struct bounce_report *report = test_report(pool);
	const struct bounce_recipient *rcpt;

	bounce_analyze_settings_init(&set);
	(void)test_recipient(report, &user_unknown);
	(void)test_recipient(report, &mailbox_full);
	bounce_classify(report, &set);
	rcpt = array_idx(&report->recipients, 0);
	assert_int_equal(rcpt->reason, BOUNCE_REASON_USERUNKNOWN);
	assert_int_equal(rcpt->category, BOUNCE_CATEGORY_HARD);
	assert_true(rcpt->hard);
	rcpt = array_idx(&report->recipients, 1);
	assert_int_equal(rcpt->reason, BOUNCE_REASON_MAILBOXFULL);
	assert_int_equal(rcpt->category, BOUNCE_CATEGORY_SOFT);
	assert_false(rcpt->hard);
	pool_unref(&pool);
}

static void test_policy_category(void **state ATTR_UNUSED)
{
	struct bounce_analyze_settings set;

	bounce_analyze_settings_init(&set);
	/* defaults */
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_USERUNKNOWN,
		FAILED, "5.1.1", "550"), BOUNCE_CATEGORY_HARD);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_MAILBOXFULL,
		FAILED, "5.2.2", NULL), BOUNCE_CATEGORY_SOFT);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_BLOCKED,
		FAILED, "5.7.1", NULL), BOUNCE_CATEGORY_INTERNAL);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_FEEDBACK,
		FAILED, NULL, NULL), BOUNCE_CATEGORY_COMPLAINT);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_VACATION,
		FAILED, NULL, NULL), BOUNCE_CATEGORY_AUTOREPLY);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_ONHOLD,
		FAILED, NULL, NULL), BOUNCE_CATEGORY_UNKNOWN);
	/* notaccept: hard with 5xx, soft with 4xx (status first, then the
	   reply code) */
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_NOTACCEPT,
		FAILED, "5.1.10", "556"), BOUNCE_CATEGORY_HARD);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_NOTACCEPT,
		FAILED, "4.3.2", "550"), BOUNCE_CATEGORY_SOFT);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_NOTACCEPT,
		FAILED, NULL, "421"), BOUNCE_CATEGORY_SOFT);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_NOTACCEPT,
		FAILED, NULL, NULL), BOUNCE_CATEGORY_HARD);
	/* a delay notice is soft whatever the reason */
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_USERUNKNOWN,
		BOUNCE_ACTION_DELAYED, "4.1.1", NULL), BOUNCE_CATEGORY_SOFT);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_BLOCKED,
		BOUNCE_ACTION_DELAYED, "4.7.1", NULL), BOUNCE_CATEGORY_SOFT);
	/* success */
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_DELIVERED,
		BOUNCE_ACTION_DELIVERED, "2.0.0", NULL), BOUNCE_CATEGORY_DELIVERED);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_UNDEFINED,
		BOUNCE_ACTION_RELAYED, NULL, NULL), BOUNCE_CATEGORY_DELIVERED);
	/* admin overrides */
	set.category_override[BOUNCE_REASON_MAILBOXFULL] = BOUNCE_CATEGORY_HARD;
	set.category_overridden[BOUNCE_REASON_MAILBOXFULL] = TRUE;
	set.category_override[BOUNCE_REASON_NOTACCEPT] = BOUNCE_CATEGORY_INTERNAL;
	set.category_overridden[BOUNCE_REASON_NOTACCEPT] = TRUE;
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_MAILBOXFULL,
		FAILED, "5.2.2", NULL), BOUNCE_CATEGORY_HARD);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_NOTACCEPT,
		FAILED, "4.3.2", NULL), BOUNCE_CATEGORY_INTERNAL);
	assert_int_equal(bounce_policy_category(&set, BOUNCE_REASON_USERUNKNOWN,
		FAILED, "5.1.1", NULL), BOUNCE_CATEGORY_HARD);
}

static void test_hard_fact(void **state ATTR_UNUSED)
{
	assert_true(bounce_reason_is_hard(BOUNCE_REASON_USERUNKNOWN, FAILED, "5.1.1", NULL));
	assert_true(bounce_reason_is_hard(BOUNCE_REASON_HOSTUNKNOWN, FAILED, NULL, NULL));
	assert_true(bounce_reason_is_hard(BOUNCE_REASON_HASMOVED, FAILED, "5.1.6", NULL));
	assert_true(bounce_reason_is_hard(BOUNCE_REASON_NOTACCEPT, FAILED, "5.1.10", NULL));
	assert_true(bounce_reason_is_hard(BOUNCE_REASON_NOTACCEPT, FAILED, NULL, "556"));
	assert_false(bounce_reason_is_hard(BOUNCE_REASON_NOTACCEPT, FAILED, "4.0.0", "556"));
	/* no code: a failure is permanent, a delay notice is not */
	assert_true(bounce_reason_is_hard(BOUNCE_REASON_NOTACCEPT, FAILED, NULL, NULL));
	assert_false(bounce_reason_is_hard(BOUNCE_REASON_NOTACCEPT,
		BOUNCE_ACTION_DELAYED, NULL, NULL));
	/* the suppression list is a hard category but not a hard fact */
	assert_false(bounce_reason_is_hard(BOUNCE_REASON_SUPPRESSED, FAILED, "5.0.0", NULL));
	assert_false(bounce_reason_is_hard(BOUNCE_REASON_MAILBOXFULL, FAILED, "5.2.2", NULL));
	assert_false(bounce_reason_is_hard(BOUNCE_REASON_BLOCKED, FAILED, "5.7.1", NULL));
}

/* The provider table: a suffix matches a host name at a dot or whole,
   whatever the case and the "dns;" type, brackets or trailing dots
   around it; of two suffixes that match, the table's first. */
static void test_rhost_provider(void **state ATTR_UNUSED)
{
	assert_string_equal(bounce_rhost_provider("gmail-smtp-in.l.google.com"),
			    "google");
	assert_string_equal(bounce_rhost_provider("dns; MX1.Mail.RU."),
			    "mailru");
	assert_string_equal(bounce_rhost_provider("gmx.net"), "gmx");
	/* gmail.com ends in "mail.com" (GMX's), but not at a dot */
	assert_string_equal(bounce_rhost_provider("alt1.gmail.com"), "google");
	assert_string_equal(bounce_rhost_provider("smtp.mail.com (192.0.2.1)"),
			    "gmx");
	assert_null(bounce_rhost_provider("notgoogle.com"));
	assert_null(bounce_rhost_provider("google.com.example.net"));
	assert_null(bounce_rhost_provider("[192.0.2.1]"));
	assert_null(bounce_rhost_provider("dns;"));
	assert_null(bounce_rhost_provider(""));
	assert_null(bounce_rhost_provider(NULL));
}

static int test_deinit(void **state ATTR_UNUSED)
{
	bounce_classify_deinit();
	return test_group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_classify_cases),
		test_case(test_every_reason_has_a_case),
		test_case(test_whole_report),
		test_case(test_policy_category),
		test_case(test_hard_fact),
		test_case(test_rhost_provider),
	};
	return cmocka_run_group_tests(tests, test_group_setup, test_deinit);
}
