/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Resolving a path a D-Bus caller names with the caller's own permissions.
 *
 * The daemon runs as root, so a path it opens for a caller would let
 * anyone learn what lies in directories they may not search (Inspect is
 * open to every user).  Around the path walk, the calling thread takes
 * the caller's filesystem identity, as knfsd and Samba do: fsuid, fsgid
 * and supplementary groups are per thread at the system call level, and
 * a non-zero fsuid drops CAP_DAC_OVERRIDE and its kin from the effective
 * set.  glibc's setgroups() would change every thread of the process, so
 * the raw system call is used.  Other threads (the engine's workers)
 * keep their root identity throughout.
 */
#ifndef SMOOTHFSD_CALLER_H
#define SMOOTHFSD_CALLER_H

#include <stddef.h>
#include <sys/types.h>

#include <systemd/sd-bus.h>

/* Beyond this many supplementary groups (NGROUPS_MAX is 65536) a caller is refused. */
#define CALLER_GROUPS_MAX 1024

struct caller_identity {
	uid_t uid;
	gid_t gid;
	gid_t *groups;
	size_t n_groups;
};

/* The sender of @call; -errno with @e set when the bus cannot tell. */
int caller_identity_get(sd_bus_message *call, struct caller_identity *ret, sd_bus_error *e);
void caller_identity_clear(struct caller_identity *id);

/* What caller_become() replaced, for caller_restore(). */
struct caller_saved {
	uid_t fsuid;
	gid_t fsgid;
	gid_t *groups;
	int n_groups;
};

/*
 * Switches the calling thread's filesystem identity to @id; on failure
 * nothing is switched.  caller_restore() cannot fail: if the kernel
 * refused to give root back, the process aborts rather than serve
 * others with a caller's identity.
 */
int caller_become(const struct caller_identity *id, struct caller_saved *saved);
void caller_restore(struct caller_saved *saved);

#endif /* SMOOTHFSD_CALLER_H */
