// SPDX-License-Identifier: GPL-2.0-only
/*
 * The d_ino cache: lower inode -> smoothfs inode number.
 *
 * readdir must report d_ino == st_ino, and st_ino is a hash of the OID,
 * which lives in an xattr of each lower object: without this cache every
 * listed entry costs a lower lookup and a getxattr, where a plain
 * getdents costs neither.  Lookups and listings record what they learnt
 * here, keyed by the lower object's device and inode number as readdir
 * reports them, so listing a directory again needs no lower lookup.
 *
 * It is a cache, not an index: a fixed-size direct-mapped table (a
 * collision overwrites) allocated on first use, so its memory is bounded
 * whatever the size of the pool.  An entry is only right while its lower
 * inode lives, so every removal of a lower object through smoothfs
 * forgets it before the inode number can be reused; changes made on a
 * tier behind the pool's back while it is mounted are not supported (as
 * with overlayfs) and could leave a stale d_ino, never a stale st_ino.
 * btrfs numbers inodes per subvolume, so its inode numbers do not name an
 * object within the superblock: btrfs tiers do without the cache.
 */
#include <linux/hash.h>
#include <linux/magic.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "smoothfs.h"

#define SMOOTHFS_INOMAP_BITS	18	/* 256k slots, 4 MiB per pool */
#define SMOOTHFS_INOMAP_LOCKS	64

struct smoothfs_inomap_slot {
	u64 key;	/* lower dev and ino; 0: empty */
	u64 ino;
};

struct smoothfs_inomap {
	spinlock_t locks[SMOOTHFS_INOMAP_LOCKS];	/* striped over the slots */
	struct smoothfs_inomap_slot slots[];
};

/* Whether inode numbers are unique within @sb, so they can be keys. */
bool smoothfs_inomap_usable(const struct super_block *sb)
{
	return sb->s_magic != BTRFS_SUPER_MAGIC;
}

static u64 smoothfs_inomap_key(dev_t dev, u64 lower_ino)
{
	/* Never 0, so that 0 can mark an empty slot. */
	return (lower_ino * 0x9e3779b97f4a7c15ULL) ^ ((u64)dev << 1) ^ 1;
}

static u32 smoothfs_inomap_index(u64 key)
{
	return hash_64(key, SMOOTHFS_INOMAP_BITS);
}

#define smoothfs_inomap_lock(map, i)	spin_lock(&(map)->locks[(i) % SMOOTHFS_INOMAP_LOCKS])
#define smoothfs_inomap_unlock(map, i)	spin_unlock(&(map)->locks[(i) % SMOOTHFS_INOMAP_LOCKS])

/* The map, allocated on first use; NULL without memory (the cache is optional). */
static struct smoothfs_inomap *smoothfs_inomap_get(struct smoothfs_sb_info *sbi, bool create)
{
	/* Pairs with cmpxchg_release(): the locks are initialised. */
	struct smoothfs_inomap *map = smp_load_acquire(&sbi->inomap);
	unsigned int i;

	if (map || !create)
		return map;
	map = kvzalloc(struct_size(map, slots, 1UL << SMOOTHFS_INOMAP_BITS), GFP_KERNEL);
	if (!map)
		return NULL;
	for (i = 0; i < SMOOTHFS_INOMAP_LOCKS; i++)
		spin_lock_init(&map->locks[i]);
	if (cmpxchg_release(&sbi->inomap, NULL, map)) {
		kvfree(map);		/* someone else was first */
		map = smp_load_acquire(&sbi->inomap);
	}
	return map;
}

/* Lower object number @lower_ino of @lower_sb is smoothfs inode number @ino. */
void smoothfs_inomap_set(struct smoothfs_sb_info *sbi, const struct super_block *lower_sb,
			 u64 lower_ino, u64 ino)
{
	u64 key = smoothfs_inomap_key(lower_sb->s_dev, lower_ino);
	struct smoothfs_inomap_slot *slot;
	struct smoothfs_inomap *map;
	u32 i = smoothfs_inomap_index(key);

	if (!smoothfs_inomap_usable(lower_sb))
		return;
	map = smoothfs_inomap_get(sbi, true);
	if (!map)
		return;
	slot = &map->slots[i];
	smoothfs_inomap_lock(map, i);
	slot->key = key;
	slot->ino = ino;
	smoothfs_inomap_unlock(map, i);
}

/* The smoothfs inode number of a lower object, if known. */
bool smoothfs_inomap_find(struct smoothfs_sb_info *sbi, const struct super_block *lower_sb,
			  u64 lower_ino, u64 *ino)
{
	struct smoothfs_inomap *map = smoothfs_inomap_get(sbi, false);
	u64 key = smoothfs_inomap_key(lower_sb->s_dev, lower_ino);
	struct smoothfs_inomap_slot *slot;
	u32 i = smoothfs_inomap_index(key);
	bool found;

	if (!map || !smoothfs_inomap_usable(lower_sb))
		return false;
	slot = &map->slots[i];
	smoothfs_inomap_lock(map, i);
	found = slot->key == key;
	if (found)
		*ino = slot->ino;
	smoothfs_inomap_unlock(map, i);
	return found;
}

/* Lower object number @lower_ino of @lower_sb is gone: the number may be reused. */
void smoothfs_inomap_forget(struct smoothfs_sb_info *sbi, const struct super_block *lower_sb,
			    u64 lower_ino)
{
	struct smoothfs_inomap *map = smoothfs_inomap_get(sbi, false);
	u64 key = smoothfs_inomap_key(lower_sb->s_dev, lower_ino);
	struct smoothfs_inomap_slot *slot;
	u32 i = smoothfs_inomap_index(key);

	if (!map || !smoothfs_inomap_usable(lower_sb))
		return;
	slot = &map->slots[i];
	smoothfs_inomap_lock(map, i);
	if (slot->key == key)
		slot->key = 0;
	smoothfs_inomap_unlock(map, i);
}

void smoothfs_inomap_free(struct smoothfs_sb_info *sbi)
{
	kvfree(sbi->inomap);
	sbi->inomap = NULL;
}
