// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Placeholders of the engine interface (engine.h), weak so that the
 * engine's real definitions replace them at link time.  Heat here is
 * the undecayed sum of bytes read and written; the planner plans nothing.
 */
#include "engine.h"
#include "log.h"
#include "util.h"

_weak_ void engine_heat_samples(Manager *m, Pool *p, const struct smoothfs_heat_sample *samples,
				size_t n, uint64_t now)
{
	for (size_t i = 0; i < n; i++) {
		char hex[SMOOTHFS_OID_HEX_MAX];
		double heat = 0;

		smoothfs_oid_to_hex(&samples[i].oid, hex);
		(void)store_object_get_heat(m->store, p->name, hex, &heat);
		heat += (double)samples[i].read_bytes_delta + (double)samples[i].write_bytes_delta;
		(void)store_object_set_heat(m->store, p->name, hex, heat, now);
	}
}

_weak_ int engine_object_heat(Manager *m, Pool *p, const smoothfs_oid_t *oid, double *ret)
{
	char hex[SMOOTHFS_OID_HEX_MAX];

	smoothfs_oid_to_hex(oid, hex);
	return store_object_get_heat(m->store, p->name, hex, ret);
}

_weak_ int engine_plan_moves(Manager *m, Pool *p, unsigned int limit,
			     struct engine_planned_move **ret, size_t *ret_n)
{
	*ret = NULL;
	*ret_n = 0;
	return 0;
}

_weak_ void engine_planned_moves_free(struct engine_planned_move *moves, size_t n)
{
	for (size_t i = 0; moves && i < n; i++) {
		free(moves[i].path);
		free(moves[i].reason);
	}
	free(moves);
}

_weak_ void engine_policy_changed(Manager *m, Pool *p)
{
	log_pool(LOG_DEBUG, 0, p->name, "policy changed");
}
