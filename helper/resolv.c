/* A box's own resolv.conf, written by nsbox-helper's supervisor (root) into the box's directory
 * and bound read-only over the box's /etc/resolv.conf through a one-entry mount plan run by a
 * short child in the box's mount namespace; the host's file is never written. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>

#include "helper.h"
#include "mount.h"
#include "nsbox/cleanup.h"

static int
write_resolv(const char *path, const struct nsbox_ip *dns, unsigned ndns,
	     char search[][254], unsigned nsearch)
{
	/* In place, never by rename: the box has this inode bind-mounted. */
	_cleanup_fclose_ FILE *f = file_create(AT_FDCWD, path, 0644);

	if (!f)
		return -errno;
	fprintf(f, "# written by nsbox-helper for this box\n");
	for (unsigned i = 0; i < ndns; i++) {
		char ip[INET6_ADDRSTRLEN];
		nsbox_ip_text(&dns[i], ip, sizeof(ip));
		fprintf(f, "nameserver %s\n", ip);
	}
	if (nsearch) {
		fprintf(f, "search");
		for (unsigned i = 0; i < nsearch; i++)
			fprintf(f, " %s", search[i]);
		fprintf(f, "\n");
	}
	return file_flush(f);
}

static int
bind_resolv(void *arg, struct inside_result *res)
{
	return mnt_plan_run(arg, res->step, sizeof(res->step));
}

int
resolv_apply(const struct box *b, const struct nsbox_ip *dns, unsigned ndns,
	     char search[][254], unsigned nsearch, struct nsbox_why *why)
{
	struct mnt_plan plan = { .n = 0 };
	char path[128];
	int r;

	if (!ndns && !nsearch)
		return 0; /* nothing to say: the box keeps the host's resolver settings */
	r = box_path(b->id, BOX_RESOLV, path, sizeof(path));
	if (r == 0)
		r = write_resolv(path, dns, ndns, search, nsearch);
	if (r < 0) {
		why_set(why, "writing %s: %s", path, strerror(-r));
		return r;
	}
	/* Over /etc/resolv.conf even through a symlink (systemd-resolved's): /etc is root's. */
	r = mnt_plan_add(&plan, MNT_BIND, "/etc/resolv.conf", MNT_F_FOLLOW,
			 MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC,
			 path, NULL, "mounting the box's resolv.conf");
	if (r < 0) {
		why_set(why, "planning the resolv.conf mount: %s", strerror(-r));
		return r;
	}
	return run_inside(b, CLONE_NEWNS, bind_resolv, &plan, why);
}
