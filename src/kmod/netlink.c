// SPDX-License-Identifier: GPL-2.0-only
/*
 * The "smoothfs" generic netlink family: commands from the daemon and the
 * "events" multicast group.  The family exists from module load, so a
 * daemon can resolve it before any pool is mounted.  Commands not listed
 * in smoothfs_genl_ops are answered with EOPNOTSUPP by the genetlink core.
 */
#include <linux/module.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>

#include "smoothfs.h"

static const struct genl_multicast_group smoothfs_mcgrps[] = {
	{ .name = SMOOTHFS_GENL_MCAST_GROUP, SMOOTHFS_MCGRP_ADMIN_ONLY },
};

/* Attributes a request may carry; strict validation rejects all others. */
static const struct nla_policy smoothfs_nl_policy[SMOOTHFS_ATTR_MAX + 1] = {
	[SMOOTHFS_ATTR_POOL_UUID] = NLA_POLICY_EXACT_LEN(SMOOTHFS_UUID_LEN),
	[SMOOTHFS_ATTR_OBJECT_ID] = NLA_POLICY_EXACT_LEN(SMOOTHFS_OID_LEN),
	[SMOOTHFS_ATTR_TIER_RANK] = NLA_POLICY_MAX(NLA_U8, SMOOTHFS_MAX_TIERS - 1),
	[SMOOTHFS_ATTR_INTENDED_TIER] = NLA_POLICY_MAX(NLA_U8, SMOOTHFS_MAX_TIERS - 1),
	[SMOOTHFS_ATTR_TRANSACTION_SEQ] = { .type = NLA_U64 },
	[SMOOTHFS_ATTR_WRITE_SEQ] = { .type = NLA_U64 },
	[SMOOTHFS_ATTR_FORCE] = NLA_POLICY_MAX(NLA_U8, 1),
	[SMOOTHFS_ATTR_RECONCILE_REASON] = { .type = NLA_NUL_STRING,
					     .len = SMOOTHFS_RECONCILE_REASON_MAX },
};

static struct genl_family smoothfs_genl_family;

/* The attributes describing a pool: MOUNT_READY and LIST_POOLS. */
static int smoothfs_fill_pool(struct sk_buff *skb, const void *arg)
{
	const struct smoothfs_sb_info *sbi = arg;
	struct nlattr *tiers, *tier;
	unsigned int t;

	if (nla_put_string(skb, SMOOTHFS_ATTR_POOL_NAME, sbi->pool) ||
	    nla_put_u32(skb, SMOOTHFS_ATTR_FSID, smoothfs_fsid(sbi)) ||
	    nla_put_u8(skb, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, READ_ONCE(sbi->any_spill)))
		return -EMSGSIZE;
	tiers = nla_nest_start(skb, SMOOTHFS_ATTR_TIERS);
	if (!tiers)
		return -EMSGSIZE;
	for (t = 0; t < sbi->ntiers; t++) {
		tier = nla_nest_start(skb, t + 1);
		if (!tier ||
		    nla_put_u8(skb, SMOOTHFS_ATTR_TIER_RANK, t) ||
		    nla_put_u32(skb, SMOOTHFS_ATTR_TIER_CAPS, sbi->tiers[t].caps) ||
		    nla_put_string(skb, SMOOTHFS_ATTR_TIER_PATH, sbi->tiers[t].path))
			return -EMSGSIZE;
		nla_nest_end(skb, tier);
	}
	nla_nest_end(skb, tiers);
	return 0;
}

static int smoothfs_nl_inspect(struct sk_buff *skb, struct genl_info *info)
{
	struct smoothfs_sb_info *sbi;
	struct smoothfs_move_info mi;
	struct smoothfs_inode *si;
	struct inode *inode;
	struct sk_buff *reply;
	char *buf, *rel;
	void *hdr;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_POOL_UUID) ||
	    GENL_REQ_ATTR_CHECK(info, SMOOTHFS_ATTR_OBJECT_ID))
		return -EINVAL;
	sbi = smoothfs_pool_get(nla_data(info->attrs[SMOOTHFS_ATTR_POOL_UUID]));
	if (!sbi) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMOOTHFS_ATTR_POOL_UUID],
				    "no such pool is mounted");
		return -ENOENT;
	}
	inode = smoothfs_ilookup(sbi->sb, nla_data(info->attrs[SMOOTHFS_ATTR_OBJECT_ID]));
	if (!inode) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SMOOTHFS_ATTR_OBJECT_ID],
				    "object not in use in this pool");
		err = -ENOENT;
		goto out_pool;
	}
	si = SMOOTHFS_I(inode);
	/*
	 * A move whose cutover returned reads as placed (close.c), or as
	 * cleanup_in_progress while its old copy cannot be removed.
	 */
	err = smoothfs_closer_settle_inode(inode);
	if (err && err != -EIO)
		goto out_inode;

	err = -ENOMEM;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	reply = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!buf || !reply)
		goto out_free;
	rel = smoothfs_rel_path(inode, buf, PATH_MAX);
	smoothfs_move_inspect(inode, &mi);

	err = -EMSGSIZE;
	hdr = genlmsg_put_reply(reply, info, &smoothfs_genl_family, 0, SMOOTHFS_CMD_INSPECT);
	if (!hdr ||
	    nla_put(reply, SMOOTHFS_ATTR_OBJECT_ID, SMOOTHFS_OID_LEN, si->oid) ||
	    nla_put_u8(reply, SMOOTHFS_ATTR_CURRENT_TIER, mi.tier) ||
	    nla_put_u8(reply, SMOOTHFS_ATTR_INTENDED_TIER, mi.dest) ||
	    nla_put_u8(reply, SMOOTHFS_ATTR_MOVEMENT_STATE, mi.state) ||
	    nla_put_u8(reply, SMOOTHFS_ATTR_PIN_STATE, mi.pin) ||
	    nla_put_u32(reply, SMOOTHFS_ATTR_GENERATION, mi.generation) ||
	    nla_put_u64_64bit(reply, SMOOTHFS_ATTR_TRANSACTION_SEQ, mi.seq, SMOOTHFS_ATTR_PAD) ||
	    nla_put_u64_64bit(reply, SMOOTHFS_ATTR_WRITE_SEQ, mi.write_seq, SMOOTHFS_ATTR_PAD) ||
	    nla_put_u8(reply, SMOOTHFS_ATTR_RANGE_STAGED, 0) ||
	    (!IS_ERR(rel) && nla_put_string(reply, SMOOTHFS_ATTR_REL_PATH, rel)) ||
	    nla_put_string(reply, SMOOTHFS_ATTR_TIER_PATH, sbi->tiers[mi.tier].path))
		goto out_free;
	genlmsg_end(reply, hdr);
	err = genlmsg_reply(reply, info);
	reply = NULL;
out_free:
	nlmsg_free(reply);
	kfree(buf);
out_inode:
	iput(inode);
out_pool:
	smoothfs_pool_put(sbi);
	return err;
}

/* One message per mounted pool; cb->args[0] is the next pool's index. */
static int smoothfs_nl_list_pools(struct sk_buff *skb, struct netlink_callback *cb)
{
	return smoothfs_pools_dump(skb, cb, smoothfs_fill_pool, &smoothfs_genl_family);
}

/* Movement commands (move.c): admin only, acknowledged without a reply. */
#define SMOOTHFS_ADMIN_OP(c, fn) { \
	.cmd = (c), .doit = (fn), .policy = smoothfs_nl_policy, \
	.maxattr = SMOOTHFS_ATTR_MAX, .flags = GENL_ADMIN_PERM, }

static const struct genl_ops smoothfs_genl_ops[] = {
	{
		.cmd = SMOOTHFS_CMD_INSPECT,
		.doit = smoothfs_nl_inspect,
		.policy = smoothfs_nl_policy,
		.maxattr = SMOOTHFS_ATTR_MAX,
		.flags = GENL_ADMIN_PERM,
	},
	SMOOTHFS_ADMIN_OP(SMOOTHFS_CMD_MOVE_PLAN, smoothfs_nl_move_plan),
	SMOOTHFS_ADMIN_OP(SMOOTHFS_CMD_MOVE_CUTOVER, smoothfs_nl_move_cutover),
	SMOOTHFS_ADMIN_OP(SMOOTHFS_CMD_MOVE_ABORT, smoothfs_nl_move_abort),
	SMOOTHFS_ADMIN_OP(SMOOTHFS_CMD_REVOKE_MAPPINGS, smoothfs_nl_revoke_mappings),
	SMOOTHFS_ADMIN_OP(SMOOTHFS_CMD_QUIESCE, smoothfs_nl_quiesce),
	SMOOTHFS_ADMIN_OP(SMOOTHFS_CMD_RECONCILE, smoothfs_nl_reconcile),
	SMOOTHFS_ADMIN_OP(SMOOTHFS_CMD_TIER_DOWN, smoothfs_nl_tier_down),
	SMOOTHFS_ADMIN_OP(SMOOTHFS_CMD_REPROBE, smoothfs_nl_reprobe),
	{
		.cmd = SMOOTHFS_CMD_LIST_POOLS,
		.dumpit = smoothfs_nl_list_pools,
		.policy = smoothfs_nl_policy,
		.maxattr = SMOOTHFS_ATTR_MAX,
	},
};

static struct genl_family smoothfs_genl_family __ro_after_init = {
	.name = SMOOTHFS_GENL_FAMILY_NAME,
	.version = SMOOTHFS_GENL_FAMILY_VERSION,
	.maxattr = SMOOTHFS_ATTR_MAX,
	.netnsok = false,
	/*
	 * Not under the global genl_mutex: a cutover waits for writers and
	 * for the disks, and must neither stall every other genetlink
	 * family on the host nor the pool's other moves.  Each handler
	 * takes its own references and locks (move.c, pool.c).
	 */
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = smoothfs_genl_ops,
	.n_ops = ARRAY_SIZE(smoothfs_genl_ops),
	.mcgrps = smoothfs_mcgrps,
	.n_mcgrps = ARRAY_SIZE(smoothfs_mcgrps),
};

int __init smoothfs_netlink_init(void)
{
	return genl_register_family(&smoothfs_genl_family);
}

void smoothfs_netlink_exit(void)
{
	genl_unregister_family(&smoothfs_genl_family);
}

/* Multicast an event built by @fill; dropped when nobody listens. */
static void smoothfs_event(struct smoothfs_sb_info *sbi, u8 cmd,
			   int (*fill)(struct sk_buff *skb, const void *arg),
			   const void *arg)
{
	struct sk_buff *skb;
	void *hdr;

	if (!genl_has_listeners(&smoothfs_genl_family, &init_net, 0))
		return;
	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	hdr = genlmsg_put(skb, 0, 0, &smoothfs_genl_family, 0, cmd);
	if (!hdr ||
	    nla_put(skb, SMOOTHFS_ATTR_POOL_UUID, SMOOTHFS_UUID_LEN, &sbi->uuid) ||
	    fill(skb, arg)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_end(skb, hdr);
	genlmsg_multicast(&smoothfs_genl_family, skb, 0, 0, GFP_KERNEL);
}

struct smoothfs_spill {
	const u8 *oid;
	u8 from, to;
	u64 size;
};

static int smoothfs_fill_spill(struct sk_buff *skb, const void *arg)
{
	const struct smoothfs_spill *s = arg;

	return nla_put_u8(skb, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, 1) ||
	       nla_put(skb, SMOOTHFS_ATTR_OBJECT_ID, SMOOTHFS_OID_LEN, s->oid) ||
	       nla_put_u8(skb, SMOOTHFS_ATTR_CURRENT_TIER, s->from) ||
	       nla_put_u8(skb, SMOOTHFS_ATTR_INTENDED_TIER, s->to) ||
	       nla_put_u64_64bit(skb, SMOOTHFS_ATTR_SIZE_BYTES, s->size, SMOOTHFS_ATTR_PAD) ?
	       -EMSGSIZE : 0;
}

void smoothfs_event_spill(struct smoothfs_sb_info *sbi, const u8 *oid,
			  unsigned int from, unsigned int to, u64 size)
{
	struct smoothfs_spill s = { .oid = oid, .from = from, .to = to, .size = size };

	smoothfs_event(sbi, SMOOTHFS_EVENT_SPILL, smoothfs_fill_spill, &s);
}

void smoothfs_event_mount_ready(struct smoothfs_sb_info *sbi)
{
	smoothfs_event(sbi, SMOOTHFS_EVENT_MOUNT_READY, smoothfs_fill_pool, sbi);
}

static int smoothfs_fill_unmounted(struct sk_buff *skb, const void *arg)
{
	const struct smoothfs_sb_info *sbi = arg;

	return nla_put_string(skb, SMOOTHFS_ATTR_POOL_NAME, sbi->pool) ? -EMSGSIZE : 0;
}

void smoothfs_event_pool_unmounted(struct smoothfs_sb_info *sbi)
{
	smoothfs_event(sbi, SMOOTHFS_EVENT_POOL_UNMOUNTED, smoothfs_fill_unmounted, sbi);
}

bool smoothfs_event_has_listeners(void)
{
	return genl_has_listeners(&smoothfs_genl_family, &init_net, 0);
}

/* A whole HEAT_SAMPLE message is at most NLMSG_GOODSIZE bytes. */
#define SMOOTHFS_HEAT_MSG_PAYLOAD (NLMSG_GOODSIZE - NLMSG_HDRLEN - GENL_HDRLEN)
/* What is left for records after the POOL_UUID and the blob's header. */
#define SMOOTHFS_HEAT_MSG_ROOM \
	(SMOOTHFS_HEAT_MSG_PAYLOAD - nla_total_size(SMOOTHFS_UUID_LEN) - nla_total_size(0))

/* How many heat records fit one HEAT_SAMPLE message. */
unsigned int smoothfs_event_heat_max_records(void)
{
	return SMOOTHFS_HEAT_MSG_ROOM / SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE;
}

/*
 * One HEAT_SAMPLE message with @n records (at most
 * smoothfs_event_heat_max_records()).  0 when it was delivered, or a
 * negative errno (-ESRCH: nobody listens).
 */
int smoothfs_event_heat_sample(struct smoothfs_sb_info *sbi, const void *records,
			       unsigned int n)
{
	size_t len = (size_t)n * SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE;
	struct sk_buff *skb;
	void *hdr;

	if (WARN_ON_ONCE(len > SMOOTHFS_HEAT_MSG_ROOM))
		return -EMSGSIZE;
	skb = genlmsg_new(SMOOTHFS_HEAT_MSG_PAYLOAD, GFP_KERNEL);
	if (!skb)
		return -ENOMEM;
	hdr = genlmsg_put(skb, 0, 0, &smoothfs_genl_family, 0, SMOOTHFS_EVENT_HEAT_SAMPLE);
	if (!hdr ||
	    nla_put(skb, SMOOTHFS_ATTR_POOL_UUID, SMOOTHFS_UUID_LEN, &sbi->uuid) ||
	    nla_put(skb, SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB, len, records)) {
		nlmsg_free(skb);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return genlmsg_multicast(&smoothfs_genl_family, skb, 0, 0, GFP_KERNEL);
}

struct smoothfs_fault {
	const struct smoothfs_sb_info *sbi;
	unsigned int tier;
};

static int smoothfs_fill_tier_fault(struct sk_buff *skb, const void *arg)
{
	const struct smoothfs_fault *f = arg;

	return nla_put_string(skb, SMOOTHFS_ATTR_POOL_NAME, f->sbi->pool) ||
	       nla_put_u32(skb, SMOOTHFS_ATTR_FSID, smoothfs_fsid(f->sbi)) ||
	       nla_put_u8(skb, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, READ_ONCE(f->sbi->any_spill)) ||
	       nla_put_u8(skb, SMOOTHFS_ATTR_TIER_RANK, f->tier) ||
	       nla_put_string(skb, SMOOTHFS_ATTR_TIER_PATH, f->sbi->tiers[f->tier].path) ?
	       -EMSGSIZE : 0;
}

struct smoothfs_move_event {
	const u8 *oid;
	u8 state;
	u64 seq;
};

static int smoothfs_fill_move_state(struct sk_buff *skb, const void *arg)
{
	const struct smoothfs_move_event *m = arg;

	return nla_put(skb, SMOOTHFS_ATTR_OBJECT_ID, SMOOTHFS_OID_LEN, m->oid) ||
	       nla_put_u8(skb, SMOOTHFS_ATTR_MOVEMENT_STATE, m->state) ||
	       nla_put_u64_64bit(skb, SMOOTHFS_ATTR_TRANSACTION_SEQ, m->seq, SMOOTHFS_ATTR_PAD) ?
	       -EMSGSIZE : 0;
}

/* MOVE_STATE: POOL_UUID OBJECT_ID MOVEMENT_STATE TRANSACTION_SEQ */
void smoothfs_event_move_state(struct smoothfs_sb_info *sbi, const u8 *oid, u8 state, u64 seq)
{
	struct smoothfs_move_event m = { .oid = oid, .state = state, .seq = seq };

	smoothfs_event(sbi, SMOOTHFS_EVENT_MOVE_STATE, smoothfs_fill_move_state, &m);
}

/* TIER_FAULT: POOL_UUID POOL_NAME FSID ANY_SPILL_SINCE_MOUNT TIER_RANK TIER_PATH */
void smoothfs_event_tier_fault(struct smoothfs_sb_info *sbi, unsigned int tier)
{
	struct smoothfs_fault f = { .sbi = sbi, .tier = tier };

	smoothfs_event(sbi, SMOOTHFS_EVENT_TIER_FAULT, smoothfs_fill_tier_fault, &f);
}
