/* The supervisor's sweeper, run by nsbox-helper as root: a child the supervisor clones before it
 * builds anything, which outlives it. A supervisor that dies without its teardown (SIGKILL, the
 * OOM killer, a crash), or whose teardown failed a step, would leave the box's ip-netns name,
 * veth, leases and directory to the next login's gc; the sweeper, woken by the end of the
 * supervisor's pipe, removes them at once. After a normal teardown it finds nothing and exits.
 *
 * It costs a box almost nothing while it waits: it shares the supervisor's memory (CLONE_VM) on a
 * small stack of its own, blocked in one read. Only once the supervisor is gone (and with it any
 * libc state it may have left half-changed) does it exec a fresh `nsbox-helper --sweep`, which
 * gets the note on fd 3 and does the work with a libc of its own. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "helper.h"
#include "nsbox/cleanup.h"

/* Shared with the sweeper (CLONE_VM): what to sweep should the supervisor die. NOTE_STATE says
 * how far it got: nothing yet, an id told (its directory may exist from now on), or reserved
 * (the directory exists until the teardown removes it). */
enum { NOTE_NONE, NOTE_TOLD, NOTE_RESERVED };
static struct sweep_note note;
static int note_state;
static _Alignas(16) char sweeper_stack[16 * 1024];

void
sweeper_tell(const struct sweep_note *n)
{
	__atomic_store_n(&note_state, NOTE_NONE, __ATOMIC_RELEASE);
	note = *n;
	__atomic_store_n(&note_state, NOTE_TOLD, __ATOMIC_RELEASE);
}

void
sweeper_reserved(void)
{
	__atomic_store_n(&note_state, NOTE_RESERVED, __ATOMIC_RELEASE);
}

/* In the clone, on the supervisor's memory while it runs: raw syscalls only, and no errno to
 * look at (a failing syscall() writes the supervisor's errno, so it ends us at once). */
static int
sweeper_wait(void *arg)
{
	static char arg0[] = "nsbox-helper", arg1[] = "--sweep";
	char *const argv[] = { arg0, arg1, NULL };
	static char *const envp[] = { NULL };
	const uint64_t all = ~0ull;
	char path[sizeof(NSBOX_BOXES_DIR) + 1 + NSBOX_ID_LEN + 1], c;
	int p[2];

	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof(all));
	/* nothing of the supervisor's but our pipe: not the module's socket (the supervisor
	 * must see it hang up), not the box directory's lock, not syslog's socket */
	if (syscall(SYS_dup3, (int)(intptr_t)arg, 3, O_CLOEXEC) < 0 ||
	    syscall(SYS_close_range, 4, ~0U, 0) < 0)
		_exit(1);
	syscall(SYS_prctl, PR_SET_NAME, "nsbox-sweeper", 0, 0, 0);
	for (;;) {
		long k = syscall(SYS_read, 3, &c, 1);
		if (k == 0)
			break; /* every copy of the other end is closed: the supervisor is gone */
		if (k < 0)
			_exit(1); /* that says nothing of the supervisor: never sweep then */
	}
	int st = __atomic_load_n(&note_state, __ATOMIC_ACQUIRE);
	if (st == NOTE_NONE)
		_exit(0); /* it never came to reserve a box */
	if (st == NOTE_RESERVED) {
		/* the teardown removes the directory last: gone means it finished */
		memcpy(path, NSBOX_BOXES_DIR "/", sizeof(NSBOX_BOXES_DIR));
		memcpy(path + sizeof(NSBOX_BOXES_DIR), note.id, NSBOX_ID_LEN + 1);
		if (syscall(SYS_faccessat, AT_FDCWD, path, F_OK, 0) < 0)
			_exit(0);
	}
	if (syscall(SYS_pipe2, p, O_CLOEXEC) < 0 || syscall(SYS_write, p[1], &note, sizeof(note)) < 0 ||
	    syscall(SYS_dup3, p[0], 3, 0) < 0)
		_exit(1);
	syscall(SYS_execve, "/proc/self/exe", argv, envp);
	_exit(127);
}

int
sweeper_start(int *fd, pid_t *pid)
{
	int p[2];

	/* never written: its end (every copy of our end closed) is the only message */
	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	/* Not fork: a copy of the supervisor per box would cost as much memory again. Not
	 * child_fork's PR_SET_PDEATHSIG either: the sweeper is for after our death. */
	*pid = clone(sweeper_wait, sweeper_stack + sizeof(sweeper_stack), CLONE_VM | SIGCHLD,
		     (void *)(intptr_t)p[0]);
	if (*pid < 0) {
		int r = -errno;
		close(p[0]);
		close(p[1]);
		return r;
	}
	close(p[0]);
	*fd = p[1];
	return 0;
}

/* teardown_host's steps, by the same functions, from the note; each is a no-op when already
 * done. Returns the first failure's -errno with STEP naming it; goes on after one. *REMOVED:
 * whether there was anything of the box to remove. */
static int
sweep(const struct sweep_note *n, bool *removed, char *step, size_t steplen)
{
	char name[NAME_MAX + 1];
	/* net_teardown reads only the address specs of the settings */
	struct nsbox_settings set = { .address = n->v4, .address6 = n->v6 };
	struct box_net net = { .active = true, .veth_made = n->bridged,
			       .leased4 = nsbox_addr_leased(&n->v4),
			       .leased6 = nsbox_addr_leased(&n->v6), .netns = -1, .dhcp_pidfd = -1 };
	int r = 0, q;

	*removed = false;
	_cleanup_close_ int lock = box_orphan_lock(n->id, &n->owner, name, sizeof(name));
	if (lock == -ENOENT || lock == -EBUSY)
		return 0; /* its teardown finished, or the id is another live box's now */
	if (lock < 0) {
		snprintf(step, steplen, "locking its directory");
		return lock;
	}
	*removed = true;
	if ((q = box_netns_remove(n->id)) < 0) {
		r = q;
		snprintf(step, steplen, "removing its ip-netns name");
	}
	veth_host_name(n->id, net.host_if, sizeof(net.host_if));
	char what[64] = "";
	if ((q = net_teardown(&set, &net, n->id, what, sizeof(what))) < 0 && !r) {
		r = q;
		snprintf(step, steplen, "%s", what);
	}
	if ((q = box_remove_dir(name)) < 0 && !r) {
		r = q;
		snprintf(step, steplen, "removing its directory");
	}
	return r;
}

/* Our pipe closes in the supervisor's exit before the kernel marks it dead: wait for that
 * (its pidfd turns readable), at most KILLED_WAIT_MS. 0 once OWNER is dead, else -errno. */
static int
owner_wait_dead(const struct nsbox_proc *owner)
{
	_cleanup_close_ int fd = (int)syscall(SYS_pidfd_open, owner->pid, 0);

	if (fd < 0)
		return errno == ESRCH ? 0 : -errno;
	/* the pidfd names the process that has the pid now: the owner only if the start agrees */
	int r = proc_alive(owner);
	if (r <= 0)
		return r;
	r = fd_wait(fd, KILLED_WAIT_MS);
	return r < 0 ? r : (proc_alive(owner) == 0 ? 0 : -EBUSY);
}

int
sweeper_run(void)
{
	struct sweep_note n;
	char step[64] = "";
	bool removed;
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	openlog("nsbox-helper", LOG_PID, LOG_AUTHPRIV);
	/* only what a sweeper's clone hands over: root, a whole note on fd 3, an owner that is
	 * known dead */
	ssize_t k = read(3, &n, sizeof(n));
	close(3);
	if (geteuid() != 0 || k != (ssize_t)sizeof(n) || memchr(n.id, 0, sizeof(n.id)) == NULL ||
	    !box_id_valid(n.id)) {
		syslog(LOG_ERR, "--sweep: started by nsbox-helper's sweeper only");
		return 2;
	}
	if (owner_wait_dead(&n.owner) < 0)
		return 1; /* alive (someone else held its pipe), or it cannot be told */
	int r = sweep(&n, &removed, step, sizeof(step));
	if (r < 0)
		syslog(LOG_ERR,
		       "box=%s sweeper: supervisor %d ended before its teardown was done; %s: %s",
		       n.id, (int)n.owner.pid, step, strerror(-r));
	else if (removed)
		syslog(LOG_WARNING,
		       "box=%s sweeper: supervisor %d ended before its teardown was done; removed what "
		       "the box held on the host",
		       n.id, (int)n.owner.pid);
	return r < 0 ? 1 : 0;
}
