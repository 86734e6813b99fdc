/* Box records under /run/nsbox/boxes: written by nsbox-helper (root), read by nsboxctl (root).
 * Kept on tmpfs so a reboot forgets them; liveness is checked, never trusted. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease.h"
#include "nsbox/cleanup.h"
#include "record.h"

static int
ensure_dirs(void)
{
	if (mkdir(NSBOX_RUN_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (mkdir(NSBOX_BOXES_DIR, 0700) < 0 && errno != EEXIST)
		return -errno;
	struct stat st;
	if (lstat(NSBOX_BOXES_DIR, &st) < 0)
		return -errno;
	/* Someone else's directory here would let them forge or hide records. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022))
		return -EPERM;
	return 0;
}

bool
state_id_valid(const char *id)
{
	size_t i;

	for (i = 0; id[i]; i++)
		if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
			return false;
	return i == NSBOX_ID_LEN;
}

int
state_reserve_id(char id[NSBOX_ID_LEN + 1])
{
	int r = ensure_dirs();

	if (r < 0)
		return r;
	for (int tries = 0; tries < 16; tries++) {
		uint32_t v;
		char path[128];
		if (getrandom(&v, sizeof(v), 0) != sizeof(v))
			return -EIO;
		snprintf(id, NSBOX_ID_LEN + 1, "%08" PRIx32, v);
		snprintf(path, sizeof(path), NSBOX_BOXES_DIR "/%s", id);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0) {
			/* Owner first, so a helper that dies right now leaves a record gc can judge. */
			unsigned long long st = 0;
			char buf[96];
			proc_starttime(getpid(), &st);
			int len = snprintf(buf, sizeof(buf), "supervisor=%d\nsupervisor_start=%llu\n",
					   (int)getpid(), st);
			ssize_t w = write(fd, buf, (size_t)len);
			close(fd);
			if (w != len) {
				unlink(path);
				return -EIO;
			}
			return 0;
		}
		if (errno != EEXIST)
			return -errno;
	}
	return -EEXIST;
}

FILE *
fopen_trunc(const char *path, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
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
state_write(const struct box_record *r)
{
	char path[128], tmp[140];
	_cleanup_fclose_ FILE *f = NULL;

	snprintf(path, sizeof(path), NSBOX_BOXES_DIR "/%s", r->id);
	snprintf(tmp, sizeof(tmp), NSBOX_BOXES_DIR "/.%s.tmp", r->id);
	f = fopen_trunc(tmp, 0600);
	if (!f)
		return -errno;
	fprintf(f,
		"id=%s\nuser=%s\nservice=%s\nsupervisor=%d\nsupervisor_start=%llu\ninit=%d\n"
		"started=%lld\nnamespaces=%lu\nhostname=%s\nipv4=%s\nipv6=%s\n",
		r->id, r->user, r->service, (int)r->supervisor, r->supervisor_start,
		(int)r->init_pid, r->started, r->namespaces, r->hostname, r->ipv4, r->ipv6);
	if (fflush(f) != 0 || ferror(f))
		return -EIO;
	/* rename: a reader sees the old record or the whole new one */
	if (rename(tmp, path) < 0)
		return -errno;
	return 0;
}

int
kv_read(const char *path, int (*fn)(const char *key, const char *val, void *arg), void *arg)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[1024];
	int fd;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq = strchr(line, '='), *nl = strchr(line, '\n');
		if (!eq)
			continue;
		if (nl)
			*nl = 0;
		*eq++ = 0;
		fn(line, eq, arg);
	}
	return 0;
}

static int
record_kv(const char *k, const char *v, void *arg)
{
	struct box_record *r = arg;

	if (!strcmp(k, "user"))
		snprintf(r->user, sizeof(r->user), "%s", v);
	else if (!strcmp(k, "service"))
		snprintf(r->service, sizeof(r->service), "%s", v);
	else if (!strcmp(k, "supervisor"))
		r->supervisor = atoi(v);
	else if (!strcmp(k, "supervisor_start"))
		r->supervisor_start = strtoull(v, NULL, 10);
	else if (!strcmp(k, "init"))
		r->init_pid = atoi(v);
	else if (!strcmp(k, "started"))
		r->started = strtoll(v, NULL, 10);
	else if (!strcmp(k, "namespaces"))
		r->namespaces = strtoul(v, NULL, 10);
	else if (!strcmp(k, "hostname"))
		snprintf(r->hostname, sizeof(r->hostname), "%s", v);
	else if (!strcmp(k, "ipv4"))
		snprintf(r->ipv4, sizeof(r->ipv4), "%s", v);
	else if (!strcmp(k, "ipv6"))
		snprintf(r->ipv6, sizeof(r->ipv6), "%s", v);
	return 0;
}

int
state_read(const char *id, struct box_record *r)
{
	char path[128];

	if (!state_id_valid(id))
		return -EINVAL;
	snprintf(path, sizeof(path), NSBOX_BOXES_DIR "/%s", id);
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	return kv_read(path, record_kv, r);
}

int
state_remove(const char *id)
{
	static const char *const dhcp_files[] = { "lease", "lease.tmp", "pid", "dhclient.leases" };
	char path[160];

	/* Files a dead supervisor could not remove itself; harmless when already gone. */
	snprintf(path, sizeof(path), NSBOX_RESOLV_DIR "/%s.conf", id);
	unlink(path);
	for (size_t i = 0; i < ARRAY_SIZE(dhcp_files); i++) {
		snprintf(path, sizeof(path), NSBOX_DHCP_DIR "/%s/%s", id, dhcp_files[i]);
		unlink(path);
	}
	snprintf(path, sizeof(path), NSBOX_DHCP_DIR "/%s", id);
	rmdir(path);

	snprintf(path, sizeof(path), NSBOX_BOXES_DIR "/%s", id);
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

bool
state_alive(const struct box_record *r)
{
	struct lease_owner o = { .pid = r->supervisor, .start = r->supervisor_start };

	return lease_owner_alive(&o);
}

int
state_scan(int (*fn)(const struct box_record *r, void *arg), void *arg)
{
	_cleanup_closedir_ DIR *d = opendir(NSBOX_BOXES_DIR);
	struct dirent *e;
	int n = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		struct box_record r;
		if (!state_id_valid(e->d_name) || state_read(e->d_name, &r) < 0)
			continue;
		if (!state_alive(&r)) {
			if (state_remove(e->d_name) == 0)
				n++;
		} else if (fn)
			fn(&r, arg);
	}
	return n;
}

int
state_gc(void)
{
	return state_scan(NULL, NULL);
}
