// SPDX-License-Identifier: BSD-3-Clause
/* Arrays that grow by doubling, shared by every nsbox binary (conf, lib, helper, nsboxctl); no privilege of its own. */
#ifndef NSBOX_ARRAY_H
#define NSBOX_ARRAY_H

#include <stdlib.h>

/* V, an array of *CAP elements of SIZE bytes of which N are used, with room for one more: V
 * itself while it has room, else V reallocated to twice *CAP elements (FIRST at first) and *CAP
 * updated. NULL when out of memory, with V still valid and *CAP unchanged. */
static inline void *
nsbox_grow(void *v, size_t n, size_t *cap, size_t size, size_t first)
{
	size_t c;
	void *nv;

	if (n < *cap)
		return v;
	c = *cap ? 2 * *cap : first;
	nv = reallocarray(v, c, size);
	if (nv)
		*cap = c;
	return nv;
}

#endif
