// SPDX-License-Identifier: BSD-3-Clause
/* The member sessions of a shared box (share = user): the file BOX_MEMBERS in the box's directory,
 * written by the box's supervisor (nsbox-helper, root) at each join and leave, read by nsboxctl
 * (root). Returns 0 or -errno, never logs. */
#ifndef NSBOX_MEMBER_H
#define NSBOX_MEMBER_H

#include <stddef.h>
#include <sys/types.h>

#define BOX_MEMBERS_MAX 1000 /* the largest max_sessions */

/* One session in a box, as PAM told its module (printable text: no tab, no newline). */
struct box_member {
	int app;            /* the PAM application's pid (host view) */
	long long started;  /* unix time of the join */
	char service[64];
	char tty[64];
	char rhost[256];
};

/* Replaces box ID's member list with the N members M (a reader sees the old list or the new). */
int box_members_write(const char *id, const struct box_member *m, size_t n);
/* Box ID's members into *M (malloc'd, the caller frees), *N of them; a box without a list has
 * none (0, *N = 0). Same trust checks as box_record_read. */
int box_members_read(const char *id, struct box_member **m, size_t *n);
/* One member as the file's line value, and back (-EINVAL for a malformed one). */
int box_member_format(const struct box_member *m, char *out, size_t n);
int box_member_parse(const char *val, struct box_member *m);

#endif
