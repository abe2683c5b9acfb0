// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The netlink client without a kernel: request encoding (byte by byte),
 * the reply parsers (inspect, list_pools), the reply loop (acks, errors,
 * extack, stale sequence numbers, dumps), argument validation, per-thread
 * last errors, and event reception.  The public commands run against a
 * SOCK_SEQPACKET socketpair whose other end plays the kernel: replies are
 * queued before the call (the next sequence number is known), the request
 * is read back after it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "netlink.h"

#define FAMILY 0x1c
#define SEQ0 1000U

#include "nlmsg-builder.h"


/* --- fixtures --------------------------------------------------------------- */

static const smoothfs_uuid_t POOL = { { 0x01, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0x7e, 0x5f,
					 0x8a, 0x9b, 0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b } };
static const smoothfs_oid_t OID = { { 0x01, 0x92, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x42 } };
static const smoothfs_oid_t OID2 = { { 0xff } };

struct fake {
	smoothfs_client *c;
	int kfd;		/* the kernel's end of the command socket */
	int kev;		/* the kernel's end of the event socket */
	int ev_fd;		/* the client's end */
	uint32_t seq;		/* the sequence number of the next request */
};

static int setup(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	int cmd[2], ev[2];

	assert_non_null(f);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cmd), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ev), 0);
	assert_int_equal(smoothfs__client_new_fds(cmd[0], ev[0], FAMILY, SEQ0, &f->c), 0);
	f->kfd = cmd[1];
	f->kev = ev[1];
	f->ev_fd = ev[0];
	f->seq = SEQ0 + 1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fake *f = *state;

	assert_null(smoothfs_client_close(f->c));
	close(f->kfd);
	close(f->kev);
	free(f);
	return 0;
}

static void k_send(int fd, const struct mb *m)
{
	assert_int_equal(send(fd, m->b, m->len, 0), (ssize_t)m->len);
}

/* Queues an ack for the next request. */
static void k_ack_next(struct fake *f)
{
	struct mb m;

	mb_reset(&m);
	mb_ack(&m, f->seq);
	k_send(f->kfd, &m);
}

/* The request the client sent (exactly one), or -EAGAIN. */
static ssize_t k_recv(struct fake *f, uint8_t *buf, size_t size)
{
	ssize_t n = recv(f->kfd, buf, size, MSG_DONTWAIT);

	return n < 0 ? -errno : n;
}

/* --- checking a request ------------------------------------------------------ */

struct want_attr {
	uint16_t type;
	uint16_t len;			/* payload */
	const void *data;
};

static void check_request(const uint8_t *buf, size_t len, uint8_t cmd, uint16_t flags, uint32_t seq,
			  const struct want_attr *want, size_t n_want)
{
	struct nlmsghdr nlh;
	struct genlmsghdr g;
	size_t pos;

	assert_true(len >= NLMSG_HDRLEN + GENL_HDRLEN);
	memcpy(&nlh, buf, sizeof(nlh));
	assert_int_equal(nlh.nlmsg_len, len);
	assert_int_equal(nlh.nlmsg_type, FAMILY);
	assert_int_equal(nlh.nlmsg_flags, flags);
	assert_int_equal(nlh.nlmsg_seq, seq);
	assert_int_equal(nlh.nlmsg_pid, 0);
	memcpy(&g, buf + NLMSG_HDRLEN, sizeof(g));
	assert_int_equal(g.cmd, cmd);
	assert_int_equal(g.version, SMOOTHFS_GENL_FAMILY_VERSION);
	assert_int_equal(g.reserved, 0);

	pos = NLMSG_HDRLEN + GENL_HDRLEN;
	for (size_t i = 0; i < n_want; i++) {
		struct nlattr nla;

		assert_true(pos + NLA_HDRLEN <= len);
		memcpy(&nla, buf + pos, sizeof(nla));
		assert_int_equal(nla.nla_type, want[i].type);
		assert_int_equal(nla.nla_len, NLA_HDRLEN + want[i].len);
		assert_memory_equal(buf + pos + NLA_HDRLEN, want[i].data, want[i].len);
		pos += NLA_ALIGN(nla.nla_len);
		assert_true(pos <= len);
	}
	/* Nothing else: no PAD, no stray attribute. */
	assert_int_equal(pos, len);
}

static const uint8_t U8_1 = 1, U8_2 = 2, U8_7 = 7;
static const uint64_t U64_SEQ = UINT64_C(0x1122334455667788), U64_WSEQ = 99;

#define W_POOL { SMOOTHFS_ATTR_POOL_UUID, 16, POOL.bytes }
#define W_OID { SMOOTHFS_ATTR_OBJECT_ID, 16, OID.bytes }
#define W_SEQ { SMOOTHFS_ATTR_TRANSACTION_SEQ, 8, &U64_SEQ }

/* One public command, what it must send, with an ack queued. */
struct cmd_case {
	const char *name;
	int (*call)(smoothfs_client *c);
	uint8_t cmd;
	uint16_t flags;
	struct want_attr want[6];
	size_t n_want;
};

static int call_inspect(smoothfs_client *c)
{
	struct smoothfs_inspect_result r;

	return smoothfs_inspect(c, &POOL, &OID, &r);
}

static int call_move_plan(smoothfs_client *c)
{
	return smoothfs_move_plan(c, &POOL, &OID, 2, U64_SEQ);
}

static int call_move_plan_force(smoothfs_client *c)
{
	return smoothfs_move_plan_force(c, &POOL, &OID, 2, U64_SEQ, true);
}

static int call_move_plan_noforce(smoothfs_client *c)
{
	return smoothfs_move_plan_force(c, &POOL, &OID, 2, U64_SEQ, false);
}

static int call_move_cutover(smoothfs_client *c)
{
	return smoothfs_move_cutover(c, &POOL, &OID, U64_SEQ);
}

static int call_move_cutover_verify(smoothfs_client *c)
{
	return smoothfs_move_cutover_verify_write_seq(c, &POOL, &OID, U64_SEQ, U64_WSEQ);
}

static int call_move_abort(smoothfs_client *c)
{
	return smoothfs_move_abort(c, &POOL, &OID, U64_SEQ);
}

static int call_quiesce(smoothfs_client *c)
{
	return smoothfs_quiesce(c, &POOL);
}

static int call_reconcile(smoothfs_client *c)
{
	return smoothfs_reconcile(c, &POOL, "operator");
}

static int call_reconcile_null(smoothfs_client *c)
{
	return smoothfs_reconcile(c, &POOL, NULL);
}

static int call_revoke(smoothfs_client *c)
{
	return smoothfs_revoke_mappings(c, &POOL, &OID);
}

static int call_tier_down(smoothfs_client *c)
{
	return smoothfs_tier_down(c, &POOL, 1);
}

static int call_reprobe(smoothfs_client *c)
{
	return smoothfs_reprobe(c, &POOL, 7);
}

static int call_list_pools(smoothfs_client *c)
{
	struct smoothfs_pool_info *p = NULL;
	size_t n = 0;
	int r = smoothfs_list_pools(c, &p, &n);

	smoothfs_pool_info_free(p, n);
	return r;
}

#define REQ_ACK (NLM_F_REQUEST | NLM_F_ACK)

static const struct cmd_case cmd_cases[] = {
	{ "inspect", call_inspect, SMOOTHFS_CMD_INSPECT, REQ_ACK, { W_POOL, W_OID }, 2 },
	{ "move_plan", call_move_plan, SMOOTHFS_CMD_MOVE_PLAN, REQ_ACK,
	  { W_POOL, W_OID, { SMOOTHFS_ATTR_INTENDED_TIER, 1, &U8_2 }, W_SEQ }, 4 },
	{ "move_plan_force", call_move_plan_force, SMOOTHFS_CMD_MOVE_PLAN, REQ_ACK,
	  { W_POOL, W_OID, { SMOOTHFS_ATTR_INTENDED_TIER, 1, &U8_2 }, W_SEQ,
	    { SMOOTHFS_ATTR_FORCE, 1, &U8_1 } }, 5 },
	{ "move_plan", call_move_plan_noforce, SMOOTHFS_CMD_MOVE_PLAN, REQ_ACK,
	  { W_POOL, W_OID, { SMOOTHFS_ATTR_INTENDED_TIER, 1, &U8_2 }, W_SEQ }, 4 },
	{ "move_cutover", call_move_cutover, SMOOTHFS_CMD_MOVE_CUTOVER, REQ_ACK,
	  { W_POOL, W_OID, W_SEQ }, 3 },
	{ "move_cutover_verify_write_seq", call_move_cutover_verify, SMOOTHFS_CMD_MOVE_CUTOVER, REQ_ACK,
	  { W_POOL, W_OID, W_SEQ, { SMOOTHFS_ATTR_WRITE_SEQ, 8, &U64_WSEQ } }, 4 },
	{ "move_abort", call_move_abort, SMOOTHFS_CMD_MOVE_ABORT, REQ_ACK, { W_POOL, W_OID, W_SEQ }, 3 },
	{ "quiesce", call_quiesce, SMOOTHFS_CMD_QUIESCE, REQ_ACK, { W_POOL }, 1 },
	{ "reconcile", call_reconcile, SMOOTHFS_CMD_RECONCILE, REQ_ACK,
	  { W_POOL, { SMOOTHFS_ATTR_RECONCILE_REASON, 9, "operator" } }, 2 },
	{ "reconcile", call_reconcile_null, SMOOTHFS_CMD_RECONCILE, REQ_ACK, { W_POOL }, 1 },
	{ "revoke_mappings", call_revoke, SMOOTHFS_CMD_REVOKE_MAPPINGS, REQ_ACK, { W_POOL, W_OID }, 2 },
	{ "tier_down", call_tier_down, SMOOTHFS_CMD_TIER_DOWN, REQ_ACK,
	  { W_POOL, { SMOOTHFS_ATTR_TIER_RANK, 1, &U8_1 } }, 2 },
	{ "reprobe", call_reprobe, SMOOTHFS_CMD_REPROBE, REQ_ACK,
	  { W_POOL, { SMOOTHFS_ATTR_TIER_RANK, 1, &U8_7 } }, 2 },
	{ "list_pools", call_list_pools, SMOOTHFS_CMD_LIST_POOLS, NLM_F_REQUEST | NLM_F_DUMP, {}, 0 },
};

/* --- pure request building --------------------------------------------------- */

static void test_build_request(void **state)
{
	struct smoothfs__request req = {
		.cmd = SMOOTHFS_CMD_MOVE_PLAN,
		.pool = &POOL,
		.oid = &OID,
		.has_intended_tier = true,
		.intended_tier = 2,
		.has_transaction_seq = true,
		.transaction_seq = U64_SEQ,
		.force = true,
	};
	const struct want_attr want[] = {
		W_POOL, W_OID, { SMOOTHFS_ATTR_INTENDED_TIER, 1, &U8_2 }, W_SEQ,
		{ SMOOTHFS_ATTR_FORCE, 1, &U8_1 },
	};
	char reason[SMOOTHFS_RECONCILE_REASON_MAX + 2];
	void *buf = NULL;
	size_t len = 0;

	assert_int_equal(smoothfs__build_request(&req, FAMILY, 77, &buf, &len), 0);
	check_request(buf, len, SMOOTHFS_CMD_MOVE_PLAN, REQ_ACK, 77, want, ELEMENTSOF(want));
	/* 20 header bytes + 3 x 20 + u64 (12) + u8 (8) = 100: no padding attribute. */
	assert_int_equal(len, 20 + 20 + 20 + 8 + 12 + 8);
	free(buf);

	/* The reason: 255 bytes is the most. */
	memset(reason, 'r', sizeof(reason));
	reason[SMOOTHFS_RECONCILE_REASON_MAX] = '\0';
	req = (struct smoothfs__request){ .cmd = SMOOTHFS_CMD_RECONCILE, .pool = &POOL, .reason = reason };
	assert_int_equal(smoothfs__build_request(&req, FAMILY, 1, &buf, &len), 0);
	{
		const struct want_attr w[] = {
			W_POOL, { SMOOTHFS_ATTR_RECONCILE_REASON, SMOOTHFS_RECONCILE_REASON_MAX + 1, reason },
		};

		check_request(buf, len, SMOOTHFS_CMD_RECONCILE, REQ_ACK, 1, w, ELEMENTSOF(w));
	}
	free(buf);
	reason[SMOOTHFS_RECONCILE_REASON_MAX] = 'r';
	reason[SMOOTHFS_RECONCILE_REASON_MAX + 1] = '\0';
	buf = (void *)0x1;
	assert_int_equal(smoothfs__build_request(&req, FAMILY, 1, &buf, &len), -EINVAL);
	assert_ptr_equal(buf, (void *)0x1);

	/* A dump: NLM_F_DUMP, no ack, no attributes. */
	req = (struct smoothfs__request){ .cmd = SMOOTHFS_CMD_LIST_POOLS, .dump = true };
	assert_int_equal(smoothfs__build_request(&req, FAMILY, 5, &buf, &len), 0);
	check_request(buf, len, SMOOTHFS_CMD_LIST_POOLS, NLM_F_REQUEST | NLM_F_DUMP, 5, NULL, 0);
	free(buf);
}

/* --- every public command, against the fake kernel ------------------------- */

static void test_commands_encode(void **state)
{
	struct fake *f = *state;

	for (size_t i = 0; i < ELEMENTSOF(cmd_cases); i++) {
		const struct cmd_case *cc = &cmd_cases[i];
		uint8_t buf[4096];
		ssize_t n;
		struct mb m;

		if (cc->cmd == SMOOTHFS_CMD_INSPECT) {
			/* Inspect needs a reply before its ack. */
			mb_reset(&m);
			mb_genl(&m, FAMILY, 0, f->seq, SMOOTHFS_CMD_INSPECT);
			mb_attr(&m, SMOOTHFS_ATTR_OBJECT_ID, OID.bytes, 16);
			mb_u8(&m, SMOOTHFS_ATTR_CURRENT_TIER, 0);
			mb_u8(&m, SMOOTHFS_ATTR_INTENDED_TIER, 0);
			mb_u8(&m, SMOOTHFS_ATTR_MOVEMENT_STATE, 0);
			mb_u8(&m, SMOOTHFS_ATTR_PIN_STATE, 0);
			mb_u32(&m, SMOOTHFS_ATTR_GENERATION, 0);
			mb_u64(&m, SMOOTHFS_ATTR_TRANSACTION_SEQ, 0);
			mb_end(&m);
			mb_ack(&m, f->seq);
			k_send(f->kfd, &m);
		} else if (cc->cmd == SMOOTHFS_CMD_LIST_POOLS) {
			mb_reset(&m);
			mb_done(&m, f->seq, 0, NULL);
			k_send(f->kfd, &m);
		} else {
			k_ack_next(f);
		}
		assert_int_equal(cc->call(f->c), 0);
		n = k_recv(f, buf, sizeof(buf));
		assert_true(n > 0);
		check_request(buf, (size_t)n, cc->cmd, cc->flags, f->seq, cc->want, cc->n_want);
		/* Exactly one request. */
		assert_int_equal(k_recv(f, buf, sizeof(buf)), -EAGAIN);
		f->seq++;
	}
}

static void test_kernel_errors(void **state)
{
	struct fake *f = *state;

	for (size_t i = 0; i < ELEMENTSOF(cmd_cases); i++) {
		const struct cmd_case *cc = &cmd_cases[i];
		uint8_t buf[4096];
		const char *e;
		struct mb m;

		mb_reset(&m);
		mb_error(&m, f->seq, -EOPNOTSUPP, NULL, 0, NULL, -1, -1);
		k_send(f->kfd, &m);
		assert_int_equal(cc->call(f->c), -EOPNOTSUPP);
		e = smoothfs_client_last_error(f->c);
		assert_non_null(strstr(e, cc->name));
		assert_non_null(strstr(e, "Operation not supported"));
		assert_non_null(strstr(e, "EOPNOTSUPP"));
		assert_true(k_recv(f, buf, sizeof(buf)) > 0);
		f->seq++;
	}
}

static void test_kernel_extack(void **state)
{
	struct fake *f = *state;
	struct smoothfs__request req = {
		.cmd = SMOOTHFS_CMD_MOVE_PLAN,
		.pool = &POOL,
		.oid = &OID,
		.has_intended_tier = true,
		.intended_tier = 2,
		.has_transaction_seq = true,
		.transaction_seq = U64_SEQ,
	};
	uint8_t buf[4096];
	void *orig;
	size_t orig_len;
	struct mb m;

	/* Capped, a message and the offset of INTENDED_TIER (20 + 20 + 20). */
	mb_reset(&m);
	mb_error(&m, f->seq, -EINVAL, NULL, 0, "no such tier", 60, -1);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_move_plan(f->c, &POOL, &OID, 2, U64_SEQ), -EINVAL);
	assert_string_equal(smoothfs_client_last_error(f->c),
			    "move_plan: no such tier (EINVAL, attribute 12)");
	assert_true(k_recv(f, buf, sizeof(buf)) > 0);
	f->seq++;

	/* Not capped: the request is echoed before the TLVs. */
	assert_int_equal(smoothfs__build_request(&req, FAMILY, f->seq, &orig, &orig_len), 0);
	mb_reset(&m);
	mb_error(&m, f->seq, -ERANGE, orig, orig_len, "sequence out of range", -1, 13);
	k_send(f->kfd, &m);
	free(orig);
	assert_int_equal(smoothfs_move_plan(f->c, &POOL, &OID, 2, U64_SEQ), -ERANGE);
	assert_string_equal(smoothfs_client_last_error(f->c),
			    "move_plan: sequence out of range (ERANGE, missing attribute 13)");
	assert_true(k_recv(f, buf, sizeof(buf)) > 0);
	f->seq++;

	/* A malformed extack: the errno stays, described. */
	mb_reset(&m);
	mb_msg(&m, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, f->seq);
	{
		struct nlmsgerr e = { .error = -EBUSY };

		mb_put(&m, &e, sizeof(e));
		mb_attr_raw(&m, NLMSGERR_ATTR_MSG, 200, "x", 1);
	}
	mb_end(&m);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_quiesce(f->c, &POOL), -EBUSY);
	assert_string_equal(smoothfs_client_last_error(f->c),
			    "quiesce: Device or resource busy (EBUSY)");
	assert_true(k_recv(f, buf, sizeof(buf)) > 0);
	f->seq++;

	/* A message without NUL is ignored too. */
	mb_reset(&m);
	mb_msg(&m, NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, f->seq);
	{
		struct nlmsgerr e = { .error = -EBUSY };

		mb_put(&m, &e, sizeof(e));
		mb_attr(&m, NLMSGERR_ATTR_MSG, "abc", 3);
	}
	mb_end(&m);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_quiesce(f->c, &POOL), -EBUSY);
	assert_string_equal(smoothfs_client_last_error(f->c),
			    "quiesce: Device or resource busy (EBUSY)");
	f->seq++;
}

/* Leftovers of an earlier request (another sequence number) are skipped. */
static void test_stale_replies_skipped(void **state)
{
	struct fake *f = *state;
	struct mb m;

	mb_reset(&m);
	mb_error(&m, f->seq - 1, -EIO, NULL, 0, "stale", -1, -1);
	mb_genl(&m, FAMILY, 0, f->seq - 1, SMOOTHFS_CMD_INSPECT);
	mb_u8(&m, SMOOTHFS_ATTR_CURRENT_TIER, 0);
	mb_end(&m);
	mb_msg(&m, NLMSG_NOOP, 0, f->seq);
	mb_end(&m);
	k_send(f->kfd, &m);
	mb_reset(&m);
	mb_error(&m, f->seq + 5, -EIO, NULL, 0, "future", -1, -1);
	k_send(f->kfd, &m);
	k_ack_next(f);
	assert_int_equal(smoothfs_quiesce(f->c, &POOL), 0);
	f->seq++;
}

/* --- inspect ---------------------------------------------------------------------- */

/* An inspect reply; skip/bad as in test-event.c's build_event(). */
static void put_inspect_reply(struct mb *m, uint32_t seq, const smoothfs_oid_t *oid, uint16_t skip,
			      uint16_t bad, uint16_t bad_len)
{
	uint8_t junk[256];

	memset(junk, 0x77, sizeof(junk));
	mb_genl(m, FAMILY, 0, seq, SMOOTHFS_CMD_INSPECT);
#define PUT(attr, stmt)								\
	do {									\
		if ((attr) == bad)						\
			mb_attr(m, attr, junk, bad_len);			\
		else if ((attr) != skip)					\
			stmt;							\
	} while (0)
	PUT(SMOOTHFS_ATTR_OBJECT_ID, mb_attr(m, SMOOTHFS_ATTR_OBJECT_ID, oid->bytes, 16));
	PUT(SMOOTHFS_ATTR_CURRENT_TIER, mb_u8(m, SMOOTHFS_ATTR_CURRENT_TIER, 1));
	PUT(SMOOTHFS_ATTR_INTENDED_TIER, mb_u8(m, SMOOTHFS_ATTR_INTENDED_TIER, 2));
	PUT(SMOOTHFS_ATTR_MOVEMENT_STATE,
	    mb_u8(m, SMOOTHFS_ATTR_MOVEMENT_STATE, SMOOTHFS_MS_PLAN_ACCEPTED));
	PUT(SMOOTHFS_ATTR_PIN_STATE, mb_u8(m, SMOOTHFS_ATTR_PIN_STATE, SMOOTHFS_PIN_LEASE));
	PUT(SMOOTHFS_ATTR_GENERATION, mb_u32(m, SMOOTHFS_ATTR_GENERATION, 0x01020304));
	PUT(SMOOTHFS_ATTR_TRANSACTION_SEQ, mb_u64(m, SMOOTHFS_ATTR_TRANSACTION_SEQ, U64_SEQ));
	PUT(SMOOTHFS_ATTR_WRITE_SEQ, mb_u64(m, SMOOTHFS_ATTR_WRITE_SEQ, U64_WSEQ));
	PUT(SMOOTHFS_ATTR_RANGE_STAGED, mb_u8(m, SMOOTHFS_ATTR_RANGE_STAGED, 1));
	PUT(SMOOTHFS_ATTR_REL_PATH, mb_str(m, SMOOTHFS_ATTR_REL_PATH, "dir/file"));
	PUT(SMOOTHFS_ATTR_TIER_PATH, mb_str(m, SMOOTHFS_ATTR_TIER_PATH, "/srv/ssd"));
#undef PUT
	mb_end(m);
}

static const struct {
	uint16_t type;
	bool required;
	uint16_t bad[4];
	size_t n_bad;
} inspect_attrs[] = {
	{ SMOOTHFS_ATTR_OBJECT_ID, true, { 0, 15, 17, 8 }, 4 },
	{ SMOOTHFS_ATTR_CURRENT_TIER, true, { 0, 2, 4, 8 }, 4 },
	{ SMOOTHFS_ATTR_INTENDED_TIER, true, { 0, 2, 4, 8 }, 4 },
	{ SMOOTHFS_ATTR_MOVEMENT_STATE, true, { 0, 2, 4, 8 }, 4 },
	{ SMOOTHFS_ATTR_PIN_STATE, true, { 0, 2, 4, 8 }, 4 },
	{ SMOOTHFS_ATTR_GENERATION, true, { 0, 1, 3, 8 }, 4 },
	{ SMOOTHFS_ATTR_TRANSACTION_SEQ, true, { 0, 4, 7, 9 }, 4 },
	{ SMOOTHFS_ATTR_WRITE_SEQ, false, { 0, 4, 7, 9 }, 4 },
	{ SMOOTHFS_ATTR_RANGE_STAGED, false, { 0, 2, 4, 8 }, 4 },
	{ SMOOTHFS_ATTR_REL_PATH, false, { 0, 1, 9 }, 3 },
	{ SMOOTHFS_ATTR_TIER_PATH, false, { 0, 1, 9 }, 3 },
};

static void check_inspect_good(const struct smoothfs_inspect_result *r)
{
	assert_memory_equal(r->oid.bytes, OID.bytes, 16);
	assert_int_equal(r->current_tier, 1);
	assert_int_equal(r->intended_tier, 2);
	assert_int_equal(r->movement_state, SMOOTHFS_MS_PLAN_ACCEPTED);
	assert_int_equal(r->pin_state, SMOOTHFS_PIN_LEASE);
	assert_int_equal(r->generation, 0x01020304);
	assert_true(r->transaction_seq == U64_SEQ);
	assert_true(r->has_write_seq);
	assert_true(r->write_seq == U64_WSEQ);
	assert_true(r->range_staged);
	assert_string_equal(r->rel_path, "dir/file");
	assert_string_equal(r->current_tier_path, "/srv/ssd");
}

static int parse_inspect_copy(const struct mb *m, size_t len, struct smoothfs_inspect_result *r)
{
	void *copy = malloc(len ? len : 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, m->b, len);
	ret = smoothfs__parse_inspect_reply(copy, len, r);
	free(copy);
	return ret;
}

static void test_parse_inspect_reply(void **state)
{
	struct smoothfs_inspect_result r, sentinel;
	struct mb m;

	memset(&sentinel, 0xaa, sizeof(sentinel));

	mb_reset(&m);
	put_inspect_reply(&m, 1, &OID, 0, 0, 0);
	assert_int_equal(parse_inspect_copy(&m, m.len, &r), 0);
	check_inspect_good(&r);
	smoothfs_inspect_result_clear(&r);
	assert_null(r.rel_path);
	assert_null(r.current_tier_path);

	/* Truncated at every offset. */
	for (size_t len = 0; len < m.len; len++) {
		r = sentinel;
		assert_int_equal(parse_inspect_copy(&m, len, &r), -EBADMSG);
		assert_memory_equal(&r, &sentinel, sizeof(r));
	}

	for (size_t i = 0; i < ELEMENTSOF(inspect_attrs); i++) {
		/* Wrong lengths. */
		for (size_t j = 0; j < inspect_attrs[i].n_bad; j++) {
			mb_reset(&m);
			put_inspect_reply(&m, 1, &OID, 0, inspect_attrs[i].type, inspect_attrs[i].bad[j]);
			r = sentinel;
			assert_int_equal(parse_inspect_copy(&m, m.len, &r), -EBADMSG);
			assert_memory_equal(&r, &sentinel, sizeof(r));
		}
		/* Missing. */
		mb_reset(&m);
		put_inspect_reply(&m, 1, &OID, inspect_attrs[i].type, 0, 0);
		r = sentinel;
		if (inspect_attrs[i].required) {
			assert_int_equal(parse_inspect_copy(&m, m.len, &r), -EBADMSG);
			assert_memory_equal(&r, &sentinel, sizeof(r));
			continue;
		}
		assert_int_equal(parse_inspect_copy(&m, m.len, &r), 0);
		switch (inspect_attrs[i].type) {
		case SMOOTHFS_ATTR_WRITE_SEQ:
			assert_false(r.has_write_seq);
			assert_true(r.write_seq == 0);
			break;
		case SMOOTHFS_ATTR_RANGE_STAGED:
			assert_false(r.range_staged);
			break;
		case SMOOTHFS_ATTR_REL_PATH:
			assert_null(r.rel_path);
			break;
		case SMOOTHFS_ATTR_TIER_PATH:
			assert_null(r.current_tier_path);
			break;
		default:
			fail();
		}
		smoothfs_inspect_result_clear(&r);
	}

	/* Unknown attributes are skipped. */
	mb_reset(&m);
	mb_genl(&m, FAMILY, 0, 1, SMOOTHFS_CMD_INSPECT);
	mb_attr(&m, 0x1234, "zz", 2);
	mb_attr(&m, SMOOTHFS_ATTR_PAD, "", 0);
	mb_end(&m);
	{
		struct mb rest;

		mb_reset(&rest);
		put_inspect_reply(&rest, 1, &OID, 0, 0, 0);
		mb_put(&m, rest.b + NLMSG_HDRLEN + GENL_HDRLEN, rest.len - NLMSG_HDRLEN - GENL_HDRLEN);
		mb_attr(&m, SMOOTHFS_ATTR_MAX + 7, "zzz", 3);
		mb_end(&m);
	}
	assert_int_equal(parse_inspect_copy(&m, m.len, &r), 0);
	check_inspect_good(&r);
	smoothfs_inspect_result_clear(&r);

	/* Another command's message is not an inspect reply. */
	mb_reset(&m);
	put_inspect_reply(&m, 1, &OID, 0, 0, 0);
	m.b[NLMSG_HDRLEN] = SMOOTHFS_CMD_MOVE_PLAN;
	r = sentinel;
	assert_int_equal(parse_inspect_copy(&m, m.len, &r), -EBADMSG);
	assert_memory_equal(&r, &sentinel, sizeof(r));
}

static void test_inspect(void **state)
{
	struct fake *f = *state;
	struct smoothfs_inspect_result r, sentinel;
	uint8_t buf[4096];
	struct mb m;

	memset(&sentinel, 0xaa, sizeof(sentinel));

	/* Reply and ack in one datagram. */
	mb_reset(&m);
	put_inspect_reply(&m, f->seq, &OID, 0, 0, 0);
	mb_ack(&m, f->seq);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_inspect(f->c, &POOL, &OID, &r), 0);
	check_inspect_good(&r);
	smoothfs_inspect_result_clear(&r);
	f->seq++;

	/* In two datagrams. */
	mb_reset(&m);
	put_inspect_reply(&m, f->seq, &OID, 0, 0, 0);
	k_send(f->kfd, &m);
	k_ack_next(f);
	assert_int_equal(smoothfs_inspect(f->c, &POOL, &OID, &r), 0);
	check_inspect_good(&r);
	smoothfs_inspect_result_clear(&r);
	f->seq++;

	/* An ack without reply. */
	k_ack_next(f);
	r = sentinel;
	assert_int_equal(smoothfs_inspect(f->c, &POOL, &OID, &r), -EBADMSG);
	assert_memory_equal(&r, &sentinel, sizeof(r));
	assert_non_null(strstr(smoothfs_client_last_error(f->c), "without a reply"));
	f->seq++;

	/* A malformed reply: -EBADMSG, and its ack is consumed all the same. */
	mb_reset(&m);
	put_inspect_reply(&m, f->seq, &OID, 0, SMOOTHFS_ATTR_PIN_STATE, 2);
	mb_ack(&m, f->seq);
	k_send(f->kfd, &m);
	r = sentinel;
	assert_int_equal(smoothfs_inspect(f->c, &POOL, &OID, &r), -EBADMSG);
	assert_memory_equal(&r, &sentinel, sizeof(r));
	assert_non_null(strstr(smoothfs_client_last_error(f->c), "malformed reply"));
	f->seq++;
	k_ack_next(f);
	assert_int_equal(smoothfs_quiesce(f->c, &POOL), 0);
	f->seq++;

	/* Two replies. */
	mb_reset(&m);
	put_inspect_reply(&m, f->seq, &OID, 0, 0, 0);
	put_inspect_reply(&m, f->seq, &OID, 0, 0, 0);
	mb_ack(&m, f->seq);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_inspect(f->c, &POOL, &OID, &r), -EBADMSG);
	f->seq++;

	/* A reply about another object. */
	mb_reset(&m);
	put_inspect_reply(&m, f->seq, &OID2, 0, 0, 0);
	mb_ack(&m, f->seq);
	k_send(f->kfd, &m);
	r = sentinel;
	assert_int_equal(smoothfs_inspect(f->c, &POOL, &OID, &r), -EBADMSG);
	assert_memory_equal(&r, &sentinel, sizeof(r));
	f->seq++;

	/* An error after a reply wins. */
	mb_reset(&m);
	put_inspect_reply(&m, f->seq, &OID, 0, 0, 0);
	mb_error(&m, f->seq, -EIO, NULL, 0, NULL, -1, -1);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_inspect(f->c, &POOL, &OID, &r), -EIO);
	f->seq++;

	/* A datagram that does not frame. */
	mb_reset(&m);
	put_inspect_reply(&m, f->seq, &OID, 0, 0, 0);
	{
		uint32_t big = 100000;

		memcpy(m.b, &big, 4);
	}
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_inspect(f->c, &POOL, &OID, &r), -EBADMSG);
	assert_non_null(strstr(smoothfs_client_last_error(f->c), "receiving the reply"));
	f->seq++;

	while (k_recv(f, buf, sizeof(buf)) > 0)
		;
}

/* --- list_pools --------------------------------------------------------------- */

static void put_pool(struct mb *m, uint32_t seq, const char *name, uint8_t n_tiers, uint16_t skip)
{
	smoothfs_uuid_t u = POOL;

	u.bytes[15] = (uint8_t)name[0];
	mb_genl(m, FAMILY, NLM_F_MULTI, seq, SMOOTHFS_CMD_LIST_POOLS);
	if (skip != SMOOTHFS_ATTR_POOL_UUID)
		mb_attr(m, SMOOTHFS_ATTR_POOL_UUID, u.bytes, 16);
	if (skip != SMOOTHFS_ATTR_POOL_NAME)
		mb_str(m, SMOOTHFS_ATTR_POOL_NAME, name);
	if (skip != SMOOTHFS_ATTR_FSID)
		mb_u32(m, SMOOTHFS_ATTR_FSID, 0x100U + (uint8_t)name[0]);
	if (skip != SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT)
		mb_u8(m, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, 1);
	if (skip != SMOOTHFS_ATTR_TIERS) {
		mb_nest_start(m, SMOOTHFS_ATTR_TIERS);
		for (uint8_t i = 0; i < n_tiers; i++) {
			char path[32];

			snprintf(path, sizeof(path), "/%s/t%u", name, i);
			mb_nest_start(m, (uint16_t)(i + 1));
			mb_u8(m, SMOOTHFS_ATTR_TIER_RANK, i);
			mb_u32(m, SMOOTHFS_ATTR_TIER_CAPS, 0x3fU);
			mb_str(m, SMOOTHFS_ATTR_TIER_PATH, path);
			mb_nest_end(m);
		}
		mb_nest_end(m);
	}
	mb_end(m);
}

static void check_pool(const struct smoothfs_pool_info *p, const char *name, uint8_t n_tiers)
{
	assert_string_equal(p->name, name);
	assert_int_equal(p->uuid.bytes[15], (uint8_t)name[0]);
	assert_memory_equal(p->uuid.bytes, POOL.bytes, 15);
	assert_int_equal(p->fsid, 0x100U + (uint8_t)name[0]);
	assert_true(p->any_spill_since_mount);
	assert_int_equal(p->n_tiers, n_tiers);
	for (uint8_t i = 0; i < n_tiers; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/%s/t%u", name, i);
		assert_int_equal(p->tiers[i].rank, i);
		assert_int_equal(p->tiers[i].caps, 0x3f);
		assert_string_equal(p->tiers[i].path, path);
	}
}

static void test_parse_pool_info(void **state)
{
	static const uint16_t required[] = {
		SMOOTHFS_ATTR_POOL_UUID, SMOOTHFS_ATTR_POOL_NAME, SMOOTHFS_ATTR_FSID, SMOOTHFS_ATTR_TIERS,
	};
	struct smoothfs_pool_info p;
	struct mb m;

	mb_reset(&m);
	put_pool(&m, 1, "tank", 3, 0);
	assert_int_equal(smoothfs__parse_pool_info(m.b, m.len, &p), 0);
	check_pool(&p, "tank", 3);
	free(p.name);
	smoothfs__tiers_free(p.tiers, p.n_tiers);

	for (size_t len = 0; len < m.len; len++) {
		void *copy = malloc(len ? len : 1);

		memcpy(copy, m.b, len);
		assert_int_equal(smoothfs__parse_pool_info(copy, len, &p), -EBADMSG);
		free(copy);
	}

	mb_reset(&m);
	put_pool(&m, 1, "tank", 8, 0);
	assert_int_equal(smoothfs__parse_pool_info(m.b, m.len, &p), 0);
	check_pool(&p, "tank", 8);
	smoothfs_pool_info_free(memcpy(malloc(sizeof(p)), &p, sizeof(p)), 1);

	mb_reset(&m);
	put_pool(&m, 1, "tank", 9, 0);
	assert_int_equal(smoothfs__parse_pool_info(m.b, m.len, &p), -EBADMSG);

	for (size_t i = 0; i < ELEMENTSOF(required); i++) {
		mb_reset(&m);
		put_pool(&m, 1, "tank", 1, required[i]);
		assert_int_equal(smoothfs__parse_pool_info(m.b, m.len, &p), -EBADMSG);
	}
	mb_reset(&m);
	put_pool(&m, 1, "tank", 1, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT);
	assert_int_equal(smoothfs__parse_pool_info(m.b, m.len, &p), 0);
	assert_false(p.any_spill_since_mount);
	smoothfs_pool_info_free(memcpy(malloc(sizeof(p)), &p, sizeof(p)), 1);

	/* A MOUNT_READY event is not a LIST_POOLS message. */
	mb_reset(&m);
	put_pool(&m, 1, "tank", 1, 0);
	m.b[NLMSG_HDRLEN] = SMOOTHFS_EVENT_MOUNT_READY;
	assert_int_equal(smoothfs__parse_pool_info(m.b, m.len, &p), -EBADMSG);
}

static void test_list_pools(void **state)
{
	struct fake *f = *state;
	struct smoothfs_pool_info *pools = (void *)0x1;
	size_t n = 42;
	struct mb m;

	/* Two pools in one datagram, a third in another, then DONE. */
	mb_reset(&m);
	put_pool(&m, f->seq, "alpha", 2, 0);
	put_pool(&m, f->seq, "beta", 1, 0);
	k_send(f->kfd, &m);
	mb_reset(&m);
	put_pool(&m, f->seq, "gamma", 8, 0);
	k_send(f->kfd, &m);
	mb_reset(&m);
	mb_done(&m, f->seq, 0, NULL);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_list_pools(f->c, &pools, &n), 0);
	assert_int_equal(n, 3);
	check_pool(&pools[0], "alpha", 2);
	check_pool(&pools[1], "beta", 1);
	check_pool(&pools[2], "gamma", 8);
	smoothfs_pool_info_free(pools, n);
	f->seq++;

	/* Nothing mounted. */
	mb_reset(&m);
	mb_done(&m, f->seq, 0, NULL);
	k_send(f->kfd, &m);
	pools = (void *)0x1;
	assert_int_equal(smoothfs_list_pools(f->c, &pools, &n), 0);
	assert_int_equal(n, 0);
	assert_null(pools);
	f->seq++;

	/* An error in DONE, with its extack. */
	mb_reset(&m);
	put_pool(&m, f->seq, "alpha", 2, 0);
	mb_done(&m, f->seq, -EPERM, "dump interrupted");
	k_send(f->kfd, &m);
	pools = (void *)0x1;
	n = 42;
	assert_int_equal(smoothfs_list_pools(f->c, &pools, &n), -EPERM);
	assert_ptr_equal(pools, (void *)0x1);
	assert_int_equal(n, 42);
	assert_string_equal(smoothfs_client_last_error(f->c), "list_pools: dump interrupted (EPERM)");
	f->seq++;

	/* The dump cannot start: an NLMSG_ERROR. */
	mb_reset(&m);
	mb_error(&m, f->seq, -EOPNOTSUPP, NULL, 0, NULL, -1, -1);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_list_pools(f->c, &pools, &n), -EOPNOTSUPP);
	f->seq++;

	/* A malformed pool: -EBADMSG, the dump consumed to DONE. */
	mb_reset(&m);
	put_pool(&m, f->seq, "alpha", 2, SMOOTHFS_ATTR_FSID);
	put_pool(&m, f->seq, "beta", 1, 0);
	mb_done(&m, f->seq, 0, NULL);
	k_send(f->kfd, &m);
	assert_int_equal(smoothfs_list_pools(f->c, &pools, &n), -EBADMSG);
	f->seq++;
	k_ack_next(f);
	assert_int_equal(smoothfs_quiesce(f->c, &POOL), 0);
	f->seq++;

	assert_int_equal(smoothfs_list_pools(f->c, NULL, &n), -EINVAL);
	assert_int_equal(smoothfs_list_pools(f->c, &pools, NULL), -EINVAL);
}

/* --- the pure reply loop ----------------------------------------------------------- */

static void test_reply_feed(void **state)
{
	struct smoothfs__reply r;
	struct mb m;

	mb_reset(&m);
	mb_error(&m, 9, -ENOENT, NULL, 0, "no such object", 24, -1);

	/* Cut at every offset: -EBADMSG, except nothing at all. */
	for (size_t len = 0; len < m.len; len++) {
		void *copy = malloc(len ? len : 1);

		memcpy(copy, m.b, len);
		r = (struct smoothfs__reply){ .seq = 9, .family = FAMILY };
		assert_int_equal(smoothfs__reply_feed(&r, copy, len), len == 0 ? 0 : -EBADMSG);
		assert_false(r.done && len < NLMSG_HDRLEN + sizeof(struct nlmsgerr));
		free(copy);
	}
	r = (struct smoothfs__reply){ .seq = 9, .family = FAMILY };
	assert_int_equal(smoothfs__reply_feed(&r, m.b, m.len), 0);
	assert_true(r.done);
	assert_int_equal(r.error, -ENOENT);
	assert_string_equal(r.extack, "no such object");
	assert_true(r.has_offset);
	assert_int_equal(r.offset, 24);
	assert_false(r.has_miss_type);

	/* An nlmsgerr cut short inside a well-framed message. */
	mb_reset(&m);
	mb_msg(&m, NLMSG_ERROR, 0, 9);
	mb_put(&m, "\0\0\0\0", 4);
	mb_end(&m);
	r = (struct smoothfs__reply){ .seq = 9, .family = FAMILY };
	assert_int_equal(smoothfs__reply_feed(&r, m.b, m.len), -EBADMSG);

	/* A positive "errno". */
	mb_reset(&m);
	mb_error(&m, 9, 5, NULL, 0, NULL, -1, -1);
	r = (struct smoothfs__reply){ .seq = 9, .family = FAMILY };
	assert_int_equal(smoothfs__reply_feed(&r, m.b, m.len), -EBADMSG);

	/* A long extack message is cut, NUL-terminated. */
	{
		char longmsg[600];

		memset(longmsg, 'm', sizeof(longmsg) - 1);
		longmsg[sizeof(longmsg) - 1] = '\0';
		mb_reset(&m);
		mb_error(&m, 9, -EINVAL, NULL, 0, longmsg, -1, -1);
		r = (struct smoothfs__reply){ .seq = 9, .family = FAMILY };
		assert_int_equal(smoothfs__reply_feed(&r, m.b, m.len), 0);
		assert_int_equal(strlen(r.extack), SMOOTHFS__EXTACK_MAX - 1);
	}

	/* Messages after the ack in the same datagram are not looked at. */
	mb_reset(&m);
	mb_ack(&m, 9);
	mb_put(&m, "garbage!", 8);
	r = (struct smoothfs__reply){ .seq = 9, .family = FAMILY };
	assert_int_equal(smoothfs__reply_feed(&r, m.b, m.len), 0);
	assert_true(r.done);
	assert_int_equal(r.error, 0);

	/* NLMSG_DONE ends only a dump. */
	mb_reset(&m);
	mb_done(&m, 9, 0, NULL);
	r = (struct smoothfs__reply){ .seq = 9, .family = FAMILY };
	assert_int_equal(smoothfs__reply_feed(&r, m.b, m.len), 0);
	assert_false(r.done);
	r = (struct smoothfs__reply){ .seq = 9, .family = FAMILY, .dump = true };
	assert_int_equal(smoothfs__reply_feed(&r, m.b, m.len), 0);
	assert_true(r.done);

	assert_int_equal(smoothfs__reply_feed(NULL, m.b, m.len), -EINVAL);
}

/* --- argument validation ---------------------------------------------------------- */

static void test_arg_validation(void **state)
{
	struct fake *f = *state;
	smoothfs_client *c = f->c;
	struct smoothfs_inspect_result ir;
	struct smoothfs_event *ev;
	char reason[SMOOTHFS_RECONCILE_REASON_MAX + 2];
	uint8_t buf[1024];

	memset(reason, 'x', sizeof(reason));
	reason[sizeof(reason) - 1] = '\0';

	assert_int_equal(smoothfs_inspect(c, NULL, &OID, &ir), -EINVAL);
	assert_string_equal(smoothfs_client_last_error(c), "inspect: pool UUID is NULL");
	assert_int_equal(smoothfs_inspect(c, &POOL, NULL, &ir), -EINVAL);
	assert_string_equal(smoothfs_client_last_error(c), "inspect: object id is NULL");
	assert_int_equal(smoothfs_inspect(c, &POOL, &OID, NULL), -EINVAL);
	assert_int_equal(smoothfs_move_plan(c, NULL, &OID, 1, 1), -EINVAL);
	assert_int_equal(smoothfs_move_plan(c, &POOL, NULL, 1, 1), -EINVAL);
	assert_int_equal(smoothfs_move_plan(c, &POOL, &OID, SMOOTHFS_MAX_TIERS, 1), -EINVAL);
	assert_string_equal(smoothfs_client_last_error(c),
			    "move_plan: destination tier 8 is not below 8");
	assert_int_equal(smoothfs_move_plan_force(c, NULL, &OID, 1, 1, true), -EINVAL);
	assert_int_equal(smoothfs_move_plan_force(c, &POOL, &OID, 255, 1, true), -EINVAL);
	assert_int_equal(smoothfs_move_cutover(c, NULL, &OID, 1), -EINVAL);
	assert_int_equal(smoothfs_move_cutover(c, &POOL, NULL, 1), -EINVAL);
	assert_int_equal(smoothfs_move_cutover_verify_write_seq(c, NULL, &OID, 1, 1), -EINVAL);
	assert_int_equal(smoothfs_move_cutover_verify_write_seq(c, &POOL, NULL, 1, 1), -EINVAL);
	assert_int_equal(smoothfs_move_abort(c, NULL, &OID, 1), -EINVAL);
	assert_int_equal(smoothfs_move_abort(c, &POOL, NULL, 1), -EINVAL);
	assert_int_equal(smoothfs_quiesce(c, NULL), -EINVAL);
	assert_int_equal(smoothfs_reconcile(c, NULL, "x"), -EINVAL);
	assert_int_equal(smoothfs_reconcile(c, &POOL, reason), -EINVAL);
	assert_string_equal(smoothfs_client_last_error(c), "reconcile: reason is longer than 255 bytes");
	assert_int_equal(smoothfs_revoke_mappings(c, NULL, &OID), -EINVAL);
	assert_int_equal(smoothfs_revoke_mappings(c, &POOL, NULL), -EINVAL);
	assert_int_equal(smoothfs_tier_down(c, NULL, 0), -EINVAL);
	assert_int_equal(smoothfs_tier_down(c, &POOL, SMOOTHFS_MAX_TIERS), -EINVAL);
	assert_int_equal(smoothfs_reprobe(c, NULL, 0), -EINVAL);
	assert_int_equal(smoothfs_reprobe(c, &POOL, 200), -EINVAL);
	assert_int_equal(smoothfs_receive(c, 0, NULL), -EINVAL);

	/* None of this reached the "kernel". */
	assert_int_equal(k_recv(f, buf, sizeof(buf)), -EAGAIN);

	/* The boundary values are sent. */
	reason[SMOOTHFS_RECONCILE_REASON_MAX] = '\0';
	k_ack_next(f);
	assert_int_equal(smoothfs_reconcile(c, &POOL, reason), 0);
	assert_true(k_recv(f, buf, sizeof(buf)) > 0);
	f->seq++;

	/* No client. */
	assert_int_equal(smoothfs_inspect(NULL, &POOL, &OID, &ir), -EINVAL);
	assert_int_equal(smoothfs_move_plan(NULL, &POOL, &OID, 1, 1), -EINVAL);
	assert_int_equal(smoothfs_move_plan_force(NULL, &POOL, &OID, 1, 1, false), -EINVAL);
	assert_int_equal(smoothfs_move_cutover(NULL, &POOL, &OID, 1), -EINVAL);
	assert_int_equal(smoothfs_move_cutover_verify_write_seq(NULL, &POOL, &OID, 1, 1), -EINVAL);
	assert_int_equal(smoothfs_move_abort(NULL, &POOL, &OID, 1), -EINVAL);
	assert_int_equal(smoothfs_quiesce(NULL, &POOL), -EINVAL);
	assert_int_equal(smoothfs_reconcile(NULL, &POOL, NULL), -EINVAL);
	assert_int_equal(smoothfs_revoke_mappings(NULL, &POOL, &OID), -EINVAL);
	assert_int_equal(smoothfs_tier_down(NULL, &POOL, 0), -EINVAL);
	assert_int_equal(smoothfs_reprobe(NULL, &POOL, 0), -EINVAL);
	assert_int_equal(smoothfs_list_pools(NULL, NULL, NULL), -EINVAL);
	assert_int_equal(smoothfs_subscribe(NULL), -EINVAL);
	assert_int_equal(smoothfs_event_fd(NULL), -EINVAL);
	assert_int_equal(smoothfs_receive(NULL, 0, &ev), -EINVAL);
	assert_int_equal(smoothfs_client_open(NULL), -EINVAL);
	assert_non_null(smoothfs_client_last_error(NULL));
	assert_null(smoothfs_client_close(NULL));
	smoothfs_inspect_result_clear(NULL);
	smoothfs_pool_info_free(NULL, 3);
	smoothfs_event_free(NULL);
}

/* --- last error, per thread -------------------------------------------------------- */

struct thread_arg {
	smoothfs_client *c;
	pthread_barrier_t *barrier;
	int which;
	bool ok;
};

static void *error_thread(void *p)
{
	struct thread_arg *a = p;
	const char *want;
	bool ok = true;

	for (int i = 0; i < 200; i++) {
		if (a->which == 0) {
			ok &= smoothfs_quiesce(a->c, NULL) == -EINVAL;
			want = "quiesce: pool UUID is NULL";
		} else {
			ok &= smoothfs_tier_down(a->c, &POOL, 9) == -EINVAL;
			want = "tier_down: tier rank 9 is not below 8";
		}
		/* Both threads have failed before either reads. */
		pthread_barrier_wait(a->barrier);
		ok &= strcmp(smoothfs_client_last_error(a->c), want) == 0;
		pthread_barrier_wait(a->barrier);
	}
	a->ok = ok;
	return NULL;
}

static void test_last_error_per_thread(void **state)
{
	struct fake *f = *state;
	pthread_barrier_t barrier;
	struct thread_arg a[2] = {
		{ f->c, &barrier, 0, false },
		{ f->c, &barrier, 1, false },
	};
	pthread_t t[2];

	/* This thread never failed on this client. */
	assert_string_equal(smoothfs_client_last_error(f->c), "");
	pthread_barrier_init(&barrier, NULL, 2);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, error_thread, &a[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&barrier);
	assert_true(a[0].ok);
	assert_true(a[1].ok);
	assert_string_equal(smoothfs_client_last_error(f->c), "");
}

/* Commands from several threads do not mix their replies. */
struct cmd_thread {
	struct fake *f;
	int n;
};

static void *kernel_thread(void *p)
{
	struct cmd_thread *a = p;

	/* Answer n requests: an ack, or an error for odd sequence numbers. */
	for (int i = 0; i < a->n; i++) {
		uint8_t buf[4096];
		struct nlmsghdr nlh;
		struct mb m;
		ssize_t n = recv(a->f->kfd, buf, sizeof(buf), 0);

		if (n < (ssize_t)sizeof(nlh))
			break;
		memcpy(&nlh, buf, sizeof(nlh));
		mb_reset(&m);
		if (nlh.nlmsg_seq % 2)
			mb_error(&m, nlh.nlmsg_seq, -EBUSY, NULL, 0, NULL, -1, -1);
		else
			mb_ack(&m, nlh.nlmsg_seq);
		if (send(a->f->kfd, m.b, m.len, 0) < 0)
			break;
	}
	return NULL;
}

static void *client_thread(void *p)
{
	struct cmd_thread *a = p;

	for (int i = 0; i < a->n; i++) {
		int r = smoothfs_quiesce(a->f->c, &POOL);

		if (r != 0 && r != -EBUSY)
			return (void *)1;
		if (r == -EBUSY &&
		    strcmp(smoothfs_client_last_error(a->f->c), "quiesce: Device or resource busy (EBUSY)"))
			return (void *)1;
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct fake *f = *state;
	struct cmd_thread k = { f, 400 }, cl = { f, 100 };
	pthread_t kt, ct[4];
	void *res;

	assert_int_equal(pthread_create(&kt, NULL, kernel_thread, &k), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&ct[i], NULL, client_thread, &cl), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(ct[i], &res), 0);
		assert_null(res);
	}
	assert_int_equal(pthread_join(kt, NULL), 0);
	f->seq += 400;
}

/* --- events ---------------------------------------------------------------- */

static void put_move_state(struct mb *m, uint8_t state, bool with_seq)
{
	mb_genl(m, FAMILY, 0, 0, SMOOTHFS_EVENT_MOVE_STATE);
	mb_attr(m, SMOOTHFS_ATTR_POOL_UUID, POOL.bytes, 16);
	mb_attr(m, SMOOTHFS_ATTR_OBJECT_ID, OID.bytes, 16);
	mb_u8(m, SMOOTHFS_ATTR_MOVEMENT_STATE, state);
	if (with_seq)
		mb_u64(m, SMOOTHFS_ATTR_TRANSACTION_SEQ, U64_SEQ);
	mb_end(m);
}

static int64_t ms_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_events(void **state)
{
	struct fake *f = *state;
	struct smoothfs_event *ev = NULL;
	struct mb m;
	int64_t t0;

	assert_int_equal(smoothfs_event_fd(f->c), f->ev_fd);
	/* Already subscribed (the fake's event socket): nothing to do. */
	assert_int_equal(smoothfs_subscribe(f->c), 0);

	assert_int_equal(smoothfs_receive(f->c, 0, &ev), -EAGAIN);
	assert_null(ev);
	t0 = ms_now();
	assert_int_equal(smoothfs_receive(f->c, 100, &ev), -ETIMEDOUT);
	assert_true(ms_now() - t0 >= 95);
	assert_non_null(strstr(smoothfs_client_last_error(f->c), "no event within 100 ms"));

	/* Several messages in one datagram, some not for us, one malformed. */
	mb_reset(&m);
	put_move_state(&m, SMOOTHFS_MS_PLAN_ACCEPTED, true);
	mb_genl(&m, FAMILY, 0, 0, 200);				/* unknown event */
	mb_end(&m);
	mb_msg(&m, NLMSG_NOOP, 0, 0);				/* control */
	mb_end(&m);
	mb_genl(&m, FAMILY + 1, 0, 0, SMOOTHFS_EVENT_SPILL);	/* another family */
	mb_u8(&m, 1, 1);
	mb_end(&m);
	put_move_state(&m, SMOOTHFS_MS_FAILED, false);		/* malformed */
	put_move_state(&m, SMOOTHFS_MS_SWITCHED, true);
	k_send(f->kev, &m);

	assert_int_equal(smoothfs_receive(f->c, 0, &ev), 0);
	assert_int_equal(ev->type, SMOOTHFS_EVENT_MOVE_STATE);
	assert_int_equal(ev->move.new_state, SMOOTHFS_MS_PLAN_ACCEPTED);
	assert_true(ev->move.transaction_seq == U64_SEQ);
	smoothfs_event_free(ev);
	ev = NULL;
	assert_int_equal(smoothfs_receive(f->c, 0, &ev), -EBADMSG);
	assert_null(ev);
	assert_non_null(strstr(smoothfs_client_last_error(f->c), "malformed event"));
	assert_int_equal(smoothfs_receive(f->c, -1, &ev), 0);
	assert_int_equal(ev->move.new_state, SMOOTHFS_MS_SWITCHED);
	smoothfs_event_free(ev);
	ev = NULL;
	assert_int_equal(smoothfs_receive(f->c, 0, &ev), -EAGAIN);

	/* A datagram that does not frame. */
	mb_reset(&m);
	put_move_state(&m, SMOOTHFS_MS_PLACED, true);
	m.b[0] = 0xff;
	k_send(f->kev, &m);
	assert_int_equal(smoothfs_receive(f->c, 0, &ev), -EBADMSG);
	assert_int_equal(smoothfs_receive(f->c, 0, &ev), -EAGAIN);

	/* Events left in the queue are freed by close (ASan checks). */
	mb_reset(&m);
	put_move_state(&m, SMOOTHFS_MS_PLACED, true);
	put_move_state(&m, SMOOTHFS_MS_PLACED, true);
	put_move_state(&m, SMOOTHFS_MS_PLACED, true);
	k_send(f->kev, &m);
	assert_int_equal(smoothfs_receive(f->c, 0, &ev), 0);
	smoothfs_event_free(ev);
}

struct late_sender {
	int fd;
	int delay_ms;
};

static void *late_send(void *p)
{
	struct late_sender *s = p;
	struct mb m;

	poll(NULL, 0, s->delay_ms);
	mb_reset(&m);
	put_move_state(&m, SMOOTHFS_MS_COPY_COMPLETE, true);
	if (send(s->fd, m.b, m.len, 0) < 0)
		return (void *)1;
	return NULL;
}

/* A waiting receive wakes up when an event arrives. */
static void test_events_wait(void **state)
{
	struct fake *f = *state;
	struct late_sender s = { f->kev, 100 };
	struct smoothfs_event *ev = NULL;
	pthread_t t;
	int64_t t0 = ms_now();

	assert_int_equal(pthread_create(&t, NULL, late_send, &s), 0);
	assert_int_equal(smoothfs_receive(f->c, 5000, &ev), 0);
	assert_true(ms_now() - t0 < 4000);
	assert_int_equal(ev->move.new_state, SMOOTHFS_MS_COPY_COMPLETE);
	smoothfs_event_free(ev);
	pthread_join(t, NULL);

	ev = NULL;
	assert_int_equal(pthread_create(&t, NULL, late_send, &s), 0);
	assert_int_equal(smoothfs_receive(f->c, -1, &ev), 0);
	assert_non_null(ev);
	smoothfs_event_free(ev);
	pthread_join(t, NULL);
}

static void test_not_subscribed(void **state)
{
	smoothfs_client *c = NULL;
	struct smoothfs_event *ev = (void *)0x1;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(smoothfs__client_new_fds(sv[0], -1, FAMILY, 0, &c), 0);
	assert_int_equal(smoothfs_event_fd(c), -EBADF);
	assert_int_equal(smoothfs_receive(c, 0, &ev), -EBADF);
	assert_ptr_equal(ev, (void *)0x1);
	assert_non_null(strstr(smoothfs_client_last_error(c), "not subscribed"));
	smoothfs_client_close(c);
	close(sv[1]);
}

/* The real thing, on whatever kernel runs the tests: no smoothfs here. */
static void test_open_real(void **state)
{
	smoothfs_client *c = (void *)0x1;
	int r = smoothfs_client_open(&c);

	if (r == 0) {
		/* The module is loaded on this machine: fine too. */
		smoothfs_client_close(c);
		return;
	}
	assert_true(r < 0);
	assert_ptr_equal(c, (void *)0x1);
	print_message("smoothfs_client_open: %d (%s)\n", r, r == SMOOTHFS_ERR_NOT_LOADED ? "not loaded" : "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_request),
		cmocka_unit_test_setup_teardown(test_commands_encode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_extack, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_replies_skipped, setup, teardown),
		cmocka_unit_test(test_parse_inspect_reply),
		cmocka_unit_test_setup_teardown(test_inspect, setup, teardown),
		cmocka_unit_test(test_parse_pool_info),
		cmocka_unit_test_setup_teardown(test_list_pools, setup, teardown),
		cmocka_unit_test(test_reply_feed),
		cmocka_unit_test_setup_teardown(test_arg_validation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_last_error_per_thread, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_wait, setup, teardown),
		cmocka_unit_test(test_not_subscribed),
		cmocka_unit_test(test_open_real),
	};

	return cmocka_run_group_tests_name("client", tests, NULL, NULL);
}
