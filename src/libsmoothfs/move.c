// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The reference mover: one file of a mounted pool to another tier.
 *
 *   MovePlan -> Inspect (paths, write_seq) -> copy into the destination
 *   tier's stage -> fsync -> MoveCutoverVerifyWriteSeq
 *
 * and MoveAbort on any failure after the plan, so the kernel returns the
 * file to `placed` and drops the staged copy.  The kernel does the part
 * that must be atomic (the cutover); the copy runs here, at whatever I/O
 * priority the caller has.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "move.h"

/* The root of tier @rank of @pool, as mounted now. */
int smoothfs__find_tier_root(smoothfs_client *c, const smoothfs_uuid_t *pool, uint8_t rank,
			     char **ret)
{
	struct smoothfs_pool_info *pools = NULL;
	size_t n = 0, i;
	int r;

	r = smoothfs_list_pools(c, &pools, &n);
	if (r < 0)
		return r;
	r = smoothfs__client_error(c, -ENOENT, "move: the pool is not mounted");
	for (i = 0; i < n; i++) {
		if (memcmp(&pools[i].uuid, pool, sizeof(*pool)) != 0)
			continue;
		if (rank >= pools[i].n_tiers) {
			r = smoothfs__client_error(c, -EINVAL, "move: the pool has no tier %u",
						   rank);
		} else {
			*ret = strdup(pools[i].tiers[rank].path);
			r = *ret ? 0 : -ENOMEM;
		}
		break;
	}
	smoothfs_pool_info_free(pools, n);
	return r;
}

/* The source lower file, checked to be the object the kernel named. */
int smoothfs__open_source(smoothfs_client *c, const struct smoothfs_inspect_result *ins,
			  const smoothfs_oid_t *oid)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	smoothfs_oid_t found;
	ssize_t n;

	if (!ins->current_tier_path || !ins->rel_path)
		return smoothfs__client_error(c, -EBADMSG,
					      "move: the kernel did not name the file's path");
	if (asprintf(&path, "%s%s%s", ins->current_tier_path, ins->rel_path[0] == '/' ? "" : "/",
		     ins->rel_path) < 0)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOATIME);
	if (fd < 0 && errno == EPERM)
		fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return smoothfs__client_error(c, -errno, "move: %s: %m", path);
	/* A rename since Inspect may have put another file at that path. */
	n = fgetxattr(fd, SMOOTHFS_XATTR_OID, &found, sizeof(found));
	if (n != (ssize_t)sizeof(found) || memcmp(&found, oid, sizeof(found)) != 0)
		return smoothfs__client_error(c, -ESTALE,
					      "move: %s is no longer the object to move", path);
	return TAKE_FD(fd);
}

/* <dest tier>/.smoothfs/stage, created if missing (root-only). */
int smoothfs__open_stage_dir(smoothfs_client *c, const char *tier_root)
{
	_cleanup_close_ int root = -1, meta = -1;
	int fd;

	root = open(tier_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return smoothfs__client_error(c, -errno, "move: %s: %m", tier_root);
	if (mkdirat(root, SMOOTHFS_META_DIR, 0700) < 0 && errno != EEXIST)
		return smoothfs__client_error(c, -errno, "move: %s/%s: %m", tier_root,
					      SMOOTHFS_META_DIR);
	meta = openat(root, SMOOTHFS_META_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (meta < 0)
		return smoothfs__client_error(c, -errno, "move: %s/%s: %m", tier_root,
					      SMOOTHFS_META_DIR);
	if (mkdirat(meta, "stage", 0700) < 0 && errno != EEXIST)
		return smoothfs__client_error(c, -errno, "move: %s/%s: %m", tier_root,
					      SMOOTHFS_STAGE_DIR);
	fd = openat(meta, "stage", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return smoothfs__client_error(c, -errno, "move: %s/%s: %m", tier_root,
					      SMOOTHFS_STAGE_DIR);
	return fd;
}

/* Copy and cut over; the plan is in place.  Returns 0 once switched. */
static int copy_and_cutover(smoothfs_client *c, const smoothfs_uuid_t *pool,
			    const smoothfs_oid_t *oid, const char *dest_root, uint64_t seq,
			    int *stage_dir, const char *name)
{
	struct smoothfs_inspect_result ins = { 0 };
	_cleanup_close_ int src = -1;
	int r;

	/* write_seq is read before the copy: any write after it fails the cutover. */
	r = smoothfs_inspect(c, pool, oid, &ins);
	if (r < 0)
		return r;
	src = smoothfs__open_source(c, &ins, oid);
	if (src < 0) {
		r = src;
		goto out;
	}
	*stage_dir = smoothfs__open_stage_dir(c, dest_root);
	if (*stage_dir < 0) {
		r = *stage_dir;
		goto out;
	}
	r = smoothfs__stage_file(src, *stage_dir, name);
	if (r < 0) {
		r = smoothfs__client_error(c, r, "move: copying into %s/%s/%s: %s", dest_root,
					   SMOOTHFS_STAGE_DIR, name, strerror(-r));
		goto out;
	}
	if (ins.has_write_seq)
		r = smoothfs_move_cutover_verify_write_seq(c, pool, oid, seq, ins.write_seq);
	else
		r = smoothfs_move_cutover(c, pool, oid, seq);
out:
	smoothfs_inspect_result_clear(&ins);
	return r;
}

int smoothfs_move_file(smoothfs_client *c, const smoothfs_uuid_t *pool, const smoothfs_oid_t *oid,
		       uint8_t dest_tier, uint64_t seq, unsigned int flags)
{
	char name[SMOOTHFS_OID_HEX_MAX], why[256];
	_cleanup_free_ char *dest_root = NULL;
	_cleanup_close_ int stage_dir = -1;
	int r;

	if (!c)
		return -EINVAL;
	if (!pool || !oid)
		return smoothfs__client_error(c, -EINVAL, "move: pool or object id is NULL");
	if (flags & ~(SMOOTHFS_MOVE_FORCE | SMOOTHFS_MOVE_WAIT_CLOSED))
		return smoothfs__client_error(c, -EINVAL, "move: unknown flags 0x%x", flags);
	r = smoothfs__find_tier_root(c, pool, dest_tier, &dest_root);
	if (r < 0)
		return r;
	r = smoothfs_move_plan_force(c, pool, oid, dest_tier, seq, flags & SMOOTHFS_MOVE_FORCE);
	if (r < 0)
		return r;

	smoothfs_oid_to_hex(oid, name);
	r = copy_and_cutover(c, pool, oid, dest_root, seq, &stage_dir, name);
	if (r >= 0) {
		struct smoothfs_inspect_result ins = { 0 };

		if (!(flags & SMOOTHFS_MOVE_WAIT_CLOSED))
			return 0;
		/* Inspect closes the move of the file it looks at first. */
		r = smoothfs_inspect(c, pool, oid, &ins);
		smoothfs_inspect_result_clear(&ins);
		return r < 0 ? r : 0;
	}

	/*
	 * Give the plan back; the kernel removes the staged copy too, but
	 * one the kernel never heard of (a failed copy) is ours to remove.
	 */
	snprintf(why, sizeof(why), "%s", smoothfs_client_last_error(c));
	if (stage_dir >= 0)
		unlinkat(stage_dir, name, 0);
	if (smoothfs_move_abort(c, pool, oid, seq) < 0)
		return smoothfs__client_error(c, r, "%s; and the abort failed: %s", why,
					      smoothfs_client_last_error(c));
	return smoothfs__client_error(c, r, "%s; the move was aborted", why);
}

/*
 * One /proc/self/mountinfo line:
 *   ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
 */
static bool mountinfo_line_pool(char *line, dev_t dev, bool *found, smoothfs_uuid_t *ret)
{
	unsigned int maj, min;
	char *sep, *fstype, *source, *opts, *opt, *save = NULL;

	if (sscanf(line, "%*u %*u %u:%u", &maj, &min) != 2 || makedev(maj, min) != dev)
		return false;
	sep = strstr(line, " - ");
	if (!sep)
		return false;
	fstype = strtok_r(sep + 3, " \n", &save);
	source = fstype ? strtok_r(NULL, " \n", &save) : NULL;
	opts = source ? strtok_r(NULL, " \n", &save) : NULL;
	if (!opts || strcmp(fstype, SMOOTHFS_FS_TYPE) != 0)
		return false;
	*found = true;
	for (opt = strtok_r(opts, ",", &save); opt; opt = strtok_r(NULL, ",", &save))
		if (!strncmp(opt, "uuid=", 5))
			return smoothfs_uuid_from_string(opt + 5, ret) == 0;
	return false;
}

int smoothfs__mountinfo_pool(FILE *mountinfo, dev_t dev, smoothfs_uuid_t *ret)
{
	_cleanup_free_ char *line = NULL;
	bool found = false;
	size_t size = 0;

	while (getline(&line, &size, mountinfo) > 0)
		if (mountinfo_line_pool(line, dev, &found, ret))
			return 0;
	return found ? -EBADMSG : -ENOENT;
}

int smoothfs__path_object(smoothfs_client *c, const char *path, smoothfs_uuid_t *pool,
			  smoothfs_oid_t *oid)
{
	char proc[64];
	_cleanup_close_ int fd = -1;
	struct stat st;
	FILE *mi;
	ssize_t n;
	int r;

	fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return smoothfs__client_error(c, -errno, "move: %s: %m", path);
	if (fstat(fd, &st) < 0)
		return smoothfs__client_error(c, -errno, "move: %s: %m", path);
	if (!S_ISREG(st.st_mode))
		return smoothfs__client_error(c, -EINVAL, "move: %s is not a regular file", path);
	mi = fopen("/proc/self/mountinfo", "re");
	if (!mi)
		return smoothfs__client_error(c, -errno, "move: /proc/self/mountinfo: %m");
	r = smoothfs__mountinfo_pool(mi, st.st_dev, pool);
	fclose(mi);
	if (r < 0)
		return smoothfs__client_error(c, r == -ENOENT ? -EINVAL : r,
					      "move: %s is not on a smoothfs mount with a uuid", path);
	/* An O_PATH descriptor has no fgetxattr; its /proc link has. */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = getxattr(proc, SMOOTHFS_XATTR_OID, oid, sizeof(*oid));
	if (n < 0)
		return smoothfs__client_error(c, -errno, "move: %s: no object id: %m", path);
	if (n != (ssize_t)sizeof(*oid))
		return smoothfs__client_error(c, -EBADMSG, "move: %s: bad object id", path);
	return TAKE_FD(fd);
}

int smoothfs_move_path(smoothfs_client *c, const char *path, uint8_t dest_tier, uint64_t seq,
		       unsigned int flags)
{
	_cleanup_close_ int fd = -1;
	smoothfs_uuid_t pool;
	smoothfs_oid_t oid;

	if (!c)
		return -EINVAL;
	if (!path)
		return smoothfs__client_error(c, -EINVAL, "move: path is NULL");
	/* Held open until the move is over: the kernel moves cached inodes only. */
	fd = smoothfs__path_object(c, path, &pool, &oid);
	if (fd < 0)
		return fd;
	return smoothfs_move_file(c, &pool, &oid, dest_tier, seq, flags);
}
