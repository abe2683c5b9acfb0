// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tiers: resolving and checking the lower directories of a pool at mount.
 */
#include <linux/fs_context.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/xattr.h>

#include "smoothfs.h"

/* Lower filesystems smoothfs is tested on; others are refused. */
static const char *smoothfs_lower_fs_name(unsigned long magic)
{
	switch (magic) {
	case EXT4_SUPER_MAGIC:
		return "ext4";
	case XFS_SUPER_MAGIC:
		return "xfs";
	case BTRFS_SUPER_MAGIC:
		return "btrfs";
	case TMPFS_MAGIC:
		return "tmpfs";
	}
	return NULL;
}

static u32 smoothfs_tier_caps(const struct path *root)
{
	struct super_block *sb = root->dentry->d_sb;
	struct inode *inode = d_inode(root->dentry);
	u32 caps = SMOOTHFS_TIER_CAP_XATTR_USER | SMOOTHFS_TIER_CAP_XATTR_TRUSTED;

	if (sb->s_flags & SB_POSIXACL)
		caps |= SMOOTHFS_TIER_CAP_POSIX_ACL;
	if (inode->i_mapping->a_ops && inode->i_mapping->a_ops->direct_IO)
		caps |= SMOOTHFS_TIER_CAP_DIRECT_IO;
	if (inode->i_op->tmpfile)
		caps |= SMOOTHFS_TIER_CAP_TMPFILE;
	if (sb->s_magic == BTRFS_SUPER_MAGIC)
		caps |= SMOOTHFS_TIER_CAP_REFLINK;
	return caps;
}

static int smoothfs_tier_check(struct fs_context *fc, struct smoothfs_tier *tier)
{
	struct super_block *sb = tier->root.dentry->d_sb;

	if (!smoothfs_lower_fs_name(sb->s_magic))
		return invalfc(fc, "tier %u: %s: unsupported filesystem %s",
			       tier->rank, tier->path, sb->s_type->name);
	if (sb_rdonly(sb) || __mnt_is_readonly(tier->root.mnt))
		return invalfc(fc, "tier %u: %s: read-only", tier->rank, tier->path);
	if (!sb->s_xattr)
		return invalfc(fc, "tier %u: %s: no extended attributes", tier->rank, tier->path);
	if (sb->s_stack_depth >= FILESYSTEM_MAX_STACK_DEPTH)
		return invalfc(fc, "tier %u: %s: stacked too deep", tier->rank, tier->path);
	tier->caps = smoothfs_tier_caps(&tier->root);
	return 0;
}

/* No tier may be another, or lie inside another. */
static int smoothfs_tiers_disjoint(struct fs_context *fc, struct smoothfs_sb_info *sbi)
{
	unsigned int i, j;

	for (i = 0; i < sbi->ntiers; i++) {
		for (j = 0; j < sbi->ntiers; j++) {
			struct smoothfs_tier *a = &sbi->tiers[i], *b = &sbi->tiers[j];

			if (i == j)
				continue;
			if (i < j && path_equal(&a->root, &b->root))
				return invalfc(fc, "tier %u: %s is the same directory as tier %u",
					       j, b->path, i);
			if (path_is_under(&b->root, &a->root))
				return invalfc(fc, "tier %u: %s is inside tier %u: %s",
					       j, b->path, i, a->path);
		}
	}
	return 0;
}

/*
 * Resolve every tier path to a directory and check it.  On error the
 * tiers opened so far stay in sbi for smoothfs_tiers_close().
 */
int smoothfs_tiers_open(struct fs_context *fc, struct smoothfs_sb_info *sbi,
			char *const *paths, unsigned int n)
{
	unsigned int i;
	int err;

	for (i = 0; i < n; i++) {
		struct smoothfs_tier *tier = &sbi->tiers[i];

		tier->rank = i;
		tier->reserve_pct = 5;
		tier->path = kstrdup(paths[i], GFP_KERNEL);
		if (!tier->path)
			return -ENOMEM;
		err = kern_path(paths[i], LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &tier->root);
		if (err) {
			errorfc(fc, "tier %u: %s: cannot open (error %d)", i, paths[i], err);
			kfree(tier->path);
			tier->path = NULL;
			return err;
		}
		sbi->ntiers++;
		err = smoothfs_tier_check(fc, tier);
		if (err)
			return err;
	}
	return smoothfs_tiers_disjoint(fc, sbi);
}

void smoothfs_tiers_close(struct smoothfs_sb_info *sbi)
{
	while (sbi->ntiers) {
		struct smoothfs_tier *tier = &sbi->tiers[--sbi->ntiers];

		path_put(&tier->root);
		kfree(tier->path);
	}
}

/*
 * Whether new files may go to this tier: its free space is above its
 * reserve.  statfs runs at most once a second per tier, not per create.
 */
bool smoothfs_tier_has_room(struct smoothfs_tier *tier)
{
	unsigned long checked = READ_ONCE(tier->space_checked);
	struct kstatfs st;

	if (!checked || time_after(jiffies, checked + HZ)) {
		if (!vfs_statfs(&tier->root, &st)) {
			WRITE_ONCE(tier->avail_bytes, st.f_bavail * st.f_bsize);
			WRITE_ONCE(tier->reserve_bytes,
				   div_u64(st.f_blocks * st.f_bsize, 100) * tier->reserve_pct);
		}
		WRITE_ONCE(tier->space_checked, jiffies ?: 1);
	}
	return READ_ONCE(tier->avail_bytes) > READ_ONCE(tier->reserve_bytes);
}

/*
 * A write, fallocate or copy grew @inode from @old_size: take the growth
 * off its tier's cached free space at once, so that creates in the same
 * second spill before the tier fills instead of after (the next statfs
 * corrects it).  Racing updates may lose a little; it is an estimate.
 */
void smoothfs_tier_grew(struct inode *inode, loff_t old_size)
{
	struct smoothfs_tier *tier;
	loff_t grown = i_size_read(inode) - old_size;
	u64 avail;

	if (grown <= 0)
		return;
	tier = &SMOOTHFS_SB(inode->i_sb)->tiers[READ_ONCE(SMOOTHFS_I(inode)->tier)];
	avail = READ_ONCE(tier->avail_bytes);
	WRITE_ONCE(tier->avail_bytes, avail > grown ? avail - grown : 0);
}
