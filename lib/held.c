// SPDX-License-Identifier: BSD-3-Clause
/* What a box holds on the host, written by its supervisor and freed by it, its sweeper or the gc
 * (nsbox-helper, nsboxctl; root): see held.h. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "held.h"
#include "lease.h"
#include "netlink.h"
#include "nsbox/cleanup.h"
#include "record.h"

/* The file: this header, then struct box_held as this build lays it out, rewritten whole at
 * offset 0 by one pwrite at each held_add. Nobody reads it while it is written: only the
 * supervisor writes it, and the others read it once the supervisor is dead. A build whose layout
 * differs (another size, after an upgrade) does not trust it (held_read). */
struct held_disk {
	char magic[8];
	uint32_t size;
	uint32_t pad;
	struct box_held h;
};
static const char held_magic[8] = "nsboxH1";

void
held_veth_name(const char *id, char *out, size_t n)
{
	snprintf(out, n, "nsb%s", id);
}

static int
held_write(const struct held_file *f)
{
	struct held_disk d = { .size = sizeof(d.h), .h = f->h };

	memcpy(d.magic, held_magic, sizeof(d.magic));
	ssize_t k = pwrite(f->fd, &d, sizeof(d), 0);
	return k == (ssize_t)sizeof(d) ? 0 : k < 0 ? -errno : -EIO;
}

void
held_start(struct held_file *f, const char *id)
{
	memset(&f->h, 0, sizeof(f->h));
	snprintf(f->h.id, sizeof(f->h.id), "%s", id);
	f->fd = -1;
}

int
held_add(struct held_file *f, unsigned what)
{
	char path[sizeof(NSBOX_BOXES_DIR) + 1 + NSBOX_ID_LEN + 1 + sizeof(BOX_HELD)];

	f->h.what |= what;
	/* made with the first thing it names: a box that holds nothing costs no file */
	if (f->fd < 0) {
		if (!box_id_valid(f->h.id))
			return -EINVAL;
		snprintf(path, sizeof(path), NSBOX_BOXES_DIR "/%s/" BOX_HELD, f->h.id);
		f->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f->fd < 0)
			return -errno;
	}
	return held_write(f);
}

int
held_read(int bfd, const char *name, const char *id, struct box_held *h)
{
	struct held_disk d;
	struct stat st;
	char path[NAME_MAX + sizeof(BOX_HELD) + 2];

	memset(h, 0, sizeof(*h));
	snprintf(h->id, sizeof(h->id), "%s", id);
	snprintf(path, sizeof(path), "%s/" BOX_HELD, name);
	_cleanup_close_ int fd = openat(bfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	int r = 0;
	/* only the helper writes it: one anybody else could write might name any cgroup or pool */
	if (fd < 0 || fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
		r = -EPERM;
	else if (read(fd, &d, sizeof(d)) != (ssize_t)sizeof(d) ||
		 memcmp(d.magic, held_magic, sizeof(held_magic)) || d.size != sizeof(d.h) ||
		 strncmp(d.h.id, id, sizeof(d.h.id)))
		r = -EBADMSG;
	if (r < 0) {
		/* what the id alone names, which removing is harmless when it is not there */
		h->what = HELD_VETH | HELD_EGRESS;
		return r;
	}
	*h = d.h;
	snprintf(h->id, sizeof(h->id), "%s", id);
	h->what &= HELD_ALL;
	if (h->cg.n > sizeof(h->cg.dir) / sizeof(h->cg.dir[0]))
		h->cg.n = 0;
	for (size_t i = 0; i < sizeof(h->cg.dir) / sizeof(h->cg.dir[0]); i++)
		h->cg.dir[i][BOX_CGROUP_MAX - 1] = 0; /* printed in held_finish's message */
	return 0;
}

/* The table's removal, where a host without nf_tables has no table to remove. */
static int
egress_table_del(const char *id)
{
	char name[sizeof("nsbox-") + NSBOX_ID_LEN];

	snprintf(name, sizeof(name), "nsbox-%s", id);
	int r = nl_nft_table_del(NFPROTO_NETDEV, name);
	return r == -ENOENT || r == -EPROTONOSUPPORT || r == -EOPNOTSUPP ? 0 : r;
}

int
held_release(struct box_held *h, struct nsbox_err *err)
{
	char ifname[16];
	int r = 0, q;

	/* Deleting the host end takes the box's end with it, whether or not the box's processes
	 * have ended yet. ENODEV: the namespace went first and took the pair along. */
	held_veth_name(h->id, ifname, sizeof(ifname));
	if (h->what & HELD_VETH) {
		if ((q = nl_link_del(ifname)) < 0 && q != -ENODEV)
			r = err_set(err, q, "deleting veth '%s': %s", ifname, strerror(-q));
		else
			h->what &= ~HELD_VETH;
	}
	/* the table outlives the device its chain hooked: removed by name */
	if (h->what & HELD_EGRESS) {
		if ((q = egress_table_del(h->id)) < 0) {
			err_set(err, q, "removing the egress rules (table netdev nsbox-%s): %s",
				h->id, strerror(-q));
			r = r ? r : q;
		} else
			h->what &= ~HELD_EGRESS;
	}
	static const struct {
		unsigned bit;
		const char *name;
	} leases[] = { { HELD_LEASE4, "IPv4" }, { HELD_LEASE6, "IPv6" } };
	for (size_t i = 0; i < 2; i++) {
		if (!(h->what & leases[i].bit))
			continue;
		q = lease_release(NSBOX_LEASE_DIR, i ? &h->pool6 : &h->pool4, h->id);
		if (q < 0) {
			err_set(err, q, "releasing the %s lease: %s", leases[i].name, strerror(-q));
			r = r ? r : q;
		} else
			h->what &= ~leases[i].bit;
	}
	return r;
}

/* H's cgroup directories, deepest first, each only if it is box H->id's own below
 * /sys/fs/cgroup; stops at a busy one (-EBUSY), kept with the rest for a later try. */
static int
held_cgroups_remove(struct box_held *h)
{
	char want[sizeof("/nsbox-") + NSBOX_ID_LEN];

	if (!(h->what & HELD_CGROUPS))
		return 0;
	snprintf(want, sizeof(want), "/nsbox-%s", h->id);
	while (h->cg.n) {
		const char *d = h->cg.dir[h->cg.n - 1];
		const size_t l = strnlen(d, BOX_CGROUP_MAX), wl = strlen(want);
		/* only what the helper makes: a box's own directory below /sys/fs/cgroup */
		bool ours = l > wl && l < BOX_CGROUP_MAX && !strncmp(d, "/sys/fs/cgroup/", 15) &&
			    !strcmp(d + l - wl, want) && !strstr(d, "/../") && !strstr(d, "/./");
		if (ours && rmdir(d) < 0 && errno != ENOENT)
			return -errno; /* still busy: kept, with the rest, for a later try */
		h->cg.n--;
	}
	h->what &= ~HELD_CGROUPS;
	return 0;
}

int
held_finish(struct box_held *h, const char *name, int wait_ms, struct nsbox_err *err)
{
	int r;

	for (int waited = 0; (r = held_cgroups_remove(h)) == -EBUSY && waited < wait_ms;
	     waited += 10)
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	if (r < 0)
		return err_set(err, r, "removing its cgroup %s: %s", h->cg.dir[h->cg.n - 1],
			       strerror(-r));
	r = box_remove_dir(name);
	if (r < 0)
		err_set(err, r, "removing its directory: %s", strerror(-r));
	return r;
}

/* Tables named for a box, listed over netlink; those whose box has no directory kept. */
struct stale {
	int bfd; /* NSBOX_BOXES_DIR; -1: there is none, so no box has a directory */
	char ids[64][NSBOX_ID_LEN + 1];
	unsigned n;
};

/* A box's directory is made before its table and removed after it (held.h): a table without
 * one is nobody's. One lookup per table, however many boxes there are; a directory that cannot
 * be told about keeps its table. At most 64 a sweep, the rest at the next. */
static void
collect(const char *name, void *arg)
{
	struct stale *st = arg;
	const char *id = name + 6;

	if (strncmp(name, "nsbox-", 6) || strlen(name) != 6 + NSBOX_ID_LEN || !box_id_valid(id) ||
	    st->n == 64)
		return;
	if (st->bfd >= 0 &&
	    (faccessat(st->bfd, id, F_OK, AT_SYMLINK_NOFOLLOW) == 0 || errno != ENOENT))
		return;
	snprintf(st->ids[st->n++], NSBOX_ID_LEN + 1, "%s", id);
}

int
held_sweep_tables(unsigned *removed)
{
	struct stale st = { .n = 0 };
	int first = 0;

	*removed = 0;
	st.bfd = open(NSBOX_BOXES_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (st.bfd < 0 && errno != ENOENT)
		return -errno;
	int r = nl_nft_tables(NFPROTO_NETDEV, collect, &st);
	if (st.bfd >= 0)
		close(st.bfd);
	if (r < 0)
		return r == -EPROTONOSUPPORT ? 0 : r;
	for (unsigned i = 0; i < st.n; i++) {
		r = egress_table_del(st.ids[i]);
		if (r < 0 && !first)
			first = r;
		else if (r == 0)
			(*removed)++;
	}
	return first;
}
