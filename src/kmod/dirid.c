// SPDX-License-Identifier: GPL-2.0-only
/*
 * Identity of directories that have copies on several tiers.
 *
 * A directory is one object however many tiers hold a copy of it, so all
 * its copies carry the same OID (and pin): materialising a copy writes
 * them onto it before the copy is published.  Copies that got theirs
 * some other way (a tree that existed on two tiers before the pool, a
 * copy made by an older module without an OID) are resolved the same way
 * by lookup and by readdir: the fastest copy that carries an OID gives
 * the directory its OID; if none does, the fastest copy gets a new one.
 * Copies without an OID are then given the chosen one, so the choice does
 * not depend on which copy happens to be looked at first and does not
 * change between lookups, after the dentry is reclaimed, or after a
 * remount.  Copies carrying another OID keep it (it is on disk, maybe
 * referenced by a file handle) but are never chosen while a faster copy
 * has one.
 */
#include <linux/cred.h>
#include <linux/mount.h>
#include <linux/xattr.h>

#include "smoothfs.h"

/* Write @oid on a copy that has none (mounter's creds); errors are ignored. */
static void smoothfs_dir_oid_repair(struct smoothfs_sb_info *sbi, unsigned int t,
				    struct dentry *lower, const u8 *oid)
{
	struct path p = { .mnt = sbi->tiers[t].root.mnt, .dentry = lower };
	int err;

	/* Lookup holds no write access; smoothfs_oid_write() needs it held. */
	err = mnt_want_write(p.mnt);
	if (!err) {
		err = smoothfs_oid_write(&p, oid);
		mnt_drop_write(p.mnt);
	}
	if (err && err != -EEXIST && err != -EROFS)
		pr_warn_ratelimited("%pd: cannot give the copy on tier %u its OID: %d\n",
				    lower, t, err);
}

/*
 * The OID of the directory whose copies are @lower[] (NULL where a tier
 * has none; @first is the fastest copy).  Called with the mounter's creds.
 */
int smoothfs_dir_oid(struct smoothfs_sb_info *sbi, struct dentry *const *lower,
		     unsigned int first, u8 oid[SMOOTHFS_OID_LEN])
{
	unsigned long missing = 0;
	bool found = false;
	unsigned int t;
	int err;

	for (t = first; t < sbi->ntiers && !found; t++) {
		struct path p = { .mnt = sbi->tiers[t].root.mnt, .dentry = lower[t] };

		if (!p.dentry || !d_is_dir(p.dentry))
			continue;
		err = smoothfs_oid_read(&p, oid);
		if (!err)
			found = true;
		else if (err == -ENODATA)
			missing |= BIT(t);
		else
			return err;
	}
	if (!found) {
		struct path p = { .mnt = sbi->tiers[first].root.mnt, .dentry = lower[first] };

		/* Nobody has one: adopt the fastest copy. */
		err = smoothfs_oid_get(sbi, &p, oid);
		if (err)
			return err;
		missing &= ~BIT(first);
	}
	/* Copies slower than the one chosen were not read yet. */
	for (; t < sbi->ntiers; t++) {
		struct path p = { .mnt = sbi->tiers[t].root.mnt, .dentry = lower[t] };
		u8 other[SMOOTHFS_OID_LEN];

		if (p.dentry && d_is_dir(p.dentry) &&
		    smoothfs_oid_read(&p, other) == -ENODATA)
			missing |= BIT(t);
	}
	for (t = 0; t < sbi->ntiers; t++)
		if (missing & BIT(t))
			smoothfs_dir_oid_repair(sbi, t, lower[t], oid);
	return 0;
}

/* Copy the raw value of xattr @name from @from to @to, if @from has it. */
static int smoothfs_dir_copy_xattr(struct dentry *from, const struct path *to,
				   const char *name)
{
	char buf[32];
	ssize_t len;
	int err;

	len = __vfs_getxattr(from, d_inode(from), name, buf, sizeof(buf));
	if (len == -ENODATA)
		return 0;
	if (len < 0)
		return len;
	err = mnt_want_write(to->mnt);
	if (err)
		return err;
	inode_lock(d_inode(to->dentry));
	err = __vfs_setxattr(SMOOTHFS_NOP_IDMAP, to->dentry, d_inode(to->dentry), name,
			     buf, len, 0);
	inode_unlock(d_inode(to->dentry));
	mnt_drop_write(to->mnt);
	return err;
}

/*
 * A new copy @to of directory @dir gets its OID and pin before anyone can
 * find it through the directory's dentry.  Mounter's creds.
 */
int smoothfs_dir_copy_identity(struct inode *dir, const struct path *to)
{
	struct smoothfs_inode *si = SMOOTHFS_I(dir);
	int err;

	err = mnt_want_write(to->mnt);
	if (err)
		return err;
	inode_lock(d_inode(to->dentry));
	err = __vfs_setxattr(SMOOTHFS_NOP_IDMAP, to->dentry, d_inode(to->dentry),
			     SMOOTHFS_XATTR_OID, si->oid, SMOOTHFS_OID_LEN, 0);
	inode_unlock(d_inode(to->dentry));
	mnt_drop_write(to->mnt);
	if (!err)
		err = smoothfs_dir_copy_xattr(si->lower.dentry, to, SMOOTHFS_XATTR_PIN);
	return err;
}

/*
 * A pin set on a directory goes to every copy, so that whichever copy
 * lookup finds first after a remount carries it.  Mounter's creds.
 */
void smoothfs_dir_pin_copies(struct dentry *dentry)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dentry->d_sb);
	struct smoothfs_inode *si = SMOOTHFS_I(d_inode(dentry));
	struct smoothfs_entry *entry = SMOOTHFS_E(dentry);
	unsigned int t;

	for (t = 0; entry && t < sbi->ntiers; t++) {
		struct path p = { .mnt = sbi->tiers[t].root.mnt };
		int err = 0;

		p.dentry = READ_ONCE(entry->lower[t]);
		if (!p.dentry || p.dentry == si->lower.dentry || IS_DEADDIR(d_inode(p.dentry)))
			continue;
		if (__vfs_getxattr(si->lower.dentry, d_inode(si->lower.dentry),
				   SMOOTHFS_XATTR_PIN, NULL, 0) == -ENODATA) {
			err = mnt_want_write(p.mnt);
			if (!err) {
				inode_lock(d_inode(p.dentry));
				err = __vfs_removexattr(SMOOTHFS_NOP_IDMAP, p.dentry,
							SMOOTHFS_XATTR_PIN);
				inode_unlock(d_inode(p.dentry));
				mnt_drop_write(p.mnt);
			}
			if (err == -ENODATA)
				err = 0;
		} else {
			err = smoothfs_dir_copy_xattr(si->lower.dentry, &p, SMOOTHFS_XATTR_PIN);
		}
		if (err)
			pr_warn_ratelimited("%pd: the copy on tier %u keeps its old pin: %d\n",
					    dentry, t, err);
	}
}
