/* Internal interfaces of nsbox-helper (root, host namespaces) and nsboxctl: box lifecycle,
 * netlink, state records. Functions return 0 or -errno and never log. */
#ifndef NSBOX_HELPER_H
#define NSBOX_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "conf.h"
#include "nsbox/proto.h"

#define NSBOX_RUN_DIR   "/run/nsbox"
#define NSBOX_BOXES_DIR NSBOX_RUN_DIR "/boxes"

/* A short message for the one log line, filled by whoever fails first. */
struct nsbox_why {
	char msg[400];
};
__attribute__((format(printf, 2, 3))) void why_set(struct nsbox_why *w, const char *fmt, ...);

/* ---- box.c: the box init and its lifetime ---- */
struct box {
	char id[NSBOX_ID_LEN + 1];
	pid_t init_pid;  /* in the host's pid namespace */
	int init_pidfd;
	int lifeline;    /* write end; the init exits when it reads EOF */
};

/* Clones the box init into new namespaces and waits until it has built the box (mounts,
 * hostname, lo up). HOSTNAME "" keeps the host's. On failure nothing is left. */
int box_create(struct box *b, const struct nsbox_settings *s, const char *hostname,
	       struct nsbox_why *why);
/* Kills the init (and with it every process of the box) and reaps it. Idempotent. */
void box_destroy(struct box *b);

/* ---- netlink.c (libmnl): each call acts in the caller's current network namespace ---- */
struct nl_veth {
	const char *host;          /* host end, created down in the caller's namespace */
	const char *peer;          /* box end, created directly in peer_netns_fd */
	const unsigned char *peer_mac;
	unsigned mtu;              /* 0 = kernel default */
	int peer_netns_fd;         /* an nsfs fd (/proc/PID/ns/net), not a pidfd */
};
int nl_link_up(const char *ifname);
int nl_link_v6_off(const char *ifname);
int nl_link_del(const char *ifname);
int nl_link_master_up(const char *ifname, int master_index);
/* Index (> 0) of IFNAME and its kind into KIND ("bridge", "veth", "" for a plain device). */
int nl_link_get(const char *ifname, char *kind, size_t kindlen);
int nl_veth_create(const struct nl_veth *v);
int nl_addr_add(int index, const struct nsbox_cidr *a);
int nl_route_default(int index, const struct nsbox_ip *gw);

/* ---- net.c: bridged networking of one box, run by the supervisor ---- */
#define NSBOX_RESOLV_DIR NSBOX_RUN_DIR "/resolv"
#define NSBOX_DHCP_DIR   NSBOX_RUN_DIR "/dhcp"
struct box_net {
	bool active, veth_made, leased4, leased6, dhcp_udhcpc;
	char host_if[16];
	struct nsbox_ip ip4, gw4, ip6;
	unsigned prefix4;
	unsigned reclaimed, corrupt; /* lease housekeeping, for the log */
	int netns;                   /* the box's network namespace, held until teardown */
	pid_t dhcp_pid;
	char dhcp_dir[64];
	char resolv[64];
};
/* Builds the veth, addresses, routes, DNS of a bridged box (nothing for network = none). On
 * failure the caller still calls net_release_early and net_teardown. */
int net_setup(const struct box *b, const struct nsbox_settings *s, const char *user,
	      struct box_net *n, struct nsbox_why *why);
/* While the box's network still lives: release the DHCP lease. */
void net_release_early(const struct nsbox_settings *s, struct box_net *n);
/* After the init is gone: host veth, leases, files. */
void net_teardown(const struct nsbox_settings *s, struct box_net *n, const char *id);

/* ---- state.c: group names of a login through NSS (LDAP/SSSD groups too), for the helper and
 * nsboxctl check alike ---- */
#define NSBOX_MAX_GROUPS 1024
struct passwd;
int user_groups(const struct passwd *pw, char ***names, size_t *n);
void groups_free(char **v, size_t n);

/* ---- state.c: one record per live box under /run/nsbox/boxes ---- */
struct box_record {
	char id[NSBOX_ID_LEN + 1];
	char user[256];
	char service[64];
	pid_t supervisor;
	unsigned long long supervisor_start; /* /proc/PID/stat starttime: detects pid reuse */
	pid_t init_pid;
	long long started;                   /* unix time */
	unsigned long namespaces;
	char hostname[65];
	char ipv4[64];
	char ipv6[64];
};

/* Reserves a fresh random id by creating its record exclusively. */
int state_reserve_id(char id[NSBOX_ID_LEN + 1]);
int state_write(const struct box_record *r);
/* A new or emptied regular file for writing (no symlink followed), close-on-exec; NULL + errno. */
FILE *fopen_trunc(const char *path, mode_t mode);
/* Calls FN for each "key=value" line of PATH (no symlinks followed). */
int kv_read(const char *path, int (*fn)(const char *key, const char *val, void *arg), void *arg);
int state_read(const char *id, struct box_record *r);
int state_remove(const char *id);
/* True while the supervisor named in R still runs (same pid, same start time). */
bool state_alive(const struct box_record *r);
/* Removes records whose supervisor is gone and calls FN (if any) for each live one. Returns how
 * many it removed. */
int state_scan(int (*fn)(const struct box_record *r, void *arg), void *arg);
int state_gc(void);
bool state_id_valid(const char *id);

#endif
