// SPDX-License-Identifier: BSD-3-Clause
/* What nsboxctl's command files share (ctl/nsboxctl.c owns main and the usage). */
#ifndef NSBOX_CTL_H
#define NSBOX_CTL_H

#include <stddef.h>

#include "record.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_NOT_ROOT = 4 }; /* nsboxctl(8) */

/* A command line that cannot run: one line saying why (getopt has said it when WHY is NULL),
 * then the usage, all on stderr. Returns EXIT_USAGE. */
int ctl_bad_usage(const char *why, const char *arg);
/* IN as the body of a JSON string, into OUT (N bytes); returns OUT. */
const char *ctl_js(const char *in, char *out, size_t n);

int cmd_refusals(int argc, char **argv);

/* ---- the live boxes (boxes.c) ---- */

/* A pinned box: pidfds of its init and supervisor, opened and then checked against the record,
 * so they name the very processes the record does. */
struct pinned {
	struct box_record r;
	int initfd, supfd;
};

/* Box ID pinned into *P: 0, or 1 with a message printed. */
int pin_box(const char *id, struct pinned *p);
void unpin(struct pinned *p);

struct boxes {
	struct box_record *v;
	size_t n, cap;
	const char *user; /* only this user's, when set */
};

/* The live boxes (of USER, when not NULL), oldest first: 0, or -errno with a message. */
int scan_boxes(struct boxes *b, const char *user);

int cmd_list(int argc, char **argv);
int cmd_show(int argc, char **argv);

#endif
