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
 * Multicast has no flow control: a drain of many inodes can fill a
 * listener's socket faster than it reads.  A listener that asked to hear
 * of it (NETLINK_BROADCAST_ERROR, as libsmoothfs does) makes the send
 * fail with -ENOBUFS; the drain then stops, keeps the unsent records and
 * the inodes not yet taken for the next pass, and tries again after
 * SMOOTHFS_HEAT_RETRY_MS, when the listener has read its backlog (netlink
 * delivers nothing to an overrun socket until its queue is empty).
 * Nothing is lost meanwhile: new activity adds to the waiting inodes'
 * counters.  Until a drain gets everything through, each one sends an
 * empty sample as a probe before its first message, and the records only
 * if the probe got through: a listener whose socket had room sees empty
 * samples while the drain waits, and the records of the one refused
 * message twice (it got them the first time).
 *
 * A listener that stops reading does not hold the samples back for long:
 * after SMOOTHFS_HEAT_STALL_MAX_MS (or one interval, if longer) without a
 * message getting through, the drain sends regardless and drops what is
 * refused, and later drains wait again only once a probe gets through.
 * The first message after a probe that got through is not waited for
 * either: a socket too small for one message would otherwise stall the
 * drain for good.
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
/* How soon a drain stopped by a full listener socket goes on. */
#define SMOOTHFS_HEAT_RETRY_MS			20
/* How long it waits for a listener at most before dropping samples. */
#define SMOOTHFS_HEAT_STALL_MAX_MS		30000

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
	bool may_wait;		/* stop at a full listener socket */
	bool probe;		/* probe before the first message */
	bool after_probe;	/* the next message follows a probe that got through */
	bool stalled;		/* stopped there: recs[0..n) unsent */
	bool refused;		/* a listener's full socket refused a message */
	bool sent;		/* a message went out */
};

/* What the heat work asks of a drain, and what the drain did. */
struct smoothfs_heat_pass {
	bool may_wait;		/* in: stop at a full listener socket */
	bool probe;		/* in: the last drain met one: probe first */
	bool sent;		/* out: a message with records got through */
};

static void smoothfs_heat_flush(struct smoothfs_heat_batch *b)
{
	unsigned int i;
	int err;

	/* Stalled: what is in the batch goes back for the next pass. */
	if (!b->n || b->stalled)
		return;
	/* An empty sample: nobody counts it, whoever gets it. */
	if (b->probe) {
		b->probe = false;
		err = smoothfs_event_heat_sample(b->sbi, b->recs, 0);
		if (err == -ENOBUFS && b->may_wait) {
			b->stalled = true;
			return;
		}
		if (!err) {
			b->may_wait = true;
			b->after_probe = true;
		}
	}
	for (i = 0; i < b->n; i++)
		b->recs[i].sample_window_ns = cpu_to_le64(b->window_ns);
	err = smoothfs_event_heat_sample(b->sbi, b->recs, b->n);
	if (err == -ENOBUFS) {
		b->refused = true;
		if (b->may_wait && !b->after_probe) {
			b->stalled = true;
			return;
		}
	}
	b->after_probe = false;
	if (!err) {
		atomic64_add(b->n, &b->sbi->stats.heat_records);
		b->sent = true;
	}
	b->n = 0;
}

/*
 * The next record to fill, sending the batch first when it is full; NULL
 * when nobody listens, or when the send stalled (b->stalled).
 */
static struct smoothfs_heat_sample_record *smoothfs_heat_slot(struct smoothfs_heat_batch *b)
{
	if (!b->recs)
		return NULL;
	if (b->n == b->max)
		smoothfs_heat_flush(b);
	return b->stalled ? NULL : &b->recs[b->n];
}

/*
 * A stalled drain: the unsent records go back first, as orphans, then the
 * orphans and inodes it did not reach, ahead of what came meanwhile.  A
 * record is lost only if its orphan cannot be allocated.
 */
static void smoothfs_heat_requeue(struct smoothfs_heat_batch *b, struct list_head *orphans,
				  struct list_head *dirty)
{
	struct smoothfs_sb_info *sbi = b->sbi;
	struct smoothfs_heat_orphan *orphan;
	LIST_HEAD(unsent);
	unsigned int i;

	for (i = 0; i < b->n; i++) {
		orphan = kmalloc(sizeof(*orphan), GFP_KERNEL | __GFP_NOWARN);
		if (!orphan)
			continue;
		orphan->rec = b->recs[i];
		list_add_tail(&orphan->node, &unsent);
	}
	list_splice(orphans, &unsent);
	spin_lock(&sbi->heat_lock);
	list_splice(&unsent, &sbi->heat_orphans);
	list_splice(dirty, &sbi->heat_dirty);
	spin_unlock(&sbi->heat_lock);
}

/*
 * Send and reset the numbers of every inode with activity: 0 if it sent
 * something and nothing was refused; -ENODATA if it had nothing to send;
 * -ESRCH if nobody listens (the numbers are dropped); -EAGAIN if a full
 * listener socket stopped it and the rest waits; -ENOBUFS if it went on
 * and a listener lost messages; -ENOMEM.
 */
static int smoothfs_heat_drain(struct smoothfs_sb_info *sbi, struct smoothfs_heat_pass *pass)
{
	struct smoothfs_heat_batch b = {
		.sbi = sbi, .max = smoothfs_event_heat_max_records(), .may_wait = pass->may_wait,
		.probe = pass->probe,
	};
	bool listeners = smoothfs_event_has_listeners();
	struct smoothfs_heat_sample_record *rec, scratch;
	struct smoothfs_heat_orphan *orphan, *next;
	struct smoothfs_heat *h;
	LIST_HEAD(dirty);
	LIST_HEAD(orphans);
	u64 now = ktime_get_ns();

	/* A window ends with a drain that sent everything. */
	b.window_ns = now - sbi->heat_window_start;
	if (listeners)
		b.recs = kmalloc_array(b.max, sizeof(*b.recs), GFP_KERNEL);

	spin_lock(&sbi->heat_lock);
	list_splice_init(&sbi->heat_dirty, &dirty);
	list_splice_init(&sbi->heat_orphans, &orphans);
	spin_unlock(&sbi->heat_lock);

	list_for_each_entry_safe(orphan, next, &orphans, node) {
		rec = smoothfs_heat_slot(&b);
		if (b.stalled)
			break;
		if (rec) {
			*rec = orphan->rec;
			b.n++;
		}
		list_del(&orphan->node);
		kfree(orphan);
	}

	/*
	 * One inode per lock hold: eviction may take an inode off this
	 * private list too, under heat_lock, so an inode is only touched
	 * while it is on the list and the lock is held.
	 */
	while (!b.stalled) {
		rec = smoothfs_heat_slot(&b);
		if (b.stalled)
			break;
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
	if (b.stalled)
		smoothfs_heat_requeue(&b, &orphans, &dirty);
	else
		sbi->heat_window_start = now;
	kfree(b.recs);
	pass->sent = b.sent;
	if (b.stalled)
		return -EAGAIN;
	if (b.refused)
		return -ENOBUFS;
	if (b.sent)
		return 0;
	return !listeners ? -ESRCH : !b.recs ? -ENOMEM : -ENODATA;
}

static void smoothfs_heat_work(struct work_struct *work)
{
	struct smoothfs_sb_info *sbi =
		container_of(to_delayed_work(work), struct smoothfs_sb_info, heat_work);
	unsigned int interval_ms = READ_ONCE(sbi->heat_interval_ms);
	u64 max_stall_ns = (u64)max_t(unsigned int, interval_ms, SMOOTHFS_HEAT_STALL_MAX_MS) *
			   NSEC_PER_MSEC;
	/* Only this work writes heat_stalled_since. */
	u64 since = sbi->heat_stalled_since;
	u64 now = ktime_get_ns();
	struct smoothfs_heat_pass pass = {
		.may_wait = !since || now - since < max_stall_ns,
		.probe = since != 0,
	};
	unsigned long delay;
	int err;

	err = smoothfs_heat_drain(sbi, &pass);
	delay = msecs_to_jiffies(interval_ms);
	if (err == -EAGAIN) {
		/* The wait is bounded from the last message that got through. */
		if (!since)
			atomic64_inc(&sbi->stats.heat_waits);
		if (!since || pass.sent)
			since = now;
		delay = msecs_to_jiffies(SMOOTHFS_HEAT_RETRY_MS);
	} else if (!err || err == -ESRCH) {
		since = 0;
	}
	/* Otherwise a listener that still refuses is not waited for again. */
	WRITE_ONCE(sbi->heat_stalled_since, since);
	spin_lock(&sbi->heat_lock);
	if (!sbi->heat_stopped)
		queue_delayed_work(system_wq, &sbi->heat_work, delay);
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

/* The next sample comes heat_interval_ms from now; a waiting drain's retry stays. */
void smoothfs_heat_reschedule(struct smoothfs_sb_info *sbi)
{
	unsigned int ms = READ_ONCE(sbi->heat_interval_ms);

	if (READ_ONCE(sbi->heat_stalled_since))
		ms = SMOOTHFS_HEAT_RETRY_MS;
	spin_lock(&sbi->heat_lock);
	if (!sbi->heat_stopped)
		mod_delayed_work(system_wq, &sbi->heat_work, msecs_to_jiffies(ms));
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
	smoothfs_heat_drain(sbi, &(struct smoothfs_heat_pass){});
}
