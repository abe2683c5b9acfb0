// SPDX-License-Identifier: GPL-2.0-only
/*
 * Heat: how much each file is used, sent to userspace as HEAT_SAMPLE
 * events for the placement policy.
 *
 * Every smoothfs inode counts, under its own spinlock, the opens (an
 * event count, not the number of open files), the bytes read and written
 * and the time of the last access since its last sample.  An inode whose
 * counters leave zero is put on its pool's dirty list once (heat.listed
 * says it is there).  A delayed work per pool drains the whole list every
 * heat_interval_ms (sysfs): it splices the list off, takes each inode's
 * numbers and resets them, and sends them as records of as many
 * HEAT_SAMPLE messages as needed, each as full as one netlink message
 * allows.  Every inode with activity is reported in the interval of that
 * activity, whatever their number; an idle inode is not reported.  With
 * nobody subscribed the numbers are dropped, and the counters reset all
 * the same.
 *
 * Lifetime: the dirty list holds no inode references (an unlinked file
 * must not stay allocated on its tier until the next drain).  Instead
 * eviction takes the inode off the list under the pool's heat_lock, the
 * lock under which the drain takes an inode off the list and reads it,
 * and keeps its last numbers as an "orphan" record that the next drain
 * sends; only if that small allocation fails are they lost.  At unmount
 * smoothfs_heat_stop() stops the work and drains one last time before
 * the superblock's inodes are evicted.
 *
 * Locks: heat_lock (pool) may be held while taking heat.lock (inode),
 * never the other way round.
 */
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "smoothfs.h"

#define SMOOTHFS_HEAT_INTERVAL_MS_DEFAULT	5000

/* The last numbers of an inode evicted while on the dirty list. */
struct smoothfs_heat_orphan {
	struct list_head node;
	struct smoothfs_heat_sample_record rec;
};

void smoothfs_heat_inode_init(struct smoothfs_inode *si)
{
	struct smoothfs_heat *h = &si->heat;

	spin_lock_init(&h->lock);
	h->listed = false;
	h->opens = 0;
	h->read_bytes = 0;
	h->write_bytes = 0;
	h->last_access_ns = 0;
	INIT_LIST_HEAD(&h->node);
}

static void smoothfs_heat_account(struct inode *inode, u32 opens, u64 rd, u64 wr)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(inode->i_sb);
	struct smoothfs_heat *h = &SMOOTHFS_I(inode)->heat;
	u64 now = ktime_get_real_ns();
	bool listed;

	spin_lock(&h->lock);
	if (h->opens <= U32_MAX - opens)
		h->opens += opens;
	h->read_bytes += rd;
	h->write_bytes += wr;
	h->last_access_ns = now;
	listed = h->listed;
	h->listed = true;
	spin_unlock(&h->lock);
	if (listed)
		return;
	/*
	 * Only this caller puts the inode on the list, and it holds a
	 * reference, so the inode cannot be evicted before it is there.
	 */
	spin_lock(&sbi->heat_lock);
	list_add_tail(&h->node, &sbi->heat_dirty);
	spin_unlock(&sbi->heat_lock);
}

void smoothfs_heat_open(struct inode *inode)
{
	smoothfs_heat_account(inode, 1, 0, 0);
}

void smoothfs_heat_read(struct inode *inode, ssize_t ret)
{
	if (ret > 0)
		smoothfs_heat_account(inode, 0, ret, 0);
}

void smoothfs_heat_write(struct inode *inode, ssize_t ret)
{
	if (ret > 0)
		smoothfs_heat_account(inode, 0, 0, ret);
}

/* Take an inode's numbers as a record and reset them; under both locks. */
static void smoothfs_heat_take(struct smoothfs_inode *si,
			       struct smoothfs_heat_sample_record *rec)
{
	struct smoothfs_heat *h = &si->heat;

	memcpy(rec->oid, si->oid, SMOOTHFS_OID_LEN);
	rec->open_count_delta = cpu_to_le32(h->opens);
	rec->reserved = 0;
	rec->read_bytes_delta = cpu_to_le64(h->read_bytes);
	rec->write_bytes_delta = cpu_to_le64(h->write_bytes);
	rec->last_access_ns = cpu_to_le64(h->last_access_ns);
	rec->sample_window_ns = 0;
	h->opens = 0;
	h->read_bytes = 0;
	h->write_bytes = 0;
	h->listed = false;
}

/*
 * Keep the numbers of an inode being evicted for the next sample.  The
 * check is made under heat_lock: once the inode is seen off the list, no
 * drain is still reading it, and nobody can put it back (that takes a
 * reference).
 */
void smoothfs_heat_evict(struct inode *inode)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(inode->i_sb);
	struct smoothfs_inode *si = SMOOTHFS_I(inode);
	struct smoothfs_heat_orphan *orphan;
	bool listed;

	spin_lock(&sbi->heat_lock);
	listed = !list_empty(&si->heat.node);
	spin_unlock(&sbi->heat_lock);
	if (!listed)
		return;

	orphan = kmalloc(sizeof(*orphan), GFP_NOFS | __GFP_NOWARN);
	spin_lock(&sbi->heat_lock);
	if (!list_empty(&si->heat.node)) {
		list_del_init(&si->heat.node);
		if (orphan && !sbi->heat_stopped) {
			spin_lock(&si->heat.lock);
			smoothfs_heat_take(si, &orphan->rec);
			spin_unlock(&si->heat.lock);
			list_add_tail(&orphan->node, &sbi->heat_orphans);
			orphan = NULL;
		}
	}
	spin_unlock(&sbi->heat_lock);
	kfree(orphan);
}

/* Records collected for HEAT_SAMPLE messages. */
struct smoothfs_heat_batch {
	struct smoothfs_sb_info *sbi;
	struct smoothfs_heat_sample_record *recs;	/* NULL: count only */
	unsigned int n, max;
	u64 window_ns;
};

static void smoothfs_heat_flush(struct smoothfs_heat_batch *b)
{
	unsigned int i;

	if (!b->n)
		return;
	for (i = 0; i < b->n; i++)
		b->recs[i].sample_window_ns = cpu_to_le64(b->window_ns);
	if (!smoothfs_event_heat_sample(b->sbi, b->recs, b->n))
		atomic64_add(b->n, &b->sbi->stats.heat_records);
	b->n = 0;
}

/* The next record to fill, sending the batch first when it is full. */
static struct smoothfs_heat_sample_record *smoothfs_heat_slot(struct smoothfs_heat_batch *b)
{
	if (!b->recs)
		return NULL;
	if (b->n == b->max)
		smoothfs_heat_flush(b);
	return &b->recs[b->n];
}

/* Send and reset the numbers of every inode with activity. */
static void smoothfs_heat_drain(struct smoothfs_sb_info *sbi)
{
	struct smoothfs_heat_batch b = { .sbi = sbi, .max = smoothfs_event_heat_max_records() };
	struct smoothfs_heat_sample_record *rec, scratch;
	struct smoothfs_heat_orphan *orphan, *next;
	struct smoothfs_heat *h;
	LIST_HEAD(dirty);
	LIST_HEAD(orphans);
	u64 now = ktime_get_ns();

	b.window_ns = now - sbi->heat_window_start;
	sbi->heat_window_start = now;
	if (smoothfs_event_has_listeners())
		b.recs = kmalloc_array(b.max, sizeof(*b.recs), GFP_KERNEL);

	spin_lock(&sbi->heat_lock);
	list_splice_init(&sbi->heat_dirty, &dirty);
	list_splice_init(&sbi->heat_orphans, &orphans);
	spin_unlock(&sbi->heat_lock);

	list_for_each_entry_safe(orphan, next, &orphans, node) {
		rec = smoothfs_heat_slot(&b);
		if (rec) {
			*rec = orphan->rec;
			b.n++;
		}
		kfree(orphan);
	}

	/*
	 * One inode per lock hold: eviction may take an inode off this
	 * private list too, under heat_lock, so an inode is only touched
	 * while it is on the list and the lock is held.
	 */
	for (;;) {
		rec = smoothfs_heat_slot(&b);
		spin_lock(&sbi->heat_lock);
		h = list_first_entry_or_null(&dirty, struct smoothfs_heat, node);
		if (h) {
			list_del_init(&h->node);
			spin_lock(&h->lock);
			smoothfs_heat_take(container_of(h, struct smoothfs_inode, heat),
					   rec ?: &scratch);
			spin_unlock(&h->lock);
		}
		spin_unlock(&sbi->heat_lock);
		if (!h)
			break;
		if (rec)
			b.n++;
		cond_resched();
	}
	if (b.recs)
		smoothfs_heat_flush(&b);
	kfree(b.recs);
}

static void smoothfs_heat_work(struct work_struct *work)
{
	struct smoothfs_sb_info *sbi =
		container_of(to_delayed_work(work), struct smoothfs_sb_info, heat_work);

	smoothfs_heat_drain(sbi);
	spin_lock(&sbi->heat_lock);
	if (!sbi->heat_stopped)
		queue_delayed_work(system_wq, &sbi->heat_work,
				   msecs_to_jiffies(READ_ONCE(sbi->heat_interval_ms)));
	spin_unlock(&sbi->heat_lock);
}

/* Before anything in fill_super can fail. */
void smoothfs_heat_init(struct smoothfs_sb_info *sbi)
{
	spin_lock_init(&sbi->heat_lock);
	spin_lock_init(&sbi->fault_lock);
	INIT_LIST_HEAD(&sbi->heat_dirty);
	INIT_LIST_HEAD(&sbi->heat_orphans);
	INIT_DELAYED_WORK(&sbi->heat_work, smoothfs_heat_work);
	sbi->heat_interval_ms = SMOOTHFS_HEAT_INTERVAL_MS_DEFAULT;
	sbi->heat_window_start = ktime_get_ns();
}

void smoothfs_heat_start(struct smoothfs_sb_info *sbi)
{
	smoothfs_heat_reschedule(sbi);
}

/* The next sample comes heat_interval_ms from now. */
void smoothfs_heat_reschedule(struct smoothfs_sb_info *sbi)
{
	spin_lock(&sbi->heat_lock);
	if (!sbi->heat_stopped)
		mod_delayed_work(system_wq, &sbi->heat_work,
				 msecs_to_jiffies(READ_ONCE(sbi->heat_interval_ms)));
	spin_unlock(&sbi->heat_lock);
}

/*
 * At unmount (kill_sb), before the inodes are evicted: no file is open
 * any more, so the last drain reports everything still counted.
 */
void smoothfs_heat_stop(struct smoothfs_sb_info *sbi)
{
	if (!sbi)
		return;
	spin_lock(&sbi->heat_lock);
	sbi->heat_stopped = true;
	spin_unlock(&sbi->heat_lock);
	cancel_delayed_work_sync(&sbi->heat_work);
	smoothfs_heat_drain(sbi);
}
