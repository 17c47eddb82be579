#ifndef BOUNCE_STATUS_H
#define BOUNCE_STATUS_H

#include "bounce-reasons.h"

/* Enhanced status codes (RFC 3463 and the IANA registry of SMTP enhanced
   status codes) and the reason each one names. */

enum bounce_status_trust {
	/* the code alone names the reason: only a provider rule, or a
	   phrase of a reason the classifier lets override this reason,
	   decides otherwise */
	BOUNCE_STATUS_TRUST_DEFINITE,
	/* a guess for when nothing more specific is found: any matching
	   phrase knows better */
	BOUNCE_STATUS_TRUST_FALLBACK,
};

struct bounce_status_rule {
	/* "5.1.1"; "X.1.1" for both classes 4 and 5; "X.7.X" for any
	   detail of a subject */
	const char *code;
	enum bounce_reason reason;
	enum bounce_status_trust trust;
	/* the registry's description, for "doveadm bounce explain" */
	const char *description;
};

/* the table (bounce-status-table.c), sorted by bounce_status_rule_cmp() */
extern const struct bounce_status_rule bounce_status_rules[];
extern const unsigned int bounce_status_rules_count;

/* Parse "class.subject.detail". A class or detail of 'X' (in table codes)
   is returned as BOUNCE_STATUS_ANY. Returns FALSE if status isn't a
   code of that shape. */
#define BOUNCE_STATUS_ANY 0xffffU
bool bounce_status_parse(const char *status, unsigned int *class_r,
			 unsigned int *subject_r, unsigned int *detail_r);

/* The table's order: by subject, then detail (any-detail last), then
   class (either-class first). */
int bounce_status_rule_cmp(const struct bounce_status_rule *rule1,
			   const struct bounce_status_rule *rule2);

/* The most specific rule for a status code: the exact code, then the
   same subject.detail in either class, then the subject's any-detail
   rule in this class, then in either class. NULL if none. */
const struct bounce_status_rule *bounce_status_lookup(const char *status);
/* Free what bounce_status_lookup() builds on first use. */
void bounce_status_deinit(void);

#endif
