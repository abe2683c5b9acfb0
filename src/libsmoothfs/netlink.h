/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Private to libsmoothfs: the pure (socket-free) halves of the generic
 * netlink client, shared by client.c and event.c and reached directly by
 * the unit tests.  Everything here works on byte buffers.
 *
 * Wire decisions, in one place:
 *  - Requests carry the family id, version SMOOTHFS_GENL_FAMILY_VERSION,
 *    NLM_F_REQUEST|NLM_F_ACK (a dump: NLM_F_REQUEST|NLM_F_DUMP, since the
 *    kernel never acks a dump that started).
 *  - u64 attributes are sent unpadded (nla_put_u64; attributes are 4-byte
 *    aligned).  libnl 3.7 has no nla_put_u64_64bit, the kernel reads u64
 *    attributes with a memcpy-based nla_get_u64 whatever their alignment,
 *    and not sending SMOOTHFS_ATTR_PAD keeps requests valid under strict
 *    policy validation whatever the kernel's policy says about PAD.  The
 *    decoders accept SMOOTHFS_ATTR_PAD (any length) and skip it.
 *  - Received attributes are checked against one policy table (exact
 *    length for integers and 16-byte ids, NUL inside the attribute and a
 *    maximum length for strings, a multiple of 56 for the heat blob);
 *    unknown attribute types are skipped; the nested TIERS attribute is
 *    validated when it is decoded.  A duplicate attribute: the last wins,
 *    as in the kernel's nla_parse().
 */
#ifndef SMOOTHFS_NETLINK_H
#define SMOOTHFS_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* One received attribute, after policy validation. */
struct smoothfs__attr {
	const uint8_t *data;
	uint16_t len;
	bool present;
};

#define SMOOTHFS__NATTRS (SMOOTHFS_ATTR_MAX + 1)

/*
 * Calls fn for each attribute of buf[0..len) (type with the NLA_F_* flags
 * masked); stops at fn's first negative return.  -EBADMSG for a truncated
 * header or an nla_len outside the buffer.
 */
typedef int (*smoothfs__attr_fn)(void *userdata, uint16_t type, const uint8_t *data, uint16_t len);
_hidden_ int smoothfs__walk_attrs(const void *buf, size_t len, smoothfs__attr_fn fn, void *userdata);

/*
 * Walks the attributes in buf[0..len) into tb[] (indexed by type, flags
 * masked), validating every known one against the policy.  -EBADMSG for
 * a truncated or mis-sized attribute.
 */
_hidden_ int smoothfs__parse_attrs(const void *buf, size_t len, struct smoothfs__attr tb[SMOOTHFS__NATTRS]);

/*
 * Checks the nlmsghdr (nlmsg_len within len) and the genlmsghdr of one
 * message and returns its command and the bounds of its attributes.
 */
_hidden_ int smoothfs__genl_msg(const void *msg, size_t len, uint8_t *ret_cmd,
				const uint8_t **ret_attrs, size_t *ret_attrs_len);

_hidden_ uint8_t smoothfs__attr_u8(const struct smoothfs__attr *a);
_hidden_ uint32_t smoothfs__attr_u32(const struct smoothfs__attr *a);
_hidden_ uint64_t smoothfs__attr_u64(const struct smoothfs__attr *a);
/* A validated string attribute (NUL inside) -> a malloc'd copy; NULL if absent. */
_hidden_ int smoothfs__attr_strdup(const struct smoothfs__attr *a, char **ret);

/* The TIERS nest: 1..SMOOTHFS_MAX_TIERS entries, sorted by rank (malloc'd). */
_hidden_ int smoothfs__parse_tiers(const struct smoothfs__attr *nest, struct smoothfs_tier **ret,
				   size_t *ret_n);
_hidden_ void smoothfs__tiers_free(struct smoothfs_tier *tiers, size_t n);

/* A SMOOTHFS_CMD_INSPECT reply (whole netlink message). */
_hidden_ int smoothfs__parse_inspect_reply(const void *msg, size_t len,
					   struct smoothfs_inspect_result *ret);
/* One message of the SMOOTHFS_CMD_LIST_POOLS dump. */
_hidden_ int smoothfs__parse_pool_info(const void *msg, size_t len, struct smoothfs_pool_info *ret);

/* What a request carries; absent optional fields are not sent. */
struct smoothfs__request {
	uint8_t cmd;
	bool dump;			/* NLM_F_DUMP instead of NLM_F_ACK */
	const smoothfs_uuid_t *pool;	/* POOL_UUID */
	const smoothfs_oid_t *oid;	/* OBJECT_ID */
	bool has_intended_tier;
	uint8_t intended_tier;		/* INTENDED_TIER */
	bool has_transaction_seq;
	uint64_t transaction_seq;	/* TRANSACTION_SEQ */
	bool has_write_seq;
	uint64_t write_seq;		/* WRITE_SEQ */
	bool force;			/* FORCE = 1 when true */
	bool has_tier_rank;
	uint8_t tier_rank;		/* TIER_RANK */
	const char *reason;		/* RECONCILE_REASON */
};

/*
 * The bytes of a request (nlmsghdr with port 0 and sequence seq,
 * genlmsghdr, attributes), malloc'd.  -EINVAL for an over-long reason.
 */
_hidden_ int smoothfs__build_request(const struct smoothfs__request *req, uint16_t family,
				     uint32_t seq, void **ret, size_t *ret_len);

/* Longest extack message kept (longer ones are cut). */
#define SMOOTHFS__EXTACK_MAX 256

/*
 * The replies to one request, fed one datagram at a time.  Messages with
 * another sequence number (leftovers of an interrupted earlier request)
 * are skipped.  Messages of the family go to on_msg; the first error it
 * returns is kept in parse_error, and the replies are still consumed to
 * their end so the socket stays in step.
 */
struct smoothfs__reply {
	/* in */
	uint32_t seq;
	uint16_t family;
	bool dump;
	int (*on_msg)(void *userdata, const void *msg, size_t len);
	void *userdata;
	/* out */
	bool done;			/* ack, error or NLMSG_DONE seen */
	int error;			/* the kernel's errno (<= 0) */
	int parse_error;		/* first on_msg() failure */
	unsigned int n_msgs;		/* messages handed to on_msg */
	char extack[SMOOTHFS__EXTACK_MAX];	/* NLMSGERR_ATTR_MSG, "" if none */
	bool has_offset;
	uint32_t offset;		/* NLMSGERR_ATTR_OFFS */
	bool has_miss_type;
	uint32_t miss_type;		/* NLMSGERR_ATTR_MISS_TYPE */
};

/* 0, or -EBADMSG for a datagram that does not frame. */
_hidden_ int smoothfs__reply_feed(struct smoothfs__reply *r, const void *buf, size_t len);

/*
 * For tests: a client over existing sockets (taken over, closed by
 * smoothfs_client_close(); ev_fd may be -1), e.g. SOCK_SEQPACKET
 * socketpairs whose other ends play the kernel.  The next request gets
 * sequence number seq + 1.
 */
_hidden_ int smoothfs__client_new_fds(int fd, int ev_fd, uint16_t family, uint32_t seq,
				      smoothfs_client **ret);

#endif /* SMOOTHFS_NETLINK_H */
