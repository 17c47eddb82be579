#ifndef BOUNCE_PHRASE_H
#define BOUNCE_PHRASE_H

#include "bounce-reasons.h"

/* Phrase matching on untrusted diagnostic text, in time linear in the
   text's length however many phrases there are: one Aho-Corasick
   automaton over all phrases, built once from a static table.

   A phrase is lower-case ASCII text. " * " inside a phrase stands for a
   short gap ("user * does not exist" matches "user jane.doe@example.org
   does not exist"): the parts must occur in order, each starting at most
   BOUNCE_PHRASE_MAX_GAP bytes after the previous one ended. */

#define BOUNCE_PHRASE_MAX_GAP 96
/* read at most this much of a diagnostic; the reason is stated early */
#define BOUNCE_PHRASE_MAX_SCAN (8 * 1024)

struct bounce_phrase_set;

/* One row of a phrase table: a phrase names a reason. */
struct bounce_phrase_rule {
	enum bounce_reason reason;
	const char *phrase;
};

/* the built-in table (bounce-phrase-table.c) */
extern const struct bounce_phrase_rule bounce_phrase_rules[];
extern const unsigned int bounce_phrase_rules_count;

/* Compile phrases (they must stay valid while the set exists). */
struct bounce_phrase_set *
bounce_phrase_set_create(const char *const *phrases, unsigned int count);
void bounce_phrase_set_free(struct bounce_phrase_set **_set);

/* Compile literal needles: plain substrings (no gaps, no folding),
   matched ASCII case-insensitively on the raw text by
   bounce_phrase_set_find_first(). The needles are copied. */
struct bounce_phrase_set *
bounce_phrase_set_create_literal(const char *const *needles,
				 unsigned int count);
/* Return the lowest index of the literal needles found in text, or -1:
   the answer of trying each needle in order with a case-insensitive
   strstr(), in one pass over text. */
int bounce_phrase_set_find_first(const struct bounce_phrase_set *set,
				 const char *text);

/* Fold text (see bounce_phrase_fold()) and set matched[i] to TRUE for
   every phrase i found in it. matched has room for count booleans and is
   cleared first. Returns the number of phrases found. */
unsigned int bounce_phrase_set_match(const struct bounce_phrase_set *set,
				     const char *text, bool *matched);
/* The same on text already folded with bounce_phrase_fold(text,
   BOUNCE_PHRASE_MAX_SCAN) (or NULL), for a text matched against several
   sets: folding costs about as much as a scan. */
unsigned int
bounce_phrase_set_match_folded(const struct bounce_phrase_set *set,
			       const char *folded, bool *matched);

/* The text the matcher sees: ASCII lower-cased, Latin-1 letters without
   their accents, typographic quotes as ASCII ones, whitespace runs as
   one space, SMTP multi-line continuation prefixes ("550-5.7.1 ") left
   out, at most max_len bytes. Allocated from the data stack. */
const char *bounce_phrase_fold(const char *text, size_t max_len);

/* Is phrase well-formed: non-empty, lower-case printable ASCII, no
   leading, trailing or double spaces, gaps only between words. */
bool bounce_phrase_is_valid(const char *phrase);

#endif
