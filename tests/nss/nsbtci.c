// SPDX-License-Identifier: BSD-3-Clause
/* Test-only NSS module: a user directory that matches names case-insensitively (SSSD with
 * case_sensitive = false), so that "NSBT-X" logs in as nsbt-x: the entry of /etc/passwd whose
 * name is the one asked for in any case, under its own spelling. Loaded by glibc in an e2e
 * test's own mount namespace only (t66-uid.t), as libnss_nsbtci.so.2. Never installed. */
#include <errno.h>
#include <nss.h>
#include <pwd.h>
#include <stdio.h>
#include <strings.h>
#include <sys/types.h>

enum nss_status _nss_nsbtci_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len,
				       int *errnop);

enum nss_status
_nss_nsbtci_getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, int *errnop)
{
	/* the file itself, not getpwnam: an NSS module must not call back into NSS */
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *e;
	int r;

	if (!f) {
		*errnop = errno;
		return NSS_STATUS_UNAVAIL;
	}
	while ((r = fgetpwent_r(f, pw, buf, len, &e)) == 0)
		if (strcasecmp(e->pw_name, name) == 0) {
			fclose(f);
			return NSS_STATUS_SUCCESS;
		}
	fclose(f);
	*errnop = r == ERANGE ? ERANGE : ENOENT;
	return r == ERANGE ? NSS_STATUS_TRYAGAIN : NSS_STATUS_NOTFOUND;
}
