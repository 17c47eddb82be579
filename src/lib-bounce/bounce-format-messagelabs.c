/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-vendor.h"

/* MessageLabs (Symantec Email Security.cloud): "Mail Delivery Failure"
   from MAILER-DAEMON@messagelabs.com with an X-Msg-Ref header naming a
   messagelabs.com tower. The text says "I was unable to deliver your
   message to the following addresses:", each address on its own line
   and "Reason: <reply>" after it; a delivery-status part repeats it
   with a bare 5.0.0, so the reply decides. */

static const struct bounce_vendor_signature bounce_messagelabs_signatures[] = {
	{ "X-Msg-Ref", "messagelabs.com" },
	{ "From", "mailer-daemon@messagelabs.com" },
	{ "Subject", "mail delivery failure" },
	{ NULL, "symantec email security.cloud" },
	{ NULL, NULL }
};

static const char *const bounce_messagelabs_begin[] = {
	"i was unable to deliver your message to the following addresses",
	NULL
};
static const char *const bounce_messagelabs_end[] = {
	"the message subject was:", "please do not reply to this email", NULL
};

/* What the gateway itself answers (it checks recipients against the
   customer's registered addresses and its own policies), as its DSN's
   diagnostic quotes it. */
static const struct bounce_vendor_reason bounce_messagelabs_reasons[] = {
	{ "no such user", BOUNCE_REASON_USERUNKNOWN },
	{ "please turn on smtp authentication", BOUNCE_REASON_SECURITYERROR },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

/* MessageLabs' own reply code: 542 "<address> Rejected" refuses a
   recipient that isn't among the customer's registered addresses. */
static const struct {
	const char *reply_code;
	const char *phrase;
	enum bounce_reason reason;
} bounce_messagelabs_codes[] = {
	{ "542", "rejected", BOUNCE_REASON_USERUNKNOWN },
};

static const struct bounce_vendor_text_format bounce_messagelabs_format = {
	.signatures = bounce_messagelabs_signatures,
	.min_signatures = 2,
	.layout = {
		.begin = bounce_messagelabs_begin,
		.end = bounce_messagelabs_end,
		.blank_ends_recipient = FALSE,
	},
	.name = "messagelabs",
	.reasons = bounce_messagelabs_reasons,
};

static void bounce_messagelabs_hint_codes(struct bounce_report *report)
{
	struct bounce_recipient *rcpt;

	array_foreach_modifiable(&report->recipients, rcpt) {
		if (rcpt->reason_hint != BOUNCE_REASON_UNDEFINED ||
		    rcpt->reply_code == NULL || rcpt->diagnostic == NULL)
			continue;
		for (unsigned int i = 0;
		     i < N_ELEMENTS(bounce_messagelabs_codes); i++) {
			if (strcmp(rcpt->reply_code,
				   bounce_messagelabs_codes[i].reply_code) != 0 ||
			    strstr(t_str_lcase(rcpt->diagnostic),
				   bounce_messagelabs_codes[i].phrase) == NULL)
				continue;
			bounce_vendor_set_hint(report, rcpt,
					       bounce_messagelabs_codes[i].reason,
					       "messagelabs",
					       bounce_messagelabs_codes[i].reply_code);
			break;
		}
	}
}

static bool bounce_format_messagelabs_extract(const struct bounce_mail *mail,
					      struct bounce_report *report)
{
	if (!bounce_vendor_signatures_match(mail,
					    bounce_messagelabs_signatures, 2))
		return FALSE;
	if (bounce_vendor_read_dsn(mail, report)) {
		bounce_vendor_hint_reasons(report, "messagelabs",
					   bounce_messagelabs_reasons);
		report->kind = BOUNCE_KIND_DSN;
	} else if (!bounce_vendor_extract_text(mail, report,
					       &bounce_messagelabs_format)) {
		return FALSE;
	}
	T_BEGIN {
		bounce_messagelabs_hint_codes(report);
	} T_END;
	return TRUE;
}

const struct bounce_format bounce_format_messagelabs = {
	.name = "messagelabs",
	.extract = bounce_format_messagelabs_extract,
};
