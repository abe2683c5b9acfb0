// SPDX-License-Identifier: GPL-2.0-only
/*
 * Dentries: each smoothfs dentry holds its lower dentries, one per tier
 * where the object exists.
 */
#include <linux/dcache.h>
#include <linux/slab.h>

#include "smoothfs.h"

struct smoothfs_entry *smoothfs_entry_alloc(void)
{
	return kzalloc(sizeof(struct smoothfs_entry), GFP_KERNEL);
}

void smoothfs_entry_free(struct smoothfs_entry *entry)
{
	unsigned int i;

	if (!entry)
		return;
	for (i = 0; i < SMOOTHFS_MAX_TIERS; i++)
		dput(entry->lower[i]);
	kfree(entry);
}

/*
 * The lower dentries of an entry, once published, stay until d_release:
 * readers (lookup of a child, opendir, readdir, getattr) use them without
 * a lock or a reference of their own while they hold the smoothfs dentry.
 * Only materialising adds one (smp_store_release, under the pool's
 * materialize_lock); removals leave the dead lower dentry in place.  A
 * dentry that went negative after a removal (nobody else held it) keeps
 * the dead ones until it is used for a new object: then, with no reader
 * possible on a negative dentry, they are dropped here.
 */
void smoothfs_entry_reset(struct smoothfs_entry *entry)
{
	unsigned int i;

	for (i = 0; i < SMOOTHFS_MAX_TIERS; i++) {
		dput(entry->lower[i]);
		entry->lower[i] = NULL;
	}
	entry->shadows = false;
}

static void smoothfs_d_release(struct dentry *dentry)
{
	smoothfs_entry_free(dentry->d_fsdata);
}

const struct dentry_operations smoothfs_dentry_ops = {
	.d_release	= smoothfs_d_release,
};
