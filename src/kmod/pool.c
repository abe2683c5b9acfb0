// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of mounted pools: a pool's UUID and name are unique among
 * mounted pools, and the netlink commands find pools here.
 *
 * A mount claims its UUID and name at the start of fill_super (so that a
 * second mount of the same pool fails with EBUSY at once), but netlink
 * sees the pool only once fill_super is done with it: until then it is on
 * smoothfs_pools_starting, which only the uniqueness check looks at.  A
 * mount that fails is taken off either list by kill_sb.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <net/genetlink.h>

#include "smoothfs.h"

static LIST_HEAD(smoothfs_pools);		/* mounted: netlink sees these */
static LIST_HEAD(smoothfs_pools_starting);	/* in fill_super */
static DEFINE_MUTEX(smoothfs_pools_lock);

static bool smoothfs_pool_taken(struct list_head *pools, const struct smoothfs_sb_info *sbi)
{
	struct smoothfs_sb_info *other;

	list_for_each_entry(other, pools, pool_node)
		if (uuid_equal(&other->uuid, &sbi->uuid) || strcmp(other->pool, sbi->pool) == 0)
			return true;
	return false;
}

/* Claim the pool's UUID and name; -EBUSY if a mounted pool has either. */
int smoothfs_pool_register(struct smoothfs_sb_info *sbi)
{
	int err = 0;

	mutex_lock(&smoothfs_pools_lock);
	if (smoothfs_pool_taken(&smoothfs_pools, sbi) ||
	    smoothfs_pool_taken(&smoothfs_pools_starting, sbi))
		err = -EBUSY;
	else
		list_add_tail(&sbi->pool_node, &smoothfs_pools_starting);
	mutex_unlock(&smoothfs_pools_lock);
	return err;
}

/* The mount is complete (root, sysfs): show the pool to netlink. */
void smoothfs_pool_publish(struct smoothfs_sb_info *sbi)
{
	mutex_lock(&smoothfs_pools_lock);
	list_move_tail(&sbi->pool_node, &smoothfs_pools);
	mutex_unlock(&smoothfs_pools_lock);
}

void smoothfs_pool_unregister(struct smoothfs_sb_info *sbi)
{
	mutex_lock(&smoothfs_pools_lock);
	list_del_init(&sbi->pool_node);
	mutex_unlock(&smoothfs_pools_lock);
}

/*
 * The mounted pool with this UUID, with an active reference on its
 * superblock (so it cannot be unmounted under the caller), or NULL.
 */
struct smoothfs_sb_info *smoothfs_pool_get(const void *uuid)
{
	struct smoothfs_sb_info *sbi, *found = NULL;

	mutex_lock(&smoothfs_pools_lock);
	list_for_each_entry(sbi, &smoothfs_pools, pool_node) {
		if (!memcmp(&sbi->uuid, uuid, sizeof(sbi->uuid))) {
			if (atomic_inc_not_zero(&sbi->sb->s_active))
				found = sbi;
			break;
		}
	}
	mutex_unlock(&smoothfs_pools_lock);
	return found;
}

void smoothfs_pool_put(struct smoothfs_sb_info *sbi)
{
	deactivate_super(sbi->sb);
}

/* A LIST_POOLS dump: one message per pool, resuming at cb->args[0]. */
int smoothfs_pools_dump(struct sk_buff *skb, struct netlink_callback *cb,
			int (*fill)(struct sk_buff *skb, const void *sbi),
			const struct genl_family *family)
{
	struct smoothfs_sb_info *sbi;
	long index = 0;
	void *hdr;

	mutex_lock(&smoothfs_pools_lock);
	list_for_each_entry(sbi, &smoothfs_pools, pool_node) {
		if (index++ < cb->args[0])
			continue;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  family, NLM_F_MULTI, SMOOTHFS_CMD_LIST_POOLS);
		if (!hdr)
			break;
		if (nla_put(skb, SMOOTHFS_ATTR_POOL_UUID, SMOOTHFS_UUID_LEN, &sbi->uuid) ||
		    fill(skb, sbi)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		cb->args[0] = index;
	}
	mutex_unlock(&smoothfs_pools_lock);
	return skb->len;
}
