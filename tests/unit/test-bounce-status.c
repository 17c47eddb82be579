/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-status.h"
#include "test-bounce-common.h"

/* The enhanced status code table: its order and validity, and lookups
   with their class and subject fallbacks. */

static void test_parse(void **state ATTR_UNUSED)
{
	unsigned int c, s, d;

	assert_true(bounce_status_parse("5.1.1", &c, &s, &d));
	assert_int_equal(c, 5);
	assert_int_equal(s, 1);
	assert_int_equal(d, 1);
	assert_true(bounce_status_parse("4.7.650", &c, &s, &d));
	assert_int_equal(d, 650);
	assert_true(bounce_status_parse("X.7.X", &c, &s, &d));
	assert_int_equal(c, BOUNCE_STATUS_ANY);
	assert_int_equal(d, BOUNCE_STATUS_ANY);
	assert_false(bounce_status_parse("5.X.1", &c, &s, &d));
	assert_false(bounce_status_parse("3.1.1", &c, &s, &d));
	assert_false(bounce_status_parse("5.1", &c, &s, &d));
	assert_false(bounce_status_parse("5.1.1.1", &c, &s, &d));
	assert_false(bounce_status_parse("5.1.1000", &c, &s, &d));
	assert_false(bounce_status_parse("5.1.1 ", &c, &s, &d));
	assert_false(bounce_status_parse("", &c, &s, &d));
}

static void test_table_sorted_valid(void **state ATTR_UNUSED)
{
	unsigned int c, s, d;

	for (unsigned int i = 0; i < bounce_status_rules_count; i++) {
		const struct bounce_status_rule *rule = &bounce_status_rules[i];

		if (!bounce_status_parse(rule->code, &c, &s, &d))
			fail_msg("invalid code %s", rule->code);
		assert_true(rule->reason > BOUNCE_REASON_ONHOLD &&
			    rule->reason < BOUNCE_REASON_COUNT);
		assert_non_null(rule->description);
		if (i > 0 && bounce_status_rule_cmp(&bounce_status_rules[i-1],
						    rule) >= 0)
			fail_msg("%s not sorted after %s", rule->code,
				 bounce_status_rules[i-1].code);
	}
}

static void assert_lookup(const char *status, const char *code,
			  enum bounce_reason reason)
{
	const struct bounce_status_rule *rule = bounce_status_lookup(status);

	if (code == NULL) {
		if (rule != NULL)
			fail_msg("%s: expected no rule, got %s",
				 status == NULL ? "(null)" : status, rule->code);
		return;
	}
	if (rule == NULL)
		fail_msg("%s: no rule", status);
	assert_string_equal(rule->code, code);
	assert_int_equal(rule->reason, reason);
}

static void test_lookup(void **state ATTR_UNUSED)
{
	/* either-class rows */
	assert_lookup("5.1.1", "X.1.1", BOUNCE_REASON_USERUNKNOWN);
	assert_lookup("4.1.1", "X.1.1", BOUNCE_REASON_USERUNKNOWN);
	assert_lookup("5.2.2", "X.2.2", BOUNCE_REASON_MAILBOXFULL);
	assert_lookup("5.1.10", "X.1.10", BOUNCE_REASON_NOTACCEPT);
	assert_lookup("5.7.26", "X.7.26", BOUNCE_REASON_AUTHFAILURE);
	assert_lookup("5.7.25", "X.7.25", BOUNCE_REASON_REQUIREPTR);
	/* class-specific rows beat either-class ones */
	assert_lookup("4.7.1", "4.7.1", BOUNCE_REASON_BLOCKED);
	assert_lookup("5.7.1", "5.7.1", BOUNCE_REASON_SECURITYERROR);
	assert_lookup("4.7.28", "4.7.28", BOUNCE_REASON_SPEEDING);
	assert_lookup("5.7.28", "5.7.28", BOUNCE_REASON_SPAMDETECTED);
	assert_lookup("4.4.4", "4.4.4", BOUNCE_REASON_NETWORKERROR);
	assert_lookup("5.4.4", "5.4.4", BOUNCE_REASON_HOSTUNKNOWN);
	/* subject fallbacks */
	assert_lookup("5.6.3", "X.6.X", BOUNCE_REASON_CONTENTERROR);
	assert_lookup("4.6.0", "X.6.X", BOUNCE_REASON_CONTENTERROR);
	assert_lookup("5.7.500", "X.7.X", BOUNCE_REASON_SECURITYERROR);
	/* generic codes name nothing */
	assert_lookup("5.0.0", NULL, 0);
	assert_lookup("4.0.0", NULL, 0);
	assert_lookup("5.5.0", NULL, 0);
	assert_lookup("5.1.99", NULL, 0);
	/* not codes */
	assert_lookup(NULL, NULL, 0);
	assert_lookup("X.1.1", NULL, 0);
	assert_lookup("5.1.X", NULL, 0);
	assert_lookup("550", NULL, 0);
	assert_lookup("5.1.1a", NULL, 0);
	/* every row with a whole code is what its own code finds */
	for (unsigned int i = 0; i < bounce_status_rules_count; i++) {
		const struct bounce_status_rule *rule = &bounce_status_rules[i];

		if (strchr(rule->code, 'X') == NULL)
			assert_lookup(rule->code, rule->code, rule->reason);
	}
}

static void test_trust(void **state ATTR_UNUSED)
{
	assert_int_equal(bounce_status_lookup("5.1.1")->trust,
			 BOUNCE_STATUS_TRUST_DEFINITE);
	assert_int_equal(bounce_status_lookup("5.2.2")->trust,
			 BOUNCE_STATUS_TRUST_DEFINITE);
	/* the loosely used codes leave the decision to the text */
	assert_int_equal(bounce_status_lookup("5.7.1")->trust,
			 BOUNCE_STATUS_TRUST_FALLBACK);
	assert_int_equal(bounce_status_lookup("5.2.0")->trust,
			 BOUNCE_STATUS_TRUST_FALLBACK);
	assert_int_equal(bounce_status_lookup("4.4.7")->trust,
			 BOUNCE_STATUS_TRUST_FALLBACK);
}

static int test_deinit(void **state)
{
	bounce_status_deinit();
	return test_group_teardown(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_parse),
		test_case(test_table_sorted_valid),
		test_case(test_lookup),
		test_case(test_trust),
	};
	return cmocka_run_group_tests(tests, test_group_setup, test_deinit);
}
