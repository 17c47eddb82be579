/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "bounce-phrase.h"
#include "bounce-classify.h"
#include "test-bounce-common.h"

/* The phrase matcher: folding, overlapping keywords, gaps, the scan cap,
   an adversarial input, and the invariants of the built-in table. */

static const char *repeat(char c, size_t count)
{
	char *str = t_malloc0(count + 1);

	memset(str, c, count);
	return str;
}

static bool *match_all(const struct bounce_phrase_set *set,
		       unsigned int count, const char *text)
{
	bool *matched = t_new(bool, count);

	(void)bounce_phrase_set_match(set, text, matched);
	return matched;
}

static void test_fold(void **state ATTR_UNUSED)
{
	assert_string_equal(bounce_phrase_fold("  User\tUNKNOWN \r\n here ", 100),
			    "user unknown here");
	/* Latin-1 letters lose their accents, typographic quotes become
	   ASCII ones */
	assert_string_equal(bounce_phrase_fold("Bo\xc3\xaete PLEINE", 100),
			    "boite pleine");
	assert_string_equal(bounce_phrase_fold("doesn\xe2\x80\x99t exist", 100),
			    "doesn't exist");
	/* a run of other characters is one separator the phrases can't
	   contain */
	assert_string_equal(bounce_phrase_fold("a\xe3\x81\x82\xe3\x81\x84z", 100),
			    "a\x7fz");
	/* SMTP continuation prefixes inside a folded multi-line reply */
	assert_string_equal(bounce_phrase_fold(
		"550-5.2.1 The user is receiving mail at a rate that "
		"550-5.2.1 prevents additional messages", 200),
		"the user is receiving mail at a rate that prevents additional messages");
	assert_string_equal(bounce_phrase_fold("550 5.1.1 no such user", 100),
			    "no such user");
	/* a lone number is text, not a prefix */
	assert_string_equal(bounce_phrase_fold("error 550 here", 100),
			    "error 550 here");
	assert_string_equal(bounce_phrase_fold("abcdef", 3), "abc");
	assert_string_equal(bounce_phrase_fold("", 10), "");
	/* truncated UTF-8 at the end */
	assert_string_equal(bounce_phrase_fold("ab\xc3", 10), "ab\x7f");
}

static void test_overlapping(void **state ATTR_UNUSED)
{
	static const char *const phrases[] = {
		"he", "she", "his", "hers", "ushers", "s",
	};
	struct bounce_phrase_set *set =
		bounce_phrase_set_create(phrases, N_ELEMENTS(phrases));
	bool *m = match_all(set, N_ELEMENTS(phrases), "USHERS");

	assert_true(m[0]);
	assert_true(m[1]);
	assert_false(m[2]);
	assert_true(m[3]);
	assert_true(m[4]);
	assert_true(m[5]);
	m = match_all(set, N_ELEMENTS(phrases), "hi s");
	assert_false(m[0]);
	assert_false(m[2]);
	assert_true(m[5]);
	assert_int_equal(bounce_phrase_set_match(set, "xyz", m), 0);
	assert_int_equal(bounce_phrase_set_match(set, NULL, m), 0);
	bounce_phrase_set_free(&set);
	assert_null(set);
}

static void test_duplicates_and_suffixes(void **state ATTR_UNUSED)
{
	/* the same keyword twice, and keywords that are suffixes of each
	   other, all reported */
	static const char *const phrases[] = {
		"mailbox full", "mailbox full", "box full", "full",
		"mailbox fuller",
	};
	struct bounce_phrase_set *set =
		bounce_phrase_set_create(phrases, N_ELEMENTS(phrases));
	bool *m = match_all(set, N_ELEMENTS(phrases),
			    "452 4.2.2 Mailbox FULL.");

	assert_true(m[0]);
	assert_true(m[1]);
	assert_true(m[2]);
	assert_true(m[3]);
	assert_false(m[4]);
	bounce_phrase_set_free(&set);
}

static void test_gaps(void **state ATTR_UNUSED)
{
	static const char *const phrases[] = {
		"user * does not exist", "a * b * c",
	};
	struct bounce_phrase_set *set =
		bounce_phrase_set_create(phrases, N_ELEMENTS(phrases));
	const char *far;
	bool *m;

	m = match_all(set, 2, "User jane.doe@example.org does not exist");
	assert_true(m[0]);
	/* the parts must come in order */
	m = match_all(set, 2, "does not exist: user jane");
	assert_false(m[0]);
	/* and close to each other */
	far = t_strconcat("user ", repeat('x', BOUNCE_PHRASE_MAX_GAP + 1),
			  " does not exist", NULL);
	m = match_all(set, 2, far);
	assert_false(m[0]);
	m = match_all(set, 2, "a x b y c");
	assert_true(m[1]);
	m = match_all(set, 2, "a x c y b");
	assert_false(m[1]);
	bounce_phrase_set_free(&set);
}

static void test_adversarial(void **state ATTR_UNUSED)
{
	/* 1 MB of 'a' against keywords that almost match everywhere: the
	   automaton answers correctly (and in one pass; the timing is the
	   benchmark's business) */
	const size_t size = 1024 * 1024;
	const char *phrases[3];
	struct bounce_phrase_set *set;
	char *text = i_malloc(size + 2);
	bool m[3];

	phrases[0] = t_strconcat(repeat('a', 100), "b", NULL);
	phrases[1] = "aaaa";
	phrases[2] = t_strconcat(repeat('a', 200), "c", NULL);
	set = bounce_phrase_set_create(phrases, 3);

	memset(text, 'a', size);
	text[size] = 'b';
	text[size + 1] = '\0';
	assert_int_equal(bounce_phrase_set_match(set, text, m), 1);
	/* the 'b' lies beyond the scan cap */
	assert_false(m[0]);
	assert_true(m[1]);
	assert_false(m[2]);

	/* within the cap it is found */
	text[BOUNCE_PHRASE_MAX_SCAN - 10] = 'b';
	text[BOUNCE_PHRASE_MAX_SCAN - 9] = '\0';
	assert_int_equal(bounce_phrase_set_match(set, text, m), 2);
	assert_true(m[0]);
	assert_false(m[2]);
	i_free(text);
	bounce_phrase_set_free(&set);
}

static void test_phrase_valid(void **state ATTR_UNUSED)
{
	assert_true(bounce_phrase_is_valid("user unknown"));
	assert_true(bounce_phrase_is_valid("user * does not exist"));
	assert_true(bounce_phrase_is_valid("procmail:"));
	assert_false(bounce_phrase_is_valid(""));
	assert_false(bounce_phrase_is_valid("User unknown"));
	assert_false(bounce_phrase_is_valid(" user"));
	assert_false(bounce_phrase_is_valid("user "));
	assert_false(bounce_phrase_is_valid("user  unknown"));
	assert_false(bounce_phrase_is_valid("* user"));
	assert_false(bounce_phrase_is_valid("user *"));
	assert_false(bounce_phrase_is_valid("user*x"));
	assert_false(bounce_phrase_is_valid("bo\xc3\xaete"));
}

static void test_table_invariants(void **state ATTR_UNUSED)
{
	const char **phrases = t_new(const char *, bounce_phrase_rules_count);
	struct bounce_phrase_set *set;
	bool *m;

	for (unsigned int i = 0; i < bounce_phrase_rules_count; i++) {
		const struct bounce_phrase_rule *rule = &bounce_phrase_rules[i];

		phrases[i] = rule->phrase;
		if (!bounce_phrase_is_valid(rule->phrase))
			fail_msg("invalid phrase '%s'", rule->phrase);
		if (rule->reason == BOUNCE_REASON_UNDEFINED ||
		    rule->reason == BOUNCE_REASON_ONHOLD ||
		    rule->reason == BOUNCE_REASON_DELIVERED ||
		    rule->reason == BOUNCE_REASON_FEEDBACK ||
		    rule->reason >= BOUNCE_REASON_COUNT)
			fail_msg("phrase '%s' names a meta reason", rule->phrase);
		/* one phrase, one reason (and no row twice) */
		for (unsigned int j = 0; j < i; j++) {
			if (strcmp(bounce_phrase_rules[j].phrase,
				   rule->phrase) == 0)
				fail_msg("phrase '%s' listed twice", rule->phrase);
		}
	}
	/* every phrase finds itself in the built automaton */
	set = bounce_phrase_set_create(phrases, bounce_phrase_rules_count);
	m = t_new(bool, bounce_phrase_rules_count);
	for (unsigned int i = 0; i < bounce_phrase_rules_count; i++) {
		const char *text = t_str_replace(phrases[i], '*', 'x');

		(void)bounce_phrase_set_match(set, text, m);
		if (!m[i])
			fail_msg("phrase '%s' doesn't match itself", phrases[i]);
	}
	bounce_phrase_set_free(&set);
}

/* deterministic pseudo-random numbers below n */
static unsigned int test_random(unsigned int *seed, unsigned int n)
{
	*seed = *seed * 1103515245 + 12345;
	return (*seed >> 16) % n;
}

/* Every gap-free phrase is found exactly when it is a substring of the
   folded text: the automaton's states, branching or not, and its
   failure steps must agree with strstr(). */
static void assert_match_naive(const struct bounce_phrase_set *set,
			       const char *const *phrases, unsigned int count,
			       const char *text)
{
	const char *folded = bounce_phrase_fold(text, BOUNCE_PHRASE_MAX_SCAN);
	bool *m = t_new(bool, count);

	(void)bounce_phrase_set_match_folded(set, folded, m);
	for (unsigned int i = 0; i < count; i++) {
		if (strstr(phrases[i], " * ") != NULL)
			continue;
		if (m[i] != (strstr(folded, phrases[i]) != NULL)) {
			fail_msg("phrase '%s' %s in '%s'", phrases[i],
				 m[i] ? "wrongly found" : "missed", folded);
		}
	}
}

static void test_tiny_sets(void **state ATTR_UNUSED)
{
	/* the root has a single child (a row all the same: the failure
	   steps end there) or none at all */
	static const char *const one[] = { "ab" };
	struct bounce_phrase_set *set = bounce_phrase_set_create(one, 1);
	bool m[1];

	assert_int_equal(bounce_phrase_set_match(set, "aab", m), 1);
	assert_true(m[0]);
	assert_int_equal(bounce_phrase_set_match(set, "ba a-b", m), 0);
	assert_false(m[0]);
	bounce_phrase_set_free(&set);

	set = bounce_phrase_set_create(NULL, 0);
	assert_int_equal(bounce_phrase_set_match(set, "anything", m), 0);
	bounce_phrase_set_free(&set);
}

static void test_random_small(void **state ATTR_UNUSED)
{
	/* a small alphabet: the phrases share prefixes and suffixes, so
	   the trie has both long chains and branching nodes and a scan
	   takes many failure steps; 'd' is in no phrase */
	const char *alphabet = "aab ", *text_alphabet = "aabb cd";
	const char *phrases[40];
	struct bounce_phrase_set *set;
	unsigned int seed = 7;
	string_t *str;

	for (unsigned int i = 0; i < N_ELEMENTS(phrases); i++) {
		str = t_str_new(16);
		str_append_c(str, 'a' + test_random(&seed, 3));
		for (unsigned int len = test_random(&seed, 10); len > 0; len--)
			str_append_c(str, alphabet[test_random(&seed, 4)]);
		str_append_c(str, 'a' + test_random(&seed, 3));
		phrases[i] = str_c(str);
	}
	set = bounce_phrase_set_create(phrases, N_ELEMENTS(phrases));
	str = t_str_new(128);
	for (unsigned int n = 0; n < 1000; n++) {
		str_truncate(str, 0);
		for (unsigned int len = test_random(&seed, 80); len > 0; len--)
			str_append_c(str, text_alphabet[test_random(&seed, 7)]);
		assert_match_naive(set, phrases, N_ELEMENTS(phrases),
				   str_c(str));
	}
	bounce_phrase_set_free(&set);
}

static void test_random_table(void **state ATTR_UNUSED)
{
	/* the built-in table, on texts spliced from pieces of its
	   phrases: near misses everywhere */
	static const char *const joints[] = { "", " ", "x", "\x7f", "-" };
	const unsigned int count = bounce_phrase_rules_count;
	const char **phrases = t_new(const char *, count);
	struct bounce_phrase_set *set;
	string_t *str = t_str_new(256);
	unsigned int seed = 11;

	for (unsigned int i = 0; i < count; i++)
		phrases[i] = bounce_phrase_rules[i].phrase;
	set = bounce_phrase_set_create(phrases, count);
	for (unsigned int n = 0; n < 300; n++) {
		str_truncate(str, 0);
		for (unsigned int pieces = 1 + test_random(&seed, 6);
		     pieces > 0; pieces--) {
			const char *phrase = phrases[test_random(&seed, count)];
			size_t len = strlen(phrase);
			size_t start = test_random(&seed, len / 2 + 1);

			str_append_data(str, phrase + start,
				test_random(&seed, len - start) + 1);
			str_append(str, joints[test_random(&seed,
				N_ELEMENTS(joints))]);
		}
		T_BEGIN {
			assert_match_naive(set, phrases, count, str_c(str));
		} T_END;
	}
	bounce_phrase_set_free(&set);
}

/* what bounce_phrase_set_find_first() must answer: try each needle in
   order with a plain case-insensitive (ASCII) substring search */
static int naive_find_first(const char *const *needles, unsigned int count,
			    const char *text)
{
	for (unsigned int i = 0; i < count; i++) {
		size_t len = strlen(needles[i]);

		for (const char *p = text; ; p++) {
			if (strncasecmp(p, needles[i], len) == 0)
				return i;
			if (*p == '\0')
				break;
		}
	}
	return -1;
}

static void test_literal(void **state ATTR_UNUSED)
{
	static const char *const needles[] = {
		"rcpt to", "to", "Mail From", "data", "end of data",
		"\xc3\xa9t\xc3\xa9", "a-b:c", "aaab",
	};
	const unsigned int count = N_ELEMENTS(needles);
	static const char *const texts[] = {
		"", "nothing here", "after RCPT TO:<x>", "tO", "MAIL FROM",
		"after end of DATA", "end of dat", "\xc3\xa9t\xc3\xa9 est",
		"A-B:C", "aaaaaab", "aaab", "aab", "xx\xff" "data",
	};
	struct bounce_phrase_set *set =
		bounce_phrase_set_create_literal(needles, count);
	const char *alphabet = "aAbBdDtT -:\xc3";
	string_t *text = t_str_new(256);

	for (unsigned int i = 0; i < N_ELEMENTS(texts); i++) {
		assert_int_equal(bounce_phrase_set_find_first(set, texts[i]),
				 naive_find_first(needles, count, texts[i]));
	}
	/* deterministic pseudo-random texts over the needles' letters */
	for (unsigned int seed = 1, n = 0; n < 500; n++) {
		str_truncate(text, 0);
		for (unsigned int len = 0; len < n % 40; len++) {
			seed = seed * 1103515245 + 12345;
			str_append_c(text, alphabet[(seed >> 16) % strlen(alphabet)]);
		}
		assert_int_equal(bounce_phrase_set_find_first(set, str_c(text)),
				 naive_find_first(needles, count, str_c(text)));
	}
	/* long texts, scanned as two halves, with a needle written across
	   or near the middle */
	for (unsigned int seed = 7, n = 0; n < 2000; n++) {
		size_t len, pos, needle_len;
		unsigned int which;
		char *data;

		str_truncate(text, 0);
		seed = seed * 1103515245 + 12345;
		len = 96 + (seed >> 16) % 200;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245 + 12345;
			str_append_c(text, alphabet[(seed >> 16) % strlen(alphabet)]);
		}
		seed = seed * 1103515245 + 12345;
		which = (seed >> 16) % count;
		needle_len = strlen(needles[which]);
		seed = seed * 1103515245 + 12345;
		pos = len / 2 - (seed >> 16) % (needle_len + 1);
		data = str_c_modifiable(text);
		memcpy(data + pos, needles[which], needle_len);
		assert_int_equal(bounce_phrase_set_find_first(set, str_c(text)),
				 naive_find_first(needles, count, str_c(text)));
	}
	bounce_phrase_set_free(&set);

	/* an empty needle is in every text */
	static const char *const with_empty[] = { "zz", "" };
	set = bounce_phrase_set_create_literal(with_empty, 2);
	assert_int_equal(bounce_phrase_set_find_first(set, "abc"), 1);
	assert_int_equal(bounce_phrase_set_find_first(set, "azzb"), 0);
	bounce_phrase_set_free(&set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_fold),
		test_case(test_overlapping),
		test_case(test_duplicates_and_suffixes),
		test_case(test_gaps),
		test_case(test_adversarial),
		test_case(test_phrase_valid),
		test_case(test_table_invariants),
		test_case(test_tiny_sets),
		test_case(test_random_small),
		test_case(test_random_table),
		test_case(test_literal),
	};
	return test_run_group(tests);
}
