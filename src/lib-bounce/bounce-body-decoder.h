#ifndef BOUNCE_BODY_DECODER_H
#define BOUNCE_BODY_DECODER_H

#include "message-decoder.h"

/* A text body in UTF-8 (or US-ASCII, or with no charset) sent as
   quoted-printable or base64. lib-mail's message decoder undoes the
   transfer encoding and then runs the result through its charset
   translation, which for UTF-8 looks at every character, a byte at a
   time. A bounce's text is nearly all ASCII, which a test of a word at a
   time proves valid. This decoder undoes the transfer encoding with
   lib-mail's own quoted-printable and base64 decoders, as the message
   decoder does, and checks only what isn't ASCII, with the same
   functions the translation uses: an invalid sequence becomes U+FFFD
   and a character cut between two blocks is put together. */
struct bounce_body_decoder;

struct bounce_body_decoder *bounce_body_decoder_init(void);
void bounce_body_decoder_deinit(struct bounce_body_decoder **_decoder);

/* Begin a part's body in this transfer encoding, MESSAGE_CTE_QP or
   MESSAGE_CTE_BASE64. Whatever the last part left is dropped. */
void bounce_body_decoder_reset(struct bounce_body_decoder *decoder,
			       enum message_cte cte);
/* Decode the next block of the body. The output, valid UTF-8, is
   *output_r (maybe empty), which stays valid until the next call. */
void bounce_body_decoder_more(struct bounce_body_decoder *decoder,
			      const unsigned char *data, size_t size,
			      const unsigned char **output_r,
			      size_t *output_size_r);

/* TRUE if no byte has its high bit set; a word at a time */
bool bounce_data_is_ascii(const unsigned char *data, size_t size);

#endif
