// SPDX-License-Identifier: BSD-3-Clause
/* The kernel floor of a box (bench/floor.c), for the benchmark driver (bench/pambench.c): root,
 * runs in the benchmark's private network namespace only. */
#ifndef NSBOX_BENCH_FLOOR_H
#define NSBOX_BENCH_FLOOR_H

#include <stdbool.h>

/* Opens the rtnetlink socket and looks BRIDGE up (NULL: veth rounds are refused). */
int floor_init(const char *bridge);
/* One box at the floor: clone into NS (CLONE_NEW* mask), the child makes / a recursive slave,
 * mounts proc (with CLONE_NEWPID) and sets the hostname (with CLONE_NEWUTS); with VETH the
 * parent adds a veth on the bridge with its peer created in the child's netns, and configures
 * lo, eth0, an address and a default route there with one batch. Then the child exits and is
 * reaped. Returns 0 or -errno; the caller times it. */
int floor_once(unsigned long ns, bool veth);

#endif
