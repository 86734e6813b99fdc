// SPDX-License-Identifier: BSD-3-Clause
/* DHCP for a bridged box, in nsbox-helper's supervisor (root): an external client run in the box's
 * network namespace, and the lease it hands back. Returns 0 or -errno, never logs. */
#ifndef NSBOX_DHCP_H
#define NSBOX_DHCP_H

#include "conf.h"

struct dhcp_lease {
	struct nsbox_ip ip, gw;
	struct nsbox_ip server; /* the server that gave it (renewals go there); family 0: unknown */
	unsigned prefix;
	struct nsbox_ip dns[NSBOX_MAX_DNS];
	unsigned ndns;
	char search[NSBOX_MAX_SEARCH][254];
	unsigned nsearch;
	char bad[160]; /* why the lease was refused, for the log line */
};


/* Parses the script's key=value TEXT (NUL-terminated: ip, mask, routers, dns, search) into L:
 * 0, or -EBADMSG with L->bad saying why. Every value must be valid (a unicast IPv4 address, a
 * contiguous netmask, a router inside the subnet, unicast DNS servers, search names of at most
 * 253 bytes); values beyond NSBOX_MAX_DNS and NSBOX_MAX_SEARCH are dropped. Pure: no I/O. */
int dhcp_lease_parse(const char *text, struct dhcp_lease *l);
/* The same for the regular file at PATH (no symlink followed): -errno when it cannot be read. */
int dhcp_lease_read(const char *path, struct dhcp_lease *l);

#endif
