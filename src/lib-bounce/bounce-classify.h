#ifndef BOUNCE_CLASSIFY_H
#define BOUNCE_CLASSIFY_H

#include "bounce-report.h"
#include "bounce-settings.h"

/* Decide reason, category, rule and hard for every recipient of report.
   The report's facts are not changed. The phrase automata are built on
   first use; bounce_classify_deinit() frees them. */
void bounce_classify(struct bounce_report *report,
		     const struct bounce_analyze_settings *set);
/* The same for one recipient of report (rule is allocated from
   report->pool). */
void bounce_classify_recipient(const struct bounce_report *report,
			       struct bounce_recipient *rcpt,
			       const struct bounce_analyze_settings *set);
/* Free the tables built on first use (safe to call when none were). */
void bounce_classify_deinit(void);

/* The category of a reason under the settings' policy: success actions
   are delivered, a delay notice (action delayed) is soft, then the
   admin's per-reason override, then the default; notaccept is soft with
   a 4xx code (status, or the reply code if there is no status; both may
   be NULL). */
enum bounce_category
bounce_policy_category(const struct bounce_analyze_settings *set,
		       enum bounce_reason reason, enum bounce_action action,
		       const char *status, const char *reply_code);

/* Sisimai's "hard bounce" fact: userunknown, hostunknown, hasmoved, or
   notaccept with a 5xx code (with no code at all: a failed action). */
bool bounce_reason_is_hard(enum bounce_reason reason,
			   enum bounce_action action, const char *status,
			   const char *reply_code);

#endif
