// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the mount plan executor (helper/mount.c): every kind of operation, the step named
 * in an error, optional targets, and that a symlink in a target is refused unless MNT_F_FOLLOW.
 * Needs root: runs in a child in its own mount namespace (made a slave by the plan's first
 * entry), on a mkdtemp directory under /tmp. Output: TAP. */

#include "../../helper/mount.c"

#include <dirent.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <ftw.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include "tap.h"

static char base[64];

static void
path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", base, name);
}

static void
put(const char *name, const char *text)
{
	char p[128];
	FILE *f;

	path(p, sizeof(p), name);
	f = fopen(p, "we");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

/* Bytes read from NAME (-errno when it cannot be opened). */
static long
size_of(const char *name)
{
	char p[128], buf[64];
	long n = 0;
	ssize_t k;

	path(p, sizeof(p), name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while ((k = read(fd, buf, sizeof(buf))) > 0)
		n += k;
	close(fd);
	return n;
}

/* 0 when NAME can be created/opened for writing, else -errno. */
static int
writable(const char *name)
{
	char p[128];
	int fd;

	path(p, sizeof(p), name);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	return 0;
}

/* 1 when NAME is a mount point of its own (another device than the test's base directory, which
 * may itself be a tmpfs: /tmp is one on Debian 13), 0 when not, -errno. */
static int
mounted(const char *name)
{
	char p[128];
	struct stat a, b;

	path(p, sizeof(p), name);
	if (stat(p, &a) < 0 || stat(base, &b) < 0)
		return -errno;
	return a.st_dev != b.st_dev;
}

/* Writes up to BYTES zeros into new file NAME: how many it wrote, or -errno when none. */
static long
fill(const char *name, long bytes)
{
	static const char zero[4096];
	char p[128];
	long done = 0;

	path(p, sizeof(p), name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	while (done < bytes) {
		ssize_t k = write(fd, zero, (size_t)(bytes - done) < sizeof(zero) ? (size_t)(bytes - done)
										      : sizeof(zero));
		if (k <= 0)
			break;
		done += k;
	}
	int e = errno;
	close(fd);
	return done ? done : -e;
}

static long
fs_magic(const char *name)
{
	char p[128];
	struct statfs st;

	path(p, sizeof(p), name);
	return statfs(p, &st) < 0 ? -errno : (long)st.f_type;
}

/* One plan of one operation (after making / a slave once). */
static int
run1(enum mnt_kind k, const char *target, unsigned flags, unsigned attr, const char *source,
     const char *data, char *step, size_t n)
{
	struct mnt_plan p = { .n = 0 };
	char t[128], s[128];

	path(t, sizeof(t), target);
	if (source)
		path(s, sizeof(s), source);
	if (mnt_plan_add(&p, k, t, flags, attr, source ? s : NULL, data, NULL) < 0)
		return -E2BIG;
	step[0] = 0;
	return mnt_plan_run(&p, step, n);
}

/* Linux before 5.12 has no mount_setattr: a seccomp filter makes it fail with ENOSYS, and the
 * same operations must still end with the same attributes. */
static void
old_kernel(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_mount_setattr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };
	char step[64], a[128], b[128];

	ok(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0, "old kernel: no mount_setattr");
	struct mount_attr ma = { .attr_set = MOUNT_ATTR_RDONLY };
	ok(mount_setattr(AT_FDCWD, "/", 0, &ma, sizeof(ma)) < 0 && errno == ENOSYS,
	   "old kernel: mount_setattr fails with ENOSYS");
	struct mnt_plan p = { .n = 0 };
	mnt_plan_add(&p, MNT_SLAVE, "/", 0, 0, NULL, NULL, NULL);
	is_int(mnt_plan_run(&p, step, sizeof(step)), 0, "old kernel: / made a slave mount");

	path(a, sizeof(a), "old");
	mkdir(a, 0700);
	is_int(run1(MNT_TMPFS, "old", 0, MOUNT_ATTR_NOSUID, NULL, NULL, step, sizeof(step)), 0,
	       "old kernel: tmpfs mounted");
	is_int(writable("old/x"), 0, "old kernel: writable");
	is_int(run1(MNT_RDONLY, "old", 0, 0, NULL, NULL, step, sizeof(step)), 0,
	       "old kernel: made read-only");
	is_int(writable("old/y"), -EROFS, "old kernel: writing fails with EROFS");
	struct statvfs sv;
	ok(statvfs(a, &sv) == 0 && (sv.f_flag & ST_NOSUID), "old kernel: nosuid kept by the remount");

	put("file3", "host's\n");
	is_int(run1(MNT_BIND, "file3", 0, MOUNT_ATTR_RDONLY, "src", NULL, step, sizeof(step)), 0,
	       "old kernel: read-only bind");
	is_int(size_of("file3"), 21, "old kernel: the bound file shows the source");
	is_int(writable("file3"), -EROFS, "old kernel: and cannot be written");
	put("secret2", "password\n");
	is_int(run1(MNT_COVER, "secret2", 0, 0, NULL, NULL, step, sizeof(step)), 0,
	       "old kernel: file covered");
	is_int(size_of("secret2"), 0, "old kernel: a covered file reads empty");
	is_int(run1(MNT_RDONLY, "old", MNT_F_RECURSIVE, 0, NULL, NULL, step, sizeof(step)), -ENOSYS,
	       "old kernel: a recursive read-only remount is refused, not done halfway");
	path(a, sizeof(a), "old1");
	path(b, sizeof(b), "old2");
	mkdir(a, 0755);
	mkdir(b, 0755);
	is_int(run1(MNT_TMPFS_SPLIT, "old1", 0, MOUNT_ATTR_NOSUID, "old2", "mode=0700,size=1m", step,
		    sizeof(step)), 0, "old kernel: split tmpfs mounted (it needs no mount_setattr)");
	ok(statvfs(a, &sv) == 0 && (sv.f_flag & ST_NOSUID), "old kernel: the split's places are nosuid");
}

static int
tests(void)
{
	struct mnt_plan p = { .n = 0 };
	char step[64], want[160], a[128], b[128];

	path(a, sizeof(a), "dir");
	path(b, sizeof(b), "dir2");
	ok(mkdir(a, 0700) == 0 && mkdir(b, 0700) == 0, "directories made");
	mnt_plan_add(&p, MNT_SLAVE, "/", 0, 0, NULL, NULL, "making / a slave mount");
	is_int(mnt_plan_run(&p, step, sizeof(step)), 0, "/ made a slave mount");

	is_int(run1(MNT_TMPFS, "dir", 0, MOUNT_ATTR_NOSUID, NULL, "mode=0700,size=1m", step,
		    sizeof(step)), 0, "tmpfs mounted");
	is_int(fs_magic("dir"), TMPFS_MAGIC, "the directory is a tmpfs now");
	is_int(mounted("dir"), 1, "a mount of its own");
	is_int(writable("dir/x"), 0, "and writable");
	is_int(run1(MNT_RDONLY, "dir", 0, 0, NULL, NULL, step, sizeof(step)), 0, "made read-only");
	is_int(writable("dir/y"), -EROFS, "read-only remount: writing fails with EROFS");

	/* A symlink anywhere in the target: refused, and the error names the step. */
	path(a, sizeof(a), "dir2");
	path(b, sizeof(b), "link");
	ok(symlink(a, b) == 0, "symlink link -> dir2 planted");
	is_int(run1(MNT_TMPFS, "link", 0, 0, NULL, NULL, step, sizeof(step)), -ELOOP,
	       "tmpfs over a symlink: -ELOOP");
	snprintf(want, sizeof(want), "mounting %s", b);
	is_str(step, want, "the failing step is named");
	is_int(mounted("dir2"), 0, "nothing mounted where the symlink points");
	is_int(run1(MNT_TMPFS, "link/", MNT_F_OPTIONAL, 0, NULL, NULL, step, sizeof(step)), 0,
	       "optional target that is a symlink: skipped");
	is_int(run1(MNT_TMPFS, "missing", MNT_F_OPTIONAL, 0, NULL, NULL, step, sizeof(step)), 0,
	       "optional missing target: skipped");
	is_int(run1(MNT_TMPFS, "missing", 0, 0, NULL, NULL, step, sizeof(step)), -ENOENT,
	       "required missing target: -ENOENT");
	/* Probe: the same mount with MNT_F_FOLLOW goes through the link. */
	is_int(run1(MNT_TMPFS, "link", MNT_F_FOLLOW, 0, NULL, NULL, step, sizeof(step)), 0,
	       "probe: with MNT_F_FOLLOW the symlink is followed");
	is_int(mounted("dir2"), 1, "probe: and the mount lands on its target");
	is_int(fs_magic("dir2"), TMPFS_MAGIC, "probe: a tmpfs");

	put("src", "nameserver 10.0.0.53\n");
	put("file", "host's\n");
	is_int(run1(MNT_BIND, "file", 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC, "src", NULL, step,
		    sizeof(step)), 0, "read-only bind");
	is_int(size_of("file"), 21, "the bound file shows the source");
	is_int(writable("file"), -EROFS, "and cannot be written");
	path(a, sizeof(a), "link2");
	ok(symlink("/etc/passwd", a) == 0, "symlink link2 -> /etc/passwd planted");
	is_int(run1(MNT_BIND, "file", 0, 0, "link2", NULL, step, sizeof(step)), -ELOOP,
	       "a bind source that is a symlink: -ELOOP");

	put("secret", "password\n");
	is_int(run1(MNT_COVER, "secret", 0, 0, NULL, NULL, step, sizeof(step)), 0, "file covered");
	is_int(size_of("secret"), 0, "a covered file reads empty");
	path(a, sizeof(a), "hidden");
	mkdir(a, 0700);
	put("hidden/key", "x");
	is_int(run1(MNT_COVER, "hidden", 0, 0, NULL, NULL, step, sizeof(step)), 0, "dir covered");
	is_int(size_of("hidden/key"), -ENOENT, "a covered directory shows nothing");
	is_int(writable("hidden/new"), -EROFS, "and takes nothing");

	is_int(run1(MNT_PROC, "procdir", MNT_F_OPTIONAL, 0, NULL, NULL, step, sizeof(step)), 0,
	       "optional proc on a missing directory: skipped");
	path(a, sizeof(a), "procdir");
	mkdir(a, 0700);
	is_int(run1(MNT_PROC, "procdir", MNT_F_FRESH, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
		    MOUNT_ATTR_NOEXEC, NULL, NULL, step, sizeof(step)), 0, "fresh proc mounted");
	is_int(fs_magic("procdir"), PROC_SUPER_MAGIC, "it is a proc");

	/* One tmpfs for two places (/tmp and /var/tmp): one budget, each a sticky directory. */
	path(a, sizeof(a), "t1");
	path(b, sizeof(b), "t2");
	ok(mkdir(a, 0755) == 0 && mkdir(b, 0755) == 0, "split: two directories");
	put("t1/host", "host's\n");
	is_int(run1(MNT_TMPFS_SPLIT, "t1", 0, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, "t2",
		    "mode=0700,size=1m,nr_inodes=64", step, sizeof(step)), 0, "split tmpfs mounted");
	struct stat s1, s2;
	ok(stat(a, &s1) == 0 && stat(b, &s2) == 0 && s1.st_dev == s2.st_dev,
	   "split: both places are one file system");
	is_int(fs_magic("t1"), TMPFS_MAGIC, "split: a tmpfs");
	is_int(mounted("t1") + mounted("t2"), 2, "split: each place a mount of its own");
	ok((s1.st_mode & 07777) == 01777 && (s2.st_mode & 07777) == 01777,
	   "split: each place mode 1777 (%o, %o)", s1.st_mode & 07777, s2.st_mode & 07777);
	ok(s1.st_ino != s2.st_ino, "split: two directories of it, not one");
	is_int(size_of("t1/host"), -ENOENT, "split: what the place held before is hidden");
	DIR *dir = opendir(a);
	int entries = 0;
	for (struct dirent *e; dir && (e = readdir(dir));)
		entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (dir)
		closedir(dir);
	is_int(entries, 0, "split: the first place shows nothing of the second");
	struct statvfs sv1;
	ok(statvfs(a, &sv1) == 0 && (sv1.f_flag & ST_NOSUID) && (sv1.f_flag & ST_NODEV),
	   "split: nosuid and nodev on the places");
	is_int(fill("t1/big", 700 << 10), 700 << 10, "split: 700 KiB into the first place");
	ok(fill("t2/big", 700 << 10) < 700 << 10, "split: the second stops at what the 1 MiB budget has left");
	is_int(run1(MNT_TMPFS_SPLIT, "t1", 0, 0, "t-missing", "mode=0700,size=1m", step,
		    sizeof(step)), 0, "split with the second place missing: the first alone");
	is_int(writable("t1/x"), 0, "and it is writable");
	is_int(run1(MNT_TMPFS_SPLIT, "t-missing", 0, 0, "t2", "mode=0700,size=1m", step,
		    sizeof(step)), -ENOENT, "split with the first place missing: -ENOENT");

	old_kernel();

	p.n = MNT_PLAN_MAX;
	is_int(mnt_plan_add(&p, MNT_TMPFS, "/x", 0, 0, NULL, NULL, NULL), -E2BIG, "a full plan: -E2BIG");
	return tap_done();
}

static int
rm_one(const char *p, const struct stat *st, int type, struct FTW *f)
{
	(void)st;
	(void)f;
	return type == FTW_DP ? rmdir(p) : unlink(p);
}

int
main(void)
{
	int st;

	if (tap_skip_unless_root("mount namespaces"))
		return tap_skip_status();
	snprintf(base, sizeof(base), "/tmp/test_mount.XXXXXX");
	if (!mkdtemp(base))
		return 1;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) < 0) {
			printf("not ok 1 - unshare(CLONE_NEWNS): %s\n1..1\n", strerror(errno));
			fflush(stdout);
			_exit(1);
		}
		int r = tests();
		fflush(stdout);
		_exit(r);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	/* The child's mount namespace died with it: only plain files are left. */
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
