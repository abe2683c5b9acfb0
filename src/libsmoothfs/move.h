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

/*
 * move.c: the mover's steps, for smoothfs_move_file() and the benchmark
 * that times them one by one (bench/prog/movebench.c).
 */
/* The pool and OID of the regular file at @path on a smoothfs mount; an
 * O_PATH descriptor of it (which keeps its inode cached), or -errno. */
_hidden_ int smoothfs__path_object(smoothfs_client *c, const char *path, smoothfs_uuid_t *pool,
				   smoothfs_oid_t *oid);
/* The root of tier @rank of @pool, as mounted now (strdup'ed). */
_hidden_ int smoothfs__find_tier_root(smoothfs_client *c, const smoothfs_uuid_t *pool,
				      uint8_t rank, char **ret);
/* The source lower file Inspect named, checked to carry @oid. */
_hidden_ int smoothfs__open_source(smoothfs_client *c, const struct smoothfs_inspect_result *ins,
				   const smoothfs_oid_t *oid);
/* <tier root>/.smoothfs/stage, created if missing. */
_hidden_ int smoothfs__open_stage_dir(smoothfs_client *c, const char *tier_root);

#endif /* SMOOTHFS_MOVE_H */
