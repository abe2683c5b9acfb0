// SPDX-License-Identifier: GPL-2.0-only
/*
 * The listing cache: a directory's merged listing kept between opens.
 *
 * Building a listing reads every tier's copy of the directory, drops the
 * names a faster tier shadows and finds each entry's d_ino; overlayfs
 * keeps such a listing only while the directory is open, so every new
 * open (ls, a file manager, an SMB client's next query) pays it again.
 * Here the last listing built stays on the directory's inode and later
 * opens share it, until a name in the directory changes.
 *
 * Every change to a smoothfs directory's names goes through one of our
 * inode operations, with the directory's i_rwsem held exclusive, and the
 * operation drops the listing before it touches anything
 * (smoothfs_listing_forget()); a listing is built and kept under the same
 * lock held shared, so a kept listing never predates a change.  Moves
 * between tiers change neither names nor d_ino (st_ino follows the OID),
 * so they leave kept listings alone; but a listing being built while a
 * file moves could read the destination tier's copy of the directory
 * before the file arrives and the source's after it left, so a cutover
 * bumps the directory's listing_gen, and a listing begun before that is
 * read again (once) and not kept.  What makes a listing that missed the
 * file see the bump: the cutover bumps it under the destination copy's
 * lock, before its rename, and the source copy's entry goes later, under
 * the source copy's lock, which the listing then takes to read it.
 * Changes made on a tier behind the pool's back are not supported while
 * it is mounted, as with overlayfs.
 *
 * Memory is bounded per pool (listing_cache_entries in sysfs, entries of
 * all kept listings, an empty listing counting as one): keeping a listing
 * first evicts the least recently used ones, a batch at a time, and a
 * listing that does not fit is used by its own open and not kept.  An
 * open holds a reference to the listing it reads, so eviction or a
 * change never pulls it from under a reader.
 */
#include <linux/slab.h>

#include "smoothfs.h"

/* Listings evicted per lock hold, to keep the hold short. */
#define SMOOTHFS_LISTING_EVICT_BATCH	64

/* What a listing counts against the bound. */
static size_t smoothfs_listing_cost(const struct smoothfs_listing *l)
{
	return max_t(size_t, l->count, 1);
}

void smoothfs_listing_cache_init(struct smoothfs_listing_cache *lc)
{
	spin_lock_init(&lc->lock);
	INIT_LIST_HEAD(&lc->lru);
	lc->entries = 0;
	lc->max_entries = SMOOTHFS_LISTING_CACHE_DEFAULT;
}

struct smoothfs_listing *smoothfs_listing_alloc(void)
{
	struct smoothfs_listing *l = kzalloc(sizeof(*l), GFP_KERNEL);

	if (!l)
		return NULL;
	kref_init(&l->ref);
	INIT_LIST_HEAD(&l->lru);
	return l;
}

static void smoothfs_listing_release(struct kref *ref)
{
	struct smoothfs_listing *l = container_of(ref, struct smoothfs_listing, ref);
	size_t i;

	for (i = 0; i < l->count; i++) {
		kfree(l->entries[i]);
		if (!(i % 4096))
			cond_resched();
	}
	kvfree(l->entries);
	kfree(l);
}

void smoothfs_listing_hold(struct smoothfs_listing *l)
{
	kref_get(&l->ref);
}

void smoothfs_listing_put(struct smoothfs_listing *l)
{
	if (l)
		kref_put(&l->ref, smoothfs_listing_release);
}

/* Take @l off the LRU and its directory; the cache's reference passes to the caller. */
static void smoothfs_listing_detach(struct smoothfs_listing_cache *lc,
				    struct smoothfs_listing *l)
{
	list_del_init(&l->lru);
	WRITE_ONCE(lc->entries, lc->entries - smoothfs_listing_cost(l));
	WRITE_ONCE(l->owner->listing, NULL);
	l->owner = NULL;
}

/*
 * Evict least recently used listings until @need more entries fit, at
 * most a batch; the evicted go on @victims.  Under lc->lock.
 */
static void smoothfs_listing_evict(struct smoothfs_listing_cache *lc, size_t need,
				   struct list_head *victims)
{
	struct smoothfs_listing *l;
	unsigned int n;

	for (n = 0; n < SMOOTHFS_LISTING_EVICT_BATCH; n++) {
		if (list_empty(&lc->lru) || lc->entries + need <= lc->max_entries)
			break;
		l = list_first_entry(&lc->lru, struct smoothfs_listing, lru);
		smoothfs_listing_detach(lc, l);
		list_add(&l->lru, victims);
	}
}

static void smoothfs_listing_put_all(struct list_head *victims)
{
	struct smoothfs_listing *l, *next;

	list_for_each_entry_safe(l, next, victims, lru) {
		list_del_init(&l->lru);
		smoothfs_listing_put(l);
	}
}

/* The kept listing of @dir, referenced, or NULL.  @dir's i_rwsem is held. */
struct smoothfs_listing *smoothfs_listing_get(struct inode *dir)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dir->i_sb);
	struct smoothfs_listing_cache *lc = &sbi->listings;
	struct smoothfs_inode *si = SMOOTHFS_I(dir);
	struct smoothfs_listing *l;

	lockdep_assert_held(&dir->i_rwsem);
	if (!READ_ONCE(si->listing))
		return NULL;
	spin_lock(&lc->lock);
	l = si->listing;
	if (l) {
		kref_get(&l->ref);
		list_move_tail(&l->lru, &lc->lru);
	}
	spin_unlock(&lc->lock);
	if (l)
		atomic64_inc(&sbi->stats.listing_hits);
	return l;
}

/* Before a listing of @dir reads the tiers: what smoothfs_listing_keep() checks. */
u32 smoothfs_listing_begin(struct inode *dir)
{
	/* Read before any tier's copy is. */
	return (u32)atomic_read_acquire(&SMOOTHFS_I(dir)->listing_gen);
}

/* A name of @dir is about to appear on one tier and then leave another. */
void smoothfs_listing_moving(struct inode *dir)
{
	/* After the copy the file goes into is published (materialised). */
	smp_mb__before_atomic();
	atomic_inc(&SMOOTHFS_I(dir)->listing_gen);
	/* Before the file appears there: pairs with smoothfs_listing_moved(). */
	smp_mb__after_atomic();
}

/* Whether a file of @dir moved since @l was begun; after the tiers were read. */
bool smoothfs_listing_moved(struct inode *dir, const struct smoothfs_listing *l)
{
	/* After the tiers were read: pairs with smoothfs_listing_moving(). */
	smp_mb();
	return (u32)atomic_read(&SMOOTHFS_I(dir)->listing_gen) != l->gen;
}

/* Keep @l, just built from @dir's copies, for later opens if it fits. */
void smoothfs_listing_keep(struct inode *dir, struct smoothfs_listing *l)
{
	struct smoothfs_sb_info *sbi = SMOOTHFS_SB(dir->i_sb);
	struct smoothfs_listing_cache *lc = &sbi->listings;
	struct smoothfs_inode *si = SMOOTHFS_I(dir);
	size_t cost = smoothfs_listing_cost(l);
	LIST_HEAD(victims);

	lockdep_assert_held(&dir->i_rwsem);
	if (cost > READ_ONCE(lc->max_entries) || smoothfs_listing_moved(dir, l))
		return;
	spin_lock(&lc->lock);
	/* Another reader's, built under the same lock, is as current as @l. */
	if (!si->listing && cost <= lc->max_entries) {
		smoothfs_listing_evict(lc, cost, &victims);
		if (lc->entries + cost <= lc->max_entries) {
			kref_get(&l->ref);
			l->owner = si;
			list_add_tail(&l->lru, &lc->lru);
			WRITE_ONCE(lc->entries, lc->entries + cost);
			WRITE_ONCE(si->listing, l);
		}
	}
	spin_unlock(&lc->lock);
	smoothfs_listing_put_all(&victims);
}

/*
 * A name in @dir is about to change, or @dir is going away: its listing
 * is no longer kept.  Called with @dir's i_rwsem held exclusive (or from
 * evict), so no listing of @dir can be kept meanwhile.
 */
void smoothfs_listing_forget(struct inode *dir)
{
	struct smoothfs_listing_cache *lc = &SMOOTHFS_SB(dir->i_sb)->listings;
	struct smoothfs_inode *si = SMOOTHFS_I(dir);
	struct smoothfs_listing *l;

	if (!READ_ONCE(si->listing))
		return;
	spin_lock(&lc->lock);
	l = si->listing;
	if (l)
		smoothfs_listing_detach(lc, l);
	spin_unlock(&lc->lock);
	smoothfs_listing_put(l);
}

/* A new bound (sysfs): evict down to it, a batch per lock hold. */
void smoothfs_listing_cache_resize(struct smoothfs_sb_info *sbi, size_t max)
{
	struct smoothfs_listing_cache *lc = &sbi->listings;
	bool more;

	spin_lock(&lc->lock);
	WRITE_ONCE(lc->max_entries, max);
	spin_unlock(&lc->lock);
	do {
		LIST_HEAD(victims);

		spin_lock(&lc->lock);
		smoothfs_listing_evict(lc, 0, &victims);
		/* Against the bound now: another write may have raised it. */
		more = lc->entries > lc->max_entries && !list_empty(&lc->lru);
		spin_unlock(&lc->lock);
		smoothfs_listing_put_all(&victims);
		cond_resched();
	} while (more);
}
