// SPDX-License-Identifier: BSD-3-Clause
/* The box's own systemd unit, in nsbox-helper's supervisor (root), where systemd is PID 1: a
 * transient scope, nsbox-ID.scope in nsbox.slice, that holds the supervisor and its sweeper
 * and in which the box init is then born. Made through systemd's D-Bus API (sd-bus), never by
 * writing to cgroups systemd owns (systemd's CGROUP_DELEGATION rules).
 *
 * Why: the supervisor and the init are children of the PAM application, so they start in the
 * logind session's scope, and ending that session (KillUserProcesses=yes, loginctl
 * terminate-session) would kill them with it: a shared box would die with its first member
 * instead of its last. A unit of its own also names the box in systemctl and journalctl, and
 * carries the box's resource limits (MemoryMax=, TasksMax=, CPUQuota=); it is delegated
 * (Delegate=yes) only so that systemd moves the session's processes into it on our request
 * (AttachProcessesToUnit): we make no cgroup in it and write to none.
 *
 * libsystemd is loaded (dlopen) only where systemd runs and a box is built: a supervisor on a
 * host without systemd, and every sweeper (an exec of this binary), map none of it. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "nsbox/cleanup.h"

/* Every box's unit is in this slice, not in the user's: user-UID.slice stops when unneeded
 * (user-.slice.d), and a box starting while its stop is queued or running (the user's last
 * unit going, `loginctl terminate-user`) would wait for it or be refused. An active slice of our
 * own has no such stop, and gives an admin one place for limits over all boxes. */
#define NSBOX_SLICE "nsbox.slice"

/* The sd-bus calls we make, from libsystemd.so.0 (its ABI is stable: the .so.0 is forever). */
#define SDBUS_SYMS(X)                                                                              \
	X(int, sd_bus_new, (sd_bus **))                                                            \
	X(int, sd_bus_set_address, (sd_bus *, const char *))                                       \
	X(int, sd_bus_start, (sd_bus *))                                                           \
	X(int, sd_bus_open_system, (sd_bus **))                                                    \
	X(sd_bus *, sd_bus_flush_close_unref, (sd_bus *))                                          \
	X(int, sd_bus_set_method_call_timeout, (sd_bus *, uint64_t))                               \
	X(int, sd_bus_match_signal, (sd_bus *, sd_bus_slot **, const char *, const char *,         \
				     const char *, const char *, sd_bus_message_handler_t, void *)) \
	X(int, sd_bus_call_method, (sd_bus *, const char *, const char *, const char *,            \
				    const char *, sd_bus_error *, sd_bus_message **, const char *,  \
				    ...))                                                           \
	X(int, sd_bus_message_new_method_call, (sd_bus *, sd_bus_message **, const char *,         \
						const char *, const char *, const char *))          \
	X(int, sd_bus_message_append, (sd_bus_message *, const char *, ...))                       \
	X(int, sd_bus_message_open_container, (sd_bus_message *, char, const char *))              \
	X(int, sd_bus_message_close_container, (sd_bus_message *))                                 \
	X(int, sd_bus_message_read, (sd_bus_message *, const char *, ...))                         \
	X(sd_bus_message *, sd_bus_message_unref, (sd_bus_message *))                              \
	X(sd_bus_slot *, sd_bus_slot_unref, (sd_bus_slot *))                                       \
	X(int, sd_bus_call, (sd_bus *, sd_bus_message *, uint64_t, sd_bus_error *,                 \
			     sd_bus_message **))                                                   \
	X(int, sd_bus_process, (sd_bus *, sd_bus_message **))                                      \
	X(int, sd_bus_wait, (sd_bus *, uint64_t))                                                  \
	X(void, sd_bus_error_free, (sd_bus_error *))

#define SDBUS_PTR(ret, name, args) static ret(*sym_##name) args;
SDBUS_SYMS(SDBUS_PTR)

/* 0 once every symbol is there, or -errno (loaded once, kept for the supervisor's life). */
static int
sdbus_load(void)
{
	static void *lib;

	if (lib)
		return 0;
	void *h = dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return -ENOENT;
#define SDBUS_SYM(ret, name, args)                                                                 \
	if (!(sym_##name = (ret(*) args)dlsym(h, #name))) {                                        \
		dlclose(h);                                                                        \
		return -ENOSYS;                                                                    \
	}
	SDBUS_SYMS(SDBUS_SYM)
	lib = h;
	return 0;
}

static void
bus_closep(sd_bus **b)
{
	if (*b)
		sym_sd_bus_flush_close_unref(*b);
}

static void
message_unrefp(sd_bus_message **m)
{
	if (*m)
		sym_sd_bus_message_unref(*m);
}

static void
slot_unrefp(sd_bus_slot **s)
{
	if (*s)
		sym_sd_bus_slot_unref(*s);
}

static void
error_freep(sd_bus_error *e)
{
	if (sym_sd_bus_error_free)
		sym_sd_bus_error_free(e);
}

bool
unit_systemd_running(void)
{
	struct stat st;

	/* sd_booted()'s test: the directory systemd makes at boot when it is PID 1 */
	return lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

/* The manager's private socket, root only, peer to peer (systemctl's way as root: no dbus-daemon
 * on the path); the system bus when there is none. */
static int
bus_open(sd_bus **bus)
{
	int r = sdbus_load();

	if (r < 0)
		return r;
	r = sym_sd_bus_new(bus);
	if (r < 0)
		return r;
	r = sym_sd_bus_set_address(*bus, "unix:path=/run/systemd/private");
	if (r >= 0)
		r = sym_sd_bus_start(*bus);
	if (r >= 0)
		return 0;
	*bus = sym_sd_bus_flush_close_unref(*bus);
	return sym_sd_bus_open_system(bus);
}

struct job_wait {
	const char *unit;
	bool done;
	char result[32];
};

static int
on_job_removed(sd_bus_message *m, void *arg, sd_bus_error *err)
{
	struct job_wait *w = arg;
	const char *path, *unit, *result;
	uint32_t id;

	(void)err;
	if (sym_sd_bus_message_read(m, "uoss", &id, &path, &unit, &result) >= 0 &&
	    strcmp(unit, w->unit) == 0) {
		w->done = true;
		snprintf(w->result, sizeof(w->result), "%s", result);
	}
	return 0;
}

static long long
now_usec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000LL + t.tv_nsec / 1000;
}

static int
append_pids(sd_bus_message *m, const pid_t *pids, size_t n)
{
	int r = sym_sd_bus_message_open_container(m, 'r', "sv");

	if (r >= 0)
		r = sym_sd_bus_message_append(m, "s", "PIDs");
	if (r >= 0)
		r = sym_sd_bus_message_open_container(m, 'v', "au");
	if (r >= 0)
		r = sym_sd_bus_message_open_container(m, 'a', "u");
	for (size_t i = 0; r >= 0 && i < n; i++)
		r = sym_sd_bus_message_append(m, "u", (uint32_t)pids[i]);
	for (int k = 0; r >= 0 && k < 3; k++)
		r = sym_sd_bus_message_close_container(m);
	return r;
}

int
unit_start(const struct unit_spec *u, char *name, size_t namelen, struct nsbox_err *err)
{
	_cleanup_(bus_closep) sd_bus *bus = NULL;
	_cleanup_(message_unrefp) sd_bus_message *m = NULL, *reply = NULL;
	_cleanup_(slot_unrefp) sd_bus_slot *slot = NULL;
	_cleanup_(error_freep) sd_bus_error bus_err = SD_BUS_ERROR_NULL;
	char desc[512];
	struct job_wait w = { .unit = name };
	const long long deadline = now_usec() + UNIT_TIMEOUT_MS * 1000LL;
	int r;

	snprintf(name, namelen, "nsbox-%s.scope", u->id);
	snprintf(desc, sizeof(desc), "nsbox box %s of user %s", u->id, u->user);
	r = sdbus_load();
	if (r < 0) {
		err_set(err, r, "cannot load libsystemd.so.0 (sd-bus) for the box's unit: %s",
			strerror(-r));
		return r;
	}
	r = bus_open(&bus);
	if (r >= 0)
		r = sym_sd_bus_set_method_call_timeout(bus, UNIT_TIMEOUT_MS * 1000ULL);
	if (r < 0) {
		err_set(err, r, "cannot reach systemd for the box's unit %s: %s", name,
			strerror(-r));
		return r;
	}
	/* before the call: the job may end before its reply is read */
	r = sym_sd_bus_match_signal(bus, &slot, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				"org.freedesktop.systemd1.Manager", "JobRemoved", on_job_removed, &w);
	if (r >= 0)
		r = sym_sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				       "org.freedesktop.systemd1.Manager", "Subscribe", &bus_err,
				       NULL, "");
	if (r >= 0)
		r = sym_sd_bus_message_new_method_call(bus, &m, "org.freedesktop.systemd1",
						   "/org/freedesktop/systemd1",
						   "org.freedesktop.systemd1.Manager",
						   "StartTransientUnit");
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "ss", name, "fail");
	if (r >= 0)
		r = sym_sd_bus_message_open_container(m, 'a', "(sv)");
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "(sv)(sv)(sv)", "Description", "s", desc, "Slice", "s",
					  NSBOX_SLICE, "CollectMode", "s", "inactive-or-failed");
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "(sv)", "Delegate", "b", 1);
	if (r >= 0 && u->set->memory_max)
		r = sym_sd_bus_message_append(m, "(sv)", "MemoryMax", "t", (uint64_t)u->set->memory_max);
	if (r >= 0 && u->set->tasks_max)
		r = sym_sd_bus_message_append(m, "(sv)", "TasksMax", "t", (uint64_t)u->set->tasks_max);
	if (r >= 0 && u->set->cpu_quota) /* CPUQuota=N% is N * 10 ms of CPU per second */
		r = sym_sd_bus_message_append(m, "(sv)", "CPUQuotaPerSecUSec", "t",
					  (uint64_t)u->set->cpu_quota * 10000);
	if (r >= 0)
		r = append_pids(m, u->pids, u->n_pids);
	if (r >= 0)
		r = sym_sd_bus_message_close_container(m);
	if (r >= 0)
		r = sym_sd_bus_message_append(m, "a(sa(sv))", 0);
	if (r < 0) {
		err_set(err, r, "cannot ask systemd for the box's unit %s: %s", name, strerror(-r));
		return r;
	}
	r = sym_sd_bus_call(bus, m, 0, &bus_err, &reply);
	if (r < 0) {
		err_set(err, r, "systemd refused the box's unit %s: %s", name,
			bus_err.message ? bus_err.message : strerror(-r));
		return r;
	}
	/* the job moves the processes: they are in the unit once it has run */
	while (!w.done) {
		/* what is queued first: a JobRemoved that came in time is not a timeout */
		r = sym_sd_bus_process(bus, NULL);
		if (r > 0)
			continue;
		long long left = deadline - now_usec();
		if (r == 0 && left <= 0) {
			err_set(err, -ETIMEDOUT,
				"systemd did not start the box's unit %s within %d s", name,
				UNIT_TIMEOUT_MS / 1000);
			return -ETIMEDOUT;
		}
		if (r == 0)
			r = sym_sd_bus_wait(bus, (uint64_t)left);
		if (r < 0 && r != -EINTR) {
			err_set(err, r, "waiting for the box's unit %s: %s", name, strerror(-r));
			return r;
		}
	}
	if (strcmp(w.result, "done") != 0) {
		err_set(err, -EIO, "systemd could not start the box's unit %s: job %s", name,
			w.result);
		return -EIO;
	}
	return 0;
}

int
unit_attach(const char *name, pid_t pid)
{
	_cleanup_(bus_closep) sd_bus *bus = NULL;
	_cleanup_(error_freep) sd_bus_error err = SD_BUS_ERROR_NULL;
	int r = bus_open(&bus);

	if (r >= 0)
		r = sym_sd_bus_set_method_call_timeout(bus, UNIT_TIMEOUT_MS * 1000ULL);
	if (r >= 0)
		r = sym_sd_bus_call_method(bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
				       "org.freedesktop.systemd1.Manager", "AttachProcessesToUnit",
				       &err, NULL, "ssau", name, "", 1, (uint32_t)pid);
	return r < 0 ? r : 0;
}
