/* The supervisor's sweeper, run by nsbox-helper as root: a child the supervisor forks before it
 * builds anything, which outlives it. A supervisor that dies without its teardown (SIGKILL, the
 * OOM killer, a crash), or whose teardown failed a step, would leave the box's ip-netns name,
 * veth, leases and directory to the next login's gc; the sweeper, woken by the end of the
 * supervisor's socket, removes them at once. After a normal teardown it finds nothing and exits. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "helper.h"
#include "lease.h"
#include "nsbox/cleanup.h"

/* Steps in order, as teardown_host makes them; each is a no-op when already done. Returns the
 * first failure's -errno with STEP naming it; goes on after one. */
static int
sweep(const struct sweep_note *n, int *removed, char *step, size_t steplen)
{
	char name[NAME_MAX + 1], ifname[16];
	int r = 0, q;

	*removed = 0;
	_cleanup_close_ int lock = box_orphan_lock(n->id, &n->owner, name, sizeof(name));
	if (lock == -ENOENT || lock == -EBUSY)
		return 0; /* its teardown finished, or the id is another live box's now */
	if (lock < 0) {
		snprintf(step, steplen, "locking its directory");
		return lock;
	}
	*removed = 1;
	if ((q = box_netns_remove(n->id)) < 0 && !r) {
		r = q;
		snprintf(step, steplen, "removing its ip-netns name");
	}
	if (n->bridged) {
		veth_host_name(n->id, ifname, sizeof(ifname));
		if ((q = nl_link_del(ifname)) < 0 && q != -ENODEV && !r) {
			r = q;
			snprintf(step, steplen, "deleting veth '%s'", ifname);
		}
	}
	if (n->lease4 && (q = lease_release(NSBOX_LEASE_DIR, &n->v4, n->id)) < 0 && !r) {
		r = q;
		snprintf(step, steplen, "releasing the IPv4 lease");
	}
	if (n->lease6 && (q = lease_release(NSBOX_LEASE_DIR, &n->v6, n->id)) < 0 && !r) {
		r = q;
		snprintf(step, steplen, "releasing the IPv6 lease");
	}
	if ((q = box_remove_dir(name)) < 0 && !r) {
		r = q;
		snprintf(step, steplen, "removing its directory");
	}
	return r;
}

static __attribute__((noreturn)) void
sweeper_main(int fd)
{
	struct sweep_note n = { .id = "" }, in;
	size_t got = 0;
	char step[64] = "";
	int removed, r;

	/* nothing of the supervisor's but our socket: not the module's socket (the supervisor must
	 * see it hang up), not the box directory's lock, not syslog's socket */
	closelog();
	if ((fd != 3 && dup3(fd, 3, O_CLOEXEC) < 0) || syscall(SYS_close_range, 4, ~0U, 0) < 0)
		_exit(1);
	prctl(PR_SET_NAME, "nsbox-sweeper");
	for (;;) {
		ssize_t k = read(3, (char *)&in + got, sizeof(in) - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			_exit(1); /* cannot tell that the supervisor is gone: never sweep then */
		if (k == 0)
			break;
		got += (size_t)k;
		if (got == sizeof(in)) {
			n = in; /* the newest whole note */
			got = 0;
		}
	}
	/* EOF: every copy of the other end is closed, so the supervisor is gone, and so is every
	 * child of it that held the box directory's lock */
	if (!box_id_valid(n.id))
		_exit(0); /* it never came to reserve a box */
	if (proc_alive(&n.owner) != 0)
		_exit(1); /* alive (someone else held our socket), or it cannot be told */
	r = sweep(&n, &removed, step, sizeof(step));
	if (!removed && r == 0)
		_exit(0);
	openlog("nsbox-helper", LOG_PID, LOG_AUTHPRIV);
	if (r < 0)
		syslog(LOG_ERR, "box=%s sweeper: supervisor %d ended before its teardown was done; %s: %s",
		       n.id, (int)n.owner.pid, step, strerror(-r));
	else
		syslog(LOG_WARNING,
		       "box=%s sweeper: supervisor %d ended before its teardown was done; removed what "
		       "the box held on the host", n.id, (int)n.owner.pid);
	_exit(r < 0 ? 1 : 0);
}

int
sweeper_start(int *fd)
{
	int p[2];

	/* a socket, not a pipe: a note to a sweeper already gone is EPIPE, never our SIGPIPE */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) < 0)
		return -errno;
	/* not child_fork: its PR_SET_PDEATHSIG would end the sweeper with us */
	pid_t pid = fork();
	if (pid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		close(p[1]);
		sweeper_main(p[0]);
	}
	close(p[0]);
	*fd = p[1];
	return 0;
}

int
sweeper_tell(int fd, const struct sweep_note *n)
{
	ssize_t k;

	do
		k = send(fd, n, sizeof(*n), MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return -errno;
	return (size_t)k == sizeof(*n) ? 0 : -EIO;
}
