// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reference mover.  The copy half on real files in a temporary
 * directory: data (sparse files stay sparse, large and empty files),
 * owner, set-id mode bits after chown, every xattr including trusted.*
 * and POSIX ACLs, timestamps, replacing a leftover staged file, and
 * refusing what is not a regular file.  The protocol half against a fake
 * kernel on a socketpair: the order of the commands (ListPools, MovePlan,
 * Inspect, MoveCutoverVerifyWriteSeq), the staged copy where the kernel
 * will look for it, and MoveAbort with the staged copy removed when the
 * cutover fails or the source is not the object named.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "move.h"
#include "netlink.h"

#define FAMILY 0x1c
#define SEQ0 1000U

#include "nlmsg-builder.h"

static const smoothfs_uuid_t POOL = { { 0x01, 0x90, 0xa1, 0xb2, 0xc3, 0xd4, 0x7e, 0x5f,
					 0x8a, 0x9b, 0x0c, 0x1d, 0x2e, 0x3f, 0x4a, 0x5b } };
static const smoothfs_oid_t OID = { { 0x01, 0x92, 0, 0, 0, 0, 0x70, 0, 0x80, 0, 0, 0, 0, 0, 0, 0x42 } };

struct dirs {
	char root[64];
	char t0[96], t1[96];
};

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static int setup_dirs(void **state)
{
	struct dirs *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	strcpy(d->root, "/tmp/smoothfs-move-XXXXXX");
	assert_non_null(mkdtemp(d->root));
	snprintf(d->t0, sizeof(d->t0), "%s/t0", d->root);
	snprintf(d->t1, sizeof(d->t1), "%s/t1", d->root);
	assert_int_equal(mkdir(d->t0, 0755), 0);
	assert_int_equal(mkdir(d->t1, 0755), 0);
	*state = d;
	return 0;
}

static int teardown_dirs(void **state)
{
	struct dirs *d = *state;

	nftw(d->root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(d);
	return 0;
}

static int open_in(const char *dir, const char *name, int flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags | O_CLOEXEC, 0644);
}

static void fill(uint8_t *buf, size_t len, unsigned int seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 9));
}

/* The contents of two open files are identical. */
static void assert_same_data(int a, int b)
{
	static uint8_t ba[1 << 16], bb[1 << 16];
	struct stat sa, sb;
	off_t off = 0;

	assert_int_equal(fstat(a, &sa), 0);
	assert_int_equal(fstat(b, &sb), 0);
	assert_int_equal(sa.st_size, sb.st_size);
	while (off < sa.st_size) {
		ssize_t na = pread(a, ba, sizeof(ba), off), nb = pread(b, bb, sizeof(bb), off);

		assert_true(na > 0);
		assert_int_equal(na, nb);
		assert_memory_equal(ba, bb, (size_t)na);
		off += na;
	}
}

/* --- the copy ------------------------------------------------------------- */

static void test_copy_sparse(void **state)
{
	struct dirs *d = *state;
	static uint8_t buf[8192];
	int src, dir, dst;
	struct stat ss, ds;

	/* Data at 0 and at 64 MiB, a hole between, and a trailing hole. */
	src = open_in(d->t0, "sparse", O_RDWR | O_CREAT);
	assert_true(src >= 0);
	fill(buf, sizeof(buf), 1);
	assert_int_equal(pwrite(src, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	fill(buf, sizeof(buf), 2);
	assert_int_equal(pwrite(src, buf, sizeof(buf), 64 << 20), (ssize_t)sizeof(buf));
	assert_int_equal(ftruncate(src, 80 << 20), 0);

	dir = open(d->t1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);
	assert_int_equal(smoothfs__stage_file(src, dir, "stage"), 0);
	dst = open_in(d->t1, "stage", O_RDONLY);
	assert_true(dst >= 0);
	assert_same_data(src, dst);
	assert_int_equal(fstat(src, &ss), 0);
	assert_int_equal(fstat(dst, &ds), 0);
	assert_int_equal(ds.st_size, 80 << 20);
	/* 16 KiB of data: a few blocks, nowhere near 80 MiB. */
	assert_true(ds.st_blocks <= ss.st_blocks + 16);
	assert_true(ds.st_blocks * 512 < (1 << 20));
	close(dst);
	close(dir);
	close(src);
}

static void test_copy_sizes(void **state)
{
	static const size_t sizes[] = { 0, 1, 4095, 4096, 4097, (3 << 20) + 17 };
	struct dirs *d = *state;
	uint8_t *buf = malloc(sizes[5]);
	int dir = open(d->t1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	assert_non_null(buf);
	assert_true(dir >= 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int src = open_in(d->t0, "sized", O_RDWR | O_CREAT | O_TRUNC), dst;

		assert_true(src >= 0);
		fill(buf, sizes[i], (unsigned int)i);
		assert_int_equal(write(src, buf, sizes[i]), (ssize_t)sizes[i]);
		assert_int_equal(smoothfs__stage_file(src, dir, "sized"), 0);
		dst = open_in(d->t1, "sized", O_RDONLY);
		assert_true(dst >= 0);
		assert_same_data(src, dst);
		close(dst);
		close(src);
	}
	close(dir);
	free(buf);
}

/* A POSIX ACL as the kernel stores it in system.posix_acl_access. */
static size_t acl_xattr(uint8_t *buf, uint32_t uid)
{
	static const struct { uint16_t tag, perm; } e[] = {
		{ 0x01, 6 }, { 0x02, 4 }, { 0x04, 4 }, { 0x10, 4 }, { 0x20, 0 },
	};
	size_t off = 4;

	buf[0] = 2, buf[1] = buf[2] = buf[3] = 0;	/* version 2, LE */
	for (size_t i = 0; i < 5; i++) {
		uint32_t id = e[i].tag == 0x02 ? uid : UINT32_MAX;

		memcpy(buf + off, &e[i].tag, 2);
		memcpy(buf + off + 2, &e[i].perm, 2);
		memcpy(buf + off + 4, &id, 4);
		off += 8;
	}
	return off;
}

static void test_copy_metadata(void **state)
{
	struct dirs *d = *state;
	struct timespec times[2] = { { 1000000000, 123456789 }, { 1100000000, 987654321 } };
	uint8_t acl[64], got[64];
	struct stat ss, ds;
	int src, dir, dst;
	char list[512];
	ssize_t n;
	size_t acl_len = acl_xattr(acl, 1234);

	if (geteuid() != 0)
		skip();		/* chown, trusted.* */
	src = open_in(d->t0, "meta", O_RDWR | O_CREAT);
	assert_true(src >= 0);
	assert_int_equal(write(src, "data", 4), 4);
	assert_int_equal(fsetxattr(src, "user.colour", "blue", 4, 0), 0);
	assert_int_equal(fsetxattr(src, "user.empty", "", 0, 0), 0);
	assert_int_equal(fsetxattr(src, SMOOTHFS_XATTR_OID, OID.bytes, 16, 0), 0);
	assert_int_equal(fsetxattr(src, "system.posix_acl_access", acl, acl_len, 0), 0);
	assert_int_equal(fchown(src, 1000, 1000), 0);
	assert_int_equal(fchmod(src, 06754), 0);
	assert_int_equal(futimens(src, times), 0);
	assert_int_equal(fstat(src, &ss), 0);
	/* As the mover opens it: reading must not touch the atime. */
	close(src);
	src = open_in(d->t0, "meta", O_RDONLY | O_NOATIME);
	assert_true(src >= 0);

	dir = open(d->t1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);
	assert_int_equal(smoothfs__stage_file(src, dir, "meta"), 0);
	dst = open_in(d->t1, "meta", O_RDONLY);
	assert_true(dst >= 0);
	assert_int_equal(fstat(dst, &ds), 0);
	assert_int_equal(ds.st_uid, 1000);
	assert_int_equal(ds.st_gid, 1000);
	assert_int_equal(ds.st_mode & 07777, ss.st_mode & 07777);
	assert_int_equal(ds.st_mode & 06000, 06000);	/* chown did not clear them */
	assert_int_equal(ds.st_mtim.tv_sec, times[1].tv_sec);
	assert_int_equal(ds.st_mtim.tv_nsec, times[1].tv_nsec);
	assert_int_equal(ds.st_atim.tv_sec, times[0].tv_sec);
	assert_int_equal(ds.st_atim.tv_nsec, times[0].tv_nsec);

	n = fgetxattr(dst, "user.colour", got, sizeof(got));
	assert_int_equal(n, 4);
	assert_memory_equal(got, "blue", 4);
	assert_int_equal(fgetxattr(dst, "user.empty", got, sizeof(got)), 0);
	assert_int_equal(fgetxattr(dst, SMOOTHFS_XATTR_OID, got, sizeof(got)), 16);
	assert_memory_equal(got, OID.bytes, 16);
	/* The chmod after setting it changed the ACL: compare with the source's. */
	assert_int_equal(fgetxattr(src, "system.posix_acl_access", acl, sizeof(acl)),
			 (ssize_t)acl_len);
	n = fgetxattr(dst, "system.posix_acl_access", got, sizeof(got));
	assert_int_equal(n, (ssize_t)acl_len);
	assert_memory_equal(got, acl, acl_len);
	n = flistxattr(dst, list, sizeof(list));
	assert_int_equal(n, flistxattr(src, list, sizeof(list)));
	close(dst);
	close(dir);
	close(src);
}

static void test_stage_replaces_and_refuses(void **state)
{
	struct dirs *d = *state;
	int src, dir, dst, fifo;
	char path[256];

	src = open_in(d->t0, "new", O_RDWR | O_CREAT);
	assert_true(src >= 0);
	assert_int_equal(write(src, "new", 3), 3);
	dir = open(d->t1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dir >= 0);

	/* A leftover from a crashed attempt, bigger than the new data. */
	dst = open_in(d->t1, "new", O_WRONLY | O_CREAT);
	assert_int_equal(write(dst, "old leftover", 12), 12);
	close(dst);
	assert_int_equal(smoothfs__stage_file(src, dir, "new"), 0);
	dst = open_in(d->t1, "new", O_RDONLY);
	assert_same_data(src, dst);
	close(dst);

	/* A leftover that is a symlink is replaced, not followed. */
	snprintf(path, sizeof(path), "%s/victim", d->t0);
	assert_int_equal(unlinkat(dir, "new", 0), 0);
	assert_int_equal(symlinkat(path, dir, "new"), 0);
	assert_int_equal(smoothfs__stage_file(src, dir, "new"), 0);
	assert_int_equal(access(path, F_OK), -1);

	/* Only regular files move. */
	snprintf(path, sizeof(path), "%s/fifo", d->t0);
	assert_int_equal(mkfifo(path, 0600), 0);
	fifo = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	assert_true(fifo >= 0);
	assert_int_equal(smoothfs__stage_file(fifo, dir, "fifo"), -EINVAL);
	assert_int_equal(faccessat(dir, "fifo", F_OK, 0), -1);
	close(fifo);
	close(dir);
	close(src);
}

/* --- the protocol, against a fake kernel ---------------------------------- */

struct fake {
	struct dirs d;
	smoothfs_client *c;
	int kfd;
	uint32_t seq;
};

static int setup_fake(void **state)
{
	struct fake *f = calloc(1, sizeof(*f));
	struct dirs *d;
	int cmd[2], ev[2];

	assert_non_null(f);
	setup_dirs((void **)&d);
	f->d = *d;
	free(d);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, cmd), 0);
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ev), 0);
	assert_int_equal(smoothfs__client_new_fds(cmd[0], ev[0], FAMILY, SEQ0, &f->c), 0);
	close(ev[1]);
	f->kfd = cmd[1];
	f->seq = SEQ0 + 1;
	*state = f;
	return 0;
}

static int teardown_fake(void **state)
{
	struct fake *f = *state;

	assert_null(smoothfs_client_close(f->c));
	close(f->kfd);
	nftw(f->d.root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

static void k_send(struct fake *f, const struct mb *m)
{
	assert_int_equal(send(f->kfd, m->b, m->len, 0), (ssize_t)m->len);
}

/* The ack (or error) that ends the current request. */
static void k_ack(struct fake *f, int error)
{
	struct mb m;

	mb_reset(&m);
	mb_error(&m, f->seq, error, NULL, 0, NULL, -1, -1);
	k_send(f, &m);
	f->seq++;
}

/* The ListPools dump: one pool over the fake's two tier directories. */
static void k_pools(struct fake *f)
{
	const char *paths[] = { f->d.t0, f->d.t1 };
	struct mb m;

	mb_reset(&m);
	mb_genl(&m, FAMILY, NLM_F_MULTI, f->seq, SMOOTHFS_CMD_LIST_POOLS);
	mb_attr(&m, SMOOTHFS_ATTR_POOL_UUID, POOL.bytes, 16);
	mb_str(&m, SMOOTHFS_ATTR_POOL_NAME, "tank");
	mb_u32(&m, SMOOTHFS_ATTR_FSID, 7);
	mb_u8(&m, SMOOTHFS_ATTR_ANY_SPILL_SINCE_MOUNT, 0);
	mb_nest_start(&m, SMOOTHFS_ATTR_TIERS);
	for (uint8_t i = 0; i < 2; i++) {
		mb_nest_start(&m, (uint16_t)(i + 1));
		mb_u8(&m, SMOOTHFS_ATTR_TIER_RANK, i);
		mb_u32(&m, SMOOTHFS_ATTR_TIER_CAPS, 3);
		mb_str(&m, SMOOTHFS_ATTR_TIER_PATH, paths[i]);
		mb_nest_end(&m);
	}
	mb_nest_end(&m);
	mb_end(&m);
	k_send(f, &m);
	mb_reset(&m);
	mb_done(&m, f->seq, 0, NULL);
	k_send(f, &m);
	f->seq++;
}

static void k_inspect(struct fake *f, const char *rel)
{
	struct mb m;

	mb_reset(&m);
	mb_genl(&m, FAMILY, 0, f->seq, SMOOTHFS_CMD_INSPECT);
	mb_attr(&m, SMOOTHFS_ATTR_OBJECT_ID, OID.bytes, 16);
	mb_u8(&m, SMOOTHFS_ATTR_CURRENT_TIER, 0);
	mb_u8(&m, SMOOTHFS_ATTR_INTENDED_TIER, 1);
	mb_u8(&m, SMOOTHFS_ATTR_MOVEMENT_STATE, SMOOTHFS_MS_PLAN_ACCEPTED);
	mb_u8(&m, SMOOTHFS_ATTR_PIN_STATE, SMOOTHFS_PIN_NONE);
	mb_u32(&m, SMOOTHFS_ATTR_GENERATION, 1);
	mb_u64(&m, SMOOTHFS_ATTR_TRANSACTION_SEQ, 77);
	mb_u64(&m, SMOOTHFS_ATTR_WRITE_SEQ, 4242);
	mb_u8(&m, SMOOTHFS_ATTR_RANGE_STAGED, 0);
	mb_str(&m, SMOOTHFS_ATTR_REL_PATH, rel);
	mb_str(&m, SMOOTHFS_ATTR_TIER_PATH, f->d.t0);
	mb_end(&m);
	k_send(f, &m);
	k_ack(f, 0);		/* same sequence number as the reply */
}

/* The commands the mover sent, in order, and the write_seq it verified. */
static void k_requests(struct fake *f, const uint8_t *want, size_t n, uint64_t *write_seq)
{
	uint8_t buf[4096];

	for (size_t i = 0; i < n; i++) {
		ssize_t len = recv(f->kfd, buf, sizeof(buf), MSG_DONTWAIT);
		const struct genlmsghdr *g = (const void *)(buf + NLMSG_HDRLEN);

		assert_true(len >= (ssize_t)(NLMSG_HDRLEN + GENL_HDRLEN));
		assert_int_equal(g->cmd, want[i]);
		if (want[i] == SMOOTHFS_CMD_MOVE_CUTOVER && write_seq) {
			const uint8_t *p = buf + NLMSG_HDRLEN + GENL_HDRLEN;

			*write_seq = 0;
			while (p + NLA_HDRLEN <= buf + len) {
				const struct nlattr *a = (const void *)p;

				if (a->nla_type == SMOOTHFS_ATTR_WRITE_SEQ)
					memcpy(write_seq, p + NLA_HDRLEN, 8);
				p += NLA_ALIGN(a->nla_len);
			}
		}
	}
	assert_int_equal(recv(f->kfd, buf, sizeof(buf), MSG_DONTWAIT), -1);
}

/* A file on tier 0 of the fake pool, with its OID. */
static int make_source(struct fake *f, const smoothfs_oid_t *oid)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/dir", f->d.t0);
	assert_int_equal(mkdir(path, 0755), 0);
	fd = open_in(path, "file", O_RDWR | O_CREAT);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "payload", 7), 7);
	assert_int_equal(fsetxattr(fd, SMOOTHFS_XATTR_OID, oid->bytes, 16, 0), 0);
	return fd;
}

static bool staged(struct fake *f)
{
	char path[256], hex[SMOOTHFS_OID_HEX_MAX];

	smoothfs_oid_to_hex(&OID, hex);
	snprintf(path, sizeof(path), "%s/%s/%s", f->d.t1, SMOOTHFS_STAGE_DIR, hex);
	return access(path, F_OK) == 0;
}

static void test_move_protocol(void **state)
{
	static const uint8_t order[] = { SMOOTHFS_CMD_LIST_POOLS, SMOOTHFS_CMD_MOVE_PLAN,
					 SMOOTHFS_CMD_INSPECT, SMOOTHFS_CMD_MOVE_CUTOVER };
	struct fake *f = *state;
	char path[256], hex[SMOOTHFS_OID_HEX_MAX];
	uint64_t write_seq = 0;
	int src, dst;

	if (geteuid() != 0)
		skip();		/* trusted.smoothfs.oid */
	src = make_source(f, &OID);
	k_pools(f);
	k_ack(f, 0);			/* plan */
	k_inspect(f, "/dir/file");
	k_ack(f, 0);			/* cutover */
	assert_int_equal(smoothfs_move_file(f->c, &POOL, &OID, 1, 77, 0), 0);
	k_requests(f, order, 4, &write_seq);
	assert_int_equal(write_seq, 4242);

	/* The fake kernel did not rename it into place: the copy is staged. */
	smoothfs_oid_to_hex(&OID, hex);
	snprintf(path, sizeof(path), "%s/%s", f->d.t1, SMOOTHFS_STAGE_DIR);
	dst = open_in(path, hex, O_RDONLY);
	assert_true(dst >= 0);
	assert_same_data(src, dst);
	close(dst);
	close(src);
}

/* SMOOTHFS_MOVE_WAIT_CLOSED: an Inspect after the cutover (the kernel closes first). */
static void test_move_wait_closed(void **state)
{
	static const uint8_t order[] = { SMOOTHFS_CMD_LIST_POOLS, SMOOTHFS_CMD_MOVE_PLAN,
					 SMOOTHFS_CMD_INSPECT, SMOOTHFS_CMD_MOVE_CUTOVER,
					 SMOOTHFS_CMD_INSPECT };
	struct fake *f = *state;

	if (geteuid() != 0)
		skip();
	close(make_source(f, &OID));
	k_pools(f);
	k_ack(f, 0);			/* plan */
	k_inspect(f, "/dir/file");
	k_ack(f, 0);			/* cutover */
	k_inspect(f, "/dir/file");	/* after the close */
	assert_int_equal(smoothfs_move_file(f->c, &POOL, &OID, 1, 77,
					    SMOOTHFS_MOVE_WAIT_CLOSED), 0);
	k_requests(f, order, 5, NULL);
}

static void test_move_cutover_fails(void **state)
{
	static const uint8_t order[] = { SMOOTHFS_CMD_LIST_POOLS, SMOOTHFS_CMD_MOVE_PLAN,
					 SMOOTHFS_CMD_INSPECT, SMOOTHFS_CMD_MOVE_CUTOVER,
					 SMOOTHFS_CMD_MOVE_ABORT };
	struct fake *f = *state;

	if (geteuid() != 0)
		skip();
	close(make_source(f, &OID));
	k_pools(f);
	k_ack(f, 0);
	k_inspect(f, "dir/file");
	k_ack(f, -ESTALE);		/* written during the copy */
	k_ack(f, 0);			/* abort */
	assert_int_equal(smoothfs_move_file(f->c, &POOL, &OID, 1, 77, 0), -ESTALE);
	k_requests(f, order, 5, NULL);
	assert_false(staged(f));
	assert_non_null(strstr(smoothfs_client_last_error(f->c), "aborted"));
}

static void test_move_wrong_source(void **state)
{
	static const uint8_t order[] = { SMOOTHFS_CMD_LIST_POOLS, SMOOTHFS_CMD_MOVE_PLAN,
					 SMOOTHFS_CMD_INSPECT, SMOOTHFS_CMD_MOVE_ABORT };
	static const smoothfs_oid_t other = { { 0x99 } };
	struct fake *f = *state;

	if (geteuid() != 0)
		skip();
	/* A rename put another file at the path the kernel reported. */
	close(make_source(f, &other));
	k_pools(f);
	k_ack(f, 0);
	k_inspect(f, "/dir/file");
	k_ack(f, 0);
	assert_int_equal(smoothfs_move_file(f->c, &POOL, &OID, 1, 77, 0), -ESTALE);
	k_requests(f, order, 4, NULL);
	assert_false(staged(f));
}

static void test_move_refused(void **state)
{
	static const uint8_t plan_only[] = { SMOOTHFS_CMD_LIST_POOLS, SMOOTHFS_CMD_MOVE_PLAN };
	static const uint8_t list_only[] = { SMOOTHFS_CMD_LIST_POOLS };
	struct fake *f = *state;

	/* The kernel refuses the plan: nothing to abort, nothing staged. */
	k_pools(f);
	k_ack(f, -EBUSY);
	assert_int_equal(smoothfs_move_file(f->c, &POOL, &OID, 1, 77, 0), -EBUSY);
	k_requests(f, plan_only, 2, NULL);
	assert_false(staged(f));

	/* No such tier, unknown pool: refused before any plan. */
	k_pools(f);
	assert_int_equal(smoothfs_move_file(f->c, &POOL, &OID, 2, 77, 0), -EINVAL);
	k_requests(f, list_only, 1, NULL);
	k_pools(f);
	assert_int_equal(smoothfs_move_file(f->c, &(smoothfs_uuid_t){ { 1 } }, &OID, 1, 77, 0),
			 -ENOENT);
	k_requests(f, list_only, 1, NULL);

	/* Bad arguments: nothing sent. */
	assert_int_equal(smoothfs_move_file(NULL, &POOL, &OID, 1, 77, 0), -EINVAL);
	assert_int_equal(smoothfs_move_file(f->c, NULL, &OID, 1, 77, 0), -EINVAL);
	assert_int_equal(smoothfs_move_file(f->c, &POOL, NULL, 1, 77, 0), -EINVAL);
	assert_int_equal(smoothfs_move_file(f->c, &POOL, &OID, 1, 77, 0x80), -EINVAL);
	k_requests(f, NULL, 0, NULL);
}

/* The pool of a smoothfs mount found in mountinfo text by device. */
static int mountinfo_pool(const char *text, dev_t dev, smoothfs_uuid_t *uuid)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int r;

	assert_non_null(f);
	r = smoothfs__mountinfo_pool(f, dev, uuid);
	fclose(f);
	return r;
}

static void test_mountinfo_pool(void **state)
{
	static const char text[] =
		"22 1 0:21 / /proc rw,nosuid - proc proc rw\n"
		"40 22 0:44 / /mnt/a rw,relatime shared:7 - smoothfs none "
		"rw,pool=a,uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a50,tiers=/t0:/t1\n"
		"41 22 0:45 / /mnt/b rw - smoothfs none rw,pool=b,tiers=/t2\n"
		"42 22 0:46 / /mnt/c rw - ext4 /dev/vda rw,uuid=0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a51\n"
		"43 22 0:47 / /mnt/d rw - smoothfs none rw,uuid=nonsense\n";
	smoothfs_uuid_t uuid, want;

	(void)state;
	assert_int_equal(smoothfs_uuid_from_string("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a50", &want), 0);
	assert_int_equal(mountinfo_pool(text, makedev(0, 44), &uuid), 0);
	assert_memory_equal(&uuid, &want, sizeof(uuid));
	/* A smoothfs mount without uuid=, or with a bad one. */
	assert_int_equal(mountinfo_pool(text, makedev(0, 45), &uuid), -EBADMSG);
	assert_int_equal(mountinfo_pool(text, makedev(0, 47), &uuid), -EBADMSG);
	/* Not smoothfs (its uuid= is not a pool's), and no such device. */
	assert_int_equal(mountinfo_pool(text, makedev(0, 46), &uuid), -ENOENT);
	assert_int_equal(mountinfo_pool(text, makedev(0, 99), &uuid), -ENOENT);
	assert_int_equal(mountinfo_pool("", makedev(0, 44), &uuid), -ENOENT);
}

/* Bad paths fail before any request reaches the (fake) kernel. */
static void test_move_path_bad_input(void **state)
{
	struct fake *f = *state;
	smoothfs_client *c = f->c;
	char dir[] = "/tmp/smoothfs-mp-XXXXXX", file[64];
	int fd;

	assert_int_equal(smoothfs_move_path(NULL, "/", 1, 1, 0), -EINVAL);
	assert_int_equal(smoothfs_move_path(c, NULL, 1, 1, 0), -EINVAL);
	assert_int_equal(smoothfs_move_path(c, "/nonexistent/x", 1, 1, 0), -ENOENT);
	assert_non_null(mkdtemp(dir));
	/* A directory, then a regular file that is not on a smoothfs mount. */
	assert_int_equal(smoothfs_move_path(c, dir, 1, 1, 0), -EINVAL);
	snprintf(file, sizeof(file), "%s/f", dir);
	fd = open(file, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(smoothfs_move_path(c, file, 1, 1, 0), -EINVAL);
	assert_non_null(strstr(smoothfs_client_last_error(c), "not on a smoothfs mount"));
	unlink(file);
	rmdir(dir);
	k_requests(f, NULL, 0, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_sparse, setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_copy_sizes, setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_copy_metadata, setup_dirs, teardown_dirs),
		cmocka_unit_test_setup_teardown(test_stage_replaces_and_refuses, setup_dirs,
						teardown_dirs),
		cmocka_unit_test_setup_teardown(test_move_protocol, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_move_wait_closed, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_move_cutover_fails, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_move_wrong_source, setup_fake, teardown_fake),
		cmocka_unit_test_setup_teardown(test_move_refused, setup_fake, teardown_fake),
		cmocka_unit_test(test_mountinfo_pool),
		cmocka_unit_test_setup_teardown(test_move_path_bad_input, setup_fake, teardown_fake),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
