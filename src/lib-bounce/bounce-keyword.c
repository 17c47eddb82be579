/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "bounce-keyword.h"

/* Most severe first: what a list owner must act on, then what the admin
   should look at, then what needs nobody. A category not listed here
   (delivered) gets no keyword. X(CATEGORY, "keyword") */
#define BOUNCE_KEYWORD_LIST(X) \
	X(HARD,      "$BounceHard") \
	X(COMPLAINT, "$Complaint") \
	X(SOFT,      "$BounceSoft") \
	X(INTERNAL,  "$BounceInternal") \
	X(UNKNOWN,   "$BounceUnknown") \
	X(AUTOREPLY, "$AutoReply")

#define BOUNCE_KEYWORD_ROW(cat, name) { BOUNCE_CATEGORY_##cat, name },
static const struct {
	enum bounce_category category;
	const char *keyword;
} bounce_keyword_table[] = {
	BOUNCE_KEYWORD_LIST(BOUNCE_KEYWORD_ROW)
};
#undef BOUNCE_KEYWORD_ROW

#define BOUNCE_KEYWORD_NAME(cat, name) name,
const char *const bounce_keywords_all[] = {
	BOUNCE_KEYWORD_LIST(BOUNCE_KEYWORD_NAME)
	NULL
};
#undef BOUNCE_KEYWORD_NAME

static const char *bounce_category_keyword(enum bounce_category category,
					   unsigned int *rank_r)
{
	for (unsigned int i = 0; i < N_ELEMENTS(bounce_keyword_table); i++) {
		if (bounce_keyword_table[i].category == category) {
			*rank_r = i;
			return bounce_keyword_table[i].keyword;
		}
	}
	return NULL;
}

static enum bounce_category
bounce_kind_category(enum bounce_kind kind)
{
	switch (kind) {
	case BOUNCE_KIND_AUTOREPLY:
		return BOUNCE_CATEGORY_AUTOREPLY;
	case BOUNCE_KIND_FEEDBACK:
		return BOUNCE_CATEGORY_COMPLAINT;
	case BOUNCE_KIND_NONE:
	case BOUNCE_KIND_DSN:
		break;
	}
	return BOUNCE_CATEGORY_UNKNOWN;
}

const char *bounce_report_keyword(const struct bounce_report *report)
{
	const struct bounce_recipient *rcpt;
	const char *best = NULL, *keyword;
	unsigned int best_rank = UINT_MAX, rank;

	if (array_count(&report->recipients) == 0) {
		return bounce_category_keyword(
			bounce_kind_category(report->kind), &rank);
	}
	array_foreach(&report->recipients, rcpt) {
		keyword = bounce_category_keyword(rcpt->category, &rank);
		if (keyword != NULL && rank < best_rank) {
			best = keyword;
			best_rank = rank;
		}
	}
	return best;
}
