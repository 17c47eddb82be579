#ifndef TEST_BOUNCE_COMMON_H
#define TEST_BOUNCE_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

/* cmocka glue for Dovecot code: lib_init() around the group, a data
   stack frame around each test, and any i_error()/i_warning() that a
   test didn't announce with test_expect_errors() fails it. */

int test_group_setup(void **state);
int test_group_teardown(void **state);
int test_setup(void **state);
int test_teardown(void **state);
/* the next n error/warning log lines are expected */
void test_expect_errors(unsigned int n);

#define test_case(fn) cmocka_unit_test_setup_teardown(fn, test_setup, test_teardown)
#define test_run_group(tests) \
	cmocka_run_group_tests(tests, test_group_setup, test_group_teardown)

/* An RFC 3464 report with count hard bounces (user<N>@example.org,
   5.1.1 userunknown), allocated from pool. */
struct bounce_report *test_report_new(pool_t pool, unsigned int count);

/* A new directory /tmp/<name>.XXXXXX (from the data stack), and
   removing it with everything in it; both fail the test on error. */
const char *test_make_dir(const char *name);
void test_remove_dir(const char *dir);

/* read tests/<relpath> from the source tree */
const char *test_srcdir_path(const char *relpath);

struct bounce_report;
struct bounce_recipient;

/* Run the whole pipeline on a message held in a string, with the default
   settings; fails the test on a read error. */
struct bounce_report *test_analyze_str(const char *msg, pool_t pool);
/* The idx'th recipient of report; fails the test if there is none. */
const struct bounce_recipient *
test_rcpt_idx(const struct bounce_report *report, unsigned int idx);

#endif
