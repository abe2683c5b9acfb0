/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Helpers private to libsmoothfs.  Nothing here is exported: the version
 * script exports smoothfs_* only, and these are all static inline or
 * smoothfs__ (double underscore, hidden) functions.
 */
#ifndef SMOOTHFS_INTERNAL_H
#define SMOOTHFS_INTERNAL_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "smoothfs/smoothfs.h"

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _hidden_ __attribute__((visibility("hidden")))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand a pointer over to someone else: return it and clear the variable. */
#define TAKE_PTR(p) ({ __typeof__(p) _p = (p); (p) = NULL; _p; })
#define TAKE_FD(fd) ({ int _fd = (fd); (fd) = -1; _fd; })

/* Format a reason into an optional caller buffer; returns r. */
_hidden_ _printf_(4, 5) int smoothfs__error(char *err, size_t errlen, int r, const char *fmt, ...);

/* Records why the calling thread's call on @c failed (client_last_error); returns r. */
_hidden_ _printf_(3, 4) int smoothfs__client_error(smoothfs_client *c, int r, const char *fmt, ...);

#endif /* SMOOTHFS_INTERNAL_H */
