/* DHCP for a bridged box, in nsbox-helper's supervisor (root): an external client run in the box's
 * network namespace, and the lease it hands back. Returns 0 or -errno, never logs. */
#ifndef NSBOX_DHCP_H
#define NSBOX_DHCP_H

#include "conf.h"

struct dhcp_lease {
	struct nsbox_ip ip, gw;
	unsigned prefix;
	struct nsbox_ip dns[NSBOX_MAX_DNS];
	unsigned ndns;
	char search[NSBOX_MAX_SEARCH][254];
	unsigned nsearch;
};


/* Parses the script's key=value TEXT (ip, mask, routers, dns, search) into L: 0, or -EBADMSG when
 * it holds no usable IPv4 address and prefix. Values that do not parse are dropped. */
int dhcp_lease_parse(const char *text, struct dhcp_lease *l);
/* The same for the file at PATH (no symlink followed). */
int dhcp_lease_read(const char *path, struct dhcp_lease *l);

#endif
