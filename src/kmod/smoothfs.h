/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * smoothfs: a tiered stacking filesystem.  Private structures and the
 * declarations shared between the files of the module, in file order.
 */
#ifndef _SMOOTHFS_H
#define _SMOOTHFS_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include <linux/uuid.h>
#include <linux/xxhash.h>
#include <linux/smoothfs.h>

#include "compat.h"

/* One storage tier of a pool; rank = position, 0 is the fastest. */
struct smoothfs_tier {
	struct path root;
	char *path;		/* as given at mount (show_options, events) */
	unsigned int rank;
	u32 caps;		/* SMOOTHFS_TIER_CAP_* */
	/* Free space, refreshed at most once a second for placement. */
	unsigned long space_checked;	/* jiffies; 0: never */
	u64 avail_bytes;
	u64 reserve_bytes;
	unsigned int reserve_pct;	/* kept free for files already here */
	/* Tier faults (fault.c): next event allowed, events held back. */
	unsigned long fault_next;	/* jiffies; under fault_lock */
	u64 faults_suppressed;
	bool offline;		/* TierDown until Reprobe (move.c); READ_ONCE */
};

/* Per-pool counters, shown in sysfs. */
struct smoothfs_stats {
	atomic64_t creates;
	atomic64_t spills;
	atomic64_t moves;		/* completed cutovers */
	atomic64_t cutover_waits;	/* cutovers that waited for a writer */
	atomic64_t journal_commits;	/* durable COMMIT records */
	atomic64_t journal_flushes;	/* fsyncs of the journal they took */
	atomic64_t close_batches;	/* batches of moves closed (close.c) */
	atomic64_t heat_records;	/* records multicast */
	atomic64_t heat_waits;		/* drains stopped by a full listener */
	atomic64_t tier_faults;
	atomic64_t tier_faults_suppressed;
	atomic64_t listing_hits;	/* listings served from the listing cache */
	atomic64_t listing_builds;	/* listings read from the tiers */
};

/* listing.c: directories' merged listings kept between opens. */
#define SMOOTHFS_LISTING_CACHE_DEFAULT	131072	/* entries: 9-12 MiB with short names */
#define SMOOTHFS_LISTING_CACHE_MAX	(16 << 20)

struct smoothfs_listing_cache {
	spinlock_t lock;		/* lru, entries, each inode's listing */
	struct list_head lru;		/* kept listings, least recently used first */
	size_t entries;			/* in the kept listings, at least 1 each */
	size_t max_entries;		/* sysfs listing_cache_entries; READ_ONCE */
};

/* One name of a merged listing. */
struct smoothfs_dirent {
	struct hlist_node hash;		/* deduplication, while the listing is built */
	u64 ino;
	u64 lower_ino;			/* as the tier's readdir reported it */
	unsigned int type;
	unsigned int len;
	char name[];
};

struct smoothfs_listing {
	struct kref ref;		/* the cache's and each reading open's */
	struct list_head lru;		/* on the cache's lru while kept */
	struct smoothfs_inode *owner;	/* the directory keeping it; under the cache's lock */
	u32 gen;			/* the directory's listing_gen when it was begun */
	size_t count;
	struct smoothfs_dirent **entries;
};

/* move.c: pool-wide movement state; under lock. */
struct smoothfs_pool_moves {
	spinlock_t lock;		/* the fields below */
	bool quiesced;			/* Quiesce until Reconcile */
	unsigned int in_flight;		/* cutovers and aborts; wait_var_event on it */
	u32 reconcile_gen;		/* bumped by Reconcile: lifts revocations */
	/* Bumped by every TierDown: a Reprobe begun before it does not undo it. */
	u32 tier_down_gen[SMOOTHFS_MAX_TIERS];
};

/* close.c: moves switched and not yet closed. */
struct smoothfs_closer {
	spinlock_t lock;		/* pending */
	struct list_head pending;	/* struct smoothfs_close.node */
	atomic_t unclosed;		/* queued and not yet closed nor stuck */
	struct mutex run_lock;		/* one batch at a time; stuck */
	struct list_head stuck;		/* closes that failed (close.c) */
	struct delayed_work work;
};

struct smoothfs_sb_info {
	struct super_block *sb;
	char *pool;
	uuid_t uuid;
	unsigned int ntiers;
	struct smoothfs_tier tiers[SMOOTHFS_MAX_TIERS];
	/* Lower objects are reached with the mounter's credentials. */
	const struct cred *creator_cred;
	struct list_head pool_node;	/* on the registry while mounted */
	/* Serialises creating directory copies on other tiers. */
	struct mutex materialize_lock;
	/* Renames (write) against materialising (read): see rename.c. */
	struct rw_semaphore rename_sem;
	struct smoothfs_inomap *inomap;	/* d_ino cache, allocated on first use */
	struct smoothfs_listing_cache listings;	/* listing.c */
	bool any_spill;
	bool mounted;		/* MOUNT_READY was sent */
	/* Heat (heat.c): inodes with new activity, drained by heat_work. */
	spinlock_t heat_lock;
	struct list_head heat_dirty;	/* smoothfs_heat.node */
	struct list_head heat_orphans;	/* records of evicted inodes */
	struct delayed_work heat_work;
	unsigned int heat_interval_ms;
	u64 heat_window_start;		/* ktime_get_ns() of the last whole drain */
	u64 heat_stalled_since;		/* a full listener stopped drains; 0: not */
	bool heat_stopped;		/* under heat_lock */
	spinlock_t fault_lock;
	struct smoothfs_stats stats;
	struct kobject *kobj;		/* sysfs.c */
	struct smoothfs_journal *journal;	/* journal.c */
	struct smoothfs_pool_moves moves;	/* move.c */
	struct smoothfs_closer closer;		/* close.c */
};

/* Activity of one inode since the last heat sample; under lock. */
struct smoothfs_heat {
	spinlock_t lock;	/* the counters and listed */
	bool listed;		/* on (or being put on) the pool's dirty list */
	u32 opens;
	u64 read_bytes;
	u64 write_bytes;
	u64 last_access_ns;	/* CLOCK_REALTIME */
	struct list_head node;	/* under the pool's heat_lock */
};

/*
 * Per dentry: the lower dentry on each tier where the object exists
 * (directories may exist on several tiers; other objects on one).
 */
struct smoothfs_entry {
	struct dentry *lower[SMOOTHFS_MAX_TIERS];
	/* A slower tier holds another object under this name (lookup saw it). */
	bool shadows;
};

/*
 * move.c: movement state of one inode.  state, dest, seq, generation and
 * revoked_gen under lock; si->lower and si->tier change only under lock
 * too (with the inode lock held), at a cutover.  write_seq changes under
 * the inode lock, by every data-modifying operation.
 */
struct smoothfs_move {
	spinlock_t lock;	/* see above */
	u8 state;		/* enum smoothfs_movement_state */
	u8 dest;		/* intended tier while a move is open */
	u32 generation;		/* bumped by every cutover: open files reopen */
	u32 revoked_gen;	/* RevokeMappings; 0: none (see pool reconcile_gen) */
	u64 seq;		/* transaction sequence of the open move */
	u64 write_seq;
	bool aborting;		/* placed, its staged copy still being removed */
	bool closing;		/* switched, its close queued (close.c) */
	bool close_stuck;	/* its old copy cannot be removed yet (close.c) */
};

/* Each smoothfs inode maps to exactly one lower object on one tier. */
struct smoothfs_inode {
	struct inode vfs_inode;
	struct path lower;
	unsigned int tier;
	u8 oid[SMOOTHFS_OID_LEN];
	u8 pin;			/* enum smoothfs_pin_state; READ_ONCE */
	struct smoothfs_heat heat;
	struct smoothfs_move move;
	/* A directory's kept listing; under the pool's listings.lock (listing.c). */
	struct smoothfs_listing *listing;
	atomic_t listing_gen;	/* bumped when a name of it moves between tiers */
};

static inline struct smoothfs_sb_info *SMOOTHFS_SB(const struct super_block *sb)
{
	return sb->s_fs_info;
}

/* The pool's 32-bit filesystem id in events. */
static inline u32 smoothfs_fsid(const struct smoothfs_sb_info *sbi)
{
	return xxh32(&sbi->uuid, sizeof(sbi->uuid), 0);
}

static inline struct smoothfs_inode *SMOOTHFS_I(const struct inode *inode)
{
	return container_of(inode, struct smoothfs_inode, vfs_inode);
}

static inline struct smoothfs_entry *SMOOTHFS_E(const struct dentry *dentry)
{
	return dentry->d_fsdata;
}

/* attr.c */
void smoothfs_copy_flags(struct inode *inode, const struct inode *lower);
void smoothfs_copy_attr_all(struct inode *inode, const struct inode *lower);
void smoothfs_refresh_attr(struct inode *inode, struct inode *lower);
int smoothfs_may_open_lower(struct inode *inode, const struct inode *lower,
			    unsigned int flags);
int smoothfs_may_setattr_lower(struct inode *inode, const struct inode *lower,
			       const struct iattr *attr);

/* dentry.c */
extern const struct dentry_operations smoothfs_dentry_ops;
struct smoothfs_entry *smoothfs_entry_alloc(void);
void smoothfs_entry_free(struct smoothfs_entry *entry);
void smoothfs_entry_reset(struct smoothfs_entry *entry);

/* dirtimes.c */
void smoothfs_dir_times(struct dentry *dentry, struct kstat *stat, unsigned int flags);

/* dirid.c */
int smoothfs_dir_oid(struct smoothfs_sb_info *sbi, struct dentry *const *lower,
		     unsigned int first, u8 oid[SMOOTHFS_OID_LEN]);
int smoothfs_dir_copy_identity(struct inode *dir, const struct path *to);
void smoothfs_dir_pin_copies(struct dentry *dentry);

/* dir.c */
extern const struct inode_operations smoothfs_dir_iops;
extern const struct file_operations smoothfs_dir_fops;

/* fault.c */
void smoothfs_tier_fault(struct smoothfs_sb_info *sbi, unsigned int tier, int err);
void smoothfs_inode_fault(struct inode *inode, long err);
int smoothfs_tier_probe(struct smoothfs_sb_info *sbi, unsigned int tier);

/* file.c */
int smoothfs_setattr(smoothfs_idmap_t *idmap, struct dentry *dentry, struct iattr *attr);
extern const struct inode_operations smoothfs_file_iops;
extern const struct file_operations smoothfs_file_fops;

/* heat.c */
void smoothfs_heat_init(struct smoothfs_sb_info *sbi);
void smoothfs_heat_start(struct smoothfs_sb_info *sbi);
void smoothfs_heat_stop(struct smoothfs_sb_info *sbi);
void smoothfs_heat_reschedule(struct smoothfs_sb_info *sbi);
void smoothfs_heat_inode_init(struct smoothfs_inode *si);
void smoothfs_heat_evict(struct inode *inode);
void smoothfs_heat_open(struct inode *inode);
void smoothfs_heat_read(struct inode *inode, ssize_t ret);
void smoothfs_heat_write(struct inode *inode, ssize_t ret);

/* inode.c */
int smoothfs_inode_cache_init(void);
void smoothfs_inode_cache_exit(void);
struct inode *smoothfs_alloc_inode(struct super_block *sb);
void smoothfs_free_inode(struct inode *inode);
void smoothfs_evict_inode(struct inode *inode);
struct inode *smoothfs_iget(struct super_block *sb, const struct path *lower,
			    unsigned int tier, const u8 *oid);
int smoothfs_getattr(smoothfs_idmap_t *idmap, const struct path *path,
		     struct kstat *stat, u32 request_mask, unsigned int flags);
struct inode *smoothfs_ilookup(struct super_block *sb, const u8 *oid);
char *smoothfs_rel_path(struct inode *inode, char *buf, int buflen);

/* inomap.c */
bool smoothfs_inomap_usable(const struct super_block *sb);
void smoothfs_inomap_set(struct smoothfs_sb_info *sbi, const struct super_block *lower_sb,
			 u64 lower_ino, u64 ino);
bool smoothfs_inomap_find(struct smoothfs_sb_info *sbi, const struct super_block *lower_sb,
			  u64 lower_ino, u64 *ino);
void smoothfs_inomap_forget(struct smoothfs_sb_info *sbi, const struct super_block *lower_sb,
			    u64 lower_ino);
void smoothfs_inomap_free(struct smoothfs_sb_info *sbi);

/* listing.c */
void smoothfs_listing_cache_init(struct smoothfs_listing_cache *lc);
void smoothfs_listing_cache_resize(struct smoothfs_sb_info *sbi, size_t max);
struct smoothfs_listing *smoothfs_listing_alloc(void);
void smoothfs_listing_hold(struct smoothfs_listing *l);
void smoothfs_listing_put(struct smoothfs_listing *l);
struct smoothfs_listing *smoothfs_listing_get(struct inode *dir);
void smoothfs_listing_keep(struct inode *dir, struct smoothfs_listing *l);
void smoothfs_listing_forget(struct inode *dir);
u32 smoothfs_listing_begin(struct inode *dir);
bool smoothfs_listing_moved(struct inode *dir, const struct smoothfs_listing *l);
void smoothfs_listing_moving(struct inode *dir);

/* journal.c: <tier0>/.smoothfs/journal, open move transactions only. */
struct smoothfs_journal;			/* private to journal.c */
struct smoothfs_journal_rec {
	u64 seq;				/* the move's transaction sequence */
	u8 oid[SMOOTHFS_OID_LEN];
	u8 src_tier;
	u8 dst_tier;
	const char *rel_path;			/* relative to the tier roots, no leading '/' */
};

/*
 * At mount, after the tiers are open and before the root inode is exposed:
 * create <tier>/.smoothfs/stage (0700) on every tier, recover (roll forward
 * every COMMIT without DONE: rename <dst>/.smoothfs/stage/<oid-hex> to
 * <dst>/<rel_path> if the staged file exists (creating missing parent
 * directories with the source parent's owner/mode), then unlink
 * <src>/<rel_path> if its trusted.smoothfs.oid equals the record's OID),
 * then remove every remaining file in every tier's .smoothfs/stage
 * (orphans of moves that never committed = roll back), then compact the
 * journal to empty.  A torn or corrupt record is logged (pr_warn with the
 * pool name) and skipped; only failing to create/write the journal file
 * fails the mount.  Never scans the pool: cost = number of open records +
 * staged files.
 */
int smoothfs_journal_open(struct smoothfs_sb_info *sbi);
void smoothfs_journal_close(struct smoothfs_sb_info *sbi);	/* unmount; idempotent */
/*
 * Append a COMMIT record and fsync it (vfs_fsync) before returning 0.
 * -ENAMETOOLONG if rel_path does not fit a record.  Also -EINVAL for a
 * bad tier or a path that leaves the tier, -EEXIST for a seq already
 * open, -EBUSY with SMOOTHFS_JOURNAL_MAX_OPEN (256) moves open.
 */
bool smoothfs_journal_oid_open(struct smoothfs_sb_info *sbi, const u8 *oid);
int smoothfs_journal_commit(struct smoothfs_sb_info *sbi, const struct smoothfs_journal_rec *rec);
/*
 * Append DONE for @seq, and truncate the journal to empty when no
 * transaction is open any more.  A finished move needs no fsync (the
 * source is gone, replaying it is idempotent); @sync fsyncs the record
 * for one that failed after its commit.  -ENOENT if @seq is not open.
 */
int smoothfs_journal_done(struct smoothfs_sb_info *sbi, u64 seq, bool sync);

/* close.c */
struct smoothfs_close;
void smoothfs_closer_init(struct smoothfs_sb_info *sbi);
struct smoothfs_close *smoothfs_close_alloc(void);
void smoothfs_close_free(struct smoothfs_close *c);
void smoothfs_close_queue(struct smoothfs_sb_info *sbi, struct smoothfs_close *c,
			  struct dentry *alias, u64 seq, unsigned int src_tier,
			  struct dentry *src, unsigned int dst_tier, struct dentry *dst_dir);
int smoothfs_closer_settle(struct smoothfs_sb_info *sbi);
void smoothfs_closer_crowded(struct smoothfs_sb_info *sbi);
int smoothfs_closer_settle_inode(struct inode *inode);
int smoothfs_closer_check_tree(struct smoothfs_sb_info *sbi, struct dentry *dentry);
void smoothfs_closer_stop(struct smoothfs_sb_info *sbi);

/* link.c */
int smoothfs_link(struct dentry *old, struct inode *dir, struct dentry *new);

/* move.c */
struct genl_info;
void smoothfs_moves_init(struct smoothfs_sb_info *sbi);
void smoothfs_move_inode_init(struct smoothfs_inode *si);
u32 smoothfs_move_lower_get(struct inode *inode, struct path *lower);
int smoothfs_fsync_dir(struct vfsmount *mnt, struct dentry *dentry);
void smoothfs_move_set_state(struct smoothfs_sb_info *sbi, struct smoothfs_inode *si,
			     u8 state, u64 seq);

/* si->lower for a reader without the inode lock; path_put() it after. */
static inline void smoothfs_inode_lower_get(struct inode *inode, struct path *lower)
{
	smoothfs_move_lower_get(inode, lower);
}

void smoothfs_move_wrote(struct inode *inode);
int smoothfs_move_mmap_check(struct file *file, struct file *lower,
			     const struct vm_area_struct *vma);
struct smoothfs_file;
struct smoothfs_file *smoothfs_file_alloc(struct file *lower, u32 gen);
void smoothfs_file_free(struct smoothfs_file *sf);
struct file *smoothfs_file_lower(struct file *file);
bool smoothfs_lower_current(struct file *file, struct file *lower);
bool smoothfs_tier_offline(struct inode *inode);
struct smoothfs_move_info {
	u8 state, tier, dest, pin;
	u32 generation;
	u64 seq, write_seq;
};

void smoothfs_move_inspect(struct inode *inode, struct smoothfs_move_info *mi);
int smoothfs_nl_move_plan(struct sk_buff *skb, struct genl_info *info);
int smoothfs_nl_move_cutover(struct sk_buff *skb, struct genl_info *info);
int smoothfs_nl_move_abort(struct sk_buff *skb, struct genl_info *info);
int smoothfs_nl_revoke_mappings(struct sk_buff *skb, struct genl_info *info);
int smoothfs_nl_quiesce(struct sk_buff *skb, struct genl_info *info);
int smoothfs_nl_reconcile(struct sk_buff *skb, struct genl_info *info);
int smoothfs_nl_tier_down(struct sk_buff *skb, struct genl_info *info);
int smoothfs_nl_reprobe(struct sk_buff *skb, struct genl_info *info);

/* namei.c */
int smoothfs_create(smoothfs_idmap_t *idmap, struct inode *dir, struct dentry *dentry,
		    umode_t mode, bool excl);
int smoothfs_mkdir(smoothfs_idmap_t *idmap, struct inode *dir, struct dentry *dentry,
		   umode_t mode);
int smoothfs_mknod(smoothfs_idmap_t *idmap, struct inode *dir, struct dentry *dentry,
		   umode_t mode, dev_t rdev);
int smoothfs_symlink(smoothfs_idmap_t *idmap, struct inode *dir, struct dentry *dentry,
		     const char *target);
int smoothfs_unlink(struct inode *dir, struct dentry *dentry);
int smoothfs_rmdir(struct inode *dir, struct dentry *dentry);
int smoothfs_materialize(struct smoothfs_sb_info *sbi, struct dentry *dentry,
			 unsigned int t);
int smoothfs_materialize_locked(struct smoothfs_sb_info *sbi, struct dentry *dentry,
				unsigned int t);
int smoothfs_lower_unlink(struct smoothfs_sb_info *sbi, struct dentry *lower, bool is_dir);
int smoothfs_dir_is_empty(struct smoothfs_sb_info *sbi, struct smoothfs_entry *entry);

/* netlink.c */
void smoothfs_event_spill(struct smoothfs_sb_info *sbi, const u8 *oid,
			  unsigned int from, unsigned int to, u64 size);
void smoothfs_event_mount_ready(struct smoothfs_sb_info *sbi);
void smoothfs_event_pool_unmounted(struct smoothfs_sb_info *sbi);
bool smoothfs_event_has_listeners(void);
int smoothfs_event_heat_sample(struct smoothfs_sb_info *sbi, const void *records,
			       unsigned int n);
unsigned int smoothfs_event_heat_max_records(void);
void smoothfs_event_tier_fault(struct smoothfs_sb_info *sbi, unsigned int tier);
void smoothfs_event_move_state(struct smoothfs_sb_info *sbi, const u8 *oid, u8 state, u64 seq);
int smoothfs_netlink_init(void);
void smoothfs_netlink_exit(void);

/* oid.c */
int smoothfs_oid_get(struct smoothfs_sb_info *sbi, const struct path *lower,
		     u8 oid[SMOOTHFS_OID_LEN]);
int smoothfs_oid_assign(const struct path *lower, u8 oid[SMOOTHFS_OID_LEN]);
int smoothfs_oid_read(const struct path *lower, u8 oid[SMOOTHFS_OID_LEN]);
int smoothfs_oid_write(const struct path *lower, const u8 oid[SMOOTHFS_OID_LEN]);

/* pool.c */
int smoothfs_pool_register(struct smoothfs_sb_info *sbi);
void smoothfs_pool_publish(struct smoothfs_sb_info *sbi);
void smoothfs_pool_unregister(struct smoothfs_sb_info *sbi);
struct smoothfs_sb_info *smoothfs_pool_get(const void *uuid);
void smoothfs_pool_put(struct smoothfs_sb_info *sbi);
struct netlink_callback;
struct genl_family;
int smoothfs_pools_dump(struct sk_buff *skb, struct netlink_callback *cb,
			int (*fill)(struct sk_buff *skb, const void *sbi),
			const struct genl_family *family);

/* rename.c */
int smoothfs_rename(smoothfs_idmap_t *idmap, struct inode *old_dir, struct dentry *old,
		    struct inode *new_dir, struct dentry *new, unsigned int flags);

/* super.c */
extern struct file_system_type smoothfs_fs_type;

/* sysfs.c */
int smoothfs_sysfs_init(void);
void smoothfs_sysfs_exit(void);
int smoothfs_sysfs_add(struct smoothfs_sb_info *sbi);
void smoothfs_sysfs_remove(struct smoothfs_sb_info *sbi);
void smoothfs_count_create(struct smoothfs_sb_info *sbi, unsigned int tier);

/* tier.c */
int smoothfs_tiers_open(struct fs_context *fc, struct smoothfs_sb_info *sbi,
			char *const *paths, unsigned int n);
void smoothfs_tiers_close(struct smoothfs_sb_info *sbi);
bool smoothfs_tier_has_room(struct smoothfs_tier *tier);
void smoothfs_tier_grew(struct inode *inode, loff_t old_size);

/* xattr.c */
struct xattr_handler;
extern const struct xattr_handler *smoothfs_xattr_handlers[];
void smoothfs_xattr_iget(struct inode *inode);
int smoothfs_copy_acls(struct inode *dir, struct vfsmount *mnt, struct dentry *to);
ssize_t smoothfs_listxattr(struct dentry *dentry, char *list, size_t size);
struct posix_acl *smoothfs_get_inode_acl(struct inode *inode, int type, bool rcu);
#if SMOOTHFS_NEW_ACL_API
struct posix_acl *smoothfs_get_acl(smoothfs_idmap_t *idmap, struct dentry *dentry, int type);
int smoothfs_set_acl(smoothfs_idmap_t *idmap, struct dentry *dentry, struct posix_acl *acl,
		     int type);
#else
int smoothfs_set_acl(smoothfs_idmap_t *idmap, struct inode *inode, struct posix_acl *acl,
		     int type);
#endif

#endif /* _SMOOTHFS_H */
