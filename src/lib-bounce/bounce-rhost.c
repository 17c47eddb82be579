/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "hash.h"
#include "bounce-text.h"
#include "bounce-rhost.h"

#include <ctype.h>

/* "dns; mx.example.org", "mx.example.org. (192.0.2.1, the server for
   the domain example.org.)", "[192.0.2.1]": the first host name */
static const char *bounce_rhost_host_name(const char *name)
{
	const char *p = strchr(name, ';'), *end;

	if (p != NULL)
		name = p + 1;
	while (*name == ' ' || *name == '\t' || *name == '[')
		name++;
	/* up to whitespace (isspace() in the C locale) or punctuation */
	end = name + strcspn(name, " \t\n\v\f\r]();,");
	while (end > name && end[-1] == '.')
		end--;
	return bounce_ascii_lcase(unsafe_data_stack_pool,
				  t_strdup_until(name, end));
}

/* A table suffix -> its index in bounce_rhost_hosts + 1. A host is
   looked up by itself and by each suffix after one of its dots, a few
   lookups instead of a comparison with every entry: this is asked for
   every recipient, with its remote MTA and its domain. */
static HASH_TABLE(const char *, void *) bounce_rhost_suffixes;

static void bounce_rhost_suffixes_init(void)
{
	hash_table_create(&bounce_rhost_suffixes, default_pool,
			  bounce_rhost_hosts_count, str_hash, strcmp);
	for (unsigned int i = 0; i < bounce_rhost_hosts_count; i++) {
		/* the first of equal suffixes counts */
		if (hash_table_lookup(bounce_rhost_suffixes,
				      bounce_rhost_hosts[i].suffix) == NULL) {
			hash_table_insert(bounce_rhost_suffixes,
					  bounce_rhost_hosts[i].suffix,
					  POINTER_CAST(i + 1));
		}
	}
}

void bounce_rhost_deinit(void)
{
	if (hash_table_is_created(bounce_rhost_suffixes))
		hash_table_destroy(&bounce_rhost_suffixes);
}

const char *bounce_rhost_provider(const char *name)
{
	const char *host;
	unsigned int index, first = UINT_MAX;

	if (name == NULL || *name == '\0')
		return NULL;
	if (!hash_table_is_created(bounce_rhost_suffixes))
		bounce_rhost_suffixes_init();
	host = bounce_rhost_host_name(name);
	/* several suffixes may match (a.b.example and b.example): the
	   table's first one wins */
	for (const char *p = host; p != NULL; ) {
		index = POINTER_CAST_TO(hash_table_lookup(bounce_rhost_suffixes,
							  p), unsigned int);
		if (index != 0 && index - 1 < first)
			first = index - 1;
		if ((p = strchr(p, '.')) != NULL)
			p++;
	}
	return first == UINT_MAX ? NULL : bounce_rhost_hosts[first].provider;
}

bool bounce_rhost_status_match(const char *pattern, const char *status)
{
	if (status == NULL)
		return FALSE;
	for (; *pattern != '\0'; pattern++, status++) {
		if (*pattern == '?' ? !i_isdigit(*status) : *pattern != *status)
			return FALSE;
	}
	return *status == '\0';
}
