// SPDX-License-Identifier: BSD-3-Clause
/* Minimal TAP producer for the unit tests; runs unprivileged, output read by prove. */
#ifndef NSBOX_TAP_H
#define NSBOX_TAP_H
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int tap_n, tap_failed;

__attribute__((format(printf, 2, 3))) static inline int
tap_ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)
#define is_str(got, want, ...)                                                         \
	do {                                                                           \
		const char *_g = (got), *_w = (want);                                  \
		if (!tap_ok(_g && _w && strcmp(_g, _w) == 0, __VA_ARGS__))             \
			printf("#   got: '%s'\n#  want: '%s'\n", _g ? _g : "(null)", _w); \
	} while (0)
#define is_int(got, want, ...)                                                   \
	do {                                                                     \
		long _g = (long)(got), _w = (long)(want);                        \
		if (!tap_ok(_g == _w, __VA_ARGS__))                              \
			printf("#   got: %ld\n#  want: %ld\n", _g, _w);      \
	} while (0)

/* For a test that needs root: true (after printing a skip plan) when it must not run. Under
 * CI=true a skip is a failure, so the caller then exits with tap_skip_status(). */
static inline int
tap_skip_unless_root(const char *why)
{
	if (geteuid() == 0)
		return 0;
	printf("1..0 # SKIP needs root (%s)\n", why);
	return 1;
}

static inline int
tap_skip_status(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true") ? 1 : 0;
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#endif
