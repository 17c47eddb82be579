/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "buffer.h"
#include "base64.h"
#include "unichar.h"
#include "charset-utf8.h"
#include "qp-decoder.h"
#include "bounce-body-decoder.h"

struct bounce_body_decoder {
	enum message_cte cte;
	struct qp_decoder *qp;
	struct base64_decoder base64;
	/* the block with its transfer encoding undone, and the valid
	   UTF-8 made of it when it isn't ASCII */
	buffer_t *decoded, *valid;
	/* the first bytes of a character cut off at the end of the last
	   block */
	unsigned char pending[CHARSET_MAX_PENDING_BUF_SIZE];
	size_t pending_size;
};

struct bounce_body_decoder *bounce_body_decoder_init(void)
{
	struct bounce_body_decoder *decoder;

	decoder = i_new(struct bounce_body_decoder, 1);
	decoder->decoded = buffer_create_dynamic(default_pool, 4096);
	decoder->valid = buffer_create_dynamic(default_pool, 4096);
	decoder->qp = qp_decoder_init(decoder->decoded);
	base64_decode_init(&decoder->base64, &base64_scheme, 0);
	return decoder;
}

void bounce_body_decoder_deinit(struct bounce_body_decoder **_decoder)
{
	struct bounce_body_decoder *decoder = *_decoder;

	*_decoder = NULL;
	qp_decoder_deinit(&decoder->qp);
	buffer_free(&decoder->decoded);
	buffer_free(&decoder->valid);
	i_free(decoder);
}

void bounce_body_decoder_reset(struct bounce_body_decoder *decoder,
			       enum message_cte cte)
{
	const char *error;

	i_assert(cte == MESSAGE_CTE_QP || cte == MESSAGE_CTE_BASE64);

	/* As the message decoder does at a part's end: what the
	   quoted-printable decoder still holds (trailing whitespace, a cut
	   "=XX") is dropped, and so is a cut character. The decoder's
	   output buffer is emptied before each block. */
	(void)qp_decoder_finish(decoder->qp, &error);
	base64_decode_reset(&decoder->base64);
	decoder->cte = cte;
	decoder->pending_size = 0;
}

static void
bounce_body_decoder_undo_cte(struct bounce_body_decoder *decoder,
			     const unsigned char *data, size_t size)
{
	const char *error;
	size_t pos;

	buffer_set_used_size(decoder->decoded, 0);
	if (decoder->cte == MESSAGE_CTE_QP) {
		/* invalid input is skipped over, as by the message
		   decoder */
		(void)qp_decoder_more(decoder->qp, data, size, &pos, &error);
		return;
	}
	if (base64_decode_is_finished(&decoder->base64))
		return;
	if (base64_decode_more(&decoder->base64, data, size, &pos,
			       decoder->decoded) <= 0) {
		/* the end of the base64 data, or invalid data: like the
		   message decoder, ignore the rest of the part */
		(void)base64_decode_finish(&decoder->base64);
	}
}

static void bounce_body_decoder_append_valid(struct bounce_body_decoder *decoder,
					     const unsigned char *data,
					     size_t size)
{
	/* appends a copy with U+FFFD for each invalid sequence, or
	   nothing if it is all valid */
	if (uni_utf8_get_valid_data(data, size, decoder->valid))
		buffer_append(decoder->valid, data, size);
}

/* Put together the character cut off at the end of the last block with
   the first bytes of this one, as the message decoder does: with as
   many bytes as its pending buffer holds, so that an invalid sequence
   ends the same way. */
static void bounce_body_decoder_finish_cut(struct bounce_body_decoder *decoder,
					   const unsigned char **data,
					   size_t *size)
{
	unsigned char joined[CHARSET_MAX_PENDING_BUF_SIZE + 1];
	size_t wanted, joined_size, complete;

	wanted = I_MIN(sizeof(joined) - decoder->pending_size, *size);
	memcpy(joined, decoder->pending, decoder->pending_size);
	memcpy(joined + decoder->pending_size, *data, wanted);
	joined_size = decoder->pending_size + wanted;
	(void)uni_utf8_partial_strlen_n(joined, joined_size, &complete);
	if (complete <= decoder->pending_size) {
		/* still cut: a character is at most 4 bytes long */
		i_assert(joined_size <= sizeof(decoder->pending));
		memcpy(decoder->pending, joined, joined_size);
		decoder->pending_size = joined_size;
		*data += *size;
		*size = 0;
		return;
	}
	bounce_body_decoder_append_valid(decoder, joined, complete);
	*data += complete - decoder->pending_size;
	*size -= complete - decoder->pending_size;
	decoder->pending_size = 0;
}

bool bounce_data_is_ascii(const unsigned char *data, size_t size)
{
	uint64_t word, high = 0;
	size_t i;

	for (i = 0; i + sizeof(word) <= size; i += sizeof(word)) {
		memcpy(&word, data + i, sizeof(word));
		high |= word;
	}
	for (; i < size; i++)
		high |= data[i];
	return (high & 0x8080808080808080ULL) == 0;
}

void bounce_body_decoder_more(struct bounce_body_decoder *decoder,
			      const unsigned char *data, size_t size,
			      const unsigned char **output_r,
			      size_t *output_size_r)
{
	const unsigned char *decoded;
	size_t decoded_size, complete;

	bounce_body_decoder_undo_cte(decoder, data, size);
	decoded = decoder->decoded->data;
	decoded_size = decoder->decoded->used;

	buffer_set_used_size(decoder->valid, 0);
	if (decoder->pending_size > 0 && decoded_size > 0) {
		bounce_body_decoder_finish_cut(decoder, &decoded,
					       &decoded_size);
	}
	if (decoder->valid->used == 0 &&
	    bounce_data_is_ascii(decoded, decoded_size)) {
		/* nearly always: nothing to check, nothing to copy */
		*output_r = decoded;
		*output_size_r = decoded_size;
		return;
	}
	(void)uni_utf8_partial_strlen_n(decoded, decoded_size, &complete);
	bounce_body_decoder_append_valid(decoder, decoded, complete);
	i_assert(decoded_size - complete <= sizeof(decoder->pending));
	memcpy(decoder->pending, decoded + complete, decoded_size - complete);
	decoder->pending_size = decoded_size - complete;
	*output_r = decoder->valid->data;
	*output_size_r = decoder->valid->used;
}
