// SPDX-License-Identifier: GPL-2.0-only
/*
 * smoothfs module entry points.
 */
#include <linux/module.h>
#include <linux/build_bug.h>

#include "smoothfs.h"

/* The heat record layout is part of the wire contract. */
static_assert(sizeof(struct smoothfs_heat_sample_record) ==
	      SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE);

static int __init smoothfs_init(void)
{
	int err;

	err = smoothfs_inode_cache_init();
	if (err)
		return err;

	err = smoothfs_netlink_init();
	if (err)
		goto out_cache;

	err = smoothfs_sysfs_init();
	if (err)
		goto out_netlink;

	err = register_filesystem(&smoothfs_fs_type);
	if (err)
		goto out_sysfs;

	pr_info("version %s loaded\n", SMOOTHFS_VERSION);
	return 0;

out_sysfs:
	smoothfs_sysfs_exit();
out_netlink:
	smoothfs_netlink_exit();
out_cache:
	smoothfs_inode_cache_exit();
	return err;
}

static void __exit smoothfs_exit(void)
{
	unregister_filesystem(&smoothfs_fs_type);
	smoothfs_sysfs_exit();
	smoothfs_netlink_exit();
	smoothfs_inode_cache_exit();
}

module_init(smoothfs_init);
module_exit(smoothfs_exit);

MODULE_DESCRIPTION("smoothfs tiered stacking filesystem");
MODULE_LICENSE("GPL");
MODULE_VERSION(SMOOTHFS_VERSION);
MODULE_ALIAS_FS(SMOOTHFS_FS_TYPE);
MODULE_ALIAS_GENL_FAMILY(SMOOTHFS_GENL_FAMILY_NAME);
