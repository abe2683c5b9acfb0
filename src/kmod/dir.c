// SPDX-License-Identifier: GPL-2.0-only
/*
 * Directories: lookup across tiers and the merged directory listing.
 *
 * A directory may exist on several tiers; the namespace is their union.
 * A name is looked up on every tier that holds the parent, in rank order:
 * the first tier that has it wins, and further tiers only add to a
 * directory.  .smoothfs/ at the top of every tier is invisible.
 */
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/stringhash.h>
#include <linux/xxhash.h>

#include "smoothfs.h"

static bool smoothfs_is_meta_dir(struct dentry *parent, const char *name, unsigned int len)
{
	return IS_ROOT(parent) && len == sizeof(SMOOTHFS_META_DIR) - 1 &&
	       memcmp(name, SMOOTHFS_META_DIR, len) == 0;
}

static struct dentry *smoothfs_lookup(struct inode *dir, struct dentry *dentry,
				      unsigned int flags)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dir->i_sb);
	struct smoothfs_entry *pe = SMOOTHFS_E(dentry->d_parent), *entry;
	const char *name = dentry->d_name.name;
	unsigned int len = dentry->d_name.len;
	const struct cred *old_cred;
	struct inode *inode = NULL;
	int first = -1, err = 0;
	unsigned int t;

	if (len > NAME_MAX)
		return ERR_PTR(-ENAMETOOLONG);
	entry = smoothfs_entry_alloc();
	if (!entry)
		return ERR_PTR(-ENOMEM);
	if (smoothfs_is_meta_dir(dentry->d_parent, name, len))
		goto out;

	old_cred = override_creds(sbi->creator_cred);
	for (t = 0; t < sbi->ntiers; t++) {
		struct dentry *lparent = READ_ONCE(pe->lower[t]);
		struct dentry *lower;

		/* A copy a partly failed rmdir removed is skipped. */
		if (!lparent || IS_DEADDIR(d_inode(lparent)))
			continue;
		lower = lookup_one_len_unlocked(name, lparent, len);
		if (IS_ERR(lower)) {
			err = PTR_ERR(lower);
			break;
		}
		if (d_is_negative(lower) ||
		    (first >= 0 && !(d_is_dir(lower) && d_is_dir(entry->lower[first])))) {
			/* Absent, or shadowed by what a faster tier holds. */
			if (d_is_positive(lower))
				entry->shadows = true;
			dput(lower);
			continue;
		}
		entry->lower[t] = lower;
		if (first < 0)
			first = t;
	}

	if (!err && first >= 0) {
		struct path lower = {
			.mnt = sbi->tiers[first].root.mnt,
			.dentry = entry->lower[first],
		};
		u8 oid[SMOOTHFS_OID_LEN];

		if (d_is_dir(lower.dentry))
			err = smoothfs_dir_oid(sbi, entry->lower, first, oid);
		else
			err = smoothfs_oid_get(sbi, &lower, oid);
		if (!err) {
			inode = smoothfs_iget(dir->i_sb, &lower, first, oid);
			if (IS_ERR(inode)) {
				err = PTR_ERR(inode);
				inode = NULL;
			}
		}
	}
	revert_creds(old_cred);
	if (err) {
		smoothfs_entry_free(entry);
		return ERR_PTR(err);
	}
out:
	dentry->d_fsdata = entry;
	return d_splice_alias(inode, dentry);
}

/*
 * Listing: the entries of every tier's copy are gathered into one
 * listing, deduplicated with a hash table (a name on a faster tier wins),
 * with d_ino set to the OID-derived inode number so that it matches
 * st_ino.  An open reads one listing from start to end; the directory
 * keeps the last one built for later opens (listing.c).
 */
#define SMOOTHFS_DIR_HASH_MIN_BITS 6

struct smoothfs_dir_cache {
	struct dir_context ctx;		/* for iterating the lower copies */
	struct smoothfs_sb_info *sbi;
	struct dentry *lower_dir;	/* copy being read */
	struct dentry *dirs[SMOOTHFS_MAX_TIERS];	/* every copy listed */
	unsigned int tier;
	bool skip_meta;
	bool partial;			/* something was left out: not to be kept */
	bool vanished;			/* a name left its tier meanwhile (a move) */
	int err;
	size_t count;
	struct smoothfs_dirent **entries;
	size_t capacity;
	/* Names seen, for deduplication; grown to keep chains short. */
	struct hlist_head *names;
	unsigned int hash_bits;
};

static struct smoothfs_dirent *smoothfs_dirent_find(struct smoothfs_dir_cache *c,
						    const char *name, unsigned int len,
						    u32 hash)
{
	struct smoothfs_dirent *de;

	hlist_for_each_entry(de, &c->names[hash_32(hash, c->hash_bits)], hash)
		if (de->len == len && memcmp(de->name, name, len) == 0)
			return de;
	return NULL;
}

static void smoothfs_dirent_hash(struct smoothfs_dir_cache *c, struct smoothfs_dirent *de)
{
	u32 hash = full_name_hash(NULL, de->name, de->len);

	hlist_add_head(&de->hash, &c->names[hash_32(hash, c->hash_bits)]);
}

/* Twice the buckets once there are as many entries as buckets. */
static int smoothfs_dir_hash_grow(struct smoothfs_dir_cache *c)
{
	unsigned int bits = c->names ? c->hash_bits + 1 : SMOOTHFS_DIR_HASH_MIN_BITS;
	struct hlist_head *names;
	size_t i;

	names = kvmalloc_array(1UL << bits, sizeof(*names), GFP_KERNEL);
	if (!names)
		return -ENOMEM;
	for (i = 0; i < (1UL << bits); i++)
		INIT_HLIST_HEAD(&names[i]);
	kvfree(c->names);
	c->names = names;
	c->hash_bits = bits;
	for (i = 0; i < c->count; i++)
		smoothfs_dirent_hash(c, c->entries[i]);
	return 0;
}

/* A directory's OID is chosen among its copies, as lookup does. */
static int smoothfs_dirent_dir_oid(struct smoothfs_dir_cache *c, struct smoothfs_dirent *de,
				   struct dentry *lower, u8 oid[SMOOTHFS_OID_LEN])
{
	struct dentry *copies[SMOOTHFS_MAX_TIERS] = {};
	unsigned int t;
	int err;

	copies[c->tier] = lower;
	for (t = c->tier + 1; t < c->sbi->ntiers; t++) {
		struct dentry *d;

		if (!c->dirs[t])
			continue;
		d = lookup_one_len_unlocked(de->name, c->dirs[t], de->len);
		if (IS_ERR(d))
			continue;	/* lookup would skip it too */
		if (d_is_dir(d))
			copies[t] = d;
		else
			dput(d);
	}
	err = smoothfs_dir_oid(c->sbi, copies, c->tier, oid);
	for (t = c->tier + 1; t < c->sbi->ntiers; t++)
		dput(copies[t]);
	return err;
}

/*
 * d_ino of an entry: from the d_ino cache, or the OID hash, minting the
 * OID of an adopted object, and then cached.
 */
static int smoothfs_dirent_ino(struct smoothfs_dir_cache *c, struct smoothfs_dirent *de)
{
	struct smoothfs_tier *tier = &c->sbi->tiers[c->tier];
	struct super_block *lower_sb = c->lower_dir->d_sb;
	struct path lower = { .mnt = tier->root.mnt };
	u8 oid[SMOOTHFS_OID_LEN];
	int err;

	if (smoothfs_inomap_find(c->sbi, lower_sb, de->lower_ino, &de->ino))
		return 0;
	lower.dentry = lookup_one_len_unlocked(de->name, c->lower_dir, de->len);
	if (IS_ERR(lower.dentry))
		return PTR_ERR(lower.dentry);
	if (d_is_negative(lower.dentry))
		err = -ENOENT;
	else if (d_is_dir(lower.dentry))
		err = smoothfs_dirent_dir_oid(c, de, lower.dentry, oid);
	else
		err = smoothfs_oid_get(c->sbi, &lower, oid);
	if (!err) {
		struct inode *lower_inode = d_inode(lower.dentry);

		de->ino = xxh64(oid, SMOOTHFS_OID_LEN, 0);
		smoothfs_inomap_set(c->sbi, lower_sb, lower_inode->i_ino, de->ino);
		/* Removed meanwhile: its unlink may have forgotten it before we set it. */
		if (d_unhashed(lower.dentry) || d_is_negative(lower.dentry))
			smoothfs_inomap_forget(c->sbi, lower_sb, lower_inode->i_ino);
	}
	dput(lower.dentry);
	return err;
}

/* Collects names only: iterate_dir() holds the lower directory's lock. */
static bool smoothfs_fill_cache(struct dir_context *ctx, const char *name, int len,
				loff_t offset, u64 lower_ino, unsigned int d_type)
{
	struct smoothfs_dir_cache *c = container_of(ctx, struct smoothfs_dir_cache, ctx);
	u32 hash = full_name_hash(NULL, name, len);
	struct smoothfs_dirent *de;

	if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
		return true;
	if (c->skip_meta && len == sizeof(SMOOTHFS_META_DIR) - 1 &&
	    memcmp(name, SMOOTHFS_META_DIR, len) == 0)
		return true;
	if (c->count >= (1UL << c->hash_bits) && smoothfs_dir_hash_grow(c))
		goto enomem;
	if (smoothfs_dirent_find(c, name, len, hash))
		return true;

	if (c->count == c->capacity) {
		size_t cap = c->capacity ? 2 * c->capacity : 64;
		struct smoothfs_dirent **n;

		n = kvmalloc_array(cap, sizeof(*n), GFP_KERNEL);
		if (!n)
			goto enomem;
		if (c->count)
			memcpy(n, c->entries, c->count * sizeof(*n));
		kvfree(c->entries);
		c->entries = n;
		c->capacity = cap;
	}
	de = kmalloc(struct_size(de, name, len), GFP_KERNEL);
	if (!de)
		goto enomem;
	de->len = len;
	de->type = d_type;
	de->ino = 0;
	de->lower_ino = lower_ino;
	memcpy(de->name, name, len);
	hlist_add_head(&de->hash, &c->names[hash_32(hash, c->hash_bits)]);
	c->entries[c->count++] = de;
	return true;

enomem:
	c->err = -ENOMEM;
	return false;
}

/*
 * One entry or one tier's copy that cannot be read does not fail the
 * listing: the rest is still listed and the problem is logged (rate
 * limited) and, if it is an I/O error or corruption, reported as a tier
 * fault.  Only running out of memory fails the whole getdents.
 */
static void smoothfs_dir_skip(struct smoothfs_dir_cache *c, const struct smoothfs_dirent *de,
			      int err)
{
	if (de)
		pr_warn_ratelimited("pool %s: tier %u: %pd/%.*s left out of the listing: %d\n",
				    c->sbi->pool, c->tier, c->lower_dir, de->len, de->name, err);
	else
		pr_warn_ratelimited("pool %s: tier %u: the rest of %pd left out of the listing: %d\n",
				    c->sbi->pool, c->tier, c->lower_dir, err);
	smoothfs_tier_fault(c->sbi, c->tier, err);
	c->partial = true;
}

/* Fill in d_ino of entries [from, count) found on tier c->tier. */
static int smoothfs_dir_cache_inos(struct smoothfs_dir_cache *c, size_t from)
{
	size_t i = from;

	while (i < c->count) {
		struct smoothfs_dirent *de = c->entries[i];
		int err = smoothfs_dirent_ino(c, de);

		if (err == -ENOMEM)
			return err;
		if (err) {
			/* -ENOENT: removed while we listed (moved, maybe). */
			if (err != -ENOENT)
				smoothfs_dir_skip(c, de, err);
			else
				c->vanished = true;
			c->partial = true;
			hash_del(&de->hash);
			kfree(de);
			c->entries[i] = c->entries[--c->count];
			continue;
		}
		i++;
	}
	return 0;
}

static void smoothfs_dir_cache_free(struct smoothfs_dir_cache *c)
{
	size_t i;

	for (i = 0; i < c->count; i++)
		kfree(c->entries[i]);
	kvfree(c->entries);
	kvfree(c->names);
	kfree(c);
}

/* Gather the entries of tier @t's copy into @c. */
static int smoothfs_dir_cache_tier(struct smoothfs_dir_cache *c, unsigned int t)
{
	struct path lower = { .mnt = c->sbi->tiers[t].root.mnt, .dentry = c->dirs[t] };
	size_t from = c->count;
	struct file *f;
	int err;

	c->lower_dir = c->dirs[t];
	c->tier = t;
	f = dentry_open(&lower, O_RDONLY | O_DIRECTORY, current_cred());
	if (IS_ERR(f)) {
		err = PTR_ERR(f);
		if (err != -ENOMEM)
			smoothfs_dir_skip(c, NULL, err);
		return err == -ENOMEM ? err : 0;
	}
	c->ctx.actor = smoothfs_fill_cache;
	c->ctx.pos = 0;
	err = iterate_dir(f, &c->ctx);
	fput(f);
	if (!err || c->err)
		err = c->err;
	else if (err != -ENOMEM)
		smoothfs_dir_skip(c, NULL, err);	/* what it gave is kept */
	if (err != -ENOMEM)
		err = smoothfs_dir_cache_inos(c, from);
	return err;
}

/*
 * Read the listing of @dentry's directory from its copies.  *@partial:
 * something was left out; *@moved: a file moved meanwhile, which the
 * listing may have missed (read on the tier it arrived on before it came
 * and on the one it left after it went).
 */
static struct smoothfs_listing *smoothfs_listing_build(struct dentry *dentry, bool *partial,
						       bool *moved)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dentry->d_sb);
	struct smoothfs_entry *entry = SMOOTHFS_E(dentry);
	struct smoothfs_listing *l;
	struct smoothfs_dir_cache *c;
	const struct cred *old_cred;
	unsigned int t;
	int err;

	l = smoothfs_listing_alloc();
	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!l || !c) {
		kfree(c);
		smoothfs_listing_put(l);
		return ERR_PTR(-ENOMEM);
	}
	err = smoothfs_dir_hash_grow(c);
	if (err) {
		kfree(c);
		smoothfs_listing_put(l);
		return ERR_PTR(err);
	}
	l->gen = smoothfs_listing_begin(d_inode(dentry));
	c->sbi = sbi;
	c->skip_meta = IS_ROOT(dentry);
	/* Each copy stays until d_release, even if removed meanwhile (dentry.c). */
	for (t = 0; t < sbi->ntiers; t++)
		c->dirs[t] = READ_ONCE(entry->lower[t]);

	old_cred = override_creds(sbi->creator_cred);
	for (t = 0; t < sbi->ntiers && !err; t++) {
		/* A copy removed by a partly failed rmdir has no entries. */
		if (c->dirs[t] && !IS_DEADDIR(d_inode(c->dirs[t])))
			err = smoothfs_dir_cache_tier(c, t);
	}
	revert_creds(old_cred);
	if (err) {
		smoothfs_dir_cache_free(c);
		smoothfs_listing_put(l);
		return ERR_PTR(err);
	}
	/* The entries pass to the listing; the names' hash is not needed any more. */
	l->count = c->count;
	l->entries = c->entries;
	*partial = c->partial;
	*moved = c->vanished || smoothfs_listing_moved(d_inode(dentry), l);
	c->count = 0;
	c->entries = NULL;
	smoothfs_dir_cache_free(c);
	atomic64_inc(&sbi->stats.listing_builds);
	return l;
}

/* The directory's listing: the kept one, or one read now (and kept). */
static struct smoothfs_listing *smoothfs_listing_current(struct file *file)
{
	struct inode *dir = file_inode(file);
	struct smoothfs_listing *l = smoothfs_listing_get(dir);
	unsigned int attempt;
	bool partial, moved;

	if (l)
		return l;
	/* One read across a move is read again, once: moves are rare per directory. */
	for (attempt = 0;; attempt++) {
		l = smoothfs_listing_build(file->f_path.dentry, &partial, &moved);
		if (IS_ERR(l) || !moved || attempt)
			break;
		smoothfs_listing_put(l);
	}
	/* One that missed entries is not shown to later opens too. */
	if (!IS_ERR(l) && !partial && !moved)
		smoothfs_listing_keep(dir, l);
	return l;
}

/*
 * f_pos is an index into the open's listing (after . and ..); a rewind
 * (to before the dots) takes the directory's current listing, kept or
 * new, before the dots go out, so that a failure leaves nothing emitted
 * and no older listing to go on with.  An empty listing leaves f_pos at
 * 2, so 2 itself is no rewind.  getdents holds f_pos_lock, but callers in
 * the kernel may share a file without it: the open's listing is swapped
 * under f_lock and read through a reference of our own.
 */
static int smoothfs_iterate(struct file *file, struct dir_context *ctx)
{
	struct smoothfs_listing *l, *old;

	spin_lock(&file->f_lock);
	l = file->private_data;
	if (l)
		smoothfs_listing_hold(l);
	spin_unlock(&file->f_lock);
	if (!l || ctx->pos < 2) {
		smoothfs_listing_put(l);
		l = smoothfs_listing_current(file);
		if (IS_ERR(l))
			return PTR_ERR(l);
		smoothfs_listing_hold(l);	/* the open's */
		spin_lock(&file->f_lock);
		old = file->private_data;
		file->private_data = l;
		spin_unlock(&file->f_lock);
		smoothfs_listing_put(old);
	}
	if (!dir_emit_dots(file, ctx)) {
		smoothfs_listing_put(l);
		return 0;
	}
	while (ctx->pos - 2 < l->count) {
		struct smoothfs_dirent *de = l->entries[ctx->pos - 2];

		if (!dir_emit(ctx, de->name, de->len, de->ino, de->type))
			break;
		ctx->pos++;
	}
	smoothfs_listing_put(l);
	return 0;
}

static int smoothfs_dir_release(struct inode *inode, struct file *file)
{
	smoothfs_listing_put(file->private_data);
	return 0;
}

static loff_t smoothfs_dir_llseek(struct file *file, loff_t offset, int whence)
{
	/* Positions are indexes into the listing; 0 starts over. */
	return generic_file_llseek_size(file, offset, whence, INT_MAX, INT_MAX);
}

const struct inode_operations smoothfs_dir_iops = {
	.lookup		= smoothfs_lookup,
	.create		= smoothfs_create,
	.mkdir		= smoothfs_mkdir,
	.mknod		= smoothfs_mknod,
	.symlink	= smoothfs_symlink,
	.unlink		= smoothfs_unlink,
	.rmdir		= smoothfs_rmdir,
	.link		= smoothfs_link,
	.rename		= smoothfs_rename,
	.getattr	= smoothfs_getattr,
	.setattr	= smoothfs_setattr,
	.listxattr	= smoothfs_listxattr,
	SMOOTHFS_ACL_IOPS,
};

const struct file_operations smoothfs_dir_fops = {
	.owner		= THIS_MODULE,
	.release	= smoothfs_dir_release,
	.iterate_shared	= smoothfs_iterate,
	.read		= generic_read_dir,
	.llseek		= smoothfs_dir_llseek,
};
