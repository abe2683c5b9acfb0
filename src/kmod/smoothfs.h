/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * smoothfs: a tiered stacking filesystem.  Declarations shared between the
 * files of the module, in file order.
 */
#ifndef _SMOOTHFS_H
#define _SMOOTHFS_H

#include <linux/fs.h>
#include <linux/smoothfs.h>

#include "compat.h"

/* netlink.c */
int smoothfs_netlink_init(void);
void smoothfs_netlink_exit(void);

/* super.c */
extern struct file_system_type smoothfs_fs_type;

#endif /* _SMOOTHFS_H */
