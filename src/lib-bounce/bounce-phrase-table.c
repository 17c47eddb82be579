/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-phrase.h"

/* What receiving servers and MTAs write in their diagnostics, one phrase
   per row, grouped under one banner per reason. The matcher sees the
   text lower-cased, accents and SMTP line prefixes removed and blanks
   folded (bounce_phrase_fold()), so write phrases that way. " * " is a
   short gap (an address, a host name). A phrase belongs to one reason
   only; when phrases of several reasons match, the reason precedence in
   bounce-classify.c decides.

   Adding a phrase: put it under its reason with a comment saying where
   it is seen, and add a row to tests/unit/test-bounce-classify.c. Prefer
   a phrase that names the problem ("mailbox is full") over one that
   happens to be in one server's wording around it. */

#define R(reason, phrase) { BOUNCE_REASON_##reason, phrase }

const struct bounce_phrase_rule bounce_phrase_rules[] = {
	/* === userunknown: the local part does not exist === */
	R(USERUNKNOWN, "user unknown"),			/* Sendmail, Postfix, many */
	R(USERUNKNOWN, "unknown user"),			/* Exim, Courier */
	R(USERUNKNOWN, "no such user"),			/* Sendmail, Postfix local(8) */
	R(USERUNKNOWN, "no such mailbox"),		/* various */
	R(USERUNKNOWN, "no such recipient"),		/* various */
	R(USERUNKNOWN, "no such person at this address"), /* old Netscape/SunONE */
	R(USERUNKNOWN, "not listed in domino directory"), /* IBM Domino */
	R(USERUNKNOWN, "not listed in public name & address book"), /* Lotus Notes */
	R(USERUNKNOWN, "no such address"),		/* various */
	R(USERUNKNOWN, "no mailbox here by that name"),	/* qmail */
	R(USERUNKNOWN, "no mailbox by that name"),	/* various */
	R(USERUNKNOWN, "no mailbox found"),		/* various */
	R(USERUNKNOWN, "no account by that name here"),	/* various */
	R(USERUNKNOWN, "unknown recipient"),		/* various */
	R(USERUNKNOWN, "unknown mailbox"),		/* various */
	R(USERUNKNOWN, "unknown local part"),		/* Exim */
	R(USERUNKNOWN, "unknown local-part"),		/* Exim */
	R(USERUNKNOWN, "unknown email address"),	/* various */
	R(USERUNKNOWN, "unknown e-mail address"),	/* various */
	R(USERUNKNOWN, "user not found"),		/* Mail.ru, Rakuten */
	R(USERUNKNOWN, "user not known"),		/* various */
	R(USERUNKNOWN, "user does not exist"),		/* various */
	R(USERUNKNOWN, "user * does not exist"),	/* various, with the name */
	R(USERUNKNOWN, "user * was not found"),		/* various */
	R(USERUNKNOWN, "user doesn't exist"),		/* various */
	R(USERUNKNOWN, "recipient not found"),		/* various */
	R(USERUNKNOWN, "recipient unknown"),		/* various */
	R(USERUNKNOWN, "recipient does not exist"),	/* various */
	R(USERUNKNOWN, "recipient * was not found in"),	/* Lotus Domino */
	R(USERUNKNOWN, "recipient address rejected: user unknown"),	/* Postfix */
	R(USERUNKNOWN, "recipient address rejected: unknown user"),	/* Postfix */
	R(USERUNKNOWN, "recipient address rejected: invalid user"),	/* Postfix */
	R(USERUNKNOWN, "recipient address rejected: undeliverable address"), /* Postfix verify */
	R(USERUNKNOWN, "recipient address rejected: access denied"),	/* Office 365 (no such recipient in the tenant) */
	R(USERUNKNOWN, "mailbox not found"),		/* various */
	R(USERUNKNOWN, "mailbox does not exist"),	/* various */
	R(USERUNKNOWN, "mailbox * does not exist"),	/* various */
	R(USERUNKNOWN, "mailbox unavailable"),		/* Exchange, "550 mailbox unavailable" */
	R(USERUNKNOWN, "mailbox not present"),		/* various */
	R(USERUNKNOWN, "mailbox is inactive"),		/* various */
	R(USERUNKNOWN, "invalid mailbox"),		/* various */
	R(USERUNKNOWN, "invalid recipient"),		/* various, Orange */
	R(USERUNKNOWN, "invalid address"),		/* various */
	R(USERUNKNOWN, "address invalid"),		/* various */
	R(USERUNKNOWN, "address unknown"),		/* various */
	R(USERUNKNOWN, "address does not exist"),	/* various */
	R(USERUNKNOWN, "address not present in directory"), /* various */
	R(USERUNKNOWN, "email address does not exist"),	/* various */
	R(USERUNKNOWN, "email address could not be found"), /* Exchange */
	R(USERUNKNOWN, "the email account that you tried to reach does not exist"), /* Gmail */
	R(USERUNKNOWN, "resolver.adr.recipnotfound"),	/* Exchange */
	R(USERUNKNOWN, "resolver.adr.recipientnotfound"), /* Exchange Online */
	R(USERUNKNOWN, "not a valid recipient"),	/* various */
	R(USERUNKNOWN, "not a valid user"),		/* various */
	R(USERUNKNOWN, "not a valid mailbox"),		/* various */
	R(USERUNKNOWN, "is not a valid mailbox"),	/* various */
	R(USERUNKNOWN, "is not a known user"),		/* various */
	R(USERUNKNOWN, "not our customer"),		/* various */
	R(USERUNKNOWN, "non-existent user"),		/* various */
	R(USERUNKNOWN, "nonexistent user"),		/* various */
	R(USERUNKNOWN, "bad recipient"),		/* various */
	R(USERUNKNOWN, "bad destination mailbox address"), /* RFC 3463 text of 5.1.1 */
	R(USERUNKNOWN, "badrcptto"),			/* qmail patches */
	R(USERUNKNOWN, "in my badrcptto list"),		/* qmail patches */
	R(USERUNKNOWN, "not in my validrcptto list"),	/* qmail patches */
	R(USERUNKNOWN, "account does not exist"),	/* various */
	R(USERUNKNOWN, "account is unavailable"),	/* various */
	R(USERUNKNOWN, "this user doesn't have a * account"), /* Yahoo */
	R(USERUNKNOWN, "there is no one at this address"), /* various */
	R(USERUNKNOWN, "no valid recipients"),		/* various */
	R(USERUNKNOWN, "invalid or unknown virtual user"), /* vpopmail */
	R(USERUNKNOWN, "inactive email address"),	/* iCloud */
	R(USERUNKNOWN, "this address no longer accepts mail"), /* various */
	R(USERUNKNOWN, "destination addresses were unknown"), /* various */
	R(USERUNKNOWN, "utilisateur inconnu"),		/* French servers */
	R(USERUNKNOWN, "destinataire inconnu"),		/* French servers */
	R(USERUNKNOWN, "adresse destinataire invalide"), /* La Poste */
	R(USERUNKNOWN, "destinatario inesistente"),	/* Italian servers */
	R(USERUNKNOWN, "unbekannter empfaenger"),	/* German servers */
	R(USERUNKNOWN, "empfaenger unbekannt"),		/* German servers */
	R(USERUNKNOWN, "usuario desconocido"),		/* Spanish servers */
	R(USERUNKNOWN, "no existe ese usuario"),	/* Spanish servers */

	/* === hostunknown: the domain does not exist === */
	R(HOSTUNKNOWN, "host or domain name not found"), /* Postfix */
	R(HOSTUNKNOWN, "host unknown"),			/* Sendmail */
	R(HOSTUNKNOWN, "unknown host"),			/* various */
	R(HOSTUNKNOWN, "domain does not exist"),	/* various */
	R(HOSTUNKNOWN, "no such domain"),		/* various */
	R(HOSTUNKNOWN, "unrouteable address"),		/* Exim */
	R(HOSTUNKNOWN, "unroutable address"),		/* Exim */
	R(HOSTUNKNOWN, "all relevant mx records point to non-existent hosts"), /* Exim */
	R(HOSTUNKNOWN, "name or service not known"),	/* getaddrinfo */
	R(HOSTUNKNOWN, "recipient address rejected: unknown domain"), /* Postfix */
	R(HOSTUNKNOWN, "the account or domain may not exist"), /* Exchange */
	R(HOSTUNKNOWN, "mail domain mentioned in email address is unknown"), /* various */
	R(HOSTUNKNOWN, "recipient domain must exist"),	/* various */
	R(HOSTUNKNOWN, "invalid domain"),		/* Amazon SES, various */
	R(HOSTUNKNOWN, "bad destination system address"), /* RFC 3463 text of 5.1.2 */

	/* === hasmoved: the mailbox moved without forwarding === */
	R(HASMOVED, "has been replaced by"),		/* qmail-style "user has been replaced by" */
	R(HASMOVED, "recipient no longer on server"),	/* iCloud, Sendmail */
	R(HASMOVED, "mailbox has moved"),		/* RFC 3463 text of 5.1.6 */
	R(HASMOVED, "no forwarding address"),		/* RFC 3463 text of 5.1.6 */

	/* === notaccept: the destination accepts no mail === */
	R(NOTACCEPT, "null mx"),			/* RFC 7505, Gmail, Postfix */
	R(NOTACCEPT, "nullmx"),				/* Postfix "(nullMX)" */
	R(NOTACCEPT, "does not accept mail"),		/* Sendmail, iCloud */
	R(NOTACCEPT, "doesn't receive email"),		/* Gmail: "doesn't receive email according to the administrator" */
	R(NOTACCEPT, "no mx record found for domain"),	/* Yahoo */
	R(NOTACCEPT, "name server: .: host not found"),	/* Sendmail */
	R(NOTACCEPT, "couldn't find a mail exchanger or ip address"), /* qmail: the MX resolves to nothing usable (#5.4.4) */
	R(NOTACCEPT, "an mx or srv record indicated no smtp service"), /* Exim on a null MX */
	R(NOTACCEPT, "no mx found for domain"),		/* OpenSMTPD */

	/* === mailboxfull: over quota === */
	R(MAILBOXFULL, "mailbox full"),			/* Sendmail, many */
	R(MAILBOXFULL, "mailbox is full"),		/* many */
	R(MAILBOXFULL, "mailbox is over quota"),	/* various */
	R(MAILBOXFULL, "mailbox over quota"),		/* various */
	R(MAILBOXFULL, "mailbox size limit exceeded"),	/* Exchange */
	R(MAILBOXFULL, "mailbox has exceeded"),		/* various */
	R(MAILBOXFULL, "mailbox quota"),		/* various */
	R(MAILBOXFULL, "mailfolder is full"),		/* various */
	R(MAILBOXFULL, "full mailbox"),			/* various */
	R(MAILBOXFULL, "over quota"),			/* Postfix, Dovecot, qmail */
	R(MAILBOXFULL, "overquota"),			/* various */
	R(MAILBOXFULL, "quota exceeded"),		/* Dovecot, Courier */
	R(MAILBOXFULL, "exceeded quota"),		/* various */
	R(MAILBOXFULL, "exceeds quota"),		/* various */
	R(MAILBOXFULL, "exceeding its mailbox quota"),	/* various */
	R(MAILBOXFULL, "exceeding their quota"),	/* various */
	R(MAILBOXFULL, "over the allowed quota"),	/* various */
	R(MAILBOXFULL, "quota violation"),		/* various */
	R(MAILBOXFULL, "disk quota exceeded"),		/* local delivery, EDQUOT */
	R(MAILBOXFULL, "disc quota exceeded"),		/* local delivery */
	R(MAILBOXFULL, "insufficient disk space"),	/* various */
	R(MAILBOXFULL, "not enough storage space"),	/* various */
	R(MAILBOXFULL, "out of storage space"),		/* Gmail "inbox is out of storage space" */
	R(MAILBOXFULL, "does not have enough space"),	/* various */
	R(MAILBOXFULL, "user has too many messages"),	/* various */
	R(MAILBOXFULL, "storage limit"),		/* GoDaddy "account storage limit" */
	R(MAILBOXFULL, "mailbox exceeded the local limit"), /* various */
	R(MAILBOXFULL, "exceeded storage allocation"),	/* RFC 5321 text of 552 */
	R(MAILBOXFULL, "the user's space has been used up"), /* Chinese providers */
	R(MAILBOXFULL, "boite du destinataire pleine"),	/* Orange */
	R(MAILBOXFULL, "boite pleine"),			/* French servers */
	R(MAILBOXFULL, "casella piena"),		/* Italian servers */
	R(MAILBOXFULL, "postfach voll"),		/* German servers */
	R(MAILBOXFULL, "shutoffquotaexceeded"),		/* Exchange MapiExceptionShutoffQuotaExceeded */
	R(MAILBOXFULL, "too much mail data"),		/* NTT docomo */

	/* === exceedlimit: over a per-recipient message limit === */
	R(EXCEEDLIMIT, "message length exceeds administrative limit"), /* RFC 3463 text of 5.2.3 */
	R(EXCEEDLIMIT, "message header size exceeds limit"), /* various */

	/* === mesgtoobig: the message is too big for the server === */
	R(MESGTOOBIG, "message too big"),		/* various */
	R(MESGTOOBIG, "message too large"),		/* Exchange, Postfix */
	R(MESGTOOBIG, "message is too large"),		/* various */
	R(MESGTOOBIG, "message is too big"),		/* various */
	R(MESGTOOBIG, "message size exceeds"),		/* Postfix, Exchange */
	R(MESGTOOBIG, "resolver.rst.recipsizelimit"),	/* Exchange */
	R(MESGTOOBIG, "message file too big"),		/* various */
	R(MESGTOOBIG, "max message size exceeded"),	/* various */
	R(MESGTOOBIG, "exceeded maximum inbound message size"), /* various */
	R(MESGTOOBIG, "exceeds size limit"),		/* various */
	R(MESGTOOBIG, "message exceeded * message size limits"), /* Gmail */
	R(MESGTOOBIG, "size limit exceeded"),		/* various */
	R(MESGTOOBIG, "message size limit"),		/* various */
	R(MESGTOOBIG, "taille limite du message atteinte"), /* French servers */

	/* === suspend: the account is disabled or inactive === */
	R(SUSPEND, "account has been disabled"),	/* various */
	R(SUSPEND, "account is disabled"),		/* various */
	R(SUSPEND, "account disabled"),			/* various, GoDaddy */
	R(SUSPEND, "has been disabled or discontinued"), /* Yahoo Japan */
	R(SUSPEND, "email account that you tried to reach is disabled"), /* Gmail */
	R(SUSPEND, "email account that you tried to reach is inactive"), /* Gmail */
	R(SUSPEND, "account is inactive"),		/* various */
	R(SUSPEND, "account inactive"),			/* various */
	R(SUSPEND, "inactive account"),			/* various */
	R(SUSPEND, "is currently suspended"),		/* various */
	R(SUSPEND, "has been suspended"),		/* various */
	R(SUSPEND, "user suspended"),			/* 163.com */
	R(SUSPEND, "mailbox currently suspended"),	/* various */
	R(SUSPEND, "mailbox is disabled"),		/* various */
	R(SUSPEND, "mailbox disabled"),			/* RFC 3463 text of 5.2.1 */
	R(SUSPEND, "mailbox is frozen"),		/* i.ua */
	R(SUSPEND, "is a deactivated mailbox"),		/* QQ */
	R(SUSPEND, "temporary locked"),			/* various */
	R(SUSPEND, "temporarily locked"),		/* various */
	R(SUSPEND, "account is locked"),		/* vpopmail */
	R(SUSPEND, "account has been locked"),		/* various */
	R(SUSPEND, "recipient rejected: temporarily inactive"), /* various */
	R(SUSPEND, "invalid/inactive user"),		/* various */
	R(SUSPEND, "the recipient account is blocked"),	/* La Poste */
	R(SUSPEND, "le compte du destinataire est bloque"), /* La Poste */
	R(SUSPEND, "boite du destinataire archivee"),	/* Orange */
	R(SUSPEND, "due to extended inactivity"),	/* AOL */

	/* === filtered: the recipient's own filter refused it === */
	R(FILTERED, "refused due to recipient preferences"), /* Facebook */
	R(FILTERED, "message rejected due to user rules"), /* various */
	R(FILTERED, "is not accepting any mail"),	/* various */
	R(FILTERED, "is only accepting mail from specific email addresses"), /* AOL */
	R(FILTERED, "you have been blocked by the recipient"), /* various */
	R(FILTERED, "resolver.rst.notauthorized"),	/* Exchange */
	R(FILTERED, "user reject"),			/* various */
	R(FILTERED, "refuse to receive mail"),		/* Willcom */
	R(FILTERED, "has restricted sms e-mail"),	/* AT&T */

	/* === rejected: the envelope sender was refused === */
	R(REJECTED, "sender address rejected"),		/* Postfix */
	R(REJECTED, "sender rejected"),			/* various */
	R(REJECTED, "domain of sender address"),	/* Sendmail "Domain of sender address ... does not exist" */
	R(REJECTED, "sender verify failed"),		/* Exim callout */
	R(REJECTED, "sender address verification failed"), /* various */
	R(REJECTED, "invalid sender"),			/* various */
	R(REJECTED, "sender domain is empty"),		/* various */
	R(REJECTED, "sender is in my black list"),	/* various */
	R(REJECTED, "sender address has been blacklisted"), /* various */
	R(REJECTED, "null sender is not allowed"),	/* various */
	R(REJECTED, "empty envelope senders not allowed"), /* various */
	R(REJECTED, "unroutable sender address"),	/* various */
	R(REJECTED, "mail from not owned by user"),	/* various */
	R(REJECTED, "sender not pre-approved"),		/* various */
	R(REJECTED, "bad sender's mailbox address"),	/* RFC 3463 text of 5.1.7 */
	R(REJECTED, "bad sender's system address"),	/* RFC 3463 text of 5.1.8 */
	R(REJECTED, "administrative prohibition"),	/* Exim */
	R(REJECTED, "batv failed to verify"),		/* SonicWall */
	R(REJECTED, "batv validation failure"),		/* various */
	R(REJECTED, "this server does not accept mail from"), /* various */
	R(REJECTED, "you are not allowed to post to this mailing list"), /* Mailman */
	R(REJECTED, "temporarily deferred due to unexpected volume or user complaints"), /* Yahoo TSS04 */
	R(REJECTED, "emetteur invalide"),		/* French servers */

	/* === norelaying: relaying denied === */
	R(NORELAYING, "relay access denied"),		/* Postfix */
	R(NORELAYING, "relaying denied"),		/* Sendmail */
	R(NORELAYING, "relay denied"),			/* various */
	R(NORELAYING, "relay not permitted"),		/* various */
	R(NORELAYING, "relaying not allowed"),		/* various */
	R(NORELAYING, "unable to relay"),		/* Exchange */
	R(NORELAYING, "not allowed to relay"),		/* various */
	R(NORELAYING, "not configured to relay mail"),	/* various */
	R(NORELAYING, "not permitted to relay"),	/* various */
	R(NORELAYING, "we do not relay"),		/* various */
	R(NORELAYING, "not an open relay"),		/* various */
	R(NORELAYING, "insecure mail relay"),		/* various */
	R(NORELAYING, "mail relay denied"),		/* Gmail */
	R(NORELAYING, "isn't in my list of allowed rcpthosts"), /* qmail */
	R(NORELAYING, "we don't handle mail for"),	/* various */
	R(NORELAYING, "email address is not verified"),	/* Amazon SES: sender identity not verified */

	/* === systemfull: the destination's storage is full === */
	R(SYSTEMFULL, "mail system full"),		/* RFC 3463 text of X.3.1 */
	R(SYSTEMFULL, "insufficient system storage"),	/* RFC 5321 text of 452 */

	/* === systemerror: the remote system failed === */
	R(SYSTEMERROR, "service currently unavailable"), /* various */
	R(SYSTEMERROR, "local error in processing"),	/* RFC 5321 text of 451 */
	R(SYSTEMERROR, "local configuration error"),	/* various */
	R(SYSTEMERROR, "mail system configuration error"), /* various */
	R(SYSTEMERROR, "server configuration error"),	/* various */
	R(SYSTEMERROR, "system config error"),		/* various */
	R(SYSTEMERROR, "temporary local problem"),	/* Exim */
	R(SYSTEMERROR, "internal server error"),	/* Exchange */
	R(SYSTEMERROR, "internal error"),		/* various */
	R(SYSTEMERROR, "transaction failed"),		/* Hotmail, various */
	R(SYSTEMERROR, "could not load drd for domain"), /* McAfee MXLogic */
	R(SYSTEMERROR, "queue file write error"),	/* Postfix */
	R(SYSTEMERROR, "timeout waiting for input"),	/* various */
	R(SYSTEMERROR, "aliasing/forwarding loop broken"), /* various */
	R(SYSTEMERROR, "loops back to myself"),		/* Sendmail */
	R(SYSTEMERROR, "it would create a mail loop"),	/* various */
	R(SYSTEMERROR, "service refused, please try later"), /* Orange, La Poste */
	R(SYSTEMERROR, "remote server is misconfigured"), /* various */
	R(SYSTEMERROR, "unable to contact ldap server"), /* qmail-ldap */

	/* === mailererror: a local delivery program failed === */
	R(MAILERERROR, "procmail:"),			/* procmail via Postfix/Sendmail */
	R(MAILERERROR, "bin/procmail"),			/* various */
	R(MAILERERROR, "bin/maildrop"),			/* various */
	R(MAILERERROR, "mailer error"),			/* various */
	R(MAILERERROR, "command died with status"),	/* Postfix pipe(8) */
	R(MAILERERROR, "command failed:"),		/* Exim pipe */
	R(MAILERERROR, "command output:"),		/* Postfix pipe(8) */
	R(MAILERERROR, "unknown mailer error"),		/* Sendmail */

	/* === networkerror: DNS or network trouble === */
	R(NETWORKERROR, "host name lookup failure"),	/* Postfix */
	R(NETWORKERROR, "host not found, try again"),	/* Postfix */
	R(NETWORKERROR, "no route to host"),		/* connect(2) */
	R(NETWORKERROR, "host is unreachable"),		/* various */
	R(NETWORKERROR, "network is unreachable"),	/* connect(2) */
	R(NETWORKERROR, "lost connection with"),	/* Postfix */
	R(NETWORKERROR, "connection reset by peer"),	/* various */
	R(NETWORKERROR, "malformed name server reply"),	/* Postfix */
	R(NETWORKERROR, "malformed or unexpected name server reply"), /* Postfix */
	R(NETWORKERROR, "dns records for the destination computer could not be found"), /* Exchange */
	R(NETWORKERROR, "dns error"),			/* Gmail "DNS Error: ..." */
	R(NETWORKERROR, "mail forwarding loop"),	/* Postfix */
	R(NETWORKERROR, "too many hops"),		/* various */
	R(NETWORKERROR, "hop count exceeded"),		/* Exchange */
	R(NETWORKERROR, "routing loop"),		/* various */
	R(NETWORKERROR, "message looping"),		/* various */
	R(NETWORKERROR, "unable to resolve route"),	/* various */
	R(NETWORKERROR, "unrouteable mail domain"),	/* various */
	R(NETWORKERROR, "wasn't able to establish an smtp connection"), /* qmail */
	R(NETWORKERROR, "network error on destination mxs"), /* OpenSMTPD */

	/* === expired: retried until the queue lifetime ran out === */
	R(EXPIRED, "connection timed out"),		/* Postfix, Sendmail */
	R(EXPIRED, "delivery time expired"),		/* RFC 3463 text of 4.4.7 */
	R(EXPIRED, "message expired"),			/* Exchange, Amazon SES */
	R(EXPIRED, "queue.expired"),			/* Exchange */
	R(EXPIRED, "message timed out"),		/* various */
	R(EXPIRED, "retry timeout exceeded"),		/* Exim */
	R(EXPIRED, "retry time not reached for any host after a long failure period"), /* Exim */
	R(EXPIRED, "has been delayed"),			/* various */
	R(EXPIRED, "giving up on"),			/* qmail */
	R(EXPIRED, "was not reachable within the allowed queue period"), /* various */
	R(EXPIRED, "in the queue too long"),		/* various */
	R(EXPIRED, "unable to deliver message after multiple retries"), /* various */
	R(EXPIRED, "could not be delivered for more than"), /* various */
	R(EXPIRED, "server did not respond"),		/* various */
	R(EXPIRED, "did not accept our requests to connect"), /* Gmail */
	R(EXPIRED, "delivery attempts will continue to be made"), /* Postfix delay notice */
	R(EXPIRED, "have been failing for a long time"), /* various */
	R(EXPIRED, "delivery timeout"),			/* GoDaddy */
	R(EXPIRED, "envelope expired"),			/* OpenSMTPD */

	/* === blocked: the sending host or IP was refused === */
	R(BLOCKED, "blocked using"),			/* Postfix RBL reject */
	R(BLOCKED, "blacklisted by"),			/* various */
	R(BLOCKED, "is blacklisted"),			/* various */
	R(BLOCKED, "listed on a blacklist"),		/* various */
	R(BLOCKED, "is in a black list"),		/* various */
	R(BLOCKED, "on our block list"),		/* Office 365 */
	R(BLOCKED, "blocklist"),			/* various */
	R(BLOCKED, "blacklist"),			/* various */
	R(BLOCKED, "dnsbl"),				/* various */
	R(BLOCKED, "rbl reject"),			/* various */
	R(BLOCKED, "spamhaus"),				/* Spamhaus zones named in rejections */
	R(BLOCKED, "spamcop"),				/* SpamCop BL */
	R(BLOCKED, "sorbs"),				/* SORBS */
	R(BLOCKED, "barracudacentral"),			/* Barracuda BRBL */
	R(BLOCKED, "client host rejected"),		/* Postfix */
	R(BLOCKED, "client host * blocked"),		/* various */
	R(BLOCKED, "host blocked"),			/* various */
	R(BLOCKED, "ip blocked"),			/* various */
	R(BLOCKED, "ip address blocked"),		/* various */
	R(BLOCKED, "blocked - see"),			/* Proofpoint, Cloudmark */
	R(BLOCKED, "refused - see"),			/* various */
	R(BLOCKED, "access denied, banned sending ip"),	/* Office 365 */
	R(BLOCKED, "banned sending ip"),		/* Office 365 */
	R(BLOCKED, "not currently accepting mail from your ip"), /* Microsoft */
	R(BLOCKED, "your ip has been blocked"),		/* various */
	R(BLOCKED, "sender ip address rejected"),	/* various */
	R(BLOCKED, "refused to talk to me"),		/* Postfix: refused at the greeting */
	R(BLOCKED, "service not available, closing transmission channel"), /* RFC 5321 text of 421 at connect */
	R(BLOCKED, "connection refused by"),		/* various */
	R(BLOCKED, "connection dropped"),		/* various */
	R(BLOCKED, "helo command rejected"),		/* Postfix */
	R(BLOCKED, "bad helo"),				/* Office 365 */
	R(BLOCKED, "host network not allowed"),		/* Mimecast */
	R(BLOCKED, "dynamic ip"),			/* various */
	R(BLOCKED, "dynamic/zombied/spam ips blocked"),	/* various */
	R(BLOCKED, "you are not allowed to connect"),	/* various */
	R(BLOCKED, "go away"),				/* various */
	R(BLOCKED, "rejecting open proxy"),		/* Sendmail */
	R(BLOCKED, "listed as abusive"),		/* various */
	R(BLOCKED, "esmtp not accepting connections"),	/* iCloud */
	R(BLOCKED, "smtp error from remote mail server after initial connection"), /* Exim */
	R(BLOCKED, "too many spams from your ip"),	/* free.fr */
	R(BLOCKED, "ip/domain reputation problems"),	/* various */
	R(BLOCKED, "client host blocked"),		/* Orange */
	R(BLOCKED, "adresse ip source bloquee"),	/* Orange */
	R(BLOCKED, "we do not accept mail from dynamic ips"), /* Mail.ru */

	/* === badreputation: refused for the sender's reputation === */
	R(BADREPUTATION, "low reputation"),		/* Gmail "very low reputation of the sending ip" */
	R(BADREPUTATION, "poor reputation"),		/* various */
	R(BADREPUTATION, "poor email reputation score"), /* various */
	R(BADREPUTATION, "bad reputation"),		/* various */
	R(BADREPUTATION, "reputation of the sending"),	/* Gmail */
	R(BADREPUTATION, "sender reputation"),		/* various */
	R(BADREPUTATION, "ip reputation"),		/* Office 365 "rate limited due to ip reputation" */
	R(BADREPUTATION, "domain reputation"),		/* various */

	/* === authfailure: SPF, DKIM or DMARC failed === */
	R(AUTHFAILURE, "dmarc policy"),			/* Gmail, iCloud, Mail.ru, Zoho */
	R(AUTHFAILURE, "dmarc verification"),		/* Office 365 */
	R(AUTHFAILURE, "dmarc validation"),		/* various */
	R(AUTHFAILURE, "dmarc check failed"),		/* various */
	R(AUTHFAILURE, "failed dmarc"),			/* various */
	R(AUTHFAILURE, "fails to pass spf"),		/* Gmail */
	R(AUTHFAILURE, "fails to pass authentication checks"), /* Gmail */
	R(AUTHFAILURE, "sender is unauthenticated"),	/* Gmail */
	R(AUTHFAILURE, "must authenticate with either spf or dkim"), /* Gmail */
	R(AUTHFAILURE, "must pass either spf or dkim validation"), /* Office 365 */
	R(AUTHFAILURE, "spf check failed"),		/* various */
	R(AUTHFAILURE, "spf check: fail"),		/* various */
	R(AUTHFAILURE, "spf validation failed"),	/* RFC 7372 text of 5.7.23 */
	R(AUTHFAILURE, "spf fail"),			/* various */
	R(AUTHFAILURE, "sender policy framework"),	/* various */
	R(AUTHFAILURE, "is not allowed to send mail from"), /* SPF rejects */
	R(AUTHFAILURE, "is not allowed to send from"),	/* SPF rejects */
	R(AUTHFAILURE, "dkim signature"),		/* RFC 7372 texts of 5.7.20-22 */
	R(AUTHFAILURE, "dkim verification failed"),	/* various */
	R(AUTHFAILURE, "multiple authentication checks failed"), /* RFC 7372 text of 5.7.26 */

	/* === requireptr: no or wrong reverse DNS === */
	R(REQUIREPTR, "ptr record"),			/* Gmail, various */
	R(REQUIREPTR, "reverse dns"),			/* various */
	R(REQUIREPTR, "reverse lookup"),		/* various */
	R(REQUIREPTR, "rdns"),				/* various */
	R(REQUIREPTR, "dns ptr"),			/* GMX "Bad DNS PTR resource record" */
	R(REQUIREPTR, "cannot find your hostname"),	/* Yahoo */
	R(REQUIREPTR, "cannot resolve your address"),	/* various */
	R(REQUIREPTR, "ip name lookup failed"),		/* various */
	R(REQUIREPTR, "fix reverse dns for"),		/* various */

	/* === spamdetected: the content was taken for spam === */
	R(SPAMDETECTED, "spam detected"),		/* various */
	R(SPAMDETECTED, "detected as spam"),		/* various */
	R(SPAMDETECTED, "identified as spam"),		/* various */
	R(SPAMDETECTED, "classified as spam"),		/* various */
	R(SPAMDETECTED, "considered as spam"),		/* various */
	R(SPAMDETECTED, "scored as spam"),		/* various */
	R(SPAMDETECTED, "looks like spam"),		/* various */
	R(SPAMDETECTED, "looked like spam"),		/* SendGrid */
	R(SPAMDETECTED, "appears to be spam"),		/* various */
	R(SPAMDETECTED, "seems to be a spam"),		/* various */
	R(SPAMDETECTED, "is probably spam"),		/* various */
	R(SPAMDETECTED, "probable spam"),		/* various */
	R(SPAMDETECTED, "high probability of spam"),	/* various */
	R(SPAMDETECTED, "rejected as spam"),		/* various */
	R(SPAMDETECTED, "rejected due to spam"),	/* Gmail groups "rejected due to spam classification" */
	R(SPAMDETECTED, "spam message rejected"),	/* Mail.ru */
	R(SPAMDETECTED, "spam content"),		/* various */
	R(SPAMDETECTED, "spam score"),			/* various */
	R(SPAMDETECTED, "spamassassin"),		/* SpamAssassin rejects */
	R(SPAMDETECTED, "message content rejected"),	/* Barracuda */
	R(SPAMDETECTED, "unsolicited"),			/* various */
	R(SPAMDETECTED, "bulk mail"),			/* various */
	R(SPAMDETECTED, "bulk email"),			/* various */
	R(SPAMDETECTED, "content filter rejection"),	/* various */
	R(SPAMDETECTED, "rejecting banned content"),	/* amavis */
	R(SPAMDETECTED, "message filtered"),		/* various */
	R(SPAMDETECTED, "spam-like"),			/* various */
	R(SPAMDETECTED, "mail content denied"),		/* QQ */
	R(SPAMDETECTED, "spam not accepted"),		/* various */
	R(SPAMDETECTED, "spam rejected"),		/* various */
	R(SPAMDETECTED, "blocked for spam"),		/* various */
	R(SPAMDETECTED, "spam blocked"),		/* various */
	R(SPAMDETECTED, "suspicion of spam"),		/* Yandex */
	R(SPAMDETECTED, "suspected spam"),		/* QQ, various */

	/* === virusdetected: a virus scanner refused it === */
	R(VIRUSDETECTED, "virus detected"),		/* various */
	R(VIRUSDETECTED, "virus found"),		/* various */
	R(VIRUSDETECTED, "infected with a virus"),	/* various */
	R(VIRUSDETECTED, "contains a virus"),		/* various */
	R(VIRUSDETECTED, "virus infected"),		/* GoDaddy */
	R(VIRUSDETECTED, "malware detected"),		/* various */
	R(VIRUSDETECTED, "used by recent viruses"),	/* Exchange */
	R(VIRUSDETECTED, "potentially executable attachment"), /* various */
	R(VIRUSDETECTED, "spamsignature"),		/* Mimecast "MCSpamSignature" (a malware signature) */

	/* === policyviolation: a local policy of the destination === */
	R(POLICYVIOLATION, "policy violation"),		/* various */
	R(POLICYVIOLATION, "policy reasons"),		/* Yahoo, various */
	R(POLICYVIOLATION, "denied by policy"),		/* various */
	R(POLICYVIOLATION, "rejected by policy"),	/* various */
	R(POLICYVIOLATION, "security policies"),	/* Mimecast */
	R(POLICYVIOLATION, "organization policy"),	/* Exchange */
	R(POLICYVIOLATION, "organizational settings"),	/* Exchange */
	R(POLICYVIOLATION, "protocol violation"),	/* various */
	R(POLICYVIOLATION, "has a policy that prohibited"), /* Gmail */
	R(POLICYVIOLATION, "illegal attachment"),	/* Gmail */
	R(POLICYVIOLATION, "content presents a potential security issue"), /* Gmail */
	R(POLICYVIOLATION, "attachment extension is forbidden"), /* Cox */
	R(POLICYVIOLATION, "members-only list"),	/* various */
	R(POLICYVIOLATION, "closed mailing list"),	/* various */
	R(POLICYVIOLATION, "not subscribed to this group"), /* Google Groups */
	R(POLICYVIOLATION, "message not allowed"),	/* Yahoo Japan */

	/* === securityerror: other security rejections === */
	R(SECURITYERROR, "authentication required"),	/* various */
	R(SECURITYERROR, "authentication is required"),	/* various */
	R(SECURITYERROR, "smtp authentication"),	/* MessageLabs "turn on SMTP Authentication" */
	R(SECURITYERROR, "unauthenticated senders not allowed"), /* SendGrid */
	R(SECURITYERROR, "authentication credentials invalid"), /* RFC 4954 text of 5.7.8 */
	R(SECURITYERROR, "authentication failed"),	/* various */
	R(SECURITYERROR, "authentication failure"),	/* various */
	R(SECURITYERROR, "authrequired"),		/* Exchange RESOLVER.RST.AuthRequired */
	R(SECURITYERROR, "not authorized to send"),	/* various */
	R(SECURITYERROR, "executable files are not allowed"), /* various */
	R(SECURITYERROR, "verification failure"),	/* various */

	/* === contenterror: headers or content refused === */
	R(CONTENTERROR, "duplicate header"),		/* Amazon SES */
	R(CONTENTERROR, "header size exceeds"),		/* various */
	R(CONTENTERROR, "improper use of 8-bit data"),	/* various */
	R(CONTENTERROR, "invalid mime"),		/* various */
	R(CONTENTERROR, "mime complexity"),		/* various */
	R(CONTENTERROR, "message is malformed"),	/* Gmail */
	R(CONTENTERROR, "invalid characters"),		/* Office 365 */
	R(CONTENTERROR, "improperly-formatted binary content"), /* various */
	R(CONTENTERROR, "unnecessary base64 encoding"),	/* various */

	/* === notcompliantrfc: the message breaks RFC 5322 === */
	R(NOTCOMPLIANTRFC, "not rfc 5322 compliant"),	/* Gmail */
	R(NOTCOMPLIANTRFC, "rfc 5322"),			/* various */
	R(NOTCOMPLIANTRFC, "rfc5322"),			/* various */
	R(NOTCOMPLIANTRFC, "multiple addresses in from: header"), /* Gmail */
	R(NOTCOMPLIANTRFC, "addresses in from: header are not accepted"), /* Gmail */
	R(NOTCOMPLIANTRFC, "not rfc compliant"),	/* various */
	R(NOTCOMPLIANTRFC, "rfcmessagenoncompliant"),	/* Gmail help link */
	R(NOTCOMPLIANTRFC, "duplicate headers"),	/* various */
	R(NOTCOMPLIANTRFC, "missing a message-id header"), /* various */
	R(NOTCOMPLIANTRFC, "bare lf"),			/* Postfix/Exim BDAT/DATA checks */

	/* === syntaxerror: the SMTP dialogue went wrong === */
	R(SYNTAXERROR, "syntax error"),			/* various */
	R(SYNTAXERROR, "improper sequence of commands"), /* Sendmail */
	R(SYNTAXERROR, "bad sequence of commands"),	/* RFC 5321 text of 503 */
	R(SYNTAXERROR, "command parameter not implemented"), /* RFC 5321 text of 504 */
	R(SYNTAXERROR, "command not recognized"),	/* various */
	R(SYNTAXERROR, "command unrecognized"),		/* various */

	/* === toomanyconn: too many connections or recipients === */
	R(TOOMANYCONN, "too many connections"),		/* various */
	R(TOOMANYCONN, "too many concurrent smtp connections"), /* Microsoft */
	R(TOOMANYCONN, "too many smtp sessions"),	/* Sendmail */
	R(TOOMANYCONN, "too many sessions"),		/* Cox, GoDaddy */
	R(TOOMANYCONN, "connection rate limit exceeded"), /* Postfix anvil */
	R(TOOMANYCONN, "connection limit"),		/* various */
	R(TOOMANYCONN, "too many recipients"),		/* NTT docomo, various */
	R(TOOMANYCONN, "too many errors from your ip"),	/* free.fr */
	R(TOOMANYCONN, "trop de connexions"),		/* French servers */
	R(TOOMANYCONN, "maximum connection limit"),	/* SendGrid */
	R(TOOMANYCONN, "max emails per hour"),		/* various */

	/* === speeding: sending too fast === */
	R(SPEEDING, "rate limit"),			/* various */
	R(SPEEDING, "rate limited"),			/* Office 365, Gmail */
	R(SPEEDING, "receiving mail at a rate that"),	/* Gmail */
	R(SPEEDING, "sending rate exceeded"),		/* Amazon SES */
	R(SPEEDING, "too many messages"),		/* various */
	R(SPEEDING, "receiving mail too quickly"),	/* Gmail 4.2.1 */
	R(SPEEDING, "sending too fast"),		/* various */
	R(SPEEDING, "unusual rate"),			/* Gmail "unusual rate of unsolicited mail" */
	R(SPEEDING, "throttled"),			/* various */
	R(SPEEDING, "throttling"),			/* various */

	/* === failedstarttls: STARTTLS, DANE or MTA-STS failed === */
	R(FAILEDSTARTTLS, "starttls"),			/* various */
	R(FAILEDSTARTTLS, "tls required"),		/* Gmail, SendGrid */
	R(FAILEDSTARTTLS, "encryption required"),	/* various */
	R(FAILEDSTARTTLS, "encryption needed"),		/* RFC 3463 text of 5.7.10 */
	R(FAILEDSTARTTLS, "must issue a starttls command first"), /* Postfix */
	R(FAILEDSTARTTLS, "dane validation"),		/* Office 365 */
	R(FAILEDSTARTTLS, "mta-sts"),			/* various */
	R(FAILEDSTARTTLS, "tls handshake"),		/* various */
	R(FAILEDSTARTTLS, "certificate verification failed"), /* various */

	/* === suppressed: the sending service's own suppression list === */
	R(SUPPRESSED, "suppression list"),		/* Amazon SES, SendGrid */
	R(SUPPRESSED, "on the account-level suppression list"), /* Amazon SES */
	R(SUPPRESSED, "previously bounced"),		/* SendGrid "bounced address" */
	R(SUPPRESSED, "bounced address"),		/* SendGrid */
	R(SUPPRESSED, "unsubscribed address"),		/* SendGrid */
	R(SUPPRESSED, "spam reporting address"),	/* SendGrid */

	/* === vacation: an auto-reply quoted as a diagnostic === */
	R(VACATION, "i am out of the office"),		/* auto-replies */
	R(VACATION, "i am away"),			/* auto-replies */
	R(VACATION, "out of office"),			/* auto-replies */
};

const unsigned int bounce_phrase_rules_count = N_ELEMENTS(bounce_phrase_rules);
