#ifndef BOUNCE_SETTINGS_H
#define BOUNCE_SETTINGS_H

#include "bounce-reasons.h"

#define BOUNCE_DEFAULT_MAX_SCAN_SIZE (1024 * 1024)
#define BOUNCE_DEFAULT_CAMPAIGN_HEADERS \
	"X-Campaign-Id X-Mw-Campaign-Uid X-Mw-Subscriber-Uid " \
	"X-Listmonk-Campaign X-Listmonk-Subscriber Feedback-ID"
#define BOUNCE_DEFAULT_VERP_DELIMITERS "+"
#define BOUNCE_DEFAULT_VERP_EQUALS "="

/* What parsing and classifying need to know. Filled from plugin { }
   settings by the mail plugin and doveadm, and from defaults by tools. */
struct bounce_analyze_settings {
	/* read at most this many bytes of a message */
	uoff_t max_scan_size;
	/* NULL-terminated header names kept as campaign headers */
	const char *const *campaign_headers;
	/* VERP: the characters that separate the return path's own local
	   part from the encoded address ("+" in bounces+user=example.org@)
	   and the characters that stand for '@' in it ("=") */
	const char *verp_delimiters;
	const char *verp_equals;
	/* per-reason category overrides (bounce_category_<reason>) */
	enum bounce_category category_override[BOUNCE_REASON_COUNT];
	bool category_overridden[BOUNCE_REASON_COUNT];
};

/* Fill set with the defaults. Strings are static. */
void bounce_analyze_settings_init(struct bounce_analyze_settings *set_r);

#endif
