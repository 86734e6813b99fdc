// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for box directories (lib/record.c): reserve, write and read back every field, scan
 * and gc (a dead supervisor's box and a half-built one go, a live one stays, one whose liveness
 * cannot be told stays), removal that does not follow a symlink. Needs root: runs in a child in
 * its own mount namespace with private tmpfs on /run/nsbox and /run/netns. Output: TAP. */

#include "../../lib/file.c"
#include "../../lib/proc.c"
#include "../../lib/record.c"
#include "../../lib/boxns.c"

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "tap.h"

static int
count(const struct box_record *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

static bool
exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static void
put(const char *p, const char *text)
{
	FILE *f = fopen(p, "we");

	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}


/* 1 when someone holds directory P's lock (what a scan probes), 0 when nobody does */
static int
locked(const char *p)
{
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = flock(fd, LOCK_SH | LOCK_NB) == 0 ? 0 : errno == EWOULDBLOCK ? 1 : -errno;
	close(fd);
	return r;
}

static int
count_building(void)
{
	DIR *d = opendir(NSBOX_BOXES_DIR);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += !strncmp(e->d_name, ".new-", 5);
	if (d)
		closedir(d);
	return n;
}

/* A builder killed inside box_reserve at its first call of syscall NR (a seccomp filter kills it
 * there, as SIGKILL would): what it leaves. Returns the child's exit status from waitpid. */
static int
killed_builder(long nr)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };
	int st = 0;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct nsbox_proc me;
		char id[NSBOX_ID_LEN + 1];
		if (proc_id(getpid(), &me) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			_exit(2);
		box_reserve(id, &me);
		_exit(3); /* not killed: the filter missed the call */
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

struct told {
	char id[NSBOX_ID_LEN + 1];
	int calls;
};

static int
told_cb(const char *id, void *arg)
{
	struct told *t = arg;

	snprintf(t->id, sizeof(t->id), "%s", id);
	t->calls++;
	return 0;
}

static int
told_fail(const char *id, void *arg)
{
	(void)id;
	(void)arg;
	return -EPIPE;
}

static char b5[80];

static int
tests(void)
{
	struct nsbox_proc self, dead = { .pid = 0x7ffffff0, .start = 1 };
	struct box_record w, r;
	char id[NSBOX_ID_LEN + 1], id2[NSBOX_ID_LEN + 1], p[160], q[128];
	int n = 0;

	is_int(proc_id(getpid(), &self), 0, "own identity");
	is_int(box_reserve(id, &self), 0, "box reserved");
	ok(box_id_valid(id), "its id is 8 hex digits");
	box_path(id, BOX_RECORD, p, sizeof(p));
	ok(exists(p), "its directory holds a record at once");
	is_int(box_record_read(id, &r), 0, "the reserved record reads");
	ok(r.supervisor.pid == self.pid && r.supervisor.start == self.start,
	   "and names the supervisor");
	ok(r.uid == -1, "and no uid: a box being built is nobody's, not root's");

	w = (struct box_record){ .supervisor = self, .init = { 4242, 77 }, .started = 1234567890123LL,
				 .namespaces = 0x6c020000UL, .uid = 4000000000LL };
	snprintf(w.id, sizeof(w.id), "%s", id);
	snprintf(w.user, sizeof(w.user), "nsbt-user");
	snprintf(w.service, sizeof(w.service), "sshd");
	snprintf(w.hostname, sizeof(w.hostname), "box-1");
	snprintf(w.ipv4, sizeof(w.ipv4), "10.0.0.2");
	snprintf(w.ipv6, sizeof(w.ipv6), "fd00::2");
	is_int(box_record_write(&w), 0, "record written");
	is_int(box_record_read(id, &r), 0, "and read back");
	ok(!strcmp(r.id, w.id) && !strcmp(r.user, w.user) && !strcmp(r.service, w.service) &&
	   r.supervisor.pid == self.pid && r.supervisor.start == self.start &&
	   r.init.pid == 4242 && r.init.start == 77 && r.started == w.started &&
	   r.namespaces == w.namespaces && !strcmp(r.hostname, w.hostname) &&
	   !strcmp(r.ipv4, w.ipv4) && !strcmp(r.ipv6, w.ipv6) && r.uid == w.uid,
	   "every field survives the round trip (one table writes and reads)");
	box_path(id, BOX_RECORD, p, sizeof(p));
	put(p, "user=nsbt-old\nsupervisor=1\n");
	is_int(box_record_read(id, &r), 0, "a record of an earlier version (no uid line) reads");
	ok(r.uid == -1 && !strcmp(r.user, "nsbt-old"), "and its uid is unknown (-1), not root's");
	is_int(box_record_write(&w), 0, "the record written again");

	/* A uid's list of boxes: what it names and whose record says the uid, O(its boxes). */
	n = 0;
	is_int(box_scan_uid(4000000000u, count, &n), 0, "a uid without a list has no boxes");
	is_int(box_uid_add(4000000000u, id), 0, "the box listed under its uid");
	is_int(box_uid_add(4000000000u, id), 0, "twice is once");
	is_int(box_uid_add(4000000000u, "0badc0de"), 0, "and a box that is gone");
	is_int(box_uid_add(4000000001u, id), 0, "and under another uid (a record saying otherwise)");
	is_int(box_scan_uid(4000000000u, count, &n), 1, "the uid's list gives its one box");
	is_int(n, 1, "and FN saw it");
	snprintf(q, sizeof(q), NSBOX_USERS_DIR "/4000000000.boxes/%s", id);
	ok(!exists(NSBOX_USERS_DIR "/4000000000.boxes/0badc0de") && exists(q),
	   "the entry of the box that is gone is removed, the live box's kept");
	n = 0;
	is_int(box_scan_uid(4000000001u, count, &n), 0, "a record of another uid is not the uid's box");
	is_int(box_record_read("nothex!!", &r), -EINVAL, "a bad id: -EINVAL");
	is_int(box_record_read("00000000", &r), -ENOENT, "an unknown id: -ENOENT");

	/* A dead supervisor's box, and a half-built one of a dead helper, go at gc. */
	is_int(box_reserve(id2, &dead), 0, "a box of a dead supervisor");
	snprintf(q, sizeof(q), NSBOX_BOXES_DIR "/.new-0badc0de");
	ok(mkdir(q, 0700) == 0, "a half-built box directory");
	snprintf(p, sizeof(p), "%s/record", q);
	put(p, "supervisor=2147483632\nsupervisor_start=1\n");
	is_int(box_scan(count, &n), 2, "scan removes both");
	is_int(n, 1, "and lists only the live box");
	box_path(id2, NULL, p, sizeof(p));
	ok(!exists(p) && !exists(q), "their directories are gone");

	/* The rate-limited gc: runs with no stamp; skipped while the last one started less than
	 * DUTY times its duration ago (stamp: mtime = start, atime = end); runs again after. */
	is_int(box_reserve(id2, &dead), 0, "another box of a dead supervisor");
	is_int(box_gc_maybe(10), 1, "gc_maybe with no stamp yet collects it");
	box_path(id2, NULL, p, sizeof(p));
	ok(!exists(p), "its directory is gone");
	{
		struct timespec now, t[2];
		clock_gettime(CLOCK_REALTIME, &now);
		t[0] = (struct timespec){ now.tv_sec + 100, 0 }; /* "it took 100 s" */
		t[1] = now;
		ok(utimensat(AT_FDCWD, NSBOX_BOXES_DIR "/.gc", t, 0) == 0, "a stamp of a long gc");
		is_int(box_reserve(id2, &dead), 0, "and one more dead box");
		is_int(box_gc_maybe(10), 0, "gc_maybe within 10x the last one's duration does not run");
		box_path(id2, NULL, p, sizeof(p));
		ok(exists(p), "so its directory is still there");
		t[0] = t[1] = (struct timespec){ now.tv_sec - 1000, 0 };
		t[0].tv_sec += 10; /* took 10 s, 1000 s ago */
		ok(utimensat(AT_FDCWD, NSBOX_BOXES_DIR "/.gc", t, 0) == 0, "a stamp of an old gc");
		is_int(box_gc_maybe(10), 1, "gc_maybe after 10x its duration runs");
		ok(!exists(p), "and collects it");
	}
	n = 0;
	is_int(box_scan(count, &n), 0, "a plain scan: nothing dead left");
	is_int(n, 1, "and the stamp file is not taken for a box");

	/* A file planted in a box directory, and a symlink pointing outside it. */
	ok(mkdir("/run/nsbox/outside", 0700) == 0, "a directory outside the boxes");
	put("/run/nsbox/outside/keep", "x");
	box_path(id, "link", p, sizeof(p));
	ok(symlink("/run/nsbox/outside", p) == 0, "symlink in the box directory");
	box_path(id, BOX_RESOLV, p, sizeof(p));
	put(p, "nameserver 10.0.0.53\n");
	is_int(box_remove(id), 0, "box removed");
	box_path(id, NULL, p, sizeof(p));
	ok(!exists(p), "its directory is gone");
	ok(exists("/run/nsbox/outside/keep"), "what its symlink pointed to is untouched");
	is_int(box_remove(id), 0, "removing it again: 0");

	/* A half-built directory a killed helper left without a record: collected once it is
	 * older than any live reserve could be; a fresh one (being built now) stays. */
	{
		struct timespec t[2];
		clock_gettime(CLOCK_REALTIME, &t[0]);
		t[0].tv_sec -= 600;
		t[1] = t[0];
		ok(mkdir(NSBOX_BOXES_DIR "/.new-0dead0aa", 0700) == 0 &&
			   mkdir(NSBOX_BOXES_DIR "/.new-0dead0ab", 0700) == 0 &&
			   mkdir(NSBOX_BOXES_DIR "/.new-0dead0ac", 0700) == 0,
		   "three half-built directories without a record");
		put(NSBOX_BOXES_DIR "/.new-0dead0ab/.record.tmp", "supervisor=");
		ok(utimensat(AT_FDCWD, NSBOX_BOXES_DIR "/.new-0dead0aa", t, 0) == 0 &&
			   utimensat(AT_FDCWD, NSBOX_BOXES_DIR "/.new-0dead0ab", t, 0) == 0,
		   "two of them ten minutes old");
		n = 0;
		is_int(box_scan(count, &n), 2, "scan removes the two old ones");
		ok(!exists(NSBOX_BOXES_DIR "/.new-0dead0aa") && !exists(NSBOX_BOXES_DIR "/.new-0dead0ab"),
		   "empty or with a partial .record.tmp, they are gone");
		ok(exists(NSBOX_BOXES_DIR "/.new-0dead0ac"), "the fresh one stays");
		rmdir(NSBOX_BOXES_DIR "/.new-0dead0ac");
	}

	/* The supervisor's lock: held on its own box (a scan's probe fails), none on a box
	 * reserved for another process. */
	{
		char id3[NSBOX_ID_LEN + 1], id4[NSBOX_ID_LEN + 1], b[80];
		is_int(box_reserve(id3, &self), 0, "a box reserved by its own supervisor");
		box_path(id3, NULL, p, sizeof(p));
		is_int(locked(p), 1, "its directory is locked (by the fd box_reserve keeps)");
		is_int(box_reserve(id4, &dead), 0, "a box reserved for another process");
		box_path(id4, NULL, q, sizeof(q));
		is_int(locked(q), 0, "is not locked");
		is_int(box_gc(), 1, "gc: the locked one stays, the dead one goes");
		ok(exists(p) && !exists(q), "so it is");
		box_remove(id3);

		/* the names of directories being built */
		struct nsbox_proc o = { 0 };
		is_int(building_name(b, sizeof(b), "0abc0123", &(struct nsbox_proc){ 4242, 99 }), 0,
		       "a building name");
		is_str(b, ".new-0abc0123-4242-99", "names its owner");
		ok(building_parse(b, id3, &o) == 1 && !strcmp(id3, "0abc0123") && o.pid == 4242 &&
			   o.start == 99,
		   "and parses back");
		is_int(building_parse(".new-0abc0123", id3, &o), 0, "an earlier version's name: 0");
		is_int(building_parse(".new-0abc0123-0-1", id3, &o), -1, "pid 0: not a building name");
		is_int(building_parse(".new-0abc0123-12-", id3, &o), -1, "no start: not one");
		is_int(building_parse(".new-0abc0123-12-3x", id3, &o), -1, "junk: not one");
		is_int(building_parse(".new-0ABC0123-12-3", id3, &o), -1, "upper case id: not one");

		/* a fresh one naming a live owner stays, even unlocked and without a record (that is
		 * a builder between mkdirat and flock); one naming a dead owner goes at once */
		snprintf(b, sizeof(b), NSBOX_BOXES_DIR "/.new-0a11fe01-%d-%llu", (int)self.pid,
			 self.start);
		ok(mkdir(b, 0700) == 0, "a fresh building directory naming a live owner");
		is_int(box_gc(), 0, "gc keeps it");
		ok(exists(b), "it is there");
		rmdir(b);
	}

	/* a builder killed between mkdirat and the rename left a ".new-ID" that the gc could
	 * not judge for BUILD_ABANDONED_S; its name says whose it is now, so the next gc removes it */
	{
		int st = killed_builder(__NR_renameat);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "a builder killed at the record's rename");
		is_int(count_building(), 1, "left its building directory (no record in it yet)");
		is_int(box_gc(), 1, "the next gc removes it at once, young as it is");
		is_int(count_building(), 0, "nothing being built is left");
		st = killed_builder(__NR_renameat2);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "a builder killed at the directory's rename");
		is_int(count_building(), 1, "left its building directory (its record in it)");
		is_int(box_gc(), 1, "the next gc removes it");
		is_int(count_building(), 0, "nothing being built is left");
	}

	/* The sweeper's side (helper/sweeper.c): the id is told before the directory exists; a box
	 * of a dead owner is found and locked by its id or its building name; a box that is locked,
	 * or whose record names another supervisor (a reused id), is not its. */
	{
		struct told t = { "", 0 };
		int (*tell)(const char *, void *) = told_cb;
		char id5[NSBOX_ID_LEN + 1], name[80];
		is_int(box_reserve_with(id5, &dead, tell, &t), 0, "a box reserved with a BEFORE call");
		ok(t.calls == 1 && !strcmp(t.id, id5), "BEFORE was told its id, once");
		int fd = box_orphan_lock(id5, &dead, name, sizeof(name));
		ok(fd >= 0 && !strcmp(name, id5), "its dead owner's sweeper locks it by its id");
		box_path(id5, NULL, p, sizeof(p));
		is_int(locked(p), 1, "it is locked now");
		is_int(box_orphan_lock(id5, &dead, name, sizeof(name)), -EBUSY,
		       "a second sweeper finds it locked: -EBUSY");
		is_int(box_remove_dir(name), 0, "the sweeper removes it");
		close(fd);
		ok(!exists(p), "it is gone");
		is_int(box_orphan_lock(id5, &dead, name, sizeof(name)), -ENOENT,
		       "a box that is gone: -ENOENT (its teardown finished)");
		is_int(box_reserve_with(id5, &dead, tell, &t), 0, "another box of the dead owner");
		struct nsbox_proc other = { .pid = dead.pid, .start = dead.start + 1 };
		is_int(box_orphan_lock(id5, &other, name, sizeof(name)), -EEXIST,
		       "its record names another supervisor: not this sweeper's (-EEXIST)");
		box_path(id5, NULL, p, sizeof(p));
		int probe = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		ok(probe >= 0 && flock(probe, LOCK_SH | LOCK_NB) == 0, "a gc's probe holds it shared");
		is_int(box_orphan_lock(id5, &other, name, sizeof(name)), -EEXIST,
		       "another supervisor's, probed: still -EEXIST (the sweeper does not wait for it)");
		is_int(box_orphan_lock(id5, &dead, name, sizeof(name)), -EBUSY,
		       "its own owner's, probed: -EBUSY (the sweeper waits and tries again)");
		if (probe >= 0)
			close(probe);
		fd = box_orphan_lock(id5, &dead, name, sizeof(name));
		ok(fd >= 0, "the probe gone, its owner's sweeper locks it");
		if (fd >= 0)
			close(fd);
		box_remove(id5);
		is_int(box_reserve_with(id5, &self, tell, &t), 0, "a box of a live supervisor");
		is_int(box_orphan_lock(id5, &self, name, sizeof(name)), -EBUSY,
		       "locked by its supervisor: -EBUSY");
		box_remove(id5);
		snprintf(b5, sizeof(b5), NSBOX_BOXES_DIR "/.new-0a11fe02-%d-%llu", (int)dead.pid,
			 dead.start);
		ok(mkdir(b5, 0700) == 0, "a directory a dead owner was building");
		fd = box_orphan_lock("0a11fe02", &dead, name, sizeof(name));
		ok(fd >= 0 && !strcmp(name, b5 + strlen(NSBOX_BOXES_DIR "/")),
		   "its sweeper finds it by the building name");
		is_int(box_remove_dir(name), 0, "and removes it");
		if (fd >= 0)
			close(fd);
		ok(!exists(b5), "it is gone");
		is_int(box_remove_dir("../x"), -EINVAL, "box_remove_dir refuses a path");
		t.calls = 0;
		is_int(box_reserve_with(id5, &dead, told_fail, &t), -EPIPE,
		       "a BEFORE that fails ends the reservation with its error");
		is_int(count_building(), 0, "and nothing was created");
	}

	/* A full file system: the write's own error, not EIO, and no partial record left. */
	ok(mount("nsbox-full", "/run/nsbox", "tmpfs", 0, "size=16k,mode=0700") == 0,
	   "a 16 KiB tmpfs over /run/nsbox");
	is_int(box_reserve(id, &self), 0, "a box reserved while there is room");
	{
		FILE *f = fopen("/run/nsbox/fill", "we");
		char page[4096] = { 0 };
		while (f && fwrite(page, 1, sizeof(page), f) == sizeof(page) && fflush(f) == 0)
			;
		if (f)
			fclose(f);
	}
	w.supervisor = self;
	snprintf(w.id, sizeof(w.id), "%s", id);
	is_int(box_record_write(&w), -ENOSPC, "rewriting its record on a full /run: -ENOSPC");
	box_path(id, "." BOX_RECORD ".tmp", p, sizeof(p));
	ok(!exists(p), "and the partial .record.tmp is removed");
	is_int(box_reserve(id2, &self), -ENOSPC, "reserving a box on a full /run: -ENOSPC");
	/* detached: the lock fd of the box reserved there (box_reserve keeps it) keeps it busy */
	ok(umount2("/run/nsbox", MNT_DETACH) == 0, "the small tmpfs unmounted");
	return tap_done();
}

int
main(void)
{
	int st;

	if (tap_skip_unless_root("mount namespaces"))
		return tap_skip_status();
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int r = 1;
		if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) == 0 &&
		    (mkdir("/run/nsbox", 0700) == 0 || errno == EEXIST) &&
		    mount("nsbox-test", "/run/nsbox", "tmpfs", 0, "mode=0700") == 0 &&
		    /* box_scan sweeps netns names without a box directory: the host's (other
		     * runs' live boxes, which this test's boxes directory does not know) are
		     * unlinked through any mount namespace, so this one gets its own */
		    (mkdir("/run/netns", 0755) == 0 || errno == EEXIST) &&
		    mount("nsbox-test-netns", "/run/netns", "tmpfs", 0, "mode=0755") == 0)
			r = tests();
		else
			printf("not ok 1 - private /run/nsbox: %s\n1..1\n", strerror(errno));
		fflush(stdout);
		_exit(r);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
