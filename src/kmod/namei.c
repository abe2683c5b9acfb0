// SPDX-License-Identifier: GPL-2.0-only
/*
 * Namespace changes: creating objects (with placement and spill), and
 * removing them.
 *
 * A new object goes to the fastest tier whose free space is above its
 * reserve; the parent directory is created on that tier first if it is
 * not there yet ("materialised", with the smoothfs directory's mode and
 * owner).  A tier that runs out of space moves the object on to the next
 * one (a spill); ENOSPC comes only when every tier is full.
 */
#include <linux/cred.h>
#include <linux/fs_stack.h>
#include <linux/mount.h>
#include <linux/namei.h>

#include "smoothfs.h"

/* Credentials to create with: the mounter's, owned by the caller. */
static const struct cred *smoothfs_create_creds(struct smoothfs_sb_info *sbi,
						const struct cred **old_cred)
{
	kuid_t fsuid = current_fsuid();
	kgid_t fsgid = current_fsgid();
	const struct cred *prev;
	struct cred *cred;

	prev = override_creds(sbi->creator_cred);
	cred = prepare_creds();
	revert_creds(prev);
	if (!cred)
		return NULL;
	cred->fsuid = fsuid;
	cred->fsgid = fsgid;
	*old_cred = override_creds(cred);
	return cred;
}

static void smoothfs_revert_create_creds(const struct cred *cred,
					 const struct cred *old_cred)
{
	revert_creds(old_cred);
	put_cred(cred);
}

/* Give directory @lower on a tier the mode and owner of @dir. */
static int smoothfs_copy_dir_owner(struct dentry *lower, struct inode *dir)
{
	struct iattr attr = {
		.ia_valid = ATTR_UID | ATTR_GID | ATTR_MODE,
		.ia_uid = dir->i_uid,
		.ia_gid = dir->i_gid,
		.ia_mode = dir->i_mode,
	};
	int err;

	inode_lock(d_inode(lower));
	err = notify_change(SMOOTHFS_NOP_IDMAP, lower, &attr, NULL);
	inode_unlock(d_inode(lower));
	return err;
}

/*
 * Create the copy of directory @dentry on tier @t; its parent has one.
 * The name and the parent are those of the smoothfs dentry, which no
 * rename of ours changes while the caller holds rename_sem.
 */
static int smoothfs_materialize_one(struct smoothfs_sb_info *sbi, struct dentry *dentry,
				    unsigned int t)
{
	struct dentry *lparent = SMOOTHFS_E(dentry->d_parent)->lower[t];
	struct vfsmount *mnt = sbi->tiers[t].root.mnt;
	struct inode *dir = d_inode(dentry);
	struct name_snapshot name;
	struct dentry *lower;
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return err;
	take_dentry_name_snapshot(&name, dentry);
	inode_lock_nested(d_inode(lparent), I_MUTEX_PARENT);
	lower = lookup_one_len(name.name.name, lparent, name.name.len);
	release_dentry_name_snapshot(&name);
	if (IS_ERR(lower)) {
		inode_unlock(d_inode(lparent));
		mnt_drop_write(mnt);
		return PTR_ERR(lower);
	}
	if (d_is_negative(lower))
		err = vfs_mkdir(SMOOTHFS_NOP_IDMAP, d_inode(lparent), lower, dir->i_mode & 07777);
	inode_unlock(d_inode(lparent));
	if (!err && (d_is_negative(lower) || !d_is_dir(lower)))
		err = d_is_negative(lower) ? -ENOENT : -EEXIST;
	if (!err)
		err = smoothfs_copy_dir_owner(lower, dir);
	mnt_drop_write(mnt);
	if (!err)
		err = smoothfs_copy_acls(dir, mnt, lower);
	if (!err) {
		struct path copy = { .mnt = mnt, .dentry = lower };

		err = smoothfs_dir_copy_identity(dir, &copy);
	}
	if (err) {
		dput(lower);
		return err;
	}
	/* Readers load the slot without a lock: publish a complete copy. */
	smp_store_release(&SMOOTHFS_E(dentry)->lower[t], lower);
	return 0;
}

/*
 * Make sure directory @dentry exists on tier @t, creating missing parents.
 * The walk up goes by the smoothfs dentries' names and parents: a rename
 * of an ancestor in the middle would make it create a copy under the old
 * name, so renames exclude it (rename_sem; rename.c, which holds it for
 * write, calls smoothfs_materialize_locked()).
 */
int smoothfs_materialize(struct smoothfs_sb_info *sbi, struct dentry *dentry,
			 unsigned int t)
{
	int err;

	if (READ_ONCE(SMOOTHFS_E(dentry)->lower[t]))
		return 0;
	down_read(&sbi->rename_sem);
	err = smoothfs_materialize_locked(sbi, dentry, t);
	up_read(&sbi->rename_sem);
	return err;
}

int smoothfs_materialize_locked(struct smoothfs_sb_info *sbi, struct dentry *dentry,
				unsigned int t)
{
	int err = 0;

	lockdep_assert_held(&sbi->rename_sem);
	if (READ_ONCE(SMOOTHFS_E(dentry)->lower[t]))
		return 0;
	mutex_lock(&sbi->materialize_lock);
	/* Top down, without recursion: the highest missing ancestor first. */
	while (!err && !SMOOTHFS_E(dentry)->lower[t]) {
		struct dentry *d = dentry;

		while (!SMOOTHFS_E(d->d_parent)->lower[t])
			d = d->d_parent;
		err = smoothfs_materialize_one(sbi, d, t);
	}
	mutex_unlock(&sbi->materialize_lock);
	return err;
}

/* The new lower object; a symlink's target or a device number. */
struct smoothfs_new {
	umode_t mode;
	dev_t rdev;
	const char *target;
};

static int smoothfs_lower_create(struct inode *ldir, struct dentry *lower,
				 const struct smoothfs_new *new)
{
	switch (new->mode & S_IFMT) {
	case S_IFREG:
		return vfs_create(SMOOTHFS_NOP_IDMAP, ldir, lower, new->mode, true);
	case S_IFDIR:
		return vfs_mkdir(SMOOTHFS_NOP_IDMAP, ldir, lower, new->mode);
	case S_IFLNK:
		return vfs_symlink(SMOOTHFS_NOP_IDMAP, ldir, lower, new->target);
	default:
		return vfs_mknod(SMOOTHFS_NOP_IDMAP, ldir, lower, new->mode, new->rdev);
	}
}

/* Undo a create whose OID could not be written. */
static void smoothfs_lower_remove(struct inode *ldir, struct dentry *lower)
{
	if (d_is_dir(lower))
		vfs_rmdir(SMOOTHFS_NOP_IDMAP, ldir, lower);
	else
		vfs_unlink(SMOOTHFS_NOP_IDMAP, ldir, lower, NULL);
}

/* Create on tier @t; the OID is on the object before anyone can see it. */
static struct dentry *smoothfs_create_on_tier(struct smoothfs_sb_info *sbi,
					      struct dentry *dentry, unsigned int t,
					      const struct smoothfs_new *new,
					      u8 oid[SMOOTHFS_OID_LEN])
{
	struct dentry *lparent, *lower;
	struct path lpath = { .mnt = sbi->tiers[t].root.mnt };
	int err;

	err = smoothfs_materialize(sbi, dentry->d_parent, t);
	if (err)
		return ERR_PTR(err);
	lparent = SMOOTHFS_E(dentry->d_parent)->lower[t];
	err = mnt_want_write(lpath.mnt);
	if (err)
		return ERR_PTR(err);
	inode_lock_nested(d_inode(lparent), I_MUTEX_PARENT);
	lower = lookup_one_len(dentry->d_name.name, lparent, dentry->d_name.len);
	if (IS_ERR(lower)) {
		err = PTR_ERR(lower);
		goto out_unlock;
	}
	err = d_is_positive(lower) ? -EEXIST : smoothfs_lower_create(d_inode(lparent), lower, new);
	if (!err && (d_unhashed(lower) || d_is_negative(lower)))
		err = -EIO;	/* none of the supported lowers does this */
	if (!err) {
		lpath.dentry = lower;
		/* Under the same write access as the create (oid.c). */
		err = smoothfs_oid_assign(&lpath, oid);
		if (err)
			smoothfs_lower_remove(d_inode(lparent), lower);
	}
	if (err) {
		dput(lower);
		lower = ERR_PTR(err);
	}
out_unlock:
	inode_unlock(d_inode(lparent));
	mnt_drop_write(lpath.mnt);
	return err ? ERR_PTR(err) : lower;
}

static bool smoothfs_out_of_space(int err)
{
	return err == -ENOSPC || err == -EDQUOT;
}

static int smoothfs_create_object(struct inode *dir, struct dentry *dentry,
				  const struct smoothfs_new *new)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dir->i_sb);
	struct smoothfs_entry *entry = SMOOTHFS_E(dentry);
	const struct cred *cred, *old_cred;
	struct dentry *lower = ERR_PTR(-ENOSPC);
	u8 oid[SMOOTHFS_OID_LEN];
	struct inode *inode;
	unsigned int t;
	struct path lpath;

	smoothfs_listing_forget(dir);
	if (IS_ROOT(dentry->d_parent) &&
	    dentry->d_name.len == sizeof(SMOOTHFS_META_DIR) - 1 &&
	    !memcmp(dentry->d_name.name, SMOOTHFS_META_DIR, dentry->d_name.len))
		return -EPERM;
	if (WARN_ON_ONCE(!entry))
		return -EIO;

	cred = smoothfs_create_creds(sbi, &old_cred);
	if (!cred)
		return -ENOMEM;
	for (t = 0; t < sbi->ntiers; t++) {
		/* The last tier is tried whatever its reserve says. */
		if (READ_ONCE(sbi->tiers[t].offline) ||
		    (t + 1 < sbi->ntiers && !smoothfs_tier_has_room(&sbi->tiers[t])))
			continue;
		lower = smoothfs_create_on_tier(sbi, dentry, t, new, oid);
		if (!IS_ERR(lower) || !smoothfs_out_of_space(PTR_ERR(lower)))
			break;
		/* Full after all: look again in a second. */
		WRITE_ONCE(sbi->tiers[t].avail_bytes, 0);
	}
	smoothfs_revert_create_creds(cred, old_cred);
	if (IS_ERR(lower))
		return PTR_ERR(lower);

	lpath.mnt = sbi->tiers[t].root.mnt;
	lpath.dentry = lower;
	inode = smoothfs_iget(dir->i_sb, &lpath, t, oid);
	if (IS_ERR(inode)) {
		dput(lower);
		return PTR_ERR(inode);
	}
	smoothfs_entry_reset(entry);
	entry->lower[t] = lower;
	if (t > 0) {
		WRITE_ONCE(sbi->any_spill, true);
		smoothfs_event_spill(sbi, oid, 0, t, 0);
	}
	fsstack_copy_attr_times(dir, d_inode(SMOOTHFS_E(dentry->d_parent)->lower[t]));
	d_instantiate(dentry, inode);
	smoothfs_count_create(sbi, t);
	return 0;
}

int smoothfs_create(smoothfs_idmap_t *idmap, struct inode *dir, struct dentry *dentry,
		    umode_t mode, bool excl)
{
	struct smoothfs_new new = { .mode = (mode & 07777) | S_IFREG };

	return smoothfs_create_object(dir, dentry, &new);
}

int smoothfs_mkdir(smoothfs_idmap_t *idmap, struct inode *dir, struct dentry *dentry,
		   umode_t mode)
{
	struct smoothfs_new new = { .mode = (mode & 07777) | S_IFDIR };

	return smoothfs_create_object(dir, dentry, &new);
}

int smoothfs_mknod(smoothfs_idmap_t *idmap, struct inode *dir, struct dentry *dentry,
		   umode_t mode, dev_t rdev)
{
	struct smoothfs_new new = { .mode = mode, .rdev = rdev };

	return smoothfs_create_object(dir, dentry, &new);
}

int smoothfs_symlink(smoothfs_idmap_t *idmap, struct inode *dir, struct dentry *dentry,
		     const char *target)
{
	struct smoothfs_new new = { .mode = S_IFLNK | 0777, .target = target };

	return smoothfs_create_object(dir, dentry, &new);
}

/*
 * Remove one lower object, checking it is still where we found it.  Its
 * inode number may be reused once it is gone: the d_ino cache forgets it.
 * The extra reference makes the lower filesystem unhash the dentry rather
 * than turn it negative, so that smoothfs dentries holding it (and
 * readers that found it there) keep a positive, dead lower dentry.
 */
int smoothfs_lower_unlink(struct smoothfs_sb_info *sbi, struct dentry *lower, bool is_dir)
{
	struct dentry *lparent = dget_parent(lower);
	struct inode *ldir = d_inode(lparent);
	u64 lower_ino;
	int err;

	inode_lock_nested(ldir, I_MUTEX_PARENT);
	if (lower->d_parent != lparent || d_unhashed(lower)) {
		err = -ESTALE;
		goto out;
	}
	lower_ino = d_inode(lower)->i_ino;
	dget(lower);
	if (is_dir)
		err = vfs_rmdir(SMOOTHFS_NOP_IDMAP, ldir, lower);
	else
		err = vfs_unlink(SMOOTHFS_NOP_IDMAP, ldir, lower, NULL);
	dput(lower);
	if (!err)
		smoothfs_inomap_forget(sbi, ldir->i_sb, lower_ino);
out:
	inode_unlock(ldir);
	dput(lparent);
	return err;
}

/*
 * The name's own object is gone.  If a slower tier holds another object
 * under the name, that one shows from now on (as after a rename away; it
 * is not ours to remove), so the VFS must not keep answering for the name
 * with the negative dentry this one is about to become.
 */
static void smoothfs_unshadow(struct dentry *dentry)
{
	if (SMOOTHFS_E(dentry)->shadows)
		d_drop(dentry);
}

int smoothfs_unlink(struct inode *dir, struct dentry *dentry)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dir->i_sb);
	struct smoothfs_entry *entry = SMOOTHFS_E(dentry);
	struct inode *inode = d_inode(dentry);
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	const struct cred *old_cred;
	struct dentry *lower;
	int err;

	smoothfs_listing_forget(dir);
	/* Recovery must not find the old copy and no new one (close.c). */
	err = smoothfs_closer_settle_inode(inode);
	if (err)
		return err;
	lower = entry->lower[si->tier];
	if (!lower)
		return -ESTALE;
	err = mnt_want_write(sbi->tiers[si->tier].root.mnt);
	if (err)
		return err;
	old_cred = override_creds(sbi->creator_cred);
	err = smoothfs_lower_unlink(sbi, lower, false);
	revert_creds(old_cred);
	mnt_drop_write(sbi->tiers[si->tier].root.mnt);
	if (err)
		return err;

	set_nlink(inode, d_inode(si->lower.dentry)->i_nlink);
	inode_set_ctime_current(inode);
	/*
	 * Unlike a directory's copies (kept until d_release for opendir), a
	 * file's lower dentry is only used under the victim's inode lock,
	 * which the VFS holds here (as a cutover does): drop it now, or the
	 * unlinked lower inode and its blocks stay pinned by this dentry
	 * until it is reclaimed.  si->lower goes when the inode is evicted.
	 */
	entry->lower[si->tier] = NULL;
	dput(lower);
	smoothfs_unshadow(dentry);
	return 0;
}

struct smoothfs_empty_ctx {
	struct dir_context ctx;
	bool empty;
};

static bool smoothfs_empty_actor(struct dir_context *ctx, const char *name, int len,
				 loff_t offset, u64 ino, unsigned int d_type)
{
	struct smoothfs_empty_ctx *e = container_of(ctx, struct smoothfs_empty_ctx, ctx);

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	e->empty = false;
	return false;
}

/* A directory is empty only if every tier's copy is. */
int smoothfs_dir_is_empty(struct smoothfs_sb_info *sbi, struct smoothfs_entry *entry)
{
	unsigned int t;
	int err = 0;

	for (t = 0; t < sbi->ntiers && !err; t++) {
		struct path lower = { .mnt = sbi->tiers[t].root.mnt, .dentry = entry->lower[t] };
		struct smoothfs_empty_ctx e = { .ctx.actor = smoothfs_empty_actor, .empty = true };
		struct file *f;

		if (!lower.dentry || IS_DEADDIR(d_inode(lower.dentry)))
			continue;
		f = dentry_open(&lower, O_RDONLY | O_DIRECTORY, current_cred());
		if (IS_ERR(f))
			return PTR_ERR(f);
		err = iterate_dir(f, &e.ctx);
		fput(f);
		if (!err && !e.empty)
			err = -ENOTEMPTY;
	}
	return err;
}

int smoothfs_rmdir(struct inode *dir, struct dentry *dentry)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dir->i_sb);
	struct smoothfs_entry *entry = SMOOTHFS_E(dentry);
	const struct cred *old_cred;
	unsigned int t;
	int err;

	smoothfs_listing_forget(dir);
	old_cred = override_creds(sbi->creator_cred);
	err = smoothfs_dir_is_empty(sbi, entry);
	/*
	 * Slowest copy first, so a failure leaves the canonical one.  The
	 * removed copies stay in entry->lower[] (an opendir may be using
	 * them) until the dentry is released; they are dead (S_DEAD), and
	 * a second rmdir after a partial failure skips them.
	 */
	for (t = sbi->ntiers; !err && t-- > 0;) {
		struct vfsmount *mnt = sbi->tiers[t].root.mnt;
		struct dentry *lower = entry->lower[t];

		if (!lower || IS_DEADDIR(d_inode(lower)))
			continue;
		err = mnt_want_write(mnt);
		if (err)
			break;
		err = smoothfs_lower_unlink(sbi, lower, true);
		mnt_drop_write(mnt);
	}
	revert_creds(old_cred);
	if (!err) {
		clear_nlink(d_inode(dentry));
		smoothfs_unshadow(dentry);
	}
	return err;
}
