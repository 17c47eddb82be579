/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-status.h"

/* Enhanced status code -> reason. Codes from RFC 3463 and the IANA
   "SMTP Enhanced Status Codes" registry (RFC 3886, 4468, 4954, 5248,
   6710, 7293, 7372, 7504, 7505, 8689). Rows are sorted by subject, then
   detail ("X" = any detail, last), then class ("X" = 4 or 5, first); a
   unit test checks the order.

   DEFINITE: the code says what happened on its own (5.1.1, 5.2.2, ...).
   FALLBACK: the code is generic or used loosely by real servers (X.0.0
   has no row at all, 5.7.1 is used for everything from RBL listings to
   DMARC): the diagnostic's phrases decide and this is the last resort.

   X.0.0 and X.5.0 ("other") have no row: they say nothing. */

#define S(code, reason, trust, description) \
	{ code, BOUNCE_REASON_##reason, BOUNCE_STATUS_TRUST_##trust, description }

const struct bounce_status_rule bounce_status_rules[] = {
	/* --- X.1.X addressing --- */
	S("X.1.0",  USERUNKNOWN,    FALLBACK, "Other address status"),
	S("X.1.1",  USERUNKNOWN,    DEFINITE, "Bad destination mailbox address"),
	S("X.1.2",  HOSTUNKNOWN,    DEFINITE, "Bad destination system address"),
	S("X.1.3",  USERUNKNOWN,    DEFINITE, "Bad destination mailbox address syntax"),
	S("X.1.4",  FILTERED,       FALLBACK, "Destination mailbox address ambiguous"),
	S("X.1.6",  HASMOVED,       DEFINITE, "Destination mailbox has moved, no forwarding address"),
	S("X.1.7",  REJECTED,       DEFINITE, "Bad sender's mailbox address syntax"),
	S("X.1.8",  REJECTED,       DEFINITE, "Bad sender's system address"),
	S("X.1.9",  SYSTEMERROR,    FALLBACK, "Message relayed to non-compliant mailer"),
	S("X.1.10", NOTACCEPT,      DEFINITE, "Recipient address has null MX"),
	/* --- X.2.X mailbox --- */
	S("X.2.0",  FILTERED,       FALLBACK, "Other or undefined mailbox status"),
	/* "disabled" in the registry, but servers use it for unknown users
	   and rate limits as well: the text decides */
	S("X.2.1",  FILTERED,       FALLBACK, "Mailbox disabled, not accepting messages"),
	S("X.2.2",  MAILBOXFULL,    DEFINITE, "Mailbox full"),
	S("X.2.3",  EXCEEDLIMIT,    FALLBACK, "Message length exceeds administrative limit"),
	S("X.2.4",  FILTERED,       FALLBACK, "Mailing list expansion problem"),
	/* --- X.3.X mail system --- */
	S("X.3.0",  SYSTEMERROR,    FALLBACK, "Other or undefined mail system status"),
	S("X.3.1",  SYSTEMFULL,     DEFINITE, "Mail system full"),
	S("X.3.2",  NOTACCEPT,      FALLBACK, "System not accepting network messages"),
	S("X.3.3",  SYSTEMERROR,    FALLBACK, "System not capable of selected features"),
	S("X.3.4",  MESGTOOBIG,     DEFINITE, "Message too big for system"),
	S("X.3.5",  SYSTEMERROR,    FALLBACK, "System incorrectly configured"),
	S("X.3.6",  SYSTEMERROR,    FALLBACK, "Requested priority was changed"),
	/* --- X.4.X network and routing --- */
	S("X.4.0",  NETWORKERROR,   FALLBACK, "Other or undefined network or routing status"),
	S("X.4.1",  EXPIRED,        FALLBACK, "No answer from host"),
	S("X.4.2",  NETWORKERROR,   FALLBACK, "Bad connection"),
	S("X.4.3",  SYSTEMERROR,    FALLBACK, "Directory server failure"),
	S("4.4.4",  NETWORKERROR,   FALLBACK, "Unable to route"),
	/* permanent "unable to route": the domain has no usable MX/A */
	S("5.4.4",  HOSTUNKNOWN,    FALLBACK, "Unable to route"),
	S("X.4.5",  SYSTEMFULL,     FALLBACK, "Mail system congestion"),
	S("X.4.6",  NETWORKERROR,   DEFINITE, "Routing loop detected"),
	/* the last error before giving up may be quoted: phrases first */
	S("X.4.7",  EXPIRED,        FALLBACK, "Delivery time expired"),
	/* --- X.5.X mail delivery protocol --- */
	S("X.5.1",  SYNTAXERROR,    FALLBACK, "Invalid command"),
	S("X.5.2",  SYNTAXERROR,    FALLBACK, "Syntax error"),
	S("X.5.3",  TOOMANYCONN,    FALLBACK, "Too many recipients"),
	S("X.5.4",  SYNTAXERROR,    FALLBACK, "Invalid command arguments"),
	S("X.5.5",  SYSTEMERROR,    FALLBACK, "Wrong protocol version"),
	S("X.5.6",  SECURITYERROR,  FALLBACK, "Authentication exchange line is too long"),
	/* --- X.6.X message content or media --- */
	S("X.6.X",  CONTENTERROR,   FALLBACK, "Media error"),
	/* --- X.7.X security or policy --- */
	S("X.7.0",  SECURITYERROR,  FALLBACK, "Other or undefined security status"),
	/* temporary 4.7.1 is mostly an IP or greylisting refusal */
	S("4.7.1",  BLOCKED,        FALLBACK, "Delivery not authorized, message refused"),
	S("5.7.1",  SECURITYERROR,  FALLBACK, "Delivery not authorized, message refused"),
	S("X.7.2",  SECURITYERROR,  FALLBACK, "Mailing list expansion prohibited"),
	S("X.7.3",  SECURITYERROR,  FALLBACK, "Security conversion required but not possible"),
	S("X.7.4",  SECURITYERROR,  FALLBACK, "Security features not supported"),
	S("X.7.5",  SECURITYERROR,  FALLBACK, "Cryptographic failure"),
	S("X.7.6",  SECURITYERROR,  FALLBACK, "Cryptographic algorithm not supported"),
	S("X.7.7",  SECURITYERROR,  FALLBACK, "Message integrity failure"),
	S("X.7.8",  SECURITYERROR,  DEFINITE, "Authentication credentials invalid"),
	S("X.7.9",  SECURITYERROR,  FALLBACK, "Authentication mechanism is too weak"),
	S("X.7.10", FAILEDSTARTTLS, DEFINITE, "Encryption needed"),
	S("X.7.11", FAILEDSTARTTLS, FALLBACK, "Encryption required for requested authentication mechanism"),
	S("X.7.12", SECURITYERROR,  FALLBACK, "A password transition is needed"),
	S("X.7.13", SUSPEND,        DEFINITE, "User account disabled"),
	S("X.7.14", SECURITYERROR,  FALLBACK, "Trust relationship required"),
	S("X.7.15", SECURITYERROR,  FALLBACK, "Priority level is too low"),
	S("X.7.16", MESGTOOBIG,     FALLBACK, "Message is too big for the specified priority"),
	S("X.7.17", HASMOVED,       DEFINITE, "Mailbox owner has changed"),
	S("X.7.18", HASMOVED,       DEFINITE, "Domain owner has changed"),
	S("X.7.19", SECURITYERROR,  FALLBACK, "RRVS test cannot be completed"),
	S("X.7.20", AUTHFAILURE,    DEFINITE, "No passing DKIM signature found"),
	S("X.7.21", AUTHFAILURE,    DEFINITE, "No acceptable DKIM signature found"),
	S("X.7.22", AUTHFAILURE,    DEFINITE, "No valid author-matched DKIM signature found"),
	S("X.7.23", AUTHFAILURE,    DEFINITE, "SPF validation failed"),
	S("X.7.24", AUTHFAILURE,    DEFINITE, "SPF validation error"),
	S("X.7.25", REQUIREPTR,     DEFINITE, "Reverse DNS validation failed"),
	S("X.7.26", AUTHFAILURE,    DEFINITE, "Multiple authentication checks failed"),
	/* The registry says the SENDER's domain has a null MX (RFC 7505
	   section 4.2), but servers send it for null-MX destinations too,
	   and the taxonomy (docs/reasons.md) files it with 5.1.10 under
	   notaccept, as other bounce tools do. */
	S("X.7.27", NOTACCEPT,      DEFINITE, "Sender address has null MX"),
	/* RFC 7504-era registry: a flood of mail from the sender */
	S("4.7.28", SPEEDING,       DEFINITE, "Mail flood detected"),
	S("5.7.28", SPAMDETECTED,   DEFINITE, "Mail flood detected"),
	S("X.7.29", AUTHFAILURE,    DEFINITE, "ARC validation failure"),
	S("X.7.30", FAILEDSTARTTLS, DEFINITE, "REQUIRETLS support required"),
	S("X.7.X",  SECURITYERROR,  FALLBACK, "Security or policy status"),
};

const unsigned int bounce_status_rules_count = N_ELEMENTS(bounce_status_rules);
