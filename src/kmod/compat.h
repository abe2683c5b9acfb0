/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel version shims.  smoothfs supports exactly two series, 6.1.y and
 * 6.12.y; everything that differs between them is wrapped here under an
 * smoothfs_ name so the rest of the module is written once.
 */
#ifndef _SMOOTHFS_COMPAT_H
#define _SMOOTHFS_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#error "smoothfs supports the 6.1.y and 6.12.y kernel series only"
#endif

/*
 * Only CAP_SYS_ADMIN may subscribe to events: heat samples reveal which
 * files are being used.  6.1.y has the restriction either as a flag or,
 * before 6.1.171, as a bitfield (found by a Kbuild probe).
 */
#if defined(GENL_MCAST_CAP_SYS_ADMIN)
#define SMOOTHFS_MCGRP_ADMIN_ONLY .flags = GENL_MCAST_CAP_SYS_ADMIN
#elif defined(SMOOTHFS_HAVE_GENL_MCGRP_CAP_SYS_ADMIN)
#define SMOOTHFS_MCGRP_ADMIN_ONLY .cap_sys_admin = 1
#else
#error "this 6.1.y kernel cannot restrict genetlink multicast groups"
#endif

#endif /* _SMOOTHFS_COMPAT_H */
