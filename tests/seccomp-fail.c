// SPDX-License-Identifier: BSD-3-Clause
/* seccomp-fail: test-only (root, never installed): runs a command under a seccomp filter that
 * fails one system call with a chosen errno when its first argument has a chosen value, in that
 * process and every process it starts. strace's --inject counts calls per process and cannot look
 * at arguments, so it cannot fail the box init's close_range(5, ...) without first failing the
 * supervisor's close_range(4, ...) at start-up; a filter on the argument can.
 *
 *   seccomp-fail SYSCALL ARG0 ERRNO -- COMMAND [ARG...]
 *
 * ARG0 is compared as a 32-bit value (an int argument; -1 works). Root installs the filter
 * without no_new_privs, so what the command execs keeps its privileges. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
usage(void)
{
	fprintf(stderr, "usage: seccomp-fail SYSCALL ARG0 ERRNO -- COMMAND [ARG...]\n");
	return 2;
}

int
main(int argc, char **argv)
{
	scmp_filter_ctx ctx;
	char *end;
	long arg0, err;
	int nr, r;

	if (argc < 6 || strcmp(argv[4], "--"))
		return usage();
	nr = seccomp_syscall_resolve_name(argv[1]);
	errno = 0;
	arg0 = strtol(argv[2], &end, 0);
	if (nr == __NR_SCMP_ERROR || errno || *end)
		return usage();
	err = strtol(argv[3], &end, 0);
	if (*end || err <= 0 || err > 4095)
		return usage();
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 1;
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)err), nr, 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ, 0xffffffffULL, (uint64_t)arg0 & 0xffffffffULL));
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		fprintf(stderr, "seccomp-fail: %s\n", strerror(-r));
		return 1;
	}
	execv(argv[5], argv + 5);
	fprintf(stderr, "seccomp-fail: %s: %s\n", argv[5], strerror(errno));
	return 127;
}
