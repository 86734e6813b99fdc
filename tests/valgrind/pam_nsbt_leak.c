// SPDX-License-Identifier: BSD-3-Clause
/* Test-only PAM module, never installed: loses one allocation in every pam_sm_open_session, so
 * tests/e2e/t80-valgrind.t can show that its valgrind run fails on a leak inside a PAM module
 * (the probe for that check). Loaded by pam-run as root. */
#include <stdlib.h>
#include <string.h>

#include <security/pam_modules.h>

#define EXPORT __attribute__((visibility("default")))

/* volatile: the store and the loss of the pointer cannot be optimised away */
static void *volatile last;

EXPORT int
pam_sm_open_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	last = malloc(48);
	if (last)
		memset(last, 0x5a, 48);
	last = NULL;
	return PAM_SUCCESS;
}

EXPORT int
pam_sm_close_session(pam_handle_t *pamh, int flags, int argc, const char **argv)
{
	(void)pamh;
	(void)flags;
	(void)argc;
	(void)argv;
	return PAM_SUCCESS;
}
