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
 *
 * A tier is probed (Reprobe) by statfs, by checking that its path still
 * leads to the directory the pool holds, and by writing and fsyncing
 * .smoothfs/probe on it: a disk that fails writes, or a filesystem that
 * went read-only after an error, does not come back, whatever statfs
 * answers from memory.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/namei.h>
#include <linux/statfs.h>

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

#define SMOOTHFS_PROBE_NAME SMOOTHFS_META_DIR "/probe"

/* Write and fsync a few bytes on tier @tier; 0 or a negative errno. */
static int smoothfs_tier_probe_write(struct smoothfs_sb_info *sbi, struct smoothfs_tier *t)
{
	const struct cred *old_cred;
	u64 stamp = ktime_get_real_ns();
	struct file *f;
	loff_t pos = 0;
	ssize_t n;
	int err;

	old_cred = override_creds(sbi->creator_cred);
	f = file_open_root(&t->root, SMOOTHFS_PROBE_NAME, O_WRONLY | O_CREAT | O_TRUNC |
			   O_NOFOLLOW | O_LARGEFILE, 0600);
	if (IS_ERR(f)) {
		err = PTR_ERR(f);
		goto out;
	}
	n = kernel_write(f, &stamp, sizeof(stamp), &pos);
	err = n < 0 ? (int)n : n != sizeof(stamp) ? -EIO : 0;
	if (!err)
		err = vfs_fsync(f, 0);
	fput(f);
out:
	revert_creds(old_cred);
	return err;
}

/*
 * Reprobe's test of tier @tier: 0 when it answers statfs, is still where
 * its path says and takes a durable write; the error otherwise.
 */
int smoothfs_tier_probe(struct smoothfs_sb_info *sbi, unsigned int tier)
{
	struct smoothfs_tier *t = &sbi->tiers[tier];
	struct kstatfs st;
	struct path path;
	int err;

	err = vfs_statfs(&t->root, &st);
	if (err)
		return err;
	err = kern_path(t->path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &path);
	if (err)
		return err;
	if (!path_equal(&path, &t->root))
		err = -ESTALE;
	path_put(&path);
	if (err)
		return err;
	return smoothfs_tier_probe_write(sbi, t);
}
