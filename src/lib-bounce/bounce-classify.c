/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-mail.h"
#include "bounce-phrase.h"
#include "bounce-text.h"
#include "bounce-status.h"
#include "bounce-rhost.h"
#include "bounce-format.h"
#include "bounce-classify.h"

/* The classifier gathers the evidence for one recipient (status code,
   reply code, phrases in the diagnostic, the remote MTA's provider, the
   format's hint, the DSN action) and then asks a fixed list of deciders,
   most trusted first; the first one that has an answer decides the
   reason and names itself in the rule. The precedence is data: the
   decider list, the phrase reason order and the status override pairs
   below. The tables themselves are in bounce-*-table.c. */

#define NO_RULE UINT_MAX

/* When phrases of several reasons match, the first of these wins. The
   specific and sender-side reasons come first: a Gmail SPF rejection
   also says "spam" and "blocked", a quota message also says "user". */
static const enum bounce_reason bounce_phrase_precedence[] = {
	BOUNCE_REASON_SUPPRESSED,
	BOUNCE_REASON_AUTHFAILURE,
	BOUNCE_REASON_REQUIREPTR,
	BOUNCE_REASON_BADREPUTATION,
	BOUNCE_REASON_NOTCOMPLIANTRFC,
	BOUNCE_REASON_VIRUSDETECTED,
	BOUNCE_REASON_FAILEDSTARTTLS,
	BOUNCE_REASON_NOTACCEPT,
	BOUNCE_REASON_MAILERERROR,
	BOUNCE_REASON_MAILBOXFULL,
	BOUNCE_REASON_EXCEEDLIMIT,
	BOUNCE_REASON_MESGTOOBIG,
	BOUNCE_REASON_SUSPEND,
	BOUNCE_REASON_HASMOVED,
	BOUNCE_REASON_NORELAYING,
	BOUNCE_REASON_USERUNKNOWN,
	BOUNCE_REASON_FILTERED,
	BOUNCE_REASON_HOSTUNKNOWN,
	BOUNCE_REASON_REJECTED,
	BOUNCE_REASON_TOOMANYCONN,
	BOUNCE_REASON_SPEEDING,
	BOUNCE_REASON_BLOCKED,
	BOUNCE_REASON_SPAMDETECTED,
	BOUNCE_REASON_POLICYVIOLATION,
	BOUNCE_REASON_SYSTEMFULL,
	BOUNCE_REASON_CONTENTERROR,
	BOUNCE_REASON_SECURITYERROR,
	BOUNCE_REASON_SYNTAXERROR,
	BOUNCE_REASON_SYSTEMERROR,
	BOUNCE_REASON_NETWORKERROR,
	BOUNCE_REASON_EXPIRED,
	BOUNCE_REASON_VACATION,
};

/* A definite status code (e.g. 5.1.1) gives way only to a phrase of one
   of these reasons: servers reuse the code for these cases. */
static const struct {
	enum bounce_reason status, phrase;
} bounce_status_overrides[] = {
	/* qmail-ldap: "user over quota (#5.1.1)" */
	{ BOUNCE_REASON_USERUNKNOWN, BOUNCE_REASON_MAILBOXFULL },
	/* "550 5.1.1 account disabled" */
	{ BOUNCE_REASON_USERUNKNOWN, BOUNCE_REASON_SUSPEND },
	{ BOUNCE_REASON_USERUNKNOWN, BOUNCE_REASON_HASMOVED },
	/* Sendmail answers relaying attempts with 5.1.1 in some setups */
	{ BOUNCE_REASON_USERUNKNOWN, BOUNCE_REASON_NORELAYING },
	{ BOUNCE_REASON_USERUNKNOWN, BOUNCE_REASON_BLOCKED },
	{ BOUNCE_REASON_USERUNKNOWN, BOUNCE_REASON_REJECTED },
	{ BOUNCE_REASON_USERUNKNOWN, BOUNCE_REASON_NOTACCEPT },
	/* procmail/maildrop failing is reported with the code of its exit */
	{ BOUNCE_REASON_USERUNKNOWN, BOUNCE_REASON_MAILERERROR },
	/* Exchange: "5.1.10 RESOLVER.ADR.RecipientNotFound" */
	{ BOUNCE_REASON_NOTACCEPT, BOUNCE_REASON_USERUNKNOWN },
	{ BOUNCE_REASON_HOSTUNKNOWN, BOUNCE_REASON_NOTACCEPT },
};

/* Reasons a format may hint or a code may name while a more specific
   text says more: the hint is used only if nothing better is found. */
static const enum bounce_reason bounce_tentative_reasons[] = {
	BOUNCE_REASON_UNDEFINED,
	BOUNCE_REASON_ONHOLD,
	BOUNCE_REASON_EXPIRED,
	BOUNCE_REASON_SYSTEMERROR,
	BOUNCE_REASON_NETWORKERROR,
	BOUNCE_REASON_SECURITYERROR,
};

/* Reasons the structure of the mail proves (an ARF report, an RFC 3834
   auto-reply, a success DSN): nothing in the text can overrule them. */
static const enum bounce_reason bounce_structural_reasons[] = {
	BOUNCE_REASON_FEEDBACK,
	BOUNCE_REASON_VACATION,
	BOUNCE_REASON_DELIVERED,
};

/* Where the SMTP dialogue failed, when the format didn't say: the
   wording MTAs use when they quote the remote server. */
static const struct {
	const char *phrase;
	const char *command;
} bounce_command_phrases[] = {
	{ "in reply to end of data command", "DATA" },	/* Postfix */
	{ "in reply to data command", "DATA" },		/* Postfix */
	{ "after end of data", "DATA" },		/* Exim */
	{ "after data", "DATA" },			/* Exim */
	{ "in reply to rcpt to command", "RCPT" },	/* Postfix */
	{ "after rcpt to", "RCPT" },			/* Exim */
	{ "in reply to mail from command", "MAIL" },	/* Postfix */
	{ "after mail from", "MAIL" },			/* Exim */
	{ "while performing the helo handshake", "HELO" }, /* Postfix */
	{ "in reply to helo command", "HELO" },		/* Postfix */
	{ "in reply to ehlo command", "HELO" },		/* Postfix */
	{ "after initial connection", "CONN" },		/* Exim */
};

/* A phrase's reason is believed only when the server said it at one of
   the given SMTP commands (space separated); said at another command, or
   with no command stated, the text is read as the other reason. */
static const struct {
	enum bounce_reason phrase;
	const char *commands;
	enum bounce_reason reason;
} bounce_command_rereads[] = {
	/* a recipient the server refuses is refused at RCPT (or at MAIL,
	   for a whole-envelope check). "User unknown" after DATA, or in a
	   relay's or gateway's text that doesn't say where, comes from a
	   content filter in front of the mailbox: the reading Sisimai and
	   the security gateways (MailFoundry, SurfControl, Active!hunter)
	   use. A definite 5.1.1 status is decided before this. */
	{ BOUNCE_REASON_USERUNKNOWN, "RCPT MAIL", BOUNCE_REASON_FILTERED },
};

/* A phrase's reason read differently when the server said it at the
   given SMTP command. */
static const struct {
	enum bounce_reason reason;
	const char *command;
	enum bounce_reason reread;
} bounce_command_meanings[] = {
	/* "501 Invalid domain name" in reply to HELO is about the name our
	   host gave, not the recipient's domain: the sending host is
	   refused */
	{ BOUNCE_REASON_HOSTUNKNOWN, "HELO", BOUNCE_REASON_BLOCKED },
	{ BOUNCE_REASON_HOSTUNKNOWN, "EHLO", BOUNCE_REASON_BLOCKED },
};

/* A definite status code read differently at the given SMTP command. */
static const struct {
	const char *status;
	const char *command;
	enum bounce_reason reason;
} bounce_status_command_meanings[] = {
	/* "550 5.7.1 Access denied" in reply to MAIL FROM: not authorized
	   to send as that sender, i.e. the envelope sender was refused */
	{ "5.7.1", "MAIL", BOUNCE_REASON_REJECTED },
};

/* The SMTP reply code alone, when nothing else said anything. */
static const struct {
	const char *reply_code;
	enum bounce_reason reason;
} bounce_reply_rules[] = {
	{ "451", BOUNCE_REASON_SYSTEMERROR },	/* local error in processing */
	{ "452", BOUNCE_REASON_SYSTEMFULL },	/* insufficient system storage */
	{ "500", BOUNCE_REASON_SYNTAXERROR },	/* command unrecognized */
	{ "501", BOUNCE_REASON_SYNTAXERROR },	/* syntax error in parameters */
	{ "502", BOUNCE_REASON_SYNTAXERROR },	/* command not implemented */
	{ "503", BOUNCE_REASON_SYNTAXERROR },	/* bad sequence of commands */
	{ "504", BOUNCE_REASON_SYNTAXERROR },	/* parameter not implemented */
	{ "530", BOUNCE_REASON_SECURITYERROR },	/* authentication required */
	{ "535", BOUNCE_REASON_SECURITYERROR },	/* authentication failed */
	{ "552", BOUNCE_REASON_MAILBOXFULL },	/* exceeded storage allocation */
};

/* The three phrase tables a diagnostic is matched against (the phrase
   rules, the command phrases, the provider rules' phrases) are one
   automaton, in that order: one scan of the folded diagnostic instead of
   up to three. A phrase matches whatever other phrases share the
   automaton, so each table's answer is what a set of its own gives. */
struct bounce_classify_tables {
	struct bounce_phrase_set *phrases;
	/* where the command phrases and the provider phrases begin among
	   the set's phrases, and how many there are in all */
	unsigned int command_first, rhost_first, phrase_count;
	/* which provider phrase (counted from rhost_first) each provider
	   rule uses (NO_RULE if none) */
	unsigned int *rhost_rule_phrase;
};

/* what is known about one recipient */
struct bounce_evidence {
	const struct bounce_classify_tables *tables;
	const struct bounce_report *report;
	const struct bounce_recipient *rcpt;
	const struct bounce_status_rule *status_rule;
	const char *provider;
	/* "RCPT", "DATA", ...: the format's or the diagnostic's (or NULL) */
	const char *smtp_command;
	/* the diagnostic as the phrase sets see it (bounce_phrase_fold()),
	   folded once for all of them; NULL if there is none */
	const char *folded_diagnostic;
	/* the first phrase rule (in table order) that matched, per reason */
	unsigned int reason_phrase[BOUNCE_REASON_COUNT];
	/* the phrase decider's choice (NO_RULE if none) */
	unsigned int best_phrase;
	/* the provider phrases found, if a provider is known, else NULL */
	const bool *rhost_matched;
};

struct bounce_decision {
	enum bounce_reason reason;
	const char *rule;
};

struct bounce_decider {
	const char *name;
	bool (*decide)(const struct bounce_evidence *ev,
		       struct bounce_decision *decision_r);
};

static struct bounce_classify_tables *bounce_tables = NULL;

static bool bounce_reason_in(enum bounce_reason reason,
			     const enum bounce_reason *list, unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		if (list[i] == reason)
			return TRUE;
	}
	return FALSE;
}

static const struct bounce_classify_tables *bounce_classify_tables_get(void)
{
	struct bounce_classify_tables *tables;
	const char **phrases;
	unsigned int i, n = 0;

	if (bounce_tables != NULL)
		return bounce_tables;

	tables = i_new(struct bounce_classify_tables, 1);
	phrases = i_new(const char *, bounce_phrase_rules_count +
			N_ELEMENTS(bounce_command_phrases) +
			bounce_rhost_rules_count);
	for (i = 0; i < bounce_phrase_rules_count; i++)
		phrases[n++] = bounce_phrase_rules[i].phrase;

	tables->command_first = n;
	for (i = 0; i < N_ELEMENTS(bounce_command_phrases); i++)
		phrases[n++] = bounce_command_phrases[i].phrase;

	tables->rhost_first = n;
	tables->rhost_rule_phrase = i_new(unsigned int,
					  bounce_rhost_rules_count);
	for (i = 0; i < bounce_rhost_rules_count; i++) {
		if (bounce_rhost_rules[i].phrase == NULL) {
			tables->rhost_rule_phrase[i] = NO_RULE;
			continue;
		}
		tables->rhost_rule_phrase[i] = n - tables->rhost_first;
		phrases[n++] = bounce_rhost_rules[i].phrase;
	}
	tables->phrase_count = n;
	tables->phrases = bounce_phrase_set_create(phrases, n);
	/* the set keeps pointers to the (static) phrases, not the array */
	i_free(phrases);
	bounce_tables = tables;
	return tables;
}

void bounce_classify_deinit(void)
{
	bounce_text_deinit();
	bounce_rhost_deinit();
	bounce_status_deinit();
	bounce_extract_deinit();
	bounce_mail_parse_deinit();
	if (bounce_tables == NULL)
		return;
	bounce_phrase_set_free(&bounce_tables->phrases);
	i_free(bounce_tables->rhost_rule_phrase);
	i_free(bounce_tables);
}

/* --- the deciders, in the order they are asked --- */

static bool bounce_action_is_success(enum bounce_action action)
{
	return action == BOUNCE_ACTION_DELIVERED ||
		action == BOUNCE_ACTION_RELAYED ||
		action == BOUNCE_ACTION_EXPANDED;
}

static bool decide_delivered(const struct bounce_evidence *ev,
			     struct bounce_decision *decision_r)
{
	const struct bounce_recipient *rcpt = ev->rcpt;

	if (bounce_action_is_success(rcpt->action)) {
		decision_r->rule = t_strconcat("action:",
			bounce_action_name(rcpt->action), NULL);
	} else if (rcpt->status != NULL && rcpt->status[0] == '2') {
		decision_r->rule = t_strconcat("status:", rcpt->status, NULL);
	} else {
		return FALSE;
	}
	decision_r->reason = BOUNCE_REASON_DELIVERED;
	return TRUE;
}

static const char *bounce_hint_rule(const struct bounce_evidence *ev)
{
	if (ev->rcpt->rule_hint != NULL)
		return ev->rcpt->rule_hint;
	return t_strconcat("hint:", ev->report->format == NULL ? "format" :
			   ev->report->format, NULL);
}

static bool decide_structural_hint(const struct bounce_evidence *ev,
				   struct bounce_decision *decision_r)
{
	if (!bounce_reason_in(ev->rcpt->reason_hint, bounce_structural_reasons,
			      N_ELEMENTS(bounce_structural_reasons)))
		return FALSE;
	decision_r->reason = ev->rcpt->reason_hint;
	decision_r->rule = bounce_hint_rule(ev);
	return TRUE;
}

static const char *
bounce_rhost_rule_name(const struct bounce_rhost_rule *rule)
{
	string_t *str = t_str_new(64);

	str_printfa(str, "rhost:%s", rule->provider);
	if (rule->status != NULL)
		str_printfa(str, ":%s", rule->status);
	if (rule->reply_code != NULL)
		str_printfa(str, ":%s", rule->reply_code);
	if (rule->phrase != NULL)
		str_printfa(str, ":%s", rule->phrase);
	return str_c(str);
}

static bool decide_rhost(const struct bounce_evidence *ev,
			 struct bounce_decision *decision_r)
{
	const struct bounce_classify_tables *tables = ev->tables;
	const struct bounce_recipient *rcpt = ev->rcpt;

	if (ev->provider == NULL)
		return FALSE;
	for (unsigned int i = 0; i < bounce_rhost_rules_count; i++) {
		const struct bounce_rhost_rule *rule = &bounce_rhost_rules[i];
		unsigned int phrase = tables->rhost_rule_phrase[i];

		if (strcmp(rule->provider, ev->provider) != 0)
			continue;
		if (rule->status != NULL &&
		    !bounce_rhost_status_match(rule->status, rcpt->status))
			continue;
		if (rule->reply_code != NULL &&
		    null_strcmp(rule->reply_code, rcpt->reply_code) != 0)
			continue;
		if (phrase != NO_RULE && !ev->rhost_matched[phrase])
			continue;
		decision_r->reason = rule->reason;
		decision_r->rule = bounce_rhost_rule_name(rule);
		return TRUE;
	}
	return FALSE;
}

static bool bounce_status_gives_way(enum bounce_reason status_reason,
				    enum bounce_reason other)
{
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_status_overrides); i++) {
		if (bounce_status_overrides[i].status == status_reason &&
		    bounce_status_overrides[i].phrase == other)
			return TRUE;
	}
	return FALSE;
}

static const char *bounce_phrase_rule_name(unsigned int idx)
{
	const struct bounce_phrase_rule *rule = &bounce_phrase_rules[idx];

	return t_strconcat("phrase:", bounce_reason_name(rule->reason), ":",
			   rule->phrase, NULL);
}

static void bounce_decision_add_command(const struct bounce_evidence *ev,
					struct bounce_decision *decision_r,
					enum bounce_reason reason)
{
	decision_r->reason = reason;
	decision_r->rule = t_strdup_printf("%s:command:%s", decision_r->rule,
		ev->smtp_command == NULL ? "none" :
		t_str_lcase(ev->smtp_command));
}

/* Reread a phrase's decision by the SMTP command it was given at. */
static void bounce_phrase_at_command(const struct bounce_evidence *ev,
				     struct bounce_decision *decision_r)
{
	if (ev->smtp_command == NULL)
		return;
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_command_meanings); i++) {
		if (bounce_command_meanings[i].reason == decision_r->reason &&
		    strcasecmp(bounce_command_meanings[i].command,
			       ev->smtp_command) == 0) {
			bounce_decision_add_command(ev, decision_r,
				bounce_command_meanings[i].reread);
			return;
		}
	}
}

/* Reread a status code's decision by the SMTP command it was given at. */
static void bounce_status_at_command(const struct bounce_evidence *ev,
				     struct bounce_decision *decision_r)
{
	if (ev->smtp_command == NULL)
		return;
	for (unsigned int i = 0;
	     i < N_ELEMENTS(bounce_status_command_meanings); i++) {
		if (strcmp(bounce_status_command_meanings[i].status,
			   ev->rcpt->status) == 0 &&
		    strcasecmp(bounce_status_command_meanings[i].command,
			       ev->smtp_command) == 0) {
			bounce_decision_add_command(ev, decision_r,
				bounce_status_command_meanings[i].reason);
			return;
		}
	}
}

static bool decide_definite_status(const struct bounce_evidence *ev,
				   struct bounce_decision *decision_r)
{
	const struct bounce_status_rule *rule = ev->status_rule;
	enum bounce_reason hint = ev->rcpt->reason_hint;

	if (rule == NULL || rule->trust != BOUNCE_STATUS_TRUST_DEFINITE)
		return FALSE;
	/* a more specific text or the format's own reason code */
	if (hint != BOUNCE_REASON_UNDEFINED &&
	    bounce_status_gives_way(rule->reason, hint))
		return FALSE;
	if (ev->best_phrase != NO_RULE &&
	    bounce_status_gives_way(rule->reason,
				    bounce_phrase_rules[ev->best_phrase].reason)) {
		decision_r->reason = bounce_phrase_rules[ev->best_phrase].reason;
		decision_r->rule = bounce_phrase_rule_name(ev->best_phrase);
		return TRUE;
	}
	decision_r->reason = rule->reason;
	decision_r->rule = t_strconcat("status:", ev->rcpt->status, NULL);
	bounce_status_at_command(ev, decision_r);
	return TRUE;
}

static bool decide_hint(const struct bounce_evidence *ev,
			struct bounce_decision *decision_r)
{
	enum bounce_reason hint = ev->rcpt->reason_hint;

	if (bounce_reason_in(hint, bounce_tentative_reasons,
			     N_ELEMENTS(bounce_tentative_reasons)))
		return FALSE;
	decision_r->reason = hint;
	decision_r->rule = bounce_hint_rule(ev);
	return TRUE;
}

static bool bounce_command_listed(const char *commands, const char *command)
{
	const char *const *list;

	if (command == NULL)
		return FALSE;
	for (list = t_strsplit_spaces(commands, " "); *list != NULL; list++) {
		if (strcasecmp(*list, command) == 0)
			return TRUE;
	}
	return FALSE;
}

static bool decide_phrase(const struct bounce_evidence *ev,
			  struct bounce_decision *decision_r)
{
	enum bounce_reason reason;

	if (ev->best_phrase == NO_RULE)
		return FALSE;
	reason = bounce_phrase_rules[ev->best_phrase].reason;
	decision_r->reason = reason;
	decision_r->rule = bounce_phrase_rule_name(ev->best_phrase);
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_command_rereads); i++) {
		if (bounce_command_rereads[i].phrase != reason ||
		    bounce_command_listed(bounce_command_rereads[i].commands,
					  ev->smtp_command))
			continue;
		bounce_decision_add_command(ev, decision_r,
					    bounce_command_rereads[i].reason);
		return TRUE;
	}
	bounce_phrase_at_command(ev, decision_r);
	return TRUE;
}

static bool decide_mailer(const struct bounce_evidence *ev,
			  struct bounce_decision *decision_r)
{
	const char *type = ev->rcpt->diagnostic_type;

	/* "Diagnostic-Code: X-Unix; ..." is a local program's exit */
	if (type == NULL || strcasecmp(type, "x-unix") != 0)
		return FALSE;
	decision_r->reason = BOUNCE_REASON_MAILERERROR;
	decision_r->rule = "mailer:x-unix";
	return TRUE;
}

static bool decide_fallback_status(const struct bounce_evidence *ev,
				   struct bounce_decision *decision_r)
{
	if (ev->status_rule == NULL)
		return FALSE;
	decision_r->reason = ev->status_rule->reason;
	decision_r->rule = t_strconcat("status:", ev->rcpt->status, NULL);
	bounce_status_at_command(ev, decision_r);
	return TRUE;
}

static bool decide_tentative_hint(const struct bounce_evidence *ev,
				  struct bounce_decision *decision_r)
{
	enum bounce_reason hint = ev->rcpt->reason_hint;

	if (hint == BOUNCE_REASON_UNDEFINED)
		return FALSE;
	decision_r->reason = hint;
	decision_r->rule = bounce_hint_rule(ev);
	return TRUE;
}

static bool decide_reply_code(const struct bounce_evidence *ev,
			      struct bounce_decision *decision_r)
{
	const char *reply_code = ev->rcpt->reply_code;

	if (reply_code == NULL)
		return FALSE;
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_reply_rules); i++) {
		if (strcmp(bounce_reply_rules[i].reply_code, reply_code) == 0) {
			decision_r->reason = bounce_reply_rules[i].reason;
			decision_r->rule = t_strconcat("reply:", reply_code,
						       NULL);
			return TRUE;
		}
	}
	return FALSE;
}

static bool decide_smtp_command(const struct bounce_evidence *ev,
				struct bounce_decision *decision_r)
{
	const char *cmd = ev->smtp_command;

	/* refused before any envelope was sent: the sending host is the
	   problem */
	if (cmd == NULL || (strcasecmp(cmd, "CONN") != 0 &&
			    strcasecmp(cmd, "HELO") != 0 &&
			    strcasecmp(cmd, "EHLO") != 0))
		return FALSE;
	decision_r->reason = BOUNCE_REASON_BLOCKED;
	decision_r->rule = t_strconcat("command:", t_str_lcase(cmd), NULL);
	return TRUE;
}

static bool decide_delayed(const struct bounce_evidence *ev,
			   struct bounce_decision *decision_r)
{
	/* a delay notice that says no more than a generic code is about
	   the queue lifetime running out */
	if (ev->rcpt->action != BOUNCE_ACTION_DELAYED)
		return FALSE;
	if (ev->status_rule != NULL &&
	    !bounce_reason_in(ev->status_rule->reason, bounce_tentative_reasons,
			      N_ELEMENTS(bounce_tentative_reasons)))
		return FALSE;
	decision_r->reason = BOUNCE_REASON_EXPIRED;
	decision_r->rule = "action:delayed";
	return TRUE;
}

static bool decide_leftover(const struct bounce_evidence *ev,
			    struct bounce_decision *decision_r)
{
	/* a diagnostic we can't read is worth a human look */
	if (ev->rcpt->diagnostic != NULL && ev->rcpt->diagnostic[0] != '\0') {
		decision_r->reason = BOUNCE_REASON_ONHOLD;
		decision_r->rule = "onhold";
	} else {
		decision_r->reason = BOUNCE_REASON_UNDEFINED;
		decision_r->rule = "undefined";
	}
	return TRUE;
}

static const struct bounce_decider bounce_deciders[] = {
	{ "delivered",		decide_delivered },
	{ "structural hint",	decide_structural_hint },
	{ "provider",		decide_rhost },
	{ "definite status",	decide_definite_status },
	{ "format hint",	decide_hint },
	{ "phrase",		decide_phrase },
	{ "mailer",		decide_mailer },
	{ "delayed",		decide_delayed },
	{ "fallback status",	decide_fallback_status },
	{ "tentative hint",	decide_tentative_hint },
	{ "reply code",		decide_reply_code },
	{ "smtp command",	decide_smtp_command },
	{ "leftover",		decide_leftover },
};

/* --- gathering the evidence --- */

/* the first phrase rule (in table order) per reason, and the rule the
   phrase decider goes by, from the phrase rules found (matched is NULL
   if no phrase was) */
static void bounce_evidence_phrases(struct bounce_evidence *ev,
				    const bool *matched)
{
	const bool *p, *end;
	enum bounce_reason reason;
	unsigned int i;

	for (i = 0; i < BOUNCE_REASON_COUNT; i++)
		ev->reason_phrase[i] = NO_RULE;
	ev->best_phrase = NO_RULE;
	if (matched == NULL)
		return;
	/* a diagnostic matches a few of the hundreds of rules: memchr()
	   skips to each of them */
	end = matched + bounce_phrase_rules_count;
	for (p = matched; (p = memchr(p, TRUE, end - p)) != NULL; p++) {
		i = p - matched;
		reason = bounce_phrase_rules[i].reason;
		if (ev->reason_phrase[reason] == NO_RULE)
			ev->reason_phrase[reason] = i;
	}
	for (i = 0; i < N_ELEMENTS(bounce_phrase_precedence); i++) {
		unsigned int rule =
			ev->reason_phrase[bounce_phrase_precedence[i]];

		if (rule != NO_RULE) {
			ev->best_phrase = rule;
			break;
		}
	}
}

/* the format's command, else the first command phrase found */
static const char *
bounce_evidence_command(const struct bounce_evidence *ev,
			const bool *command_matched)
{
	if (ev->rcpt->smtp_command != NULL)
		return ev->rcpt->smtp_command;
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_command_phrases); i++) {
		if (command_matched[i])
			return bounce_command_phrases[i].command;
	}
	return NULL;
}

static const char *bounce_address_domain(const char *address)
{
	const char *at = address == NULL ? NULL : strrchr(address, '@');

	return at == NULL ? NULL : at + 1;
}

static void bounce_evidence_gather(struct bounce_evidence *ev,
				   const struct bounce_report *report,
				   const struct bounce_recipient *rcpt)
{
	const struct bounce_classify_tables *tables =
		bounce_classify_tables_get();
	/* every table's phrases, at their offsets */
	/* cleared by bounce_phrase_set_match_folded() */
	bool *matched = t_malloc_no0(sizeof(bool) * tables->phrase_count);
	unsigned int found;

	i_zero(ev);
	ev->tables = tables;
	ev->report = report;
	ev->rcpt = rcpt;
	ev->status_rule = bounce_status_lookup(rcpt->status);
	if (rcpt->diagnostic != NULL) {
		ev->folded_diagnostic =
			bounce_phrase_fold(rcpt->diagnostic,
					   BOUNCE_PHRASE_MAX_SCAN);
	}
	found = bounce_phrase_set_match_folded(tables->phrases,
					       ev->folded_diagnostic, matched);
	ev->smtp_command = bounce_evidence_command(ev,
		matched + tables->command_first);
	bounce_evidence_phrases(ev, found == 0 ? NULL : matched);

	/* the remote MTA names the provider; without one, the
	   recipient's own domain does (gmail.com is Google's) */
	ev->provider = bounce_rhost_provider(rcpt->remote_mta);
	if (ev->provider == NULL)
		ev->provider = bounce_rhost_provider(
			bounce_address_domain(rcpt->address));
	if (ev->provider != NULL)
		ev->rhost_matched = matched + tables->rhost_first;
}

/* --- the decision --- */

static bool bounce_code_is_permanent(enum bounce_action action,
				     const char *status,
				     const char *reply_code)
{
	if (status != NULL)
		return status[0] == '5';
	if (reply_code != NULL)
		return reply_code[0] == '5';
	/* no code at all (a text bounce that only quotes a reason): a
	   failure that isn't a delay notice is permanent, which is what
	   RFC 3464's "failed" means */
	return action == BOUNCE_ACTION_FAILED;
}

enum bounce_category
bounce_policy_category(const struct bounce_analyze_settings *set,
		       enum bounce_reason reason, enum bounce_action action,
		       const char *status, const char *reply_code)
{
	bool temporary = (status != NULL && status[0] == '4') ||
		(status == NULL && reply_code != NULL && reply_code[0] == '4');

	if (reason == BOUNCE_REASON_DELIVERED ||
	    bounce_action_is_success(action))
		return BOUNCE_CATEGORY_DELIVERED;
	/* a delay notice: the server is still trying, so it is never
	   more than a soft bounce whatever the reason */
	if (action == BOUNCE_ACTION_DELAYED &&
	    bounce_reason_default_category(reason) != BOUNCE_CATEGORY_COMPLAINT &&
	    bounce_reason_default_category(reason) != BOUNCE_CATEGORY_AUTOREPLY)
		return BOUNCE_CATEGORY_SOFT;
	if (set->category_overridden[reason])
		return set->category_override[reason];
	if (reason == BOUNCE_REASON_NOTACCEPT && temporary)
		return BOUNCE_CATEGORY_SOFT;
	return bounce_reason_default_category(reason);
}

bool bounce_reason_is_hard(enum bounce_reason reason,
			   enum bounce_action action, const char *status,
			   const char *reply_code)
{
	switch (reason) {
	case BOUNCE_REASON_USERUNKNOWN:
	case BOUNCE_REASON_HOSTUNKNOWN:
	case BOUNCE_REASON_HASMOVED:
		return TRUE;
	case BOUNCE_REASON_NOTACCEPT:
		return bounce_code_is_permanent(action, status, reply_code);
	default:
		return FALSE;
	}
}

void bounce_classify_recipient(const struct bounce_report *report,
			       struct bounce_recipient *rcpt,
			       const struct bounce_analyze_settings *set)
{
	struct bounce_evidence ev;
	struct bounce_decision decision;
	unsigned int i;

	T_BEGIN {
		bounce_evidence_gather(&ev, report, rcpt);
		i_zero(&decision);
		for (i = 0; i < N_ELEMENTS(bounce_deciders); i++) {
			if (bounce_deciders[i].decide(&ev, &decision))
				break;
		}
		/* decide_leftover always answers */
		i_assert(i < N_ELEMENTS(bounce_deciders));
		rcpt->reason = decision.reason;
		rcpt->rule = p_strdup(report->pool, decision.rule);
	} T_END;

	rcpt->category = bounce_policy_category(set, rcpt->reason,
		rcpt->action, rcpt->status, rcpt->reply_code);
	rcpt->hard = bounce_reason_is_hard(rcpt->reason, rcpt->action,
					   rcpt->status, rcpt->reply_code);
}

void bounce_classify(struct bounce_report *report,
		     const struct bounce_analyze_settings *set)
{
	struct bounce_recipient *rcpt;

	array_foreach_modifiable(&report->recipients, rcpt)
		bounce_classify_recipient(report, rcpt, set);
}
