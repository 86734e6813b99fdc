// SPDX-License-Identifier: BSD-3-Clause
/* Small file helpers for nsbox-helper and nsboxctl (root): key=value files, files created
 * without following symlinks, a directory tree removed without following them, and printable
 * copies of a client's strings. */
#ifndef NSBOX_FILE_H
#define NSBOX_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Reads until EOF or MAX bytes into BUF; *LEN gets the count. 0 or -errno. */
int read_full(int fd, char *buf, size_t max, size_t *len);
/* NAME in DIRFD as a regular file for reading, no symlink followed (-ELOOP), close-on-exec. */
int open_regular(int dirfd, const char *name);
/* DIR as a real directory (no symlink followed: -EPERM) that belongs to us and nobody else can
 * write (-EPERM): else anyone could swap what it holds. Close-on-exec fd or -errno. */
int open_private_dir(const char *dir);

typedef int (*kv_fn)(const char *key, const char *val, void *arg);
/* Calls FN for each "key=value" line of the NUL-terminated text BUF (lines without '=' are
 * skipped; a line is at most 1023 bytes, the rest of a longer one is dropped). */
void kv_parse(const char *buf, kv_fn fn, void *arg);
/* The same for file NAME in DIRFD (AT_FDCWD for a path): regular files only, no symlink
 * followed, at most 64 KiB read. */
int kv_read(int dirfd, const char *name, kv_fn fn, void *arg);
/* A new or emptied regular file NAME in DIRFD for writing (no symlink followed), close-on-exec;
 * NULL + errno. */
FILE *file_create(int dirfd, const char *name, mode_t mode);
/* fflush: 0, or the -errno the write failed with (-ENOSPC on a full file system). */
int file_flush(FILE *f);
/* Removes directory NAME in DIRFD and everything below it; a symlink is removed, never
 * followed. Missing: 0. */
int dir_remove_tree(int dirfd, const char *name);
/* Whether someone holds an flock on directory NAME in DIRFD (a box's supervisor holds its own
 * until it exits): probed shared without waiting and released at once. 1 held, 0 not, -errno
 * (-ENOENT: no such directory). */
int dir_lock_held(int dirfd, const char *name);
/* SRC, a string a login's client chose (its remote host, its tty), as one line of printable
 * text in DST (N bytes, cut to fit): control characters, and with QUOTE also single quotes (for a
 * log line that quotes it), become '?'. */
void printable_copy(char *dst, size_t n, const char *src, bool quote);

#endif
