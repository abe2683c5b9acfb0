/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The catalog: every regular file of a mounted pool with its object id,
 * tier, pin and size, read through the mount (trusted.smoothfs.* xattrs).
 * The kernel names objects by OID in its events; the catalog is how the
 * daemon gets from an OID back to a path it can open and move.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include <smoothfs/smoothfs.h>

struct catalog_entry {
	smoothfs_oid_t oid;
	char *path;		/* relative to the mountpoint */
	uint64_t size_bytes;
	uint8_t tier;
	uint8_t pin;		/* enum smoothfs_pin_state */
};

struct catalog {
	struct catalog_entry *entries;	/* sorted by OID after a scan */
	size_t n;
	size_t skipped;		/* files without a readable OID, tier or pin */
};

/*
 * Walks @mountpoint (one filesystem, symlinks not followed, .smoothfs
 * skipped) and fills @ret.  At most @max_entries files are taken
 * (-E2BIG past that, with @ret empty).  A file that vanishes during the
 * walk is skipped.
 */
int catalog_scan(const char *mountpoint, unsigned int n_tiers, size_t max_entries,
		 struct catalog *ret);
void catalog_clear(struct catalog *c);
const struct catalog_entry *catalog_find(const struct catalog *c, const smoothfs_oid_t *oid);
