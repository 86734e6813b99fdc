// SPDX-License-Identifier: BSD-3-Clause
/* The one error (err.h), made in nsbox-helper or nsboxctl (root) where a step fails. */
#include <stdarg.h>
#include <stdio.h>

#include "err.h"

int
err_set(struct nsbox_err *e, int r, const char *fmt, ...)
{
	va_list ap;

	if (err_isset(e))
		return r; /* the first failure is the cause; later ones are consequences */
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	if (err_isset(e))
		e->errnum = -r;
	return r;
}

void
err_take(struct nsbox_err *dst, const struct nsbox_err *src)
{
	if (!err_isset(dst) && err_isset(src))
		*dst = *src;
}
