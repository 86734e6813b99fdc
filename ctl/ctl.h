// SPDX-License-Identifier: BSD-3-Clause
/* What nsboxctl's command files share (ctl/nsboxctl.c owns main and the usage). */
#ifndef NSBOX_CTL_H
#define NSBOX_CTL_H

#include <stddef.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NOT_ROOT = 4 }; /* nsboxctl(8) */

/* A command line that cannot run: one line saying why (getopt has said it when WHY is NULL),
 * then the usage, all on stderr. Returns EXIT_USAGE. */
int ctl_bad_usage(const char *why, const char *arg);
/* IN as the body of a JSON string, into OUT (N bytes); returns OUT. */
const char *ctl_js(const char *in, char *out, size_t n);

int cmd_refusals(int argc, char **argv);

#endif
