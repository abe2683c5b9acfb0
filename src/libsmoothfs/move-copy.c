// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The copy half of a move: a source lower file into a staged file on the
 * destination tier, with its data (reflinked when both tiers share a
 * filesystem, holes kept), owner, mode, every xattr (the OID and POSIX
 * ACLs included) and timestamps, then fsync'd.  No netlink here, so the
 * unit tests run it on plain directories.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <linux/fs.h>

#include "move.h"

#define COPY_CHUNK (1U << 20)

/* [off, off + len) by copy_file_range, falling back to read/write. */
static int copy_range(int src, int dst, off_t off, off_t len, bool *use_cfr)
{
	_cleanup_free_ char *buf = NULL;

	while (len > 0 && *use_cfr) {
		loff_t in = off, out = off;
		ssize_t n = copy_file_range(src, &in, dst, &out, (size_t)len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			/* Kernels and filesystems that cannot: copy by hand. */
			if (errno != EXDEV && errno != EINVAL && errno != EOPNOTSUPP &&
			    errno != ENOSYS)
				return -errno;
			*use_cfr = false;
			break;
		}
		if (n == 0)
			return -ENODATA;	/* the source shrank under us */
		off += n;
		len -= n;
	}
	if (len <= 0)
		return 0;

	buf = malloc(COPY_CHUNK);
	if (!buf)
		return -ENOMEM;
	while (len > 0) {
		size_t want = len < COPY_CHUNK ? (size_t)len : COPY_CHUNK;
		ssize_t n = pread(src, buf, want, off);
		ssize_t done = 0;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		while (done < n) {
			ssize_t w = pwrite(dst, buf + done, (size_t)(n - done), off + done);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return -errno;
			done += w;
		}
		off += n;
		len -= n;
	}
	return 0;
}

/*
 * The data: only the source's data extents (SEEK_DATA/SEEK_HOLE), so a
 * sparse file stays sparse; the size is set at the end for a trailing hole.
 */
int smoothfs__copy_data(int src, int dst, bool try_reflink)
{
	bool use_cfr = true;
	struct stat st;
	off_t pos = 0;
	int r;

	if (fstat(src, &st) < 0)
		return -errno;
	if (try_reflink && ioctl(dst, FICLONE, src) == 0)
		return 0;
	if (ftruncate(dst, 0) < 0)
		return -errno;

	while (pos < st.st_size) {
		off_t data = lseek(src, pos, SEEK_DATA), hole;

		if (data < 0 && errno == ENXIO)
			break;			/* only a hole is left */
		if (data < 0 && errno == EINVAL) {
			data = pos;		/* no SEEK_DATA: all data */
			hole = st.st_size;
		} else if (data < 0) {
			return -errno;
		} else {
			hole = lseek(src, data, SEEK_HOLE);
			if (hole < 0)
				return -errno;
		}
		if (hole > st.st_size)
			hole = st.st_size;
		if (data >= hole)
			break;
		r = copy_range(src, dst, data, hole - data, &use_cfr);
		if (r < 0)
			return r;
		pos = hole;
	}
	if (ftruncate(dst, st.st_size) < 0)
		return -errno;
	return 0;
}

static int read_xattr_list(int fd, char **ret, size_t *ret_len)
{
	for (;;) {
		_cleanup_free_ char *list = NULL;
		ssize_t n = flistxattr(fd, NULL, 0);

		if (n < 0)
			return errno == ENOTSUP ? (*ret = NULL, *ret_len = 0, 0) : -errno;
		list = malloc((size_t)n + 1);
		if (!list)
			return -ENOMEM;
		n = flistxattr(fd, list, (size_t)n);
		if (n < 0 && errno == ERANGE)
			continue;		/* grew meanwhile */
		if (n < 0)
			return -errno;
		*ret = TAKE_PTR(list);
		*ret_len = (size_t)n;
		return 0;
	}
}

static int copy_one_xattr(int src, int dst, const char *name)
{
	for (;;) {
		_cleanup_free_ char *value = NULL;
		ssize_t n = fgetxattr(src, name, NULL, 0);

		if (n < 0)
			return errno == ENODATA ? 0 : -errno;	/* removed meanwhile */
		value = malloc(n ? (size_t)n : 1);
		if (!value)
			return -ENOMEM;
		n = fgetxattr(src, name, value, (size_t)n);
		if (n < 0 && errno == ERANGE)
			continue;
		if (n < 0)
			return errno == ENODATA ? 0 : -errno;
		if (fsetxattr(dst, name, value, (size_t)n, 0) < 0)
			return -errno;
		return 0;
	}
}

/* Every xattr, whatever its namespace: a move must not lose any. */
int smoothfs__copy_xattrs(int src, int dst)
{
	_cleanup_free_ char *list = NULL;
	size_t len = 0, i;
	int r;

	r = read_xattr_list(src, &list, &len);
	if (r < 0)
		return r;
	for (i = 0; i < len; i += strlen(list + i) + 1) {
		r = copy_one_xattr(src, dst, list + i);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Owner first (chown clears set-id bits), then xattrs (ACLs), then the
 * mode, and the times last, since every other change touches them.
 */
int smoothfs__copy_metadata(int src, int dst)
{
	struct timespec times[2];
	struct stat st;
	int r;

	if (fstat(src, &st) < 0)
		return -errno;
	if (fchown(dst, st.st_uid, st.st_gid) < 0)
		return -errno;
	r = smoothfs__copy_xattrs(src, dst);
	if (r < 0)
		return r;
	if (fchmod(dst, st.st_mode & 07777) < 0)
		return -errno;
	times[0] = st.st_atim;
	times[1] = st.st_mtim;
	if (futimens(dst, times) < 0)
		return -errno;
	return 0;
}

/*
 * Copy @src into a new file @name in directory @dir_fd (which must not
 * have it: a leftover from an earlier attempt is replaced), durable when
 * this returns 0.  On failure the staged file is removed.
 */
int smoothfs__stage_file(int src, int dir_fd, const char *name)
{
	_cleanup_close_ int dst = -1;
	struct stat sst, dst_st;
	int r;

	if (fstat(src, &sst) < 0)
		return -errno;
	if (!S_ISREG(sst.st_mode))
		return -EINVAL;
	if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
		return -errno;
	dst = openat(dir_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dst < 0)
		return -errno;
	if (fstat(dst, &dst_st) < 0) {
		r = -errno;
		goto fail;
	}

	r = smoothfs__copy_data(src, dst, dst_st.st_dev == sst.st_dev);
	if (r >= 0)
		r = smoothfs__copy_metadata(src, dst);
	if (r >= 0 && fsync(dst) < 0)
		r = -errno;
	if (r >= 0 && fsync(dir_fd) < 0)
		r = -errno;
	if (r >= 0)
		return 0;
fail:
	unlinkat(dir_fd, name, 0);
	return r;
}
