// SPDX-License-Identifier: BSD-3-Clause
/* Process identity and liveness from /proc/PID/stat, for nsbox-helper, nsboxctl (root) and the
 * unit tests (any user). A failure to read is an error, never a verdict that the process died. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "nsbox/cleanup.h"
#include "nsbox/ns.h"
#include "nsbox/paths.h"
#include "nsbox/proto.h"
#include "proc.h"

int
proc_stat_parse(const char *buf, unsigned long long *start, char *state)
{
	const char *p = strrchr(buf, ')');
	char *end;

	/* comm (field 2) may hold anything, ')' included: fields 3.. follow the last ')'. */
	if (!p || p[1] != ' ' || !p[2])
		return -EIO;
	*state = p[2];
	for (int field = 3; field <= 22; field++) {
		p = strchr(p, ' ');
		if (!p)
			return -EIO;
		p++;
	}
	if (*p < '0' || *p > '9')
		return -EIO;
	errno = 0;
	*start = strtoull(p, &end, 10);
	if (errno || end == p || (*end != ' ' && *end != '\n' && *end != '\0'))
		return -EIO;
	return 0;
}

/* The text of PATH (a /proc/PID/stat), into BUF of N bytes. */
static int
proc_stat_text(const char *path, char *buf, size_t n)
{
	size_t len = 0;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	int r = read_full(fd, buf, n - 1, &len);
	if (r < 0)
		return r; /* -ESRCH when it was reaped after the open */
	if (len == 0)
		return -ESRCH;
	buf[len] = '\0';
	return 0;
}

static int
proc_read_stat(pid_t pid, unsigned long long *start, char *state)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int r = proc_stat_text(path, buf, sizeof(buf));
	return r < 0 ? r : proc_stat_parse(buf, start, state);
}

/* Numeric FIELD (> 3) of a /proc/PID/stat text, counted after the last ')' as proc_stat_parse
 * counts; 0 or -EIO. */
static int
stat_field(const char *buf, int field, unsigned long long *v)
{
	const char *p = strrchr(buf, ')');
	char *end;

	for (int f = 3; p && f <= field; f++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		return -EIO;
	errno = 0;
	*v = strtoull(p, &end, 10);
	return errno || end == p ? -EIO : 0;
}

int
proc_self(struct nsbox_proc *out, unsigned long long *sigignore)
{
	char buf[4096], state;
	int r = proc_stat_text("/proc/self/stat", buf, sizeof(buf));

	if (r < 0)
		return r;
	r = proc_stat_parse(buf, &out->start, &state);
	if (r < 0)
		return r;
	out->pid = getpid();
	return stat_field(buf, 33, sigignore); /* sigignore */
}

int
proc_set_title(const char *name)
{
	char buf[4096];
	unsigned long long start, end;
	int r = proc_stat_text("/proc/self/stat", buf, sizeof(buf));

	prctl(PR_SET_NAME, name);
	if (r < 0)
		return r;
	/* fields 48 and 49: where the kernel reads /proc/self/cmdline from (since Linux 3.5) */
	if (stat_field(buf, 48, &start) < 0 || stat_field(buf, 49, &end) < 0 || end <= start)
		return -EIO;
	char *args = (char *)(uintptr_t)start;
	size_t n = end - start;
	/* the kernel shows the area up to its first NUL when the last byte is one: zero it all */
	memset(args, 0, n);
	memcpy(args, name, strnlen(name, n - 1));
	return 0;
}

int
proc_id(pid_t pid, struct nsbox_proc *out)
{
	char state;

	if (pid <= 0)
		return -EINVAL;
	out->pid = pid;
	return proc_read_stat(pid, &out->start, &state);
}

int
proc_alive(const struct nsbox_proc *p)
{
	unsigned long long start;
	char state;
	int r;

	if (!p || p->pid <= 0)
		return 0;
	r = proc_read_stat(p->pid, &start, &state);
	if (r == -ESRCH)
		return 0;
	if (r < 0)
		return r;
	/* A zombie has exited and lost its namespaces; only its pid is still reserved. */
	return start == p->start && state != 'Z' && state != 'X';
}

/* 1 when one of the caller's namespaces is a live box's: the namespace index names it (an entry
 * is made before anything of a session runs in the box and removed before its namespaces can
 * end), and that box's supervisor still holds its directory's lock (else the entry is stale, its
 * inode number maybe another namespace's by now). 0 when none is; -errno. */
static int
in_box_namespace(void)
{
	_cleanup_close_ int nfd = open_private_dir(NSBOX_NS_DIR), bfd = -1;
	char path[64], name[64], id[NSBOX_ID_LEN + 2];
	struct stat st;

	if (nfd < 0)
		return nfd == -ENOENT ? 0 : nfd;
	for (size_t i = 0; i < NSBOX_N_NS; i++) {
		snprintf(path, sizeof(path), "/proc/self/ns/%s", nsbox_ns_table[i].proc);
		if (stat(path, &st) < 0)
			return -errno;
		snprintf(name, sizeof(name), NSBOX_NS_ENTRY, nsbox_ns_table[i].proc,
			 (unsigned long long)st.st_ino);
		ssize_t n = readlinkat(nfd, name, id, sizeof(id) - 1);
		if (n < 0 && errno == ENOENT)
			continue;
		if (n < 0)
			return -errno;
		id[n] = 0;
		if (strchr(id, '/') || id[0] == '.')
			continue; /* not an id: nothing of ours */
		if (bfd < 0 && (bfd = open_private_dir(NSBOX_BOXES_DIR)) < 0)
			return bfd == -ENOENT ? 0 : bfd;
		int r = dir_lock_held(bfd, id);
		if (r != -ENOENT && r != 0)
			return r;
	}
	return 0;
}

int
proc_on_host(void)
{
	char comm[32] = "";
	ssize_t n;
	_cleanup_close_ int fd = -1;
	struct stat st;

	/* /proc/self resolves only in a procfs of our own pid namespace */
	if (stat("/proc/self/ns/pid", &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	/* PID 1 of a box's pid namespace: seen even when the box hides /run/nsbox */
	fd = open("/proc/1/comm", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, comm, sizeof(comm) - 1);
	if (n < 0)
		return -errno;
	comm[n] = 0;
	if (strcmp(comm, "nsbox-init\n") == 0)
		return 0;
	/* a box without a pid namespace keeps the host's /proc: only the namespaces tell */
	int r = in_box_namespace();
	return r < 0 ? r : !r;
}

int
proc_comm_ppid(pid_t pid, char *comm, size_t n, pid_t *ppid)
{
	char path[64], buf[4096];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	comm[0] = 0;
	*ppid = 0;
	while (fgets(buf, sizeof(buf), f)) {
		if (!strncmp(buf, "Name:\t", 6)) {
			buf[strcspn(buf, "\n")] = 0;
			snprintf(comm, n, "%.*s", (int)(n - 1), buf + 6);
		} else if (!strncmp(buf, "PPid:\t", 6))
			*ppid = atoi(buf + 6);
	}
	fclose(f);
	return 0;
}

int
proc_pidfd_pid(int fd)
{
	char path[64], buf[1024];
	size_t len = 0;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	_cleanup_close_ int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0 || read_full(f, buf, sizeof(buf) - 1, &len) < 0)
		return 0;
	buf[len] = 0;
	const char *p = strstr(buf, "\nPid:");
	return p ? atoi(p + 6) : 0;
}
