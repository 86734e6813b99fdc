// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests of conf/pamstack.c: PAM service stacks read as Linux-PAM reads them (includes,
 * substacks, the vendor directory, continued lines, comments, bracket controls) from the fake
 * /etc/pam.d and /usr/lib/pam.d in tests/data/pam, and pam_nsbox's rules about them. Unprivileged. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pamstack.h"
#include "tap.h"

static const char *const dirs[] = { "tests/data/pam/etc", "tests/data/pam/usr", NULL };

struct found {
	unsigned n;
	char all[4096];
};

static void
collect(const struct nsbox_pam_entry *at, const char *msg, void *arg)
{
	struct found *f = arg;
	size_t l = strlen(f->all);

	f->n++;
	snprintf(f->all + l, sizeof(f->all) - l, "%s%s:%u: %s\n", l ? "" : "", at ? at->file : "-",
		 at ? at->line : 0, msg);
}

/* Loads SERVICE and checks it: the number of problems, their text in F. */
static int
check(const char *service, bool user_manager, struct found *f, struct nsbox_pam_stack *st)
{
	struct nsbox_conf_err err;
	int r = nsbox_pam_stack_load(service, dirs, st, &err);

	memset(f, 0, sizeof(*f));
	if (r < 0) {
		printf("# %s: %s:%u: %s\n", service, err.file, err.line, err.msg);
		return r;
	}
	return (int)nsbox_pam_stack_check(st, user_manager, collect, f);
}

int
main(void)
{
	struct nsbox_pam_stack st;
	struct nsbox_conf_err err;
	struct found f;

	/* Debian's sshd with the two lines: read in Linux-PAM's order, no problem */
	is_int(check("good", false, &f, &st), 0, "good: no problem%s", f.all);
	is_int(st.n, 15, "good: 15 session lines (its own and common-session's)");
	is_str(nsbox_pam_module_name(&st.e[0]), "pam_nsbox.so", "good: the leave line is first");
	ok(nsbox_pam_is_leave(&st.e[0]), "good: ... and is the leave line");
	is_str(st.e[1].control, "[success=ok ignore=ignore module_unknown=ignore default=bad]",
	       "good: a bracket control is one word");
	is_str(st.e[4].file, "tests/data/pam/etc/common-session", "good: @include read in place");
	is_str(nsbox_pam_module_name(&st.e[9]), "pam_systemd.so", "good: pam_systemd from it");
	is_str(st.e[12].args, "", "good: a comment after a line is not an argument");
	is_str(st.e[14].module, "/lib/x86_64-linux-gnu/security/pam_nsbox.so",
	       "good: the last line, a path");
	is_str(st.e[14].args, "conf=/etc/security/nsbox.conf", "good: continued onto the next line");
	is_int(st.e[14].line, 13, "good: numbered where it starts");
	ok(!nsbox_pam_is_leave(&st.e[14]), "good: the last line is the box line");
	is_int(nsbox_pam_find(&st, "pam_systemd.so"), 9, "find: pam_systemd");
	is_int(nsbox_pam_find(&st, "pam_nosuch.so"), -1, "find: a module not there");
	nsbox_pam_stack_free(&st);

	is_int(check("noleave", false, &f, &st), 1, "noleave: one problem");
	ok(strstr(f.all, "no 'session optional pam_nsbox.so leave' line first") != NULL,
	   "noleave: the leave line is missing%s", "");
	nsbox_pam_stack_free(&st);

	/* the box line before common-session: pam_systemd and the rest after it */
	is_int(check("early", false, &f, &st), 6, "early: every module after the box line");
	ok(strstr(f.all, "pam_systemd.so (tests/data/pam/etc/common-session:7) comes after "
			 "pam_nsbox.so: logind cannot register") != NULL,
	   "early: pam_systemd after it, with its own words");
	ok(strstr(f.all, "pam_unix.so (tests/data/pam/etc/common-session:6) comes after") != NULL,
	   "early: and the others by name and place");
	nsbox_pam_stack_free(&st);

	is_int(check("optional", false, &f, &st), 1, "optional: one problem");
	ok(strstr(f.all, "is not 'required'") != NULL, "optional: a -session line lets failures in");
	ok(st.n == 8 && st.e[7].dash, "optional: the -session line read, as a dash line");
	nsbox_pam_stack_free(&st);

	is_int(check("leavelate", false, &f, &st), 1, "leavelate: one problem");
	ok(strstr(f.all, "pam_loginuid.so (tests/data/pam/etc/leavelate:1) comes before the "
			 "leave line") != NULL, "leavelate: what closes inside the box");
	is_int(st.n, 9, "leavelate: a substack read in place");
	nsbox_pam_stack_free(&st);

	is_int(check("nobox", false, &f, &st), 1, "nobox: one problem");
	ok(strstr(f.all, "boxes nobody") != NULL, "nobox: no box line");
	nsbox_pam_stack_free(&st);

	/* the vendor directory, and the user manager's rules (no leave line needed) */
	is_int(check("systemd-user", true, &f, &st), 0, "systemd-user: no problem%s", f.all);
	is_str(st.file, "tests/data/pam/usr/systemd-user", "systemd-user: found in the vendor dir");
	is_str(st.e[0].file, "tests/data/pam/usr/systemd-user", "systemd-user: its own lines first");
	ok(nsbox_pam_find(&st, "pam_unix.so") >= 0,
	   "systemd-user: includes found in either directory");
	nsbox_pam_stack_free(&st);
	is_int(check("systemd-user", false, &f, &st), 1,
	       "systemd-user as a login service: the leave line would be missing");
	nsbox_pam_stack_free(&st);

	is_int(nsbox_pam_stack_load("no-such-service", dirs, &st, &err), -ENOENT,
	       "a missing service: -ENOENT");
	ok(strstr(err.msg, "'other'") != NULL, "... and says Linux-PAM would use 'other'");
	is_int(nsbox_pam_stack_load("loop-a", dirs, &st, &err), -ELOOP, "an include loop: -ELOOP");
	is_int(nsbox_pam_stack_load("missing-include", dirs, &st, &err), -ENOENT,
	       "an include that is not there: -ENOENT");
	is_str(err.file, "tests/data/pam/etc/missing-include", "... named where it is included");
	is_int(err.line, 1, "... and on which line");
	is_int(nsbox_pam_stack_load("../etc/good", dirs, &st, &err), -EINVAL,
	       "a service name with a slash is refused");
	return tap_done();
}
