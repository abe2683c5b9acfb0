// SPDX-License-Identifier: GPL-2.0-only
/*
 * The closer: the end of a move, after its cutover.
 *
 * A cutover returns once the move is durable (its COMMIT record) and the
 * file is switched to the new copy.  What is left changes nothing any
 * user of the mount can see: the rename into place made durable (an
 * fsync of the destination directory), the old copy unlinked and that
 * made durable (an fsync of its directory), and the DONE record.
 * Recovery rolls a committed move forward from any of these steps, so
 * they can wait a little and be done for many moves at once: one fsync
 * per directory per batch instead of two per file.  A batch is what
 * queued in SMOOTHFS_CLOSE_DELAY_MS after its first close.
 *
 * Until it is closed the file is cleanup_in_progress, and whatever would
 * see or upset the difference closes it first:
 *  - MovePlan and Inspect of the file: a client whose cutover returned
 *    finds the file placed, as when the cutover closed the move itself;
 *  - an unlink of the file (recovery looks for the new copy at the
 *    committed path and, not finding it, would keep the old one: the
 *    deleted file would come back);
 *  - any rename (of the file, over it, or of a directory above it: the
 *    same, with two copies under two names); renames hold rename_sem for
 *    write, and a cutover holds it for read from the path it commits
 *    until its close is queued;
 *  - Quiesce, unmount, and a cutover that finds many moves unclosed (the
 *    journal holds SMOOTHFS_JOURNAL_MAX_OPEN open transactions at most).
 *
 * A close that fails is stuck: both copies stay on the tiers, and the
 * old one must not show.  The close keeps the file's dentry cached (the
 * name keeps leading to the new copy), and a plan, unlink or rename of
 * the file, or a rename of a directory above it, fails with EIO.  If
 * the old copy could not be unlinked (its tier failing), the worker
 * tries again every SMOOTHFS_CLOSE_RETRY_MS.  If the destination
 * directory could not be fsync'd, the new copy may not be durable, and
 * a second fsync would not tell (the error is reported once): the old
 * copy stays until the next mount.  Unmount gives up on stuck closes,
 * their records open: recovery removes the old copy if the new one is
 * there.  The move's record stays open whenever a close did not end
 * cleanly, and the journal refuses another move of the file until then.
 *
 * Lock order: the closer's run_lock nests inside smoothfs inode locks and
 * rename_sem, and outside the lower filesystems' locks and the journal's;
 * a batch takes no smoothfs lock.
 */
#include <linux/file.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include "smoothfs.h"
#include "crashpoint.h"

/* Unclosed moves at which a cutover closes them before its commit. */
#define SMOOTHFS_CLOSE_CROWD	64
/*
 * How long the first queued close waits for others to join its batch.
 * Nobody waits for it: whoever needs a move closed closes it at once.
 */
#define SMOOTHFS_CLOSE_DELAY_MS	50
/* How often a stuck close tries to remove its old copy again. */
#define SMOOTHFS_CLOSE_RETRY_MS	5000

/* What a run of the closer does (smoothfs_closer_run). */
enum {
	SMOOTHFS_CLOSER_KILLABLE = 1,	/* a fatal signal ends the wait: -EINTR */
	SMOOTHFS_CLOSER_RETRY = 2,	/* stuck closes too (the worker) */
	SMOOTHFS_CLOSER_FINAL = 4,	/* unmount: give up on what fails */
};

static int smoothfs_closer_run(struct smoothfs_sb_info *sbi, unsigned int how);

/* One switched move waiting for its close. */
struct smoothfs_close {
	struct list_head node;
	struct inode *inode;		/* referenced */
	/*
	 * The file's name, referenced: it stays cached, so no lookup meets
	 * the name on both tiers (the first, perhaps the old copy, would win).
	 */
	struct dentry *alias;
	struct dentry *src;		/* the old copy, referenced */
	struct dentry *src_dir;		/* its directory, referenced */
	struct dentry *dst_dir;		/* the new copy's directory, referenced */
	unsigned int src_tier, dst_tier;
	u64 seq;
	int dst_err, unlink_err, src_err;	/* of each step, 0: done */
	bool dst_tried;			/* the destination's fsync is behind it */
	bool unlinked;			/* the old copy is unlinked */
	bool stuck;			/* on closer->stuck, not counted unclosed */
};

static void smoothfs_closer_work(struct work_struct *work)
{
	struct smoothfs_closer *cl = container_of(to_delayed_work(work), struct smoothfs_closer,
						 work);

	smoothfs_closer_run(container_of(cl, struct smoothfs_sb_info, closer),
			    SMOOTHFS_CLOSER_RETRY);
}

void smoothfs_closer_init(struct smoothfs_sb_info *sbi)
{
	struct smoothfs_closer *cl = &sbi->closer;

	spin_lock_init(&cl->lock);
	INIT_LIST_HEAD(&cl->pending);
	INIT_LIST_HEAD(&cl->stuck);
	atomic_set(&cl->unclosed, 0);
	mutex_init(&cl->run_lock);
	INIT_DELAYED_WORK(&cl->work, smoothfs_closer_work);
}

struct smoothfs_close *smoothfs_close_alloc(void)
{
	return kzalloc(sizeof(struct smoothfs_close), GFP_KERNEL);
}

void smoothfs_close_free(struct smoothfs_close *c)
{
	kfree(c);
}

/*
 * Queue the close of move @seq of the file @alias names, whose old copy
 * @src (the caller's reference, handed over) is on @src_tier and whose
 * new copy is in @dst_dir on @dst_tier.  The caller holds the inode lock
 * and has set the state to cleanup_in_progress.
 */
void smoothfs_close_queue(struct smoothfs_sb_info *sbi, struct smoothfs_close *c,
			  struct dentry *alias, u64 seq, unsigned int src_tier,
			  struct dentry *src, unsigned int dst_tier, struct dentry *dst_dir)
{
	struct smoothfs_closer *cl = &sbi->closer;
	bool first;

	c->alias = dget(alias);
	c->inode = d_inode(alias);
	ihold(c->inode);
	c->seq = seq;
	c->src_tier = src_tier;
	c->src = src;
	c->src_dir = dget_parent(src);
	c->dst_tier = dst_tier;
	c->dst_dir = dget(dst_dir);
	spin_lock(&SMOOTHFS_I(c->inode)->move.lock);
	SMOOTHFS_I(c->inode)->move.closing = true;
	spin_unlock(&SMOOTHFS_I(c->inode)->move.lock);
	atomic_inc(&cl->unclosed);
	spin_lock(&cl->lock);
	first = list_empty(&cl->pending);
	list_add_tail(&c->node, &cl->pending);
	spin_unlock(&cl->lock);
	/* The first of a batch sets the delay, also over a stuck close's retry. */
	if (first)
		mod_delayed_work(system_unbound_wq, &cl->work,
				 msecs_to_jiffies(SMOOTHFS_CLOSE_DELAY_MS));
}

/*
 * The first close of @batch before @c with the same destination directory
 * (@src false) or the same source directory whose old copy was unlinked
 * (@src true), or NULL.  That one fsync'd the directory: its dst_err or
 * src_err is the fsync's result.
 */
static struct smoothfs_close *smoothfs_close_same_dir(struct list_head *batch,
						      struct smoothfs_close *c, bool src)
{
	struct smoothfs_close *p;

	list_for_each_entry(p, batch, node) {
		if (p == c)
			return NULL;
		if (src ? (p->unlinked && p->src_dir == c->src_dir) :
			  (!p->dst_tried && p->dst_dir == c->dst_dir))
			return p;
	}
	return NULL;
}

/*
 * The renames into place of @batch, durable: one fsync per directory.  A
 * close whose directory cannot be fsync'd gets no DONE record: with the
 * DONE on disk and the rename not, recovery would leave the move alone
 * and remove the staged copy, with the old copy gone too.  Its record
 * stays open instead, and the next mount rolls the move forward from
 * wherever the copy is.  Stuck closes, tried again, are behind this.
 */
static void smoothfs_close_dst_dirs(struct smoothfs_sb_info *sbi, struct list_head *batch)
{
	struct smoothfs_close *c, *p;

	list_for_each_entry(c, batch, node) {
		if (c->dst_tried)
			continue;
		p = smoothfs_close_same_dir(batch, c, false);
		if (p)
			c->dst_err = p->dst_err;
		else
			c->dst_err = smoothfs_fsync_dir(sbi->tiers[c->dst_tier].root.mnt,
							c->dst_dir);
		if (c->dst_err && !p)
			pr_warn("%s: fsync of the destination directory %pd of moved files: %d\n",
				sbi->pool, c->dst_dir, c->dst_err);
	}
	/* Apart, so that every close of a directory finds the one that fsync'd it. */
	list_for_each_entry(c, batch, node)
		c->dst_tried = true;
}

/* The old copies of @batch, unlinked; then their directories fsync'd. */
static void smoothfs_close_sources(struct smoothfs_sb_info *sbi, struct list_head *batch)
{
	struct smoothfs_close *c, *p;

	list_for_each_entry(c, batch, node) {
		struct vfsmount *mnt = sbi->tiers[c->src_tier].root.mnt;

		/* The new copy may not be durable: the old one stays. */
		if (c->dst_err)
			continue;
		/* Gone already (removed from the tier behind the pool's back)? */
		if (d_unhashed(c->src) || d_is_negative(c->src)) {
			c->unlinked = true;
			continue;
		}
		if (READ_ONCE(sbi->tiers[c->src_tier].offline)) {
			c->unlink_err = -EIO;	/* until Reprobe brings the tier back */
			continue;
		}
		c->unlink_err = mnt_want_write(mnt);
		if (!c->unlink_err) {
			c->unlink_err = smoothfs_lower_unlink(sbi, c->src, false);
			mnt_drop_write(mnt);
		}
		c->unlinked = !c->unlink_err;
	}
	/*
	 * The unlinks must be durable before the DONE records or the
	 * journal's compaction may be: those are on tier 0, which may reach
	 * its disk first, and then the next mount would find an old copy and
	 * no record to remove it by.  A failed fsync fails every close in
	 * its directory (a second fsync would not see the error).
	 */
	list_for_each_entry(c, batch, node) {
		if (!c->unlinked)
			continue;
		p = smoothfs_close_same_dir(batch, c, true);
		if (p)
			c->src_err = p->src_err;
		else
			c->src_err = smoothfs_fsync_dir(sbi->tiers[c->src_tier].root.mnt,
							c->src_dir);
	}
}

/* @c's file is closed, well or not: its close goes. */
static void smoothfs_close_end(struct smoothfs_sb_info *sbi, struct smoothfs_close *c)
{
	struct smoothfs_inode *si = SMOOTHFS_I(c->inode);

	atomic64_inc(&sbi->stats.moves);
	smoothfs_move_set_state(sbi, si, SMOOTHFS_MS_PLACED, c->seq);
	/* After the event: a plan that waited for the close comes after it. */
	spin_lock(&si->move.lock);
	si->move.closing = false;
	si->move.close_stuck = false;
	spin_unlock(&si->move.lock);
	list_del(&c->node);
	dput(c->src);
	dput(c->src_dir);
	dput(c->dst_dir);
	dput(c->alias);
	iput(c->inode);
	if (!c->stuck)
		atomic_dec(&sbi->closer.unclosed);
	kfree(c);
}

/* @c failed: it keeps both copies and the file's dentry (see above). */
static void smoothfs_close_stick(struct smoothfs_sb_info *sbi, struct smoothfs_close *c)
{
	struct smoothfs_move *mv = &SMOOTHFS_I(c->inode)->move;

	if (!c->stuck) {
		spin_lock(&mv->lock);
		mv->close_stuck = true;
		spin_unlock(&mv->lock);
		c->stuck = true;
		atomic_dec(&sbi->closer.unclosed);
		if (c->dst_err)
			pr_warn("%s: the moved file's old copy %pd on tier %u stays until the next mount: its new copy may not be durable\n",
				sbi->pool, c->src, c->src_tier);
		else
			pr_warn("%s: the moved file's old copy %pd on tier %u cannot be removed (%d): trying again\n",
				sbi->pool, c->src, c->src_tier, c->unlink_err);
	}
	list_move_tail(&c->node, &sbi->closer.stuck);
}

/* @final: unmount; a close that fails is left to the next mount's recovery. */
static void smoothfs_close_batch(struct smoothfs_sb_info *sbi, struct list_head *batch,
				 bool final)
{
	struct smoothfs_close *c, *n;
	int err;

	smoothfs_close_dst_dirs(sbi, batch);
	smoothfs_crashpoint(SMOOTHFS_CP_DIRSYNC);
	smoothfs_close_sources(sbi, batch);

	list_for_each_entry_safe(c, n, batch, node) {
		if (!c->unlinked && !final) {
			smoothfs_close_stick(sbi, c);
			continue;
		}
		if (!c->unlinked) {
			pr_warn("%s: the moved file's old copy %pd on tier %u stays until the next mount: %d\n",
				sbi->pool, c->src, c->src_tier, c->dst_err ?: c->unlink_err);
		} else if (c->src_err) {
			/* The journal record stays open: the next mount finishes the move. */
			pr_warn("%s: move %llu stays open until the next mount: the old copy's directory fsync failed: %d\n",
				sbi->pool, c->seq, c->src_err);
		} else {
			smoothfs_crashpoint(SMOOTHFS_CP_UNLINK);
			smoothfs_move_set_state(sbi, SMOOTHFS_I(c->inode),
						SMOOTHFS_MS_CLEANUP_COMPLETE, c->seq);
			smoothfs_crashpoint(SMOOTHFS_CP_BEFORE_DONE);
			err = smoothfs_journal_done(sbi, c->seq, false);
			smoothfs_crashpoint(SMOOTHFS_CP_AFTER_DONE);
			if (err)
				pr_warn("%s: journal: closing move %llu: %d\n",
					sbi->pool, c->seq, err);
		}
		smoothfs_close_end(sbi, c);
	}
	atomic64_inc(&sbi->stats.close_batches);
}

/*
 * Close every move queued before the call; with SMOOTHFS_CLOSER_RETRY,
 * try the stuck ones again too (only the worker does: a stuck close's
 * tier is failing, and nobody should wait for it).  One batch runs at a
 * time: a run waits for the batch in progress, which may hold its moves.
 */
static int smoothfs_closer_run(struct smoothfs_sb_info *sbi, unsigned int how)
{
	struct smoothfs_closer *cl = &sbi->closer;
	const struct cred *old_cred;
	LIST_HEAD(batch);

	if (!(how & SMOOTHFS_CLOSER_KILLABLE))
		mutex_lock(&cl->run_lock);
	else if (mutex_lock_killable(&cl->run_lock))
		return -EINTR;
	spin_lock(&cl->lock);
	list_splice_init(&cl->pending, &batch);
	spin_unlock(&cl->lock);
	/* Behind the new ones: they are past their destination's fsync. */
	if (how & SMOOTHFS_CLOSER_RETRY)
		list_splice_tail_init(&cl->stuck, &batch);
	if (!list_empty(&batch)) {
		old_cred = override_creds(sbi->creator_cred);
		smoothfs_close_batch(sbi, &batch, how & SMOOTHFS_CLOSER_FINAL);
		revert_creds(old_cred);
	}
	if (!list_empty(&cl->stuck))
		queue_delayed_work(system_unbound_wq, &cl->work,
				   msecs_to_jiffies(SMOOTHFS_CLOSE_RETRY_MS));
	mutex_unlock(&cl->run_lock);
	return 0;
}

/* Close every move there is, if any is open; 0 or -EINTR.  Not the stuck. */
int smoothfs_closer_settle(struct smoothfs_sb_info *sbi)
{
	if (!atomic_read(&sbi->closer.unclosed))
		return 0;
	return smoothfs_closer_run(sbi, SMOOTHFS_CLOSER_KILLABLE);
}

/* Many moves unclosed: close them before opening another transaction. */
void smoothfs_closer_crowded(struct smoothfs_sb_info *sbi)
{
	if (atomic_read(&sbi->closer.unclosed) >= SMOOTHFS_CLOSE_CROWD)
		smoothfs_closer_run(sbi, SMOOTHFS_CLOSER_KILLABLE);
}

/*
 * -EIO if @inode's last move is stuck (see above): until its old copy is
 * gone, the file is neither moved, renamed nor unlinked.
 */
static int smoothfs_closer_check(struct inode *inode)
{
	struct smoothfs_move *mv = &SMOOTHFS_I(inode)->move;
	bool stuck;

	spin_lock(&mv->lock);
	stuck = mv->close_stuck;
	spin_unlock(&mv->lock);
	return stuck ? -EIO : 0;
}

/*
 * Close @inode's move if it waits for its close; 0, -EINTR, or -EIO if its
 * close is stuck.  Exact under the inode lock (a cutover queues its close
 * under it); without it, a move switched but not yet queued is seen as
 * switched, not closing.
 */
int smoothfs_closer_settle_inode(struct inode *inode)
{
	struct smoothfs_move *mv = &SMOOTHFS_I(inode)->move;
	bool closing;
	int err;

	err = smoothfs_closer_check(inode);
	if (err)
		return err;
	spin_lock(&mv->lock);
	closing = mv->closing;
	spin_unlock(&mv->lock);
	if (!closing)
		return 0;
	err = smoothfs_closer_run(SMOOTHFS_SB(inode->i_sb), SMOOTHFS_CLOSER_KILLABLE);
	return err ?: smoothfs_closer_check(inode);
}

/*
 * -EIO if a stuck close's file is @dentry or below it: a rename would
 * take its name away from the old copy's.  Called after
 * smoothfs_closer_settle() under rename_sem (write): no close queues or
 * gets stuck meanwhile.
 */
int smoothfs_closer_check_tree(struct smoothfs_sb_info *sbi, struct dentry *dentry)
{
	struct smoothfs_closer *cl = &sbi->closer;
	struct smoothfs_close *c;
	int err = 0;

	mutex_lock(&cl->run_lock);
	/* Bounded: each stuck close holds one of the journal's open records. */
	list_for_each_entry(c, &cl->stuck, node) {
		if (is_subdir(c->alias, dentry)) {
			err = -EIO;
			break;
		}
	}
	mutex_unlock(&cl->run_lock);
	return err;
}

/*
 * Unmount: nothing queues any more; close what is left.  The worker's
 * directory fsyncs left their files to the delayed fput, and those hold
 * the tiers' mounts: they go now, so the tiers can be unmounted at once.
 */
void smoothfs_closer_stop(struct smoothfs_sb_info *sbi)
{
	if (!sbi)
		return;		/* the mount failed before it had a pool */
	cancel_delayed_work_sync(&sbi->closer.work);
	smoothfs_closer_run(sbi, SMOOTHFS_CLOSER_RETRY | SMOOTHFS_CLOSER_FINAL);
	WARN_ON_ONCE(atomic_read(&sbi->closer.unclosed));
	flush_delayed_fput();
}
