// SPDX-License-Identifier: GPL-2.0-only
/*
 * Per-pool sysfs directory /sys/fs/smoothfs/<pool uuid>/, present while
 * the pool is mounted:
 *
 *   tiers              ro  one line per tier: "RANK PATH CAPS", CAPS in hex
 *                          (SMOOTHFS_TIER_CAP_*); space, tab, newline and
 *                          backslash in PATH as \ooo, as in /proc/mounts
 *   heat_interval_ms   rw  the heat sample interval, 100..3600000; a new
 *                          value starts a new interval at once
 *   reserve_pct        rw  the share of each tier (one value per tier, in
 *                          rank order, separated by spaces) that new files
 *                          leave free; 0..100 each.  A write gives every
 *                          tier's value or changes nothing.
 *   listing_cache_entries
 *                      rw  how many directory entries the pool's kept
 *                          listings may hold together (listing.c),
 *                          0..16777216; 0 keeps none.  A lower value
 *                          evicts at once.
 *   listing_cache_used ro  the entries kept listings hold now (an empty
 *                          listing counts as one)
 *   creates spills moves cutover_waits journal_commits journal_flushes
 *   close_batches heat_records heat_waits tier_faults tier_faults_suppressed
 *   listing_hits listing_builds
 *                      ro  counters since mount (moves: completed
 *                          moves; cutover_waits: cutovers that had to
 *                          wait for a data writer; journal_flushes: the
 *                          fsyncs that made journal_commits durable;
 *                          close_batches: the batches moves were closed in;
 *                          listing_hits: listings served from the cache,
 *                          listing_builds: listings read from the tiers)
 *
 * Bad writes fail with EINVAL and change nothing.
 *
 * Lifetime: the kobject is allocated on its own and points at the pool.
 * smoothfs_sysfs_remove() (kill_sb, before the pool is freed) deletes the
 * directory; kernfs waits for show/store calls in progress and fails later
 * ones (a file held open across unmount reads ENODEV), so nothing touches
 * the pool afterwards.  The kobject itself is freed by its release.
 */
#include <linux/kobject.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "smoothfs.h"

#define SMOOTHFS_HEAT_INTERVAL_MS_MIN	100
#define SMOOTHFS_HEAT_INTERVAL_MS_MAX	3600000
#define SMOOTHFS_RESERVE_PCT_MAX	100

static struct kset *smoothfs_kset;

struct smoothfs_pool_kobj {
	struct kobject kobj;
	struct smoothfs_sb_info *sbi;
};

static struct smoothfs_sb_info *smoothfs_kobj_sbi(struct kobject *kobj)
{
	return container_of(kobj, struct smoothfs_pool_kobj, kobj)->sbi;
}

void smoothfs_count_create(struct smoothfs_sb_info *sbi, unsigned int tier)
{
	atomic64_inc(&sbi->stats.creates);
	if (tier > 0)
		atomic64_inc(&sbi->stats.spills);
}

/* Octal escapes for the characters that would break the line format. */
static int smoothfs_emit_path(char *buf, int at, const char *path)
{
	for (; *path; path++) {
		if (strchr(" \t\n\\", *path))
			at += sysfs_emit_at(buf, at, "\\%03o", *path);
		else
			at += sysfs_emit_at(buf, at, "%c", *path);
	}
	return at;
}

static ssize_t tiers_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct smoothfs_sb_info *sbi = smoothfs_kobj_sbi(kobj);
	unsigned int t;
	int at = 0;

	for (t = 0; t < sbi->ntiers; t++) {
		at += sysfs_emit_at(buf, at, "%u ", t);
		at = smoothfs_emit_path(buf, at, sbi->tiers[t].path);
		at += sysfs_emit_at(buf, at, " 0x%x\n", sbi->tiers[t].caps);
	}
	return at;
}

static ssize_t heat_interval_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
				     char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(smoothfs_kobj_sbi(kobj)->heat_interval_ms));
}

static ssize_t heat_interval_ms_store(struct kobject *kobj, struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	struct smoothfs_sb_info *sbi = smoothfs_kobj_sbi(kobj);
	unsigned int ms;

	if (kstrtouint(buf, 10, &ms) ||
	    ms < SMOOTHFS_HEAT_INTERVAL_MS_MIN || ms > SMOOTHFS_HEAT_INTERVAL_MS_MAX)
		return -EINVAL;
	WRITE_ONCE(sbi->heat_interval_ms, ms);
	smoothfs_heat_reschedule(sbi);
	return count;
}

static ssize_t reserve_pct_show(struct kobject *kobj, struct kobj_attribute *attr, char *buf)
{
	struct smoothfs_sb_info *sbi = smoothfs_kobj_sbi(kobj);
	unsigned int t;
	int at = 0;

	for (t = 0; t < sbi->ntiers; t++)
		at += sysfs_emit_at(buf, at, "%s%u", t ? " " : "",
				    READ_ONCE(sbi->tiers[t].reserve_pct));
	at += sysfs_emit_at(buf, at, "\n");
	return at;
}

static ssize_t reserve_pct_store(struct kobject *kobj, struct kobj_attribute *attr,
				 const char *buf, size_t count)
{
	struct smoothfs_sb_info *sbi = smoothfs_kobj_sbi(kobj);
	unsigned int pct[SMOOTHFS_MAX_TIERS];
	unsigned int n = 0, t;
	char *copy, *p, *word;
	int err = 0;

	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	p = strim(copy);
	while (!err && (word = strsep(&p, " \t")) != NULL) {
		if (!*word)
			continue;
		if (n == sbi->ntiers || kstrtouint(word, 10, &pct[n]) ||
		    pct[n] > SMOOTHFS_RESERVE_PCT_MAX)
			err = -EINVAL;
		n++;
	}
	kfree(copy);
	if (err || n != sbi->ntiers)
		return -EINVAL;
	for (t = 0; t < n; t++) {
		WRITE_ONCE(sbi->tiers[t].reserve_pct, pct[t]);
		/* Placement looks at the tier again on its next create. */
		WRITE_ONCE(sbi->tiers[t].space_checked, 0);
	}
	return count;
}

static ssize_t listing_cache_entries_show(struct kobject *kobj, struct kobj_attribute *attr,
					  char *buf)
{
	return sysfs_emit(buf, "%zu\n", READ_ONCE(smoothfs_kobj_sbi(kobj)->listings.max_entries));
}

static ssize_t listing_cache_entries_store(struct kobject *kobj, struct kobj_attribute *attr,
					   const char *buf, size_t count)
{
	unsigned int entries;

	if (kstrtouint(buf, 10, &entries) || entries > SMOOTHFS_LISTING_CACHE_MAX)
		return -EINVAL;
	smoothfs_listing_cache_resize(smoothfs_kobj_sbi(kobj), entries);
	return count;
}

static ssize_t listing_cache_used_show(struct kobject *kobj, struct kobj_attribute *attr,
				       char *buf)
{
	return sysfs_emit(buf, "%zu\n", READ_ONCE(smoothfs_kobj_sbi(kobj)->listings.entries));
}

/* A read-only counter of struct smoothfs_stats. */
struct smoothfs_counter_attr {
	struct kobj_attribute attr;
	size_t offset;
};

static ssize_t smoothfs_counter_show(struct kobject *kobj, struct kobj_attribute *attr,
				     char *buf)
{
	struct smoothfs_counter_attr *ca = container_of(attr, struct smoothfs_counter_attr, attr);
	atomic64_t *counter = (void *)&smoothfs_kobj_sbi(kobj)->stats + ca->offset;

	return sysfs_emit(buf, "%lld\n", atomic64_read(counter));
}

#define SMOOTHFS_COUNTER_ATTR(_name, _field) {					\
	.attr = __ATTR(_name, 0444, smoothfs_counter_show, NULL),		\
	.offset = offsetof(struct smoothfs_stats, _field),			\
}

static struct smoothfs_counter_attr smoothfs_counters[] = {
	SMOOTHFS_COUNTER_ATTR(creates, creates),
	SMOOTHFS_COUNTER_ATTR(spills, spills),
	SMOOTHFS_COUNTER_ATTR(moves, moves),
	SMOOTHFS_COUNTER_ATTR(cutover_waits, cutover_waits),
	SMOOTHFS_COUNTER_ATTR(journal_commits, journal_commits),
	SMOOTHFS_COUNTER_ATTR(journal_flushes, journal_flushes),
	SMOOTHFS_COUNTER_ATTR(close_batches, close_batches),
	SMOOTHFS_COUNTER_ATTR(heat_records, heat_records),
	SMOOTHFS_COUNTER_ATTR(heat_waits, heat_waits),
	SMOOTHFS_COUNTER_ATTR(tier_faults, tier_faults),
	SMOOTHFS_COUNTER_ATTR(tier_faults_suppressed, tier_faults_suppressed),
	SMOOTHFS_COUNTER_ATTR(listing_hits, listing_hits),
	SMOOTHFS_COUNTER_ATTR(listing_builds, listing_builds),
};

static struct kobj_attribute smoothfs_attr_tiers = __ATTR_RO(tiers);
static struct kobj_attribute smoothfs_attr_heat_interval_ms = __ATTR_RW(heat_interval_ms);
static struct kobj_attribute smoothfs_attr_reserve_pct = __ATTR_RW(reserve_pct);
static struct kobj_attribute smoothfs_attr_listing_cache_entries =
	__ATTR_RW(listing_cache_entries);
static struct kobj_attribute smoothfs_attr_listing_cache_used = __ATTR_RO(listing_cache_used);

static struct attribute *smoothfs_pool_attrs[] = {
	&smoothfs_attr_tiers.attr,
	&smoothfs_attr_heat_interval_ms.attr,
	&smoothfs_attr_reserve_pct.attr,
	&smoothfs_attr_listing_cache_entries.attr,
	&smoothfs_attr_listing_cache_used.attr,
	&smoothfs_counters[0].attr.attr,
	&smoothfs_counters[1].attr.attr,
	&smoothfs_counters[2].attr.attr,
	&smoothfs_counters[3].attr.attr,
	&smoothfs_counters[4].attr.attr,
	&smoothfs_counters[5].attr.attr,
	&smoothfs_counters[6].attr.attr,
	&smoothfs_counters[7].attr.attr,
	&smoothfs_counters[8].attr.attr,
	&smoothfs_counters[9].attr.attr,
	&smoothfs_counters[10].attr.attr,
	&smoothfs_counters[11].attr.attr,
	&smoothfs_counters[12].attr.attr,
	NULL,
};

/* Every attribute listed above: tiers, three settings, a gauge, the counters, NULL. */
static_assert(ARRAY_SIZE(smoothfs_pool_attrs) == 5 + ARRAY_SIZE(smoothfs_counters) + 1);
ATTRIBUTE_GROUPS(smoothfs_pool);

static void smoothfs_pool_kobj_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct smoothfs_pool_kobj, kobj));
}

static const struct kobj_type smoothfs_pool_ktype = {
	.release	= smoothfs_pool_kobj_release,
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= smoothfs_pool_groups,
};

int smoothfs_sysfs_add(struct smoothfs_sb_info *sbi)
{
	struct smoothfs_pool_kobj *pk;
	int err;

	pk = kzalloc(sizeof(*pk), GFP_KERNEL);
	if (!pk)
		return -ENOMEM;
	pk->sbi = sbi;
	pk->kobj.kset = smoothfs_kset;
	err = kobject_init_and_add(&pk->kobj, &smoothfs_pool_ktype, NULL, "%pUb", &sbi->uuid);
	if (err) {
		kobject_put(&pk->kobj);
		return err;
	}
	kobject_uevent(&pk->kobj, KOBJ_ADD);
	sbi->kobj = &pk->kobj;
	return 0;
}

/* Before the pool is freed; afterwards no attribute reaches it. */
void smoothfs_sysfs_remove(struct smoothfs_sb_info *sbi)
{
	if (!sbi || !sbi->kobj)
		return;
	kobject_uevent(sbi->kobj, KOBJ_REMOVE);
	kobject_del(sbi->kobj);
	kobject_put(sbi->kobj);
	sbi->kobj = NULL;
}

int __init smoothfs_sysfs_init(void)
{
	smoothfs_kset = kset_create_and_add("smoothfs", NULL, fs_kobj);
	return smoothfs_kset ? 0 : -ENOMEM;
}

void smoothfs_sysfs_exit(void)
{
	kset_unregister(smoothfs_kset);
}
