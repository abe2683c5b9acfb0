// SPDX-License-Identifier: GPL-2.0-only
/*
 * The registry of mounted pools: a pool's UUID and name are unique among
 * mounted pools, and the netlink commands find pools here.
 */
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/string.h>
#include <net/genetlink.h>

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
