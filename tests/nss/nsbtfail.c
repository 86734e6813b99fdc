// SPDX-License-Identifier: BSD-3-Clause
/* Test-only NSS module: a directory service (LDAP, SSSD) that is down. Loaded by glibc in the
 * e2e test's own mount namespace only (t16-nss.t), as libnss_nsbtfail.so.2 (TRYAGAIN, errno
 * EAGAIN: a busy or timed-out server) and libnss_nsbtdown.so.2 (UNAVAIL, errno ENOENT: what
 * sss_nss reports when sssd's socket is gone). Never installed. Every group lookup fails. */
#include <errno.h>
#include <grp.h>
#include <nss.h>
#include <stddef.h>
#include <sys/types.h>

#ifndef NSBT_NAME
#error "build with -DNSBT_NAME=nsbtfail or nsbtdown"
#endif
#ifdef NSBT_DOWN
#define FAIL_STATUS NSS_STATUS_UNAVAIL
#define FAIL_ERRNO  ENOENT
#else
#define FAIL_STATUS NSS_STATUS_TRYAGAIN
#define FAIL_ERRNO  EAGAIN
#endif

#define CAT2(a, b) a##b
#define CAT(a, b)  CAT2(a, b)
#define FN(x)      CAT(CAT(CAT(_nss_, NSBT_NAME), _), x)

enum nss_status FN(getgrgid_r)(gid_t gid, struct group *g, char *buf, size_t len, int *errnop);
enum nss_status FN(getgrnam_r)(const char *name, struct group *g, char *buf, size_t len,
			       int *errnop);
enum nss_status FN(initgroups_dyn)(const char *user, gid_t group, long *start, long *size,
				   gid_t **groups, long limit, int *errnop);

enum nss_status
FN(getgrgid_r)(gid_t gid, struct group *g, char *buf, size_t len, int *errnop)
{
	(void)gid, (void)g, (void)buf, (void)len;
	*errnop = FAIL_ERRNO;
	return FAIL_STATUS;
}

enum nss_status
FN(getgrnam_r)(const char *name, struct group *g, char *buf, size_t len, int *errnop)
{
	(void)name, (void)g, (void)buf, (void)len;
	*errnop = FAIL_ERRNO;
	return FAIL_STATUS;
}

enum nss_status
FN(initgroups_dyn)(const char *user, gid_t group, long *start, long *size, gid_t **groups,
		   long limit, int *errnop)
{
	(void)user, (void)group, (void)start, (void)size, (void)groups, (void)limit;
	*errnop = FAIL_ERRNO;
	return FAIL_STATUS;
}
