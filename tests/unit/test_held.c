// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the description of what a box holds (lib/held.c): written and read back whole;
 * a file of another layout, id, owner or mode, or a symlink, is not trusted (read as what the
 * id alone names); unknown bits are dropped; cgroup directories that are not the box's own
 * below /sys/fs/cgroup are never removed. Runs unprivileged on a mkdtemp tree. Output: TAP. */

#include "../../lib/held.c"

#include <ftw.h>

#include "tap.h"

#define ID  "0a1b2c3d"
#define ID2 "0a1b2c3e"

static char root[] = "/tmp/nsbt-held-XXXXXX";

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p);
}

/* Writes H as the description of box directory NAME (made if missing) under ROOT. */
static int
write_held(const char *name, const struct box_held *h)
{
	char path[PATH_MAX];
	struct held_file f = { .h = *h };

	snprintf(path, sizeof(path), "%s/%s", root, name);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/" BOX_HELD, root, name);
	unlink(path);
	f.fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (f.fd < 0)
		return -errno;
	int r = held_write(&f);
	close(f.fd);
	return r;
}

static void
file_op(const char *name, const char *what)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s/" BOX_HELD, root, name);
	if (!strcmp(what, "truncate"))
		(void)!truncate(path, 20);
	else if (!strcmp(what, "magic")) {
		int fd = open(path, O_WRONLY | O_CLOEXEC);
		(void)!pwrite(fd, "nsboxH0", 7, 0);
		close(fd);
	} else if (!strcmp(what, "chmod"))
		chmod(path, 0620);
	else if (!strcmp(what, "symlink")) {
		char target[PATH_MAX];
		snprintf(target, sizeof(target), "%s/%s/other", root, name);
		rename(path, target);
		(void)!symlink("other", path);
	}
}

int
main(void)
{
	struct box_held h = { .id = ID }, got;
	_cleanup_close_ int bfd = -1;

	if (!mkdtemp(root))
		return 1;
	bfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	h.what = HELD_VETH | HELD_LEASE4 | HELD_CGROUPS;
	h.pool4.mode = NSBOX_ADDR_POOL;
	ok(nsbox_cidr_parse("10.1.0.0/24", AF_INET, &h.pool4.cidr) == 0 &&
		   nsbox_ip_parse("10.1.0.10", &h.pool4.first) == 0 &&
		   nsbox_ip_parse("10.1.0.20", &h.pool4.last) == 0,
	   "a pool to describe");
	h.cg.n = 2;
	snprintf(h.cg.dir[0], sizeof(h.cg.dir[0]), "/sys/fs/cgroup/memory/u/nsbox-" ID);
	snprintf(h.cg.dir[1], sizeof(h.cg.dir[1]), "/sys/fs/cgroup/pids/u/nsbox-" ID);
	is_int(write_held(ID, &h), 0, "written");
	is_int(held_read(bfd, ID, ID, &got), 0, "read back");
	ok(memcmp(&got, &h, sizeof(h)) == 0, "the same description, whole");

	is_int(held_read(bfd, ID2, ID2, &got), -ENOENT, "a directory without one: -ENOENT");
	is_int(got.what, 0, "... which holds nothing");
	is_str(got.id, ID2, "... of its id");

	/* read for another id than the file names: the name-only fallback */
	is_int(held_read(bfd, ID, ID2, &got), -EBADMSG, "the description of another id: -EBADMSG");
	is_int(got.what, HELD_VETH | HELD_EGRESS, "... read as what the id names (veth, table)");
	is_str(got.id, ID2, "... of the directory's id");
	is_int(got.cg.n, 0, "... and no cgroups");

	static const char *const bad[] = { "truncate", "magic", "chmod", "symlink" };
	static const int want[] = { -EBADMSG, -EBADMSG, -EPERM, -ELOOP };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		write_held(ID, &h);
		file_op(ID, bad[i]);
		int r = held_read(bfd, ID, ID, &got);
		is_int(r, want[i], "%s: not trusted", bad[i]);
		is_int(got.what, HELD_VETH | HELD_EGRESS, "%s: only what the id names", bad[i]);
	}

	h.what = 0xff00 | HELD_EGRESS;
	write_held(ID, &h);
	held_read(bfd, ID, ID, &got);
	is_int(got.what, HELD_EGRESS, "bits it does not know are dropped");
	h.cg.n = 7;
	h.what = HELD_CGROUPS;
	write_held(ID, &h);
	held_read(bfd, ID, ID, &got);
	is_int(got.cg.n, 0, "a cgroup count past the array is none");

	/* cgroups: only a box's own directory below /sys/fs/cgroup is ever removed */
	static const char *const foreign[][2] = {
		{ "", "/nsbox-" ID },                     /* not below /sys/fs/cgroup */
		{ "/sys/fs/cgroup/../..", "/nsbox-" ID }, /* out of it by .. */
		{ "/sys/fs/cgroup/./..", "/nsbox-" ID },
		{ "", "/nsbox-" ID2 },                    /* another box's name */
	};
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/nsbox-" ID, root);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/nsbox-" ID2, root);
	mkdir(dir, 0700);
	for (size_t i = 0; i < ARRAY_SIZE(foreign); i++) {
		struct box_held c = { .id = ID, .what = HELD_CGROUPS, .cg.n = 1 };
		snprintf(c.cg.dir[0], sizeof(c.cg.dir[0]), "%s%s%s", foreign[i][0], root,
			 foreign[i][1]);
		is_int(held_cgroups_remove(&c), 0, "not ours, skipped: %s", c.cg.dir[0]);
	}
	snprintf(dir, sizeof(dir), "%s/nsbox-" ID, root);
	ok(access(dir, F_OK) == 0, "none of them was removed (%s)", dir);
	snprintf(dir, sizeof(dir), "%s/nsbox-" ID2, root);
	ok(access(dir, F_OK) == 0, "none of them was removed (%s)", dir);
	struct box_held gone = { .id = ID, .what = HELD_CGROUPS, .cg.n = 1 };
	snprintf(gone.cg.dir[0], sizeof(gone.cg.dir[0]), "/sys/fs/cgroup/nsbt-none/nsbox-" ID);
	is_int(held_cgroups_remove(&gone), 0, "ours, already gone: done");
	ok(gone.cg.n == 0 && !(gone.what & HELD_CGROUPS), "... and no longer held");

	close(bfd);
	bfd = -1;
	nftw(root, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
