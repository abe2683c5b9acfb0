// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mount: the smoothfs filesystem type and its mount options,
 *
 *   mount -t smoothfs -o pool=NAME,uuid=UUID,tiers=/t0:/t1[:...] none MNT
 *
 * Options are checked as they are parsed, so a bad one fails fsconfig(2)
 * (or mount(2)) with a message that names it, before anything is touched.
 */
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/slab.h>
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

static int smoothfs_get_tree(struct fs_context *fc)
{
	struct smoothfs_fs_context *ctx = fc->fs_private;

	if (!ctx->pool)
		return invalfc(fc, "missing required option pool=");
	if (!ctx->have_uuid)
		return invalfc(fc, "missing required option uuid=");
	if (!ctx->ntiers)
		return invalfc(fc, "missing required option tiers=");

	/* The namespace layer (tiers, inodes, data path) is not built yet. */
	errorfc(fc, "pool %s: mounting pools is not supported by this build",
		ctx->pool);
	return -EOPNOTSUPP;
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
	.kill_sb		= kill_anon_super,
};
