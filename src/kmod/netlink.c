// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "smoothfs" generic netlink family: commands from the daemon and the
 * "events" multicast group.  Commands are added with the pool code that
 * serves them; the family and its group exist from module load so that a
 * daemon can resolve them before any pool is mounted.
 */
#include <linux/module.h>
#include <net/genetlink.h>

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
