// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regular files: the data path passes through to the lower file, opened
 * with the mounter's credentials once the caller has been checked against
 * the smoothfs inode.  smoothfs keeps no page cache of its own.
 */
#include <linux/cred.h>
#include <linux/fs_stack.h>
#include <linux/mount.h>
#include <linux/uio.h>

#include "smoothfs.h"

static const struct cred *smoothfs_creds(struct inode *inode)
{
	return override_creds(SMOOTHFS_SB(inode->i_sb)->creator_cred);
}

static int smoothfs_open(struct inode *inode, struct file *file)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	const struct cred *old_cred;
	struct file *lower;

	old_cred = smoothfs_creds(inode);
	lower = dentry_open(&si->lower,
			    file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC),
			    current_cred());
	revert_creds(old_cred);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	file->private_data = lower;
	smoothfs_heat_open(inode);
	return 0;
}

static int smoothfs_release(struct inode *inode, struct file *file)
{
	fput(file->private_data);
	return 0;
}

static rwf_t smoothfs_iocb_to_rwf(int ki_flags)
{
	rwf_t flags = 0;

	if (ki_flags & IOCB_NOWAIT)
		flags |= RWF_NOWAIT;
	if (ki_flags & IOCB_HIPRI)
		flags |= RWF_HIPRI;
	if (ki_flags & IOCB_DSYNC)
		flags |= RWF_DSYNC;
	if (ki_flags & IOCB_SYNC)
		flags |= RWF_SYNC;
	return flags;
}

static ssize_t smoothfs_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp, *lower = file->private_data;
	const struct cred *old_cred;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	old_cred = smoothfs_creds(file_inode(file));
	ret = vfs_iter_read(lower, iter, &iocb->ki_pos, smoothfs_iocb_to_rwf(iocb->ki_flags));
	revert_creds(old_cred);
	fsstack_copy_attr_atime(file_inode(file), file_inode(lower));
	smoothfs_heat_read(file_inode(file), ret);
	smoothfs_inode_fault(file_inode(file), ret);
	return ret;
}

static ssize_t smoothfs_write_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp, *lower = file->private_data;
	struct inode *inode = file_inode(file);
	const struct cred *old_cred;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	/* Serialise with other writers so size and times stay in step. */
	inode_lock(inode);
	old_cred = smoothfs_creds(inode);
	smoothfs_lower_write_start(lower);
	ret = vfs_iter_write(lower, iter, &iocb->ki_pos, smoothfs_iocb_to_rwf(iocb->ki_flags));
	smoothfs_lower_write_end(lower);
	revert_creds(old_cred);
	fsstack_copy_attr_all(inode, file_inode(lower));
	fsstack_copy_inode_size(inode, file_inode(lower));
	inode_unlock(inode);
	smoothfs_heat_write(inode, ret);
	smoothfs_inode_fault(inode, ret);
	return ret;
}

static loff_t smoothfs_llseek(struct file *file, loff_t offset, int whence)
{
	struct file *lower = file->private_data;
	struct inode *inode = file_inode(file);
	loff_t ret;

	/* The lower file's f_pos follows ours, so SEEK_CUR/DATA/HOLE work. */
	inode_lock(inode);
	lower->f_pos = file->f_pos;
	ret = vfs_llseek(lower, offset, whence);
	file->f_pos = lower->f_pos;
	inode_unlock(inode);
	return ret;
}

static int smoothfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	struct file *lower = file->private_data;
	const struct cred *old_cred;
	int err;

	old_cred = smoothfs_creds(file_inode(file));
	err = vfs_fsync_range(lower, start, end, datasync);
	revert_creds(old_cred);
	smoothfs_inode_fault(file_inode(file), err);
	return err;
}

/* setattr on the one lower object (files and directories alike). */
int smoothfs_setattr(smoothfs_idmap_t *idmap, struct dentry *dentry, struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	struct inode *lower_inode = d_inode(si->lower.dentry);
	const struct cred *old_cred;
	struct iattr lower_attr;
	int err;

	err = setattr_prepare(idmap, dentry, attr);
	if (err)
		return err;

	lower_attr = *attr;
	/* The lower is reached by path; and the lower kills its own suid. */
	lower_attr.ia_valid &= ~ATTR_FILE;
	if (lower_attr.ia_valid & (ATTR_KILL_SUID | ATTR_KILL_SGID))
		lower_attr.ia_valid &= ~ATTR_MODE;

	err = mnt_want_write(si->lower.mnt);
	if (err)
		return err;
	old_cred = smoothfs_creds(inode);
	inode_lock(lower_inode);
	err = notify_change(SMOOTHFS_NOP_IDMAP, si->lower.dentry, &lower_attr, NULL);
	inode_unlock(lower_inode);
	revert_creds(old_cred);
	mnt_drop_write(si->lower.mnt);

	fsstack_copy_attr_all(inode, lower_inode);
	fsstack_copy_inode_size(inode, lower_inode);
	return err;
}

const struct inode_operations smoothfs_file_iops = {
	.getattr	= smoothfs_getattr,
	.setattr	= smoothfs_setattr,
};

const struct file_operations smoothfs_file_fops = {
	.owner		= THIS_MODULE,
	.open		= smoothfs_open,
	.release	= smoothfs_release,
	.read_iter	= smoothfs_read_iter,
	.write_iter	= smoothfs_write_iter,
	.llseek		= smoothfs_llseek,
	.fsync		= smoothfs_fsync,
};
