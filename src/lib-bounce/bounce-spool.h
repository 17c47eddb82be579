#ifndef BOUNCE_SPOOL_H
#define BOUNCE_SPOOL_H

/* The spool: a delivery appends its rows, as lines, to a file next to
   the database instead of writing the database, and the rows are
   imported into the database in batches later: by every "doveadm
   bounce" command before it reads, by the user's IMAP and POP3 sessions
   when they end, and by the delivery that finds the spool larger than
   bounce_spool_max_size. A delivery then costs one
   write() to a file nobody else locks for long, and the LMTP process
   needs no SQLite at all, whatever the database's state; the rows of a
   failed import stay in the spool for the next one.

   Writers share a flock() on the spool while they append. An importer
   takes it exclusively, moves the file to <spool>.importing (link +
   unlink, so that it never replaces a file another import left there),
   releases the name for new writers and imports the moved file, which
   is deleted only after its rows are committed. Rows are idempotent,
   so an import that is interrupted and repeated records nothing twice. */

struct istream;

/* A line longer than this isn't one we wrote: it is skipped. A row is
   far shorter: its longest value, a Diagnostic-Code, is bounded by the
   1 MiB delivery-status body, and escaping at most doubles it. Writers
   check it all the same (bounce_spool_lines_fit()). */
#define BOUNCE_SPOOL_MAX_LINE_LENGTH (16 * 1024 * 1024)
/* about 12,000 bounces: deliveries import only when nobody has read the
   results (doveadm, or an IMAP/POP3 session ending) for that long */
#define BOUNCE_SPOOL_DEFAULT_MAX_SIZE (16 * 1024 * 1024)

struct bounce_spool_import_result {
	/* rows imported, and lines skipped as unreadable */
	unsigned int rows, skipped;
};

/* "<db_path>-spool" (next to SQLite's own -wal and -shm). */
const char *bounce_spool_path(const char *db_path);
/* <spool_path>.importing */
const char *bounce_spool_importing_path(const char *spool_path);

/* Append data (whole lines) to the spool at path, creating it with mode
   0600. size_r is the spool's size after the write. */
int bounce_spool_append(const char *path, const void *data, size_t size,
			uoff_t *size_r, const char **error_r);

/* Whether every line of data is short enough for an import to read. */
bool bounce_spool_lines_fit(const void *data, size_t size);

/* Whether there is anything to import (the spool, or a file an earlier
   import left). */
bool bounce_spool_exists(const char *path);

/* Import the rows of one file: returns 0 when all were read and
   committed, -1 on error. */
typedef int bounce_spool_import_callback_t(struct istream *input,
					    void *context,
					    const char **error_r);

/* Import what a failed or interrupted import left, then the spool.
   With lock_timeout_secs 0 nothing is waited for: a spool another
   process is importing is left to it. Returns 1 if something was
   imported, 0 if there was nothing to import, -1 on error (the file
   stays for the next import). */
int bounce_spool_import(const char *path, unsigned int lock_timeout_secs,
			bounce_spool_import_callback_t *callback,
			void *context, const char **error_r);

/* The next line of a spool file without its LF (allocated from the data
   stack), or NULL at the end or on a read error (input->stream_errno).
   Lines too long to be ours and a last line without LF, which a failed
   write leaves, are skipped and counted in skipped. */
const char *bounce_spool_read_line(struct istream *input,
				   unsigned int *skipped);

#endif
