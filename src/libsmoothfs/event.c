/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Decoding what the kernel sends: attribute validation, the TIERS nest,
 * and the multicast events.  Pure functions over byte buffers; every read
 * is bounds-checked and goes through memcpy (a buffer may be unaligned),
 * so arbitrary input is safe (a libFuzzer target runs on
 * smoothfs_decode_event()).
 *
 * Required attributes per event (a missing one is -EBADMSG; the others
 * take their zero value when absent):
 *   MOUNT_READY     POOL_UUID POOL_NAME FSID TIERS     [ANY_SPILL_SINCE_MOUNT]
 *   HEAT_SAMPLE     POOL_UUID HEAT_SAMPLE_BLOB (0 records is fine)
 *   MOVE_STATE      POOL_UUID OBJECT_ID MOVEMENT_STATE TRANSACTION_SEQ
 *   TIER_FAULT      POOL_UUID TIER_RANK                [POOL_NAME FSID ANY_SPILL_SINCE_MOUNT]
 *   SPILL           POOL_UUID OBJECT_ID CURRENT_TIER INTENDED_TIER SIZE_BYTES
 *                                                      [ANY_SPILL_SINCE_MOUNT]
 *   POOL_UNMOUNTED  POOL_UUID                          [POOL_NAME]
 * TIERS holds 1..SMOOTHFS_MAX_TIERS entries (any nla type; the kernel uses
 * index + 1), each with TIER_RANK (< SMOOTHFS_MAX_TIERS, no duplicates)
 * and TIER_PATH, TIER_CAPS defaulting to 0; they are returned by rank.
 * The family version in the genlmsghdr is not checked: version 1 is the
 * only one, and decoders skip what they do not know.
 */
#include <limits.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "netlink.h"

enum policy_kind {
	P_IGNORE = 0,	/* unknown to this decoder (or PAD): not validated */
	P_U8,
	P_U32,
	P_U64,
	P_ID16,
	P_STRING,	/* NUL inside the attribute, strlen <= max */
	P_NESTED,
	P_HEAT_BLOB,
};

static const struct {
	uint8_t kind;
	uint16_t max;
} policy[SMOOTHFS__NATTRS] = {
	[SMOOTHFS_ATTR_POOL_UUID] = { P_ID16, 0 },
	[SMOOTHFS_ATTR_POOL_NAME] = { P_STRING, SMOOTHFS_POOL_NAME_MAX },
	[SMOOTHFS_ATTR_FSID] = { P_U32, 0 },
	[SMOOTHFS_ATTR_TIER_RANK] = { P_U8, 0 },
	[SMOOTHFS_ATTR_TIER_CAPS] = { P_U32, 0 },
	[SMOOTHFS_ATTR_TIER_PATH] = { P_STRING, PATH_MAX - 1 },
	[SMOOTHFS_ATTR_TIER_ID] = { P_STRING, 64 },
	[SMOOTHFS_ATTR_OBJECT_ID] = { P_ID16, 0 },
	[SMOOTHFS_ATTR_GENERATION] = { P_U32, 0 },
	[SMOOTHFS_ATTR_MOVEMENT_STATE] = { P_U8, 0 },
	[SMOOTHFS_ATTR_CURRENT_TIER] = { P_U8, 0 },
	[SMOOTHFS_ATTR_INTENDED_TIER] = { P_U8, 0 },
	[SMOOTHFS_ATTR_TRANSACTION_SEQ] = { P_U64, 0 },
	[SMOOTHFS_ATTR_PIN_STATE] = { P_U8, 0 },
	[SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB] = { P_HEAT_BLOB, 0 },
	[SMOOTHFS_ATTR_CHECKPOINT_SEQ] = { P_U64, 0 },
	[SMOOTHFS_ATTR_RECONCILE_REASON] = { P_STRING, SMOOTHFS_RECONCILE_REASON_MAX },
	[SMOOTHFS_ATTR_TIERS] = { P_NESTED, 0 },
	[SMOOTHFS_ATTR_REL_PATH] = { P_STRING, PATH_MAX - 1 },
	[SMOOTHFS_ATTR_FORCE] = { P_U8, 0 },
	[SMOOTHFS_ATTR_SIZE_BYTES] = { P_U64, 0 },
	[SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT] = { P_U8, 0 },
	[SMOOTHFS_ATTR_WRITE_SEQ] = { P_U64, 0 },
	[SMOOTHFS_ATTR_RANGE_STAGED] = { P_U8, 0 },
	[SMOOTHFS_ATTR_PAD] = { P_IGNORE, 0 },
};

static int validate_attr(uint16_t type, const uint8_t *data, uint16_t len)
{
	const uint8_t *nul;

	switch (policy[type].kind) {
	case P_U8:
		return len == 1 ? 0 : -EBADMSG;
	case P_U32:
		return len == 4 ? 0 : -EBADMSG;
	case P_U64:
		return len == 8 ? 0 : -EBADMSG;
	case P_ID16:
		return len == 16 ? 0 : -EBADMSG;
	case P_STRING:
		nul = len ? memchr(data, '\0', len) : NULL;
		if (!nul || (size_t)(nul - data) > policy[type].max)
			return -EBADMSG;
		return 0;
	case P_HEAT_BLOB:
		return len % SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE == 0 ? 0 : -EBADMSG;
	default:
		return 0;
	}
}

/*
 * Every header must be whole, every nla_len at least the header and within
 * what is left; the alignment padding of the last attribute may be missing.
 */
int smoothfs__walk_attrs(const void *attrs, size_t len, smoothfs__attr_fn fn, void *userdata)
{
	const uint8_t *buf = attrs;
	size_t pos = 0;

	while (len - pos >= NLA_HDRLEN) {
		struct nlattr nla;
		int r;

		memcpy(&nla, buf + pos, sizeof(nla));
		if (nla.nla_len < NLA_HDRLEN || nla.nla_len > len - pos)
			return -EBADMSG;
		r = fn(userdata, nla.nla_type & NLA_TYPE_MASK, buf + pos + NLA_HDRLEN,
		       (uint16_t)(nla.nla_len - NLA_HDRLEN));
		if (r < 0)
			return r;
		/* The padding of the last attribute may be missing. */
		if (NLA_ALIGN((size_t)nla.nla_len) >= len - pos)
			return 0;
		pos += NLA_ALIGN((size_t)nla.nla_len);
	}
	/* 1-3 bytes left: a truncated attribute header. */
	return pos == len ? 0 : -EBADMSG;
}

static int table_add(void *userdata, uint16_t type, const uint8_t *data, uint16_t len)
{
	struct smoothfs__attr *tb = userdata;
	int r;

	if (type >= SMOOTHFS__NATTRS)
		return 0;
	r = validate_attr(type, data, len);
	if (r < 0)
		return r;
	tb[type] = (struct smoothfs__attr){ .data = data, .len = len, .present = true };
	return 0;
}

int smoothfs__parse_attrs(const void *buf, size_t len, struct smoothfs__attr tb[SMOOTHFS__NATTRS])
{
	memset(tb, 0, sizeof(*tb) * SMOOTHFS__NATTRS);
	return smoothfs__walk_attrs(buf, len, table_add, tb);
}

int smoothfs__genl_msg(const void *msg, size_t len, uint8_t *ret_cmd, const uint8_t **ret_attrs,
		       size_t *ret_attrs_len)
{
	const uint8_t *p = msg;
	struct nlmsghdr nlh;
	struct genlmsghdr genl;
	size_t hdrs = NLMSG_HDRLEN + GENL_HDRLEN;

	if (!msg || len < hdrs)
		return -EBADMSG;
	memcpy(&nlh, p, sizeof(nlh));
	/* Never trust nlmsg_len beyond the buffer. */
	if (nlh.nlmsg_len < hdrs || nlh.nlmsg_len > len)
		return -EBADMSG;
	memcpy(&genl, p + NLMSG_HDRLEN, sizeof(genl));
	*ret_cmd = genl.cmd;
	*ret_attrs = p + hdrs;
	*ret_attrs_len = nlh.nlmsg_len - hdrs;
	return 0;
}

uint8_t smoothfs__attr_u8(const struct smoothfs__attr *a)
{
	return a->data[0];
}

uint32_t smoothfs__attr_u32(const struct smoothfs__attr *a)
{
	uint32_t v;

	memcpy(&v, a->data, sizeof(v));
	return v;
}

uint64_t smoothfs__attr_u64(const struct smoothfs__attr *a)
{
	uint64_t v;

	memcpy(&v, a->data, sizeof(v));
	return v;
}

int smoothfs__attr_strdup(const struct smoothfs__attr *a, char **ret)
{
	char *s = NULL;

	if (a->present) {
		s = strdup((const char *)a->data);
		if (!s)
			return -ENOMEM;
	}
	*ret = s;
	return 0;
}

void smoothfs__tiers_free(struct smoothfs_tier *tiers, size_t n)
{
	if (!tiers)
		return;
	for (size_t i = 0; i < n; i++)
		free(tiers[i].path);
	free(tiers);
}

struct tiers_ctx {
	struct smoothfs_tier tiers[SMOOTHFS_MAX_TIERS];
	size_t n;
};

static int tiers_add(void *userdata, uint16_t type, const uint8_t *data, uint16_t len)
{
	struct tiers_ctx *ctx = userdata;
	struct smoothfs__attr tb[SMOOTHFS__NATTRS];
	struct smoothfs_tier t = {};
	int r;

	if (ctx->n >= SMOOTHFS_MAX_TIERS)
		return -EBADMSG;
	r = smoothfs__parse_attrs(data, len, tb);
	if (r < 0)
		return r;
	if (!tb[SMOOTHFS_ATTR_TIER_RANK].present || !tb[SMOOTHFS_ATTR_TIER_PATH].present)
		return -EBADMSG;
	t.rank = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_TIER_RANK]);
	if (t.rank >= SMOOTHFS_MAX_TIERS)
		return -EBADMSG;
	for (size_t i = 0; i < ctx->n; i++)
		if (ctx->tiers[i].rank == t.rank)
			return -EBADMSG;
	if (tb[SMOOTHFS_ATTR_TIER_CAPS].present)
		t.caps = smoothfs__attr_u32(&tb[SMOOTHFS_ATTR_TIER_CAPS]);
	r = smoothfs__attr_strdup(&tb[SMOOTHFS_ATTR_TIER_PATH], &t.path);
	if (r < 0)
		return r;
	ctx->tiers[ctx->n++] = t;
	return 0;
}

int smoothfs__parse_tiers(const struct smoothfs__attr *nest, struct smoothfs_tier **ret, size_t *ret_n)
{
	struct tiers_ctx ctx = {};
	struct smoothfs_tier *tiers;
	int r;

	if (!nest->present)
		return -EBADMSG;
	r = smoothfs__walk_attrs(nest->data, nest->len, tiers_add, &ctx);
	if (r == 0 && ctx.n == 0)
		r = -EBADMSG;
	if (r < 0)
		goto fail;

	/* By rank (at most eight: insertion sort). */
	for (size_t i = 1; i < ctx.n; i++)
		for (size_t j = i; j > 0 && ctx.tiers[j - 1].rank > ctx.tiers[j].rank; j--) {
			struct smoothfs_tier t = ctx.tiers[j];

			ctx.tiers[j] = ctx.tiers[j - 1];
			ctx.tiers[j - 1] = t;
		}

	tiers = calloc(ctx.n, sizeof(*tiers));
	if (!tiers) {
		r = -ENOMEM;
		goto fail;
	}
	memcpy(tiers, ctx.tiers, ctx.n * sizeof(*tiers));
	*ret = tiers;
	*ret_n = ctx.n;
	return 0;

fail:
	for (size_t i = 0; i < ctx.n; i++)
		free(ctx.tiers[i].path);
	return r;
}

static uint32_t le32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64_at(const uint8_t *p)
{
	return (uint64_t)le32_at(p) | (uint64_t)le32_at(p + 4) << 32;
}

static int parse_heat_blob(const struct smoothfs__attr *a, struct smoothfs_heat_sample **ret,
			   size_t *ret_n)
{
	struct smoothfs_heat_sample *s = NULL;
	size_t n = a->len / SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE;

	if (a->len % SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE)
		return -EBADMSG;
	if (n > 0) {
		s = calloc(n, sizeof(*s));
		if (!s)
			return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *rec = a->data + i * SMOOTHFS_HEAT_SAMPLE_RECORD_SIZE;

		/* struct smoothfs_heat_sample_record, little-endian. */
		memcpy(s[i].oid.bytes, rec, SMOOTHFS_OID_LEN);
		s[i].open_count_delta = le32_at(rec + 16);
		/* rec + 20: reserved */
		s[i].read_bytes_delta = le64_at(rec + 24);
		s[i].write_bytes_delta = le64_at(rec + 32);
		s[i].last_access_ns = le64_at(rec + 40);
		s[i].sample_window_ns = le64_at(rec + 48);
	}
	*ret = s;
	*ret_n = n;
	return 0;
}

void smoothfs_event_free(struct smoothfs_event *ev)
{
	if (!ev)
		return;
	free(ev->pool_name);
	smoothfs__tiers_free(ev->tiers, ev->n_tiers);
	free(ev->heat_samples);
	free(ev);
}

static void event_freep(struct smoothfs_event **ev)
{
	smoothfs_event_free(*ev);
}

/* Required attributes of each event, as a bit mask of attribute types. */
#define A(x) (UINT64_C(1) << SMOOTHFS_ATTR_##x)
static uint64_t required_attrs(uint8_t type)
{
	switch (type) {
	case SMOOTHFS_EVENT_MOUNT_READY:
		return A(POOL_UUID) | A(POOL_NAME) | A(FSID) | A(TIERS);
	case SMOOTHFS_EVENT_HEAT_SAMPLE:
		return A(POOL_UUID) | A(HEAT_SAMPLE_BLOB);
	case SMOOTHFS_EVENT_MOVE_STATE:
		return A(POOL_UUID) | A(OBJECT_ID) | A(MOVEMENT_STATE) | A(TRANSACTION_SEQ);
	case SMOOTHFS_EVENT_TIER_FAULT:
		return A(POOL_UUID) | A(TIER_RANK);
	case SMOOTHFS_EVENT_SPILL:
		return A(POOL_UUID) | A(OBJECT_ID) | A(CURRENT_TIER) | A(INTENDED_TIER) |
		       A(SIZE_BYTES);
	case SMOOTHFS_EVENT_POOL_UNMOUNTED:
		return A(POOL_UUID);
	default:
		return 0;
	}
}
#undef A

static bool has_required(const struct smoothfs__attr tb[SMOOTHFS__NATTRS], uint64_t mask)
{
	for (unsigned int t = 0; t < SMOOTHFS__NATTRS; t++)
		if ((mask & (UINT64_C(1) << t)) && !tb[t].present)
			return false;
	return true;
}

int smoothfs_decode_event(const void *msg, size_t len, struct smoothfs_event **ret)
{
	_cleanup_(event_freep) struct smoothfs_event *ev = NULL;
	struct smoothfs__attr tb[SMOOTHFS__NATTRS];
	const uint8_t *attrs;
	size_t attrs_len;
	uint64_t required;
	uint8_t cmd;
	int r;

	if (!ret)
		return -EINVAL;
	r = smoothfs__genl_msg(msg, len, &cmd, &attrs, &attrs_len);
	if (r < 0)
		return r;
	required = required_attrs(cmd);
	if (!required) {
		/* A command or an event from a newer kernel. */
		*ret = NULL;
		return 0;
	}
	r = smoothfs__parse_attrs(attrs, attrs_len, tb);
	if (r < 0)
		return r;
	if (!has_required(tb, required))
		return -EBADMSG;

	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	ev->type = cmd;
	memcpy(ev->pool_uuid.bytes, tb[SMOOTHFS_ATTR_POOL_UUID].data, SMOOTHFS_UUID_LEN);
	r = smoothfs__attr_strdup(&tb[SMOOTHFS_ATTR_POOL_NAME], &ev->pool_name);
	if (r < 0)
		return r;
	if (tb[SMOOTHFS_ATTR_FSID].present)
		ev->fsid = smoothfs__attr_u32(&tb[SMOOTHFS_ATTR_FSID]);
	if (tb[SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT].present)
		ev->any_spill_since_mount = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT]) != 0;

	switch (cmd) {
	case SMOOTHFS_EVENT_MOUNT_READY:
		r = smoothfs__parse_tiers(&tb[SMOOTHFS_ATTR_TIERS], &ev->tiers, &ev->n_tiers);
		if (r < 0)
			return r;
		break;
	case SMOOTHFS_EVENT_HEAT_SAMPLE:
		r = parse_heat_blob(&tb[SMOOTHFS_ATTR_HEAT_SAMPLE_BLOB], &ev->heat_samples,
				    &ev->n_heat_samples);
		if (r < 0)
			return r;
		break;
	case SMOOTHFS_EVENT_MOVE_STATE:
		memcpy(ev->move.oid.bytes, tb[SMOOTHFS_ATTR_OBJECT_ID].data, SMOOTHFS_OID_LEN);
		ev->move.new_state = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_MOVEMENT_STATE]);
		ev->move.transaction_seq = smoothfs__attr_u64(&tb[SMOOTHFS_ATTR_TRANSACTION_SEQ]);
		break;
	case SMOOTHFS_EVENT_TIER_FAULT:
		ev->tier.tier_rank = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_TIER_RANK]);
		break;
	case SMOOTHFS_EVENT_SPILL:
		memcpy(ev->spill.oid.bytes, tb[SMOOTHFS_ATTR_OBJECT_ID].data, SMOOTHFS_OID_LEN);
		ev->spill.source_tier = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_CURRENT_TIER]);
		ev->spill.dest_tier = smoothfs__attr_u8(&tb[SMOOTHFS_ATTR_INTENDED_TIER]);
		ev->spill.size_bytes = smoothfs__attr_u64(&tb[SMOOTHFS_ATTR_SIZE_BYTES]);
		break;
	default:
		break;
	}

	*ret = TAKE_PTR(ev);
	return 1;
}
