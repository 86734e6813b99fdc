// SPDX-License-Identifier: BSD-3-Clause
/* The one table of namespaces a box can have, shared by the module, conf, the helper and nsboxctl; no privilege of its own. */
#ifndef NSBOX_NS_H
#define NSBOX_NS_H

#include <sched.h>
#include <stddef.h>
#include <string.h>

struct nsbox_ns {
	unsigned long flag;   /* CLONE_NEW* */
	const char *conf;     /* its name in nsbox.conf's `namespaces` */
	const char *proc;     /* its name under /proc/PID/ns */
};

/* Join order: mount last, because joining it resets root and cwd, and the others' /proc paths
 * are not needed after it. */
static const struct nsbox_ns nsbox_ns_table[] = {
	{ CLONE_NEWNET, "net", "net" },
	{ CLONE_NEWUTS, "uts", "uts" },
	{ CLONE_NEWIPC, "ipc", "ipc" },
	{ CLONE_NEWPID, "pid", "pid" },
	{ CLONE_NEWNS, "mount", "mnt" },
};
#define NSBOX_N_NS (sizeof(nsbox_ns_table) / sizeof(nsbox_ns_table[0]))
#define NSBOX_NS_ALL (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)

/* The table row whose nsbox.conf name is NAME, or NULL. */
static inline const struct nsbox_ns *
nsbox_ns_by_conf(const char *name)
{
	for (size_t i = 0; i < NSBOX_N_NS; i++)
		if (!strcmp(nsbox_ns_table[i].conf, name))
			return &nsbox_ns_table[i];
	return NULL;
}

#endif
