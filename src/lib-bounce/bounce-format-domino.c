/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-vendor.h"

/* IBM Lotus Domino: "DELIVERY FAILURE: ..." with the text "Your message
   / Subject: ... / was not delivered to: / user@example.org / because: /
   the reason". Newer releases add a delivery-status part whose status is
   a bare 5.0.0 and whose Diagnostic-Code (X-Notes) repeats the reason:
   that part is read first, the text fills in what it lacks. */

static const struct bounce_vendor_signature bounce_domino_signatures[] = {
	{ "Subject", "delivery failure:" },
	{ "Subject", "delivery_failure:" },
	{ NULL, "was not delivered to:" },
	{ NULL, NULL }
};

static const char *const bounce_domino_begin[] = {
	"was not delivered to:", NULL
};
static const char *const bounce_domino_skip[] = {
	"because:", NULL
};

/* Domino's own router texts: said by Domino about its directory, not
   quoted from a remote server, so they hold at whatever point the
   delivery stopped. */
static const struct bounce_vendor_reason bounce_domino_reasons[] = {
	{ "not listed in domino directory", BOUNCE_REASON_USERUNKNOWN },
	{ "not listed in public name & address book", BOUNCE_REASON_USERUNKNOWN },
	/* the Japanese release: "... is not found in the Domino Directory" */
	{ "domino ディレクトリには見つかりません", BOUNCE_REASON_USERUNKNOWN },
	{ "several matches found in domino directory", BOUNCE_REASON_SYSTEMERROR },
	{ "cannot route mail to user", BOUNCE_REASON_FILTERED },
	{ NULL, BOUNCE_REASON_UNDEFINED }
};

static const struct bounce_vendor_text_format bounce_domino_format = {
	.signatures = bounce_domino_signatures,
	.min_signatures = 2,
	.layout = {
		.begin = bounce_domino_begin,
		.skip = bounce_domino_skip,
	},
	.name = "domino",
	.reasons = bounce_domino_reasons,
};

/* The text names the address the sender wrote; the DSN's
   Final-Recipient may be where Domino routed it. With one recipient in
   each, the text's address is the one the bounce is about. */
static void bounce_domino_refine(const struct bounce_mail *mail,
				 struct bounce_report *report)
{
	struct bounce_report scratch;
	struct bounce_recipient *rcpt;
	const struct bounce_recipient *text_rcpt;

	if (array_count(&report->recipients) != 1)
		return;
	i_zero(&scratch);
	scratch.pool = pool_datastack_create();
	t_array_init(&scratch.recipients, 2);
	if (bounce_vendor_parse_text(mail, &scratch,
				     &bounce_domino_format.layout) != 1)
		return;
	rcpt = array_idx_modifiable(&report->recipients, 0);
	text_rcpt = array_idx(&scratch.recipients, 0);
	if (strcmp(rcpt->address, text_rcpt->address) != 0) {
		if (rcpt->final_recipient == NULL)
			rcpt->final_recipient = rcpt->address;
		rcpt->address = p_strdup(report->pool, text_rcpt->address);
	}
	if (rcpt->diagnostic == NULL)
		rcpt->diagnostic = p_strdup(report->pool,
					    text_rcpt->diagnostic);
}

static bool bounce_format_domino_extract(const struct bounce_mail *mail,
					 struct bounce_report *report)
{
	if (!bounce_vendor_signatures_match(mail, bounce_domino_signatures, 2))
		return FALSE;
	if (bounce_vendor_read_dsn(mail, report)) {
		bounce_domino_refine(mail, report);
		bounce_vendor_hint_reasons(report, "domino",
					   bounce_domino_reasons);
		report->kind = BOUNCE_KIND_DSN;
		return TRUE;
	}
	return bounce_vendor_extract_text(mail, report, &bounce_domino_format);
}

const struct bounce_format bounce_format_domino = {
	.name = "domino",
	.extract = bounce_format_domino_extract,
};
