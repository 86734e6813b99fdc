// SPDX-License-Identifier: BSD-3-Clause
/* PAM service stacks read as Linux-PAM reads them (libpam/pam_handlers.c: lines joined at a
 * trailing backslash, '#' to the end of the line, case-insensitive types and controls, "[...]"
 * one word), for the session lines and pam_nsbox's rules about them. Pure code: no privileged
 * work, no logging; runs in nsboxctl and in nsbox-helper (root). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsbox/array.h"
#include "nsbox/cleanup.h"
#include "pamstack.h"

static const char *const default_dirs[] = { "/etc/pam.d", "/usr/lib/pam.d", NULL };

struct loader {
	const char *const *dirs;
	struct nsbox_pam_stack *st;
	size_t cap;
	struct nsbox_conf_err *err;
};

static int
fail(struct loader *l, const char *file, unsigned line, int r, const char *msg)
{
	snprintf(l->err->file, sizeof(l->err->file), "%s", file);
	l->err->line = line;
	snprintf(l->err->msg, sizeof(l->err->msg), "%s", msg);
	return r;
}

/* Where NAME lives: itself when absolute, else in the first of the directories that has it. */
static int
find_file(const char *const *dirs, const char *name, char *path, size_t n)
{
	struct stat st;

	if (name[0] == '/') {
		snprintf(path, n, "%s", name);
		return stat(path, &st) == 0 ? 0 : -errno;
	}
	if (!name[0] || strchr(name, '/'))
		return -EINVAL;
	for (size_t i = 0; dirs[i]; i++) {
		if ((size_t)snprintf(path, n, "%s/%s", dirs[i], name) >= n)
			return -ENAMETOOLONG;
		if (stat(path, &st) == 0)
			return 0;
	}
	return -ENOENT;
}

/* Splits S into words in place, a word that starts with '[' running to the next ']'. */
static size_t
split(char *s, char **w, size_t max)
{
	size_t n = 0;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s || n == max)
			return n;
		w[n++] = s;
		if (*s == '[') {
			char *e = strchr(s, ']');
			s = e ? e + 1 : s + strlen(s);
		}
		while (*s && *s != ' ' && *s != '\t')
			s++;
		if (*s)
			*s++ = 0;
	}
}

static int add_file(struct loader *l, const char *name, const char *from, unsigned at, int depth);

/* One logical line (joined, comment cut) of FILE at LINE. */
static int
add_line(struct loader *l, char *s, const char *file, unsigned line, int depth)
{
	char *w[64];
	size_t n = split(s, w, ARRAY_SIZE(w));
	struct nsbox_pam_entry *e;
	bool dash;

	if (n == 0)
		return 0;
	if (strcmp(w[0], "@include") == 0)
		return n == 2 ? add_file(l, w[1], file, line, depth + 1) : 0;
	dash = w[0][0] == '-';
	if (strcasecmp(w[0] + dash, "session") != 0 || n < 3)
		return 0; /* another type, or a line Linux-PAM would refuse: not ours to judge */
	if (strcasecmp(w[1], "include") == 0 || strcasecmp(w[1], "substack") == 0)
		return add_file(l, w[2], file, line, depth + 1);
	if (l->st->n == NSBOX_PAM_MAX_ENTRIES)
		return fail(l, file, line, -E2BIG, "more session lines than nsboxctl reads");
	void *v = nsbox_grow(l->st->e, l->st->n, &l->cap, sizeof(*e), 16);
	if (!v)
		return fail(l, file, line, -ENOMEM, "out of memory");
	l->st->e = v;
	e = &l->st->e[l->st->n++];
	*e = (struct nsbox_pam_entry){ .line = line, .dash = dash };
	snprintf(e->file, sizeof(e->file), "%s", file);
	snprintf(e->control, sizeof(e->control), "%s", w[1]);
	snprintf(e->module, sizeof(e->module), "%s", w[2]);
	for (size_t i = 3; i < n; i++) {
		size_t len = strlen(e->args);
		snprintf(e->args + len, sizeof(e->args) - len, "%s%s", len ? " " : "", w[i]);
	}
	return 0;
}

static int
add_file(struct loader *l, const char *name, const char *from, unsigned at, int depth)
{
	char path[256], msg[320];
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	unsigned line = 0;
	int r;

	if (depth > NSBOX_PAM_MAX_DEPTH)
		return fail(l, from, at, -ELOOP, "includes nested too deep (a loop?)");
	r = find_file(l->dirs, name, path, sizeof(path));
	if (r < 0) {
		snprintf(msg, sizeof(msg), "cannot find included '%.200s': %s", name, strerror(-r));
		return fail(l, from, at, r, msg);
	}
	buf = malloc(NSBOX_PAM_MAX_FILE + 1);
	if (!buf)
		return fail(l, path, 0, -ENOMEM, "out of memory");
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return fail(l, path, 0, -errno, strerror(errno));
	for (;;) {
		ssize_t got = read(fd, buf + len, NSBOX_PAM_MAX_FILE + 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return fail(l, path, 0, -errno, strerror(errno));
		if (got == 0 || (len += (size_t)got) > NSBOX_PAM_MAX_FILE)
			break;
	}
	if (len > NSBOX_PAM_MAX_FILE)
		return fail(l, path, 0, -EFBIG, "file too large");
	buf[len] = 0;
	if (strlen(buf) != len)
		return fail(l, path, 0, -EINVAL, "file holds a NUL byte");
	/* logical lines: a backslash before the newline joins the next one */
	for (char *s = buf, *next; s && *s; s = next) {
		unsigned first = ++line;
		char *nl;
		for (nl = strchr(s, '\n'); nl && nl > s && nl[-1] == '\\'; nl = strchr(nl + 1, '\n')) {
			nl[-1] = nl[0] = ' ';
			line++;
		}
		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = 0;
		char *hash = strchr(s, '#');
		if (hash)
			*hash = 0;
		r = add_line(l, s, path, first, depth);
		if (r < 0)
			return r;
	}
	return 0;
}

int
nsbox_pam_stack_load(const char *service, const char *const *dirs, struct nsbox_pam_stack *st,
		     struct nsbox_conf_err *err)
{
	struct loader l = { .dirs = dirs ? dirs : default_dirs, .st = st, .err = err };
	int r;

	*st = (struct nsbox_pam_stack){ 0 };
	memset(err, 0, sizeof(*err));
	if (!service[0] || strchr(service, '/'))
		return fail(&l, service, 0, -EINVAL, "not a PAM service name");
	r = find_file(l.dirs, service, st->file, sizeof(st->file));
	if (r < 0) {
		snprintf(err->file, sizeof(err->file), "%s", service);
		snprintf(err->msg, sizeof(err->msg), "no such PAM service (Linux-PAM would use 'other')");
		return r;
	}
	r = add_file(&l, service, service, 0, 0);
	if (r < 0)
		nsbox_pam_stack_free(st);
	return r;
}

void
nsbox_pam_stack_free(struct nsbox_pam_stack *st)
{
	free(st->e);
	st->e = NULL;
	st->n = 0;
}

const char *
nsbox_pam_module_name(const struct nsbox_pam_entry *e)
{
	const char *slash = strrchr(e->module, '/');

	return slash ? slash + 1 : e->module;
}

bool
nsbox_pam_is_leave(const struct nsbox_pam_entry *e)
{
	char args[sizeof(e->args)], *w[64];
	size_t n;

	snprintf(args, sizeof(args), "%s", e->args);
	n = split(args, w, ARRAY_SIZE(w));
	for (size_t i = 0; i < n; i++)
		if (strcmp(w[i], "leave") == 0)
			return true;
	return false;
}

long
nsbox_pam_find(const struct nsbox_pam_stack *st, const char *name)
{
	for (size_t i = 0; i < st->n; i++)
		if (strcmp(nsbox_pam_module_name(&st->e[i]), name) == 0)
			return (long)i;
	return -1;
}

static bool
is_nsbox(const struct nsbox_pam_entry *e)
{
	return strcmp(nsbox_pam_module_name(e), "pam_nsbox.so") == 0;
}

/* A control under which a failing pam_nsbox still lets the session open. */
static bool
lets_failure_through(const struct nsbox_pam_entry *e)
{
	if (e->dash || strcasecmp(e->control, "optional") == 0 ||
	    strcasecmp(e->control, "sufficient") == 0)
		return true;
	/* [...]: every error must end in die or bad; "default=" covers what is not named */
	if (e->control[0] == '[')
		return !strstr(e->control, "default=die") && !strstr(e->control, "default=bad");
	return false;
}

unsigned
nsbox_pam_stack_check(const struct nsbox_pam_stack *st, bool user_manager,
		      void (*fn)(const struct nsbox_pam_entry *at, const char *msg, void *arg),
		      void *arg)
{
	long box = -1, leave = -1;
	unsigned n = 0;
	char m[1024];

	for (size_t i = 0; i < st->n; i++) {
		if (!is_nsbox(&st->e[i]))
			continue;
		if (nsbox_pam_is_leave(&st->e[i])) {
			if (leave < 0)
				leave = (long)i;
		} else
			box = (long)i;
	}
	if (box < 0) {
		fn(NULL, "no 'session required pam_nsbox.so' line: this service boxes nobody", arg);
		return 1;
	}
	const struct nsbox_pam_entry *b = &st->e[box];
	if (lets_failure_through(b)) {
		fn(b, "pam_nsbox.so is not 'required': a box that fails would let the login in unboxed",
		   arg);
		n++;
	}
	for (size_t i = (size_t)box + 1; i < st->n; i++) {
		const struct nsbox_pam_entry *e = &st->e[i];
		if (is_nsbox(e))
			continue;
		if (strcmp(nsbox_pam_module_name(e), "pam_systemd.so") == 0)
			snprintf(m, sizeof(m), "pam_systemd.so (%s:%u) comes after pam_nsbox.so: logind "
				 "cannot register a session from inside the box; pam_nsbox.so must come "
				 "after it, as the last session line", e->file, e->line);
		else
			snprintf(m, sizeof(m), "%s (%s:%u) comes after pam_nsbox.so: at login it runs "
				 "inside the box; pam_nsbox.so must be the last session line",
				 nsbox_pam_module_name(e), e->file, e->line);
		fn(e, m, arg);
		n++;
	}
	if (user_manager)
		return n; /* the module refuses a boxed user's manager: nothing closes in a box */
	if (leave < 0) {
		fn(NULL, "no 'session optional pam_nsbox.so leave' line first: the modules above "
			 "pam_nsbox.so close with the application still in the box (pam_systemd "
			 "cannot end the logind session, close hooks cannot run programs)", arg);
		return n + 1;
	}
	if (leave > box) {
		fn(&st->e[leave], "the leave line comes after pam_nsbox.so's own line, where it does "
				  "nothing: it must be the first session line", arg);
		return n + 1;
	}
	for (long i = 0; i < leave; i++) {
		const struct nsbox_pam_entry *e = &st->e[i];
		snprintf(m, sizeof(m), "%s (%s:%u) comes before the leave line: at logout it closes "
			 "inside the box; the leave line must be the first session line",
			 nsbox_pam_module_name(e), e->file, e->line);
		fn(e, m, arg);
		n++;
	}
	return n;
}
