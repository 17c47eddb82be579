/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "array.h"
#include "bounce-store.h"
#include "bounce-store-cache.h"

#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

struct bounce_store_cache_entry {
	char *path;
	uid_t euid;
	dev_t dev;
	ino_t ino;
	time_t last_used;
	struct bounce_store *store;
	bool in_use;
};

static ARRAY(struct bounce_store_cache_entry) bounce_store_cache;

static void bounce_store_cache_entry_free(struct bounce_store_cache_entry *entry)
{
	bounce_store_close(&entry->store);
	i_free(entry->path);
}

static void bounce_store_cache_remove(unsigned int idx)
{
	struct bounce_store_cache_entry *entry =
		array_idx_modifiable(&bounce_store_cache, idx);

	bounce_store_cache_entry_free(entry);
	array_delete(&bounce_store_cache, idx, 1);
}

/* Drop idle entries, and the least recently used one if the cache is
   full, so a process serving many users keeps a bounded number open. */
static void bounce_store_cache_expire(void)
{
	const struct bounce_store_cache_entry *entry;
	unsigned int i, oldest = UINT_MAX;
	time_t now = time(NULL), oldest_used = 0;

	for (i = array_count(&bounce_store_cache); i > 0; i--) {
		entry = array_idx(&bounce_store_cache, i - 1);
		if (!entry->in_use &&
		    entry->last_used + BOUNCE_STORE_CACHE_IDLE_SECS < now)
			bounce_store_cache_remove(i - 1);
	}
	if (array_count(&bounce_store_cache) < BOUNCE_STORE_CACHE_MAX)
		return;
	array_foreach(&bounce_store_cache, entry) {
		unsigned int idx = array_foreach_idx(&bounce_store_cache, entry);

		if (entry->in_use)
			continue;
		if (oldest == UINT_MAX || entry->last_used < oldest_used) {
			oldest = idx;
			oldest_used = entry->last_used;
		}
	}
	if (oldest != UINT_MAX)
		bounce_store_cache_remove(oldest);
}

static int bounce_store_cache_find(const char *path, const struct stat *st)
{
	const struct bounce_store_cache_entry *entry;
	uid_t euid = geteuid();

	array_foreach(&bounce_store_cache, entry) {
		if (entry->in_use || entry->euid != euid ||
		    strcmp(entry->path, path) != 0)
			continue;
		if (st != NULL && entry->dev == st->st_dev &&
		    entry->ino == st->st_ino)
			return array_foreach_idx(&bounce_store_cache, entry);
		/* deleted or replaced since: never write to the old inode */
		bounce_store_cache_remove(
			array_foreach_idx(&bounce_store_cache, entry));
		return -1;
	}
	return -1;
}

int bounce_store_cache_get(const char *path, unsigned int busy_timeout_msecs,
			   struct bounce_store **store_r, const char **error_r)
{
	struct bounce_store_cache_entry *entry;
	struct stat st;
	int idx;

	if (!array_is_created(&bounce_store_cache))
		i_array_init(&bounce_store_cache, BOUNCE_STORE_CACHE_MAX);

	idx = bounce_store_cache_find(path, stat(path, &st) == 0 ? &st : NULL);
	if (idx >= 0) {
		entry = array_idx_modifiable(&bounce_store_cache, idx);
		entry->in_use = TRUE;
		*store_r = entry->store;
		return 0;
	}
	bounce_store_cache_expire();
	if (bounce_store_open(path, busy_timeout_msecs, store_r, error_r) < 0)
		return -1;
	if (stat(path, &st) < 0) {
		/* deleted under us already: use it once, don't keep it */
		return 0;
	}
	entry = array_append_space(&bounce_store_cache);
	entry->path = i_strdup(path);
	entry->euid = geteuid();
	entry->dev = st.st_dev;
	entry->ino = st.st_ino;
	entry->store = *store_r;
	entry->in_use = TRUE;
	return 0;
}

void bounce_store_cache_release(struct bounce_store **_store, bool failed)
{
	struct bounce_store *store = *_store;
	struct bounce_store_cache_entry *entry;

	*_store = NULL;
	if (array_is_created(&bounce_store_cache)) {
		array_foreach_modifiable(&bounce_store_cache, entry) {
			if (entry->store != store)
				continue;
			if (failed) {
				bounce_store_cache_remove(
					array_foreach_idx(&bounce_store_cache,
							  entry));
			} else {
				entry->in_use = FALSE;
				entry->last_used = time(NULL);
			}
			return;
		}
	}
	/* not cached */
	bounce_store_close(&store);
}

void bounce_store_cache_deinit(void)
{
	struct bounce_store_cache_entry *entry;

	if (!array_is_created(&bounce_store_cache))
		return;
	array_foreach_modifiable(&bounce_store_cache, entry)
		bounce_store_cache_entry_free(entry);
	array_free(&bounce_store_cache);
}
