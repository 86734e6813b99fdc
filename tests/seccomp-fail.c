// SPDX-License-Identifier: BSD-3-Clause
/* seccomp-fail: test-only (root, never installed): runs a command under a seccomp filter that
 * fails one system call with a chosen errno when one of its arguments has a chosen value, in that
 * process and every process it starts. strace's --inject counts calls per process and cannot look
 * at arguments, so it cannot fail the box init's close_range(5, ...) without first failing the
 * supervisor's close_range(4, ...) at start-up; a filter on the argument can.
 *
 *   seccomp-fail [-a INDEX] [-m MASK] SYSCALL VALUE ERRNO -- COMMAND [ARG...]
 *
 * The call fails when (argument INDEX & MASK) == VALUE. INDEX is 0 to 5 (default 0: the first
 * argument); ioctl's request is argument 1. MASK defaults to 0xffffffff: an int argument, compared
 * as 32 bits (-1 works); -m 0 with VALUE 0 fails every call; -m 0x1000 with VALUE 0x1000 fails the
 * calls with that flag bit set. Root installs the filter without no_new_privs, so what the
 * command execs keeps its privileges. */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int
usage(void)
{
	fprintf(stderr, "usage: seccomp-fail [-a INDEX] [-m MASK] SYSCALL VALUE ERRNO -- COMMAND "
			"[ARG...]\n");
	return 2;
}

/* *OUT from S, a number in any base strtoul takes (a leading '-' wraps, as for -1): 0 or -1 */
static int
number(const char *s, unsigned long long *out)
{
	char *end;

	errno = 0;
	*out = strtoull(s, &end, 0);
	return errno || !*s || *end ? -1 : 0;
}

int
main(int argc, char **argv)
{
	unsigned long long index = 0, mask = 0xffffffffULL, value, err;
	scmp_filter_ctx ctx;
	int nr, r, c;

	while ((c = getopt(argc, argv, "+a:m:")) != -1) {
		if (c == 'a' && number(optarg, &index) == 0 && index <= 5)
			continue;
		if (c == 'm' && number(optarg, &mask) == 0)
			continue;
		return usage();
	}
	argv += optind;
	argc -= optind;
	if (argc < 5 || strcmp(argv[3], "--"))
		return usage();
	nr = seccomp_syscall_resolve_name(argv[0]);
	if (nr == __NR_SCMP_ERROR || number(argv[1], &value) < 0)
		return usage();
	if (number(argv[2], &err) < 0 || err == 0 || err > 4095)
		return usage();
	ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return 1;
	r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO((unsigned)err), nr, 1,
			     SCMP_CMP((unsigned)index, SCMP_CMP_MASKED_EQ, mask, value & mask));
	if (r == 0)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r < 0) {
		fprintf(stderr, "seccomp-fail: %s\n", strerror(-r));
		return 1;
	}
	execv(argv[4], argv + 4);
	fprintf(stderr, "seccomp-fail: %s: %s\n", argv[4], strerror(errno));
	return 127;
}
