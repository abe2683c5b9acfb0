// SPDX-License-Identifier: GPL-2.0-only
/*
 * Hard links.  A file lives on one tier, so all its names do: a new name
 * is linked on the file's own tier, with the target directory
 * materialised there first if it has no copy on that tier yet.  Names
 * within the pool never get EXDEV.
 */
#include <linux/cred.h>
#include <linux/fs_stack.h>
#include <linux/mount.h>
#include <linux/namei.h>

#include "smoothfs.h"

int smoothfs_link(struct dentry *old, struct inode *dir, struct dentry *new)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dir->i_sb);
	struct inode *inode = d_inode(old);
	unsigned int t = SMOOTHFS_I(inode)->tier;
	struct smoothfs_entry *entry = SMOOTHFS_E(new);
	struct dentry *lold = SMOOTHFS_E(old)->lower[t];
	struct vfsmount *mnt = sbi->tiers[t].root.mnt;
	struct dentry *lparent, *lnew;
	const struct cred *old_cred;
	int err;

	smoothfs_listing_forget(dir);
	if (IS_ROOT(new->d_parent) &&
	    new->d_name.len == sizeof(SMOOTHFS_META_DIR) - 1 &&
	    !memcmp(new->d_name.name, SMOOTHFS_META_DIR, new->d_name.len))
		return -EPERM;
	if (WARN_ON_ONCE(!entry))
		return -EIO;
	if (!lold)
		return -ESTALE;

	old_cred = override_creds(sbi->creator_cred);
	err = smoothfs_materialize(sbi, new->d_parent, t);
	if (err)
		goto out_creds;
	lparent = SMOOTHFS_E(new->d_parent)->lower[t];
	err = mnt_want_write(mnt);
	if (err)
		goto out_creds;
	inode_lock_nested(d_inode(lparent), I_MUTEX_PARENT);
	lnew = lookup_one_len(new->d_name.name, lparent, new->d_name.len);
	if (IS_ERR(lnew)) {
		err = PTR_ERR(lnew);
		goto out_unlock;
	}
	if (d_is_positive(lnew))
		err = -EEXIST;
	else
		err = vfs_link(lold, SMOOTHFS_NOP_IDMAP, d_inode(lparent), lnew, NULL);
	if (!err && (d_unhashed(lnew) || d_is_negative(lnew)))
		err = -EIO;	/* none of the supported lowers does this */
	if (err) {
		dput(lnew);
		goto out_unlock;
	}
	smoothfs_entry_reset(entry);
	entry->lower[t] = lnew;
	fsstack_copy_attr_times(dir, d_inode(lparent));
	set_nlink(inode, d_inode(lnew)->i_nlink);
	fsstack_copy_attr_times(inode, d_inode(lnew));
	ihold(inode);
	d_instantiate(new, inode);
out_unlock:
	inode_unlock(d_inode(lparent));
	mnt_drop_write(mnt);
out_creds:
	revert_creds(old_cred);
	return err;
}
