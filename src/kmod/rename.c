// SPDX-License-Identifier: GPL-2.0-only
/*
 * Rename within the pool, whatever tiers the source and the target live
 * on, without copying data.
 *
 * An object is renamed where it lives: a file on its one tier, a
 * directory on every tier that has a copy of it, in rank order, the new
 * parent directory being materialised on each of those tiers first.  A
 * failure part-way renames the copies already done back and returns the
 * error.  Nothing the new name held is destroyed before every rename has
 * succeeded: on a tier where the moved object is renamed over a directory
 * (the copies of a replaced empty directory) or over an object of the
 * other kind (a duplicate a faster tier shadowed), the two are exchanged
 * (RENAME_EXCHANGE on the lower), which the undo exchanges back; only a
 * file over a file, the one rename of a file, replaces in place, and is
 * the last step that can fail before the removals.  What the new name
 * held (the exchanged objects, now at the old name, and what it held on
 * tiers the moved object is not on) is removed once every rename has
 * succeeded, the visible one last; if a removal fails, the renames are
 * undone too (what was already removed were empty directories or
 * shadowed duplicates, and stays removed).
 * RENAME_EXCHANGE swaps the two objects tier by tier: where both have a
 * lower object it is a lower exchange, elsewhere a plain rename of the
 * one that is there.
 * A duplicate that a faster tier shadowed at the old name is another
 * object: it is left where it is and shows through after the rename.
 *
 * In between, the lower tiers show the intermediate state: the moved
 * object under its new name on one tier while the old target still has
 * that name on another, or a directory renamed on some tiers but not yet
 * on others.  Nobody can see it through smoothfs.  The VFS holds both
 * smoothfs parent directories locked exclusively for the whole of
 * ->rename (and the superblock's rename mutex when they differ); a
 * lookup that misses the dcache and a readdir of either directory take
 * the same lock, shared, so they wait for the end; a dcache hit returns
 * the smoothfs dentry as it was before the rename, which still holds its
 * own lower dentries.  And smoothfs never finds lower objects by name
 * from a tier root: every dentry holds its lower dentries, which the lower
 * filesystems d_move() along with the names, so objects below a renamed
 * directory stay reachable at every step.
 *
 * Lower dentries after a rename: the lower rename d_move()s each source
 * lower dentry to the new name, and the VFS d_move()s the smoothfs dentry
 * of the source to the new name, so the source's lower[] stays right as
 * it is.  For an exchange both sides are swapped by the VFS and by the
 * lowers alike.  The replaced target's smoothfs dentry is unhashed by the
 * VFS; its lower dentries are dead names, released with it in d_release
 * (not here: an opendir of the target may be using them).
 */
#include <linux/cred.h>
#include <linux/fs_stack.h>
#include <linux/mount.h>
#include <linux/namei.h>

#include "smoothfs.h"

struct smoothfs_rename_ctx {
	struct smoothfs_sb_info *sbi;
	struct dentry *old, *new;
	struct smoothfs_entry *oe, *ne;		/* source, target */
	struct smoothfs_entry *ope, *npe;	/* their parents */
	unsigned int flags;
	/* Replacing: the objects at the new name on each tier, referenced. */
	struct dentry *tgt[SMOOTHFS_MAX_TIERS];
	/* Tiers where the target was exchanged to the old name. */
	unsigned long swapped;
};

static bool smoothfs_is_meta_name(struct dentry *dentry)
{
	return IS_ROOT(dentry->d_parent) &&
	       dentry->d_name.len == sizeof(SMOOTHFS_META_DIR) - 1 &&
	       !memcmp(dentry->d_name.name, SMOOTHFS_META_DIR, dentry->d_name.len);
}

/*
 * One lower rename on one tier: @src, a child of @sdir, to @name in @ddir,
 * where @target must be (NULL: nothing).  As overlayfs does, the lower
 * dentries are checked again under lock_rename(): anything unexpected is
 * a race with a change made on the tier behind our back.
 */
static int smoothfs_rename_one(struct vfsmount *mnt, struct dentry *sdir,
			       struct dentry *src, struct dentry *ddir,
			       const struct qstr *name, struct dentry *target,
			       unsigned int flags)
{
	struct renamedata rd = { .flags = flags };
	struct dentry *trap, *dst;
	int err;

	if (!target)
		rd.flags |= RENAME_NOREPLACE;
	err = mnt_want_write(mnt);
	if (err)
		return err;
	trap = lock_rename(ddir, sdir);
	if (IS_ERR(trap)) {
		/* 6.12: the two parents have no common ancestor any more. */
		err = PTR_ERR(trap);
		goto out_drop;
	}
	err = -ESTALE;
	if (src->d_parent != sdir || d_unhashed(src) || d_is_negative(src))
		goto out_unlock;
	dst = lookup_one_len(name->name, ddir, name->len);
	if (IS_ERR(dst)) {
		err = PTR_ERR(dst);
		goto out_unlock;
	}
	if (target && dst != target) {
		err = -ESTALE;
	} else if (!target && d_is_positive(dst)) {
		err = -EEXIST;
	} else if (src == trap) {
		err = -EINVAL;		/* a directory into its own subtree */
	} else if (dst == trap) {
		err = -ENOTEMPTY;	/* over one of its own ancestors */
	} else {
		smoothfs_rd_set_idmap(&rd, SMOOTHFS_NOP_IDMAP);
		rd.old_dir = d_inode(sdir);
		rd.old_dentry = src;
		rd.new_dir = d_inode(ddir);
		rd.new_dentry = dst;
		err = vfs_rename(&rd);
	}
	dput(dst);
out_unlock:
	unlock_rename(ddir, sdir);
out_drop:
	mnt_drop_write(mnt);
	return err;
}

static int smoothfs_remove_lower(struct smoothfs_sb_info *sbi, unsigned int t,
				 struct dentry *lower);

/* Do (or with @undo, undo) the part of the rename that is on tier @t. */
static int smoothfs_rename_tier(struct smoothfs_rename_ctx *c, unsigned int t, bool undo)
{
	struct vfsmount *mnt = c->sbi->tiers[t].root.mnt;
	struct dentry *odir = c->ope->lower[t], *ndir = c->npe->lower[t];
	const struct qstr *oname = &c->old->d_name, *nname = &c->new->d_name;
	struct dentry *a = c->oe->lower[t], *b;
	u64 replaced_ino;
	int err;

	if (c->flags & RENAME_EXCHANGE) {
		b = c->ne->lower[t];
		if (a && b)
			return undo ?
			       smoothfs_rename_one(mnt, ndir, a, odir, oname, b, RENAME_EXCHANGE) :
			       smoothfs_rename_one(mnt, odir, a, ndir, nname, b, RENAME_EXCHANGE);
		if (b)
			return undo ?
			       smoothfs_rename_one(mnt, odir, b, ndir, nname, NULL, 0) :
			       smoothfs_rename_one(mnt, ndir, b, odir, oname, NULL, 0);
		b = NULL;
	} else {
		b = c->tgt[t];
	}
	if (c->swapped & BIT(t))
		return undo ?
		       smoothfs_rename_one(mnt, ndir, a, odir, oname, b, RENAME_EXCHANGE) :
		       smoothfs_rename_one(mnt, odir, a, ndir, nname, b, RENAME_EXCHANGE);
	/* A file replaced in place cannot come back; the name goes back empty. */
	if (undo)
		return smoothfs_rename_one(mnt, ndir, a, odir, oname, NULL, 0);
	replaced_ino = b ? d_inode(b)->i_ino : 0;
	err = smoothfs_rename_one(mnt, odir, a, ndir, nname, b, 0);
	if (!err && b)
		smoothfs_inomap_forget(c->sbi, b->d_sb, replaced_ino);
	return err;
}

/*
 * Whether to exchange the target on tier @t aside rather than rename over
 * it; with -EINVAL (a lower without RENAME_EXCHANGE) the old way: a
 * directory is replaced in place, an object of the other kind removed
 * first.
 */
static int smoothfs_rename_step(struct smoothfs_rename_ctx *c, unsigned int t)
{
	struct dentry *a = c->oe->lower[t], *b = c->tgt[t];
	int err;

	if ((c->flags & RENAME_EXCHANGE) || !a || !b || (!d_is_dir(a) && !d_is_dir(b)))
		return smoothfs_rename_tier(c, t, false);
	c->swapped |= BIT(t);
	err = smoothfs_rename_tier(c, t, false);
	if (err != -EINVAL)
		return err;
	c->swapped &= ~BIT(t);
	if (d_is_dir(a) != d_is_dir(b)) {
		err = smoothfs_remove_lower(c->sbi, t, b);
		if (err)
			return err;
		c->tgt[t] = NULL;
		dput(b);
	}
	return smoothfs_rename_tier(c, t, false);
}

static int smoothfs_remove_lower(struct smoothfs_sb_info *sbi, unsigned int t,
				 struct dentry *lower)
{
	struct vfsmount *mnt = sbi->tiers[t].root.mnt;
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return err;
	err = smoothfs_lower_unlink(sbi, lower, d_is_dir(lower));
	mnt_drop_write(mnt);
	return err;
}

/*
 * Replacing a name: find what it holds on every tier (the visible target
 * and duplicates it shadows).  Directories among them must be empty on
 * every tier.  Nothing is removed yet.
 */
static int smoothfs_rename_targets(struct smoothfs_rename_ctx *c)
{
	struct smoothfs_entry dirs = {};
	unsigned int t;

	for (t = 0; t < c->sbi->ntiers; t++) {
		struct dentry *d;

		if (!c->npe->lower[t])
			continue;
		d = lookup_one_len_unlocked(c->new->d_name.name, c->npe->lower[t],
					    c->new->d_name.len);
		if (IS_ERR(d))
			return PTR_ERR(d);
		if (d_is_negative(d)) {
			dput(d);
			continue;
		}
		c->tgt[t] = d;
		if (d_is_dir(d))
			dirs.lower[t] = d;
	}
	return smoothfs_dir_is_empty(c->sbi, &dirs);
}

/*
 * Every rename succeeded: remove what the new name held, exchanged to the
 * old name or on tiers the source is not on.
 */
static int smoothfs_rename_remove_rest(struct smoothfs_rename_ctx *c)
{
	unsigned int t;
	int err;

	/* The visible one (the fastest tier) last: a failure keeps it. */
	for (t = c->sbi->ntiers; t-- > 0;) {
		struct dentry *b = c->tgt[t];

		if (!b || (c->oe->lower[t] && !(c->swapped & BIT(t))))
			continue;
		err = smoothfs_remove_lower(c->sbi, t, b);
		if (err)
			return err;
		/* Gone: an undo renames the source back onto a free name. */
		c->swapped &= ~BIT(t);
		c->tgt[t] = NULL;
		dput(b);
	}
	return 0;
}

static void smoothfs_rename_undo(struct smoothfs_rename_ctx *c, unsigned long done)
{
	unsigned int t;

	for (t = c->sbi->ntiers; t-- > 0;) {
		int err;

		if (!(done & BIT(t)))
			continue;
		err = smoothfs_rename_tier(c, t, true);
		if (err)
			pr_warn_ratelimited("%pd: cannot undo the rename to %pd on tier %u: %d\n",
					    c->old, c->new, t, err);
	}
}

/* Attributes after success: the parents' times, nlink of a replaced target. */
static void smoothfs_rename_attrs(struct smoothfs_rename_ctx *c, struct inode *old_dir,
				  struct inode *new_dir, unsigned int t)
{
	struct inode *inode = d_inode(c->old), *target = d_inode(c->new);

	if (c->ope->lower[t])
		fsstack_copy_attr_times(old_dir, d_inode(c->ope->lower[t]));
	if (c->npe->lower[t])
		fsstack_copy_attr_times(new_dir, d_inode(c->npe->lower[t]));
	fsstack_copy_attr_times(inode, d_inode(SMOOTHFS_I(inode)->lower.dentry));
	if (!target)
		return;
	if (c->flags & RENAME_EXCHANGE) {
		fsstack_copy_attr_times(target, d_inode(SMOOTHFS_I(target)->lower.dentry));
		return;
	}
	/* Its lower dentries stay until d_release: an opendir may use them. */
	if (S_ISDIR(target->i_mode))
		clear_nlink(target);
	else
		set_nlink(target, d_inode(SMOOTHFS_I(target)->lower.dentry)->i_nlink);
}

int smoothfs_rename(smoothfs_idmap_t *idmap, struct inode *old_dir, struct dentry *old,
		    struct inode *new_dir, struct dentry *new, unsigned int flags)
{
	struct smoothfs_rename_ctx c = {
		.sbi = SMOOTHFS_SB(old_dir->i_sb),
		.old = old,
		.new = new,
		.oe = SMOOTHFS_E(old),
		.ne = SMOOTHFS_E(new),
		.ope = SMOOTHFS_E(old->d_parent),
		.npe = SMOOTHFS_E(new->d_parent),
		.flags = flags,
	};
	const struct cred *old_cred;
	struct dentry *tmp = NULL;
	unsigned long done = 0;
	unsigned int t, first = 0;
	int err = 0;

	smoothfs_listing_forget(old_dir);
	smoothfs_listing_forget(new_dir);
	/* No whiteouts: smoothfs is not an overlay. */
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if (smoothfs_is_meta_name(old) || smoothfs_is_meta_name(new))
		return -EPERM;
	if (WARN_ON_ONCE(!c.oe || !c.ne || !c.ope || !c.npe))
		return -EIO;

	/*
	 * d_exchange() is not exported: an exchange is two d_move()s, the
	 * second putting @new in the place of a placeholder at @old's name.
	 * Lookups of that name wait for old_dir's lock meanwhile.
	 */
	if (flags & RENAME_EXCHANGE) {
		tmp = d_alloc(old->d_parent, &old->d_name);
		if (!tmp)
			return -ENOMEM;
	}
	down_write(&c.sbi->rename_sem);
	/*
	 * Recovery finds a committed move's new copy by its path: moves of
	 * this file or of any below this directory are closed first (close.c);
	 * a file whose close is stuck, and any directory above it, stays.
	 */
	err = smoothfs_closer_settle(c.sbi);
	if (!err)
		err = smoothfs_closer_check_tree(c.sbi, old);
	if (!err && d_really_is_positive(new))
		err = smoothfs_closer_check_tree(c.sbi, new);
	if (err) {
		up_write(&c.sbi->rename_sem);
		dput(tmp);
		return err;
	}
	old_cred = override_creds(c.sbi->creator_cred);
	if (!(flags & RENAME_EXCHANGE) && d_really_is_positive(new))
		err = smoothfs_rename_targets(&c);

	for (t = 0; !err && t < c.sbi->ntiers; t++) {
		struct dentry *a = c.oe->lower[t];
		struct dentry *b = (flags & RENAME_EXCHANGE) ? c.ne->lower[t] : NULL;

		if (!a && !b)
			continue;
		if (a)
			err = smoothfs_materialize_locked(c.sbi, new->d_parent, t);
		if (!err && b)
			err = smoothfs_materialize_locked(c.sbi, old->d_parent, t);
		if (!err && (!c.ope->lower[t] || !c.npe->lower[t]))
			err = -ESTALE;
		if (!err)
			err = smoothfs_rename_step(&c, t);
		if (!err) {
			if (!done)
				first = t;
			done |= BIT(t);
		}
	}
	if (!err && !done)
		err = -ESTALE;		/* no lower object at all */
	if (!err && !(flags & RENAME_EXCHANGE))
		err = smoothfs_rename_remove_rest(&c);
	if (err)
		smoothfs_rename_undo(&c, done);
	else
		smoothfs_rename_attrs(&c, old_dir, new_dir, first);
	revert_creds(old_cred);
	/* FS_RENAME_DOES_D_MOVE: under rename_sem, unlike the VFS's own. */
	if (!err) {
		/* What a slower tier holds under each name stays with the name. */
		if (flags & RENAME_EXCHANGE)
			swap(c.oe->shadows, c.ne->shadows);
		else
			c.oe->shadows |= c.ne->shadows;
		d_move(old, new);
		if (tmp)
			d_move(new, tmp);
	}
	up_write(&c.sbi->rename_sem);
	dput(tmp);

	for (t = 0; t < SMOOTHFS_MAX_TIERS; t++)
		dput(c.tgt[t]);
	return err;
}
