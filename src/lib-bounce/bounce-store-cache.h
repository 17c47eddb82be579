#ifndef BOUNCE_STORE_CACHE_H
#define BOUNCE_STORE_CACHE_H

#include "bounce-store.h"

/* The connection a delivery process keeps open between deliveries
   (bounce-store-cache.c). One per process: the last database used. */

/* Like bounce_store_open(), but hand out the process's cached connection
   when it is to the same path, for the same effective uid, and the
   files at the path are still the ones it has open. */
int bounce_store_cache_open(const char *path, unsigned int busy_timeout_msecs,
			    struct bounce_store **store_r,
			    const char **error_r);
/* Give the connection back. After a failure it is closed rather than
   kept: whatever went wrong, the next use starts from the files. */
void bounce_store_cache_release(struct bounce_store **store, bool failed);
/* Close the cached connection, if any (plugin deinit). */
void bounce_store_cache_deinit(void);

#endif
