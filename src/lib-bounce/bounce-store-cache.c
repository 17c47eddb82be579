/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "ioloop.h"
#include "bounce-store-cache.h"

#include <sys/stat.h>
#include <unistd.h>

/* Deliveries come one after another through the same LMTP, LDA or IMAP
   process. Opening the database for each of them cost more than the
   analysis and the write together: the schema is read and prepared
   again, and when no other process had the database open, closing it
   checkpointed the WAL (two fsyncs) and deleted it, for the next open
   to create it again. So the process keeps its last connection open.

   A connection open across deliveries must not outlive the files it
   was opened on: an admin (or a fault) may delete, replace, chmod or
   corrupt the database, or delete its -wal or -shm, between two
   deliveries, and writing on through the old descriptors would lose the
   rows into an unlinked file or hide the fault. So before every reuse
   the three files at the path are compared with what they were after
   the connection's last use; any difference, or any failure while it
   was used, closes it (without the checkpoint a close does, which would
   write through the old descriptors) and the delivery opens the path
   afresh, exactly as it would without the cache. */

/* Don't keep a database open in an idle process: it holds the files
   and keeps the WAL from being checkpointed away. */
#define BOUNCE_STORE_CACHE_IDLE_MSECS (10 * 1000)

enum bounce_store_file {
	BOUNCE_STORE_FILE_DB,
	BOUNCE_STORE_FILE_WAL,
	BOUNCE_STORE_FILE_SHM,

	BOUNCE_STORE_FILE_COUNT
};
static const char *const bounce_store_file_suffix[BOUNCE_STORE_FILE_COUNT] = {
	"", "-wal", "-shm"
};

struct bounce_file_id {
	bool exists;
	dev_t dev;
	ino_t ino;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	/* only looked at for the database file: others write the WAL and
	   the shm all the time */
	off_t size;
	struct timespec mtime, ctime;
};

struct bounce_store_cache {
	struct bounce_store *store;
	char *path;
	uid_t euid;
	unsigned int busy_timeout_msecs;
	/* the files as they were when the connection was last given back */
	struct bounce_file_id files[BOUNCE_STORE_FILE_COUNT];
	struct timeout *to_idle;
	bool in_use;
};

static struct bounce_store_cache bounce_cache;

static int bounce_file_id_read(const char *path, struct bounce_file_id *id_r)
{
	struct stat st;

	i_zero(id_r);
	if (stat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	id_r->exists = TRUE;
	id_r->dev = st.st_dev;
	id_r->ino = st.st_ino;
	id_r->mode = st.st_mode;
	id_r->uid = st.st_uid;
	id_r->gid = st.st_gid;
	id_r->size = st.st_size;
	id_r->mtime = st.st_mtim;
	id_r->ctime = st.st_ctim;
	return 0;
}

static bool timespec_equal(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* the same file, with the same mode and owner */
static bool
bounce_file_id_equal(const struct bounce_file_id *a,
		     const struct bounce_file_id *b)
{
	if (a->exists != b->exists)
		return FALSE;
	if (!a->exists)
		return TRUE;
	return a->dev == b->dev && a->ino == b->ino && a->mode == b->mode &&
		a->uid == b->uid && a->gid == b->gid;
}

static bool
bounce_file_contents_equal(const struct bounce_file_id *a,
			   const struct bounce_file_id *b)
{
	return a->size == b->size && timespec_equal(&a->mtime, &b->mtime) &&
		timespec_equal(&a->ctime, &b->ctime);
}

/* Read the ids of the database and its -wal and -shm files. */
static int
bounce_store_files_read(const char *path,
			struct bounce_file_id files_r[BOUNCE_STORE_FILE_COUNT])
{
	unsigned int i;
	int ret = 0;

	T_BEGIN {
		for (i = 0; i < BOUNCE_STORE_FILE_COUNT && ret == 0; i++) {
			ret = bounce_file_id_read(t_strconcat(path,
				bounce_store_file_suffix[i], NULL), &files_r[i]);
		}
	} T_END;
	return ret;
}

static bool bounce_store_cache_is_current(struct bounce_store_cache *cache)
{
	struct bounce_file_id files[BOUNCE_STORE_FILE_COUNT];
	unsigned int i;

	/* while the connection is open the database and its WAL exist:
	   a missing one was deleted under it */
	if (bounce_store_files_read(cache->path, files) < 0 ||
	    !files[BOUNCE_STORE_FILE_DB].exists ||
	    !files[BOUNCE_STORE_FILE_WAL].exists)
		return FALSE;
	for (i = 0; i < BOUNCE_STORE_FILE_COUNT; i++) {
		if (!bounce_file_id_equal(&files[i], &cache->files[i]))
			return FALSE;
	}
	if (!bounce_file_contents_equal(&files[BOUNCE_STORE_FILE_DB],
					&cache->files[BOUNCE_STORE_FILE_DB])) {
		/* Written since: another process's checkpoint (every few
		   hundred deliveries with several writers), or something
		   overwrote the file in place. A checkpoint leaves SQLite's
		   header; garbage over it is what a fresh open would report,
		   so look at that rather than reopen every time. */
		if (!bounce_store_header_valid(cache->store))
			return FALSE;
		cache->files[BOUNCE_STORE_FILE_DB] =
			files[BOUNCE_STORE_FILE_DB];
	}
	return TRUE;
}

static void
bounce_store_cache_drop(struct bounce_store_cache *cache, bool stale)
{
	timeout_remove(&cache->to_idle);
	if (stale)
		bounce_store_close_stale(&cache->store);
	else
		bounce_store_close(&cache->store);
	i_free(cache->path);
	cache->in_use = FALSE;
}

static void bounce_store_cache_idle(struct bounce_store_cache *cache)
{
	/* the files may have changed since the last use too */
	bounce_store_cache_drop(cache, !bounce_store_cache_is_current(cache));
}

static bool
bounce_store_cache_matches(struct bounce_store_cache *cache, const char *path,
			   unsigned int busy_timeout_msecs)
{
	return strcmp(cache->path, path) == 0 && cache->euid == geteuid() &&
		cache->busy_timeout_msecs == busy_timeout_msecs;
}

int bounce_store_cache_open(const char *path, unsigned int busy_timeout_msecs,
			    struct bounce_store **store_r,
			    const char **error_r)
{
	struct bounce_store_cache *cache = &bounce_cache;

	if (cache->in_use) {
		/* a second connection while the first is out: uncached */
		return bounce_store_open(path, busy_timeout_msecs, store_r,
					 error_r);
	}
	if (cache->store != NULL) {
		if (bounce_store_cache_matches(cache, path,
					       busy_timeout_msecs) &&
		    bounce_store_cache_is_current(cache)) {
			timeout_remove(&cache->to_idle);
			cache->in_use = TRUE;
			*store_r = cache->store;
			return 0;
		}
		/* changed under it, or another user's database, whose
		   files this user may not even be allowed to look at: so
		   no checkpoint through its descriptors either way */
		bounce_store_cache_drop(cache, TRUE);
	}
	if (bounce_store_open(path, busy_timeout_msecs, &cache->store,
			      error_r) < 0)
		return -1;
	cache->path = i_strdup(path);
	cache->euid = geteuid();
	cache->busy_timeout_msecs = busy_timeout_msecs;
	cache->in_use = TRUE;
	*store_r = cache->store;
	return 0;
}

void bounce_store_cache_release(struct bounce_store **_store, bool failed)
{
	struct bounce_store_cache *cache = &bounce_cache;
	struct bounce_store *store = *_store;

	if (store == NULL)
		return;
	*_store = NULL;
	if (store != cache->store) {
		bounce_store_close(&store);
		return;
	}
	/* remember the files as our own writes (and checkpoints) left them */
	if (failed || bounce_store_files_read(cache->path, cache->files) < 0) {
		bounce_store_cache_drop(cache, TRUE);
		return;
	}
	cache->in_use = FALSE;
	/* a process without an ioloop (a tool) closes it at deinit */
	if (current_ioloop != NULL) {
		cache->to_idle = timeout_add_to(io_loop_get_root(),
						BOUNCE_STORE_CACHE_IDLE_MSECS,
						bounce_store_cache_idle, cache);
	}
}

void bounce_store_cache_deinit(void)
{
	struct bounce_store_cache *cache = &bounce_cache;

	if (cache->store != NULL) {
		bounce_store_cache_drop(cache,
					!bounce_store_cache_is_current(cache));
	}
}
