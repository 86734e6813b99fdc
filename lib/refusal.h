// SPDX-License-Identifier: BSD-3-Clause
/* The refusal log: one line per login pam_nsbox refused, appended by the module (root, in the
 * PAM application) and read by nsboxctl refusals (root), so that an admin finds a refusal a
 * user reports by its reference without grepping logs. Functions return 0 or -errno, never log. */
#ifndef NSBOX_REFUSAL_H
#define NSBOX_REFUSAL_H

#include <stddef.h>

#include "nsbox/paths.h"

#define NSBOX_REFUSALS     NSBOX_RUN_DIR "/refusals"
#define NSBOX_REFUSALS_OLD NSBOX_RUN_DIR "/refusals.old"
/* past this size the log is renamed to .old before the next line: the two hold the last
 * ~2000 refusals at most, on a tmpfs */
#define NSBOX_REFUSALS_MAX (256 * 1024)
#define NSBOX_REF_LEN      8 /* hex digits */
#define NSBOX_REFUSAL_LINE_MAX 4096 /* every field at its longest, each byte encoded */

struct nsbox_refusal {
	long long time; /* seconds since the epoch */
	char ref[NSBOX_REF_LEN + 1];
	char user[256], service[64], rhost[256], tty[64];
	char reason[600];
};

/* A fresh reference (NSBOX_REF_LEN hex digits): what the user is told and the log keeps. */
void refusal_new_ref(char ref[NSBOX_REF_LEN + 1]);
/* R as one line, LF-terminated, into OUT (N bytes): "TIME ref=R user=U service=S rhost=H tty=T
 * reason=WHY", each value with '%', ' ', '=' and every byte outside 0x21-0x7e as %XX. -ENOSPC
 * when it does not fit. */
int refusal_format(const struct nsbox_refusal *r, char *out, size_t n);
/* The line LINE (without its LF) into *R; -EINVAL when it is not one refusal_format wrote. */
int refusal_parse(const char *line, struct nsbox_refusal *r);
/* Appends R to the log at PATH (NSBOX_REFUSALS), renaming a log past NSBOX_REFUSALS_MAX to
 * OLD first. PATH's directory must exist and be root's alone; the file is created 0600 and
 * never followed as a symlink. One write(2) per line, O_APPEND: lines of concurrent logins do
 * not mix. */
int refusal_append(const char *path, const char *old, const struct nsbox_refusal *r);

#endif
