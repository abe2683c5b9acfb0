// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mount: the smoothfs filesystem type and its mount options,
 *
 *   mount -t smoothfs -o pool=NAME,uuid=UUID,tiers=/t0:/t1[:...] none MNT
 *
 * Options are checked as they are parsed, so a bad one fails fsconfig(2)
 * (or mount(2)) with a message that names it, before anything is touched.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/statfs.h>
#include <linux/string.h>
#include <linux/uuid.h>

#include "smoothfs.h"

struct smoothfs_fs_context {
	char *pool;
	uuid_t uuid;
	bool have_uuid;
	char *tiers[SMOOTHFS_MAX_TIERS];
	unsigned int ntiers;
};

enum smoothfs_param { Opt_pool, Opt_uuid, Opt_tiers };

static const struct fs_parameter_spec smoothfs_fs_parameters[] = {
	fsparam_string("pool", Opt_pool),
	fsparam_string("uuid", Opt_uuid),
	fsparam_string("tiers", Opt_tiers),
	{}
};

/* Same rule as libsmoothfs: ^[a-z0-9][a-z0-9._-]{0,62}$ */
static bool smoothfs_pool_name_valid(const char *name)
{
	size_t i, len = strlen(name);

	if (len == 0 || len > SMOOTHFS_POOL_NAME_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;
		if (i > 0 && (c == '.' || c == '_' || c == '-'))
			continue;
		return false;
	}
	return true;
}

static void smoothfs_free_tiers(struct smoothfs_fs_context *ctx)
{
	while (ctx->ntiers)
		kfree(ctx->tiers[--ctx->ntiers]);
}

/* Split "/a:/b:/c" into at most SMOOTHFS_MAX_TIERS absolute paths. */
static int smoothfs_parse_tiers(struct fs_context *fc,
				struct smoothfs_fs_context *ctx, char *list)
{
	char *path;

	while ((path = strsep(&list, ":")) != NULL) {
		if (*path != '/')
			return invalfc(fc, "tier %u: \"%s\" is not an absolute path",
				       ctx->ntiers, path);
		if (ctx->ntiers == SMOOTHFS_MAX_TIERS)
			return invalfc(fc, "more than %d tiers", SMOOTHFS_MAX_TIERS);
		ctx->tiers[ctx->ntiers] = kstrdup(path, GFP_KERNEL);
		if (!ctx->tiers[ctx->ntiers])
			return -ENOMEM;
		ctx->ntiers++;
	}
	return 0;
}

static int smoothfs_parse_param(struct fs_context *fc,
				struct fs_parameter *param)
{
	struct smoothfs_fs_context *ctx = fc->fs_private;
	struct fs_parse_result result;
	int opt, err;

	opt = fs_parse(fc, smoothfs_fs_parameters, param, &result);
	if (opt < 0)
		return opt;

	switch (opt) {
	case Opt_pool:
		if (ctx->pool)
			return invalfc(fc, "pool given twice");
		if (!smoothfs_pool_name_valid(param->string))
			return invalfc(fc, "invalid pool name \"%s\"", param->string);
		ctx->pool = param->string;
		param->string = NULL;
		return 0;
	case Opt_uuid:
		if (ctx->have_uuid)
			return invalfc(fc, "uuid given twice");
		if (uuid_parse(param->string, &ctx->uuid) ||
		    uuid_is_null(&ctx->uuid))
			return invalfc(fc, "invalid uuid \"%s\"", param->string);
		ctx->have_uuid = true;
		return 0;
	case Opt_tiers:
		if (ctx->ntiers)
			return invalfc(fc, "tiers given twice");
		err = smoothfs_parse_tiers(fc, ctx, param->string);
		if (err)
			smoothfs_free_tiers(ctx);
		return err;
	}
	return -EINVAL;
}

static void smoothfs_put_super_info(struct smoothfs_sb_info *sbi)
{
	if (!sbi)
		return;
	if (!list_empty(&sbi->pool_node)) {
		smoothfs_pool_unregister(sbi);
		if (sbi->mounted)
			smoothfs_event_pool_unmounted(sbi);
	}
	smoothfs_journal_close(sbi);
	smoothfs_tiers_close(sbi);
	smoothfs_inomap_free(sbi);
	/* Every directory inode, and with it its listing, is gone. */
	WARN_ON_ONCE(sbi->listings.entries || !list_empty(&sbi->listings.lru));
	if (sbi->creator_cred)
		put_cred(sbi->creator_cred);
	kfree(sbi->pool);
	kfree(sbi);
}

static int smoothfs_statfs(struct dentry *dentry, struct kstatfs *buf)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dentry->d_sb);
	struct kstatfs st;
	unsigned int t;
	int err;

	/* Sizes summed over the tiers, in units of the largest block size. */
	memset(buf, 0, sizeof(*buf));
	for (t = 0; t < sbi->ntiers; t++) {
		err = vfs_statfs(&sbi->tiers[t].root, &st);
		if (err) {
			smoothfs_tier_fault(sbi, t, err);
			return err;
		}
		if (st.f_bsize > buf->f_bsize) {
			if (buf->f_bsize) {
				u64 div = st.f_bsize / buf->f_bsize;

				buf->f_blocks = div_u64(buf->f_blocks, div);
				buf->f_bfree = div_u64(buf->f_bfree, div);
				buf->f_bavail = div_u64(buf->f_bavail, div);
			}
			buf->f_bsize = st.f_bsize;
		}
		buf->f_blocks += div_u64(st.f_blocks * st.f_bsize, buf->f_bsize);
		buf->f_bfree += div_u64(st.f_bfree * st.f_bsize, buf->f_bsize);
		buf->f_bavail += div_u64(st.f_bavail * st.f_bsize, buf->f_bsize);
		buf->f_files += st.f_files;
		buf->f_ffree += st.f_ffree;
	}
	buf->f_type = SMOOTHFS_SUPER_MAGIC;
	buf->f_namelen = NAME_MAX;
	buf->f_frsize = buf->f_bsize;
	buf->f_fsid = uuid_to_fsid(sbi->uuid.b);
	return 0;
}

/* Options that mount the same pool again. */
static int smoothfs_show_options(struct seq_file *m, struct dentry *root)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(root->d_sb);
	unsigned int t;

	seq_show_option(m, "pool", sbi->pool);
	seq_printf(m, ",uuid=%pUb", &sbi->uuid);
	seq_puts(m, ",tiers=");
	for (t = 0; t < sbi->ntiers; t++) {
		if (t)
			seq_putc(m, ':');
		seq_escape(m, sbi->tiers[t].path, ", \t\n\\");
	}
	return 0;
}

static const struct super_operations smoothfs_super_ops = {
	.alloc_inode	= smoothfs_alloc_inode,
	.free_inode	= smoothfs_free_inode,
	.evict_inode	= smoothfs_evict_inode,
	.drop_inode	= generic_delete_inode,
	.statfs		= smoothfs_statfs,
	.show_options	= smoothfs_show_options,
};

static int smoothfs_make_root(struct super_block *sb)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(sb);
	static const u8 root_oid[SMOOTHFS_OID_LEN];
	struct smoothfs_entry *entry;
	struct inode *inode;
	unsigned int t;

	entry = smoothfs_entry_alloc();
	if (!entry)
		return -ENOMEM;
	inode = smoothfs_iget(sb, &sbi->tiers[0].root, 0, root_oid);
	if (IS_ERR(inode)) {
		smoothfs_entry_free(entry);
		return PTR_ERR(inode);
	}
	sb->s_root = d_make_root(inode);
	if (!sb->s_root) {
		smoothfs_entry_free(entry);
		return -ENOMEM;
	}
	for (t = 0; t < sbi->ntiers; t++)
		entry->lower[t] = dget(sbi->tiers[t].root.dentry);
	sb->s_root->d_fsdata = entry;
	return 0;
}

static int smoothfs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct smoothfs_fs_context *ctx = fc->fs_private;
	struct smoothfs_sb_info *sbi;
	unsigned int t;
	int depth = 0, err;

	sbi = kzalloc(sizeof(*sbi), GFP_KERNEL);
	if (!sbi)
		return -ENOMEM;
	INIT_LIST_HEAD(&sbi->pool_node);
	mutex_init(&sbi->materialize_lock);
	init_rwsem(&sbi->rename_sem);
	smoothfs_listing_cache_init(&sbi->listings);
	smoothfs_heat_init(sbi);
	smoothfs_moves_init(sbi);
	smoothfs_closer_init(sbi);
	sbi->sb = sb;
	sb->s_fs_info = sbi;
	sbi->pool = ctx->pool;
	ctx->pool = NULL;
	uuid_copy(&sbi->uuid, &ctx->uuid);
	sbi->creator_cred = prepare_creds();
	if (!sbi->creator_cred)
		return -ENOMEM;

	err = smoothfs_tiers_open(fc, sbi, ctx->tiers, ctx->ntiers);
	if (err)
		return err;
	for (t = 0; t < sbi->ntiers; t++)
		depth = max(depth, sbi->tiers[t].root.dentry->d_sb->s_stack_depth);

	err = smoothfs_pool_register(sbi);
	if (err) {
		errorfc(fc, "pool %s or uuid %pUb is already mounted", sbi->pool, &sbi->uuid);
		return err;
	}
	err = smoothfs_journal_open(sbi);
	if (err)
		return err;
	err = smoothfs_sysfs_add(sbi);
	if (err)
		return err;

	sb->s_magic = SMOOTHFS_SUPER_MAGIC;
	sb->s_op = &smoothfs_super_ops;
	sb->s_d_op = &smoothfs_dentry_ops;
	sb->s_xattr = smoothfs_xattr_handlers;
	sb->s_flags |= SB_POSIXACL;
	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_time_gran = 1;
	sb->s_stack_depth = depth + 1;
	smoothfs_set_sb_uuid(sb, &sbi->uuid);
	err = smoothfs_make_root(sb);
	if (err)
		return err;
	sbi->mounted = true;
	smoothfs_pool_publish(sbi);
	smoothfs_event_mount_ready(sbi);
	smoothfs_heat_start(sbi);
	return 0;
}

static int smoothfs_get_tree(struct fs_context *fc)
{
	struct smoothfs_fs_context *ctx = fc->fs_private;

	if (!ctx->pool)
		return invalfc(fc, "missing required option pool=");
	if (!ctx->have_uuid)
		return invalfc(fc, "missing required option uuid=");
	if (!ctx->ntiers)
		return invalfc(fc, "missing required option tiers=");
	return get_tree_nodev(fc, smoothfs_fill_super);
}

static void smoothfs_kill_sb(struct super_block *sb)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(sb);

	smoothfs_sysfs_remove(sbi);
	smoothfs_heat_stop(sbi);
	/* The closer holds inodes: they go before the superblock's. */
	smoothfs_closer_stop(sbi);
	kill_anon_super(sb);
	smoothfs_put_super_info(sbi);
}

static void smoothfs_free_fc(struct fs_context *fc)
{
	struct smoothfs_fs_context *ctx = fc->fs_private;

	if (!ctx)
		return;
	smoothfs_free_tiers(ctx);
	kfree(ctx->pool);
	kfree(ctx);
}

static const struct fs_context_operations smoothfs_context_ops = {
	.parse_param	= smoothfs_parse_param,
	.get_tree	= smoothfs_get_tree,
	.free		= smoothfs_free_fc,
};

static int smoothfs_init_fs_context(struct fs_context *fc)
{
	struct smoothfs_fs_context *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	fc->fs_private = ctx;
	fc->ops = &smoothfs_context_ops;
	return 0;
}

/* No FS_USERNS_MOUNT: only CAP_SYS_ADMIN in the initial namespace mounts. */
struct file_system_type smoothfs_fs_type = {
	.owner			= THIS_MODULE,
	.name			= SMOOTHFS_FS_TYPE,
	.init_fs_context	= smoothfs_init_fs_context,
	.parameters		= smoothfs_fs_parameters,
	.kill_sb		= smoothfs_kill_sb,
	/* rename.c moves the dentries under the pool's rename_sem. */
	.fs_flags		= FS_RENAME_DOES_D_MOVE,
};
