// SPDX-License-Identifier: BSD-3-Clause
/* nsboxctl check's warnings (ctl/lint.c), run in nsboxctl as any user. */
#ifndef NSBOX_LINT_H
#define NSBOX_LINT_H

struct nsbox_conf;
/* Prints a line on stderr for each thing in C that loads but cannot do what it says: a [match]
 * section an earlier one hides from everyone it names, a group= name no source knows, root or
 * an administrator (groups sudo, wheel, admin) boxed with no_new_privs through SERVICE (sshd
 * and login when NULL). Returns how many. */
int nsbox_lint(const struct nsbox_conf *c, const char *service);

#endif
