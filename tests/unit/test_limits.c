// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for where a box's limits go (helper/limits.c): which hierarchy holds a controller
 * (cgroup v1, or v2 where the login's cgroup enables it for its children), the login's own
 * cgroup there, a container's subtree mount, and word matching in controller lists ("cpu" is
 * neither "cpuset" nor "cpuacct"). Runs unprivileged on a mkdtemp tree standing in for
 * /sys/fs/cgroup. Output: TAP. */

#include "../../helper/limits.c"

#include <ftw.h>

#include "tap.h"

/* What limits.c calls beyond its own file, for the parts under test here (none is reached). */
int
err_set(struct nsbox_err *e, int r, const char *fmt, ...)
{
	(void)e;
	(void)fmt;
	return r;
}

int
unit_attach(const char *name, pid_t pid)
{
	(void)name;
	(void)pid;
	return -ENOSYS;
}

int
proc_comm_ppid(pid_t pid, char *comm, size_t n, pid_t *ppid)
{
	(void)pid;
	(void)comm;
	(void)n;
	(void)ppid;
	return -ENOSYS;
}

static char base[64];

/* Makes BASE/REL (and its parents) with a cgroup.subtree_control holding CTLS. */
static void
cgroup_dir(const char *rel, const char *ctls)
{
	char p[PATH_MAX], cmd[PATH_MAX + 16];
	FILE *f;

	snprintf(p, sizeof(p), "%s%s", base, rel);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", p);
	if (system(cmd) != 0)
		abort();
	strcat(p, "/cgroup.subtree_control");
	f = fopen(p, "we");
	if (!f || fputs(ctls, f) < 0 || fclose(f) != 0)
		abort();
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

/* locate() for controller NAME: its status, and DIR into OUT. */
static int
where(const char *mountinfo, const char *cgfile, const char *name, char *out, size_t n, bool *v2)
{
	for (size_t i = 0; i < ARRAY_SIZE(ctl_names); i++)
		if (!strcmp(ctl_names[i], name))
			return locate(mountinfo, cgfile, i, out, n, v2);
	abort();
}

int
main(void)
{
	char mi[4096], dir[PATH_MAX], want[PATH_MAX];
	bool v2;
	int r;

	snprintf(base, sizeof(base), "/tmp/nsbox-limits.XXXXXX");
	if (!mkdtemp(base))
		abort();

	/* ---- word matching ---- */
	ok(has_word("cpu,cpuacct", "cpu"), "v1 list: cpu in cpu,cpuacct");
	ok(has_word("cpu,cpuacct", "cpuacct"), "v1 list: cpuacct in cpu,cpuacct");
	ok(!has_word("cpuset,cpuacct", "cpu"), "v1 list: cpu is not cpuset nor cpuacct");
	ok(has_word("cpuset memory pids\n", "pids"), "subtree_control: last word before the newline");
	ok(!has_word("cpuset memory pids\n", "cpu"), "subtree_control: cpu is not cpuset");
	ok(!has_word("", "cpu"), "empty list holds nothing");
	ok(has_word("rw,nosuid,memory", "memory"), "mount options: memory");
	ok(!has_word("rw,nosuid,memory_recursiveprot", "memory"),
	   "mount options: memory is not memory_recursiveprot");

	/* ---- pure v2: enabled below the login's cgroup, or not ---- */
	snprintf(mi, sizeof(mi),
		 "25 1 0:22 / /proc rw - proc proc rw\n"
		 "36 25 0:31 / %s rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
		 "rw,nsdelegate,memory_recursiveprot\n", base);
	cgroup_dir("/user.slice/session-4.scope", "cpuset memory pids\n");
	const char *cg2 = "0::/user.slice/session-4.scope\n";
	snprintf(want, sizeof(want), "%s/user.slice/session-4.scope", base);
	r = where(mi, cg2, "memory", dir, sizeof(dir), &v2);
	ok(r == 0 && v2, "v2: memory found in the login's cgroup (%d)", r);
	is_str(dir, want, "v2: the login's own cgroup directory");
	ok(where(mi, cg2, "pids", dir, sizeof(dir), &v2) == 0, "v2: pids found");
	is_int(where(mi, cg2, "cpu", dir, sizeof(dir), &v2), -ENOENT,
	       "v2: cpu not enabled (cpuset is) is not there");
	cgroup_dir("/user.slice/session-5.scope", "");
	is_int(where(mi, "0::/user.slice/session-5.scope\n", "memory", dir, sizeof(dir), &v2),
	       -ENOENT, "v2: nothing enabled below the login's cgroup: not there");
	is_int(where(mi, "0::/user.slice/session-6.scope\n", "memory", dir, sizeof(dir), &v2),
	       -ENOENT, "v2: the login's cgroup missing: not there");

	/* ---- hybrid: a controller bound to v1 is looked for there, not in v2 ---- */
	snprintf(mi, sizeof(mi),
		 "30 25 0:26 / /sys/fs/cgroup/cpu,cpuacct rw shared:12 - cgroup cgroup "
		 "rw,nosuid,cpu,cpuacct\n"
		 "31 25 0:27 / /sys/fs/cgroup/cpuset rw shared:13 - cgroup cgroup rw,cpuset\n"
		 "36 25 0:31 / %s rw shared:9 - cgroup2 cgroup2 rw\n", base);
	const char *cgh = "5:cpuset:/\n4:cpu,cpuacct:/user.slice/s1\n0::/user.slice/session-4.scope\n";
	r = where(mi, cgh, "cpu", dir, sizeof(dir), &v2);
	ok(r == 0 && !v2, "hybrid: cpu is in its v1 hierarchy (%d)", r);
	is_str(dir, "/sys/fs/cgroup/cpu,cpuacct/user.slice/s1", "hybrid: the login's v1 cgroup");
	snprintf(mi + strlen(mi), sizeof(mi) - strlen(mi),
		 "39 25 0:36 / /sys/fs/cgroup/pids rw shared:14 - cgroup cgroup rw,pids\n");
	r = where(mi, "8:pids:/\n", "pids", dir, sizeof(dir), &v2);
	ok(r == 0 && !v2, "v1: the login in the hierarchy's root (%d)", r);
	is_str(dir, "/sys/fs/cgroup/pids", "v1: the root's directory, without a trailing slash");
	r = where(mi, cgh, "memory", dir, sizeof(dir), &v2);
	ok(r == 0 && v2, "hybrid: memory, bound to no v1 hierarchy, is in v2 (%d)", r);
	is_str(dir, want, "hybrid: the login's v2 cgroup for memory");

	/* ---- a container's mount of a subtree shows paths below its root ---- */
	snprintf(mi, sizeof(mi), "36 25 0:31 /lxc/ct1 %s rw - cgroup2 cgroup2 rw\n", base);
	r = where(mi, "0::/lxc/ct1/user.slice/session-4.scope\n", "memory", dir, sizeof(dir), &v2);
	ok(r == 0, "subtree mount: the path below the mount's root (%d)", r);
	is_str(dir, want, "subtree mount: found under the mount point");
	is_int(where(mi, "0::/lxc/ct10/user.slice/session-4.scope\n", "memory", dir, sizeof(dir),
		     &v2),
	       -ENOENT, "subtree mount: /lxc/ct10 is not below /lxc/ct1");
	is_int(where(mi, "0::/other\n", "memory", dir, sizeof(dir), &v2), -ENOENT,
	       "subtree mount: a cgroup outside the mount is not there");

	/* ---- nothing mounted ---- */
	is_int(where("25 1 0:22 / /proc rw - proc proc rw\n", cg2, "memory", dir, sizeof(dir), &v2),
	       -ENOENT, "no cgroup mount: not there");

	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
