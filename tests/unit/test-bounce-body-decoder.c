/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "str.h"
#include "istream.h"
#include "base64.h"
#include "qp-encoder.h"
#include "message-header-parser.h"
#include "message-parser.h"
#include "message-decoder.h"
#include "bounce-body-decoder.h"
#include "test-bounce-common.h"

/* The body decoder must give what lib-mail's message decoder gives for
   the same UTF-8 body in quoted-printable or base64, however the body
   is cut into blocks: valid characters as they are, U+FFFD for invalid
   sequences, characters cut between blocks put together. */

static unsigned int test_next_random(unsigned int *state)
{
	*state = *state * 1103515245U + 12345U;
	return (*state >> 16) & 0x7fff;
}

/* text that is mostly ASCII, with characters of 2, 3 and 4 bytes and
   sequences that are not UTF-8 */
static void test_random_text(unsigned int *seed, string_t *dest)
{
	static const char *const pieces[] = {
		"a", "Z", " ", "5.1.1", "\r\n", "\n", "=", "\t", "  \r\n",
		"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xff", "\xc3",
		"\x80", "\xe2\x82", "\xed\xa0\x80",
	};
	unsigned int len = test_next_random(seed) % 300;

	for (; len > 0; len--) {
		str_append(dest, pieces[test_next_random(seed) %
					N_ELEMENTS(pieces)]);
	}
}

static void test_encode(unsigned int *seed, enum message_cte cte,
			const string_t *text, string_t *dest)
{
	struct qp_encoder *qp;

	if (cte == MESSAGE_CTE_BASE64) {
		base64_encode(str_data(text), str_len(text), dest);
		return;
	}
	qp = qp_encoder_init(dest, 76, 0);
	qp_encoder_more(qp, str_data(text), str_len(text));
	qp_encoder_finish(qp);
	qp_encoder_deinit(&qp);
	if (test_next_random(seed) % 4 == 0) {
		/* what senders get wrong: a cut or invalid escape, trailing
		   whitespace, a soft break at the end */
		static const char *const broken[] = {
			"=4", "=zz\r\n", "ab  \t", "=\r\n", "=C3", "=E2=82",
		};
		str_append(dest, broken[test_next_random(seed) %
					N_ELEMENTS(broken)]);
	}
}

/* lib-mail's message decoder, given the headers of a UTF-8 text part in
   this transfer encoding as lib-mail's header parser reads them */
static struct message_decoder_context *
test_reference_decoder(struct message_part *part, enum message_cte cte)
{
	const char *headers = t_strdup_printf(
		"Content-Type: text/plain; charset=utf-8\n"
		"Content-Transfer-Encoding: %s\n\n",
		cte == MESSAGE_CTE_QP ? "quoted-printable" : "base64");
	struct message_decoder_context *decoder;
	struct message_header_parser_ctx *parser;
	struct message_header_line *hdr;
	struct message_block block, output;
	struct istream *input;

	decoder = message_decoder_init(NULL, 0);
	input = i_stream_create_from_data(headers, strlen(headers));
	parser = message_parse_header_init(input, NULL, 0);
	i_zero(&block);
	block.part = part;
	while (message_parse_header_next(parser, &hdr) > 0) {
		/* the end of the headers is a block of its own */
		block.hdr = hdr->eoh ? NULL : hdr;
		assert_true(message_decoder_decode_next_block(decoder, &block,
							      &output));
	}
	message_parse_header_deinit(&parser);
	i_stream_unref(&input);
	return decoder;
}

/* decode the body with both decoders, cut into the same blocks */
static void test_compare(unsigned int *seed, enum message_cte cte,
			 const string_t *body,
			 struct bounce_body_decoder *ours)
{
	struct message_part part;
	struct message_decoder_context *decoder;
	struct message_block block, output;
	string_t *expected = t_str_new(1024), *got = t_str_new(1024);
	const unsigned char *data;
	size_t pos = 0, size;

	i_zero(&part);
	part.flags = MESSAGE_PART_FLAG_TEXT;
	decoder = test_reference_decoder(&part, cte);
	bounce_body_decoder_reset(ours, cte);
	i_zero(&block);
	block.part = &part;

	while (pos < str_len(body)) {
		size = I_MIN(1 + test_next_random(seed) % 40,
			     str_len(body) - pos);
		block.data = str_data(body) + pos;
		block.size = size;
		if (message_decoder_decode_next_block(decoder, &block,
						      &output))
			str_append_data(expected, output.data, output.size);
		bounce_body_decoder_more(ours, block.data, block.size,
					 &data, &size);
		str_append_data(got, data, size);
		pos += block.size;
	}
	message_decoder_deinit(&decoder);
	assert_string_equal(str_c(got), str_c(expected));
}

static void test_same_as_message_decoder(void **state ATTR_UNUSED)
{
	struct bounce_body_decoder *ours = bounce_body_decoder_init();
	unsigned int seed = 7;

	for (unsigned int i = 0; i < 3000; i++) T_BEGIN {
		enum message_cte cte = i % 2 == 0 ? MESSAGE_CTE_QP :
			MESSAGE_CTE_BASE64;
		string_t *text = t_str_new(1024), *body = t_str_new(2048);

		test_random_text(&seed, text);
		test_encode(&seed, cte, text, body);
		test_compare(&seed, cte, body, ours);
	} T_END;
	bounce_body_decoder_deinit(&ours);
}

static void test_cut_character(void **state ATTR_UNUSED)
{
	struct bounce_body_decoder *ours = bounce_body_decoder_init();
	const unsigned char *data;
	string_t *got = t_str_new(64);
	size_t size;

	/* "€" (E2 82 AC) cut after each of its bytes */
	bounce_body_decoder_reset(ours, MESSAGE_CTE_QP);
	bounce_body_decoder_more(ours, (const unsigned char *)"a=E2", 4,
				 &data, &size);
	str_append_data(got, data, size);
	bounce_body_decoder_more(ours, (const unsigned char *)"=82", 3,
				 &data, &size);
	str_append_data(got, data, size);
	bounce_body_decoder_more(ours, (const unsigned char *)"=ACb", 4,
				 &data, &size);
	str_append_data(got, data, size);
	assert_string_equal(str_c(got), "a\xe2\x82\xac" "b");

	/* a part that ends in a cut character leaves nothing behind for
	   the next one */
	bounce_body_decoder_reset(ours, MESSAGE_CTE_QP);
	bounce_body_decoder_more(ours, (const unsigned char *)"x=E2=82", 7,
				 &data, &size);
	assert_int_equal(size, 1);
	bounce_body_decoder_reset(ours, MESSAGE_CTE_BASE64);
	bounce_body_decoder_more(ours, (const unsigned char *)"eQ==", 4,
				 &data, &size);
	assert_int_equal(size, 1);
	assert_memory_equal(data, "y", 1);
	bounce_body_decoder_deinit(&ours);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		test_case(test_same_as_message_decoder),
		test_case(test_cut_character),
	};
	return test_run_group(tests);
}
