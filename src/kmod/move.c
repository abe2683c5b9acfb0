// SPDX-License-Identifier: GPL-2.0-only
/*
 * Movement of a regular file between tiers: the kernel half.
 *
 * Userspace plans a move (MovePlan), copies the lower file into
 * <dest tier>/.smoothfs/stage/<oid hex> and asks for the cutover
 * (MoveCutover[VerifyWriteSeq]); the cutover makes the staged copy the
 * file, atomically as far as every user of the mount can tell:
 *
 *   plan_accepted -> cutover_in_progress -> switched -> cleanup_in_progress
 *     -> cleanup_complete -> placed
 *
 * and plan_accepted or failed -> placed by MoveAbort.  Every transition
 * is multicast as MOVE_STATE with the move's transaction sequence.
 *
 * The gate that stops data writers is the smoothfs inode lock: every
 * data-modifying operation (write_iter, splice_write, fallocate,
 * copy_file_range/clone/dedupe into the file, truncate) runs under it and
 * bumps write_seq before dropping it.  The cutover takes it with a
 * bounded wait (cutover_timeout_ms, then EBUSY: a writer stuck in the
 * lower filesystem cannot hang the mover), which also drains the writer
 * in flight; holding it also keeps the file's names still (vfs_rename,
 * vfs_unlink and vfs_link lock the victim inode).
 *
 * Commands run in parallel (the family has parallel_ops): two moves of
 * different files overlap everywhere but in the journal's append.
 *
 * Lock order: the smoothfs inode lock, then the lower directories
 * (materialize_lock, lock_rename on the destination tier), then the
 * journal's own locks; sbi->moves.lock, then si->move.lock (spinlocks)
 * are innermost; the latter only guards the fields of struct
 * smoothfs_move and the switch of si->lower.
 *
 * Open files hold the lower file opened at open time; struct
 * smoothfs_file remembers the generation it was opened at, and the next
 * operation after a cutover reopens the new lower file (same flags, the
 * mounter's credentials), so readers and writers move along.  Locks
 * (POSIX, OFD, flock, leases) live on the smoothfs file and inode and are
 * not touched.  A mapping maps the lower file itself: a read-only mapping
 * made before a move keeps reading the old copy until it is unmapped.
 */
#include <linux/cred.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs_stack.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/wait_bit.h>
#include <linux/xattr.h>
#include <net/genetlink.h>

#include "smoothfs.h"
#include "crashpoint.h"

static unsigned int cutover_timeout_ms = 10000;
module_param(cutover_timeout_ms, uint, 0644);
MODULE_PARM_DESC(cutover_timeout_ms,
		 "How long a cutover waits for a data writer before failing with EBUSY (ms)");

void smoothfs_moves_init(struct smoothfs_sb_info *sbi)
{
	spin_lock_init(&sbi->moves.lock);
	sbi->moves.reconcile_gen = 1;
}

void smoothfs_move_inode_init(struct smoothfs_inode *si)
{
	struct smoothfs_move *mv = &si->move;

	spin_lock_init(&mv->lock);
	mv->state = SMOOTHFS_MS_PLACED;
	mv->dest = 0;
	mv->generation = 0;
	mv->revoked_gen = 0;
	mv->seq = 0;
	mv->write_seq = 0;
	mv->aborting = false;
	mv->closing = false;
	mv->close_stuck = false;
}

/*
 * The current lower object of @inode, referenced, and its generation.
 * Whoever does not hold the inode lock (which a cutover holds) must take
 * si->lower through here: the cutover drops the old lower at once, so
 * that a move frees the space on the source tier.
 */
u32 smoothfs_move_lower_get(struct inode *inode, struct path *lower)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	u32 gen;

	spin_lock(&si->move.lock);
	*lower = si->lower;
	path_get(lower);
	gen = si->move.generation;
	spin_unlock(&si->move.lock);
	return gen;
}

/* A data-modifying operation on @inode; the caller holds its lock. */
void smoothfs_move_wrote(struct inode *inode)
{
	struct smoothfs_move *mv = &SMOOTHFS_I(inode)->move;

	spin_lock(&mv->lock);
	mv->write_seq++;
	spin_unlock(&mv->lock);
}

void smoothfs_move_inspect(struct inode *inode, struct smoothfs_move_info *mi)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	struct smoothfs_move *mv = &si->move;

	spin_lock(&mv->lock);
	mi->state = mv->state;
	mi->tier = si->tier;
	mi->dest = mv->state == SMOOTHFS_MS_PLACED ? si->tier : mv->dest;
	mi->generation = mv->generation;
	mi->seq = mv->seq;
	mi->write_seq = mv->write_seq;
	mi->pin = READ_ONCE(si->pin);
	if (mi->pin == SMOOTHFS_PIN_NONE && S_ISREG(inode->i_mode) &&
	    d_inode(si->lower.dentry)->i_nlink > 1)
		mi->pin = SMOOTHFS_PIN_HARDLINK;
	spin_unlock(&mv->lock);
}

/* Whether @inode's tier was taken offline by TierDown: its data fail fast. */
bool smoothfs_tier_offline(struct inode *inode)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(inode->i_sb);

	return READ_ONCE(sbi->tiers[READ_ONCE(SMOOTHFS_I(inode)->tier)].offline);
}

/* --- open files: the lower file follows the cutovers ----------------- */

struct smoothfs_file {
	spinlock_t lock;	/* lower and gen */
	struct file *lower;
	u32 gen;		/* si->move.generation lower was opened at */
};

struct smoothfs_file *smoothfs_file_alloc(struct file *lower, u32 gen)
{
	struct smoothfs_file *sf = kmalloc(sizeof(*sf), GFP_KERNEL);

	if (!sf)
		return NULL;
	spin_lock_init(&sf->lock);
	sf->lower = lower;
	sf->gen = gen;
	return sf;
}

void smoothfs_file_free(struct smoothfs_file *sf)
{
	fput(sf->lower);
	kfree(sf);
}

/*
 * The lower file of an open smoothfs file, referenced (fput it): after a
 * cutover, the new lower object opened with the flags of the first open.
 * Concurrent users of one struct file agree on the lower file: the first
 * reopen to be installed wins and the others use it.  When the reopen
 * fails, so does the operation: it never falls back to the old copy.
 */
struct file *smoothfs_file_lower(struct file *file)
{
	struct smoothfs_file *sf = file->private_data;
	struct inode *inode = file_inode(file);
	struct smoothfs_move *mv = &SMOOTHFS_I(inode)->move;
	const struct cred *old_cred;
	struct file *lower, *old;
	struct path path;
	u32 gen;

	if (smoothfs_tier_offline(inode))
		return ERR_PTR(-EIO);
	spin_lock(&sf->lock);
	lower = sf->lower;
	if (likely(sf->gen == READ_ONCE(mv->generation))) {
		get_file(lower);
		spin_unlock(&sf->lock);
		return lower;
	}
	spin_unlock(&sf->lock);

	gen = smoothfs_move_lower_get(inode, &path);
	old_cred = override_creds(SMOOTHFS_SB(inode->i_sb)->creator_cred);
	lower = dentry_open(&path, file->f_flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC),
			    current_cred());
	revert_creds(old_cred);
	path_put(&path);
	if (IS_ERR(lower))
		return lower;

	spin_lock(&sf->lock);
	if (sf->gen == gen || (s32)(sf->gen - gen) > 0) {
		/* Someone else reopened first. */
		old = lower;
		lower = sf->lower;
	} else {
		old = sf->lower;
		sf->lower = lower;
		sf->gen = gen;
	}
	get_file(lower);
	spin_unlock(&sf->lock);
	fput(old);
	return lower;
}

/*
 * Is @lower (from smoothfs_file_lower) still the file's current lower
 * file?  Writers ask under the inode lock, which a cutover holds.
 */
bool smoothfs_lower_current(struct file *file, struct file *lower)
{
	struct smoothfs_file *sf = file->private_data;
	struct smoothfs_move *mv = &SMOOTHFS_I(file_inode(file))->move;
	bool same;

	spin_lock(&sf->lock);
	same = sf->lower == lower && sf->gen == READ_ONCE(mv->generation);
	spin_unlock(&sf->lock);
	return same;
}

/*
 * From the plan until the inode is switched, and after a failed cutover
 * until its abort, a new writable shared mapping could write the old
 * copy behind the move's back.  Once switched, the mapping is of the
 * new copy: the close that follows does not care.
 */
static bool smoothfs_move_state_busy(u8 state)
{
	return (state >= SMOOTHFS_MS_PLAN_ACCEPTED &&
		state <= SMOOTHFS_MS_CUTOVER_IN_PROGRESS) ||
	       state == SMOOTHFS_MS_FAILED;
}

/*
 * No new writable shared mapping while a move is open or after
 * RevokeMappings (until the next plan or Reconcile): its writes would
 * bypass the gate.  Once switched, the file is its new copy (only the
 * close is left), so a mapping of that copy is fine; -EAGAIN if @lower
 * (of @file, from smoothfs_file_lower) is not it: get it again.
 */
int smoothfs_move_mmap_check(struct file *file, struct file *lower,
			     const struct vm_area_struct *vma)
{
	struct smoothfs_file *sf = file->private_data;
	struct inode *inode = file_inode(file);
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(inode->i_sb);
	struct smoothfs_move *mv = &SMOOTHFS_I(inode)->move;
	bool busy, stale;
	u32 gen;

	if ((vma->vm_flags & (VM_SHARED | VM_MAYWRITE)) != (VM_SHARED | VM_MAYWRITE))
		return 0;
	spin_lock(&sf->lock);
	stale = sf->lower != lower;
	gen = sf->gen;
	spin_unlock(&sf->lock);
	spin_lock(&mv->lock);
	busy = smoothfs_move_state_busy(mv->state) ||
	       (mv->revoked_gen && mv->revoked_gen == READ_ONCE(sbi->moves.reconcile_gen));
	stale = stale || gen != mv->generation;
	spin_unlock(&mv->lock);
	if (busy)
		return -EBUSY;
	return stale ? -EAGAIN : 0;
}

/* --- the state machine ----------------------------------------------- */

void smoothfs_move_set_state(struct smoothfs_sb_info *sbi, struct smoothfs_inode *si,
			     u8 state, u64 seq)
{
	spin_lock(&si->move.lock);
	si->move.state = state;
	spin_unlock(&si->move.lock);
	smoothfs_event_move_state(sbi, si->oid, state, seq);
}

/* <tier>/.smoothfs/stage, referenced. */
static int smoothfs_stage_dir(struct smoothfs_sb_info *sbi, unsigned int tier, struct path *dir)
{
	const struct path *root = &sbi->tiers[tier].root;
	struct dentry *meta, *stage;

	meta = lookup_positive_unlocked(SMOOTHFS_META_DIR, root->dentry,
					strlen(SMOOTHFS_META_DIR));
	if (IS_ERR(meta))
		return PTR_ERR(meta);
	stage = lookup_positive_unlocked("stage", meta, strlen("stage"));
	dput(meta);
	if (IS_ERR(stage))
		return PTR_ERR(stage);
	if (!d_is_dir(stage)) {
		dput(stage);
		return -ENOTDIR;
	}
	dir->mnt = mntget(root->mnt);
	dir->dentry = stage;
	return 0;
}

static void smoothfs_oid_hex(const u8 *oid, char name[2 * SMOOTHFS_OID_LEN + 1])
{
	bin2hex(name, oid, SMOOTHFS_OID_LEN);
	name[2 * SMOOTHFS_OID_LEN] = '\0';
}

int smoothfs_fsync_dir(struct vfsmount *mnt, struct dentry *dentry)
{
	struct path path = { .mnt = mnt, .dentry = dentry };
	struct file *dir;
	int err;

	dir = dentry_open(&path, O_RDONLY | O_DIRECTORY, current_cred());
	if (IS_ERR(dir))
		return PTR_ERR(dir);
	err = vfs_fsync(dir, 0);
	fput(dir);
	return err;
}

/*
 * Remove the staged copy of @si on @tier, if there is one; @durable:
 * and fsync the stage directory, so that it cannot come back.
 */
static int smoothfs_stage_remove(struct smoothfs_sb_info *sbi, struct smoothfs_inode *si,
				 unsigned int tier, bool durable)
{
	char name[2 * SMOOTHFS_OID_LEN + 1];
	const struct cred *old_cred;
	struct dentry *staged;
	struct path dir;
	int err;

	smoothfs_oid_hex(si->oid, name);
	old_cred = override_creds(sbi->creator_cred);
	err = smoothfs_stage_dir(sbi, tier, &dir);
	if (err)
		goto out;
	err = mnt_want_write(dir.mnt);
	if (err)
		goto out_put;
	inode_lock_nested(d_inode(dir.dentry), I_MUTEX_PARENT);
	staged = lookup_one_len(name, dir.dentry, strlen(name));
	if (IS_ERR(staged)) {
		err = PTR_ERR(staged);
	} else {
		/*
		 * Gone already: someone's unlink may not be durable yet, and
		 * the copy must not come back, so the fsync is still due.
		 */
		if (d_is_positive(staged))
			err = vfs_unlink(SMOOTHFS_NOP_IDMAP, d_inode(dir.dentry), staged, NULL);
		dput(staged);
	}
	inode_unlock(d_inode(dir.dentry));
	mnt_drop_write(dir.mnt);
	if (!err && durable)
		err = smoothfs_fsync_dir(dir.mnt, dir.dentry);
out_put:
	path_put(&dir);
out:
	revert_creds(old_cred);
	return err == -ENOENT ? 0 : err;
}

/*
 * MovePlan.  The caller holds a reference on @inode and on the pool.  It
 * does not take the inode lock, so a writer stuck in the file cannot
 * hold it up: si->lower changes only under si->move.lock, in a state
 * other than placed, and the cutover checks again what may change.
 */
/*
 * What FORCE overrides: pin_lease, and pin_hot or pin_cold on the way to
 * the tier they name (the fastest or slowest online one), so the daemon
 * can put a pinned file where its pin wants it.
 */
static bool smoothfs_pin_forced(struct smoothfs_sb_info *sbi, u8 pin, unsigned int dest)
{
	unsigned int t;

	switch (pin) {
	case SMOOTHFS_PIN_LEASE:
		return true;
	case SMOOTHFS_PIN_HOT:
		for (t = 0; t < dest; t++)
			if (!READ_ONCE(sbi->tiers[t].offline))
				return false;
		return true;
	case SMOOTHFS_PIN_COLD:
		for (t = dest + 1; t < sbi->ntiers; t++)
			if (!READ_ONCE(sbi->tiers[t].offline))
				return false;
		return true;
	default:
		return false;
	}
}

static int smoothfs_move_plan(struct smoothfs_sb_info *sbi, struct inode *inode,
			      unsigned int dest, u64 seq, bool force,
			      struct netlink_ext_ack *extack)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	struct smoothfs_move *mv = &si->move;
	struct inode *lower_inode;
	int err = 0;
	u8 pin;

	if (!S_ISREG(inode->i_mode)) {
		NL_SET_ERR_MSG(extack, "only regular files move");
		return -EBUSY;
	}
	if (smoothfs_journal_oid_open(sbi, si->oid)) {
		NL_SET_ERR_MSG(extack,
			       "the file's last move is still open in the journal: it moves again after the next mount");
		return -EBUSY;
	}
	pin = READ_ONCE(si->pin);
	/* Under the pool's lock too: no plan is accepted once Quiesce set it. */
	spin_lock(&sbi->moves.lock);
	spin_lock(&mv->lock);
	lower_inode = d_inode(si->lower.dentry);
	if (sbi->moves.quiesced) {
		NL_SET_ERR_MSG(extack, "the pool is quiesced");
		err = -EAGAIN;
	} else if (mv->state != SMOOTHFS_MS_PLACED) {
		NL_SET_ERR_MSG(extack, "the file is not placed: a move is open");
		err = -EBUSY;
	} else if (mv->aborting) {
		NL_SET_ERR_MSG(extack, "an aborted move's staged copy is being removed");
		err = -EBUSY;
	} else if (mv->closing) {
		NL_SET_ERR_MSG(extack, "the last move's old copy is being removed");
		err = -EBUSY;
	} else if (READ_ONCE(sbi->tiers[dest].offline) ||
		   READ_ONCE(sbi->tiers[si->tier].offline)) {
		NL_SET_ERR_MSG(extack, "the source or destination tier is offline");
		err = -EIO;
	} else if (dest == si->tier) {
		NL_SET_ERR_MSG(extack, "the file is on the destination tier already");
		err = -EALREADY;
	} else if (inode->i_nlink == 0) {
		NL_SET_ERR_MSG(extack, "the file is unlinked");
		err = -ENOENT;
	} else if (lower_inode->i_nlink > 1) {
		NL_SET_ERR_MSG(extack, "pin_hardlink: the file has more than one link");
		err = -EBUSY;
	} else if (pin != SMOOTHFS_PIN_NONE && !(force && smoothfs_pin_forced(sbi, pin, dest))) {
		if (force)
			NL_SET_ERR_MSG(extack,
				       "pinned (force overrides pin_lease, and pin_hot/pin_cold towards their tier)");
		else
			NL_SET_ERR_MSG(extack, "the file is pinned");
		err = -EBUSY;
	} else if (mapping_writably_mapped(lower_inode->i_mapping)) {
		NL_SET_ERR_MSG(extack, "the file has a writable shared mapping");
		err = -EBUSY;
	} else {
		mv->state = SMOOTHFS_MS_PLAN_ACCEPTED;
		mv->dest = dest;
		mv->seq = seq;
		mv->revoked_gen = 0;
	}
	spin_unlock(&mv->lock);
	spin_unlock(&sbi->moves.lock);
	if (!err)
		smoothfs_event_move_state(sbi, si->oid, SMOOTHFS_MS_PLAN_ACCEPTED, seq);
	return err;
}

/*
 * MoveAbort: plan_accepted or failed back to placed, staged copy removed.
 * Without the inode lock, like the plan: a cutover takes the plan only in
 * plan_accepted, under si->move.lock.
 */
static int smoothfs_move_abort(struct smoothfs_sb_info *sbi, struct inode *inode, u64 seq,
			       struct netlink_ext_ack *extack)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	struct smoothfs_move *mv = &si->move;
	unsigned int dest;
	int err = 0;

	spin_lock(&mv->lock);
	if (mv->state == SMOOTHFS_MS_PLACED) {
		NL_SET_ERR_MSG(extack, "no planned or failed move to abort");
		err = -EINVAL;
	} else if (mv->seq != seq) {
		NL_SET_ERR_MSG(extack, "the transaction sequence is not the move's");
		err = -ESTALE;
	} else if (mv->state != SMOOTHFS_MS_PLAN_ACCEPTED && mv->state != SMOOTHFS_MS_FAILED) {
		NL_SET_ERR_MSG(extack, "the move is being cut over");
		err = -EBUSY;
	} else {
		mv->state = SMOOTHFS_MS_PLACED;
		mv->aborting = true;
	}
	dest = mv->dest;
	spin_unlock(&mv->lock);
	if (err)
		return err;
	smoothfs_event_move_state(sbi, si->oid, SMOOTHFS_MS_PLACED, seq);
	/*
	 * A new plan waits for this (EBUSY): the unlink must not land on
	 * the staged copy of the next move of the file.
	 */
	err = smoothfs_stage_remove(sbi, si, dest, false);
	spin_lock(&mv->lock);
	mv->aborting = false;
	spin_unlock(&mv->lock);
	if (err)
		pr_warn_ratelimited("%s: abort: cannot remove the staged copy on tier %u: %d\n",
				    sbi->pool, dest, err);
	return 0;
}

/*
 * Take the inode lock, waiting at most cutover_timeout_ms: the lock is
 * the writers' gate, and a writer stuck inside the lower filesystem must
 * not hang the mover.
 */
static int smoothfs_move_lock_inode(struct smoothfs_sb_info *sbi, struct inode *inode)
{
	unsigned long deadline;

	if (inode_trylock(inode))
		return 0;
	atomic64_inc(&sbi->stats.cutover_waits);
	deadline = jiffies + msecs_to_jiffies(READ_ONCE(cutover_timeout_ms));
	for (;;) {
		if (fatal_signal_pending(current))
			return -EINTR;
		if (time_after(jiffies, deadline))
			return -EBUSY;
		usleep_range(500, 2000);
		if (inode_trylock(inode))
			return 0;
	}
}

/* What a cutover works on, gathered under the inode lock. */
struct smoothfs_cutover {
	struct smoothfs_sb_info *sbi;
	struct inode *inode;
	unsigned int src, dst;
	u64 seq;
	struct dentry *alias;		/* the file's one name */
	struct dentry *lparent;		/* its parent on the destination tier */
	struct path stage;		/* destination tier's stage directory */
	char name[2 * SMOOTHFS_OID_LEN + 1];
	struct dentry *moved;		/* the staged dentry, now at the final name */
	struct netlink_ext_ack *extack;
};

/* The staged copy must be a regular file carrying our OID. */
static int smoothfs_cutover_check_staged(struct smoothfs_cutover *c, struct dentry *staged)
{
	struct path path = { .mnt = c->stage.mnt, .dentry = staged };
	u8 oid[SMOOTHFS_OID_LEN];
	struct inode *src;
	ssize_t n;

	if (d_is_negative(staged)) {
		NL_SET_ERR_MSG(c->extack, "no staged copy on the destination tier");
		return -ENOENT;
	}
	if (!d_is_reg(staged)) {
		NL_SET_ERR_MSG(c->extack, "the staged copy is not a regular file");
		return -EINVAL;
	}
	n = vfs_getxattr(SMOOTHFS_NOP_IDMAP, path.dentry, SMOOTHFS_XATTR_OID, oid, sizeof(oid));
	if (n != SMOOTHFS_OID_LEN || memcmp(oid, SMOOTHFS_I(c->inode)->oid, SMOOTHFS_OID_LEN)) {
		NL_SET_ERR_MSG(c->extack, "the staged copy does not carry the file's OID");
		return -EINVAL;
	}
	src = d_inode(SMOOTHFS_I(c->inode)->lower.dentry);
	if (i_size_read(d_inode(staged)) != i_size_read(src)) {
		NL_SET_ERR_MSG(c->extack, "the staged copy's size differs from the file's");
		return -EBADMSG;
	}
	return 0;
}

/*
 * Rename the staged copy to the file's name on the destination tier.
 * With @check, only check that it can be done.
 */
static int smoothfs_cutover_rename(struct smoothfs_cutover *c, bool check)
{
	struct dentry *trap, *staged, *target;
	const struct qstr *qname = &c->alias->d_name;
	struct renamedata rd = { .flags = RENAME_NOREPLACE };
	int err;

	err = mnt_want_write(c->stage.mnt);
	if (err)
		return err;
	trap = lock_rename(c->lparent, c->stage.dentry);
	if (IS_ERR(trap)) {
		err = PTR_ERR(trap);
		goto out_drop;
	}
	staged = lookup_one_len(c->name, c->stage.dentry, strlen(c->name));
	if (IS_ERR(staged)) {
		err = PTR_ERR(staged);
		goto out_unlock;
	}
	target = lookup_one_len(qname->name, c->lparent, qname->len);
	if (IS_ERR(target)) {
		err = PTR_ERR(target);
		goto out_staged;
	}
	err = smoothfs_cutover_check_staged(c, staged);
	if (!err && d_is_positive(target)) {
		NL_SET_ERR_MSG(c->extack, "the name is taken on the destination tier");
		err = -EEXIST;
	}
	if (!err && (staged == trap || target == trap))
		err = -EINVAL;
	if (!err && !check) {
		/* The inode lock keeps the name, and so its parent, still. */
		smoothfs_listing_moving(d_inode(c->alias->d_parent));
		smoothfs_rd_set_idmap(&rd, SMOOTHFS_NOP_IDMAP);
		rd.old_dir = d_inode(c->stage.dentry);
		rd.old_dentry = staged;
		rd.new_dir = d_inode(c->lparent);
		rd.new_dentry = target;
		err = vfs_rename(&rd);
		if (!err)
			c->moved = dget(staged);
	}
	dput(target);
out_staged:
	dput(staged);
out_unlock:
	unlock_rename(c->lparent, c->stage.dentry);
out_drop:
	mnt_drop_write(c->stage.mnt);
	return err;
}

/* Point @inode, its name and the d_ino cache at the moved lower file. */
static struct dentry *smoothfs_cutover_switch(struct smoothfs_cutover *c)
{
	struct smoothfs_inode *si = SMOOTHFS_I(c->inode);
	struct smoothfs_entry *entry = SMOOTHFS_E(c->alias);
	struct inode *old_inode = d_inode(si->lower.dentry);
	struct inode *new_inode = d_inode(c->moved);
	struct path old;
	struct dentry *src;

	old = si->lower;
	spin_lock(&si->move.lock);
	si->lower.mnt = mntget(c->stage.mnt);
	si->lower.dentry = dget(c->moved);
	si->tier = c->dst;
	si->move.generation++;
	si->move.state = SMOOTHFS_MS_SWITCHED;
	spin_unlock(&si->move.lock);

	src = entry->lower[c->src];
	WRITE_ONCE(entry->lower[c->dst], dget(c->moved));
	WRITE_ONCE(entry->lower[c->src], NULL);

	smoothfs_inomap_forget(c->sbi, old_inode->i_sb, old_inode->i_ino);
	smoothfs_inomap_set(c->sbi, new_inode->i_sb, new_inode->i_ino, c->inode->i_ino);
	fsstack_copy_attr_all(c->inode, new_inode);
	fsstack_copy_inode_size(c->inode, new_inode);
	/* Readers without the inode lock hold their own references. */
	path_put(&old);
	return src;	/* the source's dentry, the entry's reference */
}

/* Everything the cutover needs, checked before the commit record. */
static int smoothfs_cutover_prepare(struct smoothfs_cutover *c, const u64 *write_seq)
{
	struct smoothfs_inode *si = SMOOTHFS_I(c->inode);
	struct smoothfs_move *mv = &si->move;
	struct dentry *parent;
	int err;

	if (mapping_writably_mapped(d_inode(si->lower.dentry)->i_mapping)) {
		NL_SET_ERR_MSG(c->extack, "the file has a writable shared mapping");
		return -EBUSY;
	}
	spin_lock(&mv->lock);
	err = write_seq && *write_seq != mv->write_seq ? -ESTALE : 0;
	spin_unlock(&mv->lock);
	if (err) {
		NL_SET_ERR_MSG(c->extack, "the file was written since the copy began");
		return err;
	}
	if (c->inode->i_nlink == 0 || d_inode(si->lower.dentry)->i_nlink != 1) {
		NL_SET_ERR_MSG(c->extack, "the file was unlinked or linked since the plan");
		return -EBUSY;
	}
	c->alias = d_find_alias(c->inode);
	if (!c->alias) {
		NL_SET_ERR_MSG(c->extack, "the file has no name");
		return -ENOENT;
	}
	if (SMOOTHFS_E(c->alias)->lower[c->src] != si->lower.dentry) {
		NL_SET_ERR_MSG(c->extack, "the file's name and lower object disagree");
		return -ESTALE;
	}
	parent = dget_parent(c->alias);
	err = smoothfs_materialize(c->sbi, parent, c->dst);
	if (!err)
		c->lparent = dget(SMOOTHFS_E(parent)->lower[c->dst]);
	dput(parent);
	if (err) {
		NL_SET_ERR_MSG(c->extack, "cannot create the parent on the destination tier");
		return err;
	}
	err = smoothfs_stage_dir(c->sbi, c->dst, &c->stage);
	if (err) {
		NL_SET_ERR_MSG(c->extack, "no stage directory on the destination tier");
		return err;
	}
	if (c->stage.mnt != c->sbi->tiers[c->dst].root.mnt)
		return -EXDEV;
	smoothfs_oid_hex(si->oid, c->name);
	return smoothfs_cutover_rename(c, true);
}

/*
 * MoveCutover and MoveCutoverVerifyWriteSeq (@write_seq non-NULL).  The
 * caller holds a reference on @inode and on the pool, and counts the
 * cutover in flight for Quiesce.
 */
static int smoothfs_move_cutover(struct smoothfs_sb_info *sbi, struct inode *inode, u64 seq,
				 const u64 *write_seq, struct netlink_ext_ack *extack)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	struct smoothfs_move *mv = &si->move;
	struct smoothfs_cutover c = { .sbi = sbi, .inode = inode, .seq = seq, .extack = extack };
	struct smoothfs_close *close = NULL;
	struct smoothfs_journal_rec rec;
	const struct cred *old_cred;
	struct dentry *src;
	char *buf = NULL, *rel;
	int err, rerr;

	smoothfs_crashpoint(SMOOTHFS_CP_PLAN);
	err = smoothfs_move_lock_inode(sbi, inode);
	if (err) {
		if (err == -EBUSY)
			NL_SET_ERR_MSG(extack, "a writer did not finish in time");
		return err;
	}
	spin_lock(&mv->lock);
	if (mv->state != SMOOTHFS_MS_PLAN_ACCEPTED) {
		NL_SET_ERR_MSG(extack, "no planned move to cut over");
		err = -EINVAL;
	} else if (mv->seq != seq) {
		NL_SET_ERR_MSG(extack, "the transaction sequence is not the plan's");
		err = -ESTALE;
	} else {
		mv->state = SMOOTHFS_MS_CUTOVER_IN_PROGRESS;
		c.src = si->tier;
		c.dst = mv->dest;
	}
	spin_unlock(&mv->lock);
	if (err)
		goto out_unlock;
	smoothfs_event_move_state(sbi, si->oid, SMOOTHFS_MS_CUTOVER_IN_PROGRESS, seq);

	old_cred = override_creds(sbi->creator_cred);
	err = smoothfs_cutover_prepare(&c, write_seq);
	if (err)
		goto out_failed;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	close = smoothfs_close_alloc();
	if (!buf || !close) {
		err = -ENOMEM;
		goto out_failed;
	}
	smoothfs_closer_crowded(sbi);
	/*
	 * Renames wait from the path committed until the close is queued
	 * (close.c): recovery looks for the file at that path.
	 */
	down_read(&sbi->rename_sem);
	rel = dentry_path_raw(c.alias, buf, PATH_MAX);
	if (IS_ERR(rel)) {
		err = PTR_ERR(rel);
		goto out_failed_renames;
	}
	rec.seq = seq;
	memcpy(rec.oid, si->oid, SMOOTHFS_OID_LEN);
	rec.src_tier = c.src;
	rec.dst_tier = c.dst;
	rec.rel_path = rel + 1;
	err = smoothfs_journal_commit(sbi, &rec);
	if (err) {
		/*
		 * The record may be on disk although its flush failed;
		 * recovery would roll it forward to the staged copy, stale
		 * once writers resume: it goes for good first.
		 */
		NL_SET_ERR_MSG(extack, "cannot write the journal record");
		rerr = smoothfs_stage_remove(sbi, si, c.dst, true);
		if (rerr)
			pr_err("%s: move %llu failed at its commit and its staged copy cannot be removed (%d): the next mount may roll %pd back to it\n",
			       sbi->pool, seq, rerr, c.alias);
		goto out_failed_renames;
	}
	smoothfs_crashpoint(SMOOTHFS_CP_COMMIT);

	/* Committed: from here on recovery rolls forward. */
	err = smoothfs_cutover_rename(&c, false);
	if (err) {
		/*
		 * The source stays the file, and writers resume on it once
		 * the inode is unlocked.  Recovery rolls a committed move
		 * forward to its staged copy, which is then stale, so before
		 * that the staged copy must be gone for good, or failing
		 * that the DONE record be on disk.
		 */
		NL_SET_ERR_MSG(extack, "cannot rename the staged copy into place");
		rerr = smoothfs_stage_remove(sbi, si, c.dst, true);
		if (smoothfs_journal_done(sbi, seq, rerr != 0) && rerr)
			pr_err("%s: move %llu failed after its commit and cannot be closed: the next mount may roll %pd back to its staged copy\n",
			       sbi->pool, seq, c.alias);
		goto out_failed_renames;
	}
	smoothfs_crashpoint(SMOOTHFS_CP_RENAME);
	src = smoothfs_cutover_switch(&c);
	smoothfs_crashpoint(SMOOTHFS_CP_SWITCH);
	smoothfs_event_move_state(sbi, si->oid, SMOOTHFS_MS_SWITCHED, seq);
	/* Durable and switched: the rest is the closer's (close.c). */
	smoothfs_move_set_state(sbi, si, SMOOTHFS_MS_CLEANUP_IN_PROGRESS, seq);
	smoothfs_close_queue(sbi, close, c.alias, seq, c.src, src, c.dst, c.lparent);
	close = NULL;
	up_read(&sbi->rename_sem);
	revert_creds(old_cred);
	inode_unlock(inode);
	goto out_put;

out_failed_renames:
	up_read(&sbi->rename_sem);
out_failed:
	revert_creds(old_cred);
	smoothfs_move_set_state(sbi, si, SMOOTHFS_MS_FAILED, seq);
out_unlock:
	inode_unlock(inode);
out_put:
	smoothfs_close_free(close);
	kfree(buf);
	dput(c.moved);
	path_put(&c.stage);
	dput(c.lparent);
	dput(c.alias);
	return err;
}

/* RevokeMappings: unmap the lower mapping; no new writable shared mmap. */
static int smoothfs_move_revoke(struct smoothfs_sb_info *sbi, struct inode *inode)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	struct path lower;

	spin_lock(&si->move.lock);
	si->move.revoked_gen = READ_ONCE(sbi->moves.reconcile_gen);
	spin_unlock(&si->move.lock);
	smoothfs_move_lower_get(inode, &lower);
	unmap_mapping_range(d_inode(lower.dentry)->i_mapping, 0, 0, 1);
	path_put(&lower);
	return 0;
}

/* --- netlink --------------------------------------------------------- */

/* The in-memory inode a request names in @sbi, referenced. */
static int smoothfs_nl_inode(struct genl_info *info, struct smoothfs_sb_info *sbi,
			     struct inode **inodep)
{
	if (GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_OBJECT_ID))
		return -EINVAL;
	*inodep = smoothfs_ilookup(sbi->sb, nla_data(info->attrs[SMOOTHFS_ATTR_OBJECT_ID]));
	if (!*inodep) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMOOTHFS_ATTR_OBJECT_ID],
				    "object not in use in this pool");
		return -ENOENT;
	}
	return 0;
}

/* The pool a request names and, with @inodep, the inode; referenced. */
static int smoothfs_nl_object(struct genl_info *info, struct smoothfs_sb_info **sbip,
			      struct inode **inodep)
{
	struct smoothfs_sb_info *sbi;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_POOL_UUID))
		return -EINVAL;
	sbi = smoothfs_pool_get(nla_data(info->attrs[SMOOTHFS_ATTR_POOL_UUID]));
	if (!sbi) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMOOTHFS_ATTR_POOL_UUID],
				    "no such pool is mounted");
		return -ENOENT;
	}
	if (inodep) {
		err = smoothfs_nl_inode(info, sbi, inodep);
		if (err) {
			smoothfs_pool_put(sbi);
			return err;
		}
	}
	*sbip = sbi;
	return 0;
}

static void smoothfs_nl_put(struct smoothfs_sb_info *sbi, struct inode *inode)
{
	iput(inode);
	smoothfs_pool_put(sbi);
}

/* Plans and cutovers are refused while quiesced; cutovers are counted in flight. */
static int smoothfs_moves_enter(struct smoothfs_sb_info *sbi, struct netlink_ext_ack *extack)
{
	int err = 0;

	spin_lock(&sbi->moves.lock);
	if (sbi->moves.quiesced) {
		NL_SET_ERR_MSG(extack, "the pool is quiesced");
		err = -EAGAIN;
	} else {
		sbi->moves.in_flight++;
	}
	spin_unlock(&sbi->moves.lock);
	return err;
}

/* An abort changes the tiers too: Quiesce waits for it, and lets it start. */
static void smoothfs_moves_enter_abort(struct smoothfs_sb_info *sbi)
{
	spin_lock(&sbi->moves.lock);
	sbi->moves.in_flight++;
	spin_unlock(&sbi->moves.lock);
}

static void smoothfs_moves_exit(struct smoothfs_sb_info *sbi)
{
	bool wake;

	spin_lock(&sbi->moves.lock);
	wake = !--sbi->moves.in_flight;
	spin_unlock(&sbi->moves.lock);
	/* The store above before wake_up_var()'s look at the waiters. */
	smp_mb();
	if (wake)
		wake_up_var(&sbi->moves.in_flight);
}

int smoothfs_nl_move_plan(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	struct inode *inode;
	unsigned int dest;
	bool quiesced;
	bool force;
	u64 seq;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_INTENDED_TIER) ||
	    GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_TRANSACTION_SEQ))
		return -EINVAL;
	dest = nla_get_u8(info->attrs[SMOOTHFS_ATTR_INTENDED_TIER]);
	seq = nla_get_u64(info->attrs[SMOOTHFS_ATTR_TRANSACTION_SEQ]);
	force = info->attrs[SMOOTHFS_ATTR_FORCE] && nla_get_u8(info->attrs[SMOOTHFS_ATTR_FORCE]);

	/* The errno contract's order: EAGAIN, EINVAL, ENOENT, then the file's. */
	err = smoothfs_nl_object(info, &sbi, NULL);
	if (err)
		return err;
	spin_lock(&sbi->moves.lock);
	quiesced = sbi->moves.quiesced;
	spin_unlock(&sbi->moves.lock);
	if (quiesced) {
		NL_SET_ERR_MSG(info->extack, "the pool is quiesced");
		err = -EAGAIN;
	} else if (dest >= sbi->ntiers) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMOOTHFS_ATTR_INTENDED_TIER],
				    "the pool has no such tier");
		err = -EINVAL;
	} else {
		err = smoothfs_nl_inode(info, sbi, &inode);
	}
	if (!err) {
		err = smoothfs_closer_settle_inode(inode);
		if (err == -EIO)
			NL_SET_ERR_MSG(info->extack,
				       "the last move's old copy cannot be removed from its tier yet");
		if (!err)
			err = smoothfs_move_plan(sbi, inode, dest, seq, force, info->extack);
		iput(inode);
	}
	smoothfs_pool_put(sbi);
	return err;
}

int smoothfs_nl_move_cutover(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	struct inode *inode;
	u64 seq, write_seq;
	bool verify;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_TRANSACTION_SEQ))
		return -EINVAL;
	seq = nla_get_u64(info->attrs[SMOOTHFS_ATTR_TRANSACTION_SEQ]);
	verify = info->attrs[SMOOTHFS_ATTR_WRITE_SEQ];
	if (verify)
		write_seq = nla_get_u64(info->attrs[SMOOTHFS_ATTR_WRITE_SEQ]);
	err = smoothfs_nl_object(info, &sbi, &inode);
	if (err)
		return err;
	err = smoothfs_moves_enter(sbi, info->extack);
	if (!err) {
		err = smoothfs_move_cutover(sbi, inode, seq, verify ? &write_seq : NULL,
					    info->extack);
		smoothfs_moves_exit(sbi);
	}
	smoothfs_nl_put(sbi, inode);
	return err;
}

int smoothfs_nl_move_abort(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	struct inode *inode;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_TRANSACTION_SEQ))
		return -EINVAL;
	err = smoothfs_nl_object(info, &sbi, &inode);
	if (err)
		return err;
	/* Right after a cutover: no plan to abort (EINVAL), once closed. */
	err = smoothfs_closer_settle_inode(inode);
	if (!err) {
		smoothfs_moves_enter_abort(sbi);
		err = smoothfs_move_abort(sbi, inode,
					  nla_get_u64(info->attrs[SMOOTHFS_ATTR_TRANSACTION_SEQ]),
					  info->extack);
		smoothfs_moves_exit(sbi);
	}
	smoothfs_nl_put(sbi, inode);
	return err;
}

int smoothfs_nl_revoke_mappings(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	struct inode *inode;
	int err;

	err = smoothfs_nl_object(info, &sbi, &inode);
	if (err)
		return err;
	err = smoothfs_move_revoke(sbi, inode);
	smoothfs_nl_put(sbi, inode);
	return err;
}

int smoothfs_nl_quiesce(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	int err;

	err = smoothfs_nl_object(info, &sbi, NULL);
	if (err)
		return err;
	spin_lock(&sbi->moves.lock);
	sbi->moves.quiesced = true;
	spin_unlock(&sbi->moves.lock);
	/* Cutovers are bounded: each waits for writers at most its timeout. */
	err = wait_var_event_killable(&sbi->moves.in_flight, !READ_ONCE(sbi->moves.in_flight));
	/* And their closes: quiesced, the tiers hold each file once. */
	if (!err)
		err = smoothfs_closer_settle(sbi);
	smoothfs_pool_put(sbi);
	return err;
}

int smoothfs_nl_reconcile(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	int err;

	err = smoothfs_nl_object(info, &sbi, NULL);
	if (err)
		return err;
	spin_lock(&sbi->moves.lock);
	sbi->moves.quiesced = false;
	/* Every RevokeMappings so far is lifted at once. */
	if (!++sbi->moves.reconcile_gen)
		sbi->moves.reconcile_gen = 1;
	spin_unlock(&sbi->moves.lock);
	/* And an immediate heat drain, so the daemon sees the pool afresh. */
	spin_lock(&sbi->heat_lock);
	if (!sbi->heat_stopped)
		mod_delayed_work(system_wq, &sbi->heat_work, 0);
	spin_unlock(&sbi->heat_lock);
	smoothfs_pool_put(sbi);
	return 0;
}

/* The tier a TIER_DOWN or REPROBE request names in @sbi. */
static int smoothfs_nl_tier(struct genl_info *info, struct smoothfs_sb_info *sbi,
			    unsigned int *tier)
{
	*tier = nla_get_u8(info->attrs[SMOOTHFS_ATTR_TIER_RANK]);
	if (*tier >= sbi->ntiers) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMOOTHFS_ATTR_TIER_RANK],
				    "the pool has no such tier");
		return -EINVAL;
	}
	return 0;
}

/*
 * TierDown: the tier is offline.  Opens, reads and writes of files on it
 * fail with EIO at once, new files go elsewhere, moves to or from it are
 * refused; lookups and the rest of the pool keep working.
 */
int smoothfs_nl_tier_down(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	unsigned int tier;
	bool was_offline;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_TIER_RANK))
		return -EINVAL;
	err = smoothfs_nl_object(info, &sbi, NULL);
	if (err)
		return err;
	err = smoothfs_nl_tier(info, sbi, &tier);
	if (err)
		goto out;
	spin_lock(&sbi->moves.lock);
	sbi->moves.tier_down_gen[tier]++;
	was_offline = READ_ONCE(sbi->tiers[tier].offline);
	WRITE_ONCE(sbi->tiers[tier].offline, true);
	spin_unlock(&sbi->moves.lock);
	if (!was_offline)
		pr_warn("%s: tier %u (%s) is offline\n", sbi->pool, tier, sbi->tiers[tier].path);
out:
	smoothfs_pool_put(sbi);
	return err;
}

/*
 * Reprobe: the tier comes back if it passes smoothfs_tier_probe(); EIO
 * (and a fault) otherwise.
 */
int smoothfs_nl_reprobe(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	struct smoothfs_tier *t;
	unsigned int tier;
	bool back;
	int err;
	u32 gen;

	if (GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_TIER_RANK))
		return -EINVAL;
	err = smoothfs_nl_object(info, &sbi, NULL);
	if (err)
		return err;
	err = smoothfs_nl_tier(info, sbi, &tier);
	if (err)
		goto out;
	t = &sbi->tiers[tier];
	/*
	 * No lock across the probe, which may hang on a dying disk: a
	 * TierDown that comes meanwhile bumps the generation, and the
	 * probe's success then does not undo it.
	 */
	spin_lock(&sbi->moves.lock);
	gen = sbi->moves.tier_down_gen[tier];
	spin_unlock(&sbi->moves.lock);
	err = smoothfs_tier_probe(sbi, tier);
	if (err) {
		NL_SET_ERR_MSG(info->extack, "the tier does not answer");
		pr_warn("%s: tier %u (%s) failed its probe: %d\n", sbi->pool, tier, t->path, err);
		smoothfs_tier_fault(sbi, tier, -EIO);
		err = -EIO;
		goto out;
	}
	spin_lock(&sbi->moves.lock);
	back = READ_ONCE(t->offline) && gen == sbi->moves.tier_down_gen[tier];
	if (back) {
		WRITE_ONCE(t->offline, false);
		WRITE_ONCE(t->space_checked, 0);
	}
	spin_unlock(&sbi->moves.lock);
	if (back)
		pr_info("%s: tier %u (%s) is back\n", sbi->pool, tier, t->path);
out:
	smoothfs_pool_put(sbi);
	return err;
}
