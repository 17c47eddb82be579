#ifndef BOUNCE_REASONS_H
#define BOUNCE_REASONS_H

/* The reason vocabulary (docs/reasons.md), listed once. Each row is
   X(ENUM_SUFFIX, "name", DEFAULT_CATEGORY). Everything else (the enum,
   the names, the default policy, doveadm output) is generated from it,
   so adding a reason is one row here plus its tests. */
#define BOUNCE_REASON_LIST(X) \
	X(UNDEFINED,       "undefined",       UNKNOWN) \
	X(ONHOLD,          "onhold",          UNKNOWN) \
	X(USERUNKNOWN,     "userunknown",     HARD) \
	X(HOSTUNKNOWN,     "hostunknown",     HARD) \
	X(HASMOVED,        "hasmoved",        HARD) \
	X(NOTACCEPT,       "notaccept",       HARD) \
	X(SUPPRESSED,      "suppressed",      HARD) \
	X(MAILBOXFULL,     "mailboxfull",     SOFT) \
	X(EXCEEDLIMIT,     "exceedlimit",     SOFT) \
	X(MESGTOOBIG,      "mesgtoobig",      SOFT) \
	X(SUSPEND,         "suspend",         SOFT) \
	X(FILTERED,        "filtered",        SOFT) \
	X(SYSTEMFULL,      "systemfull",      SOFT) \
	X(SYSTEMERROR,     "systemerror",     SOFT) \
	X(MAILERERROR,     "mailererror",     SOFT) \
	X(NETWORKERROR,    "networkerror",    SOFT) \
	X(EXPIRED,         "expired",         SOFT) \
	X(BLOCKED,         "blocked",         INTERNAL) \
	X(BADREPUTATION,   "badreputation",   INTERNAL) \
	X(AUTHFAILURE,     "authfailure",     INTERNAL) \
	X(REQUIREPTR,      "requireptr",      INTERNAL) \
	X(SPAMDETECTED,    "spamdetected",    INTERNAL) \
	X(VIRUSDETECTED,   "virusdetected",   INTERNAL) \
	X(POLICYVIOLATION, "policyviolation", INTERNAL) \
	X(REJECTED,        "rejected",        INTERNAL) \
	X(NORELAYING,      "norelaying",      INTERNAL) \
	X(SECURITYERROR,   "securityerror",   INTERNAL) \
	X(CONTENTERROR,    "contenterror",    INTERNAL) \
	X(NOTCOMPLIANTRFC, "notcompliantrfc", INTERNAL) \
	X(SYNTAXERROR,     "syntaxerror",     INTERNAL) \
	X(TOOMANYCONN,     "toomanyconn",     INTERNAL) \
	X(SPEEDING,        "speeding",        INTERNAL) \
	X(FAILEDSTARTTLS,  "failedstarttls",  INTERNAL) \
	X(FEEDBACK,        "feedback",        COMPLAINT) \
	X(VACATION,        "vacation",        AUTOREPLY) \
	X(DELIVERED,       "delivered",       DELIVERED)

#define BOUNCE_CATEGORY_LIST(X) \
	X(UNKNOWN,   "unknown") \
	X(HARD,      "hard") \
	X(SOFT,      "soft") \
	X(INTERNAL,  "internal") \
	X(COMPLAINT, "complaint") \
	X(AUTOREPLY, "autoreply") \
	X(DELIVERED, "delivered")

#define BOUNCE_ACTION_LIST(X) \
	X(NONE,      "") \
	X(FAILED,    "failed") \
	X(DELAYED,   "delayed") \
	X(DELIVERED, "delivered") \
	X(RELAYED,   "relayed") \
	X(EXPANDED,  "expanded")

#define BOUNCE_ENUM_REASON(id, name, cat) BOUNCE_REASON_##id,
enum bounce_reason {
	BOUNCE_REASON_LIST(BOUNCE_ENUM_REASON)
	BOUNCE_REASON_COUNT
};
#undef BOUNCE_ENUM_REASON

#define BOUNCE_ENUM_CATEGORY(id, name) BOUNCE_CATEGORY_##id,
enum bounce_category {
	BOUNCE_CATEGORY_LIST(BOUNCE_ENUM_CATEGORY)
	BOUNCE_CATEGORY_COUNT
};
#undef BOUNCE_ENUM_CATEGORY

#define BOUNCE_ENUM_ACTION(id, name) BOUNCE_ACTION_##id,
enum bounce_action {
	BOUNCE_ACTION_LIST(BOUNCE_ENUM_ACTION)
	BOUNCE_ACTION_COUNT
};
#undef BOUNCE_ENUM_ACTION

const char *bounce_reason_name(enum bounce_reason reason);
const char *bounce_category_name(enum bounce_category category);
const char *bounce_action_name(enum bounce_action action);

/* Parse a name (case-insensitively). Return TRUE if it is known. */
bool bounce_reason_parse(const char *name, enum bounce_reason *reason_r);
bool bounce_category_parse(const char *name, enum bounce_category *category_r);
bool bounce_action_parse(const char *name, enum bounce_action *action_r);

/* The default category of a reason, before any admin override. */
enum bounce_category bounce_reason_default_category(enum bounce_reason reason);

#endif
