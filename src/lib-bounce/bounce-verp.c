/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-verp.h"

#include <ctype.h>

static bool bounce_verp_domain_valid(const char *domain, size_t len)
{
	bool dot = FALSE;

	if (len == 0 || domain[0] == '.' || domain[len-1] == '.')
		return FALSE;
	for (size_t i = 0; i < len; i++) {
		char c = domain[i];
		if (c == '.')
			dot = TRUE;
		else if (!i_isalnum(c) && c != '-' && c != '_')
			return FALSE;
	}
	return dot;
}

const char *bounce_verp_decode(pool_t pool, const char *address,
			       const char *delimiters, const char *equals)
{
	const char *at, *local, *encoded, *sep;
	size_t local_len, enc_len, user_len;

	at = strrchr(address, '@');
	if (at == NULL)
		return NULL;
	local = address;
	local_len = at - address;

	/* the encoded address starts after the first delimiter */
	encoded = NULL;
	for (size_t i = 0; i < local_len; i++) {
		if (strchr(delimiters, local[i]) != NULL) {
			encoded = local + i + 1;
			break;
		}
	}
	if (encoded == NULL || encoded == local + 1)
		return NULL;
	enc_len = at - encoded;

	/* a domain never contains '=', so the last one is the '@' */
	sep = NULL;
	for (size_t i = enc_len; i > 0; i--) {
		if (strchr(equals, encoded[i-1]) != NULL) {
			sep = encoded + i - 1;
			break;
		}
	}
	if (sep == NULL || sep == encoded)
		return NULL;
	user_len = sep - encoded;
	if (!bounce_verp_domain_valid(sep + 1, enc_len - user_len - 1))
		return NULL;
	return p_strdup_printf(pool, "%s@%s",
			       t_str_lcase(t_strndup(encoded, user_len)),
			       t_str_lcase(t_strndup(sep + 1,
						     enc_len - user_len - 1)));
}
