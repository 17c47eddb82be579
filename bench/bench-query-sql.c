/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "bounce-store-private.h"

#include <stdio.h>

/* bench-query-sql stats|list|suppressed

   Prints the statement that "doveadm bounce stats --by domain",
   "bounce list --recipient X" and "bounce export --what suppressed"
   prepare, built by the store's own code with the filters those
   commands set, so that bench-queries.sh times and explains exactly
   what doveadm runs. Parameters stay ?N: ?5 the recipient, ?3 and ?8
   the limit (-1: none). */

int main(int argc, char *argv[])
{
	struct bounce_store_filter filter;
	const char *sql;

	lib_init();
	if (argc != 2)
		i_fatal("Usage: bench-query-sql stats|list|suppressed");
	i_zero(&filter);
	if (strcmp(argv[1], "stats") == 0) {
		sql = bounce_store_stats_sql(BOUNCE_STORE_STATS_BY_DOMAIN,
					     &filter);
	} else if (strcmp(argv[1], "list") == 0) {
		filter.recipient = "";
		sql = bounce_store_list_sql(&filter);
	} else if (strcmp(argv[1], "suppressed") == 0) {
		sql = bounce_store_addresses_sql(&filter, TRUE);
	} else {
		i_fatal("Unknown query: %s", argv[1]);
	}
	printf("%s\n", sql);
	lib_deinit();
	return 0;
}
