/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A tiny netlink message builder for the unit tests: messages, generic
 * netlink headers, attributes (well-formed or deliberately not) and nests,
 * appended into one buffer (several messages make one datagram).
 * Include after <cmocka.h>.
 */
#ifndef SMOOTHFS_TESTS_NLMSG_BUILDER_H
#define SMOOTHFS_TESTS_NLMSG_BUILDER_H

#include <stdint.h>
#include <string.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

struct mb {
	uint8_t b[16384];
	size_t len;
	size_t msg;		/* start of the current message */
	size_t nest[4];
	int depth;
};

static inline void mb_put(struct mb *m, const void *data, size_t len)
{
	assert_true(m->len + len <= sizeof(m->b));
	if (len)
		memcpy(m->b + m->len, data, len);
	m->len += len;
}

static inline void mb_pad(struct mb *m)
{
	static const uint8_t zero[4];

	mb_put(m, zero, NLA_ALIGN(m->len) - m->len);
}

static inline void mb_reset(struct mb *m)
{
	memset(m, 0, sizeof(*m));
}

/* Starts a message (appended to what is there: several per datagram). */
static inline void mb_msg(struct mb *m, uint16_t type, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr nlh = { .nlmsg_type = type, .nlmsg_flags = flags, .nlmsg_seq = seq };

	m->msg = m->len;
	mb_put(m, &nlh, sizeof(nlh));
}

static inline void mb_genl(struct mb *m, uint16_t type, uint16_t flags, uint32_t seq, uint8_t cmd)
{
	struct genlmsghdr g = { .cmd = cmd, .version = SMOOTHFS_GENL_FAMILY_VERSION };

	mb_msg(m, type, flags, seq);
	mb_put(m, &g, sizeof(g));
}

static inline void mb_attr_raw(struct mb *m, uint16_t type, uint16_t nla_len, const void *data, size_t len)
{
	struct nlattr nla = { .nla_len = nla_len, .nla_type = type };

	mb_put(m, &nla, sizeof(nla));
	mb_put(m, data, len);
	mb_pad(m);
}

static inline void mb_attr(struct mb *m, uint16_t type, const void *data, size_t len)
{
	mb_attr_raw(m, type, (uint16_t)(NLA_HDRLEN + len), data, len);
}

static inline void mb_u8(struct mb *m, uint16_t type, uint8_t v)
{
	mb_attr(m, type, &v, 1);
}

static inline void mb_u32(struct mb *m, uint16_t type, uint32_t v)
{
	mb_attr(m, type, &v, 4);
}

static inline void mb_u64(struct mb *m, uint16_t type, uint64_t v)
{
	mb_attr(m, type, &v, 8);
}

static inline void mb_str(struct mb *m, uint16_t type, const char *s)
{
	mb_attr(m, type, s, strlen(s) + 1);
}

static inline void mb_nest_start(struct mb *m, uint16_t type)
{
	struct nlattr nla = { .nla_len = 0, .nla_type = type | NLA_F_NESTED };

	assert_true(m->depth < 4);
	m->nest[m->depth++] = m->len;
	mb_put(m, &nla, sizeof(nla));
}

static inline void mb_nest_end(struct mb *m)
{
	size_t start = m->nest[--m->depth];
	uint16_t len = (uint16_t)(m->len - start);

	memcpy(m->b + start, &len, sizeof(len));
}

/* Ends the current message: sets its nlmsg_len. */
static inline void mb_end(struct mb *m)
{
	uint32_t len = (uint32_t)(m->len - m->msg);

	memcpy(m->b + m->msg, &len, sizeof(len));
}

/* Replies of the kernel; FAMILY is the test's family id. */
/* An ack or error: NLMSG_ERROR, capped unless orig is given. */
static inline void mb_error(struct mb *m, uint32_t seq, int error, const void *orig, size_t orig_len,
		     const char *msg, int offs, int miss_type)
{
	struct nlmsgerr e = { .error = error };
	uint16_t flags = 0;

	e.msg.nlmsg_len = orig ? (uint32_t)orig_len : NLMSG_HDRLEN + GENL_HDRLEN;
	e.msg.nlmsg_type = FAMILY;
	e.msg.nlmsg_seq = seq;
	if (orig)
		memcpy(&e.msg, orig, sizeof(e.msg));
	else
		flags |= NLM_F_CAPPED;
	if (msg || offs >= 0 || miss_type >= 0)
		flags |= NLM_F_ACK_TLVS;
	mb_msg(m, NLMSG_ERROR, flags, seq);
	mb_put(m, &e, sizeof(e));
	if (orig)
		mb_put(m, (const uint8_t *)orig + NLMSG_HDRLEN, orig_len - NLMSG_HDRLEN);
	mb_pad(m);
	if (msg)
		mb_str(m, NLMSGERR_ATTR_MSG, msg);
	if (offs >= 0)
		mb_u32(m, NLMSGERR_ATTR_OFFS, (uint32_t)offs);
	if (miss_type >= 0)
		mb_u32(m, NLMSGERR_ATTR_MISS_TYPE, (uint32_t)miss_type);
	mb_end(m);
}

static inline void mb_ack(struct mb *m, uint32_t seq)
{
	mb_error(m, seq, 0, NULL, 0, NULL, -1, -1);
}

static inline void mb_done(struct mb *m, uint32_t seq, int error, const char *msg)
{
	int32_t e = error;

	mb_msg(m, NLMSG_DONE, NLM_F_MULTI | (msg ? NLM_F_ACK_TLVS : 0), seq);
	mb_put(m, &e, sizeof(e));
	if (msg)
		mb_str(m, NLMSGERR_ATTR_MSG, msg);
	mb_end(m);
}

#endif /* SMOOTHFS_TESTS_NLMSG_BUILDER_H */
