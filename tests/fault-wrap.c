// SPDX-License-Identifier: BSD-3-Clause
/* fault-wrap: test-only stand-in for nsbox-helper (root, run by pam_nsbox.so through helper=);
 * never installed. Execs the command line in the file "fault.args" next to its own binary (one
 * argument per line; typically `strace ... -- /path/nsbox-helper --session`), so a test can
 * run the real helper under strace --inject. The module execs its helper by fd with an empty
 * environment and fixed arguments, and a script run by an O_CLOEXEC fd cannot find itself:
 * hence a binary that reads a file. The session socket (fd 3) passes through unchanged. With no
 * args file, or an empty one, it fails like a helper that could not start. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_ARGS 64

int
main(void)
{
	static char buf[8192];
	char exe[PATH_MAX], path[PATH_MAX + 16], *argv[MAX_ARGS + 1], *slash, *p;
	char *const envp[] = { NULL };
	ssize_t n;
	size_t len = 0;
	int fd, argc = 0;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 127;
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		return 127;
	*slash = 0;
	snprintf(path, sizeof(path), "%s/fault.args", exe);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 127;
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	for (p = buf; *p && argc < MAX_ARGS;) {
		char *nl = strchr(p, '\n');
		if (nl)
			*nl = 0;
		if (*p)
			argv[argc++] = p;
		if (!nl)
			break;
		p = nl + 1;
	}
	argv[argc] = NULL;
	if (argc == 0)
		return 127;
	execve(argv[0], argv, envp);
	return 127;
}
