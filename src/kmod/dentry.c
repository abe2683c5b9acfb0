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

static void smoothfs_d_release(struct dentry *dentry)
{
	smoothfs_entry_free(dentry->d_fsdata);
}

const struct dentry_operations smoothfs_dentry_ops = {
	.d_release	= smoothfs_d_release,
};
