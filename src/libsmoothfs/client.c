/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The generic netlink client: a command socket (requests, replies, acks,
 * with sequence checking) and, after smoothfs_subscribe(), a second socket
 * in the "events" multicast group, so events never interleave with
 * replies.
 *
 * libnl-genl-3 opens the sockets and resolves the family and the group;
 * requests are built with genlmsg_put()/nla_put_*() into plain bytes
 * (smoothfs__build_request(), pure) and the receive loops are our own:
 * libnl 3.7 does not hand out the extended ack, and doing the loop here
 * lets every reply of a request be consumed up to its ack, whatever
 * happens to the reply in between (the reference sent INSPECT without
 * NLM_F_ACK because the trailing ack desynchronised the next request).
 *
 * Locking: lock serialises the command socket, ev_lock the event socket
 * and its queue (a thread blocked in smoothfs_receive() does not hold up
 * commands), err_lock the per-thread error slots.
 *
 * INSPECT reply: OBJECT_ID, CURRENT_TIER, INTENDED_TIER, MOVEMENT_STATE,
 * PIN_STATE, GENERATION and TRANSACTION_SEQ are required (-EBADMSG
 * otherwise); WRITE_SEQ (has_write_seq), RANGE_STAGED, REL_PATH and
 * TIER_PATH are optional.  LIST_POOLS messages need POOL_UUID, POOL_NAME,
 * FSID and TIERS; ANY_SPILL_SINCE_MOUNT is optional.
 */
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/socket.h>

#include "netlink.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Initial receive buffers, and the largest datagram we accept. */
#define RECV_BUF_INITIAL	(32U * 1024)
#define RECV_BUF_MAX		(4U * 1024 * 1024)
/* What we ask for the event socket's receive buffer. */
#define EVENT_RCVBUF		(8 * 1024 * 1024)

#define ERR_MSG_MAX		(SMOOTHFS__EXTACK_MAX + 128)

struct err_slot {
	struct err_slot *next;
	pthread_t thread;
	char msg[ERR_MSG_MAX];
};

struct ev_entry {
	struct ev_entry *next;
	struct smoothfs_event *ev;	/* NULL: error */
	int error;
};

struct smoothfs_client {
	pthread_mutex_t lock;
	struct nl_sock *sk;
	int fd;
	uint16_t family;
	uint32_t seq;
	uint8_t *buf;
	size_t buf_size;

	pthread_mutex_t ev_lock;
	struct nl_sock *ev_sk;
	int ev_fd;			/* -1 until subscribed; atomic */
	uint8_t *ev_buf;
	size_t ev_buf_size;
	struct ev_entry *q_head, *q_tail;

	pthread_mutex_t err_lock;
	struct err_slot *errs;
};

/* --- errors --------------------------------------------------------------- */

/* libnl's error codes, for the few calls that go through libnl. */
static int nl_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
		return -EINTR;
	case NLE_BAD_SOCK:
		return -EBADF;
	case NLE_AGAIN:
		return -EAGAIN;
	case NLE_NOMEM:
		return -ENOMEM;
	case NLE_EXIST:
		return -EEXIST;
	case NLE_INVAL:
		return -EINVAL;
	case NLE_RANGE:
		return -ERANGE;
	case NLE_MSGSIZE:
	case NLE_MSG_TRUNC:
		return -EMSGSIZE;
	case NLE_OPNOTSUPP:
		return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return -ENOENT;
	case NLE_BUSY:
		return -EBUSY;
	case NLE_PROTO_MISMATCH:
		return -EPROTONOSUPPORT;
	case NLE_NOACCESS:
		return -EACCES;
	case NLE_PERM:
		return -EPERM;
	case NLE_NODEV:
		return -ENODEV;
	case NLE_SEQ_MISMATCH:
	case NLE_MSG_TOOSHORT:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_PARSE_ERR:
		return -EBADMSG;
	default:
		return -EIO;
	}
}

static const char *errno_desc(int r)
{
	const char *s = strerrordesc_np(r < 0 ? -r : r);

	return s ? s : "Unknown error";
}

static const char *errno_name(int r)
{
	const char *s = strerrorname_np(r < 0 ? -r : r);

	return s ? s : "?";
}

/* The calling thread's slot (created on first use); NULL without memory. */
static struct err_slot *err_slot(smoothfs_client *c, bool create)
{
	pthread_t self = pthread_self();
	struct err_slot *s;

	pthread_mutex_lock(&c->err_lock);
	for (s = c->errs; s; s = s->next)
		if (pthread_equal(s->thread, self))
			break;
	if (!s && create) {
		s = calloc(1, sizeof(*s));
		if (s) {
			s->thread = self;
			s->next = c->errs;
			c->errs = s;
		}
	}
	pthread_mutex_unlock(&c->err_lock);
	return s;
}

/* Records why the calling thread's call failed; returns r. */
static int vset_error(smoothfs_client *c, int r, const char *fmt, va_list ap)
{
	struct err_slot *s = err_slot(c, true);

	/* Only this thread writes its slot: no lock needed. */
	if (s)
		vsnprintf(s->msg, sizeof(s->msg), fmt, ap);
	return r;
}

static _printf_(3, 4) int set_error(smoothfs_client *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = vset_error(c, r, fmt, ap);
	va_end(ap);
	return r;
}

/* For the mover (move.c), which fails on files as well as on netlink. */
int smoothfs__client_error(smoothfs_client *c, int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	r = vset_error(c, r, fmt, ap);
	va_end(ap);
	return r;
}

static int set_errno_error(smoothfs_client *c, int r, const char *what)
{
	return set_error(c, r, "%s: %s (%s)", what, errno_desc(r), errno_name(r));
}

const char *smoothfs_client_last_error(smoothfs_client *c)
{
	struct err_slot *s;

	if (!c)
		return "no client";
	s = err_slot(c, false);
	return s ? s->msg : "";
}

/* --- the client ----------------------------------------------------------- */

smoothfs_client *smoothfs_client_close(smoothfs_client *c)
{
	if (!c)
		return NULL;
	if (c->sk)
		nl_socket_free(c->sk);
	else if (c->fd >= 0)
		close(c->fd);	/* smoothfs__client_new_fds() */
	if (c->ev_sk)
		nl_socket_free(c->ev_sk);
	else if (c->ev_fd >= 0)
		close(c->ev_fd);
	while (c->q_head) {
		struct ev_entry *e = c->q_head;

		c->q_head = e->next;
		smoothfs_event_free(e->ev);
		free(e);
	}
	while (c->errs) {
		struct err_slot *s = c->errs;

		c->errs = s->next;
		free(s);
	}
	free(c->buf);
	free(c->ev_buf);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->ev_lock);
	pthread_mutex_destroy(&c->err_lock);
	free(c);
	return NULL;
}

static void client_closep(smoothfs_client **c)
{
	smoothfs_client_close(*c);
}

static void setsockopt_int(int fd, int level, int opt, int val)
{
	/* Best effort: an older kernel lacks the option, and that is fine. */
	(void)setsockopt(fd, level, opt, &val, sizeof(val));
}

static smoothfs_client *client_new(void)
{
	smoothfs_client *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->fd = c->ev_fd = -1;
	/* Default mutexes: initialisation cannot fail on Linux. */
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->ev_lock, NULL);
	pthread_mutex_init(&c->err_lock, NULL);
	return c;
}

int smoothfs__client_new_fds(int fd, int ev_fd, uint16_t family, uint32_t seq, smoothfs_client **ret)
{
	smoothfs_client *c;

	if (fd < 0 || !ret)
		return -EINVAL;
	c = client_new();
	if (!c)
		return -ENOMEM;
	c->fd = fd;
	c->ev_fd = ev_fd;
	c->family = family;
	c->seq = seq;
	*ret = c;
	return 0;
}

int smoothfs_client_open(smoothfs_client **ret)
{
	_cleanup_(client_closep) smoothfs_client *c = NULL;
	int r;

	if (!ret)
		return -EINVAL;
	c = client_new();
	if (!c)
		return -ENOMEM;

	c->sk = nl_socket_alloc();
	if (!c->sk)
		return -ENOMEM;
	r = genl_connect(c->sk);
	if (r < 0)
		return nl_to_errno(r);
	r = genl_ctrl_resolve(c->sk, SMOOTHFS_GENL_FAMILY_NAME);
	if (r == -NLE_OBJ_NOTFOUND)
		return SMOOTHFS_ERR_NOT_LOADED;
	if (r < 0)
		return nl_to_errno(r);
	if (r == 0 || r > UINT16_MAX)
		return -EBADMSG;
	c->family = (uint16_t)r;
	c->fd = nl_socket_get_fd(c->sk);
	/* From here on libnl does not read this socket: our loop does. */
	setsockopt_int(c->fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	setsockopt_int(c->fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	c->seq = nl_socket_use_seq(c->sk);

	*ret = TAKE_PTR(c);
	return 0;
}

/*
 * Receives one datagram into *buf (grown as needed).  Returns its length,
 * or a negative errno (-EAGAIN with MSG_DONTWAIT, -ENOBUFS when the kernel
 * dropped messages).  *from_kernel is false when another socket sent it.
 */
static ssize_t recv_datagram(int fd, uint8_t **buf, size_t *size, int flags, bool *from_kernel)
{
	struct sockaddr_nl sa = {};
	struct iovec iov = {};
	struct msghdr mh = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	/* How big is it?  (MSG_TRUNC makes netlink return the real length.) */
	do
		n = recvmsg(fd, &mh, flags | MSG_PEEK | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;

	if ((size_t)n > *size || !*buf) {
		/* Beyond RECV_BUF_MAX, the datagram is received truncated and dropped. */
		size_t want = (size_t)n < RECV_BUF_INITIAL ? RECV_BUF_INITIAL :
			      (size_t)n > RECV_BUF_MAX ? RECV_BUF_MAX : (size_t)n;

		if (want > *size) {
			uint8_t *nb = realloc(*buf, want);

			if (!nb)
				return -ENOMEM;
			*buf = nb;
			*size = want;
		}
	}

	iov = (struct iovec){ .iov_base = *buf, .iov_len = *size };
	mh = (struct msghdr){ .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
	do
		n = recvmsg(fd, &mh, flags);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;	/* consumed: it is gone */
	/* Netlink always names the sender (a test's socketpair does not). */
	*from_kernel = mh.msg_namelen < sizeof(sa) || sa.nl_pid == 0;
	return n;
}

/* "inspect: <extack or errno description> (EFOO)[, attribute N]" */
static int set_kernel_error(smoothfs_client *c, const char *what, const struct smoothfs__reply *rep,
			    const uint8_t *req, size_t req_len)
{
	char attr[64] = "";

	if (rep->has_offset && rep->offset >= NLMSG_HDRLEN + GENL_HDRLEN &&
	    (size_t)rep->offset + NLA_HDRLEN <= req_len) {
		struct nlattr nla;

		memcpy(&nla, req + rep->offset, sizeof(nla));
		snprintf(attr, sizeof(attr), ", attribute %u", nla.nla_type & NLA_TYPE_MASK);
	} else if (rep->has_miss_type) {
		snprintf(attr, sizeof(attr), ", missing attribute %u", rep->miss_type);
	}
	return set_error(c, rep->error, "%s: %s (%s%s)", what,
			 rep->extack[0] ? rep->extack : errno_desc(rep->error), errno_name(rep->error),
			 attr);
}

/*
 * Sends a request and consumes its replies up to the ack (NLMSG_DONE for
 * a dump), handing the family's messages to on_msg.  Returns 0, the
 * kernel's errno, on_msg's first error, or a socket error; sets the
 * last error on failure.
 */
static int transact(smoothfs_client *c, const char *what, const struct smoothfs__request *req,
		    int (*on_msg)(void *userdata, const void *msg, size_t len), void *userdata)
{
	static const struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	_cleanup_free_ void *buf = NULL;
	struct smoothfs__reply rep;
	size_t len;
	ssize_t n;
	int r;

	pthread_mutex_lock(&c->lock);
	c->seq++;
	if (c->seq == 0)
		c->seq = 1;
	r = smoothfs__build_request(req, c->family, c->seq, &buf, &len);
	if (r < 0) {
		pthread_mutex_unlock(&c->lock);
		return set_error(c, r, "%s: cannot build the request: %s", what, errno_desc(r));
	}

	do
		n = sendto(c->fd, buf, len, 0, (const struct sockaddr *)&kernel, sizeof(kernel));
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		r = n < 0 ? -errno : -EIO;
		pthread_mutex_unlock(&c->lock);
		return set_error(c, r, "%s: send: %s", what, errno_desc(r));
	}

	rep = (struct smoothfs__reply){
		.seq = c->seq,
		.family = c->family,
		.dump = req->dump,
		.on_msg = on_msg,
		.userdata = userdata,
	};
	while (!rep.done) {
		bool from_kernel = false;

		n = recv_datagram(c->fd, &c->buf, &c->buf_size, 0, &from_kernel);
		if (n < 0) {
			r = (int)n;
			break;
		}
		if (!from_kernel)
			continue;
		r = smoothfs__reply_feed(&rep, c->buf, (size_t)n);
		if (r < 0)
			break;	/* what is left is skipped by sequence next time */
	}
	pthread_mutex_unlock(&c->lock);

	if (r < 0)
		return set_error(c, r, "%s: receiving the reply: %s", what, errno_desc(r));
	if (rep.error < 0)
		return set_kernel_error(c, what, &rep, buf, len);
	if (rep.parse_error < 0)
		return set_error(c, rep.parse_error, "%s: malformed reply from the kernel: %s", what,
				 errno_desc(rep.parse_error));
	return 0;
}

static int check_args(smoothfs_client *c, const char *what, const smoothfs_uuid_t *pool, bool need_oid,
		      const smoothfs_oid_t *oid)
{
	if (!pool)
		return set_error(c, -EINVAL, "%s: pool UUID is NULL", what);
	if (need_oid && !oid)
		return set_error(c, -EINVAL, "%s: object id is NULL", what);
	return 0;
}

static int check_tier(smoothfs_client *c, const char *what, const char *name, uint8_t tier)
{
	if (tier >= SMOOTHFS_MAX_TIERS)
		return set_error(c, -EINVAL, "%s: %s %u is not below %u", what, name, tier,
				 SMOOTHFS_MAX_TIERS);
	return 0;
}

struct inspect_ctx {
	struct smoothfs_inspect_result res;
	bool got;
};

static int inspect_msg(void *userdata, const void *msg, size_t len)
{
	struct inspect_ctx *ctx = userdata;

	int r;

	if (ctx->got)
		return -EBADMSG;	/* one reply, not two */
	r = smoothfs__parse_inspect_reply(msg, len, &ctx->res);
	if (r < 0)
		return r;
	ctx->got = true;
	return 0;
}

int smoothfs_inspect(smoothfs_client *c, const smoothfs_uuid_t *pool, const smoothfs_oid_t *oid,
		     struct smoothfs_inspect_result *ret)
{
	struct smoothfs__request req = { .cmd = SMOOTHFS_CMD_INSPECT, .pool = pool, .oid = oid };
	struct inspect_ctx ctx = {};
	int r;

	if (!c)
		return -EINVAL;
	r = check_args(c, "inspect", pool, true, oid);
	if (r < 0)
		return r;
	if (!ret)
		return set_error(c, -EINVAL, "inspect: result is NULL");

	r = transact(c, "inspect", &req, inspect_msg, &ctx);
	if (r == 0 && !ctx.got)
		r = set_error(c, -EBADMSG, "inspect: the kernel acknowledged without a reply");
	if (r == 0 && memcmp(ctx.res.oid.bytes, oid->bytes, SMOOTHFS_OID_LEN) != 0)
		r = set_error(c, -EBADMSG, "inspect: the reply is about another object");
	if (r < 0) {
		smoothfs_inspect_result_clear(&ctx.res);
		return r;
	}
	*ret = ctx.res;
	return 0;
}

int smoothfs_move_plan_force(smoothfs_client *c, const smoothfs_uuid_t *pool, const smoothfs_oid_t *oid,
			     uint8_t dest_tier, uint64_t seq, bool force)
{
	struct smoothfs__request req = {
		.cmd = SMOOTHFS_CMD_MOVE_PLAN,
		.pool = pool,
		.oid = oid,
		.has_intended_tier = true,
		.intended_tier = dest_tier,
		.has_transaction_seq = true,
		.transaction_seq = seq,
		.force = force,
	};
	const char *what = force ? "move_plan_force" : "move_plan";
	int r;

	if (!c)
		return -EINVAL;
	r = check_args(c, what, pool, true, oid);
	if (r == 0)
		r = check_tier(c, what, "destination tier", dest_tier);
	if (r < 0)
		return r;
	return transact(c, what, &req, NULL, NULL);
}

int smoothfs_move_plan(smoothfs_client *c, const smoothfs_uuid_t *pool, const smoothfs_oid_t *oid,
		       uint8_t dest_tier, uint64_t seq)
{
	return smoothfs_move_plan_force(c, pool, oid, dest_tier, seq, false);
}

static int cutover(smoothfs_client *c, const char *what, const smoothfs_uuid_t *pool,
		   const smoothfs_oid_t *oid, uint64_t seq, bool verify, uint64_t write_seq)
{
	struct smoothfs__request req = {
		.cmd = SMOOTHFS_CMD_MOVE_CUTOVER,
		.pool = pool,
		.oid = oid,
		.has_transaction_seq = true,
		.transaction_seq = seq,
		.has_write_seq = verify,
		.write_seq = write_seq,
	};
	int r;

	if (!c)
		return -EINVAL;
	r = check_args(c, what, pool, true, oid);
	if (r < 0)
		return r;
	return transact(c, what, &req, NULL, NULL);
}

int smoothfs_move_cutover(smoothfs_client *c, const smoothfs_uuid_t *pool, const smoothfs_oid_t *oid,
			  uint64_t seq)
{
	return cutover(c, "move_cutover", pool, oid, seq, false, 0);
}

int smoothfs_move_cutover_verify_write_seq(smoothfs_client *c, const smoothfs_uuid_t *pool,
					   const smoothfs_oid_t *oid, uint64_t seq, uint64_t write_seq)
{
	return cutover(c, "move_cutover_verify_write_seq", pool, oid, seq, true, write_seq);
}

int smoothfs_move_abort(smoothfs_client *c, const smoothfs_uuid_t *pool, const smoothfs_oid_t *oid,
			uint64_t seq)
{
	struct smoothfs__request req = {
		.cmd = SMOOTHFS_CMD_MOVE_ABORT,
		.pool = pool,
		.oid = oid,
		.has_transaction_seq = true,
		.transaction_seq = seq,
	};
	int r;

	if (!c)
		return -EINVAL;
	r = check_args(c, "move_abort", pool, true, oid);
	if (r < 0)
		return r;
	return transact(c, "move_abort", &req, NULL, NULL);
}

int smoothfs_quiesce(smoothfs_client *c, const smoothfs_uuid_t *pool)
{
	struct smoothfs__request req = { .cmd = SMOOTHFS_CMD_QUIESCE, .pool = pool };
	int r;

	if (!c)
		return -EINVAL;
	r = check_args(c, "quiesce", pool, false, NULL);
	if (r < 0)
		return r;
	return transact(c, "quiesce", &req, NULL, NULL);
}

int smoothfs_reconcile(smoothfs_client *c, const smoothfs_uuid_t *pool, const char *reason)
{
	struct smoothfs__request req = { .cmd = SMOOTHFS_CMD_RECONCILE, .pool = pool, .reason = reason };
	int r;

	if (!c)
		return -EINVAL;
	r = check_args(c, "reconcile", pool, false, NULL);
	if (r < 0)
		return r;
	if (reason && strlen(reason) > SMOOTHFS_RECONCILE_REASON_MAX)
		return set_error(c, -EINVAL, "reconcile: reason is longer than %d bytes",
				 SMOOTHFS_RECONCILE_REASON_MAX);
	return transact(c, "reconcile", &req, NULL, NULL);
}

int smoothfs_revoke_mappings(smoothfs_client *c, const smoothfs_uuid_t *pool, const smoothfs_oid_t *oid)
{
	struct smoothfs__request req = { .cmd = SMOOTHFS_CMD_REVOKE_MAPPINGS, .pool = pool, .oid = oid };
	int r;

	if (!c)
		return -EINVAL;
	r = check_args(c, "revoke_mappings", pool, true, oid);
	if (r < 0)
		return r;
	return transact(c, "revoke_mappings", &req, NULL, NULL);
}

static int tier_command(smoothfs_client *c, const char *what, uint8_t cmd, const smoothfs_uuid_t *pool,
			uint8_t rank)
{
	struct smoothfs__request req = {
		.cmd = cmd,
		.pool = pool,
		.has_tier_rank = true,
		.tier_rank = rank,
	};
	int r;

	if (!c)
		return -EINVAL;
	r = check_args(c, what, pool, false, NULL);
	if (r == 0)
		r = check_tier(c, what, "tier rank", rank);
	if (r < 0)
		return r;
	return transact(c, what, &req, NULL, NULL);
}

int smoothfs_tier_down(smoothfs_client *c, const smoothfs_uuid_t *pool, uint8_t rank)
{
	return tier_command(c, "tier_down", SMOOTHFS_CMD_TIER_DOWN, pool, rank);
}

int smoothfs_reprobe(smoothfs_client *c, const smoothfs_uuid_t *pool, uint8_t rank)
{
	return tier_command(c, "reprobe", SMOOTHFS_CMD_REPROBE, pool, rank);
}

struct pools_ctx {
	struct smoothfs_pool_info *pools;
	size_t n, allocated;
};

static int pools_msg(void *userdata, const void *msg, size_t len)
{
	struct pools_ctx *ctx = userdata;
	int r;

	if (ctx->n == ctx->allocated) {
		size_t want = ctx->allocated ? 2 * ctx->allocated : 8;
		struct smoothfs_pool_info *p = reallocarray(ctx->pools, want, sizeof(*p));

		if (!p)
			return -ENOMEM;
		ctx->pools = p;
		ctx->allocated = want;
	}
	r = smoothfs__parse_pool_info(msg, len, &ctx->pools[ctx->n]);
	if (r < 0)
		return r;
	ctx->n++;
	return 0;
}

int smoothfs_list_pools(smoothfs_client *c, struct smoothfs_pool_info **ret, size_t *ret_n)
{
	struct smoothfs__request req = { .cmd = SMOOTHFS_CMD_LIST_POOLS, .dump = true };
	struct pools_ctx ctx = {};
	int r;

	if (!c)
		return -EINVAL;
	if (!ret || !ret_n)
		return set_error(c, -EINVAL, "list_pools: result is NULL");
	r = transact(c, "list_pools", &req, pools_msg, &ctx);
	if (r < 0) {
		smoothfs_pool_info_free(ctx.pools, ctx.n);
		return r;
	}
	if (ctx.n == 0) {
		free(ctx.pools);
		ctx.pools = NULL;
	}
	*ret = ctx.pools;
	*ret_n = ctx.n;
	return 0;
}

/* --- events --------------------------------------------------------------- */

int smoothfs_subscribe(smoothfs_client *c)
{
	struct nl_sock *sk = NULL;
	int fd, grp, r = 0, size = EVENT_RCVBUF;

	if (!c)
		return -EINVAL;
	pthread_mutex_lock(&c->ev_lock);
	if (c->ev_fd >= 0)
		goto out;	/* already subscribed */

	sk = nl_socket_alloc();
	if (!sk) {
		r = set_error(c, -ENOMEM, "subscribe: %s", errno_desc(ENOMEM));
		goto out;
	}
	r = genl_connect(sk);
	if (r < 0) {
		r = set_errno_error(c, nl_to_errno(r), "subscribe: connecting");
		goto out;
	}
	grp = genl_ctrl_resolve_grp(sk, SMOOTHFS_GENL_FAMILY_NAME, SMOOTHFS_GENL_MCAST_GROUP);
	if (grp < 0) {
		r = nl_to_errno(grp);
		r = set_error(c, r, "subscribe: resolving the \"%s\" group: %s", SMOOTHFS_GENL_MCAST_GROUP,
			      r == -ENOENT ? "no such family or group (module unloaded?)" : errno_desc(r));
		goto out;
	}
	/* Multicast messages carry no sequence numbers to check. */
	nl_socket_disable_seq_check(sk);
	fd = nl_socket_get_fd(sk);
	/* setsockopt() itself, for the real errno: EPERM without CAP_SYS_ADMIN. */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		r = -errno;
		if (r == -EPERM)
			set_error(c, r, "subscribe: joining the \"%s\" group needs CAP_SYS_ADMIN (EPERM)",
				  SMOOTHFS_GENL_MCAST_GROUP);
		else
			set_errno_error(c, r, "subscribe: joining the group");
		goto out;
	}
	/* A large buffer, beyond rmem_max where we may (CAP_NET_ADMIN). */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)nl_socket_set_buffer_size(sk, size, 0);
	/*
	 * Tell the kernel when this socket is full, so that it holds heat
	 * samples back until we have read our backlog instead of dropping
	 * them (kernels without it drop them: we still see -ENOBUFS).
	 */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_BROADCAST_ERROR, &(int){ 1 }, sizeof(int));
	r = nl_socket_set_nonblocking(sk);
	if (r < 0) {
		r = set_errno_error(c, nl_to_errno(r), "subscribe: making the socket non-blocking");
		goto out;
	}
	c->ev_sk = TAKE_PTR(sk);
	__atomic_store_n(&c->ev_fd, fd, __ATOMIC_RELEASE);
	r = 0;
out:
	pthread_mutex_unlock(&c->ev_lock);
	if (sk)
		nl_socket_free(sk);
	return r;
}

int smoothfs_event_fd(smoothfs_client *c)
{
	int fd;

	if (!c)
		return -EINVAL;
	fd = __atomic_load_n(&c->ev_fd, __ATOMIC_ACQUIRE);
	return fd >= 0 ? fd : -EBADF;
}

static int queue_push(smoothfs_client *c, struct smoothfs_event *ev, int error)
{
	struct ev_entry *e = calloc(1, sizeof(*e));

	if (!e) {
		smoothfs_event_free(ev);
		return -ENOMEM;
	}
	e->ev = ev;
	e->error = error;
	if (c->q_tail)
		c->q_tail->next = e;
	else
		c->q_head = e;
	c->q_tail = e;
	return 0;
}

static int event_msg(void *userdata, const uint8_t *msg, const struct nlmsghdr *nlh)
{
	smoothfs_client *c = userdata;
	struct smoothfs_event *ev = NULL;
	int r;

	if (nlh->nlmsg_type != c->family)
		return 0;	/* control messages */
	r = smoothfs_decode_event(msg, nlh->nlmsg_len, &ev);
	if (r == 0)
		return 0;	/* not an event we know */
	/* A malformed event takes its place in the queue as an error. */
	return queue_push(c, r > 0 ? ev : NULL, r > 0 ? 0 : r);
}

/* Reads what is there; -EAGAIN when nothing is. */
static int event_read(smoothfs_client *c)
{
	bool from_kernel = false;
	ssize_t n;
	int r;

	n = recv_datagram(c->ev_fd, &c->ev_buf, &c->ev_buf_size, MSG_DONTWAIT, &from_kernel);
	if (n < 0)
		return (int)n;
	if (!from_kernel)
		return 0;	/* only the kernel sends events */
	r = smoothfs__walk_msgs(c->ev_buf, (size_t)n, NULL, event_msg, c);
	if (r == -EBADMSG)
		r = queue_push(c, NULL, -EBADMSG);
	return r;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int receive_locked(smoothfs_client *c, int timeout_ms, struct smoothfs_event **ret)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
	int r;

	for (;;) {
		struct ev_entry *e = c->q_head;
		struct pollfd pfd = { .fd = c->ev_fd, .events = POLLIN };
		int wait = -1;

		if (e) {
			c->q_head = e->next;
			if (!c->q_head)
				c->q_tail = NULL;
			r = e->error;
			if (r == 0)
				*ret = e->ev;
			free(e);
			if (r < 0)
				return set_error(c, r, "receive: malformed event from the kernel: %s",
						 errno_desc(r));
			return 0;
		}

		r = event_read(c);
		if (r == 0)
			continue;
		if (r == -ENOBUFS)
			return set_error(c, r, "receive: the kernel dropped events (socket overflow); "
					 "resynchronise");
		if (r != -EAGAIN)
			return set_errno_error(c, r, "receive");

		if (timeout_ms == 0)
			return set_error(c, -EAGAIN, "receive: no event pending");
		if (timeout_ms > 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return set_error(c, -ETIMEDOUT, "receive: no event within %d ms", timeout_ms);
			wait = (int)left;
		}
		r = poll(&pfd, 1, wait);
		if (r < 0 && errno != EINTR)
			return set_errno_error(c, -errno, "receive: poll");
		/* Timed out or readable: the loop decides. */
	}
}

int smoothfs_receive(smoothfs_client *c, int timeout_ms, struct smoothfs_event **ret)
{
	int r;

	if (!c)
		return -EINVAL;
	if (!ret)
		return set_error(c, -EINVAL, "receive: result is NULL");
	pthread_mutex_lock(&c->ev_lock);
	if (c->ev_fd < 0)
		r = set_error(c, -EBADF, "receive: not subscribed (call smoothfs_subscribe() first)");
	else
		r = receive_locked(c, timeout_ms, ret);
	pthread_mutex_unlock(&c->ev_lock);
	return r;
}
