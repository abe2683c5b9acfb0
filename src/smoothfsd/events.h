/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Kernel events through libsmoothfs on the sd-event loop: mount and
 * unmount of pools, heat samples, move states, tier faults and spills
 * update the pool objects, the store and the engine.
 */
#ifndef SMOOTHFSD_EVENTS_H
#define SMOOTHFSD_EVENTS_H

#include "manager.h"

/* Seconds between attempts to reach the module while it is not loaded. */
#define SMOOTHFSD_CLIENT_RETRY_SEC 5

/* Opens the client (or schedules retries), subscribes, and syncs. */
int events_start(Manager *m);
void events_stop(Manager *m);

/* Rebuilds the pools' mounted state from the kernel's pool list. */
int events_resync(Manager *m);

/* Handles one decoded event (exposed for tests). */
void events_dispatch(Manager *m, const struct smoothfs_event *ev);

/*
 * Looks @p up in the mount table and takes the mountpoint found; false
 * when it is not there (not mounted, or not attached yet).
 */
bool pool_refresh_mountpoint(Pool *p);

#endif /* SMOOTHFSD_EVENTS_H */
