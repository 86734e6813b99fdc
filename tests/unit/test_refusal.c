// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for lib/refusal.c: the refusal log's lines round-trip whatever PAM gave (spaces,
 * '%', '=', newlines, high bytes, empty values, every field at its longest), malformed lines are
 * refused, and the append creates a root-only file, refuses one that is not, and rotates past
 * NSBOX_REFUSALS_MAX. Runs as any user (the append's file checks as root only). Output: TAP. */
#include "../../lib/refusal.c"

#include <stdlib.h>
#include <sys/stat.h>

#include "tap.h"

static void
fill(char *dst, size_t n, unsigned seed)
{
	for (size_t i = 0; i + 1 < n; i++)
		dst[i] = (char)(1 + (i * 7 + seed) % 255); /* every byte but NUL */
	dst[n - 1] = 0;
}

static bool
same(const struct nsbox_refusal *a, const struct nsbox_refusal *b)
{
	return a->time == b->time && !strcmp(a->ref, b->ref) && !strcmp(a->user, b->user) &&
	       !strcmp(a->service, b->service) && !strcmp(a->rhost, b->rhost) &&
	       !strcmp(a->tty, b->tty) && !strcmp(a->reason, b->reason);
}

static void
roundtrip(const struct nsbox_refusal *r, const char *what)
{
	char line[NSBOX_REFUSAL_LINE_MAX];
	struct nsbox_refusal back;

	is_int(refusal_format(r, line, sizeof(line)), 0, "%s: formatted", what);
	ok(strchr(line, '\n') == line + strlen(line) - 1, "%s: one line, LF last", what);
	line[strlen(line) - 1] = 0;
	is_int(refusal_parse(line, &back), 0, "%s: parsed back", what);
	ok(same(r, &back), "%s: every field as it was", what);
}

int
main(void)
{
	struct nsbox_refusal r = { .time = 1796000000, .user = "alice", .service = "sshd",
				   .rhost = "192.0.2.7", .tty = "ssh",
				   .reason = "bad config: /etc/security/nsbox.conf:3: unknown key 'x'" };
	char line[NSBOX_REFUSAL_LINE_MAX];

	refusal_new_ref(r.ref);
	ok(strlen(r.ref) == NSBOX_REF_LEN && strspn(r.ref, "0123456789abcdef") == NSBOX_REF_LEN,
	   "a reference is %d hex digits: %s", NSBOX_REF_LEN, r.ref);
	roundtrip(&r, "plain");
	refusal_format(&r, line, sizeof(line));
	ok(!strncmp(line, "1796000000 ref=", 15) && strstr(line, " user=alice service=sshd "),
	   "the line reads as documented: %s", line);

	struct nsbox_refusal h = { .time = 0, .ref = "00000000", .user = "a b%c=d\ne\x7f\xc3\xa9",
				   .service = "", .rhost = "", .tty = "" };
	snprintf(h.reason, sizeof(h.reason), "line one\nuser=mallory reason=forged");
	roundtrip(&h, "spaces, %, =, newline, DEL, UTF-8, empty values");
	refusal_format(&h, line, sizeof(line));
	ok(!strstr(line, " user=mallory"), "a value cannot forge a field");

	struct nsbox_refusal big = { .time = 1 };
	snprintf(big.ref, sizeof(big.ref), "ffffffff");
	fill(big.user, sizeof(big.user), 1);
	fill(big.service, sizeof(big.service), 2);
	fill(big.rhost, sizeof(big.rhost), 3);
	fill(big.tty, sizeof(big.tty), 4);
	fill(big.reason, sizeof(big.reason), 5);
	roundtrip(&big, "every field at its longest, every byte");
	is_int(refusal_format(&big, line, 100), -ENOSPC, "a short buffer: -ENOSPC");

	const char *bad[] = { "", "x ref=1 user= service= rhost= tty= reason=",
			      "1 ref=1 user= service= rhost= tty=",
			      "1 ref=1 user=%zz service= rhost= tty= reason=",
			      "1 ref=1 user=%00 service= rhost= tty= reason=",
			      "1 ref=1 user= service= rhost= tty= reason= extra=1",
			      "1 user= ref=1 service= rhost= tty= reason=",
			      "-5 ref=1 user= service= rhost= tty= reason=" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct nsbox_refusal x;
		is_int(refusal_parse(bad[i], &x), -EINVAL, "refused: '%s'", bad[i]);
	}

	/* the append, in a directory of the test's own */
	char dir[] = "/tmp/nsbox-test-refusal.XXXXXX", path[64], old[64];
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/refusals", dir);
	snprintf(old, sizeof(old), "%s/refusals.old", dir);
	if (geteuid() != 0) {
		is_int(refusal_append(path, old, &r), -EPERM, "not root: a file of a user is refused");
	} else {
		struct stat st;
		is_int(refusal_append(path, old, &r), 0, "appended");
		ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_uid == 0,
		   "the log is root's, mode 0600");
		is_int(refusal_append(path, old, &h), 0, "appended a second");
		FILE *f = fopen(path, "re");
		int n = 0, good = 0;
		while (f && fgets(line, sizeof(line), f)) {
			struct nsbox_refusal x;
			line[strcspn(line, "\n")] = 0;
			n++;
			good += refusal_parse(line, &x) == 0 && same(&x, n == 1 ? &r : &h);
		}
		if (f)
			fclose(f);
		ok(n == 2 && good == 2, "two lines, each read back as written (%d, %d)", n, good);
		chmod(path, 0644);
		is_int(refusal_append(path, old, &r), -EPERM, "a log others may read is not written");
		chmod(path, 0600);
		ok(truncate(path, NSBOX_REFUSALS_MAX + 1) == 0, "the log grown past the bound");
		is_int(refusal_append(path, old, &r), 0, "appended past the bound");
		ok(stat(old, &st) == 0 && st.st_size == NSBOX_REFUSALS_MAX + 1,
		   "the full log became the .old one");
		ok(stat(path, &st) == 0 && st.st_size > 0 && st.st_size < 4096,
		   "the new log holds the one line");
		unlink(old);
		unlink(path);
		char other[80];
		snprintf(other, sizeof(other), "%s/other", dir);
		int ofd = open(other, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		ok(ofd >= 0 && link(other, path) == 0, "a hard link to another root file in its place");
		if (ofd >= 0)
			close(ofd);
		is_int(refusal_append(path, old, &r), -EPERM, "is never written through");
		struct stat ost;
		ok(stat(other, &ost) == 0 && ost.st_size == 0, "the other file is untouched");
		unlink(path);
		unlink(other);
		ok(symlink("/tmp/nsbox-test-refusal-target", path) == 0, "a symlink in its place");
		ok(refusal_append(path, old, &r) < 0, "is never followed");
		unlink(path);
	}
	rmdir(dir);
	return tap_done();
}
