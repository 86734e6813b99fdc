// SPDX-License-Identifier: BSD-3-Clause
/* The path trust walk for the module (root, inside the PAM application), the config reader
 * (nsbox-helper and nsboxctl, root) and the box's resolv.conf (nsbox-helper, root): a file is
 * only as safe as every directory above it, since whoever can write one of them can swap what
 * lies below. One openat(O_NOFOLLOW) per component from "/", each checked by fstat on the fd
 * that the next step goes on from, so what is checked is what is used. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsbox/cleanup.h"
#include "trust.h"

#define TRUST_MAX_LINKS 40 /* as the kernel's own limit */

static int
fail(struct trust_err *e, const char *path, size_t n, const char *what, int r)
{
	if (snprintf(e->path, sizeof(e->path), "%.*s", (int)n, n ? path : "/") < 0)
		e->path[0] = 0;
	e->what = what;
	return r;
}

/* The same for component COMP (CL bytes) below DONE. */
static int
fail_at(struct trust_err *e, const char *done, const char *comp, size_t cl, int r)
{
	/* a path too long for the message is cut: the error is the errno, not the text */
	if (snprintf(e->path, sizeof(e->path), "%s/%.*s", done, (int)cl, comp) < 0)
		e->path[0] = 0;
	e->what = NULL;
	return r;
}

/* 0 when the directory FD (reached as PATH, N bytes) is one root can trust, 1 when it is a
 * root-owned sticky directory that others may write (/tmp): there nobody but root may rename or
 * remove a root-owned entry, so the walk goes on only through entries root owns (unless W says
 * no sticky directory is trusted); else -errno. */
static int
check_dir(int fd, const struct trust_walk *w, struct trust_err *e, const char *path, size_t n)
{
	struct stat st;
	uid_t uid = w->uid;

	if (fstat(fd, &st) < 0)
		return fail(e, path, n, NULL, -errno);
	if (!S_ISDIR(st.st_mode))
		return fail(e, path, n, NULL, -ENOTDIR);
	if (st.st_uid != 0 && st.st_uid != uid)
		return fail(e, path, n, uid ? "not owned by root or by the trusted uid"
					    : "not owned by root", -EPERM);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && (st.st_mode & S_ISVTX) && st.st_uid == 0 &&
	    !w->no_sticky)
		return 1;
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return fail(e, path, n, "writable by group or others", -EPERM);
	return 0;
}

int
trust_walk(const char *path, struct trust_walk *w, struct trust_err *e)
{
	char todo[2 * PATH_MAX + 2], done[PATH_MAX], cwd[PATH_MAX];
	_cleanup_close_ int fd = -1;
	size_t dl = 0; /* DONE holds the directories reached so far, "" for "/" */
	bool sticky = false; /* FD is a sticky directory: its next entry must be root's */
	const char *rest;
	int r;

	e->path[0] = 0;
	e->what = NULL;
	w->links = 0;
	w->final[0] = 0;
	if (path[0] != '/') {
		if (!getcwd(cwd, sizeof(cwd)))
			return fail(e, path, strlen(path), NULL, -errno);
		r = snprintf(todo, sizeof(todo), "%s/%s", cwd, path);
	} else {
		r = snprintf(todo, sizeof(todo), "%s", path);
	}
	if (r < 0 || (size_t)r >= sizeof(todo))
		return fail(e, path, strlen(path), NULL, -ENAMETOOLONG);
	rest = todo;
	for (;;) {
		char comp[NAME_MAX + 1], link[PATH_MAX], next[sizeof(todo)];
		struct stat st;
		size_t cl;
		bool last;
		int nfd;

		if (fd < 0) { /* at the start, and after an absolute symlink */
			fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (fd < 0)
				return fail(e, "/", 1, NULL, -errno);
			dl = 0;
			done[0] = 0;
			r = check_dir(fd, w, e, done, dl);
			if (r < 0)
				return r;
			sticky = r == 1;
		}
		while (*rest == '/')
			rest++;
		if (!*rest) /* a leaf wanted, and the path ends in a directory */
			return w->leaf ? fail(e, done, dl, NULL, -EISDIR) : steal_fd(fd);
		cl = strcspn(rest, "/");
		if (cl > NAME_MAX)
			return fail_at(e, done, rest, cl, -ENAMETOOLONG);
		memcpy(comp, rest, cl);
		comp[cl] = 0;
		rest += cl;
		last = !rest[strspn(rest, "/")];
		if (!strcmp(comp, "."))
			continue;
		if (w->leaf && last && dl + 1 + cl >= sizeof(done))
			return fail(e, done, dl, NULL, -ENAMETOOLONG);
		nfd = openat(fd, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT && w->leaf && last && strcmp(comp, "..")) {
			/* a dangling leaf: what it would be is known all the same */
			if (snprintf(w->final, sizeof(w->final), "%s/%s", done, comp) >=
			    (int)sizeof(w->final))
				return fail(e, done, dl, NULL, -ENAMETOOLONG);
			return steal_fd(fd);
		}
		if (nfd < 0)
			return fail_at(e, done, comp, cl, -errno);
		if (fstat(nfd, &st) < 0) {
			r = -errno;
			close(nfd);
			return fail_at(e, done, comp, cl, r);
		}
		if (sticky && strcmp(comp, "..") && st.st_uid != 0 && st.st_uid != w->uid) {
			close(nfd);
			fail_at(e, done, comp, cl, -EPERM);
			e->what = "not owned by root, in a directory others may write";
			return -EPERM;
		}
		if (S_ISLNK(st.st_mode)) {
			if (++w->links > TRUST_MAX_LINKS) {
				close(nfd);
				return fail_at(e, done, comp, cl, -ELOOP);
			}
			if (w->root_links && st.st_uid != 0) {
				close(nfd);
				fail_at(e, done, comp, cl, -EPERM);
				e->what = "a symlink not owned by root";
				return -EPERM;
			}
			/* planted by whoever may write FD's directory: root or UID, checked above */
			ssize_t ll = readlinkat(nfd, "", link, sizeof(link) - 1);
			r = -errno;
			close(nfd);
			if (ll < 0)
				return fail_at(e, done, comp, cl, r);
			link[ll] = 0;
			if (w->on_link)
				w->on_link(done, w->arg);
			r = snprintf(next, sizeof(next), "%s/%s", link, rest);
			if (r < 0 || (size_t)r >= sizeof(next))
				return fail_at(e, done, comp, cl, -ENAMETOOLONG);
			memcpy(todo, next, (size_t)r + 1);
			rest = todo;
			if (link[0] == '/') {
				nsbox_closep(&fd);
				fd = -1;
			}
			continue;
		}
		if (w->leaf && last && strcmp(comp, "..")) {
			close(nfd);
			if (snprintf(w->final, sizeof(w->final), "%s/%s", done, comp) >=
			    (int)sizeof(w->final))
				return fail(e, done, dl, NULL, -ENAMETOOLONG);
			return steal_fd(fd);
		}
		nsbox_closep(&fd);
		fd = nfd;
		if (!strcmp(comp, "..")) {
			char *s = strrchr(done, '/');
			dl = s ? (size_t)(s - done) : 0;
			done[dl] = 0;
		} else {
			if (dl + 1 + cl >= sizeof(done))
				return fail(e, done, dl, NULL, -ENAMETOOLONG);
			done[dl++] = '/';
			memcpy(done + dl, comp, cl + 1);
			dl += cl;
		}
		r = check_dir(fd, w, e, done, dl);
		if (r < 0)
			return r;
		sticky = r == 1;
	}
}

int
trust_open_dir(const char *dir, uid_t uid, struct trust_err *e)
{
	struct trust_walk w = { .uid = uid };

	return trust_walk(dir, &w, e);
}
