// SPDX-License-Identifier: BSD-3-Clause
/*
 * fuse-hang: a FUSE file system that never answers, for the end-to-end tests (root, started by
 * a test script inside its private mount namespace; never installed). It speaks the raw
 * /dev/fuse protocol: answers FUSE_INIT and the root's GETATTR, then reads every other request
 * and never replies. A request the daemon has read is waited for uninterruptibly by the caller
 * (fs/fuse/dev.c request_wait_answer: "Either request is already in userspace, or it was
 * forced. Wait it out."), so a process that touches MOUNTPOINT/anything stays in D state, immune
 * to SIGKILL, until the connection is aborted (echo 1 > /sys/fs/fuse/connections/N/abort).
 *
 *   fuse-hang MOUNTPOINT READYFILE
 *
 * Mounts (allow_other, so a test user reaches it), writes "DEV COUNT\n" to READYFILE (DEV: the
 * connection number under /sys/fs/fuse/connections, the mount's minor device number; COUNT:
 * requests left unanswered so far, rewritten as each arrives), and serves until the connection
 * ends. Exit status: 0 when the connection was aborted or unmounted, 1 on error.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#ifndef FUSE_STATX
#define FUSE_STATX 52 /* protocol 7.39; older headers lack it, newer kernels send it anyway */
#endif

static char buf[FUSE_MIN_READ_BUFFER + 65536];

static int
reply(int fd, uint64_t unique, int error, const void *body, size_t len)
{
	struct fuse_out_header h = { .len = (uint32_t)(sizeof(h) + len), .error = error,
				     .unique = unique };
	char out[sizeof(h) + 256];

	if (len > 256)
		return -1;
	memcpy(out, &h, sizeof(h));
	if (len)
		memcpy(out + sizeof(h), body, len);
	return write(fd, out, sizeof(h) + len) == (ssize_t)(sizeof(h) + len) ? 0 : -1;
}

static void
report(const char *path, unsigned dev, unsigned hung)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		exit(1);
	fprintf(f, "%u %u\n", dev, hung);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		exit(1);
}

/* The connection's number under /sys/fs/fuse/connections: the mount's device (major 0), from
 * mountinfo; a stat of the mount point would ask this very daemon. */
static unsigned
conn_of(const char *mnt)
{
	char line[4096], where[4096];
	unsigned maj, min, found = 0;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		exit(1);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*u %*u %u:%u %*s %4095s", &maj, &min, where) == 3 &&
		    strcmp(where, mnt) == 0 && strstr(line, " - fuse.nsbox-hang "))
			found = (unsigned)makedev(maj, min);
	fclose(f);
	if (!found) {
		fprintf(stderr, "fuse-hang: %s not in mountinfo\n", mnt);
		exit(1);
	}
	return found;
}

int
main(int argc, char **argv)
{
	char opts[256], mnt[4096];
	unsigned hung = 0, conn;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: fuse-hang MOUNTPOINT READYFILE\n");
		return 2;
	}
	if (!realpath(argv[1], mnt)) {
		perror("fuse-hang: mount point");
		return 1;
	}
	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("fuse-hang: /dev/fuse");
		return 1;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40755,user_id=0,group_id=0,allow_other", fd);
	if (mount("nsbox-hang", mnt, "fuse.nsbox-hang", MS_NOSUID | MS_NODEV, opts) < 0) {
		perror("fuse-hang: mount");
		return 1;
	}
	conn = conn_of(mnt);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EINTR || errno == ENOENT))
			continue; /* ENOENT: a request was interrupted before we read it */
		if (n < 0 && (errno == ENODEV || errno == ECONNABORTED))
			return 0; /* unmounted or aborted */
		if (n < 0) {
			perror("fuse-hang: read");
			return 1;
		}
		if ((size_t)n < sizeof(struct fuse_in_header))
			return 1;
		const struct fuse_in_header *in = (const struct fuse_in_header *)buf;
		if (in->opcode == FUSE_INIT) {
			struct fuse_init_out o = { .major = FUSE_KERNEL_VERSION, .minor = 31,
						   .max_readahead = 65536, .max_write = 65536 };
			if (reply(fd, in->unique, 0, &o, sizeof(o)) < 0)
				return 1;
			report(argv[2], conn, hung);
			continue;
		}
		/* ENOSYS: the kernel asks GETATTR from then on (kernels >= 6.6 try STATX first) */
		if (in->opcode == FUSE_STATX && in->nodeid == FUSE_ROOT_ID) {
			if (reply(fd, in->unique, -ENOSYS, NULL, 0) < 0)
				return 1;
			continue;
		}
		if (in->opcode == FUSE_GETATTR && in->nodeid == FUSE_ROOT_ID) {
			struct fuse_attr_out o = { .attr_valid = 0 };
			o.attr.ino = FUSE_ROOT_ID;
			o.attr.mode = S_IFDIR | 0755;
			o.attr.nlink = 2;
			if (reply(fd, in->unique, 0, &o, sizeof(o)) < 0)
				return 1;
			continue;
		}
		/* no reply expected for these; an INTERRUPT is ignored on purpose */
		if (in->opcode == FUSE_INTERRUPT || in->opcode == FUSE_FORGET ||
		    in->opcode == FUSE_BATCH_FORGET || in->opcode == FUSE_DESTROY)
			continue;
		/* the one behaviour under test: read it, never answer */
		report(argv[2], conn, ++hung);
	}
}
