// SPDX-License-Identifier: GPL-2.0-only
/*
 * Object identity: every object carries a 16-byte OID (a UUIDv7) in the
 * lower xattr trusted.smoothfs.oid.  It is written at create, or on first
 * lookup for objects that were on a tier before the pool (adoption), and
 * it moves with the object between tiers, so st_ino never changes.
 */
#include <linux/cred.h>
#include <linux/mount.h>
#include <linux/random.h>
#include <linux/timekeeping.h>
#include <linux/xattr.h>

#include "smoothfs.h"

/* UUIDv7: 48-bit Unix time in ms, version 7, variant 10, random rest. */
static void smoothfs_oid_mint(u8 oid[SMOOTHFS_OID_LEN])
{
	u64 ms = ktime_get_real_ns() / NSEC_PER_MSEC;
	int i;

	get_random_bytes(oid + 6, SMOOTHFS_OID_LEN - 6);
	for (i = 0; i < 6; i++)
		oid[i] = ms >> (8 * (5 - i));
	oid[6] = 0x70 | (oid[6] & 0x0f);
	oid[8] = 0x80 | (oid[8] & 0x3f);
}

int smoothfs_oid_read(const struct path *lower, u8 oid[SMOOTHFS_OID_LEN])
{
	ssize_t len;

	len = __vfs_getxattr(lower->dentry, d_inode(lower->dentry),
			     SMOOTHFS_XATTR_OID, oid, SMOOTHFS_OID_LEN);
	if (len == -ERANGE || (len >= 0 && len != SMOOTHFS_OID_LEN)) {
		pr_warn_ratelimited("%pd: malformed %s\n", lower->dentry, SMOOTHFS_XATTR_OID);
		return -EUCLEAN;
	}
	return len < 0 ? len : 0;
}

/*
 * Store @oid on @lower.  The caller holds write access to the lower mount
 * (mnt_want_write): taking it again here would nest freeze protection,
 * and a freeze of the tier starting in between would wait for the outer
 * hold while the inner one waits for the freeze.
 */
int smoothfs_oid_write(const struct path *lower, const u8 oid[SMOOTHFS_OID_LEN])
{
	struct inode *inode = d_inode(lower->dentry);
	int err;

	WARN_ON_ONCE(!sb_write_started(lower->mnt->mnt_sb));
	inode_lock(inode);
	err = __vfs_setxattr(SMOOTHFS_NOP_IDMAP, lower->dentry, inode, SMOOTHFS_XATTR_OID,
			     oid, SMOOTHFS_OID_LEN, XATTR_CREATE);
	inode_unlock(inode);
	return err;
}

/*
 * Give a new lower object a fresh OID.  The caller holds the mounter's
 * creds and write access to lower->mnt, the same hold as for the create,
 * so that a freeze of the tier waits for create and OID together.
 */
int smoothfs_oid_assign(const struct path *lower, u8 oid[SMOOTHFS_OID_LEN])
{
	smoothfs_oid_mint(oid);
	return smoothfs_oid_write(lower, oid);
}

/* The OID of a lower object, minting and storing one if it has none. */
int smoothfs_oid_get(struct smoothfs_sb_info *sbi, const struct path *lower,
		     u8 oid[SMOOTHFS_OID_LEN])
{
	const struct cred *old_cred;
	int err;

	old_cred = override_creds(sbi->creator_cred);
	err = smoothfs_oid_read(lower, oid);
	if (err == -ENODATA) {
		/* Adoption: lookup and readdir hold no write access yet. */
		err = mnt_want_write(lower->mnt);
		if (!err) {
			err = smoothfs_oid_assign(lower, oid);
			mnt_drop_write(lower->mnt);
		}
		/* Someone adopted it at the same time: theirs stands. */
		if (err == -EEXIST)
			err = smoothfs_oid_read(lower, oid);
	}
	revert_creds(old_cred);
	return err;
}
