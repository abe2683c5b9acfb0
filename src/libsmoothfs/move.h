/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The mover's file copying (move-copy.c), private to the library and
 * tested on plain directories by tests/unit/test-move.c.
 */
#ifndef SMOOTHFS_MOVE_H
#define SMOOTHFS_MOVE_H

#include <stdbool.h>

#include "internal.h"

_hidden_ int smoothfs__copy_data(int src, int dst, bool try_reflink);
_hidden_ int smoothfs__copy_xattrs(int src, int dst);
_hidden_ int smoothfs__copy_metadata(int src, int dst);
_hidden_ int smoothfs__stage_file(int src, int dir_fd, const char *name);

#include <stdio.h>
#include <sys/types.h>

/* move.c: the pool UUID of the smoothfs mount with device @dev, from a
 * /proc/self/mountinfo stream; -ENOENT if none, -EBADMSG if it has no uuid=. */
_hidden_ int smoothfs__mountinfo_pool(FILE *mountinfo, dev_t dev, smoothfs_uuid_t *ret);

#endif /* SMOOTHFS_MOVE_H */
