// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "smoothfs" generic netlink family: commands from the daemon and the
 * "events" multicast group.  Commands are added with the pool code that
 * serves them; the family and its group exist from module load so that a
 * daemon can resolve them before any pool is mounted.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "smoothfs.h"

static const struct genl_multicast_group smoothfs_mcgrps[] = {
	{ .name = SMOOTHFS_GENL_MCAST_GROUP, SMOOTHFS_MCGRP_ADMIN_ONLY },
};

static struct genl_family smoothfs_genl_family __ro_after_init = {
	.name = SMOOTHFS_GENL_FAMILY_NAME,
	.version = SMOOTHFS_GENL_FAMILY_VERSION,
	.maxattr = SMOOTHFS_ATTR_MAX,
	.netnsok = false,
	.module = THIS_MODULE,
	.mcgrps = smoothfs_mcgrps,
	.n_mcgrps = ARRAY_SIZE(smoothfs_mcgrps),
};

int __init smoothfs_netlink_init(void)
{
	return genl_register_family(&smoothfs_genl_family);
}

void smoothfs_netlink_exit(void)
{
	genl_unregister_family(&smoothfs_genl_family);
}

/* Multicast an event built by @fill; dropped when nobody listens. */
static void smoothfs_event(struct smoothfs_sb_info *sbi, u8 cmd,
			   int (*fill)(struct sk_buff *skb, const void *arg),
			   const void *arg)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&smoothfs_genl_family, &init_net, 0))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &smoothfs_genl_family, 0, cmd);
	if (!hdr ||
	    nla_put(skb, SMOOTHFS_ATTR_POOL_UUID, SMOOTHFS_UUID_LEN, &sbi->uuid) ||
	    fill(skb, arg)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&smoothfs_genl_family, skb, 0, 0, GFP_KERNEL);
}

struct smoothfs_spill {
	const u8 *oid;
	u8 from, to;
	u64 size;
};

static int smoothfs_fill_spill(struct sk_buff *skb, const void *arg)
{
	const struct smoothfs_spill *s = arg;

	return nla_put_u8(skb, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, 1) ||
	       nla_put(skb, SMOOTHFS_ATTR_OBJECT_ID, SMOOTHFS_OID_LEN, s->oid) ||
	       nla_put_u8(skb, SMOOTHFS_ATTR_CURRENT_TIER, s->from) ||
	       nla_put_u8(skb, SMOOTHFS_ATTR_INTENDED_TIER, s->to) ||
	       nla_put_u64_64bit(skb, SMOOTHFS_ATTR_SIZE_BYTES, s->size, SMOOTHFS_ATTR_PAD) ?
	       -EMSGSIZE : 0;
}

void smoothfs_event_spill(struct smoothfs_sb_info *sbi, const u8 *oid,
			  unsigned int from, unsigned int to, u64 size)
{
	struct smoothfs_spill s = { .oid = oid, .from = from, .to = to, .size = size };

	smoothfs_event(sbi, SMOOTHFS_EVENT_SPILL, smoothfs_fill_spill, &s);
}
