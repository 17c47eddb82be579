/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-rhost.h"

/* Which provider a remote MTA (or, failing that, the recipient's domain)
   belongs to. A suffix matches the name itself and its subdomains. */
const struct bounce_rhost_host bounce_rhost_hosts[] = {
	{ "google", "google.com" },		/* aspmx.l.google.com, gmail-smtp-in.l.google.com */
	{ "google", "googlemail.com" },
	{ "google", "gmail.com" },
	{ "microsoft", "outlook.com" },		/* *.mail.protection.outlook.com */
	{ "microsoft", "hotmail.com" },
	{ "microsoft", "live.com" },
	{ "microsoft", "msn.com" },
	{ "yahoo", "yahoodns.net" },		/* mta*.am0.yahoodns.net, also AOL's MX */
	{ "yahoo", "yahoo.com" },
	{ "yahoo", "ymail.com" },
	{ "yahoo", "aol.com" },
	{ "apple", "icloud.com" },
	{ "apple", "me.com" },
	{ "apple", "mac.com" },
	{ "orange", "orange.fr" },
	{ "orange", "wanadoo.fr" },
	{ "orange", "laposte.net" },
	{ "gmx", "gmx.net" },
	{ "gmx", "gmx.de" },
	{ "gmx", "gmx.com" },
	{ "gmx", "web.de" },
	{ "gmx", "mail.com" },
	{ "mailru", "mail.ru" },
	{ "yandex", "yandex.ru" },
	{ "yandex", "yandex.net" },
	{ "comcast", "comcast.net" },
	{ "spectrum", "charter.net" },
	{ "spectrum", "spectrum.net" },
	{ "spectrum", "rr.com" },
	{ "cox", "cox.net" },
	{ "godaddy", "secureserver.net" },
	{ "mimecast", "mimecast.com" },
	{ "kddi", "ezweb.ne.jp" },
	{ "kddi", "au.com" },
	{ "kddi", "auone-net.jp" },		/* au's MX hosts (mx.*.auone-net.jp) */
	{ "docomo", "docomo.ne.jp" },
	{ "qq", "qq.com" },
	{ "iua", "email.ua" },
	{ "iua", "i.ua" },
};
const unsigned int bounce_rhost_hosts_count = N_ELEMENTS(bounce_rhost_hosts);

#define RH(provider, status, reply, phrase, reason) \
	{ provider, status, reply, phrase, BOUNCE_REASON_##reason }

/* First matching row wins: put the narrower rows first. */
const struct bounce_rhost_rule bounce_rhost_rules[] = {
	/* === Google (Gmail, Workspace) === */
	/* an IP block worded as a rate: the sending IP is refused */
	RH("google", NULL, NULL, "unusual rate of unsolicited mail", BLOCKED),
	RH("google", NULL, NULL, "not authorized to send email directly to our servers", BLOCKED),
	RH("google", NULL, NULL, "ip not in whitelist for rcpt domain", BLOCKED),
	RH("google", "4.7.0", "421", "try again later, closing connection", BLOCKED),
	RH("google", "5.5.4", NULL, "helo/ehlo argument is invalid", BLOCKED),
	RH("google", "5.7.1", NULL, "email quota exceeded", MAILBOXFULL),
	RH("google", NULL, NULL, "mail sending denied", REJECTED),
	RH("google", NULL, NULL, "unauthenticated email is not accepted from this domain", AUTHFAILURE),
	RH("google", "5.7.0", NULL, "tls required for rcpt domain", FAILEDSTARTTLS),

	/* === Microsoft (Outlook.com, Exchange Online) === */
	/* 5.1.10 here is RESOLVER.ADR.RecipientNotFound */
	RH("microsoft", "5.1.10", NULL, NULL, USERUNKNOWN),
	RH("microsoft", "5.4.1", NULL, "recipient address rejected: access denied", USERUNKNOWN),
	RH("microsoft", "5.7.509", NULL, NULL, AUTHFAILURE),	/* DMARC reject */
	RH("microsoft", "5.7.510", NULL, NULL, BLOCKED),	/* no mail over IPv6 */
	RH("microsoft", "5.7.511", NULL, NULL, BLOCKED),	/* banned sender */
	RH("microsoft", "5.7.512", NULL, NULL, NOTCOMPLIANTRFC), /* no RFC 5322 From */
	RH("microsoft", "5.7.513", NULL, NULL, BLOCKED),	/* customer block list */
	RH("microsoft", "5.7.6??", NULL, NULL, BLOCKED),	/* banned sending IP (S3140..) */
	RH("microsoft", "4.7.650", NULL, NULL, BADREPUTATION),	/* rate limited for IP reputation */
	RH("microsoft", "4.7.5??", NULL, NULL, BLOCKED),	/* access denied, try again later */
	RH("microsoft", "4.7.6??", NULL, NULL, BLOCKED),
	RH("microsoft", "4.7.8??", NULL, NULL, BLOCKED),
	RH("microsoft", "5.7.708", NULL, NULL, BADREPUTATION),	/* traffic not accepted from this IP */
	RH("microsoft", "5.7.750", NULL, NULL, BLOCKED),	/* unregistered domain */
	RH("microsoft", "5.2.121", NULL, NULL, SPEEDING),	/* recipient's hourly limit */
	RH("microsoft", "5.2.122", NULL, NULL, SPEEDING),
	RH("microsoft", "5.4.14", NULL, NULL, NETWORKERROR),	/* hop count exceeded */
	/* Outlook.com's own refusal codes for the sending IP: SC-001..004
	   (policy, spam, open proxy, too many unwanted messages) and
	   DY-001/002 (dynamic or residential IP) */
	RH("microsoft", NULL, NULL, "sc-001", BLOCKED),
	RH("microsoft", NULL, NULL, "sc-002", BLOCKED),
	RH("microsoft", NULL, NULL, "sc-003", BLOCKED),
	RH("microsoft", NULL, NULL, "sc-004", BLOCKED),
	RH("microsoft", NULL, NULL, "dy-001", BLOCKED),
	RH("microsoft", NULL, NULL, "dy-002", BLOCKED),

	/* === Yahoo and AOL === */
	RH("yahoo", NULL, NULL, "user complaints", REJECTED),	/* [TSS04] deferral */
	/* Yahoo takes every recipient at RCPT and says this after DATA:
	   its own directory answer, not a filter's */
	RH("yahoo", NULL, NULL, "this user doesn't have a", USERUNKNOWN),
	RH("yahoo", "5.7.9", NULL, NULL, POLICYVIOLATION),	/* "not accepted for policy reasons" */
	RH("yahoo", NULL, NULL, "[bl2", BLOCKED),		/* [BL21]..[BL23] IP listings */
	RH("yahoo", NULL, NULL, "[tsu", BLOCKED),		/* [TSU..] IP throttled */

	/* === Apple iCloud === */
	RH("apple", NULL, NULL, "[cs01]", BLOCKED),		/* local policy on the IP */
	RH("apple", NULL, NULL, "[hm08]", SPAMDETECTED),

	/* === Orange, Wanadoo, La Poste: the number after "_" names it === */
	RH("orange", NULL, NULL, "_101", BLOCKED),
	RH("orange", NULL, NULL, "_102", BLOCKED),
	RH("orange", NULL, NULL, "_103", BLOCKED),
	RH("orange", NULL, NULL, "_104", TOOMANYCONN),
	RH("orange", NULL, NULL, "_105", UNDEFINED),	/* no reason given */
	RH("orange", NULL, NULL, "_107", UNDEFINED),
	RH("orange", NULL, NULL, "_108", UNDEFINED),
	RH("orange", NULL, NULL, "_109", UNDEFINED),
	RH("orange", NULL, NULL, "_201", UNDEFINED),
	RH("orange", NULL, NULL, "_305", SECURITYERROR),
	RH("orange", NULL, NULL, "_401", BLOCKED),
	RH("orange", NULL, NULL, "_402", SECURITYERROR),
	RH("orange", NULL, NULL, "_403", REJECTED),
	RH("orange", NULL, NULL, "_405", REJECTED),
	RH("orange", NULL, NULL, "_415", REJECTED),
	RH("orange", NULL, NULL, "_416", USERUNKNOWN),
	RH("orange", NULL, NULL, "_417", MAILBOXFULL),
	RH("orange", NULL, NULL, "_418", USERUNKNOWN),
	RH("orange", NULL, NULL, "_420", SUSPEND),
	RH("orange", NULL, NULL, "_421", REJECTED),
	RH("orange", NULL, NULL, "_423", UNDEFINED),
	RH("orange", NULL, NULL, "_424", UNDEFINED),
	RH("orange", NULL, NULL, "_426", SUSPEND),
	RH("orange", NULL, NULL, "_505", SYSTEMERROR),
	RH("orange", NULL, NULL, "_506", SPAMDETECTED),
	RH("orange", NULL, NULL, "_510", BLOCKED),
	RH("orange", NULL, NULL, "_513", UNDEFINED),
	RH("orange", NULL, NULL, "_514", MESGTOOBIG),
	RH("orange", NULL, NULL, "_517", POLICYVIOLATION),
	RH("orange", NULL, NULL, "_630", POLICYVIOLATION),
	RH("orange", NULL, NULL, "_999", BLOCKED),

	/* === GMX, WEB.DE, mail.com === */
	RH("gmx", NULL, NULL, "c=rdns", REQUIREPTR),
	RH("gmx", NULL, NULL, "c=ipbl", BLOCKED),

	/* === Mail.ru === */
	RH("mailru", NULL, NULL, "dynamic ip", BLOCKED),

	/* === Spectrum / Charter: AUP#<dir>-<number> === */
	RH("spectrum", NULL, NULL, "aup#in-10", BLOCKED),
	RH("spectrum", NULL, NULL, "aup#in-11", BLOCKED),
	RH("spectrum", NULL, NULL, "aup#in-12", BLOCKED),
	RH("spectrum", NULL, NULL, "aup#in-13", TOOMANYCONN),	/* connection and volume limits */
	RH("spectrum", NULL, NULL, "aup#in-14", TOOMANYCONN),
	RH("spectrum", NULL, NULL, "aup#in-15", REJECTED),

	/* === Cox: AUP#<code> === */
	RH("cox", NULL, NULL, "aup#cxbl", BLOCKED),
	RH("cox", NULL, NULL, "aup#cxdns", BLOCKED),
	RH("cox", NULL, NULL, "aup#cxsndr", REJECTED),
	RH("cox", NULL, NULL, "aup#cxcnct", TOOMANYCONN),
	RH("cox", NULL, NULL, "aup#cxmxrt", TOOMANYCONN),
	RH("cox", NULL, NULL, "aup#ipbl", BLOCKED),
	RH("cox", NULL, NULL, "aup#urlbl", SPAMDETECTED),

	/* === GoDaddy: IB<number> === */
	RH("godaddy", NULL, NULL, "ib103", BLOCKED),
	RH("godaddy", NULL, NULL, "ib104", BLOCKED),
	RH("godaddy", NULL, NULL, "ib105", BLOCKED),
	RH("godaddy", NULL, NULL, "ib106", BLOCKED),
	RH("godaddy", NULL, NULL, "ib007", TOOMANYCONN),
	RH("godaddy", NULL, NULL, "ib504", TOOMANYCONN),
	RH("godaddy", NULL, NULL, "ib212", SPAMDETECTED),
	RH("godaddy", NULL, NULL, "ib705", VIRUSDETECTED),

	/* === Mimecast === */
	RH("mimecast", NULL, NULL, "host network not allowed", POLICYVIOLATION),
	RH("mimecast", NULL, NULL, "ip reputation", BLOCKED),
	RH("mimecast", NULL, NULL, "anti-spoofing policy", POLICYVIOLATION),
	RH("mimecast", NULL, NULL, "envelope blocked", REJECTED),
	RH("mimecast", NULL, NULL, "content examination policy", POLICYVIOLATION),

	/* === KDDI (au) ===
	   au's receiving filter (the user's "designated reception"
	   settings) refuses with the address left out, "550 : User
	   unknown"; its directory names the address it doesn't know,
	   "550 <user@ezweb.ne.jp>: User unknown", or refuses it with a bare
	   "Recipient address rejected." */
	RH("kddi", NULL, NULL, "550 : user unknown", FILTERED),
	RH("kddi", NULL, NULL, ">: user unknown", USERUNKNOWN),
	RH("kddi", NULL, NULL, ">: recipient address rejected.", USERUNKNOWN),
	RH("kddi", "5.2.0", NULL, NULL, FILTERED),

	/* === NTT docomo === */
	RH("docomo", "5.2.0", NULL, NULL, FILTERED),

	/* === Tencent QQ === */
	RH("qq", NULL, NULL, "frequency limited", TOOMANYCONN),
	RH("qq", NULL, NULL, "mailbox unavailable or access denied", TOOMANYCONN),
	RH("qq", NULL, NULL, "suspected spam ip", BLOCKED),

	/* === i.ua: the error page's number === */
	RH("iua", NULL, NULL, "i.ua/err/1/", NORELAYING),
	RH("iua", NULL, NULL, "i.ua/err/2/", USERUNKNOWN),
	RH("iua", NULL, NULL, "i.ua/err/3/", SUSPEND),
	RH("iua", NULL, NULL, "i.ua/err/4/", MAILBOXFULL),
	RH("iua", NULL, NULL, "i.ua/err/5/", TOOMANYCONN),
	RH("iua", NULL, NULL, "i.ua/err/9/", BLOCKED),
};
const unsigned int bounce_rhost_rules_count = N_ELEMENTS(bounce_rhost_rules);
