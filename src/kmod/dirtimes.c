// SPDX-License-Identifier: GPL-2.0-only
/*
 * Times of directories that have copies on several tiers.
 *
 * Creating or removing a name changes the mtime and ctime of the copy on
 * the tier where that name lives, which need not be the directory's
 * canonical copy.  stat of the directory shows the newest mtime and the
 * newest ctime over all its copies, so ls -l, make, rsync and NFS clients
 * (whose change attribute follows ctime here) see every change.
 *
 * The alternative, touching the canonical copy on every namespace change
 * on another tier, would add a setattr on a second tier (maybe a slow
 * one) to each create and unlink, under that copy's inode lock, and could
 * still be missed by a change made to a copy behind our back.  Reading
 * the copies' attributes at stat costs one getattr per extra copy, from
 * memory on local filesystems, and only for directories that have extra
 * copies.
 */
#include <linux/cred.h>

#include "smoothfs.h"

/* Raise @stat's mtime and ctime to the newest of @dentry's copies. */
void smoothfs_dir_times(struct dentry *dentry, struct kstat *stat, unsigned int flags)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dentry->d_sb);
	struct smoothfs_inode *si = SMOOTHFS_I(d_inode(dentry));
	struct smoothfs_entry *entry = SMOOTHFS_E(dentry);
	const struct cred *old_cred;
	unsigned int t;

	if (!entry)
		return;
	old_cred = override_creds(sbi->creator_cred);
	for (t = 0; t < sbi->ntiers; t++) {
		struct path p = { .mnt = sbi->tiers[t].root.mnt };
		struct kstat ls;

		p.dentry = READ_ONCE(entry->lower[t]);
		if (!p.dentry || p.dentry == si->lower.dentry || IS_DEADDIR(d_inode(p.dentry)))
			continue;
		if (smoothfs_lower_getattr(&p, &ls, STATX_MTIME | STATX_CTIME, flags))
			continue;	/* the canonical copy's times still stand */
		if (timespec64_compare(&ls.mtime, &stat->mtime) > 0)
			stat->mtime = ls.mtime;
		if (timespec64_compare(&ls.ctime, &stat->ctime) > 0)
			stat->ctime = ls.ctime;
	}
	revert_creds(old_cred);
}
