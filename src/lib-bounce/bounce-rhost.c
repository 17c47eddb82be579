/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
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
	for (end = name; *end != '\0' && !i_isspace(*end) &&
	     strchr("]();,", *end) == NULL; end++) ;
	while (end > name && end[-1] == '.')
		end--;
	return bounce_ascii_lcase(unsafe_data_stack_pool,
				  t_strdup_until(name, end));
}

static bool bounce_rhost_suffix_match(const char *host, const char *suffix)
{
	size_t host_len = strlen(host), suffix_len = strlen(suffix);

	if (host_len < suffix_len ||
	    strcmp(host + host_len - suffix_len, suffix) != 0)
		return FALSE;
	return host_len == suffix_len || host[host_len - suffix_len - 1] == '.';
}

const char *bounce_rhost_provider(const char *name)
{
	const char *host;

	if (name == NULL || *name == '\0')
		return NULL;
	host = bounce_rhost_host_name(name);
	for (unsigned int i = 0; i < bounce_rhost_hosts_count; i++) {
		if (bounce_rhost_suffix_match(host, bounce_rhost_hosts[i].suffix))
			return bounce_rhost_hosts[i].provider;
	}
	return NULL;
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
