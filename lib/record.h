/* Box records under /run/nsbox/boxes, for nsbox-helper (writes, root) and nsboxctl (reads,
 * root); returns 0 or -errno, never logs. */
#ifndef NSBOX_RECORD_H
#define NSBOX_RECORD_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "nsbox/proto.h"

#define NSBOX_RUN_DIR    "/run/nsbox"
#define NSBOX_BOXES_DIR  NSBOX_RUN_DIR "/boxes"
#define NSBOX_RESOLV_DIR NSBOX_RUN_DIR "/resolv"
#define NSBOX_DHCP_DIR   NSBOX_RUN_DIR "/dhcp"

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
