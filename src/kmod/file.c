// SPDX-License-Identifier: GPL-2.0-only
/*
 * Regular files: the data path passes through to the lower file, opened
 * with the mounter's credentials once the caller has been checked against
 * the smoothfs inode.  smoothfs keeps no page cache of its own.
 */
#include <linux/cred.h>
#include <linux/fiemap.h>
#include <linux/fileattr.h>
#include <linux/fs_stack.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/security.h>
#include <linux/splice.h>
#include <linux/uio.h>

#include "smoothfs.h"

static const struct cred *smoothfs_creds(struct inode *inode)
{
	return override_creds(SMOOTHFS_SB(inode->i_sb)->creator_cred);
}

static int smoothfs_open(struct inode *inode, struct file *file)
{
	const struct cred *old_cred;
	struct file *lower;
	struct path path;
	u32 gen;
	int err;

	if (smoothfs_tier_offline(inode))
		return -EIO;
	gen = smoothfs_move_lower_get(inode, &path);
	err = smoothfs_may_open_lower(inode, d_inode(path.dentry), file->f_flags);
	if (err) {
		path_put(&path);
		return err;
	}
	old_cred = smoothfs_creds(inode);
	lower = dentry_open(&path, file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC),
			    current_cred());
	revert_creds(old_cred);
	path_put(&path);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	/*
	 * O_DIRECT works exactly where the lower file can do it: the VFS
	 * refuses it after ->open (and in fcntl) without this bit.
	 */
	if (lower->f_mode & FMODE_CAN_ODIRECT)
		file->f_mode |= FMODE_CAN_ODIRECT;
	file->private_data = smoothfs_file_alloc(lower, gen);
	if (!file->private_data) {
		fput(lower);
		return -ENOMEM;
	}
	smoothfs_heat_open(inode);
	return 0;
}

/* Flags fcntl(F_SETFL) may change after open, passed on to the lower file. */
#define SMOOTHFS_SETFL_MASK (O_APPEND | O_NONBLOCK | O_NDELAY | O_DIRECT)

/*
 * The lower file of an open smoothfs file, referenced (smoothfs_lower_put
 * it): after a move the new lower file (move.c), with the flags fcntl
 * changed since open carried over (as overlayfs does).  Every data
 * operation gets its lower file here.
 */
static struct file *smoothfs_lower_file(struct file *file)
{
	struct file *lower = smoothfs_file_lower(file);
	unsigned int flags = file->f_flags & SMOOTHFS_SETFL_MASK;
	int err = 0;

	if (IS_ERR(lower))
		return lower;
	if (likely(!((lower->f_flags ^ flags) & SMOOTHFS_SETFL_MASK)))
		return lower;
	if (((lower->f_flags ^ flags) & O_APPEND) && IS_APPEND(file_inode(lower)))
		err = -EPERM;
	else if ((flags & O_DIRECT) && !(lower->f_mode & FMODE_CAN_ODIRECT))
		err = -EINVAL;
	else if (lower->f_op->check_flags)
		err = lower->f_op->check_flags(flags);
	if (err) {
		fput(lower);
		return ERR_PTR(err);
	}
	spin_lock(&lower->f_lock);
	lower->f_flags = (lower->f_flags & ~SMOOTHFS_SETFL_MASK) | flags;
	lower->f_iocb_flags = iocb_flags(lower);
	spin_unlock(&lower->f_lock);
	return lower;
}

#define smoothfs_lower_put(lower) fput(lower)

static int smoothfs_release(struct inode *inode, struct file *file)
{
	smoothfs_file_free(file->private_data);
	return 0;
}

/* The flags of our kiocb for the lower one. */
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

/*
 * For a write, also whether to append: an append (O_APPEND or
 * pwritev2(RWF_APPEND)) must append on the lower too; and where the
 * caller asked not to (RWF_NOAPPEND on an O_APPEND file, 6.9 and later),
 * the lower file, opened O_APPEND as well, must not either.
 */
static rwf_t smoothfs_write_rwf(const struct kiocb *iocb, const struct file *lower)
{
	rwf_t flags = smoothfs_iocb_to_rwf(iocb->ki_flags);

	if (iocb->ki_flags & IOCB_APPEND)
		flags |= RWF_APPEND;
	else if (lower->f_flags & O_APPEND)
		flags |= SMOOTHFS_RWF_NOAPPEND;
	return flags;
}

/*
 * Reads and writes complete synchronously, also for aio and io_uring (the
 * caller completes the kiocb).  A kiocb that must not block (io_uring
 * tries that first) gets -EAGAIN rather than blocking, and is retried from
 * a context that may block.
 */
static bool smoothfs_nowait_refused(struct kiocb *iocb, struct file *lower)
{
	return (iocb->ki_flags & IOCB_NOWAIT) && !(lower->f_mode & FMODE_NOWAIT);
}

static ssize_t smoothfs_nowait_ret(struct kiocb *iocb, ssize_t ret)
{
	/* ext4 refuses nonblocking buffered writes with -EOPNOTSUPP. */
	if (ret == -EOPNOTSUPP && (iocb->ki_flags & IOCB_NOWAIT))
		return -EAGAIN;
	return ret;
}

static ssize_t smoothfs_read_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp, *lower;
	const struct cred *old_cred;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	lower = smoothfs_lower_file(file);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	if (smoothfs_nowait_refused(iocb, lower)) {
		smoothfs_lower_put(lower);
		return -EAGAIN;
	}
	old_cred = smoothfs_creds(file_inode(file));
	ret = vfs_iter_read(lower, iter, &iocb->ki_pos, smoothfs_iocb_to_rwf(iocb->ki_flags));
	revert_creds(old_cred);
	ret = smoothfs_nowait_ret(iocb, ret);
	fsstack_copy_attr_atime(file_inode(file), file_inode(lower));
	smoothfs_lower_put(lower);
	smoothfs_heat_read(file_inode(file), ret);
	smoothfs_inode_fault(file_inode(file), ret);
	return ret;
}

/*
 * Size and times of @inode from its lower inode, after the lower changed
 * (under the inode lock, which pins si->lower); what the file grew by
 * comes off its tier's cached free space.
 */
static void smoothfs_copy_lower_attr(struct inode *inode)
{
	struct inode *lower_inode = d_inode(SMOOTHFS_I(inode)->lower.dentry);
	loff_t old_size = i_size_read(inode);

	smoothfs_copy_attr_all(inode, lower_inode);
	fsstack_copy_inode_size(inode, lower_inode);
	smoothfs_tier_grew(inode, old_size);
}

static ssize_t smoothfs_write_iter(struct kiocb *iocb, struct iov_iter *iter)
{
	struct file *file = iocb->ki_filp, *lower;
	struct inode *inode = file_inode(file);
	const struct cred *old_cred;
	ssize_t ret;

	if (!iov_iter_count(iter))
		return 0;
	lower = smoothfs_lower_file(file);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	if (smoothfs_nowait_refused(iocb, lower)) {
		smoothfs_lower_put(lower);
		return -EAGAIN;
	}
	/* Serialise with other writers and with a cutover (the gate, move.c). */
	if (iocb->ki_flags & IOCB_NOWAIT) {
		if (!inode_trylock(inode)) {
			smoothfs_lower_put(lower);
			return -EAGAIN;
		}
	} else {
		inode_lock(inode);
	}
	/* A cutover may have switched the file while we waited. */
	if (unlikely(!smoothfs_lower_current(file, lower))) {
		inode_unlock(inode);
		smoothfs_lower_put(lower);
		return smoothfs_write_iter(iocb, iter);
	}
	old_cred = smoothfs_creds(inode);
	smoothfs_lower_write_start(lower);
	ret = vfs_iter_write(lower, iter, &iocb->ki_pos, smoothfs_write_rwf(iocb, lower));
	smoothfs_lower_write_end(lower);
	revert_creds(old_cred);
	ret = smoothfs_nowait_ret(iocb, ret);
	smoothfs_copy_lower_attr(inode);
	smoothfs_move_wrote(inode);
	inode_unlock(inode);
	smoothfs_lower_put(lower);
	smoothfs_heat_write(inode, ret);
	smoothfs_inode_fault(inode, ret);
	return ret;
}

static loff_t smoothfs_llseek(struct file *file, loff_t offset, int whence)
{
	struct inode *inode = file_inode(file);
	struct file *lower;
	loff_t ret;

	lower = smoothfs_lower_file(file);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	/* The lower file's f_pos follows ours, so SEEK_CUR/DATA/HOLE work. */
	inode_lock(inode);
	lower->f_pos = file->f_pos;
	ret = vfs_llseek(lower, offset, whence);
	file->f_pos = lower->f_pos;
	inode_unlock(inode);
	smoothfs_lower_put(lower);
	return ret;
}

static int smoothfs_fsync(struct file *file, loff_t start, loff_t end, int datasync)
{
	const struct cred *old_cred;
	struct file *lower;
	int err;

	lower = smoothfs_lower_file(file);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	old_cred = smoothfs_creds(file_inode(file));
	err = vfs_fsync_range(lower, start, end, datasync);
	revert_creds(old_cred);
	smoothfs_lower_put(lower);
	smoothfs_inode_fault(file_inode(file), err);
	return err;
}

/*
 * splice(2) and sendfile(2) from a smoothfs file go through ->read_iter,
 * so they read exactly what read(2) does.
 */
static ssize_t smoothfs_splice_read(struct file *in, loff_t *ppos,
				    struct pipe_inode_info *pipe, size_t len,
				    unsigned int flags)
{
	return smoothfs_copy_splice_read(in, ppos, pipe, len, flags);
}

static ssize_t smoothfs_splice_write(struct pipe_inode_info *pipe, struct file *out,
				     loff_t *ppos, size_t len, unsigned int flags)
{
	struct inode *inode = file_inode(out);
	const struct cred *old_cred;
	struct file *lower;
	ssize_t ret;

	lower = smoothfs_lower_file(out);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	if (!lower->f_op->splice_write) {
		smoothfs_lower_put(lower);
		return -EINVAL;
	}
	inode_lock(inode);
	if (unlikely(!smoothfs_lower_current(out, lower))) {
		inode_unlock(inode);
		smoothfs_lower_put(lower);
		return smoothfs_splice_write(pipe, out, ppos, len, flags);
	}
	old_cred = smoothfs_creds(inode);
	file_start_write(lower);
	ret = lower->f_op->splice_write(pipe, lower, ppos, len, flags);
	file_end_write(lower);
	revert_creds(old_cred);
	smoothfs_copy_lower_attr(inode);
	smoothfs_move_wrote(inode);
	inode_unlock(inode);
	smoothfs_lower_put(lower);
	smoothfs_heat_write(inode, ret);
	smoothfs_inode_fault(inode, ret);
	return ret;
}

/*
 * Mappings map the lower file itself: the pages are the lower page cache,
 * so mmap, read(2) and write(2) through the mount and on the tier all see
 * the same data.
 */
static int smoothfs_mmap(struct file *file, struct vm_area_struct *vma)
{
	const struct cred *old_cred;
	struct file *lower;
	int ret, tries = 0;

again:
	lower = smoothfs_lower_file(file);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	ret = -ENODEV;
	if (!lower->f_op->mmap)
		goto out;
	ret = -EIO;
	if (WARN_ON_ONCE(file != vma->vm_file))
		goto out;
	/*
	 * No new writable shared mapping while a move is open, nor of a copy
	 * a cutover has just left behind: then the new one, once.
	 */
	ret = smoothfs_move_mmap_check(file, lower, vma);
	if (ret == -EAGAIN && !tries++) {
		smoothfs_lower_put(lower);
		goto again;
	}
	if (ret == -EAGAIN)
		ret = -EBUSY;	/* moved again meanwhile */
	if (ret)
		goto out;

	vma_set_file(vma, lower);
	old_cred = smoothfs_creds(file_inode(file));
	ret = call_mmap(vma->vm_file, vma);
	revert_creds(old_cred);
	fsstack_copy_attr_atime(file_inode(file), file_inode(lower));
out:
	smoothfs_lower_put(lower);
	return ret;
}

static long smoothfs_fallocate(struct file *file, int mode, loff_t offset, loff_t len)
{
	struct inode *inode = file_inode(file);
	const struct cred *old_cred;
	struct file *lower;
	long ret;

	lower = smoothfs_lower_file(file);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	inode_lock(inode);
	if (unlikely(!smoothfs_lower_current(file, lower))) {
		inode_unlock(inode);
		smoothfs_lower_put(lower);
		return smoothfs_fallocate(file, mode, offset, len);
	}
	old_cred = smoothfs_creds(inode);
	ret = vfs_fallocate(lower, mode, offset, len);
	revert_creds(old_cred);
	smoothfs_copy_lower_attr(inode);
	smoothfs_move_wrote(inode);
	inode_unlock(inode);
	smoothfs_lower_put(lower);
	return ret;
}

static int smoothfs_fadvise(struct file *file, loff_t offset, loff_t len, int advice)
{
	const struct cred *old_cred;
	struct file *lower;
	int ret;

	lower = smoothfs_lower_file(file);
	if (IS_ERR(lower))
		return PTR_ERR(lower);
	old_cred = smoothfs_creds(file_inode(file));
	ret = vfs_fadvise(lower, offset, len, advice);
	revert_creds(old_cred);
	smoothfs_lower_put(lower);
	return ret;
}

enum smoothfs_copy_op {
	SMOOTHFS_COPY,
	SMOOTHFS_CLONE,
	SMOOTHFS_DEDUPE,
};

/*
 * copy_file_range, clone and dedupe between two files of the pool happen
 * between their lower files.  Files of another pool, or of another
 * filesystem, are refused with -EXDEV (the caller falls back to copying).
 * A copy between two tiers, which the lower filesystems refuse, is done
 * by splicing in the kernel; clone and dedupe between tiers fail -EXDEV.
 */
static loff_t smoothfs_copyfile(struct file *file_in, loff_t pos_in,
				struct file *file_out, loff_t pos_out,
				loff_t len, unsigned int flags, enum smoothfs_copy_op op)
{
	struct inode *inode_out = file_inode(file_out);
	struct file *lower_in, *lower_out;
	const struct cred *old_cred;
	loff_t ret;

	if (file_inode(file_in)->i_sb != inode_out->i_sb ||
	    file_in->f_op != &smoothfs_file_fops)
		return -EXDEV;
	lower_in = smoothfs_lower_file(file_in);
	if (IS_ERR(lower_in))
		return PTR_ERR(lower_in);
	lower_out = smoothfs_lower_file(file_out);
	if (IS_ERR(lower_out)) {
		smoothfs_lower_put(lower_in);
		return PTR_ERR(lower_out);
	}

	inode_lock(inode_out);
	if (unlikely(!smoothfs_lower_current(file_out, lower_out))) {
		inode_unlock(inode_out);
		smoothfs_lower_put(lower_out);
		smoothfs_lower_put(lower_in);
		return smoothfs_copyfile(file_in, pos_in, file_out, pos_out, len, flags, op);
	}
	old_cred = smoothfs_creds(inode_out);
	switch (op) {
	case SMOOTHFS_COPY:
		ret = vfs_copy_file_range(lower_in, pos_in, lower_out, pos_out, len, flags);
		if (ret == -EXDEV)
			ret = vfs_copy_file_range(lower_in, pos_in, lower_out, pos_out, len,
						  flags | COPY_FILE_SPLICE);
		break;
	case SMOOTHFS_CLONE:
		ret = vfs_clone_file_range(lower_in, pos_in, lower_out, pos_out, len, flags);
		break;
	case SMOOTHFS_DEDUPE:
		ret = vfs_dedupe_file_range_one(lower_in, pos_in, lower_out, pos_out, len, flags);
		break;
	default:
		ret = -EINVAL;
	}
	revert_creds(old_cred);
	smoothfs_copy_lower_attr(inode_out);
	smoothfs_move_wrote(inode_out);
	inode_unlock(inode_out);
	smoothfs_lower_put(lower_out);
	smoothfs_lower_put(lower_in);
	return ret;
}

static ssize_t smoothfs_copy_file_range(struct file *file_in, loff_t pos_in,
					struct file *file_out, loff_t pos_out,
					size_t len, unsigned int flags)
{
	ssize_t ret = smoothfs_copyfile(file_in, pos_in, file_out, pos_out, len, flags,
					SMOOTHFS_COPY);

	/* Data moved through the pool: heat on both sides. */
	smoothfs_heat_read(file_inode(file_in), ret);
	smoothfs_heat_write(file_inode(file_out), ret);
	return ret;
}

static loff_t smoothfs_remap_file_range(struct file *file_in, loff_t pos_in,
					struct file *file_out, loff_t pos_out,
					loff_t len, unsigned int remap_flags)
{
	if (remap_flags & ~(REMAP_FILE_DEDUP | REMAP_FILE_CAN_SHORTEN | REMAP_FILE_ADVISORY))
		return -EINVAL;
	if (remap_flags & REMAP_FILE_DEDUP)
		return smoothfs_copyfile(file_in, pos_in, file_out, pos_out, len,
					 remap_flags & ~REMAP_FILE_ADVISORY, SMOOTHFS_DEDUPE);
	return smoothfs_copyfile(file_in, pos_in, file_out, pos_out, len, remap_flags,
				 SMOOTHFS_CLONE);
}

/*
 * A directory's copies on other tiers follow its owner and mode, so that
 * what they hold keeps the permissions the directory shows.  The canonical
 * copy already changed; a copy that cannot follow is reported, not undone.
 */
static void smoothfs_setattr_dir_copies(struct dentry *dentry, const struct iattr *attr)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dentry->d_sb);
	struct smoothfs_inode *si = SMOOTHFS_I(d_inode(dentry));
	struct smoothfs_entry *entry = SMOOTHFS_E(dentry);
	struct iattr copy = *attr;
	unsigned int t;

	copy.ia_valid &= ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_CTIME;
	if (!(copy.ia_valid & (ATTR_MODE | ATTR_UID | ATTR_GID)))
		return;
	for (t = 0; t < sbi->ntiers; t++) {
		struct dentry *lower = entry->lower[t];
		struct vfsmount *mnt = sbi->tiers[t].root.mnt;
		int err;

		if (!lower || lower == si->lower.dentry)
			continue;
		err = mnt_want_write(mnt);
		if (!err) {
			inode_lock(d_inode(lower));
			err = notify_change(SMOOTHFS_NOP_IDMAP, lower, &copy, NULL);
			inode_unlock(d_inode(lower));
			mnt_drop_write(mnt);
		}
		if (err)
			pr_warn_ratelimited("%pd: the copy on tier %u keeps its old owner or mode: %d\n",
					    dentry, t, err);
	}
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

	err = smoothfs_may_setattr_lower(inode, lower_inode, attr);
	if (err)
		return err;
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
	mnt_drop_write(si->lower.mnt);
	if (lower_attr.ia_valid & ATTR_SIZE)
		smoothfs_move_wrote(inode);
	/* Not nested in the write access above: tiers may share a superblock. */
	if (!err && d_is_dir(dentry))
		smoothfs_setattr_dir_copies(dentry, &lower_attr);
	revert_creds(old_cred);

	smoothfs_copy_attr_all(inode, lower_inode);
	fsstack_copy_inode_size(inode, lower_inode);
	return err;
}

/*
 * FS_IOC_GETFLAGS/SETFLAGS and FS_IOC_FSGETXATTR/FSSETXATTR: the VFS has
 * checked ownership and CAP_LINUX_IMMUTABLE against the smoothfs inode;
 * the lower gets the same request, with the LSM asked about the lower file
 * as overlayfs does.  Any other ioctl is ENOTTY (no ->unlocked_ioctl).
 */
static int smoothfs_security_fileattr(const struct path *lower, struct fileattr *fa,
				      bool set)
{
	unsigned int cmd;
	struct file *file;
	int err;

	file = dentry_open(lower, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	if (set)
		cmd = fa->fsx_valid ? FS_IOC_FSSETXATTR : FS_IOC_SETFLAGS;
	else
		cmd = fa->fsx_valid ? FS_IOC_FSGETXATTR : FS_IOC_GETFLAGS;
	err = security_file_ioctl(file, cmd, 0);
	fput(file);
	return err;
}

static int smoothfs_fileattr_get(struct dentry *dentry, struct fileattr *fa)
{
	struct inode *inode = d_inode(dentry);
	const struct cred *old_cred;
	struct path lower;
	int err;

	smoothfs_inode_lower_get(inode, &lower);
	old_cred = smoothfs_creds(inode);
	err = smoothfs_security_fileattr(&lower, fa, false);
	if (!err)
		err = vfs_fileattr_get(lower.dentry, fa);
	revert_creds(old_cred);
	path_put(&lower);
	return err == -ENOIOCTLCMD ? -ENOTTY : err;
}

static int smoothfs_fileattr_set(smoothfs_idmap_t *idmap, struct dentry *dentry,
				 struct fileattr *fa)
{
	struct inode *inode = d_inode(dentry);
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	const struct cred *old_cred;
	int err;

	err = mnt_want_write(si->lower.mnt);
	if (err)
		return err;
	old_cred = smoothfs_creds(inode);
	err = smoothfs_security_fileattr(&si->lower, fa, true);
	if (!err)
		err = vfs_fileattr_set(SMOOTHFS_NOP_IDMAP, si->lower.dentry, fa);
	revert_creds(old_cred);
	mnt_drop_write(si->lower.mnt);
	/* The inode flags (immutable, append-only) follow the lower's. */
	smoothfs_copy_lower_attr(inode);
	return err == -ENOIOCTLCMD ? -ENOTTY : err;
}

static int smoothfs_fiemap(struct inode *inode, struct fiemap_extent_info *fieinfo,
			   u64 start, u64 len)
{
	struct inode *lower_inode;
	const struct cred *old_cred;
	struct path lower;
	int err = -EOPNOTSUPP;

	smoothfs_inode_lower_get(inode, &lower);
	lower_inode = d_inode(lower.dentry);
	if (lower_inode->i_op->fiemap) {
		old_cred = smoothfs_creds(inode);
		err = lower_inode->i_op->fiemap(lower_inode, fieinfo, start, len);
		revert_creds(old_cred);
	}
	path_put(&lower);
	return err;
}

const struct inode_operations smoothfs_file_iops = {
	.getattr	= smoothfs_getattr,
	.setattr	= smoothfs_setattr,
	.listxattr	= smoothfs_listxattr,
	SMOOTHFS_ACL_IOPS,
	.fileattr_get	= smoothfs_fileattr_get,
	.fileattr_set	= smoothfs_fileattr_set,
	.fiemap		= smoothfs_fiemap,
};

const struct file_operations smoothfs_file_fops = {
	.owner		= THIS_MODULE,
	.open		= smoothfs_open,
	.release	= smoothfs_release,
	.read_iter	= smoothfs_read_iter,
	.write_iter	= smoothfs_write_iter,
	.llseek		= smoothfs_llseek,
	.fsync		= smoothfs_fsync,
	.splice_read	= smoothfs_splice_read,
	.splice_write	= smoothfs_splice_write,
	.mmap		= smoothfs_mmap,
	.fallocate	= smoothfs_fallocate,
	.fadvise	= smoothfs_fadvise,
	.copy_file_range = smoothfs_copy_file_range,
	.remap_file_range = smoothfs_remap_file_range,
};
