// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tier faults: an I/O error from a tier's filesystem is counted and
 * reported to userspace as a TIER_FAULT event, so the daemon learns that
 * a disk is failing before it finds out by itself.
 *
 * What is a fault: EIO, EUCLEAN (EFSCORRUPTED: the lower filesystem found
 * corruption), EBADMSG (EFSBADCRC: a bad checksum) and EROFS (the lower
 * filesystem went read-only, usually after an error), from the data path
 * (read, write, fsync) and from a tier's statfs.  Not ENOSPC or EDQUOT
 * (a full tier is placement's business), nor EINTR, EAGAIN, EINVAL and
 * the like, which say nothing about the tier.
 *
 * Events are limited to one per tier per second: the first error sends
 * one at once, errors in the following second are only counted
 * (tier_faults_suppressed in sysfs, and in the kernel log line of the
 * next event).  Every fault is counted in tier_faults.
 */
#include <linux/jiffies.h>

#include "smoothfs.h"

static bool smoothfs_fault_error(int err)
{
	return err == -EIO || err == -EUCLEAN || err == -EBADMSG || err == -EROFS;
}

/* @err is what an operation on tier @tier returned; process context. */
void smoothfs_tier_fault(struct smoothfs_sb_info *sbi, unsigned int tier, int err)
{
	struct smoothfs_tier *t;
	u64 held = 0;
	bool send;

	if (!smoothfs_fault_error(err) || tier >= sbi->ntiers)
		return;
	t = &sbi->tiers[tier];
	atomic64_inc(&sbi->stats.tier_faults);

	spin_lock(&sbi->fault_lock);
	/* fault_next == 0: no event yet (jiffies may be "negative"). */
	send = !t->fault_next || time_after_eq(jiffies, t->fault_next);
	if (send) {
		t->fault_next = (jiffies + HZ) ?: 1;
		held = t->faults_suppressed;
		t->faults_suppressed = 0;
	} else {
		t->faults_suppressed++;
	}
	spin_unlock(&sbi->fault_lock);

	if (!send) {
		atomic64_inc(&sbi->stats.tier_faults_suppressed);
		return;
	}
	pr_err("pool %s: tier %u (%s): I/O error %d (%llu more not reported)\n",
	       sbi->pool, tier, t->path, err, held);
	smoothfs_event_tier_fault(sbi, tier);
}

/* An error from the lower object of @inode; anything >= 0 is ignored. */
void smoothfs_inode_fault(struct inode *inode, long err)
{
	if (err < 0)
		smoothfs_tier_fault(SMOOTHFS_SB(inode->i_sb), SMOOTHFS_I(inode)->tier, err);
}
