// SPDX-License-Identifier: GPL-2.0-only
/*
 * The movement journal, <tier0>/.smoothfs/journal, and its recovery at
 * mount.
 *
 * A move commits by appending a COMMIT record (fsync'd) before the staged
 * copy is renamed into place, and ends with a DONE record once the source
 * is gone.  The journal holds open transactions only: it is truncated to
 * empty whenever the last open one closes, so recovery at mount costs the
 * number of open records plus the staged files, never a walk of the pool.
 *
 * Records are fixed-size (SMOOTHFS_JREC_SIZE bytes), little-endian, each
 * with its own CRC32C, so a torn or corrupt record is recognised and
 * skipped on its own; the layout is in docs/architecture.md.
 *
 * Commits group: a record is appended under j->lock and made durable
 * outside it, and one fsync covers every record appended before it
 * started, so concurrent cutovers share their journal flushes instead of
 * queueing one flush each behind the lock.
 *
 * A DONE record is not fsync'd: replaying a finished move does nothing
 * (the staged file is gone, the source is gone or is another object), and
 * the fsync of any later COMMIT, or of the truncation, makes it durable
 * before a later move of the same object can stage again.  A move that
 * fails after its COMMIT removes its staged copy durably instead (or,
 * if that fails, fsyncs its DONE) before writers resume on the source.
 */
#include <linux/cred.h>
#include <linux/crc32c.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/xattr.h>

#include "smoothfs.h"

#define SMOOTHFS_JOURNAL_NAME	"journal"
#define SMOOTHFS_STAGE_NAME	"stage"
#define SMOOTHFS_JREC_SIZE	4096
#define SMOOTHFS_JREC_MAGIC	0x4c4a4d53	/* "SMJL" on disk */
#define SMOOTHFS_JREC_VERSION	1
#define SMOOTHFS_JREC_COMMIT	1
#define SMOOTHFS_JREC_DONE	2
#define SMOOTHFS_JREC_PATH_OFF	40
#define SMOOTHFS_JREC_PATH_MAX	(SMOOTHFS_JREC_SIZE - SMOOTHFS_JREC_PATH_OFF - 4)
/* Moves in flight at once; more are refused with EBUSY. */
#define SMOOTHFS_JOURNAL_MAX_OPEN	256
/* Bad records named one by one in the log; the rest are counted. */
#define SMOOTHFS_JOURNAL_LOG_BAD	4
/* Names collected from a stage directory per iteration. */
#define SMOOTHFS_STAGE_BATCH	64

struct smoothfs_jrec {
	__le32 magic;
	__le16 version;
	u8 type;
	u8 src_tier;
	u8 dst_tier;
	u8 reserved[3];		/* zero */
	__le32 path_len;
	__le64 seq;
	u8 oid[SMOOTHFS_OID_LEN];
	char path[SMOOTHFS_JREC_PATH_MAX];	/* not terminated, zero-padded */
	__le32 crc;		/* CRC32C of every byte before it */
} __packed;

static_assert(sizeof(struct smoothfs_jrec) == SMOOTHFS_JREC_SIZE);
static_assert(offsetof(struct smoothfs_jrec, path) == SMOOTHFS_JREC_PATH_OFF);

struct smoothfs_journal_open {
	u64 seq;
	u8 oid[SMOOTHFS_OID_LEN];
};

struct smoothfs_journal {
	struct mutex lock;		/* appends, truncation and the open set */
	struct file *file;
	loff_t end;			/* where the next record goes */
	/*
	 * Records appended since the mount, and how many of them an fsync
	 * has covered: counts, not offsets, as truncation rewinds @end.
	 */
	u64 appended;			/* under @lock */
	struct mutex sync_lock;		/* one journal fsync at a time */
	u64 durable;			/* under @sync_lock */
	/*
	 * The first failed fsync, under @sync_lock.  Sticky: the error is
	 * reported once per open file, so the next fsync would return 0
	 * while the records it failed to write are lost; like an aborted
	 * jbd2 journal, every later commit fails until the next mount.
	 */
	int sync_err;
	/* Recovery left work undone: keep the records until the next mount. */
	bool keep;
	unsigned int nopen;
	struct smoothfs_journal_open open[SMOOTHFS_JOURNAL_MAX_OPEN];
	struct smoothfs_jrec rec;	/* the record being appended */
};

/* State of one mount-time recovery. */
struct smoothfs_recovery {
	struct smoothfs_sb_info *sbi;
	struct smoothfs_journal *j;
	struct dentry *stage[SMOOTHFS_MAX_TIERS];
	bool keep_stage[SMOOTHFS_MAX_TIERS];	/* a staged file may be the only copy */
	unsigned int bad;
	u64 *done;			/* sorted seqs with a DONE record */
	size_t ndone;
};

/* The standard CRC32C (Castagnoli; "123456789" -> 0xe3069283). */
static u32 smoothfs_crc32c(const void *data, size_t len)
{
	return ~crc32c(~0U, data, len);
}

static u32 smoothfs_jrec_crc(const struct smoothfs_jrec *rec)
{
	return smoothfs_crc32c(rec, offsetof(struct smoothfs_jrec, crc));
}

/*
 * A path relative to the tier roots that stays inside the tier: not
 * empty, no leading '/', no NUL, no empty, "." or ".." component, no
 * component longer than NAME_MAX, and not inside .smoothfs/.
 */
static bool smoothfs_journal_path_ok(const char *path, size_t len)
{
	size_t i = 0;

	if (len == 0 || len > SMOOTHFS_JREC_PATH_MAX || memchr(path, '\0', len))
		return false;
	while (i < len) {
		const char *c = path + i;
		const char *slash = memchr(c, '/', len - i);
		size_t clen = slash ? slash - c : len - i;

		if (clen == 0 || clen > NAME_MAX ||
		    (clen == 1 && c[0] == '.') ||
		    (clen == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (i == 0 && clen == sizeof(SMOOTHFS_META_DIR) - 1 &&
		    !memcmp(c, SMOOTHFS_META_DIR, clen))
			return false;
		i += clen;
		if (slash) {
			i++;
			if (i == len)
				return false;	/* trailing '/' */
		}
	}
	return true;
}

/* Write one record at the end (caller holds the lock and the creds). */
static int smoothfs_journal_append(struct smoothfs_journal *j, u8 type, u64 seq,
				   const u8 *oid, u8 src, u8 dst,
				   const char *path, size_t len)
{
	struct smoothfs_jrec *rec = &j->rec;
	loff_t pos = j->end;
	ssize_t n;

	memset(rec, 0, sizeof(*rec));
	rec->magic = cpu_to_le32(SMOOTHFS_JREC_MAGIC);
	rec->version = cpu_to_le16(SMOOTHFS_JREC_VERSION);
	rec->type = type;
	rec->src_tier = src;
	rec->dst_tier = dst;
	rec->path_len = cpu_to_le32(len);
	rec->seq = cpu_to_le64(seq);
	memcpy(rec->oid, oid, SMOOTHFS_OID_LEN);
	memcpy(rec->path, path, len);
	rec->crc = cpu_to_le32(smoothfs_jrec_crc(rec));

	n = kernel_write(j->file, rec, sizeof(*rec), &pos);
	if (n < 0)
		return n;
	if (n != sizeof(*rec))
		return -EIO;	/* the next record overwrites the torn one */
	j->end = pos;
	j->appended++;
	return 0;
}

/*
 * Make the first @upto appended records durable.  Whoever holds sync_lock
 * flushes everything appended before its fsync began, so a waiter finds
 * its record covered more often than not and returns without a flush of
 * its own.  Caller holds the creds, not j->lock.
 */
static int smoothfs_journal_sync(struct smoothfs_sb_info *sbi, u64 upto)
{
	struct smoothfs_journal *j = sbi->journal;
	u64 target;
	int err = 0;

	mutex_lock(&j->sync_lock);
	if (j->sync_err) {
		err = j->sync_err;
	} else if (j->durable < upto) {
		mutex_lock(&j->lock);
		target = j->appended;
		mutex_unlock(&j->lock);
		err = vfs_fsync(j->file, 0);
		atomic64_inc(&sbi->stats.journal_flushes);
		if (err) {
			j->sync_err = err;
			pr_err("pool %s: the journal cannot be flushed (error %d): no more moves until the next mount\n",
			       sbi->pool, err);
		} else {
			j->durable = target;
		}
	}
	mutex_unlock(&j->sync_lock);
	return err;
}

/* Empty the journal: every transaction in it is closed. */
static int smoothfs_journal_truncate(struct smoothfs_journal *j)
{
	int err;

	err = vfs_truncate(&j->file->f_path, 0);
	if (err)
		return err;
	j->end = 0;
	return 0;
}

static struct smoothfs_journal_open *smoothfs_journal_find(struct smoothfs_journal *j, u64 seq)
{
	unsigned int i;

	for (i = 0; i < j->nopen; i++)
		if (j->open[i].seq == seq)
			return &j->open[i];
	return NULL;
}

static bool smoothfs_journal_find_oid(struct smoothfs_journal *j, const u8 *oid)
{
	unsigned int i;

	for (i = 0; i < j->nopen; i++)
		if (!memcmp(j->open[i].oid, oid, SMOOTHFS_OID_LEN))
			return true;
	return false;
}

/*
 * Whether a move of object @oid is open: committed and not yet done.  One
 * whose close failed stays open until the next mount, and so does one
 * recovery could not finish; the object moves no more until then, or
 * the recovery of the old record could take the new move's copy for the
 * old move's source.
 */
bool smoothfs_journal_oid_open(struct smoothfs_sb_info *sbi, const u8 *oid)
{
	struct smoothfs_journal *j = sbi->journal;
	bool open;

	if (!j)
		return false;
	mutex_lock(&j->lock);
	open = smoothfs_journal_find_oid(j, oid);
	mutex_unlock(&j->lock);
	return open;
}

int smoothfs_journal_commit(struct smoothfs_sb_info *sbi, const struct smoothfs_journal_rec *rec)
{
	struct smoothfs_journal *j = sbi->journal;
	struct smoothfs_journal_open *o;
	const struct cred *old_cred;
	u64 upto = 0;
	size_t len;
	int err;

	if (!j)
		return -ENODEV;
	len = strnlen(rec->rel_path, SMOOTHFS_JREC_PATH_MAX + 1);
	if (len > SMOOTHFS_JREC_PATH_MAX)
		return -ENAMETOOLONG;
	if (rec->src_tier >= sbi->ntiers || rec->dst_tier >= sbi->ntiers ||
	    rec->src_tier == rec->dst_tier || !smoothfs_journal_path_ok(rec->rel_path, len))
		return -EINVAL;

	old_cred = override_creds(sbi->creator_cred);
	mutex_lock(&j->lock);
	if (smoothfs_journal_find(j, rec->seq))
		err = -EEXIST;
	else if (smoothfs_journal_find_oid(j, rec->oid))
		err = -EBUSY;
	else if (j->nopen == SMOOTHFS_JOURNAL_MAX_OPEN)
		err = -EBUSY;
	else
		err = smoothfs_journal_append(j, SMOOTHFS_JREC_COMMIT, rec->seq, rec->oid,
					      rec->src_tier, rec->dst_tier, rec->rel_path, len);
	/*
	 * Open from its append on: the journal is not truncated under a
	 * record that is still on its way to the disk.
	 */
	if (!err) {
		j->open[j->nopen].seq = rec->seq;
		memcpy(j->open[j->nopen].oid, rec->oid, SMOOTHFS_OID_LEN);
		j->nopen++;
		upto = j->appended;
	}
	mutex_unlock(&j->lock);
	if (!err) {
		err = smoothfs_journal_sync(sbi, upto);
		if (!err)
			atomic64_inc(&sbi->stats.journal_commits);
		if (err) {
			/* Not committed: the caller fails the move. */
			mutex_lock(&j->lock);
			o = smoothfs_journal_find(j, rec->seq);
			*o = j->open[--j->nopen];
			mutex_unlock(&j->lock);
		}
	}
	revert_creds(old_cred);
	return err;
}

int smoothfs_journal_done(struct smoothfs_sb_info *sbi, u64 seq, bool sync)
{
	struct smoothfs_journal *j = sbi->journal;
	struct smoothfs_journal_open *o;
	const struct cred *old_cred;
	int err, terr = 0;
	u64 upto;

	if (!j)
		return -ENODEV;
	mutex_lock(&j->lock);
	o = smoothfs_journal_find(j, seq);
	if (!o) {
		mutex_unlock(&j->lock);
		return -ENOENT;
	}
	old_cred = override_creds(sbi->creator_cred);
	err = smoothfs_journal_append(j, SMOOTHFS_JREC_DONE, seq, o->oid, 0, 0, "", 0);
	upto = j->appended;
	*o = j->open[--j->nopen];
	if (!j->nopen && !j->keep)
		terr = smoothfs_journal_truncate(j);
	mutex_unlock(&j->lock);
	/* Durable as a DONE record or, truncated, as no record at all. */
	if (!err && sync)
		err = smoothfs_journal_sync(sbi, upto);
	revert_creds(old_cred);
	if (terr)
		pr_warn_ratelimited("pool %s: cannot empty the journal (error %d)\n",
				    sbi->pool, terr);
	return err;
}

/* Get directory @name in @parent, creating it (mode 0700) if missing. */
static struct dentry *smoothfs_journal_mkdir(struct vfsmount *mnt, struct dentry *parent,
					     const char *name)
{
	struct inode *dir = d_inode(parent);
	struct dentry *d;
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return ERR_PTR(err);
	inode_lock_nested(dir, I_MUTEX_PARENT);
	d = lookup_one_len(name, parent, strlen(name));
	if (!IS_ERR(d) && d_is_negative(d)) {
		err = vfs_mkdir(SMOOTHFS_NOP_IDMAP, dir, d, 0700);
		if (!err && d_is_negative(d))
			err = -ENOENT;
		if (err) {
			dput(d);
			d = ERR_PTR(err);
		}
	}
	inode_unlock(dir);
	mnt_drop_write(mnt);
	if (!IS_ERR(d) && !d_is_dir(d)) {
		dput(d);
		d = ERR_PTR(-ENOTDIR);
	}
	return d;
}

/* Create (if missing) and open <tier0>/.smoothfs/journal. */
static struct file *smoothfs_journal_file(struct smoothfs_sb_info *sbi, struct dentry *meta)
{
	struct path path = { .mnt = sbi->tiers[0].root.mnt };
	struct inode *dir = d_inode(meta);
	struct file *file;
	struct dentry *d;
	int err;

	err = mnt_want_write(path.mnt);
	if (err)
		return ERR_PTR(err);
	inode_lock_nested(dir, I_MUTEX_PARENT);
	d = lookup_one_len(SMOOTHFS_JOURNAL_NAME, meta, strlen(SMOOTHFS_JOURNAL_NAME));
	if (!IS_ERR(d) && d_is_negative(d)) {
		err = vfs_create(SMOOTHFS_NOP_IDMAP, dir, d, S_IFREG | 0600, true);
		if (!err && d_is_negative(d))
			err = -ENOENT;
		if (err) {
			dput(d);
			d = ERR_PTR(err);
		}
	}
	inode_unlock(dir);
	mnt_drop_write(path.mnt);
	if (IS_ERR(d))
		return ERR_CAST(d);
	if (!d_is_reg(d)) {
		dput(d);
		return ERR_PTR(-EUCLEAN);
	}
	path.dentry = d;
	file = dentry_open(&path, O_RDWR | O_NOATIME | O_LARGEFILE, sbi->creator_cred);
	dput(d);
	return file;
}

static void smoothfs_recovery_bad(struct smoothfs_recovery *r, loff_t off, const char *why)
{
	if (++r->bad <= SMOOTHFS_JOURNAL_LOG_BAD)
		pr_warn("pool %s: journal record at offset %lld: %s, skipped\n",
			r->sbi->pool, off, why);
}

/* Why record @rec cannot be used, or NULL if it is sound. */
static const char *smoothfs_jrec_check(struct smoothfs_sb_info *sbi,
				       const struct smoothfs_jrec *rec)
{
	u32 len = le32_to_cpu(rec->path_len);

	if (le32_to_cpu(rec->magic) != SMOOTHFS_JREC_MAGIC)
		return "bad magic";
	if (le32_to_cpu(rec->crc) != smoothfs_jrec_crc(rec))
		return "bad checksum";
	if (le16_to_cpu(rec->version) != SMOOTHFS_JREC_VERSION)
		return "unknown version";
	if (rec->type == SMOOTHFS_JREC_DONE)
		return NULL;
	if (rec->type != SMOOTHFS_JREC_COMMIT)
		return "unknown type";
	if (rec->src_tier >= sbi->ntiers || rec->dst_tier >= sbi->ntiers ||
	    rec->src_tier == rec->dst_tier)
		return "tier out of range";
	if (len > SMOOTHFS_JREC_PATH_MAX || !smoothfs_journal_path_ok(rec->path, len))
		return "path outside the tier";
	return NULL;
}

static int smoothfs_journal_read(struct smoothfs_journal *j, struct smoothfs_jrec *rec,
				 loff_t off)
{
	loff_t pos = off;
	ssize_t n;

	n = kernel_read(j->file, rec, sizeof(*rec), &pos);
	if (n < 0)
		return n;
	return n == sizeof(*rec) ? 0 : -ENODATA;
}

static int smoothfs_u64_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static bool smoothfs_recovery_is_done(struct smoothfs_recovery *r, u64 seq)
{
	size_t lo = 0, hi = r->ndone;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (r->done[mid] == seq)
			return true;
		if (r->done[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The trusted.smoothfs.oid of @d is @oid. */
static bool smoothfs_oid_is(struct dentry *d, const u8 *oid)
{
	u8 buf[SMOOTHFS_OID_LEN];
	ssize_t len;

	if (d_is_negative(d))
		return false;
	len = __vfs_getxattr(d, d_inode(d), SMOOTHFS_XATTR_OID, buf, sizeof(buf));
	return len == SMOOTHFS_OID_LEN && !memcmp(buf, oid, SMOOTHFS_OID_LEN);
}

/* Give new directory @d the owner and mode of @like (NULL: keep 0755). */
static int smoothfs_journal_dir_owner(struct dentry *d, struct dentry *like)
{
	struct iattr attr = { .ia_valid = ATTR_UID | ATTR_GID | ATTR_MODE };
	struct inode *from;
	int err;

	if (!like || d_is_negative(like) || !d_is_dir(like))
		return 0;
	from = d_inode(like);
	attr.ia_uid = from->i_uid;
	attr.ia_gid = from->i_gid;
	attr.ia_mode = from->i_mode;
	inode_lock(d_inode(d));
	err = notify_change(SMOOTHFS_NOP_IDMAP, d, &attr, NULL);
	inode_unlock(d_inode(d));
	return err;
}

/*
 * Walk the directories of @path (all components but the last) on tier
 * @t from its root, without following symlinks.  With @like, missing
 * directories are created with the owner and mode of the same directory
 * on tier *@like (or 0755 if it is not there).  Returns the parent of the
 * last component, referenced; -ENOENT if a directory is missing.
 */
static struct dentry *smoothfs_journal_walk(struct smoothfs_sb_info *sbi, unsigned int t,
					    const char *path, size_t len,
					    const unsigned int *like)
{
	struct vfsmount *mnt = sbi->tiers[t].root.mnt;
	struct dentry *d = dget(sbi->tiers[t].root.dentry);
	struct dentry *l = like ? dget(sbi->tiers[*like].root.dentry) : NULL;
	const char *end = path + len;
	int err = 0;

	for (;;) {
		const char *slash = memchr(path, '/', end - path);
		struct inode *dir = d_inode(d);
		struct dentry *next, *lnext = NULL;
		bool made = false;

		if (!slash)
			break;
		if (l) {
			lnext = lookup_one_len_unlocked(path, l, slash - path);
			dput(l);
			l = IS_ERR(lnext) ? NULL : lnext;
		}
		if (like) {
			err = mnt_want_write(mnt);
			if (err)
				break;
		}
		inode_lock_nested(dir, I_MUTEX_PARENT);
		next = lookup_one_len(path, d, slash - path);
		if (!IS_ERR(next) && d_is_negative(next) && like) {
			err = vfs_mkdir(SMOOTHFS_NOP_IDMAP, dir, next, 0755);
			made = !err;
		}
		inode_unlock(dir);
		if (!err && made)
			err = smoothfs_journal_dir_owner(next, l);
		if (like)
			mnt_drop_write(mnt);
		if (IS_ERR(next)) {
			err = PTR_ERR(next);
			break;
		}
		dput(d);
		d = next;
		if (err)
			break;
		if (d_is_negative(d)) {
			err = -ENOENT;
			break;
		}
		if (!d_is_dir(d)) {
			err = -ENOTDIR;
			break;
		}
		path = slash + 1;
	}
	dput(l);
	if (err) {
		dput(d);
		return ERR_PTR(err);
	}
	return d;
}

static const char *smoothfs_basename(const char *path, size_t len, int *blen)
{
	const char *b = path + len;

	while (b > path && b[-1] != '/')
		b--;
	*blen = path + len - b;
	return b;
}

/* Make the changes in directory @d durable. */
static int smoothfs_journal_sync_dir(struct vfsmount *mnt, struct dentry *d,
				     const struct cred *cred)
{
	struct path path = { .mnt = mnt, .dentry = d };
	struct file *f;
	int err;

	f = dentry_open(&path, O_RDONLY | O_DIRECTORY, cred);
	if (IS_ERR(f))
		return PTR_ERR(f);
	err = vfs_fsync(f, 0);
	fput(f);
	return err;
}

/*
 * Rename the staged copy <dst>/.smoothfs/stage/<hex> to <dst>/<path>.
 * Returns 1 if there was nothing to rename, 0 when renamed, or an error.
 */
static int smoothfs_recover_rename(struct smoothfs_recovery *r, const struct smoothfs_jrec *rec,
				   const char *hex, struct dentry *parent,
				   const char *name, int nlen)
{
	struct smoothfs_sb_info *sbi = r->sbi;
	struct vfsmount *mnt = sbi->tiers[rec->dst_tier].root.mnt;
	struct dentry *sdir = r->stage[rec->dst_tier];
	struct renamedata rd = { .flags = RENAME_NOREPLACE };
	struct dentry *trap, *src, *dst;
	int err;

	err = mnt_want_write(mnt);
	if (err)
		return err;
	trap = lock_rename(parent, sdir);
	if (IS_ERR(trap)) {
		err = PTR_ERR(trap);
		goto out_drop;
	}
	src = lookup_one_len(hex, sdir, 2 * SMOOTHFS_OID_LEN);
	if (IS_ERR(src)) {
		err = PTR_ERR(src);
		goto out_unlock;
	}
	if (d_is_negative(src) || !d_is_reg(src) || !smoothfs_oid_is(src, rec->oid)) {
		err = 1;	/* no staged copy of this object */
		goto out_src;
	}
	dst = lookup_one_len(name, parent, nlen);
	if (IS_ERR(dst)) {
		err = PTR_ERR(dst);
		goto out_src;
	}
	if (d_is_positive(dst)) {
		/* Another object took the name: the source stays. */
		err = smoothfs_oid_is(dst, rec->oid) ? 1 : -EEXIST;
	} else if (src == trap || dst == trap) {
		err = -EINVAL;
	} else {
		smoothfs_rd_set_idmap(&rd, SMOOTHFS_NOP_IDMAP);
		rd.old_dir = d_inode(sdir);
		rd.old_dentry = src;
		rd.new_dir = d_inode(parent);
		rd.new_dentry = dst;
		err = vfs_rename(&rd);
	}
	dput(dst);
out_src:
	dput(src);
out_unlock:
	unlock_rename(parent, sdir);
out_drop:
	mnt_drop_write(mnt);
	if (!err)
		err = smoothfs_journal_sync_dir(mnt, parent, sbi->creator_cred);
	return err;
}

/* Remove <src>/<path> if it is the object @rec->oid.  0 or an error. */
static int smoothfs_recover_unlink(struct smoothfs_recovery *r, const struct smoothfs_jrec *rec,
				   u32 len)
{
	struct smoothfs_sb_info *sbi = r->sbi;
	struct vfsmount *mnt = sbi->tiers[rec->src_tier].root.mnt;
	struct dentry *parent, *d;
	const char *name;
	int nlen, err;

	parent = smoothfs_journal_walk(sbi, rec->src_tier, rec->path, len, NULL);
	if (IS_ERR(parent))
		return PTR_ERR(parent) == -ENOENT ? 0 : PTR_ERR(parent);
	name = smoothfs_basename(rec->path, len, &nlen);
	err = mnt_want_write(mnt);
	if (err)
		goto out;
	inode_lock_nested(d_inode(parent), I_MUTEX_PARENT);
	d = lookup_one_len(name, parent, nlen);
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
	} else {
		/* A name reused by another object keeps its object. */
		if (d_is_positive(d) && !d_is_dir(d) && smoothfs_oid_is(d, rec->oid))
			err = vfs_unlink(SMOOTHFS_NOP_IDMAP, d_inode(parent), d, NULL) ?: 1;
		dput(d);
	}
	inode_unlock(d_inode(parent));
	mnt_drop_write(mnt);
	if (err == 1)
		err = smoothfs_journal_sync_dir(mnt, parent, sbi->creator_cred);
out:
	dput(parent);
	return err;
}

/*
 * Roll one committed move forward: the staged copy (if still there) to
 * its final name, then the source away, but only while the destination
 * holds the object (never remove the last copy).
 */
static int smoothfs_recover_one(struct smoothfs_recovery *r, const struct smoothfs_jrec *rec)
{
	struct smoothfs_sb_info *sbi = r->sbi;
	u32 len = le32_to_cpu(rec->path_len);
	unsigned int like = rec->src_tier;
	char hex[2 * SMOOTHFS_OID_LEN + 1];
	struct dentry *parent, *d;
	bool staged, dst_ok;
	const char *name;
	int nlen, err;

	if (!r->stage[rec->src_tier] || !r->stage[rec->dst_tier])
		return -ENODEV;		/* a tier without .smoothfs/stage */
	snprintf(hex, sizeof(hex), "%*phN", SMOOTHFS_OID_LEN, rec->oid);
	d = lookup_one_len_unlocked(hex, r->stage[rec->dst_tier], 2 * SMOOTHFS_OID_LEN);
	if (IS_ERR(d))
		return PTR_ERR(d);
	staged = d_is_reg(d) && smoothfs_oid_is(d, rec->oid);
	dput(d);

	/* Parent directories are created only for a staged copy to go to. */
	name = smoothfs_basename(rec->path, len, &nlen);
	parent = smoothfs_journal_walk(sbi, rec->dst_tier, rec->path, len,
				       staged ? &like : NULL);
	if (IS_ERR(parent)) {
		err = PTR_ERR(parent);
		/* No destination: the source stays. */
		return !staged && (err == -ENOENT || err == -ENOTDIR) ? 0 : err;
	}
	if (staged) {
		err = smoothfs_recover_rename(r, rec, hex, parent, name, nlen);
		if (err < 0) {
			dput(parent);
			return err;
		}
	}
	d = lookup_one_len_unlocked(name, parent, nlen);
	dput(parent);
	if (IS_ERR(d))
		return PTR_ERR(d);
	dst_ok = d_is_reg(d) && smoothfs_oid_is(d, rec->oid);
	dput(d);
	if (!dst_ok)
		return 0;	/* not moved: the source stays */
	return smoothfs_recover_unlink(r, rec, len);
}

/* Roll forward every COMMIT without a DONE; skip and log bad records. */
static void smoothfs_recover(struct smoothfs_recovery *r)
{
	struct smoothfs_sb_info *sbi = r->sbi;
	struct smoothfs_journal *j = r->j;
	loff_t size = i_size_read(file_inode(j->file));
	loff_t full = round_down(size, SMOOTHFS_JREC_SIZE);
	struct smoothfs_jrec *rec;
	loff_t off;
	int err;

	j->end = full;
	if (!size)
		return;
	rec = kvmalloc(sizeof(*rec), GFP_KERNEL);
	r->done = kvmalloc_array(div_u64(full, SMOOTHFS_JREC_SIZE) + 1, sizeof(u64),
				 GFP_KERNEL);
	if (!rec || !r->done) {
		j->keep = true;
		goto out;
	}
	/* Which transactions closed. */
	for (off = 0; off < full; off += SMOOTHFS_JREC_SIZE) {
		if (smoothfs_journal_read(j, rec, off))
			break;
		if (rec->type == SMOOTHFS_JREC_DONE && !smoothfs_jrec_check(sbi, rec))
			r->done[r->ndone++] = le64_to_cpu(rec->seq);
	}
	sort(r->done, r->ndone, sizeof(u64), smoothfs_u64_cmp, NULL);

	for (off = 0; off < full; off += SMOOTHFS_JREC_SIZE) {
		const char *why;

		err = smoothfs_journal_read(j, rec, off);
		if (err) {
			pr_warn("pool %s: cannot read the journal at offset %lld (error %d)\n",
				sbi->pool, off, err);
			j->keep = true;
			break;
		}
		why = smoothfs_jrec_check(sbi, rec);
		if (why) {
			smoothfs_recovery_bad(r, off, why);
			continue;
		}
		if (rec->type != SMOOTHFS_JREC_COMMIT ||
		    smoothfs_recovery_is_done(r, le64_to_cpu(rec->seq)))
			continue;
		err = smoothfs_recover_one(r, rec);
		if (err) {
			pr_warn("pool %s: move %llu of %16phN to tier %u not recovered (error %d), journal kept\n",
				sbi->pool, le64_to_cpu(rec->seq), rec->oid, rec->dst_tier, err);
			j->keep = true;
			r->keep_stage[rec->dst_tier] = true;
			/* Open until a mount recovers it: the object does not move. */
			if (j->nopen < SMOOTHFS_JOURNAL_MAX_OPEN) {
				j->open[j->nopen].seq = le64_to_cpu(rec->seq);
				memcpy(j->open[j->nopen].oid, rec->oid, SMOOTHFS_OID_LEN);
				j->nopen++;
			}
		}
	}
	if (size != full)
		pr_warn("pool %s: journal ends in a torn record (%lld bytes at offset %lld), ignored\n",
			sbi->pool, size - full, full);
	if (r->bad > SMOOTHFS_JOURNAL_LOG_BAD)
		pr_warn("pool %s: %u bad journal records skipped in all\n", sbi->pool, r->bad);
out:
	kvfree(r->done);
	kvfree(rec);
}

struct smoothfs_stage_ctx {
	struct dir_context ctx;
	unsigned int n;
	char names[SMOOTHFS_STAGE_BATCH][NAME_MAX + 1];
};

static bool smoothfs_stage_actor(struct dir_context *ctx, const char *name, int len,
				 loff_t offset, u64 ino, unsigned int d_type)
{
	struct smoothfs_stage_ctx *c = container_of(ctx, struct smoothfs_stage_ctx, ctx);

	if (d_type != DT_REG && d_type != DT_UNKNOWN)
		return true;
	if (len > NAME_MAX)
		return true;
	memcpy(c->names[c->n], name, len);
	c->names[c->n][len] = '\0';
	return ++c->n < SMOOTHFS_STAGE_BATCH;
}

/* Remove the staged files no committed move claimed (roll back). */
static int smoothfs_stage_clean(struct smoothfs_sb_info *sbi, unsigned int t,
				struct dentry *stage)
{
	struct path path = { .mnt = sbi->tiers[t].root.mnt, .dentry = stage };
	struct inode *dir = d_inode(stage);
	struct smoothfs_stage_ctx *c;
	unsigned int removed = 0;
	struct file *f;
	int err = 0;

	c = kvzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	c->ctx.actor = smoothfs_stage_actor;
	f = dentry_open(&path, O_RDONLY | O_DIRECTORY, sbi->creator_cred);
	if (IS_ERR(f)) {
		kvfree(c);
		return PTR_ERR(f);
	}
	/* The position only moves forward: this ends. */
	do {
		unsigned int i;

		c->n = 0;
		err = iterate_dir(f, &c->ctx);
		if (err || !c->n)
			break;
		err = mnt_want_write(path.mnt);
		if (err)
			break;
		inode_lock_nested(dir, I_MUTEX_PARENT);
		for (i = 0; i < c->n; i++) {
			struct dentry *d = lookup_one_len(c->names[i], stage, strlen(c->names[i]));

			if (IS_ERR(d))
				continue;
			if (d_is_reg(d) && !vfs_unlink(SMOOTHFS_NOP_IDMAP, dir, d, NULL))
				removed++;
			dput(d);
		}
		inode_unlock(dir);
		mnt_drop_write(path.mnt);
	} while (c->n == SMOOTHFS_STAGE_BATCH);
	fput(f);
	kvfree(c);
	if (removed)
		pr_info("pool %s: removed %u staged file(s) of unfinished moves on tier %u\n",
			sbi->pool, removed, t);
	return err;
}

/*
 * .smoothfs/stage on every tier and the journal on tier 0.  Only tier 0
 * failing fails the mount; another tier without a stage directory takes
 * no part in recovery (its records stay in the journal).
 */
static int smoothfs_journal_setup(struct smoothfs_sb_info *sbi, struct smoothfs_recovery *r)
{
	struct dentry *meta0 = NULL;
	unsigned int t;
	int err;

	for (t = 0; t < sbi->ntiers; t++) {
		struct vfsmount *mnt = sbi->tiers[t].root.mnt;
		struct dentry *meta, *stage;

		meta = smoothfs_journal_mkdir(mnt, sbi->tiers[t].root.dentry, SMOOTHFS_META_DIR);
		stage = meta;
		if (!IS_ERR(meta))
			stage = smoothfs_journal_mkdir(mnt, meta, SMOOTHFS_STAGE_NAME);
		if (IS_ERR(stage)) {
			err = PTR_ERR(stage);
			if (!IS_ERR(meta))
				dput(meta);
			if (t == 0) {
				pr_err("pool %s: tier 0: cannot create %s (error %d)\n",
				       sbi->pool, SMOOTHFS_STAGE_DIR, err);
				return err;
			}
			pr_warn("pool %s: tier %u: cannot create %s (error %d), no recovery on it\n",
				sbi->pool, t, SMOOTHFS_STAGE_DIR, err);
			continue;
		}
		r->stage[t] = stage;
		if (t == 0)
			meta0 = meta;
		else
			dput(meta);
	}
	r->j->file = smoothfs_journal_file(sbi, meta0);
	dput(meta0);
	if (IS_ERR(r->j->file)) {
		err = PTR_ERR(r->j->file);
		r->j->file = NULL;
		pr_err("pool %s: cannot open %s/%s (error %d)\n",
		       sbi->pool, SMOOTHFS_META_DIR, SMOOTHFS_JOURNAL_NAME, err);
		return err;
	}
	return 0;
}

int smoothfs_journal_open(struct smoothfs_sb_info *sbi)
{
	struct smoothfs_recovery *r;
	struct smoothfs_journal *j;
	const struct cred *old_cred;
	unsigned int t;
	int err;

	if (smoothfs_crc32c("123456789", 9) != 0xe3069283) {
		pr_err("pool %s: crc32c is broken, no journal\n", sbi->pool);
		return -ELIBBAD;
	}
	j = kvzalloc(sizeof(*j), GFP_KERNEL);
	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!j || !r) {
		kvfree(j);
		kfree(r);
		return -ENOMEM;
	}
	mutex_init(&j->lock);
	mutex_init(&j->sync_lock);
	r->sbi = sbi;
	r->j = j;

	old_cred = override_creds(sbi->creator_cred);
	err = smoothfs_journal_setup(sbi, r);
	if (err)
		goto out;
	smoothfs_recover(r);
	for (t = 0; t < sbi->ntiers; t++) {
		if (r->keep_stage[t] || !r->stage[t])
			continue;
		err = smoothfs_stage_clean(sbi, t, r->stage[t]);
		if (err)
			pr_warn("pool %s: tier %u: cannot clean %s (error %d)\n",
				sbi->pool, t, SMOOTHFS_STAGE_DIR, err);
	}
	err = 0;
	if (!j->keep) {
		err = smoothfs_journal_truncate(j);
		if (!err)
			err = vfs_fsync(j->file, 0);
		if (err)
			pr_err("pool %s: cannot empty the journal (error %d)\n", sbi->pool, err);
	}
out:
	revert_creds(old_cred);
	for (t = 0; t < sbi->ntiers; t++)
		dput(r->stage[t]);
	kfree(r);
	if (err) {
		if (j->file)
			fput(j->file);
		kvfree(j);
		return err;
	}
	sbi->journal = j;
	return 0;
}

void smoothfs_journal_close(struct smoothfs_sb_info *sbi)
{
	struct smoothfs_journal *j = sbi->journal;

	if (!j)
		return;
	sbi->journal = NULL;
	fput(j->file);
	kvfree(j);
}
