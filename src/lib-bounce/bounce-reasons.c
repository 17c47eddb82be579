/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-reasons.h"

#define BOUNCE_REASON_NAME(id, name, cat) name,
static const char *const bounce_reason_names[] = {
	BOUNCE_REASON_LIST(BOUNCE_REASON_NAME)
};
#define BOUNCE_REASON_CAT(id, name, cat) BOUNCE_CATEGORY_##cat,
static const enum bounce_category bounce_reason_categories[] = {
	BOUNCE_REASON_LIST(BOUNCE_REASON_CAT)
};
#define BOUNCE_CATEGORY_NAME(id, name) name,
static const char *const bounce_category_names[] = {
	BOUNCE_CATEGORY_LIST(BOUNCE_CATEGORY_NAME)
};
#define BOUNCE_ACTION_NAME(id, name) name,
static const char *const bounce_action_names[] = {
	BOUNCE_ACTION_LIST(BOUNCE_ACTION_NAME)
};

_Static_assert(N_ELEMENTS(bounce_reason_names) == BOUNCE_REASON_COUNT, "bounce_reason_names out of sync");
_Static_assert(N_ELEMENTS(bounce_reason_categories) == BOUNCE_REASON_COUNT, "bounce_reason_categories out of sync");
_Static_assert(N_ELEMENTS(bounce_category_names) == BOUNCE_CATEGORY_COUNT, "bounce_category_names out of sync");
_Static_assert(N_ELEMENTS(bounce_action_names) == BOUNCE_ACTION_COUNT, "bounce_action_names out of sync");

const char *bounce_reason_name(enum bounce_reason reason)
{
	i_assert(reason < BOUNCE_REASON_COUNT);
	return bounce_reason_names[reason];
}

const char *bounce_category_name(enum bounce_category category)
{
	i_assert(category < BOUNCE_CATEGORY_COUNT);
	return bounce_category_names[category];
}

const char *bounce_action_name(enum bounce_action action)
{
	i_assert(action < BOUNCE_ACTION_COUNT);
	return bounce_action_names[action];
}

static bool
bounce_name_lookup(const char *const *names, unsigned int count,
		   const char *name, unsigned int *idx_r)
{
	for (unsigned int i = 0; i < count; i++) {
		if (strcasecmp(names[i], name) == 0) {
			*idx_r = i;
			return TRUE;
		}
	}
	return FALSE;
}

bool bounce_reason_parse(const char *name, enum bounce_reason *reason_r)
{
	unsigned int idx;

	if (!bounce_name_lookup(bounce_reason_names, BOUNCE_REASON_COUNT,
				name, &idx))
		return FALSE;
	*reason_r = idx;
	return TRUE;
}

bool bounce_category_parse(const char *name, enum bounce_category *category_r)
{
	unsigned int idx;

	if (!bounce_name_lookup(bounce_category_names, BOUNCE_CATEGORY_COUNT,
				name, &idx))
		return FALSE;
	*category_r = idx;
	return TRUE;
}

bool bounce_action_parse(const char *name, enum bounce_action *action_r)
{
	unsigned int idx;

	/* index 0 is the empty "none" name; never match it */
	if (*name == '\0' ||
	    !bounce_name_lookup(bounce_action_names, BOUNCE_ACTION_COUNT,
				name, &idx))
		return FALSE;
	*action_r = idx;
	return TRUE;
}

enum bounce_category bounce_reason_default_category(enum bounce_reason reason)
{
	i_assert(reason < BOUNCE_REASON_COUNT);
	return bounce_reason_categories[reason];
}
