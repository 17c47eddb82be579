/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "str.h"
#include "bounce-phrase.h"

#include <ctype.h>

/* Aho-Corasick: a trie of all keywords (the parts of the phrases) with a
   failure link per node (the longest proper suffix of the node's path
   that is also a path in the trie) and an output link (the nearest node
   on the failure chain where a keyword ends). Scanning follows failure
   links only after it went forward, so a scan costs O(text + matches).
   The root's transitions are a full table: most bytes of a diagnostic
   start no keyword, and this keeps that case a single lookup. */

#define NO_KEYWORD UINT_MAX
#define GAP_MARK " * "
/* what the folder writes for a character the phrases can't contain */
#define FOLD_OTHER '\x7f'

struct bounce_ac_node {
	/* children as a list: the alphabet of folded text is small */
	unsigned int first_child, next_sibling;
	unsigned int fail, output;
	/* the first keyword ending here (others chain via next_same) */
	unsigned int keyword;
	unsigned char c;
};
ARRAY_DEFINE_TYPE(bounce_ac_node, struct bounce_ac_node);

struct bounce_keyword {
	unsigned int phrase, part, len;
	unsigned int next_same;
};

/* a node where keywords end, for a phrase set's scan */
struct bounce_state_output {
	/* the first keyword ending at the node (others via next_same) */
	unsigned int keyword;
	/* the next such node on the failure chain, or NO_OUTPUT */
	unsigned int next;
};
#define NO_OUTPUT UINT_MAX

struct bounce_phrase_set {
	/* the trie; a phrase set frees it once its states are built */
	ARRAY_TYPE(bounce_ac_node) nodes;
	/* array_front_modifiable(&nodes), refreshed when nodes grows */
	struct bounce_ac_node *node_base;
	ARRAY(struct bounce_keyword) keywords;
	/* how many parts each phrase has */
	unsigned int *phrase_parts;
	/* phrases with gaps are few: each has a slot (multi_slot[phrase])
	   in a scan's progress arrays, so that a scan clears only those */
	unsigned int *multi_slot;
	unsigned int multi_count;
	unsigned int phrase_count;
	/* literal sets: the lowest index of an empty needle (found in any
	   text), or UINT_MAX */
	unsigned int first_empty;
	/* literal sets: the automaton as a full transition table over
	   byte classes (bytes no needle contains share class 0), so that
	   a scan costs one lookup per byte. A state is the offset of its
	   row: the row's first cell is the lowest needle index ending
	   there (BOUNCE_DFA_NONE: none), cell 1 + k the offset of the
	   state reached by a byte of class k. Offsets rather than state
	   numbers keep a multiplication out of the chain of loads one
	   byte's step waits for. NULL if the table would be too big: the
	   scan then follows the trie. */
	uint16_t *dfa;
	unsigned char byte_class[256];
	unsigned int root_next[256];
	/* phrase sets: the automaton as one array of cells, a state being
	   the offset of its record (see bounce_phrase_set_build_states()).
	   Nine nodes in ten have a single child, so a full row per node
	   would be mostly copies of other rows; a record is a full row only
	   where a node branches, and otherwise the one byte class that
	   goes on plus where to go for any other. A scan then reads one or
	   two cells per step instead of chasing sibling lists through the
	   node structs. */
	uint32_t *states;
	unsigned int states_count;
	/* what a state with BOUNCE_STATE_OUTPUT reports */
	struct bounce_state_output *outputs;
	unsigned int outputs_count;
};

struct bounce_phrase_scan {
	const struct bounce_phrase_set *set;
	bool *matched;
	unsigned int matched_count;
	/* multi-part phrases: parts seen in order so far, and where the
	   last of them ended */
	unsigned int *progress;
	size_t *last_end;
};

/* ASCII only, whatever the locale: needles and the text are bytes */
static inline unsigned char bounce_ascii_lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static struct bounce_ac_node *
ac_node(const struct bounce_phrase_set *set, unsigned int idx)
{
	/* every byte of a scan comes here: index the nodes directly, not
	   through array_idx_modifiable()'s out-of-line call */
	i_assert(idx < array_count(&set->nodes));
	return set->node_base + idx;
}

static unsigned int ac_child(const struct bounce_phrase_set *set,
			     unsigned int node, unsigned char c)
{
	unsigned int child = ac_node(set, node)->first_child;

	while (child != 0) {
		const struct bounce_ac_node *n = ac_node(set, child);

		if (n->c == c)
			return child;
		child = n->next_sibling;
	}
	return 0;
}

/* The automaton's transition: follow failure links until a node has a
   child for c; the root always has one (possibly itself). */
static unsigned int ac_goto(const struct bounce_phrase_set *set,
			    unsigned int node, unsigned char c)
{
	unsigned int child;

	while (node != 0) {
		child = ac_child(set, node, c);
		if (child != 0)
			return child;
		node = ac_node(set, node)->fail;
	}
	return set->root_next[c];
}

static void ac_add_keyword(struct bounce_phrase_set *set, const char *word,
			   size_t len, unsigned int phrase, unsigned int part)
{
	struct bounce_keyword *kw;
	struct bounce_ac_node *parent, *child;
	unsigned int node = 0, next;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = word[i];

		next = ac_child(set, node, c);
		if (next == 0) {
			next = array_count(&set->nodes);
			child = array_append_space(&set->nodes);
			set->node_base = array_front_modifiable(&set->nodes);
			child->c = c;
			child->keyword = NO_KEYWORD;
			parent = ac_node(set, node);
			child->next_sibling = parent->first_child;
			parent->first_child = next;
		}
		node = next;
	}
	kw = array_append_space(&set->keywords);
	kw->phrase = phrase;
	kw->part = part;
	kw->len = len;
	kw->next_same = ac_node(set, node)->keyword;
	ac_node(set, node)->keyword = array_count(&set->keywords) - 1;
}

static void ac_add_phrase(struct bounce_phrase_set *set, const char *phrase,
			  unsigned int idx)
{
	const char *p = phrase, *gap;
	unsigned int part = 0;

	while ((gap = strstr(p, GAP_MARK)) != NULL) {
		ac_add_keyword(set, p, gap - p, idx, part++);
		p = gap + strlen(GAP_MARK);
	}
	ac_add_keyword(set, p, strlen(p), idx, part++);
	set->phrase_parts[idx] = part;
	if (part > 1)
		set->multi_slot[idx] = set->multi_count++;
}

/* Breadth-first, so a node's failure link is known before its
   children need it. */
static void ac_link(struct bounce_phrase_set *set)
{
	ARRAY(unsigned int) queue;
	unsigned int head = 0, node, child, fail;
	struct bounce_ac_node *n;

	for (unsigned int c = 0; c < 256; c++)
		set->root_next[c] = ac_child(set, 0, c);

	/* on the heap, not the data stack: a queue of the big phrase set
	   (tens of KiB) made the process's data stack grow a block it
	   keeps for good */
	i_array_init(&queue, array_count(&set->nodes));
	for (child = ac_node(set, 0)->first_child; child != 0;
	     child = ac_node(set, child)->next_sibling) {
		ac_node(set, child)->fail = 0;
		array_push_back(&queue, &child);
	}
	while (head < array_count(&queue)) {
		node = *array_idx(&queue, head);
		head++;
		for (child = ac_node(set, node)->first_child; child != 0;
		     child = ac_node(set, child)->next_sibling) {
			n = ac_node(set, child);
			fail = ac_goto(set, ac_node(set, node)->fail, n->c);
			n->fail = fail;
			n->output = ac_node(set, fail)->keyword != NO_KEYWORD ?
				fail : ac_node(set, fail)->output;
			array_push_back(&queue, &child);
		}
	}
	array_free(&queue);
}

/* The trie grew by doubling: a literal set keeps its nodes for the
   process's lifetime, in a buffer of their own size. */
static void ac_compact(struct bounce_phrase_set *set)
{
	ARRAY_TYPE(bounce_ac_node) nodes;

	i_array_init(&nodes, array_count(&set->nodes));
	array_append_array(&nodes, &set->nodes);
	array_free(&set->nodes);
	set->nodes = nodes;
	set->node_base = array_front_modifiable(&set->nodes);
}

static struct bounce_phrase_set *bounce_phrase_set_alloc(unsigned int count)
{
	struct bounce_phrase_set *set;
	struct bounce_ac_node *root;

	/* plain heap memory: the classifier keeps its sets for the
	   process's lifetime, and a heap block is simply reachable */
	set = i_new(struct bounce_phrase_set, 1);
	set->phrase_count = count;
	set->phrase_parts = i_new(unsigned int, I_MAX(count, 1));
	set->multi_slot = i_new(unsigned int, I_MAX(count, 1));
	i_array_init(&set->nodes, I_MIN(4096, count * 16 + 1));
	i_array_init(&set->keywords, count + 16);
	root = array_append_space(&set->nodes);
	root->keyword = NO_KEYWORD;
	set->node_base = array_front_modifiable(&set->nodes);
	set->first_empty = UINT_MAX;
	return set;
}

/* A state's record: a head cell, then either a cell per byte class
   (the state reached by a byte of that class) for a branching node, or
   one cell for the others: the state to retry the byte in when it is
   not of the class in the head (the failure link). The single child of
   such a node has its record right after, so going on costs no load. */
#define BOUNCE_STATE_ROW 0x80000000U
/* some keyword ends here or further along the failure chain; the head
   then holds the index in outputs[] of the first node where one does */
#define BOUNCE_STATE_OUTPUT 0x40000000U
#define BOUNCE_STATE_OUTPUT_SHIFT 9
#define BOUNCE_STATE_OUTPUT_MAX \
	(BOUNCE_STATE_OUTPUT >> BOUNCE_STATE_OUTPUT_SHIFT)
/* the byte class that goes on; no class for a node without children */
#define BOUNCE_STATE_CLASS_MASK 0x1ffU
#define BOUNCE_STATE_CLASS_NONE BOUNCE_STATE_CLASS_MASK
/* nodes this shallow get a row even with one child: a scan spends most
   of its steps near the root, and a row saves a failure step there */
#define BOUNCE_STATE_ROW_DEPTH 1

struct bounce_state_layout {
	/* the nodes breadth-first */
	unsigned int *order;
	/* per node: depth, record's offset and index in outputs[]
	   (NO_OUTPUT: no keyword ends at it) */
	unsigned int *depth, *offset, *output;
	unsigned char class_byte[256];
	unsigned int classes;
};

/* A class per byte that some keyword contains (the keywords are
   lower-case), in set->byte_class, and class_byte[k] a byte of class k;
   class 0 is every other byte. With fold_upper an upper-case letter
   shares its lower-case letter's class. Returns the number of classes,
   or 0 if 256 aren't enough. */
static unsigned int ac_byte_classes(struct bounce_phrase_set *set,
				    unsigned char class_byte[256],
				    bool fold_upper)
{
	unsigned int node_count = array_count(&set->nodes);
	unsigned int classes = 1;

	for (unsigned int n = 1; n < node_count; n++) {
		unsigned char c = ac_node(set, n)->c;

		if (set->byte_class[c] != 0)
			continue;
		if (classes == 256)
			return 0;
		class_byte[classes] = c;
		set->byte_class[c] = classes;
		if (fold_upper && c >= 'a' && c <= 'z')
			set->byte_class[c - ('a' - 'A')] = classes;
		classes++;
	}
	return classes;
}

static unsigned int ac_child_count(const struct bounce_phrase_set *set,
				   unsigned int node)
{
	unsigned int count = 0;

	for (unsigned int child = ac_node(set, node)->first_child;
	     child != 0; child = ac_node(set, child)->next_sibling)
		count++;
	return count;
}

static bool bounce_state_has_row(const struct bounce_phrase_set *set,
				 const struct bounce_state_layout *layout,
				 unsigned int node)
{
	return layout->depth[node] <= BOUNCE_STATE_ROW_DEPTH ||
		ac_child_count(set, node) > 1;
}

/* the nodes breadth-first, with their depths */
static void bounce_state_order(struct bounce_phrase_set *set,
			       struct bounce_state_layout *layout)
{
	unsigned int node_count = array_count(&set->nodes);
	unsigned int tail = 1, node, child;

	layout->order[0] = 0;
	layout->depth[0] = 0;
	for (unsigned int head = 0; head < node_count; head++) {
		node = layout->order[head];
		for (child = ac_node(set, node)->first_child; child != 0;
		     child = ac_node(set, child)->next_sibling) {
			layout->depth[child] = layout->depth[node] + 1;
			layout->order[tail++] = child;
		}
	}
	i_assert(tail == node_count);
}

/* Offsets breadth-first, except that a node without a row is followed
   by its child: a chain of such nodes is one run of records, read in
   order as a scan goes along it. Returns the cells needed. */
static unsigned int bounce_state_place(struct bounce_phrase_set *set,
				       struct bounce_state_layout *layout)
{
	unsigned int node_count = array_count(&set->nodes);
	unsigned int pos = 0, node;

	for (unsigned int n = 0; n < node_count; n++)
		layout->offset[n] = UINT_MAX;
	for (unsigned int i = 0; i < node_count; i++) {
		node = layout->order[i];
		while (layout->offset[node] == UINT_MAX) {
			layout->offset[node] = pos;
			if (bounce_state_has_row(set, layout, node)) {
				pos += 1 + layout->classes;
				break;
			}
			pos += 2;
			node = ac_node(set, node)->first_child;
			if (node == 0)
				break;
		}
	}
	return pos;
}

/* an entry in outputs[] for each node where keywords end, linked along
   the output links: the scan reports from these few entries without
   going back to the nodes */
static void bounce_state_outputs(struct bounce_phrase_set *set,
				 struct bounce_state_layout *layout)
{
	unsigned int node_count = array_count(&set->nodes);
	const struct bounce_ac_node *n;

	for (unsigned int node = 0; node < node_count; node++) {
		layout->output[node] = NO_OUTPUT;
		if (ac_node(set, node)->keyword != NO_KEYWORD)
			layout->output[node] = set->outputs_count++;
	}
	i_assert(set->outputs_count < BOUNCE_STATE_OUTPUT_MAX);
	set->outputs = i_new(struct bounce_state_output,
			     I_MAX(set->outputs_count, 1));
	for (unsigned int node = 0; node < node_count; node++) {
		n = ac_node(set, node);
		if (layout->output[node] == NO_OUTPUT)
			continue;
		set->outputs[layout->output[node]].keyword = n->keyword;
		set->outputs[layout->output[node]].next = n->output == 0 ?
			NO_OUTPUT : layout->output[n->output];
	}
}

static uint32_t bounce_state_head(const struct bounce_phrase_set *set,
				  const struct bounce_state_layout *layout,
				  unsigned int node)
{
	const struct bounce_ac_node *n = ac_node(set, node);
	unsigned int output = n->keyword != NO_KEYWORD ? node : n->output;

	if (output == 0)
		return 0;
	return BOUNCE_STATE_OUTPUT |
		layout->output[output] << BOUNCE_STATE_OUTPUT_SHIFT;
}

static void bounce_state_fill(struct bounce_phrase_set *set,
			      const struct bounce_state_layout *layout)
{
	unsigned int node_count = array_count(&set->nodes);
	const struct bounce_ac_node *n;
	uint32_t *cell, head;

	for (unsigned int node = 0; node < node_count; node++) {
		n = ac_node(set, node);
		cell = set->states + layout->offset[node];
		head = bounce_state_head(set, layout, node);
		if (bounce_state_has_row(set, layout, node)) {
			cell[0] = head | BOUNCE_STATE_ROW;
			/* class 0: a byte no keyword contains leads back
			   to the root, at offset 0 */
			cell[1] = 0;
			for (unsigned int k = 1; k < layout->classes; k++) {
				cell[1 + k] = layout->offset[
					ac_goto(set, node, layout->class_byte[k])];
			}
		} else {
			cell[0] = head | (n->first_child == 0 ?
				BOUNCE_STATE_CLASS_NONE :
				set->byte_class[ac_node(set, n->first_child)->c]);
			cell[1] = layout->offset[n->fail];
		}
	}
}

static void bounce_phrase_set_build_states(struct bounce_phrase_set *set)
{
	unsigned int node_count = array_count(&set->nodes);
	struct bounce_state_layout layout;

	i_zero(&layout);
	/* on the heap: tens of KiB for the big set (see ac_link()) */
	layout.order = i_new(unsigned int, node_count);
	layout.depth = i_new(unsigned int, node_count);
	layout.offset = i_new(unsigned int, node_count);
	layout.output = i_new(unsigned int, node_count);
	/* the folded text is lower-case, as the phrases are */
	layout.classes = ac_byte_classes(set, layout.class_byte, FALSE);
	i_assert(layout.classes > 0);
	bounce_state_order(set, &layout);
	set->states_count = bounce_state_place(set, &layout);
	set->states = i_new(uint32_t, set->states_count);
	bounce_state_outputs(set, &layout);
	bounce_state_fill(set, &layout);
	i_free(layout.order);
	i_free(layout.depth);
	i_free(layout.offset);
	i_free(layout.output);
}

struct bounce_phrase_set *
bounce_phrase_set_create(const char *const *phrases, unsigned int count)
{
	struct bounce_phrase_set *set = bounce_phrase_set_alloc(count);

	for (unsigned int i = 0; i < count; i++)
		ac_add_phrase(set, phrases[i], i);
	T_BEGIN {
		ac_link(set);
	} T_END;
	bounce_phrase_set_build_states(set);
	/* the scan needs only the states, the outputs and the keywords:
	   the trie (the set's biggest part) goes */
	array_free(&set->nodes);
	set->node_base = NULL;
	return set;
}

/* the lowest phrase index among the keywords that end at node */
static unsigned int
bounce_phrase_lowest_at(const struct bounce_phrase_set *set, unsigned int node,
			unsigned int lowest)
{
	const struct bounce_keyword *kw;

	for (; node != 0; node = ac_node(set, node)->output) {
		for (unsigned int k = ac_node(set, node)->keyword;
		     k != NO_KEYWORD; k = kw->next_same) {
			kw = array_idx(&set->keywords, k);
			lowest = I_MIN(lowest, kw->phrase);
		}
	}
	return lowest;
}

/* Literal needle lists are short (a few dozen needles, a few hundred
   trie nodes, a few dozen distinct bytes), so their full transition
   table stays small; this bounds it for a list that is not, and keeps
   every row's offset within a cell of the table. */
#define BOUNCE_DFA_MAX_CELLS (64 * 1024)
/* a row's first cell when no needle ends in its state */
#define BOUNCE_DFA_NONE UINT16_MAX

static void bounce_phrase_set_build_dfa(struct bounce_phrase_set *set)
{
	unsigned int node_count = array_count(&set->nodes);
	unsigned char class_byte[256];
	unsigned int classes, row;

	/* the text isn't folded: an upper-case letter shares its
	   lower-case letter's class */
	classes = ac_byte_classes(set, class_byte, TRUE);
	if (classes == 0)
		return;
	/* a row per node: the lowest needle, then a cell per class */
	row = classes + 1;
	if (node_count * row > BOUNCE_DFA_MAX_CELLS ||
	    set->phrase_count >= BOUNCE_DFA_NONE) {
		i_zero(&set->byte_class);
		return;
	}
	set->dfa = i_new(uint16_t, node_count * row);
	for (unsigned int n = 0; n < node_count; n++) {
		unsigned int lowest = bounce_phrase_lowest_at(set, n, UINT_MAX);

		set->dfa[n * row] = lowest == UINT_MAX ? BOUNCE_DFA_NONE :
			lowest;
		/* class 0: a byte no needle contains leads back to the
		   root, at offset 0, from anywhere (the table is zeroed) */
		for (unsigned int k = 1; k < classes; k++) {
			set->dfa[n * row + 1 + k] =
				ac_goto(set, n, class_byte[k]) * row;
		}
	}
}

struct bounce_phrase_set *
bounce_phrase_set_create_literal(const char *const *needles,
				 unsigned int count)
{
	struct bounce_phrase_set *set = bounce_phrase_set_alloc(count);

	T_BEGIN {
		for (unsigned int i = 0; i < count; i++) {
			size_t len = strlen(needles[i]);
			/* the text is lower-cased as it is scanned, so the
			   needles enter the trie lower-cased */
			char *lower = t_malloc_no0(len + 1);

			for (size_t j = 0; j < len; j++)
				lower[j] = bounce_ascii_lower(needles[i][j]);
			lower[len] = '\0';
			set->phrase_parts[i] = 1;
			if (len > 0)
				ac_add_keyword(set, lower, len, i, 0);
			else if (set->first_empty == UINT_MAX)
				set->first_empty = i;
		}
		ac_link(set);
	} T_END;
	ac_compact(set);
	bounce_phrase_set_build_dfa(set);
	return set;
}

void bounce_phrase_set_free(struct bounce_phrase_set **_set)
{
	struct bounce_phrase_set *set = *_set;

	if (set == NULL)
		return;
	*_set = NULL;
	if (array_is_created(&set->nodes))
		array_free(&set->nodes);
	array_free(&set->keywords);
	i_free(set->phrase_parts);
	i_free(set->multi_slot);
	i_free(set->dfa);
	i_free(set->states);
	i_free(set->outputs);
	i_free(set);
}

static void bounce_phrase_found(struct bounce_phrase_scan *scan,
				unsigned int phrase)
{
	if (!scan->matched[phrase]) {
		scan->matched[phrase] = TRUE;
		scan->matched_count++;
	}
}

/* keyword kw ends at offset end of the folded text */
static void bounce_phrase_keyword_hit(struct bounce_phrase_scan *scan,
				      const struct bounce_keyword *kw,
				      size_t end)
{
	unsigned int parts = scan->set->phrase_parts[kw->phrase];
	unsigned int *progress;
	size_t *last_end, start = end - kw->len;

	if (parts == 1) {
		bounce_phrase_found(scan, kw->phrase);
		return;
	}
	progress = &scan->progress[scan->set->multi_slot[kw->phrase]];
	last_end = &scan->last_end[scan->set->multi_slot[kw->phrase]];
	if (kw->part == 0) {
		/* the latest first part leaves the shortest gap */
		if (*progress <= 1) {
			*progress = 1;
			*last_end = end;
		}
		return;
	}
	if (*progress != kw->part || start < *last_end ||
	    start - *last_end > BOUNCE_PHRASE_MAX_GAP)
		return;
	*progress = kw->part + 1;
	*last_end = end;
	if (*progress == parts)
		bounce_phrase_found(scan, kw->phrase);
}

/* the keywords of outputs[output] and of the rest of its chain end at
   offset end */
static void bounce_phrase_report(struct bounce_phrase_scan *scan,
				 unsigned int output, size_t end)
{
	const struct bounce_phrase_set *set = scan->set;
	const struct bounce_keyword *kw;
	unsigned int k;

	for (; output != NO_OUTPUT; output = set->outputs[output].next) {
		for (k = set->outputs[output].keyword; k != NO_KEYWORD;
		     k = kw->next_same) {
			kw = array_idx(&set->keywords, k);
			bounce_phrase_keyword_hit(scan, kw, end);
		}
	}
}

unsigned int bounce_phrase_set_match(const struct bounce_phrase_set *set,
				     const char *text, bool *matched)
{
	return bounce_phrase_set_match_folded(set, text == NULL ? NULL :
		bounce_phrase_fold(text, BOUNCE_PHRASE_MAX_SCAN), matched);
}

/* A step per byte of the text, plus a failure step for each byte that a
   node without a row doesn't go on with. A failure step makes the state
   shallower and a byte makes it at most one deeper, so there are never
   more failure steps than bytes. */
static void bounce_phrase_scan_text(struct bounce_phrase_scan *scan,
				    const char *folded)
{
	const struct bounce_phrase_set *set = scan->set;
	const uint32_t *states = set->states;
	const unsigned char *text = (const unsigned char *)folded, *p;
	uint32_t state = 0, head = states[0];
	unsigned int k;

	for (p = text; *p != '\0'; ) {
		k = set->byte_class[*p];
		if ((head & BOUNCE_STATE_ROW) != 0)
			state = states[state + 1 + k];
		else if ((head & BOUNCE_STATE_CLASS_MASK) == k)
			state += 2;
		else {
			/* retry the byte in the failure state */
			state = states[state + 1];
			head = states[state];
			continue;
		}
		p++;
		head = states[state];
		if ((head & BOUNCE_STATE_OUTPUT) != 0) {
			bounce_phrase_report(scan,
				(head & ~(BOUNCE_STATE_ROW | BOUNCE_STATE_OUTPUT)) >>
				BOUNCE_STATE_OUTPUT_SHIFT, p - text);
		}
	}
}

unsigned int
bounce_phrase_set_match_folded(const struct bounce_phrase_set *set,
			       const char *folded, bool *matched)
{
	struct bounce_phrase_scan scan;

	/* a set of phrases (bounce_phrase_set_create()), not of needles */
	i_assert(set->states != NULL);
	memset(matched, 0, sizeof(*matched) * set->phrase_count);
	if (folded == NULL)
		return 0;

	i_zero(&scan);
	scan.set = set;
	scan.matched = matched;
	scan.progress = t_new(unsigned int, I_MAX(set->multi_count, 1));
	scan.last_end = t_new(size_t, I_MAX(set->multi_count, 1));
	bounce_phrase_scan_text(&scan, folded);
	return scan.matched_count;
}

static int
bounce_phrase_set_find_first_dfa(const struct bounce_phrase_set *set,
				 const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	const uint16_t *dfa = set->dfa;
	unsigned int state = 0, lowest = I_MIN(set->first_empty,
					       BOUNCE_DFA_NONE);

	for (; *p != '\0'; p++) {
		state = dfa[state + 1 + set->byte_class[*p]];
		if (dfa[state] < lowest) {
			lowest = dfa[state];
			if (lowest == 0)
				break;
		}
	}
	return lowest == BOUNCE_DFA_NONE ? -1 : (int)lowest;
}

int bounce_phrase_set_find_first(const struct bounce_phrase_set *set,
				 const char *text)
{
	const unsigned char *p = (const unsigned char *)text;
	const struct bounce_ac_node *n;
	unsigned int state = 0, lowest = set->first_empty;

	if (set->dfa != NULL)
		return bounce_phrase_set_find_first_dfa(set, text);
	for (; *p != '\0' && lowest != 0; p++) {
		/* most bytes start no needle: stay at the root cheaply */
		if (state == 0) {
			state = set->root_next[bounce_ascii_lower(*p)];
			if (state == 0)
				continue;
		} else {
			state = ac_goto(set, state, bounce_ascii_lower(*p));
		}
		n = ac_node(set, state);
		if (n->keyword != NO_KEYWORD || n->output != 0)
			lowest = bounce_phrase_lowest_at(set, state, lowest);
	}
	return lowest == UINT_MAX ? -1 : (int)lowest;
}

/* --- folding --- */

/* U+00C0..U+00FF without accents; 0 for the two signs in the block */
static const char bounce_latin1_base[64] =
	"aaaaaaaceeeeiiiidnooooo\0ouuuuyts"
	"aaaaaaaceeeeiiiidnooooo\0ouuuuyty";

/* "550-" or "550 " followed by an enhanced status code and a space, or
   "550-" alone: the prefix of an SMTP reply line. Returns its length. */
static size_t bounce_reply_prefix_len(const unsigned char *p)
{
	size_t i = 4, n;

	if ((p[0] != '4' && p[0] != '5') || !i_isdigit(p[1]) ||
	    !i_isdigit(p[2]) || (p[3] != '-' && p[3] != ' '))
		return 0;
	if (p[4] == p[0] && p[5] == '.') {
		i = 6;
		for (n = 0; i_isdigit(p[i]) && n < 3; i++, n++) ;
		if (n > 0 && p[i] == '.') {
			i++;
			for (n = 0; i_isdigit(p[i]) && n < 3; i++, n++) ;
			if (n > 0 && (p[i] == ' ' || p[i] == '\0'))
				return p[i] == ' ' ? i + 1 : i;
		}
	}
	return p[3] == '-' ? 4 : 0;
}

/* Decode one non-ASCII UTF-8 character at p into its folded form.
   Returns the bytes consumed (at least 1). */
static size_t bounce_fold_utf8(const unsigned char *p, char *folded_r)
{
	*folded_r = FOLD_OTHER;
	if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0xbf) {
		char base = bounce_latin1_base[p[1] - 0x80];

		if (base != '\0')
			*folded_r = base;
		return 2;
	}
	if (p[0] == 0xc2 && p[1] == 0xa0) {
		*folded_r = ' ';
		return 2;
	}
	if (p[0] == 0xe2 && p[1] == 0x80 && p[2] != '\0') {
		if (p[2] == 0x98 || p[2] == 0x99)
			*folded_r = '\'';
		else if (p[2] == 0x9c || p[2] == 0x9d)
			*folded_r = '"';
		return 3;
	}
	/* skip the continuation bytes of any other character */
	size_t len = 1;
	while (len < 4 && (p[len] & 0xc0) == 0x80)
		len++;
	return len;
}

const char *bounce_phrase_fold(const char *text, size_t max_len)
{
	const unsigned char *p = (const unsigned char *)text;
	/* folding never makes text longer, and the last character may
	   come with a space in front of it past max_len: written into a
	   plain array, as the text of every diagnostic goes through here
	   byte by byte */
	size_t size = I_MIN(strlen(text), max_len + 1);
	char *out = t_malloc_no0(size + 1);
	size_t len = 0;
	bool space = FALSE, word_start = TRUE;
	char c;

	while (*p != '\0' && len < max_len) {
		if (word_start) {
			size_t skip = bounce_reply_prefix_len(p);

			p += skip;
			if (skip > 0) {
				space = len > 0;
				continue;
			}
		}
		if (*p < 0x80) {
			/* tolower() in the C locale, without a libc call
			   per byte */
			c = bounce_ascii_lower(*p);
			p++;
		} else {
			p += bounce_fold_utf8(p, &c);
			if (c == FOLD_OTHER && len > 0 &&
			    out[len-1] == FOLD_OTHER && !space)
				continue;
		}
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = len > 0;
			word_start = TRUE;
			continue;
		}
		i_assert(len + (space ? 2 : 1) <= size);
		if (space)
			out[len++] = ' ';
		space = FALSE;
		word_start = FALSE;
		out[len++] = c;
	}
	out[len] = '\0';
	return out;
}

bool bounce_phrase_is_valid(const char *phrase)
{
	size_t len = strlen(phrase);

	if (len == 0 || phrase[0] == ' ' || phrase[len-1] == ' ')
		return FALSE;
	if (strncmp(phrase, "* ", 2) == 0 || strstr(phrase, "  ") != NULL)
		return FALSE;
	if (len >= 2 && strcmp(phrase + len - 2, " *") == 0)
		return FALSE;
	for (const char *p = phrase; *p != '\0'; p++) {
		if (*p < 0x20 || *p >= 0x7f || i_isupper(*p))
			return FALSE;
		/* '*' only as a gap of its own */
		if (*p == '*' && (p == phrase || p[-1] != ' ' || p[1] != ' '))
			return FALSE;
	}
	return TRUE;
}
