/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "unichar.h"
#include "hash.h"
#include "bounce-format.h"
#include "bounce-phrase.h"
#include "bounce-text.h"

#include <ctype.h>

/* Lines that separate a text-only bounce from the copy of the returned
   message. Everything after them is the sender's own mail, whose
   addresses and text must never be taken for the bounce's. */
static const char *const bounce_original_markers[] = {
	/* qmail-send.c */
	"below this line is a copy of the message",
	/* indimail, netqmail forks */
	"enclosed is a copy of the message",
	/* Exim deliver.c */
	"this is a copy of the message, including all the headers",
	"this is a copy of your message, including all the headers",
	"this is a copy of the message's headers",
	"this is a copy of your message's headers",
	/* Exim 3 */
	"message text follows:",
	/* Sendmail savemail.c, and many small MTAs */
	"original message follows",
	"message header follows",
	"original message headers follow",
	"undelivered message headers follow",
	/* OpenSMTPD bounce.c */
	"below is a copy of the original message",
	"unsent message below",
	"your message reads (in part):",
	/* a bounce forwarded inline: its own MIME structure follows */
	"content-type: message/rfc822",
	"content-type: text/rfc822-headers",
	NULL
};

/* What a diagnostic says about the SMTP command it failed at. The table
   is tried in order; more specific phrases come first. */
static const struct {
	const char *phrase;
	const char *command;
} bounce_smtp_command_phrases[] = {
	/* Postfix smtp(8): "(in reply to RCPT TO command)" */
	{ "in reply to end of data command", "DATA" },
	{ "in reply to data command", "DATA" },
	{ "in reply to rcpt to command", "RCPT" },
	{ "in reply to mail from command", "MAIL" },
	{ "in reply to ehlo command", "HELO" },
	{ "in reply to helo command", "HELO" },
	{ "in reply to lhlo command", "HELO" },
	{ "in reply to starttls command", "HELO" },
	{ "in reply to initial greeting", "CONN" },
	{ "refused to talk to me", "CONN" },
	/* Exim transports/smtp.c: "SMTP error from remote mail server
	   after RCPT TO:<...>:" */
	{ "after end of data", "DATA" },
	{ "after pipelined rcpt to", "RCPT" },
	{ "after rcpt to", "RCPT" },
	{ "after pipelined mail from", "MAIL" },
	{ "after mail from", "MAIL" },
	{ "after pipelined data", "DATA" },
	{ "after data", "DATA" },
	{ "after ehlo", "HELO" },
	{ "after helo", "HELO" },
	{ "after lhlo", "HELO" },
	{ "after initial connection", "CONN" },
	/* Sendmail and Courier session transcripts */
	{ ">>> rcpt to", "RCPT" },
	{ ">>> mail from", "MAIL" },
	{ ">>> data", "DATA" },
	{ ">>> ehlo", "HELO" },
	{ ">>> helo", "HELO" },
	/* qmail-remote.c */
	{ "does not like recipient", "RCPT" },
	{ "failed on data command", "DATA" },
	{ "failed after i sent the message", "DATA" },
	{ "but sender was rejected", "MAIL" },
	{ "but my name was rejected", "HELO" },
	{ "but greeting failed", "CONN" },
	{ "most progress was rcpt to", "RCPT" },
	{ "most progress was mail from", "MAIL" },
	{ "most progress was ehlo", "HELO" },
	{ "most progress was helo", "HELO" },
	/* small MTAs: "refused to accept your message (DATA)" */
	{ "(rcpt to)", "RCPT" },
	{ "(mail from)", "MAIL" },
	{ "(data)", "DATA" },
};

/* Where a diagnostic names the remote host: the host name is the token
   right after the phrase. */
static const char *const bounce_remote_mta_phrases[] = {
	/* qmail: "Remote host 192.0.2.1 said:" */
	"remote host ",
	/* qmail: "Giving up on 192.0.2.1." */
	"giving up on ",
	/* qmail: "Connected to 192.0.2.1 but sender was rejected." */
	"connected to ",
	/* Sendmail: "... while talking to mx.example.org.:" */
	"while talking to ",
	/* Postfix: "host mx.example.org[192.0.2.1] said:";
	   Exim: "host mx.example.org [192.0.2.1]:" */
	"host ",
	NULL
};

/* The whole text announces a delay, not a failure. */
static const char *const bounce_delay_phrases[] = {
	/* Postfix bounce(5) delay template */
	"this is a warning only",
	"this is a warning message only",
	/* Sendmail */
	"transient non-fatal errors",
	"warning: could not send message for past",
	/* Exim */
	"has not yet been delivered to one or more of its",
	/* OpenSMTPD bounce.c */
	"a message is delayed for more than",
	"this is only a temporary failure report",
	/* Courier */
	"delays in delivering your message",
	NULL
};

/* From: of a notice sent by mail software */
static const char *const bounce_text_daemon_senders[] = {
	"mailer-daemon", "postmaster", "mail delivery", "mail-daemon",
	"mail administrator", "mailer daemon", NULL
};
/* Subject: of a non-delivery notice */
static const char *const bounce_text_bounce_subjects[] = {
	"undeliver", "undelivered", "delivery fail", "failure notice",
	"failure delivery", "delivery status notification",
	"returned mail", "mail delivery failed", "delivery problem",
	"could not be delivered", "nondeliverable", "non-delivery",
	"non delivery", "returned to sender", "delivery error",
	"delivery failure", "error sending your mail", "mail failed",
	"mail failure", "permanent error", "delivery notification",
	NULL
};
bool bounce_mail_looks_like_bounce(const struct bounce_mail *mail)
{
	const char *from = bounce_mail_header(mail, "From");
	const char *subject = bounce_mail_header(mail, "Subject");

	if (bounce_mail_header(mail, "X-Failed-Recipients") != NULL)
		return TRUE;
	if (mail->content_type != NULL &&
	    strcmp(mail->content_type, "multipart/report") == 0 &&
	    (mail->report_type == NULL ||
	     strcmp(mail->report_type, "delivery-status") == 0))
		return TRUE;
	if (from != NULL &&
	    bounce_text_find_any(from, bounce_text_daemon_senders) >= 0)
		return TRUE;
	return subject != NULL &&
		bounce_text_find_any(subject, bounce_text_bounce_subjects) >= 0;
}

/* Every needle list bounce_text_find_any() has seen, compiled into one
   automaton each, by the list's address: the lists are static tables,
   and compiling one costs far more than a scan. Kept for the process's
   lifetime (bounce_text_deinit()). */
static HASH_TABLE(const char *const *, struct bounce_phrase_set *)
	bounce_text_needle_sets;
static const struct bounce_phrase_set *
bounce_text_needle_set(const char *const *needles);
/* needle lists lower-cased (bounce_text_needles_lower()), by address */
static HASH_TABLE(const char *const *, const char *const *)
	bounce_text_lower_needles;
/* bounce_smtp_command_phrases compiled */
static struct bounce_phrase_set *bounce_smtp_command_set = NULL;

const char *bounce_strcasestr(const char *haystack, const char *needle)
{
	size_t len = strlen(needle);
	char first[3];

	if (len == 0)
		return haystack;
	/* let strcspn() skip to the next candidate: it is vectorised,
	   a byte loop is not */
	first[0] = i_tolower(needle[0]);
	first[1] = i_toupper(needle[0]);
	first[2] = '\0';
	for (const char *p = haystack; ; p++) {
		p += strcspn(p, first);
		if (*p == '\0')
			return NULL;
		if (strncasecmp(p, needle, len) == 0)
			return p;
	}
}

const char *const *bounce_text_lines(const char *text)
{
	return t_strsplit(text, "\n");
}

const char *const *bounce_mail_text_lines(const struct bounce_mail *mail)
{
	struct bounce_mail_text_view *view = mail->text_view;

	if (view == NULL)
		return bounce_text_lines(str_c(mail->text));
	if (view->lines == NULL) {
		view->lines = (const char *const *)
			p_strsplit(mail->pool, str_c(mail->text), "\n");
	}
	return view->lines;
}

#define BOUNCE_BYTES(b) (0x0101010101010101ULL * (b))

/* ASCII lower-case 8 bytes at once: a byte gets 0x20 added if it is
   'A'..'Z'. The high bit of (b & 0x7f) + 0x80 - 'A' says b >= 'A', that
   of (b & 0x7f) + 0x7f - 'Z' says b > 'Z' (neither sum carries into the
   next byte), and bytes with the high bit set (UTF-8) are left alone. */
static inline uint64_t bounce_ascii_lcase8(uint64_t x)
{
	uint64_t low7 = x & BOUNCE_BYTES(0x7f);
	uint64_t ge_a = low7 + BOUNCE_BYTES(0x80 - 'A');
	uint64_t gt_z = low7 + BOUNCE_BYTES(0x7f - 'Z');
	uint64_t upper = ge_a & ~gt_z & ~x & BOUNCE_BYTES(0x80);

	return x | (upper >> 2);
}

const char *bounce_ascii_lcase(pool_t pool, const char *text)
{
	size_t len = strlen(text), i = 0;
	unsigned char *lower = p_malloc(pool, len + 1);
	uint64_t word;

	/* ASCII only, like the case-insensitive matching elsewhere; the
	   text is lower-cased once per message, a word at a time */
	for (; i + sizeof(word) <= len; i += sizeof(word)) {
		memcpy(&word, text + i, sizeof(word));
		word = bounce_ascii_lcase8(word);
		memcpy(lower + i, &word, sizeof(word));
	}
	for (; i < len; i++) {
		unsigned char c = text[i];

		lower[i] = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
	}
	return (const char *)lower;
}

const char *bounce_mail_text_lower(const struct bounce_mail *mail)
{
	struct bounce_mail_text_view *view = mail->text_view;

	if (view == NULL)
		return bounce_ascii_lcase(unsafe_data_stack_pool,
					  str_c(mail->text));
	if (view->lower == NULL)
		view->lower = bounce_ascii_lcase(mail->pool,
						 str_c(mail->text));
	return view->lower;
}

/* The pairs of adjacent bytes in the lower-cased text, as a bitmap of
   128 * 128 bits: a needle with a pair that isn't there can't be in the
   text either. The formats look for some 60 needles in every mail's
   text, nearly all in vain; a strstr() for each cost more than reading
   the text once for its pairs and rejecting most needles by a few bit
   tests. Bytes lose their high bit, so UTF-8 needles only share bits:
   never a needle rejected that is there. */
#define BOUNCE_TEXT_PAIR_BITS (128 * 128)
/* The second byte picks the bitmap's byte: in a run of text that keeps
   one first byte (UTF-8 lead bytes, Japanese text) consecutive pairs
   set bits in different bytes, and no update waits for the last. */
#define BOUNCE_TEXT_PAIR(prev, c) ((((c) & 0x7f) << 7) | ((prev) & 0x7f))

static inline void bounce_text_pair_set(uint8_t *pairs, unsigned int prev,
					unsigned int c)
{
	unsigned int pair = BOUNCE_TEXT_PAIR(prev, c);

	pairs[pair / 8] |= 1 << (pair % 8);
}

static const uint8_t *bounce_mail_text_pairs(const struct bounce_mail *mail)
{
	struct bounce_mail_text_view *view = mail->text_view;
	const unsigned char *text, *second;
	size_t len, half, i;
	unsigned int prev1, prev2;
	uint8_t *pairs;

	if (view->pairs != NULL)
		return view->pairs;
	text = (const unsigned char *)bounce_mail_text_lower(mail);
	len = str_len(mail->text);
	pairs = p_malloc(mail->pool, BOUNCE_TEXT_PAIR_BITS / 8);
	/* The two halves of the text at once: each step updates a byte of
	   the bitmap (a read and a write), and the updates of one half
	   seldom wait for the other's. The text's first byte pairs with 0.
	   Each byte is read once: pairs may alias the text as far as the
	   compiler knows, and a read after the store would wait for it. */
	half = len / 2;
	second = text + half;
	prev1 = 0;
	prev2 = half == 0 ? 0 : second[-1];
	for (i = 0; i < half; i++) {
		unsigned char c1 = text[i], c2 = second[i];

		bounce_text_pair_set(pairs, prev1, c1);
		bounce_text_pair_set(pairs, prev2, c2);
		prev1 = c1;
		prev2 = c2;
	}
	/* the last byte of an odd length */
	for (i = 2 * half; i < len; i++) {
		bounce_text_pair_set(pairs, prev2, text[i]);
		prev2 = text[i];
	}
	view->pairs = pairs;
	return pairs;
}

/* FALSE if needle can't be in the text: a pair of its bytes isn't */
static bool bounce_text_pairs_allow(const uint8_t *pairs, const char *needle)
{
	const unsigned char *p = (const unsigned char *)needle;
	unsigned int pair, prev;

	if (*p == '\0')
		return TRUE;
	for (prev = *p++; *p != '\0'; p++) {
		pair = BOUNCE_TEXT_PAIR(prev, *p);
		if ((pairs[pair / 8] & (1 << (pair % 8))) == 0)
			return FALSE;
		prev = *p;
	}
	return TRUE;
}

bool bounce_mail_text_contains(const struct bounce_mail *mail,
			       const char *needle)
{
	if (mail->text_view != NULL &&
	    !bounce_text_pairs_allow(bounce_mail_text_pairs(mail), needle))
		return FALSE;
	return strstr(bounce_mail_text_lower(mail), needle) != NULL;
}

bool bounce_mail_text_contains_any(const struct bounce_mail *mail,
				   const char *const *needles)
{
	/* a few needles over the whole text: strstr() per needle on the
	   shared lower-cased text beats one automaton pass */
	for (; *needles != NULL; needles++) {
		if (bounce_mail_text_contains(mail, *needles))
			return TRUE;
	}
	return FALSE;
}

/* the markers are short separator lines, not prose that happens to
   mention the original message */
#define BOUNCE_TEXT_ORIGINAL_MARKER_MAX_LINE 120

bool bounce_text_line_starts_original(const char *line)
{
	if (strnlen(line, BOUNCE_TEXT_ORIGINAL_MARKER_MAX_LINE + 1) >
	    BOUNCE_TEXT_ORIGINAL_MARKER_MAX_LINE)
		return FALSE;
	return bounce_text_find_any(line, bounce_original_markers) >= 0;
}

/* The index of the first of lines (at most max_len bytes long) that
   contains one of needles, or the number of lines. */
static unsigned int
bounce_text_first_line(const char *const *lines, const char *const *needles,
		       size_t max_len)
{
	const struct bounce_phrase_set *set = bounce_text_needle_set(needles);
	unsigned int i;

	for (i = 0; lines[i] != NULL; i++) {
		if ((max_len == SIZE_MAX ||
		     strnlen(lines[i], max_len + 1) <= max_len) &&
		    bounce_phrase_set_find_first(set, lines[i]) >= 0)
			break;
	}
	return i;
}

static bool bounce_text_needles_are_lower(const char *const *needles)
{
	for (; *needles != NULL; needles++) {
		for (const char *p = *needles; *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				return FALSE;
		}
	}
	return TRUE;
}

/* A needle list lower-cased, as the lower-cased text is searched: the
   list itself when it is (all the tables are), else a copy. Kept by
   the list's address for the process's lifetime, like the compiled
   sets: checking every byte of a list again for each mail cost as
   much as a search. */
static const char *const *bounce_text_needles_lower(const char *const *needles)
{
	const char *const *lower;
	const char **copy;

	if (!hash_table_is_created(bounce_text_lower_needles))
		hash_table_create_direct(&bounce_text_lower_needles,
					 default_pool, 0);
	lower = hash_table_lookup(bounce_text_lower_needles, needles);
	if (lower != NULL)
		return lower;
	if (bounce_text_needles_are_lower(needles))
		lower = needles;
	else {
		/* one block, freed at once */
		copy = p_strarray_dup(default_pool, needles);
		for (unsigned int i = 0; copy[i] != NULL; i++)
			str_lcase((char *)copy[i]);
		lower = copy;
	}
	hash_table_insert(bounce_text_lower_needles, needles, lower);
	return lower;
}

/* bounce_text_first_line() on the mail's text, by another road: no
   needle spans lines, so the earliest occurrence of any needle in the
   lower-cased text is in the first line that holds one. A strstr() per
   needle over the whole text (glibc's is vectorised) costs a fraction
   of a table lookup per byte of every line, once per needle list. A
   line longer than max_len is passed over; each needle's next
   occurrence is looked for again only once the search has passed it,
   so every needle's search moves forward through the text: linear. */
static unsigned int
bounce_mail_text_find_first_line(const struct bounce_mail *mail,
				 const char *const *needles, size_t max_len)
{
	const char *lower = bounce_mail_text_lower(mail);
	const char *const *lines = bounce_mail_text_lines(mail);
	const char *from = lower, *line_start = lower, *best, *nl;
	unsigned int i, count = str_array_length(needles), line = 0;
	const char *const *lc_needles = bounce_text_needles_lower(needles);
	const char **next = t_new(const char *, count + 1);
	const uint8_t *pairs = bounce_mail_text_pairs(mail);

	for (i = 0; i < count; i++) {
		next[i] = !bounce_text_pairs_allow(pairs, lc_needles[i]) ? NULL :
			strstr(lower, lc_needles[i]);
	}
	for (;;) {
		best = NULL;
		for (i = 0; i < count; i++) {
			if (next[i] != NULL && next[i] < from)
				next[i] = strstr(from, lc_needles[i]);
			if (next[i] != NULL && (best == NULL || next[i] < best))
				best = next[i];
		}
		if (best == NULL)
			return str_array_length(lines);
		while ((nl = memchr(line_start, '\n',
				    best - line_start)) != NULL) {
			line++;
			line_start = nl + 1;
		}
		if (max_len == SIZE_MAX ||
		    strnlen(lines[line], max_len + 1) <= max_len)
			return line;
		/* too long a line: go on after it */
		nl = strchr(best, '\n');
		if (nl == NULL)
			return str_array_length(lines);
		from = line_start = nl + 1;
		line++;
	}
}

unsigned int bounce_mail_text_first_line(const struct bounce_mail *mail,
					 const char *const *needles,
					 size_t max_line_len)
{
	struct bounce_mail_text_view *view = mail->text_view;
	struct bounce_mail_text_mark *mark;
	unsigned int line;

	if (view != NULL) {
		for (unsigned int i = 0; i < view->mark_count; i++) {
			mark = &view->marks[i];
			if (mark->needles == needles &&
			    mark->max_line_len == max_line_len)
				return mark->line;
		}
	}
	if (view == NULL) {
		return bounce_text_first_line(bounce_mail_text_lines(mail),
					      needles, max_line_len);
	}
	T_BEGIN {
		line = bounce_mail_text_find_first_line(mail, needles,
							max_line_len);
	} T_END;
	if (view != NULL && view->mark_count < N_ELEMENTS(view->marks)) {
		mark = &view->marks[view->mark_count++];
		mark->needles = needles;
		mark->max_line_len = max_line_len;
		mark->line = line;
	}
	return line;
}

unsigned int bounce_mail_text_original_line(const struct bounce_mail *mail)
{
	return bounce_mail_text_first_line(mail, bounce_original_markers,
		BOUNCE_TEXT_ORIGINAL_MARKER_MAX_LINE);
}

unsigned int bounce_mail_text_delay_line(const struct bounce_mail *mail)
{
	return bounce_mail_text_first_line(mail, bounce_delay_phrases,
					   SIZE_MAX);
}

static const struct bounce_phrase_set *
bounce_text_needle_set(const char *const *needles)
{
	struct bounce_phrase_set *set;
	unsigned int count = 0;

	if (!hash_table_is_created(bounce_text_needle_sets))
		hash_table_create_direct(&bounce_text_needle_sets,
					 default_pool, 0);
	set = hash_table_lookup(bounce_text_needle_sets, needles);
	if (set == NULL) {
		while (needles[count] != NULL)
			count++;
		set = bounce_phrase_set_create_literal(needles, count);
		hash_table_insert(bounce_text_needle_sets, needles, set);
	}
	return set;
}

int bounce_text_find_any(const char *text, const char *const *needles)
{
	return bounce_phrase_set_find_first(bounce_text_needle_set(needles),
					    text);
}

static void bounce_text_lower_needles_free(void)
{
	struct hash_iterate_context *iter;
	const char *const *needles, *const *lower;

	if (!hash_table_is_created(bounce_text_lower_needles))
		return;
	iter = hash_table_iterate_init(bounce_text_lower_needles);
	while (hash_table_iterate(iter, bounce_text_lower_needles,
				  &needles, &lower)) {
		if (lower != needles) {
			void *copy = (void *)lower;

			i_free(copy);
		}
	}
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&bounce_text_lower_needles);
}

void bounce_text_deinit(void)
{
	struct hash_iterate_context *iter;
	const char *const *needles;
	struct bounce_phrase_set *set;

	bounce_phrase_set_free(&bounce_smtp_command_set);
	bounce_text_lower_needles_free();
	if (!hash_table_is_created(bounce_text_needle_sets))
		return;
	iter = hash_table_iterate_init(bounce_text_needle_sets);
	while (hash_table_iterate(iter, bounce_text_needle_sets,
				  &needles, &set))
		bounce_phrase_set_free(&set);
	hash_table_iterate_deinit(&iter);
	hash_table_destroy(&bounce_text_needle_sets);
}

const char *bounce_text_fold(pool_t pool, const char *text, size_t max)
{
	/* never strlen(text): a caller may fold the first bytes of a
	   huge line many times. The result is no longer than the text
	   nor than max: a plain array of that size, not a str_append_c()
	   call per byte. */
	size_t len = 0, size = strnlen(text, max);
	char *folded = t_malloc_no0(size + 1);
	bool space = FALSE;

	for (const char *p = text; *p != '\0'; p++) {
		if (i_isspace(*p)) {
			space = len > 0;
			continue;
		}
		if (len + (space ? 1 : 0) >= max)
			break;
		if (space)
			folded[len++] = ' ';
		space = FALSE;
		folded[len++] = *p;
	}
	/* don't leave half a UTF-8 character at the cut */
	for (unsigned int i = 0; i < 3 && len > 0 &&
	     (folded[len-1] & 0x80) != 0 &&
	     !uni_utf8_data_is_valid((const unsigned char *)folded, len); i++)
		len--;
	folded[len] = '\0';
	return p_strdup(pool, folded);
}

const char *bounce_text_smtp_command(const char *text)
{
	const char *phrases[N_ELEMENTS(bounce_smtp_command_phrases)];
	int idx;

	if (bounce_smtp_command_set == NULL) {
		for (unsigned int i = 0; i < N_ELEMENTS(phrases); i++)
			phrases[i] = bounce_smtp_command_phrases[i].phrase;
		bounce_smtp_command_set =
			bounce_phrase_set_create_literal(phrases,
							 N_ELEMENTS(phrases));
	}
	/* the first phrase of the table that the text contains */
	idx = bounce_phrase_set_find_first(bounce_smtp_command_set, text);
	return idx < 0 ? NULL : bounce_smtp_command_phrases[idx].command;
}

static bool bounce_text_is_host_char(char c)
{
	return i_isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':';
}

/* A host token at p: a name with at least one dot or an IP address. */
static const char *bounce_text_host_token(const char *p)
{
	const char *start = p, *end;
	bool dot = FALSE;

	while (bounce_text_is_host_char(*p)) {
		if (*p == '.')
			dot = TRUE;
		p++;
	}
	end = p;
	/* "mx.example.org.:" and "192.0.2.1." end a sentence */
	while (end > start && (end[-1] == '.' || end[-1] == ':'))
		end--;
	if (!dot || end - start < 3)
		return NULL;
	return t_strdup_until(start, end);
}

const char *bounce_text_remote_mta(pool_t pool, const char *text)
{
	/* lower-cased once for the five phrases: strstr() is vectorised,
	   bounce_strcasestr() stops at every 'h' of the text for "host " */
	const char *lower = bounce_ascii_lcase(unsafe_data_stack_pool, text);
	const char *p, *host;

	for (unsigned int i = 0; bounce_remote_mta_phrases[i] != NULL; i++) {
		const char *phrase = bounce_remote_mta_phrases[i];
		size_t len = strlen(phrase);

		for (p = strstr(lower, phrase); p != NULL;
		     p = strstr(p + len, phrase)) {
			size_t pos = p - lower;

			/* "host" must be a word of its own */
			if (pos > 0 && i_isalnum(text[pos - 1]))
				continue;
			host = bounce_text_host_token(text + pos + len);
			if (host != NULL)
				return p_strdup(pool, host);
		}
	}
	return NULL;
}

const char *bounce_text_line_address(pool_t pool, const char *line,
				     bool bare_ok, const char **rest_r)
{
	const char *p = line, *end, *address;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '<') {
		end = strchr(p, '>');
		if (end == NULL)
			return NULL;
		address = t_strdup_until(p + 1, end);
		end++;
	} else if (bare_ok) {
		end = p;
		while (*end != '\0' && *end != ' ' && *end != '\t' &&
		       *end != ':' && *end != ',' && *end != ';')
			end++;
		address = t_strdup_until(p, end);
	} else {
		return NULL;
	}
	/* "user@example.org", not "@example.org" or "user@" */
	const char *at = strrchr(address, '@');
	if (at == NULL || at == address || at[1] == '\0' ||
	    strpbrk(address, " \t<>()") != NULL)
		return NULL;
	address = bounce_address_normalize(pool, address);
	if (address == NULL)
		return NULL;
	*rest_r = end;
	return address;
}

void bounce_recipient_set_text_diagnostic(struct bounce_report *report,
					  struct bounce_recipient *rcpt,
					  const char *raw)
{
	const char *diagnostic, *status, *reply_code, *command;

	if (rcpt->diagnostic != NULL && rcpt->status != NULL &&
	    rcpt->reply_code != NULL && rcpt->smtp_command != NULL)
		return;
	diagnostic = bounce_text_fold(pool_datastack_create(), raw,
				      BOUNCE_TEXT_MAX_DIAGNOSTIC);
	if (diagnostic[0] == '\0')
		return;
	if (rcpt->diagnostic == NULL)
		rcpt->diagnostic = p_strdup(report->pool, diagnostic);
	bounce_text_find_codes(diagnostic, &status, &reply_code);
	if (rcpt->status == NULL && status != NULL)
		rcpt->status = p_strdup(report->pool, status);
	if (rcpt->reply_code == NULL && reply_code != NULL)
		rcpt->reply_code = p_strdup(report->pool, reply_code);
	command = bounce_text_smtp_command(diagnostic);
	if (rcpt->smtp_command == NULL && command != NULL)
		rcpt->smtp_command = command;
	if (rcpt->remote_mta == NULL && !report->remote_mta_unwanted)
		rcpt->remote_mta = bounce_text_remote_mta(report->pool,
							  diagnostic);
}

bool bounce_text_line_announces_delay(const char *line)
{
	return bounce_text_find_any(line, bounce_delay_phrases) >= 0;
}

/* After the address on a recipient line: skip "(expanded from <a>)"
   style comments and expect the colon. Returns the diagnostic's start
   on this line, or NULL if this is no recipient line. */
static const char *bounce_text_after_address(const char *rest)
{
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest == '(') {
		rest = strchr(rest, ')');
		if (rest == NULL)
			return NULL;
		rest++;
		while (*rest == ' ' || *rest == '\t')
			rest++;
	}
	if (*rest != ':')
		return NULL;
	return rest + 1;
}

struct bounce_text_block_ctx {
	struct bounce_report *report;
	struct bounce_recipient *rcpt;
	string_t *raw;
};

static void bounce_text_block_flush(struct bounce_text_block_ctx *ctx)
{
	if (ctx->rcpt != NULL && str_len(ctx->raw) > 0) {
		bounce_recipient_set_text_diagnostic(ctx->report, ctx->rcpt,
						     str_c(ctx->raw));
	}
	ctx->rcpt = NULL;
	str_truncate(ctx->raw, 0);
}

static void bounce_text_block_append(struct bounce_text_block_ctx *ctx,
				     const char *line)
{
	if (str_len(ctx->raw) + strlen(line) >= BOUNCE_TEXT_MAX_RAW_DIAGNOSTIC)
		return;
	str_append(ctx->raw, line);
	str_append_c(ctx->raw, '\n');
}

/* Where the lines a block reader cares about are: the copy of the
   returned message, the first delay warning and the start marker
   (count: none). Made once per message for the mail's own text. */
struct bounce_text_block_marks {
	unsigned int original, delay, start;
};

static unsigned int
bounce_text_read_line_blocks(const char *const *lines,
			     const struct bounce_text_block_marks *marks,
			     const struct bounce_text_blocks *set,
			     struct bounce_report *report)
{
	struct bounce_text_block_ctx ctx;
	const char *address, *rest, *diag;
	unsigned int i = 0, end, first = array_count(&report->recipients);

	if (set->start_markers != NULL) {
		/* the list starts at the marker line, unless the returned
		   message comes first */
		if (marks->original <= marks->start || lines[marks->start] == NULL)
			return 0;
		i = marks->start;
	}

	i_zero(&ctx);
	ctx.report = report;
	ctx.raw = t_str_new(256);
	for (; lines[i] != NULL && i < marks->original; i++) {
		const char *line = lines[i];

		if (line[strspn(line, " \t")] == '\0') {
			/* an empty line ends the recipient's block */
			bounce_text_block_flush(&ctx);
			continue;
		}
		if (ctx.rcpt != NULL && (line[0] == ' ' || line[0] == '\t')) {
			/* Postfix folds long diagnostics onto indented
			   lines, which may start with "<addr>:" again */
			bounce_text_block_append(&ctx, line);
			continue;
		}
		address = bounce_text_line_address(report->pool, line,
						   set->bare_address, &rest);
		diag = address == NULL ? NULL :
			bounce_text_after_address(rest);
		if (diag != NULL) {
			bounce_text_block_flush(&ctx);
			if (array_count(&report->recipients) >=
			    BOUNCE_TEXT_MAX_RECIPIENTS)
				break;
			ctx.rcpt = bounce_report_add_recipient(report, address,
							      set->found_by);
			bounce_text_block_append(&ctx, diag);
		} else if (ctx.rcpt != NULL) {
			bounce_text_block_append(&ctx, line);
		}
	}
	bounce_text_block_flush(&ctx);
	/* the lines read (up to and including the one the recipient limit
	   stopped at) are the lines whose delay warning counts; Postfix's
	   banner comes before the list, and a warning may come after the
	   first recipient line */
	end = lines[i] != NULL && i < marks->original ? i + 1 : i;
	for (unsigned int n = first; n < array_count(&report->recipients); n++) {
		struct bounce_recipient *rcpt =
			array_idx_modifiable(&report->recipients, n);
		rcpt->action = marks->delay < end ? BOUNCE_ACTION_DELAYED :
			BOUNCE_ACTION_FAILED;
	}
	return array_count(&report->recipients) - first;
}

unsigned int bounce_text_read_blocks(const char *text,
				     const struct bounce_text_blocks *set,
				     struct bounce_report *report)
{
	const char *const *lines = bounce_text_lines(text);
	struct bounce_text_block_marks marks;

	marks.original = bounce_text_first_line(lines, bounce_original_markers,
		BOUNCE_TEXT_ORIGINAL_MARKER_MAX_LINE);
	marks.delay = bounce_text_first_line(lines, bounce_delay_phrases,
					     SIZE_MAX);
	marks.start = set->start_markers == NULL ? 0 :
		bounce_text_first_line(lines, set->start_markers, SIZE_MAX);
	return bounce_text_read_line_blocks(lines, &marks, set, report);
}

unsigned int bounce_mail_text_read_blocks(const struct bounce_mail *mail,
					  const struct bounce_text_blocks *set,
					  struct bounce_report *report)
{
	struct bounce_text_block_marks marks;

	marks.original = bounce_mail_text_original_line(mail);
	marks.delay = bounce_mail_text_first_line(mail, bounce_delay_phrases,
						  SIZE_MAX);
	marks.start = set->start_markers == NULL ? 0 :
		bounce_mail_text_first_line(mail, set->start_markers, SIZE_MAX);
	return bounce_text_read_line_blocks(bounce_mail_text_lines(mail),
					    &marks, set, report);
}
