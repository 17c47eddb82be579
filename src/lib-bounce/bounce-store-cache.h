#ifndef BOUNCE_STORE_CACHE_H
#define BOUNCE_STORE_CACHE_H

struct bounce_store;

/* Open databases kept for reuse inside one long-lived process (an LMTP or
   IMAP process delivers to the same users again and again). Opening a
   database and closing it again - which checkpoints its WAL with fsyncs -
   cost more than everything else a delivery does with it.

   An entry belongs to one path AND one effective uid, so a process that
   switches between mail users never hands one user's open database to
   another. Before reuse the path is stat()ed: a database that was
   deleted or replaced (rescan moves a corrupt one aside) is reopened. */

#define BOUNCE_STORE_CACHE_MAX 4
#define BOUNCE_STORE_CACHE_IDLE_SECS 60

/* Return an open database for path, from the cache or newly opened
   (creating it if needed). Give it back with bounce_store_cache_release(). */
int bounce_store_cache_get(const char *path, unsigned int busy_timeout_msecs,
			   struct bounce_store **store_r, const char **error_r);
/* Give the database back. If failed, it is closed instead of kept:
   after an error its state is unknown. */
void bounce_store_cache_release(struct bounce_store **store, bool failed);
/* Close every cached database (plugin deinit). */
void bounce_store_cache_deinit(void);

#endif
