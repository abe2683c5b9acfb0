// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Scanning a pool through its mount.  fts keeps its state in the walk,
 * not in globals, so several pools can be scanned by several threads.
 */
#include <errno.h>
#include <fcntl.h>
#include <fts.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "catalog.h"
#include "util.h"

static int oid_cmp(const void *a, const void *b)
{
	return memcmp(&((const struct catalog_entry *)a)->oid,
		      &((const struct catalog_entry *)b)->oid, sizeof(smoothfs_oid_t));
}

void catalog_clear(struct catalog *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->entries[i].path);
	free(c->entries);
	*c = (struct catalog){ 0 };
}

/* The object's identity and placement; -ENODATA when it is not an object. */
static int read_object(const char *path, unsigned int n_tiers, struct catalog_entry *e)
{
	char pin[32];
	uint8_t tier;
	ssize_t n;
	enum smoothfs_pin_state ps;

	n = lgetxattr(path, SMOOTHFS_XATTR_OID, &e->oid, sizeof(e->oid));
	if (n < 0)
		return -errno;
	if (n != (ssize_t)sizeof(e->oid))
		return -ENODATA;
	n = lgetxattr(path, SMOOTHFS_XATTR_TIER, &tier, sizeof(tier));
	if (n < 0)
		return -errno;
	if (n != 1 || tier >= n_tiers)
		return -ENODATA;
	e->tier = tier;
	n = lgetxattr(path, SMOOTHFS_XATTR_PIN, pin, sizeof(pin) - 1);
	if (n < 0 && errno != ENODATA)
		return -errno;
	pin[n < 0 ? 0 : n] = '\0';
	if (n <= 0)
		ps = SMOOTHFS_PIN_NONE;
	else if (smoothfs_pin_state_from_string(pin, &ps) < 0)
		return -ENODATA;
	e->pin = (uint8_t)ps;
	return 0;
}

int catalog_scan(const char *mountpoint, unsigned int n_tiers, size_t max_entries,
		 struct catalog *ret)
{
	char *roots[] = { (char *)mountpoint, NULL };
	struct catalog c = { 0 };
	size_t cap = 0;
	FTS *fts;
	FTSENT *ent;
	int r = 0;

	*ret = (struct catalog){ 0 };
	if (!mountpoint || mountpoint[0] != '/' || n_tiers < 1 || n_tiers > SMOOTHFS_MAX_TIERS)
		return -EINVAL;
	fts = fts_open(roots, FTS_PHYSICAL | FTS_XDEV | FTS_NOCHDIR, NULL);
	if (!fts)
		return -errno;
	for (;;) {
		struct catalog_entry e = { 0 };
		const char *rel;

		errno = 0;
		ent = fts_read(fts);
		if (!ent) {
			r = -errno;
			break;
		}

		if (ent->fts_info == FTS_D && ent->fts_level == 1 &&
		    streq(ent->fts_name, SMOOTHFS_META_DIR)) {
			fts_set(fts, ent, FTS_SKIP);
			continue;
		}
		if (ent->fts_info == FTS_DNR || ent->fts_info == FTS_ERR ||
		    ent->fts_info == FTS_NS) {
			/* The root itself unreadable is an error; a subtree is skipped. */
			if (ent->fts_level == 0) {
				r = -ent->fts_errno;
				break;
			}
			c.skipped++;
			continue;
		}
		if (ent->fts_info != FTS_F)
			continue;
		r = read_object(ent->fts_accpath, n_tiers, &e);
		if (r == -ENOENT) {	/* removed during the walk */
			r = 0;
			continue;
		}
		if (r < 0) {
			c.skipped++;
			r = 0;
			continue;
		}
		if (c.n == max_entries) {
			r = -E2BIG;
			break;
		}
		r = array_reserve(&c.entries, &cap, c.n, sizeof(*c.entries), 1024);
		if (r < 0)
			break;
		/* fts_path is the mountpoint as given, then the rest. */
		for (rel = ent->fts_path + strlen(mountpoint); *rel == '/'; rel++)
			;
		e.path = strdup(rel);
		if (!e.path) {
			r = -ENOMEM;
			break;
		}
		e.size_bytes = (uint64_t)ent->fts_statp->st_size;
		c.entries[c.n++] = e;
	}
	fts_close(fts);
	if (r < 0) {
		catalog_clear(&c);
		return r;
	}
	if (c.n)
		qsort(c.entries, c.n, sizeof(*c.entries), oid_cmp);
	/* Hard links: one object, several names; the first name will do. */
	for (size_t i = 1, kept = 1; i <= c.n; i++) {
		if (i == c.n) {
			c.n = kept;
			break;
		}
		if (oid_cmp(&c.entries[i], &c.entries[kept - 1]) == 0)
			free(c.entries[i].path);
		else
			c.entries[kept++] = c.entries[i];
	}
	*ret = c;
	return 0;
}

const struct catalog_entry *catalog_find(const struct catalog *c, const smoothfs_oid_t *oid)
{
	struct catalog_entry key = { .oid = *oid };

	if (!c->n)
		return NULL;
	return bsearch(&key, c->entries, c->n, sizeof(key), oid_cmp);
}
