/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One pool: org.smoothfs1.Pool at /org/smoothfs1/pool/<encoded name>.
 */
#ifndef SMOOTHFSD_POOL_OBJECT_H
#define SMOOTHFSD_POOL_OBJECT_H

#include "manager.h"
#include "policy.h"

enum pool_state {
	POOL_UNMOUNTED,
	POOL_MOUNTED,
	POOL_QUIESCED,
	POOL_DEGRADED,
};

struct Pool {
	Pool *next;
	Manager *manager;
	char *name;
	char *object_path;
	smoothfs_uuid_t uuid;
	char *mountpoint;		/* "" when unknown */
	char *unit_path;		/* "" when not managed by smoothfsd */
	char **tiers;			/* NULL-terminated, by rank */
	enum pool_state state;
	struct smoothfsd_policy policy;
	uint64_t moves_completed;
	uint64_t moves_failed;
	uint64_t bytes_moved;
	uint64_t spill_count;
	uint32_t faulted_tiers;		/* bit per rank */
	struct engine_pool *engine;	/* engine.c; NULL while not mounted */
};

extern const sd_bus_vtable pool_vtable[];

const char *pool_state_to_string(enum pool_state s);

/*
 * A new pool object (not yet announced).  @tiers is copied.
 */
int pool_new(Manager *m, const char *name, const smoothfs_uuid_t *uuid, const char *mountpoint,
	     const char *unit_path, char *const *tiers, Pool **ret);
Pool *pool_free(Pool *p);

/* Adds to the manager, announces InterfacesAdded; removes and announces. */
int pool_add(Manager *m, Pool *p);
void pool_remove(Pool *p);

/* Writes name, uuid, mountpoint, unit and tiers to the store. */
int pool_save(Pool *p);
/* Policy and counters from the store. */
void pool_load_state(Pool *p);

void pool_set_state(Pool *p, enum pool_state s);
/* Emits PropertiesChanged for the NULL-terminated property names. */
void pool_changed(Pool *p, const char *prop, ...) __attribute__((sentinel));

int pool_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
		     void **found, sd_bus_error *error);
int pool_node_enumerator(sd_bus *bus, const char *prefix, void *userdata, char ***nodes,
			 sd_bus_error *error);

/*
 * Resolves @path (absolute, inside the pool's mountpoint, no escape
 * through ".." or symlinks) and opens it read-only without following a
 * final symlink.  With @as, the path is walked with that caller's
 * permissions (-EACCES where it may not search), else as the daemon.
 * -EXDEV for paths outside the pool, -ENOENT when it does not exist,
 * -EINVAL for malformed paths; @e is set.
 */
struct caller_identity;
int pool_open_path(Pool *p, const char *path, const struct caller_identity *as, int *ret_fd,
		   char **ret_rel, sd_bus_error *e);

#endif /* SMOOTHFSD_POOL_OBJECT_H */
