/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's state and org.smoothfs1.Manager at /org/smoothfs1.
 */
#ifndef SMOOTHFSD_MANAGER_H
#define SMOOTHFSD_MANAGER_H

#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "smoothfs/smoothfs.h"

#include "polkit.h"
#include "store.h"

#define SMOOTHFSD_BUS_NAME		"org.smoothfs1"
#define SMOOTHFSD_OBJECT_ROOT		"/org/smoothfs1"
#define SMOOTHFSD_POOL_PREFIX		"/org/smoothfs1/pool"
#define SMOOTHFSD_MANAGER_IFACE		"org.smoothfs1.Manager"
#define SMOOTHFSD_POOL_IFACE		"org.smoothfs1.Pool"

/* Pools one daemon tracks at most (mounted and managed together). */
#define SMOOTHFSD_POOLS_MAX		256

typedef struct Pool Pool;

struct manager_config {
	const char *db_path;		/* SQLite database */
	const char *unit_dir;		/* NULL: the library's default */
	const char *mount_base;		/* NULL: the library's default */
	const char *mountinfo;		/* NULL: /proc/self/mountinfo */
	bool no_privileged_shortcut;	/* tests: polkit for root too */
};

typedef struct Manager {
	sd_event *event;
	sd_bus *bus;
	Store *store;
	smoothfs_client *client;	/* NULL while the module is not loaded */
	sd_event_source *event_io;	/* kernel events */
	sd_event_source *retry_timer;	/* reopens the client while NULL */
	sd_event_source *mountinfo_io;	/* mount table changes */
	PolkitRegistry polkit;
	bool moves_recovered;		/* open moves of the last run handled */
	Pool *pools;			/* list, in creation order */
	unsigned int n_pools;
	unsigned int n_move_jobs;	/* move-job.c, in flight */
	struct manager_config config;
} Manager;

int manager_new(const struct manager_config *config, Manager **ret);
Manager *manager_free(Manager *m);
/* Connects to @bus, adds every object and the ObjectManager. */
int manager_attach_bus(Manager *m, sd_bus *bus);
/* Pools from the store, then the kernel's view (events.c). */
int manager_load(Manager *m);

/* -EHOSTDOWN (and @e) unless systemd is on the bus. */
int manager_require_systemd(Manager *m, sd_bus_error *e);

/* KernelModuleLoaded changed. */
void manager_module_changed(Manager *m);

Pool *manager_find_pool(Manager *m, const char *name_or_uuid);
Pool *manager_find_pool_by_uuid(Manager *m, const smoothfs_uuid_t *uuid);

#endif /* SMOOTHFSD_MANAGER_H */
