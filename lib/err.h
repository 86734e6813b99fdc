// SPDX-License-Identifier: BSD-3-Clause
/* The one error of nsbox-helper (root, host namespaces), and of what lib/ does for it and for
 * nsboxctl: the errno and the one-line message of the step that failed first, made where it
 * failed and passed up to the edge (helper.c, the sweeper) that reports it once, as the module's
 * reply or a log line. Functions still return -errno; this carries the words. */
#ifndef NSBOX_ERR_H
#define NSBOX_ERR_H

#include <stdbool.h>

struct nsbox_err {
	int errnum;    /* the failure's errno (positive); 0 while none is recorded */
	char msg[400]; /* "" while none is recorded */
};

/* Records -R (R: the -errno the caller returns) and the message, unless a failure is recorded
 * already: the first one is the cause, later ones are its consequences. An empty message records
 * nothing. Returns R. */
__attribute__((format(printf, 3, 4))) int err_set(struct nsbox_err *e, int r, const char *fmt,
						  ...);
/* SRC's failure into DST under the same rule: a step that ran beside another keeps its own error
 * until it is known which of the two came first. */
void err_take(struct nsbox_err *dst, const struct nsbox_err *src);

static inline bool
err_isset(const struct nsbox_err *e)
{
	return e->msg[0] != 0;
}

static inline void
err_clear(struct nsbox_err *e)
{
	e->errnum = 0;
	e->msg[0] = 0;
}

#endif
