// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for the file helpers of lib/file.c: key=value parsing, files created without
 * following symlinks, and a box directory removed by a walk that never follows a symlink. Runs as
 * any user in a mkdtemp directory under /tmp. Output: TAP. */

#include "../../lib/file.c"

#include <stdio.h>

#include "tap.h"

static char base[64];

struct seen {
	char keys[8][32], vals[8][64];
	int n;
};

static int
collect(const char *k, const char *v, void *arg)
{
	struct seen *s = arg;

	if (s->n < 8) {
		snprintf(s->keys[s->n], sizeof(s->keys[0]), "%s", k);
		snprintf(s->vals[s->n], sizeof(s->vals[0]), "%s", v);
		s->n++;
	}
	return 0;
}

static void
touch(const char *p)
{
	FILE *f = fopen(p, "we");

	if (!f || fputs("x\n", f) < 0 || fclose(f) != 0)
		abort();
}

int
main(void)
{
	char p[128], q[192], outside[96];
	struct seen s = { .n = 0 };
	struct stat st;

	snprintf(base, sizeof(base), "/tmp/test_file.XXXXXX");
	if (!mkdtemp(base))
		return 1;

	kv_parse("a=1\nno equals\nb=x=y\n=empty\nlast=z", collect, &s);
	is_int(s.n, 4, "four key=value lines, the line without '=' skipped");
	is_str(s.keys[1], "b", "key before the first '='");
	is_str(s.vals[1], "x=y", "value keeps later '='");
	is_str(s.vals[3], "z", "a last line without newline counts");

	snprintf(p, sizeof(p), "%s/rec", base);
	touch(p);
	s.n = 0;
	is_int(kv_read(AT_FDCWD, p, collect, &s), 0, "kv_read of a regular file");
	snprintf(q, sizeof(q), "%s/rec-link", base);
	ok(symlink(p, q) == 0, "symlink to it planted");
	is_int(kv_read(AT_FDCWD, q, collect, &s), -ELOOP, "kv_read does not follow a symlink");
	errno = 0;
	ok(file_create(AT_FDCWD, q, 0600) == NULL && errno == ELOOP,
	   "file_create does not follow a symlink");

	/* A box directory with a file, a subdirectory, and symlinks to a file and a directory
	 * outside it: removing it must leave everything outside alone. */
	snprintf(outside, sizeof(outside), "%s/outside", base);
	ok(mkdir(outside, 0700) == 0, "outside directory");
	snprintf(p, sizeof(p), "%s/keep", outside);
	touch(p);
	snprintf(p, sizeof(p), "%s/box", base);
	ok(mkdir(p, 0700) == 0, "box directory");
	snprintf(q, sizeof(q), "%s/record", p);
	touch(q);
	snprintf(q, sizeof(q), "%s/sub", p);
	mkdir(q, 0700);
	snprintf(q, sizeof(q), "%s/sub/deep", p);
	touch(q);
	snprintf(q, sizeof(q), "%s/to-dir", p);
	ok(symlink(outside, q) == 0, "symlink to the outside directory");
	snprintf(q, sizeof(q), "%s/to-file", p);
	snprintf(p, sizeof(p), "%s/keep", outside);
	ok(symlink(p, q) == 0, "symlink to the outside file");

	_cleanup_close_ int dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(dir_remove_tree(dfd, "box"), 0, "box directory removed");
	snprintf(p, sizeof(p), "%s/box", base);
	ok(lstat(p, &st) < 0 && errno == ENOENT, "nothing of it is left");
	snprintf(p, sizeof(p), "%s/keep", outside);
	ok(lstat(p, &st) == 0, "the file behind a symlink is untouched");
	ok(lstat(outside, &st) == 0 && S_ISDIR(st.st_mode), "the directory behind a symlink is untouched");
	is_int(dir_remove_tree(dfd, "box"), 0, "removing a missing directory: 0");
	snprintf(q, sizeof(q), "%s/link-box", base);
	ok(symlink(outside, q) == 0, "a symlink in place of the box directory");
	ok(dir_remove_tree(dfd, "link-box") < 0, "is refused, not followed");
	ok(lstat(p, &st) == 0, "and what it points to is untouched");

	unlink(q);
	unlink(p);
	rmdir(outside);
	snprintf(p, sizeof(p), "%s/rec-link", base);
	unlink(p);
	snprintf(p, sizeof(p), "%s/rec", base);
	unlink(p);
	rmdir(base);
	return tap_done();
}
