// SPDX-License-Identifier: GPL-2.0-only
/*
 * Attributes of a smoothfs inode, copied from its one lower inode.
 *
 * Of the inode flags only those that mean the same on a stacked inode are
 * copied (as overlayfs does): append-only, immutable, sync and noatime.
 * The others (S_DAX, S_PRIVATE, S_NOSEC, S_AUTOMOUNT, S_SWAPFILE, ...)
 * describe the lower inode and its filesystem, not ours.  They are set
 * with inode_set_flags(), which is atomic, so they may be refreshed
 * without the inode lock.  Mode, owner, times, link count and size are
 * written by the operations that change them under our inode lock;
 * getattr refreshes them only when it gets that lock without waiting (its
 * result is the lower's kstat in any case).
 *
 * The flags can change on the tier behind our back, where the VFS does not
 * see them: open and truncate check the lower's append-only and immutable
 * flags again, as may_open() and vfs_truncate() do, so that no write
 * through the mount gets past a flag set on the tier.
 */
#include <linux/fs_stack.h>

#include "smoothfs.h"

#define SMOOTHFS_COPY_I_FLAGS (S_SYNC | S_NOATIME | S_APPEND | S_IMMUTABLE)

void smoothfs_copy_flags(struct inode *inode, const struct inode *lower)
{
	inode_set_flags(inode, READ_ONCE(lower->i_flags) & SMOOTHFS_COPY_I_FLAGS,
			SMOOTHFS_COPY_I_FLAGS);
}

/* fsstack_copy_attr_all() without the lower's own inode flags. */
void smoothfs_copy_attr_all(struct inode *inode, const struct inode *lower)
{
	inode->i_mode = lower->i_mode;
	inode->i_uid = lower->i_uid;
	inode->i_gid = lower->i_gid;
	inode->i_rdev = lower->i_rdev;
	fsstack_copy_attr_times(inode, lower);
	inode->i_blkbits = lower->i_blkbits;
	smoothfs_copy_flags(inode, lower);
	set_nlink(inode, lower->i_nlink);
}

/* For getattr: see above. */
void smoothfs_refresh_attr(struct inode *inode, struct inode *lower)
{
	smoothfs_copy_flags(inode, lower);
	if (!inode_trylock(inode))
		return;
	smoothfs_copy_attr_all(inode, lower);
	fsstack_copy_inode_size(inode, lower);
	inode_unlock(inode);
}

/* ->open of a regular file with open flags @flags, after may_open(). */
int smoothfs_may_open_lower(struct inode *inode, const struct inode *lower,
			    unsigned int flags)
{
	bool write = (flags & O_ACCMODE) != O_RDONLY;

	smoothfs_copy_flags(inode, lower);
	if (IS_IMMUTABLE(lower) && (write || (flags & O_TRUNC)))
		return -EPERM;
	if (IS_APPEND(lower) && ((write && !(flags & O_APPEND)) || (flags & O_TRUNC)))
		return -EPERM;
	return 0;
}

/* ->setattr: a size change of an append-only or immutable lower file. */
int smoothfs_may_setattr_lower(struct inode *inode, const struct inode *lower,
			       const struct iattr *attr)
{
	smoothfs_copy_flags(inode, lower);
	if ((attr->ia_valid & ATTR_SIZE) && (IS_APPEND(lower) || IS_IMMUTABLE(lower)))
		return -EPERM;
	return 0;
}
