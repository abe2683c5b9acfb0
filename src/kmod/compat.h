/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Kernel version shims.  smoothfs supports exactly two series, 6.1.y and
 * 6.12.y; everything that differs between them is wrapped here under an
 * smoothfs_ name so the rest of the module is written once.
 */
#ifndef _SMOOTHFS_COMPAT_H
#define _SMOOTHFS_COMPAT_H

#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(6, 12, 0)) || \
	LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
#error "smoothfs supports the 6.1.y and 6.12.y kernel series only"
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
typedef struct mnt_idmap smoothfs_idmap_t;
#define SMOOTHFS_NOP_IDMAP (&nop_mnt_idmap)
#define smoothfs_fillattr(idmap, mask, inode, stat) \
	generic_fillattr(idmap, mask, inode, stat)
#define smoothfs_set_sb_uuid(sb, uuid) \
	super_set_uuid(sb, (const u8 *)(uuid), sizeof(uuid_t))
/* vfs_iter_write() takes freeze protection itself since 6.8. */
#define smoothfs_lower_write_start(file) do { } while (0)
#define smoothfs_lower_write_end(file) do { } while (0)
/* Splice from a file by way of its ->read_iter (6.5 renamed it). */
#define smoothfs_copy_splice_read(in, ppos, pipe, len, flags) \
	copy_splice_read(in, ppos, pipe, len, flags)
#else
typedef struct user_namespace smoothfs_idmap_t;
#define SMOOTHFS_NOP_IDMAP (&init_user_ns)
#define smoothfs_fillattr(idmap, mask, inode, stat) \
	generic_fillattr(idmap, inode, stat)
#define smoothfs_set_sb_uuid(sb, uuid) uuid_copy(&(sb)->s_uuid, uuid)
#define smoothfs_lower_write_start(file) file_start_write(file)
#define smoothfs_lower_write_end(file) file_end_write(file)
#define smoothfs_copy_splice_read(in, ppos, pipe, len, flags) \
	generic_file_splice_read(in, ppos, pipe, len, flags)
#endif

/*
 * POSIX ACLs: 6.1 routes the ACL xattr names through s_xattr handlers and
 * has an inode-based ->get_acl(inode, type, rcu); 6.12 (upstream 6.2)
 * sends them to ->get_acl(idmap, dentry, type)/->set_acl(idmap, dentry, ..)
 * and renamed the inode-based getter ->get_inode_acl.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define SMOOTHFS_NEW_ACL_API 1
#define smoothfs_lower_get_inode_acl(inode, type) get_inode_acl(inode, type)
#define SMOOTHFS_ACL_IOPS \
	.get_inode_acl	= smoothfs_get_inode_acl, \
	.get_acl	= smoothfs_get_acl, \
	.set_acl	= smoothfs_set_acl
#else
#define SMOOTHFS_NEW_ACL_API 0
#define smoothfs_lower_get_inode_acl(inode, type) get_acl(inode, type)
#define SMOOTHFS_ACL_IOPS \
	.get_acl	= smoothfs_get_inode_acl, \
	.set_acl	= smoothfs_set_acl
static inline const char *smoothfs_acl_xattr_name(int type)
{
	return type == ACL_TYPE_ACCESS ? XATTR_NAME_POSIX_ACL_ACCESS :
					 XATTR_NAME_POSIX_ACL_DEFAULT;
}
#endif

/*
 * 6.12 passes AT_GETATTR_NOSEC to ->getattr for in-kernel callers (nfsd,
 * IMA); vfs_getattr() then refuses with a WARN, so pass it on correctly.
 */
#ifndef AT_GETATTR_NOSEC
#define AT_GETATTR_NOSEC 0
#endif

static inline int smoothfs_lower_getattr(const struct path *path, struct kstat *stat,
					 u32 mask, unsigned int flags)
{
	if (flags & AT_GETATTR_NOSEC)
		return vfs_getattr_nosec(path, stat, mask, flags);
	return vfs_getattr(path, stat, mask, flags);
}

/*
 * pwritev2(RWF_NOAPPEND) writes at the given offset of an O_APPEND file
 * (6.9); 6.1 has no such flag and always appends to an O_APPEND file.
 */
#ifdef RWF_NOAPPEND
#define SMOOTHFS_RWF_NOAPPEND RWF_NOAPPEND
#else
#define SMOOTHFS_RWF_NOAPPEND 0
#endif

/* struct renamedata names its idmaps differently in the two series. */
static inline void smoothfs_rd_set_idmap(struct renamedata *rd, smoothfs_idmap_t *idmap)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	rd->old_mnt_idmap = idmap;
	rd->new_mnt_idmap = idmap;
#else
	rd->old_mnt_userns = idmap;
	rd->new_mnt_userns = idmap;
#endif
}

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
