/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The smoothfs mounts in a mountinfo file: which pool (by UUID) is
 * mounted where.  Read once per change of the mount table, however
 * many pools there are.
 */
#ifndef SMOOTHFSD_MOUNT_TABLE_H
#define SMOOTHFSD_MOUNT_TABLE_H

#include <smoothfs/smoothfs.h>

struct mount_table_entry {
	smoothfs_uuid_t uuid;
	char *mountpoint;
};

typedef struct MountTable {
	struct mount_table_entry *entries;
	size_t n;
} MountTable;

/* Reads @mountinfo (NULL: /proc/self/mountinfo). */
int mount_table_read(const char *mountinfo, MountTable **ret);
MountTable *mount_table_free(MountTable *t);

/* Where @uuid is mounted (its first mount), or NULL. */
const char *mount_table_find(const MountTable *t, const smoothfs_uuid_t *uuid);

#endif /* SMOOTHFSD_MOUNT_TABLE_H */
