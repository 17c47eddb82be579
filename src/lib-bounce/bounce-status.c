/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-status.h"

#include <ctype.h>

static bool bounce_status_number(const char **p, unsigned int *num_r)
{
	unsigned int num = 0, digits = 0;

	if (**p == 'X') {
		*num_r = BOUNCE_STATUS_ANY;
		(*p)++;
		return TRUE;
	}
	for (; i_isdigit(**p) && digits < 3; (*p)++, digits++)
		num = num * 10 + (**p - '0');
	*num_r = num;
	return digits > 0 && !i_isdigit(**p);
}

bool bounce_status_parse(const char *status, unsigned int *class_r,
			 unsigned int *subject_r, unsigned int *detail_r)
{
	const char *p = status;

	if (!bounce_status_number(&p, class_r) || *p++ != '.' ||
	    !bounce_status_number(&p, subject_r) || *p++ != '.' ||
	    !bounce_status_number(&p, detail_r) || *p != '\0')
		return FALSE;
	/* only the class and the detail may be "any" */
	return *subject_r != BOUNCE_STATUS_ANY &&
		(*class_r == BOUNCE_STATUS_ANY ||
		 (*class_r >= 2 && *class_r <= 5 && *class_r != 3));
}

static int bounce_status_key_cmp(unsigned int class1, unsigned int subject1,
				 unsigned int detail1, unsigned int class2,
				 unsigned int subject2, unsigned int detail2)
{
	/* either-class sorts first: map ANY to 0 */
	if (class1 == BOUNCE_STATUS_ANY)
		class1 = 0;
	if (class2 == BOUNCE_STATUS_ANY)
		class2 = 0;
	if (subject1 != subject2)
		return subject1 < subject2 ? -1 : 1;
	if (detail1 != detail2)
		return detail1 < detail2 ? -1 : 1;
	if (class1 != class2)
		return class1 < class2 ? -1 : 1;
	return 0;
}

int bounce_status_rule_cmp(const struct bounce_status_rule *rule1,
			   const struct bounce_status_rule *rule2)
{
	unsigned int c1, s1, d1, c2, s2, d2;

	if (!bounce_status_parse(rule1->code, &c1, &s1, &d1))
		i_panic("bounce status table: invalid code %s", rule1->code);
	if (!bounce_status_parse(rule2->code, &c2, &s2, &d2))
		i_panic("bounce status table: invalid code %s", rule2->code);
	return bounce_status_key_cmp(c1, s1, d1, c2, s2, d2);
}

/* A code as one number that sorts as bounce_status_key_cmp() does:
   subject, then detail, then class (either-class first). BOUNCE_STATUS_ANY
   is above every 3-digit number in either place. */
static unsigned int bounce_status_key(unsigned int class, unsigned int subject,
				      unsigned int detail)
{
	if (class == BOUNCE_STATUS_ANY)
		class = 0;
	return (subject << 20) | (detail << 4) | class;
}

/* the table's codes as keys, made on first use: the binary search
   parsed a code at each step, four searches per recipient */
static unsigned int *bounce_status_keys = NULL;

static void bounce_status_keys_init(void)
{
	unsigned int c, s, d;

	bounce_status_keys = i_new(unsigned int, bounce_status_rules_count);
	for (unsigned int i = 0; i < bounce_status_rules_count; i++) {
		if (!bounce_status_parse(bounce_status_rules[i].code,
					 &c, &s, &d))
			i_unreached();
		bounce_status_keys[i] = bounce_status_key(c, s, d);
	}
}

void bounce_status_deinit(void)
{
	i_free(bounce_status_keys);
}

static const struct bounce_status_rule *
bounce_status_find(unsigned int class, unsigned int subject,
		   unsigned int detail)
{
	unsigned int lo = 0, hi = bounce_status_rules_count, mid;
	unsigned int key = bounce_status_key(class, subject, detail);

	if (bounce_status_keys == NULL)
		bounce_status_keys_init();
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (bounce_status_keys[mid] == key)
			return &bounce_status_rules[mid];
		if (key < bounce_status_keys[mid])
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

const struct bounce_status_rule *bounce_status_lookup(const char *status)
{
	const struct bounce_status_rule *rule;
	unsigned int class, subject, detail;

	if (status == NULL ||
	    !bounce_status_parse(status, &class, &subject, &detail) ||
	    class == BOUNCE_STATUS_ANY || detail == BOUNCE_STATUS_ANY)
		return NULL;
	if ((rule = bounce_status_find(class, subject, detail)) != NULL ||
	    (rule = bounce_status_find(BOUNCE_STATUS_ANY, subject,
				       detail)) != NULL ||
	    (rule = bounce_status_find(class, subject,
				       BOUNCE_STATUS_ANY)) != NULL)
		return rule;
	return bounce_status_find(BOUNCE_STATUS_ANY, subject,
				  BOUNCE_STATUS_ANY);
}
