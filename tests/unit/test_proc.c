// SPDX-License-Identifier: BSD-3-Clause
/* Unit tests for lib/proc.c's reading of the caller's own /proc/self/stat (proc_self): the
 * identity the helper keeps for its records and the ignored signals it resets from the same
 * read. Runs as any user. Output: TAP. */

#include "../../lib/proc.c"
#include "../../lib/file.c"

#include <signal.h>

#include "tap.h"

int
main(void)
{
	struct nsbox_proc self = { 0 }, byid = { 0 };
	unsigned long long ign = 0;

	signal(SIGUSR2, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	is_int(proc_self(&self, &ign), 0, "own stat read");
	is_int(self.pid, getpid(), "pid is ours");
	is_int(proc_id(getpid(), &byid), 0, "proc_id of ourselves");
	ok(self.start == byid.start && self.start > 0, "start time as proc_id reads it");
	ok(!(ign & (1ull << (SIGUSR2 - 1))), "SIGUSR2 at SIG_DFL is not in the ignored mask");

	/* probe: the mask follows what is ignored */
	signal(SIGUSR2, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	is_int(proc_self(&self, &ign), 0, "own stat read again");
	ok(ign & (1ull << (SIGUSR2 - 1)), "ignored SIGUSR2 is in the mask");
	ok(ign & (1ull << (SIGPIPE - 1)), "ignored SIGPIPE is in the mask");
	ok(!(ign & (1ull << (SIGTERM - 1))), "SIGTERM is not");
	signal(SIGUSR2, SIG_DFL);
	return tap_done();
}
