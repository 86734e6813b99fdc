// SPDX-License-Identifier: BSD-3-Clause
/* Small file helpers for nsbox-helper and nsboxctl (root): key=value files (records, the DHCP
 * script's output), files created without following symlinks, a box directory removed with an
 * openat/unlinkat walk that never follows a symlink, and a client's string made one printable
 * line for a record, a member list or a log line. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "nsbox/cleanup.h"

#define KV_MAX_FILE (64 * 1024)
#define TREE_MAX_DEPTH 8

int
read_full(int fd, char *buf, size_t max, size_t *len)
{
	*len = 0;
	while (*len < max) {
		ssize_t k = read(fd, buf + *len, max - *len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -errno;
		if (k == 0)
			break;
		*len += (size_t)k;
	}
	return 0;
}

int
open_regular(int dirfd, const char *name)
{
	struct stat st;

	_cleanup_close_ int fd =
		openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EPERM;
	return steal_fd(fd);
}

int
open_private_dir(const char *dir)
{
	struct stat st;

	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		return -EPERM;
	return steal_fd(fd);
}

void
kv_parse(const char *buf, kv_fn fn, void *arg)
{
	while (*buf) {
		const char *nl = strchr(buf, '\n');
		size_t len = nl ? (size_t)(nl - buf) : strlen(buf);
		char line[1024], *eq;

		snprintf(line, sizeof(line), "%.*s", (int)len, buf);
		buf += nl ? len + 1 : len;
		eq = strchr(line, '=');
		if (!eq)
			continue;
		*eq++ = 0;
		fn(line, eq, arg);
	}
}

int
kv_read(int dirfd, const char *name, kv_fn fn, void *arg)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	_cleanup_close_ int fd = open_regular(dirfd, name);
	if (fd < 0)
		return fd;
	buf = malloc(KV_MAX_FILE + 1);
	if (!buf)
		return -ENOMEM;
	r = read_full(fd, buf, KV_MAX_FILE, &len);
	if (r < 0)
		return r;
	buf[len] = 0;
	kv_parse(buf, fn, arg);
	return 0;
}

FILE *
file_create(int dirfd, const char *name, mode_t mode)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	FILE *f;

	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

int
file_flush(FILE *f)
{
	/* what the write said (ENOSPC on a full /run), not a generic EIO */
	if (fflush(f) != 0)
		return errno ? -errno : -EIO;
	return ferror(f) ? -EIO : 0;
}

static int
tree_remove(int dirfd, const char *name, int depth)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;
	int r = 0;

	_cleanup_close_ int fd =
		openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (depth > TREE_MAX_DEPTH)
		return -ELOOP;
	int lfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (lfd < 0 || !(d = fdopendir(lfd))) {
		r = -errno;
		if (lfd >= 0)
			close(lfd);
		return r;
	}
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		/* unlinkat removes a symlink itself; only a real directory is descended into */
		if (unlinkat(fd, e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		int q = errno == EISDIR ? tree_remove(fd, e->d_name, depth + 1) : -errno;
		if (q < 0 && !r)
			r = q;
	}
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && !r)
		r = -errno;
	return r;
}

int
dir_remove_tree(int dirfd, const char *name)
{
	return tree_remove(dirfd, name, 0);
}

int
dir_lock_held(int dirfd, const char *name)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		return 0; /* released with the close */
	return errno == EWOULDBLOCK ? 1 : -errno;
}

void
printable_copy(char *dst, size_t n, const char *src, bool quote)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < n; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f || (quote && src[i] == '\'')
				 ? '?'
				 : src[i];
	dst[i] = 0;
}
