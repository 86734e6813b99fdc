// SPDX-License-Identifier: BSD-3-Clause
/* A box's namespaces named on the host, beside its directory (record.c): its network namespace
 * under NSBOX_NETNS_DIR as ip-netns(8) names it, and the index under NSBOX_NS_DIR that says
 * which namespaces are a live box's. Made and removed by nsbox-helper (root), swept by the scans
 * of record.c, read by proc_on_host. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boxdir.h"
#include "nsbox/cleanup.h"
#include "record.h"

/* NSBOX_NETNS_DIR as `ip netns add` leaves it: a directory that is a shared mount point of its
 * own, so that a name made here shows in every mount namespace that shares it with ours. */
static int
netns_dir_ready(void)
{
	if (mkdir(NSBOX_NETNS_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	if (mount("", NSBOX_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL) /* EINVAL: not a mount point yet */
		return -errno;
	if (mount(NSBOX_NETNS_DIR, NSBOX_NETNS_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	return mount("", NSBOX_NETNS_DIR, "none", MS_SHARED | MS_REC, NULL) < 0 ? -errno : 0;
}

static int
netns_path(const char *id, char *out, size_t n)
{
	if (!box_id_valid(id))
		return -EINVAL;
	snprintf(out, n, NSBOX_NETNS_DIR "/" NSBOX_NETNS_PREFIX "%s", id);
	return 0;
}

int
box_netns_add(const char *id, pid_t init)
{
	char path[64], src[64];
	int r = netns_path(id, path, sizeof(path));

	if (r < 0)
		return r;
	r = netns_dir_ready();
	if (r < 0)
		return r;
	int fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	close(fd);
	snprintf(src, sizeof(src), "/proc/%d/ns/net", (int)init);
	if (mount(src, path, "none", MS_BIND, NULL) < 0) {
		r = -errno;
		unlink(path);
		return r;
	}
	return 0;
}

int
box_netns_remove(const char *id)
{
	char path[64];
	int r = netns_path(id, path, sizeof(path));

	if (r < 0)
		return r;
	if (umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) < 0 && errno != EINVAL && errno != ENOENT)
		return -errno;
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

/* Names under NSBOX_NETNS_DIR whose box directory is gone: a teardown whose unlink of the name
 * failed, or that was cut short after it. Safe against live boxes: a name is made only while its
 * box directory exists (after box_reserve's rename), and removed before it; an earlier
 * version's ".new-ID" is respected too. Returns how many. */
int
netns_sweep(int bfd)
{
	_cleanup_closedir_ DIR *d = opendir(NSBOX_NETNS_DIR);
	const size_t pl = strlen(NSBOX_NETNS_PREFIX);
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char building[NAME_MAX + 1];
		const char *id = e->d_name + pl;

		if (strncmp(e->d_name, NSBOX_NETNS_PREFIX, pl) || !box_id_valid(id))
			continue;
		snprintf(building, sizeof(building), NEW_PREFIX "%s", id);
		if (faccessat(bfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0 ||
		    faccessat(bfd, building, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT)
			continue;
		if (box_netns_remove(id) == 0)
			n++;
	}
	return n;
}

/* ---- the namespace index (NSBOX_NS_DIR): which namespaces are a live box's ---- */

static int
ns_dir_open(bool create)
{
	return state_dir_open(NSBOX_NS_DIR, create);
}

int
box_ns_mark(const char *id, pid_t init, unsigned long nstypes, unsigned long long ino[NSBOX_N_NS])
{
	_cleanup_close_ int dfd = -1;
	char path[64], name[64], tmp[80];
	struct stat st;

	if (!box_id_valid(id))
		return -EINVAL;
	dfd = ns_dir_open(true);
	if (dfd < 0)
		return dfd;
	for (size_t i = 0; i < NSBOX_N_NS; i++) {
		const struct nsbox_ns *t = &nsbox_ns_table[i];
		ino[i] = 0;
		if (!(nstypes & t->flag))
			continue; /* the host's: not the box's to claim */
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)init, t->proc);
		if (stat(path, &st) < 0)
			return -errno;
		snprintf(name, sizeof(name), NSBOX_NS_ENTRY, t->proc, (unsigned long long)st.st_ino);
		snprintf(tmp, sizeof(tmp), ".%s.%s", name, id);
		/* An entry of that name is a dead box's: two live namespaces never share an inode
		 * number. Replaced whole (a reader sees the old link or ours). */
		if (unlinkat(dfd, tmp, 0) < 0 && errno != ENOENT)
			return -errno;
		if (symlinkat(id, dfd, tmp) < 0 || renameat(dfd, tmp, dfd, name) < 0) {
			int r = -errno;
			unlinkat(dfd, tmp, 0);
			return r;
		}
		ino[i] = (unsigned long long)st.st_ino;
	}
	return 0;
}

/* Entry NAME of DFD, when it leads to ID. */
static bool
ns_entry_is(int dfd, const char *name, const char *id)
{
	char target[NSBOX_ID_LEN + 2];
	ssize_t n = readlinkat(dfd, name, target, sizeof(target) - 1);

	if (n < 0)
		return false;
	target[n] = 0;
	return strcmp(target, id) == 0;
}

int
box_ns_unmark(const char *id, const unsigned long long ino[NSBOX_N_NS])
{
	_cleanup_close_ int dfd = ns_dir_open(false);
	char name[64];
	int r = 0;

	if (dfd < 0)
		return dfd == -ENOENT ? 0 : dfd;
	for (size_t i = 0; i < NSBOX_N_NS; i++) {
		if (!ino[i])
			continue;
		snprintf(name, sizeof(name), NSBOX_NS_ENTRY, nsbox_ns_table[i].proc, ino[i]);
		/* a later box's entry of the same name is not ours to remove */
		if (ns_entry_is(dfd, name, id) && unlinkat(dfd, name, 0) < 0 && errno != ENOENT && !r)
			r = -errno;
	}
	return r;
}

/* With ID: removes every entry that leads to ID (the sweeper's, which has no inode numbers).
 * Without: every entry whose box has no directory in BFD (its teardown or a gc removed it). */
void
ns_index_sweep(int bfd, const char *id)
{
	_cleanup_close_ int dfd = ns_dir_open(false);
	_cleanup_closedir_ DIR *d = NULL;
	char target[NSBOX_ID_LEN + 2];
	struct dirent *e;

	if (dfd < 0)
		return;
	int fd = fcntl(dfd, F_DUPFD_CLOEXEC, 0);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		ssize_t n = readlinkat(dfd, e->d_name, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = 0;
		if (id ? strcmp(target, id) != 0 : !box_id_valid(target))
			continue;
		/* a box is marked after its directory has its id (box_reserve's rename) and
		 * unmarked before it goes: one without it is gone */
		if (!id && (faccessat(bfd, target, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT))
			continue;
		unlinkat(dfd, e->d_name, 0);
	}
}

void
box_ns_forget(const char *id)
{
	if (box_id_valid(id))
		ns_index_sweep(-1, id);
}
