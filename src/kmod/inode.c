// SPDX-License-Identifier: GPL-2.0-only
/*
 * Inodes: allocation, the inode cache keyed by OID, and attributes.
 */
#include <linux/cred.h>
#include <linux/fs_stack.h>
#include <linux/slab.h>
#include <linux/xxhash.h>

#include "smoothfs.h"

static struct kmem_cache *smoothfs_inode_cachep;

static void smoothfs_inode_init_once(void *obj)
{
	struct smoothfs_inode *si = obj;

	inode_init_once(&si->vfs_inode);
}

int __init smoothfs_inode_cache_init(void)
{
	smoothfs_inode_cachep = kmem_cache_create("smoothfs_inode",
						  sizeof(struct smoothfs_inode), 0,
						  SLAB_RECLAIM_ACCOUNT | SLAB_ACCOUNT,
						  smoothfs_inode_init_once);
	return smoothfs_inode_cachep ? 0 : -ENOMEM;
}

void smoothfs_inode_cache_exit(void)
{
	/* Inodes are freed after an RCU grace period. */
	rcu_barrier();
	kmem_cache_destroy(smoothfs_inode_cachep);
}

struct inode *smoothfs_alloc_inode(struct super_block *sb)
{
	struct smoothfs_inode *si;

	si = alloc_inode_sb(sb, smoothfs_inode_cachep, GFP_KERNEL);
	if (!si)
		return NULL;
	si->lower.mnt = NULL;
	si->lower.dentry = NULL;
	si->tier = 0;
	memset(si->oid, 0, sizeof(si->oid));
	smoothfs_heat_inode_init(si);
	smoothfs_move_inode_init(si);
	si->listing = NULL;
	atomic_set(&si->listing_gen, 0);
	return &si->vfs_inode;
}

void smoothfs_free_inode(struct inode *inode)
{
	kmem_cache_free(smoothfs_inode_cachep, SMOOTHFS_I(inode));
}

void smoothfs_evict_inode(struct inode *inode)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);

	smoothfs_heat_evict(inode);
	smoothfs_listing_forget(inode);
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	path_put(&si->lower);
	si->lower.mnt = NULL;
	si->lower.dentry = NULL;
}

static int smoothfs_inode_test(struct inode *inode, void *oid)
{
	return memcmp(SMOOTHFS_I(inode)->oid, oid, SMOOTHFS_OID_LEN) == 0;
}

static int smoothfs_inode_set(struct inode *inode, void *oid)
{
	memcpy(SMOOTHFS_I(inode)->oid, oid, SMOOTHFS_OID_LEN);
	return 0;
}

static const char *smoothfs_get_link(struct dentry *dentry, struct inode *inode,
				     struct delayed_call *done)
{
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	const struct cred *old_cred;
	const char *link;

	if (!dentry)
		return ERR_PTR(-ECHILD);
	old_cred = override_creds(SMOOTHFS_SB(inode->i_sb)->creator_cred);
	link = vfs_get_link(si->lower.dentry, done);
	revert_creds(old_cred);
	return link;
}

static const struct inode_operations smoothfs_symlink_iops = {
	.get_link	= smoothfs_get_link,
	.getattr	= smoothfs_getattr,
	.listxattr	= smoothfs_listxattr,
};

static const struct inode_operations smoothfs_special_iops = {
	.getattr	= smoothfs_getattr,
	.listxattr	= smoothfs_listxattr,
	SMOOTHFS_ACL_IOPS,
};

/*
 * The smoothfs inode of an object: found by OID, or set up over @lower.
 * st_ino is a hash of the OID, so it survives moves between tiers; the
 * cache compares the whole OID, so a hash collision cannot alias files.
 */
struct inode *smoothfs_iget(struct super_block *sb, const struct path *lower,
			    unsigned int tier, const u8 *oid)
{
	struct inode *lower_inode = d_inode(lower->dentry);
	unsigned long ino = xxh64(oid, SMOOTHFS_OID_LEN, 0);
	struct smoothfs_inode *si;
	struct inode *inode;

	inode = iget5_locked(sb, ino, smoothfs_inode_test, smoothfs_inode_set, (void *)oid);
	if (!inode)
		return ERR_PTR(-ENOMEM);
	si = SMOOTHFS_I(inode);
	if (!(inode->i_state & I_NEW)) {
		struct path cur;
		bool copy;

		/*
		 * Hard links share one lower inode, a directory's copies share
		 * its OID; anything else is a copy.
		 */
		smoothfs_inode_lower_get(inode, &cur);
		copy = d_inode(cur.dentry) != lower_inode &&
		       !(S_ISDIR(inode->i_mode) && S_ISDIR(lower_inode->i_mode));
		if (copy)
			pr_warn_ratelimited("%pd: OID already used by %pd on tier %u\n",
					    lower->dentry, cur.dentry, READ_ONCE(si->tier));
		path_put(&cur);
		if (copy) {
			iput(inode);
			return ERR_PTR(-EUCLEAN);
		}
		return inode;
	}

	si->lower = *lower;
	path_get(&si->lower);
	si->tier = tier;
	inode->i_ino = ino;
	smoothfs_inomap_set(SMOOTHFS_SB(sb), lower_inode->i_sb, lower_inode->i_ino, ino);
	smoothfs_copy_attr_all(inode, lower_inode);
	fsstack_copy_inode_size(inode, lower_inode);
	smoothfs_xattr_iget(inode);

	switch (lower_inode->i_mode & S_IFMT) {
	case S_IFDIR:
		inode->i_op = &smoothfs_dir_iops;
		inode->i_fop = &smoothfs_dir_fops;
		break;
	case S_IFREG:
		inode->i_op = &smoothfs_file_iops;
		inode->i_fop = &smoothfs_file_fops;
		break;
	case S_IFLNK:
		inode->i_op = &smoothfs_symlink_iops;
		break;
	default:
		inode->i_op = &smoothfs_special_iops;
		init_special_inode(inode, lower_inode->i_mode, lower_inode->i_rdev);
		break;
	}
	unlock_new_inode(inode);
	return inode;
}

int smoothfs_getattr(smoothfs_idmap_t *idmap, const struct path *path,
		     struct kstat *stat, u32 request_mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	const struct cred *old_cred;
	struct path lower;
	int err;

	smoothfs_inode_lower_get(inode, &lower);
	old_cred = override_creds(SMOOTHFS_SB(inode->i_sb)->creator_cred);
	err = smoothfs_lower_getattr(&lower, stat, request_mask, flags);
	revert_creds(old_cred);
	if (!err)
		smoothfs_refresh_attr(inode, d_inode(lower.dentry));
	path_put(&lower);
	if (err)
		return err;

	if (S_ISDIR(inode->i_mode))
		smoothfs_dir_times(path->dentry, stat, flags);
	stat->dev = inode->i_sb->s_dev;
	stat->ino = inode->i_ino;
	return 0;
}

/* The in-memory inode of an OID, referenced, or NULL. */
struct inode *smoothfs_ilookup(struct super_block *sb, const u8 *oid)
{
	return ilookup5(sb, xxh64(oid, SMOOTHFS_OID_LEN, 0), smoothfs_inode_test, (void *)oid);
}

/* The path of @inode inside the pool (one of its names), in @buf. */
char *smoothfs_rel_path(struct inode *inode, char *buf, int buflen)
{
	struct dentry *alias = d_find_alias(inode);
	char *path;

	if (!alias)
		return ERR_PTR(-ENOENT);
	path = dentry_path_raw(alias, buf, buflen);
	dput(alias);
	return path;
}
