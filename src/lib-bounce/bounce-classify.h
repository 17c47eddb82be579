#ifndef BOUNCE_CLASSIFY_H
#define BOUNCE_CLASSIFY_H

#include "bounce-report.h"
#include "bounce-settings.h"

/* Decide reason, category, rule and hard for every recipient of report.
   The report's facts are not changed. */
void bounce_classify(struct bounce_report *report,
		     const struct bounce_analyze_settings *set);

/* The category of a reason under the settings' policy. status is the
   enhanced status code (may be NULL): notaccept is soft with a 4xx code. */
enum bounce_category
bounce_policy_category(const struct bounce_analyze_settings *set,
		       enum bounce_reason reason, const char *status,
		       const char *reply_code);

#endif
