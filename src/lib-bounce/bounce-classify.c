/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "bounce-classify.h"

/* First cut: the enhanced status code's class only. The classifier
   issue replaces this with the table-driven classifier. */

enum bounce_category
bounce_policy_category(const struct bounce_analyze_settings *set,
		       enum bounce_reason reason, const char *status,
		       const char *reply_code)
{
	bool temporary = (status != NULL && status[0] == '4') ||
		(status == NULL && reply_code != NULL && reply_code[0] == '4');

	if (set->category_overridden[reason])
		return set->category_override[reason];
	if (reason == BOUNCE_REASON_NOTACCEPT && temporary)
		return BOUNCE_CATEGORY_SOFT;
	return bounce_reason_default_category(reason);
}

void bounce_classify(struct bounce_report *report,
		     const struct bounce_analyze_settings *set)
{
	struct bounce_recipient *rcpt;

	array_foreach_modifiable(&report->recipients, rcpt) {
		rcpt->reason = rcpt->reason_hint;
		rcpt->rule = rcpt->rule_hint;
		if (rcpt->reason == BOUNCE_REASON_UNDEFINED &&
		    rcpt->status != NULL) {
			if (strcmp(rcpt->status, "5.1.1") == 0)
				rcpt->reason = BOUNCE_REASON_USERUNKNOWN;
			rcpt->rule = "status";
		}
		rcpt->category = bounce_policy_category(set, rcpt->reason,
			rcpt->status, rcpt->reply_code);
		rcpt->hard = rcpt->category == BOUNCE_CATEGORY_HARD;
	}
}
