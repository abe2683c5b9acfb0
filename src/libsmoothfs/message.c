/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The pure halves of the netlink client: building requests into bytes,
 * walking datagrams, collecting a request's reply, ack and extended ack,
 * and parsing INSPECT and LIST_POOLS replies.  No sockets here, so the
 * unit tests drive all of it with crafted buffers.
 */
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "netlink.h"

static void nlmsg_freep(struct nl_msg **m)
{
	if (*m)
		nlmsg_free(*m);
}

int smoothfs__build_request(const struct smoothfs__request *req, uint16_t family, uint32_t seq,
			    void **ret, size_t *ret_len)
{
	_cleanup_(nlmsg_freep) struct nl_msg *msg = NULL;
	struct nlmsghdr *nlh;
	void *buf;
	int r = 0;

	if (!req || !ret || !ret_len)
		return -EINVAL;
	if (req->reason && strlen(req->reason) > SMOOTHFS_RECONCILE_REASON_MAX)
		return -EINVAL;

	msg = nlmsg_alloc();
	if (!msg)
		return -ENOMEM;
	if (!genlmsg_put(msg, NL_AUTO_PORT, seq, family, 0, req->dump ? NLM_F_DUMP : NLM_F_ACK,
			 req->cmd, SMOOTHFS_GENL_FAMILY_VERSION))
		return -EMSGSIZE;

	/* u64 attributes: unpadded, see netlink.h. */
	if (req->pool)
		r = r ?: nla_put(msg, SMOOTHFS_ATTR_POOL_UUID, SMOOTHFS_UUID_LEN, req->pool->bytes);
	if (req->oid)
		r = r ?: nla_put(msg, SMOOTHFS_ATTR_OBJECT_ID, SMOOTHFS_OID_LEN, req->oid->bytes);
	if (req->has_intended_tier)
		r = r ?: nla_put_u8(msg, SMOOTHFS_ATTR_INTENDED_TIER, req->intended_tier);
	if (req->has_transaction_seq)
		r = r ?: nla_put_u64(msg, SMOOTHFS_ATTR_TRANSACTION_SEQ, req->transaction_seq);
	if (req->has_write_seq)
		r = r ?: nla_put_u64(msg, SMOOTHFS_ATTR_WRITE_SEQ, req->write_seq);
	if (req->force)
		r = r ?: nla_put_u8(msg, SMOOTHFS_ATTR_FORCE, 1);
	if (req->has_tier_rank)
		r = r ?: nla_put_u8(msg, SMOOTHFS_ATTR_TIER_RANK, req->tier_rank);
	if (req->reason)
		r = r ?: nla_put_string(msg, SMOOTHFS_ATTR_RECONCILE_REASON, req->reason);
	if (r < 0)
		return -EMSGSIZE;

	nlh = nlmsg_hdr(msg);
	nlh->nlmsg_flags |= NLM_F_REQUEST;
	buf = malloc(nlh->nlmsg_len);
	if (!buf)
		return -ENOMEM;
	memcpy(buf, nlh, nlh->nlmsg_len);
	*ret_len = nlh->nlmsg_len;
	*ret = buf;
	return 0;
}

static int extack_add(void *userdata, uint16_t type, const uint8_t *data, uint16_t len)
{
	struct smoothfs__reply *r = userdata;
	const uint8_t *nul;
	size_t n;

	switch (type) {
	case NLMSGERR_ATTR_MSG:
		nul = len ? memchr(data, '\0', len) : NULL;
		if (!nul)
			break;
		n = (size_t)(nul - data);
		if (n >= sizeof(r->extack))
			n = sizeof(r->extack) - 1;
		memcpy(r->extack, data, n);
		r->extack[n] = '\0';
		break;
	case NLMSGERR_ATTR_OFFS:
		if (len == sizeof(uint32_t)) {
			memcpy(&r->offset, data, sizeof(uint32_t));
			r->has_offset = true;
		}
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (len == sizeof(uint32_t)) {
			memcpy(&r->miss_type, data, sizeof(uint32_t));
			r->has_miss_type = true;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* The extack TLVs at payload[off..len), if the message says there are some. */
static void parse_extack(struct smoothfs__reply *r, const struct nlmsghdr *nlh, const uint8_t *payload,
			 size_t len, size_t off)
{
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off > len)
		return;
	/* A malformed extack loses the message, not the errno. */
	if (smoothfs__walk_attrs(payload + off, len - off, extack_add, r) < 0) {
		r->extack[0] = '\0';
		r->has_offset = r->has_miss_type = false;
	}
}

static int reply_msg(struct smoothfs__reply *r, const uint8_t *msg, const struct nlmsghdr *nlh)
{
	const uint8_t *payload = msg + NLMSG_HDRLEN;
	size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;
	struct nlmsgerr e;
	int32_t err;
	size_t off;

	if (nlh->nlmsg_seq != r->seq)
		return 0;	/* a leftover of an earlier request */

	switch (nlh->nlmsg_type) {
	case NLMSG_ERROR:
		if (plen < sizeof(e))
			return -EBADMSG;
		memcpy(&e, payload, sizeof(e));
		if (e.error > 0)
			return -EBADMSG;
		r->error = e.error;
		r->done = true;
		/* Unless capped, the request's payload follows the header. */
		off = sizeof(e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e.msg.nlmsg_len < NLMSG_HDRLEN)
				return 0;
			off += e.msg.nlmsg_len - NLMSG_HDRLEN;
		}
		parse_extack(r, nlh, payload, plen, NLMSG_ALIGN(off));
		return 0;
	case NLMSG_DONE:
		if (!r->dump)
			return 0;
		r->done = true;
		if (plen >= sizeof(err)) {
			memcpy(&err, payload, sizeof(err));
			if (err > 0)
				return -EBADMSG;
			r->error = err;
			parse_extack(r, nlh, payload, plen, NLMSG_ALIGN(sizeof(err)));
		}
		return 0;
	default:
		if (nlh->nlmsg_type != r->family)
			return 0;	/* NLMSG_NOOP and the like */
		r->n_msgs++;
		if (r->on_msg && r->parse_error == 0) {
			int pr = r->on_msg(r->userdata, msg, nlh->nlmsg_len);

			if (pr < 0)
				r->parse_error = pr;
		}
		return 0;
	}
}

int smoothfs__walk_msgs(const void *buf, size_t len, const bool *stop,
			smoothfs__msg_fn fn, void *userdata)
{
	const uint8_t *p = buf;
	size_t pos = 0;

	while (!(stop && *stop) && len - pos >= NLMSG_HDRLEN) {
		struct nlmsghdr nlh;
		int r;

		memcpy(&nlh, p + pos, sizeof(nlh));
		if (nlh.nlmsg_len < NLMSG_HDRLEN || nlh.nlmsg_len > len - pos)
			return -EBADMSG;
		r = fn(userdata, p + pos, &nlh);
		if (r < 0)
			return r;
		if (NLMSG_ALIGN((size_t)nlh.nlmsg_len) >= len - pos)
			return 0;
		pos += NLMSG_ALIGN((size_t)nlh.nlmsg_len);
	}
	if (stop && *stop)
		return 0;
	return pos == len ? 0 : -EBADMSG;
}

static int reply_walk_fn(void *userdata, const uint8_t *msg, const struct nlmsghdr *nlh)
{
	return reply_msg(userdata, msg, nlh);
}

int smoothfs__reply_feed(struct smoothfs__reply *r, const void *buf, size_t len)
{
	if (!r || (!buf && len))
		return -EINVAL;
	return smoothfs__walk_msgs(buf, len, &r->done, reply_walk_fn, r);
}

static bool has_attrs(const struct smoothfs__attr tb[SMOOTHFS__NATTRS], const int *types, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!tb[types[i]].present)
			return false;
	return true;
}

/* One reply message of command @cmd into tb[], with @required present. */
static int parse_reply(const void *msg, size_t len, uint8_t cmd, const int *required, size_t n,
		       struct smoothfs__attr tb[SMOOTHFS__NATTRS])
{
	const uint8_t *attrs;
	size_t attrs_len;
	uint8_t got;
	int r;

	r = smoothfs__genl_msg(msg, len, &got, &attrs, &attrs_len);
	if (r < 0)
		return r;
	if (got != cmd)
		return -EBADMSG;
	r = smoothfs__parse_attrs(attrs, attrs_len, tb);
	if (r < 0)
		return r;
	return has_attrs(tb, required, n) ? 0 : -EBADMSG;
}

int smoothfs__parse_inspect_reply(const void *msg, size_t len, struct smoothfs_inspect_result *ret)
{
	static const int required[] = {
		SMOOTHFS_ATTR_OBJECT_ID, SMOOTHFS_ATTR_CURRENT_TIER, SMOOTHFS_ATTR_INTENDED_TIER,
		SMOOTHFS_ATTR_MOVEMENT_STATE, SMOOTHFS_ATTR_PIN_STATE, SMOOTHFS_ATTR_GENERATION,
		SMOOTHFS_ATTR_TRANSACTION_SEQ,
	};
	struct smoothfs__attr tb[SMOOTHFS__NATTRS];
	struct smoothfs_inspect_result res = {};
	int r;

	if (!ret)
		return -EINVAL;
	r = parse_reply(msg, len, SMOOTHFS_CMD_INSPECT, required, ELEMENTSOF(required), tb);
	if (r < 0)
		return r;

	memcpy(res.oid.bytes, tb[SMOOTHFS_ATTR_OBJECT_ID].data, SMOOTHFS_OID_LEN);
	res.current_tier = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_CURRENT_TIER]);
	res.intended_tier = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_INTENDED_TIER]);
	res.movement_state = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_MOVEMENT_STATE]);
	res.pin_state = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_PIN_STATE]);
	res.generation = smoothfs__attr_u32(&tb[SMOOTHFS_ATTR_GENERATION]);
	res.transaction_seq = smoothfs__attr_u64(&tb[SMOOTHFS_ATTR_TRANSACTION_SEQ]);
	if (tb[SMOOTHFS_ATTR_WRITE_SEQ].present) {
		res.write_seq = smoothfs__attr_u64(&tb[SMOOTHFS_ATTR_WRITE_SEQ]);
		res.has_write_seq = true;
	}
	if (tb[SMOOTHFS_ATTR_RANGE_STAGED].present)
		res.range_staged = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_RANGE_STAGED]) != 0;
	r = smoothfs__attr_strdup(&tb[SMOOTHFS_ATTR_REL_PATH], &res.rel_path);
	if (r == 0)
		r = smoothfs__attr_strdup(&tb[SMOOTHFS_ATTR_TIER_PATH], &res.current_tier_path);
	if (r < 0) {
		smoothfs_inspect_result_clear(&res);
		return r;
	}
	*ret = res;
	return 0;
}

void smoothfs_inspect_result_clear(struct smoothfs_inspect_result *r)
{
	if (!r)
		return;
	free(r->rel_path);
	r->rel_path = NULL;
	free(r->current_tier_path);
	r->current_tier_path = NULL;
}

int smoothfs__parse_pool_info(const void *msg, size_t len, struct smoothfs_pool_info *ret)
{
	static const int required[] = {
		SMOOTHFS_ATTR_POOL_UUID, SMOOTHFS_ATTR_POOL_NAME, SMOOTHFS_ATTR_FSID, SMOOTHFS_ATTR_TIERS,
	};
	struct smoothfs__attr tb[SMOOTHFS__NATTRS];
	struct smoothfs_pool_info p = {};
	int r;

	if (!ret)
		return -EINVAL;
	r = parse_reply(msg, len, SMOOTHFS_CMD_LIST_POOLS, required, ELEMENTSOF(required), tb);
	if (r < 0)
		return r;

	memcpy(p.uuid.bytes, tb[SMOOTHFS_ATTR_POOL_UUID].data, SMOOTHFS_UUID_LEN);
	p.fsid = smoothfs__attr_u32(&tb[SMOOTHFS_ATTR_FSID]);
	if (tb[SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT].present)
		p.any_spill_since_mount = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT]) != 0;
	r = smoothfs__parse_tiers(&tb[SMOOTHFS_ATTR_TIERS], &p.tiers, &p.n_tiers);
	if (r < 0)
		return r;
	r = smoothfs__attr_strdup(&tb[SMOOTHFS_ATTR_POOL_NAME], &p.name);
	if (r < 0) {
		smoothfs__tiers_free(p.tiers, p.n_tiers);
		return r;
	}
	*ret = p;
	return 0;
}

void smoothfs_pool_info_free(struct smoothfs_pool_info *pools, size_t n)
{
	if (!pools)
		return;
	for (size_t i = 0; i < n; i++) {
		free(pools[i].name);
		smoothfs__tiers_free(pools[i].tiers, pools[i].n_tiers);
	}
	free(pools);
}
