// SPDX-License-Identifier: BSD-3-Clause
/* Scope-cleanup helpers shared by every nsbox binary (module, helper, nsboxctl, tests); no privilege of its own. */
#ifndef NSBOX_CLEANUP_H
#define NSBOX_CLEANUP_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void
nsbox_freep(void *p)
{
	free(*(void **)p);
}

static inline void
nsbox_closep(int *fd)
{
	/* close() is never retried: on Linux the fd is gone even on EINTR. */
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

static inline void
nsbox_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

static inline void
nsbox_closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

#define _cleanup_(f)      __attribute__((cleanup(f)))
#define _cleanup_free_    _cleanup_(nsbox_freep)
#define _cleanup_close_   _cleanup_(nsbox_closep)
#define _cleanup_fclose_  _cleanup_(nsbox_fclosep)
#define _cleanup_closedir_ _cleanup_(nsbox_closedirp)

/* Hand ownership on: the cleanup of the old name then does nothing. */
#define steal_fd(fd)                  \
	({                            \
		int _fd = (fd);       \
		(fd) = -1;            \
		_fd;                  \
	})
#define steal_ptr(p)                  \
	({                            \
		__typeof__(p) _p = (p); \
		(p) = NULL;           \
		_p;                   \
	})

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#endif
