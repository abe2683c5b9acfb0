/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The interface between the service and the movement engine (heat
 * scores, planner, workers).  engine-default.c has weak placeholder
 * definitions so the service builds and runs alone; the engine's own
 * files define the same functions (strong symbols win at link time).
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

/* The pool's policy changed (SetPolicy, CreatePool); reschedule. */
void engine_policy_changed(Manager *m, Pool *p);

#endif /* SMOOTHFSD_ENGINE_H */
