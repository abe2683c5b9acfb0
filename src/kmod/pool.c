// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of mounted pools: a pool's UUID and name are unique among
 * mounted pools, and the netlink commands find pools here.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "smoothfs.h"

static LIST_HEAD(smoothfs_pools);
static DEFINE_MUTEX(smoothfs_pools_lock);

int smoothfs_pool_register(struct smoothfs_sb_info *sbi)
{
	struct smoothfs_sb_info *other;
	int err = 0;

	mutex_lock(&smoothfs_pools_lock);
	list_for_each_entry(other, &smoothfs_pools, pool_node) {
		if (uuid_equal(&other->uuid, &sbi->uuid) ||
		    strcmp(other->pool, sbi->pool) == 0) {
			err = -EBUSY;
			break;
		}
	}
	if (!err)
		list_add_tail(&sbi->pool_node, &smoothfs_pools);
	mutex_unlock(&smoothfs_pools_lock);
	return err;
}

void smoothfs_pool_unregister(struct smoothfs_sb_info *sbi)
{
	mutex_lock(&smoothfs_pools_lock);
	list_del_init(&sbi->pool_node);
	mutex_unlock(&smoothfs_pools_lock);
}
