// SPDX-License-Identifier: GPL-2.0-only
/*
 * nl-fuzz: random and mutated generic netlink messages for every command
 * of the smoothfs family, sent to the real module (tests/vm/t/nl-fuzz.t).
 *
 *   nl-fuzz [-s SEED] [-n COUNT] [-u UUID]... [-o OID-HEX]...
 *           [-P UUID] [-O OID-HEX]... [-t NTIERS] [-U] [-v]
 *   nl-fuzz -r -u UUID -o OID-HEX... -t NTIERS      restore a pool
 *
 * -u/-o: pools and objects that fully valid commands may hit (their state
 * may change: plans, quiesce, tier down...; -r puts it back).  -P/-O:
 * pools and objects that only reach read-only commands (INSPECT,
 * LIST_POOLS) and appear in mutating commands only when -U says the
 * caller is unprivileged.  -U: every mutating command must be refused
 * (EPERM, or EOPNOTSUPP/EINVAL before the permission check); a success
 * is a finding.
 *
 * Messages always carry the family's id or a netlink control type as
 * nlmsg_type, never another family's.  The stream of messages depends
 * only on the seed and the arguments, so a run is reproducible: a
 * finding prints the message's index and bytes.  Output: a summary of
 * the replies per command and errno; exit status 1 on a finding.
 *
 * -r: for every object (-o) not "placed", MOVE_ABORT with the sequence
 * INSPECT reports, then RECONCILE and REPROBE of every tier (-t).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/smoothfs.h>

#define MAX_IDS 64
#define BUF 8192
#define NCMD 256
#define NERR 4096

static uint64_t rng;
static uint16_t family;
static int sock;
static bool unpriv, verbose;

static uint8_t uuids[MAX_IDS][16], oids[MAX_IDS][16];	/* may change */
static uint8_t ro_uuids[MAX_IDS][16], ro_oids[MAX_IDS][16];	/* read only */
static int n_uuids, n_oids, n_ro_uuids, n_ro_oids, ntiers = 2;

static unsigned long sent, replies, acks, dropped, findings, eperm, control;
static unsigned long count[NCMD][NERR];

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 2685821657736338717ULL;
}

static unsigned int below(unsigned int n)
{
	return n ? rnd() % n : 0;
}

static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

static void rnd_bytes(uint8_t *p, size_t n)
{
	while (n--)
		*p++ = rnd() >> 32;
}

static const uint8_t smoothfs_cmds[] = {
	SMOOTHFS_CMD_UNSPEC, SMOOTHFS_CMD_REGISTER_POOL, SMOOTHFS_CMD_POLICY_PUSH,
	SMOOTHFS_CMD_MOVE_PLAN, SMOOTHFS_CMD_TIER_DOWN, SMOOTHFS_CMD_RECONCILE,
	SMOOTHFS_CMD_QUIESCE, SMOOTHFS_CMD_INSPECT, SMOOTHFS_CMD_REPROBE,
	SMOOTHFS_EVENT_MOUNT_READY, SMOOTHFS_EVENT_HEAT_SAMPLE, SMOOTHFS_EVENT_MOVE_STATE,
	SMOOTHFS_EVENT_TIER_FAULT, SMOOTHFS_CMD_MOVE_CUTOVER, SMOOTHFS_CMD_REVOKE_MAPPINGS,
	SMOOTHFS_EVENT_SPILL, SMOOTHFS_CMD_MOVE_ABORT, SMOOTHFS_CMD_LIST_POOLS,
	SMOOTHFS_EVENT_POOL_UNMOUNTED,
};

/* Commands that only read: any pool and object may go in them. */
static bool read_only(unsigned int cmd)
{
	return cmd == SMOOTHFS_CMD_INSPECT || cmd == SMOOTHFS_CMD_LIST_POOLS;
}

/* Commands the module implements and that need CAP_NET_ADMIN. */
static bool admin_cmd(unsigned int cmd)
{
	switch (cmd) {
	case SMOOTHFS_CMD_INSPECT:
	case SMOOTHFS_CMD_MOVE_PLAN:
	case SMOOTHFS_CMD_MOVE_CUTOVER:
	case SMOOTHFS_CMD_MOVE_ABORT:
	case SMOOTHFS_CMD_REVOKE_MAPPINGS:
	case SMOOTHFS_CMD_QUIESCE:
	case SMOOTHFS_CMD_RECONCILE:
	case SMOOTHFS_CMD_TIER_DOWN:
	case SMOOTHFS_CMD_REPROBE:
		return true;
	}
	return false;
}

struct msg {
	uint8_t b[BUF];
	size_t len;
	unsigned int cmd;
};

static void put_attr(struct msg *m, uint16_t type, const void *data, size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->len);
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (m->len + total > BUF)
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy(a + 1, data, len);
	memset((uint8_t *)(a + 1) + len, 0, total - NLA_HDRLEN - len);
	m->len += total;
}

static void put_u8(struct msg *m, uint16_t type, uint8_t v)
{
	put_attr(m, type, &v, 1);
}

static void put_u64(struct msg *m, uint16_t type, uint64_t v)
{
	put_attr(m, type, &v, 8);
}

/* A pool UUID: mostly a known one, else random or a near miss. */
static void pick_uuid(struct msg *m, uint8_t *out)
{
	bool ro_ok = unpriv || read_only(m->cmd);
	unsigned int r = below(100);

	if (r < 70 && n_uuids && (!ro_ok || !n_ro_uuids || chance(50))) {
		memcpy(out, uuids[below(n_uuids)], 16);
	} else if (r < 70 && ro_ok && n_ro_uuids) {
		memcpy(out, ro_uuids[below(n_ro_uuids)], 16);
	} else if (r < 85) {
		rnd_bytes(out, 16);
	} else {
		/* One bit off a known UUID (never equal to a protected one). */
		memcpy(out, n_uuids ? uuids[below(n_uuids)] : ro_uuids[0], 16);
		out[below(16)] ^= 1 << below(8);
	}
}

static void pick_oid(struct msg *m, uint8_t *out)
{
	bool ro_ok = unpriv || read_only(m->cmd);
	unsigned int r = below(100);

	if (r < 70 && n_oids && (!ro_ok || !n_ro_oids || chance(50))) {
		memcpy(out, oids[below(n_oids)], 16);
	} else if (r < 70 && ro_ok && n_ro_oids) {
		memcpy(out, ro_oids[below(n_ro_oids)], 16);
	} else if (r < 85) {
		rnd_bytes(out, 16);
	} else {
		memcpy(out, n_oids ? oids[below(n_oids)] : ro_oids[0], 16);
		out[below(16)] ^= 1 << below(8);
	}
}

static uint64_t pick_u64(void)
{
	switch (below(5)) {
	case 0:
		return 0;
	case 1:
		return below(8);
	case 2:
		return UINT64_MAX - below(2);
	default:
		return rnd();
	}
}

static void put_reason(struct msg *m)
{
	char s[400];
	size_t n = below(100) < 80 ? below(40) : below(sizeof(s));

	for (size_t i = 0; i < n; i++)
		s[i] = chance(90) ? (char)('a' + below(26)) : (char)(rnd() >> 40);
	if (chance(80)) {
		s[n] = 0;
		put_attr(m, SMOOTHFS_ATTR_RECONCILE_REASON, s, n + 1);
	} else {
		put_attr(m, SMOOTHFS_ATTR_RECONCILE_REASON, s, n);	/* no NUL */
	}
}

/* The attributes @cmd takes, with plausible values. */
static void put_valid(struct msg *m)
{
	uint8_t id[16];

	pick_uuid(m, id);
	if (m->cmd != SMOOTHFS_CMD_LIST_POOLS || chance(20))
		put_attr(m, SMOOTHFS_ATTR_POOL_UUID, id, 16);
	switch (m->cmd) {
	case SMOOTHFS_CMD_MOVE_PLAN:
		pick_oid(m, id);
		put_attr(m, SMOOTHFS_ATTR_OBJECT_ID, id, 16);
		put_u8(m, SMOOTHFS_ATTR_INTENDED_TIER, below(ntiers + 1));
		put_u64(m, SMOOTHFS_ATTR_TRANSACTION_SEQ, pick_u64());
		if (chance(30))
			put_u8(m, SMOOTHFS_ATTR_FORCE, below(2));
		break;
	case SMOOTHFS_CMD_MOVE_CUTOVER:
		pick_oid(m, id);
		put_attr(m, SMOOTHFS_ATTR_OBJECT_ID, id, 16);
		put_u64(m, SMOOTHFS_ATTR_TRANSACTION_SEQ, pick_u64());
		if (chance(50))
			put_u64(m, SMOOTHFS_ATTR_WRITE_SEQ, pick_u64());
		break;
	case SMOOTHFS_CMD_MOVE_ABORT:
		pick_oid(m, id);
		put_attr(m, SMOOTHFS_ATTR_OBJECT_ID, id, 16);
		put_u64(m, SMOOTHFS_ATTR_TRANSACTION_SEQ, pick_u64());
		break;
	case SMOOTHFS_CMD_INSPECT:
	case SMOOTHFS_CMD_REVOKE_MAPPINGS:
		pick_oid(m, id);
		put_attr(m, SMOOTHFS_ATTR_OBJECT_ID, id, 16);
		break;
	case SMOOTHFS_CMD_TIER_DOWN:
	case SMOOTHFS_CMD_REPROBE:
		put_u8(m, SMOOTHFS_ATTR_TIER_RANK, below(ntiers + 1));
		break;
	case SMOOTHFS_CMD_RECONCILE:
		if (chance(70))
			put_reason(m);
		break;
	default:
		break;
	}
}

/* An attribute of any type (within and beyond the policy) and length. */
static void put_random_attr(struct msg *m, int depth)
{
	uint8_t data[128];
	uint16_t type = chance(80) ? below(SMOOTHFS_ATTR_MAX + 3) : rnd() >> 48;
	size_t len;

	switch (below(6)) {
	case 0:
		len = 0;
		break;
	case 1:
		len = 1 << below(5);	/* 1, 2, 4, 8, 16 */
		break;
	case 2:
		len = 15 + below(3);	/* around an OID */
		break;
	default:
		len = below(sizeof(data));
	}
	if (depth < 3 && chance(15)) {
		/* A nest of further attributes. */
		size_t start = m->len, n = 1 + below(4);

		if (m->len + NLA_HDRLEN > BUF - 512)
			return;
		m->len += NLA_HDRLEN;
		while (n--)
			put_random_attr(m, depth + 1);
		((struct nlattr *)(m->b + start))->nla_type = type | (chance(70) ? NLA_F_NESTED : 0);
		((struct nlattr *)(m->b + start))->nla_len = m->len - start;
		return;
	}
	rnd_bytes(data, len);
	if (chance(10))
		type |= chance(50) ? NLA_F_NESTED : NLA_F_NET_BYTEORDER;
	put_attr(m, type, data, len);
}

/* A known attribute with the wrong length. */
static void put_wrong_length(struct msg *m)
{
	static const uint16_t types[] = {
		SMOOTHFS_ATTR_POOL_UUID, SMOOTHFS_ATTR_OBJECT_ID, SMOOTHFS_ATTR_TIER_RANK,
		SMOOTHFS_ATTR_INTENDED_TIER, SMOOTHFS_ATTR_TRANSACTION_SEQ,
		SMOOTHFS_ATTR_WRITE_SEQ, SMOOTHFS_ATTR_FORCE, SMOOTHFS_ATTR_RECONCILE_REASON,
	};
	uint8_t data[300];
	static const size_t lens[] = { 0, 1, 2, 3, 4, 7, 8, 9, 15, 17, 32, 255, 256, 257, 300 };

	rnd_bytes(data, sizeof(data));
	put_attr(m, types[below(sizeof(types) / sizeof(types[0]))], data,
		 lens[below(sizeof(lens) / sizeof(lens[0]))]);
}

/* Byte-level damage to the attributes of a built message. */
static void mutate(struct msg *m, size_t attrs)
{
	unsigned int n = 1 + below(4);

	while (n--) {
		size_t span = m->len - attrs;

		switch (below(7)) {
		case 0:	/* flip a bit */
			if (span)
				m->b[attrs + below(span)] ^= 1 << below(8);
			break;
		case 1:	/* set a byte */
			if (span)
				m->b[attrs + below(span)] = rnd() >> 40;
			break;
		case 2:	/* an attribute header's length */
			if (span >= NLA_HDRLEN) {
				struct nlattr *a = (struct nlattr *)(m->b + attrs + (below(span) & ~3UL));

				if ((uint8_t *)a + NLA_HDRLEN <= m->b + m->len)
					a->nla_len = chance(50) ? below(8) : rnd() >> 48;
			}
			break;
		case 3:	/* cut the end */
			if (span)
				m->len -= 1 + below(span);
			break;
		case 4:	/* garbage after it */
		{
			size_t add = 1 + below(64);

			if (m->len + add <= BUF) {
				rnd_bytes(m->b + m->len, add);
				m->len += add;
			}
			break;
		}
		case 5:	/* duplicate an attribute-sized chunk */
			if (span >= 8 && m->len + 24 <= BUF) {
				size_t at = attrs + (below(span) & ~3UL), len = 4 + below(20);

				if (at + len <= m->len) {
					memcpy(m->b + m->len, m->b + at, len);
					m->len += len;
				}
			}
			break;
		default:
			put_random_attr(m, 0);
		}
	}
}

static bool id_in(const uint8_t *p, uint8_t ids[][16], int n)
{
	for (int i = 0; i < n; i++)
		if (!memcmp(p, ids[i], 16))
			return true;
	return false;
}

/* Whether any 16 bytes of @m equal a protected id (privileged runs). */
static bool touches_protected(const struct msg *m)
{
	for (size_t i = 0; i + 16 <= m->len; i++)
		if (id_in(m->b + i, ro_uuids, n_ro_uuids) || id_in(m->b + i, ro_oids, n_ro_oids))
			return true;
	return false;
}

static void build(struct msg *m, unsigned int seq)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->b;
	struct genlmsghdr *g = (struct genlmsghdr *)NLMSG_DATA(nlh);
	size_t attrs = NLMSG_HDRLEN + GENL_HDRLEN;
	unsigned int strategy = below(100), n;

	memset(m->b, 0, attrs);
	m->cmd = chance(90) ? smoothfs_cmds[below(sizeof(smoothfs_cmds))] : below(256);
	nlh->nlmsg_type = chance(99) ? family : below(NLMSG_MIN_TYPE);
	nlh->nlmsg_flags = NLM_F_REQUEST | (chance(90) ? NLM_F_ACK : 0);
	if (m->cmd == SMOOTHFS_CMD_LIST_POOLS ? chance(90) : chance(5))
		nlh->nlmsg_flags |= NLM_F_DUMP;
	if (chance(5))
		nlh->nlmsg_flags |= rnd() & 0xfff0;
	nlh->nlmsg_seq = seq;
	g->cmd = m->cmd;
	g->version = chance(95) ? SMOOTHFS_GENL_FAMILY_VERSION : rnd() >> 56;
	g->reserved = chance(95) ? 0 : rnd() >> 48;
	m->len = attrs;

	if (strategy < 25) {		/* valid */
		put_valid(m);
	} else if (strategy < 45) {	/* valid, then damaged */
		put_valid(m);
		mutate(m, attrs);
	} else if (strategy < 55) {	/* valid, some attributes twice */
		put_valid(m);
		n = 1 + below(3);
		while (n--)
			put_valid(m);
	} else if (strategy < 65) {	/* valid prefix, wrong-length attribute */
		put_valid(m);
		put_wrong_length(m);
	} else if (strategy < 80) {	/* random attributes, nests */
		n = below(8);
		while (n--)
			put_random_attr(m, 0);
	} else if (strategy < 90) {	/* valid prefix, then garbage */
		put_valid(m);
		n = below(200);
		if (m->len + n <= BUF) {
			rnd_bytes(m->b + m->len, n);
			m->len += n;
		}
	} else {			/* a short or bare message */
		m->len = below(attrs + 1);
	}
	nlh->nlmsg_len = m->len;
	if (m->len >= NLMSG_HDRLEN && chance(5)) {
		/*
		 * A header that lies about the length.  When it claims less
		 * than was sent, the kernel reads what follows as another
		 * message, whose type could be another family's: leave
		 * less than a header after it, so that nothing else is read.
		 */
		if (chance(50)) {
			nlh->nlmsg_len = below(m->len + 1);
			if (nlh->nlmsg_len >= NLMSG_HDRLEN &&
			    m->len >= NLMSG_ALIGN(nlh->nlmsg_len) + NLMSG_HDRLEN)
				m->len = NLMSG_ALIGN(nlh->nlmsg_len) + below(NLMSG_HDRLEN);
		} else {
			nlh->nlmsg_len = m->len + 1 + below(64);
		}
	}
}

static void hexdump(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu bytes):", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n  ", p[i]);
	fprintf(stderr, "\n");
}

__attribute__((format(printf, 3, 4)))
static void finding(unsigned long idx, const struct msg *m, const char *fmt, ...)
{
	va_list ap;

	findings++;
	fprintf(stderr, "FINDING at message %lu (cmd %u): ", idx, m ? m->cmd : 0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	if (m)
		hexdump("  message", m->b, m->len);
}

/* Attributes of a reply are well-formed. */
static bool attrs_ok(const uint8_t *p, size_t len)
{
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return false;
		if ((size_t)NLA_ALIGN(a->nla_len) >= len)
			return true;
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
	return len == 0;
}

/*
 * Read every reply now queued (the kernel handles a request in sendmsg;
 * a dump continues with each recv).  Returns the error of the ack for
 * @seq, 1 when there was none.
 */
static int drain(unsigned long idx, const struct msg *m, unsigned int seq, uint8_t *reply,
		 size_t *reply_len)
{
	static uint8_t buf[65536];
	int result = 1;

	for (;;) {
		ssize_t n = recv(sock, buf, sizeof(buf), MSG_DONTWAIT);
		struct nlmsghdr *nlh;

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return result;
			if (errno == ENOBUFS)
				continue;
			finding(idx, m, "recv: errno %d", errno);
			return result;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, (size_t)n); nlh = NLMSG_NEXT(nlh, n)) {
			replies++;
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nlh);

				if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)) || e->error > 0 ||
				    e->error < -(NERR - 1)) {
					finding(idx, m, "a malformed error reply (%d)", e->error);
					continue;
				}
				if (nlh->nlmsg_seq == seq)
					result = e->error;
				acks++;
			} else if (nlh->nlmsg_type == NLMSG_DONE) {
				if (nlh->nlmsg_seq == seq && result == 1)
					result = 0;
			} else if (nlh->nlmsg_type == family) {
				size_t plen = nlh->nlmsg_len - NLMSG_HDRLEN;

				if (plen < GENL_HDRLEN ||
				    !attrs_ok((uint8_t *)NLMSG_DATA(nlh) + GENL_HDRLEN,
					      plen - GENL_HDRLEN)) {
					finding(idx, m, "a malformed reply of %d bytes", (int)plen);
					continue;
				}
				if (reply && plen <= BUF) {
					memcpy(reply, NLMSG_DATA(nlh), plen);
					*reply_len = plen;
				}
			} else if (nlh->nlmsg_type != NLMSG_NOOP) {
				finding(idx, m, "a reply of type %d", nlh->nlmsg_type);
			}
		}
	}
}

static int resolve_family(void)
{
	struct {
		struct nlmsghdr n;
		struct genlmsghdr g;
		uint8_t attrs[64];
	} req = { 0 };
	static uint8_t buf[8192];
	struct nlattr *a = (struct nlattr *)req.attrs;
	ssize_t n;

	req.n.nlmsg_type = GENL_ID_CTRL;
	req.n.nlmsg_flags = NLM_F_REQUEST;
	req.g.cmd = CTRL_CMD_GETFAMILY;
	req.g.version = 1;
	a->nla_type = CTRL_ATTR_FAMILY_NAME;
	a->nla_len = NLA_HDRLEN + sizeof(SMOOTHFS_GENL_FAMILY_NAME);
	memcpy(a + 1, SMOOTHFS_GENL_FAMILY_NAME, sizeof(SMOOTHFS_GENL_FAMILY_NAME));
	req.n.nlmsg_len = NLMSG_HDRLEN + GENL_HDRLEN + NLA_ALIGN(a->nla_len);
	if (send(sock, &req, req.n.nlmsg_len, 0) < 0)
		return -errno;
	n = recv(sock, buf, sizeof(buf), 0);
	if (n < 0)
		return -errno;
	for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
	     h = NLMSG_NEXT(h, n)) {
		size_t len = h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
		uint8_t *p = (uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN;

		if (h->nlmsg_type == NLMSG_ERROR)
			return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
		while (len >= NLA_HDRLEN) {
			a = (struct nlattr *)p;
			if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
				break;
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
				return *(uint16_t *)(a + 1);
			if ((size_t)NLA_ALIGN(a->nla_len) >= len)
				break;
			len -= NLA_ALIGN(a->nla_len);
			p += NLA_ALIGN(a->nla_len);
		}
	}
	return -ENOENT;
}

static int parse_hex(const char *s, uint8_t *out)
{
	unsigned int v;
	int j = 0;

	for (; *s && j < 16; s++) {
		if (*s == '-')
			continue;
		if (sscanf(s, "%2x", &v) != 1 || !s[1])
			return -1;
		out[j++] = v;
		s++;
	}
	return j == 16 && !*s ? 0 : -1;
}

static void add_id(uint8_t ids[][16], int *n, const char *s)
{
	if (*n >= MAX_IDS || parse_hex(s, ids[*n])) {
		fprintf(stderr, "nl-fuzz: bad id %s\n", s);
		exit(2);
	}
	(*n)++;
}

/* One well-formed request; its error (0 ok), the reply in @reply. */
static int request(uint8_t cmd, const uint8_t *uuid, const uint8_t *oid, int rank,
		   const uint64_t *seq, uint8_t *reply, size_t *reply_len)
{
	static unsigned int rseq = 0x40000000;
	struct msg m = { .cmd = cmd };
	struct nlmsghdr *nlh = (struct nlmsghdr *)m.b;
	struct genlmsghdr *g = (struct genlmsghdr *)NLMSG_DATA(nlh);

	m.len = NLMSG_HDRLEN + GENL_HDRLEN;
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++rseq;
	g->cmd = cmd;
	g->version = SMOOTHFS_GENL_FAMILY_VERSION;
	put_attr(&m, SMOOTHFS_ATTR_POOL_UUID, uuid, 16);
	if (oid)
		put_attr(&m, SMOOTHFS_ATTR_OBJECT_ID, oid, 16);
	if (rank >= 0)
		put_u8(&m, SMOOTHFS_ATTR_TIER_RANK, rank);
	if (seq)
		put_u64(&m, SMOOTHFS_ATTR_TRANSACTION_SEQ, *seq);
	nlh->nlmsg_len = m.len;
	if (send(sock, m.b, m.len, 0) < 0)
		return -errno;
	return drain(0, &m, rseq, reply, reply_len);
}

/* Put a pool the fuzzer may have changed back: see the top. */
static int restore(void)
{
	static uint8_t reply[BUF];
	int err, bad = 0;

	for (int i = 0; i < n_oids; i++) {
		size_t len = 0, off = GENL_HDRLEN;
		int state = -1;
		uint64_t seq = 0;

		err = request(SMOOTHFS_CMD_INSPECT, uuids[0], oids[i], -1, NULL, reply, &len);
		if (err < 0) {
			fprintf(stderr, "restore: inspect of object %d: %s\n", i, strerror(-err));
			bad++;
			continue;
		}
		while (off + NLA_HDRLEN <= len) {
			struct nlattr *a = (struct nlattr *)(reply + off);

			if (a->nla_len < NLA_HDRLEN)
				break;
			if (a->nla_type == SMOOTHFS_ATTR_MOVEMENT_STATE)
				state = *(uint8_t *)(a + 1);
			if (a->nla_type == SMOOTHFS_ATTR_TRANSACTION_SEQ)
				memcpy(&seq, a + 1, 8);
			off += NLA_ALIGN(a->nla_len);
		}
		if (state == SMOOTHFS_MS_PLACED)
			continue;
		err = request(SMOOTHFS_CMD_MOVE_ABORT, uuids[0], oids[i], -1, &seq, NULL, NULL);
		printf("restore: object %d was in state %d (seq %" PRIu64 "): abort: %d\n",
		       i, state, seq, err);
		if (err < 0)
			bad++;
	}
	err = request(SMOOTHFS_CMD_RECONCILE, uuids[0], NULL, -1, NULL, NULL, NULL);
	if (err < 0) {
		fprintf(stderr, "restore: reconcile: %s\n", strerror(-err));
		bad++;
	}
	for (int t = 0; t < ntiers; t++) {
		err = request(SMOOTHFS_CMD_REPROBE, uuids[0], NULL, t, NULL, NULL, NULL);
		if (err < 0) {
			fprintf(stderr, "restore: reprobe of tier %d: %s\n", t, strerror(-err));
			bad++;
		}
	}
	return bad ? 1 : 0;
}

/*
 * An unprivileged request for a privileged command: refused, with EPERM
 * unless the genetlink core found it malformed first (short header,
 * reserved bits or unknown nlmsg_flags, genl_header_check(); a dump of a
 * command without one).
 */
static void check_unpriv(unsigned long idx, const struct msg *m, int r)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)m->b;
	const struct genlmsghdr *g = NLMSG_DATA(nlh);
	bool whole = m->len >= NLMSG_HDRLEN + GENL_HDRLEN && nlh->nlmsg_len == m->len &&
		     !g->reserved &&
		     !(nlh->nlmsg_flags & ~(NLM_F_REQUEST | NLM_F_ACK | NLM_F_ECHO));

	if (r == 0)
		finding(idx, m, "a privileged command succeeded unprivileged (%d)", r);
	else if (r != -EPERM && r != -EINVAL && r != -EOPNOTSUPP)
		finding(idx, m, "unprivileged: error %d before the permission check", r);
	else if (whole && r != -EPERM)
		finding(idx, m, "unprivileged: a whole request got %d, not EPERM", r);
	else if (r == -EPERM)
		eperm++;
}

static const char *errname(int e)
{
	static char s[16];

	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EIO: return "EIO";
	case EAGAIN: return "EAGAIN";
	case EBUSY: return "EBUSY";
	case EINVAL: return "EINVAL";
	case ERANGE: return "ERANGE";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EALREADY: return "EALREADY";
	case ESTALE: return "ESTALE";
	case EMSGSIZE: return "EMSGSIZE";
	case ENODATA: return "ENODATA";
	}
	snprintf(s, sizeof(s), "E%d", e);
	return s;
}

int main(int argc, char **argv)
{
	static struct msg m;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	unsigned long n = 20000, i;
	uint64_t seed = 1;
	bool do_restore = false;
	int opt, one = 1, r, rcvbuf = 1 << 20;

	while ((opt = getopt(argc, argv, "s:n:u:o:P:O:t:Urv")) != -1) {
		switch (opt) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'n': n = strtoul(optarg, NULL, 0); break;
		case 'u': add_id(uuids, &n_uuids, optarg); break;
		case 'o': add_id(oids, &n_oids, optarg); break;
		case 'P': add_id(ro_uuids, &n_ro_uuids, optarg); break;
		case 'O': add_id(ro_oids, &n_ro_oids, optarg); break;
		case 't': ntiers = atoi(optarg); break;
		case 'U': unpriv = true; break;
		case 'r': do_restore = true; break;
		case 'v': verbose = true; break;
		default:
			fprintf(stderr, "usage: see the top of tests/vm/prog/nl-fuzz.c\n");
			return 2;
		}
	}
	if (!n_uuids && !n_ro_uuids) {
		fprintf(stderr, "nl-fuzz: at least one pool (-u or -P)\n");
		return 2;
	}
	rng = seed * 0x9e3779b97f4a7c15ULL + 1;
	sock = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (sock < 0 || bind(sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nl-fuzz: socket");
		return 1;
	}
	setsockopt(sock, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(sock, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	r = resolve_family();
	if (r <= 0) {
		fprintf(stderr, "nl-fuzz: family %s: %s\n", SMOOTHFS_GENL_FAMILY_NAME, strerror(-r));
		return 1;
	}
	family = r;
	if (do_restore)
		return n_uuids ? restore() : 2;

	printf("seed %" PRIu64 ", %lu messages, %s, family %u\n", seed, n,
	       unpriv ? "unprivileged" : "privileged", family);
	for (i = 0; i < n; i++) {
		const struct nlmsghdr *nlh = (struct nlmsghdr *)m.b;
		unsigned int seq = i + 1;

		build(&m, seq);
		/* Never a protected id in what may change state, as root. */
		if (!unpriv && !read_only(m.cmd) && touches_protected(&m)) {
			i--;
			continue;
		}
		if (verbose)
			hexdump("send", m.b, m.len);
		if (send(sock, m.b, m.len, 0) < 0) {
			count[m.cmd][NERR - 1]++;	/* refused by the socket */
			continue;
		}
		sent++;
		r = drain(i, &m, seq, NULL, NULL);
		if (r == 1) {
			dropped++;
			continue;
		}
		if (nlh->nlmsg_type != family) {
			control++;	/* acked by the netlink core */
			continue;
		}
		count[m.cmd][-r]++;
		if (unpriv && admin_cmd(m.cmd))
			check_unpriv(i, &m, r);
	}
	printf("sent %lu, replies %lu, acks %lu, no ack %lu, control messages %lu, findings %lu\n",
	       sent, replies, acks, dropped, control, findings);
	if (unpriv)
		printf("EPERM for %lu privileged requests\n", eperm);
	for (unsigned int c = 0; c < NCMD; c++) {
		bool any = false;

		for (int e = 0; e < NERR; e++) {
			if (!count[c][e])
				continue;
			if (!any)
				printf("cmd %3u:", c);
			any = true;
			printf(" %s=%lu", e == NERR - 1 ? "send-refused" : errname(e), count[c][e]);
		}
		if (any)
			printf("\n");
	}
	return findings ? 1 : 0;
}
