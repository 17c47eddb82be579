/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-vendor.h"

/* Microsoft Exchange and its hosted forms (Office 365 / Exchange Online,
   Outlook.com).
   - Exchange 2000/2003: "Your message ... did not reach the following
     recipient(s):", then "user@example.org on <date>" and an indented
     reason with "<host #5.1.1>" or an "MSEXCH:IMS:... (000C05A6)" code.
     No delivery-status part.
   - Exchange 2007 and later, Office 365: "Delivery has failed to these
     recipients or groups" / "Your message to ... couldn't be delivered",
     then "Diagnostic information for administrators:" (localized),
     "Generating server:", each address alone on a line and "Remote Server
     returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'". Usually
     with a delivery-status part, which is read first.
   Exchange's own enhanced-code names (RESOLVER.ADR.RecipNotFound, ...)
   and Exchange 2003's MSEXCH codes name the reason; they are the table
   below. */

static const struct {
	/* lower-case, as found in the diagnostic */
	const char *code;
	enum bounce_reason reason;
} bounce_exchange_codes[] = {
	/* Exchange 2007+ / Office 365 */
	{ "resolver.adr.recipnotfound", BOUNCE_REASON_USERUNKNOWN },
	{ "resolver.adr.exrecipnotfound", BOUNCE_REASON_USERUNKNOWN },
	{ "resolver.adr.recipientnotfound", BOUNCE_REASON_USERUNKNOWN },
	{ "resolver.rst.recipsizelimit", BOUNCE_REASON_MESGTOOBIG },
	{ "resolver.rst.authrequired", BOUNCE_REASON_SECURITYERROR },
	{ "smtpsend.dns.nonexistentdomain", BOUNCE_REASON_HOSTUNKNOWN },
	{ "smtpsend.dns.mxloopback", BOUNCE_REASON_NETWORKERROR },
	{ "queue.expired", BOUNCE_REASON_EXPIRED },
	{ "quotaexceededexception", BOUNCE_REASON_MAILBOXFULL },
	/* Exchange 2000/2003 MSEXCH:IMS codes */
	{ "(000c05a6)", BOUNCE_REASON_USERUNKNOWN },
	{ "(00120270)", BOUNCE_REASON_NETWORKERROR },
	{ "(00050311)", BOUNCE_REASON_CONTENTERROR },
	{ "(000502cc)", BOUNCE_REASON_CONTENTERROR },
	{ "(000b0981)", BOUNCE_REASON_SECURITYERROR },
	{ "(00010256)", BOUNCE_REASON_SYSTEMERROR },
};

static const struct bounce_vendor_signature bounce_exchange_signatures[] = {
	/* Exchange 2000/2003 */
	{ NULL, "did not reach the following recipient(s)" },
	/* Exchange 2007+, Office 365: en, fr, it, de, es, nl, pt */
	{ NULL, "diagnostic information for administrators" },
	{ NULL, "informations de diagnostic pour les administrateurs" },
	{ NULL, "informazioni di diagnostica per gli amministratori" },
	{ NULL, "diagnoseinformationen für administratoren" },
	{ NULL, "información de diagnóstico para administradores" },
	{ NULL, "diagnostische gegevens voor beheerders" },
	{ NULL, "informações de diagnóstico para administradores" },
	{ NULL, NULL }
};

static const char *const bounce_exchange2003_begin[] = {
	"did not reach the following recipient(s)", NULL
};
static const char *const bounce_exchange2003_inline[] = {
	"smtp=", NULL
};

static const struct bounce_vendor_layout bounce_exchange2003_layout = {
	.begin = bounce_exchange2003_begin,
	.address_line_may_continue = TRUE,
	.inline_labels = bounce_exchange2003_inline,
};

static const char *const bounce_exchange2007_begin[] = {
	"diagnostic information for administrators",
	"informations de diagnostic pour les administrateurs",
	"informazioni di diagnostica per gli amministratori",
	"diagnoseinformationen für administratoren",
	"información de diagnóstico para administradores",
	"diagnostische gegevens voor beheerders",
	"informações de diagnóstico para administradores",
	NULL
};
static const char *const bounce_exchange2007_end[] = {
	"original message headers",
	"en-têtes de message d'origine",
	"intestazioni originali del messaggio",
	"ursprüngliche nachrichtenkopfzeilen",
	"encabezados del mensaje original",
	"oorspronkelijke berichtkoppen",
	"cabeçalhos da mensagem original",
	NULL
};
static const char *const bounce_exchange2007_skip[] = {
	"generating server", "serveur de g", "server di generazione",
	"erstellender server", "servidor de generación",
	"genererende server", "servidor de geração", NULL
};

static const struct bounce_vendor_layout bounce_exchange2007_layout = {
	.begin = bounce_exchange2007_begin,
	.end = bounce_exchange2007_end,
	.skip = bounce_exchange2007_skip,
	.blank_ends_recipient = TRUE,
};

static void bounce_exchange_hint(struct bounce_report *report,
				 struct bounce_recipient *rcpt)
{
	const char *lower;

	if (rcpt->diagnostic == NULL ||
	    rcpt->reason_hint != BOUNCE_REASON_UNDEFINED)
		return;
	lower = t_str_lcase(rcpt->diagnostic);
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_exchange_codes); i++) {
		const char *code = bounce_exchange_codes[i].code;
		const char *p = strstr(lower, code);

		if (p == NULL)
			continue;
		/* name the rule with the code as the mail spells it */
		bounce_vendor_set_hint(report, rcpt,
			bounce_exchange_codes[i].reason, "exchange",
			t_strndup(rcpt->diagnostic + (p - lower),
				  strlen(code)));
		return;
	}
}

/* The DSN part of Exchange 2007+ often says less than the text: a
   generic status, or a diagnostic without the remote server's reply.
   Read the text's per-recipient lines into a scratch report and take
   what the DSN lacks. */
static void bounce_exchange_refine(const struct bounce_mail *mail,
				   struct bounce_report *report)
{
	struct bounce_report scratch;
	struct bounce_recipient *rcpt, *text_rcpt;

	i_zero(&scratch);
	scratch.pool = pool_datastack_create();
	t_array_init(&scratch.recipients, 4);
	if (bounce_vendor_parse_text(mail, &scratch,
				     &bounce_exchange2007_layout) == 0)
		return;
	array_foreach_modifiable(&report->recipients, rcpt) {
		text_rcpt = bounce_vendor_find_recipient(&scratch,
							 rcpt->address);
		if (text_rcpt == NULL || text_rcpt->diagnostic == NULL)
			continue;
		if (rcpt->status == NULL ||
		    (text_rcpt->status != NULL &&
		     strcmp(rcpt->status + 1, ".0.0") == 0 &&
		     rcpt->status[0] == text_rcpt->status[0]))
			rcpt->status = p_strdup(report->pool,
						text_rcpt->status);
		if (rcpt->reply_code == NULL)
			rcpt->reply_code = p_strdup(report->pool,
						    text_rcpt->reply_code);
		if (rcpt->diagnostic == NULL ||
		    strchr(rcpt->diagnostic, ' ') == NULL)
			rcpt->diagnostic = p_strdup(report->pool,
						    text_rcpt->diagnostic);
	}
}

static bool bounce_format_exchange_extract(const struct bounce_mail *mail,
					   struct bounce_report *report)
{
	struct bounce_recipient *rcpt;

	if (!bounce_vendor_signatures_match(mail,
					    bounce_exchange_signatures, 1))
		return FALSE;
	if (bounce_vendor_read_dsn(mail, report))
		bounce_exchange_refine(mail, report);
	else if (bounce_vendor_parse_text(mail, report,
					  &bounce_exchange2007_layout) == 0 &&
		 bounce_vendor_parse_text(mail, report,
					  &bounce_exchange2003_layout) == 0)
		return FALSE;
	report->kind = BOUNCE_KIND_DSN;
	array_foreach_modifiable(&report->recipients, rcpt)
		bounce_exchange_hint(report, rcpt);
	return TRUE;
}

const struct bounce_format bounce_format_exchange = {
	.name = "exchange",
	.extract = bounce_format_exchange_extract,
};
