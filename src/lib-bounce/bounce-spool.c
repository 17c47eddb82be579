/* Copyright (c) 2026 dovecot-bounce authors, see the included COPYING file */

#include "lib.h"
#include "istream.h"
#include "file-lock.h"
#include "write-full.h"
#include "sleep.h"
#include "bounce-spool.h"

#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

/* How often a writer opens the spool again when an importer has just
   taken the file it opened: the importer moves it away at once, so the
   second open normally finds a new file. The bound keeps a delivery from
   spinning on a filesystem where that doesn't hold. */
#define BOUNCE_SPOOL_APPEND_TRIES 100
#define BOUNCE_SPOOL_APPEND_RETRY_MSECS 1

static const struct file_lock_settings bounce_spool_lock_set = {
	.lock_method = FILE_LOCK_METHOD_FLOCK,
};

const char *bounce_spool_path(const char *db_path)
{
	return t_strconcat(db_path, "-spool", NULL);
}

const char *bounce_spool_importing_path(const char *spool_path)
{
	return t_strconcat(spool_path, ".importing", NULL);
}

bool bounce_spool_lines_fit(const void *data, size_t size)
{
	const unsigned char *p = data, *end = p + size, *lf;

	for (; p < end; p = lf + 1) {
		lf = memchr(p, '\n', end - p);
		if (lf == NULL)
			lf = end;
		if ((size_t)(lf - p) >= BOUNCE_SPOOL_MAX_LINE_LENGTH)
			return FALSE;
	}
	return TRUE;
}

bool bounce_spool_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ||
		stat(bounce_spool_importing_path(path), &st) == 0;
}

/* Whether fd is still the file at path: an importer may have moved it
   between our open() and our lock. */
static int bounce_spool_fd_is_path(int fd, const char *path,
				   const char **error_r)
{
	struct stat fd_st, path_st;

	if (fstat(fd, &fd_st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		return -1;
	}
	if (stat(path, &path_st) < 0) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("stat(%s) failed: %m", path);
		return -1;
	}
	return fd_st.st_ino == path_st.st_ino &&
		fd_st.st_dev == path_st.st_dev ? 1 : 0;
}

/* Open the spool and share its lock with the other writers. Returns 1
   with fd_r locked, 0 if an importer has it (try again), -1 on error. */
static int bounce_spool_open_locked(const char *path, int *fd_r,
				    struct file_lock **lock_r,
				    const char **error_r)
{
	const char *error;
	int fd, ret;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT, 0600);
	if (fd == -1) {
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	ret = file_try_lock(fd, path, F_RDLCK, &bounce_spool_lock_set,
			    lock_r, &error);
	if (ret > 0) {
		ret = bounce_spool_fd_is_path(fd, path, error_r);
		if (ret <= 0)
			file_lock_free(lock_r);
	} else if (ret < 0) {
		*error_r = error;
	}
	if (ret <= 0) {
		i_close_fd(&fd);
		return ret;
	}
	*fd_r = fd;
	return 1;
}

static int bounce_spool_write(int fd, const char *path, const void *data,
			      size_t size, uoff_t *size_r,
			      const char **error_r)
{
	struct stat st;

	if (write_full(fd, data, size) < 0) {
		*error_r = t_strdup_printf("write(%s) failed: %m", path);
		/* end what may be half a line, so that only it is lost and
		   not the next writer's line too (the import skips it) */
		if (write(fd, "\n", 1) < 0) {
			/* the disk is full: nothing more to do */
		}
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m", path);
		return -1;
	}
	*size_r = st.st_size;
	return 0;
}

int bounce_spool_append(const char *path, const void *data, size_t size,
			uoff_t *size_r, const char **error_r)
{
	struct file_lock *lock;
	int fd, ret;

	for (unsigned int i = 0; i < BOUNCE_SPOOL_APPEND_TRIES; i++) {
		if (i > 0)
			i_sleep_msecs(BOUNCE_SPOOL_APPEND_RETRY_MSECS);
		ret = bounce_spool_open_locked(path, &fd, &lock, error_r);
		if (ret < 0)
			return -1;
		if (ret == 0)
			continue;
		ret = bounce_spool_write(fd, path, data, size, size_r, error_r);
		/* closing releases the lock */
		file_lock_free(&lock);
		i_close_fd(&fd);
		return ret;
	}
	*error_r = t_strdup_printf("%s stayed locked by an import", path);
	return -1;
}

/* --- importing --- */

/* Open path and lock it exclusively. Returns 1 if locked, 0 if there is
   no such file or the lock wasn't free within timeout, -1 on error. */
static int bounce_spool_lock_file(const char *path, unsigned int timeout_secs,
				  int *fd_r, struct file_lock **lock_r,
				  const char **error_r)
{
	const char *error;
	int fd, ret;

	fd = open(path, O_RDONLY);
	if (fd == -1) {
		if (errno == ENOENT)
			return 0;
		*error_r = t_strdup_printf("open(%s) failed: %m", path);
		return -1;
	}
	ret = timeout_secs == 0 ?
		file_try_lock(fd, path, F_WRLCK, &bounce_spool_lock_set,
			      lock_r, &error) :
		file_wait_lock(fd, path, F_WRLCK, &bounce_spool_lock_set,
			       timeout_secs, lock_r, &error);
	if (ret < 0)
		*error_r = error;
	if (ret <= 0) {
		i_close_fd(&fd);
		return ret;
	}
	*fd_r = fd;
	return 1;
}

static void bounce_spool_unlock_file(int *fd, struct file_lock **lock)
{
	file_lock_free(lock);
	i_close_fd(fd);
}

static int bounce_spool_import_fd(int fd, const char *path,
				  bounce_spool_import_callback_t *callback,
				  void *context, const char **error_r)
{
	struct istream *input;
	int ret;

	input = i_stream_create_fd(fd, BOUNCE_SPOOL_MAX_LINE_LENGTH);
	i_stream_set_name(input, path);
	ret = callback(input, context, error_r);
	i_stream_unref(&input);
	if (ret < 0)
		return -1;
	if (i_unlink(path) < 0) {
		/* imported: the next import repeats it, harmlessly */
		*error_r = t_strdup_printf("unlink(%s) failed: %m", path);
		return -1;
	}
	return 1;
}

/* The file an earlier import left (it failed, or it was interrupted
   after moving the spool), or another import is working on now. */
static int bounce_spool_import_left(const char *importing_path,
				    unsigned int timeout_secs,
				    bounce_spool_import_callback_t *callback,
				    void *context, const char **error_r)
{
	struct file_lock *lock;
	struct stat st;
	int fd, ret;

	ret = bounce_spool_lock_file(importing_path, timeout_secs, &fd, &lock,
				     error_r);
	if (ret <= 0)
		return ret;
	if (fstat(fd, &st) < 0) {
		*error_r = t_strdup_printf("fstat(%s) failed: %m",
					   importing_path);
		ret = -1;
	} else if (st.st_nlink == 0) {
		/* the import we waited for has finished it */
		ret = 0;
	} else {
		ret = bounce_spool_import_fd(fd, importing_path, callback,
					     context, error_r);
	}
	bounce_spool_unlock_file(&fd, &lock);
	return ret;
}

/* Move the locked spool out of the writers' way. Returns 1 if moved,
   0 if it is no longer the spool or the place is taken, -1 on error. */
static int bounce_spool_claim(int fd, const char *path,
			      const char *importing_path, const char **error_r)
{
	int ret;

	ret = bounce_spool_fd_is_path(fd, path, error_r);
	if (ret <= 0)
		return ret;
	if (link(path, importing_path) < 0) {
		if (errno == EEXIST) {
			/* another import failed since we looked: it goes
			   first, next time */
			return 0;
		}
		*error_r = t_strdup_printf("link(%s, %s) failed: %m",
					   path, importing_path);
		return -1;
	}
	if (i_unlink(path) < 0) {
		*error_r = t_strdup_printf("unlink(%s) failed: %m", path);
		return -1;
	}
	return 1;
}

static int bounce_spool_import_current(const char *path,
				       const char *importing_path,
				       unsigned int timeout_secs,
				       bounce_spool_import_callback_t *callback,
				       void *context, const char **error_r)
{
	struct file_lock *lock;
	int fd, ret;

	ret = bounce_spool_lock_file(path, timeout_secs, &fd, &lock, error_r);
	if (ret <= 0)
		return ret;
	ret = bounce_spool_claim(fd, path, importing_path, error_r);
	if (ret > 0) {
		/* still locked: a writer that opened the spool before we
		   moved it waits, then finds it moved and opens a new one */
		ret = bounce_spool_import_fd(fd, importing_path, callback,
					     context, error_r);
	}
	bounce_spool_unlock_file(&fd, &lock);
	return ret;
}

int bounce_spool_import(const char *path, unsigned int lock_timeout_secs,
			bounce_spool_import_callback_t *callback,
			void *context, const char **error_r)
{
	const char *importing_path = bounce_spool_importing_path(path);
	int ret, ret2;

	ret = bounce_spool_import_left(importing_path, lock_timeout_secs,
				       callback, context, error_r);
	if (ret < 0)
		return -1;
	ret2 = bounce_spool_import_current(path, importing_path,
					   lock_timeout_secs, callback,
					   context, error_r);
	if (ret2 < 0)
		return -1;
	return ret > 0 || ret2 > 0 ? 1 : 0;
}

const char *bounce_spool_read_line(struct istream *input,
				   unsigned int *skipped)
{
	const unsigned char *data, *lf;
	const char *line;
	bool too_long = FALSE;
	size_t size;
	ssize_t ret;

	for (;;) {
		data = i_stream_get_data(input, &size);
		lf = memchr(data, '\n', size);
		if (lf != NULL) {
			line = too_long ? NULL :
				t_strdup_until(data, lf);
			i_stream_skip(input, lf - data + 1);
			if (line != NULL)
				return line;
			(*skipped)++;
			too_long = FALSE;
			continue;
		}
		ret = i_stream_read(input);
		if (ret == -2) {
			/* longer than any line we write: drop it */
			too_long = TRUE;
			i_stream_skip(input, size);
		} else if (ret < 0) {
			if (size > 0 || too_long) {
				/* a write that failed half-way */
				(*skipped)++;
				i_stream_skip(input, size);
			}
			return NULL;
		}
	}
}
