/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The interface between the service and the movement engine (engine.c:
 * heat scores, the planner, a worker thread per mounted pool).
 */
#ifndef SMOOTHFSD_ENGINE_H
#define SMOOTHFSD_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "smoothfs/smoothfs.h"

#include "manager.h"
#include "pool-object.h"

/*
 * Heat samples of @p's objects from one kernel event, at @now_usec
 * (CLOCK_REALTIME).  Called on the event loop; must not block.
 */
void engine_heat_samples(Manager *m, Pool *p, const struct smoothfs_heat_sample *samples,
			 size_t n, uint64_t now_usec);

/* The heat score of an object now, for Inspect; -ENOENT when unknown. */
int engine_object_heat(Manager *m, Pool *p, const smoothfs_oid_t *oid, double *ret);

struct engine_planned_move {
	char *path;		/* inside the pool, absolute below the mountpoint */
	uint8_t from_tier;
	uint8_t to_tier;
	uint64_t size;
	char *reason;		/* "promote: hot", "demote: high watermark", ... */
};

/*
 * A dry run of the planner for @p with its current policy: at most
 * @limit moves (0: no limit).  *ret is freed with
 * engine_planned_moves_free().
 */
int engine_plan_moves(Manager *m, Pool *p, unsigned int limit,
		      struct engine_planned_move **ret, size_t *ret_n);
void engine_planned_moves_free(struct engine_planned_move *moves, size_t n);

/* The pool's policy changed (SetPolicy, CreatePool); plans at once. */
void engine_policy_changed(Manager *m, Pool *p);

/* A move by Pool.Move: the minimum residency holds the file where it went. */
void engine_object_moved(Pool *p, const smoothfs_oid_t *oid);

/*
 * Starts the pool's engine when it is mounted (idempotent), stops it
 * otherwise.  Stopping never waits for a move in flight: the worker
 * finishes it and exits.
 */
int engine_pool_attach(Manager *m, Pool *p);
void engine_pool_detach(Pool *p);
void engine_pool_state_changed(Manager *m, Pool *p);

#endif /* SMOOTHFSD_ENGINE_H */
